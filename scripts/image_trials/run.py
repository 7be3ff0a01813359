#!/usr/bin/env python3
"""Build and start real apps before and after ``dffix --unsafe-fixes``.

For each app in apps.tsv (its code under --apps-dir, default /work/trials/apps):

1. copy it twice to a temp folder, run the app's ``prep`` command in both
   (a workaround for this machine, the same for both builds), and run
   ``dffix --unsafe-fixes`` on the second copy's Dockerfile;
2. build both cold (``buildah bud --isolation chroot --pull=never --layers
   --no-cache --format docker``): ok, seconds, size;
3. append one line to the app's ``touch`` file in both copies and rebuild
   with the cache: seconds and how many steps said ``Using cache``;
4. start each rebuilt image as a container would start: ENTRYPOINT + CMD (or
   the app's ``cmd``, which stands for compose's ``command:``), USER, WORKDIR
   and ENV from ``buildah inspect``, through ``buildah run --isolation
   chroot`` inside ``unshare --net`` (chroot isolation cannot turn the network
   off; the new namespace has only loopback), for up to --run-seconds.
   "starts" = the app's ``ready`` regex appeared, or the process was still
   running at the end; the uid is the image's USER looked up in the image's
   /etc/passwd. The app's ``env`` (compose's env_file) is passed with --env.

Each variant's images are removed before the other one builds, so neither
rebuild can take layers from the other's cache.

Writes report.md and report.json to --out (default
/work/trials/results/<UTC time>), with every log, both Dockerfiles and dffix's
output next to them. Removes the containers and images it made. Needs root,
buildah 1.28 and the base images of bases.sh.

    sudo python3 scripts/image_trials/run.py [--dffix PATH] [--apps a,b]
        [--run-seconds 25] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TAG_PREFIX = "localhost/image-trials"
COMMENT = {".py": "#", ".sh": "#", ".js": "//", ".go": "//", ".ts": "//"}
ID_LINE = re.compile(r"^--> ([0-9a-f]{10,64})\s*$")
CACHE_LINE = re.compile(r"^--> Using cache ([0-9a-f]{64})")
STEP_LINE = re.compile(r"^(\[\d+/\d+\] )?STEP \d+/\d+: ")
# buildah's store is shared with other users here: an image removed during our cache
# lookup fails the build ("layer not known"); that build is tried again
STORE_RACE = re.compile(r"layer not known|image not known.*cache|identifier is not an image")
# lines that mean trouble even when the app came up (shown, not used for "starts")
TROUBLE = re.compile(
    r"PermissionError|Permission denied|EACCES|unable to open database|"
    r"OperationalError|read-only file system|Traceback",
    re.I,
)


@dataclass
class App:
    name: str
    repo: str
    commit: str
    path: str
    touch: str
    ready: str
    cmd: list[str] | None
    env: dict[str, str]
    prep: str
    notes: str


@dataclass
class Build:
    ok: bool = False
    seconds: float = 0.0
    size: str = ""
    retries: int = 0
    log: str = ""
    error_tail: list[str] = field(default_factory=list)


@dataclass
class Start:
    starts: bool = False
    ready: bool = False
    alive_at_end: bool = False
    exit_code: int | None = None
    seconds: float = 0.0
    argv: list[str] = field(default_factory=list)
    user: str = ""
    uid: str = ""
    workdir: str = ""
    tail: list[str] = field(default_factory=list)
    trouble: str = ""
    log: str = ""


@dataclass
class Variant:
    variant: str
    cold: Build = field(default_factory=Build)
    rebuild: Build = field(default_factory=Build)
    steps: int = 0
    cached_steps: int = 0
    start: Start = field(default_factory=Start)


@dataclass
class Result:
    app: str
    source: str
    dffix_exit: int | None = None
    dffix_changed: bool = False
    dffix_wrote_dockerignore: bool = False
    dffix_output: list[str] = field(default_factory=list)
    df301: str = ""  # what `dffix --check` says of DF301 on the original
    variants: list[Variant] = field(default_factory=list)
    error: str = ""


def read_apps(tsv: Path) -> list[App]:
    apps = []
    with tsv.open(newline="") as fh:
        rows = [r for r in fh if r.strip() and not r.startswith("#")]
    for row in csv.DictReader(rows, delimiter="\t"):
        cmd = row.get("cmd", "").strip()
        env = row.get("env", "").strip()
        apps.append(
            App(
                name=row["name"].strip(),
                repo=row["repo"].strip(),
                commit=row["commit"].strip(),
                path=row["path"].strip(),
                touch=row["touch"].strip(),
                ready=row["ready"].strip(),
                cmd=json.loads(cmd) if cmd else None,
                env=json.loads(env) if env else {},
                prep=row.get("prep", "").strip(),
                notes=row.get("notes", "").strip(),
            )
        )
    return apps


def sh(args: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, text=True, capture_output=True, **kw)


def tail(text: str, n: int = 5) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip()][-n:]


class Trial:
    def __init__(self, args: argparse.Namespace, out: Path) -> None:
        self.args = args
        self.out = out
        self.made_images: list[str] = []  # ids, in creation order
        self.made_tags: list[str] = []

    # -- building -------------------------------------------------------
    def build(self, ctx: Path, tag: str, log: Path, cold: bool) -> tuple[Build, int, int]:
        """Build; again (up to 2 more times) when the store changed under the cache lookup."""
        for attempt in range(3):
            b, steps, cached = self._build(ctx, tag, log, cold)
            b.retries = attempt
            if b.ok or not STORE_RACE.search(log.read_text(errors="replace")):
                break
            log.rename(log.with_suffix(f".try{attempt + 1}.log"))
            time.sleep(2)
        return b, steps, cached

    def _build(self, ctx: Path, tag: str, log: Path, cold: bool) -> tuple[Build, int, int]:
        cmd = [
            "buildah",
            "bud",
            "--isolation",
            "chroot",
            "--pull=never",
            "--layers",
            "--format",
            "docker",
            "--force-rm",
            "-f",
            str(ctx / "Dockerfile"),
            "-t",
            tag,
        ]
        if cold:
            cmd.append("--no-cache")
        cmd.append(str(ctx))
        t0 = time.monotonic()
        try:
            p = subprocess.run(
                cmd,
                text=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=self.args.build_timeout,
                cwd=ctx,
                errors="replace",
            )
            rc, text = p.returncode, p.stdout
        except subprocess.TimeoutExpired as exc:
            rc = -1
            text = (
                (exc.stdout or b"").decode(errors="replace")
                if isinstance(exc.stdout, bytes)
                else (exc.stdout or "")
            )
            text += f"\n[image-trials] build timed out after {self.args.build_timeout}s\n"
        secs = time.monotonic() - t0
        log.write_text(" ".join(shlex.quote(c) for c in cmd) + "\n" + text)
        steps = cached = 0
        prev_cache = False
        for ln in text.splitlines():
            if STEP_LINE.match(ln):
                steps += 1
            if CACHE_LINE.match(ln):
                cached += 1
                prev_cache = True
                continue
            m = ID_LINE.match(ln)
            if m and not prev_cache:
                self.made_images.append(m.group(1))
            prev_cache = False
        b = Build(ok=rc == 0, seconds=round(secs, 1), log=str(log))
        if rc == 0:
            self.made_tags.append(tag)
            b.size = image_size(tag)
        else:
            b.error_tail = tail(text)
        return b, steps, cached

    # -- starting -------------------------------------------------------
    def start(self, app: App, tag: str, log: Path) -> Start:
        st = Start(log=str(log))
        info = json.loads(sh(["buildah", "inspect", "--type", "image", tag]).stdout or "{}")
        cfg = (info.get("Docker") or {}).get("config") or (info.get("OCIv1") or {}).get("config") or {}
        entry = cfg.get("Entrypoint") or []
        cmd = app.cmd if app.cmd is not None else (cfg.get("Cmd") or [])
        st.argv = list(entry) + list(cmd)
        st.user = cfg.get("User") or ""
        st.workdir = cfg.get("WorkingDir") or ""
        if not st.argv:
            st.tail = ["[image-trials] the image has no ENTRYPOINT or CMD"]
            return st
        name = f"image-trials-{app.name}-{Path(tag).name.replace(':', '-')}"
        sh(["buildah", "rm", name])
        p = sh(["buildah", "from", "--pull=never", "--name", name, tag])
        if p.returncode != 0:
            st.tail = tail(p.stderr)
            return st
        ctr = p.stdout.strip().splitlines()[-1]
        try:
            mnt = sh(["buildah", "mount", ctr]).stdout.strip()
            st.uid = resolve_uid(Path(mnt), st.user) if mnt else "?"
            run = ["buildah", "run", "--isolation", "chroot"]
            if st.user:
                run += ["--user", st.user]
            for k, val in app.env.items():
                run += ["--env", f"{k}={val}"]
            run += [ctr, "--", *st.argv]
            wrapped = ["unshare", "--net", "sh", "-c", 'ip link set lo up 2>/dev/null; exec "$@"', "sh", *run]
            self._run(app, wrapped, st, log, mnt)
        finally:
            sh(["buildah", "umount", ctr])
            sh(["buildah", "rm", ctr])
        return st

    def _run(self, app: App, argv: list[str], st: Start, log: Path, mnt: str) -> None:
        lines: list[str] = []
        ready_at: list[float] = []
        rx = re.compile(app.ready) if app.ready else None
        t0 = time.monotonic()
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            text=True,
            errors="replace",
            bufsize=1,
        )

        def reader() -> None:
            assert proc.stdout is not None
            for ln in proc.stdout:
                lines.append(ln.rstrip("\n"))
                if rx and not ready_at and rx.search(ln):
                    ready_at.append(time.monotonic())

        th = threading.Thread(target=reader, daemon=True)
        th.start()
        deadline = t0 + self.args.run_seconds
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            # after the ready line, watch 3 more seconds for a crash
            if ready_at and time.monotonic() - ready_at[0] > 3:
                break
            time.sleep(0.2)
        st.seconds = round(time.monotonic() - t0, 1)
        rc = proc.poll()
        if rc is None:
            st.alive_at_end = True
            stop(proc, mnt)
        else:
            st.exit_code = rc
        th.join(timeout=5)
        st.ready = bool(ready_at)
        st.starts = (st.ready and (st.alive_at_end or st.exit_code == 0)) or st.alive_at_end
        log.write_text(
            " ".join(shlex.quote(a) for a in argv)
            + "\n"
            + "\n".join(lines)
            + "\n"
            + f"[image-trials] ready={st.ready} alive_at_end={st.alive_at_end} "
            f"exit={st.exit_code} after {st.seconds}s\n"
        )
        # the most telling line: a specific error before a bare "Traceback"
        hits = [ln.strip() for ln in lines if TROUBLE.search(ln)]
        st.trouble = next((h for h in hits if not h.startswith("Traceback")), hits[0] if hits else "")[:160]
        if not st.starts:
            st.tail = tail("\n".join(lines))

    # -- one app --------------------------------------------------------
    def trial(self, app: App) -> Result:
        res = Result(app=app.name, source=f"{app.repo}@{app.commit[:10]}:{app.path or '.'}")
        src = Path(self.args.apps_dir) / app.name
        adir = self.out / app.name
        adir.mkdir(parents=True, exist_ok=True)
        if not (src / "Dockerfile").is_file():
            res.error = f"no {src}/Dockerfile (copy the app there first; see apps.tsv)"
            return res
        tmp = Path(tempfile.mkdtemp(prefix=f"{app.name}-", dir=self.args.tmp_dir))
        try:
            ctxs = {}
            for v in ("orig", "fixed"):
                ctx = tmp / v
                shutil.copytree(src, ctx, symlinks=True)
                if app.prep:
                    p = subprocess.run(["sh", "-c", app.prep], cwd=ctx, text=True, capture_output=True)
                    (adir / f"prep-{v}.log").write_text(app.prep + "\n" + p.stdout + p.stderr)
                    if p.returncode != 0:
                        res.error = f"prep failed: {tail(p.stderr, 2)}"
                        return res
                ctxs[v] = ctx
            had_ignore = (ctxs["fixed"] / ".dockerignore").exists()
            chk = sh([self.args.dffix, "--check", "--jobs", "1", str(ctxs["orig"] / "Dockerfile")])
            (adir / "dffix-check.out").write_text(chk.stdout + chk.stderr)
            res.df301 = next(
                (ln.split(" DF301 ", 1)[1] for ln in chk.stdout.splitlines() if " DF301 " in ln),
                "not reported",
            )
            p = sh([self.args.dffix, "--unsafe-fixes", "--jobs", "1", str(ctxs["fixed"] / "Dockerfile")])
            res.dffix_exit = p.returncode
            res.dffix_output = (p.stdout + p.stderr).splitlines()
            (adir / "dffix.out").write_text(p.stdout + p.stderr)
            shutil.copy(ctxs["orig"] / "Dockerfile", adir / "Dockerfile.orig")
            shutil.copy(ctxs["fixed"] / "Dockerfile", adir / "Dockerfile.fixed")
            orig_text = (adir / "Dockerfile.orig").read_bytes()
            res.dffix_changed = orig_text != (adir / "Dockerfile.fixed").read_bytes()
            if not had_ignore and (ctxs["fixed"] / ".dockerignore").exists():
                res.dffix_wrote_dockerignore = True
                shutil.copy(ctxs["fixed"] / ".dockerignore", adir / "dockerignore.fixed")
            diff = sh(["diff", "-u", str(adir / "Dockerfile.orig"), str(adir / "Dockerfile.fixed")])
            (adir / "Dockerfile.diff").write_text(diff.stdout)
            for v, ctx in ctxs.items():
                var = Variant(variant=v)
                res.variants.append(var)
                tag = f"{TAG_PREFIX}/{app.name}:{v}"
                var.cold, _, _ = self.build(ctx, tag, adir / f"build-{v}.log", cold=True)
                log_progress(f"{app.name}/{v}: cold build ok={var.cold.ok} {var.cold.seconds}s")
                if not var.cold.ok:
                    continue
                touch = ctx / app.touch
                if app.touch and touch.is_file():
                    mark = COMMENT.get(touch.suffix, "#")
                    with touch.open("a") as fh:
                        # the line names the variant: the same bytes in both copies would let
                        # the second rebuild take the first one's layers from the cache
                        fh.write(f"\n{mark} image-trials: one-line change ({v})\n")
                var.rebuild, var.steps, var.cached_steps = self.build(
                    ctx, tag, adir / f"rebuild-{v}.log", cold=False
                )
                log_progress(
                    f"{app.name}/{v}: rebuild ok={var.rebuild.ok} {var.rebuild.seconds}s "
                    f"cached {var.cached_steps}/{var.steps}"
                )
                if var.rebuild.ok:
                    var.start = self.start(app, tag, adir / f"start-{v}.log")
                    log_progress(f"{app.name}/{v}: starts={var.start.starts} uid={var.start.uid}")
                # one variant's layers out of the store before the other builds: else the
                # other's rebuild can take a step from them and miss its own later steps
                self.cleanup()
        except Exception as exc:  # a broken app must not stop the others
            res.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.cleanup()
            if not self.args.keep:
                shutil.rmtree(tmp, ignore_errors=True)
        return res

    def cleanup(self) -> None:
        for tag in self.made_tags:
            sh(["buildah", "rmi", tag])
        for iid in reversed(self.made_images):
            sh(["buildah", "rmi", iid])
        self.made_tags.clear()
        self.made_images.clear()


def copy_missing(apps: list[App], apps_dir: Path, mirrors: Path) -> None:
    """Copy an app not yet in apps_dir out of its repo's fetched git snapshot."""
    for app in apps:
        dest = apps_dir / app.name
        if (dest / "Dockerfile").is_file():
            continue
        git = mirrors / app.repo.replace("/", "+") / "repo"
        if not git.is_dir():
            log_progress(f"{app.name}: no {git} (fetch github:{app.repo} first)")
            continue
        dest.mkdir(parents=True, exist_ok=True)
        tree = f"{app.commit}:{app.path}" if app.path else app.commit
        # files of 4 MiB and more are not in the snapshots: leave out what cannot be read
        missing = [
            ln.split("\t", 1)[1]
            for ln in sh(["git", "-C", str(git), "ls-tree", "-r", tree]).stdout.splitlines()
            if sh(["git", "-C", str(git), "cat-file", "-e", ln.split()[2]]).returncode != 0
        ]
        archive = subprocess.run(
            ["git", "-C", str(git), "archive", "--format=tar", tree, "--", ".", *(f":!{m}" for m in missing)],
            capture_output=True,
            check=False,
        )
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=False)
        log_progress(
            f"{app.name}: copied from {git} {tree}" + (f" without {', '.join(missing)}" if missing else "")
        )


