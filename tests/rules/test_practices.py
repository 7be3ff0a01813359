from __future__ import annotations

import pytest

from dffix.fixer import check
from dffix.rules.base import Rule
from dffix.rules.practices import (
    AptGetUpgrade,
    BuildToolsInFinalStage,
    CdInRun,
    MultipleProcessesInContainer,
    PipeWithoutPipefail,
    RelativeWorkdir,
    RepeatedCmdOrEntrypoint,
    SecretInArgOrEnv,
    SudoInRun,
    UnpinnedBaseImage,
    fallback_commands,
    looks_secret,
    unwrap,
)
from dffix.syntax import ParseError, parse
from dffix.syntax.tree import Span
from tests.helpers import assert_reports, assert_unchanged, snippet


def assert_silent(rule: Rule, source: str) -> None:
    """Assert that `rule` reports nothing in `source` (and so changes nothing)."""
    df = parse(snippet(source))
    assert not isinstance(df, ParseError), df
    assert check(df, [rule]) == []
    assert_unchanged(rule, source)


def reported_lines(rule: Rule, source: str) -> list[int]:
    df = parse(snippet(source))
    assert not isinstance(df, ParseError), df
    return [df.line_col(v.span.start)[0] for v in check(df, [rule])]


# -- DF701 unpinned-base-image -------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("FROM ubuntu", "has no tag", id="no tag"),
        pytest.param("FROM ubuntu:latest", "uses `latest`", id="latest"),
        pytest.param("FROM --platform=linux/amd64 node", "has no tag", id="with platform flag"),
        pytest.param("FROM localhost:5000/app", "has no tag", id="registry port is not a tag"),
        pytest.param("FROM ghcr.io/org/app:latest AS x", "uses `latest`", id="registry path and stage name"),
        pytest.param("FROM x:1 AS a\nFROM b", "has no tag", id="name of a later stage is an image"),
    ],
)
def test_unpinned_base_image_reports(source: str, expected: str) -> None:
    messages = assert_reports(UnpinnedBaseImage(), source, fixable=False)
    assert len(messages) == 1 and expected in messages[0]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM ubuntu:24.04", id="version tag"),
        pytest.param("FROM scratch", id="scratch"),
        pytest.param("FROM ubuntu@sha256:" + "a" * 64, id="digest"),
        pytest.param("FROM ubuntu:latest@sha256:" + "a" * 64, id="latest with digest"),
        pytest.param("FROM golang:1.22 AS build\nFROM build", id="earlier stage"),
        pytest.param("FROM golang:1.22 AS Build\nFROM build", id="stage names ignore case"),
        pytest.param("ARG BASE=ubuntu\nFROM $BASE", id="variable"),
        pytest.param("ARG V\nFROM python:${V}-slim", id="variable tag"),
        pytest.param("FROM %%FROM%%", id="template placeholder"),
        pytest.param("FROM BASEIMAGE", id="uppercase placeholder is not an image name"),
        pytest.param("# hadolint ignore=DL3006\nFROM ubuntu", id="suppressed by hadolint code"),
    ],
)
def test_unpinned_base_image_silent(source: str) -> None:
    assert_silent(UnpinnedBaseImage(), source)


def test_unpinned_base_image_points_at_the_image() -> None:
    df = parse("FROM --platform=x \\\n  node\n")
    assert not isinstance(df, ParseError)
    (v,) = check(df, [UnpinnedBaseImage()])
    assert df.text[v.span.start : v.span.end] == "node"


# -- DF702 apt-get-upgrade -------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN apt-get update && apt-get -y upgrade", id="upgrade"),
        pytest.param(
            "RUN apt-get -o Dpkg::Options::=--force-confold dist-upgrade -y", id="option with argument"
        ),
        pytest.param("RUN apt full-upgrade", id="apt full-upgrade"),
        pytest.param("RUN DEBIAN_FRONTEND=noninteractive sudo -E /usr/bin/apt-get upgrade", id="wrapped"),
        pytest.param('RUN ["apt-get", "upgrade", "-y"]', id="exec form"),
        pytest.param("RUN case $x in a) b ;; esac; apt-get upgrade", id="word scan when the reader gives up"),
    ],
)
def test_apt_get_upgrade_reports(source: str) -> None:
    assert_reports(AptGetUpgrade(), "FROM debian:12\n" + source, fixable=False)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN apt-get update && apt-get install -y upgrade", id="package named upgrade"),
        pytest.param("RUN echo apt-get upgrade", id="in an argument"),
        pytest.param("RUN apk upgrade", id="other package managers are not checked"),
        pytest.param("RUN <<EOF\napt-get upgrade\nEOF", id="heredoc body is opaque"),
    ],
)
def test_apt_get_upgrade_silent(source: str) -> None:
    assert_silent(AptGetUpgrade(), "FROM debian:12\n" + source)


