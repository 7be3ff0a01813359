from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from dffix.edits import Applicability
from dffix.facts import BuildContext
from dffix.fixer import check, fix
from dffix.rules import ALL_RULES
from dffix.rules.apt import AptListsNotRemoved
from dffix.rules.base import Rule, Violation
from dffix.rules.packages import (
    ApkCacheKept,
    AptGetInstallRecommends,
    AptGetWithoutYes,
    DnfCacheKept,
    NpmCacheKept,
    PackageInstallWithoutYes,
    PipCacheKept,
    UnsortedPackageList,
    YumCacheKept,
    ZypperCacheKept,
)
from dffix.syntax import ParseError, parse
from tests.helpers import assert_fixes, assert_reports, assert_unchanged, fixed, snippet
from tests.test_hostile import assert_linear

MOUNT = {"cache-style": "mount"}
SYNTAX = "# syntax=docker/dockerfile:1\n"


def _reported(rule: Rule, source: str) -> list[Violation]:
    """Return what `rule` reports in a snippet."""
    df = parse(snippet(source))
    assert not isinstance(df, ParseError), df
    return list(check(df, [rule]))


def _head(source: str, image: str) -> str:
    return source if source.startswith(("FROM", "#")) else f"FROM {image}\n{source}"


# -- DF104 unsorted-package-list ---------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "RUN apt-get install -y git curl", "RUN apt-get install -y curl git", id="one line stays one line"
        ),
        pytest.param(
            "RUN apt-get install -y \\\n    git \\\n    curl \\\n    bash",
            "RUN apt-get install -y \\\n    bash \\\n    curl \\\n    git",
            id="one per line keeps its lines",
        ),
        pytest.param(
            "RUN apt-get install -y \\\n\t\tgit curl \\\n\t\tbash \\\n\t; \\\n\techo done",
            "RUN apt-get install -y \\\n\t\tbash curl \\\n\t\tgit \\\n\t; \\\n\techo done",
            id="several on a line keep their lines and indentation",
        ),
        pytest.param(
            "RUN apt-get install -y zsh curl \\\n    bash && rm -rf /var/lib/apt/lists/*",
            "RUN apt-get install -y bash curl \\\n    zsh && rm -rf /var/lib/apt/lists/*",
            id="first packages stay on the install line",
        ),
        pytest.param(
            "RUN apt-get install -y zlib1g curl-dev curl=7.88.1-10",
            "RUN apt-get install -y curl=7.88.1-10 curl-dev zlib1g",
            id="version pins sort by name",
        ),
        pytest.param(
            "RUN yum install -y perl-Digest-MD5 ImageMagick gcc",
            "RUN yum install -y gcc ImageMagick perl-Digest-MD5",
            id="case-insensitive",
        ),
        pytest.param(
            "RUN apk add --no-cache --virtual .build-deps musl-dev gcc",
            "RUN apk add --no-cache --virtual .build-deps gcc musl-dev",
            id="option value is not a package",
        ),
        pytest.param(
            "RUN apt-get install b a --no-install-recommends -y",
            "RUN apt-get install --no-install-recommends -y a b",
            id="options after packages move first",
        ),
        pytest.param(
            "RUN apk add b --virtual .deps a", "RUN apk add --virtual .deps a b", id="option with value moves"
        ),
        pytest.param(
            "RUN apt-get install -y \\\n    b \\\n    --no-install-recommends \\\n    a",
            "RUN apt-get install -y \\\n    --no-install-recommends \\\n    a \\\n    b",
            id="option moves within one per line",
        ),
        pytest.param("RUN dnf install -y b a", "RUN dnf install -y a b", id="dnf"),
        pytest.param(
            "RUN apt-get install -q=2 b a", "RUN apt-get install -q=2 a b", id="short option with a value"
        ),
        pytest.param("RUN microdnf install b a", "RUN microdnf install a b", id="microdnf"),
        pytest.param("RUN zypper -n in b a", "RUN zypper -n in a b", id="zypper in with a global option"),
        pytest.param("RUN sudo -E apt-get install -y b a", "RUN sudo -E apt-get install -y a b", id="sudo"),
        pytest.param(
            "RUN apt-get install -y b a && apk add d c",
            "RUN apt-get install -y a b && apk add c d",
            id="each command of the RUN",
        ),
        pytest.param(
            "RUN apt-get -o Dpkg::Options::=--force-confold install -y b a",
            "RUN apt-get -o Dpkg::Options::=--force-confold install -y a b",
            id="option value before the subcommand",
        ),
        pytest.param(
            "RUN apt-get install -y \\\n    # the tools\n    b \\\n    a",
            "RUN apt-get install -y \\\n    # the tools\n    a \\\n    b",
            id="comment line above the whole list stays",
        ),
        pytest.param(
            "RUN apt-get install -y \\\n    zsh curl \\\n\\\n    \\\n\n    bash",
            "RUN apt-get install -y \\\n    curl zsh \\\n\\\n    \\\n\n    bash",
            id="empty lines stay and separate groups",
        ),
        pytest.param(
            "FROM debian AS build\nRUN apt-get install -y b a\nFROM debian\nCOPY --from=build /x /x",
            "FROM debian AS build\nRUN apt-get install -y a b\nFROM debian\nCOPY --from=build /x /x",
            id="every stage",
        ),
    ],
)
def test_unsorted_package_list_fixes(before: str, after: str) -> None:
    assert_fixes(UnsortedPackageList(), _head(before, "debian"), _head(after, "debian"))


def test_unsorted_package_list_crlf_and_backtick_escape() -> None:
    before = "# escape=`\r\nFROM debian\r\nRUN apt-get install -y c b `\r\n    a\r\n"
    after = "# escape=`\r\nFROM debian\r\nRUN apt-get install -y a b `\r\n    c\r\n"
    result = fix(before, [UnsortedPackageList()])
    assert not isinstance(result, ParseError)
    assert result.text == after


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            """
            RUN apt-get install -y \\
                zlib1g-dev libssl-dev curl \\
                git build-essential ca-certificates \\
                wget
            """,
            """
            RUN apt-get install -y \\
                build-essential ca-certificates curl \\
                git libssl-dev wget \\
                zlib1g-dev
            """,
            id="three a line stay three a line",
        ),
        pytest.param(
            """
            RUN apt-get install -y \\
                # build tools
                make gcc \\
                # runtime
                zlib1g curl
            """,
            """
            RUN apt-get install -y \\
                # build tools
                gcc make \\
                # runtime
                curl zlib1g
            """,
            id="comment lines split the list into groups sorted on their own",
        ),
        pytest.param(
            """
            RUN apt-get install -y \\
                zsh curl \\
                \\
                wget bash
            """,
            """
            RUN apt-get install -y \\
                curl zsh \\
                \\
                bash wget
            """,
            id="an empty continuation line splits the list",
        ),
        pytest.param(
            """
            RUN apt-get install -y \\
                b a \\
                # more
                d --no-install-recommends c
            """,
            """
            RUN apt-get install -y \\
                a b \\
                # more
                --no-install-recommends c d
            """,
            id="an option moves to the front of its own group",
        ),
        pytest.param(
            "RUN apk add \\\n  py3-pip   make \\\n  gcc \\\n  bash\\\n  zsh git",
            "RUN apk add \\\n  bash   gcc \\\n  git \\\n  make\\\n  py3-pip zsh",
            id="spacing between words stays",
        ),
        pytest.param(
            """
            RUN apt-get install -y \\
                    mysql-client libmysqlclient-dev \\
                    gcc zlib1g \\
                --no-install-recommends && rm -rf /var/lib/apt/lists/*
            """,
            """
            RUN apt-get install -y \\
                    gcc libmysqlclient-dev \\
                    mysql-client zlib1g \\
                --no-install-recommends && rm -rf /var/lib/apt/lists/*
            """,
            id="options stay where they are when a line holds several words",
        ),
        pytest.param(
            """
            RUN apk add --no-cache vips vips-dev fftw-dev \\
              --repository http://dl-cdn.alpinelinux.org/alpine/edge/testing/ && \\
              echo done
            """,
            """
            RUN apk add --no-cache fftw-dev vips vips-dev \\
              --repository http://dl-cdn.alpinelinux.org/alpine/edge/testing/ && \\
              echo done
            """,
            id="an option with its value on a line of its own stays",
        ),
    ],
)
def test_unsorted_package_list_keeps_the_layout(before: str, after: str) -> None:
    before, after = _head(snippet(before), "debian"), _head(snippet(after), "debian")
    assert_fixes(UnsortedPackageList(), before, after)
    # Only words move: the same words, as many on each line.
    words = [line.replace("\\", " ").split() for line in before.splitlines()]
    moved = [line.replace("\\", " ").split() for line in after.splitlines()]
    assert sorted(w for line in words for w in line) == sorted(w for line in moved for w in line)
    assert [len(line) for line in words] == [len(line) for line in moved]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            """
            RUN apt-get update && apt-get --no-install-recommends install -y git binutils \\
              gcc-x86-64-linux-gnu \\
              binutils-x86-64-linux-gnu \\
              binutils-aarch64-linux-gnu
            """,
            """
            RUN apt-get update && apt-get --no-install-recommends install -y \\
              binutils \\
              binutils-aarch64-linux-gnu \\
              binutils-x86-64-linux-gnu \\
              gcc-x86-64-linux-gnu \\
              git
            """,
            id="the command line's packages move down (buildkit's archutil)",
        ),
        pytest.param(
            """
            RUN apt-get update && apt-get install -y \\
            \t\tbzip2 \\
            \t\tgcc \\
            \t\tgnupg dirmngr \\
            \t\tmake \\
            \t\t\\
            # buildroot
            \t\twget b \\
            \t\ta
            """,
            """
            RUN apt-get update && apt-get install -y \\
            \t\tbzip2 \\
            \t\tdirmngr \\
            \t\tgcc \\
            \t\tgnupg \\
            \t\tmake \\
            \t\t\\
            # buildroot
            \t\ta \\
            \t\tb \\
            \t\twget
            """,
            id="a lone pair among single words splits, each group on its own (debian's stretch image)",
        ),
        pytest.param(
            """
            RUN apt-get install -y \\
                    mysql-client libmysqlclient-dev \\
                    gcc \\
                    curl \\
                --no-install-recommends && rm -rf /var/lib/apt/lists/*
            """,
            """
            RUN apt-get install -y \\
                    --no-install-recommends \\
                    curl \\
                    gcc \\
                    libmysqlclient-dev \\
                    mysql-client && rm -rf /var/lib/apt/lists/*
            """,
            id="options get a line of their own at the front",
        ),
        pytest.param(
            "RUN apk add \\\n  py3-pip   make \\\n  gcc\\\n  bash",
            "RUN apk add \\\n  bash\\\n  gcc\\\n  make\\\n  py3-pip",
            id="the gap before the escape of a one-word line is kept",
        ),
        pytest.param(
            "RUN apt-get install -y \\\n  cmake      \\\n  zsh gcc    \\\n  bash       \\\n  && echo",
            "RUN apt-get install -y \\\n  bash       \\\n  cmake      \\\n  gcc        \\\n"
            "  zsh        \\\n  && echo",
            id="escapes lined up in a column stay lined up",
        ),
        pytest.param(
            "RUN apt-get install -y c b \\\r\n    a \\\r\n    d\r\n",
            "RUN apt-get install -y \\\r\n    a \\\r\n    b \\\r\n    c \\\r\n    d\r\n",
            id="CRLF",
        ),
    ],
)
def test_unsorted_package_list_mostly_one_per_line_becomes_one_per_line(before: str, after: str) -> None:
    before, after = _head(snippet(before), "debian"), _head(snippet(after), "debian")
    assert_fixes(UnsortedPackageList(), before, after)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN apt-get install -y zsh curl \\\n    bash", id="one line below the command"),
        pytest.param(
            "RUN apk add vips fftw-dev \\\n  --repository http://a/testing/ \\\n  --repository http://a/main",
            id="lines of options alone do not count",
        ),
        pytest.param(
            "RUN apt-get install -y \\\n  c d \\\n  e f \\\n  b", id="most lines hold several words"
        ),
    ],
)
def test_unsorted_package_list_keeps_words_per_line_otherwise(source: str) -> None:
    before = _head(source, "debian")
    after = fixed(UnsortedPackageList(), before).text
    assert after != before
    assert [len(line.split()) for line in after.splitlines()] == [
        len(line.split()) for line in before.splitlines()
    ]


