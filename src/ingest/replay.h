/*
 * replay.h — reads Okta events from a file or a pipe, one at a time, in
 * constant memory: a JSON array (what /api/v1/logs returns, or an export)
 * or JSON Lines (one event per line).
 *
 * The format is decided by the first non-blank byte: '[' means a JSON
 * array, anything else means JSON Lines.  In an array, a broken element is
 * reported and skipped and reading resumes at the next element; in JSON
 * Lines a broken line is reported and skipped.  Nothing already returned
 * is affected by a later error.
 *
 * The framing (finding where one element ends) is a small byte scanner
 * that tracks strings, escapes and nesting; every element is then parsed
 * by jansson (json_loadb).  No element may exceed max_event_bytes.
 */
#ifndef IDW_REPLAY_H
#define IDW_REPLAY_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#define IDW_REPLAY_MAX_EVENT_DEFAULT (4u << 20)   /* 4 MiB for one event */

struct idw_reader;

enum idw_read_status {
    IDW_READ_EVENT = 1,     /* *out holds a JSON object (caller owns the reference) */
    IDW_READ_EOF = 0,       /* clean end of input */
    IDW_READ_BAD = -1,      /* one element was malformed/oversized/not an object;
                               err says why; call again for the next one */
    IDW_READ_FATAL = -2,    /* I/O error or input that cannot be resynchronised
                               (e.g. truncated inside the last element); stop */
};

/*
 * Wraps an open stream (not closed by the reader).  max_event_bytes = 0
 * selects the default.  Returns NULL only on allocation failure.
 */
struct idw_reader *idw_reader_new(FILE *in, size_t max_event_bytes);
void idw_reader_free(struct idw_reader *r);

/*
 * Reads the next event.  *line is set to the 1-based line on which the
 * element started (for error messages and reports), *index to its 0-based
 * position among elements.  On IDW_READ_BAD / IDW_READ_FATAL, err holds a
 * one-line reason such as "line 12: invalid JSON: ... near 'x'" or
 * "line 40: event larger than 4194304 bytes".
 */
enum idw_read_status idw_reader_next(struct idw_reader *r, json_t **out,
                                     long *line, long *index,
                                     char *err, size_t errlen);

/* Bytes consumed so far (for progress reporting). */
unsigned long long idw_reader_offset(const struct idw_reader *r);

#endif
