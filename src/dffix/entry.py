"""The `dffix` command: a fast path for everyday invocations, typer for everything else.

Start-up time is a feature: importing typer (with click and rich) costs more than
fixing a typical Dockerfile. `main()` therefore reads the common command lines (paths
and the options in `OPTIONS`, from `dffix.options`) itself; anything else (`--help`,
`--explain`, `--list-rules`, unknown or malformed options, usage errors) goes to the
typer app in `dffix.cli`, which is built from the same `OPTIONS` and ends in the same
`run()`. The console script and `python -m dffix` start in `dffix.launch`, which answers
`dffix --version` and `dffix --help` alone before this module is loaded.

This module and `dffix.cli` are the shell: they read, write and print. The engine is
`dffix.api` (settings for a path, the pure `fix_text` and `check_text`), which the
language server (`dffix server`, in `dffix.server`) uses too.

The small records here are NamedTuples, not frozen dataclasses: they are just as
immutable and typed, and cost a tenth of the time to define, on every run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence

from dffix import memo
from dffix.api import (
    MARK_NONE,
    MARK_SAFE,
    MARK_UNSAFE,
    Diagnostic,
    Fixed,
    Overrides,
    RuleSet as RuleSet,  # re-exported: importable from here, as before dffix.api
    check_text as check_text,
    check_violations,
    config_files,
    fix_text as fix_text,
    folder_of,
    line_col as line_col,
    load_rule_set,
    marker as marker,
    severities,
)
from dffix.config import SEARCHED_NAMES, ConfigError, selector_error, selector_note
from dffix.facts import BuildContext, compute_facts
from dffix.files import (
    MAX_BYTES,
    FileError,
    Listing,
    Target,
    decode,
    discover,
    encode,
    read_source,
    write_atomic,
)
from dffix.options import (
    BY_FLAG as _BY_FLAG,
    COLOR_CHOICES as COLOR_CHOICES,
    OPTIONS as OPTIONS,
    OUTPUT_FORMATS as OUTPUT_FORMATS,
    TYPER_ONLY_OPTIONS as TYPER_ONLY_OPTIONS,
    OptionSpec as OptionSpec,
    Takes as Takes,
    option as option,
)
from dffix.records import TYPE_CHECKING, Enum, NamedTuple
from dffix.syntax import ParseError, parse

if TYPE_CHECKING:
    from dffix.progress import Progress
    from dffix.report import Finding
    from dffix.rules.base import Violation
    from dffix.syntax import Dockerfile

# dffix.fixer imports the rule registry (every rule module): loaded on first use, so
# `--version`, `--help` and usage errors load no rule.

EXIT_OK = 0
EXIT_FOUND = 1  # --diff found a diff, --check found a problem
EXIT_ERROR = 2  # bad input, bad config, usage


class OutputMode(Enum):
    """What a run does with the fixed text."""

    WRITE = "write"  # rewrite files in place
    DIFF = "diff"  # print a unified diff, write nothing
    CHECK = "check"  # print diagnostics, write nothing
    STDIN = "stdin"  # read stdin, print the whole fixed text on stdout


class Options(NamedTuple):
    """A parsed command line."""

    paths: tuple[str, ...] = ()
    mode: OutputMode = OutputMode.WRITE
    read_stdin: bool = False
    unsafe_fixes: bool | None = None  # None: as the config says
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    config: str | None = None
    stdin_filename: str | None = None
    quiet: bool = False
    verbose: bool = False
    version: bool = False
    jobs: int = 0  # 0: one per CPU
    write_dockerignore: bool = False
    output_format: str = "text"
    statistics: bool = False
    show_fixes: bool = False
    exit_zero: bool = False
    exit_non_zero_on_fix: bool = False
    color: str = "auto"

    @property
    def collects(self) -> bool:
        """Return whether problems are gathered for one report at the end of the run."""
        return self.output_format != "text" or self.statistics


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line `argv` (default: sys.argv[1:]); return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["prove"]:  # `dffix prove DOCKERFILE`; a file named prove: `dffix ./prove`
        from dffix.prove import main as prove

        return prove(args[1:])
    if args[:1] == ["server"]:
        # The language server speaks LSP on stdin/stdout; it never loads typer.
        from dffix.server import main as serve

        return serve(args[1:])
    try:
        opts = parse_argv(args)
        if opts is None:
            from dffix.cli import run_typer

            return run_typer(args)
        return run(opts)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`dffix --check . | head`); don't let Python complain at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FOUND


# -- parsing --------------------------------------------------------------------


def parse_argv(args: Sequence[str]) -> Options | None:
    """Return the Options of a command line, or None to let the typer app handle it.

    Only unambiguous lines are read here: an unknown option, a flag given a value, a
    missing value, a value that looks like an option, or a usage error returns None.
    """
    values: dict[str, object] = {}
    paths: list[str] = []
    rest = list(args)
    only_paths = False
    while rest:
        arg = rest.pop(0)
        if only_paths or arg == "-" or not arg.startswith("-"):
            paths.append(arg)
            continue
        if arg == "--":
            only_paths = True
            continue
        flag, has_value, value = arg.partition("=")
        spec = _BY_FLAG.get(flag)
        if spec is None or (spec.takes is Takes.NOTHING and has_value):
            return None
        if spec.takes is Takes.NOTHING:
            values[spec.dest] = spec.const
            continue
        if not has_value:
            if not rest or rest[0].startswith("-"):
                return None  # how click reads `--config --diff` is for click to say
            value = rest.pop(0)
        values[spec.dest] = [*_strings(values.get(spec.dest)), value] if spec.takes is Takes.MANY else value
    options = build_options(paths, values)
    return options if isinstance(options, Options) else None


def build_options(paths: Sequence[str], values: Mapping[str, object]) -> Options | str:
    """Return Options from paths and option values keyed by `dest`, or a usage error message.

    Both parsers end here, so they agree on defaults, comma-splitting and usage rules.
    """

    def flag(dest: str) -> bool:
        return values.get(dest) is True

    if flag("version"):
        return Options(version=True)
    if flag("diff") and flag("check"):
        return "--diff and --check cannot be used together"
    stdin_filename = _one(values.get("stdin_filename"))
    paths = tuple(paths) or (("-",) if stdin_filename is not None else ())
    if not paths:
        return "missing PATH: give Dockerfiles or folders, or - to read stdin"
    read_stdin = "-" in paths
    if read_stdin and len(paths) > 1:
        return "- (stdin) cannot be combined with other paths"
    if stdin_filename is not None and not read_stdin:
        return "--stdin-filename applies only when reading stdin (-)"
    mode = OutputMode.DIFF if flag("diff") else OutputMode.CHECK if flag("check") else OutputMode.WRITE
    unsafe = values.get("unsafe_fixes")
    jobs_text = _one(values.get("jobs"))
    jobs = int(jobs_text) if jobs_text is not None and jobs_text.isdigit() else 0
    if jobs_text is not None and jobs < 1:
        return f"--jobs takes a whole number of 1 or more, not {jobs_text!r}"
    output_format = (_one(values.get("output_format")) or "text").lower()
    if output_format not in OUTPUT_FORMATS:
        return f"--output-format takes one of {', '.join(OUTPUT_FORMATS)}, not {output_format!r}"
    color = (_one(values.get("color")) or "auto").lower()
    if color not in COLOR_CHOICES:
        return f"--color takes one of {', '.join(COLOR_CHOICES)}, not {color!r}"
    if read_stdin and mode is OutputMode.WRITE and (output_format != "text" or flag("statistics")):
        return (
            "reading stdin, stdout carries the fixed text: --output-format and --statistics need"
            " --check or --diff"
        )
    if flag("exit_zero") and flag("exit_non_zero_on_fix"):
        return "--exit-zero and --exit-non-zero-on-fix cannot be used together"
    return Options(
        paths=paths,
        mode=OutputMode.STDIN if read_stdin and mode is OutputMode.WRITE else mode,
        read_stdin=read_stdin,
        unsafe_fixes=unsafe if isinstance(unsafe, bool) else None,
        select=None if values.get("select") is None else split_selectors(values["select"]),
        ignore=split_selectors(values.get("ignore")),
        config=_one(values.get("config")),
        stdin_filename=stdin_filename,
        quiet=flag("quiet"),
        verbose=flag("verbose"),
        jobs=jobs,
        write_dockerignore=flag("write_dockerignore"),
        output_format=output_format,
        statistics=flag("statistics"),
        show_fixes=flag("show_fixes"),
        exit_zero=flag("exit_zero"),
        exit_non_zero_on_fix=flag("exit_non_zero_on_fix"),
        color=color,
    )


def split_selectors(raw: object) -> tuple[str, ...]:
    """Return the selectors of repeated, comma-separated option values."""
    return tuple(word.strip() for value in _strings(raw) for word in value.split(",") if word.strip())


def _strings(raw: object) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    assert isinstance(raw, (list, tuple)), raw
    return [str(v) for v in raw]


def _one(raw: object) -> str | None:
    return raw if isinstance(raw, str) else None


# -- pure: one text in, what to report out (in dffix.api) ------------------------


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# -- the shell: read, fix, write, print -----------------------------------------


class _Tally:
    """What one run found, for the exit code and the closing summary."""

    def __init__(self, buffered: bool = False) -> None:
        self.status = EXIT_OK
        # In a worker process, output is kept in order and printed by the parent.
        self.events: list[tuple[bool, bytes | str]] | None = [] if buffered else None
        # While processing a file found by searching a folder, its own errors (it does
        # not parse, cannot be read) count as findings (exit 1), like a diagnostic:
        # a broken file among many is not bad usage of the command.
        self.lenient = False
        self.unsafe_left = 0
        self.manual_left = 0
        self.problems = 0
        self.by_marker: dict[str, int] = {}
        self.files_with_problems = 0
        self.findings: list[Finding] = []  # for --output-format and --statistics
        self.fixes = 0  # fixes made (or, with --diff, that would be)

    def found(self) -> None:
        self.status = max(self.status, EXIT_FOUND)

    def error(self, message: str) -> None:
        self.status = max(self.status, EXIT_FOUND if self.lenient else EXIT_ERROR)
        self.err(message)

    def out(self, data: bytes) -> None:
        if self.events is None:
            out(data)
        else:
            self.events.append((True, data))

    def err(self, line: str) -> None:
        if self.events is None:
            err(line)
        else:
            self.events.append((False, line))

    def merge(self, other: _Tally) -> None:
        """Print what a worker buffered and add up its counts."""
        for to_stdout, data in other.events or ():
            if to_stdout:
                assert isinstance(data, bytes)
                out(data)
            else:
                assert isinstance(data, str)
                err(data)
        self.status = max(self.status, other.status)
        self.unsafe_left += other.unsafe_left
        self.manual_left += other.manual_left
        self.problems += other.problems
        self.files_with_problems += other.files_with_problems
        self.findings += other.findings
        self.fixes += other.fixes
        for mark, n in other.by_marker.items():
            self.by_marker[mark] = self.by_marker.get(mark, 0) + n


class _Configs:
    """Settings per Dockerfile folder, each config file read and reported once per run."""

    def __init__(self, opts: Options, tally: _Tally) -> None:
        self.opts = opts
        self.tally = tally
        # folder -> (dffix config, hadolint config): the files its settings come from
        self.by_folder: dict[str, tuple[str | None, str | None]] = {}
        self.by_file: dict[tuple[str | None, str | None], RuleSet | ConfigError] = {}
        self.seen: tuple[dict[str, str | None], dict[str, str | None]] = ({}, {})  # folders searched
        # The config names in each folder the Dockerfile search read: a monorepo's
        # config search then costs no stat call in those folders (five each before).
        self.listing = Listing(SEARCHED_NAMES, {})

    def for_folder(self, folder: str) -> RuleSet | None:
        """Return the rules for files in `folder`, or None (reported) when the config is bad."""
        if folder not in self.by_folder:
            self.by_folder[folder] = config_files(folder, self.opts.config, self.seen, self.listing.found)
        key = self.by_folder[folder]
        if key not in self.by_file:
            self.by_file[key] = self._load(*key)
            if isinstance(self.by_file[key], ConfigError):
                self.tally.error(str(self.by_file[key]))
        found = self.by_file[key]
        if isinstance(found, ConfigError):
            self.tally.status = EXIT_ERROR
            return None
        return found

    def _load(self, path: str | None, hadolint: str | None) -> RuleSet | ConfigError:
        opts = self.opts
        overrides = Overrides(opts.select, opts.ignore, opts.unsafe_fixes)
        return load_rule_set(path, hadolint, overrides, self.tally.err if opts.verbose else None, _relative)


_folder = folder_of  # the folder a file is in (`.` for a bare file name)


def _relative(path: str) -> str:
    """Return `path` relative to the working folder when it is inside it (for messages)."""
    shown = os.path.relpath(path)
    return str(path) if shown.startswith(os.pardir) else shown


def run(opts: Options) -> int:
    """Run one parsed command line; return the exit code."""
    if opts.version:
        from dffix import version_line

        out(version_line().encode())
        return EXIT_OK
    for word in (*(opts.select or ()), *opts.ignore):
        problem = selector_error(word)
        if problem:
            err(f"error: {problem}")
            return EXIT_ERROR
        if opts.verbose and (note := selector_note(word)):
            err(f"note: {note}")
    problem = path_error(opts.paths)
    if problem:
        err(problem)
        return EXIT_ERROR
    tally = _Tally()
    configs = _Configs(opts, tally)
    if opts.read_stdin:
        _guarded(opts.stdin_filename or "-", tally, lambda: _run_stdin(opts, configs, tally))
    else:
        _run_files(opts, configs, tally)
    if opts.collects:
        _print_report(opts, tally)
    if not opts.quiet and opts.mode is not OutputMode.STDIN:
        for line in summary_lines(opts.mode, tally):
            err(line)
    return exit_status(opts, tally.status, tally.fixes)


def exit_status(opts: Options, status: int, fixes: int) -> int:
    """Return the exit code of a run, after --exit-zero and --exit-non-zero-on-fix."""
    if opts.exit_zero and status == EXIT_FOUND:
        return EXIT_OK
    if opts.exit_non_zero_on_fix and fixes and status == EXIT_OK and opts.mode is not OutputMode.CHECK:
        return EXIT_FOUND
    return status


def _print_report(opts: Options, tally: _Tally) -> None:
    """Print the report of the whole run (--output-format other than text, --statistics)."""
    from dffix import report
    from dffix.rules import ALL_RULES

    if opts.output_format != "text" and not (opts.statistics and opts.output_format == "json"):
        out(encode(report.render(opts.output_format, tally.findings, ALL_RULES)))
    if opts.statistics:
        table = report.statistics(tally.findings, opts.output_format)
        if opts.mode is OutputMode.CHECK and opts.output_format in ("text", "json"):
            out(encode(table))
        else:  # stdout holds the diff or the report
            for line in table.splitlines():
                err(line)


# Words other tools take as a command (ruff check, black's format, hadolint's lint).
_COMMAND_HABITS = {
    "check": "`dffix --check PATH` to print problems, `dffix PATH` to fix them",
    "lint": "`dffix --check PATH` to print problems",
    "format": "`dffix PATH` to fix in place, `dffix --diff PATH` to see the fixes",
    "fix": "`dffix PATH` to fix in place (add --unsafe-fixes for more)",
}


def path_error(paths: Sequence[str]) -> str | None:
    """Return why the command-line paths cannot be run (a usage error), or None.

    A path that does not exist stops the run before any file is written, as black
    does: a typo must not leave half the files fixed. A first word such as `check`
    that is not a file is another tool's command: say what dffix takes instead.
    """
    if paths and paths[0] in _COMMAND_HABITS and not os.path.lexists(paths[0]):
        return f"error: dffix has no {paths[0]!r} command; use {_COMMAND_HABITS[paths[0]]}"
    missing = [p for p in paths if p != "-" and not os.path.lexists(p)]
    if missing:
        lines = [f"{p}: error: no such file or directory" for p in missing]
        return "\n".join([*lines, "error: nothing was done; every PATH must exist"])
    return None


def _run_files(opts: Options, configs: _Configs, tally: _Tally) -> None:
    targets, errors = discover(opts.paths, configs.listing)
    for error in errors:
        tally.error(str(error))
    # Settings are read here, once per config file, so their errors are reported once.
    work = [(t, rs) for t in targets if (rs := configs.for_folder(_folder(t.path))) is not None]
    jobs = opts.jobs or os.cpu_count() or 1
    global _progress
    if _is_tty(sys.stderr):  # pipes and CI never load the progress module
        from dffix import progress

        if progress.wanted(True, len(work), opts.quiet):
            _progress = progress.Progress(len(work), sys.stderr, with_stdout=_is_tty(sys.stdout))
    try:
        if jobs > 1 and len(work) >= _PARALLEL_FROM:
            _run_parallel(work, opts, jobs, tally)
            return
        for target, rule_set in work:
            tally.lenient = not target.named
            _run_file(target, opts, rule_set, tally)
            tally.lenient = False
            if _progress is not None:
                _progress.step()
    finally:
        if _progress is not None:
            _progress.clear()
            _progress = None


# Below this many files, starting worker processes costs more than it saves.
_PARALLEL_FROM = 8


def _run_parallel(work: list[tuple[Target, RuleSet]], opts: Options, jobs: int, tally: _Tally) -> None:
    """Fix files in worker processes; print their output in the order of `work`.

    Each worker handles one file at a time and keeps no state between files, so
    memory stays flat however many files there are.
    """
    if not _CAN_FORK:
        _run_pool(work, opts, jobs, tally)
        return
    import gc

    from dffix import workers

    # The workers share the parent's pages (every module and rule table is loaded by
    # now) until they write to them, and the collector's bookkeeping writes to every
    # object it scans; frozen objects are never scanned, so those pages stay shared.
    gc.freeze()
    global _SHARED
    # Forked workers already hold the work list: each is sent an index, not the file
    # and its rule set (pickled per file, and rebuilt in the worker, rules and all).
    _SHARED = (work, opts)

    def merged(index: int, result: _Tally) -> None:
        tally.merge(result)
        if _progress is not None:
            _progress.step()

    def died(index: int) -> _Tally:
        # Killed (out of memory, a signal): files are written atomically, so this one
        # is fixed or as it was; the other files go on in another worker.
        lost = _Tally(buffered=True)
        lost.status = EXIT_ERROR
        lost.err(
            f"{work[index][0].shown}: error: a dffix worker process died (out of memory, or killed)"
            " while working on this file; it is fixed or untouched, not half-written"
        )
        return lost

    workers.run(len(work), jobs, _work_at, merged, died, _in_worker)


_CAN_FORK = hasattr(os, "fork")  # not on Windows


def _run_pool(work: list[tuple[Target, RuleSet]], opts: Options, jobs: int, tally: _Tally) -> None:
    """`_run_parallel` where there is no fork: a process pool, each file sent pickled."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    context = multiprocessing.get_context()
    chunk = max(1, len(work) // (jobs * 8))
    done = 0
    try:
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_in_worker)
        interrupted = False
        try:
            for result in pool.map(_work_one, work, [opts] * len(work), chunksize=chunk):
                tally.merge(result)
                done += 1
                if _progress is not None:
                    _progress.step()
        except KeyboardInterrupt:
            # Ctrl-C: stop the workers now (they ignore SIGINT, so they print nothing)
            # rather than let the pool finish every queued file on its way out. The
            # pool's own thread then trips over the futures map() has just cancelled
            # (InvalidStateError, a CPython quirk): we are exiting, keep it quiet.
            import threading

            interrupted = True
            threading.excepthook = lambda args: None
            for process in list((pool._processes or {}).values()):
                process.terminate()
            raise
        finally:
            # A worker killed while it sent a result leaves half a message in the pipe, and
            # the pool's own thread waits for the rest forever (1 run in 5 hung when Ctrl-C
            # came early): after Ctrl-C the pool is not waited for; the process exits next.
            pool.shutdown(wait=not interrupted, cancel_futures=interrupted)
    except BrokenProcessPool:
        # A worker was killed (out of memory, a signal). Files are written atomically, so
        # each is either fixed or as it was; the run cannot say which of the rest.
        left = len(work) - done
        tally.status = EXIT_ERROR
        tally.err(
            f"{work[done][0].shown}: error: a dffix worker process died (out of memory, or killed)"
            f" while working on this file or one of the {left - 1} after it; those are fixed or"
            " untouched, not half-written. Rerun with --jobs 1 to see which file it is"
        )


