#!/usr/bin/python3
"""The web console in a real browser: headless Chromium driven by Selenium
(Debian python3-selenium, chromium, chromium-driver), against a console
server given by its base URL: the daemon (`idwatch console` / `run`) or
tests/browser/mock_api.py.  Run by tests/browser/harness.sh, which starts
the server; see docs/console.md.

    console_test.py --base-url http://127.0.0.1:PORT --user U --password-file F
                    [--viewer-user V --viewer-password-file F2 --raw-http]
                    [--range 24h|7d|30d] [--screenshots DIR]

Scenario: sign in; filter the queue (severity, time range) and check every
row against the filter and against the API's own answer; open an incident;
its event links are the API's okta_url, open a new tab without opener or
referrer (not followed: no network beyond 127.0.0.1); open one of its alerts
whose context the persona holds as provisional, mark it a false positive,
and see the persona learn it (the alert's context and the person page say
"usual"); sign out and check the session is gone.  --raw-http adds checks
over plain HTTP (urllib): a review without X-CSRF-Token is 403, a viewer's
review is 403, an anonymous API call is 401, the security headers are set.
--screenshots DIR saves PNGs of the main pages instead of (and after) the
scenario's checks.  Exits 0 when every check passed; prints each check.
Passwords are read from files, never taken on the command line.
"""
import argparse
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import quote

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 15          # seconds for any one page or element
WHOLE_RUN = 240    # seconds for everything: the test never hangs


class Failed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failed(what)
    print("ok: " + what)


def browser():
    opts = webdriver.ChromeOptions()
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1280,1000", "--no-first-run", "--disable-extensions",
              "--disable-background-networking", "--disable-component-update", "--disable-sync"):
        opts.add_argument(a)
    opts.binary_location = "/usr/bin/chromium"
    drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    drv.set_page_load_timeout(WAIT * 2)
    drv.set_script_timeout(WAIT)
    return drv


class Console:
    def __init__(self, drv, base):
        self.d, self.base = drv, base.rstrip("/")

    def wait(self, cond, what):
        try:
            # a page re-rendered under a condition's feet (the router replaces #main) is retried, not a failure
            return WebDriverWait(self.d, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(cond)
        except TimeoutException:
            raise Failed("timed out waiting for " + what)

    def page(self, name):
        """Waits until the router finished rendering page NAME (app.js sets body[data-page])."""
        self.wait(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-page") == name,
                  "page " + name)
        errors = self.wait(lambda d: [e.text for e in d.find_elements(By.CSS_SELECTOR, "#main > .notice.error")]
                           or [None], "the page's notices")
        errors = [e for e in errors if e is not None]
        check(not errors, "page %s rendered without error %s" % (name, errors))

    def go(self, fragment, name):
        self.d.execute_script("location.hash = arguments[0]", fragment)
        self.page(name)

    def api(self, path, method="GET"):
        """The API as the signed-in browser sees it (same cookie): {status, body}."""
        return self.d.execute_async_script("""
            const [path, method, done] = arguments;
            fetch('/api/v1' + path, {method, credentials: 'same-origin'})
              .then(async r => done({status: r.status, body: r.status === 204 ? null : await r.json()}))
              .catch(e => done({status: 0, body: String(e)}));""", path, method)

    def css(self, sel):
        return self.d.find_elements(By.CSS_SELECTOR, sel)

    def one(self, sel):
        return self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, sel)), sel)

    def login(self, user, password):
        self.d.get(self.base + "/#/queue")
        self.one("#login")
        self.one("#username").send_keys(user)
        self.one("#password").send_keys("not-" + password)
        self.one("#login-submit").click()
        refusal = self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#login-out .notice.error"), "the refusal")
        check("invalid username or password" in refusal[0].text, "a wrong password is refused on the form")
        check(self.one("#password").get_attribute("value") == "", "the refused password is cleared")
        self.one("#password").send_keys(password)
        self.one("#login-submit").click()
        self.page("queue")
        check(self.one("#who").text.startswith(user + " "), "signed in as %s" % user)
        check(self.d.execute_script("return document.cookie").find("idw_session") < 0,
              "the session cookie is HttpOnly (not visible to scripts)")

    def shot(self, outdir, name):
        if outdir:
            h = self.d.execute_script("return Math.min(1600, document.documentElement.scrollHeight)")
            self.d.set_window_size(1280, max(800, h))
            self.d.save_screenshot(os.path.join(outdir, name + ".png"))
            self.d.set_window_size(1280, 1000)
            print("saved %s/%s.png" % (outdir, name))


