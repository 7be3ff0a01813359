"""dffix.files._walk reads each folder once with os.scandir; tests/files_reference.py is
the search as it was on os.walk, with a stat call per entry. Both must find the same
files, in the same order, with the same real paths and the same errors, on every kind
of tree. The names a search saw (files.Listing) then spare the config search its stat
calls: it must find the same config files with them as without."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from dffix import files
from dffix.api import config_files, folder_of
from dffix.config import SEARCHED_NAMES
from tests import files_reference
from tests.corpus import CORPUS

DOCKERFILE_NAMES = (
    "Dockerfile",
    "Containerfile",
    "web.Dockerfile",
    "Dockerfile.dev",
    "x.dockerfile",
    "README",
)
FOLDER_NAMES = ("a", "b", "c", "sub", "node_modules", ".git", "env", "locked", "lockedenv", "Dockerfile", "x")
CONFIGS = (".dffix.toml", "dffix.toml", "pyproject.toml", ".hadolint.yaml", ".hadolint.yml")


def _random_tree(root: Path, rng: random.Random) -> None:
    """A tree of real folders, Dockerfiles, config files and links of every kind:
    to folders up, across and out of the tree, to files, to links, broken ones;
    skipped folders, virtualenvs (a pyvenv.cfg file, folder or link) and folders that
    cannot be read (named `locked`, see _locked_scandir)."""
    folders = [root]
    for _ in range(rng.randint(3, 14)):
        parent = rng.choice(folders)
        if len(parent.relative_to(root).parts) >= 4:
            continue
        base = rng.choice(FOLDER_NAMES)
        name = base if base in files.SKIPPED_DIRS else base + str(rng.randint(0, 2) or "")
        folder = parent / name
        if folder.exists() or folder.is_symlink():
            continue
        folder.mkdir()
        folders.append(folder)
        if base in ("env", "lockedenv") and rng.random() < 0.8:
            venv = folder / "pyvenv.cfg"
            kind = rng.random()
            if kind < 0.5:
                venv.write_text("home = /usr\n")
            elif kind < 0.7:
                venv.mkdir()
            elif kind < 0.85:
                (folder / "cfg").write_text("home = /usr\n")
                venv.symlink_to("cfg")
            else:
                venv.symlink_to("missing")
    for folder in folders:
        for name in rng.sample(DOCKERFILE_NAMES, rng.randint(0, 3)):
            if not (folder / name).exists():
                (folder / name).write_text("FROM scratch\n")
        for name in rng.sample(CONFIGS, rng.choice((0, 0, 0, 1, 2))):
            path = folder / name
            kind = rng.random()
            if kind < 0.6:
                path.write_text("[tool.dffix]\nselect = ['DF1']\n" if rng.random() < 0.5 else "ignored: []\n")
            elif kind < 0.75:
                path.mkdir()
            elif kind < 0.9:
                path.symlink_to("missing")
            else:
                (folder / f"real{name}").write_text("ignored: []\n")
                path.symlink_to(f"real{name}")
    outside = root.parent / f"{root.name}-outside"
    outside.mkdir()
    (outside / "Dockerfile").write_text("FROM scratch\n")
    for _ in range(rng.randint(0, 6)):
        folder = rng.choice(folders)
        link = folder / f"link{rng.randint(0, 99)}"
        if link.exists() or link.is_symlink():
            continue
        target = rng.choice(
            [*(os.path.relpath(f, folder) for f in folders), str(outside), "missing", "../..", str(root)]
        )
        link.symlink_to(target)
    for _ in range(rng.randint(0, 3)):
        folder = rng.choice(folders)
        link = folder / f"Dockerfile.link{rng.randint(0, 99)}"
        if not (link.exists() or link.is_symlink()):
            link.symlink_to(rng.choice(("Dockerfile", "missing", str(outside / "Dockerfile"))))


@pytest.fixture
def locked_scandir(monkeypatch: pytest.MonkeyPatch) -> None:
    """Folders named `locked…` cannot be listed (as without read permission; root may
    read anything, so it is faked). os.walk lists with os.scandir too."""
    real = os.scandir

    def scandir(path: str) -> object:
        if os.path.basename(os.fspath(path).rstrip("/")).startswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)


def _random_tree_in(tmp_path: Path, seed: int) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    _random_tree(root, random.Random(seed))
    return root


def _spellings(root: Path) -> list[str]:
    spellings = [str(root), str(root) + "/", os.path.relpath(root)]
    return [*spellings, str(root / "a" / "..")] if (root / "a").is_dir() else spellings


@pytest.mark.usefixtures("locked_scandir")
@pytest.mark.parametrize("seed", range(60))
def test_walk_agrees_with_the_os_walk_search(tmp_path: Path, seed: int) -> None:
    root = _random_tree_in(tmp_path, seed)
    for top in _spellings(root):
        errors: list[files.FileError] = []
        expected_errors: list[files.FileError] = []
        listing = files.Listing(SEARCHED_NAMES, {})
        found = list(files._walk(top, errors, listing))
        assert found == list(files_reference.walk(top, expected_errors)), top
        assert errors == expected_errors, top
        # Every config name that is a file in a folder read is in its listing.
        for folder, names in listing.found.items():
            assert names <= SEARCHED_NAMES
            assert {n for n in SEARCHED_NAMES if os.path.isfile(os.path.join(folder, n))} <= names, folder


@pytest.mark.usefixtures("locked_scandir")
@pytest.mark.parametrize("seed", range(60))
def test_config_search_finds_the_same_files_with_the_listing(tmp_path: Path, seed: int) -> None:
    root = _random_tree_in(tmp_path, seed)
    (tmp_path / ".hadolint.yaml").write_text("ignored: []\n")  # above the tree: looked up on disk
    listing = files.Listing(SEARCHED_NAMES, {})
    targets, _ = files.discover([str(root)], listing)
    seen: list[tuple[dict[str, str | None], dict[str, str | None]]] = [({}, {}), ({}, {})]
    for target in targets:
        folder = folder_of(target.path)
        # The search read the folder of every file it found, under the name the config
        # search asks for (else the listing would never be used).
        assert os.path.abspath(folder) in listing.found, folder
        assert config_files(folder, None, seen[0], listing.found) == config_files(folder, None, seen[1])
        assert config_files(folder, None, None, listing.found) == config_files(folder)


def test_the_listing_spares_the_config_search_its_stat_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    for i in range(20):
        (root / f"svc{i}").mkdir(parents=True)
        (root / f"svc{i}" / "Dockerfile").write_text("FROM scratch\n")
    (root / "svc3" / ".hadolint.yaml").write_text("ignored: []\n")
    listing = files.Listing(SEARCHED_NAMES, {})
    targets, _ = files.discover([str(root)], listing)
    looked: list[str] = []
    isfile = os.path.isfile

    def counted(path: str) -> bool:
        looked.append(path)
        return isfile(path)

    monkeypatch.setattr(os.path, "isfile", counted)
    seen: tuple[dict[str, str | None], dict[str, str | None]] = ({}, {})
    found = {t.path: config_files(folder_of(t.path), None, seen, listing.found) for t in targets}
    assert found[str(root / "svc3" / "Dockerfile")] == (None, str(root / "svc3" / ".hadolint.yaml"))
    # On disk: the one file a listing names, and the folders above the search.
    inside = [p for p in looked if p.startswith(str(root) + os.sep)]
    assert inside == [str(root / "svc3" / ".hadolint.yaml")]
    assert len(looked) - len(inside) <= len(SEARCHED_NAMES) * len(root.parts) + 2


@pytest.mark.skipif(not CORPUS.is_dir(), reason="needs ../shared/corpus")
def test_walk_over_the_corpus_agrees_with_the_os_walk_search() -> None:
    errors: list[files.FileError] = []
    expected: list[files.FileError] = []
    assert list(files._walk(str(CORPUS), errors)) == list(files_reference.walk(str(CORPUS), expected))
    assert errors == expected == []
