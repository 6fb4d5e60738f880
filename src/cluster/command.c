/*
 * command.c — analyst and operator commands in a partition's stream
 * (command.h): build, check, Msg-Id, and apply inside the applier's
 * write transaction.  A review goes through the alert module's own
 * review path (alert/alert.h) with the outbox attached exactly as the
 * CLI and the API attach it, so a review from the log queues the same
 * deliveries a local `idwatch alerts ack` would.
 */
#include "cluster/command.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "alert/alert.h"
#include "common/util.h"
#include "deliver/outbox.h"
#include "deliver/webhook.h"
#include "persona/persona.h"

#define ALERT_ID_LEN 36                 /* a UUID: what idw_uuid_derive gives */
#define NAME_MAX_LEN 63
#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._@-"
#define HEX "0123456789abcdef"

enum idw_rc idw_command_new_id(char out[IDW_COMMAND_ID_HEX + 1], char *err, size_t errlen)
{
    unsigned char b[IDW_COMMAND_ID_HEX / 2];

    out[0] = '\0';
    if (RAND_bytes(b, sizeof b) != 1) {
        snprintf(err, errlen, "command: the random generator failed");
        return IDW_ERR;
    }
    for (size_t i = 0; i < sizeof b; i++) {
        out[2 * i] = HEX[b[i] >> 4];
        out[2 * i + 1] = HEX[b[i] & 15];
    }
    out[IDW_COMMAND_ID_HEX] = '\0';
    return IDW_OK;
}

/* ---- check ----------------------------------------------------------------------- */

static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

/* key a string of min..max bytes (no control characters unless ctl); IDW_ERR naming it. */
static enum idw_rc check_text(const json_t *msg, const char *key, size_t min, size_t max, int ctl,
                              char *err, size_t errlen)
{
    const char *s = json_string_value(json_object_get(msg, key));
    size_t n = s ? json_string_length(json_object_get(msg, key)) : 0;

    if (!s || n < min || n > max || strlen(s) != n || (!ctl && has_control(s))) {
        snprintf(err, errlen, "command: %s: expected a string of %zu to %zu bytes%s", key, min, max,
                 ctl ? "" : " without control characters");
        return IDW_ERR;
    }
    return IDW_OK;
}

static int is_status(const char *s)
{
    return s && (!strcmp(s, "acknowledged") || !strcmp(s, "resolved") || !strcmp(s, "false_positive"));
}

static enum idw_rc check_review(const json_t *msg, char *err, size_t errlen)
{
    const char *id = json_string_value(json_object_get(msg, "alert_id"));
    const json_t *as = json_object_get(msg, "assignee");
    const char *a = json_string_value(as);

    if (!id || strlen(id) != ALERT_ID_LEN || strspn(id, HEX "-") != ALERT_ID_LEN) {
        snprintf(err, errlen, "command: alert_id: expected a full alert id (36 of 0-9 a-f -)");
        return IDW_ERR;
    }
    if (!is_status(json_string_value(json_object_get(msg, "status")))) {
        snprintf(err, errlen, "command: status: expected \"acknowledged\", \"resolved\" or "
                              "\"false_positive\"");
        return IDW_ERR;
    }
    if (as && (!a || strlen(a) > NAME_MAX_LEN || strspn(a, NAME_CHARS) != strlen(a) ||
               json_string_length(as) != strlen(a))) {
        snprintf(err, errlen, "command: assignee: expected \"\" or a name of 1-63 of A-Z a-z 0-9 . _ @ -");
        return IDW_ERR;
    }
    if (json_object_get(msg, "note"))
        return check_text(msg, "note", 0, IDW_COMMAND_NOTE_MAX, 1, err, errlen);
    return IDW_OK;
}

/* A starved notice: since and ended (0: still starved) times, summary and evidence texts. */
static enum idw_rc check_starved(const json_t *msg, char *err, size_t errlen)
{
    static const char *const times[] = {"since", "ended"};

