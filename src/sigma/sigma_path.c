/*
 * sigma_path.c — field paths of Sigma rules over the Okta LogEvent: a
 * field split at its dots once at load, then walked per event without
 * allocating.  A component matches an object key exactly, else
 * case-insensitively (ASCII), so SigmaHQ's older "eventtype" and data-lake
 * exports with lower-case keys work; an array on the way is entered (any
 * element), and an array at the end is visited element by element.
 */
#include "sigma/sigma_det.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum idw_rc idw_sigma_path_compile(const char *field, struct idw_sigma_path *p, char *err, size_t errlen)
{
    const char *s = field;

    memset(p, 0, sizeof *p);
    if (strncmp(field, "idwatch.", 8) == 0) {
        p->facts = 1;
        s = field + 8;
    }
    p->text = strdup(field);
    if (!p->text)
        goto oom;
    for (;;) {
        const char *dot = strchr(s, '.');
        size_t len = dot ? (size_t)(dot - s) : strlen(s);
        if (len == 0) {
            snprintf(err, errlen, "field '%.80s': empty path component", field);
            goto fail;
        }
        if (p->n == IDW_SIGMA_PATH_MAX) {
            snprintf(err, errlen, "field '%.80s': more than %d components", field, IDW_SIGMA_PATH_MAX);
            goto fail;
        }
        p->parts[p->n] = strndup(s, len);
        if (!p->parts[p->n])
            goto oom;
        p->n++;
        if (!dot)
            return IDW_OK;
        s = dot + 1;
    }
oom:
    snprintf(err, errlen, "field '%.80s': out of memory", field);
fail:
    idw_sigma_path_free(p);
    return IDW_ERR;
}

void idw_sigma_path_free(struct idw_sigma_path *p)
{
    if (!p)
        return;
    free(p->text);
    for (unsigned i = 0; i < p->n; i++)
        free(p->parts[i]);
    memset(p, 0, sizeof *p);
}

/* A member by exact name, else the first whose name matches ignoring ASCII case. */
static const json_t *member(const json_t *obj, const char *name)
{
    const char *k;
    json_t *v = json_object_get(obj, name);

    if (v)
        return v;
    json_object_foreach((json_t *)obj, k, v) {
        if (strcasecmp(k, name) == 0)
            return v;
    }
    return NULL;
}

static int walk(const struct idw_sigma_path *p, unsigned i, const json_t *v,
                int (*fn)(void *arg, const json_t *v), void *arg)
{
    if (json_is_array(v)) {
        size_t k;
        const json_t *e;
        json_array_foreach(v, k, e) {
            /* an array inside an array at the end is not entered again: one level, as Okta nests */
            int r = (i == p->n && json_is_array(e)) ? 0 : walk(p, i, e, fn, arg);
            if (r)
                return r;
        }
        return 0;
    }
    if (i == p->n)
        return fn(arg, v);
    if (!json_is_object(v))
        return 0;
    const json_t *c = member(v, p->parts[i]);
    return c ? walk(p, i + 1, c, fn, arg) : 0;
}

int idw_sigma_path_each_in(const struct idw_sigma_path *p, const json_t *root,
                           int (*fn)(void *arg, const json_t *v), void *arg)
{
    if (!root || p->n == 0)
        return 0;
    return walk(p, 0, root, fn, arg);
}

const json_t *idw_sigma_event_root(const struct idw_sigma_path *p, const struct idw_sigma_event *ev)
{
    if (!p->facts)
        return ev->raw;
    return ev->facts ? ev->facts(ev->facts_arg) : NULL;
}

int idw_sigma_path_each(const struct idw_sigma_path *p, const struct idw_sigma_event *ev,
                        int (*fn)(void *arg, const json_t *v), void *arg)
{
    return idw_sigma_path_each_in(p, idw_sigma_event_root(p, ev), fn, arg);
}

size_t idw_sigma_value_text(const json_t *v, char *out, size_t outlen)
{
    int n = 0;

    if (outlen == 0)
        return 0;
    out[0] = '\0';
    if (json_is_string(v))
        n = snprintf(out, outlen, "%s", json_string_value(v));
    else if (json_is_integer(v))
        n = snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        n = snprintf(out, outlen, "%.17g", json_real_value(v));
    else if (json_is_boolean(v))
        n = snprintf(out, outlen, "%s", json_is_true(v) ? "true" : "false");
    if (n < 0)
        n = 0;
    return (size_t)n < outlen ? (size_t)n : outlen - 1;
}

struct first_text {
    char *out;
    size_t outlen;
};

static int take_first(void *arg, const json_t *v)
{
    struct first_text *ft = arg;
    if (json_is_null(v) || json_is_object(v))
        return 0;
    idw_sigma_value_text(v, ft->out, ft->outlen);
    return 1;
}

int idw_sigma_path_first_text(const struct idw_sigma_path *p, const struct idw_sigma_event *ev, char *out,
                              size_t outlen)
{
    struct first_text ft = {.out = out, .outlen = outlen};
    if (outlen)
        out[0] = '\0';
    return idw_sigma_path_each(p, ev, take_first, &ft);
}

struct joined {
    char *out;
    size_t outlen;
    size_t used;
};

static int append_value(void *arg, const json_t *v)
{
    struct joined *j = arg;
    char buf[1024];

    if (json_is_null(v) || json_is_object(v))
        return 0;
    idw_sigma_value_text(v, buf, sizeof buf);
    int n = snprintf(j->out + j->used, j->outlen - j->used, "%s%s", j->used ? ", " : "", buf);
    if (n < 0 || (size_t)n >= j->outlen - j->used) {
        j->used = j->outlen - 1;
        return 1;   /* full: stop */
    }
    j->used += (size_t)n;
    return 0;
}

const char *idw_sigma_field_text(const struct idw_sigma_event *ev, const char *field, char *out,
                                 size_t outlen)
{
    struct idw_sigma_path p;
    char err[160];

    if (outlen == 0)
        return out;
    out[0] = '\0';
    if (idw_sigma_path_compile(field, &p, err, sizeof err) != IDW_OK)
        return out;
    struct joined j = {.out = out, .outlen = outlen, .used = 0};
    (void)idw_sigma_path_each(&p, ev, append_value, &j);     /* the verdict is only "full" */
    out[j.used] = '\0';
    idw_sigma_path_free(&p);
    return out;
}
