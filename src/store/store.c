/*
 * store.c — the LMDB layer (see store.h for the key layout and contracts).
 * Keys are built into fixed stack buffers by key_*() helpers; any part that
 * would overflow a key makes the call fail cleanly instead of truncating,
 * because a truncated key could merge two users.
 */
#include "store/store.h"

#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fcntl.h>

#include <openssl/rand.h>

#define KEYMAX 480      /* LMDB's default maximum key size is 511 */

struct key {
    unsigned char b[KEYMAX];
    size_t n;
    int overflow;
};

static void key_add(struct key *k, const void *p, size_t n)
{
    if (k->overflow || k->n + n > KEYMAX) {
        k->overflow = 1;
        return;
    }
    memcpy(k->b + k->n, p, n);
    k->n += n;
}

/* Appends a string and its NUL terminator (the separator). */
static void key_str(struct key *k, const char *s)
{
    key_add(k, s, strlen(s) + 1);
}

static MDB_val val_of(struct key *k)
{
    MDB_val v = {k->n, k->b};
    return v;
}

/* What an LMDB or system error code means to an operator, and what to do about it. */
static const char *explain(int rc)
{
    switch (rc) {
    case 0:
        return "key too long";
    case MDB_MAP_FULL:
        return "the database reached its size limit: raise lmdb_map_size_mb in the configuration";
    case ENOSPC:
        return "disk full: free space on the database's file system, then run again";
    case EDQUOT:
        return "disk quota exceeded: raise the quota, then run again";
    case EIO:
        return "input/output error: the disk or file system failed (check the system log)";
    case EROFS:
        return "the file system is read-only";
    case EACCES:
    case EPERM:
        return "permission denied";
    case MDB_CORRUPTED: case MDB_PAGE_NOTFOUND: case MDB_INVALID:
        return "database damaged: restore from a backup (docs/operations.md)";
    default:
        return mdb_strerror(rc);
    }
}

static enum idw_rc fail(char *err, size_t errlen, const char *what, int rc)
{
    snprintf(err, errlen, "%s: %s", what, explain(rc));
    return IDW_ERR;
}

/* ---- environment ------------------------------------------------------ */

/*
 * A table added by a later release: a read-only open of an older database
 * sees it as empty (IDW_STORE_NO_DBI) until a writing command creates it.
 */
static int open_optional(MDB_txn *txn, const char *name, unsigned create, MDB_dbi *dbi)
{
    int rc = mdb_dbi_open(txn, name, create, dbi);
    if (rc == MDB_NOTFOUND && !(create & MDB_CREATE)) {
        *dbi = IDW_STORE_NO_DBI;
        return 0;
    }
    return rc;
}

/* Opens every table in txn, in order, stopping at the first failure: that
 * LMDB error, or 0. */
static int open_tables(struct idw_store *st, MDB_txn *txn, unsigned create)
{
    const struct {
        const char *name;
        MDB_dbi *dbi;
    } tables[] = {
        {"seen", &st->seen}, {"seen_time", &st->seen_time}, {"ident", &st->ident},
        {"persona", &st->persona}, {"meta", &st->meta}, {"alerts", &st->alerts},
        {"alert_key", &st->alert_key}, {"rule_state", &st->rule_state},
    };

    int rc;

    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        rc = mdb_dbi_open(txn, tables[i].name, create, tables[i].dbi);
        if (rc)
            return rc;
    }
    const unsigned dups = MDB_DUPSORT | MDB_DUPFIXED;

    rc = open_optional(txn, "outbox", create, &st->outbox);
    if (!rc)
        rc = open_optional(txn, "incidents", create, &st->incidents);
    if (!rc)
        rc = open_optional(txn, "events", create, &st->events);
    if (!rc)
        rc = open_optional(txn, "ev_person", create | dups, &st->ev_person);
    if (!rc)
        rc = open_optional(txn, "api_tokens", create, &st->api_tokens);
    return rc ? rc : open_optional(txn, "users", create, &st->users);
}

static enum idw_rc open_dbis(struct idw_store *st, unsigned flags, char *err, size_t errlen)
{
    MDB_txn *txn;
    unsigned create = (flags & IDW_STORE_RDONLY) ? 0 : MDB_CREATE;
    int rc = mdb_txn_begin(st->env, NULL, (flags & IDW_STORE_RDONLY) ? MDB_RDONLY : 0, &txn);

    if (rc)
        return fail(err, errlen, "lmdb begin", rc);
    rc = open_tables(st, txn, create);
    if (rc) {
        mdb_txn_abort(txn);
        if (rc == MDB_NOTFOUND)
            snprintf(err, errlen, "the database holds no idwatch data yet (run `idwatch ingest` first)");
        else
            fail(err, errlen, "lmdb open tables", rc);
        return IDW_ERR;
    }
    rc = mdb_txn_commit(txn);
    return rc ? fail(err, errlen, "lmdb commit", rc) : IDW_OK;
}

