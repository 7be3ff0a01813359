"""`dffix prove` against a fake engine (tests/fake_engine.py) on PATH.

Each test runs `python -m dffix prove` in a subprocess whose PATH holds only the fake
engines it installs, so no real docker, podman or buildah is ever called. The fake
records every call and the images and containers it made; the tests check the
table, the exit codes, what was called and that everything made was removed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dffix import prove
from dffix.prove import Build, ImageInfo, Side, Start, pick_touch, worse_things

FAKE = Path(__file__).with_name("fake_engine.py")

# DF201 (ADD -> COPY) and DF202 (the code copy moved after the install) apply to it.
DOCKERFILE = """\
FROM localhost/base:1
WORKDIR /app
ADD config.txt /app/config.txt
COPY . /app
RUN pip install -r requirements.txt
CMD ["python", "app.py"]
"""

IMPROVES: dict[str, Any] = {
    "original": {
        "cold": {"steps": 6},
        "rebuild": {"steps": 6, "cached": 2},
        "image": {"size": "120 MB", "bytes": 120_000_000, "layers": 5, "cmd": ["python", "app.py"]},
    },
    "fixed": {
        "cold": {"steps": 7},
        "rebuild": {"steps": 7, "cached": 4},
        "image": {"size": "119.8 MB", "bytes": 119_800_000, "layers": 6, "cmd": ["python", "app.py"]},
    },
}


class Env:
    """A project folder, a PATH with fake engines, and what the fake recorded."""

    def __init__(self, tmp: Path, engines: tuple[str, ...] = ("buildah",)) -> None:
        self.app = tmp / "app"
        self.app.mkdir()
        (self.app / ".dffix.toml").write_text("")
        (self.app / "Dockerfile").write_text(DOCKERFILE)
        (self.app / "requirements.txt").write_text("flask\n")
        (self.app / "config.txt").write_text("x\n")
        (self.app / "app.py").write_text("print('hi')\n")
        self.bin = tmp / "bin"
        self.bin.mkdir()
        self.state = tmp / "fake"
        self.state.mkdir()
        self.tmpdir = tmp / "tmp"
        self.tmpdir.mkdir()
        for name in engines:
            self.install(name)

    def install(self, name: str) -> None:
        path = self.bin / name
        path.write_text(f"#!{sys.executable}\n" + FAKE.read_text())
        path.chmod(0o755)

    def configure(self, config: dict[str, Any]) -> None:
        (self.state / "config.json").write_text(json.dumps(config))

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": str(self.bin),
            "FAKE_ENGINE_DIR": str(self.state),
            "TMPDIR": str(self.tmpdir),
            "BUILDAH_ISOLATION": "oci",  # the fake has no use for unshare
            "PYTHONPATH": os.pathsep.join(sys.path),
        }
        return subprocess.run(
            [sys.executable, "-m", "dffix", "prove", *args],
            cwd=self.app,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def calls(self) -> list[list[str]]:
        path = self.state / "calls.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines()]

    def left_behind(self) -> tuple[list[str], dict[str, str], list[str]]:
        """Return the images and containers the fake still holds, and prove's temp folders."""
        state = json.loads((self.state / "state.json").read_text())
        return state["images"], state["containers"], os.listdir(self.tmpdir)


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def test_a_better_fix_exits_0_with_the_table_and_leaves_nothing_behind(env: Env) -> None:
    env.configure(IMPROVES)
    done = env.run("Dockerfile")
    assert done.returncode == 0, done.stderr
    assert "+COPY requirements.txt /app/" in done.stdout  # the diff comes first
    table = done.stdout[done.stdout.index("engine: buildah") :]
    assert "touched: app.py" in table
    rows = {line.split("  ")[0]: line for line in table.splitlines()}
    assert rows["cached steps"].split()[2:] == ["2", "of", "6", "4", "of", "7"]
    assert rows["layers"].split()[1:] == ["5", "6"]
    assert rows["image size"].split()[2:] == ["120.0", "MB", "119.8", "MB"]
    assert rows["runs as"].split()[2:] == ["root", "(uid", "0)", "root", "(uid", "0)"]
    assert '["python", "app.py"]' in rows["cmd"]
    assert table.splitlines()[-1].startswith("OK: the fixed image builds and nothing got worse")
    assert "2 more cached steps" in table
    assert env.left_behind() == ([], {}, [])
    # The user's file is never written.
    assert (env.app / "Dockerfile").read_text() == DOCKERFILE
    assert (env.app / "app.py").read_text() == "print('hi')\n"


