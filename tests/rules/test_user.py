from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from dffix.edits import Applicability
from dffix.facts import BuildContext
from dffix.fixer import check, fix
from dffix.rules.user import Family, RootFinalUser, image_family
from dffix.syntax import Dockerfile, ParseError, parse
from tests.helpers import assert_fixes, assert_reports, assert_unchanged, fixed, snippet

CREATE = "RUN groupadd -r -g 10001 app && useradd --no-log-init -r -m -u 10001 -g app app"
USER = "USER 10001:10001"
DEBIAN = "RUN groupadd -r -g 10001 app && useradd --no-log-init -r -m -u 10001 -g app app\nUSER 10001:10001"
RHEL = "RUN groupadd -r -g 10001 app && useradd -r -m -u 10001 -g app app\nUSER 10001:10001"
ALPINE = "RUN addgroup -S -g 10001 app && adduser -S -D -h /home/app -u 10001 -G app app\nUSER 10001:10001"
# A folder a setting names (the app is told to use it) and nothing fills gets a chown.
MKDIR = "RUN mkdir /x && echo 'cache_dir=\"/x\"' >> /etc/app.conf"
_SET = ("/x", "/srv/site", "/app/node_modules", "/app/build", "/app/config", "/venv/lib")
_SET2 = ("/opt/app/node_modules", "/app/plugins", "/opt/tool", "/deps", "/srv2")
SETTINGS = "RUN printf '%s\\n' " + " ".join(f"'dir=\"{p}\"'" for p in _SET + _SET2) + " > /etc/app.conf"


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            'FROM python:3.12-slim\nCOPY . /app\nCMD ["python", "/app/main.py"]',
            f'FROM python:3.12-slim\n{DEBIAN}\nCOPY . /app\nCMD ["python", "/app/main.py"]',
            id="debian official image",
        ),
        pytest.param("FROM ubuntu:22.04\nCMD app", f"FROM ubuntu:22.04\n{DEBIAN}\nCMD app", id="ubuntu"),
        pytest.param("FROM node\nCMD app", "FROM node\nUSER node\nCMD app", id="node ships its user"),
        pytest.param(
            "FROM docker.io/library/golang:1.22-bookworm\nCMD app",
            f"FROM docker.io/library/golang:1.22-bookworm\n{DEBIAN}\nCMD app",
            id="full official name",
        ),
        pytest.param(
            "FROM openjdk:8-jre\nCMD app", f"FROM openjdk:8-jre\n{DEBIAN}\nCMD app", id="old openjdk"
        ),
        pytest.param(
            "FROM python:3.12-alpine\nCMD app", f"FROM python:3.12-alpine\n{ALPINE}\nCMD app", id="alpine tag"
        ),
        pytest.param("FROM alpine:3.19\nCMD app", f"FROM alpine:3.19\n{ALPINE}\nCMD app", id="alpine"),
        pytest.param("FROM busybox\nCMD app", f"FROM busybox\n{ALPINE}\nCMD app", id="busybox"),
        pytest.param("FROM centos:7\nCMD app", f"FROM centos:7\n{RHEL}\nCMD app", id="centos"),
        pytest.param("FROM fedora:40\nCMD app", f"FROM fedora:40\n{RHEL}\nCMD app", id="fedora"),
        pytest.param("FROM rockylinux:9\nCMD app", f"FROM rockylinux:9\n{RHEL}\nCMD app", id="rocky"),
        pytest.param(
            "FROM registry.access.redhat.com/ubi9/ubi:9.3\nCMD app",
            f"FROM registry.access.redhat.com/ubi9/ubi:9.3\n{RHEL}\nCMD app",
            id="ubi",
        ),
        pytest.param(
            'FROM gcr.io/distroless/static-debian12\nCOPY app /\nENTRYPOINT ["/app"]',
            'FROM gcr.io/distroless/static-debian12\nUSER 65532:65532\nCOPY app /\nENTRYPOINT ["/app"]',
            id="distroless uses its nonroot user",
        ),
        pytest.param(
            'FROM scratch\nCOPY app /\nENTRYPOINT ["/app"]',
            'FROM scratch\nUSER 65532:65532\nCOPY app /\nENTRYPOINT ["/app"]',
            id="scratch gets a numeric user",
        ),
        pytest.param(
            "FROM myorg/base:1\nRUN apt-get update && apt-get install -y curl\nCMD app",
            f"FROM myorg/base:1\nRUN apt-get update && apt-get install -y curl\n{DEBIAN}\nCMD app",
            id="unknown image with apt-get",
        ),
        pytest.param(
            "FROM myorg/base:1\nRUN apk add --no-cache curl\nCMD app",
            f"FROM myorg/base:1\nRUN apk add --no-cache curl\n{ALPINE}\nCMD app",
            id="unknown image with apk",
        ),
        pytest.param(
            "FROM myorg/base:1\nRUN dnf install -y curl\nCMD app",
            f"FROM myorg/base:1\nRUN dnf install -y curl\n{RHEL}\nCMD app",
            id="unknown image with dnf",
        ),
        pytest.param(
            "FROM python:3.12 AS base\nRUN pip install x\nFROM base\nCMD app",
            f"FROM python:3.12 AS base\nRUN pip install x\nFROM base\n{DEBIAN}\nCMD app",
            id="follows FROM stage",
        ),
        pytest.param(
            "FROM --platform=$BUILDPLATFORM python:3.12\nCMD app",
            f"FROM --platform=$BUILDPLATFORM python:3.12\n{DEBIAN}\nCMD app",
            id="platform flag",
        ),
        pytest.param(
            "FROM golang AS build\nRUN go build\nFROM alpine\nCOPY --from=build /x /x\nCMD /x",
            f"FROM golang AS build\nRUN go build\nFROM alpine\n{ALPINE}\nCOPY --from=build /x /x\nCMD /x",
            id="only the final stage",
        ),
        pytest.param(
            "FROM python:3.12\nRUN x\nEXPOSE 8080\nENV A=1\nLABEL a=b\nSTOPSIGNAL SIGINT\nCMD app",
            f"FROM python:3.12\nRUN x\nEXPOSE 8080\nENV A=1\nLABEL a=b\nSTOPSIGNAL SIGINT\n{DEBIAN}\nCMD app",
            id="after trailing metadata",
        ),
        pytest.param(
            "FROM python:3.12\nHEALTHCHECK CMD curl -f localhost\nEXPOSE 8080\nCMD app",
            f"FROM python:3.12\n{DEBIAN}\nHEALTHCHECK CMD curl -f localhost\nEXPOSE 8080\nCMD app",
            id="before the first of healthcheck and cmd",
        ),
        pytest.param(
            "FROM python:3.12\nCMD app\nRUN x",
            f"FROM python:3.12\nCMD app\nRUN x\n{DEBIAN}",
            id="after a RUN that follows CMD",
        ),
        pytest.param(
            "FROM python:3.12\nRUN x\n\n# start it\n# now\nCMD app",
            f"FROM python:3.12\nRUN x\n\n{DEBIAN}\n# start it\n# now\nCMD app",
            id="before the comments above CMD",
        ),
        pytest.param(
            "FROM python:3.12\nCMD app\nRUN x\n# the end\n",
            f"FROM python:3.12\nCMD app\nRUN x\n{DEBIAN}\n# the end\n",
            id="at the stage end without CMD",
        ),
        pytest.param(
            "from python:3.12\nrun x\ncmd app",
            "from python:3.12\nrun x\n" + DEBIAN.replace("RUN", "run").replace("USER", "user") + "\ncmd app",
            id="lowercase file",
        ),
        pytest.param(
            "FROM python:3.12\n  RUN x\n  CMD app",
            "FROM python:3.12\n  RUN x\n  " + DEBIAN.replace("\n", "\n  ") + "\n  CMD app",
            id="indentation of the next instruction",
        ),
        # A line that is only `\` joins the next one: the keyword's indent is not the
        # text from the instruction's start, or the insert would copy the `\` line.
        pytest.param(
            "FROM python:3.12\nCMD app\n\\\nRUN x",
            f"FROM python:3.12\nCMD app\n\\\nRUN x\n{DEBIAN}",
            id="stage end after a lone continuation line",
        ),
        pytest.param(
            "FROM python:3.12\n\\\n  CMD app",
            "FROM python:3.12\n  " + DEBIAN.replace("\n", "\n  ") + "\n\\\n  CMD app",
            id="CMD after a lone continuation line",
        ),
        pytest.param(
            "FROM ubuntu\nRUN useradd -m dev\nCMD app",
            "FROM ubuntu\nRUN useradd -m dev\nUSER dev\nCMD app",
            id="switches to the user the stage creates",
        ),
        pytest.param(
            "FROM ubuntu\nRUN groupadd -g 1000 dev && useradd -m -u 1000 -g dev -s /bin/bash dev\nCMD app",
            "FROM ubuntu\nRUN groupadd -g 1000 dev && useradd -m -u 1000 -g dev -s /bin/bash dev\n"
            "USER 1000\nCMD app",
            id="its uid when useradd gives one",
        ),
        pytest.param(
            "FROM debian\nRUN adduser --disabled-password --gecos '' web && adduser web sudo\nCMD app",
            "FROM debian\nRUN adduser --disabled-password --gecos '' web && adduser web sudo\n"
            "USER web\nCMD app",
            id="adduser to a group creates nobody",
        ),
        pytest.param(
            "FROM python:3.12 AS base\nRUN useradd web\nFROM base\nCMD app",
            "FROM python:3.12 AS base\nRUN useradd web\nFROM base\nUSER web\nCMD app",
            id="user created in the stage built on",
        ),
        pytest.param(
            "FROM ubuntu\nRUN useradd -o -u 0 admin\nCMD app",
            f"FROM ubuntu\nRUN useradd -o -u 0 admin\n{DEBIAN}\nCMD app",
            id="a user with uid 0 is root",
        ),
    ],
)
def test_root_final_user_fixes(before: str, after: str) -> None:
    assert_fixes(RootFinalUser(), before, after, unsafe=True)
    source = snippet(before)
    assert fixed(RootFinalUser(), source).text == source, "the fix must be unsafe"


