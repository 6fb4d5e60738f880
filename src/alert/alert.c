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
#include <strings.h>

#include "alert/incident.h"
#include "common/log.h"
#include "common/util.h"

struct idw_alerts {
    struct idw_alert_sink *sinks;
    size_t n;
    struct idw_alert_sink *inc_sinks;   /* incident versions (incident.h) */
    size_t ninc;
    int64_t incident_window_ms;
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
const char *idw_alert_actor(const json_t *a) { return str(a, "actor"); }
const char *idw_alert_actor_tuid(const json_t *a) { return str(a, "actor_tuid"); }
const char *idw_alert_incident_id(const json_t *a) { return str(a, "incident_id"); }
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
    struct idw_alerts *al = calloc(1, sizeof(struct idw_alerts));

    if (al)
        al->incident_window_ms = IDW_INCIDENT_WINDOW_DEFAULT_MS;
    return al;
}

void idw_alerts_free(struct idw_alerts *al)
{
    if (!al)
        return;
    for (size_t i = 0; i < al->n; i++)
        if (al->sinks[i].release)
            al->sinks[i].release(al->sinks[i].ctx);
    for (size_t i = 0; i < al->ninc; i++)
        if (al->inc_sinks[i].release)
            al->inc_sinks[i].release(al->inc_sinks[i].ctx);
    free(al->sinks);
    free(al->inc_sinks);
    free(al);
}

/* Appends s to *list (of *n); on failure s's ctx is released, as the callers promise. */
static enum idw_rc add_to(struct idw_alert_sink **list, size_t *n, const struct idw_alert_sink *s)
{
    struct idw_alert_sink *grown = realloc(*list, (*n + 1) * sizeof *grown);

    if (!grown) {
        if (s->release)
            s->release(s->ctx);
        return IDW_ERR;
    }
    *list = grown;
    (*list)[(*n)++] = *s;
    return IDW_OK;
}

enum idw_rc idw_alerts_add_sink(struct idw_alerts *al, const struct idw_alert_sink *s)
{
    return add_to(&al->sinks, &al->n, s);
}

enum idw_rc idw_alerts_add_incident_sink(struct idw_alerts *al, const struct idw_alert_sink *s)
{
    return add_to(&al->inc_sinks, &al->ninc, s);
}

void idw_alerts_incident_window(struct idw_alerts *al, int64_t window_ms)
{
    al->incident_window_ms = window_ms;
}

