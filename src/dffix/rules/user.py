"""DF3xx: the user the container runs as."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from enum import Enum
from typing import ClassVar, NamedTuple

from dffix.edits import Edit, Fix
from dffix.facts import Facts, Stage, json_array
from dffix.lazy import lazy_re
from dffix.rules.apt import comments_above, last_code_line
from dffix.rules.base import Fixability, Rule, Violation
from dffix.syntax.shell import Command, split_commands
from dffix.syntax.tree import Dockerfile, Instruction


class Family(Enum):
    """How a base image adds users."""

    DEBIAN = "debian"  # shadow's groupadd/useradd (Debian, Ubuntu)
    RHEL = "rhel"  # shadow's groupadd/useradd (Fedora, CentOS, Rocky, Alma, UBI)
    ALPINE = "alpine"  # BusyBox addgroup/adduser (Alpine, BusyBox)
    DISTROLESS = "distroless"  # no shell; the image has `nonroot` (65532)
    SCRATCH = "scratch"  # nothing at all: only a numeric user works


# Official images that are Debian or Ubuntu unless the tag says otherwise.
_DEBIAN_IMAGES = frozenset(
    {
        *("adoptopenjdk", "buildpack-deps", "debian", "eclipse-temurin", "elixir", "erlang", "gcc"),
        *("golang", "haskell", "httpd", "java", "nginx", "node", "openjdk", "perl", "php", "python"),
        *("ruby", "rust", "tomcat", "ubuntu"),
    }
)
_RHEL_IMAGES = frozenset({"almalinux", "centos", "fedora", "oraclelinux", "rockylinux"})
_ALPINE_IMAGES = frozenset({"alpine", "busybox"})
# Tag words naming another OS, or a cut-down image without useradd.
_OTHER_OS_TAG = lazy_re(
    r"alpine|amazon|corretto|oracle|ubi|centos|fedora|rocky|alma|windows|servercore|nanoserver|ltsc"
    r"|minimal|micro|distroless|chiseled"
)
_DEBIAN_TAG = lazy_re(r"slim|jessie|stretch|buster|bullseye|bookworm|trixie|bionic|focal|jammy|noble")
# Namespaces of Docker Hub's official images (`library/`) and their per-architecture copies.
_OFFICIAL = lazy_re(
    r"^(?:(?:docker\.io/|index\.docker\.io/)?library/|docker\.io/"
    r"|(?:amd64|arm32v5|arm32v6|arm32v7|arm64v8|i386|ppc64le|s390x)/)?[^/]+$"
)
_UBI = lazy_re(r"^(?:registry\.access\.redhat\.com/|registry\.redhat\.io/|redhat/)ubi\d*(?:/ubi)?$")
_WINDOWS = lazy_re(
    r"windows|servercore|nanoserver|dotnet/framework|dotnet-framework|microsoft/(?:iis|aspnet)"
)
# Bases whose default user is not root.
_NONROOT_BASE = lazy_re(r"nonroot|rootless|unprivileged|chiseled|^cgr\.dev/|^(?:docker\.io/)?bitnami/")
_PACKAGE_MANAGERS = {
    "apt-get": Family.DEBIAN,
    "apt": Family.DEBIAN,
    "apk": Family.ALPINE,
    "yum": Family.RHEL,
    "dnf": Family.RHEL,
}
_PACKAGE_RE = lazy_re(r"(?:^|[\s;&|(])(apt-get|apt|apk|yum|dnf)\s+\S")
_USER_TOOLS = lazy_re(r"\b(?:useradd|adduser)\b")
# Tools an entrypoint uses to start as root (to fix volume ownership, say) and then drop
# to a user itself, as the official database images do.
_DROPS_ROOT = lazy_re(r"\b(gosu|su-exec|s6-overlay)\b")
# useradd / adduser (shadow, Debian, BusyBox) options that take a value.
_SHORT_VALUE = frozenset("bcdefgGhkKpPRsuZ")
_LONG_VALUE = frozenset(
    {
        *("--base-dir", "--comment", "--conf", "--expiredate", "--firstuid", "--gecos", "--gid"),
        *("--groups", "--home", "--home-dir", "--inactive", "--ingroup", "--key", "--lastuid"),
        *("--password", "--prefix", "--root", "--selinux-user", "--shell", "--skel", "--uid"),
    }
)
_NAME = lazy_re(r"^[a-z_][a-z0-9_-]*$")
# Instructions that may follow USER without caring who the user is.
_AFTER_USER = frozenset(
    {
        "ARG",
        "CMD",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "STOPSIGNAL",
        "VOLUME",
    }
)
_STARTS_CONTAINER = frozenset({"CMD", "ENTRYPOINT", "HEALTHCHECK"})
_DISTROLESS_USER = "65532:65532"
_POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ash", "ksh", "mksh"})
# Shell options that cannot change what one command made of plain words does.
_QUIET_FLAGS = frozenset("euc")
_QUIET_OPTIONS = frozenset({"pipefail", "errexit", "nounset"})


class PosixShell(NamedTuple):
    """A SHELL that is a POSIX shell run with `-c`; `quiet` when its options change nothing."""

    argv: tuple[str, ...]
    quiet: bool


def posix_shell(shell: tuple[str, ...]) -> PosixShell | None:
    """Return the SHELL as a POSIX shell run with `-c`, or None for any other shell."""
    if len(shell) < 2 or shell[0].rsplit("/", 1)[-1] not in _POSIX_SHELLS:
        return None
    if not (shell[-1].startswith("-") and shell[-1].endswith("c") and shell[-1][1:].isalpha()):
        return None
    quiet, args = True, list(shell[1:])
    while args:
        arg = args.pop(0)
        if arg in ("-o", "+o") and args:
            option = args.pop(0)
            quiet = quiet and arg == "-o" and option in _QUIET_OPTIONS
        elif arg.startswith("-") and arg[1:].isalpha():
            quiet = quiet and set(arg[1:]) <= _QUIET_FLAGS
        else:
            return None
    return PosixShell(shell, quiet)


def stage_chain(facts: Facts, stage: Stage) -> tuple[Stage, ...]:
    """Return `stage` and the stages of this file it is built `FROM`, nearest first."""
    return facts.chain(stage)


def shell_in_force(facts: Facts, stage: Stage, before: Instruction | None = None) -> tuple[str, ...]:
    """Return the SHELL in force before `before` (at the stage's end when None).

    Follows `FROM <stage>` (see `Stage.shell_at`).
    """
    return stage.shell_at(before) if before is not None else stage.shell


def base_image(facts: Facts, stage: Stage) -> str:
    """Return the image the stage is built on, following `FROM <stage>` to its root."""
    return facts.root(stage).base


def is_windows_image(ref: str) -> bool:
    """Return whether an image reference names a Windows image (servercore, nanoserver, ...)."""
    return bool(_WINDOWS.search(ref.lower()))


def is_official_image(path: str) -> bool:
    """Return whether an image path without tag or digest (`python`, `docker.io/library/python`,
    `arm64v8/python`) names one of Docker Hub's official images."""
    return bool(_OFFICIAL.match(path.lower()))


def image_family(ref: str) -> Family | None:
    """Return how the image `ref` adds users, or None when we do not know it."""
    ref = ref.lower()
    path = ref.split("@", 1)[0]
    tag = path.rsplit(":", 1)[1] if ":" in path.rsplit("/", 1)[-1] else ""
    path = path.removesuffix(":" + tag) if tag else path
    name = path.rsplit("/", 1)[-1]
    if ref == "scratch":
        return Family.SCRATCH
    if path.startswith("gcr.io/distroless/"):
        return Family.DISTROLESS
    if _UBI.match(path):
        return Family.RHEL
    if not _OFFICIAL.match(path):
        return None
    if name in _ALPINE_IMAGES:
        return Family.ALPINE
    if name in _RHEL_IMAGES:
        return None if re.search(r"minimal|micro|slim", tag) else Family.RHEL
    if name not in _DEBIAN_IMAGES:
        return None
    if "alpine" in tag:
        return Family.ALPINE
    if name == "openjdk" and not _DEBIAN_TAG.search(tag) and _major(tag) not in range(1, 12):
        return None  # openjdk 12 and later are Oracle Linux (slim: no useradd)
    if _DEBIAN_TAG.search(tag):
        return Family.DEBIAN
    return None if _OTHER_OS_TAG.search(tag) else Family.DEBIAN


def _major(tag: str) -> int:
    m = re.match(r"\d+", tag)
    return int(m.group()) if m else 0


def _package_family(chain: tuple[Stage, ...]) -> Family | str | None:
    """Return the family the package manager used in the RUNs points to.

    Returns None when no RUN names one, a message when they disagree.
    """
    found = {
        _PACKAGE_MANAGERS[m.group(1)]
        for stage in chain
        for instr in stage.instructions
        if instr.kind == "RUN"
        for m in _PACKAGE_RE.finditer(" ".join(instr.values))
    }
    if len(found) > 1:
        return "its RUNs use the package managers of several distributions"
    return found.pop() if found else None


def _family(chain: tuple[Stage, ...]) -> Family | str:
    """Return how the final stage adds users, or why we cannot tell."""
    ref = chain[-1].base
    if "$" in ref:
        return f"the base image `{ref}` is set by a variable"
    from_image, from_packages = image_family(ref), _package_family(chain)
    if isinstance(from_packages, str):
        return from_packages
    if from_image and from_packages and from_image is not from_packages:
        return f"the base image `{ref}` and the package manager of its RUNs disagree"
    family = from_image or from_packages
    if family is None:
        return f"dffix does not know how to add a user on `{ref}`"
    return family


def _root_dropper(chain: tuple[Stage, ...]) -> str | None:
    """Return the privilege-dropping tool (gosu, su-exec, s6-overlay) the chain installs, if any."""
    for stage in chain:
        for instr in stage.instructions:
            if instr.kind in ("RUN", "COPY", "ADD") and (m := _DROPS_ROOT.search(instr.line)):
                return m.group(1)
    return None


def _user_part(value: str) -> str:
    return value.split(":", 1)[0]


def _is_root(value: str) -> bool:
    return _user_part(value) in ("root", "0")


def _last_user(chain: tuple[Stage, ...]) -> Instruction | None:
    """Return the USER in force at the end of the chain's first stage (None: the base image's)."""
    for stage in chain:
        users = [i for i in stage.instructions if i.kind == "USER" and i.values]
        if users:
            return users[-1]
    return None


class _Created(NamedTuple):
    """A user created by useradd/adduser: its name and the UID given, if any."""

    name: str
    uid: str | None


def _created_user(cmd: Command) -> _Created | str | None:
    """Return the user a useradd/adduser command creates.

    Returns None when it creates none (`adduser user group` adds to a group), a message
    when it cannot be read (a variable, no name).
    """
    positional: list[str] = []
    uid = None
    args = list(cmd.args)
    while args:
        arg = args.pop(0)
        if arg.startswith("--"):
            key, eq, value = arg.partition("=")
            if not eq and key in _LONG_VALUE and args:
                value = args.pop(0)
            uid = value if key == "--uid" else uid
        elif arg.startswith("-") and len(arg) > 1:
            for i, letter in enumerate(arg[1:], start=1):
                if letter in _SHORT_VALUE:
                    value = arg[i + 1 :] or (args.pop(0) if args else "")
                    uid = value if letter == "u" else uid
                    break
        else:
            positional.append(arg)
    if len(positional) == 2 and cmd.name and cmd.name.endswith("adduser"):
        return None
    if len(positional) != 1 or "$" in positional[0] or (uid and not uid.isdigit()):
        return "a RUN creates a user dffix cannot read (a variable, or no single name)"
    return _Created(positional[0], uid)


def _users_created(chain: tuple[Stage, ...]) -> list[_Created] | str:
    """Return the users the chain's RUNs create, or why we cannot tell."""
    created: list[_Created] = []
    for stage in chain:
        for instr in stage.instructions:
            if instr.kind != "RUN":
                continue
            text = " ".join(instr.values) + "".join(h.content for h in instr.heredocs)
            if not _USER_TOOLS.search(text):
                continue
            script = (
                split_commands(text) if instr.values and not instr.is_json and not instr.heredocs else None
            )
            if script is None:
                return "a RUN creates a user in a way dffix cannot read"
            for cmd in script.commands:
                if (cmd.name or "").rsplit("/", 1)[-1] in ("useradd", "adduser"):
                    user = _created_user(cmd)
                    if isinstance(user, str):
                        return user
                    if user is not None:
                        created.append(user)
    return created


def existing_users(chain: tuple[Stage, ...]) -> tuple[str, ...] | str:
    """Return the non-root users the chain creates or switches to, as USER should name them.

    Each user appears once: as an earlier `USER` names it, else by the UID its useradd
    gives, else by name. Returns a message when a RUN or USER cannot be read.
    """
    created = _users_created(chain)
    if isinstance(created, str):
        return created
    values = {
        i.values[0]
        for stage in chain
        for i in stage.instructions
        if i.kind == "USER" and i.values and not _is_root(i.values[0])
    }
    if any("$" in v for v in values):
        return "an earlier `USER` is set by a variable"
    users = {c.name: c.uid or c.name for c in created}
    by_uid = {c.uid: c.name for c in created if c.uid}
    for value in sorted(values):
        part = _user_part(value)
        users[by_uid.get(part, part)] = value  # the file's own way of naming it wins
    return tuple(sorted(v for v in users.values() if not _is_root(v)))  # `useradd -o -u 0` is root


def same_case_as_file(df: Dockerfile, keyword: str) -> str:
    """Return `keyword` in the case most of the file's instructions use."""
    lower = sum(1 for i in df.all_instructions if i.keyword.islower())
    return keyword.lower() if lower * 2 > len(df.all_instructions) else keyword.upper()


class RootFinalUser(Rule):
    """## What it does
    Flags a final stage that runs as root: it has no `USER`, or its last `USER` is
    `root` (or `0`, `0:0`, `root:root`).

    ## Why is this bad?
    A process running as root in the container is root on the files it can reach and
    in the kernel it shares with the host. If the app is compromised, a non-root user
    limits what the attacker can do; many clusters refuse root containers outright.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    COPY . /app
    CMD ["python", "/app/main.py"]
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    COPY . /app
    RUN groupadd -r -g 10001 app && useradd --no-log-init -r -u 10001 -g app app
    USER 10001:10001
    CMD ["python", "/app/main.py"]
    ```

    ## Fix safety
    Always unsafe: the app may need root to bind a port below 1024 or to write to paths
    owned by root. Give it what it writes with `COPY --chown=10001:10001`.

    The fix adds the user and group the base image's way and a numeric `USER` (which
    Kubernetes' `runAsNonRoot` can check), before the stage's final `CMD`,
    `ENTRYPOINT` or `HEALTHCHECK` (or at its end):
    - Debian and Ubuntu: `groupadd -r -g` and `useradd --no-log-init -r -u -g`;
    - Fedora, CentOS, Rocky, Alma, Oracle Linux and UBI: `groupadd -r -g`, `useradd -r -u -g`;
    - Alpine and BusyBox: `addgroup -S -g` and `adduser -S -D -u -G`;
    - distroless (`gcr.io/distroless/...`): `USER 65532:65532`, its `nonroot` user;
    - `scratch`: `USER 65532:65532` only (files copied in keep their owner, root).

    The family comes from the `FROM` image (official images such as `python`, `node`,
    `golang`: `-alpine` tags are Alpine, the others Debian), following `FROM <stage>`
    within the file, and from the package manager the RUNs use (`apt-get`, `apk`,
    `yum`/`dnf`). When the stage (or a stage of this file it is built `FROM`) already
    creates exactly one user (`useradd`, `adduser`) or switched to one earlier, the fix
    is just a `USER` naming it: as an earlier `USER` did, else by the UID its `useradd`
    gives, else by name. A `USER root` right before the final `CMD` is then rewritten
    in place.

    No fix: for an unknown base image (also Amazon Linux and `-minimal`/`-slim` Red Hat
    images, which have no `useradd`), a base set by a variable, several users created,
    a non-POSIX `SHELL`, or a `CMD`/`ENTRYPOINT`/`WORKDIR`/`ENV`/`HEALTHCHECK` that
    points into `/root` (mode 700: the new user could not read it). Not reported: a
    final stage that other stages use, a `USER` set by a variable, Windows images, and
    bases that run as non-root already
    (`:nonroot` tags, `cgr.dev`, `bitnami/`, `-unprivileged`, `-chiseled`).

    ## Options
    - `user` (default `"app"`): the name of the user and group to create.
    - `uid` (default `10001`): its UID.
    - `gid` (default: the UID): its GID.

    ## References
    - Docker best practices: "USER"
    - hadolint DL3002
    """

    code = "DF301"
    name = "root-final-user"
    message = "The final stage runs as root"
    fix_title = "Add a non-root user and switch to it with `USER`"
    fixability = Fixability.SOMETIMES
    aliases = ("DL3002",)
    option_defaults: ClassVar[Mapping[str, object]] = {"user": "app", "uid": 10001, "gid": None}

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        stage = facts.final_stage
        # A stage others build on or copy from is not what the container runs.
        if stage is None or facts.is_referenced(stage):
            return
        chain = stage_chain(facts, stage)
        ref = chain[-1].base
        # Windows users are ContainerUser/ContainerAdministrator, not root.
        if df.escape == "`" or is_windows_image(ref):
            return
        last = _last_user(chain)
        if last is None and _NONROOT_BASE.search(ref.lower()):
            return
        value = last.values[0] if last else "root"
        # A user from a variable could be anyone; a non-root user is what we want.
        if "$" in value or not _is_root(value):
            return
        in_stage = last is not None and any(i is last for i in stage.instructions)
        at = last.keyword_span if last and in_stage else stage.from_instr.keyword_span
        said = f"`USER {value}` makes the final stage run as root" if in_stage else self.message
        fix = self._fix(df, facts, chain, last if in_stage else None)
        if isinstance(fix, str):
            yield self.violation(at, message=f"{said}; no fix: {fix}")
            return
        why = (
            "the fix is unsafe: the app may need root to bind a port below 1024 or to write to "
            "root-owned paths (give it those with `COPY --chown`)"
        )
        yield self.violation(at, fix, message=f"{said}; {why}")

    def _fix(
        self, df: Dockerfile, facts: Facts, chain: tuple[Stage, ...], last: Instruction | None
    ) -> Fix | str:
        """Return the fix for the final stage `chain[0]`, or why there is none."""
        stage = chain[0]
        dropper = _root_dropper(chain)
        if dropper:
            return f"it installs `{dropper}`, so its entrypoint probably starts as root on purpose"
        home = _uses_root_home(stage)
        if home is not None:
            return f"`{home}` uses /root, which only root may enter: move those files first"
        existing = existing_users(chain)
        if isinstance(existing, str):
            return existing
        if len(existing) > 1:
            return "it has several users to choose from: " + ", ".join(f"`{u}`" for u in existing)
        if existing:
            return self._switch(df, facts, stage, last, existing[0])
        family = _family(chain)
        if isinstance(family, str):
            return family
        if family in (Family.DISTROLESS, Family.SCRATCH):
            return self._switch(df, facts, stage, last, _DISTROLESS_USER)
        options = self._options()
        if isinstance(options, str):
            return options
        user, uid, gid = options
        group = f"groupadd -r -g {gid} {user}"
        run = {
            Family.DEBIAN: f"{group} && useradd --no-log-init -r -u {uid} -g {user} {user}",
            Family.RHEL: f"{group} && useradd -r -u {uid} -g {user} {user}",
            Family.ALPINE: f"addgroup -S -g {gid} {user} && adduser -S -D -u {uid} -G {user} {user}",
        }[family]
        lines = [f"{same_case_as_file(df, 'RUN')} {run}", f"{same_case_as_file(df, 'USER')} {uid}:{gid}"]
        return _insert_lines(df, facts, stage, lines, needs_shell=True)

    def _switch(
        self, df: Dockerfile, facts: Facts, stage: Stage, last: Instruction | None, value: str
    ) -> Fix | str:
        """Return a fix switching to `value`: rewrite a `USER root` just before the end, or insert one."""
        tail = _tail_start(stage)
        if last is not None and tail > 0 and stage.instructions[tail - 1] is last:
            return Fix.unsafe(Edit.replace(last.args_span, value))
        lines = [f"{same_case_as_file(df, 'USER')} {value}"]
        return _insert_lines(df, facts, stage, lines, needs_shell=False)

    def _options(self) -> tuple[str, int, int] | str:
        """Return the user name, UID and GID to create, or why the options are unusable."""
        user, uid, gid = self.options["user"], self.options["uid"], self.options["gid"]
        gid = uid if gid is None else gid
        if not isinstance(user, str) or not _NAME.match(user):
            return f"the `user` option {user!r} is not a user name"
        if not isinstance(uid, int) or not isinstance(gid, int) or min(uid, gid) < 1:
            return "the `uid` and `gid` options must be numbers above 0"
        return user, uid, gid


# Instructions whose text says where the app runs from and reads its files.
_RUNTIME_KINDS = frozenset({"CMD", "ENTRYPOINT", "WORKDIR", "ENV", "HEALTHCHECK"})
_ROOT_HOME = lazy_re(r"(?:^|[\s\"'=:])(?:/root|~)(?:/|\s|\"|'|$)")


def _uses_root_home(stage: Stage) -> str | None:
    """Return the first runtime instruction that points into root's home, else None.

    /root is mode 700: after `USER 10001` the app could no longer read files it keeps
    there, so the fix would break it for sure, not just maybe.
    """
    for instr in stage.instructions:
        if instr.kind in _RUNTIME_KINDS and _ROOT_HOME.search(instr.args):
            return instr.line
    return None


def _tail_start(stage: Stage) -> int:
    """Return where the trailing run of instructions that USER does not affect begins."""
    i = len(stage.instructions)
    while i > 0 and stage.instructions[i - 1].kind in _AFTER_USER:
        i -= 1
    return i


def _insert_lines(
    df: Dockerfile, facts: Facts, stage: Stage, lines: list[str], *, needs_shell: bool
) -> Fix | str:
    """Return a fix inserting `lines` before the stage's final CMD/ENTRYPOINT/HEALTHCHECK or at its end."""
    anchor = next((i for i in stage.instructions[_tail_start(stage) :] if i.kind in _STARTS_CONTAINER), None)
    shell = shell_in_force(facts, stage, anchor)
    if needs_shell and posix_shell(shell) is None:
        return f"`SHELL {json_array(shell)}` is not a POSIX shell"
    nl = df.newline
    if anchor is not None:
        indent = df.indent(anchor)
        text = "".join(f"{indent}{line}{nl}" for line in lines)
        return Fix.unsafe(Edit.insert(comments_above(df, anchor), text))
    last = stage.instructions[-1] if stage.instructions else stage.from_instr
    # Blank and comment lines after a final `\` still belong to it, and so would ours.
    if last_code_line(last).cont is not None:
        return "the stage ends in a line continuation"
    indent = df.indent(last)
    at = last.span.end
    # After a heredoc's terminator, a blank line: easier to read, and hadolint's parser
    # (unlike BuildKit's) needs it before the next instruction.
    gap = nl if last.heredocs else ""
    if at == len(df.text) and not df.text.endswith("\n"):
        return Fix.unsafe(Edit.insert(at, gap + "".join(f"{nl}{indent}{line}" for line in lines)))
    return Fix.unsafe(Edit.insert(at, gap + "".join(f"{indent}{line}{nl}" for line in lines)))
