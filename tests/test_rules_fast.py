"""The rules' shortcuts give what the plain computation gives.

Some rules cache what they read of one instruction by its shape across fixer passes
(issue 14), or fold several scans of a stage into one. Each test here computes the same
value the plain way (the code as it was before the shortcut, kept here as the
reference) and compares, on the corpus (as written and as fixed, so that the caches
hold the answers of other files and other passes when they are asked), on generated
files and on mutations of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache

import pytest
from hypothesis import given, strategies as st

from dffix import api, memo, suppress
from dffix.compat import check_directive_skips
from dffix.config import ConfigError
from dffix.facts import Facts, Stage, compute_facts
from dffix.rules import apt, practices, runtime, user
from dffix.rules.deps import run as deps_run
from dffix.syntax import Dockerfile, ParseError, parse
from dffix.syntax.shell import Command, Script, split_commands
from dffix.syntax.tree import Directive, Instruction, Span, Trivia
from tests.corpus import corpus_files, decode
from tests.test_fuzz import dockerfiles, fuzz_settings, mutated


@cache
def corpus_texts() -> tuple[str, ...]:
    """Return each corpus file as written and as fixed with unsafe fixes (their shapes differ)."""
    found: list[str] = []
    rule_set = api.rule_set_for(None, api.Overrides(select=("ALL",), unsafe_fixes=True))
    assert not isinstance(rule_set, ConfigError)
    for path in corpus_files():
        text = decode(path.read_bytes())
        found.append(text)
        fixed = api.fix_text(text, rule_set, api.build_context(str(path)))
        if not isinstance(fixed, ParseError) and fixed.text != text:
            found.append(fixed.text)
    return tuple(found)


def parsed(texts: tuple[str, ...] | list[str]) -> Iterator[tuple[Dockerfile, Facts]]:
    for text in texts:
        df = parse(text)
        if isinstance(df, Dockerfile):
            yield df, compute_facts(df)


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    """Leave the file caches empty, as the command line does after each file: these tests
    fill them with hundreds of files' instructions, and the rule caches that hold objects
    of other caches (pm's calls hold split_commands' commands) must not outlive them."""
    yield
    memo.forget()


texts = st.one_of(dockerfiles(), dockerfiles().flatmap(mutated)).map(decode)


# The reference: DF301's scans of the chain as they were, one regex search per instruction each.


def reference_uses_sudo(chain: tuple[Stage, ...]) -> bool:
    return any(
        instr.kind == "RUN" and re.search(r"(?:^|[\s;&|(])sudo\s", " ".join(instr.values) or instr.args)
        for stage in chain
        for instr in stage.instructions
    )


def reference_server_package(chain: tuple[Stage, ...]) -> str | None:
    for stage in chain:
        for instr in stage.instructions:
            if instr.kind == "RUN" and (
                found := runtime._server_package_in(" ".join(instr.values) or instr.args)
            ):
                return found
    return None


def reference_docker_socket(chain: tuple[Stage, ...]) -> str | None:
    for stage in chain:
        for instr in stage.instructions:
            text = " ".join(instr.values) if instr.values else instr.args
            if instr.kind in ("ENV", "VOLUME", "CMD", "ENTRYPOINT", "RUN") and runtime._DOCKER_SOCKET.search(
                f"{instr.kind} {text}".replace("DOCKER_HOST ", "DOCKER_HOST=")
            ):
                return instr.line.strip()
    return None


def reference_low_port(chain: tuple[Stage, ...]) -> str | None:
    for stage in chain:
        for instr in stage.instructions:
            if instr.kind == "EXPOSE":
                for word in instr.args.split():
                    m = re.match(r"(\d{1,5})(?:-\d+)?(?:/\w+)?$", word)
                    if m and 0 < int(m.group(1)) < 1024:
                        return f"`EXPOSE {word}`"
            elif instr.kind == "ENV":
                for key, value in runtime.env_pairs(instr):
                    if runtime._PORT_ENV.match(key) and value.isdigit() and 0 < int(value) < 1024:
                        return f"`ENV {key}={value}`"
    for start in runtime.start_command(chain):
        text = runtime._text(start)
        for pattern in (runtime._BIND_ARG, runtime._HOST_PORT):
            for m in pattern.finditer(text):
                if start is not None and 0 < int(m.group(1)) < 1024:
                    return f"`{m.group(0).strip()}` in its {start.kind}"
    return None


def reference_root_dropper(chain: tuple[Stage, ...]) -> str | None:
    for stage in chain:
        for instr in stage.instructions:
            if instr.kind in ("RUN", "COPY", "ADD") and (
                m := re.search(r"\b(gosu|su-exec|s6-overlay)\b", instr.line)
            ):
                return m.group(1)
    return None


def reference_package_family(chain: tuple[Stage, ...]) -> user.Family | str | None:
    found = {
        user._PACKAGE_MANAGERS[m.group(1)]
        for stage in chain
        for instr in stage.instructions
        if instr.kind == "RUN"
        for m in re.finditer(r"(?:^|[\s;&|(])(apt-get|apt|apk|yum|dnf)\s+\S", " ".join(instr.values))
    }
    if len(found) > 1:
        return "its RUNs use the package managers of several distributions"
    return found.pop() if found else None


_ROOT_HOME = re.compile(r"(?:^|[\s\"'=:])(?:/root|~)(?:/|\s|\"|'|$)")


def reference_uses_root_home(stage: Stage) -> str | None:
    for instr in stage.instructions:
        if instr.kind in ("CMD", "ENTRYPOINT", "WORKDIR", "ENV", "HEALTHCHECK") and _ROOT_HOME.search(
            instr.args
        ):
            return instr.line
        if instr.kind in ("COPY", "ADD", "VOLUME") and instr.values:
            dests = instr.values if instr.kind == "VOLUME" else instr.values[-1:]
            if any(_ROOT_HOME.search(" " + d) for d in dests):
                return instr.line
    return None


def assert_chain_scans_agree(facts: Facts) -> None:
    for stage in facts.stages:
        chain = facts.chain(stage)
        seen = runtime.chain_traits(chain)
        assert runtime.uses_sudo(chain) is seen.sudo is reference_uses_sudo(chain)
        assert runtime.server_package(chain) == reference_server_package(chain)
        assert runtime.docker_socket(chain) == seen.socket == reference_docker_socket(chain)
        assert runtime.low_port(chain) == reference_low_port(chain)
        assert (seen.low_port or runtime.bound_port(chain)) == reference_low_port(chain)
        assert seen.dropper == reference_root_dropper(chain)
        assert user._package_family(runtime.chain_managers(chain)) == reference_package_family(chain)
        assert user._uses_root_home(stage) == reference_uses_root_home(stage)


def assert_traits_fresh(instructions: Iterator[Instruction]) -> None:
    """The cached traits of each instruction are the ones read from it afresh."""
    for instr in instructions:
        assert runtime.traits(instr) == runtime.read_traits(instr)


def test_df301_chain_scans_agree_with_the_plain_scans_on_the_corpus() -> None:
    files = list(parsed(corpus_texts()))
    for _, facts in files:  # fill the caches with every file's instructions first
        for stage in facts.stages:
            runtime.chain_traits((stage,))
    for df, facts in files:
        assert_chain_scans_agree(facts)
        assert_traits_fresh(iter(df.all_instructions))


@fuzz_settings(300)
@given(texts)
def test_df301_chain_scans_agree_with_the_plain_scans(text: str) -> None:
    for df, facts in parsed([text]):
        assert_chain_scans_agree(facts)
        assert_traits_fresh(iter(df.all_instructions))


# The reference: a RUN's commands read and placed in one go, as before the placed reads were cached.


def reference_script_commands(
    script: Script, line_start: int, instr: Instruction | None, fallback: Span
) -> list[practices.RunCommand]:
    found = []
    for cmd in script.commands:
        argv = cmd.argv
        span = instr.offsets.span(line_start + cmd.start, line_start + cmd.end) if instr else fallback
        found.append(
            practices.RunCommand(practices.unwrap(argv), reference_command_word(argv), span, cmd.depth)
        )
    return found


def reference_command_word(argv: tuple[str, ...]) -> str:
    return next((word for word in argv if not practices._is_assignment(word)), "")


def reference_commands(instr: Instruction) -> tuple[tuple[practices.RunCommand, ...], Script | None] | None:
    if instr.is_json:
        argv = instr.values
        if not argv:
            return (), None
        script_text = practices._shell_c_script(argv)
        if script_text is None:
            return (
                practices.RunCommand(
                    practices.unwrap(argv), reference_command_word(argv), instr.args_span, 0
                ),
            ), None
        script = split_commands(script_text)
        if script is None:
            return None
        return tuple(reference_script_commands(script, 0, None, instr.args_span)), script
    if instr.heredocs:
        return None
    script = split_commands(instr.args)
    if script is None:
        return None
    return tuple(reference_script_commands(script, instr.args_start, instr, instr.args_span)), script


def reference_simple_commands(instr: Instruction) -> tuple[practices.RunCommand, ...]:
    found = reference_commands(instr)
    if found is not None:
        return found[0]
    if instr.is_json:
        script_text = practices._shell_c_script(instr.values)
        return tuple(practices.fallback_commands(script_text or "", 0, None, instr.args_span))
    return tuple(practices.fallback_commands(instr.args, instr.args_start, instr, instr.args_span))


def assert_commands_agree(df: Dockerfile) -> None:
    for instr in df.all_instructions:
        for node in (instr, instr.inner) if instr.inner else (instr,):
            assert practices.commands(node) == reference_commands(node)
            assert practices.simple_commands(node) == reference_simple_commands(node)


def shifted(text: str) -> str:
    """Return `text` with a line above everything (every instruction moves, none changes)."""
    return "# moved\n" + text if not text.startswith(("\ufeff", "#")) else text + "\nRUN true\n"


def test_commands_placed_from_cached_reads_agree_with_the_plain_reading_on_the_corpus() -> None:
    files = list(parsed(corpus_texts()))
    for df, _ in files:  # fill the caches (reads and placed commands) with every file first
        for instr in df.all_instructions:
            practices.simple_commands(instr)
    for df, _ in files:
        assert_commands_agree(df)
    for df, _ in parsed([shifted(df.text) for df, _ in files]):  # the reads, placed elsewhere
        assert_commands_agree(df)


@fuzz_settings(300)
@given(texts)
def test_commands_placed_from_cached_reads_agree_with_the_plain_reading(text: str) -> None:
    for df, _ in parsed([text, shifted(text)]):
        assert_commands_agree(df)


@given(st.text(st.sampled_from("ab =;&|#'\"\\$-"), max_size=30))
def test_command_word_shortcut_agrees_with_the_plain_scan(text: str) -> None:
    argv = tuple(text.split(" "))
    assert practices.command_word(argv) == reference_command_word(argv)


# The reference: suppression comments read from every instruction's lines, looked up by search.


def reference_suppressions(df: Dockerfile) -> tuple[bool, tuple[str, ...], tuple[object, ...]]:
    skip, file_wide, by_instr, pending = False, [], [], []  # type: ignore[var-annotated]
    for item in df.items:
        if isinstance(item, Directive):
            if item.name == "check":
                file_wide += check_directive_skips(item.value)
            continue
        if isinstance(item, Trivia) and item.is_comment:
            line = df.text[item.span.start : item.span.end].strip()
            if suppress._SKIP_RE.match(line):
                skip = True
            elif m := suppress._GLOBAL_RE.match(line):
                file_wide += suppress._words(m)
            elif m := suppress._IGNORE_RE.match(line):
                pending += suppress._words(m)
            continue
        if isinstance(item, Instruction):
            words = (*pending, *suppress._inner(df, item))
            if words:
                by_instr.append((item.span.start, item.span.end, words))
        pending = []
    return skip, tuple(file_wide), tuple(by_instr)


def reference_selectors_for(sup: suppress.Suppressions, offset: int) -> tuple[str, ...]:
    for start, end, words in sup.by_instruction:
        if start <= offset < end:
            return (*sup.file_wide, *words)
    return sup.file_wide


def assert_suppressions_agree(df: Dockerfile) -> None:
    sup = suppress.suppressions(df)
    assert tuple(sup) == reference_suppressions(df)
    for offset in {0, len(df.text), *(o for i in df.all_instructions for o in (*i.span, i.span.end - 1))}:
        assert sup.selectors_for(offset) == reference_selectors_for(sup, offset)


def test_suppressions_agree_with_the_plain_reading_on_the_corpus() -> None:
    for df, _ in parsed(corpus_texts()):
        assert_suppressions_agree(df)


ignores = st.sampled_from(
    ("# dffix: ignore=DF301\n", "# hadolint ignore=DL3008, DL3009\n", "  # dffix: skip-file\n", "# x\n")
)


@fuzz_settings(300)
@given(texts, st.lists(st.tuples(st.integers(0, 40), ignores), max_size=4))
def test_suppressions_agree_with_the_plain_reading(text: str, inserts: list[tuple[int, str]]) -> None:
    lines = text.splitlines(keepends=True)
    for at, comment in inserts:  # ignore comments above instructions and inside continuations
        lines.insert(min(at, len(lines)), comment)
    for df, _ in parsed(["".join(lines)]):
        assert_suppressions_agree(df)


# The reference: DF706 and DF709 reading each RUN's commands on every check, as before their
# answers were cached by the RUN's text.


def reference_masks_failure(instr: Instruction) -> bool:
    found = practices.commands(instr)
    script = found[1] if found else None
    if found is None or script is None:
        return False
    if any(c.argv and c.argv[0] == "set" and practices._sets_pipefail(c.argv) for c in found[0]):
        return False
    return practices._masking_pipe(script)


def reference_build_tools(instr: Instruction) -> tuple[Span, tuple[str, ...]] | None:
    cmds = practices.simple_commands(instr)
    for i, cmd in enumerate(cmds):
        tools = [p for p in practices.installed_packages(cmd.argv) or () if practices.is_build_tool(p)]
        if not tools or any(practices.removes_packages(c.argv) for c in cmds[i + 1 :]):
            continue
        return cmd.span, tuple(tools)
    return None


def assert_run_answers_agree(df: Dockerfile) -> None:
    for instr in df.all_instructions:
        if instr.kind != "RUN":
            continue
        shape = practices._text_shape(instr)
        assert practices._masks_failure(shape) is reference_masks_failure(instr)
        found = practices._build_tools(shape)
        placed = None if found is None else (practices.simple_commands(instr)[found[0]].span, found[1])
        assert placed == reference_build_tools(instr)


def test_run_answers_cached_by_text_agree_with_the_plain_reading_on_the_corpus() -> None:
    files = list(parsed(corpus_texts()))
    for df, _ in files:
        assert_run_answers_agree(df)
    for df, _ in parsed([shifted(df.text) for df, _ in files]):  # cached answers, placed elsewhere
        assert_run_answers_agree(df)


@fuzz_settings(300)
@given(texts)
def test_run_answers_cached_by_text_agree_with_the_plain_reading(text: str) -> None:
    for df, _ in parsed([text, shifted(text)]):
        assert_run_answers_agree(df)


def reference_unwrap(argv: tuple[str, ...]) -> tuple[str, ...]:
    i, n = 0, len(argv)
    while i < n:
        word = argv[i]
        if practices._is_assignment(word):
            i += 1
        elif practices.basename(word) in ("sudo", "env"):
            i += 1
            while i < n and (argv[i].startswith("-") or practices._is_assignment(argv[i])):
                i += 2 if argv[i] in practices._SUDO_ARG_OPTIONS else 1
        else:
            break
    rest = argv[i:]
    return (practices.basename(rest[0]), *rest[1:]) if rest else ()


words = st.lists(
    st.sampled_from(("sudo", "env", "-u", "x", "A=1", "/usr/bin/sudo", "/bin/ls", "a/b=c", "ls"))
)


@given(words)
def test_unwrap_shortcut_agrees_with_the_plain_loop(argv: list[str]) -> None:
    assert practices.unwrap(tuple(argv)) == reference_unwrap(tuple(argv))


def reference_apt_unwrap(argv: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    i = 0
    while i < len(argv):
        word = argv[i]
        wrapper = word.rsplit("/", 1)[-1] in apt._WRAPPERS
        if not (wrapper or apt._ASSIGNMENT_RE.match(word) or (i > 0 and word.startswith("-"))):
            break
        i += 1
    return argv[:i], argv[i:]


def reference_command_action(argv: tuple[str, ...]) -> apt.AptAction | None:
    _, rest = reference_apt_unwrap(argv)
    tool = rest[0].rsplit("/", 1)[-1] if rest else ""
    return apt.AptAction(tool, apt._subcommand(list(rest[1:]))) if tool in apt._TOOLS else None


apt_words = st.lists(
    st.sampled_from(
        (
            "sudo",
            "env",
            "nice",
            "-E",
            "-y",
            "x",
            "A=1",
            "=",
            "/usr/bin/sudo",
            "/usr/bin/apt-get",
            "apt-get",
            "apt",
            "install",
            "update",
            "a/b=c",
            "ls",
        )
    )
)


@given(apt_words)
def test_apt_unwrap_and_command_action_shortcuts_agree_with_the_plain_loop(argv: list[str]) -> None:
    words = tuple(argv)
    assert apt.unwrap(words) == reference_apt_unwrap(words)
    assert apt.command_action(Command((), 0, words)) == reference_command_action(words)


def test_apt_command_actions_agree_with_the_plain_loop_on_the_corpus() -> None:
    for df, _ in parsed(corpus_texts()):
        for instr in df.instructions("RUN"):
            script = None if instr.is_json or instr.heredocs else split_commands(instr.args)
            for cmd in script.commands if script is not None else ():
                assert apt.unwrap(cmd.argv) == reference_apt_unwrap(cmd.argv)
                assert apt.command_action(cmd) == reference_command_action(cmd.argv)


def test_per_instruction_shapes_agree_with_a_fresh_build_on_the_corpus() -> None:
    """Each module's `_shape` (built once per instruction object) against its plain build."""
    plain: dict[Callable[[Instruction], memo.Shape], Callable[[Instruction], tuple[object, ...]]] = {
        apt._shape: lambda i: (i.kind, i.is_json, i.values, i.args, tuple(h.content for h in i.heredocs)),
        practices._shape: lambda i: (
            i.is_json,
            i.values,
            bool(i.heredocs),
            i.args,
            i.args_start,
            i.args_span,
            i.offsets,
        ),
        deps_run._shape: lambda i: (
            tuple(f.text for f in i.flags),
            i.is_json,
            i.values,
            bool(i.heredocs),
            i.args,
        ),
    }
    for df, _ in parsed(corpus_texts()):
        for _ in range(2):  # the second round answers from the table
            for instr in df.all_instructions:
                for shape, key in plain.items():
                    made = shape(instr)
                    assert made.instr is instr
                    assert made.key == key(instr)
        memo.forget()
