"""The command line's options as plain data: names, what each takes, help texts.

The fast path in `dffix.entry`, the typer app in `dffix.cli`, `dffix prove` and the
launcher's own `--help` (`dffix.launch`) all read this table. It imports nothing (no
typing, no enum, no records), so `dffix --help` can print it without loading the engine.
"""

from __future__ import annotations


class Takes:
    """What an option takes from the command line (compare with `is`)."""

    NOTHING = "nothing"  # a flag
    ONE = "one"  # one value; given twice, the last wins
    MANY = "many"  # repeatable; values may also be comma-separated


class OptionSpec:
    """One command-line option, shared by the fast parser and the typer app."""

    __slots__ = ("const", "dest", "flag", "help", "metavar", "takes")

    def __init__(
        self, flag: str, dest: str, takes: str, help: str, const: bool = True, metavar: str = ""
    ) -> None:
        self.flag = flag
        self.dest = dest
        self.takes = takes
        self.help = help
        self.const = const  # the value a flag sets
        self.metavar = metavar

    def __repr__(self) -> str:
        return f"OptionSpec({self.flag!r}, {self.dest!r}, {self.takes!r})"


OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec(
        "--diff", "diff", Takes.NOTHING, "Print a unified diff of the fixes; write nothing. Exit 1 if any."
    ),
    OptionSpec("--check", "check", Takes.NOTHING, "Print every problem found; write nothing. Exit 1 if any."),
    OptionSpec(
        "--unsafe-fixes", "unsafe_fixes", Takes.NOTHING, "Also apply fixes that may change the image."
    ),
    OptionSpec("--no-unsafe-fixes", "unsafe_fixes", Takes.NOTHING, "Apply safe fixes only.", const=False),
    OptionSpec(
        "--select", "select", Takes.MANY, "Rules to use: codes, names, aliases, DF2, ALL.", metavar="RULES"
    ),
    OptionSpec("--ignore", "ignore", Takes.MANY, "Rules to leave out.", metavar="RULES"),
    OptionSpec("--config", "config", Takes.ONE, "Use this config file instead of searching.", metavar="FILE"),
    OptionSpec(
        "--stdin-filename",
        "stdin_filename",
        Takes.ONE,
        "File name for stdin: config and messages.",
        metavar="NAME",
    ),
    OptionSpec("--quiet", "quiet", Takes.NOTHING, "Print no summaries, only errors, diffs and problems."),
    OptionSpec(
        "--verbose",
        "verbose",
        Takes.NOTHING,
        "Also say which config files are used and what selectors select.",
    ),
    OptionSpec(
        "--write-dockerignore",
        "write_dockerignore",
        Takes.NOTHING,
        "Write the .dockerignore DF203 proposes (with --diff: show it); never overwrites.",
    ),
    OptionSpec(
        "--jobs", "jobs", Takes.ONE, "Files to work on at once (default: the number of CPUs).", metavar="N"
    ),
    OptionSpec(
        "--output-format",
        "output_format",
        Takes.ONE,
        "How to print problems: text, json, sarif, github or gitlab (default: text).",
        metavar="FORMAT",
    ),
    OptionSpec(
        "--statistics",
        "statistics",
        Takes.NOTHING,
        "Print the number of problems per rule and how many are fixable.",
    ),
    OptionSpec(
        "--show-fixes", "show_fixes", Takes.NOTHING, "Say which fixes were made (or would be), per file."
    ),
    OptionSpec("--exit-zero", "exit_zero", Takes.NOTHING, "Exit 0 even when problems or a diff are found."),
    OptionSpec(
        "--exit-non-zero-on-fix",
        "exit_non_zero_on_fix",
        Takes.NOTHING,
        "Exit 1 when a fix was made, even if nothing is left.",
    ),
    OptionSpec(
        "--color",
        "color",
        Takes.ONE,
        "Colour diffs and problems: auto, always or never (default: auto).",
        metavar="WHEN",
    ),
    OptionSpec("--version", "version", Takes.NOTHING, "Print the version and exit."),
)
OUTPUT_FORMATS = ("text", "json", "sarif", "github", "gitlab")
COLOR_CHOICES = ("auto", "always", "never")
# Options only the typer app knows; the fast parser hands them over.
TYPER_ONLY_OPTIONS = (
    "--explain",
    "--list-rules",
    "--help",
    "-h",
    "--install-completion",
    "--show-completion",
)
# Options only the typer app reads, listed by `--help` after OPTIONS.
EXPLAIN = OptionSpec(
    "--explain", "explain", Takes.ONE, "Print a rule's documentation (code, name or alias).", metavar="RULE"
)
LIST_RULES = OptionSpec("--list-rules", "list_rules", Takes.NOTHING, "Print a table of all rules.")
# typer's own rows, last in its `--help` (tests/test_launch.py compares with typer's).
TYPER_HELP_ROWS = (
    ("--install-completion", "Install completion for the current shell."),
    ("--show-completion", "Show completion for the current shell, to copy it or customize the installation."),
    ("-h, --help", "Show this message and exit."),
)
USAGE = "Usage: dffix [OPTIONS] [PATH]..."
COMMAND_HELP = (
    "Fix the Dockerfiles named by PATH... in place with safe fixes. A PATH is a Dockerfile, a folder "
    "(searched for Dockerfile, Containerfile, *.Dockerfile, *.dockerfile and Dockerfile.*) or - to read "
    "stdin and print the fixed text. "
    "Exit codes: 0 ok, 1 diff or problems found (--diff, --check), 2 error. "
    "`dffix prove DOCKERFILE` builds the original and the fixed file and compares them "
    "(see `dffix prove --help`). "
    "`dffix server` runs the language server editors use (problems, quick fixes, fix on save)."
)
BY_FLAG = {spec.flag: spec for spec in OPTIONS}


def option(flag: str) -> OptionSpec:
    """Return the spec of an option in OPTIONS."""
    return BY_FLAG[flag]
