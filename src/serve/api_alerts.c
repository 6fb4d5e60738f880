/*
 * api_alerts.c — /api/v1/alerts: the queue (filters, sort, paging), one
 * alert by id or unique prefix, and reviews (one alert, or in bulk) that
 * become alert versions through the alert module and its outbox sink.
 * The routes and shapes are docs/api.md's.
 *
 * The queue filters and sorts the server's alert index (alert_index.c:
 * only new or changed documents are parsed), then reads the page's 50
 * documents (docs/performance.md has the figures for 10,000 alerts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "common/log.h"
#include "common/util.h"
#include "deliver/outbox.h"
#include "deliver/webhook.h"
#include "serve/serve_int.h"
#include "store/evstore.h"

#define LIMIT_DEFAULT 50
#define LIMIT_MAX 500
#define PREFIX_MIN 8

/* ---- query parsing ---------------------------------------------------------------- */

/* "24h", "7d", "30m" before now, or an RFC 3339 time: the CLI's grammar (idw_parse_time_arg). */
static int parse_when(const char *s, int64_t *ms)
{
    return idw_parse_time_arg(s, idw_now_ms(), ms) == IDW_OK ? 0 : -1;
}

/* A comma-separated list of names (name(i) → bit i, i in first..last) into *mask; -1 on an unknown one. */
static int parse_set(const char *s, const char *(*name)(int), int first, int last, unsigned *mask, char *bad,
                     size_t badlen)
{
    char buf[256];

    idw_strlcpy(buf, s, sizeof buf);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        int i;
        for (i = first; i <= last && strcmp(tok, name(i)); i++)
            ;
        if (i > last) {
            idw_strlcpy(bad, tok, badlen);
            return -1;
        }
        *mask |= 1u << i;
    }
    return 0;
}

static const char *status_name(int i)
{
    return idw_alert_status_name((enum idw_alert_status)i);
}

