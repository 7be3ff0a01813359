"""Time dffix against hadolint (and tally, and a bare Python) in the same run.

Run from the repository root with the project's virtualenv:

    .venv/bin/python benchmarks/bench.py [--runs N] [--corpus DIR]
        [--before OTHER_DFFIX [--before-label TEXT]] [--tally TALLY]
        [--parts start,file,sizes,batch,process,scale]

Standard library only. Prints numbers and ratios and asserts nothing;
benchmarks/README.md has the targets to compare them with. `--before` names another
dffix executable (say, a virtualenv of the previous release, or the same code installed
with another Python) measured beside this one; `--before-label` names its rows.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
# 40 lines: apt-get split over several RUNs, a long continued RUN, ONBUILD ADD, CMD.
TYPICAL = Path("shipwright/0b4a729fc9437a3f057304d8f8d0407fabc8330a/Dockerfile")
BIN = Path(sys.executable).parent
PARTS = ("start", "file", "sizes", "batch", "process", "scale", "instructions")

# Runs a command (stdin from argv[1], "-" for none); prints its wall time (s), its CPU
# time (user + system, s), the peak RSS (KiB) of the largest process in it and, when
# argv[2] is "tree", the peak of the memory of the whole process tree (the sum of each
# process's PSS, KiB, sampled every 2 ms from /proc, else 0); from a fresh process so
# no other child counts.
_MEASURE = r"""
import os, resource, subprocess, sys, time
def tree(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out
def pss(pid):
    # Proportional set size: pages shared by the parent and its forked workers count
    # once in the sum, split between them (RSS would count them in each).
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
    except (OSError, StopIteration):
        return 0
stdin = subprocess.DEVNULL if sys.argv[1] == "-" else open(sys.argv[1], "rb")
t = time.perf_counter()
child = subprocess.Popen(sys.argv[3:], stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
peak = 0
if sys.argv[2] == "tree":
    while child.poll() is None:
        peak = max(peak, sum(pss(p) for p in tree(child.pid)))
        time.sleep(0.002)
child.wait()
t = time.perf_counter() - t
use = resource.getrusage(resource.RUSAGE_CHILDREN)
print(t, use.ru_utime + use.ru_stime, use.ru_maxrss, peak)
"""


class Timing:
    """Median wall and CPU seconds of some runs, and the peaks of memory (MiB)."""

    def __init__(self, seconds: float, cpu: float, rss: float, tree: float) -> None:
        self.seconds, self.cpu, self.rss, self.tree = seconds, cpu, rss, tree


def tool(name: str) -> str | None:
    """Return the path of `name` next to this Python, else on PATH, else None."""
    local = BIN / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which(name)


def answers(exe: str | None, *args: str) -> str | None:
    """Return `exe` when it runs `exe ARGS` with exit code 0, else None."""
    if exe is None:
        return None
    try:
        done = subprocess.run([exe, *args], capture_output=True, check=False)
    except OSError:
        return None
    return exe if done.returncode == 0 else None


def once(
    cmd: Sequence[str], stdin: Path | None = None, sampled: bool = False, cwd: Path | None = None
) -> tuple[float, float, float, float]:
    """Run `cmd` once in a fresh measuring process: wall and CPU seconds, the peak RSS of
    its largest process and, when `sampled`, the peak PSS of its process tree (MiB).

    PYTHONDONTWRITEBYTECODE is dropped so an installed package writes its .pyc files on
    the first (warm-up) run, as an install does: stale bytecode cost 15 ms a call.
    `cwd`: the folder it runs in (default: this one).
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    args = [str(stdin or "-"), "tree" if sampled else "one", *cmd]
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, *args], capture_output=True, text=True, env=env, cwd=cwd
    )
    seconds, cpu, kib, tree_kib = out.stdout.split()
    return float(seconds), float(cpu), int(kib) / 1024, int(tree_kib) / 1024


