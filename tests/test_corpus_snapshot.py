"""Speed work changes no output: each corpus file's digests match the recorded ones.

See tests/corpus_snapshot.py for what a digest covers and how to record them again
when a change is meant to change what dffix says.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.corpus import CORPUS, corpus_params
from tests.corpus_snapshot import SNAPSHOT, digests

_RECORDED: dict[str, dict[str, str]] = json.loads(SNAPSHOT.read_text()) if SNAPSHOT.is_file() else {}


@pytest.mark.parametrize("path", corpus_params())
def test_every_output_is_as_recorded(path: Path) -> None:
    key = str(path.relative_to(CORPUS))
    assert key in _RECORDED, f"{key} not in {SNAPSHOT.name}: python -m tests.corpus_snapshot --write"
    assert digests(path) == _RECORDED[key], (
        f"what dffix says about {key} changed; if that is meant, record it again:"
        " .venv/bin/python -m tests.corpus_snapshot --write"
    )


def test_the_snapshot_covers_exactly_the_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus not present")
    present = {str(p.relative_to(CORPUS)) for p in CORPUS.rglob("Dockerfile") if p.is_file()}
    assert set(_RECORDED) == present
