/*
 * fuzz_rules.c — the rule settings loader: rules/<id>.json as read by
 * idw_detect_open (src/engine/detect.c) and each rule module's init(),
 * then used on a fixed stream of attack events, so a setting that loads
 * but breaks a rule at run time (a zero window, a negative count, a huge
 * number converted to an integer) is found too.
 *
 * Input: the first byte picks the rule (modulo the number of registered
 * rules), the rest is that rule's file, written into a private directory
 * where it is the only file (the other rules get their defaults).
 *
 * The events: build/fuzz/rule-events.jsonl (tests/fuzz/build-corpus.sh
 * makes it from tools/gen-events' labelled attacks), or the file named by
 * IDW_FUZZ_RULE_EVENTS; without it the harness only loads settings.
 *
 * Invariants: a rejected file has a message naming the file; an accepted
 * one has every numeric setting within 0..1e6 (docs/rules.md: larger or
 * negative values overflow the rules' integer conversions) and describes
 * itself; the events never cause a storage failure.
 */
#include "fuzz_store.h"

#include <sys/stat.h>

static char rules_dir[64];
static json_t *events;          /* array of the fixed events, or NULL */

static void remove_dir(void)
{
    char path[256];
    for (size_t i = 0; idw_rule_table[i]; i++) {
        snprintf(path, sizeof path, "%s/%s.json", rules_dir, idw_rule_table[i]->id);
        unlink(path);
    }
    rmdir(rules_dir);
    json_decref(events);
}

static void load_events(void)
{
    const char *path = getenv("IDW_FUZZ_RULE_EVENTS");
    char def[4096];
    FILE *f;
    json_t *ev;
    json_error_t je;

    fuzz_src_path(def, sizeof def, "build/fuzz/rule-events.jsonl");
    events = json_array();
    if (!(f = fopen(path ? path : def, "r"))) {
        fprintf(stderr, "fuzz_rules: no %s: loading settings only\n", path ? path : def);
        return;
    }
    while ((ev = json_loadf(f, JSON_DISABLE_EOF_CHECK, &je)) != NULL)
        json_array_append_new(events, ev);
    fclose(f);
}

static void setup_once(void)
{
    if (rules_dir[0])
        return;
    snprintf(rules_dir, sizeof rules_dir, "/tmp/idw-fuzz-rules-XXXXXX");
    FUZZ_CHECK(mkdtemp(rules_dir) != NULL);
    load_events();
    atexit(remove_dir);
}

/* What idw_detect_open promises of a file it accepted. */
static void check_numbers(const uint8_t *text, size_t len)
{
    json_t *j = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, NULL);
    const char *k;
    json_t *v;

    json_object_foreach(j, k, v) if (json_is_number(v))
        FUZZ_CHECK(json_number_value(v) >= 0 && json_number_value(v) <= 1e6);
    json_decref(j);
}

static void run_events(struct idw_detect *d)
{
    struct fuzz_env *e = fuzz_env();
    size_t i;
    json_t *ev;

    fuzz_env_targets(d);
    FUZZ_CHECK(idw_pipeline_set_detect(e->pl, d) == 0);
    json_array_foreach(events, i, ev) fuzz_env_feed(e, ev);
    idw_pipeline_abort(e->pl);
    FUZZ_CHECK(idw_pipeline_set_detect(e->pl, NULL) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t nrules = 0;
    const char *id;
    char path[256], err[1024] = "";
    struct idw_detect *d = NULL;
    FILE *f;
    json_t *desc;

    setup_once();
    if (size == 0)
        return 0;
    while (idw_rule_table[nrules])
        nrules++;
    id = idw_rule_table[data[0] % nrules]->id;
    snprintf(path, sizeof path, "%s/%s.json", rules_dir, id);
    FUZZ_CHECK((f = fopen(path, "wb")) != NULL);
    FUZZ_CHECK(fwrite(data + 1, 1, size - 1, f) == size - 1);
    fclose(f);
    if (idw_detect_open(rules_dir, &d, err, sizeof err) < 0) {
        FUZZ_CHECK(d == NULL && strstr(err, id) != NULL);
    } else {
        check_numbers(data + 1, size - 1);
        desc = idw_detect_describe(d);
        FUZZ_CHECK(desc != NULL);
        fuzz_touch_json(desc);
        json_decref(desc);
        run_events(d);
        idw_detect_close(d);
    }
    unlink(path);
    return 0;
}
