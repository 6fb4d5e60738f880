/*
 * incident.c — grouping alerts into incidents (incident.h): find the open
 * incident an alert belongs to through a small index (rule_state,
 * "_incident" / domain / "p:<tuid>" or "ip:<ip>" -> incident_id), fold
 * the alert in, and publish the new version: version + 1, stored, handed
 * to each incident sink, in the alert's transaction.
 */
#include "alert/incident.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/severity.h"
#include "common/util.h"

#define INDEX "_incident"

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int64_t num(const json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

const char *idw_incident_id(const json_t *inc) { return str(inc, "incident_id"); }

/* ---- the takeover chain ------------------------------------------------------------ */

static int is_access(const char *rule)
{
    static const char *const access[] = {"impossible_travel", "mfa_fatigue", "brute_force",
                                         "password_spray", "slow_spray", "factor_reset",
                                         "new_context", "okta_threat"};

    for (size_t i = 0; rule && i < sizeof access / sizeof access[0]; i++)
        if (!strcmp(rule, access[i]))
            return 1;
    return 0;
}

/* privilege_grant, session_hijack, or a Sigma rule (every other rule but the connector's). */
static int is_control(const char *rule)
{
    return rule && !is_access(rule) && strcmp(rule, "connector_starved") != 0;
}

/* chain.<side>.<tuid> = ms: the earliest access, the latest control. */
static void chain_note(json_t *inc, const char *side, const char *tuid, int64_t ms, int earliest)
{
    json_t *chain = json_object_get(inc, "chain"), *m, *have;

    if (!tuid)
        return;
    if (!json_is_object(chain)) {
        chain = json_object();
        json_object_set_new(inc, "chain", chain);
    }
    m = json_object_get(chain, side);
    if (!json_is_object(m)) {
        m = json_object();
        json_object_set_new(chain, side, m);
    }
    have = json_object_get(m, tuid);
    if (!have && json_object_size(m) >= IDW_INCIDENT_MAX_LIST)
        return;
    if (!have || (earliest ? ms < json_integer_value(have) : ms > json_integer_value(have)))
        json_object_set_new(m, tuid, json_integer(ms));
}

/* The tuid of a person whose access came at or before a control alert about them; NULL: none. */
static const char *chain_complete(const json_t *inc)
{
    const json_t *chain = json_object_get(inc, "chain");
    const json_t *access = json_object_get(chain, "access"), *control = json_object_get(chain, "control");
    const char *tuid;
    json_t *t;

    json_object_foreach((json_t *)access, tuid, t) {
        const json_t *c = json_object_get(control, tuid);
        if (c && json_integer_value(t) <= json_integer_value(c))
            return tuid;
    }
    return NULL;
}

/* The login (else the tuid) of person tuid of the incident; of its first person when tuid is NULL. */
static const char *person_name(const json_t *inc, const char *tuid)
{
    const json_t *people = json_object_get(inc, "people"), *p;
    size_t i;

    json_array_foreach(people, i, p) {
        const char *t = str(p, "tuid");
        if (!tuid || (t && !strcmp(t, tuid)))
            return str(p, "user") ? str(p, "user") : t;
    }
    return tuid;
}

/* ---- folding an alert in ------------------------------------------------------------ */

/* Appends v (a string) to the array key unless there or full. */
static void add_unique(json_t *inc, const char *key, const char *v)
{
    json_t *arr = json_object_get(inc, key), *x;
    size_t i;

    if (!v)
        return;
    json_array_foreach(arr, i, x)
        if (json_is_string(x) && !strcmp(json_string_value(x), v))
            return;
    if (json_array_size(arr) < IDW_INCIDENT_MAX_LIST)
        json_array_append_new(arr, json_string(v));
}

static void add_person(json_t *inc, const char *tuid, const char *user)
{
    json_t *people = json_object_get(inc, "people"), *p;
    size_t i;

    if (!tuid)
        return;
    json_array_foreach(people, i, p)
        if (str(p, "tuid") && !strcmp(str(p, "tuid"), tuid))
            return;
    if (json_array_size(people) < IDW_INCIDENT_MAX_LIST)
        json_array_append_new(people, json_pack("{s:s, s:s?}", "tuid", tuid, "user", user));
}

static void add_timeline(json_t *inc, const json_t *a)
{
    json_t *tl = json_object_get(inc, "timeline");

    if (json_array_size(tl) >= IDW_INCIDENT_MAX_TIMELINE)
        return;
    json_array_append_new(tl, json_pack("{s:s?, s:s, s:s?, s:s?, s:s?, s:s?, s:s?}",
                                        "time", str(a, "last_seen"), "kind", "alert",
                                        "alert_id", idw_alert_id(a), "rule", idw_alert_rule(a),
                                        "severity", str(a, "severity"), "text", str(a, "summary"),
                                        "user", idw_alert_user(a)));
}

/* inc's first_seen or last_seen (and its _ms twin) taken from a's. */
static void set_time(json_t *inc, const char *key, const json_t *a)
{
    char ms_key[32];

    snprintf(ms_key, sizeof ms_key, "%s_ms", key);
    json_object_set(inc, key, json_object_get(a, key));
    json_object_set(inc, ms_key, json_object_get(a, ms_key));
}

/* A rule id as words: "password_spray" -> "Password spray". */
static void humanize(const char *rule, char *out, size_t outlen)
{
    idw_strlcpy(out, rule ? rule : "Activity", outlen);
    for (char *p = out; *p; p++)
        if (*p == '_')
            *p = ' ';
    if (out[0] >= 'a' && out[0] <= 'z')
        out[0] = (char)(out[0] - 'a' + 'A');
}

/* Title, severity and status from what the incident now holds. */
static void derive(json_t *inc)
{
    const char *victim = chain_complete(inc);
    /* a takeover is named after the person taken over, otherwise after the first person */
    const char *who = person_name(inc, victim);
    const char *ip = json_string_value(json_array_get(json_object_get(inc, "sources"), 0));
    const char *rule = json_string_value(json_array_get(json_object_get(inc, "rules"), 0));
    int takeover = victim != NULL;
    enum idw_severity sev = IDW_SEV_LOW;
    char title[384], words[128];

    if (idw_severity_parse(str(inc, "max_alert_severity"), &sev) < 0)
        sev = IDW_SEV_LOW;
    if (takeover)
        sev = IDW_SEV_CRITICAL;
    humanize(rule, words, sizeof words);
    if (who)
        snprintf(title, sizeof title, "%s: %s", takeover ? "Account takeover" : "Suspicious activity", who);
    else
        snprintf(title, sizeof title, "%s from %s", words, ip ? ip : "an unknown source");
    json_object_set_new(inc, "title", json_string(title));
    json_object_set_new(inc, "takeover", json_boolean(takeover));
    json_object_set_new(inc, "severity", json_string(idw_severity_name(sev)));
    json_object_set_new(inc, "status", json_string(num(inc, "open_alerts") > 0 ? "open" : "resolved"));
}

/* What every alert version brings: times, severity, people, sources, chain. */
static void fold_alert(json_t *inc, const json_t *a, int joining, int escalated)
{
    const char *rule = idw_alert_rule(a), *tuid = idw_alert_tuid(a), *actor = str(a, "actor_tuid");
    enum idw_severity max = IDW_SEV_LOW;

    if (num(a, "first_seen_ms") < num(inc, "first_seen_ms"))
        set_time(inc, "first_seen", a);
    if (num(a, "last_seen_ms") > num(inc, "last_seen_ms"))
        set_time(inc, "last_seen", a);
    if (idw_severity_parse(str(inc, "max_alert_severity"), &max) < 0 || idw_alert_severity(a) > max)
        json_object_set_new(inc, "max_alert_severity", json_string(str(a, "severity")));
    if (!idw_alert_historical(a))
        json_object_set_new(inc, "historical", json_false());
    add_person(inc, tuid, idw_alert_user(a));
    add_person(inc, actor, str(a, "actor"));
    if (!tuid)
        add_unique(inc, "sources", str(a, "ip"));
    if (joining) {
        add_unique(inc, "alert_ids", idw_alert_id(a));
        add_unique(inc, "rules", rule);
        json_object_set_new(inc, "alert_count", json_integer(num(inc, "alert_count") + 1));
        json_object_set_new(inc, "open_alerts", json_integer(num(inc, "open_alerts") + 1));
    }
    if (joining || escalated)
        add_timeline(inc, a);
    if (is_access(rule))
        chain_note(inc, "access", tuid, num(a, "first_seen_ms"), 1);
    if (is_control(rule)) {
        chain_note(inc, "control", tuid, num(a, "last_seen_ms"), 0);
        chain_note(inc, "control", actor, num(a, "last_seen_ms"), 0);
    }
    derive(inc);
}

/* A new incident around alert a (version 0 until published). */
static json_t *new_incident(const json_t *a)
{
    char ns[160], id[IDW_UUID_STRLEN];

    snprintf(ns, sizeof ns, "idwatch-incident:%s", idw_alert_domain(a));
    idw_uuid_derive(ns, idw_alert_id(a), id);
    return json_pack("{s:s, s:s, s:i, s:s, s:O?, s:O?, s:I, s:I, s:[], s:[], s:[], s:[], s:[], s:i, s:i,"
                     " s:s?, s:b}",
                     "type", "incident", "incident_id", id, "version", 0, "domain_id", idw_alert_domain(a),
                     "first_seen", json_object_get(a, "first_seen"), "last_seen",
                     json_object_get(a, "last_seen"), "first_seen_ms", (json_int_t)num(a, "first_seen_ms"),
                     "last_seen_ms", (json_int_t)num(a, "last_seen_ms"), "people", "sources", "alert_ids",
                     "rules", "timeline", "alert_count", 0, "open_alerts", 0,
                     "max_alert_severity", str(a, "severity"), "historical", idw_alert_historical(a));
}

/* ---- storage ------------------------------------------------------------------------ */

static enum idw_rc get(struct idw_store *st, MDB_txn *txn, const char *domain, const char *id, json_t **out,
                       char *err, size_t errlen)
{
    *out = NULL;
    if (st->incidents == IDW_STORE_NO_DBI)
        return IDW_NOTFOUND;
    return idw_store_kv_json(st, txn, st->incidents, domain, id, NULL, out, err, errlen);
}

/* version + 1, stored, each sink in order. */
static enum idw_rc publish(const struct idw_incident_ctx *ic, struct idw_store *st, MDB_txn *txn,
                           json_t *inc, char *err, size_t errlen)
{
    const char *domain = str(inc, "domain_id"), *id = idw_incident_id(inc);
    char *text;
    enum idw_rc rc;

    json_object_set_new(inc, "version", json_integer(num(inc, "version") + 1));
    text = json_dumps(inc, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) {
        snprintf(err, errlen, "incident %s: cannot encode the document", id ? id : "?");
        return IDW_ERR;
    }
    rc = idw_store_kv_put(st, txn, st->incidents, domain, id, NULL, text, strlen(text), err, errlen);
    free(text);
    for (size_t i = 0; rc == IDW_OK && i < ic->nsinks; i++)
        if (ic->sinks[i].fn(st, txn, inc, ic->sinks[i].ctx, err, errlen) != IDW_OK)
            rc = IDW_ERR;
    return rc;
}

/* ---- grouping ----------------------------------------------------------------------- */

/* The index keys of alert a: its people, or its source when it is about none. */
static size_t keys_of(const json_t *a, char keys[3][80])
{
    const char *tuid = idw_alert_tuid(a), *actor = str(a, "actor_tuid"), *ip = str(a, "ip");
    size_t n = 0;

    if (tuid)
        snprintf(keys[n++], 80, "p:%s", tuid);
    if (actor)
        snprintf(keys[n++], 80, "p:%s", actor);
    if (!tuid && ip)
        snprintf(keys[n++], 80, "ip:%.70s", ip);
    return n;
}

/* Whether inc can take an alert of event time t: open, and within the window. */
static int joinable(const json_t *inc, int64_t t, int64_t window_ms)
{
    int64_t last = num(inc, "last_seen_ms");

    return !strcmp(str(inc, "status") ? str(inc, "status") : "", "open") && t - last <= window_ms &&
           last - t <= window_ms;
}

/* inc began before best (then: the smaller id). */
static int older(const json_t *inc, const json_t *best)
{
    if (!best)
        return 1;
    if (num(inc, "first_seen_ms") != num(best, "first_seen_ms"))
        return num(inc, "first_seen_ms") < num(best, "first_seen_ms");
    return strcmp(idw_incident_id(inc) ? idw_incident_id(inc) : "",
                  idw_incident_id(best) ? idw_incident_id(best) : "") < 0;
}

/* The incident an index key points at, or NULL (absent, stale). */
static enum idw_rc lookup(struct idw_store *st, MDB_txn *txn, const char *domain, const char *key,
                          json_t **out, char *err, size_t errlen)
{
    char id[IDW_UUID_STRLEN];
    size_t n = 0;
    enum idw_rc rc = idw_store_kv_get(st, txn, st->rule_state, INDEX, domain, key, id, sizeof id - 1, &n,
                                      err, errlen);

    *out = NULL;
    if (rc != IDW_OK || n >= IDW_UUID_STRLEN)
        return rc == IDW_ERR ? IDW_ERR : IDW_NOTFOUND;
    id[n] = '\0';
    return get(st, txn, domain, id, out, err, errlen);
}

/* The open incident alert a joins (*out, or NULL: create one). */
static enum idw_rc find_open(const struct idw_incident_ctx *ic, struct idw_store *st, MDB_txn *txn,
                             const json_t *a, json_t **out, char *err, size_t errlen)
{
    char keys[3][80];
    size_t n = keys_of(a, keys);
    int64_t t = idw_alert_last_seen_ms(a);

    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        json_t *inc = NULL;
        if (lookup(st, txn, idw_alert_domain(a), keys[i], &inc, err, errlen) == IDW_ERR) {
            json_decref(*out);
            *out = NULL;
            return IDW_ERR;
        }
        if (inc && joinable(inc, t, ic->window_ms) && older(inc, *out)) {
            json_decref(*out);
            *out = inc;
        } else {
            json_decref(inc);
        }
    }
    return IDW_OK;
}

