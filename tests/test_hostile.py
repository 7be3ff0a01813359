"""Bad and hostile input: dffix must never break a file, hang or print a traceback.

Each case goes through the real command (`entry.main`, in-process) or the pure core, and
checks what the user sees: one clear line per bad file, exit 2 when the file was named on
the command line, the file byte-identical afterwards, and the other files still fixed.
The last part times parse + fix on adversarial inputs at sizes n and 10n: the ratio must
stay roughly linear, so no regular expression or reader backtracks catastrophically.
"""

from __future__ import annotations

import errno
import io
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from dffix import entry
from dffix import rules as registry
from dffix.edits import Applicability, Edit, Fix
from dffix.facts import Facts
from dffix.fixer import FixResult, check, fix
from dffix.rules import ALL_RULES, Rule, Violation
from dffix.syntax import Dockerfile, ParseError, Span, parse
from dffix.syntax.shell import split_commands


def all_rules() -> list[Rule]:
    return [rule() for rule in ALL_RULES]


# -- nesting deeper than Python's stack -----------------------------------------


def test_deeply_nested_expansions_are_given_up_on_not_a_crash() -> None:
    # Each `$(`/`${` used to cost three Python frames: ~330 of them raised RecursionError
    # out of every rule that reads RUN commands.
    for opener in ("$((", "$(", "${"):
        line = "echo " + opener * 3000
        assert split_commands(line) is None
        assert split_commands(line + opener[-1].translate(str.maketrans("({", ")}")) * 3000) is None
    assert split_commands("echo " + "$(" * 20 + "x" + ")" * 20 + " && true") is not None
    result = fix("FROM a\nRUN echo " + "$((" * 3000 + "\n", all_rules(), Applicability.UNSAFE)
    assert isinstance(result, FixResult)


def test_onbuild_nested_beyond_the_stack_is_a_parse_error() -> None:
    # BuildKit's parser takes `ONBUILD ONBUILD ...` at any depth (Docker refuses it
    # later); ours recursed once per word and raised RecursionError at ~330.
    deep = parse("FROM a\n" + "ONBUILD " * 2000 + "RUN x\n")
    assert deep == ParseError(2, 1, "ONBUILD nested more than 50 levels deep")
    shallow = parse("FROM a\n" + "ONBUILD " * 50 + "RUN x\n")
    assert isinstance(shallow, Dockerfile)


# BuildKit's directive pattern as it was written here before: the oracle for the rewrite.
_BUILDKIT_DIRECTIVE = re.compile(
    r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$"
)


@pytest.mark.parametrize(
    "line",
    [
        "# syntax=docker/dockerfile:1",
        "#escape=`",
        "# escape = \\ ",
        "#  check  =  skip=all ;error=true\t",
        "# syntax=a   b",
        "# syntax=   ",
        "# syntax =\t",
        "# syntax=",
        "# 1syntax=a",
        "#syntax\f=\fx\f",
    ],
)
def test_directive_values_are_read_as_buildkit_reads_them(line: str) -> None:
    m = _BUILDKIT_DIRECTIVE.match(line)
    df = parse(line + "\nFROM a\n")
    if m is None or m.group(1).lower() not in ("syntax", "escape", "check"):
        assert not isinstance(df, Dockerfile) or not df.directives
        return
    if isinstance(df, ParseError):  # an escape that is neither ` nor \\
        assert m.group(1) == "escape"
        assert m.group(2) not in ("`", "\\")
        return
    assert [(d.name, d.value) for d in df.directives] == [(m.group(1).lower(), m.group(2))]


def test_directive_with_a_long_run_of_spaces_is_read_in_linear_time() -> None:
    # The lazy `(.+?)\\s*$` took ~50 s for 100,000 spaces, hours for a 1 MB line.
    start = time.process_time()
    df = parse("# syntax=a" + " " * 1_000_000 + "b\nFROM a\n")
    assert time.process_time() - start < 1
    assert isinstance(df, Dockerfile)
    assert df.directives[0].value == "a" + " " * 1_000_000 + "b"


