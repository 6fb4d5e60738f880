/*
 * geo.c — GeoIP and ASN enrichment (see geo.h for the contract).
 *
 * How it fits: events keep the location and network owner Okta put in
 * them.  When those are missing the ingest pipeline calls idw_geo_lookup()
 * with the event's IP, and the persona layer then learns the user's usual
 * places and networks from whatever this module filled in.
 *
 * All the real work is libmaxminddb's: MMDB_open maps each database
 * read-only, MMDB_lookup_string walks the search tree, MMDB_aget_value
 * (the array form of MMDB_get_value) decodes one field of a record.  This
 * file only decides which fields we want, copies them into the fixed-size
 * result, and turns every library failure into a message that names the
 * file, so an operator can tell a missing database from a corrupt one.
 *
 * Two rules shape the code:
 *  - Strings in an MMDB are length-prefixed, not NUL-terminated, and point
 *    into the mapped file: they are copied with their length, and cut on a
 *    UTF-8 character boundary when they do not fit (half a character would
 *    make the event unserialisable as JSON later).
 *  - A database is untrusted input.  Every libmaxminddb status is checked
 *    and a value of the wrong type is reported, never guessed at.
 *
 * The handle holds two MMDB_s opened in MMDB_MODE_MMAP; lookups only read
 * them, so one handle serves all threads without locking.
 */
#include "event/geo.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <maxminddb.h>

#include "common/util.h"
#include "event/normalize.h"

struct idw_geodb {
    MMDB_s city, asn;
    int city_open, asn_open;
    int is_recorded;            /* answers come from recorded (idw_geo_open_recorded), never a database */
    const json_t *recorded;     /* borrowed; NULL: none */
};

/* Lookup paths, NULL-terminated as MMDB_aget_value expects. */
static const char *const PATH_CITY[] = {"city", "names", "en", NULL};
static const char *const PATH_STATE[] = {"subdivisions", "0", "names", "en", NULL};
static const char *const PATH_COUNTRY[] = {"country", "names", "en", NULL};
static const char *const PATH_COUNTRY_CODE[] = {"country", "iso_code", NULL};
static const char *const PATH_POSTAL[] = {"postal", "code", NULL};
static const char *const PATH_TIME_ZONE[] = {"location", "time_zone", NULL};
static const char *const PATH_LAT[] = {"location", "latitude", NULL};
static const char *const PATH_LON[] = {"location", "longitude", NULL};
static const char *const PATH_ACCURACY[] = {"location", "accuracy_radius", NULL};
static const char *const PATH_ASN[] = {"autonomous_system_number", NULL};
static const char *const PATH_AS_ORG[] = {"autonomous_system_organization", NULL};

/* ---- errors ---------------------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Joins a path array as "a.b.c" for error messages. */
static void path_text(const char *const *path, char *out, size_t outlen)
{
    out[0] = '\0';
    for (size_t i = 0; path[i]; i++) {
        size_t used = strlen(out);
        snprintf(out + used, outlen - used, "%s%s", i ? "." : "", path[i]);
    }
}

/* ---- opening --------------------------------------------------------------- */

static int path_given(const char *path)
{
    return path && path[0] != '\0';
}

/*
 * Opens one database and checks that its metadata names the expected kind
 * (kind is "City" or "ASN"; what is the phrase for the message), because a
 * swapped configuration would otherwise look like a database in which
 * nothing is ever found.
 */
static int open_one(const char *path, const char *kind, const char *what,
                    MMDB_s *mmdb, char *err, size_t errlen)
{
    int status = MMDB_open(path, MMDB_MODE_MMAP, mmdb);
    if (status != MMDB_SUCCESS) {
        int saved = errno;     /* libmaxminddb preserves it for I/O failures */
        if (status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR)
            set_err(err, errlen, "%s: %s (%s)", path,
                    MMDB_strerror(status), strerror(saved));
        else
            set_err(err, errlen, "%s: %s", path, MMDB_strerror(status));
        return -1;      /* MMDB_open has already released what it took */
    }
    const char *type = mmdb->metadata.database_type;
    if (!type || !strstr(type, kind)) {
        set_err(err, errlen, "%s: database type \"%s\" is not %s",
                path, type ? type : "(none)", what);
        MMDB_close(mmdb);
        return -1;
    }
    return 0;
}

