/*
 * cli.h — what the subcommands share: the parsed global options, the exit
 * codes (documented in docs/cli.md), and small helpers for opening the
 * configuration and the database.
 */
#ifndef IDW_CLI_H
#define IDW_CLI_H

#include <stdio.h>

#include "common/config.h"
#include "common/rc.h"
#include "store/store.h"

/* Exit codes: part of the contract with scripts and service managers. */
enum {
    IDW_EXIT_OK = 0,
    IDW_EXIT_FAILURE = 1,       /* could not do the job: I/O, storage, configuration */
    IDW_EXIT_USAGE = 2,         /* bad command line */
    IDW_EXIT_REJECTED = 3,      /* ingest finished, but some input was rejected */
    IDW_EXIT_NOT_FOUND = 4,     /* the user/alert asked for does not exist */
    IDW_EXIT_RULES = 5,         /* rules validate: a file refused; rules test: an expectation failed */
    IDW_EXIT_DEGRADED = 6,      /* cluster status: a partition lacks a fresh owner, stream, snapshot */
};

struct idw_cli {
    const char *config_path;    /* --config, else as idw_cli_load_config chose; NULL: the embedded default */
    const char *db_override;    /* --db, overrides the config's "db" */
    struct idw_config cfg;
    int writer_fd;              /* the database's writer lock once taken, else -1 */
};

/*
 * Loads the configuration (with --db applied): --config, else
 * $IDWATCH_CONFIG, else /etc/idwatch/idwatch.json when it exists (tests:
 * $IDWATCH_SYSTEM_CONFIG), else the embedded default (docs/config.md).
 * IDW_OK, or IDW_ERR (the error printed).
 */
enum idw_rc idw_cli_load_config(struct idw_cli *cli) IDW_MUST_CHECK;

/* Opens the database (read-only or read-write). Prints the error and returns NULL on failure. */
struct idw_store *idw_cli_open_store(struct idw_cli *cli, int rdonly) IDW_MUST_CHECK;

/*
 * Opens the database for a command that feeds the pipeline (what: "run",
 * "ingest", "backfill") and takes its writer lock, held until the process
 * ends: a second feeder is refused with a message naming the holder.
 * Prints the error and returns NULL on failure.
 */
struct idw_store *idw_cli_open_writer(struct idw_cli *cli, const char *what) IDW_MUST_CHECK;

/*
 * Opens the configured GeoIP databases (*geo = NULL when none are
 * configured).  IDW_OK, or IDW_ERR (the error printed).
 */
struct idw_geodb;
enum idw_rc idw_cli_open_geo(const struct idw_config *cfg, struct idw_geodb **geo) IDW_MUST_CHECK;

/*
 * Opens the detection engine with the configuration's rules_dir.  The
 * default "rules" may be absent (built-in defaults); a configured
 * directory that does not exist is an error.  IDW_OK, or IDW_ERR (the
 * error printed).
 */
struct idw_detect;
enum idw_rc idw_cli_open_detect(const struct idw_cli *cli, struct idw_detect **d) IDW_MUST_CHECK;

/* The same with the rules of dir (a rules message's, cluster/rulepack.h).  IDW_OK, or IDW_ERR with err. */
enum idw_rc idw_cli_open_detect_dir(const struct idw_cli *cli, const char *dir, struct idw_detect **d,
                                    char *err, size_t errlen) IDW_MUST_CHECK;

/* The same without the webhooks: for a command that only reads the rules (`alerts list --rule`). */
enum idw_rc idw_cli_open_rules(const struct idw_cli *cli, struct idw_detect **d) IDW_MUST_CHECK;

/*
 * Hands every alert version and every incident version d raises to the
 * webhook outbox for wh's targets (wh may be NULL: none): the outbox sink
 * (deliver/outbox.h) added to d's alert registry twice, and sets the
 * incident window from root (the configuration document,
 * incidents.window_hours).  IDW_OK, or IDW_ERR (printed) when out of
 * memory or the window is out of range.
 */
struct idw_webhooks;
enum idw_rc idw_cli_route_alerts(const json_t *root, struct idw_detect *d, const struct idw_webhooks *wh)
    IDW_MUST_CHECK;

/*
 * An alert registry with the outbox as both its alert and incident sink
 * for targets t (n of them), and the incident window of root: what
 * commands that review alerts need (IDW_OK with *out), or IDW_ERR printed.
 */
struct idw_outbox_target;
struct idw_alerts;
enum idw_rc idw_cli_outbox_alerts(const json_t *root, const struct idw_outbox_target *t, size_t n,
                                  struct idw_alerts *al) IDW_MUST_CHECK;

