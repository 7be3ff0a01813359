"""The records and enums of the compiled rule modules, defined in this pure module.

mypyc builds a NamedTuple class it compiles with typing's NamedTupleMeta (about 90 us a
class, and an import of typing) and an Enum with enum's EnumType, where dffix.records
builds either in a fraction of that. So the compiled modules (setup.py) define none: their
records live here, or in the pure module of their layer (syntax/tree.py, edits.py,
rules/deps/model.py), and each compiled module imports its own back under the same names.
Compiled code reads a record's fields by index all the same (mypyc knows the record's
type); only the records' few methods run as Python.
"""

from __future__ import annotations

import re

from dffix.records import TYPE_CHECKING, Enum, NamedTuple

if TYPE_CHECKING:
    from dffix.edits import Edit, Fix
    from dffix.facts import Stage
    from dffix.rules.pm import Arg, Manager, RunCalls
    from dffix.syntax.tree import Instruction, Span


# dffix.rules.apt's records (a compiled module defines none: see dffix/rules/records.py).


# Subcommands that install or upgrade packages: they leave the lists in the layer.
_INSTALLS = frozenset({"install", "reinstall", "upgrade", "dist-upgrade", "full-upgrade", "build-dep"})


# Subcommands that read the package lists (and fail or go stale without `update`).
_READS_LISTS = _INSTALLS | frozenset(
    {"source", "download", "changelog", "show", "showsrc", "search", "policy", "list", "satisfy"}
)


class ListUse(Enum):
    """How one RUN uses the apt lists, judged by its first apt action."""

    REFRESHES = "refreshes"  # runs `apt-get update` before reading the lists
    READS = "reads"  # reads the lists it did not refresh itself
    MAY_READ = "may read"  # runs a script dffix cannot see, which may read them


class AptAction(NamedTuple):
    """One apt call: the tool (`apt-get`) and its subcommand (`install`, or '' if none)."""

    tool: str
    sub: str

    @property
    def is_update(self) -> bool:
        """Return whether this call refreshes the package lists."""
        return self.tool != "apt-cache" and self.sub == "update"

    @property
    def reads_lists(self) -> bool:
        """Return whether this call needs the package lists."""
        return self.tool == "apt-cache" or self.sub in _READS_LISTS or self.sub == "safe-upgrade"

    @property
    def installs(self) -> bool:
        """Return whether this call installs packages (what leaves the lists behind)."""
        return self.tool in ("apt-get", "apt") and self.sub in _INSTALLS


class LaterUse(NamedTuple):
    """What a later RUN does with the lists, and the command that does it (for messages)."""

    use: ListUse
    what: str


# dffix.rules.packages's records (a compiled module defines none: see dffix/rules/records.py).


class Run(NamedTuple):
    """A RUN with package-manager calls, in a POSIX shell, and its stage."""

    stage: Stage
    instr: Instruction
    found: RunCalls


class _Item(NamedTuple):
    """An option or package of the list, with its source span and text."""

    arg: Arg
    span: Span
    text: str


class _Found(NamedTuple):
    """A problem found in one RUN, at offsets from the RUN's start (see `_unsorted_lists`)."""

    span: Span
    fix: Fix | None
    message: str


class _Layout(NamedTuple):
    """How a list laid out one word per line writes each line."""

    indent: str
    gap: str  # between the word and the continuation escape
    newline: str
    column: int | None = None  # where the escapes line up, when the author aligned them

    def joint(self, escape: str, word: str) -> str:
        """Return the text from the end of `word` to the start of the next line's word."""
        gap = self.gap
        if self.column is not None:
            gap = " " * max(1, self.column - len(self.indent) - len(word))
        return f"{gap}{escape}{self.newline}{self.indent}"


class _ArgAt(NamedTuple):
    """Where an option (with its value) or a package of a list is in the source: from the
    start of its first word to the end of its last, and the indexes of their lines."""

    start: int
    end: int
    row: int  # the line of `start`
    end_row: int  # the line of the last character


