/*
 * evstore.c — storing, reading and pruning the kept events (evstore.h
 * has the key layout; evstore_codec.c the record), and their JSON.
 */
#include "store/evstore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#define DOM_MAX 64      /* domain + NUL: idw_domain_id_valid allows 63 chars */
#define UID_LEN 8       /* an event's id in keys: 64 bits of SHA-256 of its uuid */
#define KEY_MAX (DOM_MAX + 8 + 16)
#define DUP_LEN (8 + UID_LEN)   /* both indexes' duplicates: the time and the uid, in some order */

struct evkey {
    unsigned char b[KEY_MAX];
    size_t n;
};

static enum idw_rc fail(char *err, size_t errlen, const char *what, int rc)
{
    snprintf(err, errlen, "event store: %s: %s", what,
             rc == MDB_MAP_FULL ? "the database reached its size limit: raise lmdb_map_size_mb"
                                : mdb_strerror(rc));
    return IDW_ERR;
}

static void put_be64(unsigned char *b, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--, u >>= 8)
        b[i] = (unsigned char)u;
}

static int64_t get_be64(const unsigned char *b)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = (u << 8) | b[i];
    return (int64_t)u;
}

/* domain \0, then n bytes of p.  0, or -1 when the domain is too long for any key. */
static int key_make(struct evkey *k, const char *domain, const void *p, size_t n)
{
    size_t d = strlen(domain) + 1;

    if (d > DOM_MAX || d + n > KEY_MAX)
        return -1;
    memcpy(k->b, domain, d);
    memcpy(k->b + d, p, n);
    k->n = d + n;
    return 0;
}

static MDB_val val_of(const void *p, size_t n)
{
    MDB_val v = {n, (void *)p};
    return v;
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A tuid's (or canonical uuid's) 16 bytes: 0, or -1 when s is not one. */
static int uuid16(const char *s, unsigned char out[16])
{
    unsigned n = 0;

    if (!s || strlen(s) != 36)
        return -1;
    for (unsigned i = 0; i < 36; i++) {
        int v;
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return -1;
            continue;
        }
        v = hexval(s[i]);
        if (v < 0)
            return -1;
        out[n / 2] = (unsigned char)(n % 2 ? out[n / 2] | v : v << 4);
        n++;
    }
    return 0;
}

/* The uid an Okta uuid is keyed by (evstore.h): hashed, so test uuids that share a prefix spread too. */
static void uid_of(const char *uuid, unsigned char uid[UID_LEN])
{
    unsigned char md[SHA256_DIGEST_LENGTH];

    SHA256((const unsigned char *)uuid, strlen(uuid), md);
    memcpy(uid, md, UID_LEN);
}

static int primary_key(struct evkey *k, const char *domain, int64_t t, const unsigned char uid[UID_LEN])
{
    unsigned char b[8 + UID_LEN];
    put_be64(b, t);
    memcpy(b + 8, uid, UID_LEN);
    return key_make(k, domain, b, sizeof b);
}

static int no_tables(const struct idw_store *st)
{
    return st->events == IDW_STORE_NO_DBI || st->ev_person == IDW_STORE_NO_DBI;
}

/* ---- the person index -------------------------------------------------------- */

static int person_dup(const char *domain, const char *tuid, int64_t t, const unsigned char uid[UID_LEN],
                      struct evkey *k, unsigned char dup[DUP_LEN])
{
    unsigned char tb[16];

    if (uuid16(tuid, tb) < 0)
        return -1;
    put_be64(dup, t);
    memcpy(dup + 8, uid, UID_LEN);
    return key_make(k, domain, tb, 16);
}

/* The people an event is indexed under: its subject, and another person who acted. */
static unsigned people_of(const struct idw_evrec *r, const char *who[2])
{
    unsigned n = 0;

    if (r->subject_tuid[0])
        who[n++] = r->subject_tuid;
    if (r->actor_tuid[0] && strcmp(r->actor_tuid, r->subject_tuid) != 0)
        who[n++] = r->actor_tuid;
    return n;
}

/* ---- store ---------------------------------------------------------------------- */

/* Time-ordered inserts fill pages when appended (LMDB splits at the end then), not half of them. */
static int put_primary(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *val)
{
    int rc = mdb_put(txn, dbi, key, val, MDB_APPEND);
    return rc == MDB_KEYEXIST ? mdb_put(txn, dbi, key, val, MDB_NOOVERWRITE) : rc;
}

/* A person's events mostly arrive in time order: appended, their pages fill instead of splitting in half. */
static int put_person(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *val)
{
    int rc = mdb_put(txn, dbi, key, val, MDB_APPENDDUP);
    return rc == MDB_KEYEXIST ? mdb_put(txn, dbi, key, val, MDB_NODUPDATA) : rc;
}

