"""Go: `go mod download`, and a go.mod that replaces a module with a local folder."""

from __future__ import annotations

import re

from dffix.lazy import lazy_re
from dffix.rules.deps.model import SYSTEM_WRITES, Effect, Tool, Writes, blocker, manifest, optional, read_args

_GO_FLAGS = frozenset({"-x", "-json", "-reuse"})


def go_effect(args: tuple[str, ...], words: str) -> Effect | None:
    """Return what `go mod download|verify` and `go install pkg@v` do."""
    if args[:2] in (("mod", "download"), ("mod", "verify")):
        parsed = read_args(args[2:], _GO_FLAGS, frozenset())
        if parsed is None or any("@" not in p and p != "all" for p in parsed.positional):
            return None
        reads = (manifest("go.mod"), optional("go.sum", blind=True), blocker("go.work"))
        return Tool("go", words, reads)
    if args[:1] == ("install",) and len(args) > 1 and all("@" in a or a.startswith("-") for a in args[1:]):
        return SYSTEM_WRITES  # module-aware install of a version: ignores the current module
    if args[:2] == ("env", "-w") or args[:1] == ("version",):
        return Writes()
    return None


_GO_LOCAL_REPLACE = lazy_re(r"=>\s*(?:\.{1,2}/|/|\.{1,2}\s*$)", re.M)


def go_command(args: tuple[str, ...], words: str) -> Effect | None:
    return go_effect(args, words)


def go_mod_content(text: str) -> str | None:
    """Return why a go.mod makes the install read more than manifests, or None."""
    return "go.mod replaces a module with a local folder" if _GO_LOCAL_REPLACE.search(text) else None
