/*
 * replay.c — streaming reader of Okta events: JSON objects, arrays, JSON
 * Lines and concatenated values, plain or gzip (see replay.h).
 *
 * Two layers.  The source (src_*) hands out bytes of the input: straight
 * from the stream, or inflated by zlib when the first two bytes are the
 * gzip magic, member after member.  The framer above it keeps one buffer
 * holding at most the current element plus one read chunk, finds where
 * each value ends with a small scanner (string/escape state and nesting
 * depth, surviving buffer refills so a 4 MiB element is scanned once), and
 * lets jansson parse exactly that slice.  Top-level arrays are never held
 * whole: the framer steps into them and returns their elements one by one.
 *
 * Source failures (read errors, corrupt or truncated gzip) end the input
 * as if it stopped there; the framer then reports the failure, so every
 * element that was complete before it has been returned first.
 */
#include "source/replay.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#define CHUNK (256u * 1024u)        /* framer buffer growth step */
#define RAW_CHUNK (64u * 1024u)     /* bytes read from the stream at a time */
#define LOOKAHEAD CHUNK             /* bytes examined to choose the framing */

enum framing { FRAME_LINES, FRAME_FREE };
enum state { ST_START, ST_TOP, ST_ARRAY, ST_DONE };

/* Internal result: the state changed, look again (never returned to callers). */
#define READ_AGAIN 2

struct idw_reader {
    FILE *in;
    size_t max_event;

    /* source: raw bytes from the stream, inflated when gzip */
    unsigned char *raw;
    size_t raw_pos, raw_len;
    int raw_eof;
    int gzip;                   /* -1 not yet known, 0 plain, 1 gzip */
    z_stream z;
    int z_ready;                /* inflateInit2 succeeded */
    int in_member;              /* a gzip member started and has not ended */
    unsigned members;           /* gzip members completed */
    unsigned long long compressed, produced;
    int src_failed;
    char src_err[240];

    /* framer */
    enum framing framing;
    enum state state;
    int need_separator;         /* in an array: an element was read, ',' or ']' must follow */
    long array_line;            /* line on which the current top-level array opened */
    unsigned long long strict_until;  /* JSON Lines: before this offset, values may not span lines */
    char *buf;
    size_t cap, start, len;     /* unread bytes are buf[start .. len) */
    int eof;                    /* the source has nothing more */
    long line;                  /* line number of buf[start] */
    long index;                 /* elements returned or reported so far */
    unsigned long long consumed;

    /* the element last returned or reported */
    long el_line, el_index;
    unsigned long long el_offset;
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
    r->raw = malloc(RAW_CHUNK);
    if (!r->buf || !r->raw) {
        free(r->buf);
        free(r->raw);
        free(r);
        return NULL;
    }
    r->gzip = -1;
    r->line = 1;
    r->el_index = -1;
    return r;
}

void idw_reader_free(struct idw_reader *r)
{
    if (!r)
        return;
    if (r->z_ready)
        inflateEnd(&r->z);
    free(r->raw);
    free(r->buf);
    free(r);
}

unsigned long long idw_reader_offset(const struct idw_reader *r)
{
    return r->consumed;
}

int idw_reader_is_gzip(const struct idw_reader *r)
{
    return r->gzip == 1;
}

/* "byte" or "decompressed byte": offsets are in the decompressed stream for gzip. */
static const char *byte_word(const struct idw_reader *r)
{
    return r->gzip == 1 ? "decompressed byte" : "byte";
}

void idw_reader_where(const struct idw_reader *r, char *out, size_t outlen)
{
    if (!outlen)
        return;
    if (r->el_index < 0)
        snprintf(out, outlen, "line %ld, %s %llu", r->el_line, byte_word(r), r->el_offset);
    else
        snprintf(out, outlen, "event %ld (line %ld, %s %llu)", r->el_index + 1, r->el_line,
                 byte_word(r), r->el_offset);
}