def filter_queue(c, rng, outdir):
    """Filters incidents by severity and time range RNG; the rows must be exactly the API's answer."""
    c.go("#/queue?view=incidents", "queue")
    shown_all = int(c.one("#result-count").text.split()[0])
    c.shot(outdir, "queue-incidents")
    for box in c.css("#f-severity input"):
        if box.is_selected() != (box.get_attribute("value") == "critical"):
            box.click()
    c.d.find_element(By.CSS_SELECTOR, "#f-range option[value='%s']" % rng).click()
    c.one("#apply").click()
    c.wait(lambda d: "severity=critical" in d.current_url and "range=" + rng in d.current_url, "the filtered URL")
    c.page("queue")
    rows = c.css("table.queue tbody tr a.incident-link")
    sevs = [e.text.lower() for e in c.css("table.queue tbody td:nth-child(2) .badge")]
    check(rows and all(s == "critical" for s in sevs), "every filtered incident is critical (%d)" % len(rows))
    want = c.api("/incidents?status=open,acknowledged&severity=critical&since=%s&limit=50" % rng)
    check(want["status"] == 200, "the API answers the same filter")
    got = [r.get_attribute("href").split("#/incident/")[1] for r in rows]
    check(sorted(got) == sorted(i["incident_id"] for i in want["body"]["incidents"]),
          "the queue shows exactly the API's incidents for severity=critical since=" + rng)
    check(len(rows) < shown_all, "the filter narrowed the queue (%d of %d)" % (len(rows), shown_all))
    c.go("#/queue?view=alerts", "queue")
    c.one("th button[data-sort='severity']").click()
    c.wait(lambda d: "sort=severity&order=desc" in d.current_url, "the sort by severity")
    c.page("queue")
    sevs = [e.text.lower() for e in c.css("table.queue tbody td:nth-child(2) .badge")]
    rank = {"critical": 4, "high": 3, "medium": 2, "low": 1}
    check(sevs and [rank[s] for s in sevs] == sorted((rank[s] for s in sevs), reverse=True),
          "alerts sorted by severity, highest first")
    c.shot(outdir, "queue-alerts")
    c.one("th button[data-sort='severity']").click()
    c.wait(lambda d: "sort=severity&order=asc" in d.current_url, "the reversed sort")
    c.page("queue")
    sevs = [e.text.lower() for e in c.css("table.queue tbody td:nth-child(2) .badge")]
    check([rank[s] for s in sevs] == sorted(rank[s] for s in sevs), "a second click sorts lowest first")
    custom_range(c)
    return got


def custom_range(c):
    """A custom UTC range from the 5th newest alert's minute: the API's count, and every row in it."""
    newest = c.api("/alerts?status=open,acknowledged&sort=last_seen&order=desc&limit=5")["body"]["alerts"]
    since = newest[-1]["last_seen"][:16]
    c.go("#/queue?view=alerts", "queue")
    check(not c.one("#f-since").is_displayed(), "the custom range's fields are hidden")
    c.d.find_element(By.CSS_SELECTOR, "#f-range option[value='custom']").click()
    check(c.one("#f-since").is_displayed(), "choosing a custom range shows its fields")
    c.d.execute_script("document.getElementById('f-since').value = arguments[0]", since)
    c.one("#apply").click()
    c.wait(lambda d: "range=custom" in d.current_url, "the custom range's URL")
    c.page("queue")
    want = c.api("/alerts?status=open,acknowledged&since=%s:00Z&limit=1" % since)["body"]["total"]
    seen = [e.get_attribute("title") for e in c.css("table.queue tbody td:nth-child(10) .when")]
    check(len(seen) == want and all(t >= since for t in seen),
          "from %s UTC: the API's %d alerts, none older" % (since, want))


def alert_ids(c):
    return [a.get_attribute("href").split("#/alert/")[1] for a in c.css("table.queue tbody a.alert-link")]


