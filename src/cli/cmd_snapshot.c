/*
 * cmd_snapshot.c — `idwatch cluster snapshot|restore`: a partition's LMDB
 * state into the IDW_SNAP stream, and back into an empty directory
 * (cluster/snapshot.h, docs/scale-out.md "Snapshots").  cmd_cluster.c
 * hands these two subcommands here.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cluster/js.h"
#include "cluster/partition.h"
#include "cluster/snapshot.h"
#include "common/log.h"

#define NATS_TIMEOUT_MS 5000
#define RETRY_MS 60000          /* per call: longer than a leader election on a loaded box */
#define MAX_URLS 16
#define EXIT_STREAM_GAP 5       /* restore: the partition stream no longer reaches back (docs/cli.md) */

struct snap_args {
    long partition;
    const char *dir;
    int json;
    const char *urls[MAX_URLS];
    size_t nurls;
};

void idw_cluster_snapshot_usage(FILE *out)
{
    fprintf(out,
            "\nusage: idwatch cluster snapshot --partition N [--dir D] [--nats URL]... [--json]\n"
            "       idwatch cluster restore --partition N --dir D [--nats URL]... [--json]\n"
            "\n"
            "  snapshot  a compacted copy of partition N's database (D, default the --db database)\n"
            "            into the IDW_SNAP stream: chunks, then a manifest; older chunks purged,\n"
            "            the last two snapshots kept.  Exit 4: nothing applied yet\n"
            "  restore   the latest snapshot of partition N into D/data.mdb (D must hold no\n"
            "            database), every chunk and the SHA-256 checked; then `idwatch --db D\n"
            "            cluster apply --partition N` replays the rest.  Exit 4: no snapshot\n"
            "            (start empty); 5: the stream IDW_P<N> no longer reaches back to the\n"
            "            snapshot's applied_seq + 1 (events aged out: cannot restore)\n");
}

static int parse_args(int argc, char **argv, struct snap_args *a)
{
    static const struct option opts[] = {
        {"partition", required_argument, NULL, 'p'}, {"dir", required_argument, NULL, 'd'},
        {"nats", required_argument, NULL, 'n'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    char *end;
    int c;

    a->partition = -1;
    for (;;) {
        c = getopt_long(argc, argv, "h", opts, NULL);
        if (c == -1)
            break;
        if (c == 'p') {
            a->partition = strtol(optarg, &end, 10);
            if (*end || end == optarg || a->partition < 0 || a->partition >= IDW_PARTITIONS_MAX) {
                fprintf(stderr, "idwatch cluster: --partition: expected 0..%d\n", IDW_PARTITIONS_MAX - 1);
                return -1;
            }
        } else if (c == 'd')
            a->dir = optarg;
        else if (c == 'n' && a->nurls < MAX_URLS)
            a->urls[a->nurls++] = optarg;
        else if (c == 'j')
            a->json = 1;
        else if (c == 'h') {
            idw_cluster_snapshot_usage(stdout);
            return 1;
        } else {
            idw_cluster_snapshot_usage(stderr);
            return -1;
        }
    }
    return 0;
}

/* --nats, else cluster.nats of the configuration. */
static int resolve_urls(const struct idw_cli *cli, struct snap_args *a)
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

/* One JSON line (jansson), or nothing when out of memory. */
static void print_json(json_t *o)
{
    if (o && json_dumpf(o, stdout, JSON_COMPACT) == 0)
        putchar('\n');
    json_decref(o);
}

static void print_manifest(const struct idw_snapshot_manifest *m, int json)
{
    if (json)
        print_json(json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:s}", "partition", (json_int_t)m->partition,
                             "snap_id", m->snap_id, "applied_seq", (json_int_t)m->applied_seq,
                             "first_chunk_seq", (json_int_t)m->first_chunk_seq,
                             "chunks", (json_int_t)m->chunks,
                             "bytes", (json_int_t)m->bytes, "sha256", m->sha256));
    else
        printf("partition %u: snapshot %s: applied_seq %" PRIu64 ", %" PRIu64 " bytes in %" PRIu64
               " chunks from seq %" PRIu64 "\n", m->partition, m->snap_id, m->applied_seq, m->bytes,
               m->chunks, m->first_chunk_seq);
}