/* Points the alert's people and source at inc: later alerts about them join it. */
static enum idw_rc index_keys(struct idw_store *st, MDB_txn *txn, const json_t *a, const json_t *inc,
                              char *err, size_t errlen)
{
    char keys[3][80];
    size_t n = keys_of(a, keys);
    const char *id = idw_incident_id(inc);

    for (size_t i = 0; i < n; i++)
        if (idw_store_kv_put(st, txn, st->rule_state, INDEX, idw_alert_domain(a), keys[i], id, strlen(id),
                             err, errlen) != IDW_OK)
            return IDW_ERR;
    return IDW_OK;
}

/* The incident alert a already belongs to, or NULL (none yet, or gone). */
static enum idw_rc current(struct idw_store *st, MDB_txn *txn, const json_t *a, json_t **out,
                           char *err, size_t errlen)
{
    const char *id = str(a, "incident_id");
    enum idw_rc rc;

    *out = NULL;
    if (!id)
        return IDW_OK;
    rc = get(st, txn, idw_alert_domain(a), id, out, err, errlen);
    return rc == IDW_ERR ? IDW_ERR : IDW_OK;
}

enum idw_rc idw_incident_on_alert(const struct idw_incident_ctx *ic, struct idw_store *st, MDB_txn *txn,
                                  json_t *a, enum idw_alert_change what, char *err, size_t errlen)
{
    json_t *inc = NULL;
    int joining = 1;
    enum idw_rc rc = what == IDW_ALERT_CREATED ? IDW_OK : current(st, txn, a, &inc, err, errlen);

    if (rc == IDW_OK && inc)
        joining = 0;
    else if (rc == IDW_OK)
        rc = find_open(ic, st, txn, a, &inc, err, errlen);
    if (rc == IDW_OK && !inc)
        inc = new_incident(a);
    if (rc == IDW_OK && !inc) {
        snprintf(err, errlen, "alert %s: cannot build an incident (out of memory)", idw_alert_id(a));
        rc = IDW_ERR;
    }
    if (rc == IDW_OK) {
        fold_alert(inc, a, joining, what == IDW_ALERT_ESCALATED);
        json_object_set_new(a, "incident_id", json_string(idw_incident_id(inc)));
        rc = index_keys(st, txn, a, inc, err, errlen);
    }
    if (rc == IDW_OK)
        rc = publish(ic, st, txn, inc, err, errlen);
    json_decref(inc);
    return rc;
}

