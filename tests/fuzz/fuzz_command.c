/*
 * fuzz_command.c — the command messages of a partition's stream
 * (src/cluster/command.c): what an applier reads from NATS, which anyone
 * able to publish on the partition's subject can make anything.
 *
 * The input is parsed as JSON (not JSON: nothing to check), then checked
 * (idw_command_check) and applied (idw_command_apply) in a write
 * transaction of the shared fuzz store (fuzz_store.h) that is aborted, so
 * every input starts from the same empty database.
 *
 * Invariants: a refusal has a one-line message starting "command: ", and
 * applying that message skips it with the same reason; an accepted command
 * has the Msg-Id "cmd:" + its 32-hex id, re-encodes to an equal command
 * that checks again, is rebuilt equal by idw_command_build from its own
 * fields, and applies without a storage failure (applied, or skipped with
 * a one-line reason).
 */
#include "fuzz_util.h"

#include "cluster/command.h"
#include "fuzz_store.h"

static const char *str(const json_t *m, const char *key)
{
    return json_string_value(json_object_get(m, key));
}

/* The builder, from the accepted command's own fields, gives the same object. */
static void check_rebuild(const json_t *m)
{
    struct idw_command_review rv = {.alert_id = str(m, "alert_id"), .status = str(m, "status"),
                                    .assignee = str(m, "assignee"), .note = str(m, "note")};
    int review = !strcmp(str(m, "command"), "review");
    char err[512];
    json_t *b = NULL;
    int64_t at = json_integer_value(json_object_get(m, "at"));

    FUZZ_CHECK(idw_command_build(str(m, "org"), str(m, "command"), at, str(m, "by"), str(m, "id"),
                                 review ? &rv : NULL, str(m, "reason"), &b, err, sizeof err) == IDW_OK);
    FUZZ_CHECK(json_equal(b, m));
    json_decref(b);
}

static void check_apply(const json_t *m, const char *refusal)
{
    struct fuzz_env *e = fuzz_env();
    char why[512] = "", err[512] = "";
    int applied = -1;
    MDB_txn *txn;

    FUZZ_CHECK(idw_store_begin(e->st, 0, &txn, err, sizeof err) == IDW_OK);
    FUZZ_CHECK(idw_command_apply(e->st, txn, &e->cfg, m, &applied, why, sizeof why, err, sizeof err) ==
               IDW_OK);
    mdb_txn_abort(txn);
    FUZZ_CHECK(applied == 0 || applied == 1);
    FUZZ_CHECK(applied || (why[0] && !strchr(why, '\n')));
    if (refusal)
        FUZZ_CHECK(!applied && strcmp(why, refusal) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *m = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL), *back;
    char err[512] = "", id[IDW_COMMAND_MSGID_MAX], *s;

    if (!m)
        return 0;
    if (idw_command_check(m, err, sizeof err) != IDW_OK) {
        FUZZ_CHECK(strncmp(err, "command: ", 9) == 0 && !strchr(err, '\n'));
        check_apply(m, err);
        json_decref(m);
        return 0;
    }
    FUZZ_CHECK(idw_command_msg_id(m, id) == IDW_OK);
    FUZZ_CHECK(strncmp(id, "cmd:", 4) == 0 && strcmp(id + 4, str(m, "id")) == 0 && strlen(id) == 36);
    s = json_dumps(m, JSON_COMPACT);
    FUZZ_CHECK(s != NULL);
    back = json_loads(s, 0, NULL);
    FUZZ_CHECK(back && json_equal(back, m) && idw_command_check(back, err, sizeof err) == IDW_OK);
    free(s);
    json_decref(back);
    check_rebuild(m);
    check_apply(m, NULL);
    json_decref(m);
    return 0;
}
