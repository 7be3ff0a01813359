from __future__ import annotations

import pytest

from dffix.edits import Applicability
from dffix.fixer import fix
from dffix.rules import ALL_RULES
from dffix.rules.layers import ConsecutiveRunInstructions
from dffix.syntax import ParseError
from tests.helpers import assert_fixes, assert_reports, assert_unchanged

# -- DF103 consecutive-run-instructions --------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("RUN a\nRUN b", "RUN a \\\n    && b", id="two one-line RUNs"),
        pytest.param(
            "RUN a\nRUN b\nRUN c\nRUN d", "RUN a \\\n    && b \\\n    && c \\\n    && d", id="a run of four"
        ),
        pytest.param(
            "RUN a;\nRUN b;", "RUN a \\\n    && b;", id="trailing semicolon of the first is dropped"
        ),
        pytest.param(
            "RUN a && \\\n    b\nRUN c",
            "RUN a && \\\n    b && \\\n    c",
            id="trailing && style of the first RUN",
        ),
        pytest.param(
            "RUN a \\\n  && b\nRUN c \\\n  && d",
            "RUN a \\\n  && b \\\n  && c \\\n  && d",
            id="leading && style and its indentation",
        ),
        pytest.param(
            "RUN a\nRUN b && \\\n\tc",
            "RUN a && \\\n\tb && \\\n\tc",
            id="style of the second RUN when the first is one line",
        ),
        pytest.param(
            "RUN x \\\n      && y\nCOPY . .\nRUN a\nRUN b",
            "RUN x \\\n      && y\nCOPY . .\nRUN a \\\n      && b",
            id="style of the file when both are one line",
        ),
        pytest.param("RUN a\n\nRUN b", "RUN a \\\n    && b", id="blank lines between go"),
        pytest.param(
            'RUN echo "a \\\n          b" > /f\nRUN c',
            'RUN echo "a \\\n          b" > /f \\\n    && c',
            id="no indent from a line inside a quoted string",
        ),
        pytest.param(
            'RUN echo "a \\\n&& b" > /f\nRUN c',
            'RUN echo "a \\\n&& b" > /f \\\n    && c',
            id="a string line starting with && is not the leading style",
        ),
        pytest.param(
            'RUN echo "a && \\\n b" > /f\nRUN c',
            'RUN echo "a && \\\n b" > /f \\\n    && c',
            id="a string ending a line with && is not the trailing style",
        ),
        pytest.param(
            "RUN echo $(cat \\\n  /f) && \\\n\tx\nRUN c",
            "RUN echo $(cat \\\n  /f) && \\\n\tx && \\\n\tc",
            id="a line inside a command substitution is skipped",
        ),
        pytest.param(
            'RUN echo "a \\\n  b"\nCOPY . .\nRUN x \\\n\t&& y\nCOPY . .\nRUN c\nRUN d',
            'RUN echo "a \\\n  b"\nCOPY . .\nRUN x \\\n\t&& y\nCOPY . .\nRUN c \\\n\t&& d',
            id="file style from the first RUN with a real continuation line",
        ),
        pytest.param(
            "ENV A=1 \\\n\tB=2\nRUN a\nRUN b",
            "ENV A=1 \\\n\tB=2\nRUN a \\\n\t&& b",
            id="no multi-line RUN: a tab when the file indents continuations with tabs",
        ),
        pytest.param(
            "ENV A=1 \\\n  B=2\nRUN a\nRUN b",
            "ENV A=1 \\\n  B=2\nRUN a \\\n    && b",
            id="no multi-line RUN: four spaces when the file indents with spaces",
        ),
        pytest.param(
            'RUN ["sh", "-c", \\\n  "x"]\nCOPY . .\nRUN c\nRUN d',
            'RUN ["sh", "-c", \\\n  "x"]\nCOPY . .\nRUN c \\\n    && d',
            id="an exec-form RUN does not give the file style",
        ),
        pytest.param(
            "RUN a\nRUN b # why",
            "RUN a \\\n    && b # why",
            id="comment at the end of the second RUN",
        ),
        pytest.param("RUN a | tee /log\nRUN b | c", "RUN a | tee /log \\\n    && b | c", id="pipelines"),
        pytest.param("RUN a || true\nRUN b", "RUN a || true \\\n    && b", id="first RUN ends in || true"),
        pytest.param("RUN a; b\nRUN c", "RUN a; b \\\n    && c", id="semicolons in the first RUN"),
        pytest.param("RUN a || exit 1\nRUN b", "RUN a || exit 1 \\\n    && b", id="guarded exit"),
        pytest.param(
            "RUN (cd /src && make)\nRUN b", "RUN (cd /src && make) \\\n    && b", id="cd in a subshell"
        ),
        pytest.param(
            "RUN (for f in a; do echo $f; done)\nRUN b",
            "RUN (for f in a; do echo $f; done) \\\n    && b",
            id="for loop in a subshell",
        ),
        pytest.param(
            "RUN echo $(for f in a; do echo $f; done)\nRUN b",
            "RUN echo $(for f in a; do echo $f; done) \\\n    && b",
            id="for loop in a command substitution",
        ),
        pytest.param(
            "RUN command -v curl\nRUN b", "RUN command -v curl \\\n    && b", id="command -v of a tool"
        ),
        pytest.param(
            "RUN if [ -f x ]; then rm x; fi\nRUN b",
            "RUN if [ -f x ]; then rm x; fi \\\n    && b",
            id="compound command in the first RUN",
        ),
        pytest.param(
            "RUN X=1 make\nRUN DEBIAN_FRONTEND=noninteractive b",
            "RUN X=1 make \\\n    && DEBIAN_FRONTEND=noninteractive b",
            id="prefix assignments are scoped to their command",
        ),
        pytest.param(
            "RUN --mount=type=cache,target=/c a\nRUN --mount=type=cache,target=/c b",
            "RUN --mount=type=cache,target=/c a \\\n    && b",
            id="identical flags stay on the first",
        ),
        pytest.param("run a\nrun b", "run a \\\n    && b", id="lowercase keywords"),
        pytest.param(
            'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN a\nRUN b',
            'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN a \\\n    && b',
            id="bash SHELL",
        ),
        pytest.param(
            "RUN a\nRUN b\nENV X=1\nRUN c\nRUN d",
            "RUN a \\\n    && b\nENV X=1\nRUN c \\\n    && d",
            id="two runs in one stage",
        ),
        pytest.param(
            "RUN a\nRUN cd /x\nRUN b\nRUN c",
            "RUN a \\\n    && cd /x\nRUN b \\\n    && c",
            id="a state change ends the run",
        ),
    ],
)
def test_consecutive_run_instructions_fixes(before: str, after: str) -> None:
    head = "FROM debian\n"
    assert_fixes(ConsecutiveRunInstructions(), head + before, head + after)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN a && b", id="one RUN"),
        pytest.param("RUN a\nENV X=1\nRUN b", id="ENV between"),
        pytest.param("RUN a\nLABEL x=1\nRUN b", id="any instruction between"),
        pytest.param("RUN a\nFROM debian\nRUN b", id="other stage"),
        pytest.param("RUN a\nONBUILD RUN b", id="ONBUILD RUN"),
        pytest.param('RUN a\nRUN ["b"]', id="exec form"),
        pytest.param("RUN --network=none a\nRUN b", id="flags differ"),
        pytest.param("RUN cd /x && a\nRUN b", id="cd"),
        pytest.param("RUN export X=1\nRUN b", id="export"),
        pytest.param("RUN set -eux; a\nRUN b", id="set"),
        pytest.param("RUN . /etc/profile && a\nRUN b", id="source"),
        pytest.param("RUN umask 077 && a\nRUN b", id="umask"),
        pytest.param("RUN trap 'rm -f /x' EXIT; a\nRUN b", id="trap"),
        pytest.param("RUN exec > /log; a\nRUN b", id="exec"),
        pytest.param("RUN X=1; a\nRUN b", id="bare assignment"),
        pytest.param("RUN a ${X:=1}\nRUN b", id="assignment in an expansion"),
        pytest.param("RUN echo $((i++))\nRUN b", id="arithmetic assignment"),
        pytest.param("RUN read x < /f\nRUN b", id="read"),
        pytest.param("RUN printf -v x '%s' 1\nRUN b", id="printf -v"),
        pytest.param("RUN command cd /x\nRUN b", id="cd through command"),
        pytest.param("RUN builtin cd /x\nRUN b", id="cd through builtin"),
        pytest.param("RUN builtin export X=1\nRUN b", id="export through builtin"),
        pytest.param("RUN command -p export X=1\nRUN b", id="export through command -p"),
        pytest.param("RUN pushd /x\nRUN b", id="pushd"),
        pytest.param("RUN popd\nRUN b", id="popd"),
        pytest.param("RUN dirs -c\nRUN b", id="dirs clears the directory stack"),
        pytest.param("RUN shopt -s nullglob\nRUN b", id="shopt"),
        pytest.param("RUN alias ll='ls -l'\nRUN b", id="alias"),
        pytest.param("RUN ulimit -n 1024\nRUN b", id="ulimit"),
        pytest.param("RUN unset X\nRUN b", id="unset"),
        pytest.param("RUN set -o pipefail\nRUN b | c", id="set -o pipefail"),
        pytest.param('RUN eval "$(x)"\nRUN b', id="eval"),
        pytest.param("RUN mapfile -t A < /f\nRUN b", id="mapfile"),
        pytest.param("RUN let i=1\nRUN b", id="let"),
        pytest.param("RUN getopts ab o\nRUN b", id="getopts"),
        pytest.param("RUN for f in a b; do echo $f; done\nRUN echo $f", id="for loop variable"),
        pytest.param("RUN a && { for f in a; do echo; done; }\nRUN b", id="for loop in a group"),
        pytest.param("RUN $SETUP /x\nRUN b", id="command named by a variable"),
        pytest.param("RUN builtin exit 0\nRUN b", id="exit through builtin"),
        pytest.param("RUN if true; then cd /x; fi\nRUN b", id="cd in an if"),
        pytest.param("RUN a && exit 0\nRUN b", id="unguarded exit"),
        pytest.param("RUN a || exit 0\nRUN b", id="exit 0 after a failure"),
        pytest.param("RUN sleep 9 & a\nRUN b", id="background job"),
        pytest.param("RUN a &\nRUN b", id="first RUN in the background"),
        pytest.param("RUN a # note\nRUN b", id="comment at the end of the first RUN"),
        pytest.param("RUN a\nRUN b; c", id="second RUN has a semicolon"),
        pytest.param("RUN a\nRUN b || c", id="second RUN has ||"),
        pytest.param("RUN a\nRUN b &", id="second RUN in the background"),
        pytest.param("RUN a\nRUN (b)", id="second RUN is a subshell"),
        pytest.param("RUN a\nRUN if x; then y; fi", id="second RUN is a compound"),
        pytest.param("RUN a\nRUN case x in y) z;; esac", id="second RUN unreadable"),
        pytest.param("RUN case x in y) z;; esac\nRUN b", id="first RUN unreadable"),
        pytest.param("RUN <<EOF\na\nEOF\nRUN b", id="heredoc first"),
        pytest.param("RUN a\nRUN <<EOF\nb\nEOF", id="heredoc second"),
        pytest.param("RUN a\n# then b\nRUN b", id="comment documents the second"),
        pytest.param("RUN a\n\n# section\n\nRUN b", id="comment between, apart from both"),
        pytest.param("RUN a\nRUN \\\n  # inner\n  b", id="comment before the second RUN's command"),
        pytest.param("RUN a\n# hadolint ignore=DL3008\nRUN b", id="lint directive above the second"),
        pytest.param("RUN a\n# dffix: ignore=DF102\nRUN b", id="dffix directive above the second"),
        pytest.param("RUN a \\\n  # hadolint ignore=SC2086\n  && b\nRUN c", id="directive inside the first"),
        pytest.param("RUN a\n# dffix: ignore=DF103\nRUN b", id="suppressed"),
        pytest.param("RUN a\n# hadolint ignore=DL3059\nRUN b", id="suppressed by the hadolint code"),
        pytest.param('SHELL ["pwsh", "-Command"]\nRUN a\nRUN b', id="non-POSIX SHELL"),
        pytest.param('RUN a\nSHELL ["/bin/bash", "-c"]\nRUN b', id="SHELL between"),
    ],
)
def test_consecutive_run_instructions_unchanged(source: str) -> None:
    assert_unchanged(ConsecutiveRunInstructions(), "FROM debian\n" + source)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN a\nRUN b", id="Windows image"),
        pytest.param("# escape=`\nFROM debian\nRUN a\nRUN b", id="backtick escape"),
    ],
)
def test_consecutive_run_instructions_windows_unchanged(source: str) -> None:
    assert_unchanged(ConsecutiveRunInstructions(), source)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        pytest.param("RUN cd /x && a\nRUN b", "the first `RUN` runs `cd`", id="state change"),
        pytest.param("RUN builtin cd /x\nRUN b", "the first `RUN` runs `cd`", id="builtin cd"),
        pytest.param("RUN for f in a; do :; done\nRUN b", "runs a `for` loop", id="loop variable"),
        pytest.param("RUN a\nRUN b; c", "the second `RUN` is not one `&&` chain", id="second not a chain"),
        pytest.param("RUN a # x\nRUN b", "the first `RUN` ends in a comment", id="comment"),
        pytest.param("RUN a\n# b\nRUN b", "a comment documents the second `RUN`", id="documented step"),
        pytest.param("RUN a \\\n  # dffix: ignore=DF102\n  && b\nRUN c", "is a directive", id="directive"),
        pytest.param("RUN a\nRUN <<EOF\nb\nEOF", "a heredoc script is not merged", id="heredoc"),
        pytest.param('SHELL ["pwsh", "-c"]\nRUN a\nRUN b', "is not a POSIX shell", id="shell"),
    ],
)
def test_consecutive_run_instructions_reports_why_not(source: str, reason: str) -> None:
    messages = assert_reports(ConsecutiveRunInstructions(), "FROM debian\n" + source, fixable=False)
    assert len(messages) == 1
    assert messages[0].startswith("Consecutive `RUN` instructions (lines ")
    assert reason in messages[0]


