"""Property and fuzz tests: whatever the input, dffix never breaks a file.

Inputs come from three places: a generator of Dockerfiles covering the grammar (directives,
every instruction, flags, JSON and shell forms, continuations with comments and empty
lines, heredocs, CRLF/LF/mixed, BOM, tabs, no final newline, escape=`, lowercase keywords,
ONBUILD, multi-stage `--from`, installs that make the rules fire); mutations of those and
of real corpus files (lines deleted, duplicated, swapped, cut, `\\`, `<<EOF`, quotes, NUL
bytes, invalid UTF-8 inserted); and token soup. For every input:

- nothing raises: `parse` gives a tree or a ParseError value, `fix` a result or ParseError;
- `render(parse(x)) == x`, and bytes round-trip through decode/encode;
- our parser accepts exactly what BuildKit's accepts, with the same instructions;
- fixing (all rules, opt-in ones too, safe and unsafe level) reports no dffix bug, and
  fixing the output again changes nothing;
- each pass of the fixer changes only what its applied fixes' edits cover: the text before
  the first edit and after the last is the same, every instruction no edit touches is
  still there with its exact text at its shifted offset, and BuildKit reads it the same;
  BuildKit accepts the output whenever it accepted the input;
- the newline style and the final newline are kept.

The default run is seeded and short. `DFFIX_FUZZ_EXAMPLES=20000` runs each test that many
times with a random seed (hypothesis prints a reproducer for any failure).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from types import ModuleType
from typing import Any, NamedTuple
from unittest import mock

import pytest
from hypothesis import HealthCheck, event, example, given, settings, strategies as st
from hypothesis.control import currently_in_test_context

from dffix import fixer
from dffix.edits import Applicability, Edit
from dffix.files import FileError, decode, encode
from dffix.fixer import FixResult, fix
from dffix.rules import ALL_RULES, Rule
from dffix.syntax import Dockerfile, Form, Instruction, ParseError, Span, parse, render
from dffix.syntax.parser import _DIRECTIVE_RE, _directive_value
from dffix.syntax.shell import split_commands
from tests.corpus import corpus_files
from tests.helpers import COMPILED

buildkit: ModuleType | None
try:
    import dockerfile as buildkit  # type: ignore[import-not-found,no-redef]  # no stubs
except ImportError:  # the BuildKit oracle is optional: only the comparisons are skipped
    buildkit = None

DEEP = int(os.environ.get("DFFIX_FUZZ_EXAMPLES", "0"))


def fuzz_settings(examples: int) -> settings:
    """Return seeded settings for `examples` runs, or the deep run's size with a random seed."""
    return settings(
        max_examples=DEEP or examples,
        derandomize=not DEEP,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


def count(what: str) -> None:
    """Count an event for `--hypothesis-show-statistics` (nothing outside a test, as in a reproducer)."""
    if currently_in_test_context():
        event(what)


def all_rules(options: dict[str, object] | None = None) -> list[Rule]:
    """Return every rule, opt-in ones too; `options` go to the rules that have them."""
    found = []
    for rule in ALL_RULES:
        mine = {k: v for k, v in (options or {}).items() if k in rule.option_defaults}
        found.append(rule(mine))
    return found


# The fix runs each input gets: both levels with the defaults, and the options that
# change what fixes write (DF102/DF107-DF112 mount a BuildKit cache instead of cleaning).
RUNS: tuple[tuple[Applicability, dict[str, object]], ...] = (
    (Applicability.SAFE, {}),
    (Applicability.UNSAFE, {}),
    (Applicability.UNSAFE, {"cache-style": "mount"}),
)


# -- a generator of Dockerfiles -------------------------------------------------------

IMAGES: tuple[str, ...] = (
    "python:3.12",
    "node:20",
    "debian:bookworm",
    "ubuntu:22.04",
    "alpine:3.19",
    "golang:1.22",
)
IMAGES += ("openjdk:17", "ruby:3.3", "centos:7", "fedora:40", "opensuse/leap", "scratch", "nginx")
COMMANDS = (
    "apt-get update",
    "apt-get install -y curl git",
    "apt-get install --no-install-recommends -y ca-certificates",
    "apt-get install python3 build-essential zlib1g-dev",
    "apt install -y vim",
    "apt-get upgrade -y",
    "rm -rf /var/lib/apt/lists/*",
    "apk add curl bash",
    "apk add --no-cache openssl",
    "pip install -r requirements.txt",
    "pip3 install flask==3.0 requests",
    "python -m pip install --no-cache-dir .",
    "npm install",
    "npm ci --omit=dev",
    "yarn install --frozen-lockfile",
    "yum install -y httpd",
    "dnf install -y gcc make",
    "microdnf install -y jq",
    "zypper install -y curl",
    "go mod download",
    "go build -o /out/app ./...",
    "cd /app",
    "make && make install",
    "sudo make install",
    "curl -fsSL https://example.com/install.sh | sh",
    "useradd -m -u 1000 app",
    "chown -R app:app /app",
    "echo 'a && b' \"c d\" ${X:-y} $(date) `id` > /tmp/x 2>&1",
    "if [ -f x ]; then echo y; fi",
    "for f in a b; do echo $f; done",
    "export A=1",
    "true",
)
OPERATORS = (" && ", " && ", " ; ", " || ", " | ")
RUN_FLAGS = (
    "--mount=type=cache,target=/var/cache/apt",
    "--mount=type=cache,target=/root/.cache/pip",
    "--mount=type=bind,source=.,target=/src",
    "--mount=type=secret,id=npmrc",
    "--network=none",
    "--security=insecure",
)
SOURCES = (
    "COPY . .",
    "COPY . /app",
    "COPY ./ ./",
    "COPY requirements.txt .",
    "COPY package.json package-lock.json ./",
    "COPY go.mod go.sum ./",
    "ADD app.py /app/",
    "ADD . /src",
    "ADD https://example.com/x.tgz /opt/",
    "ADD vendor.tar.gz /opt/",
    "ADD --chown=app:app src/ /src/",
    "COPY --chown=app:app . /app",
    "COPY --link src/ /src/",
    'COPY ["a b.txt", "/c/"]',
    "ADD --checksum=sha256:abc https://example.com/f /f",
)
CMDS = (
    "node server.js",
    "python app.py --port 8080",
    "exec nginx -g 'daemon off;'",
    "supervisord -n",
    "npm start &",
    "sh -c 'a && b'",
    "java -jar /app.jar",
    '["node", "server.js"]',
    '["python", "-m", "http.server"]',
    '["a", ',
    "[]",
)
SIMPLE = (
    'ENV A=1 B="two words"',
    "ENV LEGACY value with spaces",
    "ENV PATH=/opt/bin:$PATH",
    'LABEL maintainer="x@y.z" version=1',
    "LABEL legacy value",
    "ARG VERSION",
    "ARG VERSION=1.0",
    "ARG GITHUB_TOKEN",
    "ENV API_KEY=secret",
    "EXPOSE 80 443/tcp",
    "WORKDIR /app",
    "WORKDIR app",
    "USER root",
    "USER app",
    "USER 0:0",
    'VOLUME ["/data"]',
    "VOLUME /data /logs",
    "HEALTHCHECK CMD curl -f http://localhost/ || exit 1",
    'HEALTHCHECK --interval=5s CMD ["true"]',
    "HEALTHCHECK NONE",
    "STOPSIGNAL SIGTERM",
    "MAINTAINER Jane <jane@example.com>",
    'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
    'SHELL ["powershell", "-Command"]',
    "FOO unknown instruction",
)
COMMENTS = ("# a comment", "#", "# dffix: ignore=DF201", "# hadolint ignore=DL3008,DL3009", "   # indented")
HEREDOC_BODIES = (
    ("echo one", "echo two"),
    ("apt-get update", "apt-get install -y curl"),
    ("",),
    ("x=1", "$x"),
)


@st.composite
def case(draw: st.DrawFn, word: str) -> str:
    """Return `word` in upper, lower or mixed case (BuildKit does not mind)."""
    return str(draw(st.sampled_from((word.upper(), word.lower(), word.capitalize()))))


@st.composite
def continued(draw: st.DrawFn, pieces: list[str], esc: str) -> list[str]:
    """Join pieces into physical lines: some breaks become `esc` + newline, with comments and blank lines."""
    lines = [pieces[0]]
    for piece in pieces[1:]:
        if not draw(st.booleans()):
            lines[-1] += piece
            continue
        lines[-1] += (
            draw(st.sampled_from(("", " ", " \t"))) + esc + draw(st.sampled_from(("", "", " ", "\t")))
        )
        lines += draw(st.lists(st.sampled_from(("# inside", "  # inside", "", "   ")), max_size=2))
        lines.append(draw(st.sampled_from(("", "  ", "\t"))) + piece.lstrip())
    return lines


@st.composite
def run_lines(draw: st.DrawFn, esc: str) -> list[str]:
    keyword = draw(case("RUN"))
    flags = draw(st.lists(st.sampled_from(RUN_FLAGS), max_size=2, unique=True))
    head = " ".join([keyword, *flags])
    form = draw(st.sampled_from(("shell", "shell", "shell", "json", "heredoc")))
    if form == "json":
        return [head + ' ["sh", "-c", "echo hi"]']
    if form == "heredoc":
        name = draw(st.sampled_from(("EOF", "EOT", "'EOF'", '"END"', "-EOF")))
        plain = name.strip("'\"-")
        body = list(draw(st.sampled_from(HEREDOC_BODIES)))
        if name.startswith("-"):
            body, plain = ["\t" + b for b in body], "\t" + plain
        prefix = draw(st.sampled_from(("", "cat > /x ", "bash ")))
        return [f"{head} {prefix}<<{name}", *body, plain]
    commands = draw(st.lists(st.sampled_from(COMMANDS), min_size=1, max_size=4))
    pieces = [f"{head} {commands[0]}"]
    for command in commands[1:]:
        pieces.append(draw(st.sampled_from(OPERATORS)) + command)
    return draw(continued(pieces, esc))


@st.composite
def instruction_lines(draw: st.DrawFn, esc: str, stages: list[str]) -> list[str]:
    kind = draw(
        st.sampled_from(("run", "run", "run", "source", "cmd", "simple", "simple", "onbuild", "comment"))
    )
    if kind == "run":
        return draw(run_lines(esc))
    if kind == "source":
        line = draw(st.sampled_from(SOURCES))
        from_stage: bool = draw(st.booleans()) if stages else False
        if from_stage:
            line = f"COPY --from={draw(st.sampled_from(stages))} /out /usr/local/bin/"
        if draw(st.booleans()):
            return [line.replace(" ", " <<EOF ", 1).rsplit(" ", 1)[0] + " /etc/conf", "key=value", "EOF"]
        keyword, rest = line.split(" ", 1)
        return [draw(case(keyword)) + " " + rest]
    if kind == "cmd":
        return [f"{draw(case(draw(st.sampled_from(('CMD', 'ENTRYPOINT')))))} {draw(st.sampled_from(CMDS))}"]
    if kind == "onbuild":
        inner = draw(
            st.sampled_from(("RUN apt-get install -y x", "ADD app.py /app/", "COPY . .", "CMD node x"))
        )
        return [f"{draw(case('ONBUILD'))} {inner}"]
    if kind == "comment":
        return [draw(st.sampled_from(COMMENTS))]
    keyword, _, rest = draw(st.sampled_from(SIMPLE)).partition(" ")
    return [f"{draw(case(keyword))} {rest}"]


@st.composite
def dockerfile_lines(draw: st.DrawFn) -> list[str]:
    """Return the physical lines of a generated Dockerfile (its escape character drawn too)."""
    esc = draw(st.sampled_from(("\\", "\\", "`")))
    lines: list[str] = []
    if esc == "`" or draw(st.booleans()):
        lines.append(f"# escape={esc}")
    if draw(st.booleans()):
        lines.append("# syntax=docker/dockerfile:1")
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(("ARG BASE=python:3.12", "ARG VERSION"))))
    stages: list[str] = []
    for index in range(draw(st.integers(1, 3))):
        image = draw(st.sampled_from(IMAGES + tuple(stages)))
        platform = draw(st.sampled_from(("", "", "--platform=$BUILDPLATFORM ")))
        name = f"s{index}" if draw(st.booleans()) else ""
        alias = f" {draw(st.sampled_from(('AS', 'as', 'As')))} {name}" if name else ""
        lines.append(f"{draw(case('FROM'))} {platform}{image}{alias}")
        for _ in range(draw(st.integers(0, 7))):
            more = draw(instruction_lines(esc, stages))
            if draw(st.integers(0, 9)) == 0:  # indented, trailing spaces (not on heredoc bodies)
                more[0] = (
                    draw(st.sampled_from(("  ", "\t"))) + more[0] + draw(st.sampled_from(("", " ", "\t")))
                )
            lines += more
            if draw(st.integers(0, 4)) == 0:
                lines.append(draw(st.sampled_from(("", "   ", "\t"))))
        stages.append(name or str(index))
    return lines


