"""The `dffix` command end to end: modes, exit codes, bytes on disk, errors.

Most tests call `entry.main(argv)` (the fast path, in-process); the typer paths go
through typer's CliRunner; a few run the installed `dffix` script in a subprocess.
DF201 (`ADD app.py /app/` -> `COPY app.py /app/`) is the rule that makes changes happen.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dffix import cli, entry, rules as registry, version_line
from dffix.docs import rule_markdown
from dffix.edits import Edit, Fix
from dffix.facts import Facts
from dffix.rules.base import Fixability, Rule, Violation
from dffix.rules.copy import AddForLocalFiles
from dffix.syntax import Dockerfile
from tests.helpers import Ran, Run

DFFIX = Path(sys.executable).with_name("dffix")
BAD = b"FROM alpine\nADD app.py /app/\n"
GOOD = b"FROM alpine\nCOPY app.py /app/\n"
OLD_TIME = 1_000_000_000  # 2001: any rewrite moves mtime away from it


@pytest.fixture(autouse=True)
def only_df201(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run with DF201 as the only rule, so rules added later cannot change these outputs."""
    monkeypatch.setattr(registry, "ALL_RULES", (AddForLocalFiles,))


def put(path: Path, data: bytes, *, mtime: int | None = OLD_TIME) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def lines(text: str) -> list[str]:
    return text.splitlines()


# -- write mode -----------------------------------------------------------------


def test_write_fixes_in_place_and_says_so(project: Path, dffix: Run) -> None:
    path = put(project / "Dockerfile", BAD)
    ran = dffix("Dockerfile")
    assert ran == Ran(0, b"", "fixed Dockerfile (1 fix)\n")
    assert path.read_bytes() == GOOD


def test_write_leaves_unchanged_files_untouched(project: Path, dffix: Run) -> None:
    path = put(project / "Dockerfile", GOOD)
    before = path.stat()
    assert dffix("Dockerfile") == Ran(0, b"", "")
    after = path.stat()
    assert (after.st_mtime_ns, after.st_ino, path.read_bytes()) == (before.st_mtime_ns, before.st_ino, GOOD)


def test_write_keeps_crlf(project: Path, dffix: Run) -> None:
    path = put(project / "Dockerfile", b"FROM alpine\r\nADD app.py /app/\r\nRUN true\r\n")
    assert dffix("Dockerfile").code == 0
    assert path.read_bytes() == b"FROM alpine\r\nCOPY app.py /app/\r\nRUN true\r\n"


def test_write_keeps_the_file_mode_and_leaves_no_temp_file(project: Path, dffix: Run) -> None:
    path = put(project / "Dockerfile", BAD)
    path.chmod(0o640)
    assert dffix("Dockerfile").code == 0
    assert path.read_bytes() == GOOD
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in project.iterdir()) == [".dffix.toml", "Dockerfile"]


def test_write_through_a_symlink_keeps_the_link(project: Path, dffix: Run) -> None:
    target = put(project / "real" / "Dockerfile.prod", BAD)
    link = project / "Dockerfile"
    link.symlink_to(target)
    assert dffix("Dockerfile") == Ran(0, b"", "fixed Dockerfile (1 fix)\n")
    assert link.is_symlink()
    assert target.read_bytes() == GOOD


def test_read_only_file_is_an_error_and_stays(project: Path, dffix: Run) -> None:
    if os.geteuid() == 0:
        pytest.skip("root may write anything")
    path = put(project / "Dockerfile", BAD)
    path.chmod(0o444)
    ran = dffix("Dockerfile")
    assert (ran.code, ran.err) == (2, "Dockerfile: error: cannot write: permission denied\n")
    assert path.read_bytes() == BAD


