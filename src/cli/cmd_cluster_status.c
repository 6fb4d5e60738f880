/*
 * cmd_cluster_status.c — `idwatch cluster status`: the cluster at a glance
 * (docs/scale-out.md, "cluster status").
 *
 * For each partition: its stream's first and last sequence (IDW_P<p>), the
 * slots whose latest heartbeat (cluster/status.h, IDW_STATUS) claims it and
 * how old that heartbeat is, the applied_seq it reported and the lag to the
 * stream's end, the latest snapshot (IDW_SNAP manifest, cluster/snapshot.h)
 * and its age, and the partition's orgs (from the configuration) with the
 * held/paused flags the owner reported.  Read only: it creates no stream.
 *
 * Degraded (exit 6): a partition without a fresh owner (no heartbeat, or
 * one older than 60 s), owned by two slots, with no stream, or whose latest
 * snapshot is older than 2 × cluster.snapshot_every_s.  A lag alone is not
 * degraded while the owner's heartbeat is fresh: a command or a page just
 * published shows as lag until the owner applies it.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cluster/js.h"
#include "cluster/partition.h"
#include "cluster/snapshot.h"
#include "cluster/status.h"
#include "common/log.h"
#include "common/util.h"

#define NATS_TIMEOUT_MS 5000
#define RETRY_MS 10000
#define MAX_URLS 16
#define STALE_S_DEFAULT 60

struct st_args {
    int json;
    const char *urls[MAX_URLS];
    size_t nurls;
};

struct st_ctx {
    struct idw_cli *cli;
    struct idw_js *js;
    struct idw_partitioning pt;
    struct idw_snapshot_config sc;
    json_t *beats;              /* the latest heartbeat of each slot */
    int64_t now, stale_ms;
    int degraded;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: idwatch cluster status [--json] [--nats URL]...\n"
            "\n"
            "The cluster at a glance: for each partition its stream's last sequence, the\n"
            "slots whose heartbeat claims it and the heartbeat's age, the applied_seq and\n"
            "lag, the latest snapshot's applied_seq and age, and its orgs (held: paused by\n"
            "cluster pause; paused: the poller paused itself).  Read only.\n"
            "\n"
            "  --json        one JSON object\n"
            "  --nats URL    a NATS server (repeatable; default: the config's cluster.nats)\n"
            "\n"
            "Exit codes: 0 every partition owned by a fresh heartbeat; 1 failure (NATS,\n"
            "configuration); 2 usage; 6 degraded: a partition without a fresh owner (none,\n"
            "or a heartbeat older than 60 s), claimed by two slots, without its stream, or\n"
            "with a snapshot older than 2 x cluster.snapshot_every_s.  A lag alone is not\n"
            "degraded.\n");
}

void idw_cluster_status_usage(FILE *out)
{
    fprintf(out, "       idwatch cluster status [--json] [--nats URL]...\n");
}

static int parse(int argc, char **argv, struct st_args *a)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"nats", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c;

    optind = 0;     /* glibc: re-initialise getopt for this argv */
    for (;;) {
        c = getopt_long(argc, argv, "h", opts, NULL);
        if (c == -1)
            break;
        if (c == 'j')
            a->json = 1;
        else if (c == 'n' && a->nurls < MAX_URLS)
            a->urls[a->nurls++] = optarg;
        else if (c == 'h') {
            usage(stdout);
            return 1;
        } else {
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "idwatch cluster status: unexpected argument: %s\n", argv[optind]);
        return -1;
    }
    return 0;
}

static int urls_from_config(const struct idw_cli *cli, struct st_args *a)
{
    const json_t *list = json_object_get(json_object_get(cli->cfg.root, "cluster"), "nats");
    size_t i;
    json_t *u;

    if (!a->nurls)
        json_array_foreach(list, i, u) {
            if (a->nurls < MAX_URLS && json_string_value(u))
                a->urls[a->nurls++] = json_string_value(u);
        }
    if (!a->nurls) {
        log_error("cluster status: no NATS server: give --nats URL or set cluster.nats in the configuration");
        return -1;
    }
    return 0;
}

