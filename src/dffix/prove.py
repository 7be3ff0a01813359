"""`dffix prove DOCKERFILE`: build the original and the fixed file and show what changed.

The fix is made on a copy (the user's file is never written), with the settings the
plain `dffix` command would use for that path. Both files are then built cold with
the container engine found (docker, podman or buildah, through their own CLIs), one
source file is touched in a temporary copy of the context, both are rebuilt to count
the cached steps (with buildah and podman, a multi-stage file is built once more with the
cache before the touch: see Engine.settle_stages), and with `--run N` both images are
started with the network off.
Everything made on the way (images, containers, the temporary folder) is removed at
the end, also after a failure or Ctrl-C.

Exit codes: 0 the fixed image builds (and starts) and nothing that matters got worse;
1 something broke or got worse; 2 nothing could be proven (no engine, the original
does not build, bad arguments), with a one-line reason.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import ClassVar, NamedTuple

from dffix.config import ConfigError, Settings, find_config, read_config, rules_for, selector_error
from dffix.edits import Applicability
from dffix.facts import BuildContext, compute_facts
from dffix.files import FileError, Target, encode, is_dockerfile_name, read_source
from dffix.syntax import ParseError, parse

EXIT_OK = 0
EXIT_WORSE = 1  # the fixed image does not build or start, or got worse
EXIT_CANNOT = 2  # no engine, the original does not build, bad arguments

ENGINES = ("docker", "podman", "buildah")
PROBE_TIMEOUT = 8.0  # seconds an engine may take to show it works
TAIL_LINES = 15  # lines of output shown for a failed build or start

# What counts as noise between two builds of the same thing.
SIZE_NOISE = (1 << 20, 0.01)  # 1 MiB or 1 %, whichever is more
# A rebuild that reruns the same steps varies by seconds on a busy machine (layer commits).
TIME_NOISE = (5.0, 0.5)  # 5 s or 50 %, whichever is more


class ProveError(Exception):
    """A reason the run cannot prove anything (exit 2), as one line."""


# -- the command line -------------------------------------------------------------


class ProveArgs(NamedTuple):
    """A parsed `dffix prove` command line."""

    dockerfile: str
    unsafe_fixes: bool | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    engine: str | None = None
    context: str | None = None
    target: str | None = None
    touch: str | None = None
    run: float | None = None
    ready: re.Pattern[str] | None = None
    output_format: str = "text"
    config: str | None = None
    write_dockerignore: bool = False


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise ProveError(message)


def _parser() -> _Parser:
    p = _Parser(
        prog="dffix prove",
        description=(
            "Fix a copy of DOCKERFILE, build the original and the fixed file, touch a source file,"
            " rebuild both and compare. Writes nothing of yours; removes every image and container"
            " it made. Exit 0: the fix holds; 1: something broke or got worse; 2: cannot prove."
        ),
    )
    from dffix.entry import option

    p.add_argument(
        "dockerfile", metavar="DOCKERFILE", help="The Dockerfile to fix a copy of (never written)."
    )
    p.add_argument(
        "--unsafe-fixes",
        dest="unsafe_fixes",
        action="store_true",
        default=None,
        help=option("--unsafe-fixes").help,
    )
    p.add_argument(
        "--no-unsafe-fixes", dest="unsafe_fixes", action="store_false", help=option("--no-unsafe-fixes").help
    )
    p.add_argument("--select", action="append", metavar="RULES", help=option("--select").help)
    p.add_argument("--ignore", action="append", metavar="RULES", default=[], help=option("--ignore").help)
    p.add_argument("--config", metavar="FILE", help="Use this config file instead of searching.")
    p.add_argument(
        "--write-dockerignore",
        action="store_true",
        help="Build the fixed file with the .dockerignore DF203 proposes (shown in the diff, not written).",
    )
    p.add_argument("--engine", choices=ENGINES, help="Use this engine (default: the first that works).")
    p.add_argument("--context", metavar="DIR", help="The build context (default: the Dockerfile's folder).")
    p.add_argument("--target", metavar="STAGE", help="Build this stage.")
    p.add_argument("--touch", metavar="FILE", help="The context file to change before the rebuild.")
    p.add_argument("--run", metavar="SECONDS", help="Start each image, network off, for up to this long.")
    p.add_argument("--ready", metavar="REGEX", help="Output that shows the app started (with --run).")
    p.add_argument(
        "--output-format", choices=("text", "json"), default="text", help="A text table, or one JSON object."
    )
    return p


def _selectors(values: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(w.strip() for v in values or () for w in v.split(",") if w.strip())


def parse_args(argv: Sequence[str]) -> ProveArgs:
    """Return the ProveArgs of `argv` (after `prove`); raise ProveError on bad usage."""
    ns = _parser().parse_args(list(argv))
    run: float | None = None
    if ns.run is not None:
        try:
            run = float(ns.run)
        except ValueError:
            run = -1.0
        if not 0 < run <= 3600:
            raise ProveError(f"--run takes a number of seconds from 1 to 3600, not {ns.run!r}")
    ready = None
    if ns.ready is not None:
        if ns.run is None:
            raise ProveError("--ready applies only with --run")
        try:
            ready = re.compile(ns.ready)
        except re.error as exc:
            raise ProveError(f"--ready is not a valid regular expression: {exc}") from None
    select = None if ns.select is None else _selectors(ns.select)
    ignore = _selectors(ns.ignore)
    for word in (*(select or ()), *ignore):
        problem = selector_error(word)
        if problem:
            raise ProveError(problem)
    return ProveArgs(
        dockerfile=ns.dockerfile,
        unsafe_fixes=ns.unsafe_fixes,
        select=select,
        ignore=ignore,
        engine=ns.engine,
        context=ns.context,
        target=ns.target,
        touch=ns.touch,
        run=run,
        ready=ready,
        output_format=ns.output_format,
        config=ns.config,
        write_dockerignore=ns.write_dockerignore,
    )


# -- fixing the copy ----------------------------------------------------------------


class FixedCopy(NamedTuple):
    """The original text, the fixed text, and the .dockerignore the fix proposes, if any."""

    original: str
    fixed: str
    fixes: int
    new_ignore: str | None  # DF203's file, with --write-dockerignore (as the CLI would write it)


def fix_copy(args: ProveArgs) -> FixedCopy:
    """Fix the text of the Dockerfile in memory with the CLI's settings for its path."""
    path = args.dockerfile
    if not os.path.isfile(path):
        raise ProveError(f"{path}: no such file")
    text = read_source(Target(path, path, True))
    if isinstance(text, FileError):
        raise ProveError(f"{text.path}: {text.message}")
    folder = os.path.dirname(path) or "."
    config = args.config or find_config(folder)
    settings = Settings() if config is None else read_config(config)
    if isinstance(settings, ConfigError):
        raise ProveError(str(settings))
    settings = settings.with_overrides(args.select, args.ignore, args.unsafe_fixes)
    level = Applicability.UNSAFE if settings.unsafe_fixes else Applicability.SAFE
    from dffix.api import RuleSet, fix_text

    rule_set = RuleSet(tuple(rules_for(settings)), level)
    context = BuildContext(folder, os.path.basename(path))
    fixed = fix_text(text, rule_set, context)
    if isinstance(fixed, ParseError):
        raise ProveError(f"{path}:{fixed.line}:{fixed.col}: {fixed.message}")
    if fixed.bugs:
        # The fixer kept the last good text; proving it would hide the bug.
        raise ProveError(f"{path}: dffix bug: {fixed.bugs[0]}; please report it")
    new_ignore = None
    if args.write_dockerignore:
        new_ignore = _proposed_ignore(fixed.text, rule_set.rules, context, os.path.basename(path))
    return FixedCopy(text, fixed.text, fixed.fixes, new_ignore)


