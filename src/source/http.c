/*
 * http.c — libcurl-based HTTPS for the Okta connector and the webhook
 * deliverer (see http.h).  URLs go through libcurl's URL API, response
 * headers through its header API (curl_easy_header, libcurl >= 7.83),
 * dates through curl_getdate; TLS is libcurl's OpenSSL backend with the
 * name check tightened in tls_setup.
 */
#include "source/http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/util.h"

#ifndef IDW_VERSION
#define IDW_VERSION "0.0.0"
#endif

struct idw_http {
    CURL *curl;
    char ca_file[4096];
    long timeout_s;
    char host[256];             /* the current request's host, for the certificate name check */
    int host_is_ip;
    const volatile sig_atomic_t *stop;  /* set: the request in flight is abandoned */
};

struct idw_http *idw_http_new(const char *ca_file, long timeout_s)
{
    static int global_done;
    struct idw_http *h;

    if (!global_done) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
            return NULL;
        global_done = 1;
    }
    h = calloc(1, sizeof *h);
    if (h)
        h->curl = curl_easy_init();
    if (!h || !h->curl) {
        free(h);
        return NULL;
    }
    idw_strlcpy(h->ca_file, ca_file, sizeof h->ca_file);
    h->timeout_s = timeout_s > 0 ? timeout_s : 60;
    return h;
}

void idw_http_set_stop(struct idw_http *h, const volatile sig_atomic_t *stop)
{
    h->stop = stop;
}

/* A stop request abandons a stalled request instead of waiting out its timeout. */
static int on_progress(void *vh, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    const struct idw_http *h = vh;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return h->stop && *h->stop;
}

void idw_http_free(struct idw_http *h)
{
    if (!h)
        return;
    curl_easy_cleanup(h->curl);
    free(h);
}

void idw_http_resp_clear(struct idw_http_resp *r)
{
    free(r->body);
    memset(r, 0, sizeof *r);
    r->retry_after = -1;
}

/* ---- header parsing ----------------------------------------------------- */

int64_t idw_http_parse_date(const char *s)
{
    time_t t = s ? curl_getdate(s, NULL) : -1;

    /* curl_getdate answers -1 for junk, but a negative time for a real date before 1970: no server's clock */
    return t <= 0 ? 0 : (int64_t)t;
}