def test_crlf_and_no_final_newline() -> None:
    before = "FROM alpine\r\nCMD app\r\nRUN apk add x"
    after = "FROM alpine\r\nCMD app\r\nRUN apk add x\r\n" + ALPINE.replace("\n", "\r\n")
    assert fixed(RootFinalUser(), before, unsafe=True).text == after


def test_options() -> None:
    rule = RootFinalUser({"user": "svc", "uid": 2000, "gid": 3000})
    after = (
        "FROM debian\n"
        "RUN groupadd -r -g 3000 svc && useradd --no-log-init -r -m -u 2000 -g svc svc\n"
        "USER 2000:3000\n"
        "CMD app\n"
    )
    assert fixed(rule, "FROM debian\nCMD app\n", unsafe=True).text == after


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM python:3.12\nUSER app\nCMD app", id="non-root user"),
        pytest.param("FROM python:3.12\nUSER 1000:1000\nCMD app", id="numeric user"),
        pytest.param("FROM python:3.12\nUSER root\nUSER app", id="last USER counts"),
        pytest.param("FROM python:3.12\nUSER $APP_USER\nCMD app", id="user from a variable"),
        pytest.param("FROM python:3.12 AS base\nUSER app\nFROM base\nCMD app", id="inherited from a stage"),
        pytest.param("FROM gcr.io/distroless/static:nonroot\nCMD app", id="nonroot distroless"),
        pytest.param("FROM cgr.dev/chainguard/python\nCMD app", id="chainguard"),
        pytest.param("FROM bitnami/nginx\nCMD app", id="bitnami"),
        pytest.param("FROM nginxinc/nginx-unprivileged\nCMD app", id="unprivileged"),
        pytest.param("FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCMD app", id="windows"),
        pytest.param("FROM mcr.microsoft.com/dotnet/sdk:8.0-nanoserver-ltsc2022\nCMD app", id="nanoserver"),
        pytest.param("# escape=`\nFROM mybase\nCMD app", id="backtick escape means windows"),
        pytest.param(
            "FROM alpine AS a\nCOPY --from=b /x /x\nFROM python:3.12 AS b\nCMD app",
            id="final stage used by another stage",
        ),
        pytest.param("# hadolint ignore=DL3002\nFROM python:3.12\nCMD app", id="suppressed on the FROM"),
        pytest.param("FROM python:3.12\n# hadolint ignore=DL3002\nUSER root", id="suppressed on USER root"),
        pytest.param("# hadolint global ignore=DL3002\nFROM python:3.12", id="suppressed file-wide"),
        pytest.param("# dffix: ignore=root-final-user\nFROM python:3.12", id="suppressed by name on FROM"),
    ],
)
def test_root_final_user_unchanged(source: str) -> None:
    assert_unchanged(RootFinalUser(), source)


@pytest.mark.parametrize(
    ("source", "words"),
    [
        pytest.param(
            "FROM myorg/base\nCMD app", "does not know how to add a user on `myorg/base`", id="unknown"
        ),
        pytest.param("FROM $BASE\nCMD app", "set by a variable", id="variable base"),
        pytest.param("FROM python:${V}-slim\nCMD app", "set by a variable", id="variable in the tag"),
        pytest.param(
            "FROM myorg/base AS b\nFROM b\nCMD app", "add a user on `myorg/base`", id="unknown via stage"
        ),
        pytest.param(
            "FROM python:3.12\nUSER root\nRUN apt-get install -y x\nCMD app",
            "on purpose",
            id="explicit USER root: last USER root",
        ),
        pytest.param("FROM python:3.12\nUSER 0:0\nCMD app", "on purpose", id="explicit USER root: user 0:0"),
        pytest.param(
            "FROM python:3.12\nUSER root:root\nRUN x\nCMD app",
            "on purpose",
            id="explicit USER root: user root:root",
        ),
        pytest.param(
            "FROM alpine\nRUN adduser -D -u 1000 dev\nUSER dev\nRUN x\nUSER root\nRUN y\nCMD app",
            "on purpose",
            id="explicit USER root: the user named by an earlier USER",
        ),
        pytest.param(
            "FROM node:20\nUSER node\nRUN npm ci\nUSER root\nEXPOSE 8080\nCMD app",
            "on purpose",
            id="explicit USER root: USER root before the end is rewritten in place",
        ),
        pytest.param(
            "FROM gcr.io/distroless/base\nUSER root\nCMD app",
            "on purpose",
            id="explicit USER root: distroless USER root rewritten",
        ),
        pytest.param("FROM amazonlinux:2023\nCMD app", "no `useradd`", id="amazon linux has no useradd"),
        pytest.param(
            "FROM registry.access.redhat.com/ubi9/ubi-minimal\nCMD app", "no `useradd`", id="ubi minimal"
        ),
        pytest.param("FROM openjdk:21\nCMD app", "does not know", id="new openjdk is oracle linux"),
        pytest.param("FROM python:3.12-windowsservercore-x\nUSER root\nCMD app", None, id="windows tag"),
        pytest.param("FROM python:3.12\nRUN apk add x\nCMD app", "disagree", id="apk on debian"),
        pytest.param(
            "FROM myorg/x\nRUN apk add x && apt-get install y\nCMD app", "several", id="two managers"
        ),
        pytest.param("FROM ubuntu\nRUN useradd a && useradd b\nCMD app", "`a`, `b`", id="several users"),
        pytest.param("FROM ubuntu\nRUN useradd $NAME\nCMD app", "cannot read", id="user from a variable"),
        pytest.param(
            "FROM ubuntu\nRUN if x; then useradd a; fi; case\nCMD app", "cannot read", id="unreadable RUN"
        ),
        pytest.param("FROM ubuntu\nUSER $U\nRUN x\nCMD app", None, id="earlier USER from a variable"),
        pytest.param("FROM debian\nRUN apt-get install -y gosu\nCMD app", "`gosu`", id="gosu"),
        pytest.param("FROM alpine\nRUN apk add su-exec\nCMD app", "`su-exec`", id="su-exec"),
        pytest.param(
            'FROM debian\nSHELL ["powershell", "-c"]\nCMD app', "not a POSIX shell", id="non-posix SHELL"
        ),
        pytest.param("FROM debian\nCMD app\nRUN a \\\n", "continuation", id="ends in a continuation"),
        pytest.param("FROM debian\nCMD app\nRUN a \\\n# c", "continuation", id="continuation then a comment"),
        pytest.param(
            'FROM debian AS b\nSHELL ["cmd", "/S", "/C"]\nFROM b\nCMD app',
            "not a POSIX shell",
            id="non-posix SHELL of the stage built on",
        ),
    ],
)
def test_root_final_user_no_fix(source: str, words: str | None) -> None:
    source = snippet(source)
    if words is None:
        assert_unchanged(RootFinalUser(), source)
        return
    [message] = assert_reports(RootFinalUser(), source, fixable=False)
    assert words in message
    assert_unchanged(RootFinalUser(), source)


