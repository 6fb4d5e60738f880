/*
 * test_js_opts.c — the NATS connection settings (cluster/js.h
 * idw_js_opts_load) from a configuration parsed by the config loader (so
 * its schema is tested too): TLS turned on by a CA file or a tls:// URL,
 * the verified name, the client certificate pair, exactly one
 * authentication method, secrets from mode-600 files or the environment,
 * and errors that name the key but never hold the secret.
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
#include <unistd.h>

#include "cluster/js.h"
#include "common/config.h"

#define SECRET "s3cret-t0ken-value"

static char dir[64];
static char token600[128], token644[128], ca[128];

/* The configuration last loaded: the options borrow its strings, so it lives until the next load. */
static struct idw_config cfg;
static int have_cfg;

static void drop_cfg(void)
{
    if (have_cfg)
        idw_config_free(&cfg);
    have_cfg = 0;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/idw-jsopts.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(token600, sizeof token600, "%s/token", dir);
    snprintf(token644, sizeof token644, "%s/token644", dir);
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    write_file(token600, SECRET "\n", 0600);
    write_file(token644, SECRET "\n", 0644);
    write_file(ca, "-----BEGIN CERTIFICATE-----\n", 0644);
    unsetenv("IDWATCH_NATS_TOKEN");
    unsetenv("IDWATCH_NATS_PASSWORD");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    drop_cfg();
    unlink(token600);
    unlink(token644);
    unlink(ca);
    rmdir(dir);
    return 0;
}

/* Loads the cluster members (JSON text after "cluster": {) with urls: the rc; err filled, never SECRET. */
static int load(const char *members, const char *const *urls, size_t n, struct idw_js_opts *o, char *err,
                size_t errlen)
{
    char text[2048];
    int rc;

    drop_cfg();
    snprintf(text, sizeof text, "{\"cluster\": {%s}}", members);
    err[0] = '\0';
    if (idw_config_parse(text, "test", &cfg, err, errlen) < 0)
        return -2;
    have_cfg = 1;
    rc = idw_js_opts_load(cfg.root, urls, n, o, err, errlen);
    assert_null(strstr(err, SECRET));
    return rc;
}

static const char *const one[] = {"nats://127.0.0.1:4222"};

static void test_plain_no_auth(void **state)
{
    struct idw_js_opts o;
    char err[512];

    (void)state;
    assert_int_equal(load("", one, 1, &o, err, sizeof err), 0);
    assert_int_equal(o.tls, 0);
    assert_null(o.token);
    assert_null(o.user);
    assert_null(o.creds_file);
    idw_js_opts_free(&o);
}

static void test_tls_and_name(void **state)
{
    static const char *const tls[] = {"tls://nats.example.net:4222"};
    static const char *const two[] = {"nats://10.0.0.1:4222", "nats://10.0.0.2:4222"};
    static const char *const v6[] = {"nats://[::1]:4222"};
    struct idw_js_opts o;
    char err[512], m[512];

    (void)state;
    /* a tls:// URL turns TLS on; the name verified is the URL's host */
    assert_int_equal(load("", tls, 1, &o, err, sizeof err), 0);
    assert_int_equal(o.tls, 1);
    assert_string_equal(o.tls_name, "nats.example.net");
    assert_null(o.ca_file);
    idw_js_opts_free(&o);
    /* a CA file turns it on too */
    snprintf(m, sizeof m, "\"nats_ca_file\": \"%s\"", ca);
    assert_int_equal(load(m, v6, 1, &o, err, sizeof err), 0);
    assert_int_equal(o.tls, 1);
    assert_string_equal(o.ca_file, ca);
    assert_string_equal(o.tls_name, "::1");
    idw_js_opts_free(&o);
    /* servers on different hosts need the name given */
    assert_int_equal(load(m, two, 2, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "cluster.nats_tls_name: the servers are on different hosts "
                                "(10.0.0.1, 10.0.0.2)"));
    snprintf(m, sizeof m, "\"nats_ca_file\": \"%s\", \"nats_tls_name\": \"nats.idwatch.internal\"", ca);
    assert_int_equal(load(m, two, 2, &o, err, sizeof err), 0);
    assert_string_equal(o.tls_name, "nats.idwatch.internal");
    idw_js_opts_free(&o);
    /* a CA file that does not exist */
    assert_int_equal(load("\"nats_ca_file\": \"/nonexistent/ca.pem\"", one, 1, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "cluster.nats_ca_file: /nonexistent/ca.pem: No such file"));
}

static void test_client_cert(void **state)
{
    struct idw_js_opts o;
    char err[512], m[512];

    (void)state;
    snprintf(m, sizeof m, "\"nats_cert_file\": \"%s\"", ca);
    assert_int_equal(load(m, one, 1, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "cluster.nats_cert_file is set without cluster.nats_key_file"));
    snprintf(m, sizeof m, "\"nats_cert_file\": \"%s\", \"nats_key_file\": \"%s\"", ca, token644);
    assert_int_equal(load(m, one, 1, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "cluster.nats_key_file:"));
    assert_non_null(strstr(err, "mode 644"));
    snprintf(m, sizeof m, "\"nats_cert_file\": \"%s\", \"nats_key_file\": \"%s\"", ca, token600);
    assert_int_equal(load(m, one, 1, &o, err, sizeof err), 0);
    assert_int_equal(o.tls, 1);             /* a client certificate means TLS */
    assert_string_equal(o.key_file, token600);
    idw_js_opts_free(&o);
}

