"""Other tools' check names that dffix accepts as selectors: hadolint, ShellCheck, BuildKit.

A user coming from hadolint keeps their ignore list: every hadolint DL code, every
ShellCheck SC code and every BuildKit check name is a valid word in `--select`,
`--ignore`, config files and suppression comments. The dffix rules that cover one of
them carry it in `aliases`; a word no dffix rule covers selects nothing (the run says so
under `--verbose`) and is never an error. Pure data and lookups; nothing here imports
a rule module, so checking a word costs nothing at start-up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dffix.records import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from dffix.rules.base import Rule

# Every DL code of hadolint 2.12+, plus those retired since (DL3005, DL3017, DL3031,
# DL3039) that old `.hadolint.yaml` files still list.
HADOLINT_CODES = frozenset(
    f"DL{n}"
    for n in (
        1000, 1001,
        *range(3000, 3068),
        4000, 4001, 4003, 4004, 4005, 4006,
    )
)  # fmt: skip

# BuildKit's build checks (`docker build --check`, `# check=skip=...`).
BUILDKIT_CHECKS = (
    "ConsistentInstructionCasing",
    "CopyIgnoredFile",
    "DuplicateStageName",
    "ExposeInvalidFormat",
    "ExposeProtoCasing",
    "FromAsCasing",
    "FromPlatformFlagConstDisallowed",
    "InvalidBaseImagePlatform",
    "InvalidDefaultArgInFrom",
    "InvalidDefinitionDescription",
    "JSONArgsRecommended",
    "LegacyKeyValueFormat",
    "MaintainerDeprecated",
    "MultipleInstructionsDisallowed",
    "NoEmptyContinuation",
    "RedundantTargetPlatform",
    "ReservedStageName",
    "SecretsUsedInArgOrEnv",
    "StageNameCasing",
    "UndefinedArgInFrom",
    "UndefinedVar",
    "WorkdirRelativePath",
)
_BUILDKIT_UPPER = {name.upper(): name for name in BUILDKIT_CHECKS}
_SHELLCHECK_RE = re.compile(r"SC[1-9][0-9]{3}")


class Foreign(NamedTuple):
    """A selector word that names another tool's check."""

    tool: str  # "hadolint", "ShellCheck" or "BuildKit"
    code: str  # as that tool spells it


def foreign(word: str) -> Foreign | None:
    """Return which other tool's check `word` names (case-insensitive), or None."""
    upper = word.strip().upper()
    if upper in HADOLINT_CODES:
        return Foreign("hadolint", upper)
    if _SHELLCHECK_RE.fullmatch(upper):
        return Foreign("ShellCheck", upper)
    if upper in _BUILDKIT_UPPER:
        return Foreign("BuildKit", _BUILDKIT_UPPER[upper])
    return None


def known_words() -> tuple[str, ...]:
    """Return the foreign words to suggest from in a did-you-mean (not every SC code)."""
    return (*sorted(HADOLINT_CODES), *BUILDKIT_CHECKS)


def check_directive_skips(value: str) -> tuple[str, ...]:
    """Return the BuildKit checks a `# check=` directive value skips (`skip=A,B;error=true`).

    `skip=all` skips every BuildKit check. Unknown names are kept: they select nothing.
    """
    skipped: list[str] = []
    for part in value.split(";"):
        key, _, names = part.partition("=")
        if key.strip().lower() != "skip":
            continue
        for name in (n.strip() for n in names.split(",")):
            if name.lower() == "all":
                skipped += BUILDKIT_CHECKS
            elif name:
                skipped.append(name)
    return tuple(skipped)


def compat_table(rules: Sequence[type[Rule]]) -> str:
    """Return the user guide's table: each hadolint code and BuildKit check, the dffix
    rules that cover it, and what dffix does about it."""
    fixes = {"always": "reports it and fixes it", "sometimes": "reports it; fixes it when it can"}
    rows = ["| check | tool | dffix rule | what dffix does |", "|---|---|---|---|"]
    for tool, code in (
        *(("hadolint", c) for c in sorted(HADOLINT_CODES)),
        *(("BuildKit", c) for c in BUILDKIT_CHECKS),
    ):
        covering = [r for r in rules if code.upper() in (a.upper() for a in r.aliases)]
        if not covering:
            rows.append(f"| {code} | {tool} | - | not checked; as a selector it selects nothing |")
            continue
        names = ", ".join(f"[{r.code}](rules/{r.code}-{r.name}.md) {r.name}" for r in covering)
        does = "; ".join(
            dict.fromkeys(fixes.get(r.fixability.value, "reports it (no automatic fix)") for r in covering)
        )
        rows.append(f"| {code} | {tool} | {names} | {does} |")
    return "\n".join(rows) + "\n"
