/*
 * fuzz_status.c — the heartbeat decoder (src/cluster/status.c): the bytes
 * `cluster status` reads from IDW_STATUS, which anyone able to publish on
 * idw.status.* can make anything.
 *
 * Invariants: a refusal has a message starting "heartbeat: " and no
 * document; an accepted heartbeat has 0 <= slot < slots, and encodes
 * again to a text that decodes to an equal document.
 */
#include "fuzz_util.h"

#include "cluster/status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512] = "", *text = NULL;
    json_t *hb = (json_t *)1, *back = NULL;
    size_t len;

    if (idw_status_decode((const char *)data, size, &hb, err, sizeof err) < 0) {
        FUZZ_CHECK(strncmp(err, "heartbeat: ", 11) == 0 && hb == NULL);
        return 0;
    }
    FUZZ_CHECK(json_integer_value(json_object_get(hb, "slot")) >= 0 &&
               json_integer_value(json_object_get(hb, "slot")) < json_integer_value(json_object_get(hb, "slots")));
    FUZZ_CHECK(idw_status_encode(hb, &text, &len, err, sizeof err) == IDW_OK && text);
    FUZZ_CHECK(idw_status_decode(text, len, &back, err, sizeof err) == IDW_OK && json_equal(hb, back));
    free(text);
    json_decref(back);
    json_decref(hb);
    return 0;
}
