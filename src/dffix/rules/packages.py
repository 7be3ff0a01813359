"""DF104-DF113: package lists and package-manager caches in RUN instructions."""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence

from dffix.edits import Applicability, Edit, Fix
from dffix.facts import Facts, Stage
from dffix.jsontext import loads
from dffix.lazy import lazy_re
from dffix.memo import Placed, file_cache
from dffix.records import TYPE_CHECKING
from dffix.rules.apt import append_cleanup, append_cleanup_heredoc, in_image, is_posix_shell, sudo_wrapped
from dffix.rules.base import Fixability, Rule, Violation
from dffix.rules.pm import (
    OLD_APK_BASE,
    Arg,
    ArgKind,
    Call,
    Manager,
    PipAge,
    RunCalls,
    basename,
    call_of,
    commands_after,
    covers,
    env_names,
    insert_after,
    is_mounted,
    is_plain_package,
    is_root_user,
    mounted_dirs,
    old_base,
    package_name,
    pip_age,
    removes,
    requires_buildkit,
    run_calls,
    run_user,
    sort_key,
    sub_args,
    token_span,
)
from dffix.rules.records import (
    CleanSpec,
    MountPlan as MountPlan,
    Run as Run,
    _ArgAt as _ArgAt,
    _Found,
    _Item,
    _Layout,
    _Needed,
    _PipTool,
    _PipUpgradeIndex,
    _RunPipUpgrades,
)
from dffix.rules.runtime import image_path_tag
from dffix.rules.user import base_image, is_official_image, shell_in_force
from dffix.syntax.shell import Command, Kind, Token
from dffix.syntax.tree import Dockerfile, Instruction, LineKind, PhysLine, Span

_INF = float("inf")  # math.inf, without importing math (0.2 ms of a start)

if TYPE_CHECKING:
    from typing import ClassVar

CACHE_STYLES = ("clean", "mount")


def package_runs(facts: Facts, *, image_only: bool) -> Iterator[Run]:
    """Yield the RUNs (not ONBUILD ones) that call a package manager under a POSIX shell.

    With `image_only`, skip stages whose layers never reach an image (only copied from).
    The shell reader understands POSIX shells only: other SHELLs are not looked at.
    Found once per check: every package rule asks.
    """
    if image_only:
        return iter(facts.cached("packages.image_runs", lambda: _image_runs(facts)))
    return iter(facts.cached("packages.runs", lambda: tuple(_package_runs(facts))))


def _image_runs(facts: Facts) -> tuple[Run, ...]:
    # The same RUNs in the same order, less those of stages out of the image: read from
    # the list of all of them (built once per check too), not from every instruction again.
    return tuple(run for run in package_runs(facts, image_only=False) if in_image(facts, run.stage))


def _package_runs(facts: Facts) -> Iterator[Run]:
    # Without a SHELL instruction every RUN uses /bin/sh: no need to look for one per RUN.
    # A stage's keywords are known (`Stage.kinds`): one without RUN is not read at all.
    shells = any("SHELL" in stage.kinds for stage in facts.stages)
    for stage in facts.stages:
        if "RUN" not in stage.kinds:
            continue
        for instr in stage.instructions:
            found = run_calls(instr) if instr.kind == "RUN" else None
            if found is None or (shells and not is_posix_shell(shell_in_force(facts, stage, instr))):
                continue
            yield Run(stage, instr, found)


def _call_span(instr: Instruction, call: Call) -> Span:
    token = call.sub_token()
    return token_span(instr, token) if token is not None else instr.keyword_span


def _mentions(df: Dockerfile, facts: Facts, needle: str) -> bool:
    return needle.lower() in _lowered(df, facts)


def _lowered(df: Dockerfile, facts: Facts) -> str:
    """Return the file's text lower-cased, once per check (DF105, DF106, DF108 and DF113
    each search it)."""
    return facts.cached("packages.lowered", df.text.lower)


# -- DF104 -------------------------------------------------------------------------

_SORTED = {
    Manager.APT: frozenset({"install"}),
    Manager.APK: frozenset({"add"}),
    Manager.YUM: frozenset({"install"}),
    Manager.DNF: frozenset({"install"}),
    Manager.MICRODNF: frozenset({"install"}),
    Manager.ZYPPER: frozenset({"install", "in"}),
    Manager.PIP: frozenset({"install"}),
    Manager.UV: frozenset({"install"}),
}
# Python resolvers may pick another solution when requirements come in another order.
_ORDER_SENSITIVE = frozenset({Manager.PIP, Manager.UV})


class UnsortedPackageList(Rule):
    """## What it does
    Flags the packages of an `apt-get install`, `apk add`, `yum`/`dnf`/`microdnf install`,
    `zypper install` or `pip install` that are not sorted alphanumerically, that have
    options after them, or that name a package twice.

    ## Why is this bad?
    A sorted list, one package per line, is easy to scan, shows duplicates at a glance and
    keeps diffs small when a package is added or removed. Docker's best practices recommend
    it for every multi-line install.

    ## Example
    ```dockerfile
    RUN apt-get update && apt-get install -y \\
        git \\
        curl \\
        ca-certificates
    ```

    ## Use instead
    ```dockerfile
    RUN apt-get update && apt-get install -y \\
        ca-certificates \\
        curl \\
        git
    ```

    ## Fix safety
    Packages are sorted by name, case-insensitively (a version pin such as `curl=7.88.1-10`,
    an architecture or a release sorts with its name), then by the whole word. A list
    written one word per line, apart from the line with the command (at least two such
    lines, most of them holding one word), is sorted one word per line: the command's line
    keeps the command and its options, its packages move down, and a lone pair such as
    `gnupg dirmngr` is split, at the indentation most of the lines have. Otherwise the fix
    keeps the author's layout: each word goes where the word of the same rank was, so
    every line keeps as many words as it had, its line breaks, its indentation and the
    spaces between words. A comment line, an empty line or a line holding only the
    continuation escape splits the list into groups, each sorted on its own: no package
    moves across such a line (a comment describes the packages next to it).
    Options that follow packages in their group move to the front of the group, in their
    order (every option of these tools applies to the whole command wherever it is
    written), when the group is on one line or is laid out one word per line. Otherwise
    they stay where they are, since an option would land on a line laid out for packages:
    only the packages around them are sorted, and the options are reported without a fix.

    The fix only moves words; it never adds or removes a package. It is safe for the system
    package managers, which resolve all named packages as one transaction. For `pip` and
    `uv pip` it is unsafe: their resolvers visit requirements in order and may settle on
    another set of versions (pip's legacy resolver takes the first constraint it meets), and
    lists with options between the packages are only reported.

    A package named twice (`curl curl`, or `curl curl=7.88.1-10`) is reported, not removed:
    the second one may be a typo for another package. Sorting puts the two side by side,
    where the repeat is easy to see and delete.

    Not reported when a package word is not a literal (`$PKGS`, quotes, globs such as
    `pkg[extra]`, paths, `$(...)`), when an option is one dffix does not know (it may take
    a value that would be read as a package), or in exec form and heredoc scripts, which
    are not looked at. Reported without a fix when a word is split across lines or a
    redirection sits among the packages.

    ## References
    - Docker best practices: "Sort multi-line arguments"
    - hadolint: no equivalent
    """

    code = "DF104"
    name = "unsorted-package-list"
    message = "package list is not sorted"
    fix_title = "Sort the packages"
    fixability = Fixability.SOMETIMES

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for run in package_runs(facts, image_only=False):
            if not any(call.subcommand in _SORTED.get(call.manager, ()) for call in run.found.calls):
                continue
            at = run.instr.span.start
            for span, fix, message in _unsorted_lists(Placed(df, run.instr)):
                moved = fix.shifted(at) if fix is not None else None
                yield self.violation(Span(span.start + at, span.end + at), moved, message=message)


@file_cache(4096)
def _unsorted_lists(placed: Placed) -> tuple[_Found, ...]:
    """Return the problems of the RUN's package lists, at offsets from the RUN's start.

    What they are reads only the RUN's own text and the file's escape and newline, never
    where the RUN is or what else the file holds: cached by those (`Placed`), so a RUN no
    fix touched is read once per file, whatever the passes moved it by.
    """
    df, instr = placed.df, placed.instr
    found = run_calls(instr)
    at = instr.span.start
    problems = []
    for call in found.calls if found is not None else ():
        if call.subcommand in _SORTED.get(call.manager, ()):
            problem = _check_call(df, instr, call)
            if problem is not None:
                span, fix, message = problem
                moved = fix.shifted(-at) if fix is not None else None
                problems.append(_Found(Span(span.start - at, span.end - at), moved, message))
    placed.release()
    return tuple(problems)


def _check_call(df: Dockerfile, instr: Instruction, call: Call) -> _Found | None:
    """Return the problem of one install's package list (at offsets in the file), or None."""
    args = sub_args(call)
    if args is None or call.command is None:
        return None
    words = call.command.words
    packages = [a for a in args if a.kind is ArgKind.PACKAGE]
    raw = [words[a.first].text for a in packages]
    if not packages or not all(is_plain_package(t) for t in raw):
        return None
    region = args[args.index(packages[0]) :]
    # Each package's key built once: it sorts by it, and its first part is the name
    # whose repeats are reported.
    sort_keys = [sort_key(t) for t in raw]
    if _in_order(region, packages, sort_keys):
        return None
    return _check_list(df, instr, call, words, packages, sort_keys, region)


def _in_order(
    region: Sequence[Arg], packages: Sequence[Arg], sort_keys: Sequence[tuple[str, str, str]]
) -> bool:
    """Return whether a list has nothing to report, whatever its layout: no option after
    its first package, its packages in order, no name twice (most lists, once fixed).

    Then no group has options after its packages, and each group, a run of packages in
    order, is what sorting it gives (a stable sort moves a word only past a greater one).
    """
    return (
        len(region) == len(packages)
        and all(a <= b for a, b in itertools.pairwise(sort_keys))
        and len({k[0] for k in sort_keys}) == len(sort_keys)
    )


def _check_list(
    df: Dockerfile,
    instr: Instruction,
    call: Call,
    words: Sequence[Token],
    packages: Sequence[Arg],
    sort_keys: Sequence[tuple[str, str, str]],
    region: Sequence[Arg],
) -> _Found | None:
    """Return the problem of an install's list of plain packages (`region`, from the first
    package on, with `sort_keys` those of `packages`; `words` those of the call's command),
    or None: `_check_call` past its tests."""
    at = _places(instr, words, region)
    groups = _groups(df, instr, at, region)
    layout = _one_per_line_layout(df, instr, at, region)
    names = [k[0] for k in sort_keys]
    keys = dict(zip((a.first for a in packages), sort_keys, strict=True))
    # Each group's packages sorted once: the order the fix writes and the question asked.
    ordered = [_sorted_packages(g, keys) for g in groups]
    # Laid out one per line, every option gets a line of its own at the front.
    movable = [layout is not None or _options_may_move(df, instr, at, g) for g in groups]
    desired = [
        arg
        for g, sorted_packages, move in zip(groups, ordered, movable, strict=True)
        for arg in _sorted_group(g, sorted_packages, move)
    ]
    problems = []
    if any(_packages(g) != sorted_packages for g, sorted_packages in zip(groups, ordered, strict=True)):
        problems.append("is not sorted")
    moved = any(_options_after_packages(g) for g in groups)
    if moved:
        problems.append("has options after its packages")
    twice = sorted(n for n, k in Counter(names).items() if k > 1)
    if twice:
        problems.append("names " + ", ".join(f"`{n}`" for n in twice) + " more than once")
    if not problems:
        return None
    start, end = at[packages[0].first].start, at[packages[-1].first].end
    message = f"`{call.label}` package list " + "; ".join(problems)
    fix: Fix | str
    if moved and call.manager in _ORDER_SENSITIVE:
        fix = f"`{call.manager.value}` reads its options in order, so they stay where they are"
    elif desired == list(region):
        stuck = any(_options_after_packages(g) for g, move in zip(groups, movable, strict=True) if not move)
        why = []
        if twice:
            why.append("dffix does not drop a package name: remove the repeated one")
        if stuck:
            why.append(
                "the list puts several words or other text on a line, so dffix leaves its options there"
            )
        fix = "; ".join(why)
    else:
        fix = _fix(df, instr, call, at, region, desired, layout)
    if isinstance(fix, str):
        return _Found(Span(start, end), None, f"{message}; no fix: {fix}")
    return _Found(Span(start, end), fix, message)


