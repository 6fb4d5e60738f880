/*
 * principal.h — who is making an API request: a name, a role and the kind
 * of credential that proved it.  Shared by every authentication source
 * (API tokens, session cookies, a trusted proxy's header: auth.h) and by
 * the routes that check the role.
 */
#ifndef IDW_PRINCIPAL_H
#define IDW_PRINCIPAL_H

#include <stddef.h>

#include "common/rc.h"

/* Ordered: a role may do everything the roles before it may. */
enum idw_role {
    IDW_ROLE_NONE = 0,      /* not authenticated */
    IDW_ROLE_VIEWER,        /* read */
    IDW_ROLE_ANALYST,       /* read + review */
    IDW_ROLE_ADMIN,         /* everything, including user and token management */
};

enum idw_principal_kind {
    IDW_PRINCIPAL_TOKEN = 1,    /* Authorization: Bearer (api-token create) */
    IDW_PRINCIPAL_SESSION,      /* the idw_session cookie */
    IDW_PRINCIPAL_PROXY,        /* a trusted reverse proxy's user header */
};

#define IDW_PRINCIPAL_NAME_MAX 64   /* names: 1..63 chars of [A-Za-z0-9._@-] */

struct idw_api_principal {
    char name[IDW_PRINCIPAL_NAME_MAX];
    enum idw_role role;
    enum idw_principal_kind kind;
};

/* "viewer", "analyst", "admin" (static storage; "none" for IDW_ROLE_NONE). */
const char *idw_role_name(enum idw_role r);

/* The role named s: IDW_OK with *out, or IDW_ERR for anything else. */
enum idw_rc idw_role_parse(const char *s, enum idw_role *out) IDW_MUST_CHECK;

/* True for a valid token or user name (1..63 chars of [A-Za-z0-9._@-]). */
int idw_principal_name_valid(const char *s) IDW_MUST_CHECK;

/*
 * The `by` a review made by p records: "api:<name>" for a token,
 * "<name>" for a session or proxy user.  Truncated to n (n >= 8).
 */
void idw_principal_by(const struct idw_api_principal *p, char *buf, size_t n);

#endif
