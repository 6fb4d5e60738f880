/*
 * cmd_run.c — `idwatch run [--once]` and `idwatch backfill`: poll every
 * configured Okta org through the pipeline.
 *
 * Each org has its own poller (its own cursor, rate budget, backoff and
 * pause state) feeding its own pipeline, wired here as the poller's page
 * sink (source/page_sink.h); this file also raises the connector_starved
 * alert the pollers ask for.  The requests of orgs that are due run at once on a pool
 * of fetch threads (poll_pool.h), so a slow or stalled org delays no
 * other; the loop, on the one thread that writes LMDB, applies each page
 * as its request finishes.  One request is in flight per org.
 * SIGTERM/SIGINT end the loop between pages — a page is committed whole or not at all, so a
 * stop never loses or half-applies one.  SIGHUP reloads the rules and the
 * webhooks between pages; what fails to load is reported and the running
 * version stays.  Alerts a page raised are delivered right after the page
 * (deliver.h); the outbox is also worked whenever a retry falls due.
 * `run --once` polls until caught up, then drains the outbox once.
 * When the configuration has a "serve" object (or the older
 * metrics.listen), the HTTP server (serve/serve.h: the API, the console,
 * /metrics) runs on its own thread beside this loop; an API review wakes
 * delivery here through api_reviewed.
 */
#include <getopt.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/observe.h"
#include "cli/poll_pool.h"
#include "alert/alert.h"
#include "deliver/deliver.h"
#include "common/log.h"
#include "engine/pipeline.h"
#include "source/okta_poll.h"
#include "event/geo.h"
#include "serve/serve.h"

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    reload_requested = 1;
}

struct org_run {
    struct idw_okta_poller *poller;
    struct idw_pipeline *pl;    /* the poller's page sink; rules are swapped here (SIGHUP) */
    char domain[IDW_DOMAIN_MAX];
    int64_t due_ms;
    int done;                   /* --once: caught up or paused */
    int paused;
    int in_flight;              /* its request is with the fetch threads */
};

#define FETCH_THREADS_MAX 16        /* requests in flight at once, whatever the number of orgs */

struct run_args {
    int once, backfill, days, progress;
    const char *domain;
};

static int want(const struct run_args *a, const char *domain)
{
    return !a->domain || strcmp(a->domain, domain) == 0;
}

/* What a poll step's result means for the org's schedule; -1 on a fatal (storage) error. */
static int after_step(struct org_run *o, const struct run_args *a, enum idw_poll_result r, long wait_ms)
{
    o->due_ms = idw_now_ms() + wait_ms;
    switch (r) {
    case IDW_POLL_FATAL:
        return -1;
    case IDW_POLL_PAUSED:
        o->paused = 1;
        o->done = a->once;      /* a daemon keeps checking for `okta resume` */
        break;
    case IDW_POLL_CAUGHT_UP:
        if (a->once)
            o->done = 1;
        o->paused = 0;
        break;
    case IDW_POLL_WAIT:
        break;
    default:
        o->paused = 0;
        break;
    }
    return 0;
}

static int all_done(const struct org_run *runs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!runs[i].done || runs[i].in_flight)
            return 0;
    return 1;
}

/* Everything one `run` process drives. */
struct daemon {
    struct idw_cli *cli;
    struct idw_store *st;
    struct org_run *runs;
    size_t n;
    const struct run_args *a;
    struct idw_detect *detect;
    struct idw_webhooks *webhooks;      /* NULL: no delivery (none configured, or backfill) */
    struct idw_poll_pool *pool;         /* the fetch threads */
    int64_t delivery_due_ms;            /* 0: nothing waiting */
    struct idw_server *srv;             /* the HTTP server, NULL when off */
    struct idw_metrics_src msrc;        /* what its /metrics reads */
    atomic_int api_reviewed;            /* set by the server thread: an API review queued deliveries */
};

/*
 * The connector_starved alert (source/page_sink.h's starved callback):
 * the one place the daemon raises it, with the poller's text.
 */
