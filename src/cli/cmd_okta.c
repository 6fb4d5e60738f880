/*
 * cmd_okta.c — `idwatch okta test-connection [DOMAIN]` and
 * `idwatch okta resume [DOMAIN]`: the operator's tools for one org's
 * connection to Okta.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "common/log.h"
#include "source/okta_poll.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: idwatch okta test-connection [DOMAIN]\n"
            "       idwatch okta resume [DOMAIN]\n"
            "\n"
            "  test-connection  authenticate and query the System Log; prints OK with the\n"
            "                   number of events in the last hour, or the precise failure\n"
            "  resume           clear a self-pause (after fixing its cause) so `run` polls again\n"
            "\n"
            "DOMAIN defaults to every org in the configuration.\n"
            "Exit codes: 0 ok, 1 failure (or nothing was paused, for resume), 2 usage.\n");
}

static int test_one(const struct idw_org_config *oc)
{
    struct idw_okta_org org;
    char err[1024];
    long events;

    if (idw_okta_org_read(oc, &org, err, sizeof err) < 0) {
        printf("%s: FAILED: %s\n", oc->domain_id, err);
        return -1;
    }
    if (idw_okta_test_connection(&org, &events, err, sizeof err) < 0) {
        printf("%s: FAILED: %s\n", oc->domain_id, err);
        return -1;
    }
    printf("%s: OK — %s, %ld events in the last hour\n", oc->domain_id, org.host, events);
    return 0;
}

static int each_org(struct idw_cli *cli, const char *domain,
                    int (*fn)(struct idw_cli *, const struct idw_org_config *))
{
    int rc = IDW_EXIT_OK, found = 0;
    for (size_t i = 0; i < cli->cfg.n_orgs; i++) {
        const struct idw_org_config *oc = &cli->cfg.orgs[i];
        if (domain && strcmp(domain, oc->domain_id) != 0)
            continue;
        if (!domain && !json_object_get(oc->json, "org_url"))
            continue;
        found = 1;
        if (fn(cli, oc) < 0)
            rc = IDW_EXIT_FAILURE;
    }
    if (!found) {
        log_error(domain ? "no org '%s' in the configuration" : "no org with an org_url%s",
                  domain ? domain : "");
        return IDW_EXIT_FAILURE;
    }
    return rc;
}

static int test_fn(struct idw_cli *cli, const struct idw_org_config *oc)
{
    (void)cli;
    return test_one(oc);
}

static int resume_fn(struct idw_cli *cli, const struct idw_org_config *oc)
{
    struct idw_store *st = idw_cli_open_store(cli, 0);
    char err[512];
    int rc;

    if (!st)
        return -1;
    rc = idw_okta_resume(st, oc->domain_id, err, sizeof err);
    idw_store_close(st);
    if (rc < 0) {
        log_error("%s: %s", oc->domain_id, err);
        return -1;
    }
    printf("%s: %s\n", oc->domain_id, rc == 0 ? "resumed" : "was not paused");
    return 0;
}

int idw_cmd_okta(struct idw_cli *cli, int argc, char **argv)
{
    const char *domain;

    if (argc < 2 || idw_cli_asks_help(argc, argv)) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? IDW_EXIT_USAGE : IDW_EXIT_OK;
    }
    if (argc > 3) {
        usage(stderr);
        return IDW_EXIT_USAGE;
    }
    domain = argc == 3 ? argv[2] : NULL;
    if (strcmp(argv[1], "test-connection") && strcmp(argv[1], "resume")) {
        log_error("okta: unknown subcommand '%s'", argv[1]);
        return IDW_EXIT_USAGE;
    }
    if (idw_cli_load_config(cli) < 0)
        return IDW_EXIT_FAILURE;
    return each_org(cli, domain, strcmp(argv[1], "resume") ? test_fn : resume_fn);
}
