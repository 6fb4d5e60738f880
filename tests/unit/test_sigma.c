/*
 * test_sigma.c — the Sigma detection engine core (src/sigma/): loading
 * (metadata, refusals with file and line, all or nothing per file, other
 * products), every modifier and condition form, field paths (arrays,
 * lower-case names, persona facts), value coercions, the eventType
 * dispatch and link.  The rules are written here for the tests, in
 * SigmaHQ's style.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sigma/sigma.h"

/* A rule document around a detection body (indented two spaces); the body starts on line 7. */
static const char *rule(const char *body)
{
    static char buf[8192];
    snprintf(buf, sizeof buf,
             "title: test rule\n"
             "id: r-test\n"
             "logsource:\n"
             "    product: okta\n"
             "    service: okta\n"
             "detection:\n"
             "%s",
             body);
    return buf;
}

static struct idw_sigma_set *load(const char *yaml)
{
    struct idw_sigma_set *s;
    char err[512] = "";

    assert_int_equal(idw_sigma_set_new(&s), IDW_OK);
    enum idw_rc rc = idw_sigma_load_buffer(s, "t.yml", yaml, strlen(yaml), err, sizeof err);
    if (rc != IDW_OK)
        fail_msg("load: %s", err);
    rc = idw_sigma_link(s, err, sizeof err);
    if (rc != IDW_OK)
        fail_msg("link: %s", err);
    return s;
}

/* The refusal: IDW_ERR, the message names t.yml:line and says why, and nothing was added. */
static void refused(const char *yaml, unsigned line, const char *why)
{
    struct idw_sigma_set *s;
    char err[512] = "";
    char where[32];

    assert_int_equal(idw_sigma_set_new(&s), IDW_OK);
    assert_int_equal(idw_sigma_load_buffer(s, "t.yml", yaml, strlen(yaml), err, sizeof err), IDW_ERR);
    snprintf(where, sizeof where, "t.yml:%u: ", line);
    if (!strstr(err, where) || !strstr(err, why))
        fail_msg("expected '%s%s' in '%s'", where, why, err);
    assert_int_equal(idw_sigma_count(s), 0);
    idw_sigma_set_free(s);
}

static int facts_calls;
static json_t *facts_obj;

static const json_t *get_facts(void *arg)
{
    (void)arg;
    facts_calls++;
    return facts_obj;
}

/* How many rules of s match the event (JSON text). */
static unsigned hits(const struct idw_sigma_set *s, const char *event)
{
    json_error_t je;
    json_t *raw = json_loads(event, 0, &je);
    if (!raw)
        fail_msg("bad test event: %s", je.text);
    struct idw_sigma_event ev = {.raw = raw,
                                 .event_type = json_string_value(json_object_get(raw, "eventType")),
                                 .facts = get_facts};
    unsigned n = idw_sigma_match(s, &ev, NULL, NULL);
    json_decref(raw);
    return n;
}

/* One rule, one event: does it match? */
static int match1(const char *body, const char *event)
{
    struct idw_sigma_set *s = load(rule(body));
    unsigned n = hits(s, event);
    idw_sigma_set_free(s);
    return (int)n;
}

static void test_equal_and_cased(void **state)
{
    (void)state;
    const char *b = "    sel:\n        eventType: User.Session.Start\n    condition: sel\n";
    assert_true(match1(b, "{\"eventType\": \"user.session.start\"}"));
    assert_false(match1(b, "{\"eventType\": \"user.session.end\"}"));
    assert_false(match1(b, "{\"eventType\": \"user.session.start.x\"}"));
    const char *c = "    sel:\n        eventType|cased: User.Session.Start\n    condition: sel\n";
    assert_false(match1(c, "{\"eventType\": \"user.session.start\"}"));
    assert_true(match1(c, "{\"eventType\": \"User.Session.Start\"}"));
}

static void test_contains_starts_ends_all(void **state)
{
    (void)state;
    const char *ev = "{\"displayMessage\": \"Reset Factor for User\"}";
    assert_true(match1("    s:\n        displayMessage|contains: factor FOR\n    condition: s\n", ev));
    assert_false(match1("    s:\n        displayMessage|contains: factors\n    condition: s\n", ev));
    assert_true(match1("    s:\n        displayMessage|startswith: reset\n    condition: s\n", ev));
    assert_false(match1("    s:\n        displayMessage|startswith: factor\n    condition: s\n", ev));
    assert_true(match1("    s:\n        displayMessage|endswith: USER\n    condition: s\n", ev));
    assert_false(match1("    s:\n        displayMessage|endswith: reset\n    condition: s\n", ev));
    const char *all = "    s:\n        displayMessage|contains|all:\n            - reset\n            - %s\n"
                      "    condition: s\n";
    char b[256];
    snprintf(b, sizeof b, all, "user");
    assert_true(match1(b, ev));
    snprintf(b, sizeof b, all, "admin");
    assert_false(match1(b, ev));
    /* without |all a list is an OR */
    assert_true(match1("    s:\n        displayMessage|contains:\n            - admin\n            - user\n"
                       "    condition: s\n", ev));
    assert_true(match1("    s:\n        displayMessage|contains|cased: Factor\n    condition: s\n", ev));
    assert_false(match1("    s:\n        displayMessage|contains|cased: factor\n    condition: s\n", ev));
}

