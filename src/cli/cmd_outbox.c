/*
 * cmd_outbox.c — `idwatch outbox list|retry|deliver`: the operator's view
 * of webhook delivery (deliver/outbox.h, deliver/deliver.h).
 *
 *   list [--json]        pending deliveries and dead letters, queue order
 *   retry SEQ|ALERT_ID|--all
 *                        dead letters (and waiting retries) become due now
 *   deliver              one bounded pass now: every pending entry is tried
 *                        once (what `run --once` does after polling)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert/alert.h"
#include "alert/incident.h"
#include "cli/cli.h"
#include "common/log.h"
#include "deliver/deliver.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: idwatch outbox list [--json]\n"
            "       idwatch outbox retry SEQ|ALERT_ID|--all   (ALERT_ID: or a unique prefix)\n"
            "       idwatch outbox deliver\n"
            "\n"
            "  list      deliveries waiting for their webhook: pending retries and dead letters\n"
            "  retry     make dead letters (and waiting retries) due now, with the alert as it is\n"
            "            now and a fresh set of tries; `run` delivers them\n"
            "  deliver   try every pending delivery once, now, and report\n"
            "\n"
            "Delivered entries leave the outbox.  Exit 4 when retry matches nothing.\n");
}

/* ---- list ----------------------------------------------------------------------- */

static int print_entry(uint64_t seq, json_t *e, void *vjson)
{
    int json = *(int *)vjson;
    char next[IDW_TIME_STRLEN];

    json_object_del(e, "alert");        /* the body: `alerts show` has it */
    if (json) {
        json_dumpf(e, stdout, JSON_COMPACT | JSON_SORT_KEYS);
        putchar('\n');
        return 0;
    }
    long long status = json_integer_value(json_object_get(e, "last_status"));
    const char *error = json_string_value(json_object_get(e, "last_error"));
    char last[300];

    if (status)
        snprintf(last, sizeof last, "HTTP %lld", status);
    else
        snprintf(last, sizeof last, "%s", error && *error ? error : "-");
    idw_time_format(json_integer_value(json_object_get(e, "next_ms")), next);
    int inflight = json_integer_value(json_object_get(e, "lease_until_ms")) > idw_now_ms();
    printf("%-6llu %-8s %3lld  %-24s %-36s v%-3lld %-18s %-8s %s  %s\n", (unsigned long long)seq,
           inflight ? "inflight" : json_string_value(json_object_get(e, "state")),
           (long long)json_integer_value(json_object_get(e, "attempts")), next,
           json_string_value(json_object_get(e, "alert_id")),
           (long long)json_integer_value(json_object_get(e, "version")),
           json_string_value(json_object_get(e, "rule")),
           json_string_value(json_object_get(e, "severity")),
           json_string_value(json_object_get(e, "target")), last);
    return 0;
}

static int cmd_list(struct idw_store *st, int json)
{
    MDB_txn *txn;
    char err[256];
    int rc;

    if (idw_store_begin(st, 1, &txn, err, sizeof err) < 0) {
        log_error("%s", err);
        return IDW_EXIT_FAILURE;
    }
    if (!json)
        printf("%-6s %-8s %3s  %-24s %-36s %-4s %-18s %-8s %s\n", "SEQ", "STATE", "TRY", "NEXT ATTEMPT",
               "ALERT", "VER", "RULE", "SEVERITY", "WEBHOOK  LAST RESULT");
    rc = idw_outbox_each(st, txn, print_entry, &json, err, sizeof err);
    mdb_txn_abort(txn);
    if (rc < 0) {
        log_error("%s", err);
        return IDW_EXIT_FAILURE;
    }
    return IDW_EXIT_OK;
}

/* ---- retry ------------------------------------------------------------------------ */

struct retry {
    const char *what;               /* seq, alert id, or NULL for all */
    uint64_t seqs[4096];
    size_t n;
};

static int match_retry(uint64_t seq, json_t *e, void *vr)
{
    struct retry *r = vr;
    char num[32];

    const char *id = json_string_value(json_object_get(e, "alert_id"));

    snprintf(num, sizeof num, "%llu", (unsigned long long)seq);
    if (r->what && strcmp(r->what, num) != 0 && (!id || strcmp(r->what, id) != 0))
        return 0;
    if (r->n == sizeof r->seqs / sizeof r->seqs[0])
        return 1;
    r->seqs[r->n++] = seq;
    return 0;
}

/*
 * The alert as it is now: IDW_OK with *out, IDW_NOTFOUND when the entry
 * names no stored alert (it is re-sent as queued), IDW_ERR on a read error
 * — which must stop the retry: the entry would otherwise go out carrying
 * a version older than the alert's.
 */
static enum idw_rc current_alert(struct idw_store *st, MDB_txn *txn, const json_t *e, json_t **out,
                                 char *err, size_t errlen)
{
    const char *domain = json_string_value(json_object_get(e, "domain"));
    const char *id = json_string_value(json_object_get(e, "alert_id"));

    const char *kind = json_string_value(json_object_get(e, "kind"));

    *out = NULL;
    if (!domain || !id)
        return IDW_NOTFOUND;
    if (kind && !strcmp(kind, "incident"))
        return idw_incident_find(st, txn, id, out, err, errlen);
    return idw_alert_get(st, txn, domain, id, out, err, errlen);
}

/*
 * Due now, with a fresh set of tries, carrying the alert as it is now: a
 * dead letter revived after a newer version went out must not arrive as
 * an older one.
 */
