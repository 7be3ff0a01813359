"""Caches of what several rules read from the same RUN, kept for one file at a time.

Every fixer pass parses the file again and several rules ask for the same RUN's
commands, apt calls or install plan: those analyses are cached by what they read (the
RUN's text, its flags), so a RUN that no fix touched is read once per file, however
many passes and rules ask. Across files the entries are almost never asked for again,
yet they held ~25 MiB per process by the end of the shared corpus: the command line
calls `forget()` after each file, which empties them all.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from dffix.records import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from functools import _lru_cache_wrapper

    from dffix.syntax.tree import Dockerfile, Instruction

T = TypeVar("T")

_CACHES: list[_lru_cache_wrapper[object]] = []


def file_cache(maxsize: int) -> Callable[[Callable[..., T]], _lru_cache_wrapper[T]]:
    """Return a decorator: functools.lru_cache(maxsize) that `forget()` empties."""

    def wrap(function: Callable[..., T]) -> _lru_cache_wrapper[T]:
        cached = lru_cache(maxsize=maxsize)(function)
        _CACHES.append(cached)
        return cached

    return wrap


class Shape:
    """An instruction as a cache key: equal and hashed by `key`, what a cached function
    reads of it (never, unless that function reads it, where it is); `instr` is the
    instruction itself, for the function to read. The key is hashed once: cheaper than
    hashing the whole instruction, which holds every line."""

    __slots__ = ("_hash", "instr", "key")

    def __init__(self, instr: Instruction, key: tuple[object, ...]) -> None:
        self.instr = instr
        self.key = key
        self._hash = hash(key)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Shape) and self.key == other.key


class Placed(Shape):
    """An instruction as a cache key by its source text (its lines and heredoc bodies) and
    the file's escape character and newline, never where it is; `df` is its file.

    For a function that reads nothing of the file but that text (through the
    instruction's lines and offsets, which the parser builds from that text and the
    escape alone) and returns offsets made relative to `instr.span.start`: the caller
    adds its own instruction's start back (`Fix.shifted`). The cache keeps the key it
    computed for: that function calls `release()` when done, so no entry keeps a whole
    file alive (the language server empties the caches only when a document closes: an
    open document edited many times would otherwise keep every version of it).
    """

    __slots__ = ("_df",)

    def __init__(self, df: Dockerfile, instr: Instruction) -> None:
        super().__init__(instr, (df.text[instr.span.start : instr.span.end], df.escape, df.newline))
        self._df: Dockerfile | None = df

    @property
    def df(self) -> Dockerfile:
        """Return the file the instruction is in (only until `release()`)."""
        assert self._df is not None, "read after release()"
        return self._df

    def release(self) -> None:
        """Drop the file: the key stays, the text it was built from goes."""
        self._df = None


# Past this many instructions a `per_instruction` table starts over: each entry holds a
# parse's instruction alive, and the language server calls `forget()` only when a
# document closes, so an open document edited many times would pile up versions (at
# 4096, before the server emptied the caches on close, RSS grew 5.6 MiB over 700
# open/close cycles in tests/test_server.py). One pass over a file rarely asks more
# (the largest corpus file has 254 instructions; 15 on average).
_PER_INSTRUCTION_MAX = 256
_TABLES: list[dict[int, tuple[Instruction, Shape]]] = []


def per_instruction(build: Callable[[Instruction], Shape]) -> Callable[[Instruction], Shape]:
    """Return `build`, answering again for the same instruction object without building.

    Several rules ask a cached function about the same RUN on one pass, and each question
    built (and hashed) its key anew: one per question per RUN per pass. The table is keyed
    by the instruction's id, and each entry holds the instruction itself, so the id cannot
    be reused by another object while the entry lives; the `is` test makes a hit the very
    instruction the key was built from. `forget()` empties it with the caches."""
    built: dict[int, tuple[Instruction, Shape]] = {}
    _TABLES.append(built)

    def shape(instr: Instruction) -> Shape:
        hit = built.get(id(instr))
        if hit is not None and hit[0] is instr:
            return hit[1]
        if len(built) >= _PER_INSTRUCTION_MAX:
            built.clear()
        made = build(instr)
        built[id(instr)] = (instr, made)
        return made

    shape.__doc__ = build.__doc__
    return shape


def forget() -> None:
    """Empty every file cache (between files: what they hold is of no use to the next)."""
    for cache in _CACHES:
        cache.cache_clear()
    for table in _TABLES:
        table.clear()
