/*
 * okta_auth.c — SSWS and OAuth private_key_jwt (+ DPoP) for the Okta
 * connector (see okta_auth.h).  JWS, JWK and hashing are jws.c's, i.e.
 * OpenSSL's; HTTP is http.c's.
 */
#include "source/okta_auth.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "common/util.h"
#include "source/jws.h"

#define RENEW_BEFORE_S 300      /* renew a token this long before it expires */
#define ASSERTION_TTL_S 300
#define MAX_TOKEN_TTL_S 86400   /* an access token is cached at most this long, whatever expires_in says */

enum method { M_SSWS, M_PKJWT };

struct idw_okta_auth {
    enum method method;
    char org_base[512], token_url[600], scope[128], client_id[128], kid[128];
    char *ssws;                 /* SSWS token (secret) */
    EVP_PKEY *key;              /* client assertion key (secret) */
    int dpop;
    EVP_PKEY *dpop_key;         /* per-process DPoP key (secret) */
    json_t *dpop_jwk;           /* its public half */
    char dpop_nonce[256];
    char *access_token;         /* secret */
    char token_type[16];        /* "Bearer" | "DPoP" */
    time_t token_expires;
    int rejected_once;          /* a 401 already caused one renewal */
    char describe[64];
};

/* ---- secrets ------------------------------------------------------------- */

static void free_secret(char **s)
{
    idw_secret_free(*s);
    *s = NULL;
}

static void drop_leading(char *t, size_t n)
{
    memmove(t, t + n, strlen(t + n) + 1);
}

/*
 * Okta's request examples show "Authorization: SSWS 00abc...", and people
 * copy the scheme with the token.  Removes blanks around the token and one
 * leading "SSWS " (the scheme is case-sensitive); a token is one word, so
 * a blank left inside is refused.  Returns 0, or -1 with err (never the token).
 */
static int ssws_token_clean(char *t, const char *org_base, char *err, size_t errlen)
{
    size_t was = strlen(t), n;

    drop_leading(t, strspn(t, " \t"));
    if (strncmp(t, "SSWS ", 5) == 0) {
        drop_leading(t, 5);
        drop_leading(t, strspn(t, " \t"));
        log_info("%s: auth.token starts with the \"SSWS \" scheme; using the token after it",
                 org_base);
    }
    for (n = strlen(t); n > 0 && (t[n - 1] == ' ' || t[n - 1] == '\t'); n--)
        t[n - 1] = '\0';
    OPENSSL_cleanse(t + n, was - n);    /* the shifted copy's tail: idw_secret_free wipes strlen only */
    if (!t[0] || t[strcspn(t, " \t")]) {
        snprintf(err, errlen, "auth.token: %s; store the API token alone (one word, as Okta "
                 "showed it once)", t[0] ? "the token holds a space or tab" : "nothing follows \"SSWS \"");
        return -1;
    }
    return 0;
}

static int load_ssws(struct idw_okta_auth *a, const json_t *j, char *err, size_t errlen)
{
    a->ssws = idw_secret_load(json_string_value(json_object_get(j, "token_file")),
                              json_string_value(json_object_get(j, "token_env")), "auth.token",
                              err, errlen);
    return a->ssws ? ssws_token_clean(a->ssws, a->org_base, err, errlen) : -1;
}

/* The config's key_id wins over the JWK's kid; either may be absent (then no kid header). */
static void choose_kid(struct idw_okta_auth *a, const char *cfg_kid, const char *jwk_kid)
{
    if (cfg_kid && *cfg_kid) {
        idw_strlcpy(a->kid, cfg_kid, sizeof a->kid);
        if (jwk_kid[0] && strcmp(cfg_kid, jwk_kid) != 0)
            log_warn("%s: auth.key_id \"%s\" overrides the key file's kid \"%s\"", a->org_base,
                     cfg_kid, jwk_kid);
    } else {
        idw_strlcpy(a->kid, jwk_kid, sizeof a->kid);
    }
}

