/*
 * api_console.c — the console's other JSON routes (docs/api.md):
 * /api/v1/incidents (the queue, one incident with its alerts, a timeline
 * and locations from the stored events, a review of all its alerts),
 * /api/v1/people/{user} (persona, places, open alerts, timeline) and
 * /api/v1/events/{uuid}.  Reads use one read transaction per request;
 * an incident review goes through api_alerts.c (idw_api_review_ids), so it
 * is the same alert review the alert routes make.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "alert/incident.h"
#include "common/log.h"
#include "common/util.h"
#include "serve/serve_int.h"
#include "store/evstore.h"

#define TIMELINE_EVENTS_MAX 200     /* stored events an incident's timeline shows */
#define PERSON_EVENTS_MAX 2000      /* events a person's timeline returns */
#define HOURS_MAX 720

/* ---- helpers ------------------------------------------------------------------------ */

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* The string at key, or "" when absent. */
static const char *jstr0(const json_t *o, const char *key)
{
    const char *s = jstr(o, key);
    return s ? s : "";
}

static json_t *jget(const json_t *o, const char *key)
{
    return json_object_get(o, key);
}

static int64_t jms(const json_t *o, const char *key)
{
    int64_t ms = 0;
    const char *s = jstr(o, key);

    return s && idw_time_parse(s, &ms) == IDW_OK ? ms : 0;
}

/* A read transaction, or NULL with a 500 reply. */
static MDB_txn *read_txn(struct idw_req *r, struct idw_reply *out)
{
    MDB_txn *txn;
    char err[256];

    if (idw_store_begin(r->srv->o.st, 1, &txn, err, sizeof err) == IDW_OK)
        return txn;
    log_error("api: %s", err);
    idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the database");
    return NULL;
}