def page_and_bulk(c):
    """Pages through the alerts 10 at a time, filters by user and free text, acknowledges in bulk."""
    c.go("#/queue?view=alerts&limit=10&sort=first_seen&order=asc", "queue")
    first = alert_ids(c)
    total = c.api("/alerts?status=open,acknowledged&limit=1")["body"]["total"]
    check(len(first) == 10 and total > 10, "the first page holds 10 of %d alerts" % total)
    c.one("#next").click()
    c.wait(lambda d: "offset=10" in d.current_url, "the second page's URL")
    c.page("queue")
    second = alert_ids(c)
    check(second and not set(second) & set(first), "the second page holds other alerts")
    check(c.one("#page-info").text == "11–%d of %d" % (10 + len(second), total), "the pager says where we are")
    want = [a["alert_id"] for a in c.api("/alerts?status=open,acknowledged&sort=first_seen&order=asc"
                                         "&limit=10&offset=10")["body"]["alerts"]]
    check(second == want, "the second page is the API's second page, in order")
    # the user of some medium or low alert: filter by that user and a word of its summary, then acknowledge
    pool = c.api("/alerts?status=open&severity=medium,low&limit=50")["body"]["alerts"]
    target = next(a for a in pool if a["user"])
    word = target["rule"]
    c.go("#/queue?view=alerts", "queue")
    c.one("#f-user").send_keys(target["user"])
    c.one("#f-q").send_keys(word)
    c.one("#apply").click()
    c.wait(lambda d: "q=" + word in d.current_url, "the user and text filter's URL")
    c.page("queue")
    users = [e.text for e in c.css("table.queue tbody td:nth-child(5)")]
    rules = [e.text for e in c.css("table.queue tbody td:nth-child(3)")]
    check(users and set(users) == {target["user"]} and set(rules) == {word},
          "the user and text filters keep only %s's %s alerts (%d)" % (target["user"], word, len(users)))
    ids = alert_ids(c)
    c.one("#pick-all").click()
    buttons = {b.text: b for b in c.css("#bulk button")}
    buttons["Acknowledge"].click()
    c.wait(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-page") == "queue"
           and all(e.text.lower() == "acknowledged" for e in d.find_elements(By.CSS_SELECTOR,
                   "table.queue tbody td:nth-child(7) .badge")), "the bulk acknowledgement")
    for aid in ids:
        check(c.api("/alerts/" + aid)["body"]["status"] == "acknowledged", "alert %s acknowledged in bulk" % aid[:8])
    c.one("#pick-all").click()
    c.one("#bulk-assignee").send_keys("alice.analyst")
    c.css("#bulk button")[-1].click()  # Assign
    c.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "table.queue tbody td:nth-child(8)")
           and all(e.text == "alice.analyst" for e in d.find_elements(By.CSS_SELECTOR,
                   "table.queue tbody td:nth-child(8)")), "the bulk assignment")
    check(True, "the selected alerts are assigned to alice.analyst")


def browser_errors(c):
    """Script errors and CSP refusals the browser logged (the expected 401s aside)."""
    bad = []
    for e in c.d.get_log("browser"):
        msg = e.get("message", "")
        if e.get("level") == "SEVERE" and "status of 401" not in msg:
            bad.append(msg)
        elif "Content Security Policy" in msg:
            bad.append(msg)
    return bad


def provisional_alert(c, incidents, outdir):
    """Opens incidents until one has an alert whose context the persona holds as provisional."""
    for n, inc in enumerate(incidents[:6]):
        c.go("#/incident/" + quote(inc), "incident")
        if n == 0:
            check_event_links(c)
            c.shot(outdir, "incident")
        alerts = [a.get_attribute("href").split("#/alert/")[1] for a in c.css("section a.alert-link")]
        for aid in dict.fromkeys(alerts):
            c.go("#/alert/" + aid, "alert")
            if c.css("#context .fact-provisional"):
                return aid
    raise Failed("no alert with provisional context among incidents %s" % incidents[:6])


def check_event_links(c):
    links = c.css("#timeline a.okta-link")
    check(links, "the incident's timeline links its events to Okta (%d)" % len(links))
    for a in links[:5]:
        uuid = a.get_attribute("data-uuid")
        ev = c.api("/events/" + uuid)
        check(ev["status"] == 200 and a.get_attribute("href") == ev["body"]["okta_url"],
              "event %s links to its okta_url" % uuid[:8])
        check(a.get_attribute("target") == "_blank" and
              set(a.get_attribute("rel").split()) >= {"noopener", "noreferrer"},
              "the Okta link opens a new tab with noopener noreferrer")


def person_trust(c, user, table, value):
    """The trust badge of VALUE in the person page's TABLE (countries, asns, ...)."""
    c.go("#/person/" + quote(user), "person")
    for r in c.css("table.dim-%s tbody tr" % table):
        # the full value is the cell's title (long ones, like device hashes, are shortened on the page)
        if r.find_element(By.CSS_SELECTOR, "td span.mono").get_attribute("title") == value:
            return r.find_element(By.CSS_SELECTOR, "td .badge").text.lower()
    return None


