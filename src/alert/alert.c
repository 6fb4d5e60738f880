/*
 * alert.c — the alert document's life (alert.h, docs/alerts.md): built
 * from a candidate, folded into the open alert of its rule and entity,
 * reviewed, and published — version moved, stored, handed to each sink —
 * always through publish(), so no path can store a change without a new
 * version or a version without its sinks.
 */
#include "alert/alert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"

struct idw_alerts {
    struct idw_alert_sink *sinks;
    size_t n;
    int log_raised;                 /* log each live alert raised or escalated (the daemon) */
};

/* ---- accessors ------------------------------------------------------------------- */

static const char *str(const json_t *a, const char *key)
{
    return json_string_value(json_object_get(a, key));
}

const char *idw_alert_id(const json_t *a) { return str(a, "alert_id"); }
const char *idw_alert_rule(const json_t *a) { return str(a, "rule"); }
const char *idw_alert_domain(const json_t *a) { return str(a, "domain_id"); }
const char *idw_alert_user(const json_t *a) { return str(a, "user"); }
const char *idw_alert_tuid(const json_t *a) { return str(a, "tuid"); }
int idw_alert_historical(const json_t *a) { return json_is_true(json_object_get(a, "historical")); }

int64_t idw_alert_version(const json_t *a)
{
    return json_integer_value(json_object_get(a, "version"));
}

int64_t idw_alert_last_seen_ms(const json_t *a)
{
    return json_integer_value(json_object_get(a, "last_seen_ms"));
}

enum idw_severity idw_alert_severity(const json_t *a)
{
    enum idw_severity s = IDW_SEV_LOW;

    if (idw_severity_parse(str(a, "severity"), &s) < 0)
        return IDW_SEV_LOW;
    return s;
}

static const char *const status_names[] = {"open", "acknowledged", "resolved", "false_positive"};

const char *idw_alert_status_name(enum idw_alert_status s)
{
    return (unsigned)s <= IDW_ALERT_FALSE_POSITIVE ? status_names[s] : "open";
}

enum idw_alert_status idw_alert_status(const json_t *a)
{
    const char *s = str(a, "status");

    for (int i = IDW_ALERT_OPEN; s && i <= IDW_ALERT_FALSE_POSITIVE; i++)
        if (!strcmp(s, status_names[i]))
            return (enum idw_alert_status)i;
    return IDW_ALERT_OPEN;
}

/* ---- the registry ------------------------------------------------------------------ */

struct idw_alerts *idw_alerts_new(void)
{
    return calloc(1, sizeof(struct idw_alerts));
}

void idw_alerts_free(struct idw_alerts *al)
{
    if (!al)
        return;
    for (size_t i = 0; i < al->n; i++)
        if (al->sinks[i].release)
            al->sinks[i].release(al->sinks[i].ctx);
    free(al->sinks);
    free(al);
}

enum idw_rc idw_alerts_add_sink(struct idw_alerts *al, const struct idw_alert_sink *s)
{
    struct idw_alert_sink *grown = realloc(al->sinks, (al->n + 1) * sizeof *grown);

    if (!grown) {
        if (s->release)
            s->release(s->ctx);
        return IDW_ERR;
    }
    al->sinks = grown;
    al->sinks[al->n++] = *s;
    return IDW_OK;
}

void idw_alerts_log(struct idw_alerts *al, int on)
{
    al->log_raised = on;
}

/* ---- publishing a version ----------------------------------------------------------- */

/*
 * The one way a change reaches the store: version + 1, the document
 * written under (domain, id), then every sink in order.  A failure leaves
 * the transaction for the caller to abort.
 */
static enum idw_rc publish(const struct idw_alerts *al, struct idw_store *st, MDB_txn *txn, json_t *a,
                           char *err, size_t errlen)
{
    const char *domain = idw_alert_domain(a), *id = idw_alert_id(a);
    char *text;
    int put;

    json_object_set_new(a, "version", json_integer(idw_alert_version(a) + 1));
    if (!domain || !id) {
        snprintf(err, errlen, "alert without domain_id or alert_id");
        return IDW_ERR;
    }
    text = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) {
        snprintf(err, errlen, "alert %s: cannot encode the document", id);
        return IDW_ERR;
    }
    put = idw_store_kv_put(st, txn, st->alerts, domain, id, NULL, text, strlen(text), err, errlen);
    free(text);
    if (put < 0)
        return IDW_ERR;
    for (size_t i = 0; al && i < al->n; i++)
        if (al->sinks[i].fn(st, txn, a, al->sinks[i].ctx, err, errlen) != IDW_OK)
            return IDW_ERR;
    return IDW_OK;
}

