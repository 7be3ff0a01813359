"""Pipenv, Poetry, uv and PDM project installs, and what their manifests say."""

from __future__ import annotations

import re
from collections.abc import Callable

from dffix.lazy import lazy_re
from dffix.rules.deps.model import Effect, Tool, Writes, manifest, optional, read_args

_PY_FLAGS = frozenset(
    {
        *("--no-root", "--no-directory", "--no-dev", "--no-interaction", "-n", "--no-ansi"),
        *("--sync", "--all-extras", "--compile", "-v", "-vv", "-vvv", "--quiet", "-q"),
        *("--no-cache", "--no-plugins", "--frozen", "--locked", "--no-install-project"),
        *("--no-install-workspace", "--no-editable", "--compile-bytecode", "--inexact"),
        *("--no-progress", "--all-groups", "--no-default-groups", "--only-dev", "--no-self"),
        *("--prod", "--production", "--dev", "-d", "--frozen-lockfile", "--no-lock", "--check"),
        *("--fail-fast", "--deploy", "--system", "--ignore-pipfile", "--skip-lock", "--clear"),
        *("--verbose", "--keep-outdated", "--selective-upgrade", "--pre", "--no-isolation"),
        *("--no-binary", "--only-binary", "--no-build", "--no-sources", "--dry-run"),
    }
)
_PY_VALUES = frozenset(
    {
        *("--without", "--with", "--only", "-E", "--extras", "--extra", "--group"),
        *("--only-group", "--no-group", "--python", "-p", "--link-mode", "-G", "--categories"),
        *("--skip", "--index-url", "--extra-index-url", "--index", "--default-index"),
        *("--python-platform",),
    }
)
_PY_PROJECT = {
    "pipenv": (
        (manifest("Pipfile"), optional("Pipfile.lock", blind=True), optional(".env")),
        (".venv",),
    ),
    "poetry": (
        (manifest("pyproject.toml"), optional("poetry.lock", blind=True), optional("poetry.toml")),
        (".venv",),
    ),
    "uv": (
        (
            manifest("pyproject.toml"),
            optional("uv.lock", blind=True),
            optional("uv.toml"),
            optional(".python-version"),
        ),
        (".venv",),
    ),
    "pdm": (
        (
            manifest("pyproject.toml"),
            optional("pdm.lock", blind=True),
            optional("pdm.toml"),
            optional(".pdm-python"),
            optional(".pdm.toml"),
        ),
        (".venv", "__pypackages__"),
    ),
}
# The option that keeps the project itself out of the install, per tool, and the hint.
_NO_PROJECT = {
    "poetry": (
        "--no-root",
        "`poetry install` also installs the project: run `poetry install --no-root` first",
    ),
    "uv": (
        "--no-install-project",
        "`uv sync` also installs the project: run `uv sync --no-install-project` first",
    ),
    "pdm": (
        "--no-self",
        "`pdm install` also installs the project: run `pdm install --no-self` first",
    ),
}


def python_project_effect(kind: str, args: tuple[str, ...], words: str) -> Effect | None:
    """Return what `pipenv|poetry|pdm install`, `uv sync` does; None for other uses."""
    parsed = read_args(args, _PY_FLAGS, _PY_VALUES)
    if parsed is None or parsed.positional:
        return None  # `pipenv install flask`, `poetry install pkg`: they edit manifests
    reads, outputs = _PY_PROJECT[kind]
    options = frozenset(f.lstrip("-") for f in parsed.flags & {"--frozen", "--locked"})
    needs = None
    if kind in _NO_PROJECT:
        flag, hint = _NO_PROJECT[kind]
        needs = None if flag in parsed.flags else hint
    return Tool(kind, words, reads, outputs, options, needs)


_PYPROJECT_LOCAL = lazy_re(
    r"\bpath\s*=|file:|\$\{PROJECT_ROOT\}|\[tool\.uv\.workspace\]|\bworkspace\s*=\s*true|\beditable\s*=\s*true",
    re.I,
)


def python_project_command(kind: str) -> Callable[[tuple[str, ...], str], Effect | None]:
    subcommands = {"pipenv": ("install", "sync"), "poetry": ("install",), "pdm": ("install", "sync")}

    def effect(args: tuple[str, ...], words: str) -> Effect | None:
        if args[:1] and args[0] in subcommands[kind]:
            return python_project_effect(kind, args[1:], words)
        if kind == "poetry" and args[:1] == ("config",) and "--local" not in args:
            return Writes()
        return None

    return effect


def pyproject_content(text: str, tool: Tool) -> str | None:
    """Return why a Pipfile or pyproject.toml makes the install read more than manifests."""
    found = _PYPROJECT_LOCAL.search(text)
    if found:
        return f"the manifest refers to local files (`{found.group(0).strip()}`)"
    if (
        tool.kind == "uv"
        and not tool.options & {"frozen", "locked"}
        and re.search(r"^\s*dynamic\s*=", text, re.M)
    ):
        return "pyproject.toml has dynamic metadata, which `uv sync` builds from the source"
    return None
