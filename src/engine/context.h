/*
 * context.h — what the engine knows about the people behind an event, for
 * declarative rules: the persona facts (the `idwatch.*` fields a Sigma
 * rule can test) and the persona-aware severity every declarative match
 * gets (docs/rules.md, "Persona facts" and "Persona-aware severity").
 *
 * Facts are read from the personas as they were before the event (the same
 * baseline the C rules judge against) and from a few engine records kept in
 * rule state under "_facts" (how often a person performed an event type,
 * when an alert or a factor reset last concerned them, the org's identity
 * providers), written in the event's transaction by idw_facts_record.
 */
#ifndef IDW_CONTEXT_H
#define IDW_CONTEXT_H

#include <jansson.h>

#include "common/rc.h"
#include "common/severity.h"

struct idw_detect_ctx;

/*
 * The facts object {"actor": {...}, "target": {...}, "org": {...},
 * "event": {...}} for the context's event, or NULL when out of memory or a
 * storage read failed (the ctx's sticky failure is then set).  Caller
 * json_decref's.  "actor" is absent when the actor is not a person,
 * "target" when the event concerns no other person.
 */
json_t *idw_facts_build(struct idw_detect_ctx *ctx) IDW_MUST_CHECK;

/*
 * After the rules ran on the event: counts the action for its acting
 * person, notes a factor reset on its subject, an IdP sign-in and a grant
 * of Okta Support access for the org, and (when worst >= medium) an alert
 * about its subject.  The engine passes
 * the C rules' worst severity only: declarative matches are what the facts
 * judge, not evidence against the next one.  A storage
 * failure sets the ctx's sticky failure.
 */
void idw_facts_record(struct idw_detect_ctx *ctx, enum idw_severity worst);

/* The verdict of persona-aware severity for one match. */
struct idw_context_verdict {
    enum idw_severity severity;
    char why[384];              /* which facts moved it, or why it stayed: for the evidence */
};

/*
 * The severity of a declarative match with base level `base`, judged on
 * facts (may be NULL: the base stands).  context 0: the rule opted out.
 */
void idw_context_severity(enum idw_severity base, int context, const json_t *facts,
                          struct idw_context_verdict *out);

#endif
