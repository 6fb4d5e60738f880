/*
 * outbox.c — the durable delivery queue in LMDB (see outbox.h).
 */
#include "deliver/outbox.h"
#include "alert/incident.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static void be64(uint64_t v, unsigned char out[8])
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out[i] = (unsigned char)(v & 0xff);
}

static uint64_t from_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static enum idw_rc fail(char *err, size_t errlen, const char *what, int rc)
{
    snprintf(err, errlen, "outbox %s: %s", what, mdb_strerror(rc));
    return IDW_ERR;
}

/*
 * The next sequence number, never reused: a persistent counter (so an
 * emptied outbox does not start again at 1 while another process still
 * holds an old entry's number), and never below one past the last key.
 */
static enum idw_rc next_seq(struct idw_store *st, MDB_txn *txn, uint64_t *seq, char *err, size_t errlen)
{
    MDB_cursor *cur;
    MDB_val k, v;
    uint64_t counter = 0, last = 0;
    size_t n;
    int rc;

    if (idw_store_kv_get(st, txn, st->rule_state, "_outbox", "all", "next_seq", &counter,
                         sizeof counter, &n, err, errlen) < 0)
        return IDW_ERR;
    rc = mdb_cursor_open(txn, st->outbox, &cur);
    if (rc)
        return fail(err, errlen, "cursor", rc);
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    mdb_cursor_close(cur);
    if (rc && rc != MDB_NOTFOUND)
        return fail(err, errlen, "last", rc);
    if (rc == 0 && k.mv_size == 8)
        last = from_be64(k.mv_data);
    *seq = counter > last ? counter : last + 1;
    if (*seq == 0)
        *seq = 1;
    counter = *seq + 1;
    return idw_store_kv_put(st, txn, st->rule_state, "_outbox", "all", "next_seq", &counter,
                            sizeof counter, err, errlen);
}

enum idw_rc idw_outbox_put(struct idw_store *st, MDB_txn *txn, uint64_t seq, const json_t *entry,
                           char *err, size_t errlen)
{
    unsigned char key[8];
    char *text = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
    MDB_val k = {8, key}, v;
    int rc;

    if (!text) {
        snprintf(err, errlen, "outbox: cannot encode entry %llu", (unsigned long long)seq);
        return IDW_ERR;
    }
    be64(seq, key);
    v.mv_size = strlen(text);
    v.mv_data = text;
    rc = mdb_put(txn, st->outbox, &k, &v, 0);
    free(text);
    return rc ? fail(err, errlen, "put", rc) : IDW_OK;
}

/* An incident document (alert/incident.h) rather than an alert. */
static int is_incident(const json_t *doc)
{
    const char *type = json_string_value(json_object_get(doc, "type"));

    return type && !strcmp(type, "incident");
}

static int passes(const struct idw_outbox_target *t, const json_t *alert)
{
    if (is_incident(alert) && !t->incidents)
        return 0;
    if (idw_alert_severity(alert) < t->min_severity)
        return 0;
    return t->deliver_historical || !idw_alert_historical(alert);
}

/* The entry that queues alert for target: NULL when the alert lacks an id or version. */
static json_t *new_entry(uint64_t seq, const char *domain, const char *target, const json_t *alert,
                         int64_t now)
{
    return json_pack("{s:I, s:s, s:s, s:O, s:O, s:O, s:O, s:s, s:i, s:I, s:I, s:i, s:s, s:O}",
                     "seq", (json_int_t)seq, "domain", domain, "target", target,
                     "alert_id", json_object_get(alert, "alert_id"),
                     "version", json_object_get(alert, "version"),
                     "rule", json_object_get(alert, "rule"),
                     "severity", json_object_get(alert, "severity"), "state", "pending",
                     "attempts", 0, "created_ms", (json_int_t)now, "next_ms", (json_int_t)now,
                     "last_status", 0, "last_error", "", "alert", alert);
}

/* An incident's entry: keyed by its incident_id where an alert's has its alert_id. */
static json_t *new_incident_entry(uint64_t seq, const char *domain, const char *target, const json_t *inc,
                                  int64_t now)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:O, s:O, s:s, s:O, s:s, s:i, s:I, s:I, s:i, s:s, s:O}",
                     "seq", (json_int_t)seq, "domain", domain, "target", target, "kind", "incident",
                     "alert_id", json_object_get(inc, "incident_id"),
                     "version", json_object_get(inc, "version"), "rule", "incident",
                     "severity", json_object_get(inc, "severity"), "state", "pending",
                     "attempts", 0, "created_ms", (json_int_t)now, "next_ms", (json_int_t)now,
                     "last_status", 0, "last_error", "", "alert", inc);
}

