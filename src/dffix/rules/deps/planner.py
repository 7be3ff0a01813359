"""The move planner: which code copies can move below an install, and why not."""

from __future__ import annotations

import fnmatch

from dffix.facts import Stage
from dffix.rules.deps.commands import project_content
from dffix.rules.deps.context import Presence, View
from dffix.rules.deps.copies import CopyInfo, Mapping, copy_info
from dffix.rules.deps.layout import Lines, move_edits, narrow_copy
from dffix.rules.deps.model import (
    Candidate,
    Clash as Clash,
    Finding as Finding,
    Read,
    Role,
    StageView as StageView,
    Step,
    Tool,
    is_manifest_name,
)
from dffix.rules.deps.paths import WORKDIR, Loc, has_glob, resolve, split_path
from dffix.rules.deps.pip import pip_content
from dffix.rules.deps.run import RunPlan, run_plan
from dffix.syntax.tree import Dockerfile, Instruction

_METADATA = frozenset(
    {
        "ENV",
        "ARG",
        "LABEL",
        "EXPOSE",
        "CMD",
        "ENTRYPOINT",
        "HEALTHCHECK",
        "STOPSIGNAL",
        "MAINTAINER",
        "ONBUILD",
    }
)


def workdirs(stage: Stage) -> list[Loc]:
    """Return the working directory in force at each instruction of the stage."""
    found: list[Loc] = []
    current = Loc(WORKDIR, ())
    for index, instr in enumerate(stage.instructions):
        found.append(current)
        if instr.kind == "WORKDIR":
            text = instr.values[0] if instr.values else ""
            current = resolve(current, text) or Loc(f"{WORKDIR}{index}", ())
    return found


def analyse(instr: Instruction, stage: Stage, workdir: Loc, view: View) -> Step | None:
    """Return the step for an instruction, or None for a barrier nothing moves across."""
    if instr.kind in ("COPY", "ADD"):
        info = copy_info(instr, workdir, view)
        return Step(instr, copy=info) if info is not None else None
    if instr.kind == "RUN":
        plan = run_plan(instr, stage.shell_at(instr), workdir)
        return Step(instr, plan=plan) if plan is not None else None
    if instr.kind == "WORKDIR":
        return Step(instr)  # only copies to absolute paths move across it (see install_finding)
    return Step(instr) if instr.kind in _METADATA else None


def _glob_prefix(outer: Loc, inner: Loc) -> bool:
    """Return whether `outer` (whose names may be wildcards) is `inner` or above it."""
    if len(outer.parts) > len(inner.parts):
        return False
    return all(fnmatch.fnmatchcase(i, o) for o, i in zip(outer.parts, inner.parts, strict=False))


def mapping_clash(m: Mapping, path: Loc, view: View) -> Clash:
    """Return whether writing `path` meets what mapping `m` copies."""
    tp, wp = m.target.parts, path.parts
    if tp and wp and tp[0] != wp[0] and not has_glob(wp[0]):
        # Apart from their first names: neither is at or below the other (most writes
        # are system folders, most copies go below the project's).
        return Clash.NONE
    target, written = m.target.as_abs(), path.as_abs()
    if _glob_prefix(written, target):
        return Clash.SURE  # the write covers the whole copy
    if not target.contains(written):
        return Clash.NONE
    rest = target.below(written)
    if m.pattern and rest and not has_glob(rest[0]) and not fnmatch.fnmatchcase(rest[0], m.pattern):
        return Clash.NONE
    if m.source is None:
        return Clash.SURE if view.visible else Clash.POSSIBLE
    plain: list[str] = []
    for name in rest:
        if has_glob(name):
            break
        plain.append(name)
    presence = view.presence(m.source + tuple(plain))
    if presence is Presence.ABSENT:
        return Clash.NONE
    return Clash.POSSIBLE if presence is Presence.UNKNOWN else Clash.SURE


