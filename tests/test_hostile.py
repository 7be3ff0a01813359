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

import pytest

from dffix.edits import Applicability
from dffix.fixer import FixResult, fix
from dffix.rules import ALL_RULES, Rule
from dffix.syntax import Dockerfile, ParseError, parse
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
