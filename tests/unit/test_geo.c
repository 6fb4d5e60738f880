/*
 * test_geo.c — GeoIP/ASN enrichment against MaxMind's public test
 * databases in data/geoip/ (see data/geoip/SOURCES.md): exact field values
 * for known IPv4 and IPv6 networks, ASN records with and without an
 * organisation, addresses the databases do not cover, malformed input,
 * optional databases, and every way opening can fail (missing file, wrong
 * database type, not an MMDB, corrupt MMDBs).
 *
 * Expected values come from the source JSON the databases were built from
 * (MaxMind-DB test-data/ and source-data/, commit 2f18851d).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/geo.h"

#define CITY_DB     "geoip/GeoIP2-City-Test.mmdb"
#define ASN_DB      "geoip/GeoLite2-ASN-Test.mmdb"
#define BROKEN_DB   "geoip/GeoIP2-City-Test-Broken-Double-Format.mmdb"
#define BADNODES_DB "geoip/GeoIP2-City-Test-Invalid-Node-Count.mmdb"

static const char *data_dir(void)
{
    const char *d = getenv("IDW_DATA");
    return d && *d ? d : "data";
}

/* Full path of a file under the data directory (one static buffer per slot). */
static const char *data_path(int slot, const char *name)
{
    static char buf[4][512];
    snprintf(buf[slot], sizeof buf[slot], "%s/%s", data_dir(), name);
    return buf[slot];
}

static struct idw_geodb *open_ok(const char *city, const char *asn)
{
    struct idw_geodb *db = NULL;
    char err[256] = "";
    if (idw_geo_open(city, asn, &db, err, sizeof err) != 0)
        fail_msg("open failed: %s", err);
    assert_non_null(db);
    return db;
}

static struct idw_geodb *open_both(void)
{
    return open_ok(data_path(0, CITY_DB), data_path(1, ASN_DB));
}

/* Opening must fail, leave *out NULL and say something containing want. */
static void open_fails(const char *city, const char *asn, const char *want)
{
    struct idw_geodb *db = (void *)&db;     /* poison: open must reset it */
    char err[256] = "";
    assert_int_equal(idw_geo_open(city, asn, &db, err, sizeof err), -1);
    assert_null(db);
    if (!strstr(err, want))
        fail_msg("error \"%s\" does not contain \"%s\"", err, want);
}

/* Looks ip up, expecting return value rc; err is left for the caller. */
static void lookup_expect(const struct idw_geodb *db, const char *ip, int rc,
                          struct idw_geo_result *res, char *err, size_t errlen)
{
    memset(res, 0x5a, sizeof *res);   /* garbage: lookup must initialise it */
    enum idw_rc code = idw_geo_lookup(db, ip, res, err, errlen);
    int got = code == IDW_OK ? 1 : code == IDW_NOTFOUND ? 0 : -1;     /* found, nothing, error */
    if (got != rc)
        fail_msg("lookup %s returned %d, expected %d (%s)", ip ? ip : "(null)", got, rc,
                 err ? err : "");
}

/* Doubles compare exactly: the database stores the JSON's decimal as a double. */
static void assert_coords(const struct idw_geo_result *r, double lat, double lon)
{
    assert_int_equal(r->has_coords, 1);
    if (r->lat != lat || r->lon != lon)
        fail_msg("coords %.17g,%.17g, expected %.17g,%.17g", r->lat, r->lon, lat, lon);
}

static void assert_no_city(const struct idw_geo_result *r)
{
    assert_int_equal(r->has_city, 0);
    assert_string_equal(r->city, "");
    assert_string_equal(r->state, "");
    assert_string_equal(r->country, "");
    assert_string_equal(r->country_code, "");
    assert_string_equal(r->postal_code, "");
    assert_string_equal(r->time_zone, "");
    assert_int_equal(r->has_coords, 0);
    assert_true(r->lat == 0.0 && r->lon == 0.0);
    assert_int_equal(r->accuracy_km, 0);
}

static void assert_no_asn(const struct idw_geo_result *r)
{
    assert_int_equal(r->has_asn, 0);
    assert_int_equal(r->asn, 0);
    assert_string_equal(r->as_org, "");
}