def copy_clash(c: CopyInfo, path: Loc, view: View) -> Clash:
    """Return the worst clash between a copy and a write of `path`."""
    return max((mapping_clash(m, path, view) for m in c.mappings), default=Clash.NONE)


def overlap(a: Mapping, b: Mapping) -> bool:
    """Return whether two mappings may write the same path (True when unsure)."""
    if a.target == b.target and a.pattern and b.pattern:
        return True
    return a.covers(b.target) is not False or b.covers(a.target) is not False


def agree(a: Mapping, b: Mapping) -> bool:
    """Return whether two mappings copy the same context file wherever both write."""
    if a.source is None or b.source is None:
        return False
    if a.target.contains(b.target):
        return a.source + a.target.below(b.target) == b.source
    if b.target.contains(a.target):
        return b.source + b.target.below(a.target) == a.source
    return False


class Review:
    """What moving one code copy below one install would change, gathered by the checks."""

    __slots__ = ("hidden", "narrow", "problems", "unprovided", "unsure")

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.unsure: list[str] = []
        self.hidden: list[str] = []  # manifests that cannot be seen
        self.unprovided: list[Loc] = []  # manifests no copy before the install brings
        self.narrow: list[tuple[tuple[str, ...], Loc, int]] = []  # source, target, copy index

    def record(self, clash: Clash, sure: str, possible: str) -> None:
        """Note a clash: a sure one blocks the fix, a possible one makes it unsafe."""
        if clash is Clash.SURE:
            self.problems.append(sure)
        elif clash is Clash.POSSIBLE:
            self.unsure.append(possible)

    def why_unsafe(self) -> str | None:
        """Return the reason the fix is unsafe, or None when it is safe."""
        if self.hidden:
            names = list(dict.fromkeys(self.hidden))
            listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
            pronoun = "it" if len(names) == 1 else "them"
            return f"cannot see {listed}, so cannot prove the install reads only {pronoun}"
        return self.unsure[0] if self.unsure else None


def short(text: str, limit: int = 60) -> str:
    """Return text on one line, cut to `limit` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def reads_of(tools: tuple[Tool, ...], *roles: Role) -> list[tuple[Tool, Read, Loc]]:
    """Return the reads of the tools with their image paths, only `roles` when given."""
    return [(t, r, r.at(t.where)) for t in tools for r in t.reads if not roles or r.role in roles]


def is_manifest_mapping(m: Mapping, tools: tuple[Tool, ...], paths: list[Loc]) -> bool:
    """Return whether a mapping copies only manifests (`paths`, or files any package
    manager reads as one), not the install's folder."""
    name = m.source[-1] if m.source else None
    same_name = m.pattern is not None or m.target.parts[-1:] == (name,)
    if name is not None and same_name and is_manifest_name(m.pattern or name):
        return True  # one manifest file (`COPY package.json requirements.txt ./`): already narrow
    if not any(m.covers(p) for p in paths):
        return False
    if m.pattern is not None or m.target in paths:
        return True
    # An unknown working directory is taken to be outside a copy's absolute target.
    return not any(m.target.contains(t.where) for t in tools)


def has_code(c: CopyInfo, tools: tuple[Tool, ...], paths: list[Loc]) -> bool:
    """Return whether a copy brings in anything the install does not read."""
    return not all(is_manifest_mapping(m, tools, paths) for m in c.mappings)


def read_paths(sv: StageView, k: int, lo: int) -> list[Loc]:
    """Return the image paths the install at k reads, with the -r/-c files copied before it."""
    step = sv.steps[k]
    assert step is not None and step.plan is not None
    queue = [(t, r) for t in step.plan.tools for r in t.reads if r.role is not Role.BLOCKER]
    found: list[Loc] = []
    while queue:
        t, r = queue.pop(0)
        path = r.at(t.where)
        if path in found:
            continue
        found.append(path)
        given = provider(sv.steps, path, k - 1, lo) if t.kind == "pip" else None
        source = given[1].source_of(path) if given else None
        text = sv.view.text(source) if source is not None else None
        if text is not None:
            queue.extend((t, n) for n in map(lambda name: nested_read(r, name), pip_content(text)[1]) if n)
    return found


