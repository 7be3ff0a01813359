"""Time a Dockerfile language server per request over the corpus, through a real LSP client.

Run from the repository root with the project's virtualenv:

    .venv/bin/python benchmarks/lsp_latency.py                       # dffix server
    .venv/bin/python benchmarks/lsp_latency.py --peer "tally lsp --stdio"

For each corpus file: open it and time the first diagnostics (a pull request when the
server offers pull diagnostics, else the pushed ones), a code action request over the
whole file, the resolve of its fix-all action (when the server left the edit for
codeAction/resolve, as VS Code and Neovim let it) and a formatting request. Prints
p50/p95/max per request, the same for one typical file opened 100 times, then the
server's resident memory before and after `--cycles` open/close cycles of that file.
The client is pygls' own; every server gets the same client and the same files
(`--no-resolve`: a client that takes every edit at once, as Emacs 29's eglot does).
`--client raw` sends the same requests as bare JSON and reads the answers with
`json.loads` only, as an editor's own JSON parser would: pygls' client also turns each
answer into lsprotocol objects (cattrs, with validators), which costs it about as much
as the server spends on some requests, and that time is in its numbers too.
`--client both` runs the two clients one after the other.
Prints numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.protocol import default_converter

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
TYPICAL = Path("shipwright/0b4a729fc9437a3f057304d8f8d0407fabc8330a/Dockerfile")
DFFIX = f"{shlex.quote(sys.executable)} -m dffix server"


def capabilities(resolve: bool = True) -> lsp.ClientCapabilities:
    """A client that can take pushed and pulled diagnostics, code actions and formatting.

    With `resolve`, it fills in an action's edit with codeAction/resolve (VS Code, Neovim).
    """
    return lsp.ClientCapabilities(
        text_document=lsp.TextDocumentClientCapabilities(
            diagnostic=lsp.DiagnosticClientCapabilities(),
            publish_diagnostics=lsp.PublishDiagnosticsClientCapabilities(),
            code_action=lsp.CodeActionClientCapabilities(
                code_action_literal_support=lsp.ClientCodeActionLiteralOptions(
                    lsp.ClientCodeActionKindOptions(["quickfix", "source.fixAll"])
                ),
                data_support=resolve or None,
                resolve_support=lsp.ClientCodeActionResolveOptions(["edit"]) if resolve else None,
            ),
            formatting=lsp.DocumentFormattingClientCapabilities(),
        ),
    )


class Bench:
    """One server process and the client talking to it."""

    def __init__(self, command: str, resolve: bool = True) -> None:
        self.command = shlex.split(command)
        self.resolve = resolve
        self.client = LanguageClient("dffix-bench", "1")
        self.pushed: dict[str, asyncio.Future[None]] = {}
        self.pull = False

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)  # type: ignore[untyped-decorator]
        def published(params: lsp.PublishDiagnosticsParams) -> None:
            waiter = self.pushed.pop(params.uri, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

        @self.client.feature(lsp.WINDOW_LOG_MESSAGE)  # type: ignore[untyped-decorator]
        def logged(params: lsp.LogMessageParams) -> None:
            pass

        @self.client.feature(lsp.WORKSPACE_CONFIGURATION)  # type: ignore[untyped-decorator]
        def configuration(params: lsp.ConfigurationParams) -> list[object]:
            return [None for _ in params.items]

    async def start(self, root: Path) -> None:
        await self.client.start_io(*self.command)
        result = await self.client.initialize_async(
            lsp.InitializeParams(
                capabilities=capabilities(self.resolve), root_uri=root.as_uri(), process_id=None
            )
        )
        self.pull = result.capabilities.diagnostic_provider is not None
        self.client.initialized(lsp.InitializedParams())

    async def open(self, uri: str, text: str) -> float:
        """Open a document; return the seconds until its diagnostics are in."""
        loop = asyncio.get_running_loop()
        start = time.perf_counter()
        if not self.pull:
            self.pushed[uri] = loop.create_future()
        self.client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "dockerfile", 1, text))
        )
        if self.pull:
            await self.client.text_document_diagnostic_async(
                lsp.DocumentDiagnosticParams(lsp.TextDocumentIdentifier(uri))
            )
        else:
            await asyncio.wait_for(self.pushed[uri], 30)
        return time.perf_counter() - start

    async def code_action(self, uri: str, text: str) -> tuple[float, float | None]:
        """Ask for the actions over the whole file; return the seconds it took, and those
        of resolving the fix-all action (None when it came with its edit, or none came)."""
        lines = text.count("\n") + 1
        whole = lsp.Range(lsp.Position(0, 0), lsp.Position(lines, 0))
        start = time.perf_counter()
        got = await self.client.text_document_code_action_async(
            lsp.CodeActionParams(lsp.TextDocumentIdentifier(uri), whole, lsp.CodeActionContext([]))
        )
        took = time.perf_counter() - start
        unresolved = [
            a
            for a in got or []
            if isinstance(a, lsp.CodeAction) and (a.kind or "").startswith("source.fixAll") and a.edit is None
        ]
        if not unresolved:
            return took, None
        start = time.perf_counter()
        await self.client.code_action_resolve_async(unresolved[0])
        return took, time.perf_counter() - start

    async def formatting(self, uri: str) -> float:
        start = time.perf_counter()
        await self.client.text_document_formatting_async(
            lsp.DocumentFormattingParams(lsp.TextDocumentIdentifier(uri), lsp.FormattingOptions(4, True))
        )
        return time.perf_counter() - start

    def close(self, uri: str) -> None:
        self.client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri)))

    def rss_mib(self) -> float:
        """Return the server process's resident memory (Linux /proc), in MiB."""
        server = self.client._server
        return _rss_mib(server.pid if server is not None else None)

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()  # type: ignore[no-untyped-call]


