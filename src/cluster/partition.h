/*
 * partition.h — which partition an Okta org belongs to (docs/scale-out.md).
 *
 * The scale-out mode splits orgs over P fixed virtual partitions; each
 * partition has its own replicated write-ahead log (cluster/wal.h,
 * cluster/js.h) and LMDB state.  org → partition is FNV-1a 32 of the
 * org's domain_id modulo P — the same hash as the NATS server's subject
 * mapping function {{partition(P, token)}} (getHashPartition in
 * nats-server), so a server-side mapping and this code always agree —
 * unless cluster.overrides names the org (a very large tenant moved to a
 * partition of its own).
 *
 * Configuration (the "cluster" object of the config file; config.c checks
 * the key types, this file the values):
 *   cluster.partitions  P, 1..4096 (default 16)
 *   cluster.overrides   {"org": partition}, each in 0..P-1
 */
#ifndef IDW_PARTITION_H
#define IDW_PARTITION_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/rc.h"

#define IDW_PARTITIONS_DEFAULT 16
#define IDW_PARTITIONS_MAX 4096

struct idw_partitioning {
    unsigned partitions;        /* P */
    json_t *overrides;          /* {org: integer}, owned; validated; may be NULL */
};

/* FNV-1a 32 over len bytes (offset basis 2166136261, prime 16777619). */
uint32_t idw_fnv1a32(const void *data, size_t len);

/*
 * Reads the "cluster" object of a configuration document (root may lack
 * it: defaults).  IDW_OK with *out filled (idw_partitioning_free), or
 * IDW_ERR with err naming the JSON path ("cluster.overrides.acme: ...").
 */
enum idw_rc idw_partitioning_load(const json_t *root, struct idw_partitioning *out,
                                  char *err, size_t errlen) IDW_MUST_CHECK;

/* The partition of org (NUL-terminated): its override, else fnv1a32(org) % P. */
unsigned idw_partition_of(const struct idw_partitioning *pt, const char *org);

void idw_partitioning_free(struct idw_partitioning *pt);

#endif
