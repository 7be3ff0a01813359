"""DF3xx: the user the container runs as."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterator, Mapping, Sequence

from dffix.edits import Applicability, Edit, Fix
from dffix.facts import Facts, Stage, json_array
from dffix.lazy import lazy_re
from dffix.memo import file_cache
from dffix.records import TYPE_CHECKING
from dffix.rules.apt import append_cleanup, comments_above, last_code_line
from dffix.rules.base import Fixability, Rule, Violation
from dffix.rules.records import BaseUser, Family as Family, PosixShell as PosixShell, _Created, _Image
from dffix.rules.runtime import (
    Traits,
    Writable,
    base_for_others,
    bound_port,
    chain_managers,
    chain_traits,
    chown_target,
    dropping_image,
    empty_workdir,
    image_path_tag,
    low_port_in_code,
    process_manager,
    root_only_hint,
    server_package,
    start_command,
    traits,
    unseen_code,
    writable_folders,
    writes_next_to_code,
)
from dffix.syntax.shell import Command, split_commands
from dffix.syntax.tree import Dockerfile, Instruction

if TYPE_CHECKING:
    from typing import ClassVar


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
# The image-name tests below are str methods: as patterns they were compiled on every
# start (0.6 ms together); tests/rules/test_user_fast.py holds them to the patterns they were
# (kept in tests/user_reference.py).
_OFFICIAL_PREFIXES = (
    *("", "library/", "docker.io/library/", "index.docker.io/library/", "docker.io/"),
    *("amd64/", "arm32v5/", "arm32v6/", "arm32v7/", "arm64v8/", "i386/", "ppc64le/", "s390x/"),
)
_UBI = lazy_re(r"^(?:registry\.access\.redhat\.com/|registry\.redhat\.io/|redhat/)ubi\d*(?:/ubi)?$")
_WINDOWS_WORDS = (
    *("windows", "servercore", "nanoserver", "dotnet/framework", "dotnet-framework"),
    *("microsoft/iis", "microsoft/aspnet"),
)
# Bases whose default user is not root: a word anywhere, a registry or namespace, or an
# image name (then a tag, a digest or nothing).
_NONROOT_WORDS = ("nonroot", "rootless", "unprivileged", "chiseled")
_NONROOT_STARTS = (
    *("cgr.dev/", "bitnami/", "docker.io/bitnami/", "jupyter/", "docker.io/jupyter/", "quay.io/jupyter/"),
    *("docker.elastic.co/kibana/", "docker.elastic.co/logstash/"),
)
_NONROOT_NAMES = (
    *(
        prefix + name
        for prefix in ("", "docker.io/")
        for name in ("jenkins/jenkins", "grafana/grafana", "sonarqube")
    ),
    *(
        prefix + name
        for prefix in ("", "docker.io/", "docker.io/library/")
        for name in ("memcached", "solr", "odoo", "kibana", "logstash")
    ),
)


def _official_path(path: str) -> bool:
    """Whether `path` is one name after an official image's prefix (or none)."""
    for prefix in _OFFICIAL_PREFIXES:
        if path.startswith(prefix):
            rest = path[len(prefix) :]
            if rest and "/" not in rest:
                return True
    return False


def _nonroot_base(lower: str) -> bool:
    """Whether the lower-cased reference names a base whose default user is not root."""
    if any(word in lower for word in _NONROOT_WORDS) or lower.startswith(_NONROOT_STARTS):
        return True
    for name in _NONROOT_NAMES:
        # the name, then a tag, a digest or the end (`$`: before a final newline too)
        if lower.startswith(name) and (
            lower[len(name) : len(name) + 1] in (":", "@") or lower[len(name) :] in ("", "\n")
        ):
            return True
    return False


_ONBUILD_TAG = lazy_re(r":[^@/]*onbuild")
_PACKAGE_MANAGERS = {
    "apt-get": Family.DEBIAN,
    "apt": Family.DEBIAN,
    "apk": Family.ALPINE,
    "yum": Family.RHEL,
    "dnf": Family.RHEL,
}
_USER_TOOLS = lazy_re(r"\b(?:useradd|adduser)\b")
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
        "ADD",  # COPY and ADD write as root whatever USER says (only --chown changes that)
        "ARG",
        "CMD",
        "COPY",
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
    lower = ref.lower()
    return any(word in lower for word in _WINDOWS_WORDS)


def is_official_image(path: str) -> bool:
    """Return whether an image path without tag or digest (`python`, `docker.io/library/python`,
    `arm64v8/python`) names one of Docker Hub's official images."""
    return _official_path(path.lower())


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
    if not _official_path(path):
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


