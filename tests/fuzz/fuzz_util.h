/*
 * fuzz_util.h — small helpers shared by the libFuzzer harnesses in
 * tests/fuzz/fuzz_*.c (see tests/fuzz/README.md).
 *
 * Every harness defines LLVMFuzzerTestOneInput and is built twice: with
 * clang and -fsanitize=fuzzer (build/fuzz/fuzz_<name>, `make fuzz`), and
 * with the ordinary compiler plus replay_main.c, which feeds it the files
 * under tests/fuzz/regressions/<name>/ (`make fuzz-regress`, part of
 * `make check` and `make sanitize`).
 *
 * A harness must stay deterministic (same input, same path) and leave no
 * state behind between inputs; FUZZ_CHECK turns a broken invariant into an
 * abort(), which both drivers report as a failure.
 */
#ifndef IDW_FUZZ_UTIL_H
#define IDW_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#ifndef IDW_SRCDIR
#define IDW_SRCDIR "."
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant the code under test promises; a violation is a finding. */
#define FUZZ_CHECK(cond)                                                           \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                               \
        }                                                                          \
    } while (0)

/* A NUL-terminated copy of the input (for APIs that take C strings); free() it. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

/* Serializes j and drops the text: makes every string and number of j be read. */
static inline void fuzz_touch_json(const json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    free(s);
}

/* A path under the source tree (harness data such as rules/ or tests/fuzz/). */
static inline void fuzz_src_path(char *out, size_t outlen, const char *rel)
{
    snprintf(out, outlen, "%s/%s", IDW_SRCDIR, rel);
}

#endif
