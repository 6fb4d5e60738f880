/*
 * replay.c — streaming reader of Okta events from JSON arrays or JSON
 * Lines (see replay.h).
 *
 * The reader keeps one buffer holding at most the current element plus
 * one read chunk.  For an array, a small scanner walks the bytes tracking
 * string/escape state and bracket depth to find where the element ends;
 * its state survives buffer refills, so a 4 MiB element is scanned once.
 * jansson then parses exactly that slice.  An element larger than the cap
 * is scanned to its end without being kept (constant memory) and reported.
 */
#include "ingest/replay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK (256u * 1024u)

enum mode { MODE_UNKNOWN, MODE_LINES, MODE_ARRAY, MODE_DONE };

struct idw_reader {
    FILE *in;
    size_t max_event;
    enum mode mode;
    char *buf;
    size_t cap, start, len;     /* unread bytes are buf[start .. len) */
    int eof, io_error;
    long line;                  /* line number of buf[start] */
    long index;                 /* elements returned or reported so far */
    unsigned long long consumed;
    int need_separator;         /* array: an element was read, ',' or ']' must follow */
};

struct idw_reader *idw_reader_new(FILE *in, size_t max_event_bytes)
{
    struct idw_reader *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->in = in;
    r->max_event = max_event_bytes ? max_event_bytes : IDW_REPLAY_MAX_EVENT_DEFAULT;
    r->cap = CHUNK * 2;
    r->buf = malloc(r->cap);
    if (!r->buf) {
        free(r);
        return NULL;
    }
    r->line = 1;
    return r;
}

void idw_reader_free(struct idw_reader *r)
{
    if (!r)
        return;
    free(r->buf);
    free(r);
}

unsigned long long idw_reader_offset(const struct idw_reader *r)
{
    return r->consumed;
}

/* ---- buffer ------------------------------------------------------------ */

/* Reads one more chunk, moving unread bytes to the front. Returns bytes read (0 at EOF/error). */
static size_t refill(struct idw_reader *r)
{
    size_t n;

    if (r->eof)
        return 0;
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->len - r->start);
        r->len -= r->start;
        r->start = 0;
    }
    if (r->cap - r->len < CHUNK) {
        size_t ncap = r->cap * 2;
        char *nb = realloc(r->buf, ncap);
        if (!nb) {
            r->io_error = ENOMEM;
            r->eof = 1;
            return 0;
        }
        r->buf = nb;
        r->cap = ncap;
    }
    n = fread(r->buf + r->len, 1, r->cap - r->len, r->in);
    r->len += n;
    if (n == 0) {
        r->eof = 1;
        if (ferror(r->in))
            r->io_error = errno ? errno : EIO;
    }
    return n;
}

/* Consumes n bytes from the front, counting lines. */
static void consume(struct idw_reader *r, size_t n)
{
    const char *p = r->buf + r->start, *end = p + n;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        r->line++;
        p++;
    }
    r->start += n;
    r->consumed += n;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skips whitespace; returns the next byte, or -1 at end of input. */
static int peek_nonspace(struct idw_reader *r)
{
    for (;;) {
        while (r->start < r->len && is_space(r->buf[r->start]))
            consume(r, 1);
        if (r->start < r->len)
            return (unsigned char)r->buf[r->start];
        if (!refill(r))
            return -1;
    }
}

static void skip_bom(struct idw_reader *r)
{
    while (r->len - r->start < 3 && refill(r))
        ;
    if (r->len - r->start >= 3 && memcmp(r->buf + r->start, "\xEF\xBB\xBF", 3) == 0) {
        r->start += 3;
        r->consumed += 3;
    }
}

/* ---- parsing one slice ----------------------------------------------------- */

static enum idw_read_status parse_slice(struct idw_reader *r, const char *p, size_t n, long line,
                                        json_t **out, char *err, size_t errlen)
{
    json_error_t je;
    json_t *v = json_loadb(p, n, 0, &je);

    if (!v) {
        snprintf(err, errlen, "line %ld: invalid JSON: %s (line %d, column %d of the event)",
                 line, je.text, je.line, je.column);
        return IDW_READ_BAD;
    }
    if (!json_is_object(v)) {
        json_decref(v);
        snprintf(err, errlen, "line %ld: element is not a JSON object", line);
        return IDW_READ_BAD;
    }
    (void)r;
    *out = v;
    return IDW_READ_EVENT;
}

