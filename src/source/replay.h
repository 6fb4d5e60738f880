/*
 * replay.h — reads Okta events from a file or a pipe, one at a time, in
 * constant memory.
 *
 * Input forms, recognised from the content (never from a file name):
 *   - one JSON object (compact or pretty-printed over many lines);
 *   - a JSON array of objects (what /api/v1/logs returns, or an export);
 *   - JSON Lines: one value per line;
 *   - concatenated JSON values: objects and/or arrays back to back, with
 *     or without whitespace between them ("[..][..]", "{..}{..}", a JSON
 *     Lines file in which some lines are arrays).
 * Every top-level object is an event, and so is every element of every
 * top-level array: each is counted and returned on its own.  An array
 * nested inside an array is one (bad) element, not a list of events.
 *
 * Any of these may be gzip-compressed: input starting with the gzip magic
 * bytes 1f 8b is inflated with zlib's streaming API as it is read,
 * including several gzip members back to back (`cat a.gz b.gz`).  Memory
 * stays bounded by max_event_bytes plus fixed buffers whatever the input.
 *
 * Framing.  A small byte scanner (strings, escapes, nesting) finds where
 * each value ends; jansson then parses exactly that slice.  No element may
 * exceed max_event_bytes: a larger one is scanned to its end without being
 * kept and reported.  When the first non-blank line of the input is a
 * complete value (or a broken first line is followed by a complete one),
 * the input is read as JSON Lines: a value may not continue past the end
 * of its line, so one broken line costs only that line.  Otherwise values
 * may span lines (pretty-printed JSON).  A raw line break inside a JSON
 * string is invalid JSON in every form and ends the broken value there.
 *
 * Errors.  A broken element is reported (IDW_READ_BAD) and skipped, and
 * reading resumes after it; nothing already returned is affected by a later
 * error.  Messages name where, e.g.
 *     "event 12 (line 40, byte 10233): invalid JSON: ..."
 * "event N" counts elements from 1 in input order (every top-level value
 * and every array element, good or bad); the line is where the element
 * starts; byte offsets count from 0 and are offsets in the decompressed
 * stream when the input is gzip, which the message then says
 * ("decompressed byte 10233").  A truncated or corrupt gzip stream is
 * IDW_READ_FATAL naming the compressed and decompressed offsets; every
 * event decompressed before the damage has already been returned.
 */
#ifndef IDW_REPLAY_H
#define IDW_REPLAY_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "common/rc.h"

#define IDW_REPLAY_MAX_EVENT_DEFAULT (4u << 20)   /* 4 MiB for one event */

struct idw_reader;

enum idw_read_status {
    IDW_READ_EVENT = 1,     /* *out holds a JSON object (caller owns the reference) */
    IDW_READ_EOF = 0,       /* clean end of input */
    IDW_READ_BAD = -1,      /* one element (or stray text between elements) was
                               malformed/oversized/not an object; err says why
                               and where; call again for the next one */
    IDW_READ_FATAL = -2,    /* I/O error, corrupt or truncated gzip, or JSON cut
                               off inside an element or an array; stop */
};

/*
 * Wraps an open stream (not closed by the reader).  max_event_bytes = 0
 * selects the default.  Returns NULL only on allocation failure.
 */
struct idw_reader *idw_reader_new(FILE *in, size_t max_event_bytes) IDW_MUST_CHECK;
void idw_reader_free(struct idw_reader *r);

/*
 * Reads the next event.  *line is set to the 1-based line on which the
 * element started, *index to its 0-based position among elements (-1 for
 * an error that is not about an element, such as a missing ',' between
 * array elements).  line and index may be NULL.  On IDW_READ_BAD /
 * IDW_READ_FATAL, err holds a one-line reason naming the event, line and
 * byte offset as described above.
 */
enum idw_read_status idw_reader_next(struct idw_reader *r, json_t **out,
                                     long *line, long *index,
                                     char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Where the element last returned or reported started, for the caller's
 * own messages about it: "event 12 (line 40, byte 10233)" ("decompressed
 * byte" for gzip input).  Always NUL-terminates out.
 */
void idw_reader_where(const struct idw_reader *r, char *out, size_t outlen);

/* 1 when the input is gzip-compressed (known after the first read). */
int idw_reader_is_gzip(const struct idw_reader *r);

/* Bytes of (decompressed) input consumed so far, for progress reporting. */
unsigned long long idw_reader_offset(const struct idw_reader *r);

#endif