/* ---- source: plain or gzip ------------------------------------------------- */

static void src_fail(struct idw_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void src_fail(struct idw_reader *r, const char *fmt, ...)
{
    va_list ap;

    if (r->src_failed)
        return;
    r->src_failed = 1;
    va_start(ap, fmt);
    vsnprintf(r->src_err, sizeof r->src_err, fmt, ap);
    va_end(ap);
}

/* Tops up the raw buffer from the stream.  Returns bytes added (0 at end of stream or error). */
static size_t raw_fill(struct idw_reader *r)
{
    size_t n;

    if (r->raw_eof)
        return 0;
    if (r->raw_pos > 0) {
        memmove(r->raw, r->raw + r->raw_pos, r->raw_len - r->raw_pos);
        r->raw_len -= r->raw_pos;
        r->raw_pos = 0;
    }
    n = fread(r->raw + r->raw_len, 1, RAW_CHUNK - r->raw_len, r->in);
    r->raw_len += n;
    if (n == 0) {
        r->raw_eof = 1;
        if (ferror(r->in))
            src_fail(r, "read error after %s %llu: %s", r->gzip == 1 ? "compressed byte" : "byte",
                     r->gzip == 1 ? r->compressed : r->produced, strerror(errno ? errno : EIO));
    }
    return n;
}

static size_t raw_avail(const struct idw_reader *r)
{
    return r->raw_len - r->raw_pos;
}

/* Decides plain or gzip from the first two bytes (the gzip magic is 1f 8b). */
static void src_sniff(struct idw_reader *r)
{
    while (raw_avail(r) < 2 && raw_fill(r))
        ;
    r->gzip = raw_avail(r) >= 2 && r->raw[r->raw_pos] == 0x1f && r->raw[r->raw_pos + 1] == 0x8b;
    if (!r->gzip)
        return;
    /* 16 + MAX_WBITS: gzip wrapper only, CRC-32 and length checked by zlib */
    if (inflateInit2(&r->z, 16 + MAX_WBITS) != Z_OK)
        src_fail(r, "gzip: cannot initialise zlib");
    else
        r->z_ready = 1;
}

static size_t plain_read(struct idw_reader *r, char *dst, size_t n)
{
    size_t got;

    if (raw_avail(r)) {     /* the bytes read while sniffing come first */
        got = raw_avail(r) < n ? raw_avail(r) : n;
        memcpy(dst, r->raw + r->raw_pos, got);
        r->raw_pos += got;
        r->produced += got;
        return got;
    }
    if (r->raw_eof)
        return 0;
    got = fread(dst, 1, n, r->in);
    r->produced += got;
    if (got == 0) {
        r->raw_eof = 1;
        if (ferror(r->in))
            src_fail(r, "read error after byte %llu: %s", r->produced, strerror(errno ? errno : EIO));
    }
    return got;
}

/* At a member boundary: what follows must be another gzip member (or nothing). */
static int gz_next_member(struct idw_reader *r)
{
    while (raw_avail(r) < 2 && raw_fill(r))
        ;
    if (raw_avail(r) == 0)
        return 0;
    if (raw_avail(r) < 2 || r->raw[r->raw_pos] != 0x1f || r->raw[r->raw_pos + 1] != 0x8b) {
        src_fail(r, "gzip: data after the end of member %u at compressed byte %llu is not "
                 "another gzip member (decompressed byte %llu)", r->members, r->compressed,
                 r->produced);
        return 0;
    }
    if (inflateReset(&r->z) != Z_OK) {
        src_fail(r, "gzip: cannot reset zlib");
        return 0;
    }
    r->in_member = 1;
    return 1;
}

/* Inflates up to n bytes into dst; 0 at the end of the last member, or on failure. */
static size_t gz_read(struct idw_reader *r, char *dst, size_t n)
{
    z_stream *z = &r->z;

    while (!r->src_failed) {
        if (!r->in_member && !gz_next_member(r))
            return 0;
        if (!raw_avail(r) && !raw_fill(r)) {
            if (!r->src_failed)
                src_fail(r, "gzip stream truncated: input ends inside member %u at compressed "
                         "byte %llu (decompressed byte %llu)", r->members + 1, r->compressed,
                         r->produced);
            return 0;
        }
        z->next_in = r->raw + r->raw_pos;
        z->avail_in = (uInt)raw_avail(r);
        z->next_out = (Bytef *)dst;
        z->avail_out = (uInt)(n > 0x40000000u ? 0x40000000u : n);
        uInt out_before = z->avail_out;
        int rc = inflate(z, Z_NO_FLUSH);
        size_t used = raw_avail(r) - z->avail_in, got = out_before - z->avail_out;

        r->raw_pos += used;
        r->compressed += used;
        r->produced += got;
        if (rc == Z_STREAM_END) {
            r->in_member = 0;
            r->members++;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            src_fail(r, "gzip data corrupt at compressed byte %llu (decompressed byte %llu): %s",
                     r->compressed, r->produced, z->msg ? z->msg : zError(rc));
        } else if (!used && !got && raw_avail(r)) {
            /* zlib promises progress when it has input and room; never spin if it does not */
            src_fail(r, "gzip: no progress at compressed byte %llu", r->compressed);
        }
        if (got)
            return got;
    }
    return 0;
}

/* The next bytes of the (decompressed) input; 0 at its end or after a failure. */
static size_t src_read(struct idw_reader *r, char *dst, size_t n)
{
    if (r->gzip < 0)
        src_sniff(r);
    if (r->src_failed)
        return 0;
    return r->gzip ? gz_read(r, dst, n) : plain_read(r, dst, n);
}

/* ---- framer buffer ----------------------------------------------------------- */

/* Reads more input, moving unread bytes to the front. Returns bytes read (0 at the end). */
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
            src_fail(r, "out of memory after %s %llu", byte_word(r), r->consumed);
            r->eof = 1;
            return 0;
        }
        r->buf = nb;
        r->cap = ncap;
    }
    n = src_read(r, r->buf + r->len, r->cap - r->len);
    r->len += n;
    if (n == 0)
        r->eof = 1;
    return n;
}

