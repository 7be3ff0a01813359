"""Lossless: `render(parse(text)) == text`, byte for byte, for every file we accept.

Checked over the real-world corpus and over `fixtures/roundtrip/`, hand-made files
holding the odd bytes real Dockerfiles have (CRLF, lone CR, BOM, tabs, no final
newline, escape directive, heredocs, comments inside continuations, ...). Those fixtures
are stored byte-exact (`.gitattributes`: `fixtures/** -text`), and the first test
below makes sure git did not normalise them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

from dffix.syntax import Dockerfile, Instruction, ParseError, parse, render
from tests.corpus import CORPUS, corpus_params, decode

ROUNDTRIP = Path(__file__).resolve().parents[1] / "fixtures" / "roundtrip"
ROUNDTRIP_FILES = sorted(ROUNDTRIP.glob("*.Dockerfile"))

# Corpus files BuildKit rejects too (tests/test_buildkit_agreement.py holds us to that).
EXPECTED_REJECTS = {
    "buildkit-parser-negative/empty_dockerfile": "no instructions",
    "buildkit-parser-negative/env_no_value": "ENV without a value",
    "buildkit-parser-negative/only_comments": "no instructions",
    "buildkit-parser-negative/shykes-nested-json": "JSON array of non-strings",
    "shipwright/99541471522c90ccb1994775404a834ca4f2b123": "template placeholder `<<UID>>` opens a heredoc",
}


def _fixture(name: str) -> bytes:
    return (ROUNDTRIP / f"{name}.Dockerfile").read_bytes()


def _has_bare_lf(data: bytes) -> bool:
    return any(i == 0 or data[i - 1 : i] != b"\r" for i in range(len(data)) if data[i : i + 1] == b"\n")


def _has_lone_cr(data: bytes) -> bool:
    return any(data[i + 1 : i + 2] != b"\n" for i in range(len(data)) if data[i : i + 1] == b"\r")


@pytest.mark.parametrize(
    ("name", "holds"),
    [
        pytest.param("crlf-endings", lambda d: b"\r\n" in d and not _has_bare_lf(d), id="CRLF only"),
        pytest.param("mixed-endings", lambda d: b"\r\n" in d and _has_bare_lf(d), id="mixed endings"),
        pytest.param("lone-cr", _has_lone_cr, id="lone CR"),
        pytest.param("utf8-bom", lambda d: d.startswith(b"\xef\xbb\xbf"), id="BOM"),
        pytest.param("no-final-newline", lambda d: not d.endswith(b"\n"), id="no final newline"),
        pytest.param("tabs", lambda d: b"\t" in d, id="tabs"),
        pytest.param("trailing-spaces", lambda d: b" \n" in d, id="trailing spaces"),
        pytest.param("heredoc-chomp-tabs", lambda d: b"\n\tEOF\n" in d, id="tab-indented terminator"),
        pytest.param("heredoc-crlf", lambda d: b"\r\nEOF\r\n" in d, id="CRLF heredoc"),
        pytest.param("backtick-escape", lambda d: d.startswith(b"# escape=`\r\n"), id="escape directive"),
        pytest.param("non-utf8-bytes", lambda d: _fails_utf8(d), id="non-UTF-8 bytes"),
        pytest.param("continuation-at-eof-no-newline", lambda d: d.endswith(b"\\"), id="escape at EOF"),
    ],
)
def test_fixture_bytes_survived_git(name: str, holds: Callable[[bytes], bool]) -> None:
    assert holds(_fixture(name)), f"{name}.Dockerfile lost its odd bytes (git line-ending conversion?)"


def _fails_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def assert_partition(df: Dockerfile) -> None:
    """Assert the items cover the text end to end, each starting where the last ended."""
    first = 1 if df.text.startswith("\ufeff") else 0
    pos = first
    for item in df.items:
        assert item.span.start == pos, f"gap or overlap at {pos}: {item}"
        assert item.span.end > item.span.start, f"empty item at {pos}"
        pos = item.span.end
    assert pos == len(df.text)


def assert_instruction_inside(df: Dockerfile, instr: Instruction) -> None:
    """Assert an instruction's parts lie in order inside its own span."""
    span = instr.span
    assert span.start <= instr.keyword_span.start < instr.keyword_span.end <= span.end
    assert df.text[instr.keyword_span.start : instr.keyword_span.end] == instr.keyword
    for flag in instr.flags:
        assert instr.keyword_span.end <= flag.span.start < flag.span.end <= instr.args_span.start
    assert instr.args_span.end <= instr.body_end <= span.end
    lines = instr.lines
    assert lines[0].start == span.start
    for before, after in itertools.pairwise(lines):
        assert before.eol == after.start
    for doc in instr.heredocs:
        assert instr.body_end <= doc.body.start <= doc.body.end == doc.terminator.start
        assert doc.terminator.end <= span.end
        assert df.text[doc.body.start : doc.body.end] == doc.content


def assert_lossless(data: bytes) -> Dockerfile:
    text = decode(data)
    df = parse(text)
    assert isinstance(df, Dockerfile), df
    rendered = render(df)
    assert rendered == text
    assert rendered.encode("utf-8", "surrogateescape") == data
    assert_partition(df)
    for instr in df.all_instructions:
        assert_instruction_inside(df, instr)
    return df


@pytest.mark.parametrize("path", [pytest.param(p, id=p.stem) for p in ROUNDTRIP_FILES])
def test_roundtrip_fixture(path: Path) -> None:
    assert_lossless(path.read_bytes())


def test_roundtrip_fixtures_exist() -> None:
    assert len(ROUNDTRIP_FILES) >= 40


@pytest.mark.parametrize("path", corpus_params())
def test_roundtrip_corpus(path: Path) -> None:
    data = path.read_bytes()
    case = str(path.relative_to(CORPUS).parent)
    if case in EXPECTED_REJECTS:
        assert isinstance(parse(decode(data)), ParseError), f"expected a ParseError: {EXPECTED_REJECTS[case]}"
        return
    assert_lossless(data)


@pytest.mark.parametrize(
    ("text", "first_item_start"),
    [
        pytest.param("\ufeffFROM a\n", 1, id="BOM is before the first item"),
        pytest.param("FROM a\n", 0, id="no BOM"),
        pytest.param("\n\nFROM a", 0, id="leading blank lines are items"),
    ],
)
def test_first_item_start(text: str, first_item_start: int) -> None:
    df = parse(text)
    assert isinstance(df, Dockerfile)
    assert df.items[0].span.start == first_item_start
    assert render(df) == text


def test_lone_cr_is_not_a_line_break() -> None:
    # BuildKit splits on \n only: `FROM alpine\rRUN ...` is one FROM instruction.
    df = assert_lossless(_fixture("lone-cr"))
    assert [i.kind for i in df.all_instructions] == ["FROM", "RUN", "LABEL"]
    # ... and FROM splits its words on whitespace, \r included.
    assert df.all_instructions[0].values[:3] == ("alpine", "RUN", "echo")
