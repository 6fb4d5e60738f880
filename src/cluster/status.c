/*
 * status.c — the heartbeat codec and the IDW_STATUS stream (status.h).
 * The strict checker names the first field it refuses, with its path.
 */
#include "cluster/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/js.h"
#include "common/log.h"

#define STATUS_V 1
#define SLOTS_MAX 4096
#define PART_MAX 4096
#define READ_WAIT_MS 10000

/* ---- the strict checker ---------------------------------------------------- */

/* Exactly the keys of names (n of them) in obj, else the first stranger or the first missing one. */
static const char *keys_problem_opt(const json_t *obj, const char *const *names, size_t n, size_t optional,
                                    char *buf, size_t len);

static const char *keys_problem(const json_t *obj, const char *const *names, size_t n, char *buf, size_t len)
{
    return keys_problem_opt(obj, names, n, 0, buf, len);
}

/* As keys_problem, the last `optional` names allowed to be missing. */
static const char *keys_problem_opt(const json_t *obj, const char *const *names, size_t n, size_t optional,
                                    char *buf, size_t len)
{
    const char *k;
    json_t *v;

    json_object_foreach((json_t *)obj, k, v) {
        size_t i = 0;
        while (i < n && strcmp(names[i], k) != 0)
            i++;
        if (i == n) {
            snprintf(buf, len, "%.64s: unknown key", k);
            return buf;
        }
    }
    for (size_t i = 0; i + optional < n; i++)
        if (!json_object_get(obj, names[i])) {
            snprintf(buf, len, "%s: missing", names[i]);
            return buf;
        }
    return NULL;
}

/* An integer in [lo, hi], else why not (key named by the caller). */
static const char *int_problem(const json_t *v, json_int_t lo, json_int_t hi)
{
    if (!json_is_integer(v))
        return "expected an integer";
    if (json_integer_value(v) < lo || json_integer_value(v) > hi)
        return "out of range";
    return NULL;
}

