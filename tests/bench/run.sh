#!/bin/sh
# make bench: generate a large synthetic org stream, then measure parse-only,
# parse+normalize and full ingest in one run (tools/bench.c); then the
# latency from a fetched page to its alert accepted by a webhook (latency.sh);
# then peak memory against the number of users (memory.sh); 200 orgs polled at
# once (multiorg.sh); the console's alert queue page over 10,000 alerts (queue.sh);
# the distributed path through NATS JetStream, one and two workers (cluster.sh).
#   BENCH_USERS / BENCH_DAYS / BENCH_EVENTS tune the stream size.
set -eu
TOOLS=${TOOLS:-build/tools}
OUT=${BENCH_DIR:-build/bench}
USERS=${BENCH_USERS:-2000}
DAYS=${BENCH_DAYS:-30}
EVENTS=${BENCH_EVENTS:-500000}
mkdir -p "$OUT"
rm -rf "$OUT/db"
gen=$(cksum < tools/gen-events.c | cut -d' ' -f1)     # a changed generator regenerates
file="$OUT/events-$USERS-$DAYS-$EVENTS-$gen.jsonl"
if [ ! -s "$file" ]; then
    echo "generating $EVENTS events ($USERS users, $DAYS days) into $file"
    "$TOOLS/gen-events" --users "$USERS" --days "$DAYS" --max-events "$EVENTS" --seed 42 \
        --out "$file.tmp" --stats && mv "$file.tmp" "$file"
fi
ls -l "$file" | awk '{printf "input: %s (%.0f MiB)\n", $NF, $5/1048576}'
"$TOOLS/bench" "$file" "$OUT/db"
echo
IDWATCH=${IDWATCH:-build/idwatch} TOOLS=$TOOLS sh tests/bench/latency.sh
echo
IDWATCH=${IDWATCH:-build/idwatch} TOOLS=$TOOLS sh tests/bench/memory.sh
echo; IDWATCH=${IDWATCH:-build/idwatch} sh tests/bench/multiorg.sh
echo; IDWATCH=${IDWATCH:-build/idwatch} TOOLS=$TOOLS sh tests/bench/queue.sh
echo; IDWATCH=${IDWATCH:-build/idwatch} TOOLS=$TOOLS sh tests/bench/cluster.sh
