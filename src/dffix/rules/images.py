"""DF5xx: base images. A final stage built on an image far bigger than it needs."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from dffix.edits import Applicability, Edit, Fix
from dffix.facts import BuildContext, Facts, Stage
from dffix.jsontext import loads
from dffix.lazy import lazy_re
from dffix.rules.base import Fixability, Rule, Violation
from dffix.rules.practices import installed_packages, is_build_tool, simple_reads
from dffix.rules.records import ImageRef
from dffix.rules.user import is_official_image, is_windows_image
from dffix.syntax.tree import Dockerfile, Instruction, Span

_CODENAMES = "stretch|buster|bullseye|bookworm|trixie"
_VERSION = r"\d+(?:\.\d+){0,2}"
_NODE_LINES = "lts|current|argon|boron|carbon|dubnium|erbium|fermium|gallium|hydrogen|iron|jod|krypton"
# Images whose default tags are buildpack-deps (compilers, git, curl, -dev libraries) and that
# have a `-slim` variant: where the `slim` word goes in the tag.
_SLIM_BEFORE_CODENAME = frozenset({"python", "ruby"})  # 3.12-slim-bookworm
_SLIM_LAST = frozenset({"node"})  # 20-bookworm-slim
_SLIM_NAMES = _SLIM_BEFORE_CODENAME | _SLIM_LAST
# Images that are a compiler toolchain: the final stage should hold the build output only.
_TOOLCHAINS = {"golang": "Go", "rust": "Rust"}
# Java versions with an `eclipse-temurin:<major>-jre` image (the LTS releases).
_TEMURIN_JRE = frozenset({"8", "11", "17", "21", "25"})
# Commands the full images have and the slim ones lack, and the packages that bring them.
_FULL_ONLY_TOOLS = {
    "curl": ("curl",),
    "wget": ("wget",),
    "git": ("git", "git-core"),
    "svn": ("subversion",),
    "hg": ("mercurial",),
    "bzr": ("bzr", "brz"),
    "ssh": ("openssh-client", "ssh", "openssh"),
    "scp": ("openssh-client", "ssh", "openssh"),
    "unzip": ("unzip",),
    "bzip2": ("bzip2",),
    "gpg": ("gnupg", "gnupg2", "gpg"),
    "make": ("make",),
    "gcc": ("gcc",),
    "cc": ("gcc",),
    "g++": ("g++",),
    "c++": ("g++",),
    "cmake": ("cmake",),
    "autoconf": ("autoconf",),
    "automake": ("automake",),
    "libtool": ("libtool",),
    "pkg-config": ("pkg-config", "pkgconf"),
}
_TOOL_RE = lazy_re(
    r"(?<![\w.@/+-])(?:/usr/(?:local/)?bin/)?("
    + "|".join(re.escape(t) for t in sorted(_FULL_ONLY_TOOLS, key=len, reverse=True))
    + r")(?![\w.+-])"
)
# Python packages without wheels for Linux (pip compiles them) or that load libraries of the
# full image at run time (cairo, pango, libmagic, poppler, ImageMagick).
_PY_NATIVE = frozenset(
    {
        *("psycopg2", "mysqlclient", "mysql-python", "uwsgi", "python-ldap", "dlib", "pyaudio"),
        *("pygraphviz", "m2crypto", "weasyprint", "cairosvg", "cairocffi", "python-magic", "wand"),
        *("pyzbar", "pdf2image", "pygobject", "dbus-python"),
    }
)
# npm packages that build with node-gyp (python3, make, g++) or need git.
_NODE_NATIVE = frozenset({"node-sass", "canvas", "node-gyp", "grpc", "zeromq", "libxmljs", "kerberos"})
_NODE_INSTALLERS = frozenset({"npm", "yarn", "pnpm"})
_PIP_NAME = lazy_re(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
# What a stage may hold for `java -jar` on a JRE image to do what it did on the JDK one.
_JAR_ONLY_KINDS = frozenset(
    {"ARG", "ENV", "COPY", "ADD", "EXPOSE", "WORKDIR", "USER", "LABEL", "VOLUME", "CMD", "ENTRYPOINT"}
)
_JAR_ONLY_KINDS |= {"STOPSIGNAL", "MAINTAINER"}
_SLIM_LACKS = "compilers, `git`, `curl`, `wget` or the `-dev` libraries of the full image"
_JRE_LACKS = "`javac`, `jcmd` or other JDK tools, and it is Ubuntu-based"


def image_ref(ref: str) -> ImageRef | None:
    """Return an official image reference split into path and tag; None for a digest, a
    variable or an image that is not one of Docker Hub's official ones."""
    if "@" in ref or "$" in ref or not ref:
        return None
    last = ref.rsplit("/", 1)[-1]
    path, _, tag = ref.rpartition(":") if ":" in last else (ref, "", "")
    if not is_official_image(path):
        return None
    return ImageRef(path, tag or None)


