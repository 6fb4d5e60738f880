/*
 * publish.h — puts Okta pages on their partitions' write-ahead logs
 * (cluster/wal.h, cluster/js.h): the one path of `idwatch cluster
 * publish` and of the worker's pollers (docs/scale-out.md).
 *
 * For each page: a version-1 page is rebuilt as version 2; the GeoIP
 * answers the pipeline will need are recorded in it (idw_geo_record, when
 * the page has none and a GeoIP handle is given); it is split to what one
 * message may carry (idw_js_max_message); every chunk is published
 * synchronously with its Msg-Id.  The first time a partition is touched,
 * its stream is created if missing and, when the stream holds no genesis
 * yet (empty, or only commands), its genesis message (a fresh random key
 * for unknown usernames) is published, with the Msg-Id "genesis:p<N>" so
 * that two publishers starting together store one, followed by the
 * publisher's rules (idw_publisher_set_rules), Msg-Id "rules:boot:p<N>",
 * so that a new stream says from its start which rules judge it.
 *
 * Not thread-safe (one publisher per NATS connection and thread).  Return
 * codes (common/rc.h) are named per function.
 */
#ifndef IDW_PUBLISH_H
#define IDW_PUBLISH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cluster/js.h"
#include "cluster/partition.h"
#include "common/rc.h"
#include "event/geo.h"

struct idw_publisher;

/* What publishing one page did. */
struct idw_publish_result {
    unsigned partition;
    uint64_t last_seq;      /* the stream sequence of the page's last chunk (its copy, if a duplicate) */
    size_t chunks;          /* messages the page became */
    size_t duplicates;      /* chunks the stream already held (a retry, or a second publisher) */
    int refused;            /* IDW_ERR because the page cannot be published (err says why), not NATS */
};

/*
 * A publisher over js (borrowed, as pt and geo; geo may be NULL: nothing
 * recorded).  replicas and max_age_days (0: no limit; cluster.stream_max_age_days):
 * of the streams it creates.  IDW_OK with *out, or
 * IDW_ERR (out of memory).
 */
enum idw_rc idw_publisher_open(struct idw_js *js, const struct idw_partitioning *pt, int replicas,
                               int max_age_days, const struct idw_geodb *geo, struct idw_publisher **out,
                               char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Creates partition's stream if missing and publishes its genesis message
 * if the stream is empty (once per publisher and partition), retrying
 * until deadline_ms.  IDW_OK, or IDW_ERR with err.
 */
enum idw_rc idw_publisher_ensure(struct idw_publisher *pub, unsigned partition, int64_t deadline_ms,
                                 char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Publishes page (a checked version-1 or -2 page object; not modified) to
 * its org's partition, retrying NATS until deadline_ms.  IDW_OK with *res;
 * IDW_NOTFOUND for an idle page (no events, cursor unchanged: nothing
 * published); IDW_ERR with err, and res->refused set when the page itself
 * cannot be published (an event larger than a message), clear when NATS
 * or memory failed (chunks published before the failure stay published;
 * publishing the page again is de-duplicated).
 */
enum idw_rc idw_publisher_page(struct idw_publisher *pub, const json_t *page, int64_t deadline_ms,
                               struct idw_publish_result *res, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * The rules message (cluster/rulepack.h) published after each genesis
 * this publisher adds (json_incref'd; NULL: none).
 */
void idw_publisher_set_rules(struct idw_publisher *pub, json_t *rules);

/*
 * Publishes a rules message to partition (whose stream must exist:
 * idw_publisher_ensure) with msg_id, retrying until deadline_ms.  IDW_OK
 * with *seq and *duplicate, or IDW_ERR with err (too large for a message,
 * NATS, memory).
 */
enum idw_rc idw_publisher_rules(struct idw_publisher *pub, unsigned partition, const json_t *msg,
                                const char *msg_id, int64_t deadline_ms, uint64_t *seq, int *duplicate,
                                char *err, size_t errlen) IDW_MUST_CHECK;

void idw_publisher_close(struct idw_publisher *pub);

#endif
