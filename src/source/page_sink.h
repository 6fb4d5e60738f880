/*
 * page_sink.h — where a source hands what it read: the interface the Okta
 * poller (okta_poll.h) declares for its consumer, so that the source layer
 * depends on nothing above it.
 *
 *   poller ── feed(event) … feed(event) ── commit(cursor hook) ──▶ sink
 *          ── set_live_from(t)            (the org's history ends at t)
 *          ── starved(summary, evidence)  (rate limiting starves the poller)
 *
 * The engine's pipeline fills feed, commit and set_live_from
 * (engine/pipeline.h: idw_pipeline_page_sink); the daemon (cli/) opens one
 * pipeline per org, wires it, and fills starved by raising the
 * connector_starved alert.  Swapping rules (SIGHUP) happens on the
 * pipeline, between pages; the poller never sees the rules.
 *
 * Contract the poller relies on (okta_poll.h's guarantees rest on it):
 * events fed since the last commit form one batch; commit runs the hook
 * inside the batch's own LMDB write transaction, just before committing
 * it, so the cursor the hook writes and the events it covers commit
 * together or not at all; after IDW_ERR from feed or commit nothing of the
 * batch was committed and the sink must not be fed again.
 */
#ifndef IDW_PAGE_SINK_H
#define IDW_PAGE_SINK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <lmdb.h>

#include "common/rc.h"
#include "store/store.h"

/* What the sink did with one event. */
enum idw_page_verdict {
    IDW_PAGE_ACCEPTED,      /* applied */
    IDW_PAGE_IGNORED,       /* a duplicate, or left out by type or selection: nothing to apply */
    IDW_PAGE_REFUSED,       /* unusable, stale or future: its time must not steer a cursor */
};

/*
 * Runs inside the batch's write transaction, just before the commit (the
 * poller writes its cursor there).  IDW_OK, or IDW_ERR (err set) to abort
 * the whole batch.
 */
typedef enum idw_rc (*idw_page_hook)(struct idw_store *st, MDB_txn *txn, void *ctx,
                                     char *err, size_t errlen);

struct idw_page_sink {
    void *ctx;              /* passed to feed, commit and set_live_from */

    /*
     * Applies one raw Okta event (the caller keeps its reference).  IDW_OK
     * with *verdict; for IDW_PAGE_REFUSED, *refusal is a static word
     * ("rejected", "stale", "future") and reason says why.  IDW_ERR on a
     * storage failure (reason says why): the open batch was rolled back.
     */
    enum idw_rc (*feed)(void *ctx, json_t *raw, enum idw_page_verdict *verdict,
                        const char **refusal, char *reason, size_t reasonlen);

    /* Commits the batch with hook (may be NULL) inside it.  IDW_OK, or IDW_ERR: nothing committed. */
    enum idw_rc (*commit)(void *ctx, idw_page_hook hook, void *hook_ctx, char *err, size_t errlen);

    /* Events published before live_from_ms are history (see okta_poll.h), from the next event on. */
    void (*set_live_from)(void *ctx, int64_t live_from_ms);

    /*
     * May be NULL (nothing is raised).  The poller has been starved of
     * System Log pages by rate limiting since since_ms; ended_ms is 0
     * while it lasts, else when it ended.  summary and evidence are the
     * poller's text for the alert.  Called with no write transaction open
     * in this thread.  IDW_OK, or IDW_ERR (err set) on a storage failure.
     */
    enum idw_rc (*starved)(void *starved_ctx, const char *domain, int64_t since_ms, int64_t ended_ms,
                           const char *summary, const char *evidence, char *err, size_t errlen);
    void *starved_ctx;
};

#endif
