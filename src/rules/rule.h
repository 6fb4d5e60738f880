/*
 * rule.h — the one small interface every detection rule module implements.
 *
 * A rule module is one file, src/rules/rule_<id>.c, defining one
 * `const struct idw_rule`; it is registered by one line in rules.c.  For
 * every accepted event the engine calls on_event with:
 *
 *   - the normalized event,
 *   - the subject's persona as it was BEFORE this event (the baseline the
 *     event is judged against; NULL when the event has no subject; novelty
 *     is judged with idw_persona_knows, which ignores values first seen in
 *     an alerting event),
 *   - a handle for the rule's own durable state and for emitting alerts,
 *   - the rule's settings, already checked and converted (struct
 *     idw_rule_param below): a rule has no init or free of its own.
 *
 * Only events of the kinds the rule declares reach it.  The shared
 * judgements (is this network new to the user? how many failures in the
 * window?) are the primitives of rules/prim.h; a rule uses them rather
 * than its own copy, so that two rules never disagree on what "new" means.
 *
 * Rules keep no memory of their own between events: windows and counters
 * live in the rule state (LMDB, same transaction as the event), so a
 * restart neither forgets a half-built spray nor double-counts, and a file
 * replay gives the same alerts as live polling.  Every time is event time.
 */
#ifndef IDW_RULE_H
#define IDW_RULE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "alert/alert.h"
#include "common/rc.h"
#include "event/event.h"
#include "persona/persona.h"

struct idw_detect_ctx;

/* Emits an alert candidate (alert/alert.h) for the current event. */
void idw_detect_emit(struct idw_detect_ctx *ctx, const struct idw_alert_candidate *c);

/*
 * Rule state: small fixed-size records keyed by (rule, domain, key), read
 * and written inside the event's transaction.  Each record is stored as
 * one version byte, then the record's bytes (a plain struct of integers
 * and char arrays; its layout is the host's, and the build refuses a
 * big-endian host, so the stored form is little-endian).  A rule bumps its
 * record's version whenever it changes the struct, even at equal size.
 *
 *   idw_state_get  IDW_OK: rec filled.  IDW_NOTFOUND: absent, or stored
 *                  under another version or size (an older idwatch wrote
 *                  it: it is never misread, a warning is logged once per
 *                  rule and process); rec zeroed.  IDW_ERR: storage failed;
 *                  rec zeroed and the ctx's sticky failure set (the event's
 *                  transaction will be abandoned), so callers may go on as
 *                  for NOTFOUND.  size at most IDW_STATE_MAX.
 *   idw_state_put  IDW_OK, or IDW_ERR with the sticky failure set.
 */
#define IDW_STATE_MAX 4096
enum idw_rc idw_state_get(struct idw_detect_ctx *ctx, const char *key, uint8_t version, void *rec,
                          size_t size) IDW_MUST_CHECK;
enum idw_rc idw_state_put(struct idw_detect_ctx *ctx, const char *key, uint8_t version,
                          const void *rec, size_t size);

/* The parameters of the persona model (half-life, learning). */
const struct idw_persona_params *idw_detect_params(const struct idw_detect_ctx *ctx);

/*
 * The persona of the admin who acted on the event's subject, as it was
 * before the event — e.g. who granted a role, who reset factors — or NULL
 * when no human other than the subject acted.
 */
const struct idw_persona *idw_detect_actor(const struct idw_detect_ctx *ctx);

/*
 * Org-wide view of networks, for telling shared egress (a corporate VPN or
 * ZTNA exit, an office NAT) from a network new to everyone.  Counts are of
 * distinct users whose persona learned the value (approximate: a value
 * evicted and relearned counts twice).
 *   idw_org_users_with   users with an ASN ("AS123", IDW_DIM_ASNS), a /24
 *                        (IDW_DIM_PREFIXES, see idw_ip_prefix) or a country
 *                        (IDW_DIM_COUNTRIES) in their trusted routine
 *   idw_org_users        users of the org
 *   idw_org_shared_egress the /24 of ip is in the routine of at least
 *                        IDW_SHARED_EGRESS_USERS users: a VPN/ZTNA/office exit,
 *                        whose geolocation says nothing about the person
 *   idw_org_common_asn   the ASN is used by at least IDW_SHARED_EGRESS_USERS
 *                        users and a tenth of the org: new to this user but
 *                        ordinary for the org
 */