# -- linear time ------------------------------------------------------------------


def best_time(func: Callable[[], object], runs: int = 3) -> float:
    """Return the least CPU time of a few runs of `func` (noise only ever adds time)."""
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        func()
        best = min(best, time.process_time() - start)
    return best


def assert_linear(make: Callable[[int], str], n: int, run: Callable[[str], object]) -> None:
    """Assert that `run` on `make(10 * n)` costs well under 100x `run` on `make(n)`.

    Linear is 10x; the bound is 30x so a noisy machine never fails it, while anything
    quadratic (100x) does.
    """
    small, large = make(n), make(10 * n)
    base = max(best_time(lambda: run(small)), 1e-3)  # below a millisecond, the clock is the noise
    ratio = best_time(lambda: run(large), runs=2) / base
    assert ratio < 30, f"10x the input took {ratio:.0f}x the time"


_X_WORD = re.compile(r"(?<= )x\b")


class ReplaceEveryX(Rule):
    """A rule whose one fix per RUN has an edit for every `x` word: thousands on one line."""

    code = "DF999"
    name = "every-x"
    message = "`x`"
    fix_title = "Replace `x` with `y`"

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instructions("RUN"):
            start, end = instr.args_span
            edits = [Edit(m.start(), m.end(), "y") for m in _X_WORD.finditer(df.text, start, end)]
            if edits:
                yield self.violation(instr.keyword_span, Fix.safe(*edits))


def test_a_fix_with_many_edits_on_one_long_line_is_applied_in_linear_time() -> None:
    # The fixer built a ban key for every fix, copying each edit's whole line, even with
    # nothing banned: 20,000 edits on one line took seconds.
    def make(n: int) -> str:
        return "FROM a\nRUN echo" + " x" * n + "\n"

    result = fix(make(3), [ReplaceEveryX()])
    assert isinstance(result, FixResult)
    assert result.text == "FROM a\nRUN echo y y y\n"
    assert_linear(make, 2000, lambda text: fix(text, [ReplaceEveryX()]))


class FlagEveryRun(Rule):
    """A rule reporting every RUN, with no fix."""

    code = "DF998"
    name = "every-run"
    message = "a RUN"

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instructions("RUN"):
            yield self.violation(instr.keyword_span)


def test_suppressions_are_looked_up_in_linear_time() -> None:
    # Each diagnostic looked through every suppressed instruction before it.
    def make(n: int) -> str:
        return "FROM a\n" + "# dffix: ignore=DF201\nRUN true\n" * n

    def run(text: str) -> object:
        df = parse(text)
        assert isinstance(df, Dockerfile)
        return check(df, [FlagEveryRun()])

    assert len(run(make(3))) == 3  # type: ignore[arg-type]
    assert run("FROM a\n# dffix: ignore=DF998\nRUN true\nRUN x\n") == [
        Violation("DF998", "every-run", "a RUN", Span(38, 41))
    ]
    assert_linear(make, 600, run)


# -- the command on bad files -----------------------------------------------------

BAD = b"FROM alpine:3.19\nADD app.py /app/\nUSER app\n"
GOOD = b"FROM alpine:3.19\nCOPY app.py /app/\nUSER app\n"
OLD_TIME = 1_000_000_000  # 2001: any rewrite moves mtime away from it


class Ran(NamedTuple):
    code: int
    out: bytes
    err: str