static void test_token(void **state)
{
    struct idw_js_opts o;
    char err[512], m[512];

    (void)state;
    snprintf(m, sizeof m, "\"nats_token_file\": \"%s\"", token600);
    assert_int_equal(load(m, one, 1, &o, err, sizeof err), 0);
    assert_string_equal(o.token, SECRET);  /* the first line, without its newline */
    idw_js_opts_free(&o);
    assert_null(o.token);
    snprintf(m, sizeof m, "\"nats_token_file\": \"%s\"", token644);
    assert_int_equal(load(m, one, 1, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "cluster.nats_token_file:"));
    assert_non_null(strstr(err, "mode 644"));
    /* from the environment; both is an error */
    setenv("IDWATCH_NATS_TOKEN", SECRET "-env", 1);
    assert_int_equal(load("", one, 1, &o, err, sizeof err), 0);
    assert_string_equal(o.token, SECRET "-env");
    idw_js_opts_free(&o);
    snprintf(m, sizeof m, "\"nats_token_file\": \"%s\"", token600);
    assert_int_equal(load(m, one, 1, &o, err, sizeof err), -1);
    assert_string_equal(err, "cluster.nats_token_file and $IDWATCH_NATS_TOKEN are both set: use one");
    unsetenv("IDWATCH_NATS_TOKEN");
}

static void test_user_password(void **state)
{
    struct idw_js_opts o;
    char err[512], m[512];

    (void)state;
    snprintf(m, sizeof m, "\"nats_user\": \"idwatch\", \"nats_password_file\": \"%s\"", token600);
    assert_int_equal(load(m, one, 1, &o, err, sizeof err), 0);
    assert_string_equal(o.user, "idwatch");
    assert_string_equal(o.password, SECRET);
    idw_js_opts_free(&o);
    assert_int_equal(load("\"nats_user\": \"idwatch\"", one, 1, &o, err, sizeof err), -1);
    assert_string_equal(err, "cluster.nats_user needs cluster.nats_password_file or $IDWATCH_NATS_PASSWORD");
    snprintf(m, sizeof m, "\"nats_password_file\": \"%s\"", token600);
    assert_int_equal(load(m, one, 1, &o, err, sizeof err), -1);
    assert_string_equal(err, "cluster.nats_password_file is set without cluster.nats_user");
    setenv("IDWATCH_NATS_PASSWORD", SECRET, 1);
    assert_int_equal(load("\"nats_user\": \"idwatch\"", one, 1, &o, err, sizeof err), 0);
    assert_string_equal(o.password, SECRET);
    idw_js_opts_free(&o);
    unsetenv("IDWATCH_NATS_PASSWORD");
}

static void test_one_method(void **state)
{
    struct idw_js_opts o;
    char err[512], m[512];

    (void)state;
    snprintf(m, sizeof m, "\"nats_creds_file\": \"%s\", \"nats_token_file\": \"%s\"", token600, token600);
    assert_int_equal(load(m, one, 1, &o, err, sizeof err), -1);
    assert_string_equal(err, "cluster.nats_creds_file, cluster.nats_token_file: more than one NATS "
                        "authentication method: set only one");
    snprintf(m, sizeof m, "\"nats_creds_file\": \"%s\"", token600);
    setenv("IDWATCH_NATS_PASSWORD", SECRET, 1);
    assert_int_equal(load(m, one, 1, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "cluster.nats_creds_file, $IDWATCH_NATS_PASSWORD: more than one"));
    unsetenv("IDWATCH_NATS_PASSWORD");
    assert_int_equal(load(m, one, 1, &o, err, sizeof err), 0);
    assert_string_equal(o.creds_file, token600);
    idw_js_opts_free(&o);
    snprintf(m, sizeof m, "\"nats_creds_file\": \"%s\"", token644);
    assert_int_equal(load(m, one, 1, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "cluster.nats_creds_file:"));
}

static void test_url_credentials_and_types(void **state)
{
    static const char *const cred[] = {"nats://127.0.0.1:4222", "nats://u:" SECRET "@127.0.0.1:4223"};
    struct idw_js_opts o;
    char err[512];

    (void)state;
    assert_int_equal(load("", cred, 2, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "server URL 2 (--nats or cluster.nats): credentials in a URL are not "
                                "supported"));
    assert_int_equal(load("", cred, 0, &o, err, sizeof err), -1);
    assert_non_null(strstr(err, "no server URL"));
    /* the schema: a secret inline is not a key, a file name must be a string */
    assert_int_equal(load("\"nats_token\": \"" SECRET "\"", one, 1, &o, err, sizeof err), -2);
    assert_int_equal(load("\"nats_token_file\": 7", one, 1, &o, err, sizeof err), -2);
    assert_non_null(strstr(err, "cluster.nats_token_file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_no_auth),
        cmocka_unit_test(test_tls_and_name),
        cmocka_unit_test(test_client_cert),
        cmocka_unit_test(test_token),
        cmocka_unit_test(test_user_password),
        cmocka_unit_test(test_one_method),
        cmocka_unit_test(test_url_credentials_and_types),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
