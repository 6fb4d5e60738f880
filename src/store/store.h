/*
 * store.h — idwatch's LMDB database: personas, identities, the
 * de-duplication set, and per-domain metadata (stats, cursors).
 *
 * One LMDB environment under the --db directory holds named databases:
 *
 *   seen       domain \0 uuid               → i64 published_ms
 *   seen_time  domain \0 be64(published) uuid → ""   (to prune by event time)
 *   ident      "id" \0 domain \0 okta_id    → tuid
 *              "login" \0 domain \0 login   → tuid  (login lower-cased)
 *   persona    domain \0 tuid               → persona (persona_codec.c)
 *   meta       name \0 domain               → JSON text
 *   events, ev_person: the kept events (store/evstore.h)
 *   api_tokens sha256hex(token)              → JSON {name, role, created, hash}
 *   users      name                          → JSON {name, role, hash, disabled, gen, created}
 *
 * Every key starts with (or carries) the domain_id, so many Okta orgs share
 * one environment without ever seeing each other's users.
 *
 * Transactions: callers own them.  The ingest pipeline writes a whole batch
 * — de-duplication keys, identities, personas, stats and (for the poller)
 * the cursor — in one write transaction, so a crash leaves either all of a
 * batch or none of it.
 *
 * Return convention (common/rc.h), the same for every function below;
 * each declaration names the codes it can return:
 *
 *   IDW_OK        done; out-parameters set
 *   IDW_NOTFOUND  a get found nothing stored under the key; out-parameters
 *                 hold the documented "absent" value (NULL, 0, a fresh
 *                 persona).  Only absence: never an error in disguise
 *   IDW_EXISTS    an insert found the key already there (nothing written)
 *   IDW_BUSY      the writer lock is held by another process
 *   IDW_ERR       an LMDB or system error, a key too long to store (never
 *                 truncated: a truncated key could merge two users), or a
 *                 stored value that does not decode (corrupt); err says
 *                 which and where.  Nothing was half-written, but a write
 *                 transaction that saw IDW_ERR must be aborted
 *
 * Values travel through out-parameters, never through the return value.
 */
#ifndef IDW_STORE_H
#define IDW_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <lmdb.h>

#include "common/rc.h"
#include "common/util.h"
#include "persona/persona.h"

struct idw_store {
    MDB_env *env;
    MDB_dbi seen, seen_time, ident, persona, meta;
    MDB_dbi alerts;         /* alert_id -> alert JSON */
    MDB_dbi alert_key;      /* rule \0 domain \0 entity -> alert_id of the newest alert */
    MDB_dbi rule_state;     /* rule \0 domain \0 key -> rule-defined bytes */
    MDB_dbi outbox;         /* be64 seq -> webhook delivery entry (deliver/outbox.h); may be
                               IDW_STORE_NO_DBI in a read-only open of an older database */
    MDB_dbi incidents;      /* domain \0 incident_id -> incident JSON (alert/incident.h); may be
                               IDW_STORE_NO_DBI in a read-only open of an older database */
    MDB_dbi events, ev_person;  /* the kept events (store/evstore.h); IDW_STORE_NO_DBI in a
                                   read-only open of an older database */
    MDB_dbi api_tokens;     /* hex SHA-256(token) -> {name, role, created, hash} (serve/token.h);
                               IDW_STORE_NO_DBI in a read-only open of an older database */
    MDB_dbi users;          /* console user name -> {name, role, hash, disabled, gen, created}
                               (serve/user.h); IDW_STORE_NO_DBI like api_tokens */
};

#define IDW_STORE_NO_DBI ((MDB_dbi)-1)

enum {
    IDW_STORE_RDONLY = 1,   /* read-only open: never creates anything */
    IDW_STORE_NOSYNC = 2,   /* commits are not flushed to disk (MDB_NOSYNC): a power loss
                               can lose or corrupt them; only for throw-away databases */
};

/*
 * Opens (creating if needed, mode 0700) the database directory.  map_mb is
 * the LMDB map size: address space reserved, not disk used.  Read-only
 * opens of a directory that holds no database fail with a clear message.
 *
 * An existing data.mdb is checked before it is mapped: an empty file, or
 * one shorter than the last page its own meta page records, is refused
 * ("database truncated or damaged: restore from a backup") — it is never
 * re-created, and a short file never faults on access.  Commits are
 * durable (LMDB syncs data and meta pages at each commit) unless
 * IDW_STORE_NOSYNC.  IDW_OK (*out owned by the caller: idw_store_close)
 * or IDW_ERR (*out NULL).
 */