def test_cold_builds_have_no_cache_rebuilds_do_and_nothing_is_run_pulled_or_pushed(env: Env) -> None:
    env.configure(IMPROVES)
    assert env.run("Dockerfile").returncode == 0
    builds = [c for c in env.calls() if c[1] == "build"]
    assert len(builds) == 4
    tags = [b[b.index("-t") + 1] for b in builds]
    assert len(set(tags)) == 4  # separate tags for each build
    cold = [b for b, t in zip(builds, tags, strict=True) if not t.endswith("-rebuild")]
    warm = [b for b, t in zip(builds, tags, strict=True) if t.endswith("-rebuild")]
    assert all("--no-cache" in b for b in cold) and not any("--no-cache" in b for b in warm)
    assert all("--layers" in b for b in builds)
    commands = {c[1] for c in env.calls()}
    assert not commands & {"run", "pull", "push"}


def test_a_layer_taken_from_the_cache_is_not_removed(env: Env) -> None:
    # Someone else's build made the layer the rebuilds take from the cache.
    (env.state / "state.json").write_text(json.dumps({"images": ["f" * 11], "containers": {}}))
    env.configure(IMPROVES)
    assert env.run("Dockerfile").returncode == 0
    assert env.left_behind() == (["f" * 11], {}, [])
    assert ["buildah", "rmi", "f" * 11] not in env.calls()


# As buildah 1.28 printed the rebuild of a DF502 file (FROM, ENV, WORKDIR alike in both
# stages) after a --no-cache build: the final stage reran from its first unshared step.
BUILDAH_MULTI_STAGE = """\
[1/2] STEP 1/3: FROM localhost/python:3.12-slim-bookworm AS build
[1/2] STEP 2/3: WORKDIR /app
--> Using cache a10f5764066c160fda8cec6ea773fba63381f64d93886c131f45bdd6377ae591
--> a10f5764066
[1/2] STEP 3/3: RUN pip install --no-cache-dir -r requirements.txt
--> Using cache 11625da12eaf93644e6d70b532b2bf2c6eb8f766e98b655bcb098dfb4aac9be4
--> 11625da12ea
[2/2] STEP 1/5: FROM localhost/python:3.12-slim-bookworm
[2/2] STEP 2/5: WORKDIR /app
--> Using cache a10f5764066c160fda8cec6ea773fba63381f64d93886c131f45bdd6377ae591
--> a10f5764066
[2/2] STEP 3/5: COPY --from=build /opt/venv /opt/venv
--> e497a931aa5
[2/2] STEP 4/5: COPY . .
--> 158d8976625
[2/2] STEP 5/5: CMD ["python", "app.py"]
[2/2] COMMIT localhost/dffix-prove-0123456789:fixed-rebuild
--> 46ae876e0d6
Successfully tagged localhost/dffix-prove-0123456789:fixed-rebuild
"""


def test_stages_are_read_from_buildah_output() -> None:
    assert prove.count_stages(BUILDAH_MULTI_STAGE) == 2
    assert prove.count_steps(BUILDAH_MULTI_STAGE) == 8
    assert prove.count_cached(BUILDAH_MULTI_STAGE) == 3
    assert prove.new_layers(BUILDAH_MULTI_STAGE) == ["e497a931aa5", "158d8976625", "46ae876e0d6"]
    assert prove.count_stages("STEP 1/2: FROM a\nSTEP 2/2: RUN x\n--> 0123456789a\n") == 1


MULTI_STAGE: dict[str, Any] = {
    "original": {**IMPROVES["original"], "rebuild": {"cached": 2}},
    "fixed": {
        **IMPROVES["fixed"],
        "stages": [8, 12],
        "rebuild": {"cached": 14, "unsettled": 9},
    },
}


