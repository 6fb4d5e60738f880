/*
 * evstore.h — the stored events: every normalized event the pipeline
 * accepts, kept in a compact record for investigation ("the events behind
 * this alert", "what did this user do in the last 24 h"), pruned by event
 * time after `events.retention_days` (docs/events.md).
 *
 * Two LMDB tables, written in the batch's own transaction (so an event
 * is stored exactly when its de-duplication key is):
 *
 *   events     domain \0 be64(published) uid8               → record (below)
 *   ev_person  domain \0 tuid16   (DUPSORT|DUPFIXED) dups: be64(published) uid8
 *
 * uid8 is 64 bits of SHA-256 of the Okta uuid (a lookup checks the uuid
 * kept in the record).  The uuid index is the de-duplication table
 * (store.h's seen: domain \0 uuid → published), which remembers every
 * uuid dedup_horizon_days, so events are kept at most that long (the
 * pipeline caps the retention at it).  ev_person is DUPFIXED so an entry
 * costs its 16 bytes, not a node with its own key: a person's timeline is
 * one run of sorted duplicates.  An event is indexed under its subject's
 * tuid and, when another person acted, the actor's too.  The primary
 * key's time order is the retention order.
 *
 * Return codes as in store.h: IDW_OK, IDW_NOTFOUND (absence only),
 * IDW_EXISTS, IDW_ERR (LMDB error, or a stored record that does not
 * decode: corrupt; err names the uuid or key).
 */
#ifndef IDW_EVSTORE_H
#define IDW_EVSTORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <lmdb.h>

#include "common/config.h"
#include "common/rc.h"
#include "event/event.h"
#include "store/store.h"

#define IDW_EVREC_TARGETS 3         /* targets kept per event (the first ones Okta lists) */
#define IDW_EVREC_STR_MAX 255       /* longer strings are cut (at a UTF-8 boundary) */
#define IDW_EVREC_MAX 8192          /* largest encoded record */

struct idw_evrec_who {
    const char *id, *login, *type, *display_name;   /* display_name: actor only */
};

/*
 * One stored event.  Strings are NULL when absent; they point into the
 * event it was made from (idw_evrec_from_event) or into text (decode).
 */
struct idw_evrec {
    const char *uuid;
    int64_t published_ms;
    const char *event_type, *display_message, *outcome, *outcome_reason, *severity;
    struct idw_evrec_who actor;
    unsigned n_targets;
    struct idw_evrec_who target[IDW_EVREC_TARGETS];
    const char *ip, *city, *country;
    int has_coords;
    double lat, lon;                /* stored to 1e-5 degree (about a metre) */
    uint32_t asn;                   /* 0 = unknown */
    const char *as_org;
    const char *device, *browser, *os;  /* Okta's parse of the user agent, not the raw string */
    const char *app, *session_id;
    char subject_tuid[IDW_UUID_STRLEN], actor_tuid[IDW_UUID_STRLEN];    /* "" = none */
    char text[IDW_EVREC_MAX + 64];  /* decoded strings, NUL-terminated */
};

/*
 * Fills r from an accepted event (ev->tuid is the subject's tuid;
 * actor_tuid the acting person's when another human acted, else NULL).
 * r borrows ev's strings: valid while ev is.
 */
void idw_evrec_from_event(struct idw_evrec *r, const struct idw_event *ev, const char *actor_tuid);

/*
 * The compact record (docs/events.md): returns its length, or 0 when it
 * would exceed cap (never with cap >= IDW_EVREC_MAX).  Strings longer than
 * IDW_EVREC_STR_MAX are cut.
 */
size_t idw_evrec_encode(const struct idw_evrec *r, unsigned char *buf, size_t cap);

/*
 * Decodes a record into r (strings in r->text).  IDW_OK, or IDW_ERR for a
 * truncated, oversized or otherwise corrupt record (r is then zeroed);
 * never reads beyond len.
 */
enum idw_rc idw_evrec_decode(const void *buf, size_t len, struct idw_evrec *r) IDW_MUST_CHECK;

