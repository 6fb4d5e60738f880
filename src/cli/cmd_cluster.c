/*
 * cmd_cluster.c — `idwatch cluster publish|apply`: the first slice of the
 * scale-out mode (docs/scale-out.md).  publish puts Okta pages (WAL page
 * objects, cluster/wal.h) on their partitions' streams; apply drains one
 * partition's stream once into this database (cluster/apply.h).  Workers
 * and pollers that do this continuously are not built yet.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cluster/apply.h"
#include "cluster/js.h"
#include "cluster/partition.h"
#include "cluster/publish.h"
#include "cluster/snapshot.h"
#include "cluster/stream_check.h"
#include "cluster/wal.h"
#include "common/log.h"

#define NATS_TIMEOUT_MS 5000
#define RETRY_DEADLINE_MS 60000     /* per call: longer than a leader election on a loaded box */
#define MAX_URLS 16

struct cluster_args {
    const char *file;
    long partition;
    int replicas, json;
    int publish_alerts;             /* apply --publish-alerts (cmd_cluster_alerts.c) */
    const char *urls[MAX_URLS];
    size_t nurls;
};

static void cluster_usage(FILE *out)
{
    fprintf(out,
            "usage: idwatch cluster publish --file PATH|- [--nats URL]... [--replicas N] [--json]\n"
            "       idwatch cluster apply --partition N [--nats URL]... [--json] [--publish-alerts]\n"
            "       idwatch cluster alerts [--org O] [--rule R] [--status S] [--since TIME] [--limit N]\n"
            "                              [--json] [--nats URL]...\n"
            "\n"
            "The scale-out mode's first slice (docs/scale-out.md).\n"
            "  publish  reads write-ahead-log pages, one JSON object a line ({org, cursor_polled,\n"
            "           next_cursor, fetched_at, events}), and publishes each to its org's\n"
            "           partition stream (IDW_P<n>, created if missing), de-duplicated by Msg-Id\n"
            "  apply    applies partition N's stream, from this database's applied sequence to\n"
            "           the stream's end as it was at the start, then exits; --publish-alerts\n"
            "           also queues every alert version for the alerts stream (IDW_ALERTS) and\n"
            "           drains the outbox to it afterwards\n"
            "  alerts   every org's alerts from the alerts stream, the latest version of each,\n"
            "           newest first, as `alerts list` prints them; --org (a domain_id), --rule,\n"
            "           --status (open, acknowledged, resolved, false_positive), --since (30m, 24h,\n"
            "           7d, 2w or RFC 3339) filter them, --limit N keeps the N newest\n"
            "\n"
            "  --nats URL      a NATS server (repeatable; default: the config's cluster.nats)\n"
            "  --replicas N    replicas of a stream publish creates (default: cluster.replicas, 3)\n"
            "  --json          print the summary as JSON\n"
            "\n"
            "Exit codes: 0 done, 1 failure (NATS unreachable past its retries, storage), 2 usage,\n"
            "3 publish: some lines were not pages (each reported with its line number).\n");
    idw_cluster_command_usage(out);     /* review, pause, resume: cmd_cluster_cmd.c */
    idw_cluster_rules_usage(out);       /* rules fingerprint|publish: cmd_cluster_rules.c */
    idw_cluster_snapshot_usage(out);
    idw_cluster_status_usage(out);
}

static int parse_args(int argc, char **argv, struct cluster_args *a)
{
    static const struct option opts[] = {
        {"file", required_argument, NULL, 'f'}, {"partition", required_argument, NULL, 'p'},
        {"nats", required_argument, NULL, 'n'}, {"replicas", required_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},
        {"publish-alerts", no_argument, NULL, 'P'}, {NULL, 0, NULL, 0},
    };
    char *end;
    int c;

    a->partition = -1;
    a->replicas = 0;        /* not given: cluster.replicas, else IDW_JS_REPLICAS_DEFAULT */
    for (;;) {
        c = getopt_long(argc, argv, "hf:", opts, NULL);
        if (c == -1)
            break;
        if (c == 'f')
            a->file = optarg;
        else if (c == 'p') {
            a->partition = strtol(optarg, &end, 10);
            if (*end || end == optarg || a->partition < 0 || a->partition >= IDW_PARTITIONS_MAX) {
                fprintf(stderr, "idwatch cluster: --partition: expected 0..%d\n", IDW_PARTITIONS_MAX - 1);
                return -1;
            }
        } else if (c == 'n' && a->nurls < MAX_URLS)
            a->urls[a->nurls++] = optarg;
        else if (c == 'r') {
            a->replicas = atoi(optarg);
            if (a->replicas < 1 || a->replicas > 5) {
                fprintf(stderr, "idwatch cluster: --replicas: expected 1..5\n");
                return -1;
            }
        } else if (c == 'j')
            a->json = 1;
        else if (c == 'P')
            a->publish_alerts = 1;
        else if (c == 'h') {
            cluster_usage(stdout);
            return 1;
        } else {
            cluster_usage(stderr);
            return -1;
        }
    }
    return 0;
}