def _proposed_ignore(text: str, rules: Sequence[object], context: BuildContext, name: str) -> str | None:
    from dffix.fixer import check
    from dffix.rules.dockerignore import MissingDockerignore

    chosen = [r for r in rules if isinstance(r, MissingDockerignore)]
    df = parse(text)
    if not chosen or isinstance(df, ParseError) or not check(df, chosen, context):
        return None
    found = MissingDockerignore.new_file(df, compute_facts(df, context), name)
    return None if found is None else found[1]


# -- which file to touch ------------------------------------------------------------


def _normal(source: str) -> str:
    path = source.strip()
    while path.startswith("./"):
        path = path[2:]
    return path.strip("/") or "."


def _context_copies(text: str, target: str | None) -> list[list[list[str]]]:
    """Return the context sources of each COPY/ADD: those of the built stage, then the rest."""
    df = parse(text)
    if isinstance(df, ParseError):
        return []
    stages = list(compute_facts(df).stages)
    built = next((s for s in stages if target and s.name == target.lower()), stages[-1] if stages else None)

    def copies(stage_list: list[object]) -> list[list[str]]:
        found = []
        for stage in stage_list:
            for instr in stage.instructions:  # type: ignore[attr-defined]
                if instr.kind in ("COPY", "ADD") and instr.flag("from") is None and not instr.heredocs:
                    found.append([_normal(v) for v in instr.values[:-1] if "://" not in v])
        return found

    return [copies([built] if built else []), copies([s for s in stages if s is not built])]


def _files_under(root: str, sources: list[str], ignored: Callable[[tuple[str, ...]], bool]) -> list[str]:
    import fnmatch

    out: list[str] = []
    for source in sources:
        if source == ".":
            start = [""]
        elif any(c in source for c in "*?["):
            parent = os.path.dirname(source)
            try:
                names = os.listdir(os.path.join(root, parent))
            except OSError:
                continue
            start = [
                os.path.join(parent, n) for n in names if fnmatch.fnmatchcase(n, os.path.basename(source))
            ]
        else:
            start = [source]
        for rel in start:
            out.extend(_walk_regular(root, rel, ignored))
    return sorted(set(out))


def _walk_regular(root: str, rel: str, ignored: Callable[[tuple[str, ...]], bool]) -> Iterator[str]:
    full = os.path.join(root, rel)
    if os.path.islink(full):
        return
    if os.path.isfile(full):
        if rel and not ignored(tuple(rel.split("/"))):
            yield rel
        return
    for dirpath, dirnames, filenames in os.walk(full):
        base = os.path.relpath(dirpath, root)
        base = "" if base == "." else base
        dirnames[:] = sorted(d for d in dirnames if not ignored(tuple(os.path.join(base, d).split("/"))))
        for name in filenames:
            path = os.path.join(base, name)
            if not os.path.islink(os.path.join(dirpath, name)) and not ignored(tuple(path.split("/"))):
                yield path


# Dependency manifests and lock files: changing one reruns the install, which is not the
# everyday code change the rebuild is meant to measure. Touched only when nothing else is
# copied, as are files in NOT_CODE_DIRS.
MANIFESTS = frozenset(
    (
        "package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml",
        "Pipfile", "Pipfile.lock", "pyproject.toml", "poetry.lock", "uv.lock", "setup.py", "setup.cfg",
        "go.mod", "go.sum", "Gemfile", "Gemfile.lock", "Cargo.toml", "Cargo.lock",
        "composer.json", "composer.lock", "pom.xml", "build.gradle", "mix.exs", "mix.lock",
        ".dffix.toml",
    )
)  # fmt: skip


# Folders of installed or generated files, not code someone edits.
NOT_CODE_DIRS = frozenset(("node_modules", "venv", ".venv", "__pycache__", ".git", "vendor"))


def _is_manifest(rel: str) -> bool:
    """Return whether a context file is a dependency manifest, or sits in a folder of
    installed or generated files: a poor stand-in for a code change."""
    name = os.path.basename(rel)
    if any(part in NOT_CODE_DIRS for part in rel.split("/")[:-1]):
        return True
    return name in MANIFESTS or (name.startswith("requirements") and name.endswith((".txt", ".in")))


