# `idwatch ingest` over every input form, recognised from the content and
# never from the file name: JSON Lines, a pretty-printed array, one
# pretty-printed object, concatenated arrays and objects, JSON Lines whose
# lines are arrays; gzip of them (the gzip command, python, concatenated
# members); standard input through a pipe, plain and gzip.  Every element
# of every array is counted.  A truncated gzip keeps the events before the
# cut and says where it broke.  Data-lake events without a uuid get a
# stable derived one, so re-ingesting de-duplicates.
. "$ROOT/tests/integration/lib.sh"

# six distinct sign-in events, one per line
python3 - <<'PY' > six.jsonl
from oktaev import *
T = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
dump_jsonl([signin(person("f%d" % i, "00uform%d" % i), T + i * M, net("198.51.100.%d" % (i + 1)), uuid="form-%d" % i)
            for i in range(6)])
PY
# the same six events in each form (file names say nothing about the form)
python3 - <<'PY'
import json, gzip
ev = [json.loads(l) for l in open("six.jsonl")]
c = lambda e: json.dumps(e, separators=(",", ":"))
open("array.txt", "w").write(json.dumps(ev, indent=2) + "\n")
open("concat-arrays.txt", "w").write("[" + ",".join(map(c, ev[:2])) + "][" + c(ev[2]) + "][]\n[" + ",".join(map(c, ev[3:])) + "]")
open("concat-objects.txt", "w").write("".join(map(c, ev[:3])) + "\n" + "\n".join(json.dumps(e, indent=1) for e in ev[3:]))
open("lines-with-arrays.txt", "w").write(c(ev[0]) + "\n[" + c(ev[1]) + "," + c(ev[2]) + "]\n" + c(ev[3]) + "\n[" + c(ev[4]) + "]\n" + c(ev[5]) + "\n")
open("one-pretty.txt", "w").write(json.dumps(ev[0], indent=4) + "\n")
with gzip.open("python-array.json", "wt") as f:      # gzip content, plain-looking name
    json.dump(ev, f)
PY
n=0
# accepted FILE COUNT WHAT: a fresh database accepts COUNT events from FILE, rejects none, exits 0
accepted() {
    n=$((n + 1))
    set +e
    "$IDWATCH" --db "$WORK/db$n" ingest --file "$1" --json > "sum$n.json" 2> "err$n.txt"
    rc=$?
    set -e
    expect_eq "$(jget "sum$n.json" '(j["accepted"], j["rejected"], j["complete"])') exit $rc" \
        "($2, 0, True) exit 0" "$3"
}
accepted six.jsonl 6 "JSON Lines"
accepted array.txt 6 "pretty-printed array"
accepted one-pretty.txt 1 "one pretty-printed object"
accepted concat-arrays.txt 6 "concatenated arrays, every element counted"
accepted concat-objects.txt 6 "concatenated objects, compact and pretty"
accepted lines-with-arrays.txt 6 "JSON Lines with array lines, every element counted"

gzip -c six.jsonl > six.jsonl.gz
accepted six.jsonl.gz 6 "gzip (gzip command) of JSON Lines"
accepted python-array.json 6 "gzip (python) of an array, named .json"
gzip -c concat-arrays.txt > concat.gz
accepted concat.gz 6 "gzip of concatenated arrays"
head -3 six.jsonl | gzip -c > a.gz
tail -3 six.jsonl | gzip -c > b.gz
cat a.gz b.gz > members.gz
accepted members.gz 6 "concatenated gzip members (cat a.gz b.gz)"
cp six.jsonl plain-named.gz
accepted plain-named.gz 6 "plain JSON Lines named .gz"

# standard input through a pipe, plain and gzip
"$IDWATCH" --db "$WORK/db-pipe" ingest --file - --json < array.txt > pipe1.json
expect_eq "$(jget pipe1.json 'j["accepted"]')" 6 "stdin: a pretty array"
gzip -c lines-with-arrays.txt | "$IDWATCH" --db "$WORK/db-pipe2" ingest --file - --json > pipe2.json
expect_eq "$(jget pipe2.json '(j["accepted"], j["rejected"])')" "(6, 0)" "stdin: gzip through a pipe"
# the piped events were really applied: a second pass finds them all
gzip -c six.jsonl | "$IDWATCH" --db "$WORK/db-pipe2" ingest --file - --json > pipe3.json
expect_eq "$(jget pipe3.json '(j["accepted"], j["duplicates"])')" "(0, 6)" "stdin: gzip again, all duplicates"