def test_unsorted_package_list_duplicate_is_reported_and_kept() -> None:
    # The rule promises never to drop a package: sorting puts the two side by side.
    source = "FROM fedora\nRUN dnf -y install \\\n  rpmdevtools createrepo_c \\\n  createrepo_c e2fsprogs"
    [message] = assert_reports(UnsortedPackageList(), source, fixable=True)
    assert message.endswith("names `createrepo_c` more than once")
    after = fixed(UnsortedPackageList(), source).text
    assert after.count("createrepo_c") == 2
    assert after.endswith("createrepo_c createrepo_c \\\n  e2fsprogs rpmdevtools")


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            "RUN apt-get install -y \\\n    zsh \\\n    # the client\n    curl", id="comment between two"
        ),
        pytest.param("RUN apt-get install -y \\\n    b \\\n\\\n    a", id="empty line between two"),
        pytest.param("RUN apt-get install -y \\\n    b c \\\n\n    a", id="blank line between groups"),
        pytest.param(
            "RUN apt-get install -y \\\n    c d \\\n    # z\n    --no-install-recommends a b",
            id="an option leading a later group is not after its packages",
        ),
    ],
)
def test_unsorted_package_list_sorted_groups_unchanged(source: str) -> None:
    source = _head(source, "debian")
    assert_unchanged(UnsortedPackageList(), source)
    assert not _reported(UnsortedPackageList(), source)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("RUN pip install requests flask", "RUN pip install flask requests", id="pip"),
        pytest.param(
            "RUN python3 -m pip install --no-cache-dir b==1.0 A",
            "RUN python3 -m pip install --no-cache-dir A b==1.0",
            id="python -m pip",
        ),
        pytest.param("RUN uv pip install --system b a", "RUN uv pip install --system a b", id="uv pip"),
    ],
)
def test_unsorted_package_list_pip_is_unsafe(before: str, after: str) -> None:
    source = _head(before, "python")
    assert_unchanged(UnsortedPackageList(), source, unsafe=False)
    assert_fixes(UnsortedPackageList(), source, _head(after, "python"), unsafe=True)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN apt-get install -y a b c", id="sorted"),
        pytest.param("RUN apt-get install -y curl", id="one package"),
        pytest.param("RUN apt-get install -y $PKGS curl", id="variable"),
        pytest.param("RUN apt-get install -y 'zsh' curl", id="quoted word"),
        pytest.param("RUN pip install 'b[x]' a", id="quoted extra"),
        pytest.param("RUN apt-get install -y zsh python3*", id="glob"),
        pytest.param("RUN apt-get install -y ./z.deb ./a.deb", id="paths"),
        pytest.param("RUN apt-get install -y zsh $(cat /pkgs)", id="command substitution"),
        pytest.param("RUN apt-get install --frobnicate zsh curl", id="unknown option may take a value"),
        pytest.param("RUN apt-get install -y -- zsh curl", id="double dash"),
        pytest.param("RUN apt-get install -Z zsh curl", id="unknown short option"),
        pytest.param("RUN apk add zsh curl --virtual", id="option value missing"),
        pytest.param(
            "RUN case $X in a) apt-get install -y zsh curl;; esac", id="line the reader gives up on"
        ),
        pytest.param("RUN npm install zsh curl", id="npm is not sorted"),
        pytest.param("RUN apt-get remove -y zsh curl", id="remove is not sorted"),
        pytest.param('RUN ["apt-get", "install", "-y", "zsh", "curl"]', id="exec form"),
        pytest.param("RUN <<EOF\napt-get install -y zsh curl\nEOF", id="heredoc"),
        pytest.param('SHELL ["pwsh", "-Command"]\nRUN apt-get install -y zsh curl', id="non-POSIX SHELL"),
        pytest.param("RUN echo apt-get install zsh curl", id="only an argument"),
    ],
)
def test_unsorted_package_list_unchanged(source: str) -> None:
    assert_unchanged(UnsortedPackageList(), _head(source, "debian"))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param(
            "RUN apt-get install -y zsh >/dev/null curl",
            "`apt-get install` package list is not sorted; no fix: a package or option spans lines,"
            " or a redirection sits among them",
            id="redirection among the packages",
        ),
        pytest.param(
            "RUN apt-get install -y zs\\\nh curl",
            "`apt-get install` package list is not sorted; no fix: a package or option spans lines,"
            " or a redirection sits among them",
            id="split word",
        ),
        pytest.param(
            "RUN pip install b --no-deps a",
            "`pip install` package list is not sorted; has options after its packages; no fix:"
            " `pip` reads its options in order, so they stay where they are",
            id="pip options between packages",
        ),
        pytest.param(
            "RUN apt-get install -y curl curl=7.88.1-10 git",
            "`apt-get install` package list names `curl` more than once; no fix:"
            " dffix does not drop a package name: remove the repeated one",
            id="duplicate",
        ),
    ],
)
def test_unsorted_package_list_reports_without_fix(source: str, message: str) -> None:
    source = _head(source, "debian")
    assert assert_reports(UnsortedPackageList(), source, fixable=False) == [message]


def test_unsorted_package_list_options_left_in_place_are_reported_without_fix() -> None:
    source = "FROM debian\nRUN apt-get install -y \\\n    a b \\\n    c d \\\n  --no-install-recommends"
    assert assert_reports(UnsortedPackageList(), source, fixable=False) == [
        "`apt-get install` package list has options after its packages; no fix: the list puts several"
        " words or other text on a line, so dffix leaves its options there"
    ]


def test_unsorted_package_list_names_all_problems() -> None:
    messages = assert_reports(
        UnsortedPackageList(), "FROM debian\nRUN apt-get install b a a -y", fixable=True
    )
    assert messages == [
        "`apt-get install` package list is not sorted; has options after its packages; "
        "names `a` more than once"
    ]
    assert_fixes(
        UnsortedPackageList(),
        "FROM debian\nRUN apt-get install b a a -y",
        "FROM debian\nRUN apt-get install -y a a b",
    )


