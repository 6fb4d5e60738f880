/*
 * webhook.c — webhook configuration, bodies and signatures (webhook.h).
 */
#include "deliver/webhook.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "common/util.h"

/* ---- configuration ------------------------------------------------------------ */

static double num_or(const json_t *o, const char *key, double def)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : def;
}

/*
 * "host/1a2b3c4d": the host and a hash of the whole URL.  Stable while the
 * URL is (queued entries find their webhook again after a restart), and
 * safe to log: some SOARs put a secret in the URL's path, and the user
 * and password of a URL never go into a name.  "host:port" when the URL
 * names a port, as releases before the URL API wrote it (queued entries
 * keep their webhook across the upgrade).
 */
static void default_name(const char *url, char *out, size_t outlen)
{
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL, hash[9];

    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK) {
        curl_url_get(u, CURLUPART_HOST, &host, 0);
        curl_url_get(u, CURLUPART_PORT, &port, 0);     /* only when the URL names one */
    }
    idw_sha256_hex(url, strlen(url), 4, hash);
    snprintf(out, outlen, "%.200s%s%.8s/%s", host ? host : "webhook", port ? ":" : "", port ? port : "",
             hash);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
}

static enum idw_rc read_filters(struct idw_webhook *w, const json_t *o, const char *where,
                                char *err, size_t errlen)
{
    const char *sev = json_string_value(json_object_get(o, "min_severity"));
    const char *fmt = json_string_value(json_object_get(o, "format"));
    const char *name = json_string_value(json_object_get(o, "name"));

    w->target.min_severity = IDW_SEV_MEDIUM;
    if (sev && idw_severity_parse(sev, &w->target.min_severity) < 0) {
        snprintf(err, errlen, "%s.min_severity: expected low, medium, high or critical", where);
        return IDW_ERR;
    }
    if (fmt && strcmp(fmt, "native") != 0 && strcmp(fmt, "ocsf") != 0) {
        snprintf(err, errlen, "%s.format: expected \"native\" or \"ocsf\"", where);
        return IDW_ERR;
    }
    w->format = fmt && !strcmp(fmt, "ocsf") ? IDW_WEBHOOK_OCSF : IDW_WEBHOOK_NATIVE;
    w->target.deliver_historical = json_is_true(json_object_get(o, "deliver_historical"));
    w->target.incidents = json_is_true(json_object_get(o, "incidents"));
    if (w->target.incidents && w->format == IDW_WEBHOOK_OCSF) {
        snprintf(err, errlen, "%s.incidents: incidents are delivered in the native format only "
                 "(OCSF has no incident class idwatch maps to)", where);
        return IDW_ERR;
    }
    if (name && *name)
        idw_strlcpy(w->target.name, name, sizeof w->target.name);
    else
        default_name(w->url, w->target.name, sizeof w->target.name);
    return IDW_OK;
}

static enum idw_rc read_timing(struct idw_webhook *w, const json_t *o, const char *where,
                               char *err, size_t errlen)
{
    double timeout = num_or(o, "timeout_s", 10), attempts = num_or(o, "max_4xx_attempts", 3);

    /* range-checked as doubles first: no out-of-range conversion */
    w->timeout_s = timeout >= 1 && timeout <= 300 ? (long)timeout : 0;
    w->retry_base_s = num_or(o, "retry_base_s", 2);
    w->retry_cap_s = num_or(o, "retry_cap_s", 3600);
    w->max_4xx_attempts = attempts >= 1 && attempts <= 100 ? (int)attempts : 0;
    w->give_up_hours = num_or(o, "give_up_hours", 72);
    if (w->timeout_s < 1 || w->timeout_s > 300 || w->retry_base_s < 0.05 ||
        w->retry_cap_s < w->retry_base_s || w->retry_cap_s > 86400 || w->max_4xx_attempts < 1 ||
        w->max_4xx_attempts > 100 || w->give_up_hours <= 0 || w->give_up_hours > 24 * 365) {
        snprintf(err, errlen, "%s: need 1 <= timeout_s <= 300, 0.05 <= retry_base_s <= retry_cap_s <= "
                 "86400, 1 <= max_4xx_attempts <= 100, 0 < give_up_hours <= 8760", where);
        return IDW_ERR;
    }
    return IDW_OK;
}

