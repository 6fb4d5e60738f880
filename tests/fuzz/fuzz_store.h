/*
 * fuzz_store.h — the LMDB-backed environment the pipeline harnesses
 * (fuzz_pipeline.c, fuzz_rules.c) share: one store in a private temporary
 * directory, the embedded default configuration, and one ingest pipeline
 * for the domain "fuzz".
 *
 * Determinism: a harness feeds one input's events into the pipeline's
 * open batch and then calls idw_pipeline_abort(), so nothing an input
 * does is ever committed (the pipeline drops its persona cache on abort):
 * every input starts from the same empty database.  The directory is
 * removed at exit.
 */
#ifndef IDW_FUZZ_STORE_H
#define IDW_FUZZ_STORE_H

#include <unistd.h>

#include "common/config.h"
#include "deliver/outbox.h"
#include "engine/detect.h"
#include "engine/pipeline.h"
#include "store/store.h"

#include "fuzz_util.h"

struct fuzz_env {
    char dir[64];
    struct idw_store *st;
    struct idw_config cfg;
    struct idw_pipeline *pl;
};

static struct fuzz_env fuzz_env_g;

static inline void fuzz_env_cleanup(void)
{
    char path[128];

    idw_pipeline_close(fuzz_env_g.pl);
    idw_store_close(fuzz_env_g.st);
    idw_config_free(&fuzz_env_g.cfg);
    snprintf(path, sizeof path, "%s/data.mdb", fuzz_env_g.dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/lock.mdb", fuzz_env_g.dir);
    unlink(path);
    rmdir(fuzz_env_g.dir);
}

/* The environment, set up on first use; any failure aborts (the harness cannot run). */
static inline struct fuzz_env *fuzz_env(void)
{
    struct fuzz_env *e = &fuzz_env_g;
    struct idw_pipeline_opts o = {.domain_id = "fuzz"};
    char err[512];

    if (e->pl)
        return e;
    snprintf(e->dir, sizeof e->dir, "/tmp/idw-fuzz-db-XXXXXX");
    FUZZ_CHECK(mkdtemp(e->dir) != NULL);
    if (idw_store_open(e->dir, 256, 0, &e->st, err, sizeof err) < 0 ||
        idw_config_parse(idw_config_default_json(), "(embedded default)", &e->cfg, err,
                         sizeof err) < 0 ||
        idw_pipeline_open(e->st, &e->cfg, &o, &e->pl, err, sizeof err) < 0) {
        fprintf(stderr, "fuzz environment: %s\n", err);
        abort();
    }
    atexit(fuzz_env_cleanup);
    return e;
}

/* A webhook target that takes every alert, so alerts are queued in the outbox too. */
static inline void fuzz_env_targets(struct idw_detect *d)
{
    static const struct idw_outbox_target all = {.name = "fuzz", .min_severity = IDW_SEV_LOW,
                                                 .deliver_historical = 1};
    struct idw_alert_sink sink;

    FUZZ_CHECK(idw_outbox_sink(&all, 1, &sink) == IDW_OK);
    FUZZ_CHECK(idw_alerts_add_sink(idw_detect_alerts(d), &sink) == IDW_OK);
}

/* Feeds one raw event; a storage failure is a finding (the map is far from full). */
static inline void fuzz_env_feed(struct fuzz_env *e, json_t *raw)
{
    enum idw_feed_result res;
    char reason[512];

    FUZZ_CHECK(idw_pipeline_feed(e->pl, raw, &res, reason, sizeof reason) == 0);
    if (res == IDW_FEED_REJECTED)
        FUZZ_CHECK(reason[0] != '\0');
}

#endif
