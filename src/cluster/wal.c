/*
 * wal.c — the page message of a partition's write-ahead log (wal.h):
 * build, check, encode, decode, split to max_payload, and its Msg-Id.
 */
#include "cluster/wal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/util.h"

enum idw_rc idw_wal_page(const char *org, const char *cursor_polled, const char *next_cursor,
                         int64_t fetched_at, int64_t live_from, json_t *geo, json_t *events,
                         json_t **out, char *err, size_t errlen)
{
    json_t *p = json_pack("{s:i, s:s, s:s?, s:s?, s:s?, s:I, s:I, s:O?}", "v", IDW_WAL_VERSION,
                          "type", "page", "org", org, "cursor_polled", cursor_polled,
                          "next_cursor", next_cursor,
                          "fetched_at", (json_int_t)fetched_at, "live_from", (json_int_t)live_from,
                          "events", events);

    *out = NULL;
    if (p && geo && json_object_set(p, "geo", geo) < 0) {
        json_decref(p);
        p = NULL;
    }
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

static enum idw_rc check_geo(const json_t *page, char *err, size_t errlen)
{
    const json_t *geo = json_object_get(page, "geo"), *g;
    size_t i;

    if (!geo)
        return IDW_OK;
    if (!json_is_array(geo) || json_array_size(geo) != json_array_size(json_object_get(page, "events"))) {
        snprintf(err, errlen, "wal: geo: expected an array as long as events");
        return IDW_ERR;
    }
    json_array_foreach(geo, i, g) {
        if (!json_is_null(g) && (!json_is_object(g) || !json_is_string(json_object_get(g, "ip")))) {
            snprintf(err, errlen, "wal: geo[%zu]: expected null or an object with a string ip", i);
            return IDW_ERR;
        }
    }
    return IDW_OK;
}

static enum idw_rc check_time(const json_t *page, const char *key, char *err, size_t errlen)
{
    const json_t *at = json_object_get(page, key);

    if (!json_is_integer(at) || json_integer_value(at) < 0) {
        snprintf(err, errlen, "wal: %s: expected a non-negative integer (ms)", key);
        return IDW_ERR;
    }
    return IDW_OK;
}

/* The keys a page of its version may have: version 1 exactly five, version 2 eight or nine (geo). */
static enum idw_rc check_keys(const json_t *page, char *err, size_t errlen)
{
    static const char *const v2[] = {"v", "type", "org", "cursor_polled", "next_cursor", "fetched_at",
                                     "live_from", "geo", "events"};
    const char *key;
    const json_t *val;

    if (!json_object_get(page, "v")) {
        if (json_object_size(page) == 5)
            return IDW_OK;
        snprintf(err, errlen, "wal: expected exactly org, cursor_polled, next_cursor, fetched_at, events");
        return IDW_ERR;
    }
    json_object_foreach((json_t *)page, key, val) {
        size_t k = 0;
        while (k < sizeof v2 / sizeof *v2 && strcmp(v2[k], key) != 0)
            k++;
        if (k == sizeof v2 / sizeof *v2) {
            snprintf(err, errlen, "wal: %.64s: not a key of a page", key);
            return IDW_ERR;
        }
    }
    return json_object_get(page, "live_from") ? check_time(page, "live_from", err, errlen) :
           (snprintf(err, errlen, "wal: live_from: expected a non-negative integer (ms)"), IDW_ERR);
}

enum idw_rc idw_wal_check(const json_t *page, char *err, size_t errlen)
{
    if (!json_is_object(page)) {
        snprintf(err, errlen, "wal: expected an object");
        return IDW_ERR;
    }
    if (check_keys(page, err, errlen) < 0)
        return IDW_ERR;
    if (!idw_domain_id_valid(json_string_value(json_object_get(page, "org")))) {
        snprintf(err, errlen, "wal: org: expected a domain_id (1-63 of letters, digits, '.', '_', '-')");
        return IDW_ERR;
    }
    if (check_string(page, "cursor_polled", 0, err, errlen) < 0 ||
        check_string(page, "next_cursor", 1, err, errlen) < 0 ||
        check_time(page, "fetched_at", err, errlen) < 0)
        return IDW_ERR;
    if (json_object_get(page, "v") && json_integer_value(json_object_get(page, "fetched_at")) == 0) {
        /* version 2 records the clock of the future bound: 0 would fall back to the applier's */
        snprintf(err, errlen, "wal: fetched_at: expected the time the page was fetched (ms), not 0");
        return IDW_ERR;
    }
    if (check_events(json_object_get(page, "events"), err, errlen) < 0)
        return IDW_ERR;
    return check_geo(page, err, errlen);
}

enum idw_rc idw_wal_genesis(unsigned partition, const unsigned char key[32], json_t **out)
{
    char hex[65];

    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    *out = json_pack("{s:i, s:s, s:I, s:s}", "v", IDW_WAL_VERSION, "type", "genesis", "partition",
                     (json_int_t)partition, "unknown_user_key", hex);
    return *out ? IDW_OK : IDW_ERR;
}

enum idw_rc idw_wal_genesis_key(const json_t *msg, unsigned char key[32])
{
    const char *hex = json_string_value(json_object_get(msg, "unknown_user_key"));

    if (!hex || strlen(hex) != 64)
        return IDW_ERR;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        if (!isxdigit((unsigned char)hex[2 * i]) || !isxdigit((unsigned char)hex[2 * i + 1]) ||
            sscanf(hex + 2 * i, "%2x", &v) != 1)
            return IDW_ERR;
        key[i] = (unsigned char)v;
    }
    return IDW_OK;
}

