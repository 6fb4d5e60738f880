/*
 * jws.c — base64url, key loading (PEM, or a private JWK built with
 * EVP_PKEY_fromdata), RS256/ES256 compact JWS and public JWKs with
 * OpenSSL 3 (see jws.h).  ES256 needs one conversion OpenSSL does not do
 * for us: its ECDSA signature is DER, JWS wants the raw R||S pair.
 */
#include "source/jws.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "common/util.h"

#define B64URL_ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

char *idw_b64url(const unsigned char *data, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    int n;

    if (!out)
        return NULL;
    n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
    while (n > 0 && out[n - 1] == '=')
        n--;
    out[n] = '\0';
    for (char *p = out; *p; p++) {
        if (*p == '+')
            *p = '-';
        else if (*p == '/')
            *p = '_';
    }
    return out;
}

unsigned char *idw_b64url_decode(const char *in, size_t *outlen)
{
    size_t n = strlen(in), padded = (n + 3) / 4 * 4, pad = padded - n;
    unsigned char *out;
    char *b64;
    int len;

    /* EVP_DecodeBlock speaks the standard alphabet with padding: translate, pad */
    if (n % 4 == 1 || strspn(in, B64URL_ALPHABET) != n || n > (size_t)INT_MAX / 2)
        return NULL;
    b64 = malloc(padded + 1);
    if (!b64)
        return NULL;
    out = malloc(padded / 4 * 3 + 1);
    if (!out) {
        free(b64);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        b64[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
    memset(b64 + n, '=', pad);
    b64[padded] = '\0';
    len = EVP_DecodeBlock(out, (unsigned char *)b64, (int)padded);
    OPENSSL_cleanse(b64, padded);
    free(b64);
    if (len < (int)pad) {
        free(out);
        return NULL;
    }
    *outlen = (size_t)len - pad;    /* EVP_DecodeBlock counts the padding's zero bytes */
    return out;
}

static void ossl_reason(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();
    if (e)
        ERR_error_string_n(e, buf, len);
    else
        snprintf(buf, len, "unknown error");
    ERR_clear_error();
}

const char *idw_key_alg(EVP_PKEY *key)
{
    char group[32];
    size_t glen = 0;

    if (EVP_PKEY_is_a(key, "RSA"))
        return "RS256";
    if (EVP_PKEY_is_a(key, "EC") &&
        EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &glen) &&
        strcmp(group, "prime256v1") == 0)
        return "ES256";
    return NULL;
}

/* ---- private JWKs (RFC 7517, RFC 7518 §6) ------------------------------------ */

/*
 * Member name of jwk as a string into *out (NULL when absent and not
 * required).  Returns 0, or -1 with err naming the member.
 */
static int jwk_member(const json_t *jwk, const char *name, int required, const char **out,
                      const char *where, char *err, size_t errlen)
{
    const json_t *v = json_object_get(jwk, name);

    *out = json_string_value(v);
    if (!v && !required)
        return 0;
    if (!v)
        snprintf(err, errlen, "%s: the JWK lacks member \"%s\"", where, name);
    else if (!json_is_string(v))
        snprintf(err, errlen, "%s: the JWK's member \"%s\" must be a string", where, name);
    return *out ? 0 : -1;
}

/* Member name (a base64url big-endian integer) as a BIGNUM; secret ones in secure memory. */
static BIGNUM *jwk_bn(const json_t *jwk, const char *name, int secret, const char *where,
                      char *err, size_t errlen)
{
    const char *text;
    unsigned char *raw;
    size_t n = 0;
    BIGNUM *bn;

    if (jwk_member(jwk, name, 1, &text, where, err, errlen) < 0)
        return NULL;
    raw = idw_b64url_decode(text, &n);
    if (!raw || n == 0) {
        snprintf(err, errlen, "%s: the JWK's member \"%s\" is not base64url (no padding, "
                 "alphabet A-Z a-z 0-9 - _)", where, name);
        free(raw);
        return NULL;
    }
    bn = secret ? BN_secure_new() : BN_new();
    if (bn && !BN_bin2bn(raw, (int)n, bn)) {
        BN_clear_free(bn);
        bn = NULL;
    }
    if (!bn)
        snprintf(err, errlen, "%s: out of memory", where);
    OPENSSL_cleanse(raw, n);
    free(raw);
    return bn;
}

/* A key pair of type ("RSA", "EC") from the parameters in bld. */
static EVP_PKEY *key_from_params(const char *type, OSSL_PARAM_BLD *bld, const char *where,
                                 char *err, size_t errlen)
{
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *key = NULL;
    char reason[256];

    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params) != 1) {
        ossl_reason(reason, sizeof reason);
        snprintf(err, errlen, "%s: the %s JWK's values do not make a key: %s", where, type, reason);
        EVP_PKEY_free(key);
        key = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);    /* clears its secure part, where the secret BIGNUMs went */
    return key;
}

