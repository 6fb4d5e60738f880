/*
 * rulepack.c — a rule configuration as a log message (rulepack.h): read
 * from a rules directory, fingerprinted, deflated into the message, and
 * checked and written back out by the applier, which opens its engine
 * from the directory it wrote (engine/detect.h).
 */
#include "cluster/rulepack.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "common/log.h"
#include "common/util.h"
#include "sigma/sigma.h"

#define PATH_DEPTH_MAX 8

/* The file's content (malloc'd, NUL-terminated) into *out, at most max bytes. */
static enum idw_rc read_file(const char *path, size_t max, char **out, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;

    *out = NULL;
    if (!f) {
        snprintf(err, errlen, "rules: %s: %s", path, strerror(errno));
        return IDW_ERR;
    }
    int oom = 0;
    for (;;) {
        size_t got;
        if (n + 4096 + 1 > cap) {
            char *grown = realloc(buf, cap ? 2 * cap : 16384);
            if (!grown) {       /* never a truncated file taken for the whole */
                oom = 1;
                break;
            }
            buf = grown;
            cap = cap ? 2 * cap : 16384;
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0 || n > max)
            break;
    }
    if (oom || !buf || ferror(f) || n > max || n + 1 > cap) {
        snprintf(err, errlen, "rules: %s: %s", path, oom || !buf ? "out of memory" : n > max ? "too large"
                 : "read failed");
        fclose(f);
        free(buf);
        return IDW_ERR;
    }
    fclose(f);
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return IDW_OK;
}

/* Writes len bytes to a new file path (mode 0600), synced. */
static enum idw_rc write_file(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "wbx");
    int ok = f && fwrite(data, 1, len, f) == len && fflush(f) == 0 && fsync(fileno(f)) == 0;

    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok) {
        snprintf(err, errlen, "rules: %s: cannot write: %s", path, strerror(errno));
        return IDW_ERR;
    }
    return IDW_OK;
}

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

struct reader {
    const char *root;
    size_t rootlen;
    json_t *files;
    char *err;
    size_t errlen;
};