def is_broad(c: CopyInfo, tools: tuple[Tool, ...]) -> bool:
    """Return whether a copy brings the install's whole folder in, manifests included."""
    return any(
        m.pattern is None and m.covers(p) is True and m.target.contains(t.where) is True
        for m in c.mappings
        for t, _, p in reads_of(tools, Role.MANIFEST)
    )


def provider(
    steps: tuple[Step | None, ...], path: Loc, hi: int, lo: int, skip: frozenset[int] = frozenset()
) -> tuple[CopyInfo, Mapping] | None:
    """Return the last copy in steps[lo..hi] that surely writes `path`, with its mapping.

    Copies at the indexes in `skip` (the ones that move away) do not count."""
    for index in range(hi, lo - 1, -1):
        step = steps[index]
        if step is None or step.copy is None or index in skip:
            continue
        for m in step.copy.mappings:
            if m.covers(path) is True:
                return step.copy, m
    return None


def window_start(steps: tuple[Step | None, ...], k: int) -> int:
    """Return the first index of the run of steps before `k` that are not barriers."""
    lo = k
    while lo > 0 and steps[lo - 1] is not None:
        lo -= 1
    return lo


def check_writes(c: CopyInfo, plan: RunPlan, between: Instruction | None, view: View, review: Review) -> None:
    """Note where a RUN writes into what the copy brings (install folders, system paths).

    `between` is the RUN when it is between the copy and the install (None: the install).
    The messages are written only for a clash: most writes (the ~30 system folders of a
    package manager) meet no copy."""
    for t in plan.tools:
        for out in t.outputs:
            path = t.where.join(split_path(out) or (out,))
            clash = copy_clash(c, path, view)
            if clash is not Clash.NONE:
                review.record(
                    clash,
                    f"the copy would put {out} from the build context over what `{short(t.words)}` writes",
                    f"cannot see whether the build context holds {out}",
                )
    for path in plan.writes:
        clash = copy_clash(c, path, view)
        if clash is not Clash.NONE:
            review.record(
                clash,
                f"{_label(between)} writes {path.show()}, where the copy puts files",
                f"cannot see whether the build context holds files for {path.show()}",
            )


def _label(between: Instruction | None) -> str:
    """Return how messages name an instruction between the copy and the install (None: the install)."""
    return "the install" if between is None else f"`{short(between.line)}` between them"


def check_between(c: CopyInfo, step: Step, view: View, review: Review) -> None:
    """Note what an instruction between the copy and the install has to do with the copy."""
    if step.copy is not None:
        for mc in step.copy.mappings:
            for m in c.mappings:
                if not overlap(m, mc) or (agree(m, mc) and step.copy.owner == c.owner):
                    continue
                clash = Clash.SURE if mc.pattern else mapping_clash(m, mc.target, view)
                label = _label(step.instr)
                review.record(
                    clash, f"{label} writes where the copy does", f"cannot see what {label} overwrites"
                )
    if step.plan is not None:
        for t, r, path in reads_of(step.plan.tools):
            check_read_between(c, t, r, path, view, review)
        check_writes(c, step.plan, step.instr, view, review)


def check_read_between(c: CopyInfo, t: Tool, r: Read, path: Loc, view: View, review: Review) -> None:
    """Note an install between the copy and the install that reads what the copy brings."""
    for m in c.mappings:
        covered = m.covers(path)
        if covered is False:
            continue
        source = m.source_of(path) if covered else None
        presence = view.presence(source) if source is not None else Presence.UNKNOWN
        # An ABSENT source is no proof the RUN reads nothing from the copy: the folder we
        # see may not be the build context (a Dockerfile in a subfolder, built with `..`).
        if r.role is Role.MANIFEST or presence is not Presence.UNKNOWN or source is None:
            review.problems.append(f"`{short(t.words)}` between them reads {r.name} from the copy")
        else:
            review.unsure.append(f"cannot see whether `{short(t.words)}` between them reads {r.name}")


