"""`dffix prove --engine buildah` for real: a local busybox base image, a tiny app, two builds.

No registry is reachable in CI, so the base image is made here: `buildah from scratch`,
the host's static busybox with its applet links, an /etc/passwd, and a stand-in `pip`
(a shell script that records the requirements) so the app's dependency step runs.
Skipped, with the reason, when buildah or busybox is missing or cannot build here
(builds use `--isolation chroot`, which needs root); `.ci/run` installs buildah and
sets DFFIX_PROVE_E2E=required, which turns each of those skips into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

BUSYBOX = shutil.which("busybox") or "/bin/busybox"
READY = ("--ready", "app ready", "--output-format", "json")
FAKE_PIP = """#!/bin/sh
# A stand-in for pip: records what it was asked to install.
while [ $# -gt 0 ]; do
  [ "$1" = -r ] && cat "$2" >> /installed.txt
  shift
done
"""


def _skip(reason: str) -> None:
    if os.environ.get("DFFIX_PROVE_E2E") == "required":
        pytest.fail(f"the buildah end-to-end test must run here, but {reason}")
    pytest.skip(reason)


def _buildah(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["buildah", *args], capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def base_image() -> Iterator[str]:
    """Return the name of a fresh local base image; remove it afterwards."""
    if shutil.which("buildah") is None:
        _skip("buildah is not installed (.ci/run installs it)")
    if os.geteuid() != 0:
        _skip("buildah --isolation chroot and `unshare --net` need root here")
    if not os.path.isfile(BUSYBOX):
        _skip("no static busybox to make a base image from (Debian: busybox-static)")
    name = f"localhost/dffix-test-base-{uuid.uuid4().hex[:8]}:1"
    made = _buildah("from", "scratch")
    if made.returncode != 0:
        _skip(f"buildah cannot make a container here: {made.stderr.strip()[:200]}")
    box = made.stdout.strip()
    try:
        steps = [
            ("copy", box, BUSYBOX, "/bin/busybox"),
            ("run", "--isolation", "chroot", box, "/bin/busybox", "--install", "-s", "/bin"),
            (
                "run",
                "--isolation",
                "chroot",
                box,
                "/bin/sh",
                "-c",
                "mkdir -p /etc /tmp /usr/local/bin"
                " && echo root:x:0:0:root:/root:/bin/sh > /etc/passwd"
                " && echo root:x:0: > /etc/group"
                f" && printf '%s' '{FAKE_PIP}' > /usr/local/bin/pip && chmod 755 /usr/local/bin/pip",
            ),
            ("config", "--env", "PATH=/usr/local/bin:/usr/bin:/bin", box),
            ("commit", "--quiet", box, name),
        ]
        for step in steps:
            done = _buildah(*step)
            if done.returncode != 0:
                _skip(f"buildah cannot build here ({step[0]}): {done.stderr.strip()[:200]}")
    finally:
        _buildah("rm", box)
    yield name
    _buildah("rmi", name)


def test_prove_with_buildah_builds_rebuilds_and_starts_both(base_image: str, tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    (app / ".dffix.toml").write_text("")
    (app / "config.txt").write_text("greeting = hello\n")
    (app / "requirements.txt").write_text("flask==3.0.0\n")
    (app / "start.sh").write_text('cat /installed.txt\necho "app ready"\nexec sleep 60\n')
    (app / "app.py").write_text("print('hello')\n")
    # An ADD of a local file (DF201), the code copied before the dependency step (DF202)
    # and a shell-form CMD (DF401).
    dockerfile = (
        f"FROM {base_image}\n"
        "WORKDIR /app\n"
        "ADD config.txt /app/config.txt\n"
        "COPY . /app\n"
        "RUN pip install -r requirements.txt\n"
        "CMD sh start.sh\n"
    )
    (app / "Dockerfile").write_text(dockerfile)
    later = time.time() + 5
    os.utime(app / "app.py", (later, later))  # the code file is the one last changed
    before = {p.name: p.stat().st_mtime_ns for p in app.iterdir()}
    start = time.monotonic()
    done = subprocess.run(
        # The local base image is one dffix cannot know to have no ENTRYPOINT, so the
        # DF401 fix is unsafe: ask for unsafe fixes of the three rules this file shows.
        [
            *(sys.executable, "-m", "dffix", "prove", "--engine", "buildah", "--run", "5", *READY),
            *("--unsafe-fixes", "--select", "DF201,DF202,DF401", "Dockerfile"),
        ],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    took = time.monotonic() - start
    assert done.returncode == 0, done.stderr
    proof = json.loads(done.stdout)
    orig, fixed = proof["original"], proof["fixed"]
    assert orig["built"] and fixed["built"]
    assert orig["rebuild_built"] and fixed["rebuild_built"]
    assert fixed["cached_steps"] >= orig["cached_steps"] + 1, (orig, fixed)
    assert orig["started"] and fixed["started"], done.stderr
    assert orig["cmd"] == ["/bin/sh", "-c", "sh start.sh"]
    assert fixed["cmd"] == ["sh", "start.sh"]
    assert orig["user"] == fixed["user"] == "root (uid 0)"
    assert orig["size_bytes"] and fixed["size_bytes"]
    assert proof["touched"] == "app.py"
    assert took < 120, f"the end-to-end proof took {took:.0f} s"
    # Nothing of the user's changed, and nothing of prove's is left in buildah.
    assert (app / "Dockerfile").read_text() == dockerfile
    assert {p.name: p.stat().st_mtime_ns for p in app.iterdir()} == before
    images = _buildah("images", "--format", "{{.Name}}").stdout
    containers = _buildah("containers", "--format", "{{.ContainerName}}").stdout
    assert "dffix-prove-" not in images and "dffix-prove-" not in containers


def test_a_multi_stage_rebuild_counts_the_cache_a_user_build_leaves(base_image: str, tmp_path: Path) -> None:
    # Both stages start alike (FROM, WORKDIR), as DF502 writes them. After the --no-cache
    # build alone, buildah's rebuild took the final stage's WORKDIR from the build stage
    # and reran everything after it; a user building with the cache reruns only the code
    # copy and what follows it.
    app = tmp_path / "app"
    app.mkdir()
    (app / ".dffix.toml").write_text("")
    (app / "requirements.txt").write_text("flask==3.0.0\n")
    (app / "app.py").write_text("print('hello')\n")
    dockerfile = (
        f"FROM {base_image} AS build\n"
        "WORKDIR /app\n"
        "ADD requirements.txt /app/requirements.txt\n"
        "RUN pip install -r requirements.txt\n"
        "\n"
        f"FROM {base_image}\n"
        "WORKDIR /app\n"
        "RUN echo runtime > /runtime.txt\n"
        "COPY --from=build /installed.txt /installed.txt\n"
        "COPY . /app\n"
        'CMD ["cat", "/installed.txt"]\n'
    )
    (app / "Dockerfile").write_text(dockerfile)
    done = subprocess.run(
        [
            *(sys.executable, "-m", "dffix", "prove", "--engine", "buildah", "--output-format", "json"),
            *("--select", "DF201", "Dockerfile"),
        ],
        cwd=app,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    proof = json.loads(done.stdout)
    assert proof["touched"] == "app.py"
    for side in ("original", "fixed"):
        # 10 steps, 2 of them FROM (never cached); COPY . /app and CMD rerun.
        assert (proof[side]["cached_steps"], proof[side]["steps"]) == (6, 10), (side, done.stderr)
    # What prove leaves behind is checked by the test above (and with the fake engine).
