/*
 * rule_factor_reset.c — `factor_reset`: MFA resets and the account-takeover
 * chain they open.
 *
 * A help-desk factor reset is routine, and also the favourite move of
 * social-engineering crews: talk the help desk into resetting a victim's
 * MFA, enroll the attacker's own factor or device, and sign in.  A reset
 * alone says little; what follows it, and from where, says everything.
 *
 *   - user.mfa.factor.reset_all / deactivate: low; medium when the admin
 *     who did it acted from an ASN or country new to that admin, or when the
 *     user's resets are rare (none in rare_days) and a password reset came
 *     within password_minutes;
 *   - then, within chain_hours, a factor activation or device enrollment
 *     from a context new to the user's established persona (an ASN, country
 *     or browser device token it does not know, or a network first proven
 *     after the reset; never the org's shared egress): high;
 *   - then a successful sign-in, SSO or MFA from that same new ASN or IP:
 *     critical;
 *   - with no reset before it, a factor enrolled from an ASN or country new
 *     to an established user (an extra factor after a phished session):
 *     medium.
 *
 * A re-enrollment from the user's usual context adds nothing, and learning
 * personas (new hires) have no context to be new against.  State per user
 * ("u:<tuid>"): the last reset and who did it, the last password reset, the
 * networks first proven after the reset, the enrollment's context, and the
 * stage reached.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "rules/prim.h"

#define SEEN 4
#define STATE_VERSION 2     /* 2: self_usual */

struct cfg {
    int64_t chain_ms, password_ms, rare_ms;
};

enum stage { ST_NONE, ST_RESET, ST_ENROLLED, ST_SIGNED_IN };

struct chain {
    int64_t reset_at, prev_reset_at, pw_at, enroll_at;
    uint32_t enroll_asn, enroll_ip;     /* the enrollment's new network (ip hashed), 0 = none */
    uint32_t seen_asn[SEEN];    /* networks first proven after the reset */
    uint8_t nseen, stage, by_admin, admin_new;
    uint8_t self_usual;         /* the user's own change, from their usual network and device */
    char admin[64];             /* who reset, "" for the user */
    char admin_ctx[96];         /* the resetting admin's context, for people */
    char enrolled[240];         /* what was enrolled, from where, how new */
};

/* How new an event's context is to a persona. */
struct novelty {
    int asn, country, device, shared, learning;
    char text[200];
};

static uint32_t hash_of(const char *s)
{
    return s ? (uint32_t)idw_hash64(s) | 1u : 0;    /* never 0: 0 means absent */
}

static double hours(int64_t ms)
{
    return (double)ms / IDW_HOUR_MS;
}

/* ---- context novelty ----------------------------------------------------------- */

static void judge(struct idw_detect_ctx *ctx, const struct idw_event *ev, const struct idw_persona *p,
                  struct novelty *n)
{
    char net[IDW_PV_VALUE];
    enum idw_novelty na, nc, nd;

    memset(n, 0, sizeof *n);
    if (!p || idw_persona_learning(p, ev->published_ms, idw_detect_params(ctx))) {
        n->learning = 1;
        snprintf(n->text, sizeof n->text, "not judged: persona still learning");
        return;
    }
    na = idw_network_novelty(ctx, ev, p);
    nc = idw_country_novelty(ctx, ev, p);
    /* the browser's device token: a new Okta Verify device is what an enrollment is */
    nd = idw_device_novelty(ctx, ev, p);
    n->asn = na == IDW_NOVELTY_NEW;
    n->country = nc == IDW_NOVELTY_NEW;
    n->device = nd == IDW_NOVELTY_NEW;
    snprintf(n->text, sizeof n->text, "%s %s, %.40s %s, device %s", ev->asn ? idw_asn_key(ev->asn, net)
             : idw_network_name(ev, net), na == IDW_NOVELTY_KNOWN ? "known" : "new",
             ev->geo.country ? ev->geo.country : "country ?", nc == IDW_NOVELTY_KNOWN ? "known" : "new",
             nd == IDW_NOVELTY_NO_BASELINE ? "?" : n->device ? "new" : "known");
    /* the org's shared egress (VPN, office NAT) says nothing about who is behind it */
    if (na == IDW_NOVELTY_SHARED_EGRESS || nc == IDW_NOVELTY_SHARED_EGRESS ||
        (n->device && idw_org_shared_egress(ctx, ev->ip))) {
        n->asn = n->country = n->device = 0;
        n->shared = 1;
        strncat(n->text, ", via the org's shared egress", sizeof n->text - strlen(n->text) - 1);
    }
}

/*
 * The ASN and /24 are both long-standing routine (trusted, first seen before
 * since): such a sign-in can be no chain's new context, so no state is read.
 */
