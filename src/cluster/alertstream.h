/*
 * alertstream.h — the provider-wide alerts stream (docs/scale-out.md,
 * "Alerts stream"): every alert version and incident version of every
 * partition, published to one replicated JetStream stream so that one
 * reader (`idwatch cluster alerts`) sees every org's alerts.
 *
 *   stream    IDW_ALERTS, file storage, replicas cluster.replicas (3),
 *             MaxAge cluster.alerts_max_age_days (400), duplicate window 1 h
 *   subject   idw.alert.<org>  (the org's domain_id; a dot in it makes
 *             several tokens, so the stream takes idw.alert.>)
 *   Msg-Id    "<alert id>:<version>", or "<incident id>:<version>": two
 *             workers publishing the same version (double ownership, a
 *             replay after a restore) store it once within the window
 *   message   the envelope {"v":1, "kind":"alert"|"incident", "org",
 *             "id", "version", "payload"}; payload is the document a
 *             native webhook receives (alert/alert.h, alert/incident.h)
 *
 * Delivery is durable: the stream is a callback target of the database's
 * outbox (deliver/webhook.h idw_webhooks_add_callback), registered in the
 * database (deliver/outbox.h idw_outbox_register_target) so that every
 * writer of alerts queues for it, and retried like a webhook: a version
 * is never lost because NATS was down for a while.
 *
 * Single-threaded, like the delivery pass that calls it.  Return codes
 * (common/rc.h) are named per function.
 */
#ifndef IDW_ALERTSTREAM_H
#define IDW_ALERTSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cluster/js.h"
#include "common/rc.h"
#include "deliver/webhook.h"
#include "store/store.h"

#define IDW_ALERTS_STREAM "IDW_ALERTS"
#define IDW_ALERTS_SUBJECTS "idw.alert.>"
#define IDW_ALERTS_SUBJECT_PREFIX "idw.alert."
#define IDW_ALERTS_DUP_WINDOW_S 3600
#define IDW_ALERTS_MAX_AGE_DAYS_DEFAULT 400
#define IDW_ALERTS_TARGET "nats-alerts"         /* the outbox target's name */
#define IDW_ALERTS_MSGID_MAX 160                /* "<id>:<version>" and its NUL */
#define IDW_ALERTS_SUBJECT_MAX 96               /* "idw.alert." + a domain_id (≤ 63) + NUL */

/*
 * The envelope of one version (payload: the alert or incident document;
 * kind from its "type", org from its domain_id).  IDW_OK with *out
 * (caller json_decref's), or IDW_ERR with err naming the missing or bad
 * field (a version the stream cannot carry: refused for good).
 */
enum idw_rc idw_alertstream_envelope(const json_t *payload, json_t **out, char *err, size_t errlen)
    IDW_MUST_CHECK;

/*
 * Decodes and checks one stream message (len bytes; NUL not needed).
 * IDW_OK with *out (caller json_decref's), or IDW_ERR with err naming the
 * field: an unknown "v" or kind, an org that is not a domain_id, an id or
 * version missing, a payload whose id, version or org disagree.
 */
enum idw_rc idw_alertstream_decode(const char *data, size_t len, json_t **out, char *err, size_t errlen)
    IDW_MUST_CHECK;

/*
 * The Msg-Id ("<id>:<version>") and subject ("idw.alert.<org>") of a
 * checked envelope, into out (IDW_ALERTS_MSGID_MAX, IDW_ALERTS_SUBJECT_MAX
 * bytes).  IDW_OK, or IDW_ERR when it does not fit (out "").
 */
enum idw_rc idw_alertstream_msg_id(const json_t *env, char *out, size_t outlen) IDW_MUST_CHECK;
enum idw_rc idw_alertstream_subject(const char *org, char *out, size_t outlen) IDW_MUST_CHECK;

/* A connection's view of the stream: what the outbox target's callback needs. */
struct idw_alertstream;

/*
 * Opens the alerts stream's settings from the configuration document root
 * (cluster.replicas, cluster.alerts_max_age_days) on js (the caller keeps
 * js alive until idw_alertstream_close).  Nothing is sent yet: the stream
 * is created on the first publish.  IDW_OK with *out, or IDW_ERR with err
 * naming the setting.
 */
enum idw_rc idw_alertstream_open(struct idw_js *js, const json_t *root, struct idw_alertstream **out,
                                 char *err, size_t errlen) IDW_MUST_CHECK;

void idw_alertstream_close(struct idw_alertstream *as);

/*
 * Publishes one version (payload: as for idw_alertstream_envelope),
 * creating the stream first if this connection has not yet, and waiting
 * for its acknowledgement; retried until deadline_ms (an election).
 * IDW_OK with *duplicate (may be NULL: 1 when the stream already had this
 * version within the window); IDW_BUSY with err when NATS did not answer
 * in time (retry later); IDW_ERR with err when the version cannot be
 * published (a bad document, over max_payload).
 */
enum idw_rc idw_alertstream_publish(struct idw_alertstream *as, const json_t *payload, int64_t deadline_ms,
                                    int *duplicate, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * The one call a process that owns a database and a NATS connection makes
 * (the worker, `cluster apply --publish-alerts`): registers the stream as
 * a target of st's outbox (every alert and incident version, any
 * severity, historical too), durably, and appends its callback target to
 * *wh (NULL: a new set), so that idw_deliver_pending(st, *wh, ...)
 * publishes them.  Call it before routing alerts with (*wh)->targets.
 * A process with several databases (a worker's partitions) calls it once
 * per database: with the same as and *wh, the target is appended once.
 * as must outlive *wh's use.  IDW_OK, or IDW_ERR with err (*wh unchanged;
 * the registration, once committed, stays).
 */
enum idw_rc idw_alertstream_attach(struct idw_alertstream *as, struct idw_store *st, struct idw_webhooks **wh,
                                   char *err, size_t errlen) IDW_MUST_CHECK;

#endif
