/*
 * okta_poll.c — the System Log poller (see okta_poll.h for the algorithm).
 *
 * State per org lives in the store's meta table ("okta_state"): the
 * cursor, counters, the pause flag, the last rate-limit reading.  Page
 * events go to the page sink (page_sink.h) and are committed through its
 * commit hook, so the cursor and the events it covers are one
 * transaction; failures and pauses are saved in a small transaction of
 * their own.  Nothing here knows the pipeline or the rules behind the sink.
 */
#include "source/okta_poll.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/rand.h>

#include "common/log.h"
#include "common/util.h"
#include "source/http.h"
#include "source/okta_auth.h"

#define OVERLAP_MS (5 * 60 * 1000)      /* re-read window when a cursor is rejected */
#define MAX_BACKOFF_MS (300 * 1000)
#define MAX_RATE_WAIT_MS (120 * 1000)  /* the cap on a reset, Retry-After or rate backoff wait */
#define STARVE_LOG_EVERY_MS (60 * 1000) /* while starved, one warning a minute at most */
#define STARVED_RULE "connector_starved"

/* A log line about one org, with its domain_id as a structured "org" field. */
#define org_log(p, level, ...) \
    idw_log_fields(level, json_pack("{s:s}", "org", (p)->org.domain_id), __VA_ARGS__)

struct idw_okta_poller {
    struct idw_store *st;
    struct idw_okta_org org;
    struct idw_poll_opts o;
    struct idw_http *http;
    struct idw_okta_auth *auth;
    json_t *state;              /* the persisted document, kept in step with the store */
    int dry;                    /* connection test: no store, no logging of failures */
    int64_t skew_s;             /* server Date - local clock */
    int64_t started_ms;         /* when this poller started (for the progress ETA) */
    int64_t started_published;  /* newest event time when it started */
    int64_t progress_logged_ms; /* the last backfill progress line in the log */
    uint64_t page_events, page_published_max;
    char cur_url[4096];         /* the request in flight: a full page must not point back to it */
    int64_t active_since_ms;    /* polling since (start or resume): starvation counts from here,
                                   at the earliest */
    int64_t starve_logged_ms;   /* the last starvation warning */
    /* the request between idw_okta_poll_fetch and idw_okta_poll_finish */
    struct idw_http_resp resp;
    enum idw_okta_fail fetch_af;
    int fetch_rc;
    char fetch_err[512];
};

/* ---- org settings ---------------------------------------------------------------- */

static int known_okta_host(const char *host)
{
    static const char *const suffixes[] = {
        ".okta.com", ".oktapreview.com", ".okta-emea.com", ".okta-gov.com", ".okta.mil",
        ".okta-miltest.com", ".trex-govcloud.com",
    };
    size_t hl = strlen(host);
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t sl = strlen(suffixes[i]);
        if (hl > sl && strncasecmp(host + hl - sl, suffixes[i], sl) == 0)
            return 1;
    }
    return 0;
}

/* Is part of u absent (as an org URL and a next link must lack user info, query, fragment)? */
static int url_lacks(CURLU *u, CURLUPart part)
{
    char *v = NULL;
    CURLUcode rc = curl_url_get(u, part, &v, 0);
    curl_free(v);
    return rc != CURLUE_OK;
}

/* Part of u into out (bounded); -1 when absent or too long. */
static int url_part(CURLU *u, CURLUPart part, unsigned flags, char *out, size_t outlen)
{
    char *v = NULL;
    int ok = curl_url_get(u, part, &v, flags) == CURLUE_OK && strlen(v) < outlen;
    if (ok)
        idw_strlcpy(out, v, outlen);
    curl_free(v);
    return ok ? 0 : -1;
}

/* scheme https, a host, no user info, no path beyond "/", no query or fragment. */
static int org_url_parts(const char *url, struct idw_okta_org *o)
{
    CURLU *u = curl_url();
    char scheme[16], path[8], port[8] = "";
    int ok = u && url && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
             url_part(u, CURLUPART_SCHEME, 0, scheme, sizeof scheme) == 0 && !strcmp(scheme, "https") &&
             url_part(u, CURLUPART_HOST, 0, o->hostname, sizeof o->hostname) == 0 &&
             url_lacks(u, CURLUPART_USER) && url_lacks(u, CURLUPART_PASSWORD) &&
             url_lacks(u, CURLUPART_OPTIONS) && url_lacks(u, CURLUPART_QUERY) &&
             url_lacks(u, CURLUPART_FRAGMENT) &&
             url_part(u, CURLUPART_PATH, 0, path, sizeof path) == 0 && !strcmp(path, "/") &&
             (url_lacks(u, CURLUPART_PORT) || url_part(u, CURLUPART_PORT, 0, port, sizeof port) == 0);

    curl_url_cleanup(u);
    if (!ok)
        return -1;
    o->port = port[0] ? strtol(port, NULL, 10) : 443;
    snprintf(o->host, sizeof o->host, "%s%s%s", o->hostname, port[0] ? ":" : "", port);
    return 0;
}

static int parse_org_url(const char *url, int custom_ok, struct idw_okta_org *o,
                         char *err, size_t errlen)
{
    if (!url || strncasecmp(url, "https://", 8) != 0) {
        snprintf(err, errlen, "org_url: must start with https://");
        return -1;
    }
    if (strchr(url, '{')) {
        snprintf(err, errlen, "org_url: '%.200s' looks like a placeholder", url);
        return -1;
    }
    if (org_url_parts(url, o) < 0) {
        snprintf(err, errlen, "org_url: expected https://<org host> with no path, query or user info");
        return -1;
    }
    if (strstr(o->host, ".com.com")) {
        snprintf(err, errlen, "org_url: '%s' looks like a placeholder or a typo", o->host);
        return -1;
    }
    if (strstr(o->host, "-admin.")) {
        snprintf(err, errlen, "org_url: '%s' is the Admin Console host; use the org host "
                 "without -admin", o->host);
        return -1;
    }
    if (!known_okta_host(o->hostname) && !custom_ok) {
        snprintf(err, errlen, "org_url: '%s' is not an Okta domain; set \"custom_domain\": true "
                 "if it is your org's custom domain", o->host);
        return -1;
    }
    snprintf(o->base, sizeof o->base, "https://%s", o->host);
    return 0;
}