static int is_get(const struct idw_req *r, struct idw_reply *out)
{
    if (!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD"))
        return 1;
    out->allow = "GET, HEAD";
    idw_reply_error(out, MHD_HTTP_METHOD_NOT_ALLOWED, "%s %s: use GET", r->method, r->url);
    return 0;
}

/* ?domain= absent or a valid domain_id; else 0 with a 400. */
static int domain_ok(const struct idw_req *r, struct idw_reply *out)
{
    const char *d = idw_req_arg(r, "domain");

    if (!d || idw_domain_id_valid(d))
        return 1;
    idw_reply_error(out, MHD_HTTP_BAD_REQUEST, "domain: expected 1 to 63 of A-Z a-z 0-9 . _ -");
    return 0;
}

static json_t *event_json(const struct idw_evrec *e, const struct idw_req *r, const char *domain)
{
    return idw_evrec_to_json(e, idw_evstore_okta_base(r->srv->o.cfg, domain));
}

/* ---- incidents: the queue ------------------------------------------------------------ */

/* INC_SUMMARY (docs/api.md); absent fields are null. */
static json_t *inc_summary(const json_t *inc)
{
    static const char *const keys[] = {
        "incident_id", "version", "title", "severity", "status", "people", "sources", "alert_count",
        "first_seen", "last_seen", "takeover", "domain_id",
    };
    json_t *s = json_object();

    for (size_t i = 0; s && i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(inc, keys[i]);
        json_object_set_new(s, keys[i], v ? json_deep_copy(v) : json_null());
    }
    return s;
}

static int text_in(const json_t *inc, const char *q)
{
    const char *keys[] = {"incident_id", "title"};
    const json_t *v;
    size_t i;

    for (i = 0; i < 2; i++)
        if (jstr(inc, keys[i]) && strcasestr(jstr(inc, keys[i]), q))
            return 1;
    json_array_foreach(json_object_get(inc, "people"), i, v)
        if (strcasestr(jstr0(v, "user"), q) || !strcasecmp(jstr0(v, "tuid"), q))
            return 1;
    json_array_foreach(json_object_get(inc, "sources"), i, v)
        if (json_string_value(v) && !strcasecmp(json_string_value(v), q))
            return 1;
    return 0;
}

struct inc_list {
    const struct idw_api_query *q;
    json_t *hits;
};

/* status: an incident is "open" or "resolved"; the alert statuses in the filter name them */
static int inc_match(const json_t *inc, const struct idw_api_query *q)
{
    const char *st = jstr(inc, "status");
    enum idw_alert_status s = st && !strcmp(st, "resolved") ? IDW_ALERT_RESOLVED : IDW_ALERT_OPEN;
    enum idw_severity sev;
    int64_t last = jms(inc, "last_seen");

    if (q->status_mask && !(q->status_mask & (1u << s)))
        return 0;
    if (idw_severity_parse(jstr(inc, "severity") ? jstr(inc, "severity") : "", &sev) != IDW_OK)
        sev = IDW_SEV_LOW;
    if (q->sev_mask && !(q->sev_mask & (1u << sev)))
        return 0;
    if ((q->since_ms && last < q->since_ms) || (q->until_ms && last > q->until_ms))
        return 0;
    return !q->q || !*q->q || text_in(inc, q->q);
}

static int collect(const json_t *inc, void *ctx)
{
    struct inc_list *l = ctx;

    if (inc_match(inc, l->q))
        json_array_append(l->hits, (json_t *)inc);
    return 0;
}

static int g_by_sev, g_asc;   /* qsort has no context; the server thread is the only caller */

static int sev_rank(const json_t *inc)
{
    enum idw_severity s;
    const char *v = jstr(inc, "severity");
    return v && idw_severity_parse(v, &s) == IDW_OK ? (int)s : 0;
}

static int cmp_inc(const void *pa, const void *pb)
{
    const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    int64_t x = g_by_sev ? sev_rank(a) : 0, y = g_by_sev ? sev_rank(b) : 0;
    int c = x < y ? -1 : x > y;

    if (!c) {
        x = jms(a, "last_seen");
        y = jms(b, "last_seen");
        c = x < y ? -1 : x > y;
    }
    if (!c)
        c = strcmp(jstr0(a, "incident_id"), jstr0(b, "incident_id"));
    return g_asc ? c : -c;
}

static void inc_list(struct idw_req *r, MDB_txn *txn, struct idw_reply *out)
{
    struct idw_api_query q;
    struct inc_list l = {.q = &q};
    char err[256];
    size_t n;

    if (idw_api_parse_query(r, &q, out) < 0)
        return;
    if (q.sort != SORT_LAST_SEEN && q.sort != SORT_SEVERITY) {
        idw_reply_error(out, MHD_HTTP_BAD_REQUEST, "sort: expected last_seen or severity for incidents");
        return;
    }
    l.hits = json_array();
    if (!l.hits || idw_incident_each(r->srv->o.st, txn, collect, &l, err, sizeof err) != IDW_OK) {
        log_error("api incidents: %s", l.hits ? err : "out of memory");
        json_decref(l.hits);
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the incidents");
        return;
    }
    n = json_array_size(l.hits);
    json_t **v = malloc((n ? n : 1) * sizeof *v), *rows = json_array();
    for (size_t i = 0; v && i < n; i++)
        v[i] = json_array_get(l.hits, i);
    g_by_sev = q.sort == SORT_SEVERITY;
    g_asc = q.asc;
    if (v)
        qsort(v, n, sizeof *v, cmp_inc);
    for (size_t i = (size_t)q.offset; v && rows && i < n && i < (size_t)(q.offset + q.limit); i++)
        json_array_append_new(rows, inc_summary(v[i]));
    free(v);
    json_decref(l.hits);
    idw_reply_json(out, MHD_HTTP_OK, json_pack("{s:o*, s:I, s:I, s:I}", "incidents", rows, "total",
                                               (json_int_t)n, "offset", (json_int_t)q.offset, "limit",
                                               (json_int_t)q.limit));
}

/* ---- incidents: one -------------------------------------------------------------------- */

/* What an incident's detail gathers from the stored events. */
struct inc_events {
    const struct idw_req *r;
    const char *domain, *user;  /* user: the login of the person being walked */
    json_t *events;             /* EVENT objects */
    json_t *seen;               /* uuid → true */
};

static void add_event(struct inc_events *x, json_t *e, const char *user)
{
    const char *uuid = jstr(e, "uuid");

    if (!uuid || json_object_get(x->seen, uuid) || json_array_size(x->events) >= TIMELINE_EVENTS_MAX) {
        json_decref(e);
        return;
    }
    if (user && !json_object_get(e, "_user"))
        json_object_set_new(e, "_user", json_string(user));
    json_object_set_new(x->seen, uuid, json_true());
    json_array_append_new(x->events, e);
}

static int person_event(const struct idw_evrec *e, void *ctx)
{
    struct inc_events *x = ctx;
    json_t *j = event_json(e, x->r, x->domain);

    if (j)
        add_event(x, j, x->user);
    return json_array_size(x->events) >= TIMELINE_EVENTS_MAX;
}

/* The alerts' own events first (the Okta links), then their people's other events in the span. */
static int gather_events(struct idw_req *r, MDB_txn *txn, const json_t *inc, const json_t *alerts,
                         struct inc_events *x)
{
    char err[256];
    const json_t *a, *p;
    size_t i;

    json_array_foreach(alerts, i, a) {
        json_t *evs;
        const json_t *ids = json_object_get(a, "event_ids"), *e;
        size_t j;
        if (!json_is_array(ids))
            continue;
        const char *base = idw_evstore_okta_base(r->srv->o.cfg, x->domain);
        if (idw_evstore_events_json(r->srv->o.st, txn, x->domain, ids, base, &evs, err, sizeof err) != IDW_OK)
            goto fail;
        json_array_foreach(evs, j, e) add_event(x, json_incref((json_t *)e), jstr(a, "user"));
        json_decref(evs);
    }
    int64_t from = jms(inc, "first_seen"), to = jms(inc, "last_seen");
    json_array_foreach(json_object_get(inc, "people"), i, p) {
        x->user = jstr(p, "user");
        if (jstr(p, "tuid") && idw_evstore_person(r->srv->o.st, txn, x->domain, jstr(p, "tuid"), from, to,
                                                 TIMELINE_EVENTS_MAX, person_event, x, err, sizeof err)
                                   != IDW_OK)
            goto fail;
    }
    return 0;
fail:
    log_error("api incident %s: %s", idw_incident_id(inc), err);
    return -1;
}

static int cmp_time(const void *pa, const void *pb)
{
    int64_t x = jms(*(json_t *const *)pa, "time"), y = jms(*(json_t *const *)pb, "time");
    return x < y ? -1 : x > y;
}

/* The incident's alert entries and one entry per gathered event, in time order. */
static json_t *timeline(const json_t *inc, const json_t *events)
{
    json_t *tl = json_array(), *e;
    const json_t *t;
    size_t i, n;

    json_array_foreach(json_object_get(inc, "timeline"), i, t)
        json_array_append_new(tl, json_pack("{s:O*, s:s, s:O*, s:O*, s:O*, s:O*}", "time", jget(t, "time"),
                                            "kind", "alert", "alert_id", jget(t, "alert_id"), "text",
                                            jget(t, "text"), "severity", jget(t, "severity"), "user",
                                            jget(t, "user")));
    json_array_foreach(events, i, e) {
        const char *text = jstr(e, "display_message") ? jstr(e, "display_message") : jstr(e, "event_type");
        json_array_append_new(tl, json_pack("{s:O*, s:s, s:O*, s:s?, s:O*}", "time", jget(e, "published"),
                                            "kind", "event", "uuid", jget(e, "uuid"), "text", text, "user",
                                            jget(e, "_user")));
    }
    n = json_array_size(tl);
    json_t **v = malloc((n ? n : 1) * sizeof *v), *sorted = json_array();
    for (i = 0; v && i < n; i++)
        v[i] = json_array_get(tl, i);
    if (v)
        qsort(v, n, sizeof *v, cmp_time);
    for (i = 0; v && i < n; i++)
        json_array_append(sorted, v[i]);
    free(v);
    json_decref(tl);
    return sorted;
}

static json_t *locations(const json_t *events)
{
    json_t *out = json_array();
    const json_t *e;
    size_t i;

    json_array_foreach(events, i, e) {
        if (!json_is_number(json_object_get(e, "lat")) || !json_is_number(json_object_get(e, "lon")))
            continue;
        json_array_append_new(out, json_pack("{s:O, s:O, s:O*, s:O*, s:O*, s:O*, s:O*}", "lat",
                                             jget(e, "lat"), "lon", jget(e, "lon"), "city", jget(e, "city"),
                                             "country", jget(e, "country"), "ip", jget(e, "ip"), "time",
                                             jget(e, "published"), "user", jget(e, "_user")));
    }
    return out;
}

/* inc's alerts (the documents, in joining order); NULL with err on a read error. */
static json_t *inc_alerts(struct idw_req *r, MDB_txn *txn, const json_t *inc, char *err, size_t errlen)
{
    json_t *out = json_array();
    const json_t *id;
    size_t i;

    json_array_foreach(json_object_get(inc, "alert_ids"), i, id) {
        json_t *a;
        const char *aid = json_string_value(id);
        enum idw_rc rc = idw_alert_get(r->srv->o.st, txn, jstr0(inc, "domain_id"), aid ? aid : "", &a, err,
                                       errlen);
        if (rc == IDW_ERR) {
            json_decref(out);
            return NULL;
        }
        if (rc == IDW_OK)
            json_array_append_new(out, a);
    }
    return out;
}

/* The incident detail document (docs/api.md), or NULL with a reply set. */
static json_t *inc_detail(struct idw_req *r, MDB_txn *txn, const char *id, struct idw_reply *out)
{
    char err[256];
    json_t *inc, *alerts, *doc, *sums;
    enum idw_rc rc = idw_incident_find(r->srv->o.st, txn, id, &inc, err, sizeof err);

    if (rc == IDW_NOTFOUND) {
        idw_reply_error(out, MHD_HTTP_NOT_FOUND, "no incident %.64s", id);
        return NULL;
    }
    alerts = rc == IDW_OK ? inc_alerts(r, txn, inc, err, sizeof err) : NULL;
    struct inc_events x = {.r = r, .domain = jstr(inc, "domain_id") ? jstr(inc, "domain_id") : "",
                           .events = json_array(), .seen = json_object()};
    if (!alerts || gather_events(r, txn, inc, alerts, &x) < 0) {
        if (rc != IDW_OK || !alerts)
            log_error("api incident %.64s: %s", id, err);
        json_decref(inc);
        json_decref(alerts);
        json_decref(x.events);
        json_decref(x.seen);
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the incident");
        return NULL;
    }
    doc = inc_summary(inc);
    sums = json_array();
    const json_t *a;
    size_t i;
    json_array_foreach(alerts, i, a) json_array_append_new(sums, idw_api_alert_summary(a));
    json_object_set_new(doc, "alerts", sums);
    json_object_set_new(doc, "timeline", timeline(inc, x.events));
    json_object_set_new(doc, "locations", locations(x.events));
    json_decref(inc);
    json_decref(alerts);
    json_decref(x.events);
    json_decref(x.seen);
    return doc;
}

static void inc_get(struct idw_req *r, const char *id, struct idw_reply *out)
{
    MDB_txn *txn = read_txn(r, out);
    json_t *doc;

    if (!txn)
        return;
    doc = inc_detail(r, txn, id, out);
    mdb_txn_abort(txn);
    if (doc)
        idw_reply_json(out, MHD_HTTP_OK, doc);
}

/* Reviews each of the incident's alerts that allows it; answers the incident as it is then. */
static void inc_review(struct idw_req *r, const char *id, struct idw_reply *out)
{
    MDB_txn *txn;
    json_t *inc = NULL, *ids;
    char err[256];
    size_t applied, queued;
    enum idw_rc rc;

    if (r->who.role < IDW_ROLE_ANALYST) {
        idw_reply_error(out, MHD_HTTP_FORBIDDEN, "%s may not review incidents (analyst or admin role needed)",
                        idw_role_name(r->who.role));
        return;
    }
    txn = read_txn(r, out);
    if (!txn)
        return;
    rc = idw_incident_find(r->srv->o.st, txn, id, &inc, err, sizeof err);
    mdb_txn_abort(txn);
    if (rc != IDW_OK) {
        if (rc == IDW_ERR)
            log_error("api incident %.64s: %s", id, err);
        idw_reply_error(out, rc == IDW_NOTFOUND ? MHD_HTTP_NOT_FOUND : MHD_HTTP_INTERNAL_SERVER_ERROR,
                        rc == IDW_NOTFOUND ? "no incident %.64s" : "cannot read the incident %.64s", id);
        return;
    }
    ids = json_incref(json_object_get(inc, "alert_ids"));
    json_decref(inc);
    if (!json_is_array(ids) || idw_api_review_ids(r, ids, &applied, &queued, out) < 0) {
        if (!json_is_array(ids))
            idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "the incident has no alert list");
        json_decref(ids);
        return;
    }
    json_decref(ids);
    if (!applied) {
        idw_reply_error(out, MHD_HTTP_CONFLICT, "none of the incident's alerts allows this review");
        return;
    }
    if (queued) {   /* the distributed mode, no worker applied it in time: in the log, not yet here */
        idw_reply_json(out, MHD_HTTP_ACCEPTED,
                       json_pack("{s:b, s:s, s:I, s:I}", "queued", 1, "incident_id", id, "published",
                                 (json_int_t)applied, "queued_alerts", (json_int_t)queued));
        return;
    }
    inc_get(r, id, out);
}

