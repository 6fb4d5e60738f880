/*
 * cmd_incidents.c — `idwatch incidents list|show`: the incidents the alert
 * module groups alerts into (alert/incident.h, docs/alerts.md).  Read
 * only: an incident changes through its alerts (`idwatch alerts ack|
 * resolve|fp`), never directly.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"
#include "alert/incident.h"
#include "cli/cli.h"
#include "common/log.h"

struct opts {
    int json;
    const char *status;             /* --status open|resolved */
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: idwatch incidents list [--status open|resolved] [--json]\n"
            "       idwatch incidents show ID [--json]\n"
            "\n"
            "  list      incidents, most recent activity first (--json: one per line)\n"
            "  show      one incident: its people, sources, timeline and alerts\n"
            "\n"
            "Exit codes: 0 ok, 1 failure, 2 usage, 4 no such incident.\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'}, {"status", required_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c;

    for (;;) {
        c = getopt_long(argc, argv, "h", longopts, NULL);
        if (c == -1)
            return 0;
        if (c == 'j') {
            o->json = 1;
        } else if (c == 's' && (!strcmp(optarg, "open") || !strcmp(optarg, "resolved"))) {
            o->status = optarg;
        } else if (c == 's') {
            log_error("--status: expected open or resolved");
            return -1;
        } else if (c == 'h') {
            usage(stdout);
            return 1;
        } else {
            usage(stderr);
            return -1;
        }
    }
}

static const char *s(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "-";
}

/* ---- list ---------------------------------------------------------------------- */

struct collect {
    const struct opts *o;
    json_t *out;
};

static int collect_one(const json_t *inc, void *vc)
{
    struct collect *c = vc;

    if (!c->o->status || !strcmp(c->o->status, s(inc, "status")))
        json_array_append_new(c->out, json_deep_copy(inc));
    return 0;
}

static int newest_first(const void *x, const void *y)
{
    json_int_t a = json_integer_value(json_object_get(*(json_t *const *)x, "last_seen_ms"));
    json_int_t b = json_integer_value(json_object_get(*(json_t *const *)y, "last_seen_ms"));
    return a < b ? 1 : a > b ? -1 : 0;
}

static int cmd_list(struct idw_store *st, MDB_txn *txn, const struct opts *o)
{
    struct collect c = {o, json_array()};
    char err[256];
    size_t i, n;
    json_t **v;

    if (idw_incident_each(st, txn, collect_one, &c, err, sizeof err) != IDW_OK) {
        log_error("%s", err);
        json_decref(c.out);
        return IDW_EXIT_FAILURE;
    }
    n = json_array_size(c.out);
    v = malloc((n ? n : 1) * sizeof *v);
    if (!v) {
        log_error("out of memory");
        json_decref(c.out);
        return IDW_EXIT_FAILURE;
    }
    for (i = 0; i < n; i++)
        v[i] = json_array_get(c.out, i);
    qsort(v, n, sizeof *v, newest_first);
    if (!o->json)
        printf("%-9s %-8s %-36s %6s  %-24s %s\n", "SEVERITY", "STATUS", "INCIDENT", "ALERTS", "LAST SEEN",
               "TITLE");
    for (i = 0; i < n; i++) {
        if (o->json) {
            json_dumpf(v[i], stdout, JSON_COMPACT | JSON_SORT_KEYS);
            putchar('\n');
        } else {
            printf("%-9s %-8s %-36s %6lld  %-24s %s\n", s(v[i], "severity"), s(v[i], "status"),
                   s(v[i], "incident_id"),
                   (long long)json_integer_value(json_object_get(v[i], "alert_count")),
                   s(v[i], "last_seen"), s(v[i], "title"));
        }
    }
    free(v);
    json_decref(c.out);
    return IDW_EXIT_OK;
}

/* ---- show ---------------------------------------------------------------------- */

/* The incident's alerts as they are now, under "alerts" (those that can be read). */
static enum idw_rc attach_alerts(struct idw_store *st, MDB_txn *txn, json_t *inc, char *err, size_t errlen)
{
    json_t *list = json_array(), *id;
    size_t i;

