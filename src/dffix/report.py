"""Machine-readable reports: json, sarif, github, gitlab, and the `--statistics` table.

A report never decides anything: codes, messages, severity and fixes come from the rules;
a format only lays them out. Each format is a pure function from the findings of a run
to text. This module is imported only when a run asks for one of them, so the everyday
`dffix FILE` never loads json or hashlib for it.

Positions are 1-based. Columns count characters (Unicode code points) from the start of
the line, and an end column is the one just after the last character (exclusive), as
SARIF's `endColumn` is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from dffix import HOMEPAGE, __version__
from dffix.edits import Applicability
from dffix.records import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from dffix.rules.base import Rule, Violation

RULE_DOCS = f"{HOMEPAGE}/blob/main/docs/rules/"
_APPLICABILITY = {
    Applicability.SAFE: "safe",
    Applicability.UNSAFE: "unsafe",
    Applicability.DISPLAY_ONLY: "display-only",
}


class Position(NamedTuple):
    """A 1-based line and column."""

    row: int
    column: int


class FindingEdit(NamedTuple):
    """One text replacement of a fix: from `location` to `end_location`, put `content`."""

    content: str
    location: Position
    end_location: Position


class FindingFix(NamedTuple):
    """A rule's proposed fix, as reports show it."""

    applicability: str  # "safe", "unsafe" or "display-only"
    title: str
    edits: tuple[FindingEdit, ...]


class Finding(NamedTuple):
    """One problem in one file, everything a report format needs."""

    code: str
    name: str
    message: str
    filename: str
    location: Position
    end_location: Position
    severity: str  # "error" (the file will not build) or "warning"
    fix: FindingFix | None
    line_text: str  # the source line the problem starts on, for fingerprints

    @property
    def url(self) -> str:
        """Return the address of the rule's documentation page."""
        return f"{RULE_DOCS}{self.code}-{self.name}.md"


def position(text: str, offset: int) -> Position:
    """Return the 1-based line and column of `offset` in `text` (a BOM is no column)."""
    from dffix.api import line_col

    return Position(*line_col(text, offset))


def finding(v: Violation, text: str, filename: str, severity: str = "warning") -> Finding:
    """Return the Finding of violation `v` of `text`, a file shown as `filename`."""
    start, end = position(text, v.span.start), position(text, max(v.span.end, v.span.start))
    line_start = text.rfind("\n", 0, v.span.start) + 1
    line_end = text.find("\n", v.span.start)
    line_text = text[line_start : line_end if line_end >= 0 else len(text)].strip()
    fix = None
    if v.fix is not None:
        edits = tuple(
            FindingEdit(e.text, position(text, e.start), position(text, e.end)) for e in v.fix.edits
        )
        fix = FindingFix(_APPLICABILITY[v.fix.applicability], v.fix_title or "", edits)
    return Finding(v.code, v.name, v.message, filename, start, end, severity, fix, line_text)


def fingerprints(findings: Sequence[Finding]) -> list[str]:
    """Return a fingerprint per finding that survives lines moving up or down.

    It hashes the code, the file and the text of the line the problem is on (not its
    number), plus how many identical ones came before in the same file.
    """
    seen: dict[tuple[str, str, str], int] = {}
    found = []
    for f in findings:
        key = (f.code, f.filename, f.line_text)
        seen[key] = seen.get(key, 0) + 1
        digest = hashlib.sha256("\0".join(key).encode("utf-8", "surrogatepass")).hexdigest()[:24]
        found.append(f"{digest}:{seen[key]}")
    return found


def render(fmt: str, findings: Sequence[Finding], rules: Sequence[type[Rule]]) -> str:
    """Return the report of `findings` in format `fmt` (json, sarif, github or gitlab)."""
    if fmt == "json":
        return to_json(findings)
    if fmt == "sarif":
        return to_sarif(findings, rules)
    if fmt == "github":
        return to_github(findings)
    if fmt == "gitlab":
        return to_gitlab(findings)
    raise ValueError(f"no report format {fmt!r}")  # the option parser lets none through


# -- json ---------------------------------------------------------------------------


def _pos(p: Position) -> dict[str, int]:
    return {"row": p.row, "column": p.column}


def to_json(findings: Sequence[Finding]) -> str:
    """Return the findings as a JSON list of objects (documented in the user guide)."""
    items = []
    for f in findings:
        fix = None
        if f.fix is not None:
            edits = [
                {"content": e.content, "location": _pos(e.location), "end_location": _pos(e.end_location)}
                for e in f.fix.edits
            ]
            fix = {"applicability": f.fix.applicability, "title": f.fix.title, "edits": edits}
        items.append(
            {
                "code": f.code,
                "name": f.name,
                "message": f.message,
                "filename": f.filename,
                "location": _pos(f.location),
                "end_location": _pos(f.end_location),
                "severity": f.severity,
                "url": f.url,
                "fix": fix,
            }
        )
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


# -- sarif ----------------------------------------------------------------------------


