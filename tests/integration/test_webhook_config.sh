# Webhook configuration errors surface when the configuration loads, in
# every command that raises alerts (ingest, run, backfill), not days later
# at delivery: a missing or unsafe secret file, a URL with CR/LF or without
# https, a missing CA file.  Nothing is ingested by the refused command.
. "$ROOT/tests/integration/lib.sh"
SAMPLE="$ROOT/data/sample-org.jsonl"
umask 077
printf 'a-webhook-secret-of-some-length\n' > secret
: > ca.pem

check() {   # check NAME WEBHOOK-JSON EXPECTED-MESSAGE
    printf '{"db": "%s/db-%s", "webhooks": [%s]}\n' "$WORK" "$1" "$2" > "$1.json"
    expect_rc 1 "$IDWATCH" --config "$1.json" ingest --file "$SAMPLE" > "$1.out" 2> "$1.err"
    grep -q "$3" "$1.err" || { cat "$1.err"; fail "$1: expected '$3'"; }
    grep -q 'a-webhook-secret' "$1.err" && fail "$1: the secret was printed"
    [ ! -e "$WORK/db-$1/data.mdb" ] || [ "$("$IDWATCH" --db "$WORK/db-$1" persona list --json | wc -l)" = 0 ] ||
        fail "$1: events were ingested"
    echo "ok: $1 refused"
}
check no-secret '{"url": "https://127.0.0.1:9/h", "secret_file": "'"$WORK"'/nope"}' 'webhooks\[0\].secret'
check crlf '{"url": "https://127.0.0.1:9/h\r\nX-Evil: 1", "secret_file": "'"$WORK"'/secret"}' \
    'webhooks\[0\].url: contains a space or control character'
check http '{"url": "http://127.0.0.1:9/h", "secret_file": "'"$WORK"'/secret"}' 'webhooks\[0\].url: expected an https'
check no-host '{"url": "https://", "secret_file": "'"$WORK"'/secret"}' 'webhooks\[0\].url: expected an https'
check no-ca '{"url": "https://127.0.0.1:9/h", "secret_file": "'"$WORK"'/secret", "ca_file": "'"$WORK"'/missing.pem"}' \
    'webhooks\[0\].ca_file: .*missing.pem: No such file'
check ca-dir '{"url": "https://127.0.0.1:9/h", "secret_file": "'"$WORK"'/secret", "ca_file": "'"$WORK"'"}' \
    'webhooks\[0\].ca_file: .*not a regular file'
ln -s secret secret-link
check secret-link '{"url": "https://127.0.0.1:9/h", "secret_file": "'"$WORK"'/secret-link"}' 'webhooks\[0\].secret'

# a good one is accepted
printf '{"db": "%s/db-good", "webhooks": [{"url": "https://127.0.0.1:9/h", "secret_file": "%s/secret", "ca_file": "%s/ca.pem"}]}\n' \
    "$WORK" "$WORK" "$WORK" > good.json
expect_rc 0 "$IDWATCH" --config good.json ingest --file "$SAMPLE" > /dev/null
echo "webhook config: ok"
