/*
 * pipeline.h — the one path every event takes, whatever its source (file
 * replay or the Okta poller):
 *
 *     raw JSON → normalize → de-duplicate → identity (tuid) → GeoIP fill-in
 *              → persona update → [rules] → optional normalized output
 *
 * Events are applied inside one LMDB write transaction per batch.  The
 * de-duplication keys, identities, personas and statistics of a batch
 * commit together, so a crash (even kill -9) loses at most the uncommitted
 * batch, and re-reading the input applies each event exactly once.  The
 * poller commits its cursor in the same transaction (idw_pipeline_commit's
 * hook), which is what makes at-least-once delivery have an exactly-once
 * effect.  The poller sees the pipeline only as its page sink
 * (source/page_sink.h, filled by idw_pipeline_page_sink): the engine sits
 * above the source, never the other way round.
 *
 * Return codes (common/rc.h) are named per function.
 *
 * Not thread-safe: one pipeline per domain and thread.
 */
#ifndef IDW_PIPELINE_H
#define IDW_PIPELINE_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <lmdb.h>

#include "common/config.h"
#include "common/rc.h"
#include "engine/detect.h"
#include "event/geo.h"
#include "source/page_sink.h"
#include "store/store.h"

struct idw_pipeline;

struct idw_pipeline_opts {
    const char *domain_id;          /* required, validated */
    const struct idw_geodb *geo;    /* may be NULL: no enrichment */
    FILE *emit;                     /* may be NULL: normalized JSONL sink */
    /*
     * Commit automatically after this many events (0 = only when
     * idw_pipeline_commit is called, as the poller does per page).
     */
    unsigned auto_commit;
    struct idw_detect *detect;      /* may be NULL: no rules run */
    int historical;                 /* every alert raised is marked historical */
    /*
     * Events published before this time (ms; 0 = none) are historical:
     * their alerts are stored but not delivered (unless a webhook asks for
     * historical alerts).  The poller sets it to the moment its org's
     * backfill began, so what happens during a long backfill is live.
     */
    int64_t live_from_ms;
};

/* Counters of one pipeline's life (also accumulated per domain in the store). */
struct idw_pipeline_stats {
    uint64_t received;              /* events fed */
    uint64_t accepted;              /* new events applied */
    uint64_t duplicates;            /* uuid already seen */
    uint64_t skipped_type;          /* event type left out by ingest.event_types */
    uint64_t skipped_no_human;      /* always 0 now: events without a person go to the rules */
    uint64_t stale;                 /* older than the de-duplication horizon */
    uint64_t future;                /* published beyond the wall clock + max_future_skew_s */
    uint64_t filtered;              /* left out by the org's event_types selection (select.h) */
    uint64_t rejected;              /* unusable events */
    uint64_t enriched;              /* GeoIP filled in missing location/ASN */
    uint64_t persona_updates;
    uint64_t rules_only;            /* accepted events judged by the rules that taught no persona */
    uint64_t alerts;                /* alerts created or updated */
    uint64_t commits;
    int64_t newest_published;       /* newest event time applied (ms) */
};

enum idw_feed_result {
    IDW_FEED_ACCEPTED, IDW_FEED_DUPLICATE, IDW_FEED_SKIPPED_TYPE,
    IDW_FEED_SKIPPED_NO_HUMAN, IDW_FEED_STALE, IDW_FEED_REJECTED, IDW_FEED_FUTURE,
    IDW_FEED_FILTERED,
};

/* IDW_OK with *out (idw_pipeline_close), or IDW_ERR with err (*out NULL). */
enum idw_rc idw_pipeline_open(struct idw_store *st, const struct idw_config *cfg,
                              const struct idw_pipeline_opts *opts, struct idw_pipeline **out,
                              char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * The de-duplication horizon.  Uuids are remembered dedup_horizon_days
 * back from the newest event applied; an older event could no longer be
 * de-duplicated and is refused as STALE.  The newest event time that
 * anchors it never passes the wall clock plus max_future_skew_s: an event
 * published later than that is refused as FUTURE and moves nothing (one
 * event dated 9999 would otherwise make every real event stale).  A
 * stored anchor beyond that bound (written by an older release) is
 * clamped when the pipeline opens and rewritten at the next commit;
 * `idwatch horizon` shows and repairs it.
 *
 * Applies one raw Okta event (the caller keeps its reference).  *result
 * says what happened; for REJECTED, STALE and FUTURE, reason holds why.
 * IDW_OK, or IDW_ERR on a storage failure (reason says why), after which
 * the open batch has been rolled back (nothing of it was committed) and
 * the pipeline must be closed.
 */
enum idw_rc idw_pipeline_feed(struct idw_pipeline *pl, json_t *raw, enum idw_feed_result *result,
                              char *reason, size_t reasonlen) IDW_MUST_CHECK;

/*
 * Commits the open batch (a no-op when nothing is pending and hook is
 * NULL).  hook, if given, runs inside the same write transaction just
 * before the commit — the poller writes its cursor there; a hook that
 * returns anything but IDW_OK aborts the whole batch.  The hook has the
 * page sink's type (source/page_sink.h).  IDW_OK, or IDW_ERR with err:
 * nothing of the batch was committed.
 */
typedef idw_page_hook idw_commit_hook;
enum idw_rc idw_pipeline_commit(struct idw_pipeline *pl, idw_commit_hook hook, void *ctx,
                                char *err, size_t errlen) IDW_MUST_CHECK;

/* Discards the open batch: nothing of it is applied. */
void idw_pipeline_abort(struct idw_pipeline *pl);

const struct idw_pipeline_stats *idw_pipeline_stats(const struct idw_pipeline *pl);

/* Aborts anything uncommitted and frees the pipeline. */
void idw_pipeline_close(struct idw_pipeline *pl);

/*
 * Swaps the rule engine (a SIGHUP reload) between batches; the caller
 * owns both engines.  IDW_OK, or IDW_ERR (and nothing changed) while a
 * batch is open: the events of one batch are judged by one set of rules.
 */
enum idw_rc idw_pipeline_set_detect(struct idw_pipeline *pl, struct idw_detect *detect) IDW_MUST_CHECK;

/* Sets live_from_ms (see idw_pipeline_opts): from the next event on. */
void idw_pipeline_set_live_from(struct idw_pipeline *pl, int64_t live_from_ms);

/*
 * The clock (ms) the FUTURE bound of the next batch is read from; 0 = the
 * wall clock (the default).  The scale-out applier (cluster/apply.h) sets
 * it to the time its page was fetched, so a replay refuses exactly what
 * the original run refused, however much later it runs.
 */
void idw_pipeline_set_clock(struct idw_pipeline *pl, int64_t now_ms);

/* Swaps the GeoIP handle (may be NULL) between batches: the applier's recorded answers per page. */
void idw_pipeline_set_geo(struct idw_pipeline *pl, const struct idw_geodb *geo);

/*
 * The pipeline as the Okta poller's page sink (source/page_sink.h): fills
 * sink's ctx, feed, commit and set_live_from; leaves starved as it was
 * (the daemon raises that alert).  Feed verdicts: ACCEPTED as accepted;
 * duplicates and events left out (type, selection) IGNORED;
 * REJECTED, STALE and FUTURE REFUSED with that word.  The sink is valid as
 * long as pl.
 */
void idw_pipeline_page_sink(struct idw_pipeline *pl, struct idw_page_sink *sink);

#endif
