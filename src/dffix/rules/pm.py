"""Package managers in RUN commands: which tool a command runs, its subcommand, its options
and package words, where its cache lives, and whether the RUN keeps that cache.

Shared by the DF1xx package rules. Reading is cautious: an option we do not know makes
the words after it unknowable (it may take a value), and callers then do nothing.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

from dffix.edits import Edit
from dffix.facts import Facts, Stage
from dffix.lazy import lazy_re
from dffix.memo import file_cache
from dffix.rules.apt import (
    SUBCOMMAND_WORD,
    ListUse,
    comments_above,
    list_use,
    logical_lines,
    mount_target,
    unwrap,
)
from dffix.rules.records import (
    _SPECS,
    Arg as Arg,
    ArgKind as ArgKind,
    Call as Call,
    Manager as Manager,
    Options,
    PipAge as PipAge,
    RunCalls as RunCalls,
    _Index as _Index,
)
from dffix.rules.user import base_image, is_official_image
from dffix.syntax.shell import Command, Script, Token, split_commands
from dffix.syntax.tree import Dockerfile, Instruction, Span

_BY_NAME = {
    "apt-get": Manager.APT,
    "apt": Manager.APT,
    "apk": Manager.APK,
    "yum": Manager.YUM,
    "dnf": Manager.DNF,
    "dnf5": Manager.DNF,
    "microdnf": Manager.MICRODNF,
    "zypper": Manager.ZYPPER,
    "npm": Manager.NPM,
    "yarn": Manager.YARN,
}
_PIP_RE = lazy_re(r"pip[0-9.]*")
_PYTHON_RE = lazy_re(r"python[0-9.]*")
# A package word we may move: a literal name, maybe with a version, arch or release.
_PLAIN_PACKAGE = lazy_re(r"[A-Za-z0-9][A-Za-z0-9._+:=~@/,-]*")
_NAME_END = lazy_re(r"[=<>~!:@/\[,]")


def basename(word: str) -> str:
    """Return the last path component of a command word (`/usr/bin/pip3` -> `pip3`)."""
    return word.rsplit("/", 1)[-1]


def call_of(argv: tuple[str, ...], command: Command | None = None) -> Call | None:
    """Return the package-manager call a command makes (through sudo/env wrappers), or None."""
    wrappers, rest = unwrap(argv)
    i = len(wrappers)
    if not rest:
        return None
    name = basename(rest[0])
    manager = _BY_NAME.get(name)
    tool = i
    if manager is None:
        if _PIP_RE.fullmatch(name):
            manager = Manager.PIP
        elif _PYTHON_RE.fullmatch(name) and rest[1:3] == ("-m", "pip"):
            manager, tool = Manager.PIP, i + 2
        elif name == "uv" and rest[1:2] == ("pip",):
            manager, tool = Manager.UV, i + 1
        else:
            return None
    sub = _subcommand_index(argv, tool + 1, _SPECS[manager], any_word=manager is Manager.YARN)
    if manager is Manager.YARN and sub >= 0 and argv[sub] == "global":
        sub = sub + 1 if argv[sub + 1 : sub + 2] == ("add",) else sub
    return Call(manager, argv, i, tool, sub, command)


def _subcommand_index(argv: tuple[str, ...], start: int, spec: Options, *, any_word: bool = False) -> int:
    """Return the index of the first word that is not an option or an option's value.

    -1 when there is none, or when it does not look like a subcommand, unless `any_word`:
    for yarn any first word is the command (a script name such as `build:prod` runs that
    script), and only a bare `yarn` installs.
    """
    skip = False
    for i in range(start, len(argv)):
        word = argv[i]
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = _takes_value(word, spec) is True
        else:
            return i if any_word or SUBCOMMAND_WORD.fullmatch(word) else -1
    return -1


def _takes_value(word: str, spec: Options) -> bool | None:
    """Return whether an option word takes the next word as its value; None when unknown."""
    if word.startswith("--"):
        name, eq, _ = word.partition("=")
        name = spec.long_name(name)
        if name in spec.values:
            return not eq
        if name in spec.flags or (name.startswith("--no-") and f"--{name[5:]}" in spec.flags):
            return False
        return None
    letters = word[1:]
    if not letters or "=" in letters[1:2]:
        return False if letters[:1] in tuple(spec.short_flags) else None
    for k, letter in enumerate(letters):
        if letter in spec.short_values:
            return k == len(letters) - 1  # `-tvalue` carries its value
        if letter not in spec.short_flags:
            return None
    return False


# -- reading the calls of a RUN -------------------------------------------------


@file_cache(4096)
def calls_in_line(args: str) -> tuple[Call, ...] | None:
    """Return the package-manager calls of a shell-form RUN line; None when it is unreadable.

    Cached: every package rule reads the same RUN lines on every fixer pass.
    """
    if not has_manager_word(args):
        return ()
    script = split_commands(args)
    if script is None:
        return None
    found = (call_of(cmd.argv, cmd) for cmd in script.commands)
    return tuple(c for c in found if c is not None)


def has_manager_word(text: str) -> bool:
    """Return whether a text may name a package manager at all (a cheap first look)."""
    return _ANY_TOOL.search(text) is not None


_ANY_TOOL = lazy_re(r"apt|apk|yum|dnf|zypper|pip|uv|npm|yarn")
_HEREDOC_ONLY_RE = lazy_re(r"^<<-?(?:'[^']+'|\"[^\"]+\"|[^\s'\"<]+)$")
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh"})


def run_calls(instr: Instruction) -> RunCalls | None:
    """Return the package-manager calls of a RUN, or None when there are none or it is unreadable."""
    if instr.kind != "RUN":
        return None
    if instr.heredocs:
        return _heredoc_calls(instr)
    if instr.is_json:
        values = instr.values
        if values and basename(values[0]) in _SHELLS:
            return None  # `["sh", "-c", "..."]`: a script in a string, not read here
        call = call_of(values)
        return RunCalls((call,), None) if call is not None else None
    calls = calls_in_line(instr.args)
    if not calls:
        return None
    return RunCalls(calls, split_commands(instr.args))


def _heredoc_calls(instr: Instruction) -> RunCalls | None:
    """Return the calls of a `RUN <<EOF` shell script (read line by line), or None."""
    if len(instr.heredocs) != 1 or not _HEREDOC_ONLY_RE.match(instr.args.strip()):
        return None
    if not has_manager_word(instr.heredocs[0].content):
        return None
    found: list[Call] = []
    for line in logical_lines(instr.heredocs[0].content):
        script = split_commands(line) if line.strip() else None
        for cmd in script.commands if script is not None else ():
            call = call_of(cmd.argv)
            if call is not None:
                found.append(call)
    return RunCalls(tuple(found), None) if found else None


def commands_after(script: Script, call: Call) -> Iterator[Command]:
    """Yield the commands of a script that come after `call`'s command."""
    seen = False
    at = call.command.start if call.command is not None else None
    for cmd in script.commands:
        if seen:
            yield cmd
        # By position, never by identity: the call and the script may come from caches
        # that let go of their entries at different times.
        seen = seen or cmd.start == at


