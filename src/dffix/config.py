"""Settings from `[tool.dffix]` in pyproject.toml or from `.dffix.toml`, and rule selection.

Loading returns `Settings | ConfigError` values; nothing here prints. The only I/O is
reading the config file itself, so a run can look settings up per Dockerfile folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence

from dffix.files import FileError
from dffix.lazy import lazy_re
from dffix.records import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from dffix.rules.base import Rule

PYPROJECT = "pyproject.toml"
DFFIX_TOML = ".dffix.toml"
# In one folder, the dedicated file wins over pyproject.toml (as ruff does with ruff.toml).
CONFIG_NAMES = (DFFIX_TOML, PYPROJECT)
TOP_LEVEL_KEYS = ("select", "ignore", "unsafe-fixes", "hadolint-config", "rules")
# hadolint's own config files, nearest folder first, then the user-level ones it reads.
HADOLINT_NAMES = (".hadolint.yaml", ".hadolint.yml")
# Every file name the searches for config files look for in a folder.
SEARCHED_NAMES = frozenset((*CONFIG_NAMES, *HADOLINT_NAMES))
HADOLINT_USER_FILES = (
    ("XDG_CONFIG_HOME", "hadolint.yaml"),
    ("HOME", ".config/hadolint.yaml"),
    ("HOME", ".hadolint/hadolint.yaml"),
    ("HOME", "hadolint/config.yaml"),
    ("HOME", ".hadolint.yaml"),
)


class ConfigError(FileError):
    """A config file dffix cannot use: which file, where (1-based, 0 when unknown), and why.

    The same record as a Dockerfile dffix cannot use, printed the same way.
    """

    __slots__ = ()


class Selection(NamedTuple):
    """One layer of rule selection: `select` replaces the set so far, `ignore` removes from it."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()


class Settings(NamedTuple):
    """What to check and fix: selection layers (config, then command line) and rule options."""

    selections: tuple[Selection, ...] = ()
    unsafe_fixes: bool = False
    rule_options: tuple[tuple[str, tuple[tuple[str, object], ...]], ...] = ()
    path: str | None = None  # the config file these came from, for messages
    hadolint_config: bool = True  # read `.hadolint.yaml`'s `ignored` when no `ignore` is set

    @property
    def sets_ignore(self) -> bool:
        """Return whether a selection layer of these settings has an `ignore` list."""
        return any(layer.ignore for layer in self.selections)

    def options_for(self, rule_name: str) -> dict[str, object]:
        """Return the configured options of one rule (only the keys the user set)."""
        for name, options in self.rule_options:
            if name == rule_name:
                return dict(options)
        return {}

    def with_overrides(
        self,
        select: Sequence[str] | None = None,
        ignore: Sequence[str] | None = None,
        unsafe_fixes: bool | None = None,
    ) -> Settings:
        """Return these settings with command-line flags layered on top."""
        selections = self.selections
        if select is not None or ignore:
            layer = Selection(tuple(select) if select is not None else None, tuple(ignore or ()))
            selections = (*selections, layer)
        unsafe = self.unsafe_fixes if unsafe_fixes is None else unsafe_fixes
        return self._replace(selections=selections, unsafe_fixes=unsafe)


# -- rule selection -------------------------------------------------------------


def _all_rules() -> tuple[type[Rule], ...]:
    from dffix.rules import ALL_RULES

    return ALL_RULES


def selected_rule_classes(settings: Settings) -> list[type[Rule]]:
    """Return the rule classes `settings` select, in registry order.

    The set starts with the rules enabled by default. Each layer (the config file,
    then the command line) with a `select` replaces the set with what it names, minus
    its own `ignore`; a layer with only `ignore` removes from the set so far.
    """
    rules = _all_rules()
    chosen = {r for r in rules if r.default_enabled}
    for layer in settings.selections:
        if layer.select is not None:
            chosen = {r for r in rules if any(r.matches(word) for word in layer.select)}
        chosen -= {r for r in rules if any(r.matches(word) for word in layer.ignore)}
    return [r for r in rules if r in chosen]


def rules_for(settings: Settings) -> list[Rule]:
    """Return instances of the selected rules, each built with its configured options."""
    return [cls(settings.options_for(cls.name)) for cls in selected_rule_classes(settings)]


def selector_error(word: str) -> str | None:
    """Return why `word` is not a rule selector (with a did-you-mean), or None when it is one.

    hadolint DL codes, ShellCheck SC codes and BuildKit check names are selectors even
    when no dffix rule covers them (see `selector_note`).
    """
    from dffix.compat import foreign, known_words

    if foreign(word) is not None:
        return None
    rules = _all_rules()
    if any(r.matches(word) for r in rules):
        return None
    known = [*(w for r in rules for w in (r.code, r.name, *r.aliases)), *known_words()]
    return f"unknown rule selector {word!r}{did_you_mean(word, known)}"