def test_failed_write_leaves_the_file_and_no_temp_file(
    project: Path, dffix: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = put(project / "Dockerfile", BAD)

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    ran = dffix("Dockerfile")
    assert ran.code == 2
    assert lines(ran.err) == ["Dockerfile: error: cannot write: permission denied"]
    assert path.read_bytes() == BAD
    assert sorted(p.name for p in project.iterdir()) == [".dffix.toml", "Dockerfile"]


def test_non_utf8_bytes_survive_a_fix_elsewhere(project: Path, dffix: Run) -> None:
    gbk = "# 构建镜像\n".encode("gbk")
    path = put(project / "Dockerfile", b"FROM alpine\n" + gbk + b"ADD app.py /app/\nLABEL x=\xff\xfe\n")
    assert dffix("Dockerfile").code == 0
    assert path.read_bytes() == b"FROM alpine\n" + gbk + b"COPY app.py /app/\nLABEL x=\xff\xfe\n"


def test_utf8_bom_is_kept(project: Path, dffix: Run) -> None:
    path = put(project / "Dockerfile", b"\xef\xbb\xbf" + BAD)
    assert dffix("Dockerfile").code == 0
    assert path.read_bytes() == b"\xef\xbb\xbf" + GOOD


def test_select_and_ignore_on_the_command_line(project: Path, dffix: Run) -> None:
    path = put(project / "Dockerfile", BAD)
    assert dffix("--ignore", "DL3020", "Dockerfile") == Ran(0, b"", "")
    assert dffix("--select", "DF2", "--ignore", "DL3020,DF201", "Dockerfile").code == 0
    assert path.read_bytes() == BAD
    assert dffix("--ignore=DF201", "--select", "ALL", "Dockerfile").code == 0
    assert path.read_bytes() == BAD
    assert dffix("--select=add-for-local-files", "Dockerfile").code == 0
    assert path.read_bytes() == GOOD


def test_unknown_selector_on_the_command_line(project: Path, dffix: Run) -> None:
    path = put(project / "Dockerfile", BAD)
    ran = dffix("--select", "DF2O1", "Dockerfile")
    assert ran == Ran(2, b"", "error: unknown rule selector 'DF2O1'; did you mean 'DF201'?\n")
    assert path.read_bytes() == BAD


def test_config_is_read_from_the_dockerfile_folder_upward(project: Path, dffix: Run) -> None:
    put(project / "svc" / "pyproject.toml", b"[tool.dffix]\nignore = ['add-for-local-files']\n")
    quiet = put(project / "svc" / "api" / "Dockerfile", BAD)
    loud = put(project / "web" / "Dockerfile", BAD)
    ran = dffix(".")
    assert ran == Ran(0, b"", "fixed web/Dockerfile (1 fix)\n")
    assert (quiet.read_bytes(), loud.read_bytes()) == (BAD, GOOD)


def test_explicit_config_file_overrides_the_search(project: Path, dffix: Run) -> None:
    put(project / "app" / "pyproject.toml", b"[tool.dffix]\nignore = ['DF201']\n")
    put(project / "other.toml", b"select = ['DF201']\n")
    path = put(project / "app" / "Dockerfile", BAD)
    assert dffix("app").code == 0
    assert path.read_bytes() == BAD
    assert dffix("--config", "other.toml", "app").code == 0
    assert path.read_bytes() == GOOD


def test_quiet_prints_no_summary(project: Path, dffix: Run) -> None:
    path = put(project / "Dockerfile", BAD)
    assert dffix("--quiet", "Dockerfile") == Ran(0, b"", "")
    assert path.read_bytes() == GOOD


def test_version(dffix: Run) -> None:
    assert dffix("--version") == Ran(0, version_line().encode(), "")


def test_version_says_whether_the_build_is_compiled() -> None:
    from dffix import __version__, fixer

    compiled = not fixer.__file__.endswith(".py")  # setup.py's mypyc build: an extension module
    assert version_line() == f"dffix {__version__}{' (compiled)' if compiled else ''}\n"


# -- folders --------------------------------------------------------------------


def test_folder_search_finds_dockerfile_names_in_sorted_order(project: Path, dffix: Run) -> None:
    for name in [
        "b/Dockerfile",
        "a/Containerfile",
        "a/api.Dockerfile",
        "a/web.dockerfile",
        "Dockerfile.prod",
        "Dockerfile",
        "Dockerfile.dockerignore",  # BuildKit's ignore file
        "README.md",
        ".git/Dockerfile",
        "node_modules/pkg/Dockerfile",
        ".venv/Dockerfile",
        "venv/Dockerfile",
        "env/pyvenv.cfg",
        "env/Dockerfile",
        "__pycache__/Dockerfile",
    ]:
        put(project / name, BAD)
    ran = dffix("--diff", "--quiet", ".")
    assert ran.code == 1
    headers = [line for line in lines(ran.out.decode()) if line.startswith("--- ")]
    assert headers == [
        "--- a/Dockerfile",
        "--- a/Dockerfile.prod",
        "--- a/a/Containerfile",
        "--- a/a/api.Dockerfile",
        "--- a/a/web.dockerfile",
        "--- a/b/Dockerfile",
    ]


def test_symlink_loop_is_searched_once(project: Path, dffix: Run) -> None:
    put(project / "a" / "Dockerfile", BAD)
    (project / "a" / "loop").symlink_to(project / "a")
    (project / "b").symlink_to(project / "a")
    ran = dffix(".")
    assert ran == Ran(0, b"", "fixed a/Dockerfile (1 fix)\n")


def test_same_file_twice_is_fixed_once(project: Path, dffix: Run) -> None:
    put(project / "Dockerfile", BAD)
    assert dffix("Dockerfile", "./Dockerfile", ".").err == "fixed Dockerfile (1 fix)\n"


# -- --diff ---------------------------------------------------------------------


def test_diff_prints_and_writes_nothing(project: Path, dffix: Run) -> None:
    path = put(project / "Dockerfile", BAD + b"RUN true\n")
    ran = dffix("--diff", "Dockerfile")
    assert ran.code == 1
    assert ran.out == (
        b"--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,3 +1,3 @@\n"
        b" FROM alpine\n-ADD app.py /app/\n+COPY app.py /app/\n RUN true\n"
    )
    assert ran.err == "would fix Dockerfile (1 fix)\n"
    assert path.read_bytes() == BAD + b"RUN true\n"
    assert path.stat().st_mtime == OLD_TIME


def test_diff_without_changes_exits_0(project: Path, dffix: Run) -> None:
    put(project / "Dockerfile", GOOD)
    assert dffix("--diff", "Dockerfile") == Ran(0, b"", "")


def test_diff_marks_a_missing_final_newline(project: Path, dffix: Run) -> None:
    put(project / "Dockerfile", b"FROM alpine\nADD app.py /app/")
    ran = dffix("--diff", "Dockerfile")
    assert ran.out.endswith(
        b"-ADD app.py /app/\n\\ No newline at end of file\n+COPY app.py /app/\n\\ No newline at end of file\n"
    )


def test_diff_shows_crlf_and_odd_bytes_as_they_are(project: Path, dffix: Run) -> None:
    put(project / "Dockerfile", b"FROM alpine\r\nADD \xff.py /app/\r\n")
    ran = dffix("--diff", "Dockerfile")
    assert b"\n-ADD \xff.py /app/\r\n+COPY \xff.py /app/\r\n" in ran.out


def test_diff_has_no_colour_when_not_a_terminal(project: Path, dffix: Run) -> None:
    put(project / "Dockerfile", BAD)
    assert b"\x1b[" not in dffix("--diff", "Dockerfile").out


def test_diff_is_coloured_on_a_terminal(project: Path, dffix: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    put(project / "Dockerfile", BAD)
    monkeypatch.setattr(entry, "_is_tty", lambda stream: True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert b"\x1b[31m-ADD app.py /app/\x1b[0m\n" in dffix("--diff", "Dockerfile").out


# -- --check --------------------------------------------------------------------


def test_check_prints_diagnostics_with_markers(project: Path, dffix: Run) -> None:
    put(project / "Dockerfile", b"FROM alpine\nADD app.py /app/\n  ADD $SRC /app/\n")
    ran = dffix("--check", "Dockerfile")
    assert ran.code == 1
    assert lines(ran.out.decode()) == [
        "Dockerfile:2:1: DF201 `ADD` used for local files [*]",
        "Dockerfile:3:3: DF201 `ADD` used for local files? A source uses a variable or glob,"
        " so it may be an archive [-]",
    ]
    assert ran.err == "found 2 problems in 1 file (1 [*], 1 [-])\n"


def test_check_clean_file_exits_0(project: Path, dffix: Run) -> None:
    put(project / "Dockerfile", GOOD)
    assert dffix("--check", "Dockerfile") == Ran(0, b"", "")


def test_check_counts_columns_after_a_bom(project: Path, dffix: Run) -> None:
    put(project / "Dockerfile", b"\xef\xbb\xbfADD app.py /app/\n")
    assert dffix("--check", "--quiet", "Dockerfile").out.startswith(b"Dockerfile:1:1: DF201")


def test_check_respects_suppression_comments(project: Path, dffix: Run) -> None:
    put(project / "Dockerfile", b"FROM alpine\n# hadolint ignore=DL3020\nADD app.py /app/\n")
    assert dffix("--check", "Dockerfile") == Ran(0, b"", "")


def test_line_col() -> None:
    assert entry.line_col("FROM a\r\nRUN b", 8) == (2, 1)
    assert entry.line_col("FROM a\r\nRUN b", 12) == (2, 5)
    assert entry.line_col("\ufeffFROM a\nRUN b", 1) == (1, 1)
    assert entry.line_col("\ufeffFROM a\nRUN b", 6) == (1, 6)
    assert entry.line_col("\ufeffFROM a\nRUN b", 8) == (2, 1)


def test_markers() -> None:
    span = AddForLocalFiles().violation
    from dffix.syntax import Span

    edit = Edit(0, 1, "x")
    assert entry.marker(span(Span(0, 1), Fix.safe(edit))) == "[*]"
    assert entry.marker(span(Span(0, 1), Fix.unsafe(edit))) == "[~]"
    assert entry.marker(span(Span(0, 1), Fix.display_only(edit))) == "[-]"
    assert entry.marker(span(Span(0, 1))) == "[-]"


# -- stdin ----------------------------------------------------------------------


def test_stdin_prints_the_fixed_text(project: Path, dffix: Run) -> None:
    assert dffix("-", stdin=BAD) == Ran(0, GOOD, "")


def test_stdin_prints_the_text_even_when_unchanged(project: Path, dffix: Run) -> None:
    assert dffix("-", stdin=GOOD) == Ran(0, GOOD, "")


def test_stdin_keeps_crlf_and_no_final_newline(project: Path, dffix: Run) -> None:
    ran = dffix("-", stdin=b"FROM alpine\r\nADD app.py /app/")
    assert ran == Ran(0, b"FROM alpine\r\nCOPY app.py /app/", "")


def test_stdin_error_prints_nothing_on_stdout(project: Path, dffix: Run) -> None:
    ran = dffix("-", stdin=b"FROM alpine\nRUN <<EOF\n")
    assert ran == Ran(2, b"", "-:2:1: error: unterminated heredoc <<EOF\n")


def test_stdin_filename_names_errors_and_finds_config(project: Path, dffix: Run) -> None:
    put(project / "svc" / ".dffix.toml", b"ignore = ['DF201']\n")
    assert dffix("--stdin-filename", "svc/Dockerfile", "-", stdin=BAD) == Ran(0, BAD, "")
    ran = dffix("--stdin-filename", "web/Dockerfile", stdin=b"\0")
    assert ran == Ran(
        2, b"", "web/Dockerfile:1:1: error: NUL byte: this looks like a binary file, not a Dockerfile\n"
    )


def test_stdin_bad_config_prints_nothing_on_stdout(project: Path, dffix: Run) -> None:
    put(project / ".dffix.toml", b"unsafe = true\n")
    ran = dffix("-", stdin=BAD)
    assert (ran.code, ran.out) == (2, b"")
    assert ran.err == ".dffix.toml: error: unknown key 'unsafe'; did you mean 'unsafe-fixes'?\n"


def test_stdin_with_diff_and_check(project: Path, dffix: Run) -> None:
    assert dffix("--diff", "-", stdin=BAD).out.startswith(b"--- a/-\n+++ b/-\n")
    ran = dffix("--check", "--stdin-filename=x/Dockerfile", "-", stdin=BAD)
    assert (ran.code, ran.out) == (1, b"x/Dockerfile:2:1: DF201 `ADD` used for local files [*]\n")


# -- bad input: one line each, file unchanged, the others still processed ----------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        pytest.param(
            "binary.Dockerfile",
            b"FROM alpine\nADD a \0 /b\n",
            "binary.Dockerfile:2:7: error: NUL byte: this looks like a binary file, not a Dockerfile",
            id="binary file",
        ),
        pytest.param(
            "utf16.Dockerfile",
            "FROM alpine\nADD app.py /app/\n".encode("utf-16"),
            "utf16.Dockerfile:1:1: error: UTF-16 encoded; dffix reads UTF-8",
            id="UTF-16 refused",
        ),
        pytest.param(
            "utf32.Dockerfile",
            "FROM alpine\n".encode("utf-32"),
            "utf32.Dockerfile:1:1: error: UTF-32 encoded; dffix reads UTF-8",
            id="UTF-32 refused",
        ),
        pytest.param(
            "heredoc.Dockerfile",
            b"FROM alpine\nADD app.py /app/\nRUN <<EOF\n",
            "heredoc.Dockerfile:3:1: error: unterminated heredoc <<EOF",
            id="unterminated heredoc",
        ),
        pytest.param(
            "empty.Dockerfile",
            b"# nothing here\n",
            "empty.Dockerfile:1:1: error: file with no instructions",
            id="no instructions",
        ),
    ],
)
def test_bad_file_gives_one_line_and_others_are_fixed(
    project: Path, dffix: Run, name: str, data: bytes, message: str
) -> None:
    bad = put(project / name, data)
    good = put(project / "z" / "Dockerfile", BAD)
    for mode in ("--diff", "--check", "--quiet"):
        ran = dffix(mode, name, "z")
        assert ran.code == 2
        assert lines(ran.err)[0] == message
        assert "Traceback" not in ran.err
        assert (bad.read_bytes(), bad.stat().st_mtime) == (data, OLD_TIME)
    assert good.read_bytes() == GOOD
    assert message not in dffix("--check", "--quiet", "z").err


