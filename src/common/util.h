/*
 * util.h — small helpers every layer uses: event-time parsing and printing,
 * bounded string copies, hashing to stable identifiers.
 *
 * Times inside idwatch are int64 milliseconds since the Unix epoch (UTC),
 * always taken from the event ("published"), never from the wall clock,
 * except where a function says so.
 */
#ifndef IDW_UTIL_H
#define IDW_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "common/rc.h"

#define IDW_TIME_STRLEN 32      /* "2026-03-15T14:32:18.000Z" + NUL, with room */
#define IDW_UUID_STRLEN 37      /* 36 chars + NUL */

/* Event-time units, in the milliseconds every time inside idwatch is kept in. */
#define IDW_MIN_MS 60000LL
#define IDW_HOUR_MS 3600000LL
#define IDW_DAY_MS 86400000LL

/*
 * Parses an RFC 3339 timestamp into epoch milliseconds.  Accepts
 * "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)" and, because exported data lakes
 * write it that way, a space instead of 'T' and no zone (UTC implied).
 * Fractions beyond milliseconds are truncated.  IDW_OK on success,
 * IDW_ERR when the text is not such a timestamp or is out of range (year
 * 1970..9999); *out is then untouched.
 */
enum idw_rc idw_time_parse(const char *s, int64_t *out) IDW_MUST_CHECK;

/*
 * A time an analyst types: RFC 3339 (as idw_time_parse), or a span back
 * from now_ms — a positive integer and a unit, "30m", "24h", "7d" (also
 * "s" and "w").  IDW_OK with *out, IDW_ERR for anything else (*out untouched).
 */
enum idw_rc idw_parse_time_arg(const char *s, int64_t now_ms, int64_t *out) IDW_MUST_CHECK;

/* Formats epoch ms as "YYYY-MM-DDTHH:MM:SS.mmmZ".  out must hold IDW_TIME_STRLEN. */
void idw_time_format(int64_t ms, char *out);

/* Current wall-clock time in epoch ms (only for bookkeeping, never for windows). */
int64_t idw_now_ms(void);

/*
 * Copies at most dstsize-1 bytes of src (which may be NULL → "") and always
 * NUL-terminates.  Returns strlen(src) so callers can detect truncation.
 */
size_t idw_strlcpy(char *dst, const char *src, size_t dstsize);

/* Like idw_strlcpy but copies exactly n source bytes at most (src need not be NUL-terminated). */
void idw_strncpy0(char *dst, size_t dstsize, const char *src, size_t n);

/* ASCII lower-casing copy, bounded like idw_strlcpy. */
void idw_lowercpy(char *dst, const char *src, size_t dstsize);

/* True when s is NULL, empty, or the literal "null" Okta uses in some string fields. */
int idw_str_absent(const char *s);

/*
 * Derives a stable RFC 9562 version-8 UUID from a namespace label and a
 * name: the first 16 bytes of SHA-256(ns || 0x00 || name) with the version
 * and variant bits set.  The same inputs always give the same UUID.
 */
void idw_uuid_derive(const char *ns, const char *name, char out[IDW_UUID_STRLEN]);

/* A random version-4 UUID from OpenSSL's CSPRNG. IDW_OK, or IDW_ERR if the RNG failed. */
enum idw_rc idw_uuid_random(char out[IDW_UUID_STRLEN]) IDW_MUST_CHECK;

/* Hex of the first nbytes of SHA-256(data); out must hold 2*nbytes+1. */
void idw_sha256_hex(const void *data, size_t len, size_t nbytes, char *out);

/* Hex of the first nbytes of HMAC-SHA256(key, data); out must hold 2*nbytes+1. */
void idw_hmac_sha256_hex(const unsigned char *key, size_t keylen, const void *data,
                         size_t len, size_t nbytes, char *out);

/*
 * Reads a whole secret file (private key, token, webhook key) the one safe
 * way every secret reader shares: open with O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC
 * (a symbolic link is refused, a FIFO cannot hang the caller), fstat the
 * descriptor that was opened (no check-then-use race), require a regular
 * file that group and others cannot access (mode & 077 == 0) and at most
 * maxlen bytes.  what names the setting in messages ("auth.private_key_file");
 * the content never appears in err.  Returns a malloc'd buffer, NUL-terminated
 * after its *len bytes, or NULL with err set.  Release with
 * idw_secret_buf_free(buf, *len), which wipes it.
 */
#define IDW_SECRET_FILE_MAX 65536
char *idw_secret_file_read(const char *path, const char *what, size_t maxlen, size_t *len,
                           char *err, size_t errlen) IDW_MUST_CHECK;
void idw_secret_buf_free(char *buf, size_t len);

/*
 * A secret (token, webhook key) from exactly one of a file — its first
 * line, read with idw_secret_file_read — or an environment
 * variable.  what names the setting in messages ("auth.token"); the secret
 * itself never appears in err.  Returns a malloc'd string, or NULL with
 * err set.  Release with idw_secret_free, which wipes it.
 */
char *idw_secret_load(const char *file, const char *env, const char *what, char *err, size_t errlen)
    IDW_MUST_CHECK;
void idw_secret_free(char *secret);

/* Appends printf-style text to the NUL-terminated buf of capacity cap (truncates, never overflows). */
void idw_strappendf(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* 64-bit FNV-1a of a NUL-terminated string: cheap hashing for in-memory tables. */
uint64_t idw_hash64(const char *s);

#endif