    for (size_t i = 0; i < 2; i++) {
        const json_t *t = json_object_get(msg, times[i]);
        if (!json_is_integer(t) || json_integer_value(t) < 0 || json_integer_value(t) > IDW_COMMAND_AT_MAX) {
            snprintf(err, errlen, "command: %s: expected ms since the epoch (0: none)", times[i]);
            return IDW_ERR;
        }
    }
    if (check_text(msg, "summary", 1, IDW_COMMAND_REASON_MAX, 1, err, errlen) < 0)
        return IDW_ERR;
    return check_text(msg, "evidence", 0, IDW_COMMAND_NOTE_MAX, 1, err, errlen);
}

/* The start of a key for an error message: control characters as '?', so it stays one line. */
static void printable(char *dst, size_t cap, const char *s)
{
    size_t i = 0;

    for (; s[i] && i + 1 < cap; i++)
        dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    dst[i] = '\0';
}

/* Every key is one the command may carry; err names the first that is not. */
static enum idw_rc check_keys(const json_t *msg, int review, char *err, size_t errlen)
{
    static const char *common[] = {"v", "type", "org", "command", "at", "by", "id"};
    static const char *rv[] = {"alert_id", "status", "assignee", "note"};
    static const char *st[] = {"since", "ended", "summary", "evidence"};
    int starved = review == 2;
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)msg, key, v) {
        int ok = 0;
        for (size_t i = 0; i < sizeof common / sizeof common[0]; i++)
            ok |= !strcmp(key, common[i]);
        for (size_t i = 0; review == 1 && i < sizeof rv / sizeof rv[0]; i++)
            ok |= !strcmp(key, rv[i]);
        for (size_t i = 0; starved && i < sizeof st / sizeof st[0]; i++)
            ok |= !strcmp(key, st[i]);
        ok |= !review && !strcmp(key, "reason");
        if (!ok) {
            char shown[65];
            printable(shown, sizeof shown, key);
            snprintf(err, errlen, "command: %s: not a field of a %s command", shown,
                     starved ? "starved" : review ? "review" : "pause or resume");
            return IDW_ERR;
        }
    }
    return IDW_OK;
}

static enum idw_rc check_head(const json_t *msg, char *err, size_t errlen)
{
    const json_t *v = json_object_get(msg, "v"), *at = json_object_get(msg, "at");
    const char *id = json_string_value(json_object_get(msg, "id"));

