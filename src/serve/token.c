/*
 * token.c — API bearer tokens: create, verify, revoke, list (token.h).
 * Only SHA-256(token) is stored; the token text exists in this process
 * only between RAND_bytes and the caller printing it.
 */
#include "serve/token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/util.h"

#define HASH_HEX 65

static int have_table(const struct idw_store *st, char *err, size_t errlen)
{
    if (st->api_tokens != IDW_STORE_NO_DBI)
        return 1;
    snprintf(err, errlen, "api tokens: this database has none yet (an older database opened read-only)");
    return 0;
}

/* Finds the token named name: IDW_OK with hash (hex key), IDW_NOTFOUND, IDW_ERR. */
struct find_ctx {
    const char *name;
    char hash[HASH_HEX];
    int found, corrupt;
};

static int find_name(const char *key, size_t keylen, const char *val, size_t vallen, void *vctx)
{
    struct find_ctx *f = vctx;
    json_t *doc = json_loadb(val, vallen, 0, NULL);
    const char *name = json_string_value(json_object_get(doc, "name"));

    if (name && !strcmp(name, f->name) && keylen > 0 && keylen <= sizeof f->hash) {
        idw_strncpy0(f->hash, sizeof f->hash, key, keylen - 1);   /* the key is hex \0 */
        f->found = 1;
    }
    json_decref(doc);
    return f->found;
}

static enum idw_rc find_by_name(struct idw_store *st, MDB_txn *txn, const char *name, char hash[HASH_HEX],
                                char *err, size_t errlen)
{
    struct find_ctx f = {.name = name};

    if (idw_store_kv_each(st, txn, st->api_tokens, NULL, find_name, &f, err, errlen) < 0)
        return IDW_ERR;
    if (!f.found)
        return IDW_NOTFOUND;
    memcpy(hash, f.hash, HASH_HEX);
    return IDW_OK;
}

enum idw_rc idw_token_create(struct idw_store *st, MDB_txn *txn, const char *name, enum idw_role role,
                             int64_t now_ms, char out[IDW_TOKEN_STRLEN], char *err, size_t errlen)
{
    unsigned char raw[32];
    char hash[HASH_HEX], when[40];
    json_t *doc;
    char *text;
    enum idw_rc rc;

    if (!idw_principal_name_valid(name) || role == IDW_ROLE_NONE) {
        snprintf(err, errlen, "api token: the name must be 1-63 characters of A-Z a-z 0-9 . _ @ -");
        return IDW_ERR;
    }
    if (!have_table(st, err, errlen))
        return IDW_ERR;
    rc = find_by_name(st, txn, name, hash, err, errlen);
    if (rc != IDW_NOTFOUND) {
        if (rc == IDW_OK)
            snprintf(err, errlen, "api token '%s' already exists (revoke it first)", name);
        return rc == IDW_OK ? IDW_EXISTS : IDW_ERR;
    }
    if (RAND_bytes(raw, sizeof raw) != 1) {
        snprintf(err, errlen, "api token: random number generator failed");
        return IDW_ERR;
    }
    memcpy(out, IDW_TOKEN_PREFIX, 4);
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 4 + 2 * i, 3, "%02x", raw[i]);
    OPENSSL_cleanse(raw, sizeof raw);
    idw_sha256_hex(out, strlen(out), 32, hash);
    idw_time_format(now_ms, when);
    doc = json_pack("{s:s, s:s, s:s, s:s}", "name", name, "role", idw_role_name(role), "created", when,
                    "hash", hash);
    text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!text) {
        OPENSSL_cleanse(out, IDW_TOKEN_STRLEN);
        snprintf(err, errlen, "api token: out of memory");
        return IDW_ERR;
    }
    rc = idw_store_kv_put(st, txn, st->api_tokens, hash, NULL, NULL, text, strlen(text), err, errlen);
    free(text);
    if (rc != IDW_OK)
        OPENSSL_cleanse(out, IDW_TOKEN_STRLEN);
    return rc;
}

