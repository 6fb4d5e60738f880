/*
 * sigma_load.c — the Sigma rule set: loading files (every YAML document,
 * all or nothing per file), rule metadata (title, id, level, ATT&CK tags,
 * idwatch's own `idwatch:` section), link (duplicate ids, correlation
 * references, which rules raise alerts, the eventType dispatch) and the
 * per-event entry point idw_sigma_match.  Detections compile in
 * sigma_detect.c, correlations in sigma_corr.c.
 */
#include "sigma/sigma_det.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/stat.h>

#define WINDOW_DEFAULT_MS (3600LL * 1000)
#define WINDOW_MIN_MS 1000LL
#define WINDOW_MAX_MS (30LL * 86400 * 1000)
#define SIGMA_FILE_MAX (16u << 20)

struct idw_sigma_rule {
    struct idw_sigma_info info;
    struct idw_rule rule;
    struct idw_sigma_detection *det;
    struct idw_sigma_corr *corr;
    json_t *doc;
    char *strs[8];                          /* the owned strings info points to */
    int enabled;
    size_t index;
    const struct idw_sigma_rule **corrs;    /* enabled correlations referencing it, NULL-terminated
                                               (points into the set's corrbuf) */
    const struct idw_sigma_rule **refs;     /* a correlation's resolved references (set's refbuf) */
    unsigned nrefs;
};

struct bucket {
    const char *type;                       /* lower-case; owned by a rule's detection */
    size_t off;                             /* its rules: idx[off .. off + n), load order */
    size_t n;
};

/*
 * What link builds lives in a few arrays owned by the set (rules point
 * into them): one free each, and a relink starts from scratch.
 */
struct idw_sigma_set {
    struct idw_sigma_rule **rules;
    size_t n;
    struct bucket *buckets;                 /* open addressing, nbuckets a power of two */
    size_t nbuckets;
    size_t *idx;                            /* the buckets' rule indexes */
    size_t *always;                         /* rules evaluated for every event */
    size_t nalways;
    size_t *typed;                          /* rules in some bucket: for an event without eventType */
    size_t ntyped;
    const struct idw_sigma_rule **refbuf;   /* every correlation's resolved references */
    const struct idw_sigma_rule **corrbuf;  /* every rule's correlations, each list NULL-terminated */
    char *root;                             /* default ids are relative to it (idw_sigma_set_root) */
};

static const struct idw_sigma_rule *const no_rules[] = {NULL};

/* ---- the set ------------------------------------------------------------------------- */

enum idw_rc idw_sigma_set_new(struct idw_sigma_set **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? IDW_OK : IDW_ERR;
}

enum idw_rc idw_sigma_set_root(struct idw_sigma_set *s, const char *root)
{
    char *c = root ? strdup(root) : NULL;

    if (root && !c)
        return IDW_ERR;
    if (c) {    /* "rules/" and "rules" are one root */
        size_t n = strlen(c);
        while (n > 1 && c[n - 1] == '/')
            c[--n] = 0;
    }
    free(s->root);
    s->root = c;
    return IDW_OK;
}

/* name without the set's root: what a rule without id is called by */
static const char *name_under_root(const struct idw_sigma_set *s, const char *name)
{
    size_t n = s->root ? strlen(s->root) : 0;

    if (!n || strncmp(name, s->root, n) != 0 || name[n] != '/')
        return name;
    while (name[n] == '/')      /* "rules/" + "/okta/x.yml": the walk joins with one more */
        n++;
    return name[n] ? name + n : name;
}

static void rule_free(struct idw_sigma_rule *r)
{
    if (!r)
        return;
    idw_sigma_detection_free(r->det);
    idw_sigma_corr_free(r->corr);
    json_decref(r->doc);
    for (size_t i = 0; i < sizeof r->strs / sizeof r->strs[0]; i++)
        free(r->strs[i]);
    free(r);
}

static void unlink_set(struct idw_sigma_set *s)
{
    free(s->buckets);
    free(s->idx);
    free(s->always);
    free(s->typed);
    free(s->refbuf);
    free(s->corrbuf);
    s->buckets = NULL;
    s->nbuckets = 0;
    s->idx = NULL;
    s->always = NULL;
    s->typed = NULL;
    s->nalways = 0;
    s->ntyped = 0;
    s->refbuf = NULL;
    s->corrbuf = NULL;
    for (size_t i = 0; i < s->n; i++) {
        s->rules[i]->corrs = NULL;
        s->rules[i]->refs = NULL;
        s->rules[i]->nrefs = 0;
    }
}