/* "", "/{id}", "/{id}/review" after /api/v1/incidents. */
void idw_api_incidents(struct idw_req *r, const char *path, struct idw_reply *out)
{
    char id[80];
    const char *slash;

    if (!*path) {
        if (!is_get(r, out))
            return;
        MDB_txn *txn = read_txn(r, out);
        if (txn) {
            inc_list(r, txn, out);
            mdb_txn_abort(txn);
        }
        return;
    }
    path++;
    slash = strchr(path, '/');
    if ((slash ? (size_t)(slash - path) : strlen(path)) >= sizeof id || (slash && strcmp(slash, "/review"))) {
        idw_reply_error(out, MHD_HTTP_NOT_FOUND, "no such API route: %s", r->url);
        return;
    }
    idw_strncpy0(id, sizeof id, path, slash ? (size_t)(slash - path) : strlen(path));
    if (!slash) {
        if (is_get(r, out))
            inc_get(r, id, out);
        return;
    }
    if (strcmp(r->method, "POST")) {
        out->allow = "POST";
        idw_reply_error(out, MHD_HTTP_METHOD_NOT_ALLOWED, "%s %s: use POST", r->method, r->url);
        return;
    }
    inc_review(r, id, out);
}

/* ---- people ---------------------------------------------------------------------------- */

