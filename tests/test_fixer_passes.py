"""The fixer's passes run only the rules whose fixes they may apply (`Rule.best_fix`); the
others run once, on the text the passes end with. That must change nothing: every rule
offers no surer fix than it declares, and the result is the one every rule in every pass
gives (`_every_rule_every_pass`, the fixer as it was)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given

from dffix import api, fixer
from dffix.edits import Applicability, Edit, Fix
from dffix.facts import Facts, compute_facts
from dffix.rules import ALL_RULES
from dffix.rules.base import Fixability, Rule, Violation
from dffix.syntax import Dockerfile, ParseError, parse
from dffix.syntax.tree import Span
from tests.corpus import corpus_files
from tests.test_fuzz import fuzz_settings
from tests.test_rules_fast import corpus_texts, texts

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"


def _every_rule_every_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fixer, "_split", lambda rules, level: (rules, ()))


def _rule_set(unsafe: bool) -> api.RuleSet:
    found = api.rule_set_for(None, api.Overrides(select=("ALL",), unsafe_fixes=unsafe))
    assert isinstance(found, api.RuleSet)
    return found


def _fixture_texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*/*.before.Dockerfile"))]


def test_no_rule_offers_a_surer_fix_than_it_declares() -> None:
    # Every rule, on every corpus file (as written and as fixed) and every rule fixture.
    shown: dict[str, Applicability] = {}
    for text in [*corpus_texts(), *_fixture_texts()]:
        df = parse(text)
        if isinstance(df, ParseError):
            continue
        facts = compute_facts(df, None)
        for rule in (cls() for cls in ALL_RULES):
            for v in rule.check(df, facts):
                if v.fix is not None:
                    best = rule.surest_fix()
                    best = Applicability.DISPLAY_ONLY if best is None else best
                    assert v.fix.applicability <= best, (rule.code, v.message)
                    shown[rule.code] = max(shown.get(rule.code, v.fix.applicability), v.fix.applicability)
    # The declarations are not lower than needed either where the corpus shows a fix.
    assert shown["DF301"] == shown["DF105"] == Applicability.UNSAFE
    assert shown["DF101"] == Applicability.SAFE


def test_what_the_declarations_say() -> None:
    by_code = {r.code: r for r in ALL_RULES}
    assert all(r.surest_fix() is None for r in ALL_RULES if r.fixability is Fixability.NEVER)
    assert by_code["DF107"].surest_fix() is Applicability.SAFE  # a subclass of a subclass
    assert [c for c, r in by_code.items() if r.surest_fix() is Applicability.UNSAFE] == [
        "DF105",
        "DF301",
        "DF501",
        "DF502",
    ]
    assert by_code["DF203"].surest_fix() is None  # a new file, never an edit


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_the_corpus_fixes_as_with_every_rule_in_every_pass(unsafe: bool) -> None:
    files = corpus_files()
    if not files:
        pytest.skip("no ../shared/corpus")
    rule_set = _rule_set(unsafe)
    results = []
    for path in files:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        results.append(fixer.fix(text, rule_set.rules, rule_set.level, api.build_context(str(path))))
    with pytest.MonkeyPatch.context() as patch:
        _every_rule_every_pass(patch)
        for path, got in zip(files, results, strict=True):
            text = path.read_bytes().decode("utf-8", "surrogateescape")
            assert got == fixer.fix(text, rule_set.rules, rule_set.level, api.build_context(str(path))), path


@fuzz_settings(300)
@given(texts)
def test_generated_files_fix_as_with_every_rule_in_every_pass(text: str) -> None:
    for unsafe in (False, True):
        rule_set = _rule_set(unsafe)
        got = fixer.fix(text, rule_set.rules, rule_set.level)
        with pytest.MonkeyPatch.context() as patch:
            _every_rule_every_pass(patch)
            assert got == fixer.fix(text, rule_set.rules, rule_set.level)


class _Understated(Rule):
    """Says its fixes are unsafe, offers a safe one: lowercase `from` becomes `FROM`."""

    code = "DF990"
    name = "understated"
    message = "lowercase from"
    fixability = Fixability.SOMETIMES
    best_fix = Applicability.UNSAFE

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instructions("FROM"):
            if instr.keyword == "from":
                yield self.violation(instr.keyword_span, Fix.safe(Edit.replace(instr.keyword_span, "FROM")))


class _Reporter(Rule):
    """Offers no fix: reports every RUN."""

    code = "DF991"
    name = "reporter"
    message = "a RUN"

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instructions("RUN"):
            yield self.violation(instr.keyword_span)


class _Breaker(Rule):
    """Offers a safe fix that leaves an unparsable file: an unclosed heredoc."""

    code = "DF992"
    name = "breaker"
    message = "a CMD"
    fixability = Fixability.SOMETIMES

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instructions("CMD"):
            yield self.violation(instr.span, Fix.safe(Edit.replace(instr.span, "RUN <<EOF")))


def test_a_rule_that_understates_its_fixes_still_gets_them_applied() -> None:
    text = "from alpine\nRUN true\n"
    result = fixer.fix(text, [_Understated(), _Reporter()], Applicability.SAFE)
    assert not isinstance(result, ParseError)
    assert result.text == "FROM alpine\nRUN true\n"
    assert [v.code for v in result.applied] == ["DF990"]
    assert [v.code for v in result.remaining] == ["DF991"]


def test_the_report_of_a_fix_that_breaks_the_file_holds_every_rule() -> None:
    # With a bug the result holds the input and what the input has: the rules that only
    # report included, though no pass ran them.
    text = "FROM alpine\nRUN true\nCMD x\n"
    result = fixer.fix(text, [_Breaker(), _Reporter()], Applicability.SAFE)
    assert not isinstance(result, ParseError)
    assert result.text == text and result.bugs
    assert [(v.code, v.span) for v in result.remaining] == [("DF991", Span(12, 15)), ("DF992", Span(21, 27))]


def test_a_file_with_nothing_to_fix_is_checked_once_by_every_rule() -> None:
    calls: list[str] = []

    class Counting(_Reporter):
        def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
            calls.append("reporter")
            return super().check(df, facts)

    result = fixer.fix("FROM alpine\nRUN true\n", [_Understated(), Counting()], Applicability.SAFE)
    assert not isinstance(result, ParseError)
    assert calls == ["reporter"] and [v.code for v in result.remaining] == ["DF991"]


def test_a_rule_sets_split_is_kept_for_its_tuple_only() -> None:
    rules = tuple(cls() for cls in ALL_RULES)
    safe = fixer._split(rules, Applicability.SAFE)
    again = fixer._split(rules, Applicability.SAFE)  # asked again: the same answer, kept
    assert again[0] is safe[0] and again[1] is safe[1]  # (the compiled build boxes a new pair)
    unsafe = fixer._split(rules, Applicability.UNSAFE)
    assert [r.code for r in safe[0]] == [r.code for r in rules if r.surest_fix() == Applicability.SAFE]
    assert {r.code for r in unsafe[0]} - {r.code for r in safe[0]} >= {"DF105", "DF301"}
    # A list may change between two files: it is split again each time.
    listed = list(rules)
    first = fixer._split(listed, Applicability.SAFE)
    listed[:] = [r for r in listed if r.code != first[0][0].code]
    assert first[0][0] not in fixer._split(listed, Applicability.SAFE)[0]
