"""The syntax layer's shortcuts give what the plain computation gives.

The parser takes shortcuts for speed (issue 14): one list per line field instead of an
object per line, a one-run offset map computed without a search, nodes built as tuples
without their keyword constructors, strips and flag scans skipped when the next
character cannot start them. Each test here computes the same value the slow, obvious
way, straight from the text, and compares, on generated files, mutations of them and
the corpus.
"""

from __future__ import annotations

from hypothesis import given, strategies as st

from dffix.syntax import (
    Dockerfile,
    Form,
    Instruction,
    LineKind,
    OffsetMap,
    Span,
    parse,
    parser as p,
    shell,
    words as w,
)
from tests.corpus import corpus_files, decode
from tests.test_fuzz import dockerfiles, fuzz_settings, mutated

GO_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000") | frozenset(
    chr(c) for c in range(0x2000, 0x200B)
)

texts = st.one_of(
    dockerfiles(),
    dockerfiles().flatmap(mutated),
).map(decode)
# Small alphabets reach the corner cases (a line of only `\r`, a BOM, Go-only spaces).
soup = st.text(st.sampled_from("ab #\\`\t\r\n\x85\xa0\u3000\ufeff-=[]\"'<E"), max_size=40)


def reference_lines(text: str, first: int) -> list[tuple[int, int, int, int]]:
    """Return (start, end, eol, left) per line: split on \\n, \\r and \\n trimmed, Go spaces skipped."""
    found = []
    pos = first
    while pos < len(text):
        nl = text.find("\n", pos)
        eol = len(text) if nl < 0 else nl + 1
        end = eol
        while end > pos and text[end - 1] in "\r\n":
            end -= 1
        left = pos
        while left < end and text[left] in GO_SPACE:
            left += 1
        found.append((pos, end, eol, left))
        pos = eol
    return found


def reference_to_source(offsets: OffsetMap, index: int) -> int:
    """Return the source offset of a logical index: the last run starting at or before it."""
    k = 0
    for i, start in enumerate(offsets.starts):
        if start <= index:
            k = i
    return offsets.sources[k] + index - offsets.starts[k]


def reference_span(offsets: OffsetMap, start: int, end: int) -> Span:
    if end <= start:
        at = reference_to_source(offsets, start)
        return Span(at, at)
    last = reference_to_source(offsets, end - 1) + 1 if end > 0 else reference_to_source(offsets, 0)
    return Span(reference_to_source(offsets, start), last)


def test_go_space_table_matches_words() -> None:
    assert frozenset(w.GO_SPACES) == w.GO_SPACE_SET == GO_SPACE


@fuzz_settings(300)
@given(st.one_of(texts, soup))
def test_lines_are_split_as_the_plain_loop_splits_them(text: str) -> None:
    first = 1 if text.startswith("\ufeff") else 0
    assert list(zip(*p._split_lines(text, first), strict=True)) == reference_lines(text, first)