def _uri(filename: str) -> str:
    from urllib.parse import quote

    return quote(filename.replace("\\", "/"))


def _region(start: Position, end: Position) -> dict[str, int]:
    return {"startLine": start.row, "startColumn": start.column, "endLine": end.row, "endColumn": end.column}


def _sarif_rule(rule: type[Rule]) -> dict[str, object]:
    from dffix.docs import docstring_markdown, summary

    doc = docstring_markdown(rule)
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.message},
        "fullDescription": {"text": summary(rule)},
        "help": {"text": doc, "markdown": doc},
        "helpUri": f"{RULE_DOCS}{rule.code}-{rule.name}.md",
        "defaultConfiguration": {"level": rule.severity},
    }


def to_sarif(findings: Sequence[Finding], rules: Sequence[type[Rule]]) -> str:
    """Return a SARIF 2.1.0 log of one run: every rule in `tool.driver.rules`, one result
    per finding, and `fixes` only for findings that have a fix with edits."""
    ordered = sorted(rules, key=lambda r: r.code)
    index = {r.code: i for i, r in enumerate(ordered)}
    results = []
    for f, fingerprint in zip(findings, fingerprints(findings), strict=True):
        location = {
            "artifactLocation": {"uri": _uri(f.filename)},
            "region": _region(f.location, f.end_location),
        }
        result: dict[str, object] = {
            "ruleId": f.code,
            "level": "error" if f.severity == "error" else "warning",
            "message": {"text": f.message},
            "locations": [{"physicalLocation": location}],
            "partialFingerprints": {"dffix/v1": fingerprint},
        }
        if f.code in index:
            result["ruleIndex"] = index[f.code]
        if f.fix is not None and f.fix.edits:
            # An empty artifactChanges makes GitHub reject the whole file: only real edits.
            replacements = [
                {"deletedRegion": _region(e.location, e.end_location), "insertedContent": {"text": e.content}}
                for e in f.fix.edits
            ]
            change = {"artifactLocation": {"uri": _uri(f.filename)}, "replacements": replacements}
            result["fixes"] = [{"description": {"text": f.fix.title}, "artifactChanges": [change]}]
        results.append(result)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "dffix",
                        "version": __version__,
                        "informationUri": HOMEPAGE,
                        "rules": [_sarif_rule(r) for r in ordered],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


# -- github -------------------------------------------------------------------------


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(findings: Sequence[Finding]) -> str:
    """Return GitHub Actions workflow commands, one `::warning` or `::error` per finding."""
    lines = []
    for f in findings:
        props = (
            f"file={_escape_property(f.filename)},line={f.location.row},col={f.location.column},"
            f"endLine={f.end_location.row},endColumn={f.end_location.column},"
            f"title={_escape_property(f'{f.code} {f.name}')}"
        )
        lines.append(
            f"::{'error' if f.severity == 'error' else 'warning'} {props}::{_escape_data(f.message)}\n"
        )
    return "".join(lines)


# -- gitlab -------------------------------------------------------------------------


def to_gitlab(findings: Sequence[Finding]) -> str:
    """Return a GitLab Code Quality report (a JSON list)."""
    items = [
        {
            "description": f"{f.code} {f.message}",
            "check_name": f.code,
            "fingerprint": hashlib.sha256(fingerprint.encode()).hexdigest(),
            "severity": "critical" if f.severity == "error" else "minor",
            "location": {"path": f.filename, "lines": {"begin": f.location.row, "end": f.end_location.row}},
        }
        for f, fingerprint in zip(findings, fingerprints(findings), strict=True)
    ]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


# -- statistics ---------------------------------------------------------------------


def statistics(findings: Sequence[Finding], fmt: str = "text") -> str:
    """Return the count of findings per rule and how many of them have a fix dffix applies
    (safe, or unsafe with --unsafe-fixes): a table, or a JSON list with `--output-format json`."""
    counts: dict[tuple[str, str], list[int]] = {}
    for f in findings:
        row = counts.setdefault((f.code, f.name), [0, 0, 0])
        row[0] += 1
        if f.fix is not None and f.fix.applicability == "safe":
            row[1] += 1
        elif f.fix is not None and f.fix.applicability == "unsafe":
            row[2] += 1
    ordered = sorted(counts.items(), key=lambda item: (-item[1][0], item[0][0]))
    if fmt == "json":
        items = [
            {"code": code, "name": name, "count": n, "fixable": safe, "fixable_unsafe": unsafe}
            for (code, name), (n, safe, unsafe) in ordered
        ]
        return json.dumps(items, indent=2) + "\n"
    if not ordered:
        return ""
    width = max(len(str(n)) for _, (n, _, _) in ordered)
    lines = []
    for (code, name), (n, safe, unsafe) in ordered:
        fixable = f"{safe} fixable" + (f", {unsafe} with --unsafe-fixes" if unsafe else "")
        lines.append(f"{n:>{width}}  {code}  {name}  ({fixable})\n")
    return "".join(lines)
