from __future__ import annotations

import json
from pathlib import Path

import pytest

from dffix.edits import Applicability
from dffix.facts import BuildContext
from dffix.fixer import check, fix
from dffix.rules.images import FullBaseImage, image_ref, slim_tag
from dffix.syntax import ParseError, parse
from tests.helpers import assert_fixes, assert_reports, assert_unchanged, snippet

# -- DF501 full-base-image ---------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("FROM python:3.12\nCMD python", "FROM python:3.12-slim\nCMD python", id="python minor"),
        pytest.param("FROM python:3.12.2", "FROM python:3.12.2-slim", id="python patch version"),
        pytest.param("FROM python", "FROM python:slim", id="no tag"),
        pytest.param("FROM python:latest", "FROM python:slim", id="latest"),
        pytest.param("FROM python:3.12-bookworm", "FROM python:3.12-slim-bookworm", id="python codename"),
        pytest.param("FROM python:bookworm", "FROM python:slim-bookworm", id="codename alone"),
        pytest.param("FROM ruby:3.3-bullseye", "FROM ruby:3.3-slim-bullseye", id="ruby codename"),
        pytest.param("FROM node:20", "FROM node:20-slim", id="node"),
        pytest.param("FROM node:20-bookworm", "FROM node:20-bookworm-slim", id="node codename goes first"),
        pytest.param("FROM node:lts", "FROM node:lts-slim", id="node lts"),
        pytest.param("FROM node:iron", "FROM node:iron-slim", id="node release name"),
        pytest.param(
            "FROM docker.io/library/python:3.12 AS app",
            "FROM docker.io/library/python:3.12-slim AS app",
            id="full registry path and stage name",
        ),
        pytest.param(
            "FROM --platform=linux/amd64 python:3.12",
            "FROM --platform=linux/amd64 python:3.12-slim",
            id="platform flag",
        ),
        pytest.param(
            "FROM python:3.12 AS build\nRUN apt-get update && apt-get install -y gcc\nRUN pip wheel -w /w x\n"
            "FROM python:3.12\nCOPY --from=build /w /w\nRUN pip install /w/*",
            "FROM python:3.12 AS build\nRUN apt-get update && apt-get install -y gcc\nRUN pip wheel -w /w x\n"
            "FROM python:3.12-slim\nCOPY --from=build /w /w\nRUN pip install /w/*",
            id="only the final stage",
        ),
        pytest.param(
            "FROM python:3.12 AS base\nFROM base\nCMD python",
            "FROM python:3.12-slim AS base\nFROM base\nCMD python",
            id="follows FROM stage to its image",
        ),
        pytest.param(
            "FROM python:3.12\nRUN apt-get update && apt-get install -y curl\nHEALTHCHECK CMD curl -f http://x/",
            "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y curl\nHEALTHCHECK CMD curl -f http://x/",
            id="tool installed by the Dockerfile",
        ),
        pytest.param(
            "FROM python:3.12\nRUN pip install --no-cache-dir flask psycopg2-binary",
            "FROM python:3.12-slim\nRUN pip install --no-cache-dir flask psycopg2-binary",
            id="pip packages with wheels",
        ),
        pytest.param(
            "FROM node:20\nRUN npm ci\nCMD node .", "FROM node:20-slim\nRUN npm ci\nCMD node .", id="npm"
        ),
        pytest.param(
            'FROM openjdk:17\nCOPY app.jar /app.jar\nENTRYPOINT ["java", "-jar", "/app.jar"]',
            'FROM eclipse-temurin:17-jre\nCOPY app.jar /app.jar\nENTRYPOINT ["java", "-jar", "/app.jar"]',
            id="openjdk that just runs a jar",
        ),
        pytest.param(
            "FROM openjdk:11-jdk\nCOPY app.jar /app.jar\nCMD java $OPTS -jar /app.jar",
            "FROM eclipse-temurin:11-jre\nCOPY app.jar /app.jar\nCMD java $OPTS -jar /app.jar",
            id="openjdk jdk tag and shell form",
        ),
    ],
)
def test_full_base_image_fixes(before: str, after: str) -> None:
    assert_fixes(FullBaseImage(), before, after, unsafe=True)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM python:3.12-slim", id="already slim"),
        pytest.param("FROM python:3.12-alpine", id="alpine"),
        pytest.param("FROM python:3.13-rc", id="pre-release tag"),
        pytest.param("FROM python:3.12-windowsservercore", id="Windows tag"),
        pytest.param("FROM python:3.12@sha256:" + "a" * 64, id="pinned by digest"),
        pytest.param("FROM python:3.12-slim@sha256:" + "a" * 64, id="slim pinned by digest"),
        pytest.param("ARG V=3.12\nFROM python:$V", id="tag from a variable"),
        pytest.param("FROM myorg/python:3.12", id="not an official image"),
        pytest.param("FROM debian:bookworm", id="other images"),
        pytest.param(
            "FROM python:3.12 AS build\nFROM python:3.12-slim\nCOPY --from=build /x /x", id="build stage"
        ),
        pytest.param("FROM openjdk:17-jdk-slim\nCMD java -jar x.jar", id="openjdk slim"),
        pytest.param("FROM openjdk:17-jre\nCMD java -jar x.jar", id="openjdk jre"),
        pytest.param(
            "FROM python:3.12\nRUN apt-get update && apt-get install -y build-essential", id="compilers"
        ),
        pytest.param(
            "FROM python:3.12\nRUN apt-get update && apt-get install -y libpq-dev", id="-dev package"
        ),
        pytest.param("FROM python:3.12\nRUN git clone https://x/y.git /src", id="git without installing it"),
        pytest.param("FROM node:20\nRUN wget -q https://x/y", id="wget"),
        pytest.param("FROM node:20\nRUN make -C /src", id="make"),
        pytest.param("FROM python:3.12\nHEALTHCHECK CMD curl -f http://localhost/", id="curl in HEALTHCHECK"),
        pytest.param('FROM python:3.12\nENTRYPOINT ["/usr/bin/git", "daemon"]', id="git in ENTRYPOINT"),
        pytest.param("FROM ruby:3.3\nRUN bundle install", id="bundle install"),
        pytest.param("FROM ruby:3.3\nRUN gem install nokogiri", id="gem install"),
        pytest.param("FROM python:3.12\nRUN pip install psycopg2", id="sdist-only package"),
        pytest.param("FROM python:3.12\nRUN python -m pip install mysqlclient==2.2", id="python -m pip"),
        pytest.param("FROM python:3.12\nRUN pip install weasyprint", id="needs the full image's libraries"),
        pytest.param("FROM python:3.12\nRUN pip install --no-binary :all: x", id="no-binary"),
        pytest.param("FROM python:3.12\nRUN pip install git+https://x/y", id="git requirement"),
        pytest.param("FROM node:20\nRUN npm install -g node-sass", id="node-gyp package"),
        pytest.param(
            "FROM python:3.12 AS base\nFROM base AS build\nRUN apt-get install -y gcc\nFROM base",
            id="shared base",
        ),
        pytest.param(
            "FROM python:3.12 AS base\nFROM alpine\nCOPY --from=base /usr/lib /usr/lib", id="copied from"
        ),
        pytest.param("FROM openjdk:17\nRUN apt-get update\nCMD java -jar x.jar", id="openjdk with a RUN"),
        pytest.param("FROM openjdk:17\nCOPY run.sh /\nCMD /run.sh", id="openjdk without java -jar"),
        pytest.param("FROM openjdk:18\nCMD java -jar x.jar", id="openjdk without a temurin jre"),
        pytest.param("FROM golang:1.22\nCMD /app", id="golang reported without fix"),
        pytest.param("FROM node:20\nONBUILD RUN git clone x", id="tool in ONBUILD"),
        pytest.param("FROM python:3.12\nONBUILD RUN apt-get install -y gcc", id="build tools in ONBUILD"),
        pytest.param("# escape=`\nFROM python:3.12", id="backtick escape"),
    ],
)
def test_full_base_image_unchanged(source: str) -> None:
    assert_unchanged(FullBaseImage(), source)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM node:onbuild", id="node onbuild"),
        pytest.param("FROM node:8-onbuild", id="node version onbuild"),
        pytest.param("FROM python:3-onbuild", id="python onbuild"),
        pytest.param("FROM ruby:onbuild", id="ruby onbuild"),
    ],
)
def test_onbuild_images_are_not_reported(source: str) -> None:
    df = parse(snippet(source))
    assert not isinstance(df, ParseError)
    assert check(df, [FullBaseImage()]) == []


