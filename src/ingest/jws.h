/*
 * jws.h — the JSON Web Signature pieces OAuth private_key_jwt and DPoP
 * need, built on OpenSSL: base64url, key loading, RS256/ES256 compact
 * signatures, and public JWKs.  No hand-written crypto: signatures are
 * EVP_DigestSign, base64 is EVP_EncodeBlock.
 *
 * Secrets: functions that read a private key never put key material or
 * the file's content into err; they name the file and the problem.
 */
#ifndef IDW_JWS_H
#define IDW_JWS_H

#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

/* base64url without padding of len bytes; returns a malloc'd string or NULL. */
char *idw_b64url(const unsigned char *data, size_t len);

/*
 * Loads a private key from a PEM file (PKCS#8, PKCS#1 RSA or SEC1 EC).
 * Refuses a file that group or others can read (mode & 077) unless
 * allow_loose_mode is set.  RSA keys must be >= 2048 bits; EC keys must be
 * P-256.  Returns the key, or NULL with a message in err.
 */
EVP_PKEY *idw_key_load(const char *path, int allow_loose_mode, char *err, size_t errlen);

/* A fresh key for DPoP proofs: RSA 2048 ("RS256") or EC P-256 ("ES256"). */
EVP_PKEY *idw_key_generate(const char *alg, char *err, size_t errlen);

/* "RS256" for RSA keys, "ES256" for P-256 keys, NULL otherwise. */
const char *idw_key_alg(EVP_PKEY *key);

/* The public JWK of key: {"kty":"RSA","n","e"} or {"kty":"EC","crv":"P-256","x","y"}. */
json_t *idw_key_public_jwk(EVP_PKEY *key);

/*
 * Signs header and claims (serialized compactly, in that order) and
 * returns the compact JWS "h.p.s" (malloc'd), or NULL with err set.  The
 * header's "alg" must already match the key.
 */
char *idw_jws_sign(EVP_PKEY *key, const json_t *header, const json_t *claims,
                   char *err, size_t errlen);

/* base64url(SHA-256(text)), for DPoP "ath"; malloc'd. */
char *idw_sha256_b64url(const char *text);

#endif
