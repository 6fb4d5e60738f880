/*
 * alertstream.c — the provider-wide alerts stream (alertstream.h): the
 * envelope codec, publishing one version with its Msg-Id, and the outbox
 * callback target a worker registers.
 */
#include "cluster/alertstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "deliver/outbox.h"

#define ENVELOPE_V 1
#define ID_MAX 100                  /* alert and incident ids are UUIDs; room to spare */
#define SEND_DEADLINE_MS 8000       /* one delivery attempt: below the target's timeout_s */
#define TARGET_TIMEOUT_S 10

struct idw_alertstream {
    struct idw_js *js;
    int replicas;
    int64_t max_age_days;
    int ensured;                    /* the stream exists (created or found) on this connection */
};

/* ---- the envelope ------------------------------------------------------------ */

/* A domain_id usable as subject tokens: 1–63 of [A-Za-z0-9._-], no empty token. */
static int org_ok(const char *org)
{
    size_t n = org ? strlen(org) : 0;

    if (n == 0 || n > 63 || org[0] == '.' || org[n - 1] == '.' || strstr(org, ".."))
        return 0;
    return strspn(org, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

/* An id: 1–100 printable characters without spaces (it goes into a Msg-Id header). */
static int id_ok(const char *id)
{
    size_t n = id ? strlen(id) : 0;

    if (n == 0 || n > ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)id[i] <= 0x20 || (unsigned char)id[i] >= 0x7f)
            return 0;
    return 1;
}

static int is_incident(const json_t *doc)
{
    const char *type = json_string_value(json_object_get(doc, "type"));

    return type && !strcmp(type, "incident");
}

/* Why payload cannot be published (NULL: it can). */
static const char *payload_problem(const json_t *payload, const char *id, const char *org, const json_t *v)
{
    if (!json_is_object(payload))
        return "not a document";
    if (!id_ok(id))
        return is_incident(payload) ? "incident_id missing or not an id" : "alert_id missing or not an id";
    if (!org_ok(org))
        return "domain_id missing or not usable in a subject";
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return "version missing or below 1";
    return NULL;
}

enum idw_rc idw_alertstream_envelope(const json_t *payload, json_t **out, char *err, size_t errlen)
{
    int incident = is_incident(payload);
    const char *id = json_string_value(json_object_get(payload, incident ? "incident_id" : "alert_id"));
    const char *org = json_string_value(json_object_get(payload, "domain_id"));
    const json_t *v = json_object_get(payload, "version");
    const char *why = payload_problem(payload, id, org, v);

    *out = NULL;
    if (why) {
        snprintf(err, errlen, "alerts stream: %s %s: %s", incident ? "incident" : "alert",
                 id_ok(id) ? id : "?", why);
        return IDW_ERR;
    }
    *out = json_pack("{s:i, s:s, s:s, s:s, s:O, s:O}", "v", ENVELOPE_V, "kind",
                     incident ? "incident" : "alert", "org", org, "id", id, "version", v, "payload", payload);
    if (!*out) {
        snprintf(err, errlen, "alerts stream: %s: out of memory", id);
        return IDW_ERR;
    }
    return IDW_OK;
}

/* Why the envelope env is not one (NULL: it is). */
static const char *envelope_problem(const json_t *env)
{
    const json_t *p = json_object_get(env, "payload"), *v = json_object_get(env, "version");
    const char *kind = json_string_value(json_object_get(env, "kind"));
    const char *id = json_string_value(json_object_get(env, "id"));
    const char *org = json_string_value(json_object_get(env, "org"));
    int incident = kind && !strcmp(kind, "incident");

    if (!json_is_object(env))
        return "not a JSON object";
    if (json_object_size(env) != 6 || !p || !json_object_get(env, "v"))
        return "expected exactly v, kind, org, id, version and payload";
    const json_t *ver = json_object_get(env, "v");

    if (!json_is_integer(ver) || json_integer_value(ver) != ENVELOPE_V)
        return "v: expected 1 (a later release's message?)";
    if (!kind || (!incident && strcmp(kind, "alert") != 0))
        return "kind: expected \"alert\" or \"incident\"";
    if (!org_ok(org))
        return "org: expected a domain_id (1-63 of A-Z a-z 0-9 . _ -, no empty token)";
    if (!id_ok(id))
        return "id: expected 1-100 printable characters without spaces";
    if (!json_is_integer(v) || json_integer_value(v) < 1)
        return "version: expected an integer of at least 1";
    if (!json_is_object(p))
        return "payload: expected an object";
    if (is_incident(p) != incident)
        return "payload: its type disagrees with kind";
    if (!json_equal(json_object_get(p, incident ? "incident_id" : "alert_id"), json_object_get(env, "id")) ||
        !json_equal(json_object_get(p, "version"), v) ||
        !json_equal(json_object_get(p, "domain_id"), json_object_get(env, "org")))
        return "payload: its id, version or domain_id disagree with the envelope's";
    return NULL;
}

enum idw_rc idw_alertstream_decode(const char *data, size_t len, json_t **out, char *err, size_t errlen)
{
    json_error_t je;
    const char *why;

    *out = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
    if (!*out) {
        snprintf(err, errlen, "alerts stream message: byte %d: %s", je.position, je.text);
        return IDW_ERR;
    }
    why = envelope_problem(*out);
    if (why) {
        snprintf(err, errlen, "alerts stream message: %s", why);
        json_decref(*out);
        *out = NULL;
        return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_alertstream_msg_id(const json_t *env, char *out, size_t outlen)
{
    int n = snprintf(out, outlen, "%s:%lld", json_string_value(json_object_get(env, "id")),
                     (long long)json_integer_value(json_object_get(env, "version")));

    if (n < 0 || (size_t)n >= outlen || !json_string_value(json_object_get(env, "id"))) {
        if (outlen)
            out[0] = '\0';
        return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_alertstream_subject(const char *org, char *out, size_t outlen)
{
    int n = org_ok(org) ? snprintf(out, outlen, "%s%s", IDW_ALERTS_SUBJECT_PREFIX, org) : -1;

    if (n < 0 || (size_t)n >= outlen) {
        if (outlen)
            out[0] = '\0';
        return IDW_ERR;
    }
    return IDW_OK;
}

/* ---- the stream ---------------------------------------------------------------- */

/* cluster.<key>: an integer in [lo, hi], else def when absent.  IDW_ERR with err naming it. */
static enum idw_rc conf_int(const json_t *root, const char *key, int64_t lo, int64_t hi, int64_t def,
                            int64_t *out, char *err, size_t errlen)
{
    const json_t *v = json_object_get(json_object_get(root, "cluster"), key);

    *out = v ? json_integer_value(v) : def;
    if (v && (!json_is_integer(v) || *out < lo || *out > hi)) {
        snprintf(err, errlen, "cluster.%s: must be an integer between %lld and %lld", key, (long long)lo,
                 (long long)hi);
        return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_alertstream_open(struct idw_js *js, const json_t *root, struct idw_alertstream **out,
                                 char *err, size_t errlen)
{
    int64_t replicas, days;

    *out = NULL;
    if (conf_int(root, "replicas", 1, 5, IDW_JS_REPLICAS_DEFAULT, &replicas, err, errlen) < 0 ||
        conf_int(root, "alerts_max_age_days", 1, 36500, IDW_ALERTS_MAX_AGE_DAYS_DEFAULT, &days, err,
                 errlen) < 0)
        return IDW_ERR;
    *out = calloc(1, sizeof **out);
    if (!*out) {
        snprintf(err, errlen, "alerts stream: out of memory");
        return IDW_ERR;
    }
    **out = (struct idw_alertstream){.js = js, .replicas = (int)replicas, .max_age_days = days};
    return IDW_OK;
}

void idw_alertstream_close(struct idw_alertstream *as)
{
    free(as);
}

static enum idw_rc ensure(struct idw_alertstream *as, int64_t deadline_ms, char *err, size_t errlen)
{
    struct idw_js_stream_spec spec = {
        .name = IDW_ALERTS_STREAM, .subject = IDW_ALERTS_SUBJECTS, .replicas = as->replicas,
        .dup_window_s = IDW_ALERTS_DUP_WINDOW_S, .max_age_s = as->max_age_days * 86400,
    };

    if (as->ensured)
        return IDW_OK;
    if (idw_js_ensure_named(as->js, &spec, deadline_ms, err, errlen) < 0)
        return IDW_ERR;
    as->ensured = 1;
    return IDW_OK;
}

/* The envelope's encoding, its Msg-Id and subject.  IDW_ERR with err: it cannot be published. */
static enum idw_rc prepare(const json_t *payload, char **data, char id[IDW_ALERTS_MSGID_MAX],
                           char subject[IDW_ALERTS_SUBJECT_MAX], char *err, size_t errlen)
{
    json_t *env;

    *data = NULL;
    if (idw_alertstream_envelope(payload, &env, err, errlen) < 0)
        return IDW_ERR;
    if (idw_alertstream_msg_id(env, id, IDW_ALERTS_MSGID_MAX) == IDW_OK &&
        idw_alertstream_subject(json_string_value(json_object_get(env, "org")), subject,
                                IDW_ALERTS_SUBJECT_MAX) == IDW_OK)
        *data = json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(env);
    if (!*data) {
        snprintf(err, errlen, "alerts stream: cannot encode the envelope (out of memory)");
        return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_alertstream_publish(struct idw_alertstream *as, const json_t *payload, int64_t deadline_ms,
                                    int *duplicate, char *err, size_t errlen)
{
    char id[IDW_ALERTS_MSGID_MAX], subject[IDW_ALERTS_SUBJECT_MAX], *data;
    uint64_t seq;
    int dup = 0;
    size_t len;
    enum idw_rc rc;

    if (prepare(payload, &data, id, subject, err, errlen) < 0)
        return IDW_ERR;
    len = strlen(data);
    if (len > idw_js_max_message(as->js)) {
        snprintf(err, errlen, "alerts stream: %s: %zu bytes, more than one message may carry (%zu)", id, len,
                 idw_js_max_message(as->js));
        free(data);
        return IDW_ERR;
    }
    rc = ensure(as, deadline_ms, err, errlen);
    if (rc == IDW_OK)
        rc = idw_js_publish_subject(as->js, subject, id, data, len, deadline_ms, &seq, &dup, err, errlen);
    free(data);
    if (duplicate)
        *duplicate = dup;
    if (rc != IDW_OK)
        as->ensured = 0;    /* a long-lived worker: the stream may have been deleted; check again next time */
    return rc == IDW_OK ? IDW_OK : IDW_BUSY;    /* NATS did not take it in time: worth retrying */
}

/* ---- the outbox target ---------------------------------------------------------- */

/* idw_webhook_send_fn: the entry's document (what a native webhook receives) to the stream. */
static enum idw_rc send_entry(const json_t *entry, void *ctx, char *err, size_t errlen)
{
    return idw_alertstream_publish(ctx, json_object_get(entry, "alert"), idw_js_now_ms() + SEND_DEADLINE_MS,
                                   NULL, err, errlen);
}

/* Every version, of any severity, historical or live, and incidents: the provider's whole view. */
static struct idw_outbox_target stream_target(void)
{
    struct idw_outbox_target t = {.min_severity = IDW_SEV_LOW, .deliver_historical = 1, .incidents = 1};

    idw_strlcpy(t.name, IDW_ALERTS_TARGET, sizeof t.name);
    return t;
}

static enum idw_rc register_in(struct idw_store *st, char *err, size_t errlen)
{
    struct idw_outbox_target t = stream_target();
    MDB_txn *txn;

    if (idw_store_begin(st, 0, &txn, err, errlen) < 0)
        return IDW_ERR;
    if (idw_outbox_register_target(st, txn, &t, err, errlen) < 0) {
        mdb_txn_abort(txn);
        return IDW_ERR;
    }
    return idw_store_commit(txn, err, errlen);
}

enum idw_rc idw_alertstream_attach(struct idw_alertstream *as, struct idw_store *st, struct idw_webhooks **wh,
                                   char *err, size_t errlen)
{
    struct idw_callback_target cb = {
        .target = stream_target(), .send = send_entry, .ctx = as, .timeout_s = TARGET_TIMEOUT_S,
        .retry_base_s = 2, .retry_cap_s = 300, .give_up_hours = 24 * 30, .max_permanent_attempts = 3,
    };

    const struct idw_webhook *have = idw_webhook_find(*wh, IDW_ALERTS_TARGET);

    if (register_in(st, err, errlen) < 0)
        return IDW_ERR;
    if (have && have->send == send_entry && have->send_ctx == as)
        return IDW_OK;      /* another database of this process, one set of targets: sent once */
    return idw_webhooks_add_callback(wh, &cb, err, errlen);
}
