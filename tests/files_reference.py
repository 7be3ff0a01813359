"""The folder search as it was written on os.walk, kept as the reference that
dffix.files._walk (on os.scandir, with fewer stat calls) is tested against."""

from __future__ import annotations

import os
from collections.abc import Iterator

from dffix.files import SKIPPED_DIRS, FileError, is_dockerfile_name, os_reason


def walk(top: str, errors: list[FileError]) -> Iterator[tuple[str, str]]:
    """Yield the Dockerfiles under `top`: their paths relative to it, and their real paths."""
    visited: set[tuple[int, int]] = set()
    reals = {top: os.path.realpath(top)}
    head = len(os.path.join(top, ""))

    def on_error(exc: OSError) -> None:
        errors.append(FileError(exc.filename or top, f"cannot read folder: {os_reason(exc)}"))

    for folder, dirs, names in os.walk(top, onerror=on_error, followlinks=True):
        try:
            st = os.stat(folder)
        except OSError:
            dirs[:] = []
            continue
        if (st.st_dev, st.st_ino) in visited:
            dirs[:] = []
            continue
        visited.add((st.st_dev, st.st_ino))
        dirs[:] = sorted(d for d in dirs if not _skipped_dir(os.path.join(folder, d), d))
        real = reals.pop(folder)
        for d in dirs:
            below = os.path.join(folder, d)
            reals[below] = _real_below(real, below, d)
        rel = folder[head:] if folder != top else os.curdir
        for name in sorted(names):
            if is_dockerfile_name(name) and os.path.isfile(path := os.path.join(folder, name)):
                yield (name if rel == os.curdir else os.path.join(rel, name)), _real_below(real, path, name)


def _real_below(real_folder: str, path: str, name: str) -> str:
    return os.path.realpath(path) if os.path.islink(path) else os.path.join(real_folder, name)


def _skipped_dir(path: str, name: str) -> bool:
    return name in SKIPPED_DIRS or os.path.isfile(os.path.join(path, "pyvenv.cfg"))
