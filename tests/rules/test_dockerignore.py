from __future__ import annotations

from pathlib import Path

import pytest

from dffix.edits import Applicability
from dffix.facts import BuildContext, compute_facts
from dffix.fixer import check, fix
from dffix.rules.dockerignore import MAX_DEPTH, MissingDockerignore, dockerignore_for, whole_context_copy
from dffix.syntax import Dockerfile, ParseError, parse
from tests.helpers import assert_unchanged, snippet

# -- DF203 missing-dockerignore ---------------------------------------------------


def _parse(source: str) -> Dockerfile:
    df = parse(snippet(source))
    assert not isinstance(df, ParseError)
    return df


def _tree(root: Path, paths: list[str]) -> BuildContext:
    """Make files (and folders, for paths ending in `/`) under `root`."""
    for rel in paths:
        path = root / rel
        if rel.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("x\n")
    return BuildContext(root)


def _messages(source: str, context: BuildContext | None) -> list[str]:
    return [v.message for v in check(_parse(source), [MissingDockerignore()], context)]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM python:3.12-slim\nCOPY . .", id="COPY . ."),
        pytest.param("FROM python:3.12-slim\nCOPY ./ /app/", id="COPY ./"),
        pytest.param("FROM python:3.12-slim\nADD . /app", id="ADD ."),
        pytest.param("FROM python:3.12-slim\nCOPY --chown=app . /app", id="with a flag"),
        pytest.param('FROM python:3.12-slim\nCOPY [".", "/app"]', id="JSON form"),
        pytest.param("FROM python:3.12-slim\nCOPY * /app/", id="star"),
        pytest.param("FROM python:3.12-slim\nCOPY a.txt ./. /app/", id="among other sources"),
        pytest.param("FROM golang\nRUN --mount=target=/src go build /src", id="bind mount of the context"),
        pytest.param(
            "FROM golang\nRUN --mount=type=bind,source=.,target=/src make", id="bind mount source ."
        ),
    ],
)
def test_missing_dockerignore_reports(tmp_path: Path, source: str) -> None:
    messages = _messages(source, _tree(tmp_path, ["app.py"]))
    assert len(messages) == 1
    assert "copies the whole build context and there is no `.dockerignore`" in messages[0]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("FROM python:3.12-slim\nCOPY app.py /app/", id="named files"),
        pytest.param("FROM python:3.12-slim\nCOPY src/ /app/", id="a folder"),
        pytest.param("FROM python:3.12-slim AS b\nFROM b\nCOPY --from=b . /app", id="COPY --from"),
        pytest.param("FROM python:3.12-slim\nCOPY <<EOF /app/x\nhi\nEOF", id="heredoc"),
        pytest.param("FROM golang\nRUN --mount=type=cache,target=/root/.cache go build", id="cache mount"),
        pytest.param(
            "FROM golang\nRUN --mount=type=bind,from=b,target=/src make", id="bind mount from a stage"
        ),
        pytest.param(
            "FROM golang\nRUN --mount=type=bind,source=src,target=/src make", id="bind mount of a folder"
        ),
        pytest.param("FROM python:3.12-slim\nONBUILD COPY . /app", id="ONBUILD is for the child's context"),
    ],
)
def test_missing_dockerignore_not_reported(tmp_path: Path, source: str) -> None:
    assert _messages(source, _tree(tmp_path, ["app.py"])) == []


@pytest.mark.parametrize(
    "ignore_file",
    [
        pytest.param(".dockerignore", id="dockerignore"),
        pytest.param("Dockerfile.dockerignore", id="per-Dockerfile ignore file"),
        pytest.param("prod.Dockerfile.dockerignore", id="another Dockerfile's ignore file"),
    ],
)
def test_missing_dockerignore_ignore_file_present(tmp_path: Path, ignore_file: str) -> None:
    assert _messages("FROM x\nCOPY . .", _tree(tmp_path, [ignore_file])) == []


def test_missing_dockerignore_needs_a_context() -> None:
    assert _messages("FROM x\nCOPY . .", None) == []


