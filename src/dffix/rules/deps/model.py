"""What one command does to the project folder: the install `Tool`s, their reads, other writes.

The records of DF202's compiled modules live here too (planner's, run's, layout's and
context's): a compiled module defines none (dffix/rules/records.py says why).
"""

from __future__ import annotations

import fnmatch
from bisect import bisect_left

from dffix.records import TYPE_CHECKING, Enum, IntEnum, NamedTuple
from dffix.rules.deps.paths import ABS, WORKDIR, Loc

if TYPE_CHECKING:
    from dffix.edits import Edit
    from dffix.facts import Stage
    from dffix.rules.deps.context import View
    from dffix.rules.deps.copies import CopyInfo
    from dffix.rules.deps.layout import Lines
    from dffix.syntax.tree import Dockerfile, Instruction


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


# dffix.rules.deps.planner's records.


class Step(NamedTuple):
    """An instruction that code copies may be moved across, analysed."""

    instr: Instruction
    copy: CopyInfo | None = None
    plan: RunPlan | None = None


class Clash(IntEnum):
    """Whether a code copy and a write meet."""

    NONE = 0
    POSSIBLE = 1  # only if the hidden build context holds the path
    SURE = 2


class StageView(NamedTuple):
    """One stage, its steps (None for barriers) and what every check needs."""

    df: Dockerfile
    stage: Stage
    steps: tuple[Step | None, ...]
    view: View
    lines: Lines


class Finding(NamedTuple):
    """A code copy before an install: moved with others by `edits`, or kept, and why."""

    copy: Instruction
    install: Tool
    edits: tuple[Edit, ...] | None
    unsure: str | None  # why the fix is unsafe
    problem: str | None  # why there is no fix
    others: int = 0  # how many more copies the same edits move
    indexes: tuple[int, ...] = ()  # the copies it is about, by index in the stage


class Candidate(NamedTuple):
    """A code copy before an install, and why it stays where it is (None: it moves)."""

    at: int
    kept: str | None
    unsure: str | None = None


# dffix.rules.deps.run's records.


class RunPlan(NamedTuple):
    """A RUN read as install tools (each with its folder) and the paths its commands write."""

    tools: tuple[Tool, ...]
    writes: tuple[Loc, ...]


# dffix.rules.deps.layout's records.


class Layout(NamedTuple):
    """Where each instruction's block (its comment lines above) starts, and what is where.

    `marks` are the starts of the file's top-level items and `kinds` says what each is:
    `i` an instruction (or directive), `c` a comment line, `b` a blank line.
    """

    starts: dict[int, int]
    marks: tuple[int, ...] = ()
    kinds: str = ""

    def between(self, start: int, end: int) -> str:
        """Return the kinds of the top-level items that start in [start, end)."""
        return self.kinds[bisect_left(self.marks, start) : bisect_left(self.marks, end)]


# dffix.rules.deps.context's records.


class Presence(Enum):
    """What the build context holds at a path."""

    UNKNOWN = "unknown"  # the context is not visible
    ABSENT = "absent"  # missing, or left out by .dockerignore
    FILE = "file"
    DIR = "dir"
