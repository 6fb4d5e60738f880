/*
 * rule_okta_threat.c — `okta_threat`: Okta's own threat signals, scored
 * and explained against the persona.
 *
 * Okta already judged these events; the rule's value is in what it adds:
 *   - ThreatInsight (`security.threat.detected`) has no user.  It is keyed
 *     by IP (medium).  The IP is remembered for window_hours, so a
 *     successful sign-in of ANY user from it afterwards raises a high
 *     alert on that user (and the IP's alert goes high).  A later event
 *     of the same transaction names the user the request was for.
 *   - Blocklist blocks (`security.request.blocked`): low, aggregated per
 *     IP; a later success from a blocked IP is medium on the user.
 *   - ITP user risk (`user.risk.detect` / `.change`): HIGH is high, MEDIUM
 *     is low, with Okta's detection name and reasons.
 *   - FastPass declining a phishing attempt, a user reporting activity as
 *     not theirs, and `user.mfa.attempt_bypass` are high.  The phishing
 *     proxy's IP and the IP the user disowned are remembered like
 *     ThreatInsight's: a later success from them is high.
 * Evidence says what Okta reported (levels, detections, reasons) and the
 * user's baseline: whether the IP's ASN is one the persona trusts.
 *
 * Why this shape: public rules alert on every ThreatInsight event, which
 * is mostly traffic Okta already denied.  What matters is whether a
 * flagged source got in, and as whom; so the flag is remembered per IP
 * and the alert escalates on the success, keyed to the person.
 *
 * Cost: only Okta's threat events, sign-ins (one state read, for the
 * flagged-IP check) and failed MFA reach past the first test.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "event/normalize.h"
#include "rules/prim.h"

#define SLACK_MS (5 * IDW_MIN_MS)   /* a joined event may be logged slightly before the flag */
#define STATE_VERSION 1

struct cfg {
    int64_t window_ms;
};

enum flag_src { SRC_NONE, SRC_THREATINSIGHT, SRC_FASTPASS, SRC_USER_REPORT };

/* Per IP: what flagged it and when.  Fixed size. */
struct ip_flag {
    int64_t flagged_at;         /* newest flag (ThreatInsight, FastPass, user report) */
    int64_t blocked_at;         /* newest blocklist block */
    uint64_t txn;               /* hash of the flagging event's transaction id */
    uint32_t flags_n, blocks_n; /* within the window */
    uint8_t src;                /* enum flag_src of the newest flag */
    uint8_t rank;               /* highest ThreatInsight level in the window */
    uint8_t allowed;            /* Okta let the flagged request through */
    char what[112];             /* what was detected, for evidence */
};

/* ---- reading Okta's rule-specific fields from the raw event ------------------ */

static int level_rank(const char *l)
{
    static const char *const names[] = {"LOW", "MEDIUM", "HIGH", "CRITICAL"};
    for (int i = 0; l && i < 4; i++)
        if (strcasecmp(l, names[i]) == 0)
            return i + 1;
    return 0;
}

static const char *rank_name(int r)
{
    static const char *const names[] = {"unknown", "LOW", "MEDIUM", "HIGH", "CRITICAL"};
    return r >= 0 && r <= 4 ? names[r] : "unknown";
}

/*
 * debugData.threatDetections, a JSON object (usually inside a string) of
 * detection name → level: "Password Spray=HIGH, Login Failures=MEDIUM" into
 * out, the highest level returned.  Falls back to outcome.reason.
 */
static int threat_detections(const struct idw_event *ev, char *out, size_t outlen)
{
    json_t *td = (json_t *)idw_event_debug_value(ev, "threatDetections"), *parsed = NULL, *v;
    const char *k;
    int best = 0;

    out[0] = '\0';
    if (json_is_string(td))
        td = parsed = json_loads(json_string_value(td), 0, NULL);
    if (json_is_object(td)) {
        json_object_foreach(td, k, v) {
            int r = level_rank(json_string_value(v));
            idw_strappendf(out, outlen, "%s%s=%s", out[0] ? ", " : "", k, rank_name(r));
            if (r > best)
                best = r;
        }
    }
    json_decref(parsed);
    if (!out[0])
        idw_strlcpy(out, ev->outcome_reason ? ev->outcome_reason : "no detection named", outlen);
    return best;
}

