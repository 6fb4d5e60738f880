/*
 * detect_int.h — the engine's private structures, shared by detect.c (rule
 * loading, the per-event run, rule state) and context.c (persona facts and
 * persona-aware severity for declarative rules).  Nothing outside
 * src/engine/ includes it: rules see the context only through rule.h.
 */
#ifndef IDW_DETECT_INT_H
#define IDW_DETECT_INT_H

#include "engine/detect.h"
#include "sigma/sigma.h"

struct loaded_rule {
    const struct idw_rule *rule;
    void *cfg;                  /* the rule's config struct, filled from config */
    int enabled;
    int warned_stale;           /* a state record of another version was met (logged once) */
    json_t *config;             /* the settings in force; cfg's strings point into it */
};

struct idw_detect {
    struct idw_sigma_set *sigma;        /* declarative rules (NULL: none loaded) */
    struct loaded_rule *rules;          /* one per registered rule: no fixed cap */
    size_t n;
    struct idw_alerts *alerts;          /* where candidates become alerts, and their sinks */
    int sigma_warned_stale;             /* a Sigma rule met a state record of another version */
};

struct idw_detect_ctx {
    const struct idw_detect *d;
    struct idw_store *st;
    MDB_txn *txn;
    const char *domain;
    const struct idw_event *ev;
    const struct idw_persona *before;   /* the subject's persona before the event, or NULL */
    const struct idw_persona *actor;
    const struct idw_rule *rule;
    int *warned_stale;          /* the running rule's loaded_rule flag */
    int *sigma_warned_stale;    /* the same for the Sigma rules (one flag for them all) */
    const struct idw_persona_params *prm;
    int historical;
    unsigned written;
    enum idw_severity worst;
    int failed;
    json_t *facts;              /* persona facts for declarative rules, built on first use */
    int facts_built;
    char *err;
    size_t errlen;
};

/* ---- declarative.c: the Sigma rules' half of the engine ---- */

/* Loads the Sigma files of o (rules_dir tree, sigma_files) into d->sigma and links them. */
enum idw_rc idw_decl_load(struct idw_detect *d, const struct idw_detect_opts *o, char *err, size_t errlen)
    IDW_MUST_CHECK;
/* Appends one entry per Sigma rule to list (idw_detect_describe); IDW_ERR when out of memory. */
enum idw_rc idw_decl_describe(const struct idw_detect *d, json_t *list) IDW_MUST_CHECK;
/* Runs the Sigma rules on ctx's event (after the C rules). */
void idw_decl_run(struct idw_detect_ctx *ctx);

#endif