/* What an errno from stat/open of the database means to an operator. */
static void describe_access(const char *path, int e, char *err, size_t errlen)
{
    if (e == EACCES || e == EPERM)
        snprintf(err, errlen, "%s: permission denied: run idwatch as the user that owns the "
                 "database, or fix its permissions", path);
    else if (e == EROFS)
        snprintf(err, errlen, "%s: the file system is read-only: this command writes to the "
                 "database (read-only commands such as status work)", path);
    else
        snprintf(err, errlen, "%s: %s", path, strerror(e));
}

static enum idw_rc prepare_dir(const char *dir, unsigned flags, char *err, size_t errlen)
{
    struct stat sb;
    char probe[4096];

    if (stat(dir, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode)) {
            snprintf(err, errlen, "%s: not a directory", dir);
            return IDW_ERR;
        }
    } else if (errno != ENOENT) {
        describe_access(dir, errno, err, errlen);
        return IDW_ERR;
    } else if (flags & IDW_STORE_RDONLY) {
        snprintf(err, errlen, "%s: no database here (run `idwatch ingest` first)", dir);
        return IDW_ERR;
    } else if (mkdir(dir, 0700) != 0) {
        snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
        return IDW_ERR;
    }
    snprintf(probe, sizeof probe, "%s/data.mdb", dir);
    if (stat(probe, &sb) == 0) {
        if (!S_ISREG(sb.st_mode)) {
            snprintf(err, errlen, "%s: not a regular file", probe);
            return IDW_ERR;
        }
        if (sb.st_size == 0) {
            /* LMDB would silently initialise an empty file: never re-create a database */
            snprintf(err, errlen, "%s: database truncated or damaged (the file is empty): "
                     "restore from a backup (docs/operations.md)", probe);
            return IDW_ERR;
        }
        if (access(probe, (flags & IDW_STORE_RDONLY) ? R_OK : R_OK | W_OK) != 0) {
            describe_access(probe, errno, err, errlen);
            return IDW_ERR;
        }
    } else if (errno != ENOENT) {
        describe_access(probe, errno, err, errlen);
        return IDW_ERR;
    } else if (flags & IDW_STORE_RDONLY) {
        snprintf(err, errlen, "%s: no database here (run `idwatch ingest` first)", dir);
        return IDW_ERR;
    }
    return IDW_OK;
}

/*
 * A file shorter than the last page LMDB's own meta page records would
 * fault (SIGBUS) on the first access to a missing page: check it before
 * any transaction touches the map.
 */
static enum idw_rc check_size(struct idw_store *st, const char *dir, char *err, size_t errlen)
{
    MDB_envinfo info;
    MDB_stat ms;
    struct stat sb;
    char path[4096];

    snprintf(path, sizeof path, "%s/data.mdb", dir);
    if (mdb_env_info(st->env, &info) || mdb_env_stat(st->env, &ms) || stat(path, &sb) != 0) {
        snprintf(err, errlen, "%s: cannot check the database file", path);
        return IDW_ERR;
    }
    if ((uint64_t)(info.me_last_pgno + 1) * ms.ms_psize > (uint64_t)sb.st_size) {
        snprintf(err, errlen, "%s: database truncated or damaged (%lld bytes, its last page "
                 "needs %llu): restore from a backup (docs/operations.md)", path,
                 (long long)sb.st_size, (unsigned long long)(info.me_last_pgno + 1) * ms.ms_psize);
        return IDW_ERR;
    }
    return IDW_OK;
}

static void describe_open_error(const char *dir, int rc, char *err, size_t errlen)
{
    if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH || rc == MDB_CORRUPTED)
        snprintf(err, errlen, "%s: database truncated or damaged (%s): restore from a backup "
                 "(docs/operations.md)", dir, mdb_strerror(rc));
    else if (rc == EACCES || rc == EPERM)
        /* data.mdb passed prepare_dir's access check: what is left is LMDB's lock file */
        snprintf(err, errlen, "%s/lock.mdb: permission denied: every reader of the database writes "
                 "its lock file; run idwatch as the user that owns the database, or fix its "
                 "permissions", dir);
    else if (rc == EROFS)
        snprintf(err, errlen, "%s: cannot open the database for writing: %s", dir, strerror(rc));
    else
        snprintf(err, errlen, "%s: cannot open database: %s", dir, mdb_strerror(rc));
}

/* Creates st's environment, sizes it and opens dir: the first LMDB error, or 0. */
static int open_env(struct idw_store *st, const char *dir, size_t map_mb, unsigned envflags)
{
    int rc = mdb_env_create(&st->env);

    if (rc)
        return rc;
    rc = mdb_env_set_maxdbs(st->env, 16);
    if (rc)
        return rc;
    rc = mdb_env_set_mapsize(st->env, map_mb << 20);
    if (rc)
        return rc;
    return mdb_env_open(st->env, dir, envflags, 0600);
}

enum idw_rc idw_store_open(const char *dir, size_t map_mb, unsigned flags,
                           struct idw_store **out, char *err, size_t errlen)
{
    struct idw_store *st;
    unsigned envflags = MDB_NOTLS;
    int rc;

