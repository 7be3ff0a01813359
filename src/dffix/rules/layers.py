"""DF1xx: layers. Consecutive `RUN` instructions that could be one."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dffix.edits import Edit, Fix
from dffix.facts import Facts, Stage, json_array
from dffix.lazy import lazy_re
from dffix.rules.apt import (
    Layout,
    comment_lines,
    continuation_style,
    last_code_line,
    same_flags,
    state_change,
)
from dffix.rules.base import Fixability, Rule, Violation
from dffix.rules.records import _Joint
from dffix.rules.user import base_image, is_windows_image, posix_shell, shell_in_force
from dffix.syntax.shell import Script, split_commands
from dffix.syntax.tree import Dockerfile, Instruction, LineKind, PhysLine, Span

# Comments other tools read as directives for the instruction below them: moving one into
# a merged RUN would widen what it applies to.
_PRAGMA = lazy_re(
    r"#\s*(?:dffix\s*:|hadolint\b|checkov\s*:|trivy\s*:|tfsec\s*:|kics\b|nosemgrep\b|noqa\b"
    r"|syntax\s*=|check\s*=|escape\s*=)",
    re.IGNORECASE,
)
_DEFAULT_INDENT = "    "


def _first_reason(script: Script | None, text: str) -> str | None:
    """Return why `<this> && <next RUN>` could behave differently from two RUNs, or None."""
    if script is None:
        return "dffix cannot read the commands of the first `RUN`"
    if script.comment is not None:
        return "the first `RUN` ends in a comment"
    if any(op.text == "&" for op in script.operators):
        return "the first `RUN` starts a background job"
    change = state_change(script, text)
    if change is not None:
        return f"the first `RUN` runs {change}, which would change what the second one sees"
    return None


def _second_reason(script: Script | None) -> str | None:
    """Return why `<previous RUN> && <this>` might not fail when the previous one failed."""
    if script is None:
        return "dffix cannot read the commands of the second `RUN`"
    if not script.commands or not script.is_flat:
        return "the second `RUN` is not a plain `&&` chain"
    if script.trailing is not None and script.trailing.text != ";":
        return "the second `RUN` ends in a background job"
    # `a && b; c` would run `c` after a failed `a`; `a && b || c` too.
    ops = script.operators[:-1] if script.trailing is not None else script.operators
    if not all(op.text in ("&&", "|", "|&") for op in ops):
        return "the second `RUN` is not one `&&` chain"
    return None


def _comments_of(df: Dockerfile, first: Instruction, second: Instruction) -> Iterator[str]:
    """Yield the comment lines inside the two RUNs' continuations."""
    for instr in (first, second):
        for line in instr.lines:
            if line.kind is LineKind.COMMENT:
                yield df.text[line.start : line.end]


def _code_lines(instr: Instruction) -> list[PhysLine]:
    return [line for line in instr.lines if line.kind is LineKind.CODE]


def _layout_of(df: Dockerfile, instr: Instruction) -> Layout | None:
    """Return the continuation style of a shell-form RUN that spans lines, else None.

    Also None when no line after the first starts a fresh word of the command: the
    leading blanks of a line inside a quoted string are the string's, not an indent.
    """
    if instr.is_json or instr.heredocs or len(_code_lines(instr)) < 2:
        return None
    script = split_commands(instr.args)
    return None if script is None else continuation_style(df, instr, script)


def _file_layout(df: Dockerfile) -> Layout:
    """Return the style of the file's first multi-line RUN; when there is none, leading
    `&&` indented by a tab if the file's continuation lines mostly start with one, else by
    four spaces."""
    for instr in df.instructions("RUN"):
        found = _layout_of(df, instr)
        if found is not None:
            return found
    starts = [
        df.text[line.start] for i in df.instructions() for line in _code_lines(i)[1:] if line.end > line.start
    ]
    tabs = starts.count("\t")
    return False, "\t" if tabs > starts.count(" ") else _DEFAULT_INDENT


