/*
 * sigma_corr.c — Sigma correlation rules (event_count, value_count,
 * temporal, temporal_ordered): the `correlation:` mapping compiled at load,
 * and each match of a referenced rule folded into a window kept in rule
 * state (rules/rule.h), never in memory, so a restart or a replay gives the
 * same answers.  sigma_load.c calls the compiler; the engine reaches the
 * update through idw_sigma_correlate (sigma.h).
 *
 * Semantics, per the Sigma correlation specification:
 *   - Every time is EVENT time (t_ms of the match).  The window of a match
 *     is [t_ms - timespan, t_ms], both edges in, as in rules/prim.h.  A late
 *     event (older than matches already folded in) is judged against the
 *     window ending at its own time; records keep the newest entries.
 *   - group-by splits the windows: one window per distinct tuple of values
 *     (the first value each path reaches).  A field absent from the event
 *     groups as "" (the specification groups events without the field
 *     together rather than dropping them).  No group-by: one org-wide window.
 *   - event_count: matches of any referenced rule; value_count: distinct
 *     values of `field` (an event without it adds nothing); temporal: how
 *     many of the referenced rules matched (default all); temporal_ordered:
 *     all of them, in the order listed.
 *   - A match without an event time (t_ms <= 0) is not counted.
 *   - lt/lte alone ("fewer than") would need the absence of matches to be
 *     noticed, which a match-driven check cannot do: refused unless paired
 *     with gt/gte/eq as a range, checked at each match.
 *
 * Firing: *fired is 1 whenever, after folding this match in, the condition
 * holds.  The window is NOT reset after firing: a burst that keeps going
 * keeps firing, and the engine's alert aggregation (alert/alert.h) turns
 * those firings into new versions of one alert, not a flood of alerts.
 *
 * State: one record per (correlation, group) under the key "g" + hex of
 * SHA-256 over a fingerprint of the rule (type, rules, field, group-by
 * paths) and the group's values: a rule edited to count something else
 * starts from empty windows instead of misreading old ones.  Each type has
 * its own record version byte (bumped whenever its struct changes).  The
 * limits below keep every record within IDW_STATE_MAX; a threshold above
 * them is refused at load, naming it.
 */
#include "sigma/sigma_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define CORR_MAX_REFS 16            /* rules a correlation lists (temporal: a time per rule) */
#define CORR_MAX_GROUP 8            /* group-by fields */
#define CORR_MAX_EVENTS 256         /* event_count: timestamps one window holds */
#define CORR_MAX_VALUES 128         /* value_count: distinct values one window holds */
#define CORR_MAX_NUMBER 1000000000ull   /* a condition number beyond this is nonsense, not a limit */
#define CORR_SPAN_MIN_MS 1000LL
#define CORR_SPAN_MAX_MS (30LL * 24 * 3600 * 1000)
#define CORR_VALUE_MAX 1024         /* bytes of one group-by or counted value that are compared */
#define CORR_FP_HEX 65              /* the rule fingerprint: hex of SHA-256, NUL */
#define CORR_NO_BOUND UINT64_MAX

/* Record versions, one per type (so equal-sized records of two types are never confused). */
#define EC_VERSION 0x11
#define VC_VERSION 0x21
#define TP_VERSION 0x31
#define TO_VERSION 0x41

enum corr_type { CT_EVENT_COUNT, CT_VALUE_COUNT, CT_TEMPORAL, CT_TEMPORAL_ORDERED, CT_N };

static const char *const type_names[CT_N] = {"event_count", "value_count", "temporal", "temporal_ordered"};

struct idw_sigma_corr {
    enum corr_type type;
    char *refbuf;                   /* owns the text of every rule reference */
    const char *refs[CORR_MAX_REFS];    /* into refbuf, as written */
    unsigned nrefs;
    struct idw_sigma_path group[CORR_MAX_GROUP];
    unsigned ngroup;
    int64_t span_ms;
    char span_text[24];             /* as written, for `what` */
    uint64_t lo, hi;                /* the condition, both inclusive; hi CORR_NO_BOUND: none */
    struct idw_sigma_path field;    /* value_count */
    int has_field;
    int generate;
    char fp[CORR_FP_HEX];           /* fingerprint of what the windows count */
};

/* ---- the record of each type ------------------------------------------------ */

/* event_count: the times of the latest matches; 0 marks a free slot. */
struct ec_rec {
    int64_t t[CORR_MAX_EVENTS];
};

/* value_count: the first 8 bytes of SHA-256 of each value, and when it was last seen (0: free). */
struct vc_slot {
    uint64_t h;
    int64_t t;
};
struct vc_rec {
    struct vc_slot v[CORR_MAX_VALUES];
};

