/*
 * http.h — the HTTPS client the Okta connector uses: one libcurl easy
 * handle per org (connection reuse, one request in flight), TLS always
 * verified (a private CA can be added, never verification removed), no
 * redirects, bounded bodies, and the response headers Okta's protocol
 * depends on parsed once here: Link rel="next", X-Rate-Limit-* (minimum
 * over repeated instances), Date, X-Okta-Request-Id, DPoP-Nonce,
 * WWW-Authenticate, Retry-After.
 *
 * Secrets: request headers (Authorization, DPoP) and bodies are never
 * logged or copied into error text.
 */
#ifndef IDW_HTTP_H
#define IDW_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define IDW_HTTP_MAX_BODY (64u << 20)

struct idw_http;

struct idw_http_resp {
    long status;                /* HTTP status; 0 when the request failed in transport */
    int timed_out;              /* transport failure was a timeout */
    char error[256];            /* transport failure text (curl's), "" otherwise */
    char *body;                 /* NUL-terminated, malloc'd; may be empty */
    size_t body_len;
    int body_too_large;         /* aborted past IDW_HTTP_MAX_BODY */
    char next_url[4096];        /* Link rel="next", "" if none */
    int has_rate;               /* X-Rate-Limit-* seen */
    long rate_limit, rate_remaining;    /* of the bucket closest to exhaustion */
    int64_t rate_reset;         /* epoch seconds, that bucket's reset */
    int nrate[3];               /* raw instances (limit, remaining, reset), paired by order */
    int64_t rate_raw[3][4];
    int64_t date;               /* server Date header, epoch seconds; 0 unknown */
    long retry_after;           /* seconds, -1 absent */
    char request_id[80];
    char dpop_nonce[256];
    char www_authenticate[512];
};

/*
 * ca_file: an extra PEM bundle trusted in addition to the system's (NULL
 * for none).  timeout_s: total time allowed per request.
 */
struct idw_http *idw_http_new(const char *ca_file, long timeout_s);
void idw_http_free(struct idw_http *h);

/*
 * Performs one request.  headers is a NULL-terminated list of "Name:
 * value" lines; body (for POST) may be NULL.  Only https:// URLs are
 * allowed (tests use a private CA; TLS is never disabled).  Returns 0 when
 * an HTTP response arrived (any status), -1 on a transport failure
 * (resp->error says what; resp->timed_out for timeouts).  Always release
 * resp with idw_http_resp_clear.
 */
int idw_http_request(struct idw_http *h, const char *method, const char *url,
                     const char *const *headers, const char *body,
                     struct idw_http_resp *resp);

void idw_http_resp_clear(struct idw_http_resp *resp);

/* Parses an HTTP-date ("Sun, 06 Nov 1994 08:49:37 GMT"); 0 if unparsable. */
int64_t idw_http_parse_date(const char *s);

/* Extracts rel="next" from one Link header value into out (""); exposed for tests. */
void idw_http_parse_link(const char *value, char *out, size_t outlen);

#endif
