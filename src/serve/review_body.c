/*
 * review_body.c — parsing and validating the body of a review request
 * (serve_int.h: idw_review_body_parse).  Everything a client sends is
 * checked here, before any transaction is opened.
 */
#include <stdio.h>
#include <string.h>

#include "serve/serve_int.h"

#define NOTE_MAX 2000
#define ID_CHARS "0123456789abcdefABCDEFghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ-"

static int parse_status(const char *s, enum idw_alert_status *to)
{
    static const enum idw_alert_status settable[] = {IDW_ALERT_ACKNOWLEDGED, IDW_ALERT_RESOLVED,
                                                     IDW_ALERT_FALSE_POSITIVE};
    for (size_t i = 0; i < sizeof settable / sizeof settable[0]; i++)
        if (!strcmp(s, idw_alert_status_name(settable[i]))) {
            *to = settable[i];
            return 0;
        }
    return -1;
}

static int check_ids(const json_t *ids, char *err, size_t errlen)
{
    size_t i;
    const json_t *v;

    if (!json_is_array(ids) || json_array_size(ids) == 0 || json_array_size(ids) > IDW_REVIEW_IDS_MAX) {
        snprintf(err, errlen, "ids: expected an array of 1 to %d alert ids", IDW_REVIEW_IDS_MAX);
        return -1;
    }
    json_array_foreach(ids, i, v) {
        const char *id = json_string_value(v);
        if (!id || strlen(id) < 8 || strlen(id) > 64 || strspn(id, ID_CHARS) != strlen(id)) {
            snprintf(err, errlen, "ids[%zu]: expected an alert id or prefix (8 to 64 of 0-9 a-z A-Z -)", i);
            return -1;
        }
    }
    return 0;
}

/* The start of a client's string for an error message: control characters as '?', so it stays one line. */
static void printable(char *dst, size_t cap, const char *s)
{
    size_t i = 0;

    for (; s[i] && i + 1 < cap; i++)
        dst[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    dst[i] = '\0';
}

/* One field of the body; -1 with err when it is not acceptable. */
static int take_field(struct idw_review_body *b, int bulk, const char *key, const json_t *v,
                      char *err, size_t errlen)
{
    const char *s = json_string_value(v);

    if (!strcmp(key, "ids") && bulk) {
        b->ids = v;
        return check_ids(v, err, errlen);
    }
    if (!strcmp(key, "status")) {
        if (!s || parse_status(s, &b->to) < 0) {
            snprintf(err, errlen, "status: expected \"acknowledged\", \"resolved\" or \"false_positive\"");
            return -1;
        }
        return 0;
    }
    if (!strcmp(key, "assignee")) {
        if (json_is_null(v))
            s = "";     /* null unassigns, like "" */
        if (!s || (*s && !idw_principal_name_valid(s))) {
            snprintf(err, errlen, "assignee: expected a name of 1-63 characters of A-Z a-z 0-9 . _ @ -, "
                                  "or \"\" / null to unassign");
            return -1;
        }
        b->assignee = s;
        return 0;
    }
    if (!strcmp(key, "note")) {
        if (!s || strlen(s) > NOTE_MAX) {
            snprintf(err, errlen, "note: expected a string of at most %d bytes", NOTE_MAX);
            return -1;
        }
        b->note = s;
        return 0;
    }
    char shown[65];
    printable(shown, sizeof shown, key);
    snprintf(err, errlen, "unknown field \"%s\" (expected %sstatus, assignee, note)", shown,
             bulk ? "ids, " : "");
    return -1;
}

enum idw_rc idw_review_body_parse(const char *body, size_t len, int bulk, struct idw_review_body *out,
                                  char *err, size_t errlen)
{
    json_error_t je;
    const char *key;
    json_t *v;

    memset(out, 0, sizeof *out);
    if (!body || len == 0) {
        snprintf(err, errlen, "the request needs a JSON body");
        return IDW_ERR;
    }
    out->doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!out->doc) {
        char text[sizeof je.text];
        printable(text, sizeof text, je.text);     /* jansson quotes the bad token: it may hold a newline */
        snprintf(err, errlen, "body: invalid JSON at line %d, column %d: %s", je.line, je.column, text);
        return IDW_ERR;
    }
    if (!json_is_object(out->doc)) {
        snprintf(err, errlen, "body: expected a JSON object");
        goto fail;
    }
    json_object_foreach(out->doc, key, v)
        if (take_field(out, bulk, key, v, err, errlen) < 0)
            goto fail;
    if (bulk && !out->ids) {
        snprintf(err, errlen, "ids: required (the alerts to review)");
        goto fail;
    }
    if (out->to == IDW_ALERT_OPEN && !out->assignee && !out->note) {
        snprintf(err, errlen, "a review needs at least one of status, assignee, note");
        goto fail;
    }
    return IDW_OK;
fail:
    idw_review_body_free(out);
    return IDW_ERR;
}

void idw_review_body_free(struct idw_review_body *b)
{
    json_decref(b->doc);
    memset(b, 0, sizeof *b);
}
