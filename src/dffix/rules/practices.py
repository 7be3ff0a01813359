"""DF7xx: practices. Diagnostics that need a person to decide; none of them has a fix."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from dffix.facts import Facts, Stage
from dffix.lazy import lazy_re
from dffix.memo import Shape, file_cache, per_instruction
from dffix.rules.base import Rule, Violation
from dffix.rules.records import RunCommand as RunCommand, _Read
from dffix.syntax import words as w
from dffix.syntax.shell import Script, split_commands, unquote
from dffix.syntax.tree import Dockerfile, Form, Instruction, Span

# What a NamedTuple's __new__ calls, without its Python frame (one record per command read).
_tuple_new = tuple.__new__

# BuildKit splits FROM's arguments on these, not on Unicode spaces.
_WORD_RE = lazy_re(r"[^\t\v\f\r ]+")
_POSIX_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh", "mksh"})
_WINDOWS_IMAGE_RE = lazy_re(r"windows|servercore|nanoserver|powershell", re.IGNORECASE)
_WINDOWS_PATH_RE = lazy_re(r"^([A-Za-z]:([\\/]|$)|\\\\)")


def basename(word: str) -> str:
    """Return the last path component of a program word (`/usr/bin/apt-get` -> `apt-get`)."""
    return word.rsplit("/", 1)[-1]


def _is_assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and bool(name) and name.replace("_", "a").isalnum() and not name[0].isdigit()


_SUDO_ARG_OPTIONS = frozenset({"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U"})


def unwrap(argv: tuple[str, ...]) -> tuple[str, ...]:
    """Return argv without `NAME=value` prefixes and `sudo`/`env` wrappers, name base-named."""
    # The usual command: a bare program name first, nothing to drop or shorten.
    if argv and "=" not in (first := argv[0]) and "/" not in first and first not in ("sudo", "env"):
        return argv
    i, n = 0, len(argv)
    while i < n:
        word = argv[i]
        if "=" in word and _is_assignment(word):
            i += 1
        elif basename(word) in ("sudo", "env"):
            i += 1
            while i < n and (argv[i].startswith("-") or _is_assignment(argv[i])):
                i += 2 if argv[i] in _SUDO_ARG_OPTIONS else 1
        else:
            break
    rest = argv[i:]
    return (basename(rest[0]), *rest[1:]) if rest else ()


def command_word(argv: tuple[str, ...]) -> str:
    """Return the first word that is not a `NAME=value` prefix ("" when there is none)."""
    # A word without `=` is no assignment: the usual first word is answered without a call.
    for word in argv:
        if "=" not in word or not _is_assignment(word):
            return word
    return ""


def _shell_c_script(argv: tuple[str, ...]) -> str | None:
    """Return the script of `sh -c 'script'` (exec form running a shell), else None."""
    if len(argv) >= 3 and basename(argv[0]) in _POSIX_SHELLS and argv[1] == "-c":
        return argv[2]
    return None


def _script_reads(script: Script) -> tuple[_Read, ...]:
    found: list[_Read] = []
    for tokens, depth, argv in script.commands:
        first = argv[0] if argv else "="
        # The usual command, a bare program name first: what unwrap and command_word
        # would give is argv as it is and its first word (no call for either).
        if "=" in first or "/" in first or first == "sudo" or first == "env":
            read = (unwrap(argv), command_word(argv), tokens[0].start, tokens[-1].end, depth)
        else:
            read = (argv, first, tokens[0].start, tokens[-1].end, depth)
        found.append(_tuple_new(_Read, read))
    return tuple(found)


def _place(instr: Instruction, read: _Read) -> Span:
    """Return the source span of one command read from `instr`'s text (as `_placed` does)."""
    if instr.is_json:
        return instr.args_span
    at = instr.args_start
    return instr.offsets.span(at + read.start, at + read.end)


def _placed(instr: Instruction, reads: tuple[_Read, ...]) -> tuple[RunCommand, ...]:
    """Return the commands read from `instr`'s text, placed in the source: a shell-form
    command at its own span, a command from inside a JSON array at the arguments'."""
    if instr.form is Form.JSON:
        span = instr.args_span
        return tuple([_tuple_new(RunCommand, (argv, raw, span, depth)) for argv, raw, _, _, depth in reads])
    to_span, at = instr.offsets.span, instr.args_start
    return tuple(
        [
            _tuple_new(RunCommand, (argv, raw, to_span(at + start, at + end), depth))
            for argv, raw, start, end, depth in reads
        ]
    )


@per_instruction
def _shape(instr: Instruction) -> Shape:
    """What `commands` reads of an instruction: form, values, arguments, whether it has
    heredocs, and where its arguments are (the commands' spans come from them)."""
    return Shape(
        instr,
        (
            instr.is_json,
            instr.values,
            bool(instr.heredocs),
            instr.args,
            instr.args_start,
            instr.args_span,
            instr.offsets,
        ),
    )


def _text_shape(instr: Instruction) -> Shape:
    """What reading an instruction's commands (`_read_commands`) reads of it: form,
    values, arguments and whether it has heredocs, never where it is. A RUN that a fix
    above it moved is read once per file; only its commands' spans are placed again."""
    return Shape(instr, (instr.is_json, instr.values, bool(instr.heredocs), instr.args))


