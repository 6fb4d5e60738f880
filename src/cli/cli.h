/*
 * cli.h — what the subcommands share: the parsed global options, the exit
 * codes (documented in docs/cli.md), and small helpers for opening the
 * configuration and the database.
 */
#ifndef IDW_CLI_H
#define IDW_CLI_H

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
};

struct idw_cli {
    const char *config_path;    /* --config, or NULL for the embedded default */
    const char *db_override;    /* --db, overrides the config's "db" */
    struct idw_config cfg;
    int writer_fd;              /* the database's writer lock once taken, else -1 */
};

/* Loads the configuration (with --db applied).  IDW_OK, or IDW_ERR (the error printed). */
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

/*
 * Hands every alert version d raises to the webhook outbox for wh's
 * targets (wh may be NULL: none): the outbox sink (deliver/outbox.h) added
 * to d's alert registry.  IDW_OK, or IDW_ERR (printed) when out of memory.
 */
struct idw_webhooks;
enum idw_rc idw_cli_route_alerts(struct idw_detect *d, const struct idw_webhooks *wh) IDW_MUST_CHECK;

/* The domain a command works on: --domain, else the configuration's first org. */
const char *idw_cli_default_domain(const struct idw_cli *cli);

int idw_cmd_ingest(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_persona(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_run(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_backfill(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_okta(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_status(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_alerts(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_rules(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_outbox(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_metrics(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_horizon(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_console(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_api_token(struct idw_cli *cli, int argc, char **argv);
int idw_cmd_user(struct idw_cli *cli, int argc, char **argv);

#endif
