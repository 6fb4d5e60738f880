/*
 * select.h — which events an org ingests: its `event_types` selection
 * (docs/config.md), as Torq's connector offers it (Authentication,
 * Security, Identity Threat Protection events, in any combination), plus
 * admin and lifecycle categories and explicit Okta event types.
 *
 * The pipeline applies it after normalization, so the poller's cursor
 * still covers every event; events left out are counted as `filtered`.
 * An absent or empty selection keeps everything.
 *
 *   authentication  sign-ins, SSO, MFA, sessions, pushes (class AUTH)
 *   security        Okta's security and threat signals (class ALERT)
 *   itp             Identity Threat Protection: user.risk.*, policy.entity_risk.*,
 *                   policy.continuous_access.*, user.session.context.change,
 *                   security.session.detect_client_roaming, device.signals.*,
 *                   security.events.provider.*
 *   admin           administrative actions (class ADMIN, not lifecycle)
 *   lifecycle       account lifecycle and lock state (user.lifecycle.*, locks)
 *   "a.b.c"         that Okta event type exactly
 *
 * The ITP types belong to `itp` only, not also to `authentication` or
 * `security`, so choosing `authentication` alone leaves ITP out.
 */
#ifndef IDW_SELECT_H
#define IDW_SELECT_H

#include <stddef.h>

#include <jansson.h>

#include "common/rc.h"
#include "event/classify.h"

enum {
    IDW_SEL_AUTHENTICATION = 1u << 0,
    IDW_SEL_SECURITY = 1u << 1,
    IDW_SEL_ITP = 1u << 2,
    IDW_SEL_ADMIN = 1u << 3,
    IDW_SEL_LIFECYCLE = 1u << 4,
};

struct idw_event_selection {
    unsigned categories;            /* IDW_SEL_* */
    const char *const *types;       /* explicit event types (borrowed from the JSON), or NULL */
    size_t ntypes;
    int all;                        /* no selection: everything */
};

/*
 * Reads an `event_types` array (NULL or empty: everything).  where names
 * it in errors ("orgs[1].event_types").  The selection borrows the array's
 * strings: keep the JSON alive.  IDW_OK, or IDW_ERR with err naming the
 * entry that is neither a category nor an event type.  *s must be freed
 * with idw_selection_free.
 */
enum idw_rc idw_selection_read(const json_t *arr, const char *where, struct idw_event_selection *s,
                               char *err, size_t errlen) __attribute__((warn_unused_result)) IDW_MUST_CHECK;
void idw_selection_free(struct idw_event_selection *s);

/* The categories an event type falls in (kind may be NULL for unlisted types). */
unsigned idw_selection_categories(const char *okta_type, const struct idw_kind *kind);

/* 1 when the selection keeps this event, 0 when it leaves it out. */
int idw_selection_match(const struct idw_event_selection *s, const char *okta_type,
                        const struct idw_kind *kind);

#endif