enum idw_rc idw_store_open(const char *dir, size_t map_mb, unsigned flags,
                           struct idw_store **out, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * The database's writer lock: one process at a time feeds the pipeline
 * (`run`, `ingest`, `backfill`), because a pipeline caches personas and
 * the de-duplication horizon across batches and a second writer's updates
 * would be overwritten by stale copies.  An flock(2) on DIR/writer.lock
 * (released by the kernel however the process ends), whose content names
 * the holder ("run pid 1234 since ...").  Review commands do not take it.
 * The directory must exist.  IDW_OK (*fd holds the lock: close it to
 * release), IDW_BUSY when another process holds it (err names that
 * process), IDW_ERR.
 */
enum idw_rc idw_store_writer_lock(const char *dir, const char *what, int *fd,
                                  char *err, size_t errlen) IDW_MUST_CHECK;
void idw_store_close(struct idw_store *st);

/* IDW_OK or IDW_ERR.  commit always consumes txn (aborted on failure). */
enum idw_rc idw_store_begin(struct idw_store *st, int rdonly, MDB_txn **txn,
                            char *err, size_t errlen) IDW_MUST_CHECK;
enum idw_rc idw_store_commit(MDB_txn *txn, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Records uuid as seen for domain.  IDW_OK if it was new (now recorded),
 * IDW_EXISTS if it had been seen before (nothing written), IDW_ERR.
 */
enum idw_rc idw_store_seen_add(struct idw_store *st, MDB_txn *txn, const char *domain,
                               const char *uuid, int64_t published_ms,
                               char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * The published time remembered for uuid (the kept events' uuid index,
 * store/evstore.h): IDW_OK with *published_ms, IDW_NOTFOUND (never seen,
 * or pruned; *published_ms 0), IDW_ERR (also for a corrupt entry).
 */
enum idw_rc idw_store_seen_get(struct idw_store *st, MDB_txn *txn, const char *domain,
                               const char *uuid, int64_t *published_ms,
                               char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Forgets uuids published before before_ms, at most max of them (bounded
 * work per call).  *pruned receives the number removed.  IDW_OK, IDW_ERR.
 */
enum idw_rc idw_store_seen_prune(struct idw_store *st, MDB_txn *txn, const char *domain,
                                 int64_t before_ms, size_t max, size_t *pruned,
                                 char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * The newest published time among the remembered uuids of domain that is
 * before before_ms: IDW_OK with *newest_ms set, IDW_NOTFOUND when there
 * is none, IDW_ERR.  (`idwatch horizon --repair` re-anchors the horizon on it.)
 */
enum idw_rc idw_store_seen_newest(struct idw_store *st, MDB_txn *txn, const char *domain,
                                  int64_t before_ms, int64_t *newest_ms,
                                  char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * The tuid of a person, by Okta user id (preferred) or login.  When create
 * is set and the person is new, a tuid is derived from (domain, okta_id)
 * and both mappings are written; a login that changed is re-pointed.
 * IDW_OK (tuid filled), IDW_NOTFOUND (create == 0, or neither id nor
 * login given, or an id too long to have been stored), IDW_ERR.
 */
enum idw_rc idw_store_tuid(struct idw_store *st, MDB_txn *txn, const char *domain,
                           const char *okta_id, const char *login, int create,
                           char tuid[IDW_UUID_STRLEN], char *err, size_t errlen) IDW_MUST_CHECK;

/* The tuid idw_store_tuid gives a new person: derived from (domain, okta_id). */
void idw_store_derive_tuid(const char *domain, const char *okta_id, char tuid[IDW_UUID_STRLEN]);

/*
 * Finds a person from what an analyst types: a tuid, an Okta user id, or a
 * login (case-insensitive).  IDW_OK, IDW_NOTFOUND, IDW_ERR.
 */
enum idw_rc idw_store_find_user(struct idw_store *st, MDB_txn *txn, const char *domain,
                                const char *user, char tuid[IDW_UUID_STRLEN],
                                char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * IDW_OK (found), IDW_NOTFOUND (*p is a fresh persona for tuid), IDW_ERR
 * (an LMDB error, or a corrupt record: *p is a fresh persona all the same).
 */
enum idw_rc idw_store_persona_get(struct idw_store *st, MDB_txn *txn, const char *domain,
                                  const char *tuid, struct idw_persona *p,
                                  char *err, size_t errlen) IDW_MUST_CHECK;
/* IDW_OK, IDW_ERR. */
enum idw_rc idw_store_persona_put(struct idw_store *st, MDB_txn *txn, const char *domain,
                                  const struct idw_persona *p, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Calls fn for every persona of domain, in tuid order; fn returning
 * non-zero stops (that is not an error).  Corrupt records are skipped
 * (listings go on; `persona show` reports them).  IDW_OK, IDW_ERR.
 */
typedef int (*idw_persona_fn)(const struct idw_persona *p, size_t stored_bytes, void *ctx);
enum idw_rc idw_store_persona_each(struct idw_store *st, MDB_txn *txn, const char *domain,
                                   idw_persona_fn fn, void *ctx, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Metadata documents.  get: IDW_OK with *out (caller json_decref's),
 * IDW_NOTFOUND (*out NULL), IDW_ERR (also for a document that is not
 * valid JSON; *out NULL).  put: IDW_OK, IDW_ERR.
 */
enum idw_rc idw_store_meta_get(struct idw_store *st, MDB_txn *txn, const char *name,
                               const char *domain, json_t **out, char *err, size_t errlen) IDW_MUST_CHECK;
enum idw_rc idw_store_meta_put(struct idw_store *st, MDB_txn *txn, const char *name,
                               const char *domain, const json_t *doc,
                               char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * A 32-byte secret kept in the database (meta "secret" / name), created
 * from OpenSSL's CSPRNG on first use — needs a write transaction then.
 * Used to key hashes of sensitive values.  Never printed.  IDW_OK, IDW_ERR.
 */
enum idw_rc idw_store_secret(struct idw_store *st, MDB_txn *txn, const char *name,
                             unsigned char out[32], char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Sets the secret name to key (32 bytes), replacing any: the scale-out
 * applier installs the key its partition's log carries (cluster/wal.h
 * genesis).  IDW_OK, or IDW_ERR with err.
 */
enum idw_rc idw_store_secret_set(struct idw_store *st, MDB_txn *txn, const char *name,
                                 const unsigned char key[32], char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Generic access to the three detection tables, keyed by up to three
 * NUL-separated parts (b and c may be NULL).  get copies at most cap
 * bytes into buf (buf may be NULL when cap is 0) and sets *len to the
 * stored length, which may exceed cap: IDW_OK, IDW_NOTFOUND (*len 0),
 * IDW_ERR (also for a key too long to store).  put: IDW_OK, IDW_ERR.
 */
enum idw_rc idw_store_kv_get(struct idw_store *st, MDB_txn *txn, MDB_dbi dbi, const char *a,
                             const char *b, const char *c, void *buf, size_t cap, size_t *len,
                             char *err, size_t errlen) IDW_MUST_CHECK;
enum idw_rc idw_store_kv_put(struct idw_store *st, MDB_txn *txn, MDB_dbi dbi, const char *a,
                             const char *b, const char *c, const void *val, size_t len,
                             char *err, size_t errlen) IDW_MUST_CHECK;

/* Removes the entry under (a, b, c): IDW_OK, IDW_NOTFOUND (nothing there), IDW_ERR. */
enum idw_rc idw_store_kv_del(struct idw_store *st, MDB_txn *txn, MDB_dbi dbi, const char *a,
                             const char *b, const char *c, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * A JSON document stored under (a, b, c), parsed straight from the map:
 * IDW_OK with *out set (caller json_decref's), IDW_NOTFOUND (*out NULL),
 * IDW_ERR on an LMDB error, a key too long to store, or a stored value
 * that is not valid JSON (corrupt; *out NULL) — the same as meta_get.
 */
enum idw_rc idw_store_kv_json(struct idw_store *st, MDB_txn *txn, MDB_dbi dbi, const char *a,
                              const char *b, const char *c, json_t **out,
                              char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Calls fn(key, keylen, val, vallen, ctx) for every entry of dbi whose key
 * starts with prefix \0 (prefix NULL: every entry); fn returning non-zero
 * stops (not an error).  IDW_OK, IDW_ERR.
 */
typedef int (*idw_kv_fn)(const char *key, size_t keylen, const char *val, size_t vallen, void *ctx);
enum idw_rc idw_store_kv_each(struct idw_store *st, MDB_txn *txn, MDB_dbi dbi, const char *prefix,
                              idw_kv_fn fn, void *ctx, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Org-wide counters (rule_state, under "_org"): how many distinct users of
 * a domain have a network or country in their routine ("asn:AS123",
 * "pfx:1.2.3.0/24", "cty:Ireland") and how many users it has ("users").
 * Shared egress — a corporate VPN or ZTNA exit every colleague uses — is
 * recognised from them.  get: IDW_OK with *n, IDW_NOTFOUND (*n 0), IDW_ERR
 * (also for a stored value of the wrong size; *n 0).  add: IDW_OK, IDW_ERR
 * (a counter that cannot be read is never rewritten).
 */
enum idw_rc idw_store_org_get(struct idw_store *st, MDB_txn *txn, const char *domain,
                              const char *key, uint32_t *n, char *err, size_t errlen) IDW_MUST_CHECK;
enum idw_rc idw_store_org_add(struct idw_store *st, MDB_txn *txn, const char *domain,
                              const char *key, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * A per-domain counter moved whenever something other than the ingest
 * pipeline changes personas (an analyst's `alerts fp`).  A pipeline keeps
 * personas cached across batches; it drops that cache when the counter
 * moved, so it never writes back a copy older than the analyst's change.
 * generation: IDW_OK with *gen, IDW_NOTFOUND (never moved: *gen 0),
 * IDW_ERR (also for a stored value of the wrong size; *gen 0).  bump:
 * IDW_OK, or IDW_ERR when the counter cannot be read or written — it
 * never moves backwards.
 */
enum idw_rc idw_store_persona_generation(struct idw_store *st, MDB_txn *txn, const char *domain,
                                         uint64_t *gen, char *err, size_t errlen) IDW_MUST_CHECK;
enum idw_rc idw_store_persona_bump(struct idw_store *st, MDB_txn *txn, const char *domain,
                                   char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Names of the domains that have personas (for listings): IDW_OK with
 * *out, a JSON array the caller json_decref's; IDW_ERR (*out NULL).
 */
enum idw_rc idw_store_domains(struct idw_store *st, MDB_txn *txn, json_t **out,
                              char *err, size_t errlen) IDW_MUST_CHECK;

#endif
