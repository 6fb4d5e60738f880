/*
 * test_select.c — an org's event-type selection (src/event/select.h):
 * categories, explicit types, their combinations, and refused entries.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "event/classify.h"
#include "event/select.h"

static int keeps(const char *json, const char *type)
{
    json_error_t je;
    json_t *arr = json_loads(json, 0, &je);
    struct idw_event_selection s;
    char err[256];
    int r;

    assert_non_null(arr);
    assert_int_equal(idw_selection_read(arr, "orgs[x].event_types", &s, err, sizeof err), 0);
    r = idw_selection_match(&s, type, idw_classify(type));
    idw_selection_free(&s);
    json_decref(arr);
    return r;
}

static void test_everything_by_default(void **state)
{
    (void)state;
    assert_true(keeps("[]", "user.session.start"));
    assert_true(keeps("[]", "group.privilege.grant"));
    assert_true(keeps("[]", "some.unlisted.type"));
}

static void test_categories(void **state)
{
    (void)state;
    assert_true(keeps("[\"authentication\"]", "user.session.start"));
    assert_true(keeps("[\"authentication\"]", "user.mfa.okta_verify.deny_push"));
    assert_false(keeps("[\"authentication\"]", "security.threat.detected"));
    assert_false(keeps("[\"authentication\"]", "user.session.context.change"));   /* ITP only */
    assert_true(keeps("[\"security\"]", "security.threat.detected"));
    assert_false(keeps("[\"security\"]", "user.risk.detect"));
    assert_true(keeps("[\"itp\"]", "user.risk.detect"));
    assert_true(keeps("[\"itp\"]", "policy.entity_risk.action"));
    assert_true(keeps("[\"itp\"]", "user.session.context.change"));
    assert_false(keeps("[\"itp\"]", "user.session.start"));
    assert_true(keeps("[\"admin\"]", "group.privilege.grant"));
    assert_false(keeps("[\"admin\"]", "user.lifecycle.create"));
    assert_true(keeps("[\"lifecycle\"]", "user.lifecycle.create"));
    assert_true(keeps("[\"lifecycle\"]", "user.lifecycle.suspend"));
    assert_false(keeps("[\"lifecycle\"]", "user.session.start"));
}

static void test_combinations_and_types(void **state)
{
    (void)state;
    const char *sel = "[\"security\", \"itp\", \"user.account.privilege.grant\"]";
    assert_true(keeps(sel, "security.attack.start"));
    assert_true(keeps(sel, "user.risk.change"));
    assert_true(keeps(sel, "user.account.privilege.grant"));
    assert_false(keeps(sel, "user.account.privilege.revoke"));
    assert_false(keeps(sel, "user.session.start"));
}

static void test_refused_entries(void **state)
{
    (void)state;
    const char *bad[] = {"[\"Authentication\"]", "[\"auth\"]", "[\"user..start\"]", "[\"x.\"]",
                         "[\"user.session.START\"]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_error_t je;
        json_t *arr = json_loads(bad[i], 0, &je);
        struct idw_event_selection s;
        char err[256] = "";
        assert_int_equal(idw_selection_read(arr, "orgs[x].event_types", &s, err, sizeof err), -1);
        assert_non_null(strstr(err, "orgs[x].event_types[0]"));
        assert_non_null(strstr(err, "neither a category"));
        json_decref(arr);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_everything_by_default),
        cmocka_unit_test(test_categories),
        cmocka_unit_test(test_combinations_and_types),
        cmocka_unit_test(test_refused_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
