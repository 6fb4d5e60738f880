/*
 * cmd_rules.c — `idwatch rules list|validate|test`: the detection
 * engineer's view of both kinds of rule (C modules and Sigma files).
 *
 * `rules test` runs a rule over events through the real pipeline (persona
 * updates, rule state, alert aggregation, persona-aware severity) in a
 * throw-away database under $TMPDIR, so what it prints is what the daemon
 * would raise, and the configured database is never touched.
 */
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/log.h"
#include "engine/pipeline.h"
#include "sigma/sigma.h"
#include "source/replay.h"

#define TEST_DOMAIN "rules-test"

static int usage(FILE *out, int rc)
{
    fprintf(out,
            "usage: idwatch rules list [--json]\n"
            "       idwatch rules validate [--json] [FILE...]\n"
            "       idwatch rules test RULE|FILE [--events FILE] [--json]\n\n"
            "list      every rule, C and Sigma: id, kind, source, level, status, settings in effect\n"
            "validate  loads Sigma files strictly (default: every file under rules_dir); exit 5 when\n"
            "          one is refused, naming file, line and reason\n"
            "test      runs one rule (an id or name from rules_dir) or the rules of one Sigma file\n"
            "          over --events (any form `ingest` reads), or over the tests the rule file\n"
            "          carries (`idwatch: tests:`), in a throw-away database; prints every alert\n"
            "          with its severity, context and the Okta uuids behind it; exit 5 when a\n"
            "          carried test's expectation fails\n");
    return rc;
}

/* ---- list ----------------------------------------------------------------------- */