static const char *sev_name(int i)
{
    return idw_severity_name((enum idw_severity)i);
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);

    if (end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_sort(const struct idw_req *r, struct idw_api_query *q, struct idw_reply *out)
{
    static const char *const keys[] = {"last_seen", "first_seen", "severity", "rule", "user", "status"};
    const char *s = idw_req_arg(r, "sort"), *o = idw_req_arg(r, "order");

    if (s) {
        size_t i;
        for (i = 0; i < sizeof keys / sizeof keys[0] && strcmp(s, keys[i]); i++)
            ;
        if (i == sizeof keys / sizeof keys[0]) {
            idw_reply_error(out, MHD_HTTP_BAD_REQUEST,
                            "sort: expected last_seen, first_seen, severity, rule, user or status");
            return -1;
        }
        q->sort = (enum idw_api_sort)i;
    }
    if (o && strcmp(o, "asc") && strcmp(o, "desc")) {
        idw_reply_error(out, MHD_HTTP_BAD_REQUEST, "order: expected asc or desc");
        return -1;
    }
    q->asc = o && !strcmp(o, "asc");
    return 0;
}

int idw_api_parse_query(const struct idw_req *r, struct idw_api_query *q, struct idw_reply *out)
{
    const char *v;
    char bad[64];

    *q = (struct idw_api_query){.limit = LIMIT_DEFAULT};
    v = idw_req_arg(r, "status");
    if (v && parse_set(v, status_name, IDW_ALERT_OPEN, IDW_ALERT_FALSE_POSITIVE, &q->status_mask, bad,
                       sizeof bad) < 0) {
        idw_reply_error(out, MHD_HTTP_BAD_REQUEST,
                        "status: unknown value \"%s\" (open, acknowledged, resolved, false_positive)", bad);
        return -1;
    }
    v = idw_req_arg(r, "severity");
    if (v && parse_set(v, sev_name, IDW_SEV_LOW, IDW_SEV_CRITICAL, &q->sev_mask, bad, sizeof bad) < 0) {
        idw_reply_error(out, MHD_HTTP_BAD_REQUEST,
                        "severity: unknown value \"%s\" (low, medium, high, critical)", bad);
        return -1;
    }
    const char *times[] = {"since", "until"};
    int64_t *dst[] = {&q->since_ms, &q->until_ms};
    for (int i = 0; i < 2; i++) {
        v = idw_req_arg(r, times[i]);
        if (v && parse_when(v, dst[i]) < 0) {
            idw_reply_error(out, MHD_HTTP_BAD_REQUEST, "%s: expected 30m, 24h, 7d or an RFC 3339 time",
                            times[i]);
            return -1;
        }
    }
    v = idw_req_arg(r, "limit");
    if (v && parse_long(v, 1, LIMIT_MAX, &q->limit) < 0) {
        idw_reply_error(out, MHD_HTTP_BAD_REQUEST, "limit: expected 1 to %d", LIMIT_MAX);
        return -1;
    }
    v = idw_req_arg(r, "offset");
    if (v && parse_long(v, 0, 100000000, &q->offset) < 0) {
        idw_reply_error(out, MHD_HTTP_BAD_REQUEST, "offset: expected a number from 0");
        return -1;
    }
    q->rule = idw_req_arg(r, "rule");
    q->user = idw_req_arg(r, "user");
    q->actor = idw_req_arg(r, "actor");
    q->ip = idw_req_arg(r, "ip");
    q->q = idw_req_arg(r, "q");
    q->incident = idw_req_arg(r, "incident");
    return parse_sort(r, q, out);
}

/* ---- matching, sorting ------------------------------------------------------------- */

static int eq_ci(const char *a, const char *b)
{
    return a && b && !strcasecmp(a, b);
}

static int text_match(const struct idw_alert_row *r, const char *q)
{
    static const int fields[] = {IDW_ROW_ID, IDW_ROW_RULE, IDW_ROW_SUMMARY, IDW_ROW_EVIDENCE, IDW_ROW_USER,
                                 IDW_ROW_ACTOR, IDW_ROW_IP, IDW_ROW_ASSIGNEE, IDW_ROW_INCIDENT};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (r->s[fields[i]] && strcasestr(r->s[fields[i]], q))
            return 1;
    return 0;
}

static int matches(const struct idw_alert_row *r, const struct idw_api_query *q)
{
    if (q->status_mask && !(q->status_mask & (1u << r->status)))
        return 0;
    if (q->sev_mask && !(q->sev_mask & (1u << r->severity)))
        return 0;
    if ((q->since_ms && r->last_ms < q->since_ms) || (q->until_ms && r->last_ms > q->until_ms))
        return 0;
    if (q->rule && !eq_ci(q->rule, r->s[IDW_ROW_RULE]))
        return 0;
    if (q->user && !eq_ci(q->user, r->s[IDW_ROW_USER]) && !eq_ci(q->user, r->s[IDW_ROW_TUID]))
        return 0;
    if (q->actor && !eq_ci(q->actor, r->s[IDW_ROW_ACTOR]) && !eq_ci(q->actor, r->s[IDW_ROW_ACTOR_TUID]))
        return 0;
    if (q->ip && !eq_ci(q->ip, r->s[IDW_ROW_IP]))
        return 0;
    if (q->incident && !eq_ci(q->incident, r->s[IDW_ROW_INCIDENT]))
        return 0;
    return !q->q || !*q->q || text_match(r, q->q);
}

static enum idw_api_sort g_sort;    /* qsort has no context argument; the server thread is the only caller */
static int g_asc;

static int cmp_str(const char *x, const char *y)
{
    return strcasecmp(x ? x : "", y ? y : "");
}

static int cmp_i64(int64_t x, int64_t y)
{
    return x < y ? -1 : x > y;
}

static int cmp_rows(const void *pa, const void *pb)
{
    const struct idw_alert_row *a = *(const struct idw_alert_row *const *)pa;
    const struct idw_alert_row *b = *(const struct idw_alert_row *const *)pb;
    int c = 0;

    switch (g_sort) {
    case SORT_FIRST_SEEN:
        c = cmp_i64(a->first_ms, b->first_ms);
        break;
    case SORT_SEVERITY:
        c = cmp_i64(a->severity, b->severity);
        break;
    case SORT_RULE:
        c = cmp_str(a->s[IDW_ROW_RULE], b->s[IDW_ROW_RULE]);
        break;
    case SORT_USER:
        c = cmp_str(a->s[IDW_ROW_USER], b->s[IDW_ROW_USER]);
        break;
    case SORT_STATUS:
        c = cmp_i64(a->status, b->status);
        break;
    case SORT_LAST_SEEN:
        break;
    }
    if (!c)
        c = cmp_i64(a->last_ms, b->last_ms);
    if (!c)
        c = cmp_str(a->s[IDW_ROW_ID], b->s[IDW_ROW_ID]);
    return g_asc ? c : -c;
}

json_t *idw_api_alert_summary(const json_t *a)
{
    static const char *const keys[] = {
        "alert_id", "version", "rule", "severity", "score", "status", "domain_id", "user", "tuid", "actor",
        "actor_tuid", "ip", "first_seen", "last_seen", "summary", "incident_id", "event_count", "assignee",
        "stage", "historical",
    };
    json_t *s = json_object();

    for (size_t i = 0; s && i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(a, keys[i]);
        json_object_set_new(s, keys[i], v ? json_incref(v) : json_null());
    }
    return s;
}

/* ---- routes ------------------------------------------------------------------------ */

/* The index up to date in txn; -1 with a 500 reply. */
static int refresh(struct idw_req *r, MDB_txn *txn, struct idw_reply *out)
{
    char err[256];

    if (idw_alert_index_refresh(&r->srv->alerts, r->srv->o.st, txn, err, sizeof err) == IDW_OK)
        return 0;
    log_error("api alerts: %s", err);
    if (out)
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the alerts");
    return -1;
}

/* The rows of page [offset, offset+limit) as SUMMARY documents read from txn. */
static json_t *page_rows(struct idw_req *r, MDB_txn *txn, struct idw_alert_row **v, size_t n,
                         const struct idw_api_query *q)
{
    json_t *rows = json_array();
    char err[256];

    for (size_t i = (size_t)q->offset; rows && i < n && i < (size_t)(q->offset + q->limit); i++) {
        json_t *a;
        if (idw_alert_get(r->srv->o.st, txn, v[i]->s[IDW_ROW_DOMAIN] ? v[i]->s[IDW_ROW_DOMAIN] : "",
                          v[i]->s[IDW_ROW_ID], &a, err, sizeof err) != IDW_OK) {
            json_decref(rows);
            return NULL;    /* the index was refreshed in this txn: a row without its document is an error */
        }
        json_array_append_new(rows, idw_api_alert_summary(a));
        json_decref(a);
    }
    return rows;
}

static void list(struct idw_req *r, MDB_txn *txn, struct idw_reply *out)
{
    struct idw_alert_index *ix = &r->srv->alerts;
    struct idw_api_query q;
    struct idw_alert_row **v;
    size_t n = 0;
    json_t *rows;

    if (idw_api_parse_query(r, &q, out) < 0 || refresh(r, txn, out) < 0)
        return;
    v = malloc((ix->n ? ix->n : 1) * sizeof *v);
    if (!v) {
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        return;
    }
    for (size_t i = 0; i < ix->n; i++)
        if (matches(ix->rows[i], &q))
            v[n++] = ix->rows[i];
    g_sort = q.sort;
    g_asc = q.asc;
    qsort(v, n, sizeof *v, cmp_rows);
    rows = page_rows(r, txn, v, n, &q);
    free(v);
    if (!rows) {
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the alerts");
        return;
    }
    idw_reply_json(out, MHD_HTTP_OK, json_pack("{s:o, s:I, s:I, s:I}", "alerts", rows, "total", (json_int_t)n,
                                               "offset", (json_int_t)q.offset, "limit", (json_int_t)q.limit));
}

/*
 * The alert an id or unique prefix names: IDW_OK with *a, IDW_NOTFOUND,
 * IDW_EXISTS (ambiguous, or a prefix too short: err says), IDW_ERR.
 */
static enum idw_rc resolve(struct idw_req *r, MDB_txn *txn, const char *id, json_t **a, char *err,
                           size_t errlen)
{
    struct idw_alert_index *ix = &r->srv->alerts;
    const struct idw_alert_row *found = NULL;
    size_t len = strlen(id), hits = 0;

    *a = NULL;
    if (len < PREFIX_MIN) {
        snprintf(err, errlen, "alert id \"%.64s\": give the id or a prefix of at least %d characters", id,
                 PREFIX_MIN);
        return IDW_EXISTS;
    }
    /* once per request: a bulk review resolves up to 500 ids, and a review changes no id */
    if (!r->indexed && idw_alert_index_refresh(ix, r->srv->o.st, txn, err, errlen) < 0)
        return IDW_ERR;
    r->indexed = 1;
    for (size_t i = 0; i < ix->n && hits < 2; i++)
        if (!strncasecmp(ix->rows[i]->s[IDW_ROW_ID], id, len)) {
            found = ix->rows[i];
            hits++;
        }
    if (hits > 1) {
        snprintf(err, errlen, "alert id prefix \"%.64s\" matches more than one alert", id);
        return IDW_EXISTS;
    }
    if (!found)
        return IDW_NOTFOUND;
    return idw_alert_get(r->srv->o.st, txn, found->s[IDW_ROW_DOMAIN] ? found->s[IDW_ROW_DOMAIN] : "",
                         found->s[IDW_ROW_ID], a, err, errlen) == IDW_OK ? IDW_OK : IDW_ERR;
}

static void get_one(struct idw_req *r, MDB_txn *txn, const char *id, struct idw_reply *out)
{
    char err[256];
    json_t *a;
    enum idw_rc rc = resolve(r, txn, id, &a, err, sizeof err);

    if (rc == IDW_OK)
        idw_reply_json(out, MHD_HTTP_OK, a);
    else if (rc == IDW_NOTFOUND)
        idw_reply_error(out, MHD_HTTP_NOT_FOUND, "no alert %.64s", id);
    else if (rc == IDW_EXISTS)
        idw_reply_error(out, MHD_HTTP_BAD_REQUEST, "%s", err);
    else {
        log_error("api alert %s: %s", id, err);
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the alert");
    }
}

/* The alert module as an API review needs it: the outbox sink for the configured webhooks. */
static struct idw_alerts *review_registry(const struct idw_config *cfg, char *err, size_t errlen)
{
    struct idw_outbox_target *t = NULL;
    struct idw_alerts *al;
    size_t n = 0;

    if (idw_webhook_targets(cfg->root, &t, &n, err, errlen) < 0)
        return NULL;
    al = idw_alerts_new();
    if (!al)
        snprintf(err, errlen, "out of memory");
    else if (idw_outbox_attach(al, cfg->root, t, n, err, errlen) != IDW_OK) {
        idw_alerts_free(al);
        al = NULL;
    }
    free(t);
    return al;
}

/* Everything one review request shares across its alerts. */
struct review_ctx {
    struct idw_req *r;
    struct idw_alerts *al;
    MDB_txn *txn;
    struct idw_persona_params prm;
    struct idw_alert_review rv;
    char by[IDW_PRINCIPAL_NAME_MAX + 8];
    int remote;                     /* the distributed mode: reviews are published, not written */
    int nats_down;                  /* a publish failed: the rest of a bulk review is not tried */
};

/*
 * The distributed mode (serve.h review_publish): the checked review sent as
 * a command; *doc is a placeholder {alert_id, domain_id, version, command_id}
 * for settle().  IDW_OK, or IDW_EXISTS with *status and err (nothing known
 * published: 400 when it cannot be a command, 503 when NATS did not take it).
 */
static enum idw_rc publish_one(struct review_ctx *x, const json_t *a, json_t **doc, unsigned *status,
                               char *err, size_t errlen)
{
    const struct idw_serve_opts *o = &x->r->srv->o;
    char cid[64];
    enum idw_rc rc;

    if (x->nats_down) {
        snprintf(err, errlen, "not published: NATS did not take an earlier review of this request");
        *status = MHD_HTTP_SERVICE_UNAVAILABLE;
        return IDW_EXISTS;
    }
    rc = o->review_publish(o->review_ctx, a, &x->rv, cid, sizeof cid, err, errlen);
    if (rc != IDW_OK) {
        *status = rc == IDW_EXISTS ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_SERVICE_UNAVAILABLE;
        x->nats_down = rc != IDW_EXISTS;
        return IDW_EXISTS;
    }
    *doc = json_pack("{s:s, s:s, s:I, s:s}", "alert_id", idw_alert_id(a), "domain_id",
                     idw_alert_domain(a) ? idw_alert_domain(a) : "", "version",
                     (json_int_t)idw_alert_version(a),
                     "command_id", cid);
    *status = MHD_HTTP_ACCEPTED;
    return *doc ? IDW_OK : IDW_ERR;
}

/*
 * A published review's outcome (placeholder from publish_one): the newer
 * mirrored version once it arrived before deadline_ms, else {"queued":
 * true, "command_id", "alert_id"}.  NULL: out of memory.
 */
static json_t *settle(struct idw_req *r, const json_t *ph, int64_t deadline_ms)
{
    const struct idw_serve_opts *o = &r->srv->o;
    json_t *doc = NULL;
    const char *id = json_string_value(json_object_get(ph, "alert_id"));

    if (o->review_wait(o->review_ctx, json_string_value(json_object_get(ph, "domain_id")), id,
                       json_integer_value(json_object_get(ph, "version")), deadline_ms, &doc) == IDW_OK)
        return doc;
    return json_pack("{s:b, s:O, s:s}", "queued", 1, "command_id", json_object_get(ph, "command_id"),
                     "alert_id", id);
}

/*
 * Reviews one alert in ctx's transaction: IDW_OK with *doc; NOTFOUND /
 * EXISTS (refused: *status and err say why, nothing written); IDW_ERR
 * (storage or sink: the transaction must be aborted).
 */
static enum idw_rc review_one(struct review_ctx *x, const char *id, json_t **doc, unsigned *status,
                              char *err, size_t errlen)
{
    json_t *a;
    enum idw_rc rc = resolve(x->r, x->txn, id, &a, err, errlen);

    *doc = NULL;
    *status = rc == IDW_NOTFOUND ? MHD_HTTP_NOT_FOUND : rc == IDW_EXISTS ? MHD_HTTP_BAD_REQUEST
                                                                          : MHD_HTTP_INTERNAL_SERVER_ERROR;
    if (rc == IDW_NOTFOUND)
        snprintf(err, errlen, "no alert %.64s", id);
    if (rc != IDW_OK)
        return rc;
    char full[64], domain[IDW_DOMAIN_MAX];
    idw_strlcpy(full, idw_alert_id(a), sizeof full);
    idw_strlcpy(domain, idw_alert_domain(a) ? idw_alert_domain(a) : "", sizeof domain);
    if (idw_alert_review_refused(a, full, &x->rv, err, errlen)) {
        json_decref(a);
        *status = MHD_HTTP_CONFLICT;
        return IDW_EXISTS;
    }
    if (x->remote) {
        rc = publish_one(x, a, doc, status, err, errlen);
        json_decref(a);
        return rc;
    }
    json_decref(a);
    /* its org is known: a direct read, not a walk of every alert (a bulk review holds the writer lock) */
    x->rv.domain = domain;
    rc = idw_alert_review(x->al, x->r->srv->o.st, x->txn, full, &x->rv, doc, err, errlen);
    x->rv.domain = NULL;
    *status = rc == IDW_OK ? MHD_HTTP_OK : MHD_HTTP_INTERNAL_SERVER_ERROR;
    return rc == IDW_OK ? IDW_OK : IDW_ERR;
}

static int review_begin(struct idw_req *r, int bulk, struct idw_review_body *b, struct review_ctx *x,
                        struct idw_reply *out)
{
    const struct idw_config *cfg = r->srv->o.cfg;
    char err[512];

    if (r->who.role < IDW_ROLE_ANALYST) {
        idw_reply_error(out, MHD_HTTP_FORBIDDEN, "%s may not review alerts (analyst or admin role needed)",
                        idw_role_name(r->who.role));
        return -1;
    }
    if (idw_review_body_parse(r->body, r->len, bulk, b, err, sizeof err) < 0) {
        idw_reply_error(out, MHD_HTTP_BAD_REQUEST, "%s", err);
        return -1;
    }
    if (r->srv->o.review_publish && b->to == IDW_ALERT_OPEN) {  /* checked once, before any publish */
        idw_review_body_free(b);
        idw_reply_error(out, MHD_HTTP_BAD_REQUEST, "in the distributed mode a review sets a status "
                        "(acknowledged, resolved or false_positive): an assignment or a note alone is not a "
                        "command of the log");
        return -1;
    }
    memset(x, 0, sizeof *x);
    x->r = r;
    idw_req_by(r, x->by, sizeof x->by);
    idw_persona_params_init(&x->prm, cfg->half_life_days, cfg->learning_days, cfg->learning_signins,
                            cfg->relearn_after_days);
    x->rv = (struct idw_alert_review){.to = b->to, .note = b->note, .assignee = b->assignee, .by = x->by,
                                      .at_ms = idw_now_ms(), .prm = &x->prm};
    x->remote = r->srv->o.review_publish != NULL;
    /* the distributed mode writes nothing here: a read transaction to check the mirrored alert */
    x->al = x->remote ? NULL : review_registry(cfg, err, sizeof err);
    if ((!x->remote && !x->al) || idw_store_begin(r->srv->o.st, x->remote, &x->txn, err, sizeof err) < 0) {
        log_error("api review: %s", err);
        idw_alerts_free(x->al);
        idw_review_body_free(b);
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot start the review");
        return -1;
    }
    return 0;
}

/* Commits what the review wrote; 0, or -1 with a 500 reply. */
static int review_end(struct review_ctx *x, struct idw_review_body *b, int commit, struct idw_reply *out)
{
    char err[512];
    int ok = 1;

    if (!commit || x->remote)
        mdb_txn_abort(x->txn);
    else if (idw_store_commit(x->txn, err, sizeof err) < 0) {
        log_error("api review: %s", err);
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot store the review");
        ok = 0;
    } else if (x->r->srv->o.reviewed) {
        x->r->srv->o.reviewed(x->r->srv->o.reviewed_ctx);
    }
    idw_alerts_free(x->al);
    idw_review_body_free(b);
    return ok ? 0 : -1;
}

static void review(struct idw_req *r, const char *id, struct idw_reply *out)
{
    struct idw_review_body b;
    struct review_ctx x;
    json_t *doc;
    unsigned status;
    char err[512];
    enum idw_rc rc;

    if (review_begin(r, 0, &b, &x, out) < 0)
        return;
    rc = review_one(&x, id, &doc, &status, err, sizeof err);
    if (rc == IDW_ERR)
        log_error("api review %s: %s", id, err);
    if (review_end(&x, &b, rc == IDW_OK, out) < 0) {
        json_decref(doc);
        return;
    }
    if (rc == IDW_OK && x.remote) {
        json_t *got = settle(r, doc, idw_now_ms() + r->srv->o.review_wait_ms);
        json_decref(doc);
        idw_reply_json(out, got && json_object_get(got, "queued") ? MHD_HTTP_ACCEPTED : MHD_HTTP_OK, got);
    } else if (rc == IDW_OK)
        idw_reply_json(out, MHD_HTTP_OK, doc);
    else
        idw_reply_error(out, status, "%s", rc == IDW_ERR ? "cannot store the review" : err);
}

/*
 * A bulk review in the distributed mode: each published placeholder of
 * results becomes {"alert_id", "ok": true, "version"} once its newer
 * version arrived, else {"alert_id", "ok": true, "queued": true,
 * "command_id"}; one wait (review_wait_ms) for them all.
 */
static void settle_bulk(struct idw_req *r, json_t *results)
{
    int64_t deadline = idw_now_ms() + r->srv->o.review_wait_ms;
    json_t *v, *got;
    size_t i;

    json_array_foreach(results, i, v) {
        if (!json_object_get(v, "command_id"))
            continue;       /* a refusal */
        got = settle(r, v, deadline);
        if (got && !json_object_get(got, "queued"))
            json_array_set_new(results, i, json_pack("{s:O, s:b, s:O}", "alert_id", json_object_get(got,
                                                     "alert_id"), "ok", 1, "version",
                                                     json_object_get(got, "version")));
        else
            json_array_set_new(results, i, json_pack("{s:O, s:b, s:b, s:O}", "alert_id",
                                                     json_object_get(v, "alert_id"), "ok", 1, "queued", 1,
                                                     "command_id", json_object_get(v, "command_id")));
        json_decref(got);
    }
}

static void review_bulk(struct idw_req *r, struct idw_reply *out)
{
    struct idw_review_body b;
    struct review_ctx x;
    json_t *results;
    const json_t *v;
    size_t i;
    int failed = 0;

    if (review_begin(r, 1, &b, &x, out) < 0)
        return;
    results = json_array();
    json_array_foreach(b.ids, i, v) {
        const char *id = json_string_value(v);
        json_t *doc;
        unsigned status;
        char err[512];
        enum idw_rc rc = review_one(&x, id, &doc, &status, err, sizeof err);
        if (rc == IDW_ERR) {
            log_error("api review %s: %s", id, err);
            failed = 1;
            break;
        }
        if (rc == IDW_OK && x.remote)
            json_array_append(results, doc);    /* a placeholder, settled below */
        else
            json_array_append_new(results, rc == IDW_OK ? json_pack("{s:s, s:b}", "alert_id",
                                                                     idw_alert_id(doc), "ok", 1)
                                                        : json_pack("{s:s, s:b, s:s}", "alert_id", id,
                                                                    "ok", 0, "error", err));
        json_decref(doc);
    }
    if (review_end(&x, &b, !failed, out) < 0 || failed) {
        json_decref(results);
        if (failed)
            idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
                            "cannot store the reviews; none was applied");
        return;
    }
    if (x.remote)
        settle_bulk(r, results);
    idw_reply_json(out, MHD_HTTP_OK, json_pack("{s:o*}", "results", results));
}

