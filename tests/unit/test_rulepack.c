/*
 * test_rulepack.c — rules in the log (src/cluster/rulepack.h) and their
 * application (src/cluster/apply.h): a rules directory read, fingerprinted
 * by content (not location), carried in a message and written back; a
 * message that does not check (tampered fingerprint or content, an unsafe
 * path) refused as the message's fault; the applier recording the rules
 * with applied_seq and loading them again when reopened; a later
 * release's rules stopping it, an earlier one's applying.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cluster/apply.h"
#include "cluster/rulepack.h"
#include "cluster/wal.h"
#include "common/util.h"

static char base[64];

static void put(const char *rel, const char *text)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", base, rel);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
    char d[128];

    (void)state;
    snprintf(base, sizeof base, "/tmp/idw-rulepack-XXXXXX");
    if (!mkdtemp(base))
        return -1;
    snprintf(d, sizeof d, "%s/src", base);
    mkdir(d, 0700);
    snprintf(d, sizeof d, "%s/src/okta", base);
    mkdir(d, 0700);
    put("src/brute_force.json", "{\"enabled\": false}\n");
    put("src/okta/a.yml", "title: a\n");
    put("src/okta/README.md", "not a rule\n");
    put("src/okta/.hidden.yml", "skipped\n");
    put("src/zz.yaml", "title: z é\n");
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
    return system(cmd) == 0 ? 0 : -1;
}

static json_t *read_dir(const char *rel, char fp[IDW_RULEPACK_FP_HEX + 1])
{
    char dir[128], err[256];
    json_t *files = NULL;

    snprintf(dir, sizeof dir, "%s/%s", base, rel);
    assert_int_equal(idw_rulepack_read_dir(dir, &files, err, sizeof err), IDW_OK);
    assert_int_equal(idw_rulepack_fingerprint(files, fp), IDW_OK);
    return files;
}

static json_t *message(const json_t *files, const char *release)
{
    char err[256];
    json_t *m = NULL;

    assert_int_equal(idw_rulepack_message(files, release, 1700000000000, "ops",
                                          "0123456789abcdef0123456789abcdef", &m, err, sizeof err), IDW_OK);
    return m;
}

/* The *.json at the top and the Sigma files, sorted by path; the rest left out. */
static void test_read_and_round_trip(void **state)
{
    char fp[IDW_RULEPACK_FP_HEX + 1], fp2[IDW_RULEPACK_FP_HEX + 1], out[512], err[256], cmd[1400];
    json_t *files = read_dir("src", fp), *m, *back = NULL, *again;
    int bad = 1;

    (void)state;
    assert_int_equal(json_array_size(files), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(files, 0), "path")), "brute_force.json");
    assert_string_equal(json_string_value(json_object_get(json_array_get(files, 1), "path")), "okta/a.yml");
    assert_string_equal(json_string_value(json_object_get(json_array_get(files, 2), "path")), "zz.yaml");
    m = message(files, "0.1.0");
    assert_string_equal(json_string_value(json_object_get(m, "fingerprint")), fp);
    assert_int_equal(idw_rulepack_files(m, &back, &bad, err, sizeof err), IDW_OK);
    assert_int_equal(bad, 0);
    assert_true(json_equal(back, files));
    /* written back and read again: the same fingerprint, in another place */
    snprintf(out, sizeof out, "%s/root", base);
    char dir[600];
    assert_int_equal(idw_rulepack_unpack(back, out, dir, sizeof dir, err, sizeof err), IDW_OK);
    assert_non_null(strstr(dir, fp));
    again = read_dir(dir + strlen(base) + 1, fp2);
    assert_string_equal(fp, fp2);
    /* a damaged copy is set aside and written again */
    snprintf(cmd, sizeof cmd, "echo tampered > '%s/okta/a.yml'", dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(idw_rulepack_unpack(back, out, dir, sizeof dir, err, sizeof err), IDW_OK);
    json_decref(again);
    again = read_dir(dir + strlen(base) + 1, fp2);
    assert_string_equal(fp, fp2);
    json_decref(again);
    /* damaged twice in one process: each copy set aside on its own, no work directory left over */
    assert_int_equal(system(cmd), 0);
    assert_int_equal(idw_rulepack_unpack(back, out, dir, sizeof dir, err, sizeof err), IDW_OK);
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | grep -c '^\\.bad-') = 2 && ! ls -A '%s' | grep -q '^\\.tmp-'",
             out, out);
    assert_int_equal(system(cmd), 0);
    /* a failed unpack (a file where its directory goes) leaves no work directory behind either */
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && echo x > '%s'", dir, dir);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(idw_rulepack_unpack(back, out, dir, sizeof dir, err, sizeof err), IDW_ERR);
    snprintf(cmd, sizeof cmd, "! ls -A '%s' | grep -q '^\\.tmp-'", out);
    assert_int_equal(system(cmd), 0);
    json_decref(back);
    json_decref(m);
    json_decref(files);
}

