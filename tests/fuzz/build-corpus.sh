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
# Deterministic, except fuzz_key's key files (fresh test-only keys each
# run, so no key is committed): the same tree gives the same seeds.  Also
# writes OUT/okta-http.dict and OUT/jwk.dict.  Run from the repository root.
set -eu
OUT=$1 SEED=$2 IDWATCH=$3 GEN=$4
S=$OUT/seeds
rm -rf "$S" && mkdir -p "$S"
for h in replay normalize config rules persona_codec alert http_headers pipeline \
         http_response okta_token okta_answer key sigma evrec_codec review_body wal command snapshot_manifest alertstream status; do
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
# Kept-event records of the fixture's events and of the sample org's first ones.
"$SEED" evrecs data/fixtures/persona-fixture.jsonl "$S/fuzz_evrec_codec"
head -n 200 data/sample-org.jsonl > "$tmp/sample-200.jsonl"
mkdir -p "$tmp/ev2" && "$SEED" evrecs "$tmp/sample-200.jsonl" "$tmp/ev2"
for f in "$tmp"/ev2/evrec-*; do cp "$f" "$S/fuzz_evrec_codec/sample-$(basename "$f")"; done
# Key files in every form idw_key_parse reads (fresh test-only keys each run).
"$SEED" keys "$S/fuzz_key"

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
    # the same run as a write-ahead-log page (src/cluster/wal.h), a first one and a later one
    put('fuzz_wal', 'sample-page-%02d.json' % k, json.dumps({
        'org': 'acme', 'cursor_polled': '' if k == 0 else 'https://acme.okta.com/api/v1/logs?after=%d' % k,
        'next_cursor': 'https://acme.okta.com/api/v1/logs?after=%d' % (k + 1), 'fetched_at': 1789000000000 + k,
        'events': [json.loads(l) for l in chunk]}))

# A rules message (src/cluster/rulepack.h): two rule files, deflated, with their fingerprint
import base64, hashlib, zlib
rfiles = [{'path': 'brute_force.json', 'text': '{"enabled": false}\n'},
          {'path': 'okta/a.yml', 'text': 'title: a\nlogsource: {product: okta}\n'}]
rlist = json.dumps(rfiles, separators=(',', ':')).encode()
rfp = hashlib.sha256()
for f in rfiles:
    t = f['text'].encode()
    rfp.update(f['path'].encode() + b'\0' + len(t).to_bytes(8, 'big') + t)
put('fuzz_wal', 'rules-0.json', json.dumps({
    'v': 2, 'type': 'rules', 'release': '0.1.0', 'fingerprint': rfp.hexdigest(), 'at': 1789000000000,
    'by': 'ops', 'id': '%032x' % 7, 'size': len(rlist),
    'files_z': base64.b64encode(zlib.compress(rlist)).decode()}))

# Snapshot manifests (src/cluster/snapshot.h): one chunk, many, the largest partition
for k, (chunks, size) in enumerate(((1, 4096), (10, 9 * 262144 + 5), (40, 40 * 262144))):
    put('fuzz_snapshot_manifest', 'manifest-%d.json' % k, json.dumps({
        'v': 1, 'partition': [0, 7, 4095][k], 'snap_id': '%032x' % (k + 1), 'applied_seq': 126 + k,
        'first_chunk_seq': 12 + k, 'chunks': chunks, 'bytes': size, 'sha256': '%064x' % (k + 7),
        'created_at': 1789000000000 + k, 'idwatch_version': '0.1.0'}, separators=(',', ':')))
# Worker heartbeats (src/cluster/status.h): no partition, one with orgs held and paused, many.
for k in range(3):
    parts = [{'p': p, 'applied_seq': 10 * p + k, 'stream_last_seq': 10 * p + k + 1, 'snapshot_seq': p,
              'snapshot_at': 1789000000000 if p else 0,
              'orgs': [{'org': 'org%d.%d' % (p, i), 'cursor_set': i % 2 == 0, 'held': i == 1, 'paused': i == 2}
                       for i in range(k + 1)]} for p in range(k * 2)]
    put('fuzz_status', 'heartbeat-%d.json' % k, json.dumps({
        'v': 1, 'slot': k, 'slots': 3 + k, 'host': 'worker-%d.example' % k, 'pid': 100 + k,
        'at': 1789000000000 + k, 'started_at': 1788999000000, 'partitions': parts}, separators=(',', ':')))
