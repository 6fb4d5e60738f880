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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rule.h"

#define RING 64

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

struct src_state {
    int64_t t[RING];
    uint32_t account[RING];
    int64_t alerted_at;         /* newest event of the last alert from this source */
    uint8_t next;
};

static void *ps_init(const json_t *config, char *err, size_t errlen)
{
    struct cfg *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->min_accounts = (unsigned)idw_rule_number(config, "min_accounts", 10);
    c->min_accounts_asn = (unsigned)idw_rule_number(config, "min_accounts_asn", 20);
    c->max_attempts_per_account = idw_rule_number(config, "max_attempts_per_account", 3);
    c->window_ms = (int64_t)(idw_rule_number(config, "window_minutes", 60) * 60000.0);
    c->follow_ms = (int64_t)(idw_rule_number(config, "follow_up_hours", 6) * 3600000.0);
    if (c->follow_ms < 0 || c->min_accounts < 3 || c->min_accounts > RING / 2 || c->min_accounts_asn < 3 ||
        c->min_accounts_asn > RING / 2 || c->window_ms <= 0) {
        snprintf(err, errlen, "min_accounts and min_accounts_asn must be between 3 and %d, "
                 "window positive", RING / 2);
        free(c);
        return NULL;
    }
    return c;
}

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
    uint32_t seen[RING];
    unsigned n = 0;

    *attempts = 0;
    for (int i = 0; i < RING; i++) {
        if (!s->t[i] || s->t[i] > t || t - s->t[i] > window)
            continue;
        (*attempts)++;
        unsigned k = 0;
        while (k < n && seen[k] != s->account[i])
            k++;
        if (k == n)
            seen[n++] = s->account[i];
    }
    *accounts = n;
}

static int targeted(const struct src_state *s, uint32_t account, int64_t t, int64_t window)
{
    for (int i = 0; i < RING; i++)
        if (s->t[i] && s->account[i] == account && t - s->t[i] <= window)
            return 1;
    return 0;
}

static void alert(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                  const char *entity, unsigned accounts, unsigned attempts, int succeeded)
{
    struct idw_alert_candidate a = {0};

    a.severity = succeeded ? IDW_SEV_CRITICAL : IDW_SEV_HIGH;
    a.score = succeeded ? 95 : 65 + (accounts > 2 * c->min_accounts ? 10 : 0);
    idw_strlcpy(a.entity, entity, sizeof a.entity);
    a.window_ms = c->window_ms + c->follow_ms;
    a.mitre = "T1110.003";
    a.stage = "Compromise Identity";
    if (succeeded)
        snprintf(a.summary, sizeof a.summary, "%s, a target of the password spray from %s, signed in from it",
                 ev->subject.login ? ev->subject.login : "an account", entity);
    else
        snprintf(a.summary, sizeof a.summary, "password spray from %s: %u accounts tried in %.0f minutes",
                 entity, accounts, (double)c->window_ms / 60000.0);
    snprintf(a.evidence, sizeof a.evidence,
             "%u failed sign-ins against %u distinct accounts (%.1f per account) from %s within "
             "%.0f min (thresholds %u accounts, <= %.1f per account)%s",
             attempts, accounts, accounts ? (double)attempts / accounts : 0, entity,
             (double)c->window_ms / 60000.0, c->min_accounts, c->max_attempts_per_account,
             succeeded ? "; then a successful sign-in of a targeted account from the same source" : "");
    idw_detect_emit(ctx, &a);
}

