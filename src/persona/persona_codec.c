/*
 * persona_codec.c — the compact binary form personas are stored in.
 *
 * Layout (version 2, host byte order; version 1 lacks the provisional byte):
 *   "IDWP" u16 version
 *   strings: tuid, okta_id, login, display_name      (u8 length + bytes)
 *   u64 events, i64 first_seen, last_seen, last_activity
 *   counters (u32 each, in struct order, u8 count first)
 *   i64 learning_since, u32 learning_signins, i64 established_at
 *   hours: i64 hours_ref, u8 nonzero, then (u8 slot, f64 weight)*
 *   last_fix: i64 t, f64 lat, lon, u32 asn, i8 is_proxy, strings ip, city, country
 *   per dimension: u8 n, then per value: strings value, label, f64 weight,
 *     u32 count, i64 first_seen, last_seen, u8 provisional, and f64 lat, lon
 *     for cities
 *
 * Doubles are stored bit-exactly, so a persona read back and updated gives
 * the same result as one that never left memory: an ingest interrupted and
 * resumed builds the same persona as one that ran straight through.
 */
#include "persona/persona.h"

#include <math.h>
#include <string.h>

#define MAGIC "IDWP"
#define VERSION 2

struct writer {
    unsigned char *p, *end;
    int overflow;
};

struct reader {
    const unsigned char *p, *end;
    int bad;
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

static void put_str(struct writer *w, const char *s)
{
    size_t n = strlen(s);
    unsigned char len = (unsigned char)(n > 255 ? 255 : n);
    put(w, &len, 1);
    put(w, s, len);
}

#define PUT(w, v) put((w), &(v), sizeof(v))

static void get(struct reader *r, void *dst, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = 1;
        memset(dst, 0, n);
        return;
    }
    memcpy(dst, r->p, n);
    r->p += n;
}

static void get_str(struct reader *r, char *dst, size_t dstsize)
{
    unsigned char len = 0;
    get(r, &len, 1);
    if (r->bad || len >= dstsize || (size_t)(r->end - r->p) < len) {
        r->bad = 1;
        dst[0] = '\0';
        return;
    }
    memcpy(dst, r->p, len);
    dst[len] = '\0';
    r->p += len;
}

#define GET(r, v) get((r), &(v), sizeof(v))

static void put_values(struct writer *w, const struct idw_persona *p)
{
    for (int d = 0; d < IDW_DIM_COUNT; d++) {
        const struct idw_dim_desc *dd = idw_dim_desc((enum idw_dim)d);
        const struct idw_pvalue *v = &p->vals[dd->offset];
        PUT(w, p->n[d]);
        for (unsigned i = 0; i < p->n[d]; i++) {
            put_str(w, v[i].value);
            put_str(w, v[i].label);
            PUT(w, v[i].weight);
            PUT(w, v[i].count);
            PUT(w, v[i].first_seen);
            PUT(w, v[i].last_seen);
            PUT(w, v[i].provisional);
            if (dd->has_coords) {
                PUT(w, v[i].lat);
                PUT(w, v[i].lon);
            }
        }
    }
}

static void put_hours(struct writer *w, const struct idw_persona *p)
{
    unsigned char nonzero = 0;
    for (int i = 0; i < 168; i++)
        nonzero += p->hours[i] != 0.0;
    PUT(w, p->hours_ref);
    PUT(w, nonzero);
    for (unsigned char i = 0; i < 168; i++) {
        if (p->hours[i] != 0.0) {
            PUT(w, i);
            PUT(w, p->hours[i]);
        }
    }
}

size_t idw_persona_encode(const struct idw_persona *p, unsigned char *buf, size_t len)
{
    struct writer w = {buf, buf + len, 0};
    const uint16_t version = VERSION;
    const unsigned char ncounters = sizeof p->c / sizeof(uint32_t);
    const int8_t proxy = (int8_t)p->last_fix.is_proxy;

    put(&w, MAGIC, 4);
    PUT(&w, version);
    put_str(&w, p->tuid);
    put_str(&w, p->okta_id);
    put_str(&w, p->login);
    put_str(&w, p->display_name);
    PUT(&w, p->events);
    PUT(&w, p->first_seen);
    PUT(&w, p->last_seen);
    PUT(&w, p->last_activity);
    PUT(&w, ncounters);
    put(&w, &p->c, sizeof p->c);
    PUT(&w, p->learning_since);
    PUT(&w, p->learning_signins);
    PUT(&w, p->established_at);
    put_hours(&w, p);
    PUT(&w, p->last_fix.t);
    PUT(&w, p->last_fix.lat);
    PUT(&w, p->last_fix.lon);
    PUT(&w, p->last_fix.asn);
    PUT(&w, proxy);
    put_str(&w, p->last_fix.ip);
    put_str(&w, p->last_fix.city);
    put_str(&w, p->last_fix.country);
    put_values(&w, p);
    return w.overflow ? 0 : (size_t)(w.p - buf);
}

