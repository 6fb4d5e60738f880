/*
 * normalize.c — Okta LogEvent → idw_event → TOTAL JSON.
 *
 * Reading side: every field is fetched through get_*() helpers that treat
 * absent, JSON null, wrong-typed and the literal "null" alike, so a quirky
 * event never crashes or poisons a persona; it is rejected only when it
 * lacks what event time and classification need (published, eventType),
 * with a reason naming the field and what was wrong with it.  An event
 * without a uuid (data-lake exports) gets one derived from its content.
 *
 * Who the event is about: for admin actions on a user (kinds flagged
 * IDW_K_ON_TARGET) the subject is the target of type User; otherwise it is
 * the actor when the actor is a person.  An event with no person in it is
 * kept without a subject: rules judge every event (password spray needs
 * failed sign-ins against unknown usernames, admin-plane rules need what a
 * SystemPrincipal or an API client did).  The name typed for an unknown
 * user is replaced by a short hash because people type passwords into the
 * username box.
 */
#include "event/normalize.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"

/* ---- tolerant field access ------------------------------------------- */

/*
 * json_object_get that also accepts the all-lower-case spelling of a key
 * (data-lake exports lower-case column names: "eventtype").
 */
json_t *idw_okta_get(const json_t *obj, const char *key)
{
    char lower[64];
    json_t *v;

    if (!json_is_object(obj))
        return NULL;
    v = json_object_get(obj, key);
    if (v)
        return v;
    idw_lowercpy(lower, key, sizeof lower);
    return strcmp(lower, key) ? json_object_get(obj, lower) : NULL;
}

static json_t *get(const json_t *obj, const char *key)
{
    return idw_okta_get(obj, key);
}

const json_t *idw_event_debug_data(const struct idw_event *ev)
{
    json_t *dd = get(get(ev->raw, "debugContext"), "debugData");
    return json_is_object(dd) ? dd : NULL;
}

const json_t *idw_event_debug_value(const struct idw_event *ev, const char *key)
{
    return idw_okta_get(idw_event_debug_data(ev), key);
}

const char *idw_event_debug_str(const struct idw_event *ev, const char *key)
{
    const char *s = json_string_value(idw_event_debug_value(ev, key));
    return idw_str_absent(s) ? NULL : s;
}

enum idw_rc idw_event_debug_num(const struct idw_event *ev, const char *key, double *out)
{
    const json_t *v = idw_event_debug_value(ev, key);
    const char *s = json_string_value(v);
    char *end;

    *out = 0;
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return IDW_OK;
    }
    if (idw_str_absent(s))
        return IDW_NOTFOUND;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(d))
        return IDW_NOTFOUND;    /* "12abc", "1e999", "nan": not a number Okta meant */
    *out = d;
    return IDW_OK;
}

enum idw_rc idw_event_debug_bool(const struct idw_event *ev, const char *key, int *out)
{
    const json_t *v = idw_event_debug_value(ev, key);
    const char *s = json_string_value(v);

    *out = 0;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return IDW_OK;
    }
    if (s && (!strcasecmp(s, "true") || !strcasecmp(s, "false"))) {
        *out = !strcasecmp(s, "true");
        return IDW_OK;
    }
    return IDW_NOTFOUND;
}

size_t idw_event_debug_text(const struct idw_event *ev, const char *key, char *out, size_t outlen)
{
    const json_t *v = idw_event_debug_value(ev, key), *e;
    size_t i;

    out[0] = '\0';
    if (json_is_string(v) && !idw_str_absent(json_string_value(v)))
        idw_strlcpy(out, json_string_value(v), outlen);
    json_array_foreach(v, i, e)
        if (json_is_string(e))
            idw_strappendf(out, outlen, "%s%s", out[0] ? ", " : "", json_string_value(e));
    return strlen(out);
}

/* A string field, or NULL when absent, null, not a string, "" or "null". */
static const char *get_str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(get(obj, key));
    return idw_str_absent(s) ? NULL : s;
}

