"""DF301 (rules/user.py and rules/runtime.py) as it was before the third round of speed
work (issue 14), with no cache of its own: `traits` reads each instruction afresh.

tests/rules/test_user_fast.py holds `dffix.rules.user` to it: the same violations,
messages and fixes on the corpus (as written, fixed and shifted) and on generated files.
Kept as it was; do not speed it up.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from enum import Enum

from dffix.edits import Edit, Fix
from dffix.facts import BuildContext, Facts, Stage, json_array
from dffix.lazy import lazy_re
from dffix.records import TYPE_CHECKING, NamedTuple
from dffix.rules import runtime
from dffix.rules.apt import append_cleanup, comments_above, last_code_line
from dffix.rules.base import Fixability, Rule, Violation
from dffix.rules.user import _created_by as created_by
from dffix.syntax.shell import Command, split_commands
from dffix.syntax.tree import Dockerfile, Instruction

# Official images whose entrypoint starts as root on purpose and then drops to the
# image's own user (gosu, su-exec, setpriv, chroot), or that start a server which does
# (and binds a low port as root first). A non-root USER breaks their start-up: the
# entrypoint can no longer fix the ownership of a mounted volume, or the server can no
# longer bind port 80.
DROPPING_IMAGES: dict[str, str] = {
    "postgres": "its entrypoint starts as root and drops to `postgres` with gosu",
    "postgis/postgis": "its entrypoint starts as root and drops to `postgres` with gosu",
    "mysql": "its entrypoint starts as root and drops to `mysql` with gosu",
    "mariadb": "its entrypoint starts as root and drops to `mysql` with gosu",
    "percona": "its entrypoint starts as root and drops to `mysql` with gosu",
    "mongo": "its entrypoint starts as root and drops to `mongodb` with gosu",
    "redis": "its entrypoint starts as root and drops to `redis` with gosu",
    "rabbitmq": "its entrypoint starts as root and drops to `rabbitmq` with gosu",
    "cassandra": "its entrypoint starts as root and drops to `cassandra` with gosu",
    "couchdb": "its entrypoint starts as root and drops to `couchdb` with gosu",
    "couchbase": "its entrypoint starts as root and drops to `couchbase` itself",
    "influxdb": "its entrypoint starts as root and drops to `influxdb` with gosu",
    "neo4j": "its entrypoint starts as root and drops to `neo4j` with gosu",
    "zookeeper": "its entrypoint starts as root and drops to `zookeeper` with gosu",
    "elasticsearch": "its entrypoint starts as root and drops to `elasticsearch` itself",
    "ghost": "its entrypoint starts as root and drops to `node` with gosu",
    "redmine": "its entrypoint starts as root and drops to `redmine` with gosu",
    "eclipse-mosquitto": "mosquitto starts as root and drops to `mosquitto` itself",
    "telegraf": "its entrypoint starts as root and drops to `telegraf` with setpriv",
    "httpd": "httpd starts as root to bind port 80 and drops to `www-data` itself",
    "nginx": "nginx starts as root to bind port 80 and drops to `nginx` itself",
    "haproxy": "haproxy binds its ports as root and drops to `haproxy` itself",
    "wordpress": "Apache starts as root to bind port 80 and drops to `www-data` itself",
    "drupal": "Apache starts as root to bind port 80 and drops to `www-data` itself",
    "joomla": "Apache starts as root to bind port 80 and drops to `www-data` itself",
    "mediawiki": "Apache starts as root to bind port 80 and drops to `www-data` itself",
    "nextcloud": "Apache (or php-fpm) starts as root and drops to `www-data` itself",
    "tomcat": "Tomcat writes its logs, work and temp folders under /usr/local/tomcat, which root owns",
    "docker": "the Docker daemon and its socket need root",
}
# php: the `-apache` and `-fpm` variants start a server that drops to www-data.
_PHP_SERVER_TAG = lazy_re(r"apache|fpm")

# Commands that, as PID 1 or the entrypoint's program, manage processes or start a daemon
# that drops privileges itself: they expect to start as root.
_MANAGER = lazy_re(
    r"(?:^|[\s/\"'])(supervisord|supervisor|s6-svscan|s6-overlay|runsvdir|runit|my_init|systemd|init"
    r"|sshd|httpd|apache2|apache2-foreground|apache2ctl|nginx|php-fpm[\d.]*|cron|crond|rsyslogd"
    r"|postfix|dovecot|named|squid|vsftpd|xinetd|openvpn|dnsmasq|catalina\.sh|catalina|haproxy|dockerd|dind"
    r"|autouseradd|vncserver|tightvncserver|rngd|hyperkube|mysqld|mysqld_safe|mongod|pg_ctl|slapd|smbd)"
    r"(?=$|[\s\"';&|])"
)
# Servers that start as root and drop privileges (or need root), as the packages that install them.
_SERVER_PACKAGE = lazy_re(
    r"\b(?:install|add)\b[^;&|]*?(?<![\w.-])(nginx(?:-[\w]+)?|supervisor|openssh-server|apache2|httpd|haproxy"
    r"|tomcat\d*|docker(?:-ce|-cli|-engine|\.io)?|postfix|dovecot-core|bind9|squid|vsftpd|samba"
    r"|[\w]*mysql[\w]*-server|mariadb-server|postgresql(?:-\d+)?|mongodb-org|cron|cronie|rsyslog|xinetd"
    r"|runit|s6|redis-server|consul|influxdb|mumble-server|murmur[\w-]*|tor|rabbitmq-server|solr|tcpdump"
    r"|libpcap[\w.-]*)(?=\s|$)"
)
# A CMD that is only an interpreter or a shell: the image is a base for others to build on.
_BARE = frozenset(
    {
        *("python", "python2", "python3", "pypy", "pypy3", "node", "php", "ruby", "irb", "perl", "R"),
        *("sh", "bash", "ash", "dash", "zsh", "jshell", "java", "ghci", "erl", "iex", "julia", "lua"),
        *("bun", "deno", "groovysh", "scala", "clojure", "elixir", "swift", "dotnet", "pwsh"),
    }
)

# Options that give a server its port or address; the port is the digits.
_BIND_ARG = lazy_re(
    r"(?:--port[= ]|--http-port[= ]|--listen[= ]|--bind[= ]|(?<![\w-])-[pb][= ]?)"
    r"(?:(?:[\w.\-]+|\[[0-9a-fA-F:.]*\]):)?(\d{1,5})(?![\w.])"
)
_HOST_PORT = lazy_re(
    r"(?:^|[\s=\"'])(?:\d{1,3}(?:\.\d{1,3}){3}|localhost|\[[0-9a-fA-F:]*\]|\*)?:(\d{1,5})(?![\w.])"
)
_PORT_ENV = lazy_re(r"^(?:[A-Z_]*_)?PORT$")


def image_path_tag(ref: str) -> tuple[str, str]:
    """Return an image reference's path without Docker Hub's `docker.io/library/` prefixes,
    and its tag (empty when none), lower case, the digest dropped: `node:20-slim` ->
    (`node`, `20-slim`)."""
    path = ref.lower().split("@", 1)[0]
    tag = path.rsplit(":", 1)[1] if ":" in path.rsplit("/", 1)[-1] else ""
    path = path.removesuffix(":" + tag) if tag else path
    for prefix in ("docker.io/library/", "index.docker.io/library/", "library/", "docker.io/"):
        path = path.removeprefix(prefix)
    return path, tag


def dropping_image(ref: str) -> str | None:
    """Return why an official image must start as root (see DROPPING_IMAGES), or None."""
    path, tag = image_path_tag(ref)
    if path == "php" and _PHP_SERVER_TAG.search(tag):
        return "its server (Apache or php-fpm) starts as root and drops to `www-data` itself"
    return DROPPING_IMAGES.get(path)


def start_command(chain: tuple[Stage, ...]) -> tuple[Instruction | None, Instruction | None]:
    """Return the ENTRYPOINT and CMD in force at the end of the chain's first stage."""
    entrypoint = cmd = None
    for stage in chain:
        for instr in reversed(stage.instructions):
            if instr.kind == "ENTRYPOINT" and entrypoint is None:
                entrypoint = instr
            elif instr.kind == "CMD" and cmd is None:
                cmd = instr
        # A stage's ENTRYPOINT resets the CMD it inherits: stop at the first one found.
        if entrypoint is not None:
            break
    return entrypoint, cmd


