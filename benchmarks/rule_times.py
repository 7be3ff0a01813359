"""Time each rule's checks while fixing the shared corpus, one pass as one CLI call makes it.

Run from the repository root with the project's virtualenv:

    .venv/bin/python benchmarks/rule_times.py [--runs N] [--level safe|unsafe] [--all]
    .venv/bin/python benchmarks/rule_times.py --profile out.pstats   # cProfile of one run

Every corpus file is fixed as the command line fixes it (its rules from the config
search, its folder as the build context), with each rule's `check` and the facts
timed. Prints the median per rule over `--runs` runs (each in a fresh process, as one
CLI call over the corpus: no cache warm from an earlier run), then the whole-run median.
Times are the process's CPU time, which other processes on the machine disturb less
than wall time; still compare medians of several runs. Asserts nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT / "src"))

from dffix import api, fixer, memo  # noqa: E402
from dffix.config import ConfigError  # noqa: E402


def _jobs(corpus: Path, unsafe: bool, every: bool) -> list[tuple[str, api.RuleSet, str]]:
    jobs = []
    select = ("ALL",) if every else None
    for path in sorted(p for p in corpus.rglob("Dockerfile") if p.is_file()):
        rule_set = api.rule_set_for(str(path), api.Overrides(select=select, unsafe_fixes=unsafe))
        assert not isinstance(rule_set, ConfigError), rule_set
        jobs.append((path.read_bytes().decode("utf-8", "surrogateescape"), rule_set, str(path)))
    return jobs


def _timed_check(
    check: Callable[..., Iterator[object]], into: list[float]
) -> Callable[..., Iterator[object]]:
    def run(*args: object) -> Iterator[object]:
        start = time.process_time()
        found = list(check(*args))
        into[0] += time.process_time() - start
        return iter(found)

    return run


def one_run(jobs: list[tuple[str, api.RuleSet, str]]) -> tuple[dict[str, float], float]:
    """Fix every job once; return seconds per rule code (and "facts") and the total."""
    spent: dict[str, list[float]] = defaultdict(lambda: [0.0])
    patched = []
    for _, rule_set, _ in jobs:
        for rule in rule_set.rules:
            if "check" not in vars(rule):
                rule.check = _timed_check(rule.check, spent[rule.code])  # type: ignore[method-assign, assignment]
                patched.append(rule)
    compute: Callable[..., object] = fixer.compute_facts  # type: ignore[attr-defined]

    def facts(*args: object, **kwargs: object) -> object:
        start = time.process_time()
        try:
            return compute(*args, **kwargs)
        finally:
            spent["facts"][0] += time.process_time() - start

    fixer.compute_facts = facts  # type: ignore[attr-defined, assignment]
    start = time.process_time()
    try:
        for text, rule_set, path in jobs:
            api.fix_text(text, rule_set, api.build_context(path))
            memo.forget()  # as the command line does after each file
    finally:
        total = time.process_time() - start
        fixer.compute_facts = compute  # type: ignore[attr-defined, assignment]
        for rule in patched:
            del rule.check
    return {code: t[0] for code, t in spent.items()}, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--level", choices=("safe", "unsafe"), default="safe")
    parser.add_argument("--all", action="store_true", help="every rule, also those off by default")
    parser.add_argument(
        "--once", action="store_true", help="fix every file once, time nothing (for callgrind)"
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile of one plain run here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not (args.child or args.once or args.profile):
        _report(args)
        return
    jobs = _jobs(args.corpus, args.level == "unsafe", args.all)
    if args.child:
        per_rule, total = one_run(jobs)
        print(json.dumps({**per_rule, "whole": total}))
        return
    profile = cProfile.Profile() if args.profile else None
    if profile is not None:
        profile.enable()
    for text, rule_set, path in jobs:
        api.fix_text(text, rule_set, api.build_context(path))
        memo.forget()
    if profile is not None:
        profile.disable()
        profile.dump_stats(args.profile)
        print(f"profile written to {args.profile}")


def _report(args: argparse.Namespace) -> None:
    """Run each timed pass over the corpus in a fresh process, as one CLI call makes it:
    the caches of a pass before would make the next look faster than any real run."""
    child = [sys.executable, __file__, "--child", "--corpus", str(args.corpus), "--level", args.level]
    child += ["--all"] if args.all else []
    runs = [
        json.loads(subprocess.run(child, capture_output=True, check=True).stdout) for _ in range(args.runs)
    ]
    whole = statistics.median(r.pop("whole") for r in runs)
    codes = {code for r in runs for code in r}
    medians = {code: statistics.median(r.get(code, 0.0) for r in runs) for code in codes}
    print(f"{args.corpus}: {args.level} level, median of {args.runs} runs, each in a fresh process (CPU ms)")
    for code, seconds in sorted(medians.items(), key=lambda kv: -kv[1]):
        print(f"  {code:6} {seconds * 1000:8.1f}")
    print(f"  checks {sum(medians.values()) * 1000:8.1f}")
    print(f"  whole  {whole * 1000:8.1f}")


if __name__ == "__main__":
    main()
