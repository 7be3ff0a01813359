"""The tree's offsets, line numbers, directives and parse errors.

Rules build edits from these spans, so every span must cover exactly the source text
it names, on CRLF files and across continuation lines too.
"""

from __future__ import annotations

import re

import pytest

from dffix.syntax import Dockerfile, Form, Instruction, LineKind, ParseError, Span, parse


def parsed(text: str) -> Dockerfile:
    df = parse(text)
    assert isinstance(df, Dockerfile), df
    return df


def at(df: Dockerfile, span: Span) -> str:
    return df.text[span.start : span.end]


def nth(text: str, index: int) -> tuple[Dockerfile, Instruction]:
    df = parsed(text)
    return df, df.all_instructions[index]


# -- keyword, flags and arguments ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "keyword", "flags", "args"),
    [
        pytest.param("FROM a\nRUN echo hi\n", "RUN", [], "echo hi", id="plain"),
        pytest.param("FROM a\r\nRUN echo hi\r\n", "RUN", [], "echo hi", id="CRLF: no \\r in args"),
        pytest.param("FROM a\n  run\techo hi  \n", "run", [], "echo hi", id="indent, tab, trailing spaces"),
        pytest.param(
            "FROM a\nRUN --mount=type=cache,target=/c --network=none make\n",
            "RUN",
            ["--mount=type=cache,target=/c", "--network=none"],
            "make",
            id="flags",
        ),
        pytest.param(
            "FROM a\nRUN --mount=\"type=cache,target=/c\" --network='none' make\n",
            "RUN",
            ['--mount="type=cache,target=/c"', "--network='none'"],
            "make",
            id="quoted flags: span keeps the quotes",
        ),
        pytest.param(
            "FROM a\r\nRUN --mount=type=cache,target=/x \\\r\n"
            "    --network=none \\\r\n    echo hi \\\r\n  && bye\r\n",
            "RUN",
            ["--mount=type=cache,target=/x", "--network=none"],
            "echo hi \\\r\n  && bye",
            id="CRLF continuations between flags and args",
        ),
        pytest.param(
            "FROM a\nRUN \\\n# comment\n\n  apt-get update\n",
            "RUN",
            [],
            "apt-get update",
            id="args after comment and blank lines in a continuation",
        ),
        pytest.param("FROM a\nCOPY --link   a b\n", "COPY", ["--link"], "a b", id="bare flag"),
        pytest.param('FROM a\nCMD ["sh", "-c"]\n', "CMD", [], '["sh", "-c"]', id="json"),
        pytest.param("FROM a\nUSER\n", "USER", [], "", id="no arguments"),
        pytest.param("FROM a\nRUN -- --not-a-flag\n", "RUN", [], "--not-a-flag", id="`--` ends flags"),
        pytest.param(
            "FROM --platform=$BUILDPLATFORM golang AS build\n",
            "FROM",
            ["--platform=$BUILDPLATFORM"],
            "golang AS build",
            id="FROM flag",
        ),
    ],
)
def test_spans_cover_their_text(text: str, keyword: str, flags: list[str], args: str) -> None:
    df = parsed(text)
    instr = df.all_instructions[-1]
    assert at(df, instr.keyword_span) == keyword
    assert [at(df, f.span) for f in instr.flags] == flags
    assert at(df, instr.args_span) == args


def test_flag_text_is_what_buildkit_reports() -> None:
    _, instr = nth("FROM a\nRUN --mount=\"type=cache,target=/c\" --network='none' --link make\n", 1)
    assert [(f.name, f.value) for f in instr.flags] == [
        ("mount", "type=cache,target=/c"),
        ("network", "none"),
        ("link", None),
    ]
    assert instr.flag("network") is instr.flags[1]
    assert instr.flag("chown") is None


def test_instruction_span_and_lines() -> None:
    text = "FROM a\r\n\r\nRUN a \\\r\n# c\r\n\r\n  b\r\nCMD x"
    df, run = nth(text, 1)
    assert at(df, run.span) == "RUN a \\\r\n# c\r\n\r\n  b\r\n"
    assert (run.start_line, run.end_line) == (3, 6)
    assert [line.kind for line in run.lines] == [
        LineKind.CODE,
        LineKind.COMMENT,
        LineKind.BLANK,
        LineKind.CODE,
    ]
    assert [at(df, Span(line.start, line.end)) for line in run.lines] == ["RUN a \\", "# c", "", "  b"]
    first = run.lines[0]
    assert first.cont is not None and df.text[first.cont] == "\\"
    assert run.lines[-1].cont is None
    assert run.line == "RUN a   b"
    cmd = df.all_instructions[2]
    assert at(df, cmd.span) == "CMD x"
    assert (cmd.start_line, cmd.end_line) == (7, 7)
    assert cmd.lines[0].eol == cmd.lines[0].end == len(text)