def _in_worker() -> None:
    """Forget the parent's progress line (only the parent draws it), and leave Ctrl-C to
    the parent, which stops the workers itself: no traceback from each of them."""
    import signal

    global _progress
    _progress = None
    signal.signal(signal.SIGINT, signal.SIG_IGN)


_SHARED: tuple[list[tuple[Target, RuleSet]], Options] | None = None


def _work_at(index: int) -> _Tally:
    """Fix the file at `index` of the work list the worker was forked with."""
    assert _SHARED is not None
    work, opts = _SHARED
    return _work_one(work[index], opts)


def _work_one(item: tuple[Target, RuleSet], opts: Options) -> _Tally:
    """Fix one file in a worker process; return its buffered output and counts."""
    target, rule_set = item
    tally = _Tally(buffered=True)
    tally.lenient = not target.named
    _run_file(target, opts, rule_set, tally)
    return tally


def _run_file(target: Target, opts: Options, rule_set: RuleSet, tally: _Tally) -> None:
    _guarded(target.shown, tally, lambda: _fix_file(target, opts, rule_set, tally))
    # What the rules cached about this file's RUNs is of no use to the next file.
    memo.forget()


def _guarded(shown: str, tally: _Tally, work: Callable[[], None]) -> None:
    """Run the work on one file; report an exception from inside dffix as one line.

    An exception here is a bug in dffix, never the user's file: the file is left as it
    is (writes are atomic), the run goes on with the other files, and it exits 2.
    """
    try:
        work()
    except BrokenPipeError:
        raise
    except Exception as exc:
        detail = next(iter(str(exc).splitlines()), "")[:200]
        lenient, tally.lenient = tally.lenient, False
        tally.error(f"{shown}: dffix bug: {type(exc).__name__}: {detail}; please report it")
        tally.lenient = lenient


