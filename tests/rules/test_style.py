from __future__ import annotations

import pytest

from dffix.rules.style import (
    DeprecatedMaintainer,
    FromAsCaseMismatch,
    LegacyKeyValueFormat,
    MixedInstructionCase,
    double_quoted,
)
from tests.helpers import assert_fixes, assert_reports, assert_unchanged, fixed

# -- DF601 deprecated-maintainer -------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "MAINTAINER Jane <j@x>",
            'LABEL org.opencontainers.image.authors="Jane <j@x>"',
            id="name and email",
        ),
        pytest.param(
            "maintainer Jane",
            'label org.opencontainers.image.authors="Jane"',
            id="keeps lowercase keyword",
        ),
        pytest.param(
            'MAINTAINER "Jane Doe" <j@x>',
            'LABEL org.opencontainers.image.authors="\\"Jane Doe\\" <j@x>"',
            id="quotes kept literally and escaped",
        ),
        pytest.param(
            "MAINTAINER Jane $HOME ${X}",
            'LABEL org.opencontainers.image.authors="Jane \\$HOME \\${X}"',
            id="dollar escaped because LABEL expands variables",
        ),
        pytest.param(
            "MAINTAINER C:\\Users\\jane",
            'LABEL org.opencontainers.image.authors="C:\\Users\\jane"',
            id="backslash before an ordinary character stays",
        ),
        pytest.param(
            "MAINTAINER 若虚 <slpcat@qq.com>   ",
            'LABEL org.opencontainers.image.authors="若虚 <slpcat@qq.com>"   ',
            id="non-ascii kept and trailing spaces untouched",
        ),
        pytest.param(
            "MAINTAINER  Jane",
            'LABEL       org.opencontainers.image.authors="Jane"',
            id="an aligned column is kept",
        ),
        pytest.param(
            "MAINTAINER\tJane",
            'LABEL\torg.opencontainers.image.authors="Jane"',
            id="a tab is kept",
        ),
        pytest.param(
            "MAINTAINER a\nLABEL org.opencontainers.image.authors=b",
            'LABEL org.opencontainers.image.authors="a"\nLABEL org.opencontainers.image.authors=b',
            id="a later authors label wins either way",
        ),
    ],
)
def test_deprecated_maintainer_fixes(before: str, after: str) -> None:
    assert_fixes(DeprecatedMaintainer(), "FROM scratch\n" + before, "FROM scratch\n" + after)