def check_reads(sv: StageView, k: int, lo: int, moving: frozenset[int], review: Review) -> None:
    """Check what the install reads: where it comes from, what it says, what to copy first.

    `moving` are the indexes of the copies that move below the install."""
    plan = sv.steps[k]
    assert plan is not None and plan.plan is not None
    queue = [(t, r) for t in plan.plan.tools for r in t.reads]
    seen: set[Loc] = set()
    while queue:
        t, r = queue.pop(0)
        path = r.at(t.where)
        if path in seen:
            continue
        seen.add(path)
        source, needed = read_source(sv, path, (k, lo), moving)
        if source is None:
            if r.role is Role.MANIFEST:
                review.hidden.append(r.name)
                if provider(sv.steps, path, k - 1, lo) is None:
                    review.unprovided.append(path)
            continue
        for nested in judge_read(sv.view, t, r, source, needed, review):
            queue.append((t, nested))
    if review.hidden:
        check_hints(sv, lo, k, review)


def read_source(
    sv: StageView, path: Loc, bounds: tuple[int, int], moving: frozenset[int]
) -> tuple[tuple[str, ...] | None, int | None]:
    """Return the context path the install reads `path` from, and the index of the moving
    copy a narrow COPY must take it from (None when a copy that stays gives the same)."""
    k, lo = bounds
    found = provider(sv.steps, path, k - 1, lo)
    if found is None:
        return None, None
    given, mine = found
    source = mine.source_of(path)
    index = next(i for i in range(k - 1, lo - 1, -1) if (s := sv.steps[i]) is not None and s.copy is given)
    if index not in moving:
        return source, None
    earlier = provider(sv.steps, path, index - 1, lo, moving)
    same = earlier is not None and agree(earlier[1], mine) and earlier[0].owner == given.owner
    return source, None if same else index


def check_own_reads(
    sv: StageView, j: int, k: int, paths: list[Loc], moving: frozenset[int], review: Review
) -> None:
    """Note install reads (`paths`) the copy at j may write in a way no narrow COPY repeats."""
    c = sv.steps[j]
    assert c is not None and c.copy is not None
    for path in paths:
        if provider(sv.steps, path, k - 1, j + 1, moving) is not None:
            continue  # a copy that stays after it writes the path last
        covering = [m for m in c.copy.mappings if m.covers(path) is not False]
        mine = next((m for m in covering if m.covers(path) is True), None)
        if mine is None and covering:
            review.problems.append(f"cannot tell whether the copy writes {path.show()}")
        elif mine is not None and mine.source_of(path) is None:
            review.problems.append(f"cannot tell what the copy puts at {path.show()}")


def _tools(sv: StageView, k: int) -> tuple[Tool, ...]:
    step = sv.steps[k]
    assert step is not None and step.plan is not None
    return step.plan.tools


# Files that, copied next to an unseen manifest, suggest the install reads the project.
_HINTS = {"bundler": ("*.gemspec",), "pip": ("setup.py", "setup.cfg", "pyproject.toml")}


def check_hints(sv: StageView, lo: int, k: int, review: Review) -> None:
    """Note a project file (`*.gemspec`, `setup.py`) copied before an install whose manifest is unseen."""
    install = sv.steps[k]
    assert install is not None and install.plan is not None
    for t in install.plan.tools:
        for index in range(lo, k):
            step = sv.steps[index]
            if step is None or step.copy is None:
                continue
            for m in step.copy.mappings:
                near = t.where.contains(m.target) and len(m.target.parts) == len(t.where.parts) + 1
                name = m.target.parts[-1] if near and m.pattern is None else ""
                if any(fnmatch.fnmatchcase(name, hint) for hint in _HINTS.get(t.kind, ())):
                    review.problems.append(
                        f"`{short(step.instr.line)}` suggests `{short(t.words)}` reads the project"
                    )
                    return