/* The stored events behind an alert (its event_ids), oldest first. */
static void events_of(struct idw_req *r, MDB_txn *txn, const char *id, struct idw_reply *out)
{
    char err[256];
    json_t *a, *evs;
    enum idw_rc rc = resolve(r, txn, id, &a, err, sizeof err);

    if (rc != IDW_OK) {
        if (rc == IDW_NOTFOUND)
            idw_reply_error(out, MHD_HTTP_NOT_FOUND, "no alert %.64s", id);
        else if (rc == IDW_EXISTS)
            idw_reply_error(out, MHD_HTTP_BAD_REQUEST, "%s", err);
        else
            idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the alert");
        return;
    }
    const char *dom = json_string_value(json_object_get(a, "domain_id"));
    dom = dom ? dom : "";
    json_t *ids = json_object_get(a, "event_ids");
    json_t *none = json_array();
    rc = idw_evstore_events_json(r->srv->o.st, txn, dom, json_is_array(ids) ? ids : none,
                                 idw_evstore_okta_base(r->srv->o.cfg, dom), &evs, err, sizeof err);
    json_decref(none);
    json_decref(a);
    if (rc != IDW_OK) {
        log_error("api alert %s events: %s", id, err);
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the alert's events");
        return;
    }
    idw_reply_json(out, MHD_HTTP_OK, json_pack("{s:o}", "events", evs));
}

