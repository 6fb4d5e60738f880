/*
 * deliver.c — the delivery worker (see deliver.h).
 *
 * One pass: (1) in a read transaction, find each alert's newest pending
 * version per webhook, then collect the due entries in queue order: an
 * entry superseded by a newer pending version of its alert is dropped
 * (the newer one carries everything), and later versions wait while an
 * earlier one is not due or is leased; (2) for each entry, lease it in a
 * write transaction (lease_owner, lease_until_ms), POST it with no
 * transaction open, and record the outcome in its own write transaction
 * right away, skipping the rest of an alert's versions once one fails;
 * (3) in one last write transaction, remove the superseded entries and
 * defer those whose webhook was down.
 *
 * So a crash resends at most the one delivery that was in flight (once
 * its lease expires), and two passes at once (a daemon and a cron
 * `outbox deliver`) never send the same version twice: the second finds
 * the lease and leaves the entry alone.
 */
#include "deliver/deliver.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "alert/alert.h"
#include "common/log.h"
#include "common/util.h"

#define MAX_BATCH 256
#define MAX_SUPERSEDED 1024
#define PASS_MS 30000               /* a pass stops starting POSTs after this long */
#define LEASE_MARGIN_MS 5000        /* a lease outlives the request's timeout by this much */

struct attempt {
    uint64_t seq;
    json_t *entry;                  /* owned */
    struct idw_webhook *w;
    long status;                    /* 0 = transport failure */
    char error[256];
    int done, ok;
    int permanent;                  /* a callback target refused it for good (IDW_ERR) */
    int deferred;                   /* not tried: its webhook failed earlier in the pass */
    int leased_elsewhere;           /* not tried: another pass holds its lease */
};

/* An entry seen in the read transaction: applied later only if still the same. */
struct seen_entry {
    uint64_t seq;
    json_t *entry;                  /* owned */
};

struct collect {
    struct idw_webhooks *wh;
    struct attempt *a;
    size_t n, max;
    int ignore_schedule;
    int64_t now, next_due;
    json_t *held;                   /* "target|alert_id" of alerts held back this pass */
    json_t *newest;                 /* "target|alert_id" -> seq of its newest pending version */
    struct seen_entry superseded[MAX_SUPERSEDED];
    size_t nsuperseded;
    unsigned unknown_target;        /* pending entries whose webhook is not configured */
};

static void alert_key(const json_t *e, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s|%s", json_string_value(json_object_get(e, "target")),
             json_string_value(json_object_get(e, "alert_id")));
}

static void note_due(struct collect *c, int64_t t)
{
    if (!c->next_due || t < c->next_due)
        c->next_due = t;
}

static int pending(const json_t *e)
{
    const char *state = json_string_value(json_object_get(e, "state"));
    return state && !strcmp(state, "pending");
}

/*
 * Another pass is sending this entry now: its lease has not expired and
 * the process that took it is alive.  (The outbox is a local database, so
 * every worker is on this host; a lease left by a killed process is void
 * at once, which is how a crash resends at most the entry in flight.)
 */
static int leased(const json_t *e, int64_t now)
{
    const char *owner = json_string_value(json_object_get(e, "lease_owner"));
    long pid = owner ? strtol(owner, NULL, 10) : 0;

    if (json_integer_value(json_object_get(e, "lease_until_ms")) <= now)
        return 0;
    return pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH;
}

/*
 * Pass one: the newest pending version of each alert, per webhook (the
 * queue is in order).  -1 when memory runs out: a version missing here
 * could go out after a newer one.
 */
static int note_newest(uint64_t seq, json_t *e, void *vc)
{
    struct collect *c = vc;
    char key[600];

    if (!pending(e))
        return 0;
    alert_key(e, key, sizeof key);
    return json_object_set_new(c->newest, key, json_integer((json_int_t)seq)) < 0 ? -1 : 0;
}

/* Holds the alert's later versions back this pass (they stay in order); -1 out of memory. */
static int hold(struct collect *c, const char *key)
{
    return json_object_set_new(c->held, key, json_true()) < 0 ? -1 : 0;
}

