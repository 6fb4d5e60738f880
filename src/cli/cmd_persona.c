/*
 * cmd_persona.c — `idwatch persona list` and `idwatch persona show USER`:
 * the detection engineer's window into what idwatch has learned.
 *
 * Human output is a readable summary; --json prints the documented forms
 * (docs/persona.md): `list` one JSON object per line, `show` the full
 * persona object.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"

#define TOP_SHOWN 5

struct persona_args {
    const char *domain;
    int json;
    int all;
    int events;                 /* --events: the person's kept events too */
    int64_t since_ms, until_ms;
    size_t limit;
};

static void persona_usage(FILE *out)
{
    fprintf(out,
            "usage: idwatch persona list [--domain ID] [--json]\n"
            "       idwatch persona show USER [--domain ID] [--json]\n"
            "                    [--events [--since TIME] [--until TIME] [--limit N]]\n"
            "\n"
            "  list   every persona: login, tuid, events, sign-ins, last seen, learning state\n"
            "  show   one user's routine (USER = login, Okta user id, or tuid): top apps,\n"
            "         places, networks, devices and factors with counts and first/last\n"
            "         seen, active hours, learning state\n"
            "\n"
            "  --domain ID   the Okta org (default: every domain for list; for show the\n"
            "                config's first org, then any domain that knows USER)\n"
            "  --json        machine-readable output (list: JSON Lines)\n"
            "  --events      also the user's kept events (as subject or actor), newest first;\n"
            "                --since/--until TIME: 30m, 24h, 7d back from now, or RFC 3339;\n"
            "                --limit N (default 50, 0 = all)\n"
            "\n"
            "Exit codes: 0 ok, 1 failure, 2 usage, 4 no such user.\n");
}

static int parse_args(int argc, char **argv, struct persona_args *a)
{
    static const struct option opts[] = {
        {"domain", required_argument, NULL, 'D'}, {"json", no_argument, NULL, 'j'},
        {"events", no_argument, NULL, 'e'}, {"since", required_argument, NULL, 's'},
        {"until", required_argument, NULL, 'u'}, {"limit", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    int c;

    a->until_ms = INT64_MAX;
    a->limit = 50;
    for (;;) {
        c = getopt_long(argc, argv, "h", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'D':
            a->domain = optarg;
            break;
        case 'j':
            a->json = 1;
            break;
        case 'e':
            a->events = 1;
            break;
        case 's':
        case 'u':
            if (idw_parse_time_arg(optarg, idw_now_ms(), c == 's' ? &a->since_ms : &a->until_ms) < 0) {
                log_error("persona: --%s '%s': expected 30m, 24h, 7d or an RFC 3339 time",
                          c == 's' ? "since" : "until", optarg);
                return -1;
            }
            break;
        case 'l': {
            char *end;
            unsigned long n = strtoul(optarg, &end, 10);
            if (!*optarg || *end || optarg[0] == '-' || n > 1000000) {
                log_error("persona: --limit '%s': expected a number from 0 to 1000000", optarg);
                return -1;
            }
            a->limit = n;
            break;
        }
        case 'h':
            persona_usage(stdout);
            return 1;
        default:
            persona_usage(stderr);
            return -1;
        }
    }
    return 0;
}

static void params_of(const struct idw_config *cfg, struct idw_persona_params *prm)
{
    idw_persona_params_init(prm, cfg->half_life_days, cfg->learning_days,
                            cfg->learning_signins, cfg->relearn_after_days);
}

static void fmt_time(int64_t ms, char *buf)
{
    if (ms)
        idw_time_format(ms, buf);
    else
        strcpy(buf, "-");
}

/* ---- list ------------------------------------------------------------------- */

struct list_ctx {
    const char *domain;
    int json;
    const struct idw_persona_params *prm;
    unsigned long n;
    size_t bytes;
};

/* The strongest value of a dimension, for one-line summaries. */
static const char *top_value(const struct idw_persona *p, enum idw_dim d)
{
    const struct idw_pvalue *v = &p->vals[idw_dim_desc(d)->offset], *best = NULL;
    for (unsigned i = 0; i < p->n[d]; i++)
        if (!best || v[i].weight > best->weight)
            best = &v[i];
    return best ? best->value : "-";
}

static int list_one(const struct idw_persona *p, size_t stored_bytes, void *vctx)
{
    struct list_ctx *ctx = vctx;
    int learning = idw_persona_learning(p, p->last_seen, ctx->prm);
    char last[IDW_TIME_STRLEN];

    ctx->n++;
    ctx->bytes += stored_bytes;
    fmt_time(p->last_seen, last);
    if (ctx->json) {
        json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:s}",
                              "domain_id", ctx->domain, "tuid", p->tuid, "login", p->login,
                              "okta_id", p->okta_id, "events", (json_int_t)p->events,
                              "signin_ok", (json_int_t)p->c.signin_ok, "last_seen", last,
                              "state", learning ? "learning" : "established",
                              "top_country", top_value(p, IDW_DIM_COUNTRIES),
                              "top_asn", top_value(p, IDW_DIM_ASNS));
        if (o && json_dumpf(o, stdout, JSON_COMPACT) == 0)
            putchar('\n');
        json_decref(o);
        return 0;
    }
    printf("%-12s %-34s %-36s %8llu %7u  %-24s %-11s %s\n", ctx->domain,
           p->login[0] ? p->login : "(unknown)", p->tuid, (unsigned long long)p->events,
           p->c.signin_ok, last, learning ? "learning" : "established",
           top_value(p, IDW_DIM_COUNTRIES));
    return 0;
}

