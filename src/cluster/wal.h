/*
 * wal.h — the partition write-ahead-log message for one Okta page
 * (docs/scale-out.md).  A partition's stream (cluster/js.h) is a sequence
 * of these; applying them in order (cluster/apply.h) rebuilds the
 * partition's LMDB state.
 *
 *   {"org": "acme", "cursor_polled": "<url polled>", "next_cursor": "<rel=next url>",
 *    "fetched_at": <ms>, "events": [<raw Okta LogEvent>, ...]}
 *
 * The events are the RAW System Log objects, exactly as Okta returned
 * them: normalization is deterministic (the same raw event always gives
 * the same normalized event), so it is re-run when the message is applied
 * and the log stays readable by any later release.  cursor_polled "" is
 * the org's first query (no cursor yet); next_cursor is never empty.
 *
 * De-duplication: the message's Nats-Msg-Id is org ":" hex SHA-256 of
 * cursor_polled "\n" next_cursor (idw_wal_msg_id), so publishing the same
 * page twice is stored once within the stream's duplicate window; beyond
 * it, apply's cursor check skips the copy.  next_cursor is in it because
 * Okta answers a poll with no new events by an empty page whose next link
 * is the cursor polled: that page changes nothing (idw_wal_idle; the
 * publisher sends none), and the real page polled later from the same
 * cursor must not be taken for its duplicate.
 *
 * Size: a NATS message (headers plus body) is at most the server's
 * max_payload (1 MiB by default); the publisher splits to that less room for
 * the Nats-Msg-Id header (cluster/js.h idw_js_max_message).  A page whose
 * encoding is larger is split deterministically
 * (idw_wal_split) at event boundaries into k chunks that chain through
 * synthetic cursors: chunk 0 polls cursor_polled, chunk i>0 polls
 * cursor_polled + "#idw-chunk=i", and each chunk's next_cursor is the next
 * chunk's cursor_polled (the last one's is the page's).  Each chunk is an
 * ordinary page to apply; a crash between chunks leaves the org's cursor
 * on a synthetic one, which idw_wal_base_cursor maps back to the URL to
 * poll again.  A single event larger than max_payload is refused.
 */
#ifndef IDW_WAL_H
#define IDW_WAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/rc.h"

#define IDW_WAL_MAX_PAYLOAD (1024 * 1024)   /* nats-server's default max_payload */
#define IDW_WAL_MSGID_MAX 384               /* org (≤ 255) ":" 64 hex digits, NUL */
#define IDW_WAL_CHUNK_MARK "#idw-chunk="

/*
 * Builds a page object (borrowing nothing: strings are copied, events is
 * json_incref'd).  IDW_OK with *out (json_decref), or IDW_ERR with err
 * (the same checks as idw_wal_check).
 */
enum idw_rc idw_wal_page(const char *org, const char *cursor_polled, const char *next_cursor,
                         int64_t fetched_at, json_t *events, json_t **out,
                         char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Checks a page object's shape: exactly the five keys above, org a valid
 * domain_id, cursors strings (next_cursor non-empty), fetched_at a
 * non-negative integer, events an array of objects.  IDW_OK, or IDW_ERR
 * with err naming the field ("events[3]: expected an object").
 */
enum idw_rc idw_wal_check(const json_t *page, char *err, size_t errlen) IDW_MUST_CHECK;

/* Compact encoding (malloc'd, *len its length), or NULL when out of memory. */
char *idw_wal_encode(const json_t *page, size_t *len) IDW_MUST_CHECK;

/*
 * Decodes one message.  IDW_OK with *out (json_decref), or IDW_ERR with err
 * ("wal: line 1, column 4: ..." or the idw_wal_check complaint).
 */
enum idw_rc idw_wal_decode(const char *buf, size_t len, json_t **out, char *err, size_t errlen)
    IDW_MUST_CHECK;

/*
 * Splits a checked page into chunks whose encodings are each at most
 * max_payload bytes (a page that fits gives a one-element array holding
 * the page itself).  The same page and limit always give the same chunks.
 * IDW_OK with *chunks (json array, json_decref), or IDW_ERR with err
 * (an event alone exceeds the limit: "events[7]: 2000000 bytes exceed ...").
 */
enum idw_rc idw_wal_split(const json_t *page, size_t max_payload, json_t **chunks,
                          char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * org ":" hex SHA-256(cursor_polled "\n" next_cursor) into out
 * (IDW_WAL_MSGID_MAX bytes).  IDW_OK, or IDW_ERR when out of memory (out "").
 */
enum idw_rc idw_wal_msg_id(const char *org, const char *cursor_polled, const char *next_cursor,
                           char out[IDW_WAL_MSGID_MAX]) IDW_MUST_CHECK;

/* 1 when page has no events and its next_cursor is its cursor_polled (nothing to publish), else 0. */
int idw_wal_idle(const json_t *page) IDW_MUST_CHECK;

/* The URL a poller must fetch to resume from cursor (a chunk's cursor → its page's); malloc'd or NULL. */
char *idw_wal_base_cursor(const char *cursor) IDW_MUST_CHECK;

#endif