def false_positive(c, aid, outdir):
    row = c.css("#context .fact-provisional")[0].find_element(By.XPATH, "./ancestor::tr")
    key, value = row.get_attribute("data-key"), row.find_element(By.CSS_SELECTOR, "td.mono").text
    if key == "asn":
        value = value.split(" ")[0]     # "AS16509 Amazon.com, Inc.": the persona keeps "AS16509"
    user = c.api("/alerts/" + aid)["body"]["user"]
    print("alert %s: %s %r is provisional for %s" % (aid[:8], key, value, user))
    table = {"country": "countries", "asn": "asns", "device": "devices", "app": "apps"}.get(key)
    if table:
        check(person_trust(c, user, table, value) == "provisional",
              "before the review the person page lists %s %s as provisional" % (key, value))
        c.go("#/alert/" + aid, "alert")
    c.shot(outdir, "alert")
    c.one("#note").send_keys("confirmed with the user (browser test)")
    c.one("#act-fp").click()
    c.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#main > .notice.ok"), "the review saved")
    c.page("alert")
    check("false positive" in c.one("h1 .badge.st-false_positive").text.lower(), "the alert is a false positive")
    check(not c.css("#context .fact-provisional"), "no context value is provisional any more")
    usual = c.css("#context tr[data-key='%s'] .fact-usual" % key)
    check(usual, "the alert's %s is now usual for the persona" % key)
    history = c.css("table.history tbody tr")
    check(history and "browser test" in history[-1].text, "the review and its note are in the history")
    if table:
        check(person_trust(c, user, table, value) == "usual", "the person page lists %s %s as usual" % (key, value))
    else:
        c.go("#/person/" + quote(user), "person")
    cells = c.css("#heatmap .hm-cell")
    check(len(cells) == 168, "the person page draws the 7x24 hours heatmap")
    hours = c.api("/people/" + quote(user))["body"]["persona"]["hours"]["hour_of_week"]
    busiest = hours.index(max(hours))
    check("hm-5" in cells[busiest].get_attribute("class").split(),
          "the busiest hour of the week (slot %d) is the heatmap's darkest cell" % busiest)
    check(all("hm-0" in cells[i].get_attribute("class").split() for i, v in enumerate(hours) if v == 0),
          "hours without activity are blank")
    for hours_back in (24, 168):
        c.one("#tl-%d" % hours_back).click()
        want = c.api("/people/%s/timeline?hours=%d" % (quote(user), hours_back))["body"]["events"]
        c.wait(lambda d: d.find_element(By.ID, "person-timeline").get_attribute("data-hours") == str(hours_back),
               "the %d h timeline" % hours_back)
        links = [a.get_attribute("href") for a in c.css("#person-timeline a.okta-link")]
        check(links == [e["okta_url"] for e in want if e.get("okta_url")],
              "the last %d h: the API's %d events, newest first, with their Okta links" % (hours_back, len(want)))
    c.one("#all-alerts").click()
    c.page("queue")
    users = {e.text for e in c.css("table.queue tbody td:nth-child(5)")}
    statuses = {e.text.lower() for e in c.css("table.queue tbody td:nth-child(7) .badge")}
    check(users == {user} and "false positive" in statuses,
          "the person's link lists all their alerts, the false positive too")
    c.go("#/person/" + quote(user), "person")
    c.shot(outdir, "person")


def logout(c):
    c.one("#logout").click()
    c.one("#login")
    check(c.api("/session")["status"] == 401, "signed out: the session answers 401")
    c.d.refresh()
    c.one("#login")
    check(True, "a reload after sign-out shows the sign-in form")


def http(base, method, path, body=None, headers=None):
    req = urllib.request.Request(base + path, method=method, headers=headers or {},
                                 data=None if body is None else json.dumps(body).encode())
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=WAIT) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def session(base, user, password):
    code, hdrs, body = http(base, "POST", "/api/v1/session", {"username": user, "password": password})
    check(code == 200, "raw sign-in as %s" % user)
    cookie = hdrs.get("Set-Cookie", "").split(";")[0]
    check(cookie.startswith("idw_session="), "the sign-in sets idw_session")
    return cookie, json.loads(body)["csrf_token"]