static int list_domain(struct idw_store *st, MDB_txn *txn, struct list_ctx *ctx)
{
    char err[512];
    if (idw_store_persona_each(st, txn, ctx->domain, list_one, ctx, err, sizeof err) < 0) {
        log_error("%s", err);
        return -1;
    }
    return 0;
}

static int cmd_list(struct idw_cli *cli, struct idw_store *st, MDB_txn *txn,
                    const struct persona_args *a)
{
    struct idw_persona_params prm;
    struct list_ctx ctx = {0};
    char err[512];
    json_t *domains;
    size_t i;
    json_t *d;

    params_of(&cli->cfg, &prm);
    ctx.json = a->json;
    ctx.prm = &prm;
    if (!a->json)
        printf("%-12s %-34s %-36s %8s %7s  %-24s %-11s %s\n", "DOMAIN", "LOGIN", "TUID",
               "EVENTS", "SIGNINS", "LAST SEEN", "STATE", "TOP COUNTRY");
    if (a->domain) {
        ctx.domain = a->domain;
        return list_domain(st, txn, &ctx) < 0 ? IDW_EXIT_FAILURE : IDW_EXIT_OK;
    }
    if (idw_store_domains(st, txn, &domains, err, sizeof err) < 0) {
        log_error("%s", err);
        return IDW_EXIT_FAILURE;
    }
    json_array_foreach(domains, i, d) {
        ctx.domain = json_string_value(d);
        if (list_domain(st, txn, &ctx) < 0) {
            json_decref(domains);
            return IDW_EXIT_FAILURE;
        }
    }
    json_decref(domains);
    if (!a->json)
        printf("%lu personas, %.1f KiB stored (%.0f bytes each on average)\n", ctx.n,
               ctx.bytes / 1024.0, ctx.n ? (double)ctx.bytes / ctx.n : 0.0);
    return IDW_EXIT_OK;
}

/* ---- show ------------------------------------------------------------------- */

static void print_dim(const struct idw_persona *p, enum idw_dim d, const struct idw_persona_params *prm)
{
    const struct idw_dim_desc *dd = idw_dim_desc(d);
    json_t *doc = idw_persona_to_json(p, prm);
    json_t *vals = json_object_get(json_object_get(doc, "dimensions"), dd->name);
    double total = 0;
    size_t i;
    json_t *v;

    json_array_foreach(vals, i, v) total += json_real_value(json_object_get(v, "weight"));
    printf("  %s (%zu):\n", dd->name, json_array_size(vals));
    json_array_foreach(vals, i, v) {
        if (i == TOP_SHOWN) {
            printf("      ... %zu more\n", json_array_size(vals) - TOP_SHOWN);
            break;
        }
        const char *label = json_string_value(json_object_get(v, "label"));
        double w = json_real_value(json_object_get(v, "weight"));
        printf("      %-40.40s %-24.24s %6lld  %3.0f%%  first %.10s  last %.10s%s\n",
               json_string_value(json_object_get(v, "value")), label ? label : "",
               (long long)json_integer_value(json_object_get(v, "count")),
               total > 0 ? 100.0 * w / total : 0.0,
               json_string_value(json_object_get(v, "first_seen")),
               json_string_value(json_object_get(v, "last_seen")),
               json_is_true(json_object_get(v, "provisional")) ? "  (provisional: seen in an alert)" : "");
    }
    json_decref(doc);
}

