/*
 * alert.h — the one owner of the alert document: created from a rule's
 * candidate (or by the connector about itself), aggregated, versioned,
 * reviewed by an analyst, stored, and handed to the sinks.
 *
 * Who calls it: the engine (engine/detect.c) raises an alert for each
 * candidate a rule emits, inside the event's transaction; the connector
 * alert is raised in a transaction of its own; `idwatch alerts` reads and
 * reviews alerts.  Who it calls: the store (LMDB), the persona model (an
 * `fp` verdict teaches the persona) and its sinks.  It knows nothing of
 * webhooks: the outbox (deliver/outbox.h) is one sink among possible
 * others, registered by the CLI.
 *
 * Every change of an alert — created, aggregated, reviewed, connector —
 * is a new version: `version` moves by exactly one, the document is
 * stored, and each sink receives it, all in the caller's write
 * transaction.  A sink that fails fails the call (IDW_ERR), and the caller
 * aborts the transaction: an alert version exists exactly when every sink
 * accepted it (for the outbox: when its deliveries are queued).  SOARs
 * de-duplicate on `alert_id:version`, so a version that failed to move
 * would be dropped there as a repeat.
 *
 * THE ALERT DOCUMENT (JSON, stored under (domain_id, alert_id) in the
 * store's alerts table; docs/alerts.md is the same list for users):
 *
 *   alert_id        UUID derived from (domain, rule, entity, first event uuid);
 *                   connector alerts: (domain, rule, entity, first time)
 *   rule            the rule id ("connector_starved" for the connector)
 *   severity        "low" | "medium" | "high" | "critical" (severity.h); only rises
 *   score           0..100; only rises
 *   domain_id       the Okta org
 *   tuid, user      the affected person's tuid and login; null when the
 *                   entity is a source ("ip:...", "asn:...") or the org
 *   actor, actor_tuid   the human who acted when it is not the subject (the
 *                   admin who granted the role or reset the factor; the admin
 *                   behind an alert keyed by a group): login (else Okta id) and
 *                   tuid; null otherwise, for source-keyed alerts and the connector
 *   incident_id     the incident it belongs to (alert/incident.h); null for
 *                   the connector
 *   ip              the source IP of the first event (null: connector)
 *   entity          the aggregation key, e.g. "user:<tuid>", "org:<domain>"
 *   first_seen, last_seen, first_seen_ms, last_seen_ms
 *                   event times (RFC 3339 and epoch ms); wall clock for the
 *                   connector
 *   event_ids       the Okta uuids involved, the first IDW_ALERT_MAX_EVENT_IDS
 *   event_count     how many events folded in (0: connector)
 *   summary, evidence   the latest (or highest-severity) candidate's text
 *   mitre           technique ids, the union over the candidates
 *   stage           breach-lifecycle stage ("" when none)
 *   status          "open" | "acknowledged" | "resolved" | "false_positive"
 *   history         the reviews, oldest first: {time, status, note, by,
 *                   assignee (only when the review set it)}; absent until
 *                   the first review
 *   assignee        the analyst an alert is assigned to; absent until a
 *                   review assigns it, null once unassigned
 *   historical      raised on backfilled history (not delivered unless a
 *                   webhook asks); cleared when live activity updates it
 *   version         1 when created, +1 on every change
 *   context         where the first event came from, as personas key it:
 *                   {asn, as_org, ip_prefix, country, device, app, app_name},
 *                   each null when absent; null for the connector.  What
 *                   `fp` teaches the persona (idw_persona_trust_context).
 *
 * Return codes are rc.h's.  err (when given) names the alert or the
 * storage operation, never a secret.
 */
#ifndef IDW_ALERT_H
#define IDW_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <lmdb.h>

#include "common/rc.h"
#include "common/severity.h"
#include "event/event.h"
#include "persona/persona.h"
#include "store/store.h"

#define IDW_ALERT_MAX_EVENT_IDS 100     /* kept per alert; event_count keeps counting */

