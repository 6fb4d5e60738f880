/*
 * detect.c — the engine: rule loading, the per-event run and rule state.
 * A rule's candidates go to the alert module (alert/alert.h), which
 * aggregates, stores and hands them to its sinks.
 */
#include "engine/detect.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/util.h"
#include "engine/context.h"
#include "engine/detect_int.h"

/* ---- loading ---------------------------------------------------------------- */

/*
 * Every numeric setting is a count, a score, a distance, a speed or a
 * window, and the engine converts them into the rule's config struct
 * (window_hours into int64_t milliseconds, counts into unsigned): a value
 * outside the table's range would make that conversion undefined, so it is
 * refused here, naming the key.
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

static enum idw_rc check_strings(const struct idw_rule_param *p, const char *path, const json_t *v,
                                 char *err, size_t errlen)
{
    size_t i;
    const json_t *e;

    if (!json_is_array(v) || json_array_size(v) > (size_t)p->max)
        goto bad;
    json_array_foreach(v, i, e)
        if (!json_is_string(e) || json_string_length(e) == 0 || json_string_length(e) > 128)
            goto bad;
    return IDW_OK;
bad:
    snprintf(err, errlen, "%s: %s: expected an array of at most %g non-empty strings of at most 128 "
             "characters", path, p->name, p->max);
    return IDW_ERR;
}

/* One key of a rule file against the rule's table; IDW_OK, or IDW_ERR with err naming file, key, range. */
static enum idw_rc check_setting(const struct idw_rule *r, const char *path, const char *key,
                                 const json_t *v, char *err, size_t errlen)
{
    const struct idw_rule_param *p = find_param(r, key);
    char keys[512];

    if (!strcmp(key, "enabled")) {
        if (json_is_boolean(v))
            return IDW_OK;
        snprintf(err, errlen, "%s: enabled: expected true or false", path);
        return IDW_ERR;
    }
    if (!p) {
        known_keys(r, keys, sizeof keys);
        snprintf(err, errlen, "%s: unknown setting '%.80s' (%s has: %s)", path, key, r->id, keys);
        return IDW_ERR;
    }
    if (p->type == IDW_PARAM_STRINGS)
        return check_strings(p, path, v, err, errlen);
    if (!(p->type == IDW_PARAM_INTEGER ? json_is_integer(v) : json_is_number(v)) ||
        !(json_number_value(v) >= p->min && json_number_value(v) <= p->max)) {
        snprintf(err, errlen, "%s: %s: expected %s from %g to %g (default %g)", path, key,
                 p->type == IDW_PARAM_INTEGER ? "an integer" : "a number", p->min, p->max, p->def);
        return IDW_ERR;
    }
    return IDW_OK;
}

/* The setting in effect for p: the file's value (mine), else the default; -1 out of memory. */
static int set_effective(json_t *c, const struct idw_rule_param *p, const json_t *mine)
{
    if (mine)
        return json_object_set_new(c, p->name, json_deep_copy(mine));
    if (p->type == IDW_PARAM_INTEGER)
        return json_object_set_new(c, p->name, json_integer((json_int_t)p->def));
    if (p->type == IDW_PARAM_NUMBER)
        return json_object_set_new(c, p->name, json_real(p->def));
    return 0;   /* an absent list: the rule's built-in one */
}

/*
 * The configuration in effect: the file's settings, checked against the
 * rule's table, with every default filled in.  NULL with err on a bad file
 * or out of memory (a setting dropped would silently become its default).
 */