def test_apt_get_upgrade_is_off_by_default() -> None:
    assert AptGetUpgrade.default_enabled is False
    assert AptGetUpgrade.aliases == ()


# -- DF703 sudo-in-run -------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN sudo apt-get install -y curl", id="plain"),
        pytest.param("RUN make && /usr/bin/sudo make install", id="path and second command"),
        pytest.param("RUN if true; then sudo x; fi", id="nested"),
        pytest.param('RUN ["sudo", "x"]', id="exec form"),
        pytest.param('RUN ["sh", "-c", "a && sudo b"]', id="exec form shell script"),
        pytest.param("RUN X=1 sudo y", id="after an assignment"),
        pytest.param(
            'RUN ["sh", "-c", "case $a in b) c;; esac; sudo d"]', id="word scan of an exec-form script"
        ),
    ],
)
def test_sudo_in_run_reports(source: str) -> None:
    assert_reports(SudoInRun(), "FROM debian:12\n" + source, fixable=False)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN apt-get install -y sudo", id="installing sudo"),
        pytest.param("RUN echo 'sudo x'", id="quoted"),
        pytest.param("RUN gosu app true", id="gosu"),
        pytest.param("CMD sudo x", id="only RUN is checked"),
        pytest.param("RUN []", id="empty exec form"),
    ],
)
def test_sudo_in_run_silent(source: str) -> None:
    assert_silent(SudoInRun(), "FROM debian:12\n" + source)


# -- DF704 cd-in-run ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN cd /src && make", id="plain"),
        pytest.param("RUN make; cd /x; cd /y", id="several cds, one report"),
        pytest.param("RUN ( cd /x && make )", id="subshell"),
        pytest.param("RUN case $a in x) y ;; esac; cd /z", id="word scan when the reader gives up"),
    ],
)
def test_cd_in_run_reports(source: str) -> None:
    messages = assert_reports(CdInRun(), "FROM debian:12\n" + source, fixable=False)
    assert len(messages) == 1


def test_cd_in_run_points_at_the_cd() -> None:
    df = parse("FROM a\nRUN make \\\n && cd /x\n")
    assert not isinstance(df, ParseError)
    (v,) = check(df, [CdInRun()])
    assert df.text[v.span.start : v.span.end] == "cd /x"


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN echo cd /x", id="argument"),
        pytest.param('RUN x="$(cd /a && pwd)"', id="inside command substitution"),
        pytest.param("WORKDIR /src\nRUN make", id="workdir"),
        pytest.param("RUN case $a in x) cd y ;; esac", id="after a case pattern the scan cannot tell"),
    ],
)
def test_cd_in_run_silent(source: str) -> None:
    assert_silent(CdInRun(), "FROM debian:12\n" + source)


# -- DF705 relative-workdir ------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM a\nWORKDIR app", id="relative"),
        pytest.param('FROM a\nWORKDIR "app"', id="quoted relative"),
        pytest.param("FROM a\nWORKDIR ~/app", id="tilde is not expanded"),
        pytest.param("FROM a AS x\nWORKDIR /app\nFROM b\nWORKDIR app", id="absolute in another stage"),
    ],
)
def test_relative_workdir_reports(source: str) -> None:
    assert_reports(RelativeWorkdir(), source, fixable=False)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM a\nWORKDIR /app", id="absolute"),
        pytest.param("FROM a\nWORKDIR $HOME/app", id="variable"),
        pytest.param("FROM a\nWORKDIR ${APP_DIR}", id="braced variable"),
        pytest.param("FROM a\nWORKDIR C:\\app", id="windows drive"),
        pytest.param("FROM a\nWORKDIR c:/app", id="windows drive with slash"),
        pytest.param("FROM a\nWORKDIR \\\\\\\\server\\\\share", id="windows share"),
        pytest.param("FROM a\nWORKDIR /app\nWORKDIR src", id="after an absolute one"),
        pytest.param(
            "FROM a AS base\nWORKDIR /app\nFROM base\nWORKDIR src", id="inherited from the stage built on"
        ),
    ],
)
def test_relative_workdir_silent(source: str) -> None:
    assert_silent(RelativeWorkdir(), source)


