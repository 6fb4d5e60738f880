/*
 * alert_index.c — the server's in-memory index of the stored alerts: for
 * each, the fields the queue filters, sorts and searches on (serve_int.h,
 * struct idw_alert_row).
 *
 * Why: parsing every alert document on every queue request costs about
 * 200 ms for 10,000 alerts on a small VM, the console's whole budget for a
 * page.  A refresh walks the alerts table in key order (LMDB pages are
 * mapped: no copy) and merges with the previous index, also in key order;
 * an entry whose stored bytes hash the same as last time keeps its row,
 * and only new or changed documents are parsed.  So the index is never
 * stale: every request refreshes it inside its own read transaction.  The
 * server thread is its only user (serve.h), so it needs no lock.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "serve/serve_int.h"

/* A 64-bit hash of the stored bytes (a change of any byte changes it, but for a 2^-64 chance). */
static uint64_t raw_hash(const char *p, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    for (; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

static void row_free(struct idw_alert_row *r)
{
    if (!r)
        return;
    free(r->key);
    for (size_t i = 0; i < IDW_ROW_NSTR; i++)
        free(r->s[i]);
    free(r);
}

static const char *const row_keys[IDW_ROW_NSTR] = {
    [IDW_ROW_ID] = "alert_id", [IDW_ROW_DOMAIN] = "domain_id", [IDW_ROW_RULE] = "rule",
    [IDW_ROW_USER] = "user", [IDW_ROW_TUID] = "tuid", [IDW_ROW_ACTOR] = "actor",
    [IDW_ROW_ACTOR_TUID] = "actor_tuid", [IDW_ROW_IP] = "ip", [IDW_ROW_INCIDENT] = "incident_id",
    [IDW_ROW_ASSIGNEE] = "assignee", [IDW_ROW_SUMMARY] = "summary", [IDW_ROW_EVIDENCE] = "evidence",
};

/* A row from a stored document; NULL when it does not parse (skipped, like idw_alert_each) or no memory. */
static struct idw_alert_row *row_new(const char *key, size_t keylen, const char *val, size_t vallen,
                                     uint64_t h)
{
    json_t *a = json_loadb(val, vallen, 0, NULL);
    struct idw_alert_row *r = a && idw_alert_id(a) ? calloc(1, sizeof *r) : NULL;

    if (r)
        r->key = malloc(keylen);
    if (!r || !r->key) {
        row_free(r);
        json_decref(a);
        return NULL;
    }
    memcpy(r->key, key, keylen);
    r->keylen = keylen;
    r->hash = h;
    for (size_t i = 0; i < IDW_ROW_NSTR; i++) {
        const char *s = json_string_value(json_object_get(a, row_keys[i]));
        r->s[i] = s ? strdup(s) : NULL;
    }
    r->severity = idw_alert_severity(a);
    r->status = idw_alert_status(a);
    r->first_ms = json_integer_value(json_object_get(a, "first_seen_ms"));
    r->last_ms = idw_alert_last_seen_ms(a);
    json_decref(a);
    return r;
}

struct merge {
    struct idw_alert_index *old;
    size_t pos;                         /* next row of old to compare */
    struct idw_alert_row **rows;
    size_t n, cap;
    int oom;
};

static int keycmp(const struct idw_alert_row *r, const char *key, size_t keylen)
{
    int c = memcmp(r->key, key, r->keylen < keylen ? r->keylen : keylen);
    return c ? c : (r->keylen > keylen) - (r->keylen < keylen);
}

static int merge_one(const char *key, size_t keylen, const char *val, size_t vallen, void *vm)
{
    struct merge *m = vm;
    struct idw_alert_row *r = NULL;
    uint64_t h = raw_hash(val, vallen);

    /* rows of the old index before this key were deleted: drop them */
    while (m->pos < m->old->n && keycmp(m->old->rows[m->pos], key, keylen) < 0)
        row_free(m->old->rows[m->pos++]);
    if (m->pos < m->old->n && keycmp(m->old->rows[m->pos], key, keylen) == 0) {
        r = m->old->rows[m->pos++];
        if (r->hash != h) {
            row_free(r);
            r = NULL;
        }
    }
    if (!r)
        r = row_new(key, keylen, val, vallen, h);
    if (!r)
        return 0;       /* unparsable: skipped (out of memory shows as a missing row, never a crash) */
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 1024;
        struct idw_alert_row **v = realloc(m->rows, cap * sizeof *v);
        if (!v) {
            row_free(r);
            m->oom = 1;
            return 1;
        }
        m->rows = v;
        m->cap = cap;
    }
    m->rows[m->n++] = r;
    return 0;
}

enum idw_rc idw_alert_index_refresh(struct idw_alert_index *ix, struct idw_store *st, MDB_txn *txn,
                                    char *err, size_t errlen)
{
    struct merge m = {.old = ix};
    enum idw_rc rc = idw_store_kv_each(st, txn, st->alerts, NULL, merge_one, &m, err, errlen);

    if (rc == IDW_OK && m.oom) {
        snprintf(err, errlen, "alert index: out of memory");
        rc = IDW_ERR;
    }
    if (rc != IDW_OK) {
        /* the rows taken into m are gone from ix: free both, the next refresh starts over */
        for (size_t i = 0; i < m.n; i++)
            row_free(m.rows[i]);
        free(m.rows);
        for (size_t i = m.pos; i < ix->n; i++)
            row_free(ix->rows[i]);
        free(ix->rows);
        *ix = (struct idw_alert_index){0};
        return IDW_ERR;
    }
    for (size_t i = m.pos; i < ix->n; i++)
        row_free(ix->rows[i]);
    free(ix->rows);
    ix->rows = m.rows;
    ix->n = m.n;
    return IDW_OK;
}

void idw_alert_index_free(struct idw_alert_index *ix)
{
    for (size_t i = 0; i < ix->n; i++)
        row_free(ix->rows[i]);
    free(ix->rows);
    *ix = (struct idw_alert_index){0};
}