/* ---- building and folding ------------------------------------------------------------ */

static json_t *mitre_array(const char *list)
{
    json_t *a = json_array();
    char buf[128], *save = NULL;

    idw_strlcpy(buf, list ? list : "", sizeof buf);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(a, json_string(t));
    return a;
}

/*
 * Where the first event came from, as personas key it: what `alerts fp`
 * teaches the user's persona when the analyst says this was the user.
 */
static json_t *event_context(const struct idw_event *ev)
{
    char asn[24], pfx[IDW_PV_VALUE];

    snprintf(asn, sizeof asn, "AS%u", ev->asn);
    if (ev->ip)
        idw_ip_prefix(ev->ip, pfx, sizeof pfx);
    return json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?}", "asn", ev->asn ? asn : NULL,
                     "as_org", ev->as_org, "ip_prefix", ev->ip ? pfx : NULL,
                     "country", ev->geo.country, "device", ev->dt_hash,
                     "app", idw_event_app_key(ev), "app_name", ev->app_name);
}

/* A rule's new alert, version 0 until published. */
static json_t *new_alert(const struct idw_alert_origin *o, const struct idw_alert_candidate *c,
                         const char *alert_id)
{
    const struct idw_event *ev = o->ev;
    char ts[IDW_TIME_STRLEN];
    /* alerts keyed by a source (ip:, asn:) are about no single user */
    int by_user = strncmp(c->entity, "user:", 5) == 0;

    idw_time_format(ev->published_ms, ts);
    return json_pack("{s:s, s:s, s:s, s:i, s:s, s:s?, s:s?, s:s?, s:s, s:s, s:I, s:I,"
                     " s:[s], s:i, s:s, s:s, s:o, s:s, s:s, s:b, s:i, s:s, s:o}",
                     "alert_id", alert_id, "rule", o->rule,
                     "severity", idw_severity_name(c->severity), "score", c->score,
                     "domain_id", o->domain, "tuid", by_user && ev->tuid[0] ? ev->tuid : NULL,
                     "user", by_user ? ev->subject.login : NULL, "ip", ev->ip,
                     "first_seen", ts, "last_seen", ts,
                     "first_seen_ms", (json_int_t)ev->published_ms,
                     "last_seen_ms", (json_int_t)ev->published_ms,
                     "event_ids", ev->uuid, "event_count", 1, "summary", c->summary,
                     "evidence", c->evidence, "mitre", mitre_array(c->mitre),
                     "stage", c->stage ? c->stage : "", "status", "open", "historical", o->historical,
                     "version", 0, "entity", c->entity, "context", event_context(ev));
}

/* The connector's new alert: wall-clock times, no event, no person, no context. */
static json_t *new_connector_alert(const char *domain, const char *rule_id,
                                   const struct idw_alert_candidate *c, int64_t now_ms, const char *alert_id)
{
    char ts[IDW_TIME_STRLEN];

    idw_time_format(now_ms, ts);
    return json_pack("{s:s, s:s, s:s, s:i, s:s, s:n, s:n, s:n, s:s, s:s, s:I, s:I, s:[], s:i, s:s,"
                     " s:s, s:o, s:s, s:s, s:b, s:i, s:s, s:n}",
                     "alert_id", alert_id, "rule", rule_id, "severity", idw_severity_name(c->severity),
                     "score", c->score, "domain_id", domain, "tuid", "user", "ip",
                     "first_seen", ts, "last_seen", ts, "first_seen_ms", (json_int_t)now_ms,
                     "last_seen_ms", (json_int_t)now_ms, "event_ids", "event_count", 0,
                     "summary", c->summary, "evidence", c->evidence, "mitre", mitre_array(c->mitre),
                     "stage", c->stage ? c->stage : "", "status", "open", "historical", 0,
                     "version", 0, "entity", c->entity, "context");
}