def _package_family(managers: tuple[str, ...]) -> Family | str | None:
    """Return the family the package managers the RUNs call (see `chain_managers`) point to.

    Returns None when no RUN names one, a message when they disagree.
    """
    found = {_PACKAGE_MANAGERS[manager] for manager in managers}
    if len(found) > 1:
        return "its RUNs use the package managers of several distributions"
    return found.pop() if found else None


# Bases known to ship neither useradd nor adduser (no shadow-utils).
_NO_USERADD = lazy_re(
    r"^(?:[\w.-]+/)*amazonlinux(?:[:@]|$)|ubi\d*[-/](?:ubi-)?(?:minimal|micro)"
    r"|^(?:[\w.-]+/)*(?:oraclelinux|centos|fedora|rockylinux|almalinux)[:][^@]*(?:slim|minimal|micro)"
)


def _family(chain: tuple[Stage, ...]) -> Family | str:
    """Return how the final stage adds users, or why we cannot tell."""
    ref = chain[-1].base
    from_image = _ref_family(ref)
    if isinstance(from_image, str):
        return from_image
    from_packages = _package_family(chain_managers(chain))
    if isinstance(from_packages, str):
        return from_packages
    if from_image and from_packages and from_image is not from_packages:
        return f"the base image `{ref}` and the package manager of its RUNs disagree"
    family = from_image or from_packages
    if family is None:
        return f"dffix does not know how to add a user on `{ref}`"
    return family


@file_cache(64)
def _ref_family(ref: str) -> Family | str | None:
    """Return how the image `ref` adds users (None: unknown), or why it cannot add one."""
    if "$" in ref:
        return f"the base image `{ref}` is set by a variable"
    if "%" in ref or ref != ref.lower():
        return f"the base image `{ref}` is a placeholder, not an image name"
    if _NO_USERADD.search(ref.lower()):
        return f"`{ref}` has no `useradd` or `adduser`"
    return image_family(ref)


@file_cache(64)
def _image(ref: str) -> _Image:
    """Return what the reference `ref` says, read once per file: every check of every
    pass asks about the same base (the rarer questions, `base_user` and `_ref_family`,
    are asked on their own)."""
    lower = ref.lower()
    return _Image(
        is_windows_image(ref),
        _nonroot_base(lower),
        bool(_ONBUILD_TAG.search(lower)),
        dropping_image(ref),
    )


def _user_part(value: str) -> str:
    return value.split(":", 1)[0]


def _is_root(value: str) -> bool:
    return _user_part(value) in ("root", "0")


def _last_user(chain: tuple[Stage, ...]) -> Instruction | None:
    """Return the USER in force at the end of the chain's first stage (None: the base image's)."""
    for stage in chain:
        if "USER" not in stage.kinds:  # most stages: no walk
            continue
        users = [i for i in stage.instructions if i.kind == "USER" and i.values]
        if users:
            return users[-1]
    return None


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
            text = " ".join(instr.values)
            if instr.heredocs:
                text += "".join(h.content for h in instr.heredocs)
            # Both tools spell `user`: most RUNs are ruled out without a search.
            if "user" not in text or not _USER_TOOLS.search(text):
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


def _chown_users(chain: tuple[Stage, ...]) -> list[str] | str:
    """Return the non-root `user[:group]` values the chain's RUNs `chown` files to."""
    found: list[str] = []
    for stage in chain:
        for instr in stage.instructions:
            if instr.kind != "RUN" or "chown" not in instr.args:
                continue
            script = split_commands(instr.args) if not instr.is_json and not instr.heredocs else None
            for cmd in script.commands if script else ():
                owner = chown_target(cmd)
                if owner is None or _is_root(owner) or owner.startswith(":"):
                    continue
                if "$" in owner:
                    return "a RUN gives files to a user set by a variable"
                found.append(owner)
    return found


def existing_users(chain: tuple[Stage, ...]) -> tuple[str, ...] | str:
    """Return the non-root users the chain creates, switches to or gives files to (`chown`),
    as USER should name them.

    Each user appears once: as an earlier `USER` names it, else by the UID its useradd
    gives, else by name (a numeric `chown 1000:1000` by its `uid:gid`). Returns a message
    when a RUN or USER cannot be read.
    """
    created = _users_created(chain)
    if isinstance(created, str):
        return created
    chowned = _chown_users(chain)
    if isinstance(chowned, str):
        return chowned
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
    for owner in chowned:
        part = _user_part(owner)
        name = by_uid.get(part, part)
        if name not in users:
            users[name] = owner if part.isdigit() else part
    for value in sorted(values):
        part = _user_part(value)
        users[by_uid.get(part, part)] = value  # the file's own way of naming it wins
    return tuple(sorted(v for v in users.values() if not _is_root(v)))  # `useradd -o -u 0` is root


