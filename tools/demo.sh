#!/bin/sh
# make demo: the main job on the embedded default configuration.  Replays
# the bundled sample org (data/sample-org.jsonl) into ./idwatch-data, then
# prints the persona list and one persona.  Running it again shows that
# re-ingesting is a no-op (every event is a duplicate).
set -eu
IDWATCH=${1:-./idwatch}
echo "== idwatch ingest --file data/sample-org.jsonl   (embedded default config, db ./idwatch-data)"
"$IDWATCH" ingest --file data/sample-org.jsonl
echo
echo "== idwatch persona list"
"$IDWATCH" persona list | head -12
echo "   ..."
user=$("$IDWATCH" persona list --json | head -1 | sed 's/.*"login":"\([^"]*\)".*/\1/')
echo
echo "== idwatch persona show $user"
"$IDWATCH" persona show "$user"