@st.composite
def dockerfiles(draw: st.DrawFn) -> bytes:
    """Return a generated Dockerfile as bytes: newline style, BOM, final newline."""
    lines = draw(dockerfile_lines())
    style = draw(st.sampled_from(("\n", "\n", "\r\n", "mixed")))
    out = []
    for line in lines:
        newline = draw(st.sampled_from(("\n", "\r\n"))) if style == "mixed" else style
        out.append(line + newline)
    text = "".join(out)
    if draw(st.booleans()):
        text = text.rstrip("\r\n")
    if draw(st.integers(0, 7)) == 0:
        text = "\ufeff" + text
    return text.encode("utf-8")


# -- mutations --------------------------------------------------------------------

INSERTS = (
    b"\\",
    b"\\\n",
    b"`",
    b"<<EOF",
    b"<<-EOF\n",
    b"EOF\n",
    b'"',
    b"'",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xe6\x9e\x84",
    b"\r",
    b"\r\n",
    b"\n",
    b"[",
    b'["',
    b"]",
    b"$(",
    b"${",
    b"\t",
    b"#",
    b"# escape=`\n",
    b"\xef\xbb\xbf",
    b"ONBUILD ",
    b"--mount=type=cache,target=/x ",
    b" && apt-get install -y x",
    b"=",
    b"RUN apt-get install y\n",
)


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """Return `data` after one to four random mutations."""
    for _ in range(draw(st.integers(1, 4))):
        lines = data.splitlines(keepends=True) or [b""]
        i = draw(st.integers(0, len(lines) - 1))
        j = draw(st.integers(0, len(lines) - 1))
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(("delete", "duplicate", "swap", "cut", "insert", "insert", "insert")))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(j, lines[i])
        elif op == "swap":
            lines[i], lines[j] = lines[j], lines[i]
        if op in ("delete", "duplicate", "swap"):
            data = b"".join(lines)
        elif op == "cut":
            data = data[:at]
        else:
            data = data[:at] + draw(st.sampled_from(INSERTS)) + data[at:]
    return data