static int load_pkjwt(struct idw_okta_auth *a, const json_t *j, char *err, size_t errlen)
{
    const char *cid = json_string_value(json_object_get(j, "client_id"));
    const char *keyf = json_string_value(json_object_get(j, "private_key_file"));
    const char *kid = json_string_value(json_object_get(j, "key_id"));
    const char *scope = json_string_value(json_object_get(j, "scope"));
    char jwk_kid[sizeof a->kid];

    if (!cid || !*cid || !keyf) {
        snprintf(err, errlen, "auth: private_key_jwt needs client_id and private_key_file");
        return -1;
    }
    idw_strlcpy(a->client_id, cid, sizeof a->client_id);
    idw_strlcpy(a->scope, scope ? scope : "okta.logs.read", sizeof a->scope);
    a->key = idw_key_load(keyf, jwk_kid, sizeof jwk_kid, err, errlen);
    if (!a->key)
        return -1;
    choose_kid(a, kid, jwk_kid);
    a->dpop = json_is_true(json_object_get(j, "dpop"));
    if (a->dpop) {
        a->dpop_key = idw_key_generate("RS256", err, errlen);
        a->dpop_jwk = a->dpop_key ? idw_key_public_jwk(a->dpop_key) : NULL;
        if (!a->dpop_jwk) {
            if (!err[0])
                snprintf(err, errlen, "cannot build the DPoP key");
            return -1;
        }
    }
    return 0;
}

enum idw_rc idw_okta_auth_new(const json_t *j, const char *org_base, struct idw_okta_auth **out,
                              char *err, size_t errlen)
{
    const char *m = json_string_value(json_object_get(j, "method"));
    struct idw_okta_auth *a = calloc(1, sizeof *a);
    int rc;

    *out = NULL;
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return IDW_ERR;
    }
    idw_strlcpy(a->org_base, org_base, sizeof a->org_base);
    snprintf(a->token_url, sizeof a->token_url, "%s/oauth2/v1/token", org_base);
    err[0] = '\0';
    if (m && strcmp(m, "ssws") == 0) {
        a->method = M_SSWS;
        rc = load_ssws(a, j, err, errlen);
    } else if (m && strcmp(m, "private_key_jwt") == 0) {
        a->method = M_PKJWT;
        rc = load_pkjwt(a, j, err, errlen);
    } else {
        snprintf(err, errlen, "auth.method: expected \"ssws\" or \"private_key_jwt\"");
        rc = -1;
    }
    if (rc < 0) {
        idw_okta_auth_free(a);
        return IDW_ERR;
    }
    snprintf(a->describe, sizeof a->describe, "%s%s", m, a->dpop ? " with DPoP" : "");
    *out = a;
    return IDW_OK;
}

void idw_okta_auth_free(struct idw_okta_auth *a)
{
    if (!a)
        return;
    free_secret(&a->ssws);
    free_secret(&a->access_token);
    EVP_PKEY_free(a->key);
    EVP_PKEY_free(a->dpop_key);
    json_decref(a->dpop_jwk);
    OPENSSL_cleanse(a, sizeof *a);
    free(a);
}

const char *idw_okta_auth_describe(const struct idw_okta_auth *a)
{
    return a->describe;
}

/* ---- JWTs ------------------------------------------------------------------- */

static char *client_assertion(struct idw_okta_auth *a, char *err, size_t errlen)
{
    char jti[IDW_UUID_STRLEN];
    time_t now = time(NULL);
    json_t *hdr, *claims;
    char *jws;

    if (idw_uuid_random(jti) < 0) {
        snprintf(err, errlen, "random number generator failed");
        return NULL;
    }
    hdr = json_pack("{s:s, s:s}", "alg", idw_key_alg(a->key), "typ", "JWT");
    if (hdr && a->kid[0])
        json_object_set_new(hdr, "kid", json_string(a->kid));
    claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "iss", a->client_id, "sub", a->client_id,
                       "aud", a->token_url, "iat", (json_int_t)now,
                       "exp", (json_int_t)(now + ASSERTION_TTL_S), "jti", jti);
    jws = hdr && claims ? idw_jws_sign(a->key, hdr, claims, err, errlen) : NULL;
    json_decref(hdr);
    json_decref(claims);
    return jws;
}

