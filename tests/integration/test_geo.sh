# GeoIP/ASN enrichment with MaxMind's test databases (data/geoip): events
# without Okta's location get one; a broken database is a clear error.
. "$ROOT/tests/integration/lib.sh"
G=$ROOT/data/geoip
cat > cfg.json <<JSON
{"geoip": {"city_db": "$G/GeoIP2-City-Test.mmdb", "asn_db": "$G/GeoLite2-ASN-Test.mmdb"}}
JSON
# 81.2.69.142 is London in the City test database; 1.128.0.1 is AS1221 in the ASN one
python3 - <<'PY' > ev.jsonl
from oktaev import *
T, geo = datetime.datetime(2026, 3, 16, 8, 0, tzinfo=UTC), person("geo", "00uGEO")
dump_jsonl([signin(geo, T, net("81.2.69.142"), uuid="g1"),               # no place, no AS from Okta
            signin(geo, T + H, net("1.128.0.1"), uuid="g2"),
            signin(geo, T + 2 * H, net("81.2.69.142", 64500, "Okta Says", "Okta City", "Oktaland", 1.0, 2.0), uuid="g3")])
PY
"$IDWATCH" --config cfg.json --db db ingest --file ev.jsonl --json --emit-normalized norm.jsonl > sum.json
expect_eq "$(jget sum.json 'j["enriched"]')" 2 "events enriched"
expect_eq "$(jlines norm.jsonl 'rows[0]["payload"]["city"]')" London "city from GeoIP"
expect_eq "$(jlines norm.jsonl 'rows[0]["context"]["geo_source"]')" geoip "geo source marked"
expect_eq "$(jlines norm.jsonl 'rows[0]["raw_metadata"]["geo_city"]')" None "raw_metadata stays raw"
expect_eq "$(jlines norm.jsonl 'rows[1]["context"]["asn"]')" 1221 "ASN from GeoIP"
expect_eq "$(jlines norm.jsonl 'rows[2]["payload"]["city"]')" "Okta City" "Okta's own location wins"
expect_eq "$(jlines norm.jsonl 'rows[2]["context"]["asn"]')" 64500 "Okta's own ASN wins"
"$IDWATCH" --config cfg.json --db db persona show geo@acme.example --json > p.json
expect_eq "$(jget p.json 'sorted(v["value"] for v in j["dimensions"]["asns"])')" "['AS1221', 'AS64500']" "persona ASNs"

# broken databases fail cleanly, naming the file
for bad in GeoIP2-City-Test-Broken-Double-Format.mmdb GeoIP2-City-Test-Invalid-Node-Count.mmdb missing.mmdb; do
    cat > bad.json <<JSON
{"geoip": {"city_db": "$G/$bad"}}
JSON
    set +e
    "$IDWATCH" --config bad.json --db db2 ingest --file ev.jsonl > out.txt 2> err.txt
    rc=$?
    set -e
    # a database that opens but is corrupt inside may only fail per lookup: never a crash
    [ "$rc" = 1 ] || [ "$rc" = 0 ] || fail "$bad: exit $rc"
    # either way the operator is told, with the file's name
    grep -q "$bad" err.txt || fail "$bad: nothing names the file: $(cat err.txt)"
    if [ "$rc" = 0 ]; then grep -q 'geoip lookup failed' err.txt || fail "$bad: lookup failure not reported"; fi
    echo "ok: $bad -> exit $rc"
done
