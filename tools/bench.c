/*
 * bench.c — `make bench`: ingest throughput, measured in one run so the
 * figures are comparable (see docs/performance.md for the method).
 *
 *   (a) parse only          replay framing + jansson parse of every event
 *   (b) parse + normalize   (a) plus idw_normalize into an idw_event
 *   (c) full ingest         the real pipeline into a fresh LMDB database:
 *                           normalize, de-dup, identity, every detection
 *                           rule, persona update, one write transaction
 *                           per ingest.batch_events
 *
 * Each stage reads the same file from the page cache; the first pass warms
 * it.  The baseline is (a): the pipeline target is (c) >= 0.7 x (a).
 * Usage: bench FILE [DBDIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/config.h"
#include "event/normalize.h"
#include "engine/pipeline.h"
#include "source/replay.h"
#include "store/store.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

enum stage { PARSE, NORMALIZE, INGEST };

struct result {
    unsigned long events;
    double secs;
};

static int each_event(const char *path, int (*fn)(json_t *ev, void *ctx), void *ctx,
                      unsigned long *n)
{
    FILE *f = fopen(path, "rb");
    struct idw_reader *rd;
    char err[512];
    long line, index;
    json_t *ev;
    enum idw_read_status s;

    if (!f) {
        perror(path);
        return -1;
    }
    rd = idw_reader_new(f, 0);
    *n = 0;
    for (;;) {
        s = idw_reader_next(rd, &ev, &line, &index, err, sizeof err);
        if (s == IDW_READ_EOF)
            break;
        if (s != IDW_READ_EVENT) {
            fprintf(stderr, "bench: %s\n", err);
            if (s == IDW_READ_FATAL)
                break;
            continue;
        }
        int rc = fn ? fn(ev, ctx) : 0;
        json_decref(ev);
        if (rc < 0)
            break;
        (*n)++;
    }
    idw_reader_free(rd);
    fclose(f);
    return 0;
}

static int normalize_one(json_t *raw, void *ctx)
{
    struct idw_event ev;
    char err[256];
    (void)ctx;
    if (idw_normalize(raw, NULL, &ev, err, sizeof err) == IDW_NORM_OK)
        idw_event_clear(&ev);
    return 0;
}

static int ingest_one(json_t *raw, void *ctx)
{
    enum idw_feed_result res;
    char reason[512];
    if (idw_pipeline_feed(ctx, raw, &res, reason, sizeof reason) < 0) {
        fprintf(stderr, "bench: %s\n", reason);
        return -1;
    }
    return 0;
}

static struct result run_stage(const char *path, enum stage st, struct idw_pipeline *pl)
{
    struct result r = {0, 0};
    double t0 = now_s();
    int (*fn)(json_t *, void *) = st == PARSE ? NULL : st == NORMALIZE ? normalize_one : ingest_one;
    char err[512];

    each_event(path, fn, pl, &r.events);
    if (pl && idw_pipeline_commit(pl, NULL, NULL, err, sizeof err) < 0)
        fprintf(stderr, "bench: commit: %s\n", err);
    r.secs = now_s() - t0;
    return r;
}

static void persona_bytes(struct idw_store *st, double *per_persona, unsigned long *n)
{
    MDB_txn *txn;
    MDB_stat ms;
    char err[256];

    *per_persona = 0;
    *n = 0;
    if (idw_store_begin(st, 1, &txn, err, sizeof err) < 0)
        return;
    if (mdb_stat(txn, st->persona, &ms) == 0 && ms.ms_entries) {
        size_t pages = ms.ms_branch_pages + ms.ms_leaf_pages + ms.ms_overflow_pages;
        *per_persona = (double)pages * ms.ms_psize / ms.ms_entries;
        *n = ms.ms_entries;
    }
    mdb_txn_abort(txn);
}

static void print_line(const char *name, struct result r, double base)
{
    double eps = r.events / r.secs;
    printf("  %-22s %9lu events %7.2f s %10.0f events/s  %5.2f x parse-only\n",
           name, r.events, r.secs, eps, base > 0 ? eps / base : 1.0);
}

/*
 * Full ingest into a fresh database with poller-sized commits (one page of
 * 1000 events each), durable or not: what a sync per commit costs.
 */
