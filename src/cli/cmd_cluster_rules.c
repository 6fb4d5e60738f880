/*
 * cmd_cluster_rules.c — `idwatch cluster rules fingerprint|publish`: the
 * rule configuration of the distributed mode lives in the partitions'
 * logs (cluster/rulepack.h, docs/scale-out.md "Rules in the log").
 * `publish` puts this host's rules_dir, checked to load, on every
 * partition stream as one rules message; each applier judges with it from
 * that message on.  `fingerprint` prints the rules_dir's fingerprint, to
 * compare with what `cluster status` says the partitions run.
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cluster/command.h"
#include "cluster/js.h"
#include "cluster/partition.h"
#include "cluster/publish.h"
#include "cluster/rulepack.h"
#include "cluster/snapshot.h"
#include "common/log.h"
#include "common/util.h"
#include "engine/detect.h"

#define NATS_TIMEOUT_MS 5000
#define RETRY_DEADLINE_MS 60000
#define MAX_URLS 16

struct rules_args {
    const char *sub, *by, *id;
    const char *urls[MAX_URLS];
    size_t nurls;
    long partition;             /* -1: every partition */
    int json;
};

void idw_cluster_rules_usage(FILE *out)
{
    fprintf(out,
            "\nRules in the log (docs/scale-out.md, \"Rules in the log\"):\n"
            "       idwatch cluster rules fingerprint [--json]\n"
            "       idwatch cluster rules publish [--partition N] [--by WHO] [--id HEX] [--nats URL]...\n"
            "                                     [--json]\n"
            "\n"
            "  fingerprint  the SHA-256 fingerprint of this host's rules_dir (its *.json settings and\n"
            "               Sigma files), as `cluster status` shows a partition's rules\n"
            "  publish      checks that rules_dir loads, then publishes it as one rules message to\n"
            "               every partition stream (or --partition N's), creating a missing stream:\n"
            "               whoever applies a partition judges with these rules from that message on.\n"
            "               A worker of an earlier release stops at it, naming the release to run\n"
            "  --by WHO     recorded in the message (1 to 256 characters; default: the login user)\n"
            "  --id HEX     the message's id (32 lowercase hex; default: random). Re-run a publish that\n"
            "               failed part way with the id it printed: partitions that hold it keep one copy\n"
            "Exit codes: 0 done, 1 failure (rules that do not load, NATS past its retries,\n"
            "configuration; the partitions already published are printed), 2 usage.\n");
}

static int parse(int argc, char **argv, struct rules_args *a)
{
    static const struct option opts[] = {
        {"by", required_argument, NULL, 'b'}, {"id", required_argument, NULL, 'i'},
        {"nats", required_argument, NULL, 'n'}, {"partition", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0},
    };
    char *end;
    int c;

    a->partition = -1;
    for (;;) {
        c = getopt_long(argc, argv, "", opts, NULL);
        if (c == -1)
            break;
        if (c == 'b')
            a->by = optarg;
        else if (c == 'i')
            a->id = optarg;
        else if (c == 'n' && a->nurls < MAX_URLS)
            a->urls[a->nurls++] = optarg;
        else if (c == 'p') {
            a->partition = strtol(optarg, &end, 10);
            if (*end || end == optarg || a->partition < 0 || a->partition >= IDW_PARTITIONS_MAX) {
                log_error("cluster rules: --partition: expected 0 … %d", IDW_PARTITIONS_MAX - 1);
                return -1;
            }
        } else if (c == 'j')
            a->json = 1;
        else
            return -1;
    }
    if (optind != argc) {
        log_error("cluster rules %s: unexpected argument %s", a->sub, argv[optind]);
        return -1;
    }
    if (strcmp(a->sub, "publish") != 0 && (a->by || a->id || a->nurls || a->partition >= 0)) {
        log_error("cluster rules %s: --by, --id, --nats and --partition belong to publish", a->sub);
        return -1;
    }
    return 0;
}

/* The rules_dir's files and fingerprint; -1 (printed) when they cannot be read or do not load. */
static int read_local(const struct idw_cli *cli, int check_load, json_t **files,
                      char fp[IDW_RULEPACK_FP_HEX + 1])
{
    struct idw_detect *d = NULL;
    char err[768];

    if (idw_rulepack_read_dir(cli->cfg.rules_dir, files, err, sizeof err) < 0 ||
        idw_rulepack_fingerprint(*files, fp) < 0) {
        log_error("rules_dir %s: %s", cli->cfg.rules_dir, err);
        return -1;
    }
    if (check_load && idw_cli_open_rules(cli, &d) < 0)
        return -1;      /* idw_cli_open_rules named the file and line */
    idw_detect_close(d);
    return 0;
}