# a truncated gzip stream: the events before the cut are kept, the error says where
python3 - <<'PY'
import gzip
from oktaev import *
T = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
with open("big.jsonl", "w") as f:        # a long displayMessage makes the file big
    dump_jsonl([signin(person("b%d" % (i % 50), "00ubig%d" % (i % 50)), T, net("198.51.100.9"), uuid="big-%05d" % i,
                       display_message="%0200d" % i) for i in range(4000)], f)
data = gzip.compress(open("big.jsonl", "rb").read())
open("cut.gz", "wb").write(data[: len(data) // 2])
PY
expect_rc 3 "$IDWATCH" --db "$WORK/db-cut" ingest --file cut.gz --json > cut.json 2> cut.err
cat cut.err
kept=$(jget cut.json 'j["accepted"]')
[ "$kept" -gt 500 ] && [ "$kept" -lt 4000 ] || fail "truncated gzip: accepted $kept, expected the events before the cut"
echo "ok: truncated gzip kept $kept events"
expect_eq "$(jget cut.json 'j["complete"]')" False "truncated gzip is not complete"
grep -q 'gzip stream truncated: input ends inside member 1 at compressed byte [0-9]* (decompressed byte [0-9]*)' cut.err ||
    fail "truncated gzip: no error naming the offsets"
expect_eq "$("$IDWATCH" --db "$WORK/db-cut" persona list --json | wc -l | tr -d ' ')" 50 "personas from the kept events"

# errors name the event, its line and its (decompressed) byte offset
{ head -2 six.jsonl; echo '{"uuid":"x","published":12,"eventType":"user.session.start"}'; echo '{"uuid":tru}'; tail -1 six.jsonl; } | gzip -c > errs.gz
expect_rc 3 "$IDWATCH" --db "$WORK/db-errs" ingest --file errs.gz --json > errs.json 2> errs.err
cat errs.err
expect_eq "$(jget errs.json '(j["accepted"], j["rejected"])')" "(3, 2)" "good events around two bad ones"
grep -q 'event 3 (line 3, decompressed byte [0-9]*): rejected: published: expected an ISO 8601 string, got number' errs.err ||
    fail "wrong-typed published not reported with event, line and byte"
grep -q 'event 4 (line 4, decompressed byte [0-9]*): malformed: invalid JSON' errs.err || fail "invalid JSON not located"

# data-lake shaped events (Panther's test events): lower-case keys, "YYYY-MM-DD HH:MM:SS.fff" times,
# no uuid.  Ingested twice: the derived uuids make the second pass all duplicates.
DL="$ROOT/data/fixtures/datalake-panther.jsonl"
sed -n 3p "$DL" > nouuid.jsonl
"$IDWATCH" --db "$WORK/db-dl" ingest --file nouuid.jsonl --json --emit-normalized dl.norm.jsonl > dl1.json
expect_eq "$(jget dl1.json 'j["accepted"]')" 1 "a data-lake event without uuid is accepted"
expect_eq "$(jlines dl.norm.jsonl '[r["context"]["uuid_derived"] for r in rows]')" "[True]" "its uuid is marked derived"
"$IDWATCH" --db "$WORK/db-dl" ingest --file nouuid.jsonl --json > dl2.json
expect_eq "$(jget dl2.json '(j["accepted"], j["duplicates"])')" "(0, 1)" "re-ingested: a duplicate"
"$IDWATCH" --db "$WORK/db-dl2" ingest --file "$DL" --json --emit-normalized dl.all.jsonl > dl3.json
# (system.mfa.factor.deactivate is in the classification table now: 4 accepted)
expect_eq "$(jget dl3.json '(j["accepted"], j["skipped_type"], j["rejected"])')" "(4, 0, 0)" "the Panther fixture"
expect_eq "$(jlines dl.all.jsonl '[r["timestamp"] for r in rows]')" \
    "['2024-04-02T19:17:37.621Z', '2022-11-22T18:48:49.177Z', '2022-03-22T14:21:53.225Z', '2022-03-22T14:21:53.225Z']" \
    "data-lake times read as UTC"
expect_eq "$(jlines dl.all.jsonl '[r["context"]["category"] for r in rows]')" \
    "['AUTH', 'ACCOUNT', 'IMPERSONATION', 'MFA_CONFIG']" "data-lake categories"
