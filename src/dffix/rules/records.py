"""The records and enums of the compiled rule modules, defined in this pure module, with
pm's option tables (records too) and the few constants their methods read.

mypyc builds a NamedTuple class it compiles with typing's NamedTupleMeta (about 90 us a
class, and an import of typing) and an Enum with enum's EnumType, where dffix.records
builds either in a fraction of that. So the compiled modules (setup.py) define none: their
records live here, or in the pure module of their layer (syntax/tree.py, edits.py,
rules/deps/model.py); a compiled module imports back the ones it uses or exports.
Compiled code reads a record's fields by index all the same (mypyc knows the record's
type); the records' methods run as Python (Call's and Options' among them). That, and
the modules setup.py now leaves pure, cost 3% of a corpus run with `--jobs 1`. A record's
`__module__` is the module that defines it, here, so it pickles from here (--jobs); the
compiled module still exports it under its old name.
"""

from __future__ import annotations

import re
from functools import lru_cache

from dffix.records import TYPE_CHECKING, Enum, Generic, NamedTuple, TypeVar

if TYPE_CHECKING:
    from dffix.edits import Edit, Fix
    from dffix.facts import Stage
    from dffix.syntax.tree import Command, Instruction, Script, Span, Token


# dffix.rules.apt's records.


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


# dffix.rules.packages's records.


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


# dffix.rules.practices's records.


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


# dffix.rules.runtime's records.


class Traits(NamedTuple):
    """What one instruction's text says about how the app must start (see `traits`)."""

    sudo: bool  # a RUN that calls `sudo`
    dropper: str | None  # the privilege-dropping tool a RUN, COPY or ADD names (gosu, su-exec)
    socket: str | None  # the instruction's line, stripped, when it shows the Docker socket
    low_port: str | None  # how an EXPOSE or ENV declares a port below 1024
    root_home: bool  # a runtime instruction that points into /root, or files put there
    # (The server packages and package managers RUNs name are read apart, only when asked:
    # see `server_package` and `chain_managers`.)


class Writable(NamedTuple):
    """A folder the app writes to, and what shows it (for messages and tests)."""

    path: str
    why: str
    made_by: Instruction | None  # the RUN whose `mkdir` creates it, when one does


# dffix.rules.user's records.


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


# dffix.rules.images's records.


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


# dffix.rules.layers's records.


class _Joint(NamedTuple):
    """Two adjacent RUNs of a stage: the edit that merges them, or why there is none."""

    first: Instruction
    second: Instruction
    edit: Edit | None
    reason: str | None


# dffix.rules.dockerignore's records.


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


# dffix.rules.execform's records.


class Branch(NamedTuple):
    """What an official image's ENTRYPOINT script does when its first argument matches."""

    firsts: tuple[str, ...]  # glob patterns for the first argument (`-*`: any option)
    does: str


class Word(NamedTuple):  # execform's, not syntax.tree.Word (a word of an instruction's value)
    """A word of a command: its value after the shell's unquoting, and [start, end) in the command."""

    value: str
    start: int
    end: int


class ScriptRisk(NamedTuple):
    """Why the program may be a script without a `#!` line, and what to run it with."""

    reason: str
    prefix: tuple[str, ...] | None  # () keep the words, (shell,) run it with the shell, None no fix


# dffix.rules.pm's records, and its option tables, made of them.


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


class RunCalls(NamedTuple):
    """The package-manager calls of one RUN and how they were read.

    `script` is the shell reading of a shell-form RUN line (None for exec form and
    heredoc scripts, whose calls are found but cannot be edited in place).
    """

    calls: tuple[Call, ...]
    script: Script | None


class ArgKind(Enum):
    """What a word after the subcommand is."""

    OPTION = "option"
    PACKAGE = "package"


class Arg(NamedTuple):
    """An option (with its value word, if any) or a package: `argv[first:last + 1]`."""

    kind: ArgKind
    first: int
    last: int


V = TypeVar("V")


class _Index(NamedTuple, Generic[V]):
    """What is in force after each ENV/ARG (or USER) of a stage, by where it starts."""

    starts: tuple[int, ...]
    values: tuple[V, ...]
    inherited: V  # in force at the stage's FROM (from the stage it is built on)
    final: V  # in force at the stage's end


class PipAge(Enum):
    """Whether a base image ships pip 6 or later, the first pip with `--no-cache-dir`."""

    NEW = "new"  # pip 6 or later
    OLD = "old"  # an older pip
    UNKNOWN = "unknown"