@pytest.mark.parametrize(
    ("options", "words"),
    [
        pytest.param({"user": "Bad Name"}, "not a user name", id="bad name"),
        pytest.param({"uid": 0}, "above 0", id="root uid"),
        pytest.param({"gid": "x"}, "numbers", id="gid not a number"),
    ],
)
def test_bad_options_give_no_fix(options: dict[str, object], words: str) -> None:
    [message] = assert_reports(RootFinalUser(options), "FROM debian\nCMD app", fixable=False)
    assert words in message


@pytest.mark.parametrize("end", [" ", "\n", "\n\n", "  \n# c\n\n"])
def test_no_fix_when_blank_lines_follow_a_final_continuation(end: str) -> None:
    # The blank and comment lines belong to the RUN: a line added after them would too.
    source = f"FROM debian\nCMD app\nRUN a \\\n{end}"
    df = parse(source)
    assert isinstance(df, Dockerfile)
    [found] = check(df, [RootFinalUser()])
    assert found.fix is None and "continuation" in found.message
    assert fixed(RootFinalUser(), source, unsafe=True).text == source


def test_messages() -> None:
    [message] = assert_reports(RootFinalUser(), "FROM debian\nUSER root\nCMD app", fixable=False)
    assert message.startswith("`USER root` makes the final stage run as root; no fix:")
    assert "on purpose" in message
    [message] = assert_reports(RootFinalUser(), "FROM debian\nCOPY . /app\nCMD app", fixable=True)
    assert "unsafe" in message and "below 1024" in message
    [message] = assert_reports(RootFinalUser(), "FROM debian\nCMD app", fixable=True)
    assert message.startswith("The final stage runs as root")


@pytest.mark.parametrize(
    ("ref", "family"),
    [
        pytest.param("python:3.12-slim-bookworm", Family.DEBIAN, id="slim"),
        pytest.param("library/ruby", Family.DEBIAN, id="library namespace"),
        pytest.param("arm64v8/debian:12", Family.DEBIAN, id="architecture namespace"),
        pytest.param("node:20-alpine3.19", Family.ALPINE, id="alpine version tag"),
        pytest.param("openjdk:17-jdk-slim", Family.DEBIAN, id="slim openjdk"),
        pytest.param("openjdk:8-jdk-alpine", Family.ALPINE, id="alpine openjdk"),
        pytest.param("eclipse-temurin:21-ubi9-minimal", None, id="ubi tag"),
        pytest.param("maven:3-amazoncorretto-17", None, id="not a known image"),
        pytest.param("rockylinux:9-minimal", None, id="minimal rocky"),
        pytest.param("oraclelinux:8-slim", None, id="slim oracle linux"),
        pytest.param("python@sha256:abc", Family.DEBIAN, id="digest"),
        pytest.param("localhost:5000/python", None, id="other registry"),
        pytest.param("SCRATCH", Family.SCRATCH, id="scratch any case"),
    ],
)
def test_image_family(ref: str, family: Family | None) -> None:
    assert image_family(ref) is family


def test_blank_line_after_a_heredoc_at_the_stage_end() -> None:
    # hadolint cannot parse an instruction right after a heredoc terminator; BuildKit can.
    before = "FROM alpine:3.20\nCMD app\nRUN <<EOT\nset -e\necho hi\nEOT\n"
    after = f"FROM alpine:3.20\nCMD app\nRUN <<EOT\nset -e\necho hi\nEOT\n\n{ALPINE}\n"
    assert_fixes(RootFinalUser(), before, after, unsafe=True)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param('FROM ubuntu:22.04\nCMD ["python", "/root/app/server.py"]', id="cmd under /root"),
        pytest.param("FROM ubuntu:22.04\nWORKDIR /root/app\nCMD ./run", id="workdir /root"),
        pytest.param("FROM ubuntu:22.04\nENV TESSDATA=/root/share\nCMD ./run", id="env points into /root"),
        pytest.param("FROM ubuntu:22.04\nCMD ~/bin/start", id="tilde"),
    ],
)
def test_no_fix_when_the_app_lives_in_root_home(source: str) -> None:
    messages = assert_reports(RootFinalUser(), source, fixable=False)
    assert "/root" in messages[0]


def test_rootless_paths_that_only_look_alike_still_get_a_fix() -> None:
    assert_reports(RootFinalUser(), 'FROM ubuntu:22.04\nCMD ["/rootfs/bin/app"]', fixable=True)


