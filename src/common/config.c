/*
 * config.c — loading and validating the JSON configuration.
 *
 * Validation is driven by schema tables (key, JSON type, nested schema):
 * one walk checks every key of the document against them, so unknown keys
 * and wrong types are caught before any value is used.  Defaults come from
 * the embedded default document, merged under the user's file, so there is
 * one place where a default is written down.
 */
#include "common/config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static const char default_json[] =
    "{\n"
    "  \"db\": \"./idwatch-data\",\n"
    "  \"rules_dir\": \"rules\",\n"
    "  \"lmdb_map_size_mb\": 65536,\n"
    "  \"orgs\": [{\"domain_id\": \"default\"}],\n"
    "  \"geoip\": {\"city_db\": \"\", \"asn_db\": \"\"},\n"
    "  \"persona\": {\"half_life_days\": 30, \"learning_days\": 14,\n"
    "               \"learning_signins\": 10, \"relearn_after_days\": 30},\n"
    "  \"ingest\": {\"batch_events\": 50000, \"dedup_horizon_days\": 100,\n"
    "              \"max_future_skew_s\": 300},\n"
    "  \"events\": {\"retention_days\": 30}\n"
    "}\n";

const char *idw_config_default_json(void) { return default_json; }

/* ---- schema ----------------------------------------------------------- */

enum vtype { T_STR, T_INT, T_NUM, T_BOOL, T_OBJ, T_ARR_STR, T_ARR_OBJ };

struct key {
    const char *name;
    enum vtype type;
    const struct key *sub;     /* for T_OBJ and T_ARR_OBJ */
};

static const struct key auth_keys[] = {
    {"method", T_STR, NULL}, {"client_id", T_STR, NULL},
    {"private_key_file", T_STR, NULL}, {"key_id", T_STR, NULL},
    {"dpop", T_BOOL, NULL}, {"token_file", T_STR, NULL}, {"token_env", T_STR, NULL},
    {"scope", T_STR, NULL}, {NULL, 0, NULL},
};

static const struct key org_keys[] = {
    {"domain_id", T_STR, NULL}, {"org_url", T_STR, NULL},
    {"auth", T_OBJ, auth_keys}, {"ca_file", T_STR, NULL},
    {"poll_interval_s", T_INT, NULL}, {"page_limit", T_INT, NULL},
    {"rate_limit_share", T_NUM, NULL}, {"backfill_days", T_INT, NULL},
    {"max_consecutive_failures", T_INT, NULL}, {"event_types", T_ARR_STR, NULL},
    {"custom_domain", T_BOOL, NULL}, {"timeout_s", T_INT, NULL},
    {"starvation_alert_minutes", T_NUM, NULL},
    {NULL, 0, NULL},
};

static const struct key geoip_keys[] = {
    {"city_db", T_STR, NULL}, {"asn_db", T_STR, NULL}, {NULL, 0, NULL},
};

static const struct key persona_keys[] = {
    {"half_life_days", T_NUM, NULL}, {"learning_days", T_INT, NULL},
    {"learning_signins", T_INT, NULL}, {"relearn_after_days", T_INT, NULL},
    {NULL, 0, NULL},
};

static const struct key ingest_keys[] = {
    {"batch_events", T_INT, NULL}, {"dedup_horizon_days", T_INT, NULL},
    {"max_future_skew_s", T_INT, NULL},
    {"include_unlisted", T_BOOL, NULL},     /* obsolete (every type is ingested): accepted, ignored */
    {"event_types", T_ARR_STR, NULL},
    {NULL, 0, NULL},
};

static const struct key webhook_keys[] = {
    {"name", T_STR, NULL}, {"url", T_STR, NULL}, {"secret_file", T_STR, NULL},
    {"secret_env", T_STR, NULL}, {"min_severity", T_STR, NULL}, {"format", T_STR, NULL},
    {"ca_file", T_STR, NULL}, {"timeout_s", T_INT, NULL}, {"deliver_historical", T_BOOL, NULL},
    {"retry_base_s", T_NUM, NULL}, {"retry_cap_s", T_NUM, NULL},
    {"max_4xx_attempts", T_INT, NULL}, {"give_up_hours", T_NUM, NULL},
    {"incidents", T_BOOL, NULL},
    {NULL, 0, NULL},
};

static const struct key incident_keys[] = {
    {"window_hours", T_NUM, NULL}, {NULL, 0, NULL},
};

static const struct key events_keys[] = {
    {"retention_days", T_INT, NULL}, {NULL, 0, NULL},
};

static const struct key metrics_keys[] = {
    {"listen", T_STR, NULL}, {NULL, 0, NULL},
};

