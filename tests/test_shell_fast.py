"""The shell reader's shortcuts read every line as the character loops read it.

`shell.tokenize` reads most tokens with one regular expression and `shell._script`
skips the keyword checks inside a simple command (issue 14). Each test here compares
them with the reader as it was before (`tests/shell_reference.py`): the same tokens,
the same Script down to the types of its records, and None (or _Unsure) for the same
inputs, on the corpus, the fixtures, generated shell text and mutations of corpus RUNs.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from hypothesis import example, given, strategies as st

from dffix.syntax import Dockerfile, parse, shell
from tests import shell_reference as ref
from tests.corpus import corpus_files, decode
from tests.test_fuzz import fuzz_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

# Pieces of shell text where the regular expression and the loops could part: quotes,
# escapes, expansions, operators and redirections (with ASCII and other digits),
# keywords, comments, Unicode spaces, CRLF and lone surrogates.
PIECES = (
    *("a", "b", "x=1", "-", "--f=v", "é", "\udcff", "#", "a#b", "!", "name()", "()", "0", "12", "²", "٣"),
    *(" ", "  ", "\t", "\n", "\r\n", "\r", "\v", "\f", "\xa0", "\u3000", "\x1c", "\x85"),
    *("'", '"', "\\", "`", "$", "$(", "${", "$((", "))", ")", "}", "(", "{", "$x", "${x}", "$(x)", "`x`"),
    *('"$(x)"', '"${x:-y}"', "'a b'", '"a b"', '"\\""', "\\ ", "\\\n", '"$(a "b" c)"', "$(a 'b')"),
    *(
        '"x\\"',
        '\\"',
        "\\'",
        "$(a \\) b)",
        "${a\\}b}",
        "`a\\`b`",
        '"$(a "x\\")"',
        "'\\'",
        "${a$(})}",
        "$(a${)})",
    ),
    *("&&", "||", ";", ";;", "|", "|&", "&", "<", ">", ">>", "<<", "<<<", "<&", ">&", "<>", ">|"),
    *("&>", "&>>", "2>", "2>&1", ">&-", "2>>", "<(", ">(", "1²>", "0<&-", "<<-EOF", "> x", ">x"),
    *("if", "then", "elif", "else", "fi", "for", "in", "do", "done", "while", "until", "select"),
    *("case", "esac", "function", "coproc", "[[", "((", "{", "}"),
)
shell_text = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)
characters = st.text(st.sampled_from(" \t\n;&|()<>#\\'\"`${}=ab0²-"), max_size=40)


def same(line: str) -> None:
    """Assert tokenize and split_commands give the reference's values, records and types."""
    try:
        tokens: list[shell.Token] | None = shell.tokenize(line)
    except shell._Unsure:
        tokens = None
    try:
        expected: list[shell.Token] | None = ref.tokenize(line)
    except ref._Unsure:
        expected = None
    assert tokens == expected
    for token in tokens or ():
        assert type(token) is shell.Token and type(token.kind) is shell.Kind
    script = shell.split_commands.__wrapped__(line)
    assert script == ref.split_commands(line)
    if script is not None:
        assert type(script) is shell.Script
        for command in script.commands:
            assert type(command) is shell.Command and type(command.argv) is tuple
            assert all(type(t) is shell.Token for t in command.tokens)
        assert all(type(t) is shell.Token for t in script.operators)


def run_texts(texts: list[str]) -> list[str]:
    """Return every instruction's arguments (ONBUILD's inner ones too) of each parsable text."""
    found: list[str] = []
    for text in texts:
        df = parse(text)
        if isinstance(df, Dockerfile):
            for instr in df.all_instructions:
                found.extend(node.args for node in (instr, instr.inner) if node is not None)
    return found


def test_corpus_instructions_read_as_the_loops_read_them() -> None:
    texts = run_texts([decode(path.read_bytes()) for path in corpus_files()])
    for line in texts:
        same(line)


def test_fixture_instructions_read_as_the_loops_read_them() -> None:
    paths = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and "Dockerfile" in p.name)
    assert paths
    for line in run_texts([decode(path.read_bytes()) for path in paths]):
        same(line)


@fuzz_settings(2000)
@given(st.one_of(shell_text, characters))
@example("echo 1²>x")  # `²` is a digit to str.isdigit: a redirection, not the word `1²`
@example("a\\ b$(x")  # an escaped space must not end the word early
@example('x="$(a)"b"${c}" d')
@example("> ;")  # a redirection's target is the empty word after its spaces
@example("cat <(ls)")
@example("${a$(})}")  # a `}` inside the `$( )` inside `${ }` does not close it
@example("<&$(())")  # `<&` with a target the expression leaves to the loops: not `<` then `&`
@example("a\\")
@example('"$(a "x\\")"')  # an escaped quote inside a quoted string inside `$( )`
def test_generated_shell_reads_as_the_loops_read_it(line: str) -> None:
    same(line)


@cache
def corpus_runs() -> list[str]:
    return [line for line in run_texts([decode(p.read_bytes()) for p in corpus_files()[::7]]) if line]


@fuzz_settings(500)
@given(st.data())
def test_mutated_corpus_runs_read_as_the_loops_read_them(data: st.DataObject) -> None:
    runs = corpus_runs()
    if not runs:
        return
    line = data.draw(st.sampled_from(runs))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(line)))
        if data.draw(st.booleans()):
            line = line[:at] + data.draw(st.sampled_from(PIECES)) + line[at:]
        else:
            line = line[:at] + line[at + data.draw(st.integers(1, 5)) :]
    same(line)


@fuzz_settings(1000)
@given(st.one_of(shell_text, st.text(st.sampled_from("ab $\\'\"`\n"), max_size=20)))
def test_words_are_unquoted_as_the_loop_unquotes_them(word: str) -> None:
    assert shell.unquote(word) == ref.unquote(word)
