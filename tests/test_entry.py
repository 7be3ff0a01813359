"""The fast argv parser in `dffix.entry` and the typer app in `dffix.cli` must agree.

They share `entry.OPTIONS` and `entry.build_options`; these tests catch the rest of the
drift: an option added to one side only, a different kind of value, or a command line
that the two read differently. They also check that the fast path stays fast: no typer,
no TOML parser without a config file, no difflib outside --diff.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import typer

from dffix import cli, entry
from dffix.entry import OPTIONS, TYPER_ONLY_OPTIONS, Options, OutputMode, Takes, parse_argv


def typer_params() -> dict[str, typer.core.TyperOption]:
    """Return the typer command's options by every name they answer to."""
    command = typer.main.get_command(cli.app)
    found: dict[str, typer.core.TyperOption] = {}
    for param in command.params:
        if isinstance(param, typer.core.TyperOption):
            for name in (*param.opts, *param.secondary_opts):
                found[name] = param
    return found


def via_typer(args: list[str], monkeypatch: pytest.MonkeyPatch) -> Options | int:
    """Return the Options the typer app hands to entry.run, or the exit code if it never does."""
    seen: list[Options] = []

    def capture(opts: Options) -> int:
        seen.append(opts)
        return 0

    monkeypatch.setattr(entry, "run", capture)
    code = cli.run_typer(args)
    return seen[0] if seen else code


def test_both_sides_know_the_same_option_names() -> None:
    command = typer.main.get_command(cli.app)
    help_names = set(command.context_settings["help_option_names"])
    assert set(typer_params()) | help_names == {s.flag for s in OPTIONS} | set(TYPER_ONLY_OPTIONS)


def test_typer_options_take_what_the_table_says() -> None:
    params = typer_params()
    for spec in OPTIONS:
        param = params[spec.flag]
        assert param.is_flag == (spec.takes is Takes.NOTHING), spec.flag
        assert param.multiple == (spec.takes is Takes.MANY), spec.flag
        if spec.flag in param.opts:  # `--no-unsafe-fixes` shares the help of `--unsafe-fixes`
            assert param.help == spec.help, spec.flag
        if spec.metavar:
            assert param.metavar == spec.metavar, spec.flag


SAME = [
    ["Dockerfile"],
    ["--diff", "a", "b"],
    ["a", "--diff", "b"],
    ["--check", "--quiet", "."],
    ["--quiet", "--quiet", "x"],
    ["--select", "DF201,DF2", "--select=ALL", "--ignore", "DL3020", "x"],
    ["--select=", "x"],
    ["--ignore", " DF201 , ", "x"],
    ["--unsafe-fixes", "x"],
    ["--no-unsafe-fixes", "x"],
    ["--unsafe-fixes", "--no-unsafe-fixes", "x"],
    ["--no-unsafe-fixes", "--unsafe-fixes", "x"],
    ["-"],
    ["--diff", "-"],
    ["--stdin-filename", "svc/Dockerfile"],
    ["--stdin-filename=svc/Dockerfile", "-", "--check"],
    ["--config", "c.toml", "x"],
    ["--config=a.toml", "--config", "b.toml", "x"],
    ["--", "-odd-name"],
    ["x", "--", "--diff"],
    ["--version"],
    ["--version", "--diff", "--check"],
]


@pytest.mark.parametrize("args", SAME, ids=" ".join)
def test_both_parsers_read_a_line_the_same(args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    fast = parse_argv(args)
    assert fast is not None, "the fast path should take this line"
    assert via_typer(args, monkeypatch) == fast


HANDED_OVER = [
    ["--help"],
    ["-h"],
    ["--explain", "DF201"],
    ["--list-rules"],
    ["--bogus", "x"],
    ["-q", "x"],
    ["--diff=1", "x"],
    ["x", "--config"],
    ["--select", "--diff", "x"],
    ["--diff", "--check", "x"],
    [],
    ["-", "x"],
    ["--stdin-filename", "a", "b"],
]


@pytest.mark.parametrize("args", HANDED_OVER, ids=lambda a: " ".join(a) or "(nothing)")
def test_fast_parser_hands_over_the_rest(args: list[str]) -> None:
    assert parse_argv(args) is None


def test_parsed_options() -> None:
    assert parse_argv(["--diff", "--select", "a,b", "--select", "c", "--ignore=d", "x", "y"]) == Options(
        paths=("x", "y"), mode=OutputMode.DIFF, select=("a", "b", "c"), ignore=("d",)
    )
    assert parse_argv(["--stdin-filename", "s/Dockerfile"]) == Options(
        paths=("-",), mode=OutputMode.STDIN, read_stdin=True, stdin_filename="s/Dockerfile"
    )
    assert parse_argv(["--check", "-"]) == Options(paths=("-",), mode=OutputMode.CHECK, read_stdin=True)


def test_main_hands_unknown_lines_to_typer(capsys: pytest.CaptureFixture[str]) -> None:
    assert entry.main(["--bogus"]) == 2
    assert "No such option: --bogus" in capsys.readouterr().err
    assert entry.main(["--list-rules"]) == 0
    assert "add-for-local-files" in capsys.readouterr().out


def loaded_modules(tmp_path: Path, *args: str) -> set[str]:
    """Return the modules loaded by a whole `dffix` run in a fresh interpreter."""
    code = (
        "import sys; from dffix.entry import main; code = main(sys.argv[1:]); "
        "sys.stdout.flush(); print('\\n'.join(sorted(sys.modules)), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=tmp_path, capture_output=True, timeout=60, check=False
    )
    return set(done.stderr.decode().split())


def test_fast_path_imports_no_typer_and_nothing_it_does_not_need(tmp_path: Path) -> None:
    (tmp_path / ".dffix.toml").write_text("")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "Dockerfile").write_text("FROM alpine\nADD app.py /app/\n")
    # An empty .dffix.toml still has to be parsed; a folder without one must not be.
    write = loaded_modules(tmp_path, "--check", "sub")
    assert {"dffix.fixer", "tomllib"} <= write
    assert not {"typer", "dffix.cli", "difflib", "dffix.diff"} & write
    (tmp_path / ".dffix.toml").unlink()
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    diff = loaded_modules(tmp_path, "--diff", "sub")
    assert "difflib" in diff
    assert not {"typer", "dffix.cli", "tomllib"} & diff
    assert "typer" in loaded_modules(tmp_path, "--list-rules")