/*
 * The person user names (login, Okta id or tuid) in ?domain=, else the
 * first configured org, else any org that knows them: 0 with tuid and
 * domain, 1 unknown, -1 error (err).
 */
static int find_person(struct idw_req *r, MDB_txn *txn, const char *user, char tuid[IDW_UUID_STRLEN],
                       char *domain, size_t domlen, char *err, size_t errlen)
{
    const struct idw_config *cfg = r->srv->o.cfg;
    const char *want = idw_req_arg(r, "domain");
    json_t *domains, *d;
    size_t i;
    enum idw_rc rc;

    idw_strlcpy(domain, want ? want : cfg && cfg->n_orgs ? cfg->orgs[0].domain_id : "default", domlen);
    rc = idw_store_find_user(r->srv->o.st, txn, domain, user, tuid, err, errlen);
    if (rc != IDW_NOTFOUND || want)
        return rc == IDW_OK ? 0 : rc == IDW_NOTFOUND ? 1 : -1;
    if (idw_store_domains(r->srv->o.st, txn, &domains, err, errlen) != IDW_OK)
        return -1;
    json_array_foreach(domains, i, d) {
        idw_strlcpy(domain, json_string_value(d), domlen);
        rc = idw_store_find_user(r->srv->o.st, txn, domain, user, tuid, err, errlen);
        if (rc != IDW_NOTFOUND)
            break;
    }
    json_decref(domains);
    return rc == IDW_OK ? 0 : rc == IDW_NOTFOUND ? 1 : -1;
}

