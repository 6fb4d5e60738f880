/*
 * okta_poll.h — the Okta System Log connector: one poller per org.
 *
 * The algorithm is Okta's polling mode (docs/okta-connector.md):
 *
 *   first request   GET /api/v1/logs?since=<now - backfill>&limit=<page_limit>&sortOrder=ASCENDING
 *   then            follow Link rel="next", normalised by libcurl's URL API and checked:
 *                   https, the org's exact host and port, path exactly /api/v1/logs,
 *                   no user info, no fragment
 *   each page       events → the page sink (page_sink.h), and the next URL, in ONE
 *                   LMDB transaction (the sink's commit runs the poller's cursor hook)
 *   full page       fetch again at once (within the rate budget)
 *   short page      caught up: wait poll_interval_s
 *
 * So the cursor only advances with the events it covers: a crash replays
 * at most one page, and de-duplication absorbs it.  A stored cursor Okta
 * rejects falls back to since = last published - 5 min.
 *
 * Failures (transport, timeout, 5xx, truncated or non-JSON bodies, a
 * refused next link, a full page whose next link does not advance) back
 * off exponentially with jitter; after max_consecutive_failures in a row
 * the org pauses itself (persisted) until `idwatch okta resume`.  401/403
 * and configuration errors pause at once with a diagnosis.
 *
 * Rate limiting (429, or an error answer with X-Rate-Limit-Remaining 0) is
 * never a failure: another client can use up the org's bucket, and a pause
 * would hand it the switch that turns idwatch off.  The poller waits for
 * the reset (capped), with its own backoff, and tracks the starvation: a
 * warning when it starts, one a minute while it lasts, the duration when
 * it ends, the state in okta_state, and an alert (connector_starved,
 * T1562, through the sink's starved callback) once it lasts
 * starvation_alert_minutes.
 *
 * The poller depends only on what is below it (store, the HTTP and auth
 * code) and on the page sink it declares: what it feeds — a pipeline, in
 * idwatch — and the rules behind it are the caller's.
 *
 * Return codes (common/rc.h) are named per function below.
 */
#ifndef IDW_OKTA_POLL_H
#define IDW_OKTA_POLL_H

#include <signal.h>
#include <stdint.h>

#include <jansson.h>

#include "common/config.h"
#include "common/rc.h"
#include "source/page_sink.h"
#include "store/store.h"

struct idw_okta_poller;
struct idw_http_resp;

/* The org's connector settings, validated (config.c checked only the types). */
struct idw_okta_org {
    char domain_id[IDW_DOMAIN_MAX];
    char base[512];             /* "https://host[:port]" */
    char host[272];             /* host[:port] as configured, for messages */
    char hostname[256];         /* host alone, and the port (443 by default): next links must match */
    long port;
    char ca_file[4096];
    int poll_interval_s, page_limit, backfill_days, max_failures, timeout_s;
    double rate_share;
    int64_t starvation_alert_ms;    /* starvation_alert_minutes, in ms */
    const json_t *auth;         /* the "auth" object (secrets are named, not held) */
};

/* Validates and reads org (org_url rules in docs/config.md).  IDW_OK, or IDW_ERR with err. */
enum idw_rc idw_okta_org_read(const struct idw_org_config *org, struct idw_okta_org *out,
                              char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Checks a next link (Link rel="next") before it is followed: only once
 * libcurl's URL API has parsed and normalised it (dot-segments removed;
 * percent-encoded dots stay encoded and so fail the path test), and only
 * when it is https on org's exact hostname and port, with the path exactly
 * /api/v1/logs, no user info and no fragment.  IDW_OK with the
 * normalised URL in out, or IDW_ERR with *why (a static phrase such as
 * "not https", "a path other than /api/v1/logs", "too long" when out is
 * too small).  Exposed for tests and fuzzing.
 */
enum idw_rc idw_okta_next_link_check(const struct idw_okta_org *org, const char *url, char *out,
                                     size_t outlen, const char **why) IDW_MUST_CHECK;

/*
 * What an error answer of Okta says, for messages: "<errorCode>
 * <errorSummary> (errorId <errorId>)" from an API error body, "<error>
 * <error_description>" from an OAuth one, else the WWW-Authenticate
 * header, else "no error body"; summaries and descriptions are cut at 200
 * bytes.  Always NUL-terminates out (outlen > 0).  Exposed for tests and
 * fuzzing.
 */
void idw_okta_error_text(const struct idw_http_resp *r, char *out, size_t outlen);

/* Outcome of one poll step. */
enum idw_poll_result {
    IDW_POLL_PAGE_FULL,         /* a full page was applied: poll again now */
    IDW_POLL_CAUGHT_UP,         /* a short page was applied: wait poll_interval_s */
    IDW_POLL_RETRY,             /* a failure: wait the backoff the poller computed */
    IDW_POLL_PAUSED,            /* the org is paused (persisted) */
    IDW_POLL_FATAL,             /* storage failure: stop the process */
    IDW_POLL_WAIT,              /* pacing to the rate budget: step again after the wait */
};

