/*
 * detect.h — the detection engine: runs every enabled rule module
 * (rule.h) on each accepted event and hands their candidates to the alert
 * module (alert/alert.h), inside the event's LMDB transaction.
 *
 * The engine owns one alert registry (idw_detect_alerts): the CLI adds
 * its sinks there (the webhook outbox, deliver/outbox.h), so the engine
 * itself knows nothing of delivery.  Aggregation, versions and the alert
 * document are the alert module's (alert.h, docs/alerts.md).
 */
#ifndef IDW_DETECT_H
#define IDW_DETECT_H

#include <stddef.h>

#include <jansson.h>
#include <lmdb.h>

#include "alert/alert.h"
#include "common/rc.h"
#include "rules/rule.h"
#include "store/store.h"

struct idw_detect;

/*
 * Loads every registered rule with its configuration from
 * rules_dir/<id>.json (a missing file means the rule's defaults; NULL
 * rules_dir means defaults for all).  A config with "enabled": false
 * turns the rule off.  IDW_OK with *out (release with idw_detect_close),
 * or IDW_ERR with err naming the file, key and allowed range (*out NULL).
 */
enum idw_rc idw_detect_open(const char *rules_dir, struct idw_detect **out, char *err, size_t errlen)
    IDW_MUST_CHECK;

/* The same with another registry (NULL-terminated; tests load a rule of their own). */
enum idw_rc idw_detect_open_rules(const struct idw_rule *const *table, const char *rules_dir,
                                  struct idw_detect **out, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * The general form.  table: the C rules (NULL: the registry).  rules_dir:
 * the C rules' settings (<id>.json) and the Sigma rules (every *.yml and
 * *.yaml below it, in name order); NULL: defaults and no Sigma rules.
 * sigma_files: more Sigma files (NULL-terminated, may be NULL).  only: run
 * that one rule (a C rule's id, a Sigma rule's id or name; a correlation
 * keeps the rules it references) and no other; NULL: all.  A Sigma file
 * that cannot be loaded fails the whole open, naming file and line (a
 * rule never half-loads, and a rules directory never half-loads either).
 */
struct idw_detect_opts {
    const struct idw_rule *const *table;
    const char *rules_dir;
    const char *const *sigma_files;
    const char *only;
};
enum idw_rc idw_detect_open_opts(const struct idw_detect_opts *o, struct idw_detect **out, char *err,
                                 size_t errlen) IDW_MUST_CHECK;

/*
 * Whether an event reaches a rule: its kind carries one of the rule's
 * kinds, or the rule takes IDW_KINDS_ALL.  idw_detect_event calls a rule
 * only then.
 */
int idw_rule_wants(const struct idw_rule *r, const struct idw_event *ev);
void idw_detect_close(struct idw_detect *d);

/*
 * Runs the rules on ev.  before = the subject's persona before the event
 * (NULL: no subject); actor = the acting admin's persona before the event
 * when an admin acted on someone else (else NULL).  historical marks
 * alerts from backfill.  IDW_OK with *alerts (may be NULL) the number of
 * alerts created or updated and *worst (may be NULL) the highest severity
 * raised, 0 for none; or IDW_ERR on a storage error (err set; *alerts 0,
 * *worst 0: the caller abandons txn, so nothing was raised).
 */
enum idw_rc idw_detect_event(struct idw_detect *d, struct idw_store *st, MDB_txn *txn,
                             const char *domain, const struct idw_event *ev,
                             const struct idw_persona *before, const struct idw_persona *actor,
                             const struct idw_persona_params *prm, int historical,
                             unsigned *alerts, enum idw_severity *worst, char *err, size_t errlen)
    IDW_MUST_CHECK;

/*
 * The engine's alert registry: where the CLI adds sinks (idw_alerts_add_sink)
 * before the first event.  Owned by d; valid until idw_detect_close.
 */
struct idw_alerts *idw_detect_alerts(struct idw_detect *d);

/* The engine's Sigma rules (never NULL once open), for `rules test` and listings. */
struct idw_sigma_set;
const struct idw_sigma_set *idw_detect_sigma(const struct idw_detect *d);

/* Logs each live (not historical) alert at info as it is raised or escalated: the daemon's choice. */
void idw_detect_log_alerts(struct idw_detect *d, int on);

/*
 * {"id", "description", "enabled", "config", "params", "kinds"} for each
 * rule (`idwatch rules list`); kinds: the IDW_K_* names, or ["ALL"].
 * Caller json_decref's; NULL when out of memory (never a list with a rule
 * missing).
 */
json_t *idw_detect_describe(const struct idw_detect *d) IDW_MUST_CHECK;

#endif
