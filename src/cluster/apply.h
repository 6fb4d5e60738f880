/*
 * apply.h — applies one partition's write-ahead log (cluster/wal.h) to
 * the LMDB database, in stream order, through the ordinary pipeline
 * (engine/pipeline.h), so a page applied here has exactly the effect it
 * has when the Okta poller feeds it in single-process mode.
 *
 * Rules, so that anyone applying the same stream reaches the same state:
 *   - a message at or below the partition's applied_seq is a no-op
 *     (re-applying from any earlier sequence changes nothing);
 *   - a page applies only if its cursor_polled equals its org's committed
 *     cursor (an org with none has cursor ""); otherwise it is SKIPPED: a
 *     stale copy published beyond the duplicate window, or a page of a
 *     chain that moved on;
 *   - a page of an org that belongs to another partition (when the
 *     partitioning is set) is SKIPPED;
 *   - a page is applied with what it recorded (cluster/wal.h): its
 *     fetched_at as the clock of the future bound, its GeoIP answers, and
 *     the org's live_from — the one its FIRST applied page recorded, kept
 *     with the org's cursor (a worker that lost its poller's state cannot
 *     move it); an event the pipeline refuses is logged with the
 *     partition and sequence;
 *   - a version-2 page before the partition's genesis STOPS the applier;
 *   - the genesis message installs the partition's key for unknown
 *     usernames, once (a second one is SKIPPED);
 *   - a message that does not decode is SKIPPED as MALFORMED (logged);
 *   - a command (cluster/command.h: a review, pause or resume) is applied
 *     in the transaction that commits applied_seq; one it skips (unknown
 *     alert, refused transition, an id decided before) is SKIPPED;
 *   - a rules message (cluster/rulepack.h) is the partition's rule
 *     configuration from there on: checked, written under the rules root
 *     (idw_apply_set_rules), opened through the caller's function, and
 *     recorded (meta "cluster_rules") with applied_seq, so a database
 *     restored from a snapshot judges as the stream says; pages before the
 *     first one are judged by the caller's engine.  One published by a
 *     LATER release STOPS the applier (its C rules are code this one lacks;
 *     an earlier release's applies, with this release's code, logged); one
 *     that does not check is MALFORMED; one that does not load STOPS it;
 *     without a rules root it STOPS too;
 *   - a message of a later version, an unknown type or an unknown command
 *     (FUTURE) STOPS the applier (IDW_ERR, err names the partition and
 *     sequence): skipping it would lose what a later release wrote;
 *   - the page's events, the org's new cursor (next_cursor) and the
 *     partition's applied_seq commit in ONE LMDB write transaction; a
 *     skipped message commits applied_seq alone.  A crash (kill -9)
 *     therefore loses nothing and repeats nothing.
 *
 * Whether a stream is the one the database was built from is checked by
 * cluster/stream_check.h before the first message (idw_apply_genesis_seq,
 * idw_apply_same_stream).
 *
 * State kept in the store's meta table:
 *   "cluster_applied" / "p<N>"   {"seq": N}
 *   "cluster_rules"   / "p<N>"   {"fingerprint", "release", "seq", "at", "by", "message"}
 *   "cluster_cursor"  / <org>    {"cursor": "...", "seq": N}   (N: the page's sequence)
 *
 * One applier per partition and database (the CLI holds the writer lock).
 * Not thread-safe.  Return codes (common/rc.h) are named per function.
 */
#ifndef IDW_APPLY_H
#define IDW_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "common/rc.h"
#include "engine/detect.h"
#include "cluster/partition.h"
#include "event/geo.h"
#include "store/store.h"

enum idw_apply_result {
    IDW_APPLY_APPLIED,      /* the page's events were fed and committed with its cursor */
    IDW_APPLY_ALREADY,      /* seq ≤ applied_seq: nothing done */
    IDW_APPLY_SKIPPED,      /* cursor_polled is not the org's cursor: only applied_seq moved */
    IDW_APPLY_MALFORMED,    /* not a page (reason says why): only applied_seq moved */
};