/*
 * The persona's cities ("City, Country" values) as places, strongest
 * first; a city the persona keeps without coordinates (0, 0: the GeoIP
 * database gave none) has null ones for fill_places.
 */
static json_t *places(const json_t *persona)
{
    json_t *out = json_array();
    const json_t *v;
    size_t i;

    json_array_foreach(jget(jget(persona, "dimensions"), "cities"), i, v) {
        const char *val = jstr(v, "value"), *comma = val ? strrchr(val, ',') : NULL;
        double lat = json_number_value(jget(v, "lat")), lon = json_number_value(jget(v, "lon"));
        int none = lat == 0 && lon == 0;
        char city[IDW_PV_VALUE];
        if (!val)
            continue;
        idw_strncpy0(city, sizeof city, val, comma ? (size_t)(comma - val) : strlen(val));
        const char *country = comma ? comma + 1 + (comma[1] == ' ') : NULL;
        json_array_append_new(out, json_pack("{s:o, s:o, s:s, s:s?, s:O*}", "lat",
                                             none ? json_null() : json_real(lat), "lon",
                                             none ? json_null() : json_real(lon), "city", city, "country",
                                             country, "weight", jget(v, "weight")));
    }
    return out;
}

/* A stored event's coordinates for the places of its city that have none. */
static int place_from_event(const struct idw_evrec *e, void *ctx)
{
    json_t *pl = ctx, *p;
    size_t i, missing = 0;

    json_array_foreach(pl, i, p) {
        if (!json_is_null(jget(p, "lat")))
            continue;
        missing++;
        if (e->has_coords && e->city && !strcmp(e->city, jstr0(p, "city")) &&
            !strcmp(e->country ? e->country : "", jstr0(p, "country"))) {
            json_object_set_new(p, "lat", json_real(e->lat));
            json_object_set_new(p, "lon", json_real(e->lon));
            missing--;
        }
    }
    return !missing;
}

