/*
 * sigma_detect.c — a Sigma `detection:` compiled at load and matched per
 * event.  Search identifiers are maps (AND of field conditions) or lists
 * of maps (OR); a field condition is a path, modifiers and one or more
 * values (OR, or AND with `|all`).  At load every value is prepared for
 * the event side: literals unescaped and lower-cased (ASCII) unless
 * `|cased`, wildcard values turned into token patterns, regexes compiled
 * (with their match data), CIDRs parsed, numbers read.  Matching then
 * walks the event's JSON without allocating.
 *
 * The condition (sigma_cond.c) also tells the loader which eventType
 * values the rule requires, for dispatch (idw_sigma_detection_types).
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "sigma/sigma_det.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum vop {
    V_EQ,           /* equal (also neq, negated) */
    V_CONTAINS,
    V_STARTS,
    V_ENDS,
    V_GLOB,         /* a pattern with * or ?: tokens in pat */
    V_RE,
    V_CIDR,
    V_EXISTS,
    V_GT,
    V_GTE,
    V_LT,
    V_LTE,
    V_FIELDREF,
    V_NULL,         /* the field is absent or null */
};

/* Pattern tokens: a byte, or one of these. */
#define TOK_ANY1 256    /* ? */
#define TOK_ANYN 257    /* * */

struct val {
    enum vop op;
    char *lit;                  /* the literal, unescaped; lower-cased unless cased */
    size_t len;
    uint16_t *pat;              /* V_GLOB */
    size_t npat;
    int is_num;                 /* a plain number in the rule (or a comparison operand) */
    double num;
    int want;                   /* V_EXISTS: true/false */
    pcre2_code *re;
    pcre2_match_data *md;       /* made once at load: match runs allocate nothing */
    unsigned char net[16];
    int family;
    unsigned prefix;
    struct idw_sigma_path ref;  /* V_FIELDREF */
};

struct fcond {
    struct idw_sigma_path path;
    struct val *v;
    unsigned nv;
    int all;
    int cased;
    int neq;
};

struct smap {
    struct fcond *c;
    unsigned nc;
};

struct ident {
    char *name;
    struct smap *maps;
    unsigned nmaps;
};

struct idw_sigma_detection {
    struct ident *ids;
    unsigned nids;
    struct idw_cond *cond;
    char **types;               /* eventType values required, lower-cased; NULL: any */
    unsigned ntypes;
};

/* ---- freeing ----------------------------------------------------------------------- */

static void val_free(struct val *v)
{
    free(v->lit);
    free(v->pat);
    pcre2_match_data_free(v->md);
    pcre2_code_free(v->re);
    idw_sigma_path_free(&v->ref);
}

static void fcond_free(struct fcond *fc)
{
    for (unsigned i = 0; i < fc->nv; i++)
        val_free(&fc->v[i]);
    free(fc->v);
    idw_sigma_path_free(&fc->path);
}

void idw_sigma_detection_free(struct idw_sigma_detection *det)
{
    if (!det)
        return;
    for (unsigned i = 0; i < det->nids; i++) {
        for (unsigned m = 0; m < det->ids[i].nmaps; m++) {
            for (unsigned c = 0; c < det->ids[i].maps[m].nc; c++)
                fcond_free(&det->ids[i].maps[m].c[c]);
            free(det->ids[i].maps[m].c);
        }
        free(det->ids[i].maps);
        free(det->ids[i].name);
    }
    free(det->ids);
    idw_sigma_cond_free(det->cond);
    for (unsigned i = 0; i < det->ntypes; i++)
        free(det->types[i]);
    free(det->types);
    free(det);
}

/* ---- compiling ---------------------------------------------------------------------- */

struct cc {                     /* compile context */
    yaml_document_t *d;
    const char *file;
    char *err;
    size_t errlen;
};

#define CC_FAIL(cc, node, ...)                                                     \
    do {                                                                           \
        int n_ = snprintf((cc)->err, (cc)->errlen, "%s:%u: ", (cc)->file, idw_yaml_line(node)); \
        if (n_ >= 0 && (size_t)n_ < (cc)->errlen)                                  \
            snprintf((cc)->err + n_, (cc)->errlen - (size_t)n_, __VA_ARGS__);      \
    } while (0)

/* The modifiers of one key, `field|contains|all`. */
struct mods {
    enum vop op;
    int all;
    int cased;
    int neq;
    uint32_t re_flags;
    int re_sub;                 /* i/m/s seen */
    int ops;                    /* how many operation modifiers */
};