def commands(instr: Instruction) -> tuple[tuple[RunCommand, ...], Script | None] | None:
    """Return the simple commands an instruction runs, and the shell script read, if any.

    Several rules ask for the same instruction's commands on every fixer pass: the
    answer depends only on the (immutable) instruction, so it is cached.

    Shell form is read with `split_commands`; exec form is one command, or the script of
    `["sh", "-c", "..."]`. Returns None when the shell reader is unsure (a rule then
    reports nothing: better silent than wrong).
    """
    return _shaped_commands(_shape(instr))


@file_cache(4096)
def _shaped_commands(shape: Shape) -> tuple[tuple[RunCommand, ...], Script | None] | None:
    found = _read_commands(_text_shape(shape.instr))
    if found is None:
        return None
    reads, script = found
    return _placed(shape.instr, reads), script


@file_cache(4096)
def _read_commands(shape: Shape) -> tuple[tuple[_Read, ...], Script | None] | None:
    instr = shape.instr
    if instr.is_json:
        argv = instr.values
        if not argv:
            return (), None
        script_text = _shell_c_script(argv)
        if script_text is None:
            return (_Read(unwrap(argv), command_word(argv), 0, 0, 0),), None
        script = split_commands(script_text)
        if script is None:
            return None
        return _script_reads(script), script
    if instr.heredocs:
        return None  # the commands are in the heredoc body, which we keep opaque
    script = split_commands(instr.args)
    if script is None:
        return None
    return _script_reads(script), script


# Words after which the next word is a command name, when they stand alone.
_OPERATOR_WORDS = frozenset({";", "&&", "||", "|", "|&", "&", "(", ")", "{", "}", ";;"})
_KEYWORDS = frozenset({"if", "then", "elif", "else", "fi", "while", "until", "do", "done", "!"})
_GLUED = (";", "&&", "||", "|", "&")


def fallback_commands(
    line: str, line_start: int, instr: Instruction | None, fallback: Span
) -> list[RunCommand]:
    """Return the commands of a line the shell reader gave up on, by a cautious word scan.

    Only words that surely start a command count: the first word, and words after a
    standalone operator (`&&`, `;`, `|`...), a word ending in one (`x;`, but not
    `\\;`), or a shell keyword at command position. Words glued to other syntax
    (`$(cd x)`, `a;cd`) are missed, never misread. A word starting with `#` ends the scan.

    Spans are `line_start` + the word offsets mapped through `instr`'s offsets, or
    `fallback` when `instr` is None.
    """
    found: list[RunCommand] = []
    for r in _fallback_reads(line):
        span = instr.offsets.span(line_start + r.start, line_start + r.end) if instr is not None else fallback
        found.append(RunCommand(r.argv, r.raw_name, span, 0))
    return found


def _fallback_reads(line: str) -> list[_Read]:
    """Return the commands `fallback_commands` finds in `line`, with offsets in `line`."""
    found: list[_Read] = []
    current: list[str] = []  # the words of the command being read, as written
    start = end = 0

    def flush(strip: str = "") -> None:
        if current:
            # A word without quotes or backslashes is its own value (no call, as in shell._script).
            argv = tuple([unquote(x) if "'" in x or '"' in x or "\\" in x else x for x in current])
            if strip:
                argv = (*argv[:-1], argv[-1][: -len(strip)])
            first = argv[0]
            if "=" in first or "/" in first or first == "sudo" or first == "env":
                found.append(_tuple_new(_Read, (unwrap(argv), command_word(argv), start, end, 0)))
            else:  # a bare program name first: unwrap and command_word give argv and it
                found.append(_tuple_new(_Read, (argv, first, start, end, 0)))
            current.clear()

    for m in w.SHELL_WORD_RE.finditer(line):
        text = m.group()
        if text[0] == "#":
            break
        if text in _OPERATOR_WORDS or (not current and text in _KEYWORDS):
            flush()
            continue
        if not current:
            start = m.start()
        current.append(text)
        end = m.end()
        if text.endswith(_GLUED):
            glued = next(g for g in _GLUED if text.endswith(g))
            if text != glued and not text.endswith("\\;"):
                flush(glued)
    flush()
    return found


def simple_commands(instr: Instruction) -> tuple[RunCommand, ...]:
    """Return the commands of an instruction: read by `commands`, else by the word scan."""
    return _shaped_simple_commands(_shape(instr))


@file_cache(4096)
def _shaped_simple_commands(shape: Shape) -> tuple[RunCommand, ...]:
    found = _shaped_commands(shape)
    if found is not None:
        return found[0]  # the same commands `commands` gives, not copies
    return _placed(shape.instr, _read_fallback(_text_shape(shape.instr)))


@file_cache(4096)
def _read_fallback(shape: Shape) -> tuple[_Read, ...]:
    instr = shape.instr
    if instr.is_json:
        return tuple(_fallback_reads(_shell_c_script(instr.values) or ""))
    return tuple(_fallback_reads(instr.args))


def simple_reads(instr: Instruction) -> tuple[_Read, ...]:
    """Return the commands `simple_commands` gives, not placed in the source: their argv
    and raw names, with offsets in the text read. For a rule that reads only the words
    (and places the one command it reports, `_place`): cached by the RUN's text, so a RUN
    a fix above it moved is not placed again."""
    return _shape_reads(_text_shape(instr))


def _shape_reads(shape: Shape) -> tuple[_Read, ...]:
    """Return `simple_reads` of the instruction of a `_text_shape` (both readers are cached)."""
    found = _read_commands(shape)
    return found[0] if found is not None else _read_fallback(shape)


def _read_text(instr: Instruction) -> str:
    """Return the text the commands of `instr` are read from: the arguments, or a JSON
    instruction's values (decoded: `\\u0026` is `&`) one a line."""
    return "\n".join(instr.values) if instr.form is Form.JSON else instr.args


