/*
 * status.h — the workers' heartbeats (docs/scale-out.md, "cluster status").
 *
 * A worker's applied_seq lives in its own LMDB databases, on its own host;
 * `idwatch cluster status` reads it from the heartbeat each worker
 * publishes (at start, every 10 s, at the end of --once) on
 * idw.status.<slot> of the stream IDW_STATUS (file storage, replicas
 * cluster.replicas, MaxMsgsPerSubject 1: only the latest heartbeat of
 * each slot stays; MaxAge 1 day: a slot no longer run fades out).
 *
 *   {"v":1, "slot":I, "slots":N, "host":"...", "pid":n, "at":<ms>,
 *    "started_at":<ms>,
 *    "partitions":[{"p":P, "applied_seq":A, "stream_last_seq":L,
 *                   "snapshot_seq":S, "snapshot_at":<ms, 0: none>,
 *                   "orgs":[{"org":"domain_id", "cursor_set":bool,
 *                            "held":bool, "paused":bool}],
 *                   "rules":"<fingerprint, \"\": the worker's own>" (optional)}]}
 *
 * held: paused by an operator's command in the log (cluster pause);
 * paused: the poller paused itself (docs/okta-connector.md).  No secret
 * and no cursor URL is in a heartbeat (cursor_set says whether there is one).
 *
 * Not thread-safe.  Return codes (common/rc.h) are named per function.
 */
#ifndef IDW_STATUS_H
#define IDW_STATUS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/rc.h"

#define IDW_STATUS_STREAM "IDW_STATUS"
#define IDW_STATUS_MAX_AGE_S 86400
#define IDW_STATUS_HOST_MAX 255

struct idw_js;

/*
 * Checks a heartbeat document: "v" 1, exactly the keys above at every
 * level, each of its type, 0 ≤ slot < slots ≤ 4096, pid ≥ 1, times ≥ 0,
 * host 1–255 characters, p < 4096, org a domain_id (1–63 of [A-Za-z0-9._-]).
 * IDW_OK, or IDW_ERR with err naming the field ("heartbeat:
 * partitions[0].orgs[1].held: expected true or false").
 */
enum idw_rc idw_status_check(const json_t *hb, char *err, size_t errlen) IDW_MUST_CHECK;

/* Parses len bytes and checks them.  IDW_OK with *out (caller json_decref), or IDW_ERR with err. */
enum idw_rc idw_status_decode(const char *buf, size_t len, json_t **out, char *err, size_t errlen)
    IDW_MUST_CHECK;

/* Checks hb and encodes it (compact, keys sorted).  IDW_OK with *out (caller frees) and *len, or IDW_ERR. */
enum idw_rc idw_status_encode(const json_t *hb, char **out, size_t *len, char *err, size_t errlen)
    IDW_MUST_CHECK;

/* Creates IDW_STATUS if missing with replicas, retried until deadline_ms.  IDW_OK, or IDW_ERR with err. */
enum idw_rc idw_status_ensure(struct idw_js *js, int replicas, int64_t deadline_ms, char *err, size_t errlen)
    IDW_MUST_CHECK;

/*
 * Checks, encodes and publishes hb on idw.status.<slot>, retried until
 * deadline_ms (the stream must exist: idw_status_ensure).  IDW_OK, or
 * IDW_ERR with err.
 */
enum idw_rc idw_status_publish(struct idw_js *js, const json_t *hb, int64_t deadline_ms, char *err,
                               size_t errlen) IDW_MUST_CHECK;

/*
 * The latest heartbeat of every slot: IDW_OK with *out a JSON array (caller
 * json_decref) of the heartbeats that decode, in slot order, and *bad the
 * count of those that did not (each logged with its subject);
 * IDW_NOTFOUND when IDW_STATUS does not exist (*out an empty array);
 * IDW_ERR with err.
 */
enum idw_rc idw_status_read(struct idw_js *js, json_t **out, size_t *bad, char *err, size_t errlen)
    IDW_MUST_CHECK;

#endif