/* Parses url with libcurl: IDW_OK when it is an https URL with a host, else IDW_ERR with err. */
static enum idw_rc check_url(const char *url, const char *where, char *err, size_t errlen)
{
    CURLU *u;
    char *scheme = NULL, *host = NULL;
    int ok;

    for (const unsigned char *c = (const unsigned char *)url; *c; c++)
        if (*c < 0x21 || *c == 0x7f) {
            /* CR/LF would split the request line; never sent, never logged */
            snprintf(err, errlen, "%s.url: contains a space or control character at offset %zu",
                     where, (size_t)(c - (const unsigned char *)url));
            return IDW_ERR;
        }
    u = curl_url();
    if (!u) {
        snprintf(err, errlen, "%s.url: out of memory", where);
        return IDW_ERR;
    }
    ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
         curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
         curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
         !strcmp(scheme, "https") && *host;
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    if (!ok) {
        snprintf(err, errlen, "%s.url: expected an https:// URL with a host (TLS is always verified)",
                 where);
        return IDW_ERR;
    }
    return IDW_OK;
}

/* The URL and the filters: all the outbox needs. */
static enum idw_rc read_target(struct idw_webhook *w, const json_t *o, const char *where,
                               char *err, size_t errlen)
{
    const char *url = json_string_value(json_object_get(o, "url"));

    if (!url || strlen(url) >= sizeof w->url) {
        snprintf(err, errlen, "%s.url: expected an https:// URL of at most %zu bytes", where,
                 sizeof w->url - 1);
        return IDW_ERR;
    }
    if (check_url(url, where, err, errlen) < 0)
        return IDW_ERR;
    idw_strlcpy(w->url, url, sizeof w->url);
    return read_filters(w, o, where, err, errlen);
}

/* A CA bundle that is missing would only surface at the first delivery, days later. */
static enum idw_rc check_ca_file(const char *ca, const char *where, char *err, size_t errlen)
{
    struct stat sb;

    if (stat(ca, &sb) != 0 || access(ca, R_OK) != 0) {
        snprintf(err, errlen, "%s.ca_file: %s: %s", where, ca, strerror(errno));
        return IDW_ERR;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(err, errlen, "%s.ca_file: %s: not a regular file", where, ca);
        return IDW_ERR;
    }
    return IDW_OK;
}

static enum idw_rc load_one(struct idw_webhook *w, const json_t *o, size_t i, char *err, size_t errlen)
{
    char where[64], what[96];
    const char *ca = json_string_value(json_object_get(o, "ca_file"));

    snprintf(where, sizeof where, "webhooks[%zu]", i);
    if (read_target(w, o, where, err, errlen) < 0 || read_timing(w, o, where, err, errlen) < 0)
        return IDW_ERR;
    if (ca && *ca && check_ca_file(ca, where, err, errlen) < 0)
        return IDW_ERR;
    snprintf(what, sizeof what, "%s.secret", where);
    w->secret = idw_secret_load(json_string_value(json_object_get(o, "secret_file")),
                                json_string_value(json_object_get(o, "secret_env")), what, err, errlen);
    if (!w->secret)
        return IDW_ERR;
    w->http = idw_http_new(ca && *ca ? ca : NULL, w->timeout_s);
    if (!w->http) {
        snprintf(err, errlen, "%s: cannot set up the HTTPS client", where);
        return IDW_ERR;
    }
    return IDW_OK;
}

