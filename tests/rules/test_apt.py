from __future__ import annotations

import pytest

from dffix.edits import Applicability
from dffix.fixer import check, fix
from dffix.rules.apt import AptGetSplitAcrossRuns, AptListsNotRemoved
from dffix.syntax import ParseError, parse
from tests.helpers import assert_fixes, assert_reports, assert_unchanged, snippet

# -- DF101 apt-get-split-across-runs ---------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "RUN apt-get update\nRUN apt-get install -y netcat",
            "RUN apt-get update && apt-get install -y netcat",
            id="update then install on one line",
        ),
        pytest.param(
            "RUN apt update\nRUN apt install -y curl",
            "RUN apt update && apt install -y curl",
            id="apt instead of apt-get",
        ),
        pytest.param(
            "RUN apt-get update -qq\nRUN apt-get -y --no-install-recommends install curl",
            "RUN apt-get update -qq && apt-get -y --no-install-recommends install curl",
            id="options before and after the subcommand",
        ),
        pytest.param(
            "RUN apt-get -o Acquire::Retries=3 update > /dev/null\nRUN apt-get install -y curl",
            "RUN apt-get -o Acquire::Retries=3 update > /dev/null && apt-get install -y curl",
            id="update with an option value and a redirect",
        ),
        pytest.param(
            "RUN apt-get update\nRUN apt-get install -y \\\n    curl \\\n    git",
            "RUN apt-get update && apt-get install -y \\\n    curl \\\n    git",
            id="multi-line install keeps its lines",
        ),
        pytest.param(
            "RUN echo 'deb http://x/ y main' > /etc/apt/sources.list.d/x.list \\\n"
            "    && apt-get update\nRUN apt-get install -y x",
            "RUN echo 'deb http://x/ y main' > /etc/apt/sources.list.d/x.list \\\n"
            "    && apt-get update \\\n    && apt-get install -y x",
            id="first RUN ends its && chain with the update: the install is a new line of it",
        ),
        pytest.param(
            "RUN apt-get update;\nRUN apt-get install -y x",
            "RUN apt-get update && apt-get install -y x",
            id="trailing semicolon of the update is dropped",
        ),
        pytest.param(
            "RUN apt-get update\nRUN apt-get upgrade -y",
            "RUN apt-get update && apt-get upgrade -y",
            id="update followed by upgrade",
        ),
        pytest.param(
            "RUN apt-get update\nRUN DEBIAN_FRONTEND=noninteractive apt-get install -y tzdata",
            "RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y tzdata",
            id="prefix assignment on the install",
        ),
        pytest.param(
            "RUN DEBIAN_FRONTEND=noninteractive apt-get update\nRUN apt-get install -y x",
            "RUN DEBIAN_FRONTEND=noninteractive apt-get update && apt-get install -y x",
            id="prefix assignment on the update is scoped to it",
        ),
        pytest.param(
            "RUN apt-get update\nRUN apt-get install -y x | tee /log && echo ok # done",
            "RUN apt-get update && apt-get install -y x | tee /log && echo ok # done",
            id="install with pipeline and comment",
        ),
        pytest.param(
            "RUN apt-get update\n# install the tools\n\n# really\nRUN apt-get install -y x",
            "# install the tools\n# really\nRUN apt-get update && apt-get install -y x",
            id="comments between move above the merged RUN",
        ),
        pytest.param(
            "RUN apt-get update\nRUN \\\n    # the tools\n    apt-get install -y x",
            "# the tools\nRUN apt-get update && apt-get install -y x",
            id="comment line before the install arguments moves above",
        ),
        pytest.param(
            "RUN apt-get update\nRUN apt-get install -y \\\n    # web\n    curl",
            "RUN apt-get update && apt-get install -y \\\n    # web\n    curl",
            id="comment line inside the install stays in place",
        ),
        pytest.param(
            "RUN --mount=type=cache,target=/var/cache/apt apt-get update\n"
            "RUN --mount=type=cache,target=/var/cache/apt apt-get install -y x",
            "RUN --mount=type=cache,target=/var/cache/apt apt-get update && apt-get install -y x",
            id="identical flags stay flags",
        ),
        pytest.param(
            "RUN --network=host --mount=type=cache,target=/var/cache/apt \\\n    apt-get update\n"
            "RUN --mount=type=cache,target=/var/cache/apt --network=host \\\n    apt-get install -y x",
            "RUN --network=host --mount=type=cache,target=/var/cache/apt \\\n"
            "    apt-get update && apt-get install -y x",
            id="same flags in another order",
        ),
        pytest.param(
            "RUN apt-get update\nLABEL maintainer=me\nEXPOSE 80\nRUN apt-get install -y x\nCMD x",
            "RUN apt-get update && apt-get install -y x\nLABEL maintainer=me\nEXPOSE 80\nCMD x",
            id="only metadata between: the install moves up",
        ),
        pytest.param(
            "RUN apt-get update\n\nEXPOSE 80\n\n# tools\nRUN apt-get install -y x\n\nCMD x",
            "# tools\nRUN apt-get update && apt-get install -y x\n\nEXPOSE 80\n\nCMD x",
            id="non-adjacent merge leaves no double blank line",
        ),
        pytest.param(
            "RUN apt-get update\nRUN apt-get install -y a\nRUN apt-get install -y b",
            "RUN apt-get update && apt-get install -y a\nRUN apt-get install -y b",
            id="only the RUN right after the update merges",
        ),
        pytest.param(
            'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN apt-get update\nRUN apt-get install -y x',
            'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN apt-get update && apt-get install -y x',
            id="bash SHELL before both",
        ),
        pytest.param(
            "FROM debian AS a\nRUN apt-get update\nRUN apt-get install -y a\n"
            "FROM debian\nRUN apt-get update\nRUN apt-get install -y b",
            "FROM debian AS a\nRUN apt-get update && apt-get install -y a\n"
            "FROM debian\nRUN apt-get update && apt-get install -y b",
            id="each stage",
        ),
        pytest.param(
            "run apt-get update\nrun apt-get install -y x",
            "run apt-get update && apt-get install -y x",
            id="lowercase keywords",
        ),
        pytest.param(
            "RUN apt-get update\nRUN sudo apt-get install -y x",
            "RUN apt-get update && sudo apt-get install -y x",
            id="install through sudo",
        ),
    ],
)
def test_apt_get_split_across_runs_fixes(before: str, after: str) -> None:
    head = "" if before.startswith("FROM") else "FROM debian\n"
    assert_fixes(AptGetSplitAcrossRuns(), head + before, head + after)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN apt-get update && apt-get install -y x", id="already one RUN"),
        pytest.param("RUN apt-get install -y x", id="no update at all"),
        pytest.param("RUN apt-get update\nRUN pip install x", id="second RUN does not use apt"),
        pytest.param(
            "RUN apt-get update\nRUN apt-get update && apt-get install -y x", id="second RUN updates"
        ),
        pytest.param("RUN apt-get update\nRUN echo 'apt-get install x'", id="apt-get only in a string"),
        pytest.param("RUN apt-get update\nENV A=1\nRUN apt-get install -y x", id="ENV between"),
        pytest.param("RUN apt-get update\nARG V\nRUN apt-get install -y x=$V", id="ARG between"),
        pytest.param("RUN apt-get update\nCOPY a.deb /\nRUN apt-get install -y /a.deb", id="COPY between"),
        pytest.param("RUN apt-get update\nADD a.deb /\nRUN apt-get install -y /a.deb", id="ADD between"),
        pytest.param("RUN apt-get update\nWORKDIR /x\nRUN apt-get install -y ./a.deb", id="WORKDIR between"),
        pytest.param("RUN apt-get update\nUSER app\nRUN apt-get install -y x", id="USER between"),
        pytest.param("RUN apt-get update\nVOLUME /x\nRUN apt-get install -y x", id="VOLUME between"),
        pytest.param("RUN apt-get update\nRUN echo hi\nRUN apt-get install -y x", id="another RUN between"),
        pytest.param(
            'RUN apt-get update\nSHELL ["/bin/bash", "-c"]\nRUN apt-get install -y x', id="SHELL between"
        ),
        pytest.param(
            'SHELL ["pwsh", "-Command"]\nRUN apt-get update\nRUN apt-get install -y x', id="non-POSIX SHELL"
        ),
        pytest.param('RUN apt-get update\nRUN ["apt-get", "install", "-y", "x"]', id="exec-form install"),
        pytest.param('RUN ["apt-get", "update"]\nRUN apt-get install -y x', id="exec-form update"),
        pytest.param(
            "RUN apt-get update\nRUN --mount=type=cache,target=/var/cache/apt apt-get install -y x",
            id="flags differ",
        ),
        pytest.param(
            "RUN apt-get update\nRUN --network=none apt-get install -y x", id="network flag differs"
        ),
        pytest.param(
            "RUN cd /tmp && apt-get update\nRUN apt-get install -y ./x.deb", id="cd in the update RUN"
        ),
        pytest.param(
            "RUN export DEBIAN_FRONTEND=noninteractive && apt-get update\nRUN apt-get install -y x",
            id="export in the update RUN",
        ),
        pytest.param("RUN set -e; apt-get update\nRUN apt-get install -y x", id="set in the update RUN"),
        pytest.param("RUN . /etc/os-release; apt-get update\nRUN apt-get install -y x", id="source"),
        pytest.param("RUN umask 077 && apt-get update\nRUN apt-get install -y x", id="umask"),
        pytest.param("RUN ulimit -n 1024 && apt-get update\nRUN apt-get install -y x", id="ulimit"),
        pytest.param("RUN shopt -s extglob; apt-get update\nRUN apt-get install -y x", id="shopt"),
        pytest.param("RUN alias ag=apt-get; apt-get update\nRUN apt-get install -y x", id="alias"),
        pytest.param("RUN trap 'rm -f /x' EXIT; apt-get update\nRUN apt-get install -y x", id="trap"),
        pytest.param("RUN exec 2>&1; apt-get update\nRUN apt-get install -y x", id="exec"),
        pytest.param("RUN X=1; apt-get update\nRUN apt-get install -y x", id="variable assignment"),
        pytest.param(
            "RUN builtin cd /tmp && apt-get update\nRUN apt-get install -y ./x.deb", id="builtin cd"
        ),
        pytest.param(
            "RUN command cd /tmp && apt-get update\nRUN apt-get install -y ./x.deb", id="command cd"
        ),
        pytest.param("RUN pushd /tmp && apt-get update\nRUN apt-get install -y ./x.deb", id="pushd"),
        pytest.param(
            "RUN builtin export V=1 && apt-get update\nRUN apt-get install -y x=$V", id="builtin export"
        ),
        pytest.param("RUN read V < /v && apt-get update\nRUN apt-get install -y x=$V", id="read"),
        pytest.param("RUN mapfile -t P < /p && apt-get update\nRUN apt-get install -y $P", id="mapfile"),
        pytest.param("RUN let N=1 && apt-get update\nRUN apt-get install -y x$N", id="let"),
        pytest.param("RUN printf -v V 1 && apt-get update\nRUN apt-get install -y x=$V", id="printf -v"),
        pytest.param(
            "RUN true ${V:=1} && apt-get update\nRUN apt-get install -y x=$V", id="assigning expansion"
        ),
        pytest.param("RUN $SETUP /x && apt-get update\nRUN apt-get install -y x", id="command in a variable"),
        pytest.param("RUN sleep 9 & apt-get update\nRUN apt-get install -y x", id="background job"),
        pytest.param("RUN apt-get update # lists\nRUN apt-get install -y x", id="comment after the update"),
        pytest.param("RUN apt-get update &\nRUN apt-get install -y x", id="update in the background"),
        pytest.param(
            "RUN apt-get update && apt-get install -y a\nRUN apt-get install -y b", id="update not last"
        ),
        pytest.param("RUN apt-get update || true\nRUN apt-get install -y x", id="update not last command"),
        pytest.param("RUN if true; then apt-get update; fi\nRUN apt-get install -y x", id="update in if"),
        pytest.param("RUN apt-get update\nRUN apt-get install -y a; echo done", id="install then semicolon"),
        pytest.param("RUN apt-get update\nRUN apt-get install -y a || true", id="install or true"),
        pytest.param("RUN apt-get update\nRUN apt-get install -y a &", id="install in the background"),
        pytest.param("RUN apt-get update\nRUN (apt-get install -y a)", id="install in a subshell"),
        pytest.param(
            "RUN apt-get update\nRUN apt-get install -y a <<EOF\ny\nEOF", id="heredoc in the install"
        ),
        pytest.param("RUN <<EOF\napt-get update\nEOF\nRUN apt-get install -y x", id="heredoc update RUN"),
        pytest.param("RUN apt-get update\nONBUILD RUN apt-get install -y x", id="ONBUILD is not looked at"),
        pytest.param("RUN apt-get update\nFROM debian\nRUN apt-get install -y x", id="other stage"),
        pytest.param(
            "RUN apt-get update\n# dffix: ignore=DF101\nRUN apt-get install -y x", id="suppressed by code"
        ),
    ],
)
def test_apt_get_split_across_runs_unchanged(source: str) -> None:
    assert_unchanged(AptGetSplitAcrossRuns(), "FROM debian\n" + source)