def _text(instr: Instruction | None) -> str:
    if instr is None:
        return ""
    return " ".join(instr.values) if instr.values else instr.args


def process_manager(chain: tuple[Stage, ...]) -> str | None:
    """Return the process manager or daemon the container starts with, if any."""
    entrypoint, cmd = start_command(chain)
    for instr in (entrypoint, cmd):
        m = _MANAGER.search(_text(instr))
        if m:
            return m.group(1)
    return None


def server_package(chain: tuple[Stage, ...]) -> str | None:
    """Return a server package (nginx, supervisor, openssh-server, ...) the chain's RUNs install."""
    return chain_traits(chain).server


_COMMAND_PIECE = lazy_re(r"[^;&|]*[;&|]?")
_INSTALL_WORD = lazy_re(r"\b(?:install|add)\b")


def _server_package_in(text: str) -> str | None:
    """Return _SERVER_PACKAGE's first package in `text`, in time linear in its length.

    A match never crosses `;`, `&` or `|`, so each piece up to and with its separator
    gives the same first match as the whole text; and in a piece, a match from a later
    `install` is reachable from the first one, so only the first is tried. Searched
    whole, every `install` of a RUN continued over thousands of lines without `&&`
    scanned to its end (quadratic: minutes at 10,000 lines).
    """
    for piece in _COMMAND_PIECE.findall(text):
        # A piece without the literal `install` or `add` has no _INSTALL_WORD: no search.
        if (
            ("install" in piece or "add" in piece)
            and (word := _INSTALL_WORD.search(piece))
            and (m := _SERVER_PACKAGE.match(piece, word.start()))
        ):
            return m.group(1)
    return None


