"""DF202's shortcuts give what the plain computation gives (issue 14).

Each test holds a shortcut to the computation it stands for (the code as it was, kept
here as the reference): on the corpus as written and as fixed, and on generated RUNs
that spell the install tools' names in odd ways (quoted, escaped, behind a path, `sudo`,
`python -m`, in exec form).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from dffix import memo
from dffix.facts import BuildContext, Stage, compute_facts
from dffix.rules import dockerignore
from dffix.rules.deps import commands, findings, installers, run
from dffix.rules.deps.context import Presence, View, ignore_rules
from dffix.rules.deps.copies import Mapping
from dffix.rules.deps.installers import may_install
from dffix.rules.deps.layout import Lines
from dffix.rules.deps.model import Cd, Tool
from dffix.rules.deps.paths import ABS, WORKDIR, Loc, has_glob
from dffix.rules.deps.planner import Clash, _glob_prefix, mapping_clash, stage_view, workdirs
from dffix.rules.deps.run import run_plan
from dffix.syntax import Dockerfile, parse
from dffix.syntax.shell import Kind, split_commands
from dffix.syntax.tree import Instruction
from tests.helpers import loaded_by_a_diff
from tests.test_fuzz import fuzz_settings
from tests.test_rules_fast import corpus_texts, parsed


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    """Leave the file caches empty, as the command line does after each file."""
    yield
    memo.forget()


def reference_installs(stage: Stage) -> bool:
    """`findings._installs` as it was: every RUN's plan read until one has a tool."""
    if "RUN" not in stage.kinds:
        return False
    wds = workdirs(stage)
    return any(
        i.kind == "RUN" and (plan := run_plan(i, stage.shell_at(i), wds[n])) is not None and bool(plan.tools)
        for n, i in enumerate(stage.instructions)
    )


def reference_run_commands(
    instr: Instruction, shell: tuple[str, ...]
) -> list[tuple[tuple[str, ...], tuple[str, ...]]] | None:
    """`run._run_commands` as it was: every command's words searched for a substitution,
    every command's tokens for redirections."""
    if instr.is_json:
        return [(instr.values, ())] if instr.values else None
    if instr.heredocs or not run._posix(shell):
        return None
    script = split_commands(instr.args)
    if script is None or not script.is_flat or any(op.text in ("&", "|&") for op in script.operators):
        return None
    out: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for cmd in script.commands:
        if any("`" in w.text or "$(" in w.text for w in cmd.words):
            return None
        redirects = tuple(t.text for t in cmd.tokens if t.kind is Kind.REDIRECT)
        out.append((cmd.argv, redirects))
    return out


def reference_mapping_clash(m: Mapping, path: Loc, view: View) -> Clash:
    """`planner.mapping_clash` as it was, without the test of the first names."""
    target, written = m.target.as_abs(), path.as_abs()
    if _glob_prefix(written, target):
        return Clash.SURE
    if not target.contains(written):
        return Clash.NONE
    rest = target.below(written)
    if m.pattern and rest and not has_glob(rest[0]) and not fnmatch.fnmatchcase(rest[0], m.pattern):
        return Clash.NONE
    if m.source is None:
        return Clash.SURE if view.visible else Clash.POSSIBLE
    plain: list[str] = []
    for name in rest:
        if has_glob(name):
            break
        plain.append(name)
    presence = view.presence(m.source + tuple(plain))
    if presence is Presence.ABSENT:
        return Clash.NONE
    return Clash.POSSIBLE if presence is Presence.UNKNOWN else Clash.SURE


def has_tools(instr: Instruction, shell: tuple[str, ...] = ("/bin/sh", "-c")) -> bool:
    plan = run_plan(instr, shell, Loc(WORKDIR, ()))
    return plan is not None and bool(plan.tools)


def test_may_install_misses_no_tool_on_the_corpus() -> None:
    seen = passed = 0
    for _df, facts in parsed(corpus_texts()):
        for stage in facts.stages:
            wds = workdirs(stage)
            for n, instr in enumerate(stage.instructions):
                if instr.kind != "RUN":
                    continue
                seen += 1
                plan = run_plan(instr, stage.shell_at(instr), wds[n])
                if may_install(instr):
                    passed += 1
                else:
                    assert plan is None or not plan.tools, instr.line
        memo.forget()
    assert passed < seen / 3  # the test spares most RUNs (260 of 2,049 in the corpus)