static enum idw_rc raise_starved(void *vdm, const char *domain, int64_t since_ms, int64_t ended_ms,
                                 const char *summary, const char *evidence, char *err, size_t errlen)
{
    struct daemon *dm = vdm;
    struct idw_alert_candidate c = {.severity = IDW_SEV_HIGH, .score = 70, .mitre = "T1562",
                                    .stage = "Defense Evasion"};

    (void)since_ms;     /* the poller's text says when; the alert is timed by the wall clock */
    (void)ended_ms;
    snprintf(c.entity, sizeof c.entity, "org:%s", domain);
    idw_strlcpy(c.summary, summary, sizeof c.summary);
    idw_strlcpy(c.evidence, evidence, sizeof c.evidence);
    c.window_ms = IDW_DAY_MS;
    return idw_alert_raise_connector(idw_detect_alerts(dm->detect), dm->st, domain, "connector_starved",
                                     &c, idw_now_ms(), err, errlen);
}

/* One org's pipeline, and its poller feeding it. */
static enum idw_rc open_org(struct daemon *dm, const struct idw_geodb *geo, const struct idw_org_config *oc,
                            struct org_run *o, char *err, size_t errlen)
{
    struct idw_pipeline_opts plo = {.domain_id = oc->domain_id, .geo = geo, .detect = dm->detect};
    struct idw_poll_opts po = {.stop = &stop_requested, .backfill_days = dm->a->days,
                               .progress = dm->a->progress};
    struct idw_okta_org org;

    if (idw_okta_org_read(oc, &org, err, errlen) < 0 ||
        idw_pipeline_open(dm->st, &dm->cli->cfg, &plo, &o->pl, err, errlen) < 0)
        return IDW_ERR;
    idw_pipeline_page_sink(o->pl, &po.sink);
    po.sink.starved = raise_starved;
    po.sink.starved_ctx = dm;
    return idw_okta_poller_new(dm->st, &org, &po, &o->poller, err, errlen);
}

/* Opens a pipeline and a poller for every polled org (those with an org_url). */
static int open_pollers(struct daemon *dm, const struct idw_geodb *geo)
{
    struct idw_cli *cli = dm->cli;
    const struct run_args *a = dm->a;
    char err[768];

    dm->n = 0;
    for (size_t i = 0; i < cli->cfg.n_orgs; i++) {
        const struct idw_org_config *oc = &cli->cfg.orgs[i];
        struct org_run *o = &dm->runs[dm->n];
        if (!want(a, oc->domain_id) || !json_object_get(oc->json, "org_url"))
            continue;
        idw_strlcpy(o->domain, oc->domain_id, sizeof o->domain);
        dm->n++;    /* counted at once: close_all frees what was opened */
        if (open_org(dm, geo, oc, o, err, sizeof err) < 0) {
            log_error("%s: %s", oc->domain_id, err);
            return -1;
        }
    }
    if (dm->n == 0) {
        log_error(a->domain ? "no org '%s' with an org_url in the configuration"
                            : "no org with an org_url in the configuration%s", a->domain ? a->domain : "");
        return -1;
    }
    return 0;
}

/* The server thread's review hook: delivery runs on this loop's thread, so only flag it. */
static void on_api_review(void *vdm)
{
    struct daemon *dm = vdm;
    atomic_store(&dm->api_reviewed, 1);
}

/* Every org's pipeline switches to fresh; on failure all stay on the running engine. */
static int switch_rules(struct daemon *dm, struct idw_detect *fresh)
{
    for (size_t i = 0; i < dm->n; i++)
        if (idw_pipeline_set_detect(dm->runs[i].pl, fresh) < 0) {
            /* cannot happen between pages (no batch open); keep every org on one engine */
            for (size_t j = 0; j < i; j++)
                if (idw_pipeline_set_detect(dm->runs[j].pl, dm->detect) < 0)
                    log_error("%s: SIGHUP: cannot restore the running rules", dm->runs[j].domain);
            return -1;
        }
    return 0;
}

