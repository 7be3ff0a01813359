"""What a final stage's app needs at run time, read from the Dockerfile (and its context).

DF301 uses these facts to decide whether a non-root user can run the app: a process
manager or a daemon that drops privileges itself, a port below 1024, folders the app
writes to, a database file next to the code. Each function returns a reason (a short
phrase for a message) or the folders found; none of them reads more than a bounded
part of the build context.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections import deque
from collections.abc import Iterator

from dffix.facts import BuildContext, Facts, Stage
from dffix.files import is_dockerfile_name
from dffix.lazy import lazy_re
from dffix.memo import file_cache
from dffix.rules.apt import can_append, mount_target
from dffix.rules.records import Traits as Traits, Writable as Writable
from dffix.syntax.shell import Command, Kind, Script, Token, split_commands, unquote
from dffix.syntax.tree import Dockerfile, Instruction, Trivia

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
        if "ENTRYPOINT" not in stage.kinds and "CMD" not in stage.kinds:
            continue  # nothing to find: no walk
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


# The ENTRYPOINT and CMD of a chain (see start_command): the functions that read them take
# them found already, when the caller asks several.
Start = tuple[Instruction | None, Instruction | None]


def process_manager(chain: tuple[Stage, ...], start: Start | None = None) -> str | None:
    """Return the process manager or daemon the container starts with, if any (`start`:
    the chain's `start_command`, when found already)."""
    for instr in start or start_command(chain):
        m = _MANAGER.search(_text(instr)) if instr is not None else None
        if m:
            return m.group(1)
    return None


def server_package(chain: tuple[Stage, ...]) -> str | None:
    """Return a server package (nginx, supervisor, openssh-server, ...) the chain's RUNs install.

    Not one of the `traits`: DF301 asks only when no USER, base image, privilege dropper
    or start command decided first (most files are decided before), and searching every
    install list was the dearest of the reads."""
    for stage in chain:
        if "RUN" not in stage.kinds:
            continue
        for instr in stage.instructions:
            if instr.kind == "RUN" and (found := _run_server(" ".join(instr.values) or instr.args)):
                return found
    return None


def chain_managers(chain: tuple[Stage, ...]) -> tuple[str, ...]:
    """Return the package managers the chain's RUNs call (apt-get, apk, yum, ...), in order,
    repeats kept.

    Not one of the `traits`: DF301 asks only to tell a base's family apart (a fifth of
    the corpus's files get that far)."""
    found: list[str] = []
    for stage in chain:
        if "RUN" not in stage.kinds:
            continue
        for instr in stage.instructions:
            if instr.kind == "RUN":
                found += _run_managers(" ".join(instr.values))
    return tuple(found)


# Keyed by the RUN's text: a one-value RUN's join is that value itself, whose hash the
# string keeps, so a RUN no fix touched costs a lookup.
@file_cache(4096)
def _run_server(text: str) -> str | None:
    return _server_package_in(text) if "install" in text or "add" in text else None


@file_cache(4096)
def _run_managers(joined: str) -> tuple[str, ...]:
    named = "apt" in joined or "apk" in joined or "yum" in joined or "dnf" in joined
    return _package_managers(joined) if named else ()


_INSTALL_LITERAL = lazy_re(r"install|add")
_INSTALL_WORD = lazy_re(r"\b(?:install|add)\b")
_SEPARATOR = lazy_re(r"[;&|]")


def _server_package_in(text: str) -> str | None:
    """Return _SERVER_PACKAGE's first package in `text`, in time linear in its length.

    A match never crosses `;`, `&` or `|`, so each piece of the text up to and with its
    separator gives the same first match as the whole text; and in a piece, a match from
    a later `install` is reachable from the first one, so only the first is tried, and
    after it fails the search goes on past the piece's separator. Searched whole, every
    `install` of a RUN continued over thousands of lines without `&&` scanned to its end
    (quadratic: minutes at 10,000 lines). The words are found by their literal (which the
    engine skips to; _INSTALL_WORD starts with `\b` and tried every position), and the
    pieces are not cut out of the text.
    """
    after = 0  # where the piece after the last one tried starts
    for literal in _INSTALL_LITERAL.finditer(text):
        at = literal.start()
        if at < after or _INSTALL_WORD.match(text, at) is None:
            continue
        m = _SERVER_PACKAGE.match(text, at)
        if m:
            return m.group(1)
        separator = _SEPARATOR.search(text, literal.end())
        if separator is None:
            return None
        after = separator.end()
    return None


def base_for_others(chain: tuple[Stage, ...], start: Start | None = None) -> str | None:
    """Return why the image looks like a base for other images: no CMD/ENTRYPOINT of its own,
    or a CMD that is only an interpreter or a shell (`python3`, `php -a`, `bash`) (`start`:
    the chain's `start_command`, when found already)."""
    entrypoint, cmd = start or start_command(chain)
    if entrypoint is None and cmd is None:
        return "it sets no `CMD` or `ENTRYPOINT`"
    if entrypoint is not None and cmd is None:
        bare = _bare(entrypoint)
        if bare is not None:
            return f"its `ENTRYPOINT` is a bare `{bare}`"
    # An ENTRYPOINT that hands its arguments on (`docker-php-entrypoint`, tini) runs the CMD.
    passes_on = entrypoint is None or bool(_PASS_ON.search(_text(entrypoint)))
    if passes_on and cmd is not None:
        bare = _bare(cmd)
        if bare is not None:
            return f"its `CMD` is a bare `{bare}`"
    return None


def _bare(instr: Instruction) -> str | None:
    """Return a CMD's or ENTRYPOINT's words, unquoted, when they are only an interpreter or
    a shell and options (`python3`, `php -a`), else None."""
    words = instr.values if instr.is_json else instr.args.split()
    # The first word decides most: the others are unquoted only for a bare one.
    if not words or words[0].strip("\"'").rsplit("/", 1)[-1] not in _BARE:
        return None
    unquoted = [w.strip("\"'") for w in words]
    return " ".join(unquoted) if all(w.startswith("-") for w in unquoted[1:]) else None


_PASS_ON = lazy_re(r"^\S*(?:entrypoint[\w.-]*|tini|dumb-init)(?:\s+--)?\s*$")
# The Docker socket (or a client of it): root owns the socket the container gets.
_DOCKER_SOCKET = lazy_re(
    r"docker\.sock|DOCKER_HOST=?\s*unix://|DOCKER_SOCKET|\bpip3?\s+install\b[^;&|]*\bdocker(?:-py)?\b"
    r"|/usr/(?:local/)?bin/docker\b|download\.docker\.com"
)


def docker_socket(chain: tuple[Stage, ...]) -> str | None:
    """Return the instruction that shows the app talks to the Docker socket, or None."""
    return chain_traits(chain).socket


_NO_TRAITS = Traits(False, None, None, None, False)
# The instructions `traits` reads anything of: any other one has none.
_TRAIT_KINDS = frozenset(
    {"RUN", "COPY", "ADD", "ENV", "VOLUME", "CMD", "ENTRYPOINT", "EXPOSE", "WORKDIR", "HEALTHCHECK"}
)


def traits(instr: Instruction) -> Traits:
    """Return what `instr` says about how the app must start.

    Pure in the instruction's keyword, values, arguments and logical line, never where
    it is; DF301 asks for every instruction of the final stage on every fixer pass, so
    the answer is cached by those: an instruction no fix touched is read once per file."""
    if instr.kind not in _TRAIT_KINDS:
        return _NO_TRAITS
    return _cached_traits(instr.kind, instr.values, instr.args, instr.line)


# The four fields themselves are the key: lru_cache builds and hashes it in C, with no
# key object and no Python call per question (a memo.Shape key cost five calls per
# instruction on every check, and every pass's parse makes new instruction objects).
# The parser shares the strings and values of a line no fix touched between passes, so
# their hashes are already computed.
@file_cache(4096)
def _cached_traits(kind: str, values: tuple[str, ...], args: str, line: str) -> Traits:
    return _read_traits(kind, values, args, line)


def read_traits(instr: Instruction) -> Traits:
    """Return `traits(instr)`, computed (not cached)."""
    return _read_traits(instr.kind, instr.values, instr.args, instr.line)


def _read_traits(kind: str, values: tuple[str, ...], args: str, line: str) -> Traits:
    """Return the traits of the instruction with these fields (see `read_traits`).

    Each pattern is searched only where its literal part is in the text (a substring test
    is many times cheaper than a search, and most instructions name none of them), and
    only for the keywords it concerns. An instruction with none of them gets _NO_TRAITS
    itself, which chain_traits skips."""
    joined = " ".join(values)
    text = joined if values else args
    if kind == "RUN":
        return _run_traits(joined or args, text, line)
    dropper = _dropper(line) if kind in ("COPY", "ADD") else None
    socket = kind in _SOCKET_KINDS and _shows_socket(kind, text)
    low_port = _declared_low_port(kind, values, args) if kind in ("EXPOSE", "ENV") else None
    root_home = _points_into_root_home(kind, values, args)
    if not (dropper or socket or low_port or root_home):
        return _NO_TRAITS
    return Traits(False, dropper, line.strip() if socket else None, low_port, root_home)


def _run_traits(run_text: str, text: str, line: str) -> Traits:
    """Return the traits of a RUN: `run_text` its values joined or, when that is empty, its
    arguments (`sudo`), `text` the joined values or, without values, its arguments (the
    socket); `line` its logical line."""
    sudo = "sudo" in run_text and bool(_SUDO.search(run_text))
    dropper = _dropper(line)
    socket = _shows_socket("RUN", text)
    if not (sudo or dropper or socket):
        return _NO_TRAITS
    return Traits(sudo, dropper, line.strip() if socket else None, None, False)


def _dropper(line: str) -> str | None:
    """Return the privilege-dropping tool (_DROPS_ROOT) a RUN, COPY or ADD line names, or None."""
    if "gosu" in line or "su-exec" in line or "s6-overlay" in line:
        m = _DROPS_ROOT.search(line)
        return m.group(1) if m else None
    return None


_SOCKET_KINDS = frozenset({"ENV", "VOLUME", "CMD", "ENTRYPOINT"})  # and RUN (_run_traits)


def _shows_socket(kind: str, text: str) -> bool:
    """Return whether the instruction's text shows the Docker socket (_DOCKER_SOCKET)."""
    # Every alternative of _DOCKER_SOCKET spells `docker` or `DOCKER`, and one of the
    # literals below (neither the keyword before the text nor the replace makes one): PHP's
    # `docker-php-ext-install` alone is no reason to search.
    return (
        ("docker" in text or "DOCKER" in text)
        and (
            "docker.sock" in text
            or "DOCKER_" in text
            or "pip" in text
            or "bin/docker" in text
            or "download.docker.com" in text
        )
        and bool(_DOCKER_SOCKET.search(f"{kind} {text}".replace("DOCKER_HOST ", "DOCKER_HOST=")))
    )


_SUDO = lazy_re(r"(?:^|[\s;&|(])sudo\s")
# A package manager's name and the start of its arguments. A call is such a name at the
# start of the text or after a blank or one of `;&|(` that no call found before it took
# (see _package_managers: every name starts with `apt`, `apk`, `yum` or `dnf`).
_PACKAGE_NAME = lazy_re(r"(apt-get|apt|apk|yum|dnf)\s+\S")


def _package_managers(text: str) -> tuple[str, ...]:
    r"""Return the package managers `text` calls, in order: what
    `re.findall(r"(?:^|[\s;&|(])(apt-get|apt|apk|yum|dnf)\s+\S", text)` returns.

    That pattern starts with a choice (`^` or a class), so every position of the text was
    tried; _PACKAGE_NAME starts with a name, whose first letters the engine skips to. A
    name it finds counts only after a separator the call before did not take (that call
    ends with a non-blank, which may be `;`); else the search goes on from the next
    character, as the plain findall would.
    """
    found: list[str] = []
    end = pos = 0
    search = _PACKAGE_NAME.search
    while (m := search(text, pos)) is not None:
        at = m.start()
        before = text[at - 1] if at else ""
        if at == 0 or (at > end and (before in ";&|(" or before.isspace())):
            found.append(m.group(1))
            end = pos = m.end()
        else:
            pos = at + 1
    return tuple(found)


# Tools an entrypoint uses to start as root (to fix volume ownership, say) and then drop
# to a user itself, as the official database images do.
_DROPS_ROOT = lazy_re(r"\b(gosu|su-exec|s6-overlay)\b")
# Instructions whose text says where the app runs from and reads its files.
_RUNTIME_KINDS = frozenset({"CMD", "ENTRYPOINT", "WORKDIR", "ENV", "HEALTHCHECK"})
_ROOT_HOME = lazy_re(r"(?:^|[\s\"'=:])(?:/root|~)(?:/|\s|\"|'|$)")


def _points_into_root_home(kind: str, values: tuple[str, ...], args: str) -> bool:
    """Return whether a runtime instruction (its keyword, values and arguments) points into
    root's home, or a COPY, ADD or VOLUME puts files there (for the app to read)."""
    if kind in _RUNTIME_KINDS and ("/root" in args or "~" in args):
        return bool(_ROOT_HOME.search(args))
    if kind in ("COPY", "ADD", "VOLUME") and values:
        dests = values if kind == "VOLUME" else values[-1:]
        return any(_ROOT_HOME.search(" " + d) for d in dests if "/root" in d or "~" in d)
    return False


def chain_traits(chain: tuple[Stage, ...]) -> Traits:
    """Return the traits of the chain's instructions, in order: whether any calls `sudo`
    or uses /root, the first of each other finding."""
    sudo, root_home = False, False
    dropper = socket = port = None
    cached = _cached_traits
    for stage in chain:
        for instr in stage.instructions:
            kind = instr.kind
            # `traits(instr)`, inline: one Python call less per instruction and check.
            if kind not in _TRAIT_KINDS:
                continue
            found = cached(kind, instr.values, instr.args, instr.line)
            if found is _NO_TRAITS:  # most instructions: nothing to fold
                continue
            sudo = sudo or found.sudo
            dropper = dropper or found.dropper
            socket = socket or found.socket
            port = port or found.low_port
            root_home = root_home or found.root_home
    return Traits(sudo, dropper, socket, port, root_home)


def uses_sudo(chain: tuple[Stage, ...]) -> bool:
    """Return whether a RUN of the chain calls `sudo`: the base then runs as a non-root user."""
    return chain_traits(chain).sudo


def low_port(chain: tuple[Stage, ...]) -> str | None:
    """Return how the app shows it binds a port below 1024 (`EXPOSE 80`, `--port 80`), or None."""
    return chain_traits(chain).low_port or bound_port(chain)


def bound_port(chain: tuple[Stage, ...], start: Start | None = None) -> str | None:
    """Return the bind argument below 1024 in the chain's CMD or ENTRYPOINT (`--port 80`), or
    None (`start`: the chain's `start_command`, when found already)."""
    for instr in start or start_command(chain):
        if instr is None:
            continue
        text = _text(instr)
        # Every _BIND_ARG option spells `-`, every _HOST_PORT address `:`.
        for pattern, literal in ((_BIND_ARG, "-"), (_HOST_PORT, ":")):
            for m in pattern.finditer(text) if literal in text else ():
                if 0 < int(m.group(1)) < 1024:
                    return f"`{m.group(0).strip()}` in its {instr.kind}"
    return None


def _declared_low_port(kind: str, values: tuple[str, ...], args: str) -> str | None:
    """Return how an EXPOSE or ENV (its keyword, values and arguments) declares a port below
    1024 (`EXPOSE 80`), or None."""
    if kind == "EXPOSE":
        for word in args.split():
            m = _EXPOSED.match(word)
            if m and 0 < int(m.group(1)) < 1024:
                return f"`EXPOSE {word}`"
    elif kind == "ENV":
        for key, value in _pairs(values):
            # _PORT_ENV's keys end in PORT: most keys are ruled out without a match.
            if key.endswith("PORT") and _PORT_ENV.match(key) and value.isdigit() and 0 < int(value) < 1024:
                return f"`ENV {key}={value}`"
    return None


_EXPOSED = lazy_re(r"(\d{1,5})(?:-\d+)?(?:/\w+)?$")


def env_pairs(instr: Instruction) -> Iterator[tuple[str, str]]:
    """Yield the key/value pairs of an ENV (the parser gives them as key, value, key, ...)."""
    return _pairs(instr.values)


def _pairs(words: tuple[str, ...]) -> Iterator[tuple[str, str]]:
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
    return path == "/" or path in _SYSTEM_TOP or any(path == p or path.startswith(p + "/") for p in _SYSTEM)


def _literal_dir(path: str) -> str | None:
    """Return `path` normalised when it is a plain absolute folder path (nothing in it the
    shell would read: it goes into a `chown` as written), else None."""
    if not path.startswith("/") or any(c in path for c in "$*?[]{}`\\~ \t&;|<>()'\"#!"):
        return None
    path = posixpath.normpath("/" + path.lstrip("/"))  # POSIX keeps a leading `//`
    return None if is_system_path(path) else path


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
    chain = facts.chain(stage)
    for instr in stage.instructions:
        if instr.kind == "RUN" and ("mkdir" in instr.args or "chown" in instr.args):
            script = split_commands(instr.args) if not instr.is_json and not instr.heredocs else None
            for cmd in script.commands if script else ():
                owned.update(chown_paths(cmd))
                for path in _mkdir_paths(cmd):
                    # Only folders named for what an app writes, or that a setting the file
                    # writes names and nothing fills: the others hold code or tools.
                    if not unconditional(script, cmd):
                        continue  # `[ -f x ] && mkdir /logs || true`: a chown after it may fail
                    if _WRITE_NAME.search(path):
                        add(path, f"`mkdir {path}`", instr)
                    elif (
                        (folder := _literal_dir(path)) is not None
                        and configured(chain, folder)
                        and left_empty(chain, instr, folder)
                    ):
                        # A build step may still write there unseen (`php -l` fills an
                        # opcache folder): the user gets it after the stage's last RUN.
                        add(path, f"`mkdir {path}`", late_run(stage, instr, folder))
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
    started = f"{_text(start)} {_text(args)}"
    # Every _RAILS server spells one of these words.
    if ("rails" in started or "puma" in started or "unicorn" in started or "passenger" in started) and (
        _RAILS.search(started)
    ):
        workdir = _final_workdir(stage)
        if workdir != "/":
            add(f"{workdir}/log", "Rails' log folder")
            add(f"{workdir}/tmp", "Rails' tmp folder")
    if not found:
        return []  # most stages: no folder to keep, and none to find the code's folders for
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


def unconditional(script: Script | None, cmd: Command) -> bool:
    """Return whether `cmd` of `script` runs whenever its RUN succeeds, so that a `chown`
    appended to the RUN finds what it made. Only in a plain script: no compound command
    (`if`, `for`, `{ }`, `( )`) and nothing in the background (`mkdir /x & true` races the
    chown). Then `cmd` is not in a pipeline, its and-or list has no `||` (`[ -f x ] &&
    mkdir /x || true`), and it is first in its list unless that list is the script's last
    (`test -d y && mkdir /x; echo done` succeeds without it; as the last list, the RUN
    fails instead)."""
    if script is None or any(c.depth for c in script.commands):
        return False
    ops = script.operators
    if any(op.text in ("&", "(", ")") for op in ops):
        return False
    ends = [op for op in ops if op.text == ";"]  # what ends an and-or list, here
    start = max((op.end for op in ends if op.end <= cmd.start), default=0)
    after = [op for op in ends if op.start >= cmd.end]
    end = after[0].start if after else None
    inside = [op for op in ops if start <= op.start and (end is None or op.start < end)]
    if any(op.text == "||" for op in inside):
        return False
    if _piped(inside, cmd):
        return False
    last = not after or all(op is script.trailing for op in after)
    return last or not any(op.text == "&&" and op.start < cmd.start for op in inside)


def _piped(inside: list[Token], cmd: Command) -> bool:
    """Return whether `cmd` is in a pipeline: a `|` or `|&` right before or after it."""
    before = [op for op in inside if op.end <= cmd.start]
    following = [op for op in inside if op.start >= cmd.end]
    near = ([before[-1]] if before else []) + ([following[0]] if following else [])
    return any(op.text in ("|", "|&") for op in near)


def configured(chain: tuple[Stage, ...], folder: str) -> bool:
    """Return whether a setting the file writes names `folder`: a word `key=FOLDER` (quoted
    or not) or `FOLDER` of an `echo` or `printf` whose output goes to a file (`>` or `>>`,
    not `2>` or `>&2`): `echo 'opcache.file_cache="/opcache"' >> php.ini`. The app is told
    to use it."""
    for stage in chain:
        for instr in stage.instructions:
            if instr.kind != "RUN" or folder not in instr.args or instr.is_json or instr.heredocs:
                continue
            script = split_commands(instr.args)
            for cmd in script.commands if script is not None else ():
                redirects = [t.text for t in cmd.tokens if t.kind is Kind.REDIRECT]
                if not _is_echo(cmd) or not any(_writes_file(r) for r in redirects):
                    continue
                for word in cmd.argv[1:]:
                    value = word.rpartition("=")[2].strip("\"' ")
                    if value.rstrip("/") == folder:
                        return True
    return False


def _program(cmd: Command) -> str:
    """Return the name of what a command runs, without its folder (`/bin/mkdir`: `mkdir`)."""
    return (cmd.name or "").rsplit("/", 1)[-1]


def _redirect_target(text: str) -> str:
    """Return a token without a redirection's operator and descriptor (`2>> /x`: `/x`)."""
    return text.lstrip("0123456789<>&| \t")


def _is_echo(cmd: Command) -> bool:
    """Return whether the command is `echo` or `printf`: its words are text, not paths."""
    return _program(cmd) in ("echo", "printf")


def _writes_file(redirect: str) -> bool:
    """Return whether a redirection sends standard output to a file (`> f`, `>> f`, `1>f`),
    not another stream (`2> f`, `>&2`) or a device (`> /dev/null`)."""
    m = _STDOUT_TO.match(redirect)
    return m is not None and not m.group(1).startswith(("&", "/dev/"))


_STDOUT_TO = lazy_re(r"1?>>?\s*(\S.*)")


def left_empty(chain: tuple[Stage, ...], made_by: Instruction, folder: str) -> bool:
    """Return whether `folder`, which a `mkdir` in `made_by` (in the chain's first stage)
    makes, stays empty in the image: then it is there for the app to fill when it runs
    (`RUN mkdir /opcache` for PHP's opcache file cache), and the user must own it.

    Nothing in the chain's stages (the final one and those it is built `FROM`), before or
    after that `mkdir`, may put a file there: no COPY or ADD to it, into it or to a folder
    above it; no WORKDIR there or inside it; no RUN whose WORKDIR is it, inside it or above
    it (but `/`: a relative path may reach it, as `npm install` fills `node_modules`); no
    command (but that RUN's `mkdir`, `chown`, `chmod`) that names it, a path in it or a
    folder above it (`python -m venv /venv` fills `/venv/lib`, `tar -C /opt/app`), or `/`
    alone, as a word, an option's value (`--prefix=/srv`, `-C/srv`), a word of a command in
    a string (`sh -c "cp x /srv/"`) or a redirection (`curl -o /srv/index.php`). A word that
    only mentions it inside a setting (`echo 'opcache.file_cache="/opcache"' >> php.ini`)
    fills nothing. What dffix cannot read may fill it: a word with a variable, a WORKDIR or
    destination set by one, a RUN it cannot split.
    """
    paths = _and_above(folder)
    seen = False  # the mkdir's RUN reached: a relative path from then on may fill the folder
    for stage in reversed(chain):  # the base stage first
        workdir = "/"
        for instr in stage.instructions:
            kind = instr.kind
            seen = seen or instr is made_by
            if kind == "WORKDIR":
                path = _workdir_path(instr)
                if path is None:
                    return False
                workdir = posixpath.normpath(posixpath.join(workdir, path))
                if _within(workdir, folder):
                    return False
            elif kind in ("COPY", "ADD"):
                if _may_fill(instr, workdir, folder):
                    return False
            elif kind == "RUN":
                if workdir != "/" and (_within(workdir, folder) or _within(folder, workdir)):
                    return False
                script = split_commands(instr.args) if not instr.is_json and not instr.heredocs else None
                if script is None:
                    return False
                relative = posixpath.relpath(folder, workdir).split("/", 1)[0] if seen else None
                for cmd in script.commands:
                    if instr is made_by and _program(cmd) in _MAKES_ONLY:
                        continue
                    # An echo's words are text: only where its output goes can fill a folder.
                    tokens = cmd.tokens
                    if _is_echo(cmd):
                        tokens = tuple(t for t in tokens if t.kind is Kind.REDIRECT)
                    if any(_may_name(t.text, t.kind is Kind.REDIRECT, paths) for t in tokens):
                        return False
                    if relative and any(_relative_to(t.text, relative) for t in tokens):
                        return False  # `cp -r x opcache` in `/`
    return True


_MAKES_ONLY = ("mkdir", "chown", "chmod")  # commands of the mkdir's RUN that put no file there


def _relative_to(text: str, first: str) -> bool:
    """Return whether a token is a relative path starting at folder `first` (`opcache`,
    `opcache/x`, `./opcache`), or such a path as an option's value."""
    word = unquote(_redirect_target(text)).rpartition("=")[2].removeprefix("./")
    return word == first or word.startswith(first + "/")


def _and_above(folder: str) -> list[str]:
    """Return `folder` and the folders above it, but `/` (`/a/b`: `/a/b`, `/a`)."""
    found = [folder]
    while posixpath.dirname(found[-1]) not in ("/", found[-1]):
        found.append(posixpath.dirname(found[-1]))
    return found


def late_run(stage: Stage, made_by: Instruction, folder: str) -> Instruction:
    """Return the last RUN of the stage, from `made_by` on, that can take a command at its
    end (shell form, no heredoc, a script dffix can split that does not end in `&` or an
    `exit`: `can_append`) and mounts nothing over `folder`
    (a `chown` there would change the mount, not the image), above any VOLUME of it: where
    a folder that a build step may fill unseen is given to the user. `made_by` itself when
    no later one can."""
    found, after = made_by, False
    for instr in stage.instructions:
        after = after or instr is made_by
        if after and instr.kind == "VOLUME" and any(_within(folder, v) for v in _volumes(instr)):
            break  # the legacy builder drops what a RUN below a VOLUME changes in it
        runs = after and instr.kind == "RUN" and not instr.is_json and not instr.heredocs
        script = split_commands(instr.args) if runs else None
        if script is None or any(op.text in ("||", "&") for op in script.operators):
            continue  # after `a || exit 0` the chown would not run; after `a &` it races `a`
        if can_append(script) and not _mounts_over(instr, folder):
            found = instr
    return found


def _volumes(instr: Instruction) -> list[str]:
    """Return the folders a VOLUME names, normalised."""
    return [posixpath.normpath(v) for v in (instr.values if instr.is_json else instr.args.split())]


def _mounts_over(instr: Instruction, folder: str) -> bool:
    """Return whether a `--mount` of the RUN has `folder`, a folder in it or above it as its target."""
    for flag in instr.flags_named("mount") if instr.flags else ():
        target = mount_target(flag.value or "")
        if target is None or _within(target, folder) or _within(folder, target):
            return True
    return False


def _workdir_path(instr: Instruction) -> str | None:
    """Return the path a WORKDIR names (quotes removed), None when a variable sets it."""
    path = unquote(instr.args.strip())
    return None if "$" in path else path


def _may_fill(instr: Instruction, workdir: str, folder: str) -> bool:
    """Return whether a COPY or ADD, run in `workdir`, may put files in `folder`: its
    destination is the folder, a path in it or a folder above it, or is set by a variable."""
    words = list(instr.values) if instr.values else instr.args.split()
    if len(words) < 2 or "$" in words[-1]:
        return True
    dest = posixpath.normpath(posixpath.join(workdir, words[-1]))
    return _within(dest, folder) or _within(folder, dest)


def _spells(instr: Instruction, path: str) -> bool:
    """Return whether `path` is anywhere in a RUN's text or its heredocs."""
    return path in instr.args or any(path in h.content for h in instr.heredocs)


def _within(path: str, folder: str) -> bool:
    """Return whether `path` is `folder` or inside it (every absolute path is inside `/`)."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


_BARE_VARIABLE = lazy_re(r"\$(?:\w+|\{[^}]*\})")


def _may_name(text: str, redirect: bool, paths: list[str]) -> bool:
    """Return whether a shell token may name one of `paths` or a path in one, or `/` alone:
    the whole word, the value of an option (`--prefix=/srv`, `-C/srv`) or of `name=` or
    `name:`, a word of a command in a string (`sh -c "cp x /srv/"`); a redirection by its
    target. A word with a variable or `..` in it may name anything."""
    word = unquote(_redirect_target(text) if redirect else text)
    if "$" in word or ".." in word:  # a variable, or a path that climbs (`../x`, `/z/../w`)
        return True
    return _names_root(word) or any(_names(word, path) for path in paths)


def _names_root(word: str) -> bool:
    """Return whether `word` (or a word of a command in it) is `/`, or an option's `/`."""
    for part in word.split():
        value = part.rpartition("=")[2]
        if value == "/" or (len(value) == 3 and value[0] == "-" and value[2] == "/"):
            return True
    return False


def _names(word: str, path: str) -> bool:
    """Return whether `word` names `path` (or a path in it) where a command reads a path."""
    at = word.find(path)
    while at >= 0:
        before, end = word[:at], at + len(path)
        if word[end : end + 1] in ("", "/", " ", "\t") and (
            not before or before[-1] in "=: \t" or (len(before) == 2 and before[0] == "-")
        ):
            return True
        at = word.find(path, at + 1)
    return False


def empty_workdir(
    chain: tuple[Stage, ...], start: tuple[Instruction | None, Instruction | None]
) -> str | None:
    """Return why a command-line tool's image gets no non-root user, or None: it runs on
    files mounted at its WORKDIR (`docker run -v "$PWD:/app" tool`), which a user could
    not write when a host user owns them.

    A tool: an exec-form ENTRYPOINT (not a path relative to the WORKDIR, `./tool`) whose
    exec-form CMD asks for its help or version (`["--help"]`). Its WORKDIR, the final one,
    is empty in the image: no COPY or ADD to it, into it or to a folder above it; no RUN
    whose WORKDIR is it or inside it, or above it and that may make it (`git clone URL work`,
    `tar -x`); no RUN that names it or a folder above it, or a path made of a variable; not
    a VOLUME. Not read: `/`, a system folder, a WORKDIR set by a variable.
    """
    entrypoint, cmd = start
    if entrypoint is None or cmd is None or not entrypoint.is_json or not cmd.is_json:
        return None
    if not cmd.values or cmd.values[0] not in _HELP or not entrypoint.values:
        return None
    program = entrypoint.values[0]
    if "/" in program and not program.startswith("/"):
        return None  # `./tool`: the tool is in its WORKDIR
    workdir, chosen = "/", None
    for stage in reversed(chain):  # the base stage first: a stage built FROM it keeps its WORKDIR
        for instr in stage.instructions:
            if instr.kind == "WORKDIR":
                path = _workdir_path(instr)
                if path is None:
                    return None
                workdir = posixpath.normpath(posixpath.join(workdir, path))
                chosen = instr
    if chosen is None or is_system_path(workdir):
        return None
    above = _and_above(workdir)
    current = "/"
    for stage in reversed(chain):
        for instr in stage.instructions:
            kind = instr.kind
            if kind == "WORKDIR":
                current = posixpath.normpath(posixpath.join(current, _workdir_path(instr) or "/"))
            elif kind in ("COPY", "ADD"):
                if _may_fill(instr, current, workdir):
                    return None
            elif kind == "RUN":
                if current != "/" and (_within(current, workdir) or _within(workdir, current)):
                    return None
                if any(_spells(instr, path) for path in above) or _variable_path(instr):
                    return None
                if _within(workdir, current) and _fills_cwd(instr, workdir, current):
                    return None
            elif kind == "VOLUME" and workdir in _volumes(instr):
                return None
    said = " ".join(entrypoint.line.split()), " ".join(cmd.line.split())
    return (
        f"it looks like a command-line tool (`{said[0]}` with `{said[1]}`)"
        f" run on files mounted at its WORKDIR, and `{chosen.line.strip()}` is empty in the image:"
        " a non-root user could not write mounted files a host user owns; run it with"
        " `docker run --user` instead"
    )


# A CMD that asks a tool for its help or version: run without arguments, the tool says how to use it.
_HELP = frozenset({"--help", "-h", "-help", "help", "--version", "-V", "version"})
# Commands that write into the folder they run in, unless told otherwise.
_WRITES_CWD = frozenset({"tar", "bsdtar", "unzip", "git", "wget", "curl", "7z", "cpio", "npm", "yarn"})


def _fills_cwd(instr: Instruction, workdir: str, current: str) -> bool:
    """Return whether a RUN in `current` (a folder above `workdir`) may make `workdir` by a
    relative path: it names the first folder on the way (`git clone URL work` for /work),
    runs a command that writes where it runs (`tar -x`, `unzip`, `git clone`), or cannot be
    split to tell."""
    first = posixpath.relpath(workdir, current).split("/", 1)[0]
    if first in instr.args or any(first in h.content for h in instr.heredocs):
        return True
    script = split_commands(instr.args) if not instr.is_json and not instr.heredocs else None
    if script is None:
        return True
    return any(_program(c) in _WRITES_CWD for c in script.commands)


def _variable_path(instr: Instruction) -> bool:
    """Return whether a RUN holds a path made of a variable (`$D/x`, `-C $D`), or cannot be
    split to tell."""
    if "$" not in instr.args and not any("$" in h.content for h in instr.heredocs):
        return False
    script = split_commands(instr.args) if not instr.is_json and not instr.heredocs else None
    if script is None:
        return True
    return any(
        "$" in (word := unquote(token.text)) and ("/" in word or _BARE_VARIABLE.fullmatch(word))
        for cmd in script.commands
        for token in cmd.tokens
    )


def chown_target(cmd: Command) -> str | None:
    """Return the `user[:group]` a `chown` command gives, or None for another command."""
    if _program(cmd) != "chown":
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
    if _program(cmd) != "mkdir":
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


def writes_next_to_code(
    chain: tuple[Stage, ...], context: BuildContext | None, start: Start | None = None
) -> str | None:
    """Return how the file (or the code it copies) shows the app writes a database file in
    its own folder, or None (`start`: the chain's `start_command`, when found already).

    `manage.py migrate` at start writes Django's database; a relative sqlite URL, a
    `.db`/`.sqlite3` file or code that opens sqlite in the context write next to the code.
    """
    for instr in start or start_command(chain):
        if instr is None:
            continue
        text = _text(instr)
        # Every _MIGRATES command spells `manage.py` or `upgrade`.
        if ("manage.py" in text or "upgrade" in text) and _MIGRATES.search(text):
            return f"its {instr.kind} migrates a database at start-up"
        url = _SQLITE_URL.search(text) if "sqlite" in text else None
        if url and not url.group(1):
            return f"its {instr.kind} opens a sqlite database next to the code"
    if context is None or not _copies_context(chain[0]):
        return None
    return context.cached("runtime.context_writes", lambda: _context_writes(context))


def unseen_code(chain: tuple[Stage, ...], facts: Facts) -> str | None:
    """Return why the app's code cannot be checked, or None: the image (the chain's stages
    and the stages they copy from) copies from the build context, but the folder beside
    the Dockerfile holds no code.

    What the app writes and binds is read from its code in that folder (`writes_next_to_code`,
    `low_port_in_code`). When the folder holds no code (the Dockerfile is built with
    another folder as its context, or kept apart from its code), nothing can be read, and
    the absence of a finding says nothing. The folder holds code when it has a folder or a
    file with an extension besides Dockerfiles and hidden files (a source, a manifest, a
    config: the things a COPY names). No context given (a buffer without a path) is not
    such a folder: None. A URL, a `--from` or heredoc copy is not from the context.
    """
    context = facts.context
    if context is None:
        return None
    first = next((copy for stage in _image_stages(chain, facts) for copy in _context_copies(stage)), None)
    if first is None or context.cached("runtime.holds_code", lambda: _holds_code(context)):
        return None
    return (
        f"the folder beside the Dockerfile holds none of the code {first} copies (the"
        " build context is elsewhere), so the code cannot be checked for files the app"
        " writes or ports it binds: check them and set `USER` yourself"
    )


def _context_copies(stage: Stage) -> Iterator[str]:
    """Yield each COPY/ADD of the stage that copies from the build context, as `ADD a b`
    (its sources)."""
    if "COPY" not in stage.kinds and "ADD" not in stage.kinds:
        return
    for instr in stage.instructions:
        if instr.kind not in ("COPY", "ADD") or instr.heredocs or instr.flag("from") is not None:
            continue
        sources = [s for s in instr.values[:-1] if "://" not in s and not s.startswith("git@")]
        if sources:
            yield f"`{instr.kind} {' '.join(sources)}`"


def _image_stages(chain: tuple[Stage, ...], facts: Facts) -> list[Stage]:
    """Return the chain's stages and those its `COPY --from` name (with the stages they
    are built on), each once: the stages the image's files come from."""
    by_ref = {ref: s for s in facts.stages for ref in (s.name, str(s.index)) if ref is not None}
    found: dict[int, Stage] = {}  # in the order found: the chain first
    todo = deque(chain)
    while todo:
        stage = todo.popleft()
        if stage.index in found:
            continue
        found[stage.index] = stage
        for instr in stage.instructions if "COPY" in stage.kinds else ():
            flag = instr.flag("from") if instr.kind == "COPY" else None
            named = by_ref.get(flag.value.lower()) if flag is not None and flag.value else None
            if named is not None and named.index < stage.index:
                todo.extend(facts.chain(named))
    return list(found.values())


def _holds_code(context: BuildContext) -> bool:
    """Return whether the context's top holds a folder, or a file with an extension, besides
    Dockerfiles (`files.is_dockerfile_name`) and hidden files (`.dockerignore`, `.git`)."""
    root = os.fspath(context.root)
    for name in context.names():
        if name.startswith(".") or name == context.dockerfile or is_dockerfile_name(name):
            continue
        if "." in name.strip(".") or os.path.isdir(os.path.join(root, name)):
            return True
    return False


# A pid file straight in /run or /var/run, which only root may write: `--pidfile /var/run/x.pid`.
_RUN_PIDFILE = lazy_re(r"--?pid-?file[= ]\s*[\"']?((?:/var)?/run/[^/\s\"']+)(?=[\s\"']|$)")


def root_only_hint(df: Dockerfile, start: Start) -> str | None:
    """Return what else shows the app needs root, or None: its ENTRYPOINT or CMD writes a
    pid file straight into `/run` or `/var/run`, or a comment line of the file names the
    Docker socket (`# run with -v /var/run/docker.sock:/var/run/docker.sock`), which the
    instructions themselves may never mention."""
    for instr in start:
        text = _text(instr)
        m = _RUN_PIDFILE.search(text) if "pid" in text else None
        if m and instr is not None:
            folder = posixpath.dirname(m.group(1))
            pid = m.group(0)
            return f"its {instr.kind} writes a pid file into `{folder}` (`{pid}`), which only root may write"
    if "docker.sock" in df.text:
        for item in df.items:
            if isinstance(item, Trivia) and item.is_comment:
                line = df.text[item.span.start : item.span.end].strip()
                if "docker.sock" in line:
                    return (
                        f"a comment says it runs with the Docker socket (`{line}`), which only root may open"
                    )
    return None


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
    if context is None or not any(_copies_context(stage) for stage in facts.stages):
        return None
    return context.cached("runtime.code_port", lambda: _code_port(context))


def _copies_context(stage: Stage) -> bool:
    """Return whether a COPY or ADD of the stage copies from the build context (no `--from`)."""
    if "COPY" not in stage.kinds and "ADD" not in stage.kinds:
        return False
    for instr in stage.instructions:  # a loop, not any(): no generator step per instruction
        if (instr.kind == "COPY" or instr.kind == "ADD") and (not instr.flags or instr.flag("from") is None):
            return True
    return False


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
    return context.cached("runtime.context_files", lambda: tuple(_list_context_files(context)))


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
