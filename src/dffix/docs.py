"""Rule documentation: one Markdown page per rule from its docstring, and the rules tables.

Used by `dffix --explain`, `dffix --list-rules` and `scripts/gen_docs.py`. Pure: text in,
text out.
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Sequence
from functools import cache

from dffix.rules.base import Fixability, Rule

TABLE_START = "<!-- rules-table:start -->"
TABLE_END = "<!-- rules-table:end -->"
DOCS_DIR = "docs/rules"

_FIX_WORDS = {
    Fixability.ALWAYS: "Fix always available",
    Fixability.SOMETIMES: "Fix sometimes available",
    Fixability.NEVER: "No fix",
}
_FIX_SHORT = {Fixability.ALWAYS: "always", Fixability.SOMETIMES: "sometimes", Fixability.NEVER: "never"}


def find_rule(word: str, rules: Sequence[type[Rule]]) -> type[Rule] | None:
    """Return the rule whose code, name or alias is `word` (any case), or None."""
    wanted = word.strip().lower()
    for rule in rules:
        if wanted in (rule.code.lower(), rule.name.lower(), *(a.lower() for a in rule.aliases)):
            return rule
    return None


def doc_filename(rule: type[Rule]) -> str:
    """Return the file name of a rule's page (`DF201-add-for-local-files.md`)."""
    return f"{rule.code}-{rule.name}.md"


def docstring_markdown(rule: type[Rule]) -> str:
    """Return the rule's docstring with its indentation removed, ending in one newline."""
    doc = rule_doc(rule)
    first, _, rest = doc.partition("\n")
    body = (first.strip() + "\n" + textwrap.dedent(rest)).strip("\n")
    return "\n".join(line.rstrip() for line in body.split("\n")) + "\n"


def rule_doc(rule: type[Rule]) -> str:
    """Return the rule's docstring as written.

    A build compiled with mypyc (setup.py) drops the docstrings of the classes it compiles:
    then the docstring is read from the module's source, which the build ships beside the
    compiled module.
    """
    if rule.__doc__:
        return rule.__doc__
    from importlib.machinery import EXTENSION_SUFFIXES

    path = getattr(sys.modules.get(rule.__module__), "__file__", None) or ""
    for suffix in EXTENSION_SUFFIXES:  # a compiled module: its source is beside it
        if path.endswith(suffix):
            return _class_docs(path[: -len(suffix)] + ".py").get(rule.__qualname__, "")
    return ""  # pure: the class has no docstring


@cache
def _class_docs(path: str) -> dict[str, str]:
    """Return the docstrings of the classes a Python source file defines, by qualified name."""
    import ast

    try:
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read(), path)
    except OSError:
        return {}
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            doc = ast.get_docstring(node, clean=False)
            if doc is not None:
                found[node.name] = doc
    return found


def summary(rule: type[Rule]) -> str:
    """Return the first sentence of the rule's `## What it does` section (its message if none)."""
    m = re.search(r"^## What it does\n(.+?)(?:\n\n|\n##|\Z)", docstring_markdown(rule), re.M | re.S)
    if m is None:
        return rule.message
    paragraph = " ".join(m.group(1).split())
    sentence = re.match(r"(.+?[.!?])(?:\s|$)", paragraph)
    return sentence.group(1) if sentence else paragraph


def rule_markdown(rule: type[Rule]) -> str:
    """Return a rule's full page: a title with code and name, what it is, then its docstring."""
    facts = [_FIX_WORDS[rule.fixability], "on by default" if rule.default_enabled else "off by default"]
    if rule.aliases:
        facts.append("also known as " + ", ".join(f"`{a}`" for a in rule.aliases))
    line = "; ".join(facts)
    parts = [f"# {rule.code}: {rule.name}\n", line[:1].upper() + line[1:] + ".\n"]
    if rule.option_defaults:
        settings = "\n".join(f"{key} = {toml_value(value)}" for key, value in rule.option_defaults.items())
        table = f"[tool.dffix.rules.{rule.name}]"
        parts.append(f"Options and their defaults:\n\n```toml\n{table}\n{settings}\n```\n")
    parts.append(docstring_markdown(rule))
    return "\n".join(parts)


def toml_value(value: object) -> str:
    """Return a Python option default written as a TOML value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return "[" + ", ".join(toml_value(v) for v in items) + "]"
    return repr(value)


def rules_table(rules: Sequence[type[Rule]], link_dir: str = DOCS_DIR) -> str:
    """Return the Markdown rules table (code, name linked to its page, fix, summary)."""
    rows = ["| Code | Name | Fix | Summary |", "| --- | --- | --- | --- |"]
    for rule in sorted(rules, key=lambda r: r.code):
        name = f"[{rule.name}]({link_dir}/{doc_filename(rule)})"
        text = summary(rule).replace("|", "\\|")
        rows.append(f"| {rule.code} | {name} | {_FIX_SHORT[rule.fixability]} | {text} |")
    return "\n".join(rows) + "\n"


def with_rules_table(readme: str, table: str) -> str | None:
    """Return `readme` with the text between the rules-table markers replaced by `table`.

    Returns None when the markers are missing or out of order.
    """
    start, end = readme.find(TABLE_START), readme.find(TABLE_END)
    if start < 0 or end < start:
        return None
    head = readme[: start + len(TABLE_START)]
    return f"{head}\n{table}{readme[end:]}"


def rules_listing(rules: Sequence[type[Rule]]) -> str:
    """Return the plain-text table that `--list-rules` prints, one rule a row."""
    rows = [("CODE", "NAME", "ALIASES", "FIX", "DEFAULT", "SUMMARY")]
    for rule in sorted(rules, key=lambda r: r.code):
        aliases = ",".join(rule.aliases) or "-"
        default = "on" if rule.default_enabled else "off"
        rows.append((rule.code, rule.name, aliases, _FIX_SHORT[rule.fixability], default, summary(rule)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1]
        for row in rows
    ]
    return "\n".join(lines) + "\n"
