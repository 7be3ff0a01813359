"""DF502's patterns (Go, Python with compilers, Node) and the split of the stage in two.

The fix splits the stage in two: a `build` stage (the original instructions up to the
build) and a final stage that gets only what runs. Each pattern has its own guards;
whatever a pattern cannot prove it understands is reported with the reason and no fix.
`dffix.rules.multistage` (the rule, with its documentation) loads this module only for a
final stage built on a `golang`, `python` or `node` image, the only ones a pattern reads.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Iterator

from dffix.edits import Edit, Fix
from dffix.facts import BuildContext, Facts, Stage
from dffix.jsontext import loads
from dffix.lazy import lazy_re
from dffix.records import NamedTuple
from dffix.rules.apt import comments_above
from dffix.rules.base import Rule, Violation
from dffix.rules.deps.context import View
from dffix.rules.multistage import RUNTIME_LIBRARIES, runtime_library
from dffix.rules.practices import RunCommand, installed_packages, is_build_tool, is_windows, simple_commands
from dffix.rules.runtime import env_pairs
from dffix.syntax.tree import Dockerfile, Instruction, Span

# Instructions that only set what the image is (not what is in it): the final stage repeats
# the ones before the build and keeps the ones after it.
_METADATA = frozenset(
    {"ENV", "ARG", "LABEL", "EXPOSE", "WORKDIR", "USER", "STOPSIGNAL", "HEALTHCHECK", "VOLUME"}
    | {"CMD", "ENTRYPOINT", "MAINTAINER"}
)
_CODENAME_RE = lazy_re(r"(?:^|-)(buster|bullseye|bookworm|trixie)(?:-|$)")
_DEFAULT_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
_MAX_WALK = 5000  # context entries looked at, at most

# -- the shape both patterns share -------------------------------------------------


Splitter = Callable[["Dockerfile", "Facts", "Stage", str, "str | None"], "Split | str"]


class Split(NamedTuple):
    """Where a stage is split and what the new final stage starts with."""

    build: Instruction  # the last instruction of the build stage
    header: tuple[str, ...]  # the final stage's first lines (FROM ...), without newlines
    extra: tuple[Edit, ...] = ()  # edits inside the build stage


def stage_names(stage: Stage) -> tuple[str, str | None]:
    """Return a name for the build stage that the file does not use, and the stage's own."""
    own = stage.name
    for name in ("build", "builder", "build-stage"):
        if name != own:
            return name, own
    raise AssertionError("unreachable")


def name_edit(df: Dockerfile, stage: Stage, build_name: str) -> Edit | str:
    """Return the edit naming the stage's FROM `build_name`, or why it cannot be made."""
    head = stage.from_instr
    if len(head.lines) != 1:
        return "the `FROM` spans several lines"
    values = head.values
    if len(values) == 1:
        return Edit.insert(head.args_span.end, f" AS {build_name}")
    if len(values) == 3 and values[1].lower() == "as":
        raw = df.text[head.args_span.start : head.args_span.end]
        at = raw.rstrip().rfind(" ")
        tab = raw.rstrip().rfind("\t")
        at = max(at, tab) + 1
        return Edit(head.args_span.start + at, head.args_span.start + len(raw.rstrip()), build_name)
    return "the `FROM` line is not `FROM image [AS name]`"


def from_line(df: Dockerfile, stage: Stage, image: str, own: str | None) -> str:
    """Return the final stage's FROM line: the same flags (`--platform`), a new image."""
    flags = "".join(df.text[f.span.start : f.span.end] + " " for f in stage.from_instr.flags)
    keyword = stage.from_instr.keyword
    return f"{keyword} {flags}{image}" + (f" AS {own}" if own else "")


def instr_text(df: Dockerfile, instr: Instruction) -> str:
    """Return an instruction's source text without its last newline."""
    return df.text[instr.span.start : instr.span.end].rstrip("\r\n")


def split_fix(df: Dockerfile, stage: Stage, split: Split, name_fix: Edit) -> Fix:
    """Return the fix: name the build stage and open the final stage after `split.build`."""
    nl = df.newline
    text = nl + nl.join(split.header) + nl
    return Fix.unsafe(name_fix, *split.extra, Edit.insert(split.build.span.end, text))


def common_refusal(df: Dockerfile, facts: Facts, stage: Stage) -> str | None:
    """Return why no stage of this file can be split, or None."""
    if len(facts.stages) > 1:
        return f"the file already has {len(facts.stages)} stages"
    if is_windows(facts, stage):
        return "a Windows image: the small final images are Linux ones"
    kinds = stage.kinds
    if "ONBUILD" in kinds:
        return "`ONBUILD` makes the image a base for other builds"
    if "SHELL" in kinds:
        return "a `SHELL` instruction may not hold in the final stage"
    return None


def workdirs(stage: Stage) -> dict[int, str | None]:
    """Return the absolute WORKDIR in force at each instruction (by start offset).

    None when a WORKDIR uses a variable: the folder cannot be read from the file.
    """
    cwd: str | None = "/"
    found: dict[int, str | None] = {}
    for instr in stage.instructions:
        if instr.kind == "WORKDIR" and instr.values:
            path = instr.values[0]
            cwd = None if cwd is None or "$" in path else posixpath.normpath(posixpath.join(cwd, path))
        found[instr.span.start] = cwd
    return found