/* The entry for p in heartbeat hb's partitions, or NULL. */
static json_t *beat_part(const json_t *hb, unsigned p)
{
    size_t i;
    json_t *e;

    json_array_foreach(json_object_get(hb, "partitions"), i, e) {
        if ((unsigned)json_integer_value(json_object_get(e, "p")) == p)
            return e;
    }
    return NULL;
}

static void problem(struct st_ctx *c, json_t *row, const char *fmt, unsigned p, const char *what)
{
    char buf[1024];

    snprintf(buf, sizeof buf, fmt, p, what);
    json_array_append_new(json_object_get(row, "problems"), json_string(buf));
    c->degraded = 1;
}

/* Owners of p: every slot whose heartbeat claims it; the freshest one's report goes in *best. */
static json_t *owners(struct st_ctx *c, unsigned p, json_t **best, int64_t *best_age)
{
    json_t *list = json_array(), *hb;
    size_t i;

    *best = NULL;
    *best_age = -1;
    json_array_foreach(c->beats, i, hb) {
        json_t *e = beat_part(hb, p);
        int64_t age = c->now - json_integer_value(json_object_get(hb, "at"));
        if (!e)
            continue;
        json_array_append_new(list, json_integer(json_integer_value(json_object_get(hb, "slot"))));
        if (!*best || age < *best_age) {
            *best = e;
            *best_age = age < 0 ? 0 : age;
        }
    }
    return list;
}

/* The partition's orgs from the configuration, with the flags its owner reported. */
static json_t *orgs_of(const struct st_ctx *c, unsigned p, const json_t *rep)
{
    json_t *list = json_array();

    for (size_t i = 0; i < c->cli->cfg.n_orgs; i++) {
        const char *org = c->cli->cfg.orgs[i].domain_id;
        json_t *flags = NULL, *o;
        size_t j;
        if (idw_partition_of(&c->pt, org) != p)
            continue;
        json_array_foreach(json_object_get(rep, "orgs"), j, o) {
            if (!strcmp(json_string_value(json_object_get(o, "org")), org))
                flags = o;
        }
        json_array_append_new(list, json_pack("{s:s,s:O,s:O,s:O}", "org", org, "held",
                                              flags ? json_object_get(flags, "held") : json_null(), "paused",
                                              flags ? json_object_get(flags, "paused") : json_null(),
                                              "cursor_set",
                                              flags ? json_object_get(flags, "cursor_set") : json_null()));
    }
    return list;
}

/* The latest snapshot manifest of p as {"applied_seq","age_s"}, json null when none; -1 on failure. */
static int snapshot_of(struct st_ctx *c, unsigned p, json_t *row)
{
    char subj[48], err[512];
    struct idw_js_msg *m = NULL;
    struct idw_snapshot_manifest man;
    const void *data;
    size_t len;
    enum idw_rc rc;

    snprintf(subj, sizeof subj, "idw.snap.%u.m", p);
    rc = idw_js_stream_get(c->js, IDW_SNAP_STREAM, 0, subj, idw_js_now_ms() + RETRY_MS, &m, err, sizeof err);
    if (rc == IDW_ERR) {
        log_error("partition %u: snapshot manifest: %s", p, err);
        return -1;
    }
    if (rc == IDW_NOTFOUND) {
        json_object_set_new(row, "snapshot", json_null());
        return 0;
    }
    data = idw_js_msg_data(m, &len);
    if (idw_snapshot_manifest_decode(data, len, &man, err, sizeof err) < 0) {
        idw_js_msg_free(m);
        json_object_set_new(row, "snapshot", json_null());
        problem(c, row, "partition %u: latest snapshot manifest refused: %s", p, err);
        return 0;
    }
    idw_js_msg_free(m);
    int64_t age_s = (c->now - man.created_at) / 1000;
    json_object_set_new(row, "snapshot", json_pack("{s:I,s:I}", "applied_seq", (json_int_t)man.applied_seq,
                                                   "age_s", (json_int_t)age_s));
    if (c->sc.every_s > 0 && age_s > 2 * c->sc.every_s) {
        char age[32];
        snprintf(age, sizeof age, "%lld s", (long long)age_s);
        problem(c, row, "partition %u: latest snapshot is %s old (over 2 x cluster.snapshot_every_s)", p,
                age);
    }
    return 0;
}

