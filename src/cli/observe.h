/*
 * observe.h — the operator's view of a database: the status document
 * (`idwatch status --json`, docs/operations.md) and its Prometheus text
 * form (`idwatch metrics`, and /metrics on the HTTP server: serve/serve.h).
 */
#ifndef IDW_OBSERVE_H
#define IDW_OBSERVE_H

#include <jansson.h>
#include <lmdb.h>

#include "common/config.h"
#include "common/rc.h"
#include "store/store.h"

/*
 * One org: connector state, ingest counters, poll latency, lag.  IDW_OK
 * with *out (caller json_decref's), or IDW_ERR when one of its documents
 * cannot be read (err names the document and the org; *out NULL).
 */
enum idw_rc idw_org_status(struct idw_store *st, MDB_txn *txn, const char *domain, json_t **out,
                           char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * {"orgs": [...], "alerts": {total, by_severity, by_status, by_rule},
 *  "outbox": {pending, dead, oldest_pending_age_s, delivered_total,
 *  retried_total, dead_total}, "totals": {...}} inside txn (read-only is
 * enough).  IDW_OK with *out (caller json_decref's), or IDW_ERR with err
 * naming what could not be read: never a document with zeros in place
 * of an unreadable part.
 */
enum idw_rc idw_status_doc(const struct idw_config *cfg, struct idw_store *st, MDB_txn *txn,
                           json_t **out, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * The Prometheus text exposition (version 0.0.4) of a status document;
 * malloc'd (caller frees), NULL when out of memory.
 */
char *idw_metrics_text(const json_t *status) IDW_MUST_CHECK;

/* What /metrics reads: the configuration and the database (both outlive the server). */
struct idw_metrics_src {
    const struct idw_config *cfg;
    struct idw_store *st;
};

/*
 * The metrics text of the database as it is now, in a read transaction
 * of its own (the HTTP server's /metrics callback; ctx is a struct
 * idw_metrics_src).  malloc'd, or NULL (logged) when it cannot be read.
 */
char *idw_metrics_scrape(void *ctx) IDW_MUST_CHECK;

#endif
