/*
 * observe.c — what operators watch: the status document behind
 * `idwatch status --json` and the Prometheus text behind `idwatch metrics`
 * (and the daemon's optional loopback listener).  Both read the database
 * only, so they can run beside a live `run` (LMDB readers never block the
 * writer).  A document that cannot be read fails the whole status with
 * its name in the error: zeros in its place would look like an idle org.
 */
#include "cli/observe.h"

#ifndef IDW_VERSION
#define IDW_VERSION "0.0.0"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "deliver/outbox.h"

static json_int_t ival(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
}

static json_t *time_or_null(json_int_t ms)
{
    char buf[IDW_TIME_STRLEN];
    if (!ms)
        return json_null();
    idw_time_format(ms, buf);
    return json_string(buf);
}

/* A meta document, NULL when absent; IDW_ERR with err naming it when unreadable. */
static enum idw_rc read_doc(struct idw_store *st, MDB_txn *txn, const char *name, const char *domain,
                            json_t **out, char *err, size_t errlen)
{
    char why[256];

    if (idw_store_meta_get(st, txn, name, domain, out, why, sizeof why) >= 0)
        return IDW_OK;
    snprintf(err, errlen, "cannot read %s of %s: %s", name, domain, why);
    return IDW_ERR;
}

enum idw_rc idw_org_status(struct idw_store *st, MDB_txn *txn, const char *domain, json_t **out,
                           char *err, size_t errlen)
{
    json_t *stats = NULL, *okta = NULL, *o;

    *out = NULL;
    if (read_doc(st, txn, "ingest_stats", domain, &stats, err, errlen) < 0 ||
        read_doc(st, txn, "okta_state", domain, &okta, err, errlen) < 0) {
        json_decref(stats);
        return IDW_ERR;
    }
    json_int_t newest = ival(stats, "newest_published_ms");
    json_int_t starved = ival(okta, "starved_since_ms");
    o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:o, s:o, s:o}",
                  "domain_id", domain,
                  "cursor", json_incref(json_object_get(okta, "next_url")) ?: json_null(),
                  "last_poll", json_incref(json_object_get(okta, "last_poll")) ?: json_null(),
                  "last_success", json_incref(json_object_get(okta, "last_success")) ?: json_null(),
                  "last_event_published", time_or_null(newest),
                  "events_ingested", ival(stats, "accepted"),
                  "duplicates_skipped", ival(stats, "duplicates"),
                  "rejected", ival(stats, "rejected"),
                  "pages", ival(okta, "pages"),
                  "http_429", ival(okta, "http_429"),
                  "consecutive_failures", ival(okta, "consecutive_failures"),
                  "paused", json_is_true(json_object_get(okta, "paused")),
                  "pause_reason", json_incref(json_object_get(okta, "pause_reason")) ?: json_null(),
                  "rate_limit_remaining", json_incref(json_object_get(okta, "rate_remaining")) ?: json_null(),
                  "lag_seconds", newest ? json_integer((idw_now_ms() - newest) / 1000) : json_null());
    /* refused events: never silently (a future-dated event once blinded a domain) */
    json_object_set_new(o, "stale", json_integer(ival(stats, "stale")));
    json_object_set_new(o, "future", json_integer(ival(stats, "future")));
    json_object_set_new(o, "filtered", json_integer(ival(stats, "filtered")));
    json_object_set_new(o, "requests", json_integer(ival(okta, "requests")));
    json_object_set_new(o, "request_ms_total", json_integer(ival(okta, "request_ms_total")));
    json_object_set_new(o, "last_request_ms", json_integer(ival(okta, "last_request_ms")));
    json_object_set_new(o, "failures_total", json_integer(ival(okta, "failures_total")));
    /* rate limiting is not a failure: counted, and timed while it starves the poller */
    json_object_set_new(o, "rate_limited_total", json_integer(ival(okta, "rate_limited_total")));
    json_object_set_new(o, "starved_since", time_or_null(starved));
    json_object_set_new(o, "starved_seconds", json_integer(starved ? (idw_now_ms() - starved) / 1000 : 0));
    json_object_set_new(o, "starvation_alerted",
                        json_boolean(json_is_true(json_object_get(okta, "starvation_alerted"))));
    json_decref(stats);
    json_decref(okta);
    if (!o) {
        snprintf(err, errlen, "status of %s: out of memory", domain);
        return IDW_ERR;
    }
    *out = o;
    return IDW_OK;
}

/* ---- alerts ------------------------------------------------------------------- */

static void bump(json_t *obj, const char *key)
{
    if (key)
        json_object_set_new(obj, key, json_integer(ival(obj, key) + 1));
}

