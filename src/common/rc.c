/*
 * rc.c — names of the return codes of rc.h, for log lines and test
 * messages.
 */
#include "common/rc.h"

const char *idw_rc_name(enum idw_rc rc)
{
    switch (rc) {
    case IDW_OK:
        return "ok";
    case IDW_NOTFOUND:
        return "not found";
    case IDW_EXISTS:
        return "exists";
    case IDW_BUSY:
        return "busy";
    case IDW_ERR:
        return "error";
    }
    return "unknown";
}