/*
 * SIGHUP: the rules (from the running rules_dir) and the configuration
 * file's "webhooks" are read again; other settings need a restart.  Both
 * are loaded before either is switched, and the engine queues alerts for
 * exactly the webhooks the worker delivers to: all or nothing, and a
 * failure is reported while the running version stays.
 */
/* The rule engine, logging each live alert it raises (the daemon's log is where an operator looks). */
static int open_rules(struct idw_cli *cli, struct idw_detect **d)
{
    if (idw_cli_open_detect(cli, d) < 0)
        return -1;
    idw_detect_log_alerts(*d, 1);
    return 0;
}

static int reload_config(struct daemon *dm);

/* The outcome of a reload, for `status` and the metrics (meta "daemon"). */
static void note_reload(struct daemon *dm, int ok)
{
    MDB_txn *txn;
    json_t *doc = NULL;
    char err[256];

    if (idw_store_begin(dm->st, 0, &txn, err, sizeof err) < 0)
        goto fail;
    if (idw_store_meta_get(dm->st, txn, "daemon", "_all", &doc, err, sizeof err) < 0) {
        mdb_txn_abort(txn);
        goto fail;
    }
    if (!doc)
        doc = json_object();
    json_object_set_new(doc, "last_reload_ok", json_boolean(ok));
    json_object_set_new(doc, "last_reload_ms", json_integer(idw_now_ms()));
    if (idw_store_meta_put(dm->st, txn, "daemon", "_all", doc, err, sizeof err) < 0) {
        json_decref(doc);
        mdb_txn_abort(txn);
        goto fail;
    }
    json_decref(doc);
    if (idw_store_commit(txn, err, sizeof err) == 0)
        return;
fail:
    log_warn("SIGHUP: cannot record the reload's outcome: %s", err);
}

static void reload(struct daemon *dm)
{
    reload_requested = 0;
    note_reload(dm, reload_config(dm) == 0);
}

/* Returns 0 when everything was reloaded, -1 when the running version stays. */
static int reload_config(struct daemon *dm)
{
    struct idw_config fresh;
    struct idw_webhooks *wh = NULL;
    struct idw_detect *rules = NULL;
    char err[512];
    int rc = -1;

    if (idw_config_load(dm->cli->config_path, &fresh, err, sizeof err) < 0) {
        log_error("SIGHUP: configuration: %s; nothing reloaded", err);
        return -1;
    }
    if (!dm->a->backfill && idw_webhooks_load(fresh.root, &wh, err, sizeof err) < 0) {
        log_error("SIGHUP: webhooks: %s; nothing reloaded, the running rules and webhooks stay", err);
    } else if (open_rules(dm->cli, &rules) < 0 ||
               idw_cli_route_alerts(fresh.root, rules, wh) < 0 ||
               switch_rules(dm, rules) < 0) {
        log_error("SIGHUP: rules not reloaded; the running rules and webhooks stay in force");
        idw_detect_close(rules);
        idw_webhooks_free(wh);
    } else {
        idw_detect_close(dm->detect);
        dm->detect = rules;
        if (!dm->a->backfill) {
            idw_webhooks_free(dm->webhooks);
            dm->webhooks = wh;
            dm->delivery_due_ms = idw_now_ms();
        }
        log_info("SIGHUP: rules reloaded from %s; %zu webhook(s) configured", dm->cli->cfg.rules_dir,
                 dm->webhooks ? dm->webhooks->n : 0);
        rc = 0;
    }
    idw_config_free(&fresh);
    return rc;
}

