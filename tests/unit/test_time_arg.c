/*
 * test_time_arg.c — idw_parse_time_arg, the one reader of the times typed
 * on a command line (`alerts list --since 24h --until 2026-11-01T00:00:00Z`):
 * durations back from a given now, RFC 3339 timestamps, and what it refuses.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "common/util.h"

#define NOW 1800000000000LL     /* 2027-01-15T08:00:00Z */

static void test_durations(void **state)
{
    int64_t t = 0;

    (void)state;
    assert_int_equal(idw_parse_time_arg("24h", NOW, &t), IDW_OK);
    assert_int_equal(t, NOW - 24 * IDW_HOUR_MS);
    assert_int_equal(idw_parse_time_arg("7d", NOW, &t), IDW_OK);
    assert_int_equal(t, NOW - 7 * IDW_DAY_MS);
    assert_int_equal(idw_parse_time_arg("30m", NOW, &t), IDW_OK);
    assert_int_equal(t, NOW - 30 * IDW_MIN_MS);
    assert_int_equal(idw_parse_time_arg("90s", NOW, &t), IDW_OK);
    assert_int_equal(t, NOW - 90000);
    assert_int_equal(idw_parse_time_arg("2w", NOW, &t), IDW_OK);
    assert_int_equal(t, NOW - 14 * IDW_DAY_MS);
    assert_int_equal(idw_parse_time_arg("0h", NOW, &t), IDW_OK);
    assert_int_equal(t, NOW);
}

static void test_timestamps(void **state)
{
    int64_t t = 0;

    (void)state;
    assert_int_equal(idw_parse_time_arg("2027-01-15T08:00:00Z", 0, &t), IDW_OK);
    assert_int_equal(t, NOW);
    assert_int_equal(idw_parse_time_arg("2027-01-15T10:00:00.5+02:00", 0, &t), IDW_OK);
    assert_int_equal(t, NOW + 500);
}

static void test_refused(void **state)
{
    static const char *const bad[] = {
        "", "h", "24", "24x", "24hh", "24h ", " 24h", "-24h", "2.5h", "24H", "yesterday",
        "2027-01-15", "99999999999999999999d", "36601d", NULL,
    };
    int64_t t = 42;

    (void)state;
    assert_int_equal(idw_parse_time_arg(NULL, NOW, &t), IDW_ERR);
    for (const char *const *s = bad; *s; s++) {
        if (idw_parse_time_arg(*s, NOW, &t) != IDW_ERR)
            fail_msg("'%s' was accepted", *s);
        assert_int_equal(t, 42);        /* untouched */
    }
    assert_int_equal(idw_parse_time_arg("36500d", NOW, &t), IDW_OK);   /* 100 years */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_timestamps),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests_name("time_arg", tests, NULL, NULL);
}
