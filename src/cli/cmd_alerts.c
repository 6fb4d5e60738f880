/*
 * cmd_alerts.c — the analyst's view: `idwatch alerts list|show|ack|resolve|fp`
 * and `idwatch rules list`.  Alerts are the JSON documents the detection
 * engine stores (docs/alerts.md); listing filters them, show adds the
 * persona that explains them, and the review verbs record status changes
 * with time and note.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "deliver/webhook.h"
#include "engine/detect.h"

struct filter {
    int json;
    int64_t since_ms;
    enum idw_severity min_sev;
    const char *rule, *user, *status, *note;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: idwatch alerts list [--json] [--since TIME] [--severity MIN] [--rule R]\n"
            "                           [--user U] [--status S]\n"
            "       idwatch alerts show ID [--json]\n"
            "       idwatch alerts ack|resolve|fp ID [--note TEXT]\n"
            "\n"
            "  list      alerts newest first (--json: one alert per line)\n"
            "  show      one alert with the persona context that explains it\n"
            "  ack, resolve, fp   set the status (acknowledged, resolved, false_positive)\n"
            "            with the time and an optional note\n"
            "\n"
            "Exit codes: 0 ok, 1 failure, 2 usage, 4 no such alert.\n");
}

static int parse(int argc, char **argv, struct filter *f)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"since", required_argument, NULL, 's'},
        {"severity", required_argument, NULL, 'v'}, {"rule", required_argument, NULL, 'r'},
        {"user", required_argument, NULL, 'u'}, {"status", required_argument, NULL, 't'},
        {"note", required_argument, NULL, 'n'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    f->min_sev = IDW_SEV_LOW;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'j': f->json = 1; break;
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
        case 'r': f->rule = optarg; break;
        case 'u': f->user = optarg; break;
        case 't': f->status = optarg; break;
        case 'n': f->note = optarg; break;
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return -1;
        }
    }
    return 0;
}

/* ---- list ------------------------------------------------------------------ */

struct collect { const struct filter *f; json_t *out; };

static int keep(const struct filter *f, const json_t *a)
{
    enum idw_severity s = IDW_SEV_LOW;
    const char *user = json_string_value(json_object_get(a, "user"));

    idw_severity_parse(json_string_value(json_object_get(a, "severity")), &s);
    return s >= f->min_sev &&
           json_integer_value(json_object_get(a, "last_seen_ms")) >= f->since_ms &&
           (!f->rule || !strcmp(f->rule, json_string_value(json_object_get(a, "rule")))) &&
           (!f->status || !strcmp(f->status, json_string_value(json_object_get(a, "status")))) &&
           (!f->user || (user && !strcasecmp(f->user, user)) ||
            !strcmp(f->user, json_string_value(json_object_get(a, "tuid")) ?: ""));
}

