"""Per-file caches: filled while a file is fixed, emptied before the next one."""

from __future__ import annotations

from pathlib import Path

import pytest

from dffix import api, memo
from dffix.entry import main
from dffix.rules import apt, practices
from tests.corpus import CORPUS


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


def _said(path: Path, rule_set: api.RuleSet) -> object:
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    fixed = api.fix_text(text, rule_set, api.build_context(str(path)))
    if not isinstance(fixed, api.Fixed):
        return fixed
    return fixed.text, fixed.bugs, fixed.applied, fixed.remaining


@pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/corpus")
def test_what_dffix_says_does_not_depend_on_which_cache_let_go_of_what() -> None:
    """Each cache lets go of its entries on its own (its size, or `forget`): a result
    must never rest on two caches holding the same objects. For every corpus file, at
    both fix levels, each cache in turn is emptied between two
    fixes of the file, the others left full: both fixes say exactly the same."""
    files = sorted(p for p in CORPUS.rglob("Dockerfile") if p.is_file())
    for path in files:
        for unsafe in (False, True):
            rule_set = api.rule_set_for(str(path), api.Overrides(unsafe_fixes=unsafe))
            assert isinstance(rule_set, api.RuleSet)
            memo.forget()
            first = _said(path, rule_set)
            for cache in list(memo._CACHES):
                cache.cache_clear()
                assert _said(path, rule_set) == first, (path, unsafe, cache.__wrapped__.__qualname__)
    memo.forget()