enum idw_rc idw_geo_open(const char *city_path, const char *asn_path,
                         struct idw_geodb **out, char *err, size_t errlen)
{
    if (!out) {
        set_err(err, errlen, "no place to return the handle");
        return IDW_ERR;
    }
    *out = NULL;
    struct idw_geodb *db = calloc(1, sizeof *db);
    if (!db) {
        set_err(err, errlen, "out of memory");
        return IDW_ERR;
    }
    if (path_given(city_path)) {
        if (open_one(city_path, "City", "a City database", &db->city, err, errlen) < 0)
            goto fail;
        db->city_open = 1;
    }
    if (path_given(asn_path)) {
        if (open_one(asn_path, "ASN", "an ASN database", &db->asn, err, errlen) < 0)
            goto fail;
        db->asn_open = 1;
    }
    *out = db;
    return IDW_OK;
fail:
    idw_geo_close(db);     /* closes only what was opened */
    return IDW_ERR;
}

void idw_geo_close(struct idw_geodb *db)
{
    if (!db)
        return;
    if (db->city_open)
        MMDB_close(&db->city);
    if (db->asn_open)
        MMDB_close(&db->asn);
    free(db);
}

/* ---- reading one record --------------------------------------------------- */

/* One found record and where to report trouble with it. */
struct record {
    const MMDB_s *mmdb;
    MMDB_entry_s entry;
    char *err;
    size_t errlen;
};

static int record_error(struct record *rec, const char *const *path, const char *what)
{
    char where[96];
    path_text(path, where, sizeof where);
    set_err(rec->err, rec->errlen, "%s: %s: %s", rec->mmdb->filename, where, what);
    return -1;
}

/*
 * Fetches the value at path.  Returns 1 with *d filled, 0 when the record
 * simply lacks it (no such key, or fewer subdivisions than asked for), and
 * -1 with err set when libmaxminddb found the data itself broken.
 */
static int fetch(struct record *rec, const char *const *path, MMDB_entry_data_s *d)
{
    int status = MMDB_aget_value(&rec->entry, d, path);
    if (status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR)
        return 0;
    if (status != MMDB_SUCCESS)
        return record_error(rec, path, MMDB_strerror(status));
    return d->has_data ? 1 : 0;
}

/*
 * Copies n bytes of a non-terminated string, shortening it to the last
 * whole UTF-8 character that fits.
 */
static void copy_utf8(char *dst, size_t dstsize, const char *src, size_t n)
{
    if (n >= dstsize) {
        n = dstsize - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;        /* src[n] continues a character we cannot finish */
    }
    idw_strncpy0(dst, dstsize, src, n);
}

static int read_string(struct record *rec, const char *const *path,
                       char *dst, size_t dstsize)
{
    MMDB_entry_data_s d;
    int got = fetch(rec, path, &d);
    if (got <= 0)
        return got;
    if (d.type != MMDB_DATA_TYPE_UTF8_STRING)
        return record_error(rec, path, "not a string");
    copy_utf8(dst, dstsize, d.utf8_string, d.data_size);
    return 1;
}

/* Any integer width is taken: vendors differ in what they write. */
static int read_uint(struct record *rec, const char *const *path, uint64_t *out)
{
    MMDB_entry_data_s d;
    int got = fetch(rec, path, &d);
    if (got <= 0)
        return got;
    switch (d.type) {
    case MMDB_DATA_TYPE_UINT16:
        *out = d.uint16;
        return 1;
    case MMDB_DATA_TYPE_UINT32:
        *out = d.uint32;
        return 1;
    case MMDB_DATA_TYPE_UINT64:
        *out = d.uint64;
        return 1;
    case MMDB_DATA_TYPE_INT32:
        if (d.int32 < 0)
            return record_error(rec, path, "negative");
        *out = (uint64_t)d.int32;
        return 1;
    default:
        return record_error(rec, path, "not an integer");
    }
}

/* A coordinate: double (MaxMind) or float, finite and within ±limit degrees. */
static int read_degrees(struct record *rec, const char *const *path, double limit,
                        double *out)
{
    MMDB_entry_data_s d;
    int got = fetch(rec, path, &d);
    if (got <= 0)
        return got;
    double v;
    if (d.type == MMDB_DATA_TYPE_DOUBLE)
        v = d.double_value;
    else if (d.type == MMDB_DATA_TYPE_FLOAT)
        v = d.float_value;
    else
        return record_error(rec, path, "not a number");
    if (!isfinite(v) || v < -limit || v > limit)
        return record_error(rec, path, "out of range");
    *out = v;
    return 1;
}

/* ---- filling the result ---------------------------------------------------- */

static int fill_location(struct record *rec, struct idw_geo_result *res)
{
    double lat = 0, lon = 0;
    uint64_t radius = 0;
    int has_lat = read_degrees(rec, PATH_LAT, 90.0, &lat);
    if (has_lat < 0)
        return -1;
    int has_lon = read_degrees(rec, PATH_LON, 180.0, &lon);
    if (has_lon < 0)
        return -1;
    if (has_lat && has_lon) {      /* half a coordinate is no coordinate */
        res->lat = lat;
        res->lon = lon;
        res->has_coords = 1;
    }
    if (read_uint(rec, PATH_ACCURACY, &radius) < 0)
        return -1;
    /* No honest radius exceeds the earth's circumference; treat more as unknown. */
    res->accuracy_km = radius <= 40075 ? (int)radius : 0;
    return 0;
}