/* What a rule reports; the alert module aggregates and stores it. */
struct idw_alert_candidate {
    enum idw_severity severity;
    int score;                      /* 0..100 */
    char entity[160];               /* aggregation key, e.g. "user:<tuid>", "ip:203.0.113.9" */
    int64_t window_ms;              /* same rule + entity within this window updates one alert */
    char summary[256];              /* one human sentence */
    char evidence[768];             /* what deviated from what baseline */
    const char *mitre;              /* technique ids, comma-separated, e.g. "T1078,T1078.004" */
    const char *stage;              /* "Compromise Identity", "Privilege Escalation", ... */
};

/* ---- the document's keys ------------------------------------------------------
 * Readers of a stored or delivered alert use these rather than the key
 * strings, so a misspelt key cannot compile.  They never fail: a missing or
 * mistyped field reads as the stated default.
 */
enum idw_alert_status {
    IDW_ALERT_OPEN,
    IDW_ALERT_ACKNOWLEDGED,
    IDW_ALERT_RESOLVED,
    IDW_ALERT_FALSE_POSITIVE,
};

const char *idw_alert_id(const json_t *a);              /* NULL when missing */
int64_t idw_alert_version(const json_t *a);             /* 0 when missing */
const char *idw_alert_rule(const json_t *a);            /* NULL when missing */
enum idw_severity idw_alert_severity(const json_t *a);  /* IDW_SEV_LOW when missing or unknown */
enum idw_alert_status idw_alert_status(const json_t *a);/* IDW_ALERT_OPEN when missing or unknown */
const char *idw_alert_domain(const json_t *a);          /* NULL when missing */
const char *idw_alert_user(const json_t *a);            /* login; NULL when none */
const char *idw_alert_tuid(const json_t *a);            /* NULL when none */
const char *idw_alert_actor(const json_t *a);           /* the acting admin's login; NULL when none */
const char *idw_alert_actor_tuid(const json_t *a);      /* NULL when none */
const char *idw_alert_incident_id(const json_t *a);     /* NULL when none */
int64_t idw_alert_last_seen_ms(const json_t *a);        /* 0 when missing */
int idw_alert_historical(const json_t *a);              /* 1 when raised on backfilled history */

/* "open", "acknowledged", "resolved", "false_positive" (static storage). */
const char *idw_alert_status_name(enum idw_alert_status s);

/* ---- sinks --------------------------------------------------------------------- */

/*
 * Receives every new version of every alert, inside the write transaction
 * that stores it.  alert is borrowed for the call (copy what must outlive
 * it).  Returns IDW_OK, or IDW_ERR with err set: the alert call then fails
 * and its caller aborts the transaction.  st and txn are the alert's.
 */
typedef enum idw_rc (*idw_alert_sink_fn)(struct idw_store *st, MDB_txn *txn, const json_t *alert,
                                         void *ctx, char *err, size_t errlen);

struct idw_alert_sink {
    idw_alert_sink_fn fn;
    void *ctx;
    void (*release)(void *ctx);     /* frees ctx with the registry; may be NULL */
};

/*
 * The alert module's settings: its sinks, in the order they were added,
 * and whether raised alerts are logged.  One per engine (detect.h) or
 * per command; single-threaded like the transaction it is used in.
 */
struct idw_alerts;

/* A registry with no sink, not logging.  NULL when out of memory. */
struct idw_alerts *idw_alerts_new(void) IDW_MUST_CHECK;

/* Releases every sink's ctx (their release functions), then al.  NULL is fine. */
void idw_alerts_free(struct idw_alerts *al);

/*
 * Adds a sink after the others.  The registry owns s->ctx from this call
 * on, whatever it returns: on IDW_ERR (out of memory) s->release has
 * already been called.
 */
IDW_MUST_CHECK enum idw_rc idw_alerts_add_sink(struct idw_alerts *al, const struct idw_alert_sink *s);

/*
 * Adds a sink for incident versions (alert/incident.h): every new version
 * of an incident, in the same transaction, with the incident document in
 * place of the alert.  Ownership as for idw_alerts_add_sink.
 */
IDW_MUST_CHECK enum idw_rc idw_alerts_add_incident_sink(struct idw_alerts *al,
                                                      const struct idw_alert_sink *s);

/* Alerts join an open incident whose last_seen is within this (event time; default 24 h). */
void idw_alerts_incident_window(struct idw_alerts *al, int64_t window_ms);