# -- DF706 pipe-without-pipefail -------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM a\nRUN curl -fsSL https://x | sh", id="curl into sh"),
        pytest.param("FROM a\nRUN wget -qO- x |& tee log", id="pipe with stderr"),
        pytest.param("FROM a\nRUN echo $(a) | b && c | d", id="second pipe can fail"),
        pytest.param('FROM a\nSHELL ["/bin/bash", "-c"]\nRUN a | b', id="bash without pipefail"),
        pytest.param("FROM a\nRUN if x; then y; fi | z", id="compound on the left"),
        pytest.param(
            'FROM a\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nFROM b\nRUN a | b',
            id="SHELL does not carry into an unrelated stage",
        ),
    ],
)
def test_pipe_without_pipefail_reports(source: str) -> None:
    messages = assert_reports(PipeWithoutPipefail(), source, fixable=False)
    assert 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]' in messages[0]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM a\nRUN a || b", id="or is not a pipe"),
        pytest.param("FROM a\nRUN echo 'a | b'", id="quoted"),
        pytest.param("FROM a\nRUN set -o pipefail && a | b", id="set -o pipefail"),
        pytest.param("FROM a\nRUN set -eux -o pipefail; a | b", id="set with other flags"),
        pytest.param("FROM a\nRUN set -euo pipefail; a | b", id="combined flags"),
        pytest.param(
            'FROM a\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN a | b', id="SHELL with pipefail"
        ),
        pytest.param('FROM a\nSHELL ["/bin/bash", "-eo", "pipefail", "-c"]\nRUN a | b', id="SHELL with -eo"),
        pytest.param(
            'FROM a AS base\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nFROM base\nRUN a | b',
            id="SHELL inherited from the stage built on",
        ),
        pytest.param('FROM a\nSHELL ["pwsh", "-Command"]\nRUN a | b', id="powershell"),
        pytest.param(
            'FROM a AS one\nSHELL ["bash", "-o", "pipefail", "-c"]\nFROM one AS two\nFROM two\nRUN a | b',
            id="SHELL inherited through two stages",
        ),
        pytest.param("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN a | b", id="windows image"),
        pytest.param('FROM a\nRUN echo "$SHA  f" | sha256sum -c -', id="echo cannot fail"),
        pytest.param("FROM a\nRUN printf 'y\\n' | apt-get install x", id="printf cannot fail"),
        pytest.param('FROM a\nRUN x="$(a | b)"', id="inside command substitution"),
        pytest.param("FROM a\nRUN ( a | b )", id="inside a subshell"),
        pytest.param("FROM a\nRUN for f in x; do a | b; done", id="inside a loop"),
        pytest.param('FROM a\nRUN ["sh", "-c", "a | b"]', id="exec form"),
        pytest.param("FROM a\nRUN case $x in y) a | b ;; esac", id="reader gives up"),
        pytest.param("FROM a\nRUN <<EOF\na | b\nEOF", id="heredoc"),
    ],
)
def test_pipe_without_pipefail_silent(source: str) -> None:
    assert_silent(PipeWithoutPipefail(), source)


# -- DF707 repeated-cmd-or-entrypoint --------------------------------------------------------


def test_repeated_cmd_or_entrypoint_reports_the_dead_ones() -> None:
    source = """
        FROM a
        CMD ["a"]
        ENTRYPOINT ["x"]
        CMD ["b"]
        ENTRYPOINT ["y"]
        CMD ["c"]
    """
    assert reported_lines(RepeatedCmdOrEntrypoint(), source) == [2, 3, 4]
    messages = assert_reports(RepeatedCmdOrEntrypoint(), source, fixable=False)
    assert messages[0] == "`CMD` has no effect: the `CMD` on line 6 replaces it"


