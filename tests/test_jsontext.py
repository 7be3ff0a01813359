"""dffix.jsontext answers as json does, for the strings and string arrays of the exec form."""

from __future__ import annotations

import json
import subprocess
import sys
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


@pytest.mark.parametrize("text", ['["a\\q"]', '["a\tb"]', '["abc', '["C:\\app\\x.exe"]', '["\\ud800\\u12"]'])
def test_a_string_json_refuses_is_left_to_json_in_a_process_without_json(text: str) -> None:
    """_json raises json's own error class, which it finds only once json is loaded."""
    code = (
        "import sys; from dffix.jsontext import string_array; "
        "assert 'json' not in sys.modules; print(string_array(sys.argv[1]))"
    )
    done = subprocess.run([sys.executable, "-c", code, text], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, "None\n"), done.stderr


def test_a_file_with_a_broken_json_string_is_read_as_shell_form(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text('FROM alpine:3.20\nENTRYPOINT ["C:\\app\\x.exe"]\n')
    done = subprocess.run(
        [sys.executable, "-m", "dffix", "--check", "--select", "DF401", "Dockerfile"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "bug" not in done.stderr, done.stderr
    assert "it starts with `[` but is not a valid JSON array" in done.stdout


@fuzz_settings(300)
@given(st.lists(st.text(max_size=6), max_size=5))
def test_json_array_reads_back_as_its_strings(values: list[str]) -> None:
    """What the fixes write (facts.json_array): JSON that holds exactly the words, whatever they hold."""
    from dffix.facts import json_array

    assert json.loads(json_array(values)) == values
    assert json_array(values) == json.dumps(values, ensure_ascii=False)