static void print_c_rule(const json_t *r)
{
    char *cfg = json_dumps(json_object_get(r, "config"), JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

    printf("%-38s c           %-8s %s\n%38s settings: %s\n", json_string_value(json_object_get(r, "id")),
           json_is_true(json_object_get(r, "enabled")) ? "enabled" : "disabled",
           json_string_value(json_object_get(r, "description")), "",
           cfg && strcmp(cfg, "null") ? cfg : "(defaults)");
    free(cfg);
}

static void print_sigma_rule(const json_t *r)
{
    printf("%-38s %-11s %-8s %s\n%38s %s:%lld, level %s, status %s, context %s, window %llds%s%s\n",
           json_string_value(json_object_get(r, "id")), json_string_value(json_object_get(r, "kind")),
           json_is_true(json_object_get(r, "enabled")) ? "enabled" : "disabled",
           json_string_value(json_object_get(r, "title")), "", json_string_value(json_object_get(r, "file")),
           (long long)json_integer_value(json_object_get(r, "line")),
           json_string_value(json_object_get(r, "level")), json_string_value(json_object_get(r, "status")),
           json_is_true(json_object_get(r, "context")) ? "on" : "off",
           (long long)json_integer_value(json_object_get(r, "window_s")),
           json_is_true(json_object_get(r, "generates")) ? "" : ", feeds correlations only",
           "");
}

static int cmd_list(struct idw_cli *cli, int json)
{
    struct idw_detect *d;
    json_t *all, *r;
    size_t i;

    if (idw_cli_load_config(cli) < 0 || idw_cli_open_detect(cli, &d) < 0)
        return IDW_EXIT_FAILURE;
    all = idw_detect_describe(d);
    if (!all) {
        log_error("rules list: out of memory");
        idw_detect_close(d);
        return IDW_EXIT_FAILURE;
    }
    json_array_foreach(all, i, r) {
        if (json) {
            json_dumpf(r, stdout, JSON_COMPACT | JSON_SORT_KEYS);
            putchar('\n');
        } else if (!strcmp(json_string_value(json_object_get(r, "kind")), "c")) {
            print_c_rule(r);
        } else {
            print_sigma_rule(r);
        }
    }
    json_decref(all);
    idw_detect_close(d);
    return IDW_EXIT_OK;
}

/* ---- validate --------------------------------------------------------------------- */

/* One file on its own: "ok", "skipped" (another product) or the refusal. */
static int validate_file(const char *path, int json)
{
    struct idw_sigma_set *s;
    char err[1024] = "";
    enum idw_rc rc;
    size_t n = 0;

    if (idw_sigma_set_new(&s) != IDW_OK)
        return -1;
    rc = idw_sigma_load_file(s, path, err, sizeof err);
    if (rc == IDW_OK)
        rc = idw_sigma_link(s, err, sizeof err);
    n = idw_sigma_count(s);
    if (json) {
        json_t *o = json_pack("{s:s, s:s, s:I, s:s?}", "file", path,
                              "result", rc == IDW_OK ? "ok" : rc == IDW_NOTFOUND ? "skipped" : "refused",
                              "rules", (json_int_t)(rc == IDW_OK ? n : 0), "error", err[0] ? err : NULL);
        json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
        putchar('\n');
        json_decref(o);
    } else if (rc == IDW_OK) {
        printf("ok       %s (%zu rule%s)\n", path, n, n == 1 ? "" : "s");
    } else {
        printf("%s %s\n", rc == IDW_NOTFOUND ? "skipped" : "REFUSED", err);
    }
    idw_sigma_set_free(s);
    return rc == IDW_ERR;
}

struct validating {
    int json;
    int bad;        /* files refused */
};

static enum idw_rc validate_each(const char *path, void *arg)
{
    struct validating *v = arg;
    v->bad += validate_file(path, v->json);
    return IDW_OK;
}

/* Every YAML file under dir, in name order; returns how many were refused (an unreadable directory: 1). */
static int validate_tree(const char *dir, int json)
{
    struct validating v = {.json = json};
    char err[4200];

    if (idw_sigma_each_file(dir, validate_each, &v, err, sizeof err) != IDW_OK) {
        log_error("rules validate: %s", err);
        return v.bad + 1;
    }
    return v.bad;
}

static int cmd_validate(struct idw_cli *cli, int json, int nfiles, char **files)
{
    int bad = 0;
    struct idw_detect *d;

    if (!nfiles) {
        if (idw_cli_load_config(cli) < 0)
            return IDW_EXIT_FAILURE;
        bad = validate_tree(cli->cfg.rules_dir, json);
        /* each file alone, then all together: ids unique across files, correlations resolve */
        if (!bad && idw_cli_open_detect(cli, &d) == IDW_OK)
            idw_detect_close(d);
        else if (!bad)
            bad = 1;
    }
    for (int i = 0; i < nfiles; i++)
        bad += validate_file(files[i], json);
    return bad ? IDW_EXIT_RULES : IDW_EXIT_OK;
}

/* ---- test --------------------------------------------------------------------------- */

/* The alert versions one run raised, the newest version of each alert last. */
struct capture {
    json_t *alerts;             /* alert id -> newest version */
};

static enum idw_rc capture_alert(struct idw_store *st, MDB_txn *txn, const json_t *alert, void *ctx,
                                 char *err, size_t errlen)
{
    struct capture *c = ctx;
    const char *id = idw_alert_id(alert);

    (void)st, (void)txn;
    if (!id || json_object_set_new(c->alerts, id, json_deep_copy(alert)) < 0) {
        snprintf(err, errlen, "rules test: out of memory");
        return IDW_ERR;
    }
    return IDW_OK;
}

/* A fresh database directory under $TMPDIR, or -1. */
static int temp_db(char *dir, size_t len)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, len, "%s/idwatch-rules-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        log_error("rules test: cannot create a scratch database in %s: %m", tmp && *tmp ? tmp : "/tmp");
        return -1;
    }
    return 0;
}

