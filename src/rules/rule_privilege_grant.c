/*
 * rule_privilege_grant.c — `privilege_grant`: someone gained admin power.
 *
 * Admin roles are the keys to the whole org, and attackers who take over an
 * admin (or a help-desk account) grant themselves or an accomplice a role,
 * or add an account to a group that holds one.  Every grant is worth a
 * look, but a planned grant by a usual admin from their usual place is
 * routine: what raises it is what the grant carries and where it came from.
 *
 *   - user.account.privilege.grant (a role to a user), group.privilege.grant
 *     (a role to a group, alerted as "group:<id>"; the group is remembered
 *     as an admin group, state "g:<group id>"), group.user_membership.add
 *     into an admin group
 *     (learned, or named like admin_group_patterns): low when an established
 *     admin grants an ordinary role from their usual place (planned work),
 *     medium when the admin's context cannot be judged (no persona, learning);
 *   - one step up for each of: a high role (high_roles), a granting admin
 *     acting from an ASN or country new to their persona (not the org's
 *     shared egress), recent risk (a factor reset, a removed factor, a
 *     password reset, or a factor or device enrolled from a new network in
 *     the last risk_hours; 0 turns this reason off) on the grantee or the
 *     granting admin;
 *   - critical for a self-grant (actor == grantee).
 *
 * Routine group changes (non-admin groups, removals) are never looked at.
 * State: "g:<group id>" per admin group, "u:<tuid>" the newest risk event.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "event/normalize.h"
#include "rules/prim.h"

#define STATE_VERSION 1

struct cfg {
    struct idw_strings high_roles, group_patterns;
    int64_t window_ms, risk_ms;
};

/* "g:<group id>": a group that was granted an admin role. */
struct group_state {
    int64_t granted_at;
    uint8_t high;
    char role[119];
};

/* "u:<tuid>": the user's newest risk event. */
struct user_risk {
    int64_t at;
    char what[56];
};

enum grant_kind { G_NONE, G_USER_ROLE, G_GROUP_ROLE, G_MEMBERSHIP };

/* What one grant event amounts to, gathered before it is scored. */
struct grant {
    enum grant_kind kind;
    char what[160];             /* role, group or token, for people */
    int high_role, new_ctx, risk, new_device, self, judged;
    char admin_ctx[256], risk_txt[160];
};

static const char *const default_high_roles[] = {
    "SUPER_ADMIN", "ORG_ADMIN", "Super Administrator", "Organization Administrator", NULL,
};
static const char *const default_group_patterns[] = {
    "admin", "administrators", "super", "okta-admins", NULL,
};

/* ---- reading the event ----------------------------------------------------------- */

static enum grant_kind grant_kind(unsigned f)
{
    /*
     * Okta Support access and API tokens are the Sigma catalogue's
     * (rules/okta/okta_support_impersonation_*.yml, okta_api_token_*.yml),
     * judged in the persona context there: one alert per event, not two.
     */
    if (!(f & IDW_K_GRANT) || (f & (IDW_K_IMPERSONATION | IDW_K_API_TOKEN)))
        return G_NONE;
    if (f & IDW_K_GROUP)
        return (f & IDW_K_PRIVILEGE) ? G_GROUP_ROLE : G_MEMBERSHIP;
    return G_USER_ROLE;
}

/*
 * The role(s) granted: the target[] entries of a role type ("displayName
 * (id)"), which name what this event assigned; else debugData.privilegeGranted,
 * which lists every privilege the principal now holds.
 */
static void role_text(const struct idw_event *ev, char *out, size_t len)
{
    const json_t *targets = idw_okta_get(ev->raw, "target");
    json_t *t;
    size_t i, used = 0;

    out[0] = '\0';
    json_array_foreach(targets, i, t) {
        const char *type = json_string_value(json_object_get(t, "type"));
        const char *name = json_string_value(json_object_get(t, "displayName"));
        const char *id = json_string_value(json_object_get(t, "id"));
        if (!type || !strcasestr(type, "role") || !strcasecmp(type, "ROLE_ASSIGNED") || used >= len)
            continue;
        used += (size_t)snprintf(out + used, len - used, "%s%s (%s)", used ? "; " : "",
                                 name ? name : "?", id ? id : "?");
    }
    if (out[0])
        return;
    idw_strlcpy(out, idw_event_debug_str(ev, "privilegeGranted"), len);
}

