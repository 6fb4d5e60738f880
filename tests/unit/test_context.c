/*
 * test_context.c — persona-aware severity (engine/context.h) on hand-built
 * facts: the formula of docs/rules.md row by row.  A rule's level is the
 * base; unfamiliar context raises one step, recent trouble (a medium+
 * alert, a factor reset) one more, capped at critical; routine work from a
 * known context is lowered to low; a learning actor is never called
 * unfamiliar; a rule that opts out keeps its level.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "engine/context.h"

/* Facts with an established actor in a familiar context, who did this `count` times before. */
static json_t *familiar(int count)
{
    return json_pack("{s:{s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:i}}", "actor", "person", 1, "learning", 0,
                     "network_known", 1, "country_known", 1, "device_known", 1, "usual_hour", 1,
                     "first_time_action", count == 0, "action_count", count);
}

static enum idw_severity judge(enum idw_severity base, int context, const json_t *facts, char *why,
                               size_t whylen)
{
    struct idw_context_verdict v;

    idw_context_severity(base, context, facts, &v);
    if (why)
        snprintf(why, whylen, "%s", v.why);
    return v.severity;
}

static void test_routine_work_is_lowered(void **state)
{
    json_t *f = familiar(3);
    char why[400];

    (void)state;
    assert_int_equal(judge(IDW_SEV_HIGH, 1, f, why, sizeof why), IDW_SEV_LOW);
    assert_non_null(strstr(why, "routinely"));
    json_decref(f);
}

static void test_not_yet_routine_keeps_the_level(void **state)
{
    json_t *f = familiar(2);

    (void)state;
    assert_int_equal(judge(IDW_SEV_HIGH, 1, f, NULL, 0), IDW_SEV_HIGH);
    json_decref(f);
}

static void test_unfamiliar_context_raises_one_step(void **state)
{
    json_t *f = familiar(5);
    char why[400];

    (void)state;
    json_object_set_new(json_object_get(f, "actor"), "network_known", json_false());
    assert_int_equal(judge(IDW_SEV_MEDIUM, 1, f, why, sizeof why), IDW_SEV_HIGH);
    assert_non_null(strstr(why, "a network new to the actor"));
    json_object_set_new(json_object_get(f, "actor"), "usual_hour", json_false());
    assert_int_equal(judge(IDW_SEV_MEDIUM, 1, f, NULL, 0), IDW_SEV_HIGH);   /* one step, however many */
    json_decref(f);
}

static void test_first_time_raises(void **state)
{
    json_t *f = familiar(0);
    char why[400];

    (void)state;
    assert_int_equal(judge(IDW_SEV_MEDIUM, 1, f, why, sizeof why), IDW_SEV_HIGH);
    assert_non_null(strstr(why, "first time"));
    json_decref(f);
}

static void test_recent_trouble_adds_a_step_and_caps(void **state)
{
    json_t *f = familiar(0);
    char why[400];

    (void)state;
    json_object_set_new(json_object_get(f, "actor"), "factor_reset_hours", json_real(3.5));
    assert_int_equal(judge(IDW_SEV_MEDIUM, 1, f, why, sizeof why), IDW_SEV_CRITICAL);
    assert_non_null(strstr(why, "factor reset on the actor"));
    assert_int_equal(judge(IDW_SEV_HIGH, 1, f, NULL, 0), IDW_SEV_CRITICAL);
    json_object_set_new(json_object_get(f, "actor"), "factor_reset_hours", json_real(30));
    assert_int_equal(judge(IDW_SEV_MEDIUM, 1, f, NULL, 0), IDW_SEV_HIGH);     /* older than 24 h */
    json_decref(f);
}

static void test_trouble_blocks_routine(void **state)
{
    json_t *f = familiar(8);

    (void)state;
    json_object_set_new(f, "target", json_pack("{s:b, s:f}", "person", 1, "recent_alert_hours", 1.0));
    assert_int_equal(judge(IDW_SEV_MEDIUM, 1, f, NULL, 0), IDW_SEV_HIGH);
    json_decref(f);
}

static void test_learning_actor_is_not_unfamiliar(void **state)
{
    json_t *f = familiar(0);

    (void)state;
    json_object_set_new(json_object_get(f, "actor"), "learning", json_true());
    json_object_set_new(json_object_get(f, "actor"), "network_known", json_false());
    assert_int_equal(judge(IDW_SEV_MEDIUM, 1, f, NULL, 0), IDW_SEV_MEDIUM);
    json_decref(f);
}

static void test_no_person_and_opt_out_keep_the_level(void **state)
{
    json_t *none = json_object();
    json_t *f = familiar(9);

    (void)state;
    assert_int_equal(judge(IDW_SEV_HIGH, 1, none, NULL, 0), IDW_SEV_HIGH);
    assert_int_equal(judge(IDW_SEV_HIGH, 1, NULL, NULL, 0), IDW_SEV_HIGH);
    assert_int_equal(judge(IDW_SEV_HIGH, 0, f, NULL, 0), IDW_SEV_HIGH);    /* routine, but opted out */
    json_decref(none);
    json_decref(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routine_work_is_lowered),
        cmocka_unit_test(test_not_yet_routine_keeps_the_level),
        cmocka_unit_test(test_unfamiliar_context_raises_one_step),
        cmocka_unit_test(test_first_time_raises),
        cmocka_unit_test(test_recent_trouble_adds_a_step_and_caps),
        cmocka_unit_test(test_trouble_blocks_routine),
        cmocka_unit_test(test_learning_actor_is_not_unfamiliar),
        cmocka_unit_test(test_no_person_and_opt_out_keep_the_level),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