/* Coordinates for the places without, from the person's stored events; those still without are left out. */
static int fill_places(struct idw_req *r, MDB_txn *txn, const char *domain, const char *tuid, json_t *pl)
{
    char err[256];
    size_t i;
    json_t *p;

    json_array_foreach(pl, i, p) if (json_is_null(jget(p, "lat"))) break;
    if (i < json_array_size(pl) &&
        idw_evstore_person(r->srv->o.st, txn, domain, tuid, 0, idw_now_ms(), PERSON_EVENTS_MAX,
                           place_from_event, pl, err, sizeof err) != IDW_OK) {
        log_error("api person places: %s", err);
        return -1;
    }
    for (i = json_array_size(pl); i-- > 0;)
        if (json_is_null(jget(json_array_get(pl, i), "lat")))
            json_array_remove(pl, i);
    return 0;
}

/* The person's open and acknowledged alerts (as subject), newest first. */
static json_t *open_alerts(struct idw_req *r, MDB_txn *txn, const char *domain, const char *tuid)
{
    struct idw_alert_index *ix = &r->srv->alerts;
    json_t *out = json_array();
    char err[256];

    if (idw_alert_index_refresh(ix, r->srv->o.st, txn, err, sizeof err) != IDW_OK) {
        log_error("api person: %s", err);
        json_decref(out);
        return NULL;
    }
    for (size_t i = ix->n; i-- > 0;) {
        const struct idw_alert_row *row = ix->rows[i];
        json_t *a;
        const char *t = row->s[IDW_ROW_TUID], *d = row->s[IDW_ROW_DOMAIN];
        if (row->status > IDW_ALERT_ACKNOWLEDGED || !t || strcmp(t, tuid) || strcmp(d ? d : "", domain))
            continue;
        if (idw_alert_get(r->srv->o.st, txn, domain, row->s[IDW_ROW_ID], &a, err, sizeof err) == IDW_OK) {
            json_array_append_new(out, idw_api_alert_summary(a));
            json_decref(a);
        }
    }
    return out;
}