/* A plain non-negative decimal that fits in 64 bits; -1 for anything else (sign, junk, overflow). */
static int64_t parse_count(const char *s)
{
    char *end;
    long long v;

    if (!s || !isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    return errno == ERANGE || *end ? -1 : (int64_t)v;
}

long idw_http_parse_retry_after(const char *s, int64_t now)
{
    const char *q = s;
    time_t t;

    if (!s)
        return -1;
    if (isdigit((unsigned char)*s)) {
        while (isdigit((unsigned char)*q))
            q++;
        if (*q)
            return -1;
        int64_t v = parse_count(s);     /* -1 here means too many digits: clamp */
        return v < 0 || v > IDW_HTTP_RETRY_AFTER_MAX ? IDW_HTTP_RETRY_AFTER_MAX : (long)v;
    }
    t = curl_getdate(s, NULL);
    if (t == -1)
        return -1;
    if ((int64_t)t <= now)
        return 0;
    return (int64_t)t - now > IDW_HTTP_RETRY_AFTER_MAX ? IDW_HTTP_RETRY_AFTER_MAX : (long)(t - now);
}

/* Is rel=next (quoted or not, any case, possibly one of several rels) among the params? */
static int params_say_next(const char *p, const char *end)
{
    while (p < end) {
        const char *rel = strcasestr(p, "rel=");
        if (!rel || rel >= end)
            return 0;
        rel += 4;
        if (*rel == '"')
            rel++;
        /* rel may hold several space-separated relation types */
        while (rel < end && *rel != '"' && *rel != ';' && *rel != ',') {
            if (strncasecmp(rel, "next", 4) == 0 &&
                (rel + 4 >= end || strchr("\" ;,", rel[4])))
                return 1;
            while (rel < end && !strchr("\" ;,", *rel))
                rel++;
            while (rel < end && *rel == ' ')
                rel++;
        }
        p = rel;
    }
    return 0;
}

/* libcurl parses header fields, not the Link grammar (RFC 8288): the rel=next target is found here. */
void idw_http_parse_link(const char *value, char *out, size_t outlen)
{
    /* one or several "<url>; params" entries, comma-separated (proxies merge lines) */
    const char *p = strchr(value, '<');

    while (p) {
        const char *url = p + 1, *close = strchr(url, '>');
        if (!close)
            return;
        const char *end = close;
        while (*end && *end != ',') {
            if (*end == '"') {          /* skip quoted strings: they may contain ',' */
                const char *q = strchr(end + 1, '"');
                end = q ? q : end + strlen(end) - 1;
            }
            end++;
        }
        if (params_say_next(close + 1, end)) {
            idw_strncpy0(out, outlen, url, (size_t)(close - url));
            return;
        }
        p = strchr(end, '<');
    }
}

/* idw_http_header_get over libcurl's header API: instance i of a header of the final response. */
static const char *curl_header(void *ctx, const char *name, size_t i, size_t *amount)
{
    struct curl_header *h;

    *amount = 0;
    if (curl_easy_header(ctx, name, i, CURLH_HEADER, -1, &h) != CURLHE_OK)
        return NULL;
    *amount = h->amount;
    return h->value;
}

/* Where a response's headers come from, for the readers below. */
struct hdrs {
    idw_http_header_get get;
    void *ctx;
};

static const char *header_at(const struct hdrs *hs, const char *name, size_t i, size_t *amount)
{
    *amount = 0;
    return hs->get(hs->ctx, name, i, amount);
}

static void copy_header(const struct hdrs *hs, const char *name, char *out, size_t outlen)
{
    size_t n;
    const char *v = header_at(hs, name, 0, &n);
    idw_strlcpy(out, v ? v : "", outlen);
}

/*
 * A header quoted in messages: printable ASCII only (others become '?'),
 * so it cannot break a log line or make the state's JSON invalid UTF-8.
 */
static void copy_header_text(const struct hdrs *hs, const char *name, char *out, size_t outlen)
{
    copy_header(hs, name, out, outlen);
    for (; *out; out++)
        if ((unsigned char)*out < 0x20 || (unsigned char)*out > 0x7e)
            *out = '?';
}

void idw_http_text_append(char *out, size_t outlen, const char *s, size_t max)
{
    size_t at = strnlen(out, outlen), n = strlen(s), i;
    json_t *probe = json_string(s);         /* jansson tells whether s is valid UTF-8 */
    int utf8 = probe != NULL;

    json_decref(probe);
    if (at >= outlen)
        return;
    if (n > max)
        n = max;
    if (n > outlen - at - 1)
        n = outlen - at - 1;
    /* s[n] inside a character: cut before the character's first byte */
    while (utf8 && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[at++] = c < 0x20 || c == 0x7f ? ' ' : c >= 0x80 && !utf8 ? '?' : (char)c;
    }
    out[at] = '\0';
}

/*
 * Okta may send several instances of each X-Rate-Limit-* header, one per
 * bucket, paired by order.  The governing bucket is the one with the
 * fewest requests remaining; the smallest limit matters for a concurrency
 * violation (Limit 0, Remaining 0).  Unparsable values are ignored.
 */
static void read_rate(const struct hdrs *hs, struct idw_http_resp *r)
{
    static const char *const names[] = {"X-Rate-Limit-Limit", "X-Rate-Limit-Remaining",
                                        "X-Rate-Limit-Reset"};
    int64_t raw[3][4];
    int n[3] = {0, 0, 0}, best = -1;

    for (int k = 0; k < 3; k++) {
        size_t amount = 1;
        for (size_t i = 0; i < amount && n[k] < 4; i++) {
            int64_t v = parse_count(header_at(hs, names[k], i, &amount));
            if (v >= 0 && v <= INT32_MAX * 1000LL)
                raw[k][n[k]++] = v;
        }
    }
    for (int i = 0; i < n[1]; i++)
        if (best < 0 || raw[1][i] < raw[1][best])
            best = i;
    if (best < 0)
        return;
    r->has_rate = 1;
    r->rate_remaining = (long)raw[1][best];
    r->rate_limit = best < n[0] ? (long)raw[0][best] : -1;
    r->rate_reset = best < n[2] ? raw[2][best] : 0;
    for (int i = 0; i < n[0]; i++)
        if (raw[0][i] < r->rate_limit)
            r->rate_limit = (long)raw[0][i];
}

/* Every Link instance: rel="next" from the first that has one.  -1 (error set) past the limits. */
static int read_link(const struct hdrs *hs, struct idw_http_resp *r, const char *host)
{
    char next[IDW_HTTP_MAX_LINK + 1];
    size_t amount = 1;

    for (size_t i = 0; i < amount; i++) {
        const char *v = header_at(hs, "Link", i, &amount);
        if (!v)
            break;
        if (strlen(v) > IDW_HTTP_MAX_LINK) {
            snprintf(r->error, sizeof r->error, "Link header over %d bytes from %.120s: refused",
                     IDW_HTTP_MAX_LINK, host);
            return -1;
        }
        next[0] = '\0';
        idw_http_parse_link(v, next, sizeof next);
        if (strlen(next) >= sizeof r->next_url) {
            snprintf(r->error, sizeof r->error, "Link rel=\"next\" URL over %zu bytes from %.120s: refused",
                     sizeof r->next_url - 1, host);
            return -1;
        }
        if (next[0]) {
            idw_strlcpy(r->next_url, next, sizeof r->next_url);
            break;
        }
    }
    return 0;
}

enum idw_rc idw_http_read_headers(idw_http_header_get get, void *ctx, struct idw_http_resp *r,
                                  const char *host)
{
    const struct hdrs hs = {get, ctx};
    size_t n;

    read_rate(&hs, r);
    r->date = idw_http_parse_date(header_at(&hs, "Date", 0, &n));
    r->retry_after = idw_http_parse_retry_after(header_at(&hs, "Retry-After", 0, &n),
                                                r->date ? r->date : (int64_t)time(NULL));
    copy_header_text(&hs, "X-Okta-Request-Id", r->request_id, sizeof r->request_id);
    copy_header(&hs, "DPoP-Nonce", r->dpop_nonce, sizeof r->dpop_nonce);
    copy_header_text(&hs, "WWW-Authenticate", r->www_authenticate, sizeof r->www_authenticate);
    return read_link(&hs, r, host);
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct idw_http_resp *r = ud;
    size_t len = size * n;
    char *nb;

    if (r->body_len + len > IDW_HTTP_MAX_BODY) {
        r->body_too_large = 1;
        return 0;               /* aborts the transfer */
    }
    nb = realloc(r->body, r->body_len + len + 1);
    if (!nb)
        return 0;
    memcpy(nb + r->body_len, data, len);
    r->body = nb;
    r->body_len += len;
    r->body[r->body_len] = '\0';
    return len;
}

/*
 * Every new TLS connection: the private CA (if any) joins the store curl
 * built from the system bundle, and OpenSSL checks the server's name
 * against subjectAltName only.  libcurl's own name check still runs, but
 * it falls back to the subject CN when a certificate has no
 * subjectAltName, a fallback RFC 6125 deprecated and docs/webhook.md
 * refuses.
 */
static CURLcode tls_setup(CURL *curl, void *ssl_ctx, void *ud)
{
    struct idw_http *h = ud;
    X509_VERIFY_PARAM *vp = SSL_CTX_get0_param(ssl_ctx);
    (void)curl;

    if (h->ca_file[0] && X509_STORE_load_file(SSL_CTX_get_cert_store(ssl_ctx), h->ca_file) != 1)
        return CURLE_SSL_CACERT_BADFILE;
    X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
    if ((h->host_is_ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, h->host)
                       : X509_VERIFY_PARAM_set1_host(vp, h->host, 0)) != 1)
        return CURLE_SSL_CERTPROBLEM;
    return CURLE_OK;
}