/* One partition's row; -1 on a NATS failure (said). */
static int partition_row(struct st_ctx *c, unsigned p, json_t *rows)
{
    char stream[32], err[512];
    uint64_t first, last, msgs;
    json_t *row, *rep, *own;
    int64_t age;
    enum idw_rc rc;

    idw_js_partition_stream(p, stream);
    rc = idw_js_stream_state(c->js, stream, idw_js_now_ms() + RETRY_MS, &first, &last, &msgs, err,
                             sizeof err);
    if (rc == IDW_ERR) {
        log_error("partition %u: %s", p, err);
        return -1;
    }
    own = owners(c, p, &rep, &age);
    row = json_pack("{s:I,s:o,s:o,s:o}", "p", (json_int_t)p, "owners", own, "problems", json_array(),
                    "stream", rc == IDW_NOTFOUND ? json_null()
                                                 : json_pack("{s:I,s:I}", "first_seq", (json_int_t)first,
                                                             "last_seq", (json_int_t)last));
    if (!row || json_array_append_new(rows, row) < 0)
        return -1;
    if (rc == IDW_NOTFOUND)
        problem(c, row, "partition %u: %s", p, "no stream");
    json_object_set_new(row, "heartbeat_age_s", rep ? json_integer(age / 1000) : json_null());
    json_object_set_new(row, "fresh", json_boolean(rep && age <= c->stale_ms));
    if (!rep)
        problem(c, row, "partition %u: %s", p, "no worker's heartbeat claims it");
    else if (age > c->stale_ms)
        problem(c, row, "partition %u: %s", p, "its owner's heartbeat is stale");
    if (json_array_size(own) > 1)
        problem(c, row, "partition %u: %s", p,
                "claimed by more than one slot (check every worker's --slots)");
    if (rep) {
        uint64_t applied = (uint64_t)json_integer_value(json_object_get(rep, "applied_seq"));
        json_object_set_new(row, "applied_seq", json_integer((json_int_t)applied));
        const char *rules = json_string_value(json_object_get(rep, "rules"));
        json_object_set_new(row, "rules", json_string(rules ? rules : ""));
        json_int_t lag = last >= applied ? (json_int_t)(last - applied) : 0;
        json_object_set_new(row, "lag", rc == IDW_NOTFOUND ? json_null() : json_integer(lag));
    } else {
        json_object_set_new(row, "applied_seq", json_null());
        json_object_set_new(row, "rules", json_null());
        json_object_set_new(row, "lag", json_null());
    }
    json_object_set_new(row, "orgs", orgs_of(c, p, rep));
    return snapshot_of(c, p, row);
}

static void print_int(const json_t *v, int width)
{
    if (json_is_integer(v))
        printf("%*lld", width, (long long)json_integer_value(v));
    else
        printf("%*s", width, "-");
}

