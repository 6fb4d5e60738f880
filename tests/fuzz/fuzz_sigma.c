/*
 * fuzz_sigma.c — the Sigma rule loader and matcher (src/sigma/): a rule
 * file as idw_sigma_load_buffer reads it (YAML documents, metadata,
 * detection compile with every modifier, the condition parser), then
 * idw_sigma_link, then idw_sigma_match on a fixed Okta event (arrays,
 * numbers, booleans, nulls, lower-case keys, persona facts) and
 * idw_sigma_field_text on each rule's fields.
 *
 * Input: the rule file.
 *
 * Invariants: a refusal names the file ("fuzz.yml:" or "fuzz.yml: ") and
 * adds nothing; IDW_NOTFOUND says "not okta: skipped" and adds nothing;
 * every loaded rule has an id, a title, a file and a level on the scale;
 * match counts at most the number of rules, calls on_match that often,
 * and calls the facts callback at most once.
 */
#include "fuzz_util.h"

#include "sigma/sigma.h"

static json_t *event;
static json_t *facts;
static unsigned facts_calls;

static const char *const event_text =
    "{\"uuid\": \"u1\", \"published\": \"2026-12-01T10:00:00.000Z\", \"eventType\": \"user.session.start\","
    " \"displayMessage\": \"User login to Okta\", \"severity\": \"INFO\","
    " \"actor\": {\"id\": \"00u1\", \"type\": \"User\", \"alternateId\": \"ann@example.com\"},"
    " \"client\": {\"ipAddress\": \"203.0.113.7\", \"userAgent\": {\"rawUserAgent\": \"python-requests/2.31\"}},"
    " \"outcome\": {\"result\": \"FAILURE\", \"reason\": null},"
    " \"target\": [{\"type\": \"User\", \"alternateId\": \"ann@example.com\"}, {\"type\": \"AppInstance\"}],"
    " \"debugContext\": {\"debugData\": {\"threatSuspected\": \"true\", \"risk\": 7,"
    " \"behaviors\": [\"New Device\", \"New IP\"], \"ip6\": \"2001:db8::1\", \"ok\": true}},"
    " \"securitycontext\": {\"asnumber\": 64500}}";

static const json_t *get_facts(void *arg)
{
    (void)arg;
    facts_calls++;
    return facts;
}

static void setup_once(void)
{
    json_error_t je;

    if (event)
        return;
    event = json_loads(event_text, 0, &je);
    facts = json_loads("{\"actor\": {\"admin\": true, \"new_country\": \"yes\"}, \"target\": {}}", 0, &je);
    FUZZ_CHECK(event && facts);
}

static unsigned matched;

static void on_match(void *arg, const struct idw_sigma_rule *r)
{
    (void)arg;
    FUZZ_CHECK(idw_sigma_enabled(r));
    matched++;
}

static void check_rules(const struct idw_sigma_set *s)
{
    for (size_t i = 0; i < idw_sigma_count(s); i++) {
        const struct idw_sigma_info *in = idw_sigma_info(idw_sigma_at(s, i));
        FUZZ_CHECK(in->id && in->id[0] && in->title && in->title[0]);
        FUZZ_CHECK(in->file && strcmp(in->file, "fuzz.yml") == 0 && in->line >= 1);
        FUZZ_CHECK(in->level >= IDW_SEV_LOW && in->level <= IDW_SEV_CRITICAL);
        FUZZ_CHECK(in->window_ms >= 1000 && in->window_ms <= 30LL * 86400 * 1000);
        FUZZ_CHECK(in->mitre && in->tactic && in->description && in->status && in->doc);
        FUZZ_CHECK(strcmp(idw_sigma_as_rule(idw_sigma_at(s, i))->id, in->id) == 0);
        FUZZ_CHECK(idw_sigma_correlations_of(idw_sigma_at(s, i)) != NULL);
    }
}

static void match_event(const struct idw_sigma_set *s)
{
    struct idw_sigma_event ev = {.raw = event, .event_type = "user.session.start", .facts = get_facts};
    char out[128];

    facts_calls = 0;
    matched = 0;
    unsigned n = idw_sigma_match(s, &ev, on_match, NULL);
    FUZZ_CHECK(n == matched && n <= idw_sigma_count(s));
    FUZZ_CHECK(facts_calls <= 1);
    /* an event without eventType goes to every rule */
    ev.event_type = NULL;
    facts_calls = 0;
    matched = 0;
    n = idw_sigma_match(s, &ev, on_match, NULL);
    FUZZ_CHECK(n == matched && facts_calls <= 1);
    for (size_t i = 0; i < idw_sigma_count(s); i++) {
        const json_t *doc = idw_sigma_info(idw_sigma_at(s, i))->doc;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)json_object_get(doc, "detection"), k, v) {
            json_t *fv;
            const char *field;
            json_object_foreach(v, field, fv) {
                idw_sigma_field_text(&ev, field, out, sizeof out);
                FUZZ_CHECK(memchr(out, '\0', sizeof out) != NULL);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct idw_sigma_set *s;
    char err[512];

    setup_once();
    if (idw_sigma_set_new(&s) != IDW_OK)
        return 0;
    err[0] = '\0';
    enum idw_rc rc = idw_sigma_load_buffer(s, "fuzz.yml", (const char *)data, size, err, sizeof err);
    if (rc == IDW_ERR) {
        FUZZ_CHECK(strncmp(err, "fuzz.yml:", 9) == 0);
        FUZZ_CHECK(idw_sigma_count(s) == 0);
    } else if (rc == IDW_NOTFOUND) {
        FUZZ_CHECK(strstr(err, "not okta: skipped") != NULL);
        FUZZ_CHECK(idw_sigma_count(s) == 0);
    } else {
        FUZZ_CHECK(rc == IDW_OK);
        check_rules(s);
        if (idw_sigma_link(s, err, sizeof err) == IDW_OK)
            match_event(s);
        else
            FUZZ_CHECK(strncmp(err, "fuzz.yml:", 9) == 0);
    }
    idw_sigma_set_free(s);
    return 0;
}
