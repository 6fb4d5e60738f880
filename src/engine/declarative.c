/*
 * declarative.c — the engine's half for Sigma rules (sigma/sigma.h): loads
 * every *.yml / *.yaml under the rules directory (and files named on the
 * command line), runs the set on each event after the C rules, and turns a
 * match, or a correlation that fires, into an alert candidate whose
 * severity is the rule's level judged in the persona context
 * (engine/context.h).  The alert module aggregates, stores and delivers it
 * like any C rule's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "engine/context.h"
#include "engine/detect_int.h"

/* ---- loading ------------------------------------------------------------------- */

static enum idw_rc load_one(struct idw_sigma_set *s, const char *path, char *err, size_t errlen)
{
    enum idw_rc rc = idw_sigma_load_file(s, path, err, errlen);

    if (rc == IDW_NOTFOUND) {
        log_info("%s", err);    /* another product's rule: said, not loaded */
        return IDW_OK;
    }
    return rc;
}

struct loading {
    struct idw_sigma_set *set;
    char *err;
    size_t errlen;
};

static enum idw_rc load_each(const char *path, void *arg)
{
    struct loading *l = arg;
    return load_one(l->set, path, l->err, l->errlen);
}

/* The YAML files under dir; no such directory: no declarative rules (the C rules say the same). */
static enum idw_rc load_tree(struct idw_sigma_set *s, const char *dir, char *err, size_t errlen)
{
    struct loading l = {.set = s, .err = err, .errlen = errlen};
    enum idw_rc rc = idw_sigma_each_file(dir, load_each, &l, err, errlen);
    return rc == IDW_NOTFOUND ? IDW_OK : rc;
}

/* The rule names a correlation references, from its document (before link resolves them). */
static int references(const struct idw_sigma_rule *corr, const char *id, const char *name)
{
    const json_t *refs = json_object_get(json_object_get(idw_sigma_info(corr)->doc, "correlation"), "rules");
    size_t i;
    const json_t *v;

    json_array_foreach(refs, i, v)
        if (json_is_string(v) && ((id && !strcmp(json_string_value(v), id)) ||
                                  (name && !strcmp(json_string_value(v), name))))
            return 1;
    return 0;
}

/* Only `only` (and, for a correlation, the rules it references) stays on. */
static void keep_only(struct idw_sigma_set *s, const char *only)
{
    const struct idw_sigma_rule *keep = idw_sigma_find(s, only);

    for (size_t i = 0; i < idw_sigma_count(s); i++) {
        const struct idw_sigma_info *in = idw_sigma_info(idw_sigma_at(s, i));
        int on = keep && (idw_sigma_at(s, i) == keep ||
                          (idw_sigma_info(keep)->is_correlation && references(keep, in->id, in->name)));
        idw_sigma_set_enabled(s, in->id, on);
    }
}

/*
 * A key that can name a file in dir: letters, digits, '.', '_', '-', not starting with '.'.  A
 * rule's id or name is the rule author's text (and may come from the partition's log), so
 * "../../etc/x" or "/abs" must never become a path: such a rule has no switch file.
 */
static int switch_key_ok(const char *key)
{
    size_t n = key ? strlen(key) : 0;

    return n && n <= 200 && key[0] != '.' &&
           strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/*
 * rules_dir/<id>.json (or <name>.json) with "enabled": false turns a Sigma rule off, as for a C
 * rule; any other key is refused (the rule file itself is where a Sigma rule is changed).
 */
static enum idw_rc apply_switch(struct idw_sigma_set *s, const char *dir, const char *key, const char *id,
                                char *err, size_t errlen)
{
    char path[4096];
    json_error_t je;
    json_t *j, *v;
    const char *k;

    if (!switch_key_ok(key) || snprintf(path, sizeof path, "%s/%s.json", dir, key) >= (int)sizeof path)
        return IDW_OK;
    j = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!j && access(path, F_OK) != 0)
        return IDW_OK;          /* no switch: the rule is on */
    if (!j) {
        snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
        return IDW_ERR;
    }
    json_object_foreach(j, k, v)
        if (strcmp(k, "enabled") || !json_is_boolean(v)) {
            snprintf(err, errlen, "%s: a Sigma rule's switch holds only \"enabled\": true|false "
                     "(found '%.60s')", path, k);
            json_decref(j);
            return IDW_ERR;
        }
    if (!json_is_object(j)) {
        snprintf(err, errlen, "%s: must be a JSON object", path);
        json_decref(j);
        return IDW_ERR;
    }
    if (json_is_false(json_object_get(j, "enabled")))
        idw_sigma_set_enabled(s, id, 0);
    json_decref(j);
    return IDW_OK;
}

