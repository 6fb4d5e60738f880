/*
 * fuzz_persona_codec.c — the persona record decoder
 * (src/persona/persona_codec.c, idw_persona_decode): the bytes LMDB holds
 * for a persona, which a damaged or foreign database can make anything.
 *
 * A record that decodes is then used the way idwatch uses a stored
 * persona: rendered (idw_persona_to_json, `persona show --json`), queried
 * the way rules query it (knows/main/usual for every dimension, learning),
 * updated with a fixed sign-in event, and re-encoded.
 *
 * Invariants: a rejected record leaves an empty persona; an accepted one
 * has NUL-terminated strings, per-dimension counts within capacity, times
 * within +-2^50 ms (event times) and finite numbers;
 * encode(decode(x)) decodes again to the same bytes (the codec is
 * lossless, which the pipeline's write-back cache relies on).
 */
#include "fuzz_util.h"

#include <math.h>
#include <stddef.h>

#include "event/normalize.h"
#include "persona/persona.h"

static const char sign_in[] =
    "{\"uuid\":\"11111111-2222-3333-4444-555555555555\",\"published\":\"2026-09-02T08:00:00.000Z\","
    "\"eventType\":\"user.session.start\",\"severity\":\"INFO\",\"displayMessage\":\"User login to Okta\","
    "\"actor\":{\"id\":\"00u1\",\"type\":\"User\",\"alternateId\":\"alice@acme.example\","
    "\"displayName\":\"Alice\"},\"client\":{\"userAgent\":{\"rawUserAgent\":\"Mozilla/5.0\","
    "\"os\":\"Mac OS X\",\"browser\":\"CHROME\"},\"device\":\"Computer\",\"ipAddress\":\"198.51.100.7\","
    "\"geographicalContext\":{\"city\":\"Dublin\",\"state\":\"Leinster\",\"country\":\"Ireland\","
    "\"geolocation\":{\"lat\":53.35,\"lon\":-6.26}}},\"securityContext\":{\"asNumber\":5466,"
    "\"asOrg\":\"eircom\",\"isProxy\":false},\"authenticationContext\":{\"externalSessionId\":\"s1\"},"
    "\"outcome\":{\"result\":\"SUCCESS\"},\"target\":[]}";

static struct idw_event fixed_event;

static const struct idw_event *event_once(void)
{
    char err[256];
    json_t *raw;

    if (fixed_event.raw)
        return &fixed_event;
    raw = json_loads(sign_in, 0, NULL);
    FUZZ_CHECK(raw && idw_normalize(raw, NULL, &fixed_event, err, sizeof err) == IDW_NORM_OK);
    json_decref(raw);
    fixed_event.domain_id = "fuzz";
    return &fixed_event;
}

/* The codec's promise for an accepted record: event times (|t| <= 2^50 ms), finite numbers. */
static int time_ok(int64_t t)
{
    return t >= -((int64_t)1 << 50) && t <= ((int64_t)1 << 50);
}

static void check_record(const struct idw_persona *p)
{
    FUZZ_CHECK(time_ok(p->first_seen) && time_ok(p->last_seen) && time_ok(p->last_activity));
    FUZZ_CHECK(time_ok(p->learning_since) && time_ok(p->established_at));
    FUZZ_CHECK(time_ok(p->hours_ref) && time_ok(p->last_fix.t));
    FUZZ_CHECK(isfinite(p->last_fix.lat) && isfinite(p->last_fix.lon));
    for (int i = 0; i < 168; i++)
        FUZZ_CHECK(isfinite(p->hours[i]));
    FUZZ_CHECK(memchr(p->tuid, 0, sizeof p->tuid) && memchr(p->login, 0, sizeof p->login));
    FUZZ_CHECK(memchr(p->okta_id, 0, sizeof p->okta_id));
    FUZZ_CHECK(memchr(p->display_name, 0, sizeof p->display_name));
    for (int d = 0; d < IDW_DIM_COUNT; d++) {
        const struct idw_dim_desc *dd = idw_dim_desc((enum idw_dim)d);
        FUZZ_CHECK(p->n[d] <= dd->cap);
        for (unsigned i = 0; i < p->n[d]; i++) {
            const struct idw_pvalue *v = &p->vals[dd->offset + i];
            FUZZ_CHECK(memchr(v->value, 0, sizeof v->value) && memchr(v->label, 0, sizeof v->label));
            FUZZ_CHECK(time_ok(v->first_seen) && time_ok(v->last_seen));
            FUZZ_CHECK(isfinite(v->weight) && isfinite(v->lat) && isfinite(v->lon));
        }
    }
}

static void query(const struct idw_persona *p, const struct idw_persona_params *prm)
{
    char usual[512];
    double share;

    for (int d = 0; d < IDW_DIM_COUNT; d++) {
        const struct idw_dim_desc *dd = idw_dim_desc((enum idw_dim)d);
        idw_persona_usual(p, (enum idw_dim)d, 3, usual, sizeof usual);
        (void)idw_persona_main(p, (enum idw_dim)d, &share);
        if (p->n[d])
            (void)idw_persona_knows(p, (enum idw_dim)d, p->vals[dd->offset].value);
        (void)idw_persona_find(p, (enum idw_dim)d, "Ireland");
    }
    (void)idw_persona_learning(p, p->last_seen, prm);
}

static void roundtrip(const struct idw_persona *p)
{
    static unsigned char a[IDW_PERSONA_MAX_ENCODED], b[IDW_PERSONA_MAX_ENCODED];
    static struct idw_persona back;
    size_t na = idw_persona_encode(p, a, sizeof a), nb;

    FUZZ_CHECK(na > 0);
    FUZZ_CHECK(idw_persona_decode(&back, a, na) == 0);
    nb = idw_persona_encode(&back, b, sizeof b);
    FUZZ_CHECK(nb == na && memcmp(a, b, na) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct idw_persona p, empty;
    struct idw_persona_params prm;
    json_t *j;

    idw_persona_params_init(&prm, 30, 14, 10, 30);
    if (idw_persona_decode(&p, data, size) < 0) {
        idw_persona_init(&empty, "");
        FUZZ_CHECK(memcmp(&p, &empty, offsetof(struct idw_persona, vals)) == 0);
        return 0;
    }
    check_record(&p);
    roundtrip(&p);
    j = idw_persona_to_json(&p, &prm);
    fuzz_touch_json(j);
    json_decref(j);
    query(&p, &prm);
    idw_persona_update(&p, event_once(), IDW_ROLE_SUBJECT, &prm, 0);
    roundtrip(&p);
    return 0;
}
