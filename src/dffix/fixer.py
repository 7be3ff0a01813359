"""Run the rules, apply non-overlapping fixes, re-parse, repeat until nothing changes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from dffix.edits import Applicability, Edit, FixerBug as FixerBug, FixResult as FixResult, apply_edits
from dffix.facts import BuildContext, Facts, compute_facts
from dffix.rules.base import Rule, Violation
from dffix.suppress import Suppressions, suppressions
from dffix.syntax.parser import ParseError, parse
from dffix.syntax.tree import Dockerfile

MAX_PASSES = 10


def check(df: Dockerfile, rules: Sequence[Rule], context: BuildContext | None = None) -> list[Violation]:
    """Return every violation of `rules` in `df`, without suppressed ones, in file order.

    `context` is the folder beside the Dockerfile, for rules that look at files.
    """
    return _check(df, rules, context, suppressions(df))


def _check(
    df: Dockerfile, rules: Sequence[Rule], context: BuildContext | None, sup: Suppressions
) -> list[Violation]:
    """Return `check(df, rules, context)`, with `sup` the suppressions of `df` (already read)."""
    if sup.skip_file:
        return []
    return _run(df, rules, compute_facts(df, context), sup)


def _run(df: Dockerfile, rules: Sequence[Rule], facts: Facts, sup: Suppressions) -> list[Violation]:
    """Return the unsuppressed violations of `rules` in `df` (whose facts are `facts`), in
    file order: by offset, then code; one rule's at one offset in the order it gave them."""
    found: list[Violation] = []
    for rule in rules:
        for v in rule.check(df, facts):
            silenced = sup.selectors_for(v.span.start)
            if not silenced or not any(rule.matches(word) for word in silenced):
                found.append(v)
    found.sort(key=_file_order)
    return found


def select_fixes(
    violations: Iterable[Violation], level: Applicability, banned: set[object], text: str = ""
) -> list[Violation]:
    """Return the fixable violations to apply together in one pass.

    Fixes are taken in order of their first edit; one is accepted only when all its
    edits begin at or after the end of the last accepted edit (so no offset ever
    shifts), and only one fix per isolation key. The rest wait for the next pass.
    """
    floor = _floor(level)  # display-only fixes are never applied, whatever the level
    candidates = [
        v
        for v in violations
        # A key copies the lines each edit is on: only worth it when something is banned
        # (a fix with thousands of edits on a long line made this quadratic).
        if v.fix is not None and v.fix.applicability >= floor and not (banned and _key(v, text) in banned)
    ]
    candidates.sort(key=lambda v: (v.fix.start, v.fix.end, v.code) if v.fix else (0, 0, ""))
    chosen: list[Violation] = []
    accepted: set[Edit] = set()
    last_end = -1
    last_insert_at = -1
    isolations: set[str] = set()
    for v in candidates:
        assert v.fix is not None
        edits = [e for e in v.fix.edits if e not in accepted]
        if not edits:
            continue
        if v.isolation is not None and v.isolation in isolations:
            continue
        first = edits[0]
        if first.start < last_end or (first.start == first.end == last_insert_at):
            continue
        chosen.append(v)
        accepted.update(v.fix.edits)
        last_end = max(e.end for e in edits)
        last_insert_at = edits[-1].start if edits[-1].start == edits[-1].end else -1
        if v.isolation is not None:
            isolations.add(v.isolation)
    return chosen


def _key(v: Violation, text: str) -> object:
    """Identify a fix by what it replaces, with what, and the rest of the lines it is on.

    The key survives offset shifts from fixes on other lines (so a banned fix stays
    banned), while the same edit on another line is a different fix.
    """
    edits = v.fix.edits if v.fix else ()
    return (v.code, tuple(_edit_in_its_lines(text, e) for e in edits))


def _edit_in_its_lines(text: str, e: Edit) -> tuple[str, str, str, str]:
    line_start = text.rfind("\n", 0, e.start) + 1
    line_end = text.find("\n", e.end)
    after = text[e.end :] if line_end < 0 else text[e.end : line_end]
    return (text[line_start : e.start], text[e.start : e.end], after, e.text)


def _edits_of(chosen: Iterable[Violation]) -> list[Edit]:
    # Keep the rules' own order for inserts at one offset: dedupe in order, stable sort.
    edits = dict.fromkeys(e for v in chosen if v.fix for e in v.fix.edits)
    return sorted(edits, key=lambda e: (e.start, e.end))


def _apply(df: Dockerfile, chosen: list[Violation]) -> tuple[str, Dockerfile | ParseError]:
    edits = _edits_of(chosen)
    new_text = apply_edits(df.text, edits)
    # The text before the first edit is as it was: its items are not read again.
    return new_text, parse(new_text, df, edits[0].start if edits else len(df.text))


