"""dffix.api, the engine's entrance: the command line, the server and tests get the same answers.

The expected texts come from running the `dffix` command, never from the API itself.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dffix import api
from dffix.config import ConfigError
from dffix.edits import Applicability
from dffix.files import FileError
from dffix.syntax import ParseError
from tests.corpus import corpus_files, decode

BAD = "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y curl\nADD app.py /srv/\n"


def cli(text: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "dffix", *args], input=text.encode(), capture_output=True, cwd=cwd
    )


def test_rule_set_for_finds_the_config_beside_the_file(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / ".dffix.toml").write_text('ignore = ["DF201"]\nunsafe-fixes = true\n')
    rule_set = api.rule_set_for(str(tmp_path / "app" / "Dockerfile"))
    assert isinstance(rule_set, api.RuleSet)
    codes = {r.code for r in rule_set.rules}
    assert "DF201" not in codes and "DF101" in codes
    assert rule_set.level is Applicability.UNSAFE


def test_rule_set_for_overrides_win_over_the_config(tmp_path: Path) -> None:
    (tmp_path / ".dffix.toml").write_text('ignore = ["DF201"]\nunsafe-fixes = true\n')
    path = str(tmp_path / "Dockerfile")
    rule_set = api.rule_set_for(path, api.Overrides(select=("DF201",), unsafe_fixes=False))
    assert isinstance(rule_set, api.RuleSet)
    assert [r.code for r in rule_set.rules] == ["DF201"]
    assert rule_set.level is Applicability.SAFE


def test_rule_set_for_reads_hadolint_ignored(tmp_path: Path) -> None:
    (tmp_path / ".hadolint.yaml").write_text("ignored:\n  - DL3020\n")
    rule_set = api.rule_set_for(str(tmp_path / "Dockerfile"))
    assert isinstance(rule_set, api.RuleSet)
    assert "DF201" not in {r.code for r in rule_set.rules}  # DF201's hadolint alias is DL3020


@pytest.mark.parametrize(
    ("config", "overrides", "wanted"),
    [
        pytest.param('select = ["DF9999"]\n', api.Overrides(), "DF9999", id="unknown code in the config"),
        pytest.param("select = [\n", api.Overrides(), ".dffix.toml", id="config is not TOML"),
        pytest.param("", api.Overrides(ignore=("nope-rule",)), "nope-rule", id="unknown selector given"),
    ],
)
def test_rule_set_for_returns_config_errors(
    tmp_path: Path, config: str, overrides: api.Overrides, wanted: str
) -> None:
    (tmp_path / ".dffix.toml").write_text(config)
    found = api.rule_set_for(str(tmp_path / "Dockerfile"), overrides)
    assert isinstance(found, ConfigError)
    assert wanted in str(found)


def test_fix_text_is_what_dffix_stdin_prints(tmp_path: Path) -> None:
    rule_set = api.rule_set_for(str(tmp_path / "Dockerfile"))
    assert isinstance(rule_set, api.RuleSet)
    fixed = api.fix_text(BAD, rule_set, api.build_context(str(tmp_path / "Dockerfile")))
    assert isinstance(fixed, api.Fixed)
    ran = cli(BAD, "-", "--stdin-filename", str(tmp_path / "Dockerfile"), cwd=tmp_path)
    assert ran.returncode == 0
    assert fixed.text == ran.stdout.decode()
    assert fixed.text != BAD
    assert fixed.fixes >= 3


def test_check_text_is_what_dffix_check_prints(tmp_path: Path) -> None:
    rule_set = api.rule_set_for(None)
    assert isinstance(rule_set, api.RuleSet)
    found = api.check_text(BAD, rule_set)
    assert isinstance(found, list)
    ran = cli(BAD, "--check", "-", cwd=tmp_path)
    lines = [f"-:{d.line}:{d.col}: {d.code} {d.message} {d.marker}" for d in found]
    assert lines == ran.stdout.decode().splitlines()


def test_a_text_that_does_not_parse_is_a_parse_error() -> None:
    rule_set = api.rule_set_for(None)
    assert isinstance(rule_set, api.RuleSet)
    broken = "FROM debian:12\nRUN <<EOF\nx\n"
    assert isinstance(api.fix_text(broken, rule_set), ParseError)
    assert isinstance(api.check_text(broken, rule_set), ParseError)


def test_text_error_refuses_binary_text_where_the_cli_does() -> None:
    problem = api.text_error("FROM a\nRUN x\x00y\n", "Dockerfile")
    assert isinstance(problem, FileError)
    assert (problem.line, problem.col) == (2, 6)
    ran = cli("FROM a\nRUN x\x00y\n", "-")
    assert ran.returncode == 2
    assert "-:2:6: error: NUL byte" in ran.stderr.decode()
    assert api.text_error(BAD, "Dockerfile") is None


CORPUS_SAMPLE = corpus_files()[::25]


@pytest.mark.skipif(not CORPUS_SAMPLE, reason="../shared/corpus not present")
def test_fix_text_agrees_with_the_cli_on_corpus_files(tmp_path: Path) -> None:
    """Every 25th corpus file: the API's fix and the command line's are the same text."""
    rule_set = api.rule_set_for(None, api.Overrides(unsafe_fixes=True))
    assert isinstance(rule_set, api.RuleSet)
    for path in CORPUS_SAMPLE:
        text = decode(path.read_bytes())
        fixed = api.fix_text(text, rule_set)
        ran = cli(text, "-", "--unsafe-fixes", cwd=tmp_path)
        if isinstance(fixed, ParseError):
            assert ran.returncode == 2, path
            continue
        assert fixed.text == ran.stdout.decode("utf-8", "surrogateescape"), path


def test_the_api_loads_no_typer() -> None:
    code = "import sys, dffix.api; print('typer' in sys.modules)"
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "False"