static void test_wildcards_and_escapes(void **state)
{
    (void)state;
    assert_true(match1("    s:\n        a: 'ab*ef'\n    condition: s\n", "{\"a\": \"ABcdEF\"}"));
    assert_false(match1("    s:\n        a: 'ab*ef'\n    condition: s\n", "{\"a\": \"abcdeg\"}"));
    assert_true(match1("    s:\n        a: 'a?c'\n    condition: s\n", "{\"a\": \"abc\"}"));
    assert_false(match1("    s:\n        a: 'a?c'\n    condition: s\n", "{\"a\": \"abbc\"}"));
    /* \* is a literal star, \? a literal question mark, \\ one backslash */
    assert_true(match1("    s:\n        a: 'x\\*y'\n    condition: s\n", "{\"a\": \"x*y\"}"));
    assert_false(match1("    s:\n        a: 'x\\*y'\n    condition: s\n", "{\"a\": \"xzzy\"}"));
    assert_false(match1("    s:\n        a: 'x\\?'\n    condition: s\n", "{\"a\": \"xz\"}"));
    assert_true(match1("    s:\n        a: 'x\\?'\n    condition: s\n", "{\"a\": \"x?\"}"));
    assert_true(match1("    s:\n        a: 'c:\\\\w*'\n    condition: s\n", "{\"a\": \"c:\\\\windows\"}"));
    /* another backslash stays a backslash */
    assert_true(match1("    s:\n        a: 'c:\\w'\n    condition: s\n", "{\"a\": \"C:\\\\W\"}"));
    /* wildcards inside contains/startswith/endswith */
    assert_true(match1("    s:\n        a|contains: 'b?d'\n    condition: s\n", "{\"a\": \"abcde\"}"));
    assert_true(match1("    s:\n        a|startswith: 'a*c'\n    condition: s\n", "{\"a\": \"abcde\"}"));
    assert_false(match1("    s:\n        a|startswith: 'b*c'\n    condition: s\n", "{\"a\": \"abcde\"}"));
    assert_true(match1("    s:\n        a|endswith: 'c?e'\n    condition: s\n", "{\"a\": \"abcde\"}"));
    assert_false(match1("    s:\n        a|endswith: 'c?d'\n    condition: s\n", "{\"a\": \"abcde\"}"));
}

static void test_regex(void **state)
{
    (void)state;
    const char *ev = "{\"ua\": \"Mozilla python-requests/2.31\"}";
    assert_true(match1("    s:\n        ua|re: 'python-requests/\\d+'\n    condition: s\n", ev));
    /* case-sensitive unless |i */
    assert_false(match1("    s:\n        ua|re: 'PYTHON'\n    condition: s\n", ev));
    assert_true(match1("    s:\n        ua|re|i: 'PYTHON'\n    condition: s\n", ev));
    const char *ml = "{\"m\": \"one\\ntwo\"}";
    assert_false(match1("    s:\n        m|re: '^two'\n    condition: s\n", ml));
    assert_true(match1("    s:\n        m|re|m: '^two'\n    condition: s\n", ml));
    assert_false(match1("    s:\n        m|re: 'one.two'\n    condition: s\n", ml));
    assert_true(match1("    s:\n        m|re|s: 'one.two'\n    condition: s\n", ml));
    refused(rule("    s:\n        ua|re: 'a(b'\n    condition: s\n"), 8, "bad regular expression");
    refused(rule("    s:\n        ua|re: 'a(b'\n    condition: s\n"), 8, "missing closing parenthesis");
    refused(rule("    s:\n        ua|i: 'ab'\n    condition: s\n"), 8, "after 're'");
}

static void test_cidr(void **state)
{
    (void)state;
    const char *v4 = "    s:\n        client.ipAddress|cidr: 10.20.0.0/14\n    condition: s\n";
    assert_true(match1(v4, "{\"client\": {\"ipAddress\": \"10.23.255.1\"}}"));
    assert_false(match1(v4, "{\"client\": {\"ipAddress\": \"10.24.0.1\"}}"));
    assert_false(match1(v4, "{\"client\": {\"ipAddress\": \"2001:db8::1\"}}"));
    assert_false(match1(v4, "{\"client\": {\"ipAddress\": \"not an ip\"}}"));
    const char *v6 = "    s:\n        client.ipAddress|cidr: '2001:db8::/33'\n    condition: s\n";
    assert_true(match1(v6, "{\"client\": {\"ipAddress\": \"2001:db8:7fff::1\"}}"));
    assert_false(match1(v6, "{\"client\": {\"ipAddress\": \"2001:db8:8000::1\"}}"));
    refused(rule("    s:\n        ip|cidr: 10.0.0.0/33\n    condition: s\n"), 8, "not an IPv4 or IPv6");
    refused(rule("    s:\n        ip|cidr: 10.0.0/8\n    condition: s\n"), 8, "not an IPv4 or IPv6");
}

static void test_exists_and_null(void **state)
{
    (void)state;
    const char *yes = "    s:\n        debugContext.debugData.risk|exists: true\n    condition: s\n";
    const char *no = "    s:\n        debugContext.debugData.risk|exists: false\n    condition: s\n";
    const char *with = "{\"debugContext\": {\"debugData\": {\"risk\": \"HIGH\"}}}";
    const char *without = "{\"debugContext\": {\"debugData\": {}}}";
    const char *nul = "{\"debugContext\": {\"debugData\": {\"risk\": null}}}";
    assert_true(match1(yes, with));
    assert_false(match1(yes, without));
    assert_false(match1(yes, nul));
    assert_false(match1(no, with));
    assert_true(match1(no, without));
    const char *isnull = "    s:\n        debugContext.debugData.risk: null\n    condition: s\n";
    assert_true(match1(isnull, without));
    assert_true(match1(isnull, nul));
    assert_false(match1(isnull, with));
    /* an empty quoted string is a string, not null */
    assert_false(match1("    s:\n        a: ''\n    condition: s\n", "{}"));
    assert_true(match1("    s:\n        a: ''\n    condition: s\n", "{\"a\": \"\"}"));
    refused(rule("    s:\n        a|exists: maybe\n    condition: s\n"), 8, "'exists' takes true or false");
}

