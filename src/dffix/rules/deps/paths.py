"""Paths in the image: absolute, or below a working directory no `WORKDIR` names."""

from __future__ import annotations

from functools import lru_cache

from dffix.records import NamedTuple

ABS = "/"
WORKDIR = "w"  # below the working directory of the stage when no WORKDIR says where


class Loc(NamedTuple):
    """A normalised path in the image: `root` is ABS or WORKDIR, `parts` the names below."""

    root: str
    parts: tuple[str, ...]

    def join(self, parts: tuple[str, ...]) -> Loc:
        """Return this path with `parts` appended."""
        return Loc(self.root, self.parts + parts)

    def contains(self, other: Loc) -> bool | None:
        """Return whether `other` is this path or below it; None when the roots differ."""
        if self.root != other.root:
            return None
        return other.parts[: len(self.parts)] == self.parts

    def below(self, other: Loc) -> tuple[str, ...]:
        """Return the names of `other` below this path (call after `contains`)."""
        return other.parts[len(self.parts) :]

    def as_abs(self) -> Loc:
        """Return the path with an unknown working directory taken as `/` (the worst case)."""
        return Loc(ABS, self.parts)

    def show(self) -> str:
        """Return the path as text: absolute, or relative to the working directory."""
        text = "/".join(self.parts)
        return "/" + text if self.root == ABS else text or "."


def split_path(text: str) -> tuple[str, ...] | None:
    """Return the names of a POSIX path with `.` and `..` resolved; None if it climbs out."""
    parts: list[str] = []
    for name in text.split("/"):
        if name in ("", "."):
            continue
        if name == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(name)
    return tuple(parts)


@lru_cache(maxsize=1024)
def resolve(base: Loc, text: str) -> Loc | None:
    """Return `text` resolved against `base`; None for variables, `~` or climbing out.

    Pure in its two values, and asked again for every WORKDIR and copy destination of an
    install's stage on every fixer pass: cached (the same few folders in every file)."""
    if not text or any(c in text for c in "$`\\") or text.startswith("~"):
        return None
    if text.startswith("/"):
        parts = split_path(text)
        return Loc(ABS, parts) if parts is not None else None
    joined = split_path("/".join((*base.parts, text)))
    return Loc(base.root, joined) if joined is not None else None


def has_glob(name: str) -> bool:
    """Return whether a path name is a wildcard pattern."""
    return "*" in name or "?" in name or "[" in name