static int fingerprint(const struct idw_cli *cli, const struct rules_args *a)
{
    char fp[IDW_RULEPACK_FP_HEX + 1];
    json_t *files = NULL;

    if (read_local(cli, 0, &files, fp) < 0)
        return IDW_EXIT_FAILURE;
    if (a->json) {     /* through jansson: a rules_dir may hold quotes or backslashes */
        json_t *o = json_pack("{s:s, s:s, s:I}", "rules_dir", cli->cfg.rules_dir, "fingerprint", fp, "files",
                              (json_int_t)json_array_size(files));
        if (!o || json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII) != 0) {
            json_decref(o);
            json_decref(files);
            log_error("cluster rules fingerprint: out of memory");
            return IDW_EXIT_FAILURE;
        }
        putchar('\n');
        json_decref(o);
    } else
        printf("%s  %s (%zu files)\n", fp, cli->cfg.rules_dir, json_array_size(files));
    json_decref(files);
    return IDW_EXIT_OK;
}

/* --nats, else cluster.nats; 0 or -1 (printed). */
static int resolve_urls(const struct idw_cli *cli, struct rules_args *a)
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

struct publish_run {
    struct idw_partitioning pt;
    struct idw_snapshot_config sc;
    struct idw_js *js;
    struct idw_publisher *pub;
    json_t *done;               /* [{partition, seq, duplicate}] */
};

/* Publishes msg to partition p (its stream created, with genesis, if missing). */
static int publish_one(struct publish_run *r, unsigned p, const json_t *msg, const char *msgid)
{
    int64_t deadline = idw_js_now_ms() + RETRY_DEADLINE_MS;
    char err[512];
    uint64_t seq = 0;
    int dup = 0;

    if (idw_publisher_ensure(r->pub, p, deadline, err, sizeof err) < 0 ||
        idw_publisher_rules(r->pub, p, msg, msgid, deadline, &seq, &dup, err, sizeof err) < 0) {
        log_error("cluster rules publish: partition %u: %s", p, err);
        return -1;
    }
    json_array_append_new(r->done, json_pack("{s:i, s:I, s:b}", "partition", (int)p, "seq", (json_int_t)seq,
                                             "duplicate", dup));
    return 0;
}

static void report(const struct rules_args *a, const struct publish_run *r, const char *fp, const char *id,
                   int ok)
{
    size_t i;
    json_t *d;

    if (a->json) {
        json_t *out = json_pack("{s:s, s:s, s:b, s:O}", "fingerprint", fp, "id", id, "complete", ok,
                                "partitions", r->done);
        char *s = out ? json_dumps(out, JSON_COMPACT) : NULL;
        if (s)
            printf("%s\n", s);
        free(s);
        json_decref(out);
        return;
    }
    json_array_foreach(r->done, i, d)
        printf("rules %.12s published to partition %lld (stream IDW_P%lld) at seq %lld%s\n", fp,
               (long long)json_integer_value(json_object_get(d, "partition")),
               (long long)json_integer_value(json_object_get(d, "partition")),
               (long long)json_integer_value(json_object_get(d, "seq")),
               json_is_true(json_object_get(d, "duplicate")) ? " (already there)" : "");
    printf("%s: rules %s, message id %s%s\n", ok ? "done" : "INCOMPLETE", fp, id,
           ok ? "" : " (re-run with --id to publish the rest without a second copy)");
}