def _fix_file(target: Target, opts: Options, rule_set: RuleSet, tally: _Tally) -> None:
    text = read_source(target)
    if isinstance(text, FileError):
        tally.error(str(text))
        return
    context = BuildContext(_folder(target.path), os.path.basename(target.path))
    if opts.mode is OutputMode.CHECK:
        _report_check(text, target.shown, rule_set, context, tally, opts)
        return
    checked = _checked_first(text, rule_set, context, opts)
    fixed = _report_fix(text, target.shown, rule_set, context, tally, checked)
    if fixed is None or fixed.bugs:  # a dffix bug: the file and its folder stay as they are
        return
    if opts.collects:
        _collect_fixed(text, fixed, target.shown, rule_set, context, tally, opts, checked)
    if fixed.text != text:  # an unchanged file is not touched: its mtime stays
        _write_or_show(target, opts, text, fixed, tally)
    _new_dockerignore(target, opts, rule_set, fixed.text, context, tally)


def _write_or_show(target: Target, opts: Options, text: str, fixed: Fixed, tally: _Tally) -> None:
    count = _plural(fixed.fixes, "fix", "fixes")
    if opts.mode is OutputMode.DIFF:
        if opts.output_format == "text":
            _print_diff(text, fixed.text, target.shown, tally, opts)
        else:  # stdout carries the report; the diff would make it unreadable
            tally.found()
        tally.fixes += fixed.fixes
        _say(opts, tally, f"would fix {target.shown} ({count})")
        _show_fixes(opts, tally, fixed)
        return
    problem = write_atomic(target, encode(fixed.text), expected=encode(text))
    if problem is not None:
        tally.error(str(problem))
    else:
        tally.fixes += fixed.fixes
        _say(opts, tally, f"fixed {target.shown} ({count})")
        _show_fixes(opts, tally, fixed)