void idw_sigma_set_free(struct idw_sigma_set *s)
{
    if (!s)
        return;
    unlink_set(s);
    for (size_t i = 0; i < s->n; i++)
        rule_free(s->rules[i]);
    free(s->rules);
    free(s->root);
    free(s);
}

size_t idw_sigma_count(const struct idw_sigma_set *s)
{
    return s->n;
}

const struct idw_sigma_rule *idw_sigma_at(const struct idw_sigma_set *s, size_t i)
{
    return i < s->n ? s->rules[i] : NULL;
}

const struct idw_sigma_info *idw_sigma_info(const struct idw_sigma_rule *r)
{
    return &r->info;
}

const struct idw_rule *idw_sigma_as_rule(const struct idw_sigma_rule *r)
{
    return &r->rule;
}

const struct idw_sigma_rule *idw_sigma_find(const struct idw_sigma_set *s, const char *id_or_name)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct idw_sigma_info *in = &s->rules[i]->info;
        if (strcmp(in->id, id_or_name) == 0 || (in->name && strcmp(in->name, id_or_name) == 0))
            return s->rules[i];
    }
    return NULL;
}

void idw_sigma_set_enabled(struct idw_sigma_set *s, const char *id, int on)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct idw_sigma_info *in = &s->rules[i]->info;
        if (strcmp(in->id, id) == 0 || (in->name && strcmp(in->name, id) == 0))
            s->rules[i]->enabled = on != 0;
    }
}

int idw_sigma_enabled(const struct idw_sigma_rule *r)
{
    return r->enabled;
}

const struct idw_sigma_rule *const *idw_sigma_correlations_of(const struct idw_sigma_rule *r)
{
    return r->corrs ? (const struct idw_sigma_rule *const *)r->corrs : no_rules;
}

/* ---- one document --------------------------------------------------------------------- */

struct lctx {
    yaml_document_t *d;
    const char *file;
    const char *idname;     /* file, relative to the set's root: for default ids */
    char *err;
    size_t errlen;
};

#define L_FAIL(lc, node, ...)                                                      \
    do {                                                                           \
        int n_ = snprintf((lc)->err, (lc)->errlen, "%s:%u: ", (lc)->file, idw_yaml_line(node)); \
        if (n_ >= 0 && (size_t)n_ < (lc)->errlen)                                  \
            snprintf((lc)->err + n_, (lc)->errlen - (size_t)n_, __VA_ARGS__);      \
    } while (0)

/* An optional string key: *out = a copy, NULL when absent; -1 when not a scalar. */
static int opt_string(struct lctx *lc, yaml_node_t *root, const char *key, char **out)
{
    yaml_node_t *n = idw_yaml_get(lc->d, root, key);

    *out = NULL;
    if (!n)
        return 0;
    if (!idw_yaml_scalar(n) || strlen(idw_yaml_scalar(n)) != n->data.scalar.length) {
        L_FAIL(lc, n, "'%s' must be a string", key);
        return -1;
    }
    *out = strdup(idw_yaml_scalar(n));
    if (!*out) {
        L_FAIL(lc, n, "out of memory");
        return -1;
    }
    return 0;
}

static int parse_level(struct lctx *lc, yaml_node_t *root, struct idw_sigma_info *in)
{
    yaml_node_t *n = idw_yaml_get(lc->d, root, "level");
    const char *s = idw_yaml_scalar(n);

    in->level = IDW_SEV_MEDIUM;
    if (!n)
        return 0;
    if (s && strcmp(s, "informational") == 0) {
        in->level = IDW_SEV_LOW;
        in->informational = 1;
        return 0;
    }
    if (s && (!strcmp(s, "low") || !strcmp(s, "medium") || !strcmp(s, "high") || !strcmp(s, "critical"))
        && idw_severity_parse(s, &in->level) == IDW_OK)
        return 0;
    L_FAIL(lc, n, "level must be informational, low, medium, high or critical");
    return -1;
}

/* "30m", "1h", "2d", "45s": milliseconds, within 1 s .. 30 d. */
static int parse_window(const char *s, int64_t *ms)
{
    char *end;

    if (!isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end[0] == '\0' || end[1] != '\0' || v > 30ULL * 86400)
        return -1;
    long long unit = end[0] == 's' ? 1000 : end[0] == 'm' ? 60000 : end[0] == 'h' ? 3600000
                   : end[0] == 'd' ? 86400000 : 0;
    if (!unit)
        return -1;
    *ms = (int64_t)v * unit;
    return *ms >= WINDOW_MIN_MS && *ms <= WINDOW_MAX_MS ? 0 : -1;
}

