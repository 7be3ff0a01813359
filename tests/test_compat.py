"""hadolint, ShellCheck and BuildKit names as selectors, hadolint's config, `# check=skip=`.

A project moving from hadolint brings its ignore list (DL3008, DL3013, DL3018, SC2086 ...):
dffix must run with it, honour the codes it covers and say under --verbose what the
others select. DF201 (`ADD app.py /app/`, hadolint DL3020) and DF401 (shell-form CMD,
BuildKit JSONArgsRecommended, hadolint DL3025) are the rules that show it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dffix.compat import HADOLINT_CODES, compat_table, foreign
from dffix.config import read_hadolint_ignored, selector_error
from dffix.rules import ALL_RULES
from tests.helpers import Run

ADD = b"FROM alpine:3.19\nUSER app\nADD app.py /app/\n"
CMD = b"FROM alpine:3.19\nUSER app\nCMD python app.py\n"
HADOLINT_IGNORES = ("DL3008", "DL3013", "DL3018", "SC2086")
GUIDE = Path(__file__).resolve().parent.parent / "docs" / "user-guide.md"


@pytest.fixture(autouse=True)
def no_user_hadolint_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the tester's own ~/.hadolint.yaml out of these runs."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)


def codes(out: bytes) -> list[str]:
    return [line.split()[1] for line in out.decode().splitlines()]


@pytest.mark.parametrize(
    "word", [*HADOLINT_IGNORES, "dl3008", "DL1001", "SC1091", "UndefinedVar", "undefinedvar"]
)
def test_other_tools_names_are_selectors(word: str) -> None:
    assert selector_error(word) is None
    assert foreign(word) is not None


@pytest.mark.parametrize(
    ("word", "hint"),
    [
        pytest.param("DL300", "did you mean", id="a typo of a hadolint code"),
        pytest.param("DL9999", "unknown rule selector", id="a DL code hadolint never had"),
        pytest.param("SC12", "unknown rule selector", id="too short for ShellCheck"),
        pytest.param("UndefinedVars", "did you mean 'UndefinedVar'", id="a typo of a BuildKit check"),
    ],
)
def test_words_of_no_tool_stay_errors(word: str, hint: str) -> None:
    problem = selector_error(word)
    assert problem is not None and hint in problem


def test_a_hadolint_ignore_list_on_the_command_line_runs(project: Path, dffix: Run) -> None:
    (project / "Dockerfile").write_bytes(ADD)
    ran = dffix("--check", "--ignore", ",".join(HADOLINT_IGNORES), "Dockerfile")
    assert ran.code == 1 and codes(ran.out) == ["DF201"], ran
    assert "error" not in ran.err


def test_select_of_a_code_dffix_does_not_check_selects_nothing(project: Path, dffix: Run) -> None:
    (project / "Dockerfile").write_bytes(ADD)
    ran = dffix("--check", "--select", "DL3008", "Dockerfile")
    assert (ran.code, ran.out) == (0, b""), ran
    assert "note" not in ran.err
    verbose = dffix("--check", "--verbose", "--select", "DL3008", "Dockerfile")
    assert verbose.code == 0
    assert "note: hadolint DL3008 is not checked by dffix; it selects nothing" in verbose.err


def test_a_hadolint_code_selects_the_rule_that_covers_it(project: Path, dffix: Run) -> None:
    (project / "Dockerfile").write_bytes(ADD + b"CMD python app.py\n")
    assert codes(dffix("--check", "--select", "DL3020", "Dockerfile").out) == ["DF201"]
    assert codes(dffix("--check", "--select", "JSONArgsRecommended", "Dockerfile").out) == ["DF401"]
    assert codes(dffix("--check", "--select", "DF2,DF4", "--ignore", "DL3025", "Dockerfile").out) == ["DF201"]
    ran = dffix("--check", "--verbose", "--select", "dl3020", "Dockerfile")
    assert "note: hadolint DL3020 selects DF201 add-for-local-files" in ran.err


def test_a_hadolint_ignore_list_in_the_config_runs(project: Path, dffix: Run) -> None:
    (project / ".dffix.toml").write_text(f"ignore = {list(HADOLINT_IGNORES)!r}\n".replace("'", '"'))
    (project / "Dockerfile").write_bytes(ADD)
    ran = dffix("--check", "--verbose", "Dockerfile")
    assert ran.code == 1 and codes(ran.out) == ["DF201"], ran
    assert "note: ShellCheck SC2086 is not checked by dffix; it selects nothing" in ran.err


def test_inline_hadolint_and_shellcheck_codes(project: Path, dffix: Run) -> None:
    (project / "Dockerfile").write_bytes(
        b"FROM alpine:3.19\nUSER app\n# hadolint ignore=DL3020,SC2086\nADD app.py /app/\n"
        b"# dffix: ignore=JSONArgsRecommended\nCMD python app.py\n"
    )
    ran = dffix("--check", "Dockerfile")
    assert (ran.code, ran.out) == (0, b""), ran


@pytest.mark.parametrize(
    ("directive", "left"),
    [
        pytest.param("# check=skip=JSONArgsRecommended\n", [], id="the check named"),
        pytest.param("# check=skip=StageNameCasing,JSONArgsRecommended;error=true\n", [], id="in a list"),
        pytest.param("# syntax=docker/dockerfile:1\n# check=skip=all\n", [], id="all"),
        pytest.param("# check=skip=StageNameCasing\n", ["DF401"], id="another check"),
        pytest.param("# check=error=true\n", ["DF401"], id="no skip"),
        pytest.param(
            "FROM scratch\n# check=skip=JSONArgsRecommended\n", ["DF401"], id="not a directive below"
        ),
    ],
)
def test_buildkit_check_skip_directive(directive: str, left: list[str], project: Path, dffix: Run) -> None:
    (project / "Dockerfile").write_bytes(directive.encode() + CMD)
    assert codes(dffix("--check", "--select", "DF401", "Dockerfile").out) == left


# -- hadolint's config --------------------------------------------------------


@pytest.mark.parametrize(
    "yaml",
    [
        pytest.param(
            "ignored:\n  - DL3020 # ADD is fine here\n  - DL3008\nfailure-threshold: info\n", id="block"
        ),
        pytest.param("failure-threshold: info\nignored:\n- 'DL3020'\n- \"SC2086\"\n", id="block at column 0"),
        pytest.param("ignored: [DL3008, DL3020]  # why\n", id="flow"),
    ],
)
def test_hadolint_yaml_ignored_is_honoured(yaml: str, project: Path, dffix: Run) -> None:
    (project / ".hadolint.yaml").write_text(yaml)
    (project / "Dockerfile").write_bytes(ADD)
    ran = dffix("--check", "--verbose", "Dockerfile")
    assert (ran.code, ran.out) == (0, b""), ran
    assert "note: using 'ignored' of .hadolint.yaml" in ran.err


def test_hadolint_yaml_is_found_above_and_in_home(project: Path, dffix: Run, tmp_path: Path) -> None:
    put_add = project / "svc" / "Dockerfile"
    put_add.parent.mkdir()
    put_add.write_bytes(ADD)
    assert codes(dffix("--check", "svc").out) == ["DF201"]
    home = tmp_path / "home" / ".config"
    home.mkdir(parents=True)
    (home / "hadolint.yaml").write_text("ignored:\n  - DL3020\n")
    assert dffix("--check", "svc").code == 0
    (project / ".hadolint.yml").write_text("ignored: []\n")  # the nearer file wins
    assert codes(dffix("--check", "svc").out) == ["DF201"]


@pytest.mark.parametrize(
    "config",
    [
        pytest.param('ignore = ["DF4"]\n', id="the config has an ignore list"),
        pytest.param("hadolint-config = false\n", id="turned off"),
    ],
)
def test_hadolint_yaml_is_not_read_when(config: str, project: Path, dffix: Run) -> None:
    (project / ".dffix.toml").write_text(config)
    (project / ".hadolint.yaml").write_text("ignored: [DL3020]\n")
    (project / "Dockerfile").write_bytes(ADD)
    assert codes(dffix("--check", "Dockerfile").out) == ["DF201"]


def test_a_hadolint_yaml_dffix_cannot_read_is_a_config_error(project: Path, dffix: Run) -> None:
    (project / ".hadolint.yaml").write_text("ignored: DL3020\n")
    (project / "Dockerfile").write_bytes(ADD)
    ran = dffix("Dockerfile")
    assert ran.code == 2
    assert ".hadolint.yaml:1:1: error: 'ignored' must be a list of rule codes" in ran.err
    assert (project / "Dockerfile").read_bytes() == ADD


def test_hadolint_config_must_be_a_boolean(project: Path, dffix: Run) -> None:
    (project / ".dffix.toml").write_text('hadolint-config = "no"\n')
    (project / "Dockerfile").write_bytes(ADD)
    ran = dffix("Dockerfile")
    assert ran.code == 2 and "'hadolint-config' must be true or false, not a string" in ran.err


def test_read_hadolint_ignored_without_the_key(tmp_path: Path) -> None:
    path = tmp_path / "h.yaml"
    path.write_text("trustedRegistries:\n  - docker.io\n")
    assert read_hadolint_ignored(str(path)) == ()


# -- the user guide's table -------------------------------------------------------


def test_user_guide_table_is_current() -> None:
    text = GUIDE.read_text()
    start, end = "<!-- compat-table-start -->\n", "<!-- compat-table-end -->"
    table = text[text.index(start) + len(start) : text.index(end)]
    assert table == compat_table(ALL_RULES), "regenerate: print(compat.compat_table(rules.ALL_RULES))"


def test_every_alias_of_the_form_of_a_hadolint_code_is_one() -> None:
    for rule in ALL_RULES:
        for alias in rule.aliases:
            if alias.upper().startswith("DL"):
                assert alias in HADOLINT_CODES, (rule.code, alias)
            assert foreign(alias) is not None, (rule.code, alias)
