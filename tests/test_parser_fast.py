"""The parser's second round of shortcuts builds the tree the parser built before them.

`tests/parser_reference.py` is the parser as it was; each test here parses with both and
compares the results type for type and field for field (a plain tuple equals the
NamedTuple holding the same values, so `==` alone would not see a node built wrong), on
the corpus as written, the texts a corpus fix parses on its way (safe and unsafe), and
generated and mutated files.
"""

from __future__ import annotations

from functools import cache
from unittest.mock import patch

from hypothesis import example, given, strategies as st

from dffix import api, fixer, memo
from dffix.config import ConfigError
from dffix.syntax import parser
from tests import parser_reference as ref
from tests.corpus import corpus_files, decode
from tests.test_fuzz import dockerfiles, fuzz_settings, mutated

texts = st.one_of(dockerfiles(), dockerfiles().flatmap(mutated)).map(decode)
# Small alphabets reach the corner cases: continuations with either escape, comment and
# blank lines inside them, CRLF and lone \r, a BOM, Go-only spaces, flags, JSON, heredocs.
soup = st.text(st.sampled_from("ab #\\`\t\r\n\x85\xa0\u3000\ufeff-=[]\"'<E"), max_size=40)
lines = st.lists(
    st.sampled_from(
        (
            "FROM a",
            "RUN a \\",
            "RUN a`",
            "# escape=`",
            "# syntax=x",
            "  # c",
            "",
            "  ",
            " \t",
            "\r",
            "b \\ ",
            "b`",
            "\\",
            "ENV a=1 b=2",
            "ENV a b",
            "LABEL x",
            'CMD ["a", "b"]',
            "COPY --from=a --chown=1 x y",
            "COPY <<EOF x",
            "RUN <<-EOF",
            "\tEOF",
            "EOF",
            "ONBUILD RUN a",
            "ONBUILD ONBUILD x",
            "HEALTHCHECK CMD a",
            "EXPOSE 1 2",
            "\ufeffFROM b",
            "run\u3000a",
            "ARG a='b c'",
        )
    ),
    max_size=12,
).flatmap(lambda ls: st.sampled_from(("\n", "\r\n")).map(lambda nl: nl.join(ls) + nl))


def same(a: object, b: object) -> None:
    """Assert a and b are equal and of the same types all the way down."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b), (a, b)
        for x, y in zip(a, b, strict=True):
            same(x, y)
    else:
        assert a == b


def check(text: str) -> None:
    same(parser.parse(text), ref.parse(text))


def test_corpus_parses_as_before() -> None:
    for path in corpus_files():
        check(decode(path.read_bytes()))


@cache
def fix_texts() -> list[str]:
    """Return every distinct text a fix of part of the corpus parses (safe and unsafe)."""
    seen: dict[str, None] = {}
    real = parser.parse

    def record(text: str, *earlier: object) -> object:
        seen.setdefault(text, None)
        return real(text, *earlier)  # type: ignore[arg-type]

    with patch.object(fixer, "parse", record), patch.object(api, "parse", record):
        for unsafe in (False, True):
            for path in corpus_files()[::4]:
                rules = api.rule_set_for(str(path), api.Overrides(unsafe_fixes=unsafe))
                assert not isinstance(rules, ConfigError)
                api.fix_text(decode(path.read_bytes()), rules, api.build_context(str(path)))
                memo.forget()
    return list(seen)


def test_fix_texts_parse_as_before() -> None:
    for text in fix_texts():
        check(text)


@fuzz_settings(500)
@given(st.one_of(texts, soup, lines))
@example("FROM a\nRUN b \\\n\n  # c\n  d\n")
@example("# escape=`\nFROM a\nRUN b `\n c\n")
@example("FROM a\r\nRUN b \\\r\n c\r\n")
@example("FROM a\nRUN <<EOF\nx\nEOF\n")
@example("FROM a\nONBUILD ONBUILD RUN x\n")
@example("FROM a\nONBU\u0131LD RUN <<EOF\nx\nEOF\n")  # dotless i: upper-cased it is ONBUILD, lower-cased not
@example("FROM a\nonbuild run <<EOF\nx\nEOF\n")
def test_generated_files_parse_as_before(text: str) -> None:
    check(text)