static int fill_city(struct record *rec, struct idw_geo_result *res)
{
    if (read_string(rec, PATH_CITY, res->city, sizeof res->city) < 0 ||
        read_string(rec, PATH_STATE, res->state, sizeof res->state) < 0 ||
        read_string(rec, PATH_COUNTRY, res->country, sizeof res->country) < 0 ||
        read_string(rec, PATH_COUNTRY_CODE, res->country_code,
                    sizeof res->country_code) < 0 ||
        read_string(rec, PATH_POSTAL, res->postal_code, sizeof res->postal_code) < 0 ||
        read_string(rec, PATH_TIME_ZONE, res->time_zone, sizeof res->time_zone) < 0)
        return -1;
    return fill_location(rec, res);
}

static int fill_asn(struct record *rec, struct idw_geo_result *res)
{
    uint64_t asn = 0;
    if (read_uint(rec, PATH_ASN, &asn) < 0)
        return -1;
    if (asn > UINT32_MAX)          /* AS numbers are 32-bit (RFC 6793) */
        return record_error(rec, PATH_ASN, "out of range");
    res->asn = (uint32_t)asn;
    return read_string(rec, PATH_AS_ORG, res->as_org, sizeof res->as_org) < 0 ? -1 : 0;
}

/* ---- lookups --------------------------------------------------------------- */

/*
 * Only the two textual forms Okta and every log writer use are accepted.
 * MMDB_lookup_string parses with getaddrinfo, which also takes the legacy
 * inet_aton spellings ("1.2" is 1.0.0.2, "3232235777" is 192.168.1.1) and
 * IPv6 scope suffixes; an event carrying those is malformed, and
 * geolocating a reinterpretation of it would put a wrong place on record.
 * Checking first also makes the answer independent of which databases
 * happen to be configured.
 */
static int check_address(const char *ip, char *err, size_t errlen)
{
    unsigned char buf[16];
    if (inet_pton(AF_INET, ip, buf) == 1 || inet_pton(AF_INET6, ip, buf) == 1)
        return 0;
    set_err(err, errlen, "\"%.64s\" is not an IPv4 or IPv6 address", ip);
    return -1;
}

/*
 * Finds ip's record in one database.  Returns 1 with rec->entry set, 0 when
 * the address is not covered, -1 with err set when libmaxminddb refuses
 * the address or the search tree is broken.
 */
static int find_record(struct record *rec, const char *ip)
{
    int gai_error = 0, mmdb_error = MMDB_SUCCESS;
    MMDB_lookup_result_s r = MMDB_lookup_string(rec->mmdb, ip, &gai_error, &mmdb_error);
    if (gai_error != 0) {
        set_err(rec->err, rec->errlen, "\"%.64s\" is not an IP address (%s)",
                ip, gai_strerror(gai_error));
        return -1;
    }
    /* An IPv4-only database cannot know an IPv6 address: not found, not broken. */
    if (mmdb_error == MMDB_IPV6_LOOKUP_IN_IPV4_DATABASE_ERROR)
        return 0;
    if (mmdb_error != MMDB_SUCCESS) {
        set_err(rec->err, rec->errlen, "%s: looking up %.64s: %s",
                rec->mmdb->filename, ip, MMDB_strerror(mmdb_error));
        return -1;
    }
    if (!r.found_entry)
        return 0;
    rec->entry = r.entry;
    return 1;
}

static int lookup_city(const MMDB_s *mmdb, const char *ip, struct idw_geo_result *res,
                       char *err, size_t errlen)
{
    struct record rec = {.mmdb = mmdb, .err = err, .errlen = errlen};
    int found = find_record(&rec, ip);
    if (found <= 0)
        return found;
    res->has_city = 1;
    return fill_city(&rec, res);
}

static int lookup_asn(const MMDB_s *mmdb, const char *ip, struct idw_geo_result *res,
                      char *err, size_t errlen)
{
    struct record rec = {.mmdb = mmdb, .err = err, .errlen = errlen};
    int found = find_record(&rec, ip);
    if (found <= 0)
        return found;
    res->has_asn = 1;
    return fill_asn(&rec, res);
}

/* ---- recorded answers (the scale-out log, cluster/wal.h) ----------------------- */

static void copy_str(const json_t *o, const char *key, char *out, size_t outlen)
{
    idw_strlcpy(out, json_string_value(json_object_get(o, key)) ?: "", outlen);
}