    *out = NULL;
    if (prepare_dir(dir, flags, err, errlen) < 0)
        return IDW_ERR;
    st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return IDW_ERR;
    }
    if (flags & IDW_STORE_RDONLY)
        envflags |= MDB_RDONLY;
    if (flags & IDW_STORE_NOSYNC)
        envflags |= MDB_NOSYNC;
    rc = open_env(st, dir, map_mb, envflags);
    if (rc) {
        describe_open_error(dir, rc, err, errlen);
        idw_store_close(st);
        return IDW_ERR;
    }
    if (check_size(st, dir, err, errlen) < 0 || open_dbis(st, flags, err, errlen) < 0) {
        idw_store_close(st);
        return IDW_ERR;
    }
    *out = st;
    return IDW_OK;
}

void idw_store_close(struct idw_store *st)
{
    if (!st)
        return;
    if (st->env)
        mdb_env_close(st->env);
    free(st);
}

/* ---- the writer lock ---------------------------------------------------- */

/* "`idwatch run` (pid 1234, since ...)" from the lock file, or a generic phrase. */
static void describe_holder(int fd, char *out, size_t outlen)
{
    char buf[160];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);

    if (n <= 0) {
        snprintf(out, outlen, "another idwatch process");
        return;
    }
    buf[n] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
    snprintf(out, outlen, "%s", buf);
}

enum idw_rc idw_store_writer_lock(const char *dir, const char *what, int *fd, char *err, size_t errlen)
{
    char path[4096], holder[200], line[160], now[IDW_TIME_STRLEN];
    int f;

    *fd = -1;
    if ((size_t)snprintf(path, sizeof path, "%s/writer.lock", dir) >= sizeof path) {
        snprintf(err, errlen, "%s: path too long", dir);
        return IDW_ERR;
    }
    f = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (f < 0) {
        describe_access(path, errno, err, errlen);
        return IDW_ERR;
    }
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        describe_holder(f, holder, sizeof holder);
        close(f);
        if (e != EWOULDBLOCK) {
            snprintf(err, errlen, "%s: cannot lock: %s", path, strerror(e));
            return IDW_ERR;
        }
        snprintf(err, errlen, "%s: the database is in use by %s; only one process may feed it "
                 "(stop that one first; alerts, persona, status and outbox commands work beside it)",
                 dir, holder);
        return IDW_BUSY;
    }
    idw_time_format(idw_now_ms(), now);
    snprintf(line, sizeof line, "`idwatch %s` (pid %ld, since %s)\n", what, (long)getpid(), now);
    if (ftruncate(f, 0) != 0 || pwrite(f, line, strlen(line), 0) < 0) {
        /* the lock is held all the same; only the holder's description is missing */
    }
    *fd = f;
    return IDW_OK;
}

enum idw_rc idw_store_begin(struct idw_store *st, int rdonly, MDB_txn **txn, char *err, size_t errlen)
{
    int rc = mdb_txn_begin(st->env, NULL, rdonly ? MDB_RDONLY : 0, txn);
    return rc ? fail(err, errlen, "lmdb begin", rc) : IDW_OK;
}

/*
 * LMDB reports a short write (what a full disk gives) as EIO: tell a full
 * disk from a failing one by the free space left where the database is.
 */
static int commit_error(MDB_env *env, int rc)
{
    const char *path;
    struct statvfs vfs;

    if (rc != EIO || mdb_env_get_path(env, &path) != 0 || statvfs(path, &vfs) != 0)
        return rc;
    return (uint64_t)vfs.f_bavail * vfs.f_frsize < (4u << 20) ? ENOSPC : rc;
}

/*
 * LMDB never writes a page that was allocated and freed again in the same
 * transaction (a "loose" page: pruning deletes right after inserting), yet
 * counts it in the last page its meta records; when it is the highest, the
 * file ends a page or more short of it.  Nothing reads a free page, but
 * check_size could not tell that file from a truncated one: extend it to
 * cover the last page.  fallocate(2) mode 0 only ever allocates: it never
 * shrinks the file nor touches its bytes, so a writer in another thread or
 * process that extended the file (or reused that free page) since our
 * commit is safe, where ftruncate could cut its pages off.  A read-only
 * environment never changes.
 */
static void cover_last_page(MDB_env *env)
{
    MDB_envinfo info;
    MDB_stat ms;
    unsigned flags;
    struct stat sb;
    int fd;

    if (mdb_env_get_flags(env, &flags) || (flags & MDB_RDONLY) || mdb_env_info(env, &info) ||
        mdb_env_stat(env, &ms) || mdb_env_get_fd(env, &fd) || fstat(fd, &sb) != 0)
        return;
    off_t need = (off_t)(info.me_last_pgno + 1) * (off_t)ms.ms_psize;
    if (sb.st_size < need && fallocate(fd, 0, sb.st_size, need - sb.st_size) != 0)
        log_warn("cannot extend the database file to its last page: %s", strerror(errno));
}

