/*
 * snapshot.h — LMDB snapshots of a partition kept in NATS JetStream, and
 * restore (docs/scale-out.md, "Snapshots").  A worker whose local
 * directory was wiped recovers a partition from its latest snapshot plus a
 * replay of the partition stream from the snapshot's applied_seq + 1.
 *
 * Stream IDW_SNAP (file storage, replicas cluster.replicas, AllowRollup)
 * holds, per partition p:
 *   idw.snap.<p>.c   chunks: 256 KiB pieces of a compacted copy of the
 *                    partition's data.mdb, headers Idw-Snap-Id (32 hex) and
 *                    Idw-Snap-Chunk (0-based index), Msg-Id "<id>.<index>"
 *   idw.snap.<p>.m   the manifest, published last with Nats-Rollup: sub, so
 *                    only the latest one stays:
 *     {"v":1, "partition":p, "snap_id":"<32 hex>", "applied_seq":N,
 *      "first_chunk_seq":S, "chunks":k, "bytes":B, "sha256":"<64 hex>",
 *      "created_at":<ms>, "idwatch_version":"x.y.z"}
 * A snapshot's chunks lie between first_chunk_seq and its manifest's own
 * sequence; other partitions' chunks may interleave (restore skips them).
 * After a manifest, older chunks of the partition are purged, keeping the
 * last two snapshots (so a restore that read the previous manifest still
 * finds its chunks).  One taker per partition at a time (its worker).
 *
 * applied_seq is read from the COPY (meta "cluster_applied"/"p<N>"), never
 * from the live store before or after copying: a writer may commit in
 * between, and the snapshot must describe exactly what it holds.
 *
 * Secrets: a snapshot is the whole database, with what it keeps secret (the
 * per-database unknown_user_key, any API token or console user hashes):
 * reading IDW_SNAP must be as restricted as reading the database files.
 * Nothing secret is logged or put in an error.
 *
 * Not thread-safe; usable from a single-threaded loop.  Return codes
 * (common/rc.h) are named per function; errors name the partition.
 */
#ifndef IDW_SNAPSHOT_H
#define IDW_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cluster/js.h"
#include "common/rc.h"
#include "store/store.h"

#define IDW_SNAP_STREAM "IDW_SNAP"
#define IDW_SNAP_VERSION 1
#define IDW_SNAP_CHUNK_BYTES (256 * 1024)
#define IDW_SNAP_ID_LEN 32                  /* hex digits of a snapshot id */
#define IDW_SNAP_HDR_ID "Idw-Snap-Id"
#define IDW_SNAP_HDR_CHUNK "Idw-Snap-Chunk"

/* Defaults of the configuration keys below. */
#define IDW_SNAP_EVERY_S_DEFAULT 600
#define IDW_SNAP_EVERY_EVENTS_DEFAULT 500000
#define IDW_STREAM_MAX_AGE_DAYS_DEFAULT 7

/*
 * The "cluster" keys this file reads (docs/config.md):
 *   cluster.snapshot_every_s        0 .. 604800 (600; 0: never by time)
 *   cluster.snapshot_every_events   0 .. 10^12 (500000; 0: never by count)
 *   cluster.stream_max_age_days     0 .. 3650 (7; 0: partition streams kept for ever);
 *                                   when both it and snapshot_every_s are set it must
 *                                   exceed 2 × snapshot_every_s
 *   cluster.replicas                1 .. 5 (3): IDW_SNAP's replicas
 */
struct idw_snapshot_config {
    int64_t every_s;
    uint64_t every_events;
    int stream_max_age_days;
    int replicas;
};

/*
 * Reads those keys from a configuration document (root may lack
 * "cluster": defaults).  IDW_OK with *out, or IDW_ERR with err naming the
 * key ("cluster.snapshot_every_s: ...").
 */
