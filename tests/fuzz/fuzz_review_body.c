/*
 * fuzz_review_body.c — the body of an API review request
 * (idw_review_body_parse, src/serve/review_body.c): what a SOAR or the
 * console POSTs to /api/v1/alerts/{id}/review and /api/v1/alerts/review.
 *
 * Byte 0's low bit picks the bulk form; the rest is the body.
 *
 * Invariants: a refusal has a one-line message and holds nothing; an
 * accepted body sets at least one of status, assignee, note; a status is
 * one an analyst may set; an assignee is "" or a valid name; a note is at
 * most 2000 bytes; a bulk body has 1..500 string ids and a single one none.
 */
#include "fuzz_util.h"

#include "serve/serve_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct idw_review_body b;
    char err[512] = "";
    int bulk;

    if (size < 1)
        return 0;
    bulk = data[0] & 1;
    if (idw_review_body_parse((const char *)data + 1, size - 1, bulk, &b, err, sizeof err) != IDW_OK) {
        FUZZ_CHECK(err[0] != '\0' && !strchr(err, '\n'));
        FUZZ_CHECK(b.doc == NULL && b.ids == NULL);
        return 0;
    }
    FUZZ_CHECK(b.to != IDW_ALERT_OPEN || b.assignee || b.note);
    FUZZ_CHECK(b.to == IDW_ALERT_OPEN || b.to == IDW_ALERT_ACKNOWLEDGED || b.to == IDW_ALERT_RESOLVED ||
               b.to == IDW_ALERT_FALSE_POSITIVE);
    FUZZ_CHECK(!b.assignee || !*b.assignee || idw_principal_name_valid(b.assignee));
    FUZZ_CHECK(!b.note || strlen(b.note) <= 2000);
    if (bulk) {
        size_t n = json_array_size(b.ids);
        FUZZ_CHECK(n >= 1 && n <= IDW_REVIEW_IDS_MAX);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(json_is_string(json_array_get(b.ids, i)));
    } else {
        FUZZ_CHECK(b.ids == NULL);
    }
    idw_review_body_free(&b);
    return 0;
}
