/*
 * normalize.h — turns one Okta System Log LogEvent (a jansson object) into
 * an idw_event, and an idw_event into the TOTAL normalized JSON.
 *
 * The normalizer is pure: it reads only its input and options, and never
 * touches storage.  Identity (tuid), domain and GeoIP enrichment are filled
 * in afterwards by the pipeline.  It tolerates everything the real API
 * does: absent fields, nulls, the literal string "null", `target: null`,
 * debugData values that are strings or objects, unknown enum values, and
 * the lower-cased top-level keys some data-lake exports write.
 */
#ifndef IDW_NORMALIZE_H
#define IDW_NORMALIZE_H

#include <stddef.h>

#include <jansson.h>

#include "common/rc.h"
#include "event/event.h"

struct idw_norm_opts {
    /*
     * If non-NULL, only these event types are ingested (config
     * "ingest.event_types").  Otherwise every type is: one missing from
     * the classification table gets its fallback kind.
     */
    const char *const *allow_types;
    size_t n_allow_types;
    /*
     * Key for hashing usernames Okta does not know (HMAC-SHA256, 32 bytes),
     * so the hash that leaves idwatch in alerts cannot be looked up in a
     * password dictionary without the database's secret.  NULL = plain
     * SHA-256 (tests).
     */
    const unsigned char *unknown_user_key;
};

enum idw_norm_status {
    IDW_NORM_OK = 0,          /* *ev is filled; release with idw_event_clear */
    IDW_NORM_SKIP_TYPE,       /* event type left out by allow_types: counted, not an error */
    IDW_NORM_SKIP_NO_HUMAN,   /* no longer returned: an event without a person is kept (for rules) */
    IDW_NORM_REJECT,          /* unusable (no uuid, bad time, wrong types): err says why */
};

/*
 * Normalizes raw into *ev.  On IDW_NORM_OK the event holds its own
 * reference on raw (the caller keeps its own too).  On any other status
 * *ev is left cleared and holds nothing.  err receives a one-line reason
 * for IDW_NORM_REJECT and a short label for a skip ("type x").  opts may
 * be NULL (the defaults: every type).  An event with no person in it
 * (a SystemPrincipal, a client app, an unknown username) is kept with no
 * subject: rules judge it, no persona learns from it.
 */
enum idw_norm_status idw_normalize(json_t *raw, const struct idw_norm_opts *opts,
                                   struct idw_event *ev, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * The TOTAL normalized event (docs/schema.md): event_id, event_type,
 * source, signal_type, domain_id, tuid, timestamp, payload{}, raw_metadata{},
 * platform_event_id, platform_event_source, plus idwatch's `context{}`
 * (subject, ASN, session, device and risk facts the seed schema lacks).
 * Returns a new reference, or NULL on allocation failure.
 */
json_t *idw_event_to_json(const struct idw_event *ev) IDW_MUST_CHECK;

/* Parses Okta's "{New Device=POSITIVE, Velocity=NEGATIVE}" into IDW_BEH_* bits. */
unsigned idw_parse_behaviors(const char *s);

/*
 * Raw access for rule-specific fields the normalized event does not carry
 * (debugData.threatDetections, target role entries...).  idw_okta_get: a
 * member of an Okta JSON object, also found under its lower-case name
 * (data-lake exports lower-case keys); NULL when absent or obj is not an
 * object.  idw_event_debug_data: the event's debugContext.debugData object,
 * or NULL.
 */
json_t *idw_okta_get(const json_t *obj, const char *key);
const json_t *idw_event_debug_data(const struct idw_event *ev);

/*
 * One debugData value, for rules (the one way to read debugData; keys are
 * matched as idw_okta_get does).  Nothing is copied or allocated except
 * into out; returned strings live as long as the event.
 *   idw_event_debug_value  the JSON value, or NULL (for structured values:
 *                          threatDetections, risk objects)
 *   idw_event_debug_str    a string value, or NULL when absent, not a
 *                          string, "" or Okta's "null"
 *   idw_event_debug_num    a number, or a string that is wholly one ("42",
 *                          "0.5"): IDW_OK with *out; IDW_NOTFOUND (*out = 0)
 *                          when absent or anything else
 *   idw_event_debug_bool   true/false, or the strings "true"/"false" in any
 *                          case: IDW_OK with *out 1/0; IDW_NOTFOUND (*out = 0)
 *                          otherwise
 *   idw_event_debug_text   a string as is, or an array's strings joined with
 *                          ", ", into out (truncated, always terminated);
 *                          "" when absent.  Returns strlen(out).
 */
const json_t *idw_event_debug_value(const struct idw_event *ev, const char *key);
const char *idw_event_debug_str(const struct idw_event *ev, const char *key);
enum idw_rc idw_event_debug_num(const struct idw_event *ev, const char *key, double *out)
    IDW_MUST_CHECK;
enum idw_rc idw_event_debug_bool(const struct idw_event *ev, const char *key, int *out)
    IDW_MUST_CHECK;
size_t idw_event_debug_text(const struct idw_event *ev, const char *key, char *out, size_t outlen);

#endif
