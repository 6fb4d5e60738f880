/*
 * serve.c — the HTTP server: configuration, binding (loopback unless TLS
 * or an explicit opt-in), TLS, the per-request state machine of
 * libmicrohttpd (body capped, then one dispatch), authentication of /api,
 * the static console files and /metrics, and the headers every response
 * carries.  The threading model is serve.h's.
 */
#include "serve/serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"
#include "serve/serve_int.h"

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                          "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/* ---- configuration ------------------------------------------------------------ */

static int copy_opt(char *dst, size_t cap, const json_t *v, const char *key, char *err, size_t errlen)
{
    const char *s = json_string_value(v);

    if (!s)
        return 0;
    if (idw_strlcpy(dst, s, cap) >= cap) {
        snprintf(err, errlen, "%s: too long", key);
        return -1;
    }
    return 0;
}

enum idw_rc idw_serve_config(const struct idw_config *cfg, const char *listen_override,
                             struct idw_serve_opts *o, int *configured, char *err, size_t errlen)
{
    const json_t *serve = json_object_get(cfg->root, "serve");
    const json_t *legacy = json_object_get(json_object_get(cfg->root, "metrics"), "listen");

    memset(o, 0, sizeof *o);
    o->cfg = cfg;
    idw_auth_init(&o->auth);
    idw_strlcpy(o->listen, IDW_SERVE_DEFAULT_LISTEN, sizeof o->listen);
    idw_strlcpy(o->console_dir, IDW_CONSOLE_DIR, sizeof o->console_dir);
    *configured = serve != NULL || (json_string_value(legacy) && *json_string_value(legacy));
    if (json_object_get(serve, "listen") && json_string_value(legacy)) {
        snprintf(err, errlen,
                 "metrics.listen and serve.listen: give only serve.listen (/metrics is served there)");
        return IDW_ERR;
    }
    if (copy_opt(o->listen, sizeof o->listen, legacy, "metrics.listen", err, errlen) < 0 ||
        copy_opt(o->listen, sizeof o->listen, json_object_get(serve, "listen"), "serve.listen", err,
                 errlen) < 0 ||
        copy_opt(o->tls_cert, sizeof o->tls_cert, json_object_get(serve, "tls_cert"), "serve.tls_cert", err,
                 errlen) < 0 ||
        copy_opt(o->tls_key, sizeof o->tls_key, json_object_get(serve, "tls_key"), "serve.tls_key", err,
                 errlen) < 0 ||
        copy_opt(o->console_dir, sizeof o->console_dir, json_object_get(serve, "console_dir"),
                 "serve.console_dir", err, errlen) < 0)
        return IDW_ERR;
    if (listen_override && idw_strlcpy(o->listen, listen_override, sizeof o->listen) >= sizeof o->listen) {
        snprintf(err, errlen, "--listen: too long");
        return IDW_ERR;
    }
    o->allow_plaintext_remote = json_is_true(json_object_get(serve, "allow_plaintext_remote"));
    if (!*o->tls_cert != !*o->tls_key) {
        snprintf(err, errlen, "serve.tls_cert and serve.tls_key: give both or neither");
        return IDW_ERR;
    }
    return idw_session_config(serve, &o->sess, err, errlen);
}

/* ---- binding ---------------------------------------------------------------- */

/* "host:port" or "[v6]:port" → a numeric socket address. */
static int parse_listen(const char *hostport, struct sockaddr_storage *ss, socklen_t *sl, char *err,
                        size_t errlen)
{
    char host[100];
    const char *colon = strrchr(hostport, ':'), *h = hostport;
    size_t hl;
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM}, *ai;

    if (!colon || colon == hostport || !colon[1])
        goto bad;
    hl = (size_t)(colon - hostport);
    if (*h == '[' && colon[-1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof host)
        goto bad;
    memcpy(host, h, hl);
    host[hl] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 1 || port > 65535 || getaddrinfo(host, colon + 1, &hints, &ai) != 0)
        goto bad;
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *sl = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
bad:
    snprintf(err, errlen,
             "serve.listen '%s': expected an IP address and port, e.g. 127.0.0.1:8642 or [::1]:8642",
             hostport);
    return -1;
}