static const struct {
    const char *member, *param;
    int secret;
} rsa_members[] = {
    {"n", OSSL_PKEY_PARAM_RSA_N, 0},
    {"e", OSSL_PKEY_PARAM_RSA_E, 0},
    {"d", OSSL_PKEY_PARAM_RSA_D, 1},
    /* the CRT values: all five or none (RFC 7518 §6.3.2) */
    {"p", OSSL_PKEY_PARAM_RSA_FACTOR1, 1},
    {"q", OSSL_PKEY_PARAM_RSA_FACTOR2, 1},
    {"dp", OSSL_PKEY_PARAM_RSA_EXPONENT1, 1},
    {"dq", OSSL_PKEY_PARAM_RSA_EXPONENT2, 1},
    {"qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 1},
};
#define RSA_MEMBERS (sizeof rsa_members / sizeof rsa_members[0])

static EVP_PKEY *rsa_from_jwk(const json_t *jwk, const char *where, char *err, size_t errlen)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *bn[RSA_MEMBERS] = {0};
    size_t count = 3;
    EVP_PKEY *key = NULL;

    if (json_object_get(jwk, "oth")) {
        snprintf(err, errlen, "%s: multi-prime RSA JWKs (member \"oth\") are not supported", where);
        goto done;
    }
    for (size_t i = 3; i < RSA_MEMBERS; i++)
        if (json_object_get(jwk, rsa_members[i].member))
            count = RSA_MEMBERS;        /* one CRT value present: the missing ones get named */
    for (size_t i = 0; i < count; i++) {
        bn[i] = jwk_bn(jwk, rsa_members[i].member, rsa_members[i].secret, where, err, errlen);
        if (!bn[i])
            goto done;
        if (!bld || !OSSL_PARAM_BLD_push_BN(bld, rsa_members[i].param, bn[i])) {
            snprintf(err, errlen, "%s: out of memory", where);
            goto done;
        }
    }
    key = key_from_params("RSA", bld, where, err, errlen);
done:
    for (size_t i = 0; i < RSA_MEMBERS; i++)
        BN_clear_free(bn[i]);
    OSSL_PARAM_BLD_free(bld);
    return key;
}

static EVP_PKEY *ec_from_jwk(const json_t *jwk, const char *where, char *err, size_t errlen)
{
    BIGNUM *x = jwk_bn(jwk, "x", 0, where, err, errlen);
    BIGNUM *y = x ? jwk_bn(jwk, "y", 0, where, err, errlen) : NULL;
    BIGNUM *d = y ? jwk_bn(jwk, "d", 1, where, err, errlen) : NULL;
    unsigned char point[65];            /* uncompressed: 0x04 || X || Y */
    OSSL_PARAM_BLD *bld = NULL;
    EVP_PKEY *key = NULL;

    if (!d)
        goto done;
    if (BN_num_bytes(x) > 32 || BN_num_bytes(y) > 32 || BN_num_bytes(d) > 32) {
        snprintf(err, errlen, "%s: a P-256 JWK's x, y and d are 32 bytes each", where);
        goto done;
    }
    point[0] = POINT_CONVERSION_UNCOMPRESSED;
    BN_bn2binpad(x, point + 1, 32);
    BN_bn2binpad(y, point + 33, 32);
    bld = OSSL_PARAM_BLD_new();
    if (!bld ||
        !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d))
        snprintf(err, errlen, "%s: out of memory", where);
    else
        key = key_from_params("EC", bld, where, err, errlen);
done:
    BN_free(x);
    BN_free(y);
    BN_clear_free(d);
    OSSL_PARAM_BLD_free(bld);
    return key;
}