/* --replicas, else cluster.replicas, else 3. */
static int resolve_replicas(const struct idw_cli *cli, struct cluster_args *a)
{
    const json_t *v = json_object_get(json_object_get(cli->cfg.root, "cluster"), "replicas");

    if (a->replicas)
        return 0;
    a->replicas = v ? (int)json_integer_value(v) : IDW_JS_REPLICAS_DEFAULT;
    if (a->replicas < 1 || a->replicas > 5) {
        log_error("cluster.replicas: must be an integer between 1 and 5");
        return -1;
    }
    return 0;
}

/* --nats, else cluster.nats of the configuration. */
static int resolve_urls(const struct idw_cli *cli, struct cluster_args *a)
{
    const json_t *list = json_object_get(json_object_get(cli->cfg.root, "cluster"), "nats");
    size_t i;
    json_t *u;

    if (a->nurls)
        return 0;
    json_array_foreach(list, i, u) {
        if (a->nurls < MAX_URLS)
            a->urls[a->nurls++] = json_string_value(u);
    }
    if (!a->nurls) {
        log_error("cluster: no NATS server: give --nats URL or set cluster.nats in the configuration");
        return -1;
    }
    return 0;
}

/* ---- publish ---------------------------------------------------------------- */

struct pub_run {
    struct idw_js *js;
    struct idw_partitioning pt;
    struct idw_publisher *pub;
    struct idw_snapshot_config sc;  /* its stream_max_age_days: the streams' retention */
    unsigned long long lines, bad, messages, duplicates, split, idle;
};

/* One line: a page, published (publish.h).  -1: fatal (NATS). */
static int publish_line(struct pub_run *r, const char *line, size_t len)
{
    char err[512];
    json_t *page = NULL;
    enum idw_wal_kind kind;
    struct idw_publish_result res;
    enum idw_rc rc;

    if (idw_wal_decode(line, len, &page, &kind, err, sizeof err) < 0) {
        log_error("line %llu: %s", r->lines, err);
        return -1;
    }
    if (kind != IDW_WAL_PAGE) {
        log_warn("line %llu: %s", r->lines, kind == IDW_WAL_MALFORMED || kind == IDW_WAL_FUTURE ? err :
                 "not a page (genesis and commands are not published from a file)");
        r->bad++;
        json_decref(page);
        return 0;
    }
    rc = idw_publisher_page(r->pub, page, idw_js_now_ms() + RETRY_DEADLINE_MS, &res, err, sizeof err);
    json_decref(page);
    if (rc == IDW_NOTFOUND) {   /* no new events, cursor unchanged: nothing to log */
        r->idle++;
        return 0;
    }
    if (rc < 0 && res.refused) {
        log_warn("line %llu: %s", r->lines, err);
        r->bad++;
        return 0;
    }
    if (rc < 0) {
        log_error("line %llu: %s", r->lines, err);
        return -1;
    }
    r->messages += res.chunks;
    r->duplicates += res.duplicates;
    r->split += res.chunks > 1;
    return 0;
}

static int publish_file(struct pub_run *r, FILE *in)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;

    while (rc == 0) {
        n = getline(&line, &cap, in);
        if (n <= 0)
            break;
        r->lines++;
        if (n == 1 && line[0] == '\n')
            continue;
        rc = publish_line(r, line, (size_t)n);
    }
    free(line);
    return rc;
}

static void pub_summary(const struct pub_run *r, int json)
{
    if (json)
        printf("{\"lines\":%llu,\"bad\":%llu,\"messages\":%llu,\"duplicates\":%llu,\"split_pages\":%llu,"
               "\"idle\":%llu}\n", r->lines, r->bad, r->messages, r->duplicates, r->split, r->idle);
    else
        printf("published %llu messages (%llu duplicates, %llu pages split) from %llu lines, %llu bad, "
               "%llu empty pages without a new cursor\n", r->messages, r->duplicates, r->split, r->lines,
               r->bad, r->idle);
}