static const json_t *get_obj(const json_t *obj, const char *key)
{
    json_t *v = get(obj, key);
    return json_is_object(v) ? v : NULL;
}

/* A number that Okta may send as integer, real, or numeric string. */
static int get_number(const json_t *obj, const char *key, double *out)
{
    json_t *v = get(obj, key);
    char *end;

    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    if (json_is_string(v) && *json_string_value(v)) {
        double d = strtod(json_string_value(v), &end);
        if (*end == '\0') {
            *out = d;
            return 0;
        }
    }
    return -1;
}

/* -1 unknown, else 0/1; accepts JSON booleans and "true"/"false" strings. */
static int get_bool(const json_t *obj, const char *key)
{
    json_t *v = get(obj, key);
    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_string(v)) {
        if (strcasecmp(json_string_value(v), "true") == 0)
            return 1;
        if (strcasecmp(json_string_value(v), "false") == 0)
            return 0;
    }
    return -1;
}

/* ---- parts of the event ---------------------------------------------- */

static void read_principal(const json_t *o, struct idw_principal *p)
{
    p->id = get_str(o, "id");
    p->type = get_str(o, "type");
    p->login = get_str(o, "alternateId");
    p->display_name = get_str(o, "displayName");
}

static enum idw_outcome outcome_from(const char *r)
{
    static const struct {
        const char *name;
        enum idw_outcome o;
    } map[] = {
        {"SUCCESS", IDW_OUT_SUCCESS}, {"FAILURE", IDW_OUT_FAILURE},
        {"ALLOW", IDW_OUT_ALLOW}, {"DENY", IDW_OUT_DENY},
        {"CHALLENGE", IDW_OUT_CHALLENGE}, {"SKIPPED", IDW_OUT_SKIPPED},
        {"ABANDONED", IDW_OUT_ABANDONED}, {"UNANSWERED", IDW_OUT_UNANSWERED},
        {"UNKNOWN", IDW_OUT_UNKNOWN},
    };
    if (!r)
        return IDW_OUT_UNKNOWN;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcasecmp(r, map[i].name) == 0)
            return map[i].o;
    return IDW_OUT_OTHER;
}

const char *idw_outcome_name(enum idw_outcome o)
{
    static const char *const names[] = {
        "UNKNOWN", "SUCCESS", "FAILURE", "ALLOW", "DENY", "CHALLENGE",
        "SKIPPED", "ABANDONED", "UNANSWERED", "OTHER",
    };
    return (unsigned)o < sizeof names / sizeof names[0] ? names[o] : "OTHER";
}

static void read_geo(const json_t *gc, struct idw_geo *g)
{
    const json_t *loc = get_obj(gc, "geolocation");
    double lat, lon;

    g->city = get_str(gc, "city");
    g->state = get_str(gc, "state");
    g->country = get_str(gc, "country");
    g->postal_code = get_str(gc, "postalCode");
    if (loc && get_number(loc, "lat", &lat) == 0 && get_number(loc, "lon", &lon) == 0 &&
        lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180) {
        g->lat = lat;
        g->lon = lon;
        g->has_coords = 1;
    }
    if (g->city || g->country || g->has_coords)
        g->source = IDW_GEO_OKTA;
}

static void read_client(const json_t *raw, struct idw_event *ev)
{
    const json_t *c = get_obj(raw, "client");
    const json_t *ua = get_obj(c, "userAgent");

    ev->ip = get_str(c, "ipAddress");
    ev->user_agent = get_str(ua, "rawUserAgent");
    ev->ua_os = get_str(ua, "os");
    ev->ua_browser = get_str(ua, "browser");
    ev->client_device = get_str(c, "device");
    ev->client_zone = get_str(c, "zone");
    ev->client_id = get_str(c, "id");
    read_geo(get_obj(c, "geographicalContext"), &ev->geo);

    /* No client IP (some API-token events): the first hop of the IP chain is the client. */
    if (!ev->ip) {
        json_t *chain = get(get_obj(raw, "request"), "ipChain");
        const json_t *hop = json_array_get(chain, 0);
        ev->ip = get_str(hop, "ip");
        if (!ev->geo.source)
            read_geo(get_obj(hop, "geographicalContext"), &ev->geo);
    }
}

