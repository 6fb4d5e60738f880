/*
 * persona.c — updating, encoding and printing personas (see persona.h for
 * the model).  The update path runs once per event on the ingest hot path,
 * so it only scans small fixed arrays and never allocates.
 */
#include "persona/persona.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define DAY_MS (86400000LL)

static const struct idw_dim_desc dims[IDW_DIM_COUNT] = {
    [IDW_DIM_APPS]           = {"apps", 0, 32, 0},
    [IDW_DIM_COUNTRIES]      = {"countries", 32, 8, 0},
    [IDW_DIM_CITIES]         = {"cities", 40, 16, 1},
    [IDW_DIM_ASNS]           = {"asns", 56, 16, 0},
    [IDW_DIM_PREFIXES]       = {"ip_prefixes", 72, 16, 0},
    [IDW_DIM_DEVICES]        = {"devices", 88, 8, 0},
    [IDW_DIM_CLIENT_DEVICES] = {"client_devices", 96, 4, 0},
    [IDW_DIM_OS]             = {"os", 100, 8, 0},
    [IDW_DIM_BROWSERS]       = {"browsers", 108, 8, 0},
    [IDW_DIM_FACTORS]        = {"factors", 116, 8, 0},
    [IDW_DIM_SESSIONS]       = {"sessions", 124, 8, 0},
};
_Static_assert(124 + 8 == IDW_PV_TOTAL, "dimension capacities must add up to IDW_PV_TOTAL");

const struct idw_dim_desc *idw_dim_desc(enum idw_dim d) { return &dims[d]; }

void idw_persona_params_init(struct idw_persona_params *prm, double half_life_days,
                             int learning_days, int learning_signins, int relearn_after_days)
{
    prm->half_life_ms = half_life_days * DAY_MS;
    prm->learning_ms = (int64_t)learning_days * DAY_MS;
    prm->learning_signins = (uint32_t)learning_signins;
    prm->relearn_ms = (int64_t)relearn_after_days * DAY_MS;
}

void idw_persona_init(struct idw_persona *p, const char *tuid)
{
    /* vals[] beyond n[] is never read, so only the head is cleared: this runs per event */
    memset(p, 0, offsetof(struct idw_persona, vals));
    idw_strlcpy(p->tuid, tuid, sizeof p->tuid);
    p->last_fix.is_proxy = -1;
}

/* 2^(-dt/half_life): the factor a weight keeps after dt. */
static double decay(int64_t dt_ms, double half_life_ms)
{
    return dt_ms <= 0 ? 1.0 : exp2(-(double)dt_ms / half_life_ms);
}

double idw_pvalue_weight_at(const struct idw_pvalue *v, int64_t t, double half_life_ms)
{
    return v->weight * decay(t - v->last_seen, half_life_ms);
}

/* ---- dimensions -------------------------------------------------------- */

uint32_t idw_pvalue_hash(const char *value)
{
    return (uint32_t)idw_hash64(value);
}

static struct idw_pvalue *find_value(struct idw_persona *p, enum idw_dim d, const char *value,
                                     uint32_t h)
{
    struct idw_pvalue *v = idw_persona_dim(p, d);
    for (unsigned i = 0; i < p->n[d]; i++)
        if (v[i].hash == h && strcmp(v[i].value, value) == 0)
            return &v[i];
    return NULL;
}

const struct idw_pvalue *idw_persona_find(const struct idw_persona *p, enum idw_dim d,
                                          const char *value)
{
    return find_value((struct idw_persona *)p, d, value, idw_pvalue_hash(value));
}

const struct idw_pvalue *idw_persona_knows(const struct idw_persona *p, enum idw_dim d,
                                           const char *value)
{
    const struct idw_pvalue *v = value ? idw_persona_find(p, d, value) : NULL;
    return v && !v->provisional ? v : NULL;
}

const struct idw_pvalue *idw_persona_main(const struct idw_persona *p, enum idw_dim d, double *share)
{
    const struct idw_pvalue *v = &p->vals[dims[d].offset], *best = NULL;
    double total = 0;

    for (unsigned i = 0; i < p->n[d]; i++) {
        if (v[i].provisional)
            continue;
        total += v[i].weight;
        if (!best || v[i].weight > best->weight)
            best = &v[i];
    }
    *share = best && total > 0 ? 100.0 * best->weight / total : 0;
    return best;
}