/* Tampering with the fingerprint, the content or the size: refused as the message's fault. */
static void test_tampered(void **state)
{
    char fp[IDW_RULEPACK_FP_HEX + 1], err[256];
    json_t *files = read_dir("src", fp), *m, *back = NULL, *evil;
    int bad = 0;

    (void)state;
    m = message(files, "0.1.0");
    json_object_set_new(m, "fingerprint", json_string("00000000000000000000000000000000"
                                                      "00000000000000000000000000000000"));
    assert_int_equal(idw_rulepack_files(m, &back, &bad, err, sizeof err), IDW_ERR);
    assert_int_equal(bad, 1);
    assert_non_null(strstr(err, "fingerprint"));
    json_decref(m);

    m = message(files, "0.1.0");
    json_object_set_new(m, "size", json_integer(json_integer_value(json_object_get(m, "size")) + 1));
    assert_int_equal(idw_rulepack_files(m, &back, &bad, err, sizeof err), IDW_ERR);
    assert_int_equal(bad, 1);
    assert_non_null(strstr(err, "inflate"));
    json_decref(m);

    m = message(files, "0.1.0");
    json_object_set_new(m, "files_z", json_string("!!!!"));
    assert_int_equal(idw_rulepack_files(m, &back, &bad, err, sizeof err), IDW_ERR);
    assert_int_equal(bad, 1);
    json_decref(m);

    /* a path out of the rules directory, fingerprinted honestly: still refused */
    evil = json_pack("[{s:s, s:s}]", "path", "../../etc/cron.d/x.yml", "text", "x");
    m = message(evil, "0.1.0");
    assert_int_equal(idw_rulepack_files(m, &back, &bad, err, sizeof err), IDW_ERR);
    assert_int_equal(bad, 1);
    assert_non_null(strstr(err, "unsafe"));
    assert_null(back);
    json_decref(m);
    json_decref(evil);

    /* a file and a directory of the same name cannot both be written: refused, not an unpack error */
    evil = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "path", "a.yml", "text", "x", "path", "a.yml-x.yml",
                     "text", "x", "path", "a.yml/b.yml", "text", "x");
    m = message(evil, "0.1.0");
    assert_int_equal(idw_rulepack_files(m, &back, &bad, err, sizeof err), IDW_ERR);
    assert_int_equal(bad, 1);
    assert_non_null(strstr(err, "under another file"));
    json_decref(m);
    json_decref(evil);

    /* 60000 files deflate to almost nothing: refused before jansson parses them (64 MiB of
     * "[{},{},...]" would take it gigabytes) */
    evil = json_array();
    for (int i = 0; i < 60000; i++)
        json_array_append_new(evil, json_pack("{s:s, s:s}", "path", "a.yml", "text", ""));
    m = message(evil, "0.1.0");
    assert_int_equal(idw_rulepack_files(m, &back, &bad, err, sizeof err), IDW_ERR);
    assert_int_equal(bad, 1);
    assert_non_null(strstr(err, "JSON values"));
    json_decref(m);
    json_decref(evil);
    json_decref(files);
}

static void test_release_cmp(void **state)
{
    (void)state;
    assert_true(idw_rulepack_release_cmp("0.1.0", "0.1.0") == 0);
    assert_true(idw_rulepack_release_cmp("0.2.0", "0.10.0") < 0);
    assert_true(idw_rulepack_release_cmp("1.0", "0.9.9") > 0);
    assert_true(idw_rulepack_release_cmp("0.1", "0.1.0") == 0);
}

/* ---- the applier --------------------------------------------------------------------- */

static int opened;

static enum idw_rc open_dir(void *ctx, const char *dir, struct idw_detect **out, char *err, size_t errlen)
{
    (void)ctx;
    opened++;
    return idw_detect_open(dir, out, err, errlen);
}

static enum idw_rc apply_msg(struct idw_apply *ap, uint64_t seq, const json_t *m,
                             enum idw_apply_result *res, char *err, size_t errlen)
{
    size_t len;
    char *s = idw_wal_encode(m, &len), why[256];
    enum idw_rc rc = idw_apply_message(ap, seq, s, len, res, why, sizeof why, err, errlen);

    free(s);
    return rc;
}