static int count_alert(const char *key, size_t keylen, const char *val, size_t vallen, void *vc)
{
    json_t *c = vc, *a = json_loadb(val, vallen, 0, NULL);
    (void)key;
    (void)keylen;
    if (!a)
        return 0;
    bump(json_object_get(c, "by_severity"), json_string_value(json_object_get(a, "severity")));
    bump(json_object_get(c, "by_status"), json_string_value(json_object_get(a, "status")));
    json_t *r = json_object_get(json_object_get(c, "by_rule"), json_string_value(json_object_get(a, "rule")));
    if (!r && json_is_string(json_object_get(a, "rule"))) {
        r = json_object();
        json_object_set_new(json_object_get(c, "by_rule"), json_string_value(json_object_get(a, "rule")), r);
    }
    bump(r, json_string_value(json_object_get(a, "severity")));
    json_object_set_new(c, "total", json_integer(ival(c, "total") + 1));
    json_decref(a);
    return 0;
}

static enum idw_rc alerts_summary(struct idw_store *st, MDB_txn *txn, json_t **out,
                                  char *err, size_t errlen)
{
    json_t *c = json_pack("{s:i, s:{s:i, s:i, s:i, s:i}, s:{s:i, s:i, s:i, s:i}, s:{}}", "total", 0,
                          "by_severity", "low", 0, "medium", 0, "high", 0, "critical", 0,
                          "by_status", "open", 0, "acknowledged", 0, "resolved", 0,
                          "false_positive", 0, "by_rule");
    char why[256];

    *out = c;
    if (!c) {
        snprintf(err, errlen, "alerts summary: out of memory");
        return IDW_ERR;
    }
    if (idw_store_kv_each(st, txn, st->alerts, NULL, count_alert, c, why, sizeof why) < 0) {
        snprintf(err, errlen, "cannot read the alerts: %s", why);
        json_decref(c);
        *out = NULL;
        return IDW_ERR;
    }
    return IDW_OK;
}

/* ---- outbox --------------------------------------------------------------------- */

static int count_entry(uint64_t seq, json_t *e, void *vc)
{
    json_t *c = vc;
    const char *state = json_string_value(json_object_get(e, "state"));
    json_int_t created = ival(e, "created_ms"), oldest = ival(c, "oldest_pending_ms");

    (void)seq;
    if (state && !strcmp(state, "dead")) {
        bump(c, "dead");
        return 0;
    }
    bump(c, "pending");
    if (!oldest || created < oldest)
        json_object_set_new(c, "oldest_pending_ms", json_integer(created));
    return 0;
}

static enum idw_rc outbox_summary(struct idw_store *st, MDB_txn *txn, json_t **out,
                                  char *err, size_t errlen)
{
    char why[256];
    json_t *c = json_pack("{s:i, s:i, s:i}", "pending", 0, "dead", 0, "oldest_pending_ms", 0);
    json_t *totals = NULL;
    json_int_t oldest;

    *out = NULL;
    if (!c) {
        snprintf(err, errlen, "outbox summary: out of memory");
        return IDW_ERR;
    }
    if (idw_outbox_each(st, txn, count_entry, c, why, sizeof why) < 0) {
        snprintf(err, errlen, "cannot read the outbox: %s", why);
        json_decref(c);
        return IDW_ERR;
    }
    if (read_doc(st, txn, "delivery_stats", "_all", &totals, err, errlen) < 0) {
        json_decref(c);
        return IDW_ERR;
    }
    oldest = ival(c, "oldest_pending_ms");
    json_object_del(c, "oldest_pending_ms");
    json_object_set_new(c, "oldest_pending_age_s", oldest ? json_integer((idw_now_ms() - oldest) / 1000)
                                                          : json_null());
    json_object_set_new(c, "delivered_total", json_integer(ival(totals, "delivered")));
    json_object_set_new(c, "retried_total", json_integer(ival(totals, "retried")));
    json_object_set_new(c, "dead_total", json_integer(ival(totals, "dead")));
    json_object_set_new(c, "superseded_total", json_integer(ival(totals, "superseded")));
    json_decref(totals);
    *out = c;
    return IDW_OK;
}

/* The org documents, and the sum of their ingest counters into *total, *dups. */
static enum idw_rc orgs_status(const struct idw_config *cfg, struct idw_store *st, MDB_txn *txn,
                               json_t *orgs, json_int_t *total, json_int_t *dups,
                               char *err, size_t errlen)
{
    *total = *dups = 0;
    for (size_t i = 0; i < cfg->n_orgs; i++) {
        json_t *o;
        if (idw_org_status(st, txn, cfg->orgs[i].domain_id, &o, err, errlen) < 0)
            return IDW_ERR;
        *total += ival(o, "events_ingested");
        *dups += ival(o, "duplicates_skipped");
        json_array_append_new(orgs, o);
    }
    return IDW_OK;
}

