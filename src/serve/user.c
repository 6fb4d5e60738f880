/*
 * user.c — console users and their scrypt password hashes (user.h).
 * The password exists in this process only for the call that hashes or
 * verifies it; the derived keys are wiped after use.
 */
#include "serve/user.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "common/util.h"

#define LOG_N 15
#define SCRYPT_R 8
#define SCRYPT_P 1
#define SALT_LEN 16
#define KEY_LEN 32
#define MAXMEM ((uint64_t)256 << 20)    /* above 128*r*N = 32 MiB: OpenSSL's default limit is too tight */

static atomic_ulong kdf_runs;

unsigned long idw_password_kdf_runs(void)
{
    return atomic_load(&kdf_runs);
}

/* scrypt(pw, salt) into key[keylen]: 0, or -1 when OpenSSL refused. */
static int derive(const char *pw, const unsigned char *salt, size_t saltlen, unsigned logn, uint32_t r,
                  uint32_t p, unsigned char *key, size_t keylen)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "SCRYPT", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    uint64_t n = (uint64_t)1 << logn, maxmem = MAXMEM;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, (void *)pw, strlen(pw)),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, saltlen),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &p),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end(),
    };
    int ok = kctx && EVP_KDF_derive(kctx, key, keylen, params) == 1;

    atomic_fetch_add(&kdf_runs, 1);
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
    return ok ? 0 : -1;
}

enum idw_rc idw_password_check(const char *pw, char *err, size_t errlen)
{
    size_t n = strlen(pw);

    if (n < IDW_PASSWORD_MIN || n > IDW_PASSWORD_MAX) {
        snprintf(err, errlen, "the password must be %d to %d characters long", IDW_PASSWORD_MIN,
                 IDW_PASSWORD_MAX);
        return IDW_ERR;
    }
    for (; *pw; pw++)
        if ((unsigned char)*pw < 0x20 || *pw == 0x7f) {
            snprintf(err, errlen, "the password must not contain control characters");
            return IDW_ERR;
        }
    return IDW_OK;
}

enum idw_rc idw_password_hash(const char *pw, char out[IDW_PASSWORD_HASH_MAX], char *err, size_t errlen)
{
    unsigned char salt[SALT_LEN], key[KEY_LEN];
    char salt64[4 * ((SALT_LEN + 2) / 3) + 1], key64[4 * ((KEY_LEN + 2) / 3) + 1];

    if (RAND_bytes(salt, sizeof salt) != 1) {
        snprintf(err, errlen, "password hash: random number generator failed");
        return IDW_ERR;
    }
    if (derive(pw, salt, sizeof salt, LOG_N, SCRYPT_R, SCRYPT_P, key, sizeof key) < 0) {
        snprintf(err, errlen, "password hash: OpenSSL scrypt failed");
        return IDW_ERR;
    }
    EVP_EncodeBlock((unsigned char *)salt64, salt, sizeof salt);
    EVP_EncodeBlock((unsigned char *)key64, key, sizeof key);
    OPENSSL_cleanse(key, sizeof key);
    snprintf(out, IDW_PASSWORD_HASH_MAX, "scrypt$%d$%d$%d$%s$%s", LOG_N, SCRYPT_R, SCRYPT_P, salt64, key64);
    OPENSSL_cleanse(key64, sizeof key64);
    return IDW_OK;
}

/* Base64 text → bytes: the decoded length, or -1 (bad text, or more than cap). */
static int unbase64(const char *s, size_t n, unsigned char *out, size_t cap)
{
    unsigned char buf[96];
    int len, pad = 0;

    if (n == 0 || n % 4 || n / 4 * 3 > sizeof buf)
        return -1;
    len = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n);
    pad = (s[n - 1] == '=') + (s[n - 2] == '=');
    len -= pad;
    if (len < 0 || (size_t)len > cap)
        return -1;
    memcpy(out, buf, (size_t)len);
    return len;
}

/* "scrypt$N$r$p$salt$key": the parts, within bounds a real hash has (a corrupt one cannot cost minutes). */
struct parsed {
    unsigned logn, r, p;
    unsigned char salt[64], key[64];
    int saltlen, keylen;
};

static int parse_hash(const char *stored, struct parsed *h)
{
    int off = 0;
    const char *salt, *key;

    if (sscanf(stored, "scrypt$%u$%u$%u$%n", &h->logn, &h->r, &h->p, &off) != 3 || off == 0)
        return -1;
    if (h->logn < 10 || h->logn > 20 || h->r < 1 || h->r > 16 || h->p < 1 || h->p > 4)
        return -1;
    salt = stored + off;
    key = strchr(salt, '$');
    if (!key)
        return -1;
    h->saltlen = unbase64(salt, (size_t)(key - salt), h->salt, sizeof h->salt);
    h->keylen = unbase64(key + 1, strlen(key + 1), h->key, sizeof h->key);
    return h->saltlen >= 8 && h->keylen >= 16 ? 0 : -1;
}

