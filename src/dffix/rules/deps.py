"""DF202: the source copied before a dependency install that only needs manifest files.

The rule works on a small model of one stage:

- a path in the image is a `Loc`: absolute, or below the stage's working directory when
  no absolute `WORKDIR` says where that is;
- a context `COPY`/`ADD` is a set of `Mapping`s, "this image path comes from that
  context path";
- a `RUN` is a `RunPlan`: the install `Tool`s it runs (what they read below their
  folder, what they write there), and the other paths its commands write. A command
  we do not know makes the `RUN` a barrier: nothing is moved across it.

A code copy `C` before an install `I` is moved to just after `I` when nothing between
them, and nothing `I` does, reads or writes what `C` brings in; manifests that only `C`
provided are first copied by a narrow `COPY` right before `I`.
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
import re
from collections.abc import Callable, Iterator
from enum import Enum, IntEnum
from functools import lru_cache
from typing import NamedTuple

from dffix.edits import Edit, Fix
from dffix.facts import BuildContext, Facts, Stage
from dffix.lazy import lazy_re
from dffix.rules.base import Fixability, Rule, Violation
from dffix.rules.copy import is_archive, is_remote, same_case
from dffix.syntax.shell import Kind, split_commands
from dffix.syntax.tree import Dockerfile, Instruction, Span, Trivia

# -- paths in the image ------------------------------------------------------------

ABS = "/"
WORKDIR = "w"  # below the working directory of the stage when no WORKDIR says where


class Loc(NamedTuple):
    """A normalised path in the image: `root` is ABS or WORKDIR, `parts` the names below."""

    root: str
    parts: tuple[str, ...]

    def join(self, parts: tuple[str, ...]) -> Loc:
        """Return this path with `parts` appended."""
        return Loc(self.root, self.parts + parts)

    def contains(self, other: Loc) -> bool | None:
        """Return whether `other` is this path or below it; None when the roots differ."""
        if self.root != other.root:
            return None
        return other.parts[: len(self.parts)] == self.parts

    def below(self, other: Loc) -> tuple[str, ...]:
        """Return the names of `other` below this path (call after `contains`)."""
        return other.parts[len(self.parts) :]

    def as_abs(self) -> Loc:
        """Return the path with an unknown working directory taken as `/` (the worst case)."""
        return Loc(ABS, self.parts)

    def show(self) -> str:
        """Return the path as text: absolute, or relative to the working directory."""
        text = "/".join(self.parts)
        return "/" + text if self.root == ABS else text or "."


def split_path(text: str) -> tuple[str, ...] | None:
    """Return the names of a POSIX path with `.` and `..` resolved; None if it climbs out."""
    parts: list[str] = []
    for name in text.split("/"):
        if name in ("", "."):
            continue
        if name == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(name)
    return tuple(parts)


def resolve(base: Loc, text: str) -> Loc | None:
    """Return `text` resolved against `base`; None for variables, `~` or climbing out."""
    if not text or any(c in text for c in "$`\\") or text.startswith("~"):
        return None
    if text.startswith("/"):
        parts = split_path(text)
        return Loc(ABS, parts) if parts is not None else None
    joined = split_path("/".join((*base.parts, text)))
    return Loc(base.root, joined) if joined is not None else None


def has_glob(name: str) -> bool:
    """Return whether a path name is a wildcard pattern."""
    return any(c in name for c in "*?[")


# -- the build context, as far as it is visible --------------------------------------


class Presence(Enum):
    """What the build context holds at a path."""

    UNKNOWN = "unknown"  # the context is not visible
    ABSENT = "absent"  # missing, or left out by .dockerignore
    FILE = "file"
    DIR = "dir"


def ignore_regex(pattern: str) -> re.Pattern[str]:
    """Return a regex for a .dockerignore pattern, matching a path or any folder above it."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[" and "]" in pattern[i + 1 :]:
            close = pattern.index("]", i + 1)
            body = pattern[i + 1 : close]
            neg = body[:1] in ("!", "^")
            out.append("[" + ("^" if neg else "") + re.escape(body[1:] if neg else body) + "]")
            i = close
        elif ch == "\\" and i + 1 < n:
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"(?:/.*)?\Z", re.DOTALL)


