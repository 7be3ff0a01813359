from __future__ import annotations

from pathlib import Path

import pytest

from dffix.edits import Applicability
from dffix.facts import BuildContext
from dffix.fixer import check, fix
from dffix.rules import ALL_RULES
from dffix.rules.multistage import RUNTIME_LIBRARIES, SingleStageBuild, runtime_library
from dffix.syntax import ParseError, parse
from tests.helpers import loaded_by_a_diff, snippet

RULE = SingleStageBuild()

GO_MAIN = 'package main\n\nimport "net/http"\n\nfunc main() { http.ListenAndServe(":8080", nil) }\n'
CGO_MAIN = 'package main\n\n// #include <stdio.h>\nimport "C"\n\nfunc main() {}\n'


def context(tmp_path: Path, files: dict[str, str]) -> BuildContext:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return BuildContext(tmp_path, "Dockerfile")


def fixed(source: str, ctx: BuildContext | None, *, level: Applicability = Applicability.UNSAFE) -> str:
    result = fix(snippet(source), [RULE], level, ctx)
    assert not isinstance(result, ParseError)
    assert not result.bugs, result.bugs
    return result.text


def assert_converts(source: str, after: str, ctx: BuildContext | None) -> None:
    out = fixed(source, ctx)
    assert out == snippet(after)
    assert not isinstance(parse(out), ParseError)
    assert fixed(out, ctx) == out, "not idempotent"


def messages(source: str, ctx: BuildContext | None) -> list[tuple[str, bool]]:
    df = parse(snippet(source))
    assert not isinstance(df, ParseError)
    return [(v.message, v.fix is not None) for v in check(df, [RULE], ctx)]


def refusal(source: str, ctx: BuildContext | None) -> str:
    [(message, fixable)] = messages(source, ctx)
    assert not fixable
    assert fixed(source, ctx) == snippet(source)
    return message


# -- pattern 1: Go ----------------------------------------------------------------

GO_APP = """
    FROM golang:1.22
    WORKDIR /src
    COPY go.mod go.sum ./
    RUN go mod download
    COPY . .
    # the server
    RUN go build -o /bin/app ./cmd/app
    EXPOSE 8080
    CMD ["/bin/app"]
"""


def test_go_static_build_moves_to_distroless_and_sets_cgo_off(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"go.mod": "module x\n", "go.sum": "", "cmd/app/main.go": GO_MAIN})
    after = """
        FROM golang:1.22 AS build
        WORKDIR /src
        COPY go.mod go.sum ./
        RUN go mod download
        COPY . .
        # the server
        RUN CGO_ENABLED=0 go build -o /bin/app ./cmd/app

        FROM gcr.io/distroless/static-debian12
        WORKDIR /src
        COPY --from=build /bin/app /bin/app
        EXPOSE 8080
        CMD ["/bin/app"]
    """
    assert_converts(GO_APP, after, ctx)


def test_go_fix_is_unsafe_only(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"go.mod": "module x\n", "main.go": GO_MAIN})
    assert fixed(GO_APP, ctx, level=Applicability.SAFE) == snippet(GO_APP)
    assert fixed(GO_APP, ctx) != snippet(GO_APP)


def test_go_runtime_files_are_copied_docs_and_ignored_files_are_not(tmp_path: Path) -> None:
    files = {
        "go.mod": "module x\n",
        "cmd/app/main.go": GO_MAIN,
        "templates/index.html": "<p>hi</p>",
        "config.yaml": "port: 8080\n",
        "README.md": "# x\n",
        "Dockerfile": "FROM scratch\n",
        "secret.env": "X=1\n",
        ".dockerignore": "secret.env\n",
    }
    out = fixed(GO_APP, context(tmp_path, files))
    assert "COPY --from=build /src/config.yaml /src/config.yaml\n" in out
    assert "COPY --from=build /src/templates /src/templates\n" in out
    assert "README" not in out and "secret.env" not in out and "/src/Dockerfile" not in out