static int cmd_publish(struct idw_cli *cli, struct cluster_args *a)
{
    struct pub_run *r = calloc(1, sizeof *r);
    struct idw_geodb *geo = NULL;
    FILE *in = NULL;
    char err[512];
    int rc = IDW_EXIT_FAILURE;

    if (!r || idw_cli_open_geo(&cli->cfg, &geo) < 0) {
        free(r);
        return IDW_EXIT_FAILURE;
    }
    in = strcmp(a->file, "-") == 0 ? stdin : fopen(a->file, "r");
    if (!in)
        log_error("%s: cannot open: %m", a->file);
    else if (idw_partitioning_load(cli->cfg.root, &r->pt, err, sizeof err) < 0 ||
             idw_snapshot_config_load(cli->cfg.root, &r->sc, err, sizeof err) < 0)
        log_error("%s", err);
    else if (idw_js_dial(cli->cfg.root, a->urls, a->nurls, NATS_TIMEOUT_MS, &r->js, err, sizeof err) < 0 ||
             idw_publisher_open(r->js, &r->pt, a->replicas, r->sc.stream_max_age_days, geo, &r->pub, err,
                                sizeof err) < 0)
        log_error("%s", err);
    else if (publish_file(r, in) == 0) {
        pub_summary(r, a->json);
        rc = r->bad ? IDW_EXIT_REJECTED : IDW_EXIT_OK;
    }
    if (in && in != stdin)
        fclose(in);
    idw_publisher_close(r->pub);
    idw_js_close(r->js);
    idw_partitioning_free(&r->pt);
    idw_geo_close(geo);
    free(r);
    return rc;
}

/* ---- apply ------------------------------------------------------------------ */

struct apply_run {
    unsigned long long n[4];        /* by enum idw_apply_result */
    uint64_t from, to;
};

static int drain(struct idw_js *js, struct idw_apply *ap, unsigned p, struct apply_run *r)
{
    char err[768], why[512], *data;
    size_t len;
    enum idw_apply_result res;

    if (idw_stream_check(ap, js, p, idw_js_now_ms() + RETRY_DEADLINE_MS, err, sizeof err) != IDW_OK ||
        idw_apply_seq(ap, &r->from, err, sizeof err) < 0 ||
        idw_js_last_seq(js, p, idw_js_now_ms() + RETRY_DEADLINE_MS, &r->to, err, sizeof err) < 0) {
        log_error("%s", err);
        return -1;
    }
    if (r->from > r->to) {
        /* the stream is not the one this database followed (deleted and created again?) */
        log_error("partition %u: this database applied up to seq %llu, but the stream ends at %llu: "
                  "not the stream it was built from", p, (unsigned long long)r->from,
                  (unsigned long long)r->to);
        return -1;
    }
    for (uint64_t seq = r->from + 1; seq <= r->to; seq++) {
        if (idw_js_get(js, p, seq, idw_js_now_ms() + RETRY_DEADLINE_MS, &data, &len, err, sizeof err) < 0) {
            log_error("%s", err);
            return -1;
        }
        why[0] = '\0';
        int rc = idw_apply_message(ap, seq, data, len, &res, why, sizeof why, err, sizeof err);
        free(data);
        if (rc < 0) {
            log_error("partition %u seq %llu: %s", p, (unsigned long long)seq, err);
            return -1;
        }
        if (res == IDW_APPLY_SKIPPED || res == IDW_APPLY_MALFORMED)
            log_warn("partition %u seq %llu: %s: %s", p, (unsigned long long)seq,
                     res == IDW_APPLY_SKIPPED ? "skipped" : "malformed", why);
        r->n[res]++;
    }
    return 0;
}

static void apply_summary(const struct apply_run *r, unsigned p, uint64_t events, int json)
{
    if (json)
        printf("{\"partition\":%u,\"from_seq\":%llu,\"to_seq\":%llu,\"applied\":%llu,\"already\":%llu,"
               "\"skipped\":%llu,\"malformed\":%llu,\"events\":%llu}\n", p, (unsigned long long)r->from,
               (unsigned long long)r->to, r->n[IDW_APPLY_APPLIED], r->n[IDW_APPLY_ALREADY],
               r->n[IDW_APPLY_SKIPPED], r->n[IDW_APPLY_MALFORMED], (unsigned long long)events);
    else
        printf("partition %u: seq %llu..%llu: applied %llu pages (%llu events), "
               "skipped %llu, malformed %llu\n",
               p, (unsigned long long)r->from + 1, (unsigned long long)r->to, r->n[IDW_APPLY_APPLIED],
               (unsigned long long)events, r->n[IDW_APPLY_SKIPPED], r->n[IDW_APPLY_MALFORMED]);
}

/* The engine of a rules message of the log (apply.h idw_apply_set_rules). */
static enum idw_rc open_log_rules(void *ctx, const char *dir, struct idw_detect **out, char *err,
                                  size_t errlen)
{
    return idw_cli_open_detect_dir(ctx, dir, out, err, errlen);
}

