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
from dffix.records import Enum, Generic, NamedTuple, TypeVar
from dffix.rules.apt import (
    SUBCOMMAND_WORD,
    ListUse,
    comments_above,
    list_use,
    logical_lines,
    mount_target,
    unwrap,
)
from dffix.rules.user import base_image, is_official_image
from dffix.syntax.shell import Command, Script, Token, split_commands
from dffix.syntax.tree import Dockerfile, Instruction, Span


class Manager(Enum):
    """A package manager, by the name of its command."""

    APT = "apt-get"
    APK = "apk"
    YUM = "yum"
    DNF = "dnf"
    MICRODNF = "microdnf"
    ZYPPER = "zypper"
    PIP = "pip"
    UV = "uv"
    NPM = "npm"
    YARN = "yarn"

    # Enum's own __hash__ is Python code (hash of the name), paid on every lookup of the
    # per-manager tables (`_SPECS`, `INSTALLS`, the package rules' sets). Members are
    # singletons that compare by identity, so the identity hash agrees with ==.
    __hash__ = object.__hash__


class Options(NamedTuple):
    """What a manager's options look like: which take a value, which do not.

    `values`/`flags` hold long and short spellings (`--virtual`, `-t`); the short letters
    are repeated in `short_values`/`short_flags` for clusters such as `-qy`.
    """

    values: frozenset[str]
    flags: frozenset[str]
    short_values: str
    short_flags: str
    # Every long option of a tool that takes an abbreviation (`--no-cache` for
    # `--no-cache-dir`, as optparse does for pip); empty for tools that do not.
    longs: frozenset[str] = frozenset()
    # Whether long option names are matched case-insensitively (apt: `--No-Install-Recommends`).
    nocase: bool = False

    def long_name(self, name: str) -> str:
        """Return the long option `name` stands for: lower-cased when the tool ignores case,
        the option it abbreviates, else itself (exact, unknown or ambiguous)."""
        if self.nocase and name.startswith("--"):
            name = name.lower()
        if not self.longs or name in self.longs:
            return name
        return _abbreviated(self.longs, name)


@lru_cache(maxsize=1024)
def _abbreviated(longs: frozenset[str], name: str) -> str:
    """Return the one option of `longs` that starts with `name`, else `name` (cached:
    the same words come back on every RUN and every fixer pass)."""
    found = [o for o in longs if o.startswith(name)]
    return found[0] if len(found) == 1 else name


def _options(values: str, flags: str, short_values: str, short_flags: str, longs: str = "") -> Options:
    split = frozenset(values.split()), frozenset(flags.split())
    return Options(*split, short_values, short_flags, frozenset(longs.split()))