static int is_active(enum idw_alert_status s)
{
    return s == IDW_ALERT_OPEN || s == IDW_ALERT_ACKNOWLEDGED;
}

enum idw_rc idw_incident_on_review(const struct idw_incident_ctx *ic, struct idw_store *st, MDB_txn *txn,
                                   const json_t *a, enum idw_alert_status from, char *err, size_t errlen)
{
    json_t *inc = NULL;
    enum idw_rc rc = current(st, txn, a, &inc, err, errlen);
    int64_t open;

    if (rc != IDW_OK || !inc)
        return rc;
    open = num(inc, "open_alerts");
    /* Only a review that ends an alert's activity changes the incident (its open count, maybe its
     * status); an ack, an assignment, a note or resolved -> false_positive publish no new version. */
    if (is_active(from) && !is_active(idw_alert_status(a)) && open > 0) {
        json_object_set_new(inc, "open_alerts", json_integer(open - 1));
        derive(inc);
        rc = publish(ic, st, txn, inc, err, errlen);
    }
    json_decref(inc);
    return rc;
}

/* ---- reading ------------------------------------------------------------------------ */

struct walk {
    idw_incident_fn fn;
    void *ctx;
};

static int walk_one(const char *key, size_t keylen, const char *val, size_t vallen, void *vw)
{
    struct walk *w = vw;
    json_t *inc = json_loadb(val, vallen, 0, NULL);
    int stop = 0;

    (void)key;
    (void)keylen;
    if (inc)
        stop = w->fn(inc, w->ctx);
    json_decref(inc);
    return stop;
}