/*
 * temporal: when each listed rule last matched (0: never).  temporal_ordered:
 * at[i] is the latest start time of a run of matches of rules 0..i in the
 * listed order (0: none), so a rule matching again out of turn cannot hide
 * an earlier run that was in order.
 */
struct tp_rec {
    int64_t at[CORR_MAX_REFS];
};

_Static_assert(sizeof(struct ec_rec) <= IDW_STATE_MAX, "event_count record too big");
_Static_assert(sizeof(struct vc_rec) <= IDW_STATE_MAX, "value_count record too big");
_Static_assert(sizeof(struct tp_rec) <= IDW_STATE_MAX, "temporal record too big");

/* ---- compiling ------------------------------------------------------------- */

struct cc {
    yaml_document_t *d;
    const char *file;
    struct idw_sigma_corr *c;
    char *err;
    size_t errlen;
};

static enum idw_rc fail(struct cc *cc, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* err = "file:line: reason"; always IDW_ERR. */
static enum idw_rc fail(struct cc *cc, const yaml_node_t *n, const char *fmt, ...)
{
    va_list ap;
    int k = snprintf(cc->err, cc->errlen, "%s:%u: ", cc->file, idw_yaml_line(n));

    if (k >= 0 && (size_t)k < cc->errlen) {
        va_start(ap, fmt);
        vsnprintf(cc->err + k, cc->errlen - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return IDW_ERR;
}

enum ckey { K_TYPE, K_RULES, K_GROUP, K_SPAN, K_COND, K_GEN, K_ALIASES, K_N };

static const char *const ckey_names[K_N] = {"type", "rules", "group-by", "timespan", "condition",
                                            "generate", "aliases"};

static yaml_node_t *node_at(struct cc *cc, int index)
{
    return yaml_document_get_node(cc->d, index);
}

/* The value node of each known key into val[]; an unknown or repeated key refused. */
static enum idw_rc collect_keys(struct cc *cc, yaml_node_t *map, yaml_node_t *val[K_N])
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(cc, p->key);
        const char *name = idw_yaml_scalar(k);
        unsigned i = 0;

        while (i < K_N && !(name && !strcmp(name, ckey_names[i])))
            i++;
        if (i == K_N)
            return fail(cc, k, "unknown key '%.64s' in correlation (type, rules, group-by, timespan, "
                        "condition, generate)", name ? name : "(not a string)");
        if (val[i])
            return fail(cc, k, "correlation key '%s' given twice", name);
        val[i] = node_at(cc, p->value);
    }
    return IDW_OK;
}

static enum idw_rc parse_type(struct cc *cc, const yaml_node_t *map, const yaml_node_t *n)
{
    const char *s = idw_yaml_scalar(n);

    if (!n)
        return fail(cc, map, "correlation has no type (event_count, value_count, temporal, "
                    "temporal_ordered)");
    for (unsigned i = 0; s && i < CT_N; i++) {
        if (!strcmp(s, type_names[i])) {
            cc->c->type = (enum corr_type)i;
            return IDW_OK;
        }
    }
    return fail(cc, n, "correlation type '%.64s' is not supported (event_count, value_count, temporal, "
                "temporal_ordered)", s ? s : "(not a string)");
}

static int is_temporal(const struct idw_sigma_corr *c)
{
    return c->type == CT_TEMPORAL || c->type == CT_TEMPORAL_ORDERED;
}

/* Entry i of `rules`: a non-empty string, not listed before; *size grows by its length + 1. */
static enum idw_rc check_ref(struct cc *cc, const yaml_node_t *seq, size_t i, size_t *size)
{
    const yaml_node_item_t *items = seq->data.sequence.items.start;
    const yaml_node_t *item = node_at(cc, items[i]);
    const char *s = idw_yaml_scalar(item);

    if (!s || !*s)
        return fail(cc, item, "correlation rules: each entry must be a rule id or name");
    for (size_t j = 0; j < i; j++)
        if (!strcmp(idw_yaml_scalar(node_at(cc, items[j])), s))
            return fail(cc, item, "correlation rules: '%.64s' is listed twice", s);
    *size += strlen(s) + 1;
    return IDW_OK;
}

/* The checked entries copied into one owned buffer (one allocation, however many rules). */
static enum idw_rc copy_refs(struct cc *cc, const yaml_node_t *seq, size_t count, size_t size)
{
    struct idw_sigma_corr *c = cc->c;
    size_t off = 0;

    c->refbuf = malloc(size);
    if (!c->refbuf)
        return fail(cc, seq, "out of memory");
    for (size_t i = 0; i < count; i++) {
        const char *s = idw_yaml_scalar(node_at(cc, seq->data.sequence.items.start[i]));
        size_t n = strlen(s) + 1;

        memcpy(c->refbuf + off, s, n);
        c->refs[i] = c->refbuf + off;
        off += n;
    }
    c->nrefs = (unsigned)count;
    return IDW_OK;
}

static enum idw_rc parse_rules(struct cc *cc, const yaml_node_t *map, const yaml_node_t *n)
{
    size_t count, size = 0;

    if (!n)
        return fail(cc, map, "correlation has no rules (the ids or names of the rules it correlates)");
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(cc, n, "correlation rules must be a list of rule ids or names");
    count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (count == 0)
        return fail(cc, n, "correlation rules is empty");
    if (count > CORR_MAX_REFS)
        return fail(cc, n, "correlation lists %zu rules (at most %d)", count, CORR_MAX_REFS);
    for (size_t i = 0; i < count; i++)
        if (check_ref(cc, n, i, &size) < 0)
            return IDW_ERR;
    if (is_temporal(cc->c) && count < 2)
        return fail(cc, n, "a %s correlation needs at least 2 rules", type_names[cc->c->type]);
    return copy_refs(cc, n, count, size);
}

/* A field path at item (group-by, condition.field). */
static enum idw_rc compile_field(struct cc *cc, const yaml_node_t *item, const char *what,
                                 struct idw_sigma_path *p)
{
    const char *s = idw_yaml_scalar(item);
    char perr[256];

    if (!s || !*s)
        return fail(cc, item, "%s must be a field name", what);
    if (idw_sigma_path_compile(s, p, perr, sizeof perr) < 0)
        return fail(cc, item, "%s: %s", what, perr);
    return IDW_OK;
}

static enum idw_rc parse_group(struct cc *cc, const yaml_node_t *n)
{
    struct idw_sigma_corr *c = cc->c;
    size_t count;

    if (!n)
        return IDW_OK;      /* one org-wide window */
    if (n->type != YAML_SEQUENCE_NODE)
        return fail(cc, n, "group-by must be a list of field names");
    count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (count > CORR_MAX_GROUP)
        return fail(cc, n, "group-by lists %zu fields (at most %d)", count, CORR_MAX_GROUP);
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        if (compile_field(cc, node_at(cc, *it), "group-by", &c->group[c->ngroup]) < 0)
            return IDW_ERR;
        c->ngroup++;
    }
    return IDW_OK;
}

