"""Where the shared corpus of real Dockerfiles is, when this checkout has one beside it."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def corpus_files() -> list[Path]:
    """Return every Dockerfile in ../shared/corpus, sorted (empty when it is absent)."""
    if not CORPUS.is_dir():
        return []
    return sorted(p for p in CORPUS.rglob("Dockerfile") if p.is_file())


def corpus_params() -> list[object]:
    """Return pytest params, one per corpus file, or a single skipped param without it."""
    files = corpus_files()
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason="../shared/corpus not present"))]
    return [pytest.param(p, id=str(p.relative_to(CORPUS).parent)) for p in files]


def decode(data: bytes) -> str:
    """Decode the way dffix does: UTF-8, with undecodable bytes kept as surrogates."""
    return data.decode("utf-8", "surrogateescape")
