/*
 * wal.h — the messages of a partition's write-ahead log (docs/scale-out.md).
 * A partition's stream (cluster/js.h) is a sequence of these; applying
 * them in order (cluster/apply.h) rebuilds the partition's LMDB state.
 * Version 2 (IDW_WAL_VERSION) has four types:
 *
 *   page     {"v": 2, "type": "page", "org": "acme", "cursor_polled": "<url polled>",
 *             "next_cursor": "<rel=next url>", "fetched_at": <ms>, "live_from": <ms>,
 *             "geo": [null | {"ip": ..., GeoIP answer}, ...], "events": [<raw LogEvent>, ...]}
 *   genesis  {"v": 2, "type": "genesis", "partition": N, "unknown_user_key": "<64 hex>"}
 *   command  {"v": 2, "type": "command", "org": ..., "command": "review" | "pause" | "resume" |
 *             "starved", ...}  (cluster/command.h)
 *   rules    {"v": 2, "type": "rules", "release", "fingerprint", ...}  the rule
 *             configuration from this message on (cluster/rulepack.h)
 *
 * A page without "v" is version 1: the five keys org, cursor_polled,
 * next_cursor, fetched_at, events (live_from 0, no geo).  A message whose
 * "v" is larger, or whose type this release does not know, is FUTURE: the
 * applier stops on it rather than skip what a later release wrote.
 *
 * Everything that is not a pure function of the raw events is recorded in
 * the page, so applying the stream anywhere, any time, gives the same
 * state as the run that fetched it: fetched_at is the clock the pipeline's
 * future bound is read from, live_from the org's history end (events
 * published before it raise historical alerts), and geo[i] the GeoIP answer
 * the fetching host gave for event i's address when Okta left location or
 * ASN out (null: no lookup was needed, or none found).  The genesis
 * message, the first of every partition stream, carries the key that
 * hides unknown usernames (normalize.h), so every database applying the
 * stream hides them alike.
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

#define IDW_WAL_VERSION 2
#define IDW_WAL_MAX_PAYLOAD (1024 * 1024)   /* nats-server's default max_payload */
#define IDW_WAL_MSGID_MAX 384               /* org (≤ 255) ":" 64 hex digits, NUL */
#define IDW_WAL_CHUNK_MARK "#idw-chunk="

/* What a decoded message is. */
enum idw_wal_kind {
    IDW_WAL_PAGE,
    IDW_WAL_GENESIS,
    IDW_WAL_COMMAND,
    IDW_WAL_RULES,          /* a rule configuration; checked whole by cluster/rulepack.h */
    IDW_WAL_FUTURE,         /* a later version or an unknown type: stop, never skip */
    IDW_WAL_MALFORMED,      /* not a message of any version: skipped */
};

/*
 * Builds a version-2 page object (strings are copied; events and geo are
 * json_incref'd; geo may be NULL for none, else an array as long as
 * events).  IDW_OK with *out (json_decref), or IDW_ERR with err (the
 * checks of idw_wal_check).
 */
enum idw_rc idw_wal_page(const char *org, const char *cursor_polled, const char *next_cursor,
                         int64_t fetched_at, int64_t live_from, json_t *geo, json_t *events,
                         json_t **out, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Checks a page object's shape, version 1 or 2: org a valid domain_id,
 * cursors strings (next_cursor non-empty), fetched_at and live_from
 * non-negative integers, events an array of objects, geo (when present)
 * an array as long as events of null or objects with a string "ip", and
 * no other keys.  IDW_OK, or IDW_ERR with err naming the field
 * ("events[3]: expected an object").
 */
enum idw_rc idw_wal_check(const json_t *page, char *err, size_t errlen) IDW_MUST_CHECK;

/* Builds the genesis message of partition (key: 32 bytes).  IDW_OK with *out, or IDW_ERR (no memory). */
enum idw_rc idw_wal_genesis(unsigned partition, const unsigned char key[32], json_t **out) IDW_MUST_CHECK;

/* The genesis message's key into key.  IDW_OK, or IDW_ERR when it is not 64 hex digits. */
enum idw_rc idw_wal_genesis_key(const json_t *msg, unsigned char key[32]) IDW_MUST_CHECK;

/* Compact encoding (malloc'd, *len its length), or NULL when out of memory. */
char *idw_wal_encode(const json_t *page, size_t *len) IDW_MUST_CHECK;

/*
 * Decodes one message.  IDW_OK with *kind: PAGE, GENESIS, COMMAND and RULES set
 * *out (json_decref; a command's own fields are checked by
 * cluster/command.h, only its org and name here); FUTURE and MALFORMED
 * leave *out NULL and say why in err ("wal: line 1, column 4: ...", the
 * idw_wal_check complaint, "wal: version 3: written by a later release").
 * IDW_ERR only when out of memory (err says so): nothing can be concluded
 * about the message.
 */
enum idw_rc idw_wal_decode(const char *buf, size_t len, json_t **out, enum idw_wal_kind *kind,
                           char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Splits a checked page into chunks whose encodings are each at most
 * max_payload bytes (a page that fits gives a one-element array holding
 * the page itself).  Each chunk carries the geo entries of its own events.
 * The same page and limit always give the same chunks.
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
