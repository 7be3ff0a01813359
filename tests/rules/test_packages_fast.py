"""The package rules' caches give what a fresh reading gives, wherever the RUN now sits.

Some package rules cache what they find in a RUN by its text (`memo.Placed`), at offsets
from the RUN's start, and add the start back on the way out (issue 14): a RUN that no fix
touched is read once per file, even when a fix above it moved it. Each test here checks
a file after the caches were filled from the same RUNs elsewhere (a line inserted above
them) and compares with the plain computation, which reads each RUN where it is and
caches nothing, on the corpus, generated files, mutations of them and hand-written
hostile cases.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

import pytest
from hypothesis import given, strategies as st

from dffix import memo
from dffix.edits import Applicability, Fix
from dffix.facts import Facts, compute_facts
from dffix.fixer import fix
from dffix.rules import ALL_RULES, apt, packages, pm
from dffix.rules.base import Rule, Violation
from dffix.rules.pm import Arg, ArgKind, Call, Manager, sort_key, token_span
from dffix.rules.user import shell_in_force
from dffix.syntax import Dockerfile, Instruction, ParseError, parse
from dffix.syntax.shell import Token
from tests.corpus import corpus_files, decode
from tests.test_fuzz import dockerfiles, fuzz_settings, mutated


def unsorted_reference(rule: Rule, df: Dockerfile, facts: Facts) -> list[Violation]:
    """DF104 without its cache: every install of every RUN read where it is."""
    found = []
    for run in packages.package_runs(facts, image_only=False):
        for call in run.found.calls:
            if call.subcommand in packages._SORTED.get(call.manager, ()):
                problem = packages._check_call(df, run.instr, call)
                if problem is not None:
                    found.append(rule.violation(problem.span, problem.fix, message=problem.message))
    return found


def recommends_reference(rule: Rule, df: Dockerfile, facts: Facts) -> list[Violation]:
    """DF105 as it was: every install of every RUN read where it is, each stage index
    built for every stage, the ENV/ARG mentions and `ca-certificates` read up front."""
    runs = [
        run
        for run in packages.package_runs(facts, image_only=True)
        if any(c.manager is Manager.APT and c.subcommand == "install" for c in run.found.calls)
    ]
    if not runs or packages._APT_RECOMMENDS_SETTING.search(df.text) is not None:
        return []
    configured = {
        s.index: facts.stage_index("apt-configured", packages._apt_configured_at, s) for s in facts.stages
    }
    variables = packages._variable_mentions_recommends(df)
    ca_at = {
        s.index: facts.stage_index("ca-certificates", packages._ca_certificates_at(facts), s)
        for s in facts.stages
    }
    needed_at = {
        n.needed: {
            s.index: facts.stage_index(f"installs-{n.needed}", packages._installed_at(n.brought_by), s)
            for s in facts.stages
        }
        for n in packages._NEEDED.values()
    }
    found = []
    for run in runs:
        if run.instr.span.start > configured[run.stage.index]:
            continue
        for call in run.found.calls:
            if call.manager is not Manager.APT or call.subcommand != "install":
                continue
            if call.has_option("--no-install-recommends", "--install-recommends"):
                continue
            if any("$" in w for w in call.argv[call.tool + 1 :]) and (
                variables or "install-recommends" in run.instr.line.lower()
            ):
                continue
            token = call.sub_token()
            message = f"`{call.label}` without `--no-install-recommends`"
            has_ca = run.instr.span.start > ca_at[run.stage.index] or packages._official_with_ca(
                facts, run.stage
            )
            names = packages._named_packages(call)
            why, https = packages._recommends_needed(names)
            if why is None and https is not None and not has_ca:
                why = packages._https_needs_ca(https)
            for name in sorted(names) if why is None else ():
                needed = packages._NEEDED.get("gcc" if re.fullmatch(r"gcc-[0-9]+", name) else name)
                if needed is None or names & needed.brought_by:
                    continue
                if run.instr.span.start <= needed_at[needed.needed][run.stage.index] and not (
                    needed.bases and packages._full_official(facts, run.stage, needed.bases)
                ):
                    why = (
                        f"`{name}` only recommends `{needed.needed}`, and nothing installs it before:"
                        f" {needed.why}; add `{needed.needed}` to the list, then the option"
                    )
                    break
            span = packages._call_span(run.instr, call)
            if why is not None:
                found.append(rule.violation(span, message=f"{message}; no fix: {why}"))
            elif token is not None:
                fix = Fix.unsafe(pm.insert_after(run.instr, token, " --no-install-recommends"))
                found.append(rule.violation(span, fix, message=message))
            else:
                found.append(rule.violation(span, message=message))
    return found


# The rules whose findings in a RUN are cached by the RUN's text (DF104), or whose readings of
# the rest of the file are made only when a finding asks (DF105), and their plain computation.
REFERENCES: dict[str, Callable[[Rule, Dockerfile, Facts], list[Violation]]] = {
    "DF104": unsorted_reference,
    "DF105": recommends_reference,
}
RULES = [rule() for rule in ALL_RULES if rule.code in REFERENCES]

texts = st.one_of(dockerfiles(), dockerfiles().flatmap(mutated)).map(decode)


def _checked(text: str) -> list[list[Violation]] | None:
    df = parse(text)
    if not isinstance(df, Dockerfile):
        return None
    facts = compute_facts(df)
    return [list(rule.check(df, facts)) for rule in RULES]


def _reference(text: str) -> list[list[Violation]] | None:
    df = parse(text)
    if not isinstance(df, Dockerfile):
        return None
    facts = compute_facts(df)
    return [REFERENCES[rule.code](rule, df, facts) for rule in RULES]


def _moved(text: str, index: int) -> str | None:
    """Return `text` with a comment line inserted before its `index`-th instruction (after
    the parser directives, which stay in force), or None when it has no such instruction."""
    df = parse(text)
    if not isinstance(df, Dockerfile) or index >= len(df.all_instructions):
        return None
    at = df.all_instructions[index].span.start
    return text[:at] + "# moved" + df.newline + text[at:]


def _leaves_lists_fresh(instr: Instruction) -> bool:
    """`apt.leaves_lists` without a cache."""
    installs = any(a.installs for a in apt._shaped_actions.__wrapped__(apt._shape(instr), True))
    return installs and not apt.removes_lists(instr, apt._script(instr))


def _assert_shaped_as_fresh(text: str) -> None:
    df = parse(text)
    if isinstance(df, Dockerfile):
        for instr in df.instructions("RUN"):
            assert apt.leaves_lists(instr) is _leaves_lists_fresh(instr)


def assert_cached_as_fresh(text: str, index: int) -> None:
    moved = _moved(text, index)
    if moved is None:
        return
    memo.forget()
    assert _checked(text) == _reference(text)  # fills the caches with the RUNs where they are
    assert _checked(moved) == _reference(moved)
    assert _checked(text) == _reference(text)  # and back
    for version in (text, moved):
        _assert_shaped_as_fresh(version)


def test_corpus_findings_survive_moves() -> None:
    for path in corpus_files():
        text = decode(path.read_bytes())
        for index in (0, 3):
            assert_cached_as_fresh(text, index)


@fuzz_settings(300)
@given(texts, st.integers(0, 6))
def test_generated_findings_survive_moves(text: str, index: int) -> None:
    assert_cached_as_fresh(text, index)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "FROM debian\nRUN apt-get install -y \\\n    git \\\n    curl \\\n    ca-certificates\n",
            id="one per line",
        ),
        pytest.param(
            "FROM debian\r\nRUN apt-get install -y \\\r\n  git curl \\\r\n  # tools\r\n  bash awk\r\n",
            id="crlf and a comment line",
        ),
        pytest.param(
            "# escape=`\nFROM debian\nRUN apt-get install -y `\n    git `\n    curl\n",
            id="backtick escape",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y zlib curl curl --no-install-recommends\n"
            "RUN apt-get install -y zlib curl curl --no-install-recommends\n",
            id="twice the same RUN",
        ),
        pytest.param(
            "FROM python\nRUN pip install zope flask -q \\\n      && apk add b a",
            id="two calls, no final newline",
        ),
        pytest.param(
            "FROM debian AS base\nRUN apt-get install -y ca-certificates\n"
            "FROM base\nRUN apt-get install -y curl\nFROM debian\nRUN apt-get install -y curl\n"
            "RUN apt-get install -y git ca-certificates\nRUN apt-get install -y curl\n",
            id="ca-certificates before, in a parent stage, in the list",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y $OPTS curl\nENV OPTS=--no-install-recommends\n"
            "FROM debian\nRUN apt-get install -y $OPTS git\n"
            "RUN O=--no-install-recommends; apt-get install $O x && apt install -y y\n",
            id="variables that may hold the option",
        ),
        pytest.param(
            "FROM debian\nRUN apt-get install -y a\nCOPY apt.conf /etc/apt/\nRUN apt-get install -y b\n"
            "FROM ubuntu\nRUN apt-get install -y python3-pip xorg\nRUN apt-get install <<EOF\nx\nEOF\n",
            id="apt configured, meta-packages, a heredoc",
        ),
    ],
)
def test_hostile_findings_survive_moves(text: str) -> None:
    for index in range(3):
        assert_cached_as_fresh(text, index)


def test_the_same_run_text_under_another_escape_is_read_again() -> None:
    # At the end of the file, a last line ending in the escape is a continuation: the same
    # text holds the list `b a` with the default escape, and `b a \\` (not a package) after
    # `# escape=\``.
    run = "RUN apt-get install -y b a \\"
    plain, ticked = "FROM debian\n" + run, "# escape=`\nFROM debian\n" + run
    for first, second in ((plain, ticked), (ticked, plain)):
        memo.forget()
        assert _checked(first) == _reference(first)
        assert _checked(second) == _reference(second)
    assert _checked(plain) != _checked(ticked)


@given(
    st.lists(
        st.sampled_from(
            [
                "install-recommends",
                "INSTALL-Recommends",
                "tall-recommends",
                "\u0131",
                "\u0130",
                "\u017f",
                "-",
                "x",
            ]
        )
        | st.text(st.sampled_from("instalrecomd-_ \u0131\u0130\u017f\u212aISTA"), max_size=8),
        max_size=6,
    ).map("".join)
)
def test_recommends_setting_prefilter_agrees_with_the_regex(text: str) -> None:
    expected = packages._APT_RECOMMENDS_SETTING.search(text) is not None
    assert packages._sets_recommends(text) is expected


def test_recommends_setting_prefilter_on_folded_letters() -> None:
    # `(?i)` matches the dotless i and the long s of the word; the lower-cased text keeps
    # `tall-recommend`, which the prefilter looks for.
    for text in (
        "\u0131nstall-recommends",
        "in\u017ftall-recommends",
        "APT::Install-Recommends",
        "--no-install-recommends APT::Install-Recommends",
        "\u0130 --no-install-recommends APT::Install-Recommends",  # lower-cased, U+0130 is two
    ):
        assert packages._sets_recommends(text)
    for text in (
        "--no-install-recommends",
        "install_recommends",
        "\u0130 --install-recommends",
        "tall-recommends",
    ):
        assert not packages._sets_recommends(text)


def test_a_cached_entry_keeps_no_file_alive() -> None:
    # The language server never empties its caches: an entry that held its file would keep
    # every version of a document edited in it.
    df = parse("FROM debian\nRUN apt-get install -y b a\n")
    assert isinstance(df, Dockerfile)
    placed = memo.Placed(df, df.all_instructions[1])
    memo.forget()
    assert packages._unsorted_lists(placed)
    assert placed._df is None


# -- DF104's cold path: where the words are, and their order -----------------------------


def _places_reference(instr: Instruction, words: Sequence[Token], region: Sequence[Arg]) -> dict[int, object]:
    """`packages._places` the plain way: `token_span` per word, each line tried in turn."""

    def line_of(offset: int) -> int:
        for k, line in enumerate(instr.lines):
            if line.end >= offset:
                return k if line.start <= offset else -1
        return -1

    found: dict[int, object] = {}
    for arg in region:
        start = token_span(instr, words[arg.first]).start
        end = token_span(instr, words[arg.last]).end
        found[arg.first] = packages._ArgAt(start, end, line_of(start), line_of(end - 1))
    return found


def _sorted_group_reference(group: Sequence[Arg], words: Sequence[Token], move_options: bool) -> list[Arg]:
    """`packages._sorted_group` as it was: the group's packages sorted by `sort_key` of their text."""
    ordered = iter(sorted(packages._packages(group), key=lambda a: sort_key(words[a.first].text)))
    if move_options:
        return [*(a for a in group if a.kind is ArgKind.OPTION), *ordered]
    return [next(ordered) if a.kind is ArgKind.PACKAGE else a for a in group]


