/*
 * test_okta.c — the Okta connector's pure parts: Link header parsing,
 * HTTP dates, org URL validation, the JWS/JWK code checked against
 * OpenSSL verification (RS256 and ES256, raw R||S), private keys from PEM
 * and from JWKs (keys generated here with OpenSSL and exported as JWKs),
 * the secret-file rules (symlink, FIFO, directory, mode, size), and the
 * SSWS token clean-up.
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

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "common/log.h"
#include "common/util.h"
#include "source/http.h"
#include "source/jws.h"
#include "source/okta_auth.h"
#include "source/okta_poll.h"

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
    assert_int_equal(idw_http_parse_date("Fri, 04 Dec 1842 10:00:00 GMT"), 0);   /* fuzz: before 1970 */
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

/* ---- private keys from files and JWKs ---------------------------------------- */

static char tmpdir[64];

static const char *tmp_path(const char *name)
{
    static char path[160];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    return path;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static int make_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/idw-okta-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_key_file_rules(void **state)
{
    (void)state;
    char err[512], kid[128] = "stale";
    const char *path = tmp_path("k.pem");
    EVP_PKEY *k = idw_key_generate("RS256", err, sizeof err);
    FILE *f = fopen(path, "w");
    assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    chmod(path, 0644);
    assert_null(idw_key_load(path, kid, sizeof kid, err, sizeof err));
    assert_non_null(strstr(err, "readable by group or others (mode 644)"));
    chmod(path, 0600);
    EVP_PKEY *l = idw_key_load(path, kid, sizeof kid, err, sizeof err);
    assert_non_null(l);
    assert_int_equal(EVP_PKEY_eq(k, l), 1);
    assert_string_equal(kid, "");       /* a PEM carries no kid */
    write_file(path, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n", 0600);
    assert_null(idw_key_load(path, NULL, 0, err, sizeof err));
    assert_non_null(strstr(err, "not a PEM private key"));
    assert_null(strstr(err, "not a key"));  /* content never echoed */
    write_file(path, " \n\t\n", 0600);
    assert_null(idw_key_load(path, NULL, 0, err, sizeof err));
    assert_non_null(strstr(err, "the key file is empty"));
    EVP_PKEY_free(k);
    EVP_PKEY_free(l);
}

/* Only regular files are read: a symlink, a FIFO (which would block a plain open), a directory. */
static void test_key_file_kinds(void **state)
{
    (void)state;
    char err[512], target[160], big[IDW_SECRET_FILE_MAX + 2];
    EVP_PKEY *k = idw_key_generate("ES256", err, sizeof err);
    FILE *f;

    snprintf(target, sizeof target, "%s", tmp_path("real.pem"));
    f = fopen(target, "w");
    assert_int_equal(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL), 1);
    fclose(f);
    chmod(target, 0600);
    assert_int_equal(symlink(target, tmp_path("link.pem")), 0);
    assert_null(idw_key_load(tmp_path("link.pem"), NULL, 0, err, sizeof err));
    assert_non_null(strstr(err, "link.pem is a symbolic link"));

    assert_int_equal(mkfifo(tmp_path("fifo.pem"), 0600), 0);
    alarm(10);      /* a blocking open would hang here: SIGALRM then fails the test */
    assert_null(idw_key_load(tmp_path("fifo.pem"), NULL, 0, err, sizeof err));
    alarm(0);
    assert_non_null(strstr(err, "fifo.pem is not a regular file"));

    assert_int_equal(mkdir(tmp_path("dir.pem"), 0700), 0);
    assert_null(idw_key_load(tmp_path("dir.pem"), NULL, 0, err, sizeof err));
    assert_non_null(strstr(err, "dir.pem is not a regular file"));

    memset(big, '#', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    write_file(tmp_path("big.pem"), big, 0600);
    assert_null(idw_key_load(tmp_path("big.pem"), NULL, 0, err, sizeof err));
    assert_non_null(strstr(err, "is larger than 65536 bytes"));

    /* the token reader shares the same rules */
    assert_null(idw_secret_load(tmp_path("link.pem"), NULL, "auth.token", err, sizeof err));
    assert_non_null(strstr(err, "auth.token: "));
    assert_non_null(strstr(err, "is a symbolic link"));
    assert_null(idw_secret_load(tmp_path("fifo.pem"), NULL, "auth.token", err, sizeof err));
    assert_non_null(strstr(err, "is not a regular file"));
    EVP_PKEY_free(k);
}

static void test_b64url_decode(void **state)
{
    (void)state;
    static const struct { const char *in, *out; size_t len; } ok[] = {
        {"", "", 0}, {"Zg", "f", 1}, {"Zm8", "fo", 2}, {"Zm9v", "foo", 3}, {"Zm9vYg", "foob", 4},
        {"-_8", "\xfb\xff", 2},
    };
    static const char *const bad[] = {"Zg==", "Z", "Zm9v+", "Zm/v", "Zm 9v", "Zm9v\n"};
    size_t n;
    unsigned char *d;

    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_non_null(d = idw_b64url_decode(ok[i].in, &n));
        assert_int_equal(n, ok[i].len);
        assert_memory_equal(d, ok[i].out, n);
        free(d);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_null(idw_b64url_decode(bad[i], &n));
}

/* base64url of a key parameter, left-padded to pad bytes (0 = minimal): the test's own JWK export. */
static void jwk_put(json_t *jwk, const char *member, EVP_PKEY *key, const char *param, int pad)
{
    BIGNUM *bn = NULL;
    unsigned char buf[1024];
    assert_int_equal(EVP_PKEY_get_bn_param(key, param, &bn), 1);
    int n = pad ? pad : BN_num_bytes(bn);
    assert_int_equal(BN_bn2binpad(bn, buf, n), n);
    char *b64 = idw_b64url(buf, (size_t)n);
    json_object_set_new(jwk, member, json_string(b64));
    free(b64);
    BN_clear_free(bn);
}

/* The private JWK of key, as the Okta Admin Console hands one out. */
static json_t *private_jwk(EVP_PKEY *key, const char *kid)
{
    json_t *jwk = json_object();
    if (EVP_PKEY_is_a(key, "RSA")) {
        json_object_set_new(jwk, "kty", json_string("RSA"));
        json_object_set_new(jwk, "alg", json_string("RS256"));
        jwk_put(jwk, "n", key, OSSL_PKEY_PARAM_RSA_N, 0);
        jwk_put(jwk, "e", key, OSSL_PKEY_PARAM_RSA_E, 0);
        jwk_put(jwk, "d", key, OSSL_PKEY_PARAM_RSA_D, 0);
        jwk_put(jwk, "p", key, OSSL_PKEY_PARAM_RSA_FACTOR1, 0);
        jwk_put(jwk, "q", key, OSSL_PKEY_PARAM_RSA_FACTOR2, 0);
        jwk_put(jwk, "dp", key, OSSL_PKEY_PARAM_RSA_EXPONENT1, 0);
        jwk_put(jwk, "dq", key, OSSL_PKEY_PARAM_RSA_EXPONENT2, 0);
        jwk_put(jwk, "qi", key, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 0);
    } else {
        json_object_set_new(jwk, "kty", json_string("EC"));
        json_object_set_new(jwk, "crv", json_string("P-256"));
        jwk_put(jwk, "x", key, OSSL_PKEY_PARAM_EC_PUB_X, 32);
        jwk_put(jwk, "y", key, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
        jwk_put(jwk, "d", key, OSSL_PKEY_PARAM_PRIV_KEY, 32);
    }
    json_object_set_new(jwk, "use", json_string("sig"));
    if (kid)
        json_object_set_new(jwk, "kid", json_string(kid));
    return jwk;
}

/* idw_key_parse over doc's JSON text (takes the reference on doc). */
static EVP_PKEY *parse_doc(json_t *doc, char kid[128], char *err, size_t errlen)
{
    char *text = json_dumps(doc, JSON_INDENT(2));
    EVP_PKEY *key = idw_key_parse(text, strlen(text), "okta-key.json", kid, 128, err, errlen);
    free(text);
    json_decref(doc);
    return key;
}

/* Signs a JWS with the parsed key and verifies it with the original. */
static void signs_for(EVP_PKEY *parsed, EVP_PKEY *original, const char *alg)
{
    char err[256];
    assert_string_equal(idw_key_alg(parsed), alg);
    json_t *hdr = json_pack("{s:s}", "alg", alg), *claims = json_pack("{s:s}", "iss", "c");
    char *jws = idw_jws_sign(parsed, hdr, claims, err, sizeof err);
    assert_non_null(jws);
    verify_jws(original, jws);
    free(jws);
    json_decref(hdr);
    json_decref(claims);
}

static void jwk_accepted(const char *alg)
{
    char err[512], kid[128];
    EVP_PKEY *k = idw_key_generate(alg, err, sizeof err), *p;

    /* a single JWK, with its kid */
    assert_non_null(p = parse_doc(private_jwk(k, "kid-1"), kid, err, sizeof err));
    assert_int_equal(EVP_PKEY_eq(k, p), 1);
    assert_string_equal(kid, "kid-1");
    signs_for(p, k, alg);
    EVP_PKEY_free(p);
    /* a JWKS holding it, without kid */
    assert_non_null(p = parse_doc(json_pack("{s:[o]}", "keys", private_jwk(k, NULL)), kid, err, sizeof err));
    assert_int_equal(EVP_PKEY_eq(k, p), 1);
    assert_string_equal(kid, "");
    EVP_PKEY_free(p);
    if (!strcmp(alg, "RS256")) {
        /* n, e, d alone (the CRT values are optional) */
        json_t *jwk = private_jwk(k, NULL);
        for (const char *const *m = (const char *const[]){"p", "q", "dp", "dq", "qi", NULL}; *m; m++)
            json_object_del(jwk, *m);
        assert_non_null(p = parse_doc(jwk, kid, err, sizeof err));
        signs_for(p, k, alg);
        EVP_PKEY_free(p);
    }
    EVP_PKEY_free(k);
}

static void test_jwk_rsa(void **state) { (void)state; jwk_accepted("RS256"); }
static void test_jwk_ec(void **state) { (void)state; jwk_accepted("ES256"); }

/* A PEM and a JWK of the same key, from files: the file's content decides the format. */
static void test_jwk_file(void **state)
{
    (void)state;
    char err[512], kid[128], text[4096];
    EVP_PKEY *k = idw_key_generate("ES256", err, sizeof err), *p;
    json_t *jwk = private_jwk(k, "e1");
    char *compact = json_dumps(jwk, 0);

    /* a BOM and blank lines before the object, as some editors save it */
    snprintf(text, sizeof text, "\xEF\xBB\xBF\n  %s\n", compact);
    write_file(tmp_path("okta.json"), text, 0600);
    assert_non_null(p = idw_key_load(tmp_path("okta.json"), kid, sizeof kid, err, sizeof err));
    assert_int_equal(EVP_PKEY_eq(k, p), 1);
    assert_string_equal(kid, "e1");
    EVP_PKEY_free(p);
    free(compact);
    json_decref(jwk);
    EVP_PKEY_free(k);
}

/* Parses a broken JWK (takes doc); the error must contain want and no key material. */
static void jwk_refused(json_t *doc, const char *want)
{
    char err[512], kid[128] = "x";
    const json_t *jwk = json_object_get(doc, "keys") ? json_array_get(json_object_get(doc, "keys"), 0) : doc;
    char d16[17] = "";

    if (json_is_string(json_object_get(jwk, "d")))
        snprintf(d16, sizeof d16, "%s", json_string_value(json_object_get(jwk, "d")));
    assert_null(parse_doc(doc, kid, err, sizeof err));
    if (!strstr(err, want))
        fail_msg("expected \"%s\" in \"%s\"", want, err);
    assert_non_null(strstr(err, "okta-key.json: "));
    if (strlen(d16) == 16)
        assert_null(strstr(err, d16));
    assert_string_equal(kid, "");
}

static json_t *without(json_t *jwk, const char *m1, const char *m2)
{
    json_object_del(jwk, m1);
    if (m2)
        json_object_del(jwk, m2);
    return jwk;
}

static json_t *with(json_t *jwk, const char *member, json_t *value)
{
    json_object_set_new(jwk, member, value);
    return jwk;
}

static void test_jwk_errors(void **state)
{
    (void)state;
    char err[256];
    EVP_PKEY *rsa = idw_key_generate("RS256", err, sizeof err);
    EVP_PKEY *ec = idw_key_generate("ES256", err, sizeof err);
    EVP_PKEY *ec2 = idw_key_generate("ES256", err, sizeof err);
    EVP_PKEY *small = EVP_RSA_gen(1024);
    json_t *pub = without(without(private_jwk(rsa, "k"), "d", "p"), "q", "dp");

    jwk_refused(without(pub, "dq", "qi"),
                "the JWK holds a public key only (no \"d\"): paste the Private Key (JSON)");
    jwk_refused(without(private_jwk(ec, "k"), "d", NULL), "the JWK holds a public key only (no \"d\")");
    jwk_refused(without(private_jwk(rsa, "k"), "n", NULL), "the JWK lacks member \"n\"");
    jwk_refused(without(private_jwk(rsa, "k"), "qi", NULL), "the JWK lacks member \"qi\"");
    jwk_refused(without(private_jwk(ec, "k"), "y", NULL), "the JWK lacks member \"y\"");
    jwk_refused(without(private_jwk(ec, "k"), "crv", NULL), "the JWK lacks member \"crv\"");
    jwk_refused(without(private_jwk(rsa, "k"), "kty", NULL), "the JWK lacks member \"kty\"");
    jwk_refused(with(private_jwk(rsa, "k"), "kty", json_string("oct")), "unsupported JWK kty \"oct\"");
    jwk_refused(with(private_jwk(ec, "k"), "kty", json_string("OKP")), "unsupported JWK kty \"OKP\"");
    jwk_refused(with(private_jwk(ec, "k"), "crv", json_string("P-384")), "unsupported JWK crv \"P-384\"");
    jwk_refused(with(private_jwk(ec, "k"), "crv", json_string("secp256k1")),
                "unsupported JWK crv \"secp256k1\"");
    jwk_refused(json_pack("{s:[]}", "keys"), "the JWKS holds 0 keys; it must hold exactly one");
    jwk_refused(json_pack("{s:[o,o]}", "keys", private_jwk(rsa, "a"), private_jwk(ec, "b")),
                "the JWKS holds 2 keys; it must hold exactly one");
    jwk_refused(json_pack("{s:o}", "keys", private_jwk(rsa, "a")), "\"keys\" must be an array");
    jwk_refused(with(private_jwk(rsa, "k"), "d", json_string("ab+c")), "member \"d\" is not base64url");
    jwk_refused(with(private_jwk(rsa, "k"), "e", json_string("")), "member \"e\" is not base64url");
    jwk_refused(with(private_jwk(ec, "k"), "d", json_integer(7)), "member \"d\" must be a string");
    jwk_refused(with(private_jwk(rsa, "k"), "use", json_string("enc")), "\"use\" is \"enc\"");
    jwk_refused(with(private_jwk(rsa, "k"), "alg", json_string("RS384")),
                "\"alg\" is \"RS384\", but idwatch signs RS256");
    jwk_refused(with(private_jwk(ec, "k"), "alg", json_string("RS256")), "\"alg\" is \"RS256\"");
    jwk_refused(with(private_jwk(rsa, "k"), "oth", json_array()), "multi-prime RSA JWKs");
    jwk_refused(private_jwk(small, "k"), "key must be RSA >= 2048 bits");
    /* ec2's private half with ec's public half: refused here, not as Okta's "signature invalid" */
    json_t *mixed = private_jwk(ec, "k"), *other = private_jwk(ec2, NULL);
    json_object_set(mixed, "d", json_object_get(other, "d"));
    json_decref(other);
    jwk_refused(mixed, "the private key does not match its own public key");
    /* an x that puts the point off the curve */
    json_t *off = private_jwk(ec, "k");
    json_object_set(off, "x", json_object_get(off, "y"));
    jwk_refused(off, "the EC JWK's values do not make a key");

    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(ec2);
    EVP_PKEY_free(small);
}

/* Syntax errors say where, never quote the text (it holds the key). */
static void test_jwk_bad_json(void **state)
{
    (void)state;
    char err[512];
    const char *truncated = "{\"kty\":\"RSA\",\n \"d\":\"c2VjcmV0c2VjcmV0";
    const char *dup = "{\"kty\":\"EC\", \"d\":\"AAAA\", \"d\":\"BBBB\"}";

    assert_null(idw_key_parse(truncated, strlen(truncated), "k.json", NULL, 0, err, sizeof err));
    assert_non_null(strstr(err, "k.json: not valid JSON at line 2"));
    assert_null(strstr(err, "c2VjcmV0"));
    assert_null(idw_key_parse(dup, strlen(dup), "k.json", NULL, 0, err, sizeof err));
    assert_non_null(strstr(err, "a member appears twice"));
    assert_null(strstr(err, "AAAA"));
}

/* ---- SSWS tokens ------------------------------------------------------------- */

/* The Authorization header idwatch sends for a token file holding text; NULL when refused. */
static char *ssws_header(const char *text, char *err, size_t errlen)
{
    char cfg[512], *hdr[3], *out = NULL;
    struct idw_okta_auth *a;

    write_file(tmp_path("token"), text, 0600);
    snprintf(cfg, sizeof cfg, "{\"method\":\"ssws\",\"token_file\":\"%s\"}", tmp_path("token"));
    json_t *j = json_loads(cfg, 0, NULL);
    int rc = idw_okta_auth_new(j, "https://acme.okta.com", &a, err, errlen);
    json_decref(j);
    if (rc < 0)
        return NULL;
    assert_int_equal(idw_okta_auth_headers(a, NULL, "GET", "https://acme.okta.com/api/v1/logs", hdr,
                                           err, errlen), IDW_OKTA_OK);
    out = strdup(hdr[0]);
    assert_null(hdr[1]);
    idw_okta_auth_headers_free(hdr);
    idw_okta_auth_free(a);
    return out;
}

static void test_ssws_prefix(void **state)
{
    (void)state;
    static const struct { const char *file, *header; } ok[] = {
        {"00abcDEF-123_x\n", "Authorization: SSWS 00abcDEF-123_x"},
        {"SSWS 00abcDEF-123_x\n", "Authorization: SSWS 00abcDEF-123_x"},
        {"  SSWS 00abcDEF-123_x \r\n", "Authorization: SSWS 00abcDEF-123_x"},
        {"SSWS00abc\n", "Authorization: SSWS SSWS00abc"},   /* no space: not the scheme */
    };
    static const struct { const char *file, *want; } bad[] = {
        {"ssws 00abcDEF\n", "the token holds a space or tab"},      /* the scheme is case-sensitive */
        {"SSWS SSWS 00abcDEF\n", "the token holds a space or tab"},  /* one prefix only */
        {"SSWS \n", "nothing follows \"SSWS \""},
        {"Bearer 00abcDEF\n", "the token holds a space or tab"},
    };
    char err[512], *h;

    idw_log_set_level(IDW_LOG_ERROR);   /* the "prefix removed" notice is not under test */
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        h = ssws_header(ok[i].file, err, sizeof err);
        if (!h)
            fail_msg("%s refused: %s", ok[i].file, err);
        assert_string_equal(h, ok[i].header);
        free(h);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(ssws_header(bad[i].file, err, sizeof err));
        assert_non_null(strstr(err, bad[i].want));
        assert_null(strstr(err, "00abc"));
    }
    idw_log_set_level(IDW_LOG_INFO);
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

/* The rate-limit backoff doubles per answer up to the 120 s cap, never past it (the storm saw 128 s). */
static void test_rate_backoff_cap(void **state)
{
    (void)state;
    assert_int_equal(idw_okta_rate_backoff_ms(0), 1000);
    assert_int_equal(idw_okta_rate_backoff_ms(1), 1000);
    assert_int_equal(idw_okta_rate_backoff_ms(2), 2000);
    assert_int_equal(idw_okta_rate_backoff_ms(7), 64000);
    assert_int_equal(idw_okta_rate_backoff_ms(8), 120000);
    assert_int_equal(idw_okta_rate_backoff_ms(9), 120000);
    assert_int_equal(idw_okta_rate_backoff_ms(1000000), 120000);
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

/* A page sink that records what the poller hands it (no pipeline: source/ stands alone). */
static int64_t stub_live_from = -1;

static enum idw_rc stub_feed(void *ctx, json_t *raw, enum idw_page_verdict *verdict,
                             const char **refusal, char *reason, size_t reasonlen)
{
    (void)ctx, (void)raw, (void)refusal, (void)reason, (void)reasonlen;
    *verdict = IDW_PAGE_ACCEPTED;
    return IDW_OK;
}

static enum idw_rc stub_commit(void *ctx, idw_page_hook hook, void *hook_ctx, char *err, size_t errlen)
{
    (void)ctx, (void)hook, (void)hook_ctx, (void)err, (void)errlen;
    return IDW_OK;
}

static void stub_live(void *ctx, int64_t live_from_ms)
{
    (void)ctx;
    stub_live_from = live_from_ms;
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
    assert_int_equal(idw_okta_resume(st, "acme", err, sizeof err), -1);

    /* org.auth points into oc.json, which must outlive the poller */
    struct idw_org_config oc = {"acme", json_loads("{\"org_url\":\"https://acme.okta.com\",\"auth\":"
                                                   "{\"method\":\"ssws\",\"token_env\":\"IDW_TEST_TOKEN\"}}",
                                                   0, NULL)};
    assert_int_equal(idw_config_parse("{}", "test", &cfg, err, sizeof err), 0);
    assert_int_equal(idw_okta_org_read(&oc, &org, err, sizeof err), 0);
    setenv("IDW_TEST_TOKEN", "not-a-real-token", 1);
    struct idw_poll_opts po = {0};
    err[0] = '\0';
    assert_int_equal(idw_okta_poller_new(st, &org, &po, &p, err, sizeof err), IDW_ERR);   /* no sink */
    assert_null(p);
    assert_non_null(strstr(err, "page sink"));
    po.sink = (struct idw_page_sink){.feed = stub_feed, .commit = stub_commit, .set_live_from = stub_live};
    p = (struct idw_okta_poller *)1;
    err[0] = '\0';
    assert_int_equal(idw_okta_poller_new(st, &org, &po, &p, err, sizeof err), IDW_ERR);
    assert_null(p);
    assert_non_null(strstr(err, "acme"));
    assert_non_null(strstr(err, "cannot be read"));
    assert_int_equal(stub_live_from, -1);       /* refused before anything reached the sink */

    put_raw_state(st, "[1, 2]", 6);      /* JSON, but not the state object */
    assert_int_equal(idw_okta_state_get(st, "acme", &doc, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a JSON object"));

    put_raw_state(st, "{\"paused\": true, \"live_from_ms\": 1234}", 38);
    assert_int_equal(idw_okta_state_get(st, "acme", &doc, err, sizeof err), 0);
    assert_true(json_is_true(json_object_get(doc, "paused")));
    json_decref(doc);
    assert_int_equal(idw_okta_poller_new(st, &org, &po, &p, err, sizeof err), IDW_OK);
    assert_int_equal(stub_live_from, 1234);     /* the org's history end, handed to the sink */
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
        cmocka_unit_test(test_key_file_kinds),
        cmocka_unit_test(test_b64url_decode),
        cmocka_unit_test(test_jwk_rsa),
        cmocka_unit_test(test_jwk_ec),
        cmocka_unit_test(test_jwk_file),
        cmocka_unit_test(test_jwk_errors),
        cmocka_unit_test(test_jwk_bad_json),
        cmocka_unit_test(test_ssws_prefix),
        cmocka_unit_test(test_ath),
        /* connector hardening */
        cmocka_unit_test(test_retry_after_bounds),
        cmocka_unit_test(test_rate_backoff_cap),
        cmocka_unit_test(test_org_url_parts),
        cmocka_unit_test(test_state_read_errors),
    };
    return cmocka_run_group_tests_name("okta", tests, make_tmpdir, remove_tmpdir);
}