def may_hold(instr: Instruction, word: str) -> bool:
    """Return False only when no word of the commands `simple_commands` reads from `instr`
    holds `word` (a text without quotes or backslashes): then a rule looking for it need
    not read the commands. Every command word is a piece of the arguments (a JSON
    instruction's values), quotes and backslashes removed (`shell.unquote`), the line's
    continuations already joined: such a word holds `word` only if the text does once
    they are removed (and `word` in the text is still there once they are)."""
    return word in _bare_text(_read_text(instr))


@file_cache(4096)
def _bare_text(text: str) -> str:
    """Return `text` without quotes and backslashes. Cached: several rules ask on every
    pass, and an unchanged RUN's arguments are the same string from one pass to the next."""
    if "'" not in text and '"' not in text and "\\" not in text:
        return text
    return text.replace("'", "").replace('"', "").replace("\\", "")


def _first_word_span(instr: Instruction) -> Span:
    m = _WORD_RE.search(instr.args)
    if m is None:
        return instr.keyword_span
    return instr.offsets.span(instr.args_start + m.start(), instr.args_start + m.end())


def _parent(facts: Facts, stage: Stage) -> Stage | None:
    """Return the earlier stage this stage builds on (`FROM build AS test`), if any."""
    return facts.stages[stage.parent] if stage.parent is not None else None


# -- DF701 ---------------------------------------------------------------------


# A loose image reference: optional registry (any case), lowercase path, optional tag.
_IMAGE_RE = lazy_re(r"^([A-Za-z0-9.\-]+(:[0-9]+)?/)?[a-z0-9._\-/]+(:[A-Za-z0-9._\-]+)?$")


def image_tag(reference: str) -> str | None:
    """Return the tag of an image reference, or None (`localhost:5000/app` has none)."""
    last = reference.split("@", 1)[0].rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


class UnpinnedBaseImage(Rule):
    """## What it does
    Flags a `FROM` whose image has no tag, or the tag `latest`.

    ## Why is this bad?
    `latest` is whatever the publisher pushed last. The same Dockerfile then builds a
    different image from one day to the next: a new major version of the base can break
    the build or the app, and a cached build and a fresh one disagree. A version tag
    (`python:3.12-slim`) says what you tested against; a digest (`@sha256:...`) pins it
    exactly.

    ## Example
    ```dockerfile
    FROM ubuntu
    FROM node:latest
    ```

    ## Use instead
    ```dockerfile
    FROM ubuntu:24.04
    FROM node:22-bookworm-slim
    ```

    ## Fix safety
    There is no fix: which version to pin is your choice.

    Not reported: `scratch`, a `FROM` naming an earlier stage, an image given by a
    variable (`FROM $BASE`, its value comes from outside), any image pinned by digest
    (with or without a tag), and template placeholders that are not image names
    (`%%FROM%%`, `BASEIMAGE`).

    ## References
    - Docker best practices: "Pin base image versions"
    - hadolint DL3006 (no tag), DL3007 (`latest`)
    """

    code = "DF701"
    name = "unpinned-base-image"
    message = "Base image is not pinned to a version"
    aliases = ("DL3006", "DL3007")

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        earlier: set[str] = set()
        for stage in facts.stages:
            base = stage.base
            message = self._problem(base, earlier)
            if stage.name:
                earlier.add(stage.name)
            if message is not None:
                yield self.violation(_first_word_span(stage.from_instr), message=message)

    @staticmethod
    def _problem(base: str, earlier: set[str]) -> str | None:
        # `scratch` is the empty image; a stage name is built here; `$X` comes from outside.
        if not base or base.lower() == "scratch" or base.lower() in earlier or "$" in base:
            return None
        # `%%FROM%%`, `BASEIMAGE`: a template placeholder, not an image (names are lowercase).
        if not _IMAGE_RE.match(base.split("@", 1)[0]):
            return None
        if "@" in base:
            return None  # a digest pins the exact image, tag or not
        tag = image_tag(base)
        if tag is None:
            return f"Base image `{base}` has no tag, so it is `latest`: pin a version or digest"
        if tag == "latest":
            return f"Base image `{base}` uses `latest`: pin a version or digest"
        return None


# -- DF702 ---------------------------------------------------------------------

_APT = frozenset({"apt-get", "apt"})
_APT_ARG_OPTIONS = frozenset(
    {"-o", "-c", "-t", "--option", "--config-file", "--target-release", "--default-release"}
)


def apt_subcommand(argv: tuple[str, ...]) -> str | None:
    """Return the subcommand of an `apt-get`/`apt` argv (`install`), skipping options."""
    i = 1
    while i < len(argv):
        word = argv[i]
        if word in _APT_ARG_OPTIONS:
            i += 2
        elif word.startswith("-"):
            i += 1
        else:
            return word
    return None