    json_object_set_new(inc, "alerts", list);
    json_array_foreach(json_object_get(inc, "alert_ids"), i, id) {
        json_t *a = NULL;
        enum idw_rc rc = idw_alert_get(st, txn, s(inc, "domain_id"), json_string_value(id), &a, err, errlen);
        if (rc == IDW_ERR)
            return IDW_ERR;
        if (a)
            json_array_append_new(list, a);
    }
    return IDW_OK;
}

static void print_text(const json_t *inc)
{
    const char *takeover = json_is_true(json_object_get(inc, "takeover")) ? "  takeover" : "";
    const json_t *x;
    size_t i;

    printf("%s  %s  %s%s\n  %s\n  first %s  last %s  alerts %lld (open %lld)\n", s(inc, "incident_id"),
           s(inc, "severity"), s(inc, "status"), takeover,
           s(inc, "title"), s(inc, "first_seen"), s(inc, "last_seen"),
           (long long)json_integer_value(json_object_get(inc, "alert_count")),
           (long long)json_integer_value(json_object_get(inc, "open_alerts")));
    json_array_foreach(json_object_get(inc, "people"), i, x)
        printf("  person: %s (%s)\n", s(x, "user"), s(x, "tuid"));
    json_array_foreach(json_object_get(inc, "sources"), i, x)
        printf("  source: %s\n", json_string_value(x));
    json_array_foreach(json_object_get(inc, "timeline"), i, x)
        printf("  %-24s %-8s %-28s %s\n", s(x, "time"), s(x, "severity"), s(x, "rule"), s(x, "text"));
    json_array_foreach(json_object_get(inc, "alerts"), i, x)
        printf("  alert %s  %s  %s  %s  actor %s\n", s(x, "alert_id"), s(x, "rule"), s(x, "status"),
               s(x, "user"), s(x, "actor"));
}

static int cmd_show(struct idw_store *st, MDB_txn *txn, const char *id, const struct opts *o)
{
    char err[256];
    json_t *inc = NULL;
    enum idw_rc rc = idw_incident_find(st, txn, id, &inc, err, sizeof err);

    if (rc == IDW_NOTFOUND) {
        log_error("no incident %s", id);
        return IDW_EXIT_NOT_FOUND;
    }
    if (rc == IDW_OK)
        rc = attach_alerts(st, txn, inc, err, sizeof err);
    if (rc != IDW_OK) {
        log_error("cannot read incident %s: %s", id, err);
        json_decref(inc);
        return IDW_EXIT_FAILURE;
    }
    if (o->json) {
        json_dumpf(inc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        putchar('\n');
    } else {
        print_text(inc);
    }
    json_decref(inc);
    return IDW_EXIT_OK;
}

int idw_cmd_incidents(struct idw_cli *cli, int argc, char **argv)
{
    struct opts o = {0};
    struct idw_store *st;
    MDB_txn *txn;
    char err[256];
    int rc, is_list, nargs;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? IDW_EXIT_USAGE : IDW_EXIT_OK;
    }
    rc = parse(argc - 1, argv + 1, &o);
    if (rc)
        return rc > 0 ? IDW_EXIT_OK : IDW_EXIT_USAGE;
    is_list = !strcmp(argv[1], "list");
    nargs = argc - 1 - optind;
    if (!(is_list || !strcmp(argv[1], "show")) || nargs != (is_list ? 0 : 1)) {
        usage(stderr);
        return IDW_EXIT_USAGE;
    }
    if (idw_cli_load_config(cli) < 0)
        return IDW_EXIT_FAILURE;
    st = idw_cli_open_store(cli, 1);
    if (!st)
        return IDW_EXIT_FAILURE;
    if (idw_store_begin(st, 1, &txn, err, sizeof err) < 0) {
        log_error("%s", err);
        idw_store_close(st);
        return IDW_EXIT_FAILURE;
    }
    rc = is_list ? cmd_list(st, txn, &o) : cmd_show(st, txn, argv[optind + 1], &o);
    mdb_txn_abort(txn);
    idw_store_close(st);
    return rc;
}
