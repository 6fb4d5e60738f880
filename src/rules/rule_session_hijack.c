/*
 * rule_session_hijack.c — `session_hijack`: an Okta session stolen and
 * replayed from somewhere else, e.g. a cookie taken by an
 * adversary-in-the-middle kit or infostealer.
 *
 * A session is keyed by authenticationContext.rootSessionId where present,
 * else externalSessionId (idw_event_session_key): Okta Identity Engine
 * issues a new externalSessionId once sign-in completes while the root
 * stays, so keyed by the external id every post-sign-in event would look
 * like a session whose start was never seen, and a replay of it would go
 * unjudged.
 *
 * Per user, a ring of the RING most recently used sessions remembers how
 * each one started: ASN, OS, browser, whether it was a browser, dtHash.  A
 * later event of the SAME session is compared with that start:
 *   - an ASN other than the start's that the user's persona does not trust
 *     and that is not the org's shared egress (a VPN/ZTNA exit): high;
 *   - another OS or browser family (families, so upgrades are not
 *     changes): high; with the new ASN as well: critical;
 *   - a scripted client (python-requests, curl...) on a session that
 *     started in a browser: critical.
 * Okta's own session signals (`user.session.context.change`,
 * `security.session.detect_client_roaming`) are medium alone, high when
 * the new ASN is new to the user, and nothing at all when the user roams
 * inside networks they already use (home ISP <-> their mobile carrier).
 * A new session from a new place is not a hijack (new_context's job): only
 * the same session id counts.  While the persona learns, a network change
 * alone cannot be judged and is low.
 *
 * Why this shape: public rules compare dtHash-keyed UA/IP changes with no
 * baseline, so every commute between Wi-Fi and 4G alerts; keying on the
 * session and judging the new network against the persona removes that.
 *
 * Only a successful sign-in records a session's start, so a replayer's
 * request is never taken for one.
 *
 * Cost: events whose ASN, OS and browser the persona all trusts cannot
 * show a new network or a script and are not looked up (the bulk of SSO
 * traffic); the rest cost one state read, and a write only when a session
 * starts or, at most hourly, to refresh its last use.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "event/normalize.h"
#include "rules/prim.h"

#define RING 8
#define TOUCH_MS IDW_HOUR_MS    /* refresh a session's last use at most hourly */
#define STATE_VERSION 1

struct cfg {
    int64_t window_ms;          /* alert aggregation */
    int64_t session_ms;         /* how long a session's start is remembered */
};

/* How one session started.  Fixed size; the ring is the whole state. */
struct sess {
    uint64_t id;                /* hash of the session key; 0 = free */
    uint64_t dt;                /* hash of the dtHash it started with; 0 = none */
    uint64_t ua;                /* hash of the raw user agent it started with */
    int64_t start, seen;        /* first sight; last use (refreshed at most hourly) */
    uint32_t asn;
    uint8_t in_browser;         /* started in a browser, not a script */
    char os[23], browser[24], org[28];
};

struct user_state {
    struct sess s[RING];
};

/* What a later event of a session shows, as bits. */
enum {
    F_ASN = 1,                  /* an ASN new to an established persona */
    F_ASN_UNJUDGED = 2,         /* another ASN, persona still learning */
    F_OS = 4,
    F_BROWSER = 8,
    F_SCRIPT = 16,              /* scripted client on a browser session */
    F_SIGNAL_NEW = 32,          /* Okta's signal, to a network new to the user */
    F_SIGNAL = 64,              /* Okta's signal we cannot judge (no ASN, learning, device) */
    F_DT = 128,                 /* device token differs (evidence only) */
};

enum net { NET_OWN, NET_NEW, NET_UNJUDGED };

/* ---- client families ----------------------------------------------------------- */

struct fam {
    const char *needle, *family;
};

static const struct fam os_fams[] = {
    {"iphone", "ios"}, {"ipad", "ios"}, {"ios", "ios"}, {"android", "android"},
    {"windows", "windows"}, {"chrome os", "chromeos"}, {"chromeos", "chromeos"},
    {"mac", "macos"}, {"os x", "macos"}, {"linux", "linux"}, {"ubuntu", "linux"},
    {"fedora", "linux"}, {NULL, NULL},
};