/* Pass two: a due entry into the batch (idw_outbox_fn: 1 when the batch is full, -1 out of memory). */
static int collect_one(uint64_t seq, json_t *e, void *vc)
{
    struct collect *c = vc;
    char key[600];
    int64_t next = json_integer_value(json_object_get(e, "next_ms"));
    struct idw_webhook *w;

    alert_key(e, key, sizeof key);
    if ((uint64_t)json_integer_value(json_object_get(c->newest, key)) > seq) {
        /* a newer version is queued: this one (pending or dead) would only arrive out of date */
        if (c->nsuperseded < MAX_SUPERSEDED)
            c->superseded[c->nsuperseded++] = (struct seen_entry){seq, json_incref(e)};
        return 0;
    }
    if (!pending(e))
        return 0;   /* dead letters wait for `outbox retry`; they do not hold later versions */
    if (json_object_get(c->held, key))
        return 0;
    if (leased(e, c->now)) {
        /* in flight in another pass: its later versions wait behind it */
        note_due(c, json_integer_value(json_object_get(e, "lease_until_ms")));
        return hold(c, key);
    }
    w = idw_webhook_find(c->wh, json_string_value(json_object_get(e, "target")));
    if (!w)
        c->unknown_target++;
    if (!w || (!c->ignore_schedule && next > c->now)) {
        if (w)
            note_due(c, next);
        return hold(c, key);
    }
    if (c->n == c->max) {
        note_due(c, c->now);    /* more is due right now */
        return 1;
    }
    c->a[c->n++] = (struct attempt){.seq = seq, .entry = json_incref(e), .w = w};
    return 0;
}

/* ---- one POST ---------------------------------------------------------------- */

/*
 * A callback target (webhook.h idw_webhooks_add_callback): its function
 * instead of a request.  Status stays 0 (no HTTP), so the error is kept.
 */
static void send_callback(struct attempt *t)
{
    enum idw_rc rc;

    t->error[0] = '\0';
    rc = t->w->send(t->entry, t->w->send_ctx, t->error, sizeof t->error);
    t->status = 0;
    t->ok = rc == IDW_OK;
    t->permanent = rc == IDW_ERR;
    if (!t->ok && !t->error[0])
        snprintf(t->error, sizeof t->error, "%s", t->permanent ? "refused" : "target unavailable");
}

static void post_http(struct attempt *t)
{
    const json_t *alert = json_object_get(t->entry, "alert");
    char *body = idw_webhook_body(t->w, alert);
    char ts_h[64], sig_h[128], idem_h[160], sig[80];
    int64_t ts = idw_now_ms() / 1000;
    struct idw_http_resp r = {0};

    if (!body) {
        t->status = 0;
        snprintf(t->error, sizeof t->error, "cannot format the alert for this webhook");
        return;
    }
    if (idw_webhook_sign(t->w, ts, body, sig, sizeof sig) < 0) {
        free(body);
        t->status = 0;      /* retried: nothing was sent */
        snprintf(t->error, sizeof t->error, "cannot sign the body (out of memory)");
        return;
    }
    snprintf(ts_h, sizeof ts_h, "X-Idwatch-Timestamp: %lld", (long long)ts);
    snprintf(sig_h, sizeof sig_h, "X-Idwatch-Signature: %s", sig);
    /* the entry's id: an alert's alert_id, or an incident's incident_id (outbox.h) */
    snprintf(idem_h, sizeof idem_h, "Idempotency-Key: %s:%lld",
             json_string_value(json_object_get(t->entry, "alert_id")), (long long)idw_alert_version(alert));
    /* User-Agent: idwatch/<version> comes from the HTTP client (http.c) */
    const char *headers[] = {"Content-Type: application/json", ts_h, sig_h, idem_h, NULL};
    if (idw_http_request(t->w->http, "POST", t->w->url, headers, body, &r) < 0)
        r.status = 0;   /* transport failure or refused answer: r.error says which */
    t->status = r.status;
    idw_strlcpy(t->error, r.error[0] ? r.error : "", sizeof t->error);
    t->ok = r.status >= 200 && r.status < 300;
    idw_http_resp_clear(&r);
    free(body);
}

/* One attempt: through the target's callback, or POSTed to the webhook. */
static void post(struct attempt *t)
{
    if (t->w->send)
        send_callback(t);
    else
        post_http(t);
}