/* Logs each live (not historical) alert at info as it is raised or escalated: the daemon's choice. */
void idw_alerts_log(struct idw_alerts *al, int on);

/* ---- raising --------------------------------------------------------------------- */

/* What raised a candidate: the rule, on which event, in which org. */
struct idw_alert_origin {
    const char *domain;
    const char *rule;
    const struct idw_event *ev;     /* its time, uuid, subject, source and context */
    int historical;                 /* a backfilled event */
};

enum idw_alert_change {
    IDW_ALERT_CREATED = 1,          /* a new alert, version 1 */
    IDW_ALERT_UPDATED,              /* folded into the open alert, severity unchanged */
    IDW_ALERT_ESCALATED,            /* folded in, and the severity rose */
};

/*
 * Folds candidate c into the open alert of (o->rule, o->domain, c->entity)
 * when that alert's last_seen is within c->window_ms of the event and no
 * analyst resolved it or called it a false positive; otherwise creates a
 * new alert.  Folding keeps the later last_seen, appends the event (up to
 * IDW_ALERT_MAX_EVENT_IDS), takes the candidate's severity, summary and
 * evidence when not lower, the higher score and the union of techniques,
 * and clears `historical` on live activity.  The alert then joins (or
 * updates) its incident (alert/incident.h: a new incident version to the
 * incident sinks), and the version is stored and handed to the sinks,
 * in txn.  A created alert also counts in meta "alerts_raised" (by rule
 * and severity).  *change (may be NULL) says
 * what happened.  IDW_OK, or IDW_ERR with err (abort txn).
 */
IDW_MUST_CHECK enum idw_rc idw_alert_raise(struct idw_alerts *al, struct idw_store *st, MDB_txn *txn,
                                           const struct idw_alert_origin *o,
                                           const struct idw_alert_candidate *c,
                                           enum idw_alert_change *change, char *err, size_t errlen);

/*
 * An alert about the connector itself, with no Okta event behind it (the
 * poller starved of System Log access: rule_id "connector_starved").
 * c->entity is the aggregation key (e.g. "org:<domain>"); first/last seen
 * are now_ms (wall clock); event_ids is empty.  Created, or folded into
 * the open alert of (rule_id, entity) within c->window_ms (last_seen,
 * summary and evidence replaced), stored and handed to the sinks in a
 * write transaction of its own (so none may be open in this thread).
 * IDW_OK, or IDW_ERR with err (nothing written).
 */
/*
 * The same inside the caller's write transaction txn (the scale-out
 * applier raises it from a command of the log, with the command's time as
 * now_ms, and commits it with the partition's applied_seq).
 */
IDW_MUST_CHECK enum idw_rc idw_alert_raise_connector_in(struct idw_alerts *al, struct idw_store *st,
                                                        MDB_txn *txn, const char *domain, const char *rule_id,
                                                        const struct idw_alert_candidate *c,
                                                        int64_t now_ms, char *err, size_t errlen);
IDW_MUST_CHECK enum idw_rc idw_alert_raise_connector(struct idw_alerts *al, struct idw_store *st,
                                                     const char *domain, const char *rule_id,
                                                     const struct idw_alert_candidate *c,
                                                     int64_t now_ms, char *err, size_t errlen);

/* ---- review ------------------------------------------------------------------------ */

/*
 * An analyst's verdict.  The transitions allowed:
 *
 *   open          -> acknowledged | resolved | false_positive
 *   acknowledged  -> resolved | false_positive
 *   resolved      -> false_positive   (the analyst learned it was the user)
 *   false_positive-> (none: the persona has been taught)
 *
 * Anything else (including the status it already has) is refused.
 * to == IDW_ALERT_OPEN means "no status change": an assignment or a note
 * alone (at least one of them), still a new version with a history entry.
 */
struct idw_alert_review {
    enum idw_alert_status to;       /* acknowledged, resolved, false_positive; OPEN: unchanged */
    const char *note;               /* may be NULL */
    const char *assignee;           /* NULL: unchanged; "": unassigned (null); else the analyst */
    const char *by;                 /* the analyst's identity (OS user or --by); required */
    int64_t at_ms;                  /* wall clock of the review */
    const struct idw_persona_params *prm;   /* for false_positive's persona teaching */
    const char *domain;             /* the alert's org when the caller knows it: read directly;
                                       NULL: searched for in every org (idw_alert_find, a walk) */
};

