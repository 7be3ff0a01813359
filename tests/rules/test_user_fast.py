"""DF301's shortcuts (issue 14) give what the plain computation gives.

`tests/user_reference.py` keeps DF301 as it was before them, with no cache of its own;
here both check the same files and must say the same, violation for violation (span,
message, fix): the corpus as written, as fixed at both levels and shifted by a line, each
text checked twice so that the second check answers from the caches, and generated files.
The package-manager scan that replaced a findall is held to that findall on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

import pytest
from hypothesis import given, strategies as st

from dffix import api, memo
from dffix.config import ConfigError
from dffix.facts import BuildContext, compute_facts
from dffix.rules import runtime
from dffix.rules.user import RootFinalUser
from dffix.syntax import Dockerfile, ParseError, parse
from tests import user_reference
from tests.corpus import corpus_files, decode
from tests.test_fuzz import dockerfiles, fuzz_settings, mutated

_OPTIONS: tuple[dict[str, object], ...] = ({}, {"user": "svc", "uid": 2000, "gid": 3000})


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    """Leave the file caches empty, as the command line does after each file."""
    yield
    memo.forget()


@cache
def corpus_cases() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Return each corpus file's path and its texts: as written, fixed (safe and unsafe,
    every rule) and shifted down by a comment line."""
    cases = []
    for path in corpus_files():
        text = decode(path.read_bytes())
        found = [text, "# shifted\n" + text]
        for unsafe in (False, True):
            rule_set = api.rule_set_for(str(path), api.Overrides(select=("ALL",), unsafe_fixes=unsafe))
            assert not isinstance(rule_set, ConfigError)
            fixed = api.fix_text(text, rule_set, api.build_context(str(path)))
            if not isinstance(fixed, ParseError) and fixed.text not in found:
                found.append(fixed.text)
        memo.forget()
        cases.append((str(path), tuple(found)))
    return tuple(cases)


def assert_same(text: str, context: BuildContext | None) -> None:
    df = parse(text)
    if not isinstance(df, Dockerfile):
        return
    for options in _OPTIONS:
        rule, plain = RootFinalUser(options), user_reference.RootFinalUser(options)
        expected = list(plain.check(df, compute_facts(df, context)))
        for _ in range(2):  # the second check answers from the caches
            assert list(rule.check(df, compute_facts(df, context))) == expected


def test_df301_agrees_with_the_plain_rule_on_the_corpus() -> None:
    cases = corpus_cases()
    if not cases:
        pytest.skip("../shared/corpus not present")
    for path, texts in cases:
        # One context per file, as one run has: its reads are kept across the texts.
        context = api.build_context(path)
        for text in texts:
            assert_same(text, context)
        memo.forget()


@fuzz_settings(300)
@given(st.one_of(dockerfiles(), dockerfiles().flatmap(mutated)).map(decode))
def test_df301_agrees_with_the_plain_rule(text: str) -> None:
    assert_same(text, None)


