"""The Neovim recipes, tried for real: headless `nvim` opens a Dockerfile, saves, quits.

`editors/neovim/dffix.lua` formats on save through `dffix server`;
`editors/neovim/dffix_stdin.lua` through `dffix -`. A file with problems is fixed on
disk to the text `dffix -` gives; a file that does not parse is saved unchanged.
Skipped when `nvim` is not installed (.ci/run installs Debian's).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

NVIM = shutil.which("nvim")
RECIPES = Path(__file__).resolve().parents[1] / "editors" / "neovim"
BAD = (
    "FROM debian:12\n"
    "RUN apt-get update\n"
    "RUN apt-get install -y curl\n"
    "ADD app.py /srv/\n"
    "CMD python /srv/app.py\n"
)
BROKEN = "FROM debian:12\nADD app.py /srv/\nRUN <<EOF\napt-get update\n"

pytestmark = pytest.mark.skipif(NVIM is None, reason="nvim is not installed")

# Loads one recipe with this checkout's dffix; with the server, waits until it is up
# (the first save must not race the server's start).
INIT = """
vim.cmd('filetype on')
package.path = vim.env.DFFIX_RECIPES .. '/?.lua;' .. package.path
vim.g.dffix_cmd = { vim.env.DFFIX_PYTHON, '-m', 'dffix', 'server' }
vim.g.dffix_stdin_cmd = { vim.env.DFFIX_PYTHON, '-m', 'dffix' }
require(vim.env.DFFIX_RECIPE)
"""
WAIT = """
if vim.env.DFFIX_RECIPE == 'dffix' then
  local up = vim.wait(30000, function()
    for _, c in pairs(vim.lsp.buf_get_clients(0)) do
      if c.name == 'dffix' and c.server_capabilities ~= nil then return true end
    end
    return false
  end, 50)
  if not up then
    io.stderr:write('dffix server did not start\\n')
    vim.cmd('cquit 3')
  end
end
"""


def cli_fix(text: str, path: Path) -> str:
    ran = subprocess.run(
        [sys.executable, "-m", "dffix", "-", "--stdin-filename", str(path)],
        input=text.encode(),
        capture_output=True,
        check=True,
    )
    return ran.stdout.decode()


def save_in_nvim(tmp_path: Path, recipe: str, path: Path) -> subprocess.CompletedProcess[str]:
    init, wait = tmp_path / "init.lua", tmp_path / "wait.lua"
    init.write_text(INIT)
    wait.write_text(WAIT)
    env = {
        **os.environ,
        "DFFIX_RECIPES": str(RECIPES),
        "DFFIX_RECIPE": recipe,
        "DFFIX_PYTHON": sys.executable,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
    }
    assert NVIM is not None
    command = [NVIM, "--headless", "-n", "-i", "NONE", "-u", str(init)]
    command += ["-c", f"luafile {wait}", "-c", "write", "-c", "qall!", str(path)]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, cwd=tmp_path
    )


@pytest.mark.parametrize("recipe", ["dffix", "dffix_stdin"])
def test_saving_fixes_the_file(tmp_path: Path, recipe: str) -> None:
    path = tmp_path / "app" / "Dockerfile"
    path.parent.mkdir()
    path.write_text(BAD)
    expected = cli_fix(BAD, path)
    assert expected != BAD
    ran = save_in_nvim(tmp_path, recipe, path)
    assert ran.returncode == 0, ran.stderr
    assert path.read_text() == expected


@pytest.mark.parametrize("recipe", ["dffix", "dffix_stdin"])
def test_saving_a_broken_file_leaves_it_unchanged(tmp_path: Path, recipe: str) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(BROKEN)
    ran = save_in_nvim(tmp_path, recipe, path)
    assert ran.returncode == 0, ran.stderr
    assert path.read_text() == BROKEN