static int parse_modifier(struct cc *cc, yaml_node_t *key, const char *m, struct mods *md)
{
    static const struct {
        const char *name;
        enum vop op;
    } ops[] = {
        {.name = "contains", .op = V_CONTAINS}, {.name = "startswith", .op = V_STARTS},
        {.name = "endswith", .op = V_ENDS},     {.name = "re", .op = V_RE},
        {.name = "cidr", .op = V_CIDR},         {.name = "exists", .op = V_EXISTS},
        {.name = "gt", .op = V_GT},             {.name = "gte", .op = V_GTE},
        {.name = "lt", .op = V_LT},             {.name = "lte", .op = V_LTE},
        {.name = "fieldref", .op = V_FIELDREF},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (strcmp(m, ops[i].name) == 0) {
            md->op = ops[i].op;
            md->ops++;
            return 0;
        }
    }
    if (strcmp(m, "all") == 0)
        md->all = 1;
    else if (strcmp(m, "cased") == 0)
        md->cased = 1;
    else if (strcmp(m, "neq") == 0)
        md->neq = 1;
    else if (strcmp(m, "i") == 0 || strcmp(m, "m") == 0 || strcmp(m, "s") == 0) {
        md->re_sub = 1;
        md->re_flags |= m[0] == 'i' ? PCRE2_CASELESS : m[0] == 'm' ? PCRE2_MULTILINE : PCRE2_DOTALL;
    } else {
        CC_FAIL(cc, key, "modifier '%.40s' is not supported", m);
        return -1;
    }
    return 0;
}

static int check_mods(struct cc *cc, yaml_node_t *key, const struct mods *md)
{
    const char *why = NULL;

    if (md->ops > 1)
        why = "at most one of contains, startswith, endswith, re, cidr, exists, gt, gte, lt, lte, fieldref";
    else if (md->re_sub && md->op != V_RE)
        why = "the modifiers i, m and s belong after 're'";
    else if (md->cased && (md->op == V_RE || md->op == V_CIDR || md->op == V_EXISTS
                           || (md->op >= V_GT && md->op <= V_LTE)))
        why = "'cased' applies to string comparisons (a regex is case-sensitive; add '|i' for not)";
    else if (md->neq && md->op != V_EQ)
        why = "'neq' cannot be combined with another comparison modifier";
    if (why) {
        CC_FAIL(cc, key, "%s", why);
        return -1;
    }
    return 0;
}

/* Unescapes \* \? \\ (other backslashes stay) and tokenizes; returns whether a wildcard was seen. */
static int tokenize(const char *s, size_t n, uint16_t *tok, size_t *ntok, int cased)
{
    int wild = 0;
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' && i + 1 < n && (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\')) {
            c = (unsigned char)s[++i];
            tok[k++] = cased ? c : (uint16_t)tolower(c);
            continue;
        }
        if (c == '*' || c == '?') {
            wild = 1;
            tok[k++] = c == '*' ? TOK_ANYN : TOK_ANY1;
            continue;
        }
        tok[k++] = cased || c >= 0x80 ? c : (uint16_t)tolower(c);
    }
    *ntok = k;
    return wild;
}

/* A string value of contains/startswith/endswith/equality: a literal, or a pattern when it has wildcards. */
static int prepare_text(struct cc *cc, yaml_node_t *vn, struct val *v, enum vop op, int cased)
{
    const char *s = idw_yaml_scalar(vn);
    size_t n = vn->data.scalar.length;
    size_t ntok;
    uint16_t *tok = malloc((n + 2) * sizeof *tok);

    if (!tok)
        goto oom;
    int wild = tokenize(s, n, tok + 1, &ntok, cased);
    v->op = op;
    if (!wild) {
        v->lit = malloc(ntok + 1);
        if (!v->lit)
            goto oom;
        for (size_t i = 0; i < ntok; i++)
            v->lit[i] = (char)tok[i + 1];
        v->lit[ntok] = '\0';
        v->len = ntok;
        free(tok);
        return 0;
    }
    /* contains -> *x*, startswith -> x*, endswith -> *x */
    size_t first = 1;
    if (op == V_CONTAINS || op == V_ENDS)
        tok[--first] = TOK_ANYN;
    if (op == V_CONTAINS || op == V_STARTS)
        tok[1 + ntok++] = TOK_ANYN;
    v->op = V_GLOB;
    v->npat = ntok + (1 - first);
    memmove(tok, tok + first, v->npat * sizeof *tok);
    v->pat = tok;
    return 0;
oom:
    free(tok);
    CC_FAIL(cc, vn, "out of memory");
    return -1;
}

