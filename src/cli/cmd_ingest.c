/*
 * cmd_ingest.c — `idwatch ingest --file PATH|-`: replays a file of Okta
 * events through the pipeline.  The reader (source/replay.h) takes JSON
 * objects, arrays, JSON Lines and concatenated values, plain or gzip,
 * recognised from the content.
 *
 * Bad input is reported per element with where it is (event number, line,
 * byte offset) and skipped; everything accepted before or after it is
 * kept.  SIGINT/SIGTERM stop the read and commit what was applied, so an
 * interrupted replay resumes cleanly (de-duplication skips what is already
 * in).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "engine/pipeline.h"
#include "source/replay.h"
#include "event/geo.h"

#define MAX_REPORTED 100        /* per-event problems printed before only counting */

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

struct ingest_args {
    const char *file, *emit, *domain;
    int json;
};

static void ingest_usage(FILE *out)
{
    fprintf(out,
            "usage: idwatch ingest --file PATH|- [--domain ID] [--emit-normalized PATH|-] [--json]\n"
            "\n"
            "Replays Okta System Log events into the persona database: a JSON array (an\n"
            "/api/v1/logs response), JSON Lines, one JSON object, or JSON values back to\n"
            "back; gzip-compressed or not.  The form is recognised from the content.\n"
            "Re-ingesting the same events changes nothing (de-duplicated by uuid; events\n"
            "without one get a uuid derived from their content).\n"
            "\n"
            "  --file PATH|-            input file, or - for standard input (gzip too)\n"
            "  --domain ID              the Okta org's domain_id (default: the config's first org)\n"
            "  --emit-normalized PATH|- also write each accepted event, normalized, as JSON Lines\n"
            "  --json                   print the summary as JSON\n"
            "\n"
            "Exit codes: 0 all input accepted or skipped by design, 1 failure (nothing after\n"
            "the last committed batch was kept), 2 usage, 3 some events were rejected\n"
            "(malformed, stale: older than the de-duplication horizon, or future: published\n"
            "beyond this host's clock + ingest.max_future_skew_s).\n");
}

static int parse_args(int argc, char **argv, struct ingest_args *a)
{
    static const struct option opts[] = {
        {"file", required_argument, NULL, 'f'}, {"emit-normalized", required_argument, NULL, 'e'},
        {"domain", required_argument, NULL, 'D'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c;

    for (;;) {
        c = getopt_long(argc, argv, "hf:", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'f':
            a->file = optarg;
            break;
        case 'e':
            a->emit = optarg;
            break;
        case 'D':
            a->domain = optarg;
            break;
        case 'j':
            a->json = 1;
            break;
        case 'h':
            ingest_usage(stdout);
            return 1;
        default:
            ingest_usage(stderr);
            return -1;
        }
    }
    if (!a->file || optind < argc) {
        fprintf(stderr, "idwatch ingest: %s\n", a->file ? "unexpected argument" : "--file is required");
        ingest_usage(stderr);
        return -1;
    }
    return 0;
}

/* where: "event 12 (line 40, byte 10233)", or NULL when reason already names it (the reader's do) */
static void report(const char *where, const char *what, const char *reason,
                   unsigned long long *nreported)
{
    if (++*nreported > MAX_REPORTED + 1)
        return;
    if (*nreported == MAX_REPORTED + 1)
        log_warn("more problems: counting only (see the summary)");
    else if (where)
        log_warn("%s: %s: %s", where, what, reason);
    else
        log_warn("%s: %s", what, reason);
}

struct run {
    struct idw_pipeline *pl;
    struct idw_reader *rd;
    unsigned long long read_errors, reported;
    int fatal_input, storage_failed, interrupted;
};

/* The reader's message starts with where; put "malformed" after it, as for the other problems. */
static void report_malformed(struct run *r, const char *err)
{
    char where[96];
    size_t n;

    idw_reader_where(r->rd, where, sizeof where);
    n = strlen(where);
    if (strncmp(err, where, n) == 0 && err[n] == ':' && err[n + 1] == ' ')
        report(where, "malformed", err + n + 2, &r->reported);
    else
        report(NULL, "malformed", err, &r->reported);
}

static int feed_one(struct run *r, json_t *ev)
{
    enum idw_feed_result res;
    char reason[512], where[96];

    idw_reader_where(r->rd, where, sizeof where);
    if (idw_pipeline_feed(r->pl, ev, &res, reason, sizeof reason) < 0) {
        log_error("%s: storage failure: %s", where, reason);
        r->storage_failed = 1;
        return -1;
    }
    if (res == IDW_FEED_REJECTED)
        report(where, "rejected", reason, &r->reported);
    else if (res == IDW_FEED_STALE)
        report(where, "stale", reason, &r->reported);
    else if (res == IDW_FEED_FUTURE)
        report(where, "future", reason, &r->reported);
    return 0;
}

static void read_all(struct run *r)
{
    char err[512];
    json_t *ev;

    while (!stop_requested) {
        enum idw_read_status s = idw_reader_next(r->rd, &ev, NULL, NULL, err, sizeof err);
        if (s == IDW_READ_EOF)
            break;
        if (s == IDW_READ_BAD) {
            r->read_errors++;
            report_malformed(r, err);
            continue;
        }
        if (s == IDW_READ_FATAL) {
            r->read_errors++;
            r->fatal_input = 1;
            log_error("%s", err);
            break;
        }
        int rc = feed_one(r, ev);
        json_decref(ev);
        if (rc < 0)
            return;
    }
    r->interrupted = stop_requested != 0;
}

static void print_summary(const struct ingest_args *a, const struct run *r, const char *domain)
{
    const struct idw_pipeline_stats *s = idw_pipeline_stats(r->pl);
    FILE *out = (a->emit && strcmp(a->emit, "-") == 0) ? stderr : stdout;
    unsigned long long rejected = s->rejected + r->read_errors;

    if (a->json) {
        json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}",
                              "domain_id", domain, "file", a->file,
                              "accepted", (json_int_t)s->accepted,
                              "duplicates", (json_int_t)s->duplicates,
                              "skipped_type", (json_int_t)s->skipped_type,
                              "skipped_no_human", (json_int_t)s->skipped_no_human,
                              "stale", (json_int_t)s->stale,
                              "future", (json_int_t)s->future,
                              "filtered", (json_int_t)s->filtered,
                              "rejected", (json_int_t)rejected,
                              "enriched", (json_int_t)s->enriched,
                              "persona_updates", (json_int_t)s->persona_updates,
                              "rules_only", (json_int_t)s->rules_only,
                              "alerts", (json_int_t)s->alerts,
                              "complete", !(r->fatal_input || r->storage_failed || r->interrupted));
        if (o && json_dumpf(o, out, JSON_COMPACT) == 0)
            fputc('\n', out);
        json_decref(o);
        return;
    }
    fprintf(out, "%s → %s: accepted %llu, duplicates %llu, skipped (type) %llu, "
                 "skipped (no human) %llu, filtered %llu, stale %llu, future %llu, rejected %llu\n",
            a->file, domain, (unsigned long long)s->accepted, (unsigned long long)s->duplicates,
            (unsigned long long)s->skipped_type, (unsigned long long)s->skipped_no_human,
            (unsigned long long)s->filtered, (unsigned long long)s->stale, (unsigned long long)s->future,
            rejected);
    if (r->interrupted)
        fprintf(out, "interrupted: everything counted above is committed; run again to resume\n");
}