def _fix(
    df: Dockerfile,
    instr: Instruction,
    call: Call,
    at: Mapping[int, _ArgAt],
    region: Sequence[Arg],
    desired: list[Arg],
    layout: _Layout | None,
) -> Fix | str:
    """Return the fix, or why there is none.

    Without a one-per-line layout each word goes where the word of the same rank was:
    every line keeps its number of words, its breaks and its indentation.
    """
    items = _items(df, call, at, region)
    if items is None:
        return "a package or option spans lines, or a redirection sits among them"
    by_arg = {item.arg: item for item in items}
    if layout is not None:
        edits = _one_per_line_edits(df, instr, at, region, [by_arg[a] for a in desired], layout)
        return Fix.unsafe(*edits) if call.manager in _ORDER_SENSITIVE else Fix.safe(*edits)
    edits = [
        Edit.replace(item.span, by_arg[want].text)
        for item, want in zip(items, desired, strict=True)
        if item.arg != want
    ]
    return Fix.unsafe(*edits) if call.manager in _ORDER_SENSITIVE else Fix.safe(*edits)


def _one_per_line_layout(
    df: Dockerfile, instr: Instruction, at: Mapping[int, _ArgAt], region: Sequence[Arg]
) -> _Layout | None:
    """Return the layout of a list written one package per line, apart from the line with
    the command (at least two lines of its own hold packages, most of them just one);
    None otherwise. Lines of options alone (`--repository URL`) do not count.

    Such a list gets sorted one per line: keeping each line's word count would leave a
    lone pair (`gnupg dirmngr`) or the command line's packages out of line."""
    rows: dict[int, list[Arg]] = {}
    for arg in region:
        rows.setdefault(at[arg.first].row, []).append(arg)
    lines = []
    for row, args in rows.items():
        line = instr.lines[row]
        head = df.text[line.start : at[args[0].first].start]
        if row >= 0 and not head.strip(" \t") and any(a.kind is ArgKind.PACKAGE for a in args):
            lines.append((line, head, args))
    single = [(line, head, args) for line, head, args in lines if len(args) == 1]
    if len(lines) < 2 or 2 * len(single) <= len(lines):
        return None
    indent = Counter(head for _, head, _ in lines).most_common(1)[0][0]
    gaps = [df.text[at[args[0].first].end : line.cont] for line, _, args in single if line.cont is not None]
    gap = gaps[0] if gaps and not gaps[0].strip(" \t") else " "
    # Escapes lined up in one column (`cmake        \`) stay lined up.
    columns = {line.cont - line.start for line, _, _ in single if line.cont is not None}
    column = columns.pop() if len(columns) == 1 and len(gaps) > 1 and "\t" not in "".join(gaps) else None
    first = instr.lines[0]
    return _Layout(indent, gap, df.text[first.end : first.eol] or df.newline, column)


def _one_per_line_edits(
    df: Dockerfile,
    instr: Instruction,
    at: Mapping[int, _ArgAt],
    region: Sequence[Arg],
    ordered: list[_Item],
    layout: _Layout,
) -> list[Edit]:
    """Return edits writing each group of the list one word per line, in `ordered` order.

    The command's line keeps the command and its options; its packages move down."""
    groups = _groups(df, instr, at, region)
    edits, taken = [], 0
    for group in groups:
        items, taken = ordered[taken : taken + len(group)], taken + len(group)
        start, end = at[group[0].first].start, at[group[-1].first].end
        line = instr.lines[at[group[0].first].row]
        lead = ""
        if df.text[line.start : start].strip(" \t"):  # the command's line: its packages move down
            lead = layout.joint(df.escape, "").lstrip(" \t")
        text = lead + "".join(f"{item.text}{layout.joint(df.escape, item.text)}" for item in items[:-1])
        text += items[-1].text
        last = instr.lines[_line_index(instr, end)]
        if layout.column is not None and last.cont is not None and not df.text[end : last.cont].strip(" \t"):
            end = last.cont  # the last word's line lines up its escape too
            text += layout.joint(df.escape, items[-1].text).split(df.escape, 1)[0]
        if text != df.text[start:end]:
            edits.append(Edit.replace(Span(start, end), text))
    return edits


def _packages(group: Sequence[Arg]) -> list[Arg]:
    return [a for a in group if a.kind is ArgKind.PACKAGE]


def _sorted_packages(group: Sequence[Arg], keys: Mapping[int, tuple[str, str, str]]) -> list[Arg]:
    """Return the packages of a group sorted by `keys` (their `sort_key`, by first word)."""
    found = _packages(group)
    order = [keys[a.first] for a in found]
    # Sorting the positions by their keys (a C key function) keeps ties in order, as
    # sorting the packages by key would.
    return [found[i] for i in sorted(range(len(found)), key=order.__getitem__)]


def _sorted_group(group: Sequence[Arg], sorted_packages: Sequence[Arg], move_options: bool) -> list[Arg]:
    """Return a group in the order the fix writes it: its packages (`sorted_packages`, as
    `_sorted_packages` gives them), after its options (in their order) when they may
    move, else around the options where they are."""
    ordered = iter(sorted_packages)
    if move_options:
        return [*(a for a in group if a.kind is ArgKind.OPTION), *ordered]
    return [next(ordered) if a.kind is ArgKind.PACKAGE else a for a in group]


def _options_may_move(
    df: Dockerfile, instr: Instruction, at: Mapping[int, _ArgAt], group: Sequence[Arg]
) -> bool:
    """Return whether the options of a group can trade places with its packages without
    spoiling the layout: the group is on one line, or each word (an option with its
    value) is alone on its line, all with the same indentation."""
    starts = [at[a.first].start for a in group]
    rows = [at[a.first].row for a in group]
    if len(set(rows)) == 1:
        return True
    if len(set(rows)) < len(rows):
        return False
    indents = set()
    for arg, row, offset in zip(group, rows, starts, strict=True):
        line = instr.lines[row]
        indent = df.text[line.start : offset]
        rest_end = line.cont if line.cont is not None else line.end
        rest = df.text[at[arg.first].end : rest_end]
        if indent.strip(" \t") or rest.strip(" \t"):
            return False  # the command or other text shares the line
        indents.add(indent)
    return len(indents) == 1


def _options_after_packages(group: Sequence[Arg]) -> bool:
    seen_package = False
    for arg in group:
        if arg.kind is ArgKind.PACKAGE:
            seen_package = True
        elif seen_package:
            return True
    return False


def _groups(
    df: Dockerfile, instr: Instruction, at: Mapping[int, _ArgAt], region: Sequence[Arg]
) -> list[list[Arg]]:
    """Split the list where an empty continuation line or a comment line sits between two
    words: the author grouped the packages there, and a comment describes the ones next
    to it, so nothing moves across such a line."""
    groups: list[list[Arg]] = [[region[0]]]
    for before, arg in itertools.pairwise(region):
        after_line, line = at[before.first].end_row, at[arg.first].row
        if any(_separates(df, instr.lines[k]) for k in range(after_line + 1, line)):
            groups.append([])
        groups[-1].append(arg)
    return groups


def _separates(df: Dockerfile, line: PhysLine) -> bool:
    """Return whether a line inside a list is a comment, empty, or only a continuation."""
    if line.kind is not LineKind.CODE:
        return True
    end = line.cont if line.cont is not None else line.end
    return not df.text[line.start : end].strip()


def _items(df: Dockerfile, call: Call, at: Mapping[int, _ArgAt], region: Sequence[Arg]) -> list[_Item] | None:
    """Return the list's options and packages with their source text; None when one spans
    lines or a redirection sits among them."""
    assert call.command is not None
    words = call.command.words
    first, last = words[region[0].first], words[region[-1].last]
    if any(t.kind is Kind.REDIRECT and first.start < t.start < last.end for t in call.command.tokens):
        return None
    items: list[_Item] = []
    for arg in region:
        span = Span(at[arg.first].start, at[arg.first].end)
        text = df.text[span.start : span.end]
        if "\n" in text or "\r" in text:
            return None
        items.append(_Item(arg, span, text))
    return items


def _places(instr: Instruction, words: Sequence[Token], region: Sequence[Arg]) -> dict[int, _ArgAt]:
    """Return where each word of the list is, by its first word's index: found once for
    all the questions the rule asks of the layout."""
    # `token_span` and `_line_index` worked out inline, two of each per word: the logical
    # line's runs (`OffsetMap.to_source`, most RUNs with a list have several) and the
    # lines' ends searched by bisect in C, with no Python call or key function per step.
    offsets, lines, base = instr.offsets, instr.lines, instr.args_start
    starts, sources = offsets.starts, offsets.sources
    runs = len(starts) > 1
    ends = [line.end for line in lines]
    count = len(lines)
    found = {}
    for arg in region:
        first, last = words[arg.first], words[arg.last]
        index = base + first.start
        k = max(bisect.bisect_right(starts, index) - 1, 0) if runs else 0
        start = sources[k] + index - starts[k]
        index, stop = base + last.start, base + last.end
        after = 0  # an empty token ends where it starts
        if stop > index:  # else the end is just after the last character's place
            index, after = stop - 1, 1
        k = max(bisect.bisect_right(starts, index) - 1, 0) if runs else 0
        end = sources[k] + index - starts[k] + after
        row = bisect.bisect_left(ends, start)
        end_row = bisect.bisect_left(ends, end - 1)
        found[arg.first] = _ArgAt(
            start,
            end,
            row if row < count and lines[row].start <= start else -1,
            end_row if end_row < count and lines[end_row].start <= end - 1 else -1,
        )
    return found


def _line_index(instr: Instruction, offset: int) -> int:
    """Return the index of the first physical line of `instr` holding `offset` (-1: none).

    Lines are in order and do not overlap: a binary search (a list of thousands of
    packages, one per line, asks for each).
    """
    lines = instr.lines
    k = bisect.bisect_left(lines, offset, key=_line_end)  # the first line ending at or after it
    return k if k < len(lines) and lines[k].start <= offset else -1


def _line_end(line: PhysLine) -> int:
    return line.end


# -- DF105 / DF106 -------------------------------------------------------------------