def slim_tag(name: str, tag: str | None) -> str | None:
    """Return the `-slim` tag matching a plain version, `latest` or codename tag, else None.

    `python:3.12-bookworm` gives `3.12-slim-bookworm`, `node:20-bookworm` `20-bookworm-slim`.
    """
    if name not in _SLIM_NAMES:
        return None
    if tag is None or tag == "latest":
        return "slim"
    head = f"{_VERSION}|{_NODE_LINES}" if name in _SLIM_LAST else _VERSION
    if re.fullmatch(f"(?:{head})(?:-(?:{_CODENAMES}))?|(?:{_CODENAMES})", tag) is None:
        return None
    if name in _SLIM_LAST:
        return f"{tag}-slim"
    version, _, codename = tag.rpartition("-") if "-" in tag else (tag, "", "")
    if re.fullmatch(_CODENAMES, version):
        return f"slim-{version}"
    return f"{version}-slim-{codename}" if codename else f"{version}-slim"


def _copied_from(df: Dockerfile, stage: Stage) -> bool:
    """Return whether an instruction copies or mounts files from `stage` (`--from=`)."""
    names = {str(stage.index), *([stage.name] if stage.name else [])}
    for instr in df.instruction_list:
        if not instr.flags:  # most instructions: neither `--from` nor `--mount`
            continue
        values = [f.value or "" for f in instr.flags_named("from")]
        values += [p[5:] for f in instr.flags_named("mount") for p in (f.value or "").split(",")]
        if any(v.lower() in names for v in values if v):
            return True
    return False


def _built_on(facts: Facts, root: Stage) -> list[Stage]:
    """Return the stages whose image starts from `root`'s FROM (root itself included)."""
    return [s for s in facts.stages if facts.root(s) is root]


def _texts(instr: Instruction) -> str:
    return " ".join([*instr.values, *(h.content for h in instr.heredocs)])


def _instructions(stages: Iterable[Stage]) -> Iterator[Instruction]:
    """Yield the stages' instructions, the instruction inside an `ONBUILD` in its place (it
    runs in every image built on this one, on the same base)."""
    for stage in stages:
        for instr in stage.instructions:
            yield instr.inner if instr.inner is not None else instr


def _installed(stages: Iterable[Stage]) -> set[str]:
    found: set[str] = set()
    for instr in _instructions(stages):
        if instr.kind == "RUN":
            for cmd in simple_reads(instr):
                found.update(p.split("=", 1)[0].lower() for p in installed_packages(cmd.argv) or ())
    return found


def _missing_tool(stages: list[Stage], installed: set[str]) -> str | None:
    """Return a command the stages run (RUN, CMD, ENTRYPOINT, HEALTHCHECK) that only the full
    image has and no RUN installs, or None."""
    for instr in _instructions(stages):
        if instr.kind not in ("RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK"):
            continue
        for m in _TOOL_RE.finditer(_texts(instr)):
            if not installed.intersection(_FULL_ONLY_TOOLS[m.group(1)]):
                return m.group(1)
    return None


def _requirement_lines(context: BuildContext | None, path: str) -> list[str]:
    """Return the lines of a requirements file from the context (tried as given and by its
    base name), or nothing when it cannot be read."""
    if context is None:
        return []
    relative = path.lstrip("/")
    while relative.startswith("./"):
        relative = relative[2:]
    for candidate in (relative, path.rsplit("/", 1)[-1]):
        text = context.read_text(candidate, limit=200_000) if candidate else None
        if text is not None:
            return text.splitlines()
    return []


# Compiled once: asked of every command of the stages (re's own cache is a lookup per call).
_PYTHON_NAME = lazy_re(r"python[\d.]*")
_PIP_NAME_RE = lazy_re(r"pip[\d.]*")


def _pip_install_args(argv: tuple[str, ...]) -> tuple[str, ...] | None:
    """Return the words after `install` of `pip install` (pip, pip3, python -m pip), or None."""
    if argv[:1] and _PYTHON_NAME.fullmatch(argv[0]) and argv[1:3] == ("-m", "pip"):
        argv = argv[2:]
    if argv[:1] and _PIP_NAME_RE.fullmatch(argv[0]) and "install" in argv:
        return argv[argv.index("install") + 1 :]
    return None


