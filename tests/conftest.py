"""Shared pytest options: `--update-fixtures` rewrites the expected fixture outputs."""

from __future__ import annotations

import pytest


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
