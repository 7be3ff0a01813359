"""`dffix server` as a command: its imports, usage errors and end of input."""

from __future__ import annotations

import subprocess
import sys

SERVER = [sys.executable, "-m", "dffix", "server"]


def test_importing_the_server_does_not_import_typer() -> None:
    code = "import sys, dffix.server; print('typer' in sys.modules, 'dffix.rules' in sys.modules)"
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ran.stdout.split() == ["False", "False"]


def test_server_usage_errors_exit_2() -> None:
    ran = subprocess.run([*SERVER, "--tcp"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert ran.returncode == 2
    assert "dffix server takes no '--tcp'" in ran.stderr
    helped = subprocess.run([*SERVER, "--help"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert (helped.returncode, helped.stdout.startswith("usage: dffix server")) == (0, True)


def test_end_of_input_without_exit_ends_the_server() -> None:
    ran = subprocess.run(SERVER, capture_output=True, stdin=subprocess.DEVNULL, timeout=30)
    assert ran.returncode in (0, 1)
    assert b"Traceback" not in ran.stderr