int idw_password_verify(const char *pw, const char *stored)
{
    struct parsed h;
    unsigned char key[64];
    int ok;

    if (!stored || parse_hash(stored, &h) < 0)
        return 0;
    ok = derive(pw, h.salt, (size_t)h.saltlen, h.logn, h.r, h.p, key, (size_t)h.keylen) == 0 &&
         CRYPTO_memcmp(key, h.key, (size_t)h.keylen) == 0;
    OPENSSL_cleanse(key, sizeof key);
    return ok;
}

void idw_password_dummy(const char *pw)
{
    static const unsigned char salt[SALT_LEN] = "idwatch-dummy!!";
    unsigned char key[KEY_LEN];

    if (derive(pw, salt, sizeof salt, LOG_N, SCRYPT_R, SCRYPT_P, key, sizeof key) == 0)
        OPENSSL_cleanse(key, sizeof key);
}

/* ---- the users table -------------------------------------------------------- */

static int have_table(const struct idw_store *st, char *err, size_t errlen)
{
    if (st->users != IDW_STORE_NO_DBI)
        return 1;
    snprintf(err, errlen, "users: this database has none yet (an older database opened read-only)");
    return 0;
}

static enum idw_rc put_doc(struct idw_store *st, MDB_txn *txn, const char *name, json_t *doc,
                           char *err, size_t errlen)
{
    char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    enum idw_rc rc;

    if (!text) {
        snprintf(err, errlen, "users: out of memory");
        return IDW_ERR;
    }
    rc = idw_store_kv_put(st, txn, st->users, name, NULL, NULL, text, strlen(text), err, errlen);
    OPENSSL_cleanse(text, strlen(text));    /* it holds the hash */
    free(text);
    return rc;
}

/* The stored document of name: IDW_OK with *doc, IDW_NOTFOUND, IDW_ERR. */
static enum idw_rc get_doc(struct idw_store *st, MDB_txn *txn, const char *name, json_t **doc,
                           char *err, size_t errlen)
{
    *doc = NULL;
    if (!idw_principal_name_valid(name) || st->users == IDW_STORE_NO_DBI)
        return IDW_NOTFOUND;
    return idw_store_kv_json(st, txn, st->users, name, NULL, NULL, doc, err, errlen);
}

enum idw_rc idw_user_add(struct idw_store *st, MDB_txn *txn, const char *name, enum idw_role role,
                         const char *pw, int64_t now_ms, char *err, size_t errlen)
{
    char hash[IDW_PASSWORD_HASH_MAX], when[40];
    json_t *doc;
    enum idw_rc rc;

    if (!idw_principal_name_valid(name) || role == IDW_ROLE_NONE) {
        snprintf(err, errlen, "user: the name must be 1-63 characters of A-Z a-z 0-9 . _ @ -");
        return IDW_ERR;
    }
    if (!have_table(st, err, errlen) || idw_password_check(pw, err, errlen) < 0)
        return IDW_ERR;
    rc = get_doc(st, txn, name, &doc, err, errlen);
    json_decref(doc);
    if (rc != IDW_NOTFOUND) {
        if (rc == IDW_OK)
            snprintf(err, errlen, "user '%s' already exists", name);
        return rc == IDW_OK ? IDW_EXISTS : IDW_ERR;
    }
    if (idw_password_hash(pw, hash, err, errlen) < 0)
        return IDW_ERR;
    idw_time_format(now_ms, when);
    doc = json_pack("{s:s, s:s, s:s, s:b, s:I, s:s}", "name", name, "role", idw_role_name(role), "hash", hash,
                    "disabled", 0, "gen", (json_int_t)1, "created", when);
    rc = put_doc(st, txn, name, doc, err, errlen);
    json_decref(doc);
    return rc;
}

/* Loads name's document, lets change edit it, bumps gen and stores it. */
static enum idw_rc update(struct idw_store *st, MDB_txn *txn, const char *name,
                          int (*change)(json_t *doc, const void *arg, char *err, size_t errlen),
                          const void *arg, char *err, size_t errlen)
{
    json_t *doc;
    enum idw_rc rc;

    if (!have_table(st, err, errlen))
        return IDW_ERR;
    rc = get_doc(st, txn, name, &doc, err, errlen);
    if (rc != IDW_OK)
        return rc;
    json_int_t gen = json_integer_value(json_object_get(doc, "gen"));
    if (change(doc, arg, err, errlen) < 0 || json_object_set_new(doc, "gen", json_integer(gen + 1)) < 0)
        rc = IDW_ERR;
    else
        rc = put_doc(st, txn, name, doc, err, errlen);
    json_decref(doc);
    return rc;
}