def test_go_single_runtime_file_keeps_its_copied_name(tmp_path: Path) -> None:
    files = {"go.mod": "module x\n", "main.go": GO_MAIN, "conf/app.yaml": "a: 1\n", "ui.html": "<p>"}
    source = """
        FROM golang:1.22
        WORKDIR /src
        COPY go.mod main.go ./
        COPY conf/app.yaml /etc/app/config.yaml
        COPY ui.html /srv/
        RUN go build -o /app .
        CMD ["/app"]
    """
    out = fixed(source, context(tmp_path, files))
    assert "COPY --from=build /etc/app/config.yaml /etc/app/config.yaml\n" in out
    assert "COPY --from=build /srv/ui.html /srv/ui.html\n" in out


def test_go_exec_form_build_is_not_given_a_cgo_prefix(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"go.mod": "module x\n", "main.go": GO_MAIN})
    source = "FROM golang:1.22-bookworm\nCOPY main.go go.mod ./\n"
    source += 'RUN ["go", "build", "-o", "/app", "."]\nCMD ["/app"]'
    out = fixed(source, ctx)
    assert 'RUN ["go", "build", "-o", "/app", "."]\n' in out and "FROM debian:bookworm-slim\n" in out


def test_python_venv_goes_above_the_comments_of_the_install() -> None:
    source = """
        FROM python:3.12-slim
        RUN apt-get update && apt-get install -y gcc
        # the app's dependencies
        RUN pip install -r requirements.txt
        CMD ["python"]
    """
    out = fixed(source, None)
    assert 'RUN python -m venv /opt/venv\nENV PATH="/opt/venv/bin:$PATH"\n# the app' in out


def test_go_explicit_cgo_off_needs_no_context() -> None:
    source = """
        FROM golang:1.22-bookworm
        ENV CGO_ENABLED=0
        WORKDIR /src
        COPY go.mod go.sum main.go ./
        RUN go build -o app .
        ENTRYPOINT ["./app"]
    """
    after = """
        FROM golang:1.22-bookworm AS build
        ENV CGO_ENABLED=0
        WORKDIR /src
        COPY go.mod go.sum main.go ./
        RUN go build -o app .

        FROM gcr.io/distroless/static-debian12
        ENV CGO_ENABLED=0
        WORKDIR /src
        COPY --from=build /src/app /src/app
        ENTRYPOINT ["./app"]
    """
    assert_converts(source, after, None)


def test_go_cgo_build_goes_to_the_same_debian_release_slim(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"go.mod": "module x\n", "main.go": CGO_MAIN})
    source = """
        FROM golang:1.22-bookworm AS app
        WORKDIR /src
        COPY *.go go.mod ./
        RUN go build -o /usr/local/bin/app .
        CMD app --serve
    """
    after = """
        FROM golang:1.22-bookworm AS build
        WORKDIR /src
        COPY *.go go.mod ./
        RUN go build -o /usr/local/bin/app .

        FROM debian:bookworm-slim AS app
        WORKDIR /src
        COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
        COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo
        COPY --from=build /usr/local/bin/app /usr/local/bin/app
        CMD app --serve
    """
    assert_converts(source, after, ctx)


def test_go_install_binary_goes_on_the_final_path(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"go.mod": "module x\n", "cmd/hello/main.go": GO_MAIN})
    source = """
        FROM golang:1.22
        WORKDIR /src
        COPY go.mod ./
        COPY cmd cmd
        RUN go install ./cmd/hello
        CMD ["hello"]
    """
    out = fixed(source, ctx)
    assert "COPY --from=build /go/bin/hello /usr/local/bin/hello\n" in out
    assert "RUN CGO_ENABLED=0 go install ./cmd/hello\n" in out


def test_go_stage_name_goes_to_the_final_stage_and_build_is_not_reused(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"go.mod": "module x\n", "main.go": GO_MAIN})
    source = "FROM --platform=linux/amd64 golang:1.22 AS build\nCOPY main.go go.mod ./\n"
    source += 'RUN go build -o /app .\nCMD ["/app"]'
    out = fixed(source, ctx)
    assert out.startswith("FROM --platform=linux/amd64 golang:1.22 AS builder\n")
    assert "FROM --platform=linux/amd64 gcr.io/distroless/static-debian12 AS build\n" in out
    assert "COPY --from=builder /app /app\n" in out