enum idw_rc idw_snapshot_config_load(const json_t *root, struct idw_snapshot_config *out,
                                     char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Whether a worker should take a snapshot now: 1 when applied_seq moved
 * past the last snapshot's (last_seq) and either every_events events were
 * applied since it (events_since), or every_s seconds passed since it was
 * taken (last_ms; 0: never taken).  Otherwise 0.
 */
int idw_snapshot_due(const struct idw_snapshot_config *c, int64_t now_ms, int64_t last_ms,
                     uint64_t last_seq, uint64_t applied_seq, uint64_t events_since) IDW_MUST_CHECK;

struct idw_snapshot_manifest {
    unsigned partition;
    char snap_id[IDW_SNAP_ID_LEN + 1];
    uint64_t applied_seq;
    uint64_t first_chunk_seq;
    uint64_t chunks;
    uint64_t bytes;
    char sha256[65];                /* lower-case hex */
    int64_t created_at;             /* ms since the epoch */
    char idwatch_version[32];
};

/* Chunks of a snapshot of bytes bytes: ceil(bytes / IDW_SNAP_CHUNK_BYTES). */
uint64_t idw_snapshot_chunk_count(uint64_t bytes);

/* The length chunk index of a snapshot of bytes bytes must have (0 when index is past the end). */
size_t idw_snapshot_chunk_len(uint64_t bytes, uint64_t index);

/*
 * Encodes m (compact JSON, the fields above; malloc'd, *len its length).
 * IDW_OK with *out, or IDW_ERR with err (a field out of range, as
 * idw_snapshot_manifest_decode would refuse it; out of memory).
 */
enum idw_rc idw_snapshot_manifest_encode(const struct idw_snapshot_manifest *m, char **out, size_t *len,
                                         char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Decodes and checks a manifest: valid JSON, "v" 1, exactly the ten keys,
 * each of its type, snap_id 32 and sha256 64 lower-case hex digits,
 * bytes > 0, chunks = idw_snapshot_chunk_count(bytes), applied_seq ≥ 1,
 * first_chunk_seq ≥ 1.  IDW_OK with *m, or IDW_ERR with err naming the
 * field ("snapshot manifest: sha256: expected 64 lower-case hex digits").
 */
enum idw_rc idw_snapshot_manifest_decode(const char *buf, size_t len, struct idw_snapshot_manifest *m,
                                         char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Takes a snapshot of partition's store st (opened by the caller, read-only
 * or not; a writer may keep committing meanwhile): a compacted copy
 * (mdb_env_copyfd2) into a temporary directory under tmp_parent (st's own
 * directory when NULL; removed afterwards), its applied_seq read from the
 * copy, the chunks and the manifest published, older chunks purged.
 * IDW_SNAP is created if missing with c->replicas.  Each NATS call is retried
 * for retry_ms from its start.  IDW_OK with *out (the manifest published);
 * IDW_NOTFOUND when the copy holds no applied_seq for partition (nothing
 * applied yet: nothing published); IDW_ERR with err.
 */
enum idw_rc idw_snapshot_take(struct idw_js *js, struct idw_store *st, unsigned partition,
                              const struct idw_snapshot_config *c, const char *tmp_parent, int64_t retry_ms,
                              struct idw_snapshot_manifest *out, char *err, size_t errlen) IDW_MUST_CHECK;

/* What a restore found (filled as far as it got). */
struct idw_snapshot_restore {
    struct idw_snapshot_manifest manifest;
    uint64_t stream_first, stream_last;     /* IDW_P<partition>'s, when read */
    int stream_gap;                         /* 1: the stream no longer reaches back to applied_seq + 1 */
};

/*
 * Restores partition's latest snapshot into dir (created 0700 if missing,
 * its parent must exist; refused when it already holds a data.mdb): the manifest, then every
 * chunk by sequence, each checked (snapshot id, index, length), the total
 * size and SHA-256 checked, written to a temporary file, fsync'ed, then
 * renamed to dir/data.mdb (and dir fsync'ed) — but only once partition's
 * stream IDW_P<n> is seen to still reach back: its first sequence ≤
 * applied_seq + 1 (checked before downloading and again after).
 *
 *   IDW_OK        dir/data.mdb installed; replay from applied_seq + 1
 *   IDW_NOTFOUND  no snapshot of partition (nothing written): a fresh
 *                 partition starts empty and replays from 1 — err says
 *                 whether the stream still starts at 1 (r->stream_gap 0)
 *                 or not (r->stream_gap 1: events aged out; fail)
 *   IDW_ERR       err names the partition and what failed: a chunk
 *                 missing, of another snapshot or index, a size or
 *                 SHA-256 mismatch, dir already holding a data.mdb, I/O;
 *                 r->stream_gap 1 when the stream no longer reaches back
 *                 (err names the snapshot's applied_seq and the stream's
 *                 first sequence).  Nothing is left in dir but what was
 *                 there.
 */
enum idw_rc idw_snapshot_restore(struct idw_js *js, unsigned partition, const char *dir, int64_t retry_ms,
                                 struct idw_snapshot_restore *r, char *err, size_t errlen) IDW_MUST_CHECK;

#endif
