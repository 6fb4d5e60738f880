/*
 * test_okta.c — the Okta connector's pure parts: Link header parsing,
 * HTTP dates, org URL validation, and the JWS/JWK code checked against
 * OpenSSL verification (RS256 and ES256, raw R||S).
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

#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "ingest/http.h"
#include "ingest/jws.h"
#include "ingest/okta_poll.h"

static void test_link_header(void **state)
{
    (void)state;
    char out[512];

    idw_http_parse_link("<https://o.okta.com/api/v1/logs?after=1_1&limit=1000>; rel=\"next\"", out, sizeof out);
    assert_string_equal(out, "https://o.okta.com/api/v1/logs?after=1_1&limit=1000");
    out[0] = 0;
    idw_http_parse_link("<https://o.okta.com/api/v1/logs?since=x>; rel=\"self\"", out, sizeof out);
    assert_string_equal(out, "");
    /* merged by a proxy, unquoted, upper case */
    idw_http_parse_link("<https://a/self>; rel=\"self\", <https://a/next?x=1,2>; REL=next", out, sizeof out);
    assert_string_equal(out, "https://a/next?x=1,2");
    out[0] = 0;
    idw_http_parse_link("<https://a/n>; title=\"a, b\"; rel=\"prev next\"", out, sizeof out);
    assert_string_equal(out, "https://a/n");
    out[0] = 0;
    idw_http_parse_link("garbage <unterminated", out, sizeof out);
    assert_string_equal(out, "");
    idw_http_parse_link("<https://a/x>; rel=\"nextpage\"", out, sizeof out);
    assert_string_equal(out, "");
}