Run = Callable[..., Ran]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder to work in, as cwd; its empty .dffix.toml (default rules) stops any search above it."""
    (tmp_path / ".dffix.toml").write_text("")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def dffix(capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch) -> Run:
    """Return a function running `entry.main(args)` with `stdin` bytes; it returns code, stdout, stderr."""

    def run(*args: str, stdin: bytes = b"") -> Ran:
        capsysbinary.readouterr()
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = entry.main(list(args))
        out, err = capsysbinary.readouterr()
        return Ran(code, out, err.decode("utf-8", "backslashreplace"))

    return run


def put(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (OLD_TIME, OLD_TIME))
    return path


def untouched(path: Path, data: bytes) -> bool:
    """Return whether `path` still holds `data` and was never rewritten."""
    return path.read_bytes() == data and path.stat().st_mtime == OLD_TIME


def files_in(folder: Path) -> list[str]:
    """Return every name below `folder` (a temporary file left behind shows up here)."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "bad:3:1: error: NUL byte: this looks like a binary file, not a Dockerfile",
            id="binary file",
        ),
        pytest.param(
            "FROM a\nRUN x\n".encode("utf-16"),
            "bad:1:1: error: UTF-16 encoded; dffix reads UTF-8",
            id="UTF-16 BOM",
        ),
        pytest.param(
            "FROM a\n".encode("utf-16-be"),
            "bad:1:1: error: NUL byte: this looks like a binary file, not a Dockerfile",
            id="UTF-16 without BOM",
        ),
        pytest.param(
            "FROM a\n".encode("utf-32"), "bad:1:1: error: UTF-32 encoded; dffix reads UTF-8", id="UTF-32 BOM"
        ),
        pytest.param(b"", "bad:1:1: error: file with no instructions", id="empty file"),
        pytest.param(b"\xef\xbb\xbf", "bad:1:1: error: file with no instructions", id="only a BOM"),
        pytest.param(
            b"# syntax=docker/dockerfile:1\n\n# just notes\r\n   # more\n",
            "bad:1:1: error: file with no instructions",
            id="only comments",
        ),
        pytest.param(
            b"FROM a\nRUN <<EOF\necho hi\n",
            "bad:2:1: error: unterminated heredoc <<EOF",
            id="unterminated heredoc",
        ),
        pytest.param(
            b"FROM a\nRUN echo a\x00b\n",
            "bad:2:11: error: NUL byte: this looks like a binary file, not a Dockerfile",
            id="NUL byte",
        ),
        pytest.param(
            b"FROM a\nENV ONLY_A_NAME\n",
            "bad:2:1: error: ENV must have two arguments",
            id="ENV without a value",
        ),
        pytest.param(
            b'FROM a\nCMD ["a", 1]\n',
            "bad:2:1: error: when using JSON array syntax, arrays must be comprised of strings only",
            id="JSON array of a number",
        ),
        pytest.param(
            b"# escape=x\nFROM a\n",
            "bad:1:1: error: invalid escape token 'x' does not match ` or \\",
            id="bad escape directive",
        ),
    ],
)
def test_bad_file_gets_one_line_exit_2_and_the_run_goes_on(
    project: Path, dffix: Run, data: bytes, message: str
) -> None:
    bad = put(project / "bad", data)
    good = put(project / "good" / "Dockerfile", BAD)
    for mode in ("--diff", "--check"):
        ran = dffix(mode, "--quiet", "bad", "good")
        assert (ran.code, ran.err) == (2, message + "\n")
    ran = dffix("bad", "good")
    assert (ran.code, ran.err) == (2, f"{message}\nfixed good/Dockerfile (1 fix)\n")
    assert untouched(bad, data)
    assert good.read_bytes() == GOOD
    ran = dffix("-", stdin=data)
    assert (ran.code, ran.out, ran.err) == (2, b"", message.replace("bad:", "-:", 1) + "\n")