def test_consecutive_run_instructions_reports_each_joint_with_one_fix() -> None:
    from dffix.fixer import check
    from dffix.syntax import parse

    df = parse("FROM debian\nRUN a\nRUN b\nRUN c\n")
    assert not isinstance(df, ParseError)
    found = check(df, [ConsecutiveRunInstructions()])
    assert [v.message for v in found] == [
        "Consecutive `RUN` instructions (lines 2 and 3) could be one `RUN`",
        "Consecutive `RUN` instructions (lines 3 and 4) could be one `RUN`",
    ]
    assert found[0].fix == found[1].fix
    assert found[0].isolation == "stage:0"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "FROM debian\r\nRUN a\r\n\r\nRUN b\r\n",
            "FROM debian\r\nRUN a \\\r\n    && b\r\n",
            id="CRLF",
        ),
        pytest.param("FROM debian\nRUN a\nRUN b", "FROM debian\nRUN a \\\n    && b", id="no final newline"),
    ],
)
def test_consecutive_run_instructions_keeps_newlines(before: str, after: str) -> None:
    result = fix(before, [ConsecutiveRunInstructions()])
    assert not isinstance(result, ParseError)
    assert result.text == after


def test_consecutive_run_instructions_is_off_by_default() -> None:
    assert ConsecutiveRunInstructions in ALL_RULES
    assert not ConsecutiveRunInstructions.default_enabled


def test_consecutive_run_instructions_merges_a_long_run_in_one_pass() -> None:
    source = "FROM debian\n" + "".join(f"RUN step{i}\n" for i in range(25))
    result = fix(source, [ConsecutiveRunInstructions()], Applicability.SAFE)
    assert not isinstance(result, ParseError)
    assert not result.bugs
    assert result.text.count("RUN") == 1
    assert result.text.count("&& step") == 24
