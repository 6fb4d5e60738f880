/*
 * cmd_alerts.c — the analyst's view: `idwatch alerts list|show|ack|resolve|fp`
 * and `idwatch rules list`.  Alerts are the documents the alert module
 * stores (alert/alert.h, docs/alerts.md); listing filters them, show adds
 * the persona that explains them, and the review verbs hand the analyst's
 * verdict to the alert module (which records it, teaches the persona on
 * fp, and queues the new version for the webhooks through the outbox sink).
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alert/alert.h"
#include "cli/cli.h"
#include "common/log.h"
#include "deliver/webhook.h"
#include "engine/detect.h"
#include "store/evstore.h"

struct filter {
    int json;
    int64_t since_ms;
    enum idw_severity min_sev;
    const char *rule, *user, *status, *note, *by;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: idwatch alerts list [--json] [--since TIME] [--severity MIN] [--rule R]\n"
            "                           [--user U] [--status S]\n"
            "       idwatch alerts show ID [--json]\n"
            "       idwatch alerts ack|resolve|fp ID [--note TEXT] [--by ANALYST]\n"
            "\n"
            "  list      alerts newest first (--json: one alert per line)\n"
            "  show      one alert with the persona context that explains it\n"
            "  ack, resolve, fp   set the status (acknowledged, resolved, false_positive)\n"
            "            with the time, an optional note and who (--by, else the OS user);\n"
            "            open -> ack -> resolve; fp from any status but false_positive\n"
            "\n"
            "Exit codes: 0 ok, 1 failure, 2 usage, 4 no such alert.\n");
}

static int parse(int argc, char **argv, struct filter *f)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"since", required_argument, NULL, 's'},
        {"severity", required_argument, NULL, 'v'}, {"rule", required_argument, NULL, 'r'},
        {"user", required_argument, NULL, 'u'}, {"status", required_argument, NULL, 't'},
        {"note", required_argument, NULL, 'n'}, {"by", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    f->min_sev = IDW_SEV_LOW;
    for (;;) {
        c = getopt_long(argc, argv, "h", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'j':
            f->json = 1;
            break;
        case 's':
            if (idw_time_parse(optarg, &f->since_ms) < 0) {
                log_error("--since: expected an RFC 3339 time, e.g. 2026-11-01T00:00:00Z");
                return -1;
            }
            break;
        case 'v':
            if (idw_severity_parse(optarg, &f->min_sev) < 0) {
                log_error("--severity: low, medium, high or critical");
                return -1;
            }
            break;
        case 'r':
            f->rule = optarg;
            break;
        case 'u':
            f->user = optarg;
            break;
        case 't':
            f->status = optarg;
            break;
        case 'n':
            f->note = optarg;
            break;
        case 'b':
            f->by = optarg;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    return 0;
}

/* ---- list ------------------------------------------------------------------ */

struct collect {
    const struct filter *f;
    json_t *out;
};

static int keep(const struct filter *f, const json_t *a)
{
    const char *user = idw_alert_user(a), *rule = idw_alert_rule(a), *tuid = idw_alert_tuid(a);

    return idw_alert_severity(a) >= f->min_sev && idw_alert_last_seen_ms(a) >= f->since_ms &&
           (!f->rule || (rule && !strcmp(f->rule, rule))) &&
           (!f->status || !strcmp(f->status, idw_alert_status_name(idw_alert_status(a)))) &&
           (!f->user || (user && !strcasecmp(f->user, user)) || (tuid && !strcmp(f->user, tuid)));
}

static int collect_one(const json_t *a, void *vctx)
{
    struct collect *c = vctx;

    if (keep(c->f, a))
        json_array_append_new(c->out, json_deep_copy(a));
    return 0;
}

static int newest_first(const void *x, const void *y)
{
    json_int_t a = json_integer_value(json_object_get(*(json_t *const *)x, "last_seen_ms"));
    json_int_t b = json_integer_value(json_object_get(*(json_t *const *)y, "last_seen_ms"));
    return a < b ? 1 : a > b ? -1 : 0;
}

static json_t *load_alerts(struct idw_store *st, MDB_txn *txn, const struct filter *f)
{
    struct collect c = {f, json_array()};
    char err[256];
    json_t **v;
    size_t n, i;

    if (idw_alert_each(st, txn, collect_one, &c, err, sizeof err) != IDW_OK) {
        log_error("%s", err);
        json_decref(c.out);
        return NULL;
    }
    n = json_array_size(c.out);
    v = malloc((n ? n : 1) * sizeof *v);
    for (i = 0; v && i < n; i++)
        v[i] = json_incref(json_array_get(c.out, i));
    if (v)
        qsort(v, n, sizeof *v, newest_first);
    json_array_clear(c.out);
    for (i = 0; v && i < n; i++)
        json_array_append_new(c.out, v[i]);
    free(v);
    return c.out;
}