static int prepare_re(struct cc *cc, yaml_node_t *vn, struct val *v, uint32_t flags)
{
    int code;
    PCRE2_SIZE off;

    v->op = V_RE;
    v->re = pcre2_compile((PCRE2_SPTR)idw_yaml_scalar(vn), vn->data.scalar.length,
                          flags | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &code, &off, NULL);
    if (!v->re) {
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
            snprintf((char *)msg, sizeof msg, "error %d", code);
        CC_FAIL(cc, vn, "bad regular expression at offset %zu: %s", (size_t)off, (char *)msg);
        return -1;
    }
    (void)pcre2_jit_compile(v->re, PCRE2_JIT_COMPLETE);    /* without JIT it is only slower */
    v->md = pcre2_match_data_create_from_pattern(v->re, NULL);
    if (!v->md) {
        CC_FAIL(cc, vn, "out of memory");
        return -1;
    }
    return 0;
}

static int prepare_cidr(struct cc *cc, yaml_node_t *vn, struct val *v)
{
    char buf[64];
    const char *s = idw_yaml_scalar(vn);
    char *slash;
    char *end;

    v->op = V_CIDR;
    if (vn->data.scalar.length >= sizeof buf)
        goto bad;
    memcpy(buf, s, vn->data.scalar.length + 1);
    slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    v->family = strchr(buf, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(v->family, buf, v->net) != 1)
        goto bad;
    unsigned max = v->family == AF_INET ? 32 : 128;
    v->prefix = max;
    if (slash) {
        errno = 0;
        unsigned long p = strtoul(slash + 1, &end, 10);
        if (!isdigit((unsigned char)slash[1]) || *end || errno || p > max)
            goto bad;
        v->prefix = (unsigned)p;
    }
    return 0;
bad:
    CC_FAIL(cc, vn, "'%.64s' is not an IPv4 or IPv6 network (a.b.c.d/n, x::/n)", s);
    return -1;
}

static int read_number(const char *s, double *out)
{
    char *end;

    if (!*s || isspace((unsigned char)*s))
        return 0;
    errno = 0;
    double d = strtod(s, &end);
    if (*end || errno || !isfinite(d))
        return 0;
    *out = d;
    return 1;
}

