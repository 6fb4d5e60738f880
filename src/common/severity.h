/*
 * severity.h — the severity scale shared by rules (what they raise), the
 * alert module (what it stores), delivery (webhook filters, OCSF) and the
 * CLI (--severity): one small vocabulary with no other dependency, so a
 * layer that needs the word does not pull in the rule interface or the
 * persona model.
 *
 * The values are ordered (a higher severity is a larger number) and 0 is
 * "none" where a caller needs it (e.g. the worst severity of an event that
 * raised nothing).  The stored and delivered form is the lower-case name.
 */
#ifndef IDW_SEVERITY_H
#define IDW_SEVERITY_H

#include "common/rc.h"

enum idw_severity { IDW_SEV_LOW = 1, IDW_SEV_MEDIUM, IDW_SEV_HIGH, IDW_SEV_CRITICAL };

/* "low", "medium", "high", "critical"; "low" for a value outside the scale.  Static storage. */
const char *idw_severity_name(enum idw_severity s);

/*
 * The severity named s (case-insensitive).  IDW_OK with *out set, or
 * IDW_ERR for NULL or any other word (*out untouched, so a caller may
 * preset its default).
 */
IDW_MUST_CHECK enum idw_rc idw_severity_parse(const char *s, enum idw_severity *out);

#endif
