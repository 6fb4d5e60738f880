/*
 * http.c — libcurl-based HTTPS for the Okta connector (see http.h).
 */
#include "ingest/http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "common/util.h"

#ifndef IDW_VERSION
#define IDW_VERSION "0.0.0"
#endif

struct idw_http {
    CURL *curl;
    char ca_file[4096];
    long timeout_s;
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
    if (!h || !(h->curl = curl_easy_init())) {
        free(h);
        return NULL;
    }
    idw_strlcpy(h->ca_file, ca_file, sizeof h->ca_file);
    h->timeout_s = timeout_s > 0 ? timeout_s : 60;
    return h;
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
    struct tm tm = {0};
    const char *end = s ? strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm) : NULL;
    return end ? (int64_t)timegm(&tm) : 0;
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

void idw_http_parse_link(const char *value, char *out, size_t outlen)
{
    const char *p = value;

    /* one or several "<url>; params" entries, comma-separated (proxies merge lines) */
    while ((p = strchr(p, '<')) != NULL) {
        const char *url = p + 1, *close = strchr(url, '>');
        if (!close)
            return;
        const char *end = close;
        while (*end && *end != ',' ) {
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
        p = end;
    }
}

static void trim_value(const char *in, size_t n, char *out, size_t outlen)
{
    while (n && isspace((unsigned char)*in)) {
        in++;
        n--;
    }
    while (n && isspace((unsigned char)in[n - 1]))
        n--;
    idw_strncpy0(out, outlen, in, n);
}

/* Okta may send several instances of each X-Rate-Limit-* header, one per bucket. */
static void rate_header(struct idw_http_resp *r, const char *name, long v)
{
    static const char *const names[] = {"x-rate-limit-limit", "x-rate-limit-remaining",
                                        "x-rate-limit-reset"};
    for (int k = 0; k < 3; k++)
        if (!strcasecmp(name, names[k]) && r->nrate[k] < 4)
            r->rate_raw[k][r->nrate[k]++] = v;
}

/* The governing bucket is the one with the fewest requests remaining. */
static void rate_summarize(struct idw_http_resp *r)
{
    int best = -1;
    if (!r->nrate[1])
        return;
    for (int i = 0; i < r->nrate[1]; i++)
        if (best < 0 || r->rate_raw[1][i] < r->rate_raw[1][best])
            best = i;
    r->has_rate = 1;
    r->rate_remaining = (long)r->rate_raw[1][best];
    r->rate_limit = best < r->nrate[0] ? (long)r->rate_raw[0][best] : -1;
    r->rate_reset = best < r->nrate[2] ? r->rate_raw[2][best] : 0;
    /* the smallest limit matters for a concurrency violation (Limit 0, Remaining 0) */
    for (int i = 0; i < r->nrate[0]; i++)
        if (r->rate_raw[0][i] < r->rate_limit)
            r->rate_limit = (long)r->rate_raw[0][i];
}

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
    struct idw_http_resp *r = ud;
    size_t len = size * n;
    char name[64], value[4096];
    const char *colon = memchr(line, ':', len);

    if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
        /* a new response (after 100-continue): forget the previous one's headers */
        char *body = r->body;
        size_t blen = r->body_len;
        memset(r, 0, sizeof *r);
        r->body = body;
        r->body_len = blen;
        r->retry_after = -1;
        return len;
    }
    if (!colon || (size_t)(colon - line) >= sizeof name)
        return len;
    idw_strncpy0(name, sizeof name, line, (size_t)(colon - line));
    trim_value(colon + 1, len - (size_t)(colon + 1 - line), value, sizeof value);
    if (!strcasecmp(name, "link") && !r->next_url[0])
        idw_http_parse_link(value, r->next_url, sizeof r->next_url);
    else if (!strncasecmp(name, "x-rate-limit-", 13))
        rate_header(r, name, strtol(value, NULL, 10));
    else if (!strcasecmp(name, "date"))
        r->date = idw_http_parse_date(value);
    else if (!strcasecmp(name, "retry-after"))
        r->retry_after = strtol(value, NULL, 10);
    else if (!strcasecmp(name, "x-okta-request-id"))
        idw_strlcpy(r->request_id, value, sizeof r->request_id);
    else if (!strcasecmp(name, "dpop-nonce"))
        idw_strlcpy(r->dpop_nonce, value, sizeof r->dpop_nonce);
    else if (!strcasecmp(name, "www-authenticate"))
        idw_strlcpy(r->www_authenticate, value, sizeof r->www_authenticate);
    return len;
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

/* Adds the private CA to the store curl built from the system bundle. */
static CURLcode add_private_ca(CURL *curl, void *ssl_ctx, void *ud)
{
    X509_STORE *store = SSL_CTX_get_cert_store(ssl_ctx);
    (void)curl;
    return X509_STORE_load_file(store, ud) == 1 ? CURLE_OK : CURLE_SSL_CACERT_BADFILE;
}

static struct curl_slist *header_list(const char *const *headers)
{
    struct curl_slist *list = NULL, *t;
    char ua[64];

    snprintf(ua, sizeof ua, "User-Agent: idwatch/%s", IDW_VERSION);
    list = curl_slist_append(list, ua);
    list = list ? curl_slist_append(list, "Accept: application/json") : NULL;
    for (; list && headers && *headers; headers++) {
        if (!(t = curl_slist_append(list, *headers))) {
            curl_slist_free_all(list);
            return NULL;
        }
        list = t;
    }
    return list;
}

static void setup(struct idw_http *h, struct idw_http_resp *r, const char *method,
                  const char *url, struct curl_slist *hl, const char *body, char *errbuf)
{
    CURL *c = h->curl;

    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, h->timeout_s);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    if (h->ca_file[0]) {
        curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, add_private_ca);
        curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, (void *)h->ca_file);
    }
    if (strcmp(method, "POST") == 0)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    else
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
}

int idw_http_request(struct idw_http *h, const char *method, const char *url,
                     const char *const *headers, const char *body,
                     struct idw_http_resp *r)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hl;
    CURLcode rc;

    idw_http_resp_clear(r);
    if (strncmp(url, "https://", 8) != 0) {
        snprintf(r->error, sizeof r->error, "refusing a non-https URL");
        return -1;
    }
    if (!(hl = header_list(headers))) {
        snprintf(r->error, sizeof r->error, "out of memory");
        return -1;
    }
    setup(h, r, method, url, hl, body, errbuf);
    rc = curl_easy_perform(h->curl);
    curl_slist_free_all(hl);
    if (rc != CURLE_OK || r->body_too_large) {
        r->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
        snprintf(r->error, sizeof r->error, "%s", r->body_too_large
                 ? "response body larger than the 64 MiB limit"
                 : errbuf[0] ? errbuf : curl_easy_strerror(rc));
        r->status = 0;
        return -1;
    }
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
    rate_summarize(r);
    if (!r->body && (r->body = calloc(1, 1)) == NULL) {
        snprintf(r->error, sizeof r->error, "out of memory");
        return -1;
    }
    return 0;
}
