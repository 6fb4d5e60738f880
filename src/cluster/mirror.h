/*
 * mirror.h — a local copy of the provider-wide alerts stream (IDW_ALERTS,
 * cluster/alertstream.h) in an ordinary idwatch LMDB database, so that the
 * single-process console and API (serve/serve.h) can serve every org's
 * alerts and incidents in the distributed mode (docs/scale-out.md, "The
 * provider-wide console").
 *
 * The mirror writes the SAME tables the single-process store uses, so the
 * console reads them unchanged:
 *   alerts     (domain_id, alert_id)    → the alert document   (alert/alert.h)
 *   incidents  (domain_id, incident_id) → the incident document (alert/incident.h)
 * Nothing else: no alert_key or incident index (only raising uses them),
 * no outbox entry (a mirrored version is never delivered again).
 *
 * Reading is by sequence (STREAM.MSG.GET, cluster/js.h), from the position
 * kept in the database's meta table:
 *   "cluster_mirror" / "IDW_ALERTS"  → {"seq": <the last sequence taken>}
 * Each version is written only when it is newer than the stored document
 * of that id (a replay, a duplicate or an older copy changes nothing), and
 * the position commits in the same transaction: a restart resumes where
 * the last commit ended, and replaying a range is idempotent.
 *
 * A message that does not decode (idw_alertstream_decode refuses it) is
 * logged naming its sequence and skipped: one bad message never stops the
 * reader.  A sequence the stream no longer holds (deleted, aged out) is
 * skipped too; a stream whose first sequence moved past the position is
 * read from its first sequence.
 *
 * Single-threaded per call: the caller serialises calls that share js
 * (the console's review hook and its follow loop take one mutex).  Return
 * codes (common/rc.h) are named per function.
 */
#ifndef IDW_MIRROR_H
#define IDW_MIRROR_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <lmdb.h>

#include "cluster/js.h"
#include "common/rc.h"
#include "store/store.h"

#define IDW_MIRROR_META "cluster_mirror"
#define IDW_MIRROR_BATCH 256        /* messages per write transaction */

/* What one idw_mirror_follow did. */
struct idw_mirror_stats {
    uint64_t read;          /* messages read from the stream */
    uint64_t written;       /* versions newer than the stored one: written */
    uint64_t stale;         /* versions at or below the stored one: left out */
    uint64_t bad;           /* messages that did not decode: logged, skipped */
    uint64_t missing;       /* sequences the stream no longer holds */
    uint64_t position;      /* the position after the call */
    uint64_t behind;        /* the stream's messages after position when the call began: the next call's */
};

/*
 * The stored position: IDW_OK with *seq (0 when nothing was ever taken),
 * or IDW_ERR with err (a read error or a damaged record: never taken for 0).
 */
enum idw_rc idw_mirror_position(struct idw_store *st, MDB_txn *txn, uint64_t *seq, char *err, size_t errlen)
    IDW_MUST_CHECK;

/*
 * Writes one checked envelope (idw_alertstream_decode's output) into txn
 * when its version is newer than the stored document of that (org, id).
 * IDW_OK with *written 1 (stored) or 0 (not newer: nothing written), or
 * IDW_ERR with err (abort txn).
 */
enum idw_rc idw_mirror_put(struct idw_store *st, MDB_txn *txn, const json_t *env, int *written,
                           char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Takes the messages of IDW_ALERTS after the stored position, up to the
 * stream's last sequence when the call began and at most max_msgs of them
 * (0: no limit; s->behind says how many are left), into st:
 * IDW_MIRROR_BATCH messages per write transaction, each with the position,
 * read from NATS before the transaction begins.  A stream that does not
 * exist yet is nothing to take; one that ends below the position (deleted
 * and created again) is read again from its start, with a warning.  IDW_OK
 * with *s (may be NULL), or IDW_ERR with err (NATS or storage; what
 * committed before stays).  retry_ms bounds each NATS request's retries.
 */
enum idw_rc idw_mirror_follow(struct idw_js *js, struct idw_store *st, int64_t retry_ms, uint64_t max_msgs,
                              struct idw_mirror_stats *s, char *err, size_t errlen) IDW_MUST_CHECK;

#endif
