/*
 * serve_int.h — what the server's files share (serve.c dispatches,
 * api_*.c answer): one request, and the reply a handler fills.
 */
#ifndef IDW_SERVE_INT_H
#define IDW_SERVE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "alert/alert.h"
#include "serve/principal.h"
#include "serve/serve.h"

struct MHD_Connection;

/*
 * One stored alert as the queue sees it (alert_index.c): the strings it
 * filters and searches on (NULL when absent), severity, status, times,
 * and where it is stored (the LMDB key) with a hash of the stored bytes.
 */
enum {
    IDW_ROW_ID, IDW_ROW_DOMAIN, IDW_ROW_RULE, IDW_ROW_USER, IDW_ROW_TUID, IDW_ROW_ACTOR, IDW_ROW_ACTOR_TUID,
    IDW_ROW_IP, IDW_ROW_INCIDENT, IDW_ROW_ASSIGNEE, IDW_ROW_SUMMARY, IDW_ROW_EVIDENCE, IDW_ROW_NSTR
};
struct idw_alert_row {
    char *key;
    size_t keylen;
    uint64_t hash;
    char *s[IDW_ROW_NSTR];
    enum idw_severity severity;
    enum idw_alert_status status;
    int64_t first_ms, last_ms;
};

/* Every stored alert's row, in key order. */
struct idw_alert_index {
    struct idw_alert_row **rows;
    size_t n;
};

/*
 * Brings ix up to date with the alerts table as txn sees it, parsing only
 * new or changed documents (unparsable ones are left out, as
 * idw_alert_each does).  IDW_OK, or IDW_ERR with err (ix is then empty).
 */
enum idw_rc idw_alert_index_refresh(struct idw_alert_index *ix, struct idw_store *st, MDB_txn *txn,
                                    char *err, size_t errlen) IDW_MUST_CHECK;
void idw_alert_index_free(struct idw_alert_index *ix);

struct idw_server {
    struct MHD_Daemon *mhd;
    struct idw_alert_index alerts;  /* used by the server thread only */
    struct idw_serve_opts o;
    char *cert_pem, *key_pem;
    size_t key_len;
    int tls;
    struct idw_sessions *sessions;  /* console logins (session.h) */
};

struct idw_req {
    struct idw_server *srv;
    struct MHD_Connection *conn;
    const char *method, *url;
    char *body;                 /* NUL-terminated; NULL when none */
    size_t len;
    int too_big;                /* more than IDW_SERVE_BODY_MAX arrived */
    size_t discarded;           /* bytes dropped past the cap */
    int answered;               /* a reply was queued before the body (413 by Content-Length) */
    int indexed;                /* the alert index was refreshed for this request */
    struct idw_api_principal who;   /* set for /api routes past authentication */
};

struct idw_reply {
    unsigned status;
    json_t *json;               /* owned: the body as JSON, or NULL */
    char *text;                 /* owned: a text body (malloc'd), or NULL */
    const char *ctype;          /* for text */
    const char *allow;          /* the Allow header of a 405 */
    int fd;                     /* a static file to send, or -1 (owned) */
    size_t fd_size;
    char cookie[160];           /* a Set-Cookie value, or "" */
    unsigned retry_after;       /* the Retry-After of a 429 (seconds), or 0 */
};

/* Sets an error reply {"error": message}. */
void idw_reply_error(struct idw_reply *out, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Sets a JSON reply; takes the reference to doc (NULL → 500 out of memory). */
void idw_reply_json(struct idw_reply *out, unsigned status, json_t *doc);

/* A query argument, or NULL. */
const char *idw_req_arg(const struct idw_req *r, const char *name);

/* The `by` a review through this request records ("api:<name>" for a token). */
void idw_req_by(const struct idw_req *r, char *buf, size_t n);

/*
 * A review request's body (POST .../review): {"status"?, "assignee"?,
 * "note"?} with at least one, and for a bulk review "ids": [1..500
 * strings].  Unknown fields, wrong types, an unknown status or one an
 * analyst cannot set ("open") are refused.  IDW_OK with *out (the strings
 * borrow out->doc: idw_review_body_free), or IDW_ERR with err naming the
 * problem (→ 400).  Fuzzed (tests/fuzz/fuzz_review_body.c).
 */
#define IDW_REVIEW_IDS_MAX 500
struct idw_review_body {
    json_t *doc;                    /* owned */
    enum idw_alert_status to;       /* IDW_ALERT_OPEN: no status change */
    const char *assignee, *note;    /* NULL: absent */
    const json_t *ids;              /* bulk: the array; NULL otherwise */
};
enum idw_rc idw_review_body_parse(const char *body, size_t len, int bulk, struct idw_review_body *out,
                                  char *err, size_t errlen) IDW_MUST_CHECK;
void idw_review_body_free(struct idw_review_body *b);

/*
 * /api/v1/session (api_session.c): idw_api_login answers POST before any
 * authentication; idw_api_session answers GET and DELETE for r->who.
 */
void idw_api_login(struct idw_req *r, struct idw_reply *out);
void idw_api_session(struct idw_req *r, struct idw_reply *out);

/* /api/v1/alerts...: every alert route (api_alerts.c).  path is after "/api/v1/alerts". */
void idw_api_alerts(struct idw_req *r, const char *path, struct idw_reply *out);

/* A queue's query string (api_alerts.c): the alert filters, which the incident queue shares. */
enum idw_api_sort { SORT_LAST_SEEN, SORT_FIRST_SEEN, SORT_SEVERITY, SORT_RULE, SORT_USER, SORT_STATUS };
struct idw_api_query {
    unsigned status_mask, sev_mask;     /* 0: any */
    const char *rule, *user, *actor, *ip, *q, *incident;
    int64_t since_ms, until_ms;         /* 0: unbounded */
    enum idw_api_sort sort;
    int asc;
    long limit, offset;
};

/* Parses r's query into q: 0, or -1 with a 400 reply naming the argument. */
int idw_api_parse_query(const struct idw_req *r, struct idw_api_query *q, struct idw_reply *out)
    IDW_MUST_CHECK;

/* The queue's row for an alert (docs/api.md SUMMARY); absent fields are null.  NULL: out of memory. */
json_t *idw_api_alert_summary(const json_t *a) IDW_MUST_CHECK;

/*
 * Reviews each alert of ids (a JSON array of alert ids) with r's review
 * body (analyst role), skipping the ones whose status forbids the change,
 * in one write transaction.  0 (*applied counts the reviewed alerts; in
 * the distributed mode, the published ones, *queued of them not yet
 * applied when the wait ended), or -1 with the reply set (400, 403, 500:
 * nothing applied; 503: NATS failed, *applied were published).
 */
int idw_api_review_ids(struct idw_req *r, const json_t *ids, size_t *applied, size_t *queued,
                       struct idw_reply *out) IDW_MUST_CHECK;

/*
 * /api/v1/incidents, /api/v1/people, /api/v1/events (api_console.c); path
 * is after the route's prefix ("/api/v1/incidents" ...).
 */
void idw_api_incidents(struct idw_req *r, const char *path, struct idw_reply *out);
void idw_api_people(struct idw_req *r, const char *path, struct idw_reply *out);
void idw_api_events(struct idw_req *r, const char *path, struct idw_reply *out);

#endif
