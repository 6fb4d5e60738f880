/*
 * test_normalize.c — the normalizer and the classification table: the
 * golden seed event, subject resolution (self, admin-on-target, unknown
 * usernames, no human), Okta's field quirks, rejects and skips with reasons
 * that name what was wrong, uuids derived for events that have none,
 * data-lake shapes (Panther's test events) and the session key (Okta
 * Identity Engine's rootSessionId).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/classify.h"
#include "event/normalize.h"

static const char *data_dir(void)
{
    const char *d = getenv("IDW_DATA");
    return d ? d : "data";
}

static json_t *load_data(const char *name)
{
    char path[512];
    json_error_t je;
    snprintf(path, sizeof path, "%s/%s", data_dir(), name);
    json_t *j = json_load_file(path, 0, &je);
    if (!j)
        fail_msg("%s: %s", path, je.text);
    return j;
}

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j)
        fail_msg("test JSON: %s", je.text);
    return j;
}

/* Normalizes text, expecting status st; on OK the caller must clear ev. */
static void norm_expect(const char *text, const struct idw_norm_opts *o,
                        enum idw_norm_status st, struct idw_event *ev, char *err)
{
    json_t *raw = parse(text);
    enum idw_norm_status got = idw_normalize(raw, o, ev, err, 256);
    json_decref(raw);
    if (got != st)
        fail_msg("status %d, expected %d (%s)", got, st, err);
}

/* ---- golden ---------------------------------------------------------------- */

static void test_golden_seed_event(void **state)
{
    (void)state;
    json_t *src = load_data("golden/seed-source.json");
    json_t *want = load_data("golden/seed-normalized.json");
    struct idw_event ev;
    char err[256];

    assert_int_equal(idw_normalize(src, NULL, &ev, err, sizeof err), IDW_NORM_OK);
    ev.domain_id = "customer-domain-001";
    strcpy(ev.event_id, "00000000-0000-0000-0000-000000000000");
    strcpy(ev.tuid, "tuid-x");
    json_t *got = idw_event_to_json(&ev);
    assert_non_null(got);

    /* everything the seed defines must match exactly, generated ids aside */
    assert_non_null(json_object_get(got, "context"));
    json_object_del(got, "context");
    json_object_del(got, "event_id");
    json_object_del(want, "event_id");
    json_object_del(got, "tuid");
    json_object_del(want, "tuid");
    if (!json_equal(got, want)) {
        char *a = json_dumps(got, JSON_SORT_KEYS | JSON_INDENT(1));
        char *b = json_dumps(want, JSON_SORT_KEYS | JSON_INDENT(1));
        fprintf(stderr, "got:\n%s\nwant:\n%s\n", a, b);
        free(a);
        free(b);
        fail_msg("normalized seed event differs from the golden one");
    }
    json_decref(got);
    json_decref(want);
    idw_event_clear(&ev);
    json_decref(src);
}

static void test_golden_fields_on_struct(void **state)
{
    (void)state;
    json_t *src = load_data("golden/seed-source.json");
    struct idw_event ev;
    char err[256];

    assert_int_equal(idw_normalize(src, NULL, &ev, err, sizeof err), IDW_NORM_OK);
    assert_int_equal(ev.published_ms, 1773585138000LL);
    assert_int_equal(ev.kind->cls, IDW_CLASS_AUTH);
    assert_true(ev.kind->flags & IDW_K_SSO);
    assert_int_equal(ev.outcome, IDW_OUT_SUCCESS);
    assert_string_equal(ev.subject.id, "00u1a2b3c4d5e6f7g8");
    assert_true(ev.subject_is_actor);
    assert_int_equal(ev.asn, 7018);
    assert_int_equal(ev.is_proxy, 0);
    assert_null(ev.client_zone);           /* the string "null" */
    assert_string_equal(ev.app_name, "Salesforce Production");
    assert_string_equal(ev.session_id, "102abc_session_xyz");
    assert_true(ev.geo.has_coords);
    assert_true(ev.geo.lat > 37.774 && ev.geo.lat < 37.775);
    assert_int_equal(ev.geo.source, IDW_GEO_OKTA);
    idw_event_clear(&ev);
    json_decref(src);
}

/* ---- subjects ------------------------------------------------------------------ */

