"""`dffix server` end to end: the real server process over stdio, driven by pytest-lsp's client.

Each test starts its own server (`python -m dffix server`), so no test sees another's
documents or settings. Expected texts come from the command line (`dffix -`), never
from the server itself: fix-all and formatting must give what the CLI gives.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

pytest_lsp = pytest.importorskip("pytest_lsp")
from lsprotocol import types as lsp  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

SERVER = [sys.executable, "-m", "dffix", "server"]
# A test-only wrapper: the same server, with DF201's check raising on a marked text.
CRASHING = [sys.executable, str(Path(__file__).with_name("crashing_server.py"))]

BAD = (
    "FROM debian:12\n"
    "RUN apt-get update\n"
    "RUN apt-get install -y curl\n"
    "ADD app.py /srv/\n"
    "CMD python /srv/app.py\n"
)
BROKEN = "FROM debian:12\nRUN <<EOF\napt-get update\n"  # a heredoc never ended: BuildKit refuses it
CLEAN = 'FROM debian:12\nCOPY app.py /srv/\nUSER 10001\nCMD ["/srv/app.py"]\n'

pytestmark = pytest.mark.asyncio(loop_scope="function")


def cli_fix(text: str, *args: str, cwd: Path | None = None, name: str | None = None) -> str:
    """Return what `dffix -` prints for `text` (the expected fix-all text)."""
    extra = ["--stdin-filename", name] if name else []
    ran = subprocess.run(
        [sys.executable, "-m", "dffix", "-", *extra, *args],
        input=text.encode(),
        capture_output=True,
        check=True,
        cwd=cwd,
    )
    return ran.stdout.decode()


def apply(text: str, edits: list[lsp.TextEdit]) -> str:
    """Apply LSP edits (UTF-16 positions, `\\n` lines) to `text`, last first."""
    lines = text.splitlines(keepends=True) or [""]

    def offset(p: lsp.Position) -> int:
        if p.line >= len(lines):
            return len(text)
        return sum(len(line) for line in lines[: p.line]) + p.character

    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end) :]
        lines = text.splitlines(keepends=True) or [""]
    return text


def push_capabilities() -> lsp.ClientCapabilities:
    """Neovim 0.7's capabilities: push diagnostics only."""
    return client_capabilities("neovim@v0.7.0")


def pull_capabilities() -> lsp.ClientCapabilities:
    caps = client_capabilities("visual-studio-code")
    assert caps.text_document is not None
    caps.text_document.diagnostic = lsp.DiagnosticClientCapabilities(dynamic_registration=False)
    return caps


async def start(
    command: list[str] = SERVER,
    caps: lsp.ClientCapabilities | None = None,
    options: object = None,
    root: Path | None = None,
) -> LanguageClient:
    client = await ClientServerConfig(server_command=command).start()
    assert isinstance(client, LanguageClient)
    await client.initialize_session(
        lsp.InitializeParams(
            capabilities=caps or push_capabilities(),
            initialization_options=options,
            root_uri=root.as_uri() if root else None,
        )
    )
    return client


@pytest_asyncio.fixture
async def client(tmp_path: Path) -> AsyncIterator[LanguageClient]:
    c = await start(root=tmp_path)
    yield c
    await c.shutdown_session()
    await c.stop()  # type: ignore[no-untyped-call]


def open_doc(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "dockerfile", version, text))
    )
    return uri


async def diagnostics_of(client: LanguageClient, uri: str) -> list[lsp.Diagnostic]:
    """Wait for the next diagnostics of `uri` the server publishes."""
    while True:
        params = await asyncio.wait_for(
            client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), timeout=20
        )
        if params.uri == uri:
            return list(params.diagnostics)


async def actions(
    client: LanguageClient, uri: str, where: lsp.Range, only: list[str] | None = None
) -> list[lsp.CodeAction]:
    result = await client.text_document_code_action_async(
        lsp.CodeActionParams(lsp.TextDocumentIdentifier(uri), where, lsp.CodeActionContext([], only=only))
    )
    assert result is not None
    return [a for a in result if isinstance(a, lsp.CodeAction)]


