/*
 * main.c — the `idwatch` binary: global options, then one subcommand from
 * the table below.  Each subcommand lives in its own cmd_*.c file, parses
 * its own options and returns an exit code from cli.h.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "alert/incident.h"
#include "cli/cli.h"
#include "deliver/webhook.h"
#include "common/log.h"
#include "engine/detect.h"
#include "event/geo.h"

#ifndef IDW_VERSION
#define IDW_VERSION "0.0.0"
#endif

/* The host's configuration, used when it exists; a package may build with another. */
#ifndef IDW_SYSTEM_CONFIG
#define IDW_SYSTEM_CONFIG "/etc/idwatch/idwatch.json"
#endif

struct command {
    const char *name;
    int (*run)(struct idw_cli *cli, int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"ingest", idw_cmd_ingest, "replay Okta System Log events from a JSON or JSON Lines file"},
    {"run", idw_cmd_run, "poll every configured Okta org (--once: until caught up)"},
    {"backfill", idw_cmd_backfill, "pull up to 90 days of history to seed personas"},
    {"okta", idw_cmd_okta, "test-connection | resume: one org's link to Okta"},
    {"status", idw_cmd_status, "per-org connector and ingest state, alerts, webhook outbox"},
    {"metrics", idw_cmd_metrics, "the status as Prometheus text"},
    {"persona", idw_cmd_persona, "list personas, or show one user's routine"},
    {"alerts", idw_cmd_alerts, "list, show, ack, resolve or mark alerts false positive"},
    {"incidents", idw_cmd_incidents, "list or show incidents: an org's related alerts, grouped"},
    {"events", idw_cmd_events, "show a kept event by its Okta uuid"},
    {"rules", idw_cmd_rules, "list the detection rules and their configuration"},
    {"outbox", idw_cmd_outbox, "webhook deliveries: list, retry dead letters, deliver now"},
    {"horizon", idw_cmd_horizon, "show or repair a domain's de-duplication horizon"},
    {"console", idw_cmd_console, "serve the API and web console for the database (no polling)"},
    {"api-token", idw_cmd_api_token, "create, list or revoke bearer tokens of the HTTP API"},
    {"user", idw_cmd_user, "add, change, list or remove the web console's users"},
    {"cluster", idw_cmd_cluster, "scale-out tools: publish, apply, review, snapshot, alerts, status"},
    {"worker", idw_cmd_worker, "scale-out worker: poll, publish and apply the partitions of one slot"},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: idwatch [--config FILE] [--db DIR] [--log-level LEVEL] COMMAND [ARGS]\n"
            "\n"
            "Identity threat detection for Okta: ingests the System Log, keeps a\n"
            "behavioural persona per user, and detects identity attacks.\n"
            "\n"
            "Global options:\n"
            "  --config FILE      JSON configuration; without it: $IDWATCH_CONFIG when set,\n"
            "                     else " IDW_SYSTEM_CONFIG " when it exists,\n"
            "                     else the embedded default (data in ./idwatch-data)\n"
            "  --db DIR           database directory (overrides the config's \"db\")\n"
            "  --log-level LEVEL  debug, info, warn or error (default info)\n"
            "  --version          print the version\n"
            "  --help             this text\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun `idwatch COMMAND --help` for a command's options.\n"
                 "Exit codes: 0 ok, 1 failure, 2 usage, 3 input rejected, 4 not found.\n");
}

/*
 * Which configuration: --config; else $IDWATCH_CONFIG when set and not
 * empty (a path that does not exist is an error: the operator meant it);
 * else the system file when it exists ($IDWATCH_SYSTEM_CONFIG stands in
 * for IDW_SYSTEM_CONFIG so that tests need not write to /etc); else NULL,
 * the embedded default.  IDW_OK with cli->config_path set, or IDW_ERR
 * (printed).
 */
static enum idw_rc choose_config(struct idw_cli *cli)
{
    const char *env = getenv("IDWATCH_CONFIG"), *sys = getenv("IDWATCH_SYSTEM_CONFIG");
    struct stat sb;