static int parse_tests(struct lctx *lc, yaml_node_t *n)
{
    if (n->type != YAML_SEQUENCE_NODE)
        goto bad;
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *t = yaml_document_get_node(lc->d, *it);
        if (!t || t->type != YAML_MAPPING_NODE) {
            n = t ? t : n;
            goto bad;
        }
    }
    return 0;
bad:
    L_FAIL(lc, n, "idwatch.tests must be a list of mappings");
    return -1;
}

/* The `idwatch:` custom section: context, window, tests. */
static int parse_idwatch(struct lctx *lc, yaml_node_t *root, struct idw_sigma_info *in)
{
    yaml_node_t *sec = idw_yaml_get(lc->d, root, "idwatch");

    in->context = 1;
    in->window_ms = WINDOW_DEFAULT_MS;
    if (!sec)
        return 0;
    if (sec->type != YAML_MAPPING_NODE) {
        L_FAIL(lc, sec, "idwatch must be a mapping (context, window, tests)");
        return -1;
    }
    for (yaml_node_pair_t *p = sec->data.mapping.pairs.start; p < sec->data.mapping.pairs.top; p++) {
        yaml_node_t *kn = yaml_document_get_node(lc->d, p->key);
        yaml_node_t *vn = yaml_document_get_node(lc->d, p->value);
        const char *k = idw_yaml_scalar(kn);
        const char *v = idw_yaml_scalar(vn);
        if (k && strcmp(k, "context") == 0) {
            if (!v || (strcmp(v, "true") != 0 && strcmp(v, "false") != 0)) {
                L_FAIL(lc, vn, "idwatch.context must be true or false");
                return -1;
            }
            in->context = strcmp(v, "true") == 0;
        } else if (k && strcmp(k, "window") == 0) {
            if (!v || parse_window(v, &in->window_ms) != 0) {
                L_FAIL(lc, vn, "idwatch.window must be a duration from 1s to 30d (\"30m\", \"1h\", \"2d\")");
                return -1;
            }
        } else if (k && strcmp(k, "tests") == 0) {
            if (parse_tests(lc, vn) != 0)
                return -1;
        } else {
            L_FAIL(lc, kn, "idwatch: unknown key '%.40s' (context, window, tests)", k ? k : "?");
            return -1;
        }
    }
    return 0;
}

/* Appends to a comma-separated list unless already there. */
static void list_add(char *list, size_t len, const char *item)
{
    size_t il = strlen(item);
    for (const char *p = list; *p;) {
        const char *c = strchr(p, ',');
        size_t l = c ? (size_t)(c - p) : strlen(p);
        if (l == il && strncmp(p, item, l) == 0)
            return;
        p = c ? c + 1 : p + l;
    }
    size_t used = strlen(list);
    snprintf(list + used, len - used, "%s%s", used ? "," : "", item);
}

/* `attack.t1098.001` -> "T1098.001"; `attack.defense-evasion` -> the tactic (the first one). */
static int parse_tags(struct lctx *lc, yaml_node_t *root, char *mitre, size_t mlen, char *tactic,
                      size_t tlen)
{
    yaml_node_t *n = idw_yaml_get(lc->d, root, "tags");

    mitre[0] = '\0';
    tactic[0] = '\0';
    if (!n)
        return 0;
    if (n->type != YAML_SEQUENCE_NODE) {
        L_FAIL(lc, n, "tags must be a list of strings");
        return -1;
    }
    for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *t = yaml_document_get_node(lc->d, *it);
        const char *s = idw_yaml_scalar(t);
        if (!s) {
            L_FAIL(lc, t ? t : n, "tags must be a list of strings");
            return -1;
        }
        if (strncasecmp(s, "attack.", 7) != 0 || !s[7])
            continue;
        const char *w = s + 7;
        int tech = (w[0] == 't' || w[0] == 'T') && isdigit((unsigned char)w[1]);
        int other = (tolower((unsigned char)w[0]) == 'g' || tolower((unsigned char)w[0]) == 's')
                    && isdigit((unsigned char)w[1]);
        if (tech && strlen(w) < 16) {
            char up[16];
            for (size_t i = 0; i <= strlen(w); i++)
                up[i] = (char)toupper((unsigned char)w[i]);
            list_add(mitre, mlen, up);
        } else if (!tech && !other && !tactic[0]) {
            snprintf(tactic, tlen, "%s", w);
        }
    }
    return 0;
}