def test_installs_is_the_plain_reading_on_the_corpus() -> None:
    for _df, facts in parsed(corpus_texts()):
        for stage in facts.stages:
            assert (findings._installs(stage) is not None) == reference_installs(stage)
        memo.forget()


def test_run_commands_is_the_plain_reading_on_the_corpus() -> None:
    for df, _ in parsed(corpus_texts()):
        for instr in df.all_instructions:
            if instr.kind == "RUN":
                assert run._run_commands(instr, SH) == reference_run_commands(instr, SH)


SH = ("/bin/sh", "-c")


def test_mapping_clash_is_the_plain_reading_on_the_corpus() -> None:
    view = View.of(None)
    for df, facts in parsed(corpus_texts()):
        for stage in facts.stages:
            sv = stage_view(df, stage, view, Lines(df))
            mappings = [m for s in sv.steps if s is not None and s.copy for m in s.copy.mappings]
            writes = [p for s in sv.steps if s is not None and s.plan for p in s.plan.writes]
            for m in mappings:
                for path in {*writes, *(n.target for n in mappings)}:
                    assert mapping_clash(m, path, view) == reference_mapping_clash(m, path, view)
        memo.forget()


_names = st.lists(
    st.sampled_from(("app", "usr", "etc", "*", "a*", "[ab]", "?", "a", "b", "root", ".*")), max_size=3
)
_locs = st.builds(Loc, st.sampled_from((ABS, WORKDIR)), _names.map(tuple))


@given(
    st.builds(
        Mapping,
        _locs,
        st.one_of(st.none(), _names.map(tuple)),
        st.one_of(st.none(), st.sampled_from(("*.txt", "a", "[ab]*"))),
    ),
    _locs,
)
def test_mapping_clash_is_the_plain_reading_on_generated_paths(m: Mapping, path: Loc) -> None:
    view = View.of(None)
    assert mapping_clash(m, path, view) == reference_mapping_clash(m, path, view)


# Generated RUNs: install commands (and near misses) with their words spelled as a shell
# reads them back to the same name.

_INSTALLS = (
    "pip install -r requirements.txt",
    "pip3.11 install -r requirements.txt",
    "pipenv install --deploy",
    "poetry install --no-root",
    "uv sync --no-install-project",
    "pdm install --no-self",
    "npm ci",
    "npm install",
    "yarn install",
    "pnpm install",
    "pnpm fetch",
    "go mod download",
    "bundle install",
    "bundler install",
    "gem install bundler",
    "composer install --no-scripts --no-autoloader",
)
_OTHERS = (
    *("apt-get update", "echo go", "cargo build", "mongod --version", "gosu app true", "rm -rf /tmp/x"),
    *("echo x > /tmp/f", "cat </etc/x 2>&1", "echo `id`", "echo $(id) >>/tmp/log", "npm ci >/dev/null"),
)


@st.composite
def spelled(draw: st.DrawFn, word: str) -> str:
    """Return `word` with quotes and backslashes the shell takes out again."""
    out: list[str] = []
    for ch in word:
        how = draw(st.sampled_from(("", "", "", '"', "'", "\\", "''", '""')))
        if how in ('"', "'"):
            out.append(how + ch + how)
        elif how == "\\":
            out.append("\\" + ch)
        else:
            out.append(how + ch)
    return "".join(out)


@st.composite
def command(draw: st.DrawFn) -> str:
    words = draw(st.sampled_from(_INSTALLS + _OTHERS)).split()
    name = words[0]
    if draw(st.booleans()):
        name = draw(st.sampled_from(("/usr/local/bin/", "./", "/opt/x/bin/"))) + name
    words = [draw(spelled(name)) if draw(st.booleans()) else name, *words[1:]]
    prefix = draw(st.sampled_from(("", "sudo ", "FOO=1 ", "A=b C=d sudo ", "python3 -m ", "python -m ")))
    return prefix + " ".join(words)