static void test_http_date(void **state)
{
    (void)state;
    assert_int_equal(idw_http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
    assert_int_equal(idw_http_parse_date("yesterday"), 0);
    assert_int_equal(idw_http_parse_date(NULL), 0);
}

static int read_org(const char *json, struct idw_okta_org *o, char *err)
{
    struct idw_org_config oc = {"acme", NULL};
    oc.json = json_loads(json, 0, NULL);
    assert_non_null(oc.json);
    int rc = idw_okta_org_read(&oc, o, err, 512);
    json_decref(oc.json);
    return rc;
}

static void test_org_url_rules(void **state)
{
    (void)state;
    struct idw_okta_org o;
    char err[512];
    const char *auth = ",\"auth\":{\"method\":\"ssws\",\"token_env\":\"X\"}";
    char buf[512];

#define ORG(url, extra) (snprintf(buf, sizeof buf, "{\"org_url\":\"%s\"%s%s}", url, auth, extra), buf)
    assert_int_equal(read_org(ORG("https://acme.okta.com", ""), &o, err), 0);
    assert_string_equal(o.base, "https://acme.okta.com");
    assert_int_equal(o.page_limit, 1000);
    assert_int_equal(o.max_failures, 5);
    assert_int_equal(read_org(ORG("https://acme.oktapreview.com/", ""), &o, err), 0);
    assert_string_equal(o.base, "https://acme.oktapreview.com");
    assert_int_equal(read_org(ORG("http://acme.okta.com", ""), &o, err), -1);
    assert_non_null(strstr(err, "https://"));
    assert_int_equal(read_org(ORG("https://acme-admin.okta.com", ""), &o, err), -1);
    assert_non_null(strstr(err, "Admin Console"));
    assert_int_equal(read_org(ORG("https://acme.okta.com/app", ""), &o, err), -1);
    assert_int_equal(read_org(ORG("https://acme.okta.com.com", ""), &o, err), -1);
    assert_int_equal(read_org(ORG("https://u:p@acme.okta.com", ""), &o, err), -1);
    assert_int_equal(read_org(ORG("https://login.example.com", ""), &o, err), -1);
    assert_non_null(strstr(err, "custom_domain"));
    assert_int_equal(read_org(ORG("https://127.0.0.1:8443", ",\"custom_domain\":true"), &o, err), 0);
    assert_string_equal(o.host, "127.0.0.1:8443");
    assert_int_equal(read_org(ORG("https://acme.okta.com", ",\"page_limit\":5000"), &o, err), -1);
    assert_non_null(strstr(err, "page_limit"));
    assert_int_equal(read_org(ORG("https://acme.okta.com", ",\"rate_limit_share\":1.5"), &o, err), -1);
    assert_int_equal(read_org(ORG("https://acme.okta.com", ",\"ca_file\":\"/nonexistent.pem\""), &o, err), -1);
    assert_int_equal(read_org("{\"org_url\":\"https://acme.okta.com\"}", &o, err), -1);
    assert_non_null(strstr(err, "auth"));
#undef ORG
}

/* base64url decode via OpenSSL (test side only). */
static size_t b64url_decode(const char *in, size_t n, unsigned char *out)
{
    char buf[4096] = {0};
    size_t i;
    for (i = 0; i < n && i < sizeof buf - 4; i++)
        buf[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
    while (i % 4)
        buf[i++] = '=';
    int len = EVP_DecodeBlock(out, (unsigned char *)buf, (int)i);
    assert_true(len >= 0);
    size_t pad = (size_t)(i - n);
    return (size_t)len - (pad < 3 ? pad : 0);
}

static void verify_jws(EVP_PKEY *key, const char *jws)
{
    const char *dot2 = strrchr(jws, '.');
    unsigned char sig[1024], der[256];
    size_t siglen = b64url_decode(dot2 + 1, strlen(dot2 + 1), sig);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const unsigned char *s = sig;

    if (EVP_PKEY_is_a(key, "EC")) {
        /* JWS ES256 is raw R||S: convert back to DER for OpenSSL */
        assert_int_equal(siglen, 64);
        ECDSA_SIG *es = ECDSA_SIG_new();
        ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
        unsigned char *p = der;
        siglen = (size_t)i2d_ECDSA_SIG(es, &p);
        ECDSA_SIG_free(es);
        s = der;
    }
    assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestVerify(ctx, s, siglen, (const unsigned char *)jws,
                                      (size_t)(dot2 - jws)), 1);
    EVP_MD_CTX_free(ctx);
}

static void test_jws_roundtrip(const char *alg)
{
    char err[256];
    EVP_PKEY *key = idw_key_generate(alg, err, sizeof err);
    assert_non_null(key);
    assert_string_equal(idw_key_alg(key), alg);
    json_t *hdr = json_pack("{s:s, s:s}", "alg", alg, "typ", "JWT");
    json_t *claims = json_pack("{s:s, s:i}", "iss", "client", "exp", 123);
    char *jws = idw_jws_sign(key, hdr, claims, err, sizeof err);
    assert_non_null(jws);
    assert_null(strchr(jws, '='));
    assert_null(strchr(jws, '+'));
    verify_jws(key, jws);
    /* the header part decodes to exactly what was signed */
    unsigned char dec[256];
    size_t n = b64url_decode(jws, strcspn(jws, "."), dec);
    dec[n] = 0;
    char *want = json_dumps(hdr, JSON_COMPACT);
    assert_string_equal((char *)dec, want);
    free(want);
    json_t *jwk = idw_key_public_jwk(key);
    assert_non_null(jwk);
    assert_null(json_object_get(jwk, "d"));
    if (!strcmp(alg, "ES256")) {
        assert_string_equal(json_string_value(json_object_get(jwk, "crv")), "P-256");
        assert_int_equal(strlen(json_string_value(json_object_get(jwk, "x"))), 43);
    } else {
        assert_string_equal(json_string_value(json_object_get(jwk, "e")), "AQAB");
    }
    json_decref(jwk);
    free(jws);
    json_decref(hdr);
    json_decref(claims);
    EVP_PKEY_free(key);
}

static void test_jws_rs256(void **state) { (void)state; test_jws_roundtrip("RS256"); }
static void test_jws_es256(void **state) { (void)state; test_jws_roundtrip("ES256"); }

static void test_key_file_rules(void **state)
{
    (void)state;
    char dir[] = "/tmp/idw-key-XXXXXX", path[128], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/k.pem", dir);
    EVP_PKEY *k = idw_key_generate("RS256", err, sizeof err);
    FILE *f = fopen(path, "w");
    assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    chmod(path, 0644);
    assert_null(idw_key_load(path, 0, err, sizeof err));
    assert_non_null(strstr(err, "readable by group or others"));
    chmod(path, 0600);
    EVP_PKEY *l = idw_key_load(path, 0, err, sizeof err);
    assert_non_null(l);
    assert_int_equal(EVP_PKEY_eq(k, l), 1);
    f = fopen(path, "w");
    fputs("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n", f);
    fclose(f);
    assert_null(idw_key_load(path, 0, err, sizeof err));
    assert_non_null(strstr(err, "not a PEM private key"));
    assert_null(strstr(err, "not a key"));  /* content never echoed */
    unlink(path);
    rmdir(dir);
    EVP_PKEY_free(k);
    EVP_PKEY_free(l);
}

static void test_ath(void **state)
{
    (void)state;
    /* RFC 9449 §7.1 example: ath of "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU" */
    char *ath = idw_sha256_b64url("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU");
    assert_string_equal(ath, "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
    free(ath);
}

/* ==== connector hardening (rate limits, URLs, state): tests below this line ==== */

/* Retry-After: delta-seconds or an HTTP-date, bounded; junk is -1, never a wait. */
static void test_retry_after_bounds(void **state)
{
    (void)state;
    const int64_t now = 784111777;      /* Sun, 06 Nov 1994 08:49:37 GMT */
    assert_int_equal(idw_http_parse_retry_after("120", now), 120);
    assert_int_equal(idw_http_parse_retry_after("0", now), 0);
    assert_int_equal(idw_http_parse_retry_after("999999999", now), 999999999);
    assert_int_equal(idw_http_parse_retry_after("99999999999", now), IDW_HTTP_RETRY_AFTER_MAX);
    assert_int_equal(idw_http_parse_retry_after("99999999999999999999999999999", now), IDW_HTTP_RETRY_AFTER_MAX);
    assert_int_equal(idw_http_parse_retry_after("-5", now), -1);
    assert_int_equal(idw_http_parse_retry_after("12abc", now), -1);
    assert_int_equal(idw_http_parse_retry_after("", now), -1);
    assert_int_equal(idw_http_parse_retry_after(NULL, now), -1);
    assert_int_equal(idw_http_parse_retry_after("Sun, 06 Nov 1994 08:51:37 GMT", now), 120);
    assert_int_equal(idw_http_parse_retry_after("Sun, 06 Nov 1994 08:40:00 GMT", now), 0);
    assert_int_equal(idw_http_parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now), IDW_HTTP_RETRY_AFTER_MAX);
}

/* org_url through libcurl's URL API: host and port kept apart, extras refused. */
static void test_org_url_parts(void **state)
{
    (void)state;
    struct idw_okta_org o;
    char err[512];
    const char *auth = ",\"auth\":{\"method\":\"ssws\",\"token_env\":\"X\"}";
    char buf[512];

#define ORG2(url, extra) (snprintf(buf, sizeof buf, "{\"org_url\":\"%s\"%s%s}", url, auth, extra), buf)
    assert_int_equal(read_org(ORG2("https://acme.okta.com", ""), &o, err), 0);
    assert_string_equal(o.hostname, "acme.okta.com");
    assert_int_equal(o.port, 443);
    assert_int_equal(o.starvation_alert_ms, 15 * 60000);
    assert_int_equal(read_org(ORG2("https://acme.okta.com:8443/", ""), &o, err), 0);
    assert_string_equal(o.host, "acme.okta.com:8443");
    assert_string_equal(o.hostname, "acme.okta.com");
    assert_int_equal(o.port, 8443);
    assert_string_equal(o.base, "https://acme.okta.com:8443");
    assert_int_equal(read_org(ORG2("https://acme.okta.com/?x=1", ""), &o, err), -1);
    assert_int_equal(read_org(ORG2("https://acme.okta.com/#top", ""), &o, err), -1);
    assert_int_equal(read_org(ORG2("https://:pw@acme.okta.com", ""), &o, err), -1);
    assert_int_equal(read_org(ORG2("https://acme.okta.com/api/v1/logs", ""), &o, err), -1);
    assert_int_equal(read_org(ORG2("https://{yourOktaDomain}", ""), &o, err), -1);
    assert_non_null(strstr(err, "placeholder"));
    assert_int_equal(read_org(ORG2("https://acme.okta.com", ",\"starvation_alert_minutes\":0.05"), &o, err), 0);
    assert_int_equal(o.starvation_alert_ms, 3000);
    assert_int_equal(read_org(ORG2("https://acme.okta.com", ",\"starvation_alert_minutes\":0"), &o, err), -1);
    assert_non_null(strstr(err, "orgs[acme].starvation_alert_minutes"));
    assert_int_equal(read_org(ORG2("https://acme.okta.com", ",\"starvation_alert_minutes\":20000"), &o, err), -1);
#undef ORG2
}

/* Writes raw bytes as acme's okta_state (the meta key is "okta_state\0acme\0"). */
static void put_raw_state(struct idw_store *st, const char *bytes, size_t n)
{
    static const char key[] = "okta_state\0acme";
    MDB_val k = {sizeof key, (void *)key}, v = {n, (void *)bytes};
    MDB_txn *txn;
    char err[256];

    assert_int_equal(idw_store_begin(st, 0, &txn, err, sizeof err), 0);
    assert_int_equal(mdb_put(txn, st->meta, &k, &v, 0), 0);
    assert_int_equal(idw_store_commit(txn, err, sizeof err), 0);
}

/* A state that cannot be read is an error naming the domain, never "no state" (a silent restart). */
static void test_state_read_errors(void **state)
{
    (void)state;
    char dir[] = "/tmp/idw-okta-state-XXXXXX", err[768], rm[64];
    struct idw_store *st;
    struct idw_config cfg;
    struct idw_okta_org org;
    struct idw_okta_poller *p = (struct idw_okta_poller *)1;
    json_t *doc = (json_t *)1;

    assert_non_null(mkdtemp(dir));
    assert_int_equal(idw_store_open(dir, 64, 0, &st, err, sizeof err), 0);
    assert_int_equal(idw_okta_state_get(st, "acme", &doc, err, sizeof err), 1);
    assert_null(doc);
    assert_int_equal(idw_okta_resume(st, "acme", err, sizeof err), 1);

    put_raw_state(st, "{\"next_url\": \"https://acme.okta.com/api/v1/logs?af", 48);     /* torn */
    assert_int_equal(idw_okta_state_get(st, "acme", &doc, err, sizeof err), -1);
    assert_null(doc);
    assert_non_null(strstr(err, "acme"));
    assert_non_null(strstr(err, "connector state"));
    assert_null(idw_okta_state(st, "acme", err, sizeof err));
    assert_true(err[0] != '\0');
    assert_int_equal(idw_okta_resume(st, "acme", err, sizeof err), -1);

    /* org.auth points into oc.json, which must outlive the poller */
    struct idw_org_config oc = {"acme", json_loads("{\"org_url\":\"https://acme.okta.com\",\"auth\":"
                                                   "{\"method\":\"ssws\",\"token_env\":\"IDW_TEST_TOKEN\"}}",
                                                   0, NULL)};
    assert_int_equal(idw_config_parse("{}", "test", &cfg, err, sizeof err), 0);
    assert_int_equal(idw_okta_org_read(&oc, &org, err, sizeof err), 0);
    setenv("IDW_TEST_TOKEN", "not-a-real-token", 1);
    struct idw_poll_opts po = {.cfg = &cfg};
    err[0] = '\0';
    assert_int_equal(idw_okta_poller_new(st, &org, &po, &p, err, sizeof err), -1);
    assert_null(p);
    assert_non_null(strstr(err, "acme"));

    put_raw_state(st, "[1, 2]", 6);      /* JSON, but not the state object */
    assert_int_equal(idw_okta_state_get(st, "acme", &doc, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a JSON object"));

    put_raw_state(st, "{\"paused\": true}", 16);
    assert_int_equal(idw_okta_state_get(st, "acme", &doc, err, sizeof err), 0);
    assert_true(json_is_true(json_object_get(doc, "paused")));
    json_decref(doc);
    assert_int_equal(idw_okta_poller_new(st, &org, &po, &p, err, sizeof err), 0);
    idw_okta_poller_free(p);
    assert_int_equal(idw_okta_resume(st, "acme", err, sizeof err), 0);

    idw_config_free(&cfg);
    json_decref(oc.json);
    idw_store_close(st);
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    assert_int_equal(system(rm), 0);
}

/* ==== end of connector hardening tests ==== */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_header),
        cmocka_unit_test(test_http_date),
        cmocka_unit_test(test_org_url_rules),
        cmocka_unit_test(test_jws_rs256),
        cmocka_unit_test(test_jws_es256),
        cmocka_unit_test(test_key_file_rules),
        cmocka_unit_test(test_ath),
        /* connector hardening */
        cmocka_unit_test(test_retry_after_bounds),
        cmocka_unit_test(test_org_url_parts),
        cmocka_unit_test(test_state_read_errors),
    };
    return cmocka_run_group_tests_name("okta", tests, NULL, NULL);
}