class _Needed(NamedTuple):
    """A package that only recommends another it cannot work without (Debian, Ubuntu)."""

    needed: str  # the recommended package
    brought_by: frozenset[str]  # the names that install it (any one)
    why: str  # what fails without it
    bases: frozenset[str]  # official images whose full tags have it (not -slim, -alpine...)


class MountPlan(NamedTuple):
    """A BuildKit cache mount that replaces a cleanup: the target, and whether it needs
    `sharing=locked` (managers that lock their own cache dir)."""

    target: str
    locked: bool = False

    def flag(self) -> str:
        """Return the RUN flag text, with a leading space."""
        return f" --mount=type=cache,target={self.target}" + (",sharing=locked" if self.locked else "")


class _PipTool(NamedTuple):
    """Which pip a command runs: the directory of its word, and the Python version
    (`3` of `pip3` or `python3 -m pip`, '' for plain `pip`)."""

    folder: str
    version: str

    def covers(self, other: _PipTool) -> bool:
        """Return whether upgrading this pip also upgrades the one `other` runs: pip's
        wheel installs `pip`, `pip3` and `pip3.12` for Python 3.12, beside each other."""
        same = self.folder == other.folder
        return same and (
            not other.version or self.version == other.version or self.version.startswith(other.version + ".")
        )


class _RunPipUpgrades(NamedTuple):
    """Where each call of a RUN is, and where each pip is first upgraded in it: by offset
    in a shell-form line, by call order in exec form and heredocs (no get-pip there)."""

    position: dict[int, int]  # id(call) -> position
    upgrades: dict[_PipTool, int]  # pip -> position of its first upgrade


class _PipUpgradeIndex(NamedTuple):
    """The pips upgraded up to each RUN of a stage that upgrades one, by where it starts."""

    starts: tuple[int, ...]
    values: tuple[frozenset[_PipTool], ...]
    inherited: frozenset[_PipTool]  # upgraded in the stages it is built on
    final: frozenset[_PipTool]


class CleanSpec(NamedTuple):
    """One package manager family with its own cache: its managers and cache dirs."""

    managers: frozenset[Manager]
    cache_dirs: tuple[str, ...]


# dffix.rules.practices's records (a compiled module defines none: see dffix/rules/records.py).


class RunCommand(NamedTuple):
    """A simple command of a RUN, CMD or ENTRYPOINT: its words and where it is.

    `argv` has quotes removed and any `NAME=value` prefix and `sudo`/`env` wrapper
    dropped; its first word is the program's base name (`apt-get`, not `/usr/bin/apt-get`).
    `span` is the command in the source, or the instruction's arguments when the
    command comes from inside a JSON array.
    """

    argv: tuple[str, ...]
    raw_name: str  # the command word before wrappers are dropped (`sudo`)
    span: Span
    depth: int


class _Read(NamedTuple):
    """A simple command as read from a text, before it is placed in the source: `start`
    and `end` are offsets in the text read (an instruction's arguments, or a script
    inside its JSON array)."""

    argv: tuple[str, ...]
    raw_name: str
    start: int
    end: int
    depth: int


# dffix.rules.runtime's records (a compiled module defines none: see dffix/rules/records.py).


class Traits(NamedTuple):
    """What one instruction's text says about how the app must start (see `traits`)."""

    sudo: bool  # a RUN that calls `sudo`
    dropper: str | None  # the privilege-dropping tool a RUN, COPY or ADD names (gosu, su-exec)
    socket: str | None  # the instruction's line, stripped, when it shows the Docker socket
    low_port: str | None  # how an EXPOSE or ENV declares a port below 1024
    root_home: bool  # a runtime instruction that points into /root, or files put there