@pytest.mark.parametrize(
    ("data", "fixed"),
    [
        pytest.param(
            b"FROM alpine:3.19\n# caf\xe9 (Latin-1)\nADD app.py /app/\nUSER app\n",
            b"FROM alpine:3.19\n# caf\xe9 (Latin-1)\nCOPY app.py /app/\nUSER app\n",
            id="Latin-1 bytes",
        ),
        pytest.param(
            b'FROM alpine:3.19\nLABEL d="' + "构建镜像".encode("gbk") + b'"\nADD app.py /app/\nUSER app\n',
            b'FROM alpine:3.19\nLABEL d="' + "构建镜像".encode("gbk") + b'"\nCOPY app.py /app/\nUSER app\n',
            id="GBK bytes",
        ),
        pytest.param(
            b"\xef\xbb\xbfFROM alpine:3.19\r\nADD app.py /app/\r\nUSER app",
            b"\xef\xbb\xbfFROM alpine:3.19\r\nCOPY app.py /app/\r\nUSER app",
            id="BOM, CRLF, no final newline",
        ),
        pytest.param(
            b"FROM alpine:3.19\nADD app.py /app/\nUSER app\nRUN echo \\",
            b"FROM alpine:3.19\nCOPY app.py /app/\nUSER app\nRUN echo \\",
            id="escape at the end of the file",
        ),
        pytest.param(
            b'FROM alpine:3.19\nADD app.py /app/\nUSER app\nCMD ["node", "server.js"\n',
            b'FROM alpine:3.19\nCOPY app.py /app/\nUSER app\nCMD ["node", "server.js"\n',
            id="unterminated JSON is shell form",
        ),
        pytest.param(
            b"FROM alpine:3.19\rADD app.py /app/\rUSER app\r",
            None,
            id="lone CRs are one line to BuildKit",
        ),
        pytest.param(
            b"FROM alpine:3.19\nADD app.py /app/\nUSER app\nRUN echo " + b"a" * (1 << 20) + b"\n",
            b"FROM alpine:3.19\nCOPY app.py /app/\nUSER app\nRUN echo " + b"a" * (1 << 20) + b"\n",
            id="1 MB line",
        ),
        pytest.param(
            b"FROM alpine:3.19\nADD app.py /app/\nUSER app\nRUN echo \\\n" + b"\\\n" * 5000 + b"x\n",
            b"FROM alpine:3.19\nCOPY app.py /app/\nUSER app\nRUN echo \\\n" + b"\\\n" * 5000 + b"x\n",
            id="5000 lines of only an escape",
        ),
    ],
)
def test_odd_but_valid_file_is_fixed_byte_for_byte(
    project: Path, dffix: Run, data: bytes, fixed: bytes | None
) -> None:
    path = put(project / "Dockerfile", data)
    assert dffix("--quiet", "Dockerfile") == Ran(0, b"", "")
    if fixed is None:
        assert untouched(path, data)
    else:
        assert path.read_bytes() == fixed
    assert dffix("--quiet", "-", stdin=data) == Ran(0, fixed or data, "")


# -- the file system ----------------------------------------------------------------


def test_symlink_loops_are_searched_once(project: Path, dffix: Run) -> None:
    good = put(project / "a" / "Dockerfile", BAD)
    (project / "a" / "self").symlink_to(".")
    (project / "a" / "up").symlink_to("..")
    (project / "b").mkdir()
    (project / "b" / "to-c").symlink_to("../c")
    (project / "c").mkdir()
    (project / "c" / "to-b").symlink_to("../b")
    assert dffix(".") == Ran(0, b"", "fixed a/Dockerfile (1 fix)\n")
    assert good.read_bytes() == GOOD


def test_a_symlinked_dockerfile_is_rewritten_through_the_link(project: Path, dffix: Run) -> None:
    target = put(project / "shared" / "base.Dockerfile", BAD)
    link = project / "svc" / "Dockerfile"
    link.parent.mkdir()
    link.symlink_to("../shared/base.Dockerfile")
    # Named twice, through the link and directly: fixed once.
    assert dffix("svc/Dockerfile", "shared") == Ran(0, b"", "fixed svc/Dockerfile (1 fix)\n")
    assert os.readlink(link) == "../shared/base.Dockerfile"
    assert target.read_bytes() == GOOD
    assert files_in(project) == [".dffix.toml", "shared", "shared/base.Dockerfile", "svc", "svc/Dockerfile"]


def test_a_dangling_symlink_is_an_error_and_stays(project: Path, dffix: Run) -> None:
    (project / "Dockerfile").symlink_to("nowhere")
    good = put(project / "ok" / "Dockerfile", BAD)
    ran = dffix("--quiet", "Dockerfile", "ok")
    assert (ran.code, ran.err) == (2, "Dockerfile: error: no such file or directory\n")
    assert os.readlink(project / "Dockerfile") == "nowhere"
    assert good.read_bytes() == GOOD