# Lines DF301 reads something of, to build files that reach its every refusal and fix:
# the bases and lines that refuse a fix outright are drawn less often than the others.
_BASES = (
    "python:3.12-slim",
    "node:20",
    "node:6",
    "alpine:3.19",
    "golang:1.22-alpine",
    "ubuntu:22.04",
    "gcr.io/distroless/static",
    "scratch",
    "centos:7",
    "openjdk:17",
    "oven/bun",
)
_RARE_BASES = (
    "nginx:1.25",
    "php:8-fpm",
    "python:3-onbuild",
    "amazonlinux:2",
    "bitnami/redis",
    "mcr.microsoft.com/windows/servercore",
    "$BASE",
    "%%IMAGE%%",
    "fedora:39-minimal",
)
_LINES = (
    "USER app",
    "USER 1000:1000",
    "RUN useradd -r -u 1001 app",
    "RUN adduser -D svc",
    "RUN adduser svc staff",
    "RUN groupadd app && useradd -g app app",
    "RUN chown -R 1000:1000 /srv/app",
    "RUN chown app /data",
    "RUN apt-get update && apt-get install -y curl",
    "RUN apk add --no-cache curl",
    "RUN yum install -y x",
    "RUN mkdir -p /app/logs /app/data",
    "RUN mkdir /var/cache/x",
    "RUN tar -x -C /app/logs -f a.tgz",
    'RUN ["sh", "-c", "mkdir /data"]',
    "COPY . /app",
    "COPY --from=build /out /app",
    "COPY app.py /app/logs/",
    "ADD x.tgz /opt/",
    "COPY --chown=1:1 a /data/a",
    "WORKDIR /app",
    "EXPOSE 8080/tcp",
    "ENV PORT 8080",
    "ENV HOME=/home/app",
    "ENV DATA_DIR=/data LOG_FILE=/var/log/app/app.log",
    "ENV DATABASE_URL=sqlite:////data/app.db",
    "VOLUME /data",
    'VOLUME ["/uploads"]',
    "VOLUME $DATA_DIR",
    "HEALTHCHECK CMD curl -f http://localhost/",
    "LABEL maintainer=me",
    'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
    "ARG X=1",
    "RUN echo hi \\\n  && echo there",
    "# a comment",
)
_RARE_LINES = (
    "USER root",
    "USER $U",
    "user 0:0",
    "RUN useradd $NAME",
    "RUN apk add --no-cache nginx",
    "RUN dnf install -y tor",
    "RUN pip install docker",
    "RUN sudo apt-get install -y x",
    "RUN apt-get install -y gosu",
    "COPY conf /root/.config",
    "WORKDIR /root",
    "EXPOSE 80",
    "ENV PORT=80",
    "ENV DATABASE_URL=sqlite:///app.db",
    "ENV DOCKER_HOST unix:///var/run/docker.sock",
    "VOLUME /root/x",
    "LABEL com.github.actions.name=x",
    "ONBUILD COPY . /app",
    'SHELL ["pwsh", "-c"]',
)
_STARTS = (
    'CMD ["python", "main.py"]',
    "CMD python3",
    'CMD ["bash"]',
    "CMD gunicorn -b 0.0.0.0:80 app",
    "CMD gunicorn -b 0.0.0.0:8000 app",
    "CMD app --port 443",
    'CMD ["app", "-p", "8080"]',
    "CMD node server.js --listen=:81",
    "CMD supervisord -n",
    "CMD python manage.py migrate && gunicorn app",
    "CMD rails server",
    "CMD puma -C config/puma.rb",
    "CMD app --data-dir=/var/lib/app",
    "CMD ~/start.sh",
    'ENTRYPOINT ["docker-entrypoint.sh"]',
    'ENTRYPOINT ["/bin/bash"]',
    "ENTRYPOINT tini --",
    'ENTRYPOINT ["/sbin/my_init"]',
)


def _one_of(common: tuple[str, ...], rare: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(common), st.sampled_from(common), st.sampled_from(common + rare))


@st.composite
def df301_files(draw: st.DrawFn) -> str:
    """Return a file of one to three stages made of those lines, each maybe built FROM an
    earlier one, most ending in a CMD or ENTRYPOINT."""
    stages = []
    for index in range(draw(st.integers(1, 3))):
        base = draw(_one_of((*_BASES, *(f"s{i}" for i in range(index))), _RARE_BASES))
        lines = draw(st.lists(st.one_of(_one_of(_LINES, _RARE_LINES), st.sampled_from(_STARTS)), max_size=10))
        start = draw(st.lists(st.sampled_from(_STARTS), max_size=2))
        stages.append("\n".join([f"FROM {base} AS s{index}", *lines, *start]))
    return "\n".join(stages) + draw(st.sampled_from(("\n", "", "\n\n")))


@fuzz_settings(1500)
@given(df301_files())
def test_df301_agrees_with_the_plain_rule_on_its_own_lines(text: str) -> None:
    assert_same(text, None)


_PLAIN_PACKAGE_RE = re.compile(r"(?:^|[\s;&|(])(apt-get|apt|apk|yum|dnf)\s+\S")
_PIECES = st.sampled_from(
    (
        "apt",
        "apt-get",
        "apk",
        "yum",
        "dnf",
        "-get",
        "x",
        "a",
        " ",
        "  ",
        "\t",
        "\n",
        "\xa0",
        "\u2003",
        *";&|()=/'\"",
    )
)


