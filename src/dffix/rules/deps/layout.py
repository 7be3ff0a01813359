"""The edits of a move: comment blocks, blank lines and the narrow `COPY` of the manifests."""

from __future__ import annotations

from bisect import bisect_left

from dffix.edits import Edit
from dffix.facts import json_array
from dffix.records import TYPE_CHECKING
from dffix.rules.copy import same_case
from dffix.rules.deps.copies import CopyInfo
from dffix.rules.deps.model import Layout
from dffix.rules.deps.paths import ABS, Loc, has_glob
from dffix.syntax.tree import Dockerfile, Instruction, Span, Trivia

if TYPE_CHECKING:
    from dffix.rules.deps.planner import Review, StageView


def layout(df: Dockerfile) -> Layout:
    """Return the block starts and item kinds of a file."""
    starts: dict[int, int] = {}
    pending: int | None = None
    for item in df.items:
        if isinstance(item, Trivia) and item.is_comment:
            pending = item.span.start if pending is None else pending
            continue
        if isinstance(item, Instruction):
            starts[item.span.start] = item.span.start if pending is None else pending
        pending = None
    kinds = "".join(("c" if i.is_comment else "b") if isinstance(i, Trivia) else "i" for i in df.items)
    return Layout(starts, tuple(i.span.start for i in df.items), kinds)


class Lines:
    """A file's `Layout`, read on first use: only a fix's edits need it, and most checks of
    a stage with an install make none (121 layouts of the corpus's checks, 26 used)."""

    __slots__ = ("_df", "_layout")

    def __init__(self, df: Dockerfile) -> None:
        self._df = df
        self._layout: Layout | None = None

    @property
    def layout(self) -> Layout:
        """Return the layout of the file."""
        if self._layout is None:
            self._layout = layout(self._df)
        return self._layout


def move_edits(sv: StageView, copies: list[CopyInfo], install: Instruction, narrow: str) -> tuple[Edit, ...]:
    """Return edits that delete the copies (with their comments) and put them after the install.

    A comment block directly above an instruction belongs to it: a copy's moves with the
    copy, the install's stays above the install, and the narrow COPY goes between that
    comment and the install. A blank line between two blocks stays between them.
    """
    text, lay, newline = sv.df.text, sv.lines.layout, sv.df.newline
    install_block = lay.starts.get(install.span.start, install.span.start)
    blocks = [(lay.starts.get(c.instr.span.start, c.instr.span.start), c.instr.span.end) for c in copies]
    edits = [Edit.delete(Span(start, end)) for start, end in _cuts(lay, blocks, install_block, len(text))]
    parts: list[str] = []
    for n, (block, end) in enumerate(blocks):
        if n and "b" in lay.between(blocks[n - 1][1], block):
            parts.append(newline)  # a blank line kept between two moved blocks
        parts.append(text[block:end])
    # Apart from the install before, apart after; but glued in when the install's
    # paragraph goes on (another install may follow: do not split their paragraph).
    after = lay.between(install.span.end, install.span.end + 1)
    apart = "b" in lay.between(blocks[-1][1], install_block) and after != "i"
    lead = newline if apart else ""
    moved = lead + "".join(parts)
    at = install.span.end
    if not text[:at].endswith(("\n", "\r")):
        # The install is the last line and has no newline: keep the file ending that way.
        moved = newline + moved.rstrip("\r\n")
    edits.append(Edit.insert(at, moved))
    if narrow:
        edits.append(Edit.insert(install.span.start, narrow))
    return tuple(edits)


def _cuts(lay: Layout, blocks: list[tuple[int, int]], limit: int, size: int) -> list[tuple[int, int]]:
    """Return the ranges to delete: touching blocks as one, and a run that had a blank
    line above and below takes one of the two along (no double blank line is left)."""
    runs: list[tuple[int, int]] = []
    for start, end in blocks:
        if runs and runs[-1][1] == start:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    cuts: list[tuple[int, int]] = []
    for start, end in runs:
        above = bisect_left(lay.marks, start)
        after = bisect_left(lay.marks, end)
        blank_above = above > 0 and lay.kinds[above - 1] == "b"
        blank_after = after < len(lay.marks) and lay.marks[after] == end and lay.kinds[after] == "b"
        if blank_above and blank_after:
            spare_end = lay.marks[after + 1] if after + 1 < len(lay.marks) else size
            end = spare_end if spare_end <= limit else end
        cuts.append((start, end))
    return cuts


def narrow_copy(sv: StageView, copies: dict[int, CopyInfo], install: Instruction, review: Review) -> str:
    """Return the COPY lines that bring only the manifests the moved copies used to bring.

    `copies` are the moved copies by index: a narrow COPY takes the keyword case, flags
    and destination style of the copy its files came from."""
    groups: dict[tuple[int, Loc], list[str]] = {}
    for source, target, index in review.narrow:
        groups.setdefault((index, Loc(target.root, target.parts[:-1])), []).append("/".join(source))
    text = sv.df.text
    indent = sv.df.indent(install)
    lines: list[str] = []
    for (index, folder), found in groups.items():
        c = copies[index]
        keyword = same_case(text[c.instr.keyword_span.start : c.instr.keyword_span.end], "COPY")
        flags = [text[f.span.start : f.span.end] for f in c.instr.flags]
        sources = list(dict.fromkeys(found))
        if not sv.view.visible or review.hidden:
            sources = _lock_glob(sources)
        # A wildcard may match several files: the destination must then end in `/`.
        count = len(sources) + any(has_glob(s) for s in sources)
        words = [*sources, dest_text(c, folder, count)]
        plain = not any(ch in w for w in words for ch in " \t\"'[]")
        args = " ".join(words) if plain else json_array(words)
        lines.append(indent + " ".join([keyword, *flags, args]) + sv.df.newline)
    return "".join(lines)


def _lock_glob(sources: list[str]) -> list[str]:
    """Return `package*.json` for package.json + package-lock.json, and `Gemfile.lock*`
    for Gemfile.lock: a lock file may not be committed, and a COPY of a missing file
    fails the build, while a wildcard that matches nothing beside a file that exists does not."""
    for source in sources:
        if source.endswith("package.json"):
            lock = source[: -len("package.json")] + "package-lock.json"
            if lock in sources:
                merged = source[: -len("package.json")] + "package*.json"
                sources = [merged if s == source else s for s in sources if s != lock]
                break
    return [s + "*" if s.rsplit("/", 1)[-1] == "Gemfile.lock" else s for s in sources]


def dest_text(c: CopyInfo, folder: Loc, count: int) -> str:
    """Return the destination of a narrow COPY into `folder`, written like the code copy's."""
    dest, dest_loc = c.dest, c.dest_loc
    if dest_loc == folder:
        if dest in (".", "./"):
            return "./" if count > 1 else dest
        return dest if dest.endswith("/") else dest + "/"
    if dest_loc.contains(folder):
        base = "." if dest in (".", "./") else dest.rstrip("/")
        return base + "/" + "/".join(dest_loc.below(folder)) + "/"
    return folder.show().rstrip("/") + "/" if folder.root == ABS else "./" + "/".join(folder.parts) + "/"
