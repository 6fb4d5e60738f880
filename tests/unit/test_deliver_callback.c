/*
 * test_deliver_callback.c — callback delivery targets (deliver/webhook.h
 * idw_webhooks_add_callback) in the delivery worker (deliver/deliver.h),
 * beside an HTTP webhook, on a temp LMDB: a callback that fails twice
 * (IDW_BUSY) and then succeeds is retried on its own backoff and its entry
 * leaves the outbox only once delivered; the webhook's entry keeps its own
 * schedule meanwhile; a refusal (IDW_ERR) becomes a dead letter after
 * max_permanent_attempts; and a database's registered targets
 * (idw_outbox_register_target) are queued by any outbox sink.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alert/alert.h"
#include "common/util.h"
#include "deliver/deliver.h"
#include "deliver/outbox.h"
#include "deliver/webhook.h"
#include "store/store.h"

struct fixture {
    char dir[64];
    struct idw_store *st;
    struct idw_webhooks *wh;
};

/* What the callback answers, call after call, and what it was given. */
struct script {
    enum idw_rc answers[8];
    size_t calls;
    char last_id[64];
    long long last_version;
};

static enum idw_rc scripted_send(const json_t *entry, void *ctx, char *err, size_t errlen)
{
    struct script *s = ctx;
    enum idw_rc rc = s->answers[s->calls < 8 ? s->calls : 7];

    s->calls++;
    snprintf(s->last_id, sizeof s->last_id, "%s", json_string_value(json_object_get(entry, "alert_id")));
    s->last_version = json_integer_value(json_object_get(entry, "version"));
    if (rc != IDW_OK)
        snprintf(err, errlen, "probe down (call %zu)", s->calls);
    return rc;
}

static int setup(void **state)
{
    static struct fixture f;
    char err[512];
    /* a webhook nothing listens for (port 1 of loopback: refused at once) */
    json_t *root = json_pack("{s:[{s:s, s:s, s:s, s:s, s:f, s:b}]}", "webhooks", "url",
                             "https://127.0.0.1:1/hook", "name", "soar", "secret_env", "IDW_TEST_CB_SECRET",
                             "min_severity", "low", "retry_base_s", 60.0, "deliver_historical", 1);

    memset(&f, 0, sizeof f);
    setenv("IDW_TEST_CB_SECRET", "0123456789abcdef", 1);
    snprintf(f.dir, sizeof f.dir, "/tmp/idw-dcb-XXXXXX");
    if (!mkdtemp(f.dir) || idw_store_open(f.dir, 64, IDW_STORE_NOSYNC, &f.st, err, sizeof err) < 0 ||
        idw_webhooks_load(root, &f.wh, err, sizeof err) < 0) {
        json_decref(root);
        return -1;
    }
    json_decref(root);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    idw_webhooks_free(f->wh);
    idw_store_close(f->st);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct idw_callback_target probe_target(struct script *s, int max_permanent)
{
    struct idw_callback_target cb = {
        .target = {.name = "probe", .min_severity = IDW_SEV_LOW, .deliver_historical = 1, .incidents = 1},
        .send = scripted_send, .ctx = s, .timeout_s = 5, .retry_base_s = 0.05, .retry_cap_s = 0.1,
        .give_up_hours = 1, .max_permanent_attempts = max_permanent,
    };
    return cb;
}

static void queue_alert(struct fixture *f, const char *id)
{
    json_t *a = json_pack("{s:s, s:i, s:s, s:s, s:s, s:b}", "alert_id", id, "version", 1, "rule", "probe",
                          "severity", "high", "domain_id", "acme", "historical", 0);
    MDB_txn *txn;
    char err[256];
    size_t n = 0;

    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_outbox_enqueue(f->st, txn, "acme", a, f->wh->targets, f->wh->n, &n, err, sizeof err),
                     IDW_OK);
    assert_int_equal(n, 2);     /* one entry per target: the webhook's and the callback's */
    assert_int_equal(idw_store_commit(txn, err, sizeof err), IDW_OK);
    json_decref(a);
}