@fuzz_settings(2000)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_package_managers_agree_with_the_plain_findall(text: str) -> None:
    assert runtime._package_managers(text) == tuple(_PLAIN_PACKAGE_RE.findall(text))


def test_package_managers_agree_with_the_plain_findall_on_the_corpus() -> None:
    for _, texts in corpus_cases():
        for text in texts:
            df = parse(text)
            for instr in df.all_instructions if isinstance(df, Dockerfile) else ():
                joined = " ".join(instr.values)
                assert runtime._package_managers(joined) == tuple(_PLAIN_PACKAGE_RE.findall(joined))


_SERVER_PIECES = st.sampled_from(
    (
        *("install", "add", "apt-get", "pip", "-y", "x", "nginx", "nginx-full", "tor", "s6", "cron"),
        *("mysql-server", "xmysqlx-server", "docker.io", "libpcap0.8", "openssh-server", "addx"),
        *(" ", "  ", "\t", "\n", "\xa0", *";&|=\"'.-/_"),
    )
)


@fuzz_settings(3000)
@given(st.lists(_SERVER_PIECES, max_size=30).map("".join))
def test_server_package_agrees_with_the_whole_text_search(text: str) -> None:
    whole = runtime._SERVER_PACKAGE.search(text)
    expected = whole.group(1) if whole else None
    assert runtime._server_package_in(text) == user_reference._server_package_in(text) == expected


def test_server_package_agrees_with_the_plain_reading_on_the_corpus() -> None:
    for _, texts in corpus_cases():
        for text in texts:
            df = parse(text)
            for instr in df.all_instructions if isinstance(df, Dockerfile) else ():
                joined = " ".join(instr.values) or instr.args
                assert runtime._server_package_in(joined) == user_reference._server_package_in(joined)


_IMAGE_PIECES = st.sampled_from(
    [
        *(
            "docker.io/",
            "index.docker.io/",
            "library/",
            "quay.io/",
            "cgr.dev/",
            "arm64v8/",
            "s390x/",
            "ppc64le/",
        ),
        *("bitnami/", "jupyter/", "jenkins/jenkins", "grafana/grafana", "sonarqube", "memcached", "kibana"),
        *("docker.elastic.co/", "logstash", "/", ":", "@", "\n", "python", "nonroot", "rootless", "chiseled"),
        *("windows", "servercore", "dotnet/framework", "microsoft/iis", "microsoft/aspnet", "a", "-", "1"),
    ]
)


@fuzz_settings(600)
@given(st.lists(_IMAGE_PIECES, max_size=6).map("".join))
def test_the_image_name_tests_answer_as_the_patterns_they_were(ref: str) -> None:
    from dffix.rules import user

    assert user.is_windows_image(ref) == user_reference.is_windows_image(ref)
    assert user.is_official_image(ref) == user_reference.is_official_image(ref)
    assert user._nonroot_base(ref.lower()) == bool(user_reference._NONROOT_BASE.search(ref.lower()))
    mine, theirs = user.image_family(ref), user_reference.image_family(ref)
    assert (mine and mine.name) == (theirs and theirs.name)


def test_the_image_name_tests_answer_as_the_patterns_they_were_on_the_corpus() -> None:
    from dffix.rules import user

    parsed = [parse(decode(path.read_bytes())) for path in corpus_files()]
    dfs = [df for df in parsed if isinstance(df, Dockerfile)]
    refs = {instr.values[0] for df in dfs for instr in df.instructions("FROM") if instr.values}
    assert len(refs) > 250
    for ref in refs:
        assert user._nonroot_base(ref.lower()) == bool(user_reference._NONROOT_BASE.search(ref.lower())), ref
        assert user.is_official_image(ref.split(":")[0]) == user_reference.is_official_image(
            ref.split(":")[0]
        )
        assert user.is_windows_image(ref) == user_reference.is_windows_image(ref), ref