static void test_unknown_user_is_hashed_never_kept(void **state)
{
    (void)state;
    struct idw_event ev;
    char err[256];
    const char *text =
        "{\"uuid\":\"u1\",\"published\":\"2026-01-01T00:00:00Z\",\"eventType\":\"user.session.start\","
        "\"actor\":{\"id\":\"unknown\",\"type\":\"User\",\"alternateId\":\"Hunter2Secret!\","
        "\"displayName\":\"unknown\"},\"client\":{\"ipAddress\":\"203.0.113.9\"},"
        "\"outcome\":{\"result\":\"FAILURE\",\"reason\":\"VERIFICATION_ERROR\"}}";

    norm_expect(text, NULL, IDW_NORM_OK, &ev, err);
    assert_true(ev.unknown_user);
    assert_null(ev.subject.id);
    assert_null(ev.actor.login);
    assert_non_null(ev.unknown_user_hash);
    assert_int_equal(strlen(ev.unknown_user_hash), 16);
    assert_string_equal(ev.ip, "203.0.113.9");
    json_t *j = idw_event_to_json(&ev);
    char *dump = json_dumps(j, 0);
    assert_null(strstr(dump, "Hunter2Secret"));
    assert_null(strstr(dump, "hunter2secret"));
    assert_true(json_is_null(json_object_get(json_object_get(j, "payload"), "user")));
    free(dump);
    json_decref(j);
    idw_event_clear(&ev);
}

/* No IP: kept all the same (rules judge every event), with no subject and the name hashed. */
static void test_unknown_user_success_or_no_ip_skipped(void **state)
{
    (void)state;
    struct idw_event ev;
    char err[256];
    norm_expect("{\"uuid\":\"u2\",\"published\":\"2026-01-01T00:00:00Z\",\"eventType\":"
                "\"user.session.start\",\"actor\":{\"id\":\"unknown\",\"type\":\"User\","
                "\"alternateId\":\"x\"},\"outcome\":{\"result\":\"FAILURE\"}}",
                NULL, IDW_NORM_OK, &ev, err);
    assert_null(ev.subject.id);
    assert_false(ev.actor_is_human);
    assert_true(ev.unknown_user);
    assert_null(ev.actor.login);
    idw_event_clear(&ev);
}

static void test_admin_action_subject_is_target(void **state)
{
    (void)state;
    struct idw_event ev;
    char err[256];
    const char *text =
        "{\"uuid\":\"u3\",\"published\":\"2026-01-01T10:00:00.500Z\","
        "\"eventType\":\"user.account.privilege.grant\","
        "\"actor\":{\"id\":\"00uADMIN\",\"type\":\"User\",\"alternateId\":\"admin@acme.com\"},"
        "\"target\":[{\"id\":\"00uBOB\",\"type\":\"User\",\"alternateId\":\"bob@acme.com\","
        "\"displayName\":\"Bob\"}],\"outcome\":{\"result\":\"SUCCESS\"}}";

    norm_expect(text, NULL, IDW_NORM_OK, &ev, err);
    assert_string_equal(ev.subject.id, "00uBOB");
    assert_string_equal(ev.subject.login, "bob@acme.com");
    assert_string_equal(ev.actor.login, "admin@acme.com");
    assert_false(ev.subject_is_actor);
    assert_true(ev.actor_is_human);
    assert_int_equal(ev.kind->cls, IDW_CLASS_ADMIN);
    json_t *j = idw_event_to_json(&ev);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "payload"), "user")),
                        "bob@acme.com");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "raw_metadata"),
                                                          "actor_email")), "admin@acme.com");
    json_decref(j);
    idw_event_clear(&ev);
}

static void test_system_actor_on_user_and_without(void **state)
{
    (void)state;
    struct idw_event ev;
    char err[256];
    norm_expect("{\"uuid\":\"u4\",\"published\":\"2026-01-01T00:00:00Z\",\"eventType\":"
                "\"user.lifecycle.create\",\"actor\":{\"id\":\"spr1\",\"type\":\"SystemPrincipal\","
                "\"alternateId\":\"system@okta.com\"},\"target\":[{\"id\":\"00uNEW\",\"type\":\"User\","
                "\"alternateId\":\"new@acme.com\"}]}", NULL, IDW_NORM_OK, &ev, err);
    assert_string_equal(ev.subject.id, "00uNEW");
    assert_false(ev.actor_is_human);
    idw_event_clear(&ev);

    /* no person at all: kept for the rules, with no subject */
    norm_expect("{\"uuid\":\"u5\",\"published\":\"2026-01-01T00:00:00Z\",\"eventType\":"
                "\"user.session.start\",\"actor\":{\"id\":\"spr1\",\"type\":\"SystemPrincipal\"},"
                "\"target\":null}", NULL, IDW_NORM_OK, &ev, err);
    assert_null(ev.subject.id);
    assert_false(ev.actor_is_human);
    assert_false(ev.subject_is_actor);
    idw_event_clear(&ev);
}