/* Adds the techniques of list not yet in arr (a chain may add techniques as it grows). */
static void merge_mitre(json_t *arr, const char *list)
{
    json_t *more = mitre_array(list), *t, *have;
    size_t i, j;

    json_array_foreach(more, i, t) {
        int found = 0;
        json_array_foreach(arr, j, have)
            found |= json_equal(have, t);
        if (!found)
            json_array_append(arr, t);
    }
    json_decref(more);
}

static void set_last_seen(json_t *a, int64_t t)
{
    char ts[IDW_TIME_STRLEN];

    idw_time_format(t, ts);
    json_object_set_new(a, "last_seen", json_string(ts));
    json_object_set_new(a, "last_seen_ms", json_integer(t));
}

/* The same rule and entity within the window: fold the new evidence in. */
static void fold(json_t *a, const struct idw_alert_origin *o, const struct idw_alert_candidate *c)
{
    json_t *ids = json_object_get(a, "event_ids");

    if (o->ev->published_ms > idw_alert_last_seen_ms(a))
        set_last_seen(a, o->ev->published_ms);
    if (json_array_size(ids) < IDW_ALERT_MAX_EVENT_IDS)
        json_array_append_new(ids, json_string(o->ev->uuid));
    json_object_set_new(a, "event_count",
                        json_integer(json_integer_value(json_object_get(a, "event_count")) + 1));
    if (c->severity >= idw_alert_severity(a)) {
        json_object_set_new(a, "severity", json_string(idw_severity_name(c->severity)));
        json_object_set_new(a, "summary", json_string(c->summary));
        json_object_set_new(a, "evidence", json_string(c->evidence));
    }
    if (c->score > json_integer_value(json_object_get(a, "score")))
        json_object_set_new(a, "score", json_integer(c->score));
    merge_mitre(json_object_get(a, "mitre"), c->mitre);
    if (!o->historical)         /* live activity on an alert that began in a backfill */
        json_object_set_new(a, "historical", json_false());
}

/* An analyst resolved it or called it a false positive: new activity starts a new alert. */
static int closed(const json_t *a)
{
    enum idw_alert_status s = idw_alert_status(a);
    return s == IDW_ALERT_RESOLVED || s == IDW_ALERT_FALSE_POSITIVE;
}

/*
 * The open alert of (rule, domain, entity) if its last_seen is within
 * window_ms of t: IDW_OK with *out, IDW_NOTFOUND (*out NULL: start a new
 * one), IDW_ERR on a read error.
 */
static enum idw_rc open_alert(struct idw_store *st, MDB_txn *txn, const char *domain, const char *rule,
                              const struct idw_alert_candidate *c, int64_t t, json_t **out,
                              char *err, size_t errlen)
{
    char id[IDW_UUID_STRLEN];
    size_t n = 0;
    enum idw_rc rc = idw_store_kv_get(st, txn, st->alert_key, rule, domain, c->entity, id,
                                      sizeof id - 1, &n, err, errlen);

    *out = NULL;
    if (rc != IDW_OK)
        return rc;
    if (n >= IDW_UUID_STRLEN)
        return IDW_NOTFOUND;
    id[n] = '\0';
    rc = idw_alert_get(st, txn, domain, id, out, err, errlen);
    if (rc != IDW_OK)
        return rc;
    if (t - idw_alert_last_seen_ms(*out) > c->window_ms || closed(*out)) {
        json_decref(*out);
        *out = NULL;
        return IDW_NOTFOUND;
    }
    return IDW_OK;
}

/* Points (rule, domain, entity) at the new alert: the one later candidates fold into. */
static enum idw_rc index_alert(struct idw_store *st, MDB_txn *txn, const char *domain, const char *rule,
                               const char *entity, const char *id, char *err, size_t errlen)
{
    if (idw_store_kv_put(st, txn, st->alert_key, rule, domain, entity, id, strlen(id), err, errlen) < 0)
        return IDW_ERR;
    return IDW_OK;
}

/*
 * A counter of alerts raised, by rule and severity (meta "alerts_raised"):
 * what `idwatch metrics` exports as idwatch_alerts_raised_total.
 */
static enum idw_rc count_raised(struct idw_store *st, MDB_txn *txn, const char *rule, const char *severity,
                                char *err, size_t errlen)
{
    json_t *doc = NULL, *by;
    int rc;

    if (idw_store_meta_get(st, txn, "alerts_raised", "_all", &doc, err, errlen) < 0)
        return IDW_ERR;
    if (!doc)
        doc = json_object();
    by = json_object_get(doc, rule);
    if (!by) {
        by = json_object();
        json_object_set_new(doc, rule, by);
    }
    json_object_set_new(by, severity, json_integer(json_integer_value(json_object_get(by, severity)) + 1));
    rc = idw_store_meta_put(st, txn, "alerts_raised", "_all", doc, err, errlen);
    json_decref(doc);
    return rc < 0 ? IDW_ERR : IDW_OK;
}

