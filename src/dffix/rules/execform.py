"""DF401's reading of a shell-form CMD or ENTRYPOINT, and its rewrite in exec form.

`dffix.rules.cmd` (the rule, with its documentation) loads this module only for a file
with a CMD or ENTRYPOINT in shell form: most files have none.
"""

from __future__ import annotations

import bisect
import fnmatch
import itertools
import posixpath

from dffix.edits import Edit, Fix
from dffix.facts import Facts, Stage, json_array
from dffix.jsontext import quoted
from dffix.rules.base import Rule, Violation
from dffix.rules.records import Branch, ScriptRisk, Word
from dffix.rules.user import (
    PosixShell,
    base_image,
    is_official_image,
    is_windows_image,
    posix_shell,
    shell_in_force,
    stage_chain,
)
from dffix.syntax.shell import Command, split_commands
from dffix.syntax.tree import Dockerfile, Instruction

# Characters a POSIX shell passes through unchanged outside quotes. Everything else
# ($ * ? [ ] | & ; < > ( ) { } \ ' " ` ~ # ! and odd spaces) may mean something to it.
# ASCII letters and digits (string.ascii_letters, string.digits: importing string
# compiles string.Template's pattern, ~1 ms of every start-up) and the safe marks.
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:,+%@^=")
# Shell builtins and keywords: no program of that name exists (or it is a stub), so
# exec form cannot run them, and `exec <builtin>` fails.
_SHELL_ONLY = frozenset(
    {
        *(".", ":", "!", "{", "}", "[[", "]]", "alias", "bg", "break", "builtin", "case", "cd"),
        *("command", "continue", "coproc", "declare", "do", "done", "elif", "else", "esac", "eval"),
        *("exit", "export", "fc", "fg", "fi", "for", "function", "getopts", "hash", "if", "in"),
        *("jobs", "let", "local", "read", "readonly", "return", "select", "set", "shift", "shopt"),
        *("source", "then", "time", "times", "trap", "type", "typeset", "ulimit", "umask", "unalias"),
        *("unset", "until", "wait", "while"),
    }
)
# Builtins that also exist as programs: exec form runs the program, which may read
# options differently (`echo -e` is an option to /bin/echo, text to dash's echo).
_TWIN_BUILTINS = frozenset({"echo", "printf", "test", "true", "false", "pwd", "kill"})


# Official images whose ENTRYPOINT script looks at its first argument. With a shell-form
# CMD that argument is `/bin/sh`, which matches nothing, so the script just runs the
# command; in exec form it is the program, and the script may set up and drop root.
# Read from each image's docker-entrypoint.sh (docker-library and the images' own repos).
_DROP = "chowns its data, drops root to `{}`"
ENTRYPOINT_BRANCHES: dict[str, Branch] = {
    "redis": Branch(("-*", "*.conf", "redis-server"), _DROP.format("redis")),
    "postgres": Branch(("-*", "postgres"), "initialises the database and drops root to `postgres`"),
    "mysql": Branch(("-*", "mysqld"), "initialises the database and drops root to `mysql`"),
    "mariadb": Branch(("-*", "mariadbd", "mysqld"), "initialises the database and drops root to `mysql`"),
    "percona": Branch(("-*", "mysqld"), "initialises the database and drops root to `mysql`"),
    "mongo": Branch(("-*", "mongo*"), _DROP.format("mongodb") + ", may init the db"),
    "rabbitmq": Branch(("rabbitmq*",), _DROP.format("rabbitmq")),
    "cassandra": Branch(("-*", "cassandra"), _DROP.format("cassandra") + ", edits its config"),
    "couchdb": Branch(("-*", "+*", "couchdb", "/opt/couchdb/bin/couchdb"), "chowns, drops root to `couchdb`"),
    "elasticsearch": Branch(("eswrapper", "*elasticsearch"), "runs it as user 1000 (`chroot --userspec`)"),
    "zookeeper": Branch(("zkServer.sh",), _DROP.format("zookeeper")),
    "ghost": Branch(("node",), _DROP.format("node") + " and fills the content folder"),
    "nginx": Branch(("nginx", "nginx-debug"), "runs /docker-entrypoint.d/ (config templates, IPv6 listen)"),
    "haproxy": Branch(("-*", "haproxy"), "adds `-W -db` to `haproxy`"),
    "wordpress": Branch(("apache2*", "php-fpm"), "installs WordPress and writes wp-config.php"),
    "joomla": Branch(("apache2*", "php-fpm"), "installs Joomla into the web root"),
    "nextcloud": Branch(("apache*", "php-fpm"), "installs or upgrades Nextcloud"),
    "odoo": Branch(("-*", "--", "odoo"), "waits for PostgreSQL and adds the database options"),
    "influxdb": Branch(("-*", "run", "influxd"), "sets up InfluxDB on first start"),
    "consul": Branch(("*",), "runs a consul subcommand as `consul <it>` and drops root"),
    "registry": Branch(
        ("-*", "*.yaml", "*.yml", "serve", "garbage-collect", "help"), "runs `registry` with it"
    ),
    "docker": Branch(("*",), "runs a docker subcommand as `docker <it>` (`dockerd` under docker-init)"),
    "node": Branch(("-*", "*.js", "*.mjs", "*.cjs"), "runs it with `node` when it is not a program"),
    "memcached": Branch(("-*",), "runs `memcached` with the options"),
    "php": Branch(("-*",), "runs `php` (or `php-fpm`, `apache2-foreground`) with the options"),
    "telegraf": Branch(("-*",), "runs `telegraf` with the options"),
}


