/*
 * fuzz_key.c — the client-assertion key file of private_key_jwt
 * (src/source/jws.h, idw_key_parse, which idw_key_load runs on the file's
 * content): PEM (PKCS#8, PKCS#1, SEC1) or Okta's private JWK, alone or as
 * a one-key JWKS, with its kty/crv/use/alg rules, base64url members, the
 * key built with EVP_PKEY_fromdata, the size rules and the self-test
 * signature.
 *
 * Input: the file's content.  Inputs over KEY_MAX_INPUT bytes are skipped (and
 * run.sh passes -max_len): an RSA key's self-test signs once, and the
 * exponentiation of an 8192-bit key without CRT values would make each
 * such input cost a large part of a second.  KEY_MAX_INPUT still holds an RSA
 * 2048 JWK or PEM with room for mutations.
 *
 * Invariants: a refusal says why and names the source; the kid is
 * terminated, fits and is "" on a refusal; an accepted key is RS256 or
 * ES256 and signs a JWS; a refusal never quotes a private member of the
 * JWK (d, p, q, dp, dq, qi).
 */
#include "fuzz_util.h"

#include "source/jws.h"

#define KEY_MAX_INPUT 2600
#define WHERE "auth.private_key_file: /fuzz/key"

/* The private members of the JWK in text (or of its JWKS's first key), if it is JSON. */
static void check_no_secret(const uint8_t *data, size_t size, const char *err)
{
    static const char *const secret[] = {"d", "p", "q", "dp", "dq", "qi"};
    json_t *doc = json_loadb((const char *)data, size, 0, NULL);
    const json_t *jwk = json_object_get(doc, "keys") ? json_array_get(json_object_get(doc, "keys"), 0)
                                                     : doc;

    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++) {
        const char *v = json_string_value(json_object_get(jwk, secret[i]));
        /* messages quote public members up to 16 bytes; longer secrets must never appear */
        if (v && strlen(v) > 16)
            FUZZ_CHECK(strstr(err, v) == NULL);
    }
    json_decref(doc);
}

static void check_signs(EVP_PKEY *key)
{
    const char *alg = idw_key_alg(key);
    json_t *hdr, *claims = json_pack("{s:s}", "iss", "fuzz");
    char err[256], *jws;

    FUZZ_CHECK(alg && (!strcmp(alg, "RS256") || !strcmp(alg, "ES256")));
    hdr = json_pack("{s:s}", "alg", alg);
    jws = idw_jws_sign(key, hdr, claims, err, sizeof err);
    FUZZ_CHECK(jws != NULL);
    free(jws);
    json_decref(hdr);
    json_decref(claims);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char kid[32], err[1024];
    EVP_PKEY *key;

    if (size > KEY_MAX_INPUT)
        return 0;
    memset(kid, 'x', sizeof kid);
    err[0] = '\0';
    key = idw_key_parse((const char *)data, size, WHERE, kid, sizeof kid, err, sizeof err);
    FUZZ_CHECK(memchr(kid, '\0', sizeof kid) != NULL);
    if (!key) {
        FUZZ_CHECK(kid[0] == '\0');
        FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL);
        FUZZ_CHECK(strncmp(err, WHERE ": ", strlen(WHERE) + 2) == 0 && err[strlen(WHERE) + 2]);
        check_no_secret(data, size, err);
        return 0;
    }
    check_signs(key);
    EVP_PKEY_free(key);
    return 0;
}