void idw_persona_usual(const struct idw_persona *p, enum idw_dim d, unsigned n, char *out,
                       size_t outlen)
{
    const struct idw_pvalue *v = &p->vals[dims[d].offset];
    unsigned char used[IDW_PV_TOTAL] = {0};

    out[0] = '\0';
    for (unsigned k = 0; k < n; k++) {
        int best = -1;
        for (unsigned i = 0; i < p->n[d]; i++)
            if (!v[i].provisional && !used[i] && (best < 0 || v[i].count > v[best].count))
                best = (int)i;
        if (best < 0)
            return;
        used[best] = 1;
        idw_strappendf(out, outlen, "%s%s%s%s", k ? ", " : "", v[best].value, v[best].label[0] ? " " : "",
                       v[best].label);
    }
}

int idw_persona_trust(struct idw_persona *p, enum idw_dim d, const char *value)
{
    struct idw_pvalue *v = value ? find_value(p, d, value, idw_pvalue_hash(value)) : NULL;
    if (!v || !v->provisional)
        return 0;
    v->provisional = 0;
    return 1;
}

/* The slot a new value goes to: a free one, else the weakest as of time t. */
static struct idw_pvalue *slot_for_new(struct idw_persona *p, enum idw_dim d, int64_t t,
                                       double half_life_ms)
{
    struct idw_pvalue *v = idw_persona_dim(p, d);
    unsigned weakest = 0;
    double wmin = 0;

    if (p->n[d] < dims[d].cap)
        return &v[p->n[d]++];
    for (unsigned i = 0; i < p->n[d]; i++) {
        double w = idw_pvalue_weight_at(&v[i], t, half_life_ms);
        if (i == 0 || w < wmin || (w == wmin && v[i].last_seen < v[weakest].last_seen)) {
            wmin = w;
            weakest = i;
        }
    }
    return &v[weakest];
}

/* One observation; prov: the value is new in an alerting event (see persona.h). */
static void observe(struct idw_persona *p, enum idw_dim d, const char *value, const char *label,
                    int64_t t, double lat, double lon, const struct idw_persona_params *prm,
                    int prov)
{
    struct idw_pvalue *v;
    char key[IDW_PV_VALUE];
    uint32_t h;

    if (idw_str_absent(value))
        return;
    idw_strlcpy(key, value, sizeof key);    /* what is stored, so lookups match it */
    h = idw_pvalue_hash(key);
    v = find_value(p, d, key, h);
    if (!v) {
        v = slot_for_new(p, d, t, prm->half_life_ms);
        memset(v, 0, sizeof *v);
        idw_strlcpy(v->value, key, sizeof v->value);
        v->hash = h;
        v->first_seen = v->last_seen = t;
        v->provisional = (uint8_t)prov;
    } else if (!prov) {
        v->provisional = 0;     /* seen again without an alert: now trusted */
    }
    if (t >= v->last_seen) {
        v->weight = v->weight * decay(t - v->last_seen, prm->half_life_ms) + 1.0;
        v->last_seen = t;
        if (label && *label)
            idw_strlcpy(v->label, label, sizeof v->label);
        if (dims[d].has_coords) {
            v->lat = lat;
            v->lon = lon;
        }
    } else {
        /* late event: its contribution has already decayed by the time of last_seen */
        v->weight += decay(v->last_seen - t, prm->half_life_ms);
        if (!v->label[0] && label)
            idw_strlcpy(v->label, label, sizeof v->label);
    }
    if (t < v->first_seen)
        v->first_seen = t;
    v->count++;
}

void idw_persona_observe(struct idw_persona *p, enum idw_dim d, const char *value,
                         const char *label, int64_t t, double lat, double lon,
                         const struct idw_persona_params *prm)
{
    observe(p, d, value, label, t, lat, lon, prm, 0);
}

/* ---- hours --------------------------------------------------------------- */

static int hour_of_week(int64_t t)
{
    int64_t secs = t >= 0 ? t / 1000 : 0;
    int64_t days = secs / 86400;
    int weekday = (int)((days + 3) % 7);        /* 1970-01-01 was a Thursday; Monday = 0 */
    return weekday * 24 + (int)((secs % 86400) / 3600);
}

static void observe_hour(struct idw_persona *p, int64_t t, const struct idw_persona_params *prm)
{
    int slot = hour_of_week(t);
    if (t > p->hours_ref) {
        double f = decay(t - p->hours_ref, prm->half_life_ms);
        if (f < 1.0)
            for (int i = 0; i < 168; i++)
                p->hours[i] *= f;
        p->hours_ref = t;
        p->hours[slot] += 1.0;
    } else {
        p->hours[slot] += decay(p->hours_ref - t, prm->half_life_ms);
    }
}

/* ---- what an event teaches ------------------------------------------------- */