def _py_native(args: tuple[str, ...], context: BuildContext | None) -> str | None:
    """Return a package a `pip install` would compile or that needs the full image's libraries."""
    if any(a == "--no-binary" or a.startswith("--no-binary=") for a in args):
        return "`pip install --no-binary`"
    words = list(args)
    for i, arg in enumerate(args[:-1]):
        if arg in ("-r", "--requirement"):
            words += _requirement_lines(context, args[i + 1])
    for word in words:
        if "git+" in word:
            return "a `git+` requirement (needs `git`)"
        m = _PIP_NAME.match(word)
        name = m.group(1).lower().replace("_", "-") if m else ""
        if name in _PY_NATIVE:
            return f"`{name}`"
    return None


def _node_native(args: tuple[str, ...], context: BuildContext | None) -> str | None:
    """Return a package named or in the context's package.json that builds natively or needs git."""
    named = next((a for a in args if a.split("@", 1)[0] in _NODE_NATIVE), None)
    if named is not None:
        return f"`{named}`"
    text = context.read_text("package.json") if context is not None else None
    try:
        data = loads(text) if text else {}
    except ValueError:
        return None
    for key in ("dependencies", "devDependencies", "optionalDependencies"):
        deps = data.get(key) if isinstance(data, dict) else None
        for name, spec in deps.items() if isinstance(deps, dict) else ():
            if name in _NODE_NATIVE:
                return f"`{name}`"
            if isinstance(spec, str) and re.match(r"git(?:\+|:)|github:|.*\.git(?:#|$)", spec):
                return f"`{name}` from git (needs `git`)"
    return None


def _installs_project(argv: tuple[str, ...], pip: tuple[str, ...] | None) -> bool:
    """Return whether a command builds a local Python project (`pip install .`, `setup.py`)."""
    if pip is not None:
        return any(a in (".", "./") or a.startswith(("./", "/")) for a in pip)
    return len(argv) > 1 and argv[0].startswith("python") and argv[1].endswith("setup.py")


def _has_extensions(context: BuildContext | None) -> bool:
    """Return whether the context's setup.py builds C extensions (False when there is none)."""
    text = context.read_text("setup.py") if context is not None else None
    return text is not None and re.search(r"ext_modules|Extension\(|cythonize", text) is not None


def _native_dependency(stages: list[Stage], context: BuildContext | None) -> str | None:
    """Return what the stages install that needs a compiler or the full image's libraries."""
    for instr in _instructions(stages):
        if instr.kind != "RUN":
            continue
        for cmd in simple_reads(instr):
            argv = cmd.argv
            name = argv[0] if argv else ""
            if name in ("bundle", "gem") and "install" in argv:
                return f"`{name} install` usually compiles native extensions"
            pip = _pip_install_args(argv)
            found = _py_native(pip, context) if pip is not None else None
            if found is None and (_installs_project(argv, pip) and _has_extensions(context)):
                found = "the project's `setup.py` builds C extensions, which"
            if found:
                return f"{found} needs a compiler or libraries of the full image"
            if name in _NODE_INSTALLERS and (len(argv) == 1 or argv[1] in ("install", "i", "ci", "add")):
                found = _node_native(argv[2:], context)
                if found:
                    return f"{found} needs node-gyp's build tools"
    return None


# Package managers whose `install` may build native code (npm & co. are in _NODE_INSTALLERS).
_INSTALLERS = frozenset({"bundle", "gem", "poetry", "pipenv", "composer"})


def _onbuild_installs(stage: Stage) -> str | None:
    """Return the install command (`npm install`) an `ONBUILD RUN` of the stage runs, or None."""
    for instr in stage.instructions:
        inner = instr.inner if instr.kind == "ONBUILD" else None
        for cmd in simple_reads(inner) if inner is not None and inner.kind == "RUN" else ():
            found = _install_command(cmd.argv)
            if found is not None:
                return found
    return None


def _install_command(argv: tuple[str, ...]) -> str | None:
    """Return the package install a command runs (`npm install`, `pip install`), or None."""
    name = argv[0] if argv else ""
    if _pip_install_args(argv) is not None:
        return "pip install"
    if name in _NODE_INSTALLERS and (len(argv) == 1 or argv[1] in ("install", "i", "ci", "add")):
        return " ".join(argv[:2])
    if name in _INSTALLERS and argv[1:2] == ("install",):
        return f"{name} install"
    return None


