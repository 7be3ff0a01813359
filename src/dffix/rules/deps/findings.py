"""DF202's findings: the model, the planner and the edits, for the files that may install.

`dffix.rules.deps` (the rule, with its documentation) loads this module only when a RUN
of the file may run an install tool (`installers.may_install`).
"""

from __future__ import annotations

from collections.abc import Iterator

from dffix.edits import Fix
from dffix.facts import Facts, Stage
from dffix.rules.base import Rule, Violation
from dffix.rules.deps.context import View
from dffix.rules.deps.installers import may_install
from dffix.rules.deps.layout import Lines
from dffix.rules.deps.paths import Loc
from dffix.rules.deps.planner import Finding, install_findings, short, stage_view, workdirs
from dffix.rules.deps.run import run_plan
from dffix.syntax.tree import Dockerfile


def violations(rule: Rule, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
    """DF202's findings in `df`, as `rule` reports them."""
    view: View | None = None
    lines: Lines | None = None
    for stage in facts.stages:
        wds = _installs(stage)
        if wds is None:
            continue  # every finding starts from an install: the copies need no reading
        if view is None or lines is None:
            view, lines = View.of(facts.context), Lines(df)
        sv = stage_view(df, stage, view, lines, wds)
        reported: set[int] = set()
        claimed: set[int] = set()  # copies an earlier install in the stage reports
        for k in range(len(sv.steps)):
            for found in install_findings(sv, k, frozenset(claimed)):
                claimed.update(found.indexes)
                if found.copy.span.start not in reported:
                    reported.add(found.copy.span.start)
                    yield _violation(rule, found, stage)


def _violation(rule: Rule, found: Finding, stage: Stage) -> Violation:
    more = f" and {found.others} more {'copy' if found.others == 1 else 'copies'}" if found.others else ""
    base = (
        f"`{short(found.copy.line)}`{more} {'come' if more else 'comes'} before "
        f"`{short(found.install.words)}`, so a change to any copied file re-runs the install"
    )
    span = found.copy.keyword_span
    if found.edits is None:
        return rule.violation(span, message=f"{base}; not fixed: {found.problem}")
    if found.unsure is None:
        fix = Fix.safe(*found.edits)
        return rule.violation(span, fix, message=base, isolation=f"stage:{stage.index}")
    fix = Fix.unsafe(*found.edits)
    return rule.violation(span, fix, message=f"{base}; {found.unsure}", isolation=f"stage:{stage.index}")


def _installs(stage: Stage) -> list[Loc] | None:
    """Return the stage's `workdirs` when a RUN of it runs an install tool (as `stage_view`
    reads it), None when none does."""
    if "RUN" not in stage.kinds:
        return None
    wds: list[Loc] | None = None
    for n, instr in enumerate(stage.instructions):
        if instr.kind != "RUN" or not may_install(instr):
            continue  # no install tool in its text: its plan has none
        wds = wds or workdirs(stage)
        plan = run_plan(instr, stage.shell_at(instr), wds[n])
        if plan is not None and plan.tools:
            return wds
    return None
