"""Before/after fixture pairs per rule, found on disk.

    fixtures/rules/<CODE>-<name>/<case>.before.Dockerfile   input
    fixtures/rules/<CODE>-<name>/<case>.after.Dockerfile    expected output (absent: unchanged)
    fixtures/rules/<CODE>-<name>/<case>.toml                optional settings for this case

The `.toml` keys: `unsafe-fixes = true`, `select = ["DF201", ...]` (default: only the
folder's rule) and `[rules.<rule-name>] <option> = value`. Files are compared as bytes.
`pytest --update-fixtures` rewrites the `.after` files from the current output.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest

from dffix.edits import Applicability
from dffix.facts import BuildContext
from dffix.fixer import FixResult, fix
from dffix.rules import ALL_RULES, Rule
from dffix.syntax import ParseError
from tests.corpus import decode

RULE_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"
BEFORE, AFTER, SETTINGS, CONTEXT = ".before.Dockerfile", ".after.Dockerfile", ".toml", ".context"
KNOWN_KEYS = frozenset({"unsafe-fixes", "select", "rules"})


@dataclass(frozen=True)
class Case:
    """One fixture case: the rule folder, the case name and its files."""

    folder: Path
    name: str

    @property
    def before(self) -> Path:
        return self.folder / f"{self.name}{BEFORE}"

    @property
    def after(self) -> Path:
        return self.folder / f"{self.name}{AFTER}"

    @property
    def settings(self) -> Path:
        return self.folder / f"{self.name}{SETTINGS}"

    @property
    def context(self) -> Path:
        """A folder standing for the build context of the case (optional)."""
        return self.folder / f"{self.name}{CONTEXT}"

    @property
    def code(self) -> str:
        return self.folder.name.split("-", 1)[0]


@dataclass(frozen=True)
class CaseSettings:
    """What a case's `.toml` asks for."""

    level: Applicability = Applicability.SAFE
    select: tuple[str, ...] = ()
    options: Mapping[str, Mapping[str, object]] = field(default_factory=dict)


def discover(root: Path = RULE_FIXTURES) -> list[Case]:
    """Return every case under `root`, sorted by folder then case name."""
    return [
        Case(p.parent, p.name.removesuffix(BEFORE)) for p in sorted(root.glob(f"*/*{BEFORE}")) if p.is_file()
    ]


def read_settings(text: str) -> CaseSettings:
    """Read a case's TOML; raise ValueError naming an unknown or mistyped key."""
    data: dict[str, Any] = tomllib.loads(text)
    unknown = set(data) - KNOWN_KEYS
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}; known: {sorted(KNOWN_KEYS)}")
    unsafe = data.get("unsafe-fixes", False)
    select = data.get("select", [])
    options = data.get("rules", {})
    if not isinstance(unsafe, bool):
        raise ValueError("unsafe-fixes must be true or false")
    if not isinstance(select, list) or not all(isinstance(s, str) for s in select):
        raise ValueError("select must be a list of strings")
    if not isinstance(options, dict) or not all(isinstance(v, dict) for v in options.values()):
        raise ValueError("rules must be tables: [rules.<rule-name>]")
    level = Applicability.UNSAFE if unsafe else Applicability.SAFE
    return CaseSettings(level, tuple(select), options)


def rules_for(code: str, settings: CaseSettings) -> list[Rule]:
    """Return rule instances: the selected ones (default: the folder's), with options."""
    selectors = settings.select or (code,)
    classes = [r for r in ALL_RULES if any(r.matches(s) for s in selectors)]
    if not classes:
        raise ValueError(f"no rule in ALL_RULES matches {list(selectors)}")
    by_name = {r.name: r for r in ALL_RULES}
    for name, opts in settings.options.items():
        if name not in by_name:
            raise ValueError(f"[rules.{name}]: no such rule")
        unknown = set(opts) - set(by_name[name].option_defaults)
        if unknown:
            raise ValueError(f"[rules.{name}]: unknown options {sorted(unknown)}")
    return [r(settings.options.get(r.name)) for r in classes]


def run_case(case: Case) -> tuple[FixResult, CaseSettings]:
    settings = read_settings(case.settings.read_text()) if case.settings.exists() else CaseSettings()
    rules = rules_for(case.code, settings)
    # Rules that look at files beside the Dockerfile see `<case>.context/` when it exists.
    context = BuildContext(case.context) if case.context.is_dir() else None
    result = fix(decode(case.before.read_bytes()), rules, settings.level, context)
    assert not isinstance(result, ParseError), f"{case.before.name} does not parse: {result}"
    assert not result.bugs, result.bugs
    again = fix(result.text, rules, settings.level, context)
    assert not isinstance(again, ParseError), f"output does not parse: {again}"
    assert again.text == result.text, "fixing the output again changes it"
    return result, settings