/* "https://host/path?query" → "https://host/path" (DPoP htu carries no query). */
static void url_without_query(const char *url, char *out, size_t outlen)
{
    idw_strncpy0(out, outlen, url, strcspn(url, "?#"));
}

static char *dpop_proof(struct idw_okta_auth *a, const char *method, const char *url,
                        const char *token, char *err, size_t errlen)
{
    char jti[IDW_UUID_STRLEN], htu[4096];
    json_t *hdr, *claims;
    char *jws = NULL, *ath = NULL;

    url_without_query(url, htu, sizeof htu);
    if (idw_uuid_random(jti) < 0)
        return NULL;
    hdr = json_pack("{s:s, s:s, s:O}", "typ", "dpop+jwt", "alg", idw_key_alg(a->dpop_key),
                    "jwk", a->dpop_jwk);
    claims = json_pack("{s:s, s:s, s:I, s:s}", "htm", method, "htu", htu,
                       "iat", (json_int_t)time(NULL), "jti", jti);
    if (claims && a->dpop_nonce[0])
        json_object_set_new(claims, "nonce", json_string(a->dpop_nonce));
    if (claims && token)
        ath = idw_sha256_b64url(token);
    if (ath)
        json_object_set_new(claims, "ath", json_string(ath));
    if (hdr && claims)
        jws = idw_jws_sign(a->dpop_key, hdr, claims, err, errlen);
    free(ath);
    json_decref(hdr);
    json_decref(claims);
    return jws;
}

/* ---- the token endpoint ------------------------------------------------------- */

static char *token_form(struct idw_okta_auth *a, const char *assertion)
{
    char *scope = curl_easy_escape(NULL, a->scope, 0);
    char *form = NULL;
    size_t n = strlen(assertion) + 256 + (scope ? strlen(scope) : 0);

    if (scope)
        form = malloc(n);
    if (form)
        snprintf(form, n, "grant_type=client_credentials&scope=%s&client_assertion_type="
                 "urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3Ajwt-bearer"
                 "&client_assertion=%s", scope, assertion);
    curl_free(scope);
    return form;
}

/* Explains a token-endpoint refusal without echoing anything secret. */
static enum idw_okta_fail token_refused(const struct idw_http_resp *r, char *err, size_t errlen)
{
    json_t *j = json_loads(r->body ? r->body : "", 0, NULL);
    const char *e = json_string_value(json_object_get(j, "error"));
    const char *d = json_string_value(json_object_get(j, "error_description"));
    enum idw_okta_fail f = r->status == 429 ? IDW_OKTA_RATE_LIMITED
                         : r->status >= 500 ? IDW_OKTA_TRANSIENT : IDW_OKTA_AUTH;
    char t[1024];

    /* the server's text, made safe for a log line and the state's JSON */
    snprintf(t, sizeof t, "token endpoint answered %ld ", r->status);
    idw_http_text_append(t, sizeof t, e ? e : "", 200);
    if (d) {
        idw_http_text_append(t, sizeof t, " (", 2);
        idw_http_text_append(t, sizeof t, d, 200);
        idw_http_text_append(t, sizeof t, ")", 1);
    }
    if (e && !strcmp(e, "invalid_scope"))
        idw_strappendf(t, sizeof t, ": grant the scope okta.logs.read on the app's Okta API Scopes tab");
    else if (e && !strcmp(e, "invalid_dpop_proof") && d && strstr(d, "missing"))
        idw_strappendf(t, sizeof t, ": the app requires DPoP; set \"dpop\": true in the org's auth");
    else if (e && !strcmp(e, "invalid_client"))
        idw_strappendf(t, sizeof t, ": check client_id, key_id and that the public key is registered "
                       "on the app");
    err[0] = '\0';
    idw_http_text_append(err, errlen, t, errlen);      /* cut, if it must be, at the end only */
    json_decref(j);
    return f;
}

/*
 * An access token goes into "Authorization: <scheme> <token>" as is, so it
 * must be what RFC 6750 (b64token) and RFC 9449 allow there: letters,
 * digits, - . _ ~ + / and then only '='.  Anything else (a line break
 * would add a header to every request) is refused.
 */
