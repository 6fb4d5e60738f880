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
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "rules/prim.h"

/*
 * A user's window keeps the newest RING failures; high needs twice
 * min_failures of them, so min_failures is at most RING / 2 (the table's
 * max).  RING was 32: raising it to 64 kept STATE_VERSION, because the
 * record's struct is unchanged (struct idw_window always has
 * IDW_WINDOW_MAX slots; the extra ones of an old record are free).
 */
#define RING IDW_WINDOW_MAX
#define STATE_VERSION 1

struct cfg {
    unsigned min_failures;
    int64_t window_ms, success_ms;
};

/* "u:<tuid>": the user's recent failures (tag 1: from a network new to the user). */
struct user_state {
    struct idw_window failures;
    int64_t burst_last;
};

/* A failure or success from a network the established persona does not know. */
static int foreign_network(struct idw_detect_ctx *ctx, const struct idw_event *ev,
                           const struct idw_persona *before)
{
    return idw_network_novelty(ctx, ev, before) == IDW_NOVELTY_NEW;
}

static void count(const struct user_state *s, int64_t t, int64_t window, unsigned *all,
                  unsigned *foreign)
{
    *all = idw_window_count(&s->failures, t, window);
    *foreign = idw_window_sum(&s->failures, t, window);
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
             (double)c->window_ms / IDW_MIN_MS, lockout ? ", account locked" : "",
             success ? ", then a success from a new network" : "");
    snprintf(a.evidence, sizeof a.evidence,
             "%u failures within %.0f min (threshold %u), %u of them from networks this user "
             "never signed in from%s%s",
             all, (double)c->window_ms / IDW_MIN_MS, c->min_failures, foreign,
             lockout ? "; Okta locked the account" : "",
             success ? "; success afterwards from a new network" : "");
    idw_detect_emit(ctx, &a);
}

static void bf_on_event(const void *config, struct idw_detect_ctx *ctx, const struct idw_event *ev,
                        const struct idw_persona *before)
{
    const struct cfg *c = config;
    const unsigned f = ev->kind->flags;
    int lockout = (f & IDW_K_LOCKOUT) != 0;
    int failed = (f & IDW_K_SIGNIN) && (ev->outcome == IDW_OUT_FAILURE || ev->outcome == IDW_OUT_DENY);
    int success = (f & IDW_K_SIGNIN) && idw_outcome_ok(ev->outcome);
    struct user_state s;
    unsigned all, foreign;
    char key[64];

    if (!ev->tuid[0] || !(lockout || failed || success))
        return;
    snprintf(key, sizeof key, "u:%s", ev->tuid);
    if (idw_state_get(ctx, key, STATE_VERSION, &s, sizeof s) == IDW_ERR)
        return;
    if (success) {
        if (s.burst_last && ev->published_ms - s.burst_last <= c->success_ms &&
            foreign_network(ctx, ev, before)) {
            count(&s, s.burst_last, c->window_ms, &all, &foreign);
            report(ctx, c, ev, all, foreign, 0, 1);
        }
        return;
    }
    if (failed)
        idw_window_add(&s.failures, RING, ev->published_ms, (uint32_t)foreign_network(ctx, ev, before));
    count(&s, ev->published_ms, c->window_ms, &all, &foreign);
    if (lockout || all >= c->min_failures) {
        report(ctx, c, ev, all, foreign, lockout, 0);
        s.burst_last = ev->published_ms;
    }
    idw_state_put(ctx, key, STATE_VERSION, &s, sizeof s);
}

static const struct idw_rule_param brute_force_params[] = {
    {.name = "min_failures", .def = 10, .min = 3, .max = RING / 2, .type = IDW_PARAM_INTEGER,
     .offset = offsetof(struct cfg, min_failures),
     .doc = "failed sign-ins against one account within the window that make a burst (at most 32: the "
            "window keeps a user's newest 64 failures, and high needs twice the threshold)"},
    {.name = "window_minutes", .def = 30, .min = 1, .max = 1440, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, window_ms), .unit = IDW_UNIT_MINUTES,
     .doc = "how long a burst may take"},
    {.name = "success_minutes", .def = 60, .min = 1, .max = 1440, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, success_ms), .unit = IDW_UNIT_MINUTES,
     .doc = "a success this soon after a burst, from a new network, is critical"},
    IDW_PARAM_END,
};

const struct idw_rule idw_rule_brute_force = {
    .id = "brute_force",
    .description = "many failed sign-ins against one account, and lockouts",
    .kinds = IDW_K_SIGNIN | IDW_K_LOCKOUT,
    .params = brute_force_params,
    .config_size = sizeof(struct cfg),
    .on_event = bf_on_event,
};