static void assert_empty(const struct idw_geo_result *r)
{
    assert_no_city(r);
    assert_no_asn(r);
}

/* ---- lookups that find something ------------------------------------------- */

static void test_open_city_and_asn(void **state)
{
    (void)state;
    idw_geo_close(open_both());
    idw_geo_close(open_ok(data_path(0, CITY_DB), NULL));
    idw_geo_close(open_ok(NULL, data_path(1, ASN_DB)));
}

/* ::81.2.69.142/127 — London, England, accuracy 10 km, no postal code. */
static void test_ipv4_london(void **state)
{
    (void)state;
    struct idw_geodb *db = open_both();
    struct idw_geo_result r;
    char err[256];
    lookup_expect(db, "81.2.69.142", 1, &r, err, sizeof err);
    assert_string_equal(err, "");
    assert_int_equal(r.has_city, 1);
    assert_string_equal(r.city, "London");
    assert_string_equal(r.state, "England");
    assert_string_equal(r.country, "United Kingdom");
    assert_string_equal(r.country_code, "GB");
    assert_string_equal(r.postal_code, "");
    assert_string_equal(r.time_zone, "Europe/London");
    assert_coords(&r, 51.5142, -0.0931);
    assert_int_equal(r.accuracy_km, 10);
    assert_no_asn(&r);      /* 81.2.69.0/24 is not in the ASN test database */

    /* The neighbouring /124 is the same place with a 3 km radius. */
    lookup_expect(db, "81.2.69.144", 1, &r, err, sizeof err);
    assert_string_equal(r.city, "London");
    assert_int_equal(r.accuracy_km, 3);
    idw_geo_close(db);
}

/* ::2.125.160.216/125 — has a postal code and two subdivisions; we take the first. */
static void test_ipv4_postal_and_first_subdivision(void **state)
{
    (void)state;
    struct idw_geodb *db = open_both();
    struct idw_geo_result r;
    char err[256];
    lookup_expect(db, "2.125.160.216", 1, &r, err, sizeof err);
    assert_string_equal(r.city, "Boxford");
    assert_string_equal(r.state, "England");     /* not "West Berkshire" */
    assert_string_equal(r.country_code, "GB");
    assert_string_equal(r.postal_code, "OX1");
    assert_coords(&r, 51.75, -1.25);
    assert_int_equal(r.accuracy_km, 100);
    idw_geo_close(db);
}

/* ::89.160.20.112/124 is in both databases; names are UTF-8. */
static void test_ipv4_city_and_asn_utf8(void **state)
{
    (void)state;
    struct idw_geodb *db = open_both();
    struct idw_geo_result r;
    char err[256];
    lookup_expect(db, "89.160.20.112", 1, &r, err, sizeof err);
    assert_int_equal(r.has_city, 1);
    assert_string_equal(r.city, "Link\xc3\xb6ping");
    assert_string_equal(r.state, "\xc3\x96sterg\xc3\xb6tland County");
    assert_string_equal(r.country, "Sweden");
    assert_string_equal(r.country_code, "SE");
    assert_string_equal(r.time_zone, "Europe/Stockholm");
    assert_coords(&r, 58.4167, 15.6167);
    assert_int_equal(r.accuracy_km, 76);
    assert_int_equal(r.has_asn, 1);
    assert_int_equal(r.asn, 29518);
    assert_string_equal(r.as_org, "Bredband2 AB");
    idw_geo_close(db);
}

/* 2001:480:10::/48 — a native IPv6 network with a full City record. */
static void test_ipv6_city(void **state)
{
    (void)state;
    struct idw_geodb *db = open_both();
    struct idw_geo_result r;
    char err[256];
    lookup_expect(db, "2001:480:10::1", 1, &r, err, sizeof err);
    assert_string_equal(r.city, "San Diego");
    assert_string_equal(r.state, "California");
    assert_string_equal(r.country, "United States");
    assert_string_equal(r.country_code, "US");
    assert_string_equal(r.postal_code, "92101");
    assert_string_equal(r.time_zone, "America/Los_Angeles");
    assert_coords(&r, 32.7203, -117.1552);
    assert_int_equal(r.accuracy_km, 20);
    assert_no_asn(&r);
    idw_geo_close(db);
}

