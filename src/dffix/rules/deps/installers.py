"""Which commands DF202 reads as installs, by their names alone: the rule's cheap first look.

Most files run no install DF202 knows, and without one the rule has nothing to say. This
module answers that from the command names, without the readers of each package manager,
the model or the planner (`commands`, `run`, `planner`: about 4 ms of a start), which load
only when a RUN may install. `INSTALLERS` are the names `commands` has a reader for that
may return a Tool; tests/rules/test_deps_fast.py holds the two together.
"""

from __future__ import annotations

from dffix.lazy import lazy_re
from dffix.memo import file_cache
from dffix.syntax.shell import split_commands
from dffix.syntax.tree import Instruction

INSTALLERS = frozenset(
    {"pip", "uv", "pipenv", "poetry", "pdm", "npm", "yarn", "pnpm", "go", "bundle", "gem", "composer"}
)


def unwrap(argv: tuple[str, ...]) -> tuple[str, ...]:
    """Drop `NAME=value` prefixes and a plain `sudo`."""
    i = 0
    while i < len(argv) and "=" in argv[i] and _ASSIGNMENT.match(argv[i]):
        i += 1
    argv = argv[i:]
    if argv[:1] == ("sudo",) and len(argv) > 1 and not argv[1].startswith("-"):
        argv = argv[1:]
    return argv


_ASSIGNMENT = lazy_re(r"^[A-Za-z_][A-Za-z0-9_]*=")
_PYTHON = lazy_re(r"python[0-9.]*")
_PIP = lazy_re(r"pip[0-9.]*")


def tool_name(argv: tuple[str, ...]) -> tuple[str | None, tuple[str, ...]]:
    """Return the tool a command runs (`pip` for `python3 -m pip`) and its arguments."""
    name = argv[0].rsplit("/", 1)[-1]
    args = argv[1:]
    if name.startswith("python") and _PYTHON.fullmatch(name):
        if args[:1] == ("-m",) and len(args) > 1:
            return tool_name(args[1:])
        return None, args
    if name.startswith("pip") and _PIP.fullmatch(name):
        return "pip", args
    if name == "bundler":
        return "bundle", args
    if "$" in name:
        return None, args
    return name, args


def is_installer(argv: tuple[str, ...]) -> bool:
    """Return whether `commands.command_effect(argv)` may be an install Tool (False: it is not).

    Asked of every command of every RUN: a bare first word is not unwrapped, and only a
    name `tool_name` may read as another (`python3 -m pip`, `pip3.11`, `bundler`) goes
    to it; any other name is its own."""
    if not argv:
        return False
    first = argv[0]
    if "=" in first or first == "sudo":
        argv = unwrap(argv)
        if not argv:
            return False
        first = argv[0]
    name = first[first.rfind("/") + 1 :]
    if name in INSTALLERS:
        return True
    return name.startswith(("p", "b")) and tool_name(argv)[0] in INSTALLERS


def may_install(instr: Instruction) -> bool:
    """Return False when no command of the RUN is an install tool (its plan has no `tools`,
    whatever the shell and folder); True when one may be.

    Nine RUNs in ten run no package manager DF202 knows, and a stage without an install
    needs no plan at all: this look at the commands' names spares their reading (`run_plan`).
    """
    if instr.is_json:
        return is_installer(instr.values)
    return not instr.heredocs and _may_install(instr.args)


@file_cache(4096)
def _may_install(text: str) -> bool:
    # split_commands is cached, and the apt rules before this one split every RUN already
    # (a RUN's plan reads the script too): only the names are read here.
    script = split_commands(text)
    if script is not None:
        for cmd in script.commands:
            if is_installer(cmd.argv):
                return True
    return False