def _mostly_lower(df: Dockerfile) -> bool:
    """Return whether most of the file's instructions spell their keyword in lower case."""
    lower = sum(1 for i in df.all_instructions if i.keyword.islower())
    return lower * 2 > len(df.all_instructions)


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
    WORKDIR /app
    COPY requirements.txt .
    RUN pip install --no-cache-dir -r requirements.txt
    COPY . .
    RUN mkdir -p /app/logs
    CMD ["python", "main.py"]
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    RUN groupadd -r -g 10001 app && useradd --no-log-init -r -m -u 10001 -g app app
    COPY requirements.txt .
    RUN pip install --no-cache-dir -r requirements.txt
    COPY . .
    RUN mkdir -p /app/logs && chown -R 10001:10001 /app/logs
    USER 10001:10001
    CMD ["python", "main.py"]
    ```

    ## Fix safety
    Always unsafe: dffix cannot see everything the app writes or every port it binds.
    The fix does what a careful engineer does by hand, so that the image still builds,
    starts and rebuilds as fast:

    - **Placement.** The `RUN` that creates the user goes before the stage's first copy
      from the build context, so a code change never re-runs it. `USER` goes after every
      `RUN` and `WORKDIR` (a later `apt-get` or `pip install` into system paths still
      runs as root), before the copies that follow them (`COPY` writes as root whatever
      `USER` says, and a code change does not re-run a `USER` placed before it), else
      before the final `CMD`/`ENTRYPOINT`/`HEALTHCHECK`.
    - **An existing user.** A user the stage (or a stage of this file it is built
      `FROM`) creates with `useradd`/`adduser`, names in an earlier `USER` or gives
      files to with `chown` is used: as an earlier `USER` named it, else by the UID its
      `useradd` gives, else by name. So is a user the base image ships:

      | base image | user |
      | --- | --- |
      | `node` (8 and later; older tags lack it) | `node` (uid 1000) |
      | `oven/bun` | `bun` (uid 1000) |
      | `denoland/deno` | `deno` (uid 1993) |
      | `gcr.io/distroless/...`, `scratch` | `65532:65532` (distroless' `nonroot`) |

    - **A new user** otherwise, the base image's way, with a home (npm, yarn, pip and
      jupyter write to `$HOME`) and a numeric `USER` that Kubernetes' `runAsNonRoot` can
      check:
      - Debian and Ubuntu: `groupadd -r -g` and `useradd --no-log-init -r -m -u -g`;
      - Fedora, CentOS, Rocky, Alma, Oracle Linux and UBI: `groupadd -r -g`, `useradd -r -m -u -g`;
      - Alpine and BusyBox: `addgroup -S -g` and `adduser -S -D -h /home/<user> -u -G`.
      The family comes from the `FROM` image (official images such as `python`,
      `golang`: `-alpine` tags are Alpine, the others Debian), following `FROM <stage>`
      within the file, and from the package manager the RUNs use (`apt-get`, `apk`,
      `yum`/`dnf`).
    - **What the app writes stays writable.** Folders the stage makes for the app to
      write to are given to the user: a `mkdir` of a folder named for it (`logs`,
      `data`, `uploads`, `media`, `cache`, `tmp`, `storage`, `db`, `sessions`, ...) gets
      a `chown -R` at the end of the same `RUN`; a folder a `mkdir` always makes
      (outside the system folders) that a setting the file writes names (`echo
      'opcache.file_cache="/opcache"' >> php.ini`) and that nothing may fill (no `COPY`
      or `WORKDIR` reaches it, no command names it, a path in it or a folder above it,
      no `RUN` runs in a folder above it, in this stage or one it is built on) gets one
      at the end of the stage's last `RUN` that can take it (above a `VOLUME` of it),
      after any build step that writes there unseen (`php -l` filling PHP's opcache); a
      `VOLUME`, or a folder named in `ENV` (`LOG_DIR=/logs`, `DATA_PATH`,
      `UPLOAD_FOLDER`, `DATABASE_URL=sqlite:////data/app.db`) is made and owned in the
      user's `RUN`, and so are `$HOME` when `ENV` sets it, a folder given to a data or
      log option in `CMD`/`ENTRYPOINT` (`-data-dir=/consul`, `--log-dir /logs`) and
      Rails' `log/` and `tmp/`; a `COPY` into one of them gets `--chown`. A `VOLUME`
      named by a variable is read from the stage's `ENV` (no fix when it cannot be); a
      `VOLUME`'s folder is owned above the `VOLUME` line (the legacy builder drops what
      a later `RUN` changes in it), and a folder that a later `RUN` fills gets its
      `chown -R` at the end of that `RUN`.
      The code, system folders and folders the file already `chown`s stay as they are.

    No fix, with the reason in the message, when a non-root `USER` would break the
    image or its users:
    - the image looks like a base for other images, which install packages as root:
      it has `ONBUILD` triggers, sets no `CMD`/`ENTRYPOINT` of its own, or its `CMD`
      is a bare interpreter or shell (`python3`, `php -a`, `bash`, `node`), also behind
      an `ENTRYPOINT` that hands its arguments on (`docker-php-entrypoint`, tini), or
      its only `ENTRYPOINT` is one (`["/bin/bash"]`);
    - it is a GitHub Action (`com.github.actions` labels): GitHub runs those as root;
    - the app talks to the Docker socket (`docker.sock`, `DOCKER_HOST=unix://`, the
      `docker` client installed, the `docker` Python client, or a comment line of the
      file that names `docker.sock`), which only root may open;
    - `CMD`/`ENTRYPOINT` writes a pid file straight into `/run` or `/var/run`
      (`--pidfile /var/run/influxdb.pid`), which only root may write;
    - the last `USER` is an explicit `USER root` (or `0`) the author wrote;
    - the base is an `*-onbuild` image: its triggers copy the code before the file's first
      line, so the user's `RUN` would re-run on every code change;
    - the base image starts as root on purpose: official images whose entrypoint drops
      to their own user with gosu or su-exec (`postgres`, `mysql`, `mariadb`, `mongo`,
      `redis`, `rabbitmq`, `cassandra`, `couchdb`, `influxdb`, `neo4j`, `zookeeper`,
      `elasticsearch`, `ghost`, `redmine`, ...) and servers that bind port 80 and drop
      privileges themselves (`nginx`, `httpd`, `haproxy`, `php:*-apache`, `php:*-fpm`,
      `wordpress`, `drupal`, `nextcloud`, ...); or the file installs `gosu`, `su-exec`
      or s6-overlay;
    - `CMD`/`ENTRYPOINT` starts a process manager, an init or a daemon that drops
      privileges itself (`supervisord`, s6's `/init`, `runsvdir`, `/sbin/my_init`,
      systemd, `sshd`, `httpd`/`apache2`, `nginx`, `php-fpm`, `cron`, `catalina.sh`,
      `haproxy`, `dockerd`, `mysqld`, ...), or the file installs such a server
      (`nginx`, `supervisor`, `openssh-server`, `apache2`, `haproxy`, `tomcat`, `cron`,
      `redis-server`, `consul`, a database server, ...), which a wrapper script may
      start; `tomcat` and `docker` bases too (Tomcat writes under its root-owned home;
      the daemon needs root);
    - the app binds a port below 1024: `EXPOSE 80`, `ENV PORT=80`, a bind argument in
      `CMD`/`ENTRYPOINT` (`--port 80`, `-b 0.0.0.0:80`), or code in the context's top two
      levels that does (`":80"` in Go, `port=80`, `.listen(80)`);
    - the app writes a database next to its code, which stays root-owned: a relative
      sqlite URL in `ENV` or `CMD`, `manage.py migrate` (or `flask db upgrade`, `alembic
      upgrade`) at start-up, a `.db`/`.sqlite3` file in the context, or source files in
      the context's top two levels that open sqlite or write a file (`filename="app.log"`,
      `open("out.log", "a")`) by a relative path;
    - `CMD`/`ENTRYPOINT`/`WORKDIR`/`ENV`/`HEALTHCHECK` points into `/root` (mode 700),
      or a `COPY`/`ADD`/`VOLUME` puts files there;
    - the image (its stages, or a stage it copies from) copies from the build context,
      but the folder beside the Dockerfile holds no folder and no file with an extension
      besides Dockerfiles and hidden files: the context is elsewhere (`docker build -f
      docker/Dockerfile .`), so the checks of the code above cannot be made;
    - it looks like a command-line tool run on files mounted at its `WORKDIR` (`docker run
      -v "$PWD:/app" tool`), which a non-root user could not write when a host user owns
      them: an exec-form `ENTRYPOINT` (not `./tool`) whose exec-form `CMD` asks for its
      help or version (`["--help"]`), and a final `WORKDIR` the image leaves empty (no
      `COPY`/`ADD` fills it, no `RUN` runs in it, names it or may make it from above; not a
      `VOLUME`, not a system folder);
    - a base without `useradd` (Amazon Linux, `ubi-minimal`/`ubi-micro`, `-slim` and
      `-minimal` Red Hat family tags), an unknown base image, a base set by a variable
      or a placeholder (`%%TAG%%`, upper case), several users to choose from, or a
      non-POSIX `SHELL` where a `RUN` must go.

    Not reported: a final stage that other stages use, a `USER` set by a variable,
    Windows images, a stage whose RUNs call `sudo` (its base runs as a user already),
    and bases that run as non-root already (`:nonroot` tags, `cgr.dev`,
    `bitnami/`, `-unprivileged`, `-chiseled`, `jupyter/`, `jenkins/jenkins`,
    `grafana/grafana`, `sonarqube`, `memcached`, `solr`, `odoo`, `kibana`, `logstash`).

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
    best_fix = Applicability.UNSAFE  # the app may write where the user cannot, or bind a low port
    aliases = ("DL3002",)
    option_defaults: ClassVar[Mapping[str, object]] = {"user": "app", "uid": 10001, "gid": None}

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        stage = facts.final_stage
        # A stage others build on or copy from is not what the container runs.
        if stage is None or facts.is_referenced(stage):
            return
        chain = stage_chain(facts, stage)
        image = _image(chain[-1].base)
        # Windows users are ContainerUser/ContainerAdministrator, not root.
        if df.escape == "`" or image.windows:
            return
        last = _last_user(chain)
        value = last.values[0] if last else "root"
        # A user from a variable could be anyone; a non-root user is what we want.
        if "$" in value or not _is_root(value):
            return
        fix: Fix | str
        if last is None:
            if image.nonroot:
                return
            # What the chain's instructions say, read once for all the questions below.
            seen = chain_traits(chain)
            if seen.sudo:
                return  # `RUN sudo ...` says the base runs as a user of its own
            fix = self._fix(df, facts, chain, seen)
        else:
            fix = _onbuild_refusal(stage) or f"`USER {value}` says the author chose root on purpose"
        in_stage = last is not None and any(i is last for i in stage.instructions)
        at = last.keyword_span if last and in_stage else stage.from_instr.keyword_span
        said = f"`USER {value}` makes the final stage run as root" if in_stage else self.message
        if isinstance(fix, str):
            yield self.violation(at, message=f"{said}; no fix: {fix}")
            return
        why = (
            "the fix is unsafe: check that the app writes only to the folders the fix gives the "
            "user, and binds no port below 1024"
        )
        yield self.violation(at, fix, message=f"{said}; {why}")

    def _fix(self, df: Dockerfile, facts: Facts, chain: tuple[Stage, ...], seen: Traits) -> Fix | str:
        """Return the fix for the final stage `chain[0]`, where no `USER` is in force, or why
        there is none (`seen`: the chain's traits)."""
        stage = chain[0]
        reason = self._refusal(df, chain, facts, seen)
        if reason is not None:
            return reason
        existing = existing_users(chain)
        if isinstance(existing, str):
            return existing
        if len(existing) > 1:
            return "it has several users to choose from: " + ", ".join(f"`{u}`" for u in existing)
        folders = writable_folders(stage, facts)
        if isinstance(folders, str):
            return (
                f"{folders}: the user could not write it; give the user that folder and set `USER` yourself"
            )
        if existing:
            return self._place(df, facts, stage, existing[0], existing[0], folders, None)
        shipped = base_user(chain[-1].base)
        if shipped is not None:
            return self._place(df, facts, stage, shipped.user, shipped.owner, folders, None)
        family = _family(chain)
        if isinstance(family, str):
            return family
        if family in (Family.DISTROLESS, Family.SCRATCH):
            if folders:
                return "it has no shell to give the user its folders (" + _whys(folders) + ")"
            return self._place(df, facts, stage, _DISTROLESS_USER, _DISTROLESS_USER, [], None)
        options = self._options()
        if isinstance(options, str):
            return options
        user, uid, gid = options
        group = f"groupadd -r -g {gid} {user}"
        create = {
            Family.DEBIAN: f"{group} && useradd --no-log-init -r -m -u {uid} -g {user} {user}",
            Family.RHEL: f"{group} && useradd -r -m -u {uid} -g {user} {user}",
            Family.ALPINE: (
                f"addgroup -S -g {gid} {user} && adduser -S -D -h /home/{user} -u {uid} -G {user} {user}"
            ),
        }[family]
        return self._place(df, facts, stage, f"{uid}:{gid}", f"{uid}:{gid}", folders, create)

    def _refusal(self, df: Dockerfile, chain: tuple[Stage, ...], facts: Facts, seen: Traits) -> str | None:
        """Return why a non-root USER would break the image or its users, or None."""
        stage = chain[0]
        onbuild = _onbuild_refusal(stage)
        if onbuild is not None:
            return onbuild
        # The file's text says whether any LABEL could name an action: most say none.
        if (
            "LABEL" in stage.kinds
            and "com.github.actions" in df.text
            and any(i.kind == "LABEL" and "com.github.actions" in i.args for i in stage.instructions)
        ):
            return "it is a GitHub Action (its `com.github.actions` labels), and GitHub runs actions as root"
        image = _image(chain[-1].base)
        # `python:3-onbuild` and the like copy the code when `FROM` runs, before any line of
        # this file: a user's RUN would come after the code and re-run on every change.
        if image.onbuild:
            return (
                f"`{chain[-1].base}` copies the code with its ONBUILD triggers before this file's first "
                "line, so the user's RUN would re-run on every code change"
            )
        if image.dropping is not None:
            return f"`{chain[-1].base}` must start as root: {image.dropping}"
        dropper = seen.dropper
        if dropper:
            return f"it installs `{dropper}`, so its entrypoint probably starts as root on purpose"
        # The ENTRYPOINT and CMD, found once for the questions below.
        start = start_command(chain)
        manager = process_manager(chain, start)
        if manager:
            return f"it starts `{manager}`, which expects to start as root"
        socket = seen.socket
        if socket:
            return f"`{socket}` talks to the Docker socket, which only root may open"
        hint = root_only_hint(df, start)
        if hint is not None:
            return hint
        server = server_package(chain)
        if server:
            return f"it installs `{server}`, which expects to start as root (a wrapper script may start it)"
        port = seen.low_port or bound_port(chain, start) or low_port_in_code(facts)
        if port:
            return f"the app binds a port below 1024 ({port}), which only root may do"
        # The chain's traits say whether any of its instructions uses /root: most do not.
        home = _uses_root_home(stage) if seen.root_home else None
        if home is not None:
            return f"`{home}` uses /root, which only root may enter: move those files first"
        writes = writes_next_to_code(chain, facts.context, start)
        if writes is not None:
            return (
                f"{writes}, and the code's folder is root-owned: "
                "give the user that folder and set `USER` yourself"
            )
        base = base_for_others(chain, start)
        if base is not None:
            return f"{base}, so it looks like a base for other images, which install packages as root"
        unseen = unseen_code(chain, facts)
        if unseen is not None:
            return unseen
        return empty_workdir(chain, start)

    def _place(
        self,
        df: Dockerfile,
        facts: Facts,
        stage: Stage,
        value: str,
        owner: str,
        folders: list[Writable],
        create: str | None,
    ) -> Fix | str:
        """Return the fix: `USER value` before the stage's CMD/ENTRYPOINT (or at its end),
        and a RUN that creates the user and its folders early, where code changes do not
        re-run it: before the first copy from the build context.

        Folders a RUN of the stage makes get a `chown` at the end of that RUN; other folders
        (VOLUMEs, ENV-named ones) are made and owned in the early RUN; a COPY into one of
        them gets `--chown`.
        """
        tail = _tail_start(stage)
        early, at_tail = _early_anchor(stage, tail), _tail_anchor(stage, tail)
        # A folder a later RUN fills (unpacks into, installs into) is given away by that RUN.
        folders = [_filled_by(stage, f, early) for f in folders]
        made = [f for f in folders if f.made_by is not None]
        premade = [f for f in folders if f.made_by is None]
        setup: list[str] = []
        if create:
            setup.append(create)
        if premade:
            paths = " ".join(f.path for f in premade)
            setup.append(f"mkdir -p {paths} && chown -R {owner} {paths}")
        edits: list[Edit] = []
        lower = _mostly_lower(df)  # the file's keyword case, for both lines below
        user_line = f"{'user' if lower else 'USER'} {value}"
        tail_lines = [user_line]
        # A name only works after the RUN that creates it; a number always does.
        named_owner = not owner.split(":", 1)[0].isdigit()
        if setup:
            anchor = early
            # The legacy builder drops what a RUN changes below a VOLUME: own it before.
            volume = next(
                (
                    i
                    for i in stage.instructions
                    if i.kind == "VOLUME" and any(f.why == f"`VOLUME {p}`" for p in i.values for f in premade)
                ),
                None,
            )
            if (
                volume is not None
                and (anchor is None or volume.span.start < anchor.span.start)
                and (at_tail is None or volume.span.start < at_tail.span.start)
                and not any(i.kind == "USER" for i in stage.instructions if i.span.start < volume.span.start)
            ):
                anchor = volume
            if anchor is not None and named_owner and create is None and _created_from(stage, anchor, owner):
                anchor = None  # the named user is created later in the stage: after it, at the tail
            shell = shell_in_force(facts, stage, anchor if anchor is not None else at_tail)
            if posix_shell(shell) is None:
                return f"`SHELL {json_array(shell)}` is not a POSIX shell"
            run = f"{'run' if lower else 'RUN'} " + " && ".join(setup)
            if anchor is None:
                tail_lines.insert(0, run)
            else:
                edit = _insert_before(df, stage, anchor, [run])
                if isinstance(edit, str):
                    return edit
                edits.append(edit)
        for made_by in dict.fromkeys(f.made_by for f in made if f.made_by is not None):
            where = made_by.line.strip()
            if named_owner and create is None and not _created_by(stage, made_by, owner):
                return f"the user `{owner}` does not exist yet at `{where}`, where its folders would go to it"
            shell = shell_in_force(facts, stage, made_by)
            if posix_shell(shell) is None:
                return f"`SHELL {json_array(shell)}` is not a POSIX shell, so `{where}` cannot get a `chown`"
            script = split_commands(made_by.args) if not made_by.is_json and not made_by.heredocs else None
            if script is None:
                return f"dffix cannot add a `chown` to `{where}`"
            paths = " ".join(w.path for w in made if w.made_by is made_by)
            chown = append_cleanup(df, made_by, script, _command(f"chown -R {owner} {paths}"))
            if chown is None:
                return f"dffix cannot add a `chown` to `{where}`"
            edits.extend(chown.edits)
        for instr in _copies_into(stage, folders):
            if instr.flag("chown") is None:
                edits.append(Edit.insert(instr.keyword_span.end, f" --chown={owner}"))
        edit = _insert_before(df, stage, at_tail, tail_lines)
        if isinstance(edit, str):
            return edit
        edits.append(edit)
        return Fix.unsafe(*sorted(edits, key=lambda e: (e.start, e.end)))

    def _options(self) -> tuple[str, int, int] | str:
        """Return the user name, UID and GID to create, or why the options are unusable."""
        user, uid, gid = self.options["user"], self.options["uid"], self.options["gid"]
        gid = uid if gid is None else gid
        if not isinstance(user, str) or not _NAME.match(user):
            return f"the `user` option {user!r} is not a user name"
        if not isinstance(uid, int) or not isinstance(gid, int) or min(uid, gid) < 1:
            return "the `uid` and `gid` options must be numbers above 0"
        return user, uid, gid


