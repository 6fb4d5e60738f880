#!/usr/bin/env python3
"""must_check.py — the return convention's checker (`make lint`; src/common/rc.h).

Every function declared in a src/ header that returns int, enum idw_rc or a
non-const pointer must carry IDW_MUST_CHECK, so the compiler refuses a call
that drops the answer: int and enum idw_rc are a verdict, and a non-const
pointer is (unless the function is a lookup) something allocated or opened
that is NULL on failure.  A const pointer is a view into something the
caller already holds, never a failure: it is not checked.

The exceptions are ACCESSORS below: lookups, predicates and process exit
codes whose result cannot be a failure, each with the reason.  A new
function belongs there only when dropping its result is harmless.

Usage: tools/must_check.py [headers...]   (no arguments: every src/**/*.h)
Exit status: 0 clean, 1 findings (file:line: must-check: name), 2 usage error.
"""
import glob
import os
import re
import sys

ACCESSORS = {
    # lookups: NULL or 0 means "none", not "failed"
    "idw_webhook_find": "the configured webhook of that name, or NULL",
    "idw_detect_alerts": "the engine's registry, owned by it",
    "idw_poll_pool_take_done": "a finished fetch's tag, or NULL when none waits",
    "idw_okta_get": "a member of a JSON object, or NULL when absent",
    "idw_cli_default_domain": "the --domain option or the first org",
    # predicates and counts: the answer, never a failure
    "idw_rule_wants": "whether a rule takes an event's kind",
    "idw_str_absent": "whether a string is NULL or empty",
    "idw_domain_id_valid": "whether a domain id is well formed",
    "idw_alert_historical": "a member of the alert document",
    "idw_persona_trust": "the persona's trust level",
    "idw_persona_learning": "whether the persona is still learning",
    "idw_selection_match": "whether an event matches a selection",
    "idw_window_has": "whether a sliding window holds a tag",
    "idw_org_shared_egress": "a verdict; a read failure is sticky in the detect ctx",
    "idw_org_common_asn": "a verdict; a read failure is sticky in the detect ctx",
    "idw_okta_risk_points": "a score computed from the event",
    "idw_strings_find": "an index into a list, or -1 when absent",
    "idw_reader_is_gzip": "whether the input is gzip",
    "idw_sigma_enabled": "whether a Sigma rule is on",
    "idw_sigma_path_each": "what the visitor returned: a verdict, not a failure",
    "idw_sigma_path_each_in": "what the visitor returned: a verdict, not a failure",
    "idw_sigma_path_first_text": "whether the field has a value",
    "idw_yaml_get": "a member of a YAML mapping, or NULL when absent",
    "idw_sigma_corr_generate": "a member of the correlation rule",
    "idw_okta_auth_on_response": "whether to retry at once (1) or not (0)",
    "idw_sleep_ms": "whether the sleep was cut short by a stop request",
    # failure is sticky: the detect ctx records it and idw_detect_event
    # answers IDW_ERR, which abandons the event's transaction
    "idw_state_put": "sticky failure in the detect ctx (rules/rule.h)",
    # process exit codes (docs/cli.md), returned from main
    "idw_cmd_*": "a process exit code",
}

DECL = re.compile(r"^(?P<ret>(?:(?:const|unsigned|struct|enum)\s+)*\w+(?:\s*\*+\s*|\s+))"
                  r"(?P<name>\w+)\s*\(")


def blank_comments(text):
    """The text with comments and preprocessor lines blanked (line numbers kept)."""
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"^[ \t]*#(?:[^\n]*\\\n)*[^\n]*", "", text, flags=re.M)


def declarations(text):
    """(line, return type, name, whole declaration) of every top-level function declaration."""
    depth, start, line = 0, 0, 1
    start_line = 1
    for i, c in enumerate(text):
        if c == "\n":
            line += 1
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                start, start_line = i + 1, line
        elif c == ";" and depth == 0:
            chunk = text[start:i]
            lead = len(chunk) - len(chunk.lstrip())
            first = start_line + chunk[:lead].count("\n")
            decl = " ".join(chunk.split())
            m = DECL.match(decl)
            if m and not decl.startswith(("typedef", "extern")):
                yield first, " ".join(m.group("ret").split()), m.group("name"), decl
            start, start_line = i + 1, line


def allowed(name):
    return name in ACCESSORS or any(k.endswith("*") and name.startswith(k[:-1]) for k in ACCESSORS)


def needs_check(ret):
    if ret.startswith("const ") and ret.endswith("*"):
        return False
    return ret.endswith("*") or ret in ("int", "enum idw_rc")


def check(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = blank_comments(f.read())
    for line, ret, name, decl in declarations(text):
        if needs_check(ret) and "IDW_MUST_CHECK" not in decl and not allowed(name):
            yield "%s:%d: must-check: %s returns %s without IDW_MUST_CHECK" % (path, line, name, ret)


def main(args):
    paths = args or sorted(glob.glob("src/**/*.h", recursive=True))
    for p in paths:
        if not os.path.isfile(p):
            print("must_check.py: %s: no such file" % p, file=sys.stderr)
            return 2
    findings = [f for p in paths for f in check(p)]
    for f in findings:
        print(f)
    if findings:
        print("must_check: %d finding(s)" % len(findings), file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
