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
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "rules/prim.h"

/*
 * A user's windows keep the newest RING pushes and RING denials, so a
 * threshold is at most RING (the table's max).  RING was 16: raising it to
 * 64 kept STATE_VERSION, because the record's struct is unchanged (struct
 * idw_window always has IDW_WINDOW_MAX slots; the extra ones of an old
 * record are free).
 */
#define RING IDW_WINDOW_MAX
#define STATE_VERSION 1

struct cfg {
    unsigned min_pushes, min_denies;
    int64_t window_ms, success_ms;
};

/* "u:<tuid>" */
struct user_state {
    struct idw_window pushes, denies;
    int64_t burst_last;         /* newest event of the last burst that alerted */
    uint32_t push_asn;          /* ASN the last push was requested from */
    uint8_t new_network;        /* a push came from a network the user does not use */
    uint8_t pad[3];
};

/* A factor verification (not a push answer, not Okta's threat signal). */
static int is_verification(unsigned f)
{
    return (f & IDW_K_MFA) && !(f & (IDW_K_PUSH | IDW_K_THREAT));
}

static int is_push_failure(const struct idw_event *ev)
{
    if (ev->kind->flags & IDW_K_PUSH_DENY)
        return 1;
    /* a push verification that failed, went unanswered or was abandoned */
    return is_verification(ev->kind->flags) && ev->factor && strstr(ev->factor, "PUSH") &&
           (ev->outcome == IDW_OUT_FAILURE || ev->outcome == IDW_OUT_UNANSWERED ||
            ev->outcome == IDW_OUT_ABANDONED || ev->outcome == IDW_OUT_DENY);
}

/* The user got in: a factor verified, or a sign-in. */
static int is_approval(const struct idw_event *ev)
{
    const unsigned f = ev->kind->flags;
    return idw_outcome_ok(ev->outcome) && (is_verification(f) || (f & IDW_K_SIGNIN));
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
             (double)c->window_ms / IDW_MIN_MS, approved ? ", then approved one" : "");
    snprintf(a.evidence, sizeof a.evidence,
             "%u pushes, %u denials in %.0f min (thresholds %u / %u); requested from AS%u, %s%s",
             pushes, denies, (double)c->window_ms / IDW_MIN_MS, c->min_pushes, c->min_denies,
             s->push_asn, s->new_network ? "a network this user never signed in from"
                                         : "a network this user uses",
             approved ? "; followed by a successful verification" : "");
    idw_detect_emit(ctx, &a);
}

static void mf_on_event(const void *config, struct idw_detect_ctx *ctx, const struct idw_event *ev,
                        const struct idw_persona *before)
{
    const struct cfg *c = config;
    struct user_state s;
    char key[64];
    int64_t t = ev->published_ms;
    int push = (ev->kind->flags & IDW_K_PUSH) && !(ev->kind->flags & IDW_K_PUSH_DENY);
    int fail = is_push_failure(ev), approval = is_approval(ev);

    if (!ev->tuid[0] || !(push || fail || approval))
        return;
    snprintf(key, sizeof key, "u:%s", ev->tuid);
    if (idw_state_get(ctx, key, STATE_VERSION, &s, sizeof s) == IDW_ERR)
        return;
    if (approval) {
        /* the user gave in after a burst that already alerted */
        if (s.burst_last && t >= s.burst_last && t - s.burst_last <= c->success_ms)
            report_burst(ctx, c, ev, &s, idw_window_count(&s.pushes, s.burst_last, c->window_ms),
                         idw_window_count(&s.denies, s.burst_last, c->window_ms), 1);
        return;
    }
    int new_net = 0;
    if (push) {
        idw_window_add(&s.pushes, RING, t, 0);
        s.push_asn = ev->asn;
        new_net = idw_network_novelty(ctx, ev, before) == IDW_NOVELTY_NEW;
    } else {
        idw_window_add(&s.denies, RING, t, 0);
    }
    unsigned pushes = idw_window_count(&s.pushes, t, c->window_ms);
    unsigned denies = idw_window_count(&s.denies, t, c->window_ms);
    /* the first event of a burst decides afresh; later ones can only add suspicion */
    s.new_network = (uint8_t)(pushes + denies <= 1 ? new_net : (s.new_network | new_net));
    if (pushes >= c->min_pushes || denies >= c->min_denies) {
        report_burst(ctx, c, ev, &s, pushes, denies, 0);
        s.burst_last = t;
    }
    idw_state_put(ctx, key, STATE_VERSION, &s, sizeof s);
}

static const struct idw_rule_param mfa_fatigue_params[] = {
    {.name = "min_pushes", .def = 5, .min = 2, .max = RING, .type = IDW_PARAM_INTEGER,
     .offset = offsetof(struct cfg, min_pushes),
     .doc = "Okta Verify pushes within the window that make a burst (at least 2: one retried push is never "
            "an attack; at most 64: the window keeps a user's newest 64 pushes)"},
    {.name = "min_denies", .def = 3, .min = 2, .max = RING, .type = IDW_PARAM_INTEGER,
     .offset = offsetof(struct cfg, min_denies),
     .doc = "denied pushes within the window that make a burst (2 to 64, as min_pushes)"},
    {.name = "window_minutes", .def = 10, .min = 1, .max = 1440, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, window_ms), .unit = IDW_UNIT_MINUTES,
     .doc = "how long a burst may take"},
    {.name = "success_minutes", .def = 30, .min = 1, .max = 1440, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, success_ms), .unit = IDW_UNIT_MINUTES,
     .doc = "an approval this soon after a burst is critical"},
    IDW_PARAM_END,
};

const struct idw_rule idw_rule_mfa_fatigue = {
    .id = "mfa_fatigue",
    .description = "bursts of Okta Verify pushes and denials against one user (push bombing)",
    .kinds = IDW_K_PUSH | IDW_K_MFA | IDW_K_SIGNIN,
    .params = mfa_fatigue_params,
    .config_size = sizeof(struct cfg),
    .on_event = mf_on_event,
};
