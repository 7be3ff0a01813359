"""`words.shell_words`, one regular expression, splits every line the way its character
loop did (kept in tests/parser_reference.py as the reference).

The parser finds heredoc names with it and the practices rules' word scan reads the lines
the shell reader gives up on, so the two must agree on every line: generated ones (quotes,
backslashes, Go's spaces, unterminated quotes) and every line and value of the corpus.
"""

from __future__ import annotations

from hypothesis import example, given, strategies as st

from dffix.syntax import Dockerfile, parse, words as w
from tests import parser_reference
from tests.test_rules_fast import corpus_texts

lines = st.text(st.sampled_from("ab dc<-;&|#'\"\\$\t\n\x85\xa0\u3000\u1680\x1c=\u212a"), max_size=40)


@given(lines)
@example("\\")
@example('a"b\\"c" d')
@example("'unclosed x")
@example('"\\\\" x')
@example('"a\\')
@example("a\\\u3000b")
@example('cat <<"EO F" x')
def test_shell_words_agrees_with_the_character_loop(line: str) -> None:
    assert w.shell_words(line) == parser_reference.shell_words(line)


def test_shell_words_gives_words_with_their_offsets() -> None:
    assert w.shell_words(" cat <<\"E O\" 'a b'\\ c ") == [
        w.Word("cat", 1, 4),
        w.Word('<<"E O"', 5, 12),
        w.Word("'a b'\\ c", 13, 21),
    ]


def test_shell_words_agrees_with_the_character_loop_on_the_corpus() -> None:
    seen = 0
    for text in corpus_texts():
        df = parse(text)
        if not isinstance(df, Dockerfile):
            continue
        for instr in df.all_instructions:
            for line in (instr.args, instr.line, *instr.values):
                assert w.shell_words(line) == parser_reference.shell_words(line)
                seen += 1
    assert seen > 1000


@given(st.text(alphabet=w.GO_SPACES + "\x1c\x1d\x1e\x1fab=\u3000\u200b", max_size=12))
def test_go_split_is_the_split_on_runs_of_go_spaces(text: str) -> None:
    import re

    assert w.go_split(text) == [p for p in re.split(f"[{re.escape(w.GO_SPACES)}]+", text) if p]


def test_go_split_keeps_the_characters_only_python_calls_spaces() -> None:
    assert w.go_split(" a\x1cb \u3000c\x85") == ["a\x1cb", "c"]
    assert "\x1c".isspace() and not w.is_space("\x1c")