@st.composite
def run_line(draw: st.DrawFn) -> str:
    commands = draw(st.lists(command(), min_size=1, max_size=3))
    if draw(st.integers(0, 4)) == 0:
        return "RUN " + json.dumps(commands[0].split())
    ops = draw(st.lists(st.sampled_from((" && ", "; ", " || ", ";", "&&", " | ")), min_size=2, max_size=2))
    script = commands[0]
    for op, cmd in zip(ops, commands[1:], strict=False):
        script += op + cmd
    return "RUN " + script


@fuzz_settings(400)
@given(run_line())
def test_may_install_misses_no_tool_in_generated_runs(line: str) -> None:
    df = parse(line + "\n")
    assert isinstance(df, Dockerfile)
    facts = compute_facts(df)
    for stage in facts.stages:
        assert (findings._installs(stage) is not None) == reference_installs(stage)
    for instr in df.all_instructions:
        assert run._run_commands(instr, SH) == reference_run_commands(instr, SH)
        if instr.kind == "RUN" and not may_install(instr):
            assert not has_tools(instr), line


_WORDS = (
    *("pip", "pip3", "python3", "-m", "sudo", "FOO=1", "npm", "ci", "install", "go", "mod", "download"),
    *("bundler", "bundle", "uv", "sync", "cd", "/app", "-r", "requirements.txt", "/usr/bin/pip", "composer"),
    *("--version", "gem", "poetry", "pdm", "pnpm", "fetch", "yarn", "pipenv", "echo", "apt-get", "$PIP"),
    *("python", "/usr/bin/python3.11", "pip3.11", "pipx", "b", "p", "", "/", "./bundler", "a=b", "sudo -u"),
)


@fuzz_settings(400)
@given(st.lists(st.sampled_from(_WORDS), max_size=6).map(tuple))
def test_is_installer_misses_no_tool(argv: tuple[str, ...]) -> None:
    assert installers.is_installer(argv) == reference_is_installer(argv)
    if not installers.is_installer(argv):
        assert not isinstance(commands.command_effect(argv), Tool)


def reference_is_installer(argv: tuple[str, ...]) -> bool:
    """`installers.is_installer` read the plain way: the tool name command_effect reads."""
    argv = installers.unwrap(argv)
    return bool(argv) and installers.tool_name(argv)[0] in installers.INSTALLERS


def test_the_installers_are_the_commands_with_a_reader_that_may_return_a_tool() -> None:
    """installers.py names them without importing the readers; commands.py maps them."""
    assert frozenset(commands._HANDLERS) - {"cd"} == installers.INSTALLERS
    for name in commands._HANDLERS:
        effect = commands.command_effect((name, "install"))
        assert (name in installers.INSTALLERS) == (not isinstance(effect, Cd)), name


def test_is_installer_is_the_plain_reading_on_the_corpus() -> None:
    for df, _ in parsed(corpus_texts()):
        for instr in df.all_instructions:
            script = split_commands(instr.args) if instr.kind == "RUN" else None
            for cmd in script.commands if script else ():
                assert installers.is_installer(cmd.argv) == reference_is_installer(cmd.argv)


@pytest.mark.parametrize(
    "line",
    [
        'RUN "pip" install -r requirements.txt',
        "RUN p'i'p install -r requirements.txt",
        "RUN \\npm ci",
        'RUN ["/usr/bin/npm", "ci"]',
        "RUN python3 -m pip install -r requirements.txt",
        "RUN FOO=1 sudo go mod download",
        "RUN cd /app&&bundler install",
    ],
)
def test_may_install_reads_odd_spellings(line: str) -> None:
    df = parse(line + "\n")
    assert isinstance(df, Dockerfile)
    (instr,) = df.all_instructions
    assert may_install(instr)


@pytest.mark.parametrize(
    "line",
    ["RUN apt-get install -y golang", "RUN cargo build", "RUN echo pipe > /tmp/x", "RUN gosu app true"],
)
def test_may_install_spares_other_runs(line: str) -> None:
    df = parse(line + "\n")
    assert isinstance(df, Dockerfile)
    (instr,) = df.all_instructions
    assert not may_install(instr)