static void test_threat_without_user_kept_by_ip(void **state)
{
    (void)state;
    struct idw_event ev;
    char err[256];
    norm_expect("{\"uuid\":\"u6\",\"published\":\"2026-01-01T00:00:00Z\",\"eventType\":"
                "\"security.threat.detected\",\"actor\":{\"id\":\"203.0.113.5\",\"type\":\"IP address\"},"
                "\"client\":{\"ipAddress\":\"203.0.113.5\"},\"outcome\":{\"result\":\"DENY\"},"
                "\"target\":null}", NULL, IDW_NORM_OK, &ev, err);
    assert_int_equal(ev.kind->cls, IDW_CLASS_ALERT);
    assert_null(ev.subject.id);
    assert_false(ev.unknown_user);
    idw_event_clear(&ev);
}

/* ---- quirks ---------------------------------------------------------------------- */

static void test_quirks_tolerated(void **state)
{
    (void)state;
    struct idw_event ev;
    char err[256];
    const char *text =
        "{\"uuid\":\"u7\",\"published\":\"2026-01-01T00:00:00+02:00\",\"eventType\":"
        "\"policy.evaluate_sign_on\",\"actor\":{\"id\":\"00uA\",\"type\":\"User\",\"alternateId\":\"a@x\"},"
        "\"client\":{\"zone\":\"null\",\"ipAddress\":\"null\",\"geographicalContext\":"
        "{\"geolocation\":{\"lat\":\"abc\",\"lon\":1}}},"
        "\"request\":{\"ipChain\":[{\"ip\":\"198.51.100.7\",\"geographicalContext\":{\"city\":\"Oslo\","
        "\"country\":\"Norway\",\"geolocation\":{\"lat\":59.9,\"lon\":10.7}}}]},"
        "\"securityContext\":{\"asNumber\":\"2119\",\"isProxy\":null},"
        "\"authenticationContext\":{\"externalSessionId\":\"unknown\"},"
        "\"debugContext\":{\"debugData\":{\"threatSuspected\":\"true\",\"behaviors\":"
        "\"{New Geo-Location=POSITIVE, New Device=NEGATIVE, New IP=POSITIVE, Velocity=POSITIVE}\","
        "\"logOnlySecurityData\":\"{\\\"risk\\\":{\\\"level\\\":\\\"HIGH\\\"},\\\"behaviors\\\":"
        "{\\\"New Country\\\":\\\"POSITIVE\\\"}}\"}},"
        "\"target\":null,\"outcome\":{\"result\":\"ALLOW\"},\"transaction\":\"weird\"}";

    norm_expect(text, NULL, IDW_NORM_OK, &ev, err);
    assert_int_equal(ev.published_ms, 1767218400000LL);
    assert_null(ev.client_zone);
    assert_string_equal(ev.ip, "198.51.100.7");        /* from the IP chain */
    assert_string_equal(ev.geo.city, "Oslo");
    assert_true(ev.geo.has_coords);
    assert_int_equal(ev.asn, 2119);
    assert_int_equal(ev.is_proxy, -1);
    assert_null(ev.session_id);
    assert_true(ev.threat_suspected);
    assert_int_equal(ev.behaviors, IDW_BEH_NEW_GEO | IDW_BEH_NEW_IP | IDW_BEH_VELOCITY |
                                   IDW_BEH_NEW_COUNTRY);
    assert_string_equal(ev.risk_level, "HIGH");
    assert_null(ev.transaction_id);
    assert_int_equal(ev.outcome, IDW_OUT_ALLOW);
    idw_event_clear(&ev);
}

static void test_wrong_types_do_not_crash(void **state)
{
    (void)state;
    struct idw_event ev;
    char err[256];
    norm_expect("{\"uuid\":\"u8\",\"published\":\"2026-01-01T00:00:00Z\",\"eventType\":"
                "\"user.authentication.sso\",\"actor\":{\"id\":\"00uA\",\"type\":\"User\","
                "\"alternateId\":7},\"client\":[1,2],\"target\":{\"id\":\"x\"},\"outcome\":\"SUCCESS\","
                "\"securityContext\":{\"asNumber\":-5},\"debugContext\":{\"debugData\":[]}}",
                NULL, IDW_NORM_OK, &ev, err);
    assert_null(ev.actor.login);
    assert_null(ev.ip);
    assert_null(ev.app_name);
    assert_int_equal(ev.asn, 0);
    assert_int_equal(ev.outcome, IDW_OUT_UNKNOWN);
    json_t *j = idw_event_to_json(&ev);
    assert_non_null(j);
    json_decref(j);
    idw_event_clear(&ev);
}

