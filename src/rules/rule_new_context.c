/*
 * rule_new_context.c — `new_context`: a successful sign-in that does not
 * look like the user's routine, scored across every dimension at once.
 *
 * Public rules alert per dimension ("new country", "new device"...) and
 * drown analysts in business trips.  This one adds the deviations of one
 * session into one score, each weighted by how much it means:
 *
 *   new country 30 (10 when org_familiar_users colleagues have it in their
 *   routine), new ASN 20 (12 when two colleagues use it, 5 when several do,
 *   0 for a shared org exit), new device 25 (15 on an OS and browser the
 *   user already uses), proxy/anonymizer 10, first use of a sensitive app
 *   20 (the Okta Admin Console 25, other apps 5), an hour the user is never
 *   active 10, a weaker factor than the user's usual 15, plus Okta's own
 *   risk points (idw_okta_risk_points).
 *
 * A trusted device halves the score: a laptop the user has signed in
 * from for weeks, now in a hotel abroad, is a business trip.  A session
 * is judged once, at its first event: later events of a session the
 * persona already trusts are skipped, so one trip is one verdict.  Values
 * first seen in an alerting event stay provisional (persona.h), so an
 * attacker's repeated sign-ins keep being judged new.  Learning personas
 * are not judged at all.
 *
 * One pattern scores low on its own and is judged over time: a sign-in
 * from the user's usual country but a network, a city and a device all new
 * to them (an account takeover through a residential proxy in the user's
 * own country, on a common browser).  The rule remembers it ("ic:<tuid>")
 * and when, within follow_hours, the same session, network or device opens
 * apps the user never opened before, each such app raises the alert to at
 * least medium.  A new laptop at the usual network, or a trip on the usual
 * device, is not the pattern.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "rules/prim.h"

struct cfg {
    unsigned low, medium, high;             /* score thresholds */
    unsigned org_familiar;                  /* users of the org that make a country/ASN familiar */
    int64_t window_ms, follow_ms;
    struct idw_strings sensitive;           /* app name substrings, case-insensitive */
};

static const char *const default_sensitive[] = {
    "admin", "console", "aws", "azure", "google cloud", "gcp", "vault", "github", "gitlab",
    "1password", "kubernetes", "jenkins", "okta", NULL,
};

/*
 * The one thing the table cannot say: the thresholds in order.  (Each is
 * 1..100 in the table: a low_score of 0 would alert on every sign-in.)
 */
static enum idw_rc nc_check(const void *config, char *err, size_t errlen)
{
    const struct cfg *c = config;

    if (c->low <= c->medium && c->medium <= c->high)
        return IDW_OK;
    snprintf(err, errlen, "low_score, medium_score and high_score must be in that order (each at "
             "most the next): they are %u, %u and %u", c->low, c->medium, c->high);
    return IDW_ERR;
}

#define IC_VERSION 1

/* An in-country sign-in from a new network, city and device: what first-time apps are checked against. */
struct in_country {
    int64_t at;
    uint32_t asn, session, device;      /* hashes (asn as is); 0: absent */
    int32_t score;                      /* the sign-in's own score */
    uint32_t apps;                      /* first-time apps that followed */
    char what[320];                     /* the sign-in, for evidence */
};

/* What one deviation adds, and the words that explain it. */
struct verdict {
    int score;
    char evidence[768];
    size_t len;
    const char *what[8];
    int nwhat;
};