/* "idw_" and 64 lower-case hex digits. */
static int well_formed(const char *t)
{
    if (strncmp(t, IDW_TOKEN_PREFIX, 4) != 0 || strlen(t) != IDW_TOKEN_STRLEN - 1)
        return 0;
    for (t += 4; *t; t++)
        if (!((*t >= '0' && *t <= '9') || (*t >= 'a' && *t <= 'f')))
            return 0;
    return 1;
}

enum idw_rc idw_token_verify(struct idw_store *st, MDB_txn *txn, const char *token,
                             struct idw_api_principal *p, char *err, size_t errlen)
{
    char hash[HASH_HEX];
    json_t *doc = NULL;
    const char *stored, *name;
    enum idw_rc rc;

    memset(p, 0, sizeof *p);
    if (!well_formed(token) || st->api_tokens == IDW_STORE_NO_DBI)
        return IDW_NOTFOUND;
    idw_sha256_hex(token, strlen(token), 32, hash);
    rc = idw_store_kv_json(st, txn, st->api_tokens, hash, NULL, NULL, &doc, err, errlen);
    if (rc != IDW_OK)
        return rc;
    stored = json_string_value(json_object_get(doc, "hash"));
    name = json_string_value(json_object_get(doc, "name"));
    /* the lookup matched the key; the stored copy is compared in constant time all the same */
    rc = IDW_NOTFOUND;
    if (stored && name && strlen(stored) == sizeof hash - 1 &&
        CRYPTO_memcmp(stored, hash, sizeof hash - 1) == 0 &&
        idw_role_parse(json_string_value(json_object_get(doc, "role")), &p->role) == IDW_OK) {
        idw_strlcpy(p->name, name, sizeof p->name);
        p->kind = IDW_PRINCIPAL_TOKEN;
        rc = IDW_OK;
    }
    json_decref(doc);
    return rc;
}

enum idw_rc idw_token_revoke(struct idw_store *st, MDB_txn *txn, const char *name, char *err, size_t errlen)
{
    char hash[HASH_HEX];
    enum idw_rc rc;

    if (!have_table(st, err, errlen))
        return IDW_ERR;
    rc = find_by_name(st, txn, name, hash, err, errlen);
    if (rc != IDW_OK)
        return rc;
    return idw_store_kv_del(st, txn, st->api_tokens, hash, NULL, NULL, err, errlen);
}

static int add_entry(const char *key, size_t keylen, const char *val, size_t vallen, void *vctx)
{
    json_t *doc = json_loadb(val, vallen, 0, NULL);

    (void)key;
    (void)keylen;
    if (json_is_object(doc)) {
        json_object_del(doc, "hash");
        json_array_append(vctx, doc);
    }
    json_decref(doc);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "name"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "name"));
    return strcmp(x ? x : "", y ? y : "");
}

enum idw_rc idw_token_list(struct idw_store *st, MDB_txn *txn, json_t **out, char *err, size_t errlen)
{
    json_t *arr = json_array(), *sorted;
    size_t n;

    *out = NULL;
    if (!arr) {
        snprintf(err, errlen, "api tokens: out of memory");
        return IDW_ERR;
    }
    if (st->api_tokens != IDW_STORE_NO_DBI &&
        idw_store_kv_each(st, txn, st->api_tokens, NULL, add_entry, arr, err, errlen) < 0) {
        json_decref(arr);
        return IDW_ERR;
    }
    n = json_array_size(arr);
    json_t **v = calloc(n ? n : 1, sizeof *v);
    sorted = json_array();
    if (!v || !sorted) {
        free(v);
        json_decref(sorted);
        json_decref(arr);
        snprintf(err, errlen, "api tokens: out of memory");
        return IDW_ERR;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(arr, i);
    qsort(v, n, sizeof *v, by_name);
    for (size_t i = 0; i < n; i++)
        json_array_append(sorted, v[i]);
    free(v);
    json_decref(arr);
    *out = sorted;
    return IDW_OK;
}
