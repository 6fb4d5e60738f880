/*
 * fuzz_okta_answer.c — what the poller reads from an answer of
 * /api/v1/logs besides the events (src/source/okta_poll.h): the error
 * text of a refusal (idw_okta_error_text: Okta's errorCode, errorSummary
 * and errorId, an OAuth error and error_description, or the
 * WWW-Authenticate header) and the check of the next link before it is
 * followed (idw_okta_next_link_check).  The events of a page are the job
 * of fuzz_normalize and fuzz_pipeline.
 *
 * Input: the HTTP response (fuzz_http_msg.h); headers read by
 * idw_http_read_headers as in production.  The error text is made for any
 * status, into the poller's buffer and into a small one; the next link
 * (rel="next" of the Link headers, and the first Link value taken whole
 * as a URL) is checked against an org on the default port and one on a
 * custom port.
 *
 * Invariants: the error text is never empty, always terminated, valid
 * UTF-8 without control characters (it goes into the org's state as a JSON
 * string and into log lines).  An accepted next link is https on the
 * org's host and port with the path /api/v1/logs, no user info or
 * fragment, and checking it again gives it back unchanged; a small output
 * buffer gives the same URL or a refusal.
 */
#include "fuzz_http_msg.h"
#include "source/okta_poll.h"

#include <curl/curl.h>

static void check_text(const char *t, size_t cap)
{
    json_t *s;

    FUZZ_CHECK(memchr(t, '\0', cap) != NULL);
    FUZZ_CHECK(t[0] != '\0' || cap == 1);
    for (const char *p = t; *p; p++)
        FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
    FUZZ_CHECK((s = json_string(t)) != NULL);      /* valid UTF-8 */
    json_decref(s);
}

static void error_text(const struct idw_http_resp *r)
{
    char big[600], small[24];

    memset(big, 'x', sizeof big);
    memset(small, 'x', sizeof small);
    idw_okta_error_text(r, big, sizeof big);
    idw_okta_error_text(r, small, sizeof small);
    check_text(big, sizeof big);
    check_text(small, sizeof small);
    FUZZ_CHECK(strncmp(big, small, strlen(small)) == 0);
}

/* out parsed again: https, the org's host and port, the logs path, nothing else. */
static void check_accepted(const struct idw_okta_org *org, const char *out)
{
    CURLU *u = curl_url();
    char *host = NULL, *path = NULL, *port = NULL, *user = NULL, *frag = NULL, again[4096];
    const char *why;

    FUZZ_CHECK(u && curl_url_set(u, CURLUPART_URL, out, 0) == CURLUE_OK);
    FUZZ_CHECK(strncmp(out, "https://", 8) == 0);
    FUZZ_CHECK(curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && !strcasecmp(host, org->hostname));
    FUZZ_CHECK(curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
               strtol(port, NULL, 10) == org->port);
    FUZZ_CHECK(curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && !strcmp(path, "/api/v1/logs"));
    FUZZ_CHECK(curl_url_get(u, CURLUPART_USER, &user, 0) != CURLUE_OK);
    FUZZ_CHECK(curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) != CURLUE_OK);
    FUZZ_CHECK(idw_okta_next_link_check(org, out, again, sizeof again, &why) == 0);
    FUZZ_CHECK(strcmp(again, out) == 0);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(user);
    curl_free(frag);
    curl_url_cleanup(u);
}

static void next_link(const struct idw_okta_org *org, const char *url)
{
    char out[4096], small[48];
    const char *why = NULL, *why2 = NULL;
    int rc = idw_okta_next_link_check(org, url, out, sizeof out, &why);
    int rc2 = idw_okta_next_link_check(org, url, small, sizeof small, &why2);

    FUZZ_CHECK(rc == 0 || (rc == -1 && why && why[0]));
    FUZZ_CHECK(rc2 == 0 || (rc2 == -1 && why2 && why2[0]));
    if (rc == 0)
        check_accepted(org, out);
    if (rc2 == 0)
        FUZZ_CHECK(rc == 0 && strcmp(out, small) == 0);
    else if (rc == 0)
        FUZZ_CHECK(strcmp(why2, "too long") == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct idw_okta_org orgs[2] = {{.hostname = "fuzz.okta.com", .port = 443},
                                          {.hostname = "127.0.0.1", .port = 8443}};
    struct fuzz_msg m;
    struct idw_http_resp r;
    size_t n;
    const char *link;

    if (fuzz_msg_parse(data, size, &m) < 0)
        return 0;
    fuzz_msg_resp(&m, &r);
    error_text(&r);
    link = fuzz_msg_header(&m, "Link", 0, &n);
    for (int i = 0; i < 2; i++) {
        if (r.next_url[0])
            next_link(&orgs[i], r.next_url);
        if (link)
            next_link(&orgs[i], link);
    }
    idw_http_resp_clear(&r);
    fuzz_msg_free(&m);
    return 0;
}
