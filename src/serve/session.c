/*
 * session.c — the in-memory session table, the login limiter, the CSRF
 * rule and the cookie and proxy-header authentication sources
 * (session.h).  Both tables are small fixed arrays scanned under one
 * mutex: 1024 sessions cost microseconds, and a scan compares every id
 * in constant time, so a lookup's time says nothing about the id.
 */
#include "serve/session.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/log.h"
#include "common/util.h"
#include "serve/user.h"

#define LIMIT_SLOTS 4096

struct session {
    char id[IDW_SESSION_HEX];       /* "" = free slot */
    struct idw_session_info info;
    int64_t created, used;          /* ms */
};

struct limit {
    char key[IDW_PRINCIPAL_NAME_MAX + 2];   /* "u:name" or "a:address"; "" = free */
    int64_t start;                  /* the window's first failure, ms */
    unsigned fails;
};

struct idw_sessions {
    pthread_mutex_t mu;
    struct idw_session_opts o;
    int64_t (*now)(void);
    struct session tab[IDW_SESSIONS_MAX];
    struct limit lim[LIMIT_SLOTS];
};

/* ---- configuration -------------------------------------------------------------- */

static int int_opt(const json_t *serve, const char *key, int lo, int hi, int *out, char *err, size_t errlen)
{
    const json_t *v = json_object_get(serve, key);

    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        snprintf(err, errlen, "serve.%s: expected an integer from %d to %d", key, lo, hi);
        return -1;
    }
    *out = (int)json_integer_value(v);
    return 0;
}

/* An HTTP header name: 1..63 token characters. */
static int header_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 63)
        return 0;
    for (; *s; s++)
        if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z') && !(*s >= '0' && *s <= '9') && *s != '-')
            return 0;
    return 1;
}

static int parse_ip(const char *s, struct idw_trusted_addr *a)
{
    memset(a, 0, sizeof *a);
    if (inet_pton(AF_INET, s, a->addr) == 1)
        a->family = AF_INET;
    else if (inet_pton(AF_INET6, s, a->addr) == 1)
        a->family = AF_INET6;
    return a->family ? 0 : -1;
}

static int proxy_opts(const json_t *serve, struct idw_session_opts *o, char *err, size_t errlen)
{
    const char *h = json_string_value(json_object_get(serve, "proxy_user_header"));
    const json_t *list = json_object_get(serve, "trusted_proxies"), *v;
    size_t i;

    if (!h)
        return 0;
    if (!header_name_ok(h)) {
        snprintf(err, errlen, "serve.proxy_user_header: expected a header name (letters, digits, -)");
        return -1;
    }
    idw_strlcpy(o->proxy_header, h, sizeof o->proxy_header);
    if (json_array_size(list) == 0 || json_array_size(list) > IDW_TRUSTED_PROXIES_MAX) {
        snprintf(err, errlen, "serve.trusted_proxies: serve.proxy_user_header needs 1 to %d proxy addresses",
                 IDW_TRUSTED_PROXIES_MAX);
        return -1;
    }
    json_array_foreach(list, i, v) {
        const char *ip = json_string_value(v);
        if (!ip || parse_ip(ip, &o->trusted[o->n_trusted]) < 0) {
            snprintf(err, errlen, "serve.trusted_proxies[%zu]: expected a numeric IP address", i);
            return -1;
        }
        o->n_trusted++;
    }
    return 0;
}

enum idw_rc idw_session_config(const json_t *serve, struct idw_session_opts *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->idle_minutes = 30;
    o->max_hours = 12;
    if (int_opt(serve, "session_idle_minutes", 1, 7 * 24 * 60, &o->idle_minutes, err, errlen) < 0 ||
        int_opt(serve, "session_max_hours", 1, 30 * 24, &o->max_hours, err, errlen) < 0 ||
        proxy_opts(serve, o, err, errlen) < 0)
        return IDW_ERR;
    if (json_array_size(json_object_get(serve, "trusted_proxies")) && !*o->proxy_header) {
        snprintf(err, errlen, "serve.trusted_proxies: give serve.proxy_user_header too (or neither)");
        return IDW_ERR;
    }
    return IDW_OK;
}

/* ---- the session table ----------------------------------------------------------- */