def test_crlf_file_newline() -> None:
    assert parsed("FROM a\r\nRUN b\r\n").newline == "\r\n"
    assert parsed("FROM a\nRUN b\r\n").newline == "\n"


# -- the offset map of a logical line -----------------------------------------

CONTINUED = (
    "FROM debian\r\n"
    "RUN apt-get update \\\r\n"  # line 2
    "# dropped comment\r\n"  # line 3
    "    && apt-get install -y \\\r\n"  # line 4
    "\r\n"  # line 5
    "       curl git \\\r\n"  # line 6
    "    && rm -rf /var/lib/apt/lists/*\r\n"  # line 7
)


@pytest.mark.parametrize(
    ("word", "line", "col"),
    [
        pytest.param("apt-get update", 2, 5, id="first line"),
        pytest.param("&& apt-get install", 4, 5, id="after a comment line"),
        pytest.param("curl git", 6, 8, id="after a blank line"),
        pytest.param("/var/lib/apt/lists/*", 7, 15, id="last line"),
    ],
)
def test_offset_map_points_to_source_lines(word: str, line: int, col: int) -> None:
    df, run = nth(CONTINUED, 1)
    start = run.line.index(word)
    span = run.offsets.span(start, start + len(word))
    assert at(df, span) == word
    assert df.line_col(span.start) == (line, col)


def test_every_logical_word_maps_back_to_itself() -> None:
    df, run = nth(CONTINUED, 1)
    for m in re.finditer(r"\S+", run.line):
        assert at(df, run.offsets.span(m.start(), m.end())) == m.group()


def test_offset_map_range_across_a_continuation() -> None:
    df, run = nth(CONTINUED, 1)
    start = run.line.index("update")
    end = run.line.index("install") + len("install")
    assert at(df, run.offsets.span(start, end)) == (
        "update \\\r\n# dropped comment\r\n    && apt-get install"
    )


def test_offset_map_end_stays_on_its_line() -> None:
    # A range ending at the end of one run must not jump to the start of the next.
    df, run = nth("FROM a\nRUN echo a\\\n  b\n", 1)
    end = run.line.index("a") + 1
    assert run.line == "RUN echo a  b"
    assert run.offsets.end_to_source(end) == df.text.index("a\\") + 1
    assert run.offsets.to_source(end) == df.text.index("  b")
    assert run.offsets.to_source(run.offsets.length) == len(df.text) - 1


# -- heredocs -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "FROM a\nRUN <<EOF\necho hi\nEOF\n",
            [("EOF", False, True, 0, "echo hi\n", "EOF")],
            id="basic",
        ),
        pytest.param(
            "FROM a\r\nRUN <<EOF\r\necho hi\r\nEOF\r\n",
            [("EOF", False, True, 0, "echo hi\r\n", "EOF")],
            id="CRLF: terminator without \\r",
        ),
        pytest.param(
            "FROM a\nRUN <<-EOF\n\techo hi\n\tEOF\n",
            [("EOF", True, True, 0, "\techo hi\n", "\tEOF")],
            id="<<- with tab-indented terminator",
        ),
        pytest.param(
            "FROM a\nRUN <<'EOF'\n$HOME\nEOF\n",
            [("EOF", False, False, 0, "$HOME\n", "EOF")],
            id="single-quoted: no expansion",
        ),
        pytest.param(
            'FROM a\nRUN <<"EOF"\n$HOME\nEOF\n',
            [("EOF", False, False, 0, "$HOME\n", "EOF")],
            id="double-quoted: no expansion",
        ),
        pytest.param(
            "FROM a\nRUN <<A cat && 3<<B cat\na1\nA\nb1\nb2\nB\n",
            [("A", False, True, 0, "a1\n", "A"), ("B", False, True, 3, "b1\nb2\n", "B")],
            id="two heredocs, second with fd",
        ),
        pytest.param(
            "FROM a\nRUN --mount=type=cache,target=/c \\\n    <<EOF sh\nls\nEOF\n",
            [("EOF", False, True, 0, "ls\n", "EOF")],
            id="after a continuation",
        ),
        pytest.param(
            "FROM a\nCOPY <<EOF /etc/motd\nhello\n\nEOF\n",
            [("EOF", False, True, 0, "hello\n\n", "EOF")],
            id="COPY heredoc with a blank body line",
        ),
        pytest.param("FROM a\nRUN <<EOF\nEOF", [("EOF", False, True, 0, "", "EOF")], id="empty body, EOF"),
        pytest.param(
            'FROM a\nRUN cat <<"A B"\nx\nA B\n',
            [("A B", False, False, 0, "x\n", "A B")],
            id="a quoted space belongs to the name (found by fuzzing against BuildKit)",
        ),
        pytest.param(
            'FROM a\nRUN cat <<EOF"echo hi"\nx\nEOFecho hi\n',
            [("EOFecho hi", False, False, 0, "x\n", "EOFecho hi")],
            id="quotes inside the name",
        ),
        pytest.param(
            "FROM a\nRUN cat <<A\\ B\nx\nA B\n",
            [("A B", False, True, 0, "x\n", "A B")],
            id="an escaped space belongs to the name",
        ),
    ],
)
def test_heredoc_spans(text: str, expected: list[tuple[str, bool, bool, int, str, str]]) -> None:
    df = parsed(text)
    instr = df.all_instructions[-1]
    got = [(h.name, h.chomp, h.expand, h.fd, at(df, h.body), at(df, h.terminator)) for h in instr.heredocs]
    assert got == expected
    assert all(h.content == at(df, h.body) for h in instr.heredocs)
    assert instr.span.end == len(text)
    assert instr.end_line == text.count("\n") + (0 if text.endswith("\n") else 1)