static const struct key serve_keys[] = {
    {"listen", T_STR, NULL}, {"tls_cert", T_STR, NULL}, {"tls_key", T_STR, NULL},
    {"console_dir", T_STR, NULL}, {"allow_plaintext_remote", T_BOOL, NULL},
    {"session_idle_minutes", T_INT, NULL}, {"session_max_hours", T_INT, NULL},
    {"proxy_user_header", T_STR, NULL}, {"trusted_proxies", T_ARR_STR, NULL}, {NULL, 0, NULL},
};

/* cluster.overrides is a free-form {org: partition} map: cluster/partition.c checks it. */
static const struct key cluster_keys[] = {
    {"partitions", T_INT, NULL}, {"overrides", T_OBJ, NULL}, {"replicas", T_INT, NULL},
    {"nats", T_ARR_STR, NULL}, {"slot", T_INT, NULL}, {"slots", T_INT, NULL},
    /* cluster/snapshot.h checks their values */
    {"snapshot_every_s", T_INT, NULL}, {"snapshot_every_events", T_INT, NULL},
    {"stream_max_age_days", T_INT, NULL}, {"alerts_max_age_days", T_INT, NULL},
    /* TLS and credentials: file names only, never a secret (cluster/js.h idw_js_opts_load checks them) */
    {"nats_ca_file", T_STR, NULL}, {"nats_tls_name", T_STR, NULL},
    {"nats_cert_file", T_STR, NULL}, {"nats_key_file", T_STR, NULL},
    {"nats_creds_file", T_STR, NULL}, {"nats_token_file", T_STR, NULL},
    {"nats_user", T_STR, NULL}, {"nats_password_file", T_STR, NULL},
    /* `console --cluster` (cli/console_cluster.h checks the wait's range) */
    {"mirror_dir", T_STR, NULL}, {"review_wait_ms", T_INT, NULL},
    {NULL, 0, NULL},
};

static const struct key root_keys[] = {
    {"db", T_STR, NULL}, {"lmdb_map_size_mb", T_INT, NULL},
    {"orgs", T_ARR_OBJ, org_keys}, {"geoip", T_OBJ, geoip_keys},
    {"persona", T_OBJ, persona_keys}, {"ingest", T_OBJ, ingest_keys},
    {"rules_dir", T_STR, NULL}, {"log_level", T_STR, NULL},
    {"webhooks", T_ARR_OBJ, webhook_keys}, {"metrics", T_OBJ, metrics_keys},
    {"incidents", T_OBJ, incident_keys},
    {"events", T_OBJ, events_keys},
    {"serve", T_OBJ, serve_keys},
    {"cluster", T_OBJ, cluster_keys},
    {NULL, 0, NULL},
};

static const char *type_word(enum vtype t)
{
    static const char *const w[] = {"a string", "an integer", "a number", "true or false",
                                    "an object", "an array of strings", "an array of objects"};
    return w[t];
}

static int type_ok(const json_t *v, enum vtype t)
{
    size_t i;
    json_t *e;

    switch (t) {
    case T_STR:
        return json_is_string(v);
    case T_INT:
        return json_is_integer(v);
    case T_NUM:
        return json_is_number(v);
    case T_BOOL:
        return json_is_boolean(v);
    case T_OBJ:
        return json_is_object(v);
    case T_ARR_STR:
        if (!json_is_array(v))
            return 0;
        json_array_foreach(v, i, e) if (!json_is_string(e)) return 0;
        return 1;
    case T_ARR_OBJ:
        if (!json_is_array(v))
            return 0;
        json_array_foreach(v, i, e) if (!json_is_object(e)) return 0;
        return 1;
    }
    return 0;
}

static int check_object(const json_t *obj, const struct key *schema, const char *path,
                        char *err, size_t errlen);

static int check_value(const json_t *v, const struct key *k, const char *path,
                       char *err, size_t errlen)
{
    char sub[256];
    size_t i;
    json_t *e;

    if (!type_ok(v, k->type)) {
        snprintf(err, errlen, "%s: expected %s", path, type_word(k->type));
        return -1;
    }
    if (!k->sub)
        return 0;
    if (k->type == T_OBJ)
        return check_object(v, k->sub, path, err, errlen);
    json_array_foreach(v, i, e) {
        if (snprintf(sub, sizeof sub, "%s[%zu]", path, i) >= (int)sizeof sub)
            strcpy(sub + sizeof sub - 4, "...");    /* absurdly deep: keep a readable prefix */
        if (check_object(e, k->sub, sub, err, errlen) < 0)
            return -1;
    }
    return 0;
}