static const struct fam browser_fams[] = {
    {"edge", "edge"}, {"opera", "opera"}, {"samsung", "samsung"}, {"firefox", "firefox"},
    {"chrom", "chrome"}, {"safari", "safari"}, {"msie", "ie"}, {"explorer", "ie"},
    {NULL, NULL},
};

/*
 * The family of an OS or browser name ("Windows 10" → windows, "CHROME" →
 * chrome), or "" when unknown.  Unlisted names: their first word.
 */
static void family(const char *name, const struct fam *fams, char *out, size_t outlen)
{
    char low[64];
    size_t n = 0;

    out[0] = '\0';
    if (idw_str_absent(name))
        return;
    idw_lowercpy(low, name, sizeof low);
    if (strncmp(low, "unknown", 7) == 0)
        return;
    for (const struct fam *f = fams; f->needle; f++)
        if (strstr(low, f->needle)) {
            idw_strlcpy(out, f->family, outlen);
            return;
        }
    while (low[n] && low[n] != ' ' && low[n] != '/' && (low[n] < '0' || low[n] > '9'))
        n++;
    idw_strncpy0(out, outlen, low, n);
}

/* Both sides known and of different families. */
static int family_changed(const char *was, const char *now, const struct fam *fams)
{
    char a[32], b[32];
    family(was, fams, a, sizeof a);
    family(now, fams, b, sizeof b);
    return a[0] && b[0] && strcmp(a, b) != 0;
}

static const char *scripted(const char *ua)
{
    static const char *const tools[] = {
        "python-requests", "python-urllib", "aiohttp", "httpx", "curl", "Go-http-client",
        "okhttp", "PostmanRuntime", "axios", "node-fetch", "libwww", "Wget", "HeadlessChrome",
    };
    for (size_t i = 0; ua && i < sizeof tools / sizeof tools[0]; i++)
        if (strcasestr(ua, tools[i]))
            return tools[i];
    return NULL;
}

static int is_browser(const char *ua)
{
    return ua && strncmp(ua, "Mozilla/", 8) == 0 && !scripted(ua);
}

/* ---- the ring of sessions ---------------------------------------------------------- */

static struct sess *find(struct user_state *s, uint64_t id, int64_t t, int64_t session_ms)
{
    for (int i = 0; i < RING; i++)
        if (s->s[i].id == id && t - s->s[i].start <= session_ms)
            return &s->s[i];
    return NULL;
}

/* The slot for a new session: its own expired entry, a free one, else the least recently used. */
static struct sess *slot_for(struct user_state *s, uint64_t id)
{
    struct sess *lru = &s->s[0];
    for (int i = 0; i < RING; i++) {
        if (s->s[i].id == id || !s->s[i].id)
            return &s->s[i];
        if (s->s[i].seen < lru->seen)
            lru = &s->s[i];
    }
    return lru;
}

static void record(struct user_state *s, const struct idw_event *ev, uint64_t id)
{
    struct sess *x = slot_for(s, id);

    memset(x, 0, sizeof *x);
    x->id = id;
    x->dt = ev->dt_hash ? idw_hash64(ev->dt_hash) : 0;
    x->ua = idw_hash64(ev->user_agent ? ev->user_agent : "");
    x->start = x->seen = ev->published_ms;
    x->asn = ev->asn;
    x->in_browser = (uint8_t)is_browser(ev->user_agent);
    idw_strlcpy(x->os, ev->ua_os, sizeof x->os);
    idw_strlcpy(x->browser, ev->ua_browser, sizeof x->browser);
    idw_strlcpy(x->org, ev->as_org ? ev->as_org : ev->isp, sizeof x->org);
}

/*
 * Only a successful sign-in opens a session in the ring: its context is the
 * person's.  A session first seen later (its start predates the data) is
 * never recorded, so a replayer's request can never become a "start".
 */
static int opens_session(const struct idw_event *ev)
{
    return (ev->kind->flags & IDW_K_SIGNIN) && idw_outcome_ok(ev->outcome);
}

/*
 * The fast path: an event whose ASN, OS and (real) browser the persona all
 * trusts cannot show a new network or a script, so its session is not
 * looked up.  Only a change between two device families the user both
 * routinely uses, from a network they routinely use, goes unseen.
 */
