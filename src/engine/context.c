/*
 * context.c — persona facts and persona-aware severity for declarative
 * rules (context.h).  The facts are the C rules' own judgements (rules/
 * prim.h novelty, the persona's hours and learning state) put into a JSON
 * object a Sigma rule reads as `idwatch.*` fields, plus a few records the
 * engine keeps in rule state under "_facts" (see idw_facts_record).
 *
 * The severity formula is documented in docs/rules.md ("Persona-aware
 * severity"); keep the two in step.
 */
#include "engine/context.h"

#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "engine/detect_int.h"
#include "event/normalize.h"
#include "rules/prim.h"

#define FACTS_NS "_facts"
#define ACTION_CAP 10           /* action counts stop here: "routine" needs 3, the rest is reads */
#define ROUTINE_ACTIONS 3       /* performed this often before: routine for that person */
#define RECENT_HOURS 24.0       /* an alert or a factor reset this recent raises a match */

/* ---- the "_facts" records ------------------------------------------------------ */

static enum idw_rc facts_get(struct idw_detect_ctx *ctx, const char *key, void *val, size_t size)
{
    size_t n = 0;
    enum idw_rc rc;

    memset(val, 0, size);
    rc = idw_store_kv_get(ctx->st, ctx->txn, ctx->st->rule_state, FACTS_NS, ctx->domain, key, val, size,
                          &n, ctx->err, ctx->errlen);
    if (rc == IDW_ERR) {
        ctx->failed = 1;
        return IDW_ERR;
    }
    if (rc == IDW_OK && n != size) {        /* another layout: read as absent */
        memset(val, 0, size);
        return IDW_NOTFOUND;
    }
    return rc;
}

static void facts_put(struct idw_detect_ctx *ctx, const char *key, const void *val, size_t size)
{
    if (idw_store_kv_put(ctx->st, ctx->txn, ctx->st->rule_state, FACTS_NS, ctx->domain, key, val, size,
                         ctx->err, ctx->errlen) != IDW_OK)
        ctx->failed = 1;
}

/* "act:<tuid>:<eventType>": how often the person performed the event type (capped). */
static void action_key(const char *tuid, const char *type, char *out, size_t outlen)
{
    snprintf(out, outlen, "act:%s:%.120s", tuid, type ? type : "");
}

static uint32_t action_count(struct idw_detect_ctx *ctx, const char *tuid, const char *type)
{
    char key[200];
    uint32_t n;

    action_key(tuid, type, key, sizeof key);
    (void)facts_get(ctx, key, &n, sizeof n);    /* absent and failed read as 0; failure is sticky */
    return n;
}

/* The time stored under "<what>:<id>", 0 when none. */
static int64_t time_of(struct idw_detect_ctx *ctx, const char *what, const char *id)
{
    char key[200];
    int64_t t;

    snprintf(key, sizeof key, "%s:%.150s", what, id);
    (void)facts_get(ctx, key, &t, sizeof t);
    return t;
}

/* Stores t under "<what>:<id>" unless a later time is there (events arrive out of order). */
static void time_note(struct idw_detect_ctx *ctx, const char *what, const char *id, int64_t t)
{
    char key[200];
    int64_t old;

    snprintf(key, sizeof key, "%s:%.150s", what, id);
    if (facts_get(ctx, key, &old, sizeof old) == IDW_ERR || old >= t)
        return;
    facts_put(ctx, key, &t, sizeof t);
}

/* ---- facts ------------------------------------------------------------------ */

static void set_bool(json_t *o, const char *k, int v)
{
    json_object_set_new(o, k, json_boolean(v));
}

/* Hours from a stored time to the event (0 when the record is later), absent when none. */
static void set_hours_since(json_t *o, const char *k, int64_t then, int64_t now)
{
    if (then > 0)
        json_object_set_new(o, k, json_real(now > then ? (double)(now - then) / IDW_HOUR_MS : 0.0));
}

/* A novelty verdict as a fact: known (or the org's shared exit) true, new false, else absent. */
static void set_novelty(json_t *o, const char *k, enum idw_novelty n, int learning, int has_value)
{
    if (n == IDW_NOVELTY_KNOWN || n == IDW_NOVELTY_SHARED_EGRESS)
        set_bool(o, k, 1);
    else if (n == IDW_NOVELTY_NEW || (learning && has_value))
        set_bool(o, k, 0);
}