/* 2001:218::/32 — country-level only: no city, no subdivision. */
static void test_ipv6_country_only(void **state)
{
    (void)state;
    struct idw_geodb *db = open_both();
    struct idw_geo_result r;
    char err[256];
    lookup_expect(db, "2001:218::1", 1, &r, err, sizeof err);
    assert_int_equal(r.has_city, 1);
    assert_string_equal(r.city, "");
    assert_string_equal(r.state, "");
    assert_string_equal(r.country, "Japan");
    assert_string_equal(r.country_code, "JP");
    assert_string_equal(r.time_zone, "Asia/Tokyo");
    assert_coords(&r, 35.68536, 139.75309);
    assert_int_equal(r.accuracy_km, 100);
    idw_geo_close(db);
}

/* IPv4 written as IPv4-mapped IPv6 finds the same record. */
static void test_ipv4_mapped_ipv6(void **state)
{
    (void)state;
    struct idw_geodb *db = open_both();
    struct idw_geo_result r;
    char err[256];
    lookup_expect(db, "::ffff:81.2.69.142", 1, &r, err, sizeof err);
    assert_string_equal(r.city, "London");
    assert_int_equal(r.accuracy_km, 10);
    idw_geo_close(db);
}

/* 1.128.0.0/11 and 2001:8000::/20 — Telstra, only in the ASN database. */
static void test_asn_telstra(void **state)
{
    (void)state;
    struct idw_geodb *db = open_both();
    struct idw_geo_result r;
    char err[256];
    lookup_expect(db, "1.128.0.1", 1, &r, err, sizeof err);
    assert_no_city(&r);
    assert_int_equal(r.has_asn, 1);
    assert_int_equal(r.asn, 1221);
    assert_string_equal(r.as_org, "Telstra Pty Ltd");

    lookup_expect(db, "2001:8000::1", 1, &r, err, sizeof err);
    assert_int_equal(r.asn, 1221);
    assert_string_equal(r.as_org, "Telstra Pty Ltd");
    idw_geo_close(db);
}

/* 12.81.96.0/19 carries a number but no organisation. */
static void test_asn_without_organisation(void **state)
{
    (void)state;
    struct idw_geodb *db = open_both();
    struct idw_geo_result r;
    char err[256];
    lookup_expect(db, "12.81.96.1", 1, &r, err, sizeof err);
    assert_int_equal(r.has_asn, 1);
    assert_int_equal(r.asn, 7018);
    assert_string_equal(r.as_org, "");
    idw_geo_close(db);
}

/* ::2.3.3.0/120 has a City record holding only a continent: found, all empty. */
static void test_city_record_without_fields(void **state)
{
    (void)state;
    struct idw_geodb *db = open_both();
    struct idw_geo_result r;
    char err[256];
    lookup_expect(db, "2.3.3.3", 1, &r, err, sizeof err);
    assert_int_equal(r.has_city, 1);
    assert_string_equal(r.city, "");
    assert_string_equal(r.country, "");
    assert_string_equal(r.time_zone, "");
    assert_int_equal(r.has_coords, 0);
    assert_int_equal(r.accuracy_km, 0);
    assert_no_asn(&r);
    idw_geo_close(db);
}

/* ---- lookups that find nothing or refuse ----------------------------------- */

static void test_address_not_in_databases(void **state)
{
    (void)state;
    static const char *const ips[] = {"1.1.1.1", "10.0.0.1", "127.0.0.1", "::1",
                                      "2001:db8::1"};
    struct idw_geodb *db = open_both();
    struct idw_geo_result r;
    char err[256];
    for (size_t i = 0; i < sizeof ips / sizeof ips[0]; i++) {
        lookup_expect(db, ips[i], 0, &r, err, sizeof err);
        assert_string_equal(err, "");
        assert_empty(&r);
    }
    idw_geo_close(db);
}