static void test_lowercase_keys_and_space_time(void **state)
{
    (void)state;
    struct idw_event ev;
    char err[256];
    norm_expect("{\"uuid\":\"u9\",\"published\":\"2022-06-10 17:19:58.423\",\"eventtype\":"
                "\"user.session.start\",\"actor\":{\"id\":\"00uA\",\"type\":\"User\",\"alternateId\":\"a@x\"},"
                "\"outcome\":{\"result\":\"SUCCESS\"},\"authenticationcontext\":"
                "{\"externalSessionId\":\"s1\"}}", NULL, IDW_NORM_OK, &ev, err);
    assert_string_equal(ev.okta_type, "user.session.start");
    assert_string_equal(ev.session_id, "s1");
    assert_int_equal(ev.published_ms, 1654881598423LL);
    json_t *j = idw_event_to_json(&ev);
    assert_string_equal(json_string_value(json_object_get(j, "timestamp")), "2022-06-10T17:19:58.423Z");
    json_decref(j);
    idw_event_clear(&ev);
}

/* ---- rejects and skips --------------------------------------------------------------- */

static void test_rejects(void **state)
{
    (void)state;
    struct idw_event ev;
    char err[256];

    norm_expect("{\"uuid\":\"a\",\"eventType\":\"user.session.start\"}", NULL, IDW_NORM_REJECT, &ev, err);
    assert_string_equal(err, "missing published time");
    norm_expect("{\"uuid\":\"a\",\"published\":\"yesterday\",\"eventType\":\"x\"}", NULL,
                IDW_NORM_REJECT, &ev, err);
    assert_string_equal(err, "published: not an ISO 8601 (RFC 3339) time: 'yesterday'");
    norm_expect("{\"uuid\":\"a\",\"published\":\"2026-01-01T00:00:00Z\"}", NULL, IDW_NORM_REJECT, &ev, err);
    assert_string_equal(err, "missing eventType");
    norm_expect("{\"uuid\":\"a\",\"published\":\"2026-01-01T00:00:00Z\",\"eventType\":7}", NULL,
                IDW_NORM_REJECT, &ev, err);
    assert_string_equal(err, "eventType: expected a string, got number");
    norm_expect("{\"uuid\":7,\"published\":\"2026-01-01T00:00:00Z\",\"eventType\":\"x\"}", NULL,
                IDW_NORM_REJECT, &ev, err);
    assert_string_equal(err, "uuid: expected a string, got number");
    norm_expect("{\"uuid\":{\"x\":1},\"published\":\"2026-01-01T00:00:00Z\",\"eventType\":\"x\"}", NULL,
                IDW_NORM_REJECT, &ev, err);
    assert_string_equal(err, "uuid: expected a string, got object");
    norm_expect("[1]", NULL, IDW_NORM_REJECT, &ev, err);
    assert_null(ev.raw);
}

/* A published of the wrong type says so, instead of "missing published time". */
static void test_published_diagnostics(void **state)
{
    (void)state;
    static const struct { const char *value, *want; } cases[] = {
        {"1773585138000", "published: expected an ISO 8601 string, got number"},
        {"1.5", "published: expected an ISO 8601 string, got number"},
        {"{\"t\":\"2026-01-01T00:00:00Z\"}", "published: expected an ISO 8601 string, got object"},
        {"[\"2026-01-01T00:00:00Z\"]", "published: expected an ISO 8601 string, got array"},
        {"true", "published: expected an ISO 8601 string, got boolean"},
        {"null", "published: expected an ISO 8601 string, got null"},
        {"\"\"", "published: not an ISO 8601 (RFC 3339) time: ''"},
        {"\"2026-13-01T00:00:00Z\"", "published: not an ISO 8601 (RFC 3339) time: '2026-13-01T00:00:00Z'"},
        {"\"line\\nbreak\\u0007\"", "published: not an ISO 8601 (RFC 3339) time: 'line?break?'"},
        /* longer than 64 bytes: cut, and said to be cut */
        {"\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefTAIL\"",
         "published: not an ISO 8601 (RFC 3339) time: "
         "'0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef...'"},
    };
    struct idw_event ev;
    char err[256], text[512];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, "{\"uuid\":\"p%zu\",\"published\":%s,\"eventType\":"
                 "\"user.session.start\"}", i, cases[i].value);
        norm_expect(text, NULL, IDW_NORM_REJECT, &ev, err);
        assert_string_equal(err, cases[i].want);
        assert_null(ev.raw);
    }
}