def measure(
    cmd: Sequence[str], runs: int, stdin: Path | None = None, tree: bool = False, cwd: Path | None = None
) -> Timing:
    """Median wall and CPU seconds and peak memory of `runs` runs, after a warm-up run.

    `tree`: also take the memory of the whole process tree, in one more run of its own:
    sampling /proc every 2 ms takes a core's share on this 2-core machine, so the
    timed runs must not have the sampler beside them (it made a corpus call 15-20%
    slower). `cwd`: the folder the command runs in.
    """
    once(cmd, stdin, cwd=cwd)  # warms the page cache and .pyc files
    timed = [once(cmd, stdin, cwd=cwd) for _ in range(runs)]
    peaks = [rss for _, _, rss, _ in timed]
    trees = [0.0]
    if tree:
        _, _, rss, tree_mib = once(cmd, stdin, sampled=True, cwd=cwd)
        peaks.append(rss)
        trees.append(tree_mib)
    return Timing(
        statistics.median(t for t, _, _, _ in timed),
        statistics.median(c for _, c, _, _ in timed),
        max(peaks),
        max(trees),
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def row(label: str, t: Timing, base: Timing | None = None, name: str = "") -> None:
    """Print wall and CPU time, and both as ratios to `base` when given."""
    extra = f"   {t.seconds / base.seconds:5.2f}x {t.cpu / base.cpu:5.2f}x   {name}" if base else ""
    print(f"    {label:30} {ms(t.seconds)} {ms(t.cpu)}{extra}")


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("Dockerfile") if p.is_file())


def read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "surrogateescape")


def absolute(exe: str | None) -> str | None:
    """`exe` with a folder in it made absolute: the one-file commands run elsewhere."""
    return os.path.abspath(exe) if exe and os.sep in exe else exe


class Tools:
    def __init__(self, args: argparse.Namespace) -> None:
        self.dffix = answers(tool("dffix"), "--version")
        self.before = answers(absolute(args.before), "--version")
        self.before_label = args.before_label
        self.hadolint = answers(tool("hadolint"), "--version")
        self.tally = answers(absolute(args.tally) or tool("tally"), "version")
        given = (("--before", args.before, self.before), ("--tally", args.tally, self.tally))
        for option, path, found in given:
            if path and not found:
                why = "does not run (missing, or its version call failed)"
                print(f"bench.py: {option} {path}: {why}", file=sys.stderr)
                raise SystemExit(2)

    def dffixes(self) -> list[tuple[str, str]]:
        out = [("dffix", self.dffix)] if self.dffix else []
        return out + ([(self.before_label, self.before)] if self.before else [])


# -- start-up and one file, whole process -------------------------------------


def bench_start(tools: Tools, runs: int) -> None:
    print(f"start-up, whole process, median of {runs}: wall, CPU, ratios (wall, CPU) to python -c pass")
    bare = measure([sys.executable, "-c", "pass"], runs)
    row("python -c pass", bare)
    if tools.hadolint:
        row("hadolint --version", measure([tools.hadolint, "--version"], runs), bare, "python -c pass")
    for name, exe in tools.dffixes():
        for flag in ("--version", "--help"):
            row(f"{name} {flag}", measure([exe, flag], runs), bare, "python -c pass")


