"""DF0xx: Dockerfiles BuildKit's parser accepts but its build refuses.

BuildKit reads a Dockerfile in two steps. The parser (what `parse()` mirrors, and what
the PyPI `dockerfile` binding runs) only splits lines into instructions, flags and
arguments; it accepts `FOO bar` and `COPY x`. The second step (`instructions.Parse`,
then the conversion to LLB) gives each instruction its meaning and stops the build at
the first one it cannot use. These rules report what that second step refuses, as
errors, so `dffix --check` fails before `docker build` does. None of them has a fix:
what the author meant is a guess, and the message says so.
"""

from __future__ import annotations

from collections.abc import Iterator

from dffix.facts import Facts, Stage
from dffix.lazy import lazy_re
from dffix.rules.base import Rule, Violation
from dffix.syntax.tree import Dockerfile, Instruction

# The instructions BuildKit knows (its `command.Commands`, the binding's all_cmds()).
INSTRUCTIONS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    }
)  # fmt: skip

# The flags each instruction declares before BuildKit parses them (BFlags): any other is
# "unknown flag". Those of recent Dockerfile frontends are included (`--parents`,
# `--exclude`, `RUN --device`), so a file written for a newer frontend is not flagged.
FLAGS: dict[str, frozenset[str]] = {
    "FROM": frozenset({"platform"}),
    "COPY": frozenset({"chown", "chmod", "from", "link", "parents", "exclude"}),
    "ADD": frozenset({"chown", "chmod", "link", "keep-git-dir", "checksum", "exclude", "unpack"}),
    "RUN": frozenset({"mount", "network", "security", "device"}),
    "HEALTHCHECK": frozenset({"interval", "timeout", "start-period", "start-interval", "retries"}),
}
# Flags that take a value: `--chown` alone is "missing a value on flag".
VALUE_FLAGS = frozenset(
    {"platform", "chown", "chmod", "from", "exclude", "checksum", "mount", "network", "security", "device",
     "interval", "timeout", "start-period", "start-interval", "retries"}
)  # fmt: skip
# BuildKit's rule for a stage name (after lower-casing it).
_STAGE_NAME = lazy_re(r"[a-z][a-z0-9_.-]*")

_NO_FIX_GUESS = "no fix: what was meant is a guess"


def _known(instr: Instruction) -> bool:
    return instr.kind in INSTRUCTIONS


def _closest(word: str, choices: frozenset[str]) -> list[str]:
    # difflib only on this path: a file that builds never loads it (start-up time).
    import difflib

    return difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)


class UnknownInstruction(Rule):
    """## What it does
    Flags a line whose first word is not a Dockerfile instruction (`RUNN`, `FOO bar`).

    ## Why is this bad?
    BuildKit's parser accepts any word as an instruction, so the file looks fine to
    tools that only parse it; the build stops at it with `unknown instruction: RUNN`.
    It is usually a typo, or a continuation line whose `\\` went missing.

    ## Example
    ```dockerfile
    FROM alpine:3.19
    RUNN apk add --no-cache curl
    ```

    ## Use instead
    ```dockerfile
    FROM alpine:3.19
    RUN apk add --no-cache curl
    ```

    ## Fix safety
    No fix: a close instruction name is only a guess (`RUNN` may be `RUN`, a lost
    continuation may be part of the line above). The message names the closest one.

    ## References
    - Dockerfile reference: "Format"
    - hadolint: DL1000 (parse error); BuildKit: `unknown instruction`
    """

    code = "DF001"
    name = "unknown-instruction"
    message = "Not a Dockerfile instruction"
    severity = "error"

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instruction_list:
            if instr.kind in INSTRUCTIONS:
                continue
            close = _closest(instr.kind, INSTRUCTIONS)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            msg = f"`{instr.keyword}` is not an instruction{hint}: the build stops here; {_NO_FIX_GUESS}"
            yield self.violation(instr.keyword_span, message=msg)


class InstructionBeforeFrom(Rule):
    """## What it does
    Flags an instruction other than `ARG` before the first `FROM`.

    ## Why is this bad?
    Only `ARG` (for use in `FROM` lines) may come before the first `FROM`: there is no
    stage yet for a `RUN` or `ENV` to belong to. BuildKit stops with
    `no build stage in current context`.

    ## Example
    ```dockerfile
    ENV LANG=C.UTF-8
    FROM debian:12
    ```

    ## Use instead
    ```dockerfile
    FROM debian:12
    ENV LANG=C.UTF-8
    ```

    ## Fix safety
    No fix: the instruction may belong to the first stage or to every stage (moving it
    below one `FROM` is a guess), or it is a leftover.

    ## References
    - Dockerfile reference: "Understand how ARG and FROM interact"
    - hadolint: DL3061
    """

    code = "DF002"
    name = "instruction-before-from"
    message = "Instruction before the first `FROM`"
    aliases = ("DL3061",)
    severity = "error"

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        if not facts.stages:
            return  # missing-from says it
        first = facts.stages[0].from_instr.span.start
        for instr in df.all_instructions:
            if instr.span.start >= first:
                return
            if instr.kind != "ARG" and _known(instr):
                msg = (
                    f"`{instr.keyword}` before the first `FROM`: only `ARG` may come before it, the build"
                    " stops with `no build stage in current context`; no fix: which stage it belongs to"
                    " is a guess"
                )
                yield self.violation(instr.keyword_span, message=msg)


