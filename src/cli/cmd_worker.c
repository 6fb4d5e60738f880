/*
 * cmd_worker.c — `idwatch worker --slot i --slots N`: one worker of the
 * scale-out mode (docs/scale-out.md).
 *
 * The worker owns the partitions p with p mod N == i.  For each it keeps
 * one LMDB database (<db>/cluster/p<N>, under its own writer lock), applies
 * the partition's stream into it in order (cluster/apply.h), runs the
 * pollers of the partition's orgs and delivers the database's outbox to
 * the webhooks, as `run` does for its one database.
 *
 * A poller here does not feed a pipeline.  Its page sink collects the
 * page, publishes it to the partition's stream (cluster/publish.h) and
 * then applies the stream up to that page, on this thread, before the
 * poller asks for the next one (stop and wait).  The cursor's truth is
 * the log: before each request the org's committed cursor is read from
 * the database, handed to the poller when it changed (another worker's
 * page, a restart), and recorded as the page's cursor_polled, so a page
 * fetched from a cursor the log has left behind is skipped by every
 * applier alike.  The poller's own state (counters, pause, rate limits)
 * is written after the page applied, in a transaction of its own.
 *
 * Threads: the fetch pool of `run` (poll_pool.h) for the HTTP requests;
 * everything that touches LMDB or NATS runs on the main thread.
 * SIGTERM/SIGINT stop between pages.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/poll_pool.h"
#include "cluster/alertstream.h"
#include "cluster/apply.h"
#include "cluster/command.h"
#include "cluster/js.h"
#include "cluster/partition.h"
#include "cluster/publish.h"
#include "cluster/rulepack.h"
#include "cluster/snapshot.h"
#include "cluster/status.h"
#include "cluster/stream_check.h"
#include "cluster/wal.h"
#include "common/log.h"
#include "common/util.h"
#include "deliver/deliver.h"
#include "source/okta_poll.h"

#define NATS_TIMEOUT_MS 5000
#define RETRY_DEADLINE_MS 60000
#define MAX_URLS 16
#define FETCH_THREADS_MAX 16
#define DRAIN_EVERY_MS 1000     /* how often the streams are read for what others published */
#define HEARTBEAT_EVERY_MS 10000    /* cluster status: a heartbeat older than 60 s is stale */
#define HEARTBEAT_WARN_EVERY_MS 60000
#define HEARTBEAT_DEADLINE_MS 3000   /* a heartbeat never holds the worker up for long */

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

struct worker_args {
    long slot, slots;
    int once, json;
    const char *urls[MAX_URLS];
    size_t nurls;
};

/* One owned partition: its database, its applier. */
struct w_part {
    unsigned p;
    char dir[4096];
    struct idw_store *st;
    int lock_fd;
    struct idw_apply *ap;
    int64_t delivery_due_ms;
    int64_t snap_ms;            /* when this worker last took (or started without) a snapshot */
    uint64_t snap_seq;          /* the applied_seq of that snapshot */
    uint64_t snap_events;       /* idw_apply_events at that time */
    int stream_checked;         /* the stream is the database's (cluster/stream_check.h) */
};

struct worker;

/* One polled org. */
struct w_org {
    struct worker *w;
    struct w_part *part;
    char domain[IDW_DOMAIN_MAX];
    struct idw_okta_poller *poller;
    json_t *events;             /* the page being fed */
    char *polled;               /* the log's cursor when the request began ("": none) */
    char *synced;               /* the log's cursor last handed to the poller (NULL: none yet) */
    int64_t live_from;
    int64_t due_ms;
    int in_flight, done, paused;
    int held;                   /* paused by an operator's command in the log (cluster pause) */
};

struct worker {
    struct idw_cli *cli;
    const struct worker_args *a;
    struct idw_partitioning pt;
    struct idw_snapshot_config sc;
    struct idw_js *js;
    struct idw_publisher *pub;
    struct idw_alertstream *as;     /* IDW_ALERTS: every alert version, for the provider-wide view */
    struct idw_geodb *geo;
    struct idw_detect *detect;
    struct idw_webhooks *wh;
    struct idw_poll_pool *pool;
    struct w_part *parts;
    size_t nparts;
    struct w_org *orgs;
    size_t norgs;
    int64_t drain_due_ms;
    int64_t started_ms, beat_due_ms, beat_warned_ms;    /* the heartbeat (cluster/status.h) */
    int beat_ensured;
    json_t *rules_msg;              /* the local rules_dir as a rules message: opens new streams */
    char rules_fp[IDW_RULEPACK_FP_HEX + 1];
    unsigned long long pages, published, duplicates, applied, skipped;
};

/* ---- applying the log ------------------------------------------------------------------ */

/*
 * Applies part's stream from its applied_seq to upto (0: the stream's end).
 * -1 on a failure the worker must stop for (storage, NATS past its retries,
 * a message this release must not skip).
 */