static void read_security(const json_t *raw, struct idw_event *ev)
{
    const json_t *sc = get_obj(raw, "securityContext");
    double asn;

    if (get_number(sc, "asNumber", &asn) == 0 && asn > 0 && asn < 4294967296.0)
        ev->asn = (uint32_t)asn;
    ev->as_org = get_str(sc, "asOrg");
    ev->isp = get_str(sc, "isp");
    ev->as_domain = get_str(sc, "domain");
    ev->is_proxy = get_bool(sc, "isProxy");

    const char *lvl = get_str(get_obj(sc, "risk"), "level");
    if (lvl)
        idw_strlcpy(ev->own.risk_level, lvl, sizeof ev->own.risk_level);
}

static void read_authn(const json_t *raw, struct idw_event *ev)
{
    const json_t *ac = get_obj(raw, "authenticationContext");

    ev->auth_provider = get_str(ac, "authenticationProvider");
    ev->credential_type = get_str(ac, "credentialType");
    ev->credential_provider = get_str(ac, "credentialProvider");
    ev->session_id = get_str(ac, "externalSessionId");
    ev->root_session_id = get_str(ac, "rootSessionId");
    ev->auth_interface = get_str(ac, "interface");
    /* Okta writes "unknown" when there is no session: it must not link events. */
    if (ev->session_id && strcasecmp(ev->session_id, "unknown") == 0)
        ev->session_id = NULL;
    if (ev->root_session_id && strcasecmp(ev->root_session_id, "unknown") == 0)
        ev->root_session_id = NULL;
}

/* Okta's behaviour names; entry i is the IDW_BEH_* bit 1 << i. */
static const char *const behavior_names[] = {
    "New Geo-Location", "New Device", "New IP", "New State", "New Country", "Velocity", "New City",
};
#define NBEHAVIORS (sizeof behavior_names / sizeof behavior_names[0])

unsigned idw_parse_behaviors(const char *s)
{
    unsigned bits = 0;

    for (unsigned i = 0; s && i < NBEHAVIORS; i++) {
        const char *p = strstr(s, behavior_names[i]);
        if (!p)
            continue;
        p += strlen(behavior_names[i]);
        while (*p == ' ' || *p == '=' || *p == ':' || *p == '"')
            p++;
        if (strncasecmp(p, "POSITIVE", 8) == 0)
            bits |= 1u << i;
    }
    return bits;
}

static unsigned behaviors_from_object(const json_t *o)
{
    unsigned bits = 0;
    for (unsigned i = 0; i < NBEHAVIORS; i++) {
        const char *v = json_string_value(json_object_get(o, behavior_names[i]));
        if (v && strcasecmp(v, "POSITIVE") == 0)
            bits |= 1u << i;
    }
    return bits;
}

/* "{reasons=..., level=HIGH}" → "HIGH" copied into dst. */
static void risk_level_from_string(const char *s, char *dst, size_t dstsize)
{
    const char *p = s ? strstr(s, "level=") : NULL;
    size_t n = 0;
    if (!p)
        return;
    p += 6;
    while (isalpha((unsigned char)p[n]))
        n++;
    if (n)
        idw_strncpy0(dst, dstsize, p, n);
}

/*
 * logOnlySecurityData is JSON, usually inside a string.  On
 * policy.evaluate_sign_on the behaviours and risk often live only here.
 */