def test_onbuild_without_install_in_a_stage_built_on_keeps_the_fix() -> None:
    source = 'FROM node:20 AS base\nONBUILD COPY . /app\nFROM base\nCMD ["node", "x.js"]'
    assert_reports(FullBaseImage(), source, fixable=True)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(
            "FROM python:3.12\nRUN apt-get update && apt-get install -y gcc",
            "no fix: it installs build tools (`gcc`): build in a `python:3.12` stage and copy the results "
            "into a `python:3.12-slim` final stage",
            id="build tools",
        ),
        pytest.param(
            "FROM python:3.12\nHEALTHCHECK CMD curl -f http://localhost/",
            "no fix: it runs `curl`, which `python:3.12-slim` lacks",
            id="tool",
        ),
        pytest.param(
            "FROM golang:1.22\nRUN go build -o /app\nCMD /app",
            "which holds the whole Go toolchain",
            id="golang final stage",
        ),
        pytest.param(
            "FROM rust:1.77\nCMD /app", "which holds the whole Rust toolchain", id="rust final stage"
        ),
        pytest.param(
            "FROM openjdk:17\nRUN mkdir /x\nCMD java -jar x.jar",
            "only for a stage that just starts `java -jar`",
            id="openjdk",
        ),
        pytest.param(
            "FROM node:20\nONBUILD COPY package.json /app/\nONBUILD RUN npm install",
            "no fix: its `ONBUILD` triggers run `npm install` in the images built on it, whose native "
            "modules need the compilers `node:20-slim` lacks",
            id="onbuild npm install",
        ),
        pytest.param(
            "FROM python:3.12\nONBUILD RUN pip install --no-cache-dir -r requirements.txt",
            "its `ONBUILD` triggers run `pip install`",
            id="onbuild pip install",
        ),
        pytest.param(
            "FROM ruby:3.3\nONBUILD RUN bundle install",
            "its `ONBUILD` triggers run `bundle install`",
            id="onbuild bundle install",
        ),
        pytest.param(
            "FROM node:20\nONBUILD RUN yarn", "its `ONBUILD` triggers run `yarn`", id="onbuild bare yarn"
        ),
        pytest.param(
            "FROM node:20\nONBUILD RUN npm ci --omit=dev",
            "its `ONBUILD` triggers run `npm ci`",
            id="onbuild npm ci",
        ),
        pytest.param(
            "FROM python:3.12\nONBUILD RUN python -m pip install .",
            "its `ONBUILD` triggers run `pip install`",
            id="onbuild python -m pip",
        ),
        pytest.param(
            'FROM node:20\nONBUILD COPY . /app\nCMD ["node", "/app"]',
            "it has `ONBUILD` triggers, so it is a base for other images",
            id="final stage with onbuild is a base image",
        ),
        pytest.param(
            'FROM node:20 AS base\nONBUILD RUN yarn install\nFROM base\nCMD ["node", "x.js"]',
            "the `ONBUILD` triggers of the stage it is built on run `yarn install`",
            id="onbuild install of the stage built on",
        ),
    ],
)
def test_full_base_image_reports_without_fix(source: str, expected: str) -> None:
    messages = assert_reports(FullBaseImage(), source, fixable=False)
    assert len(messages) == 1
    assert expected in messages[0]