class Writable(NamedTuple):
    """A folder the app writes to, and what shows it (for messages and tests)."""

    path: str
    why: str
    made_by: Instruction | None  # the RUN whose `mkdir` creates it, when one does


# dffix.rules.user's records (a compiled module defines none: see dffix/rules/records.py).


class Family(Enum):
    """How a base image adds users."""

    DEBIAN = "debian"  # shadow's groupadd/useradd (Debian, Ubuntu)
    RHEL = "rhel"  # shadow's groupadd/useradd (Fedora, CentOS, Rocky, Alma, UBI)
    ALPINE = "alpine"  # BusyBox addgroup/adduser (Alpine, BusyBox)
    DISTROLESS = "distroless"  # no shell; the image has `nonroot` (65532)
    SCRATCH = "scratch"  # nothing at all: only a numeric user works


class PosixShell(NamedTuple):
    """A SHELL that is a POSIX shell run with `-c`; `quiet` when its options change nothing."""

    argv: tuple[str, ...]
    quiet: bool


class _Image(NamedTuple):
    """What DF301 asks of the final stage's base image reference on most checks."""

    windows: bool  # is_windows_image
    nonroot: bool  # its default user is not root (_nonroot_base)
    onbuild: bool  # an `*-onbuild` tag (_ONBUILD_TAG)
    dropping: str | None  # dropping_image


class _Created(NamedTuple):
    """A user created by useradd/adduser: its name and the UID given, if any."""

    name: str
    uid: str | None


class BaseUser(NamedTuple):
    """A non-root user an image ships: what `USER` names and what `chown` gives."""

    user: str
    owner: str


# dffix.rules.images's records (a compiled module defines none: see dffix/rules/records.py).


class ImageRef(NamedTuple):
    """An image reference split for rewriting: `docker.io/library/python` and `3.12`."""

    path: str
    tag: str | None

    @property
    def name(self) -> str:
        """Return the last part of the path, lower-cased (`python`)."""
        return self.path.rsplit("/", 1)[-1].lower()

    def with_tag(self, tag: str, name: str | None = None) -> str:
        """Return the reference with another tag (and last path part, when given)."""
        path = self.path if name is None else self.path[: len(self.path) - len(self.name)] + name
        return f"{path}:{tag}"

    def __str__(self) -> str:
        return self.path if self.tag is None else f"{self.path}:{self.tag}"


# dffix.rules.layers's records (a compiled module defines none: see dffix/rules/records.py).


class _Joint(NamedTuple):
    """Two adjacent RUNs of a stage: the edit that merges them, or why there is none."""

    first: Instruction
    second: Instruction
    edit: Edit | None
    reason: str | None


# dffix.rules.dockerignore's records (a compiled module defines none: see dffix/rules/records.py).


class _Uses(NamedTuple):
    """What the Dockerfile takes from the context or names, which must not be ignored."""

    sources: tuple[str, ...] = ()
    text: str = ""
    installs_node: bool = True
    runs_git: bool = True

    def keeps(self, path: str) -> bool:
        """Return whether `path` (relative, `/`-separated) is copied or named by the Dockerfile."""
        if any(s == path or s.startswith(path + "/") for s in self.sources):
            return True
        name = path.rsplit("/", 1)[-1]
        return re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", self.text) is not None


# dffix.rules.execform's records (a compiled module defines none: see dffix/rules/records.py).


class Branch(NamedTuple):
    """What an official image's ENTRYPOINT script does when its first argument matches."""

    firsts: tuple[str, ...]  # glob patterns for the first argument (`-*`: any option)
    does: str


class Word(NamedTuple):
    """A word of a command: its value after the shell's unquoting, and [start, end) in the command."""

    value: str
    start: int
    end: int


class ScriptRisk(NamedTuple):
    """Why the program may be a script without a `#!` line, and what to run it with."""

    reason: str
    prefix: tuple[str, ...] | None  # () keep the words, (shell,) run it with the shell, None no fix