def test_read_only_file_is_refused(project: Path, dffix: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, whom the kernel lets write a 0444 file: os.access is what dffix
    # asks, so it is told "not writable" here the way it would be for any other user.
    ro = put(project / "ro" / "Dockerfile", BAD)
    ro.chmod(0o444)
    good = put(project / "ok" / "Dockerfile", BAD)
    real_access = os.access

    def access(path: str | os.PathLike[str], mode: int, **kwargs: object) -> bool:
        if mode & os.W_OK and os.path.realpath(path) == str(ro):
            return False
        return real_access(path, mode)

    monkeypatch.setattr(os, "access", access)
    ran = dffix("ro/Dockerfile", "ok")
    assert (ran.code, ran.err) == (
        2,
        "ro/Dockerfile: error: cannot write: permission denied\nfixed ok/Dockerfile (1 fix)\n",
    )
    assert untouched(ro, BAD)
    assert good.read_bytes() == GOOD


def test_file_changed_while_being_fixed_is_not_overwritten(
    project: Path, dffix: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = put(project / "Dockerfile", BAD)
    good = put(project / "ok" / "Dockerfile", BAD)
    newer = b"FROM alpine:3.19\nADD app.py /srv/\nUSER app\n"  # an editor saved this meanwhile
    real_fix_text = entry.fix_text

    def fix_text(text: str, *args: object, **kwargs: object) -> object:
        result = real_fix_text(text, *args, **kwargs)  # type: ignore[arg-type]
        if path.read_bytes() == BAD:
            path.write_bytes(newer)
        return result

    monkeypatch.setattr(entry, "fix_text", fix_text)
    ran = dffix("Dockerfile", "ok")
    assert (ran.code, ran.err) == (
        2,
        "Dockerfile: error: changed on disk while dffix was fixing it; not overwritten\n"
        "fixed ok/Dockerfile (1 fix)\n",
    )
    assert path.read_bytes() == newer
    assert good.read_bytes() == GOOD
    assert files_in(project) == [".dffix.toml", "Dockerfile", "ok", "ok/Dockerfile"]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        pytest.param(
            "write",
            OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)),
            "no space left on device",
            id="disk full",
        ),
        pytest.param(
            "fsync", OSError(errno.EIO, os.strerror(errno.EIO)), "input/output error", id="I/O error"
        ),
        pytest.param(
            "replace",
            OSError(errno.EROFS, os.strerror(errno.EROFS)),
            "read-only file system",
            id="read-only fs",
        ),
        pytest.param(
            "open",
            PermissionError(errno.EACCES, os.strerror(errno.EACCES)),
            "permission denied",
            id="folder not writable",
        ),
    ],
)
def test_failed_write_leaves_the_file_and_the_run_goes_on(
    project: Path, dffix: Run, monkeypatch: pytest.MonkeyPatch, call: str, error: OSError, message: str
) -> None:
    first = put(project / "a" / "Dockerfile", BAD)
    second = put(project / "b" / "Dockerfile", BAD)
    real = getattr(os, call)
    failed: list[bool] = []

    def fail_once(*args: object, **kwargs: object) -> object:
        if call == "open" and not str(args[0]).endswith(".dffix-tmp"):
            return real(*args, **kwargs)
        if not failed:
            failed.append(True)
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(os, call, fail_once)
    ran = dffix("a/Dockerfile", "b/Dockerfile")
    assert (ran.code, ran.err) == (
        2,
        f"a/Dockerfile: error: cannot write: {message}\nfixed b/Dockerfile (1 fix)\n",
    )
    assert untouched(first, BAD)
    assert second.read_bytes() == GOOD
    assert files_in(project) == [".dffix.toml", "a", "a/Dockerfile", "b", "b/Dockerfile"]


