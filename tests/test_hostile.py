"""Bad and hostile input: dffix must never break a file, hang or print a traceback.

Each case goes through the real command (`entry.main`, in-process) or the pure core, and
checks what the user sees: one clear line per bad file, exit 2 when the file was named on
the command line, the file byte-identical afterwards, and the other files still fixed.
The last part times parse + fix on adversarial inputs at sizes n and 10n: the ratio must
stay roughly linear, so no regular expression or reader backtracks catastrophically.
"""

from __future__ import annotations

import errno
import gc
import os
import re
import stat
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dffix import entry, files, rules as registry
from dffix.edits import Applicability, Edit, Fix
from dffix.facts import Facts
from dffix.fixer import FixResult, check, fix
from dffix.rules import ALL_RULES, Rule, Violation
from dffix.syntax import Dockerfile, ParseError, Span, parse, render
from dffix.syntax.shell import split_commands
from tests.helpers import Ran, Run

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


def test_directive_with_a_long_run_of_spaces_is_read_in_linear_time() -> None:
    # The lazy `(.+?)\\s*$` took ~50 s for 100,000 spaces, hours for a 1 MB line.
    start = time.process_time()
    df = parse("# syntax=a" + " " * 1_000_000 + "b\nFROM a\n")
    assert time.process_time() - start < 1
    assert isinstance(df, Dockerfile)
    assert df.directives[0].value == "a" + " " * 1_000_000 + "b"


# -- linear time ------------------------------------------------------------------


def best_time(func: Callable[[], object], runs: int = 3) -> float:
    """Return the least CPU time of a few runs of `func` (noise only ever adds time).

    The garbage collector is off while timing, as timeit has it: its full collections
    scan every live object, a cost that grows with the input but is not dffix's.
    """
    best = float("inf")
    gc.disable()
    try:
        for _ in range(runs):
            start = time.process_time()
            func()
            best = min(best, time.process_time() - start)
    finally:
        gc.enable()
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


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_refused_not_read_forever(project: Path, dffix: Run) -> None:
    (project / "z.Dockerfile").symlink_to("/dev/zero")
    good = put(project / "ok" / "Dockerfile", BAD)
    ran = dffix("--quiet", "z.Dockerfile", "ok")
    assert (ran.code, ran.err) == (
        2,
        "z.Dockerfile: error: not a regular file (a device or socket); not read\n",
    )
    assert good.read_bytes() == GOOD


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_read_but_never_replaced(project: Path, dffix: Run) -> None:
    import threading

    pipe = project / "Dockerfile"
    os.mkfifo(pipe)

    def feed() -> None:
        with open(pipe, "wb") as handle:
            handle.write(BAD)

    for args, code, err in [
        (("--diff",), 1, "would fix Dockerfile (1 fix)\n"),
        ((), 2, "Dockerfile: error: cannot write: not a regular file (use --diff, or - for stdin)\n"),
    ]:
        writer = threading.Thread(target=feed)
        writer.start()
        ran = dffix(*args, "Dockerfile")
        writer.join(timeout=10)
        assert (ran.code, ran.err) == (code, err)
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)


