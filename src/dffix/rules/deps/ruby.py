"""Bundler and gem: what `bundle install` reads, and a Gemfile that reads other files."""

from __future__ import annotations

import re

from dffix.lazy import lazy_re
from dffix.rules.deps.model import SYSTEM_WRITES, Effect, Tool, Writes, blocker, manifest, optional, read_args

_BUNDLE_FLAGS = frozenset(
    {
        *("--deployment", "--frozen", "--quiet", "--no-cache", "--clean", "--system"),
        *("--full-index", "--verbose", "--binstubs", "--redownload", "--force", "--no-prune"),
        *("--prefer-local", "--conservative"),
    }
)
_BUNDLE_VALUES = frozenset({"-j", "--jobs", "--retry", "--without", "--with", "--path", "--gemfile"})


def _join_groups(args: tuple[str, ...]) -> tuple[str, ...]:
    """Return bundler arguments with `--without a b` joined to `--without a:b` (a list option)."""
    out: list[str] = []
    for word in args:
        if len(out) >= 2 and out[-2] in ("--without", "--with") and not word.startswith("-"):
            out[-1] += ":" + word
        else:
            out.append(word)
    return tuple(out)


def bundle_effect(args: tuple[str, ...], words: str) -> Effect | None:
    """Return what `bundle install` does, and `bundle config` (global settings only)."""
    if args[:1] == ("config",):
        rest = " ".join(args[1:])
        # Local config writes .bundle/config in the project; a path changes where gems go.
        return None if "--local" in rest or re.search(r"\bpath\b", rest) else Writes()
    if args[:1] not in (("install",), ()):
        return None
    parsed = read_args(_join_groups(args[1:]), _BUNDLE_FLAGS, _BUNDLE_VALUES)
    if parsed is None or parsed.positional or parsed.all("--gemfile"):
        return None
    outputs = [".bundle", "vendor/bundle"]
    for path in parsed.all("--path"):
        if "$" in path or path.startswith(("/", "~")):
            return None
        outputs.append(path)
    if "--binstubs" in parsed.flags:
        outputs.append("bin")
    reads = (
        manifest("Gemfile"),
        optional("Gemfile.lock", blind=True),
        optional(".bundle/config"),
        blocker("vendor/cache"),
    )
    return Tool("bundler", words, reads, tuple(outputs))


_GEMFILE_LOCAL = lazy_re(
    r"^\s*(?:gemspec|eval_gemfile|require_relative|load)\b|\bpath\s*(?::|=>)|:path\s*=>|\bFile\.|\bIO\.|\bDir\[|\bfile:",
    re.M,
)


def gem_command(args: tuple[str, ...], words: str) -> Effect | None:
    if args[:1] in (("install",), ("update",)) and all(
        not a.endswith(".gem") and "/" not in a for a in args[1:]
    ):
        return SYSTEM_WRITES
    return None


def gemfile_content(text: str) -> str | None:
    """Return why a Gemfile makes the install read more than manifests, or None."""
    found = _GEMFILE_LOCAL.search(text)
    if found is None:
        return None
    if found.group(0).strip() == "gemspec":
        # The gemspec names the gem's files (often `git ls-files` or a Dir glob) and its
        # version file: copying the *.gemspec alone does not give the install what it reads.
        return (
            "the Gemfile's `gemspec` line installs the project's own gem, "
            "whose *.gemspec reads its source files"
        )
    return f"the Gemfile reads other files (`{found.group(0).strip()}`)"