def test_broken_file_found_in_a_folder_is_a_finding_not_bad_usage(project: Path, dffix: Run) -> None:
    # Named on the command line, a file that does not parse is bad input (exit 2);
    # found by searching a folder, it is reported the same way but the run exits 1,
    # like any other finding, and the other files are still fixed.
    bad = put(project / "svc" / "Dockerfile", b"FROM a\nRUN <<EOF\n")
    good = put(project / "web" / "Dockerfile", BAD)
    ran = dffix(".")
    assert ran.code == 1
    assert lines(ran.err)[0] == "svc/Dockerfile:2:1: error: unterminated heredoc <<EOF"
    assert (bad.read_bytes(), good.read_bytes()) == (b"FROM a\nRUN <<EOF\n", GOOD)
    assert dffix("svc/Dockerfile").code == 2


def test_missing_file_and_empty_folder(project: Path, dffix: Run) -> None:
    (project / "empty").mkdir()
    put(project / "empty" / "notes.txt", b"ADD x /y\n")
    good = put(project / "Dockerfile", BAD)
    ran = dffix("missing/Dockerfile", "empty", "Dockerfile")
    # A path that does not exist is a usage error: nothing is written (as black does).
    assert ran == Ran(
        2,
        b"",
        "missing/Dockerfile: error: no such file or directory\n"
        "error: nothing was done; every PATH must exist\n",
    )
    assert good.read_bytes() == BAD
    ran = dffix("empty", "Dockerfile")
    assert ran.code == 2
    assert lines(ran.err) == [
        "empty: error: no Dockerfiles found in this folder"
        " (looked for Dockerfile, Containerfile, *.Dockerfile, *.dockerfile, Dockerfile.*)",
        "fixed Dockerfile (1 fix)",
    ]
    assert good.read_bytes() == GOOD