/*
 * Records r on the alert alert_id (of r->domain, else whichever org holds it): the status,
 * the assignee, a history entry {time, status, note, by}, and a new version, stored and
 * handed to the sinks in txn.  false_positive also teaches the user's
 * persona the alert's context (idw_persona_trust_context) and moves the
 * persona generation so running pipelines reload it; an alert keyed by a
 * source, or whose user has no persona, teaches nothing.  *out (may be
 * NULL) receives the new version (caller json_decref's).
 * IDW_OK; IDW_NOTFOUND when there is no such alert; IDW_ERR with err for a
 * refused transition or a storage or sink failure (abort txn).
 */
/*
 * Whether idw_alert_review would refuse r on the stored alert a: 0 when
 * it may apply, 1 with err saying why (a transition not allowed, or no
 * status, assignee or note).  Lets a caller tell a refusal (HTTP 409)
 * from a storage failure before writing.
 */
IDW_MUST_CHECK int idw_alert_review_refused(const json_t *a, const char *alert_id,
                                            const struct idw_alert_review *r, char *err, size_t errlen);

IDW_MUST_CHECK enum idw_rc idw_alert_review(struct idw_alerts *al, struct idw_store *st, MDB_txn *txn,
                                            const char *alert_id, const struct idw_alert_review *r,
                                            json_t **out, char *err, size_t errlen);

/* ---- reading ------------------------------------------------------------------------ */

/*
 * The stored alert (domain, alert_id): IDW_OK with *out (caller
 * json_decref's), IDW_NOTFOUND (*out NULL), IDW_ERR on a read error (*out
 * NULL, err set).  A document that does not parse reads as absent.
 */
IDW_MUST_CHECK enum idw_rc idw_alert_get(struct idw_store *st, MDB_txn *txn, const char *domain,
                                         const char *alert_id, json_t **out, char *err, size_t errlen);

/* The same, for an alert of any org (what an analyst types is only the id). */
IDW_MUST_CHECK enum idw_rc idw_alert_find(struct idw_store *st, MDB_txn *txn, const char *alert_id,
                                          json_t **out, char *err, size_t errlen);

/*
 * The alert whose id starts with prefix (what an analyst types: the full id
 * or at least IDW_ALERT_PREFIX_MIN of its leading characters,
 * case-insensitive), of any org.  IDW_OK with *out (caller json_decref's);
 * IDW_NOTFOUND when none matches; IDW_EXISTS when several do: *candidates
 * (may be NULL; caller json_decref's) then holds their ids, sorted, at most
 * IDW_ALERT_PREFIX_LIST of them; IDW_ERR on a read error, or a prefix
 * idw_alert_check_prefix refuses (err says which).  *out and *candidates
 * are NULL unless set above.
 */
#define IDW_ALERT_PREFIX_MIN 4
#define IDW_ALERT_PREFIX_LIST 20
/*
 * Whether prefix can name an alert: at least IDW_ALERT_PREFIX_MIN
 * characters, only hex digits and '-'.  IDW_OK, or IDW_ERR with err quoting
 * it (a usage error for whoever typed it).
 */
IDW_MUST_CHECK enum idw_rc idw_alert_check_prefix(const char *prefix, char *err, size_t errlen);

IDW_MUST_CHECK enum idw_rc idw_alert_find_prefix(struct idw_store *st, MDB_txn *txn, const char *prefix,
                                                 json_t **out, json_t **candidates, char *err,
                                                 size_t errlen);

/*
 * Calls fn for every stored alert, in key order (org, then id); fn
 * returning non-zero stops the walk.  fn borrows alert for the call.
 * Documents that do not parse are skipped.  IDW_OK, or IDW_ERR with err.
 */
typedef int (*idw_alert_fn)(const json_t *alert, void *ctx);
IDW_MUST_CHECK enum idw_rc idw_alert_each(struct idw_store *st, MDB_txn *txn, idw_alert_fn fn, void *ctx,
                                          char *err, size_t errlen);

#endif
