/*
 * rule_impossible_travel.c — `impossible_travel`: two proven locations of
 * one user whose distance and time imply travel faster than an airliner.
 *
 * The previous location is the persona's last fix (the newest place the
 * user proved to be, before this event).  What static rules get wrong and
 * this one avoids:
 *   - GeoIP jitter: distances under max(50 km, the accuracy radius) and
 *     under min_distance_km are ignored;
 *   - routine pairs: a user who already has both places as established
 *     cities (VPN egress that alternates, two offices) is not alerted;
 *   - shared egress: either end on a /24 that several users of the org
 *     route through (corporate VPN/ZTNA exit, office NAT) says where the
 *     exit is, not where the person is;
 *   - mobile carriers: their geolocation is often hundreds of km off, so
 *     within one country a carrier end gets mobile_slack_km of slack;
 *   - learning personas: no baseline, no alert;
 *   - proxies and anonymizers are downgraded one level, not dropped.
 * Severity rises with how new the far side is: a new country, a new ASN,
 * a new device.  Event time only; late events (older than the last fix)
 * are not compared.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "rules/prim.h"

struct cfg {
    double max_speed_kmh, min_distance_km, mobile_slack_km;
    unsigned routine_min_count;
    int64_t window_ms;
};

/* Great-circle distance in km. */
static double haversine_km(double lat1, double lon1, double lat2, double lon2)
{
    const double r = 6371.0, rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) +
               cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2 * r * asin(sqrt(a < 1 ? a : 1));
}

static int proves_presence(const struct idw_event *ev)
{
    const unsigned f = ev->kind->flags;
    return ev->subject_is_actor && idw_outcome_ok(ev->outcome) && ev->geo.has_coords &&
           !(f & IDW_K_PUSH) && (f & (IDW_K_SIGNIN | IDW_K_SSO | IDW_K_MFA | IDW_K_ADMIN_ACCESS));
}

static unsigned city_count(const struct idw_persona *p, const char *city, const char *country)
{
    char key[IDW_PV_VALUE];
    const struct idw_pvalue *v;

    /* built exactly as the persona builds it (truncated the same way) */
    if (snprintf(key, sizeof key, "%s, %s", city ? city : "?", country ? country : "?") < 0)
        return 0;
    v = idw_persona_knows(p, IDW_DIM_CITIES, key);
    return v ? v->count : 0;
}

/* Carrier networks geolocate to a regional gateway, not the handset. */
static int mobile_carrier(const char *org)
{
    static const char *const words[] = {"mobil", "wireless", "cellular", "cellco", "vodafone"};
    if (!org)
        return 0;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasestr(org, words[i]))
            return 1;
    return 0;
}

/*
 * A shared org exit (VPN/ZTNA/office NAT) places the exit, not the person:
 * arriving at one is not travel, and leaving one for a city the user
 * routinely is in is coming home.  Leaving one for somewhere new still is.
 */
static int shared_exit(struct idw_detect_ctx *ctx, const struct cfg *c, const struct idw_event *ev,
                       const struct idw_persona *before)
{
    const struct idw_pfix *f = &before->last_fix;

    if (idw_org_shared_egress(ctx, ev->ip))
        return 1;
    return city_count(before, ev->geo.city, ev->geo.country) >= c->routine_min_count &&
           idw_org_shared_egress(ctx, f->ip);
}

/* A carrier end within one country, inside the slack: imprecise, not travel. */
static int carrier_jitter(const struct cfg *c, const struct idw_event *ev,
                          const struct idw_persona *before, double dist)
{
    const struct idw_pfix *f = &before->last_fix;
    char asn[IDW_ASN_KEYLEN];
    const struct idw_pvalue *prev;

    if (dist > c->mobile_slack_km || !ev->geo.country || strcmp(ev->geo.country, f->country) != 0)
        return 0;
    prev = idw_persona_knows(before, IDW_DIM_ASNS, idw_asn_key(f->asn, asn));
    return mobile_carrier(ev->as_org ? ev->as_org : ev->isp) || (prev && mobile_carrier(prev->label));
}