enum doc_kind { DOC_RULE, DOC_OTHER_PRODUCT };

/* The logsource check: 1 for okta, 0 for another product (named in *product), -1 refused. */
static int check_logsource(struct lctx *lc, yaml_node_t *root, char *product, size_t plen)
{
    yaml_node_t *ls = idw_yaml_get(lc->d, root, "logsource");
    yaml_node_t *pn = idw_yaml_get(lc->d, ls, "product");
    const char *p = idw_yaml_scalar(pn);

    if (!ls || ls->type != YAML_MAPPING_NODE) {
        L_FAIL(lc, ls ? ls : root, "logsource is required, a mapping with product: okta");
        return -1;
    }
    if (!p || !*p) {
        L_FAIL(lc, pn ? pn : ls, "logsource.product is required (okta)");
        return -1;
    }
    if (strcasecmp(p, "okta") == 0)
        return 1;
    snprintf(product, plen, "%s", p);
    return 0;
}

static int fill_meta(struct lctx *lc, yaml_node_t *root, struct idw_sigma_rule *r, unsigned docno)
{
    struct idw_sigma_info *in = &r->info;
    char mitre[512];
    char tactic[64];
    char def_id[600];
    yaml_node_t *tn = idw_yaml_get(lc->d, root, "title");

    if (!tn || !idw_yaml_scalar(tn) || !*idw_yaml_scalar(tn)) {
        L_FAIL(lc, tn ? tn : root, "title is required, a string");
        return -1;
    }
    if (opt_string(lc, root, "title", &r->strs[0]) || opt_string(lc, root, "id", &r->strs[1])
        || opt_string(lc, root, "name", &r->strs[2]) || opt_string(lc, root, "description", &r->strs[3])
        || opt_string(lc, root, "status", &r->strs[4]))
        return -1;
    if (parse_level(lc, root, in) || parse_idwatch(lc, root, in)
        || parse_tags(lc, root, mitre, sizeof mitre, tactic, sizeof tactic))
        return -1;
    for (int i = 1; i <= 2; i++) {
        if (r->strs[i] && !r->strs[i][0]) {     /* `id:` with nothing: an empty id names nothing */
            L_FAIL(lc, idw_yaml_get(lc->d, root, i == 1 ? "id" : "name"), "'%s' must not be empty",
                   i == 1 ? "id" : "name");
            return -1;
        }
    }
    snprintf(def_id, sizeof def_id, "%.500s#%u", lc->idname, docno);
    if (!r->strs[1]) {
        r->strs[1] = strdup(r->strs[2] ? r->strs[2] : def_id);
    }
    r->strs[5] = strdup(lc->file);
    r->strs[6] = strdup(mitre);
    r->strs[7] = strdup(tactic);
    if (!r->strs[1] || !r->strs[5] || !r->strs[6] || !r->strs[7]) {
        L_FAIL(lc, root, "out of memory");
        return -1;
    }
    in->title = r->strs[0];
    in->id = r->strs[1];
    in->name = r->strs[2];
    in->description = r->strs[3] ? r->strs[3] : "";
    in->status = r->strs[4] ? r->strs[4] : "";
    in->file = r->strs[5];
    in->mitre = r->strs[6];
    in->tactic = r->strs[7];
    in->line = idw_yaml_line(root);
    in->generates = 1;
    in->doc = r->doc;
    in->tests = json_object_get(json_object_get(r->doc, "idwatch"), "tests");
    r->rule = (struct idw_rule){.id = in->id, .description = in->title, .kinds = IDW_KINDS_ALL};
    r->enabled = 1;
    return 0;
}

static int compile_body(struct lctx *lc, yaml_node_t *root, struct idw_sigma_rule *r)
{
    yaml_node_t *det = idw_yaml_get(lc->d, root, "detection");
    yaml_node_t *corr = idw_yaml_get(lc->d, root, "correlation");

    if (corr) {
        r->info.is_correlation = 1;
        enum idw_rc rc = idw_sigma_corr_compile(lc->d, corr, lc->file, &r->corr, lc->err, lc->errlen);
        return rc == IDW_OK ? 0 : -1;
    }
    return idw_sigma_detection_compile(lc->d, det, lc->file, &r->det, lc->err, lc->errlen) == IDW_OK ? 0 : -1;
}

/*
 * One document: 0 with *out (a rule), 1 for a rule of another product
 * (product set), -1 refused.
 */