enum idw_rc idw_status_doc(const struct idw_config *cfg, struct idw_store *st, MDB_txn *txn,
                           json_t **out, char *err, size_t errlen)
{
    json_t *orgs = json_array(), *alerts = NULL, *outbox = NULL, *raised = NULL, *daemon = NULL;
    json_int_t total, dups;

    *out = NULL;
    if (!orgs || orgs_status(cfg, st, txn, orgs, &total, &dups, err, errlen) < 0 ||
        alerts_summary(st, txn, &alerts, err, errlen) < 0 ||
        outbox_summary(st, txn, &outbox, err, errlen) < 0 ||
        read_doc(st, txn, "alerts_raised", "_all", &raised, err, errlen) < 0 ||
        /* the running daemon's own record: its start, SIGHUP reloads */
        read_doc(st, txn, "daemon", "_all", &daemon, err, errlen) < 0) {
        if (!orgs)
            snprintf(err, errlen, "status: out of memory");
        json_decref(orgs);
        json_decref(alerts);
        json_decref(outbox);
        json_decref(raised);
        return IDW_ERR;
    }
    json_object_set_new(alerts, "raised", raised ? raised : json_object());
    *out = json_pack("{s:o, s:o, s:o, s:{s:I, s:I}, s:s, s:o}", "orgs", orgs, "alerts", alerts,
                     "outbox", outbox, "totals", "events_ingested", total, "duplicates_skipped", dups,
                     "version", IDW_VERSION, "daemon", daemon ? daemon : json_object());
    if (!*out) {
        snprintf(err, errlen, "status: out of memory");
        return IDW_ERR;
    }
    return IDW_OK;
}

/* ---- Prometheus text ------------------------------------------------------------ */

static void metric(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP idwatch_%s %s\n# TYPE idwatch_%s %s\n", name, help, name, type);
}

static void org_metrics(FILE *f, const json_t *orgs)
{
    static const struct { const char *name, *field, *type, *help; } m[] = {
        {"events_ingested_total", "events_ingested", "counter", "Events accepted into the pipeline."},
        {"events_duplicate_total", "duplicates_skipped", "counter", "Events skipped as already seen (uuid)."},
        {"events_rejected_total", "rejected", "counter", "Events refused as malformed."},
        {"events_stale_total", "stale", "counter",
         "Events refused as older than the de-duplication horizon."},
        {"events_future_total", "future", "counter",
         "Events refused as published beyond the clock + max_future_skew_s."},
        {"events_filtered_total", "filtered", "counter",
         "Events left out by the org's event_types selection."},
        {"pages_total", "pages", "counter", "System Log pages committed."},
        {"http_429_total", "http_429", "counter", "Rate-limited answers from Okta."},
        {"poll_failures_total", "failures_total", "counter",
         "Failed polls (rate limiting is not a failure)."},
        {"poll_rate_limited_total", "rate_limited_total", "counter",
         "Rate-limited answers (429, or X-Rate-Limit-Remaining 0 on an error)."},
        {"poll_starved_seconds", "starved_seconds", "gauge",
         "Seconds since the last System Log page while rate limiting holds the poller off; 0 otherwise."},
        {"poll_requests_total", "requests", "counter", "Requests to the System Log API."},
        {"poll_request_seconds_total", "request_ms_total", "counter", "Time spent in System Log requests."},
        {"poll_last_request_seconds", "last_request_ms", "gauge", "Duration of the last System Log request."},
        {"ingest_lag_seconds", "lag_seconds", "gauge", "Now minus the newest event's published time."},
        {"paused", "paused", "gauge", "1 when the org's poller paused itself."},
    };
    for (size_t k = 0; k < sizeof m / sizeof m[0]; k++) {
        size_t i;
        const json_t *o;
        int ms = strstr(m[k].field, "_ms") != NULL;
        metric(f, m[k].name, m[k].type, m[k].help);
        json_array_foreach(orgs, i, o) {
            const json_t *v = json_object_get(o, m[k].field);
            double x = json_is_true(v) ? 1 : json_is_number(v) ? json_number_value(v) : 0;
            if (json_is_null(v) || (!v && strcmp(m[k].field, "paused")))
                continue;
            fprintf(f, "idwatch_%s{org=\"%s\"} %.17g\n", m[k].name,
                    json_string_value(json_object_get(o, "domain_id")), ms ? x / 1000.0 : x);
        }
    }
}