/* "<digits><s|m|h|d>", within 1 s .. 30 d. */
static enum idw_rc parse_span(struct cc *cc, const yaml_node_t *map, const yaml_node_t *n)
{
    static const struct {
        char unit;
        int64_t ms;
    } units[] = {
        {'s', 1000LL}, {'m', 60000LL}, {'h', 3600000LL}, {'d', 86400000LL},
    };
    const char *s = idw_yaml_scalar(n);
    size_t digits = 0;
    int64_t v = 0;

    if (!n)
        return fail(cc, map, "correlation has no timespan (e.g. 5m, 1h, 2d)");
    while (s && s[digits] >= '0' && s[digits] <= '9' && digits < 9)
        v = v * 10 + (s[digits++] - '0');
    for (unsigned i = 0; digits && s[digits] && !s[digits + 1] && i < sizeof units / sizeof units[0]; i++) {
        if (s[digits] != units[i].unit)
            continue;
        if (v * units[i].ms < CORR_SPAN_MIN_MS || v * units[i].ms > CORR_SPAN_MAX_MS)
            return fail(cc, n, "timespan '%s' is out of range (1s to 30d)", s);
        cc->c->span_ms = v * units[i].ms;
        idw_strlcpy(cc->c->span_text, s, sizeof cc->c->span_text);
        return IDW_OK;
    }
    return fail(cc, n, "timespan '%.64s' is not a whole number followed by s, m, h or d (e.g. 5m)",
                s ? s : "(not a string)");
}

static enum idw_rc parse_generate(struct cc *cc, const yaml_node_t *n)
{
    static const char *const yes[] = {"true", "True", "TRUE"}, *const no[] = {"false", "False", "FALSE"};
    const char *s = idw_yaml_scalar(n);

    for (unsigned i = 0; n && s && i < 3; i++) {
        if (!strcmp(s, yes[i]))
            cc->c->generate = 1;
        if (!strcmp(s, yes[i]) || !strcmp(s, no[i]))
            return IDW_OK;
    }
    return n ? fail(cc, n, "generate must be true or false") : IDW_OK;
}

/* ---- the condition ---- */

enum bound { B_GT, B_GTE, B_LT, B_LTE, B_EQ, B_FIELD, B_N };