char *idw_wal_encode(const json_t *page, size_t *len)
{
    char *s = json_dumps(page, JSON_COMPACT);

    *len = s ? strlen(s) : 0;
    return s;
}

static enum idw_wal_kind check_genesis(const json_t *m, char *err, size_t errlen)
{
    unsigned char key[32];
    const json_t *p = json_object_get(m, "partition");

    if (json_object_size(m) != 4 || !json_is_integer(p) || json_integer_value(p) < 0 ||
        idw_wal_genesis_key(m, key) < 0) {
        snprintf(err, errlen, "wal: genesis: expected exactly v, type, partition (>= 0) and "
                 "unknown_user_key (64 hex digits)");
        return IDW_WAL_MALFORMED;
    }
    return IDW_WAL_GENESIS;
}

static enum idw_wal_kind check_command(const json_t *m, char *err, size_t errlen)
{
    const char *name = json_string_value(json_object_get(m, "command"));

    if (!idw_domain_id_valid(json_string_value(json_object_get(m, "org")))) {
        snprintf(err, errlen, "wal: command: org: expected a domain_id");
        return IDW_WAL_MALFORMED;
    }
    if (!name || !*name) {
        snprintf(err, errlen, "wal: command: expected a non-empty string command");
        return IDW_WAL_MALFORMED;
    }
    if (strcmp(name, "review") != 0 && strcmp(name, "pause") != 0 && strcmp(name, "resume") != 0 &&
        strcmp(name, "starved") != 0) {
        snprintf(err, errlen, "wal: command %.32s: unknown to this release (written by a later one?)", name);
        return IDW_WAL_FUTURE;
    }
    return IDW_WAL_COMMAND;
}

/* What a parsed object is, by its version and type. */
static enum idw_wal_kind classify(const json_t *m, char *err, size_t errlen)
{
    const json_t *v = json_object_get(m, "v");
    const char *type = json_string_value(json_object_get(m, "type"));

    if (!json_is_object(m)) {
        snprintf(err, errlen, "wal: expected an object");
        return IDW_WAL_MALFORMED;
    }
    if (v && (!json_is_integer(v) || json_integer_value(v) < 2)) {
        snprintf(err, errlen, "wal: v: expected an integer >= 2");
        return IDW_WAL_MALFORMED;
    }
    if (v && json_integer_value(v) > IDW_WAL_VERSION) {
        snprintf(err, errlen, "wal: version %lld: written by a later release of idwatch (this one reads "
                 "up to %d)", (long long)json_integer_value(v), IDW_WAL_VERSION);
        return IDW_WAL_FUTURE;
    }
    if (!v || (type && strcmp(type, "page") == 0))
        return idw_wal_check(m, err, errlen) < 0 ? IDW_WAL_MALFORMED : IDW_WAL_PAGE;
    if (!type) {
        snprintf(err, errlen, "wal: type: expected a string");
        return IDW_WAL_MALFORMED;
    }
    if (strcmp(type, "genesis") == 0)
        return check_genesis(m, err, errlen);
    if (strcmp(type, "command") == 0)
        return check_command(m, err, errlen);
    if (strcmp(type, "rules") == 0)
        return IDW_WAL_RULES;   /* checked whole where it is applied (cluster/rulepack.h) */
    snprintf(err, errlen, "wal: type %.32s: unknown to this release (written by a later one?)", type);
    return IDW_WAL_FUTURE;
}

