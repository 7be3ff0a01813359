"""Write docs/rules/<CODE>-<name>.md for every rule and the rules table in README.md.

Usage: python scripts/gen_docs.py [--check]

With --check, write nothing and exit 1 when a committed page or the table is out of date.
Pages of rules that no longer exist are removed (or reported with --check).
"""

from __future__ import annotations

import sys
from pathlib import Path

from dffix.docs import (
    DOCS_DIR,
    TABLE_END,
    TABLE_START,
    doc_filename,
    rule_markdown,
    rules_table,
    with_rules_table,
)
from dffix.rules import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent


def expected_pages() -> dict[str, str]:
    """Return the generated rule pages, keyed by file name."""
    return {doc_filename(rule): rule_markdown(rule) for rule in ALL_RULES}


def expected_readme(current: str | None) -> str:
    """Return README.md with a fresh rules table (a bare one holding only the table if absent)."""
    base = current if current is not None else f"{TABLE_START}\n{TABLE_END}\n"
    updated = with_rules_table(base, rules_table(ALL_RULES))
    if updated is None:
        raise SystemExit(f"README.md has no {TABLE_START} ... {TABLE_END} markers")
    return updated


def stale(root: Path = ROOT) -> list[str]:
    """Return what is out of date, as paths relative to `root` (empty when all is current)."""
    found = []
    docs = root / DOCS_DIR
    pages = expected_pages()
    for name, text in pages.items():
        path = docs / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            found.append(f"{DOCS_DIR}/{name}")
    existing = sorted(p.name for p in docs.glob("*.md")) if docs.is_dir() else []
    found += [f"{DOCS_DIR}/{name} (no such rule)" for name in existing if name not in pages]
    readme = root / "README.md"
    current = readme.read_text(encoding="utf-8") if readme.is_file() else None
    if current != expected_readme(current):
        found.append("README.md (rules table)")
    return found


def write(root: Path = ROOT) -> None:
    """Write every page and the README table; remove pages of rules that are gone."""
    docs = root / DOCS_DIR
    docs.mkdir(parents=True, exist_ok=True)
    pages = expected_pages()
    for name, text in pages.items():
        path = docs / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8", newline="\n")
    for path in docs.glob("*.md"):
        if path.name not in pages:
            path.unlink()
    readme = root / "README.md"
    current = readme.read_text(encoding="utf-8") if readme.is_file() else None
    updated = expected_readme(current)
    if updated != current:
        readme.write_text(updated, encoding="utf-8", newline="\n")


def main(argv: list[str]) -> int:
    if argv == ["--check"]:
        problems = stale()
        for problem in problems:
            print(f"out of date: {problem}", file=sys.stderr)
        if problems:
            print("run: python scripts/gen_docs.py", file=sys.stderr)
        return 1 if problems else 0
    if argv:
        print(__doc__, file=sys.stderr)
        return 2
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
