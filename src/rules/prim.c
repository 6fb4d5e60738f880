/*
 * prim.c — the rule primitives of prim.h: novelty against the persona, the
 * event-time window, and the list-setting matcher of rule.h.  Every rule
 * asks these questions through here, so the answers cannot drift apart.
 */
#include "rules/prim.h"

#include <string.h>
#include <strings.h>

/* ---- novelty ----------------------------------------------------------------- */

const char *idw_network_key(const struct idw_event *ev, char out[IDW_PV_VALUE])
{
    if (ev->asn)
        return idw_asn_key(ev->asn, out);
    if (ev->isp) {
        idw_strlcpy(out, ev->isp, IDW_PV_VALUE);
        return out;
    }
    return NULL;
}

const char *idw_network_name(const struct idw_event *ev, char out[IDW_PV_VALUE])
{
    const char *k = idw_network_key(ev, out);
    return k ? k : "an unnamed network";
}

/* The policy of prim.h for a value known or not; shared: whether the shared exit applies. */
static enum idw_novelty judge(struct idw_detect_ctx *ctx, const struct idw_event *ev,
                              const struct idw_persona *before, enum idw_dim d, const char *value,
                              int shared)
{
    if (!before)
        return IDW_NOVELTY_NO_BASELINE;
    if (value && idw_persona_knows(before, d, value))
        return IDW_NOVELTY_KNOWN;
    if (shared && idw_org_shared_egress(ctx, ev->ip))
        return IDW_NOVELTY_SHARED_EGRESS;
    if (idw_persona_learning(before, ev->published_ms, idw_detect_params(ctx)))
        return IDW_NOVELTY_NO_BASELINE;
    return IDW_NOVELTY_NEW;
}

enum idw_novelty idw_network_novelty(struct idw_detect_ctx *ctx, const struct idw_event *ev,
                                     const struct idw_persona *before)
{
    char key[IDW_PV_VALUE];
    return judge(ctx, ev, before, IDW_DIM_ASNS, idw_network_key(ev, key), 1);
}

enum idw_novelty idw_country_novelty(struct idw_detect_ctx *ctx, const struct idw_event *ev,
                                     const struct idw_persona *before)
{
    if (!ev->geo.country)
        return IDW_NOVELTY_NO_BASELINE;
    return judge(ctx, ev, before, IDW_DIM_COUNTRIES, ev->geo.country, 1);
}

enum idw_novelty idw_device_novelty(struct idw_detect_ctx *ctx, const struct idw_event *ev,
                                    const struct idw_persona *before)
{
    if (!ev->dt_hash)
        return IDW_NOVELTY_NO_BASELINE;
    return judge(ctx, ev, before, IDW_DIM_DEVICES, ev->dt_hash, 0);
}

const char *idw_novelty_name(enum idw_novelty n)
{
    switch (n) {
    case IDW_NOVELTY_NO_BASELINE:
        return "no baseline";
    case IDW_NOVELTY_KNOWN:
        return "known";
    case IDW_NOVELTY_SHARED_EGRESS:
        return "shared egress";
    case IDW_NOVELTY_NEW:
        return "new";
    }
    return "no baseline";
}

/* ---- the window --------------------------------------------------------------- */

static int in_window(const struct idw_window *w, unsigned i, int64_t end, int64_t span)
{
    return w->t[i] && w->t[i] <= end && end - w->t[i] <= span;
}

void idw_window_add(struct idw_window *w, unsigned cap, int64_t t, uint32_t tag)
{
    unsigned oldest = 0;

    if (cap == 0 || cap > IDW_WINDOW_MAX)
        cap = IDW_WINDOW_MAX;
    for (unsigned i = 0; i < cap; i++) {
        if (!w->t[i]) {
            oldest = i;
            break;
        }
        if (w->t[i] < w->t[oldest])
            oldest = i;
    }
    if (w->t[oldest] && w->t[oldest] > t)
        return;         /* full of newer events: this one would be the first to go */
    w->t[oldest] = t;
    w->tag[oldest] = tag;
}

unsigned idw_window_count(const struct idw_window *w, int64_t end, int64_t span)
{
    unsigned n = 0;
    for (unsigned i = 0; i < IDW_WINDOW_MAX; i++)
        n += (unsigned)in_window(w, i, end, span);
    return n;
}

unsigned idw_window_sum(const struct idw_window *w, int64_t end, int64_t span)
{
    unsigned n = 0;
    for (unsigned i = 0; i < IDW_WINDOW_MAX; i++)
        if (in_window(w, i, end, span))
            n += w->tag[i];
    return n;
}

int idw_window_has(const struct idw_window *w, int64_t end, int64_t span, uint32_t tag)
{
    for (unsigned i = 0; i < IDW_WINDOW_MAX; i++)
        if (in_window(w, i, end, span) && w->tag[i] == tag)
            return 1;
    return 0;
}

unsigned idw_window_tags(const struct idw_window *w, int64_t end, int64_t span, uint32_t *out,
                         unsigned max)
{
    uint32_t seen[IDW_WINDOW_MAX];
    unsigned n = 0, k;

    for (unsigned i = 0; i < IDW_WINDOW_MAX; i++) {
        if (!in_window(w, i, end, span))
            continue;
        for (k = 0; k < n && seen[k] != w->tag[i]; k++)
            ;
        if (k < n)
            continue;
        if (out && n < max)
            out[n] = w->tag[i];
        seen[n++] = w->tag[i];
    }
    return n;
}

void idw_window_prune(struct idw_window *w, int64_t end, int64_t span)
{
    for (unsigned i = 0; i < IDW_WINDOW_MAX; i++)
        if (w->t[i] && end - w->t[i] > span) {
            w->t[i] = 0;
            w->tag[i] = 0;
        }
}

/* ---- list settings --------------------------------------------------------------- */

int idw_strings_find(const struct idw_strings *l, const char *text)
{
    for (unsigned i = 0; text && i < l->n; i++)
        if (strcasestr(text, l->v[i]))
            return 1;
    return 0;
}