def bench_one_file(path: Path, tools: Tools, runs: int) -> None:
    lines = read(path).count("\n")
    print(f"one typical file, whole process, median of {runs}: {TYPICAL} ({lines} lines)")
    print("    wall, CPU, ratios (wall, CPU) to hadolint; every command in a folder holding only the file")
    with tempfile.TemporaryDirectory() as folder:
        # Each tool in the copy's folder, as in a project's: each looks for its config from
        # the folder it runs in (`dffix -` from there alone), and this repository's
        # pyproject.toml names dffix (`[project.scripts]`), so here it would be TOML-parsed
        # on every `dffix -` (tomllib, and typing with it: ~4 ms a call).
        here = Path(folder)
        copy = here / "Dockerfile"
        shutil.copyfile(path, copy)

        def timed(cmd: list[str], stdin: Path | None = None) -> Timing:
            return measure(cmd, runs, stdin=stdin, cwd=here)

        row("python -c pass", timed([sys.executable, "-c", "pass"]))
        base = timed([tools.hadolint, "--no-fail", str(copy)]) if tools.hadolint else None
        if base:
            row("hadolint FILE", base)
        if tools.tally:
            row("tally lint FILE", timed([tools.tally, "lint", str(copy)]), base, "hadolint")
        for name, exe in tools.dffixes():
            row(f"{name} --diff FILE", timed([exe, "--diff", str(copy)]), base, "hadolint")
            row(f"{name} - < FILE", timed([exe, "-"], stdin=copy), base, "hadolint")
            row(f"{name} --check FILE", timed([exe, "--check", str(copy)]), base, "hadolint")


def typical_sized(files: list[Path], typical: Path) -> list[Path]:
    """The corpus files within 0.8-1.25x of the typical file's size in bytes (54 files)."""
    size = typical.stat().st_size
    return [p for p in files if 0.8 * size <= p.stat().st_size <= 1.25 * size]


def bench_sizes(files: list[Path], tools: Tools, runs: int) -> None:
    """Each file of the typical file's size, whole process: dffix --diff against hadolint.

    How long hadolint takes depends on the file much more than dffix's time does (most of
    it is ShellCheck on the RUNs: ~0 ms for `FROM alpine`, 5.9-92 ms over these files on
    2026-12-04), so one file's ratio says little about the next one's. Per file, every command
    runs `runs` times, alternating, each in a folder holding only the file; the ratio is
    of the medians. Printed: the spread of the per-file ratios.
    """
    if not tools.hadolint:
        return
    print(f"files of the typical file's size ({len(files)}), whole process, {runs} runs each, alternating")
    print("    per file: median wall time / hadolint's; the spread of those ratios over the files")
    ratios: dict[str, list[float]] = {name: [] for name, _ in tools.dffixes()}
    hadolint_ms: list[float] = []
    for path in files:
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / "Dockerfile"
            shutil.copyfile(path, copy)
            cmds = {"hadolint": [tools.hadolint, "--no-fail", str(copy)]}
            cmds.update((name, [exe, "--diff", str(copy)]) for name, exe in tools.dffixes())
            for cmd in cmds.values():
                once(cmd, cwd=copy.parent)  # warm-up
            walls: dict[str, list[float]] = {name: [] for name in cmds}
            for _ in range(runs):
                for name, cmd in cmds.items():
                    walls[name].append(once(cmd, cwd=copy.parent)[0])
        base = statistics.median(walls["hadolint"])
        hadolint_ms.append(base * 1000)
        for name in ratios:
            ratios[name].append(statistics.median(walls[name]) / base)
    low, high = min(hadolint_ms), max(hadolint_ms)
    print(f"    hadolint FILE: median {statistics.median(hadolint_ms):.1f} ms, {low:.1f}-{high:.1f} ms")
    for name, found in ratios.items():
        q1, q2, q3 = statistics.quantiles(found, n=4) if len(found) > 1 else (found * 3)
        over = sum(r > 1.0 for r in found)
        print(
            f"    {name + ' --diff FILE':30} median {q2:5.2f}x hadolint, quartiles {q1:.2f}-{q3:.2f}x,"
            f" {min(found):.2f}-{max(found):.2f}x; above 1.0x: {over} of {len(found)}"
        )


def instructions(cmd: Sequence[str], stdin: Path | None = None) -> int:
    """Return the machine instructions `cmd` executes, counted by valgrind's callgrind.

    Unlike times, the count does not depend on what else the machine is doing.
    """
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as given:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
            stdin=given,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    counts = [line.rsplit(":", 1)[1] for line in done.stderr.splitlines() if "Collected :" in line]
    return int(counts[-1].strip()) if counts else 0