# apt matches long options without regard to case, and takes no abbreviations
# (apt 2.6: `--No-Install-Recommends` works, `--no-install-rec` is an error).
_APT_OPTIONS = _options(
    "-o --option -c --config-file -t --target-release --default-release -a --host-architecture"
    " -P --build-profiles --with-source --solver --planner",
    "-y --yes --assume-yes --assume-no -q --quiet -d --download-only -f --fix-broken -m"
    " --ignore-missing --fix-missing --no-download -s --simulate --just-print --dry-run --recon"
    " --no-act -b --compile --build --ignore-hold --no-upgrade --only-upgrade --allow-downgrades"
    " --allow-remove-essential --allow-change-held-packages --force-yes --print-uris --purge"
    " --reinstall --list-cleanup --trivial-only --no-remove --auto-remove --autoremove --only-source"
    " --allow-unauthenticated --allow-insecure-repositories --allow-releaseinfo-change"
    " --show-progress -V --verbose-versions --install-recommends --install-suggests -u"
    " --show-upgraded --fix-policy --with-new-pkgs --mark-auto --arch-only --indep-only",
    "octaP",
    "yqdfmsbuV",
)._replace(nocase=True)
_APK_OPTIONS = _options(
    "-X --repository -t --virtual -p --root --arch --cache-dir --keys-dir --repositories-file"
    " --wait --timeout --cache-max-age --progress-fd",
    "--no-cache -U --update-cache --update -u --upgrade -l --latest --initdb --no-network --no-progress"
    " --progress -q --quiet -v --verbose -i --interactive --no-interactive --allow-untrusted"
    " --force --force-overwrite --force-broken-world --force-non-repository --force-old-apk"
    " --force-refresh --force-missing-repositories --force-no-chroot --no-scripts"
    " --no-commit-hooks --purge --clean-protected --no-chown --usermode -s --simulate"
    " --no-check-certificate",
    "Xtp",
    "Uulqvis",
)
_YUM_OPTIONS = _options(
    "-c --config --installroot --releasever --setopt --enablerepo --disablerepo --repo --repoid"
    " -x --exclude -d --debuglevel -e --errorlevel --rpmverbosity --color --downloaddir --destdir"
    " --forcearch --repofrompath --enableplugin --disableplugin --disableexcludes --advisory"
    " --advisories --bz --bzs --cve --cves --sec-severity --secseverity --comment -R --randomwait",
    "-y --assumeyes --assumeno -q --quiet -v --verbose --nogpgcheck --nodocs --skip-broken --best"
    " --nobest --allowerasing --refresh -C --cacheonly --noplugins --downloadonly --security"
    " --bugfix --enhancement --newpackage --obsoletes --noautoremove --skip-unavailable -b",
    "cxdeR",
    "yqvCb",
)
_ZYPPER_OPTIONS = _options(
    "-R --root -c --config -D --reposd-dir --cache-dir --raw-cache-dir --solv-cache-dir"
    " --pkg-cache-dir --installroot -r --repo --from -t --type -p --plus-repo --plus-content"
    " --download",
    "-n --non-interactive -q --quiet -v --verbose -y --no-confirm --no-recommends --recommends -l"
    " --auto-agree-with-licenses --auto-agree-with-product-licenses -f --force --oldpackage -d"
    " --download-only --download-in-advance --download-as-needed --dry-run --no-gpg-checks"
    " --gpg-auto-import-keys --no-refresh --allow-vendor-change --no-allow-vendor-change"
    " --force-resolution --no-force-resolution --replacefiles --details --allow-unsigned-rpm",
    "RcDrtp",
    "nqvylfd",
)
_PIP_OPTIONS = _options(
    "-r --requirement -c --constraint -e --editable -t --target --platform --python-version"
    " --implementation --abi --root --prefix --src --upgrade-strategy -i --index-url"
    " --extra-index-url -f --find-links --trusted-host --cache-dir --log --log-file --proxy"
    " --retries --timeout --exists-action --cert --client-cert --global-option --install-option"
    " -C --config-settings --progress-bar --no-binary --only-binary --report --python"
    " --keyring-provider --use-feature --use-deprecated --root-user-action -b --build",
    "-U --upgrade --force-reinstall -I --ignore-installed --ignore-requires-python --no-deps --pre"
    " --user --no-build-isolation --use-pep517 --no-use-pep517 --check-build-dependencies"
    " --break-system-packages --compile --no-compile --no-warn-script-location"
    " --no-warn-conflicts --prefer-binary --require-hashes --no-clean --no-index --no-cache-dir"
    " --disable-pip-version-check -q --quiet -v --verbose --isolated --no-input --no-color"
    " --dry-run --require-virtualenv",
    "rcetifCb",
    "UIqv",
    # pip install's long options, general ones included (pip 23.2 and 26.3, both printed by
    # `pip install --help`): optparse takes any prefix that matches just one of them, so
    # `--no-cache` and `--no-ca` are `--no-cache-dir`, while `--no-c` is an error.
    "--abi --all-releases --break-system-packages --build-constraint --cache-dir --cert"
    " --check-build-dependencies --client-cert --compile --config-settings --constraint --debug"
    " --default-timeout --disable-pip-version-check --dry-run --editable --exists-action"
    " --extra-index-url --find-links --force-reinstall --global-option --group --help"
    " --ignore-installed --ignore-requires-python --implementation --index-url --isolated"
    " --keyring-provider --local-log --log --log-file --no-binary --no-build-isolation"
    " --no-cache-dir --no-clean --no-color --no-compile --no-dependencies --no-deps --no-index"
    " --no-input --no-proxy-env --no-python-version-warning --no-require-hashes --no-use-pep517"
    " --no-user --no-warn-conflicts --no-warn-script-location --only-binary --only-dependencies"
    " --only-deps --only-final --platform --pre --prefer-binary --prefix --progress-bar --proxy"
    " --pypi-url --python --python-version --quiet --refresh-package --report --require-hashes"
    " --require-venv --require-virtualenv --requirement --requirements-from-script"
    " --resume-retries --retries --root --root-user-action --source --source-dir"
    " --source-directory --src --target --timeout --trusted-host --upgrade --upgrade-strategy"
    " --uploaded-prior-to --use-deprecated --use-feature --use-pep517 --user --verbose --version",
)
_UV_OPTIONS = _options(
    "-r --requirement -c --constraint -e --editable --override -i --index-url --extra-index-url"
    " --index -f --find-links -p --python --target --prefix -P --upgrade-package"
    " --reinstall-package --no-binary --only-binary --index-strategy --keyring-provider"
    " --resolution --prerelease --exclude-newer --cache-dir -C --config-settings"
    " --python-platform --python-version --link-mode",
    "--system --break-system-packages -U --upgrade --reinstall --no-deps --no-cache -n"
    " --no-build-isolation --compile-bytecode --strict --dry-run -q --quiet -v --verbose"
    " --no-index --offline --native-tls --require-hashes --no-build",
    "rceifpPC",
    "Uqvn",
)
_NODE_OPTIONS = _options(
    "--prefix --cache --registry --userconfig --loglevel -w --workspace --cwd --modules-folder"
    " --cache-folder --network-timeout --mutex",
    "",
    "w",
    "",
)
_SPECS = {
    Manager.APT: _APT_OPTIONS,
    Manager.APK: _APK_OPTIONS,
    Manager.YUM: _YUM_OPTIONS,
    Manager.DNF: _YUM_OPTIONS,
    Manager.MICRODNF: _YUM_OPTIONS,
    Manager.ZYPPER: _ZYPPER_OPTIONS,
    Manager.PIP: _PIP_OPTIONS,
    Manager.UV: _UV_OPTIONS,
    Manager.NPM: _NODE_OPTIONS,
    Manager.YARN: _NODE_OPTIONS,
}
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
# Subcommands that install packages (and so fill the manager's cache).
INSTALLS = {
    Manager.APT: frozenset({"install"}),
    Manager.APK: frozenset({"add"}),
    Manager.YUM: frozenset({"install", "groupinstall", "localinstall", "reinstall", "update", "upgrade"}),
    Manager.DNF: frozenset({"install", "groupinstall", "localinstall", "reinstall", "update", "upgrade"}),
    Manager.MICRODNF: frozenset({"install", "reinstall", "update", "upgrade"}),
    Manager.ZYPPER: frozenset({"install", "in", "update", "up", "dist-upgrade", "dup", "patch"}),
    Manager.PIP: frozenset({"install"}),
    Manager.UV: frozenset({"install"}),
    Manager.NPM: frozenset({"install", "i", "in", "ins", "isntall", "add", "ci", "install-clean", "ic"}),
    Manager.YARN: frozenset({"", "install", "add"}),
}
_YARN_PRINTS = frozenset({"-v", "--version", "-h", "--help"})
# A package word we may move: a literal name, maybe with a version, arch or release.
_PLAIN_PACKAGE = lazy_re(r"[A-Za-z0-9][A-Za-z0-9._+:=~@/,-]*")
_NAME_END = lazy_re(r"[=<>~!:@/\[,]")