static int is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
    return ss->ss_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static int peer_is_loopback(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    struct sockaddr_storage ss = {0};

    if (!ci || !ci->client_addr)
        return 0;
    memcpy(&ss, ci->client_addr,
           ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in));
    return is_loopback(&ss);
}

/* A public file (the certificate chain), at most 1 MiB: malloc'd text or NULL with err. */
static char *read_public(const char *path, const char *what, char *err, size_t errlen)
{
    enum { CAP = 1 << 20 };
    FILE *f = fopen(path, "rb");
    char *buf = f ? malloc(CAP + 1) : NULL;
    size_t n = buf ? fread(buf, 1, CAP + 1, f) : 0;

    if (f)
        fclose(f);
    if (!buf || n == 0 || n > CAP) {
        snprintf(err, errlen, "%s %s: %s", what, path, !f ? strerror(errno) : !buf ? "out of memory"
                                                                            : "empty or over 1 MiB");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* The certificate (public) and the key (a secret file: mode 600, no symlink). */
static int read_tls(struct idw_server *s, char *err, size_t errlen)
{
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, errlen, "serve.tls_cert: this libmicrohttpd was built without TLS support");
        return -1;
    }
    s->cert_pem = read_public(s->o.tls_cert, "serve.tls_cert", err, errlen);
    if (!s->cert_pem)
        return -1;
    s->key_pem = idw_secret_file_read(s->o.tls_key, "serve.tls_key", IDW_SECRET_FILE_MAX, &s->key_len, err,
                                      errlen);
    return s->key_pem ? 0 : -1;
}

/* ---- replies ------------------------------------------------------------------ */

void idw_reply_json(struct idw_reply *out, unsigned status, json_t *doc)
{
    json_decref(out->json);
    out->json = doc;
    out->status = doc ? status : MHD_HTTP_INTERNAL_SERVER_ERROR;
    if (!doc)
        out->json = json_pack("{s:s}", "error", "out of memory");
}

void idw_reply_error(struct idw_reply *out, unsigned status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    idw_reply_json(out, status, json_pack("{s:s}", "error", msg));
}

const char *idw_req_arg(const struct idw_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

void idw_req_by(const struct idw_req *r, char *buf, size_t n)
{
    idw_principal_by(&r->who, buf, n);
}

static void add_headers(struct MHD_Response *resp, int api, const struct idw_reply *rp)
{
    MHD_add_response_header(resp, "Content-Security-Policy", csp);
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    if (api)
        MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (rp->allow)
        MHD_add_response_header(resp, "Allow", rp->allow);
    if (rp->cookie[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, rp->cookie);
    if (rp->retry_after) {
        char ra[16];
        snprintf(ra, sizeof ra, "%u", rp->retry_after);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
    }
    if (rp->status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"idwatch\"");
}

/* Queues rp on the connection, consuming what it owns. */
static enum MHD_Result send_reply(struct MHD_Connection *c, const char *url, struct idw_reply *rp)
{
    struct MHD_Response *resp;
    const char *ctype = rp->ctype;
    enum MHD_Result ok;

    if (rp->fd >= 0) {
        resp = MHD_create_response_from_fd(rp->fd_size, rp->fd);
        if (!resp)
            close(rp->fd);
    } else {
        char *body = rp->text;
        if (rp->json) {
            body = json_dumps(rp->json, JSON_COMPACT);
            ctype = "application/json";
            free(rp->text);
        }
        size_t n = body ? strlen(body) : 0;
        resp = MHD_create_response_from_buffer(n, body ? body : (char *)"", body ? MHD_RESPMEM_MUST_FREE
                                                                                 : MHD_RESPMEM_PERSISTENT);
        if (!resp)
            free(body);
    }
    json_decref(rp->json);
    if (!resp)
        return MHD_NO;
    if (ctype)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    add_headers(resp, strncmp(url, "/api/", 5) == 0, rp);
    ok = MHD_queue_response(c, rp->status ? rp->status : MHD_HTTP_INTERNAL_SERVER_ERROR, resp);
    MHD_destroy_response(resp);
    return ok;
}

/* ---- static files and metrics ------------------------------------------------- */

static const char *content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".json", "application/json"},
        {".geojson", "application/geo+json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
        {".ico", "image/x-icon"}, {".woff2", "font/woff2"}, {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');

    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i].ext))
            return types[i].type;
    return "application/octet-stream";
}