/* Delivers what is due (all pending when drain); -1 only on a storage error. */
static int deliver(struct daemon *dm, int drain)
{
    char err[512];
    int64_t next = 0;

    if (!dm->webhooks) {
        dm->delivery_due_ms = 0;    /* nothing to deliver to: a due time left set would make loop() spin */
        return 0;
    }
    if (!drain && (!dm->delivery_due_ms || dm->delivery_due_ms > idw_now_ms()))
        return 0;
    if (idw_deliver_pending(dm->st, dm->webhooks, drain ? (size_t)-1 : 64, drain, &stop_requested,
                            &next, NULL, NULL, err, sizeof err) < 0) {
        log_error("delivery: %s", err);
        return -1;
    }
    dm->delivery_due_ms = next;
    return 0;
}

/* Sleeps until ms passed, a fetch finished, a stop, a reload request, or an API review to deliver. */
static void nap(struct daemon *dm, long ms)
{
    while (ms > 0 && !stop_requested && !reload_requested) {
        long step = ms < 100 ? ms : 100;
        int64_t t0 = idw_now_ms();
        if (idw_poll_pool_busy(dm->pool))
            idw_poll_pool_wait(dm->pool, step);
        else
            idw_sleep_ms(step, &stop_requested);
        if (atomic_exchange(&dm->api_reviewed, 0)) {
            dm->delivery_due_ms = idw_now_ms();
            return;
        }
        if (idw_poll_pool_busy(dm->pool) && idw_now_ms() - t0 < step)
            return;     /* woken early: a fetch finished */
        ms -= step;
    }
}

/* Applies every finished fetch, on this (the writer's) thread; -1 on a fatal error. */
static int apply_fetched(struct daemon *dm)
{
    struct org_run *o;

    for (o = idw_poll_pool_take_done(dm->pool); o; o = idw_poll_pool_take_done(dm->pool)) {
        long wait_ms = 0;
        enum idw_poll_result r;
        o->in_flight = 0;
        if (stop_requested) {
            idw_okta_poll_discard(o->poller);   /* a stop: the page is fetched again next time */
            continue;
        }
        r = idw_okta_poll_finish(o->poller, &wait_ms);
        dm->delivery_due_ms = idw_now_ms();     /* the page may have raised alerts: deliver now */
        if (after_step(o, dm->a, r, wait_ms) < 0)
            return -1;
    }
    return 0;
}

/* Starts the requests of the orgs that are due; returns the next time one is due. */
static int64_t start_due(struct daemon *dm)
{
    int64_t now = idw_now_ms(), next = now + 60000;

    for (size_t i = 0; i < dm->n && !stop_requested; i++) {
        struct org_run *o = &dm->runs[i];
        enum idw_poll_result r;
        long wait_ms;
        if (o->done || o->in_flight)
            continue;
        if (o->due_ms <= now) {
            if (idw_okta_poll_begin(o->poller, &r, &wait_ms)) {
                if (idw_poll_pool_submit(dm->pool, o->poller, o) < 0) {
                    log_error("%s: out of memory", o->domain);
                    o->due_ms = now + 1000;
                } else {
                    o->in_flight = 1;
                    continue;
                }
            } else {
                after_step(o, dm->a, r, wait_ms);   /* paused or pacing: never fatal */
            }
        }
        if (o->due_ms < next && !o->done)
            next = o->due_ms;
    }
    return next;
}

static int loop(struct daemon *dm)
{
    while (!stop_requested) {
        int64_t next;
        if (reload_requested && idw_poll_pool_busy(dm->pool) == 0)
            reload(dm);     /* between pages: no request of the old rules' pollers in flight */
        if (apply_fetched(dm) < 0)
            return -1;
        /* a reload waits for the requests in flight: start no new ones meanwhile */
        next = reload_requested ? idw_now_ms() + 100 : start_due(dm);
        if (deliver(dm, 0) < 0)
            return -1;
        if (all_done(dm->runs, dm->n))
            return dm->a->once ? deliver(dm, 1) : 0;   /* --once: one bounded drain */
        if (dm->delivery_due_ms && dm->delivery_due_ms < next)
            next = dm->delivery_due_ms;
        if (!reload_requested || idw_poll_pool_busy(dm->pool) == 0)
            nap(dm, (long)(next - idw_now_ms()));
        else
            idw_poll_pool_wait(dm->pool, 100);
    }
    return 0;
}

