/*
 * sigma_yaml.c — the YAML side of the Sigma loader: accessors over
 * libyaml's document API (mapping lookup, scalar text, 1-based lines) and
 * the conversion of a node to JSON that every rule document goes through
 * once at load (it is what refuses duplicate keys anywhere, and what
 * `rules list --json` shows).
 */
#include "sigma/sigma_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define YAML_JSON_DEPTH 64
/* Aliases let a small file name the same subtree many times ("billion laughs"): cap the nodes. */
#define YAML_JSON_NODES 200000

yaml_node_t *idw_yaml_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *k = idw_yaml_scalar(yaml_document_get_node(d, p->key));
        if (k && strcmp(k, key) == 0)
            return yaml_document_get_node(d, p->value);
    }
    return NULL;
}

const char *idw_yaml_scalar(const yaml_node_t *n)
{
    if (!n || n->type != YAML_SCALAR_NODE)
        return NULL;
    return (const char *)n->data.scalar.value;
}

unsigned idw_yaml_line(const yaml_node_t *n)
{
    return n ? (unsigned)n->start_mark.line + 1 : 0;
}

/* YAML 1.2 core schema words for null and booleans, as plain scalars only. */
static int word_in(const char *s, const char *const *words)
{
    for (size_t i = 0; words[i]; i++) {
        if (strcmp(s, words[i]) == 0)
            return 1;
    }
    return 0;
}

/* Only digits, sign, dot and exponent: strtod alone would also take "inf", "0x1p3" or "nan". */
static int looks_numeric(const char *s)
{
    if (!*s)
        return 0;
    for (const char *c = s; *c; c++) {
        if (!strchr("0123456789+-.eE", *c))
            return 0;
    }
    return strchr("0123456789+-.", *s) != NULL;
}

static json_t *plain_scalar(const char *s)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    char *end;

    if (word_in(s, nulls))
        return json_null();
    if (word_in(s, trues))
        return json_true();
    if (word_in(s, falses))
        return json_false();
    if (!looks_numeric(s))
        return json_string(s);
    errno = 0;
    long long i = strtoll(s, &end, 10);
    if (*end == '\0' && errno == 0)
        return json_integer(i);
    errno = 0;
    double d = strtod(s, &end);
    if (*end == '\0' && errno == 0)
        return json_real(d);
    return json_string(s);
}

static json_t *scalar_to_json(const yaml_node_t *n)
{
    const char *s = idw_yaml_scalar(n);
    if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        return plain_scalar(s);
    return json_stringn(s, n->data.scalar.length);
}

struct conv {
    yaml_document_t *d;
    const char *file;
    char *err;
    size_t errlen;
    long budget;
};

static json_t *node_to_json(struct conv *c, yaml_node_t *n, int depth);

static json_t *seq_to_json(struct conv *c, yaml_node_t *n, int depth)
{
    json_t *arr = json_array();
    if (!arr)
        goto oom;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        json_t *v = node_to_json(c, yaml_document_get_node(c->d, *it), depth + 1);
        if (!v) {
            json_decref(arr);
            return NULL;
        }
        if (json_array_append_new(arr, v) != 0) {
            json_decref(arr);
            goto oom;
        }
    }
    return arr;
oom:
    snprintf(c->err, c->errlen, "%s:%u: out of memory", c->file, idw_yaml_line(n));
    return NULL;
}

static json_t *map_to_json(struct conv *c, yaml_node_t *n, int depth)
{
    json_t *obj = json_object();
    if (!obj) {
        snprintf(c->err, c->errlen, "%s:%u: out of memory", c->file, idw_yaml_line(n));
        return NULL;
    }
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(c->d, p->key);
        const char *k = idw_yaml_scalar(kn);
        if (!k || strlen(k) != kn->data.scalar.length) {
            snprintf(c->err, c->errlen, "%s:%u: a mapping key must be a plain string", c->file,
                     idw_yaml_line(kn));
            goto fail;
        }
        if (json_object_get(obj, k)) {
            snprintf(c->err, c->errlen, "%s:%u: duplicate key '%.64s'", c->file, idw_yaml_line(kn), k);
            goto fail;
        }
        json_t *v = node_to_json(c, yaml_document_get_node(c->d, p->value), depth + 1);
        if (!v)
            goto fail;
        if (json_object_set_new(obj, k, v) != 0) {
            snprintf(c->err, c->errlen, "%s:%u: key '%.64s': not valid UTF-8 or out of memory", c->file,
                     idw_yaml_line(kn), k);
            goto fail;
        }
    }
    return obj;
fail:
    json_decref(obj);
    return NULL;
}

static json_t *node_to_json(struct conv *c, yaml_node_t *n, int depth)
{
    json_t *v = NULL;

    if (!n) {
        snprintf(c->err, c->errlen, "%s: malformed YAML document", c->file);
        return NULL;
    }
    if (depth > YAML_JSON_DEPTH) {
        snprintf(c->err, c->errlen, "%s:%u: nesting deeper than %d levels", c->file, idw_yaml_line(n),
                 YAML_JSON_DEPTH);
        return NULL;
    }
    if (--c->budget < 0) {
        snprintf(c->err, c->errlen, "%s:%u: more than %d YAML nodes (aliases?)", c->file, idw_yaml_line(n),
                 YAML_JSON_NODES);
        return NULL;
    }
    switch (n->type) {
    case YAML_SCALAR_NODE:
        v = scalar_to_json(n);
        if (!v)
            snprintf(c->err, c->errlen, "%s:%u: a value that is not valid UTF-8", c->file, idw_yaml_line(n));
        return v;
    case YAML_SEQUENCE_NODE:
        return seq_to_json(c, n, depth);
    case YAML_MAPPING_NODE:
        return map_to_json(c, n, depth);
    default:
        snprintf(c->err, c->errlen, "%s:%u: an empty YAML node", c->file, idw_yaml_line(n));
        return NULL;
    }
}

json_t *idw_yaml_to_json(yaml_document_t *d, yaml_node_t *n, const char *file, char *err, size_t errlen)
{
    struct conv c = {.d = d, .file = file, .err = err, .errlen = errlen, .budget = YAML_JSON_NODES};
    return node_to_json(&c, n, 0);
}