static enum idw_rc apply_switches(struct idw_sigma_set *s, const char *dir, char *err, size_t errlen)
{
    for (size_t i = 0; dir && i < idw_sigma_count(s); i++) {
        const struct idw_sigma_info *in = idw_sigma_info(idw_sigma_at(s, i));
        if (apply_switch(s, dir, in->id, in->id, err, errlen) != IDW_OK ||
            (in->name && apply_switch(s, dir, in->name, in->id, err, errlen) != IDW_OK))
            return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_decl_load(struct idw_detect *d, const struct idw_detect_opts *o, char *err, size_t errlen)
{
    if (idw_sigma_set_new(&d->sigma) != IDW_OK) {
        snprintf(err, errlen, "rules: out of memory");
        return IDW_ERR;
    }
    if (idw_sigma_set_root(d->sigma, o->rules_dir) != IDW_OK) {
        snprintf(err, errlen, "rules: out of memory");
        return IDW_ERR;
    }
    if (o->rules_dir && load_tree(d->sigma, o->rules_dir, err, errlen) != IDW_OK)
        return IDW_ERR;
    for (size_t i = 0; o->sigma_files && o->sigma_files[i]; i++)
        if (load_one(d->sigma, o->sigma_files[i], err, errlen) != IDW_OK)
            return IDW_ERR;
    if (apply_switches(d->sigma, o->rules_dir, err, errlen) != IDW_OK)
        return IDW_ERR;
    if (o->only)
        keep_only(d->sigma, o->only);
    return idw_sigma_link(d->sigma, err, errlen);
}

/* ---- describing ---------------------------------------------------------------- */

static json_t *describe_sigma(const struct idw_sigma_rule *r)
{
    const struct idw_sigma_info *in = idw_sigma_info(r);

    return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:b, s:b, s:I, s:s, s:s, s:b, s:s?}",
                     "id", in->id, "kind", in->is_correlation ? "correlation" : "sigma",
                     "title", in->title, "file", in->file, "line", (int)in->line,
                     "level", in->informational ? "informational" : idw_severity_name(in->level),
                     "status", in->status, "enabled", idw_sigma_enabled(r), "context", in->context,
                     "window_s", (json_int_t)(in->window_ms / 1000), "mitre", in->mitre,
                     "tactic", in->tactic, "generates", in->generates, "name", in->name);
}

enum idw_rc idw_decl_describe(const struct idw_detect *d, json_t *list)
{
    for (size_t i = 0; d->sigma && i < idw_sigma_count(d->sigma); i++)
        if (json_array_append_new(list, describe_sigma(idw_sigma_at(d->sigma, i))) < 0)
            return IDW_ERR;
    return IDW_OK;
}

/* ---- the per-event run ------------------------------------------------------------ */

static const json_t *facts_of(void *arg)
{
    struct idw_detect_ctx *ctx = arg;

    if (!ctx->facts_built) {
        ctx->facts = idw_facts_build(ctx);
        ctx->facts_built = 1;
    }
    return ctx->facts;
}

/* "Defense Evasion" for "defense-evasion", into out (which the candidate borrows). */
static const char *stage_of(const char *tactic, char *out, size_t outlen)
{
    size_t i;
    int up = 1;

    for (i = 0; tactic[i] && i + 1 < outlen; i++) {
        char c = tactic[i] == '-' || tactic[i] == '_' ? ' ' : tactic[i];
        out[i] = up && c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
        up = c == ' ';
    }
    out[i] = '\0';
    return out[0] ? out : "Detection";
}

static void entity_of(const struct idw_detect_ctx *ctx, char *out, size_t outlen)
{
    const struct idw_event *ev = ctx->ev;

    if (ev->tuid[0])
        snprintf(out, outlen, "user:%s", ev->tuid);
    else if (ev->ip)
        snprintf(out, outlen, "ip:%.100s", ev->ip);
    else
        snprintf(out, outlen, "org:%.100s", ctx->domain);
}

/*
 * A correlation's alert is about its group (the help-desk account that reset
 * many users, the device enrolled for many people), not about the person of
 * the event that completed it: "corr:" and a hash of the group-by values, so
 * every firing for one group folds into one alert whoever the last victim was.
 * No group-by: the org.
 */