/* ---- events without a uuid ------------------------------------------------------------ */

static const char *const NO_UUID =
    "{\"published\":\"2022-03-22 14:21:53.225\",\"eventtype\":\"user.session.start\","
    "\"actor\":{\"alternateId\":\"homer@springfield.gov\",\"id\":\"111111\",\"type\":\"User\"},"
    "\"client\":{\"ipAddress\":\"1.1.1.1\"},\"outcome\":{\"result\":\"SUCCESS\"},"
    "\"p_log_type\":\"Okta.SystemLog\",\"p_row_id\":\"aaa1\"}";

/* Normalizes text and copies out the uuid it ends up with. */
static void uuid_of(const char *text, const struct idw_norm_opts *o, char out[64], int *derived)
{
    struct idw_event ev;
    char err[256];
    norm_expect(text, o, IDW_NORM_OK, &ev, err);
    snprintf(out, 64, "%s", ev.uuid);
    *derived = ev.uuid_derived;
    idw_event_clear(&ev);
}

static void test_derived_uuid(void **state)
{
    (void)state;
    char a[64], b[64];
    int derived;
    struct idw_event ev;
    char err[256];

    uuid_of(NO_UUID, NULL, a, &derived);
    assert_true(derived);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[14], '8');                            /* RFC 9562 version 8 */
    assert_non_null(strchr("89ab", a[19]));                  /* RFC 9562 variant */

    /* the same content, written differently: other key order, spacing, p_* columns */
    uuid_of("{ \"p_row_id\": \"zzz9\", \"p_parse_time\": \"2022-03-23 00:00:00\",\n"
            "  \"outcome\": {\"result\": \"SUCCESS\"}, \"client\": {\"ipAddress\": \"1.1.1.1\"},\n"
            "  \"actor\": {\"type\": \"User\", \"id\": \"111111\", \"alternateId\": \"homer@springfield.gov\"},\n"
            "  \"eventtype\": \"user.session.start\", \"published\": \"2022-03-22 14:21:53.225\",\n"
            "  \"p_log_type\": \"Okta.SystemLog\" }", NULL, b, &derived);
    assert_string_equal(a, b);
    /* a null or empty uuid counts as none; the null is part of the content */
    uuid_of("{\"uuid\":\"\",\"published\":\"2022-03-22 14:21:53.225\",\"eventtype\":\"user.session.start\","
            "\"actor\":{\"alternateId\":\"homer@springfield.gov\",\"id\":\"111111\",\"type\":\"User\"}}",
            NULL, b, &derived);
    assert_true(derived);
    assert_string_not_equal(a, b);

    /* any change to what Okta wrote is another event */
    uuid_of("{\"published\":\"2022-03-22 14:21:53.226\",\"eventtype\":\"user.session.start\","
            "\"actor\":{\"alternateId\":\"homer@springfield.gov\",\"id\":\"111111\",\"type\":\"User\"},"
            "\"client\":{\"ipAddress\":\"1.1.1.1\"},\"outcome\":{\"result\":\"SUCCESS\"}}", NULL, b, &derived);
    assert_string_not_equal(a, b);

    /* keyed with the database secret: another uuid, just as stable */
    unsigned char key[32];
    memset(key, 0x42, sizeof key);
    struct idw_norm_opts keyed = {.unknown_user_key = key};
    uuid_of(NO_UUID, &keyed, b, &derived);
    assert_string_not_equal(a, b);
    char c[64];
    uuid_of(NO_UUID, &keyed, c, &derived);
    assert_string_equal(b, c);

    /* Okta's own uuid is used as is, and says so */
    uuid_of("{\"uuid\":\"okta-1\",\"published\":\"2026-01-01T00:00:00Z\",\"eventType\":\"user.session.start\","
            "\"actor\":{\"id\":\"00uA\",\"type\":\"User\"}}", NULL, b, &derived);
    assert_string_equal(b, "okta-1");
    assert_false(derived);

    /* the normalized event carries the derived uuid and the flag */
    norm_expect(NO_UUID, NULL, IDW_NORM_OK, &ev, err);
    json_t *j = idw_event_to_json(&ev);
    assert_string_equal(json_string_value(json_object_get(j, "platform_event_id")), a);
    assert_true(json_is_true(json_object_get(json_object_get(j, "context"), "uuid_derived")));
    json_decref(j);
    idw_event_clear(&ev);
}

