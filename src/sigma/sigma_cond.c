/*
 * sigma_cond.c — the condition of a Sigma detection: `and`, `or`, `not`,
 * parentheses, `1 of` / `any of` / `all of` over identifier patterns and
 * `them`, parsed once at load (recursive descent, precedence not > and >
 * or) into a small tree over search identifier indexes.  The deprecated
 * aggregation pipes (`| count() by x > 5`) are refused: correlation rules
 * say the same thing.
 */
#include "sigma/sigma_det.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COND_DEPTH 64
#define COND_TOKEN 128

struct parser {
    const char *s;
    const char *const *names;
    unsigned nnames;
    char tok[COND_TOKEN];
    int depth;
    char *err;
    size_t errlen;
};

/* The next token without consuming it: "(" ")" or a word; "" at the end. */
static void peek(struct parser *ps)
{
    const char *s = ps->s;
    size_t n = 0;

    while (isspace((unsigned char)*s))
        s++;
    if (*s == '(' || *s == ')') {
        ps->tok[0] = *s;
        ps->tok[1] = '\0';
        return;
    }
    while (s[n] && !isspace((unsigned char)s[n]) && s[n] != '(' && s[n] != ')')
        n++;
    if (n >= COND_TOKEN)
        n = COND_TOKEN - 1;
    memcpy(ps->tok, s, n);
    ps->tok[n] = '\0';
}

static void advance(struct parser *ps)
{
    while (isspace((unsigned char)*ps->s))
        ps->s++;
    if (*ps->s == '(' || *ps->s == ')') {
        ps->s++;
        return;
    }
    while (*ps->s && !isspace((unsigned char)*ps->s) && *ps->s != '(' && *ps->s != ')')
        ps->s++;
}

static struct idw_cond *node_new(enum idw_cond_kind kind)
{
    struct idw_cond *c = calloc(1, sizeof *c);
    if (c)
        c->kind = kind;
    return c;
}

static int add_kid(struct idw_cond *c, struct idw_cond *kid)
{
    struct idw_cond **k = realloc(c->kids, (c->nkids + 1) * sizeof *k);
    if (!k)
        return -1;
    c->kids = k;
    c->kids[c->nkids++] = kid;
    return 0;
}

void idw_sigma_cond_free(struct idw_cond *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->nkids; i++)
        idw_sigma_cond_free(c->kids[i]);
    free(c->kids);
    free(c);
}

/*
 * Identifier patterns know only `*` (the spec's wildcard for identifiers).
 * Iterative, remembering the last star: linear-ish, never exponential.
 */
static int glob(const char *pat, const char *s)
{
    const char *star = NULL;
    const char *resume = NULL;

    while (*s) {
        if (*pat == '*') {
            star = pat++;
            resume = s;
        } else if (*pat == *s) {
            pat++;
            s++;
        } else if (star) {
            pat = star + 1;
            s = ++resume;
        } else {
            return 0;
        }
    }
    while (*pat == '*')
        pat++;
    return *pat == '\0';
}

static struct idw_cond *fail(struct parser *ps, const char *fmt, const char *what)
{
    snprintf(ps->err, ps->errlen, fmt, what);
    return NULL;
}

static struct idw_cond *ident(struct parser *ps, const char *name, int all_maps)
{
    for (unsigned i = 0; i < ps->nnames; i++) {
        if (strcmp(ps->names[i], name) == 0) {
            struct idw_cond *c = node_new(IDW_COND_ID);
            if (!c)
                return fail(ps, "out of memory%s", "");
            c->ident = i;
            c->all_maps = all_maps;
            return c;
        }
    }
    return fail(ps, "condition: unknown search identifier '%.64s'", name);
}

/* `1 of X*`, `all of them`: an OR or AND of every identifier the pattern names. */
static struct idw_cond *quantified(struct parser *ps, int all)
{
    char pat[COND_TOKEN];

    advance(ps);
    peek(ps);
    if (strcasecmp(ps->tok, "of") != 0)
        return fail(ps, "condition: expected 'of' after '1', 'any' or 'all', not '%.64s'", ps->tok);
    advance(ps);
    peek(ps);
    if (!ps->tok[0] || strcmp(ps->tok, "(") == 0 || strcmp(ps->tok, ")") == 0)
        return fail(ps, "condition: expected an identifier pattern or 'them' after 'of'%s", "");
    snprintf(pat, sizeof pat, "%s", ps->tok);
    advance(ps);
    if (!strchr(pat, '*') && strcasecmp(pat, "them") != 0)
        return ident(ps, pat, all);
    int them = strcasecmp(pat, "them") == 0;
    struct idw_cond *c = node_new(all ? IDW_COND_AND : IDW_COND_OR);
    if (!c)
        return fail(ps, "out of memory%s", "");
    for (unsigned i = 0; i < ps->nnames; i++) {
        int hit = them ? ps->names[i][0] != '_' : glob(pat, ps->names[i]);
        if (!hit)
            continue;
        struct idw_cond *k = node_new(IDW_COND_ID);
        if (!k || add_kid(c, k) != 0) {
            free(k);
            idw_sigma_cond_free(c);
            return fail(ps, "out of memory%s", "");
        }
        k->ident = i;
    }
    if (c->nkids == 0) {
        idw_sigma_cond_free(c);
        return fail(ps, "condition: no search identifier matches '%.64s'", pat);
    }
    return c;
}