def test_go_keeps_crlf_and_arg_before_from(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"go.mod": "module x\n", "main.go": GO_MAIN})
    source = "ARG GO=1.22\r\nFROM golang:${GO}\r\nCOPY main.go go.mod ./\r\n"
    source += 'RUN go build -o /app .\r\nCMD ["/app"]\r\n'
    result = fix(source, [RULE], Applicability.UNSAFE, ctx)
    assert not isinstance(result, ParseError)
    assert result.text.startswith("ARG GO=1.22\r\nFROM golang:${GO} AS build\r\n")
    assert "\r\n\r\nFROM gcr.io/distroless/static-debian12\r\n" in result.text
    assert "\n" not in result.text.replace("\r\n", "")


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        pytest.param(
            'FROM golang:1.22 AS b\nCOPY main.go .\nRUN go build -o /app .\nFROM b\nCMD ["/app"]',
            "already has 2 stages",
            id="already multi-stage",
        ),
        pytest.param(
            'FROM golang:1.22\nCOPY main.go .\nRUN go build -o /app .\nRUN /app migrate\nCMD ["/app"]',
            "`RUN` on line 4 runs after the build",
            id="a RUN after the build",
        ),
        pytest.param(
            'FROM golang:1.22\nCOPY main.go .\nRUN go build .\nCMD ["./main"]',
            "without `-o`",
            id="output path not written",
        ),
        pytest.param(
            'FROM golang:1.22\nCOPY main.go .\nRUN go build -o $OUT .\nCMD ["/app"]',
            "cannot be read",
            id="output path from a variable",
        ),
        pytest.param(
            'FROM golang:1.22\nCOPY main.go .\nRUN go build -o /a ./a && go build -o /b ./b\nCMD ["/a"]',
            "several `go build`",
            id="two binaries",
        ),
        pytest.param(
            'FROM golang:1.22\nCOPY main.go .\nRUN go build -o /app .\nCMD ["go", "run", "."]',
            "runs `go`, not the binary",
            id="CMD runs the toolchain",
        ),
        pytest.param(
            "FROM golang:1.22\nENV CGO_ENABLED=0\nCOPY main.go .\nRUN go build -o /app .\nCMD /app",
            "needs `/bin/sh`",
            id="shell form CMD on distroless",
        ),
        pytest.param(
            "FROM golang:1.22\nENV CGO_ENABLED=0\nCOPY main.go .\nRUN go build -o /app .\n"
            'HEALTHCHECK CMD curl -f http://localhost/\nCMD ["/app"]',
            "`HEALTHCHECK` runs `curl`",
            id="health check with curl",
        ),
        pytest.param(
            "FROM golang:1.22\nENV CGO_ENABLED=0\nCOPY main.go .\nRUN go build -o /app . && useradd app\n"
            'USER app\nCMD ["/app"]',
            "`USER app`",
            id="named user",
        ),
        pytest.param(
            'FROM golang:1.22\nCOPY main.go .\nRUN go build -o /app .\nCMD ["/app"]',
            "Debian release of `golang:1.22`",
            id="cgo unknown without context and no release in the tag",
        ),
        pytest.param(
            "FROM golang:1.22-windowsservercore\nENV CGO_ENABLED=0\nCOPY main.go .\n"
            "RUN go build -o C:/app.exe .\n"
            'CMD ["C:/app.exe"]',
            "Windows image",
            id="windows",
        ),
        pytest.param(
            'FROM node:20\nCOPY . .\nRUN ["npm", "ci"]\nRUN npm run build\nCMD ["node", "dist/a.js"]',
            "exec-form `RUN`",
            id="node exec-form install",
        ),
        pytest.param(
            'FROM golang:1.22-alpine\nCOPY main.go .\nRUN go build -o /app .\nCMD ["/app"]',
            "Alpine",
            id="alpine cgo build",
        ),
        pytest.param(
            'FROM golang:1.22\nENV CGO_ENABLED=0\nCOPY . .\nRUN go build -o /app .\nCMD ["/app"]',
            "build context is not visible",
            id="whole-context copy without a context",
        ),
        pytest.param(
            'FROM golang:1.22\nENV CGO_ENABLED=0\nCOPY main.go .\nRUN go build -race -o /app .\nCMD ["/app"]',
            "`-race` needs cgo",
            id="race detector",
        ),
        pytest.param(
            'FROM golang:1.22\nENV CGO_ENABLED=0\nCOPY main.go .\nSHELL ["/bin/bash", "-c"]\n'
            'RUN go build -o /app .\nCMD ["/app"]',
            "`SHELL`",
            id="SHELL",
        ),
        pytest.param(
            "FROM golang:1.22\nENV CGO_ENABLED=0\nWORKDIR $DIR\nCOPY main.go .\nRUN go build -o app .\n"
            'CMD ["./app"]',
            "`WORKDIR` of the build uses a variable",
            id="relative output under a variable WORKDIR",
        ),
        pytest.param(
            "FROM golang:1.22\nENV CGO_ENABLED=0\nCOPY main.go .\nRUN mkdir /data && chown 1000 /data\n"
            'RUN go build -o /app .\nCMD ["/app"]',
            "runs `mkdir`, which may write files",
            id="a RUN before the build that prepares the image",
        ),
        pytest.param(
            "FROM golang:1.22\nENV CGO_ENABLED=0 GOBIN=/out\nCOPY main.go .\nRUN go install ./cmd/app\n"
            'CMD ["app"]',
            "sets `GOBIN`",
            id="GOBIN moves go install",
        ),
    ],
)
def test_go_refusals_say_why(source: str, reason: str) -> None:
    message = refusal(source, None)
    assert "; no fix: " in message and reason in message, message