static enum idw_read_status io_failure(struct idw_reader *r, char *err, size_t errlen)
{
    snprintf(err, errlen, "line %ld: read error: %s", r->line, strerror(r->io_error));
    r->mode = MODE_DONE;
    return IDW_READ_FATAL;
}

/* ---- JSON Lines ---------------------------------------------------------------- */

/* Drops the rest of an over-long line without keeping it. */
static void skip_line(struct idw_reader *r)
{
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->len - r->start);
        if (nl) {
            consume(r, (size_t)(nl - (r->buf + r->start)) + 1);
            return;
        }
        r->consumed += r->len - r->start;
        r->start = r->len;
        if (!refill(r))
            return;
    }
}

static int blank(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_space(p[i]))
            return 0;
    return 1;
}

static enum idw_read_status next_line(struct idw_reader *r, json_t **out, long *line,
                                      char *err, size_t errlen)
{
    size_t scanned = 0;

    for (;;) {
        char *p = r->buf + r->start;
        size_t avail = r->len - r->start;
        char *nl = memchr(p + scanned, '\n', avail - scanned);

        if (!nl && avail > r->max_event) {
            *line = r->line;
            skip_line(r);
            r->index++;
            snprintf(err, errlen, "line %ld: event larger than %zu bytes", *line, r->max_event);
            return IDW_READ_BAD;
        }
        if (!nl && !r->eof) {
            scanned = avail;
            refill(r);
            continue;
        }
        if (!nl && avail == 0) {
            r->mode = MODE_DONE;
            return r->io_error ? io_failure(r, err, errlen) : IDW_READ_EOF;
        }
        size_t n = nl ? (size_t)(nl - p) : avail;
        *line = r->line;
        if (blank(p, n)) {
            consume(r, n + (nl != NULL));
            scanned = 0;
            continue;
        }
        if (n > r->max_event) {
            consume(r, n + (nl != NULL));
            r->index++;
            snprintf(err, errlen, "line %ld: event larger than %zu bytes", *line, r->max_event);
            return IDW_READ_BAD;
        }
        enum idw_read_status s = parse_slice(r, p, n, *line, out, err, errlen);
        consume(r, n + (nl != NULL));
        r->index++;
        return s;
    }
}

/* ---- JSON array ------------------------------------------------------------------ */

struct scan { size_t pos; int depth, in_str, esc, started; };

/*
 * Advances the scanner over buf[start+sc->pos ..).  Returns 1 when the
 * element ends at sc->pos (exclusive), 0 when more input is needed.
 * Scalars end at the first ',', ']' or whitespace outside a string.
 */
static int scan_element(const struct idw_reader *r, struct scan *sc)
{
    const char *p = r->buf + r->start;
    size_t n = r->len - r->start;

    for (; sc->pos < n; sc->pos++) {
        char c = p[sc->pos];
        if (sc->in_str) {
            if (sc->esc)
                sc->esc = 0;
            else if (c == '\\')
                sc->esc = 1;
            else if (c == '"') {
                sc->in_str = 0;
                if (sc->depth == 0) {
                    sc->pos++;
                    return 1;
                }
            }
            continue;
        }
        if (c == '"') {
            sc->in_str = 1;
        } else if (c == '{' || c == '[') {
            sc->depth++;
        } else if (c == '}' || c == ']') {
            if (sc->depth == 0)
                return 1;       /* a scalar followed by ']' */
            if (--sc->depth == 0) {
                sc->pos++;
                return 1;
            }
        } else if (sc->depth == 0 && (c == ',' || is_space(c))) {
            return 1;
        }
    }
    return 0;
}

/* Finds the end of the element at buf[start]; drops it instead if it grows past the cap. */
static enum idw_read_status frame_element(struct idw_reader *r, size_t *len, int *oversized)
{
    struct scan sc = {0};
    size_t dropped = 0;