def test_a_file_over_the_size_limit_is_refused(
    project: Path, dffix: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(files, "MAX_BYTES", 1 << 20)
    monkeypatch.setattr(entry, "MAX_BYTES", 1 << 20)
    big = put(project / "Dockerfile", BAD + b"#" * (1 << 20))
    good = put(project / "ok" / "Dockerfile", BAD)
    ran = dffix("--quiet", "Dockerfile", "ok")
    assert (ran.code, ran.err) == (2, "Dockerfile: error: larger than 1 MiB; not read\n")
    assert big.read_bytes() == BAD + b"#" * (1 << 20)
    assert good.read_bytes() == GOOD
    ran = dffix("-", stdin=BAD + b"#" * (1 << 20))
    assert (ran.code, ran.out, ran.err) == (2, b"", "-: error: larger than 1 MiB; not read\n")


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


# -- big inputs ---------------------------------------------------------------------

# The sizes the issue names (a 50 MB file, a 100,000-line RUN) take a minute or more:
# DFFIX_HOSTILE_FULL=1 runs them; the default run uses a tenth of each.
FULL = bool(os.environ.get("DFFIX_HOSTILE_FULL"))


def config_for_all_rules(project: Path) -> None:
    """Select every rule, opt-in ones too, with unsafe fixes, for the run in `project`."""
    (project / ".dffix.toml").write_text('select = ["ALL"]\nunsafe-fixes = true\n')


def all_rules() -> list[Rule]:
    return [rule() for rule in ALL_RULES]


HEAD = b"FROM python:3.12\nADD app.py /app/\nRUN apt-get update && apt-get install -y curl\n"


# In these, an empty stderr also says the fixer settled within its pass cap: it reports
# a run that does not as a dffix bug.


def test_a_large_file_is_fixed_and_the_rest_kept(project: Path, dffix: Run) -> None:
    # 5 MB of comments with an instruction every 50 lines (50 MB with DFFIX_HOSTILE_FULL).
    config_for_all_rules(project)
    block = b"".join(b"# %02d %s\n" % (i, b"-" * 74) for i in range(50)) + b"ENV K=v\n"
    filler = block * ((50 if FULL else 5) * (1 << 20) // len(block))
    path = put(project / "Dockerfile", HEAD + filler)
    ran = dffix("--quiet", "Dockerfile")
    assert (ran.code, ran.err) == (0, "")
    data = path.read_bytes()
    assert b"\nCOPY app.py /app/\nRUN apt-get update" in data[:300]
    assert filler in data


def test_a_run_of_many_lines_is_fixed(project: Path, dffix: Run) -> None:
    # One RUN continued over 10,000 lines (100,000 with DFFIX_HOSTILE_FULL).
    config_for_all_rules(project)
    lines = b"".join(b"    pkg%d \\\n" % i for i in range(100_000 if FULL else 10_000))
    data = HEAD[:-1] + b" \\\n" + lines + b"    last\n"
    path = put(project / "Dockerfile", data)
    ran = dffix("--quiet", "Dockerfile")
    assert (ran.code, ran.err) == (0, "")
    fixed = path.read_bytes()
    assert b"\nCOPY app.py /app/\nRUN apt-get update" in fixed[:300]
    # DF104 sorts the list: every package line is kept, in sorted order.
    package_lines = [line for line in fixed.splitlines(keepends=True) if line.startswith(b"    pkg")]
    assert package_lines == sorted(lines.splitlines(keepends=True))


def test_ten_thousand_instructions(project: Path, dffix: Run) -> None:
    config_for_all_rules(project)
    block = (
        "RUN apt-get update && apt-get install -y curl\nCOPY app{i}.py /app/\nENV K{i}=v\nLABEL l{i}=x\n"
        "EXPOSE 80{i}\nWORKDIR /w{i}\nARG A{i}\nUSER app\nRUN echo {i} | cat\nCMD node server{i}.js\n"
    )
    text = "FROM node:20\n" + "".join(block.format(i=i) for i in range(1000))
    path = put(project / "Dockerfile", text.encode())
    ran = dffix("--quiet", "Dockerfile")
    assert (ran.code, ran.err) == (0, "")
    fixed = path.read_text()
    df = parse(fixed)
    assert isinstance(df, Dockerfile)
    assert len(df.all_instructions) >= 10_001
    assert [i.kind for i in df.all_instructions[-3:]] == ["USER", "RUN", "CMD"]


# -- linear time on adversarial input ---------------------------------------------------


def _lines(n: int, line: str) -> str:
    return "FROM a\nRUN echo \\\n" + line * n + "  done\n"


# One line per kind of instruction the rules look at, cycled (as benchmarks/bench.py does).
_MIXED = (
    "RUN apt-get update",
    "RUN apt-get install -y curl git && echo done",
    "COPY . /app",
    "ADD local.tar /opt/",
    "ENV KEY value",
    "LABEL org.example.n=1",
    "WORKDIR /app",
    "RUN pip install -r requirements.txt",
    "CMD python app.py",
    'SHELL ["/bin/bash", "-c"]',
    "USER app",
    "EXPOSE 8080",
)


def _mixed(n: int) -> str:
    return "FROM python:3.12\n" + "".join(_MIXED[i % len(_MIXED)] + "\n" for i in range(n))


# (id, make(n), n): n is chosen so that one run on make(10 * n) takes tens of milliseconds.
# All rules, opt-in ones too. Each of the last shapes was quadratic in some rule once.
SHAPES: list[tuple[str, Callable[[int], str], int]] = [
    ("backslashes", lambda n: "FROM a\nRUN echo " + "\\" * n + "\n", 20_000),
    ("double quotes", lambda n: "FROM a\nRUN echo " + '"' * n + "\n", 20_000),
    ("single quotes", lambda n: "FROM a\nRUN echo " + "'" * n + "\n", 20_000),
    ("escaped quotes in a string", lambda n: 'FROM a\nRUN echo "' + '\\"' * n + '"\n', 10_000),
    ("$((", lambda n: "FROM a\nRUN echo " + "$((" * n + "\n", 10_000),
    ("$(( closed", lambda n: "FROM a\nRUN echo " + "$((1+" * n + "))" * n + "\n", 5_000),
    ("${", lambda n: "FROM a\nRUN <<EOF echo " + "${" * n + "\nEOF\n", 10_000),
    ("${x:- nested", lambda n: "FROM a\nRUN <<EOF echo " + "${x:-" * n + "}" * n + "\nx\nEOF\n", 2_500),
    ("<<", lambda n: "FROM a\nRUN echo " + "<<" * n + "\n", 5_000),
    ("<<EOF words", lambda n: "FROM a\nRUN cat " + "<<E " * n + "\n" + "E\n" * n, 500),
    ("backticks", lambda n: "FROM a\nRUN echo " + "`" * n + "\n", 20_000),
    ("--flag words", lambda n: "FROM a\nRUN " + "--flag " * n + "echo\n", 1_000),
    ("--flag quotes", lambda n: "FROM a\nRUN " + '--f="' * n + "echo\n", 5_000),
    ("[ JSON openers", lambda n: "FROM a\nCMD " + "[" * n + "\n", 20_000),
    ("JSON strings, unclosed", lambda n: "FROM a\nCMD [" + '"a",' * n + "\n", 10_000),
    ("&& chain", lambda n: "FROM a\nRUN " + " && ".join(["true"] * n) + "\n", 500),
    ("if nesting", lambda n: "FROM a\nRUN " + "if true; then " * n + "true" + "; fi" * n + "\n", 500),
    ("subshells", lambda n: "FROM a\nRUN " + "(" * n + "true" + ")" * n + "\n", 2_500),
    ("continuation lines", lambda n: _lines(n, "  x \\\n"), 1_000),
    ("comments in a continuation", lambda n: _lines(n, "# c\n"), 1_000),
    ("ENV words", lambda n: "FROM a\nENV " + " ".join(f'a{i}="x y"' for i in range(n)) + "\n", 1_000),
    ("ONBUILD chains", lambda n: "FROM a\n" + "ONBUILD ONBUILD RUN x\n" * n, 100),
    ("directive spaces", lambda n: "# syntax=a" + " " * n + "b\nFROM a\n", 20_000),
    ("heredoc body", lambda n: "FROM a\nRUN <<EOF\n" + "echo x\n" * n + "EOF\n", 2_000),
    ("many heredocs", lambda n: "FROM a\n" + "RUN <<EOF\nx\nEOF\n" * n, 100),
    ("suppressed ADDs", lambda n: "FROM a\n" + "# dffix: ignore=DF201\nADD a /b\n" * n, 150),
    ("mixed instructions, one stage", _mixed, 300),
    (
        "stages",
        lambda n: "".join(f"FROM node AS s{i}\nRUN npm install && apt-get install -y x\n" for i in range(n)),
        100,
    ),
    (
        "a FROM chain",
        lambda n: (
            "FROM a AS s0\n"
            + "".join(f"FROM s{i} AS s{i + 1}\nRUN pip install x\nUSER u{i}\n" for i in range(n))
        ),
        100,
    ),
    ("COPY . . and installs", lambda n: "FROM node\n" + "COPY . .\nRUN npm install\nENV A=1\n" * n, 100),
    (
        "a package per line",
        lambda n: (
            "FROM a\nRUN apt-get install -y \\\n" + "".join(f"  p{n - i} \\\n" for i in range(n)) + "  z\n"
        ),
        1_000,
    ),
]


@pytest.mark.parametrize(("make", "n"), [pytest.param(make, n, id=i) for i, make, n in SHAPES])
def test_parse_and_fix_take_linear_time(make: Callable[[int], str], n: int) -> None:
    rules = all_rules()
    assert_linear(make, n, lambda text: fix(text, rules, Applicability.UNSAFE))


@pytest.mark.parametrize(
    ("line", "flags", "values"),
    [
        pytest.param("FROM\x0b\x85--", (), ("--",), id="U+0085 before the flags is no space"),
        pytest.param(
            "RUN --a=1\u3000--b=2 x", ("--a=1\u3000--b=2",), ("x",), id="U+3000 in a flag is no space"
        ),
        pytest.param(
            "COPY --chown=cit\u00e0 a b", ("--chown=cit\udcc3",), ("a", "b"), id="à is cut at its 0xA0"
        ),
        pytest.param("RUN --a=1\u00a0x y", ("--a=1\udcc2",), ("x y",), id="so is U+00A0"),
        pytest.param("COPY --a=\\à b c", ("--a=\udcc3",), ("b", "c"), id="an escape takes one byte of à"),
        pytest.param("FROM\x0b--\\\x85FROM", ("--\udcc2",), ("FROM",), id="an escaped U+0085 still cuts"),
    ],
)
def test_flags_are_split_byte_by_byte_as_buildkit_does(
    line: str, flags: tuple[str, ...], values: tuple[str, ...]
) -> None:
    # Found by fuzzing against BuildKit: extractBuilderFlags reads each byte as a rune.
    df = parse(line + "\n")
    assert isinstance(df, Dockerfile)
    instr = df.all_instructions[0]
    assert (tuple(f.text for f in instr.flags), instr.values) == (flags, values)
    assert render(df) == line + "\n"


@pytest.mark.parametrize(
    ("text", "name"),
    [
        pytest.param(
            "# escape=`\nFROM a\nRUN cat > /x <<'EOF'\\\none\nEOF\n", "EOF", id="quoted, then a lone escape"
        ),
        pytest.param(
            "# escape=`\nFROM a\nRUN <<EOF\\\\\none\nEOF\\\n", "EOF\\", id="an escaped escape stays"
        ),
        pytest.param("# escape=`\nFROM a\nRUN <<EOF\\\\\\\none\nEOF\\\n", "EOF\\", id="then a lone one goes"),
    ],
)
def test_heredoc_name_loses_a_trailing_lone_escape(text: str, name: str) -> None:
    # Found by fuzzing against BuildKit: its lexer drops an escape with nothing after it.
    df = parse(text)
    assert isinstance(df, Dockerfile)
    assert [h.name for h in df.all_instructions[1].heredocs] == [name]


def test_heredoc_name_loses_a_leading_bom() -> None:
    # Found by fuzzing against BuildKit: Go's text/scanner, which reads the name, skips it.
    df = parse("FROM a\nRUN <<\ufeffEOF\necho one\nEOF\n")
    assert isinstance(df, Dockerfile)
    assert [h.name for h in df.all_instructions[1].heredocs] == ["EOF"]
    assert len(df.all_instructions) == 2


@pytest.mark.parametrize(
    ("line", "values"),
    [
        pytest.param("ONBUILD RUN x", ("x",), id="one level"),
        pytest.param("ONBUILD  ONBUILD RUN x", ("",), id="nested"),
        pytest.param('ONBUILD ONBUILD RUN ["a"]', ("",), id="nested exec form"),
        pytest.param("ONBUILD ONBUILD", (), id="nested, nothing after"),
    ],
)
def test_nested_onbuild_has_buildkits_values(line: str, values: tuple[str, ...]) -> None:
    # Found by fuzzing against BuildKit (Docker refuses `ONBUILD ONBUILD` later anyway).
    df = parse(f"FROM a\n{line}\n")
    assert isinstance(df, Dockerfile)
    assert df.all_instructions[1].values == values
    assert not df.all_instructions[1].is_json


def test_a_worker_that_dies_is_one_error_line_not_a_traceback(
    project: Path, dffix: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    for i in range(20):
        put(project / f"s{i:02}" / "Dockerfile", BAD)
    real = entry._run_file

    def dies_on_one(target: files.Target, *args: object) -> None:
        if target.shown == os.path.join("s10", "Dockerfile"):
            os._exit(3)  # as the OOM killer would: no exception, no cleanup
        real(target, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(entry, "_run_file", dies_on_one)
    ran = dffix("--quiet", "--jobs", "2", ".")
    assert ran.code == 2
    [line] = ran.err.splitlines()
    assert line.startswith(os.path.join("s10", "Dockerfile") + ": error: a dffix worker process died")
    assert "Traceback" not in ran.err
    # The file it died on is as it was; every other file is still fixed.
    for i in range(20):
        assert (project / f"s{i:02}" / "Dockerfile").read_bytes() == (BAD if i == 10 else GOOD)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_the_run_quietly(project: Path, jobs: str) -> None:
    import signal
    import subprocess

    block = "FROM debian AS s{i}\nRUN apt-get update\nRUN apt-get install -y curl\nADD a.py /a/\n"
    text = "".join(block.format(i=i) for i in range(20))
    for i in range(1500):  # seconds of work: still running when the signal comes
        (project / f"{i}.Dockerfile").write_text(text)
    proc = subprocess.Popen(
        [sys.executable, "-m", "dffix", "--diff", "--jobs", jobs, "."],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # a terminal's Ctrl-C reaches the whole process group
    )
    # The signal comes once the first diff is out, in the middle of the run, however
    # fast dffix has become (a fixed delay let a faster dffix finish first).
    assert proc.stdout is not None and proc.stdout.readline().startswith(b"--- ")
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err and b"Error" not in err, err[-500:]


@pytest.mark.parametrize("options", [{}, {"cache-style": "mount"}], ids=["default", "mount"])
def test_a_long_from_chain_is_walked_a_linear_number_of_steps(
    options: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each stage of a `FROM <stage>` chain once walked the whole chain (20,000 stages:
    146 s). Counting the steps catches that where a timing at test size cannot."""
    from dffix.facts import Facts, Stage

    steps = 0
    real = Facts.chain

    def counted(self: Facts, stage: Stage) -> tuple[Stage, ...]:
        nonlocal steps
        found = real(self, stage)
        steps += len(found)
        return found

    monkeypatch.setattr(Facts, "chain", counted)
    n = 1000
    text = "FROM debian AS s0\n" + "".join(
        f"FROM s{i} AS s{i + 1}\nRUN apt-get install -y x\nCMD run\n" for i in range(n)
    )
    rules = [rule({k: v for k, v in options.items() if k in rule.option_defaults}) for rule in ALL_RULES]
    result = fix(text, rules, Applicability.UNSAFE)
    assert isinstance(result, FixResult) and not result.bugs
    assert steps < 20 * n, f"{steps} steps along the chain for {n} stages"