class AptGetUpgrade(Rule):
    """## What it does
    Flags `apt-get upgrade`, `dist-upgrade` and `full-upgrade` (also with `apt`) in `RUN`.

    ## Why is this bad?
    Upgrading every package of the base image makes the build depend on the day it ran:
    two builds of one Dockerfile get different package versions, and the layer can be
    large. Docker's guide advises keeping this to a minimum; a fresher base image tag
    usually gets the same security fixes, reproducibly. Some packages also cannot be
    upgraded inside an unprivileged build container.

    Off by default: pulling security fixes at build time is a reasonable choice too (the
    hadolint check DL3005 was removed for that reason). Enable it with
    `--select apt-get-upgrade` if your policy is to take updates only from the base.

    ## Example
    ```dockerfile
    FROM debian:bookworm
    RUN apt-get update && apt-get -y upgrade && apt-get install -y curl
    ```

    ## Use instead
    ```dockerfile
    FROM debian:bookworm-20240612
    RUN apt-get update && apt-get install -y curl
    ```

    ## Fix safety
    There is no fix: dropping the upgrade changes which package versions end up in the
    image.

    Where the shell reader cannot follow a line (`case`, functions), a cautious word
    scan still finds commands that surely start a command (first word, or after `&&`,
    `;`, `|`); heredoc bodies are not read.

    ## References
    - Docker best practices: "apt-get"
    """

    code = "DF702"
    name = "apt-get-upgrade"
    message = "`apt-get upgrade` makes the build depend on the day it runs"
    default_enabled = False

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instructions("RUN"):
            for cmd in simple_commands(instr):
                if cmd.argv and cmd.argv[0] in _APT:
                    sub = apt_subcommand(cmd.argv)
                    if sub in ("upgrade", "dist-upgrade", "full-upgrade"):
                        msg = f"`{cmd.argv[0]} {sub}` makes the build depend on the day it runs"
                        yield self.violation(cmd.span, message=msg)
                        break


# -- DF703 ---------------------------------------------------------------------


class SudoInRun(Rule):
    """## What it does
    Flags `sudo` in a `RUN` command.

    ## Why is this bad?
    Build steps already run as root unless a `USER` says otherwise, so `sudo` adds
    nothing there. After `USER app` it needs a sudoers entry that then stays in the image,
    letting the app's user become root at run time. `sudo` also behaves unpredictably
    without a terminal and with signals. Switch users with `USER` instead.

    ## Example
    ```dockerfile
    USER app
    RUN sudo apt-get install -y curl
    ```

    ## Use instead
    ```dockerfile
    USER root
    RUN apt-get install -y curl
    USER app
    ```

    ## Fix safety
    There is no fix: which user the command should run as, and whether `sudo` is needed
    at run time, is yours to decide.

    Where the shell reader cannot follow a line (`case`, functions), a cautious word
    scan still finds commands that surely start a command (first word, or after `&&`,
    `;`, `|`); heredoc bodies are not read.

    ## References
    - Docker best practices: "USER"
    - hadolint DL3004
    """

    code = "DF703"
    name = "sudo-in-run"
    message = "`sudo` used in `RUN`"
    aliases = ("DL3004",)

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instruction_list:
            # Most RUNs never say `sudo`: their commands are not read for this rule.
            if instr.kind != "RUN" or not may_hold(instr, "sudo"):
                continue
            sudo = next((c for c in simple_reads(instr) if basename(c.raw_name) == "sudo"), None)
            if sudo is not None:
                yield self.violation(_place(instr, sudo))


# -- DF704 ---------------------------------------------------------------------


class CdInRun(Rule):
    """## What it does
    Flags `cd` in a `RUN` command.

    ## Why is this bad?
    `cd` lasts only until the end of its `RUN`, so the next instruction is back in the
    old directory, which surprises readers; long `cd a && ... && cd ../b` chains are hard
    to follow. `WORKDIR` sets the directory for every later instruction, creates it if
    needed and shows up in the image config.

    ## Example
    ```dockerfile
    RUN cd /src && make install
    ```

    ## Use instead
    ```dockerfile
    WORKDIR /src
    RUN make install
    ```

    ## Fix safety
    There is no fix: a `WORKDIR` would change the directory of every later instruction
    (and of the container at run time), not just this command. A `cd` inside a
    subshell, `( cd x && make )`, is reported too, like hadolint does; silence it there if
    it is deliberate.

    Where the shell reader cannot follow a line (`case`, functions), a cautious word
    scan still finds commands that surely start a command (first word, or after `&&`,
    `;`, `|`); heredoc bodies are not read. One diagnostic per `RUN`, at its first `cd`.

    ## References
    - Docker best practices: "WORKDIR"
    - hadolint DL3003
    """

    code = "DF704"
    name = "cd-in-run"
    message = "`cd` in `RUN`: use `WORKDIR` to change directory"
    aliases = ("DL3003",)

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instruction_list:
            if instr.kind != "RUN" or not may_hold(instr, "cd"):
                continue
            cd = next((c for c in simple_reads(instr) if c.argv and c.argv[0] == "cd"), None)
            if cd is not None:
                yield self.violation(_place(instr, cd))


# -- DF705 ---------------------------------------------------------------------


def _unquote(word: str) -> str:
    return word[1:-1] if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"" else word


def _is_absolute_or_unknown(path: str) -> bool:
    # `$DIR` is set elsewhere; `C:\app` and `\\server` are absolute on Windows.
    return path.startswith(("/", "$")) or bool(_WINDOWS_PATH_RE.match(path))