async def resolved_edits(client: LanguageClient, action: lsp.CodeAction, uri: str) -> list[lsp.TextEdit]:
    """Return the edits of `uri` in `action`, asking codeAction/resolve when it has none."""
    if action.edit is None:
        action = await client.code_action_resolve_async(action)
    assert action.edit is not None and action.edit.changes is not None
    return list(action.edit.changes[uri])


def line_range(line: int) -> lsp.Range:
    return lsp.Range(lsp.Position(line, 0), lsp.Position(line, 1))


async def formatting(client: LanguageClient, uri: str) -> list[lsp.TextEdit]:
    edits = await client.text_document_formatting_async(
        lsp.DocumentFormattingParams(lsp.TextDocumentIdentifier(uri), lsp.FormattingOptions(4, True))
    )
    return list(edits or [])


async def test_the_whole_session(tmp_path: Path) -> None:
    """initialize → didOpen → diagnostics → quick fix, fix-all → formatting → didChange →
    broken document → shutdown/exit with exit code 0."""
    client = await start(root=tmp_path)
    path = tmp_path / "Dockerfile"
    uri = open_doc(client, path, BAD)
    found = await diagnostics_of(client, uri)
    assert [(d.range.start.line, d.code) for d in found] == [
        (0, "DF301"),
        (2, "DF101"),
        (2, "DF102"),
        (2, "DF105"),
        (3, "DF201"),
        (4, "DF401"),
    ]
    add = next(d for d in found if d.code == "DF201")
    assert add.source == "dffix"
    assert add.severity == lsp.DiagnosticSeverity.Warning
    assert add.code_description is not None
    assert add.code_description.href.endswith("/docs/rules/DF201-add-for-local-files.md")
    doc_page = Path(__file__).parents[1] / "docs" / "rules" / add.code_description.href.rsplit("/", 1)[1]
    assert doc_page.is_file()

    # A quick fix for the ADD line, titled with the rule's fix title, preferred (safe).
    got = await actions(client, uri, line_range(3))
    titles = [a.title for a in got]
    assert "Replace `ADD` with `COPY`" in titles
    assert "Disable DF201 for this line" in titles
    quick = next(a for a in got if a.title == "Replace `ADD` with `COPY`")
    assert quick.kind == lsp.CodeActionKind.QuickFix
    assert quick.is_preferred
    assert quick.edit is not None and quick.edit.changes is not None
    assert apply(BAD, list(quick.edit.changes[uri])) == BAD.replace("ADD app.py", "COPY app.py")

    # Fix-all gives exactly the text of `dffix -` (Neovim resolves the edit when it is picked).
    fix_all = await actions(client, uri, line_range(0), only=["source.fixAll"])
    assert [a.kind for a in fix_all] == ["source.fixAll.dffix"]
    expected = cli_fix(BAD, name=str(path))
    assert expected != BAD
    assert apply(BAD, await resolved_edits(client, fix_all[0], uri)) == expected

    # Formatting: the same text.
    assert apply(BAD, await formatting(client, uri)) == expected

    # didChange: the fixed text has no fixable problem left, only DF301 (unsafe fix).
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(2, uri),
            [lsp.TextDocumentContentChangeWholeDocument(expected)],
        )
    )
    assert [d.code for d in await diagnostics_of(client, uri)] == ["DF301", "DF105"]
    assert await formatting(client, uri) == []

    # A broken document: one error at the parse error, no edit from formatting or fix-all.
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(3, uri),
            [lsp.TextDocumentContentChangeWholeDocument(BROKEN)],
        )
    )
    broken = await diagnostics_of(client, uri)
    assert len(broken) == 1
    assert broken[0].severity == lsp.DiagnosticSeverity.Error
    assert broken[0].range.start.line == 1
    assert await formatting(client, uri) == []
    assert await actions(client, uri, line_range(1)) == []

    await client.shutdown_session()
    server = client._server
    assert server is not None
    assert server.returncode == 0
    await client.stop()  # type: ignore[no-untyped-call]