def test_unreadable_file(project: Path, dffix: Run) -> None:
    if os.geteuid() == 0:
        pytest.skip("root may read anything")
    path = put(project / "Dockerfile", BAD)
    path.chmod(0)
    ran = dffix("Dockerfile")
    assert ran == Ran(2, b"", "Dockerfile: error: permission denied\n")


def test_bad_config_key_stops_only_the_files_it_covers(project: Path, dffix: Run) -> None:
    put(project / "svc" / "pyproject.toml", b"[tool.dffix]\nignroe = ['DF201']\n")
    covered = put(project / "svc" / "Dockerfile", BAD)
    also_covered = put(project / "svc" / "api" / "Dockerfile", BAD)
    free = put(project / "web" / "Dockerfile", BAD)
    ran = dffix(".")
    assert ran.code == 2
    assert lines(ran.err) == [
        f"{Path('svc', 'pyproject.toml')}: error: [tool.dffix] unknown key 'ignroe'; did you mean 'ignore'?",
        "fixed web/Dockerfile (1 fix)",
    ]
    assert (covered.read_bytes(), also_covered.read_bytes(), free.read_bytes()) == (BAD, BAD, GOOD)


# -- fix counts and dffix bugs, with test-only rules ------------------------------


class ShoutRun(Rule):
    """Flags a lower-case `run`; the fix is unsafe (for these tests only)."""

    code = "DF991"
    name = "quiet-run"
    message = "lower-case `run`"
    fixability = Fixability.ALWAYS

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instructions("RUN"):
            if instr.keyword == "run":
                yield self.violation(instr.keyword_span, Fix.unsafe(Edit.replace(instr.keyword_span, "RUN")))