static const char *const bound_names[B_N] = {"gt", "gte", "lt", "lte", "eq", "field"};

/* The condition's keys, read but not yet judged. */
struct cond {
    const yaml_node_t *key[B_N];
    uint64_t num[B_N];
};

static enum idw_rc parse_number(struct cc *cc, const yaml_node_t *n, const char *name, uint64_t *out)
{
    const char *s = idw_yaml_scalar(n);
    char *end = NULL;
    unsigned long long v;

    if (!s || *s < '0' || *s > '9')
        return fail(cc, n, "condition %s must be a whole number, not '%.64s'", name,
                    s ? s : "(not a string)");
    v = strtoull(s, &end, 10);
    if (*end)
        return fail(cc, n, "condition %s must be a whole number, not '%.64s'", name, s);
    if (v > CORR_MAX_NUMBER)
        return fail(cc, n, "condition %s %.64s is out of range", name, s);
    *out = v;
    return IDW_OK;
}

static enum idw_rc read_cond(struct cc *cc, const yaml_node_t *n, struct cond *k)
{
    if (n->type != YAML_MAPPING_NODE)
        return fail(cc, n, "correlation condition must be a mapping (e.g. gte: 5)");
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const yaml_node_t *key = node_at(cc, p->key), *val = node_at(cc, p->value);
        const char *name = idw_yaml_scalar(key);
        unsigned b = 0;

        while (b < B_N && !(name && !strcmp(name, bound_names[b])))
            b++;
        if (b == B_N)
            return fail(cc, key, "unknown condition '%.64s' (gt, gte, lt, lte, eq, field)",
                        name ? name : "(not a string)");
        if (k->key[b])
            return fail(cc, key, "condition '%s' given twice", name);
        k->key[b] = key;
        if (b == B_FIELD)
            continue;
        if (parse_number(cc, val, name, &k->num[b]) < 0)
            return IDW_ERR;
    }
    return IDW_OK;
}

/* Which of the three keys of one side (gt/gte/eq or lt/lte/eq) is given: at most one (B_N: none). */
static enum idw_rc one_bound(struct cc *cc, const struct cond *k, const unsigned side[3], const char *what,
                             unsigned *which)
{
    *which = B_N;
    for (unsigned i = 0; i < 3; i++) {
        const yaml_node_t *a = *which == B_N ? NULL : k->key[*which], *b = k->key[side[i]];
        if (a && b) {
            /* name them in the order written, pointing at the second */
            int b_later = b->start_mark.index > a->start_mark.index;
            return fail(cc, b_later ? b : a, "condition: %s and %s both set %s %s bound",
                        bound_names[b_later ? *which : side[i]], bound_names[b_later ? side[i] : *which],
                        what[0] == 'u' ? "an" : "a", what);
        }
        if (b)
            *which = side[i];
    }
    return IDW_OK;
}

/* The two bounds from gt/gte/eq and lt/lte/eq, at most one each; lo_key and hi_key say which. */
static enum idw_rc cond_bounds(struct cc *cc, const yaml_node_t *n, const struct cond *k, unsigned *lo_key,
                               unsigned *hi_key)
{
    static const unsigned lows[] = {B_GT, B_GTE, B_EQ}, highs[] = {B_LT, B_LTE, B_EQ};
    struct idw_sigma_corr *c = cc->c;

    if (one_bound(cc, k, lows, "lower", lo_key) < 0 || one_bound(cc, k, highs, "upper", hi_key) < 0)
        return IDW_ERR;
    if (*lo_key == B_N)
        return fail(cc, n, "condition with only lt/lte (fewer than) cannot be decided when a match arrives; "
                    "give gt or gte too, as a range");
    if (*hi_key == B_LT && k->num[B_LT] == 0)
        return fail(cc, k->key[B_LT], "condition lt 0 can never hold");
    c->lo = k->num[*lo_key] + (*lo_key == B_GT);
    c->hi = *hi_key == B_N ? CORR_NO_BOUND : k->num[*hi_key] - (*hi_key == B_LT);
    if (c->lo > c->hi)
        return fail(cc, n, "condition can never hold (at least %llu and at most %llu)",
                    (unsigned long long)c->lo, (unsigned long long)c->hi);
    return IDW_OK;
}

/*
 * A window holds at most cap entries: a lower bound above cap could never
 * be reached, and an upper bound of cap or more could not be told from
 * "more than cap" (the window keeps the newest cap).
 */
