"""Bad and hostile input: dffix must never break a file, hang or print a traceback.

Each case goes through the real command (`entry.main`, in-process) or the pure core, and
checks what the user sees: one clear line per bad file, exit 2 when the file was named on
the command line, the file byte-identical afterwards, and the other files still fixed.
The last part times parse + fix on adversarial inputs at sizes n and 10n: the ratio must
stay roughly linear, so no regular expression or reader backtracks catastrophically.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator

import pytest

from dffix.edits import Applicability, Edit, Fix
from dffix.facts import Facts
from dffix.fixer import FixResult, check, fix
from dffix.rules import ALL_RULES, Rule, Violation
from dffix.syntax import Dockerfile, ParseError, Span, parse
from dffix.syntax.shell import split_commands


def all_rules() -> list[Rule]:
    return [rule() for rule in ALL_RULES]


# -- nesting deeper than Python's stack -----------------------------------------


def test_deeply_nested_expansions_are_given_up_on_not_a_crash() -> None:
    # Each `$(`/`${` used to cost three Python frames: ~330 of them raised RecursionError
    # out of every rule that reads RUN commands.
    for opener in ("$((", "$(", "${"):
        line = "echo " + opener * 3000
        assert split_commands(line) is None
        assert split_commands(line + opener[-1].translate(str.maketrans("({", ")}")) * 3000) is None
    assert split_commands("echo " + "$(" * 20 + "x" + ")" * 20 + " && true") is not None
    result = fix("FROM a\nRUN echo " + "$((" * 3000 + "\n", all_rules(), Applicability.UNSAFE)
    assert isinstance(result, FixResult)


def test_onbuild_nested_beyond_the_stack_is_a_parse_error() -> None:
    # BuildKit's parser takes `ONBUILD ONBUILD ...` at any depth (Docker refuses it
    # later); ours recursed once per word and raised RecursionError at ~330.
    deep = parse("FROM a\n" + "ONBUILD " * 2000 + "RUN x\n")
    assert deep == ParseError(2, 1, "ONBUILD nested more than 50 levels deep")
    shallow = parse("FROM a\n" + "ONBUILD " * 50 + "RUN x\n")
    assert isinstance(shallow, Dockerfile)


# BuildKit's directive pattern as it was written here before: the oracle for the rewrite.
_BUILDKIT_DIRECTIVE = re.compile(
    r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$"
)


@pytest.mark.parametrize(
    "line",
    [
        "# syntax=docker/dockerfile:1",
        "#escape=`",
        "# escape = \\ ",
        "#  check  =  skip=all ;error=true\t",
        "# syntax=a   b",
        "# syntax=   ",
        "# syntax =\t",
        "# syntax=",
        "# 1syntax=a",
        "#syntax\f=\fx\f",
    ],
)
def test_directive_values_are_read_as_buildkit_reads_them(line: str) -> None:
    m = _BUILDKIT_DIRECTIVE.match(line)
    df = parse(line + "\nFROM a\n")
    if m is None or m.group(1).lower() not in ("syntax", "escape", "check"):
        assert not isinstance(df, Dockerfile) or not df.directives
        return
    if isinstance(df, ParseError):  # an escape that is neither ` nor \\
        assert m.group(1) == "escape"
        assert m.group(2) not in ("`", "\\")
        return
    assert [(d.name, d.value) for d in df.directives] == [(m.group(1).lower(), m.group(2))]


def test_directive_with_a_long_run_of_spaces_is_read_in_linear_time() -> None:
    # The lazy `(.+?)\\s*$` took ~50 s for 100,000 spaces, hours for a 1 MB line.
    start = time.process_time()
    df = parse("# syntax=a" + " " * 1_000_000 + "b\nFROM a\n")
    assert time.process_time() - start < 1
    assert isinstance(df, Dockerfile)
    assert df.directives[0].value == "a" + " " * 1_000_000 + "b"


# -- linear time ------------------------------------------------------------------


def best_time(func: Callable[[], object], runs: int = 3) -> float:
    """Return the least CPU time of a few runs of `func` (noise only ever adds time)."""
    best = float("inf")
    for _ in range(runs):
        start = time.process_time()
        func()
        best = min(best, time.process_time() - start)
    return best


def assert_linear(make: Callable[[int], str], n: int, run: Callable[[str], object]) -> None:
    """Assert that `run` on `make(10 * n)` costs well under 100x `run` on `make(n)`.

    Linear is 10x; the bound is 30x so a noisy machine never fails it, while anything
    quadratic (100x) does.
    """
    small, large = make(n), make(10 * n)
    base = max(best_time(lambda: run(small)), 1e-3)  # below a millisecond, the clock is the noise
    ratio = best_time(lambda: run(large), runs=2) / base
    assert ratio < 30, f"10x the input took {ratio:.0f}x the time"


_X_WORD = re.compile(r"(?<= )x\b")


class ReplaceEveryX(Rule):
    """A rule whose one fix per RUN has an edit for every `x` word: thousands on one line."""

    code = "DF999"
    name = "every-x"
    message = "`x`"
    fix_title = "Replace `x` with `y`"

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instructions("RUN"):
            start, end = instr.args_span
            edits = [Edit(m.start(), m.end(), "y") for m in _X_WORD.finditer(df.text, start, end)]
            if edits:
                yield self.violation(instr.keyword_span, Fix.safe(*edits))


def test_a_fix_with_many_edits_on_one_long_line_is_applied_in_linear_time() -> None:
    # The fixer built a ban key for every fix, copying each edit's whole line, even with
    # nothing banned: 20,000 edits on one line took seconds.
    def make(n: int) -> str:
        return "FROM a\nRUN echo" + " x" * n + "\n"

    result = fix(make(3), [ReplaceEveryX()])
    assert isinstance(result, FixResult)
    assert result.text == "FROM a\nRUN echo y y y\n"
    assert_linear(make, 2000, lambda text: fix(text, [ReplaceEveryX()]))


class FlagEveryRun(Rule):
    """A rule reporting every RUN, with no fix."""

    code = "DF998"
    name = "every-run"
    message = "a RUN"

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instructions("RUN"):
            yield self.violation(instr.keyword_span)


def test_suppressions_are_looked_up_in_linear_time() -> None:
    # Each diagnostic looked through every suppressed instruction before it.
    def make(n: int) -> str:
        return "FROM a\n" + "# dffix: ignore=DF201\nRUN true\n" * n

    def run(text: str) -> object:
        df = parse(text)
        assert isinstance(df, Dockerfile)
        return check(df, [FlagEveryRun()])

    assert len(run(make(3))) == 3  # type: ignore[arg-type]
    assert run("FROM a\n# dffix: ignore=DF998\nRUN true\nRUN x\n") == [
        Violation("DF998", "every-run", "a RUN", Span(38, 41))
    ]
    assert_linear(make, 600, run)
