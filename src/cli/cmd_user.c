/*
 * cmd_user.c — `idwatch user add|passwd|list|remove|disable|enable`: the
 * console's users (serve/user.h).  A password never comes from argv: it
 * is read from --password-file (mode 600 or stricter, its first line) or
 * from stdin (one line; echo off on a terminal), and wiped after hashing.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli/cli.h"
#include "common/log.h"
#include "common/util.h"
#include "serve/user.h"

struct user_args {
    const char *role, *password_file;
    int json;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: idwatch user add NAME --role viewer|analyst|admin [--password-file F]\n"
            "       idwatch user passwd NAME [--password-file F]\n"
            "       idwatch user list [--json]\n"
            "       idwatch user remove|disable|enable NAME\n"
            "\n"
            "  add       a console user (the password: the first line of F, which must be\n"
            "            mode 600 or stricter, else one line read from stdin; %d to %d characters)\n"
            "  passwd    a new password; the user's sessions end\n"
            "  list      names, roles, disabled flags and creation times (never the hashes)\n"
            "  remove    deletes the user; disable keeps it but refuses its logins; both end\n"
            "            its sessions at its next request; enable undoes disable\n"
            "\n"
            "Exit codes: 0 ok, 1 failure (also: the name exists, a weak password), 2 usage,\n"
            "4 no such user.\n",
            IDW_PASSWORD_MIN, IDW_PASSWORD_MAX);
}

static int parse(int argc, char **argv, struct user_args *a)
{
    static const struct option opts[] = {
        {"role", required_argument, NULL, 'r'}, {"password-file", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };

    for (;;) {
        int c = getopt_long(argc, argv, "h", opts, NULL);
        if (c == -1)
            break;
        if (c == 'r')
            a->role = optarg;
        else if (c == 'p')
            a->password_file = optarg;
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

/* One line from stdin into buf (echo off on a terminal): 0, or -1 with a message logged. */
static int read_stdin_line(char *buf, size_t cap)
{
    struct termios old, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
    char *got;

    if (tty) {
        fprintf(stderr, "password: ");
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    got = fgets(buf, (int)cap, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fprintf(stderr, "\n");
    }
    if (!got) {
        log_error("no password on stdin (give one line, or --password-file)");
        return -1;
    }
    if (!strchr(buf, '\n') && strlen(buf) >= cap - 1) {
        log_error("the password on stdin is over %d characters", IDW_PASSWORD_MAX);
        return -1;
    }
    return 0;
}

/* The password (first line of the file, or of stdin) into buf: 0, or -1 with a message logged. */
static int read_password(const char *file, char *buf, size_t cap)
{
    char err[512];
    size_t len;

    if (!file) {
        if (read_stdin_line(buf, cap) < 0)
            return -1;
    } else {
        char *text = idw_secret_file_read(file, "--password-file", cap - 1, &len, err, sizeof err);
        if (!text) {
            log_error("%s", err);
            return -1;
        }
        idw_strlcpy(buf, text, cap);
        idw_secret_buf_free(text, len);
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static int fail_rc(enum idw_rc rc, const char *name, const char *err)
{
    if (rc == IDW_NOTFOUND) {
        log_error("no console user named '%s'", name);
        return IDW_EXIT_NOT_FOUND;
    }
    log_error("%s", err);
    return IDW_EXIT_FAILURE;
}

/* add, passwd, remove, disable, enable: one change in write txn, committed. */
static int do_change(struct idw_store *st, MDB_txn *txn, const char *sub, const char *name,
                     const struct user_args *a, int *consumed)
{
    char pw[IDW_PASSWORD_MAX + 2], err[512] = "";
    enum idw_role role = IDW_ROLE_NONE;
    int needs_pw = !strcmp(sub, "add") || !strcmp(sub, "passwd");
    enum idw_rc rc;

    if (!strcmp(sub, "add") && idw_role_parse(a->role, &role) < 0) {
        log_error("--role: expected viewer, analyst or admin");
        return IDW_EXIT_USAGE;
    }
    if (needs_pw && read_password(a->password_file, pw, sizeof pw) < 0)
        return IDW_EXIT_FAILURE;
    if (!strcmp(sub, "add"))
        rc = idw_user_add(st, txn, name, role, pw, idw_now_ms(), err, sizeof err);
    else if (!strcmp(sub, "passwd"))
        rc = idw_user_passwd(st, txn, name, pw, err, sizeof err);
    else if (!strcmp(sub, "remove"))
        rc = idw_user_remove(st, txn, name, err, sizeof err);
    else
        rc = idw_user_set_disabled(st, txn, name, !strcmp(sub, "disable"), err, sizeof err);
    if (needs_pw)
        OPENSSL_cleanse(pw, sizeof pw);
    if (rc != IDW_OK)
        return fail_rc(rc, name, err);
    *consumed = 1;
    if (idw_store_commit(txn, err, sizeof err) < 0) {
        log_error("cannot store the change: %s", err);
        return IDW_EXIT_FAILURE;
    }
    fprintf(stderr, "console user '%s': %s done\n", name, sub);
    return IDW_EXIT_OK;
}

static int do_list(struct idw_store *st, MDB_txn *txn, int json)
{
    json_t *arr, *u;
    size_t i;
    char err[256];

    if (idw_user_list(st, txn, &arr, err, sizeof err) < 0) {
        log_error("%s", err);
        return IDW_EXIT_FAILURE;
    }
    if (!json && json_array_size(arr))
        printf("%-32s %-8s %-9s %s\n", "NAME", "ROLE", "DISABLED", "CREATED");
    json_array_foreach(arr, i, u) {
        if (json) {
            char *line = json_dumps(u, JSON_COMPACT);
            if (line)
                puts(line);
            free(line);
        } else {
            printf("%-32s %-8s %-9s %s\n", json_string_value(json_object_get(u, "name")),
                   json_string_value(json_object_get(u, "role")),
                   json_is_true(json_object_get(u, "disabled")) ? "yes" : "no",
                   json_string_value(json_object_get(u, "created")));
        }
    }
    json_decref(arr);
    return IDW_EXIT_OK;
}

/* The shape of the command line: 0 fine, -1 usage. */
static int check_shape(const char *sub, int nargs, const struct user_args *a)
{
    int list = !strcmp(sub, "list"), add = !strcmp(sub, "add"), pw = add || !strcmp(sub, "passwd");
    int known = list || pw || !strcmp(sub, "remove") || !strcmp(sub, "disable") || !strcmp(sub, "enable");

    if (!known || nargs != (list ? 0 : 1) || (add != (a->role != NULL)) || (a->password_file && !pw) ||
        (a->json && !list))
        return -1;
    return 0;
}

int idw_cmd_user(struct idw_cli *cli, int argc, char **argv)
{
    struct user_args a = {0};
    const char *sub = argc > 1 ? argv[1] : "";
    int rc, nargs, consumed = 0, list = !strcmp(sub, "list");
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
    if (check_shape(sub, nargs, &a) < 0) {
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
    if (list)
        rc = do_list(st, txn, a.json);
    else
        rc = do_change(st, txn, sub, argv[optind + 1], &a, &consumed);
    if (!consumed)
        mdb_txn_abort(txn);
    idw_store_close(st);
    return rc;
}