# Alerts-stream envelopes (src/cluster/alertstream.h): an alert's and an incident's versions.
for k, org in enumerate(('acme', 'acme.eu', 'beta_1')):
    aid = '3f2a9c1e-0000-4000-8000-%012d' % k
    alert = {'alert_id': aid, 'version': k + 1, 'domain_id': org, 'rule': 'brute_force', 'severity': 'high',
             'status': 'open', 'incident_id': 'inc-%d' % k, 'summary': 'seed %d' % k}
    inc = {'type': 'incident', 'incident_id': 'inc-%d' % k, 'version': k + 2, 'domain_id': org,
           'severity': 'high', 'status': 'open'}
    put('fuzz_alertstream', 'alert-%d.json' % k, json.dumps(
        {'v': 1, 'kind': 'alert', 'org': org, 'id': aid, 'version': k + 1, 'payload': alert}))
    put('fuzz_alertstream', 'incident-%d.json' % k, json.dumps(
        {'v': 1, 'kind': 'incident', 'org': org, 'id': 'inc-%d' % k, 'version': k + 2, 'payload': inc}))
    put('fuzz_alertstream', 'payload-%d.json' % k, json.dumps(alert))

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

# The cluster object's NATS TLS and credential settings (the harness points every file at its own).
put('fuzz_config', 'nats-tls-token.json', '{"db": "d", "cluster": {"nats": ["tls://10.0.0.1:4222"], '
    '"nats_ca_file": "ca.pem", "nats_token_file": "t"}}')
put('fuzz_config', 'nats-mtls-user.json', '{"db": "d", "cluster": {"nats": ["nats://a:1", "nats://b:2"], '
    '"nats_ca_file": "ca.pem", "nats_tls_name": "nats.internal", "nats_cert_file": "c.pem", '
    '"nats_key_file": "k", "nats_user": "idwatch", "nats_password_file": "p"}}')
put('fuzz_config', 'nats-two-methods.json', '{"db": "d", "cluster": {"nats": ["nats://[::1]:4222"], '
    '"nats_creds_file": "c", "nats_token_file": "t"}}')

# Link and Date headers: the recorded Okta response, plus merged/odd forms.
hdr = open('tests/okta_sim/recorded/headers.txt').read().replace('{HOST}', 'acme.okta.com')
links = [l.split(':', 1)[1].strip() for l in hdr.splitlines() if l.lower().startswith('link:')]
for i, v in enumerate(links):
    put('fuzz_http_headers', 'link-%d' % i, v)
put('fuzz_http_headers', 'link-merged', ', '.join(links))
put('fuzz_http_headers', 'link-multi-rel', '<https://a.okta.com/x?a="1,2">; rel="prev next"; title="a, b"')
put('fuzz_http_headers', 'link-unquoted', '<https://a.okta.com/y>;rel=next')
put('fuzz_http_headers', 'date', 'Sun, 06 Nov 1994 08:49:37 GMT')

# Okta's answers, as HTTP responses (status line, headers, blank line, body):
# the recorded /api/v1/logs answer, and the errors and token answers the
# simulator gives (tests/okta_sim/okta_sim.py), with the headers that go
# with them.
def response(status, headers, body=''):
    reason = {200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
              429: 'Too Many Requests', 500: 'Internal Server Error'}.get(status, 'Status')
    head = ['HTTP/1.1 %d %s' % (status, reason)] + ['%s: %s' % h for h in headers]
    return '\r\n'.join(head) + '\r\n\r\n' + body