static void test_numeric_comparisons(void **state)
{
    (void)state;
    const char *ev = "{\"n\": 5, \"s\": \"7\", \"x\": \"abc\"}";
    assert_true(match1("    s:\n        n|gt: 4\n    condition: s\n", ev));
    assert_false(match1("    s:\n        n|gt: 5\n    condition: s\n", ev));
    assert_true(match1("    s:\n        n|gte: 5\n    condition: s\n", ev));
    assert_false(match1("    s:\n        n|gte: 5.5\n    condition: s\n", ev));
    assert_true(match1("    s:\n        n|lt: 6\n    condition: s\n", ev));
    assert_false(match1("    s:\n        n|lt: 5\n    condition: s\n", ev));
    assert_true(match1("    s:\n        n|lte: 5\n    condition: s\n", ev));
    assert_false(match1("    s:\n        n|lte: 4.9\n    condition: s\n", ev));
    assert_true(match1("    s:\n        s|gt: 6\n    condition: s\n", ev));       /* numeric string */
    assert_false(match1("    s:\n        x|gt: 0\n    condition: s\n", ev));      /* not a number */
    refused(rule("    s:\n        n|gt: many\n    condition: s\n"), 8, "is not a number");
}

static void test_fieldref(void **state)
{
    (void)state;
    const char *b = "    s:\n        actor.alternateId|fieldref: target.alternateId\n    condition: s\n";
    assert_true(match1(b, "{\"actor\": {\"alternateId\": \"Ann@x\"}, \"target\": [{\"alternateId\": \"b@x\"},"
                          " {\"alternateId\": \"ann@X\"}]}"));
    assert_false(match1(b, "{\"actor\": {\"alternateId\": \"ann@x\"},"
                           " \"target\": [{\"alternateId\": \"b@x\"}]}"));
    assert_false(match1(b, "{\"actor\": {\"alternateId\": \"ann@x\"}}"));
    const char *c = "    s:\n        actor.alternateId|fieldref|cased: target.alternateId\n"
                    "    condition: s\n";
    assert_false(match1(c, "{\"actor\": {\"alternateId\": \"Ann@x\"},"
                           " \"target\": {\"alternateId\": \"ann@x\"}}"));
}

static void test_neq(void **state)
{
    (void)state;
    const char *b = "    s:\n        outcome.result|neq: SUCCESS\n    condition: s\n";
    assert_true(match1(b, "{\"outcome\": {\"result\": \"FAILURE\"}}"));
    assert_false(match1(b, "{\"outcome\": {\"result\": \"success\"}}"));
    assert_true(match1(b, "{}"));
    const char *none = "    s:\n        outcome.result|neq|all:\n            - SUCCESS\n            - ALLOW\n"
                       "    condition: s\n";
    assert_false(match1(none, "{\"outcome\": {\"result\": \"ALLOW\"}}"));
    assert_true(match1(none, "{\"outcome\": {\"result\": \"DENY\"}}"));
}

static void test_unsupported_modifiers(void **state)
{
    (void)state;
    const char *mods[] = {"base64", "base64offset", "windash", "expand", "utf16le", "utf16be", "wide",
                          "utf16", "frobnicate"};
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
        char b[256];
        char why[64];
        snprintf(b, sizeof b, "    s:\n        a|contains|%s: x\n    condition: s\n", mods[i]);
        snprintf(why, sizeof why, "modifier '%s' is not supported", mods[i]);
        refused(rule(b), 8, why);
    }
    refused(rule("    s:\n        a|contains|startswith: x\n    condition: s\n"), 8, "at most one of");
    refused(rule("    s:\n        a|re|cased: x\n    condition: s\n"), 8, "'cased' applies");
}

static const char *cond_rule(const char *cond)
{
    static char b[1024];
    snprintf(b, sizeof b,
             "    sel_a:\n        a: 1\n"
             "    sel_b:\n        b: 1\n"
             "    filter_c:\n        c: 1\n"
             "    _hidden:\n        d: 1\n"
             "    condition: %s\n",
             cond);
    return b;
}

/* Whether the condition holds for an event with exactly the given fields set to 1. */
static int cond(const char *c, const char *event)
{
    return match1(cond_rule(c), event);
}

