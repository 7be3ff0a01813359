#!/usr/bin/env python3
"""Count, per rule, what dffix finds and fixes over a folder of Dockerfiles.

For every Dockerfile below the folder (default: ../shared/corpus) it runs all default
rules (plus any named with --select) in-process at the safe level and at the unsafe
level, with the Dockerfile's folder as the build context, and prints a table: files
and diagnostics found in the input, fixes applied at each level, and what is left.

    python scripts/corpus_counts.py [--corpus DIR] [--select DF103,...]
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

from dffix.edits import Applicability
from dffix.facts import BuildContext
from dffix.fixer import check, fix
from dffix.rules import ALL_RULES, Rule
from dffix.syntax import ParseError, parse

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--select", default="", help="extra rules to run (codes, comma-separated)")
    args = ap.parse_args()
    extra = {w.strip().upper() for w in args.select.split(",") if w.strip()}
    rules: list[Rule] = [r() for r in ALL_RULES if r.default_enabled or r.code in extra]
    found: collections.Counter[str] = collections.Counter()
    files: dict[str, set[str]] = collections.defaultdict(set)
    applied = {level: collections.Counter[str]() for level in (Applicability.SAFE, Applicability.UNSAFE)}
    left: collections.Counter[str] = collections.Counter()
    paths = sorted(args.corpus.rglob("Dockerfile"))
    bad = 0
    for path in paths:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        df = parse(text)
        if isinstance(df, ParseError):
            bad += 1
            continue
        context = BuildContext(path.parent)
        for v in check(df, rules, context):
            found[v.code] += 1
            files[v.code].add(str(path))
        for level, counter in applied.items():
            result = fix(text, rules, level, context)
            assert not isinstance(result, ParseError)
            counter.update(v.code for v in result.applied)
            if level is Applicability.UNSAFE:
                left.update(v.code for v in result.remaining)
    print(f"{len(paths)} files, {bad} rejected as input (BuildKit rejects them too)")
    print(f"{'rule':6} {'name':34} {'files':>5} {'found':>6} {'safe':>5} {'unsafe':>6} {'left':>5}")
    for rule in sorted(rules, key=lambda r: r.code):
        code = rule.code
        safe, unsafe = applied[Applicability.SAFE][code], applied[Applicability.UNSAFE][code]
        print(
            f"{code:6} {rule.name:34} {len(files[code]):5} {found[code]:6} {safe:5} {unsafe:6} {left[code]:5}"
        )
    print("safe/unsafe: fixes applied by `dffix` / `dffix --unsafe-fixes` (the engine re-checks after")
    print("each pass, so a fix may count once per pass); left: diagnostics after --unsafe-fixes.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
