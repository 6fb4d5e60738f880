#!/usr/bin/env python3
"""
check_catalogue.py — checks idwatch's shipped Sigma catalogue (rules/okta/*.yml)
without the C engine: the shape of every rule document and, with a small
evaluator of its own, that every labelled test in a rule's `idwatch.tests`
gives the result it claims.

Usage: tools/check_catalogue.py [FILE.yml ...]   (default: rules/okta/*.yml)
Exit status 0 when every file passes, 1 otherwise; each problem is printed
as "file: rule-or-test: reason".

The evaluator is deliberately independent of src/sigma/ (a second opinion,
not a copy): Sigma detection maps (AND of fields), lists (OR; `|all` AND),
case-insensitive comparison unless `|cased`, wildcards * and ?, the
modifiers contains/startswith/endswith/all/re/cidr/exists/gt/gte/lt/lte/
neq/fieldref/cased, a path through an array matching when any element
matches, conditions with and/or/not/parentheses/`1 of x*`/`all of x*`/
`them`, and the correlation types event_count, value_count, temporal and
temporal_ordered (group-by, timespan) over a test's events in order.
Persona facts (idwatch.*) are not modelled except
idwatch.org.idp_first_seen: true when no earlier successful event of the
same test used the event's authenticationContext.issuer.id.
"""
import datetime
import fnmatch
import glob
import ipaddress
import os
import re
import sys
import uuid

import yaml

LEVELS = {"informational", "low", "medium", "high", "critical"}
STATUSES = {"experimental", "test", "stable"}
TACTICS = {
    "reconnaissance", "resource-development", "initial-access", "execution", "persistence",
    "privilege-escalation", "defense-evasion", "credential-access", "discovery", "lateral-movement",
    "collection", "command-and-control", "exfiltration", "impact",
}
RULE_KEYS = ("title", "id", "status", "description", "references", "author", "date", "tags",
             "logsource", "detection", "falsepositives", "level")
CORR_KEYS = ("title", "id", "status", "description", "references", "author", "date", "tags",
             "correlation", "falsepositives", "level")
CORR_TYPES = {"event_count", "value_count", "temporal", "temporal_ordered"}
MODIFIERS = {"contains", "startswith", "endswith", "all", "re", "cidr", "exists", "gt", "gte", "lt",
             "lte", "neq", "fieldref", "cased", "i", "m", "s"}
RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
TAG = re.compile(r"^attack\.(t\d{4}(\.\d{3})?|[a-z-]+)$")
SPAN = re.compile(r"^(\d+)([smhd])$")


class Problem(Exception):
    pass


# ---------------------------------------------------------------- field access

def _get_ci(obj, key):
    """A key of a JSON object, exactly, else case-insensitively."""
    if key in obj:
        return True, obj[key]
    low = key.lower()
    for k, v in obj.items():
        if k.lower() == low:
            return True, v
    return False, None


def field_values(event, path, facts):
    """Every value the dotted path reaches; arrays on the way fan out."""
    parts = path.split(".")
    if parts[0] == "idwatch":
        cur = [facts]
        parts = parts[1:]
    else:
        cur = [event]
    for p in parts:
        nxt = []
        for c in cur:
            for item in (c if isinstance(c, list) else [c]):
                if isinstance(item, dict):
                    found, v = _get_ci(item, p)
                    if found:
                        nxt.append(v)
        cur = nxt
    out = []
    for c in cur:
        if isinstance(c, list):
            out.extend(c)
        else:
            out.append(c)
    return out


def as_text(v):
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return None
    return str(v)


# ---------------------------------------------------------------- detection

def value_matches(actual, expected, mods, event, facts):
    if "fieldref" in mods:
        refs = [as_text(x) for x in field_values(event, str(expected), facts)]
        a = as_text(actual)
        if a is None:
            return False
        if "cased" in mods:
            return a in refs
        return a.lower() in [r.lower() for r in refs if r is not None]
    if expected is None:
        return actual is None
    a = as_text(actual)
    if a is None:
        return False
    if "re" in mods:
        flags = (re.I if "i" in mods else 0) | (re.M if "m" in mods else 0) | (re.S if "s" in mods else 0)
        return re.search(str(expected), a, flags) is not None
    if "cidr" in mods:
        try:
            return ipaddress.ip_address(a) in ipaddress.ip_network(str(expected), strict=False)
        except ValueError:
            return False
    if mods & {"gt", "gte", "lt", "lte"}:
        try:
            x, y = float(a), float(expected)
        except (TypeError, ValueError):
            return False
        return (("gt" in mods and x > y) or ("gte" in mods and x >= y)
                or ("lt" in mods and x < y) or ("lte" in mods and x <= y))
    e = as_text(expected)
    if "contains" in mods:
        pat = "*" + e + "*"
    elif "startswith" in mods:
        pat = e + "*"
    elif "endswith" in mods:
        pat = "*" + e
    else:
        pat = e
    if "cased" not in mods:
        pat, a = pat.lower(), a.lower()
    # fnmatch treats [ specially; escape it so only * and ? are wildcards
    pat = pat.replace("[", "[[]")
    return fnmatch.fnmatchcase(a, pat)