/*
 * The value of key in Okta's "{previousLevel=LOW, level=HIGH, reasons=a, b,
 * issuer=OKTA}" strings.  A value runs to the next ", name=" or the '}'
 * (reasons contain ", ").
 */
static void kv_value(const char *s, const char *key, char *out, size_t outlen)
{
    size_t kl = strlen(key);
    const char *p = s, *end;

    out[0] = '\0';
    for (p = strstr(s, key); p; p = strstr(p + kl, key)) {
        if ((p == s || strchr("{ ,", p[-1])) && p[kl] == '=')
            break;
    }
    if (!p)
        return;
    p += kl + 1;
    for (end = p; *end && *end != '}'; end++) {
        const char *q = end + 2;
        if (end[0] != ',' || end[1] != ' ')
            continue;
        while (*q && (isalnum((unsigned char)*q) || *q == '_'))
            q++;
        if (*q == '=')
            break;
    }
    idw_strncpy0(out, outlen, p, (size_t)(end - p));
}

struct risk {
    char level[16], prev[16], name[80], reasons[200];
};

/* ITP risk: debugData.risk (key=value string), else securityContext.risk (object). */
static void read_risk(const struct idw_event *ev, struct risk *r)
{
    const char *s = idw_event_debug_str(ev, "risk");
    json_t *o = idw_okta_get(idw_okta_get(ev->raw, "securityContext"), "risk"), *reasons;
    size_t i;
    json_t *v;

    memset(r, 0, sizeof *r);
    if (s) {
        kv_value(s, "level", r->level, sizeof r->level);
        kv_value(s, "previousLevel", r->prev, sizeof r->prev);
        kv_value(s, "detectionName", r->name, sizeof r->name);
        kv_value(s, "reasons", r->reasons, sizeof r->reasons);
    } else if (json_is_object(o)) {
        idw_strlcpy(r->level, json_string_value(idw_okta_get(o, "level")), sizeof r->level);
        idw_strlcpy(r->prev, json_string_value(idw_okta_get(o, "previousLevel")), sizeof r->prev);
        idw_strlcpy(r->name, json_string_value(idw_okta_get(o, "detectionName")), sizeof r->name);
        reasons = idw_okta_get(o, "reasons");
        json_array_foreach(reasons, i, v)
            idw_strappendf(r->reasons, sizeof r->reasons, "%s%s", i ? ", " : "", json_string_value(v));
    }
    if (!r->level[0] && ev->risk_level)
        idw_strlcpy(r->level, ev->risk_level, sizeof r->level);
}

/* ---- the persona's view of the source ------------------------------------------ */


/* "from 203.0.113.9, AS64500 (Evil Hosting), proxy, an ASN new for this user (usual: ...)" */
static void baseline(struct idw_detect_ctx *ctx, const struct idw_event *ev,
                     const struct idw_persona *before, char *out, size_t outlen)
{
    char asn[IDW_ASN_KEYLEN], usual[128];

    out[0] = '\0';
    if (!ev->ip)
        return;
    idw_strappendf(out, outlen, "from %s", ev->ip);
    if (ev->asn)
        idw_strappendf(out, outlen, ", %s (%s)", idw_asn_key(ev->asn, asn),
                       ev->as_org ? ev->as_org : ev->isp ? ev->isp : "?");
    if (ev->is_proxy == 1)
        idw_strappendf(out, outlen, ", an anonymizing proxy");
    if (!before)
        return;
    switch (idw_network_novelty(ctx, ev, before)) {
    case IDW_NOVELTY_NO_BASELINE:
        idw_strappendf(out, outlen, "; the user's persona is still learning");
        break;
    case IDW_NOVELTY_KNOWN:
        idw_strappendf(out, outlen, "; an ASN this user routinely signs in from");
        break;
    case IDW_NOVELTY_SHARED_EGRESS:
        idw_strappendf(out, outlen, "; the org's shared egress (a VPN or office exit)");
        break;
    case IDW_NOVELTY_NEW:
        idw_persona_usual(before, IDW_DIM_ASNS, 2, usual, sizeof usual);
        idw_strappendf(out, outlen, "; %s new for this user (usual: %s)",
                       ev->asn ? "an ASN" : "a network with no ASN,", usual[0] ? usual : "none");
        break;
    }
}