def test_heredoc_body_is_not_parsed_as_instructions() -> None:
    df = parsed("FROM a\nRUN <<EOF\nFROM b\nRUN c \\\nEOF\nCMD d\n")
    assert [i.kind for i in df.all_instructions] == ["FROM", "RUN", "CMD"]
    assert df.all_instructions[1].body_end == df.text.index("FROM b")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('FROM a\nRUN ["cat", "<<EOF"]\nEOF\n', id="JSON form has no heredoc"),
        pytest.param("FROM a\nCMD <<EOF\nEOF\n", id="CMD has no heredoc"),
    ],
)
def test_no_heredoc(text: str) -> None:
    df = parsed(text)
    assert all(not i.heredocs for i in df.all_instructions)
    assert len(df.all_instructions) == 3  # the `EOF` line is an instruction of its own


# -- ONBUILD ------------------------------------------------------------------


def test_onbuild_inner_instruction() -> None:
    df, instr = nth("FROM a\nONBUILD  RUN --mount=type=cache,target=/c  echo hi\n", 1)
    assert instr.kind == "ONBUILD"
    assert instr.flags == ()
    assert at(df, instr.args_span) == "RUN --mount=type=cache,target=/c  echo hi"
    inner = instr.inner
    assert inner is not None
    assert inner.kind == "RUN"
    assert at(df, inner.keyword_span) == "RUN"
    assert [at(df, f.span) for f in inner.flags] == ["--mount=type=cache,target=/c"]
    assert at(df, inner.args_span) == "echo hi"
    assert inner.values == instr.values == ("echo hi",)
    assert list(df.instructions("RUN")) == []  # only top-level instructions


def test_onbuild_inner_json_and_heredoc() -> None:
    df = parsed('FROM a\nonbuild cmd ["x"]\nONBUILD COPY <<EOF /f\nhi\nEOF\n')
    cmd, copy = df.all_instructions[1:]
    assert cmd.inner is not None and cmd.inner.keyword == "cmd" and cmd.form is Form.JSON
    assert copy.inner is not None and at(df, copy.heredocs[0].body) == "hi\n"


# -- directives and the escape character --------------------------------------


def test_directives_at_top() -> None:
    df = parsed("# syntax=docker/dockerfile:1\n  #  ESCAPE = `  \n# check=error=true\nFROM a\n")
    assert [(d.name, d.value) for d in df.directives] == [
        ("syntax", "docker/dockerfile:1"),
        ("escape", "`"),
        ("check", "error=true"),
    ]
    assert df.escape == "`"
    assert at(df, df.directives[1].span) == "  #  ESCAPE = `  \n"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("FROM a\n# escape=`\nRUN b \\\n c\n", id="after an instruction"),
        pytest.param("# hello\n# escape=`\nFROM a\nRUN b \\\n c\n", id="after a plain comment"),
        pytest.param("# syntax=x\n\n# escape=`\nFROM a\nRUN b \\\n c\n", id="after a blank line"),
        pytest.param("# foo=bar\n# escape=`\nFROM a\nRUN b \\\n c\n", id="after an unknown directive"),
    ],
)
def test_directives_only_at_top(text: str) -> None:
    df = parsed(text)
    assert all(d.name != "escape" for d in df.directives)
    assert df.escape == "\\"
    assert df.all_instructions[-1].line == "RUN b  c"  # the backslash still continues


