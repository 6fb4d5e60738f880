/*
 * persona_feedback.c — what an analyst's verdict teaches a persona
 * (persona.h, idw_persona_trust_context).  The alert module calls it when
 * an alert is called a false positive; it only changes the struct, the
 * caller stores it.
 */
#include "persona/persona.h"

/* The alert context's keys and the dimension each one teaches. */
static const struct {
    const char *field;
    enum idw_dim dim;
} context_dims[] = {
    {"asn", IDW_DIM_ASNS}, {"ip_prefix", IDW_DIM_PREFIXES}, {"country", IDW_DIM_COUNTRIES},
    {"device", IDW_DIM_DEVICES}, {"app", IDW_DIM_APPS},
};

unsigned idw_persona_trust_context(struct idw_persona *p, const json_t *context, int64_t t,
                                   const struct idw_persona_params *prm)
{
    unsigned changed = 0;

    if (!json_is_object(context))
        return 0;
    for (size_t i = 0; i < sizeof context_dims / sizeof context_dims[0]; i++) {
        const char *v = json_string_value(json_object_get(context, context_dims[i].field));
        if (!v)
            continue;
        if (idw_persona_trust(p, context_dims[i].dim, v)) {
            changed++;
        } else if (!idw_persona_find(p, context_dims[i].dim, v)) {
            /* never seen: observed now, trusted because it is not an alerting event */
            idw_persona_observe(p, context_dims[i].dim, v, NULL, t, 0, 0, prm);
            changed++;
        }
    }
    return changed;
}
