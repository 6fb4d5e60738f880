/*
 * rule_password_spray.c — `password_spray`: failed sign-ins from one
 * source (an IP, and separately an ASN for sprays spread over a hosting
 * provider's addresses) across many accounts, known or not.
 *
 * Shape, not just volume: a spray tries many accounts a few times each,
 * so the alert needs min_accounts distinct accounts in window_minutes AND
 * at most max_attempts_per_account attempts per account on average (many
 * attempts on few accounts is brute force, another rule).  Unknown
 * usernames count as accounts through their keyed hash.  Critical when an
 * account the source targeted then signs in successfully from it, or from
 * a network new to the user within follow_up_hours: attackers often test
 * the sprayed passwords from other infrastructure.
 *
 * Persona-aware: a failure from a network (ASN) the targeted user already
 * signs in from is a typo, not spray evidence, so corporate NAT and VPN
 * egress full of mistyping employees never add up to an alert.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "rules/prim.h"

/*
 * A source's window keeps its newest RING failures (tagged with the
 * account), the most a window holds.  The 75 score needs more than twice
 * the source's threshold of distinct accounts in it, so each threshold is
 * at most (RING - 1) / 2 (the table's max).
 */
#define RING IDW_WINDOW_MAX
#define MAX_THRESHOLD ((RING - 1) / 2)
#define STATE_VERSION 1

struct cfg {
    unsigned min_accounts, min_accounts_asn;
    double max_attempts_per_account;
    int64_t window_ms, follow_ms;
};

/* "t:<account>": the newest spray alert that targeted this account. */
struct target_mark {
    int64_t at;
    char source[64];            /* the spray's entity, "ip:..." or "asn:..." */
};

/* "ip:<ip>" / "asn:<n>": the source's recent failures, tagged with the account tried. */
struct src_state {
    struct idw_window failures;
    int64_t alerted_at;         /* newest event of the last alert from this source */
};

static int is_failed_signin(const struct idw_event *ev)
{
    return (ev->kind->flags & IDW_K_SIGNIN) &&
           (ev->outcome == IDW_OUT_FAILURE || ev->outcome == IDW_OUT_DENY);
}

/* An account as the state keeps it; the top bit marks usernames Okta does not know. */
#define UNKNOWN_ACCOUNT 0x80000000u

static uint32_t account_of(const struct idw_event *ev)
{
    if (ev->tuid[0])
        return (uint32_t)idw_hash64(ev->tuid) & ~UNKNOWN_ACCOUNT;
    return ev->unknown_user_hash ? (uint32_t)idw_hash64(ev->unknown_user_hash) | UNKNOWN_ACCOUNT : 0;
}

/* Distinct accounts and attempts from a source within the window ending at t. */
static void shape(const struct src_state *s, int64_t t, int64_t window, unsigned *accounts,
                  unsigned *attempts)
{
    *attempts = idw_window_count(&s->failures, t, window);
    *accounts = idw_window_tags(&s->failures, t, window, NULL, 0);
}

/* threshold: the source's own, min_accounts for an IP, min_accounts_asn for an ASN. */
static void alert(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                  const char *entity, unsigned threshold, unsigned accounts, unsigned attempts,
                  int succeeded)
{
    struct idw_alert_candidate a = {0};

    a.severity = succeeded ? IDW_SEV_CRITICAL : IDW_SEV_HIGH;
    a.score = succeeded ? 95 : 65 + (accounts > 2 * threshold ? 10 : 0);
    idw_strlcpy(a.entity, entity, sizeof a.entity);
    a.window_ms = c->window_ms + c->follow_ms;
    a.mitre = "T1110.003";
    a.stage = "Compromise Identity";
    if (succeeded)
        snprintf(a.summary, sizeof a.summary, "%s, a target of the password spray from %s, signed in from it",
                 ev->subject.login ? ev->subject.login : "an account", entity);
    else
        snprintf(a.summary, sizeof a.summary, "password spray from %s: %u accounts tried in %.0f minutes",
                 entity, accounts, (double)c->window_ms / IDW_MIN_MS);
    snprintf(a.evidence, sizeof a.evidence,
             "%u failed sign-ins against %u distinct accounts (%.1f per account) from %s within "
             "%.0f min (thresholds %u accounts, <= %.1f per account)%s",
             attempts, accounts, accounts ? (double)attempts / accounts : 0, entity,
             (double)c->window_ms / IDW_MIN_MS, threshold, c->max_attempts_per_account,
             succeeded ? "; then a successful sign-in of a targeted account from the same source" : "");
    idw_detect_emit(ctx, &a);
}

