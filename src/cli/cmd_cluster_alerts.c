/*
 * cmd_cluster_alerts.c — the provider-wide alerts stream from the command
 * line (docs/scale-out.md, "Alerts stream"):
 *
 *   `idwatch cluster alerts`        reads IDW_ALERTS (cluster/alertstream.h)
 *                                   through an ordered consumer, keeps the
 *                                   latest version of each alert, and prints
 *                                   them as `alerts list` does;
 *   `cluster apply --publish-alerts` registers the stream as an outbox
 *                                   target of the database before applying,
 *                                   and drains the outbox to it afterwards —
 *                                   what a worker does continuously.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"
#include "cli/cli.h"
#include "cluster/alertstream.h"
#include "cluster/js.h"
#include "common/log.h"
#include "common/util.h"
#include "deliver/deliver.h"

#define NATS_TIMEOUT_MS 5000
#define READ_WAIT_MS 10000          /* a read that stalls this long between two messages fails */
#define SKEW_MARGIN_MS 86400000LL   /* a version is published after its events, up to max_future_skew later */
#define MAX_URLS 16
#define DRAIN_PASSES 1000           /* 256 entries a pass: enough for 256,000 versions in one drain */

struct cl_alerts_args {
    int json;
    long limit;                     /* 0: all */
    int64_t since_ms;
    const char *org, *rule, *status;
    const char *urls[MAX_URLS];
    size_t nurls;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: idwatch cluster alerts [--org O] [--rule R] [--status S] [--since TIME]\n"
            "                              [--limit N] [--json] [--nats URL]...\n"
            "\n"
            "Every org's alerts from the provider-wide alerts stream (IDW_ALERTS), the latest\n"
            "version of each, newest first, in the columns (or --json lines) of `alerts list`.\n"
            "  --org O       one org's alerts (its domain_id)\n"
            "  --rule R      one rule's alerts (its id, as the alerts carry it)\n"
            "  --status S    open, acknowledged, resolved or false_positive\n"
            "  --since TIME  alerts active since: 30m, 24h, 7d, 2w back from now, or RFC 3339\n"
            "  --limit N     at most N alerts (default: all)\n"
            "  --nats URL    a NATS server (repeatable; default: the config's cluster.nats)\n"
            "\n"
            "Exit codes: 0 done, 1 failure (NATS unreachable, a read that stalls), 2 usage.\n");
}

static int check_status(const char *s)
{
    static const char *const statuses[] = {"open", "acknowledged", "resolved", "false_positive", NULL};

    for (const char *const *v = statuses; *v; v++)
        if (!strcmp(s, *v))
            return 0;
    log_error("--status '%s': unknown status; valid: open, acknowledged, resolved, false_positive", s);
    return -1;
}

/* One option into a; -1 on a bad value (said), 0 otherwise. */
static int take_option(int c, struct cl_alerts_args *a)
{
    char subject[IDW_ALERTS_SUBJECT_MAX], *end;

    if (c == 'j')
        a->json = 1;
    else if (c == 'o') {
        a->org = optarg;
        if (idw_alertstream_subject(optarg, subject, sizeof subject) != IDW_OK) {
            log_error("--org '%s': expected a domain_id (letters, digits, '.', '_', '-')", optarg);
            return -1;
        }
    } else if (c == 'r')
        a->rule = optarg;
    else if (c == 't') {
        a->status = optarg;
        return check_status(optarg);
    } else if (c == 's') {
        if (idw_parse_time_arg(optarg, idw_now_ms(), &a->since_ms) != IDW_OK) {
            log_error("--since '%s': expected a duration back from now (30m, 24h, 7d, 2w) or an RFC 3339 "
                      "time (2026-11-01T00:00:00Z)", optarg);
            return -1;
        }
    } else if (c == 'l') {
        a->limit = strtol(optarg, &end, 10);
        if (*end || end == optarg || a->limit < 0) {
            log_error("--limit '%s': expected a number of alerts (0: all)", optarg);
            return -1;
        }
    } else if (c == 'n' && a->nurls < MAX_URLS)
        a->urls[a->nurls++] = optarg;
    return 0;
}