def pick_touch(text: str, context_dir: str, target: str | None, ignore_text: str | None) -> str | None:
    """Return the context file (relative path) to touch: the most recently changed regular
    file that the broadest COPY/ADD of the built stage brings in and the ignore file keeps.

    Dockerfiles and ignore files are left out (changing them is not a code change), and
    dependency manifests and installed files (venv/, node_modules/) unless nothing else is.
    """
    from dffix.rules.deps.context import View, ignore_rules

    view = View(BuildContext(context_dir), ignore_rules(ignore_text or ""))
    for keep_manifests in (False, True):
        best: list[str] = []
        # The built stage's copies first; the other stages' only when it copies nothing.
        for group in _context_copies(text, target):
            for sources in group:
                files = [
                    f
                    for f in _files_under(context_dir, sources, view.ignored)
                    if not is_dockerfile_name(os.path.basename(f))
                    and not f.endswith(".dockerignore")
                    and (keep_manifests or not _is_manifest(f))
                ]
                if len(files) > len(best):
                    best = files
            if best:
                return max(best, key=lambda rel: (_mtime(os.path.join(context_dir, rel)), rel))
    return None


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def touch_file(path: str) -> None:
    """Change a file the way an edit would: a comment line for Python, else a newline."""
    with open(path, "a", encoding="utf-8", newline="") as handle:
        handle.write("\n# dffix prove\n" if path.endswith(".py") else "\n")


# -- running commands ---------------------------------------------------------------


class Done(NamedTuple):
    """A finished command: exit code (None when it timed out), output, seconds taken."""

    rc: int | None
    output: str
    seconds: float