def judge_read(
    view: View, t: Tool, r: Read, source: tuple[str, ...], needed: int | None, review: Review
) -> list[Read]:
    """Judge one read by what the context holds; return the files it includes in turn."""
    presence = view.presence(source)
    if r.role is Role.BLOCKER:
        if presence in (Presence.FILE, Presence.DIR):
            review.problems.append(
                f"{r.name} is in the build context, so the install reads more than manifests"
            )
        return []
    if presence is Presence.DIR:
        review.problems.append(f"the install reads the folder {r.name}")
        return []
    if r.role is Role.MANIFEST and presence is Presence.ABSENT and view.ignored(source):
        review.problems.append(f".dockerignore leaves out {'/'.join(source)}")
        return []
    if presence is not Presence.FILE:
        if r.role is Role.MANIFEST:
            review.hidden.append(r.name)
        # Unseen, copy the usual files; seen but absent, only if a manifest is missing too
        # (then the folder is not the real build context).
        unseen = presence is Presence.UNKNOWN or r.role is Role.MANIFEST or bool(review.hidden)
        if needed is not None and r.blind and unseen:
            target = r.at(t.where)
            if t.kind == "pip" and len(source) > 1:
                # An unseen requirements file may include others beside it (`-r base.txt`):
                # copy its whole folder (`requirements/`), so the includes are there too.
                source, target = (*source[:-1], ""), Loc(target.root, (*target.parts[:-1], ""))
            review.narrow.append((source, target, needed))
        return []
    if needed is not None:
        review.narrow.append((source, r.at(t.where), needed))
    if r.role is not Role.MANIFEST:
        return []
    return judge_content(view.text(source) or "", t, r, review)


def judge_content(text: str, t: Tool, r: Read, review: Review) -> list[Read]:
    """Note what a manifest says that needs more than manifests; return files it includes."""
    if t.kind != "pip":
        problem = project_content(t, text) if r == t.reads[0] else None
        if problem:
            review.problems.append(problem)
        return []
    problem, nested = pip_content(text)
    if problem:
        review.problems.append(f"{r.name}: {problem}")
        return []
    found: list[Read] = []
    for name in nested:
        read = nested_read(r, name)
        if read is None:
            review.problems.append(f"{r.name} includes `{name}`, which cannot be followed")
        else:
            found.append(read)
    return found


def nested_read(r: Read, name: str) -> Read | None:
    """Return the read of a file a requirements file includes (relative to it); None if odd."""
    if "$" in name or "://" in name:
        return None
    if name.startswith("/"):
        parts = split_path(name)
        return Read(parts, Role.MANIFEST, blind=True, absolute=True) if parts else None
    parts = split_path("/".join((*r.parts[:-1], name)))
    return Read(parts, Role.MANIFEST, blind=True, absolute=r.absolute) if parts else None


_BARRIER_WHY = {
    "WORKDIR": "changes the working directory",
    "USER": "changes the user",
    "VOLUME": "declares a volume",
    "SHELL": "changes the shell",
    # A copy the rule cannot read (variables, heredocs, --exclude, --parents, ...).
    "COPY": "may write where the copy does (the rule cannot tell what it copies)",
    "ADD": "may write where the copy does (the rule cannot tell what it copies)",
}


def review_copy(sv: StageView, j: int, k: int, paths: list[Loc], moving: frozenset[int]) -> Review:
    """Return what moving the code copy at j below the install at k would change.

    The copies at `moving` (all after j) move too, keeping their order: they do not count
    as between the two."""
    copy_step, install_step = sv.steps[j], sv.steps[k]
    assert copy_step is not None and copy_step.copy is not None
    assert install_step is not None and install_step.plan is not None
    c = copy_step.copy
    review = Review()
    if c.unclear:
        review.unsure.append(c.unclear)
    for index in range(j + 1, k):
        step = sv.steps[index]
        assert step is not None
        if index not in moving:
            check_between(c, step, sv.view, review)
    check_writes(c, install_step.plan, None, sv.view, review)
    check_own_reads(sv, j, k, paths, moving, review)
    return review


