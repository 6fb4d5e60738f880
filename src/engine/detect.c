/*
 * detect.c — the engine: rule loading, the per-event run, rule state, and
 * the alert store with aggregation (see detect.h and docs/alerts.md).
 */
#include "engine/detect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/util.h"
#include "deliver/outbox.h"

#define MAX_EVENT_IDS 100           /* per alert; the count keeps going */

struct loaded_rule {
    const struct idw_rule *rule;
    void *self;
    int enabled;
    json_t *config;
};

struct idw_detect {
    struct loaded_rule *rules;          /* one per registered rule: no fixed cap */
    size_t n;
    struct idw_outbox_target *targets;  /* webhooks alerts are queued for */
    size_t ntargets;
    int log_alerts;                     /* log each live alert raised or escalated (the daemon) */
};

struct idw_detect_ctx {
    const struct idw_detect *d;
    struct idw_store *st;
    MDB_txn *txn;
    const char *domain;
    const struct idw_event *ev;
    const struct idw_persona *actor;
    const struct idw_rule *rule;
    const struct idw_persona_params *prm;
    int historical;
    int written;
    enum idw_severity worst;
    int failed;
    char *err;
    size_t errlen;
};

const char *idw_severity_name(enum idw_severity s)
{
    static const char *const n[] = {"low", "low", "medium", "high", "critical"};
    return (unsigned)s < 5 ? n[s] : "low";
}

int idw_severity_parse(const char *s, enum idw_severity *out)
{
    for (int i = IDW_SEV_LOW; i <= IDW_SEV_CRITICAL; i++)
        if (s && strcasecmp(s, idw_severity_name((enum idw_severity)i)) == 0) {
            *out = (enum idw_severity)i;
            return 0;
        }
    return -1;
}

/* ---- loading ---------------------------------------------------------------- */

/*
 * Every numeric setting is a count, a score, a distance, a speed or a
 * window, and rules convert them to integers (window_hours * 3600000 into
 * an int64_t, counts into unsigned): a negative or huge value would make
 * that conversion undefined, so it is refused here, naming the key.
 */
/* The table entry for key, or NULL. */
static const struct idw_rule_param *find_param(const struct idw_rule *r, const char *key)
{
    for (const struct idw_rule_param *p = r->params; p && p->name; p++)
        if (!strcmp(p->name, key))
            return p;
    return NULL;
}

/* "a, b, c": the keys a rule file may hold, for the error about an unknown one. */
static void known_keys(const struct idw_rule *r, char *out, size_t outlen)
{
    snprintf(out, outlen, "enabled");
    for (const struct idw_rule_param *p = r->params; p && p->name; p++)
        idw_strappendf(out, outlen, ", %s", p->name);
}

static int check_strings(const struct idw_rule_param *p, const char *path, const json_t *v,
                         char *err, size_t errlen)
{
    size_t i;
    const json_t *e;

    if (!json_is_array(v) || json_array_size(v) > (size_t)p->max)
        goto bad;
    json_array_foreach(v, i, e)
        if (!json_is_string(e) || json_string_length(e) == 0 || json_string_length(e) > 128)
            goto bad;
    return 0;
bad:
    snprintf(err, errlen, "%s: %s: expected an array of at most %g non-empty strings of at most 128 "
             "characters", path, p->name, p->max);
    return -1;
}

/* One key of a rule file against the rule's table; 0, or -1 with err naming file, key and range. */
static int check_setting(const struct idw_rule *r, const char *path, const char *key, const json_t *v,
                         char *err, size_t errlen)
{
    const struct idw_rule_param *p = find_param(r, key);
    char keys[512];

    if (!strcmp(key, "enabled")) {
        if (json_is_boolean(v))
            return 0;
        snprintf(err, errlen, "%s: enabled: expected true or false", path);
        return -1;
    }
    if (!p) {
        known_keys(r, keys, sizeof keys);
        snprintf(err, errlen, "%s: unknown setting '%.80s' (%s has: %s)", path, key, r->id, keys);
        return -1;
    }
    if (p->type == IDW_PARAM_STRINGS)
        return check_strings(p, path, v, err, errlen);
    if (!(p->type == IDW_PARAM_INTEGER ? json_is_integer(v) : json_is_number(v)) ||
        !(json_number_value(v) >= p->min && json_number_value(v) <= p->max)) {
        snprintf(err, errlen, "%s: %s: expected %s from %g to %g (default %g)", path, key,
                 p->type == IDW_PARAM_INTEGER ? "an integer" : "a number", p->min, p->max, p->def);
        return -1;
    }
    return 0;
}

