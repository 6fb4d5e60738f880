/*
 * cmd_status.c — `idwatch status [--json]` and `idwatch metrics`: per org,
 * where the connector stands (cursor, last poll, newest event, counters,
 * failures, pause, rate-limit reading, lag) and what ingest did; then the
 * alerts and the webhook outbox (the document is built in observe.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "cli/observe.h"

static json_int_t ival(const json_t *o, const char *k)
{
    return json_integer_value(json_object_get(o, k));
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
    printf("  events ingested:   %lld (duplicates skipped %lld, filtered %lld, rejected %lld, "
           "stale %lld, future %lld)\n", (long long)ival(o, "events_ingested"),
           (long long)ival(o, "duplicates_skipped"), (long long)ival(o, "filtered"),
           (long long)ival(o, "rejected"), (long long)ival(o, "stale"), (long long)ival(o, "future"));
    printf("  pages %lld, 429s %lld, consecutive failures %lld, rate-limit remaining ",
           (long long)ival(o, "pages"), (long long)ival(o, "http_429"),
           (long long)ival(o, "consecutive_failures"));
    if (json_is_integer(json_object_get(o, "rate_limit_remaining")))
        printf("%lld\n", (long long)ival(o, "rate_limit_remaining"));
    else
        printf("-\n");
    if (ival(o, "starved_seconds") > 0)
        printf("  RATE-LIMITED:      no System Log page for %lld s "
               "(since %s; %lld rate-limited answers in all)%s\n",
               (long long)ival(o, "starved_seconds"),
               json_string_value(json_object_get(o, "starved_since")) ?: "-",
               (long long)ival(o, "rate_limited_total"),
               json_is_true(json_object_get(o, "starvation_alerted"))
                   ? "; connector_starved alert raised" : "");
    printf("  cursor:            %s\n", json_string_value(json_object_get(o, "cursor")) ?: "-");
}

static void print_totals(const json_t *doc)
{
    const json_t *a = json_object_get(doc, "alerts"), *ob = json_object_get(doc, "outbox");
    const json_t *sev = json_object_get(a, "by_severity"), *stat = json_object_get(a, "by_status");
    const json_t *age = json_object_get(ob, "oldest_pending_age_s");

    printf("total: %lld events ingested, %lld duplicates skipped\n",
           (long long)ival(json_object_get(doc, "totals"), "events_ingested"),
           (long long)ival(json_object_get(doc, "totals"), "duplicates_skipped"));
    printf("alerts: %lld (critical %lld, high %lld, medium %lld, low %lld; open %lld, acknowledged "
           "%lld, resolved %lld, false positive %lld)\n", (long long)ival(a, "total"),
           (long long)ival(sev, "critical"), (long long)ival(sev, "high"), (long long)ival(sev, "medium"),
           (long long)ival(sev, "low"), (long long)ival(stat, "open"), (long long)ival(stat, "acknowledged"),
           (long long)ival(stat, "resolved"), (long long)ival(stat, "false_positive"));
    printf("outbox: %lld pending, %lld dead", (long long)ival(ob, "pending"), (long long)ival(ob, "dead"));
    if (json_is_integer(age))
        printf(", oldest pending %llds", (long long)json_integer_value(age));
    printf("; delivered %lld in total\n", (long long)ival(ob, "delivered_total"));
}

/* The status document of the configured orgs, or NULL (error printed). */
static json_t *load_status(struct idw_cli *cli)
{
    struct idw_store *st;
    MDB_txn *txn;
    json_t *doc;
    char err[512];

    if (idw_cli_load_config(cli) < 0)
        return NULL;
    st = idw_cli_open_store(cli, 1);
    if (!st)
        return NULL;
    if (idw_store_begin(st, 1, &txn, err, sizeof err) < 0) {
        log_error("%s", err);
        idw_store_close(st);
        return NULL;
    }
    if (idw_status_doc(&cli->cfg, st, txn, &doc, err, sizeof err) < 0)
        log_error("status: %s", err);
    mdb_txn_abort(txn);
    idw_store_close(st);
    return doc;
}

int idw_cmd_status(struct idw_cli *cli, int argc, char **argv)
{
    int json = argc > 1 && !strcmp(argv[1], "--json");
    json_t *doc, *o;
    size_t i;

    if (argc > 1 && !json) {
        printf("usage: idwatch status [--json]\n\nPer org: cursor, last poll, newest event, "
               "counters, failures, pause state, rate-limit reading, lag; then alerts by "
               "severity and status, and the webhook outbox.\n");
        return strcmp(argv[1], "--help") ? IDW_EXIT_USAGE : IDW_EXIT_OK;
    }
    doc = load_status(cli);
    if (!doc)
        return IDW_EXIT_FAILURE;
    if (json) {
        json_dumpf(doc, stdout, JSON_INDENT(2));
        putchar('\n');
    } else {
        json_array_foreach(json_object_get(doc, "orgs"), i, o) print_human(o);
        print_totals(doc);
    }
    json_decref(doc);
    return IDW_EXIT_OK;
}

int idw_cmd_metrics(struct idw_cli *cli, int argc, char **argv)
{
    json_t *doc;
    char *text;

    if (argc > 1) {
        printf("usage: idwatch metrics\n\nThe status as Prometheus text (exposition format 0.0.4): "
               "ingest, polling, alerts, webhook delivery.\n");
        return strcmp(argv[1], "--help") ? IDW_EXIT_USAGE : IDW_EXIT_OK;
    }
    doc = load_status(cli);
    if (!doc)
        return IDW_EXIT_FAILURE;
    text = idw_metrics_text(doc);
    json_decref(doc);
    if (!text) {
        log_error("out of memory");
        return IDW_EXIT_FAILURE;
    }
    fputs(text, stdout);
    free(text);
    return IDW_EXIT_OK;
}