@pytest.mark.parametrize(
    ("source", "why"),
    [
        pytest.param(
            "RUN apt-get update\nENV A=1\nRUN apt-get install -y x",
            "`ENV` on line 3 between them may change what the install sees",
            id="ENV between",
        ),
        pytest.param(
            "RUN apt-get update\nRUN echo hi\nRUN apt-get install -y x",
            "the `RUN` on line 3 runs between them",
            id="RUN between",
        ),
        pytest.param(
            "RUN apt-get update && apt-get install -y a\nRUN apt-get install -y b",
            "the update `RUN` does not end with a plain `apt-get update`",
            id="update not last",
        ),
        pytest.param(
            "RUN cd /tmp && apt-get update\nRUN apt-get install -y ./x.deb",
            "the update `RUN` runs `cd`, which would change what the install sees",
            id="state change",
        ),
        pytest.param(
            "RUN builtin cd /tmp && apt-get update\nRUN apt-get install -y ./x.deb",
            "the update `RUN` runs `cd`",
            id="builtin cd is cd",
        ),
        pytest.param(
            "RUN read V < /v && apt-get update\nRUN apt-get install -y x=$V",
            "the update `RUN` runs `read`",
            id="read sets a variable",
        ),
        pytest.param(
            'RUN apt-get update\nRUN ["apt-get", "install", "-y", "x"]',
            "the `RUN` on line 3 is in exec (JSON) form",
            id="exec-form install",
        ),
        pytest.param(
            "RUN apt-get update\nRUN apt-get install -y a || true",
            "the install `RUN` is not one `&&` chain, so a failed update might not stop it",
            id="install or true",
        ),
        pytest.param(
            'SHELL ["pwsh", "-c"]\nRUN apt-get update\nRUN apt-get install -y x',
            "the `SHELL` in force is not a POSIX shell",
            id="not a POSIX shell",
        ),
    ],
)
def test_apt_get_split_across_runs_reports_without_fix(source: str, why: str) -> None:
    [message] = assert_reports(AptGetSplitAcrossRuns(), "FROM debian\n" + source, fixable=False)
    head, _, reason = message.partition("; no fix: ")
    assert head.startswith("`apt-get install` relies on `apt-get update` from an earlier `RUN` (line ")
    assert why in reason


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "FROM debian\nRUN apt-get update\nRUN apt-get install -y x",
            "FROM debian\nRUN apt-get update && apt-get install -y x",
            id="adjacent",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get update\nEXPOSE 80\nRUN apt-get install -y x",
            "FROM debian\nRUN apt-get update && apt-get install -y x\nEXPOSE 80",
            id="non-adjacent",
        ),
        pytest.param(
            "FROM debian\r\nRUN apt-get update\r\nEXPOSE 80\r\n\r\nRUN apt-get install -y x",
            "FROM debian\r\nRUN apt-get update && apt-get install -y x\r\nEXPOSE 80",
            id="non-adjacent after a blank line, CRLF",
        ),
    ],
)
def test_apt_get_split_across_runs_keeps_missing_final_newline(before: str, after: str) -> None:
    result = fix(before, [AptGetSplitAcrossRuns()])
    assert not isinstance(result, ParseError)
    assert result.text == after


