/*
 * mirror.c — the alerts stream copied into a local database (mirror.h):
 * one sequence at a time, the newer version kept, the position committed
 * with the versions it covers.
 */
#include "cluster/mirror.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/alertstream.h"
#include "common/log.h"

/* ---- the position ---------------------------------------------------------------- */

enum idw_rc idw_mirror_position(struct idw_store *st, MDB_txn *txn, uint64_t *seq, char *err, size_t errlen)
{
    json_t *doc = NULL, *v;
    enum idw_rc rc = idw_store_meta_get(st, txn, IDW_MIRROR_META, IDW_ALERTS_STREAM, &doc, err, errlen);

    *seq = 0;
    if (rc == IDW_NOTFOUND)
        return IDW_OK;
    if (rc != IDW_OK)
        return IDW_ERR;
    v = json_object_get(doc, "seq");
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        snprintf(err, errlen, "meta %s/%s: seq missing or negative (damaged record)", IDW_MIRROR_META,
                 IDW_ALERTS_STREAM);
        json_decref(doc);
        return IDW_ERR;
    }
    *seq = (uint64_t)json_integer_value(v);
    json_decref(doc);
    return IDW_OK;
}

static enum idw_rc put_position(struct idw_store *st, MDB_txn *txn, uint64_t seq, char *err, size_t errlen)
{
    json_t *doc = json_pack("{s:I}", "seq", (json_int_t)seq);
    enum idw_rc rc;

    if (!doc) {
        snprintf(err, errlen, "mirror: out of memory");
        return IDW_ERR;
    }
    rc = idw_store_meta_put(st, txn, IDW_MIRROR_META, IDW_ALERTS_STREAM, doc, err, errlen);
    json_decref(doc);
    return rc == IDW_OK ? IDW_OK : IDW_ERR;
}

/* ---- one version ----------------------------------------------------------------- */

/* The stored version of (org, id) in dbi: 0 when absent or unreadable as a document. */
static enum idw_rc stored_version(struct idw_store *st, MDB_txn *txn, MDB_dbi dbi, const char *org,
                                  const char *id, int64_t *version, char *err, size_t errlen)
{
    json_t *doc = NULL;
    enum idw_rc rc = idw_store_kv_json(st, txn, dbi, org, id, NULL, &doc, err, errlen);

    *version = 0;
    if (rc == IDW_NOTFOUND)
        return IDW_OK;
    if (rc != IDW_OK)
        return IDW_ERR;
    *version = json_integer_value(json_object_get(doc, "version"));
    json_decref(doc);
    return IDW_OK;
}

enum idw_rc idw_mirror_put(struct idw_store *st, MDB_txn *txn, const json_t *env, int *written,
                           char *err, size_t errlen)
{
    const char *kind = json_string_value(json_object_get(env, "kind"));
    const char *org = json_string_value(json_object_get(env, "org"));
    const char *id = json_string_value(json_object_get(env, "id"));
    int64_t version = json_integer_value(json_object_get(env, "version")), have;
    MDB_dbi dbi = kind && !strcmp(kind, "incident") ? st->incidents : st->alerts;
    char *text;
    enum idw_rc rc;

    *written = 0;
    if (!org || !id || dbi == IDW_STORE_NO_DBI) {
        snprintf(err, errlen, "mirror: an envelope without org or id, or a database without its table");
        return IDW_ERR;
    }
    if (stored_version(st, txn, dbi, org, id, &have, err, errlen) != IDW_OK)
        return IDW_ERR;
    if (version <= have)
        return IDW_OK;      /* a replay, a duplicate or an older copy: the stored one stands */
    /* the encoding alert.c stores, so a mirrored document reads byte for byte like a worker's */
    text = json_dumps(json_object_get(env, "payload"), JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) {
        snprintf(err, errlen, "mirror: %s %s: cannot encode the document", kind, id);
        return IDW_ERR;
    }
    rc = idw_store_kv_put(st, txn, dbi, org, id, NULL, text, strlen(text), err, errlen);
    free(text);
    if (rc != IDW_OK)
        return IDW_ERR;
    *written = 1;
    return IDW_OK;
}

/* ---- following the stream ---------------------------------------------------------- */

struct follow {
    struct idw_js *js;
    struct idw_store *st;
    int64_t retry_ms;
    struct idw_mirror_stats *s;
};

/*
 * The message at seq, decoded, appended to envs (nothing appended when it
 * is gone or malformed: counted and logged).  IDW_OK, or IDW_ERR with err.
 */
static enum idw_rc fetch_one(struct follow *f, uint64_t seq, json_t *envs, char *err, size_t errlen)
{
    struct idw_js_msg *m = NULL;
    const void *data;
    size_t len;
    json_t *env = NULL;
    char why[256];
    enum idw_rc rc = idw_js_stream_get(f->js, IDW_ALERTS_STREAM, seq, NULL, idw_js_now_ms() + f->retry_ms, &m,
                                       err, errlen);