DATE = 'Fri, 04 Dec 2026 10:00:00 GMT'
rec = (open('tests/okta_sim/recorded/headers.txt').read().replace('{HOST}', 'fuzz.okta.com')
       .replace('{DATE}', DATE).replace('{RESET}', '1796378460').replace('{RESET_LATE}', '1796378520'))
rec_head = '\r\n'.join(l for l in rec.splitlines() if l.strip()) + '\r\n\r\n'
put('fuzz_http_response', 'recorded', rec_head)
put('fuzz_okta_answer', 'recorded', rec_head + open('tests/okta_sim/recorded/body.json').read())
sim = open('tests/okta_sim/okta_sim.py').read()
www = re.findall(r'"WWW-Authenticate": \'([^\']*)\'', sim)
rate = [('X-Rate-Limit-Limit', '600'), ('X-Rate-Limit-Remaining', '0'), ('X-Rate-Limit-Reset', '1796378460')]
heads = {
    'retry-after-seconds': response(429, [('Date', DATE), ('Retry-After', '30')] + rate),
    'retry-after-date': response(503, [('Date', DATE), ('Retry-After', 'Fri, 04 Dec 2026 10:05:00 GMT')]),
    'retry-after-huge': response(429, [('Retry-After', '999999999999999999999')]),
    'concurrency': response(429, [('X-Rate-Limit-Limit', '0'), ('X-Rate-Limit-Remaining', '0'),
                                  ('X-Rate-Limit-Reset', '1796378460')]),
    'dpop-nonce': response(400, [('DPoP-Nonce', 'eyJ7S_zG.eyJH0-Z.HX4w-7v'), ('WWW-Authenticate',
                                 'DPoP error="use_dpop_nonce", error_description="Resource server requires '
                                 'nonce in DPoP proof"')]),
    'links-merged': response(200, [('Link', '<https://fuzz.okta.com/api/v1/logs?a="1,2">; rel="self", '
                                            '<https://fuzz.okta.com/api/v1/logs?after=9>; rel="prev next"')]),
}
for i, w in enumerate(www):
    heads['www-authenticate-%d' % i] = response(401, [('WWW-Authenticate', w), ('X-Okta-Request-Id', 'aQn3s2Xy1Z')])
for name, text in heads.items():
    put('fuzz_http_response', name, text)
for i, (st, code, summary) in enumerate(re.findall(r'api_error\((\d+|st), "(E\d+)", "([^"]*)"', sim)):
    body = json.dumps({'errorCode': code, 'errorSummary': summary, 'errorLink': code,
                       'errorId': 'oae3b2c1d0e9f8a7b6c', 'errorCauses': []})
    put('fuzz_okta_answer', 'api-error-%d' % i,
        response(int(st) if st.isdigit() else 500, [('X-Okta-Request-Id', 'aQn3s2Xy1Z')] + rate[:2], body))
for i, w in enumerate(www):
    put('fuzz_okta_answer', 'www-authenticate-%d' % i, response(403 if 'scope' in w else 401,
                                                                [('WWW-Authenticate', w)]))
# The hostile next links of tests/integration/test_okta_nextlink.sh, aimed at the harness's org.
nl = open('tests/integration/test_okta_nextlink.sh').read()
query = 'after=1795428902123_1&limit=20&sortOrder=ASCENDING'
for i, link in enumerate(re.findall(r"""['"]([^'"\s]*\{QUERY\}[^'"\s]*)['"]""", nl)):
    link = (link.replace('{BASE}', 'https://fuzz.okta.com').replace('{PORT}', '443')
            .replace('$other', '8443').replace('{QUERY}', query))
    put('fuzz_okta_answer', 'next-link-%d' % i, response(200, [('Link', '<%s>; rel="next"' % link)], '[]'))
put('fuzz_okta_answer', 'next-link-custom-port',
    response(200, [('Link', '<https://127.0.0.1:8443/api/v1/logs?%s>; rel="next"' % query)], '[]'))
