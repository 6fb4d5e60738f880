/*
 * test_status.c — the heartbeat codec (src/cluster/status.h): a round
 * trip, and every refusal named with its path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/status.h"

static const char *GOOD =
    "{\"v\":1,\"slot\":1,\"slots\":2,\"host\":\"w1.example\",\"pid\":4242,\"at\":1700000010000,"
    "\"started_at\":1700000000000,\"partitions\":[{\"p\":3,\"applied_seq\":17,\"stream_last_seq\":18,"
    "\"snapshot_seq\":12,\"snapshot_at\":1699999990000,\"orgs\":[{\"org\":\"acme\",\"cursor_set\":true,"
    "\"held\":false,\"paused\":true}]},{\"p\":1,\"applied_seq\":0,\"stream_last_seq\":0,\"snapshot_seq\":0,"
    "\"snapshot_at\":0,\"orgs\":[]}]}";

static void test_round_trip(void **state)
{
    json_t *hb, *back, *want;
    char err[256] = "", *text;
    size_t len;

    (void)state;
    assert_int_equal(idw_status_decode(GOOD, strlen(GOOD), &hb, err, sizeof err), IDW_OK);
    assert_int_equal(idw_status_encode(hb, &text, &len, err, sizeof err), IDW_OK);
    assert_int_equal(idw_status_decode(text, len, &back, err, sizeof err), IDW_OK);
    want = json_loads(GOOD, 0, NULL);
    assert_true(json_equal(back, want));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(back, "partitions"), 0),
                                                        "applied_seq")), 17);
    assert_null(strstr(text, " "));     /* compact */
    free(text);
    json_decref(hb);
    json_decref(back);
    json_decref(want);
}

/* GOOD with `from` replaced by `to` (the first occurrence) is refused with want in the message. */
static void refused(const char *from, const char *to, const char *want)
{
    char doc[2048], err[256] = "";
    const char *at = strstr(GOOD, from);
    json_t *hb = (json_t *)1;

    assert_non_null(at);
    snprintf(doc, sizeof doc, "%.*s%s%s", (int)(at - GOOD), GOOD, to, at + strlen(from));
    assert_int_equal(idw_status_decode(doc, strlen(doc), &hb, err, sizeof err), IDW_ERR);
    assert_null(hb);
    if (!strstr(err, want))
        fail_msg("%s -> %s: got \"%s\", wanted \"%s\"", from, to, err, want);
}

static void test_refusals(void **state)
{
    (void)state;
    refused("{\"v\":1", "[", "heartbeat: not JSON");
    refused("\"v\":1", "\"v\":2", "heartbeat: v: out of range");
    refused("\"v\":1,", "", "heartbeat: v: missing");
    refused("\"v\":1", "\"v\":1,\"cursor\":\"https://x\"", "heartbeat: cursor: unknown key");
    refused("\"slot\":1", "\"slot\":\"1\"", "heartbeat: slot: expected an integer");
    refused("\"slot\":1", "\"slot\":2", "heartbeat: slot: not below slots");
    refused("\"slots\":2", "\"slots\":0", "heartbeat: slots: out of range");
    refused("\"slots\":2", "\"slots\":4097", "heartbeat: slots: out of range");
    refused("\"pid\":4242", "\"pid\":0", "heartbeat: pid: out of range");
    refused("\"at\":1700000010000", "\"at\":-1", "heartbeat: at: out of range");
    refused("\"started_at\":1700000000000", "\"started_at\":1.5", "heartbeat: started_at: expected an integer");
    refused("\"host\":\"w1.example\"", "\"host\":\"\"", "heartbeat: host: expected a string");
    refused("\"host\":\"w1.example\"", "\"host\":7", "heartbeat: host: expected a string");
    refused(",\"partitions\":[", ",\"partitions\":1,\"_\":[", "heartbeat: _: unknown key");
    {
        const char *doc = "{\"v\":1,\"slot\":0,\"slots\":1,\"host\":\"h\",\"pid\":1,\"at\":0,\"started_at\":0,"
                          "\"partitions\":{}}";
        char err[256] = "";
        json_t *hb;
        assert_int_equal(idw_status_decode(doc, strlen(doc), &hb, err, sizeof err), IDW_ERR);
        assert_string_equal(err, "heartbeat: partitions: expected an array");
    }
    refused("\"p\":3", "\"p\":4096", "heartbeat: partitions[0].p: out of range");
    refused("\"applied_seq\":17", "\"applied_seq\":-17", "heartbeat: partitions[0].applied_seq: out of range");
    refused("\"stream_last_seq\":18,", "", "heartbeat: partitions[0].stream_last_seq: missing");
    refused("\"snapshot_seq\":12", "\"snapshot_seq\":null", "heartbeat: partitions[0].snapshot_seq: expected an integer");
    refused("\"snapshot_at\":0", "\"snapshot_at\":true", "heartbeat: partitions[1].snapshot_at: expected an integer");
    refused("\"orgs\":[]", "\"orgs\":[], \"x\":1", "heartbeat: partitions[1].x: unknown key");
    refused("\"orgs\":[]", "\"orgs\":{}", "heartbeat: partitions[1].orgs: expected an array");
    refused("\"orgs\":[]", "\"orgs\":[1]", "heartbeat: partitions[1].orgs[0]: expected an object");
    refused("\"org\":\"acme\"", "\"org\":\"a cme\"", "heartbeat: partitions[0].orgs[0].org: expected a domain_id");
    refused("\"cursor_set\":true", "\"cursor_set\":1", "heartbeat: partitions[0].orgs[0].cursor_set: expected true or false");
    refused("\"held\":false", "\"held\":\"no\"", "heartbeat: partitions[0].orgs[0].held: expected true or false");
    refused("\"paused\":true", "\"paused\":true,\"cursor\":\"u\"", "heartbeat: partitions[0].orgs[0].cursor: unknown key");
    refused("\"v\":1", "\"v\":1,\"v\":1", "heartbeat: not JSON");
}

static void test_encode_refuses(void **state)
{
    json_t *hb = json_pack("{s:i}", "v", 1);
    char err[256] = "", *text = (char *)1;
    size_t len;

    (void)state;
    assert_int_equal(idw_status_encode(hb, &text, &len, err, sizeof err), IDW_ERR);
    assert_null(text);
    assert_non_null(strstr(err, "heartbeat: "));
    json_decref(hb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_encode_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