# --- The redesign (issue 9): a non-root user that works -------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y libpq5\n"
            "COPY requirements.txt .\n"
            "RUN pip install -r requirements.txt\nCOPY . .\nCMD python app.py",
            f"FROM python:3.12-slim\nRUN apt-get update && apt-get install -y libpq5\n{CREATE}\n"
            "COPY requirements.txt .\nRUN pip install -r requirements.txt\n"
            f"{USER}\nCOPY . .\nCMD python app.py",
            id="the user's RUN goes before the first copy from the context, USER after the last RUN",
        ),
        pytest.param(
            "FROM python:3.12\nCOPY . /app\n"
            "RUN apt-get update && apt-get install -y x\nRUN pip install /app\nCMD app",
            f"FROM python:3.12\n{CREATE}\nCOPY . /app\nRUN apt-get update && apt-get install -y x\n"
            f"RUN pip install /app\n{USER}\nCMD app",
            id="USER after every RUN that installs into system paths",
        ),
        pytest.param(
            "FROM python:3.12\nCOPY --from=build /wheels /wheels\nCOPY . /app\nCMD app",
            f"FROM python:3.12\n{DEBIAN}\nCOPY --from=build /wheels /wheels\nCOPY . /app\nCMD app",
            id="a copy from another stage is not a copy from the context",
        ),
        pytest.param(
            "FROM python:3.12\n# the code\nCOPY . /app\nCMD app",
            f"FROM python:3.12\n{DEBIAN}\n# the code\nCOPY . /app\nCMD app",
            id="the RUN goes above the comment of the copy",
        ),
        pytest.param(
            "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci\nCMD node server.js",
            "FROM node:20-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci\nUSER node\nCMD node server.js",
            id="the node image's own user",
        ),
        pytest.param(
            "FROM php:8.2-cli\n"
            "RUN mkdir -p /srv/app && chown -R www-data:www-data /srv/app\nCOPY . /srv/app\n"
            "CMD php /srv/app/run.php",
            "FROM php:8.2-cli\n"
            "RUN mkdir -p /srv/app && chown -R www-data:www-data /srv/app\nUSER www-data\n"
            "COPY . /srv/app\nCMD php /srv/app/run.php",
            id="the user the file chowns to",
        ),
        pytest.param(
            "FROM debian:12\nCOPY . /app\nRUN mkdir /app/logs\nCMD /app/run",
            f"FROM debian:12\n{CREATE}\nCOPY . /app\nRUN mkdir /app/logs && chown -R 10001:10001 /app/logs\n"
            f"{USER}\nCMD /app/run",
            id="a log folder a RUN makes is given to the user in that RUN",
        ),
        pytest.param(
            "FROM debian:12\nCOPY . /app\nVOLUME /data\nCMD /app/run",
            "FROM debian:12\n"
            "RUN groupadd -r -g 10001 app && useradd --no-log-init -r -m -u 10001 -g app app"
            " && mkdir -p /data && chown -R 10001:10001 /data\n"
            f"{USER}\nCOPY . /app\nVOLUME /data\nCMD /app/run",
            id="a VOLUME is made and owned early",
        ),
        pytest.param(
            "FROM debian:12\nENV LOG_DIR=/logs DATABASE_URL=sqlite:////var/lib/app/app.db\n"
            "COPY . /app\nCMD /app/run",
            "FROM debian:12\nENV LOG_DIR=/logs DATABASE_URL=sqlite:////var/lib/app/app.db\n"
            "RUN groupadd -r -g 10001 app && useradd --no-log-init -r -m -u 10001 -g app app"
            " && mkdir -p /logs /var/lib/app && chown -R 10001:10001 /logs /var/lib/app\n"
            f"{USER}\nCOPY . /app\nCMD /app/run",
            id="log and database folders named in ENV",
        ),
        pytest.param(
            "FROM debian:12\nVOLUME /data\nCOPY seed.json /data/\nCMD run",
            "FROM debian:12\n"
            "RUN groupadd -r -g 10001 app && useradd --no-log-init -r -m -u 10001 -g app app"
            " && mkdir -p /data && chown -R 10001:10001 /data\n"
            f"VOLUME /data\n{USER}\nCOPY --chown=10001:10001 seed.json /data/\nCMD run",
            id="a copy into the user's folder gets --chown",
        ),
        pytest.param(
            "FROM debian:12\nCOPY . /app\nRUN mkdir /usr/local/share/x /app/cache\nCMD /app/run",
            f"FROM debian:12\n{CREATE}\nCOPY . /app\n"
            "RUN mkdir /usr/local/share/x /app/cache && chown -R 10001:10001 /app/cache\n"
            f"{USER}\nCMD /app/run",
            id="system and code folders stay root-owned",
        ),
        pytest.param(
            # shipwright 7f0a6642: `php -l` fills the opcache as root, and PHP writes its
            # cache files 0600: only an owner after that RUN can read them at run time.
            "FROM php:7-alpine\nRUN mkdir /opcache\n"
            "RUN echo 'opcache.file_cache=\"/opcache\"' >> /usr/local/etc/php/conf.d/opcache.ini\n"
            "COPY . /srv\nRUN php -l /srv/index.php\nCMD php /srv/index.php",
            "FROM php:7-alpine\nRUN mkdir /opcache\n"
            "RUN echo 'opcache.file_cache=\"/opcache\"' >> /usr/local/etc/php/conf.d/opcache.ini\n"
            "RUN addgroup -S -g 10001 app && adduser -S -D -h /home/app -u 10001 -G app app\n"
            f"COPY . /srv\nRUN php -l /srv/index.php && chown -R 10001:10001 /opcache\n{USER}\n"
            "CMD php /srv/index.php",
            id="a folder a RUN makes and nothing fills is given to the user after the last RUN",
        ),
    ],
)
def test_a_user_that_works(before: str, after: str) -> None:
    assert_fixes(RootFinalUser(), before, after, unsafe=True)


@pytest.mark.parametrize(
    ("source", "words"),
    [
        pytest.param("FROM python:3.12\nONBUILD COPY . /app\nCMD app", "`ONBUILD`", id="a base for others"),
        pytest.param('FROM debian\nCMD ["/usr/bin/supervisord", "-n"]', "`supervisord`", id="supervisord"),
        pytest.param('FROM debian\nENTRYPOINT ["/init"]', "`init`", id="s6-overlay's /init"),
        pytest.param("FROM phusion/baseimage\nCMD /sbin/my_init", "`my_init`", id="my_init"),
        pytest.param('FROM debian\nCMD ["/usr/sbin/sshd", "-D"]', "`sshd`", id="sshd"),
        pytest.param("FROM debian\nCMD apache2ctl -D FOREGROUND", "`apache2ctl`", id="apache"),
        pytest.param('FROM debian\nCMD ["runsvdir", "/etc/service"]', "`runsvdir`", id="runit"),
        pytest.param("FROM redis:7\nCMD redis-server /etc/redis.conf", "gosu", id="redis entrypoint"),
        pytest.param("FROM postgres:16\nCOPY init.sql /docker-entrypoint-initdb.d/", "gosu", id="postgres"),
        pytest.param("FROM nginx:1.25\nCOPY site /usr/share/nginx/html", "port 80", id="nginx"),
        pytest.param("FROM php:8.2-apache\nCOPY . /var/www/html", "www-data", id="php apache"),
        pytest.param("FROM python:3.12\nEXPOSE 80\nCMD app", "`EXPOSE 80`", id="expose 80"),
        pytest.param("FROM python:3.12\nEXPOSE 443/tcp\nCMD app", "`EXPOSE 443/tcp`", id="expose 443/tcp"),
        pytest.param(
            'FROM python:3.12\nCMD ["uvicorn", "main:app", "--host", "0.0.0.0", "--port", "80"]',
            "--port 80",
            id="uvicorn --port 80",
        ),
        pytest.param("FROM python:3.12\nCMD gunicorn -b 0.0.0.0:80 app:app", "0.0.0.0:80", id="gunicorn -b"),
        pytest.param("FROM python:3.12\nENV PORT=80\nCMD app", "`ENV PORT=80`", id="PORT in ENV"),
        pytest.param("FROM python:3.12\nUSER root\nCMD app", "on purpose", id="explicit USER root"),
        pytest.param(
            "FROM python:3.12\nCOPY . /app\nCMD python manage.py migrate && gunicorn app.wsgi",
            "migrates a database",
            id="migrate at start",
        ),
        pytest.param(
            "FROM python:3.12\nENV DATABASE_URL=sqlite:///app.db\nCOPY . /app\nCMD app",
            "sqlite database next to the code",
            id="relative sqlite URL",
        ),
        pytest.param(
            'FROM debian\nCOPY . /app\nSHELL ["pwsh", "-c"]\nRUN mkdir /app/data\nCMD ["/app/run"]',
            "not a POSIX shell",
            id="no chown under a non-POSIX shell",
        ),
        pytest.param("FROM amazonlinux:2023\nCMD app", "no `useradd`", id="amazon linux"),
        pytest.param(
            'FROM python:3.12\nCOPY . /app\nENTRYPOINT ["/bin/bash"]',
            "bare `/bin/bash`",
            id="bash entrypoint",
        ),
        pytest.param(
            'FROM python:3.12\nCOPY . /app\nCMD "/bin/bash"', "bare `/bin/bash`", id="quoted bash CMD"
        ),
        pytest.param(
            "FROM alpine:3.19\nRUN apk add --no-cache docker-cli\nCOPY . /app\nCMD /app/run",
            "`docker-cli`",
            id="docker client installed",
        ),
        pytest.param(
            'FROM debian\nLABEL com.github.actions.name="x"\nCOPY entrypoint.sh /\n'
            'ENTRYPOINT ["/entrypoint.sh"]',
            "GitHub Action",
            id="github action",
        ),
        pytest.param(
            'FROM python:3.6-onbuild\nEXPOSE 5000\nCMD ["python", "app.py"]',
            "ONBUILD triggers",
            id="onbuild base copies the code first",
        ),
        pytest.param(
            'FROM debian\nENTRYPOINT ["docker-php-entrypoint"]\nCMD ["php", "-a"]',
            "bare `php -a`",
            id="bare CMD behind a pass-through entrypoint",
        ),
        pytest.param(
            'FROM alpine\nENTRYPOINT ["/sbin/tini", "--"]\nCMD ["sh"]', "bare `sh`", id="tini then sh"
        ),
        pytest.param(
            "FROM python:3.12\nENV DOCKER_HOST unix://docker.sock\nCOPY . /app\nCMD python /app/a.py",
            "Docker socket",
            id="DOCKER_HOST",
        ),
        pytest.param(
            "FROM python:3.12\nVOLUME /var/run/docker.sock\nCOPY . /app\nCMD python /app/a.py",
            "Docker socket",
            id="docker.sock volume",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y redis-server\nCMD redis-server",
            "`redis-server`",
            id="redis installed",
        ),
        pytest.param(
            "FROM debian\nVOLUME $DATA\nCOPY . /app\nCMD /app/run", "variable", id="VOLUME $DATA unknown"
        ),
        pytest.param("FROM python:3.12\nCOPY . /app\nRUN pip install /app", "no `CMD`", id="no CMD: a base"),
        pytest.param(
            'FROM debian\nRUN build-python\nCMD ["python3"]', "bare `python3`", id="bare interpreter"
        ),
        pytest.param('FROM debian\nCMD ["php", "-a"]', "bare `php -a`", id="bare php -a"),
        pytest.param("FROM tomcat:9\nCOPY app.war /usr/local/tomcat/webapps/", "Tomcat", id="tomcat"),
        pytest.param('FROM debian\nCOPY . /app\nCMD ["catalina.sh", "run"]', "`catalina.sh`", id="catalina"),
        pytest.param(
            "FROM debian\nRUN apt-get install -y nginx curl\nCOPY run.sh /\nCMD /run.sh",
            "installs `nginx`",
            id="a server started by a script",
        ),
        pytest.param("FROM debian\nCOPY zshrc /root/.zshrc\nCMD zsh -l", "/root", id="copy into /root"),
        pytest.param('FROM debian\nVOLUME ["/root/.ros/log/"]\nCMD app', "/root", id="volume in /root"),
        pytest.param(
            "FROM oraclelinux:7-slim\nRUN yum install -y x\nCMD app", "no `useradd`", id="oracle slim"
        ),
        pytest.param("FROM buildpack-deps:%%TAG%%-scm\nCMD app", "placeholder", id="placeholder tag"),
        pytest.param(
            "FROM BASEIMAGE\nRUN apt-get install -y x\nCMD app", "placeholder", id="placeholder name"
        ),
    ],
)
def test_no_fix_when_a_non_root_user_would_break_the_image(source: str, words: str) -> None:
    [message] = assert_reports(RootFinalUser(), source, fixable=False)
    assert words in message, message
    assert "; no fix: " in message


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM jenkins/jenkins:lts\nCMD app", id="jenkins runs as jenkins"),
        pytest.param("FROM grafana/grafana\nCMD app", id="grafana runs as 472"),
        pytest.param("FROM jupyter/base-notebook\nCMD app", id="jupyter runs as jovyan"),
        pytest.param("FROM memcached:1.6\nCMD app", id="memcached runs as memcache"),
        pytest.param(
            "FROM ocaml/opam\nRUN sudo apt-get install -y m4\nCMD app", id="RUN sudo: a user already"
        ),
    ],
)
def test_bases_that_run_as_non_root_are_not_reported(source: str) -> None:
    df = parse(snippet(source))
    assert isinstance(df, Dockerfile)
    assert check(df, [RootFinalUser()]) == []


