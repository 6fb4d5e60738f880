# An org whose connector state (okta_state: the cursor, the pause) cannot
# be read is never polled from scratch: `run` and `backfill` stop at once
# with an error naming the org, and the damaged record is left as it was
# for the operator.  The org URL is a closed local port, so even a broken
# build that did start polling would reach no network.
. "$ROOT/tests/integration/lib.sh"
command -v mdb_load > /dev/null || { echo "skip: mdb_load (lmdb-utils) not installed"; exit 0; }

cat > cfg.json <<JSON
{"db": "$WORK/db", "orgs": [{"domain_id": "acme", "org_url": "https://127.0.0.1:9", "custom_domain": true,
  "auth": {"method": "ssws", "token_env": "IDW_TEST_TOKEN"}, "timeout_s": 5}]}
JSON
export IDW_TEST_TOKEN=not-a-real-token
expect_rc 0 "$IDWATCH" --config cfg.json ingest --domain acme --file "$ROOT/data/sample-org.jsonl" > /dev/null

# a torn okta_state for acme
printf 'VERSION=3\nformat=print\ntype=btree\nHEADER=END\n okta_state\\00acme\\00\n {"next_url":"https://127.0.0.1:9/api/v1/lo\nDATA=END\n' |
    mdb_load -s meta "$WORK/db"

for cmd in "run --once" "backfill"; do
    expect_rc 1 timeout 20 "$IDWATCH" --config cfg.json $cmd > run.out 2> run.err
    grep -q 'acme: the connector state (okta_state) cannot be read' run.err ||
        { cat run.err; fail "$cmd: no error naming the org"; }
    grep -q 'first poll\|backfill:' run.err && fail "$cmd: started over without its cursor"
    echo "ok: $cmd refuses an unreadable connector state"
done
mdb_dump -p -s meta "$WORK/db" | grep -q '"next_url":"https://127.0.0.1:9/api/v1/lo$' ||
    fail "the damaged state was overwritten"
echo "ok: the damaged state is left for the operator"