enum idw_rc idw_wal_decode(const char *buf, size_t len, json_t **out, enum idw_wal_kind *kind,
                           char *err, size_t errlen)
{
    json_error_t je;
    json_t *m = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);

    *out = NULL;
    *kind = IDW_WAL_MALFORMED;
    if (!m) {
        snprintf(err, errlen, "wal: line %d, column %d: %s", je.line, je.column, je.text);
        return json_error_code(&je) == json_error_out_of_memory ? IDW_ERR : IDW_OK;
    }
    *kind = classify(m, err, errlen);
    if (*kind == IDW_WAL_PAGE || *kind == IDW_WAL_GENESIS || *kind == IDW_WAL_COMMAND ||
        *kind == IDW_WAL_RULES)
        *out = m;
    else
        json_decref(m);
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

/* Events [from, to) of the page's key ("events" or "geo"); NULL when out of memory or key absent. */
static json_t *slice(const json_t *page, const char *key, size_t from, size_t to)
{
    const json_t *src = json_object_get(page, key);
    json_t *a = src ? json_array() : NULL;

    for (size_t k = from; a && k < to; k++)
        json_array_append(a, json_array_get(src, k));
    return a;
}

/* Appends chunk i (events [from, to)) of page; last says its next_cursor is the page's. */
static enum idw_rc add_chunk(json_t *chunks, const json_t *page, size_t i, size_t from, size_t to,
                             int last, char *err, size_t errlen)
{
    const char *base = json_string_value(json_object_get(page, "cursor_polled"));
    json_t *ev = slice(page, "events", from, to), *geo = slice(page, "geo", from, to), *c = NULL;
    char *polled = chunk_cursor(base, i), *next = last ? NULL : chunk_cursor(base, i + 1);
    enum idw_rc rc = IDW_ERR;
    int geo_ok = geo || !json_object_get(page, "geo");

    if (ev && geo_ok && polled && (last || next) &&
        idw_wal_page(json_string_value(json_object_get(page, "org")), polled,
                     last ? json_string_value(json_object_get(page, "next_cursor")) : next,
                     json_integer_value(json_object_get(page, "fetched_at")),
                     json_integer_value(json_object_get(page, "live_from")), geo, ev, &c,
                     err, errlen) == IDW_OK)
        rc = json_array_append_new(chunks, c) == 0 ? IDW_OK : IDW_ERR;
    else if (!polled || !ev || !geo_ok)
        snprintf(err, errlen, "wal: out of memory splitting a page");
    json_decref(ev);
    json_decref(geo);
    free(polled);
    free(next);
    return rc;
}

/* Encoded size of one event (0 when it cannot be encoded). */
static size_t event_size(const json_t *e)
{
    char *s = e ? json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
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
        size_t sz = event_size(json_array_get(ev, k)) + 1 +
                    event_size(json_array_get(json_object_get(page, "geo"), k)) + 1;
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
    /* the envelope: the page with no events */
    shell = json_deep_copy(page);
    json_object_set_new(shell, "events", json_array());
    if (json_object_get(shell, "geo"))
        json_object_set_new(shell, "geo", json_array());
    s = idw_wal_encode(shell, &envelope);
    free(s);
    json_decref(shell);
    /* both cursors lengthened by the marker; a version-1 page's chunks gain "v", "type", "live_from" */
    envelope += 2 * (sizeof IDW_WAL_CHUNK_MARK + 20) + 64;
    if (cut(page, envelope, max_payload, *chunks, err, errlen) < 0 ||
        verify_sizes(*chunks, max_payload, err, errlen) < 0) {
        json_decref(*chunks);
        *chunks = NULL;
        return IDW_ERR;
    }
    return IDW_OK;
}