# -- DF105 apt-get-install-recommends ------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "RUN apt-get update && apt-get install -y jq",
            "RUN apt-get update && apt-get install --no-install-recommends -y jq",
            id="right after install",
        ),
        pytest.param("RUN apt install -y jq", "RUN apt install --no-install-recommends -y jq", id="apt"),
        pytest.param(
            "RUN apt-get -y install jq",
            "RUN apt-get -y install --no-install-recommends jq",
            id="option first",
        ),
        pytest.param(
            "RUN apt-get install \\\n    -y jq",
            "RUN apt-get install --no-install-recommends \\\n    -y jq",
            id="multi-line",
        ),
        pytest.param(
            "RUN sudo apt-get install -y jq",
            "RUN sudo apt-get install --no-install-recommends -y jq",
            id="sudo",
        ),
    ],
)
def test_apt_get_install_recommends_fixes(before: str, after: str) -> None:
    assert_fixes(AptGetInstallRecommends(), _head(before, "debian"), _head(after, "debian"), unsafe=True)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN apt-get install --no-install-recommends -y jq", id="already there"),
        pytest.param("RUN apt-get install --install-recommends -y jq", id="recommends asked for"),
        pytest.param("RUN apt-get -o APT::Install-Recommends=false install -y jq", id="apt option"),
        pytest.param(
            "RUN echo 'APT::Install-Recommends \"0\";' > /etc/apt/apt.conf.d/01norecommends\n"
            "RUN apt-get install -y jq",
            id="apt.conf written by the file",
        ),
        pytest.param(
            "COPY apt.conf /etc/apt/apt.conf.d/\nRUN apt-get install -y jq", id="COPY into /etc/apt"
        ),
        pytest.param(
            "FROM debian AS build\nRUN apt-get install -y gcc\nFROM debian\nCOPY --from=build /x /x",
            id="stage only copied from",
        ),
        pytest.param("RUN apt-get update", id="not an install"),
        pytest.param("RUN apt-get upgrade -y", id="upgrade"),
    ],
)
def test_apt_get_install_recommends_unchanged(source: str) -> None:
    assert_unchanged(AptGetInstallRecommends(), _head(source, "debian"))


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            "RUN apt-get install --No-Install-Recommends -y jq", id="apt ignores the case of options"
        ),
        pytest.param("RUN apt-get install --install-recommends=no -y jq", id="--install-recommends=no"),
        pytest.param("RUN apt-get install --no-install-recommends=0 -y jq", id="--no-install-recommends=0"),
        pytest.param("RUN apt-get --no-install-recommends install -y jq", id="option before install"),
        pytest.param("RUN apt-get -oAPT::Install-Recommends=0 install -y jq", id="-o glued to its value"),
        pytest.param("RUN apt-get install --option=apt::install-recommends=false -y jq", id="--option="),
        pytest.param(
            "RUN printf 'APT {\\n  Install-Recommends \"false\";\\n};\\n' > /etc/apt/apt.conf.d/01\n"
            "RUN apt-get install -y jq",
            id="apt.conf in the nested form",
        ),
        pytest.param(
            "RUN <<EOF\necho 'APT::Install-Recommends \"0\";' > /etc/apt/apt.conf.d/01\nEOF\n"
            "RUN apt-get install -y jq",
            id="apt.conf written by a heredoc",
        ),
        pytest.param(
            "FROM debian AS base\nCOPY norecs /etc/apt/apt.conf.d/\nFROM base\nRUN apt-get install -y jq",
            id="COPY into /etc/apt in the stage it is built on",
        ),
        pytest.param(
            'ARG APT_FLAGS="--no-install-recommends -y"\nRUN apt-get install $APT_FLAGS jq',
            id="the option in an ARG used by the command",
        ),
        pytest.param(
            "ENV NORECS=--no-install-recommends\nRUN apt-get install -y ${NORECS} jq",
            id="the option in an ENV used by the command",
        ),
        pytest.param(
            "RUN OPTS=--no-install-recommends && apt-get install -y $OPTS jq",
            id="the option in a shell variable of the RUN",
        ),
    ],
)
def test_apt_get_install_recommends_option_already_there_unchanged(source: str) -> None:
    source = _head(source, "debian")
    assert_unchanged(AptGetInstallRecommends(), source)
    assert not _reported(AptGetInstallRecommends(), source)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "RUN apt-get install --no-install-suggests -y jq",
            "RUN apt-get install --no-install-recommends --no-install-suggests -y jq",
            id="--no-install-suggests still installs the recommended packages",
        ),
        pytest.param(
            "RUN apt-get install -y $PKGS",
            "RUN apt-get install --no-install-recommends -y $PKGS",
            id="a variable nothing sets to the option",
        ),
        pytest.param(
            "RUN apt-get install --no-install-recommends a\nRUN apt-get install b",
            "RUN apt-get install --no-install-recommends a\nRUN apt-get install --no-install-recommends b",
            id="the option in another command does not count",
        ),
        pytest.param(
            "COPY norecs /etc/apt/apt.conf.d/\nFROM debian\nRUN apt-get install b",
            "COPY norecs /etc/apt/apt.conf.d/\nFROM debian\nRUN apt-get install --no-install-recommends b",
            id="apt settings of an unrelated stage",
        ),
    ],
)
def test_apt_get_install_recommends_fixes_only_what_lacks_it(before: str, after: str) -> None:
    assert_fixes(AptGetInstallRecommends(), _head(before, "debian"), _head(after, "debian"), unsafe=True)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN apt-get update\nRUN apt-get install jq git", id="with DF101, DF102, DF104, DF106"),
        pytest.param("RUN apt-get install b a --no-install-recommends", id="option after the packages"),
        pytest.param(
            "RUN apt-get install -y \\\n    b \\\n    # x\n    --no-install-recommends a", id="in a group"
        ),
        pytest.param("RUN sudo apt-get install b a\nRUN apt-get install -y d c", id="with sudo, DF103"),
        pytest.param(
            "RUN apt-get update; apt-get install -y h; apt-get install -y i", id="two installs in one RUN"
        ),
        pytest.param("RUN apt-get -y install --NO-INSTALL-RECOMMENDS b a", id="upper case option"),
    ],
)
def test_apt_get_install_recommends_never_twice_with_all_rules(source: str) -> None:
    result = fix(snippet(_head(source, "debian")), [rule() for rule in ALL_RULES], Applicability.UNSAFE)
    assert not isinstance(result, ParseError)
    assert not result.bugs
    for command in re.split(r"&&|;|\n(?!\s)", result.text):
        assert len(re.findall(r"(?i)--no-install-recommends", command)) <= 1, result.text


def test_apt_get_install_recommends_is_unsafe() -> None:
    assert_unchanged(AptGetInstallRecommends(), "FROM debian\nRUN apt-get install -y jq", unsafe=False)


def test_apt_get_install_recommends_exec_form_has_no_fix() -> None:
    source = 'FROM debian\nRUN ["apt-get", "install", "-y", "jq"]'
    assert assert_reports(AptGetInstallRecommends(), source, fixable=False) == [
        "`apt-get install` without `--no-install-recommends`"
    ]


@pytest.mark.parametrize(
    ("source", "why"),
    [
        pytest.param(
            "FROM ubuntu:15.10\nRUN apt-get install -y git zlib1g-dev",
            "`git` only recommends `ca-certificates`",
            id="git clone https fails without ca-certificates (shipwright baa51245)",
        ),
        pytest.param("FROM debian\nRUN apt-get install -y wget", "`wget` only recommends", id="wget"),
        pytest.param(
            "FROM debian\nRUN apt-get install -y libcurl4-openssl-dev", "`libcurl4-openssl-dev`", id="libcurl"
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y curl=7.88.1-10",
            "`curl` only recommends",
            id="a pinned version",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install --no-install-recommends -y ca-certificates\n"
            "FROM debian\nRUN apt-get install -y curl",
            "`curl` only recommends",
            id="ca-certificates in an unrelated stage",
        ),
        pytest.param(
            "FROM ubuntu:14.04\nRUN apt-get install -y xorg gnome-core libreoffice",
            "`gnome-core` is a meta-package",
            id="a desktop meta-package (rpappalax)",
        ),
        pytest.param(
            "FROM ubuntu\nRUN apt-get install -y kde-plasma-desktop",
            "`kde-plasma-desktop` is a meta",
            id="kde",
        ),
        pytest.param(
            "FROM ubuntu\nRUN apt-get install -y qt5-default python3-pip",
            "`python3-pip` recommends `build-essential` and `python3-dev`",
            id="pip's build tools (shipwright 007ce2c)",
        ),
        pytest.param(
            "FROM ubuntu:16.04\nRUN apt-get install -y gcc ca-certificates git",
            "`gcc` only recommends `libc6-dev`, and nothing installs it before: without the C library",
            id="gcc links nothing without libc6-dev (shipwright 5ae7e04e)",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y gcc-12 make",
            "`gcc-12` only recommends `libc6-dev`",
            id="a versioned gcc",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install --no-install-recommends -y libc6-dev\n"
            "FROM debian\nRUN apt-get install -y gcc",
            "`gcc` only recommends `libc6-dev`",
            id="libc6-dev in an unrelated stage",
        ),
        pytest.param("FROM python:3.12-slim\nRUN apt-get install -y gcc", "`gcc` only", id="python slim"),
        pytest.param(
            "FROM buildpack-deps:bookworm-curl\nRUN apt-get install -y gcc",
            "`gcc` only",
            id="buildpack-deps curl",
        ),
        pytest.param(
            "FROM mypython:3.12\nRUN apt-get install -y gcc", "`gcc` only", id="not the official image"
        ),
        pytest.param(
            "FROM ubuntu:16.04\nRUN apt-get install -y python3 xvfb",
            "`xvfb` only recommends `xauth`, and nothing installs it before: the package's own `xvfb-run`",
            id="xvfb-run needs xauth (shipwright 371f69de, 0b4a729f)",
        ),
    ],
)
def test_apt_get_install_recommends_no_fix_when_recommends_are_needed(source: str, why: str) -> None:
    [message] = assert_reports(AptGetInstallRecommends(), source, fixable=False)
    assert message.startswith(f"`apt-get install` without `--no-install-recommends`; no fix: {why}")


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM debian\nRUN apt-get install -y curl ca-certificates", id="in the same list"),
        pytest.param(
            "FROM debian\nRUN apt-get install -y --no-install-recommends ca-certificates\n"
            "RUN apt-get install -y git",
            id="installed by an earlier RUN",
        ),
        pytest.param(
            "FROM debian AS base\nRUN apt-get install -y --no-install-recommends ca-certificates\n"
            "FROM base\nRUN apt-get install -y git",
            id="installed in the stage it is built on",
        ),
        pytest.param("FROM python:3.12\nRUN apt-get install -y git", id="an official image that has it"),
        pytest.param("FROM buildpack-deps:bookworm\nRUN apt-get install -y wget", id="buildpack-deps"),
    ],
)
def test_apt_get_install_recommends_fixes_when_ca_certificates_is_there(source: str) -> None:
    assert fixed(AptGetInstallRecommends(), source, unsafe=True).text != source


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM debian\nRUN apt-get install -y gcc libc6-dev", id="libc6-dev in the same list"),
        pytest.param("FROM debian\nRUN apt-get install -y build-essential gcc", id="build-essential"),
        pytest.param(
            "FROM debian AS base\nRUN apt-get install -y --no-install-recommends libc-dev\n"
            "FROM base\nRUN apt-get install -y gcc-10",
            id="libc-dev in the stage it is built on",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y --no-install-recommends xauth\nRUN apt-get install -y xvfb",
            id="xauth installed by an earlier RUN",
        ),
        pytest.param("FROM debian\nRUN apt-get install -y gcc-doc xvfb-dbg", id="names that only look alike"),
        pytest.param("FROM python:3.8.0b3-buster\nRUN apt install -y gcc", id="python's full tag (e999cbe7)"),
        pytest.param("FROM node\nRUN apt-get install -y gcc", id="node without a tag"),
        pytest.param("FROM docker.io/library/golang:1.22\nRUN apt-get install -y gcc", id="golang"),
        pytest.param("FROM buildpack-deps:bookworm\nRUN apt-get install -y gcc", id="buildpack-deps"),
    ],
)
def test_apt_get_install_recommends_fixes_when_what_gcc_and_xvfb_need_is_there(source: str) -> None:
    assert fixed(AptGetInstallRecommends(), source, unsafe=True).text != source


def test_apt_get_install_recommends_ca_certificates_later_does_not_count() -> None:
    source = "FROM debian\nRUN apt-get install -y curl\nRUN apt-get install -y ca-certificates"
    assert [m.split("; no fix: ")[1][:6] for m in assert_reports(AptGetInstallRecommends(), source)[:1]] == [
        "`curl`"
    ]