static void test_invalid_address(void **state)
{
    (void)state;
    /* "1.2" and "3232235777" are inet_aton spellings getaddrinfo would take. */
    static const char *const bad[] = {"not-an-ip", "", "999.1.1.1", "1.2.3", "1.2",
                                      "3232235777", "81.2.69.142 ", "fe80::1%lo",
                                      "2001:db8::g", "81.2.69.142/32"};
    struct idw_geodb *db = open_both();
    struct idw_geo_result r;
    char err[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lookup_expect(db, bad[i], -1, &r, err, sizeof err);
        assert_empty(&r);
        if (!strstr(err, "not an IPv4 or IPv6 address"))
            fail_msg("\"%s\": error \"%s\"", bad[i], err);
    }
    lookup_expect(db, NULL, -1, &r, err, sizeof err);
    assert_empty(&r);
    assert_string_not_equal(err, "");
    idw_geo_close(db);
}

/* A very long input is cut in the message, never overflowing err. */
static void test_invalid_address_long_and_small_err(void **state)
{
    (void)state;
    char ip[300], err[16];
    memset(ip, '9', sizeof ip - 1);
    ip[sizeof ip - 1] = '\0';
    struct idw_geodb *db = open_both();
    struct idw_geo_result r;
    lookup_expect(db, ip, -1, &r, err, sizeof err);
    assert_int_equal(strlen(err), sizeof err - 1);
    lookup_expect(db, "nonsense", -1, &r, NULL, 0);   /* err is optional */
    lookup_expect(db, "81.2.69.142", 1, &r, NULL, 0);
    assert_string_equal(r.city, "London");
    idw_geo_close(db);
}

/* No databases configured: a valid handle whose lookups find nothing. */
static void test_no_databases(void **state)
{
    (void)state;
    struct idw_geo_result r;
    char err[256];
    struct idw_geodb *db = open_ok(NULL, NULL);
    lookup_expect(db, "81.2.69.142", 0, &r, err, sizeof err);
    assert_empty(&r);
    lookup_expect(db, "not-an-ip", -1, &r, err, sizeof err);   /* still validated */
    assert_string_not_equal(err, "");
    idw_geo_close(db);

    db = open_ok("", "");
    lookup_expect(db, "2001:480:10::1", 0, &r, err, sizeof err);
    assert_empty(&r);
    idw_geo_close(db);

    lookup_expect(NULL, "81.2.69.142", 0, &r, err, sizeof err);   /* NULL handle */
    idw_geo_close(NULL);
}

/* Only one database configured: the other half of the answer stays empty. */
static void test_single_database(void **state)
{
    (void)state;
    struct idw_geo_result r;
    char err[256];
    struct idw_geodb *db = open_ok(NULL, data_path(1, ASN_DB));
    lookup_expect(db, "89.160.20.112", 1, &r, err, sizeof err);
    assert_no_city(&r);
    assert_int_equal(r.asn, 29518);
    lookup_expect(db, "81.2.69.142", 0, &r, err, sizeof err);
    idw_geo_close(db);

    db = open_ok(data_path(0, CITY_DB), "");
    lookup_expect(db, "89.160.20.112", 1, &r, err, sizeof err);
    assert_string_equal(r.city, "Link\xc3\xb6ping");
    assert_no_asn(&r);
    lookup_expect(db, "1.128.0.1", 0, &r, err, sizeof err);
    idw_geo_close(db);
}

/* ---- opening failures ------------------------------------------------------ */

static void test_open_missing_file(void **state)
{
    (void)state;
    const char *missing = data_path(0, "geoip/no-such-City.mmdb");
    open_fails(missing, NULL, missing);
    open_fails(missing, NULL, "No such file or directory");
    /* A bad ASN path fails the whole open even when the City one is good. */
    open_fails(data_path(1, CITY_DB), missing, missing);
}

static void test_open_wrong_type(void **state)
{
    (void)state;
    const char *city = data_path(0, CITY_DB), *asn = data_path(1, ASN_DB);
    open_fails(asn, NULL, asn);
    open_fails(asn, NULL, "database type \"GeoLite2-ASN\" is not a City database");
    open_fails(NULL, city, "database type \"GeoIP2-City\" is not an ASN database");
    open_fails(asn, city, "is not a City database");
}

static void test_open_not_an_mmdb(void **state)
{
    (void)state;
    const char *text = data_path(0, "geoip/SOURCES.md");
    open_fails(text, NULL, text);
    open_fails(text, NULL, "invalid metadata");
}

