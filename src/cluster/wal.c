/*
 * wal.c — the page message of a partition's write-ahead log (wal.h):
 * build, check, encode, decode, split to max_payload, and its Msg-Id.
 */
#include "cluster/wal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/util.h"

enum idw_rc idw_wal_page(const char *org, const char *cursor_polled, const char *next_cursor,
                         int64_t fetched_at, json_t *events, json_t **out, char *err, size_t errlen)
{
    json_t *p = json_pack("{s:s?, s:s?, s:s?, s:I, s:O?}", "org", org, "cursor_polled", cursor_polled,
                          "next_cursor", next_cursor, "fetched_at", (json_int_t)fetched_at,
                          "events", events);

    *out = NULL;
    if (!p) {
        snprintf(err, errlen, "wal: cannot build the page (a string that is not UTF-8, or no memory)");
        return IDW_ERR;
    }
    if (idw_wal_check(p, err, errlen) < 0) {
        json_decref(p);
        return IDW_ERR;
    }
    *out = p;
    return IDW_OK;
}

static enum idw_rc check_string(const json_t *page, const char *key, int nonempty, char *err, size_t errlen)
{
    const json_t *v = json_object_get(page, key);

    if (!json_is_string(v) || (nonempty && !*json_string_value(v))) {
        snprintf(err, errlen, "wal: %s: expected a%s string", key, nonempty ? " non-empty" : "");
        return IDW_ERR;
    }
    return IDW_OK;
}

static enum idw_rc check_events(const json_t *ev, char *err, size_t errlen)
{
    size_t i;
    json_t *e;

    if (!json_is_array(ev)) {
        snprintf(err, errlen, "wal: events: expected an array");
        return IDW_ERR;
    }
    json_array_foreach(ev, i, e) {
        if (!json_is_object(e)) {
            snprintf(err, errlen, "wal: events[%zu]: expected an object", i);
            return IDW_ERR;
        }
    }
    return IDW_OK;
}

enum idw_rc idw_wal_check(const json_t *page, char *err, size_t errlen)
{
    const json_t *at = json_object_get(page, "fetched_at");

    if (!json_is_object(page)) {
        snprintf(err, errlen, "wal: expected an object");
        return IDW_ERR;
    }
    if (json_object_size(page) != 5) {
        snprintf(err, errlen, "wal: expected exactly org, cursor_polled, next_cursor, fetched_at, events");
        return IDW_ERR;
    }
    if (!idw_domain_id_valid(json_string_value(json_object_get(page, "org")))) {
        snprintf(err, errlen, "wal: org: expected a domain_id (1-63 of letters, digits, '.', '_', '-')");
        return IDW_ERR;
    }
    if (check_string(page, "cursor_polled", 0, err, errlen) < 0 ||
        check_string(page, "next_cursor", 1, err, errlen) < 0)
        return IDW_ERR;
    if (!json_is_integer(at) || json_integer_value(at) < 0) {
        snprintf(err, errlen, "wal: fetched_at: expected a non-negative integer (ms)");
        return IDW_ERR;
    }
    return check_events(json_object_get(page, "events"), err, errlen);
}

char *idw_wal_encode(const json_t *page, size_t *len)
{
    char *s = json_dumps(page, JSON_COMPACT);

    *len = s ? strlen(s) : 0;
    return s;
}

enum idw_rc idw_wal_decode(const char *buf, size_t len, json_t **out, char *err, size_t errlen)
{
    json_error_t je;
    json_t *p = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);

    *out = NULL;
    if (!p) {
        snprintf(err, errlen, "wal: line %d, column %d: %s", je.line, je.column, je.text);
        return IDW_ERR;
    }
    if (idw_wal_check(p, err, errlen) < 0) {
        json_decref(p);
        return IDW_ERR;
    }
    *out = p;
    return IDW_OK;
}

enum idw_rc idw_wal_msg_id(const char *org, const char *cursor_polled, const char *next_cursor,
                           char out[IDW_WAL_MSGID_MAX])
{
    char hex[65], *both = NULL;
    int n = asprintf(&both, "%s\n%s", cursor_polled, next_cursor);

    out[0] = '\0';
    if (n < 0)
        return IDW_ERR;
    idw_sha256_hex(both, (size_t)n, 32, hex);
    free(both);
    snprintf(out, IDW_WAL_MSGID_MAX, "%.255s:%s", org, hex);
    return IDW_OK;
}

int idw_wal_idle(const json_t *page)
{
    const char *polled = json_string_value(json_object_get(page, "cursor_polled"));
    const char *next = json_string_value(json_object_get(page, "next_cursor"));

    return json_array_size(json_object_get(page, "events")) == 0 && polled && next && !strcmp(polled, next);
}

char *idw_wal_base_cursor(const char *cursor)
{
    const char *m = strstr(cursor, IDW_WAL_CHUNK_MARK);

    return m ? strndup(cursor, (size_t)(m - cursor)) : strdup(cursor);
}