/* ---- data-lake shapes (Panther's test events, data/fixtures/datalake-panther.jsonl) ---- */

/* Line n (1-based) of a JSON Lines file under data/, parsed. */
static json_t *load_line(const char *name, int n)
{
    char path[512], line[8192];
    json_error_t je;
    FILE *f;
    json_t *j = NULL;

    snprintf(path, sizeof path, "%s/%s", data_dir(), name);
    f = fopen(path, "r");
    if (!f)
        fail_msg("%s: cannot open", path);
    for (int i = 1; fgets(line, sizeof line, f); i++)
        if (i == n) {
            j = json_loads(line, 0, &je);
            break;
        }
    fclose(f);
    if (!j)
        fail_msg("%s line %d: %s", path, n, je.text);
    return j;
}

static void test_data_lake_shapes(void **state)
{
    (void)state;
    struct idw_event ev;
    char err[256];
    json_t *raw;

    /* nine fractional digits, no 'T', no zone: UTC */
    raw = load_line("fixtures/datalake-panther.jsonl", 1);
    assert_int_equal(idw_normalize(raw, NULL, &ev, err, sizeof err), IDW_NORM_OK);
    assert_int_equal(ev.published_ms, 1712085457621LL);     /* 2024-04-02T19:17:37.621Z */
    assert_string_equal(ev.session_id, "idxvF50v_5sT2-GOA7_K0Amyw");
    assert_string_equal(ev.dt_hash, "f23be3b6d8bfd69c14e0d1b33e790b84fa5358eab0a09a1058816ad65d633da4");
    assert_false(ev.uuid_derived);
    idw_event_clear(&ev);
    json_decref(raw);

    /* top-level keys lower-cased: eventtype, displaymessage, authenticationcontext, ... */
    raw = load_line("fixtures/datalake-panther.jsonl", 2);
    assert_int_equal(idw_normalize(raw, NULL, &ev, err, sizeof err), IDW_NORM_OK);
    assert_string_equal(ev.okta_type, "user.account.lock");
    assert_string_equal(ev.display_message, "Account Locked from New Devices - Max sign-in attempts exceeded.");
    assert_string_equal(ev.session_id, "abcd-1234");
    assert_int_equal(ev.asn, 7018);
    assert_string_equal(ev.device_fingerprint, "abc1234");
    assert_string_equal(ev.outcome_reason, "LOCKED_OUT");
    assert_string_equal(ev.subject.login, "homer.simpson@duff.com");
    assert_int_equal(ev.published_ms, 1669142929177LL);     /* 2022-11-22T18:48:49.177Z */
    idw_event_clear(&ev);
    json_decref(raw);

    /* no uuid at all: derived, the same every time */
    char first[64];
    raw = load_line("fixtures/datalake-panther.jsonl", 3);
    assert_int_equal(idw_normalize(raw, NULL, &ev, err, sizeof err), IDW_NORM_OK);
    assert_true(ev.uuid_derived);
    assert_string_equal(ev.okta_type, "user.session.impersonation.grant");
    snprintf(first, sizeof first, "%s", ev.uuid);
    idw_event_clear(&ev);
    assert_int_equal(idw_normalize(raw, NULL, &ev, err, sizeof err), IDW_NORM_OK);
    assert_string_equal(ev.uuid, first);
    idw_event_clear(&ev);
    json_decref(raw);
}

/* ---- sessions (Okta Identity Engine) ---------------------------------------------------- */