/* The entry of target for the only alert queued, or NULL (caller json_decref's). */
static int find_target(uint64_t seq, json_t *e, void *ctx)
{
    json_t **want = ctx;
    const char *t = json_string_value(json_object_get(e, "target"));

    (void)seq;
    if (t && !strcmp(t, json_string_value(*want))) {
        json_decref(*want);
        *want = json_incref(e);
        return 1;
    }
    return 0;
}

static json_t *entry_of(struct fixture *f, const char *target)
{
    json_t *found = json_string(target);
    MDB_txn *txn;
    char err[256];

    assert_int_equal(idw_store_begin(f->st, IDW_STORE_RDONLY, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_outbox_each(f->st, txn, find_target, &found, err, sizeof err), IDW_OK);
    mdb_txn_abort(txn);
    if (json_is_string(found)) {
        json_decref(found);
        return NULL;
    }
    return found;
}

static long long attempts_of(struct fixture *f, const char *target)
{
    json_t *e = entry_of(f, target);
    long long n = e ? json_integer_value(json_object_get(e, "attempts")) : -1;

    json_decref(e);
    return n;
}

static size_t pass(struct fixture *f, int ignore_schedule)
{
    struct idw_delivery_stats s = {0};
    int64_t next = 0;
    size_t tried = 0;
    char err[256];

    assert_int_equal(idw_deliver_pending(f->st, f->wh, 64, ignore_schedule, NULL, &next, &s, &tried,
                                         err, sizeof err), IDW_OK);
    return tried;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Fails twice, then succeeds: retried on its own backoff, removed once delivered, never before. */
static void test_callback_retried_until_delivered(void **state)
{
    struct fixture *f = *state;
    struct script s = {.answers = {IDW_BUSY, IDW_BUSY, IDW_OK}};
    struct idw_callback_target cb = probe_target(&s, 3);
    json_t *e;
    char err[256];

    assert_int_equal(idw_webhooks_add_callback(&f->wh, &cb, err, sizeof err), IDW_OK);
    assert_int_equal(f->wh->n, 2);
    queue_alert(f, "a-1");

    assert_int_equal(pass(f, 0), 2);            /* both due at once: both tried, both fail */
    assert_int_equal(s.calls, 1);
    assert_int_equal(attempts_of(f, "probe"), 1);
    assert_int_equal(attempts_of(f, "soar"), 1);
    e = entry_of(f, "probe");
    assert_string_equal(json_string_value(json_object_get(e, "state")), "pending");
    assert_string_equal(json_string_value(json_object_get(e, "last_error")), "probe down (call 1)");
    json_decref(e);

    sleep_ms(120);                              /* past the callback's backoff, not the webhook's (30 s+) */
    assert_int_equal(pass(f, 0), 1);
    assert_int_equal(s.calls, 2);
    assert_int_equal(attempts_of(f, "probe"), 2);
    assert_int_equal(attempts_of(f, "soar"), 1);

    sleep_ms(120);
    assert_int_equal(pass(f, 0), 1);
    assert_int_equal(s.calls, 3);
    assert_string_equal(s.last_id, "a-1");
    assert_int_equal(s.last_version, 1);
    assert_null(entry_of(f, "probe"));          /* delivered: gone */
    assert_int_equal(attempts_of(f, "soar"), 1);  /* the webhook's entry still waits, on its own schedule */

    sleep_ms(120);
    assert_int_equal(pass(f, 0), 0);            /* nothing more for the callback */
    assert_int_equal(s.calls, 3);
}

/* IDW_ERR is a refusal: a dead letter after max_permanent_attempts, not retried for ever. */
static void test_callback_refusal_is_a_dead_letter(void **state)
{
    struct fixture *f = *state;
    struct script s = {.answers = {IDW_ERR, IDW_ERR, IDW_ERR}};
    struct idw_callback_target cb = probe_target(&s, 2);
    json_t *e;
    char err[256];

    assert_int_equal(idw_webhooks_add_callback(&f->wh, &cb, err, sizeof err), IDW_OK);
    queue_alert(f, "a-2");
    assert_int_equal(pass(f, 0), 2);
    sleep_ms(120);
    assert_int_equal(pass(f, 0), 1);
    e = entry_of(f, "probe");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "state")), "dead");
    assert_int_equal(json_integer_value(json_object_get(e, "attempts")), 2);
    json_decref(e);
    sleep_ms(120);
    assert_int_equal(pass(f, 0), 0);
    assert_int_equal(s.calls, 2);
}

