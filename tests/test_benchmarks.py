"""benchmarks/bench.py: a tool the user names that does not run is one line and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"


@pytest.mark.parametrize("option", ["--tally", "--before"])
def test_a_named_tool_that_does_not_run_is_one_line(option: str, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-tool"
    done = subprocess.run(
        [sys.executable, str(BENCH), "--parts", "start", "--runs", "1", option, str(missing)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"bench.py: {option} {missing}: does not run (missing, or its version call failed)"
    ]