static void add(struct verdict *v, int points, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add(struct verdict *v, int points, const char *what, const char *fmt, ...)
{
    va_list ap;
    int n;

    v->score += points;
    if (what && v->nwhat < 8)
        v->what[v->nwhat++] = what;
    if (v->len >= sizeof v->evidence - 1)
        return;
    if (v->len)
        v->evidence[v->len++] = ';', v->evidence[v->len++] = ' ';
    va_start(ap, fmt);
    n = vsnprintf(v->evidence + v->len, sizeof v->evidence - v->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        v->len += (size_t)n < sizeof v->evidence - v->len ? (size_t)n : sizeof v->evidence - v->len - 1;
}

/* Users of the org with this value in their routine: the org's own geography and ISPs. */
static unsigned org_users(struct idw_detect_ctx *ctx, enum idw_dim d, const char *value)
{
    return idw_org_users_with(ctx, d, value);
}

/*
 * A country or network new to the user is worth less when colleagues
 * already live or work there: a trip to the London office, the big local
 * ISP of the hotel.  An attacker's hosting ASN or faraway country is new to
 * the whole org.
 */
static void judge_place(struct idw_detect_ctx *ctx, const struct cfg *c, struct verdict *v,
                        const struct idw_event *ev, const struct idw_persona *p)
{
    char asn[IDW_PV_VALUE];
    double share;
    unsigned users;
    const struct idw_pvalue *u;

    if (idw_country_novelty(ctx, ev, p) == IDW_NOVELTY_NEW) {
        users = org_users(ctx, IDW_DIM_COUNTRIES, ev->geo.country);
        u = idw_persona_main(p, IDW_DIM_COUNTRIES, &share);
        add(v, users >= c->org_familiar ? 10 : 30, "country",
            "country %s never seen (usual %s %.0f%% of %u sign-ins), home to %u users of the org",
            ev->geo.country, u ? u->value : "none", share, p->c.signin_ok, users);
    }
    /* known, or an org exit (says nothing about this person) */
    if (idw_network_novelty(ctx, ev, p) != IDW_NOVELTY_NEW)
        return;
    users = idw_network_key(ev, asn) ? org_users(ctx, IDW_DIM_ASNS, asn) : 0;
    idw_network_name(ev, asn);
    u = idw_persona_main(p, IDW_DIM_ASNS, &share);
    add(v, users >= c->org_familiar ? 5 : users >= 2 ? 12 : 20, "network",
        "%s (%s) new for this user, in the routine of %u users of the org; usual %s (%s) %.0f%%",
        asn, ev->as_org ? ev->as_org : "?", users, u ? u->value : "none",
        u && u->label[0] ? u->label : "?", share);
    if (ev->is_proxy == 1)
        add(v, 10, "proxy", "Okta flags the address as a proxy or anonymizer");
}

/* Values of a dimension the persona trusts. */
static unsigned trusted(const struct idw_persona *p, enum idw_dim d)
{
    const struct idw_pvalue *v = &p->vals[idw_dim_desc(d)->offset];
    unsigned n = 0;
    for (unsigned i = 0; i < p->n[d]; i++)
        n += !v[i].provisional;
    return n;
}

/*
 * 2 a new device on a platform (OS and browser) the user never used, 1 a
 * new device token on a familiar platform (a new browser profile, a
 * reinstall), 0 known, -1 no device identity on the event.
 */
static int device_novelty(struct idw_detect_ctx *ctx, const struct idw_event *ev,
                          const struct idw_persona *p)
{
    enum idw_novelty n = idw_device_novelty(ctx, ev, p);

    if (n == IDW_NOVELTY_NO_BASELINE)
        return -1;
    if (n == IDW_NOVELTY_KNOWN)
        return 0;
    if (idw_persona_knows(p, IDW_DIM_OS, ev->ua_os) && idw_persona_knows(p, IDW_DIM_BROWSERS, ev->ua_browser))
        return 1;
    return 2;
}

static void judge_app(const struct cfg *c, struct verdict *v, const struct idw_event *ev,
                      const struct idw_persona *p)
{
    const char *app = idw_event_app_key(ev);

    if (!(ev->kind->flags & (IDW_K_SSO | IDW_K_ADMIN_ACCESS)) || !app ||
        idw_persona_knows(p, IDW_DIM_APPS, app))
        return;
    if (ev->kind->flags & IDW_K_ADMIN_ACCESS)
        add(v, 25, "admin console", "first access to the Okta Admin Console");
    else if (idw_strings_find(&c->sensitive, ev->app_name))
        add(v, 20, "sensitive app", "first use of %s, a sensitive app (%u apps known)",
            ev->app_name, trusted(p, IDW_DIM_APPS));
    else
        add(v, 5, NULL, "first use of %s", ev->app_name ? ev->app_name : app);
}

/* Share of the user's activity in this hour of the week and the two beside it. */
static void judge_hour(struct verdict *v, const struct idw_event *ev, const struct idw_persona *p)
{
    int64_t t = ev->published_ms;
    int slot = (int)(((t / IDW_DAY_MS + 3) % 7) * 24 + (t % IDW_DAY_MS) / IDW_HOUR_MS);
    double total = 0, near = 0;

    for (int i = 0; i < 168; i++)
        total += p->hours[i];
    for (int d = -1; d <= 1; d++)
        near += p->hours[(slot + d + 168) % 168];
    if (total >= 20 && near < total * 0.005)
        add(v, 10, "hour", "at %02d:00 UTC, an hour with %.1f%% of this user's activity",
            slot % 24, 100.0 * near / total);
}

/* Factor strength: phishing-resistant 3, app-based 2, phone/email 1, password 0. */
static int factor_rank(const char *f)
{
    static const char *const strong[] = {"FIDO", "WEBAUTHN", "SIGNED_NONCE", "FASTPASS", NULL};
    static const char *const app[] = {"PUSH", "TOTP", "TOKEN", "OKTA_VERIFY", NULL};
    static const char *const weak[] = {"SMS", "CALL", "EMAIL", "QUESTION", "VOICE", NULL};
    const char *const *lists[] = {weak, app, strong};

    for (int r = 2; r >= 0; r--)
        for (int i = 0; lists[r][i]; i++)
            if (strcasestr(f, lists[r][i]))
                return r + 1;
    return 0;
}

static void judge_factor(struct verdict *v, const struct idw_event *ev, const struct idw_persona *p)
{
    const struct idw_pvalue *f = &p->vals[idw_dim_desc(IDW_DIM_FACTORS)->offset], *best = NULL;

    if (!(ev->kind->flags & IDW_K_MFA) || !ev->factor || idw_persona_knows(p, IDW_DIM_FACTORS, ev->factor))
        return;
    for (unsigned i = 0; i < p->n[IDW_DIM_FACTORS]; i++)
        if (!f[i].provisional && f[i].count >= 3 &&
            (!best || factor_rank(f[i].value) > factor_rank(best->value)))
            best = &f[i];
    if (best && factor_rank(ev->factor) < factor_rank(best->value))
        add(v, 15, "weaker factor", "verified with %s, weaker than the usual %s (%u times)",
            ev->factor, best->value, best->count);
}

static int judged(const struct idw_event *ev, const struct idw_persona *p,
                  const struct idw_persona_params *prm)
{
    const unsigned f = ev->kind->flags;
    if (!p || !ev->subject_is_actor || !idw_outcome_ok(ev->outcome) || (f & IDW_K_PUSH) ||
        !(f & (IDW_K_SIGNIN | IDW_K_SSO | IDW_K_MFA | IDW_K_ADMIN_ACCESS)))
        return 0;
    return !idw_persona_learning(p, ev->published_ms, prm);
}

/* One verdict per session (its root, under Identity Engine): its first event judged it. */
static int session_judged(const struct idw_event *ev, const struct idw_persona *p)
{
    return idw_event_session_key(ev) && idw_persona_knows(p, IDW_DIM_SESSIONS, idw_event_session_key(ev));
}

static uint32_t hash_of(const char *s)
{
    return s ? (uint32_t)idw_hash64(s) | 1u : 0;    /* never 0: 0 means absent */
}

/*
 * The in-country pattern: the country is the user's, but the network (not
 * the org's shared exit), the city and the device token are all new.
 */
static int in_country_shape(struct idw_detect_ctx *ctx, const struct idw_event *ev,
                            const struct idw_persona *p, int dev)
{
    char city[160];

    if (dev <= 0 || !ev->geo.city || idw_country_novelty(ctx, ev, p) != IDW_NOVELTY_KNOWN ||
        idw_network_novelty(ctx, ev, p) != IDW_NOVELTY_NEW)
        return 0;
    snprintf(city, sizeof city, "%s, %s", ev->geo.city, ev->geo.country);
    return !idw_persona_knows(p, IDW_DIM_CITIES, city);
}

static void remember_shape(struct idw_detect_ctx *ctx, const struct idw_event *ev, int score)
{
    struct in_country r = {0};
    char key[64], net[IDW_PV_VALUE];

    r.at = ev->published_ms;
    r.asn = ev->asn;
    r.session = hash_of(idw_event_session_key(ev));
    r.device = hash_of(ev->dt_hash);
    r.score = score;
    snprintf(r.what, sizeof r.what, "a sign-in from %.45s (%.40s, %.40s) in the user's usual country "
             "%.40s, with the network, city and device all new to them", ev->ip ? ev->ip : "?",
             idw_network_name(ev, net), ev->geo.city, ev->geo.country);
    snprintf(key, sizeof key, "ic:%s", ev->tuid);
    idw_state_put(ctx, key, IC_VERSION, &r, sizeof r);
}

/*
 * A first-time app opened by the same session, network or device within
 * follow_hours of the in-country pattern: r filled, 1.  Reads state only
 * for an app the user never opened, which is rare.
 */
static int follows_shape(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                         const struct idw_persona *p, struct in_country *r)
{
    const char *app = idw_event_app_key(ev);
    char key[64];
    int64_t d;

    if (!(ev->kind->flags & (IDW_K_SSO | IDW_K_ADMIN_ACCESS)) || !app ||
        idw_persona_knows(p, IDW_DIM_APPS, app))
        return 0;
    snprintf(key, sizeof key, "ic:%s", ev->tuid);
    if (idw_state_get(ctx, key, IC_VERSION, r, sizeof *r) != IDW_OK)
        return 0;
    r->what[sizeof r->what - 1] = '\0';
    d = ev->published_ms - r->at;
    if (d < 0 || d > c->follow_ms)
        return 0;
    return (r->session && r->session == hash_of(idw_event_session_key(ev))) ||
           (r->asn && r->asn == ev->asn) || (r->device && r->device == hash_of(ev->dt_hash));
}

/* The follow-up's own verdict: the sign-in's score, the app, and the step to at least medium. */
static void judge_follow(struct idw_detect_ctx *ctx, const struct cfg *c, struct verdict *v,
                         const struct idw_event *ev, const struct idw_persona *p, struct in_country *r)
{
    char key[64];

    add(v, r->score, NULL, "%.0f min after %s (score %d)",
        (double)(ev->published_ms - r->at) / IDW_MIN_MS, r->what, (int)r->score);
    judge_app(c, v, ev, p);
    add(v, 15, "apps after an in-country new context",
        "an app this user never opened, after that sign-in (%u before it)", (unsigned)r->apps);
    if (v->score < (int)c->medium)
        v->score = (int)c->medium;
    r->apps++;
    snprintf(key, sizeof key, "ic:%s", ev->tuid);
    idw_state_put(ctx, key, IC_VERSION, r, sizeof *r);
}

static void report(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                   struct verdict *v)
{
    struct idw_alert_candidate a = {0};
    char what[128] = "";

    a.score = v->score > 100 ? 100 : v->score;
    a.severity = a.score >= (int)c->high ? IDW_SEV_HIGH
               : a.score >= (int)c->medium ? IDW_SEV_MEDIUM : IDW_SEV_LOW;
    for (int i = 0; i < v->nwhat; i++)
        snprintf(what + strlen(what), sizeof what - strlen(what), "%s%s", i ? ", " : "", v->what[i]);
    snprintf(a.entity, sizeof a.entity, "user:%s", ev->tuid);
    a.window_ms = c->window_ms;
    a.mitre = "T1078,T1078.004";
    a.stage = "Compromise Identity";
    snprintf(a.summary, sizeof a.summary, "%s signed in from an unfamiliar context (new %s)",
             ev->subject.login ? ev->subject.login : "a user", what[0] ? what : "details");
    snprintf(a.evidence, sizeof a.evidence, "score %d: %.740s", a.score, v->evidence);
    idw_detect_emit(ctx, &a);
}

static void nc_on_event(const void *config, struct idw_detect_ctx *ctx, const struct idw_event *ev,
                        const struct idw_persona *before)
{
    const struct cfg *c = config;
    struct verdict v = {0};
    struct in_country r;
    int dev, risk;

    if (!judged(ev, before, idw_detect_params(ctx)))
        return;
    if (follows_shape(ctx, c, ev, before, &r)) {
        judge_follow(ctx, c, &v, ev, before, &r);
        report(ctx, c, ev, &v);
        return;
    }
    if (session_judged(ev, before))
        return;
    judge_place(ctx, c, &v, ev, before);
    dev = device_novelty(ctx, ev, before);
    if (dev > 0)
        add(&v, dev == 2 ? 25 : 15, "device", "device %.12s… never seen (%u devices known)%s",
            ev->dt_hash, trusted(before, IDW_DIM_DEVICES),
            dev == 2 ? ", on an OS and browser this user never used" : ", on a familiar OS and browser");
    judge_app(c, &v, ev, before);
    judge_hour(&v, ev, before);
    judge_factor(&v, ev, before);
    risk = idw_okta_risk_points(ev);
    if (risk > 0)
        add(&v, risk, "Okta risk", "Okta risk signals: threatSuspected %s, risk %s",
            ev->threat_suspected ? "true" : "false", ev->risk_level ? ev->risk_level : "none");
    if (dev == 0 && !risk && v.score > 0) {
        v.score /= 2;       /* the user's own trusted device: most likely the user, elsewhere */
        add(&v, 0, NULL, "on a trusted device of this user (score halved)");
    }
    if (in_country_shape(ctx, ev, before, dev))
        remember_shape(ctx, ev, v.score);
    if (v.score >= (int)c->low)
        report(ctx, c, ev, &v);
}

static const struct idw_rule_param new_context_params[] = {
    {.name = "low_score", .def = 25, .min = 1, .max = 100, .type = IDW_PARAM_INTEGER,
     .offset = offsetof(struct cfg, low),
     .doc = "score from which a low alert is raised (at most medium_score)"},
    {.name = "medium_score", .def = 45, .min = 1, .max = 100, .type = IDW_PARAM_INTEGER,
     .offset = offsetof(struct cfg, medium),
     .doc = "score from which the alert is medium (low_score to high_score)"},
    {.name = "high_score", .def = 70, .min = 1, .max = 100, .type = IDW_PARAM_INTEGER,
     .offset = offsetof(struct cfg, high),
     .doc = "score from which the alert is high (at least medium_score)"},
    {.name = "window_hours", .def = 24, .min = 1, .max = 720, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, window_ms), .unit = IDW_UNIT_HOURS,
     .doc = "alerts on one user within this window aggregate"},
    {.name = "follow_hours", .def = 8, .min = 1, .max = 168, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, follow_ms), .unit = IDW_UNIT_HOURS,
     .doc = "apps the user never opened, this soon after an in-country sign-in from a new network, city "
            "and device (same session, network or device), make it at least medium"},
    {.name = "org_familiar_users", .def = 3, .min = 1, .max = 100000, .type = IDW_PARAM_INTEGER,
     .offset = offsetof(struct cfg, org_familiar),
     .doc = "colleagues with a country or ISP in their routine make it familiar to the org"},
    {.name = "sensitive_apps", .def = 0, .min = 0, .max = IDW_STRINGS_MAX, .type = IDW_PARAM_STRINGS,
     .offset = offsetof(struct cfg, sensitive), .strings_def = default_sensitive,
     .doc = "app names (substrings, case-insensitive) that make a new context riskier"},
    IDW_PARAM_END,
};

const struct idw_rule idw_rule_new_context = {
    .id = "new_context",
    .description = "a sign-in whose country, network, device, app, hour and factor deviate from the "
                   "user's routine, scored together",
    .kinds = IDW_K_SIGNIN | IDW_K_SSO | IDW_K_MFA | IDW_K_ADMIN_ACCESS,
    .params = new_context_params,
    .config_size = sizeof(struct cfg),
    .check = nc_check,
    .on_event = nc_on_event,
};