static int routine(const struct idw_event *ev, const struct idw_persona *before)
{
    char asn[IDW_ASN_KEYLEN], fam[32];

    if (!before || !ev->asn || !ev->ua_os)
        return 0;
    family(ev->ua_browser, browser_fams, fam, sizeof fam);
    if (!fam[0])
        return 0;
    return idw_persona_knows(before, IDW_DIM_ASNS, idw_asn_key(ev->asn, asn)) &&
           idw_persona_knows(before, IDW_DIM_BROWSERS, ev->ua_browser) &&
           idw_persona_knows(before, IDW_DIM_OS, ev->ua_os);
}

/* ---- judging a later event of a session ------------------------------------------------ */

/* The event's network for this user: their own (trusted ASN, org egress), new, or unjudged. */
static enum net network(struct idw_detect_ctx *ctx, const struct idw_event *ev,
                        const struct idw_persona *before)
{
    switch (idw_network_novelty(ctx, ev, before)) {
    case IDW_NOVELTY_KNOWN:
    case IDW_NOVELTY_SHARED_EGRESS:
        return NET_OWN;
    case IDW_NOVELTY_NEW:
        return NET_NEW;
    case IDW_NOVELTY_NO_BASELINE:
        break;
    }
    return NET_UNJUDGED;
}

/* What the event shows against how its session started. */
static unsigned compare(struct idw_detect_ctx *ctx, const struct idw_event *ev,
                        const struct idw_persona *before, const struct sess *x)
{
    unsigned fl = 0;
    enum net n;

    if (ev->asn && x->asn && ev->asn != x->asn) {
        n = network(ctx, ev, before);
        fl |= n == NET_NEW ? F_ASN : n == NET_UNJUDGED ? F_ASN_UNJUDGED : 0;
    }
    /*
     * The same user agent as the start cannot have changed family (the
     * common case, and cheap); MFA events may come from the authenticator's
     * side, so devices are not compared on them.
     */
    if (!(ev->kind->flags & IDW_K_MFA) &&
        idw_hash64(ev->user_agent ? ev->user_agent : "") != x->ua) {
        fl |= family_changed(x->os, ev->ua_os, os_fams) ? F_OS : 0;
        fl |= family_changed(x->browser, ev->ua_browser, browser_fams) ? F_BROWSER : 0;
        fl |= x->in_browser && scripted(ev->user_agent) ? F_SCRIPT : 0;
    }
    if (x->dt && ev->dt_hash && idw_hash64(ev->dt_hash) != x->dt)
        fl |= F_DT;
    return fl;
}

/*
 * Okta's context-change / roaming signal: judged by the new network when
 * the cause is the IP (roaming inside the user's networks is nothing),
 * medium for a device-context change.
 */
static unsigned okta_signal(struct idw_detect_ctx *ctx, const struct idw_event *ev,
                            const struct idw_persona *before, const struct sess *x)
{
    char causes[128];
    unsigned fl = 0;
    int ip_cause, dev_cause;
    enum net n;

    idw_event_debug_text(ev, "causes", causes, sizeof causes);
    dev_cause = strcasestr(causes, "device") != NULL;
    ip_cause = !causes[0] || strcasestr(causes, "ip") != NULL;
    if (ip_cause && !(x && ev->asn && ev->asn == x->asn)) {
        n = network(ctx, ev, before);
        fl |= n == NET_NEW ? F_SIGNAL_NEW : n == NET_UNJUDGED ? F_SIGNAL : 0;
    }
    return fl | (dev_cause ? F_SIGNAL : 0);
}

static enum idw_severity severity(unsigned fl, int *score)
{
    if (fl & F_SCRIPT) {
        *score = 95;
        return IDW_SEV_CRITICAL;
    }
    if ((fl & F_ASN) && (fl & (F_OS | F_BROWSER))) {
        *score = 90;
        return IDW_SEV_CRITICAL;
    }
    if (fl & (F_ASN | F_OS | F_BROWSER | F_SIGNAL_NEW)) {
        *score = 70 + ((fl & F_OS) && (fl & F_BROWSER) ? 5 : 0);
        return IDW_SEV_HIGH;
    }
    if (fl & F_SIGNAL) {
        *score = 55;
        return IDW_SEV_MEDIUM;
    }
    *score = 30;
    return (fl & F_ASN_UNJUDGED) ? IDW_SEV_LOW : 0;
}

/* ---- the alert ------------------------------------------------------------------------- */


static const char *str(const char *s)
{
    return s ? s : "?";
}