/* A relative path with no empty, "." or ".." component and no hidden file. */
static int safe_path(const char *p)
{
    if (!*p || strlen(p) > 255)
        return 0;
    for (const char *seg = p; seg;) {
        const char *next = strchr(seg, '/');
        if (seg[0] == '.' || seg[0] == '/' || seg[0] == '\0')
            return 0;
        seg = next ? next + 1 : NULL;
    }
    return 1;
}

static void static_file(struct idw_server *s, const char *rel, struct idw_reply *out)
{
    char path[4400];
    struct stat sb;
    int fd;

    if (!safe_path(rel)) {
        idw_reply_error(out, MHD_HTTP_NOT_FOUND, "not found");
        return;
    }
    snprintf(path, sizeof path, "%s/%s", s->o.console_dir, rel);
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0)
            close(fd);
        idw_reply_error(out, MHD_HTTP_NOT_FOUND, "not found");
        return;
    }
    out->status = MHD_HTTP_OK;
    out->fd = fd;
    out->fd_size = (size_t)sb.st_size;
    out->ctype = content_type(rel);
}

static void metrics(struct idw_server *s, struct idw_reply *out)
{
    if (!s->o.metrics) {
        idw_reply_error(out, MHD_HTTP_NOT_FOUND, "not found");
        return;
    }
    out->text = s->o.metrics(s->o.metrics_ctx);
    if (!out->text) {
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics unavailable (see the daemon's log)");
        return;
    }
    out->status = MHD_HTTP_OK;
    out->ctype = "text/plain; version=0.0.4; charset=utf-8";
}

/* ---- dispatch ------------------------------------------------------------------ */

static int is_get(const struct idw_req *r)
{
    return !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
}

/* The request's principal into r->who: 0, or -1 with a 401 (or 500) reply. */
static int authenticate(struct idw_req *r, struct idw_reply *out)
{
    struct idw_server *s = r->srv;
    struct idw_auth_request ar = {.conn = r->conn, .method = r->method, .st = s->o.st, .tls = s->tls};
    char err[256] = "";
    enum idw_rc rc;

    if (idw_store_begin(s->o.st, 1, &ar.txn, err, sizeof err) < 0) {
        log_error("api: %s", err);
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the database");
        return -1;
    }
    rc = idw_auth_resolve(&s->o.auth, &ar, &r->who, err, sizeof err);
    mdb_txn_abort(ar.txn);
    if (rc != IDW_OK) {
        idw_reply_error(out, MHD_HTTP_UNAUTHORIZED, "%s", rc == IDW_ERR ? err : "authentication required");
        return -1;
    }
    return 0;
}

/*
 * The routes whose data only a partition's worker keeps (its LMDB database:
 * events, personas): a mirror of the alerts stream cannot answer them.
 */
static int worker_only(const char *url)
{
    size_t n = strlen(url);

    return !strncmp(url, "/api/v1/people/", 15) || !strncmp(url, "/api/v1/events/", 15) ||
           (!strncmp(url, "/api/v1/alerts/", 15) && n > 7 && !strcmp(url + n - 7, "/events"));
}

/* /api/...: authenticated, then routed. */
static void api(struct idw_req *r, struct idw_reply *out)
{
    struct idw_server *s = r->srv;
    char err[256] = "";
    int session_route = !strcmp(r->url, "/api/v1/session");

    if (session_route && !strcmp(r->method, "POST")) {
        idw_api_login(r, out);      /* the one route without a principal */
        return;
    }
    if (authenticate(r, out) < 0)
        return;
    /* a browser's credentials (cookie, proxy) change nothing without the session's CSRF token */
    if (!is_get(r) && r->who.kind != IDW_PRINCIPAL_TOKEN &&
        idw_session_csrf(s->sessions, r->conn, r->who.name, s->tls, err, sizeof err) != IDW_OK) {
        idw_reply_error(out, MHD_HTTP_FORBIDDEN, "%s", err);
        return;
    }
    if (s->o.distributed && worker_only(r->url)) {
        idw_reply_error(out, MHD_HTTP_NOT_IMPLEMENTED, "%s", IDW_SERVE_WORKER_ONLY);
        return;
    }
    if (session_route)
        idw_api_session(r, out);
    else if (!strncmp(r->url, "/api/v1/alerts", 14) && (r->url[14] == '\0' || r->url[14] == '/'))
        idw_api_alerts(r, r->url + 14, out);
    else if (!strncmp(r->url, "/api/v1/incidents", 17) && (r->url[17] == '\0' || r->url[17] == '/'))
        idw_api_incidents(r, r->url + 17, out);
    else if (!strncmp(r->url, "/api/v1/people/", 15))
        idw_api_people(r, r->url + 15, out);
    else if (!strncmp(r->url, "/api/v1/events/", 15))
        idw_api_events(r, r->url + 15, out);
    else
        idw_reply_error(out, MHD_HTTP_NOT_FOUND, "no such API route: %s", r->url);
}

static void dispatch(struct idw_req *r, struct idw_reply *out)
{
    if (!strncmp(r->url, "/api/", 5)) {
        if (r->too_big)
            idw_reply_error(out, MHD_HTTP_CONTENT_TOO_LARGE, "request body over %d bytes",
                            IDW_SERVE_BODY_MAX);
        else
            api(r, out);
        return;
    }
    if (!strcmp(r->url, "/") || !strcmp(r->url, "/metrics") || !strncmp(r->url, "/static/", 8)) {
        if (!is_get(r)) {
            out->allow = "GET, HEAD";
            idw_reply_error(out, MHD_HTTP_METHOD_NOT_ALLOWED, "%s %s: only GET is served", r->method, r->url);
        } else if (!strcmp(r->url, "/metrics")) {
            /* a loopback scraper (the old listener's only client) needs no credential; any other
             * peer is one where the server listens beyond the host: it shows a token, like the API */
            if (peer_is_loopback(r->conn) || authenticate(r, out) == 0)
                metrics(r->srv, out);
        } else {
            static_file(r->srv, r->url[1] ? r->url + 8 : "index.html", out);
        }
        return;
    }
    idw_reply_error(out, MHD_HTTP_NOT_FOUND, "not found");
}

/* A Content-Length over the cap is refused before the body is read. */
static int declared_too_big(struct MHD_Connection *c)
{
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    return cl && strtoull(cl, NULL, 10) > IDW_SERVE_BODY_MAX;
}

/*
 * Keeps a body chunk, or counts it as discarded once the body is over the
 * cap.  Returns -1 when a streamed body (no Content-Length) goes on past
 * IDW_SERVE_DISCARD_MAX: the connection is then closed without an answer
 * (libmicrohttpd cannot answer in the middle of an upload).
 */
#define IDW_SERVE_DISCARD_MAX (1024 * 1024)
static int take_body(struct idw_req *r, const char *data, size_t n)
{
    if (r->too_big || r->len + n > IDW_SERVE_BODY_MAX) {
        r->too_big = 1;
        r->discarded += n;
        return r->discarded > IDW_SERVE_DISCARD_MAX ? -1 : 0;
    }
    char *b = realloc(r->body, r->len + n + 1);
    if (!b) {
        r->too_big = 1;
        return 0;
    }
    memcpy(b + r->len, data, n);
    r->len += n;
    b[r->len] = '\0';
    r->body = b;
    return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **state)
{
    struct idw_req *r = *state;
    struct idw_reply out = {.fd = -1};

    (void)version;
    if (!r) {
        r = calloc(1, sizeof *r);
        if (!r)
            return MHD_NO;
        *r = (struct idw_req){.srv = cls, .conn = c, .method = method, .url = url};
        *state = r;
        if (!declared_too_big(c))
            return MHD_YES;
        r->answered = 1;
        idw_reply_error(&out, MHD_HTTP_CONTENT_TOO_LARGE, "request body over %d bytes", IDW_SERVE_BODY_MAX);
        return send_reply(c, url, &out);
    }
    if (*upload_size) {
        int more = take_body(r, upload, *upload_size);
        *upload_size = 0;
        return more < 0 ? MHD_NO : MHD_YES;
    }
    if (r->answered)
        return MHD_YES;
    r->answered = 1;
    dispatch(r, &out);
    return send_reply(c, url, &out);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **state,
                         enum MHD_RequestTerminationCode why)
{
    struct idw_req *r = *state;

    (void)cls;
    (void)c;
    (void)why;
    if (r) {
        free(r->body);
        free(r);
        *state = NULL;
    }
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];

    (void)cls;
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    log_warn("http server: %s", msg);
}

