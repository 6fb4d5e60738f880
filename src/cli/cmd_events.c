/*
 * cmd_events.c — `idwatch events show UUID`: one kept event (store/evstore.h,
 * docs/events.md), and the event tables `persona show --events` and
 * `alerts show` print (idw_cli_print_events, idw_cli_person_events).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "store/evstore.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: idwatch events show UUID [--domain ID] [--json]\n"
            "\n"
            "  show   one kept event by its Okta uuid: who, what, from where, and its link\n"
            "         in the Okta Admin Console's System Log (when the org's org_url is set)\n"
            "  --domain ID   the Okta org (default: the configuration's first org)\n"
            "  --json        the event as JSON (docs/events.md)\n"
            "\n"
            "Events are kept events.retention_days (docs/config.md).\n"
            "Exit codes: 0 ok, 1 failure, 2 usage, 4 no such event (never stored, or pruned).\n");
}

static const char *s_or(const json_t *o, const char *k, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : dflt;
}

void idw_cli_print_events(const json_t *events)
{
    size_t i;
    json_t *e;

    printf("  %-24s %-38s %-9s %-28s %-15s %s\n", "published", "event type", "outcome", "actor",
           "ip", "place");
    json_array_foreach(events, i, e) {
        const json_t *actor = json_object_get(e, "actor");
        printf("  %-24s %-38.38s %-9.9s %-28.28s %-15.15s %s%s%s\n", s_or(e, "published", "-"),
               s_or(e, "event_type", "-"), s_or(json_object_get(e, "outcome"), "result", "-"),
               s_or(actor, "login", s_or(actor, "id", "-")), s_or(e, "ip", "-"),
               s_or(e, "city", ""), json_object_get(e, "city") && json_object_get(e, "country") &&
               !json_is_null(json_object_get(e, "city")) ? ", " : "", s_or(e, "country", ""));
    }
    if (!json_array_size(events))
        printf("  (no kept events)\n");
}

struct collect {
    json_t *arr;
    const char *base;
};

static int collect_one(const struct idw_evrec *r, void *vctx)
{
    struct collect *c = vctx;
    json_array_append_new(c->arr, idw_evrec_to_json(r, c->base));
    return 0;
}

enum idw_rc idw_cli_person_events(const struct idw_cli *cli, struct idw_store *st, MDB_txn *txn,
                                  const char *domain, const char *tuid, int64_t from_ms, int64_t to_ms,
                                  size_t limit, json_t **out)
{
    struct collect c = {json_array(), idw_evstore_okta_base(&cli->cfg, domain)};
    char err[512];

    *out = NULL;
    if (!c.arr) {
        log_error("out of memory");
        return IDW_ERR;
    }
    if (idw_evstore_person(st, txn, domain, tuid, from_ms, to_ms, limit, collect_one, &c, err,
                           sizeof err) < 0) {
        log_error("%s", err);
        json_decref(c.arr);
        return IDW_ERR;
    }
    *out = c.arr;
    return IDW_OK;
}

static void print_one(const json_t *e)
{
    const json_t *t, *actor = json_object_get(e, "actor"), *o = json_object_get(e, "outcome");
    size_t i;

    printf("%s  %s  %s\n", s_or(e, "published", "-"), s_or(e, "event_type", "-"), s_or(e, "uuid", "-"));
    printf("  %s\n", s_or(e, "display_message", "-"));
    printf("  outcome %s%s%s  severity %s\n", s_or(o, "result", "-"),
           json_is_string(json_object_get(o, "reason")) ? ": " : "", s_or(o, "reason", ""),
           s_or(e, "severity", "-"));
    printf("  actor %s (%s, %s) %s\n", s_or(actor, "login", "-"), s_or(actor, "type", "-"),
           s_or(actor, "id", "-"), s_or(actor, "display_name", ""));
    json_array_foreach(json_object_get(e, "target"), i, t)
        printf("  target %s (%s, %s)\n", s_or(t, "login", "-"), s_or(t, "type", "-"), s_or(t, "id", "-"));
    printf("  from %s  %s, %s  AS%lld %s\n", s_or(e, "ip", "-"), s_or(e, "city", "?"),
           s_or(e, "country", "?"), (long long)json_integer_value(json_object_get(e, "asn")),
           s_or(e, "as_org", ""));
    printf("  device %s  %s  app %s  session %s\n", s_or(e, "device", "-"), s_or(e, "user_agent", "-"),
           s_or(e, "app", "-"), s_or(e, "session_id", "-"));
    if (json_is_string(json_object_get(e, "okta_url")))
        printf("  okta: %s\n", s_or(e, "okta_url", ""));
}

static int show(struct idw_cli *cli, const char *domain, const char *uuid, int json)
{
    struct idw_evrec *r = malloc(sizeof *r);
    struct idw_store *st;
    MDB_txn *txn;
    char err[512];
    int rc = IDW_EXIT_FAILURE;

    st = r ? idw_cli_open_store(cli, 1) : NULL;
    if (!st) {
        free(r);
        return IDW_EXIT_FAILURE;
    }
    if (idw_store_begin(st, 1, &txn, err, sizeof err) == IDW_OK) {
        enum idw_rc g = idw_evstore_get(st, txn, domain, uuid, r, err, sizeof err);
        json_t *e = g == IDW_OK ? idw_evrec_to_json(r, idw_evstore_okta_base(&cli->cfg, domain)) : NULL;
        if (g == IDW_NOTFOUND) {
            log_error("no kept event %s in domain %s (never ingested, or older than "
                      "events.retention_days)", uuid, domain);
            rc = IDW_EXIT_NOT_FOUND;
        } else if (g == IDW_ERR) {
            log_error("%s", err);
        } else if (e) {
            if (!json)
                print_one(e);
            else if (json_dumpf(e, stdout, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(10)) == 0)
                putchar('\n');
            rc = IDW_EXIT_OK;
        }
        json_decref(e);
        mdb_txn_abort(txn);
    } else {
        log_error("%s", err);
    }
    idw_store_close(st);
    free(r);
    return rc;
}

int idw_cmd_events(struct idw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"domain", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    const char *domain = NULL;
    int json = 0, c;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? IDW_EXIT_USAGE : IDW_EXIT_OK;
    }
    for (c = getopt_long(argc - 1, argv + 1, "h", opts, NULL); c != -1;
         c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) {
        if (c == 'j')
            json = 1;
        else if (c == 'd')
            domain = optarg;
        else {
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? IDW_EXIT_OK : IDW_EXIT_USAGE;
        }
    }
    if (strcmp(argv[1], "show") != 0 || argc - 1 - optind != 1) {
        log_error("events: expected `events show UUID`");
        usage(stderr);
        return IDW_EXIT_USAGE;
    }
    if (idw_cli_load_config(cli) < 0)
        return IDW_EXIT_FAILURE;
    return show(cli, domain ? domain : idw_cli_default_domain(cli), argv[optind + 1], json);
}