def test_go_cgo_import_in_context_keeps_cgo_and_needs_the_release(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"go.mod": "module x\n", "main.go": CGO_MAIN})
    message = refusal('FROM golang:1.22\nCOPY main.go .\nRUN go build -o /app .\nCMD ["/app"]', ctx)
    assert "may use cgo" in message


def test_go_context_without_go_files_does_not_prove_a_static_build(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"Dockerfile": "FROM golang:1.22\n"})
    message = refusal('FROM golang:1.22\nCOPY main.go .\nRUN go build -o /app .\nCMD ["/app"]', ctx)
    assert "may use cgo" in message


def test_go_module_known_to_need_cgo_is_not_static(tmp_path: Path) -> None:
    gomod = "module x\n\nrequire github.com/mattn/go-sqlite3 v1.14.22\n"
    ctx = context(tmp_path, {"go.mod": gomod, "main.go": GO_MAIN})
    message = refusal('FROM golang:1.22\nCOPY go.mod main.go .\nRUN go build -o /app .\nCMD ["/app"]', ctx)
    assert "may use cgo" in message


@pytest.mark.parametrize(
    "source",
    [
        pytest.param('FROM golang:1.22\nRUN go version\nCMD ["go"]', id="no build"),
        pytest.param('FROM debian:12\nRUN go build -o /app .\nCMD ["/app"]', id="not a golang image"),
        pytest.param(
            "FROM golang:1.22 AS build\nRUN go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\n"
            'CMD ["/app"]',
            id="already multi-stage with a small final stage",
        ),
    ],
)
def test_go_not_reported(source: str) -> None:
    assert messages(source, None) == []


# -- pattern 2: Python with compilers ----------------------------------------------

PY_APP = """
    FROM python:3.12-slim-bookworm
    ENV PYTHONUNBUFFERED=1
    WORKDIR /app
    # headers for psycopg2
    RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev curl \\
        && rm -rf /var/lib/apt/lists/*
    COPY requirements.txt .
    RUN pip install --no-cache-dir -r requirements.txt
    COPY . .
    RUN python -m compileall .
    CMD ["gunicorn", "app:app"]
"""


def test_python_builds_a_virtualenv_and_installs_runtime_libraries() -> None:
    after = """
        FROM python:3.12-slim-bookworm AS build
        ENV PYTHONUNBUFFERED=1
        WORKDIR /app
        # headers for psycopg2
        RUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev curl \\
            && rm -rf /var/lib/apt/lists/*
        COPY requirements.txt .
        RUN python -m venv /opt/venv
        ENV PATH="/opt/venv/bin:$PATH"
        RUN pip install --no-cache-dir -r requirements.txt

        FROM python:3.12-slim-bookworm
        ENV PYTHONUNBUFFERED=1
        WORKDIR /app
        RUN apt-get update \\
            && apt-get install -y --no-install-recommends libpq5 curl \\
            && rm -rf /var/lib/apt/lists/*
        COPY requirements.txt .
        COPY --from=build /opt/venv /opt/venv
        ENV PATH="/opt/venv/bin:$PATH"
        COPY . .
        RUN python -m compileall .
        CMD ["gunicorn", "app:app"]
    """
    assert_converts(PY_APP, after, None)