def change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(version, uri),
            [lsp.TextDocumentContentChangeWholeDocument(text)],
        )
    )


async def test_fix_all_edit_comes_on_resolve_for_a_client_that_resolves(tmp_path: Path) -> None:
    """VS Code resolves `edit`: fix-all comes without one, and codeAction/resolve gives the
    edit of `dffix -`; quick fixes keep theirs. A text with nothing to fix gets no fix-all."""
    client = await ClientServerConfig(server_command=SERVER).start()
    assert isinstance(client, LanguageClient)
    init = await client.initialize_session(
        lsp.InitializeParams(capabilities=pull_capabilities(), root_uri=tmp_path.as_uri())
    )
    try:
        provider = init.capabilities.code_action_provider
        assert isinstance(provider, lsp.CodeActionOptions) and provider.resolve_provider
        path = tmp_path / "Dockerfile"
        uri = open_doc(client, path, BAD)
        got = await actions(client, uri, line_range(3))
        fix_all = [a for a in got if a.kind == "source.fixAll.dffix"]
        assert len(fix_all) == 1 and fix_all[0].edit is None and fix_all[0].data == {"uri": uri}
        assert all(a.edit is not None for a in got if a.kind == lsp.CodeActionKind.QuickFix)
        edits = await resolved_edits(client, fix_all[0], uri)
        assert apply(BAD, edits) == cli_fix(BAD, name=str(path))
        # Only DF301's unsafe fix is left in the fixed text: nothing for fix-all to do.
        change(client, uri, 2, apply(BAD, edits))
        assert await actions(client, uri, line_range(0), only=["source.fixAll"]) == []
    finally:
        await client.shutdown_session()
        await client.stop()  # type: ignore[no-untyped-call]


async def test_fix_all_edit_comes_eagerly_without_resolve_support(tmp_path: Path) -> None:
    client = await start(caps=client_capabilities("emacs@v29.1"), root=tmp_path)  # eglot: no resolve
    try:
        path = tmp_path / "Dockerfile"
        uri = open_doc(client, path, BAD)
        fix_all = await actions(client, uri, line_range(0), only=["source.fixAll"])
        assert [a.kind for a in fix_all] == ["source.fixAll.dffix"]
        assert fix_all[0].edit is not None and fix_all[0].edit.changes is not None
        assert apply(BAD, list(fix_all[0].edit.changes[uri])) == cli_fix(BAD, name=str(path))
    finally:
        await client.shutdown_session()
        await client.stop()  # type: ignore[no-untyped-call]


async def test_a_changed_text_or_setting_is_never_answered_from_the_cache(tmp_path: Path) -> None:
    """Each answer is computed once per text and settings, then shared; a change of either
    drops it (a stale fix would undo the user's typing, a stale setting ignore nothing)."""
    caps = pull_capabilities()
    assert caps.workspace is not None
    # No workspace/configuration: the settings read after `initialized` would drop the
    # cache at a time of their own, and hide a stale answer.
    caps.workspace.configuration = False
    client = await start(caps=caps, root=tmp_path)
    try:
        path = tmp_path / "Dockerfile"
        uri = open_doc(client, path, BAD)
        report = lsp.DocumentDiagnosticParams(lsp.TextDocumentIdentifier(uri))
        fix_all = (await actions(client, uri, line_range(0), only=["source.fixAll"]))[0]
        assert apply(BAD, await formatting(client, uri)) == cli_fix(BAD, name=str(path))

        # A change, asked about at once (before any debounced check): the new text's fix,
        # even through the action the old text gave.
        new = BAD.replace("ADD app.py", "ADD main.py").replace("CMD python", "USER 1\nCMD python")
        change(client, uri, 2, new)
        expected = cli_fix(new, name=str(path))
        assert expected != cli_fix(BAD, name=str(path))
        assert apply(new, await formatting(client, uri)) == expected
        assert apply(new, await resolved_edits(client, fix_all, uri)) == expected

        # Settings: ignoring DF201 leaves its ADD alone and its diagnostic out.
        client.workspace_did_change_configuration(
            lsp.DidChangeConfigurationParams({"dffix": {"ignore": ["DF201"]}})
        )
        ignored = cli_fix(new, "--ignore", "DF201", name=str(path))
        assert ignored != expected and "ADD main.py" in ignored
        assert apply(new, await formatting(client, uri)) == ignored
        found = await client.text_document_diagnostic_async(report)
        assert isinstance(found, lsp.RelatedFullDocumentDiagnosticReport)
        assert "DF201" not in [d.code for d in found.items] and found.items
    finally:
        await client.shutdown_session()
        await client.stop()  # type: ignore[no-untyped-call]


