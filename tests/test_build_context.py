"""BuildContext reads files inside the build context only, through symlinks or not."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dffix.facts import BuildContext


def _by_realpath(root: Path, relative: str, limit: int) -> bytes | None:
    # What BuildContext.read_bytes means: the file realpath reaches, if it is a regular
    # file inside the real root.
    real_root = os.path.realpath(root)
    path = os.path.realpath(os.path.join(root, relative))
    if os.path.commonpath((real_root, path)) != real_root or not os.path.isfile(path):
        return None
    with open(path, "rb") as handle:
        return handle.read(limit)


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"outside")
    root = tmp_path / "ctx"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"a" * 2000)
    (root / "sub" / "b.tar").write_bytes(b"b")
    (root / "sub" / "deeper" / "c").write_bytes(b"c")
    (root / "in-link").symlink_to(root / "a.txt")
    (root / "out-link").symlink_to(outside / "secret.txt")
    (root / "dir-link").symlink_to(root / "sub")
    (root / "out-dir").symlink_to(outside)
    (root / "dangling").symlink_to(root / "missing")
    os.mkfifo(root / "fifo")
    (tmp_path / "ctx-link").symlink_to(root)
    return tmp_path


RELATIVES = [
    "a.txt",
    "./a.txt",
    "sub/b.tar",
    "sub//b.tar",
    "./sub/./deeper/c",
    "sub/deeper/c/",
    "sub",
    ".",
    "",
    "missing",
    "sub/missing",
    "a.txt/x",
    "in-link",
    "out-link",
    "dir-link/b.tar",
    "out-dir/secret.txt",
    "dangling",
    "fifo",
    "../outside/secret.txt",
    "sub/../a.txt",
    "sub/../../outside/secret.txt",
    "nul\0name",
]


@pytest.mark.parametrize("root_name", ["ctx", "ctx-link"])
@pytest.mark.parametrize("relative", RELATIVES)
def test_reads_what_realpath_allows(layout: Path, root_name: str, relative: str) -> None:
    root = layout / root_name
    try:
        expected = _by_realpath(root, relative, 100)
    except ValueError:  # a NUL in the name: nothing to read
        expected = None
    assert BuildContext(str(root)).read_bytes(relative, 100) == expected


def test_files_outside_never_read(layout: Path) -> None:
    context = BuildContext(str(layout / "ctx"))
    assert context.read_bytes("out-link", 100) is None
    assert context.read_bytes("out-dir/secret.txt", 100) is None
    assert context.read_bytes("in-link", 3) == b"aaa"
    assert context.read_bytes("sub/b.tar", 100) == b"b"