#define IDW_SHARED_EGRESS_USERS 3
unsigned idw_org_users_with(struct idw_detect_ctx *ctx, enum idw_dim d, const char *value);
unsigned idw_org_users(struct idw_detect_ctx *ctx);
int idw_org_shared_egress(struct idw_detect_ctx *ctx, const char *ip);
int idw_org_common_asn(struct idw_detect_ctx *ctx, uint32_t asn);

/*
 * Score points (0..25) for Okta's own risk signals on an event —
 * ThreatInsight's threatSuspected, ITP risk level, and the strong POSITIVE
 * behaviors (velocity, new country) — that rules add to their scores.
 */
int idw_okta_risk_points(const struct idw_event *ev);

/*
 * One setting of a rule (rules/<id>.json): its name, type, default and
 * allowed range, a line of documentation, and where it goes in the rule's
 * config struct.  The engine checks every rule file against its rule's
 * table (unknown keys, wrong types and values out of range are refused
 * with the file, the key and the range), then allocates the config struct
 * (config_size bytes, zeroed), writes every setting into it, defaults
 * filled in, and hands it to on_event.  The field at offset is:
 *
 *   IDW_PARAM_INTEGER                    unsigned
 *   IDW_PARAM_NUMBER, IDW_UNIT_NONE      double
 *   IDW_PARAM_NUMBER, a time unit        int64_t milliseconds (value x unit)
 *   IDW_PARAM_STRINGS                    struct idw_strings (absent: strings_def)
 */
enum idw_param_type {
    IDW_PARAM_NUMBER,       /* any number in [min, max] */
    IDW_PARAM_INTEGER,      /* an integer in [min, max] */
    IDW_PARAM_STRINGS,      /* an array of at most max strings (min, def unused); absent: the
                               rule's built-in list */
};

enum idw_param_unit { IDW_UNIT_NONE, IDW_UNIT_MINUTES, IDW_UNIT_HOURS, IDW_UNIT_DAYS };

struct idw_rule_param {
    const char *name;
    double def, min, max;
    enum idw_param_type type;
    const char *doc;
    size_t offset;                  /* offsetof(the rule's config struct, its field) */
    enum idw_param_unit unit;
    const char *const *strings_def; /* IDW_PARAM_STRINGS: the built-in list, NULL-terminated */
};

/* The row that ends a table. */
#define IDW_PARAM_END {.name = NULL}

/* A list setting: n strings that live as long as the loaded rules. */
#define IDW_STRINGS_MAX 256
struct idw_strings {
    unsigned n;
    const char *v[IDW_STRINGS_MAX];
};

/* Case-insensitive: does text contain any of the strings?  (0 for a NULL text.) */
int idw_strings_find(const struct idw_strings *l, const char *text);

/* kinds: every event, those of types outside the classification table included. */
#define IDW_KINDS_ALL (~0u)

struct idw_rule {
    const char *id;                 /* stable, part of the alert contract */
    const char *description;
    /*
     * The event kinds (IDW_K_* of event/classify.h) the rule looks at: the
     * engine calls on_event only for an event whose kind has one of them.
     */
    unsigned kinds;
    const struct idw_rule_param *params;    /* terminated by an entry with name NULL */
    size_t config_size;             /* sizeof the struct the params are written into */
    /*
     * Optional: what the table cannot say (a setting bounded by the
     * rule's state capacity, an order between settings).  IDW_OK, or
     * IDW_ERR with err saying which setting and why.
     */
    enum idw_rc (*check)(const void *config, char *err, size_t errlen);
    void (*on_event)(const void *config, struct idw_detect_ctx *ctx, const struct idw_event *ev,
                     const struct idw_persona *before);
};

/* The registry (rules.c), NULL-terminated. */
extern const struct idw_rule *const idw_rule_table[];

#endif
