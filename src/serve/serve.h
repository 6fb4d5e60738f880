/*
 * serve.h — idwatch's HTTP server (libmicrohttpd): the JSON API
 * (docs/api.md), the static console files, and /metrics.
 *
 * Who runs it: `idwatch run` (beside the pipeline) and `idwatch console`
 * (alone, for a database whose daemon runs elsewhere on the host).
 *
 * Threads.  libmicrohttpd answers every connection on ONE internal thread
 * of its own (MHD_USE_INTERNAL_POLLING_THREAD), so the handlers never run
 * concurrently with each other.  The daemon's pipeline writes LMDB on its
 * own thread.  GET handlers use read transactions (the environment is
 * opened MDB_NOTLS, so a read transaction belongs to no thread slot and
 * never blocks the writer).  A review (POST) takes a short write
 * transaction on the server thread: LMDB serialises writers, so it waits
 * for the pipeline's open batch to commit and never runs inside it — the
 * same as `idwatch alerts ack` from another process, which the pipeline
 * already tolerates (a false_positive bumps the persona generation, and
 * the pipeline drops its cached personas on the next batch).  The review
 * hands the new version to the outbox sink for the configured webhooks,
 * and calls opts.reviewed so the daemon delivers it at once.
 *
 * Every response carries the security headers of the API contract
 * (docs/api.md); /api responses are JSON with Cache-Control: no-store and
 * errors as {"error": "..."}.  Request bodies are capped
 * (IDW_SERVE_BODY_MAX → 413; a streamed body going on 1 MiB past the cap
 * has its connection closed).  Nothing secret is logged.
 */
#ifndef IDW_SERVE_H
#define IDW_SERVE_H

#include <stddef.h>

#include <jansson.h>

#include "alert/alert.h"
#include "common/config.h"
#include "common/rc.h"
#include "serve/auth.h"
#include "serve/session.h"
#include "store/store.h"

#define IDW_SERVE_DEFAULT_LISTEN "127.0.0.1:8642"
#define IDW_SERVE_BODY_MAX (64 * 1024)
/* The error of a route a distributed-mode console cannot answer (docs/api.md). */
#define IDW_SERVE_WORKER_ONLY "not available in the distributed mode: events and personas are kept by the " \
    "partition's worker (its database <db>/cluster/p<N>), not by the alerts stream this console mirrors"

#ifndef IDW_CONSOLE_DIR
#define IDW_CONSOLE_DIR "console"
#endif

struct idw_serve_opts {
    char listen[128];           /* "127.0.0.1:8642", "[::1]:8642", "0.0.0.0:8642" */
    char tls_cert[4096];        /* PEM file paths; both or neither ("" = plain HTTP) */
    char tls_key[4096];
    char console_dir[4096];
    int allow_plaintext_remote; /* serve.allow_plaintext_remote */
    struct idw_session_opts sess;   /* console sessions and the proxy header (session.h) */

    struct idw_store *st;       /* borrowed; outlives the server */
    const struct idw_config *cfg;   /* webhooks (the outbox sink of reviews), persona settings */
    struct idw_auth auth;       /* idw_auth_init'ed by idw_serve_config; add sources before start */

    /* /metrics: the Prometheus text (malloc'd; NULL answers 500). NULL: 404. */
    char *(*metrics)(void *ctx);
    void *metrics_ctx;
    /* Called on the server thread after an API review committed (e.g. wake delivery). May be NULL. */
    void (*reviewed)(void *ctx);
    void *reviewed_ctx;

    /*
     * The distributed mode (docs/scale-out.md, "The provider-wide console"): st is a mirror of
     * the alerts stream (cluster/mirror.h) and the CLI wires these hooks, so serve/ needs no NATS.
     *
     * distributed: the routes whose data only the partition's worker keeps (events, people, an
     * alert's events) answer 501 with an error saying so.
     *
     * review_publish set: a review writes nothing to st.  Once the transition is checked against
     * the stored (mirrored) alert — the same refusals (404, 409) as a local review — it is handed
     * to review_publish(ctx, alert, rv, id, idlen, err, errlen), which sends it as a command of
     * the alert's partition log: IDW_OK with the command's id in id; IDW_EXISTS with err when the
     * review cannot be a command (400: nothing published); IDW_ERR with err when NATS did not
     * take it (503: not known to be published).  Then review_wait(ctx, org, alert_id, above,
     * deadline_ms, &doc) waits until st holds a version above `above`: IDW_OK with doc (the reply,
     * as a local review's), or IDW_BUSY when deadline_ms passed (202 {"queued": true,
     * "command_id"}).  review_wait_ms is that wait (per request; a bulk review shares it).  Both
     * run on the server thread: other requests wait meanwhile.
     */
    int distributed;
    enum idw_rc (*review_publish)(void *ctx, const json_t *alert, const struct idw_alert_review *rv, char *id,
                                  size_t idlen, char *err, size_t errlen);
    enum idw_rc (*review_wait)(void *ctx, const char *org, const char *alert_id, int64_t above,
                               int64_t deadline_ms, json_t **doc);
    void *review_ctx;
    int64_t review_wait_ms;
};

/*
 * Fills o from cfg's "serve" object (listen, tls_cert, tls_key,
 * console_dir, allow_plaintext_remote, and the session keys of
 * session.h's idw_session_config), with the defaults, and the older
 * "metrics.listen" when "serve.listen" is absent.  *configured is set
 * when the configuration has a "serve" object or a metrics.listen (run
 * serves only then; `console` always).  listen_override (NULL: none) is
 * `console --listen`.  IDW_OK, or IDW_ERR with err naming the key.
 */
enum idw_rc idw_serve_config(const struct idw_config *cfg, const char *listen_override,
                             struct idw_serve_opts *o, int *configured, char *err, size_t errlen)
    IDW_MUST_CHECK;

struct idw_server;

/*
 * Binds and starts serving on its own thread, with a fresh (empty) session
 * table: the cookie source, and the proxy-header source when configured,
 * are added after o's sources.  Refuses a listen address
 * that is not loopback unless TLS is configured or allow_plaintext_remote
 * is set; the TLS key file must be mode 600 (like every secret file).
 * IDW_OK with *out (idw_serve_stop it), or IDW_ERR with err.
 */
enum idw_rc idw_serve_start(const struct idw_serve_opts *o, struct idw_server **out, char *err, size_t errlen)
    IDW_MUST_CHECK;

/* Stops accepting, finishes the request in progress, frees s.  NULL is fine. */
void idw_serve_stop(struct idw_server *s);

#endif