class MissingFrom(Rule):
    """## What it does
    Flags a Dockerfile without any `FROM`.

    ## Why is this bad?
    A build needs at least one stage, and a stage starts with `FROM`. Without one,
    BuildKit stops at the first instruction that is not `ARG`
    (`no build stage in current context`), or, with only `ARG`s, with
    `dockerfile contains no stages to build`.

    ## Example
    ```dockerfile
    RUN make
    ```

    ## Use instead
    ```dockerfile
    FROM gcc:14
    RUN make
    ```

    ## Fix safety
    No fix: the base image is the author's choice.

    ## References
    - Dockerfile reference: "FROM"
    - hadolint: DL3061
    """

    code = "DF003"
    name = "missing-from"
    message = "No `FROM`: the file has no build stage"
    aliases = ("DL3061",)
    severity = "error"

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        if facts.stages or not df.all_instructions:
            return
        first = df.all_instructions[0]
        msg = "No `FROM`: the file has no build stage, nothing can be built; no fix: the base image is yours"
        yield self.violation(first.keyword_span, message=msg)


# The kinds `_count_problem` has something to say about.
_COUNTED = frozenset(
    {"FROM", "COPY", "ADD", "USER", "WORKDIR", "MAINTAINER", "STOPSIGNAL", "ENV", "LABEL", "ARG"}
    | {"EXPOSE", "VOLUME", "HEALTHCHECK", "ONBUILD", "SHELL"}
)


def _count_problem(instr: Instruction) -> str | None:
    """Return what BuildKit says about the number or form of `instr`'s arguments, or None."""
    kind, values = instr.kind, instr.values
    if kind == "FROM":
        if len(values) == 1 or (len(values) == 3 and values[1].lower() == "as"):
            return None
        return "`FROM` takes an image and optionally `AS name` (one or three arguments)"
    if kind in ("COPY", "ADD") and len(values) < 2:
        return f"`{kind}` needs at least one source and a destination"
    # BuildKit reads the rest of these lines as one argument: only an empty one fails.
    if kind in ("USER", "WORKDIR", "MAINTAINER", "STOPSIGNAL") and len(values) != 1:
        return f"`{kind}` needs an argument"
    if kind in ("ENV", "LABEL", "ARG", "EXPOSE", "VOLUME", "HEALTHCHECK", "ONBUILD") and not values:
        return f"`{kind}` needs at least one argument"
    if kind == "SHELL":
        if not instr.is_json:
            return '`SHELL` takes a JSON array (`SHELL ["/bin/bash", "-c"]`)'
        return "`SHELL` needs at least one argument" if not values else None
    if kind == "HEALTHCHECK":
        return _healthcheck_problem(values)
    return None


def _healthcheck_problem(values: tuple[str, ...]) -> str | None:
    kind = values[0].upper()
    if kind == "NONE":
        return "`HEALTHCHECK NONE` takes no arguments" if len(values) > 1 else None
    if kind != "CMD":
        return f"`HEALTHCHECK` takes `CMD` or `NONE`, not `{values[0]}`"
    return "`HEALTHCHECK CMD` needs a command" if len(values) < 2 else None


class WrongArgumentCount(Rule):
    """## What it does
    Flags an instruction with missing or extra arguments: `COPY` with one argument,
    `FROM` alone, an empty `USER`, `SHELL` not in JSON form, `HEALTHCHECK` without `CMD`.

    ## Why is this bad?
    BuildKit's parser takes the line, but the build stops at it (`COPY requires at
    least two arguments`, `FROM requires either one or three arguments`, `USER requires
    exactly one argument`).

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    COPY requirements.txt
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    COPY requirements.txt ./
    ```

    ## Fix safety
    No fix: the missing destination, image or user is the author's to give.

    ## References
    - Dockerfile reference: each instruction's syntax
    """

    code = "DF004"
    name = "wrong-argument-count"
    message = "Wrong number of arguments"
    severity = "error"

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instruction_list:
            # RUN, CMD, ENTRYPOINT (and unknown words) take any arguments: no call for them.
            if instr.kind not in _COUNTED:
                continue
            problem = _count_problem(instr)
            if problem:
                msg = f"{problem}: the build stops here; no fix: only you know what was meant"
                yield self.violation(instr.keyword_span, message=msg)