# Official images known to set no ENTRYPOINT, so that a CMD in exec form runs as it is:
# read from each image's Dockerfiles (docker-library and the images' own repos). The
# operating-system images are root filesystems with only a `CMD`. `tomcat` resets the
# ENTRYPOINT of its base (`ENTRYPOINT []`). `eclipse-temurin` sets
# `/__cacert_entrypoint.sh`, which may import certificates and then runs `exec "$@"`
# without looking at its arguments, so it runs a command in either form the same way.
NO_ENTRYPOINT = frozenset(
    {
        *("debian", "ubuntu", "alpine", "busybox", "centos", "fedora", "amazonlinux"),
        *("rockylinux", "almalinux", "oraclelinux", "buildpack-deps"),
        *("python", "pypy", "golang", "openjdk", "eclipse-temurin", "ruby", "rust", "gcc"),
        *("perl", "erlang", "httpd", "tomcat"),
    }
)


def _plain_char(ch: str) -> bool:
    return ch in _PLAIN or (ord(ch) > 127 and ch.isprintable())


def _quoted(command: str, i: int) -> tuple[str, int] | None:
    """Return the text of the quoted string at command[i] and the index after it.

    Single quotes keep everything; double quotes keep everything but `$`, backtick and
    backslash, which we refuse. None when the quote is not closed or holds those.
    """
    close = command.find(command[i], i + 1)
    if close < 0:
        return None
    inner = command[i + 1 : close]
    if command[i] == '"' and any(c in inner for c in "$`\\"):
        return None
    return inner, close + 1


def plain_words(command: str) -> tuple[Word, ...] | None:
    """Split a shell command into the words a POSIX shell would pass, or None.

    Returns None when anything but plain characters, blanks and simple quotes appears:
    then the shell would do more than split and unquote (expand, glob, redirect, ...).
    """
    words: list[Word] = []
    i, n = 0, len(command)
    while i < n:
        if command[i] in " \t":
            i += 1
            continue
        start, parts = i, []
        while i < n and command[i] not in " \t":
            if command[i] in "'\"":
                quoted = _quoted(command, i)
                if quoted is None:
                    return None
                parts.append(quoted[0])
                i = quoted[1]
            elif _plain_char(command[i]):
                parts.append(command[i])
                i += 1
            else:
                return None
        words.append(Word("".join(parts), start, i))
    return tuple(words)


_SURROGATES = (chr(0xD800), chr(0xDFFF))  # chr(): mypyc cannot compile a lone surrogate literal


def _has_surrogates(text: str) -> bool:
    # Undecodable bytes kept as lone surrogates: JSON cannot carry them back.
    low, high = _SURROGATES
    return any(low <= c <= high for c in text)