/* A failure that says the receiver is unreachable or struggling, not this one request. */
static int webhook_down(long status)
{
    return status == 0 || status == 408 || status == 429 || status >= 500;
}

/* ---- outcomes ---------------------------------------------------------------- */

int64_t idw_deliver_backoff_ms(const struct idw_webhook *w, int attempts)
{
    double d = w->retry_base_s * 1000.0;
    unsigned r = 0;

    for (int i = 1; i < attempts && d < w->retry_cap_s * 1000.0; i++)
        d *= 2;
    if (d > w->retry_cap_s * 1000.0)
        d = w->retry_cap_s * 1000.0;
    if (RAND_bytes((unsigned char *)&r, sizeof r) != 1)
        r = 0;
    return (int64_t)(d * (0.5 + 0.5 * (r / 4294967296.0)));    /* jitter: half to full */
}

static int retryable(long status)
{
    return status == 0 || status == 408 || status == 429 || status >= 500;
}

/*
 * Applies a failed attempt to its entry; *dead says whether it became a
 * dead letter.  IDW_OK, or IDW_ERR when memory runs out (an entry whose
 * attempts were not counted could be retried for ever).
 */
static enum idw_rc reschedule(json_t *e, const struct attempt *t, int64_t now, int *dead)
{
    int attempts = (int)json_integer_value(json_object_get(e, "attempts")) + 1;
    const json_t *since = json_object_get(e, "retry_since_ms");    /* set by `outbox retry` */
    int64_t age = now - json_integer_value(since ? since : json_object_get(e, "created_ms"));
    int bad = 0;

    *dead = !t->permanent && retryable(t->status) ? age > (int64_t)(t->w->give_up_hours * 3600000.0)
                                 : attempts >= t->w->max_4xx_attempts;
    bad |= json_object_set_new(e, "attempts", json_integer(attempts));
    bad |= json_object_set_new(e, "last_status", json_integer(t->status));
    bad |= json_object_set_new(e, "last_error", json_string(t->status ? "" : t->error));
    bad |= json_object_set_new(e, "last_attempt_ms", json_integer(now));
    bad |= json_object_set_new(e, "next_ms", json_integer(now + idw_deliver_backoff_ms(t->w, attempts)));
    if (*dead)
        bad |= json_object_set_new(e, "state", json_string("dead"));
    return bad ? IDW_ERR : IDW_OK;
}

static void log_outcome(const struct attempt *t, int dead)
{
    const json_t *e = t->entry;
    const char *id = json_string_value(json_object_get(e, "alert_id"));
    long long v = json_integer_value(json_object_get(e, "version"));
    const char *name = t->w->target.name;
    json_t *f = json_pack("{s:s?, s:I, s:s, s:I, s:s}", "alert_id", id, "version", (json_int_t)v,
                          "webhook", name, "http_status", (json_int_t)t->status,
                          "outcome", t->ok ? "delivered" : dead ? "dead" : "retry");
    char why[32];

    /* a callback target has no HTTP status: its own words say it all */
    if (t->w->send)
        snprintf(why, sizeof why, "%s", t->permanent ? "refused:" : "unavailable:");
    else
        snprintf(why, sizeof why, "%s%ld", t->status ? "HTTP " : "transport ", t->status);

    if (t->ok)
        idw_log_fields(IDW_LOG_INFO, f, "delivered alert %s version %lld to %s", id, v, name);
    else if (dead)
        idw_log_fields(IDW_LOG_ERROR, f, "dead letter: alert %s version %lld to %s: %s %s", id, v,
                       name, why, t->error);
    else
        idw_log_fields(IDW_LOG_WARN, f, "delivery of alert %s version %lld to %s failed (%s %s); "
                       "will retry", id, v, name, why, t->error);
}

/* One stored total plus n; -1 when memory runs out. */
static int add_total(json_t *doc, const char *name, uint64_t n)
{
    json_int_t was = json_integer_value(json_object_get(doc, name));

    return json_object_set_new(doc, name, json_integer(was + (json_int_t)n));
}