def stop(proc: subprocess.Popen[str], mnt: str) -> None:
    """Stop the run's process group, then anything left whose root is the container."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=5)
            break
        except subprocess.TimeoutExpired:
            continue
    if not mnt:
        return
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{pid}/root") == mnt:
                os.kill(int(pid), signal.SIGKILL)
        except OSError:
            pass


def resolve_uid(root: Path, user: str) -> str:
    name = user.split(":")[0] if user else ""
    if not name:
        return "0"
    if name.isdigit():
        return name
    try:
        for ln in (root / "etc/passwd").read_text().splitlines():
            parts = ln.split(":")
            if len(parts) > 2 and parts[0] == name:
                return parts[2]
    except OSError:
        pass
    return f"?({name})"


def image_size(tag: str) -> str:
    p = sh(["buildah", "images", "--format", "{{.Size}}", tag])
    return p.stdout.strip().splitlines()[0] if p.stdout.strip() else ""


def log_progress(msg: str) -> None:
    print(f"[{dt.datetime.now(dt.UTC):%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


def yes(b: bool) -> str:
    return "yes" if b else "**no**"


def report_md(results: list[Result], args: argparse.Namespace, dffix_version: str) -> str:
    out = [
        f"# image trials {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"dffix: `{args.dffix}` ({dffix_version}), `--unsafe-fixes`; run up to "
        f"{args.run_seconds}s, network off",
        "",
        "| app | variant | builds | cold s | size | rebuild s (touch) | cached steps | uid | starts |"
        " trouble in output |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    fails = []
    for r in results:
        if r.error and not r.variants:
            out.append(f"| {r.app} | - | error: {r.error} | | | | | | | |")
            continue
        for v in r.variants:
            label = v.variant
            if v.variant == "fixed":
                label += "" if r.dffix_changed else " (unchanged)"
            s = v.start
            starts = "" if not v.rebuild.ok else (yes(s.starts) + (" (ready)" if s.ready else ""))
            rebuild = (
                ""
                if not v.cold.ok
                else (f"{v.rebuild.seconds}" if v.rebuild.ok else f"**failed** {v.rebuild.seconds}")
            )
            retried = v.cold.retries + v.rebuild.retries
            out.append(
                f"| {r.app} | {label} | {yes(v.cold.ok)} | {v.cold.seconds} | {v.cold.size} | "
                f"{rebuild}{f' ({retried} retried)' if retried else ''} | "
                f"{f'{v.cached_steps}/{v.steps}' if v.cold.ok else ''} | {s.uid} | {starts} | "
                f"{s.trouble.replace('|', '/')} |"
            )
            if not v.cold.ok:
                fails.append((f"{r.app}/{v.variant} build", v.cold.error_tail))
            elif not v.rebuild.ok:
                fails.append((f"{r.app}/{v.variant} rebuild", v.rebuild.error_tail))
            elif not s.starts:
                fails.append((f"{r.app}/{v.variant} start (exit {s.exit_code})", s.tail))
        if r.error:
            fails.append((f"{r.app} harness error", [r.error]))
    out += ["", "## DF301 on each original (`dffix --check`)", ""]
    out += [f"- **{r.app}**: {r.df301}" for r in results]
    if fails:
        out += ["", "## failures (last 5 lines)"]
        for what, lines in fails:
            out += ["", f"**{what}**", "```"] + [ln[:300] for ln in lines] + ["```"]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dffix", default="/work/main/.venv/bin/dffix")
    ap.add_argument("--apps", default="", help="comma-separated names (default: all in apps.tsv)")
    ap.add_argument("--apps-tsv", default=str(HERE / "apps.tsv"))
    ap.add_argument("--apps-dir", default="/work/trials/apps")
    ap.add_argument("--out", default="")
    ap.add_argument("--tmp-dir", default="/work/trials/tmp")
    ap.add_argument("--run-seconds", type=float, default=25)
    ap.add_argument("--build-timeout", type=float, default=900)
    ap.add_argument("--keep", action="store_true", help="keep the temp copies of the apps")
    ap.add_argument(
        "--copy-missing",
        action="store_true",
        help="first copy apps missing from --apps-dir out of the fetched snapshots "
        "under --mirrors (git archive of repo@commit:path)",
    )
    ap.add_argument("--mirrors", default="/work/.mirror")
    args = ap.parse_args(argv)
    if os.geteuid() != 0:
        print("run.py: needs root (buildah, unshare --net)", file=sys.stderr)
        return 2
    if not os.access(args.dffix, os.X_OK):
        print(f"run.py: no dffix at {args.dffix}", file=sys.stderr)
        return 2
    apps = read_apps(Path(args.apps_tsv))
    if args.apps:
        want = [a.strip() for a in args.apps.split(",") if a.strip()]
        unknown = sorted(set(want) - {a.name for a in apps})
        if unknown:
            print(f"run.py: not in apps.tsv: {', '.join(unknown)}", file=sys.stderr)
            return 2
        apps = [a for a in apps if a.name in want]
    if args.copy_missing:
        copy_missing(apps, Path(args.apps_dir), Path(args.mirrors))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = Path(args.out or f"/work/trials/results/{stamp}")
    out.mkdir(parents=True, exist_ok=True)
    Path(args.tmp_dir).mkdir(parents=True, exist_ok=True)
    version = sh([args.dffix, "--version"]).stdout.strip()
    # the venv's repo (dffix is installed editable there): which commit is measured
    repo = Path(args.dffix).resolve().parent.parent.parent
    head = sh(["git", "-C", str(repo), "log", "-1", "--format=%h %s"]).stdout.strip()
    if head:
        version += f", {repo} at {head[:70]}"
    trial = Trial(args, out)
    results = []
    for app in apps:
        log_progress(f"{app.name}: start")
        results.append(trial.trial(app))
        (out / "report.json").write_text(
            json.dumps(
                {
                    "dffix": args.dffix,
                    "dffix_version": version,
                    "run_seconds": args.run_seconds,
                    "results": [asdict(r) for r in results],
                },
                indent=1,
            )
        )
        (out / "report.md").write_text(report_md(results, args, version))
    print((out / "report.md").read_text())
    print(f"written: {out}/report.md, {out}/report.json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