class UnknownFlag(Rule):
    """## What it does
    Flags an instruction flag BuildKit does not know for that instruction
    (`COPY --chwon=app`, `RUN --mnt=...`, any flag on `ENV`), or a flag that needs a
    value given none (`COPY --chown`).

    ## Why is this bad?
    The parser keeps any `--word` as a flag; the build stops with
    `unknown flag: chwon` or `missing a value on flag: chown`.

    ## Example
    ```dockerfile
    FROM node:20
    COPY --chwon=node:node . /app
    ```

    ## Use instead
    ```dockerfile
    FROM node:20
    COPY --chown=node:node . /app
    ```

    ## Fix safety
    No fix: a close flag name is a guess. The message names the closest one.

    ## References
    - Dockerfile reference: the flags of `FROM`, `RUN`, `COPY`, `ADD` and `HEALTHCHECK`
    """

    code = "DF005"
    name = "unknown-flag"
    message = "Unknown instruction flag"
    severity = "error"

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instruction_list:
            # Most instructions have no flag (nothing to look at); STOPSIGNAL and
            # HEALTHCHECK NONE never parse their flags in BuildKit.
            if not instr.flags:
                continue
            if not _known(instr) or instr.kind == "STOPSIGNAL" or _is_healthcheck_none(instr):
                continue
            known = FLAGS.get(instr.kind, frozenset())
            for flag in instr.flags:
                if flag.name not in known:
                    close = _closest(flag.name, known)
                    hint = f" (did you mean `--{close[0]}`?)" if close else ""
                    takes = f"`{instr.kind}` takes no flags" if not known else f"not a flag of `{instr.kind}`"
                    msg = f"`--{flag.name}`: {takes}{hint}, the build stops here; {_NO_FIX_GUESS}"
                    yield self.violation(flag.span, message=msg)
                elif flag.name in VALUE_FLAGS and flag.value is None:
                    msg = (
                        f"`--{flag.name}` needs a value (`--{flag.name}=...`): the build stops here;"
                        " no fix: the value is yours to give"
                    )
                    yield self.violation(flag.span, message=msg)


def _is_healthcheck_none(instr: Instruction) -> bool:
    return instr.kind == "HEALTHCHECK" and bool(instr.values) and instr.values[0].upper() == "NONE"


def _stage_refs(stage: Stage) -> Iterator[tuple[Instruction, str]]:
    """Yield each `COPY --from=` and `RUN --mount=...,from=` of a stage with its value."""
    for instr in stage.instructions:
        if not instr.flags:  # most instructions: neither `--from` nor `--mount`
            continue
        flag = instr.flag("from") if instr.kind in ("COPY", "ADD") else None
        if flag is not None and flag.value:
            yield instr, flag.value
        for mount in instr.flags_named("mount") if instr.kind == "RUN" else ():
            for part in (mount.value or "").split(","):
                if part.startswith("from=") and part[5:]:
                    yield instr, part[5:]


def _resolve(ref: str, stages: tuple[Stage, ...], by_name: dict[str, int]) -> int | None:
    """Return the stage index a --from value names, -1 for an index out of range, or
    None for an image (or a value with a variable, known only at build time)."""
    if "$" in ref:
        return None
    if ref.isdigit():
        return int(ref) if int(ref) < len(stages) else -1
    return by_name.get(ref.lower())


def _components(edges: list[set[int]]) -> list[int]:
    """Return the strongly connected component of each node (iterative Kosaraju)."""
    n = len(edges)
    order: list[int] = []
    seen = [False] * n
    for root in range(n):
        if seen[root]:
            continue
        seen[root] = True
        stack = [(root, iter(edges[root]))]
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                order.append(node)
            elif not seen[nxt]:
                seen[nxt] = True
                stack.append((nxt, iter(edges[nxt])))
    back: list[list[int]] = [[] for _ in range(n)]
    for a, targets in enumerate(edges):
        for b in targets:
            back[b].append(a)
    comp = [-1] * n
    for root in reversed(order):
        if comp[root] >= 0:
            continue
        comp[root] = root
        todo = [root]
        while todo:
            node = todo.pop()
            for prev in back[node]:
                if comp[prev] < 0:
                    comp[prev] = root
                    todo.append(prev)
    return comp