/*
 * Whether the event's hour of the day (UTC, with the hours beside it, any
 * weekday) holds at least 0.5% of the person's activity; -1 when too little
 * is known.  By hour of the day, not of the week: an admin who works the odd
 * Sunday at their usual time is at a usual hour.
 */
static int usual_hour(const struct idw_persona *p, int64_t t)
{
    int hour = (int)((t % IDW_DAY_MS) / IDW_HOUR_MS);
    double total = 0, near = 0;

    for (int i = 0; i < 168; i++) {
        int d = (i % 24 - hour + 24) % 24;
        total += p->hours[i];
        if (d <= 1 || d == 23)
            near += p->hours[i];
    }
    if (total < 20)
        return -1;
    return near >= total * 0.005;
}

/*
 * Action counts are kept for what people do besides signing in: sign-ins, SSO,
 * MFA, pushes, sessions and policy evaluations are the bulk of the log and
 * their routine is the persona's own (places, apps, factors), so counting them
 * would cost a write per event for nothing.  Opening the Admin Console counts.
 */
static int counts_as_action(const struct idw_event *ev)
{
    const unsigned routine = IDW_K_SIGNIN | IDW_K_SSO | IDW_K_MFA | IDW_K_PUSH | IDW_K_SESSION | IDW_K_POLICY;

    return (ev->kind->flags & IDW_K_ADMIN_ACCESS) || !(ev->kind->flags & routine);
}

/* What the engine knows of the acting person p about this event. */
static json_t *actor_facts(struct idw_detect_ctx *ctx, const struct idw_persona *p)
{
    const struct idw_event *ev = ctx->ev;
    const int64_t t = ev->published_ms;
    const int learning = idw_persona_learning(p, t, ctx->prm);
    json_t *o = json_object();
    char pfx[IDW_PV_VALUE];
    uint32_t n;
    int hour;

    if (!o)
        return NULL;
    set_bool(o, "person", 1);
    set_bool(o, "learning", learning);
    set_novelty(o, "network_known", idw_network_novelty(ctx, ev, p), learning, ev->ip != NULL);
    if (ev->ip) {
        idw_ip_prefix(ev->ip, pfx, sizeof pfx);
        set_bool(o, "prefix_known", pfx[0] && idw_persona_knows(p, IDW_DIM_PREFIXES, pfx) != NULL);
    }
    set_novelty(o, "country_known", idw_country_novelty(ctx, ev, p), learning, ev->geo.country != NULL);
    set_novelty(o, "device_known", idw_device_novelty(ctx, ev, p), 0, 0);
    hour = usual_hour(p, t);
    if (hour >= 0)
        set_bool(o, "usual_hour", hour);
    if (counts_as_action(ev)) {
        n = action_count(ctx, p->tuid, ev->okta_type);
        json_object_set_new(o, "action_count", json_integer(n));
        set_bool(o, "first_time_action", n == 0);
    }
    set_bool(o, "admin_console_first_time",
             action_count(ctx, p->tuid, "user.session.access_admin_app") == 0);
    set_hours_since(o, "recent_alert_hours", time_of(ctx, "alert", p->tuid), t);
    set_hours_since(o, "factor_reset_hours", time_of(ctx, "freset", p->tuid), t);
    return o;
}

/* What the engine knows of the person the event is about, when someone else acted. */
static json_t *target_facts(struct idw_detect_ctx *ctx, const struct idw_persona *p)
{
    const int64_t t = ctx->ev->published_ms;
    json_t *o = json_object();

    if (!o)
        return NULL;
    set_bool(o, "person", 1);
    set_bool(o, "learning", idw_persona_learning(p, t, ctx->prm));
    set_hours_since(o, "recent_alert_hours", time_of(ctx, "alert", p->tuid), t);
    set_hours_since(o, "factor_reset_hours", time_of(ctx, "freset", p->tuid), t);
    return o;
}

/* The acting person's persona: the subject's when they acted themselves, else the admin's; NULL for none. */
static const struct idw_persona *acting_persona(const struct idw_detect_ctx *ctx)
{
    if (ctx->ev->subject_is_actor)
        return ctx->before;
    return ctx->ev->actor_is_human ? ctx->actor : NULL;
}

/* The identity provider an IdP sign-in came through (authenticationContext.issuer.id), or NULL. */
static const char *idp_of(const struct idw_event *ev)
{
    const json_t *ac = json_object_get(ev->raw, "authenticationContext");
    const json_t *id = json_object_get(json_object_get(ac, "issuer"), "id");

    if (!(ev->kind->flags & IDW_K_SIGNIN) || !json_is_string(id) || !json_string_length(id))
        return NULL;
    return json_string_value(id);
}