async def test_unsafe_fixes_are_marked_and_never_preferred(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("print('hi')\n")  # DF301 reads the code it adds
    uri = open_doc(client, tmp_path / "Dockerfile", BAD)
    await diagnostics_of(client, uri)
    got = await actions(client, uri, line_range(0))
    unsafe = [a for a in got if a.title.endswith("(unsafe)")]
    assert unsafe, [a.title for a in got]
    assert all(not a.is_preferred for a in unsafe)
    assert all(a.diagnostics and a.diagnostics[0].code == "DF301" for a in unsafe)


async def test_disable_for_line_inserts_a_suppression_the_check_honours(
    client: LanguageClient, tmp_path: Path
) -> None:
    text = "FROM debian:12\nUSER 10001\n    ADD app.py /srv/\n"
    uri = open_doc(client, tmp_path / "Dockerfile", text)
    assert [d.code for d in await diagnostics_of(client, uri)] == ["DF201"]
    disable = next(a for a in await actions(client, uri, line_range(2)) if a.title.startswith("Disable"))
    assert disable.title == "Disable DF201 for this line"
    assert disable.edit is not None and disable.edit.changes is not None
    new = apply(text, list(disable.edit.changes[uri]))
    assert new == "FROM debian:12\nUSER 10001\n    # dffix: ignore=DF201\n    ADD app.py /srv/\n"
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            lsp.VersionedTextDocumentIdentifier(2, uri), [lsp.TextDocumentContentChangeWholeDocument(new)]
        )
    )
    assert await diagnostics_of(client, uri) == []


async def test_unsafe_fixes_setting_and_config_discovery(tmp_path: Path) -> None:
    """`unsafeFixes` from initializationOptions; `.dffix.toml` beside the file is found;
    a change of it (didChangeWatchedFiles) re-checks the open documents."""
    client = await start(options={"unsafeFixes": True}, root=tmp_path)
    try:
        path = tmp_path / "app" / "Dockerfile"
        path.parent.mkdir()
        uri = open_doc(client, path, BAD)
        assert len(await diagnostics_of(client, uri)) == 6
        expected = cli_fix(BAD, "--unsafe-fixes", name=str(path))
        assert apply(BAD, await formatting(client, uri)) == expected

        config = path.parent / ".dffix.toml"
        config.write_text('ignore = ["DF301", "DF105"]\n')
        client.workspace_did_change_watched_files(
            lsp.DidChangeWatchedFilesParams([lsp.FileEvent(config.as_uri(), lsp.FileChangeType.Created)])
        )
        assert [d.code for d in await diagnostics_of(client, uri)] == ["DF101", "DF102", "DF201", "DF401"]
        assert apply(BAD, await formatting(client, uri)) == cli_fix(BAD, "--unsafe-fixes", name=str(path))
    finally:
        await client.shutdown_session()
        await client.stop()  # type: ignore[no-untyped-call]


