/*
 * fuzz_normalize.c — the normalizer and classification
 * (src/event/normalize.h, classify.h) on arbitrary JSON: one Okta
 * LogEvent as a file line or an element of an /api/v1/logs page.
 *
 * The input is parsed by jansson as any JSON value (a poller page may hold
 * non-objects); an array is treated as a page, each element normalized on
 * its own.  Each value is normalized three ways — the defaults (every
 * type), with a key for unknown usernames, and with an allow list — and an
 * accepted event is turned into the TOTAL JSON (idw_event_to_json), applied to a fresh
 * persona (idw_persona_update, as subject and as admin actor), and the
 * persona is rendered (idw_persona_to_json) and round-tripped through the
 * storage codec.  The Okta "behaviors" string parser gets the raw input.
 *
 * Invariants: an accepted event has a uuid, a type and a classification;
 * a rejection has a reason; the persona codec is lossless.
 */
#include "fuzz_util.h"

#include "common/util.h"
#include "event/normalize.h"
#include "persona/persona.h"

static void check_persona_roundtrip(const struct idw_persona *p)
{
    static unsigned char a[IDW_PERSONA_MAX_ENCODED], b[IDW_PERSONA_MAX_ENCODED];
    static struct idw_persona back;
    size_t na = idw_persona_encode(p, a, sizeof a), nb;

    FUZZ_CHECK(na > 0);
    FUZZ_CHECK(idw_persona_decode(&back, a, na) == 0);
    nb = idw_persona_encode(&back, b, sizeof b);
    FUZZ_CHECK(nb == na && memcmp(a, b, na) == 0);
}

static void learn(const struct idw_event *ev)
{
    static struct idw_persona p;
    struct idw_persona_params prm;
    json_t *j;

    idw_persona_params_init(&prm, 30, 14, 10, 30);
    idw_persona_init(&p, ev->tuid);
    idw_persona_update(&p, ev, IDW_ROLE_SUBJECT, &prm, 0);
    idw_persona_update(&p, ev, IDW_ROLE_SUBJECT, &prm, 1);
    idw_persona_update(&p, ev, IDW_ROLE_ADMIN_ACTOR, &prm, 0);
    j = idw_persona_to_json(&p, &prm);
    fuzz_touch_json(j);
    json_decref(j);
    check_persona_roundtrip(&p);
}

static void normalize_one(json_t *raw, const struct idw_norm_opts *opts)
{
    struct idw_event ev;
    char err[512] = "";
    enum idw_norm_status s = idw_normalize(raw, opts, &ev, err, sizeof err);
    json_t *total;

    FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL);
    if (s == IDW_NORM_REJECT)
        FUZZ_CHECK(err[0] != '\0');
    if (s != IDW_NORM_OK)
        return;
    FUZZ_CHECK(ev.uuid && ev.okta_type && ev.kind);
    FUZZ_CHECK(ev.raw == raw);
    /* what the pipeline fills in before anything reads the event */
    ev.domain_id = "fuzz";
    if (ev.subject.id || ev.subject.login)
        idw_uuid_derive("fuzz", ev.subject.id ? ev.subject.id : ev.subject.login, ev.tuid);
    idw_uuid_derive("fuzz", ev.uuid, ev.event_id);
    total = idw_event_to_json(&ev);
    FUZZ_CHECK(total != NULL);
    fuzz_touch_json(total);
    json_decref(total);
    if (ev.tuid[0])
        learn(&ev);
    idw_event_clear(&ev);
}

static void normalize_all_ways(json_t *raw)
{
    static const unsigned char key[32] = {1, 2, 3};
    static const char *const allow[] = {"user.session.start", "user.authentication.sso"};
    const struct idw_norm_opts keyed = {.unknown_user_key = key};
    const struct idw_norm_opts allow_list = {.allow_types = allow, .n_allow_types = 2};

    normalize_one(raw, NULL);
    normalize_one(raw, &keyed);
    normalize_one(raw, &allow_list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    char *s = fuzz_cstr(data, size);
    size_t i;
    json_t *e;

    if (s) {
        (void)idw_parse_behaviors(s);
        free(s);
    }
    if (!j)
        return 0;
    if (json_is_array(j)) {
        json_array_foreach(j, i, e) normalize_all_ways(e);
    } else {
        normalize_all_ways(j);
    }
    json_decref(j);
    return 0;
}