static enum idw_rc cond_fits(struct cc *cc, const struct cond *k, unsigned lo_key, unsigned hi_key)
{
    const struct idw_sigma_corr *c = cc->c;
    unsigned cap = c->type == CT_EVENT_COUNT ? CORR_MAX_EVENTS : CORR_MAX_VALUES;
    const char *what = c->type == CT_EVENT_COUNT ? "matches" : "distinct values";

    if (c->lo > cap)
        return fail(cc, k->key[lo_key], "condition %s %llu is above the %u %s a correlation window holds",
                    bound_names[lo_key], (unsigned long long)k->num[lo_key], cap, what);
    if (c->hi != CORR_NO_BOUND && c->hi >= cap)
        return fail(cc, k->key[hi_key], "condition %s %llu is too high: a correlation window holds %u %s, "
                    "so the upper bound must stay below %u", bound_names[hi_key],
                    (unsigned long long)k->num[hi_key], cap, what, cap);
    return IDW_OK;
}

/* event_count and value_count: a threshold or a range; value_count also the field. */
static enum idw_rc parse_count_cond(struct cc *cc, const yaml_node_t *map, const yaml_node_t *n)
{
    struct idw_sigma_corr *c = cc->c;
    struct cond k = {0};
    unsigned lo_key, hi_key;

    if (!n)
        return fail(cc, map, "a %s correlation needs a condition (gt, gte, lt, lte or eq)",
                    type_names[c->type]);
    if (read_cond(cc, n, &k) < 0 || cond_bounds(cc, n, &k, &lo_key, &hi_key) < 0 ||
        cond_fits(cc, &k, lo_key, hi_key) < 0)
        return IDW_ERR;
    if (c->type == CT_EVENT_COUNT && k.key[B_FIELD])
        return fail(cc, k.key[B_FIELD], "condition field is only for value_count");
    if (c->type == CT_VALUE_COUNT && !k.key[B_FIELD])
        return fail(cc, n, "a value_count condition needs field (whose distinct values are counted)");
    if (k.key[B_FIELD]) {
        const yaml_node_t *val = NULL;
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++)
            if (node_at(cc, p->key) == k.key[B_FIELD])
                val = node_at(cc, p->value);
        if (compile_field(cc, val, "condition field", &c->field) < 0)
            return IDW_ERR;
        c->has_field = 1;
    }
    return IDW_OK;
}

/* temporal: optional `gte: N` (N of the listed rules, default all); temporal_ordered: all, in order. */
static enum idw_rc parse_temporal_cond(struct cc *cc, const yaml_node_t *n)
{
    struct idw_sigma_corr *c = cc->c;
    struct cond k = {0};

    c->lo = c->nrefs;
    c->hi = CORR_NO_BOUND;
    if (!n)
        return IDW_OK;
    if (read_cond(cc, n, &k) < 0)
        return IDW_ERR;
    for (unsigned b = 0; b < B_N; b++)
        if (k.key[b] && b != B_GTE)
            return fail(cc, k.key[b], "a temporal correlation's condition takes only gte (how many of its "
                        "rules must match)");
    if (!k.key[B_GTE])
        return fail(cc, n, "a temporal correlation's condition needs gte (how many of its rules must match)");
    if (k.num[B_GTE] < 1 || k.num[B_GTE] > c->nrefs)
        return fail(cc, k.key[B_GTE], "condition gte %llu: a temporal correlation listing %u rules takes "
                    "1 to %u", (unsigned long long)k.num[B_GTE], c->nrefs, c->nrefs);
    if (c->type == CT_TEMPORAL_ORDERED && k.num[B_GTE] != c->nrefs)
        return fail(cc, k.key[B_GTE], "condition gte %llu: a temporal_ordered correlation needs all its %u "
                    "rules, in order", (unsigned long long)k.num[B_GTE], c->nrefs);
    c->lo = k.num[B_GTE];
    return IDW_OK;
}

/* Appends "<len>:<s>" to buf at *len (bounded), so joined values can never run into each other. */
static void put_part(char *buf, size_t size, size_t *len, const char *s)
{
    size_t n = strlen(s);
    int k;

    if (n > CORR_VALUE_MAX)
        n = CORR_VALUE_MAX;
    k = snprintf(buf + *len, size - *len, "%zu:%.*s", n, (int)n, s);
    if (k > 0)
        *len = *len + (size_t)k < size ? *len + (size_t)k : size - 1;
}

/* What the windows count, hashed: type, rules, field and group-by paths. */
static enum idw_rc fingerprint(struct cc *cc, const yaml_node_t *map)
{
    struct idw_sigma_corr *c = cc->c;
    size_t size = 64, len = 0;
    char *buf;