def base_for_others(chain: tuple[Stage, ...]) -> str | None:
    """Return why the image looks like a base for other images: no CMD/ENTRYPOINT of its own,
    or a CMD that is only an interpreter or a shell (`python3`, `php -a`, `bash`)."""
    entrypoint, cmd = start_command(chain)
    if entrypoint is None and cmd is None:
        return "it sets no `CMD` or `ENTRYPOINT`"
    if entrypoint is not None and cmd is None:
        words = [
            w.strip("\"'") for w in (entrypoint.values if entrypoint.is_json else entrypoint.args.split())
        ]
        if words and words[0].rsplit("/", 1)[-1] in _BARE and all(w.startswith("-") for w in words[1:]):
            return f"its `ENTRYPOINT` is a bare `{' '.join(words)}`"
    # An ENTRYPOINT that hands its arguments on (`docker-php-entrypoint`, tini) runs the CMD.
    passes_on = entrypoint is None or bool(_PASS_ON.search(_text(entrypoint)))
    if passes_on and cmd is not None:
        words = [w.strip("\"'") for w in (cmd.values if cmd.is_json else cmd.args.split())]
        if words and words[0].rsplit("/", 1)[-1] in _BARE and all(w.startswith("-") for w in words[1:]):
            return f"its `CMD` is a bare `{' '.join(words)}`"
    return None


_PASS_ON = lazy_re(r"^\S*(?:entrypoint[\w.-]*|tini|dumb-init)(?:\s+--)?\s*$")
# The Docker socket (or a client of it): root owns the socket the container gets.
_DOCKER_SOCKET = lazy_re(
    r"docker\.sock|DOCKER_HOST=?\s*unix://|DOCKER_SOCKET|\bpip3?\s+install\b[^;&|]*\bdocker(?:-py)?\b"
    r"|/usr/(?:local/)?bin/docker\b|download\.docker\.com"
)


def docker_socket(chain: tuple[Stage, ...]) -> str | None:
    """Return the instruction that shows the app talks to the Docker socket, or None."""
    return chain_traits(chain).socket


class Traits(NamedTuple):
    """What one instruction's text says about how the app must start (see `traits`)."""

    sudo: bool  # a RUN that calls `sudo`
    dropper: str | None  # the privilege-dropping tool a RUN, COPY or ADD names (gosu, su-exec)
    socket: str | None  # the instruction's line, stripped, when it shows the Docker socket
    server: str | None  # the server package a RUN installs
    low_port: str | None  # how an EXPOSE or ENV declares a port below 1024
    root_home: bool  # a runtime instruction that points into /root, or files put there
    managers: tuple[str, ...]  # the package managers a RUN calls, in order (repeats kept)


_NO_TRAITS = Traits(False, None, None, None, None, False, ())
# The instructions `traits` reads anything of: any other one has none.
_TRAIT_KINDS = frozenset(
    {"RUN", "COPY", "ADD", "ENV", "VOLUME", "CMD", "ENTRYPOINT", "EXPOSE", "WORKDIR", "HEALTHCHECK"}
)


def traits(instr: Instruction) -> Traits:
    """Return what `instr` says about how the app must start (read afresh, no cache)."""
    if instr.kind not in _TRAIT_KINDS:
        return _NO_TRAITS
    return read_traits(instr)


def read_traits(instr: Instruction) -> Traits:
    """Return `traits(instr)`, computed (not cached).

    Each pattern is searched only where its literal part is in the text (a substring test
    is many times cheaper than a search, and most instructions name none of them)."""
    kind, line = instr.kind, instr.line
    joined = " ".join(instr.values)
    text = joined if instr.values else instr.args
    run_text = (joined or instr.args) if kind == "RUN" else ""
    dropper = None
    if kind in ("RUN", "COPY", "ADD") and ("gosu" in line or "su-exec" in line or "s6-overlay" in line):
        dropper = _DROPS_ROOT.search(line)
    # Every alternative of _DOCKER_SOCKET spells `docker` or `DOCKER`.
    socket = (
        kind in ("ENV", "VOLUME", "CMD", "ENTRYPOINT", "RUN")
        and ("docker" in text or "DOCKER" in text)
        and _DOCKER_SOCKET.search(f"{kind} {text}".replace("DOCKER_HOST ", "DOCKER_HOST="))
    )
    values = joined if kind == "RUN" else ""
    named = "apt" in values or "apk" in values or "yum" in values or "dnf" in values
    managers = _PACKAGE_RE.findall(values) if named else ()
    return Traits(
        sudo="sudo" in run_text and bool(_SUDO.search(run_text)),
        dropper=dropper.group(1) if dropper else None,
        socket=line.strip() if socket else None,
        server=_server_package_in(run_text) if "install" in run_text or "add" in run_text else None,
        low_port=_declared_low_port(instr) if kind in ("EXPOSE", "ENV") else None,
        root_home=_points_into_root_home(instr),
        managers=tuple(managers),
    )