def _merge_edit(df: Dockerfile, first: Instruction, second: Instruction, layout: Layout) -> Edit | str:
    """Return the edit that makes `second` a continuation of `first`, joined by `&&`, or why not.

    `layout` is the continuation style to follow: that of the first RUN of the group of
    adjacent RUNs that spans lines, else the file's (`_file_layout`).
    """
    a = split_commands(first.args)
    reason = _first_reason(a, first.args) or _second_reason(split_commands(second.args))
    if reason is not None:
        return reason
    assert a is not None
    last = last_code_line(first)
    a_end = first.offsets.end_to_source(first.args_start + a.top_end)
    if last.cont is not None or not last.start <= a_end <= last.end:
        return "the first `RUN` does not end on its last line"
    b_start = second.args_span.start
    # A comment above a step documents it: it stays with its own RUN.
    if comment_lines(df, first.span.end, b_start, second, ""):
        return "a comment documents the second `RUN`"
    if any(_PRAGMA.match(c.lstrip()) for c in _comments_of(df, first, second)):
        return "a comment inside them is a directive for a linter or for dffix"
    trailing, indent = layout
    esc, nl = df.escape, df.newline
    joint = f" && {esc}{nl}{indent}" if trailing else f" {esc}{nl}{indent}&& "
    return Edit.replace(Span(a_end, b_start), joint)


def _stage_reason(df: Dockerfile, facts: Facts, stage: Stage, instr: Instruction) -> str | None:
    """Return why no RUN of this stage can be merged (the shell), or None."""
    if df.escape == "`" or is_windows_image(base_image(facts, stage)):
        return "the `RUN`s may run in `cmd` or PowerShell (a Windows image or the backtick escape)"
    shell = shell_in_force(facts, stage, instr)
    if posix_shell(shell) is None:
        return f"`SHELL {json_array(shell)}` is not a POSIX shell"
    return None


def _joint(
    df: Dockerfile, facts: Facts, stage: Stage, first: Instruction, second: Instruction, layout: Layout
) -> _Joint:
    reason = _stage_reason(df, facts, stage, second)
    if reason is None and (first.heredocs or second.heredocs):
        reason = "a heredoc script is not merged"
    if reason is not None:
        return _Joint(first, second, None, reason)
    edit = _merge_edit(df, first, second, layout)
    if isinstance(edit, str):
        return _Joint(first, second, None, edit)
    return _Joint(first, second, edit, None)


def _joints(df: Dockerfile, facts: Facts, stage: Stage) -> Iterator[_Joint]:
    """Yield each pair of shell-form RUNs with nothing but comments and blank lines between."""
    last: Instruction | None = None  # the last RUN of the group of adjacent RUNs with the same flags
    layout: Layout | None = None  # that of the group's first multi-line RUN
    for instr in stage.instructions:
        if instr.kind != "RUN" or instr.is_json:
            last = None
            continue
        if last is None or not same_flags(last, instr):
            last, layout = instr, _layout_of(df, instr)
            continue
        layout = layout or _layout_of(df, instr)
        # Else the file's, looked up once per check and only when needed.
        style = layout or facts.cached("run_layout", lambda: _file_layout(df))
        yield _joint(df, facts, stage, last, instr, style)
        last = instr


