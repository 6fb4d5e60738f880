/*
 * cmd_cluster_cmd.c — `idwatch cluster review|pause|resume`: an analyst's
 * review or an operator's pause/resume published as ONE command message
 * (cluster/command.h) to the org's partition stream, where every applier
 * of that partition applies it in stream order (docs/scale-out.md,
 * "Commands in the log").  Nothing is written locally: the CLI has no
 * database in cluster mode, so the alert id must be the full id.
 */
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cluster/command.h"
#include "cluster/js.h"
#include "cluster/partition.h"
#include "common/log.h"
#include "common/util.h"

#define NATS_TIMEOUT_MS 5000
#define RETRY_DEADLINE_MS 60000
#define MAX_URLS 16

struct cmd_args {
    const char *sub, *org, *status, *assignee, *note, *by, *reason, *id, *alert;
    const char *urls[MAX_URLS];
    size_t nurls;
    int json;
};

void idw_cluster_command_usage(FILE *out)
{
    fprintf(out,
            "\nCommands in the log (docs/scale-out.md), published to the org's partition stream:\n"
            "       idwatch cluster review ALERT_ID --org ORG --status S [--assignee A] [--note N]\n"
            "                              [--by WHO] [--id HEX] [--nats URL]... [--json]\n"
            "       idwatch cluster pause|resume --org ORG [--reason R] [--by WHO] [--id HEX]\n"
            "                              [--nats URL]... [--json]\n"
            "\n"
            "  review   publishes an analyst's review of an alert to ORG's partition stream; whoever\n"
            "           applies the stream records it (history time: when you ran this). ALERT_ID is\n"
            "           the FULL alert id (no local database to resolve a prefix in cluster mode).\n"
            "           S: acknowledged (ack), resolved (resolve) or false_positive (fp); --assignee \"\"\n"
            "           unassigns\n"
            "  pause    publishes a pause of ORG's polling (workers stop polling it once applied);\n"
            "  resume   publishes its resumption\n"
            "  --by WHO   who gave the command (default: the login user, as `alerts ack`)\n"
            "  --id HEX   the command's id (32 lowercase hex digits; default: a random one). Re-run a\n"
            "             command whose publish failed with the id it printed: it is stored once\n"
            "Each prints the stream sequence it was stored at. The stream must exist already.\n"
            "Exit codes: 0 published, 1 failure (NATS unreachable past its retries, no such stream,\n"
            "configuration), 2 usage (a bad option or value, named).\n");
}

/* --by, else the login user (passwd, else $USER), else "uid:N", as `alerts ack` does. */
static const char *who(const struct cmd_args *a, char *buf, size_t len)
{
    const struct passwd *pw;
    const char *env = getenv("USER");

    if (a->by)
        return a->by;
    pw = getpwuid(geteuid());
    if (pw && pw->pw_name && *pw->pw_name)
        return pw->pw_name;
    if (env && *env)
        return env;
    snprintf(buf, len, "uid:%lu", (unsigned long)geteuid());
    return buf;
}

/* "ack" → "acknowledged" and the like; other words pass as typed (the check names them). */
static const char *status_name(const char *s)
{
    if (!strcmp(s, "ack"))
        return "acknowledged";
    if (!strcmp(s, "resolve"))
        return "resolved";
    return !strcmp(s, "fp") ? "false_positive" : s;
}