# -- DF106 apt-get-without-yes ------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("RUN apt-get install curl", "RUN apt-get install -y curl", id="install"),
        pytest.param("RUN apt-get upgrade", "RUN apt-get upgrade -y", id="upgrade"),
        pytest.param(
            "RUN apt-get purge --auto-remove curl", "RUN apt-get purge -y --auto-remove curl", id="purge"
        ),
        pytest.param("RUN apt install -q curl", "RUN apt install -y -q curl", id="quiet level 1 still asks"),
        pytest.param(
            "RUN apt-get install \\\n    curl", "RUN apt-get install -y \\\n    curl", id="multi-line"
        ),
        pytest.param(
            "RUN echo y > /answer && apt-get install curl",
            "RUN echo y > /answer && apt-get install -y curl",
            id="output redirection elsewhere",
        ),
        pytest.param(
            "RUN apt-get -tyakkety install curl",
            "RUN apt-get -tyakkety install -y curl",
            id="a y in the value of a short option is no -y",
        ),
    ],
)
def test_apt_get_without_yes_fixes(before: str, after: str) -> None:
    assert_fixes(AptGetWithoutYes(), _head(before, "debian"), _head(after, "debian"))


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN apt-get install -y curl", id="-y"),
        pytest.param("RUN apt-get install --yes curl", id="--yes"),
        pytest.param("RUN apt-get install --assume-yes curl", id="--assume-yes"),
        pytest.param("RUN apt-get install -qy curl", id="cluster with y"),
        pytest.param("RUN apt-get install -qq curl", id="quiet level 2 implies -y"),
        pytest.param("RUN apt-get install -q -q curl", id="two -q"),
        pytest.param("RUN apt-get install --quiet --quiet curl", id="two --quiet"),
        pytest.param("RUN apt-get install -q=2 curl", id="-q=2"),
        pytest.param("RUN apt-get install --assume-no curl", id="--assume-no"),
        pytest.param("RUN apt-get -o APT::Get::Assume-Yes=true install curl", id="apt option"),
        pytest.param(
            "RUN echo 'APT::Get::Assume-Yes \"true\";' > /etc/apt/apt.conf.d/90yes\nRUN apt-get install curl",
            id="apt.conf written by the file",
        ),
        pytest.param("RUN yes | apt-get install curl", id="answers piped in"),
        pytest.param("RUN apt-get install curl < /answers", id="answers from a file"),
        pytest.param("RUN apt-get update", id="update"),
        pytest.param('RUN ["apt-get", "install", "curl"]', id="exec form"),
    ],
)
def test_apt_get_without_yes_unchanged(source: str) -> None:
    assert_unchanged(AptGetWithoutYes(), _head(source, "debian"))


# -- DF107 apk-cache-kept ------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("RUN apk add curl", "RUN apk add --no-cache curl", id="add"),
        pytest.param("RUN apk --update add curl", "RUN apk --update add --no-cache curl", id="option first"),
        pytest.param(
            "RUN apk update && apk add curl",
            "RUN apk update && apk add curl && rm -rf /var/cache/apk/*",
            id="after apk update, whose index --no-cache would leave (shipwright 345f7514)",
        ),
        pytest.param(
            "RUN apk update && \\\n    apk add \\\n        curl \\\n        git",
            "RUN apk update && \\\n    apk add \\\n        curl \\\n        git && \\\n"
            "    rm -rf /var/cache/apk/*",
            id="after apk update, one command a line",
        ),
        pytest.param(
            "RUN sudo apk update && sudo apk add curl",
            "RUN sudo apk update && sudo apk add curl && sudo rm -rf /var/cache/apk/*",
            id="through sudo",
        ),
        pytest.param(
            "RUN apk update && apk add curl && apk add git",
            "RUN apk update && apk add curl && apk add git && rm -rf /var/cache/apk/*",
            id="two installs, one removal",
        ),
        pytest.param(
            "RUN apk add curl && apk update",
            "RUN apk add --no-cache curl && apk update",
            id="apk update after the install",
        ),
        pytest.param(
            "RUN rm -rf /var/cache/apk/* && apk add curl",
            "RUN rm -rf /var/cache/apk/* && apk add --no-cache curl",
            id="cache removed before the install",
        ),
        pytest.param(
            "RUN apk add \\\n    curl \\\n    git",
            "RUN apk add --no-cache \\\n    curl \\\n    git",
            id="multi-line",
        ),
        pytest.param(
            "RUN --mount=type=cache,target=/root/.cache apk add curl",
            "RUN --mount=type=cache,target=/root/.cache apk add --no-cache curl",
            id="mount of another dir",
        ),
    ],
)
def test_apk_cache_kept_fixes(before: str, after: str) -> None:
    assert_fixes(ApkCacheKept(), _head(before, "alpine:3.20"), _head(after, "alpine:3.20"))


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN apk add --no-cache curl", id="already there"),
        pytest.param("RUN apk --no-cache add curl", id="before the subcommand"),
        pytest.param("RUN apk add --cache-dir /tmp/apk curl", id="own cache dir"),
        pytest.param("RUN apk add --no-network --virtual .rundeps so:libc.musl", id="offline install"),
        pytest.param("RUN --mount=type=cache,target=/var/cache/apk apk add curl", id="cache mount"),
        pytest.param("RUN --mount=type=cache,target=/etc/apk/cache apk add curl", id="apk cache link mount"),
        pytest.param("RUN apk add curl && rm -rf /var/cache/apk/*", id="cache removed after"),
        pytest.param("RUN apk del curl", id="del"),
        pytest.param(
            "FROM alpine AS build\nRUN apk add gcc\nFROM alpine\nCOPY --from=build /x /x",
            id="stage only copied from",
        ),
    ],
)
def test_apk_cache_kept_unchanged(source: str) -> None:
    assert_unchanged(ApkCacheKept(), _head(source, "alpine:3.20"))


def test_apk_cache_kept_old_alpine_gets_the_removal() -> None:
    """apk of Alpine 3.2 and older stops at `--no-cache`: the cache is removed instead."""
    source = "FROM alpine:3.2\nRUN apk add curl"
    assert_fixes(ApkCacheKept(), source, "FROM alpine:3.2\nRUN apk add curl && rm -rf /var/cache/apk/*")


def test_apk_cache_kept_old_alpine_no_fix_when_the_run_cannot_end_in_the_removal() -> None:
    source = "FROM alpine:3.2\nRUN apk add curl && exec run"
    assert_unchanged(ApkCacheKept(), source, unsafe=True)
    [message] = assert_reports(ApkCacheKept(), source, fixable=False)
    assert message.endswith(
        "; no fix: this apk predates `--no-cache` (Alpine 3.2 and older),"
        " and the `RUN` cannot end in a removal"
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            SYNTAX + "FROM alpine\nRUN apk add curl",
            SYNTAX + "FROM alpine\nRUN --mount=type=cache,target=/var/cache/apk apk add --update-cache curl",
            id="index fetched by the command",
        ),
        pytest.param(
            SYNTAX + "FROM alpine\nRUN apk update && apk add curl",
            SYNTAX + "FROM alpine\nRUN --mount=type=cache,target=/var/cache/apk apk update && apk add curl",
            id="apk update before",
        ),
        pytest.param(
            SYNTAX + 'FROM alpine\nRUN ["apk", "add", "-U", "curl"]',
            SYNTAX + 'FROM alpine\nRUN --mount=type=cache,target=/var/cache/apk ["apk", "add", "-U", "curl"]',
            id="exec form that fetches the index",
        ),
        pytest.param(
            SYNTAX + "FROM alpine\nRUN apk add -U curl",
            SYNTAX + "FROM alpine\nRUN --mount=type=cache,target=/var/cache/apk apk add -U curl",
            id="-U",
        ),
    ],
)
def test_apk_cache_kept_mount_style(before: str, after: str) -> None:
    assert_fixes(ApkCacheKept(MOUNT), before, after)


def test_apk_cache_kept_mount_style_needs_buildkit() -> None:
    source = "FROM alpine\nRUN apk add -U curl"
    assert_unchanged(ApkCacheKept(MOUNT), source, unsafe=False)
    assert_fixes(
        ApkCacheKept(MOUNT),
        source,
        "FROM alpine\nRUN --mount=type=cache,target=/var/cache/apk apk add -U curl",
        unsafe=True,
    )
    messages = assert_reports(ApkCacheKept(MOUNT), source, fixable=True)
    assert messages == [
        "`apk add` without `--no-cache` leaves the package index in the layer; "
        "a cache mount needs BuildKit (add `# syntax=docker/dockerfile:1`)"
    ]


def test_apk_cache_kept_mount_style_exec_form_without_index_has_no_fix() -> None:
    assert_reports(ApkCacheKept(MOUNT), SYNTAX + 'FROM alpine\nRUN ["apk", "add", "curl"]', fixable=False)


def test_cache_style_must_be_known() -> None:
    messages = assert_reports(
        ApkCacheKept({"cache-style": "none"}), "FROM alpine\nRUN apk add curl", fixable=False
    )
    assert messages == [
        "`apk add` without `--no-cache` leaves the package index in the layer; "
        "no fix: `cache-style` must be one of 'clean', 'mount'"
    ]


# -- DF108 pip-cache-kept ------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("RUN pip install flask", "RUN pip install --no-cache-dir flask", id="pip"),
        pytest.param(
            "RUN pip3 install -r requirements.txt",
            "RUN pip3 install --no-cache-dir -r requirements.txt",
            id="pip3",
        ),
        pytest.param(
            "RUN python3 -m pip install -U pip",
            "RUN python3 -m pip install --no-cache-dir -U pip",
            id="python -m pip",
        ),
        pytest.param(
            "RUN /venv/bin/pip install .", "RUN /venv/bin/pip install --no-cache-dir .", id="pip by its path"
        ),
        pytest.param(
            "RUN pip install -U pip && pip install flask",
            "RUN pip install --no-cache-dir -U pip && pip install --no-cache-dir flask",
            id="every pip of the RUN",
        ),
        pytest.param(
            "RUN uv pip install --system flask", "RUN uv pip install --no-cache --system flask", id="uv"
        ),
        pytest.param(
            "RUN pip install flask && rm -rf /tmp/*",
            "RUN pip install --no-cache-dir flask && rm -rf /tmp/*",
            id="other dir removed",
        ),
    ],
)
def test_pip_cache_kept_fixes(before: str, after: str) -> None:
    assert_fixes(PipCacheKept(), _head(before, "python:3.12"), _head(after, "python:3.12"))


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN pip install --no-cache-dir flask", id="already there"),
        pytest.param("RUN pip --no-cache-dir install flask", id="general option"),
        pytest.param("RUN pip install --cache-dir /tmp/pip flask", id="own cache dir"),
        pytest.param("ENV PIP_NO_CACHE_DIR=1\nRUN pip install flask", id="ENV"),
        pytest.param("ARG PIP_NO_CACHE_DIR=1\nRUN pip install flask", id="ARG"),
        pytest.param("RUN PIP_NO_CACHE_DIR=1 pip install flask", id="prefix assignment"),
        pytest.param("RUN export PIP_NO_CACHE_DIR=1 && pip install flask", id="exported in the RUN"),
        pytest.param("RUN pip config set global.no-cache-dir false\nRUN pip install flask", id="pip config"),
        pytest.param("RUN --mount=type=cache,target=/root/.cache/pip pip install flask", id="cache mount"),
        pytest.param("RUN --mount=type=cache,target=/root/.cache pip install flask", id="mount of .cache"),
        pytest.param(
            "RUN --mount=type=cache,target=/home/app/.cache/pip,uid=1000 pip install flask",
            id="mount of a user's cache",
        ),
        pytest.param("RUN pip install flask && rm -rf /root/.cache/pip", id="cache removed after"),
        pytest.param("RUN pip install flask && rm -rf ~/.cache", id="home cache removed after"),
        pytest.param("RUN pip download flask", id="download"),
        pytest.param("ENV PIP_NO_CACHE_DIR 1\nRUN pip install flask", id="legacy ENV"),
        pytest.param('RUN ["sh", "-c", "pip install flask"]', id="exec form shell"),
        pytest.param('RUN ["python", "app.py"]', id="exec form of something else"),
        pytest.param("RUN python3 <<EOF\nimport os\nEOF", id="heredoc read by python"),
        pytest.param("RUN <<EOF\necho hi\nEOF", id="heredoc without pip"),
        pytest.param("RUN <<A <<B\npip install x\nA\npip install y\nB", id="two heredocs"),
        pytest.param("RUN uv pip install --no-cache flask", id="uv --no-cache"),
        pytest.param("ENV UV_NO_CACHE=1\nRUN uv pip install flask", id="UV_NO_CACHE"),
        pytest.param(
            "FROM python AS build\nRUN pip install flask\nFROM python\nCOPY --from=build /x /x",
            id="stage only copied from",
        ),
    ],
)
def test_pip_cache_kept_unchanged(source: str) -> None:
    assert_unchanged(PipCacheKept(), _head(source, "python:3.12"))