def check_one(rule: Rule, df: Dockerfile, facts: Facts, stage: Stage, instr: Instruction) -> Violation:
    """DF401's finding for one shell-form CMD or ENTRYPOINT of `stage`, as `rule` reports it."""
    command = instr.values[0]
    say = f"`{instr.kind}` in shell form"
    if command.startswith("["):
        return _no_fix(rule, instr, f"{say}: it starts with `[` but is not a valid JSON array")
    if df.escape == "`" or is_windows_image(base_image(facts, stage)):
        return _no_fix(rule, instr, f"{say}: on Windows the default shell is `cmd /S /C`")
    shell = shell_in_force(facts, stage, instr)
    posix = posix_shell(shell)
    if posix is None:
        return _no_fix(rule, instr, f"{say}: `SHELL {json_array(shell)}` is not a POSIX shell")
    if _has_surrogates(command):
        return _no_fix(rule, instr, f"{say}: it holds bytes that are not UTF-8")
    words = plain_words(command)
    if words is not None:
        return _plain(rule, facts, stage, instr, words, posix)
    return _keep_shell(rule, instr, posix)


def _no_fix(rule: Rule, instr: Instruction, message: str) -> Violation:
    return rule.violation(instr.keyword_span, message=f"{message}; no fix")


def _plain(
    rule: Rule,
    facts: Facts,
    stage: Stage,
    instr: Instruction,
    words: tuple[Word, ...],
    posix: PosixShell,
) -> Violation:
    say = f"`{instr.kind}` in shell form"
    start = words[0].start
    # `exec app` in a shell is what exec form does: drop it (unless it has options).
    if len(words) > 1 and words[0].value == "exec" and not words[1].value.startswith("-"):
        words = words[1:]
    name = words[0].value
    if name in _SHELL_ONLY or not name:
        return _no_fix(rule, instr, f"{say}: `{name}` is a shell builtin or keyword")
    if "=" in name or name == "exec":
        return _keep_shell(rule, instr, posix)  # `NAME=value cmd` or `exec -a name cmd`
    script = _script_risk(facts, stage, name, posix.argv[0])
    if script is not None and script.prefix is None:
        return _no_fix(rule, instr, f"{say}: {script.reason}")
    edits = _word_edits(instr, words, start, script.prefix or () if script else ())
    if edits is None:
        return _no_fix(rule, instr, f"{say}: a word is split across lines")
    reasons = _plain_risks(facts, stage, instr, words, posix)
    if script is not None:
        reasons.append(script.reason)
    if reasons:
        message = f"{say}; the fix is unsafe: " + "; ".join(reasons)
        return rule.violation(instr.keyword_span, Fix.unsafe(*edits), message=message)
    return rule.violation(instr.keyword_span, Fix.safe(*edits), message=say)


def _keep_shell(rule: Rule, instr: Instruction, posix: PosixShell) -> Violation:
    """Offer `["/bin/sh", "-c", "exec <command>"]` for one simple command."""
    say = f"`{instr.kind}` in shell form"
    command = instr.values[0]
    found = _simple_command(command)
    if isinstance(found, str):
        return _no_fix(rule, instr, f"{say}: {found}, so it needs the shell as PID 1")
    exec_at = _exec_position(found)
    if exec_at is None:
        return _no_fix(rule, instr, f"{say}: it runs a shell builtin, so it needs the shell")
    edits = _string_edits(instr, posix.argv, exec_at)
    if exec_at < 0:
        # `exec app $X` already: the array is the very command BuildKit builds from shell form.
        return rule.violation(instr.keyword_span, Fix.safe(*edits), message=say)
    shown = json_array((*posix.argv, "exec …"))
    message = f"{say}; it needs a shell, so the fix is unsafe: {shown} keeps it, the command is PID 1"
    title = f"Rewrite as `{shown}`"
    return rule.violation(instr.keyword_span, Fix.unsafe(*edits), message=message, fix_title=title)


def _plain_risks(
    facts: Facts, stage: Stage, instr: Instruction, words: tuple[Word, ...], posix: PosixShell
) -> list[str]:
    """Return why turning these plain words into exec form might change what runs."""
    reasons: list[str] = []
    if instr.kind == "ENTRYPOINT" and "CMD" in stage.kinds:
        reasons.append("the `CMD` of this stage, ignored until now, becomes its arguments")
    name = words[0].value
    if instr.kind == "CMD" and facts.stage_index("entrypoint", _has_entrypoint, stage):
        reasons.append('the `ENTRYPOINT` gets these words instead of `/bin/sh -c "…"`')
    elif instr.kind == "CMD":
        inherited = _inherited_entrypoint(base_image(facts, stage), name)
        if inherited:
            reasons.append(inherited)
    if instr.kind == "ENTRYPOINT" and _cmd_in_children(facts, stage):
        reasons.append("a stage built on this one sets a `CMD`, which becomes its arguments")
    if name in _TWIN_BUILTINS and any(w.value.startswith("-") for w in words[1:]):
        reasons.append(f"exec form runs the `{name}` program, whose options differ from the builtin's")
    if not posix.quiet:
        reasons.append(f"the options of `SHELL {json_array(posix.argv)}` no longer apply")
    return reasons