/* Remembers, per targeted account, the spray that targeted it (for the follow-up check). */
static void mark(struct idw_detect_ctx *ctx, uint32_t account, const struct target_mark *m)
{
    char key[32];

    if (account & UNKNOWN_ACCOUNT)
        return;         /* an unknown username cannot sign in later */
    snprintf(key, sizeof key, "t:%08x", account);
    idw_state_put(ctx, key, STATE_VERSION, m, sizeof *m);
}

/* all: every account in the window (a new spray), else just the one tried now. */
static void mark_targets(struct idw_detect_ctx *ctx, const struct src_state *s, const char *entity,
                         uint32_t account, int64_t t, int64_t window, int all)
{
    struct target_mark m = {.at = t};
    uint32_t accounts[RING];
    unsigned n = 1;

    idw_strlcpy(m.source, entity, sizeof m.source);
    accounts[0] = account;
    if (all)
        n = idw_window_tags(&s->failures, t, window, accounts, RING);
    for (unsigned i = 0; i < n && i < RING; i++)
        mark(ctx, accounts[i], &m);
}

/*
 * A targeted account signs in from a network new to the user within
 * follow_up_hours of the spray: the sprayed password, tried from elsewhere.
 * The spray's alert (keyed by its source) becomes critical.
 */
static void follow_up(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                      const struct idw_persona *before)
{
    struct idw_alert_candidate a = {0};
    struct target_mark m;
    char key[32], net[IDW_PV_VALUE], ip_entity[80], asn_entity[32];
    double hours;

    if (!c->follow_ms || idw_network_novelty(ctx, ev, before) != IDW_NOVELTY_NEW)
        return;
    snprintf(key, sizeof key, "t:%08x", account_of(ev));
    if (idw_state_get(ctx, key, STATE_VERSION, &m, sizeof m) != IDW_OK || ev->published_ms < m.at ||
        ev->published_ms - m.at > c->follow_ms)
        return;
    m.source[sizeof m.source - 1] = '\0';
    snprintf(ip_entity, sizeof ip_entity, "ip:%s", ev->ip);
    snprintf(asn_entity, sizeof asn_entity, "asn:%u", ev->asn);
    if (!strcmp(m.source, ip_entity) || !strcmp(m.source, asn_entity))
        return;     /* from the spraying source itself: per_source reported it */
    hours = (double)(ev->published_ms - m.at) / IDW_HOUR_MS;
    a.severity = IDW_SEV_CRITICAL;
    a.score = 90;
    idw_strlcpy(a.entity, m.source, sizeof a.entity);
    a.window_ms = c->window_ms + c->follow_ms;
    a.mitre = "T1110.003,T1078";
    a.stage = "Compromise Identity";
    snprintf(a.summary, sizeof a.summary, "%s, a target of the password spray from %s, signed in %.1f h "
             "later from a network new to them", ev->subject.login ? ev->subject.login : "an account",
             m.source, hours);
    snprintf(a.evidence, sizeof a.evidence, "%s was among the accounts sprayed from %s; %.1f h later a "
             "successful sign-in from %s (%s, %s) that this user never signed in from",
             ev->subject.login ? ev->subject.login : "the account", m.source, hours,
             ev->ip ? ev->ip : "?", idw_network_name(ev, net), ev->as_org ? ev->as_org : "?");
    idw_detect_emit(ctx, &a);
}