OLD_PIP = "no fix: the pip of `{}` predates `--no-cache-dir` (pip 6), which would fail the build"
UNKNOWN_PIP = "the fix is unsafe: `{}` is not known to ship pip 6 or later"
UPGRADE_FIRST = "; upgrade pip first (`pip install -U pip`) to make it safe"
UPGRADE_THEN = "; upgrade pip first (`pip install -U pip`) then the fix is safe"


@pytest.mark.parametrize(
    ("head", "why"),
    [
        pytest.param("FROM centos:centos6", UNKNOWN_PIP.format("centos:centos6"), id="CentOS 6"),
        pytest.param("FROM node:20", UNKNOWN_PIP.format("node:20"), id="unknown base"),
        pytest.param(
            "FROM python:2.7.8", UNKNOWN_PIP.format("python:2.7.8"), id="python tag built before pip 6"
        ),
        pytest.param("FROM alpine:3.4", UNKNOWN_PIP.format("alpine:3.4"), id="old Alpine"),
        pytest.param(
            "ARG BASE=ubuntu:14.04\nFROM $BASE",
            "the fix is unsafe: the base image `$BASE` is a build argument",
            id="ARG base",
        ),
        pytest.param(
            "ARG BASE=python:3.12\nFROM ${BASE}",
            "the fix is unsafe: the base image `${BASE}` is a build argument",
            id="ARG base with a new default",
        ),
    ],
)
def test_pip_cache_kept_pip_that_may_predate_no_cache_dir_is_unsafe(head: str, why: str) -> None:
    source = f"{head}\nRUN pip3 install flask"
    after = source.replace(" install ", " install --no-cache-dir ")
    assert_unchanged(PipCacheKept(), source, unsafe=False)
    assert_fixes(PipCacheKept(), source, after, unsafe=True)
    messages = assert_reports(PipCacheKept(), source, fixable=True)
    assert messages[-1].startswith("`pip3 install` keeps its cache in the layer; " + why)
    assert messages[-1].endswith(UPGRADE_FIRST)


@pytest.mark.parametrize(
    ("head", "base"),
    [
        pytest.param("FROM ubuntu:14.04", "ubuntu:14.04", id="Ubuntu 14.04"),
        pytest.param("FROM buildpack-deps:trusty", "buildpack-deps:trusty", id="trusty tag"),
        pytest.param(
            "FROM nvidia/cuda:7.5-devel-ubuntu14.04",
            "nvidia/cuda:7.5-devel-ubuntu14.04",
            id="ubuntu14.04 in a derived tag",
        ),
        pytest.param("FROM resin/rpi-raspbian:jessie", "resin/rpi-raspbian:jessie", id="jessie tag"),
        pytest.param("FROM debian:8.11-slim", "debian:8.11-slim", id="Debian 8 by number"),
        pytest.param("FROM ubuntu:14.04 AS base\nFROM base", "ubuntu:14.04", id="FROM a stage on it"),
        pytest.param(
            "FROM ubuntu:14.04\nRUN pip3 install six",
            "ubuntu:14.04",
            id="an earlier install of something else",
        ),
        pytest.param(
            "FROM ubuntu:14.04\nRUN pip install -U pip",
            "ubuntu:14.04",
            id="pip upgrades the pip of Python 2, not pip3",
        ),
        pytest.param("FROM ubuntu:14.04\nRUN pip3 install pip==1.5.6", "ubuntu:14.04", id="old pip pinned"),
        pytest.param(
            "FROM ubuntu:14.04\nRUN pip3 install --target /opt/lib -U pip",
            "ubuntu:14.04",
            id="an upgrade into another folder",
        ),
        pytest.param(
            "FROM ubuntu:14.04\nRUN /venv/bin/pip install -U pip",
            "ubuntu:14.04",
            id="upgrade of a venv's pip",
        ),
    ],
)
def test_pip_cache_kept_no_fix_when_the_pip_predates_no_cache_dir(head: str, base: str) -> None:
    """pip 1.5 stops at `--no-cache-dir` ("no such option"): even an unsafe fix would
    fail the build (shipwright a85b60b0, 4d5994f0, 9518e700 on trusty and jessie)."""
    source = f"{head}\nRUN pip3 install flask"
    assert_unchanged(PipCacheKept(), source, unsafe=True)
    messages = assert_reports(PipCacheKept(), source, fixable=False)
    assert (
        messages[-1] == f"`pip3 install` keeps its cache in the layer; {OLD_PIP.format(base)}{UPGRADE_THEN}"
    )


@pytest.mark.parametrize(
    "base",
    [
        pytest.param("python:3.12-slim", id="python"),
        pytest.param("python:2.7", id="python 2.7"),
        pytest.param("python:3.4-alpine", id="python 3.4, rebuilt with newer pip"),
        pytest.param("docker.io/library/python:3", id="python by its full name"),
        pytest.param("python:3.6.3-jessie", id="python on jessie installs its own pip"),
        pytest.param("debian:bookworm-slim", id="Debian codename"),
        pytest.param("debian:9", id="Debian 9"),
        pytest.param("debian", id="Debian without a tag"),
        pytest.param("debian:stable-slim", id="Debian stable"),
        pytest.param("ubuntu:16.04", id="Ubuntu 16.04"),
        pytest.param("ubuntu:jammy-20240125", id="Ubuntu codename"),
        pytest.param("arm64v8/ubuntu:latest", id="Ubuntu latest, other architecture"),
        pytest.param("alpine:3.19", id="Alpine"),
        pytest.param("alpine", id="Alpine without a tag"),
        pytest.param("node:20-bookworm", id="bookworm tag of another image"),
        pytest.param("nvidia/cuda:12.2.0-devel-ubuntu22.04", id="ubuntu22.04 in a derived tag"),
        pytest.param("tiangolo/uwsgi-nginx:python3.6-alpine3.7", id="alpine3.7 in a derived tag"),
        pytest.param("centos:7", id="CentOS 7"),
        pytest.param("fedora:40", id="Fedora"),
    ],
)
def test_pip_cache_kept_base_with_new_pip_is_safe(base: str) -> None:
    assert_fixes(
        PipCacheKept(),
        f"FROM {base}\nRUN pip install flask",
        f"FROM {base}\nRUN pip install --no-cache-dir flask",
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "RUN pip install -U pip\nRUN pip install flask",
            "RUN pip install -U pip\nRUN pip install --no-cache-dir flask",
            id="pip install -U pip in an earlier RUN",
        ),
        pytest.param(
            "RUN pip install --upgrade pip && pip install flask",
            "RUN pip install --upgrade pip && pip install --no-cache-dir flask",
            id="earlier in the same RUN",
        ),
        pytest.param(
            "RUN python3 -m pip install -qU pip setuptools\nRUN pip3 install flask",
            "RUN python3 -m pip install -qU pip setuptools\nRUN pip3 install --no-cache-dir flask",
            id="python3 -m pip upgrades pip3",
        ),
        pytest.param(
            "RUN pip3.4 install -U pip\nRUN pip install flask",
            "RUN pip3.4 install -U pip\nRUN pip install --no-cache-dir flask",
            id="pip3.4 also writes pip",
        ),
        pytest.param(
            "RUN pip3 install --user -U pip\nRUN pip3 install flask",
            "RUN pip3 install --user -U pip\nRUN pip3 install --no-cache-dir flask",
            id="a --user upgrade: the old pip3 script imports the new pip",
        ),
        pytest.param(
            "RUN pip install 'pip>=9,<21'\nRUN pip install flask",
            "RUN pip install 'pip>=9,<21'\nRUN pip install --no-cache-dir flask",
            id="a new pip asked for by version",
        ),
        pytest.param(
            "RUN curl -sSL https://bootstrap.pypa.io/pip/2.7/get-pip.py | python\nRUN pip install flask",
            "RUN curl -sSL https://bootstrap.pypa.io/pip/2.7/get-pip.py | python\n"
            "RUN pip install --no-cache-dir flask",
            id="get-pip piped into python",
        ),
        pytest.param(
            "RUN wget https://x.org/get-pip.py && python3 get-pip.py && pip3 install flask",
            "RUN wget https://x.org/get-pip.py && python3 get-pip.py && pip3 install --no-cache-dir flask",
            id="python3 get-pip.py",
        ),
        pytest.param(
            "RUN <<EOF\npip install -U pip\nEOF\nRUN pip install flask",
            "RUN <<EOF\npip install -U pip\nEOF\nRUN pip install --no-cache-dir flask",
            id="upgraded in a heredoc script",
        ),
        pytest.param(
            "RUN easy_install pip\nRUN pip install flask",
            "RUN easy_install pip\nRUN pip install --no-cache-dir flask",
            id="easy_install pip",
        ),
        pytest.param(
            "RUN pip install -U pip\nFROM base\nRUN pip install flask",
            "RUN pip install -U pip\nFROM base\nRUN pip install --no-cache-dir flask",
            id="upgraded in the stage it is built on",
        ),
    ],
)
def test_pip_cache_kept_pip_upgraded_first_is_safe(before: str, after: str) -> None:
    head = "FROM ubuntu:14.04 AS base\n"
    result = fixed(PipCacheKept(), snippet(head + before))
    # The upgrade itself runs the old pip: only the later install is fixed by default.
    assert result.text == snippet(head + after)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN pip install --no-cache flask", id="abbreviation --no-cache"),
        pytest.param("RUN pip install --no-ca flask", id="shortest abbreviation --no-ca"),
        pytest.param("RUN pip install --no-cache-d flask", id="abbreviation --no-cache-d"),
        pytest.param("RUN pip --no-cache install flask", id="abbreviation as a general option"),
        pytest.param("RUN pip install --cache /tmp/pip flask", id="abbreviation of --cache-dir"),
        pytest.param(
            "FROM ubuntu:14.04 AS base\nENV PIP_NO_CACHE_DIR=1\nFROM base\nRUN pip install flask",
            id="ENV in the stage it is built on",
        ),
    ],
)
def test_pip_cache_kept_option_already_given_unchanged(source: str) -> None:
    assert_unchanged(PipCacheKept(), _head(source, "python:3.12"))
    assert not _reported(PipCacheKept(), _head(source, "python:3.12"))