def _show_fixes(opts: Options, tally: _Tally, fixed: Fixed) -> None:
    """With --show-fixes, list the fixes of one file per rule, under its summary line."""
    if not opts.show_fixes:
        return
    counts: dict[tuple[str, str], int] = {}
    for v in fixed.applied:
        counts[(v.code, v.name)] = counts.get((v.code, v.name), 0) + 1
    for (code, name), n in sorted(counts.items()):
        tally.err(f"    {n} × {code} {name}")  # noqa: RUF001 (the sign ruff prints too)


def _checked_first(
    text: str, rule_set: RuleSet, context: BuildContext | None, opts: Options
) -> tuple[Dockerfile, list[Violation]] | None:
    """Return `text` parsed and checked when --diff makes a report of the text as it is.

    The report needs the problems of the file as written, which are what the fixer's
    first pass finds: checked once here, both use them. None otherwise (and for a text
    that does not parse: the fixer reports that).
    """
    if opts.mode is not OutputMode.DIFF or not opts.collects:
        return None
    df = parse(text)
    if isinstance(df, ParseError):
        return None
    from dffix.fixer import check

    return df, check(df, rule_set.rules, context)


def _collect_fixed(
    text: str,
    fixed: Fixed,
    shown: str,
    rule_set: RuleSet,
    context: BuildContext | None,
    tally: _Tally,
    opts: Options,
    checked: tuple[Dockerfile, list[Violation]] | None = None,
) -> None:
    """Gather the findings a report shows in write and diff modes.

    Writing, they are the problems left in the fixed text (where the file now has them).
    With --diff, they are the problems of the file as it is, each with the fix the diff
    would make: the report stands in for the diff on stdout.
    """
    from dffix.report import finding

    if opts.mode is OutputMode.DIFF:
        found = check_violations(text, rule_set, context) if checked is None else checked[1]
        source = text
    else:
        found, source = list(fixed.remaining), fixed.text
    if isinstance(found, ParseError):
        return
    severity = _severities(rule_set)
    tally.findings += [finding(v, source, shown, severity.get(v.code, "warning")) for v in found]