/* kty, crv, use and alg say whether idwatch can sign with this JWK; 0 or -1 with err. */
static int jwk_signable(const json_t *jwk, const char *where, char *err, size_t errlen)
{
    const char *kty, *crv, *use, *alg, *want;

    if (jwk_member(jwk, "kty", 1, &kty, where, err, errlen) < 0)
        return -1;
    if (strcmp(kty, "RSA") != 0 && strcmp(kty, "EC") != 0) {
        snprintf(err, errlen, "%s: unsupported JWK kty \"%.16s\": use an RSA or an EC P-256 key",
                 where, kty);
        return -1;
    }
    if (strcmp(kty, "EC") == 0) {
        if (jwk_member(jwk, "crv", 1, &crv, where, err, errlen) < 0)
            return -1;
        if (strcmp(crv, "P-256") != 0) {
            snprintf(err, errlen, "%s: unsupported JWK crv \"%.16s\": idwatch signs ES256, which "
                     "needs an EC P-256 key (or use an RSA key)", where, crv);
            return -1;
        }
    }
    if (!json_object_get(jwk, "d")) {
        snprintf(err, errlen, "%s: the JWK holds a public key only (no \"d\"): paste the "
                 "Private Key (JSON)", where);
        return -1;
    }
    want = strcmp(kty, "RSA") == 0 ? "RS256" : "ES256";
    if (jwk_member(jwk, "use", 0, &use, where, err, errlen) < 0 ||
        jwk_member(jwk, "alg", 0, &alg, where, err, errlen) < 0)
        return -1;
    if (use && strcmp(use, "sig") != 0) {
        snprintf(err, errlen, "%s: the JWK's \"use\" is \"%.16s\"; a client assertion needs a "
                 "signing key (\"use\": \"sig\")", where, use);
        return -1;
    }
    if (alg && strcmp(alg, want) != 0) {
        snprintf(err, errlen, "%s: the JWK's \"alg\" is \"%.16s\", but idwatch signs %s with an %s "
                 "key", where, alg, want, kty);
        return -1;
    }
    return 0;
}

static EVP_PKEY *key_from_jwk(const json_t *jwk, const char *where, char *kid, size_t kidlen,
                              char *err, size_t errlen)
{
    const char *jkid;
    EVP_PKEY *key;

    if (jwk_signable(jwk, where, err, errlen) < 0 ||
        jwk_member(jwk, "kid", 0, &jkid, where, err, errlen) < 0)
        return NULL;
    if (kid && jkid && strlen(jkid) >= kidlen) {
        snprintf(err, errlen, "%s: the JWK's \"kid\" is longer than %zu characters", where, kidlen - 1);
        return NULL;
    }
    key = strcmp(json_string_value(json_object_get(jwk, "kty")), "RSA") == 0
              ? rsa_from_jwk(jwk, where, err, errlen)
              : ec_from_jwk(jwk, where, err, errlen);
    if (key && kid)
        idw_strlcpy(kid, jkid, kidlen);
    return key;
}

/* The one JWK in doc: doc itself, or the single key of a JWKS {"keys": [...]}. */
static const json_t *single_jwk(const json_t *doc, const char *where, char *err, size_t errlen)
{
    const json_t *keys = json_object_get(doc, "keys");

    if (!keys)
        return doc;
    if (!json_is_array(keys)) {
        snprintf(err, errlen, "%s: the JWKS member \"keys\" must be an array", where);
        return NULL;
    }
    if (json_array_size(keys) != 1) {
        snprintf(err, errlen, "%s: the JWKS holds %zu keys; it must hold exactly one, the private "
                 "key idwatch signs with", where, json_array_size(keys));
        return NULL;
    }
    if (!json_is_object(json_array_get(keys, 0))) {
        snprintf(err, errlen, "%s: the JWKS's key must be a JSON object", where);
        return NULL;
    }
    return json_array_get(keys, 0);
}

/*
 * jansson frees its strings without wiping them: overwrite the private
 * members in place first.  (Its parser's scratch buffers are not wiped, a
 * known limit shared with the access token.)
 */
static void wipe_private_members(const json_t *jwk)
{
    static const char *const secret[] = {"d", "p", "q", "dp", "dq", "qi"};

    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++) {
        const json_t *v = json_object_get(jwk, secret[i]);
        if (json_is_string(v))
            OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
    }
}