static void test_conditions(void **state)
{
    (void)state;
    assert_true(cond("sel_a and sel_b", "{\"a\": 1, \"b\": 1}"));
    assert_false(cond("sel_a and sel_b", "{\"a\": 1}"));
    assert_true(cond("sel_a or sel_b", "{\"b\": 1}"));
    assert_false(cond("sel_a or sel_b", "{\"c\": 1}"));
    assert_true(cond("sel_a and not filter_c", "{\"a\": 1}"));
    assert_false(cond("sel_a and not filter_c", "{\"a\": 1, \"c\": 1}"));
    /* precedence: not > and > or */
    assert_true(cond("sel_a or sel_b and filter_c", "{\"a\": 1}"));
    assert_false(cond("(sel_a or sel_b) and filter_c", "{\"a\": 1}"));
    assert_true(cond("not sel_a and sel_b", "{\"b\": 1}"));
    assert_false(cond("not (sel_a and sel_b) and sel_b", "{\"a\": 1, \"b\": 1}"));
    /* quantifiers */
    assert_true(cond("1 of sel_*", "{\"b\": 1}"));
    assert_true(cond("any of sel_*", "{\"a\": 1}"));
    assert_false(cond("1 of sel_*", "{\"c\": 1}"));
    assert_true(cond("all of sel_*", "{\"a\": 1, \"b\": 1}"));
    assert_false(cond("all of sel_*", "{\"a\": 1}"));
    assert_true(cond("1 of them", "{\"c\": 1}"));
    assert_false(cond("1 of them", "{\"d\": 1}"));         /* them leaves out _hidden */
    assert_true(cond("all of them", "{\"a\": 1, \"b\": 1, \"c\": 1}"));
    assert_true(cond("all of sel_* and not 1 of filter_*", "{\"a\": 1, \"b\": 1}"));
    assert_false(cond("all of sel_* and not 1 of filter_*", "{\"a\": 1, \"b\": 1, \"c\": 1}"));
    assert_true(cond("_hidden", "{\"d\": 1}"));
    /* a list of conditions is their OR */
    assert_true(match1("    a1:\n        a: 1\n    b1:\n        b: 1\n"
                       "    condition:\n        - a1\n        - b1\n",
                       "{\"b\": 1}"));
    assert_false(match1("    a1:\n        a: 1\n    b1:\n        b: 1\n"
                        "    condition:\n        - a1\n        - b1\n",
                        "{\"c\": 1}"));
}

static void test_list_of_maps_and_all_of_one(void **state)
{
    (void)state;
    const char *b = "    sel:\n        - a: 1\n        - b: 1\n    condition: %s\n";
    char r[256];
    snprintf(r, sizeof r, b, "sel");
    assert_true(match1(r, "{\"b\": 1}"));
    snprintf(r, sizeof r, b, "1 of sel");
    assert_true(match1(r, "{\"a\": 1}"));
    snprintf(r, sizeof r, b, "all of sel");
    assert_false(match1(r, "{\"a\": 1}"));
    assert_true(match1(r, "{\"a\": 1, \"b\": 1}"));
    /* a map is an AND */
    assert_false(match1("    s:\n        a: 1\n        b: 1\n    condition: s\n", "{\"a\": 1}"));
}

static void test_condition_refusals(void **state)
{
    (void)state;
    refused(rule("    s:\n        a: 1\n    condition: s and t\n"), 9, "unknown search identifier 't'");
    refused(rule("    s:\n        a: 1\n    condition: s | count() by actor.id > 5\n"), 9,
            "use a correlation rule");
    refused(rule("    s:\n        a: 1\n    condition: (s\n"), 9, "missing ')'");
    refused(rule("    s:\n        a: 1\n    condition: 2 of s\n"), 9, "only '1 of'");
    refused(rule("    s:\n        a: 1\n    condition: 1 of x*\n"), 9, "no search identifier matches 'x*'");
    refused(rule("    s:\n        a: 1\n    condition: s s\n"), 9, "unexpected 's'");
    refused(rule("    s:\n        a: 1\n"), 7, "'condition' is required");
    refused(rule("    s:\n        a: 1\n    timeframe: 5m\n    condition: s\n"), 9, "use a correlation rule");
    refused(rule("    kw:\n        - evil\n        - bad\n    condition: kw\n"), 8,
            "keyword searches are not supported: name a field");
    refused(rule("    kw: evil\n    condition: kw\n"), 7, "keyword searches are not supported");
    refused(rule("    s:\n        '|re': x\n    condition: s\n"), 8, "keyword searches are not supported");
}

static void test_arrays_any_element(void **state)
{
    (void)state;
    const char *ev = "{\"target\": [{\"type\": \"User\", \"alternateId\": \"u@x\"},"
                     " {\"type\": \"AppInstance\", \"displayName\": \"Okta Admin Console\"}]}";
    assert_true(match1("    s:\n        target.type: AppInstance\n    condition: s\n", ev));
    assert_false(match1("    s:\n        target.type: Group\n    condition: s\n", ev));
    assert_true(match1("    s:\n        target.displayName|contains: admin console\n    condition: s\n", ev));
    /* an array at the end: any element */
    const char *tags = "{\"behaviors\": [\"New Device\", \"New IP\"]}";
    assert_true(match1("    s:\n        behaviors: new ip\n    condition: s\n", tags));
    /* |all over an array field: each value must be met by some element */
    assert_true(match1("    s:\n        behaviors|all:\n            - new device\n            - new ip\n"
                       "    condition: s\n", tags));
    assert_false(match1("    s:\n        behaviors|all:\n            - new device\n            - new geo\n"
                        "    condition: s\n", tags));
}

static void test_lowercase_names(void **state)
{
    (void)state;
    /* SigmaHQ's older lower-case field names against Okta's camelCase */
    assert_true(match1("    s:\n        eventtype: user.mfa.factor.deactivate\n"
                       "        displaymessage|contains: reset\n"
                       "    condition: s\n",
                       "{\"eventType\": \"user.mfa.factor.deactivate\","
                       " \"displayMessage\": \"Reset factor\"}"));
    /* data-lake events with lower-case keys against camelCase rules */
    assert_true(match1("    s:\n        eventType: user.session.start\n        outcome.result: FAILURE\n"
                       "    condition: s\n",
                       "{\"eventtype\": \"user.session.start\", \"outcome\": {\"result\": \"FAILURE\"}}"));
    /* an exact match wins over a case-insensitive one */
    assert_true(match1("    s:\n        Ab: exact\n    condition: s\n",
                       "{\"ab\": \"other\", \"Ab\": \"exact\"}"));
}