def test_deprecated_maintainer_backtick_escape() -> None:
    before = '# escape=`\nFROM scratch\nMAINTAINER a\\b "c" $d'
    after = '# escape=`\nFROM scratch\nLABEL org.opencontainers.image.authors="a\\b `"c`" `$d"'
    assert_fixes(DeprecatedMaintainer(), before, after)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM scratch\nMAINTAINER a\\\\", id="escape at the end cannot be written the same way"),
        pytest.param('FROM scratch\nMAINTAINER a\\"b', id="escape before a quote"),
        pytest.param("FROM scratch\nMAINTAINER a\\$b", id="escape before a dollar"),
        pytest.param("FROM scratch\nMAINTAINER a \\\n  b", id="spans a continuation"),
        pytest.param("FROM scratch\nMAINTAINER a \\\n# note\n  b", id="comment inside continuation"),
        pytest.param(
            "FROM scratch\nLABEL org.opencontainers.image.authors=x\nMAINTAINER a",
            id="earlier authors label would be replaced",
        ),
        pytest.param("MAINTAINER a\nFROM scratch", id="before the first FROM"),
        pytest.param("FROM scratch\nMAINTAINER --x a", id="a flag has no place in a label"),
        pytest.param("FROM scratch\nMAINTAINER", id="no value"),
        pytest.param(
            "FROM scratch\n# hadolint ignore=DL4000\nMAINTAINER a", id="suppressed by hadolint code"
        ),
    ],
)
def test_deprecated_maintainer_unchanged(source: str) -> None:
    assert_unchanged(DeprecatedMaintainer(), source)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        pytest.param("FROM scratch\nMAINTAINER a \\\n  b", "it spans several lines", id="continuation"),
        pytest.param("MAINTAINER a\nFROM scratch", "it is not inside a stage", id="before FROM"),
        pytest.param("FROM scratch\nMAINTAINER a\\$b", "an escape character", id="escape"),
        pytest.param(
            "FROM scratch\nLABEL org.opencontainers.image.authors=x\nMAINTAINER a",
            "an earlier `LABEL` sets",
            id="earlier label",
        ),
        pytest.param(
            "FROM scratch\nMAINTAINER a\nMAINTAINER b \\\n  c",
            "a `MAINTAINER` spans several lines",
            id="one of several spans lines",
        ),
    ],
)
def test_deprecated_maintainer_says_why_there_is_no_fix(source: str, reason: str) -> None:
    messages = assert_reports(DeprecatedMaintainer(), source, fixable=False)
    assert all(m.startswith("`MAINTAINER` is deprecated; ") and f"no fix: {reason}" in m for m in messages)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "MAINTAINER A <a@x>\nMAINTAINER B <b@y>",
            'LABEL org.opencontainers.image.authors="A <a@x>, B <b@y>"',
            id="two in a row",
        ),
        pytest.param(
            "MAINTAINER A\nRUN x\n  MAINTAINER B\nCMD y",
            'LABEL org.opencontainers.image.authors="A, B"\nRUN x\nCMD y',
            id="apart and indented",
        ),
        pytest.param(
            "maintainer A\nmaintainer B\nmaintainer $C",
            'label org.opencontainers.image.authors="A, B, \\$C"',
            id="three, lowercase, dollar escaped",
        ),
        pytest.param(
            "MAINTAINER A\nFROM scratch AS two\nMAINTAINER B",
            'LABEL org.opencontainers.image.authors="A"\nFROM scratch AS two\n'
            'LABEL org.opencontainers.image.authors="B"',
            id="one per stage stays one label per stage",
        ),
    ],
)
def test_several_maintainers_of_a_stage_become_one_label(before: str, after: str) -> None:
    assert_fixes(DeprecatedMaintainer(), "FROM scratch\n" + before, "FROM scratch\n" + after, unsafe=True)


def test_several_maintainers_merge_only_with_unsafe_fixes() -> None:
    source = "FROM scratch\nMAINTAINER A\nMAINTAINER B\n"
    assert_unchanged(DeprecatedMaintainer(), source, unsafe=False)
    messages = assert_reports(DeprecatedMaintainer(), source, fixable=True)
    assert len(messages) == 2
    assert "held only the last (`B`)" in messages[0] and "naming all 2, is unsafe" in messages[0]
    assert "no fix here: the one on line 2 merges them all" in messages[1]


def test_several_maintainers_without_final_newline() -> None:
    before = "FROM scratch\r\nMAINTAINER A\r\nMAINTAINER B"
    after = 'FROM scratch\r\nLABEL org.opencontainers.image.authors="A, B"'
    assert fixed(DeprecatedMaintainer(), before, unsafe=True).text == after


@pytest.mark.parametrize(
    ("value", "escape", "expected"),
    [
        pytest.param("plain", "\\", '"plain"', id="plain"),
        pytest.param('a"b$c', "\\", '"a\\"b\\$c"', id="quote and dollar"),
        pytest.param("a\\b", "\\", '"a\\b"', id="lone backslash"),
        pytest.param("a\\", "\\", None, id="trailing backslash"),
        pytest.param("a\\\\b", "\\", None, id="double backslash differs between versions"),
        pytest.param("a`b", "`", '"a`b"', id="backtick escape before an ordinary char"),
        pytest.param('a\\"', "`", '"a\\`""', id="backslash is ordinary with backtick escape"),
    ],
)
def test_double_quoted(value: str, escape: str, expected: str | None) -> None:
    assert double_quoted(value, escape) == expected