/* Active hours as ranges, e.g. "13-17, 20". */
static void print_hours(json_t *active)
{
    size_t i, n = json_array_size(active);
    printf("  active hours (UTC): ");
    if (!n)
        printf("-");
    for (i = 0; i < n;) {
        long start = (long)json_integer_value(json_array_get(active, i)), end = start;
        while (++i < n && json_integer_value(json_array_get(active, i)) == end + 1)
            end++;
        printf(end > start ? "%s%02ld-%02ld" : "%s%02ld", start == json_integer_value(
                   json_array_get(active, 0)) ? "" : ", ", start, end);
    }
    printf("\n");
}

static void print_persona(const struct idw_persona *p, const char *domain,
                          const struct idw_persona_params *prm)
{
    char first[IDW_TIME_STRLEN], last[IDW_TIME_STRLEN], est[IDW_TIME_STRLEN];
    const struct idw_persona_counters *c = &p->c;
    json_t *doc = idw_persona_to_json(p, prm);

    fmt_time(p->first_seen, first);
    fmt_time(p->last_seen, last);
    fmt_time(p->established_at, est);
    printf("%s (%s)  domain %s\n", p->login[0] ? p->login : "(unknown login)",
           p->display_name[0] ? p->display_name : "-", domain);
    printf("  tuid %s   okta id %s\n", p->tuid, p->okta_id[0] ? p->okta_id : "-");
    printf("  events %llu, first seen %s, last seen %s\n", (unsigned long long)p->events, first, last);
    if (idw_persona_learning(p, p->last_seen, prm))
        printf("  state: learning (%u of %u sign-ins; until %d days of history)\n",
               p->learning_signins, prm->learning_signins, (int)(prm->learning_ms / 86400000));
    else
        printf("  state: established since %s\n", est);
    printf("  sign-ins %u ok / %u failed; MFA %u / %u; SSO %u / %u; pushes %u sent, %u denied;\n"
           "  lockouts %u; factor changes %u; changed by admins %u; admin actions %u\n",
           c->signin_ok, c->signin_fail, c->mfa_ok, c->mfa_fail, c->sso_ok, c->sso_fail,
           c->push_sent, c->push_denied, c->lockouts, c->factor_changes, c->changed_by_others,
           c->admin_actions);
    print_hours(json_object_get(json_object_get(doc, "hours"), "active_hours_utc"));
    if (p->last_fix.t) {
        fmt_time(p->last_fix.t, last);
        printf("  last location: %s, %s (%.4f, %.4f) AS%u %s at %s\n",
               p->last_fix.city[0] ? p->last_fix.city : "?",
               p->last_fix.country[0] ? p->last_fix.country : "?",
               p->last_fix.lat, p->last_fix.lon, p->last_fix.asn, p->last_fix.ip, last);
    }
    json_decref(doc);
    for (int d = 0; d < IDW_DIM_COUNT; d++)
        print_dim(p, (enum idw_dim)d, prm);
}

/* Looks USER up in one domain; 0 found, 1 not, -1 error. */
static int find_in(struct idw_store *st, MDB_txn *txn, const char *domain, const char *user,
                   struct idw_persona *p)
{
    char tuid[IDW_UUID_STRLEN], err[512];
    int rc = idw_store_find_user(st, txn, domain, user, tuid, err, sizeof err);

    if (rc == 0)
        rc = idw_store_persona_get(st, txn, domain, tuid, p, err, sizeof err);
    if (rc < 0)
        log_error("%s", err);
    return rc;
}

