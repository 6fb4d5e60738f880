/*
 * snapshot.c — a partition's LMDB state as chunks + manifest in the
 * IDW_SNAP stream, and back (snapshot.h).  The manifest codec and the
 * chunk arithmetic are pure (unit-tested, fuzzed); take and restore talk
 * to NATS through cluster/js.h only.
 */
#include "cluster/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/log.h"

#ifndef IDW_VERSION
#define IDW_VERSION "0.0.0"
#endif

#define EVERY_S_MAX 604800
#define EVERY_EVENTS_MAX 1000000000000LL
#define MAX_AGE_DAYS_MAX 3650
#define MANIFEST_KEYS 10

/* ---- configuration ------------------------------------------------------------------------- */

/* cluster.<key> as an integer within lo..hi, else def when absent.  0 or -1 (err set). */
static int int_key(const json_t *cluster, const char *key, long long lo, long long hi, long long def,
                   long long *out, char *err, size_t errlen)
{
    const json_t *v = json_object_get(cluster, key);

    *out = def;
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        snprintf(err, errlen, "cluster.%s: expected an integer between %lld and %lld", key, lo, hi);
        return -1;
    }
    *out = json_integer_value(v);
    return 0;
}

enum idw_rc idw_snapshot_config_load(const json_t *root, struct idw_snapshot_config *out,
                                     char *err, size_t errlen)
{
    const json_t *cl = json_object_get(root, "cluster");
    long long every_s, events, age, replicas;

    if (int_key(cl, "snapshot_every_s", 0, EVERY_S_MAX, IDW_SNAP_EVERY_S_DEFAULT, &every_s,
                err, errlen) < 0 ||
        int_key(cl, "snapshot_every_events", 0, EVERY_EVENTS_MAX, IDW_SNAP_EVERY_EVENTS_DEFAULT, &events,
                err, errlen) < 0 ||
        int_key(cl, "stream_max_age_days", 0, MAX_AGE_DAYS_MAX, IDW_STREAM_MAX_AGE_DAYS_DEFAULT, &age,
                err, errlen) < 0 ||
        int_key(cl, "replicas", 1, 5, IDW_JS_REPLICAS_DEFAULT, &replicas, err, errlen) < 0)
        return IDW_ERR;
    /* a stream that forgets before two snapshots were taken cannot back a restore */
    if (age && every_s && age * 86400 <= 2 * every_s) {
        snprintf(err, errlen, "cluster.stream_max_age_days: %lld days must exceed twice "
                 "cluster.snapshot_every_s (%lld s), plus the longest outage", age, every_s);
        return IDW_ERR;
    }
    out->every_s = every_s;
    out->every_events = (uint64_t)events;
    out->stream_max_age_days = (int)age;
    out->replicas = (int)replicas;
    return IDW_OK;
}

int idw_snapshot_due(const struct idw_snapshot_config *c, int64_t now_ms, int64_t last_ms,
                     uint64_t last_seq, uint64_t applied_seq, uint64_t events_since)
{
    if (applied_seq <= last_seq)
        return 0;       /* nothing new since the last one */
    if (c->every_events && events_since >= c->every_events)
        return 1;
    return c->every_s && now_ms - last_ms >= c->every_s * 1000;
}

/* ---- chunks and the manifest --------------------------------------------------------------- */

uint64_t idw_snapshot_chunk_count(uint64_t bytes)
{
    return bytes / IDW_SNAP_CHUNK_BYTES + (bytes % IDW_SNAP_CHUNK_BYTES != 0);
}

size_t idw_snapshot_chunk_len(uint64_t bytes, uint64_t index)
{
    uint64_t start;

    if (index >= idw_snapshot_chunk_count(bytes))
        return 0;
    start = index * IDW_SNAP_CHUNK_BYTES;
    return bytes - start < IDW_SNAP_CHUNK_BYTES ? (size_t)(bytes - start) : IDW_SNAP_CHUNK_BYTES;
}

static int is_hex(const char *s, size_t n)
{
    return s && strlen(s) == n && strspn(s, "0123456789abcdef") == n;
}