def test_python_only_compilers_leave_no_apt_run_in_the_final_stage() -> None:
    source = """
        FROM python:3.11
        RUN apt-get update && apt-get install -y build-essential
        RUN useradd app
        COPY requirements.txt /tmp/
        RUN pip install --upgrade pip && pip install -r /tmp/requirements.txt
        CMD ["python", "-m", "app"]
    """
    out = fixed(source, None)
    final = out.split("\n\nFROM python:3.11\n", 1)[1]
    assert "apt-get" not in final and "build-essential" not in final
    assert "RUN useradd app\n" in final  # a RUN before the install is repeated
    assert final.startswith("RUN useradd app\nCOPY requirements.txt /tmp/\nCOPY --from=build /opt/venv")


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        pytest.param(
            "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc libfoo-dev\n"
            'RUN pip install x\nCMD ["x"]',
            "no runtime package is known for `libfoo-dev`",
            id="dev package not in the table",
        ),
        pytest.param(
            "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc libssl-dev\n"
            'RUN pip install x\nCMD ["x"]',
            "depends on the Debian release",
            id="runtime name differs between releases",
        ),
        pytest.param(
            "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc\n"
            'RUN pip install x\nRUN gcc -o /ext ext.c\nCMD ["x"]',
            "runs `gcc` after the install",
            id="a RUN after the install uses the compiler",
        ),
        pytest.param(
            "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc\n"
            'RUN pip install x\nCOPY . .\nRUN pip install .\nCMD ["x"]',
            "",
            id="a later pip install moves the split after the code copy",
        ),
        pytest.param(
            'FROM python:3.4\nRUN apt-get install -y libjpeg62-turbo-dev\nRUN pip install x\nCMD ["x"]',
            "older than buster",
            id="python 3.4 image on an old Debian release",
        ),
        pytest.param(
            "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc\n"
            'RUN pip install --user x\nCMD ["x"]',
            "outside a virtualenv",
            id="pip --user",
        ),
        pytest.param(
            "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc && make\n"
            'RUN pip install x\nCMD ["x"]',
            "also runs `make`",
            id="the apt RUN builds something too",
        ),
        pytest.param(
            "FROM python:3.12-slim\nENV PATH=/x:$PATH\nRUN apt-get update && apt-get install -y gcc\n"
            'RUN pip install x\nCMD ["x"]',
            "sets `PATH`",
            id="own PATH",
        ),
        pytest.param(
            "FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc\n"
            'RUN pip install x\nCMD ["/usr/local/bin/python", "-m", "x"]',
            "system python",
            id="CMD names the system python",
        ),
        pytest.param(
            "FROM python:3.12-slim AS base\nRUN apt-get update && apt-get install -y gcc\n"
            "RUN pip install x\nFROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc\n"
            'RUN pip install y\nCMD ["y"]',
            "already has 2 stages",
            id="already multi-stage",
        ),
    ],
)
def test_python_refusals_say_why(source: str, reason: str) -> None:
    found = messages(source, None)
    if not reason:  # the split still works: the later install is in the build stage
        assert [fixable for _, fixable in found] == [True]
        out = fixed(source, None)
        assert out.index("COPY . .") < out.index("RUN pip install .") < out.index("\n\nFROM ")
        return
    message = refusal(source, None)
    assert "; no fix: " in message and reason in message, message


@pytest.mark.parametrize(
    "source",
    [
        pytest.param('FROM python:3.12\nRUN pip install flask\nCMD ["flask"]', id="no compilers"),
        pytest.param(
            'FROM python:3.12\nRUN apt-get update && apt-get install -y gcc\nCMD ["python"]', id="no pip"
        ),
        pytest.param(
            'FROM python:3.12-alpine\nRUN apk add gcc musl-dev\nRUN pip install x\nCMD ["x"]',
            id="alpine is DF709's",
        ),
    ],
)
def test_python_not_reported(source: str) -> None:
    assert messages(source, None) == []


