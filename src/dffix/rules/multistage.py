"""DF502: a single-stage build whose compilers and build tools stay in the image.

The fix splits the stage in two: a `build` stage (the original instructions up to the
build) and a final stage that gets only what runs. Each pattern (Go, Python with
compilers, Node) has its own guards; whatever a pattern cannot prove it understands is
reported with the reason and no fix. This module is the rule and its documentation; the
patterns and the split are in `dffix.rules.split`, loaded for the files a pattern may match.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from dffix.edits import Applicability
from dffix.facts import Facts
from dffix.rules.base import Fixability, Rule, Violation
from dffix.syntax.tree import Dockerfile

# The images a pattern reads the final stage's build on (the root of its FROM chain).
_PATTERN_BASES = frozenset({"golang", "python", "node"})

# A `-dev` package's runtime library, by Debian release (`*`: the same name from buster to
# trixie, the releases python images have been built on since Python 3.8). Headers of
# libraries the python images already hold map to nothing.
RUNTIME_LIBRARIES: dict[str, dict[str, str]] = {
    "libpq-dev": {"*": "libpq5"},
    "default-libmysqlclient-dev": {"*": "libmariadb3"},
    "libmariadb-dev": {"*": "libmariadb3"},
    "libmariadb-dev-compat": {"*": "libmariadb3"},
    "libffi-dev": {"buster": "libffi6", "bullseye": "libffi7", "bookworm": "libffi8", "trixie": "libffi8"},
    "libssl-dev": {
        "buster": "libssl1.1",
        "bullseye": "libssl1.1",
        "bookworm": "libssl3",
        "trixie": "libssl3t64",
    },
    "zlib1g-dev": {"*": "zlib1g"},
    "libjpeg-dev": {"*": "libjpeg62-turbo"},
    "libjpeg62-turbo-dev": {"*": "libjpeg62-turbo"},
    "libpng-dev": {
        "buster": "libpng16-16",
        "bullseye": "libpng16-16",
        "bookworm": "libpng16-16",
        "trixie": "libpng16-16t64",
    },
    "libfreetype-dev": {"*": "libfreetype6"},
    "libfreetype6-dev": {"*": "libfreetype6"},
    "libxml2-dev": {"*": "libxml2"},
    "libxslt1-dev": {"*": "libxslt1.1"},
    "libxslt-dev": {"*": "libxslt1.1"},
    "libyaml-dev": {"*": "libyaml-0-2"},
    "libsqlite3-dev": {"*": "libsqlite3-0"},
    "libbz2-dev": {"*": "libbz2-1.0"},
    "liblzma-dev": {"*": "liblzma5"},
    "libzstd-dev": {"*": "libzstd1"},
    "libsasl2-dev": {"*": "libsasl2-2"},
    "libldap2-dev": {
        "buster": "libldap-2.4-2",
        "bullseye": "libldap-2.4-2",
        "bookworm": "libldap-2.5-0",
        "trixie": "libldap2",
    },
    "libkrb5-dev": {"*": "libkrb5-3"},
    "libcurl4-openssl-dev": {
        "buster": "libcurl4",
        "bullseye": "libcurl4",
        "bookworm": "libcurl4",
        "trixie": "libcurl4t64",
    },
    "libgeos-dev": {
        "buster": "libgeos-c1v5",
        "bullseye": "libgeos-c1v5",
        "bookworm": "libgeos-c1v5",
        "trixie": "libgeos-c1t64",
    },
    "libmagic-dev": {
        "buster": "libmagic1",
        "bullseye": "libmagic1",
        "bookworm": "libmagic1",
        "trixie": "libmagic1t64",
    },
    "libsnappy-dev": {"*": "libsnappy1v5"},
    "libc6-dev": {"*": ""},
    "linux-libc-dev": {"*": ""},
    "python3-dev": {"*": ""},
    "python-dev": {"*": ""},
    "python-dev-is-python3": {"*": ""},
}


def runtime_library(dev: str, release: str | None) -> str | None:
    """Return the runtime package for a `-dev` package ("" for none needed), or None."""
    name = re.split(r"[=:]", dev, maxsplit=1)[0].lower()
    found = RUNTIME_LIBRARIES.get(name)
    if found is None:
        return None
    if "*" in found:
        return found["*"]
    return found.get(release or "")


class SingleStageBuild(Rule):
    """## What it does
    Flags a single-stage build that compiles in the image it ships: a Go program built on
    a `golang` image, Python requirements compiled with `gcc`/`build-essential` and `-dev`
    packages installed in the final stage, or a Node app built with its dev dependencies.

    ## Why is this bad?
    The compilers, headers and module caches are needed to build, not to run. Left in the
    image they add hundreds of megabytes (the `golang` image alone is about 800 MB), slow
    every pull, and give scanners and attackers more code. A multi-stage build compiles in
    one stage and copies only the results into a small final stage.

    ## Example
    ```dockerfile
    FROM golang:1.22
    WORKDIR /src
    COPY . .
    RUN CGO_ENABLED=0 go build -o /bin/app ./cmd/app
    EXPOSE 8080
    CMD ["/bin/app"]
    ```

    ## Use instead
    ```dockerfile
    FROM golang:1.22 AS build
    WORKDIR /src
    COPY . .
    RUN CGO_ENABLED=0 go build -o /bin/app ./cmd/app

    FROM gcr.io/distroless/static-debian12
    WORKDIR /src
    COPY --from=build /bin/app /bin/app
    EXPOSE 8080
    CMD ["/bin/app"]
    ```

    ## Fix safety
    The fix is unsafe: the final image holds only what the fix copies, and a program that
    reads a file the fix did not see is broken. The original stage becomes the `build`
    stage (a name the file does not use; the stage's own name goes to the final stage),
    everything before the build stays in it, and the final stage repeats its `ENV`,
    `ARG`, `LABEL`, `EXPOSE`, `WORKDIR`, `USER`, `VOLUME`, `STOPSIGNAL`, `HEALTHCHECK`,
    `CMD` and `ENTRYPOINT`. The instructions after the build, with their comments, become
    the final stage's.

    **Go**: one `go build -o <path>` or `go install <pkg>` whose binary the `CMD` or
    `ENTRYPOINT` runs. With `CGO_ENABLED=0` set, or with the build context visible and no
    `import "C"` in it (nor a module known to need cgo, such as `go-sqlite3`), the binary is
    static: the fix sets `CGO_ENABLED=0` on the build command when it is unset and the final
    stage is `gcr.io/distroless/static-debian12` (which has CA certificates and time zone
    data). Otherwise the final stage is `debian:<release>-slim` for the release named in
    the `golang` tag, with the build stage's CA certificates and `/usr/share/zoneinfo`
    copied. The files a `COPY` brought that are not Go source (templates, static files,
    configuration; not docs, `vendor/`, `testdata/` or the Dockerfile) are copied to the
    same paths, which needs the build context.

    **Python**: one `apt-get install` `RUN` with build tools (and only apt housekeeping
    in it) followed by `pip install` `RUN`s. The build stage creates a virtualenv in
    `/opt/venv` before the first `pip install`; the final stage, on the same base, installs
    the packages that were not build tools plus the runtime library of each `-dev` package
    (table below), copies the virtualenv and puts it first on `PATH`.

    **Node**: one dependencies install (`npm ci`/`npm install`, `yarn [install]`, `pnpm
    install`, alone in its `RUN` or with `npm cache clean`) followed by one build script
    (`npm run build*`, `yarn build`, `pnpm build`), on a `node` image. The build output is
    the folder of the file the `CMD`/`ENTRYPOINT` starts (`node dist/server.js`), or of the
    `start` script of a visible package.json for `npm start`. The final stage, on the same
    base, repeats the instructions up to the build with the install made production-only
    (`--omit=dev`; `--production` for npm 6 and yarn; `--prod` for pnpm), so it stays
    cached on the manifests, then copies the build output from the `build` stage.

    | `-dev` package | runtime package |
    |---|---|
    TABLE

    There is no fix, and the message says why, when the file already has several
    stages; for `ONBUILD` or `SHELL`; when a `RUN` comes after the build (it would run
    without the tools); when the binary's path or the program `CMD` runs cannot be read;
    for a `RUN` before the Go build that runs anything but `go`, `apt-get`/`apk` or `git`
    (it may write files the program reads); for `GOBIN`/`GOPATH` set in the stage;
    for a shell-form `CMD` or a `HEALTHCHECK` needing tools on a distroless base; for a
    `USER` or `--chown` naming a user the stage creates; for a cgo build whose Debian
    release is not in the tag, or an Alpine one; for a `-dev` package not in the table;
    for `pip install --user`/`--target`/`-e`; for a `RUN` before the install that compiles;
    for a Node `RUN` between the install and the build (it may write into
    `node_modules`), build tools installed for native modules, or a `CMD` starting a file
    of the source rather than of the build.

    ## References
    - Docker docs: "Multi-stage builds"
    - Docker best practices: "Use multi-stage builds"
    - Related: DF709 `build-tools-in-final-stage` reports the build tools themselves.
    """

    code = "DF502"
    name = "single-stage-build"
    message = "The final stage builds the program it ships: the build tools stay in the image"
    fix_title = "Move the build to a `build` stage and ship only its output"
    fixability = Fixability.SOMETIMES
    best_fix = Applicability.UNSAFE  # the final stage loses what the build left

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        stage = facts.final_stage
        # Only a build on golang, python or node matches a pattern: the patterns and the
        # split (dffix.rules.split) load only for those.
        if stage is None or facts.root(stage).base_name not in _PATTERN_BASES:
            return
        from dffix.rules.split import violations

        yield from violations(self, df, facts, stage)


def _lib(name: str) -> str:
    return f"`{name}`" if name else "(none: the base image has it)"


def _table() -> str:
    rows = []
    for dev, libs in RUNTIME_LIBRARIES.items():
        shown = "; ".join(_lib(v) if k == "*" else f"{_lib(v)} ({k})" for k, v in libs.items())
        rows.append(f"    | `{dev}` | {shown} |")
    return "\n".join(rows).lstrip()


SingleStageBuild.__doc__ = (SingleStageBuild.__doc__ or "").replace("TABLE", _table())

__all__ = ["RUNTIME_LIBRARIES", "SingleStageBuild"]
