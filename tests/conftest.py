"""Shared pytest options and fixtures.

`--update-fixtures` rewrites the expected fixture outputs; `project` and `dffix` run the
command in-process in a fresh folder (tests/test_cli.py, tests/test_hostile.py).
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from dffix import entry
from tests.helpers import Ran, Run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-fixtures",
        action="store_true",
        default=False,
        help="rewrite fixtures/rules/*/<case>.after.Dockerfile from what dffix now produces "
        "(and remove it when the case now stays unchanged); review the diff afterwards",
    )


@pytest.fixture
def update_fixtures(request: pytest.FixtureRequest) -> bool:
    """Return whether this run should rewrite `.after` fixtures instead of comparing."""
    return bool(request.config.getoption("--update-fixtures"))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder to work in, as cwd; its empty .dffix.toml (default rules) stops any config
    search above it."""
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