# -- pattern 3: Node with a build step ----------------------------------------------

NODE_APP = """
    FROM node:20-slim
    ENV NODE_ENV=production
    WORKDIR /app
    COPY package.json package-lock.json ./
    RUN npm ci
    COPY . .
    # compile the TypeScript
    RUN npm run build
    EXPOSE 3000
    CMD ["node", "dist/server.js"]
"""


def test_node_final_stage_installs_production_dependencies_and_copies_the_build() -> None:
    after = """
        FROM node:20-slim AS build
        ENV NODE_ENV=production
        WORKDIR /app
        COPY package.json package-lock.json ./
        RUN npm ci
        COPY . .
        # compile the TypeScript
        RUN npm run build

        FROM node:20-slim
        ENV NODE_ENV=production
        WORKDIR /app
        COPY package.json package-lock.json ./
        RUN npm ci --omit=dev
        COPY . .
        COPY --from=build /app/dist /app/dist
        EXPOSE 3000
        CMD ["node", "dist/server.js"]
    """
    assert_converts(NODE_APP, after, None)


@pytest.mark.parametrize(
    ("install", "build", "expected"),
    [
        pytest.param(
            "yarn install --frozen-lockfile",
            "yarn build",
            "yarn install --frozen-lockfile --production",
            id="yarn",
        ),
        pytest.param(
            "pnpm install --frozen-lockfile",
            "pnpm run build",
            "pnpm install --frozen-lockfile --prod",
            id="pnpm",
        ),
        pytest.param("npm install", "npm run build:prod", "npm install --omit=dev", id="npm install"),
        pytest.param(
            "npm ci && npm cache clean --force",
            "npm run build",
            "npm ci --omit=dev && npm cache clean --force",
            id="cache cleaned in the same RUN",
        ),
    ],
)
def test_node_production_install_per_manager(install: str, build: str, expected: str) -> None:
    source = (
        f'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN {install}\nRUN {build}\nCMD ["node", "build/index.js"]'
    )
    out = fixed(source, None)
    assert out.endswith(
        f'RUN {expected}\nCOPY --from=build /app/build /app/build\nCMD ["node", "build/index.js"]\n'
    )


def test_node_old_npm_uses_production_flag() -> None:
    source = 'FROM node:14\nWORKDIR /app\nCOPY . .\nRUN npm ci\nRUN npm run build\nCMD ["node", "dist/a.js"]'
    assert "RUN npm ci --production\n" in fixed(source, None)


def test_node_start_script_read_from_package_json(tmp_path: Path) -> None:
    package = '{"scripts": {"build": "tsc", "start": "node lib/main.js"}}'
    ctx = context(tmp_path, {"package.json": package})
    source = 'FROM node:20\nWORKDIR /srv\nCOPY . .\nRUN npm ci\nRUN npm run build\nCMD ["npm", "start"]'
    assert "COPY --from=build /srv/lib /srv/lib\n" in fixed(source, ctx)
    message = refusal(source, None)
    assert "build output path cannot be read" in message


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        pytest.param(
            'FROM node:20\nCOPY . .\nRUN npm ci\nRUN npm run build\nCMD ["node", "server.js"]',
            "a file of the source",
            id="CMD starts a source file",
        ),
        pytest.param(
            "FROM node:20\nCOPY . .\nRUN npm ci\nRUN npm run build\nRUN npm prune --production\n"
            'CMD ["node", "dist/a.js"]',
            "`RUN` on line 5 after the install",
            id="a RUN after the build",
        ),
        pytest.param(
            "FROM node:20\nCOPY . .\nRUN npm ci\nRUN npx prisma generate\nRUN npm run build\n"
            'CMD ["node", "dist/a.js"]',
            "may use or change the dev dependencies",
            id="a RUN between install and build",
        ),
        pytest.param(
            "FROM node:20\nRUN apt-get update && apt-get install -y python3 make g++\nCOPY . .\nRUN npm ci\n"
            'RUN npm run build\nCMD ["node", "dist/a.js"]',
            "production dependencies may need it",
            id="node-gyp tools before the install",
        ),
        pytest.param(
            'FROM node:20\nCOPY . .\nRUN npm ci --omit=dev\nRUN npm run build\nCMD ["node", "dist/a.js"]',
            "already leaves out the dev dependencies",
            id="install already production only",
        ),
        pytest.param(
            'FROM node:20\nCOPY . .\nRUN npm ci && npm test\nRUN npm run build\nCMD ["node", "dist/a.js"]',
            "runs more than the install",
            id="install RUN runs tests too",
        ),
        pytest.param(
            "FROM node:20\nCOPY . .\nRUN npm ci\nRUN npm run build\nRUN npm run build:css\n"
            'CMD ["node", "dist/a.js"]',
            "one build step",
            id="two builds",
        ),
        pytest.param(
            "FROM node:20 AS deps\nCOPY . .\nRUN npm ci\nFROM node:20\nCOPY . .\nRUN npm ci\n"
            'RUN npm run build\nCMD ["node", "dist/a.js"]',
            "already has 2 stages",
            id="already multi-stage",
        ),
    ],
)
def test_node_refusals_say_why(source: str, reason: str) -> None:
    message = refusal(source, None)
    assert "; no fix: " in message and reason in message, message