/* The checks decode makes on the values, for encode too.  0, or -1 with err. */
static int check_values(const struct idw_snapshot_manifest *m, char *err, size_t errlen)
{
    const char *bad = NULL;

    if (!is_hex(m->snap_id, IDW_SNAP_ID_LEN))
        bad = "snap_id: expected 32 lower-case hex digits";
    else if (!is_hex(m->sha256, 64))
        bad = "sha256: expected 64 lower-case hex digits";
    else if (m->bytes == 0 || m->bytes > (uint64_t)INT64_MAX)
        bad = "bytes: expected a positive integer";
    else if (m->chunks != idw_snapshot_chunk_count(m->bytes))
        bad = "chunks: does not match bytes (256 KiB a chunk)";
    else if (m->applied_seq == 0 || m->applied_seq > (uint64_t)INT64_MAX)
        bad = "applied_seq: expected a positive integer";
    else if (m->first_chunk_seq == 0 || m->first_chunk_seq > (uint64_t)INT64_MAX)
        bad = "first_chunk_seq: expected a positive integer";
    else if (m->created_at < 0)
        bad = "created_at: expected a non-negative integer";
    else if (m->partition >= 4096)
        bad = "partition: expected 0..4095";
    if (!bad)
        return 0;
    snprintf(err, errlen, "snapshot manifest: %s", bad);
    return -1;
}

enum idw_rc idw_snapshot_manifest_encode(const struct idw_snapshot_manifest *m, char **out, size_t *len,
                                         char *err, size_t errlen)
{
    json_t *o;

    *out = NULL;
    if (check_values(m, err, errlen) < 0)
        return IDW_ERR;
    o = json_pack("{s:i, s:I, s:s, s:I, s:I, s:I, s:I, s:s, s:I, s:s}", "v", IDW_SNAP_VERSION,
                  "partition", (json_int_t)m->partition, "snap_id", m->snap_id,
                  "applied_seq", (json_int_t)m->applied_seq,
                  "first_chunk_seq", (json_int_t)m->first_chunk_seq,
                  "chunks", (json_int_t)m->chunks, "bytes", (json_int_t)m->bytes, "sha256", m->sha256,
                  "created_at", (json_int_t)m->created_at, "idwatch_version", m->idwatch_version);
    *out = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    if (!*out) {
        snprintf(err, errlen, "snapshot manifest: out of memory");
        return IDW_ERR;
    }
    *len = strlen(*out);
    return IDW_OK;
}

/* An integer member ≥ 0 into *v.  0, or -1 with err naming it. */
static int get_uint(const json_t *o, const char *key, uint64_t *v, char *err, size_t errlen)
{
    const json_t *x = json_object_get(o, key);

    if (!json_is_integer(x) || json_integer_value(x) < 0) {
        snprintf(err, errlen, "snapshot manifest: %s: %s", key,
                 x ? "expected a non-negative integer" : "missing");
        return -1;
    }
    *v = (uint64_t)json_integer_value(x);
    return 0;
}

/* A string member of at most cap - 1 bytes into out.  0, or -1 with err naming it. */
static int get_str(const json_t *o, const char *key, char *out, size_t cap, char *err, size_t errlen)
{
    const json_t *x = json_object_get(o, key);

    if (!json_is_string(x) || json_string_length(x) >= cap) {
        snprintf(err, errlen, "snapshot manifest: %s: %s", key,
                 !x ? "missing" : json_is_string(x) ? "too long" : "expected a string");
        return -1;
    }
    memcpy(out, json_string_value(x), json_string_length(x) + 1);
    return 0;
}

static int read_fields(const json_t *o, struct idw_snapshot_manifest *m, char *err, size_t errlen)
{
    uint64_t v, part, created;

    if (get_uint(o, "v", &v, err, errlen) < 0)
        return -1;
    if (v != IDW_SNAP_VERSION) {
        snprintf(err, errlen, "snapshot manifest: v: version %" PRIu64 " is not %d (written by another "
                 "release?)", v, IDW_SNAP_VERSION);
        return -1;
    }
    if (json_object_size(o) != MANIFEST_KEYS) {
        snprintf(err, errlen, "snapshot manifest: expected exactly v, partition, snap_id, applied_seq, "
                 "first_chunk_seq, chunks, bytes, sha256, created_at, idwatch_version");
        return -1;
    }
    if (get_uint(o, "partition", &part, err, errlen) < 0 ||
        get_str(o, "snap_id", m->snap_id, sizeof m->snap_id, err, errlen) < 0 ||
        get_uint(o, "applied_seq", &m->applied_seq, err, errlen) < 0 ||
        get_uint(o, "first_chunk_seq", &m->first_chunk_seq, err, errlen) < 0 ||
        get_uint(o, "chunks", &m->chunks, err, errlen) < 0 ||
        get_uint(o, "bytes", &m->bytes, err, errlen) < 0 ||
        get_str(o, "sha256", m->sha256, sizeof m->sha256, err, errlen) < 0 ||
        get_uint(o, "created_at", &created, err, errlen) < 0 ||
        get_str(o, "idwatch_version", m->idwatch_version, sizeof m->idwatch_version, err, errlen) < 0)
        return -1;
    m->partition = part > 4096 ? 4096 : (unsigned)part;
    m->created_at = created > (uint64_t)INT64_MAX ? -1 : (int64_t)created;
    return check_values(m, err, errlen);
}