static struct curl_slist *header_list(const char *const *headers)
{
    struct curl_slist *list = NULL, *t;
    char ua[64];

    snprintf(ua, sizeof ua, "User-Agent: idwatch/%s", IDW_VERSION);
    list = curl_slist_append(list, ua);
    list = list ? curl_slist_append(list, "Accept: application/json") : NULL;
    for (; list && headers && *headers; headers++) {
        t = curl_slist_append(list, *headers);
        if (!t) {
            curl_slist_free_all(list);
            return NULL;
        }
        list = t;
    }
    return list;
}

static void setup(struct idw_http *h, struct idw_http_resp *r, const char *method,
                  CURLU *url, struct curl_slist *hl, const char *body, char *errbuf)
{
    CURL *c = h->curl;

    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_CURLU, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, tls_setup);
    curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, (void *)h);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, h->timeout_s);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)h);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, h->stop ? 0L : 1L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    else
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
}

/*
 * Parses url with libcurl's URL API: https only, and the host (brackets
 * off an IPv6 literal) kept for the certificate name check.  The caller
 * frees the handle.  NULL with r->error set when the URL is refused.
 */
static CURLU *parse_url(struct idw_http *h, const char *url, struct idw_http_resp *r)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    unsigned char addr[sizeof(struct in6_addr)];
    int ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
             curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK && !strcmp(scheme, "https") &&
             curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && strlen(host) < sizeof h->host;

    if (ok) {
        size_t n = strlen(host);
        if (host[0] == '[' && n > 2)
            idw_strncpy0(h->host, sizeof h->host, host + 1, strcspn(host + 1, "%]"));
        else
            idw_strlcpy(h->host, host, sizeof h->host);
        h->host_is_ip = inet_pton(AF_INET, h->host, addr) == 1 || inet_pton(AF_INET6, h->host, addr) == 1;
    } else {
        snprintf(r->error, sizeof r->error, "refusing a URL that is not https://<host>/...");
        curl_url_cleanup(u);
        u = NULL;
    }
    curl_free(scheme);
    curl_free(host);
    return u;
}

