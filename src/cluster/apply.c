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
    struct org_pl *orgs;
    size_t norgs;
    uint64_t events;
};

/* What the commit hook writes: the org's new cursor and the partition's applied_seq. */
struct commit_ctx {
    struct idw_apply *ap;
    const char *org, *polled, *next;    /* org NULL: applied_seq only */
    uint64_t seq;
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
                               char *err, size_t errlen)
{
    json_t *doc = NULL;
    enum idw_rc rc = idw_store_meta_get(ap->st, txn, "cluster_cursor", org, &doc, err, errlen);

    *cursor = NULL;
    if (rc < 0)
        return IDW_ERR;
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
    if (read_cursor(c->ap, txn, c->org, &now, err, errlen) < 0)
        return IDW_ERR;
    if (strcmp(now, c->polled) != 0) {
        snprintf(err, errlen, "apply: %s: its cursor moved while its page was applied "
                 "(two appliers on one database?)", c->org);
        free(now);
        return IDW_ERR;
    }
    free(now);
    cur = json_pack("{s:s, s:I}", "cursor", c->next, "seq", (json_int_t)c->seq);
    rc = cur ? idw_store_meta_put(c->ap->st, txn, "cluster_cursor", c->org, cur, err, errlen) : IDW_ERR;
    json_decref(cur);
    return rc;
}

static struct idw_pipeline *pipeline_of(struct idw_apply *ap, const char *org, char *err, size_t errlen)
{
    struct idw_pipeline_opts po = {.domain_id = org, .geo = ap->geo, .detect = ap->detect};
    struct org_pl *grown;

    for (size_t i = 0; i < ap->norgs; i++)
        if (strcmp(ap->orgs[i].org, org) == 0)
            return ap->orgs[i].pl;
    grown = realloc(ap->orgs, (ap->norgs + 1) * sizeof *grown);
    if (!grown) {
        snprintf(err, errlen, "apply: out of memory");
        return NULL;
    }
    ap->orgs = grown;
    grown[ap->norgs].org = strdup(org);
    if (!grown[ap->norgs].org ||
        idw_pipeline_open(ap->st, ap->cfg, &po, &grown[ap->norgs].pl, err, errlen) < 0) {
        free(grown[ap->norgs].org);
        return NULL;
    }
    return grown[ap->norgs++].pl;
}

/* Feeds the page's events and commits them with the hook; a storage failure rolls all back. */
static enum idw_rc feed_page(struct idw_apply *ap, const json_t *page, struct commit_ctx *c,
                             char *err, size_t errlen)
{
    struct idw_pipeline *pl = pipeline_of(ap, c->org, err, errlen);
    enum idw_feed_result res;
    size_t i;
    json_t *ev;

    if (!pl)
        return IDW_ERR;
    json_array_foreach(json_object_get(page, "events"), i, ev) {
        if (idw_pipeline_feed(pl, ev, &res, err, errlen) < 0)
            return IDW_ERR;
    }
    if (idw_pipeline_commit(pl, commit_hook, c, err, errlen) < 0)
        return IDW_ERR;
    ap->events += json_array_size(json_object_get(page, "events"));
    return IDW_OK;
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

/* The verdict on a decoded page: APPLIED (do it) or SKIPPED / ALREADY. */
static enum idw_rc judge(struct idw_apply *ap, uint64_t seq, const json_t *page,
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
        rc = read_cursor(ap, txn, org, &cursor, err, errlen);
    mdb_txn_abort(txn);
    if (rc < 0)
        return IDW_ERR;
    if (seq <= applied)
        *result = IDW_APPLY_ALREADY;
    else if (strcmp(cursor, polled) != 0) {
        *result = IDW_APPLY_SKIPPED;
        if (reason)
            snprintf(reason, reasonlen, "%s: the page polled another cursor than the org's", org);
    } else
        *result = IDW_APPLY_APPLIED;
    free(cursor);
    return IDW_OK;
}

enum idw_rc idw_apply_message(struct idw_apply *ap, uint64_t seq, const char *data, size_t len,
                              enum idw_apply_result *result, char *reason, size_t reasonlen,
                              char *err, size_t errlen)
{
    char why[512];
    json_t *page = NULL;
    enum idw_rc rc;

    if (idw_wal_decode(data, len, &page, why, sizeof why) < 0) {
        uint64_t applied;
        if (idw_apply_seq(ap, &applied, err, errlen) < 0)
            return IDW_ERR;
        *result = seq <= applied ? IDW_APPLY_ALREADY : IDW_APPLY_MALFORMED;
        if (reason)
            snprintf(reason, reasonlen, "%s", why);
        return *result == IDW_APPLY_ALREADY ? IDW_OK : commit_seq_only(ap, seq, err, errlen);
    }
    rc = judge(ap, seq, page, result, reason, reasonlen, err, errlen);
    if (rc == IDW_OK && *result == IDW_APPLY_SKIPPED)
        rc = commit_seq_only(ap, seq, err, errlen);
    else if (rc == IDW_OK && *result == IDW_APPLY_APPLIED) {
        struct commit_ctx c = {.ap = ap, .org = json_string_value(json_object_get(page, "org")),
                               .polled = json_string_value(json_object_get(page, "cursor_polled")),
                               .next = json_string_value(json_object_get(page, "next_cursor")), .seq = seq};
        rc = feed_page(ap, page, &c, err, errlen);
    }
    json_decref(page);
    return rc;
}

uint64_t idw_apply_events(const struct idw_apply *ap)
{
    return ap->events;
}

void idw_apply_close(struct idw_apply *ap)
{
    if (!ap)
        return;
    for (size_t i = 0; i < ap->norgs; i++) {
        idw_pipeline_close(ap->orgs[i].pl);
        free(ap->orgs[i].org);
    }
    free(ap->orgs);
    free(ap);
}