/* How the session started, and what this event changed. */
static void describe(const struct idw_event *ev, const struct idw_persona *before,
                     const struct sess *x, const char *sid, unsigned fl, char *out, size_t n)
{
    char when[IDW_TIME_STRLEN], usual[128], net[IDW_PV_VALUE];

    out[0] = '\0';
    if (x) {
        idw_time_format(x->start, when);
        idw_strappendf(out, n, "session %.8s... started %s from AS%u (%s) on %s / %s; this %s came from %s "
            "AS%u (%s) on %s / %s", sid, when, x->asn, x->org[0] ? x->org : "?",
            x->os[0] ? x->os : "?", x->browser[0] ? x->browser : "?", ev->okta_type,
            str(ev->ip), ev->asn, str(ev->as_org), str(ev->ua_os), str(ev->ua_browser));
    } else {
        idw_strappendf(out, n, "session %.8s... (start not seen); %s from %s AS%u (%s)", sid ? sid : "?",
            ev->okta_type, str(ev->ip), ev->asn, str(ev->as_org));
    }
    if (fl & (F_ASN | F_SIGNAL_NEW)) {
        usual[0] = '\0';
        if (before)
            idw_persona_usual(before, IDW_DIM_ASNS, 2, usual, sizeof usual);
        idw_strappendf(out, n, "; %s is new for this user (usual: %s) and not the org's shared egress",
            idw_network_name(ev, net), usual[0] ? usual : "none");
    }
    if (fl & F_ASN_UNJUDGED)
        idw_strappendf(out, n, "; another network, but the persona is still learning");
    if (fl & F_OS)
        idw_strappendf(out, n, "; OS family changed (%s -> %s)", x->os, str(ev->ua_os));
    if (fl & F_BROWSER)
        idw_strappendf(out, n, "; browser family changed (%s -> %s)", x->browser, str(ev->ua_browser));
    if (fl & F_SCRIPT)
        idw_strappendf(out, n, "; scripted client '%s' (%s) on a session that started in a browser",
            scripted(ev->user_agent), str(ev->user_agent));
    if (fl & F_DT)
        idw_strappendf(out, n, "; device token (dtHash) differs from the session's");
}

/* Okta's own words on a context-change / roaming event. */
static void describe_signal(const struct idw_event *ev, char *out, size_t n)
{
    char causes[128], prev[64], now[64];

    idw_event_debug_text(ev, "causes", causes, sizeof causes);
    idw_event_debug_text(ev, "previousIpAddress", prev, sizeof prev);
    idw_event_debug_text(ev, "newIpAddress", now, sizeof now);
    idw_strappendf(out, n, "; Okta reported %s (causes: %s; previous IP %s, new IP %s)", ev->okta_type,
        causes[0] ? causes : "not given", prev[0] ? prev : "?", now[0] ? now : str(ev->ip));
}

static void summarize(const struct idw_event *ev, unsigned fl, char *out, size_t n)
{
    const char *who = ev->subject.login ? ev->subject.login : "a user";

    if (fl & F_SCRIPT)
        snprintf(out, n, "%s's Okta session replayed by a script (%s) from %s", who,
                 scripted(ev->user_agent), str(ev->ip));
    else if ((fl & F_ASN) && (fl & (F_OS | F_BROWSER)))
        snprintf(out, n, "%s's Okta session used from a new network and another device (%s, AS%u)",
                 who, str(ev->ip), ev->asn);
    else if (fl & F_ASN)
        snprintf(out, n, "%s's Okta session used from a network new to the user (%s, AS%u)", who,
                 str(ev->ip), ev->asn);
    else if (fl & (F_OS | F_BROWSER))
        snprintf(out, n, "%s's Okta session used from another OS or browser (%s / %s)", who,
                 str(ev->ua_os), str(ev->ua_browser));
    else if (fl & (F_SIGNAL_NEW | F_SIGNAL))
        snprintf(out, n, "Okta reports %s's session context changed%s", who,
                 (fl & F_SIGNAL_NEW) ? " to a network new to the user" : "");
    else
        snprintf(out, n, "%s's Okta session used from another network (%s, AS%u)", who,
                 str(ev->ip), ev->asn);
}