@pytest.mark.parametrize(
    "source",
    [
        pytest.param('FROM node:20\nCOPY . .\nRUN npm ci\nCMD ["node", "index.js"]', id="no build step"),
        pytest.param('FROM node:20\nCOPY . .\nRUN npm run build\nCMD ["node", "dist/a.js"]', id="no install"),
        pytest.param(
            'FROM node:20\nRUN npm install -g serve\nRUN npm run build\nCMD ["serve"]', id="global install"
        ),
    ],
)
def test_node_not_reported(source: str) -> None:
    assert messages(source, None) == []


# -- every rule together ------------------------------------------------------------


def all_fixed(source: str, ctx: BuildContext | None) -> str:
    rules = [r() for r in ALL_RULES]
    result = fix(snippet(source), rules, Applicability.UNSAFE, ctx)
    assert not isinstance(result, ParseError)
    assert not result.bugs, result.bugs
    again = fix(result.text, rules, Applicability.UNSAFE, ctx)
    assert not isinstance(again, ParseError)
    assert again.text == result.text, "a second run with every rule changes the file"
    return result.text


def test_go_with_every_rule_is_stable(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"go.mod": "module x\n", "go.sum": "", "cmd/app/main.go": GO_MAIN})
    out = all_fixed(GO_APP, ctx)
    assert "FROM gcr.io/distroless/static-debian12\n" in out


def test_python_with_every_rule_is_stable(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"requirements.txt": "psycopg2==2.9.9\n", "app.py": "print(1)\n"})
    out = all_fixed(PY_APP, ctx)
    assert "COPY --from=build /opt/venv /opt/venv" in out


def test_node_with_every_rule_is_stable(tmp_path: Path) -> None:
    ctx = context(tmp_path, {"package.json": '{"scripts": {"build": "tsc"}}', "src/server.ts": ""})
    out = all_fixed(NODE_APP, ctx)
    assert "RUN npm ci --omit=dev" in out and "COPY --from=build /app/dist /app/dist" in out


def test_runtime_library_table() -> None:
    assert runtime_library("libpq-dev", None) == "libpq5"
    assert runtime_library("libssl-dev", "trixie") == "libssl3t64"
    assert runtime_library("libffi-dev", "bullseye") == "libffi7"
    assert runtime_library("libssl-dev", None) is None
    assert runtime_library("libfoo-dev", "bookworm") is None
    assert all(
        name.endswith("-dev") or name.endswith("-compat") or name == "python-dev-is-python3"
        for name in RUNTIME_LIBRARIES
    )


@pytest.mark.parametrize(
    ("base", "loaded"), [("debian:12", False), ("python:3.12", True), ("golang:1.22", True)]
)
def test_the_patterns_load_only_for_a_build_on_golang_python_or_node(
    tmp_path: Path, base: str, loaded: bool
) -> None:
    """A whole `--diff` run: DF502's patterns read only those images, so load only for them."""
    text = f"FROM {base}\nRUN apt-get update && apt-get install -y gcc\nCMD python /app/main.py\n"
    assert loaded_by_a_diff(tmp_path, text, ("dffix.rules.split",)) == (
        ["dffix.rules.split"] if loaded else []
    )