def user_refusal(stage: Stage) -> str | None:
    """Return why the final stage could not run as the stage's USER, or None."""
    for instr in stage.instructions:
        if instr.kind == "USER" and instr.values:
            user = instr.values[0].split(":", 1)[0]
            if user not in ("root", "0") and not user.isdigit():
                return f"`USER {user}` names a user this stage creates; the final stage would not have it"
        if instr.kind in ("COPY", "ADD") and (chown := instr.flag("chown")) and chown.value:
            owner = chown.value.split(":", 1)[0]
            if not owner.isdigit() and owner not in ("root", "0"):
                return f"`--chown={chown.value}` names a user the final stage would not have"
    return None


def carried(df: Dockerfile, stage: Stage, until: Instruction) -> tuple[str, ...]:
    """Return the metadata instructions before `until`, as text, for the final stage."""
    return tuple(
        instr_text(df, i)
        for i in stage.instructions
        if i.span.start < until.span.start and i.kind in _METADATA and i.kind not in ("CMD", "ENTRYPOINT")
    ) + tuple(
        instr_text(df, i)
        for i in stage.instructions
        if i.span.start < until.span.start and i.kind in ("CMD", "ENTRYPOINT")
    )


def later_refusal(stage: Stage, split: Instruction, tools: str) -> str | None:
    """Return why the instructions after the split cannot go to the final stage, or None."""
    for instr in stage.instructions:
        if instr.span.start <= split.span.start:
            continue
        if instr.kind == "RUN":
            line = instr.start_line
            return f"the `RUN` on line {line} runs after the build, in a final stage without {tools}"
        if instr.kind in ("COPY", "ADD") and instr.flag("from"):
            return f"the `{instr.kind}` on line {instr.start_line} copies from another image"
        if instr.kind not in _METADATA | {"COPY", "ADD"}:
            return f"dffix does not know how `{instr.kind}` on line {instr.start_line} fits the final stage"
    return None


def program(instr: Instruction | None) -> str | None:
    """Return the program a CMD/ENTRYPOINT/HEALTHCHECK runs (its first word), or None."""
    if instr is None:
        return None
    values = instr.values
    if instr.kind == "HEALTHCHECK":
        if not values or values[0].upper() != "CMD":
            return None
        values = values[1:]
    if instr.is_json:
        return values[0] if values else None
    words = instr.args.split()
    if instr.kind == "HEALTHCHECK":
        words = [x for x in words if not x.startswith("--")][1:]
    return words[0] if words else None


def last_of(stage: Stage, kind: str) -> Instruction | None:
    """Return the last instruction of `kind` in the stage, or None."""
    found = [i for i in stage.instructions if i.kind == kind]
    return found[-1] if found else None


def context_files(context: BuildContext, top: str) -> Iterator[str]:
    """Yield the files under `top` in the context (relative to the context), bounded."""
    root = os.fspath(context.root)
    start = os.path.normpath(os.path.join(root, top))
    if os.path.isfile(start):
        yield os.path.relpath(start, root)
        return
    seen = 0
    for dirpath, dirnames, filenames in os.walk(start):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in sorted(filenames):
            seen += 1
            if seen > _MAX_WALK:
                raise OverflowError(top)
            yield os.path.relpath(os.path.join(dirpath, name), root).replace(os.sep, "/")


# -- pattern 1: Go ------------------------------------------------------------------

_GO_SOURCE = lazy_re(r"(\.go|^go\.(mod|sum|work|work\.sum))$")
# Context files no running program reads: the build recipe, VCS and project docs.
_NOT_RUNTIME = lazy_re(
    r"^(\.git|\.github|\.gitignore|\.dockerignore|\.gitattributes|Dockerfile[^/]*|[^/]*\.dockerignore"
    r"|Makefile|LICEN[CS]E[^/]*|[^/]*\.md|docker-compose[^/]*|compose[^/]*\.ya?ml|vendor)(/|$)"
    r"|(^|/)testdata(/|$)"
)
_CGO_IMPORT = lazy_re(r'^\s*import\s+(?:\(\s*)?"C"', re.MULTILINE)
# Modules that always need cgo: a binary using them is never static.
_CGO_MODULES = ("github.com/mattn/go-sqlite3", "github.com/confluentinc/confluent-kafka-go")
_GO_BUILD_VALUE_FLAGS = frozenset(
    {"-o", "-ldflags", "-gcflags", "-asmflags", "-tags", "-mod", "-modfile", "-p", "-installsuffix"}
    | {"-buildvcs", "-pgo", "-overlay", "-pkgdir", "-toolexec", "-compiler", "-gccgoflags", "-buildmode"}
)


class GoBuild(NamedTuple):
    """A `go build -o X` or `go install` command and the binary it writes."""

    instr: Instruction
    command: RunCommand
    output: str  # absolute path of the binary in the build stage