static int load_doc(struct lctx *lc, yaml_node_t *root, unsigned docno, struct idw_sigma_rule **out,
                    char *product, size_t plen)
{
    struct idw_sigma_rule *r;
    json_t *doc;

    *out = NULL;
    if (root->type != YAML_MAPPING_NODE) {
        L_FAIL(lc, root, "a rule document must be a mapping");
        return -1;
    }
    doc = idw_yaml_to_json(lc->d, root, lc->file, lc->err, lc->errlen);
    if (!doc)
        return -1;
    yaml_node_t *action = idw_yaml_get(lc->d, root, "action");
    yaml_node_t *det = idw_yaml_get(lc->d, root, "detection");
    yaml_node_t *corr = idw_yaml_get(lc->d, root, "correlation");
    int okta = 1;
    const char *act = idw_yaml_scalar(action);
    if (action)
        L_FAIL(lc, action, "multi-document rule collections ('action: %.20s') are not supported: write "
                           "one complete rule per document", act ? act : "?");
    else if (!det && !corr)
        L_FAIL(lc, root, "a rule needs 'detection' (or 'correlation')");
    else if (det && corr)
        L_FAIL(lc, root, "a rule has either 'detection' or 'correlation', not both");
    else if (det)
        okta = check_logsource(lc, root, product, plen);
    if (action || (!det && !corr) || (det && corr) || okta < 0) {
        json_decref(doc);
        return -1;
    }
    if (okta == 0) {
        json_decref(doc);
        return 1;
    }
    r = calloc(1, sizeof *r);
    if (!r) {
        json_decref(doc);
        L_FAIL(lc, root, "out of memory");
        return -1;
    }
    r->doc = doc;
    if (fill_meta(lc, root, r, docno) != 0 || compile_body(lc, root, r) != 0) {
        rule_free(r);
        return -1;
    }
    *out = r;
    return 0;
}

/* ---- files ------------------------------------------------------------------------------ */

struct pending {
    struct idw_sigma_rule **v;
    size_t n;
    unsigned okta;
    unsigned other;
    char product[64];
};

static void pending_free(struct pending *p)
{
    for (size_t i = 0; i < p->n; i++)
        rule_free(p->v[i]);
    free(p->v);
}

static int pending_add(struct pending *p, struct idw_sigma_rule *r)
{
    struct idw_sigma_rule **v = realloc(p->v, (p->n + 1) * sizeof *v);
    if (!v)
        return -1;
    p->v = v;
    p->v[p->n++] = r;
    return 0;
}

/* Every document of the stream into p; -1 with err on the first refusal. */
static int load_docs(yaml_parser_t *parser, const char *name, const char *idname, struct pending *p,
                     char *err, size_t errlen)
{
    for (unsigned docno = 1;; docno++) {
        yaml_document_t doc;
        if (!yaml_parser_load(parser, &doc)) {
            snprintf(err, errlen, "%s:%u: YAML: %s%s%s", name, (unsigned)parser->problem_mark.line + 1,
                     parser->problem ? parser->problem : "malformed", parser->context ? " " : "",
                     parser->context ? parser->context : "");
            return -1;
        }
        yaml_node_t *root = yaml_document_get_root_node(&doc);
        if (!root) {
            yaml_document_delete(&doc);
            return 0;
        }
        struct lctx lc = {.d = &doc, .file = name, .idname = idname, .err = err, .errlen = errlen};
        struct idw_sigma_rule *r = NULL;
        char product[64] = "";
        int rc = load_doc(&lc, root, docno, &r, product, sizeof product);
        yaml_document_delete(&doc);
        if (rc < 0)
            return -1;
        if (rc == 1 && p->other++ == 0)
            snprintf(p->product, sizeof p->product, "%s", product);
        if (r && !r->info.is_correlation)
            p->okta++;
        if (r && pending_add(p, r) != 0) {
            rule_free(r);
            snprintf(err, errlen, "%s: out of memory", name);
            return -1;
        }
    }
}

static enum idw_rc adopt(struct idw_sigma_set *s, struct pending *p, const char *name, char *err,
                         size_t errlen)
{
    if (p->other && p->okta) {
        snprintf(err, errlen, "%s: mixes okta rules with rules for logsource product '%.40s': one product "
                 "per file", name, p->product);
        return IDW_ERR;
    }
    if (p->other) {
        snprintf(err, errlen, "%s: logsource product '%.40s', not okta: skipped", name, p->product);
        return IDW_NOTFOUND;
    }
    struct idw_sigma_rule **v = realloc(s->rules, (s->n + p->n) * sizeof *v);
    if (!v && s->n + p->n > 0) {
        snprintf(err, errlen, "%s: out of memory", name);
        return IDW_ERR;
    }
    s->rules = v;
    for (size_t i = 0; i < p->n; i++) {
        p->v[i]->index = s->n;
        s->rules[s->n++] = p->v[i];
    }
    p->n = 0;
    return IDW_OK;
}