class BreakCopy(Rule):
    """Turns `COPY` into an unterminated heredoc: a fix whose output does not parse."""

    code = "DF992"
    name = "break-copy"
    message = "`COPY`"
    fixability = Fixability.ALWAYS

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instructions("COPY"):
            yield self.violation(instr.keyword_span, Fix.safe(Edit.replace(instr.args_span, "<<EOF /x")))


@pytest.fixture
def test_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "ALL_RULES", (AddForLocalFiles, ShoutRun, BreakCopy))


@pytest.mark.usefixtures("test_rules")
def test_unsafe_fixes_left_are_counted(project: Path, dffix: Run) -> None:
    path = put(project / "Dockerfile", BAD + b"run true\nrun false\n")
    ran = dffix("--select", "DF201,DF991", "Dockerfile")
    assert ran == Ran(0, b"", "fixed Dockerfile (1 fix)\n2 more fixes available with --unsafe-fixes\n")
    assert path.read_bytes() == GOOD + b"run true\nrun false\n"
    ran = dffix("--select", "DF201,DF991", "--unsafe-fixes", "Dockerfile")
    assert ran == Ran(0, b"", "fixed Dockerfile (2 fixes)\n")
    assert path.read_bytes() == GOOD + b"RUN true\nRUN false\n"