static void test_facts_fields(void **state)
{
    (void)state;
    json_error_t je;
    facts_obj = json_loads("{\"actor\": {\"admin\": true, \"country_new\": \"yes\"}}", 0, &je);
    struct idw_sigma_set *s = load(rule("    s:\n        idwatch.actor.admin: true\n"
                                        "    t:\n        idwatch.actor.country_new: 'yes'\n"
                                        "    condition: s and t\n"));
    facts_calls = 0;
    assert_int_equal(hits(s, "{\"eventType\": \"x\"}"), 1);
    assert_int_equal(facts_calls, 1);       /* two facts fields, one call */
    json_decref(facts_obj);
    facts_obj = NULL;                       /* no facts: every idwatch.* field is absent */
    assert_int_equal(hits(s, "{\"eventType\": \"x\"}"), 0);
    idw_sigma_set_free(s);
    /* a rule without facts fields never asks for them */
    s = load(rule("    s:\n        a: 1\n    condition: s\n"));
    facts_calls = 0;
    assert_int_equal(hits(s, "{\"a\": 1}"), 1);
    assert_int_equal(facts_calls, 0);
    idw_sigma_set_free(s);
}

static void test_coercions(void **state)
{
    (void)state;
    /* a plain number in the rule matches a JSON number and its string form */
    const char *num = "    s:\n        n: 5\n    condition: s\n";
    assert_true(match1(num, "{\"n\": 5}"));
    assert_true(match1(num, "{\"n\": 5.0}"));
    assert_true(match1(num, "{\"n\": \"5\"}"));
    assert_false(match1(num, "{\"n\": 6}"));
    /* numerically: 5.0 in the rule is 5 in the event, whatever the text */
    assert_true(match1("    s:\n        n: 5.0\n    condition: s\n", "{\"n\": 5}"));
    assert_true(match1("    s:\n        n: 5.0\n    condition: s\n", "{\"n\": \"5\"}"));
    /* a quoted number is a string: it still equals the JSON number's text */
    assert_true(match1("    s:\n        n: '5'\n    condition: s\n", "{\"n\": 5}"));
    /* booleans against JSON booleans and Okta's "true" strings */
    const char *bt = "    s:\n        debugContext.debugData.threatSuspected: true\n    condition: s\n";
    assert_true(match1(bt, "{\"debugContext\": {\"debugData\": {\"threatSuspected\": true}}}"));
    assert_true(match1(bt, "{\"debugContext\": {\"debugData\": {\"threatSuspected\": \"true\"}}}"));
    assert_false(match1(bt, "{\"debugContext\": {\"debugData\": {\"threatSuspected\": \"false\"}}}"));
    assert_false(match1(bt, "{\"debugContext\": {\"debugData\": {\"threatSuspected\": false}}}"));
    /* null and objects never equal a string */
    assert_false(match1("    s:\n        a: x\n    condition: s\n", "{\"a\": null}"));
    assert_false(match1("    s:\n        a: x\n    condition: s\n", "{\"a\": {\"x\": 1}}"));
}

static void test_metadata(void **state)
{
    (void)state;
    const char *y = "title: Factor reset by help desk\n"
                    "id: 6f2c1a8e-0000-4000-8000-000000000001\n"
                    "name: help_desk_reset\n"
                    "status: experimental\n"
                    "description: A help desk agent reset a factor\n"
                    "author: idwatch tests\n"
                    "references:\n    - https://example.invalid/ref\n"
                    "tags:\n    - attack.persistence\n    - attack.t1098\n    - attack.defense-evasion\n"
                    "    - attack.t1556.006\n    - attack.g0001\n    - attack.t1098\n    - car.2013-01-001\n"
                    "falsepositives:\n    - onboarding\n"
                    "level: high\n"
                    "custom_field: allowed by the spec\n"
                    "idwatch:\n    context: false\n    window: 30m\n    tests:\n        - event: {a: 1}\n"
                    "logsource:\n    product: Okta\n    service: okta\n"
                    "detection:\n    s:\n        a: 1\n    condition: s\n";
    struct idw_sigma_set *s = load(y);
    assert_int_equal(idw_sigma_count(s), 1);
    const struct idw_sigma_info *in = idw_sigma_info(idw_sigma_at(s, 0));
    assert_string_equal(in->id, "6f2c1a8e-0000-4000-8000-000000000001");
    assert_string_equal(in->name, "help_desk_reset");
    assert_string_equal(in->title, "Factor reset by help desk");
    assert_string_equal(in->description, "A help desk agent reset a factor");
    assert_string_equal(in->status, "experimental");
    assert_string_equal(in->file, "t.yml");
    assert_int_equal(in->line, 1);
    assert_int_equal(in->level, IDW_SEV_HIGH);
    assert_false(in->informational);
    assert_string_equal(in->mitre, "T1098,T1556.006");
    assert_string_equal(in->tactic, "persistence");
    assert_false(in->is_correlation);
    assert_false(in->context);
    assert_true(in->generates);
    assert_int_equal(in->window_ms, 30 * 60 * 1000);
    assert_true(json_is_array(in->tests));
    assert_int_equal(json_array_size(in->tests), 1);
    assert_string_equal(json_string_value(json_object_get(in->doc, "custom_field")), "allowed by the spec");
    assert_ptr_equal(idw_sigma_find(s, "help_desk_reset"), idw_sigma_at(s, 0));
    assert_ptr_equal(idw_sigma_find(s, in->id), idw_sigma_at(s, 0));
    assert_null(idw_sigma_find(s, "nope"));
    const struct idw_rule *r = idw_sigma_as_rule(idw_sigma_at(s, 0));
    assert_string_equal(r->id, in->id);
    assert_string_equal(r->description, in->title);
    assert_int_equal(r->kinds, IDW_KINDS_ALL);
    assert_null(r->on_event);
    assert_null(idw_sigma_correlations_of(idw_sigma_at(s, 0))[0]);
    idw_sigma_set_free(s);
}