static int get_int(const json_t *j, const char *key, int def, int lo, int hi, int *out,
                   const char *dom, char *err, size_t errlen)
{
    const json_t *v = json_object_get(j, key);
    json_int_t x = v ? json_integer_value(v) : def;
    if (x < lo || x > hi) {
        snprintf(err, errlen, "orgs[%s].%s: must be between %d and %d", dom, key, lo, hi);
        return -1;
    }
    *out = (int)x;
    return 0;
}

enum idw_rc idw_okta_org_read(const struct idw_org_config *oc, struct idw_okta_org *o,
                              char *err, size_t errlen)
{
    const json_t *j = oc->json, *share = json_object_get(j, "rate_limit_share");
    const json_t *starve_min = json_object_get(j, "starvation_alert_minutes");
    const char *d = oc->domain_id;

    memset(o, 0, sizeof *o);
    idw_strlcpy(o->domain_id, d, sizeof o->domain_id);
    if (parse_org_url(json_string_value(json_object_get(j, "org_url")),
                      json_is_true(json_object_get(j, "custom_domain")), o, err, errlen) < 0 ||
        get_int(j, "poll_interval_s", 60, 5, 3600, &o->poll_interval_s, d, err, errlen) < 0 ||
        get_int(j, "page_limit", 1000, 1, 1000, &o->page_limit, d, err, errlen) < 0 ||
        get_int(j, "backfill_days", 14, 0, 90, &o->backfill_days, d, err, errlen) < 0 ||
        get_int(j, "max_consecutive_failures", 5, 1, 1000, &o->max_failures, d, err, errlen) < 0 ||
        get_int(j, "timeout_s", 60, 5, 600, &o->timeout_s, d, err, errlen) < 0)
        return IDW_ERR;
    o->rate_share = share ? json_number_value(share) : 0.5;
    if (o->rate_share <= 0 || o->rate_share > 1) {
        snprintf(err, errlen, "orgs[%s].rate_limit_share: must be > 0 and <= 1", d);
        return IDW_ERR;
    }
    /* a fraction is allowed (0.05 = 3 s), which the tests use */
    double starve = starve_min ? json_number_value(starve_min) : 15;
    if (!(starve > 0 && starve <= 10080)) {
        snprintf(err, errlen, "orgs[%s].starvation_alert_minutes: must be > 0 and <= 10080 (a week)", d);
        return IDW_ERR;
    }
    o->starvation_alert_ms = (int64_t)(starve * 60000.0);
    if (!json_is_object(json_object_get(j, "auth"))) {
        snprintf(err, errlen, "orgs[%s].auth: required for polling", d);
        return IDW_ERR;
    }
    o->auth = json_object_get(j, "auth");
    idw_strlcpy(o->ca_file, json_string_value(json_object_get(j, "ca_file")), sizeof o->ca_file);
    if (o->ca_file[0] && access(o->ca_file, R_OK) != 0) {
        snprintf(err, errlen, "orgs[%s].ca_file: %s: %s", d, o->ca_file, strerror(errno));
        return IDW_ERR;
    }
    return IDW_OK;
}

/* ---- state ------------------------------------------------------------------------ */

enum idw_rc idw_okta_state_get(struct idw_store *st, const char *domain, json_t **out,
                               char *err, size_t errlen)
{
    MDB_txn *txn;
    char why[512] = "";
    enum idw_rc rc = IDW_ERR;

    *out = NULL;
    if (idw_store_begin(st, 1, &txn, why, sizeof why) == IDW_OK) {
        rc = idw_store_meta_get(st, txn, "okta_state", domain, out, why, sizeof why);
        mdb_txn_abort(txn);
    }
    if (rc == IDW_OK && !json_is_object(*out)) {
        snprintf(why, sizeof why, "not a JSON object");
        json_decref(*out);
        *out = NULL;
        rc = IDW_ERR;
    }
    if (rc < 0)
        snprintf(err, errlen, "%s: the connector state (okta_state) cannot be read: %s", domain, why);
    else
        snprintf(err, errlen, "%s", "");
    return rc;
}

static enum idw_rc state_write(struct idw_store *st, MDB_txn *txn, void *ctx, char *err, size_t errlen)
{
    struct idw_okta_poller *p = ctx;
    return idw_store_meta_put(st, txn, "okta_state", p->org.domain_id, p->state, err, errlen);
}

static int state_save(struct idw_okta_poller *p)
{
    char err[256];
    MDB_txn *txn;

    if (p->dry)
        return 0;
    if (idw_store_begin(p->st, 0, &txn, err, sizeof err) < 0 ||
        state_write(p->st, txn, p, err, sizeof err) < 0 ||
        idw_store_commit(txn, err, sizeof err) < 0) {
        org_log(p, IDW_LOG_ERROR, "%s: cannot save connector state: %s", p->org.domain_id, err);
        return -1;
    }
    return 0;
}

static json_int_t sget(const struct idw_okta_poller *p, const char *k)
{
    return json_integer_value(json_object_get(p->state, k));
}

static void sset(struct idw_okta_poller *p, const char *k, json_int_t v)
{
    json_object_set_new(p->state, k, json_integer(v));
}

static void sinc(struct idw_okta_poller *p, const char *k, json_int_t by)
{
    sset(p, k, sget(p, k) + by);
}

static const char *sstr(const struct idw_okta_poller *p, const char *k)
{
    return json_string_value(json_object_get(p->state, k));
}

void idw_okta_poller_set_cursor(struct idw_okta_poller *p, const char *url, int64_t newest_ms,
                                int64_t live_from_ms)
{
    if (url && *url)
        json_object_set_new(p->state, "next_url", json_string(url));
    if (newest_ms > 0)
        sset(p, "last_published_ms", newest_ms);
    if (live_from_ms > 0)
        sset(p, "live_from_ms", live_from_ms);
}

const char *idw_okta_poller_cursor(const struct idw_okta_poller *p)
{
    return sstr(p, "next_url");
}

enum idw_rc idw_okta_resume(struct idw_store *st, const char *domain, char *err, size_t errlen)
{
    json_t *doc;
    MDB_txn *txn;
    enum idw_rc rc = idw_okta_state_get(st, domain, &doc, err, errlen);
    int was = doc && json_is_true(json_object_get(doc, "paused"));

    if (rc != IDW_OK)
        return rc;      /* NOTFOUND: no state, so not paused; ERR: unreadable, said in err */
    json_object_set_new(doc, "paused", json_false());
    json_object_del(doc, "pause_reason");
    json_object_set_new(doc, "consecutive_failures", json_integer(0));
    if (idw_store_begin(st, 0, &txn, err, errlen) < 0 ||
        idw_store_meta_put(st, txn, "okta_state", domain, doc, err, errlen) < 0 ||
        idw_store_commit(txn, err, errlen) < 0) {
        json_decref(doc);
        return IDW_ERR;
    }
    json_decref(doc);
    return was ? IDW_OK : IDW_NOTFOUND;
}