def test_apt_get_split_across_runs_backtick_escape_and_crlf() -> None:
    before = "# escape=`\r\nFROM debian\r\nRUN apt-get update\r\nRUN apt-get install -y `\r\n    curl\r\n"
    after = "# escape=`\r\nFROM debian\r\nRUN apt-get update && apt-get install -y `\r\n    curl\r\n"
    result = fix(before, [AptGetSplitAcrossRuns()])
    assert not isinstance(result, ParseError)
    assert result.text == after


def test_a_moved_comment_does_not_copy_a_lone_continuation_line() -> None:
    before = "FROM debian\n\\\nRUN apt-get update\n# tools\nRUN apt-get install -y curl\n"
    result = fix(before, [AptGetSplitAcrossRuns()])
    assert not isinstance(result, ParseError)
    assert result.text == "FROM debian\n# tools\n\\\nRUN apt-get update && apt-get install -y curl\n"


def test_many_split_pairs_in_one_stage_settle_in_one_pass() -> None:
    """Independent pairs are fixed together (MAX_PASSES is 10; this stage has 15 pairs)."""
    pairs = "".join(f"RUN apt-get update\nRUN apt-get install -y pkg{i}\nENV N={i}\n" for i in range(15))
    result = fix("FROM debian\n" + pairs, [AptGetSplitAcrossRuns()])
    assert not isinstance(result, ParseError)
    assert not result.bugs
    assert len(result.applied) == 15
    expected = "".join(f"RUN apt-get update && apt-get install -y pkg{i}\nENV N={i}\n" for i in range(15))
    assert result.text == "FROM debian\n" + expected