# -- DF602 from-as-case-mismatch -------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("FROM node:22 as build", "FROM node:22 AS build", id="upper FROM lower as"),
        pytest.param("from node:22 AS build", "from node:22 as build", id="lower from upper AS"),
        pytest.param("FROM node:22 As build", "FROM node:22 AS build", id="mixed As"),
        pytest.param(
            "FROM --platform=$BUILDPLATFORM golang:1.22\tas  build",
            "FROM --platform=$BUILDPLATFORM golang:1.22\tAS  build",
            id="flags and odd spacing",
        ),
        pytest.param("FROM node:22 \\\n  as build", "FROM node:22 \\\n  AS build", id="continuation"),
    ],
)
def test_from_as_case_mismatch_fixes(before: str, after: str) -> None:
    assert_fixes(FromAsCaseMismatch(), before, after)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM node:22 AS build", id="matching upper"),
        pytest.param("from node:22 as build", id="matching lower"),
        pytest.param("From node:22 as build", id="mixed FROM is left to the casing rule"),
        pytest.param("FROM node:22", id="no stage name"),
        pytest.param("FROM node:22 is build", id="not AS: BuildKit rejects it, we leave it"),
    ],
)
def test_from_as_case_mismatch_unchanged(source: str) -> None:
    assert_unchanged(FromAsCaseMismatch(), source)


def test_from_as_case_mismatch_message() -> None:
    assert assert_reports(FromAsCaseMismatch(), "FROM a as b") == [
        "`as` and `FROM` keywords' casing do not match"
    ]


# -- DF603 mixed-instruction-case ------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("FROM a\nrun x\nCMD y", "FROM a\nRUN x\nCMD y", id="lowercase minority"),
        pytest.param("from a\nRUN x\ncmd y", "from a\nrun x\ncmd y", id="uppercase minority"),
        pytest.param("FROM a\nrun x", "FROM a\nRUN x", id="tie goes to upper"),
        pytest.param("FROM a\nRun x\nCmd y", "FROM a\nRUN x\nCMD y", id="mixed keywords do not vote"),
        pytest.param("from a\nrun x\nRun y", "from a\nrun x\nrun y", id="mixed keyword to lower majority"),
        pytest.param(
            "FROM a\nCOPY --chown=a:b x \\\n  y\nCopy z w",
            "FROM a\nCOPY --chown=a:b x \\\n  y\nCOPY z w",
            id="only the keyword changes",
        ),
    ],
)
def test_mixed_instruction_case_fixes(before: str, after: str) -> None:
    assert_fixes(MixedInstructionCase(), before, after)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM a\nRUN x", id="all upper"),
        pytest.param("from a\nrun x", id="all lower"),
        pytest.param("FROM a\nworkdir /x\nRUN y", id="WORKDIR is never rewritten"),
        pytest.param("FROM a\nonbuild run x\nRUN y", id="ONBUILD is never rewritten"),
        pytest.param("FROM a\nONBUILD run x\nRUN y", id="ONBUILD trigger is never rewritten"),
        pytest.param("FROM a\n# dffix: ignore=mixed-instruction-case\nrun y\nRUN z", id="suppressed by name"),
        pytest.param(
            "FROM a\n# hadolint ignore=ConsistentInstructionCasing\nrun y", id="suppressed by BuildKit name"
        ),
    ],
)
def test_mixed_instruction_case_unchanged(source: str) -> None:
    assert_unchanged(MixedInstructionCase(), source)


def test_mixed_instruction_case_reports_untouched_kinds_without_fix() -> None:
    messages = assert_reports(MixedInstructionCase(), "FROM a\nworkdir /x\nRUN y", fixable=False)
    assert messages == ["`workdir` should be uppercase, like most instructions in this file"]
    trigger = assert_reports(MixedInstructionCase(), "FROM a\nONBUILD run x\nRUN y", fixable=False)
    assert trigger == ["`run` should be uppercase, like most instructions in this file"]


def test_mixed_instruction_case_ignores_unknown_words() -> None:
    assert_unchanged(MixedInstructionCase(), "FROM a\nRUN x\n%%placeholder%% y")