class ConsecutiveRunInstructions(Rule):
    """## What it does
    Flags a shell-form `RUN` that directly follows another `RUN` of the same stage with the
    same flags, so that the two could be one `RUN`.

    ## Why is this bad?
    Each `RUN` adds a layer. Files a later `RUN` deletes still take space in the earlier
    layer, and many small layers make pulls and builds slower. Chaining related commands
    with `&&` in one `RUN` keeps temporary files out of the image.

    Splitting `RUN`s is also a legitimate way to cache a slow step on its own or to see
    where a build fails, which is why this rule is off by default: enable it with
    `select = ["DF103"]` where fewer layers matter more.

    ## Example
    ```dockerfile
    FROM debian:bookworm
    RUN useradd --create-home app
    RUN mkdir -p /srv/app && chown app /srv/app
    ```

    ## Use instead
    ```dockerfile
    FROM debian:bookworm
    RUN useradd --create-home app \\
        && mkdir -p /srv/app && chown app /srv/app
    ```

    ## Fix safety
    The fix joins the second `RUN`'s command to the first with `&&` on a new continuation
    line and deletes the second `RUN` line, keeping each `RUN`'s own lines. It follows the
    first `RUN`'s continuation style (leading `&&` or trailing `&& \\`) and indentation, else
    the second's, else that of the file's first multi-line shell-form `RUN`, else leading
    `&&` indented by a tab when the file's continuation lines mostly start with one, by
    four spaces otherwise. Only lines that start a new word count: a line that
    continues a quoted string (`RUN echo "a \\` then `   b"`) or a `$( ... )` starts with
    the string's own text, not an indentation. Blank lines between the two `RUN`s go.
    Every run of `RUN`s of a stage becomes one `RUN` in one go.

    `a && b` runs `b` only when `a` succeeded, and fails when either fails: what two `RUN`s
    do, in one layer. So the fix is safe, and it is offered only when the second `RUN`
    cannot behave differently:

    - the `SHELL` is a POSIX shell (`sh`, `bash`, ...) and the base image not Windows;
    - neither `RUN` has a heredoc;
    - the first `RUN` changes no shell state the second would inherit, except inside a
      `( ... )` subshell: not the directory (`cd`, `pushd`, `popd`, `dirs -c`), variables
      (`export`, `unset`, `read`, `mapfile`, `getopts`, `let`, `printf -v`, bare
      assignments, `${x:=y}`, `$((i++))`, the variable of a `for` or `select` loop),
      options and limits (`set`, `shopt`, `umask`, `ulimit`), nor `source`/`.`, `eval`,
      `alias`, `trap`, `exec` and the like. `builtin X` and `command X` count as `X`, and a
      command named by a variable (`$SETUP /x`) counts too, since it may be any of these;
      no `exit` other than `|| exit` with a non-zero status; no background job (`&`); no
      comment at its end (the joined command would be inside it);
    - the second `RUN` is one `&&` chain of commands or pipelines: after `a && b; c` or
      `a && b || c`, `c` would run even when `a` failed;
    - no comment line sits between them (or before the second `RUN`'s command): a comment
      above a step documents it, and moved into the merged `RUN` it would be text BuildKit
      drops, away from its step; merge such `RUN`s by hand if the comment can go;
    - no comment inside either `RUN` is a directive (`# hadolint ignore=`,
      `# dffix: ignore=`, `# checkov:skip=` ...), which would then cover both.

    Otherwise the `RUN` is reported without a fix, with the reason. `RUN`s with different
    flags (`--mount`, `--network`, `--security`) and exec-form `RUN`s are not reported:
    they cannot simply be joined.

    ## References
    - Docker best practices: "Minimize the number of layers"
    - hadolint DL3059 (hadolint#715 on why splitting can be deliberate)
    """

    code = "DF103"
    name = "consecutive-run-instructions"
    message = "Consecutive `RUN` instructions could be one `RUN`"
    fix_title = "Merge the consecutive `RUN` instructions into one"
    fixability = Fixability.SOMETIMES
    aliases = ("DL3059",)
    default_enabled = False

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for stage in facts.stages:
            yield from self._check_stage(df, facts, stage)

    def _check_stage(self, df: Dockerfile, facts: Facts, stage: Stage) -> Iterator[Violation]:
        joints = list(_joints(df, facts, stage))
        edits = [j.edit for j in joints if j.edit is not None]
        # Every fixable joint of the stage carries the fix for all of them, so a stage with
        # many runs of RUNs settles in one pass despite the stage isolation.
        fix = Fix.safe(*edits) if edits else None
        for joint in joints:
            said = self._said(joint)
            if joint.edit is None:
                yield self.violation(joint.second.keyword_span, message=f"{said}; no fix: {joint.reason}")
            else:
                yield self.violation(
                    joint.second.keyword_span, fix, message=said, isolation=f"stage:{stage.index}"
                )

    def _said(self, joint: _Joint) -> str:
        lines = f"lines {joint.first.start_line} and {joint.second.start_line}"
        return f"Consecutive `RUN` instructions ({lines}) could be one `RUN`"
