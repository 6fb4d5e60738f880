/*
 * util.c — time parsing/formatting, bounded strings and identifier
 * derivation shared by every layer.  Crypto (SHA-256, RNG) is OpenSSL's.
 */
#include "common/util.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

static int parse_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : dm[m - 1];
}

static int parse_zone(const char *p, int64_t *offset_ms)
{
    int hh, mm;
    *offset_ms = 0;
    if (*p == '\0' || *p == 'Z' || *p == 'z')
        return (*p == '\0' || p[1] == '\0') ? 0 : -1;
    if (*p != '+' && *p != '-')
        return -1;
    int sign = *p == '-' ? -1 : 1;
    p++;
    if (parse_digits(&p, 2, &hh) < 0)
        return -1;
    if (*p == ':')
        p++;
    if (parse_digits(&p, 2, &mm) < 0 || *p != '\0' || hh > 23 || mm > 59)
        return -1;
    *offset_ms = sign * ((int64_t)hh * 3600 + mm * 60) * 1000;
    return 0;
}

enum idw_rc idw_time_parse(const char *s, int64_t *out)
{
    int Y, M, D, h, m, sec, ms = 0;
    const char *p = s;
    int64_t off;

    if (!s)
        return IDW_ERR;
    if (parse_digits(&p, 4, &Y) < 0 || *p++ != '-' ||
        parse_digits(&p, 2, &M) < 0 || *p++ != '-' ||
        parse_digits(&p, 2, &D) < 0)
        return IDW_ERR;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return IDW_ERR;
    p++;
    if (parse_digits(&p, 2, &h) < 0 || *p++ != ':' ||
        parse_digits(&p, 2, &m) < 0 || *p++ != ':' ||
        parse_digits(&p, 2, &sec) < 0)
        return IDW_ERR;
    if (*p == '.') {
        int digits = 0;
        p++;
        while (isdigit((unsigned char)*p)) {
            if (digits < 3)
                ms = ms * 10 + (*p - '0');
            digits++;
            p++;
        }
        if (digits == 0)
            return IDW_ERR;
        for (; digits < 3; digits++)
            ms *= 10;
    }
    if (parse_zone(p, &off) < 0)
        return IDW_ERR;
    if (Y < 1970 || M < 1 || M > 12 || D < 1 || D > days_in_month(Y, M) ||
        h > 23 || m > 59 || sec > 60)
        return IDW_ERR;
    int64_t secs = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + sec;
    *out = secs * 1000 + ms - off;
    return IDW_OK;
}

void idw_time_format(int64_t ms, char *out)
{
    time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    int frac = (int)(ms - (int64_t)secs * 1000);
    struct tm tm;
    if (!gmtime_r(&secs, &tm)) {
        idw_strlcpy(out, "1970-01-01T00:00:00.000Z", IDW_TIME_STRLEN);
        return;
    }
    char tmp[96];   /* room for any int the compiler can imagine; real output is 24 chars */
    snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    idw_strlcpy(out, tmp, IDW_TIME_STRLEN);
}

int64_t idw_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

size_t idw_strlcpy(char *dst, const char *src, size_t dstsize)
{
    if (!src)
        src = "";
    size_t n = strlen(src);
    if (dstsize) {
        size_t c = n < dstsize - 1 ? n : dstsize - 1;
        memcpy(dst, src, c);
        dst[c] = '\0';
    }
    return n;
}

void idw_strncpy0(char *dst, size_t dstsize, const char *src, size_t n)
{
    if (!dstsize)
        return;
    if (!src)
        n = 0;
    if (n > dstsize - 1)
        n = dstsize - 1;
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

void idw_lowercpy(char *dst, const char *src, size_t dstsize)
{
    size_t i = 0;
    if (!dstsize)
        return;
    for (; src && src[i] && i < dstsize - 1; i++)
        dst[i] = (char)tolower((unsigned char)src[i]);
    dst[i] = '\0';
}

int idw_str_absent(const char *s)
{
    return !s || !*s || strcmp(s, "null") == 0;
}

static void uuid_format(const unsigned char b[16], char out[IDW_UUID_STRLEN])
{
    static const char hex[] = "0123456789abcdef";
    char *o = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[b[i] >> 4];
        *o++ = hex[b[i] & 15];
    }
    *o = '\0';
}

