"""Unified diff text between the original and the fixed Dockerfile."""

from __future__ import annotations

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
    import difflib

    out: list[str] = []
    a, b = split_lines(old), split_lines(new)
    for i, line in enumerate(
        difflib.unified_diff(a, b, f"a/{path.lstrip('/')}", f"b/{path.lstrip('/')}", lineterm="\n")
    ):
        out.append(_paint(line, header=i < 2) if color else line)
        if not line.endswith("\n"):
            out.append("\n" + NO_NEWLINE)
    return "".join(out)


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