def assert_offsets_agree(offsets: OffsetMap) -> None:
    # Every index near each run's edges (where the shortcuts could slip), a few others.
    near = {-1, offsets.length + 1, *range(0, offsets.length + 1, max(17, offsets.length // 16))}
    for start in (*offsets.starts, offsets.length):
        near.update(range(start - 2, start + 3))
    for index in near:
        assert offsets.to_source(index) == reference_to_source(offsets, index)
    sample = sorted(near)[:: max(1, len(near) // 24)]
    pairs = {(a, b) for a in sample for b in sample} | {(i, i + d) for i in near for d in (-1, 0, 1, 2)}
    for start, end in pairs:
        assert offsets.span(start, end) == reference_span(offsets, start, end)
        assert type(offsets.span(start, end)) is Span


@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 40)), min_size=1, max_size=4),
    st.integers(0, 3),
)
def test_offset_map_shortcut_agrees_with_the_search(runs: list[tuple[int, int]], first: int) -> None:
    # One run (every one-line instruction) takes the shortcut; more runs take the search.
    starts, sources, at = [], [], first
    for gap, source in runs:
        starts.append(at)
        sources.append(source)
        at += gap + 1
    assert_offsets_agree(OffsetMap(tuple(starts), tuple(sources), at))


def assert_tree_is_plain(df: Dockerfile) -> None:
    """Every node equals the node built by its keyword constructor, field by field."""
    text = df.text
    lines = reference_lines(text, 1 if text.startswith("\ufeff") else 0)
    by_start = {line[0]: line for line in lines}
    for instr in df.all_instructions:
        keyword_at = 0
        for node in (instr, instr.inner) if instr.inner else (instr,):
            while node.line[keyword_at : keyword_at + 1] in GO_SPACE:
                keyword_at += 1
            keyword_end = keyword_at + len(node.keyword)
            assert node.keyword_span == reference_span(node.offsets, keyword_at, keyword_end)
            args_end = node.args_start + len(node.args)
            assert node.args_span == reference_span(node.offsets, node.args_start, args_end)
            keyword_at = node.args_start  # an ONBUILD's instruction starts with its arguments
            assert type(node) is Instruction
            assert Instruction(**node._asdict()) == node
            assert node.kind == node.keyword.upper()
            assert node.args == node.line[node.args_start : node.args_start + len(node.args)]
            for flag in node.flags:
                assert type(flag.span) is Span
            assert_offsets_agree(node.offsets)
        first = next(k for k, line in enumerate(lines) if line[0] <= instr.span.start < line[2])
        assert instr.start_line == first + 1
        for line in instr.lines:
            _, end, eol, left = by_start[line.start]
            assert (line.end, line.eol) == (end, eol)
            kind = LineKind.CODE
            if line is not instr.lines[0] and left < end and text[left] == "#":
                kind = LineKind.COMMENT
            elif line is not instr.lines[0] and left == end:
                kind = LineKind.BLANK
            assert line.kind is kind


@fuzz_settings(300)
@given(texts)
def test_generated_trees_are_plain(text: str) -> None:
    df = parse(text)
    if isinstance(df, Dockerfile):
        assert_tree_is_plain(df)


def test_corpus_trees_are_plain() -> None:
    for path in corpus_files()[::5]:
        df = parse(decode(path.read_bytes()))
        if isinstance(df, Dockerfile):  # the corpus holds files BuildKit rejects too
            assert_tree_is_plain(df)


def test_enum_hash_agrees_with_equality() -> None:
    # Form and LineKind hash by identity (C code): equal members hash equal, and the trees
    # the rules cache on hash the same when they are equal.
    assert {Form.SHELL: 1}[Form("shell")] == 1
    assert {LineKind.CODE, LineKind.CODE, LineKind.BLANK} == {LineKind.BLANK, LineKind.CODE}
    text = 'FROM a\nRUN a \\\n  # c\n\n  b\nONBUILD RUN ["x"]\n'
    one, two = parse(text), parse(text)
    assert isinstance(one, Dockerfile) and isinstance(two, Dockerfile)
    assert one == two and one is not two
    assert hash(one.items) == hash(two.items)
    assert {one.all_instructions[1]: "run"}[two.all_instructions[1]] == "run"


@given(
    st.one_of(
        st.text(st.sampled_from("ab =\t\r\n\x85\xa0\u3000\u2000\x1c"), max_size=30),  # the shortcut
        st.text(st.sampled_from("ab =\t\r\n\x85\xa0\u3000\u2000\x1c\\`'\""), max_size=30),
    ),
    st.sampled_from("\\`"),
)
def test_words_without_quotes_split_as_the_loop_reads_them(rest: str, escape: str) -> None:
    assert w.parse_words(rest, escape) == w._parse_words_loop(rest, escape)


@given(st.text(st.sampled_from("ab $=\\'\"`"), max_size=20))
def test_words_without_quotes_are_unquoted_as_the_loop_does(word: str) -> None:
    assert shell.unquote(word) == shell._unquote_loop(word)
