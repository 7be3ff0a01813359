"""Helpers for rule tests: fix a snippet with one rule and compare."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import dffix.fixer
from dffix.edits import Applicability
from dffix.fixer import FixResult, fix
from dffix.rules.base import Rule
from dffix.syntax import ParseError, parse


def compiled(module: object) -> bool:
    """Return whether `module` is compiled (setup.py's mypyc build): an extension module."""
    return not (getattr(module, "__file__", None) or "").endswith(".py")


# A few tests look inside the pure build (they patch a function one module calls, or read a
# record's bytecode); in the compiled build those calls are direct.
# The pure build runs them in CI too (.ci/run).
COMPILED = compiled(dffix.fixer)


def snippet(text: str) -> str:
    """Dedent a triple-quoted case and make sure it ends with exactly one newline."""
    return textwrap.dedent(text).strip("\n") + "\n"


def fixed(rule: Rule, before: str, *, unsafe: bool = False) -> FixResult:
    """Return the result of fixing `before` with just `rule`."""
    level = Applicability.UNSAFE if unsafe else Applicability.SAFE
    result = fix(before, [rule], level)
    assert not isinstance(result, ParseError), f"input does not parse: {result}"
    assert not result.bugs, result.bugs
    return result


def assert_fixes(rule: Rule, before: str, after: str, *, unsafe: bool = False) -> None:
    """Assert that `rule` turns `before` into `after`, and that fixing again changes nothing."""
    before, after = snippet(before), snippet(after)
    result = fixed(rule, before, unsafe=unsafe)
    assert result.text == after
    assert not isinstance(parse(result.text), ParseError)
    assert fixed(rule, result.text, unsafe=unsafe).text == result.text, "not idempotent"


def assert_unchanged(rule: Rule, source: str, *, unsafe: bool = True) -> None:
    """Assert that `rule` changes nothing in `source`, even with unsafe fixes."""
    source = snippet(source)
    assert fixed(rule, source, unsafe=unsafe).text == source


def assert_reports(rule: Rule, source: str, *, fixable: bool | None = None) -> list[str]:
    """Assert that `rule` reports something in `source`; return the messages."""
    source = snippet(source)
    df = parse(source)
    assert not isinstance(df, ParseError), df
    from dffix.fixer import check

    found = check(df, [rule])
    assert found, "expected a diagnostic"
    if fixable is not None:
        assert any(v.fix is not None for v in found) == fixable
    return [v.message for v in found]


class Ran(NamedTuple):
    """What one in-process `dffix` run gave: exit code, stdout bytes, stderr text."""

    code: int
    out: bytes
    err: str


Run = Callable[..., Ran]


def loaded_by_a_diff(folder: Path, dockerfile: str, names: tuple[str, ...]) -> list[str]:
    """Run `dffix --diff Dockerfile` in a process of its own, on `dockerfile` written in
    `folder`, and return which of the modules `names` it loaded (sorted)."""
    (folder / "Dockerfile").write_text(dockerfile)
    code = (
        "import sys; from dffix.launch import main; main(sys.argv[1:]); "
        f"print(sorted(m for m in sys.modules if m in {names!r}), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "--diff", "Dockerfile"], cwd=folder, capture_output=True, text=True
    )
    assert done.stdout.startswith("---"), done.stderr
    return ast.literal_eval(done.stderr.splitlines()[-1])  # type: ignore[no-any-return]