static void test_metadata_defaults(void **state)
{
    (void)state;
    const char *y = "title: two\nlogsource:\n    product: okta\n"
                    "detection:\n    s:\n        a: 1\n    condition: s\n"
                    "---\n"
                    "title: three\nname: n3\nlevel: informational\nlogsource:\n    product: okta\n"
                    "detection:\n    s:\n        a: 1\n    condition: s\n";
    struct idw_sigma_set *s = load(y);
    assert_int_equal(idw_sigma_count(s), 2);
    const struct idw_sigma_info *a = idw_sigma_info(idw_sigma_at(s, 0));
    const struct idw_sigma_info *b = idw_sigma_info(idw_sigma_at(s, 1));
    assert_string_equal(a->id, "t.yml#1");
    assert_null(a->name);
    assert_int_equal(a->level, IDW_SEV_MEDIUM);
    assert_true(a->context);
    assert_int_equal(a->window_ms, 3600 * 1000);
    assert_null(a->tests);
    assert_string_equal(a->description, "");
    assert_string_equal(a->mitre, "");
    assert_string_equal(a->tactic, "");
    assert_string_equal(b->id, "n3");
    assert_int_equal(b->line, 9);
    assert_int_equal(b->level, IDW_SEV_LOW);
    assert_true(b->informational);
    assert_null(idw_sigma_at(s, 2));
    idw_sigma_set_free(s);
}

static void test_metadata_refusals(void **state)
{
    (void)state;
    const char *head = "logsource:\n    product: okta\ndetection:\n    s:\n        a: 1\n    condition: s\n";
    char y[1024];
    snprintf(y, sizeof y, "%slevel: severe\ntitle: x\n", head);
    refused(y, 7, "level must be");
    snprintf(y, sizeof y, "%stitle: x\nidwatch:\n    colour: blue\n", head);
    refused(y, 9, "idwatch: unknown key 'colour'");
    snprintf(y, sizeof y, "%stitle: x\nidwatch:\n    window: 31d\n", head);
    refused(y, 9, "idwatch.window must be");
    snprintf(y, sizeof y, "%stitle: x\nidwatch:\n    window: 0s\n", head);
    refused(y, 9, "idwatch.window must be");
    snprintf(y, sizeof y, "%stitle: x\nidwatch:\n    tests: {a: 1}\n", head);
    refused(y, 9, "idwatch.tests must be a list of mappings");
    snprintf(y, sizeof y, "%stitle: x\nidwatch:\n    context: perhaps\n", head);
    refused(y, 9, "idwatch.context must be true or false");
    snprintf(y, sizeof y, "%sid: x\n", head);
    refused(y, 1, "title is required");
    snprintf(y, sizeof y, "%stitle: x\nid:\n", head);
    refused(y, 8, "'id' must not be empty");
    snprintf(y, sizeof y, "%stitle: x\nname: ''\n", head);
    refused(y, 8, "'name' must not be empty");
    refused("title: x\ndetection:\n    s:\n        a: 1\n    condition: s\n", 1, "logsource is required");
    refused("title: x\nlogsource:\n    service: okta\n"
            "detection:\n    s:\n        a: 1\n    condition: s\n", 3,
            "logsource.product is required");
    refused("title: x\nlogsource:\n    product: okta\n", 1, "a rule needs 'detection'");
    /* a duplicate key, at any depth, names its line */
    refused(rule("    s:\n        a: 1\n        a: 2\n    condition: s\n"), 9, "duplicate key 'a'");
    refused("title: x\ntitle: y\n", 2, "duplicate key 'title'");
    refused("action: global\ntitle: x\nlogsource:\n    product: okta\n---\n"
            "detection:\n    s:\n        a: 1\n    condition: s\n", 1, "'action: global'");
    refused("title: x\n  bad: [\n", 2, "YAML:");
    refused("- a\n- b\n", 1, "a rule document must be a mapping");
}

static void test_all_or_nothing(void **state)
{
    (void)state;
    struct idw_sigma_set *s;
    char err[512];
    const char *good = "title: g\nid: g1\nlogsource:\n    product: okta\n"
                       "detection:\n    s:\n        a: 1\n    condition: s\n";
    char two[10000];

    assert_int_equal(idw_sigma_set_new(&s), IDW_OK);
    assert_int_equal(idw_sigma_load_buffer(s, "g.yml", good, strlen(good), err, sizeof err), IDW_OK);
    /* a file whose second document is refused keeps nothing of its first */
    snprintf(two, sizeof two, "title: h\nid: h1\nlogsource:\n    product: okta\n"
                              "detection:\n    s:\n        a: 1\n    condition: s\n---\n%s",
             rule("    s:\n        a|base64: x\n    condition: s\n"));
    assert_int_equal(idw_sigma_load_buffer(s, "bad.yml", two, strlen(two), err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "bad.yml:17: modifier 'base64' is not supported"));
    assert_int_equal(idw_sigma_count(s), 1);
    assert_null(idw_sigma_find(s, "h1"));
    assert_int_equal(idw_sigma_link(s, err, sizeof err), IDW_OK);
    idw_sigma_set_free(s);
}

