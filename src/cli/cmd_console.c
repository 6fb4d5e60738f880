/*
 * cmd_console.c — `idwatch console [--listen ADDR]`: the HTTP server
 * (serve/serve.h: the API, the console pages, /metrics) alone, for a
 * database whose daemon runs elsewhere on the host.  No pipeline: it
 * reads, and writes only reviews (short write transactions, like `alerts
 * ack`; the writer lock is not taken).  Reviews are queued in the outbox
 * for the configured webhooks; the daemon delivers them.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
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
            "usage: idwatch console [--listen ADDR]\n"
            "\n"
            "Serves the JSON API, the web console and /metrics for the database until\n"
            "SIGTERM/SIGINT, without polling (the daemon may run beside it).\n"
            "  --listen ADDR   IP:PORT (default: serve.listen, else 127.0.0.1:8642); an\n"
            "                  address that is not loopback needs serve.tls_cert/tls_key\n"
            "                  or serve.allow_plaintext_remote\n"
            "\n"
            "Exit codes: 0 stopped by a signal, 1 failure, 2 usage.\n");
}

static int parse(int argc, char **argv, const char **listen)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };

    for (;;) {
        int c = getopt_long(argc, argv, "h", opts, NULL);
        if (c == -1)
            break;
        if (c == 'l') {
            *listen = optarg;
        } else if (c == 'h') {
            usage(stdout);
            return 1;
        } else {
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return -1;
    }
    return 0;
}

int idw_cmd_console(struct idw_cli *cli, int argc, char **argv)
{
    const char *listen = NULL;
    struct idw_serve_opts o;
    struct idw_server *srv = NULL;
    struct idw_metrics_src msrc;
    struct idw_store *st;
    int configured, rc = parse(argc, argv, &listen);
    char err[512];

    if (rc)
        return rc > 0 ? IDW_EXIT_OK : IDW_EXIT_USAGE;
    if (idw_cli_load_config(cli) < 0)
        return IDW_EXIT_FAILURE;
    if (idw_serve_config(&cli->cfg, listen, &o, &configured, err, sizeof err) < 0) {
        log_error("configuration: %s", err);
        return IDW_EXIT_FAILURE;
    }
    st = idw_cli_open_store(cli, 0);
    if (!st)
        return IDW_EXIT_FAILURE;
    msrc = (struct idw_metrics_src){.cfg = &cli->cfg, .st = st};
    o.st = st;
    o.metrics = idw_metrics_scrape;
    o.metrics_ctx = &msrc;
    signal(SIGINT, on_stop);
    signal(SIGTERM, on_stop);
    signal(SIGPIPE, SIG_IGN);
    if (idw_serve_start(&o, &srv, err, sizeof err) < 0) {
        log_error("%s", err);
        idw_store_close(st);
        return IDW_EXIT_FAILURE;
    }
    log_info("console on %s://%s/", *o.tls_cert ? "https" : "http", o.listen);
    while (!console_stop)
        idw_sleep_ms(1000, &console_stop);
    idw_serve_stop(srv);
    idw_store_close(st);
    return IDW_EXIT_OK;
}