def field_matches(event, key, expected, facts):
    name, *mods = key.split("|")
    mods = set(mods)
    unknown = mods - MODIFIERS
    if unknown:
        raise Problem("unknown modifier %s on %s" % (sorted(unknown), name))
    values = field_values(event, name, facts)
    if "exists" in mods:
        present = any(v is not None for v in values)
        return present == bool(expected)
    exp_list = expected if isinstance(expected, list) else [expected]
    if "neq" in mods:
        mods.discard("neq")
        return bool(values) and all(
            not any(value_matches(v, e, mods, event, facts) for e in exp_list) for v in values)
    if not values:
        values = [None]

    def one(e):
        return any(value_matches(v, e, mods, event, facts) for v in values)
    if "all" in mods:
        return all(one(e) for e in exp_list)
    return any(one(e) for e in exp_list)


def selection_matches(event, sel, facts):
    if isinstance(sel, list):
        if all(isinstance(s, dict) for s in sel):
            return any(selection_matches(event, s, facts) for s in sel)
        raise Problem("keyword (field-less) selections are not used in this catalogue")
    if not isinstance(sel, dict):
        raise Problem("a selection must be a map or a list of maps")
    return all(field_matches(event, k, v, facts) for k, v in sel.items())


def tokenize(cond):
    return re.findall(r"\(|\)|[^\s()]+", cond)


def eval_condition(cond, detection, event, facts):
    names = [k for k in detection if k != "condition"]
    toks = tokenize(cond)
    pos = [0]

    def peek():
        return toks[pos[0]] if pos[0] < len(toks) else None

    def take(expected=None):
        t = peek()
        if t is None or (expected and t != expected):
            raise Problem("condition '%s': expected %s at token %d" % (cond, expected or "more", pos[0]))
        pos[0] += 1
        return t

    def sel(name):
        if name not in detection:
            raise Problem("condition names unknown selection '%s'" % name)
        return selection_matches(event, detection[name], facts)

    def primary():
        t = take()
        if t == "(":
            v = expr()
            take(")")
            return v
        if t == "not":
            return not primary()
        if t in ("1", "all") or t.isdigit():
            take("of")
            target = take()
            group = names if target == "them" else [n for n in names if fnmatch.fnmatchcase(n, target)]
            if not group:
                raise Problem("condition '%s': '%s' names no selection" % (cond, target))
            results = [sel(n) for n in group]
            return all(results) if t == "all" else sum(results) >= int(t)
        return sel(t)

    def conj():
        v = primary()
        while peek() == "and":
            take()
            w = primary()
            v = v and w
        return v

    def expr():
        v = conj()
        while peek() == "or":
            take()
            w = conj()
            v = v or w
        return v

    v = expr()
    if peek() is not None:
        raise Problem("condition '%s': trailing '%s'" % (cond, peek()))
    return v


def rule_matches(rule, event, facts):
    det = rule["detection"]
    cond = det.get("condition")
    if isinstance(cond, list):
        return any(eval_condition(c, det, event, facts) for c in cond)
    return eval_condition(cond, det, event, facts)


# ---------------------------------------------------------------- correlation

def span_seconds(text):
    m = SPAN.match(str(text))
    if not m:
        raise Problem("timespan '%s' is not <n>s|m|h|d" % text)
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


def event_time(ev):
    return datetime.datetime.strptime(ev["published"][:19], "%Y-%m-%dT%H:%M:%S").timestamp()


def first_text(ev, path):
    vals = [as_text(v) for v in field_values(ev, path, {}) if v is not None]
    return vals[0] if vals else None


def cond_holds(cond, n):
    ops = {"gt": n.__gt__, "gte": n.__ge__, "lt": n.__lt__, "lte": n.__le__, "eq": n.__eq__}
    return all(ops[k](v) for k, v in cond.items() if k in ops)