static json_t *org_facts(struct idw_detect_ctx *ctx)
{
    json_t *o = json_object();
    const char *idp = idp_of(ctx->ev);

    if (!o)
        return NULL;
    if (idp)
        set_bool(o, "idp_first_seen", time_of(ctx, "idp", idp) == 0);
    set_hours_since(o, "support_grant_hours", time_of(ctx, "support", "org"), ctx->ev->published_ms);
    set_bool(o, "shared_egress", idw_org_shared_egress(ctx, ctx->ev->ip));
    return o;
}

json_t *idw_facts_build(struct idw_detect_ctx *ctx)
{
    const struct idw_persona *a = acting_persona(ctx);
    json_t *f = json_object();
    json_t *ev = json_pack("{s:i}", "risk_points", idw_okta_risk_points(ctx->ev));

    if (!f || !ev || json_object_set_new(f, "event", ev) < 0 ||
        json_object_set_new(f, "org", org_facts(ctx)) < 0 ||
        (a && json_object_set_new(f, "actor", actor_facts(ctx, a)) < 0) ||
        (ctx->before && !ctx->ev->subject_is_actor &&
         json_object_set_new(f, "target", target_facts(ctx, ctx->before)) < 0) || ctx->failed) {
        json_decref(f);
        return NULL;
    }
    return f;
}

/* ---- what the engine remembers --------------------------------------------------- */

/*
 * An admin action its subject performed (a grant, a configuration change):
 * an alert on it is about what they did, not a sign that their account is in
 * trouble, so it is not "recent trouble" for their next action.
 */
static int own_admin_action(const struct idw_event *ev)
{
    const unsigned admin = IDW_K_GRANT | IDW_K_PRIVILEGE | IDW_K_CONFIG | IDW_K_API_TOKEN;

    return ev->subject_is_actor && (ev->kind->flags & admin);
}

/* The org granted (or extended) Okta Support's access to impersonate its admins. */
static int is_support_grant(const struct idw_event *ev)
{
    return ev->outcome != IDW_OUT_FAILURE && ev->okta_type &&
           (!strcmp(ev->okta_type, "user.session.impersonation.grant") ||
            !strcmp(ev->okta_type, "user.session.impersonation.extend"));
}

/* A reset of someone's factors: all of them, or one removed or enrolled by someone else. */
static int is_factor_reset(const struct idw_event *ev)
{
    const unsigned f = ev->kind->flags;

    if (!(f & IDW_K_FACTOR_CHANGE))
        return 0;
    return (f & IDW_K_RESET) || (!ev->subject_is_actor && (f & (IDW_K_FACTOR_REMOVE | IDW_K_ENROLL)));
}

static void count_action(struct idw_detect_ctx *ctx, const struct idw_persona *p)
{
    char key[200];
    uint32_t n;

    action_key(p->tuid, ctx->ev->okta_type, key, sizeof key);
    if (facts_get(ctx, key, &n, sizeof n) == IDW_ERR || n >= ACTION_CAP)
        return;
    n++;
    facts_put(ctx, key, &n, sizeof n);
}

void idw_facts_record(struct idw_detect_ctx *ctx, enum idw_severity worst)
{
    const struct idw_event *ev = ctx->ev;
    const struct idw_persona *a = acting_persona(ctx);
    const char *idp = idp_of(ev);

    if (a && counts_as_action(ev))
        count_action(ctx, a);
    if (ev->tuid[0] && is_factor_reset(ev))
        time_note(ctx, "freset", ev->tuid, ev->published_ms);
    if (ev->tuid[0] && worst >= IDW_SEV_MEDIUM && !own_admin_action(ev))
        time_note(ctx, "alert", ev->tuid, ev->published_ms);
    /* only a sign-in that got in makes an IdP known: failed tries through a rogue IdP
     * must not hide its first success */
    if (idp && idw_outcome_ok(ev->outcome) && time_of(ctx, "idp", idp) == 0)
        time_note(ctx, "idp", idp, ev->published_ms);
    if (is_support_grant(ev))
        time_note(ctx, "support", "org", ev->published_ms);
}

/* ---- persona-aware severity -------------------------------------------------------- */

static int fact_is(const json_t *o, const char *k, int want)
{
    const json_t *v = json_object_get(o, k);
    return json_is_boolean(v) && json_is_true(v) == want;
}