struct idw_apply;

/*
 * An applier of partition into st (the caller keeps st, cfg, geo and
 * detect alive until idw_apply_close; geo and detect may be NULL).
 * IDW_OK with *out, or IDW_ERR with err.
 */
enum idw_rc idw_apply_open(struct idw_store *st, const struct idw_config *cfg, const struct idw_geodb *geo,
                           struct idw_detect *detect, unsigned partition, struct idw_apply **out,
                           char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Opens a rule engine from a directory of rules (unpacked from a rules
 * message) — the caller adds its alert sinks.  IDW_OK with *out, or
 * IDW_ERR with err.
 */
typedef enum idw_rc (*idw_apply_detect_fn)(void *ctx, const char *dir, struct idw_detect **out, char *err,
                                          size_t errlen);

/*
 * Lets the applier follow the log's rules: rules messages are unpacked
 * under root (root/<fingerprint>/) and opened with fn; the applier owns
 * the engines it opened (closed when replaced and by idw_apply_close).
 * Then loads the rules the database recorded, if any.  IDW_OK, or IDW_ERR
 * with err (the recorded rules do not check or load: stop here).
 */
enum idw_rc idw_apply_set_rules(struct idw_apply *ap, const char *root, idw_apply_detect_fn fn, void *ctx,
                                char *err, size_t errlen) IDW_MUST_CHECK;

/* The fingerprint of the rules in force ("" before the log's first rules message). */
const char *idw_apply_rules_fingerprint(const struct idw_apply *ap);

/* Skip pages of orgs that pt does not place in this partition (pt borrowed; NULL: no check). */
void idw_apply_set_partitioning(struct idw_apply *ap, const struct idw_partitioning *pt);

/* The partition's committed applied_seq (0: nothing yet).  IDW_OK, or IDW_ERR with err. */
enum idw_rc idw_apply_seq(struct idw_apply *ap, uint64_t *seq, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * What the log says of org: its committed cursor into *cursor (malloc'd;
 * "" when none), its history end (*live_from, 0: none yet) and the newest
 * event time applied (*newest_ms, 0: none).  IDW_OK, or IDW_ERR with err.
 */
enum idw_rc idw_apply_cursor(struct idw_apply *ap, const char *org, char **cursor, int64_t *live_from,
                             int64_t *newest_ms, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Applies the message stored at seq (data, len: its payload).  IDW_OK with
 * *result (reason, when given, says why for SKIPPED and MALFORMED), or
 * IDW_ERR with err on a storage failure, out of memory, or a message this
 * release must not skip (FUTURE above): nothing of it was committed, and
 * the caller must stop applying this partition.
 */
enum idw_rc idw_apply_message(struct idw_apply *ap, uint64_t seq, const char *data, size_t len,
                              enum idw_apply_result *result, char *reason, size_t reasonlen,
                              char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * The sequence of the genesis this database applied (0: none yet).  IDW_OK,
 * or IDW_ERR with err.
 */
enum idw_rc idw_apply_genesis_seq(struct idw_apply *ap, uint64_t *seq, char *err, size_t errlen)
    IDW_MUST_CHECK;

/*
 * Whether data (the message the stream holds at idw_apply_genesis_seq) is
 * the genesis this database applied: a genesis with the key it installed.
 * A stream deleted and created again opens with a genesis of a fresh random
 * key, so a database built from the old one is told apart even once the new
 * stream has grown past its applied_seq.  IDW_OK (the same stream), IDW_EXISTS
 * (another stream: err says so), or IDW_ERR with err (storage).
 */
enum idw_rc idw_apply_same_stream(struct idw_apply *ap, const char *data, size_t len, char *err,
                                  size_t errlen) IDW_MUST_CHECK;

/* Events fed by the pages applied so far (all orgs). */
uint64_t idw_apply_events(const struct idw_apply *ap);

void idw_apply_close(struct idw_apply *ap);

#endif
