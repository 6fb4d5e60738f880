#!/bin/sh
# Many orgs: does `idwatch run` poll every org on time while one org stalls?
# tests/okta_sim/multi_sim.py simulates BENCH_ORGS Okta orgs (default 200),
# each on its own HTTPS port on 127.0.0.1; org BENCH_STALL_ORG (default 0)
# answers each log request only after BENCH_STALL_S seconds (default 30,
# longer than poll_interval_s).  A live `idwatch run` (SSWS, poll_interval_s
# 5, timeout_s 60) polls them all for BENCH_MULTIORG_SECONDS (default 40);
# then it is stopped with SIGTERM and the simulator's record of every log
# request (wall clock, per org) is read.  Printed: per healthy org the time
# to its first poll and the largest gap between its polls (the end of the
# run counts as a poll, so an org left alone shows), their median and worst,
# how many orgs were polled within poll_interval_s + 2 s every time, the
# stalling org's request count, and a verdict line: met when every gap is
# within poll_interval_s + 2 s and every first poll came within
# 2 x poll_interval_s + 2 s of the start (the first round of many orgs may
# take one more interval).
#
# Exit 0 whatever the figures (a benchmark); 1 if idwatch did not start or
# exited before the end, or the harness itself broke.  Every process this
# starts is stopped on exit.  Set BENCH_KEEP=1 to keep the scratch directory.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
IDWATCH=${IDWATCH:-build/idwatch}
case $IDWATCH in /*) ;; *) IDWATCH=$PWD/$IDWATCH ;; esac
PY=/usr/bin/python3
ORGS=${BENCH_ORGS:-200}
SECONDS_RUN=${BENCH_MULTIORG_SECONDS:-40}
STALL_ORG=${BENCH_STALL_ORG:-0}
STALL_S=${BENCH_STALL_S:-30}
INTERVAL=5
SLACK=2
W=$(mktemp -d "${TMPDIR:-/tmp}/idwatch-multiorg.XXXXXX")

stop_pid() {    # stop_pid FILE SECONDS: SIGTERM the pid in FILE, SIGKILL it after SECONDS
    [ -f "$1" ] || return 0
    p=$(cat "$1")
    kill "$p" 2>/dev/null || { rm -f "$1"; return 0; }
    i=0
    while kill -0 "$p" 2>/dev/null && [ $i -lt $(($2 * 10)) ]; do sleep 0.1; i=$((i + 1)); done
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
    rm -f "$1"
}
cleanup() {     # the simulator first: its stop answers a stalled request, which frees idwatch's stop
    stop_pid "$W/sim.pid" 5
    stop_pid "$W/idwatch.pid" 5
    if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "multiorg: $*" >&2; exit 1; }

[ -x "$IDWATCH" ] || die "no idwatch binary at $IDWATCH (make -j2)"
[ "$SECONDS_RUN" -ge 15 ] 2>/dev/null || die "BENCH_MULTIORG_SECONDS must be a whole number of at least 15"
cd "$W"
sh "$ROOT/tests/okta_sim/mkcerts.sh" certs > /dev/null
(umask 077 && echo "multiorg-bench-token" > token)

$PY "$ROOT/tests/okta_sim/multi_sim.py" --state-dir sim --cert-dir certs --ssws-token-file token \
    --orgs "$ORGS" --stall-org "$STALL_ORG" --stall-s "$STALL_S" > sim.out 2>&1 &
echo $! > sim.pid
i=0
while [ ! -f sim/ports.json ]; do
    kill -0 "$(cat sim.pid)" 2>/dev/null || { cat sim.out >&2; die "the simulator did not start"; }
    i=$((i + 1)); [ $i -lt 300 ] || die "the simulator did not listen within 30 s"
    sleep 0.1
done

# The configuration: one org per simulated org, all sharing the token file.
$PY - "$W" "$ROOT/rules" "$INTERVAL" > cfg.json <<'PY'
import json, sys
w, rules, interval = sys.argv[1], sys.argv[2], int(sys.argv[3])
ports = json.load(open(w + "/sim/ports.json"))["orgs"]
orgs = [{"domain_id": "org%03d" % o["index"], "org_url": "https://127.0.0.1:%d" % o["port"],
         "custom_domain": True, "ca_file": w + "/certs/ca.pem",
         "auth": {"method": "ssws", "token_file": w + "/token"},
         "poll_interval_s": interval, "timeout_s": 60} for o in ports]
json.dump({"db": w + "/db", "rules_dir": rules, "orgs": orgs}, sys.stdout, indent=1)
PY

t_start=$(date +%s.%N)
"$IDWATCH" --config cfg.json run > idwatch.log 2>&1 &
echo $! > idwatch.pid
end_ms=$(($(date +%s%3N) + SECONDS_RUN * 1000))
while [ "$(date +%s%3N)" -lt "$end_ms" ]; do
    if ! kill -0 "$(cat idwatch.pid)" 2>/dev/null; then
        rc=0; wait "$(cat idwatch.pid)" || rc=$?
        rm -f idwatch.pid
        tail -n 20 idwatch.log >&2
        die "idwatch run exited (code $rc) before the end of the run: it did not start or it failed (log above)"
    fi
    sleep 0.1
done
t_end=$(date +%s.%N)
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' "/proc/$(cat "$1")/stat" 2>/dev/null || echo "?"; }
cpu_idwatch=$(cpu idwatch.pid); cpu_sim=$(cpu sim.pid)

# Stop idwatch; the stalled org then answers at once, so a stop that waits
# for its request in flight is not held up by the stall.
kill -TERM "$(cat idwatch.pid)"
$PY - <<'PY' || echo "multiorg: could not release the stalled org (the stop may wait for it)" >&2
import json, ssl, urllib.request
port = json.load(open("sim/ports.json"))["orgs"][0]["port"]     # any org's port serves the controls
ctx = ssl.create_default_context(cafile="certs/ca.pem")
urllib.request.urlopen(urllib.request.Request("https://127.0.0.1:%d/__control/release-stalls" % port,
                                              data=b"{}"), context=ctx, timeout=10)
PY
i=0; stop_note=""
while kill -0 "$(cat idwatch.pid)" 2>/dev/null; do
    i=$((i + 1))
    if [ $i -ge 200 ]; then stop_note="did not exit within 20 s of SIGTERM: killed"; break; fi
    sleep 0.1
done
t_stopped=$(date +%s.%N)
if [ -z "$stop_note" ]; then
    rc=0; wait "$(cat idwatch.pid)" || rc=$?
    rm -f idwatch.pid
    stop_note="exit code $rc"
else
    stop_pid idwatch.pid 0
fi
"$IDWATCH" --config cfg.json status --json > status.json 2> status.err || echo '{}' > status.json
stop_pid sim.pid 10
[ -s sim/requests.json ] || die "the simulator wrote no record of its requests"

$PY - "$t_start" "$t_end" "$t_stopped" "$INTERVAL" "$SLACK" "$IDWATCH" "$stop_note" "$cpu_idwatch" "$cpu_sim" <<'PY'
import json, statistics, sys
t_start, t_end, t_stopped, interval, slack = (float(x) for x in sys.argv[1:6])
binary, stop_note, cpu_idwatch, cpu_sim = sys.argv[6:10]
rec = json.load(open("sim/requests.json"))
status = json.load(open("status.json"))
limit = interval + slack                # between two polls of an org
first_limit = 2 * interval + slack      # start to first poll: the first round may take one more interval
healthy, stalled = [], None
for o in rec["orgs"]:
    times = sorted(r["t"] for r in o["requests"] if r["t"] <= t_end)
    if o["stalls"]:
        stalled = (o, times)
        continue
    if not times:       # never polled: unpolled for the whole run
        healthy.append((o["index"], t_end - t_start, t_end - t_start, 0))
        continue
    marks = times + [t_end]   # the end of the run closes the last gap
    gap = max(b - a for a, b in zip(marks, marks[1:]))
    healthy.append((o["index"], times[0] - t_start, gap, len(times)))
if not healthy:
    sys.exit("multiorg: no healthy org to measure (BENCH_ORGS=1 with its only org stalling?)")
if sum(h[3] for h in healthy) == 0:
    sys.exit("multiorg: idwatch made no log request at all: it did not poll")

def med_worst(col):
    vals = [h[col] for h in healthy]
    worst = max(healthy, key=lambda h: h[col])
    return statistics.median(vals), worst[col], worst[0]

n = len(healthy)
first_med, first_worst, first_org = med_worst(1)
gap_med, gap_worst, gap_org = med_worst(2)
on_time = sum(1 for h in healthy if h[2] <= limit)
first_on_time = sum(1 for h in healthy if h[1] <= first_limit)
polled = sum(1 for h in healthy if h[3])
ingested = sum(o.get("events_ingested", 0) for o in status.get("orgs", []))
rejected = sum(o.get("rejected", 0) for o in status.get("orgs", []))
made = sum(o["events_made"] for o in rec["orgs"])
print("many orgs: %d orgs, %s; poll_interval_s %d, %.0f s of `idwatch run` (%s)"
      % (len(rec["orgs"]), "org%03d stalls %.0f s per request" % (rec["stall_org"], rec["stall_s"])
         if stalled else "none stalls", interval, t_end - t_start, binary))
print("  healthy orgs polled: %d/%d, %d log requests" % (polled, n, sum(h[3] for h in healthy)))
print("  time to first poll (from the process start): median %.1f s, worst %.1f s (org%03d); %d/%d within %d s"
      % (first_med, first_worst, first_org, first_on_time, n, first_limit))
print("  largest gap between polls after the first (the end of the run counted): median %.1f s, worst %.1f s (org%03d)"
      % (gap_med, gap_worst, gap_org))
print("  orgs polled within poll_interval_s + %d s every time after their first poll: %d/%d" % (slack, on_time, n))
if stalled:
    o, times = stalled
    answered = sum(1 for r in o["requests"] if r["t"] <= t_end and r["done"] is not None and r["done"] <= t_end)
    print("  stalling org%03d: %d log requests, %d answered before the end" % (o["index"], len(times), answered))
print("  events: %d made by the simulator, %d ingested, %d rejected (idwatch status)" % (made, ingested, rejected))
print("  CPU time during the run: idwatch %s s, the simulator %s s" % (cpu_idwatch, cpu_sim))
print("  idwatch stopped %.1f s after SIGTERM (%s)" % (t_stopped - t_end, stop_note))
met = gap_worst <= limit and first_worst <= first_limit
late_start = "" if first_worst <= first_limit else ", first poll after %.1f s" % first_worst
print("each org polled within its poll_interval_s: %s (worst gap %.1f s%s)"
      % ("met" if met else "NOT met", gap_worst, late_start))
PY
