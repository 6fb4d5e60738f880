/*
 * auth.c — resolving a request's principal from the configured sources
 * (auth.h), the bearer-token source, and the role and `by` helpers
 * (principal.h).
 */
#include "serve/auth.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <microhttpd.h>

#include "common/log.h"
#include "common/util.h"
#include "serve/token.h"

static const char *const role_names[] = {"none", "viewer", "analyst", "admin"};

const char *idw_role_name(enum idw_role r)
{
    return (unsigned)r < sizeof role_names / sizeof role_names[0] ? role_names[r] : "none";
}

enum idw_rc idw_role_parse(const char *s, enum idw_role *out)
{
    for (int r = IDW_ROLE_VIEWER; s && r <= IDW_ROLE_ADMIN; r++)
        if (!strcmp(s, role_names[r])) {
            *out = (enum idw_role)r;
            return IDW_OK;
        }
    return IDW_ERR;
}

int idw_principal_name_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n >= IDW_PRINCIPAL_NAME_MAX)
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._@-", *s))
            return 0;
    return 1;
}

void idw_principal_by(const struct idw_api_principal *p, char *buf, size_t n)
{
    snprintf(buf, n, "%s%s", p->kind == IDW_PRINCIPAL_TOKEN ? "api:" : "", p->name);
}

void idw_auth_init(struct idw_auth *a)
{
    memset(a, 0, sizeof *a);
    a->src[0] = (struct idw_auth_source){.name = "bearer", .fn = idw_auth_bearer};
    a->n = 1;
}

enum idw_rc idw_auth_add_source(struct idw_auth *a, const struct idw_auth_source *s)
{
    if (a->n >= IDW_AUTH_SOURCES_MAX)
        return IDW_ERR;
    a->src[a->n++] = *s;
    return IDW_OK;
}

enum idw_rc idw_auth_resolve(const struct idw_auth *a, const struct idw_auth_request *r,
                             struct idw_api_principal *p,
                             char *err, size_t errlen)
{
    for (size_t i = 0; i < a->n; i++) {
        enum idw_rc rc = a->src[i].fn(a->src[i].ctx, r, p, err, errlen);
        if (rc != IDW_NOTFOUND)
            return rc;
    }
    memset(p, 0, sizeof *p);
    return IDW_NOTFOUND;
}

enum idw_rc idw_auth_bearer(void *ctx, const struct idw_auth_request *r, struct idw_api_principal *p,
                            char *err, size_t errlen)
{
    const char *h = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    enum idw_rc rc;

    (void)ctx;
    if (!h || strncasecmp(h, "Bearer ", 7) != 0)
        return IDW_NOTFOUND;
    h += 7;
    while (*h == ' ')
        h++;
    rc = idw_token_verify(r->st, r->txn, h, p, err, errlen);
    if (rc == IDW_NOTFOUND)
        snprintf(err, errlen, "invalid or revoked API token");
    else if (rc == IDW_ERR) {
        log_error("api token check: %s", err);     /* the client learns only that it failed */
        snprintf(err, errlen, "cannot check the API token");
    }
    return rc == IDW_OK ? IDW_OK : IDW_ERR;
}