@cache
def small_corpus() -> tuple[bytes, ...]:
    """Return the corpus files small enough to fix many times over in a short run."""
    return tuple(data for p in corpus_files() if len(data := p.read_bytes()) <= 6000)


# -- the oracle -------------------------------------------------------------------


def replaced(text: str) -> str:
    """Return `text` with the bytes that are not UTF-8 as U+FFFD, as BuildKit's binding needs them."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def buildkit_commands(text: str) -> tuple[Any, ...] | None:
    """Return BuildKit's instructions of `text`, () when it rejects it, None when it cannot say.

    It cannot say without the oracle, or when the binding itself fails: it crashes on
    lone surrogates (so it gets replacement characters), and on invalid UTF-8 that
    BuildKit makes (HEALTHCHECK can cut a character in two).
    """
    if buildkit is None:
        return None
    try:
        return tuple(buildkit.parse_string(replaced(text)))
    except buildkit.GoParseError:
        return ()
    except UnicodeError:
        return None


def bk_key(cmd: Any) -> tuple[Any, ...]:
    """Return what BuildKit read of one instruction, without where it is.

    The binding hands an empty keyword over as None, and decodes flags as Latin-1.
    """
    heredocs = tuple((h.name, h.file_descriptor, h.content) for h in cmd.heredocs)
    flags = tuple(_utf8(f) for f in cmd.flags)
    return (cmd.cmd or "", cmd.sub_cmd, cmd.json, flags, tuple(cmd.value), heredocs)


def _utf8(latin1: str) -> str:
    # BuildKit can cut a character in a flag in two (see words.builder_flags): those
    # bytes come back as surrogates, as ours do.
    try:
        return latin1.encode("latin-1").decode("utf-8", "surrogateescape")
    except UnicodeError:
        return latin1


def our_key(instr: Instruction) -> tuple[Any, ...]:
    """Return what we read of one instruction, in BuildKit's terms."""
    flags = tuple(f.text for f in instr.flags)  # ONBUILD's own, not its instruction's
    heredocs = tuple((h.name, h.fd, h.content) for h in instr.heredocs)
    sub = instr.inner.keyword if instr.inner else None
    return (instr.keyword, sub, instr.form is Form.JSON, flags, instr.values, heredocs)


