"""DF1xx: apt-get and apt in RUN instructions."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from dffix.edits import Edit, Fix
from dffix.facts import Facts, Stage
from dffix.lazy import lazy_re
from dffix.memo import Shape, file_cache, per_instruction
from dffix.records import TYPE_CHECKING
from dffix.rules.base import Fixability, Rule, Violation
from dffix.rules.records import AptAction as AptAction, LaterUse, ListUse as ListUse
from dffix.syntax.shell import Command, Script, split_commands, unquote
from dffix.syntax.tree import Dockerfile, Instruction, LineKind, PhysLine, Span, Trivia

if TYPE_CHECKING:
    from typing import ClassVar

CLEANUP = "rm -rf /var/lib/apt/lists/*"
LISTS_DIR = "/var/lib/apt/lists"

# The apt front ends. `apt-cache` only reads the lists, `aptitude` behaves like apt-get.
_TOOLS = frozenset({"apt-get", "apt", "apt-cache", "aptitude"})
# Commands that run the next word as a command (`sudo apt-get ...`, `env X=1 apt-get ...`).
# `builtin cd` and `command cd` are `cd`: the word after them is what runs.
_WRAPPERS = frozenset({"sudo", "env", "command", "builtin", "nice", "nohup", "time", "eatmydata", "xargs"})
# apt options whose value is the next word (`-o Acquire::Retries=3`).
_OPTS_WITH_VALUE = frozenset({"-o", "-c", "-t", "--option", "--config-file", "--target-release"})
# An apt tool named in free text: after a separator, optionally by a `.../bin/` path.
_TOOL_RE = lazy_re(
    r"(?<![^\s;&|(){}`'\"])(?:[\w./-]*bin/)?(apt-get|apt-cache|aptitude|apt)(?=[\s;&|)`'\"]|$)"
)
_WORDS_RE = lazy_re(r"[^;&|()\n]*")
_ASSIGNMENT_RE = lazy_re(r"^[A-Za-z_][A-Za-z0-9_]*=")
# A RUN whose whole command is one heredoc (`RUN <<EOF`): BuildKit runs the body with the shell.
_HEREDOC_ONLY_RE = lazy_re(r"^<<-?(?:'[^']+'|\"[^\"]+\"|[^\s'\"<]+)$")
# Builtins whose effect outlives the command: they must not run before a merged command.
# The directory (and its stack), variables, options and limits, traps, aliases, the
# positional parameters, the shell itself (`exec`, `exit`).
STATEFUL_BUILTINS = frozenset(
    {
        *("cd", "pushd", "popd", "dirs", "export", "unset", "set", "source", ".", "umask"),
        *("ulimit", "shopt", "alias", "unalias", "trap", "exec", "eval", "readonly", "declare"),
        *("typeset", "local", "hash", "enable", "shift", "exit", "return", "read", "getopts"),
        *("mapfile", "readarray", "let"),
    }
)
# `${x:=y}` and `${x=y}` assign; `$((i=1))` and `$((i++))` too. Any `=` counts: cautious.
_ASSIGNING_EXPANSION = lazy_re(r"\$\{[^}]*=|\$\(\([^)]*(?:=|\+\+|--)")
# A `for`/`select` loop sets its variable, which keeps the last value after `done` (but
# not in a `( ... )` or `$( ... )` subshell). Words in quotes count too: cautious.
_LOOP_VARIABLE = lazy_re(r"(?:^|[;&|{]|\b(?:then|do|else)\b)\s*(?:for|select)\s+[A-Za-z_]")
_POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh"})
# Instructions that do not change what a later RUN sees (files, env, user, dir, shell).
_METADATA = frozenset(
    {"LABEL", "EXPOSE", "MAINTAINER", "STOPSIGNAL", "HEALTHCHECK", "CMD", "ENTRYPOINT", "ONBUILD"}
)
_OPERATOR_STARTS = ("&&", "||", ";", "|")


# -- reading apt calls ---------------------------------------------------------


# A word that may be a package manager's subcommand (`install`, `dist-upgrade`).
SUBCOMMAND_WORD = lazy_re(r"[a-z][a-z-]*")


def _subcommand(words: list[str]) -> str:
    """Return the first word that is not an option (or an option's value)."""
    skip = False
    for word in words:
        word = word.strip("'\"")
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in _OPTS_WITH_VALUE
        else:
            return word if SUBCOMMAND_WORD.fullmatch(word) else ""
    return ""


def apt_actions(text: str) -> tuple[AptAction, ...]:
    """Return the apt calls named in shell text, in the order they are written.

    This reads free text (exec-form values, heredoc bodies, lines the shell reader
    gave up on), so it finds `apt-get` anywhere a command could start.
    """
    found: list[AptAction] = []
    for m in _TOOL_RE.finditer(text):
        rest = _WORDS_RE.match(text, m.end())
        words = rest.group(0).split() if rest else []
        found.append(AptAction(m.group(1), _subcommand(words)))
    return tuple(found)


def unwrap(argv: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Split a command into its wrapper words and the command it runs.

    `DEBIAN_FRONTEND=noninteractive sudo -E apt-get install x` gives
    (`DEBIAN_FRONTEND=noninteractive`, `sudo`, `-E`) and (`apt-get`, `install`, `x`).
    """
    # The usual command: a bare program name first, so no wrapper words at all; answered
    # without the loop (several rules ask per command).
    if argv and _bare(argv[0]):
        return (), argv
    i = 0
    while i < len(argv):
        word = argv[i]
        wrapper = word.rsplit("/", 1)[-1] in _WRAPPERS
        if not (wrapper or _ASSIGNMENT_RE.match(word) or (i > 0 and word.startswith("-"))):
            break
        i += 1
    return argv[:i], argv[i:]


def _bare(word: str) -> bool:
    """Return whether a first word is a plain program name: no `NAME=value` prefix, no
    directory, no wrapper (`unwrap` leaves such a command as it is)."""
    return "=" not in word and "/" not in word and word not in _WRAPPERS


def command_action(cmd: Command) -> AptAction | None:
    """Return the apt call a simple command makes (through sudo/env wrappers), or None."""
    argv = cmd.argv
    # Most commands start with a bare name that is not apt: no apt call, told without
    # unwrapping.
    if argv and _bare(argv[0]) and argv[0] not in _TOOLS:
        return None
    _, argv = unwrap(argv)
    tool = argv[0].rsplit("/", 1)[-1] if argv else ""
    return AptAction(tool, _subcommand(list(argv[1:]))) if tool in _TOOLS else None


def _shell_text(instr: Instruction) -> str:
    """Return everything the shell of a RUN gets to see: command line and heredoc bodies."""
    head = " ".join(instr.values) if instr.is_json else instr.args
    return "\n".join([head, *(h.content for h in instr.heredocs)])


@per_instruction
def _shape(instr: Instruction) -> Shape:
    """A RUN as `run_actions` reads it: kind, form, values, arguments and heredoc bodies,
    never where it is. Two RUNs of one shape make the same apt calls, so a RUN that a fix
    above it moved (or one repeated in another file) is read once."""
    heredocs = tuple(h.content for h in instr.heredocs)
    return Shape(instr, (instr.kind, instr.is_json, instr.values, instr.args, heredocs))


def run_actions(instr: Instruction, *, precise: bool) -> tuple[AptAction, ...]:
    """Return the apt calls of a RUN (or ONBUILD RUN), in order.

    `precise` reads the commands when the shell reader understands the line, so
    `echo "apt-get install"` is not a call; otherwise (and always when False, the
    cautious choice) any `apt-get` in the text counts. Cached by the RUN's shape.
    """
    target = instr.inner if instr.inner is not None else instr
    return _shaped_actions(_shape(target), precise)


@file_cache(4096)
def _shaped_actions(shape: Shape, precise: bool) -> tuple[AptAction, ...]:
    target = shape.instr
    if target.kind != "RUN":
        return ()
    script = _script(target) if precise else None
    if script is None:
        return apt_actions(_shell_text(target))
    found = (command_action(cmd) for cmd in script.commands)
    return tuple(a for a in found if a is not None)


def _script(instr: Instruction) -> Script | None:
    """Return the shell reading of a shell-form RUN without heredocs, or None."""
    return None if instr.is_json or instr.heredocs else split_commands(instr.args)


def list_use(instr: Instruction, *, precise: bool = False) -> ListUse | None:
    """Return how a RUN (or ONBUILD RUN) uses the apt lists, or None when it does not."""
    return actions_list_use(run_actions(instr, precise=precise))


def actions_list_use(actions: tuple[AptAction, ...]) -> ListUse | None:
    """Return how a RUN making these apt calls (in order) uses the apt lists, or None."""
    for action in actions:
        if action.is_update:
            return ListUse.REFRESHES
        if action.reads_lists:
            return ListUse.READS
    return None


def is_posix_shell(shell: tuple[str, ...]) -> bool:
    """Return whether a SHELL runs a POSIX shell with `-c` (`/bin/bash -o pipefail -c`)."""
    if len(shell) < 2 or shell[0].rsplit("/", 1)[-1] not in _POSIX_SHELLS:
        return False
    return shell[-1].startswith("-") and "c" in shell[-1]


def _stage_shell_ok(facts: Facts, instr: Instruction) -> bool:
    stage = facts.stage_of(instr)
    return stage is not None and is_posix_shell(stage.shell_at(instr))


def command_name(cmd: Command) -> str | None:
    """Return the name of what a simple command runs, past `sudo`/`env`/`builtin`/`command`
    and `NAME=value` prefixes, without its directory; None for a bare assignment."""
    _, argv = unwrap(cmd.argv)
    name = argv[0] if argv else cmd.name
    return None if name is None else name.rsplit("/", 1)[-1]


def _unguarded_exit(script: Script) -> bool:
    """Return whether a command ends the shell other than as `|| exit 1` (later text is dead)."""
    for cmd in script.commands:
        name = command_name(cmd)
        if name == "exec":
            return True
        if name in ("exit", "return"):
            before = [op for op in script.operators if op.end <= cmd.start]
            if not before or before[-1].text != "||":
                return True
    return False


# -- DF101 ----------------------------------------------------------------------


def _only_options(words: tuple[str, ...]) -> bool:
    """Return whether every word is an option or the value of one (`-qq`, `-o X=1`)."""
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word.startswith("-"):
            skip = word in _OPTS_WITH_VALUE
        else:
            return False
    return True


def _ends_with_update(script: Script) -> bool:
    """Return whether the last top-level command is a plain `apt-get update` (options only)."""
    last = script.commands[-1] if script.commands else None
    if last is None or last.depth != 0 or last.end != script.top_end:
        return False
    action = command_action(last)
    if action is None or not action.is_update:
        return False
    words = last.argv
    return _only_options(words[words.index("update") + 1 :])


def _subshells(script: Script) -> list[tuple[int, int]]:
    """Return the [start, end) ranges of `( ... )` subshells: state set inside stays there."""
    ranges: list[tuple[int, int]] = []
    opened: list[int] = []
    for op in script.operators:
        if op.text == "(":
            opened.append(op.start)
        elif op.text == ")" and opened:
            ranges.append((opened.pop(), op.end))
    return ranges


def _guarded_exit(script: Script, cmd: Command) -> bool:
    """Return whether `cmd` is `... || exit` with no status or a literal non-zero one.

    Such an exit only fires when the RUN would have failed anyway.
    """
    before = [op for op in script.operators if op.end <= cmd.start]
    if cmd.depth != 0 or not before or before[-1].text != "||":
        return False
    _, argv = unwrap(cmd.argv)
    args = argv[1:]
    return not args or (len(args) == 1 and args[0].isdigit() and int(args[0]) != 0)


def state_change(script: Script, text: str) -> str | None:
    """Return the first command of a RUN whose effect would reach a command joined after
    it with `&&` (`cd`, `export`, an assignment, a loop variable...), or None.

    `builtin X` and `command X` count as `X`; commands inside a `( ... )` subshell do not
    count; neither does `|| exit` with a non-zero status (it only ends a failed RUN).
    """
    if _ASSIGNING_EXPANSION.search(text):
        return "a variable assignment"
    if _LOOP_VARIABLE.search(text):
        return "a `for` loop, whose variable outlives it"
    inside = _subshells(script)
    for cmd in script.commands:
        if any(start <= cmd.start < end for start, end in inside):
            continue
        if cmd.name is None:
            return "a variable assignment"
        _, argv = unwrap(cmd.argv)
        name = command_name(cmd) or cmd.name
        if name == "exit" and _guarded_exit(script, cmd):
            continue
        if name in STATEFUL_BUILTINS or cmd.name in STATEFUL_BUILTINS:
            return f"`{name}`"
        if name == "printf" and "-v" in argv:
            return "`printf -v`"
        # `$cmd /x` may be `cd /x`: a command named by an expansion is not known.
        if name.startswith(("$", "`")):
            return f"`{name}`, a command named by a variable"
    return None


def _first_run_reason(script: Script | None, text: str) -> str | None:
    """Return why another command may not follow this update RUN with `&&`, or None."""
    plain = (
        "the update `RUN` does not end with a plain `apt-get update` that another command"
        " can follow with `&&` (a comment, `&`, a subshell or a compound command)"
    )
    if script is None or not script.is_flat or script.comment is not None:
        return plain
    if script.trailing is not None and script.trailing.text != ";":
        return plain
    # A background job would outlive its RUN; a state change would leak into the install.
    if any(op.text in ("&", "(", ")") for op in script.operators):
        return plain
    change = state_change(script, text)
    if change is not None:
        return f"the update `RUN` runs {change}, which would change what the install sees"
    return None if _ends_with_update(script) else plain


def _second_run_merge_guard(script: Script | None) -> bool:
    """Return whether `update && <this>` fails exactly when `update` or this fails."""
    if script is None or not script.is_flat or not script.commands:
        return False
    if script.trailing is not None and script.trailing.text != ";":
        return False
    # `update && a; b` would run `b` after a failed update; `||` would swallow it.
    ops = script.operators[:-1] if script.trailing is not None else script.operators
    return all(op.text in ("&&", "|", "|&") for op in ops)


def comment_lines(df: Dockerfile, start: int, end: int, instr: Instruction, indent: str) -> str:
    """Return the comment lines in [start, end), top-level ones and instr's continuation
    ones, re-indented with `indent` to sit above another instruction."""
    spans = []
    for index in range(df.item_index(start), len(df.items)):
        item = df.items[index]
        if item.span.start >= end:
            break
        if isinstance(item, Trivia) and item.is_comment:
            spans.append(item.span)
    spans += [Span(line.start, line.eol) for line in instr.lines if line.kind is LineKind.COMMENT]
    return "".join(indent + df.text[s.start : s.end].lstrip(" \t") for s in spans if start <= s.start < end)


def comments_above(df: Dockerfile, instr: Instruction) -> int:
    """Return where the run of comment lines directly above `instr` starts (or its start)."""
    start = instr.span.start
    index = df.item_index(start)  # the items before this one end at or before `start`
    while index > 0:
        item = df.items[index - 1]
        if not (isinstance(item, Trivia) and item.is_comment):
            break
        start, index = item.span.start, index - 1
    return start


def same_flags(first: Instruction, second: Instruction) -> bool:
    """Return whether two instructions have the same flags, in any order."""
    return sorted(f.text for f in first.flags) == sorted(f.text for f in second.flags)


def last_code_line(instr: Instruction) -> PhysLine:
    return [line for line in instr.lines if line.kind is LineKind.CODE][-1]


def merge_runs(df: Dockerfile, first: Instruction, second: Instruction, adjacent: bool) -> Fix | str:
    """Return the fix that appends `&& <second's command>` to `first` and removes `second`,
    or why not (the merge could change what runs: see the guards in the rule's docs).
    """
    for instr in (first, second):
        if instr.is_json:
            return f"the `RUN` on line {instr.start_line} is in exec (JSON) form"
        if instr.heredocs:
            return f"the `RUN` on line {instr.start_line} runs a heredoc script"
    if not same_flags(first, second):
        return "the two `RUN`s have different flags"
    a = split_commands(first.args)
    reason = _first_run_reason(a, first.args)
    if reason is not None:
        return reason
    if not _second_run_merge_guard(split_commands(second.args)):
        return "the install `RUN` is not one `&&` chain, so a failed update might not stop it"
    assert a is not None
    last = last_code_line(first)
    a_end = first.offsets.end_to_source(first.args_start + a.top_end)
    if last.cont is not None or not last.start <= a_end <= last.end:
        return "the update `RUN` does not end on its last line"
    b_start = second.args_span.start
    indent = df.indent(first)
    above = first.span.end if adjacent else comments_above(df, second)
    moved = comment_lines(df, above, b_start, second, indent)
    if moved:
        # The install has comments of its own: moving them above the merged RUN would put
        # them over the update's other commands. Move the update down to the install.
        fix = _update_moved_down(df, first, second, a, a_end)
        if fix is not None:
            return fix
    layout = _chain_style(df, first, a)
    if adjacent:
        edits = [Edit.replace(Span(a_end, b_start), _joint(df, layout))]
    else:
        command = df.text[b_start : second.args_span.end]
        edits = [
            Edit.replace(Span(a_end, last.end), _joint(df, layout) + command),
            _delete_block(df, above, second),
        ]
    if moved:
        edits.append(Edit.insert(first.span.start, moved))
    return Fix.safe(*edits)


def _joint(df: Dockerfile, layout: Layout | None) -> str:
    """Return what joins the install to the update: ` && ` on the update's line, or a
    new continuation line in the update RUN's style (`layout`, see `_chain_style`)."""
    if layout is None:
        return " && "
    trailing, indent = layout
    if trailing:
        return f" && {df.escape}{df.newline}{indent}"
    return f" {df.escape}{df.newline}{indent}&& "


def _update_moved_down(
    df: Dockerfile, first: Instruction, second: Instruction, a: Script, a_end: int
) -> Fix | None:
    """Return the fix that moves the final `&& apt-get update` of a RUN of several commands
    to the front of the install RUN (`apt-get update && apt-get install ...`), or None.

    Both RUNs and their comments keep their places. The commands before the update run as
    before and the install runs right after a fresh update, as in the merge. Only after
    `&&`: after `;` the first RUN's status would become that of the command before it.
    """
    ops = a.operators[:-1] if a.trailing is not None else a.operators
    if len(a.commands) < 2 or not ops or ops[-1].text != "&&":
        return None
    cut = first.offsets.end_to_source(first.args_start + a.commands[-2].end)
    if any(line.kind is LineKind.COMMENT and cut <= line.start < a_end for line in first.lines):
        return None  # a comment line between the two commands would go too
    update = " ".join(first.args[a.commands[-1].start : a.commands[-1].end].split())
    return Fix.safe(Edit.delete(Span(cut, a_end)), Edit.insert(second.args_span.start, update + " && "))


def _chain_style(df: Dockerfile, instr: Instruction, script: Script) -> Layout | None:
    """Return the continuation style of a RUN that puts its commands on lines of their own
    (a line starts with `&&`, or ends with `&& \\` before a fresh line), else None."""
    fresh = fresh_lines(instr, script)
    if not fresh:
        return None
    code = [line for line in instr.lines if line.kind is LineKind.CODE]
    starts = {line.start for line in fresh}
    own_lines = any(_starts_with_operator(df, line) for line in fresh) or any(
        code[k + 1].start in starts and _ends_with_operator(df, line) for k, line in enumerate(code[:-1])
    )
    return continuation_style(df, instr, script) if own_lines else None


def _delete_block(df: Dockerfile, start: int, instr: Instruction) -> Edit:
    """Return the edit removing [start, end of instr), with one blank line before it if it
    would otherwise leave two blank lines in a row."""
    items = df.items
    # The item that ends at or before `start` (items tile the file), and the one after instr.
    first_after = df.item_index(instr.span.end)
    index = df.item_index(start)
    while index > 0 and items[index - 1].span.end > start:
        index -= 1  # `start` inside an item: take the one that ends before it
    before = items[index - 1] if index > 0 else None
    after = items[first_after] if first_after < len(items) else None
    blank_before = isinstance(before, Trivia) and not before.is_comment
    blank_after = after is None or (isinstance(after, Trivia) and not after.is_comment)
    if before is not None and blank_before and blank_after:
        start = before.span.start
    end = instr.span.end
    if end == len(df.text) and not df.text.endswith("\n"):
        # The file ends without a newline: take the one before the block instead.
        start -= 2 if df.text.endswith("\r\n", 0, start) else 1
    return Edit.delete(Span(start, end))


class AptGetSplitAcrossRuns(Rule):
    """## What it does
    Flags a `RUN` that installs with `apt-get`/`apt` while the `apt-get update` it relies on
    ran in an earlier `RUN` of the same stage.

    ## Why is this bad?
    Each `RUN` is a cached layer. When the install line changes, Docker re-runs it but
    reuses the cached `apt-get update` layer, which may be weeks old: the install then
    fails with 404s or silently gets outdated packages. Running `apt-get update` in the
    same `RUN` as the install keeps the two in step.

    ## Example
    ```dockerfile
    RUN apt-get update
    RUN apt-get install -y \\
        curl \\
        git
    ```

    ## Use instead
    ```dockerfile
    RUN apt-get update && apt-get install -y \\
        curl \\
        git
    ```

    ## Fix safety
    The fix appends ` && <install command>` to the update `RUN` (the install's own lines
    follow unchanged) and deletes the install `RUN`, or moves the update into the install
    `RUN` (see below). Merging changes
    layers, not what ends up in them, so it is safe when all of these hold:

    - both `RUN`s are shell form, without heredocs, with the same flags (`--mount`,
      `--network`, `--security`), and the `SHELL` is a POSIX shell;
    - only metadata instructions (`LABEL`, `EXPOSE`, `CMD`, `ENTRYPOINT`, `HEALTHCHECK`,
      `STOPSIGNAL`, `MAINTAINER`, `ONBUILD`) sit between them: `ENV`, `ARG`, `WORKDIR`,
      `USER`, `SHELL`, `COPY`, `ADD`, `VOLUME` or another `RUN` could change what the
      install sees, so the install is then only reported;
    - the first `RUN` ends with `apt-get update` (options allowed) after plain commands:
      no inline comment, no background `&`, no subshell or compound command, and nothing
      that changes shell state for the commands after it: the directory (`cd`, `pushd`,
      `popd`), variables (`export`, `unset`, `read`, `mapfile`, `let`, `printf -v`, bare
      assignments, `${x:=y}`), options and limits (`set`, `shopt`, `umask`, `ulimit`),
      `source`/`.`, `eval`, `alias`, `trap`, `exec`, `exit` and the like. `builtin cd` and
      `command cd` count as `cd`, and a command named by a variable (`$SETUP /x`) counts
      too, since it may be any of these;
    - the second `RUN` is one `&&` chain of simple commands or pipelines, so a failed update
      still stops it (`update && a; b` would run `b` anyway, `|| true` would hide it).

    When the install `RUN` has comment lines of its own above it and the update `RUN`
    runs other commands before a final `&& apt-get update`, the update moves down
    instead: it is cut from the first `RUN` and put in front of the install
    (`RUN apt-get update && apt-get install ...`), so both `RUN`s and their comments keep
    their places and a comment about the packages does not end up above, say, the
    repository keys. The commands before the update run as before, and the install runs
    right after a fresh update, as in the merge. (Not after `;`: the first `RUN`'s status
    would become that of the command before the update.)

    ```dockerfile
    RUN curl -fsSL https://example.com/key | apt-key add - \\
     && echo "deb https://example.com/ stable main" > /etc/apt/sources.list.d/x.list

    # ccache - faster C builds
    RUN apt-get update && apt-get install -y ccache
    ```

    Otherwise the install is merged. When the update `RUN` puts its commands on lines
    of their own (a line starts with `&&`, or ends with `&& \\`), the install becomes a
    new continuation line in that style; else ` && <install>` goes on the update's last
    line. Comment lines between the two `RUN`s move above the merged `RUN` (comment lines
    inside a `RUN` are dropped by BuildKit, and read as dead text). Blank lines between
    adjacent `RUN`s are dropped. The install's lines are kept as written, so the merged
    `RUN` keeps the file's continuation style. When a guard fails, the install is reported without a
    fix, and the message says which of these stops it.

    ## References
    - Docker best practices: "apt-get" (always combine `update` with `install`)
    - hadolint: no exact equivalent (DL3009 and DL3015 are about the same `RUN`)
    """

    code = "DF101"
    name = "apt-get-split-across-runs"
    message = "`apt-get install` relies on `apt-get update` from an earlier `RUN`"
    fix_title = "Merge the install `RUN` into the `apt-get update` `RUN`"
    fixability = Fixability.SOMETIMES

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for stage in facts.stages:
            yield from self._check_stage(df, facts, stage)

    @staticmethod
    def _merge(
        df: Dockerfile,
        facts: Facts,
        updated: Instruction,
        previous: Instruction | None,
        barrier: Instruction | None,
        instr: Instruction,
        adjacent: bool,
    ) -> Fix | str:
        """Return the merge of the install RUN into the update RUN, or why there is none."""
        if updated is not previous and previous is not None:
            return f"the `RUN` on line {previous.start_line} runs between them"
        if barrier is not None:
            keyword = barrier.keyword
            return f"`{keyword}` on line {barrier.start_line} between them may change what the install sees"
        if not _stage_shell_ok(facts, instr):
            return "the `SHELL` in force is not a POSIX shell"
        return merge_runs(df, updated, instr, adjacent)

    def _check_stage(self, df: Dockerfile, facts: Facts, stage: Stage) -> Iterator[Violation]:
        updated: Instruction | None = None  # the last RUN that ran `apt-get update`
        previous: Instruction | None = None  # the last RUN
        adjacent = True  # nothing but comments between `previous` and here
        barrier: Instruction | None = None  # one that could change what a later RUN sees
        # Fixes that share a RUN (A+B, then B+C when B updates again) form a chain: one
        # per pass. Fixes on separate pairs are independent and settle in one pass.
        chain, chained_to = 0, None
        for instr in stage.instructions:
            if instr.kind != "RUN":
                adjacent = False
                if barrier is None and instr.kind not in _METADATA:
                    barrier = instr
                continue
            actions = run_actions(instr, precise=True)
            if actions_list_use(actions) is ListUse.READS and updated is not None:
                found = self._merge(df, facts, updated, previous, barrier, instr, adjacent)
                message = f"{self.message} (line {updated.start_line})"
                if isinstance(found, str):
                    yield self.violation(instr.keyword_span, message=f"{message}; no fix: {found}")
                else:
                    chain += chained_to is not updated
                    chained_to = instr
                    yield self.violation(
                        instr.keyword_span, found, message=message, isolation=f"stage:{stage.index}:{chain}"
                    )
            if any(a.is_update for a in actions):
                updated = instr
            previous, adjacent, barrier = instr, True, None


# -- DF102 ----------------------------------------------------------------------


def _removes_lists_arg(word: str) -> bool:
    path = word.rstrip("/")
    return path.startswith(LISTS_DIR) or path in ("/var/lib/apt", "/var/lib/apt/*", "/var/lib", "/var")


def leaves_lists(instr: Instruction) -> bool:
    """Return whether a RUN installs with apt and does not remove the lists itself.

    Cached by the RUN's shape: both read the RUN's commands, never where it is.
    """
    return _shaped_leaves_lists(_shape(instr))


@file_cache(4096)
def _shaped_leaves_lists(shape: Shape) -> bool:
    installs = any(a.installs for a in _shaped_actions(shape, True))
    return installs and not removes_lists(shape.instr, _script(shape.instr))


def removes_lists(instr: Instruction, script: Script | None) -> bool:
    """Return whether the RUN removes the apt lists itself (`rm`/`find`, `apt-get dist-clean`)."""
    if script is not None and not instr.heredocs:
        # Only a removal after the last `apt-get update` or install counts: lists that a
        # later update fetches again stay (`rm ... && apt-get update && apt-get install`,
        # or two RUNs merged into one).
        fetched = [k for k, cmd in enumerate(script.commands) if _fetches_lists(cmd)]
        after = fetched[-1] + 1 if fetched else 0
        return any(_removes_lists(cmd) for cmd in script.commands[after:])
    # Without a reading of the commands, any mention of the directory counts as handled.
    text = _shell_text(instr)
    return "/var/lib/apt" in text or "dist-clean" in text


def _fetches_lists(cmd: Command) -> bool:
    action = command_action(cmd)
    return action is not None and action.is_update


def _removes_lists(cmd: Command) -> bool:
    # `apt-get dist-clean` (apt 2.7+) removes the lists; `apt-get clean` does not.
    action = command_action(cmd)
    if action is not None:
        return action.sub == "dist-clean"
    _, argv = unwrap(cmd.argv)
    name = argv[0].rsplit("/", 1)[-1] if argv else ""
    return name in ("rm", "find") and any(_removes_lists_arg(a) for a in argv[1:])


# Makes the cleanup command to append from the commands of the RUN.
Cleanup = Callable[[Sequence[Command]], str]


def cleanup_command(commands: Iterable[Command]) -> str:
    """Return the cleanup to append: with `sudo` when the install ran through sudo.

    A RUN that needs `sudo apt-get install` runs as a user who cannot remove the lists.
    """
    for cmd in commands:
        action = command_action(cmd)
        if action is not None and action.installs and sudo_wrapped(cmd.argv):
            return f"sudo {CLEANUP}"
    return CLEANUP


def sudo_wrapped(argv: tuple[str, ...]) -> bool:
    """Return whether a command runs through `sudo` (among its `env`/`sudo` wrappers)."""
    return any(w.rsplit("/", 1)[-1] == "sudo" for w in unwrap(argv)[0])


def mount_target(value: str) -> str | None:
    """Return the target of a `--mount` value (`type=cache,target=/x/` gives `/x`), or None."""
    for part in value.split(","):
        key, _, target = part.partition("=")
        if key.strip().lower() in ("target", "dst", "destination"):
            return target.strip().strip("'\"").rstrip("/") or "/"
    return None


def lists_mounted(instr: Instruction) -> bool:
    """Return whether a `--mount` of this RUN covers the lists dir (they never reach the layer)."""
    for flag in instr.flags_named("mount"):
        target = mount_target(flag.value or "")
        if target is not None and (LISTS_DIR + "/").startswith(target.rstrip("/") + "/"):
            return True
    return False


def in_image(facts: Facts, stage: Stage) -> bool:
    """Return whether a stage's layers may end up in an image.

    True for the final stage, for a stage nothing refers to (a `--target` candidate),
    and for a stage another such stage is built `FROM`. False for a stage only copied
    from (`COPY --from`, `--mount from=`): its layers are thrown away.
    """

    def all_stages() -> list[bool]:
        # Children come after their parent: one pass from the last stage settles all.
        found = [False] * len(facts.stages)
        for s in reversed(facts.stages):
            if s is facts.final_stage or not facts.is_referenced(s):
                found[s.index] = True
            if found[s.index] and s.parent is not None:
                found[s.parent] = True
        return found

    return facts.cached("in_image", all_stages)[stage.index]


# -- later users of the lists (DF102) -------------------------------------------------


# apt front ends that take apt-get's subcommands: `update` refreshes, installs read.
_APT_LIKE = frozenset({"apt-get", "apt", "aptitude", "apt-fast", "nala"})
# Tools that read the package data apt builds from the lists, whatever their arguments.
_ALWAYS_READS = frozenset(
    {"apt-cache", "gdebi", "apt-rdepends", "apt-show-versions", "unattended-upgrade", "unattended-upgrades"}
)
# minideb's `install_packages` runs its own `apt-get update` (and then removes the lists).
_REFRESHERS = frozenset({"install_packages"})
# Programs that run commands written elsewhere (a Makefile, debian/rules, a playbook),
# and configuration managers, which install packages through apt.
_RUNS_OTHERS = frozenset(
    {
        *("make", "gmake", "dpkg-buildpackage", "debuild", "pdebuild", "gbp", "git-buildpackage"),
        *("puppet", "ansible", "ansible-playbook", "ansible-pull", "chef-solo", "chef-client"),
        *("salt-call",),
    }
)
# Commands that run one of their later words as a command: `gosu app ./run.sh`,
# `timeout 60 apt-get install x`, `sudo -u app sh -c '...'`.
_RUNNERS = _WRAPPERS | frozenset(
    {
        *("doas", "exec", "gosu", "su-exec", "chroot", "runuser", "setpriv", "timeout", "stdbuf"),
        *("fakeroot", "flock", "ionice", "taskset", "chronic", "unbuffer", "tini", "dumb-init"),
        *("xvfb-run", "strace", "sg", "su", "watch", "nsenter", "unshare"),
    }
)
_RUNNER_TRIES = 3  # `runuser -u app -- cmd`: the command is among the first few plain words
_MAX_DEPTH = 6  # `sudo sh -c "env X=1 sh -c '...'"` deeper than this: not read, counts as may read
# A program named by a path is one dffix cannot see, unless it is a system tool or its
# name is one of these well-known tools (`/opt/conda/bin/pip install ...`).
_SYSTEM_DIRS = ("/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/etc/init.d/")
# Interpreters of other languages: the script they are given is one dffix cannot see.
_INTERPRETER_RE = lazy_re(r"(?:python[0-9.]*|perl|ruby|node|nodejs|php[0-9.]*|Rscript)$")
_CODE_OPTIONS = frozenset({"-c", "-e", "-E", "-m", "-r", "-p", "-n"})
_KNOWN_TOOLS = frozenset(
    {
        *("pip", "pip3", "pipenv", "poetry", "conda", "mamba", "micromamba", "npm", "npx", "yarn"),
        *("pnpm", "node", "gem", "bundle", "bundler", "cargo", "rustup", "go", "composer", "mvn"),
        *("gradle", "java", "python", "python2", "python3", "ruby", "perl", "php", "uv"),
        # Build wrappers and autoconf's `configure` only build: they do not install packages.
        *("gradlew", "mvnw", "configure"),
    }
)
# Files sourced only for their variables and functions: os-release, a virtualenv's
# `bin/activate`, profile files (`. /etc/os-release`, `source /opt/conda/etc/profile.d/conda.sh`).
_ENV_FILES = frozenset(
    {
        *("os-release", "lsb-release", "environment", "activate", "profile", ".profile", ".bashrc"),
        *(".bash_profile", "env", "nvm.sh", "conda.sh", "sdkman-init.sh"),
    }
)
# Where a command may start in text the shell reader gives up on (`a) cmd` in a `case`
# too), and where a `$( ... )` ends inside a word (`$(pwd)/x`): the rest is no command.
_ROUGH_SPLIT = lazy_re(
    r"[;&|(\n]|\)(?=\s)|\$\(|(?<![^\s])(?:if|then|else|elif|fi|do|done|while|until|esac|!|\{|\})(?![^\s])"
)
_ROUGH_END = lazy_re(r"\)")
_BACKTICKS = lazy_re(r"`([^`]*)`")
# A command substitution that downloads: what it prints is run (`sh -c "$(curl -fsSL ...)"`).
_DOWNLOAD_RE = lazy_re(r"^(?:\$\(|`)\s*(?:curl|wget|fetch)\b")


def _reads(what: str) -> LaterUse:
    return LaterUse(ListUse.READS, f"`{what}`")


def _may_read(what: str, why: str) -> LaterUse:
    return LaterUse(ListUse.MAY_READ, f"`{what}`, {why}")


def _apt_use(base: str, args: tuple[str, ...]) -> LaterUse | None:
    """Return what an apt tool does with the lists (the table in DF102's docs), or None."""
    sub = _subcommand(list(args))
    if base in _APT_LIKE:
        if sub == "update":
            return LaterUse(ListUse.REFRESHES, f"`{base} update`")
        return _reads(f"{base} {sub}") if AptAction(base, sub).reads_lists else None
    if base in _ALWAYS_READS:
        return _reads(base)
    if base in _REFRESHERS:
        return LaterUse(ListUse.REFRESHES, f"`{base}`")
    if base == "apt-file":
        return LaterUse(ListUse.REFRESHES, "`apt-file update`") if sub == "update" else _reads("apt-file")
    if base == "mk-build-deps":
        return _reads("mk-build-deps") if _mk_build_deps_reads(args) else None
    return None


def _mk_build_deps_reads(args: tuple[str, ...]) -> bool:
    """Return whether `mk-build-deps` reads the lists: `-i` installs the package it made
    through apt-get, and a package name (not a control file) is looked up with
    `apt-cache showsrc`."""
    valued = {"-t", "--tool", "-a", "--arch", "--host-arch", "--build-arch", "-P", "--build-profiles"}
    skip = False
    for word in args:
        if skip:
            skip = False
        elif word == "--install" or (word.startswith("-") and not word.startswith("--") and "i" in word):
            return True
        elif word.startswith("-"):
            skip = word in valued or word in ("-s", "--root-cmd")
        elif "/" not in word and word != "control" and not word.endswith(".dsc"):
            return True
    return False


def _shell_use(argv: tuple[str, ...], depth: int) -> LaterUse | None:
    """Return what `sh ...` does: the commands of `-c '...'`, else it runs a script file
    or the script on its input (`curl ... | sh`), neither of which dffix can see."""
    name, i = argv[0], 1
    while i < len(argv) and argv[i].startswith(("-", "+")) and argv[i] != "--":
        word = argv[i]
        if not word.startswith("--") and "c" in word[1:]:
            return text_use(argv[i + 1], depth + 1) if i + 1 < len(argv) else None
        i += 2 if word in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file") else 1
    i += i < len(argv) and argv[i] == "--"
    if i < len(argv) and not argv[i].startswith("-"):
        return _may_read(f"{name} {argv[i]}", "a script dffix cannot see")
    return _may_read(name, "running the script on its input, which dffix cannot see")


def _runner_use(argv: tuple[str, ...], depth: int) -> LaterUse | None:
    """Return what the command a runner runs does (`gosu app ./x`, `su -c '...' app`)."""
    for k, word in enumerate(argv[1:-1], 1):
        if argv[0].rsplit("/", 1)[-1] == "su" and word in ("-c", "--command"):
            return text_use(argv[k + 1], depth + 1)
    tries = 0
    for k in range(1, len(argv)):
        if argv[k].startswith("-") or tries == _RUNNER_TRIES:
            continue
        tries += 1
        found = command_use(argv[k:], depth + 1)
        if found is not None:
            return found
    return None


def _sourced_use(argv: tuple[str, ...]) -> LaterUse | None:
    """Return what `. file` does: a file of settings is fine, a script may run anything."""
    path = argv[1] if len(argv) > 1 else ""
    if path.rsplit("/", 1)[-1] in _ENV_FILES or "/profile.d/" in path:
        return None
    return _may_read(" ".join(argv[:2]), "a script dffix cannot see")


def command_use(argv: tuple[str, ...], depth: int = 0) -> LaterUse | None:
    """Return what one simple command does with the apt lists, or None when nothing.

    See the table in DF102's docs. A command that may run a script dffix cannot see
    gives `ListUse.MAY_READ`.
    """
    i = 0
    while i < len(argv) and _ASSIGNMENT_RE.match(argv[i]):
        i += 1
    argv = argv[i:]
    if not argv:
        return None
    if depth > _MAX_DEPTH:
        return _may_read(argv[0], "in commands nested too deep for dffix to read")
    name = argv[0]
    base = name.rsplit("/", 1)[-1]
    if _DOWNLOAD_RE.match(name):
        return _may_read(name, "a downloaded script")
    if "/" in name and not name.startswith(_SYSTEM_DIRS) and base not in _KNOWN_TOOLS:
        return _may_read(name, "a program dffix cannot see")
    found = _apt_use(base, argv[1:])
    if found is not None or base in _TOOLS or base in _APT_LIKE:
        return found
    if base in _POSIX_SHELLS:
        return _shell_use(argv, depth)
    if base in _RUNNERS:
        return _runner_use(argv, depth)
    if base == "find":
        at = next((k for k, w in enumerate(argv) if w in ("-exec", "-execdir", "-ok", "-okdir")), None)
        return None if at is None else command_use(argv[at + 1 :], depth + 1)
    if base in (".", "source"):
        return _sourced_use(argv)
    if base == "eval":
        return text_use(" ".join(argv[1:]), depth + 1)
    if base in _RUNS_OTHERS:
        return _may_read(base, "which runs commands dffix cannot see")
    if base.endswith((".sh", ".bash")):
        return _may_read(base, "a script dffix cannot see")
    if _INTERPRETER_RE.match(base):
        return _interpreter_use(argv)
    return None


def _interpreter_use(argv: tuple[str, ...]) -> LaterUse | None:
    """Return what `python3 x.py` does: a script file may run anything; code on the
    command line (`-c`, `-e`), a module (`-m pip`) or a heredoc is read as text."""
    for word in argv[1:]:
        if word in _CODE_OPTIONS or word.startswith("--eval"):
            return None
        if not word.startswith(("-", "<", ">")):
            return _may_read(f"{argv[0]} {word}", "a script dffix cannot see")
    return None


def text_use(text: str, depth: int = 0) -> LaterUse | None:
    """Return what shell text does with the apt lists, judged by its first command that
    uses them; commands the shell reader cannot read are split roughly, at every place a
    command may start."""
    script = split_commands(text)
    if script is None:
        argvs = rough_argvs(text)
    else:
        argvs = []
        for cmd in script.commands:
            # `X=$(./version.sh)`: a command substitution runs before its command.
            argvs += [a for w in cmd.argv if "$(" in w or "`" in w for a in rough_argvs(w)[1:]]
            argvs.append(cmd.argv)
    for argv in argvs:
        found = command_use(argv, depth)
        if found is not None:
            return found
    return None


def rough_argvs(text: str) -> list[tuple[str, ...]]:
    """Return the words of each place in shell text where a command may start, cut at
    the `)` that ends a `$( ... )` (backticks read as `$( ... )`); the first item is the
    text before the first such place."""
    pieces = _ROUGH_SPLIT.split(_BACKTICKS.sub(r"$(\1)", text))
    return [tuple(unquote(w) for w in _ROUGH_END.split(piece, 1)[0].split()) for piece in pieces]


def _runs_heredoc(argv: tuple[str, ...]) -> bool:
    """Return whether a command runs a heredoc as its script: `<<EOF` alone (the RUN's
    shell does) or a shell fed one (`bash -e <<EOF`)."""
    if not argv:
        return False
    shell = argv[0].rsplit("/", 1)[-1] in _POSIX_SHELLS
    return argv[0].startswith("<<") or (shell and any(w.startswith("<<") for w in argv[1:]))


def _run_units(target: Instruction) -> list[str]:
    """Return the shell texts a RUN runs, in order: its command line and, when the shell
    runs a heredoc (`RUN <<EOF`, `RUN bash <<EOF`), the heredoc's lines. A heredoc fed to
    another command (`cat > /f <<EOF`, `python3 <<EOF`) is that command's data."""
    if not target.heredocs:
        return [target.args]
    units, runs_body = [], False
    for argv in rough_argvs(target.args):
        if _runs_heredoc(argv):
            runs_body = True
        elif argv:
            units.append(" ".join(argv))
    if runs_body:
        units += [line for doc in target.heredocs for line in logical_lines(doc.content)]
    return units


@file_cache(4096)
def later_use(instr: Instruction) -> LaterUse | None:
    """Return what a RUN (or ONBUILD RUN) does with lists an earlier RUN left, or None.

    Its commands are read as `command_use` does; when they say nothing, any apt call
    named in its text still counts (`list_use`), as before.
    """
    target = instr.inner if instr.inner is not None else instr
    if target.kind != "RUN":
        return None
    if target.is_json:
        found = command_use(target.values)
    else:
        found = next((u for u in map(text_use, _run_units(target)) if u is not None), None)
    if found is not None:
        return found
    action = next((a for a in run_actions(target, precise=False) if a.is_update or a.reads_lists), None)
    if action is None:
        return None
    return LaterUse(ListUse.REFRESHES if action.is_update else ListUse.READS, f"`{action.tool} {action.sub}`")


def reader_after(
    facts: Facts, stage: Stage, instr: Instruction | None
) -> tuple[Instruction, LaterUse] | None:
    """Return a later RUN that reads (or may read) the lists before any `apt-get update` of
    its own, and what it runs that does; None when there is none.

    Looks at the rest of the stage after `instr` (the whole stage when None), then at
    every stage built `FROM` it, up to the first RUN that refreshes the lists.
    """
    # Depth first, children in file order, with a stack of its own: a long chain of
    # `FROM <stage>` never recurses.
    todo: list[tuple[Stage, Instruction | None]] = [(stage, instr)]
    while todo:
        current, after = todo.pop()
        started = after is None
        refreshed = False
        for other in current.instructions:
            if not started:
                started = other is after
                continue
            found = later_use(other)
            if found is not None and found.use is not ListUse.REFRESHES:
                return other, found
            if found is not None:
                refreshed = True
                break
        if not refreshed:
            todo.extend((child, None) for child in reversed(facts.children(current)))
    return None


def _indent(df: Dockerfile, line: PhysLine) -> str:
    text = df.text[line.start : line.end]
    return text[: len(text) - len(text.lstrip(" \t"))]


def _starts_with_operator(df: Dockerfile, line: PhysLine) -> bool:
    return df.text[line.start : line.end].lstrip().startswith(_OPERATOR_STARTS)


def _ends_with_operator(df: Dockerfile, line: PhysLine) -> bool:
    return line.cont is not None and df.text[line.start : line.cont].rstrip().endswith(_OPERATOR_STARTS)


Layout = tuple[bool, str]  # trailing `&& \\`?, and the indentation of a new operator line


def continuation_append(df: Dockerfile, layout: Layout, command: str) -> str:
    """Return the text that adds `command` as a new continuation line in `layout`'s style
    (`continuation_style`): leading `    && next`, or ` && \\` ending the line before."""
    esc, nl = df.escape, df.newline
    trailing, indent = layout
    if trailing:
        return f" && {esc}{nl}{indent}{command}"
    return f" {esc}{nl}{indent}&& {command}"


def _logical_start(instr: Instruction, line: PhysLine) -> int:
    """Return the index in `instr.args` where a code line's text starts (< 0 in the flags)."""
    sources, starts = instr.offsets.sources, instr.offsets.starts
    k = bisect.bisect_left(sources, line.start)
    at = starts[k] if k < len(starts) else instr.offsets.length
    return at - instr.args_start


def fresh_lines(instr: Instruction, script: Script) -> list[PhysLine]:
    """Return the code lines after the first that start between two words of the command.

    A line that starts inside a word (a quoted string continued with `\\`, a `$( ... )`,
    `foo\\` + `bar`) or inside an inline comment has no indentation of its own: its
    leading blanks are part of that word.
    """
    spans = sorted((t.start, t.end) for c in script.commands for t in c.tokens)
    ends = [e for _, e in spans]
    cut = script.comment.start if script.comment is not None else None
    found = []
    for line in [line for line in instr.lines if line.kind is LineKind.CODE][1:]:
        at = _logical_start(instr, line)
        # The last word that ends after `at`: the line is in it when it starts before `at`.
        k = bisect.bisect_right(ends, at)
        inside = k < len(spans) and spans[k][0] < at < spans[k][1]
        if not inside and (cut is None or at < cut):
            found.append(line)
    return found


def continuation_style(df: Dockerfile, instr: Instruction, script: Script) -> Layout | None:
    """Return the continuation style of a multi-line RUN, or None when no line after the
    first starts a fresh word (`fresh_lines`).

    The style is whether it ends its lines with `&& \\` (else it starts them with `&&`), and
    the indentation of a new operator line: that of the last operator line, or of the
    first fresh line.
    """
    fresh = fresh_lines(instr, script)
    if not fresh:
        return None
    code = [line for line in instr.lines if line.kind is LineKind.CODE]
    starts = {line.start for line in fresh}
    leading = [line for line in fresh if _starts_with_operator(df, line)]
    trailing = [
        k for k, line in enumerate(code[:-1]) if code[k + 1].start in starts and _ends_with_operator(df, line)
    ]
    if trailing and not leading:
        return True, _indent(df, code[trailing[-1] + 1])
    return False, _indent(df, leading[-1] if leading else fresh[0])


def can_append(script: Script) -> bool:
    """Return whether a command appended to the script runs when the script succeeds: it
    has commands, does not end in `&` (that would background it) and does not exit or
    exec unconditionally (that makes it dead text)."""
    trailing = script.trailing is not None and script.trailing.text == "&"
    return bool(script.commands) and not trailing and not _unguarded_exit(script)


def append_cleanup(
    df: Dockerfile, instr: Instruction, script: Script, cleanup_for: Cleanup | None = None
) -> Fix | None:
    """Return the fix appending `&& rm -rf /var/lib/apt/lists/*` after the last command.

    `cleanup_for` gives another command to append from the RUN's commands (other
    package managers' cleanups). None when the appended command might not run or would
    change the exit status.
    """
    if not can_append(script):
        return None
    at = instr.offsets.end_to_source(instr.args_start + script.top_end)
    code = [line for line in instr.lines if line.kind is LineKind.CODE]
    last = code[-1]
    at_line_end = not instr.args[script.top_end :].strip() and last.cont is None
    cleanup = (cleanup_for or cleanup_command)(script.commands)
    layout = continuation_style(df, instr, script) if len(code) > 1 else None
    if layout is not None and at_line_end and last.start <= at <= last.end:
        return Fix.safe(Edit.insert(at, continuation_append(df, layout, cleanup)))
    # `&&` straight after the last top-level command: before a trailing `;` or `# comment`.
    return Fix.safe(Edit.insert(at, f" && {cleanup}"))


def logical_lines(body: str) -> list[str]:
    """Return the shell lines of a script body, backslash-newline continuations joined."""
    joined = re.sub(r"\\\r?\n", "", body)
    return [line.rstrip("\r") for line in joined.split("\n")]


def _sets_errexit(cmd: Command) -> bool:
    if cmd.name != "set" or cmd.depth != 0:
        return False
    args = cmd.args
    short = any(a.startswith("-") and not a.startswith("--") and "e" in a for a in args)
    return short or any(a == "errexit" and i > 0 and args[i - 1] == "-o" for i, a in enumerate(args))


def _shebang_ok(line: str) -> bool:
    """Return whether a `#!` line names a POSIX shell (`/bin/bash`, `/usr/bin/env sh`)."""
    words = line[2:].split()
    names = [w.rsplit("/", 1)[-1] for w in words[:2]]
    if names[:1] == ["env"]:
        names = names[1:]
    return bool(names) and names[0] in _POSIX_SHELLS


def heredoc_commands(body: str) -> list[Command] | None:
    """Return the commands of a heredoc script we can safely add a line to, or None.

    That is plain sh lines (no multi-line compound, nothing the reader gives up on)
    starting with `set -e`, never turning it off, never exiting early.
    """
    lines = logical_lines(body)
    if lines and lines[0].startswith("#!") and not _shebang_ok(lines[0]):
        return None
    scripts: list[Script] = []
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        script = split_commands(line)
        if script is None or not script.commands or _unguarded_exit(script):
            return None
        scripts.append(script)
    if not scripts or not _sets_errexit(scripts[0].commands[0]):
        return None
    commands = [c for s in scripts for c in s.commands]
    # `set +e` later would let a failed install be followed by a successful cleanup.
    if any(c.name == "set" and any(a.startswith("+") for a in c.args) for c in commands):
        return None
    return commands


def append_cleanup_heredoc(
    df: Dockerfile, instr: Instruction, cleanup_for: Cleanup | None = None
) -> Fix | None:
    """Return the fix adding the cleanup as the last line of a `RUN <<EOF` script, or None.

    Only for a script run by the shell with `set -e` in force, so a failed install still
    fails the RUN before the new line.
    """
    if len(instr.heredocs) != 1 or not _HEREDOC_ONLY_RE.match(instr.args.strip()):
        return None
    doc = instr.heredocs[0]
    source = df.text[doc.body.start : doc.body.end]
    if not source.endswith("\n") or source.rstrip("\r\n").endswith("\\"):
        return None
    commands = heredoc_commands(doc.content)
    if commands is None:
        return None
    nl = "\r\n" if source.endswith("\r\n") else "\n"
    line = f"{_command_indent(source)}{(cleanup_for or cleanup_command)(commands)}{nl}"
    return Fix.safe(Edit.insert(doc.terminator.start, line))


def _command_indent(source: str) -> str:
    """Return the indentation of the last line that starts a command (not a continued one)."""
    indent, continued = "", False
    for line in source.splitlines():
        if line.strip() and not continued:
            indent = line[: len(line) - len(line.lstrip(" \t"))]
        continued = line.endswith("\\")
    return indent


def _no_cleanup_reason(instr: Instruction, script: Script | None) -> str:
    """Return why the cleanup cannot be appended to a RUN in a POSIX shell."""
    if instr.is_json:
        return "the `RUN` is in exec (JSON) form"
    if instr.heredocs:
        return (
            "a heredoc gets the cleanup only as the whole `RUN` (`RUN <<EOF`), a plain `sh` script"
            " that starts with `set -e`, so that a failed install still fails the `RUN`"
        )
    if script is None:
        return "dffix cannot read the commands of the `RUN`"
    if script.trailing is not None and script.trailing.text == "&":
        return "the `RUN` ends with a background job (`&`)"
    if _unguarded_exit(script):
        return "an `exit` or `exec` ends the shell before the cleanup could run"
    return "the `RUN` runs no command"


class AptListsNotRemoved(Rule):
    """## What it does
    Flags a `RUN` that installs packages with `apt-get`/`apt` without removing
    `/var/lib/apt/lists/*` in the same `RUN`.

    ## Why is this bad?
    `apt-get update` downloads package lists (tens of MB) into `/var/lib/apt/lists`. Left
    there they ship in the image for nothing, and removing them in a later `RUN` saves
    nothing: the earlier layer still holds them.

    ## Example
    ```dockerfile
    FROM debian:bookworm
    RUN apt-get update && apt-get install -y curl
    ```

    ## Use instead
    ```dockerfile
    FROM debian:bookworm
    RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
    ```

    ## Fix safety
    Safe: the fix appends `&& rm -rf /var/lib/apt/lists/*` right after the last top-level
    command, so it runs only when everything before it succeeded and the exit status of
    the `RUN` stays the same. It goes before a trailing `;` or inline `# comment`, on the
    same line for a one-line `RUN`, and as a new continuation line in the `RUN`'s own
    style (leading `&&` or trailing `&& \\`, its indentation, the file's escape character
    and line endings) for a multi-line one. Only lines that start a new word give that
    style: a line continuing a quoted string starts with the string's text, so a `RUN`
    continued only inside strings gets the cleanup on its last line. In a `RUN <<EOF`
    script that starts with `set -e` the cleanup becomes the script's last line. When the
    install runs through `sudo`, so does the cleanup.

    Not reported when the `RUN` already removes the lists after its last `apt-get update`
    (`rm` or `find` on them, or `apt-get dist-clean`; `apt-get clean` alone does not; a
    removal before an update, as in two merged `RUN`s, leaves the new lists), when a
    `--mount` (`type=cache`, `type=tmpfs`...) covers `/var/lib/apt/lists`, or in a stage
    whose layers never reach an image: one only used by `COPY --from` (the final stage,
    stages it is built `FROM` and stages nothing refers to, which may be `--target`s, are
    all checked).

    Reported without a fix, and the message says why, when the shell could skip the
    cleanup or run it too early: a trailing `&`, an unconditional `exit`/`exec`, a command
    line the reader does not fully understand, exec form, other heredocs, a non-POSIX
    `SHELL`, or when the lists are still needed: a later `RUN` (in this
    stage, an `ONBUILD RUN`, or a `RUN` of a stage built on it) that uses the lists, or
    may, before an `apt-get update` of its own. The message names that `RUN` and the
    command. What a command in a later `RUN` does with the lists, by kind:

    - **reads them**: `apt-get`, `apt`, `aptitude`, `apt-fast` and `nala` with `install`,
      `upgrade`, `build-dep`, `source`, `download`, `show`, `search`, `policy`, `satisfy`
      and the like; `apt-cache`, `gdebi`, `apt-file search`, `apt-rdepends`,
      `apt-show-versions`, `unattended-upgrade`; `mk-build-deps` with `-i` (it installs
      through `apt-get`) or given a package name (it runs `apt-cache showsrc`);
    - **refreshes them**, so later commands read fresh lists: `apt-get update` (and the
      other front ends'), `apt-file update`, minideb's `install_packages`;
    - **may read them**, because a script dffix cannot see may run `apt-get install`: a
      program named by a path (`./install.sh`, `/tmp/setup`, `~/bin/x`), a `*.sh` script,
      `sh`/`bash` given a script file or reading one from a pipe (`curl ... | sh`), what
      a download prints (`sh -c "$(curl ...)"`), `. script` / `source script`, a script
      file given to `python`, `perl`, `ruby`, `node`, `php` or `Rscript`; `make`,
      `dpkg-buildpackage`, `debuild`, `gbp`, which run commands written elsewhere; the
      configuration managers `puppet`, `ansible-playbook`, `chef-solo`, `salt-call`;
    - **what the command it runs does**: `sh -c '...'`, `su -c '...'`, `eval`, `sudo`,
      `env`, `gosu`, `chroot`, `timeout`, `xargs`, `find -exec` and other runners, and
      the commands inside a `$( ... )`;
    - **neither**: `add-apt-repository` (older versions do not update, so an install after
      it still reads the old lists), `mk-build-deps` of a control file alone,
      `equivs-build`, `dpkg`, `apt-mark`, `apt-key`, `debconf-set-selections`; builtins and
      every other tool called by name (`echo`, `mkdir`, `curl`, `pip`, `npm`, `python3 -m
      pip`, `python3 -c '...'`); a tool by a system path (`/usr/bin/...`) or by a path
      ending in a well-known name (`/opt/conda/bin/pip`); `./configure`, `./gradlew`,
      `/etc/init.d/x start`; sourcing `/etc/os-release`, a `bin/activate` or a profile
      file.

    The first command of a `RUN` that uses the lists decides: `apt-get update &&
    ./install.sh` is fine, `./install.sh && apt-get update` is not. A line the shell reader
    gives up on is split at every place a command may start; a heredoc the shell runs
    (`RUN <<EOF`, `RUN bash <<EOF`) is read line by line, one fed to another command
    (`cat > /f <<EOF`) is data. Any apt call named in a later `RUN`'s text also counts.

    With `cache-style = "mount"` the fix instead adds BuildKit cache mounts on
    `/var/cache/apt` and `/var/lib/apt` (`sharing=locked`) as `RUN` flags, and, once per
    stage, Docker's `RUN rm -f /etc/apt/apt.conf.d/docker-clean; echo
    'Binary::apt::APT::Keep-Downloaded-Packages "true";' > /etc/apt/apt.conf.d/keep-cache`
    above the first such `RUN` (unless the stage, or one it is built on, already removes
    `docker-clean`). That fix is always unsafe: it needs BuildKit (the legacy builder
    rejects `--mount`), the keep-cache setting stays in the image and changes what later
    `apt-get install`s there keep, and apt's own state in `/var/lib/apt` (which packages
    were installed automatically) goes to the cache instead of the image. There is no
    mount fix for a `RUN` that does not run `apt-get update` itself (the mount would hide
    the lists it relies on) or that runs as a non-root `USER`.

    ## Options
    - `cache-style` (default `"clean"`): `"clean"` appends the `rm`; `"mount"` adds cache
      mounts instead (see above). A `RUN` never gets both.

    ## References
    - Docker best practices: "apt-get"
    - Docker docs: "Optimize cache usage in builds" (cache mounts for apt)
    - hadolint DL3009
    """

    code = "DF102"
    name = "apt-lists-not-removed"
    message = "apt lists not removed in the `RUN` that installs packages"
    fix_title = "Append `&& rm -rf /var/lib/apt/lists/*` to the `RUN`"
    fixability = Fixability.SOMETIMES
    aliases = ("DL3009",)
    option_defaults: ClassVar[Mapping[str, object]] = {"cache-style": "clean"}

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for stage in facts.stages:
            if not in_image(facts, stage):
                continue
            found = [
                v
                for instr in stage.instructions
                if instr.kind == "RUN"
                for v in self._check_run(df, facts, stage, instr)
            ]
            if self.options.get("cache-style") == "mount":
                found = _with_keep_cache(df, facts, stage, found)
            yield from found

    def _check_run(
        self, df: Dockerfile, facts: Facts, stage: Stage, instr: Instruction
    ) -> Iterator[Violation]:
        if not leaves_lists(instr) or lists_mounted(instr):
            return
        reader = reader_after(facts, stage, instr)
        if reader is not None:
            later, use = reader
            uses = "still uses them" if use.use is ListUse.READS else "may use them"
            msg = f"{self.message}; no fix: the `RUN` on line {later.start_line} {uses} ({use.what})"
            yield self.violation(instr.keyword_span, message=msg)
            return
        style = self.options.get("cache-style")
        if style == "mount":
            yield self._mount_violation(df, facts, stage, instr)
            return
        if style != "clean":
            bad = f"{self.message}; no fix: `cache-style` must be 'clean' or 'mount'"
            yield self.violation(instr.keyword_span, message=bad)
            return
        if not is_posix_shell(stage.shell_at(instr)):
            why = "the `SHELL` in force is not a POSIX shell"
            yield self.violation(instr.keyword_span, message=f"{self.message}; no fix: {why}")
            return
        fix = None
        script = _script(instr)
        if script is not None:
            fix = append_cleanup(df, instr, script)
        elif instr.heredocs and not instr.is_json:
            fix = append_cleanup_heredoc(df, instr)
        if fix is None:
            why = _no_cleanup_reason(instr, script)
            yield self.violation(instr.keyword_span, message=f"{self.message}; no fix: {why}")
        else:
            yield self.violation(instr.keyword_span, fix)

    def _mount_violation(self, df: Dockerfile, facts: Facts, stage: Stage, instr: Instruction) -> Violation:
        from dffix.rules.pm import apt_mount_edit  # pm reads apt's helpers: import it lazily

        edit = (
            apt_mount_edit(facts, stage, instr)
            if is_posix_shell(stage.shell_at(instr))
            else "non-POSIX SHELL"
        )
        if isinstance(edit, str):
            return self.violation(instr.keyword_span, message=f"{self.message}; no cache-mount fix: {edit}")
        title = "Add BuildKit cache mounts on `/var/cache/apt` and `/var/lib/apt` to the `RUN`"
        message = f"{self.message}; cache mounts need BuildKit"
        return self.violation(instr.keyword_span, Fix.unsafe(edit), message=message, fix_title=title)


def _with_keep_cache(df: Dockerfile, facts: Facts, stage: Stage, found: list[Violation]) -> list[Violation]:
    """Return the stage's violations with Docker's keep-cache RUN added to every mount fix,
    above the first RUN that gets one (identical edits: the fixer applies it once)."""
    from dffix.rules.pm import keep_cache_edit

    anchor = next((v for v in found if v.fix is not None), None)
    instr = next((i for i in stage.instructions if anchor and i.keyword_span == anchor.span), None)
    prep = keep_cache_edit(df, facts, stage, instr) if instr is not None else None
    if prep is None:
        return found
    return [
        Violation(v.code, v.name, v.message, v.span, Fix.unsafe(prep, *v.fix.edits), v.fix_title, v.isolation)
        if v.fix
        else v
        for v in found
    ]
