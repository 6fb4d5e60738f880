/*
 * cmd_alerts.c — the analyst's view: `idwatch alerts list|show|ack|resolve|fp`
 * and `idwatch rules list`.  Alerts are the documents the alert module
 * stores (alert/alert.h, docs/alerts.md); listing filters them, show adds
 * the persona that explains them, and the review verbs hand the analyst's
 * verdict to the alert module (which records it, teaches the persona on
 * fp, and queues the new version for the webhooks through the outbox sink).
 */
#include <arpa/inet.h>
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
    int64_t since_ms, until_ms;
    enum idw_severity min_sev;
    const char *rule, *user, *status, *note, *by, *ip;
    const char *actor;              /* --actor: the admin who acted (actor login or actor_tuid) */
    unsigned char ip_bin[16];       /* --ip as inet_pton read it (ip_af) */
    int ip_af;
};

/* What `--status` accepts: the statuses a stored alert can have. */
static const char *const statuses[] = {"open", "acknowledged", "resolved", "false_positive", NULL};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: idwatch alerts list [--json] [--since TIME] [--until TIME] [--severity MIN]\n"
            "                           [--rule R] [--user U] [--actor U] [--ip ADDR] [--status S]\n"
            "       idwatch alerts show ID [--json]\n"
            "       idwatch alerts ack|resolve|fp ID [--note TEXT] [--by ANALYST]\n"
            "\n"
            "  list      alerts newest first (--json: one alert per line); --user matches\n"
            "            the person an alert is about, --actor the admin who acted\n"
            "            TIME: 30m, 24h, 7d, 2w (back from now) or RFC 3339; an alert is\n"
            "            listed when its activity (first to last seen) overlaps since..until\n"
            "            --status open|acknowledged|resolved|false_positive;\n"
            "            --rule: a C rule id, a Sigma rule id or name, or connector_starved\n"
            "  show      one alert with the persona context that explains it\n"
            "  ack, resolve, fp   set the status (acknowledged, resolved, false_positive)\n"
            "            with the time, an optional note and who (--by, else the login user);\n"
            "            open -> ack -> resolve; fp from any status but false_positive\n"
            "\n"
            "ID: the alert id or a unique prefix of it (at least 4 characters).\n"
            "Exit codes: 0 ok, 1 failure, 2 usage (also an unknown --status or --rule, an\n"
            "ambiguous ID prefix), 4 no such alert.\n");
}

/* --ip: an IPv4 or IPv6 address, kept in binary so that any spelling of it matches. */
static int parse_ip(const char *s, struct filter *f)
{
    f->ip = s;
    f->ip_af = strchr(s, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(f->ip_af, s, f->ip_bin) != 1) {
        log_error("--ip '%s': expected an IPv4 or IPv6 address", s);
        return -1;
    }
    return 0;
}

/* --status: one of the statuses, else an error listing them (an unknown one would list nothing). */
static int check_status(const char *s)
{
    for (const char *const *v = statuses; *v; v++)
        if (!strcmp(s, *v))
            return 0;
    log_error("--status '%s': unknown status; valid: open, acknowledged, resolved, false_positive", s);
    return -1;
}