/* Remembers, per targeted account, the spray that targeted it (for the follow-up check). */
static void mark_targets(struct idw_detect_ctx *ctx, const struct src_state *s, const char *entity,
                         int64_t t, int64_t window, int all)
{
    struct target_mark m = {.at = t};
    char key[32];

    idw_strlcpy(m.source, entity, sizeof m.source);
    for (int i = 0; i < RING; i++) {
        int current = i == (s->next + RING - 1) % RING;
        if (!s->t[i] || t - s->t[i] > window || (!all && !current) || (s->account[i] & UNKNOWN_ACCOUNT))
            continue;       /* an unknown username cannot sign in later */
        snprintf(key, sizeof key, "t:%08x", s->account[i]);
        idw_state_put(ctx, key, &m, sizeof m);
    }
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
    char key[32], asn[24], ip_entity[80], asn_entity[32];
    double hours;

    snprintf(asn, sizeof asn, "AS%u", ev->asn);
    if (!c->follow_ms || !before || !ev->asn || idw_persona_knows(before, IDW_DIM_ASNS, asn) ||
        idw_persona_learning(before, ev->published_ms, idw_detect_params(ctx)))
        return;
    snprintf(key, sizeof key, "t:%08x", account_of(ev));
    if (idw_state_get(ctx, key, &m, sizeof m) != sizeof m || ev->published_ms < m.at ||
        ev->published_ms - m.at > c->follow_ms)
        return;
    snprintf(ip_entity, sizeof ip_entity, "ip:%s", ev->ip);
    snprintf(asn_entity, sizeof asn_entity, "asn:%u", ev->asn);
    if (!strcmp(m.source, ip_entity) || !strcmp(m.source, asn_entity))
        return;     /* from the spraying source itself: per_source reported it */
    hours = (double)(ev->published_ms - m.at) / 3600000.0;
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
             ev->ip ? ev->ip : "?", asn, ev->as_org ? ev->as_org : "?");
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

    if (idw_state_get(ctx, entity, &s, sizeof s) != sizeof s)
        memset(&s, 0, sizeof s);
    if (!failed) {
        /* the spray worked: a targeted account got in from the spraying source */
        if (s.alerted_at && t - s.alerted_at <= c->window_ms && targeted(&s, acct, t, c->window_ms)) {
            shape(&s, s.alerted_at, c->window_ms, &accounts, &attempts);
            alert(ctx, c, ev, entity, accounts, attempts, 1);
        }
        return;
    }
    s.t[s.next] = t;
    s.account[s.next] = acct;
    s.next = (uint8_t)((s.next + 1) % RING);
    shape(&s, t, c->window_ms, &accounts, &attempts);
    if (accounts >= min_accounts && (double)attempts / accounts <= c->max_attempts_per_account) {
        alert(ctx, c, ev, entity, accounts, attempts, 0);
        /* the first alert marks every account in the window, later ones just their own */
        mark_targets(ctx, &s, entity, t, c->window_ms, !s.alerted_at || t - s.alerted_at > c->window_ms);
        s.alerted_at = t;
    }
    idw_state_put(ctx, entity, &s, sizeof s);
}

static void ps_on_event(void *self, struct idw_detect_ctx *ctx, const struct idw_event *ev,
                        const struct idw_persona *before)
{
    const struct cfg *c = self;
    char entity[80];
    int failed = is_failed_signin(ev);
    int success = (ev->kind->flags & IDW_K_SIGNIN) && idw_outcome_ok(ev->outcome);

    if (!ev->ip || !(failed || success) || !account_of(ev))
        return;
    if (failed && before && ev->asn &&
        !idw_persona_learning(before, ev->published_ms, idw_detect_params(ctx))) {
        snprintf(entity, sizeof entity, "AS%u", ev->asn);
        if (idw_persona_knows(before, IDW_DIM_ASNS, entity))
            return;     /* the user's own network: a typo */
    }
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
    {"min_accounts", 10, 2, 100000, IDW_PARAM_INTEGER, "distinct accounts tried from one IP within the window"},
    {"min_accounts_asn", 20, 2, 100000, IDW_PARAM_INTEGER, "distinct accounts tried from one ASN within the window"},
    {"max_attempts_per_account", 3, 1, 1000, IDW_PARAM_NUMBER, "more tries than this on one account look like brute force, not spray"},
    {"window_minutes", 60, 1, 1440, IDW_PARAM_NUMBER, "how long a spray may take"},
    {"follow_up_hours", 6, 0, 720, IDW_PARAM_NUMBER, "a targeted account signing in from a new network this soon after is critical"},
    {NULL, 0, 0, 0, IDW_PARAM_NUMBER, NULL},
};

const struct idw_rule idw_rule_password_spray = {
    .id = "password_spray",
    .params = password_spray_params,
    .description = "failed sign-ins from one IP or ASN across many accounts, few attempts each",
    .init = ps_init,
    .on_event = ps_on_event,
    .free = free,
};
