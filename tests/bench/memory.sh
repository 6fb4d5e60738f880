#!/bin/sh
# Memory bound: peak memory of `idwatch ingest` over three streams of the
# same events, spread over 1,000, 100,000 and 1,000,000 users.  It shows
# that what idwatch holds in memory does not grow with the number of users:
# personas live in LMDB, and in memory there are only a fixed-size cache of
# decoded personas (4,096 slots of about 23 KiB) and the dirty pages of one
# batch's write transaction (ingest.batch_events events: at most that many
# personas).  Both fill up once a batch meets more distinct users than
# that, and from there on memory stays flat: the 1,000,000-user run must
# stay within MEM_MAX_RATIO (1.25) times the 100,000-user run, plus 16 MiB.
#
# The 1,000-user stream is tools/gen-events as it is (MEM_EVENTS events,
# seed 42).  gen-events builds a whole day of every user in memory, which
# for a million users would take tens of GB, so the larger streams are the
# same events with the acting user rewritten: the i-th event acted by a
# user goes to user i mod N (ids 00uMEM..., logins mem...@acme.example).
# Each stream goes straight into `ingest --file -` (nothing on disk but the
# database), and /proc/PID/status of the ingest is sampled every 50 ms.
#
# Printed per stream: users, events accepted, personas stored, time, peak
# RSS (getrusage's maxrss = VmHWM, which includes the pages of the
# memory-mapped database the process touched: file-backed page cache that
# the kernel can reclaim), peak RssAnon (heap and stacks: what idwatch
# itself allocates), peak RssFile, and the database size.
#   MEM_EVENTS (1000000)  MEM_USERS ("1000 100000 1000000")  MEM_MAX_RATIO (1.25)
#   MEM_BATCH (50000, the default ingest.batch_events)
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
IDWATCH=$(cd "$(dirname "${IDWATCH:-build/idwatch}")" && pwd)/$(basename "${IDWATCH:-build/idwatch}")
TOOLS=$(cd "${TOOLS:-build/tools}" && pwd)
EVENTS=${MEM_EVENTS:-1000000}
USERS=${MEM_USERS:-1000 100000 1000000}
SMALL=${USERS%% *}
RATIO=${MEM_MAX_RATIO:-1.25}
W=$(mktemp -d "${TMPDIR:-/tmp}/idwatch-memory.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM
# enough days for SMALL users to produce EVENTS events (about 9 events per
# user-day), ending before today: events from the future would be refused
DAYS=$(( EVENTS / (SMALL * 6) + 2 ))
START=$(date -u -d "-$DAYS days" +%F)
BATCH=${MEM_BATCH:-50000}
echo "{\"db\": \"$W/db\", \"rules_dir\": \"$ROOT/rules\", \"ingest\": {\"batch_events\": $BATCH}}" > "$W/cfg.json"

/usr/bin/python3 - "$IDWATCH" "$TOOLS/gen-events" "$W" "$EVENTS" "$SMALL" "$DAYS" "$RATIO" "$USERS" "$START" "$BATCH" <<'PY'
import json, os, re, shutil, subprocess, sys, threading, time

idwatch, gen, work, events, small, days, ratio, users, start, batch = sys.argv[1:11]
events, small, days, ratio = int(events), int(small), int(days), float(ratio)
users = [int(u) for u in users.split()]
ACTOR = re.compile(rb'"actor":\{"id":"[^"]*","type":"User","alternateId":"[^"]*"')

def remap(src, dst, users, counter):
    """Copies the stream, the i-th user-acted event going to user i mod users."""
    i = 0
    for line in src:
        if b'"type":"User"' in line:
            k = i % users
            line, n = ACTOR.subn(b'"actor":{"id":"00uMEM%07d","type":"User","alternateId":"mem%07d@acme.example"'
                                 % (k, k), line, count=1)
            i += n
        dst.write(line)
    dst.close()
    counter.append(min(i, users))

def kib(status, field):
    m = re.search(r"^%s:\s+(\d+) kB" % field, status, re.M)
    return int(m.group(1)) if m else 0

def measure(users):
    db = os.path.join(work, "db")
    shutil.rmtree(db, ignore_errors=True)
    t0 = time.time()
    g = subprocess.Popen([gen, "--users", str(small), "--days", str(days), "--max-events", str(events),
                          "--seed", "42", "--start", start, "--out", "-"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    counted = []
    if users == small:
        feed, pump = g.stdout, None
        counted.append(small)
    else:
        r, w = os.pipe()
        feed = os.fdopen(r, "rb")
        pump = threading.Thread(target=remap, args=(g.stdout, os.fdopen(w, "wb", 1 << 20), users, counted))
        pump.start()
    ing = subprocess.Popen([idwatch, "--config", os.path.join(work, "cfg.json"), "--log-level", "warn",
                            "ingest", "--file", "-", "--json"], stdin=feed, stdout=subprocess.PIPE)
    feed.close()
    peak = {"RssAnon": 0, "RssFile": 0, "VmHWM": 0}
    out = []
    reader = threading.Thread(target=lambda: out.append(ing.stdout.read()))
    reader.start()
    while True:
        pid, status, ru = os.wait4(ing.pid, os.WNOHANG)      # rusage of this process alone
        if pid:
            break
        try:
            with open("/proc/%d/status" % ing.pid) as f:
                st = f.read()
            for k in peak:
                peak[k] = max(peak[k], kib(st, k))
        except OSError:
            pass
        time.sleep(0.05)
    ing.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    if pump:
        pump.join()
    g.wait()
    if ing.returncode not in (0, 3):
        sys.exit("FAIL: ingest of the %d-user stream exited %d" % (users, ing.returncode))
    summary = json.loads(out[0])
    personas = subprocess.run(["mdb_stat", "-s", "persona", db], capture_output=True, text=True, check=True).stdout
    size = sum(os.path.getsize(os.path.join(db, f)) for f in os.listdir(db))
    return {"users": counted[0], "accepted": summary["accepted"], "seconds": time.time() - t0,
            "personas": int(re.search(r"Entries: (\d+)", personas).group(1)),
            "hwm": max(peak["VmHWM"], ru.ru_maxrss), "anon": peak["RssAnon"], "file": peak["RssFile"], "db": size}

print("memory of `idwatch ingest` (the same %s generated events, batch_events %s):"
      % ("{:,}".format(events), "{:,}".format(int(batch))))
print("%10s %10s %10s %7s %13s %13s %13s %8s" % ("users", "accepted", "personas", "time s",
      "peak RSS MiB", "peak anon MiB", "peak file MiB", "db MiB"), flush=True)
rows = []
for u in users:
    r = measure(u)
    rows.append(r)
    print("%10s %10d %10d %7.0f %13.0f %13.0f %13.0f %8.0f" % (
        "{:,}".format(r["users"]), r["accepted"], r["personas"], r["seconds"], r["hwm"] / 1024,
        r["anon"] / 1024, r["file"] / 1024, r["db"] / 1048576), flush=True)
if len(rows) >= 2:
    a, b = rows[-2], rows[-1]
    if b["anon"] > a["anon"] * ratio + 16 * 1024:
        sys.exit("FAIL: anonymous memory grew with the number of users: %.0f MiB for %s users against %.0f MiB for %s"
                 % (b["anon"] / 1024, "{:,}".format(b["users"]), a["anon"] / 1024, "{:,}".format(a["users"])))
    print("ok: peak anonymous memory with %s users is %.2fx that with %s users (bound %.2fx + 16 MiB)"
          % ("{:,}".format(b["users"]), b["anon"] / max(a["anon"], 1), "{:,}".format(a["users"]), ratio))
PY