static void it_on_event(const void *config, struct idw_detect_ctx *ctx, const struct idw_event *ev,
                        const struct idw_persona *before)
{
    const struct cfg *c = config;
    const struct idw_pfix *f = before ? &before->last_fix : NULL;
    struct idw_alert_candidate a = {0};
    char asn[IDW_PV_VALUE];
    double dist, hours, speed, share;
    int new_country, new_asn, new_device, proxy;

    if (!before || !f->t || !proves_presence(ev) || ev->published_ms <= f->t ||
        idw_persona_learning(before, ev->published_ms, idw_detect_params(ctx)))
        return;
    dist = haversine_km(f->lat, f->lon, ev->geo.lat, ev->geo.lon);
    if (dist < c->min_distance_km || dist < 50 || dist < ev->geo.accuracy_km)
        return;
    hours = (double)(ev->published_ms - f->t) / IDW_HOUR_MS;
    speed = dist / (hours > 1.0 / 60 ? hours : 1.0 / 60);
    if (speed <= c->max_speed_kmh)
        return;
    /* both ends are places this user routinely is: alternating egress or two offices */
    if (city_count(before, ev->geo.city, ev->geo.country) >= c->routine_min_count &&
        city_count(before, f->city, f->country) >= c->routine_min_count)
        return;
    if (carrier_jitter(c, ev, before, dist) || shared_exit(ctx, c, ev, before))
        return;

    idw_network_name(ev, asn);
    new_country = idw_country_novelty(ctx, ev, before) == IDW_NOVELTY_NEW;
    new_asn = idw_network_novelty(ctx, ev, before) == IDW_NOVELTY_NEW;
    new_device = idw_device_novelty(ctx, ev, before) == IDW_NOVELTY_NEW;
    proxy = ev->is_proxy == 1 || f->is_proxy == 1;

    a.severity = IDW_SEV_MEDIUM;
    a.score = 50;
    if (new_country) {
        a.severity = IDW_SEV_HIGH;
        a.score = 70;
    }
    a.score += 10 * new_asn + 10 * new_device + idw_okta_risk_points(ev);
    if (new_country && new_asn && new_device)
        a.severity = IDW_SEV_CRITICAL;
    if (proxy && a.severity > IDW_SEV_LOW) {
        a.severity--;               /* anonymizers make geography unreliable: downgrade */
        a.score -= 15;
    }
    if (a.score > 100)
        a.score = 100;
    snprintf(a.entity, sizeof a.entity, "user:%s", ev->tuid);
    a.window_ms = c->window_ms;
    a.mitre = "T1078,T1078.004";
    a.stage = "Compromise Identity";
    snprintf(a.summary, sizeof a.summary, "%s signed in from %s, %s %.0f km from %s, %s within %.0f minutes",
             ev->subject.login ? ev->subject.login : "a user", ev->geo.city ? ev->geo.city : "?",
             ev->geo.country ? ev->geo.country : "?", dist, f->city[0] ? f->city : "?",
             f->country[0] ? f->country : "?", hours * 60);
    const struct idw_pvalue *main_country = idw_persona_main(before, IDW_DIM_COUNTRIES, &share);
    const char *usual = main_country ? main_country->value : "none";
    snprintf(a.evidence, sizeof a.evidence,
             "%.0f km in %.0f min = %.0f km/h (limit %.0f); from %s (AS%u, %s) to %s (%s, %s); "
             "country %s (usual %s %.0f%%); %s %s; device %s%s",
             dist, hours * 60, speed, c->max_speed_kmh, f->ip, f->asn, f->country, ev->ip ? ev->ip : "?",
             asn, ev->geo.country ? ev->geo.country : "?", new_country ? "never seen" : "known",
             usual, share, asn, new_asn ? "new for this user" : "known", new_device ? "new" : "known",
             proxy ? "; proxy involved (downgraded)" : "");
    idw_detect_emit(ctx, &a);
}

static const struct idw_rule_param impossible_travel_params[] = {
    {.name = "max_speed_kmh", .def = 900, .min = 100, .max = 5000, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, max_speed_kmh),
     .doc = "faster than this between two proven locations is impossible"},
    {.name = "min_distance_km", .def = 500, .min = 0, .max = 20000, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, min_distance_km),
     .doc = "shorter hops are never judged"},
    {.name = "routine_min_count", .def = 3, .min = 1, .max = 1000, .type = IDW_PARAM_INTEGER,
     .offset = offsetof(struct cfg, routine_min_count),
     .doc = "sightings that make a location part of the routine"},
    {.name = "mobile_slack_km", .def = 1500, .min = 0, .max = 20000, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, mobile_slack_km),
     .doc = "mobile-carrier jitter tolerated within one country"},
    {.name = "window_hours", .def = 24, .min = 1, .max = 720, .type = IDW_PARAM_NUMBER,
     .offset = offsetof(struct cfg, window_ms), .unit = IDW_UNIT_HOURS,
     .doc = "alerts on one user within this window aggregate"},
    IDW_PARAM_END,
};

const struct idw_rule idw_rule_impossible_travel = {
    .id = "impossible_travel",
    .description = "consecutive proven locations of a user farther apart than an airliner can fly",
    .kinds = IDW_K_SIGNIN | IDW_K_SSO | IDW_K_MFA | IDW_K_ADMIN_ACCESS,
    .params = impossible_travel_params,
    .config_size = sizeof(struct cfg),
    .on_event = it_on_event,
};