@pytest.mark.parametrize(
    ("files", "words"),
    [
        pytest.param({"app.py": "db = sqlite3.connect('app.db')\n"}, "`app.py` opens a sqlite", id="sqlite3"),
        pytest.param(
            {"site/settings.py": "DATABASES = {'NAME': BASE_DIR / 'db.sqlite3'}\n"},
            "`site/settings.py`",
            id="django settings",
        ),
        pytest.param({"data.db": ""}, "database file (`data.db`)", id="a database file"),
        pytest.param(
            {"c_to_f.py": 'logging.basicConfig(filename="record.log", level=logging.DEBUG)\n'},
            "`c_to_f.py` writes a file by a relative path",
            id="a log file next to the code (py3docker-log)",
        ),
        pytest.param(
            {"app.js": "fs.writeFileSync(x)\nconst out = open('out.log', 'a')\n"},
            "writes a file by a relative path",
            id="open for append",
        ),
    ],
)
def test_no_fix_when_the_code_writes_a_database_next_to_it(
    tmp_path: Path, files: dict[str, str], words: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    source = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nCMD python app.py\n"
    result = fix(source, [RootFinalUser()], Applicability.UNSAFE, BuildContext(tmp_path))
    assert not isinstance(result, ParseError)
    assert result.text == source
    [found] = result.remaining
    assert found.fix is None and words in found.message, found.message


@pytest.mark.parametrize(
    "fill",
    [
        pytest.param("RUN curl -o /srv/index.php https://example.com/x", id="a download into it"),
        pytest.param("RUN cd /srv && make", id="a command run in it"),
        pytest.param("RUN ./configure --prefix=/srv && make install", id="an option's value"),
        pytest.param("RUN tar -xzf /x.tgz -C/srv", id="a short option's value"),
        pytest.param("RUN echo hi > /srv/x", id="a redirection"),
        pytest.param("COPY site/ /srv/", id="a copy into it"),
        pytest.param("COPY rootfs/ /", id="a copy above it"),
        pytest.param("WORKDIR /srv\nRUN make", id="a WORKDIR there"),
        pytest.param("COPY x $DEST", id="a copy dffix cannot place"),
        pytest.param('RUN ["sh", "-c", "cp -r /x /srv"]', id="a RUN dffix cannot split"),
    ],
)
def test_a_folder_something_fills_stays_root_owned(fill: str) -> None:
    fill = fill.replace("/srv", "/srv/site")
    source = f"FROM debian:12\n{SETTINGS}\nRUN mkdir /srv/site\n{fill}\nCMD /app/run"
    result = fixed(RootFinalUser(), source, unsafe=True)
    assert result.changed and "chown" not in result.text, result.text


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            "WORKDIR /app\nCOPY package.json .\nRUN mkdir /app/node_modules && npm install",
            id="a RUN in a folder above it (npm install fills node_modules)",
        ),
        pytest.param(
            "WORKDIR /app\nCOPY . .\nRUN mkdir /app/build && cd build && make", id="cd by a relative path"
        ),
        pytest.param("COPY . /app\nRUN mkdir -p /app/config", id="a copy before the mkdir"),
        pytest.param('RUN mkdir /x && sh -c "cp /etc/hosts /x/"', id="a command in a string"),
        pytest.param("ENV D=/x\nRUN mkdir /x && cp /etc/hosts $D/", id="a path made of a variable"),
        pytest.param("ENV D=/x\nRUN mkdir /x\nWORKDIR $D\nRUN touch built", id="a WORKDIR set by a variable"),
        pytest.param('RUN mkdir /x\nWORKDIR "/x"\nRUN touch built', id="a quoted WORKDIR"),
        pytest.param("RUN mkdir /x\nWORKDIR /x/sub\nRUN touch built", id="a WORKDIR inside it"),
        pytest.param("RUN mkdir -p //usr/local/share/x", id="a system folder written with //"),
        pytest.param(
            "RUN mkdir -p /venv/lib\nRUN python3 -m venv /venv && /venv/bin/pip install flask",
            id="a command that names a folder above it",
        ),
        pytest.param(
            "RUN mkdir -p /opt/app/node_modules && npm install --prefix /opt/app express",
            id="an option naming a folder above it",
        ),
        pytest.param("RUN mkdir -p /app/plugins\nRUN tar -xzf /tmp/a.tgz -C /", id="`/` alone"),
        pytest.param(
            "RUN mkdir -p /opt/tool && cd /opt && git clone https://x/tool.git tool", id="cd above it"
        ),
        pytest.param(
            "ENV D=/deps\nRUN mkdir /deps\nRUN pip install --target=$D flask", id="an option's variable"
        ),
        pytest.param("WORKDIR /app\nCOPY app.py .\nRUN mkdir /x\nRUN cp -r . ../x", id="a path that climbs"),
    ],
)
def test_a_folder_the_stage_may_fill_stays_root_owned(source: str) -> None:
    result = fixed(RootFinalUser(), f"FROM debian:12\n{SETTINGS}\n{source}\nCMD /app/run", unsafe=True)
    assert result.changed and "chown" not in result.text, result.text


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN mkdir /x", id="no setting names it: nothing says the app writes there"),
        pytest.param(
            MKDIR.replace("mkdir /x", "[ -f /etc/x ] && mkdir /x || true"), id="a mkdir that may not run"
        ),
        pytest.param(
            "RUN mkdir -p '/srv/my files' && echo 'dir=\"/srv/my files\"' >> /etc/app.conf",
            id="a path the shell would split",
        ),
        pytest.param("RUN mkdir /x && echo 'dir=\"/x\"' 2>/dev/null", id="a setting written to no file"),
        pytest.param(MKDIR + "\nRUN cp -r /usr/share/php x", id="a relative path from / fills it"),
    ],
)
def test_an_empty_folder_is_not_given_away_without_a_sure_sign(source: str) -> None:
    result = fixed(RootFinalUser(), f"FROM debian:12\n{source}\nCMD run", unsafe=True)
    assert result.changed and "chown" not in result.text, result.text