static struct idw_cond *or_expr(struct parser *ps);

static struct idw_cond *primary(struct parser *ps)
{
    peek(ps);
    if (strcmp(ps->tok, "(") == 0) {
        advance(ps);
        struct idw_cond *c = or_expr(ps);
        if (!c)
            return NULL;
        peek(ps);
        if (strcmp(ps->tok, ")") != 0) {
            idw_sigma_cond_free(c);
            return fail(ps, "condition: missing ')'%s", "");
        }
        advance(ps);
        return c;
    }
    if (strcmp(ps->tok, "1") == 0 || strcasecmp(ps->tok, "any") == 0)
        return quantified(ps, 0);
    if (strcasecmp(ps->tok, "all") == 0)
        return quantified(ps, 1);
    if (!ps->tok[0])
        return fail(ps, "condition: unexpected end%s", "");
    if (strcmp(ps->tok, ")") == 0 || !strcasecmp(ps->tok, "and") || !strcasecmp(ps->tok, "or")
        || !strcasecmp(ps->tok, "of") || !strcasecmp(ps->tok, "them"))
        return fail(ps, "condition: unexpected '%.64s'", ps->tok);
    if (isdigit((unsigned char)ps->tok[0]))
        return fail(ps, "condition: '%.64s': only '1 of', 'any of' and 'all of' are supported", ps->tok);
    if (strchr(ps->tok, '*'))
        return fail(ps, "condition: '%.64s': a pattern needs '1 of' or 'all of'", ps->tok);
    char name[COND_TOKEN];
    snprintf(name, sizeof name, "%s", ps->tok);
    advance(ps);
    return ident(ps, name, 0);
}

static struct idw_cond *not_expr(struct parser *ps)
{
    if (++ps->depth > COND_DEPTH)
        return fail(ps, "condition: nested deeper than %s levels", "64");
    peek(ps);
    struct idw_cond *r;
    if (strcasecmp(ps->tok, "not") == 0) {
        advance(ps);
        struct idw_cond *kid = not_expr(ps);
        r = kid ? node_new(IDW_COND_NOT) : NULL;
        if (r && add_kid(r, kid) != 0) {
            free(r);
            r = NULL;
        }
        if (!r)
            idw_sigma_cond_free(kid);
        if (kid && !r)
            fail(ps, "out of memory%s", "");
    } else {
        r = primary(ps);
    }
    ps->depth--;
    return r;
}

/* A chain of sub-expressions joined by `word` ("and" / "or"). */
static struct idw_cond *chain(struct parser *ps, const char *word, enum idw_cond_kind kind,
                              struct idw_cond *(*sub)(struct parser *))
{
    struct idw_cond *first = sub(ps);
    struct idw_cond *c = NULL;

    if (!first)
        return NULL;
    for (;;) {
        peek(ps);
        if (strcasecmp(ps->tok, word) != 0)
            return c ? c : first;
        advance(ps);
        if (!c) {
            c = node_new(kind);
            if (!c || add_kid(c, first) != 0) {
                free(c);
                idw_sigma_cond_free(first);
                return fail(ps, "out of memory%s", "");
            }
        }
        struct idw_cond *next = sub(ps);
        if (!next || add_kid(c, next) != 0) {
            idw_sigma_cond_free(next);
            idw_sigma_cond_free(c);
            return next ? fail(ps, "out of memory%s", "") : NULL;
        }
    }
}

static struct idw_cond *and_expr(struct parser *ps)
{
    return chain(ps, "and", IDW_COND_AND, not_expr);
}

static struct idw_cond *or_expr(struct parser *ps)
{
    if (++ps->depth > COND_DEPTH)
        return fail(ps, "condition: nested deeper than %s levels", "64");
    struct idw_cond *c = chain(ps, "or", IDW_COND_OR, and_expr);
    ps->depth--;
    return c;
}

enum idw_rc idw_sigma_cond_parse(const char *text, const char *const *names, unsigned nnames,
                                 struct idw_cond **out, char *err, size_t errlen)
{
    struct parser ps = {.s = text, .names = names, .nnames = nnames, .err = err, .errlen = errlen};

    *out = NULL;
    if (strchr(text, '|')) {
        snprintf(err, errlen, "condition: aggregation expressions ('| count() ...') are deprecated and "
                              "not supported: use a correlation rule");
        return IDW_ERR;
    }
    struct idw_cond *c = or_expr(&ps);
    if (!c)
        return IDW_ERR;
    peek(&ps);
    if (ps.tok[0]) {
        snprintf(err, errlen, "condition: unexpected '%.64s'", ps.tok);
        idw_sigma_cond_free(c);
        return IDW_ERR;
    }
    *out = c;
    return IDW_OK;
}