enum idw_rc idw_snapshot_manifest_decode(const char *buf, size_t len, struct idw_snapshot_manifest *m,
                                         char *err, size_t errlen)
{
    json_error_t je;
    json_t *o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    int rc;

    memset(m, 0, sizeof *m);
    if (!o || !json_is_object(o)) {
        if (o)
            snprintf(err, errlen, "snapshot manifest: expected a JSON object");
        else
            snprintf(err, errlen, "snapshot manifest: line %d, column %d: %s", je.line, je.column, je.text);
        json_decref(o);
        return IDW_ERR;
    }
    rc = read_fields(o, m, err, errlen);
    json_decref(o);
    if (rc < 0) {
        memset(m, 0, sizeof *m);
        return IDW_ERR;
    }
    return IDW_OK;
}

/* ---- shared helpers ------------------------------------------------------------------------ */

static void subjects(unsigned p, char chunks[48], char manifest[48])
{
    snprintf(chunks, 48, "idw.snap.%u.c", p);
    snprintf(manifest, 48, "idw.snap.%u.m", p);
}

static void hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static enum idw_rc ensure_snap_stream(struct idw_js *js, int replicas, int64_t deadline, char *err,
                                      size_t errlen)
{
    static const char *const subj[] = {"idw.snap.*.c", "idw.snap.*.m"};
    const struct idw_js_stream s = {
        .name = IDW_SNAP_STREAM, .subjects = subj, .nsubjects = 2, .replicas = replicas,
        .max_msg_size = IDW_SNAP_CHUNK_BYTES + IDW_JS_HEADER_ALLOWANCE, .allow_rollup = 1,
    };

    return idw_js_ensure(js, &s, deadline, err, errlen);
}

/* The deadline of one NATS call, retried for retry_ms from now (js.h). */
static int64_t until(int64_t retry_ms)
{
    return idw_js_now_ms() + retry_ms;
}

/* write(2) all of it.  0, or -1 (errno). */
static int write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;

    while (n) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* read(2) up to n bytes, short only at the end of the file.  The count, or -1 (errno). */
static ssize_t read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* ---- take ---------------------------------------------------------------------------------- */

struct take {
    struct idw_js *js;
    unsigned p;
    int64_t retry_ms;               /* per NATS call: a long snapshot still retries its last chunk */
    char tmpdir[4096], file[4200];
    int fd;
    struct idw_snapshot_manifest m;
};

