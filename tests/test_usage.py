"""A command line that never surprises: usage errors before any write, other tools'
commands, validated option values, files created only when asked, help and completion.

DF201 (`ADD app.py /app/` -> `COPY app.py /app/`) is the rule that makes changes happen.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import Ran, Run
from tests.test_entry import loaded_modules

DFFIX = Path(sys.executable).with_name("dffix")
BAD = b"FROM alpine:3.19\nUSER app\nADD app.py /app/\n"
GOOD = b"FROM alpine:3.19\nUSER app\nCOPY app.py /app/\n"


@pytest.mark.parametrize("word", ["check", "lint", "format", "fix"])
def test_another_tools_command_gets_a_hint_not_a_run(word: str, project: Path, dffix: Run) -> None:
    path = project / "Dockerfile"
    path.write_bytes(BAD)
    ran = dffix(word, "Dockerfile")
    assert ran.code == 2 and ran.out == b""
    assert ran.err.startswith(f"error: dffix has no {word!r} command; use `dffix ")
    assert path.read_bytes() == BAD, "nothing is written"


def test_a_file_named_like_a_command_is_a_file(project: Path, dffix: Run) -> None:
    (project / "check").write_bytes(BAD)
    assert dffix("check").code == 0
    assert (project / "check").read_bytes() == GOOD


def test_a_missing_path_stops_the_run_before_any_write(project: Path, dffix: Run) -> None:
    first = project / "a" / "Dockerfile"
    first.parent.mkdir()
    first.write_bytes(BAD)
    ran = dffix("a", "b/Dockerfile", "c")
    assert ran == Ran(
        2,
        b"",
        "b/Dockerfile: error: no such file or directory\n"
        "c: error: no such file or directory\n"
        "error: nothing was done; every PATH must exist\n",
    )
    assert first.read_bytes() == BAD


def test_a_missing_path_in_check_mode_prints_no_diagnostic(project: Path, dffix: Run) -> None:
    (project / "Dockerfile").write_bytes(BAD)
    ran = dffix("--check", "Dockerfile", "nope")
    assert (ran.code, ran.out) == (2, b"")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        pytest.param(
            '[rules.apt-lists-not-removed]\ncache-style = "mnt"\n',
            "[rules.apt-lists-not-removed] 'cache-style' must be one of 'clean', 'mount', not 'mnt'",
            id="cache-style",
        ),
        pytest.param(
            '[rules.pip-cache-kept]\ncache-style = "Mount"\n',
            "[rules.pip-cache-kept] 'cache-style' must be one of 'clean', 'mount', not 'Mount'",
            id="cache-style of another rule",
        ),
        pytest.param(
            "[rules.root-final-user]\nuid = 0\n",
            "[rules.root-final-user] 'uid' must be a number from 1 to 2147483647, not 0",
            id="uid 0 is root",
        ),
        pytest.param(
            '[rules.root-final-user]\ngid = "staff"\n',
            "[rules.root-final-user] 'gid' must be a number, not a string",
            id="gid",
        ),
        pytest.param(
            '[rules.root-final-user]\nuser = "App User"\n',
            "[rules.root-final-user] 'user' must be a user name",
            id="user name",
        ),
        pytest.param(
            "unsafe-fixes = 1\n", "'unsafe-fixes' must be true or false, not a number", id="unsafe-fixes"
        ),
    ],
)
def test_a_bad_config_value_names_the_key_and_writes_nothing(
    config: str, message: str, project: Path, dffix: Run
) -> None:
    (project / ".dffix.toml").write_text(config)
    path = project / "Dockerfile"
    path.write_bytes(BAD)
    ran = dffix("Dockerfile")
    assert ran.code == 2
    assert message in ran.err, ran.err
    assert path.read_bytes() == BAD


def test_good_option_values_are_taken(project: Path, dffix: Run) -> None:
    (project / ".dffix.toml").write_text(
        '[rules.apt-lists-not-removed]\ncache-style = "mount"\n'
        '[rules.root-final-user]\nuid = 1000\ngid = 1000\nuser = "svc_1"\n'
    )
    (project / "Dockerfile").write_bytes(BAD)
    assert dffix("Dockerfile").code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--jobs", "0"], "--jobs takes a whole number of 1 or more", id="jobs"),
    ],
)
def test_a_bad_option_value_on_the_command_line(
    args: list[str], message: str, project: Path, dffix: Run
) -> None:
    (project / "Dockerfile").write_bytes(BAD)
    ran = dffix(*args, "Dockerfile")
    assert ran.code == 2 and message in ran.err
    assert (project / "Dockerfile").read_bytes() == BAD


def test_help_shows_path_dots_and_no_python_type() -> None:
    done = subprocess.run([DFFIX, "--help"], capture_output=True, timeout=60, check=False)
    assert done.returncode == 0
    assert done.stdout.startswith(b"Usage: dffix [OPTIONS] [PATH]...")
    assert b"list[str]" not in done.stdout and b"<" not in done.stdout.split(b"Options:")[0]
    assert b"--install-completion" in done.stdout and b"--show-completion" in done.stdout


def test_shell_completion_answers() -> None:
    env = {**os.environ, "_DFFIX_COMPLETE": "complete_bash", "COMP_WORDS": "dffix --unsa", "COMP_CWORD": "1"}
    done = subprocess.run([DFFIX], capture_output=True, timeout=60, check=False, env=env)
    assert (done.returncode, done.stdout.split()) == (0, [b"--unsafe-fixes"])
    script = subprocess.run(
        [DFFIX, "--show-completion", "bash"], capture_output=True, timeout=60, check=False
    )
    assert script.returncode == 0 and b"_DFFIX_COMPLETE=complete_bash" in script.stdout


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["check", "x"], ["nope"]])
def test_version_help_and_usage_errors_load_no_rule(args: list[str], tmp_path: Path) -> None:
    loaded = loaded_modules(tmp_path, *args)
    assert "dffix.entry" in loaded
    assert not {m for m in loaded if m.startswith("dffix.rules") or m == "dffix.fixer"}
