"""DF0xx: files BuildKit's parser accepts but its build refuses.

Each reported case is also fed to BuildKit's own parser (PyPI `dockerfile`, the Go code
of `docker build`): it must accept the file, or the problem would be a parse error
(which dffix reports as one), and it must see the same instruction, flags and number of
arguments that the rule judged.
"""

from __future__ import annotations

import pytest

from dffix.fixer import check
from dffix.rules.base import Rule
from dffix.rules.buildable import (
    FLAGS,
    INSTRUCTIONS,
    CircularStageReference,
    DuplicateStageName,
    InstructionBeforeFrom,
    InvalidStageName,
    MissingFrom,
    UnknownFlag,
    UnknownInstruction,
    WrongArgumentCount,
)
from dffix.syntax import ParseError, parse
from tests.helpers import snippet

RULES = (
    UnknownInstruction,
    InstructionBeforeFrom,
    MissingFrom,
    WrongArgumentCount,
    UnknownFlag,
    CircularStageReference,
    DuplicateStageName,
    InvalidStageName,
)

REFUSED = [
    pytest.param("FROM alpine\nRUNN apk add curl\n", "DF001", "(did you mean `RUN`?)", id="RUNN"),
    pytest.param("FROM alpine\nFOO bar\n", "DF001", "`FOO` is not an instruction", id="FOO bar"),
    pytest.param("ENV A=1\nFROM alpine\n", "DF002", "`ENV` before the first `FROM`", id="ENV before FROM"),
    pytest.param("RUN make\n", "DF003", "No `FROM`", id="no FROM"),
    pytest.param("ARG V=1\n", "DF003", "No `FROM`", id="only ARG"),
    pytest.param(
        "FROM alpine\nCOPY app.py\n", "DF004", "at least one source and a destination", id="COPY one"
    ),
    pytest.param("FROM alpine\nADD x\n", "DF004", "`ADD` needs", id="ADD one"),
    pytest.param("FROM\n", "DF004", "`FROM` takes an image", id="FROM alone"),
    pytest.param("FROM a b\n", "DF004", "`FROM` takes an image", id="FROM two"),
    pytest.param("FROM a FOR b\n", "DF004", "`FROM` takes an image", id="FROM three without AS"),
    pytest.param("FROM alpine\nUSER\n", "DF004", "`USER` needs an argument", id="USER empty"),
    pytest.param("FROM alpine\nWORKDIR\n", "DF004", "`WORKDIR`", id="WORKDIR empty"),
    pytest.param("FROM alpine\nEXPOSE\n", "DF004", "`EXPOSE` needs at least one", id="EXPOSE empty"),
    pytest.param("FROM alpine\nSHELL bash -c\n", "DF004", "JSON array", id="SHELL not JSON"),
    pytest.param("FROM alpine\nHEALTHCHECK CMD\n", "DF004", "needs a command", id="HEALTHCHECK CMD alone"),
    pytest.param("FROM alpine\nHEALTHCHECK NONE x\n", "DF004", "NONE` takes no", id="HEALTHCHECK NONE x"),
    pytest.param("FROM alpine\nHEALTHCHECK curl x\n", "DF004", "`CMD` or `NONE`", id="HEALTHCHECK no CMD"),
    pytest.param("FROM alpine\nCOPY --chwon=a x /y\n", "DF005", "(did you mean `--chown`?)", id="--chwon"),
    pytest.param("FROM alpine\nRUN --mnt=type=cache,target=/x make\n", "DF005", "`--mnt`", id="RUN --mnt"),
    pytest.param("FROM alpine\nENV --x=1 A=b\n", "DF005", "`ENV` takes no flags", id="flag on ENV"),
    pytest.param("FROM alpine\nCOPY --chown x /y\n", "DF005", "needs a value", id="--chown without value"),
    pytest.param("FROM --plataform=linux/amd64 alpine\n", "DF005", "`--platform`", id="FROM --plataform"),
    pytest.param("FROM alpine AS b\nCOPY --from=b x /y\n", "DF006", "its own stage", id="own stage by name"),
    pytest.param("FROM alpine\nCOPY --from=0 x /y\n", "DF006", "its own stage", id="COPY --from=0 alone"),
    pytest.param(
        "FROM alpine AS a\nCOPY --from=b x /y\nFROM alpine AS b\nCOPY --from=a x /y\n",
        "DF006",
        "a stage that copies from this one",
        id="two stages copying from each other",
    ),
    pytest.param(
        "FROM alpine AS a\nRUN --mount=type=bind,from=a,target=/m make\n",
        "DF006",
        "own stage",
        id="mount from",
    ),
    pytest.param("FROM alpine\nCOPY --from=3 x /y\n", "DF006", "no stage 3", id="index out of range"),
    pytest.param(
        "FROM alpine AS b\nFROM debian AS B\n", "DF007", "also the name of the stage on line 1", id="dup"
    ),
    pytest.param("FROM alpine AS 1st\n", "DF008", "must start with a letter", id="digit first"),
    pytest.param("FROM alpine AS my/app\n", "DF008", "`my/app`", id="slash"),
]