/*
 * The configuration in effect: the file's settings, checked against the
 * rule's table, with every default filled in.  NULL with err on a bad file.
 */
static json_t *effective_config(const struct idw_rule *r, const json_t *file, const char *path,
                                char *err, size_t errlen)
{
    const char *k;
    const json_t *v;
    json_t *c = json_object();

    json_object_foreach((json_t *)file, k, v)
        if (check_setting(r, path, k, v, err, errlen) < 0) {
            json_decref(c);
            return NULL;
        }
    json_object_set_new(c, "enabled", json_boolean(!json_is_false(json_object_get(file, "enabled"))));
    for (const struct idw_rule_param *p = r->params; p && p->name; p++) {
        const json_t *mine = json_object_get(file, p->name);
        if (mine)
            json_object_set_new(c, p->name, json_deep_copy(mine));
        else if (p->type == IDW_PARAM_INTEGER)
            json_object_set_new(c, p->name, json_integer((json_int_t)p->def));
        else if (p->type == IDW_PARAM_NUMBER)
            json_object_set_new(c, p->name, json_real(p->def));
        /* an absent list: the rule's built-in one */
    }
    return c;
}

static json_t *load_rule_config(const char *dir, const struct idw_rule *r, char *err, size_t errlen,
                                int *bad)
{
    char path[4096];
    json_error_t je;
    json_t *j, *c;

    *bad = 0;
    if (!dir)
        return effective_config(r, NULL, "(defaults)", err, errlen);
    snprintf(path, sizeof path, "%s/%s.json", dir, r->id);
    errno = 0;
    j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        if (errno == ENOENT || strstr(je.text, "unable to open"))
            return effective_config(r, NULL, path, err, errlen);   /* no file: the rule's defaults */
        snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
        *bad = 1;
        return NULL;
    }
    if (!json_is_object(j)) {
        snprintf(err, errlen, "%s: must be a JSON object", path);
        json_decref(j);
        *bad = 1;
        return NULL;
    }
    c = effective_config(r, j, path, err, errlen);
    json_decref(j);
    *bad = c == NULL;
    return c;
}

int idw_detect_open(const char *rules_dir, struct idw_detect **out, char *err, size_t errlen)
{
    struct idw_detect *d = calloc(1, sizeof *d);
    int bad;

    size_t count = 0;

    *out = NULL;
    while (idw_rule_table[count])
        count++;
    if (!d || !(d->rules = calloc(count ? count : 1, sizeof *d->rules))) {
        free(d);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        struct loaded_rule *lr = &d->rules[d->n];
        lr->rule = idw_rule_table[i];
        lr->config = load_rule_config(rules_dir, lr->rule, err, errlen, &bad);
        if (bad || !lr->config) {
            idw_detect_close(d);
            return -1;
        }
        lr->enabled = !json_is_false(json_object_get(lr->config, "enabled"));
        lr->self = lr->rule->init ? lr->rule->init(lr->config, err, errlen) : NULL;
        if (lr->rule->init && !lr->self) {
            char tmp[512];
            snprintf(tmp, sizeof tmp, "rule %s: %s", lr->rule->id, err);
            snprintf(err, errlen, "%s", tmp);
            d->n++;
            idw_detect_close(d);
            return -1;
        }
        d->n++;
    }
    *out = d;
    return 0;
}

void idw_detect_close(struct idw_detect *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        if (d->rules[i].rule->free)
            d->rules[i].rule->free(d->rules[i].self);
        json_decref(d->rules[i].config);
    }
    free(d->rules);
    free(d->targets);
    free(d);
}

void idw_detect_log_alerts(struct idw_detect *d, int on)
{
    d->log_alerts = on;
}

int idw_detect_set_targets(struct idw_detect *d, const struct idw_outbox_target *t, size_t n)
{
    struct idw_outbox_target *copy = n ? malloc(n * sizeof *copy) : NULL;

    if (n && !copy)
        return -1;
    if (n)
        memcpy(copy, t, n * sizeof *copy);
    free(d->targets);
    d->targets = copy;
    d->ntargets = n;
    return 0;
}