async def test_workspace_configuration_select(tmp_path: Path) -> None:
    caps = push_capabilities()
    assert caps.workspace is not None
    caps.workspace.configuration = True
    config = ClientServerConfig(server_command=SERVER)
    client = await config.start()
    assert isinstance(client, LanguageClient)
    client.set_configuration({"select": ["DF201"]}, section="dffix")
    await client.initialize_session(lsp.InitializeParams(capabilities=caps, root_uri=tmp_path.as_uri()))
    try:
        await asyncio.sleep(0.5)  # the server asks for the settings after `initialized`
        uri = open_doc(client, tmp_path / "Dockerfile", BAD)
        assert [d.code for d in await diagnostics_of(client, uri)] == ["DF201"]
    finally:
        await client.shutdown_session()
        await client.stop()  # type: ignore[no-untyped-call]


async def test_a_bad_config_file_is_one_error_diagnostic(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / ".dffix.toml").write_text('select = ["DF9999"]\n')
    uri = open_doc(client, tmp_path / "Dockerfile", BAD)
    found = await diagnostics_of(client, uri)
    assert len(found) == 1
    assert found[0].severity == lsp.DiagnosticSeverity.Error
    assert ".dffix.toml" in found[0].message
    assert await formatting(client, uri) == []


async def test_pull_diagnostics(tmp_path: Path) -> None:
    client = await start(caps=pull_capabilities(), root=tmp_path)
    try:
        uri = open_doc(client, tmp_path / "Dockerfile", BAD)
        report = await client.text_document_diagnostic_async(
            lsp.DocumentDiagnosticParams(lsp.TextDocumentIdentifier(uri))
        )
        assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport)
        assert [d.code for d in report.items] == ["DF301", "DF101", "DF102", "DF105", "DF201", "DF401"]
        await asyncio.sleep(0.3)
        assert uri not in client.diagnostics  # a pull client is not pushed to as well
    finally:
        await client.shutdown_session()
        await client.stop()  # type: ignore[no-untyped-call]


async def test_debounced_changes_publish_once(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_doc(client, tmp_path / "Dockerfile", CLEAN)
    assert await diagnostics_of(client, uri) == []
    text = CLEAN
    for version in range(2, 12):  # ten keystrokes, faster than the pause
        text += "#"
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                lsp.VersionedTextDocumentIdentifier(version, uri),
                [lsp.TextDocumentContentChangeWholeDocument(text)],
            )
        )
    await diagnostics_of(client, uri)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), 0.5)


async def test_utf16_positions_and_crlf(client: LanguageClient, tmp_path: Path) -> None:
    text = 'FROM debian:12\r\nLABEL x="\U0001f433" y=1\r\nUSER 1\r\nADD app.py /srv/ # \U0001f433\r\n'
    uri = open_doc(client, tmp_path / "Dockerfile", text)
    found = await diagnostics_of(client, uri)
    assert [(d.code, d.range.start.line, d.range.start.character) for d in found] == [("DF201", 3, 0)]
    edits = await formatting(client, uri)
    assert apply(text, edits) == cli_fix(text)
    assert apply(text, edits).count("\r\n") == 4


async def test_hover_on_a_rule_code_in_a_suppression_comment(client: LanguageClient, tmp_path: Path) -> None:
    text = "FROM debian:12\n# dffix: ignore=DF201\nADD app.py /srv/\n"
    uri = open_doc(client, tmp_path / "Dockerfile", text)
    await diagnostics_of(client, uri)
    got = await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri), lsp.Position(1, 18))
    )
    assert got is not None and isinstance(got.contents, lsp.MarkupContent)
    assert "add-for-local-files" in got.contents.value
    assert "## Why is this bad?" in got.contents.value
    nothing = await client.text_document_hover_async(
        lsp.HoverParams(lsp.TextDocumentIdentifier(uri), lsp.Position(2, 1))
    )
    assert nothing is None


async def test_an_exception_in_a_rule_is_logged_and_the_server_goes_on(tmp_path: Path) -> None:
    client = await start(command=CRASHING, root=tmp_path)
    try:
        uri = open_doc(client, tmp_path / "Dockerfile", "FROM debian:12\nADD crash.py /srv/\n")
        assert await diagnostics_of(client, uri) == []
        assert await formatting(client, uri) == []
        assert await actions(client, uri, line_range(1)) == []
        errors = [m.message for m in client.log_messages if m.type == lsp.MessageType.Error]
        assert errors and all("dffix bug" in m and "RuntimeError" in m for m in errors)
        other = open_doc(client, tmp_path / "b" / "Dockerfile", BAD)
        assert len(await diagnostics_of(client, other)) == 6
    finally:
        await client.shutdown_session()
        await client.stop()  # type: ignore[no-untyped-call]