class AptGetInstallRecommends(Rule):
    """## What it does
    Flags `apt-get install` (and `apt install`) without `--no-install-recommends`.

    ## Why is this bad?
    By default apt also installs every package the named ones merely *recommend*: often
    documentation, X11 libraries or whole toolchains nobody asked for. They make the image
    bigger, slower to pull and larger to scan.

    ## Example
    ```dockerfile
    RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
    ```

    ## Use instead
    ```dockerfile
    RUN apt-get update && apt-get install --no-install-recommends -y curl && rm -rf /var/lib/apt/lists/*
    ```

    ## Fix safety
    Unsafe: the fix inserts `--no-install-recommends` right after `install`, and the image
    then lacks the recommended packages, which the software may need at run time (`curl`
    recommends `ca-certificates`, without which HTTPS fails). Check what the image still
    needs and name it explicitly.

    No fix when the list names a package known to need what it only recommends:
    `curl`, `wget`, `git` or a `libcurl*` package (HTTPS needs `ca-certificates`) while
    neither the list, an earlier install of the stage or of a stage it is built on, nor
    its official base image (`buildpack-deps`, `python`, `golang`, `ruby`, `php`, `rust`,
    `eclipse-temurin`) installs `ca-certificates`; `python3-pip` or `python-pip`
    (`build-essential` and `python3-dev`, and on older releases `python3-setuptools` and
    `python3-wheel`, which a `pip install` that builds from source needs); `gcc` or
    `gcc-<N>` (`libc6-dev`: without it gcc links nothing) or `xvfb` (`xauth`, which its
    `xvfb-run` needs) while neither the list nor an earlier install of the stage or of a
    stage it is built on installs that (`libc6-dev`, `libc-dev` or `build-essential` for
    gcc), nor, for gcc, a full tag of the official `buildpack-deps`, `python`, `node`,
    `ruby`, `golang` or `rust` image (not `-slim`, `-alpine`, Windows, `-curl` or `-scm`);
    or a desktop meta-package (`gnome-core`, `xorg`, `*-desktop`, `kde-*`,
    `task-*`...), whose recommended packages are most of what it installs. The message
    names the package.
    dffix does not add `ca-certificates` itself: the fix only ever adds the option.

    Not reported when the command already says `--no-install-recommends` or
    `--install-recommends` (with any value, before or after `install`, in any case: apt
    matches long options without regard to case, `--No-Install-Recommends` works; it
    takes no abbreviations), or sets `APT::Install-Recommends` itself; when the file
    mentions the setting in any form (`APT::Install-Recommends`, or `Install-Recommends`
    inside `APT { }`: an apt.conf written by a `RUN` or a heredoc); after a `COPY`/`ADD`
    into `/etc/apt` in the stage or a stage it is built on; when a `$VAR` of the command
    may hold the option (an `ENV`/`ARG` of the file, or the `RUN` itself, mentions
    `install-recommends`); or in a stage only copied from (its packages never reach an
    image). `--no-install-suggests` does not count: apt still installs the recommended
    packages with it. Reported without a fix for exec form and heredoc scripts.

    ## References
    - Docker best practices: "apt-get"
    - hadolint DL3015
    """

    code = "DF105"
    name = "apt-get-install-recommends"
    message = "`apt-get install` without `--no-install-recommends`"
    fix_title = "Add `--no-install-recommends` after `install`"
    fixability = Fixability.SOMETIMES
    best_fix = Applicability.UNSAFE  # what a recommended package brings may be needed
    aliases = ("DL3015",)

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        runs = [
            run
            for run in package_runs(facts, image_only=True)
            if any(c.manager is Manager.APT and c.subcommand == "install" for c in run.found.calls)
        ]
        if not runs or _sets_recommends(df.text, _lowered(df, facts)):
            return  # no apt install: the stage indexes below are not worth building
        # What the file around the RUNs says is read only when a finding asks (most have no
        # `$` word, and most lists no package that needs `ca-certificates`), and the stage
        # indexes only for the stages of these RUNs (and the stages they are built on).
        variables = functools.partial(
            facts.cached, "packages.recommends-variables", lambda: _variable_mentions_recommends(df)
        )
        for run in runs:
            if run.instr.span.start > facts.stage_index("apt-configured", _apt_configured_at, run.stage):
                continue
            for call in run.found.calls:
                if call.manager is not Manager.APT or call.subcommand != "install":
                    continue
                if call.has_option("--no-install-recommends", "--install-recommends"):
                    continue
                if _has_variable_word(call) and (
                    variables() or "install-recommends" in run.instr.line.lower()
                ):
                    continue
                message = f"`{call.label}` without `--no-install-recommends`"
                names = _named_packages(call)
                why, https = _recommends_needed(names)
                if why is None and https is not None and not _has_ca(facts, run):
                    why = _https_needs_ca(https)
                if why is None:
                    why = _needs_recommended(facts, run, names)
                token = call.sub_token()
                # The span of `_call_span`, from the token already found.
                span = token_span(run.instr, token) if token is not None else run.instr.keyword_span
                if why is not None:
                    yield self.violation(span, message=f"{message}; no fix: {why}")
                elif token is not None:
                    fix = Fix.unsafe(insert_after(run.instr, token, " --no-install-recommends"))
                    yield self.violation(span, fix, message=message)
                else:
                    yield self.violation(span, message=message)


# apt's setting in any form a file can hold: `-o APT::Install-Recommends=0`, an apt.conf
# line `APT::Install-Recommends "false";`, or `Install-Recommends "0";` inside `APT { }`;
# not the command-line options `--no-install-recommends`/`--install-recommends`.
_APT_RECOMMENDS_SETTING = lazy_re(r"(?i)(?<![\w-])install-recommends")


def _sets_recommends(text: str, lowered: str | None = None) -> bool:
    """Return whether the text holds apt's setting (`_APT_RECOMMENDS_SETTING`).

    Most files with an apt install say `--no-install-recommends` and none says the
    setting: the regex is tried only where the lower-cased text holds `tall-recommend`.
    Every match holds it: those letters fold only to ASCII (unlike `i` and `s` of the
    full word, which `(?i)` also matches as the dotless i U+0131, the dotted I U+0130 and
    the long s U+017F). When lower-casing kept the length, every character lowered to
    one, so offsets agree and the regex is tried at each place alone. `lowered` is
    `text.lower()`, when the caller has it already.
    """
    if lowered is None:
        lowered = text.lower()
    at = lowered.find("tall-recommend")
    if at < 0:
        return False
    if len(lowered) != len(text):
        return _APT_RECOMMENDS_SETTING.search(text) is not None
    while at >= 0:
        if at >= 3 and _APT_RECOMMENDS_SETTING.match(text, at - 3) is not None:
            return True
        at = lowered.find("tall-recommend", at + 1)
    return False


# Packages whose HTTPS needs `ca-certificates`, which they only recommend (Debian, Ubuntu).
_NEEDS_CA = frozenset({"curl", "wget", "git", "git-core"})
# Meta-packages whose point is mostly what they recommend: a desktop without it is not one.
_META = frozenset({"gnome", "gnome-core", "xorg", "xfce4", "lxde", "lxqt", "mate-core", "cinnamon"})
_META_RE = lazy_re(r"^(kde-.*|task-.*|.*-desktop|.*-desktop-environment)$")


def _is_meta(name: str) -> bool:
    """Return whether a package name is a desktop meta-package (`_META`, `_META_RE`).

    Every match of the pattern starts with `kde-` or `task-` or holds `-desktop`: the
    pattern is tried only on those names (most names of a list are none of them).
    """
    if name in _META:
        return True
    return (name.startswith(("kde-", "task-")) or "-desktop" in name) and _META_RE.match(name) is not None


# Official images whose Debian or Ubuntu tags install `ca-certificates` themselves.
_BASES_WITH_CA = frozenset({"buildpack-deps", "python", "golang", "ruby", "php", "rust", "eclipse-temurin"})
_PIP_RECOMMENDS = (
    "`{name}` recommends `build-essential` and `python3-dev` (and, before Debian 12 and Ubuntu"
    " 22.04, `python3-setuptools` and `python3-wheel`), which a `pip install` that builds from"
    " source needs; name the ones the image needs, then add the option"
)


def _named_packages(call: Call) -> frozenset[str]:
    """Return the names of the words after the subcommand that are not options (an
    option's value may be among them: more names only means fewer fixes)."""
    return frozenset(package_name(w) for w in call.argv[call.sub + 1 :] if not w.startswith("-"))


def _recommends_needed(names: frozenset[str]) -> tuple[str | None, str | None]:
    """Return why leaving out the recommended packages of `names` would break the image,
    or None when nothing dffix knows of would; and, when that holds only if nothing
    installs `ca-certificates` before, the package that needs it (`_https_needs_ca`)."""
    meta = sorted(n for n in names if _is_meta(n))
    if meta:
        return f"`{meta[0]}` is a meta-package: what it recommends is most of what it installs", None
    pips = sorted(n for n in names if n in ("python3-pip", "python-pip"))
    if pips:
        return _PIP_RECOMMENDS.format(name=pips[0]), None
    https = sorted(n for n in names if n in _NEEDS_CA or n.startswith("libcurl"))
    if https and "ca-certificates" not in names:
        return None, https[0]
    return None, None


def _https_needs_ca(name: str) -> str:
    """Return why there is no fix for a list naming `name`, which needs `ca-certificates`."""
    return (
        f"`{name}` only recommends `ca-certificates`, and nothing installs it before: without"
        " it HTTPS fails (`git clone https://...`, `curl https://...`); add `ca-certificates`"
        " to the list, then the option"
    )


def _has_ca(facts: Facts, run: Run) -> bool:
    """Return whether `ca-certificates` is in the image before the RUN: an earlier install
    of the stage or of a stage it is built on, or its official base image."""
    at = facts.stage_index("ca-certificates", _ca_certificates_at(facts), run.stage)
    return run.instr.span.start > at or _official_with_ca(facts, run.stage)


def _ca_certificates_at(facts: Facts) -> Callable[[Stage, float | None], float]:
    """Return a function giving where the first install of `ca-certificates` of a stage
    starts (`-inf` when a stage it is built on has one, `inf` when none does)."""
    return _installed_at(frozenset({"ca-certificates"}))


def _installed_at(packages: frozenset[str]) -> Callable[[Stage, float | None], float]:
    """Return a function giving where the first install of one of `packages` of a stage
    starts (`-inf` when a stage it is built on has one, `inf` when none does)."""

    def at(stage: Stage, parent: float | None) -> float:
        if parent is not None and parent < _INF:
            return -_INF
        for instr in stage.instructions:
            found = run_calls(instr) if instr.kind == "RUN" else None
            if found is None:
                continue
            for call in found.calls:
                if call.subcommand in ("install", "add") and not packages.isdisjoint(_named_packages(call)):
                    return instr.span.start
        return _INF

    return at


# By the package that recommends it (a versioned `gcc-12` as `gcc`). The full Debian tags
# of these official images are built on buildpack-deps (or install gcc and libc6-dev, as
# golang's and rust's do); slim, Alpine, Windows and buildpack-deps' curl and scm tags are not.
_NEEDED = {
    "gcc": _Needed(
        "libc6-dev",
        frozenset({"libc6-dev", "libc-dev", "build-essential"}),
        "without the C library's headers and start files gcc compiles and links nothing",
        frozenset({"buildpack-deps", "python", "node", "ruby", "golang", "rust"}),
    ),
    "xvfb": _Needed(
        "xauth", frozenset({"xauth"}), "the package's own `xvfb-run` stops without it", frozenset()
    ),
}
_VERSIONED_GCC = lazy_re(r"gcc-\d+")
_LEAN_TAG = lazy_re(r"slim|alpine|curl|scm|windows|servercore|nanoserver")


def _needs_recommended(facts: Facts, run: Run, names: frozenset[str]) -> str | None:
    """Return why a package of `names` needs what it only recommends (`_NEEDED`), when
    neither the list, an earlier install of the stage or of a stage it is built on, nor a
    full tag of an official image that has it, brings that; else None."""
    for name in sorted(names):
        key = "gcc" if _VERSIONED_GCC.fullmatch(name) else name
        needed = _NEEDED.get(key)
        if needed is None or not needed.brought_by.isdisjoint(names):
            continue
        at = facts.stage_index(f"installs-{needed.needed}", _installed_at(needed.brought_by), run.stage)
        if run.instr.span.start > at or (needed.bases and _full_official(facts, run.stage, needed.bases)):
            continue
        return (
            f"`{name}` only recommends `{needed.needed}`, and nothing installs it before:"
            f" {needed.why}; add `{needed.needed}` to the list, then the option"
        )
    return None


def _full_official(facts: Facts, stage: Stage, names: frozenset[str]) -> bool:
    """Return whether the stage starts from a full tag (not slim, Alpine, Windows, curl or
    scm) of one of the official images `names`."""
    path, tag = image_path_tag(base_image(facts, stage))
    return is_official_image(path) and path.rsplit("/", 1)[-1] in names and not _LEAN_TAG.search(tag)


