"""The fix engine: which fixes go together in a pass, the fixpoint loop, safety levels,
broken or restless rules, and suppression comments.

The rules here are throwaway: each proposes the fixes a small function computes from
the text, so a test can say exactly which edits compete.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import ClassVar

import pytest

from dffix import fixer
from dffix.edits import Applicability, Edit, Fix
from dffix.facts import Facts
from dffix.fixer import FixResult, check, fix, select_fixes
from dffix.rules.base import Fixability, Rule, Violation
from dffix.syntax import Dockerfile, ParseError, Span, parse

Propose = Callable[[str], Iterable[Fix | Span]]
SAFE, UNSAFE, DISPLAY_ONLY = Applicability.SAFE, Applicability.UNSAFE, Applicability.DISPLAY_ONLY


class Scripted(Rule):
    """Report one violation per fix that `propose` returns (a bare Span: no fix)."""

    code = "DF901"
    name = "scripted-one"
    message = "scripted finding"
    fix_title = "Apply the scripted edit"
    fixability = Fixability.SOMETIMES
    aliases: ClassVar[tuple[str, ...]] = ("TL901",)

    def __init__(self, propose: Propose, isolation: str | None = None) -> None:
        super().__init__()
        self.propose = propose
        self.isolation = isolation

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for proposed in self.propose(df.text):
            if isinstance(proposed, Span):
                yield self.violation(proposed)
            else:
                span = Span(proposed.start, proposed.end)
                yield self.violation(span, proposed, isolation=self.isolation)


class ScriptedTwo(Scripted):
    code = "DF902"
    name = "scripted-two"
    aliases = ("TL902",)


class ScriptedThree(Scripted):
    code = "DF903"
    name = "scripted-three"
    aliases = ()


def replacing(pattern: str, new: str, make: Callable[..., Fix] = Fix.safe) -> Propose:
    """Propose replacing each match of `pattern` (multiline) with `new` (`\\g<0>` allowed)."""

    def propose(text: str) -> Iterator[Fix]:
        for m in re.finditer(pattern, text, re.MULTILINE):
            yield make(Edit(m.start(), m.end(), m.expand(new)))

    return propose


def inserting(before: str, new: str) -> Propose:
    """Propose inserting `new` where `before` first matches, unless `new` is already there."""

    def propose(text: str) -> Iterator[Fix]:
        m = re.search(before, text, re.MULTILINE)
        if m and new not in text:
            yield Fix.safe(Edit.insert(m.start(), new))

    return propose


def reporting(pattern: str) -> Propose:
    """Report each match of `pattern` without a fix."""

    def propose(text: str) -> Iterator[Span]:
        for m in re.finditer(pattern, text, re.MULTILINE):
            yield Span(m.start(), m.end())

    return propose


def run(text: str, *rules: Rule, level: Applicability = SAFE) -> FixResult:
    result = fix(text, rules, level)
    assert not isinstance(result, ParseError), result
    return result


def violation(code: str, *edits: Edit, isolation: str | None = None) -> Violation:
    fixed = Fix.safe(*edits)
    return Violation(code, code.lower(), "m", Span(fixed.start, fixed.end), fixed, "t", isolation)


# -- choosing fixes for one pass ------------------------------------------------


def test_overlapping_fix_waits_for_the_next_pass() -> None:
    whole = violation("DF901", Edit(11, 18, "ccc bbb"))
    inner = violation("DF902", Edit(15, 18, "ddd"))
    assert select_fixes([inner, whole], SAFE, set()) == [whole]


def test_overlapping_fixes_both_land_over_two_passes() -> None:
    text = "FROM a\nRUN aaa bbb\n"
    first = Scripted(replacing(r"aaa bbb", "ccc bbb"))
    second = ScriptedTwo(replacing(r"bbb", "ddd"))
    result = run(text, first, second)
    assert result.text == "FROM a\nRUN ccc ddd\n"
    assert [v.code for v in result.applied] == ["DF901", "DF902"]
    assert not result.bugs


def test_touching_edits_go_together() -> None:
    left = violation("DF901", Edit(0, 4, "x"))
    right = violation("DF902", Edit(4, 8, "y"))
    insert = violation("DF903", Edit(8, 8, "z"))
    assert select_fixes([right, insert, left], SAFE, set()) == [left, right, insert]


def test_two_inserts_at_one_offset_take_two_passes() -> None:
    a = violation("DF901", Edit(0, 0, "# a\n"))
    b = violation("DF902", Edit(0, 0, "# b\n"))
    assert select_fixes([b, a], SAFE, set()) == [a]


def test_two_inserts_at_one_offset_end_in_a_stable_order() -> None:
    text = "FROM a\n"
    a, b = Scripted(inserting("^FROM", "# a\n")), ScriptedTwo(inserting("^FROM", "# b\n"))
    result = run(text, b, a)
    # DF901 goes first (same offset: by code); DF902 then inserts before FROM, after it.
    assert result.text == "# a\n# b\nFROM a\n"
    assert run(text, a, b).text == result.text


def test_identical_edits_from_two_rules_are_not_a_conflict() -> None:
    shared = Edit(0, 0, "# shared\n")
    a = violation("DF901", shared)
    b = violation("DF902", shared, Edit(7, 8, "b"))
    c = violation("DF903", Edit(9, 10, "c"))
    assert select_fixes([c, b, a], SAFE, set()) == [a, b, c]


def test_identical_edit_is_applied_once() -> None:
    text = "FROM a\nRUN x y\n"
    both = "# shared\n"

    def with_shared(extra: str, repl: str) -> Propose:
        def propose(t: str) -> Iterator[Fix]:
            m = re.search(rf"\b{extra}\b", t)
            if m:
                yield Fix.safe(Edit.insert(0, both), Edit(m.start(), m.end(), repl))

        return propose

    result = run(text, Scripted(with_shared("x", "X")), ScriptedTwo(with_shared("y", "Y")))
    assert result.text == "# shared\nFROM a\nRUN X Y\n"
    assert sorted(v.code for v in result.applied) == ["DF901", "DF902"]


def test_isolation_key_allows_one_fix_per_pass() -> None:
    a = violation("DF901", Edit(0, 1, "a"), isolation="stage 0")
    b = violation("DF902", Edit(5, 6, "b"), isolation="stage 0")
    c = violation("DF903", Edit(9, 10, "c"), isolation="stage 1")
    plain = violation("DF901", Edit(12, 13, "d"))
    assert select_fixes([plain, c, b, a], SAFE, set()) == [a, c, plain]


def test_isolated_fixes_land_one_pass_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "FROM a\nRUN aaa\nRUN aaa\nRUN aaa\n"
    rule = Scripted(replacing(r"aaa", "bbb"), isolation="stage 0")
    assert run(text, rule).text == "FROM a\nRUN bbb\nRUN bbb\nRUN bbb\n"
    monkeypatch.setattr(fixer, "MAX_PASSES", 2)
    capped = run(text, rule)
    assert capped.partial == "FROM a\nRUN bbb\nRUN bbb\nRUN aaa\n"
    assert (capped.text, capped.applied) == (text, ())  # not settled: the input, unchanged
    assert [b.codes for b in capped.bugs] == [("DF901",)]


def test_without_isolation_all_land_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fixer, "MAX_PASSES", 1)
    result = run("FROM a\nRUN aaa\nRUN aaa\n", Scripted(replacing(r"aaa", "bbb")))
    assert result.text == "FROM a\nRUN bbb\nRUN bbb\n"
    assert not result.bugs


# -- the fixpoint loop ----------------------------------------------------------


def test_fixing_the_output_again_changes_nothing() -> None:
    text = "FROM a\nRUN aaa bbb\nRUN aaa\n"
    rules = (Scripted(replacing(r"aaa bbb", "ccc bbb")), ScriptedTwo(replacing(r"aaa|bbb", "ddd")))
    once = run(text, *rules)
    assert once.text == "FROM a\nRUN ddd ddd\nRUN ddd\n"
    again = run(once.text, *rules)
    assert again.text == once.text
    assert again.applied == ()
    assert not once.bugs and not again.bugs


def test_nothing_to_fix_returns_the_same_text() -> None:
    text = "FROM a\r\nRUN x"
    result = run(text, Scripted(replacing("zzz", "y")))
    assert result.text == text
    assert not result.changed


def test_input_parse_error_is_returned() -> None:
    assert isinstance(fix("FROM a\nENV PATH\n", [Scripted(replacing("a", "b"))]), ParseError)


def test_fix_that_breaks_parsing_is_dropped() -> None:
    text = "FROM a\nRUN aaa\nENV A=1\n"
    good = Scripted(replacing(r"aaa", "bbb"))
    breaker = ScriptedTwo(replacing(r"A=1", "A"))  # `ENV A` has no value: BuildKit rejects it
    result = run(text, good, breaker)
    assert result.partial == "FROM a\nRUN bbb\nENV A=1\n"
    assert not isinstance(parse(result.partial), ParseError)
    assert [b.codes for b in result.bugs] == [("DF902",)]
    assert "unparsable" in result.bugs[0].message
    # A bug returns the input as it was, with what the input has to report.
    assert (result.text, result.applied) == (text, ())
    assert [v.code for v in result.remaining] == ["DF901", "DF902"]


def test_only_fix_breaks_parsing_keeps_the_input() -> None:
    text = "FROM a\nENV A=1\n"
    result = run(text, ScriptedTwo(replacing(r"A=1", "A")))
    assert result.text == text
    assert result.applied == ()
    assert len(result.bugs) == 1


def test_breaking_fix_is_reported_once() -> None:
    text = "FROM a\nRUN aaa\nENV A=1\n"
    result = run(text, Scripted(replacing(r"aaa", "bbbbbb")), ScriptedTwo(replacing(r"A=1", "A")))
    assert result.partial == "FROM a\nRUN bbbbbb\nENV A=1\n"
    assert result.text == text
    assert len(result.bugs) == 1


def test_ban_does_not_block_the_same_edit_elsewhere() -> None:
    # One fix per pass (isolation): `ENV A=1` -> `ENV A` breaks and is banned; the
    # same edit inside the RUN parses and should still land in the next pass.
    rule = Scripted(replacing(r"A=1", "A"), isolation="stage 0")
    result = run("FROM a\nENV A=1\nRUN echo A=1\n", rule)
    assert result.partial == "FROM a\nENV A=1\nRUN echo A\n"
    assert len(result.bugs) == 1


def test_fixes_that_break_only_together_keep_the_first() -> None:
    # Alone, each parses: the first adds a heredoc that the `EOF` line closes, the
    # second deletes that line. Together the heredoc is never closed.
    text = "FROM a\nRUN x\nEOF\nRUN y\n"
    opener = Scripted(inserting(r"^RUN x", "RUN cat <<EOF\n"))
    closer_remover = ScriptedTwo(replacing(r"^EOF\n", ""))
    result = run(text, opener, closer_remover)
    assert result.partial == "FROM a\nRUN cat <<EOF\nRUN x\nEOF\nRUN y\n"
    assert (result.text, result.applied) == (text, ())
    assert {c for b in result.bugs for c in b.codes} == {"DF902"}


def test_rule_that_never_settles_is_cut_at_max_passes() -> None:
    grows = Scripted(replacing(r"\bx+$", r"\g<0>x"))
    result = run("FROM a\nRUN x\n", grows)
    assert result.partial == "FROM a\nRUN " + "x" * (1 + fixer.MAX_PASSES) + "\n"
    assert (result.text, result.applied) == ("FROM a\nRUN x\n", ())
    assert [b.codes for b in result.bugs] == [("DF901",)]
    assert "did not settle" in result.bugs[0].message


def test_rules_that_undo_each_other_are_cut() -> None:
    there = Scripted(replacing(r"\baaa\b", "bbb"))
    back = ScriptedTwo(replacing(r"\bbbb\b", "aaa"))
    result = run("FROM a\nRUN aaa\n", there, back)
    assert result.partial == ("FROM a\nRUN aaa\n" if fixer.MAX_PASSES % 2 == 0 else "FROM a\nRUN bbb\n")
    assert (result.text, result.applied) == ("FROM a\nRUN aaa\n", ())
    assert len(result.bugs) == 1
    assert "did not settle" in result.bugs[0].message


def test_rules_that_undo_each_other_are_both_named() -> None:
    there = Scripted(replacing(r"\baaa\b", "bbb"))
    back = ScriptedTwo(replacing(r"\bbbb\b", "aaa"))
    result = run("FROM a\nRUN aaa\n", there, back)
    assert result.text in ("FROM a\nRUN aaa\n", "FROM a\nRUN bbb\n")
    assert len(result.bugs) == 1
    assert set(result.bugs[0].codes) == {"DF901", "DF902"}


# -- fix safety -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "level", "after"),
    [
        pytest.param(Fix.safe, SAFE, "RUN bbb", id="safe fix at safe level"),
        pytest.param(Fix.safe, UNSAFE, "RUN bbb", id="safe fix at unsafe level"),
        pytest.param(Fix.unsafe, SAFE, "RUN aaa", id="unsafe fix not applied at safe level"),
        pytest.param(Fix.unsafe, UNSAFE, "RUN bbb", id="unsafe fix at unsafe level"),
        pytest.param(Fix.display_only, SAFE, "RUN aaa", id="display-only at safe level"),
        pytest.param(Fix.display_only, UNSAFE, "RUN aaa", id="display-only at unsafe level"),
    ],
)
def test_fix_levels(make: Callable[..., Fix], level: Applicability, after: str) -> None:
    result = run("FROM a\nRUN aaa\n", Scripted(replacing("aaa", "bbb", make)), level=level)
    assert result.text == f"FROM a\n{after}\n"
    if after == "RUN aaa":
        assert result.applied == ()
        assert [v.code for v in result.remaining] == ["DF901"]
        assert result.remaining[0].fix is not None
    else:
        assert result.remaining == ()


def test_display_only_never_applied_at_any_level() -> None:
    result = run("FROM a\nRUN aaa\n", Scripted(replacing("aaa", "bbb", Fix.display_only)), level=DISPLAY_ONLY)
    assert result.text == "FROM a\nRUN aaa\n"


def test_unsafe_fix_does_not_block_safe_fix_at_safe_level() -> None:
    text = "FROM a\nRUN aaa bbb\n"
    unsafe_whole = Scripted(replacing(r"aaa bbb", "zzz", Fix.unsafe))
    safe_part = ScriptedTwo(replacing(r"bbb", "ccc"))
    result = run(text, unsafe_whole, safe_part)
    assert result.text == "FROM a\nRUN aaa ccc\n"


def test_report_without_fix_stays_in_remaining() -> None:
    result = run("FROM a\nRUN aaa\n", Scripted(reporting("aaa")))
    assert result.text == "FROM a\nRUN aaa\n"
    assert [(v.code, v.span, v.fix) for v in result.remaining] == [("DF901", Span(11, 14), None)]


def test_check_orders_by_position_then_code() -> None:
    df = parse("FROM a\nRUN aaa\nRUN bbb\n")
    assert isinstance(df, Dockerfile)
    found = check(df, [ScriptedTwo(reporting("aaa|bbb")), Scripted(replacing("b+", "c"))])
    assert [(v.span.start, v.code) for v in found] == [(11, "DF902"), (19, "DF901"), (19, "DF902")]


# -- suppression comments ---------------------------------------------------------


def _suppressed(text: str, *rules: Rule) -> FixResult:
    return run(text, *(rules or (Scripted(replacing(r"aaa", "bbb")),)))


@pytest.mark.parametrize(
    "comment",
    [
        pytest.param("# dffix: ignore=DF901", id="dffix code"),
        pytest.param("# dffix: ignore=scripted-one", id="dffix name"),
        pytest.param("#dffix:ignore=DF902,DF901", id="list, no spaces"),
        pytest.param("# dffix: ignore=DF9", id="code prefix"),
        pytest.param("# hadolint ignore=TL901", id="hadolint alias"),
        pytest.param("# hadolint ignore=DL3008, TL901", id="hadolint list"),
        pytest.param("# dffix: ignore=DF901\n# another comment", id="run of comments"),
    ],
)
def test_ignore_comment_directly_above(comment: str) -> None:
    text = f"FROM a\n{comment}\nRUN aaa\nRUN aaa\n"
    result = _suppressed(text)
    assert result.text == f"FROM a\n{comment}\nRUN aaa\nRUN bbb\n"
    assert result.remaining == ()


@pytest.mark.parametrize(
    "comment",
    [
        pytest.param("# dffix: ignore=DF901\n", id="blank line in between"),
        pytest.param("# dffix: ignore=DF901\n  \t", id="whitespace-only line in between"),
        pytest.param("# dffix: ignore=DF902", id="other code"),
        pytest.param("# hadolint ignore=DF9011", id="longer code"),
        pytest.param("# ignore=DF901", id="no dffix/hadolint prefix"),
    ],
)
def test_ignore_comment_that_does_not_apply(comment: str) -> None:
    text = f"FROM a\n{comment}\nRUN aaa\n"
    assert _suppressed(text).text == f"FROM a\n{comment}\nRUN bbb\n"


def test_ignore_names_only_its_rule() -> None:
    text = "FROM a\n# dffix: ignore=DF901\nRUN aaa ccc\n"
    result = _suppressed(text, Scripted(replacing("aaa", "bbb")), ScriptedTwo(replacing("ccc", "ddd")))
    assert result.text == "FROM a\n# dffix: ignore=DF901\nRUN aaa ddd\n"


def test_ignore_comment_inside_a_continuation() -> None:
    text = "FROM a\nRUN echo \\\n# dffix: ignore=DF901\n  aaa\nRUN aaa\n"
    assert _suppressed(text).text == "FROM a\nRUN echo \\\n# dffix: ignore=DF901\n  aaa\nRUN bbb\n"


def test_global_ignore() -> None:
    text = "# hadolint global ignore=TL901\nFROM a\nRUN aaa\n\nRUN aaa\n"
    result = _suppressed(text)
    assert result.text == text
    assert result.remaining == ()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("# dffix: skip-file\nFROM a\nRUN aaa\n", id="at the top"),
        pytest.param("FROM a\nRUN aaa\n\n# DFFIX: skip-file\nRUN aaa\n", id="anywhere, any case"),
    ],
)
def test_skip_file(text: str) -> None:
    result = _suppressed(text)
    assert result.skipped
    assert result.text == text
    assert result.applied == result.remaining == ()
    df = parse(text)
    assert isinstance(df, Dockerfile)
    assert check(df, [Scripted(reporting("aaa"))]) == []


def test_skip_file_inside_a_heredoc_is_not_a_comment() -> None:
    text = "FROM a\nRUN <<EOF\n# dffix: skip-file\nEOF\nRUN aaa\n"
    result = _suppressed(text)
    assert not result.skipped
    assert result.text == text.replace("RUN aaa", "RUN bbb")


_TWO_INSERTS = """
from dffix.edits import Edit, Fix
from dffix.fixer import fix
from dffix.rules.base import Rule
from dffix.syntax import Span