static json_t *effective_config(const struct idw_rule *r, const json_t *file, const char *path,
                                char *err, size_t errlen)
{
    const char *k;
    const json_t *v;
    json_t *c = json_object();
    int bad = !c, enabled;

    json_object_foreach((json_t *)file, k, v)
        if (check_setting(r, path, k, v, err, errlen) < 0) {
            json_decref(c);
            return NULL;
        }
    enabled = !json_is_false(json_object_get(file, "enabled"));
    if (!bad)
        bad = json_object_set_new(c, "enabled", json_boolean(enabled));
    for (const struct idw_rule_param *p = r->params; !bad && p && p->name; p++)
        bad = set_effective(c, p, json_object_get(file, p->name));
    if (bad) {
        json_decref(c);
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    return c;
}

/* Where a rule's settings come from, for messages: rules_dir/<id>.json, or "<id> (defaults)". */
static void rule_file(const char *dir, const struct idw_rule *r, char *path, size_t len)
{
    if (dir)
        snprintf(path, len, "%s/%s.json", dir, r->id);
    else
        snprintf(path, len, "%s (defaults)", r->id);
}

static json_t *load_rule_config(const char *dir, const struct idw_rule *r, char *err, size_t errlen,
                                int *bad)
{
    char path[4096];
    json_error_t je;
    json_t *j, *c;

    *bad = 0;
    rule_file(dir, r, path, sizeof path);
    if (!dir)
        return effective_config(r, NULL, path, err, errlen);
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

/* ---- the settings into the rule's config struct -------------------------------- */

static int64_t unit_ms(enum idw_param_unit u)
{
    switch (u) {
    case IDW_UNIT_MINUTES:
        return IDW_MIN_MS;
    case IDW_UNIT_HOURS:
        return IDW_HOUR_MS;
    case IDW_UNIT_DAYS:
        return IDW_DAY_MS;
    case IDW_UNIT_NONE:
        break;
    }
    return 0;
}

static size_t field_size(const struct idw_rule_param *p)
{
    if (p->type == IDW_PARAM_STRINGS)
        return sizeof(struct idw_strings);
    if (p->type == IDW_PARAM_INTEGER)
        return sizeof(unsigned);
    return p->unit == IDW_UNIT_NONE ? sizeof(double) : sizeof(int64_t);
}

/* The list in force: the file's (already checked), else the rule's built-in one. */
static void fill_strings(const struct idw_rule_param *p, const json_t *v, struct idw_strings *l)
{
    size_t i;
    const json_t *e;

    l->n = 0;
    if (!v) {
        for (i = 0; p->strings_def && p->strings_def[i] && l->n < IDW_STRINGS_MAX; i++)
            l->v[l->n++] = p->strings_def[i];
        return;
    }
    json_array_foreach(v, i, e)
        if (l->n < IDW_STRINGS_MAX)
            l->v[l->n++] = json_string_value(e);
}

static void fill_param(const struct idw_rule_param *p, const json_t *config, char *cfg)
{
    const json_t *v = json_object_get(config, p->name);
    double x = json_is_number(v) ? json_number_value(v) : p->def;
    void *field = cfg + p->offset;

    if (p->type == IDW_PARAM_STRINGS) {
        fill_strings(p, v, field);
    } else if (p->type == IDW_PARAM_INTEGER) {
        unsigned u = (unsigned)x;
        memcpy(field, &u, sizeof u);
    } else if (p->unit == IDW_UNIT_NONE) {
        memcpy(field, &x, sizeof x);
    } else {
        int64_t ms = (int64_t)(x * (double)unit_ms(p->unit));
        memcpy(field, &ms, sizeof ms);
    }
}

/*
 * A table that does not fit its struct is the rule author's mistake, caught
 * at load rather than as memory corruption: every field inside config_size,
 * every list within IDW_STRINGS_MAX, every number range within what its
 * field can hold.
 */
static enum idw_rc check_table(const struct idw_rule *r, char *err, size_t errlen)
{
    for (const struct idw_rule_param *p = r->params; p && p->name; p++) {
        int fits = p->offset + field_size(p) <= r->config_size &&
                   (p->type != IDW_PARAM_STRINGS || p->max <= IDW_STRINGS_MAX) &&
                   (p->type != IDW_PARAM_INTEGER || (p->min >= 0 && p->max <= 4294967295.0));
        if (!fits) {
            snprintf(err, errlen, "rule %s: setting %s does not fit the rule's config struct", r->id,
                     p->name);
            return IDW_ERR;
        }
    }
    if (!r->on_event) {
        snprintf(err, errlen, "rule %s: no on_event", r->id);
        return IDW_ERR;
    }
    return IDW_OK;
}

/*
 * The rule's config struct from its settings in force, checked by the
 * rule's own check; its refusal is prefixed with the file (path), like the
 * table's own.
 */
static enum idw_rc build_config(struct loaded_rule *lr, const char *path, char *err, size_t errlen)
{
    const struct idw_rule *r = lr->rule;
    char msg[512];

    if (check_table(r, err, errlen) != IDW_OK)
        return IDW_ERR;
    lr->cfg = calloc(1, r->config_size ? r->config_size : 1);
    if (!lr->cfg) {
        snprintf(err, errlen, "rule %s: out of memory", r->id);
        return IDW_ERR;
    }
    for (const struct idw_rule_param *p = r->params; p && p->name; p++)
        fill_param(p, lr->config, lr->cfg);
    if (r->check && r->check(lr->cfg, msg, sizeof msg) != IDW_OK) {
        snprintf(err, errlen, "%s: %s", path, msg);
        return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_detect_open(const char *rules_dir, struct idw_detect **out, char *err, size_t errlen)
{
    return idw_detect_open_rules(idw_rule_table, rules_dir, out, err, errlen);
}

/* An engine with room for count rules and its alert registry, or NULL when out of memory. */
static struct idw_detect *new_engine(size_t count)
{
    struct idw_detect *d = calloc(1, sizeof *d);

    if (!d)
        return NULL;
    d->rules = calloc(count ? count : 1, sizeof *d->rules);
    d->alerts = idw_alerts_new();
    if (!d->rules || !d->alerts) {
        idw_detect_close(d);
        return NULL;
    }
    return d;
}

enum idw_rc idw_detect_open_rules(const struct idw_rule *const *table, const char *rules_dir,
                                  struct idw_detect **out, char *err, size_t errlen)
{
    const struct idw_detect_opts o = {.table = table, .rules_dir = rules_dir};

    return idw_detect_open_opts(&o, out, err, errlen);
}

/* Loads the C rules of table with their settings from rules_dir; `only` keeps one on. */
static enum idw_rc load_c_rules(struct idw_detect *d, const struct idw_rule *const *table,
                                const struct idw_detect_opts *o, char *err, size_t errlen)
{
    int bad;

    for (size_t i = 0; table[i]; i++) {
        struct loaded_rule *lr = &d->rules[d->n++];
        char path[4096];
        lr->rule = table[i];
        rule_file(o->rules_dir, lr->rule, path, sizeof path);
        lr->config = load_rule_config(o->rules_dir, lr->rule, err, errlen, &bad);
        if (bad || !lr->config || build_config(lr, path, err, errlen) != IDW_OK)
            return IDW_ERR;
        lr->enabled = !json_is_false(json_object_get(lr->config, "enabled")) &&
                      (!o->only || !strcmp(o->only, lr->rule->id));
    }
    return IDW_OK;
}

enum idw_rc idw_detect_open_opts(const struct idw_detect_opts *o, struct idw_detect **out, char *err,
                                 size_t errlen)
{
    const struct idw_rule *const *table = o->table ? o->table : idw_rule_table;
    struct idw_detect *d;
    size_t count = 0;

    *out = NULL;
    while (table[count])
        count++;
    d = new_engine(count);
    if (!d) {
        snprintf(err, errlen, "rules: out of memory");
        return IDW_ERR;
    }
    if (load_c_rules(d, table, o, err, errlen) != IDW_OK || idw_decl_load(d, o, err, errlen) != IDW_OK) {
        idw_detect_close(d);
        return IDW_ERR;
    }
    *out = d;
    return IDW_OK;
}

void idw_detect_close(struct idw_detect *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->rules[i].cfg);
        json_decref(d->rules[i].config);
    }
    free(d->rules);
    idw_sigma_set_free(d->sigma);
    idw_alerts_free(d->alerts);
    free(d);
}

void idw_detect_log_alerts(struct idw_detect *d, int on)
{
    idw_alerts_log(d->alerts, on);
}

const struct idw_sigma_set *idw_detect_sigma(const struct idw_detect *d)
{
    return d->sigma;
}

struct idw_alerts *idw_detect_alerts(struct idw_detect *d)
{
    return d->alerts;
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

/* The event kinds a rule looks at, by name. */
static json_t *describe_kinds(const struct idw_rule *r)
{
    json_t *a = json_array();

    if (r->kinds == IDW_KINDS_ALL) {
        json_array_append_new(a, json_string("ALL"));
        return a;
    }
    for (unsigned bit = 1; bit; bit <<= 1)
        if ((r->kinds & bit) && idw_kind_flag_name(bit))
            json_array_append_new(a, json_string(idw_kind_flag_name(bit)));
    return a;
}

/* One rule's entry of idw_detect_describe, or NULL when out of memory. */
static json_t *describe_rule(const struct loaded_rule *lr)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:O?, s:o, s:o}", "id", lr->rule->id, "kind", "c",
                     "description", lr->rule->description, "enabled", lr->enabled,
                     "config", lr->config, "params", describe_params(lr->rule),
                     "kinds", describe_kinds(lr->rule));
}

