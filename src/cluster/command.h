/*
 * command.h — analyst and operator commands as messages of an org's
 * partition stream (docs/scale-out.md, "Commands in the log"), so that a
 * partition's LMDB state stays a pure function of its stream: a review
 * or a pause takes effect where the stream puts it, identically for
 * every applier.
 *
 *   {"v":2, "type":"command", "org":"<domain_id>", "command":"review"|"pause"|"resume"|"starved",
 *    "at":<ms>, "by":"<who>", "id":"<32 hex: random 128 bits>", ...}
 *   review adds  "alert_id" (the full id), "status" ("acknowledged" | "resolved" |
 *                "false_positive"), optional "assignee" ("" unassigns), optional "note"
 *   pause/resume add optional "reason"
 *   starved adds "since", "ended" (ms; 0: still starved), "summary", "evidence": a worker's
 *                poller starved by rate limiting; applying raises connector_starved (T1562)
 *                at "at", as `run` raises it (cmd_worker.c publishes it)
 *
 * "at" is when the command was given: a review's history time is "at",
 * never the wall clock of whoever applies it.  "id" is the command's
 * identity: its Msg-Id is "cmd:" + id (a retried publish is stored once
 * within the stream's duplicate window), and applying records a marker
 * (meta "cluster_cmd"/<id>) in the same transaction, so a copy of the
 * command published later is skipped too.
 *
 * State kept in the store's meta table:
 *   "cluster_cmd"    / <id>   {"org","command","applied":bool,"reason"?}  one per decided command
 *   "cluster_paused" / <org>  {"paused":bool,"by","at","reason"?}        the latest pause/resume
 *
 * Nothing here reads the wall clock or the configured orgs: the outcome
 * depends only on the message and the database.  Single-threaded, like
 * the write transaction it runs in.  Return codes (common/rc.h) are named
 * per function.
 */
#ifndef IDW_COMMAND_H
#define IDW_COMMAND_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <lmdb.h>

#include "common/config.h"
#include "common/rc.h"
#include "store/store.h"

#define IDW_COMMAND_VERSION 2
#define IDW_COMMAND_ID_HEX 32           /* 128 bits */
#define IDW_COMMAND_MSGID_MAX 40        /* "cmd:" + 32 hex + NUL */
#define IDW_COMMAND_BY_MAX 128          /* bytes of "by" */
#define IDW_COMMAND_NOTE_MAX 2000       /* bytes of "note" (as the API's review) */
#define IDW_COMMAND_REASON_MAX 500      /* bytes of "reason" */
#define IDW_COMMAND_AT_MAX 253402300799999LL    /* "at" at most 9999-12-31T23:59:59.999Z */

/* What a review carries besides the common fields; strings are copied by the builder. */
struct idw_command_review {
    const char *alert_id;       /* the full id */
    const char *status;         /* "acknowledged" | "resolved" | "false_positive" */
    const char *assignee;       /* NULL: unchanged; "": unassigned; else a name of [A-Za-z0-9._@-] */
    const char *note;           /* may be NULL */
};

/*
 * A fresh command id: 32 lowercase hex digits from OpenSSL's CSPRNG into
 * out (IDW_COMMAND_ID_HEX + 1 bytes).  IDW_OK, or IDW_ERR with err.
 */
enum idw_rc idw_command_new_id(char out[IDW_COMMAND_ID_HEX + 1], char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Builds a checked command object (strings copied).  command is "review"
 * (rv required) or "pause" / "resume" (rv NULL; reason may be NULL).
 * IDW_OK with *out (json_decref), or IDW_ERR with err naming the field
 * (the same checks as idw_command_check).
 */
enum idw_rc idw_command_build(const char *org, const char *command, int64_t at_ms, const char *by,
                              const char *id, const struct idw_command_review *rv, const char *reason,
                              json_t **out, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Checks a command's shape: v is 2, type "command", org a domain_id,
 * command known, at an integer in 0..IDW_COMMAND_AT_MAX, by 1..IDW_COMMAND_BY_MAX bytes
 * without control characters, id 32 lowercase hex digits, the command's
 * own fields well formed, and no other key.  IDW_OK, or IDW_ERR with err
 * naming the field ("command: status: expected ...").
 */
enum idw_rc idw_command_check(const json_t *msg, char *err, size_t errlen) IDW_MUST_CHECK;

/* "cmd:" + the command's id into out.  IDW_OK, or IDW_ERR when msg has no valid id (out ""). */
enum idw_rc idw_command_msg_id(const json_t *msg, char out[IDW_COMMAND_MSGID_MAX]) IDW_MUST_CHECK;

/*
 * Applies msg inside the caller's write transaction txn (which the caller
 * commits, with its applied_seq, or aborts).  cfg gives the webhooks (a
 * review's new alert and incident versions are queued to the outbox, as
 * `idwatch alerts ack` queues them) and the persona settings (an fp
 * teaches the persona).
 *
 *   review  the alert (org, alert_id) gets the status, assignee and note,
 *           a history entry at msg.at by msg.by, version + 1, and its
 *           versions go to the outbox (alert/alert.h idw_alert_review)
 *   pause   meta "cluster_paused"/<org> = {"paused":true,"by","at","reason"?}
 *   resume  the same with "paused":false
 *
 * IDW_OK with *applied = 1, or *applied = 0 and reason saying why it was
 * skipped (deterministically, for every applier): the message fails
 * idw_command_check; its id was decided before (the marker); no such
 * alert in that org; a transition the alert's status refuses (it changes
 * nothing); pausing a paused org or resuming one that is not paused.  Every
 * decided command (applied or skipped, except a malformed one) leaves its
 * marker in txn.  IDW_ERR with err on a storage or sink failure, or out
 * of memory: abort txn (nothing of it may be committed).
 */
enum idw_rc idw_command_apply(struct idw_store *st, MDB_txn *txn, const struct idw_config *cfg,
                              const json_t *msg, int *applied, char *reason, size_t reasonlen,
                              char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Whether org is paused by a command (the worker's pollers consult it
 * before polling).  IDW_OK with *paused 1 or 0 (0 also when no command
 * ever paused it), or IDW_ERR with err (read error or a damaged record:
 * never taken for "not paused").
 */
enum idw_rc idw_command_org_paused(struct idw_store *st, MDB_txn *txn, const char *org, int *paused,
                                   char *err, size_t errlen) IDW_MUST_CHECK;

#endif