class RelativeWorkdir(Rule):
    """## What it does
    Flags a relative `WORKDIR` when no absolute `WORKDIR` came before it in the stage.

    ## Why is this bad?
    A relative `WORKDIR` is resolved against the directory set before it. Without an
    absolute `WORKDIR` earlier in the stage that is the base image's working directory,
    which the base can change in any release, so files land somewhere else.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR app
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    ```

    ## Fix safety
    There is no fix: the right absolute path depends on what the base image's working
    directory is meant to be.

    Not reported: paths starting with `/`, with a variable (`$HOME/app`, set elsewhere),
    Windows paths (`C:\\app`, `\\\\server\\share`), and relative paths after an absolute
    `WORKDIR` in the same stage or in the earlier stage it builds on (as BuildKit's check;
    hadolint DL3000 reports every relative path).

    ## References
    - Dockerfile reference: "WORKDIR"
    - hadolint DL3000; BuildKit check `WorkdirRelativePath`
    """

    code = "DF705"
    name = "relative-workdir"
    message = "Relative `WORKDIR` depends on the base image's working directory"
    aliases = ("DL3000", "WorkdirRelativePath")

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        settled: dict[int, bool] = {}  # stage index -> an absolute WORKDIR was set
        for stage in facts.stages:
            parent = _parent(facts, stage)
            known = settled.get(parent.index, False) if parent else False
            for instr in stage.instructions:
                if instr.kind != "WORKDIR" or not instr.values:
                    continue
                path = _unquote(instr.values[0])
                if _is_absolute_or_unknown(path):
                    known = True
                elif not known:
                    yield self.violation(_first_word_span(instr))
            settled[stage.index] = known


# -- DF706 ---------------------------------------------------------------------

# Commands that only write what they are given: a pipe from them hides no failure.
_SAFE_PRODUCERS = frozenset({"echo", "printf", "true", "yes"})


def _sets_pipefail(argv: tuple[str, ...]) -> bool:
    """Return whether argv (a shell or `set`) holds `-o pipefail` (also `-eo pipefail`)."""
    return any(
        a.startswith("-") and not a.startswith("--") and a.endswith("o") and b == "pipefail"
        for a, b in itertools.pairwise(argv)
    )


def is_windows(facts: Facts, stage: Stage) -> bool:
    """Return whether the stage's base looks like a Windows image (default shell `cmd`)."""
    return bool(_WINDOWS_IMAGE_RE.search(facts.root(stage).base))


def _masking_pipe(script: Script) -> bool:
    """Return whether a top-level `|` follows a command that can fail."""
    cmds = script.commands
    # Where each command starts and ends, read once (not once per operator and command).
    starts = [c.tokens[0].start for c in cmds]
    ends = [c.tokens[-1].end for c in cmds]
    last = len(cmds) - 1
    for op in script.operators:
        if op.text not in ("|", "|&"):
            continue
        at, after_op = op.start, op.end
        k = next((k for k in range(last, -1, -1) if ends[k] <= at), None)  # the last one before
        left = cmds[k] if k is not None else None
        right = next((cmds[j] for j in range(last + 1) if starts[j] >= after_op), None)
        if not ((left and left.depth == 0) or (right and right.depth == 0)):
            continue  # inside `( )`, `if`, a loop: not the RUN's own exit status
        if left is None or k is None or left.depth != 0:
            return True
        left_end = ends[k]
        if any(left_end <= o.start < at for o in script.operators) or left.name not in _SAFE_PRODUCERS:
            return True
    return False


class PipeWithoutPipefail(Rule):
    """## What it does
    Flags a `RUN` with a pipeline (`a | b`) that runs without `pipefail`.

    ## Why is this bad?
    A pipeline's exit status is the last command's. In
    `RUN curl -fsSL https://example.com/install.sh | sh`, a failed download gives `sh`
    empty input, `sh` succeeds, and the build goes on without what it was meant to
    install. With `pipefail` the first failure fails the step. Debian's `/bin/sh`
    (dash) has no `pipefail`, so set a shell that has it; Alpine's `/bin/sh` (BusyBox
    ash) has it, so `RUN set -o pipefail && ...` is enough there.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    RUN curl -fsSL https://example.com/install.sh | sh
    ```

    ## Use instead
    ```dockerfile
    FROM debian:bookworm-slim
    SHELL ["/bin/bash", "-o", "pipefail", "-c"]
    RUN curl -fsSL https://example.com/install.sh | sh
    ```

    ## Fix safety
    There is no fix: a `SHELL` line changes every later `RUN` of the stage, and the image
    may not have bash.

    Not reported: a `RUN` with `set -o pipefail`; a `SHELL` with `-o pipefail` earlier in
    the stage (or in the stage it builds on); pipes whose left side is only `echo`,
    `printf`, `true` or `yes` (they cannot fail in a way pipefail would catch); pipes
    nested inside `( )`, `if` or loops; exec-form `RUN`; a `SHELL` that is not a POSIX
    shell (PowerShell, cmd) or a Windows base image; commands the shell reader cannot
    follow (`case`, functions, heredocs).

    ## References
    - Docker best practices: "Using pipes"
    - hadolint DL4006
    """

    code = "DF706"
    name = "pipe-without-pipefail"
    message = (
        "Pipe without `pipefail`: a failure before the last `|` does not fail the build; "
        'use `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` (dash, Debian\'s /bin/sh, has no '
        "pipefail) or start the RUN with `set -o pipefail &&` where /bin/sh has it (Alpine)"
    )
    aliases = ("DL4006",)

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for stage in facts.stages:
            windows: bool | None = None  # asked only once a piped RUN is found in the stage
            for instr in stage.instructions:
                if instr.kind != "RUN" or "|" not in instr.args or instr.form is Form.JSON:
                    continue
                if windows is None:
                    windows = is_windows(facts, stage)
                if windows:
                    break
                if not _pipefail_missing(stage.shell_at(instr)):
                    continue
                if _masks_failure(_text_shape(instr)):
                    yield self.violation(instr.keyword_span)