def test_a_multi_stage_file_is_built_with_the_cache_before_the_touch(env: Env) -> None:
    # buildah after a --no-cache build of stages that start alike reruns more of the
    # rebuild than it does for a user building with the cache (9 of 20, not 14 of 20).
    env.configure(MULTI_STAGE)
    done = env.run("--output-format", "json", "Dockerfile")
    assert done.returncode == 0, done.stderr
    proof = json.loads(done.stdout)
    assert (proof["fixed"]["cached_steps"], proof["fixed"]["steps"]) == (14, 20)
    assert proof["original"]["cached_steps"] == 2
    builds = [c for c in env.calls() if c[1] == "build"]
    tags = [b[b.index("-t") + 1].rsplit(":", 1)[1] for b in builds]
    # Only the multi-stage side gets the build with the cache, between its cold build and the touch.
    assert tags == ["original", "original-rebuild", "fixed", "fixed-warm", "fixed-rebuild"]
    assert "--no-cache" not in builds[3]
    assert "building the fixed file again with the cache (untouched)" in done.stderr
    assert env.left_behind() == ([], {}, [])


def test_docker_builds_a_multi_stage_file_only_cold_and_after_the_touch(tmp_path: Path) -> None:
    # BuildKit keys its cache by content: a --no-cache build leaves nothing to follow astray.
    env = Env(tmp_path, engines=("docker",))
    env.configure({**MULTI_STAGE, "fixed": {**MULTI_STAGE["fixed"], "rebuild": {"cached": 14}}})
    assert env.run("Dockerfile").returncode == 0
    tags = [c[c.index("-t") + 1] for c in env.calls() if c[1] == "build"]
    assert not any(t.endswith("-warm") for t in tags) and len(tags) == 4


def test_a_failed_rebuild_exits_1_with_its_last_lines(env: Env) -> None:
    env.configure({**IMPROVES, "fixed": {**IMPROVES["fixed"], "rebuild": {"rc": 1}}})
    done = env.run("Dockerfile")
    assert done.returncode == 1
    assert "FAIL: the fixed file does not rebuild after the touch" in done.stdout
    assert "the fixed rebuild failed; its last lines:\n" in done.stderr
    assert "Error: building at STEP 3" in done.stderr
    assert env.left_behind() == ([], {}, [])


