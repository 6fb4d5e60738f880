/*
 * rule_brute_force.c — `brute_force`: many failed sign-ins against one
 * account (from one source or many), and account lockouts.
 *
 *   - min_failures failures in window_minutes, or a lockout, raise it;
 *   - low when every failure came from a network the user already signs
 *     in from: the user mistyping and locking themselves out;
 *   - medium otherwise, high past twice the threshold from new networks;
 *   - critical when the account then signs in successfully from a network
 *     new to the user within success_minutes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rule.h"

#define RING 32

struct cfg {
    unsigned min_failures;
    int64_t window_ms, success_ms;
};

struct user_state {
    int64_t t[RING];
    uint8_t foreign[RING];      /* the failure came from a network new to the user */
    int64_t burst_last;
    uint8_t next;
};

static void *bf_init(const json_t *config, char *err, size_t errlen)
{
    struct cfg *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->min_failures = (unsigned)idw_rule_number(config, "min_failures", 10);
    c->window_ms = (int64_t)(idw_rule_number(config, "window_minutes", 30) * 60000.0);
    c->success_ms = (int64_t)(idw_rule_number(config, "success_minutes", 60) * 60000.0);
    if (c->min_failures < 3 || c->min_failures > RING / 2 || c->window_ms <= 0) {
        snprintf(err, errlen, "min_failures must be between 3 and %d, window positive", RING / 2);
        free(c);
        return NULL;
    }
    return c;
}

/* A network the established persona does not know (learning personas know nothing yet). */
static int foreign_network(const struct idw_detect_ctx *ctx, const struct idw_event *ev,
                           const struct idw_persona *before)
{
    char asn[24];
    if (!before || !ev->asn)
        return 1;
    if (idw_persona_learning(before, ev->published_ms, idw_detect_params(ctx)))
        return 0;       /* no baseline: do not call anything foreign */
    snprintf(asn, sizeof asn, "AS%u", ev->asn);
    return !idw_persona_knows(before, IDW_DIM_ASNS, asn);
}

static void count(const struct user_state *s, int64_t t, int64_t window, unsigned *all,
                  unsigned *foreign)
{
    *all = *foreign = 0;
    for (int i = 0; i < RING; i++)
        if (s->t[i] && s->t[i] <= t && t - s->t[i] <= window) {
            (*all)++;
            *foreign += s->foreign[i];
        }
}

static void report(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                   unsigned all, unsigned foreign, int lockout, int success)
{
    struct idw_alert_candidate a = {0};

    if (success) {
        a.severity = IDW_SEV_CRITICAL;
        a.score = 90;
    } else if (foreign == 0) {
        a.severity = IDW_SEV_LOW;           /* self-lockout from the usual place */
        a.score = 25;
    } else if (foreign >= 2 * c->min_failures) {
        a.severity = IDW_SEV_HIGH;
        a.score = 70;
    } else {
        a.severity = IDW_SEV_MEDIUM;
        a.score = 50;
    }
    snprintf(a.entity, sizeof a.entity, "user:%s", ev->tuid);
    a.window_ms = c->window_ms + c->success_ms;
    a.mitre = "T1110.001";
    a.stage = "Compromise Identity";
    snprintf(a.summary, sizeof a.summary, "%s: %u failed sign-ins in %.0f minutes%s%s",
             ev->subject.login ? ev->subject.login : "an account", all,
             (double)c->window_ms / 60000.0, lockout ? ", account locked" : "",
             success ? ", then a success from a new network" : "");
    snprintf(a.evidence, sizeof a.evidence,
             "%u failures within %.0f min (threshold %u), %u of them from networks this user "
             "never signed in from%s%s",
             all, (double)c->window_ms / 60000.0, c->min_failures, foreign,
             lockout ? "; Okta locked the account" : "",
             success ? "; success afterwards from a new network" : "");
    idw_detect_emit(ctx, &a);
}

static void bf_on_event(void *self, struct idw_detect_ctx *ctx, const struct idw_event *ev,
                        const struct idw_persona *before)
{
    const struct cfg *c = self;
    const unsigned f = ev->kind->flags;
    int lockout = strncmp(ev->okta_type, "user.account.lock", 17) == 0;
    int failed = (f & IDW_K_SIGNIN) && (ev->outcome == IDW_OUT_FAILURE || ev->outcome == IDW_OUT_DENY);
    int success = (f & IDW_K_SIGNIN) && idw_outcome_ok(ev->outcome);
    struct user_state s;
    unsigned all, foreign;
    char key[64];

    if (!ev->tuid[0] || !(lockout || failed || success))
        return;
    snprintf(key, sizeof key, "u:%s", ev->tuid);
    if (idw_state_get(ctx, key, &s, sizeof s) != sizeof s)
        memset(&s, 0, sizeof s);
    if (success) {
        if (s.burst_last && ev->published_ms - s.burst_last <= c->success_ms &&
            foreign_network(ctx, ev, before)) {
            count(&s, s.burst_last, c->window_ms, &all, &foreign);
            report(ctx, c, ev, all, foreign, 0, 1);
        }
        return;
    }
    if (failed) {
        s.t[s.next] = ev->published_ms;
        s.foreign[s.next] = (uint8_t)foreign_network(ctx, ev, before);
        s.next = (uint8_t)((s.next + 1) % RING);
    }
    count(&s, ev->published_ms, c->window_ms, &all, &foreign);
    if (lockout || all >= c->min_failures) {
        report(ctx, c, ev, all, foreign, lockout, 0);
        s.burst_last = ev->published_ms;
    }
    idw_state_put(ctx, key, &s, sizeof s);
}

static const struct idw_rule_param brute_force_params[] = {
    {"min_failures", 10, 2, 1000, IDW_PARAM_INTEGER, "failed sign-ins against one account within the window that make a burst"},
    {"window_minutes", 30, 1, 1440, IDW_PARAM_NUMBER, "how long a burst may take"},
    {"success_minutes", 60, 1, 1440, IDW_PARAM_NUMBER, "a success this soon after a burst, from a new network, is critical"},
    {NULL, 0, 0, 0, IDW_PARAM_NUMBER, NULL},
};

const struct idw_rule idw_rule_brute_force = {
    .id = "brute_force",
    .description = "many failed sign-ins against one account, and lockouts",
    .params = brute_force_params,
    .init = bf_init,
    .on_event = bf_on_event,
    .free = free,
};
