# A short fault storm (tests/storm/storm.sh, profile "short"): one daemon
# with OAuth private_key_jwt + DPoP polls a progressively released org
# while one volley of every simulated fault hits it, after a 6 s bout of a
# competing client's 429s (connector_starved fires, nothing pauses); every
# event is then ingested exactly once, with the personas of a file ingest.
# `make stormtest` runs the long profile for minutes.
STORM_PROFILE=short
. "$ROOT/tests/storm/storm.sh"
