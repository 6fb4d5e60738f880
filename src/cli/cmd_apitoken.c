/*
 * cmd_apitoken.c — `idwatch api-token create|list|revoke`: the bearer
 * tokens of the HTTP API (serve/token.h).  create prints the token once,
 * on stdout, and nothing else there; the database keeps only its hash.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "common/log.h"
#include "serve/token.h"

struct tok_args {
    const char *name, *role;
    int json;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: idwatch api-token create --name NAME --role viewer|analyst|admin\n"
            "       idwatch api-token list [--json]\n"
            "       idwatch api-token revoke NAME\n"
            "\n"
            "  create   makes a bearer token for the HTTP API and prints it once (only its\n"
            "           SHA-256 is stored: keep it in the client's secret store)\n"
            "  list     the tokens' names, roles and creation times (never the tokens)\n"
            "  revoke   deletes the token NAME: its requests get 401 from then on\n"
            "\n"
            "Exit codes: 0 ok, 1 failure (also: the name exists), 2 usage, 4 no such token.\n");
}

static int parse(int argc, char **argv, struct tok_args *a)
{
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'n'}, {"role", required_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };

    for (;;) {
        int c = getopt_long(argc, argv, "h", opts, NULL);
        if (c == -1)
            break;
        if (c == 'n')
            a->name = optarg;
        else if (c == 'r')
            a->role = optarg;
        else if (c == 'j')
            a->json = 1;
        else if (c == 'h') {
            usage(stdout);
            return 1;
        } else {
            usage(stderr);
            return -1;
        }
    }
    return 0;
}

static int do_create(struct idw_store *st, MDB_txn *txn, const struct tok_args *a, int *consumed)
{
    char token[IDW_TOKEN_STRLEN], err[256];
    enum idw_role role;
    enum idw_rc rc;

    if (idw_role_parse(a->role, &role) < 0) {
        log_error("--role: expected viewer, analyst or admin");
        return IDW_EXIT_USAGE;
    }
    rc = idw_token_create(st, txn, a->name, role, idw_now_ms(), token, err, sizeof err);
    if (rc != IDW_OK) {
        log_error("%s", err);
        return IDW_EXIT_FAILURE;
    }
    *consumed = 1;
    if (idw_store_commit(txn, err, sizeof err) < 0) {
        OPENSSL_cleanse(token, sizeof token);
        log_error("cannot store the token: %s", err);
        return IDW_EXIT_FAILURE;
    }
    printf("%s\n", token);
    fflush(stdout);
    OPENSSL_cleanse(token, sizeof token);
    fprintf(stderr, "api token '%s' (%s) created: it is shown only this once\n", a->name,
            idw_role_name(role));
    return IDW_EXIT_OK;
}

static int do_list(struct idw_store *st, MDB_txn *txn, int json)
{
    json_t *arr, *t;
    size_t i;
    char err[256];

    if (idw_token_list(st, txn, &arr, err, sizeof err) < 0) {
        log_error("%s", err);
        return IDW_EXIT_FAILURE;
    }
    if (!json && json_array_size(arr))
        printf("%-32s %-8s %s\n", "NAME", "ROLE", "CREATED");
    json_array_foreach(arr, i, t) {
        if (json) {
            char *line = json_dumps(t, JSON_COMPACT);
            if (line)
                puts(line);
            free(line);
        } else {
            printf("%-32s %-8s %s\n", json_string_value(json_object_get(t, "name")),
                   json_string_value(json_object_get(t, "role")),
                   json_string_value(json_object_get(t, "created")));
        }
    }
    json_decref(arr);
    return IDW_EXIT_OK;
}

static int do_revoke(struct idw_store *st, MDB_txn *txn, const char *name, int *consumed)
{
    char err[256];
    enum idw_rc rc = idw_token_revoke(st, txn, name, err, sizeof err);

    if (rc == IDW_NOTFOUND) {
        log_error("no api token named '%s'", name);
        return IDW_EXIT_NOT_FOUND;
    }
    if (rc != IDW_OK) {
        log_error("%s", err);
        return IDW_EXIT_FAILURE;
    }
    *consumed = 1;
    if (idw_store_commit(txn, err, sizeof err) < 0) {
        log_error("cannot revoke the token: %s", err);
        return IDW_EXIT_FAILURE;
    }
    fprintf(stderr, "api token '%s' revoked\n", name);
    return IDW_EXIT_OK;
}

int idw_cmd_api_token(struct idw_cli *cli, int argc, char **argv)
{
    struct tok_args a = {0};
    const char *sub = argc > 1 ? argv[1] : "";
    int create = !strcmp(sub, "create"), list = !strcmp(sub, "list"), revoke = !strcmp(sub, "revoke");
    int rc, nargs, consumed = 0;
    struct idw_store *st;
    MDB_txn *txn;
    char err[256];

    if (argc < 2 || !strcmp(sub, "--help") || !strcmp(sub, "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? IDW_EXIT_USAGE : IDW_EXIT_OK;
    }
    rc = parse(argc - 1, argv + 1, &a);
    if (rc)
        return rc > 0 ? IDW_EXIT_OK : IDW_EXIT_USAGE;
    nargs = argc - 1 - optind;
    if (!(create || list || revoke) || nargs != (revoke ? 1 : 0) || (create && (!a.name || !a.role)) ||
        (!create && (a.name || a.role)) || (a.json && !list)) {
        usage(stderr);
        return IDW_EXIT_USAGE;
    }
    if (idw_cli_load_config(cli) < 0)
        return IDW_EXIT_FAILURE;
    st = idw_cli_open_store(cli, list);
    if (!st)
        return IDW_EXIT_FAILURE;
    if (idw_store_begin(st, list, &txn, err, sizeof err) < 0) {
        log_error("%s", err);
        idw_store_close(st);
        return IDW_EXIT_FAILURE;
    }
    if (create)
        rc = do_create(st, txn, &a, &consumed);
    else if (list)
        rc = do_list(st, txn, a.json);
    else
        rc = do_revoke(st, txn, argv[optind + 1], &consumed);
    if (!consumed)
        mdb_txn_abort(txn);
    idw_store_close(st);
    return rc;
}
