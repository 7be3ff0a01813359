"""The unified diff dffix prints with --diff."""

from __future__ import annotations

import difflib

from dffix.diff import split_lines, unified_diff


def _long_file(lines: list[str]) -> str:
    # Over 200 lines with many blank ones: difflib's junk heuristic kicks in there.
    body = "".join(f"RUN echo {n}\n\n" for n in range(150))
    return body + "".join(lines)


def test_unchanged_blank_lines_are_context_in_a_long_file() -> None:
    old = _long_file(["ENV A 1\n", "ENV B 2\n", "\n", "ENV C 3\n", "\n", "RUN true\n"])
    new = _long_file(["ENV A=1\n", "ENV B=2\n", "\n", "ENV C=3\n", "\n", "RUN true\n"])
    diff = unified_diff(old, new, "Dockerfile")
    changed = [line for line in diff.splitlines()[2:] if line[:1] in "+-"]
    assert changed == ["-ENV A 1", "-ENV B 2", "+ENV A=1", "+ENV B=2", "-ENV C 3", "+ENV C=3"]


def test_same_hunks_as_difflib_when_no_line_is_junk() -> None:
    old = "FROM a\nRUN x\n\nCMD y\n"
    new = "FROM a\nRUN z\n\nCMD y\nUSER u\n"
    expected = "".join(difflib.unified_diff(split_lines(old), split_lines(new), "a/Df", "b/Df"))
    assert unified_diff(old, new, "Df") == expected


def test_insertion_at_the_start_and_deletion_to_nothing() -> None:
    assert unified_diff("", "FROM a\n", "Df") == "--- a/Df\n+++ b/Df\n@@ -0,0 +1 @@\n+FROM a\n"
    assert (
        unified_diff("FROM a\nRUN b\n", "", "Df") == "--- a/Df\n+++ b/Df\n@@ -1,2 +0,0 @@\n-FROM a\n-RUN b\n"
    )


def test_equal_texts_give_no_diff() -> None:
    assert unified_diff("FROM a\n", "FROM a\n", "Df") == ""