def test_missing_dockerignore_message_names_what_the_folder_holds(tmp_path: Path) -> None:
    context = _tree(tmp_path, [".git/", "node_modules/", ".env", "src/app.py"])
    [message] = _messages("FROM node:20\nCOPY . .", context)
    assert message == (
        "`COPY` copies the whole build context and there is no `.dockerignore` "
        "(the folder holds `.env`, `.git`, `node_modules`); "
        "`dffix --write-dockerignore` writes one"
    )


def test_missing_dockerignore_never_edits_the_dockerfile(tmp_path: Path) -> None:
    source = "FROM python:3.12-slim\nCOPY . .\n"
    result = fix(source, [MissingDockerignore()], Applicability.UNSAFE, _tree(tmp_path, [".git/"]))
    assert not isinstance(result, ParseError)
    assert result.text == source
    assert [v.fix for v in result.remaining] == [None]
    assert_unchanged(MissingDockerignore(), source)


def _content(
    root: Path, paths: list[str], source: str = "FROM x\nCOPY . .\nRUN npm ci", name: str = "Dockerfile"
) -> list[str]:
    text = dockerignore_for(_tree(root, paths), name, _parse(source))
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        pytest.param([], ["Dockerfile", ".dockerignore"], id="nothing to ignore but itself"),
        pytest.param([".git/", ".hg/"], [".git", ".hg"], id="version control"),
        pytest.param([".venv/"], [".venv"], id="dot venv"),
        pytest.param(
            ["env/pyvenv.cfg", "tools/venv/pyvenv.cfg"],
            ["env", "tools/venv"],
            id="any folder with pyvenv.cfg",
        ),
        pytest.param(["venv/lib/x.py"], [], id="venv without pyvenv.cfg is a source folder"),
        pytest.param(["pkg/__pycache__/a.pyc"], ["**/__pycache__", "**/*.py[co]"], id="bytecode"),
        pytest.param(
            [".env", ".env.local", ".env.example", "api/.env"],
            [".env", ".env.local", "api/.env"],
            id="env files",
        ),
        pytest.param(["node_modules/"], ["node_modules"], id="node_modules at the top"),
        pytest.param(["node_modules/", "web/node_modules/"], ["**/node_modules"], id="nested node_modules"),
        pytest.param(["target/", "pom.xml"], ["target"], id="maven target"),
        pytest.param(["target/"], [], id="target without a tool file"),
        pytest.param(["dist/", "setup.py"], ["dist"], id="dist beside setup.py"),
        pytest.param(["web/dist/", "web/package.json"], ["web/dist"], id="nested dist"),
        pytest.param(
            [".pytest_cache/", ".mypy_cache/", ".idea/", "x.egg-info/"],
            [".idea", ".mypy_cache", ".pytest_cache", "x.egg-info"],
            id="caches",
        ),
        pytest.param([".DS_Store", "a/.DS_Store"], ["**/.DS_Store"], id="system files"),
    ],
)
def test_dockerignore_for_lists_what_exists(tmp_path: Path, paths: list[str], expected: list[str]) -> None:
    found = _content(tmp_path, paths)
    assert found[: len(found) - 2] == expected or found == expected
    if expected[-2:] != ["Dockerfile", ".dockerignore"]:
        assert found[-2:] == ["Dockerfile", ".dockerignore"]


@pytest.mark.parametrize(
    ("gitignore", "expected"),
    [
        pytest.param("build/\n", ["build"], id="git-ignored output"),
        pytest.param("/dist\n", [], id="tracked build folder"),
        pytest.param("**/build\n# c\n!keep\n", ["build"], id="glob prefix"),
    ],
)
def test_dockerignore_for_trusts_gitignore_for_outputs(
    tmp_path: Path, gitignore: str, expected: list[str]
) -> None:
    (tmp_path / ".gitignore").write_text(gitignore)
    found = _content(tmp_path, ["build/", "setup.py"])
    assert found[:-2] == expected