static void read_log_only_security(const json_t *dd, struct idw_event *ev)
{
    json_t *v = get(dd, "logOnlySecurityData");
    json_t *parsed = NULL;

    if (json_is_string(v)) {
        parsed = json_loads(json_string_value(v), 0, NULL);
        v = parsed;
    }
    if (json_is_object(v)) {
        ev->behaviors |= behaviors_from_object(json_object_get(v, "behaviors"));
        const char *lvl = json_string_value(json_object_get(json_object_get(v, "risk"), "level"));
        if (lvl && !ev->own.risk_level[0])
            idw_strlcpy(ev->own.risk_level, lvl, sizeof ev->own.risk_level);
    }
    json_decref(parsed);
}

static void read_debug(const json_t *raw, struct idw_event *ev)
{
    const json_t *dd = get_obj(get_obj(raw, "debugContext"), "debugData");
    json_t *beh;

    if (!dd)
        return;
    ev->threat_suspected = get_bool(dd, "threatSuspected") == 1;
    ev->dt_hash = get_str(dd, "dtHash");
    ev->device_fingerprint = get_str(dd, "deviceFingerprint");
    ev->factor = get_str(dd, "factor");
    beh = get(dd, "behaviors");
    if (json_is_string(beh))
        ev->behaviors = idw_parse_behaviors(json_string_value(beh));
    else if (json_is_object(beh))
        ev->behaviors = behaviors_from_object(beh);
    if (!ev->own.risk_level[0])
        risk_level_from_string(get_str(dd, "risk"), ev->own.risk_level, sizeof ev->own.risk_level);
    if (get(dd, "logOnlySecurityData"))
        read_log_only_security(dd, ev);
}

static void read_device(const json_t *raw, struct idw_event *ev)
{
    const json_t *d = get_obj(raw, "device");
    ev->device_id = get_str(d, "id");
    ev->device_name = get_str(d, "name");
    ev->device_platform = get_str(d, "os_platform");
}

/* First target overall, first AppInstance, first UserGroup; the User target is returned. */
static const json_t *read_targets(const json_t *raw, struct idw_event *ev)
{
    json_t *targets = get(raw, "target");
    const json_t *user = NULL;
    size_t i;
    json_t *t;

    if (!json_is_array(targets))
        return NULL;
    json_array_foreach(targets, i, t) {
        const char *type = get_str(t, "type");
        if (i == 0)
            read_principal(t, &ev->target);
        if (!type)
            continue;
        if (!ev->app_id && strcmp(type, "AppInstance") == 0) {
            ev->app_id = get_str(t, "id");
            ev->app_name = get_str(t, "displayName");
            if (!ev->app_name)
                ev->app_name = get_str(t, "alternateId");
        } else if (!ev->group_id && strcmp(type, "UserGroup") == 0) {
            ev->group_id = get_str(t, "id");
            ev->group_name = get_str(t, "displayName");
        } else if (!user && strcmp(type, "User") == 0) {
            user = t;
        }
    }
    return user;
}

/* ---- who the event is about ------------------------------------------ */

static int principal_is_person(const struct idw_principal *p)
{
    return p->type && strcmp(p->type, "User") == 0 && p->id &&
           strcasecmp(p->id, "unknown") != 0;
}

/*
 * Okta logs a sign-in against a username it does not know with actor id
 * "unknown" and the typed text as alternateId.  Keep a hash, drop the text.
 */
static void hide_unknown_user(struct idw_event *ev, const unsigned char *key)
{
    char lower[256];
    idw_lowercpy(lower, ev->actor.login ? ev->actor.login : "", sizeof lower);
    if (key)
        idw_hmac_sha256_hex(key, 32, lower, strlen(lower), 8, ev->own.unknown_user_hash);
    else
        idw_sha256_hex(lower, strlen(lower), 8, ev->own.unknown_user_hash);
    ev->unknown_user = 1;
    ev->unknown_user_hash = ev->own.unknown_user_hash;
    ev->actor.login = NULL;
    ev->actor.display_name = NULL;
}

