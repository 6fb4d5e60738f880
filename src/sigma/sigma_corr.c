/*
 * sigma_corr.c — Sigma correlation rules (event_count, value_count,
 * temporal, temporal_ordered) over rule state.  Placeholder until the
 * correlation engine lands: every correlation rule is refused by name, so
 * a file holding one never half-loads.
 */
#include "sigma/sigma_int.h"

#include <stdio.h>

enum idw_rc idw_sigma_corr_compile(yaml_document_t *d, yaml_node_t *node, const char *file,
                                   struct idw_sigma_corr **out, char *err, size_t errlen)
{
    (void)d;
    *out = NULL;
    snprintf(err, errlen, "%s:%u: correlation rules are not supported yet", file, idw_yaml_line(node));
    return IDW_ERR;
}

void idw_sigma_corr_free(struct idw_sigma_corr *c)
{
    (void)c;
}

unsigned idw_sigma_corr_nrefs(const struct idw_sigma_corr *c)
{
    (void)c;
    return 0;
}

const char *idw_sigma_corr_ref(const struct idw_sigma_corr *c, unsigned i)
{
    (void)c;
    (void)i;
    return NULL;
}

int idw_sigma_corr_generate(const struct idw_sigma_corr *c)
{
    (void)c;
    return 0;
}

const char *idw_sigma_corr_type(const struct idw_sigma_corr *c)
{
    (void)c;
    return "none";
}

enum idw_rc idw_sigma_corr_update(const struct idw_sigma_corr *c, unsigned ref, const char *ref_name,
                                  struct idw_detect_ctx *ctx, const struct idw_sigma_event *ev,
                                  int64_t t_ms, int *fired, char *what, size_t whatlen)
{
    (void)c, (void)ref, (void)ref_name, (void)ctx, (void)ev, (void)t_ms, (void)what, (void)whatlen;
    *fired = 0;
    return IDW_OK;
}