def run_cmd(argv: Sequence[str], timeout: float | None = None, env: dict[str, str] | None = None) -> Done:
    """Run a command with stdout and stderr together; never raise for a missing binary."""
    start = time.monotonic()
    try:
        proc = subprocess.run(
            list(argv),
            env=None if env is None else {**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.output or b""
        return Done(None, out.decode("utf-8", "replace"), time.monotonic() - start)
    except OSError as exc:
        return Done(127, str(exc), time.monotonic() - start)
    return Done(proc.returncode, proc.stdout.decode("utf-8", "replace"), time.monotonic() - start)


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:160] if lines else "no output"


# -- engines ------------------------------------------------------------------------


class ImageInfo(NamedTuple):
    """What the engine records about a built image."""

    size: int | None
    layers: int | None
    user: str
    entrypoint: list[str] | None
    cmd: list[str] | None


class Build(NamedTuple):
    """One build: did it work, how long it took, how many steps came from the cache."""

    ok: bool
    seconds: float
    cached: int
    steps: int | None
    output: str


class Start(NamedTuple):
    """One start of an image: yes/no, how it was judged, the last lines of its output."""

    started: bool
    how: str
    tail: tuple[str, ...]


_USING_CACHE = re.compile(r"^(?:--> Using cache|\s*---> Using cache|#\d+ CACHED\b)", re.MULTILINE)
# buildah/podman `STEP 2/5:` (`[1/3] STEP 2/5:` in a multi-stage build); docker's classic
# builder `Step 2/5 :`, numbered across all stages.
_STEP = re.compile(r"^(?:\[\d+/\d+\] )?(?:STEP|Step) (\d+)/(\d+) ?:", re.MULTILINE)
# buildah/podman's `[2/3] STEP 1/5:`: the stage of a multi-stage build and how many there are.
_STAGE = re.compile(r"^\[\d+/(\d+)\] STEP \d+/\d+:", re.MULTILINE)
_BUILDKIT_STEP = re.compile(r"^#\d+ \[([^\]]*?) ?\d+/(\d+)\]", re.MULTILINE)
_GONE = re.compile(r"image not known|no such image|not found", re.IGNORECASE)
_CREATED = re.compile(r"\s*-{2,3}> ([0-9a-f]{11,64})\s*$")


def new_layers(output: str) -> list[str]:
    """Return the ids of the layer images a layered build made (buildah, podman, docker's
    classic builder print `--> id` after each step).

    A step taken from the cache prints its id too, right after `Using cache`: that layer
    is older than this run (maybe another build's) and is left alone.
    """
    made, cached = [], False
    for line in output.splitlines():
        if "> Using cache" in line:
            cached = True
            continue
        m = _CREATED.match(line)
        if m:
            if not cached:
                made.append(m.group(1))
            cached = False
    return made


def count_cached(output: str) -> int:
    """Return the build steps the engine took from its cache, as its output says."""
    return len(_USING_CACHE.findall(output))


def count_stages(output: str) -> int:
    """Return the number of stages a buildah or podman build printed (1 when it does not say)."""
    return max((int(total) for total in _STAGE.findall(output)), default=1)


def count_steps(output: str) -> int | None:
    """Return the number of steps of the build, when its output says (buildah, podman, docker)."""
    # buildah and podman number each stage's steps on their own (STEP 1/3 ... STEP 1/4):
    # add up the stages. BuildKit numbers the steps of each stage too ([stage 2/5]).
    totals = [int(total) for n, total in _STEP.findall(output) if n == "1"]
    if totals:
        return sum(totals)
    stages = {name: int(total) for name, total in _BUILDKIT_STEP.findall(output)}
    return sum(stages.values()) if stages else None


def _fresh_name() -> str:
    """Return a new name for an image or container this run makes (`dffix-prove-<hex>`)."""
    return f"dffix-prove-{uuid.uuid4().hex[:10]}"


class Engine:
    """A container engine driven through its own command line."""

    name = ""
    build_env: ClassVar[dict[str, str] | None] = None
    # buildah (and podman, which builds with buildah's code) looks a step up in its cache by
    # the parent layer and the instruction. After a --no-cache build of a multi-stage file,
    # a stage that starts like an earlier one (the same FROM, ENV, WORKDIR: what DF502
    # writes) has two copies of those first layers, and the next cached build follows the
    # earlier stage's copy, where the rest of this stage was never built: it reruns every
    # step after the shared ones. A user who builds with the cache never sees that, so a
    # multi-stage file is built once more, with the cache and untouched, before the touch.
    settle_stages: ClassVar[bool] = False

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.images: list[str] = []  # tags and layer ids this run made, to remove
        self.containers: list[str] = []

    # Probing
    @classmethod
    def probe(cls, binary: str) -> str | None:
        """Return None when the engine works here, else why not (one phrase)."""
        raise NotImplementedError

    # Building
    def build_argv(
        self,
        dockerfile: str,
        context: str,
        tag: str,
        no_cache: bool,
        target: str | None,
        ignorefile: str | None,
    ) -> list[str]:
        raise NotImplementedError

    def build(
        self,
        dockerfile: str,
        context: str,
        tag: str,
        no_cache: bool,
        target: str | None,
        ignorefile: str | None,
    ) -> Build:
        argv = self.build_argv(dockerfile, context, tag, no_cache, target, ignorefile)
        self.images.append(tag)
        done = run_cmd(argv, env=self.build_env)
        self.images.extend(i for i in new_layers(done.output) if i not in self.images)
        return Build(
            done.rc == 0, done.seconds, count_cached(done.output), count_steps(done.output), done.output
        )

    def inspect(self, tag: str) -> ImageInfo:
        raise NotImplementedError

    def passwd(self, tag: str) -> tuple[str, str] | None:
        """Return the image's /etc/passwd and /etc/group texts without running it, or None."""
        return None

    def start(self, tag: str, info: ImageInfo, seconds: float, ready: re.Pattern[str] | None) -> Start:
        raise NotImplementedError

    def cleanup(self) -> list[str]:
        """Remove the containers and images this run made; return what could not be removed."""
        left = []
        for c in reversed(self.containers):
            if not self.remove_container(c):
                left.append(f"container {c}")
        self.containers.clear()
        for image in reversed(self.images):
            done = run_cmd([self.binary, "rmi", image], timeout=60)
            # A layer id may already be gone with its tag; a tag that stays is reported.
            if done.rc != 0 and ":" in image and not _GONE.search(done.output):
                left.append(f"image {image}")
        self.images.clear()
        return left

    def remove_container(self, name: str) -> bool:
        return run_cmd([self.binary, "rm", "-f", name], timeout=60).rc == 0


def _watch(
    argv: list[str], seconds: float, ready: re.Pattern[str] | None
) -> tuple[str, int | None, list[str]]:
    """Run argv for up to `seconds`; return (how it ended, exit code, last output lines).

    How it ended: "ready" (the regex showed), "running" (still running at the end) or
    "exited". The process (in its own session) is killed at the end.
    """
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    seen = threading.Event()
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def read() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            tail.append(line)
            if ready is not None and ready.search(line):
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + seconds
    how = "running"
    try:
        while time.monotonic() < deadline:
            if seen.is_set():
                how = "ready"
                break
            if proc.poll() is not None:
                reader.join(2)
                how = "ready" if seen.is_set() else "exited"
                break
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    reader.join(2)
    return how, proc.returncode, list(tail)


def _judge(how: str, rc: int | None, tail: list[str], seconds: float, ready: re.Pattern[str] | None) -> Start:
    """Return whether an image started: its --ready line showed, or it was still running
    at the end; without --ready, a one-shot image that exits 0 started too."""
    if how == "ready":
        return Start(True, "ready", ())
    if how == "running":
        return Start(True, f"running after {seconds:g} s", ())
    if rc == 0 and ready is None:
        return Start(True, "exited 0", ())
    if rc == 0:
        return Start(False, "exited 0 without the --ready line", tuple(tail))
    return Start(False, f"exited {rc}", tuple(tail))


def _argv_of(info: ImageInfo) -> list[str]:
    return [*(info.entrypoint or []), *(info.cmd or [])]


class Docker(Engine):
    """docker (BuildKit or the classic builder); podman shares this with a few changes."""

    name = "docker"
    build_env: ClassVar[dict[str, str] | None] = {
        "BUILDKIT_PROGRESS": "plain"
    }  # one line per step, with CACHED marked

    @classmethod
    def probe(cls, binary: str) -> str | None:
        done = run_cmd([binary, "version", "--format", "{{.Server.Version}}"], timeout=PROBE_TIMEOUT)
        if done.rc is None:
            return f"its daemon did not answer within {PROBE_TIMEOUT:g} s"
        if done.rc != 0 or not done.output.strip():
            return f"no daemon answers ({_first_line(done.output)})"
        return None

    def build_argv(
        self,
        dockerfile: str,
        context: str,
        tag: str,
        no_cache: bool,
        target: str | None,
        ignorefile: str | None,
    ) -> list[str]:
        # BuildKit reads <Dockerfile>.dockerignore beside the Dockerfile by itself.
        argv = [self.binary, "build", "-t", tag, "-f", dockerfile]
        argv += ["--no-cache"] if no_cache else []
        argv += ["--target", target] if target else []
        return [*argv, context]

    def inspect(self, tag: str) -> ImageInfo:
        done = run_cmd([self.binary, "image", "inspect", tag], timeout=60)
        try:
            data = json.loads(done.output)[0]
        except (ValueError, IndexError, KeyError):
            return ImageInfo(None, None, "", None, None)
        config = data.get("Config") or {}
        layers = (data.get("RootFS") or {}).get("Layers")
        return ImageInfo(
            data.get("Size"),
            len(layers) if isinstance(layers, list) else None,
            config.get("User") or "",
            config.get("Entrypoint"),
            config.get("Cmd"),
        )

    def passwd(self, tag: str) -> tuple[str, str] | None:
        name = _fresh_name()
        # `create` makes a container without running anything in it.
        done = run_cmd([self.binary, "create", "--pull", "never", "--name", name, tag, "true"], timeout=60)
        if done.rc != 0:
            return None
        self.containers.append(name)
        try:
            texts = []
            for path in ("/etc/passwd", "/etc/group"):
                got = subprocess.run(
                    [self.binary, "cp", f"{name}:{path}", "-"], capture_output=True, timeout=60, check=False
                )
                texts.append(_from_tar(got.stdout) if got.returncode == 0 else "")
            return texts[0], texts[1]
        finally:
            if self.remove_container(name):
                self.containers.remove(name)

    def start(self, tag: str, info: ImageInfo, seconds: float, ready: re.Pattern[str] | None) -> Start:
        name = _fresh_name()
        self.containers.append(name)
        argv = [self.binary, "run", "--name", name, "--network", "none", "--pull", "never", tag]
        how, rc, tail = _watch(argv, seconds, ready)
        if how == "exited" and rc in (125, 127):
            # docker's own codes: it could not create or start the container at all.
            return Start(False, f"{self.name} could not start it (exit {rc})", tuple(tail))
        return _judge(how, rc, tail, seconds, ready)


class Podman(Docker):
    """podman: docker's commands, plus --layers (its default) and --ignorefile."""

    name = "podman"
    build_env = None
    settle_stages = True

    @classmethod
    def probe(cls, binary: str) -> str | None:
        done = run_cmd([binary, "info", "--format", "{{.Store.GraphRoot}}"], timeout=PROBE_TIMEOUT * 2)
        if done.rc is None:
            return f"`podman info` did not answer within {PROBE_TIMEOUT * 2:g} s"
        if done.rc != 0:
            return f"`podman info` failed ({_first_line(done.output)})"
        return None

    def build_argv(
        self,
        dockerfile: str,
        context: str,
        tag: str,
        no_cache: bool,
        target: str | None,
        ignorefile: str | None,
    ) -> list[str]:
        argv = [self.binary, "build", "--layers", "-t", tag, "-f", dockerfile]
        argv += ["--no-cache"] if no_cache else []
        argv += ["--target", target] if target else []
        argv += ["--ignorefile", ignorefile] if ignorefile else []
        return [*argv, context]


def _from_tar(data: bytes) -> str:
    import io

    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar:
                handle = tar.extractfile(member)
                if handle is not None:
                    return handle.read(1_000_000).decode("utf-8", "replace")
    except (tarfile.TarError, OSError):
        pass
    return ""


_UNITS = {"b": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4}


def parse_size(text: str) -> int | None:
    """Return the bytes of a size as buildah prints it (`2.15 MB`, `512 kB`), or None."""
    m = re.fullmatch(r"\s*([\d.]+)\s*([kKmMgGtT]?[bB])\s*", text or "")
    if not m:
        return None
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


class Buildah(Engine):
    """buildah: daemonless; layered builds, `from` + `run` to start an image."""

    name = "buildah"
    settle_stages = True

    def __init__(self, binary: str) -> None:
        super().__init__(binary)
        self.isolation = os.environ.get("BUILDAH_ISOLATION") or ("chroot" if os.geteuid() == 0 else "oci")

    @classmethod
    def probe(cls, binary: str) -> str | None:
        done = run_cmd([binary, "images", "--quiet"], timeout=PROBE_TIMEOUT * 2)
        if done.rc is None:
            return f"`buildah images` did not answer within {PROBE_TIMEOUT * 2:g} s"
        if done.rc != 0:
            return f"`buildah images` failed ({_first_line(done.output)})"
        return None

    def build_argv(
        self,
        dockerfile: str,
        context: str,
        tag: str,
        no_cache: bool,
        target: str | None,
        ignorefile: str | None,
    ) -> list[str]:
        argv = [self.binary, "build", "--isolation", self.isolation, "--layers", "-t", tag, "-f", dockerfile]
        argv += ["--no-cache"] if no_cache else []
        argv += ["--target", target] if target else []
        argv += ["--ignorefile", ignorefile] if ignorefile else []
        return [*argv, context]

    def inspect(self, tag: str) -> ImageInfo:
        done = run_cmd([self.binary, "inspect", "--type", "image", tag], timeout=60)
        try:
            data = json.loads(done.output)
            oci = data.get("OCIv1") or {}
            config = oci.get("config") or {}
            layers = (oci.get("rootfs") or {}).get("diff_ids")
        except (ValueError, AttributeError):
            return ImageInfo(None, None, "", None, None)
        listed = run_cmd([self.binary, "images", "--json", tag], timeout=60)
        size = None
        with contextlib.suppress(ValueError, IndexError, KeyError, AttributeError):
            size = parse_size(json.loads(listed.output)[0].get("size", ""))
        return ImageInfo(
            size,
            len(layers) if isinstance(layers, list) else None,
            config.get("User") or "",
            config.get("Entrypoint"),
            config.get("Cmd"),
        )

    def remove_container(self, name: str) -> bool:
        return run_cmd([self.binary, "rm", name], timeout=60).rc == 0

    def _container(self, tag: str) -> str | None:
        name = _fresh_name()
        done = run_cmd([self.binary, "from", "--pull=never", "--name", name, tag], timeout=120)
        if done.rc != 0:
            return None
        self.containers.append(name)
        return name

    def passwd(self, tag: str) -> tuple[str, str] | None:
        name = self._container(tag)
        if name is None:
            return None
        try:
            if os.geteuid() != 0:
                # Rootless, a mount is seen only inside buildah's user namespace.
                script = 'cat "$(buildah mount "$0")/etc/passwd"'
                done = run_cmd([self.binary, "unshare", "sh", "-c", script, name], timeout=60)
                return (done.output, "") if done.rc == 0 else None
            mounted = run_cmd([self.binary, "mount", name], timeout=60)
            root = (
                mounted.output.strip().splitlines()[-1] if mounted.rc == 0 and mounted.output.strip() else ""
            )
            if not root or not os.path.isdir(root):
                return None
            texts = []
            for rel in ("etc/passwd", "etc/group"):
                try:
                    with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as handle:
                        texts.append(handle.read(1_000_000))
                except OSError:
                    texts.append("")
            run_cmd([self.binary, "umount", name], timeout=60)
            return texts[0], texts[1]
        finally:
            if self.remove_container(name):
                self.containers.remove(name)

    def start(self, tag: str, info: ImageInfo, seconds: float, ready: re.Pattern[str] | None) -> Start:
        argv = _argv_of(info)
        if not argv:
            return Start(False, "no CMD or ENTRYPOINT to run", ())
        name = self._container(tag)
        if name is None:
            return Start(False, "`buildah from` failed", ())
        run = [self.binary, "run", "--isolation", self.isolation]
        if self.isolation == "chroot":
            # chroot isolation cannot make a network namespace: give it an empty one.
            unshare = shutil.which("unshare")
            if unshare is None or os.geteuid() != 0:
                return Start(
                    False, "cannot turn the network off (chroot isolation needs root and unshare)", ()
                )
            run = [unshare, "--net", *run]
        else:
            run += ["--network", "none"]
        how, rc, tail = _watch([*run, name, "--", *argv], seconds, ready)
        return _judge(how, rc, tail, seconds, ready)


ENGINE_CLASSES: dict[str, type[Engine]] = {"docker": Docker, "podman": Podman, "buildah": Buildah}


def find_engine(wanted: str | None) -> Engine:
    """Return the first engine that works (or the one asked for); raise ProveError naming
    every engine looked at and why each was passed over."""
    rejected = []
    for name in (wanted,) if wanted else ENGINES:
        binary = shutil.which(name)
        if binary is None:
            rejected.append(f"{name}: not on PATH")
            continue
        problem = ENGINE_CLASSES[name].probe(binary)
        if problem is None:
            return ENGINE_CLASSES[name](binary)
        rejected.append(f"{name}: {problem}")
    raise ProveError("no container engine works here: " + "; ".join(rejected))


# -- who the image runs as ------------------------------------------------------------


def runs_as(user: str, passwd: tuple[str, str] | None) -> str:
    """Return `name (uid N)` for the USER an image records ("" is root)."""
    name = (user or "root").split(":", 1)[0]
    if name.isdigit():
        found = _passwd_name(passwd[0], name) if passwd else None
        return f"{found} (uid {name})" if found else f"uid {name}"
    if name == "root":
        return "root (uid 0)"
    uid = _passwd_uid(passwd[0], name) if passwd else None
    return f"{name} (uid {uid if uid is not None else '?'})"


def _passwd_uid(text: str, name: str) -> str | None:
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) > 2 and parts[0] == name:
            return parts[2]
    return None