def _onbuild_refusal(stage: Stage) -> str | None:
    """Return why a stage with ONBUILD triggers gets no user, or None without them."""
    # An image with ONBUILD triggers is a base: the images built on it pick their user.
    if "ONBUILD" in stage.kinds:
        return "it has `ONBUILD` triggers, so it is a base for other images, which choose their user"
    return None


def _command(text: str) -> Callable[[Sequence[Command]], str]:
    """Return a cleanup callback (see `append_cleanup`) that appends `text`."""
    return lambda _commands: text


def _filled_by(stage: Stage, folder: Writable, early: Instruction | None) -> Writable:
    """Return `folder` as made by the last RUN after `early` that writes into it, if any."""
    if folder.made_by is not None or early is None:
        return folder
    after, last = False, None
    pattern = re.compile(rf"(?:^|[\s=\"':]){re.escape(folder.path)}(?:/|[\s\"';&|]|$)")
    for instr in stage.instructions:
        after = after or instr is early
        if after and instr.kind == "RUN" and pattern.search(instr.args):
            last = instr
    return folder if last is None else folder._replace(made_by=last)


def _whys(folders: list[Writable]) -> str:
    return ", ".join(f.why for f in folders)


# Images that ship a non-root user of their own (but run as root by default).
_BASE_USERS = {
    "node": BaseUser("node", "1000:1000"),
    "oven/bun": BaseUser("bun", "1000:1000"),
    "denoland/deno": BaseUser("deno", "1993:1993"),
}