static int drain(struct worker *w, struct w_part *pt, uint64_t upto)
{
    char err[768], why[512], *data;
    uint64_t from, last = upto;
    size_t len;
    enum idw_apply_result res;

    if (!pt->stream_checked && idw_stream_check(pt->ap, w->js, pt->p, idw_js_now_ms() + RETRY_DEADLINE_MS,
                                                err, sizeof err) != IDW_OK) {
        log_error("%s", err);
        return -1;
    }
    pt->stream_checked = 1;
    if (idw_apply_seq(pt->ap, &from, err, sizeof err) < 0 ||
        (!upto && idw_js_last_seq(w->js, pt->p, idw_js_now_ms() + RETRY_DEADLINE_MS, &last, err,
                                  sizeof err) < 0)) {
        log_error("partition %u: %s", pt->p, err);
        return -1;
    }
    if (!upto && from > last) {
        log_error("partition %u: this database applied up to seq %llu, but the stream ends at %llu: "
                  "not the stream it was built from", pt->p, (unsigned long long)from,
                  (unsigned long long)last);
        return -1;
    }
    for (uint64_t seq = from + 1; seq <= last && !stop_requested; seq++) {
        if (idw_js_get(w->js, pt->p, seq, idw_js_now_ms() + RETRY_DEADLINE_MS, &data, &len, err,
                       sizeof err) < 0) {
            log_error("partition %u: %s", pt->p, err);
            return -1;
        }
        why[0] = '\0';
        int rc = idw_apply_message(pt->ap, seq, data, len, &res, why, sizeof why, err, sizeof err);
        free(data);
        if (rc < 0) {
            log_error("%s", err);
            return -1;
        }
        if (res == IDW_APPLY_SKIPPED || res == IDW_APPLY_MALFORMED)
            log_warn("partition %u seq %llu: %s: %s", pt->p, (unsigned long long)seq,
                     res == IDW_APPLY_SKIPPED ? "skipped" : "malformed", why);
        w->applied += res == IDW_APPLY_APPLIED;
        w->skipped += res == IDW_APPLY_SKIPPED;
        pt->delivery_due_ms = idw_now_ms();
    }
    return 0;
}

static int drain_all(struct worker *w)
{
    for (size_t i = 0; i < w->nparts && !stop_requested; i++)
        if (drain(w, &w->parts[i], 0) < 0)
            return -1;
    w->drain_due_ms = idw_now_ms() + DRAIN_EVERY_MS;
    return 0;
}

/* ---- the pollers' page sink: publish, then apply ----------------------------------------- */

static enum idw_rc sink_feed(void *ctx, json_t *raw, enum idw_page_verdict *verdict, const char **refusal,
                             char *reason, size_t reasonlen)
{
    struct w_org *o = ctx;
    int64_t t, bound = idw_now_ms() + (int64_t)o->w->cli->cfg.max_future_skew_s * 1000;

    if (json_array_append(o->events, raw) < 0) {
        snprintf(reason, reasonlen, "%s: out of memory", o->domain);
        return IDW_ERR;
    }
    *verdict = IDW_PAGE_ACCEPTED;
    /* the applier refuses it too (the page's fetch time is its clock); it must not steer a restart */
    if (idw_time_parse(json_string_value(json_object_get(raw, "published")), &t) == 0 && t > bound) {
        *verdict = IDW_PAGE_REFUSED;
        *refusal = "future";
        snprintf(reason, reasonlen, "published more than %d s after this host's clock",
                 o->w->cli->cfg.max_future_skew_s);
    }
    return IDW_OK;
}

/* The poller's own state, after its page applied (or was skipped), in a transaction of its own. */
static enum idw_rc run_hook(struct w_org *o, idw_page_hook hook, void *hook_ctx, char *err, size_t errlen)
{
    MDB_txn *txn;

    if (!hook)
        return IDW_OK;
    if (idw_store_begin(o->part->st, 0, &txn, err, errlen) < 0)
        return IDW_ERR;
    if (hook(o->part->st, txn, hook_ctx, err, errlen) < 0) {
        mdb_txn_abort(txn);
        return IDW_ERR;
    }
    return idw_store_commit(txn, err, errlen);
}

static enum idw_rc sink_commit(void *ctx, idw_page_hook hook, void *hook_ctx, char *err, size_t errlen)
{
    struct w_org *o = ctx;
    struct worker *w = o->w;
    const char *next = idw_okta_poller_cursor(o->poller);
    struct idw_publish_result res;
    json_t *page = NULL;
    enum idw_rc rc;

    if (idw_wal_page(o->domain, o->polled ? o->polled : "", next, idw_now_ms(), o->live_from, NULL,
                     o->events, &page, err, errlen) < 0)
        return IDW_ERR;
    rc = idw_publisher_page(w->pub, page, idw_js_now_ms() + RETRY_DEADLINE_MS, &res, err, errlen);
    json_decref(page);
    json_array_clear(o->events);
    if (rc == IDW_NOTFOUND)     /* nothing new and the cursor unchanged: nothing to log */
        return run_hook(o, hook, hook_ctx, err, errlen);
    if (rc < 0)
        return IDW_ERR;
    w->pages++;
    w->published += res.chunks - res.duplicates;
    w->duplicates += res.duplicates;
    if (drain(w, o->part, res.last_seq) < 0) {
        snprintf(err, errlen, "partition %u: the page was published (seq %llu) but not applied", o->part->p,
                 (unsigned long long)res.last_seq);
        return IDW_ERR;
    }
    return run_hook(o, hook, hook_ctx, err, errlen);
}