class Call(NamedTuple):
    """One package-manager command: its words, which word is the tool, which the subcommand.

    `tool` is the index in `argv` of the manager's own word (`pip` in `python -m pip`,
    after `start` wrapper words);
    `sub` that of the subcommand (-1 when there is none, as in a bare `yarn`).
    `command` is the shell command when its tokens have offsets in the RUN's line, so
    edits can be made; None for exec form and heredoc bodies.
    """

    manager: Manager
    argv: tuple[str, ...]
    start: int  # where the command starts after its wrappers (`sudo`, `env X=1`)
    tool: int
    sub: int
    command: Command | None

    @property
    def subcommand(self) -> str:
        """Return the subcommand word (`install`), or '' when there is none."""
        return self.argv[self.sub] if self.sub >= 0 else ""

    @property
    def installs(self) -> bool:
        """Return whether this call installs packages (and fills the cache)."""
        if self.manager is Manager.YARN and self.sub < 0:
            # A bare `yarn` installs, but `yarn --version` or `yarn -h` only prints.
            return not any(w in _YARN_PRINTS for w in self.argv[self.tool + 1 :])
        return self.subcommand in INSTALLS[self.manager]

    @property
    def wrappers(self) -> tuple[str, ...]:
        """Return the words before the command (`sudo`, `-E`, `DEBIAN_FRONTEND=x`)."""
        return self.argv[: self.start]

    @property
    def label(self) -> str:
        """Return how the call reads in a message: `apt-get install`, `pip3 install`."""
        name = self.argv[self.tool].rsplit("/", 1)[-1]
        if self.manager is Manager.UV:
            name = "uv pip"
        return f"{name} {self.subcommand}".strip()

    def option_words(self) -> tuple[str, ...]:
        """Return every word after the tool that looks like an option."""
        return tuple(w for w in self.argv[self.tool + 1 :] if w.startswith("-"))

    def has_option(self, *names: str) -> bool:
        """Return whether an option is given (`--no-cache`, or `--no-cache=...`), also by an
        abbreviation the tool accepts (pip's `--no-cache` for `--no-cache-dir`)."""
        spec = _SPECS[self.manager]
        return any(spec.long_name(w.split("=", 1)[0]) in names for w in self.option_words())

    def short_flags(self, word: str) -> str:
        """Return the flag letters of a short-option cluster (`-qy` -> `qy`), stopping at
        the first letter that takes a value: in `-tyakkety` (apt's `-t yakkety`) only `t`
        is an option. Empty for a word that is not a cluster."""
        cluster = word[1:]
        if not word.startswith("-") or not (cluster.isascii() and cluster.isalpha()):
            return ""  # also `--long` options: `-` is not a letter
        takes_value = _SPECS[self.manager].short_values
        letters = ""
        for letter in cluster:
            letters += letter
            if letter in takes_value:
                break
        return letters

    def sub_token(self) -> Token | None:
        """Return the token of the subcommand word, when the call can be edited."""
        if self.command is None or self.sub < 0:
            return None
        return self.command.words[self.sub]


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