static EVP_PKEY *key_from_json(const char *text, size_t len, const char *where, char *kid,
                               size_t kidlen, char *err, size_t errlen)
{
    json_error_t je;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    const json_t *jwk;
    EVP_PKEY *key = NULL;

    if (!doc) {
        /* position only: jansson's text quotes the input, which is secret */
        snprintf(err, errlen, "%s: not valid JSON at line %d, column %d (byte offset %d)%s", where,
                 je.line, je.column, je.position,
                 json_error_code(&je) == json_error_duplicate_key ? ": a member appears twice" : "");
        return NULL;
    }
    jwk = single_jwk(doc, where, err, errlen);
    if (jwk) {
        key = key_from_jwk(jwk, where, kid, kidlen, err, errlen);
        wipe_private_members(jwk);
    }
    json_decref(doc);
    return key;
}

/* ---- PEM, and the rules every key meets ------------------------------------------ */

static EVP_PKEY *key_from_pem(const char *text, size_t len, const char *where,
                              char *err, size_t errlen)
{
    BIO *bio = BIO_new_mem_buf(text, (int)len);
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)"") : NULL;  /* no prompts */
    char reason[256];

    BIO_free(bio);
    if (!key) {
        ossl_reason(reason, sizeof reason);
        snprintf(err, errlen, "%s: not a PEM private key (PKCS#8, PKCS#1 or SEC1) nor a JWK "
                 "(a JSON object): %s", where, reason);
    }
    return key;
}