static int parse(int argc, char **argv, struct filter *f)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'}, {"since", required_argument, NULL, 's'},
        {"severity", required_argument, NULL, 'v'}, {"rule", required_argument, NULL, 'r'},
        {"user", required_argument, NULL, 'u'}, {"status", required_argument, NULL, 't'},
        {"note", required_argument, NULL, 'n'}, {"by", required_argument, NULL, 'b'},
        {"until", required_argument, NULL, 'U'}, {"ip", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'}, {"actor", required_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    int64_t now = idw_now_ms();
    int c;

    f->min_sev = IDW_SEV_LOW;
    f->until_ms = INT64_MAX;
    for (;;) {
        c = getopt_long(argc, argv, "h", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'j':
            f->json = 1;
            break;
        case 's':
        case 'U':
            if (idw_parse_time_arg(optarg, now, c == 's' ? &f->since_ms : &f->until_ms) != IDW_OK) {
                log_error("--%s '%s': expected a duration back from now (30m, 24h, 7d, 2w) or an "
                          "RFC 3339 time (2026-11-01T00:00:00Z)", c == 's' ? "since" : "until", optarg);
                return -1;
            }
            break;
        case 'i':
            if (parse_ip(optarg, f) < 0)
                return -1;
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
            if (check_status(optarg) < 0)
                return -1;
            f->status = optarg;
            break;
        case 'n':
            f->note = optarg;
            break;
        case 'b':
            f->by = optarg;
            break;
        case 'a':
            f->actor = optarg;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (f->since_ms > f->until_ms) {
        log_error("--since is after --until: no alert could match");
        return -1;
    }
    return 0;
}

/* ---- list ------------------------------------------------------------------ */

struct collect {
    const struct filter *f;
    json_t *out;
    json_t *rules;          /* the rule of every stored alert: id -> id */
};

/* --actor: the admin's login (any case) or tuid; alerts with no other actor never match. */
static int actor_matches(const char *want, const json_t *a)
{
    const char *login = idw_alert_actor(a), *tuid = idw_alert_actor_tuid(a);

    return !want || (login && !strcasecmp(want, login)) || (tuid && !strcmp(want, tuid));
}

/* The alert's source IP is --ip's address, however either is spelt. */
static int same_ip(const struct filter *f, const json_t *a)
{
    const char *ip = json_string_value(json_object_get(a, "ip"));
    unsigned char bin[16];

    return ip && inet_pton(f->ip_af, ip, bin) == 1 &&
           !memcmp(bin, f->ip_bin, f->ip_af == AF_INET ? 4 : 16);
}

static int keep(const struct filter *f, const json_t *a)
{
    const char *user = idw_alert_user(a), *tuid = idw_alert_tuid(a);
    int64_t first = json_integer_value(json_object_get(a, "first_seen_ms"));

    return idw_alert_severity(a) >= f->min_sev && idw_alert_last_seen_ms(a) >= f->since_ms &&
           first <= f->until_ms && (!f->ip || same_ip(f, a)) &&
           (!f->status || !strcmp(f->status, idw_alert_status_name(idw_alert_status(a)))) &&
           (!f->user || (user && !strcasecmp(f->user, user)) || (tuid && !strcmp(f->user, tuid))) &&
           actor_matches(f->actor, a);
}

static int collect_one(const json_t *a, void *vctx)
{
    struct collect *c = vctx;
    const char *rule = idw_alert_rule(a);

    if (rule)
        json_object_set_new(c->rules, rule, json_string(rule));
    if (keep(c->f, a))
        json_array_append_new(c->out, json_deep_copy(a));
    return 0;
}

/* Newest last_seen first; the alert id breaks ties, so every reader lists the same order. */
static int newest_first(const void *x, const void *y)
{
    const json_t *ja = *(json_t *const *)x, *jb = *(json_t *const *)y;
    json_int_t a = json_integer_value(json_object_get(ja, "last_seen_ms"));
    json_int_t b = json_integer_value(json_object_get(jb, "last_seen_ms"));
    const char *ia = idw_alert_id(ja), *ib = idw_alert_id(jb);

    if (a != b)
        return a < b ? 1 : -1;
    return strcmp(ia ? ia : "", ib ? ib : "");
}

enum idw_rc idw_cli_sort_alerts(json_t *alerts)
{
    size_t n = json_array_size(alerts), i;
    json_t **v = malloc((n ? n : 1) * sizeof *v);

    if (!v)
        return IDW_ERR;
    for (i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(alerts, i));
    qsort(v, n, sizeof *v, newest_first);
    json_array_clear(alerts);
    for (i = 0; i < n; i++)
        json_array_append_new(alerts, v[i]);
    free(v);
    return IDW_OK;
}

/*
 * Sorted newest first, the alerts the filter keeps (all but --rule, which
 * needs *rules to be understood); *rules: every stored alert's rule id.
 */
static json_t *load_alerts(struct idw_store *st, MDB_txn *txn, const struct filter *f, json_t **rules)
{
    struct collect c = {.f = f, .out = json_array(), .rules = json_object()};
    char err[256];

    *rules = c.rules;
    if (idw_alert_each(st, txn, collect_one, &c, err, sizeof err) != IDW_OK) {
        log_error("%s", err);
        json_decref(c.out);
        return NULL;
    }
    if (idw_cli_sort_alerts(c.out) != IDW_OK) {
        log_error("alerts list: out of memory");
        json_decref(c.out);
        return NULL;
    }
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

void idw_cli_print_alerts(const json_t *alerts, int json)
{
    const json_t *a;
    size_t i;

    if (!json)
        printf("%-9s %3s  %-18s %-36s %-24s %s\n",
               "SEVERITY", "SCR", "RULE", "ALERT", "LAST SEEN", "SUMMARY");
    json_array_foreach(alerts, i, a) {
        if (json) {
            json_dumpf(a, stdout, JSON_COMPACT | JSON_SORT_KEYS);
            putchar('\n');
        } else {
            print_row(a);
        }
    }
}

static int by_name(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/*
 * "--rule 'x': unknown rule; valid: a, b, ..." with known's keys sorted,
 * over as many lines as the log's line length needs (63 rules with the
 * shipped catalogue's Sigma ids do not fit one).
 */
static void say_unknown_rule(const char *rule, const json_t *known)
{
    size_t n = json_object_size(known), i = 0, len;
    const char **ids = malloc((n ? n : 1) * sizeof *ids), *id;
    char list[1500] = "";
    json_t *v;

    json_object_foreach((json_t *)known, id, v)
        if (ids)
            ids[i++] = id;
    if (!ids) {
        log_error("--rule '%s': unknown rule (see idwatch rules list)", rule);
        return;
    }
    qsort(ids, n, sizeof *ids, by_name);
    log_error("--rule '%s': unknown rule; valid: the %zu below", rule, n);
    for (i = 0; i < n; i++) {
        len = strlen(list);
        if (len + strlen(ids[i]) + 3 >= sizeof list) {
            log_error("--rule valid: %s", list);
            list[0] = '\0';
            len = 0;
        }
        snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", ids[i]);
    }
    log_error("--rule valid: %s", list);
    free(ids);
}

/* Adds the loaded rules to known: a C rule's id, a Sigma rule's id and name (-> its id). */
static void add_loaded(json_t *known, const json_t *all, json_t *shown)
{
    const char *id, *name;
    json_t *r;
    size_t i;

    json_array_foreach(all, i, r) {
        id = json_string_value(json_object_get(r, "id"));
        name = json_string_value(json_object_get(r, "name"));
        if (!id)
            continue;
        json_object_set_new(known, id, json_string(id));
        if (name && *name)
            json_object_set_new(known, name, json_string(id));
        json_object_set_new(shown, name && *name ? name : id, json_true());
    }
}

/*
 * The rule id --rule stands for: a C rule's id, a Sigma rule's id or name
 * (from rules_dir), connector_starved, or the rule of a stored alert (a
 * rule since removed still has its alerts).  known: the stored alerts'
 * rules (id -> id); the loaded rules are added.  IDW_EXIT_OK with *id
 * (valid while known lives), IDW_EXIT_USAGE with an error listing the
 * valid ones (an unknown one would list nothing, silently), or
 * IDW_EXIT_FAILURE when the rules do not load.
 */
static int check_rule(const struct idw_cli *cli, const char *rule, json_t *known, const char **id)
{
    struct idw_detect *d;
    json_t *all, *shown, *v;
    const char *k;

    json_object_set_new(known, "connector_starved", json_string("connector_starved"));
    *id = json_string_value(json_object_get(known, rule));
    if (*id && strcmp(*id, rule) == 0)
        return IDW_EXIT_OK;     /* an id some alert carries: no need to load the rules */
    if (idw_cli_open_rules(cli, &d) != IDW_OK)
        return IDW_EXIT_FAILURE;
    all = idw_detect_describe(d);
    idw_detect_close(d);
    shown = json_object();
    json_object_foreach(known, k, v)
        json_object_set_new(shown, k, json_true());
    add_loaded(known, all, shown);
    json_decref(all);
    *id = json_string_value(json_object_get(known, rule));
    if (!*id)
        say_unknown_rule(rule, shown);
    json_decref(shown);
    return *id ? IDW_EXIT_OK : IDW_EXIT_USAGE;
}

static int cmd_list(const struct idw_cli *cli, struct idw_store *st, MDB_txn *txn, const struct filter *f)
{
    json_t *rules, *all = load_alerts(st, txn, f, &rules);
    const char *rule = NULL, *r;
    size_t i;
    int rc = all ? IDW_EXIT_OK : IDW_EXIT_FAILURE;

    if (rc == IDW_EXIT_OK && f->rule)
        rc = check_rule(cli, f->rule, rules, &rule);
    if (rc != IDW_EXIT_OK) {
        json_decref(rules);
        json_decref(all);
        return rc;
    }
    for (i = json_array_size(all); rule && i-- > 0;) {
        r = idw_alert_rule(json_array_get(all, i));
        if (!r || strcmp(r, rule) != 0)
            json_array_remove(all, i);
    }
    idw_cli_print_alerts(all, f->json);
    json_decref(rules);         /* rule points into it */
    json_decref(all);
    return IDW_EXIT_OK;
}

/* ---- one alert -------------------------------------------------------------- */

/* "a, b, c" of the candidates' ids into buf. */
static void join_ids(const json_t *ids, char *buf, size_t len)
{
    size_t i, at;
    json_t *v;

    buf[0] = '\0';
    json_array_foreach(ids, i, v) {
        at = strlen(buf);
        snprintf(buf + at, len - at, "%s%s", i ? ", " : "", json_string_value(v));
    }
}

int idw_cli_find_alert(struct idw_store *st, MDB_txn *txn, const char *typed, json_t **out)
{
    char err[256], list[IDW_ALERT_PREFIX_LIST * 40];
    json_t *cands = NULL;
    enum idw_rc rc;

    *out = NULL;
    if (idw_alert_check_prefix(typed, err, sizeof err) != IDW_OK) {
        /* too short is a usage error (several alerts may start so); not hex names no alert */
        log_error("%s%s", strlen(typed) < IDW_ALERT_PREFIX_MIN ? "" : "no alert: ", err);
        return strlen(typed) < IDW_ALERT_PREFIX_MIN ? IDW_EXIT_USAGE : IDW_EXIT_NOT_FOUND;
    }
    rc = idw_alert_find_prefix(st, txn, typed, out, &cands, err, sizeof err);
    if (rc == IDW_EXISTS) {
        join_ids(cands, list, sizeof list);
        log_error("alert id '%s' is ambiguous: %zu%s alerts start with it: %s; type more of it", typed,
                  json_array_size(cands), json_array_size(cands) == IDW_ALERT_PREFIX_LIST ? "+" : "",
                  list);
        json_decref(cands);
        return IDW_EXIT_USAGE;
    }
    if (rc == IDW_NOTFOUND)
        log_error("no alert %s", typed);
    else if (rc != IDW_OK)
        log_error("cannot read alert %s: %s", typed, err);
    return rc == IDW_OK ? IDW_EXIT_OK : rc == IDW_NOTFOUND ? IDW_EXIT_NOT_FOUND : IDW_EXIT_FAILURE;
}

/* a: the alert (consumed). */
static int cmd_show(struct idw_cli *cli, struct idw_store *st, MDB_txn *txn, json_t *a,
                    const struct filter *f)
{
    char err[256];
    const char *tuid, *domain;
    struct idw_persona *p;
    struct idw_persona_params prm;
    json_t *events = NULL;

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

/*
 * The analyst: --by, else the login user the command runs as (its passwd
 * entry, else $USER where the host has none, as in a container), else
 * "uid:N": a review always records someone.
 */
static const char *analyst(const struct filter *f, char *buf, size_t len)
{
    const struct passwd *pw;
    const char *env = getenv("USER");

    if (f->by && *f->by)
        return f->by;
    pw = getpwuid(geteuid());
    if (pw && pw->pw_name && *pw->pw_name)
        return pw->pw_name;
    if (env && *env)
        return env;
    snprintf(buf, len, "uid:%lu", (unsigned long)geteuid());
    return buf;
}

/* The alert module as a review needs it: the outbox sink for the configured webhooks. */
static struct idw_alerts *review_alerts(const struct idw_cli *cli)
{
    struct idw_outbox_target *t = NULL;
    struct idw_alerts *al;
    char err[256];
    size_t n = 0;

    if (idw_webhook_targets(cli->cfg.root, &t, &n, err, sizeof err) < 0) {
        log_error("%s", err);
        return NULL;
    }
    al = idw_alerts_new();
    if (!al)
        log_error("out of memory");
    if (al && idw_cli_outbox_alerts(cli->cfg.root, t, n, al) != IDW_OK) {
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
    json_t *a = NULL;
    int consumed = 0;
    rc = nargs ? idw_cli_find_alert(st, txn, argv[optind + 1], &a) : IDW_EXIT_OK;
    if (rc == IDW_EXIT_OK && is_list)
        rc = cmd_list(cli, st, txn, &f);
    else if (rc == IDW_EXIT_OK && is_show)
        rc = cmd_show(cli, st, txn, json_incref(a), &f);
    else if (rc == IDW_EXIT_OK)
        rc = cmd_review(cli, st, txn, sub, idw_alert_id(a), &f, &consumed);
    json_decref(a);
    if (!consumed)
        mdb_txn_abort(txn);
    idw_store_close(st);
    return rc;
}