    for (unsigned i = 0; i < c->nrefs; i++)
        size += strlen(c->refs[i]) + 24;
    for (unsigned i = 0; i < c->ngroup; i++)
        size += strlen(c->group[i].text) + 24;
    size += c->has_field ? strlen(c->field.text) + 24 : 0;
    buf = malloc(size);
    if (!buf)
        return fail(cc, map, "out of memory");
    len = (size_t)snprintf(buf, size, "%s|", type_names[c->type]);
    for (unsigned i = 0; i < c->nrefs; i++)
        put_part(buf, size, &len, c->refs[i]);
    put_part(buf, size, &len, "|");
    for (unsigned i = 0; i < c->ngroup; i++)
        put_part(buf, size, &len, c->group[i].text);
    put_part(buf, size, &len, c->has_field ? c->field.text : "");
    idw_sha256_hex(buf, len, 32, c->fp);
    free(buf);
    return IDW_OK;
}

static enum idw_rc compile_parts(struct cc *cc, yaml_node_t *map)
{
    yaml_node_t *val[K_N] = {0};

    if (map->type != YAML_MAPPING_NODE)
        return fail(cc, map, "correlation must be a mapping (type, rules, group-by, timespan, condition)");
    if (collect_keys(cc, map, val) < 0)
        return IDW_ERR;
    if (val[K_ALIASES])
        return fail(cc, val[K_ALIASES], "correlation aliases are not supported");
    if (parse_type(cc, map, val[K_TYPE]) < 0 || parse_rules(cc, map, val[K_RULES]) < 0 ||
        parse_group(cc, val[K_GROUP]) < 0 || parse_span(cc, map, val[K_SPAN]) < 0 ||
        parse_generate(cc, val[K_GEN]) < 0)
        return IDW_ERR;
    if (is_temporal(cc->c) ? parse_temporal_cond(cc, val[K_COND]) < 0
                           : parse_count_cond(cc, map, val[K_COND]) < 0)
        return IDW_ERR;
    return fingerprint(cc, map);
}

enum idw_rc idw_sigma_corr_compile(yaml_document_t *d, yaml_node_t *node, const char *file,
                                   struct idw_sigma_corr **out, char *err, size_t errlen)
{
    struct idw_sigma_corr *c = calloc(1, sizeof *c);
    struct cc cc = {.d = d, .file = file, .c = c, .err = err, .errlen = errlen};

    *out = NULL;
    if (!c)
        return fail(&cc, node, "out of memory");
    if (compile_parts(&cc, node) < 0) {
        idw_sigma_corr_free(c);
        return IDW_ERR;
    }
    *out = c;
    return IDW_OK;
}

void idw_sigma_corr_free(struct idw_sigma_corr *c)
{
    if (!c)
        return;
    free(c->refbuf);
    for (unsigned i = 0; i < c->ngroup; i++)
        idw_sigma_path_free(&c->group[i]);
    if (c->has_field)
        idw_sigma_path_free(&c->field);
    free(c);
}

/* ---- accessors ------------------------------------------------------------ */

unsigned idw_sigma_corr_nrefs(const struct idw_sigma_corr *c)
{
    return c->nrefs;
}

const char *idw_sigma_corr_ref(const struct idw_sigma_corr *c, unsigned i)
{
    return i < c->nrefs ? c->refs[i] : NULL;
}

int idw_sigma_corr_generate(const struct idw_sigma_corr *c)
{
    return c->generate;
}

const char *idw_sigma_corr_type(const struct idw_sigma_corr *c)
{
    return type_names[c->type];
}

/* ---- windows ------------------------------------------------------------- */

/* The group of an event: its state key, and "path=value, ..." for `what`. */
struct group {
    char key[2 + CORR_FP_HEX];
    char desc[512];
};

static void group_of(const struct idw_sigma_corr *c, const struct idw_sigma_event *ev, struct group *g)
{
    char buf[CORR_FP_HEX + CORR_MAX_GROUP * (CORR_VALUE_MAX + 24)], val[CORR_VALUE_MAX + 1];
    size_t len = 0, dlen = 0;

    put_part(buf, sizeof buf, &len, c->fp);
    snprintf(g->desc, sizeof g->desc, "%s", c->ngroup ? "" : "the whole org");
    for (unsigned i = 0; i < c->ngroup; i++) {
        /* an absent field groups as "" (the specification keeps such events, grouped together) */
        if (!idw_sigma_path_first_text(&c->group[i], ev, val, sizeof val))
            val[0] = '\0';
        put_part(buf, sizeof buf, &len, val);
        int k = snprintf(g->desc + dlen, sizeof g->desc - dlen, "%s%s=%s", i ? ", " : "",
                         c->group[i].text, val);
        if (k > 0)
            dlen = dlen + (size_t)k < sizeof g->desc ? dlen + (size_t)k : sizeof g->desc - 1;
    }
    g->key[0] = 'g';
    idw_sha256_hex(buf, len, 32, g->key + 1);
}