/* ---- time and waiting ---------------------------------------------------------------- */

int idw_sleep_ms(long ms, volatile sig_atomic_t *stop)
{
    while (ms > 0) {
        if (stop && *stop)
            return 1;
        long step = ms < 100 ? ms : 100;
        struct timespec ts = {step / 1000, (step % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
    return stop && *stop;
}

static long jitter_ms(long max)
{
    unsigned int r = 0;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
        r = (unsigned int)time(NULL);
    return max > 0 ? (long)(r % (unsigned)max) : 0;
}

/* Milliseconds until the server's epoch-second reset, by the server's clock. */
static long until_reset_ms(const struct idw_okta_poller *p, int64_t reset)
{
    int64_t server_now = (int64_t)time(NULL) + p->skew_s;
    int64_t s = reset - server_now + 1;     /* http.c bounds reset to 0 .. 2^31 * 1000 */
    if (s < 1)
        s = 1;
    return s > MAX_RATE_WAIT_MS / 1000 ? MAX_RATE_WAIT_MS : (long)(s * 1000);
}

/* Proactive pacing: leave (1 - rate_limit_share) of the bucket to everyone else. */
static long rate_wait_ms(const struct idw_okta_poller *p)
{
    json_int_t limit = sget(p, "rate_limit"), remaining = sget(p, "rate_remaining");
    json_int_t reset = sget(p, "rate_reset");

    if (!json_object_get(p->state, "rate_remaining") || reset <= (json_int_t)time(NULL) + p->skew_s)
        return 0;
    if (limit == 0 && remaining == 0)
        return 1000;    /* a concurrency violation: a slot frees up soon */
    if ((double)remaining <= (double)limit * (1.0 - p->org.rate_share))
        return until_reset_ms(p, reset) + jitter_ms(1000);
    return 0;
}

static void note_rate(struct idw_okta_poller *p, const struct idw_http_resp *r)
{
    if (r->date)
        p->skew_s = r->date - (int64_t)time(NULL);
    if (!r->has_rate)
        return;
    sset(p, "rate_limit", r->rate_limit);
    sset(p, "rate_remaining", r->rate_remaining);
    sset(p, "rate_reset", r->rate_reset);
}

/* ---- failures ------------------------------------------------------------------------ */

enum fail_kind { F_TRANSIENT, F_STOP };

static enum idw_poll_result pause_org(struct idw_okta_poller *p, const char *why)
{
    char now[IDW_TIME_STRLEN];
    idw_time_format(idw_now_ms(), now);
    json_object_set_new(p->state, "paused", json_true());
    json_object_set_new(p->state, "pause_reason", json_string(why));
    json_object_set_new(p->state, "paused_at", json_string(now));
    /* a paused org does not poll: no rate limit is starving it any more */
    json_object_del(p->state, "starved_since_ms");
    json_object_del(p->state, "starved_answers");
    json_object_del(p->state, "starvation_alerted");
    state_save(p);
    if (!p->dry)
        org_log(p, IDW_LOG_ERROR, "%s: PAUSED: %s. Fix the cause, then run `idwatch okta resume %s`.",
              p->org.domain_id, why, p->org.domain_id);
    return IDW_POLL_PAUSED;
}

static enum idw_poll_result failed(struct idw_okta_poller *p, enum fail_kind kind,
                                   long hint_ms, long *wait_ms, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static enum idw_poll_result failed(struct idw_okta_poller *p, enum fail_kind kind,
                                   long hint_ms, long *wait_ms, const char *fmt, ...)
{
    char text[1024], msg[768];
    va_list ap;
    json_int_t n;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    /* quotes of the server's text: cut whole characters, or last_error would not be stored */
    msg[0] = '\0';
    idw_http_text_append(msg, sizeof msg, text, sizeof msg);
    sinc(p, "consecutive_failures", 1);
    sinc(p, "failures_total", 1);
    n = sget(p, "consecutive_failures");
    json_object_set_new(p->state, "last_error", json_string(msg));
    if (kind == F_STOP)
        return pause_org(p, msg);
    if (n >= p->org.max_failures) {
        char why[900];
        snprintf(why, sizeof why, "%lld failures in a row, the last: %s", (long long)n, msg);
        return pause_org(p, why);
    }
    long backoff = 1000L << (n - 1 < 9 ? n - 1 : 9);
    if (backoff > MAX_BACKOFF_MS)
        backoff = MAX_BACKOFF_MS;
    backoff += jitter_ms(backoff / 2 + 1);
    *wait_ms = hint_ms > backoff ? hint_ms : backoff;
    if (!p->dry)
        org_log(p, IDW_LOG_WARN, "%s: %s (failure %lld of %d; retrying in %.1f s)", p->org.domain_id, msg,
                 (long long)n, p->org.max_failures, *wait_ms / 1000.0);
    state_save(p);
    return IDW_POLL_RETRY;
}

/* See okta_poll.h. */
void idw_okta_error_text(const struct idw_http_resp *r, char *out, size_t outlen)
{
    json_t *j = json_loads(r->body ? r->body : "", 0, NULL);
    const char *code = json_string_value(json_object_get(j, "errorCode"));
    const char *sum = json_string_value(json_object_get(j, "errorSummary"));
    const char *id = json_string_value(json_object_get(j, "errorId"));
    const char *e = json_string_value(json_object_get(j, "error"));
    const char *ed = json_string_value(json_object_get(j, "error_description"));
    char t[1024] = "";

    /* the server's text, made safe for a log line and the state's JSON */
    if (code) {
        idw_http_text_append(t, sizeof t, code, 200);
        idw_http_text_append(t, sizeof t, " ", 1);
        idw_http_text_append(t, sizeof t, sum ? sum : "", 200);
        if (id) {
            idw_http_text_append(t, sizeof t, " (errorId ", 10);
            idw_http_text_append(t, sizeof t, id, 200);
            idw_http_text_append(t, sizeof t, ")", 1);
        }
    } else if (e) {
        idw_http_text_append(t, sizeof t, e, 200);
        idw_http_text_append(t, sizeof t, " ", 1);
        idw_http_text_append(t, sizeof t, ed ? ed : "", 200);
    } else if (r->www_authenticate[0]) {
        idw_http_text_append(t, sizeof t, r->www_authenticate, 300);
    } else {
        snprintf(t, sizeof t, "no error body");
    }
    out[0] = '\0';
    idw_http_text_append(out, outlen, t, outlen);      /* cut, if it must be, at the end only */
    json_decref(j);
}

/* 401/403/400 explained for the person who has to fix them. */
static enum idw_poll_result refused(struct idw_okta_poller *p, const struct idw_http_resp *r,
                                    long *wait_ms)
{
    char detail[600];
    const char *hint = "";
    int ssws = strncmp(idw_okta_auth_describe(p->auth), "ssws", 4) == 0;

    idw_okta_error_text(r, detail, sizeof detail);
    if (r->status == 401)
        hint = ssws ? "the API token is invalid, revoked, or expired (unused for 30 days)"
                    : "the access token was rejected even after renewal (revoked app or wrong audience)";
    else if (r->status == 403 && strstr(r->www_authenticate, "insufficient_scope"))
        hint = "the token lacks the scope okta.logs.read: grant it on the app's Okta API Scopes tab";
    else if (r->status == 403)
        hint = ssws ? "the token's admin cannot read the System Log: give it a read-only admin role"
                    : "the service app has no admin role that can read the System Log: "
                      "assign Read-Only Administrator on its Admin Roles tab";
    else if (strstr(detail, "DPoP") || strstr(detail, "dpop") || strstr(r->www_authenticate, "DPoP"))
        hint = "the app requires DPoP: set \"dpop\": true in the org's auth";
    else
        hint = "the request was refused as invalid";
    return failed(p, F_STOP, 0, wait_ms, "HTTP %ld from /api/v1/logs: %s; %s (request %s)",
                  r->status, hint, detail, r->request_id[0] ? r->request_id : "-");
}

/* ---- rate limiting and starvation ------------------------------------------------------ */

/* "45s", "2m10s", "3h05m" */
static void fmt_duration(int64_t ms, char out[32])
{
    long long s = ms > 0 ? (long long)(ms / 1000) : 0;
    if (s < 60)
        snprintf(out, 32, "%llds", s);
    else if (s < 3600)
        snprintf(out, 32, "%lldm%02llds", s / 60, s % 60);
    else
        snprintf(out, 32, "%lldh%02lldm", s / 3600, s % 3600 / 60);
}

/* Rate limiting, not a fault: a 429, or an error answer saying the bucket is empty. */
static int rate_limited_answer(const struct idw_http_resp *r)
{
    return r->status == 429 ||
           ((r->status >= 500 || r->status == 408) && r->has_rate && r->rate_remaining == 0);
}

/* What the answer asks to wait for (the bucket's reset, Retry-After), capped at MAX_RATE_WAIT_MS. */
static long rate_hint_ms(const struct idw_okta_poller *p, const struct idw_http_resp *r)
{
    long hint = r->rate_reset ? until_reset_ms(p, r->rate_reset) : 0;

    if (r->retry_after > MAX_RATE_WAIT_MS / 1000) {     /* compared in seconds: no overflow */
        if (!p->dry)
            org_log(p, IDW_LOG_WARN, "%s: Retry-After of %ld s is over the %d s cap: waiting %d s at most",
                    p->org.domain_id, r->retry_after, MAX_RATE_WAIT_MS / 1000, MAX_RATE_WAIT_MS / 1000);
        return MAX_RATE_WAIT_MS;
    }
    if (r->retry_after > 0 && r->retry_after * 1000 > hint)
        hint = r->retry_after * 1000;
    return hint;
}

/*
 * The connector_starved alert (T1562 Impair Defenses: starving a detector
 * of its log is a way to blind it): raised once a starvation lasts
 * starvation_alert_minutes, updated with the outcome when it ends.  The
 * poller writes its text; the sink's starved callback raises it.
 * Returns 0 when stored, 1 without a callback (a connection test), -1
 * on a storage failure.
 */
static int starvation_alert(struct idw_okta_poller *p, int64_t since, json_int_t answers, int64_t ended)
{
    char from[IDW_TIME_STRLEN], to[IDW_TIME_STRLEN], dur[32], err[512], summary[256], evidence[768];
    int64_t now = idw_now_ms();

    if (!p->o.sink.starved || p->dry)
        return 1;
    idw_time_format(since, from);
    idw_time_format(ended, to);
    fmt_duration((ended ? ended : now) - since, dur);
    snprintf(summary, sizeof summary, "idwatch %s starved of the System Log of %s for %s by rate limiting%s",
             ended ? "was" : "is", p->org.domain_id, dur, ended ? " (ended)" : "");
    if (ended)
        snprintf(evidence, sizeof evidence, "No System Log page from %s to %s (%s): ", from, to, dur);
    else
        snprintf(evidence, sizeof evidence, "No System Log page since %s (%s so far): ", from, dur);
    snprintf(evidence + strlen(evidence), sizeof evidence - strlen(evidence),
             "%lld rate-limited answers (HTTP 429 E0000047 or X-Rate-Limit-Remaining 0) while idwatch kept "
             "to %.0f%% of the rate limit. %s", (long long)answers, p->org.rate_share * 100,
             ended ? "Polling resumed and read the events of that time: detection was delayed, not lost."
                   : "Another client is using up the org's System Log rate limit; until it stops, "
                     "sign-ins and admin changes go unseen.");
    if (p->o.sink.starved(p->o.sink.starved_ctx, p->org.domain_id, since, ended, summary, evidence,
                          err, sizeof err) < 0) {
        org_log(p, IDW_LOG_ERROR, "%s: cannot store the %s alert: %s", p->org.domain_id, STARVED_RULE, err);
        return -1;
    }
    return 0;
}

/* Logs a rate-limited answer (first, then once a minute) and raises the alert when due;
 * -1 storage failure. */
static int starvation_note(struct idw_okta_poller *p, long status, long wait_ms)
{
    int64_t now = idw_now_ms(), since = sget(p, "starved_since_ms");
    json_int_t n = sget(p, "starved_answers");
    char dur[32];

    if (p->dry)
        return 0;
    fmt_duration(now - since, dur);
    if (n == 1 || now - p->starve_logged_ms >= STARVE_LOG_EVERY_MS) {
        if (n == 1)
            org_log(p, IDW_LOG_WARN, "%s: rate limited by Okta (HTTP %ld): another client may be "
                    "using up the org's System Log rate limit; waiting %.1f s (rate limiting never "
                    "pauses the org)",
                    p->org.domain_id, status, wait_ms / 1000.0);
        else
            org_log(p, IDW_LOG_WARN, "%s: still rate limited: no System Log page for %s, %lld rate-limited "
                    "answers; waiting %.1f s", p->org.domain_id, dur, (long long)n, wait_ms / 1000.0);
        p->starve_logged_ms = now;
    }
    if (json_is_true(json_object_get(p->state, "starvation_alerted")) ||
        now - since < p->org.starvation_alert_ms)
        return 0;
    int rc = starvation_alert(p, since, n, 0);
    if (rc < 0)
        return -1;
    json_object_set_new(p->state, "starvation_alerted", json_true());
    org_log(p, IDW_LOG_ERROR, "%s: starved of System Log access for %s (starvation_alert_minutes): %s",
            p->org.domain_id, dur, rc == 0 ? "alert " STARVED_RULE " raised" : "no rule engine to alert");
    return 0;
}

long idw_okta_rate_backoff_ms(long long answers)
{
    if (answers < 1)
        answers = 1;
    long backoff = 1000L << (answers - 1 < 7 ? answers - 1 : 7);
    /* the 8th answer doubles to 128 s: the 120 s cap of the other rate waits holds here too */
    return backoff > MAX_RATE_WAIT_MS ? MAX_RATE_WAIT_MS : backoff;
}

/*
 * A rate-limited answer (r), or a 429 from the token endpoint (r NULL):
 * never a failure.  Waits for the reset or Retry-After (capped) and at
 * least its own backoff (1 s doubling to the cap, per answer of the
 * starvation), so a competitor that drains the bucket at every reset
 * does not make idwatch hammer it.
 */
static enum idw_poll_result rate_limited(struct idw_okta_poller *p, const struct idw_http_resp *r,
                                         long *wait_ms)
{
    long hint = r ? rate_hint_ms(p, r) : 0, backoff;
    json_int_t n;

    if (!r || r->status == 429)
        sinc(p, "http_429", 1);
    sinc(p, "rate_limited_total", 1);
    if (!sget(p, "starved_since_ms")) {
        int64_t since = sget(p, "last_success_ms");
        sset(p, "starved_since_ms", since > p->active_since_ms ? since : p->active_since_ms);
        sset(p, "starved_answers", 0);
        json_object_del(p->state, "starvation_alerted");
    }
    sinc(p, "starved_answers", 1);
    n = sget(p, "starved_answers");
    backoff = idw_okta_rate_backoff_ms(n);
    *wait_ms = (hint > backoff ? hint : backoff) + jitter_ms(1000);
    json_object_set_new(p->state, "last_error",
                        json_string(r ? "rate limited (HTTP 429 E0000047 or X-Rate-Limit-Remaining 0)"
                                      : "rate limited at the token endpoint (HTTP 429)"));
    if (starvation_note(p, r ? r->status : 429, *wait_ms) < 0)
        return IDW_POLL_FATAL;
    state_save(p);
    return IDW_POLL_RETRY;
}

/* Takes the starvation out of the state before a page is committed; *since 0 when there was none. */
static void starvation_take(struct idw_okta_poller *p, int64_t *since, json_int_t *answers, int *alerted)
{
    *since = sget(p, "starved_since_ms");
    *answers = sget(p, "starved_answers");
    *alerted = json_is_true(json_object_get(p->state, "starvation_alerted"));
    json_object_del(p->state, "starved_since_ms");
    json_object_del(p->state, "starved_answers");
    json_object_del(p->state, "starvation_alerted");
}

/* After the page's commit: the starvation is over.  -1 on a storage failure. */
static int starvation_ended(struct idw_okta_poller *p, int64_t since, json_int_t answers, int alerted)
{
    char dur[32];
    int64_t now = idw_now_ms();

    if (!since || p->dry)
        return 0;
    fmt_duration(now - since, dur);
    org_log(p, IDW_LOG_INFO, "%s: rate limiting ended: starved of System Log pages for %s (%lld rate-limited "
            "answers); polling resumed", p->org.domain_id, dur, (long long)answers);
    p->starve_logged_ms = 0;
    return alerted && starvation_alert(p, since, answers, now) < 0 ? -1 : 0;
}

/* ---- the cursor ------------------------------------------------------------------------ */

static void since_url(const struct idw_okta_poller *p, int64_t since_ms, const char *until,
                      char *out, size_t outlen)
{
    char ts[IDW_TIME_STRLEN];
    idw_time_format(since_ms, ts);
    char *esc = curl_easy_escape(NULL, ts, 0);
    snprintf(out, outlen, "%s/api/v1/logs?since=%s&limit=%d&sortOrder=ASCENDING%s%s", p->org.base,
             esc ? esc : ts, p->org.page_limit, until ? "&until=" : "", until ? until : "");
    curl_free(esc);
}

/* See okta_poll.h; the normalised URL is the one requested. */
enum idw_rc idw_okta_next_link_check(const struct idw_okta_org *org, const char *url, char *out,
                                     size_t outlen, const char **why)
{
    CURLU *u = curl_url();
    char scheme[16], host[256], port[8], path[64];
    int rc = -1;

    *why = "not a URL";
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
        ;
    else if (url_part(u, CURLUPART_SCHEME, 0, scheme, sizeof scheme) < 0 || strcmp(scheme, "https"))
        *why = "not https";
    else if (url_part(u, CURLUPART_HOST, 0, host, sizeof host) < 0 || strcasecmp(host, org->hostname) ||
             url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT, port, sizeof port) < 0 ||
             strtol(port, NULL, 10) != org->port)
        *why = "another host or port than the org's";
    else if (!url_lacks(u, CURLUPART_USER) || !url_lacks(u, CURLUPART_PASSWORD))
        *why = "user info in the URL";
    else if (!url_lacks(u, CURLUPART_FRAGMENT))
        *why = "a fragment in the URL";
    else if (url_part(u, CURLUPART_PATH, 0, path, sizeof path) < 0 || strcmp(path, "/api/v1/logs"))
        *why = "a path other than /api/v1/logs";
    else if (url_part(u, CURLUPART_URL, 0, out, outlen) < 0)
        *why = "too long";
    else
        rc = 0;
    curl_url_cleanup(u);
    return rc;
}

/*
 * The org's first request (`backfill`, or `run` on an org with no state):
 * what was published before this moment is history.  Its alerts are
 * stored as historical (not delivered unless a webhook asks), and
 * everything published from now on is live, whichever command ingests it
 * — an attack during a day-long backfill still reaches the SOAR.
 */
static void begin_history(struct idw_okta_poller *p, int days)
{
    char now[IDW_TIME_STRLEN];
    int64_t t = idw_now_ms();

    if (sget(p, "live_from_ms"))
        return;     /* a cursor Okta rejected, or an org_url change: history began long ago */
    idw_time_format(t, now);
    json_object_set_new(p->state, "backfill_started", json_string(now));
    json_object_set_new(p->state, "backfill_days", json_integer(days));
    sset(p, "live_from_ms", t);
    p->o.sink.set_live_from(p->o.sink.ctx, t);
    if (days > 0)
        org_log(p, IDW_LOG_INFO, "%s: first poll: pulling %d days of history (alerts on events published "
                "before now are historical)", p->org.domain_id, days);
}

/* Where the next request goes: the stored cursor, or a fresh since. */
static void current_url(struct idw_okta_poller *p, char *out, size_t outlen)
{
    const char *next = sstr(p, "next_url"), *why;
    if (next && *next && idw_okta_next_link_check(&p->org, next, out, outlen, &why) == 0)
        return;
    if (next && *next && sget(p, "last_published_ms")) {
        /* org_url changed since the cursor was stored: resume by time, de-dup absorbs overlap */
        org_log(p, IDW_LOG_WARN, "%s: the stored cursor is not usable (%s); restarting from the last "
                 "published time minus 5 minutes", p->org.domain_id, why);
        since_url(p, sget(p, "last_published_ms") - OVERLAP_MS, NULL, out, outlen);
        return;
    }
    int days = p->o.backfill_days ? p->o.backfill_days : p->org.backfill_days;
    begin_history(p, days);
    int64_t since = idw_now_ms() - (int64_t)days * 86400000LL;
    if (!sget(p, "live_since_ms"))
        sset(p, "live_since_ms", since);
    since_url(p, since, NULL, out, outlen);
}

/* ---- one page ------------------------------------------------------------------------- */

static enum idw_rc page_commit(struct idw_store *st, MDB_txn *txn, void *ctx, char *err, size_t errlen)
{
    return state_write(st, txn, ctx, err, errlen);
}

/* "acme: 12 pages, 11873 events, at 2026-09-14T08:00, 42% of the window, ETA 3m10s" */
static void print_progress(const struct idw_okta_poller *p, int64_t newest)
{
    char at[IDW_TIME_STRLEN];
    int64_t now = idw_now_ms(), from = sget(p, "live_since_ms");
    int64_t base = p->started_published > from ? p->started_published : from;
    double done = now > base && newest > base ? (double)(newest - base) / (double)(now - base) : 0;
    double elapsed = (double)(now - p->started_ms) / 1000.0;

    idw_time_format(newest, at);
    fprintf(stderr, "\r%s: %lld pages, %lld events, at %.16s", p->org.domain_id,
            (long long)sget(p, "pages"), (long long)sget(p, "events_fetched"), at);
    if (done > 0.001 && done < 1)
        fprintf(stderr, ", ETA %.0fs   ", elapsed * (1 - done) / done);
    else
        fprintf(stderr, "   ");
}

/* The daemon's first backfill reports its progress in the log, every 30 s. */
static void log_history_progress(struct idw_okta_poller *p, int64_t newest)
{
    char at[IDW_TIME_STRLEN];
    int64_t now = idw_now_ms(), from = sget(p, "live_since_ms");
    double done = now > from && newest > from ? (double)(newest - from) / (double)(now - from) : 0;

    if (now - p->progress_logged_ms < 30000)
        return;
    p->progress_logged_ms = now;
    idw_time_format(newest, at);
    org_log(p, IDW_LOG_INFO, "%s: backfill: %lld pages, %lld events, at %.16s (%.0f%% of the window)",
            p->org.domain_id, (long long)sget(p, "pages"), (long long)sget(p, "events_fetched"), at,
            done * 100);
}

static enum idw_poll_result apply_page(struct idw_okta_poller *p, json_t *events,
                                       const char *next, long *wait_ms)
{
    char reason[512], err[512], now[IDW_TIME_STRLEN];
    size_t i, n = json_array_size(events);
    json_t *ev;
    int64_t newest = sget(p, "last_published_ms"), starved;
    json_int_t starved_answers;
    int alerted;

    json_array_foreach(events, i, ev) {
        enum idw_page_verdict verdict;
        const char *refusal = "refused";
        int64_t t;
        if (p->o.sink.feed(p->o.sink.ctx, ev, &verdict, &refusal, reason, sizeof reason) < 0) {
            org_log(p, IDW_LOG_ERROR, "%s: storage failure: %s", p->org.domain_id, reason);
            return IDW_POLL_FATAL;
        }
        if (verdict == IDW_PAGE_REFUSED) {
            org_log(p, IDW_LOG_WARN, "%s: event %zu of the page refused (%s): %s", p->org.domain_id, i,
                    refusal, reason);
            continue;   /* a refused event's time must not steer a cursor restart */
        }
        if (idw_time_parse(json_string_value(json_object_get(ev, "published")), &t) == 0 && t > newest)
            newest = t;
    }
    idw_time_format(idw_now_ms(), now);
    json_object_set_new(p->state, "next_url", json_string(next));
    json_object_set_new(p->state, "last_success", json_string(now));
    sset(p, "last_success_ms", idw_now_ms());
    sset(p, "last_published_ms", newest);
    sinc(p, "pages", 1);
    sinc(p, "events_fetched", (json_int_t)n);
    sset(p, "consecutive_failures", 0);
    starvation_take(p, &starved, &starved_answers, &alerted);
    if (p->o.sink.commit(p->o.sink.ctx, page_commit, p, err, sizeof err) < 0) {
        org_log(p, IDW_LOG_ERROR, "%s: cannot commit the page: %s", p->org.domain_id, err);
        return IDW_POLL_FATAL;
    }
    if (starvation_ended(p, starved, starved_answers, alerted) < 0)
        return IDW_POLL_FATAL;
    if (p->o.progress)
        print_progress(p, newest);
    else if (json_object_get(p->state, "backfill_started") && !json_object_get(p->state, "backfill_done"))
        log_history_progress(p, newest);
    *wait_ms = (int)n >= p->org.page_limit ? 0 : (long)p->org.poll_interval_s * 1000;
    if ((int)n < p->org.page_limit && json_object_get(p->state, "backfill_started") &&
        !json_object_get(p->state, "backfill_done")) {
        json_object_set_new(p->state, "backfill_done", json_string(now));
        state_save(p);
        org_log(p, IDW_LOG_INFO, "%s: backfill caught up: %lld events in %lld pages", p->org.domain_id,
                 (long long)sget(p, "events_fetched"), (long long)sget(p, "pages"));
    }
    return (int)n >= p->org.page_limit ? IDW_POLL_PAGE_FULL : IDW_POLL_CAUGHT_UP;
}

/* A cursor Okta no longer accepts: start again a little before the newest event seen. */
static enum idw_poll_result restart_from_since(struct idw_okta_poller *p, long *wait_ms)
{
    char url[4096];
    int64_t last = sget(p, "last_published_ms");
    org_log(p, IDW_LOG_WARN, "%s: Okta rejected the stored cursor; restarting from the last published time "
             "minus 5 minutes (duplicates are absorbed)", p->org.domain_id);
    if (!last)
        last = idw_now_ms() - OVERLAP_MS;
    since_url(p, last - OVERLAP_MS, NULL, url, sizeof url);
    json_object_set_new(p->state, "next_url", json_string(url));
    return failed(p, F_TRANSIENT, 0, wait_ms, "stored cursor rejected (E0000054)");
}

static enum idw_poll_result handle_ok(struct idw_okta_poller *p, struct idw_http_resp *r,
                                      long *wait_ms)
{
    json_error_t je;
    json_t *events = json_loadb(r->body, r->body_len, 0, &je);
    enum idw_poll_result res;
    char next[sizeof r->next_url];
    const char *why;

    if (!json_is_array(events)) {
        json_decref(events);
        return failed(p, F_TRANSIENT, 0, wait_ms, "response body is not a JSON array (%s)",
                      events ? "other JSON" : je.text);
    }
    if (!r->next_url[0] || idw_okta_next_link_check(&p->org, r->next_url, next, sizeof next, &why) < 0) {
        json_decref(events);
        if (!r->next_url[0])
            return failed(p, F_TRANSIENT, 0, wait_ms, "response has no Link rel=\"next\"");
        return failed(p, F_TRANSIENT, 0, wait_ms, "next link refused (%s): not followed", why);
    }
    if ((int)json_array_size(events) >= p->org.page_limit && strcmp(next, p->cur_url) == 0) {
        /* Okta's cursor moves with every full page: this one would be fetched forever */
        json_decref(events);
        return failed(p, F_TRANSIENT, 0, wait_ms, "a full page whose next link is the same cursor again: "
                      "the server is not advancing (page not applied)");
    }
    res = apply_page(p, events, next, wait_ms);
    json_decref(events);
    return res;
}

static enum idw_poll_result handle_response(struct idw_okta_poller *p, struct idw_http_resp *r,
                                            long *wait_ms)
{
    char detail[600];

    if (r->status == 200)
        return handle_ok(p, r, wait_ms);
    if (rate_limited_answer(r))
        return rate_limited(p, r, wait_ms);
    idw_okta_error_text(r, detail, sizeof detail);
    if (r->status == 400 && strstr(detail, "E0000054") && sstr(p, "next_url"))
        return restart_from_since(p, wait_ms);
    if (r->status == 401 || r->status == 403 || r->status == 400)
        return refused(p, r, wait_ms);
    if (r->status >= 500 || r->status == 408)
        return failed(p, F_TRANSIENT, 0, wait_ms, "HTTP %ld: %s (request %s)", r->status, detail,
                      r->request_id[0] ? r->request_id : "-");
    return failed(p, F_STOP, 0, wait_ms, "unexpected HTTP %ld: %s", r->status, detail);
}

/* GET with auth; retries once at once when the auth layer asks (nonce, renewed token). */
static int fetch(struct idw_okta_poller *p, const char *url, struct idw_http_resp *r,
                 enum idw_okta_fail *af, char *err, size_t errlen)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        char *hdr[3];
        *af = idw_okta_auth_headers(p->auth, p->http, "GET", url, hdr, err, errlen);
        if (*af != IDW_OKTA_OK)
            return -1;
        int64_t t0 = idw_now_ms();
        int rc = idw_http_request(p->http, "GET", url, (const char *const *)hdr, NULL, r);
        idw_okta_auth_headers_free(hdr);
        /* poll latency for the metrics: the last request and the running sum */
        sset(p, "last_request_ms", idw_now_ms() - t0);
        sinc(p, "requests", 1);
        sinc(p, "request_ms_total", idw_now_ms() - t0);
        if (rc < 0)
            return 0;
        note_rate(p, r);
        if (!idw_okta_auth_on_response(p->auth, r))
            return 0;
    }
    return 0;
}

/* `idwatch okta resume` runs in another process: a paused poller looks for it. */
static int reload_if_resumed(struct idw_okta_poller *p)
{
    char err[768];
    json_t *doc;
    int rc = idw_okta_state_get(p->st, p->org.domain_id, &doc, err, sizeof err);
    int resumed = rc == 0 && !json_is_true(json_object_get(doc, "paused"));

    if (rc < 0)
        org_log(p, IDW_LOG_ERROR, "%s (the org stays paused)", err);
    if (resumed) {
        json_decref(p->state);
        p->state = doc;
        p->active_since_ms = idw_now_ms();
        org_log(p, IDW_LOG_INFO, "%s: resumed", p->org.domain_id);
    } else {
        json_decref(doc);
    }
    return resumed;
}

int idw_okta_poll_begin(struct idw_okta_poller *p, enum idw_poll_result *res, long *wait_ms)
{
    char now[IDW_TIME_STRLEN];
    long w;

    *wait_ms = 0;
    if (json_is_true(json_object_get(p->state, "paused")) && !reload_if_resumed(p)) {
        *wait_ms = (long)p->org.poll_interval_s * 1000;
        *res = IDW_POLL_PAUSED;
        return 0;
    }
    w = rate_wait_ms(p);
    if (w > 0) {
        if (p->o.progress)
            fprintf(stderr, "\r%s: rate limit: waiting %.0f s for the bucket to reset   ",
                    p->org.domain_id, w / 1000.0);
        else
            org_log(p, IDW_LOG_INFO, "%s: pacing to %.0f%% of the rate limit: waiting %.1f s",
                    p->org.domain_id, p->org.rate_share * 100, w / 1000.0);
        *wait_ms = w;
        *res = IDW_POLL_WAIT;
        return 0;
    }
    current_url(p, p->cur_url, sizeof p->cur_url);
    idw_time_format(idw_now_ms(), now);
    json_object_set_new(p->state, "last_poll", json_string(now));
    return 1;
}

void idw_okta_poll_fetch(struct idw_okta_poller *p)
{
    memset(&p->resp, 0, sizeof p->resp);
    p->resp.retry_after = -1;
    p->fetch_err[0] = '\0';
    p->fetch_rc = fetch(p, p->cur_url, &p->resp, &p->fetch_af, p->fetch_err, sizeof p->fetch_err);
}

enum idw_poll_result idw_okta_poll_finish(struct idw_okta_poller *p, long *wait_ms)
{
    struct idw_http_resp *r = &p->resp;
    enum idw_poll_result res;

    *wait_ms = 0;
    if (p->fetch_rc < 0) {
        idw_http_resp_clear(r);
        if (p->fetch_af == IDW_OKTA_RATE_LIMITED)
            return rate_limited(p, NULL, wait_ms);
        return failed(p, p->fetch_af == IDW_OKTA_TRANSIENT ? F_TRANSIENT : F_STOP, 0, wait_ms,
                      "authentication: %s", p->fetch_err);
    }
    if (r->status == 0)
        res = failed(p, F_TRANSIENT, 0, wait_ms, "%s%s",
                     r->timed_out ? "timeout: " : r->refused ? "" : "transport: ", r->error);
    else
        res = handle_response(p, r, wait_ms);
    idw_http_resp_clear(r);
    return res;
}

void idw_okta_poll_discard(struct idw_okta_poller *p)
{
    idw_http_resp_clear(&p->resp);
}

/* ---- life cycle ------------------------------------------------------------------------ */

/* When the org's history ended (its first request), from the state; 0 when unknown. */
static int64_t history_end(const struct idw_okta_poller *p)
{
    int64_t t = sget(p, "live_from_ms");

    /* a backfill begun by an older release recorded only its start as text */
    if (!t && idw_time_parse(sstr(p, "backfill_started"), &t) != 0)
        t = 0;
    return t;
}

enum idw_rc idw_okta_poller_new(struct idw_store *st, const struct idw_okta_org *org,
                                const struct idw_poll_opts *opts, struct idw_okta_poller **out,
                                char *err, size_t errlen)
{
    struct idw_okta_poller *p;

    *out = NULL;
    if (!opts->sink.feed || !opts->sink.commit || !opts->sink.set_live_from) {
        snprintf(err, errlen, "%s: the poller has no page sink", org->domain_id);
        return IDW_ERR;
    }
    p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return IDW_ERR;
    }
    p->st = st;
    p->org = *org;
    p->o = *opts;
    p->http = idw_http_new(org->ca_file[0] ? org->ca_file : NULL, org->timeout_s);
    if (!p->http) {
        snprintf(err, errlen, "cannot initialise libcurl");
        idw_okta_poller_free(p);
        return IDW_ERR;
    }
    idw_http_set_stop(p->http, opts->stop);
    if (idw_okta_auth_new(org->auth, org->base, &p->auth, err, errlen) < 0) {
        idw_okta_poller_free(p);
        return IDW_ERR;
    }
    switch (idw_okta_state_get(st, org->domain_id, &p->state, err, errlen)) {
    case IDW_NOTFOUND:
        p->state = json_object();
        break;
    case IDW_OK:
        break;
    default:
        idw_okta_poller_free(p);    /* without its cursor the org would silently start over */
        return IDW_ERR;
    }
    p->started_ms = p->active_since_ms = idw_now_ms();
    p->started_published = sget(p, "last_published_ms");
    p->o.sink.set_live_from(p->o.sink.ctx, history_end(p));
    *out = p;
    return IDW_OK;
}