enum idw_rc idw_sigma_load_buffer(struct idw_sigma_set *s, const char *name, const char *text, size_t len,
                                  char *err, size_t errlen)
{
    yaml_parser_t parser;
    struct pending p = {0};
    enum idw_rc rc = IDW_ERR;

    if (!yaml_parser_initialize(&parser)) {
        snprintf(err, errlen, "%s: out of memory", name);
        return IDW_ERR;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (load_docs(&parser, name, name_under_root(s, name), &p, err, errlen) == 0)
        rc = adopt(s, &p, name, err, errlen);
    yaml_parser_delete(&parser);
    pending_free(&p);
    return rc;
}

enum idw_rc idw_sigma_load_file(struct idw_sigma_set *s, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *buf = NULL;
    size_t n = 0, cap;

    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return IDW_ERR;
    }
    /* sized from the file, not the cap: a rules directory holds dozens of small files, and a
     * 16 MiB buffer for each made every start (and every SIGHUP reload) pay for 16 MiB each */
    if (fstat(fileno(f), &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        fclose(f);
        return IDW_ERR;
    }
    if (st.st_size < 0 || (uint64_t)st.st_size > SIGMA_FILE_MAX) {
        snprintf(err, errlen, "%s: larger than 16 MiB", path);
        fclose(f);
        return IDW_ERR;
    }
    cap = (size_t)st.st_size + 1;   /* one more byte: a file that grew while read is seen as such */
    buf = malloc(cap);
    if (buf)
        n = fread(buf, 1, cap, f);
    int bad = !buf || ferror(f) || n >= cap;
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: %s", path, !buf ? "out of memory" : n >= cap
                 ? "changed while it was read" : "read error");
        free(buf);
        return IDW_ERR;
    }
    enum idw_rc rc = idw_sigma_load_buffer(s, path, buf, n, err, errlen);
    free(buf);
    return rc;
}

/* ---- the files of a rules directory ------------------------------------------------------ */

#define TREE_DEPTH 8    /* rules/okta/..., a user's own tree: deep enough, and never a loop */

static int is_rule_file(const char *name)
{
    size_t n = strlen(name);
    return (n > 4 && !strcmp(name + n - 4, ".yml")) || (n > 5 && !strcmp(name + n - 5, ".yaml"));
}