def test_a_chain_of_pairs_sharing_a_run_is_fixed_one_link_per_pass() -> None:
    # B installs and updates again: A+B and B+C share B, so they never go in one pass.
    before = (
        "FROM debian\nRUN apt-get update\nRUN apt-get install -y a && apt-get update\n"
        "RUN apt-get install -y c\n"
    )
    df = parse(before)
    assert not isinstance(df, ParseError)
    found = check(df, [AptGetSplitAcrossRuns()])
    assert len(found) == 2 and found[0].isolation == found[1].isolation
    result = fix(before, [AptGetSplitAcrossRuns()])
    assert not isinstance(result, ParseError)
    assert result.text == (
        "FROM debian\nRUN apt-get update && apt-get install -y a && apt-get update && apt-get install -y c\n"
    )


# -- DF102 apt-lists-not-removed -------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "RUN apt-get update && apt-get install -y curl",
            "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*",
            id="one line",
        ),
        pytest.param(
            "RUN apt install -y curl",
            "RUN apt install -y curl && rm -rf /var/lib/apt/lists/*",
            id="apt install",
        ),
        pytest.param(
            "RUN apt-get update && apt-get upgrade -y",
            "RUN apt-get update && apt-get upgrade -y && rm -rf /var/lib/apt/lists/*",
            id="upgrade",
        ),
        pytest.param(
            "RUN apt-get update && apt-get install -y curl # the client",
            "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/* # the client",
            id="before an inline comment",
        ),
        pytest.param(
            "RUN apt-get update; apt-get install -y curl;",
            "RUN apt-get update; apt-get install -y curl && rm -rf /var/lib/apt/lists/*;",
            id="before a trailing semicolon",
        ),
        pytest.param(
            "RUN apt-get update && apt-get install -y \\\n    curl \\\n    git",
            "RUN apt-get update && apt-get install -y \\\n    curl \\\n    git \\\n"
            "    && rm -rf /var/lib/apt/lists/*",
            id="new continuation line",
        ),
        pytest.param(
            "RUN apt-get update \\\n    && apt-get install -y \\\n        curl \\\n        git",
            "RUN apt-get update \\\n    && apt-get install -y \\\n        curl \\\n        git \\\n"
            "    && rm -rf /var/lib/apt/lists/*",
            id="indented like the leading && lines",
        ),
        pytest.param(
            "RUN apt-get update && \\\n    apt-get install -y \\\n      curl \\\n      git",
            "RUN apt-get update && \\\n    apt-get install -y \\\n      curl \\\n      git && \\\n"
            "    rm -rf /var/lib/apt/lists/*",
            id="trailing && style",
        ),
        pytest.param(
            "RUN set -eux; \\\n\tapt-get update; \\\n\tapt-get install -y curl",
            "RUN set -eux; \\\n\tapt-get update; \\\n\tapt-get install -y curl && \\\n"
            "\trm -rf /var/lib/apt/lists/*",
            id="semicolon style with tabs",
        ),
        pytest.param(
            "RUN apt-get update \\\n    && apt-get install -y curl # the client",
            "RUN apt-get update \\\n"
            "    && apt-get install -y curl && rm -rf /var/lib/apt/lists/* # the client",
            id="multi-line with comment on the last line",
        ),
        pytest.param(
            'RUN apt-get install -y x && echo "a \\\n   b"',
            'RUN apt-get install -y x && echo "a \\\n   b" && rm -rf /var/lib/apt/lists/*',
            id="only continued in a string: on the last line",
        ),
        pytest.param(
            'RUN apt-get update && \\\n    apt-get install -y x && \\\n    echo "a && \\\n b"',
            'RUN apt-get update && \\\n    apt-get install -y x && \\\n    echo "a && \\\n b" && \\\n'
            "    rm -rf /var/lib/apt/lists/*",
            id="indent from a real continuation line, not a string's",
        ),
        pytest.param(
            'RUN apt-get update \\\n  && apt-get install -y x \\\n  && echo "a \\\n&& b"',
            'RUN apt-get update \\\n  && apt-get install -y x \\\n  && echo "a \\\n&& b" \\\n'
            "  && rm -rf /var/lib/apt/lists/*",
            id="a string line starting with && gives no indent",
        ),
        pytest.param(
            "RUN apt-get update && apt-get install -y curl \\\n# trailing comment line",
            "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/* \\\n"
            "# trailing comment line",
            id="before a continuation into a comment line",
        ),
        pytest.param(
            "RUN apt-get update && apt-get install -y curl # note \\\n    && echo dead",
            "RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/* # note \\\n"
            "    && echo dead",
            id="comment swallows the next line",
        ),
        pytest.param(
            'RUN if [ -n "$X" ]; then apt-get update && apt-get install -y x; fi',
            'RUN if [ -n "$X" ]; then apt-get update && apt-get install -y x; fi'
            " && rm -rf /var/lib/apt/lists/*",
            id="after fi",
        ),
        pytest.param(
            "RUN (apt-get update && apt-get install -y x)",
            "RUN (apt-get update && apt-get install -y x) && rm -rf /var/lib/apt/lists/*",
            id="after a subshell",
        ),
        pytest.param(
            "RUN apt-get install -y x || exit 1",
            "RUN apt-get install -y x || exit 1 && rm -rf /var/lib/apt/lists/*",
            id="guarded exit",
        ),
        pytest.param(
            "RUN --mount=type=cache,target=/var/cache/apt apt-get update && apt-get install -y x",
            "RUN --mount=type=cache,target=/var/cache/apt apt-get update && apt-get install -y x"
            " && rm -rf /var/lib/apt/lists/*",
            id="cache mount of another dir",
        ),
        pytest.param(
            "RUN rm -rf /var/lib/apt/lists/* && apt-get update && apt-get install -y x",
            "RUN rm -rf /var/lib/apt/lists/* && apt-get update && apt-get install -y x"
            " && rm -rf /var/lib/apt/lists/*",
            id="rm before the update does not count",
        ),
        pytest.param(
            "RUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/* && apt-get update",
            "RUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/* && apt-get update"
            " && rm -rf /var/lib/apt/lists/*",
            id="an update after the rm fetches the lists again",
        ),
        pytest.param(
            "RUN apt-get update && apt-get install -y x && apt-get clean",
            "RUN apt-get update && apt-get install -y x && apt-get clean && rm -rf /var/lib/apt/lists/*",
            id="apt-get clean does not remove the lists",
        ),
        pytest.param(
            "RUN <<EOF\nset -eux\napt-get update\napt-get install -y curl\nEOF",
            "RUN <<EOF\nset -eux\napt-get update\napt-get install -y curl\nrm -rf /var/lib/apt/lists/*\nEOF",
            id="heredoc script with set -e",
        ),
        pytest.param(
            "RUN <<-'EOT'\n\t#!/bin/bash\n\tset -o errexit\n\tapt-get update\n\tapt-get install -y \\\n"
            "\t  curl\n\tEOT",
            "RUN <<-'EOT'\n\t#!/bin/bash\n\tset -o errexit\n\tapt-get update\n\tapt-get install -y \\\n"
            "\t  curl\n\trm -rf /var/lib/apt/lists/*\n\tEOT",
            id="heredoc with tabs and a continued line",
        ),
        pytest.param(
            "FROM debian AS base\nRUN apt-get update && apt-get install -y x\nFROM base\nCMD x",
            "FROM debian AS base\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*\n"
            "FROM base\nCMD x",
            id="stage used as a base of the final one",
        ),
        pytest.param(
            "FROM debian AS dev\nRUN apt-get update && apt-get install -y x\nFROM debian\nCMD x",
            "FROM debian AS dev\nRUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*\n"
            "FROM debian\nCMD x",
            id="unreferenced stage may be a build target",
        ),
        pytest.param(
            "RUN apt-get update && apt-get install -y x\nRUN apt-get update && apt-get install -y y",
            "RUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*\n"
            "RUN apt-get update && apt-get install -y y && rm -rf /var/lib/apt/lists/*",
            id="later RUN refreshes the lists itself",
        ),
        pytest.param(
            "RUN sudo apt-get update && sudo -E apt-get install -y x",
            "RUN sudo apt-get update && sudo -E apt-get install -y x && sudo rm -rf /var/lib/apt/lists/*",
            id="sudo install gets a sudo cleanup",
        ),
        pytest.param(
            "FROM debian AS base\nRUN apt-get update && apt-get install -y x\n"
            "FROM base\nRUN apt-get install -y y",
            "FROM debian AS base\nRUN apt-get update && apt-get install -y x\n"
            "FROM base\nRUN apt-get install -y y && rm -rf /var/lib/apt/lists/*",
            id="only the last user of the lists when a child stage still needs them",
        ),
    ],
)
def test_apt_lists_not_removed_fixes(before: str, after: str) -> None:
    head = "" if before.startswith("FROM") else "FROM debian\n"
    assert_fixes(AptListsNotRemoved(), head + before, head + after)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            "RUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/*", id="already removed"
        ),
        pytest.param(
            "RUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists", id="dir removed"
        ),
        pytest.param(
            "RUN apt-get update && apt-get install -y x && rm -rf /var/lib/apt/lists/* && echo ok",
            id="rm after the install, commands after it",
        ),
        pytest.param(
            "RUN apt-get update && apt-get install -y x && rm -fr /tmp/* /var/lib/apt/lists/*_*",
            id="rm of some list files",
        ),
        pytest.param(
            "RUN apt-get update && apt-get install -y x \\\n    && find /var/lib/apt/lists -delete", id="find"
        ),
        pytest.param(
            "RUN --mount=type=cache,target=/var/lib/apt/lists apt-get update && apt-get install -y x",
            id="lists dir is a cache mount",
        ),
        pytest.param(
            "RUN --mount=type=cache,target=/var/lib/apt,sharing=locked \\\n"
            "    apt-get update && apt-get install -y x",
            id="parent dir is a cache mount",
        ),
        pytest.param(
            "RUN --mount=type=tmpfs,target=/var/lib/apt/lists/ apt-get update && apt-get install -y x",
            id="lists dir is a tmpfs mount",
        ),
        pytest.param(
            "RUN sudo apt-get install -y x && sudo rm -rf /var/lib/apt/lists/*", id="removed through sudo"
        ),
        pytest.param(
            "RUN apt-get update && apt-get install -y x && apt-get dist-clean", id="apt-get dist-clean"
        ),
        pytest.param("RUN apt-get update", id="update only"),
        pytest.param("RUN pip install x", id="no apt"),
        pytest.param("RUN echo apt-get install x", id="apt-get as an argument"),
        pytest.param(
            "RUN apt-get update && apt-get install -y x\n"
            "RUN apt-get install -y y && rm -rf /var/lib/apt/lists/*",
            id="later RUN still needs the lists",
        ),
        pytest.param(
            "RUN apt-get update && apt-get install -y x\nONBUILD RUN apt-get install -y y", id="ONBUILD"
        ),
        pytest.param("RUN apt-get update && apt-get install -y x &", id="trailing background"),
        pytest.param("RUN apt-get update && apt-get install -y x; exit 0", id="unconditional exit"),
        pytest.param(
            "RUN apt-get update && apt-get install -y x; builtin exit 0", id="unconditional builtin exit"
        ),
        pytest.param('RUN ["apt-get", "install", "-y", "x"]', id="exec form"),
        pytest.param(
            "RUN apt-get install -y x && case $A in a) echo;; esac", id="line the reader gives up on"
        ),
        pytest.param(
            "RUN apt-get update && apt-get install -y x && cat > /f <<EOF\nhi\nEOF",
            id="heredoc after the command",
        ),
        pytest.param("RUN <<EOF\napt-get update\napt-get install -y curl\nEOF", id="heredoc without set -e"),
        pytest.param(
            "RUN <<EOF\nset -e\napt-get install -y curl\nset +e\nfalse\nEOF", id="heredoc turning set -e off"
        ),
        pytest.param("RUN <<EOF\n#!/usr/bin/python3\nimport os\nEOF", id="heredoc python script"),
        pytest.param("RUN bash <<EOF\nset -e\napt-get install -y curl\nEOF", id="heredoc fed to a command"),
        pytest.param(
            "RUN <<EOF\nset -e\nif true; then\n  apt-get install -y curl\nfi\nEOF",
            id="heredoc with a compound",
        ),
        pytest.param('SHELL ["pwsh", "-Command"]\nRUN apt-get install -y x', id="non-POSIX SHELL"),
        pytest.param(
            "FROM debian AS build\nRUN apt-get update && apt-get install -y gcc\n"
            "FROM debian\nCOPY --from=build /out /out",
            id="builder stage only copied from",
        ),
        pytest.param(
            "# hadolint ignore=DL3009\nRUN apt-get update && apt-get install -y x", id="hadolint alias"
        ),
    ],
)
def test_apt_lists_not_removed_unchanged(source: str) -> None:
    head = "" if source.startswith("FROM") else "FROM debian\n"
    assert_unchanged(AptListsNotRemoved(), head + source)


