"""dffix.diff._Matcher.find_longest_match reads only every L-th line's pairs when the
ranges share a head or tail of L lines. It must give difflib's answer exactly (the
longest run, the first in `a`, then in `b`) on any ranges, and so the same matching
blocks and hunks as difflib.SequenceMatcher with autojunk off."""

from __future__ import annotations

import difflib
import random

import pytest

from dffix import diff
from tests.corpus import CORPUS, corpus_files


def _reference(a: list[str], b: list[str]) -> difflib.SequenceMatcher[str]:
    return difflib.SequenceMatcher(None, a, b, autojunk=False)


def _edited(lines: list[str], rng: random.Random, pool: list[str]) -> list[str]:
    """`lines` with a few lines deleted, inserted, replaced or moved (as fixes do)."""
    out = list(lines)
    for _ in range(rng.randint(0, 6)):
        at = rng.randint(0, len(out))
        op = rng.random()
        if op < 0.3 and at < len(out):
            del out[at : at + rng.randint(1, 3)]
        elif op < 0.6:
            out[at:at] = rng.choices(pool, k=rng.randint(1, 3))
        elif op < 0.85 and at < len(out):
            out[at] = rng.choice(pool)
        elif out:
            moved = out.pop(rng.randrange(len(out)))
            out.insert(rng.randint(0, len(out)), moved)
    return out


def _same_as_difflib(a: list[str], b: list[str], rng: random.Random, boxes: int = 20) -> None:
    ours, theirs = diff._Matcher(a, b), _reference(a, b)
    assert ours.get_matching_blocks() == theirs.get_matching_blocks()
    assert list(ours.get_grouped_opcodes(3)) == list(theirs.get_grouped_opcodes(3))
    for _ in range(boxes):  # any ranges, as the recursion asks
        alo, ahi = sorted(rng.randint(0, len(a)) for _ in range(2))
        blo, bhi = sorted(rng.randint(0, len(b)) for _ in range(2))
        fresh = diff._Matcher(a, b)
        assert fresh.find_longest_match(alo, ahi, blo, bhi) == theirs.find_longest_match(alo, ahi, blo, bhi)


@pytest.mark.parametrize("seed", range(400))
def test_longest_match_is_difflibs_on_repetitive_lines(seed: int) -> None:
    rng = random.Random(seed)
    # Few distinct lines: many equal runs of equal length, on many diagonals.
    pool = ["x\n", "y\n", "\n", "  && \\\n"][: rng.randint(1, 4)]
    a = rng.choices(pool, k=rng.randint(0, 80))
    if rng.random() < 0.5:  # a long block repeated: runs as long as the common head
        block = rng.choices(pool, k=rng.randint(4, 12))
        a = block * rng.randint(2, 5) + a
    b = _edited(a, rng, pool) if rng.random() < 0.8 else rng.choices(pool, k=rng.randint(0, 80))
    _same_as_difflib(a, b, rng)


@pytest.mark.parametrize("seed", range(100))
def test_longest_match_is_difflibs_on_edited_dockerfile_lines(seed: int) -> None:
    rng = random.Random(seed)
    pool = ["RUN apt-get update\n", "\n", "    && \\\n", "COPY . /app\n", "# comment\n"]
    a = [rng.choice(pool) if rng.random() < 0.4 else f"RUN step {rng.randint(0, 30)}\n" for _ in range(200)]
    _same_as_difflib(a, _edited(a, rng, pool), rng)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/corpus")
def test_longest_match_is_difflibs_on_the_corpus() -> None:
    rng = random.Random(14)
    pool = ["\n", "    && \\\n", "RUN set -eux\n", "USER app\n"]
    for path in corpus_files():
        a = diff.split_lines(path.read_bytes().decode("utf-8", "surrogateescape"))
        _same_as_difflib(a, _edited(a, rng, pool + a[:3]), rng, boxes=4)
