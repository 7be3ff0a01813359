"""Record every output of the installed `dffix` on a corpus, to show a change kept them all.

    .venv/bin/python scripts/output_manifest.py --out before.json      # at the old commit
    .venv/bin/python scripts/output_manifest.py --compare before.json  # after the change

For each level (safe, `--unsafe-fixes`) it runs the `dffix` next to this Python over a
copy of the corpus, the way a user would: `--diff DIR`, `--check DIR`, `--check
--output-format json DIR`, `--statistics`, `dffix -` on every file, and `dffix DIR` (in
place), and records the SHA-256 of each output (stdout, stderr, exit code) and of each
fixed file. `--compare` prints every entry that differs and exits 1 if any does.
Standard library only; the speed work of issue 14 was checked with it (byte-identical
output before and after).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
DFFIX = str(Path(sys.executable).parent / "dffix")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:20]


def run(args: list[str], cwd: Path, stdin: bytes | None = None) -> str:
    done = subprocess.run([DFFIX, *args], cwd=cwd, input=stdin, capture_output=True, check=False)
    return f"{done.returncode}:{digest(done.stdout)}:{digest(done.stderr)}"


def record(corpus: Path, jobs: str) -> dict[str, str]:
    out: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for level, flags in (("safe", []), ("unsafe", ["--unsafe-fixes"])):
            copy = Path(tmp) / level
            shutil.copytree(corpus, copy, symlinks=True)
            files = sorted(p for p in copy.rglob("Dockerfile") if p.is_file())
            common = [*flags, "--jobs", jobs]
            for name, extra in (
                ("diff", ["--diff"]),
                ("check", ["--check"]),
                ("json", ["--check", "--output-format", "json"]),
                ("statistics", ["--check", "--statistics"]),
                ("show-fixes", ["--diff", "--show-fixes"]),
            ):
                out[f"{level} {name}"] = run([*common, *extra, "."], copy)
            for path in files:
                rel = str(path.relative_to(copy))
                out[f"{level} stdin {rel}"] = run(
                    [*flags, "--stdin-filename", rel, "-"], copy, path.read_bytes()
                )
            out[f"{level} write"] = run([*common, "."], copy)
            for path in files:
                out[f"{level} file {path.relative_to(copy)}"] = digest(path.read_bytes())
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--jobs", default="2", help="--jobs for the folder runs (default 2)")
    parser.add_argument("--out", type=Path, help="write the manifest here")
    parser.add_argument("--compare", type=Path, help="compare with this manifest")
    args = parser.parse_args()
    found = record(args.corpus, args.jobs)
    if args.out:
        args.out.write_text(json.dumps(found, indent=0, sort_keys=True) + "\n")
        print(f"{len(found)} outputs recorded in {args.out}")
    if args.compare:
        old = json.loads(args.compare.read_text())
        differ = sorted(k for k in old.keys() | found.keys() if old.get(k) != found.get(k))
        for key in differ:
            print(f"differs: {key}: {old.get(key)} -> {found.get(key)}")
        print(f"{len(found)} outputs, {len(differ)} differ from {args.compare}")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