static struct result ingest_fresh(const char *path, const char *dir, unsigned flags,
                                  const struct idw_config *cfg, struct idw_detect *detect)
{
    struct idw_pipeline_opts po = {.domain_id = "bench", .auto_commit = 1000, .detect = detect};
    struct result r = {0, 1};
    struct idw_store *st;
    struct idw_pipeline *pl;
    char err[512], cmd[4200];

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0 || idw_store_open(dir, 65536, flags, &st, err, sizeof err) < 0) {
        fprintf(stderr, "bench: %s: cannot start afresh\n", dir);
        return r;
    }
    if (idw_pipeline_open(st, cfg, &po, &pl, err, sizeof err) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        idw_store_close(st);
        return r;
    }
    r = run_stage(path, INGEST, pl);
    idw_pipeline_close(pl);
    idw_store_close(st);
    return r;
}

/*
 * The main run's setup: configuration, the database, the detection rules (every
 * C rule and every Sigma file under ./rules, as shipped) and
 * a pipeline committing every ingest.batch_events.  On failure err says why;
 * whatever was opened stays open (the caller exits).  Returns 0 or -1.
 */
static int open_main_run(const char *db, struct idw_config *cfg, struct idw_store **st,
                         struct idw_detect **detect, struct idw_pipeline **pl, char *err, size_t errlen)
{
    struct idw_pipeline_opts po = {.domain_id = "bench"};

    if (idw_config_load(NULL, cfg, err, errlen) < 0)
        return -1;
    if (idw_store_open(db, 65536, 0, st, err, errlen) < 0)
        return -1;
    po.auto_commit = (unsigned)cfg->batch_events;
    /* every shipped rule on: the C rules and the Sigma catalogue (BENCH_RULES: another directory) */
    if (idw_detect_open(getenv("BENCH_RULES") ? getenv("BENCH_RULES") : "rules", detect, err, errlen) < 0)
        return -1;
    po.detect = *detect;
    return idw_pipeline_open(*st, cfg, &po, pl, err, errlen) < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    struct idw_config cfg;
    struct idw_store *st;
    struct idw_pipeline *pl;
    struct idw_detect *detect = NULL;
    struct rusage ru;
    char err[512];
    const char *db = argc > 2 ? argv[2] : "build/bench-db";
    double per_persona, base;
    unsigned long npersonas;

    if (argc < 2) {
        fprintf(stderr, "usage: bench FILE [DBDIR]\n");
        return 2;
    }
    if (open_main_run(db, &cfg, &st, &detect, &pl, err, sizeof err) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    run_stage(argv[1], PARSE, NULL);             /* warm the page cache */
    struct result a = run_stage(argv[1], PARSE, NULL);
    struct result b = run_stage(argv[1], NORMALIZE, NULL);
    struct result c = run_stage(argv[1], INGEST, pl);
    base = a.events / a.secs;
    printf("idwatch ingest benchmark (one core, same run)\n");
    print_line("(a) parse only", a, base);
    print_line("(b) parse + normalize", b, base);
    print_line("(c) full ingest (LMDB)", c, base);
    persona_bytes(st, &per_persona, &npersonas);
    getrusage(RUSAGE_SELF, &ru);
    printf("  accepted %llu, personas %lu, LMDB bytes per persona %.0f, peak RSS %.1f MiB\n",
           (unsigned long long)idw_pipeline_stats(pl)->accepted, npersonas, per_persona,
           ru.ru_maxrss / 1024.0);
    printf("  target (c) >= 0.70 x (a): %s (%.2f)\n",
           c.events / c.secs >= 0.7 * base ? "met" : "NOT met", (c.events / c.secs) / base);
    {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s-durable", db);
        struct result d = ingest_fresh(argv[1], dir, 0, &cfg, detect);
        snprintf(dir, sizeof dir, "%s-nosync", db);
        struct result e = ingest_fresh(argv[1], dir, IDW_STORE_NOSYNC, &cfg, detect);
        printf("commits of 1000 events (one Okta page each), fresh database:\n");
        print_line("(d) durable (default)", d, base);
        print_line("(e) MDB_NOSYNC", e, base);
        printf("  a sync per commit costs %.1f%% of ingest throughput\n",
               e.events && d.secs > 0 ? 100.0 * (1.0 - (d.events / d.secs) / (e.events / e.secs)) : 0.0);
    }
    idw_pipeline_close(pl);
    idw_detect_close(detect);
    idw_store_close(st);
    idw_config_free(&cfg);
    return 0;
}