/* 0, or -1 (usage, printed). */
static int parse(int argc, char **argv, struct cmd_args *a)
{
    static const struct option opts[] = {
        {"org", required_argument, NULL, 'o'}, {"status", required_argument, NULL, 's'},
        {"assignee", required_argument, NULL, 'a'}, {"note", required_argument, NULL, 'N'},
        {"by", required_argument, NULL, 'b'}, {"reason", required_argument, NULL, 'r'},
        {"id", required_argument, NULL, 'i'}, {"nats", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'}, {NULL, 0, NULL, 0},
    };
    int c;

    for (;;) {
        c = getopt_long(argc, argv, "", opts, NULL);
        if (c == -1)
            break;
        if (c == 'o')
            a->org = optarg;
        else if (c == 's')
            a->status = status_name(optarg);
        else if (c == 'a')
            a->assignee = optarg;
        else if (c == 'N')
            a->note = optarg;
        else if (c == 'b')
            a->by = optarg;
        else if (c == 'r')
            a->reason = optarg;
        else if (c == 'i')
            a->id = optarg;
        else if (c == 'n' && a->nurls < MAX_URLS)
            a->urls[a->nurls++] = optarg;
        else if (c == 'j')
            a->json = 1;
        else
            return -1;
    }
    return 0;
}

/* The options that do not belong to the subcommand, and the positional argument; 0 or -1 (printed). */
static int check_args(int argc, struct cmd_args *a)
{
    int review = !strcmp(a->sub, "review"), rest = argc - optind;

    if (rest != review) {
        log_error("cluster %s: %s", a->sub,
                  review ? "give one ALERT_ID (the full id)" : "unexpected argument");
        return -1;
    }
    if (!a->org) {
        log_error("cluster %s: --org is required", a->sub);
        return -1;
    }
    if (review && !a->status) {
        log_error("cluster review: --status is required (acknowledged, resolved or false_positive)");
        return -1;
    }
    if (review && a->reason) {
        log_error("cluster review: --reason belongs to pause and resume (a review takes --note)");
        return -1;
    }
    if (!review && (a->status || a->assignee || a->note)) {
        log_error("cluster %s: --status, --assignee and --note belong to review", a->sub);
        return -1;
    }
    return 0;
}

/* The command message, checked; NULL (usage, printed) when a value is refused. */
static json_t *build(const struct cmd_args *a, const char *id)
{
    char whobuf[32], err[512], alert[64];
    struct idw_command_review rv = {.status = a->status, .assignee = a->assignee, .note = a->note};
    json_t *m = NULL;

    if (a->alert) {
        idw_lowercpy(alert, a->alert, sizeof alert);
        rv.alert_id = alert;
    }
    if (idw_command_build(a->org, a->sub, idw_now_ms(), who(a, whobuf, sizeof whobuf), id,
                          a->alert ? &rv : NULL, a->reason, &m, err, sizeof err) < 0) {
        log_error("cluster %s: %s", a->sub, err);
        return NULL;
    }
    return m;
}

/* --nats, else cluster.nats; 0 or -1 (printed). */
static int resolve_urls(const struct idw_cli *cli, struct cmd_args *a)
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

static void report(const struct cmd_args *a, const json_t *m, unsigned p, uint64_t seq, int dup,
                   const char *id)
{
    const char *alert = json_string_value(json_object_get(m, "alert_id"));

    if (a->json)
        printf("{\"command\":\"%s\",\"org\":\"%s\",\"partition\":%u,\"stream\":\"IDW_P%u\",\"seq\":%llu,"
               "\"duplicate\":%s,\"id\":\"%s\"}\n", a->sub, a->org, p, p, (unsigned long long)seq,
               dup ? "true" : "false", id);
    else
        printf("%s of %s published to partition %u (stream IDW_P%u) at seq %llu%s; command id %s\n",
               a->sub, alert ? alert : a->org, p, p, (unsigned long long)seq,
               dup ? " (a duplicate: the stream already held this command)" : "", id);
}

/* Publishes m to org's partition; IDW_EXIT_OK or IDW_EXIT_FAILURE (printed). */
static int publish(const struct idw_cli *cli, const struct cmd_args *a, const json_t *m, const char *id)
{
    struct idw_partitioning pt = {0};
    struct idw_js *js = NULL;
    char err[512], msgid[IDW_COMMAND_MSGID_MAX], *data = NULL;
    uint64_t seq = 0, last;
    int dup = 0, rc = IDW_EXIT_FAILURE;
    unsigned p = 0;

    if (idw_partitioning_load(cli->cfg.root, &pt, err, sizeof err) < 0) {
        log_error("%s", err);
        return IDW_EXIT_FAILURE;
    }
    p = idw_partition_of(&pt, a->org);
    data = json_dumps(m, JSON_COMPACT);
    if (!data || idw_command_msg_id(m, msgid) < 0)
        log_error("out of memory");
    else if (idw_js_dial(cli->cfg.root, a->urls, a->nurls, NATS_TIMEOUT_MS, &js, err, sizeof err) < 0 ||
             idw_js_last_seq(js, p, idw_js_now_ms() + RETRY_DEADLINE_MS, &last, err, sizeof err) < 0)
        log_error("cluster %s: partition %u: %s; nothing published", a->sub, p, err);
    else if (idw_js_publish(js, p, msgid, data, strlen(data), idw_js_now_ms() + RETRY_DEADLINE_MS, &seq,
                            &dup, err, sizeof err) < 0)
        log_error("cluster %s: partition %u: %s; not known to be stored: re-run with --id %s to retry "
                  "without a second copy", a->sub, p, err, id);
    else {
        report(a, m, p, seq, dup, id);
        rc = IDW_EXIT_OK;
    }
    free(data);
    idw_js_close(js);
    idw_partitioning_free(&pt);
    return rc;
}

int idw_cmd_cluster_command(struct idw_cli *cli, int argc, char **argv)
{
    struct cmd_args a = {.sub = argv[0]};
    char fresh[IDW_COMMAND_ID_HEX + 1], err[256], prog[32];
    const char *id = fresh;
    json_t *m;
    int rc;

    snprintf(prog, sizeof prog, "idwatch cluster %s", a.sub);
    argv[0] = prog;     /* getopt's own complaints name the command */
    if (parse(argc, argv, &a) < 0 || check_args(argc, &a) < 0) {
        idw_cluster_command_usage(stderr);
        return IDW_EXIT_USAGE;
    }
    if (optind < argc)
        a.alert = argv[optind];
    if (a.id)
        id = a.id;      /* a retry of a command whose publish failed: checked with the rest */
    else if (idw_command_new_id(fresh, err, sizeof err) < 0) {
        log_error("%s", err);
        return IDW_EXIT_FAILURE;
    }
    m = build(&a, id);
    if (!m)
        return IDW_EXIT_USAGE;
    rc = idw_cli_load_config(cli) < 0 || resolve_urls(cli, &a) < 0 ? IDW_EXIT_FAILURE
                                                                   : publish(cli, &a, m, id);
    json_decref(m);
    return rc;
}
