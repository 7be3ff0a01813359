"""The rules' shortcuts give what the plain computation gives.

Some rules cache what they read of one instruction by its shape across fixer passes
(issue 14), or fold several scans of a stage into one. Each test here computes the same
value the plain way (the code as it was before the shortcut, kept here as the
reference) and compares, on the corpus (as written and as fixed, so that the caches
hold the answers of other files and other passes when they are asked), on generated
files and on mutations of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from hypothesis import given, strategies as st

from dffix import api
from dffix.facts import Facts, Stage, compute_facts
from dffix.rules import runtime, user
from dffix.syntax import Dockerfile, ParseError, parse
from dffix.syntax.tree import Instruction
from tests.corpus import corpus_files, decode
from tests.test_fuzz import dockerfiles, fuzz_settings, mutated


@cache
def corpus_texts() -> tuple[str, ...]:
    """Return each corpus file as written and as fixed with unsafe fixes (their shapes differ)."""
    found: list[str] = []
    rule_set = api.rule_set_for(None, api.Overrides(select=("ALL",), unsafe_fixes=True))
    assert not isinstance(rule_set, api.ConfigError)
    for path in corpus_files():
        text = decode(path.read_bytes())
        found.append(text)
        fixed = api.fix_text(text, rule_set, api.build_context(str(path)))
        if not isinstance(fixed, ParseError) and fixed.text != text:
            found.append(fixed.text)
    return tuple(found)


def parsed(texts: tuple[str, ...] | list[str]) -> Iterator[tuple[Dockerfile, Facts]]:
    for text in texts:
        df = parse(text)
        if isinstance(df, Dockerfile):
            yield df, compute_facts(df)


texts = st.one_of(dockerfiles(), dockerfiles().flatmap(mutated)).map(decode)


# The reference: DF301's scans of the chain as they were, one regex search per instruction each.


def reference_uses_sudo(chain: tuple[Stage, ...]) -> bool:
    return any(
        instr.kind == "RUN" and re.search(r"(?:^|[\s;&|(])sudo\s", " ".join(instr.values) or instr.args)
        for stage in chain
        for instr in stage.instructions
    )


def reference_server_package(chain: tuple[Stage, ...]) -> str | None:
    for stage in chain:
        for instr in stage.instructions:
            if instr.kind == "RUN" and (
                found := runtime._server_package_in(" ".join(instr.values) or instr.args)
            ):
                return found
    return None


def reference_docker_socket(chain: tuple[Stage, ...]) -> str | None:
    for stage in chain:
        for instr in stage.instructions:
            text = " ".join(instr.values) if instr.values else instr.args
            if instr.kind in ("ENV", "VOLUME", "CMD", "ENTRYPOINT", "RUN") and runtime._DOCKER_SOCKET.search(
                f"{instr.kind} {text}".replace("DOCKER_HOST ", "DOCKER_HOST=")
            ):
                return instr.line.strip()
    return None


def reference_low_port(chain: tuple[Stage, ...]) -> str | None:
    for stage in chain:
        for instr in stage.instructions:
            if instr.kind == "EXPOSE":
                for word in instr.args.split():
                    m = re.match(r"(\d{1,5})(?:-\d+)?(?:/\w+)?$", word)
                    if m and 0 < int(m.group(1)) < 1024:
                        return f"`EXPOSE {word}`"
            elif instr.kind == "ENV":
                for key, value in runtime.env_pairs(instr):
                    if runtime._PORT_ENV.match(key) and value.isdigit() and 0 < int(value) < 1024:
                        return f"`ENV {key}={value}`"
    for start in runtime.start_command(chain):
        text = runtime._text(start)
        for pattern in (runtime._BIND_ARG, runtime._HOST_PORT):
            for m in pattern.finditer(text):
                if start is not None and 0 < int(m.group(1)) < 1024:
                    return f"`{m.group(0).strip()}` in its {start.kind}"
    return None


def reference_root_dropper(chain: tuple[Stage, ...]) -> str | None:
    for stage in chain:
        for instr in stage.instructions:
            if instr.kind in ("RUN", "COPY", "ADD") and (
                m := re.search(r"\b(gosu|su-exec|s6-overlay)\b", instr.line)
            ):
                return m.group(1)
    return None


def reference_package_family(chain: tuple[Stage, ...]) -> user.Family | str | None:
    found = {
        user._PACKAGE_MANAGERS[m.group(1)]
        for stage in chain
        for instr in stage.instructions
        if instr.kind == "RUN"
        for m in re.finditer(r"(?:^|[\s;&|(])(apt-get|apt|apk|yum|dnf)\s+\S", " ".join(instr.values))
    }
    if len(found) > 1:
        return "its RUNs use the package managers of several distributions"
    return found.pop() if found else None


_ROOT_HOME = re.compile(r"(?:^|[\s\"'=:])(?:/root|~)(?:/|\s|\"|'|$)")


def reference_uses_root_home(stage: Stage) -> str | None:
    for instr in stage.instructions:
        if instr.kind in ("CMD", "ENTRYPOINT", "WORKDIR", "ENV", "HEALTHCHECK") and _ROOT_HOME.search(
            instr.args
        ):
            return instr.line
        if instr.kind in ("COPY", "ADD", "VOLUME") and instr.values:
            dests = instr.values if instr.kind == "VOLUME" else instr.values[-1:]
            if any(_ROOT_HOME.search(" " + d) for d in dests):
                return instr.line
    return None


def assert_chain_scans_agree(facts: Facts) -> None:
    for stage in facts.stages:
        chain = facts.chain(stage)
        seen = runtime.chain_traits(chain)
        assert runtime.uses_sudo(chain) is seen.sudo is reference_uses_sudo(chain)
        assert runtime.server_package(chain) == seen.server == reference_server_package(chain)
        assert runtime.docker_socket(chain) == seen.socket == reference_docker_socket(chain)
        assert runtime.low_port(chain) == reference_low_port(chain)
        assert (seen.low_port or runtime.bound_port(chain)) == reference_low_port(chain)
        assert seen.dropper == reference_root_dropper(chain)
        assert user._package_family(seen.managers) == reference_package_family(chain)
        assert user._uses_root_home(stage) == reference_uses_root_home(stage)


def assert_traits_fresh(instructions: Iterator[Instruction]) -> None:
    """The cached traits of each instruction are the ones read from it afresh."""
    for instr in instructions:
        assert runtime.traits(instr) == runtime.read_traits(instr)


def test_df301_chain_scans_agree_with_the_plain_scans_on_the_corpus() -> None:
    files = list(parsed(corpus_texts()))
    for _, facts in files:  # fill the caches with every file's instructions first
        for stage in facts.stages:
            runtime.chain_traits((stage,))
    for df, facts in files:
        assert_chain_scans_agree(facts)
        assert_traits_fresh(iter(df.all_instructions))


@fuzz_settings(300)
@given(texts)
def test_df301_chain_scans_agree_with_the_plain_scans(text: str) -> None:
    for df, facts in parsed([text]):
        assert_chain_scans_agree(facts)
        assert_traits_fresh(iter(df.all_instructions))