def _passwd_name(text: str, uid: str) -> str | None:
    for line in text.splitlines():
        parts = line.split(":")
        if len(parts) > 2 and parts[2] == uid:
            return parts[0]
    return None


# -- the proof ------------------------------------------------------------------------


class Side(NamedTuple):
    """What was measured for one of the two Dockerfiles."""

    built: bool
    cold: Build | None = None
    rebuild: Build | None = None
    info: ImageInfo | None = None
    user: str = ""
    start: Start | None = None

    def as_json(self) -> dict[str, object]:
        info = self.info
        return {
            "built": self.built,
            "size_bytes": info.size if info else None,
            "layers": info.layers if info else None,
            "cold_build_seconds": round(self.cold.seconds, 2) if self.cold else None,
            "rebuild_seconds": round(self.rebuild.seconds, 2) if self.rebuild and self.rebuild.ok else None,
            "rebuild_built": self.rebuild.ok if self.rebuild else None,
            "cached_steps": self.rebuild.cached if self.rebuild and self.rebuild.ok else None,
            "steps": self.rebuild.steps if self.rebuild and self.rebuild.ok else None,
            "user": self.user or None,
            "entrypoint": info.entrypoint if info else None,
            "cmd": info.cmd if info else None,
            "started": self.start.started if self.start else None,
            "start": self.start.how if self.start else None,
            "start_output": list(self.start.tail) if self.start else None,
        }