enum idw_rc idw_outbox_enqueue(struct idw_store *st, MDB_txn *txn, const char *domain, const json_t *alert,
                               const struct idw_outbox_target *targets, size_t ntargets,
                               size_t *queued, char *err, size_t errlen)
{
    int64_t now = idw_now_ms();
    uint64_t seq;
    size_t n = 0;
    enum idw_rc rc;

    if (queued)
        *queued = 0;
    for (size_t i = 0; i < ntargets; i++) {
        json_t *e;
        if (!passes(&targets[i], alert))
            continue;
        if (next_seq(st, txn, &seq, err, errlen) < 0)
            return IDW_ERR;
        e = is_incident(alert) ? new_incident_entry(seq, domain, targets[i].name, alert, now)
                               : new_entry(seq, domain, targets[i].name, alert, now);
        if (!e) {
            snprintf(err, errlen, "outbox: alert without id or version (or out of memory)");
            return IDW_ERR;
        }
        rc = idw_outbox_put(st, txn, seq, e, err, errlen);
        json_decref(e);
        if (rc < 0)
            return IDW_ERR;
        n++;
    }
    if (queued)
        *queued = n;
    return IDW_OK;
}

/* ---- registered targets ----------------------------------------------------- */

#define REGISTERED "outbox_targets"

enum idw_rc idw_outbox_register_target(struct idw_store *st, MDB_txn *txn, const struct idw_outbox_target *t,
                                       char *err, size_t errlen)
{
    json_t *doc = NULL, *one;
    enum idw_rc rc = idw_store_meta_get(st, txn, REGISTERED, "_all", &doc, err, errlen);

    if (rc < 0)
        return IDW_ERR;
    if (!doc)
        doc = json_object();
    one = json_pack("{s:s, s:b, s:b}", "min_severity", idw_severity_name(t->min_severity),
                    "deliver_historical", t->deliver_historical, "incidents", t->incidents);
    if (!doc || !one || json_object_set_new(doc, t->name, one) < 0) {
        json_decref(doc);
        snprintf(err, errlen, "outbox target %s: out of memory", t->name);
        return IDW_ERR;
    }
    rc = idw_store_meta_put(st, txn, REGISTERED, "_all", doc, err, errlen);
    json_decref(doc);
    return rc;
}

/* One registered target from its record; IDW_ERR with err naming it when it is not one. */
static enum idw_rc read_registered(const char *name, const json_t *o, struct idw_outbox_target *t,
                                   char *err, size_t errlen)
{
    const json_t *hist = json_object_get(o, "deliver_historical"), *inc = json_object_get(o, "incidents");

    memset(t, 0, sizeof *t);
    if (strlen(name) >= sizeof t->name || !json_is_boolean(hist) || !json_is_boolean(inc) ||
        idw_severity_parse(json_string_value(json_object_get(o, "min_severity")), &t->min_severity) < 0) {
        snprintf(err, errlen, "meta %s: target '%.200s': damaged record", REGISTERED, name);
        return IDW_ERR;
    }
    idw_strlcpy(t->name, name, sizeof t->name);
    t->deliver_historical = json_is_true(hist);
    t->incidents = json_is_true(inc);
    return IDW_OK;
}

enum idw_rc idw_outbox_registered(struct idw_store *st, MDB_txn *txn, struct idw_outbox_target **out,
                                  size_t *n, char *err, size_t errlen)
{
    json_t *doc = NULL, *o;
    const char *name;
    enum idw_rc rc = idw_store_meta_get(st, txn, REGISTERED, "_all", &doc, err, errlen);

    *out = NULL;
    *n = 0;
    if (rc < 0)
        return IDW_ERR;
    if (!json_object_size(doc)) {
        json_decref(doc);
        return IDW_OK;
    }
    *out = calloc(json_object_size(doc), sizeof **out);
    rc = *out ? IDW_OK : IDW_ERR;
    if (!*out)
        snprintf(err, errlen, "meta %s: out of memory", REGISTERED);
    json_object_foreach(doc, name, o) {
        if (rc == IDW_OK)
            rc = read_registered(name, o, &(*out)[(*n)++], err, errlen);
    }
    json_decref(doc);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- the alert sink ------------------------------------------------------------ */

struct sink_targets {
    struct idw_outbox_target *t;
    size_t n;
};

static int has_target(const struct sink_targets *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->t[i].name, name))
            return 1;
    return 0;
}

/*
 * The database's registered targets that the sink was not made with: a
 * process that registered one also routes to it, and must not queue twice.
 */
static enum idw_rc enqueue_registered(struct idw_store *st, MDB_txn *txn, const char *domain,
                                      const json_t *alert, const struct sink_targets *s,
                                      char *err, size_t errlen)
{
    struct idw_outbox_target *reg;
    size_t n;
    enum idw_rc rc = idw_outbox_registered(st, txn, &reg, &n, err, errlen);

    for (size_t i = 0; rc == IDW_OK && i < n; i++)
        if (!has_target(s, reg[i].name))
            rc = idw_outbox_enqueue(st, txn, domain, alert, &reg[i], 1, NULL, err, errlen);
    free(reg);
    return rc;
}