static int token_usable(const char *t)
{
    size_t i = 0;

    if (!t || !*t)
        return 0;
    while (t[i] && (isalnum((unsigned char)t[i]) || strchr("-._~+/", t[i])))
        i++;
    while (t[i] == '=')
        i++;
    return t[i] == '\0';
}

static enum idw_okta_fail token_accepted(struct idw_okta_auth *a, const struct idw_http_resp *r,
                                         char *err, size_t errlen)
{
    json_t *j = json_loads(r->body, 0, NULL);
    const char *at = json_string_value(json_object_get(j, "access_token"));
    const char *tt = json_string_value(json_object_get(j, "token_type"));
    json_int_t ttl = json_integer_value(json_object_get(j, "expires_in"));

    if (!token_usable(at) || !tt ||
        (strcasecmp(tt, "Bearer") && strcasecmp(tt, "DPoP"))) {
        json_decref(j);
        snprintf(err, errlen, "token endpoint answered 200 without a usable access token");
        return IDW_OKTA_TRANSIENT;
    }
    if (!a->dpop && strcasecmp(tt, "DPoP") == 0) {
        /* a DPoP-bound token needs a proof per request, and this client has no DPoP key */
        json_decref(j);
        snprintf(err, errlen, "token endpoint answered with a DPoP-bound token (token_type DPoP) to a "
                 "request without a DPoP proof: set \"dpop\": true in the org's auth");
        return IDW_OKTA_AUTH;
    }
    free_secret(&a->access_token);
    a->access_token = strdup(at);
    idw_strlcpy(a->token_type, strcasecmp(tt, "DPoP") == 0 ? "DPoP" : "Bearer", sizeof a->token_type);
    /* Okta's tokens live an hour, a day at most; a larger expires_in would overflow time_t */
    a->token_expires = time(NULL) + (ttl <= 0 ? 3600 : ttl > MAX_TOKEN_TTL_S ? MAX_TOKEN_TTL_S : ttl);
    json_decref(j);     /* jansson frees the copy; strings are not wiped, a known limit */
    return a->access_token ? IDW_OKTA_OK : IDW_OKTA_TRANSIENT;
}

/* The "DPoP: <proof>" header line for a token request (the caller's, to
 * free_secret), or NULL when the proof cannot be made (err says why, if it
 * was the signing) or memory ran out. */
static char *token_dpop_header(struct idw_okta_auth *a, char *err, size_t errlen)
{
    char *proof = dpop_proof(a, "POST", a->token_url, NULL, err, errlen);
    char *line = NULL;

    if (proof)
        line = malloc(strlen(proof) + 8);
    if (line)
        sprintf(line, "DPoP: %s", proof);
    free_secret(&proof);
    return line;
}

/* One POST to the token endpoint with a fresh assertion (and proof). */
static int token_post(struct idw_okta_auth *a, struct idw_http *http, struct idw_http_resp *r,
                      char *err, size_t errlen)
{
    char *assertion = client_assertion(a, err, errlen), *form = NULL, *hproof = NULL;
    const char *hdrs[3] = {"Content-Type: application/x-www-form-urlencoded", NULL, NULL};
    int rc = -1;

    if (assertion)
        form = token_form(a, assertion);
    if (form && a->dpop)
        hproof = token_dpop_header(a, err, errlen);
    if (form && (!a->dpop || hproof)) {
        hdrs[1] = hproof;
        rc = idw_http_request(http, "POST", a->token_url, hdrs, form, r);
        if (rc < 0)
            snprintf(err, errlen, "token request failed: %s", r->error);
    }
    free_secret(&assertion);
    free_secret(&form);
    free_secret(&hproof);
    return rc;
}

/* A use_dpop_nonce challenge: a 400 carrying a nonce other than the one the proof held. */
static int nonce_challenge(const struct idw_okta_auth *a, const struct idw_http_resp *r)
{
    return r->status == 400 && r->dpop_nonce[0] && r->body && strstr(r->body, "use_dpop_nonce") &&
           strcmp(r->dpop_nonce, a->dpop_nonce) != 0;
}

