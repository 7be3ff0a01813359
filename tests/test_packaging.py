"""What users install and run: one version, project URLs, the root Dockerfile, the Action.

No registry is reachable in tests, so the image is not built here; dffix itself must
leave its own Dockerfile unchanged, and the Action must call dffix with options it has.
"""

from __future__ import annotations

import re
import shlex
import shutil
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

import dffix as package
from dffix.entry import parse_argv
from tests.helpers import Run

ROOT = Path(__file__).resolve().parent.parent


def test_the_version_is_written_once() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert metadata.version("dffix") == package.__version__
    assert f"## {package.__version__}" in (ROOT / "CHANGELOG.md").read_text()


def test_project_urls_point_where_reports_link() -> None:
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert {"Homepage", "Documentation", "Issues", "Changelog"} <= set(urls)
    assert urls["Homepage"] == package.HOMEPAGE
    assert all(url.startswith(package.HOMEPAGE) for url in urls.values())


def test_dffix_leaves_its_own_dockerfile_and_action_unchanged(
    tmp_path: Path, dffix: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("Dockerfile", "action.yml", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tmp_path / name)
    (tmp_path / "src").mkdir()
    (tmp_path / ".dffix.toml").write_text("")
    monkeypatch.chdir(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    assert dffix("--check", "--select", "ALL", ".").code == 0
    ran = dffix("--diff", "--unsafe-fixes", "--write-dockerignore", "--select", "ALL", ".")
    assert (ran.code, ran.out) == (0, b""), ran
    assert dffix("--unsafe-fixes", "--write-dockerignore", "--select", "ALL", ".").code == 0
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def test_the_dockerfile_runs_dffix_like_hadolints_image() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["dffix"]' in text
    assert "docker run --rm -i dffix - < Dockerfile" in text


def action_commands() -> list[list[str]]:
    """Return the dffix command lines of the Action's steps, inputs as example values."""
    text = (ROOT / "action.yml").read_text()
    lines = [m.group(1) for m in re.finditer(r"^\s*run: (dffix .*)$", text, re.M)]
    example = {"$DFFIX_ARGS": "--select ALL", "$DFFIX_PATHS": ".", '> "$SARIF_FILE"': ""}
    commands = []
    for line in lines:
        for name, value in example.items():
            line = line.replace(name, value)
        commands.append(shlex.split(line)[1:])
    return commands


def test_the_action_calls_dffix_with_options_it_has() -> None:
    commands = action_commands()
    assert len(commands) == 3
    formats = set()
    for args in commands:
        options = parse_argv(args)
        assert options is not None, args
        formats.add(options.output_format)
    assert formats == {"sarif", "github", "text"}
    text = (ROOT / "action.yml").read_text()
    assert "github/codeql-action/upload-sarif" in text
    # Inputs reach the shell through env, never pasted into a script.
    for line in re.findall(r"^\s*run: (.*)$", text, re.M):
        assert "${{" not in line, line