class RawBench:
    """The requests of `Bench` as bare JSON-RPC over the server's stdio.

    Each message is written with `json.dumps` and each answer read with `json.loads`:
    nothing else happens in this process between a request and its answer. A request
    from the server gets an empty answer (`workspace/configuration` one None per item).
    """

    def __init__(self, command: str, resolve: bool = True) -> None:
        self.command = shlex.split(command)
        self.resolve = resolve
        self.pull = False
        self.last_id = 0
        self.waiting: dict[int, asyncio.Future[object]] = {}
        self.pushed: dict[str, asyncio.Future[None]] = {}
        self.process: asyncio.subprocess.Process | None = None
        self.reading: asyncio.Task[None] | None = None

    async def start(self, root: Path) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        self.reading = asyncio.get_running_loop().create_task(self._read())
        # lsprotocol's converter writes the capabilities once, outside every timed request.
        caps = default_converter().unstructure(capabilities(self.resolve))  # type: ignore[no-untyped-call]
        params = {"processId": None, "rootUri": root.as_uri(), "capabilities": caps}
        result = await self.request("initialize", params)
        assert isinstance(result, dict)
        self.pull = result.get("capabilities", {}).get("diagnosticProvider") is not None
        self.notify("initialized", {})

    def _send(self, message: dict[str, object]) -> None:
        assert self.process is not None and self.process.stdin is not None
        body = json.dumps(message).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def request(self, method: str, params: object) -> object:
        self.last_id += 1
        answer = self.waiting[self.last_id] = asyncio.get_running_loop().create_future()
        self._send({"jsonrpc": "2.0", "id": self.last_id, "method": method, "params": params})
        return await answer

    def notify(self, method: str, params: object) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        out = self.process.stdout
        while True:
            length = 0
            while True:
                line = await out.readline()
                if not line:
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
                elif not line.strip():
                    break
            self._received(json.loads(await out.readexactly(length)))

    def _received(self, message: dict[str, Any]) -> None:
        method = message.get("method")
        if method is not None:
            if "id" in message:  # a request from the server
                items = (message.get("params") or {}).get("items", [])
                result = [None for _ in items] if method == "workspace/configuration" else None
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})
            elif method == "textDocument/publishDiagnostics":
                waiter = self.pushed.pop(message["params"]["uri"], None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(None)
            return
        answer = self.waiting.pop(message.get("id", -1), None)
        if answer is not None:
            if "error" in message:
                answer.set_exception(RuntimeError(f"the server answered {message['error']}"))
            else:
                answer.set_result(message.get("result"))

    async def open(self, uri: str, text: str) -> float:
        """Open a document; return the seconds until its diagnostics are in."""
        start = time.perf_counter()
        if not self.pull:
            self.pushed[uri] = asyncio.get_running_loop().create_future()
        document = {"uri": uri, "languageId": "dockerfile", "version": 1, "text": text}
        self.notify("textDocument/didOpen", {"textDocument": document})
        if self.pull:
            await self.request("textDocument/diagnostic", {"textDocument": {"uri": uri}})
        else:
            await asyncio.wait_for(self.pushed[uri], 30)
        return time.perf_counter() - start

    async def code_action(self, uri: str, text: str) -> tuple[float, float | None]:
        """As `Bench.code_action`."""
        lines = text.count("\n") + 1
        whole = {"start": {"line": 0, "character": 0}, "end": {"line": lines, "character": 0}}
        start = time.perf_counter()
        got = await self.request(
            "textDocument/codeAction",
            {"textDocument": {"uri": uri}, "range": whole, "context": {"diagnostics": []}},
        )
        took = time.perf_counter() - start
        unresolved = [
            a
            for a in got or []  # type: ignore[attr-defined]
            if isinstance(a, dict)
            and isinstance(a.get("kind"), str)
            and a["kind"].startswith("source.fixAll")
            and a.get("edit") is None
            and a.get("command") is None  # run by workspace/executeCommand, not resolved
        ]
        if not unresolved:
            return took, None
        start = time.perf_counter()
        await self.request("codeAction/resolve", unresolved[0])
        return took, time.perf_counter() - start

    async def formatting(self, uri: str) -> float:
        start = time.perf_counter()
        options = {"tabSize": 4, "insertSpaces": True}
        await self.request("textDocument/formatting", {"textDocument": {"uri": uri}, "options": options})
        return time.perf_counter() - start

    def close(self, uri: str) -> None:
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def rss_mib(self) -> float:
        return _rss_mib(self.process.pid if self.process is not None else None)

    async def stop(self) -> None:
        await self.request("shutdown", None)
        self.notify("exit", None)
        assert self.process is not None
        await asyncio.wait_for(self.process.wait(), 30)
        if self.reading is not None:
            self.reading.cancel()


def _rss_mib(pid: int | None) -> float:
    """Return a process's resident memory (Linux /proc), in MiB."""
    if pid is None:
        return float("nan")
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return kib / 1024


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


REQUESTS = ("diagnostics after open", "codeAction", "codeAction/resolve", "formatting")


async def one_file(bench: Bench | RawBench, uri: str, text: str, times: dict[str, list[float]]) -> None:
    """Open, ask what an editor asks of a fresh file (resolving fix-all as a save would), close."""
    times["diagnostics after open"].append(await bench.open(uri, text))
    took, resolved = await bench.code_action(uri, text)
    times["codeAction"].append(took)
    if resolved is not None:
        times["codeAction/resolve"].append(resolved)
    times["formatting"].append(await bench.formatting(uri))
    bench.close(uri)


def table(times: dict[str, list[float]]) -> None:
    for name, values in times.items():
        if values:
            ms = [v * 1000 for v in values]
            n = f" ({len(ms)})" if name == "codeAction/resolve" else ""
            print(
                f"  {name + n:<24} {statistics.median(ms):>8.1f} {percentile(ms, 95):>8.1f} {max(ms):>8.1f}"
            )


async def measure(
    command: str, files: list[Path], corpus: Path, cycles: int, resolve: bool = True, client: str = "pygls"
) -> None:
    bench = RawBench(command, resolve) if client == "raw" else Bench(command, resolve)
    start = time.perf_counter()
    await bench.start(corpus)
    started = time.perf_counter() - start
    times: dict[str, list[float]] = {name: [] for name in REQUESTS}
    for path in files:
        await one_file(bench, path.resolve().as_uri(), path.read_bytes().decode("utf-8", "replace"), times)
    mode = "pull" if bench.pull else "push"
    takes = "resolves code action edits" if resolve else "takes every edit at once"
    print(f"\n{command}\n  {len(files)} files, initialize {started * 1000:.0f} ms, diagnostics by {mode}")
    reads = "bare JSON (json.loads only)" if client == "raw" else "pygls' client (lsprotocol objects)"
    print(f"  a client that {takes}; answers read as {reads}")
    print(f"  {'request':<24} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    table(times)
    typical = corpus / TYPICAL
    if not typical.is_file():
        typical = files[0]
    text = typical.read_text(encoding="utf-8", errors="replace")
    uri = typical.resolve().as_uri()
    one: dict[str, list[float]] = {name: [] for name in REQUESTS}
    for _ in range(100):
        await one_file(bench, uri, text, one)
    print(f"  the typical file ({text.count(chr(10))} lines), 100 times:")
    table(one)
    before = bench.rss_mib()
    for _ in range(cycles):
        await bench.open(uri, text)
        bench.close(uri)
    after = bench.rss_mib()
    print(f"  memory: {before:.1f} MiB before and {after:.1f} MiB after {cycles} open/close cycles")
    await bench.stop()


def work_per_request(corpus: Path, resolve: bool, opens: int = 200) -> None:
    """Run dffix's handlers in this process on the typical file, fresh on each open (the
    rules' caches emptied after each close, as the server's didClose does), and
    print per request the Python function calls (cProfile's count: the same on a busy
    machine) and the median CPU time, serialization to JSON included. With PYTHONPATH
    set to another checkout's src, it measures that one (resolve only where it exists)."""
    import cProfile
    import json
    import pstats

    from pygls.workspace import Workspace

    from dffix import memo, server

    path = corpus / TYPICAL
    text, uri = path.read_text(encoding="utf-8"), path.resolve().as_uri()
    ls = server.DffixServer()
    ls.protocol._workspace = Workspace(None, position_encoding=lsp.PositionEncodingKind.Utf16)
    ls.protocol.client_capabilities = capabilities(resolve)
    server._load_rules()
    whole = lsp.Range(lsp.Position(0, 0), lsp.Position(text.count("\n") + 1, 0))
    resolves = getattr(ls, "resolves_edits", False)

    def send(answer: object) -> object:
        json.dumps(ls.protocol._converter.unstructure(answer))
        return answer

    def diagnostics() -> object:
        return send(lsp.RelatedFullDocumentDiagnosticReport(server.diagnostics(ls.analysis(uri))))

    def code_action() -> object:
        extra = (resolves,) if resolves else ()
        actions = send(server.code_actions(ls.analysis(uri), uri, whole, None, *extra))
        assert isinstance(actions, list)
        return [a for a in actions if a.kind == server.FIX_ALL and a.edit is None]

    def resolve_one(action: lsp.CodeAction) -> object:
        return send(server.resolve_action(ls, action))

    def formatting() -> object:
        return send(server.fix_all_edits(ls.analysis(uri)))

    def timed(name: str, run: Callable[[], object], count: bool) -> object:
        if count:
            profile = cProfile.Profile()
            profile.enable()
            run()
            profile.disable()
            calls[name] = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
        start = time.process_time()
        got = run()
        cpu.setdefault(name, []).append(time.process_time() - start)
        return got

    calls: dict[str, int] = {}
    cpu: dict[str, list[float]] = {}
    for i in range(opens):
        ls.workspace.put_text_document(lsp.TextDocumentItem(uri, "dockerfile", 1, text))
        count = i == 3  # after warming up; then the request again, from its cache
        timed("diagnostics", diagnostics, count)
        unresolved = timed("codeAction", code_action, count)
        if isinstance(unresolved, list) and unresolved:
            timed("codeAction/resolve", functools.partial(resolve_one, unresolved[0]), count)
        timed("formatting", formatting, count)
        ls.workspace.remove_text_document(uri)
        ls.analyses.pop(uri, None)
        memo.forget()  # as the server's didClose: the next open starts from empty caches
    print(f"\n{server.__file__}: handlers in-process, the typical file opened {opens} times")
    print(f"  {'request':<24} {'calls':>8} {'CPU p50 ms':>11}")
    for name, values in cpu.items():
        print(f"  {name:<24} {calls.get(name, 0):>8} {statistics.median(values) * 1000:>11.2f}")


def gauge(typical: Path, runs: int = 10) -> None:
    """Print how fast this machine is now: the same-run medians of `python -c pass` and of
    `hadolint FILE` on the typical file (when hadolint is installed), timed as bench.py
    times them. The latencies are absolute times, and this machine's speed moves up to
    2.7x within a session: read them against these."""
    from bench import measure, tool  # this script's folder: run from the repository root

    bare = measure([sys.executable, "-c", "pass"], runs).seconds * 1000
    line = f"machine gauge, median of {runs}: python -c pass {bare:.1f} ms"
    hadolint = tool("hadolint")
    if hadolint:
        took = measure([hadolint, "--no-fail", str(typical)], runs).seconds * 1000
        line += f", hadolint FILE {took:.1f} ms (the typical file)"
    print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--server", default=DFFIX, help="the server command (default: dffix server)")
    parser.add_argument("--peer", action="append", default=[], help="another server command to compare")
    parser.add_argument("--cycles", type=int, default=1000, help="open/close cycles for the memory line")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N corpus files")
    parser.add_argument(
        "--no-resolve", action="store_true", help="a client without codeAction/resolve (Emacs 29's eglot)"
    )
    parser.add_argument(
        "--client",
        choices=("pygls", "raw", "both"),
        default="pygls",
        help="pygls' LSP client, a bare JSON client, or both (one after the other)",
    )
    parser.add_argument(
        "--work",
        action="store_true",
        help="dffix's handlers in-process: function calls and CPU time per request",
    )
    args = parser.parse_args()
    # As benchmarks/bench.py: a server from an installed package has its .pyc files, so
    # it must be able to write them here (else every start compiles dffix's modules anew,
    # and the first request of a run waits for that).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    if args.work:
        work_per_request(args.corpus, not args.no_resolve)
        return
    files = sorted(p for p in args.corpus.rglob("Dockerfile") if p.is_file())
    if args.limit:
        files = files[: args.limit]
    if not files:
        sys.exit(f"no Dockerfile under {args.corpus}")
    gauge(args.corpus / TYPICAL if (args.corpus / TYPICAL).is_file() else files[0])
    clients = ("pygls", "raw") if args.client == "both" else (args.client,)
    for command in (args.server, *args.peer):
        for client in clients:
            asyncio.run(measure(command, files, args.corpus, args.cycles, not args.no_resolve, client))


if __name__ == "__main__":
    main()