_SUDO = lazy_re(r"(?:^|[\s;&|(])sudo\s")
# (Every name it finds starts with `apt`, `apk`, `yum` or `dnf`: see read_traits.)
_PACKAGE_RE = lazy_re(r"(?:^|[\s;&|(])(apt-get|apt|apk|yum|dnf)\s+\S")
# Tools an entrypoint uses to start as root (to fix volume ownership, say) and then drop
# to a user itself, as the official database images do.
_DROPS_ROOT = lazy_re(r"\b(gosu|su-exec|s6-overlay)\b")
# Instructions whose text says where the app runs from and reads its files.
_RUNTIME_KINDS = frozenset({"CMD", "ENTRYPOINT", "WORKDIR", "ENV", "HEALTHCHECK"})
_ROOT_HOME = lazy_re(r"(?:^|[\s\"'=:])(?:/root|~)(?:/|\s|\"|'|$)")


def _points_into_root_home(instr: Instruction) -> bool:
    """Return whether a runtime instruction points into root's home, or a COPY, ADD or
    VOLUME puts files there (for the app to read)."""
    if instr.kind in _RUNTIME_KINDS and ("/root" in instr.args or "~" in instr.args):
        return bool(_ROOT_HOME.search(instr.args))
    if instr.kind in ("COPY", "ADD", "VOLUME") and instr.values:
        dests = instr.values if instr.kind == "VOLUME" else instr.values[-1:]
        return any(_ROOT_HOME.search(" " + d) for d in dests if "/root" in d or "~" in d)
    return False


def chain_traits(chain: tuple[Stage, ...]) -> Traits:
    """Return the traits of the chain's instructions, in order: whether any calls `sudo`,
    the first of each other finding, every package manager called."""
    sudo, root_home = False, False
    dropper = socket = server = port = None
    managers: list[str] = []
    for stage in chain:
        for instr in stage.instructions:
            found = traits(instr)
            if found is _NO_TRAITS:
                continue
            sudo = sudo or found.sudo
            dropper = dropper or found.dropper
            socket = socket or found.socket
            server = server or found.server
            port = port or found.low_port
            root_home = root_home or found.root_home
            managers += found.managers
    return Traits(sudo, dropper, socket, server, port, root_home, tuple(managers))


def uses_sudo(chain: tuple[Stage, ...]) -> bool:
    """Return whether a RUN of the chain calls `sudo`: the base then runs as a non-root user."""
    return chain_traits(chain).sudo


def low_port(chain: tuple[Stage, ...]) -> str | None:
    """Return how the app shows it binds a port below 1024 (`EXPOSE 80`, `--port 80`), or None."""
    return chain_traits(chain).low_port or bound_port(chain)


def bound_port(chain: tuple[Stage, ...]) -> str | None:
    """Return the bind argument below 1024 in the chain's CMD or ENTRYPOINT (`--port 80`), or None."""
    for start in start_command(chain):
        text = _text(start)
        for pattern in (_BIND_ARG, _HOST_PORT):
            for m in pattern.finditer(text):
                if start is not None and 0 < int(m.group(1)) < 1024:
                    return f"`{m.group(0).strip()}` in its {start.kind}"
    return None


def _declared_low_port(instr: Instruction) -> str | None:
    """Return how an EXPOSE or ENV declares a port below 1024 (`EXPOSE 80`), or None."""
    if instr.kind == "EXPOSE":
        for word in instr.args.split():
            m = _EXPOSED.match(word)
            if m and 0 < int(m.group(1)) < 1024:
                return f"`EXPOSE {word}`"
    elif instr.kind == "ENV":
        for key, value in env_pairs(instr):
            # _PORT_ENV's keys end in PORT: most keys are ruled out without a match.
            if key.endswith("PORT") and _PORT_ENV.match(key) and value.isdigit() and 0 < int(value) < 1024:
                return f"`ENV {key}={value}`"
    return None


_EXPOSED = lazy_re(r"(\d{1,5})(?:-\d+)?(?:/\w+)?$")


def env_pairs(instr: Instruction) -> Iterator[tuple[str, str]]:
    """Yield the key/value pairs of an ENV (the parser gives them as key, value, key, ...)."""
    words = instr.values
    for i in range(0, len(words) - 1, 2):
        yield words[i], _unquote(words[i + 1])


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


# ENV keys naming a folder (or a file in a folder) the app writes to.
_WRITE_KEY = lazy_re(
    r"(?:^|_)(?:LOG|LOGS|LOGGING|DATA|UPLOAD|UPLOADS|MEDIA|STORAGE|STATE|CACHE|DB|DATABASE|SQLITE|TMP|TEMP"
    r"|OUTPUT|WORK|SPOOL|RUNTIME|SESSION|SESSIONS|INSTANCE)(?:_|$)"
)
_FOLDER_KEY = lazy_re(r"(?:DIR|DIRECTORY|PATH|FOLDER|ROOT|HOME|LOCATION)$")
_FILE_KEY = lazy_re(r"(?:FILE|FILENAME|URL|URI|DSN|PATH)$")
_SQLITE_URL = lazy_re(r"sqlite[\w+]*:///(/?)([^\s\"'?]+)")
# Paths the system owns: a user never needs to own them (and must not).
_SYSTEM_TOP = ("/var", "/opt", "/home", "/mnt", "/media", "/srv")
_SYSTEM = (
    "/usr",
    "/etc",
    "/bin",
    "/sbin",
    "/lib",
    "/lib64",
    "/boot",
    "/dev",
    "/proc",
    "/sys",
    "/root",
    "/var/lib/apt",
    "/var/lib/dpkg",
    "/var/cache/apt",
    "/tmp",
    "/var/tmp",
    "/run",
    "/var/run",
)