static int check_object(const json_t *obj, const struct key *schema, const char *path,
                        char *err, size_t errlen)
{
    const char *name;
    json_t *v;
    char sub[256];

    json_object_foreach((json_t *)obj, name, v) {
        const struct key *k = schema;
        while (k->name && strcmp(k->name, name) != 0)
            k++;
        if (snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", name) >= (int)sizeof sub)
            strcpy(sub + sizeof sub - 4, "...");
        if (!k->name) {
            snprintf(err, errlen, "%s: unknown key", sub);
            return -1;
        }
        if (check_value(v, k, sub, err, errlen) < 0)
            return -1;
    }
    return 0;
}

/* ---- reading values ---------------------------------------------------- */

/* "sect.key" of the merged document (defaults already filled in). */
static json_t *lookup(const json_t *root, const json_t *unused, const char *sect, const char *key)
{
    (void)unused;
    return sect ? json_object_get(json_object_get(root, sect), key) : json_object_get(root, key);
}

static int range_int(const json_t *v, const char *path, long lo, long hi, int *out,
                     char *err, size_t errlen)
{
    json_int_t x = json_integer_value(v);
    if (x < lo || x > hi) {
        snprintf(err, errlen, "%s: must be between %ld and %ld", path, lo, hi);
        return -1;
    }
    *out = (int)x;
    return 0;
}

int idw_domain_id_valid(const char *s)
{
    size_t n = 0;
    for (; s && s[n]; n++)
        if (!isalnum((unsigned char)s[n]) && !strchr("._-", s[n]))
            return 0;
    return n > 0 && n < IDW_DOMAIN_MAX;
}

static int read_orgs(struct idw_config *cfg, const json_t *orgs, char *err, size_t errlen)
{
    size_t i, j;
    json_t *o;

    cfg->n_orgs = json_array_size(orgs);
    cfg->orgs = calloc(cfg->n_orgs ? cfg->n_orgs : 1, sizeof *cfg->orgs);
    if (!cfg->orgs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    json_array_foreach(orgs, i, o) {
        const char *d = json_string_value(json_object_get(o, "domain_id"));
        if (!idw_domain_id_valid(d)) {
            snprintf(err, errlen, "orgs[%zu].domain_id: required, 1-63 characters of "
                     "letters, digits, '.', '_' or '-'", i);
            return -1;
        }
        for (j = 0; j < i; j++)
            if (strcmp(cfg->orgs[j].domain_id, d) == 0) {
                snprintf(err, errlen, "orgs[%zu].domain_id: '%s' is used twice", i, d);
                return -1;
            }
        idw_strlcpy(cfg->orgs[i].domain_id, d, sizeof cfg->orgs[i].domain_id);
        cfg->orgs[i].json = o;
    }
    return 0;
}

static int read_event_types(struct idw_config *cfg, const json_t *arr, char *err, size_t errlen)
{
    size_t i;
    json_t *e;

    if (!arr)
        return 0;
    cfg->n_event_types = json_array_size(arr);
    cfg->event_types = calloc(cfg->n_event_types + 1, sizeof *cfg->event_types);
    if (!cfg->event_types) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    json_array_foreach(arr, i, e)
        cfg->event_types[i] = (char *)json_string_value(e);
    return 0;
}

static int copy_path(char *dst, size_t dstsize, const json_t *v, const char *path,
                     char *err, size_t errlen)
{
    if (idw_strlcpy(dst, json_string_value(v), dstsize) >= dstsize) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    return 0;
}

static int read_values(struct idw_config *cfg, const json_t *u, const json_t *d,
                       char *err, size_t errlen)
{
    int mb;
    const json_t *hl = lookup(u, d, "persona", "half_life_days");

    if (copy_path(cfg->db_path, sizeof cfg->db_path, lookup(u, d, NULL, "db"), "db", err, errlen) < 0 ||
        copy_path(cfg->city_db, sizeof cfg->city_db, lookup(u, d, "geoip", "city_db"),
                  "geoip.city_db", err, errlen) < 0 ||
        copy_path(cfg->asn_db, sizeof cfg->asn_db, lookup(u, d, "geoip", "asn_db"),
                  "geoip.asn_db", err, errlen) < 0 ||
        copy_path(cfg->rules_dir, sizeof cfg->rules_dir, lookup(u, d, NULL, "rules_dir"),
                  "rules_dir", err, errlen) < 0)
        return -1;
    if (!cfg->db_path[0]) {
        snprintf(err, errlen, "db: must not be empty");
        return -1;
    }
    if (range_int(lookup(u, d, NULL, "lmdb_map_size_mb"), "lmdb_map_size_mb", 16,
                  16 * 1024 * 1024, &mb, err, errlen) < 0 ||
        range_int(lookup(u, d, "persona", "learning_days"), "persona.learning_days", 0, 365,
                  &cfg->learning_days, err, errlen) < 0 ||
        range_int(lookup(u, d, "persona", "learning_signins"), "persona.learning_signins", 0,
                  100000, &cfg->learning_signins, err, errlen) < 0 ||
        range_int(lookup(u, d, "persona", "relearn_after_days"), "persona.relearn_after_days",
                  1, 3650, &cfg->relearn_after_days, err, errlen) < 0 ||
        range_int(lookup(u, d, "ingest", "batch_events"), "ingest.batch_events", 1, 100000,
                  &cfg->batch_events, err, errlen) < 0 ||
        range_int(lookup(u, d, "ingest", "dedup_horizon_days"), "ingest.dedup_horizon_days",
                  1, 3650, &cfg->dedup_horizon_days, err, errlen) < 0 ||
        range_int(lookup(u, d, "ingest", "max_future_skew_s"), "ingest.max_future_skew_s",
                  0, 86400, &cfg->max_future_skew_s, err, errlen) < 0 ||
        range_int(lookup(u, d, "events", "retention_days"), "events.retention_days",
                  0, 3650, &cfg->retention_days, err, errlen) < 0)
        return -1;
    cfg->map_size_mb = (size_t)mb;
    cfg->half_life_days = json_number_value(hl);
    if (cfg->half_life_days < 1 || cfg->half_life_days > 3650) {
        snprintf(err, errlen, "persona.half_life_days: must be between 1 and 3650");
        return -1;
    }
    if (read_event_types(cfg, json_object_get(json_object_get(u, "ingest"), "event_types"),
                         err, errlen) < 0)
        return -1;
    return read_orgs(cfg, lookup(u, d, NULL, "orgs"), err, errlen);
}

/* Fills what the user's document leaves out from the default (one level deep). */
static void merge_defaults(json_t *root, const json_t *def)
{
    const char *k, *sk;
    json_t *v, *sv;

    json_object_foreach((json_t *)def, k, v) {
        json_t *mine = json_object_get(root, k);
        if (!mine)
            json_object_set(root, k, v);
        else if (json_is_object(mine) && json_is_object(v))
            json_object_foreach(v, sk, sv)
                if (!json_object_get(mine, sk))
                    json_object_set(mine, sk, sv);
    }
}

enum idw_rc idw_config_parse(const char *text, const char *source, struct idw_config *cfg,
                             char *err, size_t errlen)
{
    json_error_t je;
    json_t *def;

    memset(cfg, 0, sizeof *cfg);
    idw_strlcpy(cfg->source, source, sizeof cfg->source);
    cfg->root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!cfg->root) {
        snprintf(err, errlen, "%s:%d:%d: %s", source, je.line, je.column, je.text);
        return IDW_ERR;
    }
    def = json_loads(default_json, 0, NULL);
    if (!def || !json_is_object(cfg->root) ||
        check_object(cfg->root, root_keys, "", err, errlen) < 0 ||
        (merge_defaults(cfg->root, def), 0) ||
        read_values(cfg, cfg->root, def, err, errlen) < 0) {
        if (def && !json_is_object(cfg->root))
            snprintf(err, errlen, "%s: the configuration must be a JSON object", source);
        else if (!def)
            snprintf(err, errlen, "out of memory");
        json_decref(def);
        idw_config_free(cfg);
        return IDW_ERR;
    }
    json_decref(def);
    return IDW_OK;
}

/* The size of the open file f, which is left rewound to its start; -1 when
 * either seek or the tell fails. */
static long file_size(FILE *f)
{
    long n;

    if (fseek(f, 0, SEEK_END) != 0)
        return -1;
    n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0)
        return -1;
    return n;
}