/* The configured domain first, then every domain that has personas. */
static int find_anywhere(struct idw_cli *cli, struct idw_store *st, MDB_txn *txn,
                         const struct persona_args *a, const char *user,
                         struct idw_persona *p, char *domain, size_t domlen)
{
    char err[512];
    json_t *domains, *d;
    size_t i;
    int rc;

    idw_strlcpy(domain, a->domain ? a->domain : idw_cli_default_domain(cli), domlen);
    rc = find_in(st, txn, domain, user, p);
    if (rc != 1 || a->domain)
        return rc;
    if (idw_store_domains(st, txn, &domains, err, sizeof err) < 0) {
        log_error("%s", err);
        return -1;
    }
    json_array_foreach(domains, i, d) {
        idw_strlcpy(domain, json_string_value(d), domlen);
        rc = find_in(st, txn, domain, user, p);
        if (rc != 1)
            break;
    }
    json_decref(domains);
    return rc;
}

static int cmd_show(struct idw_cli *cli, struct idw_store *st, MDB_txn *txn,
                    const struct persona_args *a, const char *user)
{
    struct idw_persona_params prm;
    struct idw_persona *p = malloc(sizeof *p);
    char domain[IDW_DOMAIN_MAX];
    json_t *events = NULL;
    int rc;

    if (!p)
        return IDW_EXIT_FAILURE;
    params_of(&cli->cfg, &prm);
    rc = find_anywhere(cli, st, txn, a, user, p, domain, sizeof domain);
    if (rc == 1) {
        log_error("no persona for '%s'", user);
        rc = IDW_EXIT_NOT_FOUND;
    } else if (rc != 0) {         /* an error, or a code find_in does not document: never print *p */
        rc = IDW_EXIT_FAILURE;
    } else if (a->events && idw_cli_person_events(cli, st, txn, domain, p->tuid, a->since_ms,
                                                  a->until_ms, a->limit, &events) < 0) {
        rc = IDW_EXIT_FAILURE;
    } else if (a->json) {
        json_t *doc = idw_persona_to_json(p, &prm);
        json_object_set_new(doc, "domain_id", json_string(domain));
        if (events)
            json_object_set(doc, "kept_events", events);
        if (doc && json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS) == 0)
            putchar('\n');
        json_decref(doc);
    } else {
        print_persona(p, domain, &prm);
        if (events) {
            printf("  kept events, newest first (%zu):\n", json_array_size(events));
            idw_cli_print_events(events);
        }
    }
    json_decref(events);
    free(p);
    return rc;
}

int idw_cmd_persona(struct idw_cli *cli, int argc, char **argv)
{
    struct persona_args a = {0};
    struct idw_store *st;
    MDB_txn *txn;
    char err[512];
    const char *sub;
    int rc;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        persona_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? IDW_EXIT_USAGE : IDW_EXIT_OK;
    }
    sub = argv[1];
    if (strcmp(sub, "list") != 0 && strcmp(sub, "show") != 0) {
        log_error("persona: unknown subcommand '%s' (list or show)", sub);
        return IDW_EXIT_USAGE;
    }
    rc = parse_args(argc - 1, argv + 1, &a);
    if (rc)
        return rc > 0 ? IDW_EXIT_OK : IDW_EXIT_USAGE;
    if (strcmp(sub, "show") == 0 && optind + 1 != argc - 1) {
        log_error("persona show: exactly one USER is required");
        return IDW_EXIT_USAGE;
    }
    if (strcmp(sub, "list") == 0 && optind != argc - 1) {
        log_error("persona list: unexpected argument '%s'", argv[optind + 1]);
        return IDW_EXIT_USAGE;
    }
    if (idw_cli_load_config(cli) < 0)
        return IDW_EXIT_FAILURE;
    st = idw_cli_open_store(cli, 1);
    if (!st)
        return IDW_EXIT_FAILURE;
    if (idw_store_begin(st, 1, &txn, err, sizeof err) < 0) {
        log_error("%s", err);
        idw_store_close(st);
        return IDW_EXIT_FAILURE;
    }
    rc = strcmp(sub, "list") == 0 ? cmd_list(cli, st, txn, &a)
                                  : cmd_show(cli, st, txn, &a, argv[optind + 1]);
    mdb_txn_abort(txn);
    idw_store_close(st);
    return rc;
}