/*
 * OpenSSL 3 looks an algorithm up (under a lock) on every SHA256() call;
 * fetching it once matters here because identifiers are derived per event.
 */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void idw_uuid_derive(const char *ns, const char *name, char out[IDW_UUID_STRLEN])
{
    unsigned char md[SHA256_DIGEST_LENGTH], buf[512];
    size_t nl = strlen(ns), ml = strlen(name);

    pthread_once(&sha256_once, fetch_sha256);
    /* one-shot SHA-256 over ns || 0x00 || name */
    if (nl + 1 + ml <= sizeof buf && sha256_md) {
        memcpy(buf, ns, nl);
        buf[nl] = 0;
        memcpy(buf + nl + 1, name, ml);
        if (EVP_Digest(buf, nl + 1 + ml, md, NULL, sha256_md, NULL) != 1)
            memset(md, 0, sizeof md);  /* unreachable with a working OpenSSL */
    } else {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        unsigned int mdlen = 0;
        const unsigned char zero = 0;
        if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
            EVP_DigestUpdate(ctx, ns, nl) != 1 || EVP_DigestUpdate(ctx, &zero, 1) != 1 ||
            EVP_DigestUpdate(ctx, name, ml) != 1 || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
            memset(md, 0, sizeof md);  /* unreachable with a working OpenSSL */
        EVP_MD_CTX_free(ctx);
    }
    md[6] = (unsigned char)((md[6] & 0x0f) | 0x80);  /* version 8 */
    md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);  /* RFC 9562 variant */
    uuid_format(md, out);
}

enum idw_rc idw_uuid_random(char out[IDW_UUID_STRLEN])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return IDW_ERR;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    uuid_format(b, out);
    return IDW_OK;
}

static void hex_prefix(const unsigned char *md, size_t mdlen, size_t nbytes, char *out)
{
    static const char hex[] = "0123456789abcdef";
    if (nbytes > mdlen)
        nbytes = mdlen;
    for (size_t i = 0; i < nbytes; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[2 * nbytes] = '\0';
}

void idw_sha256_hex(const void *data, size_t len, size_t nbytes, char *out)
{
    unsigned char md[SHA256_DIGEST_LENGTH];
    SHA256(data, len, md);
    hex_prefix(md, sizeof md, nbytes, out);
}

void idw_hmac_sha256_hex(const unsigned char *key, size_t keylen, const void *data,
                         size_t len, size_t nbytes, char *out)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!HMAC(EVP_sha256(), key, (int)keylen, data, len, md, &mdlen))
        memset(md, 0, mdlen = SHA256_DIGEST_LENGTH);   /* unreachable with a working OpenSSL */
    hex_prefix(md, mdlen, nbytes, out);
}