/* Whether webhook i repeats the name of an earlier one; err says which when it does. */
static int name_repeated(const struct idw_webhooks *wh, size_t i, char *err, size_t errlen)
{
    for (size_t j = 0; j < i; j++)
        if (!strcmp(wh->w[j].target.name, wh->w[i].target.name)) {
            snprintf(err, errlen, "webhooks[%zu]: the name (or URL) repeats webhooks[%zu]'s", i, j);
            return 1;
        }
    return 0;
}

enum idw_rc idw_webhooks_load(const json_t *root, struct idw_webhooks **out, char *err, size_t errlen)
{
    const json_t *arr = json_object_get(root, "webhooks");
    struct idw_webhooks *wh;
    size_t n = json_array_size(arr);

    *out = NULL;
    if (n == 0)
        return IDW_OK;
    wh = calloc(1, sizeof *wh);
    if (wh) {
        wh->w = calloc(n, sizeof *wh->w);
        wh->targets = calloc(n, sizeof *wh->targets);
    }
    if (!wh || !wh->w || !wh->targets) {
        idw_webhooks_free(wh);
        snprintf(err, errlen, "webhooks: out of memory");
        return IDW_ERR;
    }
    for (size_t i = 0; i < n; i++) {
        wh->n++;        /* freed with the rest even when half loaded */
        if (load_one(&wh->w[i], json_array_get(arr, i), i, err, errlen) < 0 ||
            name_repeated(wh, i, err, errlen)) {
            idw_webhooks_free(wh);
            return IDW_ERR;
        }
        wh->targets[i] = wh->w[i].target;
    }
    *out = wh;
    return IDW_OK;
}

void idw_webhooks_free(struct idw_webhooks *wh)
{
    if (!wh)
        return;
    for (size_t i = 0; wh->w && i < wh->n; i++) {
        idw_secret_free(wh->w[i].secret);
        idw_http_free(wh->w[i].http);
    }
    free(wh->w);
    free(wh->targets);
    free(wh);
}

/* The settings a callback target must have (idw_webhooks_add_callback); IDW_ERR with err naming it. */
static enum idw_rc check_callback(const struct idw_webhooks *wh, const struct idw_callback_target *cb,
                                  char *err, size_t errlen)
{
    const char *name = cb->target.name;

    if (!cb->send || !name[0] || idw_webhook_find((struct idw_webhooks *)wh, name)) {
        snprintf(err, errlen, "delivery target '%s': %s", name,
                 !cb->send ? "no send function" : !name[0] ? "no name" : "the name is already a webhook's");
        return IDW_ERR;
    }
    if (cb->timeout_s < 1 || cb->timeout_s > 300 || cb->retry_base_s < 0.05 ||
        cb->retry_cap_s < cb->retry_base_s || cb->retry_cap_s > 86400 || cb->max_permanent_attempts < 1 ||
        cb->max_permanent_attempts > 100 || cb->give_up_hours <= 0 || cb->give_up_hours > 24 * 365) {
        snprintf(err, errlen, "delivery target '%s': need 1 <= timeout_s <= 300, 0.05 <= retry_base_s <= "
                 "retry_cap_s <= 86400, 1 <= max_permanent_attempts <= 100, 0 < give_up_hours <= 8760", name);
        return IDW_ERR;
    }
    return IDW_OK;
}

/* Room for one more entry in wh's two arrays; IDW_ERR when out of memory (wh as it was). */
static enum idw_rc grow(struct idw_webhooks *wh)
{
    struct idw_webhook *w = realloc(wh->w, (wh->n + 1) * sizeof *w);
    struct idw_outbox_target *t;

    if (!w)
        return IDW_ERR;
    wh->w = w;
    t = realloc(wh->targets, (wh->n + 1) * sizeof *t);
    if (!t)
        return IDW_ERR;
    wh->targets = t;
    return IDW_OK;
}

