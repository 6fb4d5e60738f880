/*
 * poll_pool.h — the daemon's fetch threads: a bounded pool that runs the
 * HTTP phase of many orgs' polls at once (idw_okta_poll_fetch), so one
 * slow or stalled org delays no other, while the begin and finish phases
 * — everything that touches LMDB — stay on the daemon's one thread, the
 * store's only writer.
 *
 *   daemon thread                 pool threads
 *   begin(org) → submit(org)  →   fetch(org)   (HTTP, token renewal)
 *   take_done() → finish(org) ←   done queue
 *
 * A poller is owned by the pool from submit until take_done returns it;
 * the daemon must not touch it meanwhile.
 */
#ifndef IDW_POLL_POOL_H
#define IDW_POLL_POOL_H

#include <stddef.h>

#include "source/okta_poll.h"

struct idw_poll_pool;

/* Starts nthreads fetch threads (1 ≤ nthreads ≤ 256).  IDW_OK, or IDW_ERR (nothing started). */
enum idw_rc idw_poll_pool_new(size_t nthreads, struct idw_poll_pool **out) IDW_MUST_CHECK;

/* Queues one fetch; tag comes back with it from take_done.  IDW_OK, or IDW_ERR (out of memory). */
enum idw_rc idw_poll_pool_submit(struct idw_poll_pool *pool, struct idw_okta_poller *p, void *tag)
    IDW_MUST_CHECK;

/* A finished fetch's tag (its poller is the daemon's again), or NULL when none is waiting. */
void *idw_poll_pool_take_done(struct idw_poll_pool *pool);

/* Waits up to ms for a fetch to finish (returns early when one is waiting). */
void idw_poll_pool_wait(struct idw_poll_pool *pool, long ms);

/* Fetches submitted and not yet taken back. */
size_t idw_poll_pool_busy(struct idw_poll_pool *pool);

/*
 * Stops the threads once the fetches in flight have ended (they end soon
 * after the pollers' stop flag is set) and frees the pool; fetches queued
 * but not started are dropped.  The tags of every fetch not taken back
 * are passed to drop (may be NULL) so the daemon can discard them.
 */
void idw_poll_pool_free(struct idw_poll_pool *pool, void (*drop)(void *tag));

#endif