# -- DF604 legacy-key-value-format ------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("ENV PYTHONUNBUFFERED 1", "ENV PYTHONUNBUFFERED=1", id="env single word"),
        pytest.param("LABEL version 1.0", "LABEL version=1.0", id="label single word"),
        pytest.param("env PATH /opt/bin:$PATH", "env PATH=/opt/bin:$PATH", id="variable expands the same"),
        pytest.param(
            'ENV GREETING "hello world"', 'ENV GREETING="hello world"', id="quoted value is one word"
        ),
        pytest.param("ENV A b\\ c", "ENV A=b\\ c", id="escaped space is one word"),
        pytest.param("ENV A   b", "ENV A=b", id="several spaces"),
        pytest.param("ENV A\tb", "ENV A=b", id="tab"),
        pytest.param("ENV A b=c", "ENV A=b=c", id="equals in the value"),
        pytest.param("ENV A bb\\\ncc", "ENV A=bb\\\ncc", id="value over a continuation"),
        pytest.param("ENV A \\\n    b", "ENV A=b", id="value on the next line"),
        pytest.param("ENV A \\\r\n\t\tb\r\n", "ENV A=b\r\n", id="value on the next line, CRLF"),
        pytest.param("LABEL a \\\n\n  b", "LABEL a=b", id="an empty line in the continuation"),
        pytest.param("LABEL com.example/v 1", "LABEL com.example/v=1", id="label key with dots and slash"),
        pytest.param("ENV JAVA_OPTS -Xms1m -Xmx1g", 'ENV JAVA_OPTS="-Xms1m -Xmx1g"', id="spaces get quoted"),
        pytest.param("ENV A b  $C d", 'ENV A="b  $C d"', id="variables and double spaces kept"),
        pytest.param("ENV A b \\\n  c", 'ENV A="b \\\n  c"', id="continuation inside the value"),
        pytest.param(
            "ENV DEPS \\\n\t\tautoconf \\\n\t\tre2c",
            'ENV DEPS="autoconf \\\n\t\tre2c"',
            id="a list on the lines after the key (php's PHPIZE_DEPS)",
        ),
        pytest.param(
            "ENV GPG_KEYS 39B6 E609 1198",
            'ENV GPG_KEYS="39B6 E609 1198"',
            id="several words on one line (php's GPG_KEYS)",
        ),
        pytest.param(
            "ENV URLS \\\n  a \\\n# not all mirrors\n  b",
            'ENV URLS="a \\\n# not all mirrors\n  b"',
            id="a comment line inside the value stays by its line (tomcat's ASC_URLS)",
        ),
        pytest.param(
            "ENV KEYS \\\n# Gerald\n  B215 \\\n# Mark\n  B3C4",
            '# Gerald\nENV KEYS="B215 \\\n# Mark\n  B3C4"',
            id="only the one before the first value line moves (gcc's GPG_KEYS, binnacle b043f7)",
        ),
        pytest.param(
            "  ENV A \\\n    # the value\n  b",
            "  # the value\n  ENV A=b",
            id="a comment between the key and the value moves above",
        ),
        pytest.param("ENV A 1\nENV B x y", 'ENV A=1\nENV B="x y"', id="every line in the file converts"),
    ],
)
def test_legacy_key_value_format_fixes(before: str, after: str) -> None:
    assert_fixes(LegacyKeyValueFormat(), "FROM scratch\n" + before, "FROM scratch\n" + after)


def test_legacy_key_value_format_all_or_none_in_safe_mode() -> None:
    # BuildKit still warns while one legacy line stays: converting the others waits for
    # --unsafe-fixes.
    before = 'FROM scratch\nENV A 1\nENV B x "y z"\n'
    assert_unchanged(LegacyKeyValueFormat(), before, unsafe=False)
    assert_fixes(LegacyKeyValueFormat(), before, 'FROM scratch\nENV A=1\nENV B x "y z"\n', unsafe=True)
    messages = assert_reports(LegacyKeyValueFormat(), before)
    assert messages[0].endswith(
        "; unsafe fix: line 3 stays legacy (no fix there), so BuildKit would still warn"
    )
    assert "; no fix: " in messages[1]


def test_legacy_key_value_format_onbuild_does_not_block_the_rest() -> None:
    assert_fixes(
        LegacyKeyValueFormat(), "FROM a\nONBUILD ENV A b\nENV C d e", 'FROM a\nONBUILD ENV A b\nENV C="d e"'
    )


