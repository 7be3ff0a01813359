"""A stand-in for docker, podman and buildah, for the `dffix prove` tests.

Installed on PATH under an engine's name (see tests/test_prove.py), it appends each
call to `calls.jsonl` in $FAKE_ENGINE_DIR, keeps the images and containers it "made" in
`state.json` there (so a test can check that prove removed them all), and answers with
the canned behaviour of `config.json`:

    {"probe_fails": ["docker"],            # engines whose probe fails
     "original": {"cold": {...}, "rebuild": {...}, "image": {...}, "start": {...}},
     "fixed": {...},
     "interrupt": "fixed-cold"}            # send SIGINT to prove during that build

A build entry is {"rc": 0, "cached": 2, "steps": 5}; an image entry is {"size": "2.5 MB",
"bytes": 2500000, "layers": 4, "user": "app", "cmd": [...], "entrypoint": [...]}; a start
entry is {"print": ["line", ...], "sleep": 1.0, "rc": 0}. A side's "stages": [3, 4] makes
its builds multi-stage, printed as buildah prints them (`[1/2] STEP 1/3: FROM base`); its
rebuild then takes only its "unsettled" count of steps from the cache unless a build with
the cache (tag `...-warm`, untouched) came between, as buildah after a --no-cache build.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import uuid
from typing import Any

HERE = os.environ["FAKE_ENGINE_DIR"]
ENGINE = os.path.basename(sys.argv[0])


def load(name: str, default: Any) -> Any:
    try:
        with open(os.path.join(HERE, name), encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return default


def read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        return ""


def save_state(state: dict[str, Any]) -> None:
    with open(os.path.join(HERE, "state.json"), "w", encoding="utf-8") as handle:
        json.dump(state, handle)


def side_of(ref: str) -> str:
    return "fixed" if ref.split(":")[-1].startswith("fixed") else "original"


def main(args: list[str]) -> int:
    config: dict[str, Any] = load("config.json", {})
    state: dict[str, Any] = load("state.json", {"images": [], "containers": {}})
    images: list[str] = state["images"]
    containers: dict[str, str] = state["containers"]
    with open(os.path.join(HERE, "calls.jsonl"), "a", encoding="utf-8") as handle:
        handle.write(json.dumps([ENGINE, *args]) + "\n")
    command = args[0] if args else ""
    if command in ("version", "info") or (command == "images" and "--quiet" in args):
        if ENGINE in config.get("probe_fails", []):
            print(f"Cannot connect to the {ENGINE} daemon. Is it running?", file=sys.stderr)
            return 1
        print("24.0.0" if command == "version" else "")
        return 0
    if command == "build":
        tag = args[args.index("-t") + 1]
        dockerfile = args[args.index("-f") + 1]
        side = os.path.basename(os.path.dirname(dockerfile))
        phase = next((p for p in ("rebuild", "warm") if tag.endswith(f"-{p}")), "cold")
        if config.get("interrupt") == f"{side}-{phase}":
            os.kill(os.getppid(), signal.SIGINT)
            time.sleep(5)
        spec = config.get(side, {}).get(phase, {})
        stages = config.get(side, {}).get("stages")  # [steps of stage 1, ...]: multi-stage
        steps = sum(stages) if stages else spec.get("steps", 4)
        cached = spec.get("cached", 0)
        if phase == "cold" and "--no-cache" not in args:
            print("cold build without --no-cache", file=sys.stderr)
            return 3
        if phase == "warm" and "--no-cache" in args:
            print("warm build with --no-cache", file=sys.stderr)
            return 3
        if phase == "warm" and "dffix prove" in read_text(os.path.join(args[-1], "app.py")):
            print("warm build after the touch", file=sys.stderr)
            return 3
        names = [
            (f"[{i + 1}/{len(stages)}] STEP {k}/{total}", k == 1)
            for i, total in enumerate(stages or [])
            for k in range(1, total + 1)
        ] or [(f"STEP {n}/{steps}", False) for n in range(1, steps + 1)]
        warmed = state.setdefault("warmed", [])
        if phase == "warm":
            warmed.append(side)
        elif phase == "rebuild" and stages and side not in warmed:
            # As buildah after a --no-cache build of stages that start alike: the
            # rebuild follows the other stage's layers and reruns the rest.
            cached = spec.get("unsettled", cached)
        n = 0
        for name, is_from in names:
            if is_from:
                print(f"{name}: FROM base")
                continue
            n += 1
            print(f"{name}: RUN step {n}")
            if n <= cached:
                # As buildah prints it: the full id, then the short one again.
                print(f"--> Using cache {'f' * 64}\n--> {'f' * 11}")
            else:
                layer = uuid.uuid4().hex[:11]
                images.append(layer)
                print(f"--> {layer}")
        if spec.get("rc", 0) != 0:
            print("Error: building at STEP 3: exit status 1")
            save_state(state)
            return int(spec["rc"])
        images.append(tag)
        print(f"Successfully tagged {tag}")
        save_state(state)
        time.sleep(spec.get("sleep", 0))
        return 0
    if command in ("inspect", "image", "images"):
        ref = args[-1]
        if ref not in images:
            print(f"Error: {ref}: image not known", file=sys.stderr)
            return 125
        image = config.get(side_of(ref), {}).get("image", {})
        cfg = {"User": image.get("user", ""), "Cmd": image.get("cmd", ["/bin/sh", "-c", "app"])}
        if image.get("entrypoint"):
            cfg["Entrypoint"] = image["entrypoint"]
        layers = ["sha256:x"] * image.get("layers", 4)
        if command == "images":
            print(json.dumps([{"names": [ref], "size": image.get("size", "2.5 MB")}]))
        elif ENGINE == "buildah":
            print(json.dumps({"OCIv1": {"config": cfg, "rootfs": {"diff_ids": layers}}}))
        else:
            print(
                json.dumps(
                    [{"Size": image.get("bytes", 2500000), "RootFS": {"Layers": layers}, "Config": cfg}]
                )
            )
        return 0
    if command == "rmi":
        ref = args[-1]
        if ref not in images:
            print(f"Error: {ref}: image not known", file=sys.stderr)
            return 1
        images.remove(ref)
        save_state(state)
        return 0
    if command in ("from", "create"):
        ref = args[-2] if command == "create" else args[-1]
        name = args[args.index("--name") + 1]
        containers[name] = ref
        save_state(state)
        print(name)
        return 0
    if command == "mount":
        root = os.path.join(HERE, "root")
        os.makedirs(os.path.join(root, "etc"), exist_ok=True)
        with open(os.path.join(root, "etc", "passwd"), "w", encoding="utf-8") as handle:
            handle.write("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/app:/bin/sh\n")
        print(root)
        return 0
    if command == "umount":
        return 0
    if command == "rm":
        name = args[-1]
        if containers.pop(name, None) is None:
            return 1
        save_state(state)
        return 0
    if command == "run":
        if ENGINE == "buildah":
            name = args[args.index("--") - 1]
            ref = containers[name]
        else:
            ref = args[-1]
            containers[args[args.index("--name") + 1]] = ref
            save_state(state)
        start = config.get(side_of(ref), {}).get("start", {})
        for line in start.get("print", ["listening"]):
            print(line, flush=True)
        time.sleep(start.get("sleep", 30))
        return int(start.get("rc", 0))
    print(f"fake {ENGINE}: unknown command {args}", file=sys.stderr)
    return 99


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