/* Signs a fixed text and verifies it with the key's public half. */
static int key_self_test(EVP_PKEY *key)
{
    static const unsigned char msg[] = "idwatch key self-test";
    unsigned char sig[1024];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *s = EVP_MD_CTX_new(), *v = EVP_MD_CTX_new();
    int ok = s && v && EVP_DigestSignInit(s, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestSign(s, sig, &siglen, msg, sizeof msg - 1) == 1 &&
             EVP_DigestVerifyInit(v, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestVerify(v, sig, siglen, msg, sizeof msg - 1) == 1;

    EVP_MD_CTX_free(s);
    EVP_MD_CTX_free(v);
    ERR_clear_error();
    return ok;
}

/* What idwatch can sign with: RS256 (2048..8192 bits) or ES256, private matching public. */
static int key_usable(EVP_PKEY *key, const char *where, char *err, size_t errlen)
{
    int bits = EVP_PKEY_get_bits(key);

    if (!idw_key_alg(key) || (EVP_PKEY_is_a(key, "RSA") && (bits < 2048 || bits > 8192))) {
        snprintf(err, errlen, "%s: key must be RSA >= 2048 bits (up to 8192) or EC P-256", where);
        return -1;
    }
    /* a hand-edited or truncated key fails here rather than as Okta's "signature is invalid" */
    if (!key_self_test(key)) {
        snprintf(err, errlen, "%s: the private key does not match its own public key "
                 "(damaged or edited?)", where);
        return -1;
    }
    return 0;
}

/*
 * When the text is JSON (its first character after a UTF-8 BOM and blanks
 * is '{'), where jansson should start (past the BOM, which it refuses);
 * otherwise -1.
 */
static long json_start(const char *text, size_t len)
{
    size_t bom = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0, i = bom;

    while (i < len && isspace((unsigned char)text[i]))
        i++;
    return i < len && text[i] == '{' ? (long)bom : -1;
}

EVP_PKEY *idw_key_parse(const char *text, size_t len, const char *where,
                        char *kid, size_t kidlen, char *err, size_t errlen)
{
    long js = json_start(text, len);
    size_t blank = 0;
    EVP_PKEY *key;

    if (kid && kidlen)
        kid[0] = '\0';
    while (blank < len && isspace((unsigned char)text[blank]))
        blank++;
    if (blank == len) {
        snprintf(err, errlen, "%s: the key file is empty", where);
        return NULL;
    }
    key = js >= 0 ? key_from_json(text + js, len - (size_t)js, where, kid, kidlen, err, errlen)
                  : key_from_pem(text, len, where, err, errlen);
    if (key && key_usable(key, where, err, errlen) < 0) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    if (!key && kid && kidlen)
        kid[0] = '\0';
    return key;
}

EVP_PKEY *idw_key_load(const char *path, char *kid, size_t kidlen, char *err, size_t errlen)
{
    static const char what[] = "auth.private_key_file";
    size_t len = 0;
    char *text = idw_secret_file_read(path, what, IDW_SECRET_FILE_MAX, &len, err, errlen);
    char where[1200];
    EVP_PKEY *key;

    snprintf(where, sizeof where, "%s: %s", what, path);
    key = text ? idw_key_parse(text, len, where, kid, kidlen, err, errlen) : NULL;
    idw_secret_buf_free(text, len);
    return key;
}

EVP_PKEY *idw_key_generate(const char *alg, char *err, size_t errlen)
{
    EVP_PKEY *key = strcmp(alg, "ES256") == 0 ? EVP_EC_gen("P-256")
                                              : EVP_RSA_gen(2048);
    if (!key) {
        char reason[256];
        ossl_reason(reason, sizeof reason);
        snprintf(err, errlen, "cannot generate a %s key: %s", alg, reason);
    }
    return key;
}

/* base64url of a BIGNUM parameter, left-padded to pad bytes (0 = minimal). */
static char *bn_param_b64(EVP_PKEY *key, const char *name, int pad)
{
    BIGNUM *bn = NULL;
    unsigned char buf[1024];
    char *out = NULL;
    int n;

    if (!EVP_PKEY_get_bn_param(key, name, &bn))
        return NULL;
    n = pad ? pad : BN_num_bytes(bn);
    if (n > 0 && n <= (int)sizeof buf && BN_bn2binpad(bn, buf, n) == n)
        out = idw_b64url(buf, (size_t)n);
    BN_free(bn);
    return out;
}

json_t *idw_key_public_jwk(EVP_PKEY *key)
{
    json_t *jwk = NULL;
    char *a, *b;

    if (EVP_PKEY_is_a(key, "RSA")) {
        a = bn_param_b64(key, OSSL_PKEY_PARAM_RSA_N, 0);
        b = bn_param_b64(key, OSSL_PKEY_PARAM_RSA_E, 0);
        if (a && b)
            jwk = json_pack("{s:s, s:s, s:s}", "kty", "RSA", "n", a, "e", b);
    } else {
        a = bn_param_b64(key, OSSL_PKEY_PARAM_EC_PUB_X, 32);
        b = bn_param_b64(key, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
        if (a && b)
            jwk = json_pack("{s:s, s:s, s:s, s:s}", "kty", "EC", "crv", "P-256", "x", a, "y", b);
    }
    free(a);
    free(b);
    return jwk;
}

/* DER ECDSA-Sig-Value → 64-byte R||S. */
static int ecdsa_der_to_raw(const unsigned char *der, size_t len, unsigned char raw[64])
{
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
    const BIGNUM *r, *s;
    int ok;

    if (!sig)
        return -1;
    ECDSA_SIG_get0(sig, &r, &s);
    ok = BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
    ECDSA_SIG_free(sig);
    return ok ? 0 : -1;
}

static char *b64_json(const json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    char *out = text ? idw_b64url((unsigned char *)text, strlen(text)) : NULL;
    free(text);
    return out;
}

/* Signs input with key; returns the base64url signature. */
static char *sign_b64(EVP_PKEY *key, const char *input, char *err, size_t errlen)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char sig[1024], raw[64];
    size_t siglen = sizeof sig;
    char *out = NULL;

    if (ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
        EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input, strlen(input)) == 1) {
        if (EVP_PKEY_is_a(key, "EC"))
            out = ecdsa_der_to_raw(sig, siglen, raw) == 0 ? idw_b64url(raw, sizeof raw) : NULL;
        else
            out = idw_b64url(sig, siglen);
    }
    if (!out) {
        char reason[256];
        ossl_reason(reason, sizeof reason);
        snprintf(err, errlen, "signing failed: %s", reason);
    }
    EVP_MD_CTX_free(ctx);
    return out;
}

char *idw_jws_sign(EVP_PKEY *key, const json_t *header, const json_t *claims,
                   char *err, size_t errlen)
{
    char *h = b64_json(header), *c = b64_json(claims), *input = NULL, *s = NULL, *out = NULL;

    if (h && c)
        input = malloc(strlen(h) + strlen(c) + 2);
    if (input) {
        sprintf(input, "%s.%s", h, c);
        s = sign_b64(key, input, err, errlen);
        if (s)
            out = malloc(strlen(input) + strlen(s) + 2);
        if (out)
            sprintf(out, "%s.%s", input, s);
    } else {
        snprintf(err, errlen, "out of memory");
    }
    free(h);
    free(c);
    free(s);
    /* the signing input holds no secret, but keep memory hygiene uniform */
    free(input);
    return out;
}

char *idw_sha256_b64url(const char *text)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)text, strlen(text), md);
    return idw_b64url(md, sizeof md);
}