static void report(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                   const struct idw_persona *before, const struct sess *x, const char *sid,
                   unsigned fl, int signal)
{
    struct idw_alert_candidate a = {0};
    int score, hi;

    a.severity = severity(fl, &score);
    if (!a.severity)
        return;
    hi = a.severity == IDW_SEV_CRITICAL ? 100 : a.severity == IDW_SEV_HIGH ? 89
       : a.severity == IDW_SEV_MEDIUM ? 69 : 39;
    score += ((fl & F_DT) ? 5 : 0) + idw_okta_risk_points(ev);
    a.score = score > hi ? hi : score;
    snprintf(a.entity, sizeof a.entity, "user:%s", ev->tuid);
    a.window_ms = c->window_ms;
    a.mitre = "T1539,T1550.004";
    a.stage = "Compromise Identity";
    summarize(ev, fl, a.summary, sizeof a.summary);
    describe(ev, before, x, sid, fl, a.evidence, sizeof a.evidence);
    if (signal)
        describe_signal(ev, a.evidence, sizeof a.evidence);
    idw_detect_emit(ctx, &a);
}

/* ---- the per-event entry ------------------------------------------------------------------ */

/* The session an event belongs to; Okta's signals may carry it in debugData only. */
static const char *session_of(const struct idw_event *ev, int signal, char *buf, size_t n)
{
    const char *key = idw_event_session_key(ev);

    if (key || !signal)
        return key;
    idw_event_debug_text(ev, "externalSessionId", buf, n);
    return buf[0] ? buf : NULL;
}

/* Whether the event is one to look at: in a session, the user's own, not a factor/device flow. */
static int relevant(const struct idw_event *ev, int signal)
{
    const unsigned f = ev->kind->flags;

    if ((!idw_event_session_key(ev) && !signal) || !ev->tuid[0] ||
        (f & (IDW_K_PUSH | IDW_K_FACTOR_CHANGE | IDW_K_DEVICE)))
        return 0;
    /* someone else's session acting on this user, or the session closing */
    return signal || (ev->subject_is_actor && (!(f & IDW_K_SESSION) || (f & IDW_K_SIGNIN)));
}

static void sh_on_event(const void *config, struct idw_detect_ctx *ctx, const struct idw_event *ev,
                        const struct idw_persona *before)
{
    const struct cfg *c = config;
    /* user.session.context.change and security.session.detect_client_roaming */
    const int signal = (ev->kind->flags & IDW_K_SESSION) && (ev->kind->flags & IDW_K_THREAT);
    const int opens = !signal && opens_session(ev);
    struct user_state s;
    struct sess *x = NULL;
    char key[64], buf[128];
    const char *sid;
    unsigned fl = 0;

    if (!relevant(ev, signal) || (!signal && !opens && routine(ev, before)))
        return;
    sid = session_of(ev, signal, buf, sizeof buf);
    snprintf(key, sizeof key, "u:%s", ev->tuid);
    if (idw_state_get(ctx, key, STATE_VERSION, &s, sizeof s) == IDW_ERR)
        return;
    if (sid)
        x = find(&s, idw_hash64(sid), ev->published_ms, c->session_ms);
    if (!x && opens) {
        record(&s, ev, idw_hash64(sid));
        idw_state_put(ctx, key, STATE_VERSION, &s, sizeof s);
    }
    if (!x && !signal)
        return;
    if (x)
        fl = compare(ctx, ev, before, x);
    if (signal)
        fl |= okta_signal(ctx, ev, before, x);
    report(ctx, c, ev, before, x, sid, fl, signal);
    if (x && ev->published_ms - x->seen > TOUCH_MS) {
        x->seen = ev->published_ms;
        idw_state_put(ctx, key, STATE_VERSION, &s, sizeof s);
    }
}

static const struct idw_rule_param session_hijack_params[] = {
    {.name = "window_hours", .def = 24, .min = 1, .max = 720, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, window_ms), .unit = IDW_UNIT_HOURS,
     .doc = "alerts on one session within this window aggregate"},
    {.name = "session_max_hours", .def = 168, .min = 1, .max = 8760, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, session_ms), .unit = IDW_UNIT_HOURS,
     .doc = "how long a session is remembered"},
    IDW_PARAM_END,
};

/* Any event of a session may be the replayed one: every kind, unlisted types included. */
const struct idw_rule idw_rule_session_hijack = {
    .id = "session_hijack",
    .description = "one Okta session used from a network new to the user, another OS or "
                   "browser, or a script; Okta's session context-change and roaming signals",
    .kinds = IDW_KINDS_ALL,
    .params = session_hijack_params,
    .config_size = sizeof(struct cfg),
    .on_event = sh_on_event,
};