static void resolve_subject(struct idw_event *ev, const json_t *user_target,
                            const struct idw_norm_opts *opts)
{
    ev->actor_is_human = principal_is_person(&ev->actor);
    if (ev->actor.type && strcmp(ev->actor.type, "User") == 0 && !ev->actor_is_human)
        hide_unknown_user(ev, opts ? opts->unknown_user_key : NULL);

    if ((ev->kind->flags & IDW_K_ON_TARGET) && user_target) {
        read_principal(user_target, &ev->subject);
        if (!principal_is_person(&ev->subject))
            memset(&ev->subject, 0, sizeof ev->subject);
    }
    if (!ev->subject.id && ev->actor_is_human)
        ev->subject = ev->actor;
    ev->subject_is_actor = ev->subject.id && ev->actor.id &&
                           strcmp(ev->subject.id, ev->actor.id) == 0;
}

/* ---- entry point ------------------------------------------------------ */

static int type_selected(const char *type, const struct idw_norm_opts *o)
{
    if (!o || !o->allow_types)
        return 1;
    for (size_t i = 0; i < o->n_allow_types; i++)
        if (strcmp(o->allow_types[i], type) == 0)
            return 1;
    return 0;
}

static enum idw_norm_status reject(struct idw_event *ev, char *err, size_t errlen,
                                   enum idw_norm_status st, const char *fmt, const char *arg)
{
    snprintf(err, errlen, fmt, arg ? arg : "");
    idw_event_clear(ev);
    return st;
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

/*
 * A value quoted for a one-line message: at most max bytes (cut on a UTF-8
 * character boundary, "..." added), control characters shown as '?'.
 */
static void excerpt(const char *s, size_t max, char *out, size_t outlen)
{
    size_t n = strlen(s), i;

    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    idw_strncpy0(out, outlen, s, n);
    for (i = 0; out[i]; i++)
        if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
            out[i] = '?';
    if (n < strlen(s))
        idw_strlcpy(out + strlen(out), "...", outlen - strlen(out));
}

/*
 * Events without a uuid (data-lake exports, trimmed test events) get one
 * derived from their content, so that re-ingesting the same file
 * de-duplicates.  The content is the canonical dump of the event (keys
 * sorted at every level, compact), without the top-level "p_*" columns a
 * data lake adds per stored row (Panther's p_row_id, p_parse_time...), so
 * the same Okta event stored twice is one event.  It is keyed with the
 * database's secret (HMAC-SHA256) when there is one: such an event may
 * carry a password typed as a username, and a plain hash of otherwise
 * visible fields could be checked against a dictionary.  The digest is
 * printed as a version-8 UUID.  Returns 0, or -1 on allocation failure.
 */
static int derive_uuid(json_t *raw, const unsigned char *key, char out[IDW_UUID_STRLEN])
{
    json_t *copy = json_copy(raw), *v;      /* shallow: only the top level changes */
    const char *k;
    char *dump, mac[65];
    void *tmp;

    if (!copy)
        return -1;
    json_object_foreach_safe(copy, tmp, k, v)
        if (strncmp(k, "p_", 2) == 0)
            json_object_del(copy, k);
    dump = json_dumps(copy, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(copy);
    if (!dump)
        return -1;
    if (key) {
        idw_hmac_sha256_hex(key, 32, dump, strlen(dump), 32, mac);
        idw_uuid_derive("okta-event-content", mac, out);
    } else {
        idw_uuid_derive("okta-event-content", dump, out);
    }
    free(dump);
    return 0;
}

/* uuid: Okta's, or derived from the content when absent (null, "" or missing). */
static enum idw_norm_status read_uuid(json_t *raw, const struct idw_norm_opts *opts,
                                      struct idw_event *ev, char *err, size_t errlen)
{
    json_t *v = get(raw, "uuid");

    if (v && !json_is_null(v) && !json_is_string(v))
        return reject(ev, err, errlen, IDW_NORM_REJECT, "uuid: expected a string, got %s",
                      json_type_name(v));
    ev->uuid = get_str(raw, "uuid");
    if (ev->uuid) {
        if (strlen(ev->uuid) > 128)
            return reject(ev, err, errlen, IDW_NORM_REJECT, "uuid longer than 128 bytes%s", NULL);
        return IDW_NORM_OK;
    }
    if (derive_uuid(raw, opts ? opts->unknown_user_key : NULL, ev->own.uuid) < 0)
        return reject(ev, err, errlen, IDW_NORM_REJECT, "out of memory deriving a uuid%s", NULL);
    ev->uuid = ev->own.uuid;
    ev->uuid_derived = 1;
    return IDW_NORM_OK;
}

/*
 * published: an ISO 8601 / RFC 3339 time, or the data-lake form
 * "YYYY-MM-DD HH:MM:SS[.fff...]" (UTC).  The reason names what was wrong.
 */
static enum idw_norm_status read_published(json_t *raw, struct idw_event *ev, char *err,
                                           size_t errlen)
{
    json_t *v = get(raw, "published");
    char shown[80];

    if (!v)
        return reject(ev, err, errlen, IDW_NORM_REJECT, "missing published time%s", NULL);
    if (!json_is_string(v))
        return reject(ev, err, errlen, IDW_NORM_REJECT,
                      "published: expected an ISO 8601 string, got %s", json_type_name(v));
    ev->published = json_string_value(v);
    if (idw_time_parse(ev->published, &ev->published_ms) < 0) {
        excerpt(ev->published, 64, shown, sizeof shown);
        return reject(ev, err, errlen, IDW_NORM_REJECT,
                      "published: not an ISO 8601 (RFC 3339) time: '%s'", shown);
    }
    idw_time_format(ev->published_ms, ev->own.published_iso);
    return IDW_NORM_OK;
}

static enum idw_norm_status read_identity(json_t *raw, const struct idw_norm_opts *opts,
                                          struct idw_event *ev, char *err, size_t errlen)
{
    enum idw_norm_status st;
    json_t *type;

    st = read_uuid(raw, opts, ev, err, errlen);
    if (st != IDW_NORM_OK)
        return st;
    st = read_published(raw, ev, err, errlen);
    if (st != IDW_NORM_OK)
        return st;
    type = get(raw, "eventType");
    if (type && !json_is_string(type) && !json_is_null(type))
        return reject(ev, err, errlen, IDW_NORM_REJECT, "eventType: expected a string, got %s",
                      json_type_name(type));
    ev->okta_type = get_str(raw, "eventType");
    if (!ev->okta_type)
        return reject(ev, err, errlen, IDW_NORM_REJECT, "missing eventType%s", NULL);

    if (!type_selected(ev->okta_type, opts))
        return reject(ev, err, errlen, IDW_NORM_SKIP_TYPE, "type %.100s", ev->okta_type);
    /* an unlisted type is kept: rules may match it, only personas ignore it */
    ev->kind = idw_classify(ev->okta_type);
    if (!ev->kind)
        ev->kind = idw_classify_fallback(ev->okta_type);
    return IDW_NORM_OK;
}

enum idw_norm_status idw_normalize(json_t *raw, const struct idw_norm_opts *opts,
                                   struct idw_event *ev, char *err, size_t errlen)
{
    enum idw_norm_status st;

    memset(ev, 0, sizeof *ev);
    if (err && errlen)
        err[0] = '\0';
    if (!json_is_object(raw))
        return reject(ev, err, errlen, IDW_NORM_REJECT, "event is not a JSON object%s", NULL);
    ev->raw = json_incref(raw);
    ev->is_proxy = -1;

    st = read_identity(raw, opts, ev, err, errlen);
    if (st != IDW_NORM_OK)
        return st;
    ev->severity = get_str(raw, "severity");
    ev->display_message = get_str(raw, "displayMessage");
    ev->outcome_result = get_str(get_obj(raw, "outcome"), "result");
    ev->outcome_reason = get_str(get_obj(raw, "outcome"), "reason");
    ev->outcome = outcome_from(ev->outcome_result);
    read_principal(get_obj(raw, "actor"), &ev->actor);
    read_client(raw, ev);
    read_security(raw, ev);
    read_authn(raw, ev);
    read_debug(raw, ev);
    read_device(raw, ev);
    ev->transaction_id = get_str(get_obj(raw, "transaction"), "id");
    ev->transaction_type = get_str(get_obj(raw, "transaction"), "type");
    if (ev->own.risk_level[0])
        ev->risk_level = ev->own.risk_level;

    resolve_subject(ev, read_targets(raw, ev), opts);
    return IDW_NORM_OK;
}

void idw_event_clear(struct idw_event *ev)
{
    json_decref(ev->raw);
    memset(ev, 0, sizeof *ev);
}

/* ---- TOTAL JSON ------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static void set(json_t *o, const char *key, json_t *v)
{
    /* json_object_set_new consumes v; a NULL v (allocation failure) becomes null. */
    json_object_set_new(o, key, v ? v : json_null());
}

static json_t *payload_json(const struct idw_event *ev)
{
    json_t *p = json_object();
    if (!p)
        return NULL;
    set(p, "event_id", json_string(ev->uuid));
    set(p, "user", str_or_null(ev->subject.login));
    set(p, "action", json_string(ev->okta_type));
    set(p, "outcome", str_or_null(ev->outcome_result));
    set(p, "target_app", str_or_null(ev->app_name));
    set(p, "ip_address", str_or_null(ev->ip));
    set(p, "city", str_or_null(ev->geo.city));
    set(p, "country", str_or_null(ev->geo.country));
    set(p, "device", str_or_null(ev->client_device));
    set(p, "browser", str_or_null(ev->ua_browser));
    set(p, "os", str_or_null(ev->ua_os));
    set(p, "mfa_method", str_or_null(ev->credential_type ? ev->credential_type : ev->factor));
    return p;
}

/* raw_metadata mirrors the source: GeoIP enrichment is not written here. */
static json_t *raw_metadata_json(const struct idw_event *ev)
{
    const struct idw_geo *g = &ev->geo;
    int okta_geo = g->source == IDW_GEO_OKTA;
    json_t *m = json_object();

    if (!m)
        return NULL;
    set(m, "platform_event_id", json_string(ev->uuid));
    set(m, "event_type", json_string(ev->okta_type));
    set(m, "actor_id", str_or_null(ev->actor.id));
    set(m, "actor_email", str_or_null(ev->actor.login));
    set(m, "actor_display_name", str_or_null(ev->actor.display_name));
    set(m, "outcome", str_or_null(ev->outcome_result));
    set(m, "client_ip", str_or_null(ev->ip));
    set(m, "client_user_agent", str_or_null(ev->user_agent));
    set(m, "client_device", str_or_null(ev->client_device));
    set(m, "geo_city", str_or_null(okta_geo ? g->city : NULL));
    set(m, "geo_state", str_or_null(okta_geo ? g->state : NULL));
    set(m, "geo_country", str_or_null(okta_geo ? g->country : NULL));
    set(m, "geo_lat", okta_geo && g->has_coords ? json_real(g->lat) : json_null());
    set(m, "geo_lon", okta_geo && g->has_coords ? json_real(g->lon) : json_null());
    set(m, "authentication_provider", str_or_null(ev->auth_provider));
    set(m, "credential_type", str_or_null(ev->credential_type));
    set(m, "external_session_id", str_or_null(ev->session_id));
    set(m, "target_id", str_or_null(ev->target.id));
    set(m, "target_type", str_or_null(ev->target.type));
    set(m, "target_display_name", str_or_null(ev->target.display_name));
    set(m, "security_as_org", str_or_null(ev->as_org && ev->own.as_org != ev->as_org ? ev->as_org : NULL));
    set(m, "security_is_proxy", ev->is_proxy < 0 ? json_null() : json_boolean(ev->is_proxy));
    set(m, "created_at", json_string(ev->own.published_iso));
    set(m, "source_platform", json_string("okta"));
    return m;
}

static json_t *principal_json(const struct idw_principal *p)
{
    if (!p->id)
        return json_null();
    return json_pack("{s:s, s:o, s:o, s:o}", "id", p->id,
                     "login", str_or_null(p->login),
                     "display_name", str_or_null(p->display_name),
                     "type", str_or_null(p->type));
}

static json_t *behaviors_json(unsigned bits)
{
    json_t *a = json_array();
    for (unsigned i = 0; a && i < NBEHAVIORS; i++)
        if (bits & (1u << i))
            json_array_append_new(a, json_string(behavior_names[i]));
    return a;
}

static const char *geo_source_name(enum idw_geo_source s)
{
    return s == IDW_GEO_OKTA ? "okta" : s == IDW_GEO_MAXMIND ? "geoip" : NULL;
}

/* idwatch's additions: what the seed schema has no field for. */
static json_t *context_json(const struct idw_event *ev)
{
    const struct idw_geo *g = &ev->geo;
    json_t *c = json_object();

    if (!c)
        return NULL;
    set(c, "category", json_string(idw_category_name(ev->kind->category)));
    set(c, "published_ms", json_integer(ev->published_ms));
    set(c, "uuid_derived", json_boolean(ev->uuid_derived));
    set(c, "subject", principal_json(&ev->subject));
    set(c, "subject_is_actor", json_boolean(ev->subject_is_actor));
    set(c, "actor_type", str_or_null(ev->actor.type));
    set(c, "unknown_user_hash", str_or_null(ev->unknown_user_hash));
    set(c, "geo_source", str_or_null(geo_source_name(g->source)));
    set(c, "geo_state", str_or_null(g->state));
    set(c, "geo_lat", g->has_coords ? json_real(g->lat) : json_null());
    set(c, "geo_lon", g->has_coords ? json_real(g->lon) : json_null());
    set(c, "geo_accuracy_km", g->accuracy_km ? json_integer(g->accuracy_km) : json_null());
    set(c, "asn", ev->asn ? json_integer(ev->asn) : json_null());
    set(c, "as_org", str_or_null(ev->as_org));
    set(c, "isp", str_or_null(ev->isp));
    set(c, "root_session_id", str_or_null(ev->root_session_id));
    set(c, "transaction_id", str_or_null(ev->transaction_id));
    set(c, "dt_hash", str_or_null(ev->dt_hash));
    set(c, "device_fingerprint", str_or_null(ev->device_fingerprint));
    set(c, "device_id", str_or_null(ev->device_id));
    set(c, "factor", str_or_null(ev->factor));
    set(c, "app_id", str_or_null(ev->app_id));
    set(c, "group_id", str_or_null(ev->group_id));
    set(c, "group_name", str_or_null(ev->group_name));
    set(c, "threat_suspected", json_boolean(ev->threat_suspected));
    set(c, "behaviors", behaviors_json(ev->behaviors));
    set(c, "risk_level", str_or_null(ev->risk_level));
    return c;
}

json_t *idw_event_to_json(const struct idw_event *ev)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    set(o, "event_id", json_string(ev->event_id));
    set(o, "event_type", json_string(idw_class_name(ev->kind->cls)));
    set(o, "source", json_string("OKTA"));
    set(o, "signal_type", json_string(idw_signal_name(ev->kind->signal)));
    set(o, "domain_id", str_or_null(ev->domain_id));
    set(o, "tuid", ev->tuid[0] ? json_string(ev->tuid) : json_null());
    set(o, "timestamp", json_string(ev->own.published_iso));
    set(o, "payload", payload_json(ev));
    set(o, "raw_metadata", raw_metadata_json(ev));
    set(o, "platform_event_id", json_string(ev->uuid));
    set(o, "platform_event_source", json_string("OKTA_SYSTEM_LOG_API"));
    set(o, "context", context_json(ev));
    return o;
}