/*
 * The poller is starved of System Log pages by rate limiting (a competitor
 * drains the org's bucket): in `run` the daemon raises connector_starved
 * itself; here the notice goes into the log as a command, so that every
 * applier raises the same alert at the same time, and is applied at once.
 */
static enum idw_rc sink_starved(void *ctx, const char *domain, int64_t since_ms, int64_t ended_ms,
                                const char *summary, const char *evidence, char *err, size_t errlen)
{
    struct w_org *o = ctx;
    char id[IDW_COMMAND_ID_HEX + 1], msg_id[IDW_COMMAND_MSGID_MAX], *data = NULL;
    json_t *msg = NULL;
    size_t len = 0;
    uint64_t seq = 0;
    int dup = 0;
    enum idw_rc rc = IDW_ERR;

    if (idw_command_new_id(id, err, errlen) < 0)
        return IDW_ERR;
    msg = json_pack("{s:i, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:I, s:s, s:s}", "v", IDW_WAL_VERSION,
                    "type", "command", "org", domain, "command", "starved", "at",
                    (json_int_t)(ended_ms ? ended_ms : idw_now_ms()), "by", "idwatch-worker", "id", id,
                    "since", (json_int_t)since_ms, "ended", (json_int_t)ended_ms, "summary", summary,
                    "evidence", evidence ? evidence : "");
    if (msg && idw_command_msg_id(msg, msg_id) == IDW_OK)
        data = idw_wal_encode(msg, &len);
    if (!data)
        snprintf(err, errlen, "%s: cannot build the starvation notice", domain);
    else if (idw_js_publish(o->w->js, o->part->p, msg_id, data, len, idw_js_now_ms() + RETRY_DEADLINE_MS,
                            &seq, &dup, err, errlen) == IDW_OK)
        rc = drain(o->w, o->part, seq) < 0 ? IDW_ERR : IDW_OK;
    free(data);
    json_decref(msg);
    return rc;
}

static void sink_live_from(void *ctx, int64_t live_from_ms)
{
    struct w_org *o = ctx;
    o->live_from = live_from_ms;
}

/*
 * Before a request: the org's committed cursor, handed to the poller when
 * it changed, and remembered as the cursor the page will say it polled.
 */
static int sync_cursor(struct w_org *o)
{
    char err[512], *cur = NULL, *base;
    int64_t live_from = 0, newest = 0;

    if (idw_apply_cursor(o->part->ap, o->domain, &cur, &live_from, &newest, err, sizeof err) < 0) {
        log_error("%s: %s", o->domain, err);
        return -1;
    }
    if (live_from)
        o->live_from = live_from;   /* the log's, whatever this worker's poller remembers */
    if (!o->synced || strcmp(o->synced, cur) != 0) {
        base = idw_wal_base_cursor(cur);
        if (!base) {
            free(cur);
            return -1;
        }
        idw_okta_poller_set_cursor(o->poller, base, newest, live_from);
        free(base);
        free(o->synced);
        o->synced = strdup(cur);
    }
    free(o->polled);
    o->polled = cur;
    return o->synced ? 0 : -1;
}

/* Whether an operator paused the org through the log (cluster pause); -1 on a read failure. */
static int held(struct w_org *o)
{
    char err[512];
    MDB_txn *txn;
    int paused = 0, was = o->held;

    if (idw_store_begin(o->part->st, 1, &txn, err, sizeof err) < 0)
        goto fail;
    if (idw_command_org_paused(o->part->st, txn, o->domain, &paused, err, sizeof err) < 0) {
        mdb_txn_abort(txn);
        goto fail;
    }
    mdb_txn_abort(txn);
    o->held = paused;
    if (paused != was)
        log_info("%s: %s by a command in the log", o->domain, paused ? "paused" : "resumed");
    return 0;
fail:
    log_error("%s: %s", o->domain, err);
    return -1;
}

/* ---- setup ---------------------------------------------------------------------------- */