static void print_row(const json_t *a)
{
    printf("%-9s %3lld  %-18s %-36s %-24s %s\n",
           json_string_value(json_object_get(a, "severity")),
           (long long)json_integer_value(json_object_get(a, "score")),
           json_string_value(json_object_get(a, "rule")),
           json_string_value(json_object_get(a, "alert_id")),
           json_string_value(json_object_get(a, "last_seen")),
           json_string_value(json_object_get(a, "summary")));
}

static int cmd_list(struct idw_store *st, MDB_txn *txn, const struct filter *f)
{
    json_t *all = load_alerts(st, txn, f), *a;
    size_t i;

    if (!all)
        return IDW_EXIT_FAILURE;
    if (!f->json)
        printf("%-9s %3s  %-18s %-36s %-24s %s\n",
               "SEVERITY", "SCR", "RULE", "ALERT", "LAST SEEN", "SUMMARY");
    json_array_foreach(all, i, a) {
        if (f->json) {
            json_dumpf(a, stdout, JSON_COMPACT | JSON_SORT_KEYS);
            putchar('\n');
        } else {
            print_row(a);
        }
    }
    json_decref(all);
    return IDW_EXIT_OK;
}

/* ---- one alert -------------------------------------------------------------- */

/* The alert id names, of any org: IDW_OK with *out, IDW_NOTFOUND, IDW_ERR (printed). */
static enum idw_rc load_one(struct idw_store *st, MDB_txn *txn, const char *id, json_t **out)
{
    char err[256];
    enum idw_rc rc = idw_alert_find(st, txn, id, out, err, sizeof err);

    if (rc == IDW_ERR)
        log_error("cannot read alert %s: %s", id, err);
    else if (rc == IDW_NOTFOUND)
        log_error("no alert %s", id);
    return rc;
}