enum idw_rc idw_store_commit(MDB_txn *txn, char *err, size_t errlen)
{
    MDB_env *env = mdb_txn_env(txn);
    int rc = mdb_txn_commit(txn);

    if (rc)
        return fail(err, errlen, "lmdb commit", commit_error(env, rc));
    cover_last_page(env);
    return IDW_OK;
}

/* ---- de-duplication ------------------------------------------------------ */

static void put_be64(unsigned char *b, int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 7; i >= 0; i--, u >>= 8)
        b[i] = (unsigned char)(u & 0xff);
}

enum idw_rc idw_store_seen_add(struct idw_store *st, MDB_txn *txn, const char *domain,
                               const char *uuid, int64_t published_ms, char *err, size_t errlen)
{
    struct key k = {0}, kt = {0};
    unsigned char be[8];
    MDB_val key, val = {sizeof published_ms, &published_ms}, empty = {0, NULL};
    int rc;

    key_str(&k, domain);
    key_str(&k, uuid);
    if (k.overflow)
        return fail(err, errlen, "seen", 0);
    key = val_of(&k);
    rc = mdb_put(txn, st->seen, &key, &val, MDB_NOOVERWRITE);
    if (rc == MDB_KEYEXIST)
        return IDW_EXISTS;
    if (rc)
        return fail(err, errlen, "seen put", rc);
    put_be64(be, published_ms);
    key_str(&kt, domain);
    key_add(&kt, be, sizeof be);
    key_add(&kt, uuid, strlen(uuid));
    key = val_of(&kt);
    rc = mdb_put(txn, st->seen_time, &key, &empty, 0);
    return rc ? fail(err, errlen, "seen_time put", rc) : IDW_OK;
}

enum idw_rc idw_store_seen_get(struct idw_store *st, MDB_txn *txn, const char *domain,
                               const char *uuid, int64_t *published_ms, char *err, size_t errlen)
{
    struct key k = {0};
    MDB_val key, val;
    int rc;

    *published_ms = 0;
    key_str(&k, domain);
    key_str(&k, uuid);
    if (k.overflow)
        return IDW_NOTFOUND;    /* too long to have been stored */
    key = val_of(&k);
    rc = mdb_get(txn, st->seen, &key, &val);
    if (rc == MDB_NOTFOUND)
        return IDW_NOTFOUND;
    if (rc)
        return fail(err, errlen, "seen get", rc);
    if (val.mv_size != sizeof *published_ms) {
        snprintf(err, errlen, "seen: the entry of event %.60s is corrupt", uuid);
        return IDW_ERR;
    }
    memcpy(published_ms, val.mv_data, sizeof *published_ms);
    return IDW_OK;
}

enum idw_rc idw_store_seen_prune(struct idw_store *st, MDB_txn *txn, const char *domain,
                                 int64_t before_ms, size_t max, size_t *pruned,
                                 char *err, size_t errlen)
{
    struct key start = {0};
    size_t dlen = strlen(domain) + 1;
    unsigned char limit[8];
    MDB_cursor *cur;
    MDB_val key, data;
    int rc;

    *pruned = 0;
    key_str(&start, domain);
    put_be64(limit, before_ms);
    key = val_of(&start);
    rc = mdb_cursor_open(txn, st->seen_time, &cur);
    if (rc)
        return fail(err, errlen, "prune cursor", rc);
    rc = mdb_cursor_get(cur, &key, &data, MDB_SET_RANGE);
    while (rc == 0 && *pruned < max) {
        const unsigned char *kb = key.mv_data;
        if (key.mv_size < dlen + 8 || memcmp(kb, start.b, dlen) != 0 ||
            memcmp(kb + dlen, limit, 8) >= 0)
            break;
        struct key sk = {0};
        MDB_val skey;
        key_add(&sk, kb, dlen);
        key_add(&sk, kb + dlen + 8, key.mv_size - dlen - 8);
        key_add(&sk, "", 1);
        skey = val_of(&sk);
        rc = mdb_del(txn, st->seen, &skey, NULL);
        if (rc && rc != MDB_NOTFOUND)
            break;
        rc = mdb_cursor_del(cur, 0);
        if (rc)
            break;
        (*pruned)++;
        rc = mdb_cursor_get(cur, &key, &data, MDB_GET_CURRENT);
        if (rc == 0)
            continue;
        rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND)
        return fail(err, errlen, "prune", rc);
    return IDW_OK;
}

static int64_t get_be64(const unsigned char *b)
{
    uint64_t u = 0;
    for (int i = 0; i < 8; i++)
        u = (u << 8) | b[i];
    return (int64_t)u;
}