void idw_okta_poller_free(struct idw_okta_poller *p)
{
    if (!p)
        return;
    idw_okta_auth_free(p->auth);
    idw_http_free(p->http);
    idw_http_resp_clear(&p->resp);
    json_decref(p->state);
    free(p);
}

/* ---- connection test -------------------------------------------------------------------- */

enum idw_rc idw_okta_test_connection(const struct idw_okta_org *org, long *events,
                                     char *err, size_t errlen)
{
    struct idw_okta_poller p = {0};
    struct idw_http_resp r = {0};
    char url[4096], next[4096];
    const char *why;
    enum idw_okta_fail af;
    int rc = -1;

    *events = 0;
    p.org = *org;
    p.dry = 1;
    p.state = json_object();
    p.http = idw_http_new(org->ca_file[0] ? org->ca_file : NULL, org->timeout_s);
    if (!p.http ||
        idw_okta_auth_new(org->auth, org->base, &p.auth, err, errlen) < 0)
        goto out;
    since_url(&p, idw_now_ms() - 3600 * 1000LL, NULL, url, sizeof url);
    for (int page = 0; page < 20; page++) {
        if (fetch(&p, url, &r, &af, err, errlen) < 0)
            goto out;
        if (r.status == 0) {        /* transport, TLS, or a refused response: r.error says which */
            snprintf(err, errlen, "%s", r.error);
            goto out;
        }
        if (r.status != 200) {
            long w;
            p.org.max_failures = 1;         /* any failure is final here */
            handle_response(&p, &r, &w);
            snprintf(err, errlen, "%s", sstr(&p, "last_error") ? sstr(&p, "last_error")
                                                               : r.error[0] ? r.error : "failed");
            goto out;
        }
        json_t *arr = json_loadb(r.body, r.body_len, 0, NULL);
        if (!json_is_array(arr)) {
            json_decref(arr);
            snprintf(err, errlen, "the System Log answered with something that is not a JSON array");
            goto out;
        }
        *events += (long)json_array_size(arr);
        int full = (int)json_array_size(arr) >= org->page_limit;
        json_decref(arr);
        if (!full || !r.next_url[0] ||
            idw_okta_next_link_check(&p.org, r.next_url, next, sizeof next, &why) < 0 ||
            strcmp(next, url) == 0) {
            rc = 0;
            break;
        }
        idw_strlcpy(url, next, sizeof url);
        if (page == 19)
            rc = 0;     /* 20 full pages: more than 20000 events in the hour; the count is a floor */
    }
out:
    if (rc < 0 && !err[0] && r.error[0])
        snprintf(err, errlen, "%s", r.error);
    idw_http_resp_clear(&r);
    idw_okta_auth_free(p.auth);
    idw_http_free(p.http);
    json_decref(p.state);
    return rc;
}
