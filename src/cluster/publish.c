/*
 * publish.c — pages onto partition streams (publish.h): version 2 with
 * recorded GeoIP answers, split, published chunk by chunk; streams and
 * their genesis messages created on first use.
 */
#include "cluster/publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "cluster/wal.h"
#include "common/log.h"

#define GENESIS_SCAN_MAX 1000      /* messages read looking for a partition's genesis */

struct idw_publisher {
    struct idw_js *js;
    const struct idw_partitioning *pt;
    const struct idw_geodb *geo;
    int replicas, max_age_days;
    unsigned char ensured[IDW_PARTITIONS_MAX];
    json_t *rules;                  /* published after a genesis (idw_publisher_set_rules); may be NULL */
};

enum idw_rc idw_publisher_open(struct idw_js *js, const struct idw_partitioning *pt, int replicas,
                               int max_age_days, const struct idw_geodb *geo, struct idw_publisher **out,
                               char *err, size_t errlen)
{
    *out = calloc(1, sizeof **out);
    if (!*out) {
        snprintf(err, errlen, "publish: out of memory");
        return IDW_ERR;
    }
    (*out)->js = js;
    (*out)->pt = pt;
    (*out)->geo = geo;
    (*out)->replicas = replicas;
    (*out)->max_age_days = max_age_days;
    return IDW_OK;
}

void idw_publisher_set_rules(struct idw_publisher *pub, json_t *rules)
{
    json_incref(rules);
    json_decref(pub->rules);
    pub->rules = rules;
}

void idw_publisher_close(struct idw_publisher *pub)
{
    if (pub)
        json_decref(pub->rules);
    free(pub);
}

enum idw_rc idw_publisher_rules(struct idw_publisher *pub, unsigned partition, const json_t *msg,
                                const char *msg_id, int64_t deadline_ms, uint64_t *seq, int *duplicate,
                                char *err, size_t errlen)
{
    size_t len = 0;
    char *data = idw_wal_encode(msg, &len);
    enum idw_rc rc;

    if (!data) {
        snprintf(err, errlen, "publish: out of memory");
        return IDW_ERR;
    }
    if (len > idw_js_max_message(pub->js)) {
        snprintf(err, errlen, "publish: the rules message is %zu bytes, more than a message may carry "
                 "(the server's max_payload)", len);
        free(data);
        return IDW_ERR;
    }
    rc = idw_js_publish(pub->js, partition, msg_id, data, len, deadline_ms, seq, duplicate, err, errlen);
    free(data);
    return rc;
}

/* The rules that open a new stream: one copy however many publishers start it together. */
static enum idw_rc publish_boot_rules(struct idw_publisher *pub, unsigned p, int64_t deadline_ms,
                                      char *err, size_t errlen)
{
    char id[32], *data;
    size_t len = 0;
    uint64_t seq;
    int dup;

    if (!pub->rules)
        return IDW_OK;
    data = idw_wal_encode(pub->rules, &len);
    free(data);
    if (data && len > idw_js_max_message(pub->js)) {   /* no retry would fix it: say so, go on */
        log_warn("publish: partition %u: the rules message is %zu bytes, more than a message may carry (the "
                 "server's max_payload): the stream starts without rules; raise max_payload and run "
                 "idwatch cluster rules publish", p, len);
        return IDW_OK;
    }
    snprintf(id, sizeof id, "rules:boot:p%u", p);
    return idw_publisher_rules(pub, p, pub->rules, id, deadline_ms, &seq, &dup, err, errlen);
}

static enum idw_rc publish_genesis(struct idw_publisher *pub, unsigned p, int64_t deadline_ms,
                                   char *err, size_t errlen)
{
    unsigned char key[32];
    char id[32], *data = NULL;
    json_t *msg = NULL;
    size_t len = 0;
    uint64_t seq;
    int dup;
    enum idw_rc rc = IDW_ERR;

    snprintf(id, sizeof id, "genesis:p%u", p);
    if (RAND_bytes(key, sizeof key) != 1)
        snprintf(err, errlen, "publish: the random number generator failed");
    else if (idw_wal_genesis(p, key, &msg) == IDW_OK)
        data = idw_wal_encode(msg, &len);
    if (!data)
        snprintf(err, errlen, "publish: %s", msg ? "out of memory" : "cannot build the genesis message");
    else
        rc = idw_js_publish(pub->js, p, id, data, len, deadline_ms, &seq, &dup, err, errlen);
    OPENSSL_cleanse(key, sizeof key);
    if (data)
        OPENSSL_cleanse(data, len);
    free(data);
    json_decref(msg);
    return rc;
}

#define NEED_GENESIS 1
#define NEED_RULES 2

/*
 * What partition's stream still lacks: its genesis when it is empty or
 * holds only commands so far (an analyst's command can land between the
 * stream's creation and a genesis publish that failed), and its opening
 * rules when it has a genesis but neither rules nor pages yet (the rules
 * publish failed after the genesis's: retried, or pages would go out
 * judged by no rules of the log).  A page found first means a stream
 * written without one (an older release): nothing is added, and the
 * applier stops on that page, loudly.  NEED_* bits, or -1 with err when
 * NATS fails.
 */