class Proof(NamedTuple):
    """The result of one run of `dffix prove`."""

    engine: str
    dockerfile: str
    diff: str
    touched: str | None
    original: Side
    fixed: Side
    worse: tuple[str, ...]
    verdict: str
    exit_code: int


def worse_things(orig: Side, fixed: Side, ran: bool) -> list[str]:
    """Return what the fix broke or made worse, beyond noise (empty: nothing)."""
    found = []
    if not fixed.built:
        return ["the fixed file does not build"]
    if fixed.rebuild is not None and not fixed.rebuild.ok:
        found.append("the fixed file does not rebuild after the touch")
    a, b = orig.info, fixed.info
    if a and b and a.size is not None and b.size is not None:
        allowed = max(SIZE_NOISE[0], int(a.size * SIZE_NOISE[1]))
        if b.size > a.size + allowed:
            found.append(f"the image is larger by {_size(b.size - a.size)}")
    ra, rb = orig.rebuild, fixed.rebuild
    if ra and rb and ra.ok and rb.ok:
        # Steps are counted, not timed: fewer cached steps is worse whatever the clock says.
        if rb.cached < ra.cached:
            lost = ra.cached - rb.cached
            found.append(f"the rebuild takes {lost} fewer step{'s' if lost > 1 else ''} from the cache")
        allowed_s = max(TIME_NOISE[0], ra.seconds * TIME_NOISE[1])
        if rb.seconds > ra.seconds + allowed_s:
            found.append(f"the rebuild is slower by {rb.seconds - ra.seconds:.1f} s")
    # When the original does not start either, starting proves nothing either way.
    if ran and fixed.start is not None and not fixed.start.started and not neither_starts(orig, fixed):
        found.append("the fixed image does not start")
    return found


def neither_starts(orig: Side, fixed: Side) -> bool:
    """Return whether both images were started and neither started."""
    return bool(orig.start and fixed.start and not orig.start.started and not fixed.start.started)


def better_things(orig: Side, fixed: Side) -> list[str]:
    """Return what the fix made better, beyond noise."""
    better = []
    a, b = orig.info, fixed.info
    if a and b and a.size and b.size and b.size < a.size - max(SIZE_NOISE[0], int(a.size * SIZE_NOISE[1])):
        better.append(f"{_size(a.size - b.size)} smaller")
    ra, rb = orig.rebuild, fixed.rebuild
    if ra and rb and ra.ok and rb.ok:
        gained = rb.cached - ra.cached
        if gained > 0:
            better.append(f"{gained} more cached step{'s' if gained > 1 else ''}")
        if ra.seconds > rb.seconds + max(TIME_NOISE[0], ra.seconds * TIME_NOISE[1]):
            better.append(f"rebuild {ra.seconds - rb.seconds:.1f} s faster")
    if orig.user != fixed.user and fixed.user:
        better.append(f"runs as {fixed.user}")
    return better


