/*
 * console_cluster.c — the distributed-mode console's mirror and review
 * hooks (console_cluster.h).
 */
#include "cli/console_cluster.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alert/alert.h"
#include "cluster/command.h"
#include "cluster/js.h"
#include "cluster/mirror.h"
#include "cluster/partition.h"
#include "common/log.h"
#include "common/util.h"
#include "source/okta_poll.h"

#define NATS_TIMEOUT_MS 5000
#define RETRY_MS 5000               /* one NATS request's retries (an election) */
#define PUBLISH_DEADLINE_MS 10000   /* a review's publish: below a browser's patience */
#define WAIT_POLL_MS 100            /* how often a waiting review looks at the stream */
#define ERROR_LOG_MS 60000

struct idw_console_cluster {
    pthread_mutex_t mu;             /* guards js and the mirror's writes */
    struct idw_js *js;
    struct idw_store *st;
    struct idw_partitioning pt;
    int64_t wait_ms;
    int64_t logged_ms;              /* the last follow failure logged (under mu) */
};

/* cluster.mirror_dir, else <db>/cluster/mirror (its parents created); 0, or -1 (said). */
static int mirror_dir(const struct idw_cli *cli, char *out, size_t len)
{
    const char *dir = json_string_value(json_object_get(json_object_get(cli->cfg.root, "cluster"),
                                                        "mirror_dir"));
    char parent[4096];

    if (dir) {
        if (idw_strlcpy(out, dir, len) < len)
            return 0;
        log_error("cluster.mirror_dir: path too long");
        return -1;
    }
    if ((size_t)snprintf(parent, sizeof parent, "%s/cluster", cli->cfg.db_path) >= sizeof parent ||
        (size_t)snprintf(out, len, "%s/mirror", parent) >= len) {
        log_error("the mirror's directory (<db>/cluster/mirror): path too long");
        return -1;
    }
    if ((mkdir(cli->cfg.db_path, 0700) && errno != EEXIST) || (mkdir(parent, 0700) && errno != EEXIST)) {
        log_error("%s: %s", parent, strerror(errno));
        return -1;
    }
    return 0;
}

/* cluster.review_wait_ms, 0..IDW_REVIEW_WAIT_MS_MAX; 0, or -1 (said). */
static int wait_conf(const struct idw_cli *cli, int64_t *ms)
{
    const json_t *v = json_object_get(json_object_get(cli->cfg.root, "cluster"), "review_wait_ms");

    *ms = IDW_REVIEW_WAIT_MS_DEFAULT;
    if (!v)
        return 0;
    *ms = json_integer_value(v);
    if (*ms < 0 || *ms > IDW_REVIEW_WAIT_MS_MAX) {
        log_error("cluster.review_wait_ms: expected 0 to %d (milliseconds)", IDW_REVIEW_WAIT_MS_MAX);
        return -1;
    }
    return 0;
}

/*
 * One budgeted step of following the stream, under the lock (or nothing,
 * 0, when !wait_for_lock and another thread holds it).  1 when more is
 * left to read, 0 when caught up, -1 on an error (logged at most every
 * ERROR_LOG_MS).
 */
static int follow_step(struct idw_console_cluster *c, uint64_t budget, int wait_for_lock)
{
    struct idw_mirror_stats s;
    char err[512];
    enum idw_rc rc;
    int say;

    if (!wait_for_lock) {
        if (pthread_mutex_trylock(&c->mu) != 0)
            return 0;   /* the main loop is following: nothing to add */
    } else {
        pthread_mutex_lock(&c->mu);
    }
    rc = idw_mirror_follow(c->js, c->st, RETRY_MS, budget, &s, err, sizeof err);
    say = rc != IDW_OK && idw_now_ms() - c->logged_ms >= ERROR_LOG_MS;
    if (say)
        c->logged_ms = idw_now_ms();    /* under the lock: the server thread follows too */
    pthread_mutex_unlock(&c->mu);
    if (say)
        log_error("mirror of the alerts stream: %s (retried)", err);
    else if (rc == IDW_OK && s.read)
        log_debug("mirror: %llu read, %llu written, %llu not newer, %llu skipped; at seq %llu",
                  (unsigned long long)s.read, (unsigned long long)s.written, (unsigned long long)s.stale,
                  (unsigned long long)s.bad, (unsigned long long)s.position);
    return rc != IDW_OK ? -1 : s.behind > 0;
}

void idw_console_cluster_follow(struct idw_console_cluster *c, volatile sig_atomic_t *stop)
{
    /* a pause between batches: a mutex is not fair, and a review's publish waits on it */
    while (!*stop && follow_step(c, IDW_MIRROR_BATCH, 1) > 0)
        (void)idw_sleep_ms(2, stop);
}

/* ---- the review hooks (serve.h) ----------------------------------------------------------- */

static const char *status_word(enum idw_alert_status s)
{
    return s == IDW_ALERT_OPEN ? NULL : idw_alert_status_name(s);
}

/* m published to org's partition under its Msg-Id; IDW_OK with *seq, or IDW_ERR with err. */
static enum idw_rc publish(struct idw_console_cluster *c, const json_t *m, const char *org, uint64_t *seq,
                           char *err, size_t errlen)
{
    char msgid[IDW_COMMAND_MSGID_MAX], *data = json_dumps(m, JSON_COMPACT);
    unsigned p = idw_partition_of(&c->pt, org);
    int dup = 0;
    enum idw_rc rc;

    if (!data || idw_command_msg_id(m, msgid) != IDW_OK) {
        free(data);
        snprintf(err, errlen, "out of memory");
        return IDW_ERR;
    }
    pthread_mutex_lock(&c->mu);
    rc = idw_js_publish(c->js, p, msgid, data, strlen(data), idw_js_now_ms() + PUBLISH_DEADLINE_MS, seq, &dup,
                        err, errlen);
    pthread_mutex_unlock(&c->mu);
    free(data);
    if (rc == IDW_OK)
        log_info("review of alert %s published to partition %u (stream IDW_P%u) at seq %llu%s; command %s",
                 json_string_value(json_object_get(m, "alert_id")), p, p, (unsigned long long)*seq,
                 dup ? " (a duplicate)" : "", json_string_value(json_object_get(m, "id")));
    return rc == IDW_OK ? IDW_OK : IDW_ERR;
}