/* Adds d to the stored totals (meta "delivery_stats").  IDW_OK, or IDW_ERR with err set. */
static enum idw_rc store_stats(struct idw_store *st, MDB_txn *txn, const struct idw_delivery_stats *d,
                               char *err, size_t errlen)
{
    json_t *doc = NULL;
    enum idw_rc rc;
    int bad = 0;

    if (idw_store_meta_get(st, txn, "delivery_stats", "_all", &doc, err, errlen) < 0)
        return IDW_ERR;
    if (!doc)
        doc = json_object();
    if (doc) {
        bad |= add_total(doc, "delivered", d->ok);
        bad |= add_total(doc, "retried", d->retried);
        bad |= add_total(doc, "dead", d->dead);
        bad |= add_total(doc, "superseded", d->superseded);
    }
    if (!doc || bad) {
        json_decref(doc);
        snprintf(err, errlen, "delivery totals: out of memory");
        return IDW_ERR;
    }
    rc = idw_store_meta_put(st, txn, "delivery_stats", "_all", doc, err, errlen);
    json_decref(doc);
    return rc;
}

/*
 * The entry as it is now, if it is still the one seen in the read
 * transaction (same alert, version and webhook): IDW_OK with *now (caller
 * json_decref's); IDW_NOTFOUND (*now NULL) when another worker (a cron
 * `outbox deliver`, another `run`) delivered, superseded or replaced it
 * meanwhile, so an outcome is never applied to the wrong entry; IDW_ERR
 * (err set) when it cannot be read.
 */
static enum idw_rc still_there(struct idw_store *st, MDB_txn *txn, uint64_t seq, const json_t *seen,
                               json_t **now, char *err, size_t errlen)
{
    static const char *const same[] = {"alert_id", "version", "target"};
    enum idw_rc rc = idw_outbox_get(st, txn, seq, now, err, errlen);

    if (rc != IDW_OK)
        return rc;
    for (size_t i = 0; i < 3; i++)
        if (!json_equal(json_object_get(*now, same[i]), json_object_get(seen, same[i]))) {
            json_decref(*now);
            *now = NULL;
            return IDW_NOTFOUND;
        }
    return IDW_OK;
}

static enum idw_rc drop_superseded(struct idw_store *st, MDB_txn *txn, const struct collect *c,
                                   struct idw_delivery_stats *d, char *err, size_t errlen)
{
    for (size_t i = 0; i < c->nsuperseded; i++) {
        const struct seen_entry *s = &c->superseded[i];
        json_t *now;
        enum idw_rc rc = still_there(st, txn, s->seq, s->entry, &now, err, errlen);
        if (rc < 0)
            return IDW_ERR;
        if (rc == IDW_NOTFOUND)
            continue;
        json_decref(now);
        if (idw_outbox_delete(st, txn, s->seq, err, errlen) < 0)
            return IDW_ERR;
        d->superseded++;
    }
    return IDW_OK;
}

/*
 * Records one attempt on the entry as it is now; *retry_at gets its next
 * attempt (0: none).  IDW_OK (also when the entry is gone), or IDW_ERR.
 */
static enum idw_rc record(struct idw_store *st, MDB_txn *txn, struct attempt *t, int64_t now,
                          struct idw_delivery_stats *d, int64_t *retry_at, char *err, size_t errlen)
{
    int dead;
    json_t *e;
    enum idw_rc rc = still_there(st, txn, t->seq, t->entry, &e, err, errlen);

    *retry_at = 0;
    if (rc != IDW_OK)
        return rc < 0 ? IDW_ERR : IDW_OK;
    json_object_del(e, "lease_owner");
    json_object_del(e, "lease_until_ms");
    if (t->ok) {
        d->ok++;
        log_outcome(t, 0);
        json_decref(e);
        return idw_outbox_delete(st, txn, t->seq, err, errlen);
    }
    if (reschedule(e, t, now, &dead) < 0) {
        json_decref(e);
        snprintf(err, errlen, "outbox entry %llu: out of memory recording an attempt",
                 (unsigned long long)t->seq);
        return IDW_ERR;
    }
    d->dead += (uint64_t)dead;
    d->retried += (uint64_t)!dead;
    if (!dead)
        *retry_at = json_integer_value(json_object_get(e, "next_ms"));
    log_outcome(t, dead);
    rc = idw_outbox_put(st, txn, t->seq, e, err, errlen);
    json_decref(e);
    return rc;
}