static int publish_all(const struct idw_cli *cli, struct rules_args *a, const json_t *msg, const char *fp,
                       const char *id)
{
    struct publish_run r = {.done = json_array()};
    const json_t *reps = json_object_get(json_object_get(cli->cfg.root, "cluster"), "replicas");
    char err[512], msgid[64];
    int ok = 0;

    snprintf(msgid, sizeof msgid, "rules:%s", id);
    if (!r.done || idw_partitioning_load(cli->cfg.root, &r.pt, err, sizeof err) < 0 ||
        idw_snapshot_config_load(cli->cfg.root, &r.sc, err, sizeof err) < 0 ||
        idw_js_dial(cli->cfg.root, a->urls, a->nurls, NATS_TIMEOUT_MS, &r.js, err, sizeof err) < 0 ||
        idw_publisher_open(r.js, &r.pt, reps ? (int)json_integer_value(reps) : IDW_JS_REPLICAS_DEFAULT,
                           r.sc.stream_max_age_days, NULL, &r.pub, err, sizeof err) < 0) {
        log_error("cluster rules publish: %s", r.done ? err : "out of memory");
    } else if (a->partition >= (long)r.pt.partitions) {
        log_error("cluster rules publish: --partition %ld: there are %u partitions (cluster.partitions)",
                  a->partition, r.pt.partitions);
    } else {
        idw_publisher_set_rules(r.pub, (json_t *)msg);
        ok = 1;
        for (unsigned p = 0; ok && p < r.pt.partitions; p++)
            if (a->partition < 0 || (unsigned)a->partition == p)
                ok = publish_one(&r, p, msg, msgid) == 0;
        report(a, &r, fp, id, ok);
    }
    idw_publisher_close(r.pub);
    idw_js_close(r.js);
    idw_partitioning_free(&r.pt);
    json_decref(r.done);
    return ok ? IDW_EXIT_OK : IDW_EXIT_FAILURE;
}

static int by_ok(const char *by)
{
    size_t n = strlen(by);

    if (n == 0 || n > 256)
        return 0;
    for (const unsigned char *c = (const unsigned char *)by; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return 0;
    return 1;
}

/* --by, else the login user, else "uid:N" (as `cluster review`). */
static const char *who(const struct rules_args *a, char *buf, size_t len)
{
    const struct passwd *pw = getpwuid(geteuid());

    if (a->by)
        return a->by;
    if (pw && pw->pw_name && *pw->pw_name)
        return pw->pw_name;
    snprintf(buf, len, "uid:%lu", (unsigned long)geteuid());
    return buf;
}

static int publish(const struct idw_cli *cli, struct rules_args *a)
{
    char fp[IDW_RULEPACK_FP_HEX + 1], id[IDW_COMMAND_ID_HEX + 1], err[512], whobuf[32];
    json_t *files = NULL, *msg = NULL;
    int rc = IDW_EXIT_FAILURE;

    if (a->id && (strlen(a->id) != IDW_COMMAND_ID_HEX ||
                  strspn(a->id, "0123456789abcdef") != IDW_COMMAND_ID_HEX)) {
        log_error("cluster rules publish: --id: expected 32 lowercase hex digits");
        return IDW_EXIT_USAGE;
    }
    if (a->by && !by_ok(a->by)) {   /* an applier would skip the whole message as malformed */
        log_error("cluster rules publish: --by: expected 1 to 256 characters, no control characters");
        return IDW_EXIT_USAGE;
    }
    if (a->id)
        snprintf(id, sizeof id, "%s", a->id);
    else if (idw_command_new_id(id, err, sizeof err) < 0) {
        log_error("%s", err);
        return IDW_EXIT_FAILURE;
    }
    if (resolve_urls(cli, a) == 0 && read_local(cli, 1, &files, fp) == 0) {
        if (idw_rulepack_message(files, IDW_VERSION, idw_now_ms(), who(a, whobuf, sizeof whobuf), id, &msg,
                                 err, sizeof err) < 0)
            log_error("cluster rules publish: %s", err);
        else
            rc = publish_all(cli, a, msg, fp, id);
    }
    json_decref(files);
    json_decref(msg);
    return rc;
}

int idw_cmd_cluster_rules(struct idw_cli *cli, int argc, char **argv)
{
    struct rules_args a = {.sub = argc > 1 ? argv[1] : ""};
    char prog[40];

    if (argc < 2 || (strcmp(a.sub, "fingerprint") != 0 && strcmp(a.sub, "publish") != 0)) {
        int help = argc > 1 && (!strcmp(a.sub, "--help") || !strcmp(a.sub, "-h"));
        idw_cluster_rules_usage(help ? stdout : stderr);
        return help ? IDW_EXIT_OK : IDW_EXIT_USAGE;
    }
    snprintf(prog, sizeof prog, "idwatch cluster rules %s", a.sub);
    argv[1] = prog;
    if (parse(argc - 1, argv + 1, &a) < 0) {
        idw_cluster_rules_usage(stderr);
        return IDW_EXIT_USAGE;
    }
    if (idw_cli_load_config(cli) < 0)
        return IDW_EXIT_FAILURE;
    return strcmp(a.sub, "publish") == 0 ? publish(cli, &a) : fingerprint(cli, &a);
}