/* The compacted copy of st into t->file (t->fd left open, at offset 0). */
static enum idw_rc copy_store(struct take *t, struct idw_store *st, const char *parent, char *err,
                              size_t errlen)
{
    int rc;

    snprintf(t->tmpdir, sizeof t->tmpdir, "%s/.snapshot-p%u.XXXXXX", parent, t->p);
    if (!mkdtemp(t->tmpdir)) {
        snprintf(err, errlen, "snapshot: partition %u: %s: cannot create: %s", t->p, t->tmpdir,
                 strerror(errno));
        t->tmpdir[0] = '\0';
        return IDW_ERR;
    }
    snprintf(t->file, sizeof t->file, "%s/data.mdb", t->tmpdir);
    t->fd = open(t->file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (t->fd < 0) {
        snprintf(err, errlen, "snapshot: partition %u: %s: %s", t->p, t->file, strerror(errno));
        return IDW_ERR;
    }
    /* a read transaction of its own: writers go on committing, the copy is one consistent state */
    rc = mdb_env_copyfd2(st->env, t->fd, MDB_CP_COMPACT);
    if (rc || lseek(t->fd, 0, SEEK_SET) != 0) {
        snprintf(err, errlen, "snapshot: partition %u: copying the store: %s", t->p,
                 rc ? mdb_strerror(rc) : strerror(errno));
        return IDW_ERR;
    }
    return IDW_OK;
}

/* applied_seq as the COPY holds it: what the snapshot describes, whatever committed since. */
static enum idw_rc copy_applied_seq(struct take *t, size_t map_mb, char *err, size_t errlen)
{
    struct idw_store *copy = NULL;
    MDB_txn *txn = NULL;
    json_t *doc = NULL;
    char key[16], why[512];
    enum idw_rc rc;

    snprintf(key, sizeof key, "p%u", t->p);
    if (idw_store_open(t->tmpdir, map_mb, IDW_STORE_RDONLY, &copy, why, sizeof why) < 0 ||
        idw_store_begin(copy, 1, &txn, why, sizeof why) < 0) {
        snprintf(err, errlen, "snapshot: partition %u: the copy does not open: %s", t->p, why);
        idw_store_close(copy);
        return IDW_ERR;
    }
    rc = idw_store_meta_get(copy, txn, "cluster_applied", key, &doc, why, sizeof why);
    if (rc == IDW_OK && !json_is_integer(json_object_get(doc, "seq"))) {
        snprintf(why, sizeof why, "cluster_applied/%s: no integer seq", key);
        rc = IDW_ERR;
    }
    if (rc == IDW_OK)
        t->m.applied_seq = (uint64_t)json_integer_value(json_object_get(doc, "seq"));
    if (rc == IDW_NOTFOUND || (rc == IDW_OK && t->m.applied_seq == 0)) {
        snprintf(err, errlen, "snapshot: partition %u: nothing applied yet (no applied_seq in the store)",
                 t->p);
        rc = IDW_NOTFOUND;
    } else if (rc < 0)
        snprintf(err, errlen, "snapshot: partition %u: reading the copy: %s", t->p, why);
    json_decref(doc);
    mdb_txn_abort(txn);
    idw_store_close(copy);
    return rc;
}

static enum idw_rc publish_chunk(struct take *t, const char *subject, uint64_t index, const void *data,
                                 size_t len, char *err, size_t errlen)
{
    char idx[24], msgid[IDW_SNAP_ID_LEN + 24];
    const struct idw_js_header h[] = {
        {.key = IDW_SNAP_HDR_ID, .value = t->m.snap_id}, {.key = IDW_SNAP_HDR_CHUNK, .value = idx},
        {.key = "Nats-Msg-Id", .value = msgid},
    };
    uint64_t seq;
    int dup;

    snprintf(idx, sizeof idx, "%" PRIu64, index);
    snprintf(msgid, sizeof msgid, "%s.%" PRIu64, t->m.snap_id, index);
    if (idw_js_publish_headers(t->js, subject, h, 3, data, len, until(t->retry_ms), &seq, &dup,
                               err, errlen) < 0)
        return IDW_ERR;
    if (index == 0)
        t->m.first_chunk_seq = seq;
    return IDW_OK;
}

/* Reads the copy chunk by chunk: each published, all hashed; bytes, chunks and sha256 into t->m. */
static enum idw_rc publish_chunks(struct take *t, char *err, size_t errlen)
{
    char subj[48], msubj[48];
    unsigned char *buf = malloc(IDW_SNAP_CHUNK_BYTES), md[32];
    EVP_MD_CTX *sha = EVP_MD_CTX_new();
    enum idw_rc rc = IDW_ERR;
    ssize_t n;

    subjects(t->p, subj, msubj);
    if (!buf || !sha || !EVP_DigestInit_ex(sha, EVP_sha256(), NULL)) {
        snprintf(err, errlen, "snapshot: partition %u: out of memory", t->p);
        goto out;
    }
    for (;;) {
        n = read_full(t->fd, buf, IDW_SNAP_CHUNK_BYTES);
        if (n < 0) {
            snprintf(err, errlen, "snapshot: partition %u: reading %s: %s", t->p, t->file, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        if (!EVP_DigestUpdate(sha, buf, (size_t)n) ||
            publish_chunk(t, subj, t->m.chunks, buf, (size_t)n, err, errlen) < 0)
            goto out;
        t->m.chunks++;
        t->m.bytes += (uint64_t)n;
    }
    if (!EVP_DigestFinal_ex(sha, md, NULL))
        goto out;
    hex(md, sizeof md, t->m.sha256);
    rc = IDW_OK;
out:
    EVP_MD_CTX_free(sha);
    free(buf);
    return rc;
}

/* The first chunk sequence of the partition's current (soon previous) snapshot, 0 when none. */
static enum idw_rc previous_first(struct take *t, uint64_t *first, char *err, size_t errlen)
{
    char subj[48], msubj[48], why[512];
    struct idw_js_msg *msg = NULL;
    struct idw_snapshot_manifest prev;
    const void *data;
    size_t len;
    enum idw_rc rc;

    *first = 0;
    subjects(t->p, subj, msubj);
    rc = idw_js_stream_get(t->js, IDW_SNAP_STREAM, 0, msubj, until(t->retry_ms), &msg, err, errlen);
    if (rc != IDW_OK)
        return rc < 0 ? IDW_ERR : IDW_OK;
    data = idw_js_msg_data(msg, &len);
    if (idw_snapshot_manifest_decode(data, len, &prev, why, sizeof why) == IDW_OK)
        *first = prev.first_chunk_seq;
    else        /* kept its chunks: they are purged after the next snapshot */
        log_warn("snapshot: partition %u: the previous manifest is unreadable (%s)", t->p, why);
    idw_js_msg_free(msg);
    return IDW_OK;
}

static enum idw_rc publish_manifest(struct take *t, char *err, size_t errlen)
{
    char subj[48], msubj[48], msgid[IDW_SNAP_ID_LEN + 4], *text;
    const struct idw_js_header h[] = {
        {.key = "Nats-Rollup", .value = "sub"}, {.key = "Nats-Msg-Id", .value = msgid},
    };
    size_t len;
    uint64_t seq;
    int dup;
    enum idw_rc rc;

    subjects(t->p, subj, msubj);
    snprintf(msgid, sizeof msgid, "%s.m", t->m.snap_id);
    if (idw_snapshot_manifest_encode(&t->m, &text, &len, err, errlen) < 0)
        return IDW_ERR;
    rc = idw_js_publish_headers(t->js, msubj, h, 2, text, len, until(t->retry_ms), &seq, &dup, err, errlen);
    free(text);
    return rc;
}

static void take_cleanup(struct take *t)
{
    char lock[4200];

    if (t->fd >= 0)
        close(t->fd);
    if (!t->tmpdir[0])
        return;
    snprintf(lock, sizeof lock, "%s/lock.mdb", t->tmpdir);
    unlink(t->file);
    unlink(lock);
    if (rmdir(t->tmpdir) != 0)
        log_warn("snapshot: %s: cannot remove: %s", t->tmpdir, strerror(errno));
}

static enum idw_rc take_steps(struct take *t, struct idw_store *st, const struct idw_snapshot_config *c,
                              const char *parent, char *err, size_t errlen)
{
    MDB_envinfo info;
    unsigned char id[IDW_SNAP_ID_LEN / 2];
    uint64_t prev = 0;
    char subj[48], msubj[48];
    enum idw_rc rc;

    if (mdb_env_info(st->env, &info) != 0 || RAND_bytes(id, sizeof id) != 1) {
        snprintf(err, errlen, "snapshot: partition %u: cannot start", t->p);
        return IDW_ERR;
    }
    hex(id, sizeof id, t->m.snap_id);
    rc = copy_store(t, st, parent, err, errlen);
    if (rc == IDW_OK)
        rc = copy_applied_seq(t, (info.me_mapsize >> 20) + 1, err, errlen);
    if (rc != IDW_OK)
        return rc;
    if (ensure_snap_stream(t->js, c->replicas, until(t->retry_ms), err, errlen) < 0 ||
        previous_first(t, &prev, err, errlen) < 0 || publish_chunks(t, err, errlen) < 0 ||
        publish_manifest(t, err, errlen) < 0)
        return IDW_ERR;
    subjects(t->p, subj, msubj);
    /* keep the last two snapshots: everything of this partition before the previous one goes */
    if (prev && idw_js_purge(t->js, IDW_SNAP_STREAM, subj, prev, until(t->retry_ms), err, errlen) < 0)
        return IDW_ERR;
    return IDW_OK;
}

enum idw_rc idw_snapshot_take(struct idw_js *js, struct idw_store *st, unsigned partition,
                              const struct idw_snapshot_config *c, const char *tmp_parent, int64_t retry_ms,
                              struct idw_snapshot_manifest *out, char *err, size_t errlen)
{
    struct take *t = calloc(1, sizeof *t);
    const char *parent = tmp_parent;
    enum idw_rc rc;

    memset(out, 0, sizeof *out);
    if (!t) {
        snprintf(err, errlen, "snapshot: partition %u: out of memory", partition);
        return IDW_ERR;
    }
    if (!parent && mdb_env_get_path(st->env, &parent) != 0)
        parent = ".";
    t->js = js;
    t->p = partition;
    t->fd = -1;
    t->retry_ms = retry_ms;
    t->m.partition = partition;
    t->m.created_at = idw_js_now_ms();
    snprintf(t->m.idwatch_version, sizeof t->m.idwatch_version, "%s", IDW_VERSION);
    rc = take_steps(t, st, c, parent, err, errlen);
    if (rc == IDW_OK)
        *out = t->m;
    take_cleanup(t);
    free(t);
    return rc;
}

/* ---- restore ------------------------------------------------------------------------------- */

struct restore {
    struct idw_js *js;
    unsigned p;
    int64_t retry_ms;               /* per NATS call */
    char tmp[4200], final[4200];
    int fd;
    EVP_MD_CTX *sha;
    uint64_t got, bytes;
    struct idw_snapshot_restore *r;
};

/* Whether IDW_P<p> still holds every message after applied (IDW_ERR with r->stream_gap when not). */
static enum idw_rc check_reach(struct restore *s, uint64_t applied, char *err, size_t errlen)
{
    char stream[32];
    uint64_t msgs;
    enum idw_rc rc;

    idw_js_partition_stream(s->p, stream);
    rc = idw_js_stream_state(s->js, stream, until(s->retry_ms), &s->r->stream_first, &s->r->stream_last,
                             &msgs, err, errlen);
    if (rc < 0)
        return IDW_ERR;
    if (rc == IDW_NOTFOUND && applied == 0)
        return IDW_OK;      /* nothing was ever published to the partition */
    if (rc == IDW_NOTFOUND || s->r->stream_first > applied + 1) {
        s->r->stream_gap = 1;
        snprintf(err, errlen, "partition %u: the stream %s no longer reaches back: the snapshot holds "
                 "up to applied_seq %" PRIu64 " but the stream %s%" PRIu64 " (messages aged out or were "
                 "purged): cannot restore without losing events", s->p, stream, applied,
                 rc == IDW_NOTFOUND ? "does not exist, first seq " : "starts at seq ", s->r->stream_first);
        return IDW_ERR;
    }
    if (s->r->stream_last < applied) {
        snprintf(err, errlen, "partition %u: the stream %s ends at seq %" PRIu64 ", before the snapshot's "
                 "applied_seq %" PRIu64 ": not the stream the snapshot was built from", s->p, stream,
                 s->r->stream_last, applied);
        return IDW_ERR;
    }
    return IDW_OK;
}

static enum idw_rc latest_manifest(struct restore *s, uint64_t *mseq, char *err, size_t errlen)
{
    char subj[48], msubj[48], why[512];
    struct idw_js_msg *msg = NULL;
    const void *data;
    size_t len;
    enum idw_rc rc;

    subjects(s->p, subj, msubj);
    rc = idw_js_stream_get(s->js, IDW_SNAP_STREAM, 0, msubj, until(s->retry_ms), &msg, err, errlen);
    if (rc != IDW_OK)
        return rc;
    data = idw_js_msg_data(msg, &len);
    *mseq = idw_js_msg_seq(msg);
    rc = idw_snapshot_manifest_decode(data, len, &s->r->manifest, why, sizeof why);
    idw_js_msg_free(msg);
    if (rc < 0) {
        snprintf(err, errlen, "partition %u: %s seq %" PRIu64 ": %s", s->p, IDW_SNAP_STREAM, *mseq, why);
        return IDW_ERR;
    }
    if (s->r->manifest.partition != s->p) {
        snprintf(err, errlen, "partition %u: %s seq %" PRIu64 ": the manifest is partition %u's", s->p,
                 IDW_SNAP_STREAM, *mseq, s->r->manifest.partition);
        return IDW_ERR;
    }
    return IDW_OK;
}

/* One of our chunks at seq: its snapshot id, index and length checked, then written and hashed. */
static enum idw_rc take_chunk(struct restore *s, const struct idw_js_msg *msg, char *err, size_t errlen)
{
    const struct idw_snapshot_manifest *m = &s->r->manifest;
    const char *id = idw_js_msg_header(msg, IDW_SNAP_HDR_ID);
    const char *ix = idw_js_msg_header(msg, IDW_SNAP_HDR_CHUNK);
    uint64_t seq = idw_js_msg_seq(msg);
    const void *data;
    size_t len;
    char *end = NULL;
    unsigned long long index = ix ? strtoull(ix, &end, 10) : 0;

    data = idw_js_msg_data(msg, &len);
    if (!id || strcmp(id, m->snap_id) != 0) {
        snprintf(err, errlen, "partition %u: snapshot %s: %s seq %" PRIu64 " holds a chunk of snapshot "
                 "%.40s, not of this one", s->p, m->snap_id, IDW_SNAP_STREAM, seq, id ? id : "(no id)");
        return IDW_ERR;
    }
    if (!ix || !end || *end || index != s->got) {
        snprintf(err, errlen, "partition %u: snapshot %s: chunk %" PRIu64 " of %" PRIu64 " is missing "
                 "(%s seq %" PRIu64 " holds chunk %.24s)", s->p, m->snap_id, s->got, m->chunks,
                 IDW_SNAP_STREAM, seq, ix ? ix : "(no index)");
        return IDW_ERR;
    }
    if (len != idw_snapshot_chunk_len(m->bytes, index)) {
        snprintf(err, errlen, "partition %u: snapshot %s: chunk %llu (%s seq %" PRIu64 ") has %zu bytes, not "
                 "%zu", s->p, m->snap_id, index, IDW_SNAP_STREAM, seq, len,
                 idw_snapshot_chunk_len(m->bytes, index));
        return IDW_ERR;
    }
    if (write_all(s->fd, data, len) < 0 || !EVP_DigestUpdate(s->sha, data, len)) {
        snprintf(err, errlen, "partition %u: %s: %s", s->p, s->tmp, strerror(errno));
        return IDW_ERR;
    }
    s->got++;
    s->bytes += len;
    return IDW_OK;
}

/* Every chunk, in order, from first_chunk_seq to the manifest's seq; other partitions' skipped. */
static enum idw_rc fetch_chunks(struct restore *s, uint64_t mseq, char *err, size_t errlen)
{
    const struct idw_snapshot_manifest *m = &s->r->manifest;
    char subj[48], msubj[48];
    struct idw_js_msg *msg;
    enum idw_rc rc;

    subjects(s->p, subj, msubj);
    for (uint64_t seq = m->first_chunk_seq; seq < mseq && s->got < m->chunks; seq++) {
        rc = idw_js_stream_get(s->js, IDW_SNAP_STREAM, seq, NULL, until(s->retry_ms), &msg, err, errlen);
        if (rc < 0)
            return IDW_ERR;
        if (rc == IDW_NOTFOUND)
            continue;       /* purged or deleted: if it was ours, the next index check says so */
        rc = strcmp(idw_js_msg_subject(msg), subj) == 0 ? take_chunk(s, msg, err, errlen) : IDW_OK;
        idw_js_msg_free(msg);
        if (rc < 0)
            return IDW_ERR;
    }
    if (s->got < m->chunks) {
        snprintf(err, errlen, "partition %u: snapshot %s: chunk %" PRIu64 " of %" PRIu64 " is missing (none "
                 "left in %s seq %" PRIu64 "..%" PRIu64 ")", s->p, m->snap_id, s->got, m->chunks,
                 IDW_SNAP_STREAM, m->first_chunk_seq, mseq - 1);
        return IDW_ERR;
    }
    return IDW_OK;
}

static enum idw_rc check_whole(struct restore *s, char *err, size_t errlen)
{
    const struct idw_snapshot_manifest *m = &s->r->manifest;
    unsigned char md[32];
    char got[65];

    if (s->bytes != m->bytes) {
        snprintf(err, errlen, "partition %u: snapshot %s: %" PRIu64 " bytes received, the manifest says %"
                 PRIu64, s->p, m->snap_id, s->bytes, m->bytes);
        return IDW_ERR;
    }
    if (!EVP_DigestFinal_ex(s->sha, md, NULL))
        return IDW_ERR;
    hex(md, sizeof md, got);
    if (strcmp(got, m->sha256) != 0) {
        snprintf(err, errlen, "partition %u: snapshot %s: SHA-256 %s, the manifest says %s", s->p, m->snap_id,
                 got, m->sha256);
        return IDW_ERR;
    }
    if (fsync(s->fd) != 0) {
        snprintf(err, errlen, "partition %u: %s: fsync: %s", s->p, s->tmp, strerror(errno));
        return IDW_ERR;
    }
    return IDW_OK;
}

static enum idw_rc prepare_target(struct restore *s, const char *dir, char *err, size_t errlen)
{
    struct stat sb;

    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "partition %u: %s: cannot create: %s", s->p, dir, strerror(errno));
        return IDW_ERR;
    }
    snprintf(s->final, sizeof s->final, "%s/data.mdb", dir);
    snprintf(s->tmp, sizeof s->tmp, "%s/data.mdb.restoring", dir);
    if (stat(s->final, &sb) == 0 || errno != ENOENT) {
        snprintf(err, errlen, "partition %u: %s already exists: restore only into a directory without a "
                 "database", s->p, s->final);
        return IDW_ERR;
    }
    s->fd = open(s->tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (s->fd < 0) {
        snprintf(err, errlen, "partition %u: %s: %s", s->p, s->tmp, strerror(errno));
        return IDW_ERR;
    }
    s->sha = EVP_MD_CTX_new();
    if (!s->sha || !EVP_DigestInit_ex(s->sha, EVP_sha256(), NULL)) {
        snprintf(err, errlen, "partition %u: out of memory", s->p);
        return IDW_ERR;
    }
    return IDW_OK;
}

/* The rename made durable: the directory entry synced too. */
static enum idw_rc install(struct restore *s, const char *dir, char *err, size_t errlen)
{
    int dfd;

    if (rename(s->tmp, s->final) != 0) {
        snprintf(err, errlen, "partition %u: %s: rename: %s", s->p, s->final, strerror(errno));
        return IDW_ERR;
    }
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) != 0) {
        snprintf(err, errlen, "partition %u: %s: fsync: %s", s->p, dir, strerror(errno));
        if (dfd >= 0)
            close(dfd);
        return IDW_ERR;
    }
    close(dfd);
    return IDW_OK;
}