static void get_values(struct reader *r, struct idw_persona *p, uint16_t version)
{
    for (int d = 0; d < IDW_DIM_COUNT && !r->bad; d++) {
        const struct idw_dim_desc *dd = idw_dim_desc((enum idw_dim)d);
        struct idw_pvalue *v = &p->vals[dd->offset];
        GET(r, p->n[d]);
        if (p->n[d] > dd->cap) {
            r->bad = 1;
            return;
        }
        for (unsigned i = 0; i < p->n[d]; i++) {
            memset(&v[i], 0, sizeof v[i]);
            get_str(r, v[i].value, sizeof v[i].value);
            get_str(r, v[i].label, sizeof v[i].label);
            v[i].hash = idw_pvalue_hash(v[i].value);
            GET(r, v[i].weight);
            GET(r, v[i].count);
            GET(r, v[i].first_seen);
            GET(r, v[i].last_seen);
            if (version >= 2)
                GET(r, v[i].provisional);
            if (dd->has_coords) {
                GET(r, v[i].lat);
                GET(r, v[i].lon);
            }
        }
    }
}

static void get_hours(struct reader *r, struct idw_persona *p)
{
    unsigned char nonzero = 0, slot = 0;
    GET(r, p->hours_ref);
    GET(r, nonzero);
    for (unsigned i = 0; i < nonzero && !r->bad; i++) {
        GET(r, slot);
        if (slot >= 168) {
            r->bad = 1;
            return;
        }
        GET(r, p->hours[slot]);
    }
}

/*
 * Values a valid encoder can write: times between the epoch and year 9999
 * (0 = never), finite non-negative weights, coordinates on the globe.
 * A corrupt record that passed the framing checks must not reach decay
 * arithmetic, where a wild time would overflow (t - last_seen).
 */
#define MAX_TIME_MS 253402300799999LL

static int time_ok(int64_t t) { return t >= 0 && t <= MAX_TIME_MS; }
static int weight_ok(double w) { return isfinite(w) && w >= 0 && w <= 1e12; }
static int coords_ok(double lat, double lon)
{
    return isfinite(lat) && isfinite(lon) && fabs(lat) <= 90 && fabs(lon) <= 180;
}

static int values_plausible(const struct idw_persona *p)
{
    for (int d = 0; d < IDW_DIM_COUNT; d++) {
        const struct idw_dim_desc *dd = idw_dim_desc((enum idw_dim)d);
        const struct idw_pvalue *v = &p->vals[dd->offset];
        for (unsigned i = 0; i < p->n[d]; i++)
            if (!time_ok(v[i].first_seen) || !time_ok(v[i].last_seen) || !weight_ok(v[i].weight) ||
                (dd->has_coords && !coords_ok(v[i].lat, v[i].lon)))
                return 0;
    }
    return 1;
}

static int plausible(const struct idw_persona *p)
{
    if (!time_ok(p->first_seen) || !time_ok(p->last_seen) || !time_ok(p->last_activity) ||
        !time_ok(p->learning_since) || !time_ok(p->established_at) || !time_ok(p->hours_ref) ||
        !time_ok(p->last_fix.t) || !coords_ok(p->last_fix.lat, p->last_fix.lon))
        return 0;
    for (int h = 0; h < 168; h++)
        if (!weight_ok(p->hours[h]))
            return 0;
    return values_plausible(p);
}

enum idw_rc idw_persona_decode(struct idw_persona *p, const unsigned char *buf, size_t len)
{
    struct reader r = {buf, buf + len, 0};
    char magic[4];
    uint16_t version = 0;
    unsigned char ncounters = 0;
    int8_t proxy = -1;

    idw_persona_init(p, "");
    get(&r, magic, 4);
    GET(&r, version);
    if (r.bad || memcmp(magic, MAGIC, 4) != 0 || version < 1 || version > VERSION)
        return IDW_ERR;
    get_str(&r, p->tuid, sizeof p->tuid);
    get_str(&r, p->okta_id, sizeof p->okta_id);
    get_str(&r, p->login, sizeof p->login);
    get_str(&r, p->display_name, sizeof p->display_name);
    GET(&r, p->events);
    GET(&r, p->first_seen);
    GET(&r, p->last_seen);
    GET(&r, p->last_activity);
    GET(&r, ncounters);
    if (ncounters != sizeof p->c / sizeof(uint32_t))
        r.bad = 1;
    get(&r, &p->c, sizeof p->c);
    GET(&r, p->learning_since);
    GET(&r, p->learning_signins);
    GET(&r, p->established_at);
    get_hours(&r, p);
    GET(&r, p->last_fix.t);
    GET(&r, p->last_fix.lat);
    GET(&r, p->last_fix.lon);
    GET(&r, p->last_fix.asn);
    GET(&r, proxy);
    p->last_fix.is_proxy = proxy;
    get_str(&r, p->last_fix.ip, sizeof p->last_fix.ip);
    get_str(&r, p->last_fix.city, sizeof p->last_fix.city);
    get_str(&r, p->last_fix.country, sizeof p->last_fix.country);
    get_values(&r, p, version);
    if (r.bad || r.p != r.end || !plausible(p)) {
        idw_persona_init(p, "");
        return IDW_ERR;
    }
    return IDW_OK;
}
