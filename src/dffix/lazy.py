"""Regular expressions compiled on first use.

dffix starts a process per editor save and per pre-commit hook, so start-up time is a
feature. The rules hold about fifty patterns, most needed only when a file has the
command they look for; compiling them all at import cost ~8 ms on every run.
"""

from __future__ import annotations

import re

from dffix.records import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any


class _LazyPattern:
    """Stands in for a compiled pattern; compiles it on the first method call."""

    def __init__(self, source: str, flags: int) -> None:
        self._source = source
        self._flags = flags
        self._compiled: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        # Only reached for names not yet in the instance: the Pattern API. The bound
        # method is kept, so later calls find it directly and cost nothing extra.
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self._source, self._flags)
        value = getattr(compiled, name)
        setattr(self, name, value)
        return value


def lazy_re(source: str, flags: int = 0) -> re.Pattern[str]:
    """Return a pattern that compiles itself on first use (use its methods, not re.*)."""
    return _LazyPattern(source, flags)  # type: ignore[return-value]
