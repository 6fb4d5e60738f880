/*
 * fuzz_snapshot_manifest.c — the snapshot manifest decoder
 * (src/cluster/snapshot.c): the bytes a restore reads from the IDW_SNAP
 * stream, which anyone able to publish on idw.snap.<p>.m can make anything.
 *
 * Invariants: a refusal has a message starting "snapshot manifest: " and
 * leaves the manifest zeroed; an accepted manifest has a 32-hex snapshot
 * id, a 64-hex SHA-256, positive bytes, applied_seq and first_chunk_seq, a
 * partition below 4096, and a chunk count whose chunks add up to exactly
 * bytes (all full but the last, none past it); it encodes again to a
 * manifest that decodes to the same fields.
 */
#include "fuzz_util.h"

#include "cluster/snapshot.h"

static int zeroed(const struct idw_snapshot_manifest *m)
{
    static const struct idw_snapshot_manifest z;

    return memcmp(m, &z, sizeof z) == 0;
}

static void check_chunks(const struct idw_snapshot_manifest *m)
{
    uint64_t last = m->chunks - 1;
    size_t tail = idw_snapshot_chunk_len(m->bytes, last);

    FUZZ_CHECK(m->chunks >= 1 && m->chunks == idw_snapshot_chunk_count(m->bytes));
    FUZZ_CHECK(tail >= 1 && tail <= IDW_SNAP_CHUNK_BYTES);
    FUZZ_CHECK(last * IDW_SNAP_CHUNK_BYTES + tail == m->bytes);
    FUZZ_CHECK(idw_snapshot_chunk_len(m->bytes, m->chunks) == 0);
    if (last)
        FUZZ_CHECK(idw_snapshot_chunk_len(m->bytes, 0) == IDW_SNAP_CHUNK_BYTES);
}

static void check_round_trip(const struct idw_snapshot_manifest *m)
{
    struct idw_snapshot_manifest back;
    char err[512] = "", *text = NULL;
    size_t len;

    FUZZ_CHECK(idw_snapshot_manifest_encode(m, &text, &len, err, sizeof err) == IDW_OK && text);
    FUZZ_CHECK(idw_snapshot_manifest_decode(text, len, &back, err, sizeof err) == IDW_OK);
    FUZZ_CHECK(memcmp(m, &back, sizeof back) == 0);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct idw_snapshot_manifest m;
    char err[512] = "";

    memset(&m, 0xa5, sizeof m);
    if (idw_snapshot_manifest_decode((const char *)data, size, &m, err, sizeof err) < 0) {
        FUZZ_CHECK(strncmp(err, "snapshot manifest: ", 19) == 0 && zeroed(&m));
        return 0;
    }
    FUZZ_CHECK(strlen(m.snap_id) == IDW_SNAP_ID_LEN && strspn(m.snap_id, "0123456789abcdef") == IDW_SNAP_ID_LEN);
    FUZZ_CHECK(strlen(m.sha256) == 64 && strspn(m.sha256, "0123456789abcdef") == 64);
    FUZZ_CHECK(m.bytes > 0 && m.applied_seq > 0 && m.first_chunk_seq > 0 && m.partition < 4096);
    FUZZ_CHECK(m.created_at >= 0 && memchr(m.idwatch_version, '\0', sizeof m.idwatch_version));
    check_chunks(&m);
    check_round_trip(&m);
    return 0;
}
