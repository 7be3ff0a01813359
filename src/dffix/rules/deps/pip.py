"""pip and uv: what `pip install -r` reads, and what a requirements file says."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dffix.lazy import lazy_re
from dffix.rules.deps.model import SYSTEM_WRITES, Effect, Read, Role, Tool, abs_paths, read_args
from dffix.rules.deps.paths import split_path
from dffix.rules.deps.pyproject import python_project_effect

_PIP_FLAGS = frozenset(
    {
        *("-U", "--upgrade", "--no-cache-dir", "--user", "-q", "--quiet", "-v", "--verbose"),
        *("--no-deps", "--pre", "--prefer-binary", "--force-reinstall", "-I", "--system"),
        *("--ignore-installed", "--no-warn-script-location", "--disable-pip-version-check"),
        *("--no-input", "--require-hashes", "--no-build-isolation", "--no-compile"),
        *("--compile", "--break-system-packages", "--no-index", "--isolated", "-qq", "-vv"),
        *("--no-warn-conflicts", "--ignore-requires-python", "--no-color", "--progress-bar=off"),
        *("--root-user-action=ignore", "--only-binary=:all:", "--upgrade-strategy=eager"),
    }
)
_PIP_VALUES = frozenset(
    {
        *("-i", "--index-url", "--extra-index-url", "--trusted-host", "--timeout", "--retries"),
        *("--progress-bar", "--upgrade-strategy", "--only-binary", "--no-binary", "--platform"),
        *("--python-version", "--implementation", "--abi", "--default-timeout", "--proxy"),
        *("--exists-action", "--use-feature", "--config-settings", "-C", "--cert"),
        *("--root-user-action", "--client-cert", "--global-option", "--index-strategy"),
        *("--python", "-p", "--keyring-provider", "--resolution", "--prerelease"),
    }
)
_PIP_PATHS = frozenset({"--cache-dir", "--log", "-t", "--target", "--prefix", "--root", "--src"})
_REQ_FLAGS = frozenset({"-r", "--requirement", "-c", "--constraint"})
_LOCAL_SPEC = lazy_re(r"^(?:\.|/|~|file:)|\.(?:whl|zip|tar\.gz|tgz|tar\.bz2)$|/", re.I)


def pip_effect(args: tuple[str, ...], words: str) -> Effect | None:
    """Return what `pip install ARGS` does: a manifest install, a plain install, or None."""
    pip_values = _PIP_VALUES | _PIP_PATHS | _REQ_FLAGS | {"-f", "--find-links"}
    parsed = read_args(args, _PIP_FLAGS, pip_values | {"-e", "--editable"})
    if parsed is None or parsed.all("-e", "--editable"):
        return None
    if any(_LOCAL_SPEC.search(s) and "://" not in s for s in parsed.positional):
        return None  # a local project or archive: the install reads the source
    if any("://" not in v for v in parsed.all("-f", "--find-links")):
        return None  # wheels from a local folder
    paths = abs_paths(parsed.all(*_PIP_PATHS))
    if paths is None:
        return None
    files = parsed.all(*_REQ_FLAGS)
    if not files:
        return paths
    if any("$" in f or "://" in f for f in files):
        return None
    reads: list[Read] = []
    for name in files:
        parts = split_path(name)
        if not parts:
            return None
        reads.append(Read(parts, Role.MANIFEST, blind=True, absolute=name.startswith("/")))
    return Tool("pip", words, tuple(reads), writes=paths.paths)


_PIP_NESTED = lazy_re(r"^(?:-r|--requirement|-c|--constraint)(?:\s*=\s*|\s+|(?=\S))(\S+)")
_PIP_LOCAL_OPTION = lazy_re(r"^(?:-e|--editable|-f|--find-links)\b")


def pip_lines(text: str) -> Iterator[str]:
    """Yield the logical lines of a requirements file, comments and continuations removed."""
    pending = ""
    for raw in text.splitlines():
        line = pending + raw
        if line.endswith("\\"):
            pending = line[:-1]
            continue
        pending = ""
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if line:
            yield line


def pip_content(text: str) -> tuple[str | None, tuple[str, ...]]:
    """Return a local reference a requirements file makes (or None) and the files it includes."""
    nested: list[str] = []
    for line in pip_lines(text):
        found = _PIP_NESTED.match(line)
        if found:
            nested.append(found.group(1))
            continue
        if _PIP_LOCAL_OPTION.match(line):
            value = line.split(None, 1)[-1] if " " in line else line.split("=", 1)[-1]
            if line.startswith(("-e", "--editable")) or "://" not in value:
                return f"`{line}` uses local files or writes to the working directory", ()
            continue
        if line.startswith("-"):
            continue
        spec = line.split(";", 1)[0].strip()
        if "file:" in spec or ("://" not in spec and _LOCAL_SPEC.search(spec)):
            return f"`{line}` installs a local path", ()
    return None, tuple(nested)


def pip_command(args: tuple[str, ...], words: str) -> Effect | None:
    if args[:1] == ("install",):
        return pip_effect(args[1:], words)
    if args[:2] in (("cache", "purge"), ("uninstall", "-y")):
        return SYSTEM_WRITES
    return None


def uv_command(args: tuple[str, ...], words: str) -> Effect | None:
    if args[:2] == ("pip", "install"):
        return pip_effect(args[2:], words)
    if args[:1] == ("sync",):
        return python_project_effect("uv", args[1:], words)
    return None