/*
 * The daemon logs live alerts as they are raised or escalated (historical
 * ones are not: a backfill raises thousands; nor are a file replay's).
 */
static void log_raised(const struct idw_alerts *al, const json_t *a, const char *what)
{
    const char *id = idw_alert_id(a), *sev = str(a, "severity"), *user = idw_alert_user(a);
    const char *rule = idw_alert_rule(a);
    json_t *f;

    if (!al || !al->log_raised || idw_alert_historical(a))
        return;
    f = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?}", "alert_id", id, "rule", rule, "severity", sev,
                  "user", user, "org", idw_alert_domain(a));
    idw_log_fields(IDW_LOG_INFO, f, "alert %s: %s %s%s%s (%s)", what, sev ? sev : "?", rule ? rule : "?",
                   user ? " for " : "", user ? user : "", id ? id : "?");
}

/* ---- raising ----------------------------------------------------------------------------- */

/* A new alert for the candidate, indexed as the open one of its (rule, entity); NULL with err. */
static json_t *create(struct idw_store *st, MDB_txn *txn, const struct idw_alert_origin *o,
                      const struct idw_alert_candidate *c, char *err, size_t errlen)
{
    char id[IDW_UUID_STRLEN], ns[128], name[512];
    json_t *a;

    snprintf(ns, sizeof ns, "idwatch-alert:%s", o->domain);
    snprintf(name, sizeof name, "%s|%s|%s", o->rule, c->entity, o->ev->uuid);
    idw_uuid_derive(ns, name, id);
    a = new_alert(o, c, id);
    if (!a) {
        snprintf(err, errlen, "rule %s: cannot build an alert document", o->rule);
        return NULL;
    }
    if (index_alert(st, txn, o->domain, o->rule, c->entity, id, err, errlen) != IDW_OK) {
        json_decref(a);
        return NULL;
    }
    return a;
}

enum idw_rc idw_alert_raise(struct idw_alerts *al, struct idw_store *st, MDB_txn *txn,
                            const struct idw_alert_origin *o, const struct idw_alert_candidate *c,
                            enum idw_alert_change *change, char *err, size_t errlen)
{
    enum idw_alert_change what = IDW_ALERT_CREATED;
    json_t *a = NULL;
    enum idw_rc rc = open_alert(st, txn, o->domain, o->rule, c, o->ev->published_ms, &a, err, errlen);
    if (rc == IDW_ERR)
        return IDW_ERR;
    if (a) {
        what = c->severity > idw_alert_severity(a) ? IDW_ALERT_ESCALATED : IDW_ALERT_UPDATED;
        fold(a, o, c);
    } else {
        a = create(st, txn, o, c, err, errlen);
        if (!a)
            return IDW_ERR;
    }
    rc = publish(al, st, txn, a, err, errlen);
    if (rc == IDW_OK && what == IDW_ALERT_CREATED)
        rc = count_raised(st, txn, o->rule, idw_severity_name(c->severity), err, errlen);
    if (rc == IDW_OK && what != IDW_ALERT_UPDATED)
        log_raised(al, a, what == IDW_ALERT_CREATED ? "raised" : "escalated");
    if (rc == IDW_OK && change)
        *change = what;
    json_decref(a);
    return rc;
}