def is_system_path(path: str) -> bool:
    """Return whether `path` is in a folder the system owns (`/usr`, `/etc`, `/tmp`, ...)."""
    return path in ("/", *_SYSTEM_TOP) or any(path == p or path.startswith(p + "/") for p in _SYSTEM)


def _literal_dir(path: str) -> str | None:
    """Return `path` normalised when it is a plain absolute folder path, else None."""
    if not path.startswith("/") or any(c in path for c in "$*?[]{}`\\~ \t&;|<>()'\"#!"):
        return None
    path = posixpath.normpath("/" + path.lstrip("/"))  # POSIX keeps a leading `//`
    return None if is_system_path(path) else path


class Writable(NamedTuple):
    """A folder the app writes to, and what shows it (for messages and tests)."""

    path: str
    why: str
    made_by: Instruction | None  # the RUN whose `mkdir` creates it, when one does


def writable_folders(stage: Stage, facts: Facts) -> list[Writable] | str:
    """Return the folders the final stage creates or names for the app to write to.

    From `mkdir` in its RUNs, its `VOLUME`s, and ENV values naming a log, data or upload
    folder (or a file in one, such as `sqlite:////data/app.db`). Returns a message when
    the app writes a database file next to its code (a relative sqlite path).
    """
    found: dict[str, Writable] = {}

    def add(path: str, why: str, made_by: Instruction | None = None) -> None:
        folder = _literal_dir(path)
        # A RUN's `mkdir` wins: the fix must not make a folder that `mkdir` (without -p) makes later.
        if folder is not None and (folder not in found or (made_by and found[folder].made_by is None)):
            found[folder] = Writable(folder, why, made_by)

    owned: set[str] = set()
    env: dict[str, str] = {}
    for instr in stage.instructions:
        if instr.kind == "RUN" and ("mkdir" in instr.args or "chown" in instr.args):
            script = split_commands(instr.args) if not instr.is_json and not instr.heredocs else None
            for cmd in script.commands if script else ():
                owned.update(chown_paths(cmd))
                for path in _mkdir_paths(cmd):
                    # Only folders named for what an app writes: the others hold code or tools.
                    if not runtime.unconditional(script, cmd):
                        continue
                    if _WRITE_NAME.search(path):
                        add(path, f"`mkdir {path}`", instr)
                    # Not a shortcut of issue 14: the rule's own test of an empty folder.
                    elif (
                        (folder := _literal_dir(path)) is not None
                        and runtime.configured(facts.chain(stage), folder)
                        and runtime.left_empty(facts.chain(stage), instr, folder)
                    ):
                        add(path, f"`mkdir {path}`", runtime.late_run(stage, instr, folder))
        elif instr.kind == "VOLUME":
            for path in instr.values if instr.is_json else instr.args.split():
                resolved = _expand(path, env)
                if resolved is None:
                    return f"`VOLUME {path}` is set by a variable dffix cannot read"
                add(resolved, f"`VOLUME {path}`")
        elif instr.kind in ("CMD", "ENTRYPOINT"):
            for m in _DIR_ARG.finditer(_text(instr)):
                add(m.group(1) or m.group(2), f"`{m.group(0)}` in its {instr.kind}")
        elif instr.kind == "ENV":
            for key, value in env_pairs(instr):
                env[key] = value
                if key == "HOME":
                    add(value, "`ENV HOME`")
                url = _SQLITE_URL.search(value)
                if url:
                    if not url.group(1):
                        return f"`ENV {key}` puts a sqlite database next to the code (`{value}`)"
                    add(posixpath.dirname("/" + url.group(2)), f"`ENV {key}`")
                elif _WRITE_KEY.search(key.upper()) and value.startswith("/"):
                    if _FOLDER_KEY.search(key.upper()) and not posixpath.splitext(value)[1]:
                        add(value, f"`ENV {key}`")
                    elif _FILE_KEY.search(key.upper()):
                        add(posixpath.dirname(value), f"`ENV {key}`")
    # Rails writes log/ and tmp/ (pids, cache) in the app's folder at start.
    start, args = start_command((stage,))
    if _RAILS.search(f"{_text(start)} {_text(args)}"):
        workdir = _final_workdir(stage)
        if workdir != "/":
            add(f"{workdir}/log", "Rails' log folder")
            add(f"{workdir}/tmp", "Rails' tmp folder")
    code = code_destinations(stage)
    # The code's own folders stay root-owned (a VOLUME says otherwise); a folder inside
    # them the app writes to does not.
    # A folder the file already gives a user keeps that owner.
    return [
        w
        for w in found.values()
        if not (w.made_by is not None and w.path in code)
        and not any(w.path == o or w.path.startswith(o + "/") for o in owned)
    ]


# Folder names that say an app writes there.
_WRITE_NAME = lazy_re(
    r"(?:^|/|[_.-])(?:logs?|data|uploads?|media|cache|storage|state|db|database|sessions?|output|instance"
    r"|spool|tmp|temp|files|userdata)(?:$|/|[_.-])",
)


