"""Config files: finding, reading, validating, and which rules a Settings selects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

import dffix.rules
from dffix.config import (
    ConfigError,
    Selection,
    Settings,
    find_config,
    find_hadolint_config,
    load_settings,
    read_config,
    rules_for,
    selected_rule_classes,
    selector_error,
    settings_from_table,
)
from dffix.facts import Facts
from dffix.rules.base import Fixability, Rule, Violation
from dffix.rules.copy import AddForLocalFiles
from dffix.syntax import Dockerfile


class TabWidth(Rule):
    """A rule with options, off by default, for these tests only."""

    code = "DF901"
    name = "tab-width"
    message = "tabs"
    fixability = Fixability.NEVER
    aliases = ("DL9901",)
    default_enabled = False
    option_defaults: ClassVar[dict[str, object]] = {"width": 4, "strict": False, "allowed": ()}

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        yield from ()


@pytest.fixture
def with_tab_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dffix.rules, "ALL_RULES", (AddForLocalFiles, TabWidth))


def codes(settings: Settings) -> list[str]:
    return [r.code for r in selected_rule_classes(settings)]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# -- validation -----------------------------------------------------------------


def test_table_with_every_key() -> None:
    table = {"select": ["DF2"], "ignore": ["DL3020"], "unsafe-fixes": True, "rules": {}}
    settings = settings_from_table(table, "pyproject.toml", "[tool.dffix]")
    assert settings == Settings((Selection(("DF2",), ("DL3020",)),), True, (), "pyproject.toml")


def test_empty_table_gives_defaults() -> None:
    assert settings_from_table({}, "x.toml", "") == Settings(path="x.toml")


def test_unknown_key_suggests_the_close_one() -> None:
    error = settings_from_table({"selct": ["DF201"]}, "pyproject.toml", "[tool.dffix]")
    assert error == ConfigError("pyproject.toml", "[tool.dffix] unknown key 'selct'; did you mean 'select'?")


def test_unknown_key_without_a_close_match_has_no_suggestion() -> None:
    error = settings_from_table({"colour": True}, ".dffix.toml", "")
    assert error == ConfigError(".dffix.toml", "unknown key 'colour'")


def test_unknown_selector_suggests_a_rule() -> None:
    error = settings_from_table({"ignore": ["DF2O1"]}, "p", "[tool.dffix]")
    assert isinstance(error, ConfigError)
    assert error.message == "[tool.dffix] 'ignore': unknown rule selector 'DF2O1'; did you mean 'DF201'?"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        pytest.param(
            {"select": "DF201"}, "'select' must be a list of rule selectors (strings)", id="select string"
        ),
        pytest.param(
            {"ignore": [1]}, "'ignore' must be a list of rule selectors (strings)", id="ignore numbers"
        ),
        pytest.param(
            {"unsafe-fixes": "yes"}, "'unsafe-fixes' must be true or false, not a string", id="unsafe"
        ),
        pytest.param({"rules": ["x"]}, "[rules] must be a table of rule names", id="rules list"),
    ],
)
def test_wrongly_typed_values(table: dict[str, object], message: str) -> None:
    assert settings_from_table(table, "f", "") == ConfigError("f", message)


@pytest.mark.usefixtures("with_tab_width")
def test_rule_options_are_kept_and_converted() -> None:
    table = {"rules": {"tab-width": {"width": 2, "allowed": ["a"]}}}
    settings = settings_from_table(table, "f", "[tool.dffix]")
    assert isinstance(settings, Settings)
    assert settings.options_for("tab-width") == {"width": 2, "allowed": ("a",)}


@pytest.mark.usefixtures("with_tab_width")
@pytest.mark.parametrize(
    ("rules", "message"),
    [
        pytest.param(
            {"tab-widht": {}},
            "[tool.dffix.rules] unknown rule 'tab-widht'; did you mean 'tab-width'?",
            id="misspelt rule",
        ),
        pytest.param(
            {"DF901": {}},
            "[tool.dffix.rules] unknown rule 'DF901'; options are keyed by rule name:"
            " did you mean 'tab-width'?",
            id="code instead of name",
        ),
        pytest.param(
            {"tab-width": {"widht": 2}},
            "[tool.dffix.rules.tab-width] unknown option 'widht'; did you mean 'width'?",
            id="misspelt option",
        ),
        pytest.param(
            {"add-for-local-files": {"width": 2}},
            "[tool.dffix.rules.add-for-local-files] unknown option 'width';"
            " add-for-local-files has no options",
            id="rule without options",
        ),
        pytest.param(
            {"tab-width": {"width": "2"}},
            "[tool.dffix.rules.tab-width] 'width' must be a number, not a string",
            id="string for number",
        ),
        pytest.param(
            {"tab-width": {"width": True}},
            "[tool.dffix.rules.tab-width] 'width' must be a number, not a boolean",
            id="boolean for number",
        ),
        pytest.param(
            {"tab-width": {"strict": 1}},
            "[tool.dffix.rules.tab-width] 'strict' must be a boolean, not a number",
            id="number for boolean",
        ),
    ],
)
def test_bad_rule_options(rules: dict[str, object], message: str) -> None:
    assert settings_from_table({"rules": rules}, "f", "[tool.dffix]") == ConfigError("f", message)


def test_config_error_text_names_file_and_place() -> None:
    assert str(ConfigError("a/pyproject.toml", "bad")) == "a/pyproject.toml: error: bad"
    assert str(ConfigError(".dffix.toml", "bad", 3, 7)) == ".dffix.toml:3:7: error: bad"


# -- selection ------------------------------------------------------------------


@pytest.mark.usefixtures("with_tab_width")
@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        pytest.param(Settings(), ["DF201"], id="default is rules on by default"),
        pytest.param(
            Settings((Selection(("ALL",)),)), ["DF201", "DF901"], id="ALL adds rules off by default"
        ),
        pytest.param(Settings((Selection(("DF9",)),)), ["DF901"], id="select replaces the default set"),
        pytest.param(Settings((Selection(("tab-width",)),)), ["DF901"], id="by name"),
        pytest.param(Settings((Selection(("dl9901",)),)), ["DF901"], id="by alias in any case"),
        pytest.param(Settings((Selection(None, ("DF201",)),)), [], id="ignore removes"),
        pytest.param(Settings((Selection(("ALL",), ("DF9",)),)), ["DF201"], id="ignore wins within a layer"),
    ],
)
def test_selection(settings: Settings, expected: list[str]) -> None:
    assert codes(settings) == expected


@pytest.mark.usefixtures("with_tab_width")
def test_command_line_select_replaces_the_config_selection() -> None:
    config = Settings((Selection(("ALL",), ("DF201",)),))
    assert codes(config) == ["DF901"]
    assert codes(config.with_overrides(select=["DF201"])) == ["DF201"]


@pytest.mark.usefixtures("with_tab_width")
def test_command_line_ignore_removes_from_the_config_selection() -> None:
    config = Settings((Selection(("ALL",)),))
    assert codes(config.with_overrides(ignore=["DF901"])) == ["DF201"]


def test_command_line_unsafe_flag_overrides_config() -> None:
    assert Settings(unsafe_fixes=True).with_overrides(unsafe_fixes=False).unsafe_fixes is False
    assert Settings().with_overrides(unsafe_fixes=True).unsafe_fixes is True
    assert Settings(unsafe_fixes=True).with_overrides().unsafe_fixes is True


@pytest.mark.usefixtures("with_tab_width")
def test_rules_for_builds_rules_with_their_options() -> None:
    settings = Settings((Selection(("DF901",)),), rule_options=(("tab-width", (("width", 8),)),))
    [rule] = rules_for(settings)
    assert isinstance(rule, TabWidth)
    assert rule.options == {"width": 8, "strict": False, "allowed": ()}


def test_selector_error() -> None:
    assert selector_error("DF201") is None
    assert selector_error("all") is None
    assert selector_error("add-for-local-file") == (
        "unknown rule selector 'add-for-local-file'; did you mean 'add-for-local-files'?"
    )
    assert selector_error("XYZ") == "unknown rule selector 'XYZ'"


# -- files ----------------------------------------------------------------------


def test_nearest_config_wins(tmp_path: Path) -> None:
    write(tmp_path / ".dffix.toml", "select = ['DF2']\n")
    inner = write(tmp_path / "svc" / "api" / "pyproject.toml", "[tool.dffix]\nignore = ['DF201']\n")
    assert find_config(tmp_path / "svc" / "api") == str(inner)
    assert find_config(tmp_path / "svc") == str(tmp_path / ".dffix.toml")


def test_one_run_shares_the_searches_of_the_folders_above(tmp_path: Path) -> None:
    # A run over many folders passes the same `seen` to every search: each answer must
    # be the one a search of its own gives, in whatever order the folders come.
    write(tmp_path / ".dffix.toml", "select = ['DF2']\n")
    write(tmp_path / "a" / "b" / "pyproject.toml", "[tool.dffix]\nignore = ['DF201']\n")
    write(tmp_path / "a" / "pyproject.toml", "[project]\nname = 'x'\n")
    write(tmp_path / "a" / "b" / "c" / ".hadolint.yaml", "ignored: [DL3008]\n")
    folders = [tmp_path / p for p in ("a/b/c/d", "a", "a/b/c", "e/f", "a/b", "e", "")]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    alone = [(find_config(f), find_hadolint_config(f)) for f in folders]
    seen: tuple[dict[str, str | None], dict[str, str | None]] = ({}, {})
    for order in (folders, folders[::-1]):
        shared = {f: (find_config(f, seen[0]), find_hadolint_config(f, seen[1])) for f in order}
        assert [shared[f] for f in folders] == alone
    assert alone[0] == (str(tmp_path / "a" / "b" / "pyproject.toml"), str(tmp_path / "a/b/c/.hadolint.yaml"))
    assert alone[1][0] == str(tmp_path / ".dffix.toml")


def test_pyproject_without_dffix_table_is_passed_over(tmp_path: Path) -> None:
    top = write(tmp_path / "pyproject.toml", "[tool.dffix]\nunsafe-fixes = true\n")
    write(tmp_path / "app" / "pyproject.toml", "[project]\nname = 'app'\n# mentions dffix in a comment\n")
    assert find_config(tmp_path / "app") == str(top)


def test_dotfile_wins_over_pyproject_in_one_folder(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.dffix]\nunsafe-fixes = true\n")
    dot = write(tmp_path / ".dffix.toml", "unsafe-fixes = false\n")
    assert find_config(tmp_path) == str(dot)


def test_read_pyproject(tmp_path: Path) -> None:
    path = write(tmp_path / "pyproject.toml", "[tool.dffix]\nignore = ['DF201']\nunsafe-fixes = true\n")
    assert read_config(path) == Settings((Selection(None, ("DF201",)),), True, (), str(path))


def test_read_dotfile_uses_top_level_keys(tmp_path: Path) -> None:
    path = write(tmp_path / ".dffix.toml", "select = ['DF201']\n")
    assert read_config(path) == Settings((Selection(("DF201",)),), False, (), str(path))


def test_invalid_toml_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path / ".dffix.toml", "select = ['DF201']\nignore = \n")
    error = read_config(path)
    assert isinstance(error, ConfigError)
    assert (error.path, error.line, error.col) == (str(path), 2, 10)
    assert error.message.startswith("invalid TOML: ")


def test_missing_explicit_config_is_an_error(tmp_path: Path) -> None:
    error = load_settings(tmp_path, str(tmp_path / "nope.toml"))
    assert isinstance(error, ConfigError)
    assert error.message == "cannot read config file: no such file or directory"


def test_no_config_anywhere_gives_defaults(tmp_path: Path) -> None:
    # tmp_path's parents could hold a config on a developer machine; the dotfile stops the search.
    write(tmp_path / ".dffix.toml", "")
    assert load_settings(tmp_path / "sub") == Settings(path=str(tmp_path / ".dffix.toml"))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[tool.dffix]\nselect = ['DF1']\n", id="a table"),
        pytest.param("[tool.dffix.rules.root-final-user]\nuid = 2000\n", id="a sub-table"),
        pytest.param("[ tool . dffix ]\nunsafe-fixes = true\n", id="spaces around the dot"),
        pytest.param('["tool"."dffix"]\nunsafe-fixes = true\n', id="quoted keys"),
        pytest.param("[tool.'dffix']\nunsafe-fixes = true\n", id="a literal key"),
        pytest.param("tool.dffix.select = ['DF1']\n", id="a dotted key"),
        pytest.param("[tool]\ndffix = { select = ['DF1'] }\n", id="under [tool]"),
        pytest.param("[tool]\n  dffix.unsafe-fixes = true\n", id="indented, dotted under [tool]"),
        pytest.param("tool = { ruff = {}, dffix = { select = ['DF1'] } }\n", id="an inline table"),
    ],
)
def test_pyproject_dffix_tables_in_every_spelling_are_found(tmp_path: Path, text: str) -> None:
    import tomllib

    assert "dffix" in tomllib.loads(text)["tool"]
    path = write(tmp_path / "pyproject.toml", text)
    assert find_config(tmp_path) == str(path)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            '[project]\nname = "app"\n[project.optional-dependencies]\ndev = ["dffix>=0.1"]\n',
            id="a dependency",
        ),
        pytest.param('[dependency-groups]\nlint = ["ruff", "dffix"]\n', id="in a list"),
        pytest.param("[project]\ndescription = 'uses dffix.'\n", id="in a string"),
        pytest.param("[tool.ruff]\n# dffix = {} lives in its own file\n", id="in a comment"),
    ],
)
def test_a_pyproject_that_only_names_dffix_is_not_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    """The parse imports tomllib and typing: ~9 ms of a `dffix -` run from such a project."""
    import tomllib

    from dffix import config

    assert "dffix" not in tomllib.loads(text).get("tool", {})
    write(tmp_path / "pyproject.toml", text)

    def refuse(text: str) -> object:
        raise AssertionError("parsed")

    monkeypatch.setattr(config, "_toml", refuse)
    assert find_config(tmp_path) is None