static void remove_db(const char *dir)
{
    static const char *const files[] = {"data.mdb", "lock.mdb", "writer.lock", NULL};
    char path[4096 + 260];
    DIR *dp;
    struct dirent *e;

    for (int i = 0; files[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    dp = opendir(dir);
    for (e = dp ? readdir(dp) : NULL; e; e = readdir(dp)) {
        if (e->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
            unlink(path);
    }
    if (dp)
        closedir(dp);
    rmdir(dir);
}

/* Feeds events (a JSON array of events, or a reader) through a fresh pipeline; IDW_OK/IDW_ERR. */
struct feed {
    const json_t *events;       /* inline test events, or NULL */
    FILE *in;                   /* --events, or NULL */
    unsigned refused;           /* events the pipeline refused (malformed, future...) */
};

static enum idw_rc feed_one(struct idw_pipeline *pl, json_t *ev, struct feed *f)
{
    enum idw_feed_result res;
    char reason[512];

    if (idw_pipeline_feed(pl, ev, &res, reason, sizeof reason) != IDW_OK) {
        log_error("rules test: %s", reason);
        return IDW_ERR;
    }
    if (res == IDW_FEED_REJECTED || res == IDW_FEED_STALE || res == IDW_FEED_FUTURE) {
        log_warn("rules test: event refused: %s", reason);
        f->refused++;
    }
    return IDW_OK;
}

static enum idw_rc feed_all(struct idw_pipeline *pl, struct feed *f)
{
    struct idw_reader *rd;
    json_t *ev;
    size_t i;
    char err[512];
    enum idw_read_status s;

    if (f->events) {
        json_array_foreach(f->events, i, ev)
            if (feed_one(pl, ev, f) != IDW_OK)
                return IDW_ERR;
        return IDW_OK;
    }
    rd = idw_reader_new(f->in, 0);
    if (!rd)
        return IDW_ERR;
    for (;;) {
        s = idw_reader_next(rd, &ev, NULL, NULL, err, sizeof err);
        if (s == IDW_READ_EOF)
            break;
        if (s != IDW_READ_EVENT) {
            log_warn("rules test: %s", err);
            f->refused++;
            if (s == IDW_READ_FATAL)
                break;
            continue;
        }
        enum idw_rc rc = feed_one(pl, ev, f);
        json_decref(ev);
        if (rc != IDW_OK) {
            idw_reader_free(rd);
            return IDW_ERR;
        }
    }
    idw_reader_free(rd);
    return IDW_OK;
}

/* One run in a scratch database: the alerts raised (newest versions), or NULL on failure. */
static json_t *run_events(struct idw_cli *cli, struct idw_detect *d, struct capture *cap, struct feed *f)
{
    struct idw_pipeline_opts po = {.domain_id = TEST_DOMAIN, .detect = d};
    struct idw_pipeline *pl = NULL;
    struct idw_store *st = NULL;
    char dir[4096], err[512];
    json_t *out = NULL;

    if (temp_db(dir, sizeof dir) < 0)
        return NULL;
    cap->alerts = json_object();
    if (cap->alerts && idw_store_open(dir, 256, IDW_STORE_NOSYNC, &st, err, sizeof err) == IDW_OK &&
        idw_pipeline_open(st, &cli->cfg, &po, &pl, err, sizeof err) == IDW_OK &&
        feed_all(pl, f) == IDW_OK && idw_pipeline_commit(pl, NULL, NULL, err, sizeof err) == IDW_OK)
        out = json_incref(cap->alerts);
    else if (cap->alerts)
        log_error("rules test: %s", err);
    idw_pipeline_close(pl);
    idw_store_close(st);
    remove_db(dir);
    json_decref(cap->alerts);
    cap->alerts = NULL;
    return out;
}

static void print_alert(const json_t *a, int json)
{
    const json_t *ids = json_object_get(a, "event_ids");
    size_t i;
    const json_t *v;

    if (json) {
        json_dumpf(a, stdout, JSON_COMPACT | JSON_SORT_KEYS);
        putchar('\n');
        return;
    }
    printf("  ALERT %-8s %s  %s\n", json_string_value(json_object_get(a, "severity")),
           json_string_value(json_object_get(a, "rule")), json_string_value(json_object_get(a, "summary")));
    printf("        evidence: %s\n        okta uuids:", json_string_value(json_object_get(a, "evidence")));
    json_array_foreach(ids, i, v)
        printf(" %s", json_string_value(v));
    putchar('\n');
}

/* Whether a test's expectation holds for the alerts it raised. */
static int expectation_holds(const json_t *test, const json_t *alerts)
{
    const char *expect = json_string_value(json_object_get(test, "expect"));
    const char *sev = json_string_value(json_object_get(test, "severity"));
    const char *id;
    const json_t *a;

    if (expect && !strcmp(expect, "none"))
        return json_object_size(alerts) == 0;
    if (!sev)
        return json_object_size(alerts) > 0;
    json_object_foreach((json_t *)alerts, id, a)
        if (!strcmp(json_string_value(json_object_get(a, "severity")), sev))
            return 1;
    return 0;
}

/* Runs the tests a Sigma rule carries; returns how many failed (-1: could not run). */
static int run_carried(struct idw_cli *cli, struct idw_detect *d, struct capture *cap,
                       const struct idw_sigma_info *in, int json)
{
    size_t i;
    const json_t *t;
    int failed = 0;

    json_array_foreach(in->tests, i, t) {
        struct feed f = {.events = json_object_get(t, "events")};
        const char *name = json_string_value(json_object_get(t, "name"));
        json_t *alerts;
        int ok;

        if (!json_is_array(f.events)) {
            log_error("%s: test %zu has no events list", in->file, i + 1);
            return -1;
        }
        alerts = run_events(cli, d, cap, &f);
        if (!alerts)
            return -1;
        ok = expectation_holds(t, alerts) && !f.refused;
        failed += !ok;
        if (json) {
            json_t *o = json_pack("{s:s, s:s, s:s?, s:s, s:O, s:I}", "rule", in->id, "test", name ? name : "",
                                  "expect", json_string_value(json_object_get(t, "expect")),
                                  "result", ok ? "pass" : "fail", "alerts", alerts,
                                  "refused_events", (json_int_t)f.refused);
            json_dumpf(o, stdout, JSON_COMPACT | JSON_SORT_KEYS);
            putchar('\n');
            json_decref(o);
        } else {
            const char *id;
            const json_t *a;
            printf("%s %s: %s (expect %s, %zu alert%s%s)\n", ok ? "PASS" : "FAIL", in->id, name ? name : "",
                   json_string_value(json_object_get(t, "expect")), json_object_size(alerts),
                   json_object_size(alerts) == 1 ? "" : "s", f.refused ? ", events refused" : "");
            json_object_foreach(alerts, id, a)
                print_alert(a, 0);
        }
        json_decref(alerts);
    }
    return failed;
}

/* Opens the engine for RULE (an id or name in rules_dir) or FILE (a Sigma file alone). */
static enum idw_rc open_for_test(struct idw_cli *cli, const char *what, struct idw_detect **d, int *is_file)
{
    static const struct idw_rule *const no_c_rules[] = {NULL};
    const char *files[] = {what, NULL};
    struct idw_detect_opts o = {.rules_dir = cli->cfg.rules_dir, .only = what};
    struct stat sb;
    char err[1024];

    *is_file = stat(what, &sb) == 0 && S_ISREG(sb.st_mode);
    if (*is_file)
        o = (struct idw_detect_opts){.table = no_c_rules, .sigma_files = files};
    if (idw_detect_open_opts(&o, d, err, sizeof err) != IDW_OK) {
        log_error("rules: %s", err);
        return IDW_ERR;
    }
    return IDW_OK;
}

/* Whether the engine has an enabled rule at all (RULE named nothing known otherwise). */
static int any_enabled(struct idw_detect *d)
{
    json_t *all = idw_detect_describe(d), *r;
    size_t i;
    int n = 0;

    json_array_foreach(all, i, r)
        n += json_is_true(json_object_get(r, "enabled"));
    json_decref(all);
    return n;
}

/* The carried tests of every enabled Sigma rule of d; exit code. */
static int test_carried(struct idw_cli *cli, struct idw_detect *d, struct capture *cap,
                        const struct idw_sigma_set *s, int json)
{
    int failed = 0, ran = 0;

    for (size_t i = 0; s && i < idw_sigma_count(s); i++) {
        const struct idw_sigma_rule *r = idw_sigma_at(s, i);
        const struct idw_sigma_info *in = idw_sigma_info(r);
        if (!idw_sigma_enabled(r) || !in->tests)
            continue;
        int f = run_carried(cli, d, cap, in, json);
        if (f < 0)
            return IDW_EXIT_FAILURE;
        failed += f;
        ran++;
    }
    if (!ran) {
        log_error("rules test: no tests to run: the rule carries none (`idwatch: tests:`); use --events");
        return IDW_EXIT_USAGE;
    }
    return failed ? IDW_EXIT_RULES : IDW_EXIT_OK;
}

static int test_events(struct idw_cli *cli, struct idw_detect *d, struct capture *cap, const char *path,
                       int json)
{
    struct feed f = {.in = !strcmp(path, "-") ? stdin : fopen(path, "rb")};
    json_t *alerts;
    const char *id;
    const json_t *a;

    if (!f.in) {
        log_error("rules test: %s: cannot open: %m", path);
        return IDW_EXIT_FAILURE;
    }
    alerts = run_events(cli, d, cap, &f);
    if (f.in != stdin)
        fclose(f.in);
    if (!alerts)
        return IDW_EXIT_FAILURE;
    if (!json)
        printf("%zu alert%s from %s\n", json_object_size(alerts), json_object_size(alerts) == 1 ? "" : "s",
               path);
    json_object_foreach(alerts, id, a)
        print_alert(a, json);
    json_decref(alerts);
    return f.refused ? IDW_EXIT_REJECTED : IDW_EXIT_OK;
}

static int cmd_test(struct idw_cli *cli, const char *what, const char *events, int json)
{
    struct capture cap = {0};
    const struct idw_alert_sink sink = {.fn = capture_alert, .ctx = &cap};
    struct idw_detect *d;
    int is_file, rc;

    if (idw_cli_load_config(cli) < 0 || open_for_test(cli, what, &d, &is_file) != IDW_OK)
        return IDW_EXIT_FAILURE;
    if (!any_enabled(d)) {
        log_error("rules test: no rule '%s' (neither a file nor a rule id or name in %s)", what,
                  cli->cfg.rules_dir);
        idw_detect_close(d);
        return IDW_EXIT_NOT_FOUND;
    }
    if (idw_alerts_add_sink(idw_detect_alerts(d), &sink) != IDW_OK) {
        idw_detect_close(d);
        return IDW_EXIT_FAILURE;
    }
    rc = events ? test_events(cli, d, &cap, events, json)
                : test_carried(cli, d, &cap, idw_detect_sigma(d), json);
    idw_detect_close(d);
    return rc;
}

/* ---- the command ------------------------------------------------------------------- */

int idw_cmd_rules(struct idw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {.name = "json", .has_arg = no_argument, .val = 'j'},
        {.name = "events", .has_arg = required_argument, .val = 'e'},
        {.name = "help", .has_arg = no_argument, .val = 'h'},
        {.name = NULL},
    };
    const char *sub, *events = NULL;
    int json = 0, c;

    if (argc < 2)
        return usage(stderr, IDW_EXIT_USAGE);
    sub = argv[1];
    optind = 0;         /* glibc: re-initialise getopt for the verb's own argv */
    for (c = getopt_long(argc - 1, argv + 1, "h", opts, NULL); c != -1;
         c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) {
        if (c == 'h')
            return usage(stdout, IDW_EXIT_OK);
        if (c == 'j')
            json = 1;
        else if (c == 'e')
            events = optarg;
        else
            return usage(stderr, IDW_EXIT_USAGE);
    }
    int nargs = argc - 1 - optind;
    char **args = argv + 1 + optind;
    if (!strcmp(sub, "list") && !nargs && !events)
        return cmd_list(cli, json);
    if (!strcmp(sub, "validate") && !events)
        return cmd_validate(cli, json, nargs, args);
    if (!strcmp(sub, "test") && nargs == 1)
        return cmd_test(cli, args[0], events, json);
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h"))
        return usage(stdout, IDW_EXIT_OK);
    return usage(stderr, IDW_EXIT_USAGE);
}
