# `status` and `metrics` read the database only.  A document they cannot
# read (here a torn ingest_stats record, written with lmdb-utils'
# mdb_load) fails them with an error naming the document and the org: a
# status made of zeros would look like an org that ingested nothing.
. "$ROOT/tests/integration/lib.sh"
command -v mdb_load > /dev/null || { echo "skip: mdb_load (lmdb-utils) not installed"; exit 0; }

expect_rc 0 idw ingest --file "$ROOT/data/sample-org.jsonl" > /dev/null
expect_rc 0 idw status --json > good.json
expect_eq "$(jget good.json 'j["orgs"][0]["events_ingested"]')" 3035 "events ingested before the damage"

# replace the org's ingest_stats with a torn JSON document
printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\n ingest_stats\\00default\\00\n {"accepted":30\nDATA=END\n' |
    mdb_load -s meta "$WORK/db"

expect_rc 1 idw status --json > bad.json 2> bad.err
grep -q 'cannot read ingest_stats of default: meta ingest_stats of default: corrupt' bad.err ||
    { cat bad.err; fail "status: no error naming the document"; }
[ -s bad.json ] && fail "status printed a document despite the unreadable record"
expect_rc 1 idw status > /dev/null 2> bad2.err
grep -q 'cannot read ingest_stats of default' bad2.err || { cat bad2.err; fail "status (text)"; }
expect_rc 1 idw metrics > bad.prom 2> bad3.err
grep -q 'cannot read ingest_stats of default' bad3.err || { cat bad3.err; fail "metrics"; }
[ -s bad.prom ] && fail "metrics printed zeros despite the unreadable record"
echo "ok: status and metrics refuse an unreadable document"
