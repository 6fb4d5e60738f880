/*
 * rule_mfa_fatigue.c — `mfa_fatigue`: push bombing.  A burst of Okta
 * Verify pushes and denials (or unanswered/abandoned push verifications)
 * against one user inside window_minutes.
 *
 *   - min_pushes pushes or min_denies denials in the window raise it
 *     (a single retried push is never an attack);
 *   - high when the pushes were requested from an IP network (ASN) the
 *     user's persona does not know: someone else holds the password;
 *   - critical when the user then approves: a successful MFA or sign-in
 *     within success_minutes of the burst.
 *
 * State per user (rule state, event time): the times of the last pushes
 * and denials, and the end of the last burst.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rules/rule.h"

#define RING 16

struct cfg {
    unsigned min_pushes, min_denies;
    int64_t window_ms, success_ms;
};

struct user_state {
    int64_t push_t[RING], deny_t[RING];
    int64_t burst_last;         /* newest event of the last burst that alerted */
    uint32_t push_asn;          /* ASN the last push was requested from */
    uint8_t np, nd;             /* next ring slot */
    uint8_t new_network;        /* a push came from a network the user does not use */
};

static void *mf_init(const json_t *config, char *err, size_t errlen)
{
    struct cfg *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->min_pushes = (unsigned)idw_rule_number(config, "min_pushes", 5);
    c->min_denies = (unsigned)idw_rule_number(config, "min_denies", 3);
    c->window_ms = (int64_t)(idw_rule_number(config, "window_minutes", 10) * 60000.0);
    c->success_ms = (int64_t)(idw_rule_number(config, "success_minutes", 30) * 60000.0);
    if (c->min_pushes < 2 || c->min_denies < 2 || c->window_ms <= 0) {
        snprintf(err, errlen, "min_pushes and min_denies must be at least 2, window positive");
        free(c);
        return NULL;
    }
    return c;
}

static unsigned in_window(const int64_t *ring, int64_t now, int64_t window)
{
    unsigned n = 0;
    for (int i = 0; i < RING; i++)
        n += ring[i] && ring[i] <= now && now - ring[i] <= window;
    return n;
}

static int is_push_failure(const struct idw_event *ev)
{
    if (!strcmp(ev->okta_type, "user.mfa.okta_verify.deny_push"))
        return 1;
    /* a push verification that failed, went unanswered or was abandoned */
    return !strcmp(ev->okta_type, "user.authentication.auth_via_mfa") && ev->factor &&
           strstr(ev->factor, "PUSH") &&
           (ev->outcome == IDW_OUT_FAILURE || ev->outcome == IDW_OUT_UNANSWERED ||
            ev->outcome == IDW_OUT_ABANDONED || ev->outcome == IDW_OUT_DENY);
}

static int is_approval(const struct idw_event *ev)
{
    return idw_outcome_ok(ev->outcome) &&
           (!strcmp(ev->okta_type, "user.authentication.auth_via_mfa") ||
            !strcmp(ev->okta_type, "user.session.start"));
}

static void report_burst(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                  const struct user_state *s, unsigned pushes, unsigned denies, int approved)
{
    struct idw_alert_candidate a = {0};

    a.severity = s->new_network ? IDW_SEV_HIGH : IDW_SEV_MEDIUM;
    a.score = s->new_network ? 70 : 55;
    if (approved) {
        a.severity = IDW_SEV_CRITICAL;
        a.score = 95;
    }
    snprintf(a.entity, sizeof a.entity, "user:%s", ev->tuid);
    a.window_ms = c->window_ms + c->success_ms;
    a.mitre = "T1621";
    a.stage = "Compromise Identity";
    snprintf(a.summary, sizeof a.summary, "%s received %u MFA pushes (%u denied) within %.0f minutes%s",
             ev->subject.login ? ev->subject.login : "a user", pushes, denies,
             (double)c->window_ms / 60000.0, approved ? ", then approved one" : "");
    snprintf(a.evidence, sizeof a.evidence,
             "%u pushes, %u denials in %.0f min (thresholds %u / %u); requested from AS%u, %s%s",
             pushes, denies, (double)c->window_ms / 60000.0, c->min_pushes, c->min_denies,
             s->push_asn, s->new_network ? "a network this user never signed in from"
                                         : "a network this user uses",
             approved ? "; followed by a successful verification" : "");
    idw_detect_emit(ctx, &a);
}

static void mf_on_event(void *self, struct idw_detect_ctx *ctx, const struct idw_event *ev,
                        const struct idw_persona *before)
{
    const struct cfg *c = self;
    struct user_state s;
    char key[64], asn[24];
    int64_t t = ev->published_ms;
    int push = !strcmp(ev->okta_type, "system.push.send_factor_verify_push");
    int fail = is_push_failure(ev), approval = is_approval(ev);

    if (!ev->tuid[0] || !(push || fail || approval))
        return;
    snprintf(key, sizeof key, "u:%s", ev->tuid);
    if (idw_state_get(ctx, key, &s, sizeof s) != sizeof s)
        memset(&s, 0, sizeof s);
    if (approval) {
        /* the user gave in after a burst that already alerted */
        if (s.burst_last && t >= s.burst_last && t - s.burst_last <= c->success_ms)
            report_burst(ctx, c, ev, &s, in_window(s.push_t, s.burst_last, c->window_ms),
                  in_window(s.deny_t, s.burst_last, c->window_ms), 1);
        return;
    }
    int new_net = 0;
    if (push) {
        s.push_t[s.np] = t;
        s.np = (uint8_t)((s.np + 1) % RING);
        s.push_asn = ev->asn;
        snprintf(asn, sizeof asn, "AS%u", ev->asn);
        new_net = before && ev->asn && !idw_persona_knows(before, IDW_DIM_ASNS, asn) &&
                  !idw_persona_learning(before, t, idw_detect_params(ctx));
    } else {
        s.deny_t[s.nd] = t;
        s.nd = (uint8_t)((s.nd + 1) % RING);
    }
    unsigned pushes = in_window(s.push_t, t, c->window_ms), denies = in_window(s.deny_t, t, c->window_ms);
    /* the first event of a burst decides afresh; later ones can only add suspicion */
    s.new_network = (uint8_t)(pushes + denies <= 1 ? new_net : (s.new_network | new_net));
    if (pushes >= c->min_pushes || denies >= c->min_denies) {
        report_burst(ctx, c, ev, &s, pushes, denies, 0);
        s.burst_last = t;
    }
    idw_state_put(ctx, key, &s, sizeof s);
}

static const struct idw_rule_param mfa_fatigue_params[] = {
    {"min_pushes", 5, 2, 1000, IDW_PARAM_INTEGER, "Okta Verify pushes within the window that make a burst"},
    {"min_denies", 3, 1, 1000, IDW_PARAM_INTEGER, "denied pushes within the window that make a burst"},
    {"window_minutes", 10, 1, 1440, IDW_PARAM_NUMBER, "how long a burst may take"},
    {"success_minutes", 30, 1, 1440, IDW_PARAM_NUMBER, "an approval this soon after a burst is critical"},
    {NULL, 0, 0, 0, IDW_PARAM_NUMBER, NULL},
};

const struct idw_rule idw_rule_mfa_fatigue = {
    .id = "mfa_fatigue",
    .params = mfa_fatigue_params,
    .description = "bursts of Okta Verify pushes and denials against one user (push bombing)",
    .init = mf_init,
    .on_event = mf_on_event,
    .free = free,
};
