/*
 * console_cluster.h — `idwatch console --cluster` (docs/scale-out.md, "The
 * provider-wide console"): the glue between the server (serve/serve.h),
 * which knows nothing of NATS, and the cluster modules: the mirror of the
 * alerts stream (cluster/mirror.h) it serves, and the review hooks that
 * publish an API review as a command of the alert's partition log
 * (cluster/command.h) and wait for its new version in the mirror.
 *
 * Threads: the console's main loop follows the stream (idw_console_cluster_follow)
 * while the server thread runs the hooks; both take the one mutex guarding
 * the NATS connection (cluster/js.h is not thread-safe).  LMDB needs no
 * more: its writers are serialised, its readers never block.
 */
#ifndef IDW_CONSOLE_CLUSTER_H
#define IDW_CONSOLE_CLUSTER_H

#include <signal.h>
#include <stddef.h>

#include "cli/cli.h"
#include "common/rc.h"
#include "serve/serve.h"

#define IDW_REVIEW_WAIT_MS_DEFAULT 5000
#define IDW_REVIEW_WAIT_MS_MAX 60000

struct idw_console_cluster;

/*
 * Opens the mirror database (cluster.mirror_dir, default <db>/cluster/mirror,
 * created when missing), connects to NATS (urls, n ≥ 1) and catches the
 * mirror up with the stream.  IDW_OK with *out, or IDW_ERR (said).
 */
enum idw_rc idw_console_cluster_open(struct idw_cli *cli, const char *const *urls, size_t n,
                                     struct idw_console_cluster **out) IDW_MUST_CHECK;

/* The mirror database (borrowed: it lives until idw_console_cluster_close). */
struct idw_store *idw_console_cluster_store(struct idw_console_cluster *c) IDW_MUST_CHECK;

/* Sets o's distributed mode, review hooks and wait (cluster.review_wait_ms) to c's. */
void idw_console_cluster_wire(struct idw_console_cluster *c, struct idw_serve_opts *o);

/*
 * The mirror caught up with the stream, one write batch at a time (the
 * lock let go between them, so a review's wait gets its turn), until it
 * is or *stop is set.  A failure is logged (at most once a minute) and
 * retried on the next call.
 */
void idw_console_cluster_follow(struct idw_console_cluster *c, volatile sig_atomic_t *stop);

void idw_console_cluster_close(struct idw_console_cluster *c);

#endif
