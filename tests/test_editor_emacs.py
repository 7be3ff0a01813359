"""The Emacs recipe (editors/emacs/dffix.el, eglot), tried for real in `emacs --batch`.

Opening a Dockerfile starts `dffix server` through eglot; saving formats through it, so
the file on disk is the text `dffix -` gives, and a file that does not parse is saved
unchanged. Skipped when emacs, eglot or dockerfile-mode is missing (.ci/run installs
Debian's emacs-nox, elpa-eglot and elpa-dockerfile-mode).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EMACS = shutil.which("emacs")
RECIPE = Path(__file__).resolve().parents[1] / "editors" / "emacs" / "dffix.el"
BAD = "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\nADD app.py /srv/\n"
BROKEN = "FROM debian:12\nADD app.py /srv/\nRUN <<EOF\napt-get update\n"

# Debian's ELPA packages, which `emacs -Q` does not activate; then the recipe, then a
# save with the command loop's hook run by hand (eglot-ensure connects from it).
HARNESS = """
(dolist (dir (file-expand-wildcards "/usr/share/emacs/site-lisp/elpa/*"))
  (add-to-list 'load-path dir))
(unless (and (require 'eglot nil t) (require 'dockerfile-mode nil t))
  (kill-emacs 77))
(load (getenv "DFFIX_RECIPE"))
(find-file (getenv "DFFIX_FILE"))
(run-hooks 'post-command-hook)
(let ((n 0))
  (while (and (not (eglot-current-server)) (< n 300))
    (accept-process-output nil 0.1)
    (setq n (1+ n))))
(unless (eglot-current-server) (message "dffix server did not start") (kill-emacs 3))
(set-buffer-modified-p t)
(save-buffer)
;; Shut the server down before quitting: a request still on its way from it (the server
;; asks for its settings after `initialized`) must not meet a dying connection.
(ignore-errors (eglot-shutdown (eglot-current-server)))
(kill-emacs 0)
"""

pytestmark = pytest.mark.skipif(EMACS is None, reason="emacs is not installed")


def save_in_emacs(tmp_path: Path, path: Path) -> subprocess.CompletedProcess[str]:
    harness = tmp_path / "harness.el"
    harness.write_text(HARNESS)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "DFFIX_RECIPE": str(RECIPE),
        "DFFIX_FILE": str(path),
        "HOME": str(tmp_path),
    }
    assert EMACS is not None
    ran = subprocess.run(
        [EMACS, "--batch", "-Q", "-l", str(harness)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    if ran.returncode == 77:
        pytest.skip("eglot or dockerfile-mode is not installed")
    return ran


def test_saving_fixes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "app" / "Dockerfile"
    path.parent.mkdir()
    path.write_text(BAD)
    expected = subprocess.run(
        [sys.executable, "-m", "dffix", "-", "--stdin-filename", str(path)],
        input=BAD,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert expected != BAD
    ran = save_in_emacs(tmp_path, path)
    assert ran.returncode == 0, ran.stderr
    assert path.read_text() == expected


def test_saving_a_broken_file_leaves_it_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(BROKEN)
    ran = save_in_emacs(tmp_path, path)
    assert ran.returncode == 0, ran.stderr
    assert path.read_text() == BROKEN
