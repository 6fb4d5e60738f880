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
 */
#ifndef IDW_OUTBOX_H
#define IDW_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <lmdb.h>

#include "alert/alert.h"
#include "common/severity.h"
#include "store/store.h"

/* What the outbox needs to know of a webhook to decide what it gets. */
struct idw_outbox_target {
    char name[256];                 /* "name" in the config, else the URL */
    enum idw_severity min_severity;
    int deliver_historical;         /* backfill alerts too */
};

/*
 * Queues the alert (as it now is) for every target whose filters it
 * passes.  Runs inside the caller's write transaction.  Returns the
 * number queued, or -1 with err set.
 */
int idw_outbox_enqueue(struct idw_store *st, MDB_txn *txn, const char *domain, const json_t *alert,
                       const struct idw_outbox_target *targets, size_t ntargets,
                       char *err, size_t errlen);

/*
 * Fills *out with the sink that queues each alert version for these
 * targets (copied: the caller keeps t), for idw_alerts_add_sink, whose
 * registry then owns it.  Zero targets make a sink that queues nothing.
 * IDW_OK, or IDW_ERR when out of memory (*out untouched).
 */
IDW_MUST_CHECK enum idw_rc idw_outbox_sink(const struct idw_outbox_target *t, size_t n,
                                           struct idw_alert_sink *out);

/* Calls fn for every entry in queue order; fn returning non-zero stops. fn must not keep entry. */
typedef int (*idw_outbox_fn)(uint64_t seq, json_t *entry, void *ctx);
int idw_outbox_each(struct idw_store *st, MDB_txn *txn, idw_outbox_fn fn, void *ctx,
                    char *err, size_t errlen);

/* Reads one entry (*out = NULL, returns 1 when absent), rewrites or removes one. */
int idw_outbox_get(struct idw_store *st, MDB_txn *txn, uint64_t seq, json_t **out,
                   char *err, size_t errlen);
int idw_outbox_put(struct idw_store *st, MDB_txn *txn, uint64_t seq, const json_t *entry,
                   char *err, size_t errlen);
int idw_outbox_delete(struct idw_store *st, MDB_txn *txn, uint64_t seq, char *err, size_t errlen);

#endif