# -- words and offsets -------------------------------------------------------------


def token_span(instr: Instruction, token: Token) -> Span:
    """Return the source span of a token of the RUN line."""
    return instr.offsets.span(instr.args_start + token.start, instr.args_start + token.end)


def insert_after(instr: Instruction, token: Token, text: str) -> Edit:
    """Return the edit inserting `text` right after a token of the RUN line."""
    return Edit.insert(instr.offsets.end_to_source(instr.args_start + token.end), text)


# -- package words -------------------------------------------------------------------


def sub_args(call: Call) -> tuple[Arg, ...] | None:
    """Return the options and packages after the subcommand; None when a word is unknowable.

    An unknown option may take a value, so none of the words after it can be told
    apart; `--` and a lone `-` are not read either.
    """
    if call.sub < 0:
        return None
    spec = _SPECS[call.manager]
    found: list[Arg] = []
    argv = call.argv
    i = call.sub + 1
    while i < len(argv):
        word = argv[i]
        if word in ("--", "-"):
            return None
        if not word.startswith("-"):
            found.append(Arg(ArgKind.PACKAGE, i, i))
            i += 1
            continue
        value = _takes_value(word, spec)
        if value is None or (value and i + 1 >= len(argv)):
            return None
        last = i + 1 if value else i
        found.append(Arg(ArgKind.OPTION, i, last))
        i = last + 1
    return tuple(found)