static int set_hash(json_t *doc, const void *arg, char *err, size_t errlen)
{
    char hash[IDW_PASSWORD_HASH_MAX];

    if (idw_password_check(arg, err, errlen) < 0 || idw_password_hash(arg, hash, err, errlen) < 0)
        return -1;
    return json_object_set_new(doc, "hash", json_string(hash));
}

enum idw_rc idw_user_passwd(struct idw_store *st, MDB_txn *txn, const char *name, const char *pw,
                            char *err, size_t errlen)
{
    return update(st, txn, name, set_hash, pw, err, errlen);
}

static int set_disabled(json_t *doc, const void *arg, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    return json_object_set_new(doc, "disabled", json_boolean(*(const int *)arg));
}

enum idw_rc idw_user_set_disabled(struct idw_store *st, MDB_txn *txn, const char *name, int disabled,
                                  char *err, size_t errlen)
{
    return update(st, txn, name, set_disabled, &disabled, err, errlen);
}

enum idw_rc idw_user_remove(struct idw_store *st, MDB_txn *txn, const char *name, char *err, size_t errlen)
{
    if (!have_table(st, err, errlen))
        return IDW_ERR;
    if (!idw_principal_name_valid(name))
        return IDW_NOTFOUND;
    return idw_store_kv_del(st, txn, st->users, name, NULL, NULL, err, errlen);
}

/* *u from a stored document: 0, or -1 when it is damaged. */
static int from_doc(const json_t *doc, struct idw_user *u)
{
    const char *name = json_string_value(json_object_get(doc, "name"));

    memset(u, 0, sizeof *u);
    if (!name || idw_role_parse(json_string_value(json_object_get(doc, "role")), &u->role) < 0)
        return -1;
    idw_strlcpy(u->name, name, sizeof u->name);
    u->disabled = json_is_true(json_object_get(doc, "disabled"));
    u->gen = json_integer_value(json_object_get(doc, "gen"));
    return 0;
}

enum idw_rc idw_user_get(struct idw_store *st, MDB_txn *txn, const char *name, struct idw_user *u,
                         char *err, size_t errlen)
{
    json_t *doc;
    enum idw_rc rc = get_doc(st, txn, name, &doc, err, errlen);

    if (rc == IDW_OK && from_doc(doc, u) < 0) {
        snprintf(err, errlen, "users: the entry of '%s' is damaged", name);
        rc = IDW_ERR;
    }
    json_decref(doc);
    return rc;
}

enum idw_rc idw_user_login(struct idw_store *st, MDB_txn *txn, const char *name, const char *pw,
                           struct idw_user *u, char *err, size_t errlen)
{
    json_t *doc;
    enum idw_rc rc = get_doc(st, txn, name, &doc, err, errlen);
    int match;

    if (rc != IDW_OK || from_doc(doc, u) < 0) {
        idw_password_dummy(pw);     /* the same cost as a real check: timing reveals no names */
        json_decref(doc);
        if (rc == IDW_ERR)
            return IDW_ERR;
        snprintf(err, errlen, "%s", rc == IDW_OK ? "damaged user entry" : "no such user");
        return IDW_NOTFOUND;
    }
    match = idw_password_verify(pw, json_string_value(json_object_get(doc, "hash")));
    json_decref(doc);
    if (!match || u->disabled) {
        snprintf(err, errlen, "%s", !match ? "wrong password" : "user disabled");
        return IDW_NOTFOUND;
    }
    return IDW_OK;
}

static int add_entry(const char *key, size_t keylen, const char *val, size_t vallen, void *vctx)
{
    json_t *doc = json_loadb(val, vallen, 0, NULL);

    (void)key;
    (void)keylen;
    if (json_is_object(doc)) {
        json_object_del(doc, "hash");
        json_object_del(doc, "gen");
        json_array_append(vctx, doc);   /* the table is keyed by name: already in order */
    }
    json_decref(doc);
    return 0;
}

enum idw_rc idw_user_list(struct idw_store *st, MDB_txn *txn, json_t **out, char *err, size_t errlen)
{
    json_t *arr = json_array();

    *out = NULL;
    if (!arr) {
        snprintf(err, errlen, "users: out of memory");
        return IDW_ERR;
    }
    if (st->users != IDW_STORE_NO_DBI &&
        idw_store_kv_each(st, txn, st->users, NULL, add_entry, arr, err, errlen) < 0) {
        json_decref(arr);
        return IDW_ERR;
    }
    *out = arr;
    return IDW_OK;
}
