/*
 * evstore_json.c — a stored event as the EVENT JSON of the console/API
 * contract (evstore.h), shared by `idwatch events show --json`, `alerts
 * show` and `persona show --events`, and meant for the HTTP API too; and
 * the link to the event in the Okta Admin Console's System Log.
 */
#include "store/evstore.h"

#include <string.h>

/* A string or null; text that is not valid UTF-8 (a damaged record) becomes null too. */
static json_t *str_or_null(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

static json_t *who_json(const struct idw_evrec_who *w, int with_name)
{
    json_t *o = json_pack("{s:o, s:o, s:o}", "id", str_or_null(w->id), "login", str_or_null(w->login),
                          "type", str_or_null(w->type));
    if (o && with_name)
        json_object_set_new(o, "display_name", str_or_null(w->display_name));
    return o;
}

/* "SAFARI on Mac OS X": Okta's parse of the user agent (the raw string is not kept). */
static json_t *user_agent(const struct idw_evrec *r)
{
    char ua[2 * IDW_EVREC_STR_MAX + 8];

    if (!r->browser && !r->os)
        return json_null();
    snprintf(ua, sizeof ua, "%s%s%s", r->browser ? r->browser : "", r->browser && r->os ? " on " : "",
             r->os ? r->os : "");
    return str_or_null(ua);
}

static json_t *targets(const struct idw_evrec *r)
{
    json_t *a = json_array();
    for (unsigned i = 0; a && i < r->n_targets && i < IDW_EVREC_TARGETS; i++)
        json_array_append_new(a, who_json(&r->target[i], 0));
    return a ? a : json_null();
}

static json_t *tuid_or_null(const char *t)
{
    return t[0] ? str_or_null(t) : json_null();
}

json_t *idw_evrec_to_json(const struct idw_evrec *r, const char *okta_base)
{
    char when[IDW_TIME_STRLEN], url[512];
    json_t *o;

    idw_time_format(r->published_ms, when);
    o = json_pack("{s:o, s:s, s:o, s:o, s:{s:o, s:o}, s:o, s:o, s:o}",
                  "uuid", str_or_null(r->uuid), "published", when,
                  "event_type", str_or_null(r->event_type),
                  "display_message", str_or_null(r->display_message),
                  "outcome", "result", str_or_null(r->outcome), "reason", str_or_null(r->outcome_reason),
                  "severity", str_or_null(r->severity), "actor", who_json(&r->actor, 1),
                  "target", targets(r));
    if (!o)
        return NULL;
    json_object_set_new(o, "ip", str_or_null(r->ip));
    json_object_set_new(o, "city", str_or_null(r->city));
    json_object_set_new(o, "country", str_or_null(r->country));
    json_object_set_new(o, "lat", r->has_coords ? json_real(r->lat) : json_null());
    json_object_set_new(o, "lon", r->has_coords ? json_real(r->lon) : json_null());
    json_object_set_new(o, "asn", r->asn ? json_integer(r->asn) : json_null());
    json_object_set_new(o, "as_org", str_or_null(r->as_org));
    json_object_set_new(o, "device", str_or_null(r->device));
    json_object_set_new(o, "user_agent", user_agent(r));
    json_object_set_new(o, "app", str_or_null(r->app));
    json_object_set_new(o, "session_id", str_or_null(r->session_id));
    json_object_set_new(o, "subject_tuid", tuid_or_null(r->subject_tuid));
    json_object_set_new(o, "actor_tuid", tuid_or_null(r->actor_tuid));
    json_object_set_new(o, "okta_url", r->uuid && idw_evstore_okta_url(okta_base, r->uuid, url, sizeof url)
                                           ? json_string(url) : json_null());
    return o;
}

const char *idw_evstore_okta_base(const struct idw_config *cfg, const char *domain)
{
    const struct idw_org_config *oc = cfg && domain ? idw_config_org(cfg, domain) : NULL;
    return oc ? json_string_value(json_object_get(oc->json, "org_url")) : NULL;
}

/* Okta's own domains, whose Admin Console is the org's first label + "-admin". */
static int okta_domain(const char *rest)
{
    static const char *const known[] = {".okta.com", ".oktapreview.com", ".okta-emea.com", ".okta-gov.com",
                                        ".okta.mil"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(rest, known[i]) == 0)
            return 1;
    return 0;
}

int idw_evstore_okta_url(const char *okta_base, const char *uuid, char *out, size_t outlen)
{
    const char *host, *dot, *end;
    size_t hlen;
    char rest[64];

    if (!okta_base || strncmp(okta_base, "https://", 8) != 0 || !uuid[0] || strlen(uuid) > 64 ||
        strspn(uuid, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-") != strlen(uuid))
        return 0;
    host = okta_base + 8;
    end = host + strcspn(host, "/:?#");
    if (*end && strcmp(end, "/") != 0)
        return 0;       /* a port, path or query: not an org URL as config.md describes it */
    dot = memchr(host, '.', (size_t)(end - host));
    hlen = (size_t)(end - host);
    if (!dot || dot == host || (size_t)(end - dot) >= sizeof rest ||
        strspn(host, "abcdefghijklmnopqrstuvwxyz0123456789-") != (size_t)(dot - host))
        return 0;       /* the org's label: what Okta allows in it, nothing to escape */
    memcpy(rest, dot, (size_t)(end - dot));
    rest[end - dot] = '\0';
    if (!okta_domain(rest) || hlen > 200)
        return 0;
    return snprintf(out, outlen, "https://%.*s-admin%s/report/system_log_2?search=uuid+eq+%%22%s%%22",
                    (int)(dot - host), host, rest, uuid) < (int)outlen;
}