def test_full_base_image_message_says_what_to_check() -> None:
    [message] = assert_reports(FullBaseImage(), "FROM python:3.12", fixable=True)
    assert message.startswith("The final stage runs on the full `python:3.12` image; `python:3.12-slim`")
    assert "`git`, `curl`, `wget`" in message


def test_full_base_image_is_unsafe() -> None:
    result = fix("FROM python:3.12\n", [FullBaseImage()], Applicability.SAFE)
    assert not isinstance(result, ParseError)
    assert result.text == "FROM python:3.12\n"


def _check(source: str, root: Path) -> list[tuple[str, bool]]:
    df = parse(snippet(source))
    assert not isinstance(df, ParseError)
    return [(v.message, v.fix is not None) for v in check(df, [FullBaseImage()], BuildContext(root))]


@pytest.mark.parametrize(
    ("files", "fixable"),
    [
        pytest.param({"requirements.txt": "flask==3.0\npsycopg2-binary\n"}, True, id="wheels only"),
        pytest.param(
            {"requirements.txt": "flask==3.0\npsycopg2==2.9 ; python_version>'3'\n"}, False, id="psycopg2"
        ),
        pytest.param(
            {"requirements.txt": "git+https://example.com/x.git#egg=x\n"}, False, id="git requirement"
        ),
        pytest.param({}, True, id="requirements file not in the context"),
    ],
)
def test_full_base_image_reads_requirements(tmp_path: Path, files: dict[str, str], fixable: bool) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    source = "FROM python:3.12\nCOPY requirements.txt /app/\nRUN pip install -r /app/requirements.txt"
    [(_, found)] = _check(source, tmp_path)
    assert found is fixable