struct idw_sessions *idw_sessions_new(const struct idw_session_opts *o, int64_t (*now_ms)(void))
{
    struct idw_sessions *s = calloc(1, sizeof *s);

    if (!s)
        return NULL;
    if (pthread_mutex_init(&s->mu, NULL) != 0) {
        free(s);
        return NULL;
    }
    s->o = *o;
    s->now = now_ms ? now_ms : idw_now_ms;
    return s;
}

void idw_sessions_free(struct idw_sessions *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->mu);
    OPENSSL_cleanse(s->tab, sizeof s->tab);
    free(s);
}

int idw_sessions_proxy_on(const struct idw_sessions *s)
{
    return s->o.proxy_header[0] != '\0';
}

static int random_hex(char out[IDW_SESSION_HEX])
{
    unsigned char raw[32];

    if (RAND_bytes(raw, sizeof raw) != 1)
        return -1;
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    OPENSSL_cleanse(raw, sizeof raw);
    return 0;
}

static int expired(const struct idw_sessions *s, const struct session *e, int64_t now)
{
    return now - e->used >= (int64_t)s->o.idle_minutes * 60000 ||
           now - e->created >= (int64_t)s->o.max_hours * 3600000;
}

static void clear(struct session *e)
{
    OPENSSL_cleanse(e, sizeof *e);
}

/*
 * Where a new session of user goes (mutex held): when user already has
 * IDW_SESSIONS_PER_USER live sessions, their oldest — so one account
 * logging in again and again never evicts anyone else's; else a free
 * slot; else the oldest session of all.  Expired sessions are cleared on
 * the way.
 */
static struct session *slot_for(struct idw_sessions *s, const char *user, int64_t now)
{
    struct session *free_slot = NULL, *oldest = NULL, *mine = NULL;
    int n_mine = 0;

    for (size_t i = 0; i < IDW_SESSIONS_MAX; i++) {
        struct session *e = &s->tab[i];
        if (e->id[0] && expired(s, e, now))
            clear(e);
        if (!e->id[0]) {
            free_slot = free_slot ? free_slot : e;
            continue;
        }
        if (!oldest || e->created < oldest->created)
            oldest = e;
        if (!strcmp(e->info.user, user)) {
            n_mine++;
            if (!mine || e->created < mine->created)
                mine = e;
        }
    }
    if (n_mine >= IDW_SESSIONS_PER_USER)
        return mine;
    return free_slot ? free_slot : oldest;
}

enum idw_rc idw_session_create(struct idw_sessions *s, const char *user, int64_t gen, char *id, char *csrf)
{
    struct session *slot;
    int64_t now;

    if (random_hex(id) < 0 || random_hex(csrf) < 0)
        return IDW_ERR;
    pthread_mutex_lock(&s->mu);
    now = s->now();
    slot = slot_for(s, user, now);
    clear(slot);
    memcpy(slot->id, id, IDW_SESSION_HEX);
    idw_strlcpy(slot->info.user, user, sizeof slot->info.user);
    slot->info.gen = gen;
    memcpy(slot->info.csrf, csrf, IDW_SESSION_HEX);
    slot->created = slot->used = now;
    pthread_mutex_unlock(&s->mu);
    return IDW_OK;
}

/* The slot of id, compared in constant time with every live one (mutex held). */
static struct session *find(struct idw_sessions *s, const char *id)
{
    struct session *hit = NULL;

    if (strlen(id) != IDW_SESSION_HEX - 1)
        return NULL;
    for (size_t i = 0; i < IDW_SESSIONS_MAX; i++)
        if (s->tab[i].id[0] && CRYPTO_memcmp(s->tab[i].id, id, IDW_SESSION_HEX - 1) == 0)
            hit = &s->tab[i];
    return hit;
}

enum idw_rc idw_session_lookup(struct idw_sessions *s, const char *id, int touch,
                               struct idw_session_info *out)
{
    enum idw_rc rc = IDW_NOTFOUND;
    struct session *e;
    int64_t now;