def go_commands(stage: Stage) -> list[tuple[Instruction, RunCommand]]:
    """Return the `go build`/`go install` commands of the stage's RUNs."""
    found = []
    for instr in stage.instructions:
        if instr.kind != "RUN":
            continue
        for cmd in simple_commands(instr):
            if len(cmd.argv) >= 2 and cmd.argv[0] == "go" and cmd.argv[1] in ("build", "install"):
                found.append((instr, cmd))
    return found


def go_output(argv: tuple[str, ...], cwd: str | None) -> str:
    """Return the absolute path of the binary a go build/install writes, or why it cannot be read."""
    out: str | None = None
    targets: list[str] = []
    i = 2
    while i < len(argv):
        word = argv[i]
        if word.startswith("-"):
            flag, eq, value = word.lstrip("-").partition("=")
            flag = "-" + flag
            if flag in _GO_BUILD_VALUE_FLAGS and not eq:
                value = argv[i + 1] if i + 1 < len(argv) else ""
                i += 1
            if flag == "-o":
                out = value
            elif flag in ("-race", "-msan", "-asan", "-buildmode"):
                return f"`{flag}` needs cgo and a C library in the final stage"
        else:
            targets.append(word)
        i += 1
    if argv[1] == "install":
        if len(targets) != 1 or targets[0] in (".", "./...") or targets[0].endswith("..."):
            return "the binary `go install` writes is named by the module, which the file does not show"
        name = targets[0].split("@", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        return f"/go/bin/{name}" if name and name not in (".", "..") else "no binary name"
    if not out:
        return "`go build` without `-o`: the binary's path cannot be read from the file"
    if "$" in out or out.endswith("/"):
        return f"the binary's path `{out}` cannot be read from the file"
    if not out.startswith("/"):
        if cwd is None:
            return "the `WORKDIR` of the build uses a variable"
        out = posixpath.join(cwd, out)
    return posixpath.normpath(out)


def find_go_build(stage: Stage) -> GoBuild | str | None:
    """Return the stage's one Go build, why it is not usable, or None when there is none."""
    found = go_commands(stage)
    if not found:
        return None
    if len(found) > 1:
        return "several `go build`/`go install` commands: dffix cannot tell which binary runs"
    instr, cmd = found[0]
    cwd = workdirs(stage).get(instr.span.start)
    if any(c.argv[:1] == ("cd",) for c in simple_commands(instr)):
        cwd = None
    output = go_output(cmd.argv, cwd)
    if not output.startswith("/"):
        return output
    return GoBuild(instr, cmd, output)


def env_value(stage: Stage, name: str, before: Instruction) -> str | None:
    """Return the value an ENV of the stage gives `name` before `before`, or None."""
    value = None
    for instr in stage.instructions:
        if instr.span.start >= before.span.start:
            break
        if instr.kind == "ENV":
            for key, val in env_pairs(instr):
                if key == name:
                    value = val
    return value


class Cgo(NamedTuple):
    """Whether the Go binary is static, and the edit that makes it so when needed."""

    static: bool
    edit: Edit | None = None


def go_cgo(df: Dockerfile, facts: Facts, stage: Stage, build: GoBuild) -> Cgo:
    """Return whether the binary is static: `CGO_ENABLED=0`, or no cgo in the visible context.

    With cgo left on, Go links `net` and `os/user` against the C library even in a program
    without cgo imports; a program that does not use cgo is built the same with
    `CGO_ENABLED=0` set on its build command, and is then static.
    """
    raw = df.text[build.command.span.start : build.command.span.end]
    prefix = re.match(r"((?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*)", raw)
    inline = re.search(r"(?:^|\s)CGO_ENABLED=(\S*)", prefix.group(1) if prefix else "")
    value = inline.group(1).strip("\"'") if inline else env_value(stage, "CGO_ENABLED", build.instr)
    script = df.text[build.instr.span.start : build.command.span.start]
    exported = re.search(r"export\s+CGO_ENABLED=(\S+)", script)
    if exported:
        value = exported.group(1).strip("\"';&")
    if value is not None:
        return Cgo(value == "0")
    # An exec-form RUN has no place for a `NAME=value` prefix.
    if build.instr.is_json or facts.context is None or _uses_cgo(facts.context):
        return Cgo(False)
    return Cgo(True, Edit.insert(build.command.span.start, "CGO_ENABLED=0 "))


def _uses_cgo(context: BuildContext) -> bool:
    """Return whether the context's Go code may use cgo: a Go file imports "C", go.mod needs a
    cgo module, or no Go file is there to read."""
    gomod = context.read_text("go.mod") or ""
    if any(m in gomod for m in _CGO_MODULES):
        return True
    seen = False
    try:
        for rel in context_files(context, "."):
            if rel.endswith(".go"):
                seen = True
                if _CGO_IMPORT.search(context.read_text(rel, 200_000) or ""):
                    return True
    except OverflowError:
        return True
    return not seen  # no Go source in sight: the context is not the one the build sees


def runtime_copies(facts: Facts, stage: Stage, build: GoBuild) -> list[str] | str:
    """Return the paths (in the image) of the context files the app may read, or why not known.

    A COPY before the build of only Go sources needs nothing. Otherwise the build context
    is looked at: every top-level entry the COPY brings that holds a file other than Go
    source, docs or the build recipe is copied to the final stage, at the same path.
    """
    cwd = workdirs(stage)
    paths: list[str] = []
    view = View.of(facts.context)
    for instr in stage.instructions:
        if instr.span.start >= build.instr.span.start or instr.kind not in ("COPY", "ADD"):
            continue
        if instr.heredocs or len(instr.values) < 2:
            return f"the `{instr.kind}` on line {instr.start_line} cannot be read"
        *sources, dest = instr.values
        if all(_GO_SOURCE.search(s.rsplit("/", 1)[-1]) for s in sources):
            continue
        where = cwd.get(instr.span.start)
        if where is None or "$" in dest:
            return f"the destination of the `{instr.kind}` on line {instr.start_line} cannot be read"
        dest_abs = posixpath.normpath(posixpath.join(where, dest))
        if facts.context is None:
            return f"the build context is not visible: what `{instr.kind}` brings besides Go code is unknown"
        for source in sources:
            found = _runtime_entries(facts.context, view, source)
            if isinstance(found, str):
                return found
            into_dir = dest.endswith("/") or len(sources) > 1
            for entry in found:
                if entry == ".":  # the source is a file: where COPY put it
                    paths.append(
                        posixpath.join(dest_abs, posixpath.basename(source)) if into_dir else dest_abs
                    )
                else:
                    paths.append(posixpath.join(dest_abs, entry))
    return sorted(dict.fromkeys(paths))


def _runtime_entries(context: BuildContext, view: View, source: str) -> list[str] | str:
    """Return the entries below `source` (relative to it) holding non-Go files, or why not."""
    if any(c in source for c in "*?[") or "$" in source or source.startswith(("http://", "https://")):
        return f"the source `{source}` cannot be followed"
    base = posixpath.normpath(source.lstrip("/")) or "."
    entries: list[str] = []
    try:
        for rel in context_files(context, base):
            parts = tuple(rel.split("/"))
            if view.ignored(parts):
                continue
            inner = rel if base == "." else posixpath.relpath(rel, base)
            if _GO_SOURCE.search(rel.rsplit("/", 1)[-1]) or _NOT_RUNTIME.search(
                rel if inner == "." else inner
            ):
                continue
            entries.append("." if inner == "." else inner.split("/", 1)[0])
    except OverflowError:
        return f"`{source}` holds more than {_MAX_WALK} files"
    return sorted(dict.fromkeys(entries))


def runs_binary(stage: Stage, output: str, static: bool) -> str | None:
    """Return why the stage's CMD/ENTRYPOINT/HEALTHCHECK does not run only the binary, or None."""
    start = last_of(stage, "ENTRYPOINT") or last_of(stage, "CMD")
    name = program(start)
    cwd = workdirs(stage).get(start.span.start) if start else None
    if start is None or name is None:
        return "the stage has no `CMD` or `ENTRYPOINT` that runs the binary"
    if static and not start.is_json:
        return f"the shell-form `{start.kind}` needs `/bin/sh`, which a static image does not have"
    if not _is_binary(name, output, cwd):
        return f"the `{start.kind}` runs `{name}`, not the binary `{output}`"
    check = last_of(stage, "HEALTHCHECK")
    if check is not None and check.values and check.values[0].upper() != "NONE":
        probe = program(check)
        if probe is None or not _is_binary(probe, output, cwd) or (static and not check.is_json):
            return f"the `HEALTHCHECK` runs `{probe}`, which the final stage would not have"
    return None


def _is_binary(word: str, output: str, cwd: str | None) -> bool:
    if "/" not in word:
        return posixpath.basename(output) == word and (
            posixpath.dirname(output) in _DEFAULT_PATH or output.startswith("/go/bin/")
        )
    if not word.startswith("/"):
        return cwd is not None and posixpath.normpath(posixpath.join(cwd, word)) == output
    return posixpath.normpath(word) == output


# Commands a RUN before the Go build may run: they fetch or check code and tools for the
# build. Anything else may write files the program reads, which the final stage would miss.
_GO_PREP = frozenset({"go", "apt-get", "apt", "apk", "git", "cd", "export", "set", "true", "echo"})


def go_earlier_refusal(stage: Stage, build: GoBuild) -> str | None:
    """Return why what runs before the build may matter to the final stage, or None."""
    for name in ("GOBIN", "GOPATH"):
        if env_value(stage, name, build.instr) is not None:
            return f"the stage sets `{name}`, which moves the binary `go install` writes"
    for instr in stage.instructions:
        if instr.span.start >= build.instr.span.start:
            break
        if instr.kind != "RUN":
            continue
        for cmd in simple_commands(instr):
            name = cmd.argv[0] if cmd.argv else "?"
            if instr.heredocs or (name not in _GO_PREP and not _cleans_apt(cmd.argv)):
                line = instr.start_line
                return f"the `RUN` on line {line} runs `{name}`, which may write files the program needs"
    return None


def _cleans_apt(argv: tuple[str, ...]) -> bool:
    return argv[:2] in (("rm", "-rf"), ("rm", "-fr")) and all(
        a.startswith(("/var/lib/apt/lists", "/var/cache/apt", "/tmp")) for a in argv[2:]
    )


def go_final_base(stage: Stage, static: bool) -> str:
    """Return the final stage's image: distroless static, else the same Debian release, slim."""
    if static:
        return "gcr.io/distroless/static-debian12"
    tag = stage.base_tag or ""
    if "alpine" in tag:
        return "no fix: the binary links musl (an Alpine build); dffix only moves glibc builds"
    m = _CODENAME_RE.search(tag)
    if m is None:
        return (
            f"no fix: the binary may use cgo, and the Debian release of `{stage.base}` "
            "is not in its tag (the final image needs the same C library)"
        )
    return f"debian:{m.group(1)}-slim"


def go_split(df: Dockerfile, facts: Facts, stage: Stage, build_name: str, own: str | None) -> Split | str:
    """Return how the Go stage is split, or why it cannot be."""
    build = find_go_build(stage)
    assert build is not None
    if isinstance(build, str):
        return build
    if (why := later_refusal(stage, build.instr, "the Go toolchain")) is not None:
        return why
    if (why := go_earlier_refusal(stage, build)) is not None:
        return why
    if (why := user_refusal(stage)) is not None:
        return why
    cgo = go_cgo(df, facts, stage, build)
    if (why := runs_binary(stage, build.output, cgo.static)) is not None:
        return why
    base = go_final_base(stage, cgo.static)
    if base.startswith("no fix: "):
        return base.removeprefix("no fix: ")
    files = runtime_copies(facts, stage, build)
    if isinstance(files, str):
        return files
    start = last_of(stage, "ENTRYPOINT") or last_of(stage, "CMD")
    target = build.output
    if start is not None and "/" not in (program(start) or "") and build.output.startswith("/go/bin/"):
        target = "/usr/local/bin/" + posixpath.basename(build.output)  # on the final PATH
    header = [from_line(df, stage, base, own), *carried(df, stage, build.instr)]
    if not cgo.static:
        header.append(f"COPY --from={build_name} /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/")
        header.append(f"COPY --from={build_name} /usr/share/zoneinfo /usr/share/zoneinfo")
    header.append(f"COPY --from={build_name} {build.output} {target}")
    header.extend(f"COPY --from={build_name} {p} {p}" for p in files)
    extra = (cgo.edit,) if cgo.edit else ()
    return Split(build.instr, tuple(header), extra)


# -- pattern 2: Python with compilers ----------------------------------------------

_APT = frozenset({"apt-get", "apt"})
_VENV = "/opt/venv"
_PIP = frozenset({"pip", "pip3"})
_PIP_NOT_VENV = frozenset({"--user", "--target", "-t", "--prefix", "--root", "-e", "--editable", "--system"})


def pip_install(cmd: RunCommand) -> bool:
    """Return whether a command is `pip install ...` or `python -m pip install ...`."""
    argv = cmd.argv
    if argv[:1] and argv[0] in _PIP:
        return argv[1:2] == ("install",)
    if argv[:1] and re.fullmatch(r"python[0-9.]*", argv[0]):
        return argv[1:4] == ("-m", "pip", "install")
    return False


def pip_runs(stage: Stage) -> list[Instruction]:
    """Return the stage's RUNs that run `pip install`."""
    return [i for i in stage.instructions if i.kind == "RUN" and any(map(pip_install, simple_commands(i)))]


class AptRun(NamedTuple):
    """The RUN installing the build tools: its packages and whether it skips recommends."""

    instr: Instruction
    packages: tuple[str, ...]
    no_recommends: bool


def apt_build_run(stage: Stage) -> AptRun | str | None:
    """Return the one apt RUN that installs build tools, why it cannot move, or None."""
    found: list[AptRun] = []
    for instr in stage.instructions:
        if instr.kind != "RUN":
            continue
        cmds = simple_commands(instr)
        for cmd in cmds:
            packages = installed_packages(cmd.argv)
            if packages and any(is_build_tool(p) for p in packages) and cmd.argv[0] in _APT:
                found.append(AptRun(instr, tuple(packages), "--no-install-recommends" in cmd.argv))
    if not found:
        return None
    if len(found) > 1:
        return "build tools are installed by several commands"
    apt = found[0]
    for cmd in simple_commands(apt.instr):
        if not _apt_housekeeping(cmd.argv):
            return f"the `RUN` on line {apt.instr.start_line} also runs `{' '.join(cmd.argv[:2])}`"
    return apt


def _apt_housekeeping(argv: tuple[str, ...]) -> bool:
    """Return whether a command only updates, installs, cleans apt or removes its lists."""
    if argv[:1] and argv[0] in _APT:
        words = [a for a in argv[1:] if not a.startswith("-")]
        return bool(words) and words[0] in ("update", "install", "clean", "autoclean")
    return _cleans_apt(argv)


_COMPILERS = frozenset({"gcc", "g++", "cc", "c++", "clang", "make", "cmake", "ld", "cargo", "rustc", "go"})


def compiles(instr: Instruction) -> str | None:
    """Return the build tool a RUN uses (a compiler, `pip install`, `setup.py`), or None.

    A RUN whose commands cannot be read gives `?`: it may use them.
    """
    if instr.heredocs:
        return "a heredoc script"
    for cmd in simple_commands(instr):
        argv = cmd.argv
        if not argv:
            continue
        if argv[0] in _COMPILERS or pip_install(cmd) or "setup.py" in argv:
            return " ".join(argv[:2]) if pip_install(cmd) or "setup.py" in argv[1:2] else argv[0]
        packages = installed_packages(argv)
        if packages and any(is_build_tool(p) for p in packages):
            return " ".join(argv[:2])
    return None


def python_release(stage: Stage) -> str | None:
    """Return the Debian release of a python image, from its tag, or None."""
    m = _CODENAME_RE.search(stage.base_tag or "")
    return m.group(1) if m else None


_OLD_PYTHON_RE = lazy_re(r"^(2(\.|-|$)|3\.[0-7](\.|-|$))|jessie|stretch|wheezy")


def old_release_refusal(stage: Stage) -> str | None:
    """Return why the table cannot name the runtime packages of the image's release, or None."""
    if _OLD_PYTHON_RE.search(stage.base_tag or ""):
        return (
            f"`{stage.base}` is built on a Debian release older than buster, which the table does not cover"
        )
    return None


def python_split(df: Dockerfile, facts: Facts, stage: Stage, build_name: str, own: str | None) -> Split | str:
    """Return how the Python stage is split, or why it cannot be."""
    apt = apt_build_run(stage)
    assert isinstance(apt, AptRun)
    pips = pip_runs(stage)
    last = pips[-1]
    if last.span.start < apt.instr.span.start:
        return "the `pip install` runs before the build tools are installed"
    for instr in stage.instructions:
        if instr.kind in ("COPY", "ADD") and (instr.flag("from") or instr.heredocs):
            return f"the `{instr.kind}` on line {instr.start_line} cannot be repeated in the final stage"
        if instr.kind != "RUN" or instr is apt.instr or instr in pips:
            continue
        if (tool := compiles(instr)) is not None:
            when = "before" if instr.span.start < last.span.start else "after"
            return f"the `RUN` on line {instr.start_line} runs `{tool}` {when} the install"
    for instr in pips:
        for cmd in simple_commands(instr):
            if not pip_install(cmd) and cmd.argv[:1] != ("pip",):
                return f"the `RUN` on line {instr.start_line} also runs `{cmd.argv[0]}`"
            if any(a.split("=", 1)[0] in _PIP_NOT_VENV for a in cmd.argv):
                return f"the `pip install` on line {instr.start_line} installs outside a virtualenv"
    if any(i.kind == "ENV" and re.search(r"\bPATH\b|VIRTUAL_ENV", i.args) for i in stage.instructions):
        return "the stage sets `PATH` or `VIRTUAL_ENV` itself"
    for i in stage.instructions:
        if i.kind in ("CMD", "ENTRYPOINT", "HEALTHCHECK") and re.search(r"/usr/(local/)?bin/python", i.args):
            return f"the `{i.kind}` names the system python, which would not see the virtualenv"
    if (why := old_release_refusal(stage)) is not None and any(p.endswith("-dev") for p in apt.packages):
        return why
    runtime = runtime_packages(apt, python_release(stage))
    if isinstance(runtime, str):
        return runtime
    final = python_final(df, stage, apt, pips, runtime, build_name, own)
    return Split(last, tuple(final), venv_edits(df, pips))


def runtime_packages(apt: AptRun, release: str | None) -> tuple[str, ...] | str:
    """Return the packages the final stage installs instead of the build tools, or why not."""
    kept: list[str] = []
    for package in apt.packages:
        if package.startswith("$"):
            return f"the package `{package}` is given by a variable"
        if not is_build_tool(package):
            kept.append(package)
            continue
        if not re.split(r"[=:]", package, maxsplit=1)[0].endswith(("-dev", "-devel")):
            continue  # a compiler or make: only the build needs it
        lib = runtime_library(package, release)
        if lib is None and package.split("=", 1)[0].lower() in RUNTIME_LIBRARIES:
            return f"the runtime package of `{package}` depends on the Debian release; the tag names none"
        if lib is None:
            return f"no runtime package is known for `{package}` (see the table in the rule's docs)"
        if lib:
            kept.append(lib)
    return tuple(dict.fromkeys(kept))


def venv_edits(df: Dockerfile, pips: list[Instruction]) -> tuple[Edit, ...]:
    """Return the edit creating the virtualenv before the first `pip install` of the build stage."""
    first = pips[0]
    nl = df.newline
    text = f'RUN python -m venv {_VENV}{nl}ENV PATH="{_VENV}/bin:$PATH"{nl}'
    return (Edit.insert(comments_above(df, first), text),)  # the install's comments stay on it


def python_final(
    df: Dockerfile,
    stage: Stage,
    apt: AptRun,
    pips: list[Instruction],
    runtime: tuple[str, ...],
    build_name: str,
    own: str | None,
) -> list[str]:
    """Return the final stage's lines before the instructions after the install."""
    lines = [from_line(df, stage, stage.base, own)]
    last = pips[-1]
    for instr in stage.instructions:
        if instr.span.start >= last.span.start:
            break
        if instr is apt.instr:
            if runtime:
                flags = " --no-install-recommends" if apt.no_recommends else ""
                esc, nl = df.escape, df.newline
                install = f"apt-get install -y{flags} {' '.join(runtime)}"
                clean = "rm -rf /var/lib/apt/lists/*"
                lines.append(f"RUN apt-get update {esc}{nl}    && {install} {esc}{nl}    && {clean}")
        elif instr not in pips:
            lines.append(instr_text(df, instr))
    lines.append(f"COPY --from={build_name} {_VENV} {_VENV}")
    lines.append(f'ENV PATH="{_VENV}/bin:$PATH"')
    return lines


# -- pattern 3: Node with a build step ---------------------------------------------

_NODE_MANAGERS = frozenset({"npm", "yarn", "pnpm"})


class NodeStep(NamedTuple):
    """A RUN of the Node pattern: the dependencies install or the build."""

    instr: Instruction
    command: RunCommand


def node_install(argv: tuple[str, ...]) -> bool:
    """Return whether a command installs a project's dependencies (`npm ci`, `yarn`, ...)."""
    if not argv or argv[0] not in _NODE_MANAGERS:
        return False
    words = [a for a in argv[1:] if not a.startswith("-")]
    if argv[0] == "npm":
        return bool(words) and words[0] in ("ci", "install", "i") and len(words) == 1
    if argv[0] == "yarn":
        return not words or words == ["install"]
    return words in (["install"], ["i"])


def node_build(argv: tuple[str, ...]) -> bool:
    """Return whether a command runs the project's build script (`npm run build`, `yarn build`)."""
    if not argv or argv[0] not in _NODE_MANAGERS:
        return False
    words = [a for a in argv[1:] if not a.startswith("-")]
    if words[:1] in (["run"], ["run-script"]):
        words = words[1:]
    elif argv[0] == "npm":
        return False
    return bool(words) and words[0].startswith("build")


def node_steps(stage: Stage) -> tuple[list[NodeStep], list[NodeStep]]:
    """Return the stage's dependency installs and builds."""
    installs: list[NodeStep] = []
    builds: list[NodeStep] = []
    for instr in stage.instructions:
        if instr.kind != "RUN":
            continue
        for cmd in simple_commands(instr):
            if node_install(cmd.argv):
                installs.append(NodeStep(instr, cmd))
            elif node_build(cmd.argv):
                builds.append(NodeStep(instr, cmd))
    return installs, builds


def production_flag(stage: Stage, manager: str) -> str:
    """Return the install flag that leaves out the dev dependencies."""
    if manager == "yarn":
        return "--production"
    if manager == "pnpm":
        return "--prod"
    major = re.match(r"(\d+)", stage.base_tag or "")
    return "--production" if major and int(major.group(1)) < 16 else "--omit=dev"  # npm 6 has no --omit


def build_output(facts: Facts, stage: Stage) -> str | tuple[str] | None:
    """Return the folder (relative to the WORKDIR) the started program lives in.

    Read from `CMD`/`ENTRYPOINT` (`node dist/server.js`), or from the `start` script of a
    visible package.json when they run `npm start`. None when it cannot be read; a
    one-tuple holding the reason when the program is not a built file.
    """
    start = last_of(stage, "ENTRYPOINT") or last_of(stage, "CMD")
    if start is None:
        return None
    words = list(start.values) if start.is_json else start.args.split()
    if words[:2] in (["npm", "start"], ["npm", "run"], ["yarn", "start"], ["pnpm", "start"]):
        if words[:2] == ["npm", "run"] and words[2:3] != ["start"]:
            return None
        script = _start_script(facts.context)
        if script is None:
            return None
        words = script.split()
    if not words or words[0] != "node":
        return None
    path = next((w for w in words[1:] if not w.startswith("-")), None)
    if path is None:
        return None
    path = posixpath.normpath(path)
    if path.startswith("/"):
        cwd = workdirs(stage).get(start.span.start)
        if cwd is None or not path.startswith(cwd.rstrip("/") + "/"):
            return None
        path = posixpath.relpath(path, cwd)
    if "/" not in path or path.startswith("..") or "$" in path:
        return (f"`node {path}` starts a file of the source, not of the build",)
    return path.split("/", 1)[0]


def _start_script(context: BuildContext | None) -> str | None:
    if context is None:
        return None
    try:
        data = loads(context.read_text("package.json") or "null")
    except ValueError:
        return None
    scripts = data.get("scripts") if isinstance(data, dict) else None
    start = scripts.get("start") if isinstance(scripts, dict) else None
    return start if isinstance(start, str) and not re.search(r"[;&|$`<>]", start) else None


def node_split(df: Dockerfile, facts: Facts, stage: Stage, build_name: str, own: str | None) -> Split | str:
    """Return how the Node stage is split, or why it cannot be."""
    installs, builds = node_steps(stage)
    if len(installs) != 1 or len(builds) != 1:
        return "dffix needs one dependencies install and one build step"
    install, build = installs[0], builds[0]
    if build.instr.span.start <= install.instr.span.start:
        return "the build runs before the dependencies are installed"
    if install.instr.is_json:
        return "the install is an exec-form `RUN`"
    if any(a in ("--omit=dev", "--production", "--prod", "--only=production") for a in install.command.argv):
        return "the install already leaves out the dev dependencies"
    others = list(simple_commands(install.instr))
    if install.command in others:  # equal, not the same object: caches may have let go of it
        others.remove(install.command)
    if any(c.argv[:1] != ("npm",) or c.argv[1:3] != ("cache", "clean") for c in others):
        return f"the `RUN` on line {install.instr.start_line} runs more than the install"
    for instr in stage.instructions:
        if instr.kind != "RUN" or instr in (install.instr, build.instr):
            continue
        line = instr.start_line
        if instr.span.start > install.instr.span.start:
            return f"the `RUN` on line {line} after the install may use or change the dev dependencies"
        if (tool := compiles(instr)) is not None:
            return f"the `RUN` on line {line} installs `{tool}`: production dependencies may need it"
        if instr.heredocs:
            return f"the `RUN` on line {line} cannot be read"
    if (why := later_refusal(stage, build.instr, "the dev dependencies")) is not None:
        return why
    for instr in stage.instructions:
        if instr.kind in ("COPY", "ADD") and (instr.flag("from") or instr.heredocs):
            return f"the `{instr.kind}` on line {instr.start_line} cannot be repeated in the final stage"
    out = build_output(facts, stage)
    if out is None:
        return "the build output path cannot be read from the `CMD` (nor from package.json's `start`)"
    if isinstance(out, tuple):
        return out[0]
    cwd = workdirs(stage).get(build.instr.span.start)
    if cwd is None:
        return "the `WORKDIR` of the build uses a variable"
    flag = production_flag(stage, install.command.argv[0])
    final = node_final(df, stage, (install, build), flag, posixpath.join(cwd, out), (build_name, own))
    return Split(build.instr, tuple(final))


def node_final(
    df: Dockerfile,
    stage: Stage,
    steps: tuple[NodeStep, NodeStep],
    flag: str,
    out: str,
    names: tuple[str, str | None],
) -> list[str]:
    """Return the final stage's lines: the instructions up to the build, the production
    install and the build output."""
    install, build = steps
    build_name, own = names
    lines = [from_line(df, stage, stage.base, own)]
    for instr in stage.instructions:
        if instr is build.instr:
            break
        if instr is install.instr:
            at = install.command.span.end - instr.span.start
            text = instr_text(df, instr)
            lines.append(text[:at] + f" {flag}" + text[at:])
        else:
            lines.append(instr_text(df, instr))
    lines.append(f"COPY --from={build_name} {out} {out}")
    return lines


# -- the rule ----------------------------------------------------------------------


def violations(rule: Rule, df: Dockerfile, facts: Facts, stage: Stage) -> Iterator[Violation]:
    """DF502's finding in the final stage `stage`, as `rule` reports it."""
    found = _pattern(facts, stage)
    if found is None:
        return
    kind, span, splitter = found
    result = _fix(df, facts, stage, splitter)
    if isinstance(result, str):
        yield rule.violation(span, message=f"{rule.message} ({kind}); no fix: {result}")
        return
    yield rule.violation(span, result, message=f"{rule.message} ({kind})", isolation=f"stage:{stage.index}")


def _fix(df: Dockerfile, facts: Facts, stage: Stage, splitter: Splitter) -> Fix | str:
    """Return the fix splitting the stage, or why there is none."""
    why = common_refusal(df, facts, stage)
    if why is not None:
        return why
    build_name, own = stage_names(stage)
    name_fix = name_edit(df, stage, build_name)
    if isinstance(name_fix, str):
        return name_fix
    split = splitter(df, facts, stage, build_name, own)
    if isinstance(split, str):
        return split
    if not df.text[: split.build.span.end].endswith(("\n", "\r")):
        return "the build is the file's last line"
    return split_fix(df, stage, split, name_fix)


def _pattern(facts: Facts, stage: Stage) -> tuple[str, Span, Splitter] | None:
    """Return the pattern the stage matches: a label, where to report, the splitter.

    A final stage built FROM an earlier stage of the file is looked at through that
    chain, to report the build with the reason there is no fix.
    """
    root = facts.root(stage)
    if root.base_name == "golang":
        found = [c for s in facts.chain(stage) for c in go_commands(s)]
        if found:
            return "Go", found[0][1].span, go_split
    if root is not stage:
        return None
    if stage.base_name == "python":
        apt = apt_build_run(stage)
        pips = pip_runs(stage)
        if apt is not None and pips:
            if isinstance(apt, str):
                reason = apt
                return "Python", pips[-1].keyword_span, lambda *_: reason
            return "Python", apt.instr.keyword_span, python_split
    if stage.base_name == "node":
        installs, builds = node_steps(stage)
        if installs and builds:
            return "Node", builds[-1].command.span, node_split
    return None