json_t *idw_detect_describe(const struct idw_detect *d)
{
    json_t *a = json_array();

    for (size_t i = 0; a && i < d->n; i++)
        if (json_array_append_new(a, describe_rule(&d->rules[i])) < 0) {
            json_decref(a);
            return NULL;
        }
    if (a && idw_decl_describe(d, a) != IDW_OK) {
        json_decref(a);
        return NULL;
    }
    return a;
}

/* ---- rule state --------------------------------------------------------------- */

/* Stored records are little-endian: the layout is the host's, so the host must be. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "rule state records are little-endian");

/* A record of another version or size: absent, said once per rule and process. */
static void stale_record(struct idw_detect_ctx *ctx, const char *key, unsigned version, long len,
                         uint8_t want, size_t size)
{
    if (ctx->warned_stale && *ctx->warned_stale)
        return;
    if (ctx->warned_stale)
        *ctx->warned_stale = 1;
    idw_log(IDW_LOG_WARN, "rule %s: state record '%.40s' is version %u, %ld bytes; this idwatch "
            "reads version %u, %zu bytes: treated as absent (the rule starts afresh for it; said "
            "once)", ctx->rule->id, key, version, len - 1, (unsigned)want, size);
}

enum idw_rc idw_state_get(struct idw_detect_ctx *ctx, const char *key, uint8_t version, void *rec,
                          size_t size)
{
    unsigned char buf[1 + IDW_STATE_MAX];
    size_t n = 0;
    enum idw_rc rc = IDW_ERR;

    memset(rec, 0, size);
    if (size > IDW_STATE_MAX)
        snprintf(ctx->err, ctx->errlen, "rule %s: state record of %zu bytes (at most %d)",
                 ctx->rule->id, size, IDW_STATE_MAX);
    else
        rc = idw_store_kv_get(ctx->st, ctx->txn, ctx->st->rule_state, ctx->rule->id, ctx->domain,
                              key, buf, sizeof buf, &n, ctx->err, ctx->errlen);
    if (rc < 0) {
        ctx->failed = 1;
        return IDW_ERR;
    }
    if (rc == IDW_NOTFOUND)
        return IDW_NOTFOUND;
    if (buf[0] != version || (size_t)n != 1 + size) {
        stale_record(ctx, key, buf[0], (long)n, version, size);
        return IDW_NOTFOUND;
    }
    memcpy(rec, buf + 1, size);
    return IDW_OK;
}