@pytest.mark.parametrize(
    ("run", "owned"),
    [
        pytest.param("RUN [ -f /etc/x ] && mkdir /logs || true", False, id="a mkdir that may not run"),
        pytest.param("RUN apt-get update || true; mkdir /logs", True, id="a || in another list"),
        pytest.param("RUN if [ -f /etc/x ]; then mkdir /logs; fi", False, id="a mkdir inside an if"),
        pytest.param("RUN test -d /y && mkdir /logs; echo done", False, id="after && in a list not last"),
        pytest.param("RUN test -d /y && mkdir /logs", True, id="after && in the last list: the RUN fails"),
        pytest.param("RUN mkdir -p /logs & true", False, id="a mkdir in the background"),
    ],
)
def test_a_log_folder_is_given_away_only_when_its_mkdir_always_runs(run: str, owned: bool) -> None:
    result = fixed(RootFinalUser(), f"FROM debian:12\n{run}\nCMD run", unsafe=True)
    assert result.changed and ("chown -R 10001:10001 /logs" in result.text) == owned, result.text


def test_a_folder_a_parent_stage_fills_stays_root_owned() -> None:
    source = (
        "FROM debian:12 AS base\nCOPY app.py /srv2/\nFROM base\n"
        + SETTINGS
        + "\nRUN mkdir -p /srv2\nCMD python3 /srv2/app.py"
    )
    result = fixed(RootFinalUser(), source, unsafe=True)
    assert result.changed and "chown" not in result.text, result.text


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "FROM debian:12 AS base\nRUN useradd -m web\nFROM base\n" + MKDIR + "\n"
            "RUN apt-get update\nCMD run",
            "FROM debian:12 AS base\nRUN useradd -m web\nFROM base\n" + MKDIR + "\n"
            "RUN apt-get update && chown -R web /x\nUSER web\nCMD run",
            id="the user comes from the stage it is built on",
        ),
        pytest.param(
            "FROM debian:12\n" + MKDIR + "\nVOLUME /x\nRUN apt-get update\nCMD run",
            "FROM debian:12\n" + MKDIR + " && chown -R 10001:10001 /x\nVOLUME /x\nRUN apt-get update\n"
            f"{DEBIAN}\nCMD run",
            id="above the VOLUME of it: the legacy builder drops what a later RUN changes there",
        ),
        pytest.param(
            "FROM debian:12\nRUN mkdir /x && echo opcache.file_cache=/x >> /etc/php.ini\nRUN make\nCMD run",
            "FROM debian:12\nRUN mkdir /x && echo opcache.file_cache=/x >> /etc/php.ini\n"
            f"RUN make && chown -R 10001:10001 /x\n{DEBIAN}\nCMD run",
            id="an unquoted setting",
        ),
        pytest.param(
            "FROM debian:12\n" + MKDIR + "\nRUN php -m & true\nCMD run",
            "FROM debian:12\n" + MKDIR + f" && chown -R 10001:10001 /x\nRUN php -m & true\n{DEBIAN}\nCMD run",
            id="the last RUN runs something in the background: the mkdir's own RUN",
        ),
        pytest.param(
            "FROM debian:12\n" + MKDIR + "\nRUN php -l /x.php || exit 0\nCMD run",
            "FROM debian:12\n" + MKDIR + " && chown -R 10001:10001 /x\nRUN php -l /x.php || exit 0\n"
            f"{DEBIAN}\nCMD run",
            id="the last RUN may stop at `|| exit 0`: the mkdir's own RUN",
        ),
        pytest.param(
            "FROM debian:12\n" + MKDIR + "\nRUN apt-get update && exit 0\nCMD run",
            "FROM debian:12\n" + MKDIR + " && chown -R 10001:10001 /x\nRUN apt-get update && exit 0\n"
            f"{DEBIAN}\nCMD run",
            id="the last RUN ends in exit: the mkdir's own RUN",
        ),
        pytest.param(
            "FROM debian:12\n" + MKDIR + "\nRUN --mount=type=cache,target=/x make\nCMD run",
            "FROM debian:12\n" + MKDIR + " && chown -R 10001:10001 /x\n"
            f"RUN --mount=type=cache,target=/x make\n{DEBIAN}\nCMD run",
            id="the last RUN mounts a cache over it: the chown would change the cache",
        ),
        pytest.param(
            "FROM debian:12\n" + MKDIR + "\nRUN useradd -m web\nCMD run",
            "FROM debian:12\n" + MKDIR + "\nRUN useradd -m web && chown -R web /x\nUSER web\nCMD run",
            id="the last RUN creates the user the fix uses",
        ),
    ],
)
def test_where_an_empty_folder_is_given_to_the_user(before: str, after: str) -> None:
    assert_fixes(RootFinalUser(), before, after, unsafe=True)


def test_an_empty_workdir_gets_no_user() -> None:
    """shipwright 5b138ac5: a command-line tool run on files mounted at its WORKDIR
    (`docker run -v "$PWD:/app"`); as uid 10001 it could not write them."""
    source = (
        'FROM python:alpine\nRUN pip3 install policykit\nWORKDIR /app\nENTRYPOINT ["/usr/local/bin/pk"]\n'
        'CMD ["--help"]'
    )
    [message] = assert_reports(RootFinalUser(), source, fixable=False)
    assert "no fix: it looks like a command-line tool" in message, message
    assert "`WORKDIR /app` is empty in the image" in message, message


@pytest.mark.parametrize(
    "filled",
    [
        pytest.param("WORKDIR /app\nCOPY tool.py .", id="a copy into it"),
        pytest.param("COPY tool.py /app/tool.py\nWORKDIR /app", id="a copy before the WORKDIR"),
        pytest.param("WORKDIR /app\nRUN pip3 install -e .", id="a RUN in it"),
        pytest.param("RUN git clone https://example.com/x /app\nWORKDIR /app", id="a RUN that names it"),
        pytest.param("WORKDIR /app\nVOLUME /app", id="a VOLUME: the fix owns it"),
        pytest.param("WORKDIR /", id="the root folder"),
        pytest.param(
            "RUN curl -fsSL https://example.com/t.tgz | tar xz -C /opt\nWORKDIR /opt/tool",
            id="a RUN that names a folder above it",
        ),
        pytest.param(
            "WORKDIR /srv\nRUN git clone https://example.com/x.git app\nWORKDIR /srv/app",
            id="a RUN in a folder above it",
        ),
        pytest.param('WORKDIR "/app"\nCOPY tool.py /app/', id="a quoted WORKDIR"),
        pytest.param("WORKDIR /usr/local/lib/python3.12", id="a system folder: the base image fills it"),
        pytest.param("RUN tar -xf /t.tgz -C $DEST\nWORKDIR /app", id="a path made of a variable"),
        pytest.param("RUN git clone https://x/tool.git app\nWORKDIR /app", id="a relative path from /"),
        pytest.param(
            "RUN curl -fsSL https://x/t.tgz | tar -xz\nWORKDIR /app", id="tar unpacks where it runs"
        ),
    ],
)
def test_a_workdir_the_image_fills_gets_the_user(filled: str) -> None:
    source = (
        f'FROM python:3.12-alpine\nRUN pip3 install policykit\n{filled}\nENTRYPOINT ["/usr/local/bin/pk"]'
        '\nCMD ["--help"]'
    )
    [message] = assert_reports(RootFinalUser(), source, fixable=True)
    assert "no fix" not in message