static int make_dir(const char *path)
{
    return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/*
 * A partition directory without a database (a new host, a wiped disk):
 * the latest snapshot is restored into it, and the stream replays from its
 * applied_seq + 1; with no snapshot, from 1.  A stream that no longer
 * reaches back to where the snapshot ends fails loudly: events are gone.
 */
static int restore(struct worker *w, struct w_part *pt)
{
    struct idw_snapshot_restore r;
    char err[768], path[4200];
    enum idw_rc rc;

    snprintf(path, sizeof path, "%s/data.mdb", pt->dir);
    if (access(path, F_OK) == 0)
        return 0;
    memset(&r, 0, sizeof r);
    rc = idw_snapshot_restore(w->js, pt->p, pt->dir, RETRY_DEADLINE_MS, &r, err, sizeof err);
    if (rc == IDW_OK) {
        log_info("partition %u: restored snapshot %s (applied_seq %llu); replaying the stream from there",
                 pt->p, r.manifest.snap_id, (unsigned long long)r.manifest.applied_seq);
        return 0;
    }
    if (rc == IDW_NOTFOUND && !r.stream_gap)
        return 0;
    log_error("partition %u: %s", pt->p, err);
    return -1;
}

/* A snapshot of each partition that is due (cluster.snapshot_every_s, _every_events); -1 on failure. */
static int snapshot_due(struct worker *w)
{
    char err[768];

    for (size_t i = 0; i < w->nparts && !stop_requested; i++) {
        struct w_part *pt = &w->parts[i];
        struct idw_snapshot_manifest m;
        uint64_t seq, events = idw_apply_events(pt->ap);
        if (idw_apply_seq(pt->ap, &seq, err, sizeof err) < 0) {
            log_error("partition %u: %s", pt->p, err);
            return -1;
        }
        if (!idw_snapshot_due(&w->sc, idw_now_ms(), pt->snap_ms, pt->snap_seq, seq, events - pt->snap_events))
            continue;
        enum idw_rc rc = idw_snapshot_take(w->js, pt->st, pt->p, &w->sc, NULL, RETRY_DEADLINE_MS, &m, err,
                                           sizeof err);
        if (rc < 0) {
            log_error("partition %u: snapshot: %s", pt->p, err);
            return -1;
        }
        pt->snap_ms = idw_now_ms();
        pt->snap_events = events;
        if (rc == IDW_OK) {
            pt->snap_seq = m.applied_seq;
            log_info("partition %u: snapshot %s at applied_seq %llu (%llu bytes)", pt->p, m.snap_id,
                     (unsigned long long)m.applied_seq, (unsigned long long)m.bytes);
        }
    }
    return 0;
}

static int open_part(struct worker *w, struct w_part *pt, unsigned p)
{
    char err[768], base[4096];
    int n;

    pt->p = p;
    pt->lock_fd = -1;
    n = snprintf(base, sizeof base, "%s/cluster", w->cli->cfg.db_path);
    if (n < 0 || (size_t)n >= sizeof base ||
        (size_t)snprintf(pt->dir, sizeof pt->dir, "%s/p%u", base, p) >= sizeof pt->dir) {
        log_error("%s: path too long", w->cli->cfg.db_path);
        return -1;
    }
    if (make_dir(w->cli->cfg.db_path) < 0 || make_dir(base) < 0 || make_dir(pt->dir) < 0) {
        log_error("%s: cannot create: %s", pt->dir, strerror(errno));
        return -1;
    }
    if (restore(w, pt) < 0)
        return -1;
    pt->snap_ms = idw_now_ms();
    if (idw_store_open(pt->dir, w->cli->cfg.map_size_mb, 0, &pt->st, err, sizeof err) < 0 ||
        idw_store_writer_lock(pt->dir, "worker", &pt->lock_fd, err, sizeof err) != IDW_OK ||
        idw_apply_open(pt->st, &w->cli->cfg, w->geo, w->detect, p, &pt->ap, err, sizeof err) < 0 ||
        idw_publisher_ensure(w->pub, p, idw_js_now_ms() + RETRY_DEADLINE_MS, err, sizeof err) < 0) {
        log_error("partition %u: %s", p, err);
        return -1;
    }
    if (idw_alertstream_attach(w->as, pt->st, &w->wh, err, sizeof err) < 0) {
        log_error("partition %u: %s", p, err);
        return -1;
    }
    idw_apply_set_partitioning(pt->ap, &w->pt);
    return 0;
}

static int open_parts(struct worker *w)
{
    unsigned n = 0;

    for (unsigned p = 0; p < w->pt.partitions; p++)
        n += p % (unsigned)w->a->slots == (unsigned)w->a->slot;
    w->parts = calloc(n ? n : 1, sizeof *w->parts);
    if (!w->parts)
        return -1;
    for (unsigned p = 0; p < w->pt.partitions; p++) {
        if (p % (unsigned)w->a->slots != (unsigned)w->a->slot)
            continue;
        w->nparts++;    /* counted at once: close_all frees what was opened */
        if (open_part(w, &w->parts[w->nparts - 1], p) < 0)
            return -1;
    }
    return 0;
}

static struct w_part *part_of(struct worker *w, unsigned p)
{
    for (size_t i = 0; i < w->nparts; i++)
        if (w->parts[i].p == p)
            return &w->parts[i];
    return NULL;
}

static int open_org(struct worker *w, const struct idw_org_config *oc, struct w_org *o)
{
    struct idw_poll_opts po = {.stop = &stop_requested};
    struct idw_okta_org org;
    char err[768];

    o->w = w;
    idw_strlcpy(o->domain, oc->domain_id, sizeof o->domain);
    o->events = json_array();
    po.sink = (struct idw_page_sink){.ctx = o, .feed = sink_feed, .commit = sink_commit,
                                     .set_live_from = sink_live_from, .starved = sink_starved,
                                     .starved_ctx = o};
    if (!o->events || idw_okta_org_read(oc, &org, err, sizeof err) < 0 ||
        idw_okta_poller_new(o->part->st, &org, &po, &o->poller, err, sizeof err) < 0) {
        log_error("%s: %s", oc->domain_id, o->events ? err : "out of memory");
        return -1;
    }
    return 0;
}

/* A poller for every configured org with an org_url in an owned partition. */
static int open_orgs(struct worker *w)
{
    const struct idw_config *cfg = &w->cli->cfg;

    w->orgs = calloc(cfg->n_orgs ? cfg->n_orgs : 1, sizeof *w->orgs);
    if (!w->orgs)
        return -1;
    for (size_t i = 0; i < cfg->n_orgs; i++) {
        const struct idw_org_config *oc = &cfg->orgs[i];
        struct w_part *pt = part_of(w, idw_partition_of(&w->pt, oc->domain_id));
        if (!pt || !json_object_get(oc->json, "org_url"))
            continue;
        w->orgs[w->norgs].part = pt;
        w->norgs++;
        if (open_org(w, oc, &w->orgs[w->norgs - 1]) < 0)
            return -1;
    }
    return 0;
}

/* ---- the loop (as `run`'s, over many databases) ----------------------------------------- */

static int after_step(struct worker *w, struct w_org *o, enum idw_poll_result r, long wait_ms)
{
    o->due_ms = idw_now_ms() + wait_ms;
    if (r == IDW_POLL_FATAL)
        return -1;
    o->paused = r == IDW_POLL_PAUSED ? 1 : r == IDW_POLL_WAIT ? o->paused : 0;
    if (w->a->once && (r == IDW_POLL_PAUSED || r == IDW_POLL_CAUGHT_UP))
        o->done = 1;
    return 0;
}

static int apply_fetched(struct worker *w)
{
    struct w_org *o;

    for (o = idw_poll_pool_take_done(w->pool); o; o = idw_poll_pool_take_done(w->pool)) {
        long wait_ms = 0;
        o->in_flight = 0;
        if (stop_requested) {
            idw_okta_poll_discard(o->poller);
            continue;
        }
        if (after_step(w, o, idw_okta_poll_finish(o->poller, &wait_ms), wait_ms) < 0)
            return -1;
    }
    return 0;
}

static int64_t start_due(struct worker *w)
{
    int64_t now = idw_now_ms(), next = now + 60000;

    for (size_t i = 0; i < w->norgs && !stop_requested; i++) {
        struct w_org *o = &w->orgs[i];
        enum idw_poll_result r;
        long wait_ms;
        if (o->done || o->in_flight)
            continue;
        if (o->due_ms <= now) {
            if (sync_cursor(o) < 0 || held(o) < 0)
                return -1;
            if (o->held) {
                o->due_ms = now + 5000;
                o->done = w->a->once;
                if (o->due_ms < next && !o->done)
                    next = o->due_ms;
                continue;
            }
            if (idw_okta_poll_begin(o->poller, &r, &wait_ms)) {
                if (idw_poll_pool_submit(w->pool, o->poller, o) == IDW_OK) {
                    o->in_flight = 1;
                    continue;
                }
                log_error("%s: out of memory", o->domain);
                o->due_ms = now + 1000;
            } else if (after_step(w, o, r, wait_ms) < 0) {
                return -1;
            }
        }
        if (o->due_ms < next && !o->done)
            next = o->due_ms;
    }
    return next;
}

/* Delivers each database's due outbox entries (everything pending when all). */
static int deliver(struct worker *w, int all, int64_t *next)
{
    char err[512];

    for (size_t i = 0; i < w->nparts; i++) {
        struct w_part *pt = &w->parts[i];
        int64_t due = 0;
        if (!w->wh || (!all && (!pt->delivery_due_ms || pt->delivery_due_ms > idw_now_ms())))
            continue;
        if (idw_deliver_pending(pt->st, w->wh, all ? (size_t)-1 : 64, all, &stop_requested, &due, NULL, NULL,
                                err, sizeof err) < 0) {
            log_error("partition %u: delivery: %s", pt->p, err);
            return -1;
        }
        pt->delivery_due_ms = due;
    }
    for (size_t i = 0; i < w->nparts; i++)
        if (w->parts[i].delivery_due_ms && w->parts[i].delivery_due_ms < *next)
            *next = w->parts[i].delivery_due_ms;
    return 0;
}

static int all_done(const struct worker *w)
{
    for (size_t i = 0; i < w->norgs; i++)
        if (!w->orgs[i].done || w->orgs[i].in_flight)
            return 0;
    return 1;
}

static void nap(struct worker *w, long ms)
{
    while (ms > 0 && !stop_requested) {
        long step = ms < 100 ? ms : 100;
        int64_t t0 = idw_now_ms();
        if (idw_poll_pool_busy(w->pool))
            idw_poll_pool_wait(w->pool, step);
        else
            idw_sleep_ms(step, &stop_requested);
        if (idw_poll_pool_busy(w->pool) && idw_now_ms() - t0 < step)
            return;
        ms -= step;
    }
}

static long cluster_int(const struct idw_cli *cli, const char *key, long dflt);

/* ---- the heartbeat (cluster/status.h): what `cluster status` shows of this worker -------- */

static json_t *beat_orgs(const struct worker *w, const struct w_part *pt)
{
    json_t *orgs = json_array();

    for (size_t i = 0; orgs && i < w->norgs; i++) {
        const struct w_org *o = &w->orgs[i];
        if (o->part == pt)
            json_array_append_new(orgs, json_pack("{s:s,s:b,s:b,s:b}", "org", o->domain, "cursor_set",
                                                  o->synced && *o->synced, "held", o->held, "paused",
                                                  o->paused));
    }
    return orgs;
}

/* The heartbeat document, NULL when out of memory or a database cannot be read (logged). */
static json_t *beat_build(struct worker *w)
{
    char host[IDW_STATUS_HOST_MAX + 1] = "unknown", err[768];
    json_t *parts = json_array();

    if (gethostname(host, sizeof host - 1) < 0 || !host[0])
        snprintf(host, sizeof host, "unknown");
    for (size_t i = 0; parts && i < w->nparts; i++) {
        struct w_part *pt = &w->parts[i];
        uint64_t applied, last = 0;
        if (idw_apply_seq(pt->ap, &applied, err, sizeof err) < 0) {
            log_warn("heartbeat: partition %u: %s", pt->p, err);
            json_decref(parts);
            return NULL;
        }
        /* the stream's end as this worker sees it; 0 when NATS does not answer in time */
        if (idw_js_last_seq(w->js, pt->p, idw_js_now_ms() + HEARTBEAT_DEADLINE_MS, &last, err,
                            sizeof err) < 0)
            last = 0;
        json_array_append_new(parts, json_pack("{s:I,s:I,s:I,s:I,s:I,s:o,s:s}", "p", (json_int_t)pt->p,
                                               "applied_seq", (json_int_t)applied, "stream_last_seq",
                                               (json_int_t)last, "snapshot_seq", (json_int_t)pt->snap_seq,
                                               "snapshot_at", (json_int_t)(pt->snap_seq ? pt->snap_ms : 0),
                                               "orgs", beat_orgs(w, pt), "rules",
                                               idw_apply_rules_fingerprint(pt->ap)));
    }
    return parts ? json_pack("{s:i,s:I,s:I,s:s,s:I,s:I,s:I,s:o}", "v", 1, "slot", (json_int_t)w->a->slot,
                             "slots", (json_int_t)w->a->slots, "host", host, "pid", (json_int_t)getpid(),
                             "at", (json_int_t)idw_now_ms(), "started_at", (json_int_t)w->started_ms,
                             "partitions", parts)
                 : NULL;
}

/* Publishes the heartbeat when due (or now when force).  A failure is logged once a minute, never fatal. */
static void heartbeat(struct worker *w, int force)
{
    char err[768];
    int64_t now = idw_now_ms();
    json_t *hb;
    enum idw_rc rc = IDW_ERR;

    if (!force && now < w->beat_due_ms)
        return;
    w->beat_due_ms = now + HEARTBEAT_EVERY_MS;
    snprintf(err, sizeof err, "out of memory");
    hb = beat_build(w);
    if (hb && (w->beat_ensured ||
               idw_status_ensure(w->js, (int)cluster_int(w->cli, "replicas", IDW_JS_REPLICAS_DEFAULT),
                                 idw_js_now_ms() + HEARTBEAT_DEADLINE_MS, err, sizeof err) == IDW_OK)) {
        w->beat_ensured = 1;
        rc = idw_status_publish(w->js, hb, idw_js_now_ms() + HEARTBEAT_DEADLINE_MS, err, sizeof err);
        w->beat_ensured = rc == IDW_OK;     /* a deleted stream is created again at the next beat */
    }
    json_decref(hb);
    if (rc != IDW_OK && now - w->beat_warned_ms >= HEARTBEAT_WARN_EVERY_MS) {
        w->beat_warned_ms = now;
        log_warn("heartbeat: %s (the worker goes on; cluster status will call this slot stale)", err);
    }
}

static int loop(struct worker *w)
{
    while (!stop_requested) {
        int64_t next;
        if (apply_fetched(w) < 0)
            return -1;
        if (idw_now_ms() >= w->drain_due_ms && (drain_all(w) < 0 || snapshot_due(w) < 0))
            return -1;
        next = start_due(w);
        if (next < 0 || deliver(w, 0, &next) < 0)
            return -1;
        heartbeat(w, 0);
        if (w->a->once && all_done(w)) {
            int rc = drain_all(w) < 0 ? -1 : deliver(w, 1, &next);
            heartbeat(w, 1);        /* --once: what it applied, for cluster status */
            return rc;
        }
        if (w->drain_due_ms < next)
            next = w->drain_due_ms;
        if (w->beat_due_ms < next)
            next = w->beat_due_ms;
        nap(w, (long)(next - idw_now_ms()));
    }
    return 0;
}

/* ---- command line ---------------------------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: idwatch worker --slot I --slots N [--nats URL]... [--once] [--json]\n"
            "\n"
            "One worker of the scale-out mode (docs/scale-out.md).  It owns the partitions p\n"
            "with p mod N == I, keeps one database per partition under <db>/cluster/p<P>,\n"
            "polls the orgs of its partitions, publishes every page to the partition's stream\n"
            "and applies the stream in order, then delivers alerts to the webhooks.  Run one\n"
            "worker per slot (each under systemd); two workers on one slot give the same\n"
            "results (only the Okta requests double).  SIGTERM/SIGINT stop between pages.\n"
            "\n"
            "  --slot I, --slots N  this worker's slot (default: cluster.slot, cluster.slots)\n"
            "  --nats URL           a NATS server (repeatable; default: cluster.nats)\n"
            "  --once               poll until every org is caught up, apply every stream to\n"
            "                       its end, try every pending delivery once, then exit\n"
            "  --json               with --once: print a summary as JSON\n"
            "\n"
            "Exit codes: 0 ok, 1 failure (storage, NATS past its retries, a log message this\n"
            "release cannot apply, an org paused with --once), 2 usage.\n");
}

static long cluster_int(const struct idw_cli *cli, const char *key, long dflt)
{
    const json_t *v = json_object_get(json_object_get(cli->cfg.root, "cluster"), key);
    return v ? (long)json_integer_value(v) : dflt;
}

static int parse_args(int argc, char **argv, struct worker_args *a)
{
    static const struct option opts[] = {
        {"slot", required_argument, NULL, 's'}, {"slots", required_argument, NULL, 'S'},
        {"nats", required_argument, NULL, 'n'}, {"once", no_argument, NULL, 'o'},
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    char *end;
    int c;

    a->slot = a->slots = -1;
    for (;;) {
        c = getopt_long(argc, argv, "h", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 's':
        case 'S':
            *(c == 's' ? &a->slot : &a->slots) = strtol(optarg, &end, 10);
            if (*end || end == optarg)
                goto bad;
            break;
        case 'n':
            if (a->nurls == MAX_URLS)
                goto bad;
            a->urls[a->nurls++] = optarg;
            break;
        case 'o':
            a->once = 1;
            break;
        case 'j':
            a->json = 1;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            goto bad;
        }
    }
    if (optind == argc)
        return 0;
bad:
    usage(stderr);
    return -1;
}

/*
 * Slot and URLs from the configuration where the command line left them
 * out.  IDW_EXIT_OK; IDW_EXIT_USAGE for a missing or bad slot,
 * IDW_EXIT_FAILURE for no NATS server (both said).
 */
static int resolve(struct idw_cli *cli, struct worker_args *a)
{
    const json_t *list = json_object_get(json_object_get(cli->cfg.root, "cluster"), "nats");
    size_t i;
    json_t *u;

    if (a->slot < 0)
        a->slot = cluster_int(cli, "slot", -1);
    if (a->slots < 0)
        a->slots = cluster_int(cli, "slots", -1);
    if (a->slots < 1 || a->slots > IDW_PARTITIONS_MAX || a->slot < 0 || a->slot >= a->slots) {
        log_error("worker: give --slot I --slots N (or cluster.slot and cluster.slots) with 0 <= I < N");
        return IDW_EXIT_USAGE;
    }
    if (!a->nurls) {
        json_array_foreach(list, i, u) {
            if (a->nurls < MAX_URLS)
                a->urls[a->nurls++] = json_string_value(u);
        }
    }
    if (!a->nurls) {
        log_error("worker: no NATS server: give --nats URL or set cluster.nats in the configuration");
        return IDW_EXIT_FAILURE;
    }
    return IDW_EXIT_OK;
}

static void drop_fetched(void *tag)
{
    struct w_org *o = tag;
    idw_okta_poll_discard(o->poller);
    o->in_flight = 0;
}

static void close_all(struct worker *w)
{
    if (w->pool)
        idw_poll_pool_free(w->pool, drop_fetched);
    for (size_t i = 0; i < w->norgs; i++) {
        idw_okta_poller_free(w->orgs[i].poller);
        json_decref(w->orgs[i].events);
        free(w->orgs[i].polled);
        free(w->orgs[i].synced);
    }
    free(w->orgs);
    for (size_t i = 0; i < w->nparts; i++) {
        idw_apply_close(w->parts[i].ap);
        idw_store_close(w->parts[i].st);
        if (w->parts[i].lock_fd >= 0)
            close(w->parts[i].lock_fd);
    }
    free(w->parts);
    idw_webhooks_free(w->wh);
    idw_alertstream_close(w->as);
    idw_publisher_close(w->pub);
    idw_js_close(w->js);
    idw_partitioning_free(&w->pt);
    idw_geo_close(w->geo);
    idw_detect_close(w->detect);
    json_decref(w->rules_msg);

}

/* ---- the log's rules (cluster/rulepack.h) ------------------------------------------------ */

/*
 * The local rules_dir as a rules message: what a stream this worker opens
 * starts with.  Rules the log cannot carry (a file name it refuses) are a
 * warning: the worker judges with them until the log says otherwise.
 */
static int local_rules(struct worker *w)
{
    char err[768], id[IDW_COMMAND_ID_HEX + 1], by[64];
    json_t *files = NULL;
    enum idw_rc rc;

    snprintf(by, sizeof by, "worker %ld/%ld", w->a->slot, w->a->slots);
    rc = idw_rulepack_read_dir(w->cli->cfg.rules_dir, &files, err, sizeof err);
    if (rc == IDW_OK)
        rc = idw_rulepack_fingerprint(files, w->rules_fp) == IDW_OK &&
             idw_command_new_id(id, err, sizeof err) == IDW_OK &&
             idw_rulepack_message(files, IDW_VERSION, idw_now_ms(), by, id, &w->rules_msg, err,
                                  sizeof err) == IDW_OK ? IDW_OK : IDW_ERR;
    json_decref(files);
    if (rc != IDW_OK) {     /* the worker can still judge with them; only the log cannot carry them */
        log_warn("rules_dir %s: %s: streams this worker creates start without rules (publish them with "
                 "`idwatch cluster rules publish` once fixed)", w->cli->cfg.rules_dir, err);
        w->rules_fp[0] = '\0';
    }
    return 0;
}

/* The engine of a rules message's directory, logging and routing its alerts like the worker's own. */
static enum idw_rc open_log_rules(void *ctx, const char *dir, struct idw_detect **out, char *err,
                                  size_t errlen)
{
    struct worker *w = ctx;

    if (idw_detect_open(dir, out, err, errlen) < 0)
        return IDW_ERR;
    idw_detect_log_alerts(*out, 1);
    if (idw_cli_route_alerts(w->cli->cfg.root, *out, w->wh) < 0) {
        snprintf(err, errlen, "%s: cannot route its alerts (out of memory?)", dir);
        idw_detect_close(*out);
        *out = NULL;
        return IDW_ERR;
    }
    return IDW_OK;
}

/* Each partition judges with the rules its log says, once the alerts are routed. */
static int follow_rules(struct worker *w)
{
    for (size_t i = 0; i < w->nparts; i++) {
        struct w_part *pt = &w->parts[i];
        char root[4200], err[1024];
        const char *fp;
        snprintf(root, sizeof root, "%s/rules", pt->dir);
        if (idw_apply_set_rules(pt->ap, root, open_log_rules, w, err, sizeof err) < 0) {
            log_error("%s", err);
            return -1;
        }
        fp = idw_apply_rules_fingerprint(pt->ap);
        if (*fp && w->rules_fp[0] && strcmp(fp, w->rules_fp) != 0)
            log_warn("partition %u judges with the log's rules %.12s, not this host's rules_dir (%.12s): "
                     "publish them with `idwatch cluster rules publish` to change the log's",
                     pt->p, fp, w->rules_fp);
    }
    return 0;
}

static int open_engine(struct worker *w)
{
    char err[768];
    int replicas = (int)cluster_int(w->cli, "replicas", IDW_JS_REPLICAS_DEFAULT);

    if (idw_cli_open_geo(&w->cli->cfg, &w->geo) < 0 || idw_cli_open_detect(w->cli, &w->detect) < 0)
        return -1;
    idw_detect_log_alerts(w->detect, 1);
    if (idw_webhooks_load(w->cli->cfg.root, &w->wh, err, sizeof err) < 0 ||
        idw_partitioning_load(w->cli->cfg.root, &w->pt, err, sizeof err) < 0 ||
        idw_snapshot_config_load(w->cli->cfg.root, &w->sc, err, sizeof err) < 0) {
        log_error("%s", err);
        return -1;
    }
    if (idw_js_dial(w->cli->cfg.root, w->a->urls, w->a->nurls, NATS_TIMEOUT_MS, &w->js, err,
                    sizeof err) < 0 ||
        idw_alertstream_open(w->js, w->cli->cfg.root, &w->as, err, sizeof err) < 0 ||
        idw_publisher_open(w->js, &w->pt, replicas, w->sc.stream_max_age_days, w->geo, &w->pub, err,
                           sizeof err) < 0) {
        log_error("%s", err);
        return -1;
    }
    if (local_rules(w) < 0)
        return -1;
    idw_publisher_set_rules(w->pub, w->rules_msg);
    return 0;
}

static void summary(const struct worker *w)
{
    if (w->a->json)
        printf("{\"slot\":%ld,\"slots\":%ld,\"partitions\":%zu,\"orgs\":%zu,\"pages\":%llu,"
               "\"published\":%llu,\"duplicates\":%llu,\"applied\":%llu,\"skipped\":%llu}\n",
               w->a->slot, w->a->slots, w->nparts, w->norgs, w->pages, w->published, w->duplicates,
               w->applied, w->skipped);
}

int idw_cmd_worker(struct idw_cli *cli, int argc, char **argv)
{
    struct worker_args a = {0};
    struct worker w = {.cli = cli, .a = &a, .started_ms = idw_now_ms()};
    int rc = parse_args(argc, argv, &a);

    if (rc)
        return rc > 0 ? IDW_EXIT_OK : IDW_EXIT_USAGE;
    if (idw_cli_load_config(cli) < 0)
        return IDW_EXIT_FAILURE;
    rc = resolve(cli, &a);
    if (rc != IDW_EXIT_OK)
        return rc;
    rc = IDW_EXIT_FAILURE;
    signal(SIGINT, on_stop);
    signal(SIGTERM, on_stop);
    signal(SIGPIPE, SIG_IGN);
    /* the alerts are routed once every partition registered the alerts stream (alertstream.h) */
    if (open_engine(&w) == 0 && open_parts(&w) == 0 &&
        idw_cli_route_alerts(cli->cfg.root, w.detect, w.wh) == 0 && follow_rules(&w) == 0 &&
        drain_all(&w) == 0 &&
        open_orgs(&w) == 0 &&
        idw_poll_pool_new(w.norgs < FETCH_THREADS_MAX ? (w.norgs ? w.norgs : 1) : FETCH_THREADS_MAX,
                          &w.pool) == IDW_OK) {
        log_info("worker %ld of %ld: %zu partitions, %zu orgs", a.slot, a.slots, w.nparts, w.norgs);
        heartbeat(&w, 1);
        if (loop(&w) == 0) {
            rc = IDW_EXIT_OK;
            for (size_t i = 0; i < w.norgs; i++)
                if (w.orgs[i].paused)
                    rc = IDW_EXIT_FAILURE;
            summary(&w);
        }
    }
    close_all(&w);
    return rc;
}
