/*
 * auth.h — who sent an API request (principal.h), from a list of
 * authentication sources tried in order.
 *
 * A source looks at the request for its own kind of credential:
 *   IDW_OK        it proved a principal (*p set)
 *   IDW_NOTFOUND  no credential of its kind is present: try the next source
 *   IDW_ERR       its credential is present but wrong (revoked token,
 *                 expired session...): the request is refused with 401
 *                 and err as the JSON error; no later source is tried
 * The bearer-token source is built in (idw_auth_bearer); cookie sessions
 * and a trusted proxy header plug in as further sources
 * (idw_auth_add_source).  A source runs on the server's thread, inside
 * the request's read transaction, and must not write.
 */
#ifndef IDW_AUTH_H
#define IDW_AUTH_H

#include <stddef.h>

#include <lmdb.h>

#include "common/rc.h"
#include "serve/principal.h"
#include "store/store.h"

struct MHD_Connection;

/* What a source may look at. */
struct idw_auth_request {
    struct MHD_Connection *conn;    /* headers, cookies, client address */
    const char *method;             /* "GET", "POST", ... (CSRF checks for cookies) */
    struct idw_store *st;
    MDB_txn *txn;                   /* a read transaction */
    int tls;                        /* served over TLS */
};

typedef enum idw_rc (*idw_auth_source_fn)(void *ctx, const struct idw_auth_request *r,
                                          struct idw_api_principal *p,
                                          char *err, size_t errlen);

struct idw_auth_source {
    const char *name;               /* "bearer", "session", "proxy": for logs */
    idw_auth_source_fn fn;
    void *ctx;
};

#define IDW_AUTH_SOURCES_MAX 4

struct idw_auth {
    struct idw_auth_source src[IDW_AUTH_SOURCES_MAX];
    size_t n;
};

/* An authenticator with only the bearer-token source. */
void idw_auth_init(struct idw_auth *a);

/* Adds a source after the others.  IDW_OK, or IDW_ERR when full. */
enum idw_rc idw_auth_add_source(struct idw_auth *a, const struct idw_auth_source *s) IDW_MUST_CHECK;

/*
 * Tries each source in order: IDW_OK with *p; IDW_NOTFOUND when no
 * source found a credential (→ 401 "authentication required"); IDW_ERR
 * with err when one was present but refused (→ 401 err).
 */
enum idw_rc idw_auth_resolve(const struct idw_auth *a, const struct idw_auth_request *r,
                             struct idw_api_principal *p,
                             char *err, size_t errlen) IDW_MUST_CHECK;

/* The built-in source: `Authorization: Bearer idw_...` (token.h). */
enum idw_rc idw_auth_bearer(void *ctx, const struct idw_auth_request *r, struct idw_api_principal *p,
                            char *err, size_t errlen) IDW_MUST_CHECK;

#endif