    pthread_mutex_lock(&s->mu);
    now = s->now();
    e = find(s, id);
    if (e && expired(s, e, now)) {
        clear(e);
    } else if (e) {
        *out = e->info;
        if (touch)
            e->used = now;
        rc = IDW_OK;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void idw_session_end(struct idw_sessions *s, const char *id)
{
    struct session *e;

    pthread_mutex_lock(&s->mu);
    e = find(s, id);
    if (e)
        clear(e);
    pthread_mutex_unlock(&s->mu);
}

size_t idw_session_count(struct idw_sessions *s)
{
    size_t n = 0;

    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < IDW_SESSIONS_MAX; i++)
        n += s->tab[i].id[0] != '\0';
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* ---- the login limiter ----------------------------------------------------------- */

/* The entry of key (mutex held), a fresh one when create is set (NULL otherwise when absent). */
static struct limit *limit_slot(struct idw_sessions *s, const char *kind, const char *name, int create,
                                int64_t now)
{
    char key[sizeof s->lim[0].key];
    struct limit *oldest = NULL, *spare = NULL;

    snprintf(key, sizeof key, "%s:%s", kind, name);
    for (size_t i = 0; i < LIMIT_SLOTS; i++) {
        struct limit *l = &s->lim[i];
        if (l->key[0] && now - l->start >= (int64_t)IDW_LOGIN_WINDOW_S * 1000)
            memset(l, 0, sizeof *l);    /* its window is over */
        if (l->key[0] && !strcmp(l->key, key))
            return l;
        if (!l->key[0])
            spare = spare ? spare : l;
        else if (!oldest || l->start < oldest->start)
            oldest = l;
    }
    if (!create)
        return NULL;
    oldest = spare ? spare : oldest;   /* a free entry, else the oldest window is forgotten */
    memset(oldest, 0, sizeof *oldest);
    idw_strlcpy(oldest->key, key, sizeof oldest->key);
    oldest->start = now;
    return oldest;
}

static unsigned wait_s(const struct limit *l, unsigned max, int64_t now)
{
    int64_t left;

    if (!l || l->fails < max)
        return 0;
    left = l->start + (int64_t)IDW_LOGIN_WINDOW_S * 1000 - now;
    return left <= 0 ? 0 : (unsigned)((left + 999) / 1000);
}

unsigned idw_login_blocked(struct idw_sessions *s, const char *user, const char *addr)
{
    unsigned u, a;
    int64_t now;

    pthread_mutex_lock(&s->mu);
    now = s->now();
    u = wait_s(limit_slot(s, "u", user, 0, now), IDW_LOGIN_USER_FAILS, now);
    a = wait_s(limit_slot(s, "a", addr, 0, now), IDW_LOGIN_ADDR_FAILS, now);
    pthread_mutex_unlock(&s->mu);
    return u > a ? u : a;
}

void idw_login_failed(struct idw_sessions *s, const char *user, const char *addr)
{
    int64_t now;

    pthread_mutex_lock(&s->mu);
    now = s->now();
    limit_slot(s, "u", user, 1, now)->fails++;
    limit_slot(s, "a", addr, 1, now)->fails++;
    pthread_mutex_unlock(&s->mu);
}

void idw_login_succeeded(struct idw_sessions *s, const char *user)
{
    struct limit *l;

    pthread_mutex_lock(&s->mu);
    l = limit_slot(s, "u", user, 0, s->now());
    if (l)
        memset(l, 0, sizeof *l);
    pthread_mutex_unlock(&s->mu);
}

/* ---- requests: CSRF, client address, the auth sources ------------------------------ */

/* Origin "http[s]://host[:port]" against the Host header. */
static int same_origin(const char *origin, const char *host, int tls)
{
    const char *scheme = tls ? "https://" : "http://";
    size_t n = strlen(scheme);

    return host && *host && strncasecmp(origin, scheme, n) == 0 && strcasecmp(origin + n, host) == 0;
}

int idw_session_origin_ok(struct MHD_Connection *conn, int tls)
{
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);

    return !origin || same_origin(origin, host, tls);
}

enum idw_rc idw_session_csrf(struct idw_sessions *s, struct MHD_Connection *conn, const char *user, int tls,
                             char *err, size_t errlen)
{
    const char *token = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token");
    const char *id = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, IDW_SESSION_COOKIE);
    struct idw_session_info info;