/* ---- flagged IPs ------------------------------------------------------------------ */

static int load_flag(struct idw_detect_ctx *ctx, const char *ip, struct ip_flag *f)
{
    char key[80];
    snprintf(key, sizeof key, "ip:%s", ip);
    if (idw_state_get(ctx, key, STATE_VERSION, f, sizeof *f) != IDW_OK)
        return 0;
    f->what[sizeof f->what - 1] = '\0';
    return 1;
}

static void save_flag(struct idw_detect_ctx *ctx, const char *ip, const struct ip_flag *f)
{
    char key[80];
    snprintf(key, sizeof key, "ip:%s", ip);
    idw_state_put(ctx, key, STATE_VERSION, f, sizeof *f);
}

/* The IP was flagged by src now; counts restart when the last flag left the window. */
static void flag_ip(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                    const char *ip, enum flag_src src, int rank, const char *what,
                    struct ip_flag *f)
{
    int64_t t = ev->published_ms;

    load_flag(ctx, ip, f);
    if (!f->flagged_at || t - f->flagged_at > c->window_ms) {
        f->flags_n = 0;
        f->rank = 0;
    }
    if (t >= f->flagged_at) {
        f->flagged_at = t;
        f->src = (uint8_t)src;
        f->txn = ev->transaction_id ? idw_hash64(ev->transaction_id) : 0;
        f->allowed = (uint8_t)idw_outcome_ok(ev->outcome);
        idw_strlcpy(f->what, what, sizeof f->what);
    }
    f->flags_n++;
    if (rank > f->rank)
        f->rank = (uint8_t)rank;
    save_flag(ctx, ip, f);
}

static int within(int64_t t, int64_t at, int64_t window)
{
    return at && t - at <= window && at - t <= SLACK_MS;
}

/* ---- alerts -------------------------------------------------------------------------- */

static int cap(int score, int hi)
{
    return score > hi ? hi : score;
}

static void emit(struct idw_detect_ctx *ctx, const struct cfg *c, struct idw_alert_candidate *a,
                 enum idw_severity sev, int score, const char *mitre)
{
    a->severity = sev;
    a->score = score;
    a->window_ms = c->window_ms;
    a->mitre = mitre;
    a->stage = "Compromise Identity";
    idw_detect_emit(ctx, a);
}

/* A user-keyed alert: what Okta reported, then (with_base) the source against the persona. */
static void user_alert(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                       const struct idw_persona *before, enum idw_severity sev, int score,
                       const char *mitre, const char *summary, const char *what, int with_base)
{
    struct idw_alert_candidate a = {0};
    char base[300];

    snprintf(a.entity, sizeof a.entity, "user:%s", ev->tuid);
    idw_strlcpy(a.summary, summary, sizeof a.summary);
    base[0] = '\0';
    if (with_base)
        baseline(ctx, ev, before, base, sizeof base);
    snprintf(a.evidence, sizeof a.evidence, "%s%s%s", what, base[0] ? "; " : "", base);
    emit(ctx, c, &a, sev, score, mitre);
}

static const char *login(const struct idw_event *ev)
{
    return ev->subject.login ? ev->subject.login : "a user";
}

