/*
 * fuzz_evrec_codec.c — the kept-event record decoder
 * (src/store/evstore_codec.c, idw_evrec_decode): the bytes LMDB holds for a
 * stored event, which a damaged or foreign database can make anything.
 *
 * A record that decodes is then used the way idwatch uses one: rendered
 * (idw_evrec_to_json, `events show --json`, with an Okta link) and
 * re-encoded.
 *
 * Invariants: a rejected record leaves a zeroed one (no uuid); an accepted
 * one has a uuid, at most IDW_EVREC_TARGETS targets, every string within
 * IDW_EVREC_STR_MAX bytes, finite coordinates within range, NUL-terminated
 * tuids; its JSON exists; encode(decode(x)) decodes, and encoding that
 * again gives the same bytes (the codec is stable after one round: back-
 * references and table entries are chosen the same way every time).
 */
#include "fuzz_util.h"

#include <math.h>

#include "store/evstore.h"

static void check_str(const char *s)
{
    if (s)
        FUZZ_CHECK(*s && strlen(s) <= IDW_EVREC_STR_MAX);
}

static void check_record(const struct idw_evrec *r)
{
    const char *const s[] = {r->event_type, r->display_message, r->outcome, r->outcome_reason,
                             r->severity, r->actor.id, r->actor.login, r->actor.type,
                             r->actor.display_name, r->ip, r->city, r->country, r->as_org, r->device,
                             r->browser, r->os, r->app, r->session_id};

    FUZZ_CHECK(r->uuid != NULL);
    check_str(r->uuid);
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        check_str(s[i]);
    FUZZ_CHECK(r->published_ms >= 0 && r->published_ms <= 253402300799999LL);
    FUZZ_CHECK(r->n_targets <= IDW_EVREC_TARGETS);
    for (unsigned i = 0; i < r->n_targets; i++) {
        check_str(r->target[i].id);
        check_str(r->target[i].login);
        check_str(r->target[i].type);
    }
    FUZZ_CHECK(isfinite(r->lat) && isfinite(r->lon) && fabs(r->lat) <= 90 && fabs(r->lon) <= 180);
    FUZZ_CHECK(memchr(r->subject_tuid, 0, sizeof r->subject_tuid));
    FUZZ_CHECK(memchr(r->actor_tuid, 0, sizeof r->actor_tuid));
}

static void roundtrip(const struct idw_evrec *r)
{
    static unsigned char a[IDW_EVREC_MAX], b[IDW_EVREC_MAX];
    static struct idw_evrec back;
    size_t na = idw_evrec_encode(r, a, sizeof a), nb;

    FUZZ_CHECK(na > 0);
    FUZZ_CHECK(idw_evrec_decode(a, na, &back) == IDW_OK);
    check_record(&back);
    nb = idw_evrec_encode(&back, b, sizeof b);
    FUZZ_CHECK(nb == na && memcmp(a, b, na) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct idw_evrec r;
    json_t *j;

    if (idw_evrec_decode(data, size, &r) != IDW_OK) {
        FUZZ_CHECK(r.uuid == NULL && r.n_targets == 0 && r.published_ms == 0);
        return 0;
    }
    check_record(&r);
    j = idw_evrec_to_json(&r, "https://fuzz.okta.com");
    FUZZ_CHECK(j != NULL);
    fuzz_touch_json(j);
    json_decref(j);
    roundtrip(&r);
    return 0;
}