int idw_api_review_ids(struct idw_req *r, const json_t *ids, size_t *applied, size_t *queued,
                       struct idw_reply *out)
{
    struct idw_review_body b;
    struct review_ctx x;
    const json_t *v;
    size_t i;
    int failed = 0, nats_failed = 0;
    json_t *pending = json_array();

    *applied = 0;
    *queued = 0;
    if (!pending || review_begin(r, 0, &b, &x, out) < 0) {
        if (!pending)
            idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        json_decref(pending);
        return -1;
    }
    json_array_foreach(ids, i, v) {
        json_t *doc;
        unsigned status;
        char err[512];
        enum idw_rc rc = review_one(&x, json_string_value(v), &doc, &status, err, sizeof err);
        if (rc == IDW_OK && x.remote)
            json_array_append(pending, doc);
        json_decref(doc);
        if (rc == IDW_EXISTS && status == MHD_HTTP_SERVICE_UNAVAILABLE) {
            log_error("api incident review %s: %s", json_string_value(v), err);
            nats_failed = 1;    /* what was published stays published */
            break;
        }
        if (rc == IDW_EXISTS && status == MHD_HTTP_BAD_REQUEST)    /* that alert's command: skipped */
            log_warn("api incident review %s: %s", json_string_value(v), err);
        if (rc == IDW_ERR || rc == IDW_NOTFOUND) {   /* an incident's alert is always stored */
            log_error("api incident review %s: %s", json_string_value(v), err);
            failed = 1;
            break;
        }
        *applied += rc == IDW_OK;
    }
    if (review_end(&x, &b, !failed, out) < 0) {
        json_decref(pending);
        return -1;
    }
    if (failed || nats_failed) {
        json_decref(pending);
        if (nats_failed)
            idw_reply_error(out, MHD_HTTP_SERVICE_UNAVAILABLE, "NATS did not take the review of every alert; "
                            "%zu published before it failed", *applied);
        else
            idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR,
                            "cannot store the review; nothing was applied");
        return -1;
    }
    if (x.remote)
        settle_bulk(r, pending);    /* the incident is answered once its alerts' versions arrived */
    json_array_foreach(pending, i, v)
        *queued += json_is_true(json_object_get(v, "queued"));
    json_decref(pending);
    return 0;
}