class Crash(Rule):
    """A rule with a bug: it raises on any file with a RUN."""

    code = "DF997"
    name = "crash"
    message = "crash"

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        if any(df.instructions("RUN")):
            raise RecursionError("maximum recursion depth exceeded")
        yield from ()


def test_a_crash_inside_dffix_is_one_line_and_the_run_goes_on(
    project: Path, dffix: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "ALL_RULES", (*registry.ALL_RULES, Crash))
    crashing = put(project / "a" / "Dockerfile", BAD + b"RUN true\n")
    good = put(project / "b" / "Dockerfile", BAD)
    bug = "dffix bug: RecursionError: maximum recursion depth exceeded; please report it"
    for mode in ("--check", "--diff", "--quiet"):
        ran = dffix(mode, "a/Dockerfile", "b")
        assert ran.code == 2
        assert ran.err.splitlines()[0] == f"a/Dockerfile: {bug}"
        assert "Traceback" not in ran.err
    assert untouched(crashing, BAD + b"RUN true\n")
    assert good.read_bytes() == GOOD
    ran = dffix("-", stdin=BAD + b"RUN true\n")
    assert (ran.code, ran.out, ran.err) == (2, b"", f"-: {bug}\n")


@pytest.mark.parametrize(
    ("args", "has_heredoc"),
    [
        pytest.param("<<EOF", True, id="plain"),
        pytest.param('<<EOF "${x:-y}" $HOME $$ ${1} ${@} ${x:1:2}', True, id="expansions BuildKit reads"),
        pytest.param("<<EOF ${x#p} ${x%%p} ${x/a/b}", True, id="pattern modifiers"),
        pytest.param("<<EOF it's", False, id="unterminated single quote"),
        pytest.param('<<EOF "abc', False, id="unterminated double quote"),
        pytest.param('<<EOF "a\\"', False, id="escaped closing quote"),
        pytest.param("<<EOF ${x", False, id="unterminated ${"),
        pytest.param("<<EOF ${x:-${y}", False, id="unterminated nested ${"),
        pytest.param('<<EOF "${x:-"}"', False, id="quote opened inside ${ inside quotes"),
        pytest.param("<<EOF ${x^^} ", False, id="unsupported modifier"),
        pytest.param("<<EOF ${}", False, id="bad substitution"),
        pytest.param("<<EOF $${x}", True, id="$$ then a brace"),
        pytest.param("<<EOF " + "${x:-" * 5000 + "}" * 5000, True, id="nested 5000 deep"),
    ],
)
def test_a_line_buildkits_lexer_rejects_has_no_heredocs(args: str, has_heredoc: bool) -> None:
    # heredocsFromLine ignores its lexer's error and gets no words: BuildKit then reads
    # the would-be body lines as instructions. We read them as a heredoc body before.
    text = f"FROM a\nRUN {args}\necho x\nEOF\n"
    df = parse(text)
    assert isinstance(df, Dockerfile)
    assert [len(i.heredocs) for i in df.all_instructions][:2] == [0, int(has_heredoc)]
    assert len(df.all_instructions) == (2 if has_heredoc else 4)


@pytest.mark.parametrize(
    ("args", "values"),
    [
        pytest.param("CMD curl -f x", ("CMD", "curl -f x"), id="ASCII"),
        pytest.param("CMD\u3000curl", ("CMD\u3000curl",), id="U+3000 is no space to BuildKit here"),
        pytest.param("CMD \u3000curl", ("CMD", "\u3000curl"), id="nor is it stripped"),
        pytest.param("CMD\u00e0 curl", ("CMD\udcc3", "curl"), id="0xA0 byte of a character is a space"),
    ],
)
def test_healthcheck_type_is_split_byte_by_byte_as_buildkit_does(args: str, values: tuple[str, ...]) -> None:
    # Found by fuzzing against BuildKit: parseHealthConfig takes each byte as a rune.
    df = parse(f"FROM a\nHEALTHCHECK {args}\n")
    assert isinstance(df, Dockerfile)
    assert df.all_instructions[1].values == values