/* No snapshot: a fresh start replays from 1, which the stream must still hold. */
static enum idw_rc no_snapshot(struct restore *s, char *err, size_t errlen)
{
    char why[1024];

    if (check_reach(s, 0, why, sizeof why) < 0) {
        snprintf(err, errlen, "partition %u: no snapshot, and %s", s->p, why);
        return IDW_ERR;
    }
    snprintf(err, errlen, "partition %u: no snapshot in %s: start empty and replay the stream from seq 1",
             s->p, IDW_SNAP_STREAM);
    return IDW_NOTFOUND;
}

static enum idw_rc restore_steps(struct restore *s, const char *dir, char *err, size_t errlen)
{
    uint64_t mseq = 0;
    enum idw_rc rc;

    if (prepare_target(s, dir, err, errlen) < 0)
        return IDW_ERR;
    rc = latest_manifest(s, &mseq, err, errlen);
    if (rc == IDW_NOTFOUND)
        return no_snapshot(s, err, errlen);
    if (rc < 0 || check_reach(s, s->r->manifest.applied_seq, err, errlen) < 0 ||
        fetch_chunks(s, mseq, err, errlen) < 0 || check_whole(s, err, errlen) < 0 ||
        check_reach(s, s->r->manifest.applied_seq, err, errlen) < 0)
        return IDW_ERR;
    return install(s, dir, err, errlen);
}

enum idw_rc idw_snapshot_restore(struct idw_js *js, unsigned partition, const char *dir, int64_t retry_ms,
                                 struct idw_snapshot_restore *r, char *err, size_t errlen)
{
    struct restore s = {.js = js, .p = partition, .fd = -1, .r = r};
    enum idw_rc rc;

    memset(r, 0, sizeof *r);
    s.retry_ms = retry_ms;
    rc = restore_steps(&s, dir, err, errlen);
    if (s.fd >= 0)
        close(s.fd);
    if (rc != IDW_OK && s.tmp[0])
        unlink(s.tmp);
    EVP_MD_CTX_free(s.sha);
    return rc;
}
