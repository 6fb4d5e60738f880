/*
 * fuzz_alert.c — a stored alert document (the alerts table; JSON written
 * by the detection engine, read back by the outbox, the CLI and the
 * delivery worker) through everything that renders or routes it without
 * a network: the OCSF Detection Finding mapping (deliver/ocsf.c), both
 * webhook body formats (idw_webhook_body), and the outbox — queued for
 * targets with different filters, then read back with idw_outbox_each —
 * inside a write transaction that is aborted (fuzz_store.h).
 *
 * The input is parsed as LMDB values are (json_loadb, objects or arrays).
 *
 * Invariants: an OCSF mapping, when there is one (an alert missing
 * fields the mapping requires gets none, and the worker retries it as a
 * formatting failure), is an object with class_uid 2004; the native body
 * of an object alert is always produced; queueing either succeeds or says
 * why; entries read back are objects.
 */
#include "fuzz_store.h"

#include "deliver/webhook.h"

static int touch_entry(uint64_t seq, json_t *entry, void *ctx)
{
    (void)seq;
    (void)ctx;
    FUZZ_CHECK(json_is_object(entry));
    fuzz_touch_json(entry);
    return 0;
}

static void render(const json_t *alert)
{
    struct idw_webhook w;
    json_t *f = idw_ocsf_detection_finding(alert);
    char *body;

    if (f) {
        FUZZ_CHECK(json_is_object(f));
        FUZZ_CHECK(json_integer_value(json_object_get(f, "class_uid")) == 2004);
    }
    fuzz_touch_json(f);
    json_decref(f);
    memset(&w, 0, sizeof w);
    for (int fmt = IDW_WEBHOOK_NATIVE; fmt <= IDW_WEBHOOK_OCSF; fmt++) {
        w.format = (enum idw_webhook_format)fmt;
        body = idw_webhook_body(&w, alert);
        if (json_is_object(alert) && fmt == IDW_WEBHOOK_NATIVE)
            FUZZ_CHECK(body != NULL);
        free(body);
    }
}

static void queue(const json_t *alert)
{
    static const struct idw_outbox_target t[] = {
        {.name = "all", .min_severity = IDW_SEV_LOW, .deliver_historical = 1},
        {.name = "high-live", .min_severity = IDW_SEV_HIGH, .deliver_historical = 0},
    };
    struct fuzz_env *e = fuzz_env();
    MDB_txn *txn;
    char err[512];

    FUZZ_CHECK(idw_store_begin(e->st, 0, &txn, err, sizeof err) == 0);
    err[0] = '\0';
    if (idw_outbox_enqueue(e->st, txn, "fuzz", alert, t, 2, NULL, err, sizeof err) < 0)
        FUZZ_CHECK(err[0] != '\0');      /* e.g. an alert without id or version: refused, said why */
    FUZZ_CHECK(idw_outbox_each(e->st, txn, touch_entry, NULL, err, sizeof err) == 0);
    mdb_txn_abort(txn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *alert = json_loadb((const char *)data, size, 0, NULL);

    if (!alert)
        return 0;
    render(alert);
    if (json_is_object(alert))
        queue(alert);
    json_decref(alert);
    return 0;
}
