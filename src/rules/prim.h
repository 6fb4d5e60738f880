/*
 * prim.h — the shared primitives every rule is built from, so that the
 * questions all rules ask have one answer: is this network, country or
 * device new to the user? how many events of a kind fell in the last N
 * minutes?  (Rule state records, the org-wide counters and Okta's risk
 * points are in rule.h; debugData fields in event/normalize.h.)
 *
 * Nothing here allocates: the primitives run on every event a rule sees.
 */
#ifndef IDW_RULES_PRIM_H
#define IDW_RULES_PRIM_H

#include <stdint.h>

#include "rules/rule.h"

/*
 * How new a value of the event is to the persona before it.  The one
 * policy, in this order:
 *
 *   NO_BASELINE    no persona, or the event does not carry the value (no
 *                  device token, no country), or the persona does not
 *                  know the value but is still learning: nothing can be
 *                  called new
 *   KNOWN          the persona trusts the value (idw_persona_knows:
 *                  provisional values do not count), learning or not
 *   SHARED_EGRESS  not known, but the event's /24 is the org's shared exit
 *                  (idw_org_shared_egress: a VPN or office NAT, which says
 *                  nothing about who is behind it).  Never for devices.
 *   NEW            not known to an established persona
 *
 * A missing ASN: the network is then named by its ISP, as the persona
 * learns it (persona.c); with neither, it is NEW to an established persona
 * (unless it is the shared exit).  idwatch never vouches for a network it
 * cannot name: a GeoIP gap (a fresh allocation, an IPv6 range) is where an
 * attacker can come from, so it must not pass for the user's own network.
 * Evidence then says "an unnamed network" (idw_network_name).
 */
enum idw_novelty {
    IDW_NOVELTY_NO_BASELINE,
    IDW_NOVELTY_KNOWN,
    IDW_NOVELTY_SHARED_EGRESS,
    IDW_NOVELTY_NEW,
};

enum idw_novelty idw_network_novelty(struct idw_detect_ctx *ctx, const struct idw_event *ev,
                                     const struct idw_persona *before);
enum idw_novelty idw_country_novelty(struct idw_detect_ctx *ctx, const struct idw_event *ev,
                                     const struct idw_persona *before);
enum idw_novelty idw_device_novelty(struct idw_detect_ctx *ctx, const struct idw_event *ev,
                                    const struct idw_persona *before);

/* "no baseline", "known", "shared egress", "new": for evidence and tests. */
const char *idw_novelty_name(enum idw_novelty n);

/*
 * The event's network as personas key it (IDW_DIM_ASNS): "AS64500", else
 * the ISP's name, else NULL (an unnamed network).  out holds IDW_PV_VALUE.
 */
const char *idw_network_key(const struct idw_event *ev, char out[IDW_PV_VALUE]);

/* The same for people: the key, or "an unnamed network". */
const char *idw_network_name(const struct idw_event *ev, char out[IDW_PV_VALUE]);

/*
 * An event-time sliding window: the times (and one 32-bit tag each: a
 * flag, an account hash) of the latest events, at most cap of them, in a
 * fixed-size struct that lives inside a rule's state record.  An all-zero
 * struct is an empty window.  Time 0 marks a free slot, so events at the
 * epoch itself are not counted.
 *
 *   idw_window_add    records (t, tag); when cap slots are in use, the
 *                     slot with the oldest time is replaced (an event
 *                     older than all of them is dropped): events may
 *                     arrive out of order.  cap is 1..IDW_WINDOW_MAX and
 *                     must be the same on every call for one window.
 *   idw_window_count  events with end - span <= t <= end (both edges in)
 *   idw_window_sum    the sum of their tags (tags 0/1: how many are flagged)
 *   idw_window_tags   their distinct tags, at most max into out (may be
 *                     NULL); returns how many distinct tags there are
 *   idw_window_has    whether one of them carries tag
 *   idw_window_prune  frees the slots older than end - span
 */
#define IDW_WINDOW_MAX 64
struct idw_window {
    int64_t t[IDW_WINDOW_MAX];
    uint32_t tag[IDW_WINDOW_MAX];
};

void idw_window_add(struct idw_window *w, unsigned cap, int64_t t, uint32_t tag);
unsigned idw_window_count(const struct idw_window *w, int64_t end, int64_t span);
unsigned idw_window_sum(const struct idw_window *w, int64_t end, int64_t span);
unsigned idw_window_tags(const struct idw_window *w, int64_t end, int64_t span, uint32_t *out,
                         unsigned max);
int idw_window_has(const struct idw_window *w, int64_t end, int64_t span, uint32_t tag);
void idw_window_prune(struct idw_window *w, int64_t end, int64_t span);

#endif
