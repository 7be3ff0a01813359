"""A progress line on stderr for long runs over many files, on a terminal only.

`dffix big-monorepo/` on a terminal shows `dffix: 120/1000 files` on stderr, redrawn
in place, once the run has taken longer than `AFTER` seconds. Pipes, files, CI
(`CI` set in the environment) and `--quiet` get nothing, so logs and captured output
never hold carriage returns. Anything else printed clears the line first.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from dffix.records import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import TextIO

AFTER = 0.5  # seconds before the first redraw: short runs show nothing
EVERY = 0.1  # seconds between redraws
MIN_FILES = 8  # fewer files than this never show progress


def wanted(terminal: bool, total: int, quiet: bool) -> bool:
    """Return whether a run over `total` files should show progress (`terminal`: stderr
    is one)."""
    if quiet or total < MIN_FILES or os.environ.get("CI") or os.environ.get("TERM") == "dumb":
        return False
    return terminal


class Progress:
    """Counts finished files and redraws one line on `stream` now and then."""

    def __init__(
        self,
        total: int,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
        after: float | None = None,
        every: float | None = None,
        with_stdout: bool = False,
    ) -> None:
        self.total = total
        self.done = 0
        self.stream = stream
        self.clock = clock
        self.start = clock()
        self.after = AFTER if after is None else after
        self.every = EVERY if every is None else every
        self.last = -1.0  # when the line was last drawn
        self.shown = False
        # Whether stdout is the same terminal: then stdout output clears the line too.
        self.with_stdout = with_stdout

    def step(self) -> None:
        """Count one finished file; redraw when the run is long and the line is stale."""
        self.done += 1
        now = self.clock()
        if now - self.start < self.after or (self.shown and now - self.last < self.every):
            return
        self.stream.write(f"\rdffix: {self.done}/{self.total} files")
        self.stream.flush()
        self.shown = True
        self.last = now

    def clear(self) -> None:
        """Erase the line (before other output, and at the end of the run)."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False
            self.last = -1.0