class CircularStageReference(Rule):
    """## What it does
    Flags a `COPY --from` or `RUN --mount=...,from=` that names its own stage, a stage
    that (through other `--from`s) copies from this one, or a stage number the file
    does not have.

    ## Why is this bad?
    A stage cannot copy from itself or from a stage that needs it first: BuildKit stops
    with `circular dependency detected on stage`. A `--from=3` in a file with three
    stages (numbered from 0) names none. `COPY --from=0` in a one-stage file, left over
    from a multi-stage one, is the usual case.

    ## Example
    ```dockerfile
    FROM golang:1.22 AS build
    COPY --from=build /src/app /app
    ```

    ## Use instead
    ```dockerfile
    FROM golang:1.22 AS build
    RUN go build -o /src/app .

    FROM gcr.io/distroless/base-debian12
    COPY --from=build /src/app /app
    ```

    ## Fix safety
    No fix: which stage was meant is the author's knowledge. A `--from` naming no stage
    is an image to pull, and is not reported.

    ## References
    - Dockerfile reference: "Multi-stage builds"
    - hadolint: DL3023 (`--from` naming its own stage)
    """

    code = "DF006"
    name = "circular-stage-reference"
    message = "`--from` names its own stage or a stage that depends on it"
    aliases = ("DL3023",)
    severity = "error"

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        stages = facts.stages
        by_name = {s.name: s.index for s in stages if s.name}
        refs = [
            (stage.index, instr, ref, _resolve(ref, stages, by_name))
            for stage in stages
            for instr, ref in _stage_refs(stage)
        ]
        edges: list[set[int]] = [set() for _ in stages]
        for index, _, _, target in refs:
            if target is not None and target >= 0:
                edges[index].add(target)
        comp = _components(edges) if any(edges) else list(range(len(stages)))
        for index, instr, ref, target in refs:
            if target == -1:
                msg = (
                    f"`--from={ref}`: the file has {len(stages)} stages, numbered from 0, so no stage {ref}:"
                    " the build stops here; no fix: which stage was meant is a guess"
                )
                yield self.violation(instr.keyword_span, message=msg)
            elif target is not None and comp[target] == comp[index]:
                own = "its own stage" if target == index else "a stage that copies from this one"
                msg = (
                    f"`--from={ref}` names {own}: the build stops with `circular dependency detected"
                    " on stage`; no fix: which stage was meant is a guess"
                )
                yield self.violation(instr.keyword_span, message=msg)


class DuplicateStageName(Rule):
    """## What it does
    Flags a stage name (`FROM image AS name`) that an earlier stage already has.

    ## Why is this bad?
    `COPY --from=name`, `FROM name` and `--target name` must say which stage they mean;
    with two of the same name they silently take one of them. BuildKit reports it
    (check DuplicateStageName); older builders refuse the file.

    ## Example
    ```dockerfile
    FROM node:20 AS build
    RUN npm ci
    FROM node:20 AS build
    RUN npm run build
    ```

    ## Use instead
    ```dockerfile
    FROM node:20 AS deps
    RUN npm ci
    FROM deps AS build
    RUN npm run build
    ```

    ## Fix safety
    No fix: renaming a stage changes what every reference to it means.

    ## References
    - BuildKit check: DuplicateStageName
    - hadolint: DL3024
    """

    code = "DF007"
    name = "duplicate-stage-name"
    message = "Stage name used by an earlier stage"
    aliases = ("DL3024", "DuplicateStageName")
    severity = "error"

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        first: dict[str, Stage] = {}
        for stage in facts.stages:
            if not stage.name:
                continue
            if stage.name in first:
                line = first[stage.name].from_instr.start_line
                msg = (
                    f"Stage name `{stage.name}` is also the name of the stage on line {line}: references to"
                    " it are ambiguous; no fix: renaming changes what each reference means"
                )
                yield self.violation(stage.from_instr.keyword_span, message=msg)
            else:
                first[stage.name] = stage


class InvalidStageName(Rule):
    """## What it does
    Flags a stage name BuildKit does not accept: one that starts with a digit or holds
    a character other than letters, digits, `-`, `_` and `.` (`AS 1st`, `AS my/app`).

    ## Why is this bad?
    The build stops with `invalid name for build stage`: a name must start with a
    letter, so that `--from=1` is always a stage number.

    ## Example
    ```dockerfile
    FROM alpine:3.19 AS 1st
    ```

    ## Use instead
    ```dockerfile
    FROM alpine:3.19 AS first
    ```

    ## Fix safety
    No fix: a new name has to be chosen, and every `--from` that uses the old one changed.

    ## References
    - Dockerfile reference: "FROM" (`AS name`)
    """

    code = "DF008"
    name = "invalid-stage-name"
    message = "Invalid stage name"
    severity = "error"

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instructions("FROM"):
            values = instr.values
            if (
                len(values) == 3
                and values[1].lower() == "as"
                and not _STAGE_NAME.fullmatch(values[2].lower())
            ):
                msg = (
                    f"Stage name `{values[2]}` must start with a letter and hold only letters, digits, `-`,"
                    " `_` and `.`: the build stops here; no fix: a new name is yours to choose"
                )
                yield self.violation(instr.keyword_span, message=msg)