/* The rule's settings table: [{"name", "default", "min", "max", "integer", "doc"}]. */
static json_t *describe_params(const struct idw_rule *r)
{
    json_t *a = json_array();

    for (const struct idw_rule_param *p = r->params; a && p && p->name; p++)
        json_array_append_new(a, json_pack("{s:s, s:s, s:f, s:f, s:f, s:s}", "name", p->name,
                                           "type", p->type == IDW_PARAM_INTEGER ? "integer"
                                                   : p->type == IDW_PARAM_NUMBER ? "number" : "strings",
                                           "default", p->def, "min", p->min, "max", p->max, "doc", p->doc));
    return a;
}

json_t *idw_detect_describe(const struct idw_detect *d)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < d->n; i++)
        json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:O?, s:o}", "id", d->rules[i].rule->id,
                                           "description", d->rules[i].rule->description,
                                           "enabled", d->rules[i].enabled,
                                           "config", d->rules[i].config,
                                           "params", describe_params(d->rules[i].rule)));
    return a;
}

/* ---- rule state --------------------------------------------------------------- */

size_t idw_state_get(struct idw_detect_ctx *ctx, const char *key, void *buf, size_t cap)
{
    size_t n;

    if (idw_store_kv_get(ctx->st, ctx->txn, ctx->st->rule_state, ctx->rule->id, ctx->domain,
                         key, buf, cap, &n, ctx->err, ctx->errlen) < 0)
        ctx->failed = 1;
    return n;
}

int idw_state_put(struct idw_detect_ctx *ctx, const char *key, const void *val, size_t len)
{
    if (idw_store_kv_put(ctx->st, ctx->txn, ctx->st->rule_state, ctx->rule->id, ctx->domain,
                         key, val, len, ctx->err, ctx->errlen) < 0) {
        ctx->failed = 1;
        return -1;
    }
    return 0;
}

double idw_rule_number(const json_t *config, const char *key, double def)
{
    const json_t *v = json_object_get(config, key);
    return json_is_number(v) ? json_number_value(v) : def;
}

const struct idw_persona_params *idw_detect_params(const struct idw_detect_ctx *ctx)
{
    return ctx->prm;
}

const struct idw_persona *idw_detect_actor(const struct idw_detect_ctx *ctx)
{
    return ctx->actor;
}

/* ---- org-wide network sharing ------------------------------------------------ */

unsigned idw_org_users_with(struct idw_detect_ctx *ctx, enum idw_dim d, const char *value)
{
    char key[IDW_PV_VALUE + 8];
    uint32_t n;

    if (!value || (d != IDW_DIM_ASNS && d != IDW_DIM_PREFIXES && d != IDW_DIM_COUNTRIES))
        return 0;
    snprintf(key, sizeof key, "%s:%s", d == IDW_DIM_ASNS ? "asn" : d == IDW_DIM_PREFIXES ? "pfx" : "cty",
             value);
    if (idw_store_org_get(ctx->st, ctx->txn, ctx->domain, key, &n, ctx->err, ctx->errlen) < 0)
        ctx->failed = 1;
    return n;
}

unsigned idw_org_users(struct idw_detect_ctx *ctx)
{
    uint32_t n;

    if (idw_store_org_get(ctx->st, ctx->txn, ctx->domain, "users", &n, ctx->err, ctx->errlen) < 0)
        ctx->failed = 1;
    return n;
}

int idw_org_shared_egress(struct idw_detect_ctx *ctx, const char *ip)
{
    char pfx[IDW_PV_VALUE];

    if (!ip || !*ip)
        return 0;
    idw_ip_prefix(ip, pfx, sizeof pfx);
    return idw_org_users_with(ctx, IDW_DIM_PREFIXES, pfx) >= IDW_SHARED_EGRESS_USERS;
}

int idw_org_common_asn(struct idw_detect_ctx *ctx, uint32_t asn)
{
    char v[24];
    unsigned users, total;

    if (!asn)
        return 0;
    snprintf(v, sizeof v, "AS%u", asn);
    users = idw_org_users_with(ctx, IDW_DIM_ASNS, v);
    total = idw_org_users(ctx);
    return users >= IDW_SHARED_EGRESS_USERS && users * 10 >= total;
}

/* ---- Okta's own risk signals ---------------------------------------------------- */

int idw_okta_risk_points(const struct idw_event *ev)
{
    int pts = 0;
    /* velocity is Okta's own infeasible-travel verdict; "new country" etc. repeat our novelty */
    const unsigned strong = IDW_BEH_VELOCITY;

    if (ev->threat_suspected)
        pts += 10;
    if (ev->risk_level && strcmp(ev->risk_level, "HIGH") == 0)
        pts += 10;
    else if (ev->risk_level && strcmp(ev->risk_level, "MEDIUM") == 0)
        pts += 5;
    if (ev->behaviors & strong)
        pts += 5;
    return pts > 25 ? 25 : pts;
}