/* Fills res from one recorded answer (the fields idw_geo_result_to_json writes). */
static void result_from_json(const json_t *o, struct idw_geo_result *res)
{
    res->has_city = json_is_true(json_object_get(o, "has_city"));
    copy_str(o, "city", res->city, sizeof res->city);
    copy_str(o, "state", res->state, sizeof res->state);
    copy_str(o, "country", res->country, sizeof res->country);
    copy_str(o, "country_code", res->country_code, sizeof res->country_code);
    copy_str(o, "postal_code", res->postal_code, sizeof res->postal_code);
    copy_str(o, "time_zone", res->time_zone, sizeof res->time_zone);
    res->has_coords = json_is_number(json_object_get(o, "lat")) && json_is_number(json_object_get(o, "lon"));
    res->lat = json_number_value(json_object_get(o, "lat"));
    res->lon = json_number_value(json_object_get(o, "lon"));
    res->accuracy_km = (int)json_integer_value(json_object_get(o, "accuracy_km"));
    res->has_asn = json_is_true(json_object_get(o, "has_asn"));
    res->asn = (uint32_t)json_integer_value(json_object_get(o, "asn"));
    copy_str(o, "as_org", res->as_org, sizeof res->as_org);
}

static enum idw_rc recorded_lookup(const json_t *entries, const char *ip, struct idw_geo_result *res)
{
    size_t i;
    const json_t *e;

    json_array_foreach(entries, i, e) {
        const char *at = json_string_value(json_object_get(e, "ip"));
        if (at && strcmp(at, ip) == 0) {
            result_from_json(e, res);
            return res->has_city || res->has_asn ? IDW_OK : IDW_NOTFOUND;
        }
    }
    return IDW_NOTFOUND;
}

enum idw_rc idw_geo_open_recorded(const json_t *entries, struct idw_geodb **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return IDW_ERR;
    (*out)->is_recorded = 1;
    (*out)->recorded = entries;
    return IDW_OK;
}

json_t *idw_geo_result_to_json(const char *ip, const struct idw_geo_result *r)
{
    json_t *o = json_pack("{s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:I, s:s}", "ip", ip,
                          "has_city", r->has_city, "city", r->city, "state", r->state, "country", r->country,
                          "country_code", r->country_code, "postal_code", r->postal_code,
                          "time_zone", r->time_zone, "accuracy_km", r->accuracy_km, "has_asn", r->has_asn,
                          "asn", (json_int_t)r->asn, "as_org", r->as_org);

    if (o && r->has_coords && (json_object_set_new(o, "lat", json_real(r->lat)) < 0 ||
                               json_object_set_new(o, "lon", json_real(r->lon)) < 0)) {
        json_decref(o);
        o = NULL;
    }
    return o;
}

enum idw_rc idw_geo_record(const struct idw_geodb *db, json_t *raw, json_t **entry)
{
    struct idw_event ev;
    struct idw_geo_result r;
    char err[160];
    enum idw_rc rc = IDW_OK;

    *entry = NULL;
    if (!db || idw_normalize(raw, NULL, &ev, err, sizeof err) != IDW_NORM_OK)
        return IDW_OK;
    /* the pipeline's own test (enrich in engine/pipeline.c): only events Okta left unplaced */
    if (ev.ip && (ev.geo.source == IDW_GEO_NONE || ev.asn == 0) &&
        idw_geo_lookup(db, ev.ip, &r, err, sizeof err) == IDW_OK) {
        *entry = idw_geo_result_to_json(ev.ip, &r);
        rc = *entry ? IDW_OK : IDW_ERR;
    }
    idw_event_clear(&ev);
    return rc;
}

enum idw_rc idw_geo_lookup(const struct idw_geodb *db, const char *ip,
                           struct idw_geo_result *res, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!res) {
        set_err(err, errlen, "no result buffer");
        return IDW_ERR;
    }
    memset(res, 0, sizeof *res);
    if (!ip) {
        set_err(err, errlen, "no IP address given");
        return IDW_ERR;
    }
    if (db && db->is_recorded)
        return recorded_lookup(db->recorded, ip, res);
    int rc = check_address(ip, err, errlen);
    if (rc == 0 && db && db->city_open)
        rc = lookup_city(&db->city, ip, res, err, errlen);
    if (rc == 0 && db && db->asn_open)
        rc = lookup_asn(&db->asn, ip, res, err, errlen);
    if (rc < 0) {
        memset(res, 0, sizeof *res);   /* no half-filled answers */
        return IDW_ERR;
    }
    return res->has_city || res->has_asn ? IDW_OK : IDW_NOTFOUND;
}