    if (cli->config_path)
        return IDW_OK;
    if (env && *env) {
        if (stat(env, &sb) != 0) {
            log_error("IDWATCH_CONFIG=%s: %s", env, strerror(errno));
            return IDW_ERR;
        }
        cli->config_path = env;
        return IDW_OK;
    }
    if (!sys || !*sys)
        sys = IDW_SYSTEM_CONFIG;
    if (stat(sys, &sb) == 0) {
        cli->config_path = sys;
    } else if (errno != ENOENT) {
        /* it may exist: falling back to the embedded default would open another database */
        log_error("%s: %s (the system configuration; --config FILE uses another)", sys, strerror(errno));
        return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_cli_load_config(struct idw_cli *cli)
{
    char err[512];

    if (choose_config(cli) != IDW_OK)
        return IDW_ERR;
    log_debug("configuration: %s", cli->config_path ? cli->config_path : "(embedded default)");
    if (idw_config_load(cli->config_path, &cli->cfg, err, sizeof err) < 0) {
        log_error("configuration: %s", err);
        return IDW_ERR;
    }
    if (cli->db_override &&
        idw_strlcpy(cli->cfg.db_path, cli->db_override, sizeof cli->cfg.db_path) >=
            sizeof cli->cfg.db_path) {
        log_error("--db: path too long");
        return IDW_ERR;
    }
    return IDW_OK;
}

struct idw_store *idw_cli_open_store(struct idw_cli *cli, int rdonly)
{
    struct idw_store *st;
    char err[512];

    if (idw_store_open(cli->cfg.db_path, cli->cfg.map_size_mb, rdonly ? IDW_STORE_RDONLY : 0,
                       &st, err, sizeof err) < 0) {
        log_error("%s", err);
        return NULL;
    }
    return st;
}

struct idw_store *idw_cli_open_writer(struct idw_cli *cli, const char *what)
{
    struct idw_store *st = idw_cli_open_store(cli, 0);
    char err[768];

    if (!st)
        return NULL;
    if (cli->writer_fd < 0 &&
        idw_store_writer_lock(cli->cfg.db_path, what, &cli->writer_fd, err, sizeof err) != 0) {
        log_error("%s", err);
        idw_store_close(st);
        return NULL;
    }
    return st;
}

enum idw_rc idw_cli_open_geo(const struct idw_config *cfg, struct idw_geodb **geo)
{
    char err[512];
    *geo = NULL;
    if ((cfg->city_db[0] || cfg->asn_db[0]) &&
        idw_geo_open(cfg->city_db, cfg->asn_db, geo, err, sizeof err) < 0) {
        log_error("geoip: %s", err);
        return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_cli_outbox_alerts(const json_t *root, const struct idw_outbox_target *t, size_t n,
                                  struct idw_alerts *al)
{
    char err[256];

    if (idw_outbox_attach(al, root, t, n, err, sizeof err) != IDW_OK) {
        log_error("%s", err);
        return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_cli_route_alerts(const json_t *root, struct idw_detect *d, const struct idw_webhooks *wh)
{
    return idw_cli_outbox_alerts(root, wh ? wh->targets : NULL, wh ? wh->n : 0, idw_detect_alerts(d));
}

/*
 * Alerts are queued for the configured webhooks from the moment they are
 * stored.  Every webhook is loaded in full here (URL, secret, CA file), so
 * a broken one stops the command now instead of failing deliveries for days.
 */
static int attach_webhooks(const struct idw_cli *cli, struct idw_detect **d)
{
    struct idw_webhooks *wh;
    char err[512];
    int rc;

    if (idw_webhooks_load(cli->cfg.root, &wh, err, sizeof err) < 0) {
        log_error("%s", err);
        idw_detect_close(*d);
        *d = NULL;
        return -1;
    }
    rc = idw_cli_route_alerts(cli->cfg.root, *d, wh);
    idw_webhooks_free(wh);
    if (rc < 0) {
        idw_detect_close(*d);
        *d = NULL;
    }
    return rc;
}

enum idw_rc idw_cli_open_rules(const struct idw_cli *cli, struct idw_detect **d)
{
    const char *dir = cli->cfg.rules_dir;
    struct stat sb;
    char err[768];

    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        if (strcmp(dir, "rules") != 0) {
            log_error("rules_dir: %s is not a directory", dir);
            return IDW_ERR;
        }
        dir = NULL;     /* the default location is optional: built-in defaults */
    }
    if (idw_detect_open(dir, d, err, sizeof err) < 0) {
        log_error("rules: %s", err);
        return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_cli_open_detect(const struct idw_cli *cli, struct idw_detect **d)
{
    if (idw_cli_open_rules(cli, d) != IDW_OK)
        return IDW_ERR;
    return attach_webhooks(cli, d);
}

enum idw_rc idw_cli_open_detect_dir(const struct idw_cli *cli, const char *dir, struct idw_detect **d,
                                    char *err, size_t errlen)
{
    if (idw_detect_open(dir, d, err, errlen) < 0)
        return IDW_ERR;
    if (attach_webhooks(cli, d) < 0) {
        snprintf(err, errlen, "%s: cannot route its alerts (see the log)", dir);
        return IDW_ERR;
    }
    return IDW_OK;
}

const char *idw_cli_default_domain(const struct idw_cli *cli)
{
    return cli->cfg.n_orgs ? cli->cfg.orgs[0].domain_id : "default";
}

static int parse_globals(struct idw_cli *cli, int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'}, {"db", required_argument, NULL, 'd'},
        {"log-level", required_argument, NULL, 'l'}, {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    enum idw_log_level level;
    int c;

    /* '+' stops at the first non-option: the subcommand parses the rest */
    for (;;) {
        c = getopt_long(argc, argv, "+h", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'c':
            cli->config_path = optarg;
            break;
        case 'd':
            cli->db_override = optarg;
            break;
        case 'l':
            if (idw_log_parse_level(optarg, &level) < 0) {
                log_error("--log-level: expected debug, info, warn or error");
                return -IDW_EXIT_USAGE;
            }
            idw_log_set_level(level);
            break;
        case 'V':
            printf("idwatch %s\n", IDW_VERSION);
            return -IDW_EXIT_OK - 100;
        case 'h':
            usage(stdout);
            return -IDW_EXIT_OK - 100;
        default:
            usage(stderr);
            return -IDW_EXIT_USAGE;
        }
    }
    return optind;
}

int idw_cli_asks_help(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    struct idw_cli cli = {.writer_fd = -1};
    int first = parse_globals(&cli, argc, argv), rc;

    if (first == -100)
        return IDW_EXIT_OK;
    if (first < 0)
        return -first;
    if (first >= argc) {
        usage(stderr);
        return IDW_EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[first], commands[i].name) != 0)
            continue;
        optind = 0;     /* glibc: 0 re-initialises getopt for the subcommand's argv */
        if (idw_cli_asks_help(argc - first, argv + first)) {
            /* `--help` anywhere never acts: the command sees `COMMAND --help` alone */
            char *help[] = {argv[first], "--help", NULL};
            return commands[i].run(&cli, 2, help);
        }
        rc = commands[i].run(&cli, argc - first, argv + first);
        idw_config_free(&cli.cfg);
        if (cli.writer_fd >= 0)
            close(cli.writer_fd);
        return rc;
    }
    log_error("unknown command '%s' (see idwatch --help)", argv[first]);
    return IDW_EXIT_USAGE;
}
