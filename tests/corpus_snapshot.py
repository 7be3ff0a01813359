"""Everything dffix says about each corpus file, as one digest per file and fix level.

Speed work must not change a single output (issue 14): `tests/test_corpus_snapshot.py`
compares these digests with `tests/data/corpus_snapshot.json`, recorded before the
speed work. A change that is meant to change outputs (a rule fixed, a message
reworded) records the digests again, in the same commit:

    .venv/bin/python -m tests.corpus_snapshot --write

A digest covers the fixed text, the counts and bugs `dffix` prints, every violation
left in the fixed text (code, span, message, fix title, fix level and edits: what
`--check`, the reports and the editor's quick fixes are made of) and every violation
of the text as written.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from dffix import api
from dffix.config import ConfigError
from dffix.syntax import ParseError
from tests.corpus import CORPUS, corpus_files, decode

SNAPSHOT = Path(__file__).resolve().parent / "data" / "corpus_snapshot.json"


def _violations(found: object) -> list[object]:
    if isinstance(found, ParseError):
        return ["parse error", found.message, found.line, found.col]
    out: list[object] = []
    for v in found:  # type: ignore[attr-defined]
        fix = v.fix
        edits = [] if fix is None else [int(fix.applicability), [list(e) for e in fix.edits]]
        out.append([v.code, v.name, v.message, v.span.start, v.span.end, v.fix_title, v.isolation, edits])
    return out


def digests(path: Path) -> dict[str, str]:
    """Return {"safe": digest, "unsafe": digest} for the Dockerfile at `path`."""
    text = decode(path.read_bytes())
    context = api.build_context(str(path))
    out: dict[str, str] = {}
    for level, unsafe in (("safe", False), ("unsafe", True)):
        rule_set = api.rule_set_for(str(path), api.Overrides(unsafe_fixes=unsafe))
        assert not isinstance(rule_set, ConfigError), rule_set
        fixed = api.fix_text(text, rule_set, context)
        record: list[object]
        if isinstance(fixed, ParseError):
            record = ["parse error", fixed.message, fixed.line, fixed.col]
        else:
            record = [
                fixed.text,
                fixed.fixes,
                fixed.unsafe_left,
                fixed.manual_left,
                list(fixed.bugs),
                [v.code for v in fixed.applied],
                _violations(fixed.remaining),
            ]
        record.append(_violations(api.check_violations(text, rule_set, context)))
        blob = json.dumps(record, ensure_ascii=False).encode("utf-8", "surrogateescape")
        out[level] = hashlib.sha256(blob).hexdigest()[:24]
    return out


def all_digests() -> dict[str, dict[str, str]]:
    return {str(p.relative_to(CORPUS)): digests(p) for p in corpus_files()}


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.corpus_snapshot --write")
    found = all_digests()
    SNAPSHOT.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    print(f"{len(found)} files recorded in {SNAPSHOT}")