static void test_other_products(void **state)
{
    (void)state;
    struct idw_sigma_set *s;
    char err[512] = "";
    const char *win = "title: w\nlogsource:\n    product: windows\n    category: process_creation\n"
                      "detection:\n    s:\n        Image|endswith|windash: '\\\\cmd.exe'\n    condition: s\n";
    assert_int_equal(idw_sigma_set_new(&s), IDW_OK);
    assert_int_equal(idw_sigma_load_buffer(s, "w.yml", win, strlen(win), err, sizeof err), IDW_NOTFOUND);
    assert_string_equal(err, "w.yml: logsource product 'windows', not okta: skipped");
    assert_int_equal(idw_sigma_count(s), 0);
    char mixed[10000];
    snprintf(mixed, sizeof mixed, "%s---\n%s", rule("    s:\n        a: 1\n    condition: s\n"), win);
    assert_int_equal(idw_sigma_load_buffer(s, "m.yml", mixed, strlen(mixed), err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "m.yml: mixes okta rules with rules for logsource product 'windows'"));
    assert_int_equal(idw_sigma_count(s), 0);
    idw_sigma_set_free(s);
}

/* The facts callback counts evaluations of rules that read facts: a dispatch probe. */
static void test_dispatch(void **state)
{
    (void)state;
    json_error_t je;
    facts_obj = json_loads("{\"actor\": {\"x\": 1}}", 0, &je);
    /* the facts field comes first: evaluating the rule at all asks for the facts */
    struct idw_sigma_set *s = load(rule("    s:\n        idwatch.actor.x: 1\n"
                                        "        eventType:\n            - a.b\n            - A.C\n"
                                        "    condition: s\n"));
    facts_calls = 0;
    assert_int_equal(hits(s, "{\"eventType\": \"x.y\", \"eventtype\": \"a.b\"}"), 0);
    assert_int_equal(facts_calls, 0);       /* not evaluated for another type */
    assert_int_equal(hits(s, "{\"eventType\": \"a.b\"}"), 1);
    assert_int_equal(hits(s, "{\"eventType\": \"a.c\"}"), 1);
    assert_int_equal(facts_calls, 2);
    idw_sigma_set_free(s);
    /* `not eventType: a.b` (or an OR with an untyped part) is evaluated for every type */
    s = load(rule("    t:\n        eventType: a.b\n    f:\n        idwatch.actor.x: 1\n"
                  "    condition: t or f\n"));
    facts_calls = 0;
    assert_int_equal(hits(s, "{\"eventType\": \"x.y\"}"), 1);
    assert_int_equal(facts_calls, 1);
    idw_sigma_set_free(s);
    /* an AND with a typed part is dispatched; an event without eventType still gets every rule */
    s = load(rule("    t:\n        eventType: a.b\n    f:\n        idwatch.actor.x: 1\n"
                  "    condition: t and f\n"));
    facts_calls = 0;
    assert_int_equal(hits(s, "{\"eventType\": \"x.y\"}"), 0);
    assert_int_equal(facts_calls, 0);
    json_t *raw = json_loads("{\"eventtype\": \"a.b\"}", 0, &je);
    struct idw_sigma_event ev = {.raw = raw, .event_type = NULL, .facts = get_facts};
    assert_int_equal(idw_sigma_match(s, &ev, NULL, NULL), 1);
    json_decref(raw);
    idw_sigma_set_free(s);
    json_decref(facts_obj);
    facts_obj = NULL;
}

static void record(void *arg, const struct idw_sigma_rule *r)
{
    char *out = arg;
    strcat(out, idw_sigma_info(r)->id);
    strcat(out, ";");
}

static void test_match_order_and_enabled(void **state)
{
    (void)state;
    const char *y = "title: a\nid: r1\nlogsource: {product: okta}\n"
                    "detection: {s: {x: 1}, condition: s}\n---\n"
                    "title: b\nid: r2\nlogsource: {product: okta}\n"
                    "detection: {s: {eventType: t.t, x: 1}, condition: s}\n---\n"
                    "title: c\nid: r3\nlogsource: {product: okta}\ndetection: {s: {x: 1}, condition: s}\n";
    struct idw_sigma_set *s;
    char err[256];
    char got[64] = "";

    assert_int_equal(idw_sigma_set_new(&s), IDW_OK);
    assert_int_equal(idw_sigma_load_buffer(s, "t.yml", y, strlen(y), err, sizeof err), IDW_OK);
    idw_sigma_set_enabled(s, "r3", 0);
    assert_false(idw_sigma_enabled(idw_sigma_find(s, "r3")));
    assert_int_equal(idw_sigma_link(s, err, sizeof err), IDW_OK);
    json_t *raw = json_pack("{s:s, s:i}", "eventType", "t.t", "x", 1);
    struct idw_sigma_event ev = {.raw = raw, .event_type = "t.t"};
    assert_int_equal(idw_sigma_match(s, &ev, record, got), 2);
    assert_string_equal(got, "r1;r2;");
    json_decref(raw);
    idw_sigma_set_free(s);
}

static void test_duplicate_ids(void **state)
{
    (void)state;
    struct idw_sigma_set *s;
    char err[512];
    const char *a = "title: a\nid: same\nlogsource: {product: okta}\ndetection: {s: {x: 1}, condition: s}\n";
    const char *b = "\n\ntitle: b\nid: same\nlogsource: {product: okta}\n"
                    "detection: {s: {x: 1}, condition: s}\n";

    assert_int_equal(idw_sigma_set_new(&s), IDW_OK);
    assert_int_equal(idw_sigma_load_buffer(s, "a.yml", a, strlen(a), err, sizeof err), IDW_OK);
    assert_int_equal(idw_sigma_load_buffer(s, "b.yml", b, strlen(b), err, sizeof err), IDW_OK);
    assert_int_equal(idw_sigma_link(s, err, sizeof err), IDW_ERR);
    assert_string_equal(err, "b.yml:3: duplicate rule id or name 'same' (also a.yml:1)");
    idw_sigma_set_free(s);
}