def selector_note(word: str) -> str | None:
    """Return what another tool's check name selects in dffix (for --verbose), or None
    when `word` is dffix's own."""
    from dffix.compat import foreign

    other = foreign(word)
    if other is None:
        return None
    found = [f"{r.code} {r.name}" for r in _all_rules() if r.matches(word)]
    if not found:
        return f"{other.tool} {other.code} is not checked by dffix; it selects nothing"
    return f"{other.tool} {other.code} selects {', '.join(found)}"


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """Return `; did you mean 'x'?` for the closest candidate, or an empty string."""
    import difflib

    by_lower = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return f"; did you mean {by_lower[close[0]]!r}?" if close else ""


# -- finding and reading config files -------------------------------------------


def find_config(
    start: str | os.PathLike[str],
    seen: dict[str, str | None] | None = None,
    listed: Mapping[str, frozenset[str]] | None = None,
) -> str | None:
    """Return the nearest config file in `start` or a folder above it, or None.

    A pyproject.toml counts only when it has a `[tool.dffix]` table. `seen` keeps what
    each folder looked at gave (one dict per run: folders share the ones above them).
    `listed` holds, for folders a search has read (by absolute path), which of
    SEARCHED_NAMES each has: only those are looked at on disk there.
    """
    return _nearest(os.path.abspath(start), CONFIG_NAMES, _is_config, {} if seen is None else seen, listed)


def _is_config(path: str, name: str) -> bool:
    return os.path.isfile(path) and (name != PYPROJECT or _mentions_dffix(path))


def _nearest(
    folder: str,
    names: tuple[str, ...],
    accept: Callable[[str, str], bool],
    seen: dict[str, str | None],
    listed: Mapping[str, frozenset[str]] | None = None,
) -> str | None:
    """Return the first of `names` that `accept` takes in `folder` or a folder above it.

    In a folder of `listed`, a name it does not hold is not looked for on disk.
    """
    walked: list[str] = []
    found: str | None = None
    while True:
        if folder in seen:
            found = seen[folder]
            break
        walked.append(folder)
        held = listed.get(folder) if listed is not None else None
        found = next(
            (
                path
                for name in names
                if (held is None or name in held) and accept(path := os.path.join(folder, name), name)
            ),
            None,
        )
        parent = os.path.dirname(folder)
        if found is not None or parent == folder:
            break
        folder = parent
    for below in walked:
        seen[below] = found
    return found


# Where TOML can spell the key `dffix` of a `tool.dffix` table: after a dot (`[tool.dffix]`,
# `tool.dffix.select = ...`, `["tool"."dffix"]`), or first on a line or in an inline table
# and followed by `=` or a dot (`dffix = {...}` under `[tool]`, `tool = { dffix = {...} }`).
# Not as a string: `dev = ["dffix>=0.1"]`, `["ruff", "dffix"]`.
_DFFIX_KEY = lazy_re(
    r"(?m)\.[ \t]*(?:dffix|\"dffix\"|'dffix')[ \t]*[.\]=]"
    r"|(?:^|[{,])[ \t]*(?:dffix|\"dffix\"|'dffix')[ \t]*[.=]"
)


def _mentions_dffix(path: str) -> bool:
    # A cheap text test first, so most pyproject.toml files are never TOML-parsed: the
    # parse imports tomllib and typing, a quarter of a `dffix -` run in a project whose
    # pyproject.toml names dffix as a dependency.
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return False
    if "dffix" not in text or not _DFFIX_KEY.search(text):
        return False
    document = _toml(text)
    tool = document.get("tool") if isinstance(document, dict) else None
    return isinstance(tool, dict) and "dffix" in tool


def load_settings(start: str | os.PathLike[str], config: str | None = None) -> Settings | ConfigError:
    """Return the settings for Dockerfiles in folder `start`, or for the file `config` when given.

    With no config file found, returns the default Settings. Returns a ConfigError
    for an unreadable file, invalid TOML, unknown keys or wrongly typed values.
    """
    if config is not None:
        return read_config(config)
    path = find_config(start)
    return Settings() if path is None else read_config(path)


def read_config(path: str | os.PathLike[str], shown: str | None = None) -> Settings | ConfigError:
    """Return the settings in one config file (pyproject.toml or .dffix.toml style by name).

    `shown` is how messages name the file (default: `path` as given).
    """
    shown = os.fspath(path) if shown is None else shown
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8")
    except OSError as exc:
        return ConfigError(shown, f"cannot read config file: {(exc.strerror or str(exc)).lower()}")
    except UnicodeDecodeError:
        return ConfigError(shown, "config file is not UTF-8")
    document = _toml(text)
    if isinstance(document, tuple):
        message, line, col = document
        return ConfigError(shown, f"invalid TOML: {message}", line, col)
    if os.path.basename(path) == PYPROJECT:
        tool = document.get("tool")
        if not isinstance(tool, dict) or "dffix" not in tool:
            return Settings(path=shown)
        return settings_from_table(tool["dffix"], shown, "[tool.dffix]")
    return settings_from_table(document, shown, "")