def fix(
    text: str,
    rules: Sequence[Rule],
    level: Applicability = Applicability.SAFE,
    context: BuildContext | None = None,
    checked: tuple[Dockerfile, list[Violation]] | None = None,
) -> FixResult | ParseError:
    """Fix `text` with `rules` at `level` until nothing applicable is left.

    Returns a ParseError when the input itself does not parse. A fix whose output does
    not parse is reported in `bugs`, and so is a run that does not settle within
    MAX_PASSES passes; then the result holds the input unchanged (see FixResult).
    `checked` is `text` already parsed and checked with the same rules and context
    (the language server has it): the first pass starts from it.
    """
    df = parse(text) if checked is None else checked[0]
    if isinstance(df, ParseError):
        return df
    sup = suppressions(df)
    if sup.skip_file:
        return FixResult(text, (), (), (), skipped=True)
    applied: list[Violation] = []
    bugs: list[FixerBug] = []
    banned: set[object] = set()
    # A pass chooses among the fixes it can apply: the rules whose fixes all fall below
    # `level` (or that have none) only report, so they run once, on the text the passes
    # end with (`reporting`; `found` holds their violations too once `whole`).
    fixing, reporting = _split(rules, level)
    first = df
    facts: Facts | None = None
    if checked is not None:
        found, whole = checked[1], True
    else:
        facts = compute_facts(df, context)
        found, whole = _run(df, fixing, facts, sup), not reporting
    first_found = found if whole else None
    recent: list[set[str]] = []  # codes applied in each pass, to name rules that never settle
    for _ in range(MAX_PASSES):
        chosen = select_fixes(found, level, banned, df.text)
        if not chosen and not whole:
            assert facts is not None  # computed for `df` whenever `found` is partial
            found, whole = _completed(found, df, reporting, facts, sup), True
            # Nothing to choose, unless a rule offers a surer fix than its `best_fix`
            # says: then every rule takes part in the passes from here on.
            if chosen := select_fixes(found, level, banned, df.text):
                fixing, reporting = rules, ()
        if not chosen:
            break
        _, new_df = _apply(df, chosen)
        if isinstance(new_df, ParseError):
            chosen, _, new_df = _drop_breaking(df, chosen, banned, bugs)
            if not chosen or isinstance(new_df, ParseError):
                continue
        applied.extend(chosen)
        recent.append({v.code for v in chosen})
        df = new_df
        sup = suppressions(df)
        facts = None if sup.skip_file else compute_facts(df, context)
        found = [] if facts is None else _run(df, fixing, facts, sup)
        whole = not reporting or facts is None
    else:
        if pending := select_fixes(found, level, banned, df.text):
            codes = set().union(*recent[-2:], (v.code for v in pending))
            bugs.append(FixerBug(tuple(sorted(codes)), f"fixes did not settle after {MAX_PASSES} passes"))
    if bugs:
        # A bug leaves the input as it was: no half-fixed file, no half-fixed buffer.
        if first_found is None:
            first_found = _check(first, rules, context, suppressions(first))
        return FixResult(text, (), tuple(first_found), tuple(bugs), partial=df.text)
    if not whole:  # the passes ran out, the last with nothing left to choose
        assert facts is not None
        found = _completed(found, df, reporting, facts, sup)
    # `found` is the check of the final text: what is left to report.
    return FixResult(df.text, tuple(applied), tuple(found), tuple(bugs))


def _file_order(v: Violation) -> tuple[int, str]:
    return (v.span.start, v.code)


def _completed(
    found: list[Violation], df: Dockerfile, reporting: Sequence[Rule], facts: Facts, sup: Suppressions
) -> list[Violation]:
    """Return `found` (the fixing rules' violations in `df`) with those of `reporting`."""
    return sorted([*found, *_run(df, reporting, facts, sup)], key=_file_order)


def _floor(level: Applicability) -> Applicability:
    """Return the least applicability a fix needs to be applied at `level`."""
    return max(level, Applicability.UNSAFE)  # display-only fixes are never applied


# _split's answers for a tuple of rules, by its identity and the level: every file of a
# run is fixed with the same rule set (one per config file); each of ~40 rules was asked
# again for every file.
_SPLITS: dict[tuple[int, Applicability], tuple[Sequence[Rule], tuple[Sequence[Rule], Sequence[Rule]]]] = {}


def _split(rules: Sequence[Rule], level: Applicability) -> tuple[Sequence[Rule], Sequence[Rule]]:
    """Return the rules whose fixes a pass at `level` may apply, and the others."""
    if not isinstance(rules, tuple):  # a list may change between calls: not kept
        return _split_rules(rules, level)
    key = (id(rules), level)
    hit = _SPLITS.get(key)
    if hit is not None and hit[0] is rules:  # the entry holds `rules`: its id is not reused
        return hit[1]
    if len(_SPLITS) >= 64:
        _SPLITS.clear()
    split = _split_rules(rules, level)
    _SPLITS[key] = (rules, split)
    return split


def _split_rules(rules: Sequence[Rule], level: Applicability) -> tuple[Sequence[Rule], Sequence[Rule]]:
    floor = _floor(level)
    fixing: list[Rule] = []
    reporting: list[Rule] = []
    for rule in rules:
        best = rule.surest_fix()
        (fixing if best is not None and best >= floor else reporting).append(rule)
    return (fixing, reporting) if reporting else (rules, ())


def _drop_breaking(
    df: Dockerfile, chosen: list[Violation], banned: set[object], bugs: list[FixerBug]
) -> tuple[list[Violation], str, Dockerfile | ParseError]:
    """Find the fixes whose output does not parse, ban them, and apply the others."""
    good: list[Violation] = []
    for v in chosen:
        _, result = _apply(df, [v])
        if isinstance(result, ParseError):
            banned.add(_key(v, df.text))
            msg = f"fix for {v.code} ({v.name}) made the file unparsable: {result.message}"
            bugs.append(FixerBug((v.code,), msg))
        else:
            good.append(v)
    if not good:
        return [], df.text, df
    new_text, new_df = _apply(df, good)
    if isinstance(new_df, ParseError):
        # Each fix alone parses but not together: keep the first only.
        for v in good[1:]:
            banned.add(_key(v, df.text))
            msg = f"fix for {v.code} ({v.name}) made the file unparsable together with another fix"
            bugs.append(FixerBug((v.code,), msg))
        good = good[:1]
        new_text, new_df = _apply(df, good)
    return good, new_text, new_df
