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

from dffix.edits import Fix
from dffix.facts import Facts, Stage
from dffix.rules.base import Fixability, Rule, Violation
from dffix.rules.deps.context import View
from dffix.rules.deps.layout import Lines
from dffix.rules.deps.paths import Loc
from dffix.rules.deps.planner import Finding, install_findings, short, stage_view, workdirs
from dffix.rules.deps.run import may_install, run_plan
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
        view: View | None = None
        lines: Lines | None = None
        for stage in facts.stages:
            wds = _installs(stage)
            if wds is None:
                continue  # every finding starts from an install: the copies need no reading
            if view is None or lines is None:
                view, lines = View.of(facts.context), Lines(df)
            sv = stage_view(df, stage, view, lines, wds)
            reported: set[int] = set()
            claimed: set[int] = set()  # copies an earlier install in the stage reports
            for k in range(len(sv.steps)):
                for found in install_findings(sv, k, frozenset(claimed)):
                    claimed.update(found.indexes)
                    if found.copy.span.start not in reported:
                        reported.add(found.copy.span.start)
                        yield self._violation(found, stage)

    def _violation(self, found: Finding, stage: Stage) -> Violation:
        more = f" and {found.others} more {'copy' if found.others == 1 else 'copies'}" if found.others else ""
        base = (
            f"`{short(found.copy.line)}`{more} {'come' if more else 'comes'} before "
            f"`{short(found.install.words)}`, so a change to any copied file re-runs the install"
        )
        span = found.copy.keyword_span
        if found.edits is None:
            return self.violation(span, message=f"{base}; not fixed: {found.problem}")
        if found.unsure is None:
            fix = Fix.safe(*found.edits)
            return self.violation(span, fix, message=base, isolation=f"stage:{stage.index}")
        fix = Fix.unsafe(*found.edits)
        return self.violation(span, fix, message=f"{base}; {found.unsure}", isolation=f"stage:{stage.index}")


def _installs(stage: Stage) -> list[Loc] | None:
    """Return the stage's `workdirs` when a RUN of it runs an install tool (as `stage_view`
    reads it), None when none does."""
    if "RUN" not in stage.kinds:
        return None
    wds: list[Loc] | None = None
    for n, instr in enumerate(stage.instructions):
        if instr.kind != "RUN" or not may_install(instr):
            continue  # no install tool in its text: its plan has none
        wds = wds or workdirs(stage)
        plan = run_plan(instr, stage.shell_at(instr), wds[n])
        if plan is not None and plan.tools:
            return wds
    return None