def binding_key(instr: Instruction) -> tuple[Any, ...]:
    """Return `our_key` as the binding can report it, with the lines the instruction spans.

    BuildKit keeps the heredocs of `ONBUILD RUN <<EOF` on the ONBUILD node, but the
    binding reads them off the RUN node under it, where there are none: it never reports
    them (its line range still covers the bodies).
    """
    key = our_key(instr)
    if instr.inner is not None:
        key = (*key[:-1], ())
    cut: tuple[Any, ...] = cut_at_nul((*key, instr.start_line, instr.end_line))
    return cut


def cut_at_nul(value: Any) -> Any:
    """Return a key with every string cut at its first NUL, as the binding hands strings over."""
    if isinstance(value, str):
        return value.split("\x00", 1)[0]
    if isinstance(value, tuple):
        return tuple(cut_at_nul(v) for v in value)
    return value


_PATTERN_MODIFIER = re.compile(r"\$\{(?:\w*|[@*#?$!0-])[#%/]")


def assert_agrees_with_buildkit(text: str, df: Dockerfile | ParseError) -> tuple[Any, ...] | None:
    """Assert that we accept what BuildKit accepts, reading the same instructions; return its reading."""
    commands = buildkit_commands(text)
    if commands is None:
        return None
    count("BuildKit accepts" if commands else "BuildKit rejects")
    if "\x00" in text:
        return None  # the binding reads the text only up to a NUL
    if "<<" in text and _PATTERN_MODIFIER.search(text):
        return None  # the binding's lexer predates ${x#p}, ${x%p}, ${x/p/r} (see words.lexes)
    # Compare the two parsers on the same text: the one the binding got.
    mine = df if replaced(text) == text else parse(replaced(text))
    assert isinstance(mine, Dockerfile) == isinstance(df, Dockerfile)
    if not commands:
        assert isinstance(mine, ParseError), "BuildKit rejects this text; we accept it"
        return commands
    assert isinstance(mine, Dockerfile), f"BuildKit accepts this text; we reject it: {mine}"
    ours = [binding_key(i) for i in mine.all_instructions]
    theirs = [(*bk_key(c), c.start_line, c.end_line) for c in commands]
    assert ours == theirs
    return commands