class TwoInserts(Rule):
    code, name, message, fix_title = "DF901", "two-inserts", "m", "t"

    def check(self, df, facts):
        if "# one" not in df.text:
            yield self.violation(Span(0, 0), Fix.safe(Edit.insert(0, "# one\\n"), Edit.insert(0, "# two\\n")))

print(fix("FROM a\\n", [TwoInserts()]).text, end="")
"""


def test_inserts_at_one_offset_in_one_fix_keep_their_order() -> None:
    outputs = set()
    for seed in ("1", "2", "3", "4"):
        done = subprocess.run(
            [sys.executable, "-c", _TWO_INSERTS],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        outputs.add(done.stdout)
    assert outputs == {"# one\n# two\nFROM a\n"}


def test_shell_is_inherited_from_the_stage_built_on() -> None:
    from dffix.facts import compute_facts

    df = parse(
        'FROM a AS base\nSHELL ["/bin/bash", "-c"]\nRUN x\n'
        "FROM base AS child\nRUN y\n"
        'FROM base\nSHELL ["pwsh", "-c"]\nRUN z\n'
        "FROM other\nRUN w\n"
    )
    assert not isinstance(df, ParseError)
    facts = compute_facts(df)
    base, child, third, other = facts.stages
    runs = [i for i in df.all_instructions if i.kind == "RUN"]
    assert base.shell_at(runs[0]) == ("/bin/bash", "-c")
    assert child.shell_at(runs[1]) == ("/bin/bash", "-c")
    assert third.shell_at(third.from_instr) == ("/bin/bash", "-c")
    assert third.shell_at(runs[2]) == ("pwsh", "-c")
    assert other.shell_at(runs[3]) == ("/bin/sh", "-c")
    assert [s.index for s in facts.chain(child)] == [1, 0]