enum idw_rc idw_evstore_put(struct idw_store *st, MDB_txn *txn, const char *domain,
                            const struct idw_evrec *r, char *err, size_t errlen)
{
    unsigned char rec[IDW_EVREC_MAX], uid[UID_LEN], dup[DUP_LEN];
    const char *who[2];
    struct evkey k;
    MDB_val key, val;
    size_t n = idw_evrec_encode(r, rec, sizeof rec);
    int rc;

    if (no_tables(st))
        return fail(err, errlen, "tables", MDB_NOTFOUND);
    uid_of(r->uuid, uid);
    if (!n || primary_key(&k, domain, r->published_ms, uid) < 0)
        return fail(err, errlen, "record", EINVAL);
    key = val_of(k.b, k.n);
    val = val_of(rec, n);
    rc = put_primary(txn, st->events, &key, &val);
    if (rc == MDB_KEYEXIST)
        return IDW_EXISTS;
    if (rc)
        return fail(err, errlen, "store event", rc);
    for (unsigned i = 0, np = people_of(r, who); i < np; i++) {
        if (person_dup(domain, who[i], r->published_ms, uid, &k, dup) < 0)
            continue;       /* not a tuid: nobody's timeline */
        key = val_of(k.b, k.n);
        val = val_of(dup, DUP_LEN);
        rc = put_person(txn, st->ev_person, &key, &val);
        if (rc && rc != MDB_KEYEXIST)
            return fail(err, errlen, "index event by person", rc);
    }
    return IDW_OK;
}

/* ---- read ------------------------------------------------------------------------ */