uint64_t idw_hash64(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* ---- secrets ------------------------------------------------------------ */

/* Opens path for reading without following a symlink or blocking on a FIFO; fd or -1 with err. */
static int secret_open(const char *path, const char *what, struct stat *sb, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

    if (fd < 0) {
        if (errno == ELOOP)
            snprintf(err, errlen, "%s: %s is a symbolic link; secret files are opened without "
                     "following links: name the file itself", what, path);
        else
            snprintf(err, errlen, "%s: %s: %s", what, path, strerror(errno));
        return -1;
    }
    /* fstat what was opened: no check-then-use race */
    if (fstat(fd, sb) != 0) {
        snprintf(err, errlen, "%s: %s: %s", what, path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(sb->st_mode) || (sb->st_mode & 077)) {
        snprintf(err, errlen, S_ISREG(sb->st_mode)
                 ? "%s: %s is readable by group or others (mode %03o); chmod 600 it"
                 : "%s: %s is not a regular file (a directory, FIFO, socket or device; mode %03o)",
                 what, path, (unsigned)(sb->st_mode & 0777));
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads fd to its end into buf (cap bytes); the byte count, or -1 on a read error. */
static ssize_t read_all(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    ssize_t n;

    while (got < cap) {
        n = read(fd, buf + got, cap - got);
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)n;
    }
    return (ssize_t)got;
}

char *idw_secret_file_read(const char *path, const char *what, size_t maxlen, size_t *len,
                           char *err, size_t errlen)
{
    struct stat sb;
    char *buf;
    ssize_t n;
    int fd = secret_open(path, what, &sb, err, errlen);

    if (fd < 0)
        return NULL;
    if ((size_t)sb.st_size > maxlen) {
        close(fd);
        snprintf(err, errlen, "%s: %s is larger than %zu bytes", what, path, maxlen);
        return NULL;
    }
    buf = malloc(maxlen + 2);
    if (!buf) {
        close(fd);
        snprintf(err, errlen, "%s: out of memory", what);
        return NULL;
    }
    /* one byte beyond the limit tells a file that grew since fstat */
    n = read_all(fd, buf, maxlen + 1);
    if (n < 0 || (size_t)n > maxlen) {
        if (n < 0)
            snprintf(err, errlen, "%s: %s: %s", what, path, strerror(errno));
        else
            snprintf(err, errlen, "%s: %s is larger than %zu bytes", what, path, maxlen);
        close(fd);
        idw_secret_buf_free(buf, maxlen + 1);
        return NULL;
    }
    close(fd);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

void idw_secret_buf_free(char *buf, size_t len)
{
    if (!buf)
        return;
    OPENSSL_cleanse(buf, len);
    free(buf);
}

/* The file's first line (without CR/LF). */
static char *secret_from_file(const char *path, const char *what, char *err, size_t errlen)
{
    size_t len = 0;
    char *buf = idw_secret_file_read(path, what, IDW_SECRET_FILE_MAX, &len, err, errlen);
    char *secret;

    if (!buf)
        return NULL;
    buf[strcspn(buf, "\r\n")] = '\0';
    secret = buf[0] ? strdup(buf) : NULL;
    if (!secret)
        snprintf(err, errlen, "%s: %s is empty", what, path);
    idw_secret_buf_free(buf, len);
    return secret;
}

char *idw_secret_load(const char *file, const char *env, const char *what, char *err, size_t errlen)
{
    const char *v;
    char *secret;

    if (!file == !env) {
        snprintf(err, errlen, "%s: set exactly one of the _file or _env settings", what);
        return NULL;
    }
    if (file)
        return secret_from_file(file, what, err, errlen);
    v = getenv(env);
    if (!v || !*v) {
        snprintf(err, errlen, "%s: environment variable %s is not set", what, env);
        return NULL;
    }
    secret = strdup(v);
    if (!secret)
        snprintf(err, errlen, "%s: out of memory", what);
    return secret;
}

void idw_secret_free(char *secret)
{
    if (!secret)
        return;
    OPENSSL_cleanse(secret, strlen(secret));
    free(secret);
}

void idw_strappendf(char *buf, size_t cap, const char *fmt, ...)
{
    size_t n = strnlen(buf, cap);
    va_list ap;

    if (n + 1 >= cap)
        return;
    va_start(ap, fmt);
    vsnprintf(buf + n, cap - n, fmt, ap);
    va_end(ap);
}

enum idw_rc idw_parse_time_arg(const char *s, int64_t now_ms, int64_t *out)
{
    static const struct {
        char unit;
        int64_t ms;
    } units[] = {
        {'s', 1000}, {'m', IDW_MIN_MS}, {'h', IDW_HOUR_MS}, {'d', IDW_DAY_MS}, {'w', 7 * IDW_DAY_MS},
    };
    size_t digits = s ? strspn(s, "0123456789") : 0;
    int64_t n = 0;

    if (!s)
        return IDW_ERR;
    if (digits == 0 || digits > 9 || strlen(s) != digits + 1)
        return idw_time_parse(s, out);      /* not "<number><unit>": a timestamp or nothing */
    for (size_t i = 0; i < digits; i++)
        n = n * 10 + (s[i] - '0');
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (s[digits] == units[i].unit && n > 0) {
            *out = now_ms - n * units[i].ms;
            return IDW_OK;
        }
    return IDW_ERR;
}