static void alert_metrics(FILE *f, const json_t *alerts)
{
    const char *rule, *sev;
    const json_t *bysev, *n;

    metric(f, "alerts", "gauge", "Alerts stored, by rule and severity.");
    json_object_foreach((json_t *)json_object_get(alerts, "by_rule"), rule, bysev)
        json_object_foreach((json_t *)bysev, sev, n)
            fprintf(f, "idwatch_alerts{rule=\"%s\",severity=\"%s\"} %lld\n", rule, sev,
                    (long long)json_integer_value(n));
    metric(f, "alerts_raised_total", "counter", "Alerts raised (created), by rule and severity at creation.");
    json_object_foreach((json_t *)json_object_get(alerts, "raised"), rule, bysev)
        json_object_foreach((json_t *)bysev, sev, n)
            fprintf(f, "idwatch_alerts_raised_total{rule=\"%s\",severity=\"%s\"} %lld\n", rule, sev,
                    (long long)json_integer_value(n));
    metric(f, "alerts_by_status", "gauge", "Alerts stored, by review status.");
    json_object_foreach((json_t *)json_object_get(alerts, "by_status"), sev, n)
        fprintf(f, "idwatch_alerts_by_status{status=\"%s\"} %lld\n", sev, (long long)json_integer_value(n));
}

static void outbox_metrics(FILE *f, const json_t *ob)
{
    metric(f, "deliveries_total", "counter", "Webhook delivery attempts, by outcome.");
    fprintf(f, "idwatch_deliveries_total{outcome=\"ok\"} %lld\n", (long long)ival(ob, "delivered_total"));
    fprintf(f, "idwatch_deliveries_total{outcome=\"retry\"} %lld\n", (long long)ival(ob, "retried_total"));
    fprintf(f, "idwatch_deliveries_total{outcome=\"dead\"} %lld\n", (long long)ival(ob, "dead_total"));
    fprintf(f, "idwatch_deliveries_total{outcome=\"superseded\"} %lld\n",
            (long long)ival(ob, "superseded_total"));
    metric(f, "outbox_depth", "gauge", "Deliveries waiting in the outbox, by state.");
    fprintf(f, "idwatch_outbox_depth{state=\"pending\"} %lld\n", (long long)ival(ob, "pending"));
    fprintf(f, "idwatch_outbox_depth{state=\"dead\"} %lld\n", (long long)ival(ob, "dead"));
    metric(f, "outbox_oldest_pending_seconds", "gauge", "Age of the oldest pending delivery.");
    fprintf(f, "idwatch_outbox_oldest_pending_seconds %lld\n", (long long)ival(ob, "oldest_pending_age_s"));
}

static void daemon_metrics(FILE *f, const json_t *d)
{
    const json_t *ok = json_object_get(d, "last_reload_ok");

    if (!ok)
        return;     /* never reloaded */
    metric(f, "config_last_reload_successful", "gauge", "1 when the last SIGHUP reload succeeded.");
    fprintf(f, "idwatch_config_last_reload_successful %d\n", json_is_true(ok));
    metric(f, "config_last_reload_timestamp_seconds", "gauge", "When the last SIGHUP reload was attempted.");
    fprintf(f, "idwatch_config_last_reload_timestamp_seconds %.3f\n",
            (double)ival(d, "last_reload_ms") / 1000.0);
}

char *idw_metrics_text(const json_t *status)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f)
        return NULL;
    metric(f, "build_info", "gauge", "The running idwatch's version (always 1).");
    fprintf(f, "idwatch_build_info{version=\"%s\"} 1\n",
            json_string_value(json_object_get(status, "version")));
    daemon_metrics(f, json_object_get(status, "daemon"));
    org_metrics(f, json_object_get(status, "orgs"));
    alert_metrics(f, json_object_get(status, "alerts"));
    outbox_metrics(f, json_object_get(status, "outbox"));
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

char *idw_metrics_scrape(void *ctx)
{
    const struct idw_metrics_src *m = ctx;
    MDB_txn *txn;
    json_t *doc = NULL;
    char err[256], *text;

    if (idw_store_begin(m->st, 1, &txn, err, sizeof err) < 0) {
        log_error("metrics: %s", err);      /* the scrape gets a 500 */
        return NULL;
    }
    if (idw_status_doc(m->cfg, m->st, txn, &doc, err, sizeof err) < 0)
        log_error("metrics: %s", err);
    mdb_txn_abort(txn);
    text = doc ? idw_metrics_text(doc) : NULL;
    json_decref(doc);
    return text;
}
