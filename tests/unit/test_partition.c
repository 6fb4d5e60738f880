/*
 * test_partition.c — org → partition (src/cluster/partition.h): FNV-1a 32
 * against the published test vectors, the modulo, overrides, and the
 * configuration's errors named by their JSON path (through the config
 * loader, so its schema and partition.c's checks are tested together).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cluster/partition.h"
#include "common/config.h"

/* FNV-1a 32 test vectors (the FNV reference test suite: fnv_test.c by Landon Curt Noll) */
static void test_fnv1a32_vectors(void **state)
{
    (void)state;
    assert_int_equal(idw_fnv1a32("", 0), 0x811c9dc5u);
    assert_int_equal(idw_fnv1a32("a", 1), 0xe40c292cu);
    assert_int_equal(idw_fnv1a32("b", 1), 0xe70c2de5u);
    assert_int_equal(idw_fnv1a32("foobar", 6), 0xbf9cf968u);
    assert_int_equal(idw_fnv1a32("chongo was here!\n", 17), 0xd49930d5u);
}

/* Loads text through the config loader, then the partitioning: the rc, err filled. */
static int load(const char *text, struct idw_partitioning *pt, char *err, size_t errlen)
{
    struct idw_config cfg;
    int rc;

    if (idw_config_parse(text, "test", &cfg, err, errlen) < 0)
        return -1;
    rc = idw_partitioning_load(cfg.root, pt, err, errlen);
    idw_config_free(&cfg);
    return rc;
}

static void test_default_and_modulo(void **state)
{
    struct idw_partitioning pt;
    char err[256];

    (void)state;
    assert_int_equal(load("{}", &pt, err, sizeof err), 0);
    assert_int_equal(pt.partitions, IDW_PARTITIONS_DEFAULT);
    assert_int_equal(idw_partition_of(&pt, "foobar"), 0xbf9cf968u % IDW_PARTITIONS_DEFAULT);
    idw_partitioning_free(&pt);
    assert_int_equal(load("{\"cluster\": {\"partitions\": 7}}", &pt, err, sizeof err), 0);
    assert_int_equal(idw_partition_of(&pt, "foobar"), 0xbf9cf968u % 7);
    assert_int_equal(idw_partition_of(&pt, "a"), 0xe40c292cu % 7);
    idw_partitioning_free(&pt);
}

static void test_overrides(void **state)
{
    struct idw_partitioning pt;
    char err[256];

    (void)state;
    assert_int_equal(load("{\"cluster\": {\"partitions\": 7, "
                          "\"overrides\": {\"foobar\": 6, \"big.one\": 0}}}", &pt, err, sizeof err), 0);
    assert_int_equal(idw_partition_of(&pt, "foobar"), 6);   /* the hash alone gives 0 */
    assert_int_equal(idw_partition_of(&pt, "big.one"), 0);
    assert_int_equal(idw_partition_of(&pt, "a"), 0xe40c292cu % 7);     /* not listed: the hash */
    idw_partitioning_free(&pt);
}

static void test_config_errors(void **state)
{
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"{\"cluster\": {\"partitions\": 0}}", "cluster.partitions: must be an integer between 1 and 4096"},
        {"{\"cluster\": {\"partitions\": 5000}}", "cluster.partitions: must be"},
        {"{\"cluster\": {\"partitions\": \"8\"}}", "cluster.partitions: expected an integer"},
        {"{\"cluster\": {\"partitions\": 4, \"overrides\": {\"acme\": 4}}}",
         "cluster.overrides.acme: must be an integer between 0 and 3"},
        {"{\"cluster\": {\"overrides\": {\"acme\": -1}}}", "cluster.overrides.acme: must be"},
        {"{\"cluster\": {\"overrides\": {\"acme\": \"2\"}}}", "cluster.overrides.acme: must be"},
        {"{\"cluster\": {\"overrides\": [1]}}", "cluster.overrides: expected an object"},
        {"{\"cluster\": {\"partition\": 3}}", "cluster.partition: unknown key"},
        {"{\"cluster\": {\"nats\": \"nats://x\"}}", "cluster.nats: expected an array of strings"},
    };
    struct idw_partitioning pt;
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = '\0';
        assert_int_equal(load(bad[i].text, &pt, err, sizeof err), -1);
        if (!strstr(err, bad[i].want))
            fail_msg("%s: got '%s', expected '%s'", bad[i].text, err, bad[i].want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv1a32_vectors),
        cmocka_unit_test(test_default_and_modulo),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