/* ---- lifecycle ------------------------------------------------------------------ */

static void free_server(struct idw_server *s)
{
    if (!s)
        return;
    if (s->cert_pem)
        free(s->cert_pem);
    if (s->key_pem)
        idw_secret_buf_free(s->key_pem, s->key_len);
    idw_alert_index_free(&s->alerts);
    idw_sessions_free(s->sessions);
    free(s);
}

/* Builds the alert index before the server thread exists, so the first queue request is fast. */
static void warm_index(struct idw_server *s)
{
    MDB_txn *txn;
    char err[256];

    if (idw_store_begin(s->o.st, 1, &txn, err, sizeof err) < 0) {
        log_warn("http server: alert index: %s (built at the first request)", err);
        return;
    }
    if (idw_alert_index_refresh(&s->alerts, s->o.st, txn, err, sizeof err) < 0)
        log_warn("http server: alert index: %s (built at the first request)", err);
    mdb_txn_abort(txn);
}

/* The session table and its sources: the proxy header (when configured) before the cookie. */
static int add_session_sources(struct idw_server *s, char *err, size_t errlen)
{
    struct idw_auth_source proxy = {.name = "proxy", .fn = idw_auth_proxy};
    struct idw_auth_source cookie = {.name = "session", .fn = idw_auth_session};

    s->sessions = idw_sessions_new(&s->o.sess, NULL);
    if (!s->sessions) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    proxy.ctx = cookie.ctx = s->sessions;
    if ((idw_sessions_proxy_on(s->sessions) && idw_auth_add_source(&s->o.auth, &proxy) != IDW_OK) ||
        idw_auth_add_source(&s->o.auth, &cookie) != IDW_OK) {
        snprintf(err, errlen, "too many authentication sources");
        return -1;
    }
    return 0;
}