static enum idw_rc each_file(const char *dir, int depth, enum idw_rc (*fn)(const char *, void *), void *arg,
                             char *err, size_t errlen)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    enum idw_rc rc = IDW_OK;

    if (n < 0) {
        snprintf(err, errlen, "%s: cannot read the directory: %s", dir, strerror(errno));
        return depth == 0 && errno == ENOENT ? IDW_NOTFOUND : IDW_ERR;
    }
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat sb;
        const char *name = names[i]->d_name;

        if (rc == IDW_OK && name[0] != '.' &&
            snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path && stat(path, &sb) == 0) {
            if (S_ISDIR(sb.st_mode) && depth < TREE_DEPTH)
                rc = each_file(path, depth + 1, fn, arg, err, errlen);
            else if (S_ISREG(sb.st_mode) && is_rule_file(name))
                rc = fn(path, arg);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

enum idw_rc idw_sigma_each_file(const char *dir, enum idw_rc (*fn)(const char *path, void *arg), void *arg,
                                char *err, size_t errlen)
{
    return each_file(dir, 0, fn, arg, err, errlen);
}

/* ---- link ------------------------------------------------------------------------------- */

static int same_key(const struct idw_sigma_info *a, const struct idw_sigma_info *b, const char **what)
{
    *what = a->id;
    if (strcmp(a->id, b->id) == 0)
        return 1;
    *what = a->name;
    if (a->name && ((b->name && strcmp(a->name, b->name) == 0) || strcmp(a->name, b->id) == 0))
        return 1;
    *what = b->name;
    return b->name && strcmp(b->name, a->id) == 0;
}

static enum idw_rc check_unique(const struct idw_sigma_set *s, char *err, size_t errlen)
{
    const char *what;

    for (size_t j = 1; j < s->n; j++) {
        for (size_t i = 0; i < j; i++) {
            const struct idw_sigma_info *a = &s->rules[i]->info;
            const struct idw_sigma_info *b = &s->rules[j]->info;
            if (same_key(a, b, &what)) {
                snprintf(err, errlen, "%s:%u: duplicate rule id or name '%.80s' (also %s:%u)", b->file,
                         b->line, what, a->file, a->line);
                return IDW_ERR;
            }
        }
    }
    return IDW_OK;
}

static enum idw_rc resolve_refs(struct idw_sigma_set *s, struct idw_sigma_rule *c, size_t *off, char *err,
                                size_t errlen)
{
    unsigned n = idw_sigma_corr_nrefs(c->corr);

    c->refs = s->refbuf + *off;
    *off += n;
    for (unsigned i = 0; i < n; i++) {
        const char *ref = idw_sigma_corr_ref(c->corr, i);
        const struct idw_sigma_rule *b = ref ? idw_sigma_find(s, ref) : NULL;
        if (!b) {
            snprintf(err, errlen, "%s:%u: correlation '%s' references unknown rule '%.80s'", c->info.file,
                     c->info.line, c->info.id, ref ? ref : "?");
            return IDW_ERR;
        }
        if (b->info.is_correlation) {
            snprintf(err, errlen, "%s:%u: correlation '%s' references correlation '%.80s': chained "
                     "correlations are not supported", c->info.file, c->info.line, c->info.id, ref);
            return IDW_ERR;
        }
        c->refs[c->nrefs++] = b;
    }
    return IDW_OK;
}

/* The enabled correlations referencing b, each once, into list; returns how many. */
static size_t correlations_referencing(const struct idw_sigma_set *s, const struct idw_sigma_rule *b,
                                       const struct idw_sigma_rule **list, int *generate)
{
    size_t n = 0;

    *generate = 0;
    for (size_t k = 0; k < s->n; k++) {
        const struct idw_sigma_rule *c = s->rules[k];
        int refers = 0;
        for (unsigned j = 0; c->enabled && j < c->nrefs; j++)
            refers |= c->refs[j] == b;
        if (!refers)
            continue;
        *generate |= idw_sigma_corr_generate(c->corr);
        if (list)
            list[n] = c;
        n++;
    }
    return n;
}

/* Which rules raise alerts, and the correlations each rule feeds. */
static enum idw_rc link_correlations(struct idw_sigma_set *s, char *err, size_t errlen)
{
    size_t total = 0;
    size_t off = 0;
    int generate;

    for (size_t i = 0; i < s->n; i++)
        total += s->rules[i]->corr ? idw_sigma_corr_nrefs(s->rules[i]->corr) : 0;
    s->refbuf = calloc(total + 1, sizeof *s->refbuf);
    s->corrbuf = calloc(total + s->n + 1, sizeof *s->corrbuf);
    if (!s->refbuf || !s->corrbuf) {
        snprintf(err, errlen, "sigma: out of memory");
        return IDW_ERR;
    }
    for (size_t i = 0; i < s->n; i++) {
        if (s->rules[i]->corr && resolve_refs(s, s->rules[i], &off, err, errlen) != IDW_OK)
            return IDW_ERR;
    }
    off = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct idw_sigma_rule *b = s->rules[i];
        size_t n = correlations_referencing(s, b, s->corrbuf + off, &generate);
        b->corrs = s->corrbuf + off;
        off += n + 1;                       /* calloc'ed: the NULL is there */
        b->info.generates = b->info.is_correlation || n == 0 || generate;
    }
    return IDW_OK;
}

static uint64_t type_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        h ^= (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
        h *= 1099511628211ULL;
    }
    return h;
}

static struct bucket *bucket_find(const struct idw_sigma_set *s, const char *type, int create)
{
    if (!s->nbuckets)
        return NULL;
    size_t mask = s->nbuckets - 1;
    for (size_t i = type_hash(type) & mask;; i = (i + 1) & mask) {
        struct bucket *b = &s->buckets[i];
        if (!b->type)
            return create ? b : NULL;
        if (strcasecmp(b->type, type) == 0)
            return b;
    }
}

static int dispatched(const struct idw_sigma_rule *r)
{
    return r->det && r->enabled;
}