static json_t *person_doc(struct idw_req *r, MDB_txn *txn, const char *domain, const char *tuid,
                          struct idw_persona *p)
{
    const struct idw_config *cfg = r->srv->o.cfg;
    struct idw_persona_params prm;
    json_t *persona, *alerts, *pl;

    idw_persona_params_init(&prm, cfg->half_life_days, cfg->learning_days, cfg->learning_signins,
                            cfg->relearn_after_days);
    persona = idw_persona_to_json(p, &prm);
    alerts = open_alerts(r, txn, domain, tuid);
    pl = persona ? places(persona) : NULL;
    if (!persona || !alerts || !pl || fill_places(r, txn, domain, tuid, pl) < 0) {
        json_decref(persona);
        json_decref(alerts);
        json_decref(pl);
        return NULL;
    }
    json_object_set_new(persona, "domain_id", json_string(domain));
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "tuid", tuid, "user", p->login[0] ? p->login : tuid,
                     "domain_id", domain, "places", pl, "persona", persona, "open_alerts", alerts);
}

struct tl_ctx {
    const struct idw_req *r;
    const char *domain;
    json_t *events;
};

static int tl_event(const struct idw_evrec *e, void *ctx)
{
    struct tl_ctx *x = ctx;
    json_t *j = event_json(e, x->r, x->domain);

    if (j)
        json_array_append_new(x->events, j);
    return 0;
}

static void person_timeline(struct idw_req *r, MDB_txn *txn, const char *domain, const char *tuid,
                            struct idw_reply *out)
{
    const char *h = idw_req_arg(r, "hours");
    char *end = NULL;
    long hours = h ? strtol(h, &end, 10) : 24;
    struct tl_ctx x = {.r = r, .domain = domain, .events = json_array()};
    char err[256];
    int64_t now = idw_now_ms();

    if (h && (end == h || *end || hours < 1 || hours > HOURS_MAX)) {
        json_decref(x.events);
        idw_reply_error(out, MHD_HTTP_BAD_REQUEST, "hours: expected 1 to %d", HOURS_MAX);
        return;
    }
    if (idw_evstore_person(r->srv->o.st, txn, domain, tuid, now - hours * 3600000LL, now, PERSON_EVENTS_MAX,
                           tl_event, &x, err, sizeof err) != IDW_OK) {
        log_error("api person timeline: %s", err);
        json_decref(x.events);
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the person's events");
        return;
    }
    idw_reply_json(out, MHD_HTTP_OK, json_pack("{s:o}", "events", x.events));
}

