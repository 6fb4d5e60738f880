/*
 * stream_check.c — tells a partition stream created again from the one a
 * database was built from, by the genesis (stream_check.h).  Called by
 * whoever applies a stream (idwatch worker, idwatch cluster apply) before
 * its first message.
 */
#include "cluster/stream_check.h"

#include <stdio.h>

enum idw_rc idw_stream_check(struct idw_apply *ap, struct idw_js *js, unsigned partition, int64_t deadline_ms,
                             char *err, size_t errlen)
{
    char stream[32];
    struct idw_js_msg *m = NULL;
    const void *data;
    size_t len;
    uint64_t at;
    enum idw_rc rc;

    if (idw_apply_genesis_seq(ap, &at, err, errlen) < 0)
        return IDW_ERR;
    if (at == 0)
        return IDW_OK;      /* nothing applied yet: any stream is this database's */
    idw_js_partition_stream(partition, stream);
    rc = idw_js_stream_get(js, stream, at, NULL, deadline_ms, &m, err, errlen);
    if (rc == IDW_NOTFOUND)
        return IDW_OK;      /* no longer held: nothing to compare (the sequence check still runs) */
    if (rc != IDW_OK)
        return IDW_ERR;
    data = idw_js_msg_data(m, &len);
    rc = idw_apply_same_stream(ap, data, len, err, errlen);
    idw_js_msg_free(m);
    return rc;
}