/* ---- the granting admin's context ------------------------------------------------ */

static void fmt_known(char *out, size_t len, const char *value, const struct idw_pvalue *v)
{
    if (!value)
        snprintf(out, len, "?");
    else if (v)
        snprintf(out, len, "%.40s known (%u sightings)", value, v->count);
    else
        snprintf(out, len, "%.40s new", value);
}

/* Whether the admin acted from an ASN or country new to their persona. */
static void judge_admin(struct idw_detect_ctx *ctx, const struct idw_event *ev,
                        const struct idw_persona *adm, struct grant *g)
{
    char asn[IDW_ASN_KEYLEN], a[80], c[80], d[48];
    const struct idw_pvalue *ka, *kc, *kd;
    enum idw_novelty net, cty;
    int shared;

    if (!adm) {
        snprintf(g->admin_ctx, sizeof g->admin_ctx, "(a %s with no persona: context not judged)",
                 ev->actor.type ? ev->actor.type : "principal");
        return;
    }
    if (idw_persona_learning(adm, ev->published_ms, idw_detect_params(ctx))) {
        snprintf(g->admin_ctx, sizeof g->admin_ctx, "(context not judged: admin persona still learning)");
        return;
    }
    g->judged = 1;
    net = idw_network_novelty(ctx, ev, adm);
    cty = idw_country_novelty(ctx, ev, adm);
    /* the org's shared egress (VPN, office NAT) says nothing about who is behind it */
    shared = net == IDW_NOVELTY_SHARED_EGRESS || cty == IDW_NOVELTY_SHARED_EGRESS;
    g->new_ctx = !shared && (net == IDW_NOVELTY_NEW || cty == IDW_NOVELTY_NEW);
    g->new_device = idw_device_novelty(ctx, ev, adm) == IDW_NOVELTY_NEW;
    /* the sightings behind the verdicts, for people */
    idw_asn_key(ev->asn, asn);
    ka = ev->asn ? idw_persona_knows(adm, IDW_DIM_ASNS, asn) : NULL;
    kc = ev->geo.country ? idw_persona_knows(adm, IDW_DIM_COUNTRIES, ev->geo.country) : NULL;
    kd = ev->dt_hash ? idw_persona_knows(adm, IDW_DIM_DEVICES, ev->dt_hash) : NULL;
    fmt_known(a, sizeof a, ev->asn ? asn : NULL, ka);
    fmt_known(c, sizeof c, ev->geo.country, kc);
    snprintf(d, sizeof d, "%s", !ev->dt_hash ? "?" : kd ? "known" : "new");
    snprintf(g->admin_ctx, sizeof g->admin_ctx, "from %s%s, %s, device %s", a,
             shared ? " (the org's shared egress)" : "", c, d);
}

/* ---- risk: recent factor resets, password resets, enrollments from new networks --- */

static const char *risk_event(struct idw_detect_ctx *ctx, const struct idw_event *ev,
                              const struct idw_persona *before)
{
    const unsigned f = ev->kind->flags;

    if ((f & IDW_K_RESET) && (f & IDW_K_FACTOR_CHANGE))
        return "all factors reset";
    if (f & IDW_K_FACTOR_REMOVE)
        return "a factor removed";
    if (f & IDW_K_RESET) {
        /* a self-service reset from the user's own network is routine, not risk */
        if (ev->subject_is_actor && idw_network_novelty(ctx, ev, before) == IDW_NOVELTY_KNOWN)
            return NULL;
        return "password reset";
    }
    /* an enrollment counts only from a network new to an established persona */
    if (!(f & IDW_K_ENROLL) || idw_network_novelty(ctx, ev, before) != IDW_NOVELTY_NEW)
        return NULL;
    return "factor or device enrolled from a new network";
}

static void note_risk(struct idw_detect_ctx *ctx, const struct idw_event *ev,
                      const struct idw_persona *before)
{
    struct user_risk r = {0};
    char key[64];
    const char *what = risk_event(ctx, ev, before);

    if (!what)
        return;
    r.at = ev->published_ms;
    snprintf(r.what, sizeof r.what, "%s", what);
    snprintf(key, sizeof key, "u:%s", ev->tuid);
    idw_state_put(ctx, key, STATE_VERSION, &r, sizeof r);
}

