/*
 * rule_slow_spray.c — `slow_spray`: a low-and-slow password spray, seen
 * org-wide: one or two tries per account across many accounts, from many
 * addresses in hosting, proxy or anonymizer networks, over hours.
 *
 * password_spray keys its windows by source (an IP, an ASN), so an attacker
 * who rotates through proxy addresses, one or two tries each, never fills
 * one source's window.  This rule keeps one window for the whole org: the
 * newest RING failed primary sign-ins that look like someone else's
 * (known users: from a network their persona does not trust; usernames
 * Okta does not know: from a hosting network, or an ASN none of the org's
 * users has; never from the org's shared egress), each with its account,
 * address, ASN and whether the network is hosting/proxy.  It fires when,
 * within window_hours, at least min_accounts distinct accounts (of which
 * min_known_accounts real ones) were tried, at most
 * max_attempts_per_account times each on average, from at least min_ips
 * addresses, at least min_hosting_share of the tries from hosting, proxy
 * or anonymizer networks.  Medium; high when a targeted account then signs
 * in successfully, within the window, from a hosting or proxy network or
 * from one of the spray's ASNs.
 *
 * Bounded: the org's record ("org") is one ring of RING failures of 16
 * bytes (accounts and addresses as 31-bit hashes, times in seconds); an
 * org with more such failures in the window sees a shorter window.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/prim.h"

#define RING 240
#define STATE_VERSION 1
#define UNKNOWN_ACCOUNT 0x80000000u     /* account: a username Okta does not know */
#define HOSTING 0x80000000u             /* ip: a hosting, proxy or anonymizer network */

struct cfg {
    int64_t window_ms;
    unsigned min_accounts, min_known, min_ips;
    double max_attempts, min_hosting_share;
    struct idw_strings hosting;
};

static const char *const default_hosting[] = {
    "hosting", "vps", "cloud", "server", "data center", "datacenter", "digitalocean", "amazon",
    "aws", "google llc", "microsoft", "azure", "ovh", "hetzner", "linode", "akamai", "vultr", "choopa",
    "m247", "leaseweb", "contabo", "alibaba", "tencent", "oracle", "scaleway", "online sas", "quadranet",
    "psychz", "frantech", "proxy", "vpn", NULL,
};

struct fail {
    uint32_t t_s;               /* event time, epoch seconds; 0 a free slot */
    uint32_t account;           /* hash; UNKNOWN_ACCOUNT marks unknown usernames */
    uint32_t ip;                /* hash; HOSTING marks hosting/proxy networks */
    uint32_t asn;               /* 0 unknown */
};

struct org_state {
    struct fail f[RING];
    int64_t alerted_at;         /* the failure of the last alert version, 0 none */
    uint32_t reported;          /* distinct accounts at that version */
    uint32_t unused;
};

/* What the window holds. */
struct shape {
    unsigned failures, accounts, known, ips, asns, hosting;
};

static enum idw_rc ss_check(const void *config, char *err, size_t errlen)
{
    const struct cfg *c = config;

    if (c->min_known <= c->min_accounts)
        return IDW_OK;
    snprintf(err, errlen, "min_known_accounts (%u) must be at most min_accounts (%u)", c->min_known,
             c->min_accounts);
    return IDW_ERR;
}

static uint32_t hash31(const char *s)
{
    return s ? ((uint32_t)idw_hash64(s) & ~HOSTING) | 1u : 0;     /* never 0 */
}

static uint32_t account_of(const struct idw_event *ev)
{
    if (ev->tuid[0])
        return hash31(ev->tuid);
    return ev->unknown_user_hash ? hash31(ev->unknown_user_hash) | UNKNOWN_ACCOUNT : 0;
}

/* Okta's isProxy, or an AS organisation, ISP or domain naming a hosting or VPN business. */
static int is_hosting(const struct cfg *c, const struct idw_event *ev)
{
    return ev->is_proxy == 1 || idw_strings_find(&c->hosting, ev->as_org) ||
           idw_strings_find(&c->hosting, ev->isp) || idw_strings_find(&c->hosting, ev->as_domain);
}

/*
 * A failure that may be someone else's: not the user's own network (a
 * typo), not the org's shared exit; a mistyped username from an ISP that
 * colleagues use is a typo too, but hosting networks always count.
 */
static int counted(struct idw_detect_ctx *ctx, const struct idw_event *ev, const struct idw_persona *p,
                   int hosting)
{
    char asn[IDW_ASN_KEYLEN];
    enum idw_novelty n;

    if (idw_org_shared_egress(ctx, ev->ip))
        return 0;
    if (ev->tuid[0]) {
        n = idw_network_novelty(ctx, ev, p);
        return n != IDW_NOVELTY_KNOWN && n != IDW_NOVELTY_SHARED_EGRESS;
    }
    if (hosting || !ev->asn)
        return 1;
    return idw_org_users_with(ctx, IDW_DIM_ASNS, idw_asn_key(ev->asn, asn)) < IDW_SHARED_EGRESS_USERS;
}