static int routine_context(const struct idw_persona *p, const struct idw_event *ev, int64_t since)
{
    char asn[IDW_ASN_KEYLEN], pfx[IDW_PV_VALUE];
    const struct idw_pvalue *a, *n;

    if (!ev->asn || !ev->ip)
        return 0;
    idw_ip_prefix(ev->ip, pfx, sizeof pfx);
    a = idw_persona_knows(p, IDW_DIM_ASNS, idw_asn_key(ev->asn, asn));
    n = idw_persona_knows(p, IDW_DIM_PREFIXES, pfx);
    return a && n && a->first_seen < since && n->first_seen < since;
}

/* ---- state and alerts ---------------------------------------------------------------- */

static int load(struct idw_detect_ctx *ctx, const struct idw_event *ev, struct chain *s, char *key,
                size_t keylen)
{
    snprintf(key, keylen, "u:%s", ev->tuid);
    if (idw_state_get(ctx, key, STATE_VERSION, s, sizeof *s) != IDW_OK)
        return 0;
    s->admin[sizeof s->admin - 1] = s->admin_ctx[sizeof s->admin_ctx - 1] = '\0';
    s->enrolled[sizeof s->enrolled - 1] = '\0';
    return 1;
}

static void emit(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                 enum idw_severity sev, int score, const char *mitre, const char *summary,
                 const char *evidence)
{
    struct idw_alert_candidate a = {0};

    a.severity = sev;
    a.score = score + idw_okta_risk_points(ev);
    if (a.score > 100)
        a.score = 100;
    snprintf(a.entity, sizeof a.entity, "user:%s", ev->tuid);
    a.window_ms = c->chain_ms;
    a.mitre = mitre;
    a.stage = "Persistence";
    snprintf(a.summary, sizeof a.summary, "%s: %s", ev->subject.login ? ev->subject.login : "a user",
             summary);
    snprintf(a.evidence, sizeof a.evidence, "%s", evidence);
    idw_detect_emit(ctx, &a);
}

/* "factors reset by admin X (admin context: AS.. known, ...) 2.0 h earlier" */
static void reset_text(const struct chain *s, int64_t t, char *out, size_t len)
{
    int tenths = (int)((t - s->reset_at) / (IDW_HOUR_MS / 10));
    char when[32] = "";

    if (t - s->reset_at >= IDW_MIN_MS)
        snprintf(when, sizeof when, " %d.%d h earlier", tenths / 10, tenths % 10);
    snprintf(out, len, "factors reset %s%.63s%s%.95s%s%s%s", s->by_admin ? "by admin " : "by the user",
             s->admin, s->admin_ctx[0] ? " (admin context: " : "", s->admin_ctx,
             s->admin_ctx[0] ? ")" : "", s->self_usual ? " from the user's usual context" : "", when);
}

/* ---- the reset ----------------------------------------------------------------------- */

static int rare_with_password(const struct cfg *c, const struct chain *s)
{
    int rare = !s->prev_reset_at || s->reset_at - s->prev_reset_at > c->rare_ms;
    int64_t d = s->pw_at - s->reset_at;
    return rare && s->pw_at && (d < 0 ? -d : d) <= c->password_ms;
}

static void report_reset(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                         const struct chain *s)
{
    char txt[700], reset[256];
    int pw = rare_with_password(c, s);
    int medium = s->admin_new || pw;

    reset_text(s, ev->published_ms, reset, sizeof reset);
    snprintf(txt, sizeof txt, "%s%s; previous reset: %s%s", reset,
             s->admin_new ? "; a context new to that admin" : "",
             !s->prev_reset_at ? "none remembered"
             : s->reset_at - s->prev_reset_at > c->rare_ms ? "long ago (rare)" : "recent",
             pw ? "; a password reset within the hour of it" : "");
    emit(ctx, c, ev, medium ? IDW_SEV_MEDIUM : IDW_SEV_LOW, medium ? 50 : 25, "T1556.006",
         medium ? "MFA factors reset in a suspicious context" : "MFA factors reset", txt);
}

/*
 * The user's own factor change from an ASN and country their established
 * persona trusts (or the org's shared egress), on no device token new to
 * them: someone replacing their phone at their desk.
 */
static int self_usual(struct idw_detect_ctx *ctx, const struct idw_event *ev, const struct idw_persona *p)
{
    struct novelty n;

    if (!ev->subject_is_actor)
        return 0;
    judge(ctx, ev, p, &n);
    return !n.learning && !n.asn && !n.country && !n.device;
}