/* Appends "who: what, N h ago" to g->risk_txt when tuid had a risk event in the window. */
static void check_risk(struct idw_detect_ctx *ctx, const struct cfg *c, const char *tuid,
                       const char *who, int64_t t, struct grant *g)
{
    struct user_risk r;
    char key[64];
    size_t used = strlen(g->risk_txt);

    if (!c->risk_ms)
        return;         /* risk_hours 0: risk never escalates a grant */
    snprintf(key, sizeof key, "u:%s", tuid);
    if (idw_state_get(ctx, key, STATE_VERSION, &r, sizeof r) != IDW_OK || r.at > t ||
        t - r.at > c->risk_ms)
        return;
    r.what[sizeof r.what - 1] = '\0';
    g->risk = 1;
    snprintf(g->risk_txt + used, sizeof g->risk_txt - used, "%s%s: %s %.1f h before", used ? "; " : "",
             who, r.what, (double)(t - r.at) / IDW_HOUR_MS);
}

/* ---- what was granted --------------------------------------------------------------- */

/* A membership add into an admin group: learned from a group grant, or by name. */
static int admin_group(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                       struct grant *g)
{
    struct group_state gs;
    char key[96];

    if (!ev->group_id)
        return 0;
    snprintf(key, sizeof key, "g:%s", ev->group_id);
    if (idw_state_get(ctx, key, STATE_VERSION, &gs, sizeof gs) == IDW_OK) {
        gs.role[sizeof gs.role - 1] = '\0';
        g->high_role = gs.high;
        snprintf(g->what, sizeof g->what, "group %.40s (holds %.80s)",
                 ev->group_name ? ev->group_name : ev->group_id, gs.role);
        return 1;
    }
    if (!idw_strings_find(&c->group_patterns, ev->group_name))
        return 0;
    snprintf(g->what, sizeof g->what, "group %.60s (an admin group by name)", ev->group_name);
    return 1;
}

/* Remembers a group granted a role as an admin group. */
static void learn_group(struct idw_detect_ctx *ctx, const struct idw_event *ev, const char *role,
                        int high)
{
    struct group_state gs = {0};
    char key[96];

    snprintf(key, sizeof key, "g:%s", ev->group_id);
    gs.granted_at = ev->published_ms;
    gs.high = (uint8_t)high;
    snprintf(gs.role, sizeof gs.role, "%.118s", role[0] ? role : "an admin role");
    idw_state_put(ctx, key, STATE_VERSION, &gs, sizeof gs);
}

/* Fills g->what and g->high_role; returns 0 when the event grants nothing admin. */
static int what_granted(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                        struct grant *g)
{
    char role[128];

    switch (g->kind) {
    case G_MEMBERSHIP:
        return admin_group(ctx, c, ev, g);
    default:
        break;
    }
    role_text(ev, role, sizeof role);
    g->high_role = idw_strings_find(&c->high_roles, role);
    if (g->kind == G_GROUP_ROLE) {
        if (!ev->group_id)
            return 0;
        learn_group(ctx, ev, role, g->high_role);
        snprintf(g->what, sizeof g->what, "role %.80s to group %.50s", role[0] ? role : "?",
                 ev->group_name ? ev->group_name : ev->group_id);
    } else {
        snprintf(g->what, sizeof g->what, "role %.120s", role[0] ? role : "?");
    }
    return 1;
}

/* ---- scoring and the alert ------------------------------------------------------------- */

static void score(const struct grant *g, const struct idw_event *ev, struct idw_alert_candidate *a)
{
    static const enum idw_severity sev[] = {IDW_SEV_MEDIUM, IDW_SEV_HIGH, IDW_SEV_CRITICAL,
                                            IDW_SEV_CRITICAL};
    static const int pts[] = {50, 70, 90, 95};
    int n = g->high_role + g->new_ctx + g->risk;

    if (g->self) {
        a->severity = IDW_SEV_CRITICAL;
        a->score = 95;
    } else if (n == 0 && g->judged) {
        /* a planned grant: an ordinary role, by an established admin from their usual place */
        a->severity = IDW_SEV_LOW;
        a->score = 30;
    } else {
        a->severity = sev[n];
        a->score = pts[n];
    }
    a->score += 5 * g->new_device + idw_okta_risk_points(ev);
    if (a->score > 100)
        a->score = 100;
}