def test_the_touched_file_is_the_newest_one_the_copy_brings_in(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    for name, when in (("src/old.py", 100), ("src/new.py", 300), ("notes.md", 400), ("Dockerfile", 900)):
        (tmp_path / name).write_text("x\n")
        os.utime(tmp_path / name, (when, when))
    (tmp_path / "secret.env").write_text("x\n")
    os.utime(tmp_path / "secret.env", (1000, 1000))
    text = "FROM a AS build\nCOPY . /all\nFROM b\nCOPY src/ /app/\nCOPY notes.md /\n"
    # The final stage's broadest copy wins; notes.md is newer but copied alone.
    assert pick_touch(text, str(tmp_path), None, None) == "src/new.py"
    # The build stage copies the whole context; .dockerignore leaves secret.env out, and
    # a Dockerfile does not count as code.
    assert pick_touch(text, str(tmp_path), "build", "secret.env\n") == "notes.md"
    assert pick_touch(text, str(tmp_path), "build", None) == "secret.env"
    assert pick_touch("FROM b\nCOPY --from=x /a /b\n", str(tmp_path), None, None) is None
    # A dependency manifest is touched only when nothing else is copied.
    (tmp_path / "package.json").write_text("{}\n")
    text = "FROM b\nCOPY package.json notes.md ./\nCOPY src/new.py .\n"
    assert pick_touch(text, str(tmp_path), None, None) == "notes.md"
    (tmp_path / "venv").mkdir()
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = /usr\n")  # the newest file
    assert pick_touch("FROM b\nCOPY . .\n", str(tmp_path), None, None) == "secret.env"
    assert pick_touch("FROM b\nCOPY package.json ./\n", str(tmp_path), None, None) == "package.json"


def test_the_proposed_dockerignore_is_used_only_when_asked_for(env: Env) -> None:
    env.configure(IMPROVES)
    (env.app / "secrets.env").write_text("TOKEN=x\n")
    done = env.run("--write-dockerignore", "Dockerfile")
    assert done.returncode == 0, done.stderr
    assert "+++ b/.dockerignore" in done.stdout
    builds = {c[c.index("-t") + 1].split(":")[-1]: c for c in env.calls() if c[1] == "build"}
    assert "--ignorefile" not in builds["original"] and "--ignorefile" not in builds["original-rebuild"]
    assert "--ignorefile" in builds["fixed"] and "--ignorefile" in builds["fixed-rebuild"]
    assert not (env.app / ".dockerignore").exists()
    (env.state / "calls.jsonl").unlink()
    done = env.run("--unsafe-fixes", "Dockerfile")
    assert ".dockerignore" not in done.stdout
    assert not any("--ignorefile" in c for c in env.calls())


def test_touch_given_is_used_and_must_be_in_the_context(env: Env) -> None:
    env.configure(IMPROVES)
    done = env.run("--touch", "requirements.txt", "Dockerfile")
    assert done.returncode == 0, done.stderr
    assert "touched: requirements.txt" in done.stdout
    done = env.run("--touch", "../nowhere.py", "Dockerfile")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith("error: cannot prove: --touch ../nowhere.py")
    assert env.left_behind()[:2] == ([], {})


def test_a_fixed_file_that_does_not_build_exits_1(env: Env) -> None:
    env.configure({**IMPROVES, "fixed": {"cold": {"rc": 1, "steps": 3}}})
    done = env.run("Dockerfile")
    assert done.returncode == 1
    rows = {line.split("  ")[0]: line.split() for line in done.stdout.splitlines()}
    assert rows["built"][1:] == ["yes", "no"]
    assert "FAIL: the fixed file does not build" in done.stdout
    assert "Error: building at STEP 3" in done.stderr  # the failed build's last lines
    assert env.left_behind() == ([], {}, [])


def test_an_original_that_does_not_build_cannot_be_proven(env: Env) -> None:
    env.configure({**IMPROVES, "original": {"cold": {"rc": 1}}})
    done = env.run("Dockerfile")
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last == (
        "error: cannot prove: the original Dockerfile does not build with buildah:"
        " Error: building at STEP 3: exit status 1"
    )
    assert not [c for c in env.calls() if "fixed" in " ".join(c)]
    assert env.left_behind() == ([], {}, [])


def test_no_engine_names_each_one_and_why(tmp_path: Path) -> None:
    env = Env(tmp_path, engines=("docker",))
    env.configure({"probe_fails": ["docker"]})
    done = env.run("Dockerfile")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: cannot prove: no container engine works here:"
        " docker: no daemon answers (Cannot connect to the docker daemon. Is it running?);"
        " podman: not on PATH; buildah: not on PATH"
    )


def test_a_docker_without_daemon_falls_through_to_buildah(tmp_path: Path) -> None:
    env = Env(tmp_path, engines=("docker", "buildah"))
    env.configure({**IMPROVES, "probe_fails": ["docker"]})
    done = env.run("Dockerfile")
    assert done.returncode == 0, done.stderr
    assert "engine: buildah" in done.stdout
    assert not [c for c in env.calls() if c[0] == "docker" and c[1] != "version"]


def test_docker_builds_with_plain_progress_and_runs_with_network_off(tmp_path: Path) -> None:
    env = Env(tmp_path, engines=("docker",))
    env.configure({**IMPROVES, "original": {**IMPROVES["original"], "start": {"print": ["up"], "sleep": 30}}})
    done = env.run("--run", "1", "Dockerfile")
    assert done.returncode == 0, done.stderr
    runs = [c for c in env.calls() if c[1] == "run"]
    assert len(runs) == 2
    assert all(r[r.index("--network") + 1] == "none" and r[r.index("--pull") + 1] == "never" for r in runs)
    assert env.left_behind() == ([], {}, [])


