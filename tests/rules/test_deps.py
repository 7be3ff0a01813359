from __future__ import annotations

from pathlib import Path

import pytest

from dffix.edits import Applicability
from dffix.facts import BuildContext
from dffix.fixer import FixResult, check, fix
from dffix.rules.deps import CopyAllBeforeInstall
from dffix.syntax import ParseError, parse
from tests.helpers import assert_fixes, assert_reports, assert_unchanged, snippet

EXAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "example"


def fixed_in(folder: Path, source: str, level: Applicability = Applicability.SAFE) -> FixResult:
    """Fix `source` with DF202 alone, with `folder` as the visible build context."""
    result = fix(snippet(source), [CopyAllBeforeInstall()], level, BuildContext(folder))
    assert not isinstance(result, ParseError), result
    assert not result.bugs, result.bugs
    again = fix(result.text, [CopyAllBeforeInstall()], level, BuildContext(folder))
    assert not isinstance(again, ParseError), again
    assert again.text == result.text, "not idempotent"
    return result


def context(tmp_path: Path, files: dict[str, str]) -> Path:
    """Write a build context: file name -> text (a name ending in `/` is a folder)."""
    for name, text in files.items():
        path = tmp_path / name
        if name.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def messages_in(folder: Path, source: str) -> list[tuple[str, Applicability | None]]:
    """Return DF202's messages for `source` with a visible context, and each fix's level."""
    df = parse(snippet(source))
    assert not isinstance(df, ParseError), df
    found = check(df, [CopyAllBeforeInstall()], BuildContext(folder))
    return [(v.message, v.fix.applicability if v.fix else None) for v in found]


# -- fixes without a visible build context (so unsafe) -----------------------------------


