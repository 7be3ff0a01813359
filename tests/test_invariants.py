"""What must hold for every rule on every file: the generic checks rule tests rely on.

Every fixture `.before` file, every round-trip fixture and every corpus file is fixed
with all of ALL_RULES, at the safe and at the unsafe level. Then: nothing raises; fixing
the output again changes nothing; the fixer settles with no bug; the output still parses
(ours, and BuildKit's when it accepted the input); the newline style and final newline
are kept; instructions no rule rewrites keep their exact text; rules keep the promises
of their `fixability` and `fix_title`; and no fix below the level asked for is applied.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from dffix.edits import Applicability
from dffix.fixer import FixResult, check, fix, select_fixes
from dffix.rules import ALL_RULES, Fixability, Rule, Violation
from dffix.syntax import Dockerfile, ParseError, parse
from tests.corpus import CORPUS, corpus_files, decode

buildkit: ModuleType | None
try:
    import dockerfile as buildkit  # type: ignore[import-not-found,no-redef]  # no stubs
except ImportError:  # the BuildKit oracle is optional: only that part is skipped
    buildkit = None

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# Kinds no rule rewrites: a fix that touches one of them edited outside its range.
KEPT_KINDS = frozenset(
    {"ARG", "EXPOSE", "WORKDIR", "VOLUME", "HEALTHCHECK", "STOPSIGNAL", "SHELL", "ONBUILD"}
)
LEVELS = [
    pytest.param(Applicability.SAFE, id="safe"),
    pytest.param(Applicability.UNSAFE, id="unsafe"),
]


def _inputs() -> list[Any]:
    fixtures = sorted(FIXTURES.glob("rules/*/*.before.Dockerfile")) + sorted(
        FIXTURES.glob("roundtrip/*.Dockerfile")
    )
    params = [pytest.param(p, id=str(p.relative_to(FIXTURES))) for p in fixtures]
    params += [pytest.param(p, id="corpus/" + str(p.relative_to(CORPUS).parent)) for p in corpus_files()]
    return params


def all_rules() -> list[Rule]:
    return [rule() for rule in ALL_RULES]


@functools.cache
def _source(path: Path) -> str:
    return decode(path.read_bytes())


@functools.cache
def parsed_source(path: Path) -> Dockerfile | ParseError:
    return parse(_source(path))


@functools.cache
def buildkit_accepts(text: str) -> bool | None:
    """Return whether BuildKit's parser accepts `text` (None without the oracle)."""
    if buildkit is None:
        return None
    # The binding crashes on lone surrogates: hand it replacement characters instead.
    safe = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    try:
        buildkit.parse_string(safe)
    except buildkit.GoParseError:
        return False
    return True


def fixed(text: str, level: Applicability) -> FixResult | ParseError:
    return fix(text, all_rules(), level)


def kept_texts(df: Dockerfile) -> list[str]:
    """Return the exact text of each instruction no rule rewrites, without its newline.

    (A fix may append after the last line of a file that has no final newline.)
    """
    texts = (df.text[i.span.start : i.span.end] for i in df.all_instructions if i.kind in KEPT_KINDS)
    return [t.removesuffix("\n").removesuffix("\r") for t in texts]


def has_bare_lf(text: str) -> bool:
    return bool(re.search(r"(?<!\r)\n", text))


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("path", _inputs())
def test_invariants(path: Path, level: Applicability) -> None:
    text = _source(path)
    before = parsed_source(path)
    result = fixed(text, level)
    if isinstance(before, ParseError):
        assert isinstance(result, ParseError)
        return
    assert isinstance(result, FixResult), result
    out = result.text

    assert not result.bugs, result.bugs
    assert all(v.fix is not None and v.fix.applicability >= level for v in result.applied)
    if out == text:
        assert not result.applied
        return

    after = parse(out)
    assert isinstance(after, Dockerfile), f"output does not parse: {after}"
    # What fix() would do first on its own output: nothing left to apply means fixing
    # twice gives the same text as fixing once.
    pending = select_fixes(check(after, all_rules()), level, set())
    assert not pending, f"fixing twice differs from fixing once: {[v.code for v in pending]}"
    if buildkit_accepts(text):
        assert buildkit_accepts(out), "BuildKit accepts the input but not the output"

    if "\r\n" in text and not has_bare_lf(text):
        assert not has_bare_lf(out), "a CRLF file gained a bare LF"
    if "\r\n" not in text:
        assert "\r\n" not in out, "an LF file gained a CRLF"
    assert text.endswith("\n") == out.endswith("\n"), "final newline status changed"

    froms = [len(list(df.instructions("FROM"))) for df in (before, after)]
    if any(v.code == SPLITS_STAGES for v in result.applied):
        # Splitting a stage repeats its WORKDIR, EXPOSE... in the new final stage: each
        # kept instruction is still there, in order, and there is exactly one more stage.
        assert is_subsequence(kept_texts(before), kept_texts(after))
        assert froms[1] == froms[0] + 1, "a split adds exactly one stage"
        return
    assert kept_texts(after) == kept_texts(before)
    assert froms[0] == froms[1], "number of stages changed"


SPLITS_STAGES = "DF502"  # single-stage-build: the one rule that adds a stage


def is_subsequence(short: list[str], long: list[str]) -> bool:
    items = iter(long)
    return all(any(x == y for y in items) for x in short)


@pytest.mark.parametrize("path", _inputs())
def test_violations_keep_their_rules_promises(path: Path) -> None:
    df = parsed_source(path)
    if isinstance(df, ParseError):
        return
    by_code = {r.code: r for r in ALL_RULES}
    for v in check(df, all_rules()):
        assert_promises_kept(v, by_code[v.code], len(df.text))


def assert_promises_kept(v: Violation, rule: type[Rule], size: int) -> None:
    assert v.name == rule.name
    assert 0 <= v.span.start <= v.span.end <= size
    if rule.fixability is Fixability.NEVER:
        assert v.fix is None, f"{v.code} is documented as never fixable but yields a fix"
    if rule.fixability is Fixability.ALWAYS:
        assert v.fix is not None, f"{v.code} is documented as always fixable but yields no fix"
    if v.fix is None:
        return
    assert v.fix_title, f"{v.code} yields a fix without a fix_title"
    assert v.fix.edits, f"{v.code} yields a fix with no edits"
    pos = 0
    for edit in v.fix.edits:
        assert pos <= edit.start <= edit.end <= size, f"{v.code}: edits overlap or leave the text"
        pos = edit.end


@pytest.mark.parametrize("rule", [pytest.param(r, id=f"{r.code}-{r.name}") for r in ALL_RULES])
def test_rule_metadata(rule: type[Rule]) -> None:
    assert re.fullmatch(r"DF\d{3}", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.message
    if rule.fixability is not Fixability.NEVER:
        assert rule.fix_title, f"{rule.code} can fix but has no fix_title"


def test_rule_codes_and_names_are_unique() -> None:
    codes = [r.code for r in ALL_RULES]
    names = [r.name for r in ALL_RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)


def test_invariant_inputs_exist() -> None:
    assert list(FIXTURES.glob("rules/*/*.before.Dockerfile"))
    assert len(list(FIXTURES.glob("roundtrip/*.Dockerfile"))) >= 40