static void print_table(const json_t *doc)
{
    const json_t *rows = json_object_get(doc, "partitions"), *r, *e;
    const char *rules;
    size_t i, j;

    printf("%4s  %-8s %7s %10s %10s %8s %10s %8s  %-12s  %s\n", "P", "OWNERS", "HB_AGE", "LAST_SEQ",
           "APPLIED", "LAG", "SNAP_SEQ", "SNAP_AGE", "RULES", "ORGS");
    json_array_foreach(rows, i, r) {
        char own[64] = "";
        json_array_foreach(json_object_get(r, "owners"), j, e) {
            size_t n = strlen(own);
            snprintf(own + n, sizeof own - n, "%s%lld", n ? "," : "", (long long)json_integer_value(e));
        }
        printf("%4lld  %-8s", (long long)json_integer_value(json_object_get(r, "p")), own[0] ? own : "-");
        print_int(json_object_get(r, "heartbeat_age_s"), 7);
        print_int(json_object_get(json_object_get(r, "stream"), "last_seq"), 11);
        print_int(json_object_get(r, "applied_seq"), 11);
        print_int(json_object_get(r, "lag"), 9);
        print_int(json_object_get(json_object_get(r, "snapshot"), "applied_seq"), 11);
        print_int(json_object_get(json_object_get(r, "snapshot"), "age_s"), 9);
        rules = json_string_value(json_object_get(r, "rules"));
        printf("  %-12.12s ", !rules ? "-" : *rules ? rules : "local");
        json_array_foreach(json_object_get(r, "orgs"), j, e) {
            printf(" %s%s%s", json_string_value(json_object_get(e, "org")),
                   json_is_true(json_object_get(e, "held")) ? "(held)" : "",
                   json_is_true(json_object_get(e, "paused")) ? "(paused)" : "");
        }
        printf("\n");
    }
    json_array_foreach(rows, i, r) {
        json_array_foreach(json_object_get(r, "problems"), j, e)
            printf("DEGRADED: %s\n", json_string_value(e));
    }
    printf("%s\n", json_is_true(json_object_get(doc, "degraded")) ? "cluster: DEGRADED" : "cluster: ok");
}

static int64_t stale_ms(void)
{
    /* IDW_STATUS_STALE_S: for the tests only (tests/integration/test_nats_status.sh) */
    const char *e = getenv("IDW_STATUS_STALE_S");
    long v = e ? strtol(e, NULL, 10) : STALE_S_DEFAULT;

    return (v > 0 ? v : STALE_S_DEFAULT) * 1000;
}

static int report(struct st_ctx *c, const struct st_args *a)
{
    char err[512];
    size_t bad;
    json_t *rows = json_array(), *doc;

    if (idw_status_read(c->js, &c->beats, &bad, err, sizeof err) == IDW_ERR) {
        log_error("cluster status: %s", err);
        json_decref(rows);
        return IDW_EXIT_FAILURE;
    }
    for (unsigned p = 0; p < c->pt.partitions; p++)
        if (!rows || partition_row(c, p, rows) < 0) {
            json_decref(rows);
            return IDW_EXIT_FAILURE;
        }
    doc = json_pack("{s:I,s:I,s:b,s:O,s:o}", "at", (json_int_t)c->now, "partition_count",
                    (json_int_t)c->pt.partitions, "degraded", c->degraded, "workers", c->beats, "partitions",
                    rows);
    if (!doc)
        return IDW_EXIT_FAILURE;
    if (a->json) {
        char *s = json_dumps(doc, JSON_COMPACT);
        if (s)
            printf("%s\n", s);
        free(s);
    } else
        print_table(doc);
    json_decref(doc);
    return c->degraded ? IDW_EXIT_DEGRADED : IDW_EXIT_OK;
}

int idw_cmd_cluster_status(struct idw_cli *cli, int argc, char **argv)
{
    struct st_args a = {0};
    struct st_ctx c = {.cli = cli};
    char err[512];
    int rc = parse(argc, argv, &a);

    if (rc)
        return rc > 0 ? IDW_EXIT_OK : IDW_EXIT_USAGE;
    if (idw_cli_load_config(cli) < 0 || urls_from_config(cli, &a) < 0)
        return IDW_EXIT_FAILURE;
    if (idw_partitioning_load(cli->cfg.root, &c.pt, err, sizeof err) < 0 ||
        idw_snapshot_config_load(cli->cfg.root, &c.sc, err, sizeof err) < 0) {
        log_error("%s", err);
        idw_partitioning_free(&c.pt);
        return IDW_EXIT_FAILURE;
    }
    rc = IDW_EXIT_FAILURE;
    c.stale_ms = stale_ms();
    if (idw_js_dial(cli->cfg.root, a.urls, a.nurls, NATS_TIMEOUT_MS, &c.js, err, sizeof err) < 0)
        log_error("%s", err);
    else {
        c.now = idw_js_now_ms();
        rc = report(&c, &a);
    }
    json_decref(c.beats);
    idw_js_close(c.js);
    idw_partitioning_free(&c.pt);
    return rc;
}