@pytest.mark.parametrize(
    ("source", "why"),
    [
        pytest.param(
            "RUN apt-get update && apt-get install -y x &",
            "the `RUN` ends with a background job (`&`)",
            id="trailing background",
        ),
        pytest.param(
            "RUN apt-get install -y x; exit 0",
            "an `exit` or `exec` ends the shell before the cleanup could run",
            id="unconditional exit",
        ),
        pytest.param(
            'RUN ["apt-get", "install", "-y", "x"]', "the `RUN` is in exec (JSON) form", id="exec form"
        ),
        pytest.param(
            "RUN <<EOF\napt-get update\napt-get install -y curl\nEOF",
            "a heredoc gets the cleanup only as the whole `RUN` (`RUN <<EOF`), a plain `sh` script",
            id="heredoc without set -e",
        ),
        pytest.param(
            "RUN apt-get install -y x && case $A in a) echo;; esac",
            "dffix cannot read the commands of the `RUN`",
            id="unreadable line",
        ),
        pytest.param(
            'SHELL ["pwsh", "-Command"]\nRUN apt-get install -y x',
            "the `SHELL` in force is not a POSIX shell",
            id="non-POSIX SHELL",
        ),
    ],
)
def test_apt_lists_not_removed_reports_without_fix(source: str, why: str) -> None:
    messages = assert_reports(AptListsNotRemoved(), "FROM debian\n" + source, fixable=False)
    [message] = messages
    assert message.startswith(f"apt lists not removed in the `RUN` that installs packages; no fix: {why}")