def correlate(corr, matches):
    """matches: list of (ref_index, event) in event order. True when it fires."""
    c = corr["correlation"]
    span = span_seconds(c["timespan"])
    groups = c.get("group-by") or []
    kind = c["type"]
    nrefs = len(c["rules"])
    hist = {}
    for ref, ev in matches:
        key = tuple(first_text(ev, g) for g in groups)
        if None in key:
            continue
        t = event_time(ev)
        h = hist.setdefault(key, [])
        h.append((t, ref, ev))
        h[:] = [x for x in h if t - x[0] <= span]
        if kind == "event_count" and cond_holds(c["condition"], len(h)):
            return True
        if kind == "value_count":
            vals = {first_text(x[2], c["condition"]["field"]) for x in h} - {None}
            if cond_holds(c["condition"], len(vals)):
                return True
        if kind == "temporal" and len({x[1] for x in h}) == nrefs:
            return True
        if kind == "temporal_ordered":
            want = 0
            for x in h:
                if x[1] == want:
                    want += 1
                    if want == nrefs:
                        return True
    return False


# ---------------------------------------------------------------- checks

def check_meta(doc, where, corr):
    for k in (CORR_KEYS if corr else RULE_KEYS):
        if k not in doc:
            raise Problem("%s: missing '%s'" % (where, k))
    if doc["level"] not in LEVELS:
        raise Problem("%s: level '%s'" % (where, doc["level"]))
    if doc["status"] not in STATUSES:
        raise Problem("%s: status '%s'" % (where, doc["status"]))
    if doc["author"] != "idwatch":
        raise Problem("%s: author must be idwatch" % where)
    if str(doc["date"]) != "2026-12-05":
        raise Problem("%s: date %s" % (where, doc["date"]))
    try:
        if uuid.UUID(str(doc["id"])).version != 4:
            raise Problem("%s: id is not a random (v4) UUID" % where)
    except ValueError:
        raise Problem("%s: id '%s' is not a UUID" % (where, doc["id"]))
    tags = doc["tags"]
    if not isinstance(tags, list) or not tags:
        raise Problem("%s: tags must be a non-empty list" % where)
    tactic = technique = False
    for t in tags:
        if not TAG.match(str(t)):
            raise Problem("%s: tag '%s'" % (where, t))
        name = t.split(".", 1)[1]
        if name[0] == "t" and name[1].isdigit():
            technique = True
        elif name in TACTICS:
            tactic = True
        else:
            raise Problem("%s: unknown tactic tag '%s'" % (where, t))
    if not (tactic and technique):
        raise Problem("%s: tags need an attack.<tactic> and an attack.tNNNN" % where)
    if not isinstance(doc["references"], list) or not all(
            str(r).startswith("https://") for r in doc["references"]):
        raise Problem("%s: references must be a list of https URLs" % where)
    if not isinstance(doc["falsepositives"], list):
        raise Problem("%s: falsepositives must be a list" % where)
    desc = str(doc["description"]).strip()
    if len(desc) < 40:
        raise Problem("%s: description too short" % where)
    if not corr:
        ls = doc["logsource"]
        if ls.get("product") != "okta" or ls.get("service") != "okta":
            raise Problem("%s: logsource must be {product: okta, service: okta}" % where)
        if "condition" not in doc["detection"]:
            raise Problem("%s: detection without condition" % where)
    else:
        c = doc["correlation"]
        if c.get("type") not in CORR_TYPES:
            raise Problem("%s: correlation type '%s'" % (where, c.get("type")))
        span_seconds(c.get("timespan"))
        if not c.get("rules"):
            raise Problem("%s: correlation without rules" % where)
        if c["type"] in ("event_count", "value_count") and not isinstance(c.get("condition"), dict):
            raise Problem("%s: correlation condition must be a map" % where)
        if c["type"] == "value_count" and "field" not in c["condition"]:
            raise Problem("%s: value_count needs condition.field" % where)


def check_event(ev, where, seen):
    for k in ("uuid", "published", "eventType", "actor", "outcome"):
        if k not in ev:
            raise Problem("%s: event without '%s'" % (where, k))
    if not RFC3339_UTC.match(str(ev["published"])):
        raise Problem("%s: published '%s' is not RFC 3339 UTC" % (where, ev["published"]))
    if not str(ev["published"]).startswith("2026-"):
        raise Problem("%s: published outside 2026" % where)
    if ev["uuid"] in seen:
        raise Problem("%s: uuid %s used twice in the file" % (where, ev["uuid"]))
    seen.add(ev["uuid"])