enum idw_rc idw_webhooks_add_callback(struct idw_webhooks **wh, const struct idw_callback_target *cb,
                                      char *err, size_t errlen)
{
    const int fresh = *wh == NULL;
    struct idw_webhooks *set = fresh ? calloc(1, sizeof *set) : *wh;
    enum idw_rc rc = IDW_ERR;

    if (!set)
        snprintf(err, errlen, "delivery target '%s': out of memory", cb->target.name);
    else if (check_callback(set, cb, err, errlen) == IDW_OK) {
        rc = grow(set);
        if (rc != IDW_OK)
            snprintf(err, errlen, "delivery target '%s': out of memory", cb->target.name);
    }
    if (rc != IDW_OK) {
        if (fresh)
            idw_webhooks_free(set);
        return IDW_ERR;
    }
    set->w[set->n] = (struct idw_webhook){
        .target = cb->target, .format = IDW_WEBHOOK_NATIVE, .timeout_s = cb->timeout_s,
        .retry_base_s = cb->retry_base_s, .retry_cap_s = cb->retry_cap_s,
        .max_4xx_attempts = cb->max_permanent_attempts, .give_up_hours = cb->give_up_hours,
        .send = cb->send, .send_ctx = cb->ctx,
    };
    set->targets[set->n++] = cb->target;
    *wh = set;
    return IDW_OK;
}

enum idw_rc idw_webhook_targets(const json_t *root, struct idw_outbox_target **out, size_t *n,
                                char *err, size_t errlen)
{
    const json_t *arr = json_object_get(root, "webhooks");
    struct idw_webhook w;
    char where[64];

    *out = NULL;
    *n = 0;
    if (json_array_size(arr) == 0)
        return IDW_OK;
    *out = calloc(json_array_size(arr), sizeof **out);
    if (!*out) {
        snprintf(err, errlen, "webhooks: out of memory");
        return IDW_ERR;
    }
    for (size_t i = 0; i < json_array_size(arr); i++) {
        memset(&w, 0, sizeof w);
        snprintf(where, sizeof where, "webhooks[%zu]", i);
        if (read_target(&w, json_array_get(arr, i), where, err, errlen) < 0) {
            free(*out);
            *out = NULL;
            *n = 0;
            return IDW_ERR;
        }
        (*out)[(*n)++] = w.target;
    }
    return IDW_OK;
}

struct idw_webhook *idw_webhook_find(struct idw_webhooks *wh, const char *name)
{
    for (size_t i = 0; wh && name && i < wh->n; i++)
        if (!strcmp(wh->w[i].target.name, name))
            return &wh->w[i];
    return NULL;
}

/* ---- bodies and signatures ----------------------------------------------------- */

char *idw_webhook_body(const struct idw_webhook *w, const json_t *alert)
{
    json_t *doc;
    char *body;

    if (w->format == IDW_WEBHOOK_NATIVE)
        return json_dumps(alert, JSON_COMPACT | JSON_SORT_KEYS);
    doc = idw_ocsf_detection_finding(alert);
    if (!doc)
        return NULL;
    body = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(doc);
    return body;
}

enum idw_rc idw_webhook_sign(const struct idw_webhook *w, int64_t ts, const char *body, char *out,
                             size_t outlen)
{
    char hex[65], *msg;
    size_t blen = strlen(body);
    int n;

    if (outlen)
        out[0] = '\0';
    if (outlen < IDW_WEBHOOK_SIG_LEN || !w->secret)
        return IDW_ERR;         /* a cut signature would be refused by the receiver for good */
    msg = malloc(blen + 32);
    if (!msg)
        return IDW_ERR;
    n = snprintf(msg, blen + 32, "%lld.%s", (long long)ts, body);
    idw_hmac_sha256_hex((const unsigned char *)w->secret, strlen(w->secret), msg, (size_t)n, 32, hex);
    free(msg);
    snprintf(out, outlen, "v1=%s", hex);
    return IDW_OK;
}
