/*
 * cmd_horizon.c — `idwatch horizon [--repair] [--domain ID] [--json]`: shows
 * and repairs a domain's de-duplication horizon (pipeline.h).
 *
 * The horizon is anchored on the newest event time ingested; events older
 * than anchor - dedup_horizon_days are refused as stale.  A database that
 * an older release let a far-future event anchor would refuse everything:
 * the pipeline clamps such an anchor on open, and --repair re-anchors it
 * for good on the newest remembered event that is not in the future.
 * --repair writes, so it takes the writer lock like ingest and run.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"

#define DAY_MS 86400000LL

struct horizon_args {
    const char *domain;
    int repair, json;
};

static void horizon_usage(FILE *out)
{
    fprintf(out,
            "usage: idwatch horizon [--repair] [--domain ID] [--json]\n"
            "\n"
            "Shows the de-duplication horizon of a domain: the newest event time that\n"
            "anchors it, the oldest event time still accepted, and whether the anchor\n"
            "lies beyond this host's clock (a far-future event set it; every real event\n"
            "would be refused as stale).\n"
            "\n"
            "  --repair     re-anchor on the newest ingested event that is not in the\n"
            "               future (takes the writer lock: stop `idwatch run` first)\n"
            "  --domain ID  the Okta org's domain_id (default: the config's first org)\n"
            "  --json       print the result as JSON\n"
            "\n"
            "Exit codes: 0 ok (or repaired), 1 failure, 2 usage, 3 the anchor is in the\n"
            "future (shown without --repair).\n");
}

static int parse_args(int argc, char **argv, struct horizon_args *a)
{
    static const struct option opts[] = {
        {"repair", no_argument, NULL, 'r'}, {"domain", required_argument, NULL, 'D'},
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c;

    for (;;) {
        c = getopt_long(argc, argv, "h", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'r':
            a->repair = 1;
            break;
        case 'D':
            a->domain = optarg;
            break;
        case 'j':
            a->json = 1;
            break;
        case 'h':
            horizon_usage(stdout);
            return 1;
        default:
            horizon_usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        horizon_usage(stderr);
        return -1;
    }
    return 0;
}

/* The stored anchor (0 when nothing was ingested yet); -1 on error. */
static int read_anchor(struct idw_store *st, MDB_txn *txn, const char *domain, int64_t *anchor)
{
    json_t *doc = NULL;
    char err[256];

    if (idw_store_meta_get(st, txn, "ingest_stats", domain, &doc, err, sizeof err) < 0) {
        log_error("%s: %s", domain, err);
        return -1;
    }
    *anchor = json_integer_value(json_object_get(doc, "newest_published_ms"));
    json_decref(doc);
    return 0;
}

/* Re-anchors the horizon on the newest remembered event before latest_ok. */
static int repair(struct idw_store *st, const char *domain, int64_t latest_ok, int64_t *anchor)
{
    MDB_txn *txn;
    json_t *doc = NULL;
    int64_t newest = 0;
    char err[256];
    int rc;

    if (idw_store_begin(st, 0, &txn, err, sizeof err) < 0)
        goto fail;
    rc = idw_store_seen_newest(st, txn, domain, latest_ok, &newest, err, sizeof err);
    if (rc < 0 ||
        idw_store_meta_get(st, txn, "ingest_stats", domain, &doc, err, sizeof err) < 0) {
        mdb_txn_abort(txn);
        goto fail;
    }
    if (!doc)
        doc = json_object();
    json_object_set_new(doc, "newest_published_ms", json_integer(rc == 0 ? newest : 0));
    rc = idw_store_meta_put(st, txn, "ingest_stats", domain, doc, err, sizeof err);
    json_decref(doc);
    if (rc < 0) {
        mdb_txn_abort(txn);
        goto fail;
    }
    if (idw_store_commit(txn, err, sizeof err) < 0)
        goto fail;
    *anchor = newest;
    return 0;
fail:
    log_error("%s: repair failed: %s", domain, err);
    return -1;
}

static void print_result(const struct horizon_args *a, const struct idw_config *cfg,
                         const char *domain, int64_t anchor, int64_t latest_ok, int repaired)
{
    char anchor_s[IDW_TIME_STRLEN] = "-", oldest_s[IDW_TIME_STRLEN] = "-";
    int future = anchor > latest_ok;
    const char *state = repaired ? "repaired" : future ? "future" : "ok";

    if (anchor) {
        idw_time_format(anchor, anchor_s);
        idw_time_format(anchor - cfg->dedup_horizon_days * DAY_MS, oldest_s);
    }
    if (a->json) {
        json_t *o = json_pack("{s:s, s:s?, s:s?, s:i, s:i, s:s}", "domain_id", domain,
                              "anchor", anchor ? anchor_s : NULL,
                              "oldest_accepted", anchor ? oldest_s : NULL,
                              "dedup_horizon_days", cfg->dedup_horizon_days,
                              "max_future_skew_s", cfg->max_future_skew_s, "state", state);
        if (o && json_dumpf(o, stdout, JSON_COMPACT) == 0)
            fputc('\n', stdout);
        json_decref(o);
        return;
    }
    printf("%s: anchor %s, oldest accepted %s (%d days)%s\n", domain, anchor_s, oldest_s,
           cfg->dedup_horizon_days,
           repaired ? ": repaired"
           : future ? ": IN THE FUTURE — every real event is refused as stale; run "
                      "`idwatch horizon --repair`" : "");
}

int idw_cmd_horizon(struct idw_cli *cli, int argc, char **argv)
{
    struct horizon_args a = {0};
    struct idw_store *st;
    MDB_txn *txn;
    int64_t anchor = 0, latest_ok;
    char err[256];
    int repaired = 0, rc = parse_args(argc, argv, &a);

    if (rc)
        return rc > 0 ? IDW_EXIT_OK : IDW_EXIT_USAGE;
    if (idw_cli_load_config(cli) < 0)
        return IDW_EXIT_FAILURE;
    if (!a.domain)
        a.domain = idw_cli_default_domain(cli);
    st = a.repair ? idw_cli_open_writer(cli, "horizon --repair") : idw_cli_open_store(cli, 1);
    if (!st)
        return IDW_EXIT_FAILURE;
    latest_ok = idw_now_ms() + (int64_t)cli->cfg.max_future_skew_s * 1000;
    if (idw_store_begin(st, 1, &txn, err, sizeof err) < 0) {
        log_error("%s", err);
        idw_store_close(st);
        return IDW_EXIT_FAILURE;
    }
    rc = read_anchor(st, txn, a.domain, &anchor);
    mdb_txn_abort(txn);
    if (rc == 0 && a.repair && anchor > latest_ok) {
        rc = repair(st, a.domain, latest_ok, &anchor);
        repaired = rc == 0;
    }
    idw_store_close(st);
    if (rc < 0)
        return IDW_EXIT_FAILURE;
    print_result(&a, &cli->cfg, a.domain, anchor, latest_ok, repaired);
    return anchor > latest_ok ? IDW_EXIT_REJECTED : IDW_EXIT_OK;
}