def test_podman_builds_layered_and_runs_with_network_off(tmp_path: Path) -> None:
    env = Env(tmp_path, engines=("podman",))
    env.configure(IMPROVES)
    done = env.run("--run", "1", "Dockerfile")
    assert done.returncode == 0, done.stderr
    assert "engine: podman" in done.stdout
    builds = [c for c in env.calls() if c[1] == "build"]
    assert len(builds) == 4 and all("--layers" in b for b in builds)
    runs = [c for c in env.calls() if c[1] == "run"]
    assert len(runs) == 2 and all(r[r.index("--network") + 1] == "none" for r in runs)
    assert env.left_behind() == ([], {}, [])


def test_run_judges_each_start_and_shows_the_last_lines_of_a_failed_one(env: Env) -> None:
    env.configure(
        {
            **IMPROVES,
            "original": {**IMPROVES["original"], "start": {"print": ["boot", "Listening on :80"]}},
            "fixed": {
                **IMPROVES["fixed"],
                "start": {"print": ["boot", "PermissionError: /app"], "sleep": 0, "rc": 3},
            },
        }
    )
    done = env.run("--run", "10", "--ready", "Listening on", "Dockerfile")
    assert done.returncode == 1
    rows = {line.split("  ")[0]: line for line in done.stdout.splitlines()}
    assert rows["starts"].split()[1:] == ["yes", "(ready)", "no", "(exited", "3)"]
    assert "FAIL: the fixed image does not start" in done.stdout
    assert "  PermissionError: /app" in done.stderr
    runs = [c for c in env.calls() if c[1] == "run"]
    assert all(r[r.index("--network") + 1] == "none" for r in runs)
    assert env.left_behind() == ([], {}, [])


def test_an_exit_0_is_a_start_only_without_ready(env: Env) -> None:
    once = {"print": ["done"], "sleep": 0, "rc": 0}
    env.configure({**IMPROVES, "fixed": {**IMPROVES["fixed"], "start": once}})
    done = env.run("--run", "5", "--output-format", "json", "Dockerfile")
    assert json.loads(done.stdout)["fixed"]["start"] == "exited 0"
    assert done.returncode == 0
    done = env.run("--run", "5", "--ready", "listening", "--output-format", "json", "Dockerfile")
    proof = json.loads(done.stdout)
    assert proof["original"]["start"] == "ready"
    assert proof["fixed"]["start"] == "exited 0 without the --ready line"
    assert proof["fixed"]["start_output"] == ["done"]
    assert done.returncode == 1


def test_when_neither_image_starts_nothing_is_proven(env: Env) -> None:
    fails = {"print": ["getaddrinfo EAI_AGAIN redis"], "sleep": 0, "rc": 1}
    env.configure(
        {
            "original": {**IMPROVES["original"], "start": fails},
            "fixed": {**IMPROVES["fixed"], "start": fails},
        }
    )
    done = env.run("--run", "5", "Dockerfile")
    assert done.returncode == 2
    assert done.stdout.splitlines()[-1].startswith(
        "CANNOT PROVE: the fixed image builds and nothing else got worse (2 more cached steps), but"
    )
    assert done.stderr.count("  getaddrinfo EAI_AGAIN redis") == 2
    assert env.left_behind() == ([], {}, [])


def test_an_app_still_running_at_the_end_started(env: Env) -> None:
    env.configure({**IMPROVES, "fixed": {**IMPROVES["fixed"], "start": {"print": [], "sleep": 30}}})
    done = env.run("--run", "1", "--output-format", "json", "Dockerfile")
    assert done.returncode == 0, done.stderr
    proof = json.loads(done.stdout)
    assert proof["fixed"]["started"] is True and proof["fixed"]["start"] == "running after 1 s"
    assert proof["original"]["cached_steps"] == 2 and proof["fixed"]["cached_steps"] == 4
    assert proof["fixed"]["size_bytes"] == 119_800_000
    assert proof["touched"] == "app.py" and proof["exit_code"] == 0
    assert proof["diff"].startswith("--- a/Dockerfile")
    assert env.left_behind() == ([], {}, [])


def test_a_larger_image_exits_1(env: Env) -> None:
    bigger = {**IMPROVES["fixed"]["image"], "size": "140 MB"}
    env.configure({**IMPROVES, "fixed": {**IMPROVES["fixed"], "image": bigger}})
    done = env.run("Dockerfile")
    assert done.returncode == 1
    assert "FAIL: the image is larger by 20.0 MB" in done.stdout