/* The connector's alert in txn: folded into the open one, or created. */
static enum idw_rc raise_connector_in(struct idw_alerts *al, struct idw_store *st, MDB_txn *txn,
                                      const char *domain, const char *rule_id,
                                      const struct idw_alert_candidate *c, int64_t now_ms,
                                      char *err, size_t errlen)
{
    char id[IDW_UUID_STRLEN], ns[128], name[512], ts[IDW_TIME_STRLEN];
    json_t *a = NULL;
    enum idw_rc rc = open_alert(st, txn, domain, rule_id, c, now_ms, &a, err, errlen);

    if (rc == IDW_ERR)
        return IDW_ERR;
    if (a) {
        set_last_seen(a, now_ms);
        json_object_set_new(a, "summary", json_string(c->summary));
        json_object_set_new(a, "evidence", json_string(c->evidence));
    } else {
        idw_time_format(now_ms, ts);
        snprintf(ns, sizeof ns, "idwatch-alert:%s", domain);
        snprintf(name, sizeof name, "%s|%s|%s", rule_id, c->entity, ts);
        idw_uuid_derive(ns, name, id);
        a = new_connector_alert(domain, rule_id, c, now_ms, id);
        if (!a) {
            snprintf(err, errlen, "%s: cannot build the alert document", rule_id);
            return IDW_ERR;
        }
        if (index_alert(st, txn, domain, rule_id, c->entity, id, err, errlen) != IDW_OK) {
            json_decref(a);
            return IDW_ERR;
        }
    }
    rc = publish(al, st, txn, a, err, errlen);
    json_decref(a);
    return rc;
}

enum idw_rc idw_alert_raise_connector(struct idw_alerts *al, struct idw_store *st, const char *domain,
                                      const char *rule_id, const struct idw_alert_candidate *c,
                                      int64_t now_ms, char *err, size_t errlen)
{
    MDB_txn *txn;

    if (idw_store_begin(st, 0, &txn, err, errlen) < 0)
        return IDW_ERR;
    if (raise_connector_in(al, st, txn, domain, rule_id, c, now_ms, err, errlen) != IDW_OK) {
        mdb_txn_abort(txn);
        return IDW_ERR;
    }
    return idw_store_commit(txn, err, errlen) < 0 ? IDW_ERR : IDW_OK;
}

/* ---- review ------------------------------------------------------------------------------- */

/* Whether an analyst may move an alert from `from` to `to` (alert.h's table). */
static int transition_allowed(enum idw_alert_status from, enum idw_alert_status to)
{
    switch (to) {
    case IDW_ALERT_ACKNOWLEDGED:
        return from == IDW_ALERT_OPEN;
    case IDW_ALERT_RESOLVED:
        return from == IDW_ALERT_OPEN || from == IDW_ALERT_ACKNOWLEDGED;
    case IDW_ALERT_FALSE_POSITIVE:
        return from != IDW_ALERT_FALSE_POSITIVE;
    case IDW_ALERT_OPEN:
        break;
    }
    return 0;
}

/*
 * `fp`: the analyst says the alerting context was the user after all, so
 * the persona now trusts it and the same context stops alerting.  The
 * persona generation moves so a running pipeline reloads the persona.
 */
static enum idw_rc teach_persona(struct idw_store *st, MDB_txn *txn, const json_t *a,
                                 const struct idw_persona_params *prm, char *err, size_t errlen)
{
    const char *tuid = idw_alert_tuid(a), *domain = idw_alert_domain(a);
    const json_t *ctx = json_object_get(a, "context");
    struct idw_persona *p;
    enum idw_rc rc = IDW_OK;
    int got;

    if (!tuid || !domain || !json_is_object(ctx))
        return IDW_OK;          /* keyed by a source: no persona to teach */
    p = malloc(sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return IDW_ERR;
    }
    got = idw_store_persona_get(st, txn, domain, tuid, p, err, errlen);
    if (got == 0) {
        idw_persona_trust_context(p, ctx, idw_alert_last_seen_ms(a), prm);
        if (idw_store_persona_put(st, txn, domain, p, err, errlen) < 0 ||
            idw_store_persona_bump(st, txn, domain, err, errlen) < 0)
            rc = IDW_ERR;
    } else if (got < 0) {
        rc = IDW_ERR;           /* a read error must not pass for "no persona" */
    }
    free(p);
    return rc;
}

/*
 * Status (unless r->to is OPEN: no status change), assignee (when given;
 * "" clears it to null) and the history entry {time, status, note, by,
 * assignee?}.
 */
static void record_review(json_t *a, const struct idw_alert_review *r)
{
    char when[IDW_TIME_STRLEN];
    const char *status = idw_alert_status_name(r->to == IDW_ALERT_OPEN ? idw_alert_status(a) : r->to);
    json_t *entry;

    idw_time_format(r->at_ms, when);
    json_object_set_new(a, "status", json_string(status));
    if (r->assignee)
        json_object_set_new(a, "assignee", *r->assignee ? json_string(r->assignee) : json_null());
    if (!json_is_array(json_object_get(a, "history")))
        json_object_set_new(a, "history", json_array());
    entry = json_pack("{s:s, s:s, s:s?, s:s}", "time", when, "status", status, "note", r->note, "by", r->by);
    if (entry && r->assignee)
        json_object_set(entry, "assignee", json_object_get(a, "assignee"));
    json_array_append_new(json_object_get(a, "history"), entry);
}