/*
 * Stores r for domain in txn (a write transaction).  IDW_OK, IDW_EXISTS
 * (that uuid is stored already with that time: nothing written), IDW_ERR.
 * The pipeline de-duplicates uuids before (store.h's seen table), so this
 * check costs no lookup of its own.
 */
enum idw_rc idw_evstore_put(struct idw_store *st, MDB_txn *txn, const char *domain,
                            const struct idw_evrec *r, char *err, size_t errlen) IDW_MUST_CHECK;

/* The event with Okta uuid: IDW_OK (r filled), IDW_NOTFOUND, IDW_ERR. */
enum idw_rc idw_evstore_get(struct idw_store *st, MDB_txn *txn, const char *domain, const char *uuid,
                            struct idw_evrec *r, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Calls fn for the events of person tuid (as subject or actor) published
 * in [from_ms, to_ms], newest first, at most limit of them (0 = no limit);
 * fn returning non-zero stops (not an error).  r is only valid during the
 * call.  IDW_OK (also when there are none), IDW_ERR (a corrupt record
 * stops the walk).
 */
typedef int (*idw_evrec_fn)(const struct idw_evrec *r, void *ctx);
enum idw_rc idw_evstore_person(struct idw_store *st, MDB_txn *txn, const char *domain,
                               const char *tuid, int64_t from_ms, int64_t to_ms, size_t limit,
                               idw_evrec_fn fn, void *ctx, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * The stored events among uuids (a JSON array of strings: an alert's
 * event_ids), as an array of EVENT objects (idw_evrec_to_json) oldest
 * first; uuids not stored (pruned, or ingested with retention 0) are left
 * out.  IDW_OK with *out (caller json_decref's), IDW_ERR (*out NULL).
 */
enum idw_rc idw_evstore_events_json(struct idw_store *st, MDB_txn *txn, const char *domain,
                                    const json_t *uuids, const char *okta_base,
                                    json_t **out, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Forgets the events of domain published before before_ms, oldest first,
 * at most max of them (bounded work per commit); *pruned receives the
 * number removed.  IDW_OK, IDW_ERR.
 */
enum idw_rc idw_evstore_prune(struct idw_store *st, MDB_txn *txn, const char *domain,
                              int64_t before_ms, size_t max, size_t *pruned,
                              char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Events stored (all domains) and the bytes of the pages their three
 * tables take, the duplicates' sub-databases included (for `make bench`;
 * free pages are not counted).  IDW_OK, IDW_ERR.
 */
enum idw_rc idw_evstore_usage(struct idw_store *st, MDB_txn *txn, size_t *events, size_t *bytes,
                              char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * The EVENT JSON of the API contract and `events show --json`:
 * {uuid, published, event_type, display_message, outcome:{result,reason},
 * severity, actor:{id,login,type,display_name}, target:[{id,login,type}],
 * ip, city, country, lat, lon, asn, as_org, device, user_agent, app,
 * session_id, subject_tuid, actor_tuid, okta_url}; absent values are null.
 * okta_base is the org's Okta URL (NULL: okta_url is null).  NULL only
 * when out of memory.
 */
json_t *idw_evrec_to_json(const struct idw_evrec *r, const char *okta_base) IDW_MUST_CHECK;

/*
 * The org's configured Okta URL (orgs[].org_url) for domain, or NULL.
 * The Admin Console System Log link for uuid built from it
 * ("https://acme.okta.com" → "https://acme-admin.okta.com/report/
 * system_log_2?search=uuid+eq+%22UUID%22"): 1 when out holds it, 0 when
 * none can be built (no base, a custom domain, a uuid that is not plain
 * letters, digits and dashes, or out too small).
 */
const char *idw_evstore_okta_base(const struct idw_config *cfg, const char *domain);
int idw_evstore_okta_url(const char *okta_base, const char *uuid, char *out, size_t outlen) IDW_MUST_CHECK;

#endif
