/*
 * test_evstore.c — the kept events (store/evstore.h): the record codec
 * round-trips every field, and a truncated, extended or damaged record is
 * IDW_ERR, never a crash; storing, lookup by uuid, a person's timeline
 * newest first within a window, the events of an alert, pruning by event
 * time (bounded, indexes included), and the Admin Console link.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/evstore.h"

#define T0 1788000000000LL      /* 2026-08-29 */
#define ALICE "0b6d7c1e-1111-8222-8333-444455556666"
#define BOB "0b6d7c1e-2222-8222-8333-444455556666"

struct fixture {
    char dir[32];
    struct idw_store *st;
    MDB_txn *txn;
    char err[512];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/idw-ev-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(idw_store_open(f->dir, 64, 0, &f->st, f->err, sizeof f->err), IDW_OK);
    assert_int_equal(idw_store_begin(f->st, 0, &f->txn, f->err, sizeof f->err), IDW_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char rm[64];

    if (f->txn)
        mdb_txn_abort(f->txn);
    idw_store_close(f->st);
    snprintf(rm, sizeof rm, "rm -rf %s", f->dir);
    assert_int_equal(system(rm), 0);
    free(f);
    return 0;
}

/* A full record: every field set, a text shared by two fields, a COMMON-table value. */
static void sample(struct idw_evrec *r, const char *uuid, int64_t t, const char *subject, const char *actor)
{
    memset(r, 0, sizeof *r);
    r->uuid = uuid;
    r->published_ms = t;
    r->event_type = "user.authentication.sso";
    r->display_message = "User single sign on to app";
    r->outcome = "FAILURE";
    r->outcome_reason = "INVALID_CREDENTIALS";
    r->severity = "WARN";
    r->actor = (struct idw_evrec_who){"00u1", "alice@acme.example", "User", "Alice Ämber"};
    r->n_targets = 2;
    r->target[0] = (struct idw_evrec_who){"0oa1", "Salesforce", "AppInstance", NULL};
    r->target[1] = (struct idw_evrec_who){"00u1", "alice@acme.example", "User", NULL};
    r->ip = "198.51.100.7";
    r->city = "Dublin";
    r->country = "Ireland";
    r->has_coords = 1;
    r->lat = 53.34981;
    r->lon = -6.26031;
    r->asn = 5466;
    r->as_org = "eircom";
    r->device = "Computer";
    r->browser = "CHROME";
    r->os = "Mac OS X";
    r->app = "Salesforce";
    r->session_id = "102abc";
    snprintf(r->subject_tuid, sizeof r->subject_tuid, "%s", subject ? subject : "");
    snprintf(r->actor_tuid, sizeof r->actor_tuid, "%s", actor ? actor : "");
}

static void assert_str(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void assert_same(const struct idw_evrec *a, const struct idw_evrec *b)
{
    assert_str(a->uuid, b->uuid);
    assert_true(a->published_ms == b->published_ms);
    assert_str(a->event_type, b->event_type);
    assert_str(a->display_message, b->display_message);
    assert_str(a->outcome, b->outcome);
    assert_str(a->outcome_reason, b->outcome_reason);
    assert_str(a->severity, b->severity);
    assert_str(a->actor.id, b->actor.id);
    assert_str(a->actor.login, b->actor.login);
    assert_str(a->actor.type, b->actor.type);
    assert_str(a->actor.display_name, b->actor.display_name);
    assert_int_equal(a->n_targets, b->n_targets);
    for (unsigned i = 0; i < a->n_targets; i++) {
        assert_str(a->target[i].id, b->target[i].id);
        assert_str(a->target[i].login, b->target[i].login);
        assert_str(a->target[i].type, b->target[i].type);
    }
    assert_str(a->ip, b->ip);
    assert_str(a->city, b->city);
    assert_str(a->country, b->country);
    assert_int_equal(a->has_coords, b->has_coords);
    assert_true(a->lat - b->lat < 1e-5 && b->lat - a->lat < 1e-5);
    assert_true(a->lon - b->lon < 1e-5 && b->lon - a->lon < 1e-5);
    assert_int_equal(a->asn, b->asn);
    assert_str(a->as_org, b->as_org);
    assert_str(a->device, b->device);
    assert_str(a->browser, b->browser);
    assert_str(a->os, b->os);
    assert_str(a->app, b->app);
    assert_str(a->session_id, b->session_id);
    assert_string_equal(a->subject_tuid, b->subject_tuid);
    assert_string_equal(a->actor_tuid, b->actor_tuid);
}

static void test_codec_roundtrip(void **state)
{
    static struct idw_evrec r, back;
    unsigned char buf[IDW_EVREC_MAX];
    size_t n;

    (void)state;
    sample(&r, "26c9dddf-1190-4c87-a042-da60a550661b", T0, ALICE, BOB);
    n = idw_evrec_encode(&r, buf, sizeof buf);
    assert_true(n > 0 && n < 180);      /* compact: COMMON entries and back-references (178 bytes) */
    assert_int_equal(idw_evrec_decode(buf, n, &back), IDW_OK);
    assert_same(&r, &back);
    /* a uuid that is not a canonical UUID is kept as text; absent fields stay absent */
    memset(&r, 0, sizeof r);
    r.uuid = "Ev-Not-A-Uuid";
    r.published_ms = T0;
    n = idw_evrec_encode(&r, buf, sizeof buf);
    assert_int_equal(idw_evrec_decode(buf, n, &back), IDW_OK);
    assert_same(&r, &back);
    /* too small a buffer: 0, not a cut record */
    assert_int_equal(idw_evrec_encode(&r, buf, 5), 0);
    /* the most strings a record has: a text uuid, every head and tail string and every target
     * (a Panther data-lake event has no uuid: one string more than the table once held) */
    sample(&r, "Ev-Not-A-Uuid", T0, ALICE, BOB);
    r.n_targets = IDW_EVREC_TARGETS;
    for (unsigned i = 2; i < IDW_EVREC_TARGETS; i++)
        r.target[i] = (struct idw_evrec_who){"00g9", "Everyone-else", "UserGroup", NULL};
    n = idw_evrec_encode(&r, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(idw_evrec_decode(buf, n, &back), IDW_OK);
    assert_same(&r, &back);
}

static void test_codec_long_string_cut_at_utf8(void **state)
{
    static struct idw_evrec r, back;
    unsigned char buf[IDW_EVREC_MAX];
    char msg[600];
    size_t n;

    (void)state;
    for (size_t i = 0; i + 2 < sizeof msg; i += 2)
        memcpy(msg + i, "\xc3\xa4", 2);     /* "ä" over and over: 2-byte sequences */
    msg[sizeof msg - 1] = '\0';
    sample(&r, "26c9dddf-1190-4c87-a042-da60a550661b", T0, NULL, NULL);
    r.display_message = msg;
    n = idw_evrec_encode(&r, buf, sizeof buf);
    assert_int_equal(idw_evrec_decode(buf, n, &back), IDW_OK);
    assert_true(strlen(back.display_message) <= IDW_EVREC_STR_MAX);
    assert_int_equal(strlen(back.display_message) % 2, 0);     /* never half a character */
    json_t *j = idw_evrec_to_json(&back, NULL);
    assert_non_null(j);
    assert_true(json_is_string(json_object_get(j, "display_message")));
    json_decref(j);
}

static void test_codec_corrupt_is_error(void **state)
{
    static struct idw_evrec r, back;
    unsigned char buf[IDW_EVREC_MAX], bad[IDW_EVREC_MAX + 16];
    size_t n;

    (void)state;
    sample(&r, "26c9dddf-1190-4c87-a042-da60a550661b", T0, ALICE, BOB);
    n = idw_evrec_encode(&r, buf, sizeof buf);
    for (size_t cut = 0; cut < n; cut++)         /* every truncation */
        assert_int_equal(idw_evrec_decode(buf, cut, &back), IDW_ERR);
    memcpy(bad, buf, n);
    bad[n] = 0;                                  /* a trailing byte */
    assert_int_equal(idw_evrec_decode(bad, n + 1, &back), IDW_ERR);
    memcpy(bad, buf, n);
    bad[0] = 9;                                  /* an unknown version */
    assert_int_equal(idw_evrec_decode(bad, n, &back), IDW_ERR);
    memcpy(bad, buf, n);
    bad[1] |= 0x80;                              /* an unknown flag */
    assert_int_equal(idw_evrec_decode(bad, n, &back), IDW_ERR);
    for (size_t i = 2; i < n; i++) {             /* any byte flipped: a clean answer either way */
        memcpy(bad, buf, n);
        bad[i] ^= 0xff;
        enum idw_rc rc = idw_evrec_decode(bad, n, &back);
        assert_true(rc == IDW_OK || rc == IDW_ERR);
        if (rc == IDW_ERR)
            assert_null(back.uuid);
    }
    assert_int_equal(idw_evrec_decode(NULL, 0, &back), IDW_ERR);
}

/* As the pipeline stores an event: its uuid remembered (the uuid index), then the event. */
static void put(struct fixture *f, const char *domain, const char *uuid, int64_t t, const char *subject,
                const char *actor)
{
    static struct idw_evrec r;
    sample(&r, uuid, t, subject, actor);
    assert_int_equal(idw_store_seen_add(f->st, f->txn, domain, uuid, t, f->err, sizeof f->err), IDW_OK);
    assert_int_equal(idw_evstore_put(f->st, f->txn, domain, &r, f->err, sizeof f->err), IDW_OK);
}

struct seen {
    char uuid[8][64];
    unsigned n;
};

static int remember(const struct idw_evrec *r, void *vctx)
{
    struct seen *s = vctx;
    snprintf(s->uuid[s->n++], sizeof s->uuid[0], "%s", r->uuid);
    return s->n == 8;
}

static struct seen timeline(struct fixture *f, const char *domain, const char *tuid, int64_t from,
                            int64_t to, size_t limit)
{
    struct seen s = {0};
    assert_int_equal(idw_evstore_person(f->st, f->txn, domain, tuid, from, to, limit, remember, &s,
                                        f->err, sizeof f->err), IDW_OK);
    return s;
}

static void test_store_get_and_timeline(void **state)
{
    struct fixture *f = *state;
    static struct idw_evrec r;
    struct seen s;

    put(f, "acme", "00000000-0000-4000-8000-000000000002", T0 + 2000, ALICE, NULL);
    put(f, "acme", "00000000-0000-4000-8000-000000000001", T0 + 1000, ALICE, NULL);
    put(f, "acme", "00000000-0000-4000-8000-000000000003", T0 + 3000, BOB, ALICE);  /* alice acted on bob */
    put(f, "acme", "custom-id-4", T0 + 4000, BOB, NULL);
    put(f, "other", "00000000-0000-4000-8000-000000000005", T0 + 5000, ALICE, NULL); /* another org */
    sample(&r, "00000000-0000-4000-8000-000000000001", T0 + 1000, ALICE, NULL);
    assert_int_equal(idw_evstore_put(f->st, f->txn, "acme", &r, f->err, sizeof f->err), IDW_EXISTS);

    assert_int_equal(idw_evstore_get(f->st, f->txn, "acme", "custom-id-4", &r, f->err, sizeof f->err),
                     IDW_OK);
    assert_true(r.published_ms == T0 + 4000);
    assert_string_equal(r.subject_tuid, BOB);
    assert_int_equal(idw_evstore_get(f->st, f->txn, "acme", "00000000-0000-4000-8000-000000000005", &r,
                                     f->err, sizeof f->err), IDW_NOTFOUND);
    assert_int_equal(idw_evstore_get(f->st, f->txn, "acme", "custom-id-5", &r, f->err, sizeof f->err),
                     IDW_NOTFOUND);

    s = timeline(f, "acme", ALICE, 0, INT64_MAX, 0);     /* as subject and as actor, newest first */
    assert_int_equal(s.n, 3);
    assert_string_equal(s.uuid[0], "00000000-0000-4000-8000-000000000003");
    assert_string_equal(s.uuid[1], "00000000-0000-4000-8000-000000000002");
    assert_string_equal(s.uuid[2], "00000000-0000-4000-8000-000000000001");
    s = timeline(f, "acme", ALICE, T0 + 1500, T0 + 2500, 0);  /* the window's bounds */
    assert_int_equal(s.n, 1);
    assert_string_equal(s.uuid[0], "00000000-0000-4000-8000-000000000002");
    s = timeline(f, "acme", ALICE, 0, T0 + 2000, 1);           /* to is inclusive; the limit */
    assert_int_equal(s.n, 1);
    assert_string_equal(s.uuid[0], "00000000-0000-4000-8000-000000000002");
    s = timeline(f, "acme", BOB, 0, INT64_MAX, 0);
    assert_int_equal(s.n, 2);
    assert_string_equal(s.uuid[0], "custom-id-4");
    s = timeline(f, "acme", "not-a-tuid", 0, INT64_MAX, 0);
    assert_int_equal(s.n, 0);
}

static void test_events_of_an_alert(void **state)
{
    struct fixture *f = *state;
    json_t *ids = json_pack("[s,s,s]", "00000000-0000-4000-8000-000000000002", "never-stored",
                            "00000000-0000-4000-8000-000000000001"), *out;

    put(f, "acme", "00000000-0000-4000-8000-000000000002", T0 + 2000, ALICE, NULL);
    put(f, "acme", "00000000-0000-4000-8000-000000000001", T0 + 1000, ALICE, NULL);
    assert_int_equal(idw_evstore_events_json(f->st, f->txn, "acme", ids, "https://acme.okta.com", &out,
                                             f->err, sizeof f->err), IDW_OK);
    assert_int_equal(json_array_size(out), 2);      /* oldest first; the missing one left out */
    assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "uuid")),
                        "00000000-0000-4000-8000-000000000001");
    assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "okta_url")),
                        "https://acme-admin.okta.com/report/system_log_2?search=uuid+eq+%22"
                        "00000000-0000-4000-8000-000000000001%22");
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(out, 0),
                                                                          "outcome"), "result")),
                        "FAILURE");
    json_decref(out);
    json_decref(ids);
}