/*
 * The ThreatInsight alert of an IP, rebuilt from its flag record.  then: what
 * followed (a user's sign-in from it), for the summary and the evidence.
 */
static void ip_alert(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                     const struct ip_flag *f, enum idw_severity sev, int score, const char *then)
{
    struct idw_alert_candidate a = {0};

    snprintf(a.entity, sizeof a.entity, "ip:%s", ev->ip);
    snprintf(a.summary, sizeof a.summary, "Okta ThreatInsight flagged %s (%s)%s%s", ev->ip,
             f->what, then ? "; " : "", then ? then : "");
    snprintf(a.evidence, sizeof a.evidence,
             "ThreatInsight threat detections: %s (highest level %s); %u flagged request(s) from "
             "%s within %.0f h, the last one %s by Okta",
             f->what, rank_name(f->rank), f->flags_n, ev->ip, (double)c->window_ms / IDW_HOUR_MS,
             f->allowed ? "ALLOWED through" : "denied");
    if (ev->asn)
        idw_strappendf(a.evidence, sizeof a.evidence, "; AS%u (%s%s%s)", ev->asn,
            ev->as_org ? ev->as_org : "?", ev->isp ? ", ISP " : "", ev->isp ? ev->isp : "");
    if (ev->is_proxy == 1)
        idw_strappendf(a.evidence, sizeof a.evidence, ", an anonymizing proxy");
    if (f->blocks_n)
        idw_strappendf(a.evidence, sizeof a.evidence, "; also blocked %u time(s) by a network zone",
            f->blocks_n);
    if (then)
        idw_strappendf(a.evidence, sizeof a.evidence, "; %s", then);
    emit(ctx, c, &a, sev, score, "T1110");
}

/* ---- Okta's signals ------------------------------------------------------------------ */

/* ThreatInsight: no user, keyed by IP; the IP is remembered for the window. */
static void on_threat_detected(struct idw_detect_ctx *ctx, const struct cfg *c,
                               const struct idw_event *ev)
{
    char what[112];
    struct ip_flag f;
    int rank, score;

    if (!ev->ip)
        return;
    rank = threat_detections(ev, what, sizeof what);
    flag_ip(ctx, c, ev, ev->ip, SRC_THREATINSIGHT, rank, what, &f);
    score = 45 + (f.rank >= 3 ? 10 : f.rank == 2 ? 5 : 0) + (f.allowed ? 5 : 0) +
            idw_okta_risk_points(ev);
    ip_alert(ctx, c, ev, &f, IDW_SEV_MEDIUM, cap(score, 69), NULL);
}

/* A network-zone blocklist stopped a request: low, one alert per IP and window. */
static void on_blocked(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev)
{
    struct idw_alert_candidate a = {0};
    struct ip_flag f;
    int64_t t = ev->published_ms;

    if (!ev->ip)
        return;
    load_flag(ctx, ev->ip, &f);
    if (!f.blocked_at || t - f.blocked_at > c->window_ms)
        f.blocks_n = 0;
    if (t > f.blocked_at)
        f.blocked_at = t;
    f.blocks_n++;
    save_flag(ctx, ev->ip, &f);
    snprintf(a.entity, sizeof a.entity, "ip:%s", ev->ip);
    snprintf(a.summary, sizeof a.summary, "Okta blocked requests from %s (%s)", ev->ip,
             ev->outcome_reason ? ev->outcome_reason : "blocklisted network zone");
    snprintf(a.evidence, sizeof a.evidence,
             "Okta blocked %u request(s) from %s within %.0f h (%s%s%s); Okta already stopped them",
             f.blocks_n, ev->ip, (double)c->window_ms / IDW_HOUR_MS,
             ev->outcome_reason ? ev->outcome_reason : "blocked",
             ev->display_message ? ": " : "", ev->display_message ? ev->display_message : "");
    if (ev->asn)
        idw_strappendf(a.evidence, sizeof a.evidence, "; AS%u (%s)", ev->asn, ev->as_org ? ev->as_org : "?");
    emit(ctx, c, &a, IDW_SEV_LOW, 20, "T1078.004");
}