@pytest.mark.parametrize(
    ("later", "why"),
    [
        pytest.param("RUN apt-get install -y y", "still uses them (`apt-get install`)", id="plain install"),
        pytest.param(
            "RUN mk-build-deps -i -r -t 'apt-get -y' debian/control",
            "still uses them (`mk-build-deps`)",
            id="mk-build-deps -i installs through apt-get",
        ),
        pytest.param("RUN mk-build-deps hello", "(`mk-build-deps`)", id="mk-build-deps of a package name"),
        pytest.param("RUN gdebi -n /tmp/y.deb", "still uses them (`gdebi`)", id="gdebi"),
        pytest.param("RUN apt-cache policy y", "still uses them (`apt-cache`)", id="apt-cache"),
        pytest.param("RUN aptitude install -y y", "(`aptitude install`)", id="aptitude"),
        pytest.param("RUN apt-get source y", "(`apt-get source`)", id="apt-get source"),
        pytest.param("RUN apt-get build-dep -y y", "(`apt-get build-dep`)", id="apt-get build-dep"),
        pytest.param("RUN apt-get download y", "(`apt-get download`)", id="apt-get download"),
        pytest.param("RUN apt-file search bin/ls", "(`apt-file`)", id="apt-file reads Contents lists"),
        pytest.param("RUN apt-fast install -y y", "(`apt-fast install`)", id="apt-fast"),
        pytest.param(
            "RUN add-apt-repository -y ppa:a/b && apt-get install -y y",
            "(`apt-get install`)",
            id="add-apt-repository is not an update",
        ),
        pytest.param("RUN echo $(apt-cache policy y)", "(`apt-cache`)", id="in a command substitution"),
        pytest.param(
            "RUN sudo -u root sh -c 'apt-get install -y y'", "(`apt-get install`)", id="sudo -u and sh -c"
        ),
        pytest.param("RUN su -c 'apt-get install -y y' root", "(`apt-get install`)", id="su -c"),
        pytest.param(
            "RUN timeout 600 apt-get install -y y", "(`apt-get install`)", id="through a runner with a value"
        ),
        pytest.param(
            "RUN ./install.sh",
            "may use them (`./install.sh`, a program dffix cannot see)",
            id="script by path",
        ),
        pytest.param(
            "RUN bash /tmp/setup.sh", "(`bash /tmp/setup.sh`, a script dffix cannot see)", id="bash file"
        ),
        pytest.param("RUN setup-deps.sh", "may use them (`setup-deps.sh`", id="a .sh script on the PATH"),
        pytest.param("RUN make deps", "may use them (`make`, which runs commands", id="make"),
        pytest.param(
            "RUN python3 -u /tmp/setup.py install", "(`python3 /tmp/setup.py`, a script", id="python script"
        ),
        pytest.param("RUN dpkg-buildpackage -b", "(`dpkg-buildpackage`", id="dpkg-buildpackage"),
        pytest.param("RUN puppet apply /etc/site.pp", "(`puppet`", id="configuration manager"),
        pytest.param(
            "RUN curl -fsSL https://example.com/i | bash",
            "may use them (`bash`, running the script on its input",
            id="curl piped to bash",
        ),
        pytest.param(
            'RUN sh -c "$(curl -fsSL https://example.com/i)"', "a downloaded script", id="sh -c of a download"
        ),
        pytest.param("RUN gosu app ./run.sh", "(`./run.sh`", id="through gosu"),
        pytest.param("RUN V=$(./version.sh) && echo $V", "(`./version.sh`", id="script in a substitution"),
        pytest.param("RUN . /opt/setup.sh", "may use them (`. /opt/setup.sh`", id="sourced script"),
        pytest.param("RUN case $A in a) ./x.sh;; esac", "(`./x.sh`", id="line the reader gives up on"),
        pytest.param("RUN <<EOF\n./install.sh\nEOF", "(`./install.sh`", id="heredoc script"),
        pytest.param('RUN ["/install.sh", "-y"]', "(`/install.sh`", id="exec form"),
        pytest.param("ONBUILD RUN ./install.sh", "(`./install.sh`", id="ONBUILD RUN"),
        pytest.param("RUN ./install.sh && apt-get update", "(`./install.sh`", id="script before the update"),
        pytest.param("FROM base\nRUN ./install.sh", "(`./install.sh`", id="stage built on it"),
    ],
)
def test_later_reader_stops_the_fix(later: str, why: str) -> None:
    source = f"FROM debian AS base\nRUN apt-get update && apt-get install -y x\n{later}\n"
    df = parse(source)
    assert not isinstance(df, ParseError)
    [found] = [v for v in check(df, [AptListsNotRemoved()]) if df.line_col(v.span.start)[0] == 2]
    assert found.fix is None
    head, _, reason = found.message.partition("; no fix: ")
    assert head == "apt lists not removed in the `RUN` that installs packages"
    line = 3 + later[: later.rfind("RUN")].count("\n")
    assert reason.startswith(f"the `RUN` on line {line} ")
    assert why in reason