def update(case: Case, output: bytes) -> None:
    """Write `output` as the case's `.after` file; remove it when nothing changed."""
    if output != case.before.read_bytes():
        case.after.write_bytes(output)
    elif case.after.exists():
        case.after.unlink()


CASES = discover()
FOLDERS = sorted(p for p in RULE_FIXTURES.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", [pytest.param(c, id=f"{c.folder.name}/{c.name}") for c in CASES])
def test_fixture(case: Case, update_fixtures: bool) -> None:
    result, _ = run_case(case)
    before = case.before.read_bytes()
    output = result.text.encode("utf-8", "surrogateescape")
    if update_fixtures:
        update(case, output)
        return
    expected = case.after.read_bytes() if case.after.exists() else before
    assert output == expected
    if case.after.exists():
        assert expected != before, f"{case.after.name} equals the input: delete it"


def test_fixtures_exist() -> None:
    assert any(c.code == "DF201" for c in CASES)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_fixture_folder_names_a_rule(folder: Path) -> None:
    code, _, name = folder.name.partition("-")
    matches = [r for r in ALL_RULES if r.code == code]
    assert matches, f"{folder.name}: no rule {code} in ALL_RULES"
    assert matches[0].name == name, f"{folder.name}: rule {code} is called {matches[0].name}"


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_fixture_files_belong_to_a_case(folder: Path) -> None:
    cases = {c.name for c in discover(folder.parent) if c.folder == folder}
    for path in folder.iterdir():
        name = path.name
        for suffix in (BEFORE, AFTER, SETTINGS, CONTEXT):
            if name.endswith(suffix):
                assert name.removesuffix(suffix) in cases, f"{name} has no {BEFORE} file"
                break
        else:
            pytest.fail(f"{name}: expected <case>{BEFORE}, {AFTER}, {SETTINGS} or {CONTEXT}/")


# -- the settings reader itself ---------------------------------------------------


def test_settings_defaults() -> None:
    assert read_settings("") == CaseSettings()


def test_settings_all_keys() -> None:
    text = 'unsafe-fixes = true\nselect = ["DF2", "add-for-local-files"]\n[rules.add-for-local-files]\n'
    settings = read_settings(text)
    assert settings.level is Applicability.UNSAFE
    assert settings.select == ("DF2", "add-for-local-files")
    assert settings.options == {"add-for-local-files": {}}
    codes = [r.code for r in rules_for("DF999", settings)]
    assert "DF201" in codes
    assert all(c.startswith("DF2") for c in codes)


def test_select_replaces_the_folders_rule() -> None:
    settings = read_settings('select = ["add-for-local-files"]')
    assert [r.code for r in rules_for("DF301", settings)] == ["DF201"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("unsafe_fixes = true", "unknown keys", id="misspelt key"),
        pytest.param('unsafe-fixes = "yes"', "true or false", id="not a bool"),
        pytest.param('select = "DF201"', "list of strings", id="select not a list"),
        pytest.param("rules = 1", "tables", id="rules not a table"),
    ],
)
def test_settings_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_settings(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param('select = ["DF999"]', "no rule in ALL_RULES", id="unknown selector"),
        pytest.param("[rules.no-such-rule]\nx = 1", "no such rule", id="unknown rule"),
        pytest.param("[rules.add-for-local-files]\nx = 1", "unknown options", id="unknown option"),
    ],
)
def test_settings_rule_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rules_for("DF201", read_settings(text))


def test_default_rule_is_the_folders() -> None:
    assert [r.code for r in rules_for("DF201", CaseSettings())] == ["DF201"]


class WithOption(Rule):
    code = "DF998"
    name = "with-option"
    message = "m"
    option_defaults: ClassVar[Mapping[str, object]] = {"limit": 1, "mode": "a"}


def test_settings_options_reach_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tests.test_fixtures.ALL_RULES", (*ALL_RULES, WithOption))
    settings = read_settings('select = ["DF998"]\n[rules.with-option]\nlimit = 3\n')
    [rule] = rules_for("DF201", settings)
    assert isinstance(rule, WithOption)
    assert rule.options == {"limit": 3, "mode": "a"}


def test_update_writes_and_removes_after_files(tmp_path: Path) -> None:
    folder = tmp_path / "DF201-add-for-local-files"
    folder.mkdir()
    (folder / f"x{BEFORE}").write_bytes(b"FROM a\r\nADD a /b\r\n")
    [case] = discover(tmp_path)
    update(case, b"FROM a\r\nCOPY a /b\r\n")
    assert case.after.read_bytes() == b"FROM a\r\nCOPY a /b\r\n"
    update(case, case.before.read_bytes())
    assert not case.after.exists()
