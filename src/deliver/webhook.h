/*
 * webhook.h — the SOAR webhooks of the configuration and what one
 * delivery sends: the body (native alert JSON or an OCSF Detection
 * Finding) and its signature.
 *
 * The request (docs/webhook.md is the receiver's side of this contract):
 *
 *   POST <url>
 *   Content-Type: application/json
 *   User-Agent: idwatch/<version>
 *   X-Idwatch-Timestamp: <unix seconds>
 *   X-Idwatch-Signature: v1=<hex HMAC-SHA256(secret, timestamp "." body)>
 *   Idempotency-Key: <alert_id>:<version>
 *
 * Secrets come from secret_file or secret_env, are held only in memory
 * and wiped on release; they never reach logs, errors or argv.
 *
 * A caller may add a target that is not an HTTP webhook (a callback
 * target, idw_webhooks_add_callback: the scale-out alerts stream is one):
 * its entries are queued, ordered, superseded, leased, retried and
 * dead-lettered exactly like a webhook's, only sent through its function.
 */
#ifndef IDW_WEBHOOK_H
#define IDW_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/rc.h"
#include "deliver/outbox.h"
#include "source/http.h"

enum idw_webhook_format { IDW_WEBHOOK_NATIVE, IDW_WEBHOOK_OCSF };

/*
 * Sends one queued version to a callback target.  entry is the outbox
 * entry (outbox.h: alert_id, version, domain, kind, alert — the document
 * a native webhook receives), valid during the call only.  Returns IDW_OK
 * when the target has it (the entry leaves the outbox); IDW_BUSY for a
 * retryable failure (the target is down: backoff, its other entries wait
 * with it, dead after give_up_hours); IDW_ERR when the target refuses it
 * for good (dead after max_permanent_attempts).  err says why; it is kept
 * in the entry's last_error, so it never holds a secret.
 */
typedef enum idw_rc (*idw_webhook_send_fn)(const json_t *entry, void *ctx, char *err, size_t errlen);

struct idw_webhook {
    struct idw_outbox_target target;    /* name and filters (the outbox's view) */
    char url[2048];
    enum idw_webhook_format format;
    long timeout_s;
    double retry_base_s, retry_cap_s;   /* exponential backoff with jitter between these */
    int max_4xx_attempts;               /* other 4xx: dead letter after this many tries */
    double give_up_hours;               /* retryable failures: dead letter after this long */
    char *secret;                       /* idw_secret_free'd */
    struct idw_http *http;              /* one connection per webhook, reused */
    idw_webhook_send_fn send;           /* a callback target: sent through this (no url, secret, http) */
    void *send_ctx;                     /* send's ctx, the caller's */
};

/* A callback target: what idw_webhooks_add_callback copies into a webhook entry. */
struct idw_callback_target {
    struct idw_outbox_target target;    /* name (unique among the webhooks) and filters */
    idw_webhook_send_fn send;
    void *ctx;                          /* passed to send; the caller keeps it alive while registered */
    long timeout_s;                     /* the longest one send may take, 1 … 300: the entry's lease */
    double retry_base_s, retry_cap_s;   /* backoff between these, as a webhook's */
    double give_up_hours;               /* retryable failures: dead letter after this long */
    int max_permanent_attempts;         /* IDW_ERR answers: dead letter after this many */
};

struct idw_webhooks {
    struct idw_webhook *w;
    size_t n;
    struct idw_outbox_target *targets;  /* n of them, for idw_outbox_sink */
};

/*
 * Reads the configuration's "webhooks" array (root = the whole config
 * document) and loads every secret.  IDW_OK with *out (NULL when none are
 * configured; release with idw_webhooks_free), or IDW_ERR with err naming
 * the webhook and setting (*out NULL).
 */
enum idw_rc idw_webhooks_load(const json_t *root, struct idw_webhooks **out, char *err, size_t errlen)
    IDW_MUST_CHECK;
void idw_webhooks_free(struct idw_webhooks *wh);

/*
 * Appends callback target cb to *wh (NULL, as idw_webhooks_load gives
 * when no webhook is configured, gets a new set): its name and filters
 * join wh->targets, so idw_cli_route_alerts-style wiring queues alert
 * versions for it, and idw_deliver_pending sends them through cb->send.
 * Call it before any pointer into (*wh)->w is taken (it reallocates).
 * IDW_OK, or IDW_ERR with err (a name already taken, settings out of
 * range, out of memory; *wh unchanged).
 */
enum idw_rc idw_webhooks_add_callback(struct idw_webhooks **wh, const struct idw_callback_target *cb,
                                      char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Only the names and filters of the configured webhooks (no secrets, no
 * connections): what the outbox sink needs to queue alerts (idw_outbox_sink).
 * IDW_OK with *out malloc'd (NULL and *n = 0 when none), or IDW_ERR with
 * err naming the webhook and setting (*out NULL, *n 0).
 */
enum idw_rc idw_webhook_targets(const json_t *root, struct idw_outbox_target **out, size_t *n,
                                char *err, size_t errlen) IDW_MUST_CHECK;

/* The webhook named name (owned by wh), or NULL: a lookup, not a failure. */
struct idw_webhook *idw_webhook_find(struct idw_webhooks *wh, const char *name);

/*
 * The body delivered for this alert in the webhook's format; malloc'd
 * (caller frees), NULL when out of memory or the alert cannot be mapped.
 */
char *idw_webhook_body(const struct idw_webhook *w, const json_t *alert) IDW_MUST_CHECK;

/*
 * "v1=<hex>": the signature of body at unix time ts into out.  IDW_OK, or
 * IDW_ERR (out "") when out is shorter than IDW_WEBHOOK_SIG_LEN, the
 * webhook has no secret, or memory runs out: nothing may be sent then,
 * since a receiver refuses a wrong signature for good (a dead letter) while
 * a signing failure is worth retrying.
 */
#define IDW_WEBHOOK_SIG_LEN 68      /* "v1=" + 64 hex digits + NUL */
enum idw_rc idw_webhook_sign(const struct idw_webhook *w, int64_t ts, const char *body, char *out,
                             size_t outlen) IDW_MUST_CHECK;

/*
 * The OCSF 1.3 Detection Finding (class_uid 2004) for an alert: the user,
 * the source endpoint, the evidence, the MITRE ATT&CK techniques; the
 * native alert rides in `unmapped`.  Caller json_decref's; NULL when out
 * of memory or the alert lacks a member the finding needs (alert_id,
 * summary, evidence, rule, the times).
 */
json_t *idw_ocsf_detection_finding(const json_t *alert) IDW_MUST_CHECK;

#endif
