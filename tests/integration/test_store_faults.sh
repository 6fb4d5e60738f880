# Storage faults: a second writer, a truncated, empty or unreadable
# database, a full disk and a full map.  Each gets a clear error and a
# non-zero exit, never a crash; nothing committed is lost (checked by
# reopening once the fault is gone); an existing database is never
# silently re-created.
. "$ROOT/tests/integration/lib.sh"
SAMPLE="$ROOT/data/sample-org.jsonl"

expect_rc 0 idw ingest --file "$SAMPLE" > /dev/null
dump_personas "$WORK/db" > before.txt
[ -s before.txt ] || fail "no personas to compare"

# --- two writers: the second is refused, naming the holder; readers work beside it
(sleep 4; cat "$SAMPLE") | idw ingest --file - > first.out 2> first.err &
holder=$!
sleep 1
expect_rc 1 idw ingest --file "$SAMPLE" > second.out 2> second.err
grep -q "in use by \`idwatch ingest\` (pid [0-9]*, since " second.err || {
    cat second.err; fail "second writer's message does not name the holder"; }
expect_rc 0 idw persona list --json > /dev/null
expect_rc 0 idw status --json > /dev/null
expect_rc 0 idw alerts list --json > /dev/null
wait "$holder" || fail "the first writer failed"
grep -q 'accepted 0, duplicates 3035' first.out || fail "first writer: $(cat first.out)"
expect_rc 0 idw ingest --file "$SAMPLE" > /dev/null   # the lock went with its holder

# --- truncated data.mdb: a clear error, no SIGBUS, for readers and writers alike
cp -r "$WORK/db" trunc
size=$(stat -c %s trunc/data.mdb)
truncate -s $((size / 2)) trunc/data.mdb
expect_rc 1 "$IDWATCH" --db trunc status > t.out 2> t.err
grep -q 'database truncated or damaged.*restore from a backup' t.err || { cat t.err; fail "truncation: status"; }
expect_rc 1 "$IDWATCH" --db trunc ingest --file "$SAMPLE" > /dev/null 2> t2.err
grep -q 'database truncated or damaged' t2.err || { cat t2.err; fail "truncation: ingest"; }

# --- an empty data.mdb is refused, never re-created as an empty database
mkdir empty && : > empty/data.mdb
expect_rc 1 "$IDWATCH" --db empty ingest --file "$SAMPLE" > /dev/null 2> e.err
grep -q 'database truncated or damaged (the file is empty)' e.err || { cat e.err; fail "empty file"; }
expect_eq "$(stat -c %s empty/data.mdb)" 0 "empty data.mdb left as it was"

# --- zeroed meta pages: damaged, not a crash
cp -r "$WORK/db" zeroed
dd if=/dev/zero of=zeroed/data.mdb bs=4096 count=2 conv=notrunc 2> /dev/null
expect_rc 1 "$IDWATCH" --db zeroed status > /dev/null 2> z.err
grep -q 'truncated or damaged' z.err || { cat z.err; fail "zeroed meta pages"; }

# --- a database this user may not read (root ignores modes: test as nobody)
if [ "$(id -u)" = 0 ] && command -v runuser > /dev/null; then
    cp -r "$WORK/db" private && chmod 700 private && chmod 755 "$WORK"
    expect_rc 1 runuser -u nobody -- "$IDWATCH" --db "$WORK/private" status > /dev/null 2> p.err
    grep -q 'permission denied' p.err || { cat p.err; fail "unreadable database"; }
    grep -q 'no database here' p.err && fail "unreadable database reported as absent"
fi

# --- a full disk (a small tmpfs, where this machine lets the test mount one)
"$TOOLS/gen-events" --users 400 --days 20 --seed 7 --org big --out big.jsonl
if mkdir tiny && mount -t tmpfs -o size=3m tmpfs tiny 2> /dev/null; then
    trap 'umount "$WORK/tiny" 2> /dev/null || true' EXIT
    expect_rc 0 "$IDWATCH" --db tiny/db ingest --file "$SAMPLE" > /dev/null
    set +e
    "$IDWATCH" --db tiny/db ingest --domain big --file big.jsonl > full.out 2> full.err
    rc=$?
    set -e
    expect_eq "$rc" 1 "exit code on a full disk"
    grep -q 'disk full' full.err || { cat full.err; fail "disk full not said"; }
    cp -r tiny/db after-full
    umount tiny
    trap - EXIT
    dump_personas after-full > after.txt
    cmp -s before.txt after.txt || fail "personas committed before the full disk changed"
else
    echo "skip: cannot mount a tmpfs here (disk-full case)"
fi

# --- a read-only file system: writers refused with a clear message, readers work
if mkdir rofs && mount -t tmpfs -o size=20m tmpfs rofs 2> /dev/null; then
    trap 'umount "$WORK/rofs" 2> /dev/null || true' EXIT
    cp -r "$WORK/db" rofs/db
    mount -o remount,ro "$WORK/rofs"
    expect_rc 1 "$IDWATCH" --db rofs/db ingest --file "$SAMPLE" > /dev/null 2> ro.err
    grep -q 'the file system is read-only' ro.err || { cat ro.err; fail "read-only file system"; }
    expect_rc 0 "$IDWATCH" --db rofs/db persona list > /dev/null
    dump_personas rofs/db > ro-personas.txt
    cmp -s before.txt ro-personas.txt || fail "personas on the read-only copy differ"
    umount rofs
    trap - EXIT
else
    echo "skip: cannot mount a tmpfs here (read-only case)"
fi

# --- a full map: the message names the setting to raise
printf '{"db": "%s/mapdb", "lmdb_map_size_mb": 16}\n' "$WORK" > small.json
expect_rc 1 "$IDWATCH" --config small.json ingest --file big.jsonl > /dev/null 2> map.err
grep -q 'raise lmdb_map_size_mb' map.err || { cat map.err; fail "map full not explained"; }
echo "store faults: ok"
