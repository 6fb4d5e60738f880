/*
 * outbox.h — the durable queue between the alert store and the SOAR
 * webhooks.
 *
 * The outbox is an alert sink (alert/alert.h, idw_outbox_sink): every
 * version of every alert (created, aggregated, reviewed, connector) is
 * queued here once per webhook whose filters it passes, in the same LMDB
 * transaction that stores the alert: if the alert exists, its deliveries
 * are queued, whatever crashes afterwards.  The delivery
 * worker (deliver.h) removes an entry when the receiver answers 2xx,
 * reschedules it on a retryable failure, and turns it into a dead letter
 * on a permanent one; `idwatch outbox retry` revives dead letters.
 *
 * An entry (JSON, keyed by a big-endian sequence number so a cursor walks
 * them in the order they were queued):
 *
 *   seq, domain, target (webhook name), alert_id, version, rule, severity,
 *   state ("pending" | "dead"), attempts, created_ms, next_ms,
 *   last_status (HTTP status, 0 transport failure), last_error,
 *   alert (the alert document as of that version: what is delivered)
 *
 * An incident version (alert/incident.h; the same sink, registered with
 * idw_alerts_add_incident_sink) is queued the same way, only for targets
 * with `incidents` on: kind "incident", alert_id holding the incident_id
 * (ordering and Idempotency-Key work per id alike), rule "incident", and
 * the incident document in `alert`.  Alert entries carry no kind.
 *
 * Registered targets: a database may carry targets of its own (meta
 * "outbox_targets"/"_all", idw_outbox_register_target), for which the
 * outbox sink queues every version whoever writes it — the pipeline,
 * `alerts ack`, an API review — beside the targets it was made with.  The
 * scale-out alerts stream is one: a review made on a worker's database by
 * a process that knows nothing of NATS still reaches the stream.
 */
#ifndef IDW_OUTBOX_H
#define IDW_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <lmdb.h>

#include "alert/alert.h"
#include "common/rc.h"
#include "common/severity.h"
#include "store/store.h"

/* What the outbox needs to know of a webhook to decide what it gets. */
struct idw_outbox_target {
    char name[256];                 /* "name" in the config, else the URL */
    enum idw_severity min_severity;
    int deliver_historical;         /* backfill alerts too */
    int incidents;                  /* incident versions too ("incidents": true; native format only) */
};

/*
 * Queues the alert or incident (as it now is) for every target whose
 * filters it passes.  Runs inside the caller's write transaction.  IDW_OK with
 * *queued (may be NULL) the number queued, or IDW_ERR with err set (the
 * caller abandons the transaction: some targets may have been queued).
 */
enum idw_rc idw_outbox_enqueue(struct idw_store *st, MDB_txn *txn, const char *domain, const json_t *alert,
                               const struct idw_outbox_target *targets, size_t ntargets,
                               size_t *queued, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Fills *out with the sink that queues each alert version for these
 * targets (copied: the caller keeps t), for idw_alerts_add_sink, whose
 * registry then owns it.  Zero targets make a sink that queues nothing.
 * IDW_OK, or IDW_ERR when out of memory (*out untouched).
 */
IDW_MUST_CHECK enum idw_rc idw_outbox_sink(const struct idw_outbox_target *t, size_t n,
                                           struct idw_alert_sink *out);

/*
 * Routes al's alert versions and incident versions to the outbox for these
 * targets (two sinks: idw_outbox_sink added as the alert sink and as the
 * incident sink) and sets the incident window from the configuration
 * document root (incidents.window_hours).  Every writer of alerts uses it —
 * the pipeline, `alerts ack|resolve|fp`, API reviews — so a SOAR that takes
 * incidents never sees a version that was not queued.  IDW_OK, or IDW_ERR
 * with err (a bad window setting, out of memory); al keeps what was added.
 */
IDW_MUST_CHECK enum idw_rc idw_outbox_attach(struct idw_alerts *al, const json_t *root,
                                             const struct idw_outbox_target *t, size_t n,
                                             char *err, size_t errlen);

/*
 * Records target t (name and filters) as one of st's registered targets
 * (replacing one of the same name) in the caller's write transaction:
 * from its commit on, the outbox sink of every process queues each alert
 * and incident version for it too.  Whoever delivers registers the
 * target's sender (webhook.h idw_webhooks_add_callback); until then its
 * entries wait pending.  IDW_OK, or IDW_ERR with err.
 */
enum idw_rc idw_outbox_register_target(struct idw_store *st, MDB_txn *txn, const struct idw_outbox_target *t,
                                       char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * st's registered targets, as idw_outbox_register_target stored them:
 * IDW_OK with *out (malloc'd, NULL when none) and *n, or IDW_ERR with err
 * (a damaged record: named, never read as "none").
 */
enum idw_rc idw_outbox_registered(struct idw_store *st, MDB_txn *txn, struct idw_outbox_target **out,
                                  size_t *n, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Calls fn for every entry in queue order (an entry that is not JSON is
 * skipped: left in place, never crashed on).  fn must not keep entry; it
 * returns 0 to go on, > 0 to stop the walk (a success), < 0 when it failed
 * (out of memory: an answer built from part of the queue would be wrong).
 * IDW_OK, or IDW_ERR with err naming the storage error or the entry whose
 * fn failed.
 */
typedef int (*idw_outbox_fn)(uint64_t seq, json_t *entry, void *ctx);
enum idw_rc idw_outbox_each(struct idw_store *st, MDB_txn *txn, idw_outbox_fn fn, void *ctx,
                            char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Reads entry seq: IDW_OK with *out (caller json_decref's), IDW_NOTFOUND
 * when there is none (*out NULL), IDW_ERR (*out NULL, err set) on a
 * storage error or a stored entry that is not JSON — a damaged entry is
 * not an absent one.
 */
enum idw_rc idw_outbox_get(struct idw_store *st, MDB_txn *txn, uint64_t seq, json_t **out,
                           char *err, size_t errlen) IDW_MUST_CHECK;

/* Writes entry seq (new or replaced).  IDW_OK, or IDW_ERR with err set. */
enum idw_rc idw_outbox_put(struct idw_store *st, MDB_txn *txn, uint64_t seq, const json_t *entry,
                           char *err, size_t errlen) IDW_MUST_CHECK;

/* Removes entry seq.  IDW_OK (also when it was already gone), or IDW_ERR with err set. */
enum idw_rc idw_outbox_delete(struct idw_store *st, MDB_txn *txn, uint64_t seq, char *err, size_t errlen)
    IDW_MUST_CHECK;

#endif