/* What incident.c needs of the registry (no registry: default window, no sinks). */
static struct idw_incident_ctx incident_ctx(const struct idw_alerts *al)
{
    return (struct idw_incident_ctx){
        .window_ms = al ? al->incident_window_ms : IDW_INCIDENT_WINDOW_DEFAULT_MS,
        .sinks = al ? al->inc_sinks : NULL,
        .nsinks = al ? al->ninc : 0,
    };
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

/*
 * actor and actor_tuid: the human who acted when that is not the subject
 * (the admin who granted the role, reset the factor); null otherwise.
 * incident_id: null until incident.c assigns it.
 */
static void set_actor(json_t *a, const struct idw_event *ev, const char *actor_tuid)
{
    const char *login = ev->actor.login ? ev->actor.login : ev->actor.id;

    json_object_set_new(a, "actor", actor_tuid && login ? json_string(login) : json_null());
    json_object_set_new(a, "actor_tuid", actor_tuid ? json_string(actor_tuid) : json_null());
    json_object_set_new(a, "incident_id", json_null());
}

/* A rule's new alert, version 0 until published; actor_tuid NULL when no other human acted. */
static json_t *new_alert(const struct idw_alert_origin *o, const struct idw_alert_candidate *c,
                         const char *alert_id, const char *actor_tuid)
{
    const struct idw_event *ev = o->ev;
    char ts[IDW_TIME_STRLEN];
    /* alerts keyed by a source (ip:, asn:) are about no single user */
    int by_user = strncmp(c->entity, "user:", 5) == 0;

    json_t *a;

    idw_time_format(ev->published_ms, ts);
    a = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s?, s:s?, s:s?, s:s, s:s, s:I, s:I,"
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
    if (a)
        set_actor(a, ev, actor_tuid);
    return a;
}

/* The connector's new alert: wall-clock times, no event, no person, no context. */
static json_t *new_connector_alert(const char *domain, const char *rule_id,
                                   const struct idw_alert_candidate *c, int64_t now_ms, const char *alert_id)
{
    char ts[IDW_TIME_STRLEN];
    json_t *a;

    idw_time_format(now_ms, ts);
    a = json_pack("{s:s, s:s, s:s, s:i, s:s, s:n, s:n, s:n, s:s, s:s, s:I, s:I, s:[], s:i, s:s,"
                     " s:s, s:o, s:s, s:s, s:b, s:i, s:s, s:n}",
                     "alert_id", alert_id, "rule", rule_id, "severity", idw_severity_name(c->severity),
                     "score", c->score, "domain_id", domain, "tuid", "user", "ip",
                     "first_seen", ts, "last_seen", ts, "first_seen_ms", (json_int_t)now_ms,
                     "last_seen_ms", (json_int_t)now_ms, "event_ids", "event_count", 0,
                     "summary", c->summary, "evidence", c->evidence, "mitre", mitre_array(c->mitre),
                     "stage", c->stage ? c->stage : "", "status", "open", "historical", 0,
                     "version", 0, "entity", c->entity, "context");
    /* no event, so no actor and no incident: the connector is not a compromise */
    if (a) {
        json_object_set_new(a, "actor", json_null());
        json_object_set_new(a, "actor_tuid", json_null());
        json_object_set_new(a, "incident_id", json_null());
    }
    return a;
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

/*
 * The tuid of the human who acted, when that is not the person the alert
 * is about: an admin acting on a user, or the admin behind an alert keyed
 * by what was changed (a group's role).  "" when the subject acted, no
 * human did, or the alert is keyed by a source (ip:, asn:), where the
 * actor is only the account tried.  The pipeline has recorded the actor's
 * identity already; an unknown one gets the tuid it would be given.
 */
static enum idw_rc actor_tuid(struct idw_store *st, MDB_txn *txn, const struct idw_alert_origin *o,
                              const char *entity, char tuid[IDW_UUID_STRLEN], char *err, size_t errlen)
{
    const struct idw_event *ev = o->ev;
    int by_user = !strncmp(entity, "user:", 5);
    int by_source = !strncmp(entity, "ip:", 3) || !strncmp(entity, "asn:", 4);
    enum idw_rc rc;

    tuid[0] = '\0';
    if ((by_user && ev->subject_is_actor) || by_source || !ev->actor_is_human || !ev->actor.id)
        return IDW_OK;
    rc = idw_store_tuid(st, txn, o->domain, ev->actor.id, ev->actor.login, 0, tuid, err, errlen);
    if (rc == IDW_NOTFOUND)
        idw_store_derive_tuid(o->domain, ev->actor.id, tuid);
    return rc == IDW_ERR ? IDW_ERR : IDW_OK;
}

/* A new alert for the candidate, indexed as the open one of its (rule, entity); NULL with err. */
static json_t *create(struct idw_store *st, MDB_txn *txn, const struct idw_alert_origin *o,
                      const struct idw_alert_candidate *c, char *err, size_t errlen)
{
    char id[IDW_UUID_STRLEN], ns[128], name[512];
    json_t *a;

    char actor[IDW_UUID_STRLEN];

    snprintf(ns, sizeof ns, "idwatch-alert:%s", o->domain);
    snprintf(name, sizeof name, "%s|%s|%s", o->rule, c->entity, o->ev->uuid);
    idw_uuid_derive(ns, name, id);
    if (actor_tuid(st, txn, o, c->entity, actor, err, errlen) == IDW_ERR)
        return NULL;
    a = new_alert(o, c, id, actor[0] ? actor : NULL);
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
    struct idw_incident_ctx ic = incident_ctx(al);
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
    /* the incident first, so every version of the alert carries its incident_id */
    rc = idw_incident_on_alert(&ic, st, txn, a, what, err, errlen);
    if (rc == IDW_OK)
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
enum idw_rc idw_alert_raise_connector_in(struct idw_alerts *al, struct idw_store *st, MDB_txn *txn,
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
    if (idw_alert_raise_connector_in(al, st, txn, domain, rule_id, c, now_ms, err, errlen) != IDW_OK) {
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
    struct idw_incident_ctx ic = incident_ctx(al);
    enum idw_alert_status from;
    enum idw_rc rc;

    if (out)
        *out = NULL;
    if (!r->by || !*r->by) {
        snprintf(err, errlen, "alert %s: a review needs the analyst's identity", alert_id);
        return IDW_ERR;
    }
    rc = r->domain ? idw_alert_get(st, txn, r->domain, alert_id, &a, err, errlen)
                   : idw_alert_find(st, txn, alert_id, &a, err, errlen);
    if (rc != IDW_OK)
        return rc;
    if (idw_alert_review_refused(a, alert_id, r, err, errlen)) {
        json_decref(a);
        return IDW_ERR;
    }
    from = idw_alert_status(a);
    record_review(a, r);
    rc = r->to == IDW_ALERT_FALSE_POSITIVE ? teach_persona(st, txn, a, r->prm, err, errlen) : IDW_OK;
    if (rc == IDW_OK)
        rc = idw_incident_on_review(&ic, st, txn, a, from, err, errlen);
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

/* ---- by prefix ------------------------------------------------------------------------------ */

struct prefix {
    const char *prefix;
    size_t len;
    json_t *first;          /* the first match, a copy */
    json_t *ids;            /* every distinct matching id */
};

static int match_prefix(const json_t *a, void *vp)
{
    struct prefix *p = vp;
    const char *id = idw_alert_id(a);
    size_t i;

    if (!id || strncasecmp(id, p->prefix, p->len) != 0)
        return 0;
    for (i = 0; i < json_array_size(p->ids); i++)
        if (!strcmp(json_string_value(json_array_get(p->ids, i)), id))
            return 0;       /* the same id in another org: still one alert to the analyst */
    if (!p->first)
        p->first = json_deep_copy(a);
    json_array_append_new(p->ids, json_string(id));
    return 0;
}

static int by_text(const void *x, const void *y)
{
    return strcmp(json_string_value(*(json_t *const *)x), json_string_value(*(json_t *const *)y));
}

/* The ids, sorted, at most IDW_ALERT_PREFIX_LIST: a new array, or NULL when out of memory. */
static json_t *sorted_ids(const json_t *ids)
{
    size_t n = json_array_size(ids), i;
    json_t **v = malloc((n ? n : 1) * sizeof *v), *out = json_array();

    if (!v || !out) {
        free(v);
        json_decref(out);
        return NULL;
    }
    for (i = 0; i < n; i++)
        v[i] = json_array_get(ids, i);
    qsort(v, n, sizeof *v, by_text);
    for (i = 0; i < n && i < IDW_ALERT_PREFIX_LIST; i++)
        json_array_append(out, v[i]);
    free(v);
    return out;
}

/* Long enough to mean something, and only what an alert id is made of. */
enum idw_rc idw_alert_check_prefix(const char *prefix, char *err, size_t errlen)
{
    size_t len = strlen(prefix);

    if (len < IDW_ALERT_PREFIX_MIN) {
        snprintf(err, errlen, "alert id '%.40s': give at least %d characters", prefix,
                 IDW_ALERT_PREFIX_MIN);
        return IDW_ERR;
    }
    if (strspn(prefix, "0123456789abcdefABCDEF-") != len) {
        snprintf(err, errlen, "alert id '%.40s': expected hex digits and '-'", prefix);
        return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_alert_find_prefix(struct idw_store *st, MDB_txn *txn, const char *prefix, json_t **out,
                                  json_t **candidates, char *err, size_t errlen)
{
    struct prefix p = {.prefix = prefix, .len = strlen(prefix), .ids = json_array()};
    enum idw_rc rc;

    *out = NULL;
    if (candidates)
        *candidates = NULL;
    if (idw_alert_check_prefix(prefix, err, errlen) != IDW_OK)
        rc = IDW_ERR;
    else if (!p.ids)
        rc = IDW_ERR;
    else
        rc = idw_alert_each(st, txn, match_prefix, &p, err, errlen);
    if (!p.ids)
        snprintf(err, errlen, "out of memory");
    if (rc == IDW_OK && json_array_size(p.ids) == 1) {
        *out = json_incref(p.first);
    } else if (rc == IDW_OK && json_array_size(p.ids) > 1) {
        rc = IDW_EXISTS;
        if (candidates)
            *candidates = sorted_ids(p.ids);
    } else if (rc == IDW_OK) {
        rc = IDW_NOTFOUND;
    }
    json_decref(p.first);
    json_decref(p.ids);
    return rc;
}
