/*
 * severity.c — names of the severity scale (severity.h) and their parser.
 */
#include "common/severity.h"

#include <strings.h>

const char *idw_severity_name(enum idw_severity s)
{
    static const char *const n[] = {"low", "low", "medium", "high", "critical"};
    return (unsigned)s < 5 ? n[s] : "low";
}

enum idw_rc idw_severity_parse(const char *s, enum idw_severity *out)
{
    for (int i = IDW_SEV_LOW; s && i <= IDW_SEV_CRITICAL; i++)
        if (strcasecmp(s, idw_severity_name((enum idw_severity)i)) == 0) {
            *out = (enum idw_severity)i;
            return IDW_OK;
        }
    return IDW_ERR;
}