def bench_instructions(path: Path, tools: Tools) -> None:
    print("instructions executed (valgrind callgrind; independent of the machine's load), millions")
    bare = instructions([sys.executable, "-c", "pass"])
    hadolint = instructions([tools.hadolint, "--no-fail", str(path)]) if tools.hadolint else 0

    def show(label: str, count: int) -> None:
        ratios = f"   {count / bare:5.2f}x python -c pass" if bare else ""
        ratios += f"   {count / hadolint:5.2f}x hadolint FILE" if hadolint else ""
        print(f"    {label:30} {count / 1e6:9.1f}M{ratios}")

    show("python -c pass", bare)
    if hadolint:
        show("hadolint FILE", hadolint)
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "Dockerfile"
        shutil.copyfile(path, copy)
        for name, exe in tools.dffixes():
            for flag in ("--version", "--help"):
                show(f"{name} {flag}", instructions([exe, flag]))
            show(f"{name} --diff FILE", instructions([exe, "--diff", str(copy)]))
            show(f"{name} - < FILE", instructions([exe, "-"], stdin=copy))
            show(f"{name} --check FILE", instructions([exe, "--check", str(copy)]))


# -- the corpus in one call -----------------------------------------------------


def bench_batch(corpus: Path, files: list[Path], tools: Tools, runs: int, rounds: int) -> None:
    """Time the corpus in one call, interleaved: `rounds` rounds, each one hadolint run in
    the middle of `runs // rounds` runs of every dffix command (alternating commands).

    A ratio is taken within each round and the median of the rounds' ratios printed with
    their range: on this machine speed drifts over minutes, and timing each tool in a
    block of its own once turned a 1.0x change into 0.8x.
    """
    per_round = max(1, runs // max(1, rounds))
    print(
        f"the corpus in one call ({len(files)} files), interleaved: {rounds} round(s) of one hadolint run"
        f" amid {per_round} run(s) of each dffix command"
    )
    print("    wall and CPU: medians of all runs; hadolint/x: median of the per-round ratios [range]")
    print(
        f"    {'':30} {'wall':>12} {'CPU':>12}   {'hadolint/x wall':>24} {'hadolint/x CPU':>24}"
        f"   {'RSS max':>8}   {'PSS tree':>8}"
    )
    hadolint = [tools.hadolint, "--no-fail", *map(str, files)] if tools.hadolint else None
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "corpus"
        shutil.copytree(corpus, copy, symlinks=True)
        commands: list[tuple[str, list[str]]] = []
        for name, exe in tools.dffixes():
            commands.append((f"{name} --diff DIR", [exe, "--diff", str(copy)]))
            commands.append((f"{name} --diff --jobs 1 DIR", [exe, "--diff", "--jobs", "1", str(copy)]))
        everything = ([("hadolint --no-fail FILE...", hadolint)] if hadolint else []) + commands
        for _, cmd in everything:
            once(cmd)  # warms the page cache and .pyc files
        runs_of: dict[str, list[tuple[float, float, float, float]]] = {label: [] for label, _ in everything}
        ratios: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in commands}
        for _ in range(max(1, rounds)):
            this_round: dict[str, list[tuple[float, float, float, float]]] = {
                label: [] for label, _ in commands
            }
            base = None
            for sweep in range(per_round):
                if hadolint and sweep == per_round // 2:
                    base = once(hadolint)
                    runs_of["hadolint --no-fail FILE..."].append(base)
                for label, cmd in commands:
                    this_round[label].append(once(cmd))
            if hadolint and base is None:
                base = once(hadolint)
                runs_of["hadolint --no-fail FILE..."].append(base)
            for label, timed in this_round.items():
                runs_of[label].extend(timed)
                if base:
                    wall = statistics.median(t for t, _, _, _ in timed)
                    cpu = statistics.median(c for _, c, _, _ in timed)
                    ratios[label].append((base[0] / wall, base[1] / cpu))
        trees = {label: once(cmd, sampled=True) for label, cmd in everything}
        tally = (
            measure([tools.tally, "lint", "--fail-level", "none", str(copy)], 1, tree=True)
            if tools.tally
            else None
        )
    theirs = runs_of.get("hadolint --no-fail FILE...") or [(0.0, 0.0, 0.0, 0.0)]
    hadolint_wall = statistics.median(t for t, _, _, _ in theirs)
    hadolint_cpu = statistics.median(c for _, c, _, _ in theirs)

    def spread(values: list[float]) -> str:
        if not values:
            return " " * 24
        return f"{statistics.median(values):6.1f}x [{min(values):5.1f}-{max(values):5.1f}]"

    for label, timed in runs_of.items():
        wall = statistics.median(t for t, _, _, _ in timed)
        cpu = statistics.median(c for _, c, _, _ in timed)
        rss = max([r for _, _, r, _ in timed] + [trees[label][2]])
        walls = [w for w, _ in ratios.get(label, [])]
        cpus = [c for _, c in ratios.get(label, [])]
        print(
            f"    {label:30} {ms(wall)} {ms(cpu)}   {spread(walls):>24} {spread(cpus):>24}"
            f"   {rss:5.1f} MiB   {trees[label][3]:5.1f} MiB"
        )
    if tally:
        ratio = (
            f"{hadolint_wall / tally.seconds:6.1f}x {'':17}{hadolint_cpu / tally.cpu:6.1f}x"
            if hadolint
            else ""
        )
        memory = f"{tally.rss:5.1f} MiB   {tally.tree:5.1f} MiB"
        print(
            f"    {'tally lint DIR (1 run)':30} {ms(tally.seconds)} {ms(tally.cpu)}   {ratio:>49}   {memory}"
        )


