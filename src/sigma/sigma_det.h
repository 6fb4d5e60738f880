/*
 * sigma_det.h — the detection half of the Sigma engine, shared by the
 * loader (sigma_load.c), the detection compiler and matcher
 * (sigma_detect.c) and the condition parser (sigma_cond.c).  Internal to
 * src/sigma/ like sigma_int.h; the correlation module does not need it.
 *
 * A detection compiles to search identifiers (each an OR of AND-maps of
 * field conditions) and a condition tree over them.  Everything an event
 * is compared with is prepared at load: paths split, literals lowercased,
 * regexes compiled, CIDRs parsed; matching allocates nothing.
 */
#ifndef IDW_SIGMA_DET_H
#define IDW_SIGMA_DET_H

#include <stddef.h>
#include <stdint.h>

#include "sigma/sigma_int.h"

/* ---- paths (sigma_path.c) beyond sigma_int.h ---- */

/* idw_sigma_path_each from an already chosen root (the raw event or the facts object). */
int idw_sigma_path_each_in(const struct idw_sigma_path *p, const json_t *root,
                           int (*fn)(void *arg, const json_t *v), void *arg);
/* The root p is read from: ev->raw, or the facts (calls ev->facts; NULL when none). */
const json_t *idw_sigma_event_root(const struct idw_sigma_path *p, const struct idw_sigma_event *ev);
/* A scalar as text (strings verbatim, numbers, true/false; "" otherwise); returns the length written. */
size_t idw_sigma_value_text(const json_t *v, char *out, size_t outlen);

/* ---- detection (sigma_detect.c) ---- */

struct idw_sigma_detection;

/* Per idw_sigma_match call: the event and its facts, fetched at most once. */
struct idw_sigma_mctx {
    const struct idw_sigma_event *ev;
    const json_t *facts;
    int facts_done;
};

/*
 * Compiles a `detection:` mapping (search identifiers + condition).  IDW_OK
 * with *out, or IDW_ERR with err = "file:line: reason".
 */
enum idw_rc idw_sigma_detection_compile(yaml_document_t *d, yaml_node_t *det, const char *file,
                                        struct idw_sigma_detection **out, char *err, size_t errlen)
    IDW_MUST_CHECK;
void idw_sigma_detection_free(struct idw_sigma_detection *det);
/* Whether the detection's condition holds for the event. */
int idw_sigma_detection_match(const struct idw_sigma_detection *det, struct idw_sigma_mctx *m)
    IDW_MUST_CHECK;
/*
 * The eventType values the condition requires (lower-cased, owned by det),
 * or NULL when the rule can match any type (then *n is 0).
 */
const char *const *idw_sigma_detection_types(const struct idw_sigma_detection *det, unsigned *n);

/* ---- conditions (sigma_cond.c) ---- */

enum idw_cond_kind { IDW_COND_ID, IDW_COND_NOT, IDW_COND_AND, IDW_COND_OR };

/*
 * A condition node.  ID: ident is the search identifier's index; all_maps
 * set for `all of <ident>` on a list of maps (every map must match).
 */
struct idw_cond {
    enum idw_cond_kind kind;
    unsigned ident;
    int all_maps;
    struct idw_cond **kids;
    unsigned nkids;
};

/*
 * Parses a condition over the given identifier names (precedence not > and
 * > or; `1 of`/`any of`/`all of` over names with `*` or `them`).  IDW_OK
 * with *out, or IDW_ERR with err = the reason (no file or line: the caller
 * adds them).
 */
enum idw_rc idw_sigma_cond_parse(const char *text, const char *const *names, unsigned nnames,
                                 struct idw_cond **out, char *err, size_t errlen) IDW_MUST_CHECK;
void idw_sigma_cond_free(struct idw_cond *c);

#endif
