# The crash campaign, short: `idwatch run` against a faulty simulated Okta
# org and a slow SOAR, killed with SIGKILL ten times at random moments and
# restarted, then finished; personas and alerts must equal an uninterrupted
# reference, every alert's newest version must have reached the SOAR, and
# duplicates stay within one per kill.  tests/crash/campaign.sh says what
# is checked; `make crashtest` runs it with 100 kills or more.
. "$ROOT/tests/integration/lib.sh"
CRASH_KILLS=10 CRASH_USERS=25 CRASH_DAYS=18 CRASH_PAGE_LIMIT=100 CRASH_MIN_MS=300 CRASH_MAX_MS=2000 \
    sh "$ROOT/tests/crash/campaign.sh" || fail "crash campaign"