static int org_ok(const char *org)
{
    size_t n = org ? strlen(org) : 0;

    return n >= 1 && n <= 63 &&
           strspn(org, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static enum idw_rc org_check(const json_t *o, const char *at, char *err, size_t errlen)
{
    static const char *const keys[] = {"org", "cursor_set", "held", "paused"};
    char buf[128];
    const char *why;

    if (!json_is_object(o)) {
        snprintf(err, errlen, "heartbeat: %s: expected an object", at);
        return IDW_ERR;
    }
    why = keys_problem(o, keys, 4, buf, sizeof buf);
    if (why) {
        snprintf(err, errlen, "heartbeat: %s.%s", at, why);
        return IDW_ERR;
    }
    if (!org_ok(json_string_value(json_object_get(o, "org")))) {
        snprintf(err, errlen, "heartbeat: %s.org: expected a domain_id (1-63 of [A-Za-z0-9._-])", at);
        return IDW_ERR;
    }
    for (size_t i = 1; i < 4; i++)
        if (!json_is_boolean(json_object_get(o, keys[i]))) {
            snprintf(err, errlen, "heartbeat: %s.%s: expected true or false", at, keys[i]);
            return IDW_ERR;
        }
    return IDW_OK;
}

static enum idw_rc part_check(const json_t *p, const char *at, char *err, size_t errlen)
{
    static const char *const keys[] = {"p", "applied_seq", "stream_last_seq", "snapshot_seq", "snapshot_at",
                                       "orgs", "rules"};
    const json_t *rules = json_object_get(p, "rules");
    char buf[128], sub[96];
    const char *why;
    size_t i;
    json_t *o;

    if (!json_is_object(p)) {
        snprintf(err, errlen, "heartbeat: %s: expected an object", at);
        return IDW_ERR;
    }
    why = keys_problem_opt(p, keys, 7, 1, buf, sizeof buf);
    if (!why && rules && (!json_is_string(rules) || json_string_length(rules) > 64))
        why = "rules: expected a fingerprint (at most 64 characters)";
    if (why) {
        snprintf(err, errlen, "heartbeat: %s.%s", at, why);
        return IDW_ERR;
    }
    for (i = 0; i < 5; i++) {
        why = int_problem(json_object_get(p, keys[i]), 0, i == 0 ? PART_MAX - 1 : INT64_MAX);
        if (why) {
            snprintf(err, errlen, "heartbeat: %s.%s: %s", at, keys[i], why);
            return IDW_ERR;
        }
    }
    if (!json_is_array(json_object_get(p, "orgs"))) {
        snprintf(err, errlen, "heartbeat: %s.orgs: expected an array", at);
        return IDW_ERR;
    }
    json_array_foreach(json_object_get(p, "orgs"), i, o) {
        snprintf(sub, sizeof sub, "%s.orgs[%zu]", at, i);
        if (org_check(o, sub, err, errlen) < 0)
            return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_status_check(const json_t *hb, char *err, size_t errlen)
{
    static const char *const keys[] = {"v", "slot", "slots", "pid", "at", "started_at", "host", "partitions"};
    static const json_int_t lo[] = {STATUS_V, 0, 1, 1, 0, 0}, hi[] = {STATUS_V, SLOTS_MAX - 1, SLOTS_MAX,
                                                                      INT32_MAX, INT64_MAX, INT64_MAX};
    const char *why, *host;
    char buf[128], at[48];
    size_t i;
    json_t *p;

    if (!json_is_object(hb)) {
        snprintf(err, errlen, "heartbeat: expected a JSON object");
        return IDW_ERR;
    }
    why = keys_problem(hb, keys, 8, buf, sizeof buf);
    if (why) {
        snprintf(err, errlen, "heartbeat: %s", why);
        return IDW_ERR;
    }
    for (i = 0; i < 6; i++) {
        why = int_problem(json_object_get(hb, keys[i]), lo[i], hi[i]);
        if (why) {
            snprintf(err, errlen, "heartbeat: %s: %s", keys[i], why);
            return IDW_ERR;
        }
    }
    if (json_integer_value(json_object_get(hb, "slot")) >= json_integer_value(json_object_get(hb, "slots"))) {
        snprintf(err, errlen, "heartbeat: slot: not below slots");
        return IDW_ERR;
    }
    host = json_string_value(json_object_get(hb, "host"));
    if (!host || !*host || strlen(host) > IDW_STATUS_HOST_MAX) {
        snprintf(err, errlen, "heartbeat: host: expected a string of 1-%d characters", IDW_STATUS_HOST_MAX);
        return IDW_ERR;
    }
    if (!json_is_array(json_object_get(hb, "partitions"))) {
        snprintf(err, errlen, "heartbeat: partitions: expected an array");
        return IDW_ERR;
    }
    json_array_foreach(json_object_get(hb, "partitions"), i, p) {
        snprintf(at, sizeof at, "partitions[%zu]", i);
        if (part_check(p, at, err, errlen) < 0)
            return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_status_decode(const char *buf, size_t len, json_t **out, char *err, size_t errlen)
{
    json_error_t je;
    json_t *hb = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);

    *out = NULL;
    if (!hb) {
        snprintf(err, errlen, "heartbeat: not JSON: %s (offset %d)", je.text, je.position);
        return IDW_ERR;
    }
    if (idw_status_check(hb, err, errlen) < 0) {
        json_decref(hb);
        return IDW_ERR;
    }
    *out = hb;
    return IDW_OK;
}

enum idw_rc idw_status_encode(const json_t *hb, char **out, size_t *len, char *err, size_t errlen)
{
    *out = NULL;
    if (idw_status_check(hb, err, errlen) < 0)
        return IDW_ERR;
    *out = json_dumps(hb, JSON_COMPACT | JSON_SORT_KEYS);
    if (!*out) {
        snprintf(err, errlen, "heartbeat: out of memory");
        return IDW_ERR;
    }
    *len = strlen(*out);
    return IDW_OK;
}

/* ---- the stream ------------------------------------------------------------- */

enum idw_rc idw_status_ensure(struct idw_js *js, int replicas, int64_t deadline_ms, char *err, size_t errlen)
{
    static const char *const subjects[] = {"idw.status.*"};
    const struct idw_js_stream s = {
        .name = IDW_STATUS_STREAM, .subjects = subjects, .nsubjects = 1, .replicas = replicas,
        .max_age_s = IDW_STATUS_MAX_AGE_S, .max_msgs_per_subject = 1,
    };

    return idw_js_ensure(js, &s, deadline_ms, err, errlen);
}

enum idw_rc idw_status_publish(struct idw_js *js, const json_t *hb, int64_t deadline_ms, char *err,
                               size_t errlen)
{
    char subject[48], *buf;
    size_t len;
    uint64_t seq;
    int dup;
    enum idw_rc rc;

    if (idw_status_encode(hb, &buf, &len, err, errlen) < 0)
        return IDW_ERR;
    snprintf(subject, sizeof subject, "idw.status.%lld",
             (long long)json_integer_value(json_object_get(hb, "slot")));
    /* no Msg-Id: a retried heartbeat stored twice is harmless (one per subject stays) */
    rc = idw_js_publish_headers(js, subject, NULL, 0, buf, len, deadline_ms, &seq, &dup, err, errlen);
    free(buf);
    return rc;
}

struct read_ctx {
    json_t *by_slot;        /* {"<slot>": heartbeat}: the newest wins */
    size_t bad;
};

static int read_one(const char *data, size_t len, uint64_t seq, int64_t ts_ms, void *ctx)
{
    struct read_ctx *c = ctx;
    char err[256], key[24];
    json_t *hb;

    (void)ts_ms;
    if (idw_status_decode(data, len, &hb, err, sizeof err) < 0) {
        log_warn("%s seq %llu: %s", IDW_STATUS_STREAM, (unsigned long long)seq, err);
        c->bad++;
        return 0;
    }
    snprintf(key, sizeof key, "%06lld", (long long)json_integer_value(json_object_get(hb, "slot")));
    return json_object_set_new(c->by_slot, key, hb) < 0 ? -1 : 0;
}

enum idw_rc idw_status_read(struct idw_js *js, json_t **out, size_t *bad, char *err, size_t errlen)
{
    struct read_ctx c = {.by_slot = json_object()};
    enum idw_rc rc;
    const char *k;
    json_t *v, *arr = json_array();

    *out = NULL;
    *bad = 0;
    if (!c.by_slot || !arr) {
        json_decref(c.by_slot);
        json_decref(arr);
        snprintf(err, errlen, "heartbeats: out of memory");
        return IDW_ERR;
    }
    rc = idw_js_read_ordered(js, IDW_STATUS_STREAM, "idw.status.*", 0, READ_WAIT_MS, read_one, &c, NULL,
                             err, errlen);
    if (rc == IDW_ERR) {
        json_decref(c.by_slot);
        json_decref(arr);
        return rc;
    }
    /* zero-padded keys: sorted keys are slot order */
    const char **keys = calloc(json_object_size(c.by_slot) + 1, sizeof *keys);
    size_t n = 0;
    if (!keys) {
        json_decref(c.by_slot);
        json_decref(arr);
        snprintf(err, errlen, "heartbeats: out of memory");
        return IDW_ERR;
    }
    json_object_foreach(c.by_slot, k, v)
        keys[n++] = k;
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *t = keys[j];
            keys[j] = keys[j - 1];
            keys[j - 1] = t;
        }
    for (size_t i = 0; i < n; i++)
        json_array_append(arr, json_object_get(c.by_slot, keys[i]));
    free(keys);
    json_decref(c.by_slot);
    *out = arr;
    *bad = c.bad;
    return rc;
}
