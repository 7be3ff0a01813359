"""Rule docs: rendering, and the committed pages and README table being up to date."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import ClassVar

import pytest

from dffix.docs import (
    TABLE_END,
    TABLE_START,
    doc_filename,
    find_rule,
    rule_markdown,
    rules_listing,
    rules_table,
    summary,
    toml_value,
    with_rules_table,
)
from dffix.facts import Facts
from dffix.rules import ALL_RULES
from dffix.rules.base import Fixability, Rule, Violation
from dffix.rules.copy import AddForLocalFiles
from dffix.syntax import Dockerfile

ROOT = Path(__file__).resolve().parent.parent
HEADINGS = (
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## Fix safety",
    "## References",
)


def gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class PinnedBase(Rule):
    """## What it does
    Flags a `FROM` without a digest. It is a | test rule.

    ## Why is this bad?
    Tags move.

    ## Options
    `allowed`: images that may float.
    """

    code = "DF999"
    name = "unpinned-base"
    message = "unpinned"
    fixability = Fixability.NEVER
    aliases = ("DL3006", "PinBase")
    default_enabled = False
    option_defaults: ClassVar[dict[str, object]] = {"allowed": ("scratch",), "strict": True}

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        yield from ()


def test_committed_docs_are_up_to_date() -> None:
    stale = gen_docs().stale(ROOT)
    assert not stale, f"out of date: {', '.join(stale)}; run: python scripts/gen_docs.py"


def test_stale_docs_are_noticed(tmp_path: Path) -> None:
    module = gen_docs()
    (tmp_path / "README.md").write_text(f"# x\n\n{TABLE_START}\n{TABLE_END}\n")
    assert "README.md (rules table)" in module.stale(tmp_path)
    module.write(tmp_path)
    assert module.stale(tmp_path) == []
    page = tmp_path / "docs" / "rules" / doc_filename(AddForLocalFiles)
    page.write_text(page.read_text() + "edited\n")
    (tmp_path / "docs" / "rules" / "DF000-gone.md").write_text("old\n")
    assert module.stale(tmp_path) == [
        f"docs/rules/{doc_filename(AddForLocalFiles)}",
        "docs/rules/DF000-gone.md (no such rule)",
    ]
    module.write(tmp_path)
    assert module.stale(tmp_path) == []
    assert not (tmp_path / "docs" / "rules" / "DF000-gone.md").exists()


def test_missing_readme_gets_just_the_markers(tmp_path: Path) -> None:
    gen_docs().write(tmp_path)
    readme = (tmp_path / "README.md").read_text()
    assert readme == f"{TABLE_START}\n{rules_table(ALL_RULES)}{TABLE_END}\n"


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_every_rule_docstring_has_the_standard_headings(rule: type[Rule]) -> None:
    page = rule_markdown(rule)
    positions = [page.find(f"\n{h}\n") for h in HEADINGS]
    assert -1 not in positions, f"{rule.code} lacks {HEADINGS[positions.index(-1)]}"
    assert positions == sorted(positions), f"{rule.code}: headings out of order"
    assert ("\n## Options\n" in page) == bool(rule.option_defaults), f"{rule.code}: ## Options iff options"


def test_rule_page_title_and_facts() -> None:
    page = rule_markdown(PinnedBase)
    assert page.startswith(
        "# DF999: unpinned-base\n\n"
        "No fix; off by default; also known as `DL3006`, `PinBase`.\n\n"
        "Options and their defaults:\n\n"
        '```toml\n[tool.dffix.rules.unpinned-base]\nallowed = ["scratch"]\nstrict = true\n```\n\n'
        "## What it does\nFlags a `FROM` without a digest."
    )
    assert page.endswith("## Options\n`allowed`: images that may float.\n")


def test_real_rule_page() -> None:
    page = rule_markdown(AddForLocalFiles)
    assert page.startswith(
        "# DF201: add-for-local-files\n\nFix sometimes available; on by default; also known as `DL3020`.\n"
    )
    assert "\n```dockerfile\nADD requirements.txt /app/\n```\n" in page


def test_summary_is_the_first_sentence() -> None:
    assert summary(PinnedBase) == "Flags a `FROM` without a digest."
    expected = "Flags `ADD` used to copy plain local files or folders into the image."
    assert summary(AddForLocalFiles) == expected


def test_rules_table_rows() -> None:
    table = rules_table([PinnedBase, AddForLocalFiles])
    assert table.splitlines() == [
        "| Code | Name | Fix | Summary |",
        "| --- | --- | --- | --- |",
        "| DF201 | [add-for-local-files](docs/rules/DF201-add-for-local-files.md) | sometimes"
        " | Flags `ADD` used to copy plain local files or folders into the image. |",
        "| DF999 | [unpinned-base](docs/rules/DF999-unpinned-base.md) | never"
        " | Flags a `FROM` without a digest. |",
    ]


def test_with_rules_table_keeps_the_rest() -> None:
    readme = f"# dffix\n\n## Rules\n\n{TABLE_START}\nold\n{TABLE_END}\n\nMore.\n"
    expected = f"# dffix\n\n## Rules\n\n{TABLE_START}\nnew\n{TABLE_END}\n\nMore.\n"
    assert with_rules_table(readme, "new\n") == expected
    assert with_rules_table("# no markers\n", "new\n") is None
    assert with_rules_table(f"{TABLE_END}\n{TABLE_START}\n", "new\n") is None


def test_rules_listing_aligns_columns() -> None:
    listing = rules_listing([PinnedBase, AddForLocalFiles]).splitlines()
    assert listing[0].split() == ["CODE", "NAME", "ALIASES", "FIX", "DEFAULT", "SUMMARY"]
    assert listing[1].split()[:5] == ["DF201", "add-for-local-files", "DL3020", "sometimes", "on"]
    assert listing[2].split()[:5] == ["DF999", "unpinned-base", "DL3006,PinBase", "never", "off"]
    assert len({line.index(line.split()[5]) for line in listing}) == 1


def test_find_rule_by_code_name_or_alias() -> None:
    rules = [AddForLocalFiles, PinnedBase]
    assert find_rule("df201", rules) is AddForLocalFiles
    assert find_rule("unpinned-base", rules) is PinnedBase
    assert find_rule("pinbase", rules) is PinnedBase
    assert find_rule("DF2", rules) is None


def test_toml_values() -> None:
    assert [toml_value(v) for v in (True, 3, 1.5, 'a"b', ("x", 2), frozenset({"b", "a"}))] == [
        "true",
        "3",
        "1.5",
        '"a\\"b"',
        '["x", 2]',
        '["a", "b"]',
    ]
