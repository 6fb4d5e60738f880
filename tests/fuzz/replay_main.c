/*
 * replay_main.c — runs a libFuzzer harness without libFuzzer: each file
 * named on the command line is read and passed to LLVMFuzzerTestOneInput
 * once.  Linked with one tests/fuzz/fuzz_<name>.c into
 * $(BUILD)/tests/replay_fuzz_<name> by `make fuzz-regress`, so the crash
 * inputs kept under tests/fuzz/regressions/ are replayed by `make check`
 * (and under ASan + UBSan by `make sanitize`).  A harness that crashes or
 * aborts on an input makes this process die, which regress.sh reports.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_util.h"

static int replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;

    if (!f) {
        perror(path);
        return -1;
    }
    do {
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap = cap ? cap * 2 : 4096);
            if (!nb) {
                free(buf);
                fclose(f);
                return -1;
            }
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    fclose(f);
    /* a copy of exactly len bytes, so ASan sees reads past the input's end */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    return 0;
}

int main(int argc, char **argv)
{
    int rc = 0;
    for (int i = 1; i < argc; i++)
        if (replay_file(argv[i]) < 0)
            rc = 1;
    return rc;
}
