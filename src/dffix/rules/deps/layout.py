"""The edits of a move: comment blocks, blank lines and the narrow `COPY` of the manifests."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, NamedTuple

from dffix.edits import Edit
from dffix.rules.copy import same_case
from dffix.rules.deps.copies import CopyInfo
from dffix.rules.deps.paths import ABS, Loc, has_glob
from dffix.syntax.tree import Dockerfile, Instruction, Span, Trivia

if TYPE_CHECKING:
    from dffix.rules.deps.planner import Review, StageView


class Layout(NamedTuple):
    """Where each instruction's block (its comment lines above) starts, and spare blank lines.

    `spare` maps an instruction start to the end of the blank line after it, when its
    block also has a blank line above: moving the block away removes one of the two.
    """

    starts: dict[int, int]
    spare: dict[int, int]


def layout(df: Dockerfile) -> Layout:
    """Return the block starts and spare blank lines of a file."""
    starts: dict[int, int] = {}
    spare: dict[int, int] = {}
    pending: int | None = None
    blank_above = False
    items = df.items
    for index, item in enumerate(items):
        if isinstance(item, Trivia) and item.is_comment:
            pending = item.span.start if pending is None else pending
            continue
        if isinstance(item, Instruction):
            starts[item.span.start] = item.span.start if pending is None else pending
            after = items[index + 1] if index + 1 < len(items) else None
            if blank_above and isinstance(after, Trivia) and not after.is_comment:
                spare[item.span.start] = after.span.end
        blank_above = isinstance(item, Trivia) and not item.is_comment
        pending = None
    return Layout(starts, spare)


def move_edits(sv: StageView, c: CopyInfo, install: Instruction, narrow: str) -> tuple[Edit, ...]:
    """Return edits that delete the copy (with its comments) and put it after the install."""
    text, starts = sv.df.text, sv.layout.starts
    start, end = starts.get(c.instr.span.start, c.instr.span.start), c.instr.span.end
    moved = text[start:end]
    at = install.span.end
    if not text[:at].endswith(("\n", "\r")):
        # The install is the last line and has no newline: keep the file ending that way.
        moved = sv.df.newline + moved.rstrip("\r\n")
    spare = sv.layout.spare.get(c.instr.span.start, end)
    install_start = starts.get(install.span.start, install.span.start)
    if spare <= install_start:
        end = spare  # do not leave two blank lines where the copy was
    edits = [Edit.delete(Span(start, end)), Edit.insert(at, moved)]
    if narrow:
        edits.append(Edit.insert(install_start, narrow))
    return tuple(edits)


def narrow_copy(sv: StageView, c: CopyInfo, install: Instruction, review: Review) -> str:
    """Return the COPY lines that bring only the manifests the code copy used to bring."""
    groups: dict[Loc, list[str]] = {}
    for source, target in review.narrow:
        groups.setdefault(Loc(target.root, target.parts[:-1]), []).append("/".join(source))
    text = sv.df.text
    indent = sv.df.indent(install)
    keyword = same_case(text[c.instr.keyword_span.start : c.instr.keyword_span.end], "COPY")
    flags = [text[f.span.start : f.span.end] for f in c.instr.flags]
    lines: list[str] = []
    for folder, sources in groups.items():
        if not sv.view.visible or review.hidden:
            sources = _lock_glob(sources)
        # A wildcard may match several files: the destination must then end in `/`.
        count = len(sources) + any(has_glob(s) for s in sources)
        words = [*sources, dest_text(c, folder, count)]
        if any(ch in w for w in words for ch in " \t\"'[]"):
            args = json.dumps(words, ensure_ascii=False).replace('","', '", "')
        else:
            args = " ".join(words)
        lines.append(indent + " ".join([keyword, *flags, args]) + sv.df.newline)
    return "".join(lines)


def _lock_glob(sources: list[str]) -> list[str]:
    """Return `package*.json` for package.json + package-lock.json: the lock may be absent."""
    for source in sources:
        if source.endswith("package.json"):
            lock = source[: -len("package.json")] + "package-lock.json"
            if lock in sources:
                merged = source[: -len("package.json")] + "package*.json"
                return [merged if s == source else s for s in sources if s != lock]
    return sources


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