/*
 * An entry not tried because its webhook was down: it waits as long as
 * the one that failed.  IDW_OK (also when the entry is gone), or IDW_ERR.
 */
static enum idw_rc defer(struct idw_store *st, MDB_txn *txn, const struct attempt *t, int64_t until,
                         char *err, size_t errlen)
{
    json_t *e;
    enum idw_rc rc = still_there(st, txn, t->seq, t->entry, &e, err, errlen);

    if (rc != IDW_OK)
        return rc < 0 ? IDW_ERR : IDW_OK;
    if (json_object_set_new(e, "next_ms", json_integer(until)) < 0) {
        json_decref(e);
        snprintf(err, errlen, "outbox entry %llu: out of memory", (unsigned long long)t->seq);
        return IDW_ERR;
    }
    rc = idw_outbox_put(st, txn, t->seq, e, err, errlen);
    json_decref(e);
    return rc;
}

static void earliest(int64_t *next_due, int64_t t)
{
    if (t && (!*next_due || t < *next_due))
        *next_due = t;
}

/* Marks e as this pass's for the request's time; -1 when memory runs out. */
static int set_lease(json_t *e, const struct attempt *t, const char *owner, int64_t now)
{
    int bad = json_object_set_new(e, "lease_owner", json_string(owner));

    bad |= json_object_set_new(e, "lease_until_ms",
                               json_integer(now + t->w->timeout_s * 1000 + LEASE_MARGIN_MS));
    return bad;
}

/*
 * Leases one entry for this pass before it is sent.  IDW_OK when leased,
 * IDW_BUSY when it is gone, changed or leased by another live pass (not
 * to be sent), IDW_ERR (err set) on a storage error or out of memory —
 * an entry sent without its lease could be sent twice.
 */
static enum idw_rc lease(struct idw_store *st, struct attempt *t, const char *owner,
                         char *err, size_t errlen)
{
    MDB_txn *txn;
    json_t *e = NULL;
    enum idw_rc rc;
    int64_t now = idw_now_ms();

    if (idw_store_begin(st, 0, &txn, err, errlen) < 0)
        return IDW_ERR;
    rc = still_there(st, txn, t->seq, t->entry, &e, err, errlen);
    if (rc == IDW_OK && (!pending(e) || leased(e, now)))
        rc = IDW_BUSY;
    if (rc == IDW_OK && set_lease(e, t, owner, now) < 0) {
        snprintf(err, errlen, "outbox entry %llu: out of memory taking its lease",
                 (unsigned long long)t->seq);
        rc = IDW_ERR;
    }
    if (rc == IDW_OK)
        rc = idw_outbox_put(st, txn, t->seq, e, err, errlen);
    json_decref(e);
    if (rc != IDW_OK) {
        mdb_txn_abort(txn);
        return rc < 0 ? IDW_ERR : IDW_BUSY;
    }
    return idw_store_commit(txn, err, errlen) < 0 ? IDW_ERR : IDW_OK;
}

static void add_stats(struct idw_delivery_stats *sum, const struct idw_delivery_stats *d)
{
    if (!sum)
        return;
    sum->ok += d->ok;
    sum->retried += d->retried;
    sum->dead += d->dead;
    sum->superseded += d->superseded;
}

/*
 * Adds d to the stored totals in txn and commits it (aborted on an
 * error); then to sum.  IDW_OK, or IDW_ERR with err set.
 */
static enum idw_rc commit_counted(struct idw_store *st, MDB_txn *txn, const struct idw_delivery_stats *d,
                                  struct idw_delivery_stats *sum, char *err, size_t errlen)
{
    if (store_stats(st, txn, d, err, errlen) < 0) {
        mdb_txn_abort(txn);
        return IDW_ERR;
    }
    if (idw_store_commit(txn, err, errlen) < 0)
        return IDW_ERR;
    add_stats(sum, d);
    return IDW_OK;
}

