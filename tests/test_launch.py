"""dffix.launch: `--version` and `--help` without the engine or typer, and the same answers."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from dffix import cli, entry, version_line
from dffix.launch import help_text, help_width
from dffix.options import COMMAND_HELP, EXPLAIN, LIST_RULES, OPTIONS, TYPER_HELP_ROWS

DFFIX = Path(sys.executable).with_name("dffix")


def typer_help(width: int) -> str:
    """Return typer's `dffix --help` for a page `width` columns wide."""
    command = typer.main.get_command(cli.app)
    context = command.context_class(
        command, info_name="dffix", terminal_width=width, **command.context_settings
    )
    return command.get_help(context) + "\n"


@pytest.mark.parametrize("width", range(50, 161))
def test_help_is_typers_help_at_every_width_it_is_printed_at(width: int) -> None:
    assert help_text(width) == typer_help(width)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_help_lists_every_option_with_its_help() -> None:
    shown = help_text(78)
    flat = _flat(shown)
    for spec in (*OPTIONS, EXPLAIN, LIST_RULES):
        term = f"{spec.flag} {spec.metavar}" if spec.metavar else spec.flag
        assert re.search(rf"^  (--\S+ / )?{re.escape(term)}( |$)", shown, re.M), spec.flag
        if not spec.flag.startswith("--no-"):  # --no-unsafe-fixes shares --unsafe-fixes' row
            assert _flat(spec.help) in flat, spec.flag
    for term, help in TYPER_HELP_ROWS:
        assert term in shown and _flat(help) in flat
    assert shown.startswith("Usage: dffix [OPTIONS] [PATH]...\n\n")
    assert _flat(COMMAND_HELP) in flat
    for words in ("PATH...", "Exit codes: 0 ok, 1", "2 error", "`dffix prove DOCKERFILE`", "`dffix server`"):
        assert words in flat, words


def run(
    *args: str, env: dict[str, str] | None = None, module: bool = False
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "dffix"] if module else [str(DFFIX)]
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("module", [False, True], ids=["script", "python -m"])
def test_script_and_module_print_the_same_version_and_help(module: bool) -> None:
    version = run("--version", module=module)
    assert (version.returncode, version.stdout, version.stderr) == (0, version_line(), "")
    for flag in ("--help", "-h"):
        helped = run(flag, env={"COLUMNS": "72"}, module=module)
        assert (helped.returncode, helped.stdout, helped.stderr) == (0, typer_help(70), "")


def test_width_follows_columns_as_click_does(monkeypatch: pytest.MonkeyPatch) -> None:
    for columns, width in (("200", 78), ("80", 78), ("60", 58), ("20", 50), ("x", 78)):
        monkeypatch.setenv("COLUMNS", columns)
        # "x" is no number: the terminal's width, and 80 columns when stdout is no terminal.
        if columns != "x" or not sys.__stdout__ or not sys.__stdout__.isatty():
            assert help_width() == width, columns


def loaded_by_launch(*args: str) -> set[str]:
    code = (
        "import sys; from dffix.launch import main; code = main(sys.argv[1:]); "
        "sys.stdout.flush(); print('\\n'.join(sorted(sys.modules)), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, timeout=60, check=False, text=True
    )
    return set(done.stderr.split())


@pytest.mark.parametrize("flag", ["--version", "--help", "-h"])
def test_version_and_help_load_neither_the_engine_nor_typer_nor_typing(flag: str) -> None:
    loaded = loaded_by_launch(flag)
    assert "dffix.launch" in loaded
    assert not {m for m in loaded if m.startswith(("dffix.entry", "dffix.syntax", "dffix.rules", "typer"))}
    assert not {"typing", "enum", "collections", "re"} & loaded


@pytest.mark.parametrize(
    "args", [["--version", "--diff", "x"], ["--help", "--check"], ["prove", "--help"], ["--list-rules"]]
)
def test_other_command_lines_go_to_the_entry(args: list[str]) -> None:
    assert "dffix.entry" in loaded_by_launch(*args)


def test_prove_help_and_completion_still_answer() -> None:
    proved = run("prove", "--help")
    assert proved.returncode == 0 and proved.stdout.startswith("usage: dffix prove")
    # Completing, typer answers whatever the command line (the shell's words are in COMP_WORDS).
    env = {"_DFFIX_COMPLETE": "complete_bash", "COMP_WORDS": "dffix --vers", "COMP_CWORD": "1"}
    done = run("--help", env=env)
    assert (done.returncode, done.stdout.split()) == (0, ["--version"])


def test_the_entry_still_answers_version_and_help_itself(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert entry.main(["--version"]) == 0
    assert capsysbinary.readouterr().out == version_line().encode()


def test_exiting_without_teardown_loses_no_output_and_keeps_the_code(tmp_path: Path) -> None:
    # Long output through a pipe, on both streams: everything arrives before the process ends.
    body = "".join(f"RUN apt-get install -y pkg{i}\n" for i in range(400))
    (tmp_path / "Dockerfile").write_text("FROM debian:12\n" + body)
    done = subprocess.run(
        [str(DFFIX), "--diff", "--unsafe-fixes", "--show-fixes", "Dockerfile"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    code = "import sys; from dffix.entry import main; c = main(sys.argv[1:]); sys.stdout.flush(); sys.exit(c)"
    same = subprocess.run(
        [sys.executable, "-c", code, "--diff", "--unsafe-fixes", "--show-fixes", "Dockerfile"],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert done.returncode == same.returncode == 1
    assert done.stdout == same.stdout and len(done.stdout) > 20_000
    assert done.stderr == same.stderr and b"would fix Dockerfile" in done.stderr


def test_a_closed_pipe_is_reported_as_before(tmp_path: Path) -> None:
    body = "".join(f"RUN apt-get install -y pkg{i}\n" for i in range(2000))
    (tmp_path / "Dockerfile").write_text("FROM debian:12\n" + body)
    done = subprocess.run(
        f"'{DFFIX}' --check Dockerfile | head -1", shell=True, cwd=tmp_path, capture_output=True, check=False
    )
    assert done.stdout.startswith(b"Dockerfile:") and done.stdout.count(b"\n") == 1
    assert b"Traceback" not in done.stderr and b"Exception ignored" not in done.stderr
