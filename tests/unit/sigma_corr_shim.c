/*
 * sigma_corr_shim.c — TEST ONLY: minimal stand-ins for the few Sigma
 * loader helpers (sigma_int.h) that sigma_corr.c and test_sigma_corr.c use,
 * until the real sigma_yaml.c / sigma_path.c land.  Linked into
 * test_sigma_corr alone, and only while those files are absent (Makefile).
 * Deliberately naive: exact object keys, the first array element that
 * reaches a value, no "idwatch." facts.
 */
#include "sigma/sigma_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

yaml_node_t *idw_yaml_get(yaml_document_t *d, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *k = idw_yaml_scalar(yaml_document_get_node(d, p->key));
        if (k && !strcmp(k, key))
            return yaml_document_get_node(d, p->value);
    }
    return NULL;
}

const char *idw_yaml_scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

unsigned idw_yaml_line(const yaml_node_t *n)
{
    return n ? (unsigned)n->start_mark.line + 1 : 0;
}

enum idw_rc idw_sigma_path_compile(const char *field, struct idw_sigma_path *p, char *err, size_t errlen)
{
    char *copy = strdup(field), *save = NULL;

    memset(p, 0, sizeof *p);
    p->text = strdup(field);
    for (char *tok = strtok_r(copy, ".", &save); tok && p->n < IDW_SIGMA_PATH_MAX;
         tok = strtok_r(NULL, ".", &save))
        p->parts[p->n++] = strdup(tok);
    free(copy);
    if (p->n == 0 || strstr(field, "..") || field[strlen(field) - 1] == '.') {
        snprintf(err, errlen, "field '%s': empty component", field);
        idw_sigma_path_free(p);
        return IDW_ERR;
    }
    return IDW_OK;
}

void idw_sigma_path_free(struct idw_sigma_path *p)
{
    for (unsigned i = 0; i < p->n; i++)
        free(p->parts[i]);
    free(p->text);
    memset(p, 0, sizeof *p);
}

static const json_t *walk(const json_t *v, char *const *parts, unsigned n)
{
    if (json_is_array(v)) {
        size_t i;
        const json_t *e, *hit;
        json_array_foreach(v, i, e) {
            hit = walk(e, parts, n);
            if (hit)
                return hit;
        }
        return NULL;
    }
    if (n == 0)
        return json_is_null(v) ? NULL : v;
    return json_is_object(v) ? walk(json_object_get(v, parts[0]), parts + 1, n - 1) : NULL;
}

int idw_sigma_path_first_text(const struct idw_sigma_path *p, const struct idw_sigma_event *ev,
                              char *out, size_t outlen)
{
    const json_t *v = walk(ev->raw, p->parts, p->n);

    out[0] = '\0';
    if (!v)
        return 0;
    if (json_is_string(v))
        snprintf(out, outlen, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, outlen, "%lld", (long long)json_integer_value(v));
    else if (json_is_boolean(v))
        snprintf(out, outlen, "%s", json_is_true(v) ? "true" : "false");
    return 1;
}
