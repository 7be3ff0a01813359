"""Edits and fixes: text replacements on offsets of the original text; and what the fixer
returns (fixer.py is compiled and defines no records: dffix/rules/records.py says why)."""

from __future__ import annotations

from dffix.records import TYPE_CHECKING, IntEnum, NamedTuple
from dffix.syntax.tree import Span

if TYPE_CHECKING:
    from dffix.rules.base import Violation


class Applicability(IntEnum):
    """How sure a fix is. A fix is applied when its level is at least the one asked for."""

    DISPLAY_ONLY = 0  # shown, never applied
    UNSAFE = 1  # applied only with --unsafe-fixes: may change what the image does
    SAFE = 2  # applied by default: keeps what the image does


class Edit(NamedTuple):
    """Replace text[start:end] with `text` (an insertion when start == end)."""

    start: int
    end: int
    text: str

    @classmethod
    def replace(cls, span: Span, text: str) -> Edit:
        """Return an edit replacing `span` with `text`."""
        return cls(span.start, span.end, text)

    @classmethod
    def insert(cls, at: int, text: str) -> Edit:
        """Return an edit inserting `text` at offset `at`."""
        return cls(at, at, text)

    @classmethod
    def delete(cls, span: Span) -> Edit:
        """Return an edit removing `span`."""
        return cls(span.start, span.end, "")


class Fix(NamedTuple):
    """A set of edits applied together, and how safe they are."""

    edits: tuple[Edit, ...]
    applicability: Applicability

    @classmethod
    def safe(cls, *edits: Edit) -> Fix:
        """Return a fix that keeps what the image does."""
        return cls(tuple(sorted(edits, key=_order)), Applicability.SAFE)

    @classmethod
    def unsafe(cls, *edits: Edit) -> Fix:
        """Return a fix applied only with --unsafe-fixes."""
        return cls(tuple(sorted(edits, key=_order)), Applicability.UNSAFE)

    @classmethod
    def display_only(cls, *edits: Edit) -> Fix:
        """Return a fix that is shown but never applied."""
        return cls(tuple(sorted(edits, key=_order)), Applicability.DISPLAY_ONLY)

    def shifted(self, by: int) -> Fix:
        """Return this fix with every edit moved `by` characters (a fix cached for text
        that now sits elsewhere in the file)."""
        if by == 0:
            return self
        return Fix(tuple(Edit(e.start + by, e.end + by, e.text) for e in self.edits), self.applicability)

    @property
    def start(self) -> int:
        """Return the offset of the first edit."""
        return self.edits[0].start

    @property
    def end(self) -> int:
        """Return the end offset of the last edit."""
        return max(e.end for e in self.edits)


def _order(edit: Edit) -> tuple[int, int]:
    return (edit.start, edit.end)


def apply_edits(text: str, edits: list[Edit] | tuple[Edit, ...]) -> str:
    """Return text with non-overlapping, sorted edits applied in one left-to-right pass."""
    out: list[str] = []
    pos = 0
    for edit in edits:
        if edit.start < pos:
            raise ValueError(f"overlapping edits at {edit.start}")  # a bug in the caller
        out.append(text[pos : edit.start])
        out.append(edit.text)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)


# dffix.fixer's records.


class FixerBug(NamedTuple):
    """A fix that produced a file BuildKit would not parse, or fixes that never settle.

    Either is a bug in dffix. The result then holds the input unchanged: a half-fixed
    text must never reach a file or an editor buffer.
    """

    codes: tuple[str, ...]
    message: str


class FixResult(NamedTuple):
    """The fixed text, the fixes applied, what is left to report, and any dffix bug.

    With a bug, `text` is the input, nothing counts as applied, `remaining` is what the
    input has, and `partial` the last good text the passes got to (for tests and bug
    reports only: never write it).
    """

    text: str
    applied: tuple[Violation, ...]
    remaining: tuple[Violation, ...]
    bugs: tuple[FixerBug, ...]
    skipped: bool = False  # `# dffix: skip-file`
    partial: str | None = None  # with bugs: the half-fixed text that was not returned

    @property
    def changed(self) -> bool:
        """Return whether any fix was applied."""
        return bool(self.applied)
