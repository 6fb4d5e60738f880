/*
 * stream_check.h — is the partition stream an applier is about to read the
 * one its database was built from?  Joins the applier's record of the
 * genesis it applied (cluster/apply.h) with the stream on NATS
 * (cluster/js.h).  A stream deleted and created again restarts at sequence
 * 1 with a genesis of a fresh random key: once it has grown past the
 * database's applied_seq, only the genesis tells them apart.
 */
#ifndef IDW_STREAM_CHECK_H
#define IDW_STREAM_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "cluster/apply.h"
#include "cluster/js.h"
#include "common/rc.h"

/*
 * Checks partition's stream against ap's database: the message at the
 * sequence of the genesis it applied must be that genesis.  IDW_OK when it
 * is, or when nothing can be checked (no genesis applied yet; the stream
 * no longer holds that sequence: aged out, or deleted by hand).  IDW_EXISTS
 * when the stream is another one (err says so: the caller must not apply
 * it), IDW_ERR with err when NATS (retried until deadline_ms) or storage
 * fails.
 */
enum idw_rc idw_stream_check(struct idw_apply *ap, struct idw_js *js, unsigned partition, int64_t deadline_ms,
                             char *err, size_t errlen) IDW_MUST_CHECK;

#endif