static void summarize(const struct idw_event *ev, const struct grant *g, char *out, size_t len)
{
    const char *user = ev->subject.login ? ev->subject.login : "a user";
    const char *admin = ev->actor.login ? ev->actor.login : "?";

    if (g->kind == G_GROUP_ROLE)
        snprintf(out, len, "%s granted %s", admin, g->what);
    else
        snprintf(out, len, "%s was granted %s by %s%s", user, g->what, admin,
                 g->self ? " (a self-grant)" : "");
}

static void report(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                   const struct grant *g)
{
    struct idw_alert_candidate a = {0};

    score(g, ev, &a);
    if (g->kind == G_GROUP_ROLE)
        snprintf(a.entity, sizeof a.entity, "group:%.120s", ev->group_id);
    else
        snprintf(a.entity, sizeof a.entity, "user:%s", ev->tuid);
    a.window_ms = c->window_ms;
    a.mitre = "T1098,T1098.003";
    a.stage = "Privilege Escalation";
    summarize(ev, g, a.summary, sizeof a.summary);
    snprintf(a.evidence, sizeof a.evidence, "%s%s; by %s %s; %s%srisk: %s",
             g->what, g->high_role ? " (a high role)" : "",
             ev->actor.login ? ev->actor.login : "?", g->admin_ctx,
             g->new_ctx ? "context new to the granting admin; "
             : g->judged ? "the granting admin's usual context; " : "",
             g->self ? "self-grant: the actor granted themselves; " : "",
             g->risk ? g->risk_txt : "none in the risk window");
    idw_detect_emit(ctx, &a);
}

static void pg_on_event(const void *config, struct idw_detect_ctx *ctx, const struct idw_event *ev,
                        const struct idw_persona *before)
{
    const struct cfg *c = config;
    const struct idw_persona *actor;
    struct grant g = {0};

    if (!ev->tuid[0] || ev->outcome == IDW_OUT_FAILURE || ev->outcome == IDW_OUT_DENY)
        return;
    g.kind = grant_kind(ev->kind->flags);
    if (g.kind == G_NONE) {
        note_risk(ctx, ev, before);
        return;
    }
    if (!what_granted(ctx, c, ev, &g))
        return;
    actor = idw_detect_actor(ctx);
    g.self = (g.kind == G_USER_ROLE || g.kind == G_MEMBERSHIP) && ev->subject_is_actor;
    /* the granting admin: the actor, who is the subject itself when no one else acted */
    judge_admin(ctx, ev, actor ? actor : ev->subject_is_actor ? before : NULL, &g);
    check_risk(ctx, c, ev->tuid, ev->subject.login ? ev->subject.login : "subject",
               ev->published_ms, &g);
    if (actor)
        check_risk(ctx, c, actor->tuid, "granting admin", ev->published_ms, &g);
    report(ctx, c, ev, &g);
}

static const struct idw_rule_param privilege_grant_params[] = {
    {.name = "window_hours", .def = 24, .min = 1, .max = 720, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, window_ms), .unit = IDW_UNIT_HOURS,
     .doc = "alerts on one grantee (or group) within this window aggregate"},
    {.name = "risk_hours", .def = 24, .min = 0, .max = 720, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, risk_ms), .unit = IDW_UNIT_HOURS,
     .doc = "a grant this soon after a risk event (factors reset or removed, a password reset, an "
            "enrollment from a new network) of the grantee or the granting admin is escalated; 0: never"},
    {.name = "high_roles", .def = 0, .min = 0, .max = IDW_STRINGS_MAX, .type = IDW_PARAM_STRINGS,
     .offset = offsetof(struct cfg, high_roles), .strings_def = default_high_roles,
     .doc = "role names or ids (substrings, case-insensitive) whose grant is high (e.g. SUPER_ADMIN)"},
    {.name = "admin_group_patterns", .def = 0, .min = 0, .max = IDW_STRINGS_MAX, .type = IDW_PARAM_STRINGS,
     .offset = offsetof(struct cfg, group_patterns), .strings_def = default_group_patterns,
     .doc = "group names (substrings, case-insensitive) whose membership makes an admin"},
    IDW_PARAM_END,
};

const struct idw_rule idw_rule_privilege_grant = {
    .id = "privilege_grant",
    .description = "admin roles granted to users or groups and adds to admin groups, graded by "
                   "role, admin context and grantee risk",
    .kinds = IDW_K_GRANT | IDW_K_RESET | IDW_K_FACTOR_REMOVE | IDW_K_ENROLL,
    .params = privilege_grant_params,
    .config_size = sizeof(struct cfg),
    .on_event = pg_on_event,
};
