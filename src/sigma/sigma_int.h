/*
 * sigma_int.h — what the Sigma loader (sigma_load.c, sigma_detect.c) and
 * the correlation module (sigma_corr.c) share inside src/sigma/: field
 * paths, the YAML accessors, and the correlation part of a rule.  Not for
 * use outside src/sigma/ (sigma.h is the public contract).
 */
#ifndef IDW_SIGMA_INT_H
#define IDW_SIGMA_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <yaml.h>

#include "sigma/sigma.h"

/* ---- field paths ------------------------------------------------------------ */

/*
 * A field name split at its dots, once at load.  facts: it starts with
 * "idwatch." (parts then exclude that first component and are looked up in
 * the facts object).
 */
#define IDW_SIGMA_PATH_MAX 8
struct idw_sigma_path {
    char *text;                         /* the field as written (owned) */
    char *parts[IDW_SIGMA_PATH_MAX];    /* owned */
    unsigned n;
    int facts;
};

/* IDW_OK, or IDW_ERR (err: "field 'x': ..." — empty component, too deep, out of memory). */
enum idw_rc idw_sigma_path_compile(const char *field, struct idw_sigma_path *p, char *err, size_t errlen)
    IDW_MUST_CHECK;
void idw_sigma_path_free(struct idw_sigma_path *p);

/*
 * Calls fn(arg, v) for every value the path reaches in ev (a path through an
 * array visits every element; an array at the end visits its elements),
 * until fn returns non-zero; returns that value, or 0.  Nothing is visited
 * when the path is absent; a JSON null is visited as null.
 */
int idw_sigma_path_each(const struct idw_sigma_path *p, const struct idw_sigma_event *ev,
                        int (*fn)(void *arg, const json_t *v), void *arg);

/*
 * The first value the path reaches, as text (strings verbatim, numbers and
 * booleans printed, null/absent/objects ""), into out; returns 1 when a
 * value was found, else 0.  For correlation group-by and value_count.
 */
int idw_sigma_path_first_text(const struct idw_sigma_path *p, const struct idw_sigma_event *ev,
                              char *out, size_t outlen);

/* ---- YAML (libyaml's document API; marks are 0-based, lines we print 1-based) ---- */

/* The value node of key in a mapping node, or NULL (not a mapping, or absent). */
yaml_node_t *idw_yaml_get(yaml_document_t *d, yaml_node_t *map, const char *key);
/* A scalar's text, or NULL when n is not a scalar. */
const char *idw_yaml_scalar(const yaml_node_t *n);
/* 1-based line of a node. */
unsigned idw_yaml_line(const yaml_node_t *n);
/*
 * A node as JSON: scalars as strings unless plain (unquoted) and reading as
 * an integer, a number, true/false or null/~; mappings as objects (a
 * duplicate key refused), sequences as arrays.  NULL with err on a
 * non-string key or a duplicate, out of memory, or nesting beyond 64.
 */
json_t *idw_yaml_to_json(yaml_document_t *d, yaml_node_t *n, const char *file, char *err, size_t errlen)
    IDW_MUST_CHECK;

/* ---- correlation rules (sigma_corr.c) ------------------------------------------ */

struct idw_sigma_corr;

/*
 * Compiles the `correlation:` mapping of a rule document (node is that
 * mapping; the document's `timespan` etc. live in it per the spec).  file
 * names the source in errors ("file:line: reason").  IDW_OK with *out, or
 * IDW_ERR with err (e.g. an unsupported type, a missing timespan, a
 * threshold above what rule state can hold).
 */
enum idw_rc idw_sigma_corr_compile(yaml_document_t *d, yaml_node_t *node, const char *file,
                                   struct idw_sigma_corr **out, char *err, size_t errlen) IDW_MUST_CHECK;
void idw_sigma_corr_free(struct idw_sigma_corr *c);

/* The rules it references, as written (ids or names), in order. */
unsigned idw_sigma_corr_nrefs(const struct idw_sigma_corr *c);
const char *idw_sigma_corr_ref(const struct idw_sigma_corr *c, unsigned i);
/* `generate: true`: the referenced rules also raise their own alerts. */
int idw_sigma_corr_generate(const struct idw_sigma_corr *c);
/* "event_count" | "value_count" | "temporal" | "temporal_ordered" (static). */
const char *idw_sigma_corr_type(const struct idw_sigma_corr *c);

/*
 * One match of the referenced rule number ref (0-based, as in
 * idw_sigma_corr_ref) at event time t_ms: see idw_sigma_correlate in
 * sigma.h, which forwards here.  corr_id names the rule in `what`.
 */
enum idw_rc idw_sigma_corr_update(const struct idw_sigma_corr *c, unsigned ref, const char *ref_name,
                                  struct idw_detect_ctx *ctx, const struct idw_sigma_event *ev,
                                  int64_t t_ms, int *fired, char *what, size_t whatlen) IDW_MUST_CHECK;

#endif
