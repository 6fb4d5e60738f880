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
 *   (d), (e)                (c) with a commit per 1000 events (an Okta
 *                           page), durable and with MDB_NOSYNC
 *
 * The input is read into memory once.  The stages are interleaved: each
 * slice of BENCH_SLICE (5000) events goes through (a), (b), (c), (d) and
 * (e) in turn, and each stage's time is the sum over the slices.  On a
 * shared machine a stage run alone varied by up to 30% from one run to the
 * next (and the page cache did not keep a 1 GB file between stages); a
 * slow spell now slows every stage alike, so the ratios hold.  The target
 * is (c) >= 0.7 x (a).  Usage: bench FILE [DBDIR]
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
#include "store/evstore.h"
#include "store/store.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_s(void) { return clock_s(CLOCK_MONOTONIC); }

/* the process's CPU time (user + system): printed beside wall-clock */
static double cpu_s(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }

enum stage { PARSE, NORMALIZE, INGEST };

struct result {
    unsigned long events;
    double secs;    /* wall-clock */
    double cpu;     /* CPU time of the process */
};

/* one ingest target: a fresh database and its pipeline */
struct target {
    struct idw_store *st;
    struct idw_pipeline *pl;
    struct result r;
};

static int load_input(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    long size = -1;

    if (f && fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (!f || size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        perror(path);
        if (f)
            fclose(f);
        return -1;
    }
    *len = (size_t)size;
    *buf = malloc(*len ? *len : 1);
    if (!*buf || fread(*buf, 1, *len, f) != *len) {
        fprintf(stderr, "bench: %s: cannot read it into memory\n", path);
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}

/* the end of the slice that starts at from: after `lines` newlines, or the end */
static size_t slice_end(const char *buf, size_t len, size_t from, unsigned lines)
{
    while (from < len && lines) {
        const char *nl = memchr(buf + from, '\n', len - from);
        from = nl ? (size_t)(nl - buf) + 1 : len;
        lines--;
    }
    return from;
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

/* Runs one stage over buf[0..len), adding its events and times to *r. */
static void run_slice(const char *buf, size_t len, enum stage st, struct idw_pipeline *pl,
                      struct result *r)
{
    int (*fn)(json_t *, void *) = st == PARSE ? NULL : st == NORMALIZE ? normalize_one : ingest_one;
    FILE *f = fmemopen((void *)buf, len, "rb");
    struct idw_reader *rd = f ? idw_reader_new(f, 0) : NULL;
    double t0 = now_s(), c0 = cpu_s();
    char err[512];
    long line, index;
    json_t *ev;
    enum idw_read_status s;

    for (;;) {
        s = rd ? idw_reader_next(rd, &ev, &line, &index, err, sizeof err) : IDW_READ_EOF;
        if (s == IDW_READ_EOF)
            break;
        if (s != IDW_READ_EVENT) {
            fprintf(stderr, "bench: %s\n", err);
            if (s == IDW_READ_FATAL)
                break;
            continue;
        }
        int rc = fn ? fn(ev, pl) : 0;
        json_decref(ev);
        if (rc < 0)
            break;
        r->events++;
    }
    r->secs += now_s() - t0;
    r->cpu += cpu_s() - c0;
    idw_reader_free(rd);
    if (f)
        fclose(f);
}

/* The last commit of a target, timed into its result. */
static void finish(struct target *t)
{
    double t0 = now_s(), c0 = cpu_s();
    char err[512];
    if (idw_pipeline_commit(t->pl, NULL, NULL, err, sizeof err) < 0)
        fprintf(stderr, "bench: commit: %s\n", err);
    t->r.secs += now_s() - t0;
    t->r.cpu += cpu_s() - c0;
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

/*
 * The kept events (store/evstore.h): how many, and the bytes their three
 * tables take per event (the docs/events.md budget is 400).
 */
static void event_bytes(struct idw_store *st)
{
    MDB_txn *txn;
    char err[256];
    size_t n = 0, bytes = 0;

    if (idw_store_begin(st, 1, &txn, err, sizeof err) < 0)
        return;
    if (idw_evstore_usage(st, txn, &n, &bytes, err, sizeof err) == IDW_OK && n)
        printf("  kept events %zu, LMDB bytes per kept event %.0f (records and the timeline index; "
               "budget 400)\n", n, (double)bytes / n);
    mdb_txn_abort(txn);
}

/* base: (a)'s events per wall second; cpu_base: per CPU second */
static void print_line(const char *name, struct result r, double base, double cpu_base)
{
    double eps = r.events / r.secs, ceps = r.events / r.cpu;
    printf("  %-22s %7lu events %7.2f s %8.0f/s %5.2f x | CPU %7.2f s %8.0f/s %5.2f x\n",
           name, r.events, r.secs, eps, base > 0 ? eps / base : 1.0, r.cpu, ceps,
           cpu_base > 0 ? ceps / cpu_base : 1.0);
}

/*
 * A fresh database at dir (removed first) and a pipeline committing every
 * `batch` events, durable or not (flags).  Returns 0, or -1 with a message.
 */
static int open_target(struct target *t, const char *dir, unsigned flags, unsigned batch,
                       const struct idw_config *cfg, struct idw_detect *detect)
{
    struct idw_pipeline_opts po = {.domain_id = "bench", .auto_commit = batch, .detect = detect};
    char err[512], cmd[4200];

    memset(t, 0, sizeof *t);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0 || idw_store_open(dir, 65536, flags, &t->st, err, sizeof err) < 0) {
        fprintf(stderr, "bench: %s: cannot start afresh\n", dir);
        return -1;
    }
    if (idw_pipeline_open(t->st, cfg, &po, &t->pl, err, sizeof err) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        return -1;
    }
    return 0;
}

static void close_target(struct target *t)
{
    idw_pipeline_close(t->pl);
    idw_store_close(t->st);
}

/*
 * Configuration and the detection rules: every C rule and every Sigma file
 * under ./rules, as shipped (BENCH_RULES: another directory); events kept
 * for the default events.retention_days (BENCH_RETENTION_DAYS: another).  Returns 0 or
 * -1 with err set.
 */
static int open_rules(struct idw_config *cfg, struct idw_detect **detect, char *err, size_t errlen)
{
    if (idw_config_load(NULL, cfg, err, errlen) < 0)
        return -1;
    if (getenv("BENCH_RETENTION_DAYS"))     /* 0: the cost of keeping events, by difference */
        cfg->retention_days = atoi(getenv("BENCH_RETENTION_DAYS"));
    return idw_detect_open(getenv("BENCH_RULES") ? getenv("BENCH_RULES") : "rules", detect, err, errlen) < 0
        ? -1 : 0;
}

static void report(const struct result *a, const struct result *b, const struct target *t, size_t input_len)
{
    double base = a->events / a->secs, cpu_base = a->events / a->cpu, per_persona;
    unsigned long npersonas;
    struct rusage ru;

    printf("idwatch ingest benchmark (one core, same run, stages interleaved by slices)\n");
    print_line("(a) parse only", *a, base, cpu_base);
    print_line("(b) parse + normalize", *b, base, cpu_base);
    print_line("(c) full ingest (LMDB)", t[0].r, base, cpu_base);
    persona_bytes(t[0].st, &per_persona, &npersonas);
    getrusage(RUSAGE_SELF, &ru);
    printf("  accepted %llu, personas %lu, LMDB bytes per persona %.0f, peak RSS %.1f MiB"
           " (three databases, and the %.0f MiB input held in memory)\n",
           (unsigned long long)idw_pipeline_stats(t[0].pl)->accepted, npersonas, per_persona,
           ru.ru_maxrss / 1024.0, input_len / 1048576.0);
    event_bytes(t[0].st);
    printf("  target (c) >= 0.70 x (a): %s (%.2f)\n",
           t[0].r.events / t[0].r.secs >= 0.7 * base ? "met" : "NOT met",
           (t[0].r.events / t[0].r.secs) / base);
    printf("commits of 1000 events (one Okta page each), fresh database:\n");
    print_line("(d) durable (default)", t[1].r, base, cpu_base);
    print_line("(e) MDB_NOSYNC", t[2].r, base, cpu_base);
    printf("  a sync per commit costs %.1f%% of ingest throughput\n",
           t[2].r.events && t[1].r.secs > 0
           ? 100.0 * (1.0 - (t[1].r.events / t[1].r.secs) / (t[2].r.events / t[2].r.secs)) : 0.0);
}

int main(int argc, char **argv)
{
    struct idw_config cfg;
    struct idw_detect *detect = NULL;
    struct result a = {0}, b = {0};
    struct target t[3];
    char err[512], dir[4096], *buf = NULL;
    const char *db = argc > 2 ? argv[2] : "build/bench-db";
    unsigned slice = getenv("BENCH_SLICE") ? (unsigned)atoi(getenv("BENCH_SLICE")) : 5000;
    size_t len = 0;
    int rc = 1;

    if (argc < 2) {
        fprintf(stderr, "usage: bench FILE [DBDIR]\n");
        return 2;
    }
    if (open_rules(&cfg, &detect, err, sizeof err) < 0) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    memset(t, 0, sizeof t);
    snprintf(dir, sizeof dir, "%s-durable", db);
    if (load_input(argv[1], &buf, &len) < 0
        || open_target(&t[0], db, 0, (unsigned)cfg.batch_events, &cfg, detect) < 0
        || open_target(&t[1], dir, 0, 1000, &cfg, detect) < 0
        || (snprintf(dir, sizeof dir, "%s-nosync", db),
            open_target(&t[2], dir, IDW_STORE_NOSYNC, 1000, &cfg, detect)) < 0)
        goto out;
    for (size_t from = 0, to; from < len; from = to) {
        to = slice_end(buf, len, from, slice ? slice : 5000);
        run_slice(buf + from, to - from, PARSE, NULL, &a);
        run_slice(buf + from, to - from, NORMALIZE, NULL, &b);
        for (int i = 0; i < 3; i++)
            run_slice(buf + from, to - from, INGEST, t[i].pl, &t[i].r);
    }
    for (int i = 0; i < 3; i++)
        finish(&t[i]);
    report(&a, &b, t, len);
    rc = 0;
out:
    for (int i = 0; i < 3; i++)
        if (t[i].st)
            close_target(&t[i]);
    idw_detect_close(detect);
    idw_config_free(&cfg);
    free(buf);
    return rc;
}
