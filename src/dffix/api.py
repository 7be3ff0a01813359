"""The engine's one entrance: settings for a path, fix a text, check a text.

The command line (`dffix.entry`), the language server (`dffix.server`) and the tests
all come through here, so they find the same config files, build the same rule set
and give the same answer for the same text. Everything here is pure but the config
lookup, which reads files; nothing prints and nothing imports typer.

The small records are NamedTuples: as immutable and typed as frozen dataclasses, and
cheaper to define on every start of the command.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

from dffix.config import (
    ConfigError,
    Selection,
    Settings,
    find_config,
    find_hadolint_config,
    read_config,
    read_hadolint_ignored,
    rules_for,
    selector_error,
    selector_note,
)
from dffix.edits import Applicability
from dffix.facts import BuildContext
from dffix.files import MAX_BYTES, FileError
from dffix.records import TYPE_CHECKING, NamedTuple
from dffix.syntax import ParseError, parse

if TYPE_CHECKING:
    from dffix.rules.base import Rule, Violation
    from dffix.syntax.tree import Dockerfile

# dffix.fixer imports the rule registry (every rule module): loaded on first use, so
# `dffix --version` and a server's `initialize` load no rule.

# Markers after a --check diagnostic (documented in docs/user-guide.md).
MARK_SAFE = "[*]"  # `dffix PATH` fixes it
MARK_UNSAFE = "[~]"  # `dffix --unsafe-fixes PATH` fixes it
MARK_NONE = "[-]"  # no automatic fix: needs a person


class RuleSet(NamedTuple):
    """The rules for one file and the fix level its settings ask for."""

    rules: tuple[Rule, ...]
    level: Applicability


class Overrides(NamedTuple):
    """Settings given on top of the config file: command-line flags, editor settings."""

    select: tuple[str, ...] | None = None  # None: as the config says
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool | None = None  # None: as the config says
    config: str | None = None  # use this config file instead of searching


class Fixed(NamedTuple):
    """The result of fixing one text."""

    text: str
    fixes: int  # fixes applied
    unsafe_left: int  # fixes left that --unsafe-fixes would apply
    manual_left: int  # problems left with no automatic fix
    bugs: tuple[str, ...]  # dffix bugs, as messages
    applied: tuple[Violation, ...] = ()  # the fixes made, for --show-fixes
    remaining: tuple[Violation, ...] = ()  # the problems of `text`, for reports


class Diagnostic(NamedTuple):
    """One problem to print in --check mode (1-based line and column)."""

    line: int
    col: int
    code: str
    message: str
    marker: str


# -- settings -------------------------------------------------------------------


def config_files(
    folder: str,
    config: str | None = None,
    seen: tuple[dict[str, str | None], dict[str, str | None]] | None = None,
    listed: Mapping[str, frozenset[str]] | None = None,
) -> tuple[str | None, str | None]:
    """Return the dffix config file and the `.hadolint.yaml` that apply to files in `folder`.

    `config` (a path given by the user) wins over searching; either may be None. `seen`
    is one run's memory of the folders looked at (dffix's, hadolint's): files found in
    many folders share the searches of the folders above them. `listed` is what a folder
    search saw of the config names in each folder it read (files.Listing.found).
    """
    ours, hadolint = ({}, {}) if seen is None else seen
    return (config or find_config(folder, ours, listed), find_hadolint_config(folder, hadolint, listed))


def load_rule_set(
    path: str | None,
    hadolint: str | None,
    overrides: Overrides | None = None,
    note: Callable[[str], None] | None = None,
    shown: Callable[[str], str] = str,
) -> RuleSet | ConfigError:
    """Return the rules from config file `path` (None: defaults) with `overrides` on top.

    `hadolint` is a `.hadolint.yaml` whose `ignored` list counts while the dffix config
    has no `ignore`. `note` receives the lines `--verbose` prints; `shown` turns a path
    into the name messages use. Returns the ConfigError of a file that cannot be used.
    """
    overrides = overrides or Overrides()
    settings = Settings() if path is None else read_config(path, shown(path))
    if isinstance(settings, ConfigError):
        return settings
    if note is not None and path is not None:
        note(f"note: using config {shown(path)}")
    if hadolint is not None and settings.hadolint_config and not settings.sets_ignore:
        # A project moving from hadolint keeps its ignore list until dffix's config has one.
        ignored = read_hadolint_ignored(hadolint, shown(hadolint))
        if isinstance(ignored, ConfigError):
            return ignored
        known = tuple(word for word in ignored if not selector_error(word))
        if note is not None:
            note(f"note: using 'ignored' of {shown(hadolint)}: {', '.join(known) or 'empty'}")
        if known:
            settings = settings._replace(selections=(*settings.selections, Selection(None, known)))
    if note is not None:
        for layer in settings.selections:
            for word in (*(layer.select or ()), *layer.ignore):
                if found := selector_note(word):
                    note(f"note: {found}")
    settings = settings.with_overrides(overrides.select, overrides.ignore, overrides.unsafe_fixes)
    level = Applicability.UNSAFE if settings.unsafe_fixes else Applicability.SAFE
    return RuleSet(tuple(rules_for(settings)), level)


def rule_set_for(path: str | None, overrides: Overrides | None = None) -> RuleSet | ConfigError:
    """Return the rules for the Dockerfile at `path`, found as the command line finds them.

    The nearest `.dffix.toml` or `pyproject.toml` with `[tool.dffix]` (or
    `overrides.config`) and `.hadolint.yaml` above the file's folder apply; None for a
    text with no file (the working folder). Returns a ConfigError for a bad config file
    or a selector that names no rule.
    """
    overrides = overrides or Overrides()
    for word in (*(overrides.select or ()), *overrides.ignore):
        problem = selector_error(word)
        if problem:
            return ConfigError(overrides.config or "settings", problem)
    folder = folder_of(path) if path else os.getcwd()
    return load_rule_set(*config_files(folder, overrides.config), overrides)


def folder_of(path: str) -> str:
    """Return the folder a file is in (`.` for a bare file name)."""
    return os.path.dirname(path) or "."


def build_context(path: str | None) -> BuildContext | None:
    """Return the build context of the Dockerfile at `path`: its folder (None without a path)."""
    if not path:
        return None
    return BuildContext(folder_of(path), os.path.basename(path))


# -- fix and check: one text in, what to report out -----------------------------


def text_error(text: str, shown: str) -> FileError | None:
    """Return why a text from an editor is not one dffix works on, as `dffix -` would say.

    A NUL character means a binary file (with the line and column of the first one); a
    text over MAX_BYTES is not read. None for a text dffix takes.
    """
    nul = text.find("\0")
    if nul >= 0:
        line_start = text.rfind("\n", 0, nul) + 1
        message = "NUL byte: this looks like a binary file, not a Dockerfile"
        return FileError(shown, message, text.count("\n", 0, nul) + 1, nul - line_start + 1)
    if len(text) > MAX_BYTES // 4 and len(text.encode("utf-8", "surrogateescape")) > MAX_BYTES:
        return FileError(shown, f"larger than {MAX_BYTES >> 20} MiB; not read")
    return None


def fix_text(
    text: str,
    rule_set: RuleSet,
    context: BuildContext | None = None,
    checked: tuple[Dockerfile, list[Violation]] | None = None,
) -> Fixed | ParseError:
    """Return the fixed text and what is left, or the ParseError of the input.

    `context` is the Dockerfile's folder, for rules that look at files beside it. The
    text is the one `dffix -` prints for the same input and settings. `checked` is
    `text` parsed and checked already with these rules and context (saves a pass).
    """
    from dffix.fixer import fix

    result = fix(text, rule_set.rules, rule_set.level, context, checked)
    if isinstance(result, ParseError):
        return result
    left = [v for v in result.remaining if applicability(v) < rule_set.level]
    unsafe_left = sum(1 for v in left if applicability(v) is Applicability.UNSAFE)
    bugs = tuple(_bug_text(b.message, b.codes) for b in result.bugs)
    return Fixed(
        result.text,
        len(result.applied),
        unsafe_left,
        len(left) - unsafe_left,
        bugs,
        result.applied,
        result.remaining,
    )


def _bug_text(message: str, codes: tuple[str, ...]) -> str:
    # Name the rules involved, unless the message already does.
    if all(code in message for code in codes):
        return message
    return f"{message} ({', '.join(codes)})"


def check_text(
    text: str, rule_set: RuleSet, context: BuildContext | None = None
) -> list[Diagnostic] | ParseError:
    """Return the problems in `text` as written (not after fixing), or its ParseError."""
    violations = check_violations(text, rule_set, context)
    if isinstance(violations, ParseError):
        return violations
    return [Diagnostic(*line_col(text, v.span.start), v.code, v.message, marker(v)) for v in violations]


def check_violations(
    text: str, rule_set: RuleSet, context: BuildContext | None = None
) -> list[Violation] | ParseError:
    """Return the violations in `text` as written, in file order, or its ParseError."""
    df = parse(text)
    if isinstance(df, ParseError):
        return df
    from dffix.fixer import check

    return check(df, rule_set.rules, context)


def severities(rules: Sequence[Rule]) -> dict[str, str]:
    """Return each rule's severity by code: "error" (BuildKit refuses it) or "warning"."""
    return {rule.code: rule.severity for rule in rules}


def line_col(text: str, offset: int) -> tuple[int, int]:
    """Return the 1-based line and column of `offset`; a UTF-8 BOM is not a column."""
    line_start = text.rfind("\n", 0, offset) + 1
    col = offset - line_start + 1
    if line_start == 0 and text.startswith("\ufeff") and offset > 0:
        col -= 1
    return text.count("\n", 0, offset) + 1, col


def marker(v: Violation) -> str:
    """Return the --check marker saying whether and how `v` can be fixed."""
    level = applicability(v)
    if level is Applicability.SAFE:
        return MARK_SAFE
    return MARK_UNSAFE if level is Applicability.UNSAFE else MARK_NONE


def applicability(v: Violation) -> Applicability:
    """Return how sure the fix of `v` is; a violation without a fix is display-only."""
    return v.fix.applicability if v.fix is not None else Applicability.DISPLAY_ONLY
