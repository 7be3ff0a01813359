"""What a `RUN` does to the project folder: its install tools, and the paths it writes."""

from __future__ import annotations

import re
from functools import lru_cache

from dffix.memo import Shape, file_cache, per_instruction
from dffix.rules.deps.commands import command_effect
from dffix.rules.deps.model import Cd, RunPlan as RunPlan, Tool
from dffix.rules.deps.paths import ABS, Loc, resolve
from dffix.syntax.shell import Kind, split_commands
from dffix.syntax.tree import Instruction

_POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh"})
_RUN_FLAGS = frozenset({"mount", "network", "security"})


@per_instruction
def _shape(instr: Instruction) -> Shape:
    """A RUN as `run_plan` reads it: its flags' text, form, values, arguments and whether
    it has heredocs, never where it is. Two RUNs of one shape have the same plan, so a RUN
    that a fix above it moved (or one repeated in another file) is read once."""
    flags = tuple(f.text for f in instr.flags)
    return Shape(instr, (flags, instr.is_json, instr.values, bool(instr.heredocs), instr.args))


def run_plan(instr: Instruction, shell: tuple[str, ...], workdir: Loc) -> RunPlan | None:
    """Return what a RUN does to the project folder, or None when it cannot be told.

    Pure in the RUN's shape (see `_shape`), the shell and the folder, and asked for again
    on every fixer pass: cached."""
    return _shaped_plan(_shape(instr), shell, workdir)


@file_cache(4096)
def _shaped_plan(shape: Shape, shell: tuple[str, ...], workdir: Loc) -> RunPlan | None:
    instr = shape.instr
    if any(f.name not in _RUN_FLAGS for f in instr.flags):
        return None
    mounts = _mount_targets(instr, workdir)
    commands = _run_commands(instr, shell)
    if mounts is None or commands is None:
        return None
    where = workdir
    tools: list[Tool] = []
    writes: list[Loc] = list(mounts)
    for argv, redirects in commands:
        effect = command_effect(argv)
        written = _redirect_writes(redirects)
        if effect is None or written is None:
            return None
        writes.extend(written)
        if isinstance(effect, Cd):
            moved = resolve(where, effect.path)
            if moved is None:
                return None
            where = moved
        elif isinstance(effect, Tool):
            tools.append(effect.at(where))
            writes.extend(_locs(effect.writes))
        else:
            writes.extend(_locs(effect.paths))
    return RunPlan(tuple(tools), tuple(writes))


@lru_cache(maxsize=256)
def _locs(paths: tuple[str, ...]) -> tuple[Loc, ...]:
    """Return the absolute paths as Locs. Cached: most are the same ~30 system folders
    a package manager writes, shared by every cached RunPlan instead of copied into each."""
    return tuple(Loc(ABS, tuple(p for p in path.split("/") if p)) for path in paths if path.startswith("/"))


def _mount_targets(instr: Instruction, workdir: Loc) -> list[Loc] | None:
    """Return the folders RUN mounts over; None when one cannot be resolved."""
    found: list[Loc] = []
    for flag in instr.flags_named("mount"):
        fields = dict(part.split("=", 1) for part in (flag.value or "").split(",") if "=" in part)
        target = fields.get("target") or fields.get("dst") or fields.get("destination")
        loc = resolve(workdir, target) if target else None
        if loc is None:
            return None
        found.append(loc)
    return found


def _run_commands(
    instr: Instruction, shell: tuple[str, ...]
) -> list[tuple[tuple[str, ...], tuple[str, ...]]] | None:
    """Return each command's words and redirections; None when the shell reader is unsure."""
    if instr.is_json:
        return [(instr.values, ())] if instr.values else None
    if instr.heredocs or not _posix(shell):
        return None
    script = split_commands(instr.args)
    if script is None or not script.is_flat or any(op.text in ("&", "|&") for op in script.operators):
        return None
    # Every token is a piece of the script: a word holds a substitution, and a token is a
    # redirection (`>`, `2>&1`, `<in`), only if the script holds its characters.
    text = instr.args
    substitutes = "`" in text or "$(" in text
    redirects = "<" in text or ">" in text
    out: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for cmd in script.commands:
        if substitutes and any("`" in w.text or "$(" in w.text for w in cmd.words):
            return None  # a command substitution runs a command we do not see
        out.append(
            (cmd.argv, tuple(t.text for t in cmd.tokens if t.kind is Kind.REDIRECT) if redirects else ())
        )
    return out


def _posix(shell: tuple[str, ...]) -> bool:
    return len(shell) >= 2 and shell[0].rsplit("/", 1)[-1] in _POSIX_SHELLS and shell[-1] == "-c"


def _redirect_writes(redirects: tuple[str, ...]) -> list[Loc] | None:
    """Return the files redirections write; None when one is in the working directory."""
    found: list[Loc] = []
    for text in redirects:
        op = re.match(r"^\d*([<>&|]+)\s*", text)
        if op is None:
            return None
        target = text[op.end() :].strip("'\"")
        if target.startswith("&") or target in ("-", "/dev/null", "/dev/stdout", "/dev/stderr"):
            continue
        if re.fullmatch(r"\d+", target) and op.group(1).endswith("&"):
            continue
        loc = resolve(Loc(ABS, ()), target) if target.startswith("/") else None
        if loc is None:
            return None
        if ">" in op.group(1):
            found.append(loc)
    return found