@pytest.mark.parametrize(
    "source",
    [
        pytest.param('FROM a\nCMD ["a"]\nENTRYPOINT ["b"]', id="one of each"),
        pytest.param('FROM a\nCMD ["a"]\nFROM b\nCMD ["b"]', id="one per stage"),
        pytest.param('FROM a\nONBUILD CMD ["a"]\nCMD ["b"]', id="onbuild is for child images"),
        pytest.param('FROM a\nHEALTHCHECK CMD true\nCMD ["b"]', id="healthcheck cmd"),
    ],
)
def test_repeated_cmd_or_entrypoint_silent(source: str) -> None:
    assert_silent(RepeatedCmdOrEntrypoint(), source)


# -- DF708 multiple-processes-in-container -----------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param('CMD ["/usr/bin/supervisord", "-n"]', "supervisord", id="exec supervisord"),
        pytest.param("CMD supervisord -c /etc/s.conf", "supervisord", id="shell supervisord"),
        pytest.param('ENTRYPOINT ["sh", "-c", "supervisord"]', "supervisord", id="through sh -c"),
        pytest.param("CMD php-fpm & nginx -g 'daemon off;'", "background", id="background job"),
        pytest.param("CMD cron && tail -f /dev/null &", "background", id="trailing ampersand"),
        pytest.param('CMD ["sh", "-c", "a & b"]', "background", id="background in sh -c"),
        pytest.param(
            "CMD case $x in y) z ;; esac && supervisord", "supervisord", id="word scan finds supervisord"
        ),
    ],
)
def test_multiple_processes_in_container_reports(source: str, expected: str) -> None:
    messages = assert_reports(MultipleProcessesInContainer(), "FROM a\n" + source, fixable=False)
    assert expected in messages[0]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param('CMD ["nginx", "-g", "daemon off;"]', id="one process"),
        pytest.param("CMD a && b", id="and is not background"),
        pytest.param("CMD echo 'a & b'", id="quoted ampersand"),
        pytest.param("CMD a >/dev/null 2>&1", id="redirection"),
        pytest.param("RUN a & b", id="RUN is not the container's process"),
        pytest.param("CMD case $x in y) a & b ;; esac", id="reader gives up on the operators"),
        pytest.param('CMD ["echo", "supervisord"]', id="argument"),
    ],
)
def test_multiple_processes_in_container_silent(source: str) -> None:
    assert_silent(MultipleProcessesInContainer(), "FROM a\n" + source)


# -- DF709 build-tools-in-final-stage ----------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param("RUN apt-get install -y build-essential", "`build-essential`", id="build-essential"),
        pytest.param(
            "RUN apt-get install -y --no-install-recommends gcc libpq-dev",
            "`gcc`, `libpq-dev`",
            id="compiler and headers",
        ),
        pytest.param("RUN apk add --no-cache make musl-dev", "`make`, `musl-dev`", id="apk"),
        pytest.param("RUN yum install -y gcc-c++ openssl-devel", "`gcc-c++`, `openssl-devel`", id="yum"),
        pytest.param("RUN dnf -y install cmake", "`cmake`", id="dnf option before install"),
        pytest.param(
            "RUN apt-get install -y gcc=4:12.2.0-3 libssl-dev:amd64", "`gcc=4:12.2.0-3`", id="versions"
        ),
        pytest.param(
            "RUN apt-get install -y a b c gcc g++ make clang", "`gcc`, `g++`, `make`, ...", id="many"
        ),
        pytest.param(
            "RUN apt-get purge -y gcc && apt-get install -y gcc", "`gcc`", id="removal before install"
        ),
        pytest.param("FROM b AS c\nRUN apk add gcc", "`gcc`", id="final stage built on another"),
    ],
)
def test_build_tools_in_final_stage_reports(source: str, expected: str) -> None:
    messages = assert_reports(BuildToolsInFinalStage(), "FROM a AS b\n" + source, fixable=False)
    assert expected in messages[0]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            "FROM a AS build\nRUN apt-get install -y gcc\nFROM b\nCOPY --from=build /x /x", id="build stage"
        ),
        pytest.param("FROM a\nRUN apt-get install -y curl ca-certificates", id="runtime packages"),
        pytest.param(
            "FROM a\nRUN apk add --virtual .d gcc && make && apk del .d", id="removed in the same RUN"
        ),
        pytest.param("FROM a\nRUN apt-get install -y gcc && make && apt-get purge -y gcc", id="purged"),
        pytest.param("FROM a\nRUN apt-get install -y $BUILD_DEPS", id="variable"),
        pytest.param("FROM a\nRUN apt-get install -y libdevice", id="dev without dash"),
        pytest.param("FROM a\nRUN apt-get -t gcc install -y curl", id="option value is not a package"),
        pytest.param("FROM a\nRUN pip install make", id="other installers"),
    ],
)
def test_build_tools_in_final_stage_silent(source: str) -> None:
    assert_silent(BuildToolsInFinalStage(), source)