/* "/{id}", "/{id}/events" (GET) or "/{id}/review" (POST) of an alert. */
static void one_alert(struct idw_req *r, const char *path, struct idw_reply *out)
{
    int get = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD"), post = !strcmp(r->method, "POST");
    const char *slash = strchr(path, '/');
    int rev = slash && !strcmp(slash, "/review"), evs = slash && !strcmp(slash, "/events");
    char id[80];

    if ((slash ? (size_t)(slash - path) : strlen(path)) >= sizeof id || (slash && !rev && !evs)) {
        idw_reply_error(out, MHD_HTTP_NOT_FOUND, "no such API route: %s", r->url);
        return;
    }
    idw_strncpy0(id, sizeof id, path, slash ? (size_t)(slash - path) : strlen(path));
    if (strspn(id, "0123456789abcdefABCDEF-ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ") != strlen(id)) {
        idw_reply_error(out, MHD_HTTP_BAD_REQUEST, "alert id: expected 0-9 a-z A-Z and -");
        return;     /* an id never reaches a log line with a control character in it */
    }
    if (rev ? !post : !get) {
        out->allow = rev ? "POST" : "GET, HEAD";
        idw_reply_error(out, MHD_HTTP_METHOD_NOT_ALLOWED, "%s %s: use %s", r->method, r->url, out->allow);
        return;
    }
    if (rev) {
        review(r, id, out);
        return;
    }
    MDB_txn *txn;
    char err[256];
    if (idw_store_begin(r->srv->o.st, 1, &txn, err, sizeof err) < 0) {
        log_error("api alerts: %s", err);
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the database");
        return;
    }
    if (evs)
        events_of(r, txn, id, out);
    else
        get_one(r, txn, id, out);
    mdb_txn_abort(txn);
}

/* A route's path after "/api/v1/alerts": "", "/review", "/{id}", "/{id}/events", "/{id}/review". */
void idw_api_alerts(struct idw_req *r, const char *path, struct idw_reply *out)
{
    int get = !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD"), post = !strcmp(r->method, "POST");

    if (*path && strcmp(path, "/review")) {
        one_alert(r, path + 1, out);
        return;
    }
    if (*path ? !post : !get) {
        out->allow = *path ? "POST" : "GET, HEAD";
        idw_reply_error(out, MHD_HTTP_METHOD_NOT_ALLOWED, "%s %s: use %s", r->method, r->url, out->allow);
        return;
    }
    if (*path) {
        review_bulk(r, out);
        return;
    }
    MDB_txn *txn;
    char err[256];
    if (idw_store_begin(r->srv->o.st, 1, &txn, err, sizeof err) < 0) {
        log_error("api alerts: %s", err);
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the database");
        return;
    }
    list(r, txn, out);
    mdb_txn_abort(txn);
}