def base_user(ref: str) -> BaseUser | None:
    """Return the non-root user the image `ref` ships (node's `node`, ...), or None."""
    path, tag = image_path_tag(ref)
    # The node images got their `node` user in November 2016 (node 7; 4.x and 6.x tags
    # built before then lack it): only a major version of 8 or later is sure to have it.
    if path == "node" and tag and _major(tag) < 8 and re.match(r"\d", tag):
        return None
    return _BASE_USERS.get(path)


def _creates(instr: Instruction, name: str) -> bool:
    """Return whether `instr` is a RUN that creates (useradd/adduser) the user `name`."""
    return (
        instr.kind == "RUN"
        and bool(_USER_TOOLS.search(instr.args))
        and bool(re.search(rf"\b{re.escape(name)}\b", instr.args))
    )


def _created_by(stage: Stage, instr: Instruction, owner: str) -> bool:
    """Return whether the user `owner` names exists at the end of `instr`: created before
    it, or by it (a `chown` appended to that RUN comes after its `useradd`), or by no RUN
    of the stage (a stage it is built on, or the base image, has it)."""
    name = owner.split(":", 1)[0]
    if not any(_creates(other, name) for other in stage.instructions):
        return True
    for other in stage.instructions:
        if _creates(other, name):
            return True
        if other is instr:
            return False
    return True  # `instr` is in a stage this one is built on