void idw_ip_prefix(const char *ip, char *out, size_t outlen)
{
    if (strchr(ip, ':')) {
        const char *p = ip;
        for (int groups = 0; *p && groups < 3; p++)
            if (*p == ':')
                groups++;
        snprintf(out, outlen, "%.*s:/48", (int)(p - ip - 1 > 0 ? p - ip - 1 : 0), ip);
        return;
    }
    const char *last = strrchr(ip, '.');
    if (!last) {
        idw_strlcpy(out, ip, outlen);
        return;
    }
    snprintf(out, outlen, "%.*s.0/24", (int)(last - ip), ip);
}

static void learn_place(struct idw_persona *p, const struct idw_event *ev, int prov,
                        const struct idw_persona_params *prm)
{
    const struct idw_geo *g = &ev->geo;
    int64_t t = ev->published_ms;
    char buf[IDW_PV_VALUE];

    observe(p, IDW_DIM_COUNTRIES, g->country, NULL, t, 0, 0, prm, prov);
    if (g->city) {
        snprintf(buf, sizeof buf, "%s, %s", g->city, g->country ? g->country : "?");
        observe(p, IDW_DIM_CITIES, buf, g->state, t, g->lat, g->lon, prm, prov);
    }
    if (g->has_coords && t >= p->last_fix.t) {
        struct idw_pfix *f = &p->last_fix;
        f->t = t;
        f->lat = g->lat;
        f->lon = g->lon;
        f->asn = ev->asn;
        f->is_proxy = ev->is_proxy;
        idw_strlcpy(f->ip, ev->ip, sizeof f->ip);
        idw_strlcpy(f->city, g->city, sizeof f->city);
        idw_strlcpy(f->country, g->country, sizeof f->country);
    }
}

static void learn_network(struct idw_persona *p, const struct idw_event *ev, int prov,
                          const struct idw_persona_params *prm)
{
    int64_t t = ev->published_ms;
    char buf[IDW_PV_VALUE];

    if (ev->asn) {
        const char *org = ev->as_org ? ev->as_org : ev->isp;
        observe(p, IDW_DIM_ASNS, idw_asn_key(ev->asn, buf), org, t, 0, 0, prm, prov);
    } else if (ev->isp) {
        observe(p, IDW_DIM_ASNS, ev->isp, ev->isp, t, 0, 0, prm, prov);
    }
    if (ev->ip) {
        idw_ip_prefix(ev->ip, buf, sizeof buf);
        observe(p, IDW_DIM_PREFIXES, buf, NULL, t, 0, 0, prm, prov);
    }
}

static void learn_device(struct idw_persona *p, const struct idw_event *ev, int prov,
                         const struct idw_persona_params *prm)
{
    int64_t t = ev->published_ms;
    char label[IDW_PV_LABEL], buf[IDW_PV_VALUE];
    const char *dev = ev->dt_hash;

    snprintf(label, sizeof label, "%s / %s", ev->ua_os ? ev->ua_os : "?",
             ev->ua_browser ? ev->ua_browser : "?");
    if (!dev && ev->device_id) {
        snprintf(buf, sizeof buf, "okta-device:%s", ev->device_id);
        dev = buf;
    }
    if (!dev)
        dev = ev->device_fingerprint;
    observe(p, IDW_DIM_DEVICES, dev, label, t, 0, 0, prm, prov);
    observe(p, IDW_DIM_CLIENT_DEVICES, ev->client_device, NULL, t, 0, 0, prm, prov);
    observe(p, IDW_DIM_OS, ev->ua_os, NULL, t, 0, 0, prm, prov);
    observe(p, IDW_DIM_BROWSERS, ev->ua_browser, NULL, t, 0, 0, prm, prov);
}

static void learn_context(struct idw_persona *p, const struct idw_event *ev, int prov,
                          const struct idw_persona_params *prm)
{
    const unsigned f = ev->kind->flags;
    int64_t t = ev->published_ms;
    char label[IDW_PV_LABEL];

    learn_place(p, ev, prov, prm);
    learn_network(p, ev, prov, prm);
    learn_device(p, ev, prov, prm);
    if (!prov)
        observe_hour(p, t, prm);    /* hours have no provisional mark: an alerting event teaches none */
    if (f & (IDW_K_SSO | IDW_K_ADMIN_ACCESS))
        observe(p, IDW_DIM_APPS, idw_event_app_key(ev), ev->app_name, t, 0, 0, prm, prov);
    if (f & (IDW_K_MFA | IDW_K_SIGNIN))
        observe(p, IDW_DIM_FACTORS, ev->factor ? ev->factor : ev->credential_type, NULL, t, 0,
                0, prm, prov);
    if (idw_event_session_key(ev)) {    /* rootSessionId, else externalSessionId */
        snprintf(label, sizeof label, "%s AS%u", ev->ip ? ev->ip : "?", ev->asn);
        observe(p, IDW_DIM_SESSIONS, idw_event_session_key(ev), label, t, 0, 0, prm, prov);
    }
    if (t > p->last_activity)
        p->last_activity = t;
}