/* First pass: the buckets and their sizes (nbuckets > 0, at least twice the types: never full). */
static void count_buckets(struct idw_sigma_set *s)
{
    unsigned nt;

    for (size_t i = 0; i < s->n; i++) {
        if (!dispatched(s->rules[i]))
            continue;
        const char *const *types = idw_sigma_detection_types(s->rules[i]->det, &nt);
        for (unsigned t = 0; t < nt; t++) {
            struct bucket *b = bucket_find(s, types[t], 1);
            if (b && !b->type)
                b->type = types[t];
            if (b)
                b->n++;
        }
    }
}

/* Second pass: each rule's index into its buckets (load order), or into always. */
static void fill_buckets(struct idw_sigma_set *s)
{
    size_t off = 0;
    unsigned nt;

    for (size_t i = 0; i < s->nbuckets; i++) {
        s->buckets[i].off = off;
        off += s->buckets[i].n;
        s->buckets[i].n = 0;
    }
    for (size_t i = 0; i < s->n; i++) {
        if (!dispatched(s->rules[i]))
            continue;
        const char *const *types = idw_sigma_detection_types(s->rules[i]->det, &nt);
        if (nt == 0)
            s->always[s->nalways++] = i;
        else
            s->typed[s->ntyped++] = i;
        for (unsigned t = 0; t < nt; t++) {
            struct bucket *b = bucket_find(s, types[t], 0);
            if (b)
                s->idx[b->off + b->n++] = i;
        }
    }
}

static enum idw_rc build_dispatch(struct idw_sigma_set *s, char *err, size_t errlen)
{
    size_t ntypes = 0;
    unsigned nt;

    for (size_t i = 0; i < s->n; i++) {
        if (dispatched(s->rules[i])) {
            (void)idw_sigma_detection_types(s->rules[i]->det, &nt);
            ntypes += nt;
        }
    }
    s->nbuckets = 16;
    while (s->nbuckets < 2 * ntypes)
        s->nbuckets *= 2;
    s->buckets = calloc(s->nbuckets, sizeof *s->buckets);
    s->always = calloc(s->n + 1, sizeof *s->always);
    s->typed = calloc(s->n + 1, sizeof *s->typed);
    s->idx = calloc(ntypes + 1, sizeof *s->idx);
    if (!s->buckets || !s->always || !s->typed || !s->idx) {
        snprintf(err, errlen, "sigma: out of memory");
        return IDW_ERR;
    }
    count_buckets(s);
    fill_buckets(s);
    return IDW_OK;
}

enum idw_rc idw_sigma_link(struct idw_sigma_set *s, char *err, size_t errlen)
{
    unlink_set(s);
    if (check_unique(s, err, errlen) != IDW_OK || link_correlations(s, err, errlen) != IDW_OK)
        return IDW_ERR;
    return build_dispatch(s, err, errlen);
}

/* ---- per event ---------------------------------------------------------------------------- */

unsigned idw_sigma_match(const struct idw_sigma_set *s, const struct idw_sigma_event *ev,
                         void (*on_match)(void *arg, const struct idw_sigma_rule *r), void *arg)
{
    struct idw_sigma_mctx m = {.ev = ev};
    const size_t *b = s->typed;
    size_t nb = s->ntyped;
    size_t i = 0;
    size_t j = 0;
    unsigned hits = 0;

    if (ev->event_type) {
        const struct bucket *bk = bucket_find(s, ev->event_type, 0);
        b = bk ? s->idx + bk->off : NULL;
        nb = bk ? bk->n : 0;
    }
    /* both lists are in load order: merge them so that matches come in load order */
    while (i < s->nalways || j < nb) {
        size_t idx;
        if (j >= nb || (i < s->nalways && s->always[i] < b[j]))
            idx = s->always[i++];
        else
            idx = b[j++];
        const struct idw_sigma_rule *r = s->rules[idx];
        if (idw_sigma_detection_match(r->det, &m)) {
            hits++;
            if (on_match)
                on_match(arg, r);
        }
    }
    return hits;
}

enum idw_rc idw_sigma_correlate(const struct idw_sigma_rule *corr, const struct idw_sigma_rule *base,
                                struct idw_detect_ctx *ctx, const struct idw_sigma_event *ev,
                                int64_t t_ms, int *fired, char *what, size_t whatlen)
{
    *fired = 0;
    if (whatlen)
        what[0] = '\0';
    if (!corr->corr)
        return IDW_OK;
    for (unsigned i = 0; i < corr->nrefs; i++) {
        if (corr->refs[i] == base)
            return idw_sigma_corr_update(corr->corr, i, base->info.id, ctx, ev, t_ms, fired, what, whatlen);
    }
    return IDW_OK;
}