enum idw_okta_fail idw_okta_auth_token_answer(struct idw_okta_auth *a, const struct idw_http_resp *r,
                                              int *again, char *err, size_t errlen)
{
    *again = 0;
    if (r->status == 200)
        return token_accepted(a, r, err, errlen);
    if (nonce_challenge(a, r)) {
        /* the challenge: same request again, new proof with the nonce, new assertion */
        idw_strlcpy(a->dpop_nonce, r->dpop_nonce, sizeof a->dpop_nonce);
        *again = 1;
        snprintf(err, errlen, "token endpoint answered 400 use_dpop_nonce");
        return IDW_OKTA_TRANSIENT;
    }
    return token_refused(r, err, errlen);
}

static enum idw_okta_fail fetch_token(struct idw_okta_auth *a, struct idw_http *http,
                                      char *err, size_t errlen)
{
    struct idw_http_resp r = {0};
    enum idw_okta_fail f = IDW_OKTA_TRANSIENT;
    int again = 1;

    for (int attempt = 0; attempt < 3 && again; attempt++) {
        if (token_post(a, http, &r, err, errlen) < 0) {
            again = 0;
            break;
        }
        f = idw_okta_auth_token_answer(a, &r, &again, err, errlen);
    }
    if (again)      /* every answer was another challenge */
        snprintf(err, errlen, "token endpoint answered use_dpop_nonce with a new nonce three times "
                 "in a row");
    else if (f == IDW_OKTA_OK)
        err[0] = '\0';   /* a challenge answered on the way leaves no message behind */
    idw_http_resp_clear(&r);
    return f;
}

/* ---- per request --------------------------------------------------------------- */

void idw_okta_auth_headers_free(char *hdr[3])
{
    for (int i = 0; i < 3; i++)
        free_secret(&hdr[i]);
}

static char *header_line(const char *name, const char *scheme, const char *value)
{
    size_t n = strlen(name) + strlen(scheme) + strlen(value) + 4;
    char *h = malloc(n);
    if (h)
        snprintf(h, n, "%s: %s%s", name, scheme, value);
    return h;
}

enum idw_okta_fail idw_okta_auth_headers(struct idw_okta_auth *a, struct idw_http *http,
                                         const char *method, const char *url,
                                         char *hdr[3], char *err, size_t errlen)
{
    enum idw_okta_fail f;
    char *proof;

    hdr[0] = hdr[1] = hdr[2] = NULL;
    if (a->method == M_SSWS) {
        hdr[0] = header_line("Authorization", "SSWS ", a->ssws);
        return hdr[0] ? IDW_OKTA_OK : IDW_OKTA_TRANSIENT;
    }
    if (!a->access_token || time(NULL) > a->token_expires - RENEW_BEFORE_S) {
        free_secret(&a->access_token);
        f = fetch_token(a, http, err, errlen);
        if (f != IDW_OKTA_OK)
            return f;
    }
    hdr[0] = header_line("Authorization", strcmp(a->token_type, "DPoP") == 0 ? "DPoP " : "Bearer ",
                         a->access_token);
    if (strcmp(a->token_type, "DPoP") == 0) {
        proof = dpop_proof(a, method, url, a->access_token, err, errlen);
        hdr[1] = proof ? header_line("DPoP", "", proof) : NULL;
        free_secret(&proof);
        if (!hdr[1]) {
            idw_okta_auth_headers_free(hdr);
            return IDW_OKTA_TRANSIENT;
        }
    }
    return hdr[0] ? IDW_OKTA_OK : IDW_OKTA_TRANSIENT;
}

int idw_okta_auth_on_response(struct idw_okta_auth *a, const struct idw_http_resp *r)
{
    if (a->method == M_SSWS)
        return 0;
    if ((r->status == 400 || r->status == 401) && r->dpop_nonce[0] &&
        strcmp(r->dpop_nonce, a->dpop_nonce) != 0) {
        idw_strlcpy(a->dpop_nonce, r->dpop_nonce, sizeof a->dpop_nonce);
        return 1;
    }
    if (r->status == 401 && !a->rejected_once) {
        /* expired or revoked early: mint a new token once, then give up */
        free_secret(&a->access_token);
        a->rejected_once = 1;
        return 1;
    }
    if (r->status >= 200 && r->status < 300)
        a->rejected_once = 0;
    return 0;
}