def _onbuild_reason(facts: Facts, new: str) -> str | None:
    """Return why `ONBUILD` triggers make the final stage keep its full image, or None.

    The final stage's own triggers run in the builds of other images, `FROM` this one,
    with their files: it is a base image, and what they need is unknown. Triggers of a
    stage it is built on run in this build; one that installs packages may compile
    native modules, with compilers `new` lacks.
    """
    final, *above = facts.chain(facts.final_stage) if facts.final_stage else ()
    installs = _onbuild_installs(final)
    if installs is not None:
        return (
            f"its `ONBUILD` triggers run `{installs}` in the images built on it, whose "
            f"native modules need the compilers `{new}` lacks"
        )
    if "ONBUILD" in final.kinds:
        return (
            f"it has `ONBUILD` triggers, so it is a base for other images, which may need what `{new}` lacks"
        )
    for stage in above:
        installs = _onbuild_installs(stage)
        if installs is not None:
            return (
                f"the `ONBUILD` triggers of the stage it is built on run `{installs}`, whose "
                f"native modules need the compilers `{new}` lacks"
            )
    return None


def _runs_jar(stages: list[Stage]) -> bool:
    """Return whether the stages only hold files and metadata and start `java -jar`."""
    starts = []
    for stage in stages:
        for instr in stage.instructions:
            if instr.kind not in _JAR_ONLY_KINDS:
                return False
            if instr.kind in ("CMD", "ENTRYPOINT"):
                starts.append(instr.values)
    words = [w for values in starts for v in values for w in v.split()]
    return bool(words) and words[0].rsplit("/", 1)[-1] == "java" and "-jar" in words


_WORD = lazy_re(r"\S+")


def _image_span(instr: Instruction) -> Span | None:
    """Return the source span of FROM's image word, or None when it is quoted or escaped."""
    m = _WORD.match(instr.args)
    if m is None or not instr.values or m.group() != instr.values[0]:
        return None
    return instr.offsets.span(instr.args_start + m.start(), instr.args_start + m.end())


