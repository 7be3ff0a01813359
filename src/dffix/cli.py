"""The typer app: `--explain`, `--list-rules`, completion and every command line the fast path
in `dffix.entry` does not take (unknown options, usage errors). `dffix --help` alone is
printed by `dffix.launch` from the same table, without loading typer; `run_typer(["--help"])`
still prints typer's own (tests/test_launch.py compares the two).

Options come from `dffix.options.OPTIONS` (names and help) and end in `entry.build_options`
and `entry.run`, so both paths parse and behave the same; tests/test_entry.py checks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from dffix import entry
from dffix.entry import EXIT_ERROR, EXIT_OK
from dffix.options import COMMAND_HELP, EXPLAIN, LIST_RULES, option


def _help(flag: str) -> str:
    return option(flag).help


def _metavar(flag: str) -> str:
    return option(flag).metavar


app = typer.Typer(
    add_completion=True,  # --install-completion and --show-completion (bash, zsh, fish, PowerShell)
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command(
    help=COMMAND_HELP,
    no_args_is_help=False,
)
def dffix(
    ctx: typer.Context,
    paths: Annotated[
        list[str] | None,
        # Hidden from the Arguments list, which would print it as `PATH <list[str]>`; the
        # usage line shows `[PATH]...` and the help text says what a PATH is.
        typer.Argument(metavar="PATH", show_default=False, hidden=True),
    ] = None,
    diff: Annotated[bool, typer.Option("--diff", help=_help("--diff"))] = False,
    check: Annotated[bool, typer.Option("--check", help=_help("--check"))] = False,
    unsafe_fixes: Annotated[
        bool | None,
        typer.Option("--unsafe-fixes/--no-unsafe-fixes", help=_help("--unsafe-fixes"), show_default=False),
    ] = None,
    select: Annotated[
        list[str] | None, typer.Option("--select", help=_help("--select"), metavar=_metavar("--select"))
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", help=_help("--ignore"), metavar=_metavar("--ignore"))
    ] = None,
    config: Annotated[
        str | None, typer.Option("--config", help=_help("--config"), metavar=_metavar("--config"))
    ] = None,
    stdin_filename: Annotated[
        str | None,
        typer.Option(
            "--stdin-filename", help=_help("--stdin-filename"), metavar=_metavar("--stdin-filename")
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help=_help("--quiet"))] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help=_help("--verbose"))] = False,
    write_dockerignore: Annotated[
        bool, typer.Option("--write-dockerignore", help=_help("--write-dockerignore"))
    ] = False,
    jobs: Annotated[
        str | None, typer.Option("--jobs", help=_help("--jobs"), metavar=_metavar("--jobs"))
    ] = None,
    output_format: Annotated[
        str | None,
        typer.Option("--output-format", help=_help("--output-format"), metavar=_metavar("--output-format")),
    ] = None,
    statistics: Annotated[bool, typer.Option("--statistics", help=_help("--statistics"))] = False,
    show_fixes: Annotated[bool, typer.Option("--show-fixes", help=_help("--show-fixes"))] = False,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help=_help("--exit-zero"))] = False,
    exit_non_zero_on_fix: Annotated[
        bool, typer.Option("--exit-non-zero-on-fix", help=_help("--exit-non-zero-on-fix"))
    ] = False,
    color: Annotated[
        str | None, typer.Option("--color", help=_help("--color"), metavar=_metavar("--color"))
    ] = None,
    version: Annotated[bool, typer.Option("--version", help=_help("--version"))] = False,
    explain: Annotated[
        str | None,
        typer.Option(EXPLAIN.flag, metavar=EXPLAIN.metavar, help=EXPLAIN.help),
    ] = None,
    list_rules: Annotated[bool, typer.Option(LIST_RULES.flag, help=LIST_RULES.help)] = False,
) -> None:
    """Run dffix: the typer side of `dffix.entry.main`."""
    if explain is not None:
        raise typer.Exit(explain_rule(explain))
    if list_rules:
        raise typer.Exit(list_all_rules())
    values = {
        "diff": diff,
        "check": check,
        "unsafe_fixes": unsafe_fixes,
        "select": select,
        "ignore": ignore,
        "config": config,
        "stdin_filename": stdin_filename,
        "quiet": quiet,
        "verbose": verbose,
        "version": version,
        "jobs": jobs,
        "write_dockerignore": write_dockerignore,
        "output_format": output_format,
        "statistics": statistics,
        "show_fixes": show_fixes,
        "exit_zero": exit_zero,
        "exit_non_zero_on_fix": exit_non_zero_on_fix,
        "color": color,
    }
    opts = entry.build_options(paths or (), values)
    if isinstance(opts, str):
        ctx.fail(opts)  # a usage error: exit 2 with the usage line
    raise typer.Exit(entry.run(opts))


def explain_rule(word: str) -> int:
    """Print the documentation of the rule `word` names; return the exit code."""
    from dffix.config import did_you_mean
    from dffix.docs import find_rule, rule_markdown
    from dffix.rules import ALL_RULES

    rule = find_rule(word, ALL_RULES)
    if rule is None:
        known = [w for r in ALL_RULES for w in (r.code, r.name, *r.aliases)]
        entry.err(f"error: unknown rule {word!r}{did_you_mean(word, known)}")
        return EXIT_ERROR
    entry.out(rule_markdown(rule).encode())
    return EXIT_OK


def list_all_rules() -> int:
    """Print the rules table; return the exit code."""
    from dffix.docs import rules_listing
    from dffix.rules import ALL_RULES

    entry.out(rules_listing(ALL_RULES).encode())
    return EXIT_OK


def run_typer(args: Sequence[str]) -> int:
    """Run the typer app on `args`; return its exit code instead of exiting."""
    try:
        app(args=list(args), prog_name="dffix")
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_ERROR)
    return EXIT_OK