enum idw_rc idw_state_put(struct idw_detect_ctx *ctx, const char *key, uint8_t version,
                          const void *rec, size_t size)
{
    unsigned char buf[1 + IDW_STATE_MAX];

    if (size > IDW_STATE_MAX) {
        snprintf(ctx->err, ctx->errlen, "rule %s: state record of %zu bytes (at most %d)",
                 ctx->rule->id, size, IDW_STATE_MAX);
        ctx->failed = 1;
        return IDW_ERR;
    }
    buf[0] = version;
    memcpy(buf + 1, rec, size);
    if (idw_store_kv_put(ctx->st, ctx->txn, ctx->st->rule_state, ctx->rule->id, ctx->domain,
                         key, buf, 1 + size, ctx->err, ctx->errlen) < 0) {
        ctx->failed = 1;
        return IDW_ERR;
    }
    return IDW_OK;
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
    users = idw_org_users_with(ctx, IDW_DIM_ASNS, idw_asn_key(asn, v));
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

void idw_detect_emit(struct idw_detect_ctx *ctx, const struct idw_alert_candidate *c)
{
    const struct idw_alert_origin o = {.domain = ctx->domain, .rule = ctx->rule->id, .ev = ctx->ev,
                                       .historical = ctx->historical};

    if (ctx->failed)
        return;
    if (idw_alert_raise(ctx->d->alerts, ctx->st, ctx->txn, &o, c, NULL, ctx->err, ctx->errlen) != IDW_OK) {
        ctx->failed = 1;
        return;
    }
    ctx->written++;
    if (c->severity > ctx->worst)
        ctx->worst = c->severity;
}

/* A thin forward to the alert module, until the connector's caller uses it directly. */

/* ---- the per-event run ------------------------------------------------------------- */

int idw_rule_wants(const struct idw_rule *r, const struct idw_event *ev)
{
    return r->kinds == IDW_KINDS_ALL || (ev->kind && (ev->kind->flags & r->kinds));
}

enum idw_rc idw_detect_event(struct idw_detect *d, struct idw_store *st, MDB_txn *txn,
                             const char *domain, const struct idw_event *ev,
                             const struct idw_persona *before, const struct idw_persona *actor,
                             const struct idw_persona_params *prm, int historical,
                             unsigned *alerts, enum idw_severity *worst, char *err, size_t errlen)
{
    struct idw_detect_ctx ctx = {.d = d, .st = st, .txn = txn, .domain = domain, .ev = ev, .actor = actor,
                                 .before = before, .prm = prm, .historical = historical, .err = err,
                                 .errlen = errlen, .sigma_warned_stale = &d->sigma_warned_stale};

    for (size_t i = 0; i < d->n && !ctx.failed; i++) {
        struct loaded_rule *lr = &d->rules[i];
        if (!lr->enabled || !idw_rule_wants(lr->rule, ev))
            continue;
        ctx.rule = lr->rule;
        ctx.warned_stale = &lr->warned_stale;
        lr->rule->on_event(lr->cfg, &ctx, ev, before);
    }
    /*
     * The facts remember the C rules' verdict only: a behavioural alert (a new
     * place, a push storm) is what makes the next admin action suspect, while
     * a declarative match counting as "recent trouble" would make each routine
     * admin action raise the next one.
     */
    enum idw_severity behavioural = ctx.worst;
    if (!ctx.failed)
        idw_decl_run(&ctx);
    if (!ctx.failed)
        idw_facts_record(&ctx, behavioural);
    json_decref(ctx.facts);
    /* a failed event's transaction is abandoned: what was raised in it never happened */
    if (alerts)
        *alerts = ctx.failed ? 0 : ctx.written;
    if (worst)
        *worst = ctx.failed ? 0 : ctx.worst;
    return ctx.failed ? IDW_ERR : IDW_OK;
}
