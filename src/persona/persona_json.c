/*
 * persona_json.c — the documented JSON form of a persona (docs/persona.md),
 * used by `idwatch persona show --json` and by alert context.  Values are
 * listed strongest first, with weights decayed to the persona's last_seen
 * so two personas printed from the same events print the same.
 */
#include "persona/persona.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static json_t *time_or_null(int64_t ms)
{
    char buf[IDW_TIME_STRLEN];
    if (!ms)
        return json_null();
    idw_time_format(ms, buf);
    return json_string(buf);
}

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

/* Rounded to 3 decimals: stable text, no float noise in the output. */
static json_t *rounded(double x)
{
    return json_real(round(x * 1000.0) / 1000.0);
}

struct ranked {
    const struct idw_pvalue *v;
    double w;
};

static int by_weight_desc(const void *a, const void *b)
{
    const struct ranked *x = a, *y = b;
    if (x->w != y->w)
        return x->w < y->w ? 1 : -1;
    return strcmp(x->v->value, y->v->value);
}

static json_t *dim_json(const struct idw_persona *p, enum idw_dim d, double half_life_ms)
{
    const struct idw_dim_desc *dd = idw_dim_desc(d);
    struct ranked r[64];
    unsigned n = p->n[d];
    json_t *arr = json_array();

    for (unsigned i = 0; i < n; i++) {
        r[i].v = &p->vals[dd->offset + i];
        r[i].w = idw_pvalue_weight_at(r[i].v, p->last_seen, half_life_ms);
    }
    qsort(r, n, sizeof r[0], by_weight_desc);
    for (unsigned i = 0; arr && i < n; i++) {
        json_t *o = json_pack("{s:s, s:o, s:I, s:o, s:o, s:o}",
                              "value", r[i].v->value,
                              "label", str_or_null(r[i].v->label),
                              "count", (json_int_t)r[i].v->count,
                              "weight", rounded(r[i].w),
                              "first_seen", time_or_null(r[i].v->first_seen),
                              "last_seen", time_or_null(r[i].v->last_seen));
        if (o && r[i].v->provisional)
            json_object_set_new(o, "provisional", json_true());
        if (o && dd->has_coords) {
            json_object_set_new(o, "lat", json_real(r[i].v->lat));
            json_object_set_new(o, "lon", json_real(r[i].v->lon));
        }
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *counters_json(const struct idw_persona_counters *c)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
                     "signin_ok", (json_int_t)c->signin_ok,
                     "signin_fail", (json_int_t)c->signin_fail,
                     "mfa_ok", (json_int_t)c->mfa_ok, "mfa_fail", (json_int_t)c->mfa_fail,
                     "sso_ok", (json_int_t)c->sso_ok, "sso_fail", (json_int_t)c->sso_fail,
                     "push_sent", (json_int_t)c->push_sent,
                     "push_denied", (json_int_t)c->push_denied,
                     "lockouts", (json_int_t)c->lockouts,
                     "factor_changes", (json_int_t)c->factor_changes,
                     "changed_by_others", (json_int_t)c->changed_by_others,
                     "admin_actions", (json_int_t)c->admin_actions);
}

/* Hour-of-week weights decayed to last_seen, and the hours (UTC) that carry activity. */
static json_t *hours_json(const struct idw_persona *p, double half_life_ms)
{
    double f = p->hours_ref && p->last_seen > p->hours_ref
                   ? exp2(-(double)(p->last_seen - p->hours_ref) / half_life_ms) : 1.0;
    double by_hour[24] = {0}, total = 0;
    json_t *week = json_array(), *active = json_array();

    for (int i = 0; i < 168; i++) {
        json_array_append_new(week, rounded(p->hours[i] * f));
        by_hour[i % 24] += p->hours[i];
        total += p->hours[i];
    }
    /* an hour is "active" when it carries at least 2% of the activity */
    for (int h = 0; h < 24 && total > 0; h++)
        if (by_hour[h] / total >= 0.02)
            json_array_append_new(active, json_integer(h));
    return json_pack("{s:o, s:o}", "active_hours_utc", active, "hour_of_week", week);
}

static json_t *fix_json(const struct idw_pfix *f)
{
    if (!f->t)
        return json_null();
    return json_pack("{s:o, s:f, s:f, s:o, s:o, s:o, s:o, s:o}",
                     "time", time_or_null(f->t), "lat", f->lat, "lon", f->lon,
                     "asn", f->asn ? json_integer(f->asn) : json_null(),
                     "ip", str_or_null(f->ip), "city", str_or_null(f->city),
                     "country", str_or_null(f->country),
                     "is_proxy", f->is_proxy < 0 ? json_null() : json_boolean(f->is_proxy));
}

json_t *idw_persona_to_json(const struct idw_persona *p, const struct idw_persona_params *prm)
{
    json_t *o, *d;
    int learning = idw_persona_learning(p, p->last_seen, prm);

    o = json_pack("{s:s, s:o, s:o, s:o, s:I, s:o, s:o, s:o, s:o}",
                  "tuid", p->tuid, "okta_id", str_or_null(p->okta_id),
                  "login", str_or_null(p->login), "display_name", str_or_null(p->display_name),
                  "events", (json_int_t)p->events,
                  "first_seen", time_or_null(p->first_seen),
                  "last_seen", time_or_null(p->last_seen),
                  "last_activity", time_or_null(p->last_activity),
                  "counters", counters_json(&p->c));
    if (!o)
        return NULL;
    json_object_set_new(o, "learning", json_pack("{s:s, s:o, s:I, s:o}",
                        "state", learning ? "learning" : "established",
                        "since", time_or_null(p->learning_since),
                        "signins", (json_int_t)p->learning_signins,
                        "established_at", time_or_null(p->established_at)));
    json_object_set_new(o, "hours", hours_json(p, prm->half_life_ms));
    json_object_set_new(o, "last_fix", fix_json(&p->last_fix));
    d = json_object();
    for (int i = 0; d && i < IDW_DIM_COUNT; i++)
        json_object_set_new(d, idw_dim_desc((enum idw_dim)i)->name,
                            dim_json(p, (enum idw_dim)i, prm->half_life_ms));
    json_object_set_new(o, "dimensions", d);
    return o;
}