def _toml(text: str) -> dict[str, object] | tuple[str, int, int]:
    """Return the parsed TOML document, or (message, line, col) when it is invalid."""
    import re
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"^(.*) \(at line (\d+), column (\d+)\)$", str(exc))
        if m is None:
            return str(exc), 0, 0
        return m.group(1), int(m.group(2)), int(m.group(3))


# -- validating a table ---------------------------------------------------------


class _Invalid(Exception):
    """Internal: carries a ConfigError out of nested validation helpers."""

    def __init__(self, error: ConfigError) -> None:
        super().__init__(error.message)
        self.error = error


def settings_from_table(table: object, path: str, where: str) -> Settings | ConfigError:
    """Return Settings from the dffix table of a config file, or the first problem found.

    `where` names the table in messages (`[tool.dffix]`, or empty for .dffix.toml).
    """
    try:
        return _settings(table, path, where)
    except _Invalid as invalid:
        return invalid.error


def _settings(table: object, path: str, where: str) -> Settings:
    prefix = f"{where} " if where else ""

    def fail(message: str) -> _Invalid:
        return _Invalid(ConfigError(path, prefix + message))

    if not isinstance(table, dict):
        raise fail("must be a table")
    for key in table:
        if key not in TOP_LEVEL_KEYS:
            raise fail(f"unknown key {key!r}{did_you_mean(key, TOP_LEVEL_KEYS)}")
    unsafe = table.get("unsafe-fixes", False)
    if not isinstance(unsafe, bool):
        raise fail(f"'unsafe-fixes' must be true or false, not {_kind(unsafe)}")
    hadolint = table.get("hadolint-config", True)
    if not isinstance(hadolint, bool):
        raise fail(f"'hadolint-config' must be true or false, not {_kind(hadolint)}")
    select = _selectors(table, "select", fail)
    ignore = _selectors(table, "ignore", fail) or ()
    rules_table = f"{where[:-1]}.rules]" if where else "[rules]"
    options = _rule_options(table.get("rules", {}), path, rules_table)
    layers = (Selection(select, ignore),) if select is not None or ignore else ()
    return Settings(layers, unsafe, options, path, hadolint)


def _selectors(
    table: Mapping[str, object], key: str, fail: Callable[[str], _Invalid]
) -> tuple[str, ...] | None:
    if key not in table:
        return None
    value = table[key]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise fail(f"{key!r} must be a list of rule selectors (strings)")
    for word in value:
        problem = selector_error(word)
        if problem:
            raise fail(f"{key!r}: {problem}")
    return tuple(value)


def _rule_options(
    value: object, path: str, table_name: str
) -> tuple[tuple[str, tuple[tuple[str, object], ...]], ...]:
    if not isinstance(value, dict):
        raise _Invalid(ConfigError(path, f"{table_name} must be a table of rule names"))
    by_name = {r.name: r for r in _all_rules()}
    found: list[tuple[str, tuple[tuple[str, object], ...]]] = []
    for name, options in value.items():
        rule = by_name.get(name)
        if rule is None:
            raise _Invalid(ConfigError(path, f"{table_name} unknown rule {name!r}{_rule_hint(name)}"))
        found.append((name, _checked_options(rule, options, path, f"{table_name[:-1]}.{name}]")))
    return tuple(found)


def _rule_hint(word: str) -> str:
    # Options are keyed by rule name; point from a code or alias to the name.
    for rule in _all_rules():
        if word.upper() in (rule.code.upper(), *(a.upper() for a in rule.aliases)):
            return f"; options are keyed by rule name: did you mean {rule.name!r}?"
    return did_you_mean(word, [r.name for r in _all_rules()])


def _checked_options(
    rule: type[Rule], options: object, path: str, table_name: str
) -> tuple[tuple[str, object], ...]:
    def fail(message: str) -> _Invalid:
        return _Invalid(ConfigError(path, f"{table_name} {message}"))

    if not isinstance(options, dict):
        raise fail("must be a table of options")
    checked: list[tuple[str, object]] = []
    for key, value in options.items():
        if key not in rule.option_defaults:
            known = list(rule.option_defaults)
            hint = did_you_mean(key, known) if known else f"; {rule.name} has no options"
            raise fail(f"unknown option {key!r}{hint}")
        default = rule.option_defaults[key]
        converted = _like(default, value)
        if converted is None or (key == "gid" and not isinstance(value, int)):
            raise fail(f"{key!r} must be {_kind(default if default is not None else 0)}, not {_kind(value)}")
        problem = _bad_value(key, converted)
        if problem:
            raise fail(f"{key!r} must be {problem}, not {value!r}")
        checked.append((key, converted))
    return tuple(checked)