def _verdict(orig: Side, fixed: Side, worse: list[str]) -> str:
    if worse:
        return "FAIL: " + "; ".join(worse)
    better = better_things(orig, fixed)
    started = ", starts" if fixed.start else ""
    return f"OK: the fixed image builds{started} and nothing got worse" + (
        f" ({', '.join(better)})" if better else ""
    )


class _Interrupted(Exception):
    """SIGTERM, turned into an exception so that cleanup runs."""


def prove(args: ProveArgs, say: Callable[[str], None]) -> Proof:
    """Fix, build, touch, rebuild, (run), and compare; clean up whatever happens."""
    fixed_copy = fix_copy(args)
    shown = args.dockerfile
    from dffix.diff import unified_diff

    diff = unified_diff(fixed_copy.original, fixed_copy.fixed, shown)
    if fixed_copy.new_ignore is not None:
        lines = fixed_copy.new_ignore.splitlines(keepends=True)
        diff += f"--- /dev/null\n+++ b/.dockerignore\n@@ -0,0 +1,{len(lines)} @@\n" + "".join(
            "+" + line for line in lines
        )
    if not diff:
        raise _NothingToProve(shown)
    context = args.context or os.path.dirname(args.dockerfile) or "."
    if not os.path.isdir(context):
        raise ProveError(f"--context {context}: not a folder")
    engine = find_engine(args.engine)
    say(f"engine: {engine.name} ({engine.binary})")
    tmp = tempfile.mkdtemp(prefix="dffix-prove-")
    try:
        return _prove_in(args, engine, fixed_copy, diff, context, tmp, say)
    finally:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not stop cleanup
        try:
            left = engine.cleanup()
            shutil.rmtree(tmp, ignore_errors=True)
        finally:
            signal.signal(signal.SIGINT, previous)
        if left:
            say("could not remove: " + ", ".join(left))


class _NothingToProve(Exception):
    pass


def _prove_in(
    args: ProveArgs,
    engine: Engine,
    fc: FixedCopy,
    diff: str,
    context: str,
    tmp: str,
    say: Callable[[str], None],
) -> Proof:
    ctx = os.path.join(tmp, "context")
    say(f"copying the context {context}")
    try:
        shutil.copytree(context, ctx, symlinks=True)
    except (OSError, shutil.Error) as exc:
        raise ProveError(f"cannot copy the context {context}: {exc}") from None
    name = os.path.basename(args.dockerfile)
    own_ignore = os.path.join(os.path.dirname(args.dockerfile) or ".", name + ".dockerignore")
    files: dict[str, tuple[str, str | None]] = {}
    for which, text in (("original", fc.original), ("fixed", fc.fixed)):
        folder = os.path.join(tmp, which)
        os.mkdir(folder)
        path = os.path.join(folder, "Dockerfile")
        with open(path, "wb") as handle:
            handle.write(encode(text))  # the bytes dffix would write, BOM and CRLF kept
        ignore_file = os.path.join(folder, "Dockerfile.dockerignore")
        if which == "fixed" and fc.new_ignore is not None:
            with open(ignore_file, "w", encoding="utf-8") as handle:
                handle.write(fc.new_ignore)
        elif os.path.isfile(own_ignore):
            shutil.copyfile(own_ignore, ignore_file)
        files[which] = (path, ignore_file if os.path.isfile(ignore_file) else None)

    touched = _touch_target(args, fc, context, ctx, files["fixed"][1])
    if touched is None:
        say("no source file to touch: the build copies nothing from the context; no rebuild")
    tag = f"localhost/{_fresh_name()}"
    sides: dict[str, Side] = {}
    for which in ("original", "fixed"):
        path, ignore = files[which]
        sides[which] = _one_side(args, engine, which, path, ignore, ctx, touched, f"{tag}:{which}", say)
        # Each side's layers go before the other side builds, so neither rebuild can take
        # a step from the other's cache: each is measured as if it were alone.
        left = engine.cleanup()
        if left:
            say("could not remove: " + ", ".join(left))

    orig, fixed = sides["original"], sides["fixed"]
    worse = worse_things(orig, fixed, args.run is not None)
    verdict, code = _verdict(orig, fixed, worse), EXIT_WORSE if worse else EXIT_OK
    if not worse and neither_starts(orig, fixed):
        better = better_things(orig, fixed)
        verdict = (
            "CANNOT PROVE: the fixed image builds and nothing else got worse"
            + (f" ({', '.join(better)})" if better else "")
            + ", but the original does not start here either (network off), so starting proves nothing"
        )
        code = EXIT_CANNOT
    return Proof(engine.name, args.dockerfile, diff, touched, orig, fixed, tuple(worse), verdict, code)


def _touch_target(
    args: ProveArgs, fc: FixedCopy, context: str, ctx: str, ignorefile: str | None
) -> str | None:
    """Return the context file to touch (relative), as given by --touch or picked."""
    if args.touch is None:
        return pick_touch(fc.fixed, ctx, args.target, _ignore_text(ctx, ignorefile))
    given = args.touch
    if os.path.isabs(given) or not os.path.exists(os.path.join(context, given)):
        # A path from the working folder (or absolute) that points into the context.
        rel = os.path.relpath(os.path.abspath(given), os.path.abspath(context))
        given = given if rel.startswith(os.pardir) else rel
    rel = os.path.normpath(given)
    if rel.startswith(os.pardir) or os.path.isabs(rel) or not os.path.isfile(os.path.join(ctx, rel)):
        raise ProveError(f"--touch {args.touch}: not a file in the context {context}")
    return rel


