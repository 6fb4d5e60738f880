/*
 * fuzz_okta_token.c — the answers of an org's token endpoint
 * (src/source/okta_auth.h, idw_okta_auth_token_answer): the access token
 * response (access_token, token_type, expires_in), the OAuth error body
 * (error, error_description) and the use_dpop_nonce challenge, then the
 * request headers built from an accepted token (idw_okta_auth_headers).
 *
 * Input: the token endpoint's HTTP response (fuzz_http_msg.h), headers
 * read by idw_http_read_headers as in production.  Each input goes to two
 * private_key_jwt clients made once (an EC P-256 key; one with DPoP, whose
 * RSA key is generated once): the harness resets what they remember
 * between inputs (the last nonce, through idw_okta_auth_on_response), so
 * every input starts from the same state.
 *
 * Invariants: a failure says why, in one line of valid UTF-8 (it goes to
 * the log and into the org's state as JSON); the class follows the status
 * (429 rate limited, 5xx transient); a retry only for a new nonce on a
 * 400; OK only on a 200.  An accepted token goes into "Authorization: <scheme> <token>"
 * exactly as the body held it (not truncated, one header line), with a
 * DPoP proof when the scheme is DPoP.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "fuzz_http_msg.h"
#include "common/util.h"
#include "source/jws.h"
#include "source/okta_auth.h"

#define BASE "https://fuzz.okta.com"
#define BASELINE_NONCE "fuzz-baseline-nonce"

static struct idw_okta_auth *clients[2];        /* [0] Bearer, [1] DPoP */

static int write_key(const char *path)
{
    char err[256];
    EVP_PKEY *k = idw_key_generate("ES256", err, sizeof err);
    FILE *f;
    int fd, ok;

    if (!k || (fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 || !(f = fdopen(fd, "w")))
        return -1;
    ok = PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    EVP_PKEY_free(k);
    return ok ? 0 : -1;
}

static void make_clients(void)
{
    char dir[] = "/tmp/idw-fuzz-token.XXXXXX", path[64], err[512];

    FUZZ_CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/key.pem", dir);
    FUZZ_CHECK(write_key(path) == 0);
    for (int i = 0; i < 2; i++) {
        json_t *auth = json_pack("{s:s, s:s, s:s, s:b}", "method", "private_key_jwt",
                                 "client_id", "0oaFUZZCLIENT", "private_key_file", path, "dpop", i);
        FUZZ_CHECK(idw_okta_auth_new(auth, BASE, &clients[i], err, sizeof err) == 0);
        json_decref(auth);
    }
    unlink(path);       /* the key is in memory now */
    rmdir(dir);
}

/* What a client remembers between answers, put back to the same start. */
static void reset_client(struct idw_okta_auth *a)
{
    struct idw_http_resp r = {.status = 200, .retry_after = -1};

    (void)idw_okta_auth_on_response(a, &r);         /* clears the 401 retry */
    r.status = 400;
    idw_strlcpy(r.dpop_nonce, BASELINE_NONCE, sizeof r.dpop_nonce);
    (void)idw_okta_auth_on_response(a, &r);         /* the nonce last sent */
}

/* Seconds the token is cached, as the body says (3600 when unusable). */
static json_int_t body_ttl(const json_t *body)
{
    json_int_t ttl = json_integer_value(json_object_get(body, "expires_in"));
    return ttl > 0 ? ttl : 3600;
}

/* The headers made from an accepted token carry it whole, on one line each. */
static void check_headers(struct idw_okta_auth *a, const json_t *body)
{
    const json_t *at = json_object_get(body, "access_token");
    const char *tt = json_string_value(json_object_get(body, "token_type"));
    char *hdr[3], err[512], want[32];
    size_t len = json_string_length(at);

    FUZZ_CHECK(json_is_string(at) && tt);
    FUZZ_CHECK(idw_okta_auth_headers(a, NULL, "GET", BASE "/api/v1/logs?limit=1", hdr, err,
                                     sizeof err) == IDW_OKTA_OK);
    snprintf(want, sizeof want, "Authorization: %s ", strcasecmp(tt, "DPoP") ? "Bearer" : "DPoP");
    FUZZ_CHECK(hdr[0] && strncmp(hdr[0], want, strlen(want)) == 0);
    FUZZ_CHECK(strlen(hdr[0]) == strlen(want) + len);
    FUZZ_CHECK(memcmp(hdr[0] + strlen(want), json_string_value(at), len) == 0);
    FUZZ_CHECK(!strpbrk(hdr[0], "\r\n"));
    FUZZ_CHECK(strcmp(want, "Authorization: DPoP ") ? hdr[1] == NULL
                                                    : hdr[1] && !strncmp(hdr[1], "DPoP: ", 6));
    FUZZ_CHECK(!hdr[1] || !strpbrk(hdr[1], "\r\n"));
    idw_okta_auth_headers_free(hdr);
}

/* err goes into a log line and the org's state (a JSON string): one line of valid UTF-8. */
static void check_message(const char *err)
{
    json_t *s = json_string(err);

    FUZZ_CHECK(s != NULL);
    json_decref(s);
    for (const char *p = err; *p; p++)
        FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
}

static void answer(struct idw_okta_auth *a, const struct idw_http_resp *r, const json_t *body)
{
    char err[512];
    int again = -1;
    enum idw_okta_fail f;

    reset_client(a);
    err[0] = '\0';
    f = idw_okta_auth_token_answer(a, r, &again, err, sizeof err);
    FUZZ_CHECK(f >= IDW_OKTA_OK && f <= IDW_OKTA_RATE_LIMITED);
    FUZZ_CHECK(again == 0 || again == 1);
    FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL);
    FUZZ_CHECK(f == IDW_OKTA_OK || err[0] != '\0');
    check_message(err);
    if (again)
        FUZZ_CHECK(r->status == 400 && r->dpop_nonce[0] && strcmp(r->dpop_nonce, BASELINE_NONCE) &&
                   f == IDW_OKTA_TRANSIENT);
    if (f == IDW_OKTA_OK)
        FUZZ_CHECK(r->status == 200);
    if (r->status == 429)
        FUZZ_CHECK(f == IDW_OKTA_RATE_LIMITED);
    if (r->status >= 500)
        FUZZ_CHECK(f == IDW_OKTA_TRANSIENT);
    /* a token cached for less than the renewal margin would be renewed at once, over the network */
    if (f == IDW_OKTA_OK && body_ttl(body) > 301)
        check_headers(a, body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_msg m;
    struct idw_http_resp r;
    json_t *body;

    if (!clients[0])
        make_clients();
    if (fuzz_msg_parse(data, size, &m) < 0)
        return 0;
    fuzz_msg_resp(&m, &r);
    body = json_loads(r.body ? r.body : "", 0, NULL);
    for (int i = 0; i < 2; i++)
        answer(clients[i], &r, body);
    json_decref(body);
    idw_http_resp_clear(&r);
    fuzz_msg_free(&m);
    return 0;
}