BUILDS = [
    pytest.param("ARG V=3.19\nFROM alpine:${V}\nRUN true\n", id="ARG before FROM"),
    pytest.param("# syntax=docker/dockerfile:1\nFROM alpine\nCOPY <<EOF /x\nhi\nEOF\n", id="COPY heredoc"),
    pytest.param(
        "FROM alpine AS Build\nFROM alpine\nCOPY --from=build /a /b\n", id="names compare lower-cased"
    ),
    pytest.param("FROM alpine\nCOPY --from=nginx:1.27 /etc/nginx /n\n", id="--from an image"),
    pytest.param("FROM alpine\nCOPY --from=${STAGE} /a /b\n", id="--from a variable"),
    pytest.param(
        "FROM alpine AS a\nCOPY --from=b /x /y\nFROM alpine AS b\nRUN true\n", id="a later stage, no cycle"
    ),
    pytest.param("FROM alpine AS a\nFROM alpine\nCOPY --from=0 /x /y\n", id="--from an earlier index"),
    pytest.param(
        "FROM alpine\nCOPY --chown=1:1 --chmod=644 --link --parents --exclude=*.md a /b\n"
        "ADD --checksum=sha256:0 --keep-git-dir=true https://x/y.git /src\n"
        "RUN --mount=type=cache,target=/c --network=none --security=sandbox true\n"
        "HEALTHCHECK --interval=5s --timeout=3s --start-period=1s --start-interval=1s --retries=3 CMD true\n"
        'HEALTHCHECK NONE\nSTOPSIGNAL SIGTERM\nSHELL ["/bin/sh", "-c"]\nCMD []\nENTRYPOINT []\n',
        id="every known flag and form",
    ),
    pytest.param(
        "FROM --platform=$BUILDPLATFORM alpine AS x.y_z-1\nMAINTAINER Jane Doe <j@example.org>\n", id="names"
    ),
]


def found(source: str) -> list[tuple[str, str]]:
    df = parse(snippet(source))
    assert not isinstance(df, ParseError), df
    return [(v.code, v.message) for v in check(df, [r() for r in RULES])]


@pytest.mark.parametrize(("source", "code", "words"), REFUSED)
def test_refused_at_build_time_is_reported(source: str, code: str, words: str) -> None:
    reports = found(source)
    assert reports and {c for c, _ in reports} == {code}, reports
    message = reports[0][1]
    assert words in message
    assert "; no fix: " in message, "a report without a fix says why"


@pytest.mark.parametrize("source", BUILDS)
def test_files_that_build_are_not_reported(source: str) -> None:
    assert found(source) == []


@pytest.mark.parametrize(("source", "code", "words"), REFUSED)
def test_buildkits_parser_accepts_what_its_build_refuses(source: str, code: str, words: str) -> None:
    """The BuildKit binding parses each case without error and sees what the rule saw."""
    dockerfile = pytest.importorskip("dockerfile")
    commands = dockerfile.parse_string(source)
    df = parse(source)
    assert not isinstance(df, ParseError)
    ours = df.all_instructions
    assert [c.cmd.upper() for c in commands] == [i.kind for i in ours]
    for command, instr in zip(commands, ours, strict=True):
        assert tuple(command.flags) == tuple(f.text for f in instr.flags)
        if instr.kind in INSTRUCTIONS:
            assert tuple(command.value) == instr.values, instr.kind


def test_the_instruction_list_is_buildkits() -> None:
    dockerfile = pytest.importorskip("dockerfile")
    assert {c.upper() for c in dockerfile.all_cmds()} == INSTRUCTIONS
    assert set(FLAGS) <= INSTRUCTIONS


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_buildable_rules_are_errors_without_fixes(rule: type[Rule]) -> None:
    assert rule.severity == "error"
    assert rule.code.startswith("DF0")


def test_many_stages_stay_linear() -> None:
    # 5,000 stages, each copying from the one before: no recursion, no quadratic walk.
    lines = ["FROM alpine AS s0"] + [
        f"FROM alpine AS s{i}\nCOPY --from=s{i - 1} /a /b" for i in range(1, 5000)
    ]
    assert found("\n".join(lines) + "\n") == []