/* Records one attempt's outcome durably, right after its request.  IDW_OK, or IDW_ERR. */
static enum idw_rc record_now(struct idw_store *st, struct attempt *t, int64_t *retry_at,
                              struct idw_delivery_stats *sum, char *err, size_t errlen)
{
    struct idw_delivery_stats d = {0};
    MDB_txn *txn;

    if (idw_store_begin(st, 0, &txn, err, errlen) < 0)
        return IDW_ERR;
    if (record(st, txn, t, idw_now_ms(), &d, retry_at, err, errlen) < 0) {
        mdb_txn_abort(txn);
        return IDW_ERR;
    }
    return commit_counted(st, txn, &d, sum, err, errlen);
}

/*
 * POSTs in queue order, each leased first and recorded right after.  Once
 * a webhook is down (transport error, timeout, 408/429/5xx), its other
 * entries are deferred (down_until: webhook -> its retry time) instead of
 * each waiting out the same timeout; a stop request or a long pass ends it
 * early (the rest stays due).  Later versions of an alert whose earlier
 * version failed are never sent ahead of it.  IDW_OK, or IDW_ERR (err set).
 */
static enum idw_rc post_all(struct idw_store *st, struct attempt *a, size_t n,
                            const volatile sig_atomic_t *stop, json_t *down_until, int64_t *next_due,
                            struct idw_delivery_stats *sum, char *err, size_t errlen)
{
    int64_t deadline = idw_now_ms() + PASS_MS, retry_at;
    unsigned char rnd[6] = {0};
    char owner[48];
    enum idw_rc rc;

    if (RAND_bytes(rnd, sizeof rnd) != 1)
        memset(rnd, 0, sizeof rnd);
    snprintf(owner, sizeof owner, "%ld-%02x%02x%02x%02x%02x%02x", (long)getpid(), rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5]);
    for (size_t i = 0; i < n; i++) {
        if ((stop && *stop) || idw_now_ms() > deadline)
            break;
        if (json_object_get(down_until, a[i].w->target.name)) {
            a[i].deferred = 1;
            continue;
        }
        rc = lease(st, &a[i], owner, err, errlen);
        if (rc < 0)
            return IDW_ERR;
        if (rc == IDW_BUSY) {
            a[i].leased_elsewhere = 1;
            continue;
        }
        post(&a[i]);
        a[i].done = 1;
        if (record_now(st, &a[i], &retry_at, sum, err, errlen) < 0)
            return IDW_ERR;
        earliest(next_due, retry_at);
        if (!a[i].ok && !a[i].permanent && webhook_down(a[i].status) && retry_at &&
            json_object_set_new(down_until, a[i].w->target.name, json_integer(retry_at)) < 0) {
            snprintf(err, errlen, "delivery pass: out of memory");
            return IDW_ERR;
        }
    }
    return IDW_OK;
}

/*
 * Before anything is sent: versions superseded by a newer queued version
 * go, durably — were they left until the end of the pass, a crash after
 * the newest version was delivered would let them go out after it.
 * IDW_OK, or IDW_ERR (err set).
 */
static enum idw_rc start_pass(struct idw_store *st, const struct collect *c,
                              struct idw_delivery_stats *sum, char *err, size_t errlen)
{
    struct idw_delivery_stats d = {0};
    MDB_txn *txn;

    if (!c->nsuperseded)
        return IDW_OK;
    if (idw_store_begin(st, 0, &txn, err, errlen) < 0)
        return IDW_ERR;
    if (drop_superseded(st, txn, c, &d, err, errlen) < 0) {
        mdb_txn_abort(txn);
        return IDW_ERR;
    }
    return commit_counted(st, txn, &d, sum, err, errlen);
}

/* The end of a pass: entries of a down webhook deferred with it.  IDW_OK, or IDW_ERR. */
static enum idw_rc finish_pass(struct idw_store *st, struct attempt *a, size_t n,
                               const json_t *down_until, int64_t *next_due, char *err, size_t errlen)
{
    MDB_txn *txn;
    enum idw_rc rc = IDW_OK;

    if (!json_object_size(down_until))
        return IDW_OK;
    if (idw_store_begin(st, 0, &txn, err, errlen) < 0)
        return IDW_ERR;
    for (size_t i = 0; rc == IDW_OK && i < n; i++) {
        int64_t until = json_integer_value(json_object_get(down_until, a[i].w->target.name));
        if (a[i].deferred && until) {
            rc = defer(st, txn, &a[i], until, err, errlen);
            earliest(next_due, until);
        }
    }
    if (rc < 0) {
        mdb_txn_abort(txn);
        return IDW_ERR;
    }
    return idw_store_commit(txn, err, errlen);
}