    *oversized = 0;
    for (;;) {
        if (scan_element(r, &sc)) {
            *len = sc.pos;
            if (sc.pos + dropped > r->max_event)
                *oversized = 1;
            return IDW_READ_EVENT;
        }
        if (sc.pos > r->max_event) {
            /* keep scanning, but stop keeping the bytes */
            *oversized = 1;
            dropped += sc.pos;
            consume(r, sc.pos);
            sc.pos = 0;
        }
        if (!refill(r)) {
            *len = sc.pos;
            return IDW_READ_FATAL;
        }
    }
}

static enum idw_read_status end_of_array(struct idw_reader *r, char *err, size_t errlen)
{
    consume(r, 1);  /* ']' */
    r->mode = MODE_DONE;
    if (peek_nonspace(r) >= 0) {
        snprintf(err, errlen, "line %ld: unexpected content after the closing ']'", r->line);
        return IDW_READ_BAD;
    }
    return r->io_error ? io_failure(r, err, errlen) : IDW_READ_EOF;
}

/* Between elements: accepts ',' (or ']'), reports anything else once and resynchronises. */
static enum idw_read_status separator(struct idw_reader *r, int c, char *err, size_t errlen)
{
    if (!r->need_separator)
        return IDW_READ_EVENT;
    if (c == ',') {
        consume(r, 1);
        r->need_separator = 0;
        c = peek_nonspace(r);
        if (c == ']') {
            snprintf(err, errlen, "line %ld: trailing ',' before ']'", r->line);
            end_of_array(r, err + strlen(err), 0);
            return IDW_READ_BAD;
        }
        return IDW_READ_EVENT;
    }
    /* missing ',' or garbage: report, then treat what follows as the next element */
    snprintf(err, errlen, "line %ld: expected ',' or ']' between array elements", r->line);
    r->need_separator = 0;
    if (c != '{' && c != '[')
        consume(r, 1);
    return IDW_READ_BAD;
}

static enum idw_read_status next_element(struct idw_reader *r, json_t **out, long *line,
                                         char *err, size_t errlen)
{
    size_t n;
    int oversized, c = peek_nonspace(r);
    enum idw_read_status s;

    *line = r->line;
    if (c < 0) {
        r->mode = MODE_DONE;
        if (r->io_error)
            return io_failure(r, err, errlen);
        snprintf(err, errlen, "line %ld: input ends before the closing ']'", r->line);
        return IDW_READ_FATAL;
    }
    if (c == ']')
        return end_of_array(r, err, errlen);
    if ((s = separator(r, c, err, errlen)) != IDW_READ_EVENT)
        return s;
    c = peek_nonspace(r);
    if (c < 0 || c == ']')
        return next_element(r, out, line, err, errlen);
    *line = r->line;
    s = frame_element(r, &n, &oversized);
    r->index++;
    r->need_separator = 1;
    if (s == IDW_READ_FATAL) {
        r->mode = MODE_DONE;
        if (r->io_error)
            return io_failure(r, err, errlen);
        snprintf(err, errlen, "line %ld: input ends inside an element (truncated)", *line);
        return IDW_READ_FATAL;
    }
    if (oversized) {
        consume(r, n);
        snprintf(err, errlen, "line %ld: event larger than %zu bytes", *line, r->max_event);
        return IDW_READ_BAD;
    }
    s = parse_slice(r, r->buf + r->start, n, *line, out, err, errlen);
    consume(r, n);
    return s;
}

/* ---- entry point ------------------------------------------------------------------- */

enum idw_read_status idw_reader_next(struct idw_reader *r, json_t **out, long *line,
                                     long *index, char *err, size_t errlen)
{
    enum idw_read_status s;
    long dummy_line;

    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!line)
        line = &dummy_line;
    if (r->mode == MODE_UNKNOWN) {
        skip_bom(r);
        int c = peek_nonspace(r);
        if (c == '[') {
            consume(r, 1);
            r->mode = MODE_ARRAY;
        } else {
            r->mode = MODE_LINES;
        }
    }
    if (index)
        *index = r->index;
    switch (r->mode) {
    case MODE_LINES: s = next_line(r, out, line, err, errlen); break;
    case MODE_ARRAY: s = next_element(r, out, line, err, errlen); break;
    default:
        *line = r->line;
        return IDW_READ_EOF;
    }
    return s;
}
