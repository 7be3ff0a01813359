#!/usr/bin/env python3
"""Explain the corpus checker's "dead-text" findings, file by file.

`../shared/tools/corpus_check.py` flags a file as dead-text when the words BuildKit sees
in RUN values grow less than the raw words on RUN and indented lines. That count also
includes two kinds of words BuildKit never puts in a RUN value, though they are no
dead text at all:

- the continuation escape (` \\`) at the end of a line that now continues onto a new
  line (DF102's `&& rm -rf /var/lib/apt/lists/*` on its own line, Docker's own style);
- the `RUN` keyword of a new instruction (DF301's user creation).

This script fixes every corpus file in-process, computes the checker's number, and the
same number with those two kinds of words left out of the raw count. A file whose
adjusted number is still negative has real dead text: the script lists it and exits 1.

    python scripts/dead_text_audit.py [--unsafe-fixes] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

try:
    import dockerfile as buildkit  # type: ignore[import-not-found]  # BuildKit's parser, as the checker uses it
except ImportError:  # pragma: no cover
    sys.exit("needs PyPI `dockerfile` (pip install -e '.[test]')")

from dffix.edits import Applicability
from dffix.fixer import fix
from dffix.rules import ALL_RULES
from dffix.syntax import ParseError

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "shared" / "corpus"


def _run_words(text: str) -> int | None:
    try:
        cmds = buildkit.parse_string(text)
    except Exception:
        return None
    return sum(len(" ".join(c.value).split()) for c in cmds if c.cmd.upper() == "RUN")


def _raw_lines(text: str) -> list[str]:
    return [
        line
        for line in text.splitlines()
        if line.lstrip().upper().startswith("RUN") or line.startswith((" ", "\t"))
    ]


def _raw(text: str, *, adjusted: bool) -> int:
    total = 0
    for line in _raw_lines(text):
        words = line.split()
        if adjusted:
            if words and words[-1] in ("\\", "`"):
                words = words[:-1]  # a continuation escape: never part of a value
            if words and line.lstrip().upper().startswith("RUN") and words[0].upper() == "RUN":
                words = words[1:]  # the keyword: never part of a value
        total += len(words)
    return total


def growth(before: str, after: str, *, adjusted: bool) -> int | None:
    """The checker's visible_growth, optionally without escapes and RUN keywords."""
    seen_b, seen_a = _run_words(before), _run_words(after)
    if seen_b is None or seen_a is None:
        return None
    raw = _raw(after, adjusted=adjusted) - _raw(before, adjusted=adjusted)
    return (seen_a - seen_b) - max(0, raw)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--unsafe-fixes", action="store_true")
    args = ap.parse_args()
    level = Applicability.UNSAFE if args.unsafe_fixes else Applicability.SAFE
    rules = [r() for r in ALL_RULES if r.default_enabled]
    flagged = real = 0
    for path in sorted(args.corpus.rglob("Dockerfile")):
        text = path.read_bytes().decode("utf-8", "replace")
        result = fix(text, rules, level)
        if isinstance(result, ParseError) or result.text == text:
            continue
        raw_growth = growth(text, result.text, adjusted=False)
        if raw_growth is not None and raw_growth < 0:
            flagged += 1
            adjusted = growth(text, result.text, adjusted=True)
            if adjusted is not None and adjusted < 0:
                real += 1
                print(f"dead text: {path.relative_to(args.corpus)} ({adjusted})")
    print(
        f"flagged by the checker's count: {flagged}; still negative without escapes and RUN keywords: {real}"
    )
    return 1 if real else 0


if __name__ == "__main__":
    sys.exit(main())