@pytest.mark.parametrize(
    "start",
    [
        pytest.param('CMD ["serve"]', id="a CMD alone: a server may make its files there"),
        pytest.param('ENTRYPOINT ["/usr/local/bin/pk"]', id="no CMD"),
        pytest.param('ENTRYPOINT ["/usr/local/bin/pk"]\nCMD ["run"]', id="a CMD that is no option"),
        pytest.param('ENTRYPOINT /usr/local/bin/pk\nCMD ["--help"]', id="a shell-form ENTRYPOINT"),
        pytest.param('ENTRYPOINT ["python", "/srv/app.py"]\nCMD ["--port", "8000"]', id="a server's options"),
        pytest.param('ENTRYPOINT ["./pk"]\nCMD ["--help"]', id="a tool in its WORKDIR"),
    ],
)
def test_an_empty_workdir_of_what_is_not_a_tool_keeps_the_fix(start: str) -> None:
    source = f"FROM python:3.12-alpine\nRUN pip3 install policykit\nWORKDIR /app\n{start}"
    [message] = assert_reports(RootFinalUser(), source, fixable=True)
    assert "no fix" not in message


def test_a_workdir_a_parent_stage_fills_gets_the_user() -> None:
    source = (
        "FROM python:3.12-alpine AS base\nWORKDIR /app\nCOPY tool.py .\n"
        'FROM base\nENTRYPOINT ["python", "tool.py"]\nCMD ["--help"]'
    )
    [message] = assert_reports(RootFinalUser(), source, fixable=True)
    assert "no fix" not in message


def test_a_context_without_a_database_gets_the_fix(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("import psycopg\nconn = psycopg.connect('postgresql://db/app')\n")
    source = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nCMD python app.py\n"
    result = fix(source, [RootFinalUser()], Applicability.UNSAFE, BuildContext(tmp_path))
    assert not isinstance(result, ParseError)
    assert result.text == f"FROM python:3.12\nWORKDIR /app\n{DEBIAN}\nCOPY . .\nCMD python app.py\n"


@pytest.mark.parametrize(
    ("beside", "copy"),
    [
        pytest.param(("Dockerfile",), "COPY . /app", id="only the Dockerfile"),
        pytest.param(
            ("Dockerfile", ".dockerignore", "Dockerfile.dev", "api.Dockerfile", "Containerfile"),
            "COPY . /app",
            id="Dockerfiles and hidden files",
        ),
        pytest.param(("Dockerfile",), "ADD app.tar.gz config/ /app/", id="named sources"),
        pytest.param(("Dockerfile", "result"), "ADD conf /app", id="a file without an extension"),
    ],
)
def test_no_fix_when_the_folder_beside_the_dockerfile_holds_no_code(
    tmp_path: Path, beside: tuple[str, ...], copy: str
) -> None:
    """The corpus' case, and a Dockerfile built with another folder as its context: what
    the app writes and binds cannot be read (shipwright c537f961 writes its sqlite file next
    to the code, which only the repository shows)."""
    for name in beside:
        (tmp_path / name).write_text("FROM x\n")
    source = f"FROM python:3.12\nWORKDIR /app\n{copy}\nCMD python app.py\n"
    result = fix(source, [RootFinalUser()], Applicability.UNSAFE, BuildContext(tmp_path, "Dockerfile"))
    assert not isinstance(result, ParseError)
    assert result.text == source
    [found] = result.remaining
    assert found.fix is None
    assert f"the folder beside the Dockerfile holds none of the code `{copy.split(' /app')[0]}` copies" in (
        found.message
    )


def test_no_fix_when_the_code_comes_through_another_stage_and_the_folder_holds_none(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    source = (
        "FROM golang:1.22 AS build\nCOPY . /src\nRUN go build -o /out/app /src\n"
        "FROM debian:12\nCOPY --from=build /out/app /app\nCMD /app\n"
    )
    result = fix(source, [RootFinalUser()], Applicability.UNSAFE, BuildContext(tmp_path, "Dockerfile"))
    assert not isinstance(result, ParseError)
    assert result.text == source
    [found] = result.remaining
    assert found.fix is None and "holds none of the code `COPY .` copies" in found.message


@pytest.mark.parametrize(
    "beside",
    [
        pytest.param({"app.py": "print(1)\n"}, id="a source file"),
        pytest.param({"src/main.rs": "fn main() {}\n"}, id="a folder"),
        pytest.param({"pom.xml": "<project/>\n"}, id="a manifest"),
    ],
)
def test_a_folder_with_code_keeps_the_fix(tmp_path: Path, beside: dict[str, str]) -> None:
    for name, text in beside.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    source = "FROM debian:12\nWORKDIR /app\nCOPY target/app /app/\nCMD ./app\n"
    result = fix(source, [RootFinalUser()], Applicability.UNSAFE, BuildContext(tmp_path, "Dockerfile"))
    assert not isinstance(result, ParseError)
    assert "USER 10001:10001" in result.text


@pytest.mark.parametrize(
    "copy",
    [
        pytest.param("COPY --from=build /out /app", id="a copy from a stage"),
        pytest.param("ADD https://example.com/app.tar.gz /app/", id="a URL"),
        pytest.param("RUN curl -fsSLo app https://example.com/app", id="nothing copied"),
    ],
)
def test_a_folder_without_code_keeps_the_fix_when_nothing_comes_from_it(tmp_path: Path, copy: str) -> None:
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    source = f"FROM debian:12 AS build\nFROM debian:12\nWORKDIR /app\n{copy}\nCMD ./app\n"
    result = fix(source, [RootFinalUser()], Applicability.UNSAFE, BuildContext(tmp_path, "Dockerfile"))
    assert not isinstance(result, ParseError)
    assert "USER 10001:10001" in result.text


@pytest.mark.parametrize(
    ("source", "words"),
    [
        pytest.param(
            "FROM ubuntu:14.04\nRUN apt-get install -y tsdb\n"
            'CMD ["/usr/bin/tsdb", "--pidfile", "/var/run/tsdb.pid"]\n',
            "its CMD writes a pid file into `/var/run` (`--pidfile /var/run/tsdb.pid`)",
            id="a pid file in /var/run (buildkit-parser influxdb)",
        ),
        pytest.param(
            "FROM debian:12\nENTRYPOINT /usr/sbin/agentd --pid-file=/run/agentd.pid\n",
            "its ENTRYPOINT writes a pid file into `/run`",
            id="in /run, with =",
        ),
        pytest.param(
            "# TORUN -v /var/run/docker.sock:/var/run/docker.sock\nFROM debian:12\nCMD ./watch\n",
            "a comment says it runs with the Docker socket (`# TORUN -v /var/run/docker.sock",
            id="the Docker socket in a comment (buildkit-parser brimstone-consuldock)",
        ),
    ],
)
def test_no_fix_when_the_file_shows_the_app_needs_root_elsewhere(source: str, words: str) -> None:
    [message] = assert_reports(RootFinalUser(), source, fixable=False)
    assert words in message, message


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            "FROM debian:12\nCMD ./server --pidfile /var/run/app/server.pid\n", id="a folder of its own"
        ),
        pytest.param("FROM debian:12\nCMD ./server --pidfile /tmp/server.pid\n", id="in /tmp"),
        pytest.param('FROM debian:12\nLABEL notes="not docker.sock"\nCMD ./watch\n', id="not in a comment"),
    ],
)
def test_other_pid_files_and_mentions_keep_the_fix(source: str) -> None:
    assert "USER 10001:10001" in fixed(RootFinalUser(), source, unsafe=True).text


def test_a_later_mkdir_without_p_of_a_volume_keeps_working() -> None:
    # `mkdir /data` fails once the folder exists: the fix owns it where the RUN makes it.
    before = "FROM debian:12\nVOLUME /data\nCOPY . /app\nRUN mkdir /data\nCMD run\n"
    after = (
        f"FROM debian:12\nVOLUME /data\n{CREATE}\nCOPY . /app\n"
        f"RUN mkdir /data && chown -R 10001:10001 /data\n{USER}\nCMD run\n"
    )
    assert_fixes(RootFinalUser(), before, after, unsafe=True)