def is_plain_package(text: str) -> bool:
    """Return whether a raw word is a literal package name (no quotes, `$`, globs, `\\`)."""
    return _PLAIN_PACKAGE.fullmatch(text) is not None


def package_name(text: str) -> str:
    """Return the name part of a package word (`curl` of `curl=7.88.1-10`), lower-cased."""
    return _NAME_END.split(text, maxsplit=1)[0].lower()


def sort_key(text: str) -> tuple[str, str, str]:
    """Return the key packages sort by: name case-insensitively, then the whole word."""
    return (package_name(text), text.lower(), text)


# -- caches, mounts and cleanups ---------------------------------------------------


def _norm(path: str) -> str:
    """Return a path with `~`/`$HOME` as `/root`, no trailing `/` or `/*`."""
    for home in ("${HOME}", "$HOME", "~"):
        if path == home or path.startswith(home + "/"):
            path = "/root" + path[len(home) :]
            break
    while path.endswith(("/*", "/")) and len(path) > 1:
        path = path[:-2] if path.endswith("/*") else path[:-1]
    return path


def covers(outer: str, inner: str) -> bool:
    """Return whether path `outer` is `inner` or one of its parents."""
    outer, inner = _norm(outer), _norm(inner)
    return outer == "/" or inner == outer or inner.startswith(outer + "/")


def mounted_dirs(instr: Instruction) -> tuple[str, ...]:
    """Return the targets of the RUN's `--mount` flags (of any type)."""
    found = (mount_target(f.value or "") for f in instr.flags_named("mount"))
    return tuple(t for t in found if t is not None)


def is_mounted(instr: Instruction, cache_dirs: Iterable[str]) -> bool:
    """Return whether a `--mount` of the RUN covers one of the cache dirs, so it never
    reaches the layer."""
    targets = mounted_dirs(instr)
    return any(covers(t, d) for t in targets for d in cache_dirs)


def removes(cmd: Command, cache_dirs: Iterable[str]) -> bool:
    """Return whether a command is an `rm` of one of the cache dirs (or a parent of one)."""
    _, argv = unwrap(cmd.argv)
    if not argv or basename(argv[0]) != "rm":
        return False
    paths = [a for a in argv[1:] if not a.startswith("-")]
    return any(covers(p, d) for p in paths for d in cache_dirs)


def env_names(facts: Facts, stage: Stage, before: Instruction) -> frozenset[str]:
    """Return the names set by ENV and ARG in the stage (and the stages it is built on)
    before `before`."""
    index = facts.stage_index("env", _env_index, stage)
    i = bisect.bisect_left(index.starts, before.span.start) - 1
    return index.values[i] if i >= 0 else index.inherited


def _env_index(stage: Stage, parent: _Index[frozenset[str]] | None) -> _Index[frozenset[str]]:
    inherited: frozenset[str] = parent.final if parent is not None else frozenset()
    starts, values, current = [], [], inherited
    for instr in stage.instructions:
        if instr.kind == "ENV":
            names = _env_keys(instr)
        elif instr.kind == "ARG":
            names = [v.split("=", 1)[0] for v in instr.values]
        else:
            continue
        if not current.issuperset(names):  # most ENVs set names again: share the set
            current = current | frozenset(names)
        starts.append(instr.span.start)
        values.append(current)
    return _Index(tuple(starts), tuple(values), inherited, current)


def _env_keys(instr: Instruction) -> list[str]:
    values = instr.values
    if len(values) == 2 and "=" not in instr.args.split(None, 1)[0]:
        return [values[0]]  # legacy `ENV KEY value`
    return list(values[0::2])


def run_user(facts: Facts, stage: Stage, before: Instruction) -> str | None:
    """Return the `USER` in force before an instruction (following `FROM <stage>`), or None
    when no `USER` sets it (the base image decides, usually root)."""
    index = facts.stage_index("user", _user_index, stage)
    i = bisect.bisect_left(index.starts, before.span.start) - 1
    return index.values[i] if i >= 0 else index.inherited