static void on_reset(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                     const struct idw_persona *before)
{
    const struct idw_persona *adm = idw_detect_actor(ctx);
    struct chain s, old;
    struct novelty n;
    char key[64];

    load(ctx, ev, &old, key, sizeof key);
    memset(&s, 0, sizeof s);
    s.reset_at = ev->published_ms;
    s.prev_reset_at = old.reset_at;
    s.pw_at = old.pw_at;
    s.stage = ST_RESET;
    s.by_admin = !ev->subject_is_actor;
    s.self_usual = (uint8_t)self_usual(ctx, ev, before);
    if (s.by_admin)
        snprintf(s.admin, sizeof s.admin, "%s", ev->actor.login ? ev->actor.login
                 : ev->actor.display_name ? ev->actor.display_name : "(not a person)");
    if (adm) {
        judge(ctx, ev, adm, &n);
        s.admin_new = (uint8_t)(n.asn || n.country);
        snprintf(s.admin_ctx, sizeof s.admin_ctx, "%.95s", n.text);
    }
    report_reset(ctx, c, ev, &s);
    idw_state_put(ctx, key, STATE_VERSION, &s, sizeof s);
}

static void on_password(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev)
{
    struct chain s;
    char key[64];

    load(ctx, ev, &s, key, sizeof key);
    s.pw_at = ev->published_ms;
    if (s.stage >= ST_RESET && rare_with_password(c, &s))
        report_reset(ctx, c, ev, &s);
    idw_state_put(ctx, key, STATE_VERSION, &s, sizeof s);
}

/* ---- the enrollment ------------------------------------------------------------------ */

static int seen_after_reset(const struct chain *s, uint32_t asn)
{
    for (unsigned i = 0; asn && i < s->nseen && i < SEEN; i++)     /* nseen counts on past SEEN */
        if (s->seen_asn[i] == asn)
            return 1;
    return 0;
}

static void report_enroll(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                          const struct chain *s, int chained)
{
    char txt[700], reset[256];
    const char *mitre = (ev->kind->flags & IDW_K_DEVICE) ? "T1556.006,T1098.005" : "T1556.006";

    if (!chained) {
        snprintf(txt, sizeof txt, "%s enrolled, no factor reset before it", s->enrolled);
        emit(ctx, c, ev, IDW_SEV_MEDIUM, 55, mitre, "a factor enrolled from a new place", txt);
        return;
    }
    reset_text(s, ev->published_ms, reset, sizeof reset);
    snprintf(txt, sizeof txt, "%s; then %s enrolled", reset, s->enrolled);
    emit(ctx, c, ev, IDW_SEV_HIGH, 75, mitre,
         "MFA reset, then a factor enrolled from a new context", txt);
}

/*
 * The network a takeover would sign in from: the ASN only when it is new to
 * the user, the IP when the ASN or country is (a new browser on the user's
 * usual network proves nothing about who signs in from it next).
 */
static void remember_enrollment(struct chain *s, const struct idw_event *ev, const struct novelty *n)
{
    int new_asn = n->asn || seen_after_reset(s, ev->asn);

    s->enroll_at = ev->published_ms;
    s->enroll_asn = new_asn ? ev->asn : 0;
    s->enroll_ip = new_asn || n->country ? hash_of(ev->ip) : 0;
}

/* The factor, or the device (top-level device object, else the device target). */
static const char *enrolled_what(const struct idw_event *ev)
{
    if (ev->factor)
        return ev->factor;
    if (ev->device_name)
        return ev->device_name;
    if ((ev->kind->flags & IDW_K_DEVICE) && ev->target.display_name)
        return ev->target.display_name;
    return ev->okta_type;
}

static void on_enroll(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                      const struct idw_persona *before)
{
    struct chain s;
    struct novelty n;
    char key[64];
    int64_t t = ev->published_ms;
    int seen, open;

    judge(ctx, ev, before, &n);
    if (n.learning)
        return;
    load(ctx, ev, &s, key, sizeof key);
    seen = seen_after_reset(&s, ev->asn);
    snprintf(s.enrolled, sizeof s.enrolled, "%.40s from %.45s (%.100s%s)", enrolled_what(ev),
             ev->ip ? ev->ip : "?", n.text, seen ? ", a network first proven after the reset" : "");
    open = s.stage >= ST_RESET && t >= s.reset_at && t - s.reset_at <= c->chain_ms;
    /* after the user's own change from their usual context, a new device token alone is the new phone */
    if (open && s.self_usual && !n.asn && !n.country && !seen)
        return;
    if (open && (n.asn || n.country || n.device || seen)) {
        if (s.stage < ST_ENROLLED)
            s.stage = ST_ENROLLED;
        remember_enrollment(&s, ev, &n);
        report_enroll(ctx, c, ev, &s, 1);
        idw_state_put(ctx, key, STATE_VERSION, &s, sizeof s);
    } else if (!open && (n.asn || n.country)) {
        report_enroll(ctx, c, ev, &s, 0);
    }
}

/* ---- the sign-in that completes the takeover ---------------------------------------- */