def _lists(text: str) -> Iterator[tuple[Dockerfile, Instruction, Call, Sequence[Token], tuple[Arg, ...]]]:
    """Yield each install's list that DF104 reads past its first test (plain packages)."""
    df = parse(text)
    if not isinstance(df, Dockerfile):
        return
    for instr in df.instructions("RUN"):
        found = pm.run_calls(instr)
        for call in found.calls if found is not None else ():
            args = pm.sub_args(call)
            if call.command is None or args is None:
                continue
            words = call.command.words
            listed = [a for a in args if a.kind is ArgKind.PACKAGE]
            if listed and all(pm.is_plain_package(words[a.first].text) for a in listed):
                yield df, instr, call, words, args[args.index(listed[0]) :]


def assert_lists_read_as_plainly(text: str) -> None:
    for df, instr, call, words, region in _lists(text):
        at = packages._places(instr, words, region)
        assert at == _places_reference(instr, words, region)
        listed = packages._packages(region)
        keys = {a.first: sort_key(words[a.first].text) for a in listed}
        # A list in order is let go before its layout is read: reading it finds nothing.
        whole = packages._check_list(df, instr, call, words, listed, list(keys.values()), region)
        if packages._in_order(region, listed, list(keys.values())):
            assert whole is None
        assert packages._check_call(df, instr, call) == whole
        for group in packages._groups(df, instr, at, region):
            ordered = packages._sorted_packages(group, keys)
            assert ordered == packages._packages(_sorted_group_reference(group, words, True))
            for move in (True, False):
                assert packages._sorted_group(group, ordered, move) == _sorted_group_reference(
                    group, words, move
                )


