"""DF2xx: the build context. A whole-context `COPY` with no `.dockerignore` beside it."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

from dffix.facts import BuildContext, Facts
from dffix.lazy import lazy_re
from dffix.rules.base import Fixability, Rule, Violation
from dffix.rules.records import _Uses
from dffix.syntax.tree import Dockerfile, Instruction

IGNORE_FILE = ".dockerignore"
# How far and how much `dockerignore_for` looks: enough for a repository's top levels, cheap
# on a huge tree (the walk never enters what it has already decided to ignore).
MAX_DEPTH = 3
MAX_ENTRIES = 20_000

_VCS = (".git", ".hg", ".svn")
_CACHES = frozenset(
    {
        *(".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox", ".nox", ".hypothesis", "htmlcov"),
        *(".ipynb_checkpoints", ".parcel-cache", ".eslintcache", ".sass-cache"),
    }
)
_EDITORS = frozenset({".idea", ".vscode"})
_JUNK_FILES = frozenset({".DS_Store", "Thumbs.db", ".coverage"})
# Build output folders, and the files beside them that show which tool makes them.
_OUTPUTS = {
    "dist": ("package.json", "setup.py", "pyproject.toml", "setup.cfg"),
    "build": ("setup.py", "pyproject.toml", "build.gradle", "build.gradle.kts"),
    "target": ("pom.xml", "Cargo.toml", "build.sbt"),
    "coverage": ("package.json",),
    ".next": ("package.json",),
    ".nuxt": ("package.json",),
    ".gradle": ("build.gradle", "build.gradle.kts", "settings.gradle", "settings.gradle.kts"),
}
# `.env.example` and friends document the variables; they hold no secrets.
_ENV_TEMPLATE = lazy_re(r"\.(?:example|sample|template|dist|defaults?|tpl)$", re.IGNORECASE)
_NODE_INSTALL = lazy_re(r"\b(?:npm\s+(?:install|i|ci)\b|yarn\b|pnpm\s+(?:install|i)\b)")
_GIT_COMMAND = lazy_re(r"(?<![\w./-])git(?![\w.-])")
_GROUPS = (
    ("vcs", "Version control"),
    ("deps", "Dependencies the image installs itself"),
    ("python", "Python virtualenvs and bytecode"),
    ("secrets", "Secrets: pass them at run time (docker run --env-file) or as build secrets"),
    ("outputs", "Build outputs (git-ignored, or made by the tool whose file sits beside them)"),
    ("caches", "Caches, editors and system files"),
    ("self", "The Dockerfile and this file"),
)


def _normal(source: str) -> str:
    """Return a context path without `./` prefixes and trailing `/` or `/.` (`.` for the root)."""
    path = source.strip()
    while path.startswith("./"):
        path = path[2:]
    while path.endswith(("/", "/.")) and len(path) > 1:
        path = path[:-2] if path.endswith("/.") else path[:-1]
    return path.lstrip("/") or "."


def _whole(source: str) -> bool:
    return _normal(source) in (".", "*")


def _context_sources(instr: Instruction) -> tuple[str, ...]:
    """Return the build-context paths a COPY/ADD copies (none with `--from` or a heredoc)."""
    if instr.kind not in ("COPY", "ADD") or instr.flag("from") is not None or instr.heredocs:
        return ()
    return instr.values[:-1]


def _mounts_context(instr: Instruction) -> bool:
    """Return whether a RUN bind-mounts the whole build context (`--mount=target=/src`)."""
    for flag in instr.flags_named("mount"):
        parts = dict(p.partition("=")[::2] for p in (flag.value or "").split(","))
        source = parts.get("source", parts.get("src", "."))
        if parts.get("type", "bind") == "bind" and "from" not in parts and _whole(source):
            return True
    return False


def whole_context_copy(df: Dockerfile) -> Instruction | None:
    """Return the first instruction that copies or mounts the whole build context, or None."""
    for instr in df.all_instructions:
        kind = instr.kind
        # `_context_sources`, its flag and heredoc tests only for a copy of a whole folder
        # (most copies name files: their flags need no reading).
        if (
            kind in ("COPY", "ADD")
            and any(_whole(s) for s in instr.values[:-1])
            and any(_whole(s) for s in _context_sources(instr))
        ):
            return instr
        if kind == "RUN" and instr.flags and _mounts_context(instr):
            return instr
    return None


def has_ignore_file(context: BuildContext) -> bool:
    """Return whether the context has a `.dockerignore` or a `<name>.dockerignore`.

    The rule does not know the Dockerfile's own name, so any per-Dockerfile ignore file
    counts: a false silence rather than a false report.
    """
    return any(name == IGNORE_FILE or name.endswith(IGNORE_FILE) for name in context.names())


def _uses(df: Dockerfile | None) -> _Uses:
    if df is None:
        return _Uses(installs_node=False, runs_git=False)
    sources: list[str] = []
    texts: list[str] = []
    for instr in df.all_instructions:
        target = instr.inner if instr.inner is not None else instr
        sources += [_normal(s) for s in _context_sources(target) if not _whole(s)]
        if target.kind in ("RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK"):
            texts += [*target.values, *(h.content for h in target.heredocs)]
    text = "\n".join(texts)
    return _Uses(tuple(sources), text, bool(_NODE_INSTALL.search(text)), bool(_GIT_COMMAND.search(text)))


def _gitignored(context: BuildContext) -> frozenset[str] | None:
    """Return the plain names the top-level `.gitignore` ignores, or None without one."""
    text = context.read_text(".gitignore", limit=200_000)
    if text is None:
        return None
    names = set()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "!")):
            names.add(line.removeprefix("**/").strip("/"))
    return frozenset(names)


class _Found:
    """What the walk found, by group; paths relative to the context, `/`-separated."""

    __slots__ = ("groups",)

    def __init__(self) -> None:
        self.groups: dict[str, set[str]] = {}

    def add(self, group: str, entry: str) -> None:
        self.groups.setdefault(group, set()).add(entry)


def _is_output(name: str, rel: str, siblings: set[str], ignored: frozenset[str] | None) -> bool:
    """Return whether a folder is a tool's build output: git-ignored, or (without a
    `.gitignore`) beside the file of the tool that makes it."""
    if ignored is not None:
        return name in ignored or rel in ignored
    return any(s in siblings for s in _OUTPUTS[name])


def _scan(dirpath: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(dirpath) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError:
        return []


def _classify(
    entry: os.DirEntry[str], rel: str, siblings: set[str], ignored: frozenset[str] | None
) -> str | None:
    """Return the group of an entry to ignore (and not to enter), or None."""
    name = entry.name
    try:
        is_dir = entry.is_dir(follow_symlinks=False)
    except OSError:
        return None
    if is_dir:
        if name in _VCS:
            return "vcs"
        if name == "node_modules":
            return "deps"
        if name == ".venv" or os.path.isfile(os.path.join(entry.path, "pyvenv.cfg")):
            return "python"
        if name == "__pycache__":
            return "pycache"
        if name in _CACHES or name in _EDITORS or name.endswith(".egg-info"):
            return "caches"
        if name in _OUTPUTS and _is_output(name, rel, siblings, ignored):
            return "outputs"
        return None
    if name == ".env" or name == ".envrc" or (name.startswith(".env.") and not _ENV_TEMPLATE.search(name)):
        return "secrets"
    if name.endswith((".pyc", ".pyo")):
        return "pycache"
    return "junk" if name in _JUNK_FILES else None


def _walk(context: BuildContext) -> _Found:
    """Walk the context breadth-first, MAX_DEPTH levels and MAX_ENTRIES entries at most."""
    found = _Found()
    ignored = _gitignored(context)
    queue: list[tuple[str, str, int]] = [(str(context.root), "", 1)]
    seen = 0
    while queue and seen < MAX_ENTRIES:
        dirpath, prefix, depth = queue.pop(0)
        entries = _scan(dirpath)
        siblings = {e.name for e in entries}
        for entry in entries:
            seen += 1
            rel = prefix + entry.name
            group = _classify(entry, rel, siblings, ignored)
            if group is not None:
                found.add(group, rel)
            elif depth < MAX_DEPTH and entry.is_dir(follow_symlinks=False) and not entry.is_symlink():
                queue.append((entry.path, rel + "/", depth + 1))
    return found


def _patterns(found: _Found, uses: _Uses) -> dict[str, list[str]]:
    """Return the ignore patterns by group, leaving out what the Dockerfile uses."""
    out: dict[str, list[str]] = {}

    def wanted(group: str) -> list[str]:
        return sorted(p for p in found.groups.get(group, ()) if not uses.keeps(p))

    def put(group: str, patterns: list[str]) -> None:
        if patterns:
            out.setdefault(group, []).extend(patterns)

    if not uses.runs_git:  # `git describe` and friends read `.git`
        put("vcs", wanted("vcs"))
    if uses.installs_node:  # else the image may run on the node_modules it copies
        deps = wanted("deps")
        put("deps", ["**/node_modules" if any("/" in p for p in deps) else "node_modules"] if deps else [])
    put("python", wanted("python"))
    if wanted("pycache"):
        put("python", ["**/__pycache__", "**/*.py[co]"])
    put("secrets", wanted("secrets"))
    put("outputs", wanted("outputs"))
    put("caches", wanted("caches"))
    put("caches", [f"**/{name}" for name in sorted({p.rsplit("/", 1)[-1] for p in wanted("junk")})])
    return out


def dockerignore_for(context: BuildContext, dockerfile_name: str, df: Dockerfile | None = None) -> str:
    """Return `.dockerignore` content for what this context holds that the image does not need.

    It lists only what exists (looking MAX_DEPTH levels deep): version control, virtualenvs
    and bytecode, `.env` files, caches and editor folders, `node_modules` (when the
    Dockerfile installs node packages itself), build outputs (git-ignored, or beside the
    file of the tool that makes them), and the Dockerfile and ignore file. With `df`, paths
    the Dockerfile copies by name or mentions in its commands are left out, and so is `.git`
    when it runs `git`.
    """
    uses = _uses(df)
    groups = _patterns(_walk(context), uses)
    own = [n for n in (dockerfile_name, IGNORE_FILE) if not uses.keeps(n)]
    if own:
        groups.setdefault("self", []).extend(own)
    lines = [
        "# Written by dffix (DF203 missing-dockerignore) from what this folder holds.",
        "# Paths listed here are not sent to the builder: remove a line if the build needs it.",
    ]
    for key, title in _GROUPS:
        if groups.get(key):
            lines += ["", f"# {title}", *dict.fromkeys(groups[key])]
    return "\n".join(lines) + "\n"


class MissingDockerignore(Rule):
    """## What it does
    Flags a Dockerfile that copies or mounts the whole build context while no `.dockerignore`
    sits in it. That is `COPY . .`, `ADD . /app`, `COPY ./ /src` or a
    `RUN --mount=type=bind,target=/src`.

    ## Why is this bad?
    Without a `.dockerignore`, `COPY . .` sends and copies everything in the folder: the
    `.git` history, local virtualenvs and `node_modules` built for another platform, `.env`
    files with secrets, caches and build outputs. The image gets bigger, secrets end up in
    a layer, and any change to those files (a commit, a test run) invalidates the cache of
    the `COPY` and every step after it.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    COPY . .
    RUN pip install --no-cache-dir -r requirements.txt
    ```

    ## Use instead
    A `.dockerignore` next to the Dockerfile:
    ```text
    .git
    .venv
    **/__pycache__
    .env
    Dockerfile
    .dockerignore
    ```

    ## Fix safety
    The fix is a new file, not an edit of the Dockerfile: `.dockerignore` next to the
    Dockerfile. The file is written only with `--write-dockerignore` (`--unsafe-fixes`
    alone never creates a file), and never overwritten. It is unsafe because an ignored
    path is gone from the image: the app may read a `.env` file at run time or need a prebuilt `dist/`.

    Its content comes from what the folder actually holds (looking three levels deep), not
    from a template: `.git`, `.hg`, `.svn`; virtualenvs (`.venv`, any folder with a
    `pyvenv.cfg`), `__pycache__` and `*.pyc`; `.env` files (not `.env.example`);
    `node_modules` when the Dockerfile installs node packages itself; caches and editor
    folders (`.pytest_cache`, `.mypy_cache`, `.tox`, `.idea`, `.vscode`...); build outputs
    (`dist`, `build`, `target`, `coverage`, `.next`...) when the top-level `.gitignore`
    ignores them, or without one when the file of the tool that makes them sits beside
    them (`target` beside `pom.xml`); and the Dockerfile and `.dockerignore` themselves.
    Paths the Dockerfile copies by name (`COPY dist/ /app`) or names in its commands are
    never listed, nor is `.git` when a `RUN` uses `git`.

    Not reported when the build context is unknown (stdin without `--stdin-filename`), or
    when it has a `.dockerignore` or any `<name>.dockerignore` (BuildKit reads
    `<Dockerfile name>.dockerignore` first; dffix does not know which name this Dockerfile
    is built as).

    ## References
    - Docker docs: ".dockerignore files", "Build context"
    - Docker best practices: "Exclude with .dockerignore"
    """

    code = "DF203"
    name = "missing-dockerignore"
    message = "The whole build context is copied and there is no `.dockerignore`"
    fix_title = "Write a `.dockerignore` next to the Dockerfile"
    fixability = Fixability.SOMETIMES
    best_fix = None  # its fix is a new file (--write-dockerignore), never an edit

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        context = facts.context
        if context is None:
            return
        instr = whole_context_copy(df)
        if instr is None or has_ignore_file(context):
            return
        notable = [n for n in context.names() if n in _VCS or n in ("node_modules", ".venv", "venv", ".env")]
        holds = f" (the folder holds {', '.join(f'`{n}`' for n in notable)})" if notable else ""
        msg = (
            f"`{instr.kind}` copies the whole build context and there is no `.dockerignore`{holds};"
            " `dffix --write-dockerignore` writes one"
        )
        yield self.violation(instr.keyword_span, message=msg)

    @classmethod
    def new_file(
        cls, df: Dockerfile, facts: Facts, dockerfile_name: str = "Dockerfile"
    ) -> tuple[str, str] | None:
        """Return the `.dockerignore` to write beside the Dockerfile: its path relative to the
        build context and its content.

        Returns None when there is nothing to write: no known context, no whole-context
        copy, or an ignore file already there (`.dockerignore` or
        `<dockerfile_name>.dockerignore`). Reads the context; writes nothing.
        """
        context = facts.context
        if context is None or whole_context_copy(df) is None or has_ignore_file(context):
            return None
        if context.exists(IGNORE_FILE) or context.exists(f"{dockerfile_name}{IGNORE_FILE}"):
            return None
        return IGNORE_FILE, dockerignore_for(context, dockerfile_name, df)