static void usage(FILE *out, int backfill)
{
    if (backfill)
        fprintf(out,
                "usage: idwatch backfill [--days N] [DOMAIN]\n"
                "\n"
                "Pulls up to 90 days of history for an org that has no cursor yet, seeding the\n"
                "personas before live alerting, then leaves the cursor where `run` continues.\n"
                "Resumable: run it again after an interruption.  Progress goes to stderr.\n"
                "  --days N   how far back (1-90; default: the org's backfill_days)\n");
    else
        fprintf(out,
                "usage: idwatch run [--once] [DOMAIN]\n"
                "\n"
                "Polls the System Log of every configured org (or DOMAIN) until SIGTERM/SIGINT,\n"
                "runs the rules, and delivers alerts to the configured webhooks.  SIGHUP reloads\n"
                "the rules and webhooks.  With a \"serve\" configuration it also serves the API,\n"
                "the console and /metrics (serve.listen, default 127.0.0.1:8642).\n"
                "  --once   poll until every org is caught up (a short page), try every pending\n"
                "           delivery once, then exit\n");
    fprintf(out, "\nExit codes: 0 ok, 1 failure or an org paused, 2 usage.\n");
}

static int parse_args(int argc, char **argv, struct run_args *a)
{
    static const struct option opts[] = {
        {"once", no_argument, NULL, 'o'}, {"days", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c;

    for (;;) {
        c = getopt_long(argc, argv, "h", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'o':
            if (a->backfill)
                goto bad;
            a->once = 1;
            break;
        case 'd':
            if (!a->backfill)
                goto bad;
            a->days = atoi(optarg);
            if (a->days < 1 || a->days > 90)
                goto bad;
            break;
        case 'h':
            usage(stdout, a->backfill);
            return 1;
        default:
            goto bad;
        }
    }
    if (optind < argc - 1)
        goto bad;
    a->domain = optind < argc ? argv[optind] : NULL;
    return 0;
bad:
    usage(stderr, a->backfill);
    return -1;
}


/* Backfill is for a fresh org: an org already polling has its history. */
static int backfill_allowed(struct idw_store *st, const struct org_run *runs, size_t n)
{
    char err[768];
    for (size_t i = 0; i < n; i++) {
        json_t *s;
        if (idw_okta_state_get(st, runs[i].domain, &s, err, sizeof err) < 0) {
            log_error("%s", err);   /* names the org */
            return 0;
        }
        /* a cursor that is not an unfinished backfill's: the org is live */
        int live = s && json_string_value(json_object_get(s, "next_url")) &&
                   (!json_object_get(s, "backfill_started") || json_object_get(s, "backfill_done"));
        json_decref(s);
        if (live) {
            log_error("%s: live polling has already started (or a backfill finished); "
                      "backfill seeds only an org that has no cursor yet", runs[i].domain);
            return 0;
        }
    }
    return 1;
}

static void drop_fetched(void *tag)
{
    struct org_run *o = tag;
    idw_okta_poll_discard(o->poller);
    o->in_flight = 0;
}

static void close_all(struct daemon *dm, struct idw_geodb *geo)
{
    idw_serve_stop(dm->srv);        /* first: its requests read the store */
    idw_poll_pool_free(dm->pool, drop_fetched);     /* waits for the requests in flight */
    for (size_t i = 0; i < dm->n; i++) {
        idw_okta_poller_free(dm->runs[i].poller);
        idw_pipeline_close(dm->runs[i].pl);
    }
    free(dm->runs);
    idw_store_close(dm->st);
    idw_geo_close(geo);
    idw_detect_close(dm->detect);
    idw_webhooks_free(dm->webhooks);
}

/* The HTTP server, when "serve" (or the older metrics.listen) is configured; never for backfill. */
static int open_server(struct daemon *dm)
{
    struct idw_serve_opts o;
    int configured;
    char err[512];

    if (dm->a->backfill)
        return 0;
    if (idw_serve_config(&dm->cli->cfg, NULL, &o, &configured, err, sizeof err) < 0) {
        log_error("configuration: %s", err);
        return -1;
    }
    if (!configured)
        return 0;
    dm->msrc = (struct idw_metrics_src){.cfg = &dm->cli->cfg, .st = dm->st};
    o.st = dm->st;
    o.metrics = idw_metrics_scrape;
    o.metrics_ctx = &dm->msrc;
    o.reviewed = on_api_review;
    o.reviewed_ctx = dm;
    if (idw_serve_start(&o, &dm->srv, err, sizeof err) < 0) {
        log_error("%s", err);
        return -1;
    }
    log_info("serving the API, the console and /metrics on %s://%s/", *o.tls_cert ? "https" : "http",
             o.listen);
    return 0;
}

/* Webhooks are delivered by `run`; a backfill only queues (and by default skips) its alerts. */
static int open_webhooks(struct daemon *dm)
{
    char err[512];

    if (dm->a->backfill || idw_webhooks_load(dm->cli->cfg.root, &dm->webhooks, err, sizeof err) == 0) {
        dm->delivery_due_ms = idw_now_ms();
        return 0;
    }
    log_error("%s", err);
    return -1;
}

static int run_common(struct idw_cli *cli, struct run_args *a)
{
    struct daemon dm = {.cli = cli, .a = a};
    struct idw_geodb *geo = NULL;
    struct org_run *runs;
    int rc = IDW_EXIT_FAILURE;

    if (idw_cli_load_config(cli) < 0 || idw_cli_open_geo(&cli->cfg, &geo) < 0)
        return IDW_EXIT_FAILURE;
    runs = dm.runs = calloc(cli->cfg.n_orgs ? cli->cfg.n_orgs : 1, sizeof *runs);
    if (!runs ||
        idw_poll_pool_new(cli->cfg.n_orgs < FETCH_THREADS_MAX ? (cli->cfg.n_orgs ? cli->cfg.n_orgs : 1)
                                                             : FETCH_THREADS_MAX, &dm.pool) < 0) {
        log_error("cannot start the fetch threads");
        free(runs);
        idw_geo_close(geo);
        return IDW_EXIT_FAILURE;
    }
    /* each step only after the one before succeeded: dm.st stays NULL otherwise */
    if (open_rules(cli, &dm.detect) >= 0 && open_webhooks(&dm) >= 0)
        dm.st = idw_cli_open_writer(cli, a->backfill ? "backfill" : "run");
    if (!dm.st || open_server(&dm) < 0) {
        close_all(&dm, geo);
        return IDW_EXIT_FAILURE;
    }
    signal(SIGINT, on_stop);
    signal(SIGTERM, on_stop);
    signal(SIGHUP, on_hup);
    signal(SIGPIPE, SIG_IGN);
    if (open_pollers(&dm, geo) == 0 &&
        (!a->backfill || backfill_allowed(dm.st, runs, dm.n))) {
        if (loop(&dm) == 0) {
            rc = IDW_EXIT_OK;
            for (size_t i = 0; i < dm.n; i++)
                if (runs[i].paused)
                    rc = IDW_EXIT_FAILURE;
        }
        if (a->progress)
            fputc('\n', stderr);
    }
    close_all(&dm, geo);
    return rc;
}

int idw_cmd_run(struct idw_cli *cli, int argc, char **argv)
{
    struct run_args a = {0};
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc > 0 ? IDW_EXIT_OK : IDW_EXIT_USAGE;
    return run_common(cli, &a);
}

int idw_cmd_backfill(struct idw_cli *cli, int argc, char **argv)
{
    struct run_args a = {.backfill = 1};
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc > 0 ? IDW_EXIT_OK : IDW_EXIT_USAGE;
    a.once = 1;
    a.progress = isatty(STDERR_FILENO);
    return run_common(cli, &a);
}
