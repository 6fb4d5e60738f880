/*
 * http.h — the HTTPS client the Okta connector and the webhook deliverer
 * use: one libcurl easy handle per org or webhook (connection reuse, one
 * request in flight), TLS always verified (a private CA can be added,
 * never verification removed; the host must be named in the certificate's
 * subjectAltName — a host named only in the subject CN is refused), no
 * redirects, bounded bodies and headers, and the response headers Okta's
 * protocol depends on read once here through libcurl's header API:
 * Link rel="next", X-Rate-Limit-* (the bucket closest to exhaustion),
 * Date, X-Okta-Request-Id, DPoP-Nonce, WWW-Authenticate, Retry-After.
 *
 * Secrets: request headers (Authorization, DPoP), bodies and URLs are
 * never logged or copied into error text.
 */
#ifndef IDW_HTTP_H
#define IDW_HTTP_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "common/rc.h"

#define IDW_HTTP_MAX_BODY (64u << 20)
#define IDW_HTTP_MAX_LINK 8192                      /* bytes of one Link header value */
#define IDW_HTTP_RETRY_AFTER_MAX (100L * 365 * 86400) /* Retry-After is clamped to this (s) */

struct idw_http;

struct idw_http_resp {
    long status;                /* HTTP status; 0 when the request failed in transport */
    int timed_out;              /* transport failure was a timeout */
    char error[256];            /* transport failure text (curl's), "" otherwise */
    char *body;                 /* NUL-terminated, malloc'd; may be empty */
    size_t body_len;
    int body_too_large;         /* aborted past IDW_HTTP_MAX_BODY */
    int refused;                /* a response arrived but was refused (a header over its limit);
                                   status is 0 and error says which header, how big, from where */
    char next_url[4096];        /* Link rel="next", "" if none */
    int has_rate;               /* X-Rate-Limit-* seen */
    long rate_limit, rate_remaining;    /* of the bucket closest to exhaustion */
    int64_t rate_reset;         /* epoch seconds, that bucket's reset */
    int64_t date;               /* server Date header, epoch seconds; 0 unknown */
    long retry_after;           /* seconds (0 .. IDW_HTTP_RETRY_AFTER_MAX), -1 absent or unparsable */
    char request_id[80];        /* request_id and www_authenticate are for messages: printable */
    char dpop_nonce[256];       /* ASCII, other bytes replaced by '?'; dpop_nonce is kept as sent */
    char www_authenticate[512];
};

/*
 * ca_file: an extra PEM bundle trusted in addition to the system's (NULL
 * for none).  timeout_s: total time allowed per request.
 */
struct idw_http *idw_http_new(const char *ca_file, long timeout_s) IDW_MUST_CHECK;
void idw_http_free(struct idw_http *h);

/* Requests end early (status 0, "aborted") once *stop is set; stop may be NULL. */
void idw_http_set_stop(struct idw_http *h, const volatile sig_atomic_t *stop);

/*
 * Performs one request.  headers is a NULL-terminated list of "Name:
 * value" lines; body (for POST) may be NULL.  Only https:// URLs are
 * allowed (parsed with libcurl's URL API; tests use a private CA; TLS is
 * never disabled).  IDW_OK when an HTTP response arrived (any status),
 * IDW_ERR on a transport failure or a refused response (resp->error says what;
 * resp->timed_out for timeouts, resp->refused for a header over its
 * limit: a Link value over IDW_HTTP_MAX_LINK, a next link over
 * sizeof next_url, any line over libcurl's 100 KiB).  Always release resp
 * with idw_http_resp_clear.
 */
enum idw_rc idw_http_request(struct idw_http *h, const char *method, const char *url,
                             const char *const *headers, const char *body,
                             struct idw_http_resp *resp) IDW_MUST_CHECK;

void idw_http_resp_clear(struct idw_http_resp *resp);

/* Parses an HTTP-date ("Sun, 06 Nov 1994 08:49:37 GMT", curl_getdate); 0 if unparsable or not after 1970. */
int64_t idw_http_parse_date(const char *s);

/*
 * Parses a Retry-After value: delta-seconds, or an HTTP-date taken relative
 * to now (epoch seconds; a past date is 0).  Values above
 * IDW_HTTP_RETRY_AFTER_MAX, overflowing ones included, are clamped to it.
 * Returns the seconds, or -1 when the value is neither form.
 */
long idw_http_parse_retry_after(const char *s, int64_t now);

/* Extracts rel="next" from one Link header value into out (""); exposed for tests. */
void idw_http_parse_link(const char *value, char *out, size_t outlen);

/*
 * Appends at most max bytes of s, text from a response (an error body's
 * member, a header), to the NUL-terminated out (outlen bytes in all) for
 * a message: control characters become spaces, a cut never splits a UTF-8
 * character, and when s is not valid UTF-8 its non-ASCII bytes become '?'.
 * So the message stays one line of valid UTF-8, as the log's and the
 * state's JSON need.
 */
void idw_http_text_append(char *out, size_t outlen, const char *s, size_t max);

/*
 * A source of response headers for idw_http_read_headers: instance i
 * (0-based, in arrival order) of the header called name (any case), or
 * NULL when there is no such instance; *amount receives how many instances
 * of name there are.  Values are NUL-terminated, without the line's
 * surrounding blanks, valid until the read ends.  idw_http_request reads
 * libcurl's header API (curl_easy_header) this way; tests and fuzzers
 * supply their own.
 */
typedef const char *(*idw_http_header_get)(void *ctx, const char *name, size_t i, size_t *amount);

/*
 * Fills resp's header fields from the headers get returns (idw_http_request
 * calls it for every response): has_rate/rate_* from the X-Rate-Limit-*
 * instances, date, retry_after (relative to date, else to now), request_id,
 * dpop_nonce, www_authenticate (first instances, truncated to their
 * buffers; see struct idw_http_resp), next_url (rel="next" of the first Link instance that has one).
 * The other fields are left as they are.  host names the server in error
 * text.  IDW_OK, or IDW_ERR with resp->error set when a Link value is over
 * IDW_HTTP_MAX_LINK or its next URL over sizeof next_url (the caller then
 * refuses the response).
 */
enum idw_rc idw_http_read_headers(idw_http_header_get get, void *ctx, struct idw_http_resp *resp,
                                  const char *host) IDW_MUST_CHECK;

#endif
