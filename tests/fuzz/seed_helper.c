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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/util.h"
#include "detect/rule.h"
#include "ingest/normalize.h"
#include "persona/persona.h"

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
    fprintf(stderr, "usage: fuzz_seed default-config | rule-ids | personas EVENTS OUTDIR\n");
    return 2;
}
