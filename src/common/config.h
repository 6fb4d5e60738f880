/*
 * config.h — idwatch's one configuration file (JSON), validated up front.
 *
 * With no --config the embedded default (idw_config_default_json) is used;
 * it ingests files into ./idwatch-data for the domain "default".  Every key
 * is documented in docs/config.md.  Unknown keys and wrong types are
 * errors, reported with their JSON path ("orgs[0].poll_interval_s: expected
 * an integer"), so a typo never silently becomes a default.
 *
 * Secrets are never read here: the config names the files or environment
 * variables that hold them, and the modules that need a secret read it.
 */
#ifndef IDW_CONFIG_H
#define IDW_CONFIG_H

#include <limits.h>
#include <stddef.h>

#include <jansson.h>

#include "common/rc.h"

#define IDW_DOMAIN_MAX 64     /* domain_id: 1..63 chars of [A-Za-z0-9._-] */

struct idw_org_config {
    char domain_id[IDW_DOMAIN_MAX];
    json_t *json;             /* the org's object, for the connector (issue: Okta poller) */
};

struct idw_config {
    char source[PATH_MAX];    /* the file it came from, or "(embedded default)" */
    char db_path[PATH_MAX];
    size_t map_size_mb;       /* LMDB map size (address space, not disk) */
    char city_db[PATH_MAX];   /* "" = no City database */
    char asn_db[PATH_MAX];    /* "" = no ASN database */
    char rules_dir[PATH_MAX]; /* rule configuration files, rules/<id>.json */

    /* persona model */
    double half_life_days;    /* decay of per-value weights */
    int learning_days;        /* a persona is learning until this many days ... */
    int learning_signins;     /* ... or this many successful sign-ins, whichever first */
    int relearn_after_days;   /* inactivity after which a persona learns again */

    /* ingest */
    int batch_events;         /* events per LMDB write transaction */
    int dedup_horizon_days;   /* uuids remembered this long (event time) */
    int max_future_skew_s;    /* events published later than now + this are refused */
    char **event_types;       /* optional allow list (NULL = the table) */

    /* kept events (store/evstore.h) */
    int retention_days;       /* by event time, before the newest event applied; 0 = keep none */
    size_t n_event_types;

    struct idw_org_config *orgs;
    size_t n_orgs;

    json_t *root;             /* the whole document, owned */
};

/* The embedded default configuration, as JSON text. */
const char *idw_config_default_json(void);

/*
 * Loads and validates path (NULL = the embedded default).  IDW_OK, or
 * IDW_ERR with a precise message in err (file, JSON line/column, or key path).
 * On failure *cfg holds nothing to free.
 */
enum idw_rc idw_config_load(const char *path, struct idw_config *cfg, char *err, size_t errlen)
    IDW_MUST_CHECK;

/* Same, from JSON text (used by the loader and by tests). */
enum idw_rc idw_config_parse(const char *text, const char *source, struct idw_config *cfg,
                             char *err, size_t errlen) IDW_MUST_CHECK;

void idw_config_free(struct idw_config *cfg);

/* The org with this domain_id, or NULL. */
const struct idw_org_config *idw_config_org(const struct idw_config *cfg, const char *domain_id);

/* True for a syntactically valid domain_id. */
int idw_domain_id_valid(const char *s);

#endif
