"""The practices, style and image rules' shortcuts give what the plain computation gives.

The rules that look for one command (`sudo`, `cd`, `supervisord`, a build tool) skip the
RUNs whose text cannot hold it, read the commands without placing them in the source and
place only the one they report; the word scan of the lines the shell reader gives up on
is one regular expression. Each test computes the same answer the way it was computed
before (kept here as the reference) and compares, on the corpus (as written, as fixed
and moved by a line) and on generated and mutated files.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import example, given, strategies as st

from dffix import memo
from dffix.rules import buildable, practices, style
from dffix.syntax import Dockerfile, parse, words as w
from dffix.syntax.shell import Script, unquote
from dffix.syntax.tree import Instruction, Span
from tests import parser_reference
from tests.test_fuzz import fuzz_settings
from tests.test_rules_fast import corpus_texts, shifted, texts


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    """Leave the file caches empty, as the command line does after each file."""
    yield
    memo.forget()


def _files(sources: list[str] | tuple[str, ...]) -> Iterator[Dockerfile]:
    for text in sources:
        df = parse(text)
        if isinstance(df, Dockerfile):
            yield df


def _nodes(df: Dockerfile) -> Iterator[Instruction]:
    for instr in df.all_instructions:
        yield instr
        if instr.inner is not None:
            yield instr.inner


# The reference: each rule's question asked of the placed commands of every instruction.


def reference_sudo(instr: Instruction) -> Span | None:
    found = next(
        (c for c in practices.simple_commands(instr) if practices.basename(c.raw_name) == "sudo"), None
    )
    return found.span if found else None


def reference_cd(instr: Instruction) -> Span | None:
    found = next((c for c in practices.simple_commands(instr) if c.argv and c.argv[0] == "cd"), None)
    return found.span if found else None


def reference_supervisor(instr: Instruction) -> tuple[Span | None, bool]:
    found = practices.commands(instr)
    cmds, script = found if found is not None else (practices.simple_commands(instr), None)
    sup = next((c for c in cmds if c.argv and c.argv[0] in practices._SUPERVISORS), None)
    background = script is not None and any(op.text == "&" for op in script.operators)
    return (sup.span if sup else None), background


def reference_build_tools(instr: Instruction) -> tuple[Span, tuple[str, ...]] | None:
    cmds = practices.simple_commands(instr)
    for i, cmd in enumerate(cmds):
        tools = [p for p in practices.installed_packages(cmd.argv) or () if practices.is_build_tool(p)]
        if tools and not any(practices.removes_packages(c.argv) for c in cmds[i + 1 :]):
            return cmd.span, tuple(tools)
    return None


def fast_sudo(instr: Instruction) -> Span | None:
    if not practices.may_hold(instr, "sudo"):
        return None
    reads = practices.simple_reads(instr)
    found = next((c for c in reads if practices.basename(c.raw_name) == "sudo"), None)
    return practices._place(instr, found) if found else None


def fast_cd(instr: Instruction) -> Span | None:
    if not practices.may_hold(instr, "cd"):
        return None
    found = next((c for c in practices.simple_reads(instr) if c.argv and c.argv[0] == "cd"), None)
    return practices._place(instr, found) if found else None


def fast_build_tools(instr: Instruction) -> tuple[Span, tuple[str, ...]] | None:
    if not practices._may_name_build_tool(instr):
        return None
    found = practices._build_tools(practices._text_shape(instr))
    if found is None:
        return None
    return practices._place(instr, practices.simple_reads(instr)[found[0]]), found[1]


def assert_answers_agree(df: Dockerfile) -> None:
    for instr in _nodes(df):
        reads, placed = practices.simple_reads(instr), practices.simple_commands(instr)
        assert [(r.argv, r.raw_name, r.depth) for r in reads] == [
            (c.argv, c.raw_name, c.depth) for c in placed
        ]
        assert [practices._place(instr, r) for r in reads] == [c.span for c in placed]
        assert fast_sudo(instr) == reference_sudo(instr)
        assert fast_cd(instr) == reference_cd(instr)
        assert fast_build_tools(instr) == reference_build_tools(instr)
        sup, background = reference_supervisor(instr)
        if sup is not None or background:  # DF708's text test lets through what it must read
            assert practices.may_hold(instr, "supervisord") or "&" in practices._read_text(instr)


def test_rule_answers_from_unplaced_reads_agree_with_the_placed_commands_on_the_corpus() -> None:
    files = list(_files(corpus_texts()))
    for df in files:  # fill the caches with every file first
        for instr in _nodes(df):
            practices.simple_reads(instr)
    for df in files:
        assert_answers_agree(df)
    for df in _files([shifted(df.text) for df in files]):  # the reads, placed elsewhere
        assert_answers_agree(df)


@fuzz_settings(300)
@given(texts)
def test_rule_answers_from_unplaced_reads_agree_with_the_placed_commands(text: str) -> None:
    for df in _files([text, shifted(text)]):
        assert_answers_agree(df)


words_of = st.text(st.sampled_from("ab dc sudo;&|#'\"\\$-\t\n\x85\u3000/=\u212a"), max_size=40)


@given(words_of)
@example("su'do' x")
@example('s"u"\\do "a \\" b" \'x')
@example("a\\")
@example('"a\\')
def test_may_hold_is_false_only_when_no_command_word_holds_the_word(text: str) -> None:
    for df in _files([f"FROM a\nRUN {text}\n", f"FROM a\nCMD {text}\n"]):
        for instr in df.all_instructions[1:]:
            for word in ("sudo", "cd", "d"):
                if not practices.may_hold(instr, word):
                    held = [x for c in practices.simple_commands(instr) for x in (*c.argv, c.raw_name)]
                    assert not any(word in x for x in held), (text, word)


tool_words = st.lists(
    st.sampled_from(
        (
            *("apt-get", "install", "apk", "add", "yum", "-y", "G'CC'", "g\\++", "libssl-DEV", "cmake=3"),
            *("x", "Build-Base", "&&", "make", '"clang"', "gcc-c++", "alpine-sdk", "sudo", "python3-devel"),
        )
    ),
    max_size=8,
)


@given(tool_words)
def test_build_tool_text_test_is_false_only_when_no_command_installs_one(argv: list[str]) -> None:
    for df in _files([f"FROM a\nRUN {' '.join(argv)}\n", f"FROM a\nRUN {json_array(argv)}\n"]):
        for instr in df.all_instructions[1:]:
            if not practices._may_name_build_tool(instr):
                for cmd in practices.simple_commands(instr):
                    assert not any(map(practices.is_build_tool, practices.installed_packages(cmd.argv) or ()))


def json_array(words: list[str]) -> str:
    return "[" + ", ".join('"' + x.replace("\\", "\\\\").replace('"', '\\"') + '"' for x in words) + "]"


# The reference: DF706's pipe test as it was, each command's bounds read per operator.


def reference_masking_pipe(script: Script) -> bool:
    cmds = script.commands
    for op in script.operators:
        if op.text not in ("|", "|&"):
            continue
        before = [c for c in cmds if c.end <= op.start]
        after = [c for c in cmds if c.start >= op.end]
        left = before[-1] if before else None
        right = after[0] if after else None
        if not ((left and left.depth == 0) or (right and right.depth == 0)):
            continue
        between = [o for o in script.operators if left and left.end <= o.start < op.start]
        if left is None or between or left.depth != 0 or left.name not in practices._SAFE_PRODUCERS:
            return True
    return False


def assert_pipes_agree(df: Dockerfile) -> None:
    for instr in _nodes(df):
        found = practices.commands(instr)
        if found is not None and found[1] is not None:
            assert practices._masking_pipe(found[1]) is reference_masking_pipe(found[1])


def test_masking_pipe_agrees_with_the_plain_scan_on_the_corpus() -> None:
    for df in _files(corpus_texts()):
        assert_pipes_agree(df)


pipelines = st.lists(
    st.sampled_from(
        ("echo x", "curl -f u", "true", "(", ")", "|", "|&", "&&", ";", "||", "if x; then", "fi", "a=1")
    ),
    max_size=12,
)


@given(pipelines)
def test_masking_pipe_agrees_with_the_plain_scan(parts: list[str]) -> None:
    for df in _files([f"FROM a\nRUN {' '.join(parts)}\n"]):
        assert_pipes_agree(df)


# The reference: DF710's name test without its text search first.


def reference_looks_secret(name: str) -> bool:
    words = practices.name_words(name)
    if any(word in practices._NOT_SECRET_WORDS for word in words):
        return False
    if any(word in practices._SECRET_WORDS for word in words):
        return True
    return any(a in practices._KEY_QUALIFIERS and b in ("key", "keys") for a, b in itertools.pairwise(words))


names = st.lists(
    st.sampled_from(
        ("API", "Key", "key", "KEYS", "PASSWORD", "passWd", "_", "-", ".", "Token", "x", "1", "\u212a")
    ),
    max_size=6,
).map("".join)


@given(names)
@example("AWS_SECRET_ACCESS_KEY")
@example("dbPassword_FILE")
def test_looks_secret_agrees_with_the_plain_word_test(name: str) -> None:
    assert practices.looks_secret(name) is reference_looks_secret(name)


def test_looks_secret_agrees_with_the_plain_word_test_on_the_corpus() -> None:
    for df in _files(corpus_texts()):
        for instr in df.all_instructions:
            if instr.kind in ("ARG", "ENV"):
                for name in practices._arg_env_names(instr):
                    assert practices.looks_secret(name) is reference_looks_secret(name)


# The reference: DF604's legacy test reading every word of the arguments.


def reference_legacy_words(args: str, escape: str) -> bool:
    words = w.parse_words(args, escape)
    return bool(words) and "=" not in words[0]


@given(st.text(st.sampled_from("ab= \t\u3000\x85\\`'\"\n"), max_size=16), st.sampled_from("\\`"))
@example("\\", "\\")
@example("  `", "`")
@example("\\ a=b", "\\")
@example("a b=c", "\\")
@example("=a", "\\")
def test_legacy_words_shortcut_agrees_with_the_word_split(args: str, escape: str) -> None:
    assert style._legacy_words.__wrapped__(args, escape) is reference_legacy_words(args, escape)


def test_legacy_words_shortcut_agrees_with_the_word_split_on_the_corpus() -> None:
    for df in _files(corpus_texts()):
        for instr in _nodes(df):
            for args in (instr.args, *instr.values):
                assert style._legacy_words.__wrapped__(args, df.escape) is reference_legacy_words(
                    args, df.escape
                )


def test_count_problem_has_nothing_to_say_outside_the_counted_kinds() -> None:
    for df in _files(corpus_texts()):
        for instr in _nodes(df):
            if instr.kind not in buildable._COUNTED:
                assert buildable._count_problem(instr) is None


@fuzz_settings(300)
@given(texts)
def test_count_problem_has_nothing_to_say_outside_the_counted_kinds_generated(text: str) -> None:
    for df in _files([text]):
        for instr in _nodes(df):
            if instr.kind not in buildable._COUNTED:
                assert buildable._count_problem(instr) is None


# The reference: the cautious word scan as it was, over the shell word split's character loop.


def reference_fallback_reads(line: str) -> list[tuple[tuple[str, ...], str, int, int, int]]:
    found: list[tuple[tuple[str, ...], str, int, int, int]] = []
    current: list[w.Word] = []

    def flush(strip: str = "") -> None:
        if current:
            argv = tuple(unquote(x.value) for x in current)
            if strip:
                argv = (*argv[:-1], argv[-1][: -len(strip)])
            found.append(
                (practices.unwrap(argv), practices.command_word(argv), current[0].start, current[-1].end, 0)
            )
            current.clear()

    for word in parser_reference.shell_words(line):
        text = word.value
        if text.startswith("#"):
            break
        if text in practices._OPERATOR_WORDS or (not current and text in practices._KEYWORDS):
            flush()
            continue
        current.append(word)
        glued = next((g for g in practices._GLUED if text.endswith(g)), None)
        if glued and text != glued and not text.endswith("\\;"):
            flush(glued)
    flush()
    return found


scan_lines = st.lists(
    st.sampled_from(
        ("a", "sudo", "A=1", "/bin/x", "env", " ", ";", "&&", "|", "&", "#", "'", '"', "\\", "if", "(", "x;")
    ),
    max_size=20,
).map("".join)


@given(scan_lines)
@example("a\\; b")
@example("x&& sudo y || z|")
def test_fallback_reads_agree_with_the_plain_scan(line: str) -> None:
    assert [tuple(r) for r in practices._fallback_reads(line)] == reference_fallback_reads(line)


def test_fallback_reads_agree_with_the_plain_scan_on_the_corpus() -> None:
    for df in _files(corpus_texts()):
        for instr in _nodes(df):
            for line in (instr.args, *instr.values):
                assert [tuple(r) for r in practices._fallback_reads(line)] == reference_fallback_reads(line)
