"""DF202: the source copied before a dependency install that only needs manifest files.

The rule works on a small model of one stage:

- a path in the image is a `Loc`: absolute, or below the stage's working directory when
  no absolute `WORKDIR` says where that is;
- a context `COPY`/`ADD` is a set of `Mapping`s, "this image path comes from that
  context path";
- a `RUN` is a `RunPlan`: the install `Tool`s it runs (what they read below their
  folder, what they write there), and the other paths its commands write. A command
  we do not know makes the `RUN` a barrier: nothing is moved across it.

A code copy `C` before an install `I` is moved to just after `I` when nothing between
them, and nothing `I` does, reads or writes what `C` brings in; manifests that only `C`
provided are first copied by a narrow `COPY` right before `I`.

The parts, each readable on its own: `paths` (Loc), `context` (the build context seen
through `.dockerignore`), `copies` (what a COPY/ADD writes), `model` (Tool, Read,
Writes), one module per package manager (`pip`, `node`, `pyproject`, `golang`, `ruby`,
`php`: the command and what its manifest says), `commands` (any simple command),
`run` (a RUN), `planner` (which copies move, and why not) and `layout` (the edits).
"""

from __future__ import annotations

from collections.abc import Iterator

from dffix.facts import Facts
from dffix.rules.base import Fixability, Rule, Violation
from dffix.rules.deps.installers import may_install
from dffix.syntax.tree import Dockerfile


class CopyAllBeforeInstall(Rule):
    """## What it does
    Flags source code copied into the image before a dependency install that only
    needs the manifest files (`requirements.txt`, `package.json`, `go.mod`, ...).

    ## Why is this bad?
    Docker rebuilds every layer after the first one whose input changed. With
    `COPY . .` before `RUN pip install -r requirements.txt`, editing any source file
    invalidates the copy, so the slow install runs again on every build, although
    the dependencies did not change. Copying the manifests first, installing, and
    copying the rest afterwards keeps the install cached until a manifest changes.

    The rule knows pip (`-r`/`-c` files), Pipenv, Poetry (`--no-root`), uv
    (`sync --no-install-project`), PDM (`--no-self`), npm (`ci`, `install`), Yarn,
    pnpm (`install`, `fetch`), Go (`go mod download`), Bundler and Composer
    (`--no-scripts --no-autoloader`). Any context copy of files the install does not
    read counts as code, so `COPY app.py .` before `COPY requirements.txt .` and
    the install is flagged too. Variants that install the project itself
    (`poetry install`, `uv sync`, `pdm install` without those options, `composer
    install` with scripts) are reported after a whole-folder copy, without a fix.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    COPY . .
    RUN pip install -r requirements.txt
    CMD ["python", "app.py"]
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    COPY requirements.txt .
    RUN pip install -r requirements.txt
    COPY . .
    CMD ["python", "app.py"]
    ```

    ## Fix safety
    One fix moves every code copy before the install that can move to just after it,
    in their order, however many there are. A comment block directly above an
    instruction belongs to it: a copy's moves with the copy, the install's stays
    above the install. Blank lines between blocks stay between them. When the code
    copies were the only ones to bring a manifest, a narrow `COPY` of the manifests,
    with the same `--chown`/`--chmod`/`--link` flags and destination, goes directly
    above the install (below its comment). The install keeps its place, so its
    `WORKDIR`, `USER`, `ARG` and `ENV` stay the same. A copy that brings only
    manifests (`COPY requirements.txt package.json ./`, of any package manager) is
    already narrow and is left alone.

    The fix is safe only when the build context (the Dockerfile's folder) is visible
    and shows that the install reads nothing but the manifests: they exist; a
    requirements file has no `-e`, local path, `file:` or local `--find-links` (its `-r`
    and `-c` files are followed and copied too); package.json has no install
    lifecycle script (`preinstall`, `install`, `postinstall`, `prepare`, ...) unless
    `--ignore-scripts`, no `file:`/`link:` dependency and no workspaces; there is no
    `binding.gyp`, `go.work`, `pnpm-workspace.yaml`, `.yarn/` or `vendor/cache`; go.mod
    has no local `replace`; the Gemfile has no `gemspec`, `path:` or file reads;
    composer.json has no `path` repository. Tool config read from the project
    (`.npmrc`, `.yarnrc.yml`, `poetry.toml`, `uv.toml`, `.bundle/config`, ...) is
    copied along when present. When the context is not visible or a manifest is
    missing from it, the fix is unsafe, and the message says which file could not be
    seen. The image then gets the lock file from the context, even if an install such
    as `npm install` rewrote it. Unseen, the narrow `COPY` takes the files each tool
    needs the way that works whatever the context holds: a requirements file in a folder
    brings its folder (`COPY requirements/ requirements/`), since it may include files
    beside it with `-r base.txt`; lock files that may not be committed are wildcards
    (`package*.json`, `Gemfile.lock*`), which match nothing without failing the build.
    A `gemspec` line in a visible Gemfile means no fix: the gem's `*.gemspec` reads the
    project's source files.

    There is no fix when the install reads none of what the code copies bring and no
    copy before it brings its manifests (`ADD / /server`, then `npm install` in `/`):
    moving the copy would not give the install anything it reads.

    A copy is not moved when anything between it and the install could notice the
    move: a `RUN`
    whose commands are not all known to leave the project folder alone (package
    managers such as `apt-get`, `apk`, `pip install <names>`, `npm install -g`, and
    `rm`/`mkdir`/`chmod` on other absolute paths are), a `WORKDIR`, `USER`, `VOLUME`
    or `SHELL`, a copy that writes where the code copy does (unless it copies the
    same files with the same ownership), or a copy that uses variables. Nor when the
    install writes a folder that the build context also holds (`node_modules`,
    `.venv`, `vendor`) and `.dockerignore` does not leave it out, or writes into a
    folder the copy fills (a config copied into `/etc` stays before `pip install`).
    Nothing moves when `.dockerignore` leaves out a manifest, or when five or more
    installs follow the install before the next barrier (the moved copies would pass
    one install per fixer pass).
    `ENV` and `ARG` between are fine: the copy uses no variable. A copy that writes
    elsewhere does not stop the fix: an `ADD` of an archive or URL writes only below
    its destination, so `ADD vendor.tar.gz /opt/` between is fine. Copies that can
    move are moved even when others must stay; every copy that stays is reported
    with the reason, and so is every refused fix.
    A Dockerfile's own ignore file (`app.Dockerfile.dockerignore` beside
    `app.Dockerfile`) is read instead of `.dockerignore` when there is one, as BuildKit
    does. The rule looks back at most 200 instructions from an install, and one fix
    moves at most 50 copies.

    ## References
    - Docker docs: "Optimize cache usage in builds", "Leverage build cache"
    - Node.js docs: "Dockerizing a Node.js web app"
    """

    code = "DF202"
    name = "copy-all-before-install"
    message = "Source copied before a dependency install that needs only manifests"
    fix_title = "Copy only the manifests before the install, and the rest after it"
    fixability = Fixability.SOMETIMES

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        # Every finding starts from an install, and most files run none: the rest of the
        # rule (4 ms of a start) loads only when a RUN may install.
        if any(may_install(instr) for instr in df.instructions("RUN")):
            from dffix.rules.deps.findings import violations

            yield from violations(self, df, facts)