    if (!idw_session_origin_ok(conn, tls)) {
        snprintf(err, errlen, "cross-origin request refused (Origin does not match Host)");
        return IDW_ERR;
    }
    if (!token || !id || idw_session_lookup(s, id, 0, &info) != IDW_OK || strcmp(info.user, user) != 0) {
        snprintf(err, errlen, "missing CSRF token or session (send X-CSRF-Token from GET /api/v1/session)");
        return IDW_ERR;
    }
    if (strlen(token) != IDW_SESSION_HEX - 1 || CRYPTO_memcmp(token, info.csrf, IDW_SESSION_HEX - 1) != 0) {
        snprintf(err, errlen, "wrong CSRF token");
        return IDW_ERR;
    }
    return IDW_OK;
}

void idw_client_addr(struct MHD_Connection *conn, char *buf, size_t n)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    socklen_t sl = sa && sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

    if (!sa || getnameinfo(sa, sl, buf, (socklen_t)n, NULL, 0, NI_NUMERICHOST) != 0)
        idw_strlcpy(buf, "?", n);
}

/* The user behind a session or proxy principal, as the database has it now. */
static enum idw_rc live_user(const struct idw_auth_request *r, const char *name, struct idw_user *u,
                             char *err, size_t errlen)
{
    enum idw_rc rc = idw_user_get(r->st, r->txn, name, u, err, errlen);

    if (rc == IDW_ERR)
        log_error("console user check: %s", err);
    return rc;
}

enum idw_rc idw_auth_session(void *ctx, const struct idw_auth_request *r, struct idw_api_principal *p,
                             char *err, size_t errlen)
{
    struct idw_sessions *s = ctx;
    const char *id = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, IDW_SESSION_COOKIE);
    struct idw_session_info info;
    struct idw_user u;

    if (!id || !*id)
        return IDW_NOTFOUND;
    if (idw_session_lookup(s, id, 1, &info) != IDW_OK) {
        snprintf(err, errlen, "session expired or logged out: log in again");
        return IDW_ERR;
    }
    if (live_user(r, info.user, &u, err, errlen) != IDW_OK || u.disabled || u.gen != info.gen) {
        idw_session_end(s, id);     /* removed, disabled or new password: the session dies now */
        snprintf(err, errlen, "session ended: log in again");
        return IDW_ERR;
    }
    memset(p, 0, sizeof *p);
    idw_strlcpy(p->name, u.name, sizeof p->name);
    p->role = u.role;
    p->kind = IDW_PRINCIPAL_SESSION;
    return IDW_OK;
}

static int peer_trusted(const struct idw_sessions *s, struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    const void *a;
    size_t n;

    if (!sa)
        return 0;
    if (sa->sa_family == AF_INET) {
        a = &((const struct sockaddr_in *)sa)->sin_addr;
        n = 4;
    } else if (sa->sa_family == AF_INET6) {
        a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        n = 16;
    } else {
        return 0;
    }
    for (size_t i = 0; i < s->o.n_trusted; i++)
        if (s->o.trusted[i].family == sa->sa_family && !memcmp(s->o.trusted[i].addr, a, n))
            return 1;
    return 0;
}

enum idw_rc idw_auth_proxy(void *ctx, const struct idw_auth_request *r, struct idw_api_principal *p,
                           char *err, size_t errlen)
{
    struct idw_sessions *s = ctx;
    const char *name = s->o.proxy_header[0]
                           ? MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, s->o.proxy_header)
                           : NULL;
    struct idw_user u;
    char addr[64];

    if (!name)
        return IDW_NOTFOUND;
    if (!peer_trusted(s, r->conn)) {
        idw_client_addr(r->conn, addr, sizeof addr);
        log_warn("%s header from %s ignored: not in serve.trusted_proxies", s->o.proxy_header, addr);
        return IDW_NOTFOUND;
    }
    if (!idw_principal_name_valid(name) || live_user(r, name, &u, err, errlen) != IDW_OK || u.disabled) {
        snprintf(err, errlen, "the proxy's user is not an enabled console user (idwatch user add)");
        return IDW_ERR;
    }
    memset(p, 0, sizeof *p);
    idw_strlcpy(p->name, u.name, sizeof p->name);
    p->role = u.role;
    p->kind = IDW_PRINCIPAL_PROXY;
    return IDW_OK;
}
