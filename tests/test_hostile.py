"""Bad and hostile input: dffix must never break a file, hang or print a traceback.

Each case goes through the real command (`entry.main`, in-process) or the pure core, and
checks what the user sees: one clear line per bad file, exit 2 when the file was named on
the command line, the file byte-identical afterwards, and the other files still fixed.
The last part times parse + fix on adversarial inputs at sizes n and 10n: the ratio must
stay roughly linear, so no regular expression or reader backtracks catastrophically.
"""

from __future__ import annotations

from dffix.edits import Applicability
from dffix.fixer import FixResult, fix
from dffix.rules import ALL_RULES, Rule
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
