/*
 * sigma.h — declarative detection rules in the Sigma format (SigmaHQ's
 * rule and correlation specification), compiled at load and evaluated on
 * the raw Okta LogEvent.
 *
 * Where it fits: a layer above rules/ (C modules) and below engine/.  The
 * engine loads every *.yml / *.yaml file under the rules directory into
 * one set, calls idw_sigma_match for each accepted event, turns each
 * match into an alert (with persona-aware severity, engine/context.h),
 * and feeds each match to the correlation rules that reference it
 * (idw_sigma_correlate, whose windows live in rule state: the event's
 * LMDB transaction, so a restart or a replay gives the same alerts).
 *
 * Fields are Okta LogEvent JSON paths as SigmaHQ writes them
 * ("eventType", "outcome.result", "debugContext.debugData.behaviors");
 * a path component is matched exactly, else case-insensitively (the
 * older all-lower-case spelling "eventtype", and data-lake exports); a
 * path through an array matches when any element matches ("target.type").
 * Paths under "idwatch." read the engine's persona facts (docs/rules.md).
 *
 * Loading is all or nothing per file: a construct idwatch does not support,
 * or a malformed rule, refuses the file with "file:line: reason" and
 * nothing of it is kept.  Ownership: the set owns every rule and every
 * string reachable from idw_sigma_info; they live until idw_sigma_set_free.
 */
#ifndef IDW_SIGMA_H
#define IDW_SIGMA_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/rc.h"
#include "common/severity.h"
#include "rules/rule.h"

struct idw_sigma_set;
struct idw_sigma_rule;

/* What the engine, the CLI and the docs need to know of a loaded rule. */
struct idw_sigma_info {
    const char *id;             /* `id` as written, else `name`, else "<file>#<n>" */
    const char *name;           /* `name`, or NULL */
    const char *title;
    const char *description;    /* "" when absent */
    const char *status;         /* "" when absent */
    const char *file;           /* the path it was loaded from */
    unsigned line;              /* 1-based line where the rule's document starts */
    enum idw_severity level;    /* `level`; informational -> IDW_SEV_LOW; absent -> MEDIUM */
    int informational;          /* `level: informational` */
    const char *mitre;          /* "T1098,T1556.006" from the attack.tNNNN tags, "" when none */
    const char *tactic;         /* the first attack.<tactic> tag ("defense-evasion"), "" when none */
    int is_correlation;
    /* idwatch's own keys (the `idwatch:` custom section, docs/rules.md) */
    int context;                /* persona-aware severity: 1 unless `idwatch: {context: false}` */
    int generates;              /* its matches raise alerts: 0 for a detection rule that only a
                                   correlation without `generate: true` references (set by link) */
    int64_t window_ms;          /* alert aggregation window: `idwatch: {window: 1h}`, default 1 h */
    const json_t *tests;        /* `idwatch: {tests: [...]}` as JSON, or NULL */
    const json_t *doc;          /* the whole rule document as JSON (rules list --json) */
};

/* The event as rules see it. */
struct idw_sigma_event {
    const json_t *raw;          /* the Okta LogEvent object */
    const char *event_type;     /* its eventType, NULL when absent */
    /*
     * The persona facts, {"actor": {...}, "target": {...}}, for paths under
     * "idwatch.": called at most once per event and only when a rule reads
     * such a field; may be NULL, or return NULL (every idwatch.* field is
     * then absent).
     */
    const json_t *(*facts)(void *arg);
    void *facts_arg;
};

/* IDW_OK with an empty set, or IDW_ERR when out of memory. */
enum idw_rc idw_sigma_set_new(struct idw_sigma_set **out) IDW_MUST_CHECK;
void idw_sigma_set_free(struct idw_sigma_set *s);

/*
 * Files loaded afterwards whose path starts with root + "/" are named by the
 * rest of their path in the default id of a rule without id or name
 * ("okta/x.yml#1", not "/var/lib/idwatch/.../okta/x.yml#1"): the same rules
 * give the same alert ids wherever their directory is.  root is copied.
 * IDW_ERR only when out of memory.
 */
enum idw_rc idw_sigma_set_root(struct idw_sigma_set *s, const char *root) IDW_MUST_CHECK;