/* ITP entity risk: HIGH is high, MEDIUM low, anything lower nothing. */
static void on_risk(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                    const struct idw_persona *before)
{
    struct risk r;
    char what[512], summary[256];
    int rank;

    read_risk(ev, &r);
    rank = level_rank(r.level);
    if (!ev->tuid[0] || rank < 2)
        return;
    snprintf(what, sizeof what, "Okta Identity Threat Protection (%s) set the user's risk to %s "
             "(previously %s): detection '%s'; reasons: %s", ev->okta_type, r.level,
             r.prev[0] ? r.prev : "unknown", r.name[0] ? r.name : "unnamed",
             r.reasons[0] ? r.reasons : "none given");
    snprintf(summary, sizeof summary, "Okta ITP rates %s at %s risk (%s)", login(ev), r.level,
             r.name[0] ? r.name : "no detection name");
    if (rank >= 3)
        user_alert(ctx, c, ev, before, IDW_SEV_HIGH, cap(70 + idw_okta_risk_points(ev), 89),
                   "T1078.004", summary, what, 1);
    else
        user_alert(ctx, c, ev, before, IDW_SEV_LOW, 30, "T1078.004", summary, what, 1);
}

/* FastPass refused to sign in to a page that is not Okta: an AiTM phishing proxy. */
static void on_phishing(struct idw_detect_ctx *ctx, const struct cfg *c,
                        const struct idw_event *ev, const struct idw_persona *before)
{
    char what[400], summary[256], flag[112];
    struct ip_flag f;

    snprintf(what, sizeof what, "Okta FastPass declined a phishing attempt (%s, outcome %s, "
             "reason '%s'): the user's sign-in was relayed by a page that is not Okta's, an "
             "adversary-in-the-middle proxy that already holds or wants the password",
             ev->okta_type, ev->outcome_result ? ev->outcome_result : "?", ev->outcome_reason);
    snprintf(summary, sizeof summary, "FastPass declined a phishing attempt against %s", login(ev));
    if (ev->ip) {
        snprintf(flag, sizeof flag, "FastPass declined a phishing attempt against %s", login(ev));
        flag_ip(ctx, c, ev, ev->ip, SRC_FASTPASS, 0, flag, &f);
    }
    user_alert(ctx, c, ev, before, IDW_SEV_HIGH, cap(80 + idw_okta_risk_points(ev), 89),
               "T1566,T1557", summary, what, 1);
}

/* debugData[key], or def. */
static const char *dval(const struct idw_event *ev, const char *key, const char *def)
{
    const char *v = idw_event_debug_str(ev, key);
    return v ? v : def;
}

/* "This wasn't me": the user disowned an event; the IP they disowned is remembered. */
static void on_reported(struct idw_detect_ctx *ctx, const struct cfg *c,
                        const struct idw_event *ev, const struct idw_persona *before)
{
    const char *ip = idw_event_debug_str(ev, "suspiciousActivityEventIp");
    char what[600], summary[256], flag[112];
    struct ip_flag f;

    snprintf(what, sizeof what, "the user told Okta an event was not them: %s at %s from %s "
             "(%s, %s), %s on %s; reported from %s",
             dval(ev, "suspiciousActivityEventType", "an event"),
             dval(ev, "suspiciousActivityTimestamp", "?"), ip ? ip : "an unknown IP",
             dval(ev, "suspiciousActivityEventCity", "?"),
             dval(ev, "suspiciousActivityEventCountry", "?"),
             dval(ev, "suspiciousActivityBrowser", "?"), dval(ev, "suspiciousActivityOs", "?"),
             ev->ip ? ev->ip : "?");
    snprintf(summary, sizeof summary, "%s reported suspicious activity on their account",
             login(ev));
    if (ip) {
        snprintf(flag, sizeof flag, "disowned by %s in a suspicious-activity report", login(ev));
        flag_ip(ctx, c, ev, ip, SRC_USER_REPORT, 0, flag, &f);
    }
    user_alert(ctx, c, ev, before, IDW_SEV_HIGH, 80, "T1078.004", summary, what, 0);
}