/* curl's text for a failed transfer, made specific where it says too little. */
static void explain_failure(struct idw_http *h, CURLcode rc, const char *errbuf, struct idw_http_resp *r)
{
    long verify = X509_V_OK, status = 0;

    curl_easy_getinfo(h->curl, CURLINFO_SSL_VERIFYRESULT, &verify);
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
    if (r->body_too_large) {
        snprintf(r->error, sizeof r->error, "response body larger than the 64 MiB limit");
    } else if (rc == CURLE_PEER_FAILED_VERIFICATION &&
               (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)) {
        snprintf(r->error, sizeof r->error, "TLS: the server certificate does not name %.120s in its "
                 "subjectAltName (a name only in the subject CN is not accepted)", h->host);
    } else if (rc == CURLE_OUT_OF_MEMORY && status > 0 && !r->body_len) {
        /* libcurl 7.88 reports a header line over its 100 KiB buffer as "Out of memory" */
        r->refused = 1;
        snprintf(r->error, sizeof r->error, "a response header from %.120s is over libcurl's %d-byte "
                 "limit: refused", h->host, CURL_MAX_HTTP_HEADER);
    } else {
        snprintf(r->error, sizeof r->error, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    }
}

enum idw_rc idw_http_request(struct idw_http *h, const char *method, const char *url,
                             const char *const *headers, const char *body,
                             struct idw_http_resp *r)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hl;
    CURLU *u;
    CURLcode rc;

    idw_http_resp_clear(r);
    u = parse_url(h, url, r);
    if (!u)
        return IDW_ERR;
    hl = header_list(headers);
    if (!hl) {
        curl_url_cleanup(u);
        snprintf(r->error, sizeof r->error, "out of memory");
        return IDW_ERR;
    }
    setup(h, r, method, u, hl, body, errbuf);
    rc = curl_easy_perform(h->curl);
    curl_slist_free_all(hl);
    if (rc != CURLE_OK || r->body_too_large) {
        r->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
        explain_failure(h, rc, errbuf, r);
        r->status = 0;
        curl_url_cleanup(u);
        return IDW_ERR;
    }
    curl_url_cleanup(u);
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
    /* the headers of the final response (not of 1xx interim ones) */
    if (idw_http_read_headers(curl_header, h->curl, r, h->host) < 0) {
        r->refused = 1;
        r->status = 0;
        return IDW_ERR;
    }
    if (!r->body)
        r->body = calloc(1, 1);
    if (!r->body) {
        snprintf(r->error, sizeof r->error, "out of memory");
        return IDW_ERR;
    }
    return IDW_OK;
}