/* 0 parsed, 1 --help (printed), -1 usage error (said). */
static int parse(int argc, char **argv, struct cl_alerts_args *a)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"org", required_argument, NULL, 'o'},
        {"rule", required_argument, NULL, 'r'}, {"status", required_argument, NULL, 't'},
        {"since", required_argument, NULL, 's'}, {"limit", required_argument, NULL, 'l'},
        {"nats", required_argument, NULL, 'n'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c;

    optind = 0;     /* glibc: re-initialise getopt for this argv */
    for (;;) {
        c = getopt_long(argc, argv, "h", opts, NULL);
        if (c == -1)
            break;
        if (c == 'h') {
            usage(stdout);
            return 1;
        }
        if (c == '?' || c == ':') {
            usage(stderr);
            return -1;
        }
        if (take_option(c, a) < 0)
            return -1;
    }
    if (optind < argc) {
        log_error("cluster alerts: unexpected argument '%s'", argv[optind]);
        return -1;
    }
    return 0;
}

/* --nats, else cluster.nats.  -1 (said) when there is none. */
static int urls_from_config(const struct idw_cli *cli, struct cl_alerts_args *a)
{
    const json_t *list = json_object_get(json_object_get(cli->cfg.root, "cluster"), "nats");
    size_t i;
    json_t *u;

    if (a->nurls)
        return 0;
    json_array_foreach(list, i, u) {
        if (a->nurls < MAX_URLS && json_string_value(u))
            a->urls[a->nurls++] = json_string_value(u);
    }
    if (!a->nurls) {
        log_error("cluster: no NATS server: give --nats URL or set cluster.nats in the configuration");
        return -1;
    }
    return 0;
}

/* ---- reading ------------------------------------------------------------------- */

struct latest {
    json_t *by_id;                  /* alert id -> its latest payload */
    uint64_t bad, incidents;
};

/* idw_js_msg_fn: keeps a message's alert if it is a newer version than the one kept. */
static int take(const char *data, size_t len, uint64_t seq, int64_t ts_ms, void *ctx)
{
    struct latest *l = ctx;
    json_t *env, *kept;
    const char *id, *kind;
    char err[256];

    (void)ts_ms;
    if (idw_alertstream_decode(data, len, &env, err, sizeof err) != IDW_OK) {
        log_warn("%s seq %llu: skipped: %s", IDW_ALERTS_STREAM, (unsigned long long)seq, err);
        l->bad++;
        return 0;
    }
    kind = json_string_value(json_object_get(env, "kind"));
    id = json_string_value(json_object_get(env, "id"));
    kept = json_object_get(l->by_id, id);
    if (strcmp(kind, "alert") != 0)
        l->incidents++;
    else if (!kept || idw_alert_version(kept) < json_integer_value(json_object_get(env, "version"))) {
        if (json_object_set(l->by_id, id, json_object_get(env, "payload")) < 0) {
            json_decref(env);
            return -1;
        }
    }
    json_decref(env);
    return 0;
}

static int keep(const struct cl_alerts_args *a, const json_t *alert)
{
    const char *rule = idw_alert_rule(alert);

    return idw_alert_last_seen_ms(alert) >= a->since_ms && (!a->rule || (rule && !strcmp(rule, a->rule))) &&
           (!a->status || !strcmp(a->status, idw_alert_status_name(idw_alert_status(alert))));
}

/* The kept alerts that pass the filters, newest first, at most --limit.  NULL when out of memory. */
static json_t *select_alerts(const struct cl_alerts_args *a, const json_t *by_id)
{
    json_t *out = json_array(), *v;
    const char *id;

    if (!out)
        return NULL;
    json_object_foreach((json_t *)by_id, id, v) {
        if (keep(a, v) && json_array_append(out, v) < 0) {
            json_decref(out);
            return NULL;
        }
    }
    if (idw_cli_sort_alerts(out) != IDW_OK) {
        json_decref(out);
        return NULL;
    }
    while (a->limit > 0 && json_array_size(out) > (size_t)a->limit)
        json_array_remove(out, json_array_size(out) - 1);
    return out;
}

static int read_stream(struct idw_js *js, const struct cl_alerts_args *a, struct latest *l)
{
    char filter[IDW_ALERTS_SUBJECT_MAX], err[512];
    uint64_t n = 0;
    int64_t t0 = idw_now_ms();
    /* a version is published after its events: none older than since (less the clock margin) matters */
    int64_t start = a->since_ms > SKEW_MARGIN_MS ? a->since_ms - SKEW_MARGIN_MS : 0;
    enum idw_rc rc;

    if (a->org ? idw_alertstream_subject(a->org, filter, sizeof filter) != IDW_OK
               : (size_t)snprintf(filter, sizeof filter, "%s", IDW_ALERTS_SUBJECTS) >= sizeof filter)
        return -1;
    rc = idw_js_read_ordered(js, IDW_ALERTS_STREAM, filter, start, READ_WAIT_MS, take, l, &n, err,
                             sizeof err);
    if (rc == IDW_NOTFOUND) {
        log_warn("%s: no such stream: no alert was published yet", IDW_ALERTS_STREAM);
        return 0;
    }
    if (rc != IDW_OK) {
        log_error("%s", err);
        return -1;
    }
    log_debug("%s: read %llu messages in %lld ms (%llu not alerts, %llu skipped)", IDW_ALERTS_STREAM,
              (unsigned long long)n, (long long)(idw_now_ms() - t0), (unsigned long long)l->incidents,
              (unsigned long long)l->bad);
    return 0;
}

