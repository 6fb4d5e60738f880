/*
 * fuzz_replay.c — the replay reader (src/source/replay.h) on arbitrary
 * bytes: a file or pipe handed to `idwatch ingest --file`.
 *
 * The input is read through the public API only (idw_reader_new over an
 * fmemopen'd buffer, idw_reader_next until EOF or FATAL), twice: with the
 * default event cap and with a 512-byte cap, so the oversized-element
 * path is reached by small inputs too.  Whatever framing replay.c grows
 * (gzip, concatenated arrays), this harness keeps driving it.
 *
 * Invariants: every event is a JSON object; BAD/FATAL come with a
 * non-empty reason; line numbers are positive and do not go backwards;
 * indexes increase; the reported offset never passes the input's size;
 * the reader always moves on: every result consumes input, except a
 * report that is not about an element (a missing ',' before the next
 * element, an array left open in JSON Lines), and the result after such a
 * report consumes input; a stray byte ("unexpected 'X'") is reported once,
 * at its own offset.
 */
#include "fuzz_util.h"

#include "source/replay.h"

/*
 * "line L, byte B: unexpected 'X' ...": byte B of the input is X.  Plain
 * input only: gzip offsets count decompressed bytes.
 */
static void check_stray(const uint8_t *data, size_t size, const char *err)
{
    const char *p = strstr(err, "byte ");
    unsigned long long at;
    char c;

    if (!p || strstr(err, "decompressed") || sscanf(p, "byte %llu: unexpected '%c'", &at, &c) != 2)
        return;
    FUZZ_CHECK(at < size && data[at] == (uint8_t)c);
}

static void read_all(const uint8_t *data, size_t size, size_t cap)
{
    FILE *f = fmemopen((void *)data, size, "r");
    struct idw_reader *r;
    char err[512];
    long line = 0, index = 0, last_line = 0, last_index = -1;
    json_t *ev;
    enum idw_read_status s;
    unsigned long long last_offset = 0;
    int stalled = 0;        /* the previous result consumed nothing */

    if (!f)
        return;
    r = idw_reader_new(f, cap);
    FUZZ_CHECK(r != NULL);
    while ((s = idw_reader_next(r, &ev, &line, &index, err, sizeof err)) != IDW_READ_EOF) {
        /* the reader always moves on; only a report between elements may stand still, once */
        if (s != IDW_READ_FATAL && idw_reader_offset(r) == last_offset) {
            FUZZ_CHECK(!stalled && s == IDW_READ_BAD && index == -1);
            stalled = 1;
        } else {
            stalled = 0;
        }
        last_offset = idw_reader_offset(r);
        FUZZ_CHECK(line >= 1 && line >= last_line);
        last_line = line;
        if (s == IDW_READ_EVENT) {
            FUZZ_CHECK(json_is_object(ev));
            FUZZ_CHECK(index > last_index);
            last_index = index;
            fuzz_touch_json(ev);
            json_decref(ev);
            continue;
        }
        FUZZ_CHECK(s == IDW_READ_BAD || s == IDW_READ_FATAL);
        FUZZ_CHECK(err[0] != '\0' && memchr(err, '\0', sizeof err) != NULL);
        check_stray(data, size, err);
        if (s == IDW_READ_FATAL)
            break;
    }
    FUZZ_CHECK(idw_reader_offset(r) <= size);
    idw_reader_free(r);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;       /* fmemopen needs a buffer; an empty file is covered by the unit tests */
    read_all(data, size, 0);
    read_all(data, size, 512);
    return 0;
}
