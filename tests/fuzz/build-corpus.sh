#!/bin/sh
# Builds the fuzzers' seed corpora from the repository's own data, so no
# corpus blob is committed (tests/fuzz/README.md lists what each gets):
#
#   sh tests/fuzz/build-corpus.sh OUT SEED IDWATCH GEN_EVENTS
#
#   OUT         build/fuzz: writes OUT/seeds/<harness>/, OUT/rule-events.jsonl
#               (fuzz_rules' fixed events) and OUT/okta.dict (a libFuzzer
#               dictionary of the Okta LogEvent keys and enum values)
#   SEED        build/tests/fuzz_seed (tests/fuzz/seed_helper.c)
#   IDWATCH     build/idwatch, to produce real alert documents
#   GEN_EVENTS  build/tools/gen-events, for the labelled attacks
#
# Deterministic: the same tree gives the same seeds.  Run from the
# repository root.
set -eu
OUT=$1 SEED=$2 IDWATCH=$3 GEN=$4
S=$OUT/seeds
rm -rf "$S" && mkdir -p "$S"
for h in replay normalize config rules persona_codec alert http_headers pipeline; do
    mkdir -p "$S/fuzz_$h"
done
tmp=$(mktemp -d /tmp/idw-fuzz-corpus.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# Labelled attacks: the events inside each attack's window.
"$GEN" --users 12 --days 16 --attacks --labels "$tmp/labels.jsonl" --out "$tmp/attacks-org.jsonl" \
    2>/dev/null
# The embedded default configuration and the rule table order.
"$SEED" default-config > "$S/fuzz_config/default.json"
"$SEED" rule-ids > "$tmp/rule-ids"
# Personas learned from the fixture and from the sample org.
"$SEED" personas data/fixtures/persona-fixture.jsonl "$tmp"
mkdir -p "$tmp/p2" && head -n 1500 data/sample-org.jsonl > "$tmp/sample-head.jsonl"
"$SEED" personas "$tmp/sample-head.jsonl" "$tmp/p2"
cp "$tmp"/persona-* "$S/fuzz_persona_codec/"
for f in "$tmp"/p2/persona-*; do cp "$f" "$S/fuzz_persona_codec/sample-$(basename "$f")"; done

python3 - "$OUT" "$S" "$tmp" <<'PY'
import glob, json, os, re, sys
out, S, tmp = sys.argv[1:4]

def put(harness, name, data):
    mode = 'wb' if isinstance(data, bytes) else 'w'
    with open(os.path.join(S, harness, name), mode) as f:
        f.write(data)

sample = open('data/sample-org.jsonl').read().splitlines()

# Single events: up to 6 of each eventType of the sample org (all types, few files).
seen = {}
singles = []
for line in sample:
    t = json.loads(line).get('eventType')
    if seen.get(t, 0) < 6:
        seen[t] = seen.get(t, 0) + 1
        singles.append(line)
for i, line in enumerate(singles):
    put('fuzz_normalize', 'sample-%03d.json' % i, line)
    put('fuzz_replay', 'sample-%03d.jsonl' % i, line + '\n')

# Public corpus excerpts and fixtures: whole files for the stream harnesses,
# one event per file for the normalizer.
files = sorted(glob.glob('data/corpus/*/*') + glob.glob('data/fixtures/*.jsonl'))
for path in files:
    name = path.replace('/', '_')
    text = open(path).read()
    put('fuzz_replay', name, text)
    put('fuzz_pipeline', name, text)
    if text.lstrip().startswith('['):
        put('fuzz_normalize', name, text)          # a whole /api/v1/logs page
        continue
    for i, line in enumerate(l for l in text.splitlines() if l.strip()):
        put('fuzz_normalize', '%s-%d' % (name, i), line)
put('fuzz_normalize', 'golden-seed-source.json', open('data/golden/seed-source.json').read())

# Streams: runs of 25 consecutive sample events, as JSON Lines and as an array.
for k, start in enumerate(range(0, len(sample), len(sample) // 12)):
    chunk = sample[start:start + 25]
    put('fuzz_pipeline', 'sample-run-%02d.jsonl' % k, '\n'.join(chunk) + '\n')
    if k % 3 == 0:
        put('fuzz_replay', 'sample-run-%02d.json' % k, '[\n' + ',\n'.join(chunk) + '\n]\n')

# Attacks: each label's window of events.
labels = [json.loads(l) for l in open(os.path.join(tmp, 'labels.jsonl'))]
org = open(os.path.join(tmp, 'attacks-org.jsonl')).read().splitlines()
inside = []
for lab in labels:
    ev = [l for l in org if lab['first'] <= json.loads(l)['published'] <= lab['last']]
    inside += [l for l in ev if l not in inside]
    put('fuzz_pipeline', 'attack-%s.jsonl' % lab['name'].replace('/', '-'), '\n'.join(ev) + '\n')
with open(os.path.join(out, 'rule-events.jsonl'), 'w') as f:
    f.write('\n'.join(inside) + '\n')

# Rule settings: each shipped file behind its rule's index byte.
ids = open(os.path.join(tmp, 'rule-ids')).read().split()
for i, rid in enumerate(ids):
    path = 'rules/%s.json' % rid
    if os.path.exists(path):
        put('fuzz_rules', rid + '.json', bytes([i]) + open(path, 'rb').read())
    put('fuzz_rules', rid + '-disabled.json', bytes([i]) + b'{"enabled": false}')

# Configurations: the JSON examples of the docs.
for doc in sorted(glob.glob('docs/*.md')):
    for i, block in enumerate(re.findall(r'```json\n(.*?)```', open(doc).read(), re.S)):
        try:
            j = json.loads(block)
        except ValueError:
            continue
        if isinstance(j, dict) and ('orgs' in j or 'webhooks' in j or 'db' in j):
            put('fuzz_config', '%s-%d.json' % (os.path.basename(doc), i), block)

# Link and Date headers: the recorded Okta response, plus merged/odd forms.
hdr = open('tests/okta_sim/recorded/headers.txt').read().replace('{HOST}', 'acme.okta.com')
links = [l.split(':', 1)[1].strip() for l in hdr.splitlines() if l.lower().startswith('link:')]
for i, v in enumerate(links):
    put('fuzz_http_headers', 'link-%d' % i, v)
put('fuzz_http_headers', 'link-merged', ', '.join(links))
put('fuzz_http_headers', 'link-multi-rel', '<https://a.okta.com/x?a="1,2">; rel="prev next"; title="a, b"')
put('fuzz_http_headers', 'link-unquoted', '<https://a.okta.com/y>;rel=next')
put('fuzz_http_headers', 'date', 'Sun, 06 Nov 1994 08:49:37 GMT')

# A libFuzzer dictionary: every key and short enum value of the sample events.
tokens = set()
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            tokens.add(k); walk(x)
    elif isinstance(v, list):
        for x in v: walk(x)
    elif isinstance(v, str) and len(v) <= 40 and re.fullmatch(r'[A-Za-z0-9_.:@ -]+', v):
        tokens.add(v)
for line in sample[::10]:
    walk(json.loads(line))
with open(os.path.join(out, 'okta.dict'), 'w') as f:
    for t in sorted(tokens)[:3000]:
        f.write('"%s"\n' % t.replace('\\', '\\\\').replace('"', '\\"'))
    for t in ['{', '}', '[', ']', ':', ',', 'null', 'true', 'false', '\\u0000', '\\"', '1e999', '-0']:
        f.write('"%s"\n' % t.replace('\\', '\\\\').replace('"', '\\"'))
PY

# Alerts: what idwatch itself stores for the attacks.
"$IDWATCH" --db "$tmp/db" ingest --file "$tmp/attacks-org.jsonl" >/dev/null 2>&1
"$IDWATCH" --db "$tmp/db" alerts list --json 2>/dev/null > "$tmp/alerts.jsonl" || true
n=0
while IFS= read -r line; do
    n=$((n + 1))
    printf '%s' "$line" > "$S/fuzz_alert/alert-$n.json"
done < "$tmp/alerts.jsonl"

for d in "$S"/*; do
    printf '%s: %s seeds\n' "$(basename "$d")" "$(ls "$d" | wc -l)"
done