@file_cache(64)
def _pipefail_missing(shell: tuple[str, ...]) -> bool:
    """Return whether `shell` (a `SHELL` in force) is a POSIX shell without `-o pipefail`.
    Cached: every piped RUN of a stage asks of the same few shells."""
    return bool(shell) and basename(shell[0]) in _POSIX_SHELLS and not _sets_pipefail(shell)


@file_cache(4096)
def _masks_failure(shape: Shape) -> bool:
    """Return whether a RUN's script has a pipe whose failure is masked, with no `set -o
    pipefail` of its own. Reads only the commands' words and the script, never where they
    are: cached by the RUN's text (see `_text_shape`), for every fixer pass."""
    found = _read_commands(shape)
    script = found[1] if found else None
    if found is None or script is None:
        return False
    if any(c.argv and c.argv[0] == "set" and _sets_pipefail(c.argv) for c in found[0]):
        return False
    return _masking_pipe(script)


# -- DF707 ---------------------------------------------------------------------


class RepeatedCmdOrEntrypoint(Rule):
    """## What it does
    Flags a `CMD` or `ENTRYPOINT` followed by another one in the same stage.

    ## Why is this bad?
    A stage keeps only its last `CMD` and its last `ENTRYPOINT`; the earlier ones do
    nothing. They are usually left over from editing, or written in the hope that both
    commands run, which they never do.

    ## Example
    ```dockerfile
    CMD ["nginx"]
    CMD ["php-fpm"]
    ```

    ## Use instead
    ```dockerfile
    CMD ["php-fpm"]
    ```

    ## Fix safety
    There is no fix: deleting the earlier line changes nothing in the image, but it may
    show that the file meant something else, which only you can tell.

    Each stage is checked on its own (every stage can be a `--target`). `ONBUILD CMD` is
    not counted: it applies to images built from this one.

    ## References
    - Dockerfile reference: "CMD", "ENTRYPOINT"
    - hadolint DL4003 (CMD), DL4004 (ENTRYPOINT)
    """

    code = "DF707"
    name = "repeated-cmd-or-entrypoint"
    message = "Only the last `CMD`/`ENTRYPOINT` of a stage takes effect"
    aliases = ("DL4003", "DL4004", "MultipleInstructionsDisallowed")

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for stage in facts.stages:
            for kind in ("CMD", "ENTRYPOINT"):
                found = [i for i in stage.instructions if i.kind == kind]
                if len(found) < 2:
                    continue
                last = found[-1]
                for instr in found[:-1]:
                    msg = f"`{kind}` has no effect: the `{kind}` on line {last.start_line} replaces it"
                    yield self.violation(instr.keyword_span, message=msg)


# -- DF708 ---------------------------------------------------------------------

_SUPERVISORS = frozenset({"supervisord"})


class MultipleProcessesInContainer(Rule):
    """## What it does
    Flags a `CMD` or `ENTRYPOINT` that starts `supervisord`, or that starts a process in
    the background with `&`.

    ## Why is this bad?
    A container is meant to run one service. Docker watches one process: its exit
    status, its logs on stdout/stderr, the signals `docker stop` sends. With a supervisor
    or a background job, a crashed service goes unnoticed, logs end up in files, and
    scaling or updating one service means restarting all of them. A background job
    started with `&` also gets no `SIGTERM` on `docker stop` and is killed after the
    timeout.

    ## Example
    ```dockerfile
    CMD php-fpm & nginx -g 'daemon off;'
    ```

    ## Use instead
    Run each service in its own container (for example two services in a Compose file),
    and talk over the network or a shared volume:
    ```dockerfile
    CMD ["php-fpm", "-F"]
    ```

    ## Fix safety
    There is no fix: splitting services is a design change.

    Exec-form commands are checked for `supervisord` and, when they run `sh -c`, for
    `&` in the script. Where the shell reader cannot follow a line, `supervisord` is
    still found by a cautious word scan, but `&` is not reported.

    ## References
    - Docker best practices: "Decouple applications"
    - Docker docs: "Run multiple processes in a container"
    """

    code = "DF708"
    name = "multiple-processes-in-container"
    message = "Several processes in one container"

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instruction_list:
            if instr.kind != "CMD" and instr.kind != "ENTRYPOINT":
                continue
            # Neither `supervisord` nor `&` written: nothing to read (each operator is a
            # piece of the text too).
            if not may_hold(instr, "supervisord") and "&" not in _read_text(instr):
                continue
            shape = _text_shape(instr)
            found = _read_commands(shape)
            # Unsure of the shell: still find `supervisord`, but no `&` without the operators.
            cmds, script = found if found is not None else (_read_fallback(shape), None)
            sup = next((c for c in cmds if c.argv and c.argv[0] in _SUPERVISORS), None)
            if sup is not None:
                msg = f"`{instr.kind}` starts `supervisord`, which runs several processes in one container"
                yield self.violation(_place(instr, sup), message=msg)
            elif script is not None and any(op.text == "&" for op in script.operators):
                msg = f"`{instr.kind}` starts a process in the background with `&`; Docker won't watch it"
                yield self.violation(instr.keyword_span, message=msg)


# -- DF709 ---------------------------------------------------------------------

_BUILD_TOOLS = frozenset(
    {"gcc", "g++", "gcc-c++", "make", "build-essential", "build-base", "alpine-sdk", "clang", "cmake"}
)
_APK_ARG_OPTIONS = frozenset(
    {"-t", "--virtual", "-X", "--repository", "-p", "--root", "--arch", "--cache-dir", "--keys-dir"}
)
_YUM = frozenset({"yum", "dnf", "microdnf", "tdnf"})
_YUM_ARG_OPTIONS = frozenset({"-c", "--config", "--installroot", "--releasever", "--setopt"})
# The programs `installed_packages` reads an install of.
_PACKAGE_MANAGERS = _APT | {"apk"} | _YUM