@pytest.mark.parametrize(
    ("before", "after"),
    [
        pytest.param(
            """
            FROM python:3.12
            WORKDIR /app
            COPY . .
            RUN pip install -r requirements.txt
            CMD ["python", "app.py"]
            """,
            """
            FROM python:3.12
            WORKDIR /app
            COPY requirements.txt .
            RUN pip install -r requirements.txt
            COPY . .
            CMD ["python", "app.py"]
            """,
            id="copy all before pip install gets a narrow copy",
        ),
        pytest.param(
            """
            FROM python:3.12.2
            WORKDIR /app
            COPY sample.py .
            COPY requirements.txt .
            RUN apt-get update
            RUN apt-get install -y netcat
            RUN pip install -r requirements.txt
            CMD python sample.py
            """,
            """
            FROM python:3.12.2
            WORKDIR /app
            COPY requirements.txt .
            RUN apt-get update
            RUN apt-get install -y netcat
            RUN pip install -r requirements.txt
            COPY sample.py .
            CMD python sample.py
            """,
            id="seed: code copy moves below apt RUNs and the install",
        ),
        pytest.param(
            """
            FROM node:20
            WORKDIR /usr/src/app
            COPY . .
            RUN npm ci
            CMD ["node", "server.js"]
            """,
            """
            FROM node:20
            WORKDIR /usr/src/app
            COPY package*.json ./
            RUN npm ci
            COPY . .
            CMD ["node", "server.js"]
            """,
            id="npm unseen: package*.json in case the lock is absent",
        ),
        pytest.param(
            """
            FROM node:20
            WORKDIR /app
            COPY . .
            RUN yarn install --frozen-lockfile
            """,
            """
            FROM node:20
            WORKDIR /app
            COPY package.json yarn.lock ./
            RUN yarn install --frozen-lockfile
            COPY . .
            """,
            id="yarn",
        ),
        pytest.param(
            """
            FROM node:20
            WORKDIR /app
            COPY . .
            RUN pnpm install --frozen-lockfile
            """,
            """
            FROM node:20
            WORKDIR /app
            COPY package.json pnpm-lock.yaml ./
            RUN pnpm install --frozen-lockfile
            COPY . .
            """,
            id="pnpm",
        ),
        pytest.param(
            """
            FROM golang:1.22
            WORKDIR /src
            COPY . .
            RUN go mod download
            RUN go build -o /app .
            """,
            """
            FROM golang:1.22
            WORKDIR /src
            COPY go.mod go.sum ./
            RUN go mod download
            COPY . .
            RUN go build -o /app .
            """,
            id="go mod download",
        ),
        pytest.param(
            """
            FROM ruby:3.3
            WORKDIR /app
            COPY . .
            RUN bundle install
            """,
            """
            FROM ruby:3.3
            WORKDIR /app
            COPY Gemfile Gemfile.lock ./
            RUN bundle install
            COPY . .
            """,
            id="bundler",
        ),
        pytest.param(
            """
            FROM python:3.12
            WORKDIR /app
            COPY . .
            RUN pipenv install --deploy --system
            """,
            """
            FROM python:3.12
            WORKDIR /app
            COPY Pipfile Pipfile.lock ./
            RUN pipenv install --deploy --system
            COPY . .
            """,
            id="pipenv",
        ),
        pytest.param(
            """
            FROM python:3.12
            WORKDIR /app
            COPY . .
            RUN poetry install --no-root
            """,
            """
            FROM python:3.12
            WORKDIR /app
            COPY pyproject.toml poetry.lock ./
            RUN poetry install --no-root
            COPY . .
            """,
            id="poetry without the project",
        ),
        pytest.param(
            """
            FROM python:3.12
            WORKDIR /app
            COPY . .
            RUN uv sync --frozen --no-install-project
            """,
            """
            FROM python:3.12
            WORKDIR /app
            COPY pyproject.toml uv.lock ./
            RUN uv sync --frozen --no-install-project
            COPY . .
            """,
            id="uv without the project",
        ),
        pytest.param(
            """
            FROM python:3.12
            WORKDIR /app
            COPY . .
            RUN pdm install --prod --no-self
            """,
            """
            FROM python:3.12
            WORKDIR /app
            COPY pyproject.toml pdm.lock ./
            RUN pdm install --prod --no-self
            COPY . .
            """,
            id="pdm without the project",
        ),
        pytest.param(
            """
            FROM composer:2
            WORKDIR /app
            COPY . .
            RUN composer install --no-dev --no-scripts --no-autoloader
            RUN composer dump-autoload
            """,
            """
            FROM composer:2
            WORKDIR /app
            COPY composer.json composer.lock ./
            RUN composer install --no-dev --no-scripts --no-autoloader
            COPY . .
            RUN composer dump-autoload
            """,
            id="composer without scripts and autoloader",
        ),
    ],
)
def test_copy_all_before_install_fixes(before: str, after: str) -> None:
    assert_fixes(CopyAllBeforeInstall(), before, after, unsafe=True)


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            """
            FROM python:3.12
            WORKDIR /app
            COPY requirements.txt .
            RUN pip install -r requirements.txt
            COPY . .
            """,
            id="already in the cache-friendly order",
        ),
        pytest.param(
            """
            FROM python:3.12
            WORKDIR /app
            COPY . .
            RUN pip install .
            """,
            id="pip install . needs the source",
        ),
        pytest.param(
            """
            FROM python:3.12
            WORKDIR /app
            COPY . .
            RUN pip install -e . -r requirements.txt
            """,
            id="editable install needs the source",
        ),
        pytest.param(
            """
            FROM python:3.12
            WORKDIR /app
            COPY . .
            RUN pip install -r requirements.txt && python setup.py build
            """,
            id="install RUN also builds the source",
        ),
        pytest.param(
            """
            FROM python:3.12
            WORKDIR /app
            COPY . .
            RUN make generate
            RUN pip install -r requirements.txt
            """,
            id="unknown RUN between may generate files",
        ),
        pytest.param(
            """
            FROM node:20
            WORKDIR /app
            COPY --from=build /out .
            RUN npm ci
            """,
            id="COPY --from is not a context copy",
        ),
        pytest.param(
            """
            FROM node:20
            WORKDIR /app
            COPY package.json package-lock.json ./
            RUN npm install express
            """,
            id="npm install of a named package edits package.json",
        ),
        pytest.param(
            """
            FROM node:20
            WORKDIR /app
            COPY . .
            RUN npm run build
            """,
            id="not an install",
        ),
        pytest.param(
            """
            FROM node:20
            WORKDIR /app
            COPY $SRC .
            RUN npm ci
            """,
            id="copy with a variable",
        ),
        pytest.param(
            """
            FROM node:20
            WORKDIR /app
            COPY . .
            RUN ["npm", "run", "ci"]
            """,
            id="exec form that is not an install",
        ),
        pytest.param(
            """
            FROM python:3.12
            WORKDIR /app
            COPY . .
            RUN <<EOF
            pip install -r requirements.txt
            EOF
            """,
            id="heredoc RUN is opaque",
        ),
        pytest.param(
            """
            FROM python:3.12
            # dffix: ignore=DF202
            COPY . .
            RUN pip install -r requirements.txt
            """,
            id="suppressed",
        ),
    ],
)
def test_copy_all_before_install_unchanged(source: str) -> None:
    assert_unchanged(CopyAllBeforeInstall(), source)


def test_unsafe_fix_is_not_applied_by_default() -> None:
    source = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
    assert_unchanged(CopyAllBeforeInstall(), source, unsafe=False)


def test_unseen_context_message_says_why() -> None:
    source = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
    [message] = assert_reports(CopyAllBeforeInstall(), source, fixable=True)
    assert message.endswith("cannot see requirements.txt, so cannot prove the install reads only it")


# -- the seed example, with its folder as the build context --------------------------------


def test_seed_example_is_safe_with_its_context() -> None:
    source = (EXAMPLE / "Dockerfile").read_text()
    result = fixed_in(EXAMPLE, source)
    assert result.text == snippet(
        """
        FROM python:3.12.2
        WORKDIR /app
        COPY requirements.txt .
        RUN apt-get update
        RUN apt-get install -y netcat
        RUN pip install -r requirements.txt
        COPY sample.py .
        CMD python sample.py
        """
    )


def test_visible_context_makes_the_fix_safe(tmp_path: Path) -> None:
    folder = context(tmp_path, {"requirements.txt": "flask==3.0\n", "app.py": ""})
    source = """
        FROM python:3.12
        WORKDIR /app
        COPY . .
        RUN pip install -r requirements.txt
        """
    result = fixed_in(folder, source)
    assert result.text == snippet(
        """
        FROM python:3.12
        WORKDIR /app
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        COPY . .
        """
    )