/* Events that prove the person is who they say: only these teach context. */
static int proves_person(const struct idw_event *ev)
{
    const unsigned f = ev->kind->flags;
    if (!idw_outcome_ok(ev->outcome) || (f & IDW_K_PUSH))
        return 0;
    return (f & (IDW_K_SIGNIN | IDW_K_SSO | IDW_K_MFA | IDW_K_ADMIN_ACCESS)) != 0;
}

static void count_event(struct idw_persona *p, const struct idw_event *ev)
{
    const unsigned f = ev->kind->flags;
    int ok = idw_outcome_ok(ev->outcome);
    int failed = ev->outcome == IDW_OUT_FAILURE || ev->outcome == IDW_OUT_DENY;
    struct idw_persona_counters *c = &p->c;

    if (f & IDW_K_SIGNIN) {
        c->signin_ok += ok;
        c->signin_fail += failed;
    }
    if ((f & IDW_K_MFA) && !(f & IDW_K_PUSH)) {
        c->mfa_ok += ok;
        c->mfa_fail += failed;
    }
    if (f & IDW_K_SSO) {
        c->sso_ok += ok;
        c->sso_fail += failed;
    }
    if (f & IDW_K_PUSH) {
        if (strcmp(ev->okta_type, "system.push.send_factor_verify_push") == 0)
            c->push_sent++;
        else
            c->push_denied++;
    }
    if (strncmp(ev->okta_type, "user.account.lock", 17) == 0)
        c->lockouts++;
    if (f & IDW_K_FACTOR_CHANGE)
        c->factor_changes++;
    if (!ev->subject_is_actor && ev->actor_is_human)
        c->changed_by_others++;
}

/* Learning restarts after a long silence: old routine may no longer hold. */
static void update_learning(struct idw_persona *p, const struct idw_event *ev, int proves,
                            const struct idw_persona_params *prm)
{
    int64_t t = ev->published_ms;

    if (!p->learning_since)
        p->learning_since = t;
    if (proves && p->last_activity && t - p->last_activity > prm->relearn_ms) {
        p->learning_since = t;
        p->learning_signins = 0;
        p->established_at = 0;
    }
    if (proves && (ev->kind->flags & IDW_K_SIGNIN))
        p->learning_signins++;
    if (!p->established_at &&
        (p->learning_signins >= prm->learning_signins || t - p->learning_since >= prm->learning_ms))
        p->established_at = t;
}

int idw_persona_learning(const struct idw_persona *p, int64_t t,
                         const struct idw_persona_params *prm)
{
    if (p->established_at && p->established_at <= t)
        return 0;
    return !(p->learning_signins >= prm->learning_signins ||
             (p->learning_since && t - p->learning_since >= prm->learning_ms));
}

static void update_identity(struct idw_persona *p, const struct idw_principal *who, int64_t t)
{
    /* the newest event names the person (logins can be renamed) */
    if (t < p->last_seen && p->login[0])
        return;
    if (who->id)
        idw_strlcpy(p->okta_id, who->id, sizeof p->okta_id);
    if (who->login)
        idw_strlcpy(p->login, who->login, sizeof p->login);
    if (who->display_name)
        idw_strlcpy(p->display_name, who->display_name, sizeof p->display_name);
}

void idw_persona_update(struct idw_persona *p, const struct idw_event *ev,
                        enum idw_persona_role role, const struct idw_persona_params *prm,
                        int alerting)
{
    int64_t t = ev->published_ms;
    int proves;

    update_identity(p, role == IDW_ROLE_SUBJECT ? &ev->subject : &ev->actor, t);
    p->events++;
    if (!p->first_seen || t < p->first_seen)
        p->first_seen = t;
    if (t > p->last_seen)
        p->last_seen = t;

    if (role == IDW_ROLE_ADMIN_ACTOR) {
        /* an admin acting on someone else: their own context, from their own session */
        p->c.admin_actions++;
        if (idw_outcome_ok(ev->outcome) || ev->outcome == IDW_OUT_UNKNOWN)
            learn_context(p, ev, alerting, prm);
        return;
    }
    count_event(p, ev);
    proves = ev->subject_is_actor && proves_person(ev);
    update_learning(p, ev, proves, prm);
    if (proves)
        learn_context(p, ev, alerting, prm);
}