static int cmd_show(struct idw_cli *cli, struct idw_store *st, MDB_txn *txn, const char *id,
                    const struct filter *f)
{
    char err[256];
    json_t *a = NULL;
    enum idw_rc rc = load_one(st, txn, id, &a);
    const char *tuid, *domain;
    struct idw_persona *p;
    struct idw_persona_params prm;
    json_t *events = NULL;

    if (rc != IDW_OK)
        return rc == IDW_NOTFOUND ? IDW_EXIT_NOT_FOUND : IDW_EXIT_FAILURE;
    p = malloc(sizeof *p);
    if (!p) {
        json_decref(a);
        log_error("out of memory");
        return IDW_EXIT_FAILURE;
    }
    idw_persona_params_init(&prm, cli->cfg.half_life_days, cli->cfg.learning_days,
                            cli->cfg.learning_signins, cli->cfg.relearn_after_days);
    tuid = idw_alert_tuid(a);
    domain = idw_alert_domain(a);
    if (tuid && domain && idw_store_persona_get(st, txn, domain, tuid, p, err, sizeof err) == 0)
        json_object_set_new(a, "persona", idw_persona_to_json(p, &prm));
    free(p);
    if (domain && idw_evstore_events_json(st, txn, domain, json_object_get(a, "event_ids"),
                                          idw_evstore_okta_base(&cli->cfg, domain), &events,
                                          err, sizeof err) < 0)
        log_warn("cannot read the alert's kept events: %s", err);     /* the alert shows all the same */
    else if (events)
        json_object_set_new(a, "events", events);
    if (f->json) {
        json_dumpf(a, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        putchar('\n');
    } else {
        print_row(a);
        printf("  evidence: %s\n  user: %s  ip: %s  first %s  events %lld  status %s%s\n",
               json_string_value(json_object_get(a, "evidence")),
               json_string_value(json_object_get(a, "user")) ?: "-",
               json_string_value(json_object_get(a, "ip")) ?: "-",
               json_string_value(json_object_get(a, "first_seen")),
               (long long)json_integer_value(json_object_get(a, "event_count")),
               json_string_value(json_object_get(a, "status")),
               json_is_true(json_object_get(a, "historical")) ? " (historical)" : "");
        if (json_object_get(a, "persona"))
            printf("  persona: run `idwatch persona show %s` for the full routine\n", tuid);
        printf("  kept events behind it (%zu of %lld, oldest first):\n",
               json_array_size(json_object_get(a, "events")),
               (long long)json_array_size(json_object_get(a, "event_ids")));
        idw_cli_print_events(json_object_get(a, "events"));
    }
    json_decref(a);
    return IDW_EXIT_OK;
}

/* The analyst: --by, else the OS user the command runs as. */
static const char *analyst(const struct filter *f, char *buf, size_t len)
{
    const struct passwd *pw;

    if (f->by && *f->by)
        return f->by;
    pw = getpwuid(geteuid());
    if (pw && pw->pw_name && *pw->pw_name)
        return pw->pw_name;
    snprintf(buf, len, "uid:%lu", (unsigned long)geteuid());
    return buf;
}

/* The alert module as a review needs it: the outbox sink for the configured webhooks. */
static struct idw_alerts *review_alerts(const struct idw_cli *cli)
{
    struct idw_outbox_target *t = NULL;
    struct idw_alert_sink sink;
    struct idw_alerts *al;
    char err[256];
    size_t n = 0;

    if (idw_webhook_targets(cli->cfg.root, &t, &n, err, sizeof err) < 0) {
        log_error("%s", err);
        return NULL;
    }
    al = idw_alerts_new();
    if (!al || idw_outbox_sink(t, n, &sink) != IDW_OK || idw_alerts_add_sink(al, &sink) != IDW_OK) {
        log_error("out of memory");
        idw_alerts_free(al);
        al = NULL;
    }
    free(t);
    return al;
}

/* Records the review; commits (and so consumes) txn when it changed the alert. */
static int cmd_review(const struct idw_cli *cli, struct idw_store *st, MDB_txn *txn,
                      const char *verb, const char *id, const struct filter *f, int *consumed)
{
    static const struct {
        const char *verb;
        enum idw_alert_status to;
    } map[] = {
        {"ack", IDW_ALERT_ACKNOWLEDGED}, {"resolve", IDW_ALERT_RESOLVED}, {"fp", IDW_ALERT_FALSE_POSITIVE},
    };
    struct idw_persona_params prm;
    struct idw_alert_review r = {.note = f->note, .at_ms = idw_now_ms(), .prm = &prm};
    struct idw_alerts *al = review_alerts(cli);
    char err[256], who[32];
    enum idw_rc rc;

    if (!al)
        return IDW_EXIT_FAILURE;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(verb, map[i].verb))
            r.to = map[i].to;
    r.by = analyst(f, who, sizeof who);
    idw_persona_params_init(&prm, cli->cfg.half_life_days, cli->cfg.learning_days,
                            cli->cfg.learning_signins, cli->cfg.relearn_after_days);
    rc = idw_alert_review(al, st, txn, id, &r, NULL, err, sizeof err);
    idw_alerts_free(al);
    if (rc == IDW_NOTFOUND) {
        log_error("no alert %s", id);
        return IDW_EXIT_NOT_FOUND;
    }
    if (rc != IDW_OK) {
        log_error("%s", err);
        return IDW_EXIT_FAILURE;
    }
    *consumed = 1;
    if (idw_store_commit(txn, err, sizeof err) < 0) {
        log_error("cannot update alert: %s", err);
        return IDW_EXIT_FAILURE;
    }
    printf("%s: %s\n", id, idw_alert_status_name(r.to));
    return IDW_EXIT_OK;
}

int idw_cmd_alerts(struct idw_cli *cli, int argc, char **argv)
{
    struct filter f = {0};
    struct idw_store *st;
    MDB_txn *txn;
    char err[256];
    const char *sub;
    int rc, rdonly;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? IDW_EXIT_USAGE : IDW_EXIT_OK;
    }
    sub = argv[1];
    rc = parse(argc - 1, argv + 1, &f);
    if (rc)
        return rc > 0 ? IDW_EXIT_OK : IDW_EXIT_USAGE;
    int nargs = argc - 1 - optind;
    int is_list = !strcmp(sub, "list"), is_show = !strcmp(sub, "show");
    int is_review = !strcmp(sub, "ack") || !strcmp(sub, "resolve") || !strcmp(sub, "fp");
    if (!(is_list || is_show || is_review) || nargs != (is_list ? 0 : 1)) {
        usage(stderr);
        return IDW_EXIT_USAGE;
    }
    rdonly = !is_review;
    if (idw_cli_load_config(cli) < 0)
        return IDW_EXIT_FAILURE;
    st = idw_cli_open_store(cli, rdonly);
    if (!st)
        return IDW_EXIT_FAILURE;
    if (idw_store_begin(st, rdonly, &txn, err, sizeof err) < 0) {
        log_error("%s", err);
        idw_store_close(st);
        return IDW_EXIT_FAILURE;
    }
    const char *id = nargs ? argv[optind + 1] : NULL;
    int consumed = 0;
    if (is_list)
        rc = cmd_list(st, txn, &f);
    else if (is_show)
        rc = cmd_show(cli, st, txn, id, &f);
    else
        rc = cmd_review(cli, st, txn, sub, id, &f, &consumed);
    if (!consumed)
        mdb_txn_abort(txn);
    idw_store_close(st);
    return rc;
}