static int recent(const json_t *o, const char *k)
{
    const json_t *v = json_object_get(o, k);
    return json_is_number(v) && json_number_value(v) <= RECENT_HOURS;
}

static enum idw_severity step(enum idw_severity s, int by)
{
    int v = (int)s + by;
    return (enum idw_severity)(v > IDW_SEV_CRITICAL ? IDW_SEV_CRITICAL : v < IDW_SEV_LOW ? IDW_SEV_LOW : v);
}

/* The unfamiliar parts of the actor's context, "a, b" into out; returns how many. */
static unsigned unfamiliar(const json_t *a, char *out, size_t outlen)
{
    static const struct { const char *key, *text; } facts[] = {
        {.key = "network_known", .text = "a network new to the actor"},
        {.key = "country_known", .text = "a country new to the actor"},
        {.key = "device_known", .text = "a device new to the actor"},
        {.key = "usual_hour", .text = "outside the actor's usual hours"},
        {.key = "first_time_action", .text = NULL},
    };
    unsigned n = 0;

    out[0] = '\0';
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++) {
        int odd = facts[i].text ? fact_is(a, facts[i].key, 0) : fact_is(a, facts[i].key, 1);
        if (!odd)
            continue;
        idw_strappendf(out, outlen, "%s%s", n ? ", " : "",
                       facts[i].text ? facts[i].text : "the first time the actor does this");
        n++;
    }
    return n;
}

/* Recent trouble around the people involved: "a, b" into out; returns how many. */
static unsigned troubled(const json_t *a, const json_t *t, char *out, size_t outlen)
{
    unsigned n = 0;

    out[0] = '\0';
    if (recent(a, "recent_alert_hours") || recent(t, "recent_alert_hours"))
        idw_strappendf(out, outlen, "%sa medium+ alert on %s in the last 24 h", n++ ? ", " : "",
                       recent(a, "recent_alert_hours") ? "the actor" : "the target");
    if (recent(a, "factor_reset_hours") || recent(t, "factor_reset_hours"))
        idw_strappendf(out, outlen, "%sa factor reset on %s in the last 24 h", n++ ? ", " : "",
                       recent(a, "factor_reset_hours") ? "the actor" : "the target");
    return n;
}

/* The actor does this routinely, from a context they know. */
static int routine(const json_t *a)
{
    const json_t *count = json_object_get(a, "action_count");

    return fact_is(a, "learning", 0) && json_integer_value(count) >= ROUTINE_ACTIONS &&
           fact_is(a, "network_known", 1) && !fact_is(a, "country_known", 0) &&
           !fact_is(a, "device_known", 0) &&
           !fact_is(a, "usual_hour", 0);
}

void idw_context_severity(enum idw_severity base, int context, const json_t *facts,
                          struct idw_context_verdict *out)
{
    const json_t *a = json_object_get(facts, "actor");
    const json_t *t = json_object_get(facts, "target");
    char odd[192] = "", trouble[160];
    unsigned n_odd, n_trouble;

    out->severity = base;
    if (!context) {
        snprintf(out->why, sizeof out->why, "level as written (the rule opts out of context)");
        return;
    }
    n_trouble = troubled(a, t, trouble, sizeof trouble);
    if (!a) {
        out->severity = step(base, n_trouble ? 1 : 0);
        snprintf(out->why, sizeof out->why, "%s%s", n_trouble ? "raised: " : "level as written: the "
                 "actor is not a known person", trouble);
        return;
    }
    n_odd = fact_is(a, "learning", 1) ? 0 : unfamiliar(a, odd, sizeof odd);
    if (!n_odd && !n_trouble && routine(a)) {
        out->severity = IDW_SEV_LOW;
        snprintf(out->why, sizeof out->why, "lowered: the actor does this routinely (%lld times before) "
                 "from a network, country, device and hour they know",
                 (long long)json_integer_value(json_object_get(a, "action_count")));
        return;
    }
    out->severity = step(base, (n_odd ? 1 : 0) + (n_trouble ? 1 : 0));
    if (n_odd || n_trouble)
        snprintf(out->why, sizeof out->why, "raised: %s%s%s", odd,
                 n_odd && n_trouble ? "; " : "", trouble);
    else
        snprintf(out->why, sizeof out->why, "level as written: %s",
                 fact_is(a, "learning", 1) ? "the actor's routine is still being learned"
                                           : "not yet routine for the actor");
}