_BUILDKIT_VARIANTS = [
    "ENV A b c",
    "ENV A b\t\tc  d",
    "ENV A $B ${C:-x} d",
    "ENV A b \\\n  c \\\n\td",
    "ENV A b \\\n# comment\n  c",
    "ENV A \\\n  # comment\n  b c",
    "ENV A b \\\n\n  c",
    "ENV A b   \\\n  c   ",
    "ENV A b\\\nc",
    "ENV A \\\n\tb \\\n\tc",
    "ENV A b=c d",
    "ENV A a#b c",
    "LABEL a b c",
    "LABEL a \\\n  b \\\n  c",
    "ENV A 'b c'",
    'ENV A "b c"',
    "ENV A b\\ c",
    "ENV A b 'c d'",
    'ENV A b \\\n  "c d"',
    "ENV A b c\r\nENV D e \\\r\n  f\r\n",
]


@pytest.mark.parametrize("source", _BUILDKIT_VARIANTS)
def test_legacy_key_value_format_buildkit_reads_the_same_value(source: str) -> None:
    # BuildKit's own parser (PyPI `dockerfile`) joins continued lines and drops comment
    # lines before it splits key and value; the lexer that expands the value afterwards
    # treats `"`, `'` and the escape character differently inside double quotes, and
    # nothing else. So the fix keeps the value when the parsed value is the same text,
    # or the same text in double quotes holding none of those three characters.
    buildkit = pytest.importorskip("dockerfile")
    before = "FROM scratch\n" + source + ("" if source.endswith("\n") else "\n")
    after = fixed(LegacyKeyValueFormat(), before, unsafe=True).text
    old = [c.value for c in buildkit.parse_string(before) if c.cmd.upper() in ("ENV", "LABEL")]
    new = [c.value for c in buildkit.parse_string(after) if c.cmd.upper() in ("ENV", "LABEL")]
    assert len(old) == len(new)
    for (key, value), (new_key, new_value) in zip(old, new, strict=True):
        assert key == new_key
        if (key, value) == (new_key, new_value):  # no fix: the same instruction
            continue
        assert new_value in (value, f'"{value}"')
        assert new_value == value or not set(value) & set("\"'\\")


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("ENV A=b", id="already key=value"),
        pytest.param("ENV A=b C=d", id="several pairs"),
        pytest.param("ARG A b", id="ARG has no legacy form"),
        pytest.param('ENV A b "c d"', id="spaces and quotes"),
        pytest.param("ENV A b\\ c d", id="spaces and an escape"),
        pytest.param("ENV A b 'c'", id="spaces and single quotes"),
        pytest.param('ENV "A" b', id="quoted key"),
        pytest.param("ENV $K v", id="variable key"),
        pytest.param("ONBUILD ENV A b", id="onbuild is never rewritten"),
    ],
)
def test_legacy_key_value_format_unchanged(source: str) -> None:
    assert_unchanged(LegacyKeyValueFormat(), "FROM scratch\n" + source)


@pytest.mark.parametrize(
    ("source", "why"),
    [
        pytest.param(
            'ENV A b "c d"',
            "the value has spaces and quotes or escapes, whose meaning would change inside new quotes",
            id="spaces and quotes",
        ),
        pytest.param('ENV "A" b', "the key is not a plain name", id="quoted key"),
        pytest.param("ONBUILD LABEL a b", "dffix leaves `ONBUILD` triggers as they are", id="onbuild"),
    ],
)
def test_legacy_key_value_format_reports_without_fix(source: str, why: str) -> None:
    [message] = assert_reports(LegacyKeyValueFormat(), "FROM scratch\n" + source, fixable=False)
    kind = "LABEL" if "LABEL" in source else "ENV"
    assert message == f"Legacy `{kind} key value` format; use `{kind} key=value`; no fix: {why}"


def test_legacy_key_value_format_backtick_escape() -> None:
    before = "# escape=`\nFROM scratch\nENV A c:\\x\nENV B c:\\x y"
    after = '# escape=`\nFROM scratch\nENV A=c:\\x\nENV B="c:\\x y"'
    assert_fixes(LegacyKeyValueFormat(), before, after)