def candidates(sv: StageView, k: int, lo: int, claimed: frozenset[int]) -> list[Candidate]:
    """Return the code copies before the install at k, nearest first, each judged alone.

    A copy that cannot move stays, and the copies before it are judged moving past it.
    `claimed` are copies an earlier install in the stage reports: they stay here.
    """
    tools = _tools(sv, k)
    paths = read_paths(sv, k, lo)
    own = paths + [p for _, _, p in reads_of(tools, Role.BLOCKER)]
    found: list[Candidate] = []
    moving: set[int] = set()
    workdir: Instruction | None = None
    for j in range(k - 1, lo - 1, -1):
        step = sv.steps[j]
        assert step is not None
        if step.instr.kind == "WORKDIR":
            workdir = workdir or step.instr
        c = step.copy
        if c is None or not c.context or j in claimed or not has_code(c, tools, paths):
            continue
        if workdir is not None and not c.dest.startswith("/"):
            # A relative destination would land elsewhere below the WORKDIR.
            found.append(Candidate(j, f"`{short(workdir.line)}` between them {_BARRIER_WHY['WORKDIR']}"))
            continue
        if len(moving) >= MAX_MOVES:
            found.append(
                Candidate(j, f"more than {MAX_MOVES} copies come before the install; move them by hand")
            )
            continue
        review = review_copy(sv, j, k, own, frozenset(moving))
        if review.problems:
            found.append(Candidate(j, review.problems[0]))
            continue
        moving.add(j)
        found.append(Candidate(j, None, review.why_unsafe()))
    return found


def plan_install(sv: StageView, k: int, lo: int, claimed: frozenset[int]) -> list[Finding]:
    """Return the findings for the install at k: one with the fix that moves every copy
    that can move, and one without fix for each copy that stays (saying why)."""
    install = sv.steps[k]
    assert install is not None and install.plan is not None
    tools = install.plan.tools
    found = candidates(sv, k, lo, claimed)
    review = Review()
    review.problems.extend(t.needs_source for t in tools if t.needs_source)
    moving = frozenset(c.at for c in found if c.kept is None)
    if moving:
        check_reads(sv, k, lo, moving, review)
        if review.unprovided and not _moving_may_bring(sv, moving, tools):
            # `ADD / /server` before `WORKDIR /` + `npm install`: the install never read
            # the copy, and nothing gives it a manifest; moving the copy fixes nothing.
            names = ", ".join(p.show() for p in dict.fromkeys(review.unprovided))
            review.problems.append(
                f"`{short(tools[0].words)}` reads none of what the copy brings, "
                f"and no copy before it brings {names}"
            )
        if (chain := later_installs(sv, k)) >= MAX_CHAIN:
            review.problems.append(f"{chain} more installs follow it; move the copies by hand")
    kept = [
        _finding(sv, c.at, tools[0], c.kept if c.kept else review.problems[0] if review.problems else None)
        for c in found
        if c.kept is not None or review.problems
    ]
    if review.problems or not moving:
        return kept
    order = sorted(moving)
    copies = [_copy(sv, i) for i in order]
    narrow = narrow_copy(sv, dict(zip(order, copies, strict=True)), install.instr, review)
    edits = move_edits(sv, copies, install.instr, narrow)
    unsure = review.why_unsafe() or next((c.unsure for c in found if c.unsure), None)
    top = copies[0].instr
    return [Finding(top, tools[0], edits, unsure, None, len(copies) - 1, tuple(order)), *kept]


