/*
 * evstore_codec.c — the compact record a stored event is kept in
 * (evstore.h; docs/events.md), and its filling from a normalized event.
 *
 * Layout (version 1):
 *   u8 version, u8 flags (1 coords, 2 uuid as text, 4 subject tuid, 8 actor tuid)
 *   uuid: 16 bytes, or a string when it is not a canonical UUID
 *   varint zigzag(published_ms)
 *   strings: event_type, display_message, outcome, outcome_reason, severity,
 *            actor id, login, type, display_name
 *   u8 n_targets (<= IDW_EVREC_TARGETS), then per target: id, login, type
 *   strings: ip, city, country, as_org, device, browser, os, app, session_id
 *   coords when flagged: varint zigzag(lat * 1e5), varint zigzag(lon * 1e5)
 *   varint asn; subject tuid, actor tuid (16 bytes each) when flagged
 *
 * A string is a varint v: 0 absent; v & 3 == 1 the COMMON table's entry
 * v >> 2; v & 3 == 2 a literal of v >> 2 bytes (1..IDW_EVREC_STR_MAX); v & 3 == 3 the same text
 * as this record's string number v >> 2 (an app named like its target, a
 * target who is the actor).  The table holds what most events repeat
 * (event types, messages, severities, browsers): one byte instead of
 * twenty, which is what keeps an event under the 400-byte budget.  It is
 * part of the format: entries are only ever appended.
 */
#include "store/evstore.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#define VERSION 1
#define F_COORDS 1u
#define F_UUID_TEXT 2u
#define F_SUBJ 4u
#define F_ACTOR 8u
#define COORD_SCALE 1e5
#define MAX_STRINGS (1 + 9 + 3 * IDW_EVREC_TARGETS + 9)   /* a text uuid, head, targets, tail */
#define MAX_TIME_MS 253402300799999LL   /* 9999-12-31T23:59:59.999Z: idw_time_parse's range */

static const char *const COMMON[] = {
    /* severities, outcomes, principal types, devices */
    "DEBUG", "INFO", "WARN", "ERROR", "SUCCESS", "FAILURE", "ALLOW", "DENY", "CHALLENGE",
    "SKIPPED", "ABANDONED", "UNANSWERED", "User", "SystemPrincipal", "PublicClientApp",
    "AppInstance", "UserGroup", "Computer", "Mobile", "Unknown",
    /* browsers and systems as Okta names them */
    "CHROME", "SAFARI", "MOBILE_SAFARI", "FIREFOX", "EDGE_CHROMIUM", "EDGE", "UNKNOWN",
    "Mac OS X", "Windows 10", "Windows", "Linux", "iOS", "Android",
    /* the commonest event types and their messages */
    "user.authentication.sso", "User single sign on to app",
    "user.session.start", "User login to Okta",
    "user.authentication.auth_via_mfa", "Authentication of user via MFA",
    "policy.evaluate_sign_on", "Evaluation of sign-on policy",
    "system.push.send_factor_verify_push", "Push notification sent for verification",
    "user.session.end", "User logout from Okta",
    "user.session.access_admin_app", "User accessing Okta admin app",
    "user.authentication.verify", "Verify user identity",
    "user.account.lock", "Max sign in attempts exceeded",
    "user.mfa.okta_verify.deny_push", "User rejected Okta push verify",
    "Sign-on policy evaluation resulted in ALLOW", "VERIFICATION_ERROR", "INVALID_CREDENTIALS",
    "Okta Verify push was not answered",
    "user.authentication.authenticate", "app.oauth2.as.token.grant.access_token",
    "user.mfa.factor.activate", "user.mfa.factor.deactivate", "user.mfa.factor.reset_all",
    "group.user_membership.add", "group.user_membership.remove", "user.account.privilege.grant",
    "user.account.reset_password", "user.account.update_password", "user.lifecycle.create",
};
#define N_COMMON (sizeof COMMON / sizeof COMMON[0])

/* ---- writing ----------------------------------------------------------------- */

/* COMMON by hash: one lookup per string instead of a scan of the table (it was ~9% of ingest). */
#define COMMON_SLOTS 256
static short common_slot[COMMON_SLOTS];
static pthread_once_t common_once = PTHREAD_ONCE_INIT;

static void common_init(void)
{
    memset(common_slot, 0xff, sizeof common_slot);
    for (size_t i = 0; i < N_COMMON; i++) {
        unsigned h = (unsigned)(idw_hash64(COMMON[i]) % COMMON_SLOTS);
        while (common_slot[h] >= 0)
            h = (h + 1) % COMMON_SLOTS;
        common_slot[h] = (short)i;
    }
}

