/*
 * token.h — API bearer tokens (`idwatch api-token`, docs/api.md).
 *
 * A token is "idw_" followed by 64 hex digits (32 bytes from OpenSSL's
 * CSPRNG).  It is shown once, at creation; the database keeps only its
 * SHA-256 (store.h's api_tokens table, keyed by that hash) with the
 * token's name, role and creation time.  Verifying a token hashes what
 * the client sent, looks the hash up, and compares the stored hash in
 * constant time.  No use is recorded (no write per request).
 *
 * Return codes are rc.h's; err never holds a token.
 */
#ifndef IDW_TOKEN_H
#define IDW_TOKEN_H

#include <stddef.h>

#include <jansson.h>
#include <lmdb.h>

#include "common/rc.h"
#include "serve/principal.h"
#include "store/store.h"

#define IDW_TOKEN_PREFIX "idw_"
#define IDW_TOKEN_STRLEN (4 + 64 + 1)   /* prefix, hex, NUL */

/*
 * Creates a token named name (unique) with role, in write txn: out
 * receives the token text (the only copy: wipe it after printing).
 * IDW_OK; IDW_EXISTS when a token has that name; IDW_ERR (bad name, RNG
 * or storage: err says which; abort txn).
 */
enum idw_rc idw_token_create(struct idw_store *st, MDB_txn *txn, const char *name, enum idw_role role,
                             int64_t now_ms, char out[IDW_TOKEN_STRLEN], char *err, size_t errlen)
    IDW_MUST_CHECK;

/*
 * The principal a presented token stands for: IDW_OK with *p (kind
 * TOKEN), IDW_NOTFOUND for a token that is malformed, unknown or revoked,
 * IDW_ERR on a storage error.  A read transaction is enough.
 */
enum idw_rc idw_token_verify(struct idw_store *st, MDB_txn *txn, const char *token,
                             struct idw_api_principal *p, char *err, size_t errlen) IDW_MUST_CHECK;

/* Deletes the token named name: IDW_OK, IDW_NOTFOUND, IDW_ERR (abort txn). */
enum idw_rc idw_token_revoke(struct idw_store *st, MDB_txn *txn, const char *name,
                             char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Every token as {name, role, created} (never the hash), by name:
 * IDW_OK with *out (a JSON array; caller json_decref's), IDW_ERR.
 */
enum idw_rc idw_token_list(struct idw_store *st, MDB_txn *txn, json_t **out,
                           char *err, size_t errlen) IDW_MUST_CHECK;

#endif
