"""The VS Code extension under editors/vscode/: its package script builds a `.vsix`.

Runs `package.sh` on a copy of the folder (npm installs vscode-languageclient and vsce
from the npm registry), then opens the package: it holds the extension, its manifest
and the language client. Skipped when node or npm is not installed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parents[1] / "editors" / "vscode"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None, reason="node and npm are not installed"
)


def test_the_extension_script_parses() -> None:
    ran = subprocess.run(["node", "--check", str(EXTENSION / "extension.js")], capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr


def test_package_script_builds_the_vsix(tmp_path: Path) -> None:
    work = tmp_path / "vscode"
    shutil.copytree(EXTENSION, work, ignore=shutil.ignore_patterns("node_modules", "*.vsix"))
    ran = subprocess.run(
        ["bash", str(work / "package.sh"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    manifest = json.loads((EXTENSION / "package.json").read_text())
    vsix = tmp_path / f"dffix-{manifest['version']}.vsix"
    with zipfile.ZipFile(vsix) as package:
        names = set(package.namelist())
        packed = json.loads(package.read("extension/package.json"))
    assert {"extension/extension.js", "extension/package.json", "extension.vsixmanifest"} <= names
    assert "extension/node_modules/vscode-languageclient/package.json" in names
    assert not any(n.startswith("extension/node_modules/@vscode/vsce/") for n in names)
    assert packed["main"] == "./extension.js"
    assert packed["activationEvents"] == ["onLanguage:dockerfile"]
