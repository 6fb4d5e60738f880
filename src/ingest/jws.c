/*
 * jws.c — base64url, key loading, RS256/ES256 compact JWS and public JWKs
 * with OpenSSL 3 (see jws.h).  ES256 needs one conversion OpenSSL does not
 * do for us: its ECDSA signature is DER, JWS wants the raw R||S pair.
 */
#include "ingest/jws.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

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

static int check_key_file(const char *path, int allow_loose_mode, char *err, size_t errlen)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!allow_loose_mode && (sb.st_mode & 077)) {
        snprintf(err, errlen, "%s: private key is readable by group or others (mode %03o); "
                 "chmod 600 it", path, (unsigned)(sb.st_mode & 0777));
        return -1;
    }
    return 0;
}

EVP_PKEY *idw_key_load(const char *path, int allow_loose_mode, char *err, size_t errlen)
{
    char reason[256];
    EVP_PKEY *key;
    FILE *f;

    if (check_key_file(path, allow_loose_mode, err, errlen) < 0)
        return NULL;
    if (!(f = fopen(path, "r"))) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    key = PEM_read_PrivateKey(f, NULL, NULL, (void *)"");  /* no passphrase prompts */
    fclose(f);
    if (!key) {
        ossl_reason(reason, sizeof reason);
        snprintf(err, errlen, "%s: not a PEM private key (PKCS#8, PKCS#1 or SEC1): %s", path, reason);
        return NULL;
    }
    if (!idw_key_alg(key) || (EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) < 2048)) {
        snprintf(err, errlen, "%s: key must be RSA >= 2048 bits or EC P-256", path);
        EVP_PKEY_free(key);
        return NULL;
    }
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

    if (h && c && (input = malloc(strlen(h) + strlen(c) + 2))) {
        sprintf(input, "%s.%s", h, c);
        s = sign_b64(key, input, err, errlen);
        if (s && (out = malloc(strlen(input) + strlen(s) + 2)))
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
