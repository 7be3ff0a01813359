"""The `dffix` console script and `python -m dffix`: `--version` and `--help` at once.

An editor or a shell asks `dffix --version` and `dffix --help` often, and neither needs
the engine (`dffix.entry` loads the parser, the config reader and the fixer's records)
or typer (click, rich). Those two command lines alone are answered here from
`dffix.options`, which imports nothing; every other command line (`dffix prove --help`,
`--explain`, `--list-rules`, completion, paths, errors) goes to `dffix.entry.main`,
and the process then ends without the interpreter's teardown (see `_exit_now`).

The help text is typer's layout, rebuilt: the usage line, the command's help wrapped to
the terminal (at most 78 columns, as click does) and the options table with the same
columns; tests/test_launch.py checks it against typer's `--help` at several widths.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line `argv` (default: sys.argv[1:]); return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    # Shell completion (typer's `_DFFIX_COMPLETE`) always goes to typer.
    if len(args) == 1 and args[0] in ("--version", "--help", "-h") and "_DFFIX_COMPLETE" not in os.environ:
        if args[0] == "--version":
            from dffix import version_line

            text = version_line()
        else:
            text = help_text(help_width())
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:  # `dffix --help | head -1`, as dffix.entry handles it
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
        if argv is None:
            _exit_now(0)
        return 0
    import gc

    # The cyclic collector would walk every object the imports create, again and again;
    # they live as long as the process. They are set aside (frozen) once imported, and
    # collections come after 10,000 new objects instead of 700: a typical `dffix --diff
    # FILE` runs 2.7% fewer instructions (callgrind), a batch stays within its memory.
    gc.disable()
    from dffix.entry import main as run

    gc.freeze()
    gc.set_threshold(10_000)
    gc.enable()
    code = run(args)
    if argv is None and args[:1] not in (["prove"], ["server"]):
        _exit_now(code)
    return code


def _exit_now(code: int) -> None:
    """End the process without tearing the interpreter down, as mypy does.

    Freeing every module and object at exit costs about 8% of a typical `dffix --diff
    FILE` (callgrind), for nothing: the run is over, its files are written and closed,
    worker processes are joined. Output is flushed first; when that fails (a closed
    pipe), the normal exit reports it as it always did. `dffix prove` and `dffix server`
    (threads, child processes, temporary folders) exit normally.
    """
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(code)


def help_width() -> int:
    """Return the width click formats help for: the terminal's (COLUMNS first), 50 to 78."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
        columns = columns or 80
    return max(min(columns, 80) - 2, 50)


def help_text(width: int) -> str:
    """Return `dffix --help` for a page `width` columns wide."""
    from dffix.options import COMMAND_HELP, EXPLAIN, LIST_RULES, OPTIONS, TYPER_HELP_ROWS, USAGE

    rows: list[tuple[str, str]] = []
    for spec in (*OPTIONS, EXPLAIN, LIST_RULES):
        term = f"{spec.flag} {spec.metavar}" if spec.metavar else spec.flag
        if rows and spec.flag.startswith("--no-") and rows[-1][0] == "--" + spec.flag[5:]:
            rows[-1] = (f"{rows[-1][0]} / {spec.flag}", rows[-1][1])  # --x / --no-x: one row
            continue
        rows.append((term, spec.help))
    rows += TYPER_HELP_ROWS
    out = [USAGE, "", *_wrap(COMMAND_HELP, width, "  "), "", "Options:"]
    first_col = min(max(len(term) for term, _ in rows), 30) + 2
    text_width = max(width - first_col - 2, 10)
    pad = " " * (first_col + 2)
    for term, text in rows:
        lines = _wrap(text, text_width, "")
        if len(term) <= first_col - 2:
            out.append(f"  {term:<{first_col}}{lines[0]}")
        else:
            out += [f"  {term}", pad + lines[0]]
        out += [pad + line for line in lines[1:]]
    return "\n".join(out) + "\n"


def _wrap(text: str, width: int, indent: str) -> list[str]:
    """Return `text` in lines of at most `width` columns (with `indent`), broken at spaces;
    a word longer than a line is cut, as click's wrapper cuts it."""
    room = width - len(indent)
    lines: list[str] = []
    line = ""
    for word in text.split():
        while len(word) > room and not line:
            lines.append(indent + word[:room])
            word = word[room:]
        if not word:
            continue
        if line and len(line) + 1 + len(word) > room:
            lines.append(indent + line)
            line = ""
        line = f"{line} {word}" if line else word
    return [*lines, indent + line] if line or not lines else lines
