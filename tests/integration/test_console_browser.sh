# The web console in headless Chromium (Selenium): sign in, filter the queue,
# open an incident, its events' Okta links, a false positive the persona
# learns, sign out (tests/browser/console_test.py, docs/console.md).
#
# Against which server (tests/browser/harness.sh decides and prints it):
#   - the real daemon when `$IDWATCH console --help` succeeds, plus the
#     raw-HTTP CSRF and authorization refusals (403 without X-CSRF-Token,
#     403 for a viewer's review);
#   - otherwise tests/browser/mock_api.py, which checks the console alone.
# SKIP (exit 0, "SKIP:" in the log) only when the browser stack itself is not
# installed (chromium, chromium-driver, python3-selenium: tools/deps.sh
# installs them); with it installed, any failed check fails the test.
. "$ROOT/tests/integration/lib.sh"
# Without a browser too: no API that turns text into markup or code, no inline
# script or style in the page (the CSP would refuse them; data must stay text).
if grep -nE 'innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function|setAttribute\(.style' \
        "$ROOT"/console/*.js; then
    fail "console/*.js builds markup from strings (use IDW.h and textContent)"
fi
echo "ok: no markup from strings in console/*.js"
if grep -nE '<script>|<script [^>]*>[^<]|<style|style=|[[:space:]]on[a-z]+=' "$ROOT/console/index.html"; then
    fail "console/index.html has inline script or style"
fi
echo "ok: no inline script or style in console/index.html"
size=$(cat "$ROOT"/console/*.html "$ROOT"/console/*.js "$ROOT"/console/*.css | wc -c)
[ "$size" -lt 150000 ] || fail "the console's files total $size bytes (budget 150 KB without the map data)"
echo "ok: the console's files total $size bytes"
for f in /usr/bin/chromium /usr/bin/chromedriver; do
    [ -x "$f" ] || { echo "SKIP: $f missing (sh tools/deps.sh install)"; exit 0; }
done
/usr/bin/python3 -c 'import selenium' 2>/dev/null || { echo "SKIP: python3-selenium missing"; exit 0; }
sh "$ROOT/tests/browser/harness.sh" > browser.log 2>&1 || { cat browser.log; fail "console browser test"; }
cat browser.log
grep -q '^console browser test: all checks passed$' browser.log || fail "the browser test did not finish"
n=$(grep -c '^ok: ' browser.log)
[ "$n" -ge 25 ] || fail "only $n checks ran"
echo "ok: $n browser checks"