def _official_with_ca(facts: Facts, stage: Stage) -> bool:
    """Return whether the stage starts from an official image that installs `ca-certificates`."""
    path = base_image(facts, stage).split("@", 1)[0].lower()
    if ":" in path.rsplit("/", 1)[-1]:
        path = path.rsplit(":", 1)[0]
    return is_official_image(path) and path.rsplit("/", 1)[-1] in _BASES_WITH_CA


def _variable_mentions_recommends(df: Dockerfile) -> bool:
    """Return whether an ENV or ARG of the file mentions `install-recommends`: a `$VAR`
    in an apt command may then hold `--no-install-recommends`."""
    return any(
        i.kind in ("ENV", "ARG") and "install-recommends" in i.args.lower() for i in df.all_instructions
    )


def _has_variable_word(call: Call) -> bool:
    """Return whether a word after the tool holds a `$`: a variable that may hold
    `--no-install-recommends`, set by ENV/ARG or in the RUN itself
    (`OPTS=--no-install-recommends; apt-get install $OPTS`)."""
    return any("$" in w for w in call.argv[call.tool + 1 :])


def _apt_configured_at(stage: Stage, parent: float | None) -> float:
    """Return where the first COPY/ADD of the stage into /etc/apt (apt settings) starts:
    a RUN after it may install without recommends already. `-inf` when a stage it is built
    on has one (the settings are there from its start), `inf` when there is none."""
    if parent is not None and parent < _INF:
        return -_INF
    for i in stage.instructions:
        if i.kind in ("COPY", "ADD") and i.values and covers("/etc/apt", i.values[-1]):
            return i.span.start
    return _INF


_NEEDS_YES = frozenset(
    {
        *("install", "reinstall", "upgrade", "dist-upgrade", "full-upgrade", "remove", "purge"),
        *("autoremove", "autopurge", "build-dep"),
    }
)


def _answers_yes(call: Call) -> bool:
    """Return whether apt will not ask: `-y`, `--assume-yes`/`--assume-no`, or quiet level 2
    (`-qq`, `-q=2`), which implies `-y`; or `-o APT::Get::Assume-Yes=...`."""
    quiet = 0
    for word in call.option_words():
        name, _, value = word.partition("=")
        if name in ("--yes", "--assume-yes", "--assume-no", "--trivial-only", "--force-yes"):
            return True
        if name in ("-q", "--quiet") and value:
            quiet += int(value) if value.isdigit() else 1
        elif name == "--quiet":
            quiet += 1
        elif letters := call.short_flags(word):
            if "y" in letters:
                return True
            quiet += letters.count("q")
    return quiet >= 2 or any("assume-yes" in w.lower() for w in call.argv)


def _stdin_redirected(run: Run, call: Call) -> bool:
    """Return whether the command reads a pipe or a file (`yes | apt-get install x`)."""
    script = run.found.script
    assert script is not None and call.command is not None
    start = call.command.start
    before = [op for op in script.operators if op.end <= start]
    if before and before[-1].text in ("|", "|&"):
        return True
    return any(t.kind is Kind.REDIRECT and t.text.lstrip("0").startswith("<") for t in call.command.tokens)


class AptGetWithoutYes(Rule):
    """## What it does
    Flags `apt-get install` (and `upgrade`, `remove`, `purge`, `autoremove`...; also with
    `apt`) without `-y`.

    ## Why is this bad?
    A build has no terminal to answer apt's "Do you want to continue? [Y/n]". Whenever
    apt has more to do than install exactly the named packages (a dependency, a removal),
    it asks, reads end-of-file, prints `Abort.` and fails the build. Whether that happens
    depends on what the base image already holds, so a build can start failing one day.

    ## Example
    ```dockerfile
    RUN apt-get update && apt-get install curl
    ```

    ## Use instead
    ```dockerfile
    RUN apt-get update && apt-get install -y curl
    ```

    ## Fix safety
    Safe: the fix inserts `-y` right after the subcommand. When apt would not have asked,
    it does exactly the same; when it would have asked, the build failed before. `-y` does
    not allow anything dangerous on its own (removing essential packages or downgrading
    still need their own options).

    Not reported when apt will not ask anyway: `-y`/`--yes`/`--assume-yes`, `--assume-no`,
    `--trivial-only`, `--force-yes`, quiet level 2 (`-qq`, `-q=2`, which implies `-y`),
    `-o APT::Get::Assume-Yes=...`, or when the file mentions `Assume-Yes` (an apt.conf
    written by a `RUN`). Not reported either when stdin is a pipe or a file
    (`yes | apt-get install x`). Reported without a fix for exec form and heredoc scripts.

    ## References
    - Docker best practices: "apt-get"
    - hadolint DL3014
    """

    code = "DF106"
    name = "apt-get-without-yes"
    message = "`apt-get install` without `-y`"
    fix_title = "Add `-y` after the subcommand"
    fixability = Fixability.SOMETIMES
    aliases = ("DL3014",)

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        if _mentions(df, facts, "Assume-Yes"):
            return
        for run in package_runs(facts, image_only=False):
            for call in run.found.calls:
                if call.manager is not Manager.APT or call.subcommand not in _NEEDS_YES:
                    continue
                if _answers_yes(call):
                    continue
                token = call.sub_token()
                if token is not None and _stdin_redirected(run, call):
                    continue
                fix = Fix.safe(insert_after(run.instr, token, " -y")) if token is not None else None
                yield self.violation(_call_span(run.instr, call), fix, message=f"`{call.label}` without `-y`")


# -- cache rules: shared ---------------------------------------------------------------


class CacheRule(Rule):
    """The `cache-style` option shared by the cache rules (this class is not a rule)."""

    option_defaults: ClassVar[Mapping[str, object]] = {"cache-style": "clean"}

    def style(self) -> str | None:
        """Return the configured cache style, or None when the option is not one we know."""
        value = self.options.get("cache-style")
        return value if isinstance(value, str) and value in CACHE_STYLES else None

    def style_note(self) -> str:
        """Return why there is no fix when the option is wrong, else ''."""
        if self.style() is None:
            return f"; no fix: `cache-style` must be one of {', '.join(map(repr, CACHE_STYLES))}"
        return ""

    def mount_fix(
        self, df: Dockerfile, instr: Instruction, plan: MountPlan, *extra: Edit, unsafe: bool = False
    ) -> Fix:
        """Return the fix adding the cache mount right after the RUN keyword.

        Safe when the file already needs BuildKit (`# syntax=`, another BuildKit-only
        feature); otherwise the legacy builder would now reject the file: unsafe.
        """
        edits = (Edit.insert(instr.keyword_span.end, plan.flag()), *extra)
        if unsafe or not requires_buildkit(df):
            return Fix.unsafe(*edits)
        return Fix.safe(*edits)

    def mount_violation(
        self, df: Dockerfile, span: Span, fix: Fix | None, message: str, target: str
    ) -> Violation:
        """Return a violation whose fix adds a cache mount, saying it needs BuildKit."""
        if fix is not None and not requires_buildkit(df):
            message += "; a cache mount needs BuildKit (add `# syntax=docker/dockerfile:1`)"
        title = f"Add a BuildKit cache mount on `{target}` to the `RUN`"
        return self.violation(span, fix, message=message, fix_title=title)


def _home_cache_mounted(instr: Instruction, *names: str) -> bool:
    """Return whether a mount covers `~/.cache/<name>` of any user (`/root/.cache`, ...)."""
    for target in mounted_dirs(instr):
        path = target.rstrip("/")
        if path.endswith(("/.cache", *(f"/.cache/{n}" for n in names))) or path in ("", "/root", "/home"):
            return True
    return False


# -- DF107 ---------------------------------------------------------------------------

_APK_CACHE = ("/var/cache/apk", "/etc/apk/cache")


class ApkCacheKept(CacheRule):
    """## What it does
    Flags `apk add` without `--no-cache`.

    ## Why is this bad?
    Without `--no-cache`, apk keeps the package index it downloaded in `/var/cache/apk`
    (a few MB per repository), and the layer ships it. `--no-cache` fetches a fresh index
    for the command and stores nothing, which also makes a separate `apk update` and an
    `rm -rf /var/cache/apk/*` unnecessary.

    ## Example
    ```dockerfile
    FROM alpine:3.20
    RUN apk add curl
    ```

    ## Use instead
    ```dockerfile
    FROM alpine:3.20
    RUN apk add --no-cache curl
    ```

    ## Fix safety
    Safe: the fix inserts `--no-cache` right after `add`. The same packages get installed,
    from an index fetched right then (as `apk update` would). A command that would have
    failed for lack of an index now works. When the `RUN` runs `apk update` before the
    install, that index would stay in the layer whatever `add` does: the fix appends
    `rm -rf /var/cache/apk/*` to the `RUN` instead (safe too: it runs only once the
    install succeeded, with `sudo` when the install has it). So it does on Alpine 3.2 and
    older (`alpine:3.2`), whose apk predates `--no-cache` (the option would fail the
    build); there, no fix when the `RUN` cannot end in the removal (a trailing `&`, an
    `exit`, a non-POSIX `SHELL`).

    With `cache-style = "mount"` the fix adds `--mount=type=cache,target=/var/cache/apk` to
    the `RUN` instead, and `--update-cache` after `add` unless the `RUN` already runs
    `apk update` or uses `-U`: the mount hides the index an earlier `RUN` left behind. This
    is safe when the file already needs BuildKit (a `# syntax=` directive, a `RUN --mount`,
    a heredoc...), and unsafe otherwise, since the legacy builder rejects `--mount`.

    Not reported with `--no-cache`, `--cache-dir` or `--no-network` (an offline install
    from the cache), when a `--mount` of the `RUN` covers `/var/cache/apk` or
    `/etc/apk/cache`, when the `RUN` removes `/var/cache/apk` after the install, or in a
    stage only copied from. Reported without a fix for exec form and heredoc scripts.

    ## Options
    - `cache-style` (default `"clean"`): `"clean"` fixes with `--no-cache`; `"mount"` adds
      a BuildKit cache mount on `/var/cache/apk` as a `RUN` flag instead, which keeps the
      cache between builds but out of the image. A `RUN` never gets both.

    ## References
    - Docker best practices: "Alpine: apk add --no-cache"
    - hadolint DL3019
    """

    code = "DF107"
    name = "apk-cache-kept"
    message = "`apk add` without `--no-cache` leaves the package index in the layer"
    fix_title = "Add `--no-cache` after `add`"
    fixability = Fixability.SOMETIMES
    aliases = ("DL3019",)

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for run in package_runs(facts, image_only=True):
            if is_mounted(run.instr, _APK_CACHE):
                continue
            for call in run.found.calls:
                if call.manager is not Manager.APK or call.subcommand != "add":
                    continue
                if call.has_option("--no-cache", "--cache-dir", "--no-network"):
                    continue
                if _cleaned_after(run, call, _APK_CACHE):
                    continue
                yield self._violation(df, facts, run, call)

    def _violation(self, df: Dockerfile, facts: Facts, run: Run, call: Call) -> Violation:
        token = call.sub_token()
        span = _call_span(run.instr, call)
        message = self.message + self.style_note()
        if self.style() == "mount":
            plan = MountPlan("/var/cache/apk")
            fix = None
            if _apk_refreshes(run, call):
                fix = self.mount_fix(df, run.instr, plan)
            elif token is not None:
                fix = self.mount_fix(df, run.instr, plan, insert_after(run.instr, token, " --update-cache"))
            return self.mount_violation(df, span, fix, message, plan.target)
        if token is None or not self.style():
            return self.violation(span, message=message)
        old = old_base(facts, run.stage, OLD_APK_BASE)
        if old or _apk_updated_before(run, call):
            # `apk update` stored an index that `--no-cache` would leave in the layer, or this
            # apk predates the option: remove the cache at the end of the RUN instead.
            fix = _apk_cache_removal(df, run, call)
            if fix is not None:
                title = "Remove `/var/cache/apk/*` at the end of the `RUN`"
                return self.violation(span, fix, message=message, fix_title=title)
            if old:
                why = (
                    "this apk predates `--no-cache` (Alpine 3.2 and older),"
                    " and the `RUN` cannot end in a removal"
                )
                return self.violation(span, message=f"{message}; no fix: {why}")
        return self.violation(span, Fix.safe(insert_after(run.instr, token, " --no-cache")), message=message)


