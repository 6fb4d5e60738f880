/*
 * fuzz_alertstream.c — the alerts stream's envelope (src/cluster/alertstream.c):
 * the bytes `idwatch cluster alerts` reads from IDW_ALERTS, which anyone
 * able to publish on idw.alert.> can make anything.
 *
 * A message that decodes is then used the way the reader and the
 * publisher use one: its Msg-Id and subject, and its payload wrapped
 * again (idw_alertstream_envelope, as a worker publishes it).
 *
 * Invariants: a refusal has a message starting "alerts stream message: "
 * and returns nothing; an accepted envelope has v 1, kind alert or
 * incident, a Msg-Id "<id>:<version>" and the subject idw.alert.<org>;
 * its payload wraps into an envelope equal to the one read, which encodes
 * and decodes back to itself.  The payload alone (any JSON) is wrapped or
 * refused with "alerts stream: ", never crashed on.
 */
#include "fuzz_util.h"

#include "cluster/alertstream.h"

static void check_ids(const json_t *env)
{
    char id[IDW_ALERTS_MSGID_MAX], want[IDW_ALERTS_MSGID_MAX], subject[IDW_ALERTS_SUBJECT_MAX];
    const char *org = json_string_value(json_object_get(env, "org"));

    FUZZ_CHECK(idw_alertstream_msg_id(env, id, sizeof id) == IDW_OK);
    snprintf(want, sizeof want, "%s:%lld", json_string_value(json_object_get(env, "id")),
             (long long)json_integer_value(json_object_get(env, "version")));
    FUZZ_CHECK(strcmp(id, want) == 0);
    FUZZ_CHECK(idw_alertstream_subject(org, subject, sizeof subject) == IDW_OK);
    FUZZ_CHECK(strncmp(subject, IDW_ALERTS_SUBJECT_PREFIX, strlen(IDW_ALERTS_SUBJECT_PREFIX)) == 0 &&
               strcmp(subject + strlen(IDW_ALERTS_SUBJECT_PREFIX), org) == 0);
}

/* The reader's envelope, wrapped again from its payload as a worker would publish it. */
static void check_rewrap(const json_t *env)
{
    json_t *again = NULL, *back = NULL;
    char err[512] = "", *s;

    FUZZ_CHECK(idw_alertstream_envelope(json_object_get(env, "payload"), &again, err, sizeof err) == IDW_OK);
    FUZZ_CHECK(json_equal(again, env));
    s = json_dumps(again, JSON_COMPACT | JSON_SORT_KEYS);
    if (s) {
        FUZZ_CHECK(idw_alertstream_decode(s, strlen(s), &back, err, sizeof err) == IDW_OK);
        FUZZ_CHECK(json_equal(back, env));
    }
    free(s);
    json_decref(back);
    json_decref(again);
}

/* Any JSON as a payload: wrapped (and then decodable) or refused, named. */
static void check_payload(const uint8_t *data, size_t size)
{
    json_t *doc = json_loadb((const char *)data, size, 0, NULL), *env = (json_t *)1, *back = NULL;
    char err[512] = "", *s;

    if (!doc)
        return;
    if (idw_alertstream_envelope(doc, &env, err, sizeof err) < 0) {
        FUZZ_CHECK(env == NULL && strncmp(err, "alerts stream: ", 15) == 0);
    } else {
        s = json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS);
        if (s)
            FUZZ_CHECK(idw_alertstream_decode(s, strlen(s), &back, err, sizeof err) == IDW_OK);
        free(s);
        json_decref(back);
        json_decref(env);
    }
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *env = (json_t *)1;
    char err[512] = "";
    const char *kind;

    check_payload(data, size);
    if (idw_alertstream_decode((const char *)data, size, &env, err, sizeof err) < 0) {
        FUZZ_CHECK(env == NULL && strncmp(err, "alerts stream message: ", 23) == 0);
        return 0;
    }
    kind = json_string_value(json_object_get(env, "kind"));
    FUZZ_CHECK(json_integer_value(json_object_get(env, "v")) == 1);
    FUZZ_CHECK(kind && (!strcmp(kind, "alert") || !strcmp(kind, "incident")));
    check_ids(env);
    check_rewrap(env);
    json_decref(env);
    return 0;
}