struct idw_poll_opts {
    volatile sig_atomic_t *stop;    /* set by signal handlers; sleeps end early */
    int backfill_days;              /* 0 = the org's backfill_days */
    int progress;                   /* print progress lines to stderr */
    struct idw_page_sink sink;      /* where pages go: feed, commit, set_live_from required */
};

/*
 * Opens the org's poller; the sink (copied) must outlive it and feed only
 * this org's events.  The org's history end (state live_from_ms) is
 * handed to the sink at once.  IDW_OK with *out, or IDW_ERR with err
 * naming the domain (*out NULL) — among others when its persisted state
 * cannot be read: starting over without the cursor would re-read or skip
 * history silently, so the caller must stop, not retry without it.
 */
enum idw_rc idw_okta_poller_new(struct idw_store *st, const struct idw_okta_org *org,
                                const struct idw_poll_opts *opts, struct idw_okta_poller **out,
                                char *err, size_t errlen) IDW_MUST_CHECK;
void idw_okta_poller_free(struct idw_okta_poller *p);

/*
 * One poll step, in three phases, for a daemon that polls many orgs at once
 * with one LMDB writer: begin and finish run on the writer's thread (they
 * read and write the org's state and apply the page), fetch — the HTTP
 * request, token renewal included — may run on any thread, one poller per
 * thread at a time, and touches neither the store nor another poller.
 *
 * begin returns 1 when a request is ready (call fetch, then finish), or 0
 * with *res (IDW_POLL_PAUSED, or IDW_POLL_WAIT while pacing to the rate
 * budget) and *wait_ms before the next begin.  finish applies the fetched
 * page or handles the failure; *wait_ms receives how long to wait before
 * the next begin (0 after a full page); IDW_POLL_FATAL means the sink or
 * the store failed (logged with the org): stop the process.  Alerts are
 * historical by event time: published before the org's first request
 * (state live_from_ms, handed to the sink).  Rules may be swapped on the
 * sink's side between finish and the next begin, never while a fetched
 * page waits.  discard drops a fetched response unapplied (a stop): the
 * cursor stays where it was.
 */
int idw_okta_poll_begin(struct idw_okta_poller *p, enum idw_poll_result *res, long *wait_ms)
    IDW_MUST_CHECK;
void idw_okta_poll_fetch(struct idw_okta_poller *p);
enum idw_poll_result idw_okta_poll_finish(struct idw_okta_poller *p, long *wait_ms) IDW_MUST_CHECK;
void idw_okta_poll_discard(struct idw_okta_poller *p);

/*
 * The poller's own wait after the answers-th rate-limited answer of one
 * starvation (answers >= 1; less counts as 1): 1 s, doubling per answer,
 * capped at 120 s like a reset or Retry-After wait.  Jitter comes on top.
 */
long idw_okta_rate_backoff_ms(long long answers);

/*
 * The scale-out worker's hold on the cursor (docs/scale-out.md): there the
 * cursor's truth is the partition's write-ahead log, not the poller.
 * set_cursor makes url (a next link the log recorded; NULL or "" changes
 * nothing) the next request's, from the next begin on, and takes the log's
 * newest event time (where a rejected cursor restarts from) and the org's
 * history end (0: leave as they are); they are stored with the poller's
 * state at its next commit.  cursor is the stored next link
 * (NULL before the first page) — during the sink's commit, the link of
 * the page being committed.
 */
void idw_okta_poller_set_cursor(struct idw_okta_poller *p, const char *url, int64_t newest_ms,
                                int64_t live_from_ms);
const char *idw_okta_poller_cursor(const struct idw_okta_poller *p);

/* Sleeps ms milliseconds, ending early when *stop becomes set.  Returns 1 if stopped. */
int idw_sleep_ms(long ms, volatile sig_atomic_t *stop);

/*
 * The connection test: authenticates, fetches the last hour (following
 * next links until a short page, at most 20 pages) and counts the events.
 * IDW_OK and *events, or IDW_ERR with a diagnosis in err.  Writes nothing.
 */
enum idw_rc idw_okta_test_connection(const struct idw_okta_org *org, long *events,
                                     char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Clears the pause and the failure count of a domain.  IDW_OK (resumed),
 * IDW_NOTFOUND (it was not paused, or has no state: nothing to clear),
 * IDW_ERR when the state cannot be read or written (err names the domain).
 */
enum idw_rc idw_okta_resume(struct idw_store *st, const char *domain, char *err, size_t errlen)
    IDW_MUST_CHECK;

/*
 * The persisted connector state of a domain.  IDW_OK with *out (caller
 * json_decref's), IDW_NOTFOUND when the domain has none (*out NULL),
 * IDW_ERR when it cannot be read or is not a JSON object (err names the
 * domain; *out NULL).  The only reader of the state: "none" and "cannot
 * be read" never look alike.
 */
enum idw_rc idw_okta_state_get(struct idw_store *st, const char *domain, json_t **out,
                               char *err, size_t errlen) IDW_MUST_CHECK;

#endif