def _packages(words: tuple[str, ...], arg_options: frozenset[str]) -> list[str]:
    found: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word in arg_options:
            skip = True
        elif not word.startswith("-"):
            found.append(word)
    return found


def installed_packages(argv: tuple[str, ...]) -> list[str] | None:
    """Return the packages an apt-get/apt/apk/yum/dnf install command names, else None."""
    if not argv:
        return None
    name = argv[0]
    if name in _APT and apt_subcommand(argv) == "install":
        return _packages(argv[argv.index("install") + 1 :], _APT_ARG_OPTIONS)
    if name == "apk" and "add" in argv:
        return _packages(argv[argv.index("add") + 1 :], _APK_ARG_OPTIONS)
    if name in _YUM and "install" in argv:
        return _packages(argv[argv.index("install") + 1 :], _YUM_ARG_OPTIONS)
    return None


def removes_packages(argv: tuple[str, ...]) -> bool:
    """Return whether a command removes packages (`apt-get purge`, `apk del`, `yum remove`)."""
    if not argv:
        return False
    if argv[0] in _APT:
        return apt_subcommand(argv) in ("purge", "remove", "autoremove")
    if argv[0] == "apk":
        return "del" in argv
    return argv[0] in _YUM and any(s in argv for s in ("remove", "erase", "autoremove"))


_VERSION_SEP = lazy_re(r"[=<>~:]")


def is_build_tool(package: str) -> bool:
    """Return whether a package name is a compiler, build tool or headers package."""
    name = _VERSION_SEP.split(package, maxsplit=1)[0].lower()
    return name in _BUILD_TOOLS or name.endswith(("-dev", "-devel"))


class BuildToolsInFinalStage(Rule):
    """## What it does
    Flags compilers, `make` and `-dev`/`-devel` packages installed in the final stage and
    not removed in the same `RUN`.

    ## Why is this bad?
    Build tools are needed to build, not to run. Left in the image they add hundreds of
    megabytes, and every compiler and header package is more code for scanners to flag
    and attackers to use. A multi-stage build compiles in one stage and copies only the
    results into a small final stage.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    RUN apt-get update && apt-get install -y build-essential libpq-dev
    RUN pip install psycopg2
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim AS build
    RUN apt-get update && apt-get install -y build-essential libpq-dev
    RUN pip wheel --wheel-dir /wheels psycopg2

    FROM python:3.12-slim
    RUN apt-get update && apt-get install -y libpq5 && rm -rf /var/lib/apt/lists/*
    COPY --from=build /wheels /wheels
    RUN pip install /wheels/*
    ```

    ## Fix safety
    There is no fix: moving a build into its own stage needs to know what to copy out.

    Looks at `apt-get`/`apt install`, `apk add` and `yum`/`dnf`/`microdnf install` in the
    final stage, for `gcc`, `g++`, `gcc-c++`, `clang`, `make`, `cmake`,
    `build-essential`, `build-base`, `alpine-sdk` and names ending in `-dev` or `-devel`.
    Not reported when a later command of the same `RUN` removes packages
    (`apt-get purge`/`remove`/`autoremove`, `apk del`, `yum remove`), the usual
    `apk add --virtual .build-deps ... && apk del .build-deps` pattern. Packages given by
    a variable are not known, so not reported. Where the shell reader cannot follow a
    line (`case`, functions), a cautious word scan finds the commands.

    ## References
    - Docker docs: "Multi-stage builds"
    - Docker best practices: "Don't install unnecessary packages"
    """

    code = "DF709"
    name = "build-tools-in-final-stage"
    message = "Build tools installed in the final stage"

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        stage = facts.final_stage
        if stage is None:
            return
        for instr in stage.instructions:
            if instr.kind != "RUN":
                continue
            # A build tool is named in the text (in any case): most RUNs name none.
            if not _may_name_build_tool(instr):
                continue
            found = _build_tools(_text_shape(instr))
            if found is None:
                continue
            at, tools = found
            names = ", ".join(f"`{t}`" for t in tools[:3]) + (", ..." if len(tools) > 3 else "")
            msg = (
                f"Build tools ({names}) installed in the final stage stay in the image: "
                "build in an earlier stage and copy only the results"
            )
            yield self.violation(_place(instr, simple_reads(instr)[at]), message=msg)


def _may_name_build_tool(instr: Instruction) -> bool:
    """Return False only when no command word of `instr` can name a build tool (see
    `may_hold`: each is a piece of the text, quotes and backslashes removed)."""
    return _names_build_tool(_bare_text(_read_text(instr)))


@file_cache(4096)
def _names_build_tool(bare: str) -> bool:
    # What every name `is_build_tool` accepts holds, lower-cased (`cmake` holds `make`):
    # substring tests, each a C search (an alternation in one pattern was slower).
    text = bare.lower()
    return (
        "gcc" in text
        or "make" in text
        or "-dev" in text
        or "g++" in text
        or "build-" in text
        or "clang" in text
        or "alpine-sdk" in text
    )