@pytest.mark.parametrize(
    "later",
    [
        pytest.param("RUN echo hi && mkdir /x && pip install y && npm i -g z", id="builtins and plain tools"),
        pytest.param("RUN apt-get update && ./install.sh", id="script after an update of its own"),
        pytest.param("RUN /opt/conda/bin/conda install -y y && /usr/bin/pip install z", id="tools by path"),
        pytest.param("RUN . /etc/os-release && echo $ID", id="sourcing os-release"),
        pytest.param("RUN . /venv/bin/activate && pip install y", id="sourcing a virtualenv"),
        pytest.param("RUN equivs-build ctl", id="equivs-build does not read them"),
        pytest.param("RUN mk-build-deps debian/control", id="mk-build-deps of a control file, no install"),
        pytest.param("RUN dpkg -i /y.deb && apt-mark hold y", id="dpkg and apt-mark"),
        pytest.param("RUN add-apt-repository -y ppa:a/b", id="add-apt-repository alone"),
        pytest.param("RUN install_packages y", id="minideb install_packages updates itself"),
        pytest.param("RUN ./configure --prefix=/usr", id="autoconf configure"),
        pytest.param("RUN cat > /etc/y.conf <<EOF\n/opt/run.sh\nEOF", id="heredoc fed to cat is data"),
        pytest.param('RUN echo "$(go env GOROOT)/src/y.py" > /f', id="text after a substitution"),
        pytest.param("RUN python3 -m pip install y && python3 -c 'print(1)'", id="python module and code"),
        pytest.param("RUN /etc/init.d/mysql start", id="a service's init script"),
        pytest.param("RUN curl -fsSL https://example.com/y.tgz | tar -xz", id="curl piped to tar"),
    ],
)
def test_later_run_that_does_not_use_the_lists(later: str) -> None:
    head = "FROM debian\nRUN apt-get update && apt-get install -y x"
    source = f"{head}\n{later}"
    result = fix(source, [AptListsNotRemoved()])
    assert not isinstance(result, ParseError)
    assert result.text.startswith(f"{head} && rm -rf /var/lib/apt/lists/*\n")