static char *read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %m", path);
        return NULL;
    }
    n = file_size(f);
    if (n >= 0 && n < (1 << 24))
        buf = malloc((size_t)n + 1);
    if (buf) {
        if (fread(buf, 1, (size_t)n, f) == (size_t)n) {
            buf[n] = '\0';
        } else {
            free(buf);
            buf = NULL;
        }
    }
    if (!buf)
        snprintf(err, errlen, "%s: cannot read (or larger than 16 MiB)", path);
    fclose(f);
    return buf;
}

enum idw_rc idw_config_load(const char *path, struct idw_config *cfg, char *err, size_t errlen)
{
    char *text;
    int rc;

    if (!path)
        return idw_config_parse(default_json, "(embedded default)", cfg, err, errlen);
    text = read_file(path, err, errlen);
    if (!text) {
        memset(cfg, 0, sizeof *cfg);
        return IDW_ERR;
    }
    rc = idw_config_parse(text, path, cfg, err, errlen);
    free(text);
    return rc;
}

void idw_config_free(struct idw_config *cfg)
{
    free(cfg->event_types);
    free(cfg->orgs);
    json_decref(cfg->root);
    memset(cfg, 0, sizeof *cfg);
}

const struct idw_org_config *idw_config_org(const struct idw_config *cfg, const char *domain_id)
{
    for (size_t i = 0; i < cfg->n_orgs; i++)
        if (strcmp(cfg->orgs[i].domain_id, domain_id) == 0)
            return &cfg->orgs[i];
    return NULL;
}