# -- in-process: where the time goes ----------------------------------------------


def fixer() -> Callable[[str, str | None], object]:
    """Return a function that parses and fixes one text with all rules at the safe level.

    The Dockerfile's folder is its build context, as on the command line.
    """
    sys.path.insert(0, str(ROOT / "src"))
    from dffix.edits import Applicability
    from dffix.facts import BuildContext
    from dffix.fixer import fix
    from dffix.rules import ALL_RULES

    rules = [r() for r in ALL_RULES]

    def parse_and_fix(text: str, folder: str | None = None) -> object:
        context = BuildContext(folder, "Dockerfile") if folder else None
        return fix(text, rules, Applicability.SAFE, context)

    return parse_and_fix


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def bench_in_process(files: list[Path], run: Callable[[str, str | None], object]) -> None:
    import resource

    texts = [(read(p), str(p.parent)) for p in files]
    for text, folder in texts[:20]:  # warm up imports and regex caches
        run(text, folder)
    timed = sorted((_timed(partial(run, t, f)), p) for (t, f), p in zip(texts, files, strict=True))
    times = [t for t, _ in timed]
    print(f"in-process parse + fix, all rules, safe, build context beside each: {len(texts)} files")
    print(f"    total      {ms(sum(times))}   ({sum(times) / len(times) * 1000:.2f} ms a file)")
    print(f"    median     {ms(statistics.median(times))}")
    print(f"    p95        {ms(times[int(len(times) * 0.95)])}")
    slowest = timed[-1][1]
    print(f"    slowest    {ms(times[-1])}  ({slowest.parent.name}, {len(read(slowest).splitlines())} lines)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"    peak RSS of this process so far {peak:.1f} MiB")


# -- scaling: is time linear in the size of the file? ---------------------------------

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


def long_run_file(n: int) -> str:
    """Return a Dockerfile whose one RUN is continued over `n` lines: apt-get installs of
    nine packages, one a line, each group followed by an `echo`, joined with `&&`."""
    lines = []
    for i in range(n):
        if i % 10 == 0:
            lines.append(
                f"    {'&&' if i else 'apt-get update &&'} apt-get install -y --no-install-recommends"
            )
        elif i % 10 == 9:
            lines.append(f"    && echo step {i} >> /log")
        else:
            lines.append(f"        pkg{i}")
    body = " \\\n".join(lines)
    return f'FROM debian:bookworm\nRUN {body.lstrip()}\nCMD ["sh"]\n'


def bench_scaling(
    typical: str | None, run: Callable[[str, str | None], object], tools: Tools, runs: int
) -> None:
    print("scaling: parse + fix in-process (median), and one whole `dffix --diff` process")
    cases: list[tuple[str, str, str, int]] = []
    if typical is not None:
        one = typical if typical.endswith("\n") else typical + "\n"
        cases += [("typical", f"typical file x{n}", one * n, n) for n in (1, 10, 100)]
    cases += [("instr", f"{n:,} instructions", instructions_file(n), n // 1000) for n in (1_000, 10_000)]
    cases += [("run", f"one RUN of {n:,} lines", long_run_file(n), n // 10_000) for n in (10_000, 100_000)]
    first: dict[str, float] = {}
    for family, label, text, size in cases:
        n = max(1, min(runs, 3) if size >= 10 else 3)
        seconds = statistics.median(_timed(partial(run, text, None)) for _ in range(n))
        unit = first.setdefault(family, seconds / size)
        per_unit = seconds / size / unit
        line = f"    {label:24} {text.count(chr(10)):7d} lines {ms(seconds)}   {per_unit:5.2f}x per unit"
        if tools.dffix and size >= 10:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "Dockerfile"
                path.write_text(text)
                whole = measure([tools.dffix, "--diff", str(path)], 1)
                line += f"   process {ms(whole.seconds)} {whole.rss:5.1f} MiB"
                if tools.hadolint:
                    theirs = measure([tools.hadolint, "--no-fail", str(path)], 1)
                    line += f"   hadolint {ms(theirs.seconds)}"
        print(line)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--runs", type=int, default=20, help="runs per whole-process timing (default 20)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of Dockerfiles")
    parser.add_argument(
        "--hadolint-runs",
        type=int,
        default=1,
        help="rounds of the interleaved corpus part, one hadolint run each (default 1: ~20 s)",
    )
    parser.add_argument("--before", help="another dffix executable to measure beside this one")
    parser.add_argument(
        "--before-label", default="dffix (before)", help="the name of its rows (default: dffix (before))"
    )
    parser.add_argument("--tally", help="the tally executable (default: `tally` next to Python or on PATH)")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    corpus: Path = args.corpus
    files = corpus_files(corpus)
    tools = Tools(args)
    typical = corpus / TYPICAL
    load = os.getloadavg()[0]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {load:.2f}, corpus {corpus}")
    for name, exe in (*tools.dffixes(), ("hadolint", tools.hadolint), ("tally", tools.tally)):
        print(f"    {name}: {exe or 'not found'}")
    if not tools.dffix:
        print("    dffix CLI not available: whole-process parts skipped")
    print()
    if "start" in parts and tools.dffix:
        bench_start(tools, args.runs)
        print()
    if "file" in parts and tools.dffix and typical.is_file():
        bench_one_file(typical, tools, args.runs)
        print()
    if "sizes" in parts and tools.dffix and typical.is_file():
        bench_sizes(typical_sized(files, typical), tools, max(5, args.runs // 4))
        print()
    if "batch" in parts and tools.dffix and files:
        bench_batch(corpus, files, tools, max(1, args.runs // 5), args.hadolint_runs)
        print()
    if "instructions" in parts and tools.dffix and typical.is_file() and shutil.which("valgrind"):
        bench_instructions(typical, tools)
        print()
    run = fixer() if parts & {"process", "scale"} else None
    if "process" in parts and run and files:
        bench_in_process(files, run)
        print()
    if "scale" in parts and run:
        bench_scaling(read(typical) if typical.is_file() else None, run, tools, args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