@pytest.mark.usefixtures("test_rules")
def test_unsafe_fixes_from_config_and_turned_off_on_the_command_line(project: Path, dffix: Run) -> None:
    put(project / ".dffix.toml", b"select = ['DF991']\nunsafe-fixes = true\n")
    path = put(project / "Dockerfile", b"FROM alpine\nrun true\n")
    assert (
        dffix("--no-unsafe-fixes", "--check", "Dockerfile").out
        == b"Dockerfile:2:1: DF991 lower-case `run` [~]\n"
    )
    assert dffix("--no-unsafe-fixes", "Dockerfile").err == "1 more fix available with --unsafe-fixes\n"
    assert dffix("Dockerfile").err == "fixed Dockerfile (1 fix)\n"
    assert path.read_bytes() == b"FROM alpine\nRUN true\n"


@pytest.mark.usefixtures("test_rules")
def test_manual_fixes_left_are_counted(project: Path, dffix: Run) -> None:
    put(project / "Dockerfile", b"FROM alpine\nADD $SRC /app/\n")
    assert dffix("Dockerfile").err == "1 problem needs a manual fix (see --check)\n"


@pytest.mark.usefixtures("test_rules")
def test_fixer_bug_leaves_the_file_as_it_was(project: Path, dffix: Run) -> None:
    # DF201 alone would fix the file; DF992's output does not parse. No half-fixed file.
    path = put(project / "Dockerfile", BAD)
    ran = dffix("--select", "DF201,DF992", "Dockerfile")
    [bug] = lines(ran.err)
    assert (ran.code, ran.out) == (2, b"")
    assert bug.startswith("Dockerfile: dffix bug: fix for DF992 (break-copy) made the file unparsable: ")
    assert bug.endswith("; please report it")
    assert bug.count("DF992") == 1
    assert path.read_bytes() == BAD
    assert path.stat().st_mtime == OLD_TIME


@pytest.mark.usefixtures("test_rules")
def test_fixer_bug_in_diff_mode_shows_no_diff(project: Path, dffix: Run) -> None:
    put(project / "Dockerfile", BAD)
    ran = dffix("--diff", "--select", "DF201,DF992", "Dockerfile")
    assert (ran.code, ran.out, len(lines(ran.err))) == (2, b"", 1)


@pytest.mark.usefixtures("test_rules")
def test_fixer_bug_in_stdin_mode_prints_nothing(project: Path, dffix: Run) -> None:
    # An editor must never get a half-fixed buffer: nothing on stdout, exit 2, one line.
    ran = dffix("--select", "DF201,DF992", "-", stdin=BAD)
    assert (ran.code, ran.out) == (2, b"")
    [bug] = lines(ran.err)
    assert bug.startswith("-: dffix bug: fix for DF992 (break-copy) made the file unparsable")


class Restless(Rule):
    """Appends an `x` to a `RUN x...` on every pass: fixes that never settle."""

    code = "DF993"
    name = "restless-run"
    message = "`RUN x`"
    fixability = Fixability.ALWAYS

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instructions("RUN"):
            if instr.args.startswith("x"):
                yield self.violation(instr.keyword_span, Fix.safe(Edit.insert(instr.args_span.end, "x")))


@pytest.fixture
def restless_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "ALL_RULES", (AddForLocalFiles, Restless))


@pytest.mark.usefixtures("restless_rules")
def test_fixes_that_never_settle_leave_the_file_as_it_was(project: Path, dffix: Run) -> None:
    source = BAD + b"RUN x\n"
    path = put(project / "Dockerfile", source)
    ran = dffix("--select", "DF201,DF993", "Dockerfile")
    assert ran == Ran(
        2, b"", "Dockerfile: dffix bug: fixes did not settle after 10 passes (DF993); please report it\n"
    )
    assert path.read_bytes() == source
    assert path.stat().st_mtime == OLD_TIME


@pytest.mark.usefixtures("restless_rules")
def test_fixes_that_never_settle_in_stdin_mode_print_nothing(project: Path, dffix: Run) -> None:
    ran = dffix("--select", "DF201,DF993", "-", stdin=BAD + b"RUN x\n")
    assert ran == Ran(
        2, b"", "-: dffix bug: fixes did not settle after 10 passes (DF993); please report it\n"
    )