/*
 * Calls fn(path, arg) for every rule file (*.yml, *.yaml) under dir, in name
 * order, depth first, skipping dot files, at most 8 directories deep.  A
 * result other than IDW_OK from fn stops the walk and is returned.  Returns
 * IDW_OK when every file was visited, IDW_NOTFOUND when dir does not exist,
 * IDW_ERR when dir or a directory under it cannot be read (err names it).
 */
enum idw_rc idw_sigma_each_file(const char *dir, enum idw_rc (*fn)(const char *path, void *arg), void *arg,
                                char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Loads every YAML document of a file (or of a buffer; name is what errors
 * call it).  IDW_OK: its rules were added.  IDW_NOTFOUND: the file holds no
 * Okta rule (another logsource product): nothing added, err says why (the
 * caller may say so and go on).  IDW_ERR: nothing of the file added, err =
 * "file:line: reason".  Call idw_sigma_link after the last load.
 */
enum idw_rc idw_sigma_load_file(struct idw_sigma_set *s, const char *path, char *err, size_t errlen)
    IDW_MUST_CHECK;
enum idw_rc idw_sigma_load_buffer(struct idw_sigma_set *s, const char *name, const char *text, size_t len,
                                  char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Resolves correlation references (by id or name), refuses duplicate ids,
 * sets `generates`, and builds the eventType dispatch.  IDW_OK, or IDW_ERR
 * with err = "file:line: reason" (the set must then be freed).
 */
enum idw_rc idw_sigma_link(struct idw_sigma_set *s, char *err, size_t errlen) IDW_MUST_CHECK;

/* The rules in load order; idw_sigma_at NULL past the end. */
size_t idw_sigma_count(const struct idw_sigma_set *s);
const struct idw_sigma_rule *idw_sigma_at(const struct idw_sigma_set *s, size_t i);
const struct idw_sigma_info *idw_sigma_info(const struct idw_sigma_rule *r);

/*
 * The rule by id or name, or NULL.  Turning a rule off (rules/<id>.json
 * "enabled": false, or `rules test` running one rule) must happen before
 * idw_sigma_link; a correlation whose rules are off never fires.
 */
const struct idw_sigma_rule *idw_sigma_find(const struct idw_sigma_set *s, const char *id_or_name);
void idw_sigma_set_enabled(struct idw_sigma_set *s, const char *id, int on);
int idw_sigma_enabled(const struct idw_sigma_rule *r);

/*
 * A `struct idw_rule` standing for the Sigma rule (id, title; no on_event):
 * what the engine puts in a detection context so that the alert's rule and
 * the rule state's key are the Sigma rule's id.
 */
const struct idw_rule *idw_sigma_as_rule(const struct idw_sigma_rule *r);

/*
 * Calls on_match(arg, r) for every enabled detection rule whose detection
 * matches ev, in load order, and returns how many matched.  Only rules that
 * can match ev's eventType are evaluated (dispatch built by link; an event
 * whose event_type is NULL goes to every rule).  Allocates nothing; not for
 * two threads at once on one set (each regex's match data is made at load).
 */
unsigned idw_sigma_match(const struct idw_sigma_set *s, const struct idw_sigma_event *ev,
                         void (*on_match)(void *arg, const struct idw_sigma_rule *r), void *arg);

/* The enabled correlation rules that reference r (NULL-terminated; never NULL). */
const struct idw_sigma_rule *const *idw_sigma_correlations_of(const struct idw_sigma_rule *r);

/*
 * Feeds one match of base (a rule corr references) at event time t_ms to
 * corr: updates corr's window for the event's group-by values in rule state
 * (rules/rule.h; the caller has set ctx to corr, idw_sigma_as_rule) and
 * says whether corr's condition holds now.  IDW_OK with *fired 0 or 1 and,
 * when 1, what = one sentence ("5 events of help_desk_reset within 1h for
 * actor.alternateId=x"); IDW_ERR when rule state failed (ctx's sticky
 * failure is set).
 */
enum idw_rc idw_sigma_correlate(const struct idw_sigma_rule *corr, const struct idw_sigma_rule *base,
                                struct idw_detect_ctx *ctx, const struct idw_sigma_event *ev,
                                int64_t t_ms, int *fired, char *what, size_t whatlen) IDW_MUST_CHECK;

/*
 * The values of a field in ev as text (a field path as in a rule), joined
 * with ", ", at most outlen-1 bytes; "" when absent.  For evidence and
 * summaries.  Returns out.
 */
const char *idw_sigma_field_text(const struct idw_sigma_event *ev, const char *field, char *out,
                                 size_t outlen);

#endif
