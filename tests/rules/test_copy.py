from __future__ import annotations

import pytest

from dffix.rules.copy import AddForLocalFiles
from tests.helpers import assert_fixes, assert_reports, assert_unchanged


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param("ADD app.py /app/", "COPY app.py /app/", id="local file"),
        pytest.param("add . /src", "copy . /src", id="keeps lowercase keyword"),
        pytest.param("Add . /src", "Copy . /src", id="keeps capitalised keyword"),
        pytest.param("ADD a.py b.py /app/", "COPY a.py b.py /app/", id="several sources"),
        pytest.param(
            "ADD --chown=app:app --chmod=644 --link conf/ /etc/app/",
            "COPY --chown=app:app --chmod=644 --link conf/ /etc/app/",
            id="keeps flags",
        ),
        pytest.param('ADD ["my file", "/app/"]', 'COPY ["my file", "/app/"]', id="json form"),
        pytest.param("ADD \\\n  app.py \\\n  /app/", "COPY \\\n  app.py \\\n  /app/", id="continuation"),
        pytest.param("ONBUILD ADD . /x\nADD y /z", "ONBUILD ADD . /x\nCOPY y /z", id="onbuild left"),
    ],
)
def test_add_for_local_files_fixes(before: str, after: str) -> None:
    assert_fixes(AddForLocalFiles(), "FROM scratch\n" + before, "FROM scratch\n" + after)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("ADD https://example.com/x.tgz /opt/", id="url is left alone"),
        pytest.param("ADD http://example.com/app.py /opt/", id="url of a plain file"),
        pytest.param("ADD git@github.com:moby/buildkit.git /src", id="git source"),
        pytest.param("ADD https://github.com/moby/buildkit.git#v0.10 /src", id="git over https"),
        pytest.param("ADD vendor.tar.gz /opt/", id="ADD unpacks local archive"),
        pytest.param("ADD rootfs.tar.xz /", id="xz archive"),
        pytest.param("ADD data.tgz data2.tar.bz2 /", id="several archives"),
        pytest.param("ADD app.py vendor.tar /opt/", id="one archive among files"),
        pytest.param("ADD --checksum=sha256:abc app.py /opt/", id="checksum flag is ADD-only"),
        pytest.param("ADD ${SRC} /opt/", id="variable source"),
        pytest.param("ADD *.whl /opt/", id="glob source"),
        pytest.param("ADD <<EOF /x\nhi\nEOF", id="heredoc"),
        pytest.param("# hadolint ignore=DL3020\nADD a /b", id="suppressed by hadolint comment"),
        pytest.param("# dffix: ignore=add-for-local-files\nADD a /b", id="suppressed by name"),
    ],
)
def test_add_for_local_files_unchanged(source: str) -> None:
    assert_unchanged(AddForLocalFiles(), "FROM scratch\n" + source)


def test_variable_source_is_reported_without_fix() -> None:
    messages = assert_reports(AddForLocalFiles(), "FROM scratch\nADD $SRC /x\n", fixable=False)
    assert "variable or glob" in messages[0]