static int in_window(int64_t t, int64_t end, int64_t span)
{
    return t && t >= end - span && t <= end;
}

/*
 * Folds a match at t into the times (cap slots, 0 free): frees those older
 * than the window, then takes a free slot, else the oldest one unless t is
 * older still (the newest are kept).  Returns how many are in the window.
 */
static unsigned ec_add(struct ec_rec *r, int64_t t, int64_t span)
{
    unsigned slot = 0, n = 0;

    for (unsigned i = 0; i < CORR_MAX_EVENTS; i++)
        if (r->t[i] && r->t[i] < t - span)
            r->t[i] = 0;
    for (unsigned i = 0; i < CORR_MAX_EVENTS && r->t[slot]; i++)
        if (!r->t[i] || r->t[i] < r->t[slot])
            slot = i;
    if (!r->t[slot] || r->t[slot] < t)
        r->t[slot] = t;
    for (unsigned i = 0; i < CORR_MAX_EVENTS; i++)
        n += (unsigned)in_window(r->t[i], t, span);
    return n;
}

/* The same for distinct values: a value seen again only moves its time. */
static unsigned vc_add(struct vc_rec *r, uint64_t h, int64_t t, int64_t span)
{
    unsigned slot = 0, n = 0;
    int found = 0;

    for (unsigned i = 0; i < CORR_MAX_VALUES; i++)
        if (r->v[i].t && r->v[i].t < t - span)
            memset(&r->v[i], 0, sizeof r->v[i]);
    for (unsigned i = 0; i < CORR_MAX_VALUES && !found; i++) {
        if (r->v[i].t && r->v[i].h == h) {
            slot = i;
            found = 1;
        } else if (r->v[slot].t && (!r->v[i].t || r->v[i].t < r->v[slot].t)) {
            slot = i;
        }
    }
    if (found && r->v[slot].t < t)
        r->v[slot].t = t;
    if (!found && (!r->v[slot].t || r->v[slot].t < t))
        r->v[slot] = (struct vc_slot){.h = h, .t = t};
    for (unsigned i = 0; i < CORR_MAX_VALUES; i++)
        n += (unsigned)in_window(r->v[i].t, t, span);
    return n;
}

/* The first 8 bytes of SHA-256 of the value. */
static uint64_t value_hash(const char *v)
{
    char hex[17];

    idw_sha256_hex(v, strlen(v), 8, hex);
    return strtoull(hex, NULL, 16);
}

/* "a, b, c": the listed rules whose bit is set in mask. */
static void ref_list(const struct idw_sigma_corr *c, uint32_t mask, char *out, size_t outlen)
{
    size_t len = 0;

    out[0] = '\0';
    for (unsigned i = 0; i < c->nrefs; i++) {
        if (!(mask & (1u << i)))
            continue;
        int k = snprintf(out + len, outlen - len, "%s%s", len ? ", " : "", c->refs[i]);
        if (k > 0)
            len = len + (size_t)k < outlen ? len + (size_t)k : outlen - 1;
    }
}

/* What an event_count or value_count match did: the new count, or IDW_ERR from rule state. */
static enum idw_rc count_update(const struct idw_sigma_corr *c, struct idw_detect_ctx *ctx, const char *key,
                                const struct idw_sigma_event *ev, int64_t t, unsigned *n)
{
    struct ec_rec ec;
    struct vc_rec vc;
    char val[CORR_VALUE_MAX + 1];

    if (c->type == CT_EVENT_COUNT) {
        if (idw_state_get(ctx, key, EC_VERSION, &ec, sizeof ec) < 0)
            return IDW_ERR;
        *n = ec_add(&ec, t, c->span_ms);
        return idw_state_put(ctx, key, EC_VERSION, &ec, sizeof ec);
    }
    if (idw_state_get(ctx, key, VC_VERSION, &vc, sizeof vc) < 0)
        return IDW_ERR;
    if (!idw_sigma_path_first_text(&c->field, ev, val, sizeof val) || !val[0]) {
        *n = 0;         /* no value (absent, null, empty) to count: the window is unchanged */
        for (unsigned i = 0; i < CORR_MAX_VALUES; i++)
            *n += (unsigned)in_window(vc.v[i].t, t, c->span_ms);
        return IDW_OK;
    }
    *n = vc_add(&vc, value_hash(val), t, c->span_ms);
    return idw_state_put(ctx, key, VC_VERSION, &vc, sizeof vc);
}