def _apk_cache_removal(df: Dockerfile, run: Run, call: Call) -> Fix | None:
    """Return the fix appending `rm -rf /var/cache/apk/*` to the RUN (with `sudo` when the
    call has it), or None where a command appended might not run (see `append_cleanup`)."""
    script = run.found.script
    if script is None or not is_posix_shell(run.stage.shell_at(run.instr)):
        return None
    cleanup = f"{'sudo ' if sudo_wrapped(call.argv) else ''}rm -rf {_APK_CACHE[0]}/*"
    return append_cleanup(df, run.instr, script, lambda _: cleanup)


def _apk_refreshes(run: Run, call: Call) -> bool:
    """Return whether the index gets fetched in this RUN: `-U` or an earlier `apk update`."""
    if call.has_option("-U", "--update-cache", "--update") or any(
        "U" in w for w in call.option_words() if w[1:2] != "-"
    ):
        return True
    return _apk_updated_before(run, call)


def _apk_updated_before(run: Run, call: Call) -> bool:
    """Return whether an `apk update` of the RUN runs before the call (it stores the index)."""
    script = run.found.script
    for cmd in script.commands if script is not None else ():
        # By position, never by identity: the call and the script may come from caches
        # that let go of their entries at different times (a RUN's commands start apart).
        if call.command is not None and cmd.start == call.command.start:
            break
        other = call_of(cmd.argv)
        if other is not None and other.manager is Manager.APK and other.subcommand == "update":
            return True
    return False


def _cleaned_after(run: Run, call: Call, cache_dirs: Sequence[str], last: int | None = None) -> bool:
    """Return whether the RUN removes the cache after the call (text search when unread).

    `last` is `_last_removal(run, cache_dirs)` when the caller has it already (a RUN
    with thousands of installs asks for each).
    """
    script = run.found.script
    if script is None or call.command is None:
        return any(d in run.instr.line for d in cache_dirs)
    return (last if last is not None else _last_removal(run, cache_dirs)) > call.command.start


def _last_removal(run: Run, cache_dirs: Sequence[str]) -> int:
    """Return where the last command of the RUN that removes a cache dir starts (-1: none)."""
    script = run.found.script
    found = (cmd.start for cmd in (script.commands if script is not None else ()) if removes(cmd, cache_dirs))
    return max(found, default=-1)


# -- DF108 ---------------------------------------------------------------------------

_PIP_CACHE = ("/root/.cache/pip",)
_UV_CACHE = ("/root/.cache/uv",)


class PipCacheKept(CacheRule):
    """## What it does
    Flags `pip install` (also `pip3`, `python -m pip`, `uv pip install`) that keeps pip's
    download and wheel cache.

    ## Why is this bad?
    pip caches every download and every wheel it builds in `~/.cache/pip`, often tens or
    hundreds of MB. In an image that cache is dead weight: the packages are installed
    already, and the next build starts from a fresh layer anyway.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    RUN pip install -r requirements.txt
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    RUN pip install --no-cache-dir -r requirements.txt
    ```

    ## Fix safety
    The fix inserts `--no-cache-dir` right after `install` (`--no-cache` for
    `uv pip install`, which has no `--no-cache-dir`). The same packages get installed;
    nothing is written to the cache. pip older than 6.0 (December 2014) has no
    `--no-cache-dir` and fails the build on it, so for pip the fix is safe only when the
    base image (followed through `FROM <stage>`) is known to ship pip 6 or later:

    | base image | its pip | fix |
    |---|---|---|
    | `python`, the official image (any tag but the few built before pip 6) | its own, current | safe |
    | Debian 9 (stretch) and later | 9.0.1 and later | safe |
    | Ubuntu 16.04 (xenial) and later | 8.1.1 and later | safe |
    | Alpine 3.5 and later | 9 and later | safe |
    | CentOS 7 and later, Fedora 24 and later | 8.1 and later | safe |
    | Debian 8 (jessie) and older, Ubuntu 14.10 (utopic) and older | 1.5.6 and older | none (it fails) |
    | anything else, and `FROM $BASE` (a build argument, whatever its default) | unknown | unsafe |

    The release is read from the distro image itself (`debian:9`, `debian:bookworm-slim`,
    `ubuntu:jammy`, `alpine:3.19`; `debian`, `ubuntu`, `alpine` without a tag or with
    `latest`, `stable`, `rolling`, `edge`...), from a codename in another image's tag
    (`node:20-bookworm`, `buildpack-deps:trusty`, `resin/rpi-raspbian:jessie`), or from a
    `<distro><version>` in its tag or name (`nvidia/cuda:12.2.0-devel-ubuntu22.04`,
    `python3.6-alpine3.7`, `centos7`). An image that does not name its release
    (`node:20`, `golang:1.22`) is unknown, and so are CentOS 6, Ubuntu 15.x and Alpine 3.4
    and older. The `python` tags built before pip 6 and never rebuilt are `2.7.0`-`2.7.8`,
    `3.0`-`3.2`, `3.3.0`-`3.3.5` and `3.4.0`-`3.4.2`.

    The fix is safe on any base when an earlier command of the stage, or of a stage it is
    built on, installs a new pip for the pip that runs: `pip install -U pip`,
    `pip install pip==20.3` (or `pip>=9`), `python3 get-pip.py`, `curl .../get-pip.py | python`,
    `easy_install pip`. Upgrading `pip3.12` or `pip3` also covers a later `pip` (pip
    installs all three scripts), but not the other way round, and a pip by its path
    (`/venv/bin/pip`) is covered only by an upgrade through the same folder; an upgrade
    into another folder (`--target`, `--prefix`, `--root`) does not count. The upgrade
    command itself still runs the old pip: it gets no fix (unsafe on an unknown base). The
    message of an unsafe fix, or of a problem without one, says why.

    With `cache-style = "mount"` the fix adds `--mount=type=cache,target=/root/.cache/pip`
    (`/root/.cache/uv` for uv) to the `RUN` instead. That needs the install to run as root
    with the default cache location: there is no fix after a non-root `USER`, or when
    `HOME`, `XDG_CACHE_HOME`, `PIP_CACHE_DIR` or `UV_CACHE_DIR` is set by `ENV`/`ARG`
    (without a `USER`, the base image is taken to run as root, as nearly all do). The
    mount fix is safe when the file already needs BuildKit and unsafe otherwise.

    Not reported with `--no-cache-dir`/`--cache-dir`, or an abbreviation pip takes for
    them: pip accepts any prefix that names just one option, so `--no-cache` and `--no-ca`
    are `--no-cache-dir` and `--cache` is `--cache-dir` (`--no-c` also matches
    `--no-clean`, `--no-color` and `--no-compile`: pip rejects it). Not reported for uv
    with `--no-cache`/`-n`/`--cache-dir`. Not reported either when `PIP_NO_CACHE_DIR`
    (any value: pip turns the cache off for `false` too) or `PIP_CONFIG_FILE`
    (`UV_NO_CACHE` for uv) is set by `ENV` or `ARG` (also in a stage it is built on) or in
    the `RUN`, when the file runs `pip config` to set `no-cache-dir`, when a `--mount`
    covers a `.cache` or `.cache/pip` folder, when the `RUN` removes the cache after the
    install, or in a stage only copied from. Reported without a fix for exec form and
    heredoc scripts.

    ## Options
    - `cache-style` (default `"clean"`): `"clean"` fixes with `--no-cache-dir`; `"mount"`
      adds a BuildKit cache mount on `/root/.cache/pip` (`/root/.cache/uv`) as a `RUN` flag
      instead, which keeps the cache between builds but out of the image. A `RUN` never
      gets both.

    ## References
    - pip docs: "Caching"
    - hadolint DL3042
    """

    code = "DF108"
    name = "pip-cache-kept"
    message = "`pip install` keeps its cache in the layer"
    fix_title = "Add `--no-cache-dir` after `install`"
    fixability = Fixability.SOMETIMES
    aliases = ("DL3042",)

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        pip_config = _mentions(df, facts, "pip config") and _mentions(df, facts, "no-cache-dir")
        runs = list(package_runs(facts, image_only=True))
        # Every RUN that may upgrade pip before an install, read once (DF108 looks back).
        known = {run.instr.span.start: run.found for run in runs}
        for run in runs:
            calls = [c for c in run.found.calls if c.manager in (Manager.PIP, Manager.UV) and c.installs]
            if not calls:
                continue
            names = env_names(facts, run.stage, run.instr)
            # Where the RUN last removes each cache: read once per RUN, for the first call
            # that gets as far as asking (most never do: `--no-cache-dir`, pip alone).
            last: dict[tuple[str, ...], int] = {}
            for call in calls:
                pip = call.manager is Manager.PIP
                if pip_config and pip:
                    continue
                if self._handled(run, call, names, last):
                    continue
                yield self._violation(df, facts, run, call, names, known)

    @staticmethod
    def _handled(run: Run, call: Call, names: frozenset[str], last: dict[tuple[str, ...], int]) -> bool:
        pip = call.manager is Manager.PIP
        options = ("--no-cache-dir", "--cache-dir") if pip else ("--no-cache", "-n", "--cache-dir")
        settings = ("PIP_NO_CACHE_DIR", "PIP_CONFIG_FILE") if pip else ("UV_NO_CACHE",)
        if call.has_option(*options) or any(s in names or s in run.instr.line for s in settings):
            return True
        if _home_cache_mounted(run.instr, "pip" if pip else "uv"):
            return True
        dirs = _PIP_CACHE if pip else _UV_CACHE
        if dirs not in last:
            last[dirs] = _last_removal(run, dirs)
        return _cleaned_after(run, call, dirs, last[dirs])

    def _violation(
        self,
        df: Dockerfile,
        facts: Facts,
        run: Run,
        call: Call,
        names: frozenset[str],
        known: Mapping[int, RunCalls],
    ) -> Violation:
        pip = call.manager is Manager.PIP
        token = call.sub_token()
        span = _call_span(run.instr, call)
        message = f"`{call.label}` keeps its cache in the layer" + self.style_note()
        if self.style() == "mount":
            plan = MountPlan(_PIP_CACHE[0] if pip else _UV_CACHE[0])
            moved = {"HOME", "XDG_CACHE_HOME", "PIP_CACHE_DIR" if pip else "UV_CACHE_DIR"} & names
            root = is_root_user(run_user(facts, run.stage, run.instr))
            if not root:
                return self.violation(span, message=f"{message}; no fix: the cache mount is for root's cache")
            if moved:
                why = f"{', '.join(sorted(moved))} set earlier moves the cache"
                return self.violation(span, message=f"{message}; no fix: {why}")
            fix = self.mount_fix(df, run.instr, plan)
            return self.mount_violation(df, span, fix, message, plan.target)
        flag = " --no-cache-dir" if pip else " --no-cache"
        if not self.style():
            return self.violation(span, message=message)  # style_note says why
        if token is None:
            why = "the command is in exec form or a heredoc, which dffix does not edit"
            return self.violation(span, message=f"{message}; no fix: {why}")
        edit = insert_after(run.instr, token, flag)
        risk = _old_pip_risk(facts, run, call, known) if pip else None
        if risk is not None and risk[1]:
            # The pip known to run has no such option: the fix would fail the build.
            return self.violation(span, message=f"{message}; no fix: {risk[0]}")
        if risk is not None:
            message = f"{message}; the fix is unsafe: {risk[0]}"
        fix = Fix.unsafe(edit) if risk is not None else Fix.safe(edit)
        return self.violation(span, fix, message=message, fix_title=f"Add `{flag.strip()}` after `install`")


