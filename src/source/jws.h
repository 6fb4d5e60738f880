/*
 * jws.h — the JSON Web Signature pieces OAuth private_key_jwt and DPoP
 * need, built on OpenSSL: base64url, key loading (PEM or a private JWK as
 * the Okta Admin Console hands it out), RS256/ES256 compact signatures,
 * and public JWKs.  No hand-written crypto: signatures are EVP_DigestSign,
 * keys from JWKs are EVP_PKEY_fromdata, base64 is EVP_EncodeBlock and
 * EVP_DecodeBlock.
 *
 * Secrets: functions that read a private key never put key material or
 * the file's content into err; they name the file and the problem.
 */
#ifndef IDW_JWS_H
#define IDW_JWS_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "common/rc.h"

/* base64url without padding of len bytes; returns a malloc'd string or NULL. */
char *idw_b64url(const unsigned char *data, size_t len) IDW_MUST_CHECK;

/*
 * base64url (RFC 4648 §5, no padding, no whitespace) to bytes.  Returns a
 * malloc'd buffer of *outlen bytes (wipe it if it held a secret), or NULL
 * when in is not base64url or memory ran out.
 */
unsigned char *idw_b64url_decode(const char *in, size_t *outlen) IDW_MUST_CHECK;

/*
 * A client-assertion private key from text, recognised by its content:
 *   PEM   PKCS#8, PKCS#1 RSA or SEC1 EC, unencrypted;
 *   JSON  a private JWK (RFC 7517/7518: kty "RSA" with n, e, d and
 *         optionally all of p, q, dp, dq, qi; kty "EC", crv "P-256" with
 *         x, y, d), or a JWKS {"keys": [that JWK]} with exactly one key.
 * RSA keys must be 2048..8192 bits; EC keys must be P-256 (idwatch signs
 * RS256 or ES256).  A JWK's "use", when present, must be "sig" and its
 * "alg" must be the one idwatch signs with.  Every key must sign a test
 * message its own public half verifies.  When kid is not NULL it receives
 * the JWK's "kid" ("" for PEM or a JWK without one).  where names the
 * source in messages (a path); err never holds key material.  Returns the
 * key, or NULL with err set.
 */
EVP_PKEY *idw_key_parse(const char *text, size_t len, const char *where,
                        char *kid, size_t kidlen, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * idw_key_parse over the content of the file at path, read with
 * idw_secret_file_read (no symlink, no FIFO, a regular file of mode 600 or
 * stricter, at most IDW_SECRET_FILE_MAX bytes); the copy in memory is wiped.
 * Messages start "auth.private_key_file: <path>: ".
 */
EVP_PKEY *idw_key_load(const char *path, char *kid, size_t kidlen, char *err, size_t errlen) IDW_MUST_CHECK;

/* A fresh key for DPoP proofs: RSA 2048 ("RS256") or EC P-256 ("ES256"). */
EVP_PKEY *idw_key_generate(const char *alg, char *err, size_t errlen) IDW_MUST_CHECK;

/* "RS256" for RSA keys, "ES256" for P-256 keys, NULL otherwise. */
const char *idw_key_alg(EVP_PKEY *key);

/* The public JWK of key: {"kty":"RSA","n","e"} or {"kty":"EC","crv":"P-256","x","y"}. */
json_t *idw_key_public_jwk(EVP_PKEY *key) IDW_MUST_CHECK;

/*
 * Signs header and claims (serialized compactly, in that order) and
 * returns the compact JWS "h.p.s" (malloc'd), or NULL with err set.  The
 * header's "alg" must already match the key.
 */
char *idw_jws_sign(EVP_PKEY *key, const json_t *header, const json_t *claims,
                   char *err, size_t errlen) IDW_MUST_CHECK;

/* base64url(SHA-256(text)), for DPoP "ath"; malloc'd. */
char *idw_sha256_b64url(const char *text) IDW_MUST_CHECK;

#endif