def facts_for(events, i):
    ev = events[i]
    issuer = first_text(ev, "authenticationContext.issuer.id")
    earlier = {first_text(e, "authenticationContext.issuer.id") for e in events[:i]
               if first_text(e, "outcome.result") in ("SUCCESS", "ALLOW")}
    org = {}
    if issuer is not None:
        org["idp_first_seen"] = issuer not in earlier
    return {"org": org}


def run_test(docs, test, where):
    """Evaluates a test's events against a file's documents; True = alert."""
    events = test["events"]
    rules = [d for d in docs if "detection" in d]
    corrs = [d for d in docs if "correlation" in d]
    by_ref = {}
    for r in rules:
        by_ref[str(r["id"])] = r
        if "name" in r:
            by_ref[r["name"]] = r
    referenced = {}
    for c in corrs:
        for ref in c["correlation"]["rules"]:
            if ref not in by_ref:
                raise Problem("%s: correlation references unknown rule '%s'" % (where, ref))
            referenced[id(by_ref[ref])] = c["correlation"].get("generate", False)
    alert = False
    matches = {id(c): [] for c in corrs}
    for i, ev in enumerate(events):
        facts = facts_for(events, i)
        for r in rules:
            if not rule_matches(r, ev, facts):
                continue
            if referenced.get(id(r), True):
                alert = True
            for c in corrs:
                refs = [by_ref[x] for x in c["correlation"]["rules"]]
                for n, rr in enumerate(refs):
                    if rr is r:
                        matches[id(c)].append((n, ev))
    for c in corrs:
        if correlate(c, matches[id(c)]):
            alert = True
    return alert


def check_file(path, all_ids):
    problems = []
    base = os.path.basename(path)
    try:
        with open(path, encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
    except yaml.YAMLError as e:
        return ["%s: YAML: %s" % (base, e)]
    if not docs:
        return ["%s: no rule documents" % base]
    tests = None
    for n, d in enumerate(docs):
        where = "%s#%d (%s)" % (base, n + 1, d.get("title", "?") if isinstance(d, dict) else "?")
        try:
            if not isinstance(d, dict):
                raise Problem("%s: a document must be a map" % where)
            check_meta(d, where, "correlation" in d)
            rid = str(d["id"])
            if rid in all_ids:
                raise Problem("%s: id %s also in %s" % (where, rid, all_ids[rid]))
            all_ids[rid] = base
            if len(docs) > 1 and "detection" in d and not d.get("name"):
                raise Problem("%s: a base rule in a multi-document file needs a name" % where)
            t = (d.get("idwatch") or {}).get("tests")
            if t is not None:
                if tests is not None:
                    raise Problem("%s: only one document may carry tests" % where)
                if len(docs) > 1 and "correlation" not in d:
                    raise Problem("%s: tests belong to the correlation document" % where)
                tests = t
        except Problem as e:
            problems.append(str(e))
    if problems:
        return problems
    if not tests:
        return ["%s: no idwatch.tests" % base]
    kinds = {t.get("expect") for t in tests}
    if not {"alert", "none"} <= kinds:
        problems.append("%s: needs at least one 'alert' and one 'none' test" % base)
    seen = set()
    for t in tests:
        where = "%s: test '%s'" % (base, t.get("name", "?"))
        try:
            if t.get("expect") not in ("alert", "none"):
                raise Problem("%s: expect must be alert or none" % where)
            if not t.get("events"):
                raise Problem("%s: no events" % where)
            for ev in t["events"]:
                check_event(ev, where, seen)
            got = run_test(docs, t, where)
            if got != (t["expect"] == "alert"):
                raise Problem("%s: expected %s, evaluator says %s" % (
                    where, t["expect"], "alert" if got else "none"))
        except Problem as e:
            problems.append(str(e))
    return problems


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    files = argv[1:] or sorted(glob.glob(os.path.join(here, "..", "rules", "okta", "*.yml")))
    if not files:
        print("check_catalogue: no rule files", file=sys.stderr)
        return 1
    all_ids = {}
    bad = 0
    ntests = 0
    for path in files:
        probs = check_file(path, all_ids)
        for p in probs:
            print(p)
        bad += bool(probs)
        if not probs:
            with open(path, encoding="utf-8") as f:
                for d in yaml.safe_load_all(f):
                    ntests += len(((d or {}).get("idwatch") or {}).get("tests") or [])
    print("check_catalogue: %d files, %d failing, %d tests evaluated" % (len(files), bad, ntests))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