async def test_hostile_texts_do_not_crash_it(client: LanguageClient, tmp_path: Path) -> None:
    binary = "".join(chr(c) for c in range(0, 256)) + "\x00\ufffd\udcff"[:2]
    uri = open_doc(client, tmp_path / "bin" / "Dockerfile", binary)
    found = await diagnostics_of(client, uri)
    assert [(d.severity, d.range.start.line, d.range.start.character) for d in found] == [
        (lsp.DiagnosticSeverity.Error, 0, 0)
    ]
    assert "NUL byte" in found[0].message
    assert await formatting(client, uri) == []  # `dffix -` refuses it too (exit 2)

    long_run = "FROM debian:12\nRUN true \\\n" + " && true \\\n" * 100_000 + " && true\n"
    uri = open_doc(client, tmp_path / "long" / "Dockerfile", long_run)
    await diagnostics_of(client, uri)
    edits = await formatting(client, uri)
    assert apply(long_run, edits) == cli_fix(long_run)

    for i in range(200):
        doc = open_doc(client, tmp_path / f"c{i % 5}" / "Dockerfile", BAD)
        await diagnostics_of(client, doc)
        client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(doc)))
        assert await diagnostics_of(client, doc) == []
    other = open_doc(client, tmp_path / "Dockerfile", CLEAN)
    assert await diagnostics_of(client, other) == []


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
async def test_memory_stays_flat_over_1000_open_close_cycles(tmp_path: Path) -> None:
    """pygls 2.1 kept a future per notification (about 4 MiB per 1,000 cycles); no more."""
    client = await start(caps=pull_capabilities(), root=tmp_path)
    try:
        server = client._server
        assert server is not None
        uri = (tmp_path / "Dockerfile").as_uri()
        params = lsp.DocumentDiagnosticParams(lsp.TextDocumentIdentifier(uri))
        warm = 0
        for cycle in range(1000):
            if cycle == 300:  # after the allocator has settled
                warm = rss_kib(server.pid)
            open_doc(client, tmp_path / "Dockerfile", BAD)
            report = await client.text_document_diagnostic_async(params)
            assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport) and len(report.items) == 6
            client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri)))
        grown = rss_kib(server.pid) - warm
        assert grown < 1536, f"{grown} KiB more after 700 cycles"
    finally:
        await client.shutdown_session()
        await client.stop()  # type: ignore[no-untyped-call]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
async def test_closed_documents_leave_no_rule_caches_behind(tmp_path: Path) -> None:
    """The rules cache what they read of each RUN; the server empties those caches when
    a document closes (as the command line does after each file), so a session that
    opens many different files does not keep thousands of RUNs it will not see again."""
    client = await start(caps=pull_capabilities(), root=tmp_path)
    try:
        server = client._server
        assert server is not None
        warm = 0
        for n in range(400):
            if n == 100:
                warm = rss_kib(server.pid)
            runs = "".join(
                f"RUN apt-get update && apt-get install -y pkg{n}-{k} tool{k}-{n} && make -C /src/{n}/{k}\n"
                for k in range(12)
            )
            path = tmp_path / f"d{n}" / "Dockerfile"
            uri = open_doc(client, path, f"FROM debian:12\n{runs}")
            params = lsp.DocumentDiagnosticParams(lsp.TextDocumentIdentifier(uri))
            report = await client.text_document_diagnostic_async(params)
            assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport) and report.items
            client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri)))
        grown = rss_kib(server.pid) - warm
        assert grown < 1536, f"{grown} KiB more after 300 more documents"
    finally:
        await client.shutdown_session()
        await client.stop()  # type: ignore[no-untyped-call]