static void test_prune(void **state)
{
    struct fixture *f = *state;
    static struct idw_evrec r;
    char uuid[64];
    size_t pruned = 0;

    for (int i = 0; i < 6; i++) {
        snprintf(uuid, sizeof uuid, "00000000-0000-4000-8000-00000000000%d", i);
        put(f, "acme", uuid, T0 + i * 1000, ALICE, i == 5 ? BOB : NULL);
    }
    put(f, "other", "00000000-0000-4000-8000-000000000000", T0, ALICE, NULL);
    /* bounded: at most max per call, oldest first */
    assert_int_equal(idw_evstore_prune(f->st, f->txn, "acme", T0 + 4000, 2, &pruned, f->err,
                                       sizeof f->err), IDW_OK);
    assert_int_equal(pruned, 2);
    assert_int_equal(idw_evstore_get(f->st, f->txn, "acme", "00000000-0000-4000-8000-000000000001", &r,
                                     f->err, sizeof f->err), IDW_NOTFOUND);
    assert_int_equal(idw_evstore_get(f->st, f->txn, "acme", "00000000-0000-4000-8000-000000000002", &r,
                                     f->err, sizeof f->err), IDW_OK);
    assert_int_equal(idw_evstore_prune(f->st, f->txn, "acme", T0 + 4000, 100, &pruned, f->err,
                                       sizeof f->err), IDW_OK);
    assert_int_equal(pruned, 2);        /* the 2nd and 3rd: before is exclusive */
    assert_int_equal(timeline(f, "acme", ALICE, 0, INT64_MAX, 0).n, 2);     /* index entries went too */
    assert_int_equal(timeline(f, "acme", BOB, 0, INT64_MAX, 0).n, 1);
    MDB_stat ms;
    assert_int_equal(mdb_stat(f->txn, f->st->ev_person, &ms), 0);
    assert_int_equal(ms.ms_entries, 4);     /* acme: #4 alice, #5 alice and bob; other: alice */
    assert_int_equal(mdb_stat(f->txn, f->st->events, &ms), 0);
    assert_int_equal(ms.ms_entries, 3);
    assert_int_equal(idw_evstore_get(f->st, f->txn, "other", "00000000-0000-4000-8000-000000000000", &r,
                                     f->err, sizeof f->err), IDW_OK);       /* other orgs untouched */
    /* a uuid pruned can be stored again */
    sample(&r, "00000000-0000-4000-8000-000000000001", T0 + 1000, ALICE, NULL);
    assert_int_equal(idw_evstore_put(f->st, f->txn, "acme", &r, f->err, sizeof f->err), IDW_OK);
}