    if (!json_is_integer(v) || json_integer_value(v) != IDW_COMMAND_VERSION) {
        snprintf(err, errlen, "command: v: expected %d", IDW_COMMAND_VERSION);
        return IDW_ERR;
    }
    if (!json_is_string(json_object_get(msg, "type")) ||
        strcmp(json_string_value(json_object_get(msg, "type")), "command") != 0) {
        snprintf(err, errlen, "command: type: expected \"command\"");
        return IDW_ERR;
    }
    if (!idw_domain_id_valid(json_string_value(json_object_get(msg, "org")))) {
        snprintf(err, errlen, "command: org: expected a domain_id (1-63 of letters, digits, '.', '_', '-')");
        return IDW_ERR;
    }
    if (!json_is_integer(at) || json_integer_value(at) < 0 || json_integer_value(at) > IDW_COMMAND_AT_MAX) {
        snprintf(err, errlen, "command: at: expected ms since the epoch, up to the year 9999");
        return IDW_ERR;
    }
    if (check_text(msg, "by", 1, IDW_COMMAND_BY_MAX, 0, err, errlen) < 0)
        return IDW_ERR;
    if (!id || strlen(id) != IDW_COMMAND_ID_HEX || strspn(id, HEX) != IDW_COMMAND_ID_HEX) {
        snprintf(err, errlen, "command: id: expected %d lowercase hex digits", IDW_COMMAND_ID_HEX);
        return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_command_check(const json_t *msg, char *err, size_t errlen)
{
    const char *c;
    int review;

    if (!json_is_object(msg)) {
        snprintf(err, errlen, "command: expected an object");
        return IDW_ERR;
    }
    if (check_head(msg, err, errlen) < 0)
        return IDW_ERR;
    c = json_string_value(json_object_get(msg, "command"));
    if (!c || (strcmp(c, "review") && strcmp(c, "pause") && strcmp(c, "resume") && strcmp(c, "starved"))) {
        snprintf(err, errlen, "command: command: expected \"review\", \"pause\", \"resume\" or \"starved\"");
        return IDW_ERR;
    }
    review = !strcmp(c, "review") ? 1 : !strcmp(c, "starved") ? 2 : 0;
    if (check_keys(msg, review, err, errlen) < 0)
        return IDW_ERR;
    if (review == 1)
        return check_review(msg, err, errlen);
    if (review == 2)
        return check_starved(msg, err, errlen);
    if (json_object_get(msg, "reason"))
        return check_text(msg, "reason", 0, IDW_COMMAND_REASON_MAX, 0, err, errlen);
    return IDW_OK;
}

/* ---- build ----------------------------------------------------------------------- */

enum idw_rc idw_command_build(const char *org, const char *command, int64_t at_ms, const char *by,
                              const char *id, const struct idw_command_review *rv, const char *reason,
                              json_t **out, char *err, size_t errlen)
{
    json_t *m = json_pack("{s:i, s:s, s:s?, s:s?, s:I, s:s?, s:s?}", "v", IDW_COMMAND_VERSION,
                          "type", "command", "org", org, "command", command, "at", (json_int_t)at_ms,
                          "by", by, "id", id);
    int bad = !m;

    *out = NULL;
    if (m && rv)
        bad = json_object_set_new(m, "alert_id", rv->alert_id ? json_string(rv->alert_id) : json_null()) ||
              json_object_set_new(m, "status", rv->status ? json_string(rv->status) : json_null()) ||
              (rv->assignee && json_object_set_new(m, "assignee", json_string(rv->assignee))) ||
              (rv->note && json_object_set_new(m, "note", json_string(rv->note)));
    if (m && !bad && reason)
        bad = json_object_set_new(m, "reason", json_string(reason)) != 0;
    if (bad) {
        json_decref(m);
        snprintf(err, errlen, "command: cannot build it (a string that is not UTF-8, or no memory)");
        return IDW_ERR;
    }
    if (idw_command_check(m, err, errlen) < 0) {
        json_decref(m);
        return IDW_ERR;
    }
    *out = m;
    return IDW_OK;
}

enum idw_rc idw_command_msg_id(const json_t *msg, char out[IDW_COMMAND_MSGID_MAX])
{
    const char *id = json_string_value(json_object_get(msg, "id"));

    out[0] = '\0';
    if (!id || strlen(id) != IDW_COMMAND_ID_HEX || strspn(id, HEX) != IDW_COMMAND_ID_HEX)
        return IDW_ERR;
    snprintf(out, IDW_COMMAND_MSGID_MAX, "cmd:%s", id);
    return IDW_OK;
}

/* ---- apply ----------------------------------------------------------------------- */

/* Why a command was skipped, into reason (may be NULL); *applied = 0. */
static void skipped(int *applied, char *reason, size_t reasonlen, const char *why)
{
    *applied = 0;
    if (reason && reasonlen)
        snprintf(reason, reasonlen, "%s", why);
}

/* The marker of a decided command, in txn. */
static enum idw_rc put_marker(struct idw_store *st, MDB_txn *txn, const json_t *msg, int applied,
                              const char *reason, char *err, size_t errlen)
{
    json_t *doc = json_pack("{s:O, s:O, s:b}", "org", json_object_get(msg, "org"), "command",
                            json_object_get(msg, "command"), "applied", applied);
    enum idw_rc rc;

    if (doc && !applied && reason)
        json_object_set_new(doc, "reason", json_string(reason));
    if (!doc) {
        snprintf(err, errlen, "out of memory");
        return IDW_ERR;
    }
    rc = idw_store_meta_put(st, txn, "cluster_cmd", json_string_value(json_object_get(msg, "id")), doc,
                            err, errlen);
    json_decref(doc);
    return rc;
}

/* The alert registry a review needs: the outbox for cfg's webhooks (alert and incident versions). */
static struct idw_alerts *review_registry(const struct idw_config *cfg, char *err, size_t errlen)
{
    struct idw_outbox_target *t = NULL;
    struct idw_alerts *al;
    size_t n = 0;

    if (idw_webhook_targets(cfg->root, &t, &n, err, errlen) < 0)
        return NULL;
    al = idw_alerts_new();
    if (!al)
        snprintf(err, errlen, "out of memory");
    else if (idw_outbox_attach(al, cfg->root, t, n, err, errlen) != IDW_OK) {
        idw_alerts_free(al);
        al = NULL;
    }
    free(t);
    return al;
}

static enum idw_alert_status status_of(const char *s)
{
    if (!strcmp(s, "acknowledged"))
        return IDW_ALERT_ACKNOWLEDGED;
    return !strcmp(s, "resolved") ? IDW_ALERT_RESOLVED : IDW_ALERT_FALSE_POSITIVE;
}

/*
 * A review: skipped (why, IDW_OK, *applied 0) when the org has no such
 * alert or its status refuses the transition; otherwise recorded.
 */
static enum idw_rc apply_review(struct idw_store *st, MDB_txn *txn, const struct idw_config *cfg,
                                const json_t *msg, int *applied, char *why, size_t whylen,
                                char *err, size_t errlen)
{
    const char *org = json_string_value(json_object_get(msg, "org"));
    const char *id = json_string_value(json_object_get(msg, "alert_id"));
    struct idw_persona_params prm;
    struct idw_alert_review r = {
        .to = status_of(json_string_value(json_object_get(msg, "status"))),
        .note = json_string_value(json_object_get(msg, "note")),
        .assignee = json_string_value(json_object_get(msg, "assignee")),
        .by = json_string_value(json_object_get(msg, "by")),
        .at_ms = json_integer_value(json_object_get(msg, "at")),
        .prm = &prm,
        .domain = org,
    };
    struct idw_alerts *al;
    json_t *a = NULL;
    enum idw_rc rc = idw_alert_get(st, txn, org, id, &a, err, errlen);

    if (rc == IDW_NOTFOUND)
        snprintf(why, whylen, "no alert %s in org %s", id, org);
    if (rc != IDW_OK)
        return rc == IDW_NOTFOUND ? IDW_OK : IDW_ERR;
    if (idw_alert_review_refused(a, id, &r, why, whylen)) {
        json_decref(a);
        return IDW_OK;      /* it would change nothing: skipped, why says so */
    }
    json_decref(a);
    idw_persona_params_init(&prm, cfg->half_life_days, cfg->learning_days, cfg->learning_signins,
                            cfg->relearn_after_days);
    al = review_registry(cfg, err, errlen);
    if (!al)
        return IDW_ERR;
    rc = idw_alert_review(al, st, txn, id, &r, NULL, err, errlen);
    idw_alerts_free(al);
    if (rc != IDW_OK) {
        if (rc == IDW_NOTFOUND)
            snprintf(err, errlen, "alert %s of %s vanished inside the transaction", id, org);
        return IDW_ERR;
    }
    *applied = 1;
    return IDW_OK;
}

/*
 * A worker's poller starved of System Log pages by rate limiting: the
 * connector_starved alert (T1562) `run` raises, timed by the command's at,
 * queued to the outbox in the applier's transaction.
 */
static enum idw_rc apply_starved(struct idw_store *st, MDB_txn *txn, const struct idw_config *cfg,
                                 const json_t *msg, int *applied, char *err, size_t errlen)
{
    struct idw_alert_candidate c = {.severity = IDW_SEV_HIGH, .score = 70, .mitre = "T1562",
                                    .stage = "Defense Evasion", .window_ms = IDW_DAY_MS};
    const char *org = json_string_value(json_object_get(msg, "org"));
    struct idw_alerts *al = review_registry(cfg, err, errlen);
    enum idw_rc rc;

    if (!al)
        return IDW_ERR;
    snprintf(c.entity, sizeof c.entity, "org:%s", org);
    idw_strlcpy(c.summary, json_string_value(json_object_get(msg, "summary")), sizeof c.summary);
    idw_strlcpy(c.evidence, json_string_value(json_object_get(msg, "evidence")) ?: "", sizeof c.evidence);
    rc = idw_alert_raise_connector_in(al, st, txn, org, "connector_starved", &c,
                                      json_integer_value(json_object_get(msg, "at")), err, errlen);
    idw_alerts_free(al);
    *applied = rc == IDW_OK;
    return rc;
}

enum idw_rc idw_command_org_paused(struct idw_store *st, MDB_txn *txn, const char *org, int *paused,
                                   char *err, size_t errlen)
{
    json_t *doc = NULL;
    enum idw_rc rc = idw_store_meta_get(st, txn, "cluster_paused", org, &doc, err, errlen);

    *paused = 0;
    if (rc == IDW_NOTFOUND)
        return IDW_OK;
    if (rc != IDW_OK)
        return IDW_ERR;
    if (!json_is_boolean(json_object_get(doc, "paused"))) {
        snprintf(err, errlen, "meta cluster_paused/%s: damaged record (no boolean \"paused\")", org);
        json_decref(doc);
        return IDW_ERR;
    }
    *paused = json_is_true(json_object_get(doc, "paused"));
    json_decref(doc);
    return IDW_OK;
}

/* pause (on 1) or resume (on 0): skipped when the org already is so. */
static enum idw_rc apply_pause(struct idw_store *st, MDB_txn *txn, const json_t *msg, int on, int *applied,
                               char *why, size_t whylen, char *err, size_t errlen)
{
    const char *org = json_string_value(json_object_get(msg, "org"));
    const json_t *reason = json_object_get(msg, "reason");
    json_t *doc;
    int paused;
    enum idw_rc rc;

    if (idw_command_org_paused(st, txn, org, &paused, err, errlen) < 0)
        return IDW_ERR;
    if (paused == on) {
        snprintf(why, whylen, "org %s is %s", org, on ? "already paused" : "not paused");
        return IDW_OK;
    }
    doc = json_pack("{s:b, s:O, s:O}", "paused", on, "by", json_object_get(msg, "by"), "at",
                    json_object_get(msg, "at"));
    if (doc && reason && json_object_set(doc, "reason", (json_t *)reason) != 0) {
        json_decref(doc);
        doc = NULL;
    }
    if (!doc) {
        snprintf(err, errlen, "out of memory");
        return IDW_ERR;
    }
    rc = idw_store_meta_put(st, txn, "cluster_paused", org, doc, err, errlen);
    json_decref(doc);
    *applied = rc == IDW_OK;
    return rc;
}

/* IDW_OK when the command's id has a marker (why says so), IDW_NOTFOUND when not, IDW_ERR. */
static enum idw_rc decided_before(struct idw_store *st, MDB_txn *txn, const json_t *msg, char *why,
                                  size_t whylen, char *err, size_t errlen)
{
    const char *id = json_string_value(json_object_get(msg, "id"));
    json_t *doc = NULL;
    enum idw_rc rc = idw_store_meta_get(st, txn, "cluster_cmd", id, &doc, err, errlen);

    if (rc == IDW_OK)
        snprintf(why, whylen, "command %s was %s before", id,
                 json_is_true(json_object_get(doc, "applied")) ? "applied" : "skipped");
    json_decref(doc);
    return rc;
}

enum idw_rc idw_command_apply(struct idw_store *st, MDB_txn *txn, const struct idw_config *cfg,
                              const json_t *msg, int *applied, char *reason, size_t reasonlen,
                              char *err, size_t errlen)
{
    char why[512] = "";
    const char *c;
    enum idw_rc rc;

    *applied = 0;
    if (idw_command_check(msg, why, sizeof why) < 0) {
        skipped(applied, reason, reasonlen, why);
        return IDW_OK;
    }
    rc = decided_before(st, txn, msg, why, sizeof why, err, errlen);
    if (rc != IDW_NOTFOUND) {
        skipped(applied, reason, reasonlen, why);
        return rc == IDW_OK ? IDW_OK : IDW_ERR;
    }
    c = json_string_value(json_object_get(msg, "command"));
    if (!strcmp(c, "review"))
        rc = apply_review(st, txn, cfg, msg, applied, why, sizeof why, err, errlen);
    else if (!strcmp(c, "starved"))
        rc = apply_starved(st, txn, cfg, msg, applied, err, errlen);
    else
        rc = apply_pause(st, txn, msg, !strcmp(c, "pause"), applied, why, sizeof why, err, errlen);
    if (rc == IDW_OK)
        rc = put_marker(st, txn, msg, *applied, why, err, errlen);
    if (rc != IDW_OK) {
        *applied = 0;
        return IDW_ERR;
    }
    if (!*applied)
        skipped(applied, reason, reasonlen, why);
    return IDW_OK;
}