class RunCalls(NamedTuple):
    """The package-manager calls of one RUN and how they were read.

    `script` is the shell reading of a shell-form RUN line (None for exec form and
    heredoc scripts, whose calls are found but cannot be edited in place).
    """

    calls: tuple[Call, ...]
    script: Script | None


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


class ArgKind(Enum):
    """What a word after the subcommand is."""

    OPTION = "option"
    PACKAGE = "package"


class Arg(NamedTuple):
    """An option (with its value word, if any) or a package: `argv[first:last + 1]`."""

    kind: ArgKind
    first: int
    last: int


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


V = TypeVar("V")


def env_names(facts: Facts, stage: Stage, before: Instruction) -> frozenset[str]:
    """Return the names set by ENV and ARG in the stage (and the stages it is built on)
    before `before`."""
    index = facts.stage_index("env", _env_index, stage)
    i = bisect.bisect_left(index.starts, before.span.start) - 1
    return index.values[i] if i >= 0 else index.inherited


class _Index(NamedTuple, Generic[V]):
    """What is in force after each ENV/ARG (or USER) of a stage, by where it starts."""

    starts: tuple[int, ...]
    values: tuple[V, ...]
    inherited: V  # in force at the stage's FROM (from the stage it is built on)
    final: V  # in force at the stage's end


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


class PipAge(Enum):
    """Whether a base image ships pip 6 or later, the first pip with `--no-cache-dir`."""

    NEW = "new"  # pip 6 or later
    OLD = "old"  # an older pip
    UNKNOWN = "unknown"


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
