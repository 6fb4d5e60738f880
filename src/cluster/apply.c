/*
 * apply.c — a partition's write-ahead log into LMDB (apply.h).  One
 * pipeline per org (opened on the org's first page); each page is one
 * pipeline batch whose commit hook writes the org's cursor and the
 * partition's applied_seq, so the three commit together.
 */
#include "cluster/apply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cluster/command.h"
#include "cluster/partition.h"
#include "cluster/rulepack.h"
#include "cluster/wal.h"
#include "common/log.h"
#include "engine/pipeline.h"

struct org_pl {
    char *org;
    struct idw_pipeline *pl;
};

struct idw_apply {
    struct idw_store *st;
    const struct idw_config *cfg;
    const struct idw_geodb *geo;
    struct idw_detect *detect;
    char pkey[16];                  /* "p<N>": the applied_seq's meta key */
    unsigned partition;
    const struct idw_partitioning *pt;  /* NULL: pages of any org are applied */
    struct org_pl *orgs;
    size_t norgs;
    uint64_t events;
    /* the log's rules (idw_apply_set_rules): where they are written, how they are opened */
    char rules_root[4096];
    idw_apply_detect_fn open_detect;
    void *open_ctx;
    struct idw_detect *own;             /* the engine of the rules in force; NULL: the caller's */
    char rules_fp[IDW_RULEPACK_FP_HEX + 1];
};

/* What the commit hook writes: the org's new cursor and the partition's applied_seq. */
struct commit_ctx {
    struct idw_apply *ap;
    const char *org, *polled, *next;    /* org NULL: applied_seq only */
    uint64_t seq;
    int64_t live_from;                  /* the org's history end, kept with its cursor */
};

enum idw_rc idw_apply_open(struct idw_store *st, const struct idw_config *cfg, const struct idw_geodb *geo,
                           struct idw_detect *detect, unsigned partition, struct idw_apply **out,
                           char *err, size_t errlen)
{
    struct idw_apply *ap = calloc(1, sizeof *ap);

    *out = NULL;
    if (!ap) {
        snprintf(err, errlen, "apply: out of memory");
        return IDW_ERR;
    }
    ap->st = st;
    ap->cfg = cfg;
    ap->geo = geo;
    ap->detect = detect;
    snprintf(ap->pkey, sizeof ap->pkey, "p%u", partition);
    ap->partition = partition;
    *out = ap;
    return IDW_OK;
}

static enum idw_rc read_seq(struct idw_apply *ap, MDB_txn *txn, uint64_t *seq, char *err, size_t errlen)
{
    json_t *doc = NULL;
    enum idw_rc rc = idw_store_meta_get(ap->st, txn, "cluster_applied", ap->pkey, &doc, err, errlen);

    *seq = 0;
    if (rc == IDW_OK)
        *seq = (uint64_t)json_integer_value(json_object_get(doc, "seq"));
    json_decref(doc);
    return rc < 0 ? IDW_ERR : IDW_OK;
}