static int collect_one(const char *key, size_t keylen, const char *val, size_t vallen, void *vctx)
{
    struct collect *c = vctx;
    json_t *a = json_loadb(val, vallen, 0, NULL);
    (void)key;
    (void)keylen;
    if (a && keep(c->f, a))
        json_array_append(c->out, a);
    json_decref(a);
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

    if (idw_store_kv_each(st, txn, st->alerts, NULL, collect_one, &c, err, sizeof err) < 0) {
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
        printf("%-9s %3s  %-18s %-36s %-24s %s\n", "SEVERITY", "SCR", "RULE", "ALERT", "LAST SEEN", "SUMMARY");
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

static json_t *load_one(struct idw_store *st, MDB_txn *txn, const char *id, char *domain, size_t dlen)
{
    struct filter f = {0};
    json_t *all = load_alerts(st, txn, &f), *a, *found = NULL;
    size_t i;

    json_array_foreach(all, i, a) {
        if (!strcmp(id, json_string_value(json_object_get(a, "alert_id")))) {
            found = json_incref(a);
            idw_strlcpy(domain, json_string_value(json_object_get(a, "domain_id")), dlen);
            break;
        }
    }
    json_decref(all);
    return found;
}

static int cmd_show(struct idw_cli *cli, struct idw_store *st, MDB_txn *txn, const char *id,
                    const struct filter *f)
{
    char domain[IDW_DOMAIN_MAX], err[256];
    json_t *a = load_one(st, txn, id, domain, sizeof domain);
    const char *tuid;
    struct idw_persona *p = malloc(sizeof *p);
    struct idw_persona_params prm;

    if (!a || !p) {
        free(p);
        json_decref(a);
        log_error("no alert %s", id);
        return IDW_EXIT_NOT_FOUND;
    }
    idw_persona_params_init(&prm, cli->cfg.half_life_days, cli->cfg.learning_days,
                            cli->cfg.learning_signins, cli->cfg.relearn_after_days);
    tuid = json_string_value(json_object_get(a, "tuid"));
    if (tuid && idw_store_persona_get(st, txn, domain, tuid, p, err, sizeof err) == 0)
        json_object_set_new(a, "persona", idw_persona_to_json(p, &prm));
    free(p);
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
    }
    json_decref(a);
    return IDW_EXIT_OK;
}

/*
 * `fp`: the analyst says the alerting context was the user after all, so
 * the persona now trusts it — the ASN, /24, country, device and app the
 * alert's first event came from — and the same context stops alerting.
 * Values already known just lose their provisional mark.  The persona
 * generation moves so a running pipeline reloads the persona.
 */
static int teach_persona(const struct idw_cli *cli, struct idw_store *st, MDB_txn *txn,
                         const char *domain, const json_t *a, char *err, size_t errlen)
{
    static const struct { const char *field; enum idw_dim dim; } learn[] = {
        {"asn", IDW_DIM_ASNS}, {"ip_prefix", IDW_DIM_PREFIXES}, {"country", IDW_DIM_COUNTRIES},
        {"device", IDW_DIM_DEVICES}, {"app", IDW_DIM_APPS},
    };
    const char *tuid = json_string_value(json_object_get(a, "tuid"));
    const json_t *ctx = json_object_get(a, "context");
    int64_t t = json_integer_value(json_object_get(a, "last_seen_ms"));
    struct idw_persona_params prm;
    struct idw_persona *p;
    int rc = 0;

    if (!tuid || !json_is_object(ctx))
        return 0;           /* keyed by a source: no persona to teach */
    if (!(p = malloc(sizeof *p))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    idw_persona_params_init(&prm, cli->cfg.half_life_days, cli->cfg.learning_days,
                            cli->cfg.learning_signins, cli->cfg.relearn_after_days);
    if (idw_store_persona_get(st, txn, domain, tuid, p, err, errlen) != 0) {
        free(p);
        return 0;           /* no persona (anymore): nothing to teach */
    }
    for (size_t i = 0; i < sizeof learn / sizeof learn[0]; i++) {
        const char *v = json_string_value(json_object_get(ctx, learn[i].field));
        if (v && !idw_persona_trust(p, learn[i].dim, v) && !idw_persona_find(p, learn[i].dim, v))
            idw_persona_observe(p, learn[i].dim, v, NULL, t, 0, 0, &prm);
    }
    if (idw_store_persona_put(st, txn, domain, p, err, errlen) < 0 ||
        idw_store_persona_bump(st, txn, domain, err, errlen) < 0)
        rc = -1;
    free(p);
    return rc;
}

/*
 * A review is a new version of the alert: the SOAR hears that it was
 * acknowledged, resolved or called a false positive, through the outbox,
 * in the same transaction.
 */
static int queue_review(const struct idw_cli *cli, struct idw_store *st, MDB_txn *txn,
                        const char *domain, json_t *a, char *err, size_t errlen)
{
    struct idw_outbox_target *t;
    size_t n;
    int rc;

    json_object_set_new(a, "version", json_integer(json_integer_value(json_object_get(a, "version")) + 1));
    if (idw_webhook_targets(cli->cfg.root, &t, &n, err, errlen) < 0)
        return -1;
    rc = n ? idw_outbox_enqueue(st, txn, domain, a, t, n, err, errlen) : 0;
    free(t);
    return rc < 0 ? -1 : 0;
}

/* Records the review; commits (and so consumes) txn when it changed the alert. */
static int cmd_review(const struct idw_cli *cli, struct idw_store *st, MDB_txn *txn,
                      const char *verb, const char *id,
                      const struct filter *f, int *consumed)
{
    static const struct { const char *verb, *status; } map[] = {
        {"ack", "acknowledged"}, {"resolve", "resolved"}, {"fp", "false_positive"},
    };
    char domain[IDW_DOMAIN_MAX], err[256], now[IDW_TIME_STRLEN];
    const char *status = NULL;
    json_t *a;
    char *text;

    for (size_t i = 0; i < 3; i++)
        if (!strcmp(verb, map[i].verb))
            status = map[i].status;
    if (!(a = load_one(st, txn, id, domain, sizeof domain))) {
        log_error("no alert %s", id);
        return IDW_EXIT_NOT_FOUND;
    }
    idw_time_format(idw_now_ms(), now);
    json_object_set_new(a, "status", json_string(status));
    if (!json_is_array(json_object_get(a, "history")))
        json_object_set_new(a, "history", json_array());
    json_array_append_new(json_object_get(a, "history"),
                          json_pack("{s:s, s:s, s:s?}", "time", now, "status", status, "note", f->note));
    if (!strcmp(verb, "fp") && teach_persona(cli, st, txn, domain, a, err, sizeof err) < 0) {
        json_decref(a);
        log_error("cannot teach the persona: %s", err);
        return IDW_EXIT_FAILURE;
    }
    if (queue_review(cli, st, txn, domain, a, err, sizeof err) < 0) {
        json_decref(a);
        log_error("cannot queue the review for the webhooks: %s", err);
        return IDW_EXIT_FAILURE;
    }
    text = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(a);
    if (!text || idw_store_kv_put(st, txn, st->alerts, domain, id, NULL, text, strlen(text),
                                  err, sizeof err) < 0) {
        free(text);
        log_error("cannot update alert: %s", err);
        return IDW_EXIT_FAILURE;
    }
    free(text);
    *consumed = 1;
    if (idw_store_commit(txn, err, sizeof err) < 0) {
        log_error("cannot update alert: %s", err);
        return IDW_EXIT_FAILURE;
    }
    printf("%s: %s\n", id, status);
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
    if (idw_cli_load_config(cli) < 0 || !(st = idw_cli_open_store(cli, rdonly)))
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

int idw_cmd_rules(struct idw_cli *cli, int argc, char **argv)
{
    struct idw_detect *d;
    int json = argc > 2 && !strcmp(argv[2], "--json");
    json_t *all, *r;
    size_t i;

    if (argc < 2 || strcmp(argv[1], "list")) {
        fprintf(argc > 1 && !strcmp(argv[1], "--help") ? stdout : stderr,
                "usage: idwatch rules list [--json]\n\nEach rule: id, enabled, description, "
                "configuration (from rules_dir/<id>.json).\n");
        return argc > 1 && !strcmp(argv[1], "--help") ? IDW_EXIT_OK : IDW_EXIT_USAGE;
    }
    if (idw_cli_load_config(cli) < 0 || idw_cli_open_detect(cli, &d) < 0)
        return IDW_EXIT_FAILURE;
    all = idw_detect_describe(d);
    json_array_foreach(all, i, r) {
        if (json) {
            json_dumpf(r, stdout, JSON_COMPACT | JSON_SORT_KEYS);
            putchar('\n');
            continue;
        }
        char *cfg = json_dumps(json_object_get(r, "config"), JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
        printf("%-20s %-8s %s\n%20s config: %s\n", json_string_value(json_object_get(r, "id")),
               json_is_true(json_object_get(r, "enabled")) ? "enabled" : "disabled",
               json_string_value(json_object_get(r, "description")), "",
               cfg && strcmp(cfg, "null") ? cfg : "(defaults)");
        free(cfg);
    }
    json_decref(all);
    idw_detect_close(d);
    return IDW_EXIT_OK;
}