/* The record under (domain, t, uid) decoded: IDW_OK, IDW_NOTFOUND, IDW_ERR. */
static enum idw_rc read_record(struct idw_store *st, MDB_txn *txn, const char *domain, int64_t t,
                               const unsigned char uid[UID_LEN], struct idw_evrec *r,
                               char *err, size_t errlen)
{
    struct evkey k;
    MDB_val key, val;
    int rc;

    if (primary_key(&k, domain, t, uid) < 0)
        return IDW_NOTFOUND;
    key = val_of(k.b, k.n);
    rc = mdb_get(txn, st->events, &key, &val);
    if (rc == MDB_NOTFOUND)
        return IDW_NOTFOUND;
    if (rc)
        return fail(err, errlen, "read event", rc);
    if (idw_evrec_decode(val.mv_data, val.mv_size, r) != IDW_OK) {
        char when[IDW_TIME_STRLEN];
        idw_time_format(t, when);
        snprintf(err, errlen, "event store: the record of domain %s published %s is corrupt", domain,
                 when);
        return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_evstore_get(struct idw_store *st, MDB_txn *txn, const char *domain, const char *uuid,
                            struct idw_evrec *r, char *err, size_t errlen)
{
    unsigned char uid[UID_LEN];
    int64_t t;
    enum idw_rc rc;

    if (no_tables(st))
        return IDW_NOTFOUND;
    rc = idw_store_seen_get(st, txn, domain, uuid, &t, err, errlen);   /* the uuid index */
    if (rc != IDW_OK)
        return rc;
    uid_of(uuid, uid);
    rc = read_record(st, txn, domain, t, uid, r, err, errlen);
    if (rc == IDW_ERR)
        snprintf(err, errlen, "event store: the record of event %.60s is corrupt", uuid);
    if (rc == IDW_OK && strcmp(r->uuid, uuid) != 0)
        return IDW_NOTFOUND;    /* another uuid with the same 64-bit id and time */
    return rc;
}

/* Positions cur on the newest dup of the person at or before to_ms: 0, MDB_NOTFOUND, error. */
static int person_seek(MDB_cursor *cur, MDB_val *key, MDB_val *data, int64_t to_ms)
{
    unsigned char probe[DUP_LEN];
    int rc;

    memset(probe, 0, sizeof probe);
    put_be64(probe, to_ms < INT64_MAX ? to_ms + 1 : to_ms);
    *data = val_of(probe, sizeof probe);
    rc = mdb_cursor_get(cur, key, data, MDB_GET_BOTH_RANGE);
    if (rc == MDB_NOTFOUND) {
        rc = mdb_cursor_get(cur, key, data, MDB_SET);
        return rc ? rc : mdb_cursor_get(cur, key, data, MDB_LAST_DUP);
    }
    return rc ? rc : mdb_cursor_get(cur, key, data, MDB_PREV_DUP);
}

enum idw_rc idw_evstore_person(struct idw_store *st, MDB_txn *txn, const char *domain,
                               const char *tuid, int64_t from_ms, int64_t to_ms, size_t limit,
                               idw_evrec_fn fn, void *ctx, char *err, size_t errlen)
{
    struct idw_evrec *r;
    unsigned char dup[DUP_LEN], uid[UID_LEN] = {0};
    struct evkey k;
    MDB_cursor *cur;
    MDB_val key, data;
    size_t done = 0;
    enum idw_rc erc = IDW_OK;
    int rc;

    if (no_tables(st) || person_dup(domain, tuid, 0, uid, &k, dup) < 0)
        return IDW_OK;
    r = malloc(sizeof *r);
    if (!r)
        return fail(err, errlen, "timeline", ENOMEM);
    key = val_of(k.b, k.n);
    rc = mdb_cursor_open(txn, st->ev_person, &cur);
    if (rc) {
        free(r);
        return fail(err, errlen, "timeline cursor", rc);
    }
    rc = person_seek(cur, &key, &data, to_ms);
    for (; rc == 0 && (!limit || done < limit); rc = mdb_cursor_get(cur, &key, &data, MDB_PREV_DUP)) {
        const unsigned char *d = data.mv_data;
        int64_t t;
        if (data.mv_size != DUP_LEN)
            continue;
        t = get_be64(d);
        if (t < from_ms)
            break;
        erc = read_record(st, txn, domain, t, d + 8, r, err, errlen);
        if (erc == IDW_NOTFOUND)
            continue;       /* pruned under a damaged record's index entry */
        if (erc == IDW_ERR || fn(r, ctx))
            break;
        done++;
    }
    mdb_cursor_close(cur);
    free(r);
    if (erc == IDW_ERR)
        return IDW_ERR;
    if (rc && rc != MDB_NOTFOUND)
        return fail(err, errlen, "timeline", rc);
    return IDW_OK;
}

static int by_published(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    return strcmp(json_string_value(json_object_get(x, "published")),
                  json_string_value(json_object_get(y, "published")));
}

/* Sorts the array's EVENT objects by published (RFC 3339 in one format: text order is time order). */
static json_t *sorted(json_t *arr)
{
    size_t n = json_array_size(arr);
    json_t **v = n ? malloc(n * sizeof *v) : NULL, *out = json_array();

    if ((n && !v) || !out) {
        free(v);
        json_decref(out);
        json_decref(arr);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(arr, i);
    if (v)
        qsort(v, n, sizeof *v, by_published);
    for (size_t i = 0; i < n; i++)
        json_array_append(out, v[i]);
    free(v);
    json_decref(arr);
    return out;
}

enum idw_rc idw_evstore_events_json(struct idw_store *st, MDB_txn *txn, const char *domain,
                                    const json_t *uuids, const char *okta_base,
                                    json_t **out, char *err, size_t errlen)
{
    struct idw_evrec *r = malloc(sizeof *r);
    json_t *arr = json_array(), *u;
    size_t i;

    *out = NULL;
    if (!r || !arr) {
        free(r);
        json_decref(arr);
        return fail(err, errlen, "events", ENOMEM);
    }
    json_array_foreach(uuids, i, u) {
        const char *s = json_string_value(u);
        enum idw_rc rc = s ? idw_evstore_get(st, txn, domain, s, r, err, errlen) : IDW_NOTFOUND;
        if (rc == IDW_ERR) {
            free(r);
            json_decref(arr);
            return IDW_ERR;
        }
        if (rc == IDW_OK)
            json_array_append_new(arr, idw_evrec_to_json(r, okta_base));
    }
    free(r);
    *out = sorted(arr);
    return *out ? IDW_OK : fail(err, errlen, "events", ENOMEM);
}

/* ---- prune ------------------------------------------------------------------------ */

/* Deletes the timeline entries of the event under primary key kb (its record in val, if it decodes). */
static int unindex(struct idw_store *st, MDB_txn *txn, const char *domain, const unsigned char *kb,
                   size_t dlen, const MDB_val *val, struct idw_evrec *r)
{
    int64_t t = get_be64(kb + dlen);
    const unsigned char *uid = kb + dlen + 8;
    unsigned char dup[DUP_LEN];
    const char *who[2];
    struct evkey k;
    MDB_val key, data;
    int rc;

    if (idw_evrec_decode(val->mv_data, val->mv_size, r) != IDW_OK)
        return 0;       /* a corrupt record: its person entries stay, and are skipped when read */
    for (unsigned i = 0, np = people_of(r, who); i < np; i++) {
        if (person_dup(domain, who[i], t, uid, &k, dup) < 0)
            continue;
        key = val_of(k.b, k.n);
        data = val_of(dup, DUP_LEN);
        rc = mdb_del(txn, st->ev_person, &key, &data);
        if (rc && rc != MDB_NOTFOUND)
            return rc;
    }
    return 0;
}

enum idw_rc idw_evstore_prune(struct idw_store *st, MDB_txn *txn, const char *domain,
                              int64_t before_ms, size_t max, size_t *pruned,
                              char *err, size_t errlen)
{
    struct idw_evrec *r;
    struct evkey start;
    size_t dlen = strlen(domain) + 1;
    unsigned char limit[8];
    MDB_cursor *cur;
    MDB_val key, data;
    int rc;

    *pruned = 0;
    if (no_tables(st) || before_ms <= 0 || key_make(&start, domain, "", 0) < 0)
        return IDW_OK;
    r = malloc(sizeof *r);
    if (!r)
        return fail(err, errlen, "prune", ENOMEM);
    put_be64(limit, before_ms);
    key = val_of(start.b, start.n);
    rc = mdb_cursor_open(txn, st->events, &cur);
    if (rc) {
        free(r);
        return fail(err, errlen, "prune cursor", rc);
    }
    rc = mdb_cursor_get(cur, &key, &data, MDB_SET_RANGE);
    while (rc == 0 && *pruned < max) {
        const unsigned char *kb = key.mv_data;
        if (key.mv_size != dlen + 8 + UID_LEN || memcmp(kb, start.b, dlen) != 0 ||
            memcmp(kb + dlen, limit, 8) >= 0)
            break;
        rc = unindex(st, txn, domain, kb, dlen, &data, r);
        if (rc == 0)
            rc = mdb_cursor_del(cur, 0);
        if (rc != 0)
            break;
        (*pruned)++;
        rc = mdb_cursor_get(cur, &key, &data, MDB_GET_CURRENT);
        if (rc != 0)
            rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    free(r);
    if (rc && rc != MDB_NOTFOUND)
        return fail(err, errlen, "prune", rc);
    return IDW_OK;
}

/* Pages in a table's main tree (its sub-databases, for duplicates, are not counted there). */
static size_t tree_pages(const MDB_stat *s)
{
    return s->ms_branch_pages + s->ms_leaf_pages + s->ms_overflow_pages;
}

/*
 * The pages no main tree accounts for: the duplicates' sub-databases, of
 * which ev_person has the only ones (no other table is DUPSORT).
 * Every page of the file is a meta page, free, in a main tree, or in one.
 */
static int subdb_pages(MDB_txn *txn, size_t *out)
{
    MDB_envinfo info;
    MDB_stat s;
    MDB_cursor *cur;
    MDB_val key, data;
    size_t used = 2, name_len;      /* the two meta pages */
    char name[512];
    int rc;

    rc = mdb_env_info(mdb_txn_env(txn), &info);
    if (rc == 0)
        rc = mdb_stat(txn, 1, &s);
    if (rc == 0)
        rc = mdb_cursor_open(txn, 1, &cur);
    if (rc)
        return rc;
    used += tree_pages(&s);         /* the main DB: the tables' names */
    for (rc = mdb_cursor_get(cur, &key, &data, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT)) {
        MDB_dbi dbi;
        name_len = key.mv_size < sizeof name ? key.mv_size : sizeof name - 1;
        memcpy(name, key.mv_data, name_len);
        name[name_len] = '\0';
        if (mdb_dbi_open(txn, name, 0, &dbi) == 0 && mdb_stat(txn, dbi, &s) == 0)
            used += tree_pages(&s);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND)
        return rc;
    rc = mdb_stat(txn, 0, &s);
    if (rc == 0)
        rc = mdb_cursor_open(txn, 0, &cur);
    if (rc)
        return rc;
    used += tree_pages(&s);         /* the free list's own pages */
    for (rc = mdb_cursor_get(cur, &key, &data, MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT)) {
        size_t count = 0;           /* an MDB_IDL: its count, then the page numbers */
        if (data.mv_size >= sizeof count)
            memcpy(&count, data.mv_data, sizeof count);
        used += count;
    }
    mdb_cursor_close(cur);
    *out = info.me_last_pgno + 1 > used ? info.me_last_pgno + 1 - used : 0;
    return rc == MDB_NOTFOUND ? 0 : rc;
}

enum idw_rc idw_evstore_usage(struct idw_store *st, MDB_txn *txn, size_t *events, size_t *bytes,
                              char *err, size_t errlen)
{
    MDB_dbi dbis[2] = {st->events, st->ev_person};
    MDB_stat s;
    size_t pages = 0, sub = 0;
    int rc;

    *events = *bytes = 0;
    if (no_tables(st))
        return IDW_OK;
    for (int i = 0; i < 2; i++) {
        rc = mdb_stat(txn, dbis[i], &s);
        if (rc)
            return fail(err, errlen, "usage", rc);
        if (i == 0)
            *events = s.ms_entries;
        pages += tree_pages(&s);
    }
    rc = subdb_pages(txn, &sub);
    if (rc)
        return fail(err, errlen, "usage", rc);
    *bytes = (pages + sub) * (size_t)s.ms_psize;
    return IDW_OK;
}