static void corr_entity(const struct idw_detect_ctx *ctx, const struct idw_sigma_info *in,
                        const struct idw_sigma_event *sev, char *out, size_t outlen)
{
    const json_t *gb = json_object_get(json_object_get(in->doc, "correlation"), "group-by");
    char joined[1024] = "", val[256], hex[33];
    size_t i;
    const json_t *f;

    json_array_foreach(gb, i, f)
        if (json_is_string(f))
            idw_strappendf(joined, sizeof joined, "%s=%s\n", json_string_value(f),
                           idw_sigma_field_text(sev, json_string_value(f), val, sizeof val));
    if (!joined[0]) {
        snprintf(out, outlen, "org:%.100s", ctx->domain);
        return;
    }
    idw_sha256_hex(joined, strlen(joined), 16, hex);
    snprintf(out, outlen, "corr:%s", hex);
}

/* Who did what to whom, in one line. */
static void summary_of(const struct idw_detect_ctx *ctx, const struct idw_sigma_info *in,
                       const struct idw_sigma_event *sev, char *out, size_t outlen)
{
    const struct idw_event *ev = ctx->ev;
    const char *who = ev->actor.login ? ev->actor.login : ev->actor.display_name;
    char targets[160];

    idw_sigma_field_text(sev, "target.displayName", targets, sizeof targets);
    if (!who)
        who = ev->actor.type ? ev->actor.type : "unknown";
    snprintf(out, outlen, "%s: by %s%s%s", in->title, who, targets[0] ? " on " : "", targets);
}

static int score_of(enum idw_severity s)
{
    static const int scores[] = {0, 30, 55, 80, 95};
    return scores[s >= IDW_SEV_LOW && s <= IDW_SEV_CRITICAL ? s : 1];
}

/* One alert candidate for a match of r (what: the correlation's sentence, or NULL). */
static void raise_for(struct idw_detect_ctx *ctx, const struct idw_sigma_rule *r,
                      const struct idw_sigma_event *sev, const char *what)
{
    const struct idw_sigma_info *in = idw_sigma_info(r);
    struct idw_alert_candidate c = {.window_ms = in->window_ms};
    struct idw_context_verdict v;
    char stage[64];

    idw_context_severity(in->level, in->context, facts_of(ctx), &v);
    if (ctx->failed)
        return;
    c.severity = v.severity;
    c.score = score_of(v.severity);
    if (in->is_correlation)
        corr_entity(ctx, in, sev, c.entity, sizeof c.entity);
    else
        entity_of(ctx, c.entity, sizeof c.entity);
    summary_of(ctx, in, sev, c.summary, sizeof c.summary);
    snprintf(c.evidence, sizeof c.evidence, "%s%s%s (%s) at %s. Severity %s, base %s%s: %s. Rule %s:%u.",
             what ? what : "", what ? "; last event " : "", ctx->ev->okta_type,
             ctx->ev->outcome_result ? ctx->ev->outcome_result : "no outcome", ctx->ev->published,
             idw_severity_name(v.severity),
             in->informational ? "informational" : idw_severity_name(in->level),
             in->informational ? " (as low)" : "", v.why, in->file, in->line);
    c.mitre = in->mitre[0] ? in->mitre : NULL;
    c.stage = stage_of(in->tactic, stage, sizeof stage);
    ctx->rule = idw_sigma_as_rule(r);
    idw_detect_emit(ctx, &c);
}

struct sigma_run {
    struct idw_detect_ctx *ctx;
    struct idw_sigma_event sev;
};

static void feed_correlations(struct sigma_run *run, const struct idw_sigma_rule *base)
{
    const struct idw_sigma_rule *const *corr = idw_sigma_correlations_of(base);
    struct idw_detect_ctx *ctx = run->ctx;

    for (; *corr && !ctx->failed; corr++) {
        char what[256];
        int fired = 0;

        ctx->rule = idw_sigma_as_rule(*corr);
        if (idw_sigma_correlate(*corr, base, ctx, &run->sev, ctx->ev->published_ms, &fired, what,
                                sizeof what) != IDW_OK)
            return;
        if (fired)
            raise_for(ctx, *corr, &run->sev, what);
    }
}

static void on_match(void *arg, const struct idw_sigma_rule *r)
{
    struct sigma_run *run = arg;

    if (run->ctx->failed)
        return;
    if (idw_sigma_info(r)->generates)
        raise_for(run->ctx, r, &run->sev, NULL);
    feed_correlations(run, r);
}

void idw_decl_run(struct idw_detect_ctx *ctx)
{
    struct sigma_run run = {.ctx = ctx,
                            .sev = {.raw = ctx->ev->raw, .event_type = ctx->ev->okta_type,
                                    .facts = facts_of, .facts_arg = ctx}};
    if (!ctx->d->sigma)
        return;
    ctx->warned_stale = ctx->sigma_warned_stale;
    (void)idw_sigma_match(ctx->d->sigma, &run.sev, on_match, &run);
}