static void test_corrupt_record_is_error(void **state)
{
    struct fixture *f = *state;
    static struct idw_evrec r;
    MDB_cursor *cur;
    MDB_val key, val, junk = {3, "bad"};
    struct seen s = {0};

    put(f, "acme", "00000000-0000-4000-8000-000000000001", T0, ALICE, NULL);
    assert_int_equal(mdb_cursor_open(f->txn, f->st->events, &cur), 0);
    assert_int_equal(mdb_cursor_get(cur, &key, &val, MDB_FIRST), 0);
    assert_int_equal(mdb_cursor_put(cur, &key, &junk, MDB_CURRENT), 0);
    mdb_cursor_close(cur);
    assert_int_equal(idw_evstore_get(f->st, f->txn, "acme", "00000000-0000-4000-8000-000000000001", &r,
                                     f->err, sizeof f->err), IDW_ERR);
    assert_non_null(strstr(f->err, "corrupt"));
    assert_int_equal(idw_evstore_person(f->st, f->txn, "acme", ALICE, 0, INT64_MAX, 0, remember, &s,
                                        f->err, sizeof f->err), IDW_ERR);
}

static void test_okta_url(void **state)
{
    char url[512];

    (void)state;
    assert_int_equal(idw_evstore_okta_url("https://acme.oktapreview.com", "abc-1", url, sizeof url), 1);
    assert_string_equal(url, "https://acme-admin.oktapreview.com/report/system_log_2?search=uuid+eq+%22abc-1%22");
    assert_int_equal(idw_evstore_okta_url("https://acme.okta.com/", "abc", url, sizeof url), 1);
    assert_int_equal(idw_evstore_okta_url(NULL, "abc", url, sizeof url), 0);
    assert_int_equal(idw_evstore_okta_url("https://login.acme.example", "abc", url, sizeof url), 0);
    assert_int_equal(idw_evstore_okta_url("http://acme.okta.com", "abc", url, sizeof url), 0);
    assert_int_equal(idw_evstore_okta_url("https://acme.okta.com:8443", "abc", url, sizeof url), 0);
    assert_int_equal(idw_evstore_okta_url("https://acme.okta.com", "a\"b", url, sizeof url), 0);
    assert_int_equal(idw_evstore_okta_url("https://acme.okta.com", "abc", url, 20), 0);
    assert_int_equal(idw_evstore_okta_url("https://a%22b.okta.com", "abc", url, sizeof url), 0);
    assert_int_equal(idw_evstore_okta_url("https://evil.example/.okta.com", "abc", url, sizeof url), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_roundtrip),
        cmocka_unit_test(test_codec_long_string_cut_at_utf8),
        cmocka_unit_test(test_codec_corrupt_is_error),
        cmocka_unit_test(test_okta_url),
        cmocka_unit_test_setup_teardown(test_store_get_and_timeline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events_of_an_alert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prune, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_record_is_error, setup, teardown),
    };
    return cmocka_run_group_tests_name("evstore", tests, NULL, NULL);
}