def _severities(rule_set: RuleSet) -> dict[str, str]:
    return severities(rule_set.rules)


def _new_dockerignore(
    target: Target, opts: Options, rule_set: RuleSet, text: str, context: BuildContext, tally: _Tally
) -> None:
    """Write (with --diff: show) the `.dockerignore` DF203 proposes, when asked for.

    Only with --write-dockerignore (a fix level never creates files), only when DF203
    is selected and not suppressed for this file, and never over an existing file.
    """
    if not opts.write_dockerignore:
        return
    from dffix.fixer import check
    from dffix.rules.dockerignore import MissingDockerignore

    rules = [r for r in rule_set.rules if isinstance(r, MissingDockerignore)]
    df = parse(text) if rules else None
    if df is None or isinstance(df, ParseError) or not check(df, rules, context):
        return
    found = MissingDockerignore.new_file(df, compute_facts(df, context), os.path.basename(target.path))
    if found is None:
        return
    rel, content = found
    shown = os.path.join(os.path.dirname(target.shown), rel)
    if opts.mode is OutputMode.DIFF:
        lines = content.splitlines(keepends=True)
        body = "".join("+" + line for line in lines)
        tally.out(encode(f"--- /dev/null\n+++ b/{shown}\n@@ -0,0 +1,{len(lines)} @@\n{body}"))
        tally.found()
        _say(opts, tally, f"would write {shown}")
        return
    try:
        with open(os.path.join(_folder(target.path), rel), "x", encoding="utf-8", newline="") as handle:
            handle.write(content)
    except FileExistsError:
        return
    except OSError as error:
        tally.error(f"{shown}: error: cannot write: {error.strerror or error}")
        return
    _say(opts, tally, f"wrote {shown}")


