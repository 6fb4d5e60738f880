/*
 * api_session.c — /api/v1/session (docs/api.md "Authentication"): POST
 * logs a console user in (rate-limited, session.h) and sets the
 * idw_session cookie; GET says who the caller is and hands a browser its
 * CSRF token (a trusted proxy's user gets a session here, for that
 * token); DELETE logs out.  The password is wiped from the request as
 * soon as it has been checked, and never logged.
 */
#include <stdio.h>
#include <string.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"
#include "serve/serve_int.h"
#include "serve/session.h"
#include "serve/user.h"

static void set_cookie(struct idw_reply *out, const char *id, int tls)
{
    snprintf(out->cookie, sizeof out->cookie, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
             IDW_SESSION_COOKIE, id, *id ? "" : "; Max-Age=0", tls ? "; Secure" : "");
}

static void session_body(struct idw_reply *out, const char *user, enum idw_role role,
                         enum idw_principal_kind kind, const char *csrf)
{
    static const char *const kinds[] = {"", "token", "session", "proxy"};

    idw_reply_json(out, MHD_HTTP_OK,
                   json_pack("{s:s, s:s, s:s, s:s?}", "user", user, "role", idw_role_name(role), "kind",
                             kinds[kind], "csrf_token", csrf));
}

/* {"username": "...", "password": "..."} and nothing else: 0, or -1. */
static int login_fields(const json_t *doc, const char **user, const char **pw)
{
    *user = json_string_value(json_object_get(doc, "username"));
    *pw = json_string_value(json_object_get(doc, "password"));
    return *user && *pw && json_object_size(doc) == 2 ? 0 : -1;
}

/* Checks the password and opens the session; the limiter was consulted. */
static void try_login(struct idw_req *r, const char *user, const char *pw, const char *addr,
                      struct idw_reply *out)
{
    struct idw_server *s = r->srv;
    const char *shown = idw_principal_name_valid(user) ? user : "(not a valid name)";
    char err[256] = "", id[IDW_SESSION_HEX], csrf[IDW_SESSION_HEX];
    struct idw_user u;
    MDB_txn *txn;
    enum idw_rc rc;

    if (idw_store_begin(s->o.st, 1, &txn, err, sizeof err) < 0) {
        log_error("login: %s", err);
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the database");
        return;
    }
    rc = idw_user_login(s->o.st, txn, user, pw, &u, err, sizeof err);
    mdb_txn_abort(txn);
    if (rc == IDW_NOTFOUND) {
        idw_login_failed(s->sessions, user, addr);
        log_warn("failed console login for %s from %s: %s", shown, addr, err);
        idw_reply_error(out, MHD_HTTP_UNAUTHORIZED, "invalid username or password");
        return;
    }
    if (rc != IDW_OK || idw_session_create(s->sessions, u.name, u.gen, id, csrf) != IDW_OK) {
        log_error("login for %s: %s", shown, rc != IDW_OK ? err : "random number generator failed");
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot log in now (see the server's log)");
        return;
    }
    idw_login_succeeded(s->sessions, user);
    log_info("console login: %s (%s) from %s", u.name, idw_role_name(u.role), addr);
    set_cookie(out, id, s->tls);
    session_body(out, u.name, u.role, IDW_PRINCIPAL_SESSION, csrf);
    OPENSSL_cleanse(id, sizeof id);
    OPENSSL_cleanse(csrf, sizeof csrf);
}

void idw_api_login(struct idw_req *r, struct idw_reply *out)
{
    struct idw_server *s = r->srv;
    json_t *doc = r->body ? json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    const char *user, *pw;
    const char *old = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, IDW_SESSION_COOKIE);
    char addr[64];
    unsigned wait = 0;

    if (r->body)
        OPENSSL_cleanse(r->body, r->len);   /* the password's copy in the request */
    idw_client_addr(r->conn, addr, sizeof addr);
    int ok = login_fields(doc, &user, &pw) == 0;
    if (ok)
        wait = idw_login_blocked(s->sessions, user, addr);
    if (!ok) {
        idw_reply_error(out, MHD_HTTP_BAD_REQUEST,
                        "request body: expected {\"username\": \"...\", \"password\": \"...\"}");
    } else if (wait > 0) {
        log_warn("console login for %s from %s refused: too many failed logins",
                 idw_principal_name_valid(user) ? user : "(not a valid name)", addr);
        out->retry_after = wait;
        idw_reply_error(out, MHD_HTTP_TOO_MANY_REQUESTS, "too many failed logins: try again in %u s", wait);
    } else if (!idw_session_origin_ok(r->conn, s->tls)) {
        idw_reply_error(out, MHD_HTTP_FORBIDDEN, "cross-origin login refused (Origin does not match Host)");
    } else {
        try_login(r, user, pw, addr, out);
        if (old && out->status == MHD_HTTP_OK)
            idw_session_end(s->sessions, old);  /* a new login replaces the browser's old session */
    }
    if (pw)
        OPENSSL_cleanse((char *)pw, strlen(pw));
    json_decref(doc);
}

/* GET for a proxy user: the cookie's session when it is theirs, else a new one. */
static void proxy_session(struct idw_req *r, struct idw_reply *out)
{
    struct idw_server *s = r->srv;
    const char *old = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, IDW_SESSION_COOKIE);
    struct idw_session_info info;
    char id[IDW_SESSION_HEX], csrf[IDW_SESSION_HEX];

    if (old && idw_session_lookup(s->sessions, old, 1, &info) == IDW_OK && !strcmp(info.user, r->who.name)) {
        session_body(out, r->who.name, r->who.role, r->who.kind, info.csrf);
        return;
    }
    /* gen 0 matches no user: this session carries the CSRF token only, never logs in by itself */
    if (idw_session_create(s->sessions, r->who.name, 0, id, csrf) != IDW_OK) {
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "random number generator failed");
        return;
    }
    set_cookie(out, id, s->tls);
    session_body(out, r->who.name, r->who.role, r->who.kind, csrf);
    OPENSSL_cleanse(id, sizeof id);
    OPENSSL_cleanse(csrf, sizeof csrf);
}

void idw_api_session(struct idw_req *r, struct idw_reply *out)
{
    struct idw_server *s = r->srv;
    const char *id = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, IDW_SESSION_COOKIE);
    struct idw_session_info info;

    if (!strcmp(r->method, "DELETE")) {
        if (id && r->who.kind != IDW_PRINCIPAL_TOKEN)
            idw_session_end(s->sessions, id);
        if (id)
            set_cookie(out, "", s->tls);
        out->status = MHD_HTTP_NO_CONTENT;
        return;
    }
    if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) {
        out->allow = "GET, POST, DELETE";
        idw_reply_error(out, MHD_HTTP_METHOD_NOT_ALLOWED, "%s /api/v1/session: not allowed", r->method);
    } else if (r->who.kind == IDW_PRINCIPAL_PROXY) {
        proxy_session(r, out);
    } else if (r->who.kind == IDW_PRINCIPAL_SESSION && id &&
               idw_session_lookup(s->sessions, id, 0, &info) == IDW_OK) {
        session_body(out, r->who.name, r->who.role, r->who.kind, info.csrf);
    } else {
        session_body(out, r->who.name, r->who.role, r->who.kind, NULL);     /* a token needs no CSRF */
    }
}
