"""The progress line of long runs: on a terminal only, never in pipes, CI or --quiet."""

from __future__ import annotations

import io
import os
import pty
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from dffix import entry, progress
from dffix.progress import Progress

DOCKERFILE = "FROM python:3.12-slim\nRUN apt-get update\nRUN apt-get install -y curl\n"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_short_runs_draw_nothing() -> None:
    stream, clock = FakeTerminal(), Clock()
    bar = Progress(50, stream, clock, after=0.5, every=0.1)
    for _ in range(50):
        clock.now += 0.001
        bar.step()
    bar.clear()
    assert stream.getvalue() == ""


def test_long_runs_redraw_now_and_then_and_clear_at_the_end() -> None:
    stream, clock = FakeTerminal(), Clock()
    bar = Progress(20, stream, clock, after=1.0, every=0.5)
    for _ in range(20):
        clock.now += 0.25  # 5 s in all: drawn from 1 s on, at most every 0.5 s
        bar.step()
    bar.clear()
    text = stream.getvalue()
    frames = text.split("\r")[1:-1]
    assert frames == [f"dffix: {n}/20 files" for n in range(4, 21, 2)]
    assert text.endswith("\r\x1b[K")


def test_clear_lets_the_next_step_redraw_at_once() -> None:
    stream, clock = FakeTerminal(), Clock()
    bar = Progress(10, stream, clock, after=0.0, every=10.0)
    bar.step()
    bar.step()  # too soon after the first frame
    assert stream.getvalue() == "\rdffix: 1/10 files"
    bar.clear()
    bar.step()  # other output erased the line: draw it again
    assert stream.getvalue() == "\rdffix: 1/10 files\r\x1b[K\rdffix: 3/10 files"


@pytest.mark.parametrize(
    ("tty", "total", "quiet", "env", "expected"),
    [
        (True, 100, False, {}, True),
        (False, 100, False, {}, False),  # a pipe or a file
        (True, 100, True, {}, False),  # --quiet
        (True, 100, False, {"CI": "true"}, False),
        (True, 100, False, {"TERM": "dumb"}, False),
        (True, progress.MIN_FILES - 1, False, {}, False),
    ],
)
def test_wanted(
    tty: bool, total: int, quiet: bool, env: dict[str, str], expected: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    stream = FakeTerminal() if tty else io.StringIO()
    assert progress.wanted(stream.isatty(), total, quiet) is expected


def many_files(folder: Path, n: int, stages: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"Dockerfile.{i}").write_text(DOCKERFILE * stages)
    return folder


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_run_on_a_terminal_shows_progress_and_erases_it(
    jobs: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    folder = many_files(tmp_path, 30)
    terminal = FakeTerminal()
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(progress, "AFTER", 0.0)
    monkeypatch.setattr(progress, "EVERY", 0.0)
    monkeypatch.setattr(sys, "stderr", terminal)
    code = entry.main(["--check", "--jobs", jobs, str(folder)])
    assert code == entry.EXIT_FOUND
    text = terminal.getvalue()
    assert "\rdffix: 1/30 files" in text
    assert "\rdffix: 30/30 files" in text
    # The summary comes after the line is erased, never glued to a frame.
    assert text.endswith("\r\x1b[K" + "found 120 problems in 30 files (60 [*], 30 [~], 30 [-])\n")
    # stdout (captured: not a terminal) holds the diagnostics and no progress.
    stdout = capsysbinary.readouterr().out
    assert b"\r" not in stdout
    assert stdout.count(b"DF101") == 30


def test_progress_never_reaches_a_pipe(tmp_path: Path) -> None:
    folder = many_files(tmp_path, 200)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    done = subprocess.run(
        [sys.executable, "-m", "dffix", "--check", "--jobs", "1", str(folder)],
        capture_output=True,
        env=env,
        check=False,
    )
    assert done.returncode == entry.EXIT_FOUND
    assert b"\r" not in done.stderr
    assert b"\r" not in done.stdout


def run_on_a_pty(folder: Path) -> tuple[int, bytes, bytes, float]:
    """Run `dffix --check --jobs 1 folder` with stderr on a pty (read as it comes, so the
    child never blocks on a full pty) and stdout on a pipe; return code, out, err, seconds."""
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["TERM"] = "xterm"
    leader, follower = pty.openpty()
    seen: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the other end closed
                return
            if not chunk:
                return
            seen.append(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    start = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dffix", "--check", "--jobs", "1", str(folder)],
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    stdout, _ = proc.communicate()
    took = time.monotonic() - start
    reader.join(timeout=10)
    os.close(leader)
    return proc.returncode, stdout, b"".join(seen), took


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")
def test_a_real_terminal_gets_the_line(tmp_path: Path) -> None:
    """A real pty: stderr is a terminal, stdout a pipe. The run must outlast AFTER: the
    files grow until it takes a second (twice AFTER), however fast the machine."""
    for stages in (10, 40, 160):
        folder = many_files(tmp_path / str(stages), 400, stages=stages)
        code, stdout, seen, took = run_on_a_pty(folder)
        assert code == entry.EXIT_FOUND
        assert b"\r" not in stdout
        assert re.search(rb"found \d+ problems in 400 files [^\r]*\r\n$", seen), seen[-200:]
        if took >= 2 * progress.AFTER:
            break
    assert took >= 2 * progress.AFTER, "the run never took long enough to show progress"
    # The line drawn is cleared before the summary (a run shorter than AFTER drew none).
    assert re.search(rb"\r\x1b\[Kfound \d+ problems in 400 files [^\r]*\r\n$", seen), seen[-200:]
    assert b"\rdffix: " in seen and b"/400 files" in seen