/* ---- splitting ---------------------------------------------------------- */

static char *chunk_cursor(const char *base, size_t i)
{
    char *s = NULL;

    if (i == 0)
        return strdup(base);
    if (asprintf(&s, "%s" IDW_WAL_CHUNK_MARK "%zu", base, i) < 0)
        return NULL;
    return s;
}

/* Appends chunk i (events [from, to)) of page; last says its next_cursor is the page's. */
static enum idw_rc add_chunk(json_t *chunks, const json_t *page, size_t i, size_t from, size_t to,
                             int last, char *err, size_t errlen)
{
    const char *base = json_string_value(json_object_get(page, "cursor_polled"));
    json_t *src = json_object_get(page, "events"), *ev = json_array(), *c = NULL;
    char *polled = chunk_cursor(base, i), *next = last ? NULL : chunk_cursor(base, i + 1);
    enum idw_rc rc = IDW_ERR;

    for (size_t k = from; ev && k < to; k++)
        json_array_append(ev, json_array_get(src, k));
    if (ev && polled && (last || next) &&
        idw_wal_page(json_string_value(json_object_get(page, "org")), polled,
                     last ? json_string_value(json_object_get(page, "next_cursor")) : next,
                     json_integer_value(json_object_get(page, "fetched_at")), ev, &c, err, errlen) == IDW_OK)
        rc = json_array_append_new(chunks, c) == 0 ? IDW_OK : IDW_ERR;
    else if (!polled || !ev)
        snprintf(err, errlen, "wal: out of memory splitting a page");
    json_decref(ev);
    free(polled);
    free(next);
    return rc;
}

/* Encoded size of one event (0 when it cannot be encoded). */
static size_t event_size(const json_t *e)
{
    char *s = json_dumps(e, JSON_COMPACT);
    size_t n = s ? strlen(s) : 0;

    free(s);
    return n;
}

/*
 * Greedy cut: a chunk takes events while its envelope (the page without
 * events, plus room for the chunk marker) and the events with their commas
 * fit.  Every chunk is checked against the limit after it is built.
 */
static enum idw_rc cut(const json_t *page, size_t envelope, size_t max, json_t *chunks,
                       char *err, size_t errlen)
{
    const json_t *ev = json_object_get(page, "events");
    size_t n = json_array_size(ev), from = 0, used = envelope, i = 0;

    for (size_t k = 0; k < n; k++) {
        size_t sz = event_size(json_array_get(ev, k)) + 1;
        if (envelope + sz > max) {
            snprintf(err, errlen, "wal: events[%zu]: %zu bytes: too large for one message of at most "
                     "%zu bytes (max_payload)", k, sz - 1, max);
            return IDW_ERR;
        }
        if (used + sz > max) {
            if (add_chunk(chunks, page, i++, from, k, 0, err, errlen) < 0)
                return IDW_ERR;
            from = k;
            used = envelope;
        }
        used += sz;
    }
    return add_chunk(chunks, page, i, from, n, 1, err, errlen);
}

static enum idw_rc verify_sizes(const json_t *chunks, size_t max, char *err, size_t errlen)
{
    size_t i, len;
    json_t *c;

    json_array_foreach(chunks, i, c) {
        char *s = idw_wal_encode(c, &len);
        free(s);
        if (!s || len > max) {
            snprintf(err, errlen, "wal: chunk %zu: %zu bytes exceed max_payload %zu", i, len, max);
            return IDW_ERR;
        }
    }
    return IDW_OK;
}

enum idw_rc idw_wal_split(const json_t *page, size_t max_payload, json_t **chunks, char *err, size_t errlen)
{
    size_t len, envelope;
    char *s = idw_wal_encode(page, &len);
    json_t *shell;

    *chunks = NULL;
    free(s);
    if (!s || idw_wal_check(page, err, errlen) < 0) {
        if (!s)
            snprintf(err, errlen, "wal: cannot encode the page");
        return IDW_ERR;
    }
    *chunks = json_array();
    if (len <= max_payload)
        return json_array_append(*chunks, (json_t *)page) == 0 ? IDW_OK : IDW_ERR;
    /* the envelope: the page with no events, both cursors lengthened by the marker */
    shell = json_deep_copy(page);
    json_object_set_new(shell, "events", json_array());
    s = idw_wal_encode(shell, &envelope);
    free(s);
    json_decref(shell);
    envelope += 2 * (sizeof IDW_WAL_CHUNK_MARK + 20);
    if (cut(page, envelope, max_payload, *chunks, err, errlen) < 0 ||
        verify_sizes(*chunks, max_payload, err, errlen) < 0) {
        json_decref(*chunks);
        *chunks = NULL;
        return IDW_ERR;
    }
    return IDW_OK;
}