def _fixed_versions(text: str) -> list[str]:
    """Return the text and what every rule's unsafe fixes make of it (lists sorted by DF104)."""
    result = fix(text, EVERY_RULE, Applicability.UNSAFE)
    return [text] if isinstance(result, ParseError) else [text, result.text]


EVERY_RULE = [rule() for rule in ALL_RULES]


def test_corpus_lists_read_as_plainly() -> None:
    for path in corpus_files():
        for text in _fixed_versions(decode(path.read_bytes())):
            assert_lists_read_as_plainly(text)


@fuzz_settings(300)
@given(texts)
def test_generated_lists_read_as_plainly(text: str) -> None:
    assert_lists_read_as_plainly(text)


@pytest.mark.parametrize(
    "text",
    [
        "FROM debian\nRUN apt-get install -y cu\\\nrl \\\n  # c\n\n  b\\\n \\\n  a=1 a A a\n",
        "FROM debian\r\nRUN apt-get install -y \\\r\n  z \\\r\n  --no-install-recommends y x\r\n",
        "# escape=`\nFROM debian\nRUN apt-get install -y z `\n  y `\n`\n  x --quiet\n",
        "FROM alpine\nRUN apk add --no-cache b a ''  && pip install B b a==1 A\n",
        "FROM debian\nRUN apt-get install -y \\\n\tb \\\n\ta\n",
    ],
)
def test_hostile_lists_read_as_plainly(text: str) -> None:
    assert_lists_read_as_plainly(text)


