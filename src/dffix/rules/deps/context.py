"""The build context as DF202 may see it: what it holds at a path, after `.dockerignore`."""

from __future__ import annotations

import os
import posixpath
import re

from dffix.facts import BuildContext
from dffix.rules.copy import looks_like_archive
from dffix.rules.deps.model import Presence as Presence


def ignore_regex(pattern: str) -> re.Pattern[str]:
    """Return a regex for a .dockerignore pattern, matching a path or any folder above it."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[" and "]" in pattern[i + 1 :]:
            close = pattern.index("]", i + 1)
            body = pattern[i + 1 : close]
            neg = body[:1] in ("!", "^")
            out.append("[" + ("^" if neg else "") + re.escape(body[1:] if neg else body) + "]")
            i = close
        elif ch == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"(?:/.*)?\Z", re.DOTALL)


def ignore_rules(text: str) -> tuple[tuple[bool, re.Pattern[str]], ...]:
    """Return the (exception?, regex) rules of a .dockerignore file, in order."""
    rules: list[tuple[bool, re.Pattern[str]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        line = line[1:].strip() if negate else line
        cleaned = posixpath.normpath(line).lstrip("/")
        if cleaned in ("", "."):
            continue
        rules.append((negate, ignore_regex(cleaned)))
    return tuple(rules)


def _ignore_text(context: BuildContext) -> str | None:
    """Return `context.ignore_text()`, without its two reads when the context's listing
    (read once per run) has no file named like an ignore file.

    Each read of a missing file resolves its path one folder at a time (a syscall each).
    The names are compared lower-cased, as a case-insensitive file system finds them; an
    empty listing (an unreadable folder) and a Dockerfile name with a folder in it (its
    ignore file is not at the top) are read as before."""
    names = context.names()
    own = context.dockerfile or ""
    listed = bool(names) and "/" not in own and os.sep not in own
    if listed and not any(name.lower().endswith(".dockerignore") for name in names):
        return None
    return context.ignore_text()


class View:
    """The build context as the rule may see it, with .dockerignore applied.

    One per BuildContext (see `of`): what it finds is the same on every fixer pass.
    """

    __slots__ = ("_seen", "context", "rules")

    def __init__(
        self, context: BuildContext | None, rules: tuple[tuple[bool, re.Pattern[str]], ...] = ()
    ) -> None:
        self.context = context
        self.rules = rules
        self._seen: dict[tuple[str, ...], Presence] = {}

    @classmethod
    def of(cls, context: BuildContext | None) -> View:
        """Return the view of `context`, reading its ignore file when there is one.

        Built once per context: the folder does not change during a run.
        """
        if context is None:
            return cls(None, ignore_rules(""))
        return context.cached("deps.view", lambda: cls(context, ignore_rules(_ignore_text(context) or "")))

    @property
    def visible(self) -> bool:
        """Return whether the build context can be looked at."""
        return self.context is not None

    def ignored(self, parts: tuple[str, ...]) -> bool:
        """Return whether .dockerignore leaves this context path out."""
        path = "/".join(parts)
        excluded = False
        for negate, rx in self.rules:
            if rx.match(path):
                excluded = not negate
        return excluded

    def presence(self, parts: tuple[str, ...]) -> Presence:
        """Return what the context holds at `parts` (after .dockerignore)."""
        if self.context is None:
            return Presence.UNKNOWN
        if parts not in self._seen:
            self._seen[parts] = self._look(self.context, parts)
        return self._seen[parts]

    def _look(self, context: BuildContext, parts: tuple[str, ...]) -> Presence:
        rel = "/".join(parts) or "."
        if (parts and self.ignored(parts)) or not context.exists(rel):
            return Presence.ABSENT
        return Presence.FILE if context.read_text(rel, limit=1) is not None else Presence.DIR

    def unpacks(self, source: str) -> bool:
        """Return whether a visible context file is an archive ADD would unpack."""
        if self.context is None or any(c in source for c in "*?[\\"):
            return False
        head = self.context.read_bytes(source.lstrip("/") or ".", 512)
        return head is not None and looks_like_archive(head)

    def text(self, parts: tuple[str, ...]) -> str | None:
        """Return a context file's text, or None when it is not there or not visible."""
        if self.context is None or self.presence(parts) is not Presence.FILE:
            return None
        return self.context.read_text("/".join(parts))
