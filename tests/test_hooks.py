"""`.pre-commit-hooks.yaml`: its hooks pick the files dffix calls Dockerfiles and run dffix."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from dffix.files import is_dockerfile_name

ROOT = Path(__file__).resolve().parents[1]


def hooks() -> list[dict[str, str]]:
    """Read the hook list (flat `key: value` entries; no YAML library is a dependency)."""
    found: list[dict[str, str]] = []
    for line in (ROOT / ".pre-commit-hooks.yaml").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        m = re.fullmatch(r"(- |  )([a-z_]+): (.*)", line)
        assert m, f"not a flat hook entry: {line!r}"
        if m[1] == "- ":
            found.append({})
        found[-1][m[2]] = m[3]
    return found


NAMES = [
    "Dockerfile",
    "Containerfile",
    "Dockerfile.dev",
    "Dockerfile.prod.arm64",
    "app.Dockerfile",
    "app.dockerfile",
    "Dockerfile.dockerignore",
    "app.Dockerfile.dockerignore",
    ".dockerignore",
    "README.md",
    "dockerfile",
    "MyDockerfile",
    "Dockerfile-dev",
    "docker-compose.yml",
    "Containerfile.test",
]


def test_there_is_a_fixing_hook_and_a_checking_hook() -> None:
    assert [h["id"] for h in hooks()] == ["dffix", "dffix-check"]


@pytest.mark.parametrize("hook", hooks(), ids=lambda h: h["id"])
@pytest.mark.parametrize("folder", ["", "services/api/"])
def test_hooks_pick_what_dffix_calls_a_dockerfile(hook: dict[str, str], folder: str) -> None:
    files, exclude = re.compile(hook["files"]), re.compile(hook["exclude"])
    for name in NAMES:
        picked = bool(files.search(folder + name)) and not exclude.search(folder + name)
        assert picked == is_dockerfile_name(name), name


@pytest.mark.parametrize("hook", hooks(), ids=lambda h: h["id"])
def test_hooks_run_the_installed_command(hook: dict[str, str]) -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert hook["entry"].split()[0] in scripts
    assert hook["language"] == "python"


def test_the_user_guide_shows_the_same_patterns() -> None:
    guide = (ROOT / "docs" / "user-guide.md").read_text()
    hook = hooks()[0]
    assert f"      files: {hook['files']}\n" in guide
    assert f"      exclude: {hook['exclude']}\n" in guide