def _created_from(stage: Stage, instr: Instruction, owner: str) -> bool:
    """Return whether a RUN at or after `instr` in the stage creates the user `owner` names."""
    name = owner.split(":", 1)[0]
    at = next(i for i, other in enumerate(stage.instructions) if other is instr)
    return any(_creates(o, name) for o in stage.instructions[at:])


def _early_anchor(stage: Stage, tail: int) -> Instruction | None:
    """Return the first copy from the build context in the stage, where the user's RUN goes
    so that a code change does not re-run it; None when there is none before the tail (the
    RUN then goes with `USER`, before the tail's copies) or a `USER` comes before it."""
    for instr in stage.instructions[:tail]:
        if instr.kind == "USER":
            return None
        if instr.kind in ("COPY", "ADD") and instr.flag("from") is None:
            return instr
    return None


def _tail_anchor(stage: Stage, tail: int) -> Instruction | None:
    """Return where `USER` goes (None: the stage's end): before the copies after the last
    RUN, so that a code change does not re-run it, else before the final
    CMD/ENTRYPOINT/HEALTHCHECK."""
    rest = stage.instructions[tail:]
    copy = next((i for i in rest if i.kind in ("COPY", "ADD")), None)
    return copy or next((i for i in rest if i.kind in _STARTS_CONTAINER), None)