static void on_bypass(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                      const struct idw_persona *before)
{
    char what[300], summary[256];

    snprintf(what, sizeof what, "Okta logged an attempt to bypass MFA (%s, outcome %s%s%s%s%s)",
             ev->okta_type, ev->outcome_result ? ev->outcome_result : "?",
             ev->outcome_reason ? ", reason " : "", ev->outcome_reason ? ev->outcome_reason : "",
             ev->factor ? ", factor " : "", ev->factor ? ev->factor : "");
    snprintf(summary, sizeof summary, "attempt to bypass MFA for %s", login(ev));
    user_alert(ctx, c, ev, before, IDW_SEV_HIGH, cap(75 + idw_okta_risk_points(ev), 89), "T1111",
               summary, what, 1);
}

/* ITP found the user's credentials in a breach corpus: the password is known to others. */
static void on_breached(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                        const struct idw_persona *before)
{
    char what[300], summary[256];

    snprintf(what, sizeof what, "Okta reports %s's credentials in a breach (%s%s%s); reset the "
             "password and check recent sign-ins", login(ev), ev->okta_type,
             ev->outcome_reason ? ", " : "", ev->outcome_reason ? ev->outcome_reason : "");
    snprintf(summary, sizeof summary, "breached credentials detected for %s", login(ev));
    user_alert(ctx, c, ev, before, IDW_SEV_HIGH, cap(70 + idw_okta_risk_points(ev), 89), "T1078,T1589.001",
               summary, what, 0);
}

/* ---- sign-ins from flagged IPs --------------------------------------------------------- */

static const char *flag_source(const struct ip_flag *f)
{
    switch (f->src) {
    case SRC_THREATINSIGHT:
        return "flagged by Okta ThreatInsight";
    case SRC_FASTPASS:
        return "where Okta FastPass declined a phishing attempt";
    case SRC_USER_REPORT:
        return "disowned in a user's suspicious-activity report";
    }
    return "flagged by Okta";
}

/* A successful sign-in from an IP flagged (high) or blocked (medium) within the window. */
static void success_from_flagged(struct idw_detect_ctx *ctx, const struct cfg *c,
                                 const struct idw_event *ev, const struct idw_persona *before,
                                 const struct ip_flag *f, int flagged, int same_txn)
{
    char what[400], summary[256], then[200];
    int64_t at = flagged ? f->flagged_at : f->blocked_at;
    double mins = (double)(ev->published_ms - at) / IDW_MIN_MS;

    if (flagged)
        snprintf(what, sizeof what, "successful %s from %s, %s %.0f min earlier (%s)%s",
                 ev->okta_type, ev->ip, flag_source(f), mins > 0 ? mins : 0, f->what,
                 same_txn ? "; the same transaction as the flagged request, which Okta let "
                            "through" : "");
    else
        snprintf(what, sizeof what, "successful %s from %s, which an Okta network-zone blocklist "
                 "blocked %u time(s), the last %.0f min earlier", ev->okta_type, ev->ip,
                 f->blocks_n, mins > 0 ? mins : 0);
    snprintf(summary, sizeof summary, "%s signed in from %s, %s by Okta within %.0f h", login(ev),
             ev->ip, flagged ? "flagged" : "blocked", (double)c->window_ms / IDW_HOUR_MS);
    user_alert(ctx, c, ev, before, flagged ? IDW_SEV_HIGH : IDW_SEV_MEDIUM,
               flagged ? cap(75 + idw_okta_risk_points(ev), 89) : 50, "T1078,T1078.004",
               summary, what, 1);
    if (flagged && f->src == SRC_THREATINSIGHT) {
        snprintf(then, sizeof then, "then %s signed in successfully from it (%s)%s", login(ev),
                 ev->okta_type, same_txn ? " in the same transaction" : "");
        ip_alert(ctx, c, ev, f, IDW_SEV_HIGH, 75, then);
    }
}