def _one_side(
    args: ProveArgs,
    engine: Engine,
    which: str,
    path: str,
    ignore: str | None,
    ctx: str,
    touched: str | None,
    tag: str,
    say: Callable[[str], None],
) -> Side:
    """Build one Dockerfile cold, rebuild it after the touch, and start it with --run."""
    say(f"building the {which} file (cold, no cache)")
    cold = engine.build(path, ctx, tag, True, args.target, ignore)
    if not cold.ok:
        tail = "\n".join(cold.output.splitlines()[-TAIL_LINES:])
        say(f"the {which} build failed; its last lines:\n{tail}")
        if which == "original":
            raise ProveError(
                f"the original {args.dockerfile} does not build with {engine.name}:"
                f" {_first_line(cold.output)}"
            )
        return Side(False, cold)
    info = engine.inspect(tag)
    side = Side(True, cold, None, info, runs_as(info.user, engine.passwd(tag)))
    if touched is not None and engine.settle_stages and count_stages(cold.output) > 1:
        # See Engine.settle_stages: the cache a user's own builds would leave.
        say(f"building the {which} file again with the cache (untouched), as a user's build leaves it")
        warm = engine.build(path, ctx, tag + "-warm", False, args.target, ignore)
        if not warm.ok:
            say(f"the {which} build with the cache failed: {_first_line(warm.output)}")
    if touched is not None:
        say(f"rebuilding the {which} file after touching {touched}")
        full = os.path.join(ctx, touched)
        with open(full, "rb") as handle:
            before = handle.read()
        stat = os.stat(full)
        touch_file(full)
        try:
            rebuild = engine.build(path, ctx, tag + "-rebuild", False, args.target, ignore)
        finally:
            # Put the file back for the other side's cold build.
            with open(full, "wb") as handle:
                handle.write(before)
            os.utime(full, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        if not rebuild.ok:
            tail = "\n".join(rebuild.output.splitlines()[-TAIL_LINES:])
            say(f"the {which} rebuild failed; its last lines:\n{tail}")
        side = side._replace(rebuild=rebuild)
    if args.run is not None:
        say(f"starting the {which} image for up to {args.run:g} s (network off)")
        start = engine.start(tag, info, args.run, args.ready)
        if not start.started and start.tail:
            say(f"the {which} image did not start ({start.how}); its last lines:")
            for line in start.tail:
                say("  " + line)
        side = side._replace(start=start)
    return side


def _ignore_text(ctx: str, ignorefile: str | None) -> str | None:
    for path in (ignorefile, os.path.join(ctx, ".dockerignore")):
        if path and os.path.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
    return None


# -- output ---------------------------------------------------------------------------


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    for unit, scale in (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def _rows(proof: Proof) -> list[tuple[str, str, str]]:
    def cells(side: Side) -> dict[str, str]:
        info, cold, re_ = side.info, side.cold, side.rebuild
        if re_ is None:
            rebuild = cached = "-"
        elif not re_.ok:
            rebuild = cached = "failed"
        else:
            rebuild = f"{re_.seconds:.1f} s"
            cached = f"{re_.cached}" + (f" of {re_.steps}" if re_.steps else "")
        start = "-"
        if side.start is not None:
            start = ("yes" if side.start.started else "no") + f" ({side.start.how})"
        return {
            "built": "yes" if side.built else "no",
            "image size": _size(info.size) if info else "-",
            "layers": str(info.layers) if info and info.layers is not None else "-",
            "cold build": f"{cold.seconds:.1f} s" if cold else "-",
            "rebuild after touch": rebuild,
            "cached steps": cached,
            "runs as": side.user or "-",
            "entrypoint": json.dumps(info.entrypoint) if info and info.entrypoint else "-",
            "cmd": json.dumps(info.cmd) if info and info.cmd else "-",
            "starts": start,
        }

    a, b = cells(proof.original), cells(proof.fixed)
    return [(key, _cut(a[key]), _cut(b[key])) for key in a]


CELL = 44  # the widest a text-table cell gets (the JSON output has everything)


def _cut(cell: str) -> str:
    return cell if len(cell) <= CELL else cell[: CELL - 3] + "..."


def render_table(proof: Proof) -> str:
    """Return the text table and the verdict line."""
    rows = [("", "original", "fixed"), *_rows(proof)]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    lines = [f"{r[0]:<{w0}}  {r[1]:<{w1}}  {r[2]}".rstrip() for r in rows]
    head = f"engine: {proof.engine}; touched: {proof.touched or '-'}"
    return "\n".join([head, *lines, proof.verdict]) + "\n"


def render_json(proof: Proof) -> str:
    """Return the proof as one JSON object."""
    return (
        json.dumps(
            {
                "dockerfile": proof.dockerfile,
                "engine": proof.engine,
                "diff": proof.diff,
                "touched": proof.touched,
                "original": proof.original.as_json(),
                "fixed": proof.fixed.as_json(),
                "worse": list(proof.worse),
                "verdict": proof.verdict,
                "exit_code": proof.exit_code,
            },
            indent=2,
        )
        + "\n"
    )


def main(argv: Sequence[str]) -> int:
    """Run `dffix prove` with the arguments after `prove`; return the exit code."""
    if any(a in ("-h", "--help") for a in argv):
        sys.stdout.write(_parser().format_help())
        return EXIT_OK

    def say(line: str) -> None:
        sys.stdout.flush()
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def on_term(signum: int, frame: object) -> None:
        raise _Interrupted()

    as_json = False
    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        args = parse_args(argv)
        as_json = args.output_format == "json"
        proof = prove(args, say)
    except ProveError as exc:
        say(f"error: cannot prove: {exc}")
        if as_json:
            sys.stdout.write(json.dumps({"error": str(exc), "exit_code": EXIT_CANNOT}) + "\n")
        return EXIT_CANNOT
    except _NothingToProve as exc:
        say(f"nothing to prove: dffix makes no change to {exc} with these settings")
        if as_json:
            sys.stdout.write(
                json.dumps({"diff": "", "verdict": "nothing to fix", "exit_code": EXIT_OK}) + "\n"
            )
        return EXIT_OK
    except (KeyboardInterrupt, _Interrupted):
        say("interrupted; removed the images and containers made so far")
        return 130
    except Exception as exc:
        # A bug in dffix, never the user's: one line, after the cleanup in prove() ran.
        detail = next(iter(str(exc).splitlines()), "")[:200]
        say(f"error: dffix bug: {type(exc).__name__}: {detail}; please report it")
        return EXIT_CANNOT
    finally:
        signal.signal(signal.SIGTERM, previous)
    if as_json:
        sys.stdout.write(render_json(proof))
    else:
        sys.stdout.write(proof.diff)
        sys.stdout.write(render_table(proof))
    for line in proof.worse:
        say(f"worse: {line}")
    return proof.exit_code