/* 1 when path is one the applier may write under its directory (rulepack.h). */
static int safe_path(const char *path)
{
    size_t depth = 0, len = strlen(path);
    const char *p = path, *dot;

    if (!len || len > 1024)
        return 0;
    while (*p) {
        size_t n = strcspn(p, "/");
        if (!n || p[0] == '.' || ++depth > PATH_DEPTH_MAX)
            return 0;
        for (size_t i = 0; i < n; i++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", p[i]))
                return 0;
        p += n;
        if (*p == '/' && !*++p)
            return 0;
    }
    dot = strrchr(path, '.');
    if (!dot)
        return 0;
    if (depth == 1 && strcmp(dot, ".json") == 0)
        return 1;
    return strcmp(dot, ".yml") == 0 || strcmp(dot, ".yaml") == 0;
}

static enum idw_rc add_file(struct reader *r, const char *full, const char *rel)
{
    char *text = NULL;
    size_t len = 0;
    json_t *t;

    if (!safe_path(rel)) {
        snprintf(r->err, r->errlen, "rules: %s: a name the log cannot carry (letters, digits, '.', '_', "
                 "'-'; not starting with '.')", full);
        return IDW_ERR;
    }
    if (read_file(full, IDW_RULEPACK_SIZE_MAX, &text, &len, r->err, r->errlen) < 0)
        return IDW_ERR;
    t = json_stringn(text, len);
    free(text);
    if (!t) {
        snprintf(r->err, r->errlen, "rules: %s: not UTF-8 text (or out of memory)", full);
        return IDW_ERR;
    }
    if (json_array_append_new(r->files, json_pack("{s:s, s:o}", "path", rel, "text", t)) < 0) {
        snprintf(r->err, r->errlen, "rules: out of memory");
        return IDW_ERR;
    }
    return IDW_OK;
}

static enum idw_rc add_sigma(const char *path, void *arg)
{
    struct reader *r = arg;

    return add_file(r, path, path + r->rootlen + 1);
}

static int by_path(const void *a, const void *b)
{
    const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;

    return strcmp(json_string_value(json_object_get(x, "path")),
                  json_string_value(json_object_get(y, "path")));
}

static enum idw_rc add_settings(struct reader *r)
{
    DIR *d = opendir(r->root);
    struct dirent *de;
    enum idw_rc rc = IDW_OK;

    if (!d) {
        snprintf(r->err, r->errlen, "rules: %s: %s", r->root, strerror(errno));
        return IDW_ERR;
    }
    while (rc == IDW_OK) {
        char full[4096];
        struct stat sb;
        size_t n;
        de = readdir(d);
        if (!de)
            break;
        n = strlen(de->d_name);
        if (de->d_name[0] == '.' || n < 6 || strcmp(de->d_name + n - 5, ".json") != 0)
            continue;
        if (snprintf(full, sizeof full, "%s/%s", r->root, de->d_name) >= (int)sizeof full) {
            snprintf(r->err, r->errlen, "rules: %s: path too long", r->root);
            rc = IDW_ERR;
        } else if (stat(full, &sb) == 0 && S_ISREG(sb.st_mode))
            rc = add_file(r, full, de->d_name);
    }
    closedir(d);
    return rc;
}

/* Sorts the list by path (readdir's order is the file system's). */
static enum idw_rc sort_files(json_t *files, char *err, size_t errlen)
{
    size_t n = json_array_size(files);
    json_t **v = calloc(n ? n : 1, sizeof *v), *sorted = json_array();

    if (!v || !sorted) {
        free(v);
        json_decref(sorted);
        snprintf(err, errlen, "rules: out of memory");
        return IDW_ERR;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = json_array_get(files, i);
    qsort(v, n, sizeof *v, by_path);
    for (size_t i = 0; i < n; i++)
        json_array_append(sorted, v[i]);
    free(v);
    json_array_clear(files);
    json_array_extend(files, sorted);
    json_decref(sorted);
    return json_array_size(files) == n ? IDW_OK : IDW_ERR;
}

enum idw_rc idw_rulepack_read_dir(const char *dir, json_t **files, char *err, size_t errlen)
{
    struct reader r = {.root = dir, .rootlen = dir ? strlen(dir) : 0, .files = json_array(), .err = err,
                       .errlen = errlen};
    struct stat sb;
    enum idw_rc rc = IDW_OK;

    *files = NULL;
    if (!r.files) {
        snprintf(err, errlen, "rules: out of memory");
        return IDW_ERR;
    }
    while (r.rootlen > 1 && dir[r.rootlen - 1] == '/')
        r.rootlen--;
    if (dir && (stat(dir, &sb) == 0 || strcmp(dir, "rules") != 0)) {
        rc = add_settings(&r);
        if (rc == IDW_OK)
            rc = idw_sigma_each_file(dir, add_sigma, &r, err, errlen);
    }
    if (rc == IDW_OK)
        rc = sort_files(r.files, err, errlen);
    if (rc != IDW_OK) {
        json_decref(r.files);
        return IDW_ERR;
    }
    *files = r.files;
    return IDW_OK;
}

enum idw_rc idw_rulepack_fingerprint(const json_t *files, char hex[IDW_RULEPACK_FP_HEX + 1])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char sum[32];
    unsigned sumlen = 0;
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
    size_t i;
    json_t *f;

    hex[0] = '\0';
    json_array_foreach(files, i, f) {
        const char *path = json_string_value(json_object_get(f, "path"));
        const json_t *t = json_object_get(f, "text");
        size_t n = json_string_length(t);
        unsigned char len[8];
        for (int b = 0; b < 8; b++)
            len[b] = (unsigned char)((uint64_t)n >> (56 - 8 * b));
        ok = ok && path && EVP_DigestUpdate(md, path, strlen(path) + 1) == 1 &&
             EVP_DigestUpdate(md, len, sizeof len) == 1 && EVP_DigestUpdate(md, json_string_value(t), n) == 1;
    }
    ok = ok && EVP_DigestFinal_ex(md, sum, &sumlen) == 1 && sumlen == sizeof sum;
    EVP_MD_CTX_free(md);
    if (!ok)
        return IDW_ERR;
    to_hex(sum, sizeof sum, hex);
    return IDW_OK;
}

/* zlib's deflate of buf, base64 (OpenSSL) into a malloc'd string; NULL on failure. */
static char *deflate_b64(const char *buf, size_t len)
{
    uLongf zlen = compressBound((uLong)len);
    unsigned char *z = malloc(zlen);
    char *out = NULL;

    if (z && compress2(z, &zlen, (const Bytef *)buf, (uLong)len, Z_BEST_COMPRESSION) == Z_OK) {
        out = malloc(4 * ((zlen + 2) / 3) + 1);
        if (out)
            EVP_EncodeBlock((unsigned char *)out, z, (int)zlen);
    }
    free(z);
    return out;
}

enum idw_rc idw_rulepack_message(const json_t *files, const char *release, int64_t at_ms, const char *by,
                                 const char *id, json_t **out, char *err, size_t errlen)
{
    char fp[IDW_RULEPACK_FP_HEX + 1], *list = NULL, *z = NULL;
    size_t len;

    *out = NULL;
    list = json_dumps(files, JSON_COMPACT | JSON_ENSURE_ASCII);
    len = list ? strlen(list) : 0;
    if (list && len > IDW_RULEPACK_SIZE_MAX) {
        snprintf(err, errlen, "rules: %zu bytes of rules exceed the %u a message may carry", len,
                 IDW_RULEPACK_SIZE_MAX);
        free(list);
        return IDW_ERR;
    }
    if (list)
        z = deflate_b64(list, len);
    free(list);
    if (z && idw_rulepack_fingerprint(files, fp) == IDW_OK)
        *out = json_pack("{s:i, s:s, s:s, s:s, s:I, s:s, s:s, s:I, s:s}", "v", 2, "type", "rules", "release",
                         release, "fingerprint", fp, "at", (json_int_t)at_ms, "by", by, "id", id, "size",
                         (json_int_t)len, "files_z", z);
    free(z);
    if (!*out) {
        snprintf(err, errlen, "rules: cannot build the message (out of memory, or compression failed)");
        return IDW_ERR;
    }
    return IDW_OK;
}

/* The inflated list's JSON (malloc'd, NUL-terminated) or NULL with err; *bad when the message is at fault. */
static char *inflate_b64(const char *b64, size_t size, int *bad, char *err, size_t errlen)
{
    size_t blen = strlen(b64);
    unsigned char *z = malloc(blen / 4 * 3 + 3);
    char *out = malloc(size + 1);
    uLongf outlen = (uLongf)size;
    int zlen = -1;

    *bad = 0;
    if (!z || !out) {
        snprintf(err, errlen, "rules: out of memory");
        goto fail;
    }
    *bad = 1;
    if (blen % 4 == 0)
        zlen = EVP_DecodeBlock(z, (const unsigned char *)b64, (int)blen);
    if (zlen < 0) {
        snprintf(err, errlen, "rules: files_z: not base64");
        goto fail;
    }
    while (blen && b64[blen - 1] == '=' && zlen > 0) {     /* EVP_DecodeBlock counts the padding */
        blen--;
        zlen--;
    }
    if (uncompress((Bytef *)out, &outlen, z, (uLong)zlen) != Z_OK || outlen != size) {
        snprintf(err, errlen, "rules: files_z: does not inflate to the %zu bytes of size", size);
        goto fail;
    }
    free(z);
    out[size] = '\0';
    return out;
fail:
    free(z);
    free(out);
    return NULL;
}

/*
 * 1 when the JSON text has more separators and containers than a list of at most FILES_MAX
 * {path, text} objects has (five each).  Checked before parsing: 64 MiB of "[{},{},...]" inflates
 * from a few kilobytes and would take jansson gigabytes to hold before the list's length is seen.
 */
static int too_many_values(const char *s)
{
    size_t tokens = 0, limit = 5 * (size_t)IDW_RULEPACK_FILES_MAX + 8;
    int in_string = 0;

    for (; *s; s++) {
        if (in_string) {
            if (*s == '\\' && s[1])
                s++;
            else if (*s == '"')
                in_string = 0;
        } else if (*s == '"') {
            in_string = 1;
        } else if (strchr("{[,:", *s) && ++tokens > limit) {
            return 1;
        }
    }
    return 0;
}

/* 1 when some proper parent of path (a prefix ending before a '/') is itself a file of the list. */
static int parent_is_file(const json_t *files, const char *path)
{
    char parent[4096];

    for (const char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
        size_t lo = 0, hi = json_array_size(files), n = (size_t)(slash - path);
        if (n >= sizeof parent)
            return 1;
        memcpy(parent, path, n);
        parent[n] = '\0';
        while (lo < hi) {       /* the list is sorted by strcmp (checked before) */
            size_t mid = lo + (hi - lo) / 2;
            int c = strcmp(json_string_value(json_object_get(json_array_get(files, mid), "path")), parent);
            if (c == 0)
                return 1;
            if (c < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
    }
    return 0;
}

/* The list's shape: objects of a safe path and a string text, sorted, unique. */
static enum idw_rc check_list(const json_t *files, char *err, size_t errlen)
{
    const char *prev = NULL;
    size_t i;
    json_t *f;

    if (!json_is_array(files) || json_array_size(files) > IDW_RULEPACK_FILES_MAX) {
        snprintf(err, errlen, "rules: files: expected an array of at most %d files", IDW_RULEPACK_FILES_MAX);
        return IDW_ERR;
    }
    json_array_foreach(files, i, f) {
        const char *path = json_string_value(json_object_get(f, "path"));
        if (json_object_size(f) != 2 || !path || !json_is_string(json_object_get(f, "text"))) {
            snprintf(err, errlen, "rules: files[%zu]: expected {path, text} strings", i);
            return IDW_ERR;
        }
        if (!safe_path(path) || (prev && strcmp(prev, path) >= 0)) {
            snprintf(err, errlen, "rules: files[%zu]: path %.200s: unsafe, or not in order", i, path);
            return IDW_ERR;
        }
        prev = path;
    }
    json_array_foreach(files, i, f) {   /* "a.yml" and "a.yml/b.yml" cannot both be written */
        const char *path = json_string_value(json_object_get(f, "path"));
        if (parent_is_file(files, path)) {
            snprintf(err, errlen, "rules: files[%zu]: path %.200s: lies under another file of the list", i,
                     path);
            return IDW_ERR;
        }
    }
    return IDW_OK;
}

static int is_hex(const char *s, size_t n)
{
    if (!s || strlen(s) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("0123456789abcdef", s[i]))
            return 0;
    return 1;
}

static enum idw_rc check_header(const json_t *msg, char *err, size_t errlen)
{
    const json_t *size = json_object_get(msg, "size"), *at = json_object_get(msg, "at");
    const char *rel = json_string_value(json_object_get(msg, "release"));
    const char *by = json_string_value(json_object_get(msg, "by"));

    if (json_object_size(msg) != 9 || !rel || !*rel || strlen(rel) > 64 || !by || !*by || strlen(by) > 256 ||
        !json_is_integer(at) || json_integer_value(at) < 0 || !json_is_integer(size) ||
        json_integer_value(size) < 0 || json_integer_value(size) > (json_int_t)IDW_RULEPACK_SIZE_MAX ||
        !is_hex(json_string_value(json_object_get(msg, "fingerprint")), IDW_RULEPACK_FP_HEX) ||
        !is_hex(json_string_value(json_object_get(msg, "id")), 32) ||
        !json_is_string(json_object_get(msg, "files_z"))) {
        snprintf(err, errlen, "rules: expected exactly v, type, release, fingerprint (64 hex), at, by, id "
                 "(32 hex), size (0..%u) and files_z", IDW_RULEPACK_SIZE_MAX);
        return IDW_ERR;
    }
    return IDW_OK;
}

enum idw_rc idw_rulepack_files(const json_t *msg, json_t **files, int *bad, char *err, size_t errlen)
{
    char fp[IDW_RULEPACK_FP_HEX + 1], *list;
    json_error_t je;
    json_t *f;

    *files = NULL;
    *bad = 1;
    if (check_header(msg, err, errlen) < 0)
        return IDW_ERR;
    list = inflate_b64(json_string_value(json_object_get(msg, "files_z")),
                       (size_t)json_integer_value(json_object_get(msg, "size")), bad, err, errlen);
    if (!list)
        return IDW_ERR;
    if (too_many_values(list)) {
        free(list);
        snprintf(err, errlen, "rules: files_z: more JSON values than %d files can hold",
                 IDW_RULEPACK_FILES_MAX);
        return IDW_ERR;
    }
    f = json_loads(list, JSON_REJECT_DUPLICATES, &je);
    free(list);
    if (!f) {
        *bad = json_error_code(&je) != json_error_out_of_memory;
        snprintf(err, errlen, "rules: files_z: line %d: %s", je.line, je.text);
        return IDW_ERR;
    }
    if (check_list(f, err, errlen) < 0) {
        json_decref(f);
        return IDW_ERR;
    }
    if (idw_rulepack_fingerprint(f, fp) < 0 || strcmp(fp, json_string_value(json_object_get(msg,
                                                                                   "fingerprint"))) != 0) {
        *bad = fp[0] != '\0';
        snprintf(err, errlen, "rules: %s", fp[0] ? "the files do not have the message's fingerprint"
                                                 : "SHA-256 failed");
        json_decref(f);
        return IDW_ERR;
    }
    *bad = 0;
    *files = f;
    return IDW_OK;
}

/* Creates the directories of rel's parents under base. */
static enum idw_rc make_parents(const char *base, const char *rel, char *err, size_t errlen)
{
    char path[4096];
    const char *slash = rel;

    for (slash = strchr(slash, '/'); slash; slash = strchr(slash, '/')) {
        if (snprintf(path, sizeof path, "%s/%.*s", base, (int)(slash - rel), rel) >= (int)sizeof path) {
            snprintf(err, errlen, "rules: %s: path too long", base);
            return IDW_ERR;
        }
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "rules: %s: %s", path, strerror(errno));
            return IDW_ERR;
        }
        slash++;
    }
    return IDW_OK;
}

static enum idw_rc write_all(const json_t *files, const char *tmp, char *err, size_t errlen)
{
    size_t i;
    json_t *f;

    json_array_foreach(files, i, f) {
        const char *rel = json_string_value(json_object_get(f, "path"));
        const json_t *t = json_object_get(f, "text");
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", tmp, rel) >= (int)sizeof path) {
            snprintf(err, errlen, "rules: %s: path too long", tmp);
            return IDW_ERR;
        }
        if (make_parents(tmp, rel, err, errlen) < 0 ||
            write_file(path, json_string_value(t), json_string_length(t), err, errlen) < 0)
            return IDW_ERR;
    }
    return IDW_OK;
}