def chown_target(cmd: Command) -> str | None:
    """Return the `user[:group]` a `chown` command gives, or None for another command."""
    if (cmd.name or "").rsplit("/", 1)[-1] != "chown":
        return None
    words = [a for a in cmd.argv[1:] if not a.startswith("-")]
    return words[0] if len(words) >= 2 else None


def chown_paths(cmd: Command) -> list[str]:
    """Return the absolute folders a `chown` to a non-root user gives away."""
    owner = chown_target(cmd)
    if owner is None or owner.split(":", 1)[0] in ("root", "0", ""):
        return []
    words = [a for a in cmd.argv[1:] if not a.startswith("-")]
    return [posixpath.normpath(w) for w in words[1:] if w.startswith("/")]


# Options that name the folder a server keeps its data, logs or state in.
_DIR_ARG = lazy_re(
    r"(?<![\w-])--?(?:data|log|logs|cache|state|storage|work|db)[-_]?(?:dir|path|directory|root)"
    r"[= ](/[^\s\"',;]+)"
    r"|(?<![\w-])--datadir[= ](/[^\s\"',;]+)"
)


def _expand(word: str, env: dict[str, str]) -> str | None:
    """Return `word` with `$X`/`${X}` replaced from `env`, or None when a variable is unknown."""
    unknown = False

    def value(m: re.Match[str]) -> str:
        nonlocal unknown
        name = m.group(1) or m.group(2)
        if name not in env or "$" in env[name]:
            unknown = True
            return ""
        return env[name]

    out = re.sub(r"\$\{(\w+)\}|\$(\w+)", value, word)
    return None if unknown or "$" in out else out


def _mkdir_paths(cmd: Command) -> list[str]:
    if (cmd.name or "").rsplit("/", 1)[-1] != "mkdir":
        return []
    paths, args = [], list(cmd.argv[1:])
    while args:
        arg = args.pop(0)
        if arg in ("-m", "--mode", "-Z", "--context") and args:
            args.pop(0)
        elif not arg.startswith("-"):
            paths.append(arg)
    return paths


_RAILS = lazy_re(r"(?:^|[\s/\"'])(?:rails|puma|unicorn|passenger)(?=$|[\s\"'])")


def _final_workdir(stage: Stage) -> str:
    """Return the WORKDIR in force at the end of the stage (`/` when none is set)."""
    workdir = "/"
    for instr in stage.instructions:
        if instr.kind == "WORKDIR" and instr.args.strip():
            workdir = posixpath.normpath(posixpath.join(workdir, instr.args.strip()))
    return workdir


def code_destinations(stage: Stage) -> set[str]:
    """Return the WORKDIRs of the stage and the folders its COPY/ADD from the context fill."""
    out: set[str] = set()
    workdir = "/"
    for instr in stage.instructions:
        if instr.kind == "WORKDIR" and instr.args.strip():
            path = instr.args.strip()
            workdir = posixpath.normpath(posixpath.join(workdir, path))
            out.add(workdir)
        elif instr.kind in ("COPY", "ADD") and instr.flag("from") is None:
            words = list(instr.values) if instr.values else instr.args.split()
            if len(words) >= 2:
                dest = words[-1]
                out.add(posixpath.normpath(posixpath.join(workdir, dest)))
    return out


# Source files worth a look for a database file next to the code, and how much of them.
_SOURCE_EXT = frozenset(
    {
        ".py",
        ".js",
        ".mjs",
        ".cjs",
        ".ts",
        ".rb",
        ".php",
        ".go",
        ".env",
        ".cfg",
        ".ini",
        ".toml",
        ".yaml",
        ".yml",
        ".json",
        ".conf",
    }
)
_DB_EXT = frozenset({".db", ".sqlite", ".sqlite3"})
_MAX_FILES = 200
_MAX_BYTES = 200_000
_SKIP_DIRS = frozenset({".git", "node_modules", "venv", ".venv", "__pycache__", "vendor", "dist", "build"})
_SQLITE_USE = lazy_re(r"sqlite")


def writes_next_to_code(chain: tuple[Stage, ...], context: BuildContext | None) -> str | None:
    """Return how the file (or the code it copies) shows the app writes a database file in
    its own folder, or None.

    `manage.py migrate` at start writes Django's database; a relative sqlite URL, a
    `.db`/`.sqlite3` file or code that opens sqlite in the context write next to the code.
    """
    entrypoint, cmd = start_command(chain)
    for instr in (entrypoint, cmd):
        text = _text(instr)
        if _MIGRATES.search(text):
            return f"its {instr.kind if instr else 'CMD'} migrates a database at start-up"
        url = _SQLITE_URL.search(text)
        if url and not url.group(1):
            return f"its {instr.kind if instr else 'CMD'} opens a sqlite database next to the code"
    if context is None or not any(
        i.kind in ("COPY", "ADD") and i.flag("from") is None for i in chain[0].instructions
    ):
        return None
    return context.cached("reference.context_writes", lambda: _context_writes(context))