static void test_root_session(void **state)
{
    (void)state;
    struct idw_event ev;
    char err[256];

    /* after sign-in OIE issues another externalSessionId; the root stays */
    norm_expect("{\"uuid\":\"r1\",\"published\":\"2026-01-01T00:00:00Z\",\"eventType\":\"user.authentication.sso\","
                "\"actor\":{\"id\":\"00uA\",\"type\":\"User\"},\"authenticationContext\":"
                "{\"externalSessionId\":\"102AfterSignIn\",\"rootSessionId\":\"idxRootOfAll\"}}",
                NULL, IDW_NORM_OK, &ev, err);
    assert_string_equal(ev.session_id, "102AfterSignIn");
    assert_string_equal(ev.root_session_id, "idxRootOfAll");
    assert_string_equal(idw_event_session_key(&ev), "idxRootOfAll");
    json_t *j = idw_event_to_json(&ev);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "context"), "root_session_id")),
                        "idxRootOfAll");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "raw_metadata"),
                                                          "external_session_id")), "102AfterSignIn");
    json_decref(j);
    idw_event_clear(&ev);

    /* no root (Classic Engine, older exports) or "unknown": the external id is the session */
    norm_expect("{\"uuid\":\"r2\",\"published\":\"2026-01-01T00:00:00Z\",\"eventtype\":\"user.authentication.sso\","
                "\"actor\":{\"id\":\"00uA\",\"type\":\"User\"},\"authenticationcontext\":"
                "{\"externalSessionId\":\"102Classic\",\"rootSessionId\":\"unknown\"}}",
                NULL, IDW_NORM_OK, &ev, err);
    assert_null(ev.root_session_id);
    assert_string_equal(idw_event_session_key(&ev), "102Classic");
    idw_event_clear(&ev);
    norm_expect("{\"uuid\":\"r3\",\"published\":\"2026-01-01T00:00:00Z\",\"eventType\":\"user.authentication.sso\","
                "\"actor\":{\"id\":\"00uA\",\"type\":\"User\"}}", NULL, IDW_NORM_OK, &ev, err);
    assert_null(idw_event_session_key(&ev));
    idw_event_clear(&ev);
}

static void test_type_selection(void **state)
{
    (void)state;
    struct idw_event ev;
    char err[256];
    const char *unlisted = "{\"uuid\":\"a\",\"published\":\"2026-01-01T00:00:00Z\",\"eventType\":"
                           "\"system.org.rate_limit.violation\",\"actor\":{\"id\":\"00uA\",\"type\":\"User\"}}";
    const char *listed = "{\"uuid\":\"b\",\"published\":\"2026-01-01T00:00:00Z\",\"eventType\":"
                         "\"user.session.start\",\"actor\":{\"id\":\"00uA\",\"type\":\"User\"}}";
    const char *only[] = {"user.session.start"};
    struct idw_norm_opts allow = {.allow_types = only, .n_allow_types = 1};

    /* an unlisted type is kept with its fallback kind, by default */
    norm_expect(unlisted, NULL, IDW_NORM_OK, &ev, err);
    assert_int_equal(ev.kind->cls, IDW_CLASS_ADMIN);
    assert_int_equal(ev.kind->flags, 0);
    assert_false(idw_kind_listed(ev.kind));
    idw_event_clear(&ev);
    /* ingest.event_types still leaves types out */
    norm_expect(unlisted, &allow, IDW_NORM_SKIP_TYPE, &ev, err);
    assert_string_equal(err, "type system.org.rate_limit.violation");
    norm_expect(listed, &allow, IDW_NORM_OK, &ev, err);
    idw_event_clear(&ev);
}

static void test_behaviors_parser(void **state)
{
    (void)state;
    assert_int_equal(idw_parse_behaviors(NULL), 0);
    assert_int_equal(idw_parse_behaviors("{}"), 0);
    assert_int_equal(idw_parse_behaviors("{New Device=POSITIVE, New City=POSITIVE, New IP=NEGATIVE}"),
                     IDW_BEH_NEW_DEVICE | IDW_BEH_NEW_CITY);
}

/* ---- classification table ------------------------------------------------------------ */

