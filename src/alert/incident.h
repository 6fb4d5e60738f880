/*
 * incident.h — incidents: the alerts of one compromise, grouped.
 *
 * One compromise shows up as several alerts of different rules (a factor
 * reset, a sign-in from a new place, an admin-plane change, a privilege
 * grant filed under the grantee).  The alert module (alert.c) hands every
 * alert version to this module inside the transaction that stores it,
 * before the alert's sinks see it, so every delivered alert version
 * carries its `incident_id`.  Who calls it: only alert.c.  Who it calls:
 * the store (the incidents table, and an index in rule_state under
 * "_incident") and the incident sinks (alert.h), e.g. the outbox.
 *
 * GROUPING.  A new alert (or one stored before incidents existed) joins
 * the open incident of its org that involves the same people — any
 * overlap between the alert's {tuid, actor_tuid} and the incident's
 * people — or, for an alert keyed by a source (no tuid), the same source
 * IP; and whose last_seen is within the window (event time) of the
 * alert's.  When several incidents qualify, the alert joins the one that
 * began first (then the smaller id): incidents are never merged, and the
 * people and source of the alert then point at that one for later alerts.
 * Otherwise a new incident is created, its id derived from the first
 * alert's id.  An alert stays in its incident for life.
 *
 * THE TAKEOVER CHAIN.  An "access" alert (the C rules impossible_travel,
 * mfa_fatigue, brute_force, password_spray, slow_spray, factor_reset,
 * new_context, okta_threat) for a person, followed (event time, at or
 * after it) by a "control" alert (privilege_grant, session_hijack, or any
 * Sigma rule: the admin plane) whose tuid or actor_tuid is that person,
 * marks the incident `takeover`: its severity becomes critical.
 *
 * THE INCIDENT DOCUMENT (JSON, table incidents, key (domain_id, incident_id)):
 *
 *   type            "incident"
 *   incident_id     UUID derived from (domain, first alert id)
 *   version         1 when created, +1 on every change (each handed to the sinks)
 *   domain_id       the Okta org
 *   title           "Account takeover: <login>" (takeover), "Suspicious activity:
 *                   <login>" (people), "<Rule> from <ip>" (a source only)
 *   severity        the highest of its alerts; critical on a takeover
 *   status          "open" while any alert is open or acknowledged, else "resolved"
 *   takeover        true once the chain above is seen
 *   people          [{tuid, user}] subjects and actors of its alerts (bounded)
 *   sources         [ip] the first source IP of each alert (bounded)
 *   alert_ids, rules   its alerts and their rules, in order of joining (bounded)
 *   alert_count, open_alerts   how many alerts; how many are open or acknowledged
 *   first_seen, last_seen, first_seen_ms, last_seen_ms   event times of its alerts
 *   historical      true while every alert of it was raised on backfilled history
 *   timeline        [{time, kind:"alert", alert_id, rule, severity, text, user}] an entry
 *                   per alert joining or escalating, the first IDW_INCIDENT_MAX_TIMELINE
 *   chain           {access:{tuid:ms}, control:{tuid:ms}} what the takeover rule needs
 *
 * Return codes are rc.h's; err names the incident or alert, never a secret.
 */
#ifndef IDW_INCIDENT_H
#define IDW_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <lmdb.h>

#include "alert/alert.h"
#include "common/rc.h"
#include "store/store.h"

#define IDW_INCIDENT_WINDOW_DEFAULT_MS (24LL * 3600 * 1000)
#define IDW_INCIDENT_MAX_TIMELINE 100
#define IDW_INCIDENT_MAX_LIST 100       /* people, sources, alert_ids, rules each */

/* What grouping needs from the alert registry. */
struct idw_incident_ctx {
    int64_t window_ms;                  /* join when within this of last_seen */
    const struct idw_alert_sink *sinks; /* each incident version goes to each, in order */
    size_t nsinks;
};

/*
 * Alert a is about to be published (`what` happened to it): assigns it to an incident (sets a's
 * "incident_id"), stores the incident's new version and hands it to the
 * sinks, in txn.  Connector alerts (no event) are not grouped: callers do
 * not pass them.  IDW_OK, or IDW_ERR with err (abort txn).
 */
IDW_MUST_CHECK enum idw_rc idw_incident_on_alert(const struct idw_incident_ctx *ic, struct idw_store *st,
                                                 MDB_txn *txn, json_t *a, enum idw_alert_change what,
                                                 char *err, size_t errlen);

/*
 * Alert a was reviewed from status `from` to its current one.  When the
 * review ended the alert's activity (open or acknowledged -> resolved or
 * false_positive), the incident's open count and status follow, as a new
 * version; any other review (an ack, an assignment, a note, resolved ->
 * false_positive) changes nothing, so no version is published.  An alert
 * without an incident (or whose incident is gone) changes nothing.
 * IDW_OK, or IDW_ERR with err (abort txn).
 */
IDW_MUST_CHECK enum idw_rc idw_incident_on_review(const struct idw_incident_ctx *ic, struct idw_store *st,
                                                  MDB_txn *txn, const json_t *a,
                                                  enum idw_alert_status from, char *err, size_t errlen);

/* "incident_id" of an incident document; NULL when missing. */
const char *idw_incident_id(const json_t *inc);

/*
 * The incident of any org whose id is incident_id: IDW_OK with *out
 * (caller json_decref's), IDW_NOTFOUND, IDW_ERR with err.
 */
IDW_MUST_CHECK enum idw_rc idw_incident_find(struct idw_store *st, MDB_txn *txn, const char *incident_id,
                                             json_t **out, char *err, size_t errlen);

/* Calls fn for every incident (org, then id); non-zero from fn stops.  IDW_OK, IDW_ERR with err. */
typedef int (*idw_incident_fn)(const json_t *inc, void *ctx);
IDW_MUST_CHECK enum idw_rc idw_incident_each(struct idw_store *st, MDB_txn *txn, idw_incident_fn fn,
                                             void *ctx, char *err, size_t errlen);

/*
 * The configuration's incidents.window_hours (root = the whole document;
 * absent: 24 h) in ms.  IDW_OK, or IDW_ERR with err naming the setting
 * when it is not a number of hours in (0, 720].
 */
IDW_MUST_CHECK enum idw_rc idw_incident_window_conf(const json_t *root, int64_t *ms, char *err,
                                                    size_t errlen);

#endif