@pytest.mark.parametrize(
    ("package", "fixable"),
    [
        pytest.param({"dependencies": {"express": "^4"}}, True, id="plain packages"),
        pytest.param({"dependencies": {"canvas": "^2"}}, False, id="node-gyp package"),
        pytest.param({"dependencies": {"x": "github:me/x"}}, False, id="git dependency"),
        pytest.param({"devDependencies": {"y": "git+https://x/y.git"}}, False, id="git dev dependency"),
    ],
)
def test_full_base_image_reads_package_json(tmp_path: Path, package: object, fixable: bool) -> None:
    (tmp_path / "package.json").write_text(json.dumps(package))
    [(_, found)] = _check("FROM node:20\nCOPY . .\nRUN npm ci\nCMD node .", tmp_path)
    assert found is fixable


@pytest.mark.parametrize(
    ("name", "tag", "expected"),
    [
        pytest.param("python", "3", "3-slim", id="major"),
        pytest.param("python", "3.12-slim-bookworm", None, id="slim codename"),
        pytest.param("python", "3.12-bookworm-slim", None, id="odd order"),
        pytest.param("node", "lts-bookworm", "lts-bookworm-slim", id="node lts codename"),
        pytest.param("node", "20-alpine", None, id="node alpine"),
        pytest.param("golang", "1.22", None, id="golang has no slim"),
    ],
)
def test_slim_tag(name: str, tag: str, expected: str | None) -> None:
    assert slim_tag(name, tag) == expected


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        pytest.param("python:3.12", ("python", "3.12"), id="tagged"),
        pytest.param("library/python", ("library/python", None), id="library path"),
        pytest.param("arm64v8/node:20", ("arm64v8/node", "20"), id="architecture copy"),
        pytest.param("localhost:5000/python:3.12", None, id="private registry"),
        pytest.param("ghcr.io/x/python:3.12", None, id="other registry"),
    ],
)
def test_image_ref(ref: str, expected: tuple[str, str | None] | None) -> None:
    found = image_ref(ref)
    assert (None if found is None else (found.path, found.tag)) == expected


@pytest.mark.parametrize(
    ("setup", "fixable"),
    [
        pytest.param("from setuptools import setup\nsetup(name='x')\n", True, id="pure Python"),
        pytest.param("setup(ext_modules=[Extension('x', ['x.c'])])\n", False, id="C extension"),
        pytest.param(None, True, id="no setup.py"),
    ],
)
@pytest.mark.parametrize("command", ["pip install .", "python setup.py install"])
def test_full_base_image_reads_setup_py(
    tmp_path: Path, setup: str | None, fixable: bool, command: str
) -> None:
    if setup is not None:
        (tmp_path / "setup.py").write_text(setup)
    [(_, found)] = _check(f"FROM python:3.12\nCOPY . /src\nWORKDIR /src\nRUN {command}", tmp_path)
    assert found is fixable