static FILE *open_input(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        log_error("%s: cannot open: %m", path);
    return f;
}

static FILE *open_emit(const char *path)
{
    FILE *f;
    if (!path)
        return NULL;
    f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
    if (!f)
        log_error("%s: cannot create: %m", path);
    return f;
}

static int run_ingest(struct idw_cli *cli, const struct ingest_args *a, const char *domain,
                      FILE *in, FILE *emit_to, struct idw_geodb *geo, struct idw_detect *detect)
{
    struct idw_pipeline_opts po = {.domain_id = domain, .geo = geo, .emit = emit_to,
                                  .auto_commit = (unsigned)cli->cfg.batch_events, .detect = detect};
    struct run r = {0};
    struct idw_store *st = idw_cli_open_writer(cli, "ingest");
    char err[512];
    int rc = IDW_EXIT_FAILURE;

    if (!st)
        return IDW_EXIT_FAILURE;
    if (idw_pipeline_open(st, &cli->cfg, &po, &r.pl, err, sizeof err) < 0) {
        log_error("%s", err);
        idw_store_close(st);
        return IDW_EXIT_FAILURE;
    }
    r.rd = idw_reader_new(in, 0);
    if (r.rd) {
        read_all(&r);
        if (!r.storage_failed && idw_pipeline_commit(r.pl, NULL, NULL, err, sizeof err) < 0) {
            log_error("commit failed: %s", err);
            r.storage_failed = 1;
        }
        print_summary(a, &r, domain);
        if (r.storage_failed)
            rc = IDW_EXIT_FAILURE;
        else if (r.read_errors || idw_pipeline_stats(r.pl)->rejected ||
                 idw_pipeline_stats(r.pl)->stale || idw_pipeline_stats(r.pl)->future)
            rc = IDW_EXIT_REJECTED;     /* refused events were not ingested: say so */
        else
            rc = r.interrupted ? IDW_EXIT_FAILURE : IDW_EXIT_OK;
    }
    idw_reader_free(r.rd);
    idw_pipeline_close(r.pl);
    idw_store_close(st);
    return rc;
}


int idw_cmd_ingest(struct idw_cli *cli, int argc, char **argv)
{
    struct ingest_args a = {0};
    struct idw_geodb *geo = NULL;
    struct idw_detect *detect = NULL;
    FILE *in = NULL, *emit_to = NULL;
    int rc = parse_args(argc, argv, &a);

    if (rc)
        return rc > 0 ? IDW_EXIT_OK : IDW_EXIT_USAGE;
    if (idw_cli_load_config(cli) < 0 || idw_cli_open_geo(&cli->cfg, &geo) < 0)
        return IDW_EXIT_FAILURE;
    if (idw_cli_open_detect(cli, &detect) < 0) {
        idw_geo_close(geo);
        return IDW_EXIT_FAILURE;
    }
    if (!a.domain)
        a.domain = idw_cli_default_domain(cli);
    in = open_input(a.file);
    if (in && a.emit) {
        emit_to = open_emit(a.emit);
        if (!emit_to)
            rc = IDW_EXIT_FAILURE;
    }
    if (in && rc == 0) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        rc = run_ingest(cli, &a, a.domain, in, emit_to, geo, detect);
    } else if (!in) {
        rc = IDW_EXIT_FAILURE;
    }
    if (emit_to && emit_to != stdout && fclose(emit_to) != 0) {
        log_error("%s: write failed", a.emit);
        rc = IDW_EXIT_FAILURE;
    }
    if (in && in != stdin)
        fclose(in);
    idw_geo_close(geo);
    idw_detect_close(detect);
    return rc;
}