# -- what a fix may change --------------------------------------------------------


class Step(NamedTuple):
    """One pass of the fixer: the text it started from, the edits it applied, the text it made."""

    before: str
    edits: tuple[Edit, ...]
    after: str


@contextmanager
def recording_passes() -> Iterator[list[Step]]:
    """Record every application of edits inside `fixer.fix` (passes and trial applications)."""
    steps: list[Step] = []
    real = fixer.apply_edits  # type: ignore[attr-defined]  # imported there from dffix.edits

    def apply_edits(text: str, edits: list[Edit] | tuple[Edit, ...]) -> str:
        after = real(text, edits)
        steps.append(Step(text, tuple(edits), after))
        return after

    with mock.patch.object(fixer, "apply_edits", apply_edits):
        yield steps


def passes(text: str, final: str, steps: list[Step]) -> list[Step]:
    """Return the recorded steps that lead from `text` to `final` (trial applications left out)."""
    chain: list[Step] = []
    current = text
    while current != final:
        assert len(chain) <= fixer.MAX_PASSES, "more passes than the fixer allows"
        leads_on = {s.before for s in steps} | {final}
        found = [s for s in steps if s.before == current and s.after != current and s.after in leads_on]
        assert found, "the fixed text is not what the applied edits make"
        chain.append(found[-1])
        current = found[-1].after
    return chain