def _old_pip_risk(
    facts: Facts, run: Run, call: Call, known: Mapping[int, RunCalls]
) -> tuple[str, bool] | None:
    """Return why the pip that `call` runs may predate `--no-cache-dir` (pip 6), and
    whether it is known to (a base image with an older pip, not upgraded since); None
    when the base ships pip 6 or later or an earlier command upgrades that pip."""
    base = base_image(facts, run.stage)
    old = False
    if "$" in base:
        why = f"the base image `{base}` is a build argument, and its pip may predate `--no-cache-dir` (pip 6)"
    else:
        age = pip_age(base)
        if age is PipAge.NEW:
            return None
        if age is PipAge.OLD:
            old = True
            why = f"the pip of `{base}` predates `--no-cache-dir` (pip 6), which would fail the build"
        else:
            why = f"`{base}` is not known to ship pip 6 or later, and older pip has no `--no-cache-dir`"
    if _pip_upgraded_before(facts, run, call, known):
        return None
    then = "then the fix is safe" if old else "to make it safe"
    return f"{why}; upgrade pip first (`pip install -U pip`) {then}", old


_PIP_WORD = lazy_re(r"(.*/)?(?:pip|python|easy_install-?)([0-9.]*)")


def _pip_tool(word: str) -> _PipTool | None:
    """Return the pip a command word (`pip3`, `/venv/bin/python`, `easy_install-2.7`) runs."""
    m = _PIP_WORD.fullmatch(word)
    return _PipTool(m[1] or "", m[2]) if m else None


def _call_pip_tool(call: Call) -> _PipTool | None:
    """Return the pip a pip call runs (`python3` of `python3 -m pip`)."""
    python_m = call.tool >= 2 and call.argv[call.tool - 1] == "-m"
    return _pip_tool(call.argv[call.tool - 2] if python_m else call.argv[call.tool])


def _pip_upgraded_before(facts: Facts, run: Run, call: Call, known: Mapping[int, RunCalls]) -> bool:
    """Return whether a command before `call` in its stage (or a stage it is built on)
    installs pip 6 or later for the pip `call` runs: `pip install -U pip`, `pip==20.3`,
    `easy_install pip`, or `python get-pip.py`."""
    want = _call_pip_tool(call)
    if want is None:
        return False
    here = facts.cached(f"pip-upgrades:{run.instr.span.start}", lambda: _run_pip_upgrades(run))
    at = here.position[id(call)]
    if any(first < at and tool.covers(want) for tool, first in here.upgrades.items()):
        return True

    def build(stage: Stage, parent: _PipUpgradeIndex | None) -> _PipUpgradeIndex:
        return _pip_upgrade_index(stage, parent, known)

    index = facts.stage_index("pip-upgrades", build, run.stage)
    k = bisect.bisect_left(index.starts, run.instr.span.start) - 1
    upgraded = index.values[k] if k >= 0 else index.inherited
    return any(tool.covers(want) for tool in upgraded)


def _run_pip_upgrades(run: Run) -> _RunPipUpgrades:
    position: dict[int, int] = {}
    upgrades: dict[_PipTool, int] = {}
    shell = run.found.script is not None
    for k, call in enumerate(run.found.calls):
        at = call.command.start if shell and call.command is not None else k
        position[id(call)] = at
        tool = _upgraded_pip(call)
        if tool is not None and tool not in upgrades:
            upgrades[tool] = at
    if shell:
        for at, tool in _bootstrapped_pips(run.instr.args):
            upgrades.setdefault(tool, at)
    return _RunPipUpgrades(position, upgrades)


def _pip_upgrade_index(
    stage: Stage, parent: _PipUpgradeIndex | None, known: Mapping[int, RunCalls]
) -> _PipUpgradeIndex:
    """Return the pips upgraded by the RUNs of a stage; `known` holds the calls of each RUN
    read already, by where it starts (a RUN under another shell is not read)."""
    inherited: frozenset[_PipTool] = parent.final if parent is not None else frozenset()
    starts: list[int] = []
    values: list[frozenset[_PipTool]] = []
    current = inherited
    for instr in stage.instructions:
        if instr.kind != "RUN":
            continue
        text = "\n".join([instr.args, *(h.content for h in instr.heredocs)])
        if "pip" not in text:
            continue
        found = known.get(instr.span.start)
        tools = {t for c in (found.calls if found is not None else ()) if (t := _upgraded_pip(c)) is not None}
        tools.update(tool for _, tool in _bootstrapped_pips(text))
        if tools and not current.issuperset(tools):
            current = current | tools
            starts.append(instr.span.start)
            values.append(current)
    return _PipUpgradeIndex(tuple(starts), tuple(values), inherited, current)


def _upgraded_pip(call: Call) -> _PipTool | None:
    """Return the pip that `call` upgrades to pip 6 or later, or None."""
    if call.manager is not Manager.PIP or call.subcommand != "install":
        return None
    if call.has_option("-t", "--target", "--prefix", "--root", "--download", "-d", "--dry-run"):
        return None  # the new pip goes elsewhere (or nowhere): the one that runs stays old
    clusters = (call.short_flags(w) for w in call.option_words())
    upgrade = call.has_option("-U", "--upgrade") or any("U" in letters for letters in clusters)
    if not any(_new_pip(w, upgrade=upgrade) for w in call.argv[call.sub + 1 :] if not w.startswith("-")):
        return None
    return _call_pip_tool(call)


_VERSION_SPEC = lazy_re(r"(===?|~=|>=|<=|!=|<|>)\s*(\d+)")


def _new_pip(word: str, *, upgrade: bool) -> bool:
    """Return whether a requirement word installs pip 6 or later (`pip` with `-U`,
    `pip==20.3`, `pip>=9`)."""
    if package_name(word) != "pip":
        return False
    specs = [(op, int(major)) for op, major in _VERSION_SPEC.findall(word[3:])]
    pins = [major for op, major in specs if op in ("==", "===", "~=")]
    if pins:
        return all(major >= 6 for major in pins)
    if any((op == "<" and major <= 6) or (op == "<=" and major < 6) for op, major in specs):
        return False
    return upgrade or any(op in (">=", ">") and major >= 6 for op, major in specs)


# `python get-pip.py`, `curl .../get-pip.py | python3`, `easy_install pip`: the newest pip.
_GETS_PIP = (
    lazy_re(r"(?<![\w/.-])(\S*python[0-9.]*)\s+(?:-\S+\s+)*\S*get-pip\.py"),
    lazy_re(r"get-pip\.py\S*\s*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(\S*python[0-9.]*)(?![\w.])"),
    lazy_re(r"(?<![\w/.-])(\S*easy_install(?:-[0-9.]+)?)\s+(?:-\S+\s+)*pip(?![\w.=<>-])"),
)


def _bootstrapped_pips(text: str) -> Iterator[tuple[int, _PipTool]]:
    """Yield where a shell text installs the newest pip, and for which pip."""
    if "pip" not in text:
        return
    for pattern in _GETS_PIP:
        for m in pattern.finditer(text):
            tool = _pip_tool(m[1])
            if tool is not None:
                yield m.start(), tool


# -- DF109-DF112: a cleanup command in the same RUN ------------------------------------


class CleanupRule(CacheRule):
    """A cache rule fixed by appending the manager's cleanup to the RUN (not a rule).

    Subclasses say which families they look at, what cleans each, and what to append.
    """

    families: ClassVar[tuple[CleanSpec, ...]]
    mount_unsafe: ClassVar[bool] = False

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for run in package_runs(facts, image_only=True):
            for spec in self.families:
                installs = [c for c in run.found.calls if c.manager in spec.managers and c.installs]
                if not installs:
                    continue
                last = installs[-1]
                if self.skipped(run, last) or is_mounted(run.instr, spec.cache_dirs):
                    continue
                if not self._cleaned(run, last, spec):
                    yield self._violation(df, facts, run, last)

    def skipped(self, run: Run, call: Call) -> bool:
        """Return whether this install is none of the rule's business (see the docs)."""
        return False

    def is_cleanup(self, cleaner: Call, install: Call) -> bool:
        """Return whether a call cleans the cache the install filled."""
        raise NotImplementedError

    def cleanup(self, call: Call) -> str:
        """Return the cleanup command for the install `call` (without sudo)."""
        raise NotImplementedError

    def mount_plan(self, call: Call) -> MountPlan:
        """Return the cache mount that replaces the cleanup."""
        raise NotImplementedError

    def mount_allowed(self, facts: Facts, run: Run, call: Call) -> bool:
        """Return whether the cache mount would be used (the cache dir is the default one)."""
        return True

    def fix_is_safe(self, facts: Facts, call: Call) -> bool:
        """Return whether appending the cleanup is safe (else unsafe)."""
        return True

    def describe(self, call: Call) -> str:
        """Return the message for an install without its cleanup."""
        raise NotImplementedError

    def _cleaned(self, run: Run, call: Call, spec: CleanSpec) -> bool:
        script = run.found.script
        if script is None:
            later = run.found.calls[run.found.calls.index(call) :]
            text = run.instr.line
            return any(d in text for d in spec.cache_dirs) or any(self.is_cleanup(c, call) for c in later)
        for cmd in commands_after(script, call):
            other = call_of(cmd.argv)
            if (other is not None and self.is_cleanup(other, call)) or removes(cmd, spec.cache_dirs):
                return True
        return False

    def _violation(self, df: Dockerfile, facts: Facts, run: Run, call: Call) -> Violation:
        span = _call_span(run.instr, call)
        message = self.describe(call) + self.style_note()
        style = self.style()
        if style == "mount":
            plan = self.mount_plan(call)
            fix = None
            if self.mount_allowed(facts, run, call):
                fix = self.mount_fix(df, run.instr, plan, unsafe=self.mount_unsafe)
            return self.mount_violation(df, span, fix, message, plan.target)
        command = self.cleanup(call)
        if any(basename(w) == "sudo" for w in call.wrappers):
            command = f"sudo {command}"
        fix = None
        if style is not None:
            fix = _append(df, run, command)
        moved = _relative_tool_moved(run, call)
        gone = _relative_tool_gone(run, call) if fix is not None and moved is not None else None
        if gone is not None:
            return self.violation(span, message=f"{message}; no fix: {gone}")
        if fix is not None and moved is not None:
            message += f"; the fix is unsafe: {moved}"
        if fix is not None and (moved is not None or not self.fix_is_safe(facts, call)):
            fix = Fix.unsafe(*fix.edits)
        return self.violation(span, fix, message=message, fix_title=f"Append `&& {command}` to the `RUN`")


def _relative_tool_moved(run: Run, call: Call) -> str | None:
    """Return why the cleanup, run by the same relative path as the install
    (`node-v20/bin/npm`), may not find it at the end of the `RUN`; None otherwise."""
    word = call.argv[call.tool]
    if "/" not in word or word.startswith(("/", "~", "$")):
        return None
    script = run.found.script
    if script is not None and call.command is not None and next(commands_after(script, call), None) is None:
        return None  # the install is the last command: the cleanup runs in the same folder
    return f"`{word}` is a relative path, and later commands of the `RUN` may change the folder or remove it"


# Commands after which a relative path may no longer lead to the tool: the shell's own
# folder changers, and removals and moves.
_CWD_OR_REMOVAL = frozenset({"cd", "pushd", "popd", ".", "source", "rm", "rmdir", "mv", "unlink"})


def _relative_tool_gone(run: Run, call: Call) -> str | None:
    """Return why the cleanup by a relative tool path appended at the end of the `RUN`
    would fail: a later command changes the folder or removes or moves files; None when
    none does (other commands may still, so the fix stays unsafe)."""
    script = run.found.script
    if script is None or call.command is None:
        return None
    for cmd in commands_after(script, call):
        words = [basename(w) for w in cmd.argv]
        while words and words[0] in ("sudo", "command", "builtin", "env"):
            words = words[1:]
        if words and words[0] in _CWD_OR_REMOVAL:
            return (
                f"`{call.argv[call.tool]}` is a relative path, and a later `{words[0]}` of the `RUN`"
                " changes the folder or removes files, so a cleanup appended at the end may not find it"
            )
    return None