def _run_stdin(opts: Options, configs: _Configs, tally: _Tally) -> None:
    shown = opts.stdin_filename or "-"
    folder = _folder(opts.stdin_filename) if opts.stdin_filename else os.getcwd()
    rule_set = configs.for_folder(folder)
    data = sys.stdin.buffer.read(MAX_BYTES + 1)
    if rule_set is None:
        return
    if len(data) > MAX_BYTES:
        tally.error(str(FileError(shown, f"larger than {MAX_BYTES >> 20} MiB; not read")))
        return
    text = decode(data, shown)
    if isinstance(text, FileError):
        tally.error(str(text))
        return
    # Without a file name there is no folder to trust as the build context.
    context = BuildContext(folder, os.path.basename(opts.stdin_filename)) if opts.stdin_filename else None
    if opts.mode is OutputMode.CHECK:
        _report_check(text, shown, rule_set, context, tally, opts)
        return
    checked = _checked_first(text, rule_set, context, opts)
    fixed = _report_fix(text, shown, rule_set, context, tally, checked)
    # An editor replaces its buffer with what we print: print nothing unless all went well.
    if fixed is None or tally.status == EXIT_ERROR:
        return
    tally.fixes += fixed.fixes
    if opts.collects:
        _collect_fixed(text, fixed, shown, rule_set, context, tally, opts, checked)
    if opts.mode is OutputMode.DIFF:
        if opts.output_format == "text":
            _print_diff(text, fixed.text, shown, tally, opts)
        elif fixed.text != text:
            tally.found()
    else:
        out(encode(fixed.text))
    if fixed.fixes and opts.show_fixes:
        verb = "would fix" if opts.mode is OutputMode.DIFF else "fixed"
        _say(opts, tally, f"{verb} {shown} ({_plural(fixed.fixes, 'fix', 'fixes')})")
        _show_fixes(opts, tally, fixed)