def raw_http(base, args, password, viewer_password):
    code, hdrs, _ = http(base, "GET", "/")
    check(code == 200 and "script-src 'self'" in hdrs.get("Content-Security-Policy", "")
          and hdrs.get("X-Frame-Options") == "DENY", "the console page carries the CSP and DENY framing")
    code, _, _ = http(base, "GET", "/api/v1/alerts")
    check(code == 401, "an anonymous API call is 401")
    cookie, csrf = session(base, args.user, password)
    alerts = json.loads(http(base, "GET", "/api/v1/alerts?limit=1", headers={"Cookie": cookie})[2])["alerts"]
    aid = alerts[0]["alert_id"]
    path = "/api/v1/alerts/%s/review" % aid
    code, _, _ = http(base, "POST", path, {"note": "no csrf"}, {"Cookie": cookie})
    check(code == 403, "a review without X-CSRF-Token is 403")
    code, _, _ = http(base, "POST", path, {"note": "bad csrf"}, {"Cookie": cookie, "X-CSRF-Token": "x" + csrf})
    check(code == 403, "a review with a wrong X-CSRF-Token is 403")
    if args.viewer_user:
        vcookie, vcsrf = session(base, args.viewer_user, viewer_password)
        code, _, _ = http(base, "POST", path, {"note": "viewer"}, {"Cookie": vcookie, "X-CSRF-Token": vcsrf})
        check(code == 403, "a viewer's review is 403")
    after = json.loads(http(base, "GET", "/api/v1/alerts/" + aid, headers={"Cookie": cookie})[2])
    check(after["version"] == alerts[0]["version"], "the refused reviews changed nothing (version %d)"
          % after["version"])


def read_secret(path):
    with open(path) as f:
        return f.readline().rstrip("\n")


def adopt_orphans():
    """Chromium's helpers outlive chromium for a moment; as a child subreaper (Linux prctl
    PR_SET_CHILD_SUBREAPER) this process inherits them instead of init, so reap_orphans()
    can wait for them and leave none behind, not even as zombies."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def reap_orphans():
    deadline = time.monotonic() + 5
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            if time.monotonic() > deadline:
                for kid in children():
                    os.kill(kid, signal.SIGKILL)
                deadline = time.monotonic() + 5
            time.sleep(0.05)


def children():
    """The pids whose parent is this process (what is left of the browser)."""
    me, out = os.getpid(), []
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % d) as f:
                if d.isdigit() and int(f.read().rsplit(")", 1)[1].split()[1]) == me:
                    out.append(int(d))
        except (OSError, ValueError, IndexError):
            pass
    return out


def main():
    ap = argparse.ArgumentParser(description="idwatch console browser test")
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password-file", required=True)
    ap.add_argument("--viewer-user")
    ap.add_argument("--viewer-password-file")
    ap.add_argument("--raw-http", action="store_true")
    ap.add_argument("--screenshots", metavar="DIR")
    ap.add_argument("--range", default="24h", choices=["24h", "7d", "30d"],
                    help="the queue's time range filter to check (the data's critical incidents must fall in it)")
    args = ap.parse_args()
    base = args.base_url.rstrip("/")
    password = read_secret(args.password_file)
    viewer_password = read_secret(args.viewer_password_file) if args.viewer_password_file else None
    def stop(why):
        def handler(*_):
            raise Failed(why)
        return handler
    # the alarm, or a TERM from the harness's timeout, still runs the finally below: no browser left behind
    signal.signal(signal.SIGALRM, stop("the whole run took over %d s" % WHOLE_RUN))
    signal.signal(signal.SIGTERM, stop("terminated"))
    signal.alarm(WHOLE_RUN)
    drv = None
    adopt_orphans()
    try:
        if args.raw_http:
            raw_http(base, args, password, viewer_password)
        drv = browser()
        c = Console(drv, base)
        if args.screenshots:
            os.makedirs(args.screenshots, exist_ok=True)
            drv.get(base + "/")
            c.one("#login")
            c.shot(args.screenshots, "login")
        c.login(args.user, password)
        incidents = filter_queue(c, args.range, args.screenshots)
        aid = provisional_alert(c, incidents, args.screenshots)
        false_positive(c, aid, args.screenshots)
        page_and_bulk(c)
        errors = browser_errors(c)
        check(not errors, "no script error or CSP refusal in the browser's log %s" % errors[:3])
        logout(c)
    except (Failed, WebDriverException) as e:
        print("FAIL: %s" % (e.msg if isinstance(e, WebDriverException) else e))
        if drv:
            for entry in drv.get_log("browser")[-10:]:
                print("  browser console: %s" % entry.get("message"))
        return 1
    finally:
        signal.alarm(0)
        if drv:
            drv.quit()
        reap_orphans()
    print("console browser test: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
