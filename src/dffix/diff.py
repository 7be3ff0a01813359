"""Unified diff text between the original and the fixed Dockerfile."""

from __future__ import annotations

import bisect
import difflib
import io
from collections.abc import Iterator

NO_NEWLINE = "\\ No newline at end of file\n"

_RED, _GREEN, _CYAN, _BOLD, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[36m", "\x1b[1m", "\x1b[0m"


def split_lines(text: str) -> list[str]:
    """Return the lines of `text`, each with its own line ending.

    Only `\\n` ends a line, as for BuildKit: a lone `\\r`, form feed or U+2028 is an
    ordinary character, and `\\r\\n` stays on the line it ends.
    """
    # A StringIO with newline="\n" ends lines at \n alone and keeps each ending, in C.
    return io.StringIO(text, newline="\n").readlines()


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
    line shows as removed and added again. Without that heuristic difflib takes time
    in proportion to len(a) * len(b) (and more with many repeated lines), so long texts
    are first cut at anchor lines (see `_matching_blocks`).
    """
    for n, group in enumerate(_Matcher(a, b).get_grouped_opcodes(context)):
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


# Up to this many pairs of lines (len(a) * len(b)) difflib compares the texts whole:
# every Dockerfile of the shared corpus is far below it, and 1,000 lines against 1,000
# take ~0.1 s at worst (all lines alike).
_WHOLE = 1_000_000


class _Matcher(difflib.SequenceMatcher[str]):
    """difflib's matcher (its opcodes and hunks) on matching blocks found in linear-ish time."""

    def __init__(self, a: list[str], b: list[str]) -> None:
        super().__init__(None, a, b, autojunk=False)
        self._lines = (a, b)
        self._blocks: list[difflib.Match] | None = None

    def get_matching_blocks(self) -> list[difflib.Match]:
        a, b = self._lines
        if len(a) * len(b) <= _WHOLE:
            return super().get_matching_blocks()  # which calls find_longest_match below
        if self._blocks is None:
            blocks: list[tuple[int, int, int]] = []
            _matching_blocks(a, b, 0, len(a), 0, len(b), blocks)
            self._blocks = _joined(blocks, len(a), len(b))
        return self._blocks

    def find_longest_match(
        self, alo: int = 0, ahi: int | None = None, blo: int = 0, bhi: int | None = None
    ) -> difflib.Match:
        """Return difflib's answer: the longest run of equal lines in a[alo:ahi] and
        b[blo:bhi], the first in `a` among the longest, then the first in `b`.

        difflib reads every pair of equal lines in the ranges, and a fixed Dockerfile is
        mostly its original: this was nearly all the time of a diff. A run as long as the
        common head or tail of the ranges is found without that: any run of at least L
        lines covers one of every L-th line of `a`, so only those lines' pairs are read,
        each run taken whole along its diagonal, and the longest (first in `a`, then in
        `b`) of them is difflib's. With no junk (autojunk off) difflib's run is whole
        along its diagonal too, as tests/test_diff_fast.py checks against difflib.
        """
        a, b = self._lines
        ahi = len(a) if ahi is None else ahi
        bhi = len(b) if bhi is None else bhi
        least = max(_common_ends(a, b, alo, ahi, blo, bhi))
        if least < _SAMPLED_FROM:
            return super().find_longest_match(alo, ahi, blo, bhi)
        size, besti, bestj = 0, alo, blo
        ends: dict[int, int] = {}  # diagonal (j - i) -> where the last run read on it ends
        # difflib's own index of `b` (line -> its indices, ascending), not in its stubs.
        b2j: dict[str, list[int]] = self.b2j  # type: ignore[attr-defined]
        for row in range(alo + least - 1, ahi, least):
            for j in b2j.get(a[row], ()):  # ascending
                if j < blo:
                    continue
                if j >= bhi:
                    break
                diagonal = j - row
                if ends.get(diagonal, -1) > row:
                    continue  # inside the run read from an earlier row
                start = row
                while start > alo and start + diagonal > blo and a[start - 1] == b[start - 1 + diagonal]:
                    start -= 1
                end = row + 1
                while end < ahi and end + diagonal < bhi and a[end] == b[end + diagonal]:
                    end += 1
                ends[diagonal] = end
                if end - start > size or (end - start == size and (start, start + diagonal) < (besti, bestj)):
                    size, besti, bestj = end - start, start, start + diagonal
        return difflib.Match(besti, bestj, size)


# From a common head or tail this long, find_longest_match reads one line in this many
# or fewer; below, difflib's own reading costs less.
_SAMPLED_FROM = 4


def _matching_blocks(
    a: list[str], b: list[str], alo: int, ahi: int, blo: int, bhi: int, out: list[tuple[int, int, int]]
) -> None:
    """Append to `out`, in order, blocks (i, j, n) with a[i:i+n] == b[j:j+n] in the ranges.

    The common head and tail match; a middle small enough goes to difflib whole; a
    larger one is cut at anchors: lines that occur as often in the middle of `a` as in
    that of `b` pair up in order (the k-th with the k-th, as patience diff pairs lines
    that occur once), and the longest run of pairs in order on both sides splits the
    middle into gaps, each matched the same way.
    """
    head, tail = _common_ends(a, b, alo, ahi, blo, bhi)
    if head:
        out.append((alo, blo, head))
        alo, blo = alo + head, blo + head
    ahi, bhi = ahi - tail, bhi - tail
    if alo < ahi and blo < bhi:
        if (ahi - alo) * (bhi - blo) <= _WHOLE:
            whole = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            out.extend((alo + i, blo + j, n) for i, j, n in whole.get_matching_blocks() if n)
        else:
            anchors = _anchors(a, b, alo, ahi, blo, bhi)
            if not anchors:
                # Nothing pairs up: difflib with its junk heuristic, which stays fast.
                rough = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi])
                out.extend((alo + i, blo + j, n) for i, j, n in rough.get_matching_blocks() if n)
            else:
                i0, j0 = alo, blo
                for i, j in anchors:
                    _matching_blocks(a, b, i0, i, j0, j, out)
                    out.append((i, j, 1))
                    i0, j0 = i + 1, j + 1
                _matching_blocks(a, b, i0, ahi, j0, bhi, out)
    if tail:
        out.append((ahi, bhi, tail))


def _common_ends(a: list[str], b: list[str], alo: int, ahi: int, blo: int, bhi: int) -> tuple[int, int]:
    """Return how many lines a[alo:ahi] and b[blo:bhi] share at their start, and then
    how many of the rest at their end (the two never overlap)."""
    head = 0
    while alo + head < ahi and blo + head < bhi and a[alo + head] == b[blo + head]:
        head += 1
    alo, blo = alo + head, blo + head
    tail = 0
    while alo < ahi - tail and blo < bhi - tail and a[ahi - tail - 1] == b[bhi - tail - 1]:
        tail += 1
    return head, tail


def _anchors(a: list[str], b: list[str], alo: int, ahi: int, blo: int, bhi: int) -> list[tuple[int, int]]:
    """Return the longest list of anchor pairs (i, j) increasing in both i and j."""
    in_a: dict[str, list[int]] = {}
    for i in range(alo, ahi):
        in_a.setdefault(a[i], []).append(i)
    in_b: dict[str, list[int]] = {}
    for j in range(blo, bhi):
        in_b.setdefault(b[j], []).append(j)
    pairs = sorted(
        pair
        for line, where in in_a.items()
        if len(in_b.get(line, ())) == len(where)
        for pair in zip(where, in_b[line], strict=True)
    )
    # Longest increasing run of j (pairs are sorted by i), patience sorting in n log n.
    tops: list[int] = []  # tops[k]: the smallest j ending a run of k + 1 pairs
    ends: list[int] = []  # ends[k]: index in `pairs` of that pair
    before: list[int] = [-1] * len(pairs)
    for n, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tops, j)
        before[n] = ends[k - 1] if k else -1
        if k == len(tops):
            tops.append(j)
            ends.append(n)
        else:
            tops[k] = j
            ends[k] = n
    run: list[tuple[int, int]] = []
    n = ends[-1] if ends else -1
    while n >= 0:
        run.append(pairs[n])
        n = before[n]
    run.reverse()
    return run


def _joined(blocks: list[tuple[int, int, int]], la: int, lb: int) -> list[difflib.Match]:
    """Return `blocks` with adjacent ones merged and difflib's closing (la, lb, 0)."""
    merged: list[list[int]] = []
    for i, j, n in blocks:
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            merged[-1][2] += n
        else:
            merged.append([i, j, n])
    return [difflib.Match(i, j, n) for i, j, n in merged] + [difflib.Match(la, lb, 0)]


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