def test_ctrl_c_during_a_build_removes_what_was_made(env: Env) -> None:
    env.configure({**IMPROVES, "interrupt": "fixed-cold"})
    done = env.run("Dockerfile")
    assert done.returncode == 130
    assert "interrupted" in done.stderr
    assert "Traceback" not in done.stderr
    images, containers, temps = env.left_behind()
    assert (images, containers, temps) == ([], {}, [])
    assert any("original" in " ".join(c) for c in env.calls() if c[1] == "rmi")


def test_settings_and_selectors_reach_the_fix(env: Env) -> None:
    env.configure(IMPROVES)
    done = env.run("--ignore", "DF202", "Dockerfile")
    assert done.returncode == 0, done.stderr
    assert "+COPY config.txt" in done.stdout and "requirements.txt /app/" not in done.stdout
    (env.app / ".dffix.toml").write_text('ignore = ["DF108", "DF201", "DF202"]\n')
    (env.state / "calls.jsonl").unlink()
    (env.app / "other.toml").write_text('select = ["DF201"]\n')
    done = env.run("--config", "other.toml", "Dockerfile")
    assert done.returncode == 0, done.stderr
    assert "+COPY config.txt" in done.stdout and "--no-cache-dir" not in done.stdout
    (env.state / "calls.jsonl").unlink()
    done = env.run("Dockerfile")
    assert done.returncode == 0
    assert "nothing to prove: dffix makes no change to Dockerfile" in done.stderr
    assert env.calls() == []  # no engine was even looked for


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("--run", "soon", "Dockerfile"), "--run takes a number of seconds from 1 to 3600, not 'soon'"),
        (("--ready", "up", "Dockerfile"), "--ready applies only with --run"),
        (("--run", "2", "--ready", "(", "Dockerfile"), "--ready is not a valid regular expression"),
        (("--select", "DF999", "Dockerfile"), "DF999"),
        (("--engine", "lxc", "Dockerfile"), "--engine: invalid choice: 'lxc'"),
        (("Missing.Dockerfile",), "Missing.Dockerfile: no such file"),
        (("--context", "nowhere", "Dockerfile"), "--context nowhere: not a folder"),
        ((), "the following arguments are required: DOCKERFILE"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(env: Env, args: tuple[str, ...], reason: str) -> None:
    done = env.run(*args)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot prove: ") and reason in lines[0]
    assert not [c for c in env.calls() if c[1] == "build"]


def _side(size: int, rebuild: float, started: bool | None = None, cached: int = 1) -> Side:
    info = ImageInfo(size, 3, "", None, ["app"])
    start = None if started is None else Start(started, "x", ())
    return Side(
        True, Build(True, 5.0, 0, 3, ""), Build(True, rebuild, cached, 3, ""), info, "root (uid 0)", start
    )


@pytest.mark.parametrize(
    ("orig", "fixed", "worse"),
    [
        (_side(100_000_000, 10.0), _side(100_900_000, 14.9), []),  # within noise
        (_side(100_000_000, 10.0), _side(102_100_000, 10.0), ["the image is larger by 2.1 MB"]),
        (_side(100_000_000, 10.0), _side(100_000_000, 15.1), ["the rebuild is slower by 5.1 s"]),
        (_side(100, 2.0), _side(100, 6.9), []),  # under five seconds is noise
        (_side(100, 30.0), _side(100, 46.0), ["the rebuild is slower by 16.0 s"]),
        (
            _side(100, 1.0, cached=3),
            _side(100, 1.0, cached=2),
            ["the rebuild takes 1 fewer step from the cache"],
        ),
        (_side(100, 1.0, True), _side(100, 1.0, False), ["the fixed image does not start"]),
        (
            _side(100, 1.0, False),
            _side(100, 1.0, False),
            [],  # neither starts: not worse, but nothing proven (see the next test)
        ),
    ],
)
def test_what_counts_as_worse(orig: Side, fixed: Side, worse: list[str]) -> None:
    assert worse_things(orig, fixed, ran=orig.start is not None) == worse


def test_sizes_and_steps_read_from_engine_output() -> None:
    assert prove.parse_size("2.15 MB") == 2_150_000
    assert prove.parse_size("512 kB") == 512_000
    assert prove.parse_size("1.2 GB") == 1_200_000_000
    assert prove.parse_size("big") is None
    buildah = "STEP 1/3: FROM a AS b\nSTEP 2/3: RUN x\n--> Using cache 0123\n"
    buildah += "STEP 1/2: FROM c\nSTEP 2/2: COPY --from=b\n"
    buildah_ids = "STEP 2/3: RUN x\n--> Using cache " + "a" * 64 + "\n--> " + "a" * 11 + "\n"
    buildah_ids += "STEP 3/3: COPY . .\n--> bbbbbbbbbbb\n"
    classic_ids = (
        "Step 2/3 : RUN x\n ---> Using cache\n ---> cccccccccccc\nStep 3/3 : COPY\n ---> dddddddddddd\n"
    )
    assert prove.new_layers(buildah_ids) == ["b" * 11]
    assert prove.new_layers(classic_ids) == ["d" * 12]
    multi = "[1/2] STEP 1/3: FROM a AS b\n[1/2] STEP 2/3: RUN x\n[2/2] STEP 1/2: FROM c\n"
    assert prove.count_steps(multi) == 5
    classic = "Step 1/4 : FROM a AS b\n ---> 1234\nStep 2/4 : RUN x\n ---> Using cache\nStep 3/4 : FROM c\n"
    assert (prove.count_steps(classic), prove.count_cached(classic)) == (4, 1)
    assert (prove.count_steps(buildah), prove.count_cached(buildah)) == (5, 1)
    buildkit = "#5 [build 1/3] FROM a\n#6 [build 2/3] RUN x\n#6 CACHED\n#7 [stage-1 2/2] COPY\n#7 CACHED\n"
    assert (prove.count_steps(buildkit), prove.count_cached(buildkit)) == (5, 2)


def test_runs_as_reads_the_image_passwd() -> None:
    passwd = ("root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n", "")
    assert prove.runs_as("", passwd) == "root (uid 0)"
    assert prove.runs_as("app:app", passwd) == "app (uid 1000)"
    assert prove.runs_as("1000", passwd) == "app (uid 1000)"
    assert prove.runs_as("1001", passwd) == "uid 1001"
    assert prove.runs_as("web", None) == "web (uid ?)"


def test_a_file_named_prove_is_still_fixed_by_dffix_dot_slash(tmp_path: Path) -> None:
    (tmp_path / ".dffix.toml").write_text("")
    (tmp_path / "prove").write_text("FROM a\nMAINTAINER me\n")
    done = subprocess.run(
        [sys.executable, "-m", "dffix", "--diff", "./prove"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and "-MAINTAINER me" in done.stdout


def test_the_text_table_cuts_wide_cells_and_json_keeps_them() -> None:
    cmd = ["gunicorn", "app:app", "-b", "0.0.0.0:80", "--workers", "4", "--keep-alive", "0"]
    side = _side(100, 1.0)._replace(info=ImageInfo(100, 3, "", None, cmd))
    proof = prove.Proof("buildah", "Dockerfile", "", "app.py", side, side, (), "OK", 0)
    row = next(line for line in prove.render_table(proof).splitlines() if line.startswith("cmd"))
    cells = row.split("  ")
    assert row.count('["gunicorn", "app:app", "-b", "0.0.0.0:80...') == 2
    assert max(len(c.strip()) for c in cells) == prove.CELL
    assert json.loads(prove.render_json(proof))["fixed"]["cmd"] == cmd


def test_a_dffix_bug_is_one_line_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args: prove.ProveArgs, say: object) -> prove.Proof:
        raise RuntimeError("the table fell over\nsecond line")

    monkeypatch.setattr(prove, "prove", broken)
    assert prove.main(["Dockerfile"]) == 2
    assert (
        capsys.readouterr().err == "error: dffix bug: RuntimeError: the table fell over; please report it\n"
    )