/* One source (ip:... or asn:...): record a failure, or judge a success. */
static void per_source(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                       const char *entity, unsigned min_accounts, int failed)
{
    struct src_state s;
    unsigned accounts, attempts;
    uint32_t acct = account_of(ev);
    int64_t t = ev->published_ms;

    if (idw_state_get(ctx, entity, STATE_VERSION, &s, sizeof s) == IDW_ERR)
        return;
    if (!failed) {
        /* the spray worked: a targeted account got in from the spraying source */
        if (s.alerted_at && t - s.alerted_at <= c->window_ms &&
            idw_window_has(&s.failures, t, c->window_ms, acct)) {
            shape(&s, s.alerted_at, c->window_ms, &accounts, &attempts);
            alert(ctx, c, ev, entity, min_accounts, accounts, attempts, 1);
        }
        return;
    }
    idw_window_add(&s.failures, RING, t, acct);
    shape(&s, t, c->window_ms, &accounts, &attempts);
    if (accounts >= min_accounts && (double)attempts / accounts <= c->max_attempts_per_account) {
        alert(ctx, c, ev, entity, min_accounts, accounts, attempts, 0);
        /* the first alert marks every account in the window, later ones just their own */
        mark_targets(ctx, &s, entity, acct, t, c->window_ms,
                     !s.alerted_at || t - s.alerted_at > c->window_ms);
        s.alerted_at = t;
    }
    idw_state_put(ctx, entity, STATE_VERSION, &s, sizeof s);
}

static void ps_on_event(const void *config, struct idw_detect_ctx *ctx, const struct idw_event *ev,
                        const struct idw_persona *before)
{
    const struct cfg *c = config;
    char entity[80];
    int failed = is_failed_signin(ev);
    int success = (ev->kind->flags & IDW_K_SIGNIN) && idw_outcome_ok(ev->outcome);

    if (!ev->ip || !(failed || success) || !account_of(ev))
        return;
    if (failed && idw_network_novelty(ctx, ev, before) == IDW_NOVELTY_KNOWN)
        return;         /* the user's own network: a typo */
    snprintf(entity, sizeof entity, "ip:%s", ev->ip);
    per_source(ctx, c, ev, entity, c->min_accounts, failed);
    if (ev->asn) {
        snprintf(entity, sizeof entity, "asn:%u", ev->asn);
        per_source(ctx, c, ev, entity, c->min_accounts_asn, failed);
    }
    if (success && ev->tuid[0])
        follow_up(ctx, c, ev, before);
}

static const struct idw_rule_param password_spray_params[] = {
    {.name = "min_accounts", .def = 10, .min = 3, .max = MAX_THRESHOLD, .type = IDW_PARAM_INTEGER,
     .offset = offsetof(struct cfg, min_accounts),
     .doc = "distinct accounts tried from one IP within the window (at most 31: a source's window keeps its "
            "newest 64 failures, and the score of 75 needs more than twice the threshold)"},
    {.name = "min_accounts_asn", .def = 20, .min = 3, .max = MAX_THRESHOLD, .type = IDW_PARAM_INTEGER,
     .offset = offsetof(struct cfg, min_accounts_asn),
     .doc = "distinct accounts tried from one ASN within the window (at most 31, as min_accounts)"},
    {.name = "max_attempts_per_account", .def = 3, .min = 1, .max = 1000, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, max_attempts_per_account),
     .doc = "more tries than this on one account look like brute force, not spray"},
    {.name = "window_minutes", .def = 60, .min = 1, .max = 1440, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, window_ms), .unit = IDW_UNIT_MINUTES,
     .doc = "how long a spray may take"},
    {.name = "follow_up_hours", .def = 6, .min = 0, .max = 720, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, follow_ms), .unit = IDW_UNIT_HOURS,
     .doc = "a targeted account signing in from a new network this soon after is critical"},
    IDW_PARAM_END,
};

const struct idw_rule idw_rule_password_spray = {
    .id = "password_spray",
    .description = "failed sign-ins from one IP or ASN across many accounts, few attempts each",
    .kinds = IDW_K_SIGNIN,
    .params = password_spray_params,
    .config_size = sizeof(struct cfg),
    .on_event = ps_on_event,
};
