/*
 * session.h — console login sessions, the login rate limiter, and the
 * two authentication sources built on them (auth.h): the `idw_session`
 * cookie and a trusted reverse proxy's user header.
 *
 * Sessions live in memory only: a restart of the server logs everyone
 * out (docs/api.md).  A session is a random 32-byte id (64 hex digits, the
 * cookie's value) with its own random CSRF token, the user's name and the
 * user's gen (user.h) at login.  It ends after serve.session_idle_minutes
 * without a request, serve.session_max_hours after the login whatever the
 * activity, at logout, and as soon as a request finds its user removed,
 * disabled or with a changed gen (new password).  The table is bounded
 * (IDW_SESSIONS_MAX): a login when it is full evicts the oldest session;
 * a user with IDW_SESSIONS_PER_USER sessions loses their own oldest first.
 *
 * The limiter counts failed logins per user name (IDW_LOGIN_USER_FAILS)
 * and per client address (IDW_LOGIN_ADDR_FAILS) in a window of
 * IDW_LOGIN_WINDOW_S seconds from the first failure; a login over either
 * is refused (429) until the window ends.  A successful login clears the
 * user's count.
 *
 * Every function is thread-safe (one mutex).  The clock is injectable for
 * tests.  Ids and tokens never appear in err or in logs.
 */
#ifndef IDW_SESSION_H
#define IDW_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/rc.h"
#include "serve/auth.h"
#include "serve/principal.h"

#define IDW_SESSION_COOKIE "idw_session"
#define IDW_SESSION_HEX 65          /* 32 random bytes as hex, NUL */
#define IDW_SESSIONS_MAX 1024
#define IDW_SESSIONS_PER_USER 8     /* a user's 9th login ends their oldest session */
#define IDW_LOGIN_USER_FAILS 5
#define IDW_LOGIN_ADDR_FAILS 20
#define IDW_LOGIN_WINDOW_S (15 * 60)
#define IDW_TRUSTED_PROXIES_MAX 16

struct idw_trusted_addr {
    int family;                     /* AF_INET or AF_INET6 */
    unsigned char addr[16];
};

/* The serve.* settings of sessions and the proxy header. */
struct idw_session_opts {
    int idle_minutes;               /* serve.session_idle_minutes, default 30 */
    int max_hours;                  /* serve.session_max_hours, default 12 */
    char proxy_header[64];          /* serve.proxy_user_header; "" = off */
    struct idw_trusted_addr trusted[IDW_TRUSTED_PROXIES_MAX];   /* serve.trusted_proxies */
    size_t n_trusted;
};

/*
 * Fills o from the "serve" object (NULL: defaults): IDW_OK, or IDW_ERR
 * with err naming the key (a value out of range, a header name that is
 * not a token, an address that is not numeric, a header without proxies).
 */
enum idw_rc idw_session_config(const json_t *serve, struct idw_session_opts *o, char *err, size_t errlen)
    IDW_MUST_CHECK;

struct idw_sessions;

/* A table for o (copied); now_ms NULL is the real clock.  NULL when out of memory. */
struct idw_sessions *idw_sessions_new(const struct idw_session_opts *o, int64_t (*now_ms)(void))
    IDW_MUST_CHECK;
void idw_sessions_free(struct idw_sessions *s);

/* What a live session says. */
struct idw_session_info {
    char user[IDW_PRINCIPAL_NAME_MAX];
    int64_t gen;
    char csrf[IDW_SESSION_HEX];
};

/* A new session for user: IDW_OK with id and csrf (IDW_SESSION_HEX each), IDW_ERR (RNG). */
enum idw_rc idw_session_create(struct idw_sessions *s, const char *user, int64_t gen, char *id, char *csrf)
    IDW_MUST_CHECK;

/*
 * The live session id names: IDW_OK with *out (its idle clock restarts
 * when touch is set), or IDW_NOTFOUND (unknown, malformed, or expired:
 * an expired one is removed).
 */
enum idw_rc idw_session_lookup(struct idw_sessions *s, const char *id, int touch,
                               struct idw_session_info *out) IDW_MUST_CHECK;

/* Ends the session id (unknown: nothing). */
void idw_session_end(struct idw_sessions *s, const char *id);

/* How many sessions are in the table (expired ones not yet noticed included). */
size_t idw_session_count(struct idw_sessions *s);

/*
 * Whether a login for user from addr may be tried: 0 yes, or the seconds
 * until it may (> 0; the Retry-After).
 */
unsigned idw_login_blocked(struct idw_sessions *s, const char *user, const char *addr);
void idw_login_failed(struct idw_sessions *s, const char *user, const char *addr);
void idw_login_succeeded(struct idw_sessions *s, const char *user);

/*
 * The CSRF rule for a state-changing request by a session or proxy user
 * (user): an Origin header, when present, must be this server's origin
 * (http[s]://<Host>), and X-CSRF-Token must equal the csrf token of the
 * idw_session cookie's session, which must belong to user.  IDW_OK, or
 * IDW_ERR with err (→ 403).
 */
enum idw_rc idw_session_csrf(struct idw_sessions *s, struct MHD_Connection *conn, const char *user, int tls,
                             char *err, size_t errlen) IDW_MUST_CHECK;

/* Whether the request's Origin header, when present, is this server's own origin. */
int idw_session_origin_ok(struct MHD_Connection *conn, int tls) IDW_MUST_CHECK;

/* The client's numeric address (for the limiter and logs) into buf ("?" when unknown). */
void idw_client_addr(struct MHD_Connection *conn, char *buf, size_t n);

/* The auth.h sources: ctx is the struct idw_sessions. */
enum idw_rc idw_auth_session(void *ctx, const struct idw_auth_request *r, struct idw_api_principal *p,
                             char *err, size_t errlen) IDW_MUST_CHECK;
enum idw_rc idw_auth_proxy(void *ctx, const struct idw_auth_request *r, struct idw_api_principal *p,
                           char *err, size_t errlen) IDW_MUST_CHECK;

/* Whether the proxy header is configured (the proxy source is added only then). */
int idw_sessions_proxy_on(const struct idw_sessions *s) IDW_MUST_CHECK;

#endif
