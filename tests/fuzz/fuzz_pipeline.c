/*
 * fuzz_pipeline.c — a whole ingest stream end to end: the bytes of a file
 * given to `idwatch ingest` (or a poller page) through the replay reader,
 * then the pipeline — normalize, de-duplicate, identity, persona update —
 * and every shipped rule (the source tree's rules/ directory), with alerts
 * stored and queued for a webhook target.
 *
 * This is where a field an attacker controls (a username, a user agent,
 * a city, debugData) reaches persona and rule code.  Several events in
 * one input share one batch, so windows, counters and rule state build up
 * as they do in a real stream; the batch is then aborted (fuzz_store.h),
 * so every input starts from an empty database.
 *
 * Invariants: no storage failure (one bad event must not fail a batch),
 * every rejection has a reason.
 */
#include "fuzz_store.h"

#include "source/replay.h"

static struct idw_detect *shipped_rules(void)
{
    static struct idw_detect *d;
    char dir[4096], err[512];

    if (d)
        return d;
    fuzz_src_path(dir, sizeof dir, "rules");
    if (idw_detect_open(dir, &d, err, sizeof err) < 0) {
        fprintf(stderr, "fuzz_pipeline: %s\n", err);
        abort();
    }
    fuzz_env_targets(d);
    return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_env *e = fuzz_env();
    FILE *f;
    struct idw_reader *r;
    json_t *ev;
    char err[512];
    enum idw_read_status s;

    if (size == 0 || !(f = fmemopen((void *)data, size, "r")))
        return 0;
    FUZZ_CHECK(idw_pipeline_set_detect(e->pl, shipped_rules()) == 0);
    r = idw_reader_new(f, 0);
    FUZZ_CHECK(r != NULL);
    while ((s = idw_reader_next(r, &ev, NULL, NULL, err, sizeof err)) != IDW_READ_EOF &&
           s != IDW_READ_FATAL) {
        if (s != IDW_READ_EVENT)
            continue;
        fuzz_env_feed(e, ev);
        json_decref(ev);
    }
    idw_reader_free(r);
    fclose(f);
    idw_pipeline_abort(e->pl);
    return 0;
}