def test_pip_cache_kept_upgrade_after_the_install_does_not_count() -> None:
    source = "FROM ubuntu:14.04\nRUN pip install flask && pip install -U pip"
    assert_unchanged(PipCacheKept(), source, unsafe=False)


def test_pip_cache_kept_ambiguous_abbreviation_is_not_no_cache_dir() -> None:
    # pip rejects `--no-c` (--no-cache-dir, --no-clean, --no-color, --no-compile).
    assert_fixes(
        PipCacheKept(),
        "FROM python:3.12\nRUN pip install --no-c flask",
        "FROM python:3.12\nRUN pip install --no-cache-dir --no-c flask",
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            SYNTAX + "FROM python\nRUN pip install flask",
            SYNTAX + "FROM python\nRUN --mount=type=cache,target=/root/.cache/pip pip install flask",
            id="pip",
        ),
        pytest.param(
            SYNTAX + "FROM python\nUSER app\nUSER root\nRUN pip install flask",
            SYNTAX + "FROM python\nUSER app\nUSER root\n"
            "RUN --mount=type=cache,target=/root/.cache/pip pip install flask",
            id="back to root",
        ),
        pytest.param(
            "FROM python\nRUN <<EOF\npip install flask\nEOF",
            "FROM python\nRUN --mount=type=cache,target=/root/.cache/pip <<EOF\npip install flask\nEOF",
            id="heredoc script",
        ),
        pytest.param(
            SYNTAX + "FROM python\nRUN uv pip install --system flask",
            SYNTAX
            + "FROM python\nRUN --mount=type=cache,target=/root/.cache/uv uv pip install --system flask",
            id="uv",
        ),
    ],
)
def test_pip_cache_kept_mount_style(before: str, after: str) -> None:
    assert_fixes(PipCacheKept(MOUNT), before, after)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("USER app\nRUN pip install flask", id="non-root user"),
        pytest.param(
            "FROM python AS base\nUSER 1000\nFROM base\nRUN pip install flask", id="user of the parent stage"
        ),
        pytest.param("ENV PIP_CACHE_DIR=/cache\nRUN pip install flask", id="cache moved"),
        pytest.param("ENV HOME=/app\nRUN pip install flask", id="home moved"),
    ],
)
def test_pip_cache_kept_mount_style_without_fix(source: str) -> None:
    assert_reports(PipCacheKept(MOUNT), SYNTAX + _head(source, "python"), fixable=False)


# -- DF109 yum-cache-kept, DF110 dnf-cache-kept, DF111 zypper-cache-kept -----------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("RUN yum install -y httpd", "RUN yum install -y httpd && yum clean all", id="one line"),
        pytest.param(
            "RUN yum -y update \\\n    && yum install -y \\\n        httpd \\\n        mod_ssl",
            "RUN yum -y update \\\n    && yum install -y \\\n        httpd \\\n        mod_ssl \\\n"
            "    && yum clean all",
            id="new continuation line in the RUN's style",
        ),
        pytest.param(
            "RUN yum install -y httpd && \\\n    echo ok",
            "RUN yum install -y httpd && \\\n    echo ok && \\\n    yum clean all",
            id="trailing && style",
        ),
        pytest.param(
            "RUN sudo yum install -y httpd", "RUN sudo yum install -y httpd && sudo yum clean all", id="sudo"
        ),
        pytest.param(
            "RUN yum clean all && yum install -y httpd",
            "RUN yum clean all && yum install -y httpd && yum clean all",
            id="clean before the install does not count",
        ),
        pytest.param(
            "RUN yum install -y httpd # the server",
            "RUN yum install -y httpd && yum clean all # the server",
            id="before an inline comment",
        ),
        pytest.param(
            "RUN <<EOF\nset -e\nyum install -y httpd\nEOF",
            "RUN <<EOF\nset -e\nyum install -y httpd\nyum clean all\nEOF",
            id="heredoc script with set -e",
        ),
        pytest.param(
            "RUN /usr/bin/yum install -y httpd",
            "RUN /usr/bin/yum install -y httpd && /usr/bin/yum clean all",
            id="yum by its path",
        ),
    ],
)
def test_yum_cache_kept_fixes(before: str, after: str) -> None:
    assert_fixes(YumCacheKept(), _head(before, "centos:7"), _head(after, "centos:7"))


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN yum install -y httpd && yum clean all", id="cleaned"),
        pytest.param("RUN yum install -y httpd && dnf clean all", id="cleaned by dnf"),
        pytest.param("RUN yum install -y httpd && rm -rf /var/cache/yum", id="cache removed"),
        pytest.param("RUN --mount=type=cache,target=/var/cache/yum yum install -y httpd", id="cache mount"),
        pytest.param("RUN yum -C install -y httpd", id="cache only"),
        pytest.param("RUN yum install -y httpd &", id="background"),
        pytest.param("RUN yum install -y httpd && exec httpd", id="exec"),
        pytest.param("RUN yum remove -y httpd", id="remove"),
        pytest.param("RUN yum clean all", id="clean only"),
        pytest.param(
            "FROM centos AS build\nRUN yum install -y gcc\nFROM centos\nCOPY --from=build /x /x",
            id="stage only copied from",
        ),
    ],
)
def test_yum_cache_kept_unchanged(source: str) -> None:
    assert_unchanged(YumCacheKept(), _head(source, "centos:7"))


def test_yum_cache_kept_exec_form_has_no_fix() -> None:
    assert_reports(YumCacheKept(), 'FROM centos\nRUN ["yum", "install", "-y", "httpd"]', fixable=False)


def test_yum_cache_kept_mount_style() -> None:
    before = SYNTAX + "FROM centos\nRUN yum install -y httpd"
    after = (
        SYNTAX
        + "FROM centos\nRUN --mount=type=cache,target=/var/cache/yum,sharing=locked yum install -y httpd"
    )
    assert_fixes(YumCacheKept(MOUNT), before, after)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("RUN dnf install -y httpd", "RUN dnf install -y httpd && dnf clean all", id="dnf"),
        pytest.param(
            "RUN microdnf install -y httpd",
            "RUN microdnf install -y httpd && microdnf clean all",
            id="microdnf",
        ),
        pytest.param("RUN dnf -y upgrade", "RUN dnf -y upgrade && dnf clean all", id="upgrade"),
    ],
)
def test_dnf_cache_kept_fixes(before: str, after: str) -> None:
    assert_fixes(DnfCacheKept(), _head(before, "fedora:40"), _head(after, "fedora:40"))


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN dnf install -y httpd && dnf clean all", id="cleaned"),
        pytest.param("RUN microdnf install httpd && microdnf clean all", id="microdnf cleaned"),
        pytest.param("RUN dnf install -y httpd && rm -rf /var/cache/dnf", id="cache removed"),
        pytest.param("RUN --mount=type=cache,target=/var/cache/dnf dnf install -y httpd", id="cache mount"),
        pytest.param("RUN yum install -y httpd", id="yum is DF109"),
    ],
)
def test_dnf_cache_kept_unchanged(source: str) -> None:
    assert_unchanged(DnfCacheKept(), _head(source, "fedora:40"))


def test_dnf_cache_kept_mount_style() -> None:
    before = SYNTAX + "FROM ubi8-minimal\nRUN microdnf install httpd"
    after = (
        SYNTAX + "FROM ubi8-minimal\n"
        "RUN --mount=type=cache,target=/var/cache/yum,sharing=locked microdnf install httpd"
    )
    assert_fixes(DnfCacheKept(MOUNT), before, after)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "RUN zypper --non-interactive install curl",
            "RUN zypper --non-interactive install curl && zypper clean --all",
            id="install",
        ),
        pytest.param("RUN zypper -n in curl", "RUN zypper -n in curl && zypper clean --all", id="in"),
        pytest.param("RUN zypper -n dup", "RUN zypper -n dup && zypper clean --all", id="dist-upgrade"),
    ],
)
def test_zypper_cache_kept_fixes(before: str, after: str) -> None:
    assert_fixes(ZypperCacheKept(), _head(before, "opensuse/leap"), _head(after, "opensuse/leap"))


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN zypper -n in curl && zypper clean", id="cleaned"),
        pytest.param("RUN zypper -n in curl && zypper cc -a", id="cc"),
        pytest.param("RUN zypper -n in curl && rm -rf /var/cache/zypp/*", id="cache removed"),
        pytest.param("RUN --mount=type=cache,target=/var/cache/zypp zypper -n in curl", id="cache mount"),
        pytest.param("RUN zypper -n rm curl", id="remove"),
    ],
)
def test_zypper_cache_kept_unchanged(source: str) -> None:
    assert_unchanged(ZypperCacheKept(), _head(source, "opensuse/leap"))


def test_zypper_cache_kept_mount_style_is_unsafe() -> None:
    before = SYNTAX + "FROM opensuse/leap\nRUN zypper -n in curl"
    after = (
        SYNTAX
        + "FROM opensuse/leap\nRUN --mount=type=cache,target=/var/cache/zypp,sharing=locked zypper -n in curl"
    )
    assert_unchanged(ZypperCacheKept(MOUNT), before, unsafe=False)
    assert_fixes(ZypperCacheKept(MOUNT), before, after, unsafe=True)