def _user_index(stage: Stage, parent: _Index[str | None] | None) -> _Index[str | None]:
    inherited: str | None = parent.final if parent is not None else None
    users = [i for i in stage.instructions if i.kind == "USER" and i.values]
    values = tuple(i.values[0] for i in users)
    return _Index(tuple(i.span.start for i in users), values, inherited, values[-1] if values else inherited)


def is_root_user(user: str | None) -> bool:
    """Return whether a `USER` value (None: not set) means root."""
    return user is None or user.split(":", 1)[0] in ("root", "0")


def requires_buildkit(df: Dockerfile) -> bool:
    """Return whether the file already needs BuildKit: a `# syntax=` directive, a heredoc,
    or a flag only BuildKit knows (`RUN --mount`, `--network`, `--security`, `COPY --link`...)."""
    if any(d.name == "syntax" for d in df.directives):
        return True
    buildkit_flags = {"mount", "network", "security", "link", "chmod", "parents", "exclude", "checksum"}
    return any(
        instr.heredocs or any(f.name in buildkit_flags for f in instr.flags) for instr in df.all_instructions
    )


# Debian and Ubuntu releases by the codename a tag names (`buildpack-deps:trusty`,
# `node:20-bookworm`), and the pip their python-pip/python3-pip package has.
_PIP_NEW_RELEASES = frozenset(
    # Debian 9 and later: pip 9.0.1 and later.
    {"stretch", "buster", "bullseye", "bookworm", "trixie", "forky", "sid"}
    # Ubuntu 16.04 and later: pip 8.1.1 and later.
    | {"xenial", "yakkety", "zesty", "artful", "bionic", "cosmic", "disco", "eoan", "focal"}
    | {"groovy", "hirsute", "impish", "jammy", "kinetic", "lunar", "mantic", "noble"}
    | {"oracular", "plucky", "questing"}
)
# Debian 8 and Ubuntu 14.10 and older: pip 1.5.6 and older.
_PIP_OLD_RELEASES = frozenset(
    {"etch", "lenny", "squeeze", "wheezy", "jessie"}
    | {"lucid", "maverick", "natty", "oneiric", "precise", "quantal", "raring", "saucy", "trusty", "utopic"}
)
_RELEASE_WORD = lazy_re(r"(?<![a-z])([a-z]+)(?![a-z])")
# A release by number, in a tag or an image name (`ubuntu:14.04`, `cuda:12.2-devel-ubuntu22.04`,
# `centos:centos6`, `python3.6-alpine3.7`): the first release with pip 6+, the last without.
_RELEASE_NUMBER = lazy_re(r"(ubuntu|debian|alpine|centos|fedora)[-_:]?(\d+)(?:\.(\d+))?")
_PIP_RELEASES: dict[str, tuple[tuple[int, int], tuple[int, int] | None, bool]] = {
    # distro: (first with pip 6+, last known without, whether the minor number is needed)
    "ubuntu": ((16, 4), (14, 10), True),
    "debian": ((9, 0), (8, 99), False),
    "alpine": ((3, 5), None, True),
    "centos": ((7, 0), None, False),
    "fedora": ((24, 0), None, False),
}
_DISTRO_IMAGES = frozenset(_PIP_RELEASES)
# Tags of the distro images that follow the current release (`debian:stable-slim`, `alpine:edge`).
_CURRENT_TAG = lazy_re(
    r"(?:latest|stable|oldstable|testing|unstable|sid|rolling|devel|edge|rawhide)(?:[-_.].*)?"
)
# Official python images built before pip 6 (December 2014) and never rebuilt.
_OLD_PYTHON_TAG = lazy_re(r"(?:2\.[0-6]|3\.[0-2])(?:[.-]|$)|(?:2\.7\.[0-8]|3\.3\.[0-5]|3\.4\.[0-2])(?:-|$)")