enum idw_rc idw_store_seen_newest(struct idw_store *st, MDB_txn *txn, const char *domain,
                                  int64_t before_ms, int64_t *newest_ms, char *err, size_t errlen)
{
    struct key start = {0};
    size_t dlen = strlen(domain) + 1;
    unsigned char limit[8];
    MDB_cursor *cur;
    MDB_val key, data;
    int rc;

    key_str(&start, domain);
    put_be64(limit, before_ms);
    key_add(&start, limit, sizeof limit);
    if (start.overflow)
        return fail(err, errlen, "seen_time", 0);
    key = val_of(&start);
    rc = mdb_cursor_open(txn, st->seen_time, &cur);
    if (rc)
        return fail(err, errlen, "seen_time cursor", rc);
    /* the first key at or after (domain, before): the one before it is the answer */
    rc = mdb_cursor_get(cur, &key, &data, MDB_SET_RANGE);
    rc = mdb_cursor_get(cur, &key, &data, rc == MDB_NOTFOUND ? MDB_LAST : MDB_PREV);
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND)
        return fail(err, errlen, "seen_time", rc);
    if (rc || key.mv_size < dlen + 8 || memcmp(key.mv_data, start.b, dlen) != 0)
        return IDW_NOTFOUND;
    *newest_ms = get_be64((const unsigned char *)key.mv_data + dlen);
    return IDW_OK;
}

/* ---- identities ---------------------------------------------------------- */

static enum idw_rc ident_get(struct idw_store *st, MDB_txn *txn, const char *kind, const char *domain,
                             const char *name, char tuid[IDW_UUID_STRLEN], char *err, size_t errlen)
{
    struct key k = {0};
    MDB_val key, val;
    int rc;

    key_str(&k, kind);
    key_str(&k, domain);
    key_str(&k, name);
    if (k.overflow)
        return IDW_NOTFOUND;       /* too long to have been stored */
    key = val_of(&k);
    rc = mdb_get(txn, st->ident, &key, &val);
    if (rc == MDB_NOTFOUND)
        return IDW_NOTFOUND;
    if (rc)
        return fail(err, errlen, "ident get", rc);
    idw_strncpy0(tuid, IDW_UUID_STRLEN, val.mv_data, val.mv_size);
    return IDW_OK;
}

static enum idw_rc ident_put(struct idw_store *st, MDB_txn *txn, const char *kind, const char *domain,
                             const char *name, const char *tuid, char *err, size_t errlen)
{
    struct key k = {0};
    MDB_val key, val = {strlen(tuid), (void *)tuid};
    int rc;

    key_str(&k, kind);
    key_str(&k, domain);
    key_str(&k, name);
    if (k.overflow)
        return IDW_OK;       /* an absurdly long login is simply not indexed */
    key = val_of(&k);
    rc = mdb_put(txn, st->ident, &key, &val, 0);
    return rc ? fail(err, errlen, "ident put", rc) : IDW_OK;
}

void idw_store_derive_tuid(const char *domain, const char *okta_id, char tuid[IDW_UUID_STRLEN])
{
    char ns[96];
    snprintf(ns, sizeof ns, "idwatch-tuid:%s", domain);
    idw_uuid_derive(ns, okta_id, tuid);
}

enum idw_rc idw_store_tuid(struct idw_store *st, MDB_txn *txn, const char *domain,
                           const char *okta_id, const char *login, int create,
                           char tuid[IDW_UUID_STRLEN], char *err, size_t errlen)
{
    char lower[256];
    enum idw_rc rc = IDW_NOTFOUND;

    if (login)
        idw_lowercpy(lower, login, sizeof lower);
    if (okta_id)
        rc = ident_get(st, txn, "id", domain, okta_id, tuid, err, errlen);
    else if (login)
        rc = ident_get(st, txn, "login", domain, lower, tuid, err, errlen);
    if (rc < 0 || (rc == IDW_NOTFOUND && (!create || !okta_id)))
        return rc;
    if (rc == IDW_NOTFOUND) {
        idw_store_derive_tuid(domain, okta_id, tuid);
        if (ident_put(st, txn, "id", domain, okta_id, tuid, err, errlen) < 0)
            return IDW_ERR;
    }
    if (create && login) {
        char cur[IDW_UUID_STRLEN];
        enum idw_rc lr = ident_get(st, txn, "login", domain, lower, cur, err, errlen);
        if (lr < 0)
            return IDW_ERR;
        if (lr == IDW_NOTFOUND || strcmp(cur, tuid) != 0)
            return ident_put(st, txn, "login", domain, lower, tuid, err, errlen);
    }
    return IDW_OK;
}

enum idw_rc idw_store_find_user(struct idw_store *st, MDB_txn *txn, const char *domain,
                                const char *user, char tuid[IDW_UUID_STRLEN], char *err, size_t errlen)
{
    struct idw_persona *p;
    char lower[256];
    enum idw_rc rc;

    rc = ident_get(st, txn, "id", domain, user, tuid, err, errlen);
    if (rc != IDW_NOTFOUND)
        return rc;
    idw_lowercpy(lower, user, sizeof lower);
    rc = ident_get(st, txn, "login", domain, lower, tuid, err, errlen);
    if (rc != IDW_NOTFOUND)
        return rc;
    /* maybe it is a tuid itself */
    p = malloc(sizeof *p);
    if (!p)
        return fail(err, errlen, "out of memory", ENOMEM);
    rc = idw_store_persona_get(st, txn, domain, lower, p, err, errlen);
    if (rc == IDW_OK)
        idw_strlcpy(tuid, p->tuid, IDW_UUID_STRLEN);
    free(p);
    return rc;
}

