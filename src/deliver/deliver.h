/*
 * deliver.h — the delivery worker: takes due entries from the outbox
 * (outbox.h), POSTs them to their webhook (webhook.h), and records the
 * outcome durably.
 *
 *   2xx                                  delivered: the entry is removed
 *   408, 429, 5xx, timeout, transport    retried: exponential backoff with
 *                                        jitter from retry_base_s up to
 *                                        retry_cap_s (about an hour); dead
 *                                        after give_up_hours
 *   any other status (400, 401, 404...)  dead after max_4xx_attempts tries
 *
 * Order: the versions of one alert reach one webhook in order — a later
 * version waits while an earlier one is still pending — and a version
 * still queued when a newer one arrives is dropped as superseded (the
 * newer version is the whole alert), so a burst of updates to one alert
 * costs the receiver one delivery, not one per event.  An entry whose
 * webhook is no longer configured stays pending (visible in `outbox list`)
 * until it is configured again or removed by hand.
 *
 * A callback target (webhook.h idw_webhooks_add_callback) goes through
 * the same pass: its function stands for the POST, IDW_BUSY counts as a
 * transport failure (retried, the target's other entries wait with it)
 * and IDW_ERR as a refusal (dead after its max_permanent_attempts).
 *
 * The worker is synchronous and single-threaded: the daemon calls it
 * between pages, and no LMDB write transaction is open across a request.
 */
#ifndef IDW_DELIVER_H
#define IDW_DELIVER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "common/rc.h"
#include "deliver/webhook.h"
#include "store/store.h"

struct idw_delivery_stats {
    uint64_t ok, retried, dead;     /* outcomes of attempts */
    uint64_t superseded;            /* dropped: a newer version of the alert was queued */
};

/*
 * Attempts up to max due entries (at most 256 a pass; ignore_schedule:
 * every pending entry, due or not — `run --once` and `outbox deliver`).
 * Once a webhook fails with a transport error, timeout, 408, 429 or 5xx,
 * its other entries wait with it instead of each being tried; the pass
 * stops starting requests when *stop is set (stop may be NULL) or after
 * 30 s.  *next_due_ms receives the earliest next attempt among entries
 * left pending (0 when none).  stats (may be NULL) are added to; the
 * stored totals (meta "delivery_stats") are updated too.  Each entry is
 * leased (lease_owner, lease_until_ms: the webhook's timeout plus a
 * margin) in a write transaction before its request and its outcome is
 * recorded right after it, so several workers (a daemon and a cron
 * `outbox deliver`) may share the outbox without sending a version twice,
 * and a crash resends at most the one delivery in flight (a lease whose
 * process is gone is void at once).
 * IDW_OK with *attempted (may be NULL) the number of requests made, or
 * IDW_ERR on a storage error or when memory runs out (err set); outcomes
 * recorded before the error stay recorded (and counted in stats).
 */
enum idw_rc idw_deliver_pending(struct idw_store *st, struct idw_webhooks *wh, size_t max,
                                int ignore_schedule, const volatile sig_atomic_t *stop,
                                int64_t *next_due_ms, struct idw_delivery_stats *stats,
                                size_t *attempted, char *err, size_t errlen) IDW_MUST_CHECK;

/* The backoff before attempt n+1 after n failed attempts, in ms (with jitter). */
int64_t idw_deliver_backoff_ms(const struct idw_webhook *w, int attempts);

#endif