def touches(edit: Edit, start: int, end: int) -> bool:
    """Return whether an edit overlaps or borders [start, end) (an insert at either end counts)."""
    return edit.start <= end and edit.end >= start


def shift_before(edits: tuple[Edit, ...], offset: int) -> int:
    """Return how far the edits ending at or before `offset` moved it."""
    return sum(len(e.text) - (e.end - e.start) for e in edits if e.end <= offset)


def assert_step_keeps_the_rest(step: Step, applied: set[Edit]) -> None:
    """Assert that a pass changed only what its edits cover, as we and BuildKit read it."""
    before, edits, after = step
    assert edits, "a pass with no edits"
    assert set(edits) <= applied, "an edit no reported fix made"
    assert all(0 <= e.start <= e.end <= len(before) for e in edits)
    assert after[: edits[0].start] == before[: edits[0].start]
    tail = len(before) - edits[-1].end
    assert after[len(after) - tail :] == before[edits[-1].end :]
    old, new = parse(before), parse(after)
    assert isinstance(old, Dockerfile)
    assert isinstance(new, Dockerfile), f"a pass made text that does not parse: {new}"
    new_at = {i.span: (n, i) for n, i in enumerate(new.all_instructions)}
    new_edits = [(e.start + shift_before(edits[:k], e.start), len(e.text)) for k, e in enumerate(edits)]
    kept: dict[int, int] = {}
    for n, instr in enumerate(old.all_instructions):
        start, end = instr.span
        if any(touches(e, start, end) for e in edits):
            continue
        moved = shift_before(edits, start)
        found = new_at.get(Span(start + moved, end + moved))
        assert found is not None, f"untouched line {instr.start_line} is no longer an instruction of its own"
        assert our_key(found[1]) == our_key(instr), f"untouched line {instr.start_line} reads differently"
        assert after[start + moved : end + moved] == before[start:end]
        kept[n] = found[0]
    for m, instr in enumerate(new.all_instructions):
        if m not in kept.values():
            start, end = instr.span
            assert any(s <= end and s + n >= start for s, n in new_edits), f"line {instr.start_line} changed"
    inserts = [at for e, at in zip(edits, new_edits, strict=True) if e.start == e.end]
    assert_new_lines_start_instructions(after, new, inserts)
    assert_buildkit_keeps_the_rest(Step(before, edits, after), (old, new), kept)


KEYWORDS = frozenset(
    ("ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL"),
) | frozenset(("MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"))