    if (rc == IDW_NOTFOUND) {
        f->s->missing++;
        return IDW_OK;
    }
    if (rc != IDW_OK)
        return IDW_ERR;
    f->s->read++;
    data = idw_js_msg_data(m, &len);
    rc = idw_alertstream_decode(data, len, &env, why, sizeof why);
    idw_js_msg_free(m);
    if (rc != IDW_OK) {
        log_warn("%s seq %llu: skipped: %s", IDW_ALERTS_STREAM, (unsigned long long)seq, why);
        f->s->bad++;
        return IDW_OK;
    }
    if (json_array_append_new(envs, env) != 0) {
        snprintf(err, errlen, "mirror: out of memory");
        return IDW_ERR;
    }
    return IDW_OK;
}

/* envs (NULL: none) and the position `to` in one write transaction.  IDW_OK, or IDW_ERR with err. */
static enum idw_rc store_batch(struct follow *f, const json_t *envs, uint64_t to, char *err, size_t errlen)
{
    MDB_txn *txn;
    const json_t *env;
    size_t i;

    if (idw_store_begin(f->st, 0, &txn, err, errlen) != IDW_OK)
        return IDW_ERR;
    json_array_foreach(envs, i, env) {
        int written = 0;
        if (idw_mirror_put(f->st, txn, env, &written, err, errlen) != IDW_OK) {
            mdb_txn_abort(txn);
            return IDW_ERR;
        }
        if (written)
            f->s->written++;
        else
            f->s->stale++;
    }
    if (put_position(f->st, txn, to, err, errlen) != IDW_OK) {
        mdb_txn_abort(txn);
        return IDW_ERR;
    }
    return idw_store_commit(txn, err, errlen) == IDW_OK ? IDW_OK : IDW_ERR;
}

/*
 * Sequences from..to (inclusive): read from NATS first, then written in one
 * transaction with the position to (the write transaction never waits on
 * the network).
 */
static enum idw_rc take_batch(struct follow *f, uint64_t from, uint64_t to, char *err, size_t errlen)
{
    json_t *envs = json_array();
    enum idw_rc rc = envs ? IDW_OK : IDW_ERR;

    if (!envs)
        snprintf(err, errlen, "mirror: out of memory");
    for (uint64_t seq = from; rc == IDW_OK && seq <= to; seq++)
        rc = fetch_one(f, seq, envs, err, errlen);
    if (rc == IDW_OK)
        rc = store_batch(f, envs, to, err, errlen);
    json_decref(envs);
    if (rc == IDW_OK)
        f->s->position = to;
    return rc;
}

enum idw_rc idw_mirror_follow(struct idw_js *js, struct idw_store *st, int64_t retry_ms, uint64_t max_msgs,
                              struct idw_mirror_stats *s, char *err, size_t errlen)
{
    struct idw_mirror_stats local;
    struct follow f = {.js = js, .st = st, .retry_ms = retry_ms, .s = s ? s : &local};
    uint64_t pos = 0, first = 0, last = 0, msgs = 0, stream_last;
    MDB_txn *txn;
    enum idw_rc rc;

    memset(f.s, 0, sizeof *f.s);
    if (idw_store_begin(st, 1, &txn, err, errlen) != IDW_OK)
        return IDW_ERR;
    rc = idw_mirror_position(st, txn, &pos, err, errlen);
    mdb_txn_abort(txn);
    if (rc != IDW_OK)
        return IDW_ERR;
    f.s->position = pos;
    rc = idw_js_stream_state(js, IDW_ALERTS_STREAM, idw_js_now_ms() + retry_ms, &first, &last, &msgs, err,
                             errlen);
    if (rc == IDW_NOTFOUND)
        return IDW_OK;      /* no version published yet */
    if (rc != IDW_OK)
        return IDW_ERR;
    if (last < pos) {
        /* the stream ends below what was taken: deleted and created again.  Read it from its start
         * (a version is written only when newer, so nothing goes back); stream-info answers come from
         * the stream's leader (js.c), so a replica's stale view is not taken for this */
        log_warn("%s ends at seq %llu, below the mirror's position %llu: the stream was created again; "
                 "reading it from its start", IDW_ALERTS_STREAM, (unsigned long long)last,
                 (unsigned long long)pos);
        pos = first ? first - 1 : 0;
        if (store_batch(&f, NULL, pos, err, errlen) != IDW_OK)
            return IDW_ERR;
        f.s->position = pos;
    }
    stream_last = last;
    if (first > pos + 1) {
        log_warn("%s: sequences %llu to %llu are no longer in the stream (aged out): the mirror may lack "
                 "versions published then", IDW_ALERTS_STREAM, (unsigned long long)pos + 1,
                 (unsigned long long)first - 1);
        pos = first - 1;
    }
    if (max_msgs && last > pos && last - pos > max_msgs)
        last = pos + max_msgs;      /* the caller's budget: the rest on its next call */
    while (pos < last) {
        uint64_t to = last - pos > IDW_MIRROR_BATCH ? pos + IDW_MIRROR_BATCH : last;
        if (take_batch(&f, pos + 1, to, err, errlen) != IDW_OK)
            return IDW_ERR;
        pos = to;
    }
    f.s->behind = stream_last > pos ? stream_last - pos : 0;
    return IDW_OK;
}