/* Into a free slot, else over the oldest (an event older than all of them is dropped). */
static void ring_add(struct org_state *s, const struct fail *f)
{
    unsigned oldest = 0;

    for (unsigned i = 0; i < RING; i++) {
        if (!s->f[i].t_s) {
            s->f[i] = *f;
            return;
        }
        if (s->f[i].t_s < s->f[oldest].t_s)
            oldest = i;
    }
    if (f->t_s > s->f[oldest].t_s)
        s->f[oldest] = *f;
}

static int in_window(const struct fail *f, int64_t end, int64_t span)
{
    int64_t t = (int64_t)f->t_s * 1000;
    return f->t_s && t >= end - span && t <= end;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static unsigned distinct(uint32_t *v, unsigned n)
{
    unsigned d = 0;

    qsort(v, n, sizeof *v, cmp_u32);
    for (unsigned i = 0; i < n; i++)
        d += !i || v[i] != v[i - 1];
    return d;
}

static void measure(const struct org_state *s, int64_t end, int64_t span, struct shape *sh)
{
    uint32_t acc[RING], known[RING], ips[RING], asns[RING];
    unsigned n = 0, nk = 0, na = 0;

    memset(sh, 0, sizeof *sh);
    for (unsigned i = 0; i < RING; i++) {
        const struct fail *f = &s->f[i];
        if (!in_window(f, end, span))
            continue;
        acc[n] = f->account;
        ips[n] = f->ip & ~HOSTING;
        sh->hosting += !!(f->ip & HOSTING);
        if (!(f->account & UNKNOWN_ACCOUNT))
            known[nk++] = f->account;
        if (f->asn)
            asns[na++] = f->asn;
        n++;
    }
    sh->failures = n;
    sh->accounts = distinct(acc, n);
    sh->known = distinct(known, nk);
    sh->ips = distinct(ips, n);
    sh->asns = distinct(asns, na);
}

static int spray_shape(const struct cfg *c, const struct shape *sh)
{
    return sh->accounts >= c->min_accounts && sh->known >= c->min_known && sh->ips >= c->min_ips &&
           sh->failures <= c->max_attempts * sh->accounts &&
           sh->hosting >= c->min_hosting_share * sh->failures;
}

static void emit(struct idw_detect_ctx *ctx, const struct cfg *c, enum idw_severity sev, int score,
                 const char *summary, const char *evidence)
{
    struct idw_alert_candidate a = {0};

    a.severity = sev;
    a.score = score;
    snprintf(a.entity, sizeof a.entity, "org:slow_spray");
    a.window_ms = c->window_ms;
    a.mitre = "T1110.003";
    a.stage = "Compromise Identity";
    snprintf(a.summary, sizeof a.summary, "%s", summary);
    snprintf(a.evidence, sizeof a.evidence, "%s", evidence);
    idw_detect_emit(ctx, &a);
}

static void report(struct idw_detect_ctx *ctx, const struct cfg *c, const struct shape *sh)
{
    char summary[256], txt[768];
    double hours = (double)c->window_ms / IDW_HOUR_MS;
    double share = sh->failures ? (double)sh->hosting / sh->failures : 0;
    int score = 55 + (sh->accounts >= 2 * c->min_accounts ? 5 : 0) + (share >= 0.8 ? 5 : 0);

    snprintf(summary, sizeof summary, "low-and-slow password spray: %u accounts tried from %u addresses "
             "in %.1f h", sh->accounts, sh->ips, hours);
    snprintf(txt, sizeof txt, "%u failed sign-ins against %u distinct accounts (%u real, %u unknown "
             "usernames; %.1f per account) from %u addresses in %u ASNs within %.1f h, %.0f%% from hosting, "
             "proxy or anonymizer networks (thresholds: %u accounts, %u real, %u addresses, <= %.1f per "
             "account, >= %.0f%% hosting)", sh->failures, sh->accounts, sh->known, sh->accounts - sh->known,
             (double)sh->failures / sh->accounts, sh->ips, sh->asns, hours, 100 * share, c->min_accounts,
             c->min_known, c->min_ips, c->max_attempts, 100 * c->min_hosting_share);
    emit(ctx, c, IDW_SEV_MEDIUM, score, summary, txt);
}

static void on_failure(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                       const struct idw_persona *before)
{
    int hosting = is_hosting(c, ev);
    struct fail f = {.t_s = (uint32_t)(ev->published_ms / 1000), .account = account_of(ev),
                     .ip = hash31(ev->ip) | (hosting ? HOSTING : 0), .asn = ev->asn};
    struct org_state s;
    struct shape sh;
    int64_t t = ev->published_ms;

    if (!f.t_s || !counted(ctx, ev, before, hosting))
        return;
    if (idw_state_get(ctx, "org", STATE_VERSION, &s, sizeof s) == IDW_ERR)
        return;
    ring_add(&s, &f);
    measure(&s, t, c->window_ms, &sh);
    if (spray_shape(c, &sh)) {
        /* a new alert, or the spray doubled since the last version: a bounded number of versions */
        if (!s.alerted_at || t - s.alerted_at > c->window_ms || sh.accounts >= 2 * s.reported) {
            report(ctx, c, &sh);
            s.alerted_at = t;
            s.reported = sh.accounts;
        }
    }
    idw_state_put(ctx, "org", STATE_VERSION, &s, sizeof s);
}

/*
 * A targeted account signing in, within the window after the alert, from a
 * hosting or proxy network or from one of the spray's ASNs: the spray worked.
 */
static void on_success(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                       const struct idw_persona *before)
{
    uint32_t acct = account_of(ev);
    int targeted = 0, same_asn = 0, hosting = is_hosting(c, ev);
    char summary[256], txt[768], net[IDW_PV_VALUE];
    struct org_state s;
    int64_t t = ev->published_ms;

    if (idw_network_novelty(ctx, ev, before) == IDW_NOVELTY_KNOWN)
        return;         /* the user's own network: no state read */
    if (idw_state_get(ctx, "org", STATE_VERSION, &s, sizeof s) != IDW_OK || !s.alerted_at ||
        t < s.alerted_at || t - s.alerted_at > c->window_ms)
        return;
    for (unsigned i = 0; i < RING; i++) {
        if (!in_window(&s.f[i], t, 2 * c->window_ms))
            continue;
        targeted |= s.f[i].account == acct;
        same_asn |= ev->asn && s.f[i].asn == ev->asn;
    }
    if (!targeted || !(hosting || same_asn))
        return;
    snprintf(summary, sizeof summary, "%s, a target of the low-and-slow password spray, signed in from %s",
             ev->subject.login ? ev->subject.login : "an account", ev->ip ? ev->ip : "?");
    snprintf(txt, sizeof txt, "%.100s was among the accounts of the org-wide spray; %.0f min after its "
             "last alert, a successful sign-in from %.45s (%.40s, %.60s)%s%s",
             ev->subject.login ? ev->subject.login : "the account", (double)(t - s.alerted_at) / IDW_MIN_MS,
             ev->ip ? ev->ip : "?", idw_network_name(ev, net), ev->as_org ? ev->as_org : "?",
             hosting ? ", a hosting, proxy or anonymizer network" : "",
             same_asn ? ", an ASN the spray came from" : "");
    emit(ctx, c, IDW_SEV_HIGH, 75, summary, txt);
}

static void ss_on_event(const void *config, struct idw_detect_ctx *ctx, const struct idw_event *ev,
                        const struct idw_persona *before)
{
    const struct cfg *c = config;

    if (!ev->ip || !account_of(ev))
        return;
    if (ev->outcome == IDW_OUT_FAILURE || ev->outcome == IDW_OUT_DENY)
        on_failure(ctx, c, ev, before);
    else if (idw_outcome_ok(ev->outcome) && ev->tuid[0] && ev->subject_is_actor)
        on_success(ctx, c, ev, before);
}

static const struct idw_rule_param slow_spray_params[] = {
    {.name = "window_hours", .def = 6, .min = 1, .max = 48, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, window_ms), .unit = IDW_UNIT_HOURS,
     .doc = "how long a spray may take (the org's window keeps its newest 240 counted failures: a busier "
            "org sees a shorter window)"},
    {.name = "min_accounts", .def = 20, .min = 3, .max = RING, .type = IDW_PARAM_INTEGER,
     .offset = offsetof(struct cfg, min_accounts),
     .doc = "distinct accounts tried org-wide within the window (at most 240, the window's capacity)"},
    {.name = "min_known_accounts", .def = 5, .min = 0, .max = RING, .type = IDW_PARAM_INTEGER,
     .offset = offsetof(struct cfg, min_known),
     .doc = "of them, accounts that exist in the org (at most min_accounts): unknown usernames alone are "
            "the internet's background noise"},
    {.name = "min_ips", .def = 10, .min = 2, .max = RING, .type = IDW_PARAM_INTEGER,
     .offset = offsetof(struct cfg, min_ips),
     .doc = "distinct source addresses within the window (one address is password_spray's)"},
    {.name = "max_attempts_per_account", .def = 2, .min = 1, .max = RING, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, max_attempts),
     .doc = "more tries than this per account on average is not a low-and-slow spray"},
    {.name = "min_hosting_share", .def = 0.5, .min = 0, .max = 1, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, min_hosting_share),
     .doc = "share of the tries from hosting, proxy or anonymizer networks (0: any network)"},
    {.name = "hosting_orgs", .def = 0, .min = 0, .max = IDW_STRINGS_MAX, .type = IDW_PARAM_STRINGS,
     .offset = offsetof(struct cfg, hosting), .strings_def = default_hosting,
     .doc = "AS organisation, ISP or domain names (substrings, case-insensitive) of hosting and VPN "
            "networks; Okta's isProxy counts too"},
    IDW_PARAM_END,
};

const struct idw_rule idw_rule_slow_spray = {
    .id = "slow_spray",
    .description = "a low-and-slow password spray: few tries per account across many accounts, from "
                   "many hosting or proxy addresses, org-wide over hours",
    .kinds = IDW_K_SIGNIN,
    .params = slow_spray_params,
    .config_size = sizeof(struct cfg),
    .check = ss_check,
    .on_event = ss_on_event,
};
