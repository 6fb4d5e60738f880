/*
 * fuzz_http_headers.c — the Okta response headers idwatch parses that are
 * reachable without a network through a public function
 * (src/source/http.h): the Link header (idw_http_parse_link, which finds
 * rel="next" among several links, quoted parameters and several relation
 * types) and the Date header (idw_http_parse_date).
 *
 * Not covered here (static in http.c, okta_auth.c, okta_poll.c; see
 * tests/fuzz/README.md, "pending"): the header callback that dispatches
 * X-Rate-Limit-*, Retry-After, DPoP-Nonce and WWW-Authenticate, the token
 * and error response parsers.
 *
 * Input: the header value.  Each is parsed whole, and the Link value also
 * into a small buffer (truncation path).
 *
 * Invariants: the next URL is NUL-terminated, fits the buffer and is a
 * substring of the header value; an unparsable date is 0.
 */
#include "fuzz_util.h"

#include "source/http.h"

static void link_into(const char *value, size_t cap)
{
    char out[4096];

    memset(out, 'x', sizeof out);
    out[0] = '\0';
    idw_http_parse_link(value, out, cap);
    FUZZ_CHECK(memchr(out, '\0', cap) != NULL);
    FUZZ_CHECK(strstr(value, out) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *value = fuzz_cstr(data, size);

    if (!value)
        return 0;
    link_into(value, 4096);
    link_into(value, 16);
    (void)idw_http_parse_date(value);
    free(value);
    return 0;
}
