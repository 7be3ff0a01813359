from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
from pathlib import Path

import pytest

from dffix.edits import Applicability
from dffix.facts import BuildContext
from dffix.fixer import fix
from dffix.rules.copy import AddForLocalFiles
from dffix.syntax import ParseError
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
        pytest.param("ADD         app.py /app/", "COPY        app.py /app/", id="aligned column is kept"),
        pytest.param("add  app.py /app/", "copy app.py /app/", id="two spaces become one"),
        pytest.param("ADD\tapp.py /app/", "COPY\tapp.py /app/", id="a tab is left as it is"),
        pytest.param("ADD \tapp.py /app/", "COPY \tapp.py /app/", id="space then tab left as it is"),
        pytest.param(
            "ADD  \\\n  app.py /app/", "COPY  \\\n  app.py /app/", id="spaces before a continuation"
        ),
        pytest.param(
            "ADD    --chown=a:b  x /y\nCOPY   z /w",
            "COPY   --chown=a:b  x /y\nCOPY   z /w",
            id="aligned with the COPY below",
        ),
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


def _tar(members: dict[str, bytes], fmt: int = tarfile.USTAR_FORMAT) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _v7(data: bytes) -> bytes:
    """Return a tar whose first header has no magic, as an old (v7) tar writes it."""
    head = bytearray(data[:512])
    head[257:265] = bytes(8)
    head[148:156] = b"%06o\x00 " % (sum(head[:148]) + 8 * 32 + sum(head[156:512]))
    return bytes(head) + data[512:]


@pytest.mark.parametrize(
    ("content", "unpacked"),
    [
        pytest.param(_tar({"a.txt": b"hi"}), True, id="a tar without .tar"),
        pytest.param(_tar({"a.txt": b"hi"}, tarfile.GNU_FORMAT), True, id="a GNU tar"),
        pytest.param(_v7(_tar({"a.txt": b"hi"})), True, id="a v7 tar, no magic"),
        pytest.param(gzip.compress(b"anything"), True, id="gzip"),
        pytest.param(bz2.compress(b"anything"), True, id="bzip2"),
        pytest.param(lzma.compress(b"anything"), True, id="xz"),
        pytest.param(b"#!/bin/sh\necho hi\n" * 40, False, id="a script"),
        pytest.param(bytes(1024), False, id="zeros: an empty tar stream is no archive"),
        pytest.param(b"PK\x03\x04" + bytes(600), False, id="a zip (ADD does not unpack zips)"),
    ],
)
def test_add_goes_by_content_when_the_context_is_visible(
    tmp_path: Path, content: bytes, unpacked: bool
) -> None:
    (tmp_path / "bundle").write_bytes(content)
    (tmp_path / "conf").mkdir()
    source = "FROM alpine\nADD bundle /opt/\nADD conf /etc/conf\n"
    result = fix(source, [AddForLocalFiles()], Applicability.SAFE, BuildContext(tmp_path))
    assert not isinstance(result, ParseError)
    bundle = "ADD bundle /opt/" if unpacked else "COPY bundle /opt/"
    assert result.text == f"FROM alpine\n{bundle}\nCOPY conf /etc/conf\n"
    if unpacked:  # ADD is the right instruction for an archive: nothing to report
        assert all("bundle" not in v.message for v in result.remaining)


def test_a_file_missing_from_the_context_goes_by_its_name(tmp_path: Path) -> None:
    source = "FROM alpine\nADD bundle /opt/\n"
    result = fix(source, [AddForLocalFiles()], Applicability.SAFE, BuildContext(tmp_path))
    assert not isinstance(result, ParseError)
    assert result.text == "FROM alpine\nCOPY bundle /opt/\n"
