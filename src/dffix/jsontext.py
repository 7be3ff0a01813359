"""JSON strings for the exec form, without the json package on the start-up path.

Importing `json` costs 1.3-2.1 ms of every start (its decoder, encoder and scanner, six
patterns compiled at import), and a Dockerfile needs only strings: quoting one, and
reading an array of them. Both are json's own C functions (`_json`), so the text is the
same: `quoted(s)` is `json.dumps(s, ensure_ascii=False)`, and `string_array` answers
what `json.JSONDecoder().raw_decode` answers for an array of strings. Anything else
(`[1]`, `["a", {}]`, broken JSON) it leaves to the caller's json, which loads only then;
`loads` is `json.loads`, for the files a rule reads from the build context.
"""

from __future__ import annotations

from _json import encode_basestring as _quote, scanstring as _scan  # what json itself calls

_SPACE = " \t\n\r"  # JSON's whitespace


def loads(text: str) -> object:
    """`json.loads(text)`, importing json at the first call (a package.json, a composer.json)."""
    import json

    return json.loads(text)


def quoted(text: str) -> str:
    """`json.dumps(text, ensure_ascii=False)`: the string in double quotes, escaped."""
    return _quote(text)


def string_array(text: str) -> tuple[tuple[str, ...], int] | None:
    """Read the JSON array of strings `text` starts with: its strings and where it ends.

    None for anything else: text that does not start with `[`; an array holding anything
    but strings (`[1]`, `[[]]`, `["a", {}]`); a broken one (`["a",]`, `["a" "b"]`, `["`);
    a string json refuses (a bad escape, a raw control character). Whether that is JSON
    at all is then json's answer to give.
    """
    if not text.startswith("["):
        return None
    i = _after_space(text, 1)
    values: list[str] = []
    if text[i : i + 1] == "]":
        return (), i + 1
    while text[i : i + 1] == '"':
        try:
            value, i = _scan(text, i + 1, True)
        except (ValueError, SystemError):
            # A string json refuses. _json raises json.decoder's JSONDecodeError, and
            # only finds it when json is loaded: else it fails with a SystemError.
            return None
        values.append(value)
        i = _after_space(text, i)
        if text[i : i + 1] == "]":
            return tuple(values), i + 1
        if text[i : i + 1] != ",":
            return None
        i = _after_space(text, i + 1)
    return None


def _after_space(text: str, i: int) -> int:
    """The index of the first character at or after `i` that is not JSON whitespace."""
    n = len(text)
    while i < n and text[i] in _SPACE:
        i += 1
    return i
