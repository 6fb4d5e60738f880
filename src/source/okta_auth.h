/*
 * okta_auth.h — authenticating to an Okta org's API.
 *
 *   SSWS               Authorization: SSWS <api token>   (token from a file or an env variable;
 *                      a copied "SSWS " prefix is removed)
 *   private_key_jwt    OAuth 2.0 client credentials at https://{org}/oauth2/v1/token with a
 *                      signed client assertion (RS256 or ES256, as the key is RSA or EC
 *                      P-256; the key file is a PEM or Okta's private JWK), scope okta.logs.read;
 *                      the access token is cached and renewed 5 minutes before expiry and
 *                      once after a 401
 *   + DPoP             a per-process key; a fresh proof per request (htm, htu without
 *                      query, iat, jti, ath); the use_dpop_nonce challenge is answered
 *
 * Every token request carries a new assertion with a new jti (Okta consumes a jti even
 * when the request fails).  Secrets (token, key, assertion, proof) live only in this
 * module's memory, are wiped when freed, and never appear in errors or logs.
 */
#ifndef IDW_OKTA_AUTH_H
#define IDW_OKTA_AUTH_H

#include <stddef.h>

#include <jansson.h>

#include "common/rc.h"
#include "source/http.h"

struct idw_okta_auth;

/* What went wrong, for the poller's retry decision and the operator's diagnosis. */
enum idw_okta_fail {
    IDW_OKTA_OK = 0,
    IDW_OKTA_TRANSIENT,         /* network, 5xx at the token endpoint: retry with backoff */
    IDW_OKTA_AUTH,              /* credentials/role/scope/DPoP problem: do not spin */
    IDW_OKTA_CONFIG,            /* the configuration cannot work as written */
    IDW_OKTA_RATE_LIMITED,      /* 429 at the token endpoint: wait, never a failure (okta_poll.h) */
};

/*
 * Reads the org's "auth" object and loads its secret (key file or token).
 * org_base is "https://host[:port]" without a trailing slash.  The
 * assertion's kid is auth.key_id, else the JWK's "kid", else none.  IDW_OK,
 * or IDW_ERR with a precise message (missing key; key file unreadable, a
 * symlink, not a regular file or group-readable; unusable PEM or JWK;
 * empty token; unknown method...).
 */
enum idw_rc idw_okta_auth_new(const json_t *auth_json, const char *org_base,
                              struct idw_okta_auth **out, char *err, size_t errlen) IDW_MUST_CHECK;
void idw_okta_auth_free(struct idw_okta_auth *a);

/* "ssws" or "private_key_jwt" (+ " with DPoP"), for status output. */
const char *idw_okta_auth_describe(const struct idw_okta_auth *a);

/*
 * The headers for one request: hdr[0] "Authorization: ...", hdr[1]
 * "DPoP: ..." or NULL, hdr[2] NULL.  May first obtain or renew an access
 * token through http.  Returns IDW_OKTA_OK, or a failure class with a
 * diagnosis in err.  Release with idw_okta_auth_headers_free.
 */
enum idw_okta_fail idw_okta_auth_headers(struct idw_okta_auth *a, struct idw_http *http,
                                         const char *method, const char *url,
                                         char *hdr[3], char *err, size_t errlen) IDW_MUST_CHECK;
void idw_okta_auth_headers_free(char *hdr[3]);

/*
 * Reads one answer of the token endpoint into a (private_key_jwt only;
 * idw_okta_auth_headers calls it for each token request, and it is
 * exposed for tests and fuzzing).  *again is set to 0 except when noted.
 *   200 with a usable access token (token_type Bearer, or DPoP when this
 *       client sends DPoP proofs; the token made only of the characters
 *       RFC 6750 allows in an Authorization header): the token is cached
 *       for expires_in seconds (3600 when absent or not positive, at most
 *       a day) and used by later idw_okta_auth_headers calls: IDW_OKTA_OK.
 *       A 200 without one: IDW_OKTA_TRANSIENT; a DPoP token for a client
 *       without DPoP: IDW_OKTA_AUTH.
 *   400 use_dpop_nonce whose DPoP-Nonce differs from the nonce last
 *       sent: the nonce is kept for the next proof and *again set (send
 *       the token request again): IDW_OKTA_TRANSIENT.
 *   anything else: a refusal: IDW_OKTA_RATE_LIMITED for 429,
 *       IDW_OKTA_TRANSIENT for 5xx, IDW_OKTA_AUTH otherwise.
 * Every result but IDW_OKTA_OK sets err: the status, the OAuth error and
 * its description, and a hint.  err never holds the token.
 */
enum idw_okta_fail idw_okta_auth_token_answer(struct idw_okta_auth *a, const struct idw_http_resp *r,
                                              int *again, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Tells the module how the API answered.  Returns 1 when the request
 * should be retried at once with fresh headers (a DPoP nonce was demanded,
 * or the access token was rejected and this is the first such retry), 0
 * otherwise.
 */
int idw_okta_auth_on_response(struct idw_okta_auth *a, const struct idw_http_resp *r);

#endif