static int revive(struct idw_store *st, MDB_txn *txn, uint64_t seq, char *err, size_t errlen)
{
    json_t *e, *a;
    int rc = idw_outbox_get(st, txn, seq, &e, err, errlen);

    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (current_alert(st, txn, e, &a, err, errlen) == IDW_ERR) {
        json_decref(e);
        return -1;
    }
    if (a) {
        json_object_set_new(e, "version", json_integer(idw_alert_version(a)));
        json_object_set_new(e, "severity", json_string(idw_severity_name(idw_alert_severity(a))));
        json_object_set_new(e, "alert", a);
    }
    json_object_set_new(e, "attempts", json_integer(0));
    json_object_set_new(e, "retry_since_ms", json_integer(idw_now_ms()));
    json_object_set_new(e, "state", json_string("pending"));
    json_object_set_new(e, "next_ms", json_integer(idw_now_ms()));
    rc = idw_outbox_put(st, txn, seq, e, err, errlen);
    json_decref(e);
    return rc;
}

/*
 * What `retry` matches: a sequence number (all digits) as typed; an alert
 * id or a unique prefix of one as the full id (into id); an id no stored
 * alert has (its entry may outlive it) as typed.  IDW_EXIT_OK, or the
 * exit code of an ambiguous prefix or a read error (printed).
 */
static int retry_target(struct idw_store *st, MDB_txn *txn, const char *typed, char *id, size_t len)
{
    char err[256];
    json_t *a = NULL;
    int rc;

    idw_strlcpy(id, typed, len);
    if (strspn(typed, "0123456789") == strlen(typed) || idw_alert_check_prefix(typed, err, sizeof err))
        return IDW_EXIT_OK;
    rc = idw_cli_find_alert(st, txn, typed, &a);
    if (rc == IDW_EXIT_OK)
        idw_strlcpy(id, idw_alert_id(a), len);
    json_decref(a);
    return rc == IDW_EXIT_NOT_FOUND ? IDW_EXIT_OK : rc;
}

static int cmd_retry(struct idw_store *st, const char *what)
{
    static struct retry r;
    static char id[128];
    MDB_txn *txn;
    char err[256];
    int rc;

    r.what = strcmp(what, "--all") ? id : NULL;
    r.n = 0;
    if (idw_store_begin(st, 0, &txn, err, sizeof err) < 0) {
        log_error("%s", err);
        return IDW_EXIT_FAILURE;
    }
    rc = r.what ? retry_target(st, txn, what, id, sizeof id) : IDW_EXIT_OK;
    if (rc != IDW_EXIT_OK) {
        mdb_txn_abort(txn);
        return rc;
    }
    if (idw_outbox_each(st, txn, match_retry, &r, err, sizeof err) < 0) {
        mdb_txn_abort(txn);
        log_error("%s", err);
        return IDW_EXIT_FAILURE;
    }
    for (size_t i = 0; i < r.n; i++)
        if (revive(st, txn, r.seqs[i], err, sizeof err) < 0) {
            mdb_txn_abort(txn);
            log_error("%s", err);
            return IDW_EXIT_FAILURE;
        }
    if (idw_store_commit(txn, err, sizeof err) < 0) {
        log_error("%s", err);
        return IDW_EXIT_FAILURE;
    }
    printf("%zu deliveries due now\n", r.n);
    return r.n || !r.what ? IDW_EXIT_OK : IDW_EXIT_NOT_FOUND;
}

/* ---- deliver ------------------------------------------------------------------------ */

static int cmd_deliver(struct idw_cli *cli, struct idw_store *st)
{
    struct idw_webhooks *wh = NULL;
    struct idw_delivery_stats s = {0};
    int64_t next;
    char err[512];
    size_t n;
    enum idw_rc rc;

    if (idw_webhooks_load(cli->cfg.root, &wh, err, sizeof err) < 0) {
        log_error("%s", err);
        return IDW_EXIT_FAILURE;
    }
    if (!wh) {
        log_error("no webhooks in the configuration");
        return IDW_EXIT_FAILURE;
    }
    rc = idw_deliver_pending(st, wh, (size_t)-1, 1, NULL, &next, &s, &n, err, sizeof err);
    idw_webhooks_free(wh);
    if (rc < 0) {
        log_error("%s", err);
        return IDW_EXIT_FAILURE;
    }
    printf("attempted %zu: delivered %llu, to retry %llu, dead %llu; %llu superseded by newer versions\n",
           n, (unsigned long long)s.ok, (unsigned long long)s.retried, (unsigned long long)s.dead,
           (unsigned long long)s.superseded);
    return IDW_EXIT_OK;
}

int idw_cmd_outbox(struct idw_cli *cli, int argc, char **argv)
{
    struct idw_store *st;
    const char *sub = argc > 1 ? argv[1] : "";
    int rc, json = argc == 3 && !strcmp(argv[2], "--json");

    if (idw_cli_asks_help(argc, argv)) {     /* `retry --help` once ran a retry */
        usage(stdout);
        return IDW_EXIT_OK;
    }
    if (!((!strcmp(sub, "list") && (argc == 2 || json)) || (!strcmp(sub, "retry") && argc == 3) ||
          (!strcmp(sub, "deliver") && argc == 2))) {
        usage(stderr);
        return IDW_EXIT_USAGE;
    }
    if (idw_cli_load_config(cli) < 0)
        return IDW_EXIT_FAILURE;
    st = idw_cli_open_store(cli, !strcmp(sub, "list"));
    if (!st)
        return IDW_EXIT_FAILURE;
    if (!strcmp(sub, "list"))
        rc = cmd_list(st, json);
    else if (!strcmp(sub, "retry"))
        rc = cmd_retry(st, argv[2]);
    else
        rc = cmd_deliver(cli, st);
    idw_store_close(st);
    return rc;
}