/* The org's committed cursor into *cursor (malloc'd; "" when it has none). */
static enum idw_rc read_cursor(struct idw_apply *ap, MDB_txn *txn, const char *org, char **cursor,
                               int64_t *live_from, char *err, size_t errlen)
{
    json_t *doc = NULL;
    enum idw_rc rc = idw_store_meta_get(ap->st, txn, "cluster_cursor", org, &doc, err, errlen);

    *cursor = NULL;
    if (rc < 0)
        return IDW_ERR;
    if (live_from)
        *live_from = rc == IDW_OK ? (int64_t)json_integer_value(json_object_get(doc, "live_from")) : 0;
    *cursor = strdup(rc == IDW_OK ? (json_string_value(json_object_get(doc, "cursor")) ?: "") : "");
    json_decref(doc);
    if (!*cursor) {
        snprintf(err, errlen, "apply: out of memory");
        return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_apply_seq(struct idw_apply *ap, uint64_t *seq, char *err, size_t errlen)
{
    MDB_txn *txn;
    enum idw_rc rc;

    if (idw_store_begin(ap->st, 1, &txn, err, errlen) < 0)
        return IDW_ERR;
    rc = read_seq(ap, txn, seq, err, errlen);
    mdb_txn_abort(txn);
    return rc;
}

enum idw_rc idw_apply_cursor(struct idw_apply *ap, const char *org, char **cursor, int64_t *live_from,
                             int64_t *newest_ms, char *err, size_t errlen)
{
    json_t *stats = NULL;
    MDB_txn *txn;
    enum idw_rc rc;

    *cursor = NULL;
    *newest_ms = 0;
    if (idw_store_begin(ap->st, 1, &txn, err, errlen) < 0)
        return IDW_ERR;
    rc = read_cursor(ap, txn, org, cursor, live_from, err, errlen);
    if (rc == IDW_OK && idw_store_meta_get(ap->st, txn, "ingest_stats", org, &stats, err, errlen) < 0)
        rc = IDW_ERR;
    *newest_ms = (int64_t)json_integer_value(json_object_get(stats, "newest_published_ms"));
    json_decref(stats);
    mdb_txn_abort(txn);
    if (rc < 0) {
        free(*cursor);
        *cursor = NULL;
    }
    return rc;
}

/*
 * Runs inside the batch's transaction: checks the chain once more there
 * (so a page can never move a cursor it does not start from), then writes
 * the cursor and applied_seq.
 */
static enum idw_rc commit_hook(struct idw_store *st, MDB_txn *txn, void *vctx, char *err, size_t errlen)
{
    struct commit_ctx *c = vctx;
    json_t *seqdoc = json_pack("{s:I}", "seq", (json_int_t)c->seq), *cur;
    char *now = NULL;
    enum idw_rc rc;

    (void)st;
    rc = seqdoc ? idw_store_meta_put(c->ap->st, txn, "cluster_applied", c->ap->pkey, seqdoc, err, errlen)
                : IDW_ERR;
    json_decref(seqdoc);
    if (rc < 0 || !c->org)
        return rc;
    if (read_cursor(c->ap, txn, c->org, &now, NULL, err, errlen) < 0)
        return IDW_ERR;
    if (strcmp(now, c->polled) != 0) {
        snprintf(err, errlen, "apply: %s: its cursor moved while its page was applied "
                 "(two appliers on one database?)", c->org);
        free(now);
        return IDW_ERR;
    }
    free(now);
    cur = json_pack("{s:s, s:I, s:I}", "cursor", c->next, "seq", (json_int_t)c->seq, "live_from",
                    (json_int_t)c->live_from);
    rc = cur ? idw_store_meta_put(c->ap->st, txn, "cluster_cursor", c->org, cur, err, errlen) : IDW_ERR;
    json_decref(cur);
    return rc;
}

static struct idw_pipeline *pipeline_of(struct idw_apply *ap, const char *org, char *err, size_t errlen)
{
    struct idw_pipeline_opts po = {.domain_id = org, .geo = ap->geo, .detect = ap->detect};
    struct idw_pipeline *pl = NULL;
    struct org_pl *grown;
    char *name;

    for (size_t i = 0; i < ap->norgs; i++)
        if (strcmp(ap->orgs[i].org, org) == 0)
            return ap->orgs[i].pl;
    name = strdup(org);
    if (!name || idw_pipeline_open(ap->st, ap->cfg, &po, &pl, err, errlen) < 0) {
        if (!name)
            snprintf(err, errlen, "apply: out of memory");
        free(name);
        return NULL;
    }
    grown = realloc(ap->orgs, (ap->norgs + 1) * sizeof *grown);
    if (!grown) {
        snprintf(err, errlen, "apply: out of memory");
        idw_pipeline_close(pl);
        free(name);
        return NULL;
    }
    ap->orgs = grown;
    grown[ap->norgs].org = name;
    grown[ap->norgs++].pl = pl;
    return pl;
}

/* Closes every cached pipeline (a failed page, or a new hashing key): they reopen from the store. */
static void drop_pipelines(struct idw_apply *ap)
{
    for (size_t i = 0; i < ap->norgs; i++) {
        idw_pipeline_close(ap->orgs[i].pl);
        free(ap->orgs[i].org);
    }
    free(ap->orgs);
    ap->orgs = NULL;
    ap->norgs = 0;
}

/*
 * What the page recorded about the run that fetched it (cluster/wal.h):
 * its clock, the org's history end and the GeoIP answers.  A version-1
 * page recorded none of them: the wall clock and this host's GeoIP apply.
 */
static enum idw_rc set_recorded(struct idw_apply *ap, struct idw_pipeline *pl, const json_t *page,
                                int64_t live_from, struct idw_geodb **geo, char *err, size_t errlen)
{
    *geo = NULL;
    if (!json_object_get(page, "v")) {
        idw_pipeline_set_clock(pl, 0);
        idw_pipeline_set_live_from(pl, 0);
        idw_pipeline_set_geo(pl, ap->geo);
        return IDW_OK;
    }
    if (idw_geo_open_recorded(json_object_get(page, "geo"), geo) < 0) {
        snprintf(err, errlen, "apply: out of memory");
        return IDW_ERR;
    }
    idw_pipeline_set_clock(pl, json_integer_value(json_object_get(page, "fetched_at")));
    idw_pipeline_set_live_from(pl, live_from);
    idw_pipeline_set_geo(pl, *geo);
    return IDW_OK;
}

/*
 * Feeds the page's events and commits them with the hook.  A failure rolls
 * all back, and the org's pipeline is dropped: its memory may hold part of
 * the page, and a caller that carries on must start from the store.
 */
static enum idw_rc feed_page(struct idw_apply *ap, const json_t *page, struct commit_ctx *c,
                             char *err, size_t errlen)
{
    struct idw_pipeline *pl = pipeline_of(ap, c->org, err, errlen);
    struct idw_geodb *geo = NULL;
    enum idw_feed_result res;
    enum idw_rc rc = IDW_OK;
    size_t i;
    json_t *ev;

    if (!pl || set_recorded(ap, pl, page, c->live_from, &geo, err, errlen) < 0)
        return IDW_ERR;
    json_array_foreach(json_object_get(page, "events"), i, ev) {
        char why[512];
        rc = idw_pipeline_feed(pl, ev, &res, why, sizeof why);
        if (rc < 0) {
            snprintf(err, errlen, "%s", why);
            break;
        }
        if (res == IDW_FEED_REJECTED || res == IDW_FEED_STALE || res == IDW_FEED_FUTURE)
            log_warn("apply: partition %u, sequence %llu, %s event %zu refused: %s", ap->partition,
                     (unsigned long long)c->seq, c->org, i, why);
    }
    if (rc == IDW_OK)
        rc = idw_pipeline_commit(pl, commit_hook, c, err, errlen);
    idw_pipeline_set_geo(pl, ap->geo);
    idw_geo_close(geo);
    if (rc < 0) {
        drop_pipelines(ap);
        return IDW_ERR;
    }
    ap->events += json_array_size(json_object_get(page, "events"));
    return IDW_OK;
}

/*
 * The genesis message: installs the partition's key for unknown usernames
 * (once; a second genesis is skipped) with applied_seq, in one transaction.
 */
static enum idw_rc apply_genesis(struct idw_apply *ap, uint64_t seq, const json_t *msg,
                                 enum idw_apply_result *result, char *reason, size_t reasonlen,
                                 char *err, size_t errlen)
{
    struct commit_ctx c = {.ap = ap, .seq = seq};
    unsigned char key[32];
    char key_id[33];
    json_t *mark = NULL, *doc = NULL;
    MDB_txn *txn;
    enum idw_rc rc;

    if (idw_wal_genesis_key(msg, key) == IDW_OK) {
        /* which genesis this partition's key came from: cluster/stream_check.h compares it with the
         * stream's (a database applying several partitions holds one secret, the last one's) */
        idw_sha256_hex(key, sizeof key, 16, key_id);
        doc = json_pack("{s:I, s:s}", "seq", (json_int_t)seq, "key_id", key_id);
    }
    if (!doc || idw_store_begin(ap->st, 0, &txn, err, errlen) < 0) {
        json_decref(doc);
        if (!doc)
            snprintf(err, errlen, "apply: out of memory");
        return IDW_ERR;
    }
    rc = idw_store_meta_get(ap->st, txn, "cluster_genesis", ap->pkey, &mark, err, errlen);
    *result = rc == IDW_OK ? IDW_APPLY_SKIPPED : IDW_APPLY_APPLIED;
    if (rc == IDW_OK && reason)
        snprintf(reason, reasonlen, "partition %u: a second genesis message", ap->partition);
    if (rc == IDW_NOTFOUND)
        rc = idw_store_secret_set(ap->st, txn, "unknown_user_key", key, err, errlen) < 0 ? IDW_ERR :
             idw_store_meta_put(ap->st, txn, "cluster_genesis", ap->pkey, doc, err, errlen);
    if (rc >= 0)
        rc = commit_hook(ap->st, txn, &c, err, errlen);
    json_decref(mark);
    json_decref(doc);
    OPENSSL_cleanse(key, sizeof key);
    if (rc < 0) {
        mdb_txn_abort(txn);
        return IDW_ERR;
    }
    if (idw_store_commit(txn, err, errlen) < 0)
        return IDW_ERR;
    if (*result == IDW_APPLY_APPLIED)
        drop_pipelines(ap);     /* they hold the key they were opened with */
    return IDW_OK;
}

/* The partition's genesis record ({"seq", "key_id"}) into *mark: IDW_OK, IDW_NOTFOUND, IDW_ERR. */
static enum idw_rc genesis_mark(struct idw_apply *ap, json_t **mark, char *err, size_t errlen)
{
    MDB_txn *txn;
    enum idw_rc rc;

    *mark = NULL;
    if (idw_store_begin(ap->st, 1, &txn, err, errlen) < 0)
        return IDW_ERR;
    rc = idw_store_meta_get(ap->st, txn, "cluster_genesis", ap->pkey, mark, err, errlen);
    mdb_txn_abort(txn);
    return rc;
}

enum idw_rc idw_apply_genesis_seq(struct idw_apply *ap, uint64_t *seq, char *err, size_t errlen)
{
    json_t *mark;
    enum idw_rc rc = genesis_mark(ap, &mark, err, errlen);

    *seq = rc == IDW_OK ? (uint64_t)json_integer_value(json_object_get(mark, "seq")) : 0;
    json_decref(mark);
    return rc < 0 ? IDW_ERR : IDW_OK;
}

enum idw_rc idw_apply_same_stream(struct idw_apply *ap, const char *data, size_t len, char *err,
                                  size_t errlen)
{
    unsigned char got[32];
    char got_id[33];
    enum idw_wal_kind kind = IDW_WAL_MALFORMED;
    json_t *msg = NULL, *mark;
    const char *want_id;
    char why[256];
    int same = 0;
    enum idw_rc rc = genesis_mark(ap, &mark, err, errlen);

    if (rc != IDW_OK) {
        if (rc == IDW_NOTFOUND)
            snprintf(err, errlen, "partition %u: no genesis applied", ap->partition);
        return IDW_ERR;
    }
    want_id = json_string_value(json_object_get(mark, "key_id"));
    if (idw_wal_decode(data, len, &msg, &kind, why, sizeof why) < 0)
        kind = IDW_WAL_MALFORMED;
    if (kind == IDW_WAL_GENESIS && idw_wal_genesis_key(msg, got) == IDW_OK) {
        idw_sha256_hex(got, sizeof got, 16, got_id);
        same = !want_id || strcmp(want_id, got_id) == 0;  /* recorded before key_id: a genesis is all */
        OPENSSL_cleanse(got, sizeof got);
    }
    json_decref(msg);
    json_decref(mark);
    if (same)
        return IDW_OK;
    snprintf(err, errlen, "partition %u: the stream's message at the sequence of this database's genesis is "
             "not that genesis (%s): the stream was deleted and created again, or the database was built "
             "from another deployment's; move the database away to rebuild it from the stream",
             ap->partition, kind == IDW_WAL_GENESIS ? "another key" : "not a genesis");
    return IDW_EXISTS;
}

/* Moves applied_seq alone (a skipped or malformed message), in a transaction of its own. */
static enum idw_rc commit_seq_only(struct idw_apply *ap, uint64_t seq, char *err, size_t errlen)
{
    struct commit_ctx c = {.ap = ap, .seq = seq};
    MDB_txn *txn;

    if (idw_store_begin(ap->st, 0, &txn, err, errlen) < 0)
        return IDW_ERR;
    if (commit_hook(ap->st, txn, &c, err, errlen) < 0) {
        mdb_txn_abort(txn);
        return IDW_ERR;
    }
    return idw_store_commit(txn, err, errlen);
}

/*
 * A version-2 page is applied only after its partition's genesis: without
 * the log's key every database would hide unknown usernames with a key of
 * its own, and silently disagree.  IDW_ERR (the applier stops) otherwise.
 */
static enum idw_rc genesis_seen(struct idw_apply *ap, MDB_txn *txn, uint64_t seq, char *err, size_t errlen)
{
    json_t *mark = NULL;
    enum idw_rc rc = idw_store_meta_get(ap->st, txn, "cluster_genesis", ap->pkey, &mark, err, errlen);

    json_decref(mark);
    if (rc == IDW_NOTFOUND) {
        snprintf(err, errlen, "apply: partition %u, sequence %llu: a page before the partition's genesis "
                 "message (the key for unknown usernames); stopped here", ap->partition,
                 (unsigned long long)seq);
        return IDW_ERR;
    }
    return rc < 0 ? IDW_ERR : IDW_OK;
}

/* The verdict on a decoded page: APPLIED (do it) or SKIPPED / ALREADY. */
static enum idw_rc judge(struct idw_apply *ap, uint64_t seq, const json_t *page, int64_t *live_from,
                         enum idw_apply_result *result, char *reason, size_t reasonlen,
                         char *err, size_t errlen)
{
    const char *org = json_string_value(json_object_get(page, "org"));
    const char *polled = json_string_value(json_object_get(page, "cursor_polled"));
    char *cursor = NULL;
    uint64_t applied;
    MDB_txn *txn;
    enum idw_rc rc;

    if (idw_store_begin(ap->st, 1, &txn, err, errlen) < 0)
        return IDW_ERR;
    rc = read_seq(ap, txn, &applied, err, errlen);
    if (rc == IDW_OK && seq > applied)
        rc = read_cursor(ap, txn, org, &cursor, live_from, err, errlen);
    if (rc == IDW_OK && seq > applied && json_object_get(page, "v"))
        rc = genesis_seen(ap, txn, seq, err, errlen);
    mdb_txn_abort(txn);
    if (rc < 0) {
        free(cursor);
        return IDW_ERR;
    }
    if (seq <= applied)
        *result = IDW_APPLY_ALREADY;
    else if (ap->pt && idw_partition_of(ap->pt, org) != ap->partition) {
        *result = IDW_APPLY_SKIPPED;
        if (reason)
            snprintf(reason, reasonlen, "%s: the org belongs to partition %u, not %u", org,
                     idw_partition_of(ap->pt, org), ap->partition);
    } else if (!cursor || strcmp(cursor, polled) != 0) {
        *result = IDW_APPLY_SKIPPED;
        if (reason)
            snprintf(reason, reasonlen, "%s: the page polled another cursor than the org's", org);
    } else
        *result = IDW_APPLY_APPLIED;
    free(cursor);
    return IDW_OK;
}

/*
 * An analyst's or operator's command (cluster/command.h), applied inside
 * the transaction that commits applied_seq: a command it skips (an
 * unknown alert, a refused transition, an id decided before) moves
 * applied_seq alone, identically for anyone.
 */
static enum idw_rc apply_command(struct idw_apply *ap, uint64_t seq, const json_t *msg,
                                 enum idw_apply_result *result, char *reason, size_t reasonlen,
                                 char *err, size_t errlen)
{
    struct commit_ctx c = {.ap = ap, .seq = seq};
    char why[512] = "";
    int applied = 0;
    MDB_txn *txn;

    if (idw_store_begin(ap->st, 0, &txn, err, errlen) < 0)
        return IDW_ERR;
    if (idw_command_apply(ap->st, txn, ap->cfg, msg, &applied, why, sizeof why, err, errlen) < 0 ||
        commit_hook(ap->st, txn, &c, err, errlen) < 0) {
        mdb_txn_abort(txn);
        return IDW_ERR;
    }
    if (idw_store_commit(txn, err, errlen) < 0)
        return IDW_ERR;
    *result = applied ? IDW_APPLY_APPLIED : IDW_APPLY_SKIPPED;
    if (reason)
        snprintf(reason, reasonlen, "%s", why);
    if (applied)
        drop_pipelines(ap);     /* a false positive taught a persona they may hold */
    return IDW_OK;
}

/* ---- rules in the log ----------------------------------------------------------------- */

static enum idw_rc pass_over(struct idw_apply *ap, uint64_t seq, const char *why,
                             enum idw_apply_result *result,
                             char *reason, size_t reasonlen, char *err, size_t errlen);

/* Checks a rules message, writes its files under the rules root and opens their engine. */
static enum idw_rc open_rules(struct idw_apply *ap, const json_t *msg, struct idw_detect **out, int *bad,
                              char *err, size_t errlen)
{
    json_t *files = NULL;
    char dir[4400];
    enum idw_rc rc;

    *out = NULL;
    if (idw_rulepack_files(msg, &files, bad, err, errlen) < 0)
        return IDW_ERR;
    rc = idw_rulepack_unpack(files, ap->rules_root, dir, sizeof dir, err, errlen);
    json_decref(files);
    if (rc == IDW_OK)
        rc = ap->open_detect(ap->open_ctx, dir, out, err, errlen);
    return rc < 0 ? IDW_ERR : IDW_OK;
}

/* Judges with d from now on (the pipelines hold the engine they were opened with). */
static void use_rules(struct idw_apply *ap, struct idw_detect *d, const char *fp)
{
    drop_pipelines(ap);
    idw_detect_close(ap->own);
    ap->own = d;
    ap->detect = d;
    snprintf(ap->rules_fp, sizeof ap->rules_fp, "%s", fp);
}

/* A later release's rules stop the applier; an earlier one's apply, with this release's C rules. */
static enum idw_rc check_release(struct idw_apply *ap, uint64_t seq, const json_t *msg, char *err,
                                 size_t errlen)
{
    const char *rel = json_string_value(json_object_get(msg, "release"));
    int cmp = rel ? idw_rulepack_release_cmp(rel, IDW_VERSION) : 0;

    if (cmp > 0) {
        snprintf(err, errlen, "apply: partition %u, sequence %llu: rules published by idwatch %.64s, later "
                 "than this worker's %s; stopped here (run idwatch %.64s or later)", ap->partition,
                 (unsigned long long)seq, rel, IDW_VERSION, rel);
        return IDW_ERR;
    }
    if (cmp < 0)
        log_warn("apply: partition %u, sequence %llu: rules published by idwatch %.64s are applied with the "
                 "C rules of this release (%s)", ap->partition, (unsigned long long)seq, rel, IDW_VERSION);
    return IDW_OK;
}

/* Records the rules in force with applied_seq; then they judge what follows. */
static enum idw_rc record_rules(struct idw_apply *ap, uint64_t seq, const json_t *msg, char *err,
                                size_t errlen)
{
    struct commit_ctx c = {.ap = ap, .seq = seq};
    json_t *rec = json_pack("{s:O, s:O, s:I, s:O, s:O, s:O}", "fingerprint",
                            json_object_get(msg, "fingerprint"), "release", json_object_get(msg, "release"),
                            "seq", (json_int_t)seq, "at", json_object_get(msg, "at"), "by",
                            json_object_get(msg, "by"), "message", msg);
    MDB_txn *txn;
    enum idw_rc rc;

    if (!rec) {
        snprintf(err, errlen, "apply: out of memory");
        return IDW_ERR;
    }
    rc = idw_store_begin(ap->st, 0, &txn, err, errlen);
    if (rc == IDW_OK) {
        rc = idw_store_meta_put(ap->st, txn, "cluster_rules", ap->pkey, rec, err, errlen) < 0 ||
             commit_hook(ap->st, txn, &c, err, errlen) < 0 ? IDW_ERR : IDW_OK;
        if (rc == IDW_OK)
            rc = idw_store_commit(txn, err, errlen) < 0 ? IDW_ERR : IDW_OK;
        else
            mdb_txn_abort(txn);
    }
    json_decref(rec);
    return rc;
}

/*
 * A rules message: the partition's rule configuration from here on, for
 * anyone applying the stream (apply.h).  The engine is opened before
 * anything commits, so rules that do not load stop the applier with the
 * message still unapplied.
 */
static enum idw_rc apply_rules(struct idw_apply *ap, uint64_t seq, const json_t *msg,
                               enum idw_apply_result *result, char *reason, size_t reasonlen,
                               char *err, size_t errlen)
{
    struct idw_detect *d = NULL;
    char why[512] = "";
    int bad = 0;

    if (!ap->open_detect) {
        snprintf(err, errlen, "apply: partition %u, sequence %llu: a rules message, and this applier has no "
                 "place for rules; stopped here", ap->partition, (unsigned long long)seq);
        return IDW_ERR;
    }
    if (check_release(ap, seq, msg, err, errlen) < 0)
        return IDW_ERR;
    if (open_rules(ap, msg, &d, &bad, why, sizeof why) < 0) {
        if (bad) {
            log_warn("apply: partition %u, sequence %llu: %s: skipped", ap->partition,
                     (unsigned long long)seq, why);
            return pass_over(ap, seq, why, result, reason, reasonlen, err, errlen);
        }
        snprintf(err, errlen, "apply: partition %u, sequence %llu: %s; stopped here", ap->partition,
                 (unsigned long long)seq, why);
        return IDW_ERR;
    }
    if (record_rules(ap, seq, msg, err, errlen) < 0) {
        idw_detect_close(d);
        return IDW_ERR;
    }
    use_rules(ap, d, json_string_value(json_object_get(msg, "fingerprint")));
    log_info("apply: partition %u, sequence %llu: rules %.12s (published by %s) in force", ap->partition,
             (unsigned long long)seq, ap->rules_fp, json_string_value(json_object_get(msg, "by")));
    *result = IDW_APPLY_APPLIED;
    if (reason)
        reason[0] = '\0';
    return IDW_OK;
}

enum idw_rc idw_apply_set_rules(struct idw_apply *ap, const char *root, idw_apply_detect_fn fn, void *ctx,
                                char *err, size_t errlen)
{
    struct idw_detect *d = NULL;
    json_t *rec = NULL;
    MDB_txn *txn;
    enum idw_rc rc;
    int bad = 0;

    if (snprintf(ap->rules_root, sizeof ap->rules_root, "%s", root) >= (int)sizeof ap->rules_root) {
        snprintf(err, errlen, "apply: %s: path too long", root);
        return IDW_ERR;
    }
    ap->open_detect = fn;
    ap->open_ctx = ctx;
    if (idw_store_begin(ap->st, 1, &txn, err, errlen) < 0)
        return IDW_ERR;
    rc = idw_store_meta_get(ap->st, txn, "cluster_rules", ap->pkey, &rec, err, errlen);
    mdb_txn_abort(txn);
    /* a database of a later release (a downgrade, a snapshot restored): its rules stop this one too */
    if (rc == IDW_OK && check_release(ap, (uint64_t)json_integer_value(json_object_get(rec, "seq")),
                                      json_object_get(rec, "message"), err, errlen) < 0) {
        json_decref(rec);
        return IDW_ERR;
    }
    if (rc == IDW_OK && open_rules(ap, json_object_get(rec, "message"), &d, &bad, err, errlen) < 0) {
        char why[512];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, errlen, "apply: partition %u: the rules recorded at sequence %lld: %s", ap->partition,
                 (long long)json_integer_value(json_object_get(rec, "seq")), why);
        rc = IDW_ERR;
    }
    if (rc == IDW_OK)
        use_rules(ap, d, json_string_value(json_object_get(rec, "fingerprint")));
    json_decref(rec);
    return rc < 0 ? IDW_ERR : IDW_OK;
}

const char *idw_apply_rules_fingerprint(const struct idw_apply *ap)
{
    return ap->rules_fp;
}

/* A message that changes nothing but applied_seq: MALFORMED, or a seq already applied. */
static enum idw_rc pass_over(struct idw_apply *ap, uint64_t seq, const char *why,
                             enum idw_apply_result *result,
                             char *reason, size_t reasonlen, char *err, size_t errlen)
{
    uint64_t applied;

    if (idw_apply_seq(ap, &applied, err, errlen) < 0)
        return IDW_ERR;
    *result = seq <= applied ? IDW_APPLY_ALREADY : IDW_APPLY_MALFORMED;
    if (reason)
        snprintf(reason, reasonlen, "%s", why);
    return *result == IDW_APPLY_ALREADY ? IDW_OK : commit_seq_only(ap, seq, err, errlen);
}

static enum idw_rc apply_page(struct idw_apply *ap, uint64_t seq, const json_t *page,
                              enum idw_apply_result *result, char *reason, size_t reasonlen,
                              char *err, size_t errlen)
{
    int64_t stored = 0;
    enum idw_rc rc = judge(ap, seq, page, &stored, result, reason, reasonlen, err, errlen);

    if (rc == IDW_OK && *result == IDW_APPLY_SKIPPED)
        rc = commit_seq_only(ap, seq, err, errlen);
    else if (rc == IDW_OK && *result == IDW_APPLY_APPLIED) {
        /* the org's history end is its first applied page's: later pages cannot move it */
        struct commit_ctx c = {.ap = ap, .org = json_string_value(json_object_get(page, "org")),
                               .polled = json_string_value(json_object_get(page, "cursor_polled")),
                               .next = json_string_value(json_object_get(page, "next_cursor")), .seq = seq,
                               .live_from = stored ? stored
                                                   : json_integer_value(json_object_get(page, "live_from"))};
        rc = feed_page(ap, page, &c, err, errlen);
    }
    return rc;
}

enum idw_rc idw_apply_message(struct idw_apply *ap, uint64_t seq, const char *data, size_t len,
                              enum idw_apply_result *result, char *reason, size_t reasonlen,
                              char *err, size_t errlen)
{
    char why[512];
    json_t *msg = NULL;
    enum idw_wal_kind kind;
    enum idw_rc rc;
    uint64_t applied;

    if (idw_wal_decode(data, len, &msg, &kind, why, sizeof why) < 0) {
        snprintf(err, errlen, "apply: partition %u, sequence %llu: %s", ap->partition,
                 (unsigned long long)seq, why);
        return IDW_ERR;
    }
    if (kind == IDW_WAL_MALFORMED)
        return pass_over(ap, seq, why, result, reason, reasonlen, err, errlen);
    if (idw_apply_seq(ap, &applied, err, errlen) < 0) {
        json_decref(msg);
        return IDW_ERR;
    }
    if (seq <= applied) {
        json_decref(msg);
        *result = IDW_APPLY_ALREADY;
        return IDW_OK;
    }
    switch (kind) {
    case IDW_WAL_PAGE:
        rc = apply_page(ap, seq, msg, result, reason, reasonlen, err, errlen);
        break;
    case IDW_WAL_GENESIS:
        rc = apply_genesis(ap, seq, msg, result, reason, reasonlen, err, errlen);
        break;
    case IDW_WAL_COMMAND:
        rc = apply_command(ap, seq, msg, result, reason, reasonlen, err, errlen);
        break;
    case IDW_WAL_RULES:
        rc = apply_rules(ap, seq, msg, result, reason, reasonlen, err, errlen);
        break;
    default:
        snprintf(err, errlen, "apply: partition %u, sequence %llu: %s; stopped here (upgrade idwatch to "
                 "apply it)", ap->partition, (unsigned long long)seq, why);
        rc = IDW_ERR;
    }
    json_decref(msg);
    return rc;
}

void idw_apply_set_partitioning(struct idw_apply *ap, const struct idw_partitioning *pt)
{
    ap->pt = pt;
}

uint64_t idw_apply_events(const struct idw_apply *ap)
{
    return ap->events;
}

void idw_apply_close(struct idw_apply *ap)
{
    if (!ap)
        return;
    drop_pipelines(ap);
    idw_detect_close(ap->own);
    free(ap);
}