# -- DF710 secret-in-arg-or-env --------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "PASSWORD",
        "DB_PASSWORD",
        "MYSQL_ROOT_PASSWD",
        "GITHUB_TOKEN",
        "npmToken",
        "API_KEY",
        "apiKey",
        "APIKEY",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "SSH_PRIVATE_KEY",
        "CLIENT_SECRET",
        "RAILS_MASTER_KEY",
        "db.credentials",
    ],
)
def test_looks_secret(name: str) -> None:
    assert looks_secret(name)


@pytest.mark.parametrize(
    "name",
    [
        "GPG_KEY",
        "KEY",
        "AUTH_TYPE",
        "TOKEN_URL",
        "POSTGRES_PASSWORD_FILE",
        "SECRET_PATH",
        "PUBLIC_KEY",
        "API_KEY_NAME",
        "PATH",
        "PWD",
        "TOKENIZER",
        "KEYBOARD",
    ],
)
def test_does_not_look_secret(name: str) -> None:
    assert not looks_secret(name)


@pytest.mark.parametrize(
    ("source", "names"),
    [
        pytest.param("ARG NPM_TOKEN", ["NPM_TOKEN"], id="arg without default"),
        pytest.param("ARG DB_PASSWORD=secret", ["DB_PASSWORD"], id="arg with default"),
        pytest.param("ENV A=1 API_KEY=x B=2", ["API_KEY"], id="env among others"),
        pytest.param("ENV PASSWORD hunter2", ["PASSWORD"], id="legacy env"),
        pytest.param("ARG A_TOKEN B_SECRET", ["A_TOKEN", "B_SECRET"], id="two in one ARG"),
    ],
)
def test_secret_in_arg_or_env_reports(source: str, names: list[str]) -> None:
    messages = assert_reports(SecretInArgOrEnv(), "FROM a\n" + source, fixable=False)
    assert [m.split("`")[1].split()[1] for m in messages] == names


def test_secret_in_arg_or_env_points_at_the_name() -> None:
    df = parse("FROM a\nENV A=1 \\\n    API_KEY=x\n")
    assert not isinstance(df, ParseError)
    (v,) = check(df, [SecretInArgOrEnv()])
    assert df.text[v.span.start : v.span.end] == "API_KEY"


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("ENV GPG_KEY=0123", id="gpg fingerprint"),
        pytest.param("ENV PASSWORD_FILE=/run/secrets/db", id="file pointing at a secret"),
        pytest.param("ARG TOKEN_URL", id="url"),
        pytest.param("LABEL password=x", id="LABEL is not checked"),
        pytest.param("ONBUILD ENV PASSWORD=x", id="onbuild is not checked"),
        pytest.param("# hadolint ignore=SecretsUsedInArgOrEnv\nARG TOKEN", id="suppressed by BuildKit name"),
    ],
)
def test_secret_in_arg_or_env_silent(source: str) -> None:
    assert_silent(SecretInArgOrEnv(), "FROM a\n" + source)


# -- helpers ------------------------------------------------------------------------------


def test_unwrap() -> None:
    assert unwrap(("A=1", "sudo", "-u", "app", "-E", "/usr/bin/apt-get", "install")) == ("apt-get", "install")
    assert unwrap(("env", "X=1", "make")) == ("make",)
    assert unwrap(("A=1",)) == ()


def test_fallback_commands() -> None:
    found = fallback_commands("a x; b && c 'd;' e;f g\\; h | i # j k", 0, None, Span(0, 0))
    assert [c.argv for c in found] == [("a", "x"), ("b",), ("c", "d;", "e;f", "g;", "h"), ("i",)]
    found = fallback_commands("if a; then b then; fi", 0, None, Span(0, 0))
    assert [c.argv for c in found] == [("a",), ("b", "then")]