static void report_success(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                           const struct chain *s)
{
    char txt[700], reset[256];

    reset_text(s, ev->published_ms, reset, sizeof reset);
    snprintf(txt, sizeof txt, "%s; then %s enrolled %.1f h after the reset; "
             "then a successful %s from the same new network (AS%u, %s) %.0f min after the enrollment",
             reset, s->enrolled, hours(s->enroll_at - s->reset_at), ev->okta_type, ev->asn,
             ev->ip ? ev->ip : "?", (double)(ev->published_ms - s->enroll_at) / IDW_MIN_MS);
    emit(ctx, c, ev, IDW_SEV_CRITICAL, 95, "T1556.006",
         "MFA reset, new factor from a new context, then signed in from it", txt);
}

static void on_success(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                       const struct idw_persona *before)
{
    struct chain s;
    struct novelty n;
    char key[64];
    int64_t t = ev->published_ms;

    if (!load(ctx, ev, &s, key, sizeof key) || s.stage == ST_NONE || s.stage == ST_SIGNED_IN ||
        t < s.reset_at || t - s.reset_at > 2 * c->chain_ms)
        return;
    if (s.stage == ST_ENROLLED) {
        if (t - s.enroll_at > c->chain_ms ||
            !((s.enroll_asn && ev->asn == s.enroll_asn) || (s.enroll_ip && hash_of(ev->ip) == s.enroll_ip)))
            return;
        s.stage = ST_SIGNED_IN;
        report_success(ctx, c, ev, &s);
        idw_state_put(ctx, key, STATE_VERSION, &s, sizeof s);
        return;
    }
    /* after the reset, before any enrollment: remember networks new to the user */
    judge(ctx, ev, before, &n);
    if (!n.asn || t - s.reset_at > c->chain_ms || seen_after_reset(&s, ev->asn))
        return;
    s.seen_asn[s.nseen % SEEN] = ev->asn;       /* a ring: 256 is a multiple of SEEN */
    s.nseen++;
    idw_state_put(ctx, key, STATE_VERSION, &s, sizeof s);
}

/* ---- dispatch ----------------------------------------------------------------------- */

static int is_success(const struct idw_event *ev)
{
    const unsigned f = ev->kind->flags;
    return ev->subject_is_actor && idw_outcome_ok(ev->outcome) && !(f & IDW_K_PUSH) &&
           (f & (IDW_K_SIGNIN | IDW_K_SSO | IDW_K_MFA));
}

static void fr_on_event(const void *config, struct idw_detect_ctx *ctx, const struct idw_event *ev,
                        const struct idw_persona *before)
{
    const struct cfg *c = config;
    const unsigned f = ev->kind->flags;

    if (!ev->tuid[0])
        return;
    if (is_success(ev)) {
        /* only users who ever changed a factor, from a network that is not old routine */
        if (before && before->c.factor_changes &&
            !routine_context(before, ev, ev->published_ms - c->chain_ms))
            on_success(ctx, c, ev, before);
        return;
    }
    if (ev->outcome != IDW_OUT_UNKNOWN && !idw_outcome_ok(ev->outcome))
        return;
    if ((f & IDW_K_FACTOR_REMOVE) || ((f & IDW_K_RESET) && (f & IDW_K_FACTOR_CHANGE)))
        on_reset(ctx, c, ev, before);
    else if (f & IDW_K_CREDENTIAL)
        on_password(ctx, c, ev);
    else if (f & IDW_K_ENROLL)
        on_enroll(ctx, c, ev, before);
}

static const struct idw_rule_param factor_reset_params[] = {
    {.name = "chain_hours", .def = 24, .min = 1, .max = 720, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, chain_ms), .unit = IDW_UNIT_HOURS,
     .doc = "how long a reset, a new enrollment and a sign-in are chained"},
    {.name = "password_minutes", .def = 60, .min = 1, .max = 1440, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, password_ms), .unit = IDW_UNIT_MINUTES,
     .doc = "a password reset this close to a factor reset joins the chain"},
    {.name = "rare_days", .def = 90, .min = 1, .max = 3650, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, rare_ms), .unit = IDW_UNIT_DAYS,
     .doc = "a reset of a user whose previous reset is older than this (or unknown) is rare: with a "
            "password reset close to it, medium"},
    IDW_PARAM_END,
};

const struct idw_rule idw_rule_factor_reset = {
    .id = "factor_reset",
    .description = "MFA factor resets, and the takeover chain: reset, enrollment from a new "
                   "context, sign-in from it",
    .kinds = IDW_K_FACTOR_CHANGE | IDW_K_DEVICE | IDW_K_CREDENTIAL | IDW_K_SIGNIN | IDW_K_SSO | IDW_K_MFA,
    .params = factor_reset_params,
    .config_size = sizeof(struct cfg),
    .on_event = fr_on_event,
};