def _context_writes(context: BuildContext) -> str | None:
    """Return how the context's files show the app writes next to its code, or None (the
    folder alone decides: read once per context, not on every fixer pass)."""
    for relative in _context_files(context):
        name = posixpath.basename(relative)
        ext = posixpath.splitext(name)[1].lower()
        if ext in _DB_EXT:
            return f"the context holds a database file (`{relative}`)"
        if ext in _SOURCE_EXT:
            source = context.read_text(relative, limit=_MAX_BYTES)
            if source and _SQLITE_USE.search(source) and _relative_sqlite(source):
                return f"`{relative}` opens a sqlite database by a relative path"
            write = _RELATIVE_WRITE.search(source or "")
            if write:
                return f"`{relative}` writes a file by a relative path (`{write.group(0)}`)"
    return None


_MIGRATES = lazy_re(r"manage\.py\s+(?:migrate|syncdb)|\bflask\s+db\s+upgrade|\balembic\s+upgrade")
_RELATIVE_DB = lazy_re(
    r"sqlite[\w+]*:///(?!/)|sqlite3?\.connect\(\s*[\"'](?!/|:memory:)[^\"']+[\"']"
    r"|[\"'](?:\./)?[\w.-]+\.(?:db|sqlite3?)[\"']|BASE_DIR\s*/\s*[\"'][\w.-]+\.sqlite3"
    r"|os\.path\.join\(\s*BASE_DIR\s*,\s*[\"'][\w.-]+\.sqlite3"
)
# A log (or other) file the code writes by a relative path: `filename="app.log"`,
# `FileHandler("app.log")`, `open("out.log", "a")`.
_RELATIVE_WRITE = lazy_re(
    r"(?:\bfilename\s*=\s*|FileHandler\(\s*|RotatingFileHandler\(\s*)[\"'](?!/)[\w./-]+[\"']"
    r"|\bopen\(\s*[\"'](?!/)[\w./-]+\.(?:log|txt|csv|json|out)[\"']\s*,\s*[\"'][aw]"
)


# A port the code binds: `":80"` (Go), `port=80`, `.listen(80`, `PORT || 80`, `("0.0.0.0", 80)`.
_CODE_PORT = lazy_re(
    r"(?:ListenAndServe(?:TLS)?\(\s*[\"'`][\w.\[\]-]*:|[\"'`](?:0\.0\.0\.0|localhost|127\.0\.0\.1|\[::\])?:"
    r"|\bport\s*[=:]\s*|\.listen\(\s*|\|\|\s*|[\"'](?:0\.0\.0\.0|localhost|127\.0\.0\.1)[\"']\s*,\s*)"
    r"(\d{2,3})(?![\w.])",
    re.IGNORECASE,
)


def low_port_in_code(facts: Facts) -> str | None:
    """Return where the code the file copies from the context (in any stage: a build stage
    compiles it) binds a port below 1024 (`main.go`: `":80"`), or None."""
    context = facts.context
    if context is None or not any(
        i.kind in ("COPY", "ADD") and i.flag("from") is None for st in facts.stages for i in st.instructions
    ):
        return None
    return context.cached("reference.code_port", lambda: _code_port(context))


def _code_port(context: BuildContext) -> str | None:
    """Return where the context's code binds a port below 1024, or None (the folder alone
    decides: read once per context, not on every fixer pass)."""
    for relative in _context_files(context):
        if posixpath.splitext(relative)[1].lower() not in _CODE_EXT:
            continue
        source = context.read_text(relative, limit=_MAX_BYTES)
        for m in _CODE_PORT.finditer(source or ""):
            if 0 < int(m.group(1)) < 1024:
                return f"`{relative}`: `{m.group(0).strip()}`"
    return None


_CODE_EXT = frozenset({".py", ".js", ".mjs", ".cjs", ".ts", ".rb", ".php", ".go", ".java", ".rs", ".env"})


def _relative_sqlite(text: str) -> bool:
    return bool(_RELATIVE_DB.search(text))


def _context_files(context: BuildContext) -> tuple[str, ...]:
    """Return up to _MAX_FILES regular files of the context's top two levels, sorted
    (listed once per context: the same on every fixer pass)."""
    return context.cached("reference.context_files", lambda: tuple(_list_context_files(context)))


def _list_context_files(context: BuildContext) -> Iterator[str]:
    seen = 0
    root = os.fspath(context.root)
    for top in context.names():
        if top in _SKIP_DIRS or top.startswith("."):
            continue
        full = os.path.join(root, top)
        try:
            if os.path.isfile(full):
                yield top
                seen += 1
            elif os.path.isdir(full) and not os.path.islink(full):
                for name in sorted(os.listdir(full))[:_MAX_FILES]:
                    if os.path.isfile(os.path.join(full, name)):
                        yield f"{top}/{name}"
                        seen += 1
                        if seen >= _MAX_FILES:
                            return
        except OSError:
            continue
        if seen >= _MAX_FILES:
            return


# -- rules/user.py --

