"""dffix.jsontext answers as json does, for the strings and string arrays of the exec form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from dffix.jsontext import quoted, string_array
from tests.helpers import loaded_by_a_diff
from tests.test_fuzz import fuzz_settings


def _json_answer(text: str) -> tuple[tuple[str, ...], int] | str:
    """What json.JSONDecoder().raw_decode says of text: an array of strings, or not."""
    try:
        value, end = json.JSONDecoder().raw_decode(text)
    except ValueError:
        return "not JSON"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value), end
    return "other JSON"


def _check(text: str) -> None:
    mine, theirs = string_array(text), _json_answer(text)
    if mine is not None:
        assert mine == theirs, text
    elif text.startswith("["):
        # Left to json: never an array of strings json reads, unless its spacing or
        # escapes are ones string_array does not read (none: every such case is here).
        assert not isinstance(theirs, tuple), text


_PIECES = st.sampled_from(
    [
        '"a"',
        '"\\u00e9"',
        '"\\ud800"',
        '"\\n"',
        '"\n"',
        '"',
        ",",
        " ",
        "\t",
        "\r\n",
        "]",
        "[",
        "1",
        "{}",
        "x",
        "\\",
        "é",
    ]
)


@fuzz_settings(500)
@given(st.lists(_PIECES, max_size=8).map(lambda parts: "[" + "".join(parts)))
def test_string_array_answers_as_json_does(text: str) -> None:
    _check(text)


@fuzz_settings(300)
@given(st.lists(st.text(max_size=6), max_size=4), st.sampled_from(["", " ", "\t\n", "x", "]"]))
def test_an_array_json_writes_reads_back(values: list[str], tail: str) -> None:
    text = json.dumps(values, ensure_ascii=False) + tail
    assert string_array(text) == (tuple(values), len(text) - len(tail))
    _check(json.dumps(values, indent=1))


@pytest.mark.parametrize(
    "text", ["[]", "[ ]", '["a",]', '["a" "b"]', "[ -f x ]", '["a", 1]', "[", '["\\x"]', '["a"]]']
)
def test_string_array_on_the_edges(text: str) -> None:
    _check(text)


@fuzz_settings(300)
@given(st.text())
def test_quoted_is_json_dumps(text: str) -> None:
    assert quoted(text) == json.dumps(text, ensure_ascii=False)


def test_a_diff_of_an_exec_form_file_never_imports_json(tmp_path: Path) -> None:
    text = (
        "FROM python:3.12\nRUN apt-get update && apt-get install -y gcc\nCOPY . /app\n"
        'CMD python /app/main.py\nENTRYPOINT ["python", "-m", "app"]\n'
    )
    assert loaded_by_a_diff(tmp_path, text, ("json",)) == []
