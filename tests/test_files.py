"""dffix.files' folder search: the real paths it builds down the tree are os.path.realpath's,
and the relative names it slices off are os.path.relpath's, whatever the tree and the
spelling of the folder given. And its reading: a whole file, up to the size limit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dffix import files
from dffix.config import find_hadolint_config
from tests.corpus import CORPUS


def _tree(root: Path) -> None:
    """Dockerfiles behind every kind of link: folder and file symlinks, relative and
    absolute ones, a link to a link, a loop, a broken link and a link out of the tree."""
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "Dockerfile").write_text("FROM a\n")
    (root / "a" / "b" / "web.Dockerfile").write_text("FROM b\n")
    (root / "outside").mkdir()
    (root / "outside" / "Containerfile").write_text("FROM c\n")
    (root / "tree").mkdir()
    tree = root / "tree"
    (tree / "real").mkdir()
    (tree / "real" / "Dockerfile").write_text("FROM d\n")
    (tree / "dirlink").symlink_to(root / "a")  # absolute, to a folder outside `tree`
    (tree / "rel").symlink_to("real")  # relative, beside it
    (tree / "chain").symlink_to("rel")  # a link to a link
    (tree / "out").symlink_to("../outside")
    (tree / "real" / "loop").symlink_to("..")  # back up the tree
    (tree / "real" / "Dockerfile.dev").symlink_to("Dockerfile")  # a file link
    (tree / "real" / "Dockerfile.abs").symlink_to(root / "a" / "Dockerfile")
    (tree / "real" / "Dockerfile.broken").symlink_to("missing")
    (tree / "real" / "Dockerfile.up").symlink_to("../real/Dockerfile")


def _spellings(tmp_path: Path) -> list[str]:
    tree = tmp_path / "tree"
    return [
        str(tree),
        str(tree) + "/",
        str(tree) + "//",
        str(tmp_path / "a" / ".." / "tree"),
        str(tmp_path / "tree" / "chain"),  # the folder given is itself a link
        str(tmp_path / "tree" / "dirlink" / "b" / ".."),
    ]


def test_walk_gives_realpath_and_relpath_for_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tree(tmp_path)
    checked = 0
    for cwd in (tmp_path, tmp_path / "tree" / "real"):
        monkeypatch.chdir(cwd)
        tops = [*_spellings(tmp_path), os.path.relpath(tmp_path / "tree"), "."]
        for top in tops:
            errors: list[files.FileError] = []
            found = list(files._walk(top, errors))
            assert found, top
            for rel, real in found:
                path = os.path.join(top, rel)
                assert real == os.path.realpath(path), (top, rel)
                assert rel == os.path.relpath(path, top), (top, rel)
                checked += 1
    assert checked > 40


def test_discover_keeps_each_real_file_once(tmp_path: Path) -> None:
    _tree(tmp_path)
    tree = tmp_path / "tree"
    targets, errors = files.discover([str(tree), str(tree / "real" / "Dockerfile"), str(tmp_path / "a")])
    assert not errors
    reals = [os.path.realpath(t.path) for t in targets]
    assert len(reals) == len(set(reals))
    # Every Dockerfile reachable is there once: the three real ones in the tree and
    # beside it; the broken link is not a file and is skipped.
    expected = {
        os.path.realpath(p)
        for p in (
            tree / "real" / "Dockerfile",
            tmp_path / "a" / "Dockerfile",
            tmp_path / "a" / "b" / "web.Dockerfile",
            tmp_path / "outside" / "Containerfile",
        )
    }
    assert set(reals) == expected
    # The first path that reaches a file names it, as before.
    assert targets[0].path.startswith(str(tree))


@pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/corpus")
def test_walk_over_the_corpus_agrees_with_realpath() -> None:
    errors: list[files.FileError] = []
    found = list(files._walk(str(CORPUS), errors))
    assert len(found) > 400 and not errors
    for rel, real in found:
        assert real == os.path.realpath(os.path.join(CORPUS, rel))
        assert rel == os.path.relpath(os.path.join(CORPUS, rel), CORPUS)


def test_user_level_hadolint_config_is_looked_up_once_per_search(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    (tmp_path / "p" / "x").mkdir(parents=True)
    (tmp_path / "p" / "y").mkdir()
    seen: dict[str, str | None] = {}
    assert find_hadolint_config(tmp_path / "p" / "x", seen) is None
    user = home / ".config" / "hadolint.yaml"
    user.write_text("ignored: []\n")
    # Without a search memory it is found at once; with one, the run keeps its answer,
    # as it does for the folders it has searched.
    assert find_hadolint_config(tmp_path / "p" / "y") == str(user)
    assert find_hadolint_config(tmp_path / "p" / "y", seen) is None
    assert find_hadolint_config(tmp_path / "p" / "y", {}) == str(user)
    # A nearer .hadolint.yaml still wins over the remembered user-level answer.
    (tmp_path / "p" / "y" / ".hadolint.yaml").write_text("ignored: []\n")
    assert find_hadolint_config(tmp_path / "p" / "y", {}) == str(tmp_path / "p" / "y" / ".hadolint.yaml")


LIMIT = 1 << 20


@pytest.mark.parametrize("size", [0, 1, LIMIT - 1, LIMIT, LIMIT + 1])
def test_a_file_is_read_whole_up_to_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: int
) -> None:
    monkeypatch.setattr(files, "MAX_BYTES", LIMIT)
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"#" * size)
    got = files.read_source(files.Target("Dockerfile", str(path)))
    if size > LIMIT:
        assert got == files.FileError("Dockerfile", "larger than 1 MiB; not read")
    else:
        assert got == "#" * size


@pytest.mark.parametrize("grown", [1, 100, LIMIT])
def test_a_file_that_grew_since_its_size_was_read_is_read_on_to_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, grown: int
) -> None:
    monkeypatch.setattr(files, "MAX_BYTES", LIMIT)
    path = tmp_path / "Dockerfile"
    path.write_bytes(b"a" * 10)
    with path.open("rb") as handle:
        before = os.fstat(handle.fileno())
        path.write_bytes(b"a" * (10 + grown))
        assert files._read_to_limit(handle, before) == b"a" * min(10 + grown, LIMIT + 1)