static void test_field_text(void **state)
{
    (void)state;
    json_error_t je;
    json_t *raw = json_loads("{\"target\": [{\"alternateId\": \"a@x\"}, {\"alternateId\": \"b@x\"}],"
                             " \"n\": 3, \"b\": true, \"z\": null}", 0, &je);
    struct idw_sigma_event ev = {.raw = raw};
    char out[64];
    char tiny[5];
    assert_string_equal(idw_sigma_field_text(&ev, "target.alternateId", out, sizeof out), "a@x, b@x");
    assert_string_equal(idw_sigma_field_text(&ev, "n", out, sizeof out), "3");
    assert_string_equal(idw_sigma_field_text(&ev, "b", out, sizeof out), "true");
    assert_string_equal(idw_sigma_field_text(&ev, "z", out, sizeof out), "");
    assert_string_equal(idw_sigma_field_text(&ev, "missing.x", out, sizeof out), "");
    assert_string_equal(idw_sigma_field_text(&ev, "idwatch.actor.x", out, sizeof out), "");
    assert_string_equal(idw_sigma_field_text(&ev, "target.alternateId", tiny, sizeof tiny), "a@x,");
    json_decref(raw);
}

/* ---- the rules-directory walk --------------------------------------------------------------- */

static enum idw_rc collect(const char *path, void *arg)
{
    char *seen = arg;
    const char *rel = strstr(path, "/r/") + 3;
    strcat(seen, rel);
    strcat(seen, ";");
    return strstr(path, "stop") ? IDW_ERR : IDW_OK;
}

static void touch(const char *dir, const char *rel)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
}

static void test_each_file(void **state)
{
    char tmpl[] = "/tmp/idw-sigma-walk-XXXXXX", dir[256], path[300], seen[1024] = "", err[512];
    (void)state;
    assert_non_null(mkdtemp(tmpl));
    snprintf(dir, sizeof dir, "%s/r", tmpl);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(path, sizeof path, "%s/okta", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/.hidden", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    touch(dir, "b.yaml");
    touch(dir, "a.yml");
    touch(dir, "notes.txt");
    touch(dir, "x.yml.bak");
    touch(dir, "okta/c.yml");
    touch(dir, ".hidden/d.yml");
    /* name order, depth first, only .yml/.yaml, dot entries skipped */
    assert_int_equal(idw_sigma_each_file(dir, collect, seen, err, sizeof err), IDW_OK);
    assert_string_equal(seen, "a.yml;b.yaml;okta/c.yml;");
    /* the callback's refusal stops the walk and is returned */
    touch(dir, "okta/stop.yml");
    touch(dir, "z.yml");
    seen[0] = 0;
    assert_int_equal(idw_sigma_each_file(dir, collect, seen, err, sizeof err), IDW_ERR);
    assert_string_equal(seen, "a.yml;b.yaml;okta/c.yml;okta/stop.yml;");
    /* no such directory: IDW_NOTFOUND, naming it */
    snprintf(path, sizeof path, "%s/none", tmpl);
    assert_int_equal(idw_sigma_each_file(path, collect, seen, err, sizeof err), IDW_NOTFOUND);
    assert_non_null(strstr(err, "/none"));
    snprintf(path, sizeof path, "rm -rf '%s'", tmpl);
    assert_int_equal(system(path), 0);
}

/* A rule file's size is checked before it is read: over 16 MiB is refused, naming the file. */
static void test_load_file_too_large(void **state)
{
    char path[] = "/tmp/idw-sigma-big-XXXXXX", err[512];
    struct idw_sigma_set *s;
    int fd = mkstemp(path);
    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (16 << 20) + 1), 0);     /* sparse: no disk used */
    close(fd);
    assert_int_equal(idw_sigma_set_new(&s), IDW_OK);
    assert_int_equal(idw_sigma_load_file(s, path, err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "larger than 16 MiB"));
    assert_non_null(strstr(err, path));
    assert_int_equal(idw_sigma_count(s), 0);
    idw_sigma_set_free(s);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_and_cased),
        cmocka_unit_test(test_contains_starts_ends_all),
        cmocka_unit_test(test_wildcards_and_escapes),
        cmocka_unit_test(test_regex),
        cmocka_unit_test(test_cidr),
        cmocka_unit_test(test_exists_and_null),
        cmocka_unit_test(test_numeric_comparisons),
        cmocka_unit_test(test_fieldref),
        cmocka_unit_test(test_neq),
        cmocka_unit_test(test_unsupported_modifiers),
        cmocka_unit_test(test_conditions),
        cmocka_unit_test(test_list_of_maps_and_all_of_one),
        cmocka_unit_test(test_condition_refusals),
        cmocka_unit_test(test_arrays_any_element),
        cmocka_unit_test(test_lowercase_names),
        cmocka_unit_test(test_facts_fields),
        cmocka_unit_test(test_coercions),
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_metadata_defaults),
        cmocka_unit_test(test_metadata_refusals),
        cmocka_unit_test(test_all_or_nothing),
        cmocka_unit_test(test_other_products),
        cmocka_unit_test(test_dispatch),
        cmocka_unit_test(test_match_order_and_enabled),
        cmocka_unit_test(test_duplicate_ids),
        cmocka_unit_test(test_field_text),
        cmocka_unit_test(test_each_file),
        cmocka_unit_test(test_load_file_too_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