def test_apt_lists_not_removed_backtick_escape_and_crlf() -> None:
    before = "# escape=`\r\nFROM debian\r\nRUN apt-get update `\r\n    && apt-get install -y curl\r\n"
    after = (
        "# escape=`\r\nFROM debian\r\nRUN apt-get update `\r\n    && apt-get install -y curl `\r\n"
        "    && rm -rf /var/lib/apt/lists/*\r\n"
    )
    result = fix(before, [AptListsNotRemoved()])
    assert not isinstance(result, ParseError)
    assert result.text == after


# -- both rules together -----------------------------------------------------------


SEED = """
    FROM python:3.12.2
    WORKDIR /app
    COPY sample.py .
    COPY requirements.txt .
    RUN apt-get update
    RUN apt-get install -y netcat
    RUN pip install -r requirements.txt
    CMD python sample.py
"""


def _fix_both(source: str) -> str:
    result = fix(snippet(source), [AptGetSplitAcrossRuns(), AptListsNotRemoved()], Applicability.SAFE)
    assert not isinstance(result, ParseError)
    assert not result.bugs
    return result.text


def test_seed_example() -> None:
    out = _fix_both(SEED)
    assert "RUN apt-get update && apt-get install -y netcat && rm -rf /var/lib/apt/lists/*\n" in out
    assert out == snippet(SEED).replace(
        "RUN apt-get update\nRUN apt-get install -y netcat\n",
        "RUN apt-get update && apt-get install -y netcat && rm -rf /var/lib/apt/lists/*\n",
    )
    assert _fix_both(out) == out


def test_both_rules_keep_the_later_install_working() -> None:
    # Cleaning the lists after the first install would make the second one fail.
    source = """
        FROM debian
        RUN apt-get update
        RUN apt-get install -y a
        RUN apt-get install -y b
    """
    assert _fix_both(source) == snippet(
        """
        FROM debian
        RUN apt-get update && apt-get install -y a
        RUN apt-get install -y b && rm -rf /var/lib/apt/lists/*
        """
    )


def test_both_rules_multi_line() -> None:
    source = """
        FROM debian
        RUN apt-get update
        # tools
        RUN apt-get install -y \\
            curl \\
            git
    """
    assert _fix_both(source) == snippet(
        """
        FROM debian
        # tools
        RUN apt-get update && apt-get install -y \\
            curl \\
            git \\
            && rm -rf /var/lib/apt/lists/*
        """
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            # github-dockerfiles/rpappalax__dockerfiles__0
            """
            #Update the package manager and upgrade the system
            RUN apt-get update && \\
            apt-get upgrade -y && \\
            apt-get update

            # Install supervisor
            RUN apt-get install -y supervisor
            """,
            """
            #Update the package manager and upgrade the system
            RUN apt-get update && \\
            apt-get upgrade -y

            # Install supervisor
            RUN apt-get update && apt-get install -y supervisor
            """,
            id="an install with its own comment gets the update; both comments stay put",
        ),
        pytest.param(
            # github-dockerfiles/slpcat__docker-images__435
            """
            RUN curl -fsSL https://x/key | apt-key add - \\
             && echo 'deb https://x/ stable main' > /etc/apt/sources.list.d/x.list \\
             && apt-get update -qq
            # ccache - speed up C and C++ compilation
            # lsof - roachprod monitor
            RUN apt-get install -y --no-install-recommends \\
                ccache \\
                lsof
            """,
            """
            RUN curl -fsSL https://x/key | apt-key add - \\
             && echo 'deb https://x/ stable main' > /etc/apt/sources.list.d/x.list
            # ccache - speed up C and C++ compilation
            # lsof - roachprod monitor
            RUN apt-get update -qq && apt-get install -y --no-install-recommends \\
                ccache \\
                lsof
            """,
            id="the package comments stay above the packages, not above the repository keys",
        ),
        pytest.param(
            "RUN apt-get clean; \\\n    apt-get update\n# tools\nRUN apt-get install -y x",
            "# tools\nRUN apt-get clean; \\\n    apt-get update && \\\n    apt-get install -y x",
            id="after `;` the update stays: a merge, the comment above it",
        ),
        pytest.param(
            "RUN echo x > /etc/apt/sources.list.d/x.list \\\n    && apt-get update\nRUN apt-get install -y x",
            "RUN echo x > /etc/apt/sources.list.d/x.list \\\n"
            "    && apt-get update \\\n    && apt-get install -y x",
            id="no comment: the install becomes a new line in the leading && style",
        ),
        pytest.param(
            "RUN apt-get clean && \\\n    apt-get update\n\nRUN apt-get install -y \\\n    x",
            "RUN apt-get clean && \\\n    apt-get update && \\\n    apt-get install -y \\\n    x",
            id="no comment: the install becomes a new line in the trailing && style",
        ),
        pytest.param(
            "RUN apt-get clean; \\\n    apt-get update\nRUN apt-get install -y x",
            "RUN apt-get clean; \\\n    apt-get update && \\\n    apt-get install -y x",
            id="lines ending in an operator: the install line ends the same way",
        ),
    ],
)
def test_a_multi_line_update_run_gets_the_install_as_a_line_of_its_own(before: str, after: str) -> None:
    assert_fixes(AptGetSplitAcrossRuns(), "FROM debian\n" + snippet(before), "FROM debian\n" + snippet(after))


def test_a_comment_line_inside_the_update_run_keeps_it_a_merge() -> None:
    # Moving the update down would take the comment line between it and `echo` along.
    run = "RUN echo x > /etc/apt/sources.list.d/x.list \\\n# refresh\n    && apt-get update"
    before = f"FROM debian\n{run}\n# t\nRUN apt-get install -y x\n"
    after = f"FROM debian\n# t\n{run} \\\n    && apt-get install -y x\n"
    assert_fixes(AptGetSplitAcrossRuns(), before, after)