def _copies_into(stage: Stage, folders: list[Writable]) -> list[Instruction]:
    """Return the COPY/ADD instructions whose destination lies in one of `folders`."""
    out = []
    for instr in stage.instructions:
        if instr.kind not in ("COPY", "ADD"):
            continue
        words = list(instr.values) if instr.values else instr.args.split()
        if len(words) < 2 or not words[-1].startswith("/"):
            continue
        dest = posixpath.normpath(words[-1])
        if any(dest == f.path or dest.startswith(f.path + "/") for f in folders):
            out.append(instr)
    return out


def _uses_root_home(stage: Stage) -> str | None:
    """Return the first runtime instruction that points into root's home, else None.

    /root is mode 700: after `USER 10001` the app could no longer read files it keeps
    there, so the fix would break it for sure, not just maybe.
    """
    return next((instr.line for instr in stage.instructions if traits(instr).root_home), None)


def _tail_start(stage: Stage) -> int:
    """Return where the trailing run of instructions that USER does not affect begins."""
    i = len(stage.instructions)
    while i > 0 and stage.instructions[i - 1].kind in _AFTER_USER:
        i -= 1
    return i


def _insert_before(df: Dockerfile, stage: Stage, anchor: Instruction | None, lines: list[str]) -> Edit | str:
    """Return the edit inserting `lines` before `anchor` (above its comments), or at the
    stage's end when `anchor` is None; or why they cannot go there."""
    nl = df.newline
    if anchor is not None:
        indent = df.indent(anchor)
        text = "".join(f"{indent}{line}{nl}" for line in lines)
        return Edit.insert(comments_above(df, anchor), text)
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
        return Edit.insert(at, gap + "".join(f"{nl}{indent}{line}" for line in lines))
    return Edit.insert(at, gap + "".join(f"{indent}{line}{nl}" for line in lines))
