"""The cautious RUN reader: unit cases, and agreement with tree-sitter-bash on the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from dffix.syntax import Dockerfile, parse
from dffix.syntax.shell import Kind, split_commands, unquote
from tests.corpus import corpus_files, corpus_params, decode


def names(line: str) -> list[str | None]:
    script = split_commands(line)
    assert script is not None
    return [c.name for c in script.commands]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("apt-get update && apt-get install -y curl", ["apt-get", "apt-get"]),
        ("a; b | c || d & e", ["a", "b", "c", "d", "e"]),
        ("echo \"a && b\" 'c; d' $(x && y) `z; w`", ["echo"]),
        ("FOO=1 BAR=2 make install", ["make"]),
        ("if [ -f x ]; then rm x; else touch x; fi; echo ok", ["[", "rm", "touch", "echo"]),
        ("for f in a b; do echo $f; done", ["echo"]),
        ("cmd >/dev/null 2>&1 && other <in", ["cmd", "other"]),
        ("( cd /x && make ) && echo", ["cd", "make", "echo"]),
    ],
)
def test_command_names(line: str, expected: list[str]) -> None:
    assert names(line) == expected


def test_depth_and_top_end() -> None:
    script = split_commands("if a; then b; fi; c # note")
    assert script is not None
    assert [c.depth for c in script.commands] == [1, 1, 0]
    assert script.comment is not None and script.comment.text == "# note"
    assert script.top_end == len("if a; then b; fi; c")
    assert not script.is_flat


def test_trailing_separator_is_reported() -> None:
    script = split_commands("apt-get install -y x;")
    assert script is not None and script.trailing is not None
    assert script.trailing.text == ";"
    assert script.top_end == len("apt-get install -y x")


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("case $x in a) b;; esac", id="case"),
        pytest.param("f() { echo; }", id="function"),
        pytest.param("cat <<EOF", id="heredoc"),
        pytest.param("echo 'unterminated", id="open quote"),
        pytest.param("echo $(oops", id="open substitution"),
        pytest.param("a &&", id="dangling operator"),
        pytest.param("fi", id="stray closer"),
        pytest.param("diff <(a) <(b)", id="process substitution"),
        pytest.param("[[ a && b ]]", id="double brackets"),
    ],
)
def test_unsure_gives_none(line: str) -> None:
    assert split_commands(line) is None


def test_redirect_tokens() -> None:
    script = split_commands("make 2> err.log")
    assert script is not None
    kinds = [t.kind for t in script.commands[0].tokens]
    assert kinds == [Kind.WORD, Kind.REDIRECT]
    assert script.commands[0].args == ()


@pytest.mark.parametrize(
    ("word", "plain"),
    [("'a b'", "a b"), ('"a\\"b"', 'a"b'), ("a\\ b", "a b"), ('"$x"', "$x"), ("'a\\b'", "a\\b")],
)
def test_unquote(word: str, plain: str) -> None:
    assert unquote(word) == plain


# -- agreement with tree-sitter-bash, the reference shell grammar (test-only) ----------

_COMMAND_NODES = {"command", "declaration_command", "unset_command", "test_command"}


def _ts_command_starts(parser: object, line: str) -> list[int] | None:
    tree = parser.parse(line.encode())  # type: ignore[attr-defined]
    if tree.root_node.has_error:
        return None
    starts: list[int] = []

    def walk(node: object, inside_substitution: bool) -> None:
        kind = node.type  # type: ignore[attr-defined]
        if kind in ("command_substitution", "process_substitution"):
            inside_substitution = True
        if not inside_substitution and kind in _COMMAND_NODES:
            starts.append(node.start_byte)  # type: ignore[attr-defined]
            return
        if not inside_substitution and kind == "variable_assignment":
            parent = node.parent  # type: ignore[attr-defined]
            if parent is not None and parent.type not in _COMMAND_NODES | {"variable_assignments"}:
                starts.append(node.start_byte)  # type: ignore[attr-defined]
                return
        if not inside_substitution and kind == "variable_assignments":
            starts.append(node.start_byte)  # type: ignore[attr-defined]
            return
        for child in node.children:  # type: ignore[attr-defined]
            walk(child, inside_substitution)

    walk(tree.root_node, False)
    return sorted(starts)


@pytest.fixture(scope="module")
def ts_parser() -> object:
    ts = pytest.importorskip("tree_sitter")
    tsb = pytest.importorskip("tree_sitter_bash")
    return ts.Parser(ts.Language(tsb.language()))


@pytest.mark.parametrize("path", corpus_params())
def test_commands_agree_with_tree_sitter(path: Path, ts_parser: object) -> None:
    df = parse(decode(path.read_bytes()))
    if not isinstance(df, Dockerfile):
        pytest.skip("not a Dockerfile BuildKit accepts")
    for instr in df.instructions("RUN"):
        line = instr.args
        if instr.is_json or instr.heredocs or not line.isascii():
            continue
        script = split_commands(line)
        if script is None:
            continue
        expected = _ts_command_starts(ts_parser, line)
        if expected is None:
            continue  # tree-sitter cannot read it either
        assert sorted(c.start for c in script.commands) == expected, line


def test_the_plain_word_shortcut_reads_what_the_full_pattern_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    # The tokenizer's first alternative only takes a shortcut for plain ASCII words: with
    # it made to never match (the group kept, so the numbering stays), every line of the
    # corpus and of a random sample over the characters that matter reads the same.
    import random
    import re

    from dffix.syntax import shell

    assert shell._PLAIN_WORD in shell._TOKEN.pattern
    without = re.compile(shell._TOKEN.pattern.replace(shell._PLAIN_WORD, "((?!))", 1))

    def tokens(line: str) -> object:
        try:
            return shell.tokenize(line)
        except shell._Unsure:
            return "unsure"

    rnd = random.Random(7)
    alphabet = "ab09 \t\n;&|()<>\\'\"`$#{}=-_./~!*?[]%é\u3000\x85"
    lines = ["".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12))) for _ in range(20_000)]
    lines += [
        "apt-get install -y curl>/dev/null 2>&1",
        "a#b #c",
        "x=1 y=$z 2>err 9<in",
        "12é ab",
        "echo a>b",
        "cat <(ls)",
    ]
    for path in corpus_files():  # none without ../shared/corpus: the sample still runs
        df = parse(decode(path.read_bytes()))
        if isinstance(df, Dockerfile):
            lines += [i.args for i in df.instructions("RUN")]
    fast = [tokens(line) for line in lines]
    monkeypatch.setattr(shell, "_TOKEN", without)
    assert [tokens(line) for line in lines] == fast