/*
 * The alert an analyst typed: its id or a unique prefix of it
 * (alert/alert.h's idw_alert_find_prefix).  IDW_EXIT_OK with *out (caller
 * json_decref's); otherwise *out is NULL and the error is printed:
 * IDW_EXIT_USAGE for a prefix too short, or one that several alerts share
 * (they are listed); IDW_EXIT_NOT_FOUND when no alert has it (or it is not
 * hex); IDW_EXIT_FAILURE on a read error.
 */
int idw_cli_find_alert(struct idw_store *st, MDB_txn *txn, const char *typed, json_t **out) IDW_MUST_CHECK;

/*
 * Whether a command line asks for help: `-h` or `--help` as a word of its
 * own, before any `--`.  main() then runs the command with `--help` alone,
 * so help never acts; a command that reads its arguments by position
 * checks it too, in case it is ever called otherwise.
 */
int idw_cli_asks_help(int argc, char **argv) IDW_MUST_CHECK;

/* The domain a command works on: --domain, else the configuration's first org. */
const char *idw_cli_default_domain(const struct idw_cli *cli);

int idw_cmd_ingest(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_persona(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_run(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_backfill(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_okta(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_status(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_alerts(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_incidents(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_rules(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_outbox(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_metrics(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_horizon(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_console(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_api_token(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_user(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_events(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_cluster(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_worker(struct idw_cli *cli, int argc, char **argv);
/* `cluster review|pause|resume` (cmd_cluster_cmd.c): argv[0] is the subcommand; and its usage lines. */
int idw_cmd_cluster_command(struct idw_cli *cli, int argc, char **argv);
void idw_cluster_command_usage(FILE *out);
int idw_cmd_cluster_rules(struct idw_cli *cli, int argc, char **argv);     /* cmd_cluster_rules.c */
void idw_cluster_rules_usage(FILE *out);
/* `cluster snapshot|restore` (cmd_snapshot.c): argv[1] is the subcommand; its usage lines for cluster's. */
int idw_cmd_cluster_snapshot(struct idw_cli *cli, int argc, char **argv);
void idw_cluster_snapshot_usage(FILE *out);

/*
 * Kept events (cmd_events.c).  person_events: the EVENT objects of person
 * tuid published in [from_ms, to_ms], newest first, at most limit (0: all):
 * IDW_OK with *out (caller json_decref's), IDW_ERR (printed).
 * print_events: the analyst's table of an array of them.
 */
#include <jansson.h>
enum idw_rc idw_cli_person_events(const struct idw_cli *cli, struct idw_store *st, MDB_txn *txn,
                                  const char *domain, const char *tuid, int64_t from_ms, int64_t to_ms,
                                  size_t limit, json_t **out) IDW_MUST_CHECK;
void idw_cli_print_events(const json_t *events);

/*
 * Alerts as `alerts list` prints them (cmd_alerts.c), for every command
 * that lists alerts (`cluster alerts` too).  sort_alerts: newest
 * last_seen first, ties by alert id, in place (IDW_OK, or IDW_ERR out of
 * memory, alerts unchanged).  print_alerts: the table with its header, or
 * with json one document per line (JSON Lines).
 */
enum idw_rc idw_cli_sort_alerts(json_t *alerts) IDW_MUST_CHECK;
void idw_cli_print_alerts(const json_t *alerts, int json);

/*
 * `idwatch cluster alerts` (cmd_cluster_alerts.c): every org's alerts from
 * the alerts stream (cluster/alertstream.h), the latest version of each.
 * argv[0] is "alerts".  An exit code.
 */
int idw_cmd_cluster_alerts(struct idw_cli *cli, int argc, char **argv);

/*
 * `idwatch cluster status` (cmd_cluster_status.c): partitions, owners, lag,
 * applied sequence, snapshot age, from the workers' heartbeats
 * (cluster/status.h).  argv[0] is "status".  An exit code (6: degraded).
 * The usage prints its usage line for cluster's.
 */
int idw_cmd_cluster_status(struct idw_cli *cli, int argc, char **argv);
void idw_cluster_status_usage(FILE *out);

/*
 * `cluster apply --publish-alerts` (cmd_cluster_alerts.c): open registers
 * the alerts stream as a target of st's outbox (before applying, so every
 * version the apply raises is queued for it) and loads the webhooks; drain
 * then publishes what is queued (every pending delivery, webhooks too,
 * like `outbox deliver`).  IDW_OK, or IDW_ERR (printed; drain: some
 * versions are still queued, kept for the next drain).  close: p may be
 * NULL.
 */
struct idw_js;
struct idw_cli_alert_pub;
enum idw_rc idw_cli_alert_pub_open(const struct idw_cli *cli, struct idw_store *st, struct idw_js *js,
                                   struct idw_cli_alert_pub **out) IDW_MUST_CHECK;
enum idw_rc idw_cli_alert_pub_drain(struct idw_cli_alert_pub *p, struct idw_store *st) IDW_MUST_CHECK;
void idw_cli_alert_pub_close(struct idw_cli_alert_pub *p);

#endif