def _append(df: Dockerfile, run: Run, command: str) -> Fix | None:
    """Return the fix appending `&& command` to the RUN, as DF102 appends its cleanup."""

    def cleanup_for(_: Sequence[Command]) -> str:
        return command

    if run.found.script is not None:
        return append_cleanup(df, run.instr, run.found.script, cleanup_for)
    if run.instr.heredocs:
        return append_cleanup_heredoc(df, run.instr, cleanup_for)
    return None


def _tool_word(call: Call, default: str) -> str:
    """Return the tool as written when it is a plain command or path, else `default`."""
    word = call.argv[call.tool]
    return word if re.fullmatch(r"[\w./+-]+", word) else default


_RPM = frozenset({Manager.YUM, Manager.DNF, Manager.MICRODNF})
_RPM_CACHE = ("/var/cache/yum", "/var/cache/dnf")


def _rpm_clean_all(call: Call) -> bool:
    # `yum` is `dnf` on RHEL 8 and later: either one's `clean all` empties the cache.
    return call.manager in _RPM and call.subcommand == "clean" and "all" in call.argv[call.sub + 1 :]


def _uses_cache_only(run: Run) -> bool:
    return any(c.has_option("-C", "--cacheonly") for c in run.found.calls if c.manager in _RPM)


class YumCacheKept(CleanupRule):
    """## What it does
    Flags a `RUN` that installs or updates with `yum` without `yum clean all` after it.

    ## Why is this bad?
    yum keeps repository metadata (and, with `keepcache`, the packages) in
    `/var/cache/yum`: tens of MB per repository that the layer ships for nothing.
    Cleaning in a later `RUN` does not help: the earlier layer still holds them.

    ## Example
    ```dockerfile
    FROM centos:7
    RUN yum install -y httpd
    ```

    ## Use instead
    ```dockerfile
    FROM centos:7
    RUN yum install -y httpd && yum clean all
    ```

    ## Fix safety
    Safe: the fix appends `&& yum clean all` after the last top-level command, the way
    `apt-lists-not-removed` appends its cleanup (same line for a one-line `RUN`, a new
    continuation line in the `RUN`'s style otherwise, last line of a `set -e` heredoc
    script), so it runs only when everything before it succeeded. `yum` downloads the
    metadata again when a later command needs it. With `sudo yum install`, the cleanup
    runs with `sudo` too.

    With `cache-style = "mount"` the fix adds
    `--mount=type=cache,target=/var/cache/yum,sharing=locked` to the `RUN` instead: safe
    when the file already needs BuildKit, unsafe otherwise.

    Not reported when the `RUN` runs `yum`/`dnf clean all` or removes `/var/cache/yum`
    after the install, when a `--mount` covers the cache, when a yum command of the `RUN`
    works from the cache only (`-C`), or in a stage only copied from. Reported without a
    fix for exec form, heredoc scripts without `set -e`, a trailing `&`, an unconditional
    `exit`/`exec`, or a non-POSIX `SHELL`.

    ## Options
    - `cache-style` (default `"clean"`): `"clean"` appends `&& yum clean all`; `"mount"`
      adds a BuildKit cache mount on `/var/cache/yum` as a `RUN` flag instead, which keeps
      the cache between builds but out of the image. A `RUN` never gets both.

    ## References
    - hadolint DL3032
    """

    code = "DF109"
    name = "yum-cache-kept"
    message = "`yum install` without `yum clean all` in the same `RUN`"
    fix_title = "Append `&& yum clean all` to the `RUN`"
    fixability = Fixability.SOMETIMES
    aliases = ("DL3032",)
    families = (CleanSpec(frozenset({Manager.YUM}), _RPM_CACHE),)

    def skipped(self, run: Run, call: Call) -> bool:
        return _uses_cache_only(run)

    def is_cleanup(self, cleaner: Call, install: Call) -> bool:
        return _rpm_clean_all(cleaner)

    def describe(self, call: Call) -> str:
        return f"`{call.label}` without `yum clean all` in the same `RUN`"

    def cleanup(self, call: Call) -> str:
        return f"{_tool_word(call, 'yum')} clean all"

    def mount_plan(self, call: Call) -> MountPlan:
        return MountPlan("/var/cache/yum", locked=True)


class DnfCacheKept(CleanupRule):
    """## What it does
    Flags a `RUN` that installs or updates with `dnf` or `microdnf` without
    `dnf clean all` (`microdnf clean all`) after it.

    ## Why is this bad?
    dnf keeps repository metadata in `/var/cache/dnf` (microdnf in `/var/cache/yum`): tens
    of MB per repository that the layer ships for nothing. Cleaning in a later `RUN` does
    not help: the earlier layer still holds them.

    ## Example
    ```dockerfile
    FROM fedora:40
    RUN dnf install -y httpd
    ```

    ## Use instead
    ```dockerfile
    FROM fedora:40
    RUN dnf install -y httpd && dnf clean all
    ```

    ## Fix safety
    Safe: the fix appends `&& dnf clean all` (`&& microdnf clean all` after a microdnf
    install) after the last top-level command, the way `apt-lists-not-removed` appends its
    cleanup, so it runs only when everything before it succeeded. dnf downloads the
    metadata again when a later command needs it. With `sudo`, the cleanup uses `sudo` too.

    With `cache-style = "mount"` the fix adds
    `--mount=type=cache,target=/var/cache/dnf,sharing=locked` (`/var/cache/yum` for
    microdnf) to the `RUN` instead: safe when the file already needs BuildKit, unsafe
    otherwise.

    Not reported when the `RUN` runs `dnf`/`microdnf`/`yum clean all` or removes the cache
    after the install, when a `--mount` covers it, when a command works from the cache only
    (`-C`), or in a stage only copied from. Reported without a fix for exec form, heredoc
    scripts without `set -e`, a trailing `&`, an unconditional `exit`/`exec`, or a
    non-POSIX `SHELL`.

    ## Options
    - `cache-style` (default `"clean"`): `"clean"` appends `&& dnf clean all`; `"mount"`
      adds a BuildKit cache mount on `/var/cache/dnf` (`/var/cache/yum` for microdnf) as a
      `RUN` flag instead, which keeps the cache between builds but out of the image. A
      `RUN` never gets both.

    ## References
    - hadolint DL3040
    """

    code = "DF110"
    name = "dnf-cache-kept"
    message = "`dnf install` without `dnf clean all` in the same `RUN`"
    fix_title = "Append `&& dnf clean all` to the `RUN`"
    fixability = Fixability.SOMETIMES
    aliases = ("DL3040",)
    families = (CleanSpec(frozenset({Manager.DNF, Manager.MICRODNF}), _RPM_CACHE),)

    def skipped(self, run: Run, call: Call) -> bool:
        return _uses_cache_only(run)

    def is_cleanup(self, cleaner: Call, install: Call) -> bool:
        return _rpm_clean_all(cleaner)

    def describe(self, call: Call) -> str:
        tool = "microdnf" if call.manager is Manager.MICRODNF else "dnf"
        return f"`{call.label}` without `{tool} clean all` in the same `RUN`"

    def cleanup(self, call: Call) -> str:
        default = "microdnf" if call.manager is Manager.MICRODNF else "dnf"
        return f"{_tool_word(call, default)} clean all"

    def mount_plan(self, call: Call) -> MountPlan:
        target = "/var/cache/yum" if call.manager is Manager.MICRODNF else "/var/cache/dnf"
        return MountPlan(target, locked=True)


class ZypperCacheKept(CleanupRule):
    """## What it does
    Flags a `RUN` that installs or updates with `zypper` without `zypper clean` after it.

    ## Why is this bad?
    zypper keeps repository metadata and downloaded packages in `/var/cache/zypp`, which
    the layer ships for nothing. Cleaning in a later `RUN` does not help.

    ## Example
    ```dockerfile
    FROM opensuse/leap:15.6
    RUN zypper --non-interactive install curl
    ```

    ## Use instead
    ```dockerfile
    FROM opensuse/leap:15.6
    RUN zypper --non-interactive install curl && zypper clean --all
    ```

    ## Fix safety
    Safe: the fix appends `&& zypper clean --all` (metadata and packages; plain
    `zypper clean` only drops packages) after the last top-level command, the way
    `apt-lists-not-removed` appends its cleanup. zypper refreshes the metadata when a later
    command needs it.

    With `cache-style = "mount"` the fix adds
    `--mount=type=cache,target=/var/cache/zypp,sharing=locked` to the `RUN` instead. That
    fix is always unsafe: the mount hides the metadata earlier `RUN`s left in the image, and
    repositories without auto-refresh then need an explicit `zypper refresh`.

    Not reported when the `RUN` runs `zypper clean`/`zypper cc` or removes
    `/var/cache/zypp` after the install, when a `--mount` covers it, or in a stage only
    copied from. Reported without a fix in the same cases as `yum-cache-kept`.

    ## Options
    - `cache-style` (default `"clean"`): `"clean"` appends `&& zypper clean --all`;
      `"mount"` adds a BuildKit cache mount on `/var/cache/zypp` as a `RUN` flag instead,
      which keeps the cache between builds but out of the image. A `RUN` never gets both.

    ## References
    - hadolint DL3036
    """

    code = "DF111"
    name = "zypper-cache-kept"
    message = "`zypper install` without `zypper clean` in the same `RUN`"
    fix_title = "Append `&& zypper clean --all` to the `RUN`"
    fixability = Fixability.SOMETIMES
    aliases = ("DL3036",)
    families = (CleanSpec(frozenset({Manager.ZYPPER}), ("/var/cache/zypp",)),)
    mount_unsafe = True

    def is_cleanup(self, cleaner: Call, install: Call) -> bool:
        return cleaner.manager is Manager.ZYPPER and cleaner.subcommand in ("clean", "cc")

    def describe(self, call: Call) -> str:
        return f"`{call.label}` without `zypper clean` in the same `RUN`"

    def cleanup(self, call: Call) -> str:
        return f"{_tool_word(call, 'zypper')} clean --all"

    def mount_plan(self, call: Call) -> MountPlan:
        return MountPlan("/var/cache/zypp", locked=True)


_NPM_CACHE = ("/root/.npm", "/root/.npm/_cacache")
_YARN_CACHE = ("/usr/local/share/.cache/yarn", "/root/.cache/yarn", "/root/.yarn-cache")