static enum idw_rc review_publish(void *ctx, const json_t *alert, const struct idw_alert_review *rv, char *id,
                                  size_t idlen, char *err, size_t errlen)
{
    struct idw_console_cluster *c = ctx;
    const char *org = idw_alert_domain(alert);
    struct idw_command_review crv = {.alert_id = idw_alert_id(alert), .status = status_word(rv->to),
                                     .assignee = rv->assignee, .note = rv->note};
    char cid[IDW_COMMAND_ID_HEX + 1];
    json_t *m = NULL;
    uint64_t seq = 0;
    enum idw_rc rc;

    if (!crv.status) {
        snprintf(err, errlen, "in the distributed mode a review sets a status (acknowledged, resolved or "
                              "false_positive): an assignment or a note alone is not a command of the log");
        return IDW_EXISTS;
    }
    if (idw_command_new_id(cid, err, errlen) != IDW_OK)
        return IDW_ERR;
    if (idw_command_build(org ? org : "", "review", rv->at_ms, rv->by, cid, &crv, NULL, &m, err, errlen) !=
        IDW_OK)
        return IDW_EXISTS;
    rc = publish(c, m, org, &seq, err, errlen);
    json_decref(m);
    if (rc != IDW_OK)
        return IDW_ERR;
    idw_strlcpy(id, cid, idlen);
    return IDW_OK;
}

/* The mirrored version of (org, alert_id): IDW_OK with *doc when above `above`, else IDW_NOTFOUND. */
static enum idw_rc newer(struct idw_console_cluster *c, const char *org, const char *alert_id, int64_t above,
                         json_t **doc)
{
    MDB_txn *txn;
    char err[256];
    enum idw_rc rc;

    *doc = NULL;
    if (idw_store_begin(c->st, 1, &txn, err, sizeof err) != IDW_OK)
        return IDW_NOTFOUND;
    rc = idw_alert_get(c->st, txn, org, alert_id, doc, err, sizeof err);
    mdb_txn_abort(txn);
    if (rc == IDW_OK && idw_alert_version(*doc) > above)
        return IDW_OK;
    json_decref(*doc);
    *doc = NULL;
    return IDW_NOTFOUND;
}

static enum idw_rc review_wait(void *ctx, const char *org, const char *alert_id, int64_t above,
                               int64_t deadline_ms, json_t **doc)
{
    struct idw_console_cluster *c = ctx;

    for (;;) {
        if (newer(c, org ? org : "", alert_id ? alert_id : "", above, doc) == IDW_OK)
            return IDW_OK;
        if (idw_now_ms() >= deadline_ms)
            return IDW_BUSY;
        (void)idw_sleep_ms(WAIT_POLL_MS, NULL);
        (void)follow_step(c, IDW_MIRROR_BATCH, 0);  /* one batch unless the main loop is at it */
    }
}

/* ---- opening --------------------------------------------------------------------------------- */

enum idw_rc idw_console_cluster_open(struct idw_cli *cli, const char *const *urls, size_t n,
                                     struct idw_console_cluster **out)
{
    struct idw_console_cluster *c = calloc(1, sizeof *c);
    struct idw_mirror_stats s;
    char dir[4096], err[512];

    *out = NULL;
    if (!c) {
        log_error("console: out of memory");
        return IDW_ERR;
    }
    pthread_mutex_init(&c->mu, NULL);
    if (wait_conf(cli, &c->wait_ms) < 0 || mirror_dir(cli, dir, sizeof dir) < 0)
        goto fail;
    if (idw_partitioning_load(cli->cfg.root, &c->pt, err, sizeof err) != IDW_OK ||
        idw_store_open(dir, cli->cfg.map_size_mb, 0, &c->st, err, sizeof err) != IDW_OK ||
        idw_js_dial(cli->cfg.root, urls, n, NATS_TIMEOUT_MS, &c->js, err, sizeof err) != IDW_OK) {
        log_error("%s", err);
        goto fail;
    }
    /* caught up before serving; a failure here is retried by the loop like any other */
    if (idw_mirror_follow(c->js, c->st, RETRY_MS, 0, &s, err, sizeof err) == IDW_OK)
        log_info("mirror of the alerts stream: %s, at seq %llu (%llu messages read)", dir,
                 (unsigned long long)s.position, (unsigned long long)s.read);
    else
        log_error("mirror of the alerts stream: %s: %s (retried)", dir, err);
    *out = c;
    return IDW_OK;
fail:
    idw_console_cluster_close(c);
    return IDW_ERR;
}

struct idw_store *idw_console_cluster_store(struct idw_console_cluster *c)
{
    return c->st;
}

void idw_console_cluster_wire(struct idw_console_cluster *c, struct idw_serve_opts *o)
{
    o->st = c->st;
    o->distributed = 1;
    o->review_publish = review_publish;
    o->review_wait = review_wait;
    o->review_ctx = c;
    o->review_wait_ms = c->wait_ms;
}

void idw_console_cluster_close(struct idw_console_cluster *c)
{
    if (!c)
        return;
    idw_js_close(c->js);
    idw_store_close(c->st);
    idw_partitioning_free(&c->pt);
    pthread_mutex_destroy(&c->mu);
    free(c);
}