def assert_new_lines_start_instructions(after: str, new: Dockerfile, inserts: list[tuple[int, int]]) -> None:
    """Assert that a line a fix inserts starting with a keyword is in an instruction it inserts.

    `inserts` are (offset, length) in `after` of pure insertions. Text inserted after a
    line that still continues (`RUN true \\` then blank or comment lines, at the end of
    a file) would become part of that instruction instead. The line need not start the
    instruction itself: one moved whole may keep a line of only `\\` above its keyword.
    (A replacement may keep a word such as RUN at the start of a continuation line, as
    the input had it.)
    """
    spans = [i.span for i in new.all_instructions]
    for start, length in inserts:
        inserted = after[start : start + length]
        at = start
        for line in inserted.splitlines(keepends=True):
            if (at == 0 or after[at - 1] == "\n") and line.split(" ", 1)[0].upper() in KEYWORDS:
                holder = next((s for s in spans if s.start <= at < s.end), None)
                assert holder is not None and holder.start >= start, (
                    f"the inserted line {line.strip()!r} is part of the instruction before it"
                )
            at += len(line)


def assert_buildkit_keeps_the_rest(
    step: Step, trees: tuple[Dockerfile, Dockerfile], kept: dict[int, int]
) -> None:
    """Assert that BuildKit accepts the output and reads each untouched instruction the same.

    `kept` maps untouched instructions of our tree before the pass to ours after it;
    where BuildKit reads as many instructions as we do, they are its instructions too.
    """
    old = buildkit_commands(step.before)
    if not old:
        return
    new = buildkit_commands(step.after)
    assert new != (), "BuildKit accepts the input of a pass but not its output"
    if new is None or (len(old), len(new)) != tuple(len(t.all_instructions) for t in trees):
        return  # the binding fails, or reads differently (see assert_agrees_with_buildkit)
    for n, m in kept.items():
        assert bk_key(new[m]) == bk_key(old[n]), (
            f"BuildKit reads untouched line {old[n].start_line} differently"
        )


def has_bare_lf(text: str) -> bool:
    return bool(re.search(r"(?<!\r)\n", text))


def assert_fix_is_sound(text: str, level: Applicability, options: dict[str, object] | None = None) -> None:
    """Fix `text` at `level` and assert everything the module docstring promises about it."""
    rules = all_rules(options)
    with recording_passes() as steps:
        result = fix(text, rules, level)
    assert isinstance(result, FixResult), result
    assert not result.bugs, result.bugs
    assert all(v.fix is not None and v.fix.applicability >= level for v in result.applied)
    out = result.text
    applied = {e for v in result.applied if v.fix for e in v.fix.edits}
    # The compiled build calls apply_edits directly, so its passes are not recorded: the
    # pure build checks each pass (CI runs both).
    chain = [] if COMPILED else passes(text, out, steps)
    count(f"{level.name.lower()}: {min(len(chain), 3)} passes, {min(len(result.applied), 5)} fixes (capped)")
    for step in chain:
        assert_step_keeps_the_rest(step, applied)
    again = fix(out, rules, level)
    assert isinstance(again, FixResult), f"the output does not parse: {again}"
    assert again.text == out, "fixing twice differs from fixing once"
    assert encode(out).decode("utf-8", "surrogateescape") == out
    if "\r\n" in text and not has_bare_lf(text):
        assert not has_bare_lf(out), "a CRLF file gained a bare LF"
    if "\r" not in text:  # (text inserted after a lone CR at the end of a line makes a CRLF)
        assert "\r\n" not in out, "an LF file gained a CRLF"
    assert text.endswith("\n") == out.endswith("\n"), "final newline status changed"


def assert_never_breaks(data: bytes) -> None:
    """Run bytes through decode, parse and fix as the command does, and check every promise."""
    text = decode(data, "fuzz")
    if isinstance(text, FileError):
        count("refused before parsing")
        # Refused before parsing (a NUL byte, a UTF-16/32 BOM); the core still never raises.
        raw = data.decode("utf-8", "surrogateescape")
        assert isinstance(parse(raw), (Dockerfile, ParseError))
        return
    assert encode(text) == data
    df = parse(text)
    assert_agrees_with_buildkit(text, df)
    if isinstance(df, ParseError):
        count("does not parse")
        assert df.line >= 1 and df.message
        assert fix(text, all_rules()) == df
        return
    assert render(df) == text
    for level, options in RUNS:
        assert_fix_is_sound(text, level, options)