class NpmCacheKept(CleanupRule):
    """## What it does
    Flags a `RUN` that installs with `npm install`/`npm ci` or `yarn install`/`yarn add`
    without cleaning the package cache afterwards.

    ## Why is this bad?
    npm keeps every downloaded tarball in `~/.npm/_cacache`, and yarn (classic) in
    `/usr/local/share/.cache/yarn` or `~/.cache/yarn`: often more than the installed
    `node_modules`. In the image that cache is dead weight.

    ## Example
    ```dockerfile
    FROM node:20
    RUN npm ci
    ```

    ## Use instead
    ```dockerfile
    FROM node:20
    RUN npm ci && npm cache clean --force
    ```

    ## Fix safety
    The fix appends `&& npm cache clean --force` (`&& yarn cache clean` after a yarn
    install) after the last top-level command, the way `apt-lists-not-removed` appends its
    cleanup, so it runs only when everything before it succeeded. For npm it is safe: the
    cache only speeds up later installs.

    The cleanup runs the tool as the install wrote it; when that is a relative path
    (`node-v20/bin/npm`) and other commands follow the install, there is no fix when one
    of them is a `cd`, `pushd`, `popd`, `source`, `rm`, `rmdir`, `mv` or `unlink` (the
    appended cleanup would run in another folder or after its tool is gone, failing the
    build), and the fix is unsafe otherwise: another command may still remove it.

    For yarn it is safe only when the build context shows Yarn classic: a `package.json`
    without `packageManager: yarn@2+` (or just a `yarn.lock`), and no `.yarnrc.yml` or
    `.yarn/releases`. It is unsafe otherwise: with Yarn 2+ Plug'n'Play, `.yarn/cache` holds
    the very packages the app loads, and `yarn cache clean` deletes them.

    With `cache-style = "mount"` the fix adds `--mount=type=cache,target=/root/.npm`
    (`/usr/local/share/.cache/yarn` for yarn) to the `RUN` instead. That needs the install
    to run as root with the default cache: there is no fix after a non-root `USER`, or when
    `HOME`, `npm_config_cache`/`NPM_CONFIG_CACHE` or `YARN_CACHE_FOLDER` is set by
    `ENV`/`ARG`. It is safe when the file already needs BuildKit, unsafe otherwise.

    Only installs count: `npm install`/`i`/`ci`/`add`..., `yarn install`, `yarn add`,
    `yarn global add` and a bare `yarn` (with options only, as in `yarn --frozen-lockfile`;
    not `yarn --version` or `yarn --help`).
    `yarn build:prod`, `yarn test`, `yarn run install` or `yarn $TASK` run a script, not an
    install. Not reported when the `RUN` runs `npm cache clean`/`yarn cache clean` or
    removes the cache after the install, with `--cache`/`--cache-folder`, when a `--mount`
    covers the cache, or in a stage only copied from.

    ## Options
    - `cache-style` (default `"clean"`): `"clean"` appends the cache cleanup; `"mount"`
      adds a BuildKit cache mount on `/root/.npm` (`/usr/local/share/.cache/yarn` for
      yarn) as a `RUN` flag instead, which keeps the cache between builds but out of the
      image. A `RUN` never gets both.

    ## References
    - hadolint DL3060 (yarn)
    """

    code = "DF112"
    name = "npm-cache-kept"
    message = "`npm install` leaves the package cache in the layer"
    fix_title = "Append `&& npm cache clean --force` to the `RUN`"
    fixability = Fixability.SOMETIMES
    aliases = ("DL3060",)
    # npm and yarn have separate caches: each gets its own cleanup.
    families = (
        CleanSpec(frozenset({Manager.NPM}), _NPM_CACHE),
        CleanSpec(frozenset({Manager.YARN}), _YARN_CACHE),
    )

    def skipped(self, run: Run, call: Call) -> bool:
        if call.has_option("--cache", "--cache-folder"):
            return True
        if call.manager is Manager.YARN:
            return _home_cache_mounted(run.instr, "yarn")
        return any(t.rstrip("/").endswith("/.npm") for t in mounted_dirs(run.instr))

    def is_cleanup(self, cleaner: Call, install: Call) -> bool:
        return (
            cleaner.manager is install.manager
            and cleaner.subcommand == "cache"
            and bool({"clean", "clear", "rm"} & set(cleaner.argv[cleaner.sub + 1 :]))
        )

    def describe(self, call: Call) -> str:
        return f"`{call.label}` leaves the package cache in the layer"

    def cleanup(self, call: Call) -> str:
        if call.manager is Manager.NPM:
            return f"{_tool_word(call, 'npm')} cache clean --force"
        return f"{_tool_word(call, 'yarn')} cache clean"

    def mount_plan(self, call: Call) -> MountPlan:
        if call.manager is Manager.NPM:
            return MountPlan("/root/.npm")
        return MountPlan("/usr/local/share/.cache/yarn", locked=True)

    def mount_allowed(self, facts: Facts, run: Run, call: Call) -> bool:
        names = {n.upper() for n in env_names(facts, run.stage, run.instr)}
        npm = call.manager is Manager.NPM
        moved = {"HOME", "NPM_CONFIG_CACHE"} if npm else {"HOME", "YARN_CACHE_FOLDER"}
        return is_root_user(run_user(facts, run.stage, run.instr)) and not (moved & names)

    def fix_is_safe(self, facts: Facts, call: Call) -> bool:
        return call.manager is Manager.NPM or _yarn_classic(facts)


def _yarn_classic(facts: Facts) -> bool:
    """Return whether the build context shows Yarn 1 (so `yarn cache clean` is harmless)."""
    context = facts.context
    if context is None or context.exists(".yarnrc.yml") or context.exists(".yarn/releases"):
        return False
    text = context.read_text("package.json")
    if text is None:
        return context.exists("yarn.lock")
    try:
        manifest = loads(text)
    except ValueError:
        return False
    manager = manifest.get("packageManager") if isinstance(manifest, dict) else None
    return not (isinstance(manager, str) and re.match(r"yarn@[2-9]", manager))


# -- DF113 ---------------------------------------------------------------------------

# yum/dnf commands that run a transaction, and so ask "Is this ok [y/N]" first.
_RPM_ASKS = frozenset(
    {
        *("install", "in", "reinstall", "localinstall", "groupinstall", "remove", "rm", "erase"),
        *("update", "up", "upgrade", "downgrade", "autoremove", "distro-sync", "groupupdate"),
        *("groupremove", "grouperase", "upgrade-minimal", "update-minimal", "swap"),
    }
)
# Two-word forms (`dnf group install`, `dnf module enable`): reported without a fix.
_GROUP_ASKS = frozenset({"install", "remove", "erase", "update", "upgrade"})
_RPM_ASKS_TWO_WORDS = {
    "group": _GROUP_ASKS,
    "groups": _GROUP_ASKS,
    "module": _GROUP_ASKS | {"enable", "disable", "reset", "switch-to"},
}
# zypper commands that ask "Continue? [y/n/...]" and take `-y`/`--no-confirm` after them.
_ZYPPER_ASKS = frozenset(
    {
        *("install", "in", "remove", "rm", "update", "up", "patch", "dist-upgrade", "dup"),
        *("verify", "ve", "removeptf", "rmptf", "autoremove"),
    }
)
# zypper commands that ask but have no `-y` of their own: only the global `-n` helps.
_ZYPPER_ASKS_GLOBAL_ONLY = frozenset({"source-install", "si", "install-new-recommends", "inr"})


def _rpm_answers(call: Call) -> bool:
    """Return whether yum/dnf will not ask: `-y`/`--assumeyes`, `--assumeno`, or `-y` in a
    cluster such as `-qy`, wherever it is written (both read options on either side of
    the subcommand)."""
    for word in call.option_words():
        if word.split("=", 1)[0] in ("--assumeyes", "--assumeno") or "y" in call.short_flags(word):
            return True
    return False


def _zypper_answers(call: Call) -> bool:
    """Return whether zypper will not ask: the global `-n`/`--non-interactive` (before the
    subcommand: after it, `-n` of `install`/`remove` means `--name`), or `-y`/`--no-confirm`."""
    for i, word in enumerate(call.argv[call.tool + 1 :], start=call.tool + 1):
        if not word.startswith("-"):
            continue
        if word.split("=", 1)[0] in ("--non-interactive", "--no-confirm"):
            return True
        letters = call.short_flags(word)
        if "y" in letters or ("n" in letters and i < call.sub):
            return True
    return False


def _two_word_asks(call: Call) -> bool:
    """Return whether the call is `group install`, `module enable`... (the second word
    right after the first)."""
    second = call.argv[call.sub + 1 : call.sub + 2]
    return bool(second) and second[0] in _RPM_ASKS_TWO_WORDS.get(call.subcommand, frozenset())


class PackageInstallWithoutYes(Rule):
    """## What it does
    Flags `yum`/`dnf install` (and `remove`, `update`, `upgrade`, `groupinstall`,
    `distro-sync`...) without `-y`, and `zypper install` (and `remove`, `update`, `patch`,
    `dist-upgrade`, `source-install`...) without `-n`/`--non-interactive` or `-y`.

    ## Why is this bad?
    A build has no terminal to answer the confirmation prompt. yum and dnf ask
    "Is this ok [y/N]" before every transaction that changes something, read end-of-file,
    print `Operation aborted.` and fail the build. zypper asks "Continue?", finds no
    terminal and stops with "Cannot read input: bad stream or EOF". The build only works
    while there is nothing to do.

    ## Example
    ```dockerfile
    FROM fedora:40
    RUN dnf install httpd && dnf clean all
    ```

    ## Use instead
    ```dockerfile
    FROM fedora:40
    RUN dnf install -y httpd && dnf clean all
    ```

    ## Fix safety
    Safe: the fix inserts `-y` right after the subcommand (`zypper install -y` is zypper's
    `--no-confirm`, the same as its global `--non-interactive`). Without a terminal the
    prompt reads end-of-file and the build fails; with `-y` the same packages are installed
    when the tool would not have asked. `-y` only answers the prompt: the transaction is the
    one the tool would have asked about (yum/dnf also import a repository's configured
    `gpgkey` when they would have asked to). zypper's `source-install` and
    `install-new-recommends` have no `-y`: the fix inserts the global `--non-interactive`
    right after `zypper` instead. In that mode zypper takes each prompt's default answer,
    which for an untrusted key, a license or a dependency problem is to stop.

    Not reported for yum/dnf with `-y`/`--assumeyes` or `--assumeno` anywhere in the
    command (also in a cluster such as `-qy`), when the file mentions `assumeyes` (a
    `dnf.conf`/`yum.conf` written by a `RUN`, or `--setopt=assumeyes=1`), or when the
    command's stdin is a pipe or a file (`yes | yum install x`). Not reported for zypper
    with `-n`/`--non-interactive` before the subcommand or `-y`/`--no-confirm`; after
    `install` or `remove`, `-n` means `--name` and does not count. A pipe into zypper does
    not count either: current zypper reads its answers from the terminal (`/dev/tty`), not
    from stdin.
    `microdnf` is not reported: it never asks. The two-word forms (`dnf group install`,
    `dnf module enable`) are reported without a fix, and so are exec form and heredoc
    scripts.

    ## References
    - Docker best practices: "RUN"
    - hadolint DL3030 (yum), DL3038 (dnf), DL3034 (zypper)
    """

    code = "DF113"
    name = "package-install-without-yes"
    message = "`yum install` without `-y`"
    fix_title = "Add `-y` after the subcommand"
    fixability = Fixability.SOMETIMES
    aliases = ("DL3030", "DL3038", "DL3034")

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        rpm_configured = _mentions(df, facts, "assumeyes")
        for run in package_runs(facts, image_only=False):
            for call in run.found.calls:
                if call.manager in (Manager.YUM, Manager.DNF) and not rpm_configured:
                    yield from self._rpm(run, call)
                elif call.manager is Manager.ZYPPER:
                    yield from self._zypper(run, call)

    def _rpm(self, run: Run, call: Call) -> Iterator[Violation]:
        two_words = _two_word_asks(call)
        if not (call.subcommand in _RPM_ASKS or two_words) or _rpm_answers(call):
            return
        token = call.sub_token()
        if token is not None and _stdin_redirected(run, call):
            return
        label = f"{call.label} {call.argv[call.sub + 1]}" if two_words else call.label
        fix = Fix.safe(insert_after(run.instr, token, " -y")) if token is not None and not two_words else None
        yield self.violation(_call_span(run.instr, call), fix, message=f"`{label}` without `-y`")

    def _zypper(self, run: Run, call: Call) -> Iterator[Violation]:
        # No stdin check: zypper reads answers from /dev/tty, so `yes |` does not help.
        if call.subcommand in _ZYPPER_ASKS and not _zypper_answers(call):
            token = call.sub_token()
            fix = Fix.safe(insert_after(run.instr, token, " -y")) if token is not None else None
            message = f"`{call.label}` without `-n` or `-y`"
            yield self.violation(_call_span(run.instr, call), fix, message=message)
        elif call.subcommand in _ZYPPER_ASKS_GLOBAL_ONLY and not _zypper_answers(call):
            tool = call.command.words[call.tool] if call.command is not None else None
            fix = Fix.safe(insert_after(run.instr, tool, " --non-interactive")) if tool is not None else None
            message = f"`{call.label}` without `--non-interactive`"
            title = "Add `--non-interactive` after `zypper`"
            yield self.violation(_call_span(run.instr, call), fix, message=message, fix_title=title)