# Values an option takes beyond its type, by option key: a value the rule cannot use is
# a config error (the run stops, nothing is written), not a fix that silently goes away.
_CHOICES: dict[str, tuple[str, ...]] = {"cache-style": ("clean", "mount")}
_IDS = ("uid", "gid")  # a user or group ID the fix writes into useradd/adduser
_USER_NAME = r"[a-z_][a-z0-9_-]{0,31}"  # what useradd and busybox adduser accept


def _bad_value(key: str, value: object) -> str | None:
    """Return what `key` must be when `value` (already of the right type) is not allowed."""
    import re

    if key in _CHOICES and value not in _CHOICES[key]:
        return "one of " + ", ".join(repr(c) for c in _CHOICES[key])
    if key in _IDS and isinstance(value, int) and not 1 <= value < 2**31:
        return "a number from 1 to 2147483647"
    if key == "user" and isinstance(value, str) and not re.fullmatch(_USER_NAME, value):
        return "a user name (lower-case letters, digits, _ and -, starting with a letter or _)"
    return None


def _like(default: object, value: object) -> object | None:
    """Return `value` as the type of `default`, or None when it is of another kind."""
    if default is None:
        return value
    if isinstance(default, bool) or isinstance(value, bool):
        return value if isinstance(default, bool) and isinstance(value, bool) else None
    if isinstance(default, (list, tuple, frozenset, set)):
        return type(default)(value) if isinstance(value, list) else None
    if isinstance(default, float) and isinstance(value, int):
        return float(value)
    return value if isinstance(value, type(default)) else None


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple, set, frozenset)):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


# -- hadolint's config ------------------------------------------------------------


def find_hadolint_config(
    start: str | os.PathLike[str],
    seen: dict[str, str | None] | None = None,
    listed: Mapping[str, frozenset[str]] | None = None,
) -> str | None:
    """Return hadolint's config file for Dockerfiles in `start`, or None.

    The nearest `.hadolint.yaml` (or `.yml`) in `start` or a folder above it, else the
    first of hadolint's user-level files that exists. `seen` and `listed` as for
    find_config.
    """
    seen = {} if seen is None else seen
    near = _nearest(os.path.abspath(start), HADOLINT_NAMES, _is_file, seen, listed)
    if near is not None:
        return near
    # The user-level answer is the same for every folder: one run looks once (five
    # stat calls a folder were a third of a corpus run's config search). Folders are
    # absolute paths, so the empty key is free.
    if "" not in seen:
        seen[""] = _user_hadolint_config()
    return seen[""]


def _user_hadolint_config() -> str | None:
    for variable, rel in HADOLINT_USER_FILES:
        base = os.environ.get(variable)
        if base and os.path.isfile(os.path.join(base, rel)):
            return os.path.join(base, rel)
    return None


def _is_file(path: str, name: str) -> bool:
    return os.path.isfile(path)


_IGNORED_KEY = lazy_re(r"ignored\s*:(.*)$")  # `.hadolint.yaml`: the `ignored:` key


def read_hadolint_ignored(path: str, shown: str | None = None) -> tuple[str, ...] | ConfigError:
    """Return the `ignored` list of a hadolint config file (empty when it has none).

    Only that key is read, from its YAML block or flow list, without a YAML library;
    anything else in the file is hadolint's business. A list dffix cannot read is a
    ConfigError naming the line.
    """

    shown = path if shown is None else shown
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        return ConfigError(shown, f"cannot read hadolint config: {exc}")
    for number, line in enumerate(lines, 1):
        m = _IGNORED_KEY.match(line)
        if m is None:
            continue
        inline = _yaml_uncomment(m.group(1)).strip()
        if inline:
            if not (inline.startswith("[") and inline.endswith("]")):
                return ConfigError(shown, "'ignored' must be a list of rule codes", number, 1)
            return tuple(w for w in (_yaml_scalar(x) for x in inline[1:-1].split(",")) if w)
        words: list[str] = []
        for item in lines[number:]:
            body = _yaml_uncomment(item)
            if not body.strip():
                continue
            stripped = body.lstrip()
            if not stripped.startswith("-") or (body == stripped and not stripped.startswith("- ")):
                break
            words.append(_yaml_scalar(stripped[1:]))
        return tuple(w for w in words if w)
    return ()


def _yaml_uncomment(text: str) -> str:
    # A `#` after a blank starts a comment; codes never hold one.
    return text.split(" #", 1)[0] if not text.lstrip().startswith("#") else ""


def _yaml_scalar(text: str) -> str:
    return text.strip().strip("'\"").strip()
