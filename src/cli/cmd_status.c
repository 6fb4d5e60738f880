/*
 * cmd_status.c — `idwatch status [--json]`: per org, where the connector
 * stands (cursor, last poll, newest event, counters, failures, pause,
 * rate-limit reading) and what ingest did; totals at the end.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "ingest/okta_poll.h"

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

/* One org's status document. */
static json_t *org_status(struct idw_store *st, MDB_txn *txn, const char *domain)
{
    char err[256];
    json_t *stats = NULL, *okta = NULL, *o;

    idw_store_meta_get(st, txn, "ingest_stats", domain, &stats, err, sizeof err);
    idw_store_meta_get(st, txn, "okta_state", domain, &okta, err, sizeof err);
    json_int_t newest = ival(stats, "newest_published_ms");
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
    json_decref(stats);
    json_decref(okta);
    return o;
}

static void print_human(const json_t *o)
{
    const char *pr = json_string_value(json_object_get(o, "pause_reason"));
    printf("%s%s\n", json_string_value(json_object_get(o, "domain_id")),
           json_is_true(json_object_get(o, "paused")) ? "  [PAUSED]" : "");
    if (pr)
        printf("  pause reason:      %s\n", pr);
    printf("  last poll:         %s\n", json_string_value(json_object_get(o, "last_poll")) ?: "-");
    printf("  last event:        %s\n", json_string_value(json_object_get(o, "last_event_published")) ?: "-");
    printf("  events ingested:   %lld (duplicates skipped %lld, rejected %lld)\n",
           (long long)ival(o, "events_ingested"), (long long)ival(o, "duplicates_skipped"),
           (long long)ival(o, "rejected"));
    printf("  pages %lld, 429s %lld, consecutive failures %lld, rate-limit remaining ",
           (long long)ival(o, "pages"), (long long)ival(o, "http_429"),
           (long long)ival(o, "consecutive_failures"));
    if (json_is_integer(json_object_get(o, "rate_limit_remaining")))
        printf("%lld\n", (long long)ival(o, "rate_limit_remaining"));
    else
        printf("-\n");
    printf("  cursor:            %s\n", json_string_value(json_object_get(o, "cursor")) ?: "-");
}

int idw_cmd_status(struct idw_cli *cli, int argc, char **argv)
{
    int json = argc > 1 && !strcmp(argv[1], "--json");
    struct idw_store *st;
    MDB_txn *txn;
    json_t *orgs = json_array();
    json_int_t total = 0, dups = 0;
    char err[512];

    if (argc > 1 && !json) {
        printf("usage: idwatch status [--json]\n\nPer org: cursor, last poll, newest event, "
               "counters, failures, pause state, rate-limit reading; totals.\n");
        json_decref(orgs);
        return strcmp(argv[1], "--help") ? IDW_EXIT_USAGE : IDW_EXIT_OK;
    }
    if (idw_cli_load_config(cli) < 0 || !(st = idw_cli_open_store(cli, 1))) {
        json_decref(orgs);
        return IDW_EXIT_FAILURE;
    }
    if (idw_store_begin(st, 1, &txn, err, sizeof err) < 0) {
        log_error("%s", err);
        idw_store_close(st);
        json_decref(orgs);
        return IDW_EXIT_FAILURE;
    }
    for (size_t i = 0; i < cli->cfg.n_orgs; i++) {
        json_t *o = org_status(st, txn, cli->cfg.orgs[i].domain_id);
        total += ival(o, "events_ingested");
        dups += ival(o, "duplicates_skipped");
        json_array_append_new(orgs, o);
    }
    mdb_txn_abort(txn);
    idw_store_close(st);
    if (json) {
        json_t *doc = json_pack("{s:o, s:{s:I, s:I}}", "orgs", orgs, "totals",
                                "events_ingested", total, "duplicates_skipped", dups);
        json_dumpf(doc, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(doc);
        return IDW_EXIT_OK;
    }
    size_t i;
    json_t *o;
    json_array_foreach(orgs, i, o) print_human(o);
    printf("total: %lld events ingested, %lld duplicates skipped\n", (long long)total, (long long)dups);
    json_decref(orgs);
    return IDW_EXIT_OK;
}
