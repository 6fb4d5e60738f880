#!/usr/bin/env python3
"""lint.py — idwatch's source style checker (`make lint`), in the spirit of
curl's checksrc: a few rules the compiler does not enforce, each one a
defect class we have met, checked on every .c and .h under src/, tools/
and tests/ (C files only).

Rules (name: what it refuses):
  assign-in-cond   an assignment inside if/while/switch conditions
                   (`if ((fd = open(...)) < 0)`): do the call, then test
  line-length      lines longer than MAX_COLS columns
  multi-stmt       two statements on one line (`case X: a(); break;`)
  trailing-space   whitespace at the end of a line, or a tab anywhere
  positional-init  a struct with more than three fields initialized by
                   position (`struct x v = {a, b, c, d}`): name the fields
  file-header      a file that does not open with a comment saying how it
                   fits
  layering         a src/ folder including a header from a folder above it
                   in the stack (LAYERS below; docs/architecture.md)

Usage: tools/lint.py [files...]   (no files: the whole tree)
Exit status: 0 clean, 1 findings (one line each: file:line: rule: text),
2 usage error.  A line may opt out of one rule with a trailing comment
`/* lint: allow <rule> */`, for the rare place where the rule is wrong.
"""
import os
import re
import sys

MAX_COLS = 110

# The stack, bottom to top: a folder may include itself and any folder listed
# in its entry (which are below it).  `cli` is the top and may include all.
LAYERS = {
    "common": set(),
    "event": {"common"},
    "persona": {"common", "event"},
    "store": {"common", "event", "persona"},
    "source": {"common", "event", "persona", "store"},
    "alert": {"common", "event", "persona", "store"},
    "rules": {"common", "event", "persona", "store", "alert"},
    "sigma": {"common", "event", "persona", "store", "alert", "rules"},
    "deliver": {"common", "event", "persona", "store", "alert", "source"},
    "engine": {"common", "event", "persona", "store", "source", "alert", "rules", "sigma"},
    "serve": {"common", "event", "persona", "store", "source", "alert", "rules", "sigma", "deliver",
              "engine"},
    "cluster": {"common", "event", "persona", "store", "source", "alert", "rules", "sigma", "deliver",
                "engine"},
    "cli": None,
}

ROOTS = ("src", "tools")


def strip_code(text):
    """The text with comments, strings and character literals blanked out
    (lengths kept, so columns and line numbers stay right)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def balanced(code, start):
    """Index just past the parenthesis that closes the one at start."""
    depth = 0
    for k in range(start, len(code)):
        if code[k] == "(":
            depth += 1
        elif code[k] == ")":
            depth -= 1
            if depth == 0:
                return k + 1
    return len(code)


ASSIGN = re.compile(r"(?<![=!<>+\-*/%&|^])=(?!=)|[+\-*/%&|^]=|<<=|>>=")
COND = re.compile(r"\b(if|while|switch)\s*\(")


def check_assign_in_cond(code, report):
    for m in COND.finditer(code):
        open_at = m.end() - 1
        end = balanced(code, open_at)
        cond = code[open_at + 1:end - 1]
        if ASSIGN.search(cond):
            report(code.count("\n", 0, m.start()) + 1, "assign-in-cond",
                   "assignment inside a %s condition" % m.group(1))


STMT_END = re.compile(r";\s*\S")


def check_multi_stmt(lines, report):
    for no, line in enumerate(lines, 1):
        s = line.strip()
        if not s or s.startswith("#") or re.match(r"for\s*\(", s) or "for (" in s:
            continue
        m = STMT_END.search(s)
        if m and not s[m.end() - 1] in "}\\":
            report(no, "multi-stmt", "two statements on one line")
        elif re.match(r"(case\b.*|default)\s*:\s*\S", s) and not s.rstrip().endswith(":") \
                and not re.match(r"case\b[^:]*:\s*(/\*.*)?$", s) and "{" not in s:
            report(no, "multi-stmt", "a statement on the case label's line")


POSITIONAL = re.compile(r"\bstruct\s+\w+\s+\w+(\[\w*\])?\s*=\s*\{(?!\s*[.\[{}]|\s*0\s*\})([^;]*?)\}\s*;")


def check_positional_init(code, report):
    for m in POSITIONAL.finditer(code):
        body = m.group(2)
        if m.group(1) is not None:      # an array of structs: each element is its own {...}
            continue
        if body.count(",") >= 3 and "{" not in body:
            report(code.count("\n", 0, m.start()) + 1, "positional-init",
                   "struct initialized by position: use designated initializers")


INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"', re.M)


def check_layering(path, code_raw, report):
    parts = path.split(os.sep)
    if len(parts) < 3 or parts[0] != "src":
        return
    folder = parts[1]
    allowed = LAYERS.get(folder, set())
    if allowed is None:
        return
    for m in INCLUDE.finditer(code_raw):
        dep = m.group(1)
        if dep != folder and dep not in allowed:
            report(code_raw.count("\n", 0, m.start()) + 1, "layering",
                   "%s/ includes %s/, which is above it in the stack" % (folder, dep))


def lint_file(path):
    findings = []
    with open(path, encoding="utf-8", errors="replace") as f:
        raw = f.read()
    lines = raw.split("\n")

    def report(no, rule, text):
        line = lines[no - 1] if 0 < no <= len(lines) else ""
        if ("lint: allow " + rule) in line:
            return
        findings.append("%s:%d: %s: %s" % (path, no, rule, text))

    if not raw.lstrip().startswith("/*"):
        report(1, "file-header", "the file does not open with a comment saying how it fits")
    for no, line in enumerate(lines, 1):
        if len(line) > MAX_COLS:
            report(no, "line-length", "%d columns (at most %d)" % (len(line), MAX_COLS))
        if line != line.rstrip() or "\t" in line:
            report(no, "trailing-space", "trailing whitespace or a tab")
    code = strip_code(raw)
    check_assign_in_cond(code, report)
    check_multi_stmt(code.split("\n"), report)
    check_positional_init(code, report)
    check_layering(path, raw, report)
    return findings


def tree_files():
    for root in ROOTS:
        for d, _, names in os.walk(root):
            for name in sorted(names):
                if name.endswith((".c", ".h")):
                    yield os.path.join(d, name)


def main(argv):
    if any(a.startswith("-") for a in argv):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    files = argv or sorted(tree_files())
    findings = []
    for path in files:
        findings.extend(lint_file(path))
    for f in findings:
        print(f)
    if findings:
        print("lint: %d finding(s) in %d file(s)" % (len(findings), len(files)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
