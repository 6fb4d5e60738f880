/*
 * geo.h — GeoIP and ASN enrichment through libmaxminddb.
 *
 * The normalizer takes location and network owner from Okta's
 * client.geographicalContext and securityContext.  When Okta left them out
 * (API-token events, older exports, trimmed test data) the pipeline asks
 * this module, with the MaxMind City and ASN databases named in the
 * configuration.  Either database may be absent; lookups then fill what
 * they can.  The handle is read-only and may be shared by threads.
 */
#ifndef IDW_GEO_H
#define IDW_GEO_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/rc.h"

struct idw_geodb;

/* One lookup's answer.  Strings are copied in, always NUL-terminated; "" = unknown. */
struct idw_geo_result {
    int has_city;                /* the City database had a record */
    char city[64], state[64], country[64], country_code[4], postal_code[16];
    char time_zone[48];
    double lat, lon;
    int has_coords;
    int accuracy_km;             /* location.accuracy_radius, 0 = unknown */
    int has_asn;                 /* the ASN database had a record */
    uint32_t asn;
    char as_org[96];
};

/*
 * Opens the databases.  city_path and asn_path may each be NULL or "" to
 * skip that database (both NULL gives a handle whose lookups find nothing).
 * IDW_OK and sets *out, or IDW_ERR with a message in err naming the file and
 * libmaxminddb's reason (missing file, corrupt database, wrong type — a
 * City path must hold a City database, an ASN path an ASN one).
 */
enum idw_rc idw_geo_open(const char *city_path, const char *asn_path,
                         struct idw_geodb **out, char *err, size_t errlen) IDW_MUST_CHECK;

void idw_geo_close(struct idw_geodb *db);

/*
 * Looks up an IPv4 or IPv6 address in text form.  IDW_OK if anything
 * was found (see has_city / has_asn), IDW_NOTFOUND if nothing was, and IDW_ERR if ip is
 * not an address or the database is corrupt at that record (err says
 * which).  *res is always initialised.  English names are used.
 */
enum idw_rc idw_geo_lookup(const struct idw_geodb *db, const char *ip,
                           struct idw_geo_result *res, char *err, size_t errlen) IDW_MUST_CHECK;

/*
 * Recorded answers, for the scale-out log (cluster/wal.h): the host that
 * fetches a page looks up what the pipeline will look up, and the page
 * carries the answers, so applying the page anywhere enriches alike.
 *
 * idw_geo_record: the answer the pipeline would use for raw (normalized
 * here; only an event with an address whose location or ASN Okta left
 * out is looked up).  IDW_OK with *entry (a new {"ip", answer} object, or
 * NULL when nothing is to be recorded), IDW_ERR when out of memory.  db
 * may be NULL (nothing is recorded).
 *
 * idw_geo_result_to_json: one answer as that object (new reference), or NULL.
 *
 * idw_geo_open_recorded: a handle whose lookups answer from entries (an
 * array of null or idw_geo_record objects; borrowed, must outlive the
 * handle; NULL = none) and never from a database: an address with no
 * entry is IDW_NOTFOUND.  IDW_OK with *out (idw_geo_close), IDW_ERR when
 * out of memory.
 */
enum idw_rc idw_geo_record(const struct idw_geodb *db, json_t *raw, json_t **entry) IDW_MUST_CHECK;
json_t *idw_geo_result_to_json(const char *ip, const struct idw_geo_result *r) IDW_MUST_CHECK;
enum idw_rc idw_geo_open_recorded(const json_t *entries, struct idw_geodb **out) IDW_MUST_CHECK;

#endif