def _script_risk(facts: Facts, stage: Stage, program: str, shell: str) -> ScriptRisk | None:
    """Return why `program` may be a script without a `#!` line, or None.

    The kernel cannot start such a script (`exec format error`), so exec form fails
    where `sh -c` worked: the shell, told ENOEXEC, runs the file itself (dash re-runs it
    as `/bin/sh <file> <args>`, bash reads it in a subshell). The copies of it in the
    build context tell: without a `#!` line, the fix runs it with the shell; copies
    with and without one get no fix. With no copy, a `.sh` name is suspect.
    """
    heads = _context_heads(facts, stage, program)
    if heads is None:
        if not program.endswith(".sh"):
            return None
        return ScriptRisk(f"if `{program}` has no `#!` line, exec form cannot start it", ())
    bare = [not head.startswith(("#!", "\x7fELF")) for head in heads]
    if not any(bare):
        return None
    if not all(bare):
        return ScriptRisk(f"the build context has copies of `{program}` with and without a `#!` line", None)
    reason = f"`{program}` has no `#!` line, which exec form needs, so the fix runs it with `{shell}`"
    return ScriptRisk(reason, (shell,))


def official_name(ref: str) -> str | None:
    """Return the name of a Docker Hub official image (`redis` of `docker.io/redis:7`), or None."""
    path = ref.split("@", 1)[0]
    if ":" in path.rsplit("/", 1)[-1]:
        path = path.rsplit(":", 1)[0]
    if not path or "$" in path or not is_official_image(path):
        return None
    return path.rsplit("/", 1)[-1].lower()


def _inherited_entrypoint(ref: str, program: str) -> str | None:
    """Return how an ENTRYPOINT the base image may set would run the exec-form CMD
    `program ...` differently from `/bin/sh -c "…"`, or None when it provably does not."""
    if ref.lower() == "scratch":
        return None  # an empty image: no ENTRYPOINT to inherit
    image = official_name(ref)
    if image in NO_ENTRYPOINT:
        return None
    if image in ENTRYPOINT_BRANCHES:
        return _image_branch(ref, program)
    what = f"the official image `{image}`" if image else f"`{ref}`"
    return (
        f"dffix does not know whether {what} sets an ENTRYPOINT; one would get these "
        'words instead of `/bin/sh -c "…"`'
    )


def _image_branch(ref: str, program: str) -> str | None:
    """Return what the base image's ENTRYPOINT script does differently once it gets
    `program` as its first argument instead of `/bin/sh`, or None."""
    image = official_name(ref)
    branch = ENTRYPOINT_BRANCHES.get(image or "")
    if branch is None or not any(fnmatch.fnmatchcase(program, p) for p in branch.firsts):
        return None
    return (
        f"the `{image}` image's ENTRYPOINT script gets `{program}` instead of `/bin/sh` "
        f"as its first argument, and then {branch.does}"
    )


def _cmd_in_children(facts: Facts, stage: Stage) -> bool:
    """Return whether a stage built on this one (directly or not) sets a CMD and keeps
    this stage's ENTRYPOINT (sets none of its own)."""

    def build() -> frozenset[int]:
        # Stages come after the stage they are built on: one pass from the end.
        reached: set[int] = set()
        for s in reversed(facts.stages):
            if s.parent is None or "ENTRYPOINT" in s.kinds:
                continue
            if "CMD" in s.kinds or s.index in reached:
                reached.add(s.parent)
        return frozenset(reached)

    return stage.index in facts.cached("cmd-in-children", build)


def _has_entrypoint(stage: Stage, parent: bool | None) -> bool:
    """Return whether the stage, or one it is built `FROM`, sets an ENTRYPOINT."""
    return bool(parent) or "ENTRYPOINT" in stage.kinds


