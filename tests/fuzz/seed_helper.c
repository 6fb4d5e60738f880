/*
 * seed_helper.c — prints what the seed corpora need from the library
 * itself, for tests/fuzz/build-corpus.sh (built as $(BUILD)/tests/fuzz_seed
 * with the ordinary compiler):
 *
 *   fuzz_seed default-config          the embedded default configuration
 *   fuzz_seed rule-ids                the registered rules, one per line, in
 *                                     table order (fuzz_rules' first byte)
 *   fuzz_seed personas EVENTS OUTDIR  learns personas from a JSON Lines file
 *                                     (normalize + update, as the pipeline
 *                                     does) and writes each encoded record
 *                                     to OUTDIR/persona-N
 *   fuzz_seed evrecs EVENTS OUTDIR    the kept-event record (store/evstore.h) of
 *                                     each event of a JSON Lines file, to
 *                                     OUTDIR/evrec-N (fuzz_evrec_codec)
 *   fuzz_seed keys OUTDIR             test-only private keys in every form
 *                                     idw_key_parse reads (fuzz_key): an RSA
 *                                     2048 and an EC P-256 key as PKCS#8 and
 *                                     traditional PEM, as private JWKs (with
 *                                     and without CRT values, kid, use, alg),
 *                                     as a one-key JWKS, and the public JWK
 *                                     alone (the usual mistake).  Fresh keys
 *                                     each run: no key is committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include "common/config.h"
#include "common/util.h"
#include "rules/rule.h"
#include "source/jws.h"
#include "event/normalize.h"
#include "persona/persona.h"
#include "store/evstore.h"

#define MAX_PERSONAS 16

static struct idw_persona personas[MAX_PERSONAS];
static size_t npersonas;

static struct idw_persona *persona_for(const char *tuid)
{
    for (size_t i = 0; i < npersonas; i++)
        if (!strcmp(personas[i].tuid, tuid))
            return &personas[i];
    if (npersonas == MAX_PERSONAS)
        return NULL;
    idw_persona_init(&personas[npersonas], tuid);
    return &personas[npersonas++];
}

static void learn_line(const char *line, const struct idw_persona_params *prm)
{
    json_t *raw = json_loads(line, 0, NULL);
    struct idw_event ev;
    char err[256];
    struct idw_persona *p;

    if (raw && idw_normalize(raw, NULL, &ev, err, sizeof err) == IDW_NORM_OK) {
        ev.domain_id = "fuzz";
        idw_uuid_derive("fuzz", ev.subject.id ? ev.subject.id : "", ev.tuid);
        if ((ev.subject.id || ev.subject.login) && (p = persona_for(ev.tuid))) {
            idw_strlcpy(p->login, ev.subject.login, sizeof p->login);
            idw_persona_update(p, &ev, IDW_ROLE_SUBJECT, prm, 0);
        }
        idw_event_clear(&ev);
    }
    json_decref(raw);
}

static int write_personas(const char *events, const char *outdir)
{
    static unsigned char buf[IDW_PERSONA_MAX_ENCODED];
    struct idw_persona_params prm;
    char *line = NULL, path[4096];
    size_t cap = 0;
    FILE *in = fopen(events, "r"), *out;

    if (!in) {
        perror(events);
        return 1;
    }
    idw_persona_params_init(&prm, 30, 14, 10, 30);
    while (getline(&line, &cap, in) > 0)
        learn_line(line, &prm);
    free(line);
    fclose(in);
    for (size_t i = 0; i < npersonas; i++) {
        size_t n = idw_persona_encode(&personas[i], buf, sizeof buf);
        snprintf(path, sizeof path, "%s/persona-%zu", outdir, i);
        if (!n || !(out = fopen(path, "wb")) || fwrite(buf, 1, n, out) != n) {
            perror(path);
            return 1;
        }
        fclose(out);
    }
    return 0;
}

static int write_evrecs(const char *events, const char *outdir)
{
    static unsigned char buf[IDW_EVREC_MAX];
    static struct idw_evrec r;
    char *line = NULL, path[4096], err[256];
    size_t cap = 0, n, i = 0;
    FILE *in = fopen(events, "r"), *out;

    if (!in) {
        perror(events);
        return 1;
    }
    while (getline(&line, &cap, in) > 0) {
        json_t *raw = json_loads(line, 0, NULL);
        struct idw_event ev;
        if (raw && idw_normalize(raw, NULL, &ev, err, sizeof err) == IDW_NORM_OK) {
            idw_uuid_derive("fuzz", ev.subject.id ? ev.subject.id : "", ev.tuid);
            idw_evrec_from_event(&r, &ev, ev.subject_is_actor ? NULL : ev.tuid);
            n = idw_evrec_encode(&r, buf, sizeof buf);
            snprintf(path, sizeof path, "%s/evrec-%zu", outdir, i++);
            if (!n || !(out = fopen(path, "wb")) || fwrite(buf, 1, n, out) != n) {
                perror(path);
                return 1;
            }
            fclose(out);
            idw_event_clear(&ev);
        }
        json_decref(raw);
    }
    free(line);
    fclose(in);
    return 0;
}

/* Member name of jwk: parameter param of key as base64url, left-padded to pad bytes (0 = minimal). */
static void jwk_put(json_t *jwk, const char *name, EVP_PKEY *key, const char *param, int pad)
{
    BIGNUM *bn = NULL;
    unsigned char buf[1024];
    int n;

    if (!EVP_PKEY_get_bn_param(key, param, &bn))
        return;
    n = pad ? pad : BN_num_bytes(bn);
    if (n > 0 && n <= (int)sizeof buf && BN_bn2binpad(bn, buf, n) == n) {
        char *b64 = idw_b64url(buf, (size_t)n);
        json_object_set_new(jwk, name, json_string(b64));
        free(b64);
    }
    BN_free(bn);
}