static int is_plain(const yaml_node_t *vn)
{
    return vn->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static int is_plain_null(const yaml_node_t *vn)
{
    const char *s = idw_yaml_scalar(vn);
    return is_plain(vn) && (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null")
                            || !strcmp(s, "NULL"));
}

static int prepare_value(struct cc *cc, yaml_node_t *vn, const struct mods *md, struct val *v)
{
    const char *s = idw_yaml_scalar(vn);
    char err[200];

    if (!s) {
        CC_FAIL(cc, vn, "a value must be a scalar or a list of scalars");
        return -1;
    }
    if (is_plain_null(vn)) {
        if (md->op != V_EQ || md->neq) {
            CC_FAIL(cc, vn, "null only compares for equality (the field is absent or null)");
            return -1;
        }
        v->op = V_NULL;
        return 0;
    }
    switch (md->op) {
    case V_RE:
        return prepare_re(cc, vn, v, md->re_flags);
    case V_CIDR:
        return prepare_cidr(cc, vn, v);
    case V_EXISTS:
        v->op = V_EXISTS;
        if (!is_plain(vn) || (strcasecmp(s, "true") != 0 && strcasecmp(s, "false") != 0)) {
            CC_FAIL(cc, vn, "'exists' takes true or false");
            return -1;
        }
        v->want = strcasecmp(s, "true") == 0;
        return 0;
    case V_GT:
    case V_GTE:
    case V_LT:
    case V_LTE:
        v->op = md->op;
        v->is_num = read_number(s, &v->num);
        if (!v->is_num) {
            CC_FAIL(cc, vn, "'%.40s' is not a number (gt, gte, lt, lte compare numbers)", s);
            return -1;
        }
        return 0;
    case V_FIELDREF:
        v->op = V_FIELDREF;
        if (idw_sigma_path_compile(s, &v->ref, err, sizeof err) != IDW_OK) {
            CC_FAIL(cc, vn, "fieldref: %s", err);
            return -1;
        }
        return 0;
    default:
        if (is_plain(vn))
            v->is_num = read_number(s, &v->num);
        return prepare_text(cc, vn, v, md->op, md->cased);
    }
}

/* `field|mods: value or [values]` into one field condition. */
static int compile_fcond(struct cc *cc, yaml_node_t *kn, yaml_node_t *vn, struct fcond *fc)
{
    char key[512];
    struct mods md = {.op = V_EQ};
    char *save = NULL;
    char err[200];

    if (kn->data.scalar.length >= sizeof key) {
        CC_FAIL(cc, kn, "field name longer than %zu bytes", sizeof key - 1);
        return -1;
    }
    memcpy(key, idw_yaml_scalar(kn), kn->data.scalar.length + 1);
    char *field = strtok_r(key, "|", &save);
    if (!field || key[0] == '|') {
        CC_FAIL(cc, kn, "keyword searches are not supported: name a field");
        return -1;
    }
    for (char *m = strtok_r(NULL, "|", &save); m; m = strtok_r(NULL, "|", &save)) {
        if (parse_modifier(cc, kn, m, &md) != 0)
            return -1;
    }
    if (check_mods(cc, kn, &md) != 0)
        return -1;
    if (idw_sigma_path_compile(field, &fc->path, err, sizeof err) != IDW_OK) {
        CC_FAIL(cc, kn, "%s", err);
        return -1;
    }
    fc->all = md.all;
    fc->cased = md.cased;
    fc->neq = md.neq;
    yaml_node_item_t one = 0;
    yaml_node_item_t *items = &one;
    size_t n = 1;
    if (vn->type == YAML_SEQUENCE_NODE) {
        items = vn->data.sequence.items.start;
        n = (size_t)(vn->data.sequence.items.top - items);
        if (n == 0) {
            CC_FAIL(cc, vn, "field '%.80s': an empty list of values", field);
            return -1;
        }
    }
    if (md.op == V_EXISTS && n != 1) {
        CC_FAIL(cc, vn, "'exists' takes one value, true or false");
        return -1;
    }
    fc->v = calloc(n, sizeof *fc->v);
    if (!fc->v) {
        CC_FAIL(cc, vn, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = vn->type == YAML_SEQUENCE_NODE ? yaml_document_get_node(cc->d, items[i]) : vn;
        fc->nv++;
        if (prepare_value(cc, item, &md, &fc->v[i]) != 0)
            return -1;
    }
    return 0;
}

static int compile_map(struct cc *cc, yaml_node_t *map, struct smap *sm)
{
    yaml_node_pair_t *p = map->data.mapping.pairs.start;
    size_t n = (size_t)(map->data.mapping.pairs.top - p);

    if (n == 0) {
        CC_FAIL(cc, map, "an empty search map");
        return -1;
    }
    sm->c = calloc(n, sizeof *sm->c);
    if (!sm->c) {
        CC_FAIL(cc, map, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *kn = yaml_document_get_node(cc->d, p[i].key);
        yaml_node_t *vn = yaml_document_get_node(cc->d, p[i].value);
        if (!idw_yaml_scalar(kn) || !vn) {
            CC_FAIL(cc, map, "a field name must be a string");
            return -1;
        }
        sm->nc++;
        if (compile_fcond(cc, kn, vn, &sm->c[i]) != 0)
            return -1;
    }
    return 0;
}

/* A search identifier: a map, or a list of maps (OR). */
static int compile_ident(struct cc *cc, yaml_node_t *kn, yaml_node_t *vn, struct ident *id)
{
    const char *keyword = "keyword searches are not supported: name a field";

    id->name = strdup(idw_yaml_scalar(kn));
    if (!id->name) {
        CC_FAIL(cc, kn, "out of memory");
        return -1;
    }
    if (vn->type == YAML_MAPPING_NODE) {
        id->maps = calloc(1, sizeof *id->maps);
        if (!id->maps) {
            CC_FAIL(cc, vn, "out of memory");
            return -1;
        }
        id->nmaps = 1;
        return compile_map(cc, vn, id->maps);
    }
    if (vn->type != YAML_SEQUENCE_NODE) {
        CC_FAIL(cc, vn, "search identifier '%.64s': %s", id->name, keyword);
        return -1;
    }
    yaml_node_item_t *it = vn->data.sequence.items.start;
    size_t n = (size_t)(vn->data.sequence.items.top - it);
    if (n == 0) {
        CC_FAIL(cc, vn, "search identifier '%.64s': an empty list", id->name);
        return -1;
    }
    id->maps = calloc(n, sizeof *id->maps);
    if (!id->maps) {
        CC_FAIL(cc, vn, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *m = yaml_document_get_node(cc->d, it[i]);
        if (!m || m->type != YAML_MAPPING_NODE) {
            CC_FAIL(cc, m ? m : vn, "search identifier '%.64s': %s", id->name, keyword);
            return -1;
        }
        id->nmaps++;
        if (compile_map(cc, m, &id->maps[i]) != 0)
            return -1;
    }
    return 0;
}

/* The condition's text: a string, or a list of strings (their OR, per the spec). */
static char *condition_text(struct cc *cc, yaml_node_t *cn)
{
    if (idw_yaml_scalar(cn) && cn->data.scalar.length > 0 && !is_plain_null(cn))
        return strdup(idw_yaml_scalar(cn));
    if (!cn || cn->type != YAML_SEQUENCE_NODE || cn->data.sequence.items.start == cn->data.sequence.items.top) {
        CC_FAIL(cc, cn, "condition must be a string or a list of strings");
        return NULL;
    }
    size_t len = 1;
    for (yaml_node_item_t *it = cn->data.sequence.items.start; it < cn->data.sequence.items.top; it++) {
        const char *s = idw_yaml_scalar(yaml_document_get_node(cc->d, *it));
        if (!s || !*s) {
            CC_FAIL(cc, cn, "condition must be a string or a list of strings");
            return NULL;
        }
        len += strlen(s) + 8;
    }
    char *out = calloc(1, len);
    if (!out) {
        CC_FAIL(cc, cn, "out of memory");
        return NULL;
    }
    for (yaml_node_item_t *it = cn->data.sequence.items.start; it < cn->data.sequence.items.top; it++) {
        if (out[0])
            strcat(out, " or ");
        strcat(out, "(");
        strcat(out, idw_yaml_scalar(yaml_document_get_node(cc->d, *it)));
        strcat(out, ")");
    }
    return out;
}

static int compile_condition(struct cc *cc, yaml_node_t *det_node, struct idw_sigma_detection *det)
{
    yaml_node_t *cn = idw_yaml_get(cc->d, det_node, "condition");
    const char **names;
    char err[256];

    if (!cn) {
        CC_FAIL(cc, det_node, "detection: 'condition' is required");
        return -1;
    }
    char *text = condition_text(cc, cn);
    if (!text)
        return -1;
    names = calloc(det->nids + 1, sizeof *names);
    if (!names) {
        free(text);
        CC_FAIL(cc, cn, "out of memory");
        return -1;
    }
    for (unsigned i = 0; i < det->nids; i++)
        names[i] = det->ids[i].name;
    enum idw_rc rc = idw_sigma_cond_parse(text, names, det->nids, &det->cond, err, sizeof err);
    free(names);
    free(text);
    if (rc != IDW_OK) {
        CC_FAIL(cc, cn, "%s", err);
        return -1;
    }
    return 0;
}

/* ---- dispatch: the eventType values a condition requires ---------------------------- */

struct tset {
    const char **v;             /* literal texts (owned by the detection's values) */
    unsigned n;
    int any;
};

static int tset_add(struct tset *t, const char *s)
{
    for (unsigned i = 0; i < t->n; i++) {
        if (strcasecmp(t->v[i], s) == 0)
            return 0;
    }
    const char **nv = realloc(t->v, (t->n + 1) * sizeof *nv);
    if (!nv)
        return -1;
    t->v = nv;
    t->v[t->n++] = s;
    return 0;
}

static int is_event_type_path(const struct idw_sigma_path *p)
{
    return !p->facts && p->n == 1 && strcasecmp(p->parts[0], "eventType") == 0;
}

/* A map restricts the type when one of its conditions is `eventType: literal(s)`. */
static int map_types(const struct smap *m, struct tset *out)
{
    for (unsigned c = 0; c < m->nc; c++) {
        const struct fcond *fc = &m->c[c];
        int usable = is_event_type_path(&fc->path) && !fc->neq;
        for (unsigned i = 0; usable && i < fc->nv; i++)
            usable = fc->v[i].op == V_EQ;
        if (!usable)
            continue;
        for (unsigned i = 0; i < fc->nv; i++) {
            if (tset_add(out, fc->v[i].lit) != 0)
                return -1;
        }
        return 0;
    }
    out->any = 1;
    return 0;
}

static int cond_types(const struct idw_sigma_detection *det, const struct idw_cond *c, struct tset *out);

static int ident_types(const struct ident *id, int all_maps, struct tset *out)
{
    for (unsigned m = 0; m < id->nmaps; m++) {
        struct tset t = {0};
        if (map_types(&id->maps[m], &t) != 0) {
            free(t.v);
            return -1;
        }
        if (all_maps && !t.any) {       /* AND: one restricted map restricts all */
            free(out->v);
            *out = t;
            return 0;
        }
        out->any |= t.any;
        for (unsigned i = 0; i < t.n && !out->any; i++) {
            if (tset_add(out, t.v[i]) != 0) {
                free(t.v);
                return -1;
            }
        }
        free(t.v);
        if (out->any && !all_maps)
            return 0;
    }
    if (all_maps)
        out->any = 1;
    return 0;
}

static int kids_types(const struct idw_sigma_detection *det, const struct idw_cond *c, struct tset *out)
{
    int and = c->kind == IDW_COND_AND;
    for (unsigned k = 0; k < c->nkids; k++) {
        struct tset t = {0};
        if (cond_types(det, c->kids[k], &t) != 0) {
            free(t.v);
            return -1;
        }
        if (and && !t.any) {            /* AND: the first restricted operand restricts the whole */
            free(out->v);
            *out = t;
            return 0;
        }
        if (!and && t.any) {            /* OR: one unrestricted operand frees the whole */
            free(t.v);
            out->any = 1;
            return 0;
        }
        for (unsigned i = 0; i < t.n; i++) {
            if (tset_add(out, t.v[i]) != 0) {
                free(t.v);
                return -1;
            }
        }
        free(t.v);
    }
    if (and)
        out->any = 1;
    return 0;
}

static int cond_types(const struct idw_sigma_detection *det, const struct idw_cond *c, struct tset *out)
{
    switch (c->kind) {
    case IDW_COND_ID:
        return ident_types(&det->ids[c->ident], c->all_maps, out);
    case IDW_COND_NOT:
        out->any = 1;
        return 0;
    default:
        return kids_types(det, c, out);
    }
}

static int derive_types(struct idw_sigma_detection *det)
{
    struct tset t = {0};

    if (cond_types(det, det->cond, &t) != 0) {
        free(t.v);
        return -1;
    }
    if (t.any || t.n == 0) {
        free(t.v);
        return 0;
    }
    det->types = calloc(t.n, sizeof *det->types);
    for (unsigned i = 0; det->types && i < t.n; i++) {
        det->types[i] = strdup(t.v[i]);
        if (!det->types[i])
            break;
        det->ntypes++;
        for (char *p = det->types[i]; *p; p++)
            *p = (char)tolower((unsigned char)*p);
    }
    int ok = det->types && det->ntypes == t.n;
    free(t.v);
    return ok ? 0 : -1;
}

const char *const *idw_sigma_detection_types(const struct idw_sigma_detection *det, unsigned *n)
{
    *n = det->ntypes;
    return (const char *const *)det->types;
}

enum idw_rc idw_sigma_detection_compile(yaml_document_t *d, yaml_node_t *node, const char *file,
                                        struct idw_sigma_detection **out, char *err, size_t errlen)
{
    struct cc cc = {.d = d, .file = file, .err = err, .errlen = errlen};
    struct idw_sigma_detection *det;

    *out = NULL;
    if (!node || node->type != YAML_MAPPING_NODE) {
        CC_FAIL(&cc, node, "detection must be a mapping");
        return IDW_ERR;
    }
    det = calloc(1, sizeof *det);
    yaml_node_pair_t *p = node->data.mapping.pairs.start;
    size_t n = (size_t)(node->data.mapping.pairs.top - p);
    if (!det || !(det->ids = calloc(n + 1, sizeof *det->ids))) {
        CC_FAIL(&cc, node, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *kn = yaml_document_get_node(d, p[i].key);
        const char *k = idw_yaml_scalar(kn);
        if (!k) {
            CC_FAIL(&cc, node, "a search identifier must be a string");
            goto fail;
        }
        if (strcmp(k, "condition") == 0)
            continue;
        if (strcmp(k, "timeframe") == 0) {
            CC_FAIL(&cc, kn, "detection: 'timeframe' is deprecated and not supported: use a correlation rule");
            goto fail;
        }
        det->nids++;
        if (compile_ident(&cc, kn, yaml_document_get_node(d, p[i].value), &det->ids[det->nids - 1]) != 0)
            goto fail;
    }
    if (compile_condition(&cc, node, det) != 0)
        goto fail;
    if (derive_types(det) != 0) {
        CC_FAIL(&cc, node, "out of memory");
        goto fail;
    }
    *out = det;
    return IDW_OK;
fail:
    idw_sigma_detection_free(det);
    return IDW_ERR;
}

/* ---- matching ------------------------------------------------------------------------ */

/* ASCII lower case, by table: no locale, no call. */
static unsigned char lc(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static int same_text(const struct val *v, int cased, const char *s, size_t n)
{
    if (n != v->len)
        return 0;
    if (cased)
        return memcmp(v->lit, s, n) == 0;
    for (size_t i = 0; i < n; i++) {
        if (lc((unsigned char)s[i]) != (unsigned char)v->lit[i])
            return 0;
    }
    return 1;
}

static int prefix_at(const struct val *v, int cased, const char *s)
{
    for (size_t i = 0; i < v->len; i++) {
        unsigned char c = cased ? (unsigned char)s[i] : lc((unsigned char)s[i]);
        if (c != (unsigned char)v->lit[i])
            return 0;
    }
    return 1;
}

static int contains(const struct val *v, int cased, const char *s, size_t n)
{
    if (v->len > n)
        return 0;
    for (size_t i = 0; i + v->len <= n; i++) {
        if (prefix_at(v, cased, s + i))
            return 1;
    }
    return 0;
}

/* Wildcard match over tokens: iterative with the last `*` remembered (no exponential backtracking). */
static int glob_match(const uint16_t *pat, size_t np, int cased, const char *s, size_t n)
{
    size_t p = 0;
    size_t i = 0;
    size_t star = (size_t)-1;
    size_t resume = 0;

    while (i < n) {
        unsigned char c = cased ? (unsigned char)s[i] : lc((unsigned char)s[i]);
        if (p < np && pat[p] == TOK_ANYN) {
            star = p++;
            resume = i;
        } else if (p < np && (pat[p] == TOK_ANY1 || pat[p] == c)) {
            p++;
            i++;
        } else if (star != (size_t)-1) {
            p = star + 1;
            i = ++resume;
        } else {
            return 0;
        }
    }
    while (p < np && pat[p] == TOK_ANYN)
        p++;
    return p == np;
}

static int cidr_match(const struct val *v, const char *s, size_t n)
{
    char buf[64];
    unsigned char a[16];
    int fam = memchr(s, ':', n) ? AF_INET6 : AF_INET;

    if (fam != v->family || n >= sizeof buf)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (inet_pton(fam, buf, a) != 1)
        return 0;
    unsigned full = v->prefix / 8;
    unsigned rest = v->prefix % 8;
    if (memcmp(a, v->net, full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    unsigned char mask = (unsigned char)(0xffu << (8 - rest));
    return (a[full] & mask) == (v->net[full] & mask);
}

/* A JSON scalar's number: a JSON number, or a string that reads whole as one. */
static int json_number(const json_t *j, double *out)
{
    if (json_is_number(j)) {
        *out = json_number_value(j);
        return 1;
    }
    return json_is_string(j) && read_number(json_string_value(j), out);
}

/* A scalar's text: strings in place, numbers and booleans printed into buf.  0 for null/objects. */
static int scalar_text(const json_t *j, char *buf, size_t buflen, const char **s, size_t *n)
{
    if (json_is_string(j)) {
        *s = json_string_value(j);
        *n = json_string_length(j);
        return 1;
    }
    if (!json_is_number(j) && !json_is_boolean(j))
        return 0;
    *n = idw_sigma_value_text(j, buf, buflen);
    *s = buf;
    return 1;
}

static int text_match(const struct val *v, int cased, const char *s, size_t n)
{
    switch (v->op) {
    case V_EQ:
        return same_text(v, cased, s, n);
    case V_CONTAINS:
        return contains(v, cased, s, n);
    case V_STARTS:
        return v->len <= n && prefix_at(v, cased, s);
    case V_ENDS:
        return v->len <= n && prefix_at(v, cased, s + n - v->len);
    case V_GLOB:
        return glob_match(v->pat, v->npat, cased, s, n);
    case V_RE:
        return pcre2_match(v->re, (PCRE2_SPTR)s, n, 0, 0, v->md, NULL) >= 0;
    case V_CIDR:
        return cidr_match(v, s, n);
    default:
        return 0;
    }
}

struct vctx {
    const struct fcond *fc;
    const struct val *v;
    struct idw_sigma_mctx *m;
    const char *ref_s;          /* V_FIELDREF: the left value's text */
    size_t ref_n;
};

static const json_t *root_of(const struct idw_sigma_path *p, struct idw_sigma_mctx *m)
{
    if (!p->facts)
        return m->ev->raw;
    if (!m->facts_done) {
        m->facts = m->ev->facts ? m->ev->facts(m->ev->facts_arg) : NULL;
        m->facts_done = 1;
    }
    return m->facts;
}

static int ref_equal(void *arg, const json_t *j)
{
    struct vctx *x = arg;
    char buf[64];
    const char *s;
    size_t n;

    if (!scalar_text(j, buf, sizeof buf, &s, &n) || n != x->ref_n)
        return 0;
    if (x->fc->cased)
        return memcmp(s, x->ref_s, n) == 0;
    for (size_t i = 0; i < n; i++) {
        if (lc((unsigned char)s[i]) != lc((unsigned char)x->ref_s[i]))
            return 0;
    }
    return 1;
}

static int one_value(void *arg, const json_t *j)
{
    struct vctx *x = arg;
    const struct val *v = x->v;
    char buf[64];
    const char *s;
    size_t n;
    double d;

    switch (v->op) {
    case V_GT:
        return json_number(j, &d) && d > v->num;
    case V_GTE:
        return json_number(j, &d) && d >= v->num;
    case V_LT:
        return json_number(j, &d) && d < v->num;
    case V_LTE:
        return json_number(j, &d) && d <= v->num;
    default:
        break;
    }
    if (!scalar_text(j, buf, sizeof buf, &s, &n))
        return 0;
    if (v->op == V_FIELDREF) {
        x->ref_s = s;
        x->ref_n = n;
        return idw_sigma_path_each_in(&v->ref, root_of(&v->ref, x->m), ref_equal, x);
    }
    if (v->op == V_EQ && v->is_num && json_number(j, &d) && d == v->num)
        return 1;
    return text_match(v, x->fc->cased, s, n);
}

struct presence {
    int seen;
    int null;
};

static int note_presence(void *arg, const json_t *j)
{
    struct presence *p = arg;
    p->seen = 1;
    if (json_is_null(j))
        p->null = 1;
    return 0;
}

static int value_match(const struct fcond *fc, const struct val *v, struct idw_sigma_mctx *m)
{
    const json_t *root = root_of(&fc->path, m);

    if (v->op == V_NULL || v->op == V_EXISTS) {
        struct presence pr = {0};
        (void)idw_sigma_path_each_in(&fc->path, root, note_presence, &pr);    /* visits everything */
        if (v->op == V_NULL)
            return !pr.seen || pr.null;
        return v->want == (pr.seen && !pr.null);
    }
    struct vctx x = {.fc = fc, .v = v, .m = m};
    int r = idw_sigma_path_each_in(&fc->path, root, one_value, &x);
    return fc->neq ? !r : r;
}

static int fcond_match(const struct fcond *fc, struct idw_sigma_mctx *m)
{
    for (unsigned i = 0; i < fc->nv; i++) {
        int r = value_match(fc, &fc->v[i], m);
        if (fc->all && !r)
            return 0;
        if (!fc->all && r)
            return 1;
    }
    return fc->all;
}

static int map_match(const struct smap *sm, struct idw_sigma_mctx *m)
{
    for (unsigned i = 0; i < sm->nc; i++) {
        if (!fcond_match(&sm->c[i], m))
            return 0;
    }
    return 1;
}

static int ident_match(const struct ident *id, int all_maps, struct idw_sigma_mctx *m)
{
    for (unsigned i = 0; i < id->nmaps; i++) {
        int r = map_match(&id->maps[i], m);
        if (all_maps && !r)
            return 0;
        if (!all_maps && r)
            return 1;
    }
    return all_maps;
}

static int eval(const struct idw_sigma_detection *det, const struct idw_cond *c, struct idw_sigma_mctx *m)
{
    switch (c->kind) {
    case IDW_COND_ID:
        return ident_match(&det->ids[c->ident], c->all_maps, m);
    case IDW_COND_NOT:
        return !eval(det, c->kids[0], m);
    case IDW_COND_AND:
        for (unsigned i = 0; i < c->nkids; i++) {
            if (!eval(det, c->kids[i], m))
                return 0;
        }
        return 1;
    case IDW_COND_OR:
        for (unsigned i = 0; i < c->nkids; i++) {
            if (eval(det, c->kids[i], m))
                return 1;
        }
        return 0;
    }
    return 0;
}

int idw_sigma_detection_match(const struct idw_sigma_detection *det, struct idw_sigma_mctx *m)
{
    return eval(det, det->cond, m);
}