static int stream_needs(struct idw_publisher *pub, unsigned p, uint64_t last, int64_t deadline_ms,
                        char *err, size_t errlen)
{
    int genesis = 0, rules = 0;

    for (uint64_t seq = 1; seq <= last && seq <= GENESIS_SCAN_MAX; seq++) {
        char *data = NULL, why[256];
        size_t len = 0;
        json_t *msg = NULL;
        enum idw_wal_kind kind = IDW_WAL_MALFORMED;
        if (idw_js_get(pub->js, p, seq, deadline_ms, &data, &len, err, errlen) < 0)
            return -1;
        if (idw_wal_decode(data, len, &msg, &kind, why, sizeof why) < 0)
            kind = IDW_WAL_MALFORMED;
        free(data);
        json_decref(msg);
        if (kind == IDW_WAL_PAGE)
            return 0;
        genesis |= kind == IDW_WAL_GENESIS;
        rules |= kind == IDW_WAL_RULES;
        if (genesis && rules)
            return 0;
    }
    if (last > GENESIS_SCAN_MAX)
        return 0;
    return (genesis ? 0 : NEED_GENESIS) | (rules ? 0 : NEED_RULES);
}

enum idw_rc idw_publisher_ensure(struct idw_publisher *pub, unsigned partition, int64_t deadline_ms,
                                 char *err, size_t errlen)
{
    uint64_t last;
    int need;

    if (partition >= IDW_PARTITIONS_MAX) {
        snprintf(err, errlen, "publish: partition %u out of range", partition);
        return IDW_ERR;
    }
    if (pub->ensured[partition])
        return IDW_OK;
    if (idw_js_ensure_partition(pub->js, partition, pub->replicas, pub->max_age_days, deadline_ms, err,
                                errlen) < 0 ||
        idw_js_last_seq(pub->js, partition, deadline_ms, &last, err, errlen) < 0)
        return IDW_ERR;
    need = stream_needs(pub, partition, last, deadline_ms, err, errlen);
    if (need < 0 ||
        ((need & NEED_GENESIS) && publish_genesis(pub, partition, deadline_ms, err, errlen) < 0) ||
        ((need & NEED_RULES) && publish_boot_rules(pub, partition, deadline_ms, err, errlen) < 0))
        return IDW_ERR;
    pub->ensured[partition] = 1;
    return IDW_OK;
}

/* The GeoIP answers of page's events (one entry each, null when none); NULL when out of memory. */
static json_t *record_geo(const struct idw_geodb *geo, const json_t *events)
{
    json_t *out = json_array(), *ev, *entry;
    size_t i;

    json_array_foreach(events, i, ev) {
        if (!out || idw_geo_record(geo, ev, &entry) < 0 ||
            json_array_append_new(out, entry ? entry : json_null()) < 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* The page as this publisher sends it: version 2, GeoIP recorded.  NULL with err. */
static json_t *as_v2(const struct idw_publisher *pub, const json_t *page, char *err, size_t errlen)
{
    const json_t *events = json_object_get(page, "events"), *geo = json_object_get(page, "geo");
    json_t *rec = NULL, *out = NULL;

    if (json_object_get(page, "v") && (geo || !pub->geo))
        return json_incref((json_t *)page);
    if (!geo && pub->geo)
        rec = record_geo(pub->geo, events);
    if (!geo && pub->geo && !rec) {
        snprintf(err, errlen, "publish: out of memory");
        return NULL;
    }
    if (idw_wal_page(json_string_value(json_object_get(page, "org")),
                     json_string_value(json_object_get(page, "cursor_polled")),
                     json_string_value(json_object_get(page, "next_cursor")),
                     json_integer_value(json_object_get(page, "fetched_at")),
                     json_integer_value(json_object_get(page, "live_from")), rec ? rec : (json_t *)geo,
                     (json_t *)events, &out, err, errlen) < 0)
        out = NULL;
    json_decref(rec);
    return out;
}

static enum idw_rc publish_chunk(struct idw_publisher *pub, unsigned p, const json_t *chunk,
                                 int64_t deadline_ms, struct idw_publish_result *res,
                                 char *err, size_t errlen)
{
    char id[IDW_WAL_MSGID_MAX], *data;
    size_t len;
    int dup = 0;
    enum idw_rc rc;

    data = idw_wal_encode(chunk, &len);
    if (!data || idw_wal_msg_id(json_string_value(json_object_get(chunk, "org")),
                                json_string_value(json_object_get(chunk, "cursor_polled")),
                                json_string_value(json_object_get(chunk, "next_cursor")), id) < 0) {
        free(data);
        snprintf(err, errlen, "publish: out of memory");
        return IDW_ERR;
    }
    rc = idw_js_publish(pub->js, p, id, data, len, deadline_ms, &res->last_seq, &dup, err, errlen);
    free(data);
    if (rc == IDW_OK) {
        res->chunks++;
        res->duplicates += dup != 0;
    }
    return rc;
}

enum idw_rc idw_publisher_page(struct idw_publisher *pub, const json_t *page, int64_t deadline_ms,
                               struct idw_publish_result *res, char *err, size_t errlen)
{
    json_t *v2 = NULL, *chunks = NULL, *c;
    enum idw_rc rc = IDW_ERR;
    size_t i;

    memset(res, 0, sizeof *res);
    if (idw_wal_idle(page))
        return IDW_NOTFOUND;
    res->partition = idw_partition_of(pub->pt, json_string_value(json_object_get(page, "org")));
    v2 = as_v2(pub, page, err, errlen);
    if (!v2 || idw_wal_split(v2, idw_js_max_message(pub->js), &chunks, err, errlen) < 0)
        res->refused = 1;
    else if (idw_publisher_ensure(pub, res->partition, deadline_ms, err, errlen) == IDW_OK) {
        rc = IDW_OK;
        json_array_foreach(chunks, i, c) {
            rc = publish_chunk(pub, res->partition, c, deadline_ms, res, err, errlen);
            if (rc < 0)
                break;
        }
    }
    json_decref(chunks);
    json_decref(v2);
    return rc;
}