static void on_signin(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                      const struct idw_persona *before)
{
    struct ip_flag f;
    char then[200];
    int64_t t = ev->published_ms;
    int same_txn, flagged;

    if (!load_flag(ctx, ev->ip, &f))
        return;
    same_txn = ev->transaction_id && f.txn && f.txn == idw_hash64(ev->transaction_id);
    flagged = within(t, f.flagged_at, c->window_ms);
    if (idw_outcome_ok(ev->outcome)) {
        if (flagged || within(t, f.blocked_at, c->window_ms))
            success_from_flagged(ctx, c, ev, before, &f, flagged, same_txn);
    } else if (same_txn && flagged && f.src == SRC_THREATINSIGHT) {
        /* the flagged request was for this user: name them on the IP's alert */
        snprintf(then, sizeof then, "the flagged transaction was a sign-in attempt for %s (%s %s)",
                 login(ev), ev->okta_type, ev->outcome_result ? ev->outcome_result : "?");
        ip_alert(ctx, c, ev, &f, IDW_SEV_MEDIUM, 50, then);
    }
}

/* ---- dispatch ---------------------------------------------------------------------------- */

static void on_threat_kind(struct idw_detect_ctx *ctx, const struct cfg *c,
                           const struct idw_event *ev, const struct idw_persona *before)
{
    const unsigned f = ev->kind->flags;

    if (f & IDW_K_THREAT_IP)
        on_threat_detected(ctx, c, ev);
    else if (f & IDW_K_BLOCKED)
        on_blocked(ctx, c, ev);
    else if (f & IDW_K_RISK)
        on_risk(ctx, c, ev, before);
    else if (!ev->tuid[0])
        return;
    else if (f & IDW_K_USER_REPORT)
        on_reported(ctx, c, ev, before);
    else if (f & IDW_K_MFA)
        on_bypass(ctx, c, ev, before);         /* user.mfa.attempt_bypass */
    else if (f & IDW_K_BREACH)
        on_breached(ctx, c, ev, before);
    /* session context change and roaming are session_hijack's; attack.start/end carry no source */
}

static int is_phishing_decline(const struct idw_event *ev)
{
    return (ev->outcome == IDW_OUT_FAILURE || ev->outcome == IDW_OUT_DENY) &&
           ev->outcome_reason && strcasestr(ev->outcome_reason, "phishing");
}

static void ot_on_event(const void *config, struct idw_detect_ctx *ctx, const struct idw_event *ev,
                        const struct idw_persona *before)
{
    const struct cfg *c = config;
    const unsigned f = ev->kind->flags;

    if (f & IDW_K_THREAT)
        on_threat_kind(ctx, c, ev, before);
    else if ((f & IDW_K_SIGNIN) && ev->ip && ev->tuid[0])
        on_signin(ctx, c, ev, before);
    else if ((f & IDW_K_MFA) && ev->tuid[0] && is_phishing_decline(ev))
        on_phishing(ctx, c, ev, before);
}

static const struct idw_rule_param okta_threat_params[] = {
    {.name = "window_hours", .def = 24, .min = 1, .max = 720, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, window_ms), .unit = IDW_UNIT_HOURS,
     .doc = "alerts on one user or source within this window aggregate"},
    IDW_PARAM_END,
};

const struct idw_rule idw_rule_okta_threat = {
    .id = "okta_threat",
    .description = "Okta's own threat signals (ThreatInsight, blocklists, ITP risk, FastPass "
                   "phishing, user reports, MFA bypass), scored against the persona",
    .kinds = IDW_K_THREAT | IDW_K_SIGNIN | IDW_K_MFA,
    .params = okta_threat_params,
    .config_size = sizeof(struct cfg),
    .on_event = ot_on_event,
};