def test_escape_directive_changes_continuation() -> None:
    text = "# escape=`\nFROM windows\nRUN dir C:\\ `\n    /s\nCOPY a\\ C:\\app\\\nRUN x \\\n"
    df = parsed(text)
    assert df.escape == "`"
    run, copy, last = df.all_instructions[1:]
    assert run.line == "RUN dir C:\\     /s"
    assert (run.start_line, run.end_line) == (3, 4)
    assert run.lines[0].cont == text.index("`\n    /s")
    assert copy.values == ("a\\", "C:\\app\\")  # a trailing backslash is not a continuation
    assert (last.start_line, last.end_line) == (6, 6)


def test_escaped_escape_is_not_a_continuation() -> None:
    df = parsed("FROM a\nRUN echo a\\\\\nRUN b\n")
    assert len(df.all_instructions) == 3


# -- parse errors -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        pytest.param("FROM a\nRUN <<EOF\necho\n", 2, "unterminated heredoc", id="unterminated heredoc"),
        pytest.param(
            "FROM a\nRUN b \\\n  && <<EOF cat\nEOF2\n",
            2,
            "unterminated heredoc",
            id="unterminated heredoc after a continuation",
        ),
        pytest.param("# escape=x\nFROM a\n", 1, "invalid escape token", id="invalid escape value"),
        pytest.param("# syntax=a\n# escape=`\n# escape=`\nFROM a\n", 3, "only one escape", id="duplicate"),
        pytest.param("# syntax=a\n# SYNTAX=b\nFROM a\n", 2, "only one syntax", id="duplicate, any case"),
        pytest.param("FROM a\n\nENV PATH\n", 3, "ENV must have two arguments", id="ENV without value"),
        pytest.param("FROM a\nLABEL x\n", 2, "LABEL must have two arguments", id="LABEL without value"),
        pytest.param("FROM a\nENV a=b c\n", 2, "can't find = in 'c'", id="ENV a=b c"),
        pytest.param("FROM a\nENV \\\n  a=b \\\n  c\n", 2, "can't find =", id="ENV a=b c over lines"),
        pytest.param('FROM a\nCMD ["a", 1]\n', 2, "strings only", id="JSON array with a number"),
        pytest.param('FROM a\nRUN [["a"]]\n', 2, "strings only", id="nested JSON array"),
        pytest.param("", 1, "no instructions", id="empty file"),
        pytest.param("\n \n", 1, "no instructions", id="only blank lines"),
        pytest.param("# just\n\n# comments\n", 1, "no instructions", id="only comments"),
        pytest.param("# syntax=x\n", 1, "no instructions", id="only a directive"),
    ],
)
def test_parse_error(text: str, line: int, message: str) -> None:
    error = parse(text)
    assert isinstance(error, ParseError)
    assert error.line == line
    assert message in error.message


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("FROM a\nENV PATH /usr/bin\n", id="old ENV form"),
        pytest.param("FROM a\nCMD [not json]\n", id="invalid JSON is shell form"),
        pytest.param("FROM a\nRUN <<EOF\nEOF\n", id="empty heredoc"),
        pytest.param("FROM a\n# escape=x\n", id="bad escape after the top is a comment"),
        pytest.param("FROM a\nENV a=b \\\n# c\n  d=e\n", id="comment inside ENV continuation"),
    ],
)
def test_parses(text: str) -> None:
    parsed(text)


def test_line_col() -> None:
    df = parsed("FROM a\r\nRUN b \\\r\n  c\nCMD d")
    assert df.line_col(0) == (1, 1)
    assert df.line_col(df.text.index("c\n")) == (3, 3)
    assert df.line_col(df.text.index("CMD")) == (4, 1)
    assert df.line_col(len(df.text)) == (4, 6)


def test_line_col_ignores_the_bom() -> None:
    df = parsed("\ufeffFROM a\n")
    assert df.line_col(df.all_instructions[0].keyword_span.start) == (1, 1)