@pytest.mark.parametrize(
    ("files", "dockerfile"),
    [
        pytest.param({"Dockerfile": ""}, "Dockerfile", id="no ignore file"),
        pytest.param({"Dockerfile": "", ".dockerignore": "node_modules\n"}, "Dockerfile", id="dockerignore"),
        pytest.param(
            {"app.Dockerfile": "", "app.Dockerfile.dockerignore": "x\n"}, "app.Dockerfile", id="own"
        ),
        pytest.param({"Dockerfile": "", "other.dockerignore": "x\n"}, "Dockerfile", id="another's"),
        pytest.param({"Dockerfile": "", ".DockerIgnore": "x\n"}, "Dockerfile", id="other case"),
        pytest.param({"Dockerfile": "", ".dockerignore/": ""}, "Dockerfile", id="a folder"),
        pytest.param(
            {"sub/Dockerfile": "", "sub/Dockerfile.dockerignore": "x\n"}, "sub/Dockerfile", id="below"
        ),
        pytest.param({}, "Dockerfile", id="empty folder"),
        pytest.param({".dockerignore": "x\n"}, None, id="no Dockerfile name"),
    ],
)
def test_view_reads_the_ignore_file_the_plain_way(
    tmp_path: Path, files: dict[str, str], dockerfile: str | None
) -> None:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if name.endswith("/"):
            path.mkdir()
        else:
            path.write_text(text)
    plain = ignore_rules(BuildContext(tmp_path, dockerfile).ignore_text() or "")
    assert View.of(BuildContext(tmp_path, dockerfile)).rules == plain


# DF203 (rules/dockerignore.py) reads a copy's flags only for a copy of a whole folder.


def reference_whole_context_copy(df: Dockerfile) -> Instruction | None:
    """`dockerignore.whole_context_copy` as it was: every copy's flags read first."""
    for instr in df.all_instructions:
        kind = instr.kind
        if kind in ("COPY", "ADD") and any(
            dockerignore._whole(s) for s in dockerignore._context_sources(instr)
        ):
            return instr
        if kind == "RUN" and instr.flags and dockerignore._mounts_context(instr):
            return instr
    return None


_COPIES = st.lists(
    st.sampled_from(
        (
            *("COPY . /app", "COPY --from=build . /app", "ADD ./ /src/", "COPY app.py ./", "COPY * ."),
            *(
                "COPY <<EOF .\nx\nEOF",
                "RUN --mount=type=bind,target=/src make",
                "COPY --chown=a . .",
                "ADD / /x",
            ),
            *("RUN --mount=type=cache,target=/root/.cache pip install x", "COPY ./. .", 'COPY [".", "/a"]'),
        )
    ),
    max_size=4,
)


@given(_COPIES)
def test_whole_context_copy_is_the_plain_reading(lines: list[str]) -> None:
    df = parse("FROM a\n" + "".join(line + "\n" for line in lines))
    assert isinstance(df, Dockerfile)
    assert dockerignore.whole_context_copy(df) is reference_whole_context_copy(df)


def test_whole_context_copy_is_the_plain_reading_on_the_corpus() -> None:
    for df, _ in parsed(corpus_texts()):
        assert dockerignore.whole_context_copy(df) is reference_whole_context_copy(df)


@pytest.mark.parametrize(
    ("run", "loaded"), [("RUN apt-get install -y gcc", False), ("RUN pip install -r r.txt", True)]
)
def test_the_planner_loads_only_for_a_file_that_may_install(tmp_path: Path, run: str, loaded: bool) -> None:
    """A whole `--diff` run: without a RUN that may install, DF202's model never loads."""
    heavy = ("dffix.rules.deps.commands", "dffix.rules.deps.findings", "dffix.rules.deps.planner")
    text = f"FROM python:3.12\nCOPY . /app\n{run}\nCMD python /app/main.py\n"
    assert loaded_by_a_diff(tmp_path, text, heavy) == (list(heavy) if loaded else [])