# -- the typer side: help, explain, list, usage errors ----------------------------


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_help(runner: CliRunner) -> None:
    result = runner.invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    for spec in entry.OPTIONS:
        assert spec.flag in result.stdout


def test_explain_prints_the_rule_page(runner: CliRunner) -> None:
    for word in ("DF201", "add-for-local-files", "dl3020"):
        result = runner.invoke(cli.app, ["--explain", word])
        assert (result.exit_code, result.stdout) == (0, rule_markdown(AddForLocalFiles))


def test_explain_unknown_rule(runner: CliRunner) -> None:
    result = runner.invoke(cli.app, ["--explain", "DF210"])
    assert result.exit_code == 2
    assert result.stderr == "error: unknown rule 'DF210'; did you mean 'DF201'?\n"


def test_list_rules(runner: CliRunner) -> None:
    result = runner.invoke(cli.app, ["--list-rules"])
    assert result.exit_code == 0
    [header, *rows] = lines(result.stdout)
    assert header.split() == ["CODE", "NAME", "ALIASES", "FIX", "DEFAULT", "SUMMARY"]
    assert len(rows) == len(registry.ALL_RULES)
    assert rows[[r.split()[0] for r in rows].index("DF201")].split()[:5] == [
        "DF201",
        "add-for-local-files",
        "DL3020",
        "sometimes",
        "on",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--bogus", "x"], "No such option: --bogus", id="unknown option"),
        pytest.param(
            ["--diff", "--check", "x"], "--diff and --check cannot be used together", id="two modes"
        ),
        pytest.param([], "missing PATH", id="no path"),
        pytest.param(
            ["-", "Dockerfile"], "- (stdin) cannot be combined with other paths", id="stdin and file"
        ),
        pytest.param(
            ["--stdin-filename", "a", "b"], "--stdin-filename applies only", id="stdin name for files"
        ),
        pytest.param(["--diff=yes", "x"], "does not take a value", id="flag with a value"),
        pytest.param(["x", "--config"], "requires an argument", id="missing value"),
    ],
)
def test_usage_errors_exit_2(runner: CliRunner, dffix: Run, args: list[str], message: str) -> None:
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 2
    assert message in result.stderr
    ran = dffix(*args)  # main() hands these to the typer app
    assert (ran.code, ran.out) == (2, b"")
    assert message in ran.err


def test_typer_path_runs_the_same_modes(project: Path, runner: CliRunner) -> None:
    path = put(project / "Dockerfile", BAD)
    result = runner.invoke(cli.app, ["--check", "Dockerfile"])
    assert (result.exit_code, result.stdout) == (1, "Dockerfile:2:1: DF201 `ADD` used for local files [*]\n")
    result = runner.invoke(cli.app, ["--diff", "Dockerfile"])
    assert result.exit_code == 1
    assert "+COPY app.py /app/" in result.stdout
    result = runner.invoke(cli.app, ["-"], input=b"FROM a\r\nADD b /c\r\n")
    assert (result.exit_code, result.stdout_bytes) == (0, b"FROM a\r\nCOPY b /c\r\n")
    result = runner.invoke(cli.app, ["-"], input=b"\xff\xfeF\0")
    assert (result.exit_code, result.stdout_bytes) == (2, b"")
    assert result.stderr == "-:1:1: error: UTF-16 encoded; dffix reads UTF-8\n"
    result = runner.invoke(cli.app, ["Dockerfile"])
    assert (result.exit_code, result.stderr) == (0, "fixed Dockerfile (1 fix)\n")
    assert path.read_bytes() == GOOD


# -- the installed script ----------------------------------------------------------


