/*
 * select.c — an org's event-type selection (see select.h).
 */
#include "event/select.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    unsigned bit;
} categories[] = {
    {"authentication", IDW_SEL_AUTHENTICATION}, {"security", IDW_SEL_SECURITY},
    {"itp", IDW_SEL_ITP}, {"admin", IDW_SEL_ADMIN}, {"lifecycle", IDW_SEL_LIFECYCLE},
};

/* Identity Threat Protection's event types, by prefix ("x." matches x.*) or exactly. */
static const char *const itp_types[] = {
    "user.risk.", "policy.entity_risk.", "policy.continuous_access.", "device.signals.",
    "security.events.provider.", "user.session.context.change",
    "security.session.detect_client_roaming",
};

static int is_itp(const char *t)
{
    for (size_t i = 0; i < sizeof itp_types / sizeof itp_types[0]; i++) {
        size_t n = strlen(itp_types[i]);
        if (itp_types[i][n - 1] == '.' ? strncmp(t, itp_types[i], n) == 0 : strcmp(t, itp_types[i]) == 0)
            return 1;
    }
    return 0;
}

unsigned idw_selection_categories(const char *okta_type, const struct idw_kind *kind)
{
    unsigned c = 0;

    if (!okta_type)
        return 0;
    if (is_itp(okta_type))
        return IDW_SEL_ITP;
    if (!strncmp(okta_type, "user.lifecycle.", 15) || (kind && (kind->flags & IDW_K_LIFECYCLE)))
        c |= IDW_SEL_LIFECYCLE;
    if (kind && kind->cls == IDW_CLASS_AUTH)
        c |= IDW_SEL_AUTHENTICATION;
    else if (kind && kind->cls == IDW_CLASS_ALERT)
        c |= IDW_SEL_SECURITY;
    else if (kind && kind->cls == IDW_CLASS_ADMIN && !(c & IDW_SEL_LIFECYCLE))
        c |= IDW_SEL_ADMIN;
    return c;
}

static int category_bit(const char *name, unsigned *bit)
{
    for (size_t i = 0; i < sizeof categories / sizeof categories[0]; i++)
        if (!strcmp(name, categories[i].name)) {
            *bit = categories[i].bit;
            return 0;
        }
    return -1;
}

/* An Okta event type: dot-separated words of [a-z0-9_]. */
static int looks_like_type(const char *s)
{
    int dots = 0;

    if (!*s || *s == '.' || s[strlen(s) - 1] == '.' || strstr(s, ".."))
        return 0;
    for (; *s; s++) {
        if (*s == '.')
            dots++;
        else if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    }
    return dots > 0;
}

enum idw_rc idw_selection_read(const json_t *arr, const char *where, struct idw_event_selection *s,
                               char *err, size_t errlen)
{
    size_t i, n = json_array_size(arr);
    const char **types;
    json_t *e;

    memset(s, 0, sizeof *s);
    s->all = n == 0;
    if (n == 0)
        return IDW_OK;
    types = calloc(n, sizeof *types);
    if (!types) {
        snprintf(err, errlen, "out of memory");
        return IDW_ERR;
    }
    json_array_foreach(arr, i, e) {
        const char *v = json_string_value(e);
        unsigned bit;
        if (v && category_bit(v, &bit) == 0) {
            s->categories |= bit;
        } else if (v && looks_like_type(v)) {
            types[s->ntypes++] = v;
        } else {
            snprintf(err, errlen, "%s[%zu]: '%.80s' is neither a category (authentication, security, "
                     "itp, admin, lifecycle) nor an Okta event type", where, i, v ? v : "");
            free(types);
            memset(s, 0, sizeof *s);
            return IDW_ERR;
        }
    }
    s->types = types;
    return IDW_OK;
}

void idw_selection_free(struct idw_event_selection *s)
{
    free((void *)s->types);
    memset(s, 0, sizeof *s);
}

int idw_selection_match(const struct idw_event_selection *s, const char *okta_type,
                        const struct idw_kind *kind)
{
    if (!s || s->all)
        return 1;
    if (idw_selection_categories(okta_type, kind) & s->categories)
        return 1;
    for (size_t i = 0; okta_type && i < s->ntypes; i++)
        if (!strcmp(s->types[i], okta_type))
            return 1;
    return 0;
}
