"""Suppression comments: `# dffix: ignore=DF201`, `# hadolint ignore=DL3020`, skip-file,
and BuildKit's `# check=skip=JSONArgsRecommended` parser directive."""

from __future__ import annotations

import bisect
import re

from dffix.lazy import lazy_re
from dffix.records import NamedTuple
from dffix.syntax.tree import Directive, Dockerfile, Instruction, LineKind, Trivia

_IGNORE_RE = lazy_re(r"#\s*(?:dffix:|hadolint)\s*ignore\s*=\s*([\w\-, ]+)", re.IGNORECASE)
_GLOBAL_RE = lazy_re(r"#\s*(?:dffix:|hadolint)\s*global\s+ignore\s*=\s*([\w\-, ]+)", re.IGNORECASE)
_SKIP_RE = lazy_re(r"#\s*dffix:\s*skip-file\b", re.IGNORECASE)
# Each of those names dffix or hadolint, in any case as re.IGNORECASE reads it: where a
# character of those names is matched by what str.lower() gives, and by two more, the
# dotted and dotless capital/small I (tests/test_suppress_fast.py checks every code point).
_FOLDS_TO_I = ("\u0130", "\u0131")


class Suppressions(NamedTuple):
    """Which selectors are silenced where: per instruction span, and file-wide."""

    skip_file: bool
    file_wide: tuple[str, ...]
    by_instruction: tuple[tuple[int, int, tuple[str, ...]], ...]  # (start, end, selectors)

    def selectors_for(self, offset: int) -> tuple[str, ...]:
        """Return the selectors silenced at `offset` (file-wide plus its instruction's)."""
        if not self.by_instruction:  # the usual file: no ignore comment at all
            return self.file_wide
        # Instructions are in file order and do not overlap: a binary search keeps a file
        # with thousands of suppressed instructions and diagnostics linear.
        i = bisect.bisect_right(self.by_instruction, offset, key=lambda entry: entry[0]) - 1
        if i >= 0:
            start, end, words = self.by_instruction[i]
            if start <= offset < end:
                return (*self.file_wide, *words)
        return self.file_wide


_EMPTY = Suppressions(False, (), ())


def _words(match: re.Match[str]) -> tuple[str, ...]:
    return tuple(w for w in re.split(r"[,\s]+", match.group(1)) if w)


def suppressions(df: Dockerfile) -> Suppressions:
    """Read the suppression comments of `df`.

    An ignore comment silences the rules it names for the instruction right after
    its run of comment lines; `global ignore` and `skip-file` apply to the file.
    """
    # The usual file has none: no comment names dffix or hadolint, and no `check`
    # directive (directives, when there are any, are the first items). Asked on every
    # pass of the fixer; two searches of the text answer instead of reading each comment.
    text = df.text
    if not (df.items and type(df.items[0]) is Directive) and not any(c in text for c in _FOLDS_TO_I):
        low = text.lower()
        if "dffix" not in low and "hadolint" not in low:
            return _EMPTY
    return _read(df)


def _read(df: Dockerfile) -> Suppressions:
    """Return `suppressions(df)`, every item read (tests/test_suppress_fast.py holds the
    shortcut to it)."""
    skip = False
    file_wide: list[str] = []
    by_instr: list[tuple[int, int, tuple[str, ...]]] = []
    pending: list[str] = []
    for item in df.items:
        if isinstance(item, Directive):
            if item.name == "check":
                # BuildKit skips these checks for the file: so do the rules mapped to them.
                from dffix.compat import check_directive_skips

                file_wide += check_directive_skips(item.value)
            continue
        if isinstance(item, Trivia) and item.is_comment:
            line = df.text[item.span.start : item.span.end].strip()
            if _SKIP_RE.match(line):
                skip = True
            elif m := _GLOBAL_RE.match(line):
                file_wide += _words(m)
            elif m := _IGNORE_RE.match(line):
                pending += _words(m)
            continue
        if isinstance(item, Instruction):
            # Comments inside a continuation may carry an ignore for this instruction too.
            # (Only a continued instruction has lines of its own to read.)
            words = (*pending, *_inner(df, item)) if len(item.lines) > 1 else tuple(pending)
            if words:
                by_instr.append((item.span.start, item.span.end, words))
        pending = []
    return Suppressions(skip, tuple(file_wide), tuple(by_instr))


def _inner(df: Dockerfile, instr: Instruction) -> tuple[str, ...]:
    words: list[str] = []
    for line in instr.lines:
        if line.kind is LineKind.COMMENT:
            m = _IGNORE_RE.match(df.text[line.start : line.end].strip())
            if m:
                words += _words(m)
    return tuple(words)