def test_the_user_gets_a_home() -> None:
    # npm, yarn, pip and jupyter write to $HOME: every created user gets one (-m, -h).
    for source, words in (
        ("FROM debian\nCMD app", "useradd --no-log-init -r -m "),
        ("FROM fedora:40\nCMD app", "useradd -r -m "),
        ("FROM alpine:3.19\nCMD app", "adduser -S -D -h /home/app "),
    ):
        assert words in fixed(RootFinalUser(), snippet(source), unsafe=True).text


def test_an_existing_user_is_given_its_folders_before_the_code_copy() -> None:
    # www-data exists in the base: the early RUN can name it, so no code change re-runs it.
    before = (
        "FROM php:8.2-cli\nRUN chown -R www-data /srv\nVOLUME /data\nCOPY . /srv\nRUN make -C /srv\n"
        "CMD php /srv/a.php\n"
    )
    after = (
        "FROM php:8.2-cli\nRUN chown -R www-data /srv\n"
        "RUN mkdir -p /data && chown -R www-data /data\nVOLUME /data\nCOPY . /srv\nRUN make -C /srv\n"
        "USER www-data\n"
        "CMD php /srv/a.php\n"
    )
    assert_fixes(RootFinalUser(), before, after, unsafe=True)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        pytest.param("main.go", 'log.Fatal(http.ListenAndServe(":80", nil))\n', id="go"),
        pytest.param("app.py", "app.run(host='0.0.0.0', port=80)\n", id="flask"),
        pytest.param("server.js", "app.listen(process.env.PORT || 80)\n", id="node"),
    ],
)
def test_no_fix_when_the_code_binds_a_low_port(tmp_path: Path, name: str, code: str) -> None:
    # traefik's whoami-style Go server: FROM scratch, no EXPOSE, and it listens on :80.
    (tmp_path / name).write_text(code)
    source = (
        f"FROM golang:1.22 AS build\nCOPY {name} .\nRUN make\n"
        'FROM scratch\nCOPY --from=build /server /\nENTRYPOINT ["/server"]\n'
    )
    result = fix(source, [RootFinalUser()], Applicability.UNSAFE, BuildContext(tmp_path))
    assert not isinstance(result, ParseError)
    assert result.text == source
    [found] = result.remaining
    assert found.fix is None and "below 1024" in found.message and f"`{name}`" in found.message


def test_a_high_port_in_the_code_keeps_the_fix(tmp_path: Path) -> None:
    (tmp_path / "main.go").write_text('http.ListenAndServe(":8080", nil)\n')
    source = 'FROM scratch\nCOPY server /\nENTRYPOINT ["/server"]\n'
    result = fix(source, [RootFinalUser()], Applicability.UNSAFE, BuildContext(tmp_path))
    assert not isinstance(result, ParseError)
    assert "USER 65532:65532" in result.text


def test_folders_named_by_variables_options_and_home_are_owned() -> None:
    before = (
        "FROM debian:12\nENV BB_CONTENT=/var/lib/nodebb HOME=/opt/svc\nVOLUME $BB_CONTENT\nCOPY . /app\n"
        'ENTRYPOINT ["consul-like", "agent", "-data-dir=/consul"]\n'
    )
    after = (
        "FROM debian:12\nENV BB_CONTENT=/var/lib/nodebb HOME=/opt/svc\n"
        "RUN groupadd -r -g 10001 app && useradd --no-log-init -r -m -u 10001 -g app app"
        " && mkdir -p /opt/svc /var/lib/nodebb /consul"
        " && chown -R 10001:10001 /opt/svc /var/lib/nodebb /consul\n"
        f"VOLUME $BB_CONTENT\n{USER}\nCOPY . /app\n"
        'ENTRYPOINT ["consul-like", "agent", "-data-dir=/consul"]\n'
    )
    assert_fixes(RootFinalUser(), before, after, unsafe=True)


def test_rails_gets_its_log_and_tmp_folders() -> None:
    before = 'FROM ruby:3.3\nWORKDIR /app\nCOPY . .\nCMD ["rails", "server", "-b", "0.0.0.0"]\n'
    after = (
        "FROM ruby:3.3\nWORKDIR /app\n"
        "RUN groupadd -r -g 10001 app && useradd --no-log-init -r -m -u 10001 -g app app"
        " && mkdir -p /app/log /app/tmp && chown -R 10001:10001 /app/log /app/tmp\n"
        f'{USER}\nCOPY . .\nCMD ["rails", "server", "-b", "0.0.0.0"]\n'
    )
    assert_fixes(RootFinalUser(), before, after, unsafe=True)


def test_old_node_tags_have_no_node_user() -> None:
    # docker-node added the `node` user in November 2016: node:4 and node:6 builds lack it.
    fixed_text = fixed(
        RootFinalUser(), snippet("FROM node:5\nCOPY . /app\nCMD node /app/a.js"), unsafe=True
    ).text
    assert "useradd" in fixed_text and "USER 10001:10001" in fixed_text
    assert "USER node" in fixed(RootFinalUser(), snippet("FROM node:18\nCMD node a.js"), unsafe=True).text


def test_a_volume_is_owned_before_its_volume_line() -> None:
    # The legacy builder drops what a RUN below a VOLUME line changes in it.
    before = "FROM debian:12\nRUN apt-get install -y x\nVOLUME /data\nCOPY . /app\nCMD /app/run\n"
    after = (
        "FROM debian:12\nRUN apt-get install -y x\n"
        "RUN groupadd -r -g 10001 app && useradd --no-log-init -r -m -u 10001 -g app app"
        " && mkdir -p /data && chown -R 10001:10001 /data\n"
        f"VOLUME /data\n{USER}\nCOPY . /app\nCMD /app/run\n"
    )
    assert_fixes(RootFinalUser(), before, after, unsafe=True)


def test_a_folder_a_later_run_fills_is_given_away_by_that_run() -> None:
    # An early chown would leave root-owned the files the later RUN puts there.
    before = (
        "FROM debian:12\nENV DATA_DIR=/var/lib/app\nCOPY . /app\nRUN cp -r /app/seed /var/lib/app\nCMD run\n"
    )
    after = (
        f"FROM debian:12\nENV DATA_DIR=/var/lib/app\n{CREATE}\nCOPY . /app\n"
        f"RUN cp -r /app/seed /var/lib/app && chown -R 10001:10001 /var/lib/app\n{USER}\nCMD run\n"
    )
    assert_fixes(RootFinalUser(), before, after, unsafe=True)


_SERVER_WORDS = ["apt-get", "install", "add", "-y", "nginx", "nginx-full", "supervisor", "x.nginx", "cron"]


@given(
    st.lists(
        st.sampled_from([*_SERVER_WORDS, "&&", ";", "|", "&", "echo", "\n", "tor", "mysql-server", "apk"]),
        max_size=14,
    ),
    st.booleans(),
)
def test_server_package_searched_piece_by_piece_is_the_whole_text_search(
    words: list[str], glue: bool
) -> None:
    from dffix.rules import runtime

    text = (";" if glue else " ").join(words)
    whole = re.compile(runtime._SERVER_PACKAGE.pattern).search(text)
    assert runtime._server_package_in(text) == (whole.group(1) if whole else None)


def test_a_run_of_thousands_of_lines_without_separators_names_its_server() -> None:
    # Searched whole, each `install` scanned to the end of the RUN: minutes at 10,000 lines.
    lines = " \\\n".join(f"    apt-get install -y pkg{i}" for i in range(10_000))
    df = parse(f'FROM debian\nRUN {lines} nginx\nCMD ["app"]\n')
    assert not isinstance(df, ParseError)
    from dffix.facts import compute_facts
    from dffix.rules import runtime

    facts = compute_facts(df)
    assert runtime.server_package((facts.stages[0],)) == "nginx"