static int remove_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    if (remove(path) != 0)
        log_warn("rules: %s: cannot remove: %s", path, strerror(errno));
    return 0;   /* best effort: go on with the rest */
}

/* Removes a directory this module made and everything in it (files first), best effort. */
static void remove_tree(const char *dir)
{
    if (nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        log_warn("rules: %s: could not remove all of it", dir);
}

/* 1 when dir holds exactly the files of fingerprint fp. */
static int same_content(const char *dir, const char *fp)
{
    char err[256], now[IDW_RULEPACK_FP_HEX + 1];
    json_t *files = NULL;
    int same = idw_rulepack_read_dir(dir, &files, err, sizeof err) == IDW_OK &&
               idw_rulepack_fingerprint(files, now) == IDW_OK && strcmp(now, fp) == 0;

    json_decref(files);
    return same;
}

enum idw_rc idw_rulepack_unpack(const json_t *files, const char *root, char *dir, size_t dirlen,
                                char *err, size_t errlen)
{
    char fp[IDW_RULEPACK_FP_HEX + 1], tmp[4096];
    struct stat sb;

    if (check_list(files, err, errlen) < 0)
        return IDW_ERR;
    if (idw_rulepack_fingerprint(files, fp) < 0 ||
        snprintf(dir, dirlen, "%s/%s", root, fp) >= (int)dirlen ||
        snprintf(tmp, sizeof tmp, "%s/.tmp-XXXXXX", root) >= (int)sizeof tmp) {
        snprintf(err, errlen, "rules: %s: path too long (or OpenSSL failed)", root);
        return IDW_ERR;
    }
    if (stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        if (same_content(dir, fp))
            return IDW_OK;
        /* a crash before its files reached the disk, or an edit: set it aside and write it again
         * (into a fresh empty directory, which rename replaces: never onto an earlier one) */
        snprintf(tmp, sizeof tmp, "%s/.bad-%s-XXXXXX", root, fp);
        if (!mkdtemp(tmp) || rename(dir, tmp) != 0) {
            snprintf(err, errlen, "rules: %s: damaged, and cannot be moved away: %s", dir, strerror(errno));
            return IDW_ERR;
        }
        snprintf(tmp, sizeof tmp, "%s/.tmp-XXXXXX", root);
    }
    if ((mkdir(root, 0700) != 0 && errno != EEXIST) || !mkdtemp(tmp)) {
        snprintf(err, errlen, "rules: %s: %s", tmp, strerror(errno));
        return IDW_ERR;
    }
    if (write_all(files, tmp, err, errlen) < 0) {
        remove_tree(tmp);
        return IDW_ERR;
    }
    if (rename(tmp, dir) != 0) {
        int e = errno;
        remove_tree(tmp);       /* failed, or another applier's copy got there first */
        if (!(e == ENOTEMPTY || e == EEXIST)) {
            snprintf(err, errlen, "rules: %s: %s", dir, strerror(e));
            return IDW_ERR;
        }
    }
    return IDW_OK;
}

static void release_parts(const char *s, unsigned long v[3])
{
    for (int i = 0; i < 3; i++) {
        char *end;
        v[i] = strtoul(s, &end, 10);
        s = *end == '.' ? end + 1 : end;
    }
}

int idw_rulepack_release_cmp(const char *a, const char *b)
{
    unsigned long x[3], y[3];

    release_parts(a, x);
    release_parts(b, y);
    for (int i = 0; i < 3; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}