# The token endpoint: the success shapes, and every OAuth error the simulator raises.
token = {'token_type': 'Bearer', 'expires_in': 3600, 'scope': 'okta.logs.read',
         'access_token': 'eyJraWQiOiJmdXp6In0.eyJzdWIiOiIwb2EifQ.c2lnbmF0dXJl'}
put('fuzz_okta_token', 'bearer', response(200, [('Content-Type', 'application/json')], json.dumps(token)))
put('fuzz_okta_token', 'dpop', response(200, [], json.dumps(dict(token, token_type='DPoP'))))
put('fuzz_okta_token', 'rate-limited', response(429, rate, json.dumps({'errorCode': 'E0000047'})))
put('fuzz_okta_token', 'server-error', response(500, []))
for i, (st, err, desc) in enumerate(re.findall(r'oauth_error\((\d+), "([^"]+)", "([^"]*)"', sim)):
    hdrs = [('DPoP-Nonce', 'bmV3LW5vbmNlLTE')] if err == 'use_dpop_nonce' else []
    put('fuzz_okta_token', 'oauth-error-%d' % i,
        response(int(st), hdrs, json.dumps({'error': err, 'error_description': desc})))

# Dictionaries of the HTTP answer harnesses and of the key harness.
def write_dict(name, tokens):
    with open(os.path.join(out, name), 'w') as f:
        for t in tokens:
            # libFuzzer reads \\, \" and \xNN escapes only
            f.write('"%s"\n' % ''.join('\\x%02X' % ord(c) if c in '\\"' or not ' ' <= c <= '~' else c
                                          for c in t))
write_dict('okta-http.dict', [
    'HTTP/1.1 200 OK\r\n', 'HTTP/1.1 400 ', 'HTTP/1.1 401 ', 'HTTP/1.1 429 ', 'HTTP/1.1 503 ', '\r\n', '\r\n\r\n',
    'X-Rate-Limit-Limit: ', 'X-Rate-Limit-Remaining: ', 'X-Rate-Limit-Reset: ', 'Retry-After: ', 'Date: ',
    'X-Okta-Request-Id: ', 'DPoP-Nonce: ', 'WWW-Authenticate: ', 'Link: ', '; rel="next"', 'rel=', '<', '>',
    'https://fuzz.okta.com/api/v1/logs?after=', 'https://127.0.0.1:8443/api/v1/logs', ':443', '%2e', '/..',
    '#', '@', 'GMT', 'Fri, 04 Dec 2026 10:00:00 GMT', '9223372036854775807', '2147483648000',
    'access_token', 'token_type', 'expires_in', 'Bearer', 'DPoP', 'error', 'error_description',
    'use_dpop_nonce', 'invalid_dpop_proof', 'invalid_scope', 'invalid_client', 'errorCode', 'errorSummary',
    'errorId', 'E0000054', '\\u0000', '\\r\\n', '\\u00e9', '\\ud83d\\ude00'])
write_dict('jwk.dict', [
    'kty', 'RSA', 'EC', 'crv', 'P-256', 'P-384', 'keys', 'use', 'sig', 'enc', 'alg', 'RS256', 'ES256', 'kid',
    'oth', '"d":', '"n":', '"e":', '"x":', '"y":', '"p":', '"q":', '"dp":', '"dq":', '"qi":', 'AQAB', 'AA',
    '-----BEGIN PRIVATE KEY-----\n', '-----END PRIVATE KEY-----\n', '-----BEGIN RSA PRIVATE KEY-----\n',
    '-----BEGIN EC PRIVATE KEY-----\n', '-----BEGIN ENCRYPTED PRIVATE KEY-----\n'])

# Sigma rules written for the seeds (docs/rules.md, "Sigma rules"): every modifier and condition form.
SIGMA_HEAD = 'title: seed %d\nid: seed-%d\nlevel: high\ntags:\n    - attack.t1098\n    - attack.persistence\n' \
             'logsource:\n    product: okta\n    service: okta\ndetection:\n'