def ignore_rules(text: str) -> tuple[tuple[bool, re.Pattern[str]], ...]:
    """Return the (exception?, regex) rules of a .dockerignore file, in order."""
    rules: list[tuple[bool, re.Pattern[str]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        line = line[1:].strip() if negate else line
        cleaned = posixpath.normpath(line).lstrip("/")
        if cleaned in ("", "."):
            continue
        rules.append((negate, ignore_regex(cleaned)))
    return tuple(rules)


class View:
    """The build context as the rule may see it, with .dockerignore applied. One per check."""

    __slots__ = ("_seen", "context", "rules")

    def __init__(
        self, context: BuildContext | None, rules: tuple[tuple[bool, re.Pattern[str]], ...] = ()
    ) -> None:
        self.context = context
        self.rules = rules
        self._seen: dict[tuple[str, ...], Presence] = {}

    @classmethod
    def of(cls, context: BuildContext | None) -> View:
        """Return a view of `context`, reading its ignore file when there is one."""
        ignore = context.ignore_text() if context is not None else None
        return cls(context, ignore_rules(ignore or ""))

    @property
    def visible(self) -> bool:
        """Return whether the build context can be looked at."""
        return self.context is not None

    def ignored(self, parts: tuple[str, ...]) -> bool:
        """Return whether .dockerignore leaves this context path out."""
        path = "/".join(parts)
        excluded = False
        for negate, rx in self.rules:
            if rx.match(path):
                excluded = not negate
        return excluded

    def presence(self, parts: tuple[str, ...]) -> Presence:
        """Return what the context holds at `parts` (after .dockerignore)."""
        if self.context is None:
            return Presence.UNKNOWN
        if parts not in self._seen:
            self._seen[parts] = self._look(self.context, parts)
        return self._seen[parts]

    def _look(self, context: BuildContext, parts: tuple[str, ...]) -> Presence:
        rel = "/".join(parts) or "."
        if (parts and self.ignored(parts)) or not context.exists(rel):
            return Presence.ABSENT
        return Presence.FILE if context.read_text(rel, limit=1) is not None else Presence.DIR

    def text(self, parts: tuple[str, ...]) -> str | None:
        """Return a context file's text, or None when it is not there or not visible."""
        if self.context is None or self.presence(parts) is not Presence.FILE:
            return None
        return self.context.read_text("/".join(parts))


# -- COPY and ADD ------------------------------------------------------------------


class Mapping(NamedTuple):
    """Image paths at or below `target` come from context path `source` (+ the same names).

    `source` is None when the content is unknown (another stage, an unclear source).
    `pattern` limits the mapping to names directly below `target` (a wildcard source).
    """

    target: Loc
    source: tuple[str, ...] | None
    pattern: str | None = None

    def covers(self, path: Loc) -> bool | None:
        """Return whether this mapping writes `path`; None when that cannot be told."""
        inside = self.target.contains(path)
        if not inside:
            return inside
        rest = self.target.below(path)
        if self.pattern is None:
            return True
        return bool(rest) and fnmatch.fnmatchcase(rest[0], self.pattern)

    def source_of(self, path: Loc) -> tuple[str, ...] | None:
        """Return the context path `path` comes from (call after `covers`)."""
        return None if self.source is None else self.source + self.target.below(path)


class CopyInfo(NamedTuple):
    """A COPY or ADD: what it writes, from where, and with which ownership flags."""

    instr: Instruction
    mappings: tuple[Mapping, ...]
    context: bool  # from the build context (not --from)
    owner: tuple[str, ...]  # the --chown and --chmod flags, as BuildKit reads them
    dest: str
    dest_loc: Loc
    unclear: str | None  # why a source's content is unclear (unseen folder or file, or missing)


_COPY_FLAGS = frozenset({"chown", "chmod", "link", "from"})
_ADD_FLAGS = frozenset({"chown", "chmod", "link"})
# Names that are files although they have no extension.
_FILE_NAMES = frozenset(
    {
        *("Gemfile", "Pipfile", "Makefile", "Dockerfile", "Procfile", "Rakefile", "LICENSE"),
        *("README", "Jenkinsfile", "Vagrantfile", "Brewfile", "Guardfile", "Podfile", "go.mod"),
    }
)


def looks_like_file(name: str) -> bool:
    """Guess, without the context, whether a source name is a file (`app.py`, `Gemfile`)."""
    return "." in name.lstrip(".") or name in _FILE_NAMES


def copy_info(instr: Instruction, workdir: Loc, view: View) -> CopyInfo | None:
    """Return what a COPY/ADD writes, or None when it cannot be told (a barrier)."""
    allowed = _COPY_FLAGS if instr.kind == "COPY" else _ADD_FLAGS
    values = instr.values
    if instr.heredocs or len(values) < 2 or any(f.name not in allowed for f in instr.flags):
        return None
    if any("$" in v for v in values) or any("$" in f.text for f in instr.flags):
        return None
    sources, dest = values[:-1], values[-1]
    if instr.kind == "ADD" and any(is_remote(s) or is_archive(s) for s in sources):
        return None
    dest_loc = resolve(workdir, dest)
    if dest_loc is None:
        return None
    owner = tuple(f.text for f in instr.flags if f.name in ("chown", "chmod"))
    if instr.flag("from") is not None:
        return CopyInfo(instr, (Mapping(dest_loc, None),), False, owner, dest, dest_loc, None)
    into_dir = _dest_is_dir(dest, dest_loc, workdir, len(sources))
    mappings: list[Mapping] = []
    unclear: str | None = None
    for source in sources:
        found = _source_mapping(source, dest_loc, into_dir, view)
        if found is None:
            return None
        mappings.append(found[0])
        unclear = unclear or found[1]
    return CopyInfo(instr, tuple(mappings), True, owner, dest, dest_loc, unclear)


def _dest_is_dir(dest: str, dest_loc: Loc, workdir: Loc, count: int) -> bool:
    # A trailing slash, several sources, or a folder that exists already (the working
    # directory or one above it) make the destination a folder.
    return dest.endswith("/") or dest in (".", "./") or count > 1 or bool(dest_loc.contains(workdir))


def _source_mapping(source: str, dest: Loc, into_dir: bool, view: View) -> tuple[Mapping, str | None] | None:
    """Return the mapping of one context source and the source when its kind is unclear."""
    if "\\" in source or source.startswith("~"):
        return None
    parts = split_path(source.lstrip("/"))
    if parts is None:
        return None
    if not parts:
        return Mapping(dest, ()), None
    if has_glob(parts[-1]) and not any(has_glob(p) for p in parts[:-1]):
        return Mapping(dest, parts[:-1], parts[-1]), None
    if any(has_glob(p) for p in parts):
        return Mapping(dest, None), None
    kind = view.presence(parts)
    if kind is Presence.DIR:
        return Mapping(dest, parts), None
    if kind is Presence.UNKNOWN and into_dir and not looks_like_file(parts[-1]):
        # A folder's files land in `dest`, a file lands in `dest/name`: unclear.
        return Mapping(dest, None), f"cannot tell whether `{source}` is a file or a folder"
    target = dest.join(parts[-1:]) if into_dir else dest
    # Missing from a visible context: the build would fail, so it is not the real context.
    missing = f"cannot see `{source}` in the build context" if kind is Presence.ABSENT else None
    return Mapping(target, parts), missing


# -- what an install reads and writes ----------------------------------------------


class Role(IntEnum):
    """How an install uses a file below its folder."""

    MANIFEST = 0  # must be there: the install reads it
    OPTIONAL = 1  # read when it is there (lock files, tool config)
    BLOCKER = 2  # when it is there the install reads more than manifests (a workspace)


class Read(NamedTuple):
    """A file an install reads, relative to its folder unless `absolute`.

    `blind` reads are copied by the narrow COPY even when the context cannot be seen.
    """

    parts: tuple[str, ...]
    role: Role
    blind: bool = False
    absolute: bool = False

    @property
    def name(self) -> str:
        """Return the path as text (`requirements.txt`)."""
        return ("/" if self.absolute else "") + "/".join(self.parts)

    def at(self, where: Loc) -> Loc:
        """Return where the file is in the image when the install runs in `where`."""
        return Loc(ABS, self.parts) if self.absolute else where.join(self.parts)


def manifest(name: str) -> Read:
    """Return a required manifest read."""
    return Read(tuple(name.split("/")), Role.MANIFEST, blind=True)


def optional(name: str, *, blind: bool = False) -> Read:
    """Return a read of a file used when present."""
    return Read(tuple(name.split("/")), Role.OPTIONAL, blind=blind)


def blocker(name: str) -> Read:
    """Return a path whose presence means the install reads more than manifests."""
    return Read(tuple(name.split("/")), Role.BLOCKER)


# Where package managers and installers write outside the project (as root). A code copy
# into one of these could meet what they write.
SYSTEM = (
    *("/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib32", "/usr/lib64", "/usr/libexec"),
    *("/usr/include", "/usr/share", "/usr/local/bin", "/usr/local/sbin", "/usr/local/lib"),
    *("/usr/local/include", "/usr/local/share", "/usr/local/etc", "/usr/local/bundle"),
    *("/etc", "/var/lib", "/var/cache", "/var/log", "/lib", "/lib32", "/lib64", "/bin"),
    *("/sbin", "/tmp", "/run", "/go/pkg", "/go/bin", "/root/.*"),
)
USERS = ("/etc", "/home", "/var/mail", "/var/spool/mail")


class Tool(NamedTuple):
    """One install command: what it reads and writes below its folder `where`."""

    kind: str  # pip, pipenv, poetry, uv, pdm, npm, yarn, pnpm, go, bundler, composer
    words: str  # the command, for messages
    reads: tuple[Read, ...]
    outputs: tuple[str, ...] = ()  # paths below its folder it writes
    options: frozenset[str] = frozenset()  # e.g. "ignore-scripts", "frozen"
    needs_source: str | None = None  # why the install needs the project's source
    where: Loc = Loc(WORKDIR, ())
    writes: tuple[str, ...] = SYSTEM  # absolute paths it writes outside the project

    def at(self, where: Loc) -> Tool:
        """Return this tool running in folder `where`."""
        return self._replace(where=where)


class Writes(NamedTuple):
    """A command that reads nothing below the working directory, and the paths it writes."""

    paths: tuple[str, ...] = ()


class Cd(NamedTuple):
    """A `cd` to a folder."""

    path: str


Effect = Tool | Writes | Cd

_SYSTEM_WRITES = Writes(SYSTEM)

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


class Args(NamedTuple):
    """Command-line options read against known flag sets: flags, values, positionals."""

    flags: frozenset[str]
    values: tuple[tuple[str, str], ...]
    positional: tuple[str, ...]

    def all(self, *names: str) -> tuple[str, ...]:
        """Return the values given to any of the options `names`."""
        return tuple(v for n, v in self.values if n in names)


def read_args(args: tuple[str, ...], flags: frozenset[str], values: frozenset[str]) -> Args | None:
    """Read options: `--x`, `--x=v`, `--x v`, `-xv`; None on an option not in the sets."""
    found: set[str] = set()
    pairs: list[tuple[str, str]] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if word in flags:
            found.add(word)
        elif word in values:
            if i >= len(args):
                return None
            pairs.append((word, args[i]))
            i += 1
        elif word.startswith("--") and "=" in word and word.split("=", 1)[0] in values:
            name, value = word.split("=", 1)
            pairs.append((name, value))
        elif word.startswith("-") and len(word) > 2 and word[:2] in values and word[1] != "-":
            pairs.append((word[:2], word[2:]))
        elif word.startswith("-") and word != "-":
            return None
        else:
            rest.append(word)
    return Args(frozenset(found), tuple(pairs), tuple(rest))


def _abs_paths(paths: tuple[str, ...]) -> Writes | None:
    """Return the writes of absolute paths; None when one is relative (it is in the project)."""
    if not all(p.startswith("/") or p.startswith("~/") for p in paths):
        return None
    return Writes(tuple(p for p in paths if p.startswith("/")) + SYSTEM)


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
    paths = _abs_paths(parsed.all(*_PIP_PATHS))
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


_NODE_FLAGS = frozenset(
    {
        *("--production", "--no-optional", "--ignore-scripts", "--legacy-peer-deps", "--no-audit"),
        *("--no-fund", "--quiet", "--silent", "-s", "-q", "--prefer-offline", "--unsafe-perm"),
        *("--no-package-lock", "--force", "--verbose", "--no-progress", "--strict-peer-deps"),
        *("--no-save", "--prefer-online", "--foreground-scripts", "-d", "--frozen-lockfile"),
        *("--immutable", "--immutable-cache", "--pure-lockfile", "--non-interactive", "--prod"),
        *("--ignore-engines", "--ignore-optional", "--ignore-platform", "--check-files", "-P"),
        *("--check-cache", "--inline-builds", "--offline", "--shamefully-hoist", "--no-lockfile"),
        *("--production=true", "--production=false", "--only=production", "--only=prod"),
        *("--omit=dev", "--omit=optional", "--omit=peer", "--include=dev", "--no-color"),
        *("--ignore-scripts=true", "--audit=false", "--fund=false", "--progress=false"),
        *("--loglevel=error", "--loglevel=warn", "--loglevel=silent", "--loglevel=info"),
        *("--no-bin-links", "--no-shrinkwrap", "--dev", "--no-update-notifier"),
    }
)
_NODE_VALUES = frozenset(
    {
        *("--only", "--omit", "--include", "--loglevel", "--registry", "--network-timeout"),
        *("--mutex", "--fetch-retries", "--fetch-timeout", "--maxsockets", "--reporter"),
        *("--network-concurrency", "--fetch-retry-mintimeout", "--fetch-retry-maxtimeout"),
    }
)
_NODE_PATHS = frozenset({"--cache", "--cache-folder", "--store-dir", "--cache-dir"})


def node_effect(kind: str, args: tuple[str, ...], words: str) -> Effect | None:
    """Return what `npm ci`/`npm install`/`yarn install`/`pnpm install ARGS` does."""
    parsed = read_args(args, _NODE_FLAGS | {"-g", "--global"}, _NODE_VALUES | _NODE_PATHS)
    if parsed is None:
        return None
    paths = _abs_paths(parsed.all(*_NODE_PATHS))
    if paths is None:
        return None
    if parsed.flags & {"-g", "--global"}:
        # A global install of named packages: npm does not read the project's .npmrc.
        named = kind == "npm" and all(_is_npm_name(p) for p in parsed.positional)
        return paths if named and parsed.positional else None
    if parsed.positional:
        return None  # `npm install express` edits package.json
    options = frozenset(
        {"ignore-scripts"} if parsed.flags & {"--ignore-scripts", "--ignore-scripts=true"} else ()
    )
    return Tool(kind, words, NODE_READS[kind], NODE_OUTPUTS[kind], options, writes=paths.paths)


def _is_npm_name(spec: str) -> bool:
    return not re.match(r"^(?:\.|/|~|file:|link:)", spec) and not spec.endswith(".tgz")


NODE_READS = {
    "npm": (
        manifest("package.json"),
        optional("package-lock.json", blind=True),
        optional("npm-shrinkwrap.json"),
        optional(".npmrc"),
        blocker("binding.gyp"),
    ),
    "yarn": (
        manifest("package.json"),
        optional("yarn.lock", blind=True),
        optional(".yarnrc"),
        optional(".yarnrc.yml"),
        optional(".npmrc"),
        blocker(".yarn"),
        blocker("binding.gyp"),
    ),
    "pnpm": (
        manifest("package.json"),
        optional("pnpm-lock.yaml", blind=True),
        optional(".npmrc"),
        optional(".pnpmfile.cjs"),
        blocker("pnpm-workspace.yaml"),
        blocker("binding.gyp"),
    ),
}
NODE_OUTPUTS = {
    "npm": ("node_modules",),
    "yarn": ("node_modules", ".pnp.cjs", ".pnp.js", ".pnp.loader.mjs", ".yarn"),
    "pnpm": ("node_modules",),
}

_PY_FLAGS = frozenset(
    {
        *("--no-root", "--no-directory", "--no-dev", "--no-interaction", "-n", "--no-ansi"),
        *("--sync", "--all-extras", "--compile", "-v", "-vv", "-vvv", "--quiet", "-q"),
        *("--no-cache", "--no-plugins", "--frozen", "--locked", "--no-install-project"),
        *("--no-install-workspace", "--no-editable", "--compile-bytecode", "--inexact"),
        *("--no-progress", "--all-groups", "--no-default-groups", "--only-dev", "--no-self"),
        *("--prod", "--production", "--dev", "-d", "--frozen-lockfile", "--no-lock", "--check"),
        *("--fail-fast", "--deploy", "--system", "--ignore-pipfile", "--skip-lock", "--clear"),
        *("--verbose", "--keep-outdated", "--selective-upgrade", "--pre", "--no-isolation"),
        *("--no-binary", "--only-binary", "--no-build", "--no-sources", "--dry-run"),
    }
)
_PY_VALUES = frozenset(
    {
        *("--without", "--with", "--only", "-E", "--extras", "--extra", "--group"),
        *("--only-group", "--no-group", "--python", "-p", "--link-mode", "-G", "--categories"),
        *("--skip", "--index-url", "--extra-index-url", "--index", "--default-index"),
        *("--python-platform",),
    }
)
_PY_PROJECT = {
    "pipenv": (
        (manifest("Pipfile"), optional("Pipfile.lock", blind=True), optional(".env")),
        (".venv",),
    ),
    "poetry": (
        (manifest("pyproject.toml"), optional("poetry.lock", blind=True), optional("poetry.toml")),
        (".venv",),
    ),
    "uv": (
        (
            manifest("pyproject.toml"),
            optional("uv.lock", blind=True),
            optional("uv.toml"),
            optional(".python-version"),
        ),
        (".venv",),
    ),
    "pdm": (
        (
            manifest("pyproject.toml"),
            optional("pdm.lock", blind=True),
            optional("pdm.toml"),
            optional(".pdm-python"),
            optional(".pdm.toml"),
        ),
        (".venv", "__pypackages__"),
    ),
}
# The option that keeps the project itself out of the install, per tool, and the hint.
_NO_PROJECT = {
    "poetry": (
        "--no-root",
        "`poetry install` also installs the project: run `poetry install --no-root` first",
    ),
    "uv": (
        "--no-install-project",
        "`uv sync` also installs the project: run `uv sync --no-install-project` first",
    ),
    "pdm": (
        "--no-self",
        "`pdm install` also installs the project: run `pdm install --no-self` first",
    ),
}


def python_project_effect(kind: str, args: tuple[str, ...], words: str) -> Effect | None:
    """Return what `pipenv|poetry|pdm install`, `uv sync` does; None for other uses."""
    parsed = read_args(args, _PY_FLAGS, _PY_VALUES)
    if parsed is None or parsed.positional:
        return None  # `pipenv install flask`, `poetry install pkg`: they edit manifests
    reads, outputs = _PY_PROJECT[kind]
    options = frozenset(f.lstrip("-") for f in parsed.flags & {"--frozen", "--locked"})
    needs = None
    if kind in _NO_PROJECT:
        flag, hint = _NO_PROJECT[kind]
        needs = None if flag in parsed.flags else hint
    return Tool(kind, words, reads, outputs, options, needs)


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
        return _SYSTEM_WRITES  # module-aware install of a version: ignores the current module
    if args[:2] == ("env", "-w") or args[:1] == ("version",):
        return Writes()
    return None


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


_COMPOSER_FLAGS = frozenset(
    {
        *("--no-dev", "--no-interaction", "-n", "--prefer-dist", "--no-progress", "-o"),
        *("--optimize-autoloader", "--classmap-authoritative", "-a", "--apcu-autoloader"),
        *("--ignore-platform-reqs", "--no-scripts", "--no-autoloader", "--no-plugins"),
        *("--no-suggest", "-q", "--quiet", "--no-ansi", "-v", "--no-cache", "--no-audit"),
        *("--prefer-install=dist",),
    }
)
_COMPOSER_VALUES = frozenset({"--ignore-platform-req", "--prefer-install"})


def composer_effect(args: tuple[str, ...], words: str) -> Effect | None:
    """Return what `composer install` does."""
    if args[:1] in (("self-update",), ("clear-cache",), ("clearcache",), ("--version",)):
        return _SYSTEM_WRITES
    if args[:1] != ("install",):
        return None
    parsed = read_args(args[1:], _COMPOSER_FLAGS, _COMPOSER_VALUES)
    if parsed is None or parsed.positional:
        return None
    needs = None
    if not {"--no-scripts", "--no-autoloader"} <= parsed.flags:
        needs = (
            "`composer install` runs scripts and writes the autoloader, which need the source; "
            "add `--no-scripts --no-autoloader` and run `composer dump-autoload` after the copy"
        )
    reads = (manifest("composer.json"), optional("composer.lock", blind=True), optional("auth.json"))
    return Tool("composer", words, reads, ("vendor",), frozenset(), needs)


# -- commands that read nothing from the project -------------------------------------

_PACKAGE_MANAGERS = frozenset(
    {"apt-get", "apt", "aptitude", "apk", "yum", "dnf", "microdnf", "zypper", "tdnf"}
)
_SYSTEM_TOOLS = frozenset(
    {
        *("apt-key", "add-apt-repository", "update-ca-certificates", "locale-gen", "ldconfig"),
        *("update-alternatives", "dpkg-reconfigure", "localedef", "corepack", "rpm"),
    }
)
_USER_TOOLS = frozenset({"useradd", "adduser", "groupadd", "addgroup", "usermod", "groupmod"})
_QUIET = frozenset({"echo", "printf", "true", ":", "set", "export", "umask", "sleep"})
_PATH_TOOLS = frozenset({"rm", "mkdir", "touch", "ln", "chmod", "chown", "chgrp"})
_VERSION_ARGS = frozenset({("--version",), ("-v",), ("-V",), ("version",), ("-version",)})


def package_manager_effect(args: tuple[str, ...]) -> Effect | None:
    """Return the writes of an apt/apk/yum call; None when it installs a local file."""
    for arg in args:
        if arg.startswith("-"):
            continue
        local = arg.startswith(("./", "../", "/", "~")) or re.search(r"\.(deb|rpm|apk)$", arg)
        if local and "://" not in arg:
            return None  # a package file: it may come from the project
    return _SYSTEM_WRITES


def path_tool_effect(name: str, args: tuple[str, ...]) -> Effect | None:
    """Return the writes of rm/mkdir/ln/chmod/chown on absolute paths; None otherwise."""
    operands = [a for a in args if not a.startswith("-")]
    if name in ("chmod", "chown", "chgrp"):
        operands = operands[1:]
    if not operands:
        return None
    if any(not (o.startswith("/") or o.startswith("~/")) or "$" in o for o in operands):
        return None
    return Writes(tuple(o for o in operands if o.startswith("/")))


def fetch_effect(name: str, args: tuple[str, ...]) -> Effect | None:
    """Return the writes of curl/wget: to stdout or an absolute file; None for the cwd."""
    out_flags = ("-o", "--output") if name == "curl" else ("-O", "--output-document", "-P")
    outputs: list[str] = []
    for i, arg in enumerate(args):
        if name == "wget" and arg in ("-O-", "-qO-", "-qO", "-O"):
            nxt = args[i + 1] if i + 1 < len(args) else ""
            if arg.endswith("-") or nxt == "-":
                continue
        if arg in out_flags or (name == "curl" and re.fullmatch(r"-[a-zA-Z]*o", arg)):
            outputs.append(args[i + 1] if i + 1 < len(args) else "")
        elif name == "curl" and re.fullmatch(r"-[a-zA-Z]*O[a-zA-Z]*", arg):
            return None  # -O saves to a file named after the URL, in the working directory
    if name == "wget" and not outputs and not any(a.endswith("O-") or a == "-" for a in args):
        return None  # wget saves to the working directory
    return path_tool_effect("touch", tuple(outputs)) if outputs else Writes()


def command_effect(argv: tuple[str, ...]) -> Effect | None:
    """Return what a simple command does to the project folder; None when unknown."""
    argv = _unwrap(argv)
    if not argv:
        return None
    name, args = _tool_name(argv)
    words = " ".join(argv)
    if name is None:
        return None
    if args in _VERSION_ARGS:
        return Writes()
    handler = _HANDLERS.get(name)
    if handler is not None:
        return handler(args, words)
    if name in _PACKAGE_MANAGERS:
        return package_manager_effect(args)
    if name in _SYSTEM_TOOLS:
        return _SYSTEM_WRITES
    if name in _USER_TOOLS:
        return Writes(USERS)
    if name in _QUIET:
        return Writes()
    if name in _PATH_TOOLS:
        return path_tool_effect(name, args)
    if name in ("curl", "wget"):
        return fetch_effect(name, args)
    return None


def _unwrap(argv: tuple[str, ...]) -> tuple[str, ...]:
    """Drop `NAME=value` prefixes and a plain `sudo`."""
    i = 0
    while i < len(argv) and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", argv[i]):
        i += 1
    argv = argv[i:]
    if argv[:1] == ("sudo",) and len(argv) > 1 and not argv[1].startswith("-"):
        argv = argv[1:]
    return argv


def _tool_name(argv: tuple[str, ...]) -> tuple[str | None, tuple[str, ...]]:
    """Return the tool a command runs (`pip` for `python3 -m pip`) and its arguments."""
    name = argv[0].rsplit("/", 1)[-1]
    args = argv[1:]
    if re.fullmatch(r"python[0-9.]*", name):
        if args[:1] == ("-m",) and len(args) > 1:
            return _tool_name(args[1:])
        return None, args
    if re.fullmatch(r"pip[0-9.]*", name):
        return "pip", args
    if name == "bundler":
        return "bundle", args
    if "$" in name:
        return None, args
    return name, args


def _pip(args: tuple[str, ...], words: str) -> Effect | None:
    if args[:1] == ("install",):
        return pip_effect(args[1:], words)
    if args[:2] in (("cache", "purge"), ("uninstall", "-y")):
        return _SYSTEM_WRITES
    return None


def _uv(args: tuple[str, ...], words: str) -> Effect | None:
    if args[:2] == ("pip", "install"):
        return pip_effect(args[2:], words)
    if args[:1] == ("sync",):
        return python_project_effect("uv", args[1:], words)
    return None


def _python_project(kind: str) -> Callable[[tuple[str, ...], str], Effect | None]:
    subcommands = {"pipenv": ("install", "sync"), "poetry": ("install",), "pdm": ("install", "sync")}

    def effect(args: tuple[str, ...], words: str) -> Effect | None:
        if args[:1] and args[0] in subcommands[kind]:
            return python_project_effect(kind, args[1:], words)
        if kind == "poetry" and args[:1] == ("config",) and "--local" not in args:
            return Writes()
        return None

    return effect


def _npm(args: tuple[str, ...], words: str) -> Effect | None:
    if args[:1] and args[0] in ("ci", "install", "i", "isntall", "add"):
        return node_effect("npm", args[1:], words)
    if args[:2] == ("cache", "clean") or args[:1] in (("set",),):
        return Writes()
    if args[:1] == ("config",) and not any(a.startswith(("--location", "-L")) for a in args):
        return Writes()
    return None


def _yarn(args: tuple[str, ...], words: str) -> Effect | None:
    if not args or args[0] == "install" or args[0].startswith("-"):
        rest = args[1:] if args and args[0] == "install" else args
        return node_effect("yarn", rest, words)
    if args[:2] == ("cache", "clean"):
        return Writes()
    return None


def _pnpm(args: tuple[str, ...], words: str) -> Effect | None:
    if args[:1] and args[0] in ("install", "i"):
        return node_effect("pnpm", args[1:], words)
    if args[:1] == ("fetch",):
        parsed = read_args(args[1:], _NODE_FLAGS, _NODE_VALUES)
        if parsed is None or parsed.positional:
            return None
        reads = (manifest("pnpm-lock.yaml"), optional(".npmrc"), blocker("pnpm-workspace.yaml"))
        return Tool("pnpm", words, reads, (), frozenset({"fetch"}))
    if args[:2] == ("store", "prune"):
        return Writes()
    return None


def _gem(args: tuple[str, ...], words: str) -> Effect | None:
    if args[:1] in (("install",), ("update",)) and all(
        not a.endswith(".gem") and "/" not in a for a in args[1:]
    ):
        return _SYSTEM_WRITES
    return None


def _go(args: tuple[str, ...], words: str) -> Effect | None:
    return go_effect(args, words)


def _cd(args: tuple[str, ...], words: str) -> Effect | None:
    return Cd(args[0]) if len(args) == 1 and args[0] not in ("-", "~") else None


_HANDLERS: dict[str, Callable[[tuple[str, ...], str], Effect | None]] = {
    "cd": _cd,
    "pip": _pip,
    "uv": _uv,
    "pipenv": _python_project("pipenv"),
    "poetry": _python_project("poetry"),
    "pdm": _python_project("pdm"),
    "npm": _npm,
    "yarn": _yarn,
    "pnpm": _pnpm,
    "go": _go,
    "bundle": bundle_effect,
    "gem": _gem,
    "composer": composer_effect,
}


# -- what the manifests themselves say (when the context is visible) ----------------

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


_NODE_SCRIPTS = ("preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare")
_NODE_DEP_KEYS = (
    *("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"),
    *("resolutions", "overrides", "bundleDependencies", "bundledDependencies"),
)
_NODE_LOCAL = lazy_re(r"^(?:file:|link:|portal:|workspace:|patch:|\.{1,2}/|/|~/)")


def node_content(text: str, tool: Tool) -> str | None:
    """Return why a package.json makes the install read more than manifests, or None."""
    try:
        data = json.loads(text)
    except ValueError:
        return "package.json is not valid JSON"
    if not isinstance(data, dict):
        return "package.json is not an object"
    scripts = data.get("scripts")
    if "ignore-scripts" not in tool.options and isinstance(scripts, dict):
        hooks = [s for s in _NODE_SCRIPTS if s in scripts]
        if hooks:
            return f"package.json has a `{hooks[0]}` script, which runs during the install"
    if "workspaces" in data:
        return "package.json declares workspaces, which live in other folders"
    pnpm = data.get("pnpm")
    if isinstance(pnpm, dict) and "patchedDependencies" in pnpm:
        return "package.json patches dependencies with files from the project"
    for key in _NODE_DEP_KEYS:
        for value in _strings(data.get(key)):
            if _NODE_LOCAL.match(value):
                return f"package.json depends on a local path (`{value}`)"
    return None


def _strings(value: object) -> Iterator[str]:
    """Yield every string inside nested dicts and lists."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


_PYPROJECT_LOCAL = lazy_re(
    r"\bpath\s*=|file:|\$\{PROJECT_ROOT\}|\[tool\.uv\.workspace\]|\bworkspace\s*=\s*true|\beditable\s*=\s*true",
    re.I,
)
_GEMFILE_LOCAL = lazy_re(
    r"^\s*(?:gemspec|eval_gemfile|require_relative|load)\b|\bpath\s*(?::|=>)|:path\s*=>|\bFile\.|\bIO\.|\bDir\[|\bfile:",
    re.M,
)
_GO_LOCAL_REPLACE = lazy_re(r"=>\s*(?:\.{1,2}/|/|\.{1,2}\s*$)", re.M)


def project_content(tool: Tool, text: str) -> str | None:
    """Return why a manifest makes the install read more than manifests, or None."""
    kind = tool.kind
    if kind in ("npm", "yarn", "pnpm"):
        return None if "fetch" in tool.options else node_content(text, tool)
    if kind in ("poetry", "uv", "pdm", "pipenv"):
        found = _PYPROJECT_LOCAL.search(text)
        if found:
            return f"the manifest refers to local files (`{found.group(0).strip()}`)"
        if (
            kind == "uv"
            and not tool.options & {"frozen", "locked"}
            and re.search(r"^\s*dynamic\s*=", text, re.M)
        ):
            return "pyproject.toml has dynamic metadata, which `uv sync` builds from the source"
        return None
    if kind == "go":
        return "go.mod replaces a module with a local folder" if _GO_LOCAL_REPLACE.search(text) else None
    if kind == "bundler":
        found = _GEMFILE_LOCAL.search(text)
        return f"the Gemfile reads other files (`{found.group(0).strip()}`)" if found else None
    if kind == "composer":
        return composer_content(text)
    return None


def composer_content(text: str) -> str | None:
    """Return why a composer.json makes the install read more than manifests, or None."""
    try:
        data = json.loads(text)
    except ValueError:
        return "composer.json is not valid JSON"
    if not isinstance(data, dict):
        return "composer.json is not an object"
    repos = data.get("repositories")
    entries = repos.values() if isinstance(repos, dict) else repos if isinstance(repos, list) else []
    for repo in entries:
        if isinstance(repo, dict) and repo.get("type") in ("path", "artifact"):
            return f"composer.json has a `{repo.get('type')}` repository with local files"
    config = data.get("config")
    if isinstance(config, dict) and "vendor-dir" in config:
        return "composer.json moves the vendor folder"
    return None


# -- RUN ---------------------------------------------------------------------------


class RunPlan(NamedTuple):
    """A RUN read as install tools (each with its folder) and the paths its commands write."""

    tools: tuple[Tool, ...]
    writes: tuple[Loc, ...]


_POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh"})
_RUN_FLAGS = frozenset({"mount", "network", "security"})


@lru_cache(maxsize=4096)
def run_plan(instr: Instruction, shell: tuple[str, ...], workdir: Loc) -> RunPlan | None:
    """Return what a RUN does to the project folder, or None when it cannot be told.

    Pure in its immutable arguments and asked for again on every fixer pass: cached."""
    if any(f.name not in _RUN_FLAGS for f in instr.flags):
        return None
    mounts = _mount_targets(instr, workdir)
    commands = _run_commands(instr, shell)
    if mounts is None or commands is None:
        return None
    where = workdir
    tools: list[Tool] = []
    writes: list[Loc] = list(mounts)
    for argv, redirects in commands:
        effect = command_effect(argv)
        written = _redirect_writes(redirects)
        if effect is None or written is None:
            return None
        writes.extend(written)
        if isinstance(effect, Cd):
            moved = resolve(where, effect.path)
            if moved is None:
                return None
            where = moved
        elif isinstance(effect, Tool):
            tools.append(effect.at(where))
            writes.extend(_locs(effect.writes))
        else:
            writes.extend(_locs(effect.paths))
    return RunPlan(tuple(tools), tuple(writes))


@lru_cache(maxsize=256)
def _locs(paths: tuple[str, ...]) -> tuple[Loc, ...]:
    """Return the absolute paths as Locs. Cached: most are the same ~30 system folders
    a package manager writes, shared by every cached RunPlan instead of copied into each."""
    return tuple(Loc(ABS, tuple(p for p in path.split("/") if p)) for path in paths if path.startswith("/"))


def _mount_targets(instr: Instruction, workdir: Loc) -> list[Loc] | None:
    """Return the folders RUN mounts over; None when one cannot be resolved."""
    found: list[Loc] = []
    for flag in instr.flags_named("mount"):
        fields = dict(part.split("=", 1) for part in (flag.value or "").split(",") if "=" in part)
        target = fields.get("target") or fields.get("dst") or fields.get("destination")
        loc = resolve(workdir, target) if target else None
        if loc is None:
            return None
        found.append(loc)
    return found


def _run_commands(
    instr: Instruction, shell: tuple[str, ...]
) -> list[tuple[tuple[str, ...], tuple[str, ...]]] | None:
    """Return each command's words and redirections; None when the shell reader is unsure."""
    if instr.is_json:
        return [(instr.values, ())] if instr.values else None
    if instr.heredocs or not _posix(shell):
        return None
    script = split_commands(instr.args)
    if script is None or not script.is_flat or any(op.text in ("&", "|&") for op in script.operators):
        return None
    out: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for cmd in script.commands:
        if any("`" in w.text or "$(" in w.text for w in cmd.words):
            return None  # a command substitution runs a command we do not see
        redirects = tuple(t.text for t in cmd.tokens if t.kind is Kind.REDIRECT)
        out.append((cmd.argv, redirects))
    return out


def _posix(shell: tuple[str, ...]) -> bool:
    return len(shell) >= 2 and shell[0].rsplit("/", 1)[-1] in _POSIX_SHELLS and shell[-1] == "-c"


def _redirect_writes(redirects: tuple[str, ...]) -> list[Loc] | None:
    """Return the files redirections write; None when one is in the working directory."""
    found: list[Loc] = []
    for text in redirects:
        op = re.match(r"^\d*([<>&|]+)\s*", text)
        if op is None:
            return None
        target = text[op.end() :].strip("'\"")
        if target.startswith("&") or target in ("-", "/dev/null", "/dev/stdout", "/dev/stderr"):
            continue
        if re.fullmatch(r"\d+", target) and op.group(1).endswith("&"):
            continue
        loc = resolve(Loc(ABS, ()), target) if target.startswith("/") else None
        if loc is None:
            return None
        if ">" in op.group(1):
            found.append(loc)
    return found


# -- one stage ----------------------------------------------------------------------

# Instructions that change nothing a RUN or COPY sees.
_METADATA = frozenset(
    {
        "ENV",
        "ARG",
        "LABEL",
        "EXPOSE",
        "CMD",
        "ENTRYPOINT",
        "HEALTHCHECK",
        "STOPSIGNAL",
        "MAINTAINER",
        "ONBUILD",
    }
)


class Step(NamedTuple):
    """An instruction that code copies may be moved across, analysed."""

    instr: Instruction
    copy: CopyInfo | None = None
    plan: RunPlan | None = None


def workdirs(stage: Stage) -> list[Loc]:
    """Return the working directory in force at each instruction of the stage."""
    found: list[Loc] = []
    current = Loc(WORKDIR, ())
    for index, instr in enumerate(stage.instructions):
        found.append(current)
        if instr.kind == "WORKDIR":
            text = instr.values[0] if instr.values else ""
            current = resolve(current, text) or Loc(f"{WORKDIR}{index}", ())
    return found


def analyse(instr: Instruction, stage: Stage, workdir: Loc, view: View) -> Step | None:
    """Return the step for an instruction, or None for a barrier nothing moves across."""
    if instr.kind in ("COPY", "ADD"):
        info = copy_info(instr, workdir, view)
        return Step(instr, copy=info) if info is not None else None
    if instr.kind == "RUN":
        plan = run_plan(instr, stage.shell_at(instr), workdir)
        return Step(instr, plan=plan) if plan is not None else None
    if instr.kind == "WORKDIR":
        return Step(instr)  # only copies to absolute paths move across it (see install_finding)
    return Step(instr) if instr.kind in _METADATA else None


class Clash(IntEnum):
    """Whether a code copy and a write meet."""

    NONE = 0
    POSSIBLE = 1  # only if the hidden build context holds the path
    SURE = 2


def _glob_prefix(outer: Loc, inner: Loc) -> bool:
    """Return whether `outer` (whose names may be wildcards) is `inner` or above it."""
    if len(outer.parts) > len(inner.parts):
        return False
    return all(fnmatch.fnmatchcase(i, o) for o, i in zip(outer.parts, inner.parts, strict=False))


def mapping_clash(m: Mapping, path: Loc, view: View) -> Clash:
    """Return whether writing `path` meets what mapping `m` copies."""
    target, written = m.target.as_abs(), path.as_abs()
    if _glob_prefix(written, target):
        return Clash.SURE  # the write covers the whole copy
    if not target.contains(written):
        return Clash.NONE
    rest = target.below(written)
    if m.pattern and rest and not has_glob(rest[0]) and not fnmatch.fnmatchcase(rest[0], m.pattern):
        return Clash.NONE
    if m.source is None:
        return Clash.SURE if view.visible else Clash.POSSIBLE
    plain: list[str] = []
    for name in rest:
        if has_glob(name):
            break
        plain.append(name)
    presence = view.presence(m.source + tuple(plain))
    if presence is Presence.ABSENT:
        return Clash.NONE
    return Clash.POSSIBLE if presence is Presence.UNKNOWN else Clash.SURE


def copy_clash(c: CopyInfo, path: Loc, view: View) -> Clash:
    """Return the worst clash between a copy and a write of `path`."""
    return max((mapping_clash(m, path, view) for m in c.mappings), default=Clash.NONE)


def overlap(a: Mapping, b: Mapping) -> bool:
    """Return whether two mappings may write the same path (True when unsure)."""
    if a.target == b.target and a.pattern and b.pattern:
        return True
    return a.covers(b.target) is not False or b.covers(a.target) is not False


def agree(a: Mapping, b: Mapping) -> bool:
    """Return whether two mappings copy the same context file wherever both write."""
    if a.source is None or b.source is None:
        return False
    if a.target.contains(b.target):
        return a.source + a.target.below(b.target) == b.source
    if b.target.contains(a.target):
        return b.source + b.target.below(a.target) == a.source
    return False


class StageView(NamedTuple):
    """One stage, its steps (None for barriers) and what every check needs."""

    df: Dockerfile
    stage: Stage
    steps: tuple[Step | None, ...]
    view: View
    layout: Layout


class Finding(NamedTuple):
    """A code copy before an install, with the edits that move it (or why there are none)."""

    copy: Instruction
    install: Tool
    edits: tuple[Edit, ...] | None
    unsure: str | None  # why the fix is unsafe
    problem: str | None  # why there is no fix


class Review:
    """What moving one code copy below one install would change, gathered by the checks."""

    __slots__ = ("hidden", "narrow", "problems", "unsure")

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.unsure: list[str] = []
        self.hidden: list[str] = []  # manifests that cannot be seen
        self.narrow: list[tuple[tuple[str, ...], Loc]] = []  # source, target

    def record(self, clash: Clash, sure: str, possible: str) -> None:
        """Note a clash: a sure one blocks the fix, a possible one makes it unsafe."""
        if clash is Clash.SURE:
            self.problems.append(sure)
        elif clash is Clash.POSSIBLE:
            self.unsure.append(possible)

    def why_unsafe(self) -> str | None:
        """Return the reason the fix is unsafe, or None when it is safe."""
        if self.hidden:
            names = list(dict.fromkeys(self.hidden))
            listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
            pronoun = "it" if len(names) == 1 else "them"
            return f"cannot see {listed}, so cannot prove the install reads only {pronoun}"
        return self.unsure[0] if self.unsure else None


def short(text: str, limit: int = 60) -> str:
    """Return text on one line, cut to `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def reads_of(tools: tuple[Tool, ...], *roles: Role) -> list[tuple[Tool, Read, Loc]]:
    """Return the reads of the tools with their image paths, only `roles` when given."""
    return [(t, r, r.at(t.where)) for t in tools for r in t.reads if not roles or r.role in roles]


def is_manifest_mapping(m: Mapping, tools: tuple[Tool, ...], paths: list[Loc]) -> bool:
    """Return whether a mapping copies only manifests (`paths`), not the install's folder."""
    if not any(m.covers(p) for p in paths):
        return False
    if m.pattern is not None or m.target in paths:
        return True
    # An unknown working directory is taken to be outside a copy's absolute target.
    return not any(m.target.contains(t.where) for t in tools)


def has_code(c: CopyInfo, tools: tuple[Tool, ...], paths: list[Loc]) -> bool:
    """Return whether a copy brings in anything the install does not read."""
    return not all(is_manifest_mapping(m, tools, paths) for m in c.mappings)


def read_paths(sv: StageView, k: int, lo: int) -> list[Loc]:
    """Return the image paths the install at k reads, with the -r/-c files copied before it."""
    step = sv.steps[k]
    assert step is not None and step.plan is not None
    queue = [(t, r) for t in step.plan.tools for r in t.reads if r.role is not Role.BLOCKER]
    found: list[Loc] = []
    while queue:
        t, r = queue.pop(0)
        path = r.at(t.where)
        if path in found:
            continue
        found.append(path)
        given = provider(sv.steps, path, k - 1, lo) if t.kind == "pip" else None
        source = given[1].source_of(path) if given else None
        text = sv.view.text(source) if source is not None else None
        if text is not None:
            queue.extend((t, n) for n in map(lambda name: nested_read(r, name), pip_content(text)[1]) if n)
    return found


def is_broad(c: CopyInfo, tools: tuple[Tool, ...]) -> bool:
    """Return whether a copy brings the install's whole folder in, manifests included."""
    return any(
        m.pattern is None and m.covers(p) is True and m.target.contains(t.where) is True
        for m in c.mappings
        for t, _, p in reads_of(tools, Role.MANIFEST)
    )


def provider(steps: tuple[Step | None, ...], path: Loc, hi: int, lo: int) -> tuple[CopyInfo, Mapping] | None:
    """Return the last copy in steps[lo..hi] that surely writes `path`, with its mapping."""
    for index in range(hi, lo - 1, -1):
        step = steps[index]
        if step is None or step.copy is None:
            continue
        for m in step.copy.mappings:
            if m.covers(path) is True:
                return step.copy, m
    return None


def window_start(steps: tuple[Step | None, ...], k: int) -> int:
    """Return the first index of the run of steps before `k` that are not barriers."""
    lo = k
    while lo > 0 and steps[lo - 1] is not None:
        lo -= 1
    return lo


def check_writes(c: CopyInfo, plan: RunPlan, label: str, view: View, review: Review) -> None:
    """Note where a RUN writes into what the copy brings (install folders, system paths)."""
    for t in plan.tools:
        for out in t.outputs:
            path = t.where.join(split_path(out) or (out,))
            review.record(
                copy_clash(c, path, view),
                f"the copy would put {out} from the build context over what `{short(t.words)}` writes",
                f"cannot see whether the build context holds {out}",
            )
    for path in plan.writes:
        review.record(
            copy_clash(c, path, view),
            f"{label} writes {path.show()}, where the copy puts files",
            f"cannot see whether the build context holds files for {path.show()}",
        )


def check_between(c: CopyInfo, step: Step, view: View, review: Review) -> None:
    """Note what an instruction between the copy and the install has to do with the copy."""
    label = f"`{short(step.instr.line)}` between them"
    if step.copy is not None:
        for mc in step.copy.mappings:
            for m in c.mappings:
                if not overlap(m, mc) or (agree(m, mc) and step.copy.owner == c.owner):
                    continue
                clash = Clash.SURE if mc.pattern else mapping_clash(m, mc.target, view)
                review.record(
                    clash, f"{label} writes where the copy does", f"cannot see what {label} overwrites"
                )
    if step.plan is not None:
        for t, r, path in reads_of(step.plan.tools):
            check_read_between(c, t, r, path, view, review)
        check_writes(c, step.plan, label, view, review)


def check_read_between(c: CopyInfo, t: Tool, r: Read, path: Loc, view: View, review: Review) -> None:
    """Note an install between the copy and the install that reads what the copy brings."""
    for m in c.mappings:
        covered = m.covers(path)
        if covered is False:
            continue
        source = m.source_of(path) if covered else None
        presence = view.presence(source) if source is not None else Presence.UNKNOWN
        # An ABSENT source is no proof the RUN reads nothing from the copy: the folder we
        # see may not be the build context (a Dockerfile in a subfolder, built with `..`).
        if r.role is Role.MANIFEST or presence is not Presence.UNKNOWN or source is None:
            review.problems.append(f"`{short(t.words)}` between them reads {r.name} from the copy")
        else:
            review.unsure.append(f"cannot see whether `{short(t.words)}` between them reads {r.name}")


def check_reads(sv: StageView, j: int, k: int, lo: int, review: Review) -> None:
    """Check what the install reads: where it comes from, what it says, what to copy first."""
    c, plan = sv.steps[j], sv.steps[k]
    assert c is not None and c.copy is not None and plan is not None and plan.plan is not None
    queue = [(t, r) for t in plan.plan.tools for r in t.reads]
    seen: set[Loc] = set()
    while queue:
        t, r = queue.pop(0)
        path = r.at(t.where)
        if path in seen:
            continue
        seen.add(path)
        source, needed = read_source(sv, c.copy, path, (j, k, lo), review)
        if source is None:
            if r.role is Role.MANIFEST:
                review.hidden.append(r.name)
            continue
        for nested in judge_read(sv.view, t, r, source, needed, review):
            queue.append((t, nested))
    if review.hidden:
        check_hints(sv, lo, k, review)


def read_source(
    sv: StageView, c: CopyInfo, path: Loc, bounds: tuple[int, int, int], review: Review
) -> tuple[tuple[str, ...] | None, bool]:
    """Return the context path the install reads `path` from, and whether only the copy gives it."""
    j, k, lo = bounds
    covering = [m for m in c.mappings if m.covers(path) is not False]
    later = provider(sv.steps, path, k - 1, j + 1)
    if later is not None:
        return later[1].source_of(path), False
    mine = next((m for m in covering if m.covers(path) is True), None)
    if mine is None:
        if covering:
            review.problems.append(f"cannot tell whether the copy writes {path.show()}")
        earlier = provider(sv.steps, path, j - 1, lo)
        return (earlier[1].source_of(path) if earlier else None), False
    source = mine.source_of(path)
    if source is None:
        review.problems.append(f"cannot tell what the copy puts at {path.show()}")
        return None, False
    earlier = provider(sv.steps, path, j - 1, lo)
    same = earlier is not None and agree(earlier[1], mine) and earlier[0].owner == c.owner
    return source, not same


# Files that, copied next to an unseen manifest, suggest the install reads the project.
_HINTS = {"bundler": ("*.gemspec",), "pip": ("setup.py", "setup.cfg", "pyproject.toml")}


def check_hints(sv: StageView, lo: int, k: int, review: Review) -> None:
    """Note a project file (`*.gemspec`, `setup.py`) copied before an install whose manifest is unseen."""
    install = sv.steps[k]
    assert install is not None and install.plan is not None
    for t in install.plan.tools:
        for index in range(lo, k):
            step = sv.steps[index]
            if step is None or step.copy is None:
                continue
            for m in step.copy.mappings:
                near = t.where.contains(m.target) and len(m.target.parts) == len(t.where.parts) + 1
                name = m.target.parts[-1] if near and m.pattern is None else ""
                if any(fnmatch.fnmatchcase(name, hint) for hint in _HINTS.get(t.kind, ())):
                    review.problems.append(
                        f"`{short(step.instr.line)}` suggests `{short(t.words)}` reads the project"
                    )
                    return


def judge_read(
    view: View, t: Tool, r: Read, source: tuple[str, ...], needed: bool, review: Review
) -> list[Read]:
    """Judge one read by what the context holds; return the files it includes in turn."""
    presence = view.presence(source)
    if r.role is Role.BLOCKER:
        if presence in (Presence.FILE, Presence.DIR):
            review.problems.append(
                f"{r.name} is in the build context, so the install reads more than manifests"
            )
        return []
    if presence is Presence.DIR:
        review.problems.append(f"the install reads the folder {r.name}")
        return []
    if r.role is Role.MANIFEST and presence is Presence.ABSENT and view.ignored(source):
        review.problems.append(f".dockerignore leaves out {'/'.join(source)}")
        return []
    if presence is not Presence.FILE:
        if r.role is Role.MANIFEST:
            review.hidden.append(r.name)
        # Unseen, copy the usual files; seen but absent, only if a manifest is missing too
        # (then the folder is not the real build context).
        unseen = presence is Presence.UNKNOWN or r.role is Role.MANIFEST or bool(review.hidden)
        if needed and r.blind and unseen:
            review.narrow.append((source, r.at(t.where)))
        return []
    if needed:
        review.narrow.append((source, r.at(t.where)))
    if r.role is not Role.MANIFEST:
        return []
    return judge_content(view.text(source) or "", t, r, review)


def judge_content(text: str, t: Tool, r: Read, review: Review) -> list[Read]:
    """Note what a manifest says that needs more than manifests; return files it includes."""
    if t.kind != "pip":
        problem = project_content(t, text) if r == t.reads[0] else None
        if problem:
            review.problems.append(problem)
        return []
    problem, nested = pip_content(text)
    if problem:
        review.problems.append(f"{r.name}: {problem}")
        return []
    found: list[Read] = []
    for name in nested:
        read = nested_read(r, name)
        if read is None:
            review.problems.append(f"{r.name} includes `{name}`, which cannot be followed")
        else:
            found.append(read)
    return found


def nested_read(r: Read, name: str) -> Read | None:
    """Return the read of a file a requirements file includes (relative to it); None if odd."""
    if "$" in name or "://" in name:
        return None
    if name.startswith("/"):
        parts = split_path(name)
        return Read(parts, Role.MANIFEST, blind=True, absolute=True) if parts else None
    parts = split_path("/".join((*r.parts[:-1], name)))
    return Read(parts, Role.MANIFEST, blind=True, absolute=r.absolute) if parts else None


# -- the edits ------------------------------------------------------------------------


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


# -- the stage walk -------------------------------------------------------------------

_BARRIER_WHY = {
    "WORKDIR": "changes the working directory",
    "USER": "changes the user",
    "VOLUME": "declares a volume",
    "SHELL": "changes the shell",
}


def review_move(sv: StageView, j: int, k: int, lo: int) -> Finding | None:
    """Return the finding for moving the code copy at j below the install at k."""
    copy_step, install_step = sv.steps[j], sv.steps[k]
    assert copy_step is not None and copy_step.copy is not None
    assert install_step is not None and install_step.plan is not None
    c, tools = copy_step.copy, install_step.plan.tools
    review = Review()
    review.problems.extend(t.needs_source for t in tools if t.needs_source)
    if c.unclear:
        review.unsure.append(c.unclear)
    for step in sv.steps[j + 1 : k]:
        assert step is not None
        check_between(c, step, sv.view, review)
    check_writes(c, install_step.plan, "the install", sv.view, review)
    check_reads(sv, j, k, lo, review)
    install = install_step.instr
    if review.problems:
        if not is_broad(c, tools):
            return None
        return Finding(c.instr, tools[0], None, None, review.problems[0])
    narrow = narrow_copy(sv, c, install, review)
    return Finding(c.instr, tools[0], move_edits(sv, c, install, narrow), review.why_unsafe(), None)


def barrier_finding(sv: StageView, lo: int, k: int, barrier: Instruction | None) -> Finding | None:
    """Return a finding without fix for a whole-folder copy before steps[lo], kept apart.

    `barrier` is a WORKDIR already passed, if any; the scan back from `lo` stops at the
    first copy that may bring a manifest, and at anything that may have made one.
    """
    install_step = sv.steps[k]
    assert install_step is not None and install_step.plan is not None
    tools = install_step.plan.tools
    manifests = [p for _, _, p in reads_of(tools, Role.MANIFEST)]
    if any(provider(sv.steps, p, k - 1, lo) for p in manifests):
        return None  # the manifests are copied on their own already
    for index in range(lo - 1, max(lo - 1 - MAX_WINDOW, -1), -1):
        instr, step = sv.stage.instructions[index], sv.steps[index]
        if step is not None and step.copy is not None:
            c = step.copy
            if not any(m.covers(p) is not False for m in c.mappings for p in manifests):
                continue
            if barrier is None or not (c.context and is_broad(c, tools)):
                return None
            why = _BARRIER_WHY.get(barrier.kind, "may use the copied files")
            return Finding(instr, tools[0], None, None, f"`{short(barrier.line)}` between them {why}")
        if step is None and instr.kind not in _BARRIER_WHY:
            return None  # a RUN we cannot read may have made the manifests
        if step is None or instr.kind == "WORKDIR":
            barrier = barrier or instr
    return None


# How many instructions back from an install the rule looks (the longest run in the
# shared corpus is 20). Beyond it the rule reports nothing: looking back over the whole
# stage for each install made a long generated stage quadratic (2,000 installs: 39 s).
MAX_WINDOW = 200


def install_finding(sv: StageView, k: int) -> Finding | None:
    """Return the finding for the install at k: the nearest code copy before it, if any."""
    step = sv.steps[k]
    if step is None or step.plan is None or not step.plan.tools:
        return None
    lo = window_start(sv.steps, k)
    if k - lo > MAX_WINDOW:
        return None  # too far to look back at for every install: say nothing
    paths = read_paths(sv, k, lo)
    workdir: Instruction | None = None
    for j in range(k - 1, lo - 1, -1):
        c = sv.steps[j]
        assert c is not None
        if c.instr.kind == "WORKDIR":
            workdir = workdir or c.instr
        if c.copy is None or not c.copy.context or not has_code(c.copy, step.plan.tools, paths):
            continue
        if workdir is not None and not c.copy.dest.startswith("/"):
            # A relative destination would land elsewhere below the WORKDIR.
            return barrier_finding(sv, j + 1, k, workdir)
        return review_move(sv, j, k, lo)
    return barrier_finding(sv, lo, k, workdir)


def stage_view(df: Dockerfile, stage: Stage, view: View, lines: Layout) -> StageView:
    """Return the analysed steps of a stage."""
    wds = workdirs(stage)
    steps = tuple(analyse(i, stage, wds[n], view) for n, i in enumerate(stage.instructions))
    return StageView(df, stage, steps, view, lines)


class CopyAllBeforeInstall(Rule):
    """## What it does
    Flags source code copied into the image before a dependency install that only
    needs the manifest files (`requirements.txt`, `package.json`, `go.mod`, ...).

    ## Why is this bad?
    Docker rebuilds every layer after the first one whose input changed. With
    `COPY . .` before `RUN pip install -r requirements.txt`, editing any source file
    invalidates the copy, so the slow install runs again on every build, although
    the dependencies did not change. Copying the manifests first, installing, and
    copying the rest afterwards keeps the install cached until a manifest changes.

    The rule knows pip (`-r`/`-c` files), Pipenv, Poetry (`--no-root`), uv
    (`sync --no-install-project`), PDM (`--no-self`), npm (`ci`, `install`), Yarn,
    pnpm (`install`, `fetch`), Go (`go mod download`), Bundler and Composer
    (`--no-scripts --no-autoloader`). Any context copy of files the install does not
    read counts as code, so `COPY app.py .` before `COPY requirements.txt .` and
    the install is flagged too. Variants that install the project itself
    (`poetry install`, `uv sync`, `pdm install` without those options, `composer
    install` with scripts) are reported after a whole-folder copy, without a fix.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    COPY . .
    RUN pip install -r requirements.txt
    CMD ["python", "app.py"]
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    COPY requirements.txt .
    RUN pip install -r requirements.txt
    COPY . .
    CMD ["python", "app.py"]
    ```

    ## Fix safety
    The fix moves the code copy (and the comment lines directly above it) to just
    after the install. When the code copy was the only one to bring a manifest, a
    narrow `COPY` of the manifests, with the same `--chown`/`--chmod`/`--link` flags and
    destination, goes right before the install. The install keeps its place, so its
    `WORKDIR`, `USER`, `ARG` and `ENV` stay the same.

    The fix is safe only when the build context (the Dockerfile's folder) is visible
    and shows that the install reads nothing but the manifests: they exist; a
    requirements file has no `-e`, local path, `file:` or local `--find-links` (its `-r`
    and `-c` files are followed and copied too); package.json has no install
    lifecycle script (`preinstall`, `install`, `postinstall`, `prepare`, ...) unless
    `--ignore-scripts`, no `file:`/`link:` dependency and no workspaces; there is no
    `binding.gyp`, `go.work`, `pnpm-workspace.yaml`, `.yarn/` or `vendor/cache`; go.mod
    has no local `replace`; the Gemfile has no `gemspec`, `path:` or file reads;
    composer.json has no `path` repository. Tool config read from the project
    (`.npmrc`, `.yarnrc.yml`, `poetry.toml`, `uv.toml`, `.bundle/config`, ...) is
    copied along when present. When the context is not visible or a manifest is
    missing from it, the fix is unsafe, and the message says which file could not be
    seen. The image then gets the lock file from the context, even if an install such
    as `npm install` rewrote it.

    There is no fix when anything between the two could notice the move: a `RUN`
    whose commands are not all known to leave the project folder alone (package
    managers such as `apt-get`, `apk`, `pip install <names>`, `npm install -g`, and
    `rm`/`mkdir`/`chmod` on other absolute paths are), a `WORKDIR`, `USER`, `VOLUME`
    or `SHELL`, a copy that writes where the code copy does (unless it copies the
    same files with the same ownership), or a copy that uses variables. Nor when the
    install writes a folder that the build context also holds (`node_modules`,
    `.venv`, `vendor`) and `.dockerignore` does not leave it out, when
    `.dockerignore` leaves out a manifest, or when the install writes into a folder
    the code copy fills. `ENV` and `ARG` between are fine: the copy uses no variable.
    A Dockerfile's own ignore file (`app.Dockerfile.dockerignore` beside
    `app.Dockerfile`) is read instead of `.dockerignore` when there is one, as BuildKit
    does. The rule looks back at most 200 instructions from an install, and gives no
    fix when several copies of the code come before installs in one stage.

    ## References
    - Docker docs: "Optimize cache usage in builds", "Leverage build cache"
    - Node.js docs: "Dockerizing a Node.js web app"
    """

    code = "DF202"
    name = "copy-all-before-install"
    message = "Source copied before a dependency install that needs only manifests"
    fix_title = "Copy only the manifests before the install, and the rest after it"
    fixability = Fixability.SOMETIMES

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        view = View.of(facts.context)
        lines = layout(df)
        for stage in facts.stages:
            sv = stage_view(df, stage, view, lines)
            reported: set[int] = set()
            findings: list[Finding] = []
            for k in range(len(sv.steps)):
                found = install_finding(sv, k)
                if found is None or found.copy.span.start in reported:
                    continue
                reported.add(found.copy.span.start)
                findings.append(found)
            fixable = sum(f.edits is not None for f in findings)
            for found in findings:
                if fixable > 1 and found.edits is not None:
                    # Each move changes what the others see: one per pass, and n copies
                    # take ~n*n/2 passes. Several code copies before installs in one
                    # stage is unusual enough to leave to a person.
                    why = (
                        f"{fixable} copies of the code come before installs in this stage; move them by hand"
                    )
                    found = found._replace(edits=None, unsure=None, problem=why)
                yield self._violation(found, stage)

    def _violation(self, found: Finding, stage: Stage) -> Violation:
        base = (
            f"`{short(found.copy.line)}` comes before `{short(found.install.words)}`, "
            "so a change to any copied file re-runs the install"
        )
        span = found.copy.keyword_span
        if found.edits is None:
            return self.violation(span, message=f"{base}; not fixed: {found.problem}")
        if found.unsure is None:
            fix = Fix.safe(*found.edits)
            return self.violation(span, fix, message=base, isolation=f"stage:{stage.index}")
        fix = Fix.unsafe(*found.edits)
        return self.violation(span, fix, message=f"{base}; {found.unsure}", isolation=f"stage:{stage.index}")