def _report_fix(
    text: str,
    shown: str,
    rule_set: RuleSet,
    context: BuildContext | None,
    tally: _Tally,
    checked: tuple[Dockerfile, list[Violation]] | None = None,
) -> Fixed | None:
    """Fix one text; report a parse error (then return None) or dffix bugs; count what is left.

    `checked`: `text` parsed and checked already (see `_checked_first`).
    """
    fixed = fix_text(text, rule_set, context, checked)
    if isinstance(fixed, ParseError):
        tally.error(f"{shown}:{fixed.line}:{fixed.col}: error: {fixed.message}")
        return None
    if fixed.bugs:
        # The fixer then returns the input unchanged: nothing is written or printed but
        # this one line (all the bugs of the file in it), and the run exits 2.
        lenient, tally.lenient = tally.lenient, False
        tally.error(f"{shown}: dffix bug: {'; '.join(fixed.bugs)}; please report it")
        tally.lenient = lenient
        return fixed
    tally.unsafe_left += fixed.unsafe_left
    tally.manual_left += fixed.manual_left
    return fixed


def _say(opts: Options, tally: _Tally, line: str) -> None:
    """Print a summary line on stderr unless --quiet."""
    if not opts.quiet:
        tally.err(line)


def _report_check(
    text: str, shown: str, rule_set: RuleSet, context: BuildContext | None, tally: _Tally, opts: Options
) -> None:
    violations = check_violations(text, rule_set, context)
    if isinstance(violations, ParseError):
        tally.error(f"{shown}:{violations.line}:{violations.col}: error: {violations.message}")
        return
    found = [Diagnostic(*line_col(text, v.span.start), v.code, v.message, marker(v)) for v in violations]
    if opts.collects:
        from dffix.report import finding

        severity = _severities(rule_set)
        tally.findings += [finding(v, text, shown, severity.get(v.code, "warning")) for v in violations]
    else:
        tally.out(encode("".join(diagnostic_line(shown, d, _color(opts)) for d in found)))
    for d in found:
        tally.by_marker[d.marker] = tally.by_marker.get(d.marker, 0) + 1
    if found:
        tally.found()
        tally.problems += len(found)
        tally.files_with_problems += 1