/* A name already taken, or a target without a function, is refused and changes nothing. */
static void test_callback_refused_settings(void **state)
{
    struct fixture *f = *state;
    struct script s = {.answers = {IDW_OK}};
    struct idw_callback_target cb = probe_target(&s, 3);
    char err[256];

    idw_strlcpy(cb.target.name, "soar", sizeof cb.target.name);
    assert_int_equal(idw_webhooks_add_callback(&f->wh, &cb, err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "delivery target 'soar': the name is already a webhook's"));
    cb = probe_target(&s, 0);
    assert_int_equal(idw_webhooks_add_callback(&f->wh, &cb, err, sizeof err), IDW_ERR);
    assert_non_null(strstr(err, "max_permanent_attempts"));
    assert_int_equal(f->wh->n, 1);
}

/* A registered target is queued by a sink made without it; once only by a sink made with it. */
static void test_registered_target_queued_by_any_sink(void **state)
{
    struct fixture *f = *state;
    struct idw_outbox_target reg = {.name = "probe", .min_severity = IDW_SEV_LOW, .deliver_historical = 1};
    struct idw_alert_sink none, with;
    json_t *a = json_pack("{s:s, s:i, s:s, s:s, s:s, s:b}", "alert_id", "a-3", "version", 2, "rule", "probe",
                          "severity", "low", "domain_id", "acme", "historical", 1);
    struct idw_outbox_target *got;
    MDB_txn *txn;
    json_t *e;
    char err[256];
    size_t n;

    assert_int_equal(idw_outbox_sink(NULL, 0, &none), IDW_OK);
    assert_int_equal(idw_outbox_sink(&reg, 1, &with), IDW_OK);
    assert_int_equal(idw_store_begin(f->st, 0, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_outbox_register_target(f->st, txn, &reg, err, sizeof err), IDW_OK);
    assert_int_equal(idw_outbox_registered(f->st, txn, &got, &n, err, sizeof err), IDW_OK);
    assert_int_equal(n, 1);
    assert_string_equal(got[0].name, "probe");
    assert_int_equal(got[0].min_severity, IDW_SEV_LOW);
    assert_int_equal(got[0].deliver_historical, 1);
    free(got);
    assert_int_equal(none.fn(f->st, txn, a, none.ctx, err, sizeof err), IDW_OK);
    assert_int_equal(with.fn(f->st, txn, a, with.ctx, err, sizeof err), IDW_OK);
    assert_int_equal(idw_store_commit(txn, err, sizeof err), IDW_OK);
    none.release(none.ctx);
    with.release(with.ctx);
    json_decref(a);
    e = entry_of(f, "probe");
    assert_non_null(e);
    assert_string_equal(json_string_value(json_object_get(e, "alert_id")), "a-3");
    json_decref(e);
    assert_int_equal(attempts_of(f, "soar"), -1);   /* the sinks were made without the webhook */
    /* exactly two entries: one per sink, none twice */
    assert_int_equal(idw_store_begin(f->st, IDW_STORE_RDONLY, &txn, err, sizeof err), IDW_OK);
    assert_int_equal(idw_outbox_get(f->st, txn, 2, &e, err, sizeof err), IDW_OK);
    json_decref(e);
    assert_int_equal(idw_outbox_get(f->st, txn, 3, &e, err, sizeof err), IDW_NOTFOUND);
    mdb_txn_abort(txn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_callback_retried_until_delivered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callback_refusal_is_a_dead_letter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callback_refused_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registered_target_queued_by_any_sink, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