enum idw_rc idw_incident_each(struct idw_store *st, MDB_txn *txn, idw_incident_fn fn, void *ctx,
                              char *err, size_t errlen)
{
    struct walk w = {fn, ctx};

    if (st->incidents == IDW_STORE_NO_DBI)
        return IDW_OK;      /* an older database opened read-only: no incidents yet */
    return idw_store_kv_each(st, txn, st->incidents, NULL, walk_one, &w, err, errlen) == IDW_OK ? IDW_OK
                                                                                              : IDW_ERR;
}

struct find {
    const char *id;
    json_t *found;
};

static int match_id(const json_t *inc, void *vf)
{
    struct find *f = vf;
    const char *id = idw_incident_id(inc);

    if (!id || strcmp(id, f->id) != 0)
        return 0;
    f->found = json_deep_copy(inc);
    return 1;
}

enum idw_rc idw_incident_find(struct idw_store *st, MDB_txn *txn, const char *incident_id, json_t **out,
                              char *err, size_t errlen)
{
    struct find f = {incident_id, NULL};

    *out = NULL;
    if (idw_incident_each(st, txn, match_id, &f, err, errlen) != IDW_OK) {
        json_decref(f.found);
        return IDW_ERR;
    }
    *out = f.found;
    return f.found ? IDW_OK : IDW_NOTFOUND;
}

enum idw_rc idw_incident_window_conf(const json_t *root, int64_t *ms, char *err, size_t errlen)
{
    const json_t *v = json_object_get(json_object_get(root, "incidents"), "window_hours");
    double h;

    *ms = IDW_INCIDENT_WINDOW_DEFAULT_MS;
    if (!v)
        return IDW_OK;
    h = json_number_value(v);
    if (!json_is_number(v) || !(h > 0 && h <= 720)) {
        snprintf(err, errlen, "incidents.window_hours: expected a number of hours in (0, 720]");
        return IDW_ERR;
    }
    *ms = (int64_t)(h * 3600 * 1000);
    return IDW_OK;
}