def diagnostic_line(shown: str, d: Diagnostic, color: bool = False) -> str:
    """Return one --check line: `path:line:col: CODE message [marker]`."""
    if color:
        return f"\x1b[1m{shown}\x1b[0m:{d.line}:{d.col}: \x1b[1;31m{d.code}\x1b[0m {d.message} {d.marker}\n"
    return f"{shown}:{d.line}:{d.col}: {d.code} {d.message} {d.marker}\n"


def _print_diff(old: str, new: str, shown: str, tally: _Tally, opts: Options) -> None:
    from dffix.diff import unified_diff

    diff = unified_diff(old, new, shown, color=_color(opts))
    if diff:
        tally.out(encode(diff))
        tally.found()


def summary_lines(mode: OutputMode, tally: _Tally) -> list[str]:
    """Return the closing summary printed on stderr (nothing when there is nothing to say)."""
    if mode is OutputMode.CHECK:
        if not tally.problems:
            return []
        files = _plural(tally.files_with_problems, "file", "files")
        counts = ", ".join(
            f"{tally.by_marker[m]} {m}" for m in (MARK_SAFE, MARK_UNSAFE, MARK_NONE) if m in tally.by_marker
        )
        return [f"found {_plural(tally.problems, 'problem', 'problems')} in {files} ({counts})"]
    lines = []
    if tally.unsafe_left:
        lines.append(f"{_plural(tally.unsafe_left, 'more fix', 'more fixes')} available with --unsafe-fixes")
    if tally.manual_left:
        lines.append(
            f"{_plural(tally.manual_left, 'problem needs', 'problems need')} a manual fix (see --check)"
        )
    return lines


# -- output ---------------------------------------------------------------------

# The progress line of a long run on a terminal (dffix.progress), cleared before output.
_progress: Progress | None = None


def out(data: bytes) -> None:
    """Write bytes to stdout as they are (CRLF and non-UTF-8 bytes included)."""
    if _progress is not None and _progress.with_stdout:
        _progress.clear()
    stream = sys.stdout
    stream.flush()
    stream.buffer.write(data)
    stream.buffer.flush()


def err(line: str) -> None:
    """Write one line to stderr."""
    if _progress is not None:
        _progress.clear()
    sys.stdout.flush()
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _color(opts: Options) -> bool:
    """Return whether to colour stdout: --color, else NO_COLOR (any value), else a terminal."""
    if opts.color != "auto":
        return opts.color == "always"
    return not os.environ.get("NO_COLOR") and _is_tty(sys.stdout)


def _is_tty(stream: object) -> bool:
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):  # closed, detached, replaced
        return False
