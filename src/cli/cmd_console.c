/*
 * cmd_console.c — `idwatch console [--listen ADDR]`: the HTTP server
 * (serve/serve.h: the API, the console pages, /metrics) alone, for a
 * database whose daemon runs elsewhere on the host.  No pipeline: it
 * reads, and writes only reviews (short write transactions, like `alerts
 * ack`; the writer lock is not taken).  Reviews are queued in the outbox
 * for the configured webhooks; the daemon delivers them.
 *
 * `console --cluster` serves the distributed mode's provider-wide view
 * instead: a mirror of the alerts stream, followed every second, with
 * reviews published to the partitions' logs (cli/console_cluster.h).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/console_cluster.h"
#include "cli/observe.h"
#include "common/log.h"
#include "serve/serve.h"
#include "source/okta_poll.h"

static volatile sig_atomic_t console_stop;

static void on_stop(int sig)
{
    (void)sig;
    console_stop = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: idwatch console [--listen ADDR] [--cluster [--nats URL]...]\n"
            "\n"
            "Serves the JSON API, the web console and /metrics for the database until\n"
            "SIGTERM/SIGINT, without polling (the daemon may run beside it).\n"
            "  --listen ADDR   IP:PORT (default: serve.listen, else 127.0.0.1:8642); an\n"
            "                  address that is not loopback needs serve.tls_cert/tls_key\n"
            "                  or serve.allow_plaintext_remote\n"
            "  --cluster       the distributed mode: every org's alerts and incidents from a\n"
            "                  mirror of the alerts stream (cluster.mirror_dir, default\n"
            "                  <db>/cluster/mirror, which also holds the API tokens and\n"
            "                  console users); reviews are published to the partitions' logs\n"
            "  --nats URL      a NATS server for --cluster (repeatable; default cluster.nats)\n"
            "\n"
            "Exit codes: 0 stopped by a signal, 1 failure, 2 usage.\n");
}

#define MAX_URLS 16

struct console_args {
    const char *listen;
    int cluster;
    const char *urls[MAX_URLS];
    size_t nurls;
};

static int parse(int argc, char **argv, struct console_args *a)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'}, {"cluster", no_argument, NULL, 'c'},
        {"nats", required_argument, NULL, 'n'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };

    for (;;) {
        int c = getopt_long(argc, argv, "h", opts, NULL);
        if (c == -1)
            break;
        if (c == 'l') {
            a->listen = optarg;
        } else if (c == 'c') {
            a->cluster = 1;
        } else if (c == 'n' && a->nurls < MAX_URLS) {
            a->urls[a->nurls++] = optarg;
        } else if (c == 'h') {
            usage(stdout);
            return 1;
        } else {
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc || (a->nurls && !a->cluster)) {
        if (a->nurls && !a->cluster)
            log_error("console: --nats belongs to --cluster");
        usage(stderr);
        return -1;
    }
    return 0;
}

/* --nats, else cluster.nats; 0, or -1 (said). */
static int cluster_urls(const struct idw_cli *cli, struct console_args *a)
{
    const json_t *list = json_object_get(json_object_get(cli->cfg.root, "cluster"), "nats");
    size_t i;
    json_t *u;

    if (!a->nurls)
        json_array_foreach(list, i, u) {
            if (a->nurls < MAX_URLS)
                a->urls[a->nurls++] = json_string_value(u);
        }
    if (!a->nurls) {
        log_error("console --cluster: no NATS server: give --nats URL or set cluster.nats in the "
                  "configuration");
        return -1;
    }
    return 0;
}

/* The database to serve: the configured one, or (--cluster) the stream's mirror.  NULL: said. */
static struct idw_store *open_served(struct idw_cli *cli, struct console_args *a, struct idw_serve_opts *o,
                                     struct idw_console_cluster **cc)
{
    *cc = NULL;
    if (!a->cluster)
        return idw_cli_open_store(cli, 0);
    if (cluster_urls(cli, a) < 0 || idw_console_cluster_open(cli, a->urls, a->nurls, cc) != IDW_OK)
        return NULL;
    idw_console_cluster_wire(*cc, o);
    return idw_console_cluster_store(*cc);
}

int idw_cmd_console(struct idw_cli *cli, int argc, char **argv)
{
    struct console_args a = {0};
    struct idw_serve_opts o;
    struct idw_server *srv = NULL;
    struct idw_metrics_src msrc;
    struct idw_console_cluster *cc = NULL;
    struct idw_store *st;
    int configured, rc = parse(argc, argv, &a);
    char err[512];

    if (rc)
        return rc > 0 ? IDW_EXIT_OK : IDW_EXIT_USAGE;
    if (idw_cli_load_config(cli) < 0)
        return IDW_EXIT_FAILURE;
    if (idw_serve_config(&cli->cfg, a.listen, &o, &configured, err, sizeof err) < 0) {
        log_error("configuration: %s", err);
        return IDW_EXIT_FAILURE;
    }
    st = open_served(cli, &a, &o, &cc);
    if (!st) {
        idw_console_cluster_close(cc);
        return IDW_EXIT_FAILURE;
    }
    msrc = (struct idw_metrics_src){.cfg = &cli->cfg, .st = st};
    o.st = st;
    o.metrics = idw_metrics_scrape;
    o.metrics_ctx = &msrc;
    signal(SIGINT, on_stop);
    signal(SIGTERM, on_stop);
    signal(SIGPIPE, SIG_IGN);
    if (idw_serve_start(&o, &srv, err, sizeof err) < 0) {
        log_error("%s", err);
        if (cc)
            idw_console_cluster_close(cc);
        else
            idw_store_close(st);
        return IDW_EXIT_FAILURE;
    }
    log_info("console on %s://%s/%s", *o.tls_cert ? "https" : "http", o.listen,
             cc ? " (distributed mode: the alerts stream's mirror)" : "");
    while (!console_stop) {
        idw_sleep_ms(1000, &console_stop);
        if (cc && !console_stop)
            idw_console_cluster_follow(cc, &console_stop);
    }
    idw_serve_stop(srv);
    if (cc)
        idw_console_cluster_close(cc);
    else
        idw_store_close(st);
    return IDW_EXIT_OK;
}