@pytest.mark.parametrize(
    ("source", "paths", "absent"),
    [
        pytest.param(
            "FROM x\nCOPY . .\nCOPY dist/ /srv/", ["dist/", "package.json"], "dist", id="copied by name"
        ),
        pytest.param(
            "FROM x\nCOPY . .\nCOPY web/dist/app.js /srv/",
            ["web/dist/", "web/package.json"],
            "web/dist",
            id="file inside",
        ),
        pytest.param(
            'FROM x\nCOPY . .\nCMD ["node", "dist/index.js"]',
            ["dist/", "package.json"],
            "dist",
            id="named in CMD",
        ),
        pytest.param("FROM x\nCOPY . .\nRUN git describe > /v", [".git/"], ".git", id="RUN uses git"),
        pytest.param("FROM x\nCOPY . .\nCMD node .", ["node_modules/"], "node_modules", id="no node install"),
        pytest.param("FROM x\nCOPY . .\nRUN . .venv/bin/activate", [".venv/"], ".venv", id="uses the venv"),
        pytest.param("FROM x\nCOPY . .\nCOPY .env /app/", [".env"], ".env", id="env file copied"),
        pytest.param("FROM x\nCOPY . .\nCOPY Dockerfile /", [], "Dockerfile", id="Dockerfile copied"),
    ],
)
def test_dockerignore_for_keeps_what_the_dockerfile_uses(
    tmp_path: Path, source: str, paths: list[str], absent: str
) -> None:
    assert absent not in _content(tmp_path, paths, source)


def test_dockerignore_for_uses_the_dockerfile_name(tmp_path: Path) -> None:
    assert _content(tmp_path, [], name="api.Dockerfile") == ["api.Dockerfile", ".dockerignore"]


def test_dockerignore_for_without_a_dockerfile(tmp_path: Path) -> None:
    text = dockerignore_for(_tree(tmp_path, [".git/", "node_modules/"]), "Dockerfile")
    assert ".git\n" in text
    assert "node_modules" not in text  # the image might run on it


def test_dockerignore_for_walk_is_bounded(tmp_path: Path) -> None:
    deep = "/".join(f"d{i}" for i in range(MAX_DEPTH + 1))
    found = _content(tmp_path, [f"{deep}/.env", "a/.env"])
    assert "a/.env" in found
    assert not any(line.startswith("d0/") for line in found)


def test_dockerignore_for_does_not_enter_ignored_folders(tmp_path: Path) -> None:
    found = _content(tmp_path, ["node_modules/x/.env", ".venv/.env"])
    assert found == ["node_modules", ".venv", "Dockerfile", ".dockerignore"]


def test_dockerignore_content_is_commented(tmp_path: Path) -> None:
    text = dockerignore_for(_tree(tmp_path, [".env"]), "Dockerfile")
    assert text.startswith("# Written by dffix (DF203 missing-dockerignore)")
    assert "# Secrets: pass them at run time" in text
    assert text.endswith(".dockerignore\n")


def test_new_file(tmp_path: Path) -> None:
    df = _parse("FROM python:3.12-slim\nCOPY . /app")
    facts = compute_facts(df, _tree(tmp_path, [".git/", "Dockerfile"]))
    found = MissingDockerignore.new_file(df, facts)
    assert found is not None
    path, content = found
    assert path == ".dockerignore"
    assert content == dockerignore_for(BuildContext(tmp_path), "Dockerfile", df)
    assert not (tmp_path / ".dockerignore").exists(), "new_file writes nothing"


@pytest.mark.parametrize(
    ("source", "paths", "context"),
    [
        pytest.param("FROM x\nCOPY . .", [".dockerignore"], True, id="never overwrites"),
        pytest.param("FROM x\nCOPY . .", ["api.Dockerfile.dockerignore"], True, id="per-Dockerfile file"),
        pytest.param("FROM x\nCOPY app.py .", [], True, id="no whole-context copy"),
        pytest.param("FROM x\nCOPY . .", [], False, id="no context"),
    ],
)
def test_new_file_none(tmp_path: Path, source: str, paths: list[str], context: bool) -> None:
    df = _parse(source)
    facts = compute_facts(df, _tree(tmp_path, paths) if context else None)
    assert MissingDockerignore.new_file(df, facts, "api.Dockerfile") is None


def test_whole_context_copy_finds_the_first() -> None:
    df = _parse("FROM x\nCOPY a .\nADD ./ /b\nCOPY . /c")
    found = whole_context_copy(df)
    assert found is not None
    assert found.start_line == 3