/* ---- personas ------------------------------------------------------------ */

enum idw_rc idw_store_persona_get(struct idw_store *st, MDB_txn *txn, const char *domain,
                                  const char *tuid, struct idw_persona *p, char *err, size_t errlen)
{
    struct key k = {0};
    MDB_val key, val;
    int rc;

    key_str(&k, domain);
    key_str(&k, tuid);
    idw_persona_init(p, tuid);
    if (k.overflow)
        return IDW_NOTFOUND;
    key = val_of(&k);
    rc = mdb_get(txn, st->persona, &key, &val);
    if (rc == MDB_NOTFOUND)
        return IDW_NOTFOUND;
    if (rc)
        return fail(err, errlen, "persona get", rc);
    if (idw_persona_decode(p, val.mv_data, val.mv_size) < 0) {
        snprintf(err, errlen, "persona %s of %s: corrupt or unknown record format", tuid, domain);
        idw_persona_init(p, tuid);
        return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_store_persona_put(struct idw_store *st, MDB_txn *txn, const char *domain,
                                  const struct idw_persona *p, char *err, size_t errlen)
{
    struct key k = {0};
    MDB_val key, val;
    unsigned char buf[IDW_PERSONA_MAX_ENCODED];   /* ~23 KiB: the hot path does not malloc */
    size_t n;
    int rc;

    key_str(&k, domain);
    key_str(&k, p->tuid);
    if (k.overflow)
        return fail(err, errlen, "persona key", 0);
    key = val_of(&k);
    n = idw_persona_encode(p, buf, sizeof buf);
    val.mv_size = n;
    val.mv_data = buf;
    rc = n ? mdb_put(txn, st->persona, &key, &val, 0) : EOVERFLOW;
    return rc ? fail(err, errlen, "persona put", rc) : IDW_OK;
}

enum idw_rc idw_store_persona_each(struct idw_store *st, MDB_txn *txn, const char *domain,
                                   idw_persona_fn fn, void *ctx, char *err, size_t errlen)
{
    struct key prefix = {0};
    struct idw_persona *p = malloc(sizeof *p);
    MDB_cursor *cur;
    MDB_val key, val;
    int rc;

    if (!p)
        return fail(err, errlen, "out of memory", ENOMEM);
    key_str(&prefix, domain);
    key = val_of(&prefix);
    rc = mdb_cursor_open(txn, st->persona, &cur);
    if (rc) {
        free(p);
        return fail(err, errlen, "persona cursor", rc);
    }
    for (rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE); rc == 0;
         rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
        if (key.mv_size < prefix.n || memcmp(key.mv_data, prefix.b, prefix.n) != 0)
            break;
        if (idw_persona_decode(p, val.mv_data, val.mv_size) < 0)
            continue;   /* a corrupt record is skipped in listings, reported by `persona show` */
        if (fn(p, val.mv_size, ctx))
            break;
    }
    mdb_cursor_close(cur);
    free(p);
    if (rc && rc != MDB_NOTFOUND)
        return fail(err, errlen, "persona scan", rc);
    return IDW_OK;
}

/* ---- metadata -------------------------------------------------------------- */

enum idw_rc idw_store_meta_get(struct idw_store *st, MDB_txn *txn, const char *name,
                               const char *domain, json_t **out, char *err, size_t errlen)
{
    struct key k = {0};
    MDB_val key, val;
    json_error_t je;
    int rc;

    *out = NULL;
    key_str(&k, name);
    key_str(&k, domain);
    if (k.overflow)
        return fail(err, errlen, "meta key", 0);
    key = val_of(&k);
    rc = mdb_get(txn, st->meta, &key, &val);
    if (rc == MDB_NOTFOUND)
        return IDW_NOTFOUND;
    if (rc)
        return fail(err, errlen, "meta get", rc);
    *out = json_loadb(val.mv_data, val.mv_size, 0, &je);
    if (!*out) {
        snprintf(err, errlen, "meta %s of %s: corrupt: %s", name, domain, je.text);
        return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_store_meta_put(struct idw_store *st, MDB_txn *txn, const char *name,
                               const char *domain, const json_t *doc, char *err, size_t errlen)
{
    struct key k = {0};
    MDB_val key, val;
    char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    int rc;

    if (!text)
        return fail(err, errlen, "out of memory", ENOMEM);
    key_str(&k, name);
    key_str(&k, domain);
    if (k.overflow) {
        free(text);
        return fail(err, errlen, "meta key", 0);
    }
    key = val_of(&k);
    val.mv_size = strlen(text);
    val.mv_data = text;
    rc = mdb_put(txn, st->meta, &key, &val, 0);
    free(text);
    return rc ? fail(err, errlen, "meta put", rc) : IDW_OK;
}

enum idw_rc idw_store_secret(struct idw_store *st, MDB_txn *txn, const char *name,
                             unsigned char out[32], char *err, size_t errlen)
{
    struct key k = {0};
    MDB_val key, val;
    int rc;

    key_str(&k, "secret");
    key_str(&k, name);
    if (k.overflow)
        return fail(err, errlen, "secret key", 0);
    key = val_of(&k);
    rc = mdb_get(txn, st->meta, &key, &val);
    if (rc == 0 && val.mv_size == 32) {
        memcpy(out, val.mv_data, 32);
        return IDW_OK;
    }
    if (rc && rc != MDB_NOTFOUND)
        return fail(err, errlen, "secret get", rc);
    if (RAND_bytes(out, 32) != 1) {
        snprintf(err, errlen, "secret: random number generator failed");
        return IDW_ERR;
    }
    val.mv_size = 32;
    val.mv_data = out;
    rc = mdb_put(txn, st->meta, &key, &val, 0);
    return rc ? fail(err, errlen, "secret put", rc) : IDW_OK;
}

enum idw_rc idw_store_secret_set(struct idw_store *st, MDB_txn *txn, const char *name,
                                 const unsigned char key[32], char *err, size_t errlen)
{
    struct key k = {0};
    MDB_val mk, val = {.mv_size = 32, .mv_data = (void *)key};
    int rc;

    key_str(&k, "secret");
    key_str(&k, name);
    if (k.overflow)
        return fail(err, errlen, "secret key", 0);
    mk = val_of(&k);
    rc = mdb_put(txn, st->meta, &mk, &val, 0);
    return rc ? fail(err, errlen, "secret put", rc) : IDW_OK;
}

static void kv_key(struct key *k, const char *a, const char *b, const char *c)
{
    key_str(k, a);
    if (b)
        key_str(k, b);
    if (c)
        key_str(k, c);
}

/* The value stored under (a, b, c): IDW_OK with *val (valid until txn ends), IDW_NOTFOUND, IDW_ERR. */
static enum idw_rc kv_lookup(MDB_txn *txn, MDB_dbi dbi, const char *a, const char *b, const char *c,
                             MDB_val *val, char *err, size_t errlen)
{
    struct key k = {0};
    MDB_val key;
    int rc;

    kv_key(&k, a, b, c);
    if (k.overflow)
        return fail(err, errlen, "kv key", 0);
    key = val_of(&k);
    rc = mdb_get(txn, dbi, &key, val);
    if (rc == MDB_NOTFOUND)
        return IDW_NOTFOUND;
    if (rc)
        return fail(err, errlen, "kv get", rc);
    return IDW_OK;
}

enum idw_rc idw_store_kv_get(struct idw_store *st, MDB_txn *txn, MDB_dbi dbi, const char *a,
                             const char *b, const char *c, void *buf, size_t cap, size_t *len,
                             char *err, size_t errlen)
{
    MDB_val val;
    enum idw_rc rc;

    (void)st;
    *len = 0;
    rc = kv_lookup(txn, dbi, a, b, c, &val, err, errlen);
    if (rc != IDW_OK)
        return rc;
    if (buf && cap)
        memcpy(buf, val.mv_data, val.mv_size < cap ? val.mv_size : cap);
    *len = val.mv_size;
    return IDW_OK;
}

enum idw_rc idw_store_kv_json(struct idw_store *st, MDB_txn *txn, MDB_dbi dbi, const char *a,
                              const char *b, const char *c, json_t **out, char *err, size_t errlen)
{
    MDB_val val;
    json_error_t je;
    enum idw_rc rc;

    (void)st;
    *out = NULL;
    rc = kv_lookup(txn, dbi, a, b, c, &val, err, errlen);
    if (rc != IDW_OK)
        return rc;
    *out = json_loadb(val.mv_data, val.mv_size, 0, &je);
    if (!*out) {
        snprintf(err, errlen, "kv %s/%s: corrupt document: %s", a, b ? b : "", je.text);
        return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_store_kv_put(struct idw_store *st, MDB_txn *txn, MDB_dbi dbi, const char *a,
                             const char *b, const char *c, const void *v, size_t len,
                             char *err, size_t errlen)
{
    struct key k = {0};
    MDB_val key, val = {len, (void *)v};
    int rc;

    (void)st;
    kv_key(&k, a, b, c);
    if (k.overflow)
        return fail(err, errlen, "kv key", 0);
    key = val_of(&k);
    rc = mdb_put(txn, dbi, &key, &val, 0);
    return rc ? fail(err, errlen, "kv put", rc) : IDW_OK;
}

enum idw_rc idw_store_kv_del(struct idw_store *st, MDB_txn *txn, MDB_dbi dbi, const char *a,
                             const char *b, const char *c, char *err, size_t errlen)
{
    struct key k = {0};
    MDB_val key;
    int rc;

    (void)st;
    kv_key(&k, a, b, c);
    if (k.overflow)
        return fail(err, errlen, "kv key", 0);
    key = val_of(&k);
    rc = mdb_del(txn, dbi, &key, NULL);
    if (rc == MDB_NOTFOUND)
        return IDW_NOTFOUND;
    return rc ? fail(err, errlen, "kv del", rc) : IDW_OK;
}

/* A fixed-size counter under (a, b, c): IDW_OK, IDW_NOTFOUND (*v zeroed), IDW_ERR (also a wrong size). */
static enum idw_rc counter_get(struct idw_store *st, MDB_txn *txn, const char *a, const char *b,
                               const char *c, void *v, size_t size, char *err, size_t errlen)
{
    size_t len;
    enum idw_rc rc;

    memset(v, 0, size);
    rc = idw_store_kv_get(st, txn, st->rule_state, a, b, c, v, size, &len, err, errlen);
    if (rc == IDW_OK && len != size) {
        memset(v, 0, size);
        snprintf(err, errlen, "counter %s/%s/%s: corrupt (%zu bytes, expected %zu)", a, b, c, len, size);
        return IDW_ERR;
    }
    return rc;
}

enum idw_rc idw_store_org_get(struct idw_store *st, MDB_txn *txn, const char *domain,
                              const char *key, uint32_t *n, char *err, size_t errlen)
{
    return counter_get(st, txn, "_org", domain, key, n, sizeof *n, err, errlen);
}

enum idw_rc idw_store_org_add(struct idw_store *st, MDB_txn *txn, const char *domain, const char *key,
                              char *err, size_t errlen)
{
    uint32_t n;

    if (idw_store_org_get(st, txn, domain, key, &n, err, errlen) < 0)
        return IDW_ERR;
    n++;
    return idw_store_kv_put(st, txn, st->rule_state, "_org", domain, key, &n, sizeof n, err, errlen);
}

enum idw_rc idw_store_persona_generation(struct idw_store *st, MDB_txn *txn, const char *domain,
                                         uint64_t *gen, char *err, size_t errlen)
{
    return counter_get(st, txn, "_feedback", domain, "generation", gen, sizeof *gen, err, errlen);
}

enum idw_rc idw_store_persona_bump(struct idw_store *st, MDB_txn *txn, const char *domain,
                                   char *err, size_t errlen)
{
    uint64_t g;

    /* a counter that cannot be read is not rewritten: 0 + 1 could move it backwards */
    if (idw_store_persona_generation(st, txn, domain, &g, err, errlen) < 0)
        return IDW_ERR;
    g++;
    return idw_store_kv_put(st, txn, st->rule_state, "_feedback", domain, "generation", &g,
                            sizeof g, err, errlen);
}

enum idw_rc idw_store_kv_each(struct idw_store *st, MDB_txn *txn, MDB_dbi dbi, const char *prefix,
                              idw_kv_fn fn, void *ctx, char *err, size_t errlen)
{
    struct key p = {0};
    MDB_cursor *cur;
    MDB_val key, val;
    int rc;

    (void)st;
    if (prefix)
        key_str(&p, prefix);
    key = val_of(&p);
    rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc)
        return fail(err, errlen, "kv cursor", rc);
    for (rc = mdb_cursor_get(cur, &key, &val, prefix ? MDB_SET_RANGE : MDB_FIRST); rc == 0;
         rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
        if (prefix && (key.mv_size < p.n || memcmp(key.mv_data, p.b, p.n) != 0))
            break;
        if (fn(key.mv_data, key.mv_size, val.mv_data, val.mv_size, ctx))
            break;
    }
    mdb_cursor_close(cur);
    return rc && rc != MDB_NOTFOUND ? fail(err, errlen, "kv scan", rc) : IDW_OK;
}

enum idw_rc idw_store_domains(struct idw_store *st, MDB_txn *txn, json_t **out,
                              char *err, size_t errlen)
{
    json_t *arr = json_array();
    MDB_cursor *cur;
    MDB_val key, val;
    int rc;

    *out = NULL;
    if (!arr)
        return fail(err, errlen, "domains", ENOMEM);
    rc = mdb_cursor_open(txn, st->persona, &cur);
    if (rc) {
        json_decref(arr);
        return fail(err, errlen, "domains cursor", rc);
    }
    rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
    while (rc == 0) {
        const char *d = key.mv_data;
        size_t dlen = strnlen(d, key.mv_size);
        if (json_array_append_new(arr, json_stringn(d, dlen)) < 0) {
            rc = ENOMEM;
            break;
        }
        /* skip to the first key after this domain: domain + "\x01" */
        struct key next = {0};
        key_add(&next, d, dlen);
        key_add(&next, "\x01", 1);
        key = val_of(&next);
        rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
    }
    mdb_cursor_close(cur);
    if (rc != MDB_NOTFOUND) {
        json_decref(arr);
        return fail(err, errlen, "domains scan", rc);
    }
    *out = arr;
    return IDW_OK;
}