static int run_apply(struct idw_cli *cli, const struct cluster_args *a, struct idw_geodb *geo,
                     struct idw_detect *detect)
{
    struct idw_store *st = idw_cli_open_writer(cli, "cluster apply");
    struct idw_apply *ap = NULL;
    struct idw_js *js = NULL;
    struct idw_cli_alert_pub *pub = NULL;
    struct apply_run r = {0};
    char err[512];
    int rc = IDW_EXIT_FAILURE;
    unsigned p = (unsigned)a->partition;
    struct idw_partitioning pt = {0};
    char root[4200];

    if (!st)
        return IDW_EXIT_FAILURE;
    snprintf(root, sizeof root, "%s/rules-log", cli->cfg.db_path);
    if (idw_partitioning_load(cli->cfg.root, &pt, err, sizeof err) < 0 ||
        idw_apply_open(st, &cli->cfg, geo, detect, p, &ap, err, sizeof err) < 0 ||
        idw_apply_set_rules(ap, root, open_log_rules, cli, err, sizeof err) < 0 ||
        idw_js_dial(cli->cfg.root, a->urls, a->nurls, NATS_TIMEOUT_MS, &js, err, sizeof err) < 0)
        log_error("%s", err);
    else if (a->publish_alerts && idw_cli_alert_pub_open(cli, st, js, &pub) < 0)
        rc = IDW_EXIT_FAILURE;
    else if ((idw_apply_set_partitioning(ap, &pt), drain(js, ap, p, &r)) == 0) {
        apply_summary(&r, p, idw_apply_events(ap), a->json);
        rc = pub && idw_cli_alert_pub_drain(pub, st) < 0 ? IDW_EXIT_FAILURE : IDW_EXIT_OK;
    }
    idw_cli_alert_pub_close(pub);
    idw_js_close(js);
    idw_apply_close(ap);
    idw_partitioning_free(&pt);
    idw_store_close(st);
    return rc;
}

static int cmd_apply(struct idw_cli *cli, const struct cluster_args *a)
{
    struct idw_geodb *geo = NULL;
    struct idw_detect *detect = NULL;
    int rc;

    if (idw_cli_open_geo(&cli->cfg, &geo) < 0)
        return IDW_EXIT_FAILURE;
    if (idw_cli_open_detect(cli, &detect) < 0) {
        idw_geo_close(geo);
        return IDW_EXIT_FAILURE;
    }
    rc = run_apply(cli, a, geo, detect);
    idw_geo_close(geo);
    idw_detect_close(detect);
    return rc;
}

int idw_cmd_cluster(struct idw_cli *cli, int argc, char **argv)
{
    struct cluster_args a = {0};
    const char *sub = argc > 1 ? argv[1] : NULL;
    int rc;

    if (sub && (!strcmp(sub, "review") || !strcmp(sub, "pause") || !strcmp(sub, "resume")))
        return idw_cmd_cluster_command(cli, argc - 1, argv + 1);
    if (sub && (strcmp(sub, "snapshot") == 0 || strcmp(sub, "restore") == 0))
        return idw_cmd_cluster_snapshot(cli, argc, argv);      /* cmd_snapshot.c */
    if (sub && !strcmp(sub, "rules"))
        return idw_cmd_cluster_rules(cli, argc - 1, argv + 1);
    if (sub && !strcmp(sub, "alerts"))
        return idw_cmd_cluster_alerts(cli, argc - 1, argv + 1);
    if (sub && !strcmp(sub, "status"))
        return idw_cmd_cluster_status(cli, argc - 1, argv + 1);     /* cmd_cluster_status.c */

    if (!sub || (strcmp(sub, "publish") != 0 && strcmp(sub, "apply") != 0)) {
        if (sub && (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0)) {
            cluster_usage(stdout);
            return IDW_EXIT_OK;
        }
        cluster_usage(stderr);
        return IDW_EXIT_USAGE;
    }
    rc = parse_args(argc - 1, argv + 1, &a);
    if (rc)
        return rc > 0 ? IDW_EXIT_OK : IDW_EXIT_USAGE;
    if (sub[0] == 'p' && a.publish_alerts) {
        fprintf(stderr, "idwatch cluster publish: --publish-alerts is an option of apply\n");
        return IDW_EXIT_USAGE;
    }
    if (optind < argc - 1 || (sub[0] == 'p' && !a.file) || (sub[0] == 'a' && a.partition < 0)) {
        fprintf(stderr, "idwatch cluster %s: %s\n", sub,
                optind < argc - 1 ? "unexpected argument" : sub[0] == 'p' ? "--file is required"
                                                                          : "--partition is required");
        return IDW_EXIT_USAGE;
    }
    if (idw_cli_load_config(cli) < 0 || resolve_urls(cli, &a) < 0 || resolve_replicas(cli, &a) < 0)
        return IDW_EXIT_FAILURE;
    return sub[0] == 'p' ? cmd_publish(cli, &a) : cmd_apply(cli, &a);
}