static void test_table_sorted_and_complete(void **state)
{
    (void)state;
    unsigned n;
    const struct idw_kind *t = idw_kind_table(&n);
    for (unsigned i = 1; i < n; i++)
        if (strcmp(t[i - 1].okta_type, t[i].okta_type) >= 0)
            fail_msg("table not sorted at %s / %s", t[i - 1].okta_type, t[i].okta_type);

    /* the seed's tables, with their TOTAL class */
    static const struct { const char *type; enum idw_class cls; } seed[] = {
        {"user.authentication.sso", IDW_CLASS_AUTH}, {"user.authentication.auth_via_mfa", IDW_CLASS_AUTH},
        {"user.authentication.auth_via_IDP", IDW_CLASS_AUTH}, {"user.authentication.auth_via_social", IDW_CLASS_AUTH},
        {"user.authentication.verify", IDW_CLASS_AUTH}, {"user.session.start", IDW_CLASS_AUTH},
        {"user.session.end", IDW_CLASS_AUTH}, {"user.session.clear", IDW_CLASS_AUTH},
        {"user.authentication.auth_via_radius", IDW_CLASS_AUTH}, {"user.mfa.factor.activate", IDW_CLASS_AUTH},
        {"user.mfa.factor.deactivate", IDW_CLASS_AUTH}, {"user.mfa.factor.reset_all", IDW_CLASS_AUTH},
        {"user.mfa.factor.update", IDW_CLASS_AUTH}, {"user.mfa.attempt_bypass", IDW_CLASS_AUTH},
        {"user.lifecycle.create", IDW_CLASS_ADMIN}, {"user.lifecycle.activate", IDW_CLASS_ADMIN},
        {"user.lifecycle.deactivate", IDW_CLASS_ADMIN}, {"user.lifecycle.suspend", IDW_CLASS_ADMIN},
        {"user.lifecycle.unsuspend", IDW_CLASS_ADMIN}, {"user.lifecycle.delete.initiated", IDW_CLASS_ADMIN},
        {"user.account.lock", IDW_CLASS_AUTH}, {"user.account.unlock", IDW_CLASS_ADMIN},
        {"user.account.unlock_token", IDW_CLASS_ADMIN}, {"group.user_membership.add", IDW_CLASS_ADMIN},
        {"group.user_membership.remove", IDW_CLASS_ADMIN}, {"user.account.privilege.grant", IDW_CLASS_ADMIN},
        {"user.account.privilege.revoke", IDW_CLASS_ADMIN},
        {"app.user_management.assign_user_to_app", IDW_CLASS_ADMIN},
        {"app.user_management.deactivate_user", IDW_CLASS_ADMIN},
        {"application.provision.user.push", IDW_CLASS_ADMIN},
        {"security.threat.detected", IDW_CLASS_ALERT}, {"security.request.blocked", IDW_CLASS_ALERT},
    };
    for (size_t i = 0; i < sizeof seed / sizeof seed[0]; i++) {
        const struct idw_kind *k = idw_classify(seed[i].type);
        if (!k)
            fail_msg("missing %s", seed[i].type);
        assert_int_equal(k->cls, seed[i].cls);
    }
    static const char *const detection[] = {
        "system.push.send_factor_verify_push", "user.mfa.okta_verify.deny_push",
        "user.account.lock.limit", "user.account.reset_password", "group.privilege.grant",
        "group.privilege.revoke", "policy.evaluate_sign_on", "user.session.access_admin_app",
        "user.risk.detect", "user.risk.change", "user.session.context.change",
        "security.session.detect_client_roaming", "security.attack.start", "security.attack.end",
        "user.account.report_suspicious_activity_by_enduser", "device.enrollment.create",
        "system.api_token.create", "user.session.impersonation.grant",
        "user.session.impersonation.initiate",
    };
    for (size_t i = 0; i < sizeof detection / sizeof detection[0]; i++)
        if (!idw_classify(detection[i]))
            fail_msg("missing %s", detection[i]);
    assert_null(idw_classify("user.session.star"));
    assert_null(idw_classify(NULL));
    assert_string_equal(idw_class_name(IDW_CLASS_ALERT), "ALERT");
    assert_string_equal(idw_signal_name(idw_classify("user.mfa.factor.activate")->signal),
                        "MFA_DEVICE_TRUST");
    assert_int_equal(idw_classify_fallback("security.foo")->cls, IDW_CLASS_ALERT);
    assert_int_equal(idw_classify_fallback("user.lifecycle.x")->cls, IDW_CLASS_ADMIN);
    assert_int_equal(idw_classify_fallback("user.authentication.x")->cls, IDW_CLASS_AUTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_seed_event),
        cmocka_unit_test(test_golden_fields_on_struct),
        cmocka_unit_test(test_unknown_user_is_hashed_never_kept),
        cmocka_unit_test(test_unknown_user_success_or_no_ip_skipped),
        cmocka_unit_test(test_admin_action_subject_is_target),
        cmocka_unit_test(test_system_actor_on_user_and_without),
        cmocka_unit_test(test_threat_without_user_kept_by_ip),
        cmocka_unit_test(test_quirks_tolerated),
        cmocka_unit_test(test_wrong_types_do_not_crash),
        cmocka_unit_test(test_lowercase_keys_and_space_time),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_published_diagnostics),
        cmocka_unit_test(test_derived_uuid),
        cmocka_unit_test(test_data_lake_shapes),
        cmocka_unit_test(test_root_session),
        cmocka_unit_test(test_type_selection),
        cmocka_unit_test(test_behaviors_parser),
        cmocka_unit_test(test_table_sorted_and_complete),
    };
    return cmocka_run_group_tests_name("normalize", tests, NULL, NULL);
}
