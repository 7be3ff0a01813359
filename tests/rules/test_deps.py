from __future__ import annotations

from pathlib import Path

import pytest

from dffix.edits import Applicability
from dffix.facts import BuildContext
from dffix.fixer import FixerBug, FixResult, check, fix
from dffix.rules.deps import CopyAllBeforeInstall
from dffix.rules.deps.commands import command_effect
from dffix.rules.deps.context import View, ignore_rules
from dffix.rules.deps.model import Cd, Tool, Writes
from dffix.rules.deps.pip import pip_content
from dffix.rules.deps.planner import MAX_WINDOW
from dffix.syntax import ParseError, parse
from tests.helpers import Run, assert_fixes, assert_reports, assert_unchanged, fixed, snippet

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
            COPY ./ ./
            RUN npm install
            """,
            """
            FROM node:20
            WORKDIR /app
            COPY package*.json ./
            RUN npm install
            COPY ./ ./
            """,
            id="COPY ./ ./ is the whole folder too",
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
            COPY Gemfile Gemfile.lock* ./
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


# -- with a visible build context: safe fixes ------------------------------------------------

PY = "FROM python:3.12\nWORKDIR /app\n"
NODE = "FROM node:20\nWORKDIR /app\n"


@pytest.mark.parametrize(
    ("files", "before", "after"),
    [
        pytest.param(
            {"requirements.txt": "-r base.txt\n-c constraints.txt\ngunicorn\n", "base.txt": "flask\n"}
            | {"constraints.txt": "flask<4\n"},
            PY + "COPY . .\nRUN pip install -r requirements.txt\n",
            PY + "COPY requirements.txt base.txt constraints.txt ./\n"
            "RUN pip install -r requirements.txt\nCOPY . .\n",
            id="-r and -c files are followed and copied too",
        ),
        pytest.param(
            {"requirements/prod.txt": "-r base.txt\n", "requirements/base.txt": "flask\n"},
            PY + "COPY . .\nRUN pip install -r requirements/prod.txt\n",
            PY + "COPY requirements/prod.txt requirements/base.txt ./requirements/\n"
            "RUN pip install -r requirements/prod.txt\nCOPY . .\n",
            id="nested requirements are relative to their file",
        ),
        pytest.param(
            {"package.json": '{"scripts": {"start": "node ."}}', "package-lock.json": "{}", ".npmrc": ""},
            NODE + "COPY . .\nRUN npm ci\n",
            NODE + "COPY package.json package-lock.json .npmrc ./\nRUN npm ci\nCOPY . .\n",
            id="npm: lock and .npmrc copied when present",
        ),
        pytest.param(
            {"package.json": '{"scripts": {"postinstall": "make"}}', "package-lock.json": "{}"},
            NODE + "COPY . .\nRUN npm ci --ignore-scripts\n",
            NODE + "COPY package.json package-lock.json ./\nRUN npm ci --ignore-scripts\nCOPY . .\n",
            id="lifecycle scripts are fine with --ignore-scripts",
        ),
        pytest.param(
            {"package.json": "{}", "node_modules/": "", ".dockerignore": "node_modules\n*.log\n"},
            NODE + "COPY . .\nRUN npm install\n",
            NODE + "COPY package.json .\nRUN npm install\nCOPY . .\n",
            id="node_modules left out by .dockerignore",
        ),
        pytest.param(
            {"requirements.txt": "flask\n"},
            PY + "COPY --chown=app:app --chmod=644 . .\nRUN pip install -r requirements.txt\n",
            PY + "COPY --chown=app:app --chmod=644 requirements.txt .\n"
            "RUN pip install -r requirements.txt\nCOPY --chown=app:app --chmod=644 . .\n",
            id="ownership flags go on the narrow copy too",
        ),
        pytest.param(
            {"requirements.txt": "flask\n"},
            "FROM python:3.12\nADD . /app\nRUN cd /app && pip install -r requirements.txt\n",
            "FROM python:3.12\nCOPY requirements.txt /app/\n"
            "RUN cd /app && pip install -r requirements.txt\nADD . /app\n",
            id="ADD of the folder, install after cd to it",
        ),
        pytest.param(
            {"requirements.txt": "flask\n"},
            "FROM python:3.12\nADD . /app\nWORKDIR /app\nRUN pip install -r requirements.txt\n",
            "FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt /app/\n"
            "RUN pip install -r requirements.txt\nADD . /app\n",
            id="WORKDIR between is fine for an absolute destination",
        ),
        pytest.param(
            {"requirements.txt": "flask\n"},
            PY + "COPY . .\nENV PIP_NO_CACHE_DIR=1\nARG EXTRA\nLABEL a=b\n"
            "RUN apt-get update && apt-get install -y gcc && rm -rf /var/lib/apt/lists/*\n"
            "RUN pip install -r requirements.txt\n",
            PY + "ENV PIP_NO_CACHE_DIR=1\nARG EXTRA\nLABEL a=b\n"
            "RUN apt-get update && apt-get install -y gcc && rm -rf /var/lib/apt/lists/*\n"
            "COPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n",
            id="ENV, ARG, LABEL and apt RUNs between stay before the install",
        ),
        pytest.param(
            {"requirements.txt": "flask\n"},
            PY + "COPY requirements.txt .\nCOPY . .\nRUN pip install -r requirements.txt\n",
            PY + "COPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n",
            id="manifest copied before the code copy: no second narrow copy",
        ),
        pytest.param(
            {"requirements.txt": "flask\n", "a.py": "", "b.py": ""},
            PY + "COPY a.py .\nCOPY b.py .\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n",
            PY + "COPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY a.py .\nCOPY b.py .\n",
            id="several code copies keep their order",
        ),
        pytest.param(
            {"requirements.txt": "flask\n", "package.json": "{}"},
            NODE + "COPY . .\nRUN npm install\nRUN pip install -r requirements.txt\nCMD x\n",
            NODE + "COPY package.json .\nRUN npm install\nCOPY requirements.txt .\n"
            "RUN pip install -r requirements.txt\nCOPY . .\nCMD x\n",
            id="two installs: the copy moves below both",
        ),
        pytest.param(
            {"requirements.txt": "flask\n"},
            PY + "# the app\n# and its data\nCOPY . .\n# deps\nRUN pip install -r requirements.txt\nCMD x\n",
            PY + "# deps\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
            "# the app\n# and its data\nCOPY . .\nCMD x\n",
            id="comment lines above the copy move with it, the install's stay above it",
        ),
        pytest.param(
            {"requirements.txt": "flask\n"},
            PY + "RUN true\n\nCOPY . .\n\nRUN pip install -r requirements.txt\n\nCMD x\n",
            PY
            + "RUN true\n\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
            + "\nCOPY . .\n\nCMD x\n",
            id="no double blank line where the copy was, and blocks stay apart",
        ),
        pytest.param(
            {"requirements.txt": "flask\n"},
            PY + "copy . .\nrun pip install -r requirements.txt\n",
            PY + "copy requirements.txt .\nrun pip install -r requirements.txt\ncopy . .\n",
            id="lowercase keywords",
        ),
        pytest.param(
            {"requirements.txt": "flask\n"},
            PY + "  COPY . .\n  RUN pip install -r requirements.txt\n",
            PY + "  COPY requirements.txt .\n  RUN pip install -r requirements.txt\n  COPY . .\n",
            id="indented instructions",
        ),
        pytest.param(
            {"package.json": "{}", "package-lock.json": "{}"},
            NODE + "COPY . .\nRUN --mount=type=cache,target=/root/.npm npm ci\n",
            NODE + "COPY package.json package-lock.json ./\n"
            "RUN --mount=type=cache,target=/root/.npm npm ci\nCOPY . .\n",
            id="cache mount outside the project",
        ),
        pytest.param(
            {"package.json": "{}", "yarn.lock": "", ".yarnrc.yml": "nodeLinker: node-modules\n"},
            NODE + "COPY . .\nRUN corepack enable && yarn install --immutable\n",
            NODE + "COPY package.json yarn.lock .yarnrc.yml ./\n"
            "RUN corepack enable && yarn install --immutable\nCOPY . .\n",
            id="yarn with corepack and its config",
        ),
        pytest.param(
            {"package.json": "{}", "package-lock.json": "{}"},
            NODE + "COPY . .\nRUN npm install -g pm2\nRUN npm ci\n",
            NODE + "RUN npm install -g pm2\nCOPY package.json package-lock.json ./\nRUN npm ci\nCOPY . .\n",
            id="global npm install between reads nothing of the project",
        ),
        pytest.param(
            {"package.json": "{}"},
            NODE + 'COPY . .\nRUN ["npm", "install"]\n',
            NODE + 'COPY package.json .\nRUN ["npm", "install"]\nCOPY . .\n',
            id="exec form install",
        ),
        pytest.param(
            {"my app.txt": "", "requirements.txt": "flask\n"},
            PY + 'COPY ["my app.txt", "requirements.txt", "./"]\nRUN pip install -r requirements.txt\n',
            PY + "COPY requirements.txt ./\nRUN pip install -r requirements.txt\n"
            'COPY ["my app.txt", "requirements.txt", "./"]\n',
            id="json form code copy",
        ),
        pytest.param(
            {"Gemfile": "source 'https://rubygems.org'\ngem 'rails'\n", "Gemfile.lock": ""},
            "FROM ruby:3.3\nWORKDIR /app\nCOPY . .\nRUN gem install bundler && bundle install --jobs 4\n",
            "FROM ruby:3.3\nWORKDIR /app\nCOPY Gemfile Gemfile.lock ./\n"
            "RUN gem install bundler && bundle install --jobs 4\nCOPY . .\n",
            id="bundler with gem install before",
        ),
        pytest.param(
            {"Gemfile": "gem 'rails'\n"},
            "FROM ruby:3.3\nADD . /app\nRUN cd /app && bundle install --without development test\n",
            "FROM ruby:3.3\nCOPY Gemfile /app/\n"
            "RUN cd /app && bundle install --without development test\nADD . /app\n",
            id="bundler --without takes several groups",
        ),
        pytest.param(
            {"go.mod": "module x\n\nrequire y v1.0.0\n", "go.sum": ""},
            "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go mod download && go mod verify\n",
            "FROM golang:1.22\nWORKDIR /src\nCOPY go.mod go.sum ./\n"
            "RUN go mod download && go mod verify\nCOPY . .\n",
            id="go mod download and verify",
        ),
    ],
)
def test_fixes_safely_with_visible_context(
    tmp_path: Path, files: dict[str, str], before: str, after: str
) -> None:
    folder = context(tmp_path, files)
    result = fixed_in(folder, before)
    assert result.text == after
    assert all(v.fix and v.fix.applicability is Applicability.SAFE for v in result.applied)


def test_last_line_without_newline(tmp_path: Path) -> None:
    folder = context(tmp_path, {"requirements.txt": "flask\n"})
    before = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt"
    result = fix(before, [CopyAllBeforeInstall()], Applicability.SAFE, BuildContext(folder))
    assert not isinstance(result, ParseError)
    expected = PY + "COPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . ."
    assert result.text == expected


def test_crlf_is_kept(tmp_path: Path) -> None:
    folder = context(tmp_path, {"requirements.txt": "flask\n"})
    before = "FROM python:3.12\r\nWORKDIR /app\r\nCOPY . .\r\nRUN pip install -r requirements.txt\r\n"
    result = fix(before, [CopyAllBeforeInstall()], Applicability.SAFE, BuildContext(folder))
    assert not isinstance(result, ParseError)
    assert result.text == (
        "FROM python:3.12\r\nWORKDIR /app\r\nCOPY requirements.txt .\r\n"
        "RUN pip install -r requirements.txt\r\nCOPY . .\r\n"
    )


def test_each_stage_is_fixed(tmp_path: Path) -> None:
    folder = context(tmp_path, {"package.json": "{}", "requirements.txt": "flask\n"})
    source = """
        FROM node:20 AS web
        WORKDIR /web
        COPY . .
        RUN npm install && npm run build

        FROM node:20 AS assets
        WORKDIR /web
        COPY . .
        RUN npm install

        FROM python:3.12
        WORKDIR /app
        COPY . .
        RUN pip install -r requirements.txt
        COPY --from=assets /web/dist ./static
        """
    result = fixed_in(folder, source)
    assert result.text == snippet(
        """
        FROM node:20 AS web
        WORKDIR /web
        COPY . .
        RUN npm install && npm run build

        FROM node:20 AS assets
        WORKDIR /web
        COPY package.json .
        RUN npm install
        COPY . .

        FROM python:3.12
        WORKDIR /app
        COPY requirements.txt .
        RUN pip install -r requirements.txt
        COPY . .
        COPY --from=assets /web/dist ./static
        """
    )


# -- with a visible build context: no fix ---------------------------------------------------


@pytest.mark.parametrize(
    ("files", "source", "reason"),
    [
        pytest.param(
            {"requirements.txt": "-e .\n"},
            PY + "COPY . .\nRUN pip install -r requirements.txt\n",
            "requirements.txt: `-e .` uses local files",
            id="editable requirement",
        ),
        pytest.param(
            {"requirements.txt": "./libs/shared\n"},
            PY + "COPY . .\nRUN pip install -r requirements.txt\n",
            "installs a local path",
            id="local path requirement",
        ),
        pytest.param(
            {"requirements.txt": "shared @ file:///app/libs/shared\n"},
            PY + "COPY . .\nRUN pip install -r requirements.txt\n",
            "installs a local path",
            id="file: requirement",
        ),
        pytest.param(
            {"requirements.txt": "--find-links ./wheels\nflask\n"},
            PY + "COPY . .\nRUN pip install -r requirements.txt\n",
            "uses local files",
            id="local find-links",
        ),
        pytest.param(
            {"requirements.txt": "flask\n", ".dockerignore": "*.txt\n"},
            PY + "COPY . .\nRUN pip install -r requirements.txt\n",
            ".dockerignore leaves out requirements.txt",
            id=".dockerignore leaves a manifest out",
        ),
        pytest.param(
            {"package.json": '{"scripts": {"postinstall": "node build.js"}}'},
            NODE + "COPY . .\nRUN npm install\n",
            "has a `postinstall` script",
            id="npm postinstall script",
        ),
        pytest.param(
            {"package.json": '{"scripts": {"prepare": "husky install"}}', "yarn.lock": ""},
            NODE + "COPY . .\nRUN yarn install --frozen-lockfile\n",
            "has a `prepare` script",
            id="yarn prepare script",
        ),
        pytest.param(
            {"package.json": '{"dependencies": {"shared": "file:../shared"}}'},
            NODE + "COPY . .\nRUN npm ci\n",
            "depends on a local path",
            id="file: dependency",
        ),
        pytest.param(
            {"package.json": '{"workspaces": ["packages/*"]}'},
            NODE + "COPY . .\nRUN npm ci\n",
            "declares workspaces",
            id="npm workspaces",
        ),
        pytest.param(
            {"package.json": "{}", "binding.gyp": "{}"},
            NODE + "COPY . .\nRUN npm install\n",
            "binding.gyp is in the build context",
            id="native addon built by node-gyp",
        ),
        pytest.param(
            {"package.json": "{}", "node_modules/": ""},
            NODE + "COPY . .\nRUN npm install\n",
            "put node_modules from the build context over",
            id="node_modules in the context",
        ),
        pytest.param(
            {"package.json": "{}", "pnpm-lock.yaml": "", "pnpm-workspace.yaml": ""},
            NODE + "COPY . .\nRUN pnpm install\n",
            "pnpm-workspace.yaml is in the build context",
            id="pnpm workspace",
        ),
        pytest.param(
            {"package.json": "{}", "yarn.lock": "", ".yarn/releases/yarn.cjs": ""},
            NODE + "COPY . .\nRUN yarn install\n",
            "the copy would put .yarn from the build context over what `yarn install` writes",
            id="yarn berry folder",
        ),
        pytest.param(
            {"go.mod": "module x\n\nreplace y => ../y\n"},
            "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go mod download\n",
            "replaces a module with a local folder",
            id="go local replace",
        ),
        pytest.param(
            {"go.mod": "module x\n", "go.work": "use .\n"},
            "FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go mod download\n",
            "go.work is in the build context",
            id="go workspace",
        ),
        pytest.param(
            {"Gemfile": "source 'https://rubygems.org'\ngemspec\n"},
            "FROM ruby:3.3\nWORKDIR /app\nCOPY . .\nRUN bundle install\n",
            "`gemspec` line installs the project's own gem",
            id="Gemfile with gemspec",
        ),
        pytest.param(
            {"Gemfile": "gem 'x'\n", "vendor/cache/x.gem": ""},
            "FROM ruby:3.3\nWORKDIR /app\nCOPY . .\nRUN bundle install\n",
            "vendor/cache is in the build context",
            id="bundler vendor cache",
        ),
        pytest.param(
            {"composer.json": '{"repositories": [{"type": "path", "url": "../lib"}]}'},
            "FROM composer:2\nWORKDIR /app\nCOPY . .\nRUN composer install --no-scripts --no-autoloader\n",
            "has a `path` repository",
            id="composer path repository",
        ),
        pytest.param(
            {"pyproject.toml": "[project]\nname = 'x'\ndynamic = ['version']\n"},
            PY + "COPY . .\nRUN uv sync --no-install-project\n",
            "dynamic metadata",
            id="uv with dynamic metadata and no lock",
        ),
        pytest.param(
            {"pyproject.toml": "[tool.poetry]\n", ".venv/": ""},
            PY + "COPY . .\nRUN poetry install --no-root\n",
            "put .venv from the build context over",
            id=".venv in the context",
        ),
        pytest.param(
            {"pyproject.toml": "[tool.poetry.dependencies]\nlib = {path = '../lib'}\n"},
            PY + "COPY . .\nRUN poetry install --no-root\n",
            "refers to local files",
            id="poetry path dependency",
        ),
        pytest.param(
            {"requirements.txt": "flask\n"},
            PY + "COPY . .\nUSER app\nRUN pip install --user -r requirements.txt\n",
            "`USER app` between them changes the user",
            id="USER between",
        ),
        pytest.param(
            {"requirements.txt": "flask\n"},
            PY + "COPY . .\nWORKDIR /app/src\nRUN pip install -r /app/requirements.txt\n",
            "`WORKDIR /app/src` between them changes the working directory",
            id="WORKDIR between and a relative destination",
        ),
        pytest.param(
            {"requirements.txt": "flask\n"},
            PY + "COPY . .\nRUN chown -R app /app\nRUN pip install -r requirements.txt\n",
            "writes /app, where the copy puts files",
            id="RUN between changes the copied files",
        ),
        pytest.param(
            {"requirements.txt": "flask\n", "libs/": ""},
            PY + "COPY . .\nRUN pip install --target /app/libs -r requirements.txt\n",
            "the install writes /app/libs, where the copy puts files",
            id="install writes into a folder the copy fills",
        ),
        pytest.param(
            {"requirements.txt": "flask\n", "requirements.prod.txt": "flask\n"},
            PY
            + "COPY . .\nCOPY requirements.prod.txt requirements.txt\nRUN pip install -r requirements.txt\n",
            "`COPY requirements.prod.txt requirements.txt` between them writes where the copy does",
            id="copy between overwrites a copied file",
        ),
        pytest.param(
            {"requirements.txt": "flask\n"},
            PY + "COPY . .\nCOPY --chown=app requirements.txt .\nRUN pip install -r requirements.txt\n",
            "writes where the copy does",
            id="copy between with other ownership",
        ),
    ],
)
def test_no_fix_with_visible_context(tmp_path: Path, files: dict[str, str], source: str, reason: str) -> None:
    folder = context(tmp_path, files)
    assert fixed_in(folder, source, Applicability.UNSAFE).text == source
    found = messages_in(folder, source)
    assert [level for _, level in found] == [None]
    assert reason in found[0][0]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        pytest.param(
            PY + "COPY . .\nRUN poetry install\n",
            "`poetry install` also installs the project: run `poetry install --no-root` first",
            id="poetry installs the project",
        ),
        pytest.param(
            PY + "COPY . .\nRUN uv sync --frozen\n",
            "run `uv sync --no-install-project` first",
            id="uv installs the project",
        ),
        pytest.param(
            PY + "COPY . .\nRUN pdm install\n",
            "run `pdm install --no-self` first",
            id="pdm installs the project",
        ),
        pytest.param(
            "FROM php:8\nWORKDIR /app\nCOPY . .\nRUN composer install --no-dev -o\n",
            "add `--no-scripts --no-autoloader`",
            id="composer runs scripts",
        ),
    ],
)
def test_project_installs_are_reported_without_fix(source: str, reason: str) -> None:
    [message] = assert_reports(CopyAllBeforeInstall(), source, fixable=False)
    assert reason in message


# -- with a visible build context: unsafe fixes -------------------------------------------


@pytest.mark.parametrize(
    ("files", "source", "reason"),
    [
        pytest.param(
            {"app.py": ""},
            PY + "COPY . .\nRUN pip install -r requirements.txt\n",
            "cannot see requirements.txt, so cannot prove the install reads only it",
            id="manifest missing from the context",
        ),
        pytest.param(
            {"package.json": "{}"},
            NODE + "COPY app .\nCOPY package.json .\nRUN npm install\n",
            "cannot see `app` in the build context",
            id="code copy of a missing folder",
        ),
    ],
)
def test_unsafe_with_visible_context(tmp_path: Path, files: dict[str, str], source: str, reason: str) -> None:
    folder = context(tmp_path, files)
    assert fixed_in(folder, source).text == source
    assert fixed_in(folder, source, Applicability.UNSAFE).text != source
    [(message, level)] = messages_in(folder, source)
    assert level is Applicability.UNSAFE
    assert reason in message


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            NODE + "COPY package.json .\nCOPY app /app/\nRUN npm install\n",
            id="unseen source without extension may be a folder holding package.json",
        ),
        pytest.param(
            "FROM ruby:3.3\nCOPY Gemfile Gemfile.lock ./\nCOPY x.gemspec ./\nRUN bundle install\n",
            id="gemspec copied before an unseen Gemfile",
        ),
        pytest.param(
            PY + "COPY requirements.txt setup.py ./\nCOPY src/ src/\nRUN pip install -r requirements.txt\n",
            id="setup.py copied before an unseen requirements file",
        ),
    ],
)
def test_unseen_project_files_are_left_alone(source: str) -> None:
    assert_unchanged(CopyAllBeforeInstall(), source)


# -- the small readers the rule is built from ----------------------------------------------


@pytest.mark.parametrize(
    ("ignore", "path", "excluded"),
    [
        pytest.param("node_modules\n", "node_modules/x/index.js", True, id="a folder leaves its files out"),
        pytest.param("*.txt\n", "requirements.txt", True, id="wildcard"),
        pytest.param("*.txt\n", "docs/a.txt", False, id="star stays in one folder"),
        pytest.param("**/*.txt\n", "docs/a.txt", True, id="double star crosses folders"),
        pytest.param("*\n!requirements.txt\n", "requirements.txt", False, id="exception after a catch-all"),
        pytest.param("# comment\n\n/build\n", "build/out", True, id="leading slash and comments"),
        pytest.param("!x\nx\n", "x", True, id="the last matching line wins"),
    ],
)
def test_dockerignore_rules(ignore: str, path: str, excluded: bool) -> None:
    view = View(None, ignore_rules(ignore))
    assert view.ignored(tuple(path.split("/"))) is excluded


@pytest.mark.parametrize(
    ("command", "kind"),
    [
        pytest.param("pip install -r requirements.txt", "pip", id="pip -r"),
        pytest.param("python3 -m pip install --no-cache-dir -rrequirements.txt", "pip", id="python -m pip"),
        pytest.param("pip3 install --requirement=reqs.txt -c c.txt", "pip", id="long options"),
        pytest.param("pip install --upgrade pip setuptools", "writes", id="named packages read nothing"),
        pytest.param("pip install .", None, id="the project itself"),
        pytest.param("pip install --find-links ./wheels -r r.txt", None, id="local wheels"),
        pytest.param("uv pip install --system -r requirements.txt", "pip", id="uv pip"),
        pytest.param("npm ci --omit=dev", "npm", id="npm ci"),
        pytest.param("npm install -g @angular/cli", "writes", id="global npm install"),
        pytest.param("npm install ./local-pkg -g", None, id="global install of a local path"),
        pytest.param("yarn", "yarn", id="bare yarn installs"),
        pytest.param("yarn build", None, id="yarn script"),
        pytest.param("pnpm fetch --prod", "pnpm", id="pnpm fetch"),
        pytest.param("go mod download -x", "go", id="go mod download"),
        pytest.param(
            "go install golang.org/x/tools/cmd/goimports@latest", "writes", id="go install at a version"
        ),
        pytest.param("go build ./...", None, id="go build reads the source"),
        pytest.param("bundle install --jobs=4 --retry 3", "bundler", id="bundle install"),
        pytest.param("bundle config set --local path vendor/bundle", None, id="local bundler config"),
        pytest.param("composer install --no-scripts --no-autoloader", "composer", id="composer"),
        pytest.param("apt-get install -y ./pkg.deb", None, id="apt install of a local package"),
        pytest.param("apk add --no-cache --virtual .deps gcc", "writes", id="apk virtual package"),
        pytest.param("rm -rf /var/lib/apt/lists/*", "writes", id="rm of absolute paths"),
        pytest.param("rm -rf build", None, id="rm in the working directory"),
        pytest.param("curl -fsSL https://x/install.sh -o /tmp/i.sh", "writes", id="curl to a file"),
        pytest.param("wget https://x/a.tgz", None, id="wget into the working directory"),
        pytest.param("env X=1 npm ci", None, id="env runs another command"),
        pytest.param("DEBIAN_FRONTEND=noninteractive apt-get install -y curl", "writes", id="assignments"),
        pytest.param("cd /app", "cd", id="cd"),
    ],
)
def test_command_effects(command: str, kind: str | None) -> None:
    effect = command_effect(tuple(command.split()))
    if kind is None:
        assert effect is None
    elif kind == "writes":
        assert isinstance(effect, Writes)
    elif kind == "cd":
        assert isinstance(effect, Cd)
    else:
        assert isinstance(effect, Tool)
        assert effect.kind == kind


@pytest.mark.parametrize(
    ("text", "problem", "nested"),
    [
        pytest.param("flask==3.0 \\\n  --hash=sha256:abc\n# note\n", None, (), id="hashes and comments"),
        pytest.param("-r base.txt\n--constraint=c.txt\n", None, ("base.txt", "c.txt"), id="includes"),
        pytest.param("-e git+https://github.com/a/b.git#egg=b\n", "uses local files", (), id="editable VCS"),
        pytest.param("--find-links https://x/wheels\nflask\n", None, (), id="remote find-links"),
        pytest.param("pkg @ https://x/pkg-1.0-py3-none-any.whl\n", None, (), id="remote wheel"),
        pytest.param("dist/pkg-1.0-py3-none-any.whl\n", "installs a local path", (), id="local wheel"),
        pytest.param('tomli; python_version < "3.11"\n', None, (), id="markers"),
    ],
)
def test_requirements_content(text: str, problem: str | None, nested: tuple[str, ...]) -> None:
    found, includes = pip_content(text)
    assert (found is None) if problem is None else (problem in (found or ""))
    assert includes == nested


def test_dockerignore_exception_keeps_the_manifest(tmp_path: Path) -> None:
    files = {"requirements.txt": "flask\n", "app.py": "", ".dockerignore": "*\n!requirements.txt\n!app.py\n"}
    folder = context(tmp_path, files)
    result = fixed_in(folder, PY + "COPY . .\nRUN pip install -r requirements.txt\n")
    assert result.text == PY + "COPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n"


def test_never_moves_a_copy_below_a_run_that_reads_it(tmp_path: Path) -> None:
    # Found on the corpus: the folder beside the Dockerfile holds only the Dockerfile, so
    # the requirements files looked absent and the second pass moved the development
    # requirements COPY below the install that reads it.
    (tmp_path / "Dockerfile").write_text("")
    source = snippet(
        """
        FROM python:3.4
        WORKDIR /app
        COPY . /app
        RUN pip install -r ./requirements/development.txt
        RUN pip install -r ./requirements/production.txt
        """
    )
    result = fix(source, [CopyAllBeforeInstall()], Applicability.UNSAFE, BuildContext(tmp_path))
    assert not isinstance(result, ParseError)
    lines = result.text.splitlines()
    assert lines.count("COPY requirements/ /app/requirements/") == 1, result.text
    dev_copy = lines.index("COPY requirements/ /app/requirements/")
    dev_install = lines.index("RUN pip install -r ./requirements/development.txt")
    assert dev_copy < dev_install
    again = fix(result.text, [CopyAllBeforeInstall()], Applicability.UNSAFE, BuildContext(tmp_path))
    assert not isinstance(again, ParseError) and again.text == result.text


def test_code_copies_before_several_installs_settle() -> None:
    # The moved copies pass one install per fixer pass: 5 pairs once took ~n*n/2 passes
    # and did not settle within 10 (a dffix bug); now 5, and the rerun changes nothing.
    source = "FROM node:20\nWORKDIR /app\n" + "COPY . .\nRUN npm install\n" * 5
    result = fix(source, [CopyAllBeforeInstall()], Applicability.UNSAFE)
    assert not isinstance(result, FixerBug | ParseError)
    assert result.bugs == ()
    assert result.text == (
        "FROM node:20\nWORKDIR /app\nCOPY package*.json ./\n" + "RUN npm install\n" * 5 + "COPY . .\n" * 5
    )
    again = fix(result.text, [CopyAllBeforeInstall()], Applicability.UNSAFE)
    assert not isinstance(again, ParseError)
    assert (again.text, again.applied) == (result.text, ())


def test_a_copy_before_too_many_installs_is_left_to_a_person_and_says_why() -> None:
    source = "FROM node:20\nWORKDIR /app\nCOPY . .\n" + "RUN npm install\n" * 7
    df = parse(source)
    assert not isinstance(df, ParseError)
    [found] = check(df, [CopyAllBeforeInstall()])
    assert found.fix is None
    assert found.message.endswith("; not fixed: 6 more installs follow it; move the copies by hand")


def test_one_code_copy_per_stage_is_still_fixed() -> None:
    source = "FROM node:20 AS a\nWORKDIR /app\nCOPY . .\nRUN npm install\n"
    result = fix(source + source.replace(" AS a", " AS b"), [CopyAllBeforeInstall()], Applicability.UNSAFE)
    assert not isinstance(result, ParseError)
    assert result.text.count("COPY package*.json ./\nRUN npm install\nCOPY . .\n") == 2


def test_an_install_far_from_its_window_start_is_not_examined() -> None:
    # Looking back over a whole long stage for every install was quadratic.
    filler = "ENV A=1\n" * (MAX_WINDOW + 1)
    near = "FROM node:20\nWORKDIR /app\nCOPY . .\nENV A=1\nRUN npm install\n"
    far = "FROM node:20\nWORKDIR /app\nCOPY . .\n" + filler + "RUN npm install\n"
    assert len(assert_reports(CopyAllBeforeInstall(), near)) == 1
    df = parse(far)
    assert not isinstance(df, ParseError)
    assert check(df, [CopyAllBeforeInstall()]) == []


@pytest.mark.parametrize(
    ("ignores", "dockerfile", "fixed"),
    [
        pytest.param({".dockerignore": "*.txt\n"}, "Dockerfile", False, id=".dockerignore leaves it out"),
        pytest.param(
            {".dockerignore": "*.txt\n", "app.Dockerfile.dockerignore": "*.log\n"},
            "app.Dockerfile",
            True,
            id="the Dockerfile's own ignore file wins",
        ),
        pytest.param(
            {".dockerignore": "", "app.Dockerfile.dockerignore": "*.txt\n"},
            "app.Dockerfile",
            False,
            id="the Dockerfile's own ignore file leaves it out",
        ),
        pytest.param(
            {"app.Dockerfile.dockerignore": "*.txt\n"},
            "other.Dockerfile",
            True,
            id="another Dockerfile's ignore file does not count",
        ),
    ],
)
def test_a_dockerfile_specific_ignore_file_wins(
    tmp_path: Path, ignores: dict[str, str], dockerfile: str, fixed: bool
) -> None:
    folder = context(tmp_path, {"requirements.txt": "flask\n", **ignores})
    source = PY + "COPY . .\nRUN pip install -r requirements.txt\n"
    rules = [CopyAllBeforeInstall()]
    result = fix(source, rules, Applicability.UNSAFE, BuildContext(folder, dockerfile))
    assert not isinstance(result, ParseError)
    assert (result.text != source) is fixed
    if not fixed:
        assert "leaves out requirements.txt" in result.remaining[0].message


def test_the_command_reads_the_ignore_file_of_the_dockerfile_it_fixes(project: Path, dffix: Run) -> None:
    (project / ".dffix.toml").write_text('select = ["DF202"]\nunsafe-fixes = true\n')
    context(project, {"requirements.txt": "flask\n", "app.Dockerfile.dockerignore": "*.txt\n"})
    source = PY + "COPY . .\nRUN pip install -r requirements.txt\n"
    (project / "app.Dockerfile").write_text(source)
    (project / "Dockerfile").write_text(source)
    ran = dffix("--check", "app.Dockerfile", "Dockerfile")
    lines = ran.out.decode().splitlines()
    assert [line.split(":")[0] for line in lines] == ["app.Dockerfile", "Dockerfile"]
    assert "leaves out requirements.txt" in lines[0] and lines[0].endswith("[-]")
    assert lines[1].endswith("[*]")  # the folder's .dockerignore is absent: a safe fix


# -- the reviewed issues: one fix for many copies, narrow copies, comments, other ADDs ----


def test_many_code_copies_move_in_one_fix(tmp_path: Path) -> None:
    # Moved one per pass, 12 copies never settled in the fixer's 10 passes (a dffix bug).
    names = [f"m{i}.py" for i in range(12)]
    folder = context(tmp_path, {"requirements.txt": "flask\n"} | dict.fromkeys(names, ""))
    copies = "".join(f"COPY {n} .\n" for n in names)
    source = PY + copies + "COPY requirements.txt .\nRUN pip install -r requirements.txt\nCMD x\n"
    result = fixed_in(folder, source)
    assert (
        result.text
        == PY + "COPY requirements.txt .\nRUN pip install -r requirements.txt\n" + copies + "CMD x\n"
    )
    [fixed] = result.applied
    assert fixed.message.startswith("`COPY m0.py .` and 11 more copies come before `pip install")
    assert fixed.fix is not None and fixed.fix.applicability is Applicability.SAFE


def test_a_copy_of_manifests_only_is_already_narrow(tmp_path: Path) -> None:
    # package.json is not pip's, but a manifest all the same: re-adding it split off was noise.
    folder = context(tmp_path, {"requirements.txt": "flask\n", "package.json": "{}"})
    source = PY + "COPY requirements.txt package.json /app/\nRUN pip install -r requirements.txt\nCOPY . .\n"
    assert fixed_in(folder, source, Applicability.UNSAFE).text == source
    assert messages_in(folder, source) == []
    assert_unchanged(CopyAllBeforeInstall(), source)


def test_comments_and_blank_lines_stay_with_their_blocks(tmp_path: Path) -> None:
    folder = context(tmp_path, {"requirements.txt": "flask\n"})
    source = PY + "\n# the app\nCOPY . .\n\n# install deps\nRUN pip install -r requirements.txt\n\nCMD x\n"
    assert fixed_in(folder, source).text == PY + (
        "\n# install deps\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
        "\n# the app\nCOPY . .\n\nCMD x\n"
    )


def test_blank_lines_between_moved_copies_are_kept(tmp_path: Path) -> None:
    folder = context(tmp_path, {"requirements.txt": "flask\n", "a.py": "", "b.py": ""})
    source = (
        PY + "COPY a.py .\n\nCOPY b.py .\n\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    )
    assert fixed_in(folder, source).text == PY + (
        "\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n\nCOPY a.py .\n\nCOPY b.py .\n"
    )


def test_adds_that_write_elsewhere_do_not_stop_the_fix(tmp_path: Path) -> None:
    folder = context(tmp_path, {"requirements.txt": "flask\n", "app.py": "", "settings.ini": ""})
    (tmp_path / "vendor.tar.gz").write_bytes(b"\x1f\x8b\x08\x00")
    source = (
        PY
        + "COPY . .\nADD vendor.tar.gz /opt/\nADD settings.ini /etc/app/\n"
        + "RUN pip install -r requirements.txt\n"
    )
    result = fixed_in(folder, source)
    assert result.text == PY + (
        "ADD vendor.tar.gz /opt/\nADD settings.ini /etc/app/\nCOPY requirements.txt .\n"
        "RUN pip install -r requirements.txt\nCOPY . .\n"
    )
    # The config copy stays (pip may write below /etc), and says so.
    [left] = result.remaining
    assert left.fix is None
    assert left.message.startswith("`ADD settings.ini /etc/app/` comes before `pip install")
    assert left.message.endswith("; not fixed: the install writes /etc, where the copy puts files")


@pytest.mark.parametrize(
    ("files", "between", "reason"),
    [
        pytest.param(
            {"vendor/": ""},
            "ADD vendor.tar.gz /app/vendor/\n",
            "`ADD vendor.tar.gz /app/vendor/` between them writes where the copy does",
            id="an archive unpacked where the code copy writes",
        ),
        pytest.param(
            {"bin/tool": "#!/bin/sh\n"},
            "ADD https://example.com/tool /app/bin/tool\n",
            "`ADD https://example.com/tool /app/bin/tool` between them writes where the copy does",
            id="a download into the code copy's folder",
        ),
    ],
)
def test_an_add_between_that_meets_the_copy_stops_the_fix_and_says_why(
    tmp_path: Path, files: dict[str, str], between: str, reason: str
) -> None:
    folder = context(tmp_path, {"requirements.txt": "flask\n"} | files)
    source = PY + "COPY . .\n" + between + "RUN pip install -r requirements.txt\n"
    assert fixed_in(folder, source, Applicability.UNSAFE).text == source
    [(message, level)] = messages_in(folder, source)
    assert level is None
    assert message.endswith(f"; not fixed: {reason}")


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        pytest.param(
            PY + "COPY app.py .\nCOPY pyproject.toml .\nRUN poetry install\n",
            "`poetry install` also installs the project: run `poetry install --no-root` first",
            id="a narrow code copy before an install that needs the project",
        ),
        pytest.param(
            "FROM python:3.12\nCOPY app.py .\nWORKDIR /app\nCOPY requirements.txt .\n"
            "RUN pip install -r requirements.txt\n",
            "`WORKDIR /app` between them changes the working directory",
            id="a relative copy before a WORKDIR",
        ),
        pytest.param(
            PY + "COPY app.conf /etc/app/\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n",
            "the install writes /etc, where the copy puts files",
            id="a copy into a folder the install writes",
        ),
        pytest.param(
            PY
            + "COPY . .\nCOPY $EXTRA /opt/\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n",
            "`COPY $EXTRA /opt/` between them may write where the copy does "
            "(the rule cannot tell what it copies)",
            id="a copy with a variable between, the manifests copied after it",
        ),
        pytest.param(
            PY + "COPY . .\nUSER app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n",
            "`USER app` between them changes the user",
            id="a USER between, the manifests copied after it",
        ),
    ],
)
def test_every_refused_fix_is_still_reported_with_its_reason(source: str, reason: str) -> None:
    df = parse(snippet(source))
    assert not isinstance(df, ParseError)
    [found] = check(df, [CopyAllBeforeInstall()])
    assert found.fix is None
    assert found.message.endswith(f"; not fixed: {reason}")


def test_installs_in_one_paragraph_are_not_split_by_the_moved_copy(tmp_path: Path) -> None:
    # The copy passes one install per fixer pass; a blank line before it after the first
    # install split the two installs' paragraph (seen in the corpus).
    folder = context(tmp_path, {"dev.txt": "pytest\n", "prod.txt": "flask\n"})
    source = PY + "COPY . .\n\nRUN pip install -r dev.txt\nRUN pip install -r prod.txt\n\nCMD x\n"
    assert fixed_in(folder, source).text == PY + (
        "\nCOPY dev.txt .\nRUN pip install -r dev.txt\nCOPY prod.txt .\nRUN pip install -r prod.txt\n"
        "COPY . .\n\nCMD x\n"
    )


# -- second review: manifests the narrow COPY must bring ---------------------------------


def test_an_unseen_requirements_file_in_a_folder_is_copied_with_its_folder() -> None:
    # shipwright/406586f: requirements/development.txt says `-r base.txt`; copied alone,
    # the include is missing at `pip install`. Unseen, the whole folder is copied.
    before = PY + "COPY . .\nRUN pip install -r requirements/development.txt\n"
    after = (
        PY + "COPY requirements/ ./requirements/\nRUN pip install -r requirements/development.txt\nCOPY . .\n"
    )
    assert_fixes(CopyAllBeforeInstall(), before, after, unsafe=True)


def test_two_unseen_requirements_files_of_one_folder_share_one_copy(tmp_path: Path) -> None:
    # The folder beside the Dockerfile holds only the Dockerfile: it is not the context.
    folder = context(tmp_path, {"Dockerfile": ""})
    source = (
        PY + "COPY . /app\nRUN pip install -r requirements/a.txt\nRUN pip install -r requirements/b.txt\n"
    )
    result = fixed_in(folder, source, Applicability.UNSAFE)
    assert result.text == snippet(
        PY
        + "COPY requirements/ /app/requirements/\n"
        + "RUN pip install -r requirements/a.txt\nRUN pip install -r requirements/b.txt\nCOPY . /app\n"
    )


@pytest.mark.parametrize(
    ("files", "narrow"),
    [
        pytest.param(
            {"Gemfile": "gem 'rack'\n", "Gemfile.lock": "x\n"}, "COPY Gemfile Gemfile.lock ./", id="lock"
        ),
        pytest.param({"Gemfile": "gem 'rack'\n", "app.rb": "x\n"}, "COPY Gemfile .", id="no lock committed"),
    ],
)
def test_a_visible_context_says_whether_the_gemfile_lock_is_copied(
    tmp_path: Path, files: dict[str, str], narrow: str
) -> None:
    folder = context(tmp_path, files)
    source = "FROM ruby:3.3\nWORKDIR /app\nCOPY . .\nRUN bundle install\n"
    result = fixed_in(folder, source)
    assert result.text == snippet(f"FROM ruby:3.3\nWORKDIR /app\n{narrow}\nRUN bundle install\nCOPY . .\n")


def test_an_unseen_gemfile_lock_is_copied_by_a_wildcard() -> None:
    # shipwright/d2780c: `COPY Gemfile Gemfile.lock ./` fails when no lock is committed.
    before = "FROM ruby:3.3\nWORKDIR /app\nCOPY . .\nRUN bundle install --jobs 4\n"
    after = (
        "FROM ruby:3.3\nWORKDIR /app\nCOPY Gemfile Gemfile.lock* ./\nRUN bundle install --jobs 4\nCOPY . .\n"
    )
    assert_fixes(CopyAllBeforeInstall(), before, after, unsafe=True)


def test_a_copy_the_install_does_not_read_is_not_moved_and_says_why() -> None:
    # shipwright/de7ce67: `npm install` in / never read /server, and nothing brings /package.json.
    source = "FROM node:20\nADD / /server\nWORKDIR /\nRUN npm install --production\n"
    [message] = assert_reports(CopyAllBeforeInstall(), source)
    assert "reads none of what the copy brings" in message and "/package.json" in message, message
    assert fixed(CopyAllBeforeInstall(), source, unsafe=True).text == source


def test_a_code_copy_beside_a_copied_manifest_still_moves() -> None:
    # The copy does not hold the manifest, but another copy brings it: the classic case.
    before = PY + "COPY app.py .\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"
    after = PY + "COPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY app.py .\n"
    assert_fixes(CopyAllBeforeInstall(), before, after, unsafe=True)