static enum idw_rc count_correlate(const struct idw_sigma_corr *c, const char *ref_name,
                                   struct idw_detect_ctx *ctx, const struct idw_sigma_event *ev, int64_t t,
                                   int *fired, char *what, size_t whatlen)
{
    struct group g;
    unsigned n = 0;
    char names[512];

    group_of(c, ev, &g);
    if (count_update(c, ctx, g.key, ev, t, &n) < 0)
        return IDW_ERR;
    *fired = n >= c->lo && n <= c->hi;
    if (!*fired)
        return IDW_OK;
    if (c->type == CT_VALUE_COUNT) {
        snprintf(what, whatlen, "%u distinct %s within %s for %s", n, c->field.text, c->span_text, g.desc);
        return IDW_OK;
    }
    if (c->nrefs == 1 && ref_name)
        idw_strlcpy(names, ref_name, sizeof names);
    else
        ref_list(c, (1u << c->nrefs) - 1, names, sizeof names);
    snprintf(what, whatlen, "%u matches of %s within %s for %s", n, names, c->span_text, g.desc);
    return IDW_OK;
}

/* temporal: when each rule last matched; *mask = the rules inside the window ending at t. */
static void temporal_fold(const struct idw_sigma_corr *c, struct tp_rec *r, unsigned ref, int64_t t,
                          uint32_t *mask)
{
    if (r->at[ref] < t)
        r->at[ref] = t;
    *mask = 0;
    for (unsigned i = 0; i < c->nrefs; i++)
        if (in_window(r->at[i], t, c->span_ms))
            *mask |= 1u << i;
}

/*
 * temporal_ordered: a match of rule 0 starts a run at t; a match of rule i
 * extends the run that reached rule i-1 (if it started within the window),
 * keeping the latest start.  Complete when the run reached the last rule
 * and started within the window ending at t.
 */
static int ordered_fold(const struct idw_sigma_corr *c, struct tp_rec *r, unsigned ref, int64_t t)
{
    int64_t start = ref == 0 ? t : r->at[ref - 1];

    if (in_window(start, t, c->span_ms) && r->at[ref] < start)
        r->at[ref] = start;
    return in_window(r->at[c->nrefs - 1], t, c->span_ms);
}

static enum idw_rc temporal_correlate(const struct idw_sigma_corr *c, unsigned ref,
                                      struct idw_detect_ctx *ctx, const struct idw_sigma_event *ev,
                                      int64_t t, int *fired, char *what, size_t whatlen)
{
    uint8_t version = c->type == CT_TEMPORAL ? TP_VERSION : TO_VERSION;
    uint32_t mask = (1u << c->nrefs) - 1;
    struct group g;
    struct tp_rec r;
    char names[512];
    unsigned n = 0;

    group_of(c, ev, &g);
    if (idw_state_get(ctx, g.key, version, &r, sizeof r) < 0)
        return IDW_ERR;
    if (c->type == CT_TEMPORAL)
        temporal_fold(c, &r, ref, t, &mask);
    else
        *fired = ordered_fold(c, &r, ref, t);
    if (idw_state_put(ctx, g.key, version, &r, sizeof r) < 0)
        return IDW_ERR;
    for (unsigned i = 0; i < c->nrefs; i++)
        n += (mask >> i) & 1u;
    if (c->type == CT_TEMPORAL)
        *fired = n >= c->lo;
    if (!*fired)
        return IDW_OK;
    ref_list(c, mask, names, sizeof names);
    snprintf(what, whatlen, "rules %s matched %swithin %s for %s", names,
             c->type == CT_TEMPORAL_ORDERED ? "in order " : "", c->span_text, g.desc);
    return IDW_OK;
}

/*
 * IDW_OK with *fired, or IDW_ERR when rule state failed (the ctx's sticky
 * failure is set) or ref is out of range (a caller's bug).  A match
 * without an event time counts nothing.
 */
enum idw_rc idw_sigma_corr_update(const struct idw_sigma_corr *c, unsigned ref, const char *ref_name,
                                  struct idw_detect_ctx *ctx, const struct idw_sigma_event *ev,
                                  int64_t t_ms, int *fired, char *what, size_t whatlen)
{
    *fired = 0;
    if (whatlen)
        what[0] = '\0';
    if (ref >= c->nrefs)
        return IDW_ERR;
    if (t_ms <= 0)
        return IDW_OK;      /* no event time (0 marks a free slot): nothing to place in a window */
    if (is_temporal(c))
        return temporal_correlate(c, ref, ctx, ev, t_ms, fired, what, whatlen);
    return count_correlate(c, ref_name, ctx, ev, t_ms, fired, what, whatlen);
}