def script(*args: str, cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """Run the installed script with DF201 as the only rule (the in-process patch does not reach it)."""
    (cwd / ".dffix.toml").write_text("select = ['DF201']\n")
    return subprocess.run(
        [str(DFFIX), *args], cwd=cwd, input=stdin, capture_output=True, timeout=60, check=False
    )


def test_script_diff_check_and_stdin(project: Path) -> None:
    put(project / "Dockerfile", BAD)
    done = script("--diff", "Dockerfile", cwd=project)
    assert (done.returncode, done.stdout.splitlines()[-1]) == (1, b"+COPY app.py /app/")
    done = script("--check", "Dockerfile", cwd=project)
    assert (done.returncode, done.stdout) == (1, b"Dockerfile:2:1: DF201 `ADD` used for local files [*]\n")
    done = script("-", cwd=project, stdin=b"FROM a\r\nADD b /c")
    assert (done.returncode, done.stdout, done.stderr) == (0, b"FROM a\r\nCOPY b /c", b"")


def test_script_errors_have_no_traceback(project: Path) -> None:
    put(project / "Dockerfile", b"FROM a\nRUN <<EOF\n")
    done = script("Dockerfile", "nope", cwd=project)
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [
        "nope: error: no such file or directory",
        "error: nothing was done; every PATH must exist",
    ]
    done = script("Dockerfile", cwd=project)
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == ["Dockerfile:2:1: error: unterminated heredoc <<EOF"]
    done = script("--explain", "nothing", cwd=project)
    assert (done.returncode, done.stdout) == (2, b"")
    assert b"Traceback" not in done.stderr


def test_python_dash_m(project: Path) -> None:
    (project / ".dffix.toml").write_text("select = ['DF201']\n")
    done = subprocess.run(
        [sys.executable, "-m", "dffix", "-"],
        cwd=project,
        input=BAD,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, GOOD)


@pytest.mark.parametrize("can_fork", [True, False], ids=["forked workers", "process pool"])
def test_parallel_run_prints_what_a_serial_run_prints(
    project: Path, dffix: Run, monkeypatch: pytest.MonkeyPatch, can_fork: bool
) -> None:
    # Enough files to go parallel; one of them broken, so errors are ordered too. Without
    # fork (Windows) the files go to a process pool instead of dffix's own workers.
    monkeypatch.setattr(entry, "_CAN_FORK", can_fork)
    for i in range(12):
        put(project / f"s{i:02d}" / "Dockerfile", BAD if i % 3 else b"FROM a\nRUN <<EOF\n")
    serial = dffix("--jobs", "1", "--diff", ".")
    parallel = dffix("--jobs", "2", "--diff", ".")
    assert parallel == serial
    assert serial.code == 1
    assert serial.out.count(b"+++ b/") == 8
    assert dffix("--jobs", "2", ".").code == 1
    assert all((project / f"s{i:02d}" / "Dockerfile").read_bytes() == GOOD for i in range(12) if i % 3)


@pytest.mark.parametrize("value", ["0", "x", "-1"])
def test_jobs_must_be_a_positive_number(project: Path, dffix: Run, value: str) -> None:
    put(project / "Dockerfile", BAD)
    ran = dffix(f"--jobs={value}", "Dockerfile")
    assert ran.code == 2
    assert "--jobs" in ran.err


# -- DF203: the .dockerignore is a new file, written only when asked ----------------


@pytest.fixture
def with_df203(monkeypatch: pytest.MonkeyPatch) -> None:
    from dffix.rules.dockerignore import MissingDockerignore

    monkeypatch.setattr(registry, "ALL_RULES", (AddForLocalFiles, MissingDockerignore))


WHOLE_CONTEXT = b"FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci\n"


@pytest.mark.usefixtures("with_df203")
def test_dockerignore_is_written_only_when_asked(project: Path, dffix: Run) -> None:
    put(project / "app" / "Dockerfile", WHOLE_CONTEXT)
    (project / "app" / ".git").mkdir()
    (project / "app" / "node_modules").mkdir()
    ignore = project / "app" / ".dockerignore"
    assert dffix("app").code == 0
    assert not ignore.exists(), "safe fixes alone never write a new file"
    assert dffix("--unsafe-fixes", "app").code == 0
    assert not ignore.exists(), "unsafe fixes alone never write a new file"
    assert b"/dev/null" not in dffix("--diff", "--unsafe-fixes", "app").out
    shown = dffix("--diff", "--write-dockerignore", "app")
    assert shown.code == 1
    assert b"--- /dev/null\n+++ b/app/.dockerignore\n" in shown.out
    assert not ignore.exists(), "--diff writes nothing"
    written = dffix("--write-dockerignore", "app")
    assert "wrote app/.dockerignore" in written.err
    lines = ignore.read_text().splitlines()
    assert ".git" in lines and "node_modules" in lines


@pytest.mark.usefixtures("with_df203")
def test_dockerignore_is_never_overwritten(project: Path, dffix: Run) -> None:
    put(project / "app" / "Dockerfile", WHOLE_CONTEXT)
    ignore = put(project / "app" / ".dockerignore", b"# mine\n")
    ran = dffix("--unsafe-fixes", "app")
    assert "wrote" not in ran.err
    assert ignore.read_bytes() == b"# mine\n"


@pytest.mark.usefixtures("with_df203")
def test_dockerignore_respects_suppression(project: Path, dffix: Run) -> None:
    put(project / "app" / "Dockerfile", b"FROM node:20\n# dffix: ignore=DF203\nCOPY . .\n")
    (project / "app" / ".git").mkdir()
    dffix("--write-dockerignore", "app")
    assert not (project / "app" / ".dockerignore").exists()
