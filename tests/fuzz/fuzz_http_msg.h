/*
 * fuzz_http_msg.h — an HTTP response as the fuzz input, for the harnesses
 * of the parsers that read Okta's answers (fuzz_http_response,
 * fuzz_okta_token, fuzz_okta_error):
 *
 *     HTTP/1.1 400 Bad Request        status line: the status is its second word
 *     Name: value                     header lines, '\n' or "\r\n" ended,
 *     ...                             any name any number of times
 *                                     a blank line
 *     {"error": ...}                  the body, any bytes
 *
 * fuzz_msg_parse splits it; fuzz_msg_header is an idw_http_header_get
 * that answers like libcurl's curl_easy_header (names in any case,
 * instances in order, values without surrounding blanks), so
 * idw_http_read_headers fills the struct idw_http_resp the production code
 * would get.  Header splitting is the harness's, not idwatch's: in
 * production libcurl does it.  A header line without ':' is ignored, and
 * at most FUZZ_MSG_MAX_HEADERS lines are kept.
 */
#ifndef IDW_FUZZ_HTTP_MSG_H
#define IDW_FUZZ_HTTP_MSG_H

#include <ctype.h>
#include <strings.h>

#include "fuzz_util.h"
#include "source/http.h"

#define FUZZ_MSG_MAX_HEADERS 64

struct fuzz_msg {
    char *text;                         /* a NUL-terminated copy of the head, split in place */
    long status;
    size_t n;
    const char *name[FUZZ_MSG_MAX_HEADERS], *value[FUZZ_MSG_MAX_HEADERS];
    const uint8_t *body;                /* into the input */
    size_t body_len;
};

/* The end of the line at p (its '\n' or the end), and the line with its '\r' and blanks cut. */
static inline char *fuzz_msg_line(char *p, char **next)
{
    char *nl = strchr(p, '\n'), *end;

    *next = nl ? nl + 1 : p + strlen(p);
    end = nl ? nl : *next;
    while (end > p && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *end = '\0';
    return p;
}

static inline void fuzz_msg_add(struct fuzz_msg *m, char *line)
{
    char *colon = strchr(line, ':'), *v;

    if (!colon || colon == line || m->n == FUZZ_MSG_MAX_HEADERS)
        return;
    *colon = '\0';
    for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
        ;
    m->name[m->n] = line;
    m->value[m->n++] = v;
}

/* Splits data into status, headers and body.  Returns 0, or -1 out of memory. */
static inline int fuzz_msg_parse(const uint8_t *data, size_t size, struct fuzz_msg *m)
{
    const uint8_t *blank = NULL;
    size_t head;
    char *p, *next, *line;

    memset(m, 0, sizeof *m);
    for (size_t i = 0; i + 1 < size && !blank; i++) {
        if (data[i] == '\n' && data[i + 1] == '\n')
            blank = data + i + 2;
        else if (data[i] == '\n' && i + 2 < size && data[i + 1] == '\r' && data[i + 2] == '\n')
            blank = data + i + 3;
    }
    head = blank ? (size_t)(blank - data) : size;
    if (!(m->text = fuzz_cstr(data, head)))
        return -1;
    m->body = blank ? blank : data + size;
    m->body_len = size - head;
    line = fuzz_msg_line(m->text, &next);
    p = strchr(line, ' ');
    m->status = p && isdigit((unsigned char)p[1]) ? strtol(p + 1, NULL, 10) % 1000 : 0;
    for (p = next; *p; p = next)
        fuzz_msg_add(m, fuzz_msg_line(p, &next));
    return 0;
}

static inline void fuzz_msg_free(struct fuzz_msg *m)
{
    free(m->text);
    m->text = NULL;
}

/* idw_http_header_get over a parsed message (ctx is the struct fuzz_msg). */
static inline const char *fuzz_msg_header(void *ctx, const char *name, size_t i, size_t *amount)
{
    const struct fuzz_msg *m = ctx;
    const char *found = NULL;

    *amount = 0;
    for (size_t k = 0; k < m->n; k++)
        if (strcasecmp(m->name[k], name) == 0 && (*amount)++ == i)
            found = m->value[k];
    return found;
}

/*
 * The response idw_http_request would return for the message: status,
 * headers read by idw_http_read_headers, body (NUL-terminated copy).
 * Returns idw_http_read_headers' result; release r with idw_http_resp_clear.
 */
static inline int fuzz_msg_resp(struct fuzz_msg *m, struct idw_http_resp *r)
{
    int rc;

    memset(r, 0, sizeof *r);
    r->retry_after = -1;
    rc = idw_http_read_headers(fuzz_msg_header, m, r, "fuzz.okta.com");
    if (rc < 0) {
        r->refused = 1;
        r->status = 0;
    } else {
        r->status = m->status;
    }
    r->body = (char *)fuzz_cstr(m->body, m->body_len);
    r->body_len = r->body ? m->body_len : 0;
    return rc;
}

#endif