def _moving_may_bring(sv: StageView, moving: frozenset[int], tools: tuple[Tool, ...]) -> bool:
    """Return whether a moving copy may write a manifest the install reads."""
    manifests = [p for _, _, p in reads_of(tools, Role.MANIFEST)]
    return any(m.covers(p) is not False for i in moving for m in _copy(sv, i).mappings for p in manifests)


def _finding(sv: StageView, j: int, tool: Tool, problem: str | None) -> Finding:
    return Finding(_copy(sv, j).instr, tool, None, None, problem, indexes=(j,))


def _copy(sv: StageView, j: int) -> CopyInfo:
    step = sv.steps[j]
    assert step is not None and step.copy is not None
    return step.copy


def later_installs(sv: StageView, k: int) -> int:
    """Return how many installs follow the one at k before the next barrier.

    The moved copies land before each of them in turn, one fixer pass per install."""
    count = 0
    for step in sv.steps[k + 1 :]:
        if step is None:
            break
        count += bool(step.plan and step.plan.tools)
    return count


def barrier_finding(sv: StageView, lo: int, k: int, barrier: Instruction | None) -> Finding | None:
    """Return a finding without fix for a whole-folder copy before steps[lo], kept apart.

    `barrier` is a WORKDIR already passed, if any; the scan back from `lo` stops at the
    first copy that may bring a manifest, and at anything that may have made one.
    """
    install_step = sv.steps[k]
    assert install_step is not None and install_step.plan is not None
    tools = install_step.plan.tools
    manifests = [p for _, _, p in reads_of(tools, Role.MANIFEST)]
    for index in range(lo - 1, max(lo - 1 - MAX_WINDOW, -1), -1):
        instr, step = sv.stage.instructions[index], sv.steps[index]
        if step is not None and step.copy is not None:
            c = step.copy
            if not any(m.covers(p) is not False for m in c.mappings for p in manifests):
                continue
            if barrier is None or not (c.context and is_broad(c, tools)):
                return None
            why = _BARRIER_WHY.get(barrier.kind, "may use the copied files")
            return Finding(instr, tools[0], None, None, f"`{short(barrier.line)}` between them {why}")
        if step is None and instr.kind not in _BARRIER_WHY:
            return None  # a RUN we cannot read may have made the manifests
        if step is None or instr.kind == "WORKDIR":
            barrier = barrier or instr
    return None


# How many instructions back from an install the rule looks (the longest run in the
# shared corpus is 20). Beyond it the rule reports nothing: looking back over the whole
# stage for each install made a long generated stage quadratic (2,000 installs: 39 s).
MAX_WINDOW = 200
# How many code copies one fix moves below an install, and how many installs may follow
# it (the moved copies pass one install per fixer pass; fixes must settle in 10 passes).
MAX_MOVES = 50
MAX_CHAIN = 5


def install_findings(sv: StageView, k: int, claimed: frozenset[int]) -> list[Finding]:
    """Return the findings for the install at k (see plan_install), or a barrier finding."""
    step = sv.steps[k]
    if step is None or step.plan is None or not step.plan.tools:
        return []
    lo = window_start(sv.steps, k)
    if k - lo > MAX_WINDOW:
        return []  # too far to look back at for every install: say nothing
    found = plan_install(sv, k, lo, claimed)
    if found:
        return found
    workdirs = [s.instr for s in sv.steps[lo:k] if s is not None and s.instr.kind == "WORKDIR"]
    workdir = workdirs[-1] if workdirs else None  # the nearest one
    barrier = barrier_finding(sv, lo, k, workdir)
    return [barrier] if barrier is not None else []


def stage_view(
    df: Dockerfile, stage: Stage, view: View, lines: Lines, wds: list[Loc] | None = None
) -> StageView:
    """Return the analysed steps of a stage; `wds` are its `workdirs`, when known already."""
    wds = workdirs(stage) if wds is None else wds
    steps = tuple(analyse(i, stage, wds[n], view) for n, i in enumerate(stage.instructions))
    return StageView(df, stage, steps, view, lines)
