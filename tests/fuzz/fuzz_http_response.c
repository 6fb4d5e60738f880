/*
 * fuzz_http_response.c — the response headers idwatch reads from every
 * Okta answer (src/source/http.h, idw_http_read_headers): X-Rate-Limit-*
 * with several instances paired by order, Date, Retry-After as seconds or
 * an HTTP date, X-Okta-Request-Id, DPoP-Nonce, WWW-Authenticate and every
 * Link instance.  The parsing of single values is also fuzz_http_headers'
 * job; this harness drives the dispatch over a whole header block.
 *
 * Input: an HTTP response head (fuzz_http_msg.h), e.g. the recorded Okta
 * answer of tests/okta_sim/recorded/headers.txt.
 *
 * Invariants: a refusal (-1) says why, and only a Link over its limits is
 * refused; Retry-After is -1 or within 0..IDW_HTTP_RETRY_AFTER_MAX; the
 * rate fields are within the bounds okta_poll.c relies on (0 ..
 * 2^31 * 1000) and untouched without a rate header; copied headers are
 * terminated prefixes of their first instance, the ones quoted in messages
 * (request id, WWW-Authenticate) in printable ASCII; the next URL is
 * terminated and part of a Link value.
 */
#include "fuzz_http_msg.h"

#define RATE_MAX (INT32_MAX * 1000LL)

/*
 * got is the first instance of name cut to cap; with text, as printable
 * ASCII (what is not becomes '?': it is quoted in messages).
 */
static void check_copy(struct fuzz_msg *m, const char *name, const char *got, size_t cap, int text)
{
    size_t n, len;
    const char *v = fuzz_msg_header(m, name, 0, &n);

    FUZZ_CHECK(memchr(got, '\0', cap) != NULL);
    v = v ? v : "";
    len = strlen(got);
    FUZZ_CHECK(len == cap - 1 || len == strlen(v));
    for (size_t i = 0; i < len; i++) {
        int printable = (unsigned char)v[i] >= 0x20 && (unsigned char)v[i] <= 0x7e;
        FUZZ_CHECK(got[i] == (text && !printable ? '?' : v[i]));
    }
}

static void check_rate(const struct idw_http_resp *r)
{
    if (!r->has_rate) {
        FUZZ_CHECK(r->rate_limit == 0 && r->rate_remaining == 0 && r->rate_reset == 0);
        return;
    }
    FUZZ_CHECK(r->rate_remaining >= 0 && r->rate_remaining <= RATE_MAX);
    FUZZ_CHECK(r->rate_limit >= -1 && r->rate_limit <= RATE_MAX);
    FUZZ_CHECK(r->rate_reset >= 0 && r->rate_reset <= RATE_MAX);
}

/* The next URL, when there is one, comes out of one of the Link values. */
static void check_next(struct fuzz_msg *m, const struct idw_http_resp *r)
{
    size_t amount = 1;
    int found = 0;

    FUZZ_CHECK(memchr(r->next_url, '\0', sizeof r->next_url) != NULL);
    if (!r->next_url[0])
        return;
    for (size_t i = 0; i < amount && !found; i++) {
        const char *v = fuzz_msg_header(m, "Link", i, &amount);
        found = v && strstr(v, r->next_url) != NULL;
    }
    FUZZ_CHECK(found);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_msg m;
    struct idw_http_resp r;
    int rc;

    if (fuzz_msg_parse(data, size, &m) < 0)
        return 0;
    rc = fuzz_msg_resp(&m, &r);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(memchr(r.error, '\0', sizeof r.error) != NULL);
    FUZZ_CHECK((rc < 0) == (r.error[0] != '\0'));
    if (rc < 0)
        FUZZ_CHECK(strstr(r.error, "Link") != NULL);
    FUZZ_CHECK(r.retry_after == -1 || (r.retry_after >= 0 && r.retry_after <= IDW_HTTP_RETRY_AFTER_MAX));
    FUZZ_CHECK(r.date >= 0);
    check_rate(&r);
    check_copy(&m, "X-Okta-Request-Id", r.request_id, sizeof r.request_id, 1);
    check_copy(&m, "DPoP-Nonce", r.dpop_nonce, sizeof r.dpop_nonce, 0);
    check_copy(&m, "WWW-Authenticate", r.www_authenticate, sizeof r.www_authenticate, 1);
    check_next(&m, &r);
    idw_http_resp_clear(&r);
    fuzz_msg_free(&m);
    return 0;
}
