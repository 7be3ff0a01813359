"""Unified diff text between the original and the fixed Dockerfile."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

NO_NEWLINE = "\\ No newline at end of file\n"

_RED, _GREEN, _CYAN, _BOLD, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[1m", "\x1b[0m"


def split_lines(text: str) -> list[str]:
    """Return the lines of `text`, each with its own line ending.

    Only `\\n` ends a line, as for BuildKit: a lone `\\r`, form feed or U+2028 is an
    ordinary character, and `\\r\\n` stays on the line it ends.
    """
    lines = text.split("\n")
    last = lines.pop()
    return [line + "\n" for line in lines] + ([last] if last else [])


def unified_diff(old: str, new: str, path: str, *, color: bool = False) -> str:
    """Return a `--- a/PATH` / `+++ b/PATH` unified diff, or "" when the texts are equal.

    Lines keep their own endings (so CRLF shows as CRLF), and a last line without a
    newline is followed by the `\\ No newline at end of file` marker, as git prints it.
    """
    if old == new:
        return ""
    out: list[str] = []
    a, b = split_lines(old), split_lines(new)
    for i, line in enumerate(_diff_lines(a, b, f"a/{path.lstrip('/')}", f"b/{path.lstrip('/')}")):
        out.append(_paint(line, header=i < 2) if color else line)
        if not line.endswith("\n"):
            out.append("\n" + NO_NEWLINE)
    return "".join(out)


def _range(start: int, length: int) -> str:
    """Return a hunk range as `diff -u` writes it (`3,2`; `3` for one line; `2,0` for none)."""
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def _diff_lines(a: list[str], b: list[str], old_name: str, new_name: str, context: int = 3) -> Iterator[str]:
    """Yield the lines of a unified diff of the whole line lists `a` and `b`.

    Unlike `difflib.unified_diff`, no line is treated as junk: difflib's default
    heuristic ignores lines that make up over 1 % of a file of 200 lines or more, so
    in a long Dockerfile the blank lines never anchor a match and an unchanged blank
    line shows as removed and added again.
    """
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for n, group in enumerate(matcher.get_grouped_opcodes(context)):
        if n == 0:
            yield f"--- {old_name}\n"
            yield f"+++ {new_name}\n"
        first, last = group[0], group[-1]
        yield f"@@ -{_range(first[1], last[2] - first[1])} +{_range(first[3], last[4] - first[3])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[i1:i2])
                continue
            if tag in ("replace", "delete"):
                yield from ("-" + line for line in a[i1:i2])
            if tag in ("replace", "insert"):
                yield from ("+" + line for line in b[j1:j2])


def _paint(line: str, *, header: bool) -> str:
    """Return one diff line in ANSI colours: bold headers, cyan hunks, red and green changes."""
    body = line.rstrip("\r\n")
    ending = line[len(body) :]
    if header:
        color = _BOLD
    elif body.startswith("@@"):
        color = _CYAN
    elif body.startswith("-"):
        color = _RED
    elif body.startswith("+"):
        color = _GREEN
    else:
        return line
    return f"{color}{body}{_RESET}{ending}"
