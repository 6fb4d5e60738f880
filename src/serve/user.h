/*
 * user.h — console users: the people who log in to the web console with a
 * name and a password (`idwatch user`, docs/api.md "Authentication").
 *
 * A user is stored in store.h's users table under its name as
 * {name, role, hash, disabled, gen, created}.  The password is kept only
 * as an scrypt hash (OpenSSL EVP_KDF "SCRYPT", N=2^15, r=8, p=1, a
 * 16-byte random salt, a 32-byte key) written
 * "scrypt$15$8$1$<base64 salt>$<base64 key>".  Verification compares the
 * keys in constant time, and a login for a name that does not exist (or
 * a disabled user) still runs one scrypt, so the time taken does not
 * reveal which names exist.
 *
 * gen counts the changes that must end the user's sessions (password,
 * disable, enable): a session remembers the gen it was made under
 * (session.h) and dies when it differs, or when the user is gone.
 *
 * Return codes are rc.h's; err never holds a password or a hash.
 */
#ifndef IDW_USER_H
#define IDW_USER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <lmdb.h>

#include "common/rc.h"
#include "serve/principal.h"
#include "store/store.h"

#define IDW_PASSWORD_MIN 12
#define IDW_PASSWORD_MAX 1024
#define IDW_PASSWORD_HASH_MAX 128   /* "scrypt$15$8$1$" + 24 + "$" + 44 + NUL fits */

struct idw_user {
    char name[IDW_PRINCIPAL_NAME_MAX];
    enum idw_role role;
    int disabled;
    int64_t gen;
};

/*
 * Whether pw is acceptable as a new password (IDW_PASSWORD_MIN..MAX
 * bytes, no control characters): IDW_OK, or IDW_ERR with err saying why.
 */
enum idw_rc idw_password_check(const char *pw, char *err, size_t errlen) IDW_MUST_CHECK;

/* Hashes pw with a fresh salt into out (IDW_PASSWORD_HASH_MAX): IDW_OK, IDW_ERR (RNG, KDF). */
enum idw_rc idw_password_hash(const char *pw, char out[IDW_PASSWORD_HASH_MAX], char *err, size_t errlen)
    IDW_MUST_CHECK;

/*
 * Whether pw matches stored (a hash from idw_password_hash): 1 yes, 0 no
 * (also for a malformed hash, or parameters out of the accepted range).
 */
int idw_password_verify(const char *pw, const char *stored) IDW_MUST_CHECK;

/* Runs one scrypt with the standard parameters and throws the result away (timing). */
void idw_password_dummy(const char *pw);

/* How many scrypt derivations this process ran (tests: the unknown-user path costs one). */
unsigned long idw_password_kdf_runs(void);

/*
 * Adds a user (name valid per principal.h, role not NONE, pw per
 * idw_password_check) in write txn: IDW_OK; IDW_EXISTS (err says so);
 * IDW_ERR (abort txn).
 */
enum idw_rc idw_user_add(struct idw_store *st, MDB_txn *txn, const char *name, enum idw_role role,
                         const char *pw, int64_t now_ms, char *err, size_t errlen) IDW_MUST_CHECK;

/* A new password (bumps gen): IDW_OK, IDW_NOTFOUND, IDW_ERR (abort txn). */
enum idw_rc idw_user_passwd(struct idw_store *st, MDB_txn *txn, const char *name, const char *pw,
                            char *err, size_t errlen) IDW_MUST_CHECK;

/* Disables (1) or enables (0) a user (bumps gen): IDW_OK, IDW_NOTFOUND, IDW_ERR (abort txn). */
enum idw_rc idw_user_set_disabled(struct idw_store *st, MDB_txn *txn, const char *name, int disabled,
                                  char *err, size_t errlen) IDW_MUST_CHECK;

/* Deletes a user: IDW_OK, IDW_NOTFOUND, IDW_ERR (abort txn). */
enum idw_rc idw_user_remove(struct idw_store *st, MDB_txn *txn, const char *name,
                            char *err, size_t errlen) IDW_MUST_CHECK;

/* The user named name (a read txn is enough): IDW_OK with *u, IDW_NOTFOUND, IDW_ERR. */
enum idw_rc idw_user_get(struct idw_store *st, MDB_txn *txn, const char *name, struct idw_user *u,
                         char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * A login: IDW_OK with *u when name exists, is enabled and pw matches;
 * IDW_NOTFOUND otherwise, with err saying which (for the server's log
 * only: the client is told "invalid username or password"); IDW_ERR on a
 * storage error.  Always costs one scrypt.
 */
enum idw_rc idw_user_login(struct idw_store *st, MDB_txn *txn, const char *name, const char *pw,
                           struct idw_user *u, char *err, size_t errlen) IDW_MUST_CHECK;

/* Every user as {name, role, disabled, created} (never the hash), by name: IDW_OK with *out, IDW_ERR. */
enum idw_rc idw_user_list(struct idw_store *st, MDB_txn *txn, json_t **out, char *err, size_t errlen)
    IDW_MUST_CHECK;

#endif
