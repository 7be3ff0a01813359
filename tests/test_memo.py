"""Per-file caches: filled while a file is fixed, emptied before the next one."""

from __future__ import annotations

from pathlib import Path

import pytest

from dffix import memo
from dffix.entry import main
from dffix.rules import apt, practices


def test_forget_empties_every_file_cache() -> None:
    calls: list[str] = []

    @memo.file_cache(8)
    def shout(word: str) -> str:
        calls.append(word)
        return word.upper()

    assert shout("a") == "A" and shout("a") == "A"
    assert calls == ["a"]  # the second call came from the cache
    memo.forget()
    assert shout("a") == "A"
    assert calls == ["a", "a"]


def test_the_command_line_leaves_no_rule_cache_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    held: list[int] = []
    forget = memo.forget

    def counting_forget() -> None:
        held.append(
            practices._shaped_commands.cache_info().currsize + apt._shaped_actions.cache_info().currsize
        )
        forget()

    monkeypatch.setattr(memo, "forget", counting_forget)
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text(
            f"FROM debian\nRUN apt-get update\nRUN apt-get install -y {name} && echo {name}\n"
        )
    assert main(["--jobs", "1", "--diff", str(tmp_path)]) == 1
    # Each file filled the caches (its RUNs' commands and apt calls); after it, nothing is left.
    assert len(held) == 2 and all(held)
    assert practices._shaped_commands.cache_info().currsize == 0
    assert apt._shaped_actions.cache_info().currsize == 0