static void person(struct idw_req *r, MDB_txn *txn, const char *user, int tl, struct idw_reply *out)
{
    char tuid[IDW_UUID_STRLEN], domain[IDW_DOMAIN_MAX], err[256];
    int rc = find_person(r, txn, user, tuid, domain, sizeof domain, err, sizeof err);
    struct idw_persona *p;

    if (rc) {
        if (rc < 0)
            log_error("api person: %s", err);
        idw_reply_error(out, rc > 0 ? MHD_HTTP_NOT_FOUND : MHD_HTTP_INTERNAL_SERVER_ERROR,
                        rc > 0 ? "no person %.64s" : "cannot read the person %.64s", user);
        return;
    }
    if (tl) {
        person_timeline(r, txn, domain, tuid, out);
        return;
    }
    p = malloc(sizeof *p);
    if (!p || idw_store_persona_get(r->srv->o.st, txn, domain, tuid, p, err, sizeof err) != IDW_OK) {
        free(p);
        idw_reply_error(out, MHD_HTTP_NOT_FOUND, "no persona for %.64s", user);
        return;
    }
    json_t *doc = person_doc(r, txn, domain, tuid, p);
    free(p);
    if (doc)
        idw_reply_json(out, MHD_HTTP_OK, doc);
    else
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the person");
}

/* "{user}" or "{user}/timeline" after /api/v1/people/ (the user percent-decoded by the server). */
void idw_api_people(struct idw_req *r, const char *path, struct idw_reply *out)
{
    const char *slash = strchr(path, '/');
    char user[256];
    MDB_txn *txn;

    if (!*path || (slash && strcmp(slash, "/timeline")) ||
        (slash ? (size_t)(slash - path) : strlen(path)) >= sizeof user) {
        idw_reply_error(out, MHD_HTTP_NOT_FOUND, "no such API route: %s", r->url);
        return;
    }
    if (!is_get(r, out) || !domain_ok(r, out))
        return;
    idw_strncpy0(user, sizeof user, path, slash ? (size_t)(slash - path) : strlen(path));
    txn = read_txn(r, out);
    if (!txn)
        return;
    person(r, txn, user, slash != NULL, out);
    mdb_txn_abort(txn);
}

/* ---- events ---------------------------------------------------------------------------- */

/* The event uuid in ?domain=, else in any org: IDW_OK with *doc, IDW_NOTFOUND, IDW_ERR. */
static enum idw_rc find_event(struct idw_req *r, MDB_txn *txn, const char *uuid, json_t **doc, char *err,
                              size_t errlen)
{
    const char *want = idw_req_arg(r, "domain");
    struct idw_evrec *e = malloc(sizeof *e);
    json_t *domains = NULL, *d;
    size_t i;
    enum idw_rc rc = IDW_NOTFOUND;

    *doc = NULL;
    if (!e || (!want && idw_store_domains(r->srv->o.st, txn, &domains, err, errlen) != IDW_OK)) {
        free(e);
        return IDW_ERR;
    }
    if (want)
        rc = idw_evstore_get(r->srv->o.st, txn, want, uuid, e, err, errlen);
    json_array_foreach(domains, i, d) {
        want = json_string_value(d);
        rc = idw_evstore_get(r->srv->o.st, txn, want, uuid, e, err, errlen);
        if (rc != IDW_NOTFOUND)
            break;
    }
    if (rc == IDW_OK) {
        *doc = event_json(e, r, want);
        rc = *doc ? IDW_OK : IDW_ERR;
    }
    json_decref(domains);
    free(e);
    return rc;
}

/* "{uuid}" after /api/v1/events/. */
void idw_api_events(struct idw_req *r, const char *path, struct idw_reply *out)
{
    char err[256];
    json_t *doc;
    MDB_txn *txn;
    enum idw_rc rc;

    if (!*path || strchr(path, '/') || strlen(path) > 128) {
        idw_reply_error(out, MHD_HTTP_NOT_FOUND, "no such API route: %s", r->url);
        return;
    }
    if (!is_get(r, out) || !domain_ok(r, out))
        return;
    txn = read_txn(r, out);
    if (!txn)
        return;
    rc = find_event(r, txn, path, &doc, err, sizeof err);
    mdb_txn_abort(txn);
    if (rc == IDW_OK)
        idw_reply_json(out, MHD_HTTP_OK, doc);
    else if (rc == IDW_NOTFOUND)
        idw_reply_error(out, MHD_HTTP_NOT_FOUND, "no event %.64s", path);
    else {
        log_error("api event %.64s: %s", path, err);
        idw_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot read the event");
    }
}