/* ---- alerts ---------------------------------------------------------------------- */

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

static json_t *new_alert(struct idw_detect_ctx *ctx, const struct idw_alert_candidate *c,
                         const char *alert_id)
{
    const struct idw_event *ev = ctx->ev;
    char ts[IDW_TIME_STRLEN];
    /* alerts keyed by a source (ip:, asn:) are about no single user */
    int by_user = strncmp(c->entity, "user:", 5) == 0;

    idw_time_format(ev->published_ms, ts);
    return json_pack("{s:s, s:s, s:s, s:i, s:s, s:s?, s:s?, s:s?, s:s, s:s, s:I, s:I,"
                     " s:[s], s:s, s:s, s:o, s:s, s:s, s:b, s:i, s:s, s:o}",
                     "alert_id", alert_id, "rule", ctx->rule->id,
                     "severity", idw_severity_name(c->severity), "score", c->score,
                     "domain_id", ctx->domain, "tuid", by_user && ev->tuid[0] ? ev->tuid : NULL,
                     "user", by_user ? ev->subject.login : NULL, "ip", ev->ip,
                     "first_seen", ts, "last_seen", ts,
                     "first_seen_ms", (json_int_t)ev->published_ms,
                     "last_seen_ms", (json_int_t)ev->published_ms,
                     "event_ids", ev->uuid, "summary", c->summary, "evidence", c->evidence,
                     "mitre", mitre_array(c->mitre), "stage", c->stage ? c->stage : "",
                     "status", "open", "historical", ctx->historical, "version", 1,
                     "entity", c->entity, "context", event_context(ev));
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

/* The same rule and entity within the window: fold the new evidence in. */
static void update_alert(struct idw_detect_ctx *ctx, json_t *a, const struct idw_alert_candidate *c)
{
    enum idw_severity old = IDW_SEV_LOW;
    json_t *ids = json_object_get(a, "event_ids");
    char ts[IDW_TIME_STRLEN];

    idw_severity_parse(json_string_value(json_object_get(a, "severity")), &old);
    if (ctx->ev->published_ms > json_integer_value(json_object_get(a, "last_seen_ms"))) {
        idw_time_format(ctx->ev->published_ms, ts);
        json_object_set_new(a, "last_seen", json_string(ts));
        json_object_set_new(a, "last_seen_ms", json_integer(ctx->ev->published_ms));
    }
    if (json_array_size(ids) < MAX_EVENT_IDS)
        json_array_append_new(ids, json_string(ctx->ev->uuid));
    json_object_set_new(a, "event_count",
                        json_integer(json_integer_value(json_object_get(a, "event_count")) + 1));
    if (c->severity >= old) {
        json_object_set_new(a, "severity", json_string(idw_severity_name(c->severity)));
        json_object_set_new(a, "summary", json_string(c->summary));
        json_object_set_new(a, "evidence", json_string(c->evidence));
    }
    if (c->score > json_integer_value(json_object_get(a, "score")))
        json_object_set_new(a, "score", json_integer(c->score));
    merge_mitre(json_object_get(a, "mitre"), c->mitre);
    if (!ctx->historical)       /* live activity on an alert that began in a backfill */
        json_object_set_new(a, "historical", json_false());
    json_object_set_new(a, "version", json_integer(json_integer_value(json_object_get(a, "version")) + 1));
}

/* Stores the alert and queues this version for the webhooks, in the event's transaction. */
static int store_alert(struct idw_detect_ctx *ctx, const char *id, const json_t *a)
{
    char *text = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    int rc = text ? idw_store_kv_put(ctx->st, ctx->txn, ctx->st->alerts, ctx->domain, id, NULL,
                                     text, strlen(text), ctx->err, ctx->errlen) : -1;
    free(text);
    if (rc == 0 && ctx->d->ntargets &&
        idw_outbox_enqueue(ctx->st, ctx->txn, ctx->domain, a, ctx->d->targets, ctx->d->ntargets,
                           ctx->err, ctx->errlen) < 0)
        rc = -1;
    return rc;
}

/* An analyst resolved it or called it a false positive: new activity starts a new alert. */
static int closed(const json_t *a)
{
    const char *st = json_string_value(json_object_get(a, "status"));
    return st && (!strcmp(st, "resolved") || !strcmp(st, "false_positive"));
}

/* The open alert for (rule, entity) if it is still within the window, else NULL. */
static json_t *aggregate_target(struct idw_detect_ctx *ctx, const struct idw_alert_candidate *c,
                                char id[IDW_UUID_STRLEN])
{
    size_t n;
    json_t *a = NULL;

    if (idw_store_kv_get(ctx->st, ctx->txn, ctx->st->alert_key, ctx->rule->id, ctx->domain,
                         c->entity, id, IDW_UUID_STRLEN - 1, &n, ctx->err, ctx->errlen) < 0)
        ctx->failed = 1;
    if (n == 0 || n >= IDW_UUID_STRLEN)
        return NULL;
    id[n] = '\0';
    if (idw_store_kv_json(ctx->st, ctx->txn, ctx->st->alerts, ctx->domain, id, NULL, &a, ctx->err,
                          ctx->errlen) < 0)
        ctx->failed = 1;
    if (a && (ctx->ev->published_ms - json_integer_value(json_object_get(a, "last_seen_ms")) > c->window_ms ||
              closed(a))) {
        json_decref(a);
        a = NULL;
    }
    return a;
}

/*
 * A counter of alerts raised, by rule and severity (meta "alerts_raised"):
 * what `idwatch metrics` exports as idwatch_alerts_raised_total.
 */
static int count_raised(struct idw_detect_ctx *ctx, const char *severity)
{
    json_t *doc = NULL, *by;
    int rc;

    if (idw_store_meta_get(ctx->st, ctx->txn, "alerts_raised", "_all", &doc, ctx->err, ctx->errlen) < 0)
        return -1;
    if (!doc)
        doc = json_object();
    if (!(by = json_object_get(doc, ctx->rule->id))) {
        by = json_object();
        json_object_set_new(doc, ctx->rule->id, by);
    }
    json_object_set_new(by, severity, json_integer(json_integer_value(json_object_get(by, severity)) + 1));
    rc = idw_store_meta_put(ctx->st, ctx->txn, "alerts_raised", "_all", doc, ctx->err, ctx->errlen);
    json_decref(doc);
    return rc;
}

/*
 * The daemon logs live alerts as they are raised or escalated (historical
 * ones are not: a backfill raises thousands; nor are a file replay's).
 */
static void log_raised(const struct idw_detect_ctx *ctx, const json_t *a, const char *what)
{
    const char *id = json_string_value(json_object_get(a, "alert_id"));
    const char *sev = json_string_value(json_object_get(a, "severity"));
    const char *user = json_string_value(json_object_get(a, "user"));
    json_t *f;

    if (ctx->historical || !ctx->d->log_alerts)
        return;
    f = json_pack("{s:s?, s:s, s:s?, s:s?, s:s}", "alert_id", id, "rule", ctx->rule->id, "severity", sev,
                  "user", user, "org", ctx->domain);
    idw_log_fields(IDW_LOG_INFO, f, "alert %s: %s %s%s%s (%s)", what, sev ? sev : "?", ctx->rule->id,
                   user ? " for " : "", user ? user : "", id ? id : "?");
}

void idw_detect_emit(struct idw_detect_ctx *ctx, const struct idw_alert_candidate *c)
{
    int created = 0;
    enum idw_severity before = IDW_SEV_LOW;
    char id[IDW_UUID_STRLEN], ns[128], name[512];
    json_t *a;

    if (ctx->failed)
        return;
    a = aggregate_target(ctx, c, id);
    if (ctx->failed) {
        json_decref(a);
        return;
    }
    if (a) {
        idw_severity_parse(json_string_value(json_object_get(a, "severity")), &before);
        update_alert(ctx, a, c);
    } else {
        created = 1;
        snprintf(ns, sizeof ns, "idwatch-alert:%s", ctx->domain);
        snprintf(name, sizeof name, "%s|%s|%s", ctx->rule->id, c->entity, ctx->ev->uuid);
        idw_uuid_derive(ns, name, id);
        a = new_alert(ctx, c, id);
        if (a)
            json_object_set_new(a, "event_count", json_integer(1));
        if (!a)
            snprintf(ctx->err, ctx->errlen, "rule %s: cannot build an alert document", ctx->rule->id);
        if (!a || idw_store_kv_put(ctx->st, ctx->txn, ctx->st->alert_key, ctx->rule->id, ctx->domain,
                                   c->entity, id, strlen(id), ctx->err, ctx->errlen) < 0) {
            ctx->failed = 1;
            json_decref(a);
            return;
        }
    }
    if (store_alert(ctx, id, a) < 0 ||
        (created && count_raised(ctx, idw_severity_name(c->severity)) < 0)) {
        ctx->failed = 1;
    } else {
        if (created || c->severity > before)
            log_raised(ctx, a, created ? "raised" : "escalated");
        ctx->written++;
        if (c->severity > ctx->worst)
            ctx->worst = c->severity;
    }
    json_decref(a);
}

/* ---- connector alerts -------------------------------------------------------------- */

int idw_detect_raise_connector(struct idw_detect *d, struct idw_store *st, const char *domain,
                               const char *rule_id, const struct idw_alert_candidate *c,
                               int64_t now_ms, char *err, size_t errlen)
{
    const struct idw_rule rule = {.id = rule_id};
    const struct idw_event ev = {.published_ms = now_ms};      /* only the time: no Okta event */
    struct idw_detect_ctx ctx = {.d = d, .st = st, .domain = domain, .ev = &ev, .rule = &rule,
                                 .err = err, .errlen = errlen};
    char id[IDW_UUID_STRLEN], ns[128], name[512], ts[IDW_TIME_STRLEN];
    json_t *a;

    if (idw_store_begin(st, 0, &ctx.txn, err, errlen) < 0)
        return -1;
    a = aggregate_target(&ctx, c, id);
    idw_time_format(now_ms, ts);
    if (a) {
        json_object_set_new(a, "last_seen", json_string(ts));
        json_object_set_new(a, "last_seen_ms", json_integer(now_ms));
        json_object_set_new(a, "summary", json_string(c->summary));
        json_object_set_new(a, "evidence", json_string(c->evidence));
        json_object_set_new(a, "version", json_integer(json_integer_value(json_object_get(a, "version")) + 1));
    } else if (!ctx.failed) {
        snprintf(ns, sizeof ns, "idwatch-alert:%s", domain);
        snprintf(name, sizeof name, "%s|%s|%s", rule_id, c->entity, ts);
        idw_uuid_derive(ns, name, id);
        a = json_pack("{s:s, s:s, s:s, s:i, s:s, s:n, s:n, s:n, s:s, s:s, s:I, s:I, s:[], s:i, s:s,"
                      " s:s, s:o, s:s, s:s, s:b, s:i, s:s, s:n}",
                      "alert_id", id, "rule", rule_id, "severity", idw_severity_name(c->severity),
                      "score", c->score, "domain_id", domain, "tuid", "user", "ip",
                      "first_seen", ts, "last_seen", ts, "first_seen_ms", (json_int_t)now_ms,
                      "last_seen_ms", (json_int_t)now_ms, "event_ids", "event_count", 0,
                      "summary", c->summary, "evidence", c->evidence, "mitre", mitre_array(c->mitre),
                      "stage", c->stage ? c->stage : "", "status", "open", "historical", 0,
                      "version", 1, "entity", c->entity, "context");
        if (!a || idw_store_kv_put(st, ctx.txn, st->alert_key, rule_id, domain, c->entity, id,
                                   strlen(id), err, errlen) < 0)
            ctx.failed = 1;
    }
    if (ctx.failed || !a || store_alert(&ctx, id, a) < 0) {
        if (!a && !ctx.failed)
            snprintf(err, errlen, "%s: cannot build the alert document", rule_id);
        json_decref(a);
        mdb_txn_abort(ctx.txn);
        return -1;
    }
    json_decref(a);
    return idw_store_commit(ctx.txn, err, errlen);
}

/* ---- the per-event run ------------------------------------------------------------- */

int idw_detect_event(struct idw_detect *d, struct idw_store *st, MDB_txn *txn,
                     const char *domain, const struct idw_event *ev,
                     const struct idw_persona *before, const struct idw_persona *actor,
                     const struct idw_persona_params *prm, int historical,
                     enum idw_severity *worst, char *err, size_t errlen)
{
    struct idw_detect_ctx ctx = {.d = d, .st = st, .txn = txn, .domain = domain, .ev = ev, .actor = actor,
                                 .prm = prm, .historical = historical, .err = err, .errlen = errlen};

    for (size_t i = 0; i < d->n && !ctx.failed; i++) {
        if (!d->rules[i].enabled)
            continue;
        ctx.rule = d->rules[i].rule;
        d->rules[i].rule->on_event(d->rules[i].self, &ctx, ev, before);
    }
    if (worst)
        *worst = ctx.worst;
    return ctx.failed ? -1 : ctx.written;
}
