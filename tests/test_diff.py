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


def test_only_a_newline_ends_a_line() -> None:
    # BuildKit ends lines at \n alone: \r, form feed, U+0085 and U+2028 stay inside a line.
    text = "FROM a\r\nRUN b\rc\x0bd\x0ce\x1cf\x85g\u2028h\n\nCMD i"
    assert split_lines(text) == ["FROM a\r\n", "RUN b\rc\x0bd\x0ce\x1cf\x85g\u2028h\n", "\n", "CMD i"]
    assert split_lines("") == []
    assert split_lines("\n\n") == ["\n", "\n"]
    assert "".join(split_lines(text)) == text


def test_equal_texts_give_no_diff() -> None:
    assert unified_diff("FROM a\n", "FROM a\n", "Df") == ""


def _apply_unified(old: str, diff: str) -> str:
    """Apply a unified diff of whole lines to `old` (the hunks' context must match)."""
    a = split_lines(old)
    out: list[str] = []
    at = 0
    lines = split_lines(diff)[2:]
    n = 0
    while n < len(lines):
        header = lines[n]
        assert header.startswith("@@ -")
        start = int(header[4:].split(",")[0].split(" ")[0])
        length_text = header[4:].split(" ")[0]
        first = start - 1 if "," not in length_text or not length_text.endswith(",0") else start
        out.extend(a[at:first])
        at = first
        n += 1
        while n < len(lines) and not lines[n].startswith("@@"):
            line = lines[n]
            if line[0] in " -":
                assert a[at] == line[1:], (at, a[at], line)
                at += 1
            if line[0] in " +":
                out.append(line[1:])
            n += 1
    out.extend(a[at:])
    return "".join(out)


def _repetitive(stages: int) -> str:
    # 10 kinds of line, repeated: every line occurs hundreds of times, the case that made
    # difflib without its junk heuristic take minutes on a 10,000-line file.
    kinds = ["RUN apt-get update\n", "COPY . /app\n", "ENV KEY value\n", "WORKDIR /app\n", "\n"]
    return "".join("FROM python:3.12\n" + "".join(kinds[i % 5] for i in range(999)) for _ in range(stages))


def test_a_long_repetitive_file_diffs_fast_and_exactly() -> None:
    old = _repetitive(10)
    lines = split_lines(old)
    new_lines = [
        line.replace("ENV KEY value", "ENV KEY=value") if i % 50 == 2 else line
        for i, line in enumerate(lines)
    ]
    new_lines.insert(5000, "USER app\n")
    del new_lines[9000]
    new = "".join(new_lines)
    diff = unified_diff(old, new, "Df")  # took minutes before the anchors; well under 1 s now
    assert _apply_unified(old, diff) == new
    changed = [line for line in split_lines(diff)[2:] if line[:1] in "+-"]
    # Minimal: each changed ENV line once out and once in, plus the insertion and deletion.
    expected_envs = sum(1 for i, line in enumerate(lines) if i % 50 == 2 and line.startswith("ENV"))
    assert len(changed) == 2 * expected_envs + 2


def test_long_texts_cut_at_anchors_give_difflibs_hunks_when_changes_are_apart() -> None:
    old = "".join(f"RUN step {n}\n" for n in range(3000))
    new = old.replace("RUN step 10\n", "RUN step ten\n").replace("RUN step 2000\n", "")
    expected = "".join(difflib.unified_diff(split_lines(old), split_lines(new), "a/Df", "b/Df"))
    assert unified_diff(old, new, "Df") == expected


def test_apply_helper_round_trips_small_diffs() -> None:
    old = "FROM a\nRUN x\n\nCMD y\n"
    new = "FROM a\nRUN z\n\nCMD y\nUSER u\n"
    assert _apply_unified(old, unified_diff(old, new, "Df")) == new