/* s's index in COMMON, or -1. */
static int common_find(const char *s)
{
    unsigned h;

    pthread_once(&common_once, common_init);
    for (h = (unsigned)(idw_hash64(s) % COMMON_SLOTS); common_slot[h] >= 0; h = (h + 1) % COMMON_SLOTS)
        if (strcmp(COMMON[common_slot[h]], s) == 0)
            return common_slot[h];
    return -1;
}

struct writer {
    unsigned char *p, *end;
    int overflow;
    const char *seen[MAX_STRINGS];  /* strings written so far, for back-references */
    size_t seen_len[MAX_STRINGS];
    unsigned n_seen;
};

static void put(struct writer *w, const void *src, size_t n)
{
    if (w->overflow || (size_t)(w->end - w->p) < n) {
        w->overflow = 1;
        return;
    }
    memcpy(w->p, src, n);
    w->p += n;
}

static void put_u8(struct writer *w, unsigned v)
{
    unsigned char b = (unsigned char)v;
    put(w, &b, 1);
}

static void put_varint(struct writer *w, uint64_t v)
{
    unsigned char b[10];
    size_t n = 0;

    do {
        b[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            b[n] |= 0x80;
        n++;
    } while (v);
    put(w, b, n);
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

/* The length kept of s: at most IDW_EVREC_STR_MAX, never cutting a UTF-8 sequence. */
static size_t kept_len(const char *s)
{
    size_t n = strlen(s);

    if (n <= IDW_EVREC_STR_MAX)
        return n;
    n = IDW_EVREC_STR_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    return n;
}

static void put_str(struct writer *w, const char *s)
{
    size_t n;
    int c;

    if (!s || !*s) {
        put_varint(w, 0);
        w->seen[w->n_seen++] = NULL;
        return;
    }
    n = kept_len(s);
    for (unsigned i = 0; i < w->n_seen; i++)
        if (w->seen[i] && w->seen_len[i] == n && memcmp(w->seen[i], s, n) == 0) {
            put_varint(w, ((uint64_t)i << 2) | 3);
            w->seen[w->n_seen] = s;
            w->seen_len[w->n_seen++] = n;
            return;
        }
    w->seen[w->n_seen] = s;
    w->seen_len[w->n_seen++] = n;
    c = n <= 64 ? common_find(s) : -1;
    if (c >= 0) {
        put_varint(w, ((uint64_t)c << 2) | 1);
        return;
    }
    put_varint(w, ((uint64_t)n << 2) | 2);
    put(w, s, n);
}

/* 1 and the 16 bytes when s is a canonical (8-4-4-4-12 hex) UUID, else 0. */
static int uuid_bytes(const char *s, unsigned char out[16])
{
    static const char *const hex = "0123456789abcdef";
    unsigned n = 0;

    if (!s || strlen(s) != 36)
        return 0;
    for (unsigned i = 0; i < 36; i++) {
        const char *d;
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return 0;
            continue;
        }
        d = s[i] ? strchr(hex, s[i]) : NULL;   /* lower case only: re-printing must give s back */
        if (!d)
            return 0;
        if (n % 2 == 0)
            out[n / 2] = (unsigned char)((d - hex) << 4);
        else
            out[n / 2] |= (unsigned char)(d - hex);
        n++;
    }
    return 1;
}

static void uuid_text(const unsigned char b[16], char out[IDW_UUID_STRLEN])
{
    static const char *const hex = "0123456789abcdef";
    unsigned o = 0;

    for (unsigned i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
}

static void head_strings(const struct idw_evrec *r, const char *s[9])
{
    const char *v[9] = {r->event_type, r->display_message, r->outcome, r->outcome_reason,
                        r->severity, r->actor.id, r->actor.login, r->actor.type,
                        r->actor.display_name};
    memcpy(s, v, sizeof v);
}

static void tail_strings(const struct idw_evrec *r, const char *s[9])
{
    const char *v[9] = {r->ip, r->city, r->country, r->as_org, r->device, r->browser, r->os,
                        r->app, r->session_id};
    memcpy(s, v, sizeof v);
}

static int32_t coord(double v)
{
    return (int32_t)lround(v * COORD_SCALE);
}

size_t idw_evrec_encode(const struct idw_evrec *r, unsigned char *buf, size_t cap)
{
    struct writer w = {buf, buf + cap, 0, {0}, {0}, 0};
    unsigned char u[16];
    const char *s[9];
    unsigned flags = 0, nt = r->n_targets < IDW_EVREC_TARGETS ? r->n_targets : IDW_EVREC_TARGETS;
    int bin = uuid_bytes(r->uuid, u);
    int coords = r->has_coords && isfinite(r->lat) && isfinite(r->lon) && fabs(r->lat) <= 90 &&
                 fabs(r->lon) <= 180;

    flags |= coords ? F_COORDS : 0;
    flags |= bin ? 0 : F_UUID_TEXT;
    flags |= uuid_bytes(r->subject_tuid, u) ? F_SUBJ : 0;
    flags |= uuid_bytes(r->actor_tuid, u) ? F_ACTOR : 0;
    put_u8(&w, VERSION);
    put_u8(&w, flags);
    if (bin && uuid_bytes(r->uuid, u))
        put(&w, u, 16);
    else
        put_str(&w, r->uuid);
    put_varint(&w, zigzag(r->published_ms));
    head_strings(r, s);
    for (unsigned i = 0; i < 9; i++)
        put_str(&w, s[i]);
    put_u8(&w, nt);
    for (unsigned i = 0; i < nt; i++) {
        put_str(&w, r->target[i].id);
        put_str(&w, r->target[i].login);
        put_str(&w, r->target[i].type);
    }
    tail_strings(r, s);
    for (unsigned i = 0; i < 9; i++)
        put_str(&w, s[i]);
    if (coords) {
        put_varint(&w, zigzag(coord(r->lat)));
        put_varint(&w, zigzag(coord(r->lon)));
    }
    put_varint(&w, r->asn);
    if ((flags & F_SUBJ) && uuid_bytes(r->subject_tuid, u))
        put(&w, u, 16);
    if ((flags & F_ACTOR) && uuid_bytes(r->actor_tuid, u))
        put(&w, u, 16);
    return w.overflow ? 0 : (size_t)(w.p - buf);
}

/* ---- reading ----------------------------------------------------------------- */

struct reader {
    const unsigned char *p, *end;
    int bad;
    struct idw_evrec *r;
    size_t used;                    /* bytes of r->text taken */
    const char *seen[MAX_STRINGS];
    unsigned n_seen;
};

static void get(struct reader *rd, void *dst, size_t n)
{
    if (rd->bad || (size_t)(rd->end - rd->p) < n) {
        rd->bad = 1;
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, rd->p, n);
    rd->p += n;
}

static unsigned get_u8(struct reader *rd)
{
    unsigned char b;
    get(rd, &b, 1);
    return b;
}

static uint64_t get_varint(struct reader *rd)
{
    uint64_t v = 0;

    for (unsigned shift = 0; shift < 64; shift += 7) {
        unsigned b = get_u8(rd);
        if (rd->bad)
            return 0;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    rd->bad = 1;        /* more than ten bytes: not a varint */
    return 0;
}

static int64_t unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* A literal copied into r->text, NUL-terminated. */
static const char *take_literal(struct reader *rd, uint64_t n)
{
    char *dst = rd->r->text + rd->used;

    if (n == 0 || n > IDW_EVREC_STR_MAX || n + 1 > sizeof rd->r->text - rd->used ||
        (size_t)(rd->end - rd->p) < n || memchr(rd->p, 0, n)) {
        rd->bad = 1;        /* a NUL inside would cut the text short (or to nothing) */
        return NULL;
    }
    memcpy(dst, rd->p, n);
    dst[n] = '\0';
    rd->p += n;
    rd->used += n + 1;
    return dst;
}

static const char *get_str(struct reader *rd)
{
    uint64_t v = get_varint(rd);
    const char *s = NULL;

    if (rd->bad || rd->n_seen >= MAX_STRINGS) {
        rd->bad = 1;
        return NULL;
    }
    switch (v & 3) {
    case 0:
        rd->bad |= v != 0;
        break;
    case 1:
        if ((v >> 2) < N_COMMON)
            s = COMMON[v >> 2];
        else
            rd->bad = 1;
        break;
    case 2:
        s = take_literal(rd, v >> 2);
        break;
    default:
        if ((v >> 2) < rd->n_seen && rd->seen[v >> 2])
            s = rd->seen[v >> 2];
        else
            rd->bad = 1;     /* a reference forward, to itself or to an absent string */
    }
    rd->seen[rd->n_seen++] = s;
    return s;
}

static void get_tuid(struct reader *rd, char out[IDW_UUID_STRLEN])
{
    unsigned char b[16];
    get(rd, b, 16);
    uuid_text(b, out);
}

static void read_body(struct reader *rd, struct idw_evrec *r, unsigned flags)
{
    const char **head[9] = {&r->event_type, &r->display_message, &r->outcome, &r->outcome_reason,
                            &r->severity, &r->actor.id, &r->actor.login, &r->actor.type,
                            &r->actor.display_name};
    const char **tail[9] = {&r->ip, &r->city, &r->country, &r->as_org, &r->device, &r->browser,
                            &r->os, &r->app, &r->session_id};

    r->published_ms = unzigzag(get_varint(rd));
    rd->bad |= r->published_ms < 0 || r->published_ms > MAX_TIME_MS;
    for (unsigned i = 0; i < 9; i++)
        *head[i] = get_str(rd);
    r->n_targets = get_u8(rd);
    if (r->n_targets > IDW_EVREC_TARGETS) {
        rd->bad = 1;
        return;
    }
    for (unsigned i = 0; i < r->n_targets; i++) {
        r->target[i].id = get_str(rd);
        r->target[i].login = get_str(rd);
        r->target[i].type = get_str(rd);
    }
    for (unsigned i = 0; i < 9; i++)
        *tail[i] = get_str(rd);
    if (flags & F_COORDS) {
        int64_t lat = unzigzag(get_varint(rd)), lon = unzigzag(get_varint(rd));
        r->has_coords = 1;
        r->lat = (double)lat / COORD_SCALE;
        r->lon = (double)lon / COORD_SCALE;
        rd->bad |= fabs(r->lat) > 90 || fabs(r->lon) > 180;
    }
    uint64_t asn = get_varint(rd);
    rd->bad |= asn > UINT32_MAX;
    r->asn = (uint32_t)asn;
    if (flags & F_SUBJ)
        get_tuid(rd, r->subject_tuid);
    if (flags & F_ACTOR)
        get_tuid(rd, r->actor_tuid);
}

enum idw_rc idw_evrec_decode(const void *buf, size_t len, struct idw_evrec *r)
{
    struct reader rd = {buf, (const unsigned char *)buf + len, 0, r, 0, {0}, 0};
    unsigned flags;

    memset(r, 0, offsetof(struct idw_evrec, text));
    r->text[0] = '\0';
    if (!buf || len > IDW_EVREC_MAX || get_u8(&rd) != VERSION)
        goto corrupt;
    flags = get_u8(&rd);
    if (flags & ~(F_COORDS | F_UUID_TEXT | F_SUBJ | F_ACTOR))
        goto corrupt;
    if (flags & F_UUID_TEXT) {
        r->uuid = get_str(&rd);
        rd.bad |= r->uuid == NULL;
    } else {
        char *u = r->text;
        unsigned char b[16];
        get(&rd, b, 16);
        uuid_text(b, u);
        rd.used = IDW_UUID_STRLEN;
        r->uuid = u;
    }
    read_body(&rd, r, flags);
    if (!rd.bad && rd.p == rd.end)
        return IDW_OK;
corrupt:
    memset(r, 0, offsetof(struct idw_evrec, text));
    r->text[0] = '\0';
    return IDW_ERR;
}

/* ---- from a normalized event -------------------------------------------------- */

static const char *json_str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return idw_str_absent(s) ? NULL : s;
}

/* The first targets of the raw event: id, alternateId, type. */
static void fill_targets(struct idw_evrec *r, const json_t *raw)
{
    const json_t *ts = json_object_get(raw, "target"), *t;
    size_t i;

    r->n_targets = 0;
    json_array_foreach(ts, i, t) {
        if (r->n_targets == IDW_EVREC_TARGETS)
            break;
        if (!json_is_object(t))
            continue;
        r->target[r->n_targets].id = json_str(t, "id");
        r->target[r->n_targets].login = json_str(t, "alternateId");
        r->target[r->n_targets].type = json_str(t, "type");
        r->n_targets++;
    }
}

void idw_evrec_from_event(struct idw_evrec *r, const struct idw_event *ev, const char *actor_tuid)
{
    memset(r, 0, offsetof(struct idw_evrec, text));
    r->uuid = ev->uuid;
    r->published_ms = ev->published_ms;
    r->event_type = ev->okta_type;
    r->display_message = ev->display_message;
    r->outcome = ev->outcome_result;
    r->outcome_reason = ev->outcome_reason;
    r->severity = ev->severity;
    r->actor.id = ev->actor.id;
    r->actor.login = ev->actor.login;
    r->actor.type = ev->actor.type;
    r->actor.display_name = ev->actor.display_name;
    fill_targets(r, ev->raw);
    r->ip = ev->ip;
    r->city = ev->geo.city;
    r->country = ev->geo.country;
    r->has_coords = ev->geo.has_coords;
    r->lat = ev->geo.lat;
    r->lon = ev->geo.lon;
    r->asn = ev->asn;
    r->as_org = ev->as_org;
    r->device = ev->client_device;
    r->browser = ev->ua_browser;
    r->os = ev->ua_os;
    r->app = ev->app_name ? ev->app_name : ev->app_id;
    r->session_id = idw_event_session_key(ev);
    idw_strlcpy(r->subject_tuid, ev->tuid, sizeof r->subject_tuid);
    idw_strlcpy(r->actor_tuid, actor_tuid, sizeof r->actor_tuid);
}
