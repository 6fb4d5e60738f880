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
 *   - a handle for the rule's own durable state and for emitting alerts.
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
#include "event/event.h"
#include "persona/persona.h"

struct idw_detect_ctx;

/* Emits an alert candidate (alert/alert.h) for the current event. */
void idw_detect_emit(struct idw_detect_ctx *ctx, const struct idw_alert_candidate *c);

/*
 * Rule state: small values keyed by (rule, domain, key), read and written
 * inside the event's transaction.  get returns the value's length (0 when
 * absent; at most cap bytes are copied), put returns 0 or -1.
 */
size_t idw_state_get(struct idw_detect_ctx *ctx, const char *key, void *buf, size_t cap);
int idw_state_put(struct idw_detect_ctx *ctx, const char *key, const void *val, size_t len);

/* A number from a rule's configuration, or def when absent (config may be NULL); the engine fills
 * in every parameter's default, so def matters only for a NULL config. */
double idw_rule_number(const json_t *config, const char *key, double def);

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
 * allowed range, and a line of documentation.  The
 * engine checks every rule file against its rule's table before init —
 * unknown keys, wrong types and values out of range are refused with the
 * file, the key and the range — and hands init a configuration with every
 * setting present ("enabled" plus each parameter, default filled in).
 */
enum idw_param_type {
    IDW_PARAM_NUMBER,       /* any number in [min, max] */
    IDW_PARAM_INTEGER,      /* an integer in [min, max] */
    IDW_PARAM_STRINGS,      /* an array of at most max strings (min, def unused); absent: the
                               rule's built-in list */
};

struct idw_rule_param {
    const char *name;
    double def, min, max;
    enum idw_param_type type;
    const char *doc;
};

struct idw_rule {
    const char *id;                 /* stable, part of the alert contract */
    const char *description;
    const struct idw_rule_param *params;    /* terminated by an entry with name NULL */
    /*
     * Reads the rule's configuration (rules/<id>.json; NULL = defaults)
     * into a private object.  Returns NULL with err set on a bad config.
     */
    void *(*init)(const json_t *config, char *err, size_t errlen);
    void (*on_event)(void *self, struct idw_detect_ctx *ctx, const struct idw_event *ev,
                     const struct idw_persona *before);
    void (*free)(void *self);       /* `free` itself for a plain calloc'd config */
};

/* The registry (rules.c), NULL-terminated. */
extern const struct idw_rule *const idw_rule_table[];

#endif