sigma_bodies = [
    '    sel:\n        eventType: user.session.start\n        outcome.result: FAILURE\n    condition: sel\n',
    '    sel:\n        displayMessage|contains|all:\n            - login\n            - okta\n'
    '    filter:\n        actor.alternateId|endswith: \'@example.org\'\n    condition: sel and not filter\n',
    '    sel:\n        client.userAgent.rawUserAgent|re|i: \'^python-requests/\\d+\'\n    condition: sel\n',
    '    sel:\n        client.ipAddress|cidr:\n            - 203.0.113.0/24\n            - \'2001:db8::/32\'\n'
    '    condition: sel\n',
    '    sel:\n        debugContext.debugData.risk|gte: 5\n        outcome.reason: null\n'
    '        debugContext.debugData.threatSuspected: true\n    condition: sel\n',
    '    sel_a:\n        target.type: AppInstance\n    sel_b:\n        debugcontext.debugdata.behaviors: new ip\n'
    '    condition: 1 of sel_* or all of them\n',
    '    sel:\n        actor.alternateId|fieldref: target.alternateId\n        severity|neq: WARN\n'
    '        idwatch.actor.admin: true\n        debugContext.debugData.ip6|exists: true\n    condition: sel\n',
    '    sel:\n        - displayMessage: \'User * to ?kta\'\n        - displayMessage|startswith: \'x\\*\'\n'
    '    condition: all of sel\n',
    '    sel:\n        eventtype|cased: user.session.start\n    condition:\n        - sel\n        - not sel\n',
]
for i, b in enumerate(sigma_bodies):
    put('fuzz_sigma', 'rule-%02d.yml' % i, SIGMA_HEAD % (i, i) + b)
put('fuzz_sigma', 'multi.yml', '---\n'.join(SIGMA_HEAD % (i, i) + b for i, b in enumerate(sigma_bodies[:3])))
put('fuzz_sigma', 'windows.yml', 'title: w\nlogsource:\n    product: windows\ndetection:\n'
    '    s:\n        Image|endswith: cmd.exe\n    condition: s\n')
for path in sorted(glob.glob('rules/*.yml') + glob.glob('rules/*.yaml')):
    put('fuzz_sigma', 'shipped-' + os.path.basename(path), open(path).read())
write_dict('sigma.dict', [
    'title: ', 'id: ', 'name: ', 'level: ', 'tags:', 'logsource:', 'product: okta', 'detection:', 'condition: ',
    'correlation:', 'idwatch:', 'context: ', 'window: ', 'tests:', 'action: global', '|contains', '|startswith',
    '|endswith', '|all', '|re', '|i', '|m', '|s', '|cidr', '|exists', '|gt', '|gte', '|lt', '|lte',
    '|fieldref', '|neq', '|cased', '|base64', ' and ', ' or ', 'not ', '1 of ', 'all of ', 'any of ', 'them',
    '(', ')', '*', '?', '\\*', 'null', 'true', '~', '- ', '    ', '\n', '---\n', '&a ', '*a', '!!str ',
    'eventType', 'idwatch.actor.', 'target.type', 'debugContext.debugData.', '10.0.0.0/8', '::/0'])

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

# Review request bodies (byte 0: 1 = the bulk form): the kept regressions plus a few shapes.
cp tests/fuzz/regressions/fuzz_review_body/* "$S/fuzz_review_body/"
printf '\000{"note":"called the user"}' > "$S/fuzz_review_body/note.json"
printf '\000{"assignee":""}' > "$S/fuzz_review_body/unassign.json"
printf '\001{"ids":["0123456789abcdef"],"status":"false_positive","note":"the user travelled"}' \
    > "$S/fuzz_review_body/bulk-fp.json"

# Command messages of a partition stream (src/cluster/command.h): the kept regressions.
cp tests/fuzz/regressions/fuzz_command/* "$S/fuzz_command/"

for d in "$S"/*; do
    printf '%s: %s seeds\n' "$(basename "$d")" "$(ls "$d" | wc -l)"
done
