"""`suppress.suppressions` answers a file that names neither dffix nor hadolint at once;
it gives what reading every comment gives (`suppress._read`) on every file."""

from __future__ import annotations

import re
import sys

from hypothesis import example, given, strategies as st

from dffix import suppress
from dffix.syntax import Dockerfile, parse
from tests.test_fuzz import fuzz_settings
from tests.test_rules_fast import corpus_texts, texts


def _agree(text: str) -> None:
    df = parse(text)
    if isinstance(df, Dockerfile):
        assert suppress.suppressions(df) == suppress._read(df)


def test_the_shortcut_agrees_with_reading_every_comment_on_the_corpus() -> None:
    for text in corpus_texts():
        _agree(text)


def test_only_two_characters_match_the_names_letters_that_lower_does_not_give() -> None:
    # The shortcut looks for the names in str.lower()'s text and for these two apart:
    # re.IGNORECASE, which the comments are read with, must match nothing else.
    letters = re.compile("[dfixhaolnt]", re.IGNORECASE)
    odd = [
        c
        for c in map(chr, range(sys.maxunicode + 1))
        if letters.fullmatch(c) and c.lower() not in "dfixhaolnt"
    ]
    assert odd == list(suppress._FOLDS_TO_I)


comments = st.lists(
    st.sampled_from(
        (
            "# hadolint ignore=DL3020\n",
            "# dffix: ignore=DF201\n",
            "# DFFİX: ignore=DF201\n",  # re.IGNORECASE takes İ for i
            "# dff\u0131x: global ignore=DF201\n",  # and the dotless i
            "# dffix: skip-file\n",
            "# check=skip=JSONArgsRecommended\n",
            "# syntax=docker/dockerfile:1\n",
            "RUN a \\\n# hadolint ignore=DL3008\n  b\n",
            "ADD a /b\n",
            "# plain\n",
            "\n",
        )
    ),
    max_size=5,
).map("".join)


@fuzz_settings(300)
@given(texts, comments, st.booleans())
@example("FROM a\n", "# DFFİX: ignore=DF201\n", False)
@example("FROM a\n", "# check=skip=JSONArgsRecommended\n", True)
def test_the_shortcut_agrees_with_reading_every_comment(text: str, extra: str, first: bool) -> None:
    _agree(extra + text if first else text + "\n" + extra)
