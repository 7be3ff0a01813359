"""A parse that keeps the items of the text before the first edit builds the same tree.

The fixer parses each pass's text with the last pass's tree and the offset of its first
edit (`parse(text, before, same_until)`): the items ending before that edit are taken
as they are. Each test compares that tree with a parse from scratch, type for type and
field for field, on edited corpus files and on generated files edited at random.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import example, given, strategies as st

from dffix.syntax import Dockerfile, parser
from tests.corpus import corpus_files, decode
from tests.test_fuzz import fuzz_settings
from tests.test_parser_fast import lines, same, soup, texts

# What an edit writes: whole lines, line pieces, continuations, directives, heredocs.
SNIPPETS = (
    "",
    "\n",
    "x",
    " \\\n",
    "\\",
    "`",
    "# c\n",
    "RUN a\n",
    "RUN b \\\n  c\n",
    "# escape=`\n",
    "COPY <<EOF y\nz\nEOF\n",
    "EOF\n",
    "\r\n",
    " ",
    "ENV a b\n",
    "\ufeff",
    "FROM a AS b\n",
)


def edited(text: str, rnd: random.Random) -> tuple[str, int]:
    """Return `text` with one to three random edits, and where the first one starts."""
    edits = sorted(
        (rnd.randint(0, len(text)), rnd.randint(0, 8), rnd.choice(SNIPPETS)) for _ in range(rnd.randint(1, 3))
    )
    out, last, first = [], 0, None
    for start, length, new in edits:
        if start < last:
            continue
        first = start if first is None else first
        out += [text[last:start], new]
        last = min(len(text), start + length)
    out.append(text[last:])
    return "".join(out), first if first is not None else len(text)


def check_edit(text: str, rnd: random.Random) -> None:
    before = parser.parse(text)
    if not isinstance(before, Dockerfile):
        return
    new, first = edited(text, rnd)
    same(parser.parse(new, before, first), parser.parse(new))


def test_edited_corpus_files_parse_the_same() -> None:
    rnd = random.Random(14)
    for path in corpus_files():
        text = decode(path.read_bytes())
        for _ in range(5):
            check_edit(text, rnd)


@fuzz_settings(500)
@given(st.one_of(texts, soup, lines), st.integers(0, 2**32))
@example("FROM a\nRUN b \\\n", 0)  # continues at the end: appending must join it
@example("FROM a\nRUN b \\\n# c\n", 1)
@example("FROM a", 2)  # no newline at the end: the line itself grows
@example("# escape=`\nFROM a\nRUN b `\n c\n", 3)
@example("FROM a\nRUN <<EOF\nx\nEOF\n", 4)
def test_edited_generated_files_parse_the_same(text: str, seed: int) -> None:
    check_edit(text, random.Random(seed))


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        ("FROM a\nRUN b \\\n", "RUN b   c"),
        ("FROM a\nRUN b \\\n# c\n", "RUN b   c"),
        ("FROM a\nRUN b", "RUN b  c"),
    ],
)
def test_appending_to_an_unfinished_instruction_reads_it_again(text: str, joined: str) -> None:
    # The file ended the RUN (a continuation, a comment inside it, no newline): what is
    # appended belongs to it.
    before = parser.parse(text)
    assert isinstance(before, Dockerfile)
    new = text + "  c\n"
    kept = parser.parse(new, before, len(text))
    assert isinstance(kept, Dockerfile)
    assert [i.line for i in kept.instructions()] == ["FROM a", joined]
    same(kept, parser.parse(new))