class FullBaseImage(Rule):
    """## What it does
    Flags a final stage built on a full language image (`python:3.12`, `node:20`,
    `ruby:3.3`), a compiler toolchain (`golang`, `rust`) or a JDK (`openjdk`) when a much
    smaller image would run the app.

    ## Why is this bad?
    The default tags of `python`, `node` and `ruby` are built on `buildpack-deps`: compilers,
    `git`, `curl`, `wget` and hundreds of `-dev` packages, around 1 GB. The `-slim` variants
    have just the language runtime, at a fraction of the size: faster pulls, faster starts,
    and far fewer packages for scanners to flag and attackers to use. A Go or Rust toolchain
    in the final stage is only needed to build; a JDK only to compile.

    ## Example
    ```dockerfile
    FROM python:3.12
    COPY . /app
    RUN pip install --no-cache-dir -r /app/requirements.txt
    CMD ["python", "/app/main.py"]
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    COPY . /app
    RUN pip install --no-cache-dir -r /app/requirements.txt
    CMD ["python", "/app/main.py"]
    ```

    ## Fix safety
    Always unsafe: the slim image lacks compilers, `git`, `curl`, `wget` and the `-dev`
    libraries of the full one, and the app may need some of them at run time (a
    subprocess, a library loaded with `ctypes`/`cffi`). Check the image builds and the app
    runs before shipping it.

    The fix rewrites the tag of the image the final stage starts from (following
    `FROM <stage>`): a plain version, `latest`, no tag, or a Debian codename. For `python`
    and `ruby` `3.12` becomes `3.12-slim` and `3.12-bookworm` `3.12-slim-bookworm`; for
    `node` `20-bookworm` becomes `20-bookworm-slim` (and `lts`, `iron`... get `-slim`).
    Alpine is never proposed: Python wheels for musl are rare, so builds compile (up to
    50 times slower) and behave differently. `openjdk:<LTS major>` (or `-jdk`) becomes
    `eclipse-temurin:<major>-jre` only when the stage holds nothing but files and metadata
    (no `RUN`, no `HEALTHCHECK`) and starts `java -jar`.

    Reported without a fix, suggesting a multi-stage build (build on the full image,
    copy the results into a slim final stage), when a stage built on that image:
    - installs compilers or `-dev` packages (`build-essential`, `gcc`, `libpq-dev`...);
    - runs `git`, `curl`, `wget`, `make`, `gcc`, `ssh`, `unzip`... (in `RUN`, `CMD`,
      `ENTRYPOINT` or `HEALTHCHECK`) without installing them;
    - runs `bundle install` or `gem install` (native extensions need a compiler);
    - `pip install`s with `--no-binary`, from `git+`, or packages without Linux wheels or
      that load the full image's libraries (`psycopg2`, `mysqlclient`, `uwsgi`,
      `weasyprint`...), also read from a requirements file in the build context;
    - `npm`/`yarn`/`pnpm` installs a `package.json` (from the build context) with
      node-gyp packages (`node-sass`, `canvas`...) or git dependencies;
    - or another stage copies files from it (`COPY --from`);
    - the final stage has `ONBUILD` triggers: it is a base for other images, whose
      builds run the triggers with their own files (an `ONBUILD RUN npm install`,
      `pip install`, `bundle install`... compiles their native modules), so what
      they need from the full image cannot be known here;
    - a stage it is built on has `ONBUILD RUN` triggers that install packages (they
      run in this build, and may compile native modules).

    A `golang` or `rust` final stage is reported without a fix: build the binary in that
    image and copy it into `gcr.io/distroless/static`, `debian:bookworm-slim` or
    `alpine`. Not reported: earlier build stages, images pinned by digest, tags set by
    a variable, `-slim`/`-alpine`/Windows tags, the `onbuild` tags (`node:onbuild`,
    `python:3-onbuild`, `ruby:onbuild`: their triggers install the app's packages in
    this build, which their slim images could not compile), and images other than
    Docker Hub's official ones.

    ## References
    - Docker docs: "Multi-stage builds"; Docker Hub `python` image: "Image Variants"
    - Docker best practices: "Choose the right base image"
    """

    code = "DF501"
    name = "full-base-image"
    message = "The final stage runs on a full image"
    fix_title = "Switch to the smaller image variant"
    fixability = Fixability.SOMETIMES
    best_fix = Applicability.UNSAFE  # the smaller image may lack what the app uses

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        final = facts.final_stage
        if final is None:
            return
        root = facts.root(final)
        ref = image_ref(root.base)
        span = _image_span(root.from_instr)
        if ref is None or is_windows_image(root.base) or df.escape == "`":
            return
        at = span or root.from_instr.keyword_span
        if ref.name in _TOOLCHAINS:
            msg = (
                f"The final stage runs on `{ref}`, which holds the whole {_TOOLCHAINS[ref.name]} "
                "toolchain: build in that image, then copy the binary into a small runtime image "
                "(`gcr.io/distroless/static`, `debian:bookworm-slim`, `alpine`)"
            )
            yield self.violation(at, message=msg)
            return
        new = self._smaller(ref)
        if new is None:
            return
        said = f"The final stage runs on the full `{ref}` image"
        reason = self._reason(df, facts, root, ref, new)
        if reason is not None:
            yield self.violation(at, message=f"{said}; no fix: {reason}")
            return
        lacks = _JRE_LACKS if ref.name == "openjdk" else _SLIM_LACKS
        why = f"`{new}` is much smaller (unsafe: it has no {lacks}; check the app needs none of them)"
        fix = Fix.unsafe(Edit.replace(span, new)) if span is not None else None
        yield self.violation(at, fix, message=f"{said}; {why}", fix_title=f"Switch to `{new}`")

    def _smaller(self, ref: ImageRef) -> str | None:
        """Return the smaller image to use, or None when there is none to propose."""
        name = ref.name
        if name == "openjdk":
            major = re.fullmatch(r"(\d+)(?:-jdk)?", ref.tag or "")
            if major is None or major.group(1) not in _TEMURIN_JRE:
                return None
            return ref.with_tag(f"{major.group(1)}-jre", "eclipse-temurin")
        tag = slim_tag(name, ref.tag)
        return ref.with_tag(tag) if tag is not None else None

    def _reason(self, df: Dockerfile, facts: Facts, root: Stage, ref: ImageRef, new: str) -> str | None:
        """Return why switching to `new` could break the image, or None."""
        stages = _built_on(facts, root)
        split = f"build in a `{ref}` stage and copy the results into a `{new}` final stage"
        if _copied_from(df, root):
            return "another stage copies files from it, which the smaller image may not have"
        onbuild = _onbuild_reason(facts, new)
        if onbuild is not None:
            return onbuild
        if ref.name == "openjdk":
            return (
                None
                if _runs_jar(stages)
                else "a JRE image is proposed only for a stage that just starts `java -jar`"
            )
        installed = _installed(stages)
        tools = sorted(p for p in installed if is_build_tool(p))
        if tools:
            return f"it installs build tools ({', '.join(f'`{t}`' for t in tools[:3])}): {split}"
        tool = _missing_tool(stages, installed)
        if tool is not None:
            return f"it runs `{tool}`, which `{new}` lacks: install it there, or {split}"
        native = _native_dependency(stages, facts.context)
        if native is not None:
            return f"{native}: {split}"
        return None