# -- DF112 npm-cache-kept ------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("RUN npm ci", "RUN npm ci && npm cache clean --force", id="npm ci"),
        pytest.param(
            "RUN npm install -g pm2", "RUN npm install -g pm2 && npm cache clean --force", id="npm install -g"
        ),
        pytest.param(
            "RUN npm i && npm run build", "RUN npm i && npm run build && npm cache clean --force", id="npm i"
        ),
        pytest.param(
            "RUN npm ci && npm cache verify",
            "RUN npm ci && npm cache verify && npm cache clean --force",
            id="verify",
        ),
    ],
)
def test_npm_cache_kept_fixes(before: str, after: str) -> None:
    assert_fixes(NpmCacheKept(), _head(before, "node:20"), _head(after, "node:20"))


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN npm ci && npm cache clean --force", id="cleaned"),
        pytest.param("RUN npm ci && rm -rf ~/.npm", id="cache removed"),
        pytest.param("RUN npm ci && rm -rf /root/.npm/_cacache", id="cacache removed"),
        pytest.param("RUN --mount=type=cache,target=/root/.npm npm ci", id="cache mount"),
        pytest.param("RUN --mount=type=cache,target=/home/node/.npm npm ci", id="mount of a user's cache"),
        pytest.param("RUN npm ci --cache /tmp/npm", id="own cache dir"),
        pytest.param("RUN npm run build", id="not an install"),
        pytest.param("RUN yarn install && yarn cache clean", id="yarn cleaned"),
        pytest.param("RUN yarn && rm -rf /usr/local/share/.cache/yarn", id="yarn cache removed"),
        pytest.param(
            "RUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn", id="yarn cache mount"
        ),
        pytest.param("RUN yarn build", id="yarn script"),
        pytest.param("RUN yarn build:prod", id="yarn script with a colon"),
        pytest.param("RUN yarn --cwd app test:unit", id="yarn script after an option with a value"),
        pytest.param("RUN yarn run install", id="yarn run of a script named install"),
        pytest.param("RUN yarn build_all", id="yarn script with an underscore"),
        pytest.param("RUN yarn $TASK", id="yarn command from a variable"),
        pytest.param("RUN yarn --version && yarn -h", id="yarn --version and -h only print"),
        pytest.param("RUN npm run build:prod", id="npm script with a colon"),
    ],
)
def test_npm_cache_kept_unchanged(source: str) -> None:
    assert_unchanged(NpmCacheKept(), _head(source, "node:20"))


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("RUN yarn", "RUN yarn && yarn cache clean", id="bare yarn"),
        pytest.param(
            "RUN yarn install --frozen-lockfile",
            "RUN yarn install --frozen-lockfile && yarn cache clean",
            id="yarn install",
        ),
        pytest.param(
            "RUN yarn global add pm2", "RUN yarn global add pm2 && yarn cache clean", id="yarn global add"
        ),
        pytest.param(
            "RUN yarn --frozen-lockfile && yarn build:prod",
            "RUN yarn --frozen-lockfile && yarn build:prod && yarn cache clean",
            id="bare yarn with an option, then a script",
        ),
        pytest.param("RUN yarn add left-pad", "RUN yarn add left-pad && yarn cache clean", id="yarn add"),
    ],
)
def test_npm_cache_kept_yarn_is_unsafe_without_context(before: str, after: str) -> None:
    source = _head(before, "node:20")
    assert_unchanged(NpmCacheKept(), source, unsafe=False)
    assert_fixes(NpmCacheKept(), source, _head(after, "node:20"), unsafe=True)


@pytest.mark.parametrize(
    ("files", "safe"),
    [
        pytest.param({"yarn.lock": ""}, True, id="yarn.lock only"),
        pytest.param({"package.json": '{"name": "x"}'}, True, id="package.json without packageManager"),
        pytest.param({"package.json": '{"packageManager": "yarn@1.22.22"}'}, True, id="yarn 1"),
        pytest.param({"package.json": '{"packageManager": "yarn@4.1.0"}'}, False, id="yarn 4"),
        pytest.param({"package.json": "{", ".yarnrc.yml": ""}, False, id="yarnrc.yml"),
        pytest.param({"package.json": "{"}, False, id="unreadable package.json"),
        pytest.param({}, False, id="nothing to tell"),
    ],
)
def test_npm_cache_kept_yarn_classic_from_context(tmp_path: Path, files: dict[str, str], safe: bool) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    source = "FROM node:20\nRUN yarn\n"
    result = fix(source, [NpmCacheKept()], Applicability.SAFE, BuildContext(tmp_path))
    assert not isinstance(result, ParseError)
    assert result.text == ("FROM node:20\nRUN yarn && yarn cache clean\n" if safe else source)


def test_npm_cache_kept_relative_tool_then_other_commands_is_unsafe() -> None:
    source = "FROM debian\nRUN cd /tmp/b && node-v8/bin/npm install -g npm && make -C /src"
    after = source + " && node-v8/bin/npm cache clean --force"
    assert_unchanged(NpmCacheKept(), source, unsafe=False)
    assert_fixes(NpmCacheKept(), source, after, unsafe=True)
    assert assert_reports(NpmCacheKept(), source) == [
        "`npm install` leaves the package cache in the layer; the fix is unsafe: `node-v8/bin/npm` is a"
        " relative path, and later commands of the `RUN` may change the folder or remove it"
    ]


@pytest.mark.parametrize(
    ("later", "word"),
    [
        pytest.param("cd && rm -rf /tmp/b", "cd", id="cd then rm of its folder (shipwright 2e0fa06)"),
        pytest.param("rm -rf /tmp/b", "rm", id="rm of its folder"),
        pytest.param("echo ok; cd /", "cd", id="cd after another command"),
        pytest.param("sudo mv node-v8 /opt/", "mv", id="mv under sudo"),
    ],
)
def test_npm_cache_kept_relative_tool_after_cd_or_rm_has_no_fix(later: str, word: str) -> None:
    source = f"FROM debian\nRUN cd /tmp/b && node-v8/bin/npm install -g npm && {later}"
    assert assert_reports(NpmCacheKept(), source, fixable=False) == [
        "`npm install` leaves the package cache in the layer; no fix: `node-v8/bin/npm` is a relative path,"
        f" and a later `{word}` of the `RUN` changes the folder or removes files, so a cleanup appended at"
        " the end may not find it"
    ]


def test_npm_cache_kept_relative_tool_as_the_last_command_is_safe() -> None:
    assert_fixes(
        NpmCacheKept(),
        "FROM debian\nRUN cd /app && node-v8/bin/npm ci",
        "FROM debian\nRUN cd /app && node-v8/bin/npm ci && node-v8/bin/npm cache clean --force",
    )


def test_npm_cache_kept_npm_and_yarn_each_get_a_cleanup() -> None:
    result = fixed(NpmCacheKept(), snippet("FROM node\nRUN npm ci && yarn"), unsafe=True)
    assert result.text == snippet(
        "FROM node\nRUN npm ci && yarn && yarn cache clean && npm cache clean --force"
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            SYNTAX + "FROM node\nRUN npm ci",
            SYNTAX + "FROM node\nRUN --mount=type=cache,target=/root/.npm npm ci",
            id="npm",
        ),
        pytest.param(
            SYNTAX + "FROM node\nRUN yarn",
            SYNTAX
            + "FROM node\nRUN --mount=type=cache,target=/usr/local/share/.cache/yarn,sharing=locked yarn",
            id="yarn",
        ),
    ],
)
def test_npm_cache_kept_mount_style(before: str, after: str) -> None:
    assert_fixes(NpmCacheKept(MOUNT), before, after)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("USER node\nRUN npm ci", id="non-root user"),
        pytest.param("ENV npm_config_cache=/tmp/npm\nRUN npm ci", id="cache moved"),
        pytest.param("ENV YARN_CACHE_FOLDER=/tmp/yarn\nRUN yarn", id="yarn cache moved"),
    ],
)
def test_npm_cache_kept_mount_style_without_fix(source: str) -> None:
    assert_reports(NpmCacheKept(MOUNT), SYNTAX + _head(source, "node"), fixable=False)


# -- all cache rules ----------------------------------------------------------------------


def test_mount_style_never_adds_both() -> None:
    source = SYNTAX + "FROM python\nRUN pip install flask\n"
    result = fix(source, [PipCacheKept(MOUNT)], Applicability.UNSAFE)
    assert not isinstance(result, ParseError)
    assert "--no-cache-dir" not in result.text
    assert result.text.count("--mount=") == 1


def test_cache_rules_skip_non_posix_shell() -> None:
    source = (
        'FROM python\nSHELL ["cmd", "/S", "/C"]\nRUN pip install x && npm ci && yum install x && apk add x\n'
    )
    for rule in (PipCacheKept(), NpmCacheKept(), YumCacheKept(), ApkCacheKept()):
        assert_unchanged(rule, source)


# -- DF102 apt-lists-not-removed with cache-style = "mount" (the option lives in apt.py) --

APT_MOUNTS = (
    "--mount=type=cache,target=/var/cache/apt,sharing=locked "
    "--mount=type=cache,target=/var/lib/apt,sharing=locked"
)
INSTALL = "apt-get update && apt-get install -y"
KEEP = (
    "RUN rm -f /etc/apt/apt.conf.d/docker-clean; "
    "echo 'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' > /etc/apt/apt.conf.d/keep-cache\n"
)


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "FROM debian\nRUN apt-get update && apt-get install -y curl",
            f"FROM debian\n{KEEP}RUN {APT_MOUNTS} apt-get update && apt-get install -y curl",
            id="mounts and keep-cache",
        ),
        pytest.param(
            "FROM debian\nRUN echo hi\n# the tools\nRUN apt-get update && apt-get install -y curl\n"
            "RUN apt-get update && apt-get install -y git",
            f"FROM debian\nRUN echo hi\n{KEEP}# the tools\nRUN {APT_MOUNTS} {INSTALL} curl\n"
            f"RUN {APT_MOUNTS} apt-get update && apt-get install -y git",
            id="keep-cache once per stage, above the comments",
        ),
        pytest.param(
            f"FROM debian AS base\n{KEEP}FROM base\nRUN apt-get update && apt-get install -y curl",
            f"FROM debian AS base\n{KEEP}FROM base\nRUN {APT_MOUNTS} {INSTALL} curl",
            id="keep-cache already in the parent stage",
        ),
        pytest.param(
            "FROM debian\n\\\n  RUN apt-get update && apt-get install -y curl",
            f"FROM debian\n  {KEEP}\\\n  RUN {APT_MOUNTS} {INSTALL} curl",
            id="keep-cache above a RUN whose first line is a lone continuation",
        ),
    ],
)
def test_apt_lists_not_removed_mount_style(before: str, after: str) -> None:
    assert_fixes(AptListsNotRemoved(MOUNT), before, after, unsafe=True)
    assert_unchanged(AptListsNotRemoved(MOUNT), before, unsafe=False)


