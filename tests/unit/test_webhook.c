/*
 * test_webhook.c — webhook configuration: the name a webhook gets when the
 * configuration gives none (host, port and a hash of the URL: stable across
 * releases so queued deliveries find their webhook, never the URL's user,
 * password or path), URLs refused at load, and the signature: right for a
 * known secret, and refused (nothing to send) rather than cut short.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "deliver/webhook.h"

static char *name_of(const char *url, char *err, size_t errlen)
{
    json_t *root = json_pack("{s:[{s:s, s:s}]}", "webhooks", "url", url, "secret_env", "X");
    struct idw_outbox_target *t = NULL;
    size_t n = 0;
    char *name = NULL;

    if (idw_webhook_targets(root, &t, &n, err, errlen) == 0 && n == 1)
        name = strdup(t[0].name);
    free(t);
    json_decref(root);
    return name;
}

static void test_default_names(void **state)
{
    char err[256], hash[9], want[300];
    const char *url = "https://alice:s3cret@soar.example.com:9443/hooks/T0KEN?x=1";
    char *name;
    (void)state;

    idw_sha256_hex(url, strlen(url), 4, hash);
    snprintf(want, sizeof want, "soar.example.com:9443/%s", hash);
    name = name_of(url, err, sizeof err);
    assert_non_null(name);
    assert_string_equal(name, want);        /* the format releases before the URL API wrote */
    assert_null(strstr(name, "alice"));
    assert_null(strstr(name, "s3cret"));
    assert_null(strstr(name, "T0KEN"));
    free(name);

    url = "https://soar.example.com/hooks";
    idw_sha256_hex(url, strlen(url), 4, hash);
    snprintf(want, sizeof want, "soar.example.com/%s", hash);
    name = name_of(url, err, sizeof err);
    assert_non_null(name);
    assert_string_equal(name, want);
    free(name);
}

static void test_refused_urls(void **state)
{
    const char *bad[] = {"http://soar.example.com/h", "https://", "https://soar.example.com/a\r\nX: y",
                         "https://soar example.com/", "ftp://soar.example.com/"};
    char err[256];
    (void)state;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_null(name_of(bad[i], err, sizeof err));
        assert_non_null(strstr(err, "webhooks[0].url"));
    }
}

/*
 * "v1=" + HMAC-SHA256(secret, "<ts>.<body>") in hex, the value docs/webhook.md
 * tells receivers to compute; a buffer too short for it is an error with
 * an empty out, never a truncated signature the receiver would refuse for good.
 */
static void test_signature(void **state)
{
    char secret[] = "k3y", sig[IDW_WEBHOOK_SIG_LEN], cut[40], hex[65];
    struct idw_webhook w = {.secret = secret};
    const char *msg = "1700000000.{\"a\":1}";
    (void)state;

    idw_hmac_sha256_hex((const unsigned char *)"k3y", 3, msg, strlen(msg), 32, hex);
    assert_int_equal(idw_webhook_sign(&w, 1700000000, "{\"a\":1}", sig, sizeof sig), IDW_OK);
    assert_int_equal(strncmp(sig, "v1=", 3), 0);
    assert_string_equal(sig + 3, hex);

    memset(cut, 'x', sizeof cut);
    assert_int_equal(idw_webhook_sign(&w, 1700000000, "{\"a\":1}", cut, sizeof cut), IDW_ERR);
    assert_string_equal(cut, "");

    w.secret = NULL;
    assert_int_equal(idw_webhook_sign(&w, 1700000000, "{}", sig, sizeof sig), IDW_ERR);
    assert_string_equal(sig, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_names),
        cmocka_unit_test(test_refused_urls),
        cmocka_unit_test(test_signature),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