static int cmd_take(struct idw_cli *cli, const struct snap_args *a)
{
    const char *dir = a->dir ? a->dir : cli->cfg.db_path;
    struct idw_snapshot_config sc;
    struct idw_snapshot_manifest m;
    struct idw_store *st = NULL;
    struct idw_js *js = NULL;
    char err[1024];
    int rc = IDW_EXIT_FAILURE;
    enum idw_rc r;

    /* read-only: a writer (the worker's applier) may go on committing while the copy is made */
    if (idw_snapshot_config_load(cli->cfg.root, &sc, err, sizeof err) < 0 ||
        idw_store_open(dir, cli->cfg.map_size_mb, IDW_STORE_RDONLY, &st, err, sizeof err) < 0 ||
        idw_js_dial(cli->cfg.root, a->urls, a->nurls, NATS_TIMEOUT_MS, &js, err, sizeof err) < 0) {
        log_error("%s", err);
        goto out;
    }
    r = idw_snapshot_take(js, st, (unsigned)a->partition, &sc, NULL, RETRY_MS, &m, err, sizeof err);
    if (r == IDW_OK) {
        print_manifest(&m, a->json);
        rc = IDW_EXIT_OK;
    } else {
        log_error("%s", err);
        rc = r == IDW_NOTFOUND ? IDW_EXIT_NOT_FOUND : IDW_EXIT_FAILURE;
    }
out:
    idw_js_close(js);
    idw_store_close(st);
    return rc;
}

static void print_restore(const struct idw_snapshot_restore *r, const char *dir, int json)
{
    const struct idw_snapshot_manifest *m = &r->manifest;

    if (json)
        print_json(json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:I}", "partition", (json_int_t)m->partition,
                             "snap_id", m->snap_id, "applied_seq", (json_int_t)m->applied_seq,
                             "chunks", (json_int_t)m->chunks, "bytes", (json_int_t)m->bytes,
                             "stream_first_seq", (json_int_t)r->stream_first,
                             "stream_last_seq", (json_int_t)r->stream_last));
    else
        printf("partition %u: snapshot %s restored into %s/data.mdb (%" PRIu64 " bytes): applied_seq %"
               PRIu64 "; replay from seq %" PRIu64 " (the stream holds %" PRIu64 "..%" PRIu64 ")\n",
               m->partition, m->snap_id, dir, m->bytes, m->applied_seq, m->applied_seq + 1,
               r->stream_first, r->stream_last);
}

static int cmd_restore(const struct idw_cli *cli, const struct snap_args *a)
{
    struct idw_snapshot_restore r;
    struct idw_js *js = NULL;
    char err[1024];
    enum idw_rc rc;

    if (idw_js_dial(cli->cfg.root, a->urls, a->nurls, NATS_TIMEOUT_MS, &js, err, sizeof err) < 0) {
        log_error("%s", err);
        return IDW_EXIT_FAILURE;
    }
    rc = idw_snapshot_restore(js, (unsigned)a->partition, a->dir, RETRY_MS, &r, err, sizeof err);
    idw_js_close(js);
    if (rc == IDW_OK) {
        print_restore(&r, a->dir, a->json);
        return IDW_EXIT_OK;
    }
    log_error("%s", err);
    if (r.stream_gap)
        return EXIT_STREAM_GAP;
    return rc == IDW_NOTFOUND ? IDW_EXIT_NOT_FOUND : IDW_EXIT_FAILURE;
}

int idw_cmd_cluster_snapshot(struct idw_cli *cli, int argc, char **argv)
{
    struct snap_args a = {0};
    const char *sub = argv[1];
    int rc, restore = strcmp(sub, "restore") == 0;

    rc = parse_args(argc - 1, argv + 1, &a);
    if (rc)
        return rc > 0 ? IDW_EXIT_OK : IDW_EXIT_USAGE;
    if (optind < argc - 1 || a.partition < 0 || (restore && !a.dir)) {
        fprintf(stderr, "idwatch cluster %s: %s\n", sub, optind < argc - 1 ? "unexpected argument"
                : a.partition < 0 ? "--partition is required" : "--dir is required");
        return IDW_EXIT_USAGE;
    }
    if (idw_cli_load_config(cli) < 0 || resolve_urls(cli, &a) < 0)
        return IDW_EXIT_FAILURE;
    return restore ? cmd_restore(cli, &a) : cmd_take(cli, &a);
}