/* The private JWK of key as Okta hands it out; crt = 0 leaves out p, q, dp, dq, qi. */
static json_t *private_jwk(EVP_PKEY *key, int crt)
{
    json_t *jwk = idw_key_public_jwk(key);

    if (EVP_PKEY_is_a(key, "RSA")) {
        jwk_put(jwk, "d", key, OSSL_PKEY_PARAM_RSA_D, 0);
        if (crt) {
            jwk_put(jwk, "p", key, OSSL_PKEY_PARAM_RSA_FACTOR1, 0);
            jwk_put(jwk, "q", key, OSSL_PKEY_PARAM_RSA_FACTOR2, 0);
            jwk_put(jwk, "dp", key, OSSL_PKEY_PARAM_RSA_EXPONENT1, 0);
            jwk_put(jwk, "dq", key, OSSL_PKEY_PARAM_RSA_EXPONENT2, 0);
            jwk_put(jwk, "qi", key, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, 0);
        }
    } else {
        jwk_put(jwk, "d", key, OSSL_PKEY_PARAM_PRIV_KEY, 32);
    }
    json_object_set_new(jwk, "kid", json_string("fuzz-kid-1"));
    json_object_set_new(jwk, "use", json_string("sig"));
    json_object_set_new(jwk, "alg", json_string(idw_key_alg(key)));
    return jwk;
}

static int write_text(const char *dir, const char *name, const char *text)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!text || !(f = fopen(path, "w")) || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    return 0;
}

static int write_json(const char *dir, const char *name, json_t *j, size_t flags)
{
    char *text = j ? json_dumps(j, flags) : NULL;
    int rc = write_text(dir, name, text);

    free(text);
    json_decref(j);
    return rc;
}

/* PKCS#8 (traditional = 0) or PKCS#1 / SEC1 PEM of key. */
static int write_pem(const char *dir, const char *name, EVP_PKEY *key, int traditional)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *mem, *text;
    long n;
    int rc = 1;

    if (b && (traditional ? PEM_write_bio_PrivateKey_traditional(b, key, NULL, NULL, 0, NULL, NULL)
                          : PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL)) &&
        (n = BIO_get_mem_data(b, &mem)) > 0 && (text = strndup(mem, (size_t)n))) {
        rc = write_text(dir, name, text);
        free(text);
    }
    BIO_free(b);
    return rc;
}

static int write_keys(const char *dir)
{
    static const char *const algs[] = {"RS256", "ES256"};
    char err[256], name[64];
    int rc = 0;

    for (int i = 0; i < 2; i++) {
        EVP_PKEY *k = idw_key_generate(algs[i], err, sizeof err);
        if (!k) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        snprintf(name, sizeof name, "%s-pkcs8.pem", algs[i]);
        rc |= write_pem(dir, name, k, 0);
        snprintf(name, sizeof name, "%s-traditional.pem", algs[i]);
        rc |= write_pem(dir, name, k, 1);
        snprintf(name, sizeof name, "%s.jwk.json", algs[i]);
        rc |= write_json(dir, name, private_jwk(k, 1), JSON_INDENT(2));
        snprintf(name, sizeof name, "%s-jwks.json", algs[i]);
        rc |= write_json(dir, name, json_pack("{s:[o]}", "keys", private_jwk(k, 1)), JSON_COMPACT);
        snprintf(name, sizeof name, "%s-public.jwk.json", algs[i]);
        rc |= write_json(dir, name, idw_key_public_jwk(k), JSON_COMPACT);
        if (i == 0)
            rc |= write_json(dir, "RS256-no-crt.jwk.json", private_jwk(k, 0), JSON_COMPACT);
        EVP_PKEY_free(k);
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "default-config")) {
        fputs(idw_config_default_json(), stdout);
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "rule-ids")) {
        for (size_t i = 0; idw_rule_table[i]; i++)
            printf("%s\n", idw_rule_table[i]->id);
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "personas"))
        return write_personas(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "evrecs"))
        return write_evrecs(argv[2], argv[3]);
    if (argc == 3 && !strcmp(argv[1], "keys"))
        return write_keys(argv[2]);
    fprintf(stderr, "usage: fuzz_seed default-config | rule-ids | personas EVENTS OUTDIR | evrecs EVENTS OUTDIR | keys OUTDIR\n");
    return 2;
}