/* Pending entries for webhooks no longer configured are kept, and said so (once a minute). */
static void warn_unknown(unsigned n)
{
    static int64_t last;
    int64_t now = idw_now_ms();

    if (n && now - last > 60000) {
        log_warn("%u pending deliveries name a webhook that is not configured; they wait "
                 "(`idwatch outbox list` shows them)", n);
        last = now;
    }
}

/*
 * Phase one, in a read transaction: the due entries into c->a, the
 * superseded ones into c->superseded.  IDW_OK, or IDW_ERR (err set).
 */
static enum idw_rc collect_due(struct idw_store *st, struct collect *c, char *err, size_t errlen)
{
    MDB_txn *txn;
    enum idw_rc rc;

    c->held = json_object();
    c->newest = json_object();
    if (!c->held || !c->newest) {
        snprintf(err, errlen, "delivery pass: out of memory");
        rc = IDW_ERR;
    } else {
        rc = idw_store_begin(st, IDW_STORE_RDONLY, &txn, err, errlen);
    }
    if (rc == IDW_OK) {
        rc = idw_outbox_each(st, txn, note_newest, c, err, errlen);
        if (rc == IDW_OK)
            rc = idw_outbox_each(st, txn, collect_one, c, err, errlen);
        mdb_txn_abort(txn);
    }
    json_decref(c->held);
    json_decref(c->newest);
    c->held = c->newest = NULL;
    return rc;
}

/* Phases two and three: the POSTs, then the deferrals.  IDW_OK, or IDW_ERR (err set). */
static enum idw_rc send_due(struct idw_store *st, struct collect *c, const volatile sig_atomic_t *stop,
                            struct idw_delivery_stats *stats, char *err, size_t errlen)
{
    json_t *down_until = json_object();
    enum idw_rc rc = IDW_ERR;

    if (!down_until)
        snprintf(err, errlen, "delivery pass: out of memory");
    else
        rc = start_pass(st, c, stats, err, errlen);
    if (rc == IDW_OK)
        rc = post_all(st, c->a, c->n, stop, down_until, &c->next_due, stats, err, errlen);
    if (rc == IDW_OK)
        rc = finish_pass(st, c->a, c->n, down_until, &c->next_due, err, errlen);
    json_decref(down_until);
    return rc;
}

enum idw_rc idw_deliver_pending(struct idw_store *st, struct idw_webhooks *wh, size_t max,
                                int ignore_schedule, const volatile sig_atomic_t *stop,
                                int64_t *next_due_ms, struct idw_delivery_stats *stats,
                                size_t *attempted, char *err, size_t errlen)
{
    struct attempt a[MAX_BATCH];
    struct collect c;
    enum idw_rc rc;
    size_t done = 0;

    *next_due_ms = 0;
    if (attempted)
        *attempted = 0;
    if (!wh)
        return IDW_OK;
    c = (struct collect){.wh = wh, .a = a, .max = max < MAX_BATCH ? max : MAX_BATCH,
                         .ignore_schedule = ignore_schedule, .now = idw_now_ms()};
    rc = collect_due(st, &c, err, errlen);
    warn_unknown(c.unknown_target);
    if (rc == IDW_OK && (c.n || c.nsuperseded))
        rc = send_due(st, &c, stop, stats, err, errlen);
    for (size_t i = 0; i < c.n; i++) {
        done += (size_t)a[i].done;
        if (!a[i].done && !a[i].deferred && !a[i].leased_elsewhere)
            note_due(&c, c.now);    /* the pass ended early: still due */
        json_decref(a[i].entry);
    }
    for (size_t i = 0; i < c.nsuperseded; i++)
        json_decref(c.superseded[i].entry);
    *next_due_ms = c.next_due;
    if (attempted)
        *attempted = done;
    return rc < 0 ? IDW_ERR : IDW_OK;
}