static enum idw_rc enqueue_version(struct idw_store *st, MDB_txn *txn, const json_t *alert, void *ctx,
                                   char *err, size_t errlen)
{
    const struct sink_targets *s = ctx;
    const char *domain = idw_alert_domain(alert);

    if (!domain) {
        snprintf(err, errlen, "outbox: alert without domain_id");
        return IDW_ERR;
    }
    if (idw_outbox_enqueue(st, txn, domain, alert, s->t, s->n, NULL, err, errlen) < 0)
        return IDW_ERR;
    return enqueue_registered(st, txn, domain, alert, s, err, errlen);
}

static void release_targets(void *ctx)
{
    struct sink_targets *s = ctx;

    if (s)
        free(s->t);
    free(s);
}

enum idw_rc idw_outbox_sink(const struct idw_outbox_target *t, size_t n, struct idw_alert_sink *out)
{
    struct sink_targets *s = calloc(1, sizeof *s);

    if (s && n)
        s->t = malloc(n * sizeof *s->t);
    if (!s || (n && !s->t)) {
        free(s);
        return IDW_ERR;
    }
    if (n)
        memcpy(s->t, t, n * sizeof *s->t);
    s->n = n;
    *out = (struct idw_alert_sink){.fn = enqueue_version, .ctx = s, .release = release_targets};
    return IDW_OK;
}

/* The entry stored in v, or NULL (je, which may be NULL, says why and at which byte). */
enum idw_rc idw_outbox_attach(struct idw_alerts *al, const json_t *root, const struct idw_outbox_target *t,
                              size_t n, char *err, size_t errlen)
{
    struct idw_alert_sink sink;
    int64_t window_ms;

    if (idw_incident_window_conf(root, &window_ms, err, errlen) != IDW_OK)
        return IDW_ERR;
    idw_alerts_incident_window(al, window_ms);
    if (idw_outbox_sink(t, n, &sink) != IDW_OK || idw_alerts_add_sink(al, &sink) != IDW_OK ||
        idw_outbox_sink(t, n, &sink) != IDW_OK || idw_alerts_add_incident_sink(al, &sink) != IDW_OK) {
        snprintf(err, errlen, "out of memory");
        return IDW_ERR;
    }
    return IDW_OK;
}

static json_t *decode(const MDB_val *v, json_error_t *je)
{
    return json_loadb(v->mv_data, v->mv_size, 0, je);
}

enum idw_rc idw_outbox_each(struct idw_store *st, MDB_txn *txn, idw_outbox_fn fn, void *ctx,
                            char *err, size_t errlen)
{
    MDB_cursor *cur;
    MDB_val k, v;
    int rc, verdict = 0;

    if (st->outbox == IDW_STORE_NO_DBI)
        return IDW_OK;      /* an older database opened read-only: no outbox yet */
    rc = mdb_cursor_open(txn, st->outbox, &cur);
    if (rc)
        return fail(err, errlen, "cursor", rc);
    for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0 && verdict == 0;
         rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
        json_t *e = k.mv_size == 8 ? decode(&v, NULL) : NULL;
        if (!e)
            continue;       /* not ours or corrupt: leave it, never crash on it */
        verdict = fn(from_be64(k.mv_data), e, ctx);
        json_decref(e);
        if (verdict < 0)
            snprintf(err, errlen, "outbox walk: failed at entry %llu (out of memory)",
                     (unsigned long long)from_be64(k.mv_data));
    }
    mdb_cursor_close(cur);
    if (verdict < 0)
        return IDW_ERR;
    if (rc && rc != MDB_NOTFOUND)
        return fail(err, errlen, "walk", rc);
    return IDW_OK;
}

enum idw_rc idw_outbox_get(struct idw_store *st, MDB_txn *txn, uint64_t seq, json_t **out,
                           char *err, size_t errlen)
{
    unsigned char key[8];
    MDB_val k = {8, key}, v;
    json_error_t je;
    int rc;

    *out = NULL;
    if (st->outbox == IDW_STORE_NO_DBI)
        return IDW_NOTFOUND;
    be64(seq, key);
    rc = mdb_get(txn, st->outbox, &k, &v);
    if (rc == MDB_NOTFOUND)
        return IDW_NOTFOUND;
    if (rc)
        return fail(err, errlen, "get", rc);
    *out = decode(&v, &je);
    if (!*out) {
        snprintf(err, errlen, "outbox entry %llu: byte %d of %zu: %s (damaged, or out of memory)",
                 (unsigned long long)seq, je.position, v.mv_size, je.text);
        return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_outbox_delete(struct idw_store *st, MDB_txn *txn, uint64_t seq, char *err, size_t errlen)
{
    unsigned char key[8];
    MDB_val k = {8, key};
    int rc;

    be64(seq, key);
    rc = mdb_del(txn, st->outbox, &k, NULL);
    return rc && rc != MDB_NOTFOUND ? fail(err, errlen, "delete", rc) : IDW_OK;
}
