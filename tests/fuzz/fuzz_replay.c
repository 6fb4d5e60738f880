/*
 * fuzz_replay.c — the replay reader (src/ingest/replay.h) on arbitrary
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
 * the reader stops (at most two results per input byte).
 */
#include "fuzz_util.h"

#include "ingest/replay.h"

static void read_all(const uint8_t *data, size_t size, size_t cap)
{
    FILE *f = fmemopen((void *)data, size, "r");
    struct idw_reader *r;
    char err[512];
    long line = 0, index = 0, last_line = 0, last_index = -1;
    json_t *ev;
    enum idw_read_status s;
    size_t calls = 0;

    if (!f)
        return;
    r = idw_reader_new(f, cap);
    FUZZ_CHECK(r != NULL);
    while ((s = idw_reader_next(r, &ev, &line, &index, err, sizeof err)) != IDW_READ_EOF) {
        /*
         * The reader always moves on: at most two reports per input byte (a
         * stray byte between array elements is reported as a missing ','
         * and then as an empty element; see the fuzzing notes in
         * docs/reliability.md).
         */
        FUZZ_CHECK(++calls <= 2 * size + 2);
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