static void test_open_without_out(void **state)
{
    (void)state;
    char err[256] = "";
    assert_int_equal(idw_geo_open(NULL, NULL, NULL, err, sizeof err), -1);
    assert_string_not_equal(err, "");
}

/*
 * The corrupt databases: whether libmaxminddb refuses them at open or only
 * at lookup is its business; ours is to fail cleanly with the file named
 * and never to return half a record.  The exact current behaviour
 * (libmaxminddb 1.7) is asserted where we know it, loosely elsewhere.
 */
static void corrupt_db_fails_cleanly(const char *path)
{
    static const char *const ips[] = {"81.2.69.142", "2.125.160.216", "89.160.20.112",
                                      "216.160.83.56", "2001:218::1", "2a02:d500::1"};
    struct idw_geodb *db = NULL;
    char err[256] = "";
    if (idw_geo_open(path, NULL, &db, err, sizeof err) != 0) {
        assert_null(db);
        if (!strstr(err, path))
            fail_msg("open error \"%s\" does not name %s", err, path);
        return;
    }
    int failures = 0;
    for (size_t i = 0; i < sizeof ips / sizeof ips[0]; i++) {
        struct idw_geo_result r;
        memset(&r, 0x5a, sizeof r);
        enum idw_rc rc = idw_geo_lookup(db, ips[i], &r, err, sizeof err);
        assert_true(rc == IDW_OK || rc == IDW_NOTFOUND || rc == IDW_ERR);
        if (rc == IDW_ERR) {
            failures++;
            assert_empty(&r);
            if (!strstr(err, path))
                fail_msg("lookup error \"%s\" does not name %s", err, path);
        }
    }
    assert_true(failures > 0);
    idw_geo_close(db);
}

static void test_corrupt_broken_double(void **state)
{
    (void)state;
    const char *path = data_path(0, BROKEN_DB);
    corrupt_db_fails_cleanly(path);

    /* What libmaxminddb 1.7 does: opens, then the double cannot be decoded. */
    struct idw_geodb *db = NULL;
    char err[256] = "";
    if (idw_geo_open(path, NULL, &db, err, sizeof err) != 0)
        return;
    struct idw_geo_result r;
    lookup_expect(db, "81.2.69.142", -1, &r, err, sizeof err);
    assert_non_null(strstr(err, "location.latitude"));
    assert_non_null(strstr(err, "bad data"));
    assert_empty(&r);       /* city was read before latitude failed: discarded */
    lookup_expect(db, "1.1.1.1", 0, &r, err, sizeof err);
    idw_geo_close(db);
}

static void test_corrupt_invalid_node_count(void **state)
{
    (void)state;
    const char *path = data_path(0, BADNODES_DB);
    corrupt_db_fails_cleanly(path);
    /* libmaxminddb 1.7 rejects it at open. */
    open_fails(path, NULL, "invalid metadata");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_city_and_asn),
        cmocka_unit_test(test_ipv4_london),
        cmocka_unit_test(test_ipv4_postal_and_first_subdivision),
        cmocka_unit_test(test_ipv4_city_and_asn_utf8),
        cmocka_unit_test(test_ipv6_city),
        cmocka_unit_test(test_ipv6_country_only),
        cmocka_unit_test(test_ipv4_mapped_ipv6),
        cmocka_unit_test(test_asn_telstra),
        cmocka_unit_test(test_asn_without_organisation),
        cmocka_unit_test(test_city_record_without_fields),
        cmocka_unit_test(test_address_not_in_databases),
        cmocka_unit_test(test_invalid_address),
        cmocka_unit_test(test_invalid_address_long_and_small_err),
        cmocka_unit_test(test_no_databases),
        cmocka_unit_test(test_single_database),
        cmocka_unit_test(test_open_missing_file),
        cmocka_unit_test(test_open_wrong_type),
        cmocka_unit_test(test_open_not_an_mmdb),
        cmocka_unit_test(test_open_without_out),
        cmocka_unit_test(test_corrupt_broken_double),
        cmocka_unit_test(test_corrupt_invalid_node_count),
    };
    return cmocka_run_group_tests_name("geo", tests, NULL, NULL);
}