def _context_heads(facts: Facts, stage: Stage, program: str) -> list[str] | None:
    """Return the first bytes of the context files COPY/ADD may have put at `program`.

    None when there is no build context or no such file in it.
    """
    if facts.context is None:
        return None
    candidates: set[str] = set()
    for instr in (i for s in stage_chain(facts, stage) for i in s.instructions):
        if instr.kind not in ("COPY", "ADD") or instr.flag("from") or instr.heredocs or len(instr.values) < 2:
            continue
        dest = instr.values[-1]
        for source in (v.lstrip("/") or "." for v in instr.values[:-1]):
            if posixpath.basename(source.rstrip("/")) == posixpath.basename(program):
                candidates.add(source)
            elif dest.endswith("/") and program.startswith(dest):
                candidates.add(posixpath.join(source, program[len(dest) :]))
    heads = [h for c in sorted(candidates) if (h := facts.context.read_text(c, limit=4)) is not None]
    return heads or None


def _simple_command(command: str) -> Command | str:
    """Return the one simple command `command` is, or why it is not one."""
    script = split_commands(command)
    if script is None:
        return "it uses shell syntax dffix does not read"
    if script.operators:
        return f"it joins commands with `{script.operators[0].text}`"
    if len(script.commands) != 1 or not script.is_flat:
        return "it is a compound command"
    found = script.commands[0]
    if found.start != len(command) - len(command.lstrip(" \t")):
        return "it starts with a shell keyword"  # `! cmd`: the `!` is not part of the command
    return found


def _exec_position(found: Command) -> int | None:
    """Return where `exec ` goes in a simple command: before its name, after `NAME=value`s.

    Returns -1 when the command already is `exec <program>`, None when its name is a
    shell builtin (or it has none).
    """
    words = found.words
    prefix = len(found.argv) - len(found.args) - 1
    if found.name is None or prefix < 0 or found.name in _SHELL_ONLY:
        return None
    if found.name == "exec":
        return -1 if found.args else None
    return words[prefix].start


def _run_of(instr: Instruction, index: int) -> int:
    """Return which run of the logical line (source text without a gap) holds `index`."""
    return max(bisect.bisect_right(instr.offsets.starts, index) - 1, 0)


def _word_edits(
    instr: Instruction, words: tuple[Word, ...], start: int, prefix: tuple[str, ...] = ()
) -> list[Edit] | None:
    """Return edits writing `prefix` and `words` as a JSON array over the argument's own lines.

    The array replaces the command from `start` on. Words on one source line are
    replaced together; what lies between lines (the continuation, comment lines,
    indentation) is kept, which BuildKit joins back into one array. None when a word
    (or a dropped `exec`) is split from its line.
    """
    base = instr.args_start
    if _run_of(instr, base + start) != _run_of(instr, base + words[0].start):
        return None
    groups: dict[int, list[Word]] = {}
    for word in words:
        run = _run_of(instr, base + word.start)
        if _run_of(instr, base + word.end - 1) != run:
            return None
        groups.setdefault(run, []).append(word)
    lines = list(groups.values())
    edits = []
    for k, group in enumerate(lines):
        text = ", ".join(quoted(w.value) for w in group)
        if k == 0:
            text = "[" + "".join(quoted(p) + ", " for p in prefix) + text
        text += "]" if k == len(lines) - 1 else ","
        span = instr.offsets.span(base + (start if k == 0 else group[0].start), base + group[-1].end)
        edits.append(Edit.replace(span, text))
    return edits


def _escaped(text: str) -> str:
    return quoted(text)[1:-1]


def _string_edits(instr: Instruction, shell: tuple[str, ...], exec_at: int) -> list[Edit]:
    """Return edits writing `[*shell, "exec <command>"]` over the argument's own lines.

    The command becomes one JSON string; each source line keeps its place (BuildKit
    joins continuation lines before reading the JSON), so comment lines survive.
    `exec_at` < 0 means the command already starts with `exec`.
    """
    head = "[" + "".join(quoted(s) + ", " for s in shell) + '"'
    command, base, offsets = instr.values[0], instr.args_start, instr.offsets
    cuts = sorted({0, len(command), *(s - base for s in offsets.starts if base < s < base + len(command))})
    edits = []
    for lo, hi in itertools.pairwise(cuts):
        piece = _escaped(command[lo:hi])
        if lo <= exec_at < hi:
            piece = _escaped(command[lo:exec_at]) + "exec " + _escaped(command[exec_at:hi])
        text = (head if lo == 0 else "") + piece + ('"]' if hi == len(command) else "")
        edits.append(Edit.replace(offsets.span(base + lo, base + hi), text))
    return edits