int idw_alert_review_refused(const json_t *a, const char *alert_id, const struct idw_alert_review *r,
                             char *err, size_t errlen)
{
    if (r->to == IDW_ALERT_OPEN) {
        if (r->assignee || r->note)
            return 0;
        snprintf(err, errlen, "alert %s: a review needs a status, an assignee or a note", alert_id);
        return 1;
    }
    if (transition_allowed(idw_alert_status(a), r->to))
        return 0;
    snprintf(err, errlen, "alert %s is %s: it cannot become %s", alert_id,
             idw_alert_status_name(idw_alert_status(a)), idw_alert_status_name(r->to));
    return 1;
}

enum idw_rc idw_alert_review(struct idw_alerts *al, struct idw_store *st, MDB_txn *txn,
                             const char *alert_id, const struct idw_alert_review *r,
                             json_t **out, char *err, size_t errlen)
{
    json_t *a = NULL;
    enum idw_rc rc;

    if (out)
        *out = NULL;
    if (!r->by || !*r->by) {
        snprintf(err, errlen, "alert %s: a review needs the analyst's identity", alert_id);
        return IDW_ERR;
    }
    rc = idw_alert_find(st, txn, alert_id, &a, err, errlen);
    if (rc != IDW_OK)
        return rc;
    if (idw_alert_review_refused(a, alert_id, r, err, errlen)) {
        json_decref(a);
        return IDW_ERR;
    }
    record_review(a, r);
    rc = r->to == IDW_ALERT_FALSE_POSITIVE ? teach_persona(st, txn, a, r->prm, err, errlen) : IDW_OK;
    if (rc == IDW_OK)
        rc = publish(al, st, txn, a, err, errlen);
    if (rc == IDW_OK && out)
        *out = json_incref(a);
    json_decref(a);
    return rc;
}

/* ---- reading -------------------------------------------------------------------------------- */

enum idw_rc idw_alert_get(struct idw_store *st, MDB_txn *txn, const char *domain, const char *alert_id,
                          json_t **out, char *err, size_t errlen)
{
    int rc = idw_store_kv_json(st, txn, st->alerts, domain, alert_id, NULL, out, err, errlen);

    if (rc < 0)
        return IDW_ERR;
    return rc == 0 && *out ? IDW_OK : IDW_NOTFOUND;
}

struct walk {
    idw_alert_fn fn;
    void *ctx;
};

static int walk_one(const char *key, size_t keylen, const char *val, size_t vallen, void *vw)
{
    struct walk *w = vw;
    json_t *a = json_loadb(val, vallen, 0, NULL);
    int stop = 0;

    (void)key;
    (void)keylen;
    if (a)
        stop = w->fn(a, w->ctx);
    json_decref(a);
    return stop;
}

enum idw_rc idw_alert_each(struct idw_store *st, MDB_txn *txn, idw_alert_fn fn, void *ctx,
                           char *err, size_t errlen)
{
    struct walk w = {fn, ctx};

    if (idw_store_kv_each(st, txn, st->alerts, NULL, walk_one, &w, err, errlen) < 0)
        return IDW_ERR;
    return IDW_OK;
}

struct find {
    const char *id;
    json_t *found;
};

static int match_id(const json_t *a, void *vf)
{
    struct find *f = vf;
    const char *id = idw_alert_id(a);

    if (!id || strcmp(id, f->id) != 0)
        return 0;
    f->found = json_deep_copy(a);
    return 1;
}

enum idw_rc idw_alert_find(struct idw_store *st, MDB_txn *txn, const char *alert_id, json_t **out,
                           char *err, size_t errlen)
{
    struct find f = {alert_id, NULL};

    *out = NULL;
    if (idw_alert_each(st, txn, match_id, &f, err, errlen) != IDW_OK) {
        json_decref(f.found);
        return IDW_ERR;
    }
    *out = f.found;
    return f.found ? IDW_OK : IDW_NOTFOUND;
}