/* Consumes n bytes from the front, counting lines. */
static void consume(struct idw_reader *r, size_t n)
{
    const char *end = r->buf + r->start + n;
    const char *p = memchr(r->buf + r->start, '\n', n);

    while (p) {
        r->line++;
        p++;
        p = memchr(p, '\n', (size_t)(end - p));
    }
    r->start += n;
    r->consumed += n;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skips whitespace and returns the next byte, or -1 at the end of input. */
static int skip_space(struct idw_reader *r)
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

/* Drops the rest of the current line (not its '\n') without keeping it. */
static void skip_rest_of_line(struct idw_reader *r)
{
    for (;;) {
        char *nl = memchr(r->buf + r->start, '\n', r->len - r->start);
        if (nl) {
            consume(r, (size_t)(nl - (r->buf + r->start)));
            return;
        }
        consume(r, r->len - r->start);
        if (!refill(r))
            return;
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

/* ---- the value scanner ---------------------------------------------------------- */

/* Bytes that end a bare scalar (number, true, garbage...). */
static int ends_scalar(char c)
{
    return is_space(c) || memchr(",:[]{}\"", c, 7) != NULL;
}

/* Bytes that may begin a JSON value. */
static int starts_value(int c)
{
    return c == '{' || c == '[' || c == '"' || c == '-' || (c >= '0' && c <= '9') ||
           c == 't' || c == 'f' || c == 'n';
}

struct scan {
    size_t pos;                 /* bytes of the value scanned so far, from its first byte */
    int depth, in_str, esc;
    int scalar;                 /* a bare scalar: ends at whitespace or punctuation */
    int has_nl;                 /* a line break was crossed (outside strings) ... */
    size_t nl_at;               /* ... first at this position */
};

enum scan_result {
    SCAN_MORE,                  /* the value continues past the bytes available */
    SCAN_END,                   /* the value ends at pos (exclusive) */
    SCAN_LINE_BREAK,            /* a line break where the value cannot have one, at pos */
};

/*
 * Advances the scanner over p[sc->pos .. n).  Strings and containers end
 * at their closing byte.  A raw '\n' inside a string is invalid JSON;
 * with strict_lines a value may not continue past its line either.
 */
static enum scan_result scan_value(const char *p, size_t n, struct scan *sc, int strict_lines)
{
    for (; sc->pos < n; sc->pos++) {
        char c = p[sc->pos];
        if (sc->scalar) {
            if (ends_scalar(c))
                return SCAN_END;
            continue;
        }
        if (c == '\n') {
            if (strict_lines || sc->in_str)
                return SCAN_LINE_BREAK;
            if (!sc->has_nl) {
                sc->has_nl = 1;
                sc->nl_at = sc->pos;
            }
            continue;
        }
        if (sc->in_str) {
            if (sc->esc)
                sc->esc = 0;
            else if (c == '\\')
                sc->esc = 1;
            else if (c == '"') {
                sc->in_str = 0;
                if (sc->depth == 0) {
                    sc->pos++;
                    return SCAN_END;
                }
            }
            continue;
        }
        if (c == '"') {
            sc->in_str = 1;
        } else if (c == '{' || c == '[') {
            sc->depth++;
        } else if ((c == '}' || c == ']') && --sc->depth == 0) {
            sc->pos++;
            return SCAN_END;
        }
    }
    return SCAN_MORE;
}

/* ---- choosing the framing ------------------------------------------------------- */

enum line_kind { LINE_VALUES, LINE_OPENING, LINE_OTHER };

/*
 * What one line holds: only complete values separated by blanks (JSON
 * Lines), only opening brackets (the start of pretty-printed JSON), or
 * anything else.
 */
static enum line_kind classify_line(const char *p, size_t n)
{
    size_t i = 0, values = 0, opening = 0;

    while (i < n) {
        struct scan sc = {0};
        if (is_space(p[i])) {
            i++;
            continue;
        }
        if (p[i] == '{' || p[i] == '[')
            opening++;
        if (!starts_value((unsigned char)p[i]) && ends_scalar(p[i]))
            return LINE_OTHER;              /* ',' ':' ']' '}' where a value belongs */
        sc.scalar = !(p[i] == '{' || p[i] == '[' || p[i] == '"');
        if (scan_value(p + i, n - i, &sc, 0) == SCAN_END || (sc.scalar && i + sc.pos == n)) {
            i += sc.pos;
            values++;
            continue;
        }
        /* an unfinished value: fine only if the line is nothing but opening brackets */
        for (size_t j = i; j < n; j++)
            if (!is_space(p[j]) && p[j] != '{' && p[j] != '[')
                return LINE_OTHER;
        return opening && !values ? LINE_OPENING : LINE_OTHER;
    }
    return values ? LINE_VALUES : LINE_OTHER;
}

/* The next non-blank line at or after *pos in the buffer; 0 when it does not end within it. */
static int next_line(const struct idw_reader *r, size_t *pos, const char **p, size_t *n)
{
    const char *b = r->buf + r->start, *nl;
    size_t avail = r->len - r->start;

    while (*pos < avail && is_space(b[*pos]))
        (*pos)++;
    if (*pos >= avail)
        return 0;
    nl = memchr(b + *pos, '\n', avail - *pos);
    if (!nl && !r->eof)
        return 0;
    *p = b + *pos;
    *n = nl ? (size_t)(nl - *p) : avail - *pos;
    *pos += *n;
    return 1;
}

/*
 * JSON Lines when the first non-blank line is complete values, or when a
 * broken first line (not the opening of pretty JSON, not ending in ',' or
 * ':') is followed by one; values spanning lines otherwise.  Decides from
 * at most LOOKAHEAD bytes.
 */
static enum framing choose_framing(struct idw_reader *r)
{
    size_t pos = 0, n1, n2;
    const char *l1, *l2;
    enum line_kind k1;
    char last;

    while (r->len - r->start < LOOKAHEAD && refill(r))
        ;
    if (!next_line(r, &pos, &l1, &n1))
        return r->len == r->start ? FRAME_LINES : FRAME_FREE;
    k1 = classify_line(l1, n1);
    if (k1 != LINE_OTHER)
        return k1 == LINE_VALUES ? FRAME_LINES : FRAME_FREE;
    while (n1 > 0 && is_space(l1[n1 - 1]))
        n1--;
    last = n1 ? l1[n1 - 1] : ',';
    if (last == ',' || last == ':' || last == '{' || last == '[')
        return FRAME_FREE;
    return next_line(r, &pos, &l2, &n2) && classify_line(l2, n2) == LINE_VALUES ? FRAME_LINES
                                                                                 : FRAME_FREE;
}

/* ---- elements -------------------------------------------------------------------- */

/* Notes where an element starts and counts it. */
static void mark_element(struct idw_reader *r)
{
    r->el_line = r->line;
    r->el_offset = r->consumed;
    r->el_index = r->index++;
}

/* The next message is about the current position, not about an element. */
static void no_element(struct idw_reader *r)
{
    r->el_index = -1;
    r->el_line = r->line;
    r->el_offset = r->consumed;
}

/* An error about the bytes at the current position, not about an element. */
static int stray_error(struct idw_reader *r, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int stray_error(struct idw_reader *r, char *err, size_t errlen, const char *fmt, ...)
{
    char why[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    no_element(r);
    snprintf(err, errlen, "line %ld, %s %llu: %s", r->line, byte_word(r), r->consumed, why);
    return IDW_READ_BAD;
}

/* An error about the current element, prefixed with where it started. */
static void element_error(const struct idw_reader *r, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void element_error(const struct idw_reader *r, char *err, size_t errlen, const char *fmt, ...)
{
    char where[96], why[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    idw_reader_where(r, where, sizeof where);
    snprintf(err, errlen, "%s: %s", where, why);
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_ARRAY:
        return "a JSON array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    default:
        return "a JSON object";
    }
}

/* Parses the n bytes at buf[start] (any JSON value); NULL with je filled when invalid. */
static json_t *parse_at_start(const struct idw_reader *r, size_t n, json_error_t *je)
{
    return json_loadb(r->buf + r->start, n, JSON_DECODE_ANY, je);
}

/* Consumes the n-byte value at buf[start] and returns it as an event, or says why it is not one. */
static int take_value(struct idw_reader *r, size_t n, json_t *v, const json_error_t *je,
                      json_t **out, char *err, size_t errlen)
{
    consume(r, n);
    if (!v) {
        element_error(r, err, errlen, "invalid JSON: %s (line %d, column %d of the event)",
                      je->text, je->line, je->column);
        return IDW_READ_BAD;
    }
    if (!json_is_object(v)) {
        element_error(r, err, errlen, "not an event: %s, not a JSON object", json_kind(v));
        json_decref(v);
        return IDW_READ_BAD;
    }
    *out = v;
    return IDW_READ_EVENT;
}

/* The input stopped (cleanly or not) inside the element being read. */
static int cut_inside(struct idw_reader *r, char *err, size_t errlen)
{
    r->state = ST_DONE;
    if (r->src_failed)
        element_error(r, err, errlen, "cut short: %s", r->src_err);
    else
        element_error(r, err, errlen, "input ends inside this event (truncated)");
    return IDW_READ_FATAL;
}

/*
 * JSON Lines: a value that ran past its line and did not turn out to be
 * valid JSON is a broken line.  Only that line is dropped; reading resumes
 * at its end.  What was scanned beyond it is then read strictly line by
 * line, so no byte is scanned for a spanning value twice (linear time).
 */
static int broken_line(struct idw_reader *r, const struct scan *sc, size_t dropped,
                       int *line_broken, char *err, size_t errlen)
{
    *line_broken = 1;
    r->strict_until = r->el_offset + dropped + sc->pos;
    consume(r, sc->nl_at);
    element_error(r, err, errlen, "invalid JSON: the event does not end on its line");
    return IDW_READ_BAD;
}

/*
 * Frames the value at buf[start] (its first byte is not blank) and parses
 * it.  Bytes past the cap are scanned but not kept.  Sets *line_broken when
 * the value was cut at a line break.
 */
static int read_value(struct idw_reader *r, json_t **out, char *err, size_t errlen,
                      int *line_broken)
{
    const char c0 = r->buf[r->start];
    const int lines = r->framing == FRAME_LINES;
    const int strict = lines && r->consumed < r->strict_until;
    struct scan sc = {.scalar = !(c0 == '{' || c0 == '[' || c0 == '"')};
    size_t dropped = 0;
    enum scan_result s;
    json_error_t je;
    json_t *v;

    *line_broken = 0;
    mark_element(r);
    for (;;) {
        s = scan_value(r->buf + r->start, r->len - r->start, &sc, strict);
        if (s != SCAN_MORE)
            break;
        if (dropped + sc.pos > r->max_event) {
            if (lines && sc.has_nl)     /* bytes after the line break are still needed */
                return broken_line(r, &sc, dropped, line_broken, err, errlen);
            dropped += sc.pos;          /* keep scanning, stop keeping */
            consume(r, sc.pos);
            sc.pos = 0;
        }
        if (!refill(r)) {
            if (sc.scalar && !r->src_failed)
                break;                  /* a scalar may end at the end of input */
            if (lines && sc.has_nl)
                return broken_line(r, &sc, dropped, line_broken, err, errlen);
            return cut_inside(r, err, errlen);
        }
    }
    if (s == SCAN_LINE_BREAK) {
        *line_broken = 1;
        consume(r, sc.pos);
        element_error(r, err, errlen, "invalid JSON: %s", sc.in_str
                      ? "line break inside a string (the event is cut off or not JSON)"
                      : "the event does not end on its line");
        return IDW_READ_BAD;
    }
    if (dropped + sc.pos > r->max_event) {
        consume(r, sc.pos);
        element_error(r, err, errlen, "event larger than %zu bytes", r->max_event);
        return IDW_READ_BAD;
    }
    v = parse_at_start(r, sc.pos, &je);
    if (!v && lines && sc.has_nl)
        return broken_line(r, &sc, dropped, line_broken, err, errlen);
    return take_value(r, sc.pos, v, &je, out, err, errlen);
}

/* ---- top level and arrays ----------------------------------------------------------- */

static int end_of_input(struct idw_reader *r, char *err, size_t errlen)
{
    r->state = ST_DONE;
    no_element(r);
    if (!r->src_failed)
        return IDW_READ_EOF;
    snprintf(err, errlen, "%s", r->src_err);
    return IDW_READ_FATAL;
}

/* Between top-level values: an array opens, or an object (event) or other value follows. */
static int at_top(struct idw_reader *r, json_t **out, char *err, size_t errlen)
{
    int c = skip_space(r), broken, s;

    if (c < 0)
        return end_of_input(r, err, errlen);
    if (c == '[') {
        r->array_line = r->line;
        consume(r, 1);
        r->state = ST_ARRAY;
        r->need_separator = 0;
        return READ_AGAIN;
    }
    if (c == ']' || c == '}' || c == ',' || c == ':') {
        stray_error(r, err, errlen, "unexpected '%c' between events", c);
        if (r->framing == FRAME_LINES)
            skip_rest_of_line(r);
        else
            consume(r, 1);
        return IDW_READ_BAD;
    }
    s = read_value(r, out, err, errlen, &broken);
    /* JSON Lines: text that is not an object makes the rest of its line suspect too */
    if (s == IDW_READ_BAD && c != '{' && r->framing == FRAME_LINES && !broken)
        skip_rest_of_line(r);
    return s;
}

static int array_unclosed(struct idw_reader *r, int c, char *err, size_t errlen)
{
    r->state = ST_DONE;
    no_element(r);
    if (c < 0 && r->src_failed)
        snprintf(err, errlen, "in the array opened on line %ld: %s", r->array_line, r->src_err);
    else
        snprintf(err, errlen, "line %ld, %s %llu: input ends before the closing ']' of the "
                 "array opened on line %ld (truncated)", r->line, byte_word(r), r->consumed,
                 r->array_line);
    return IDW_READ_FATAL;
}

/* After an element: ',' (then another element) or ']'.  Anything else is reported once. */
static int array_separator(struct idw_reader *r, int c, char *err, size_t errlen)
{
    if (c == ',') {
        consume(r, 1);
        r->need_separator = 0;
        if (skip_space(r) == ']') {
            stray_error(r, err, errlen, "trailing ',' before ']'");
            consume(r, 1);
            r->state = ST_TOP;
            return IDW_READ_BAD;
        }
        return READ_AGAIN;
    }
    r->need_separator = 0;
    if (r->framing == FRAME_LINES && r->line != r->array_line) {
        /* JSON Lines: an array left open on its line; what follows is the next line's value */
        r->state = ST_TOP;
        return stray_error(r, err, errlen, "the array opened on line %ld is not closed; "
                           "reading on from here", r->array_line);
    }
    stray_error(r, err, errlen, "expected ',' or ']' between array elements");
    if (!starts_value(c))
        consume(r, 1);          /* garbage; a value is read as the next element */
    return IDW_READ_BAD;
}

/* Inside a top-level array: the next element, or the end of the array. */
static int in_array(struct idw_reader *r, json_t **out, char *err, size_t errlen)
{
    int c = skip_space(r), broken, s;

    if (c < 0)
        return array_unclosed(r, c, err, errlen);
    if (c == ']') {
        consume(r, 1);
        r->state = ST_TOP;
        return READ_AGAIN;
    }
    if (r->need_separator)
        return array_separator(r, c, err, errlen);
    if (c == ',' || c == ':' || c == '}') {
        stray_error(r, err, errlen, "unexpected '%c' where an array element belongs", c);
        consume(r, 1);          /* after the report, which names this byte's offset */
        return IDW_READ_BAD;
    }
    s = read_value(r, out, err, errlen, &broken);
    r->need_separator = 1;
    if (broken && r->framing == FRAME_LINES)
        r->state = ST_TOP;      /* the line is gone, and the array with it */
    return s;
}

/* ---- entry point ------------------------------------------------------------------- */

enum idw_read_status idw_reader_next(struct idw_reader *r, json_t **out, long *line,
                                     long *index, char *err, size_t errlen)
{
    char dummy_err[8];
    int s = READ_AGAIN;

    *out = NULL;
    if (!err || !errlen) {
        err = dummy_err;
        errlen = sizeof dummy_err;
    }
    err[0] = '\0';
    if (r->state == ST_START) {
        skip_bom(r);
        r->framing = choose_framing(r);
        r->state = ST_TOP;
    }
    while (s == READ_AGAIN) {
        switch (r->state) {
        case ST_TOP:
            s = at_top(r, out, err, errlen);
            break;
        case ST_ARRAY:
            s = in_array(r, out, err, errlen);
            break;
        default:
            s = IDW_READ_EOF;
            break;
        }
    }
    if (line)
        *line = s == IDW_READ_EOF ? r->line : r->el_line;
    if (index)
        *index = s == IDW_READ_EOF ? -1 : r->el_index;
    return (enum idw_read_status)s;
}