@lru_cache(maxsize=256)
def pip_age(ref: str) -> PipAge:
    """Return whether the image `ref` (a FROM value without variables) ships pip 6 or later.

    The official `python` images install a current pip themselves; for the others the
    distro release is read from the tag (a codename or `<distro><version>`) or the name.
    """
    ref = ref.lower()
    path = ref.split("@", 1)[0]
    last = path.rsplit("/", 1)[-1]
    name, _, tag = last.partition(":")
    official = is_official_image(path[: len(path) - len(last)] + name)
    if official and name == "python":
        return PipAge.UNKNOWN if _OLD_PYTHON_TAG.match(tag) else PipAge.NEW
    found = {_release_age(m) for m in _RELEASE_NUMBER.finditer(last)}
    for m in _RELEASE_WORD.finditer(tag):
        if m[1] in _PIP_NEW_RELEASES:
            found.add(PipAge.NEW)
        elif m[1] in _PIP_OLD_RELEASES:
            found.add(PipAge.OLD)
    for age in (PipAge.OLD, PipAge.UNKNOWN, PipAge.NEW):
        if age in found:
            return age
    if official and name in _DISTRO_IMAGES and (not tag or _CURRENT_TAG.fullmatch(tag)):
        return PipAge.NEW
    return PipAge.UNKNOWN


def _release_age(match: re.Match[str]) -> PipAge:
    first_new, last_old, needs_minor = _PIP_RELEASES[match[1]]
    if needs_minor and match[3] is None:
        return PipAge.UNKNOWN
    version = (int(match[2]), int(match[3] or 0))
    if version >= first_new:
        return PipAge.NEW
    return PipAge.OLD if last_old is not None and version <= last_old else PipAge.UNKNOWN


# Alpine releases whose apk predates `--no-cache` (apk-tools 2.6, Alpine 3.3).
OLD_APK_BASE = lazy_re(r"(?:^|/)alpine:(?:2\.|3\.[0-2](?:\.|$))")


def old_base(facts: Facts, stage: Stage, pattern: re.Pattern[str]) -> bool:
    """Return whether the stage is built on an image the pattern names (old releases)."""
    return pattern.search(base_image(facts, stage).lower()) is not None


# -- apt's cache mounts (the `cache-style = "mount"` of DF102) -------------------------

APT_MOUNTS = (
    " --mount=type=cache,target=/var/cache/apt,sharing=locked"
    " --mount=type=cache,target=/var/lib/apt,sharing=locked"
)
# Docker's recipe: Debian and Ubuntu images delete downloaded packages after each
# install (docker-clean), which would leave the /var/cache/apt mount empty.
KEEP_CACHE = (
    "rm -f /etc/apt/apt.conf.d/docker-clean; "
    "echo 'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' > /etc/apt/apt.conf.d/keep-cache"
)


def apt_mount_edit(facts: Facts, stage: Stage, instr: Instruction) -> Edit | str:
    """Return the edit adding apt's cache mounts right after the RUN keyword, or why not."""
    if list_use(instr, precise=True) is not ListUse.REFRESHES:
        return "the `RUN` does not run `apt-get update` first, and the mount would hide the lists"
    if not is_root_user(run_user(facts, stage, instr)):
        return "a non-root `USER` cannot turn off docker-clean"
    return Edit.insert(instr.keyword_span.end, APT_MOUNTS)


def _removes_docker_clean(df: Dockerfile, instr: Instruction) -> bool:
    return instr.kind == "RUN" and "docker-clean" in df.text[instr.span.start : instr.span.end]


def keep_cache_edit(df: Dockerfile, facts: Facts, stage: Stage, anchor: Instruction) -> Edit | None:
    """Return the edit adding Docker's keep-cache `RUN` above `anchor` (and its comments);
    None when the stage, or one it is built on, already removes docker-clean."""

    def removes(s: Stage, parent: bool | None) -> bool:  # s or a stage it is built on
        return bool(parent) or any(_removes_docker_clean(df, other) for other in s.instructions)

    if stage.parent is not None and facts.stage_index("docker-clean", removes, facts.stages[stage.parent]):
        return None
    for other in stage.instructions:
        if other.span.start >= anchor.span.start:
            break
        if _removes_docker_clean(df, other):
            return None
    indent = df.indent(anchor)
    return Edit.insert(comments_above(df, anchor), f"{indent}{anchor.keyword} {KEEP_CACHE}{df.newline}")