if TYPE_CHECKING:
    from typing import ClassVar


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
_NONROOT_BASE = lazy_re(
    r"nonroot|rootless|unprivileged|chiseled|^cgr\.dev/|^(?:docker\.io/)?bitnami/"
    r"|^(?:docker\.io/|quay\.io/)?jupyter/|^(?:docker\.io/)?(?:jenkins/jenkins|grafana/grafana|sonarqube)(?:[:@]|$)"
    r"|^(?:docker\.io/(?:library/)?)?(?:memcached|solr|odoo|kibana|logstash)(?:[:@]|$)"
    r"|^docker\.elastic\.co/(?:kibana|logstash)/"
)
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


def _package_family(managers: tuple[str, ...]) -> Family | str | None:
    """Return the family the package managers the RUNs call (see `Traits.managers`) point to.

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


def _family(chain: tuple[Stage, ...], seen: Traits) -> Family | str:
    """Return how the final stage adds users, or why we cannot tell (`seen`: the chain's traits)."""
    ref = chain[-1].base
    if "$" in ref:
        return f"the base image `{ref}` is set by a variable"
    if "%" in ref or ref != ref.lower():
        return f"the base image `{ref}` is a placeholder, not an image name"
    if _NO_USERADD.search(ref.lower()):
        return f"`{ref}` has no `useradd` or `adduser`"
    from_image, from_packages = image_family(ref), _package_family(seen.managers)
    if isinstance(from_packages, str):
        return from_packages
    if from_image and from_packages and from_image is not from_packages:
        return f"the base image `{ref}` and the package manager of its RUNs disagree"
    family = from_image or from_packages
    if family is None:
        return f"dffix does not know how to add a user on `{ref}`"
    return family


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


def same_case_as_file(df: Dockerfile, keyword: str) -> str:
    """Return `keyword` in the case most of the file's instructions use."""
    lower = sum(1 for i in df.all_instructions if i.keyword.islower())
    return keyword.lower() if lower * 2 > len(df.all_instructions) else keyword.upper()


class RootFinalUser(Rule):
    """DF301 as it was (see the module docstring)."""

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
        value = last.values[0] if last else "root"
        # A user from a variable could be anyone; a non-root user is what we want.
        if "$" in value or not _is_root(value):
            return
        fix: Fix | str
        if last is None:
            if _NONROOT_BASE.search(ref.lower()):
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
        family = _family(chain, seen)
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
        if "LABEL" in stage.kinds and any(
            i.kind == "LABEL" and "com.github.actions" in i.args for i in stage.instructions
        ):
            return "it is a GitHub Action (its `com.github.actions` labels), and GitHub runs actions as root"
        # `python:3-onbuild` and the like copy the code when `FROM` runs, before any line of
        # this file: a user's RUN would come after the code and re-run on every change.
        if _ONBUILD_TAG.search(chain[-1].base.lower()):
            return (
                f"`{chain[-1].base}` copies the code with its ONBUILD triggers before this file's first "
                "line, so the user's RUN would re-run on every code change"
            )
        dropping = dropping_image(chain[-1].base)
        if dropping is not None:
            return f"`{chain[-1].base}` must start as root: {dropping}"
        dropper = seen.dropper
        if dropper:
            return f"it installs `{dropper}`, so its entrypoint probably starts as root on purpose"
        manager = process_manager(chain)
        if manager:
            return f"it starts `{manager}`, which expects to start as root"
        socket = seen.socket
        if socket:
            return f"`{socket}` talks to the Docker socket, which only root may open"
        # Not a shortcut of issue 14: the rule's own refusal, the same function.
        from dffix.rules.runtime import root_only_hint, start_command

        hint = root_only_hint(df, start_command(chain))
        if hint is not None:
            return hint
        server = seen.server
        if server:
            return f"it installs `{server}`, which expects to start as root (a wrapper script may start it)"
        port = seen.low_port or bound_port(chain) or low_port_in_code(facts)
        if port:
            return f"the app binds a port below 1024 ({port}), which only root may do"
        home = _uses_root_home(stage)
        if home is not None:
            return f"`{home}` uses /root, which only root may enter: move those files first"
        writes = writes_next_to_code(chain, facts.context)
        if writes is not None:
            return (
                f"{writes}, and the code's folder is root-owned: "
                "give the user that folder and set `USER` yourself"
            )
        base = base_for_others(chain)
        if base is not None:
            return f"{base}, so it looks like a base for other images, which install packages as root"
        # Not a shortcut of issue 14: the rule's own refusal, the same function.
        from dffix.rules.runtime import unseen_code

        unseen = unseen_code(chain, facts)
        if unseen is not None:
            return unseen
        return runtime.empty_workdir(chain, start_command(chain))

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
        user_line = f"{same_case_as_file(df, 'USER')} {value}"
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
            run = f"{same_case_as_file(df, 'RUN')} " + " && ".join(setup)
            if anchor is None:
                tail_lines.insert(0, run)
            else:
                edit = _insert_before(df, stage, anchor, [run])
                if isinstance(edit, str):
                    return edit
                edits.append(edit)
        for made_by in dict.fromkeys(f.made_by for f in made if f.made_by is not None):
            where = made_by.line.strip()
            # Not a shortcut of issue 14: the rule's own test, the same function.
            if named_owner and create is None and not created_by(stage, made_by, owner):
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


class BaseUser(NamedTuple):
    """A non-root user an image ships: what `USER` names and what `chown` gives."""

    user: str
    owner: str


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