# -- the tests --------------------------------------------------------------------


@fuzz_settings(50)
@given(dockerfiles())
@example(b"FROM a\nONBUILD RUN <<EOF\n\nEOF\n")  # the binding reports no ONBUILD heredocs
@example(b"\xef\xbb\xbfFROM a\n\\\nRUN apt-get update\n")  # DF301 inserts after a lone `\` line
@example(b"FROM python:3.12\n\\\nCOPY . .\nRUN pip install -r requirements.txt\n")  # DF202 moves it
@example(b'FROM a\nRUN --network=none ["sh", "-c", <<EOF"echo hi"]\n\nFROM b\n')  # a quoted space in a name
def test_generated_dockerfiles(data: bytes) -> None:
    assert_never_breaks(data)


@fuzz_settings(40)
@given(st.data())
def test_mutated_generated_dockerfiles(data: st.DataObject) -> None:
    assert_never_breaks(data.draw(dockerfiles().flatmap(mutated)))


@pytest.mark.skipif(not corpus_files(), reason="../shared/corpus not present")
@fuzz_settings(40)
@given(st.data())
def test_mutated_corpus_files(data: st.DataObject) -> None:
    source = data.draw(st.sampled_from(small_corpus()))
    assert_never_breaks(data.draw(mutated(source)))


SOUP = (
    "FROM", "RUN", "COPY", "ADD", "CMD", "ENV", "ONBUILD", "HEALTHCHECK", "ARG", "SHELL", "from", "a", "x=y",
    " ", "  ", "\t", "\n", "\r\n", "\r", "\\", "`", "#", "# escape=`", "<<EOF", "<<-E", "EOF", "E", "\tE",
    '"', "'", "[", "]", '["a"', ",", "$(", "${", "$((", ")", "}", "--", "--mount=", "--from=a", "&&", "|",
    ";", "\ufeff", "\udcff", "é", "\x0b", "\x85", "\u3000",
)  # fmt: skip


@fuzz_settings(150)
@given(st.lists(st.sampled_from(SOUP), max_size=40).map("".join))
@example("FROM\x0b--\\\x85FROM")  # an escape in a flag takes one byte
def test_token_soup_never_raises(text: str) -> None:
    df = parse(text)
    assert isinstance(df, (Dockerfile, ParseError))
    assert_agrees_with_buildkit(text, df)
    if isinstance(df, Dockerfile):
        assert render(df) == text
        result = fix(text, all_rules(), Applicability.UNSAFE)
        assert isinstance(result, FixResult)
        assert not result.bugs, result.bugs


@fuzz_settings(300)
@given(
    st.lists(st.sampled_from((*SOUP, "apt-get", "install", "-y", "&", "(", "if", "fi", "do")), max_size=60)
)
def test_shell_reader_never_raises(words: list[str]) -> None:
    script = split_commands(" ".join(words))
    if script is not None:
        assert all(0 <= c.start <= c.end <= len(" ".join(words)) for c in script.commands)


# BuildKit's directive pattern, the oracle for the parser's linear-time reading of it.
_BUILDKIT_DIRECTIVE = re.compile(
    r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$"
)


@fuzz_settings(500)
@given(st.text(alphabet="# =\t\r\f\x0b\xa0esyntaxcheck1`\\", max_size=16).map(lambda s: "#" + s))
@example("# syntax=docker/dockerfile:1")
@example("#  check  =  skip=all ;error=true\t")
@example("# syntax=a   b")
@example("# syntax=   ")
@example("# syntax=")
@example("# 1syntax=a")
def test_directive_reading_matches_buildkits_pattern(line: str) -> None:
    m = _BUILDKIT_DIRECTIVE.match(line)
    theirs = (m.group(1), m.group(2)) if m else None
    ours = _DIRECTIVE_RE.match(line)
    value = _directive_value(ours.group(2)) if ours else ""
    assert ((ours.group(1), value) if ours and value else None) == theirs