@pytest.mark.parametrize(
    ("source", "why"),
    [
        pytest.param(
            "RUN apt-get install -y curl",
            "the `RUN` does not run `apt-get update` first, and the mount would hide the lists",
            id="no update in the RUN",
        ),
        pytest.param(
            "USER app\nRUN sudo apt-get update && sudo apt-get install -y curl",
            "a non-root `USER` cannot turn off docker-clean",
            id="non-root user",
        ),
        pytest.param(
            'SHELL ["pwsh", "-Command"]\nRUN apt-get update && apt-get install -y curl',
            "non-POSIX SHELL",
            id="non-POSIX shell",
        ),
    ],
)
def test_apt_lists_not_removed_mount_style_without_fix(source: str, why: str) -> None:
    messages = assert_reports(AptListsNotRemoved(MOUNT), "FROM debian\n" + source, fixable=False)
    assert messages == [
        f"apt lists not removed in the `RUN` that installs packages; no cache-mount fix: {why}"
    ]


def test_apt_lists_not_removed_unknown_cache_style() -> None:
    source = "FROM debian\nRUN apt-get update && apt-get install -y curl"
    messages = assert_reports(AptListsNotRemoved({"cache-style": "tmpfs"}), source, fixable=False)
    assert messages == [
        "apt lists not removed in the `RUN` that installs packages; "
        "no fix: `cache-style` must be 'clean' or 'mount'"
    ]


# -- DF113 package-install-without-yes ------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            "FROM centos:7\nRUN yum install httpd", "FROM centos:7\nRUN yum install -y httpd", id="yum"
        ),
        pytest.param("RUN dnf install httpd", "RUN dnf install -y httpd", id="dnf"),
        pytest.param("RUN dnf5 upgrade", "RUN dnf5 upgrade -y", id="dnf5 upgrade"),
        pytest.param(
            "FROM centos:7\nRUN yum groupinstall 'Development Tools'",
            "FROM centos:7\nRUN yum groupinstall -y 'Development Tools'",
            id="yum groupinstall",
        ),
        pytest.param(
            "RUN dnf --setopt=install_weak_deps=False install httpd",
            "RUN dnf --setopt=install_weak_deps=False install -y httpd",
            id="options before the subcommand",
        ),
        pytest.param("RUN dnf -q install httpd", "RUN dnf -q install -y httpd", id="quiet still asks"),
        pytest.param(
            "RUN dnf -xyum install httpd",
            "RUN dnf -xyum install -y httpd",
            id="a y in the value of a short option is no -y",
        ),
        pytest.param(
            "RUN dnf update && dnf install httpd && dnf clean all",
            "RUN dnf update -y && dnf install -y httpd && dnf clean all",
            id="each call of an && chain",
        ),
        pytest.param(
            "RUN dnf install \\\n    httpd \\\n    mod_ssl",
            "RUN dnf install -y \\\n    httpd \\\n    mod_ssl",
            id="continuation lines",
        ),
        pytest.param("RUN sudo dnf remove httpd", "RUN sudo dnf remove -y httpd", id="through sudo"),
        pytest.param(
            "FROM opensuse/leap:15.6\nRUN zypper install curl",
            "FROM opensuse/leap:15.6\nRUN zypper install -y curl",
            id="zypper install",
        ),
        pytest.param(
            "FROM opensuse/leap:15.6\nRUN zypper --quiet in --no-recommends curl",
            "FROM opensuse/leap:15.6\nRUN zypper --quiet in -y --no-recommends curl",
            id="zypper global option before the subcommand",
        ),
        pytest.param(
            "FROM opensuse/leap:15.6\nRUN zypper in -n curl",
            "FROM opensuse/leap:15.6\nRUN zypper in -y -n curl",
            id="zypper -n after install means --name",
        ),
        pytest.param(
            "FROM opensuse/leap:15.6\nRUN zypper ref && zypper dup && zypper patch",
            "FROM opensuse/leap:15.6\nRUN zypper ref && zypper dup -y && zypper patch -y",
            id="zypper dup and patch",
        ),
        pytest.param(
            "FROM opensuse/leap:15.6\nRUN yes | zypper rm vim",
            "FROM opensuse/leap:15.6\nRUN yes | zypper rm -y vim",
            id="zypper reads the terminal, not a pipe",
        ),
        pytest.param(
            "FROM opensuse/leap:15.6\nRUN zypper -q si -d kernel-default",
            "FROM opensuse/leap:15.6\nRUN zypper --non-interactive -q si -d kernel-default",
            id="zypper source-install has no -y",
        ),
    ],
)
def test_package_install_without_yes_fixes(before: str, after: str) -> None:
    assert_fixes(PackageInstallWithoutYes(), _head(before, "fedora:40"), _head(after, "fedora:40"))


def test_package_install_without_yes_crlf() -> None:
    before = "FROM fedora:40\r\nRUN dnf update \\\r\n    && dnf install \\\r\n        httpd\r\n"
    after = "FROM fedora:40\r\nRUN dnf update -y \\\r\n    && dnf install -y \\\r\n        httpd\r\n"
    result = fix(before, [PackageInstallWithoutYes()])
    assert not isinstance(result, ParseError)
    assert result.text == after


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("RUN dnf install -y httpd", id="-y"),
        pytest.param("RUN dnf install --assumeyes httpd", id="--assumeyes"),
        pytest.param("RUN dnf install --assumeno httpd", id="--assumeno"),
        pytest.param("FROM centos:7\nRUN yum -y install httpd", id="-y before the subcommand"),
        pytest.param("RUN dnf -qy install httpd", id="cluster with y"),
        pytest.param("RUN dnf install httpd -y", id="-y after the packages"),
        pytest.param("RUN dnf --setopt=assumeyes=1 install httpd", id="assumeyes set on the command line"),
        pytest.param(
            "RUN echo assumeyes=True >> /etc/dnf/dnf.conf\nRUN dnf install httpd",
            id="dnf.conf written by the file",
        ),
        pytest.param("RUN yes | dnf install httpd", id="answers piped in"),
        pytest.param("RUN dnf install httpd < /answers", id="answers from a file"),
        pytest.param(
            "RUN dnf makecache && dnf check-update; dnf clean all", id="dnf commands that never ask"
        ),
        pytest.param(
            "FROM centos:7\nRUN yum list installed && yum clean all", id="yum commands that never ask"
        ),
        pytest.param("RUN microdnf install httpd && microdnf clean all", id="microdnf never asks"),
        pytest.param("FROM opensuse/leap:15.6\nRUN zypper -n in curl", id="zypper -n"),
        pytest.param(
            "FROM opensuse/leap:15.6\nRUN zypper --non-interactive install curl",
            id="zypper --non-interactive",
        ),
        pytest.param("FROM opensuse/leap:15.6\nRUN zypper -qn in curl", id="zypper cluster with n"),
        pytest.param("FROM opensuse/leap:15.6\nRUN zypper in -y curl", id="zypper -y"),
        pytest.param(
            "FROM opensuse/leap:15.6\nRUN zypper install --no-confirm curl", id="zypper --no-confirm"
        ),
        pytest.param("FROM opensuse/leap:15.6\nRUN zypper dup -ly", id="zypper cluster with y"),
        pytest.param(
            "FROM opensuse/leap:15.6\nRUN zypper ref && zypper se curl && zypper clean -a",
            id="zypper commands that never ask",
        ),
        pytest.param("RUN apt-get install curl", id="apt-get is DF106's"),
    ],
)
def test_package_install_without_yes_unchanged(source: str) -> None:
    assert_unchanged(PackageInstallWithoutYes(), _head(source, "fedora:40"))


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param('RUN ["dnf", "install", "httpd"]', "`dnf install` without `-y`", id="exec form"),
        pytest.param("RUN <<EOF\ndnf install httpd\nEOF", "`dnf install` without `-y`", id="heredoc"),
        pytest.param(
            "FROM centos:7\nRUN yum group install 'Development Tools'",
            "`yum group install` without `-y`",
            id="yum group install",
        ),
        pytest.param(
            "RUN dnf module enable nodejs:20", "`dnf module enable` without `-y`", id="dnf module enable"
        ),
        pytest.param(
            'FROM opensuse/leap:15.6\nRUN ["zypper", "in", "curl"]',
            "`zypper in` without `-n` or `-y`",
            id="zypper exec form",
        ),
        pytest.param(
            "FROM opensuse/leap:15.6\nRUN <<EOF\nzypper si curl\nEOF",
            "`zypper si` without `--non-interactive`",
            id="zypper heredoc",
        ),
    ],
)
def test_package_install_without_yes_reports_without_fix(source: str, message: str) -> None:
    source = _head(source, "fedora:40")
    assert assert_reports(PackageInstallWithoutYes(), source, fixable=False) == [message]


# -- time ------------------------------------------------------------------------------

PACKAGE_SHAPES = [
    pytest.param(
        lambda n: "FROM ubuntu:14.04\nRUN " + " && ".join(f"pip install x{i}" for i in range(n)) + "\n",
        100,
        id="pip installs in one RUN on an old base",
    ),
    pytest.param(
        lambda n: "FROM ubuntu:14.04\n" + "RUN pip install -U pip && pip install x\n" * n,
        100,
        id="a RUN per install, each upgrading pip",
    ),
    pytest.param(
        lambda n: (
            "FROM ubuntu:14.04 AS s0\n"
            + "".join(
                f"FROM s{i} AS s{i + 1}\nRUN pip install x && apt-get install -y b a\n" for i in range(n)
            )
        ),
        100,
        id="a FROM chain on an old base",
    ),
    pytest.param(
        lambda n: (
            "FROM debian\nRUN apt-get install -y \\\n"
            + "".join(f"  p{n - i} q{i} \\\n  # group {i}\n" for i in range(n))
            + "  z\n"
        ),
        200,
        id="groups of packages",
    ),
]


@pytest.mark.parametrize(("make", "n"), PACKAGE_SHAPES)
def test_package_rules_take_linear_time(make: Callable[[int], str], n: int) -> None:
    rules = [UnsortedPackageList(), AptGetInstallRecommends(), PipCacheKept(), NpmCacheKept()]
    assert_linear(make, n, lambda text: fix(text, rules, Applicability.UNSAFE))