@file_cache(4096)
def _build_tools(shape: Shape) -> tuple[int, tuple[str, ...]] | None:
    """Return the index of a RUN's first command that installs build tools no later command
    of the RUN removes, and those tools; None when there is none. Reads only the commands'
    words: cached by the RUN's text (see `_text_shape`), for every fixer pass."""
    cmds = _shape_reads(shape)
    for i, cmd in enumerate(cmds):
        # Only a package manager installs anything: the other commands cost no call.
        if not cmd.argv or cmd.argv[0] not in _PACKAGE_MANAGERS:
            continue
        tools = [p for p in installed_packages(cmd.argv) or () if is_build_tool(p)]
        if tools and not any(removes_packages(c.argv) for c in cmds[i + 1 :]):
            return i, tuple(tools)
    return None


# -- DF710 ---------------------------------------------------------------------

_SECRET_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pword",
        "passphrase",
        "secret",
        "token",
        "credential",
        "credentials",
        "apikey",
        "privatekey",
    }
)
_KEY_QUALIFIERS = frozenset(
    {
        "api",
        "private",
        "access",
        "secret",
        "auth",
        "ssh",
        "encryption",
        "signing",
        "master",
        "license",
        "client",
    }
)
# Names of places where a secret is, or settings about it, rather than the secret.
_NOT_SECRET_WORDS = frozenset(
    {
        "public",
        "file",
        "path",
        "dir",
        "url",
        "uri",
        "endpoint",
        "host",
        "name",
        "version",
        "type",
        "length",
        "ttl",
        "timeout",
        "header",
        "location",
    }
)
# What every word `looks_secret` looks for holds (`passwd`, `apikey`, `key` after `api`).
_SECRET_PART = lazy_re(r"pass|pword|secret|token|credential|key")
_CAMEL_RE = lazy_re(r"(?<=[a-z0-9])(?=[A-Z])")
_NAME_SEP = lazy_re(r"[_\-.]+")


def name_words(name: str) -> list[str]:
    """Return the lower-cased words of a variable name (`dbPassword_FILE` -> db, password, file)."""
    return [p.lower() for p in _NAME_SEP.split(_CAMEL_RE.sub("_", name)) if p]


@file_cache(1024)
def looks_secret(name: str) -> bool:
    """Return whether a variable name says it holds a secret (password, token, API key...).

    Cached: the same ARG and ENV names are asked for on every fixer pass."""
    # Each word is a piece of the name, lower-cased: most names hold no secret word.
    if _SECRET_PART.search(name.lower()) is None:
        return False
    words = name_words(name)
    if any(word in _NOT_SECRET_WORDS for word in words):
        return False
    if any(word in _SECRET_WORDS for word in words):
        return True
    return any(a in _KEY_QUALIFIERS and b in ("key", "keys") for a, b in itertools.pairwise(words))


def _arg_env_names(instr: Instruction) -> list[str]:
    if instr.kind == "ENV":
        return [_unquote(k) for k in instr.values[0::2]]
    return [_unquote(v.split("=", 1)[0]) for v in instr.values]


def _name_span(instr: Instruction, name: str) -> Span:
    for word in w.shell_words(instr.args):
        if _unquote(word.value.split("=", 1)[0]) == name:
            start = instr.args_start + word.start
            return instr.offsets.span(start, start + len(word.value.split("=", 1)[0]))
    return instr.keyword_span


class SecretInArgOrEnv(Rule):
    """## What it does
    Flags `ARG` and `ENV` names that say they hold a secret: passwords, tokens, API and
    private keys, credentials.

    ## Why is this bad?
    `ENV` values are stored in the image config, readable by anyone who can pull it.
    `ARG` values passed with `--build-arg` end up in the image history and the build
    cache. Secrets belong in secret mounts, which are never stored:
    `RUN --mount=type=secret,id=npm_token ...`, built with `--secret id=npm_token,...`.

    ## Example
    ```dockerfile
    ARG NPM_TOKEN
    RUN echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci
    ```

    ## Use instead
    ```dockerfile
    RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN \\
        echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > .npmrc && npm ci && rm .npmrc
    ```

    ## Fix safety
    There is no fix: the secret has to be passed differently when building.

    The name is split into words (`_`, `-`, `.`, camelCase). Reported: a word `password`,
    `passwd`, `pword`, `passphrase`, `secret`, `token`, `credential(s)`, `apikey`,
    `privatekey`, or `key` after `api`, `private`, `access`, `secret`, `auth`, `ssh`,
    `encryption`, `signing`, `master`, `license` or `client` (`AWS_SECRET_ACCESS_KEY`,
    `SSH_PRIVATE_KEY`). Not reported, unlike BuildKit's check: `key` on its own
    (`GPG_KEY` holds a public fingerprint) and `auth` on its own (`AUTH_TYPE`), and names
    that point at a secret or describe it rather than hold it: with a word such as
    `file`, `path`, `url`, `endpoint`, `host`, `name`, `version`, `type`, `public`
    (`POSTGRES_PASSWORD_FILE`, `TOKEN_URL`). `ONBUILD` triggers are not checked.

    ## References
    - Docker docs: "Build secrets"
    - BuildKit check `SecretsUsedInArgOrEnv`
    """

    code = "DF710"
    name = "secret-in-arg-or-env"
    message = "Possible secret in `ARG` or `ENV`"
    aliases = ("SecretsUsedInArgOrEnv",)

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instruction_list:
            if instr.kind != "ARG" and instr.kind != "ENV":
                continue
            for name in _arg_env_names(instr):
                if looks_secret(name):
                    msg = (
                        f"`{instr.kind} {name}` may hold a secret, which stays in the image or its "
                        "history: use a secret mount (`RUN --mount=type=secret`)"
                    )
                    yield self.violation(_name_span(instr, name), message=msg)
