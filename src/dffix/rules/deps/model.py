"""What one command does to the project folder: the install `Tool`s, their reads, other writes."""

from __future__ import annotations

import enum  # noqa: F401 (mypyc builds this module's Enums on enum.Enum and needs it imported)
import fnmatch

from dffix.records import IntEnum, NamedTuple
from dffix.rules.deps.paths import ABS, WORKDIR, Loc


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


# Files that only describe dependencies, for some package manager. A copy that brings only
# these is already the narrow copy DF202 asks for, whichever install comes after it.
MANIFEST_NAMES = frozenset(
    {
        *("package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", ".yarnrc"),
        *(".yarnrc.yml", ".npmrc", "pnpm-lock.yaml", "Pipfile", "Pipfile.lock", "pyproject.toml"),
        *("poetry.lock", "poetry.toml", "uv.lock", "uv.toml", "pdm.lock", "pdm.toml", "go.mod"),
        *("go.sum", "Gemfile", "Gemfile.lock", "composer.json", "composer.lock", "requirements.txt"),
        *("constraints.txt", ".python-version"),
    }
)
MANIFEST_PATTERNS = ("requirements*.txt", "*requirements.txt", "requirements*.in", "package*.json")


def is_manifest_name(name: str) -> bool:
    """Return whether a file name (or a wildcard) names only dependency manifests."""
    return (
        name in MANIFEST_NAMES
        or name in MANIFEST_PATTERNS
        or any(not any(c in name for c in "*?[") and fnmatch.fnmatchcase(name, p) for p in MANIFEST_PATTERNS)
    )


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

SYSTEM_WRITES = Writes(SYSTEM)


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


def abs_paths(paths: tuple[str, ...]) -> Writes | None:
    """Return the writes of absolute paths; None when one is relative (it is in the project)."""
    if not all(p.startswith("/") or p.startswith("~/") for p in paths):
        return None
    return Writes(tuple(p for p in paths if p.startswith("/")) + SYSTEM)