def _package_runs_reference(facts: Facts, image_only: bool) -> list[packages.Run]:
    """`packages.package_runs` the plain way: every instruction of every stage read."""
    shells = any(i.kind == "SHELL" for stage in facts.stages for i in stage.instructions)
    found = []
    for stage in facts.stages:
        if image_only and not apt.in_image(facts, stage):
            continue
        for instr in stage.instructions:
            calls = pm.run_calls(instr) if instr.kind == "RUN" else None
            if calls is None:
                continue
            if shells and not apt.is_posix_shell(shell_in_force(facts, stage, instr)):
                continue
            found.append(packages.Run(stage, instr, calls))
    return found


def assert_runs_read_as_plainly(text: str) -> None:
    df = parse(text)
    if isinstance(df, Dockerfile):
        facts = compute_facts(df)
        for image_only in (True, False, True):
            expected = _package_runs_reference(facts, image_only)
            assert list(packages.package_runs(facts, image_only=image_only)) == expected


def test_corpus_runs_read_as_plainly() -> None:
    for path in corpus_files():
        assert_runs_read_as_plainly(decode(path.read_bytes()))


@fuzz_settings(300)
@given(texts)
def test_generated_runs_read_as_plainly(text: str) -> None:
    assert_runs_read_as_plainly(text)


def test_runs_under_another_shell_and_out_of_the_image() -> None:
    assert_runs_read_as_plainly(
        'FROM debian AS tools\nRUN apt-get install -y a\nFROM debian\nSHELL ["pwsh", "-c"]\n'
        'RUN apt-get install -y b\nSHELL ["/bin/bash", "-c"]\nRUN apk add c\n'
        "COPY --from=tools /a /a\nFROM scratch\nCOPY a b\n"
    )


@given(
    st.lists(
        st.sampled_from(["kde-", "task-", "-desktop", "-environment", "gnome", "x", "\n", "-", "Kde-"]),
        max_size=5,
    ).map("".join)
    | st.text(st.sampled_from("kdetask-opnvim\n"), max_size=12)
)
def test_meta_package_prefilter_agrees_with_the_pattern(name: str) -> None:
    expected = name in packages._META or packages._META_RE.match(name) is not None
    assert packages._is_meta(name) is expected
