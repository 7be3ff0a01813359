"""`dffix server` with a rule that raises on a text naming `crash`: tests/test_server.py
drives it to check that an exception inside a rule is logged and the server goes on."""

from __future__ import annotations

import sys
from collections.abc import Iterator

from dffix.facts import Facts
from dffix.rules.base import Violation
from dffix.rules.copy import AddForLocalFiles
from dffix.server import main
from dffix.syntax.tree import Dockerfile

real_check = AddForLocalFiles.check


def check(self: AddForLocalFiles, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
    if "crash" in df.text:
        raise RuntimeError("a rule fell over")
    yield from real_check(self, df, facts)


AddForLocalFiles.check = check  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