static void test_apply_rules(void **state)
{
    char fp[IDW_RULEPACK_FP_HEX + 1], err[512], db[128], root[128];
    json_t *files = read_dir("src", fp), *m;
    struct idw_config cfg;
    struct idw_store *st;
    struct idw_apply *ap;
    enum idw_apply_result res;
    uint64_t applied;

    (void)state;
    put("src/okta/a.yml", "title: a\nid: 6d3c1a2e-0000-4000-8000-000000000001\nlogsource: {product: okta, "
        "service: okta}\ndetection: {sel: {eventType: user.session.start}, condition: sel}\nlevel: low\n");
    json_decref(files);
    files = read_dir("src", fp);
    snprintf(db, sizeof db, "%s/db", base);
    snprintf(root, sizeof root, "%s/db/rules", base);
    mkdir(db, 0700);
    assert_int_equal(idw_config_load(NULL, &cfg, err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_open(db, 64, IDW_STORE_NOSYNC, &st, err, sizeof err), IDW_OK);
    assert_int_equal(idw_apply_open(st, &cfg, NULL, NULL, 2, &ap, err, sizeof err), IDW_OK);

    /* no place for rules: the applier stops on them */
    m = message(files, IDW_VERSION);
    assert_int_equal(apply_msg(ap, 1, m, &res, err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "partition 2, sequence 1"));
    assert_int_equal(idw_apply_set_rules(ap, root, open_dir, NULL, err, sizeof err), IDW_OK);
    assert_string_equal(idw_apply_rules_fingerprint(ap), "");

    /* a later release's rules stop it; nothing moves */
    json_t *later = message(files, "99.0.0");
    assert_int_equal(apply_msg(ap, 1, later, &res, err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "later than this worker's"));
    assert_int_equal(idw_apply_seq(ap, &applied, err, sizeof err), IDW_OK);
    assert_int_equal(applied, 0);

    /* rules that do not load (zz.yaml is no rule): stop, nothing recorded */
    assert_int_equal(apply_msg(ap, 1, m, &res, err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "zz.yaml"));
    assert_string_equal(idw_apply_rules_fingerprint(ap), "");
    json_decref(m);
    json_decref(files);
    put("src/zz.yaml", "# nothing but a comment: é\n");
    files = read_dir("src", fp);
    m = message(files, IDW_VERSION);

    /* this release's: in force, recorded with applied_seq */
    if (apply_msg(ap, 1, m, &res, err, sizeof err) != IDW_OK)
        fail_msg("%s", err);
    assert_int_equal(res, IDW_APPLY_APPLIED);
    assert_string_equal(idw_apply_rules_fingerprint(ap), fp);
    assert_int_equal(opened, 2);

    /* a tampered one: skipped as malformed, the rules in force stay */
    json_t *none = json_array(), *bad = message(none, "0.0.1");
    json_object_set_new(bad, "size", json_integer(3));
    assert_int_equal(apply_msg(ap, 2, bad, &res, err, sizeof err), IDW_OK);
    assert_int_equal(res, IDW_APPLY_MALFORMED);
    assert_string_equal(idw_apply_rules_fingerprint(ap), fp);

    /* reopened (a restart, a restored snapshot): the recorded rules are loaded again */
    idw_apply_close(ap);
    assert_int_equal(idw_apply_open(st, &cfg, NULL, NULL, 2, &ap, err, sizeof err), IDW_OK);
    assert_string_equal(idw_apply_rules_fingerprint(ap), "");
    assert_int_equal(idw_apply_set_rules(ap, root, open_dir, NULL, err, sizeof err), IDW_OK);
    assert_string_equal(idw_apply_rules_fingerprint(ap), fp);
    assert_int_equal(opened, 3);

    /* an earlier release's rules apply (with this release's C rules) */
    json_t *empty = json_array(), *earlier = message(empty, "0.0.1");
    char fpe[IDW_RULEPACK_FP_HEX + 1];
    assert_int_equal(idw_rulepack_fingerprint(empty, fpe), IDW_OK);
    assert_int_equal(apply_msg(ap, 3, earlier, &res, err, sizeof err), IDW_OK);
    assert_int_equal(res, IDW_APPLY_APPLIED);
    assert_string_equal(idw_apply_rules_fingerprint(ap), fpe);

    /* a database whose recorded rules are a later release's (a downgrade): reopening stops too */
    idw_apply_close(ap);
    MDB_txn *txn;
    json_t *rec = json_pack("{s:s, s:s, s:i, s:i, s:s, s:O}", "fingerprint", fp, "release", "99.0.0", "seq", 4,
                            "at", 0, "by", "ops", "message", later);
    assert_int_equal(idw_store_begin(st, 0, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_meta_put(st, txn, "cluster_rules", "p2", rec, err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_commit(txn, err, sizeof err), IDW_OK);
    json_decref(rec);
    assert_int_equal(idw_apply_open(st, &cfg, NULL, NULL, 2, &ap, err, sizeof err), IDW_OK);
    assert_int_equal(idw_apply_set_rules(ap, root, open_dir, NULL, err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "later than this worker's"));

    json_decref(empty);
    json_decref(earlier);
    json_decref(bad);
    json_decref(none);
    json_decref(later);
    json_decref(m);
    json_decref(files);
    idw_apply_close(ap);
    idw_store_close(st);
    idw_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_read_and_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tampered, setup, teardown),
        cmocka_unit_test(test_release_cmp),
        cmocka_unit_test_setup_teardown(test_apply_rules, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