enum idw_rc idw_serve_start(const struct idw_serve_opts *o, struct idw_server **out, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    struct idw_server *s;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;

    *out = NULL;
    if (parse_listen(o->listen, &ss, &sl, err, errlen) < 0)
        return IDW_ERR;
    (void)sl;
    if (!is_loopback(&ss) && !*o->tls_cert && !o->allow_plaintext_remote) {
        snprintf(err, errlen, "serve.listen %s is not a loopback address: configure serve.tls_cert and "
                              "serve.tls_key, or set serve.allow_plaintext_remote (logins would cross the "
                              "network in clear)", o->listen);
        return IDW_ERR;
    }
    s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return IDW_ERR;
    }
    s->o = *o;
    s->tls = *o->tls_cert != '\0';
    if (add_session_sources(s, err, errlen) < 0) {
        free_server(s);
        return IDW_ERR;
    }
    if (s->tls && read_tls(s, err, errlen) < 0) {
        free_server(s);
        return IDW_ERR;
    }
    warm_index(s);
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (s->tls)
        flags |= MHD_USE_TLS;
    s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,     /* first, or MHD warns */
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                              MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                              MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)32,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                              MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
                              s->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->cert_pem,
                              MHD_OPTION_HTTPS_MEM_KEY, s->key_pem,
                              MHD_OPTION_END);
    if (!s->mhd) {
        snprintf(err, errlen, "serve.listen %s: cannot listen there (in use, or not an address of this host)",
                 o->listen);
        free_server(s);
        return IDW_ERR;
    }
    *out = s;
    return IDW_OK;
}

void idw_serve_stop(struct idw_server *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->mhd);
    free_server(s);
}