int idw_cmd_cluster_alerts(struct idw_cli *cli, int argc, char **argv)
{
    struct cl_alerts_args a = {0};
    struct latest l = {0};
    struct idw_js *js = NULL;
    json_t *list = NULL;
    char err[512];
    int rc = parse(argc, argv, &a);

    if (rc)
        return rc > 0 ? IDW_EXIT_OK : IDW_EXIT_USAGE;
    if (idw_cli_load_config(cli) < 0 || urls_from_config(cli, &a) < 0)
        return IDW_EXIT_FAILURE;
    l.by_id = json_object();
    rc = IDW_EXIT_FAILURE;
    if (!l.by_id)
        log_error("cluster alerts: out of memory");
    else if (idw_js_dial(cli->cfg.root, a.urls, a.nurls, NATS_TIMEOUT_MS, &js, err, sizeof err) < 0)
        log_error("%s", err);
    else if (read_stream(js, &a, &l) == 0) {
        list = select_alerts(&a, l.by_id);
        if (!list)
            log_error("cluster alerts: out of memory");
        else {
            idw_cli_print_alerts(list, a.json);
            rc = IDW_EXIT_OK;
        }
    }
    json_decref(list);
    json_decref(l.by_id);
    idw_js_close(js);
    return rc;
}

/* ---- publishing: cluster apply --publish-alerts ------------------------------------ */

struct idw_cli_alert_pub {
    struct idw_alertstream *as;
    struct idw_webhooks *wh;
};

void idw_cli_alert_pub_close(struct idw_cli_alert_pub *p)
{
    if (!p)
        return;
    idw_webhooks_free(p->wh);
    idw_alertstream_close(p->as);
    free(p);
}

enum idw_rc idw_cli_alert_pub_open(const struct idw_cli *cli, struct idw_store *st, struct idw_js *js,
                                   struct idw_cli_alert_pub **out)
{
    struct idw_cli_alert_pub *p = calloc(1, sizeof *p);
    char err[512];

    *out = NULL;
    if (!p) {
        log_error("alerts stream: out of memory");
        return IDW_ERR;
    }
    if (idw_alertstream_open(js, cli->cfg.root, &p->as, err, sizeof err) < 0 ||
        idw_webhooks_load(cli->cfg.root, &p->wh, err, sizeof err) < 0 ||
        idw_alertstream_attach(p->as, st, &p->wh, err, sizeof err) < 0) {
        log_error("%s", err);
        idw_cli_alert_pub_close(p);
        return IDW_ERR;
    }
    *out = p;
    return IDW_OK;
}

enum idw_rc idw_cli_alert_pub_drain(struct idw_cli_alert_pub *p, struct idw_store *st)
{
    struct idw_delivery_stats s = {0};
    uint64_t ok_before;
    int64_t next = 0;
    size_t tried = 1;
    char err[512];

    /* pass after pass while each delivers something: a failing target is tried once, not for ever */
    for (int i = 0; i < DRAIN_PASSES && tried; i++) {
        ok_before = s.ok;
        if (idw_deliver_pending(st, p->wh, (size_t)-1, 1, NULL, &next, &s, &tried, err, sizeof err) < 0) {
            log_error("alerts stream: %s", err);
            return IDW_ERR;
        }
        if (s.ok == ok_before)
            break;
    }
    log_info("outbox drained: %llu delivered (alerts stream and webhooks), %llu to retry, %llu dead letters, "
             "%llu superseded", (unsigned long long)s.ok, (unsigned long long)s.retried,
             (unsigned long long)s.dead, (unsigned long long)s.superseded);
    if (s.retried || s.dead) {
        log_error("alerts stream: %llu versions not delivered; they stay in the outbox (`idwatch outbox "
                  "list`) for the next drain", (unsigned long long)(s.retried + s.dead));
        return IDW_ERR;
    }
    return IDW_OK;
}
