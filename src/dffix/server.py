"""`dffix server`: the language server (LSP over stdio, on pygls 2 and lsprotocol).

LSP messages in, `dffix.api` calls, LSP edits out: the server never runs the command
line and keeps no config or context logic of its own, so a fix-all in the editor gives
the text `dffix -` prints. It publishes diagnostics (or answers pull diagnostics),
offers a quick fix per fixable problem, a "Disable DFxxx for this line" action,
`source.fixAll.dffix` (its edit on `codeAction/resolve` for a client that resolves
edits), formatting (the same edits as fix-all: format-on-save) and hover docs on rule
codes in suppression comments. Each version of a document is parsed and checked once,
and fixed at most once, for all of these.

It never touches a broken buffer: a text that does not parse gets one error
diagnostic and no edit. An exception inside dffix is logged with `window/logMessage`,
the request answers empty and the server goes on.

No typer here (tests/test_server.py checks): the server starts once per editor, and
what it imports is start-up time.
"""

from __future__ import annotations

import asyncio
import bisect
import gc
import os
import re
import stat
import sys
import threading
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, BinaryIO, NamedTuple, TypeVar
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp
from pygls.io_ import StdoutWriter, run_async
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol

from dffix import HOMEPAGE, __version__, api, memo
from dffix.config import ConfigError
from dffix.edits import Applicability, Edit
from dffix.facts import BuildContext
from dffix.files import FileError
from dffix.syntax import ParseError, parse
from dffix.syntax.tree import Dockerfile, Instruction

if TYPE_CHECKING:
    from dffix.rules.base import Violation  # dffix.rules loads every rule: on first check only

SOURCE = "dffix"
FIX_ALL = "source.fixAll.dffix"
FIX_ALL_TITLE = "Fix all dffix problems"
RULE_DOCS = f"{HOMEPAGE}/blob/main/docs/rules/"
# Diagnostics after a change wait this long for the next keystroke.
DEBOUNCE_SECONDS = 0.15
# Files whose change means the settings of open documents may have changed.
CONFIG_GLOBS = ("**/.dffix.toml", "**/pyproject.toml", "**/.hadolint.yaml", "**/.hadolint.yml")
_CONFIG_NAMES = tuple(glob.rsplit("/", 1)[-1] for glob in CONFIG_GLOBS)
_SUPPRESSION = re.compile(r"#\s*(?:dffix:|hadolint)\s*(?:global\s+)?ignore\s*=", re.IGNORECASE)
_WORD = re.compile(r"[\w-]+")

T = TypeVar("T")


# -- positions: offsets of the text <-> LSP line and character -------------------


class Lines:
    """Where each line of a text starts, to turn offsets into LSP positions and back.

    LSP ends a line at `\\n`, `\\r\\n` or `\\r`; a character counts in the units the
    client and server agreed on (UTF-16 unless the client offers UTF-32 or UTF-8).
    """

    def __init__(self, text: str, encoding: str = "utf-16") -> None:
        self.text = text
        self.encoding = encoding
        starts = [0]
        for m in re.finditer(r"\r\n|\r|\n", text):
            starts.append(m.end())
        self.starts = starts

    def _units(self, chars: str) -> int:
        if self.encoding == "utf-32" or chars.isascii():
            return len(chars)
        if self.encoding == "utf-8":
            return len(chars.encode("utf-8", "surrogatepass"))
        return len(chars) + sum(1 for c in chars if ord(c) > 0xFFFF)

    def position(self, offset: int) -> lsp.Position:
        """Return the LSP position of `offset`."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        return lsp.Position(line, self._units(self.text[self.starts[line] : offset]))

    def range(self, start: int, end: int) -> lsp.Range:
        """Return the LSP range of the offsets [start, end)."""
        return lsp.Range(self.position(start), self.position(max(start, end)))

    def offset(self, position: lsp.Position) -> int:
        """Return the offset of an LSP position (clamped to its line, as LSP asks)."""
        if position.line >= len(self.starts):
            return len(self.text)
        start = self.starts[position.line]
        end = self.starts[position.line + 1] if position.line + 1 < len(self.starts) else len(self.text)
        line = self.text[start:end].rstrip("\r\n")
        if self.encoding == "utf-32" or line.isascii():
            return start + min(position.character, len(line))
        units = 0
        for i, char in enumerate(line):
            if units >= position.character:
                return start + i
            units += self._units(char)
        return start + len(line)

    def text_edit(self, edit: Edit) -> lsp.TextEdit:
        """Return an edit of dffix (offsets) as an LSP TextEdit."""
        return lsp.TextEdit(self.range(edit.start, edit.end), edit.text)


def whole_text_edits(old: str, new: str, lines: Lines) -> list[lsp.TextEdit]:
    """Return one TextEdit turning `old` into `new`: the changed middle, not the whole text.

    The cut never falls inside a `\\r\\n` or a surrogate pair, so the range is one an
    editor can find; an unchanged text gives no edit.
    """
    if old == new:
        return []
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end = 0
    while end < limit - start and old[-1 - end] == new[-1 - end]:
        end += 1
    while start > 0 and old[start - 1] == "\r":
        start -= 1
    while end > 0 and old[len(old) - end] == "\n" and len(old) - end > start and old[-end - 1] == "\r":
        end -= 1
    return [lsp.TextEdit(lines.range(start, len(old) - end), new[start : len(new) - end])]


# -- settings --------------------------------------------------------------------


def overrides_from(raw: object, root: str | None = None) -> api.Overrides:
    """Return the Overrides of editor settings (`initializationOptions` or the `dffix` section).

    Keys: `select`, `ignore` (lists or comma-separated strings), `unsafeFixes`
    (`unsafe-fixes` and `unsafe_fixes` too) and `config` (a path; relative to the
    workspace root). Anything else, or a value of the wrong type, is left out.
    """
    if not isinstance(raw, Mapping):
        return api.Overrides()
    table: Mapping[str, object] = raw
    nested = table.get("dffix")
    if isinstance(nested, Mapping):  # {"dffix": {...}}, as some clients nest it
        table = nested
    select = _words(table.get("select"))
    keys = ("unsafeFixes", "unsafe-fixes", "unsafe_fixes")
    unsafe = next((value for k in keys if isinstance(value := table.get(k), bool)), None)
    config = table.get("config") or table.get("configuration")
    if not isinstance(config, str) or not config:
        config = None
    elif root and not os.path.isabs(os.path.expanduser(config)):
        config = os.path.join(root, config)
    elif config:
        config = os.path.expanduser(config)
    return api.Overrides(select or None, _words(table.get("ignore")), unsafe, config)


def _words(value: object) -> tuple[str, ...]:
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else []
    return tuple(w.strip() for w in items if isinstance(w, str) and w.strip())


def uri_path(uri: str) -> str | None:
    """Return the file path of a `file:` URI, or None for an unsaved buffer or another scheme."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = unquote(parsed.path)
    if os.name == "nt" and re.match(r"/[A-Za-z]:", path):
        path = path[1:]
    return path


# -- what the server knows of one document ----------------------------------------


class Analysis(NamedTuple):
    """One version of a document, checked: its violations, or why there are none."""

    text: str
    lines: Lines
    rule_set: api.RuleSet | None
    found: list[Violation] | ParseError | FileError  # FileError: a text or config dffix refuses
    df: Dockerfile | None
    context: BuildContext | None
    # The fix-all edits, computed on first use (a list of none or one): a save asks for
    # a code action and for formatting of the same text, and the fixer runs once for both.
    fixed: list[list[lsp.TextEdit]]
    # The diagnostics, computed on first use (none or one list): pulled or pushed, then
    # the code actions' own, for the same text.
    diags: list[list[lsp.Diagnostic]]


class _Protocol(LanguageServerProtocol):
    """pygls' protocol, without keeping the future of every notification forever.

    pygls 2.1 files the future of a notification whose handler is a generator or a
    coroutine (didOpen, didClose, didChange...) among the pending requests and never
    takes it out: about 1 KiB per notification, 4 MiB over 1,000 open/close cycles.
    Finished ones are dropped after each notification; a request's own future is
    popped by pygls when it answers, so only notifications' are ever found here.
    """

    def _handle_notification(self, method_name: str, params: object) -> None:
        super()._handle_notification(method_name, params)
        futures = self._request_futures
        for key in [key for key, future in futures.items() if future.done()]:
            del futures[key]


class _MessageReader:
    """Stdin for pygls' message loop, one thread-pool hop per message.

    pygls reads each header line and then the body in its thread pool: three hops, and
    three wake-ups of the event loop, per message, each a chance to wait for a core on
    a busy machine. This reads a whole message (its header lines and its body, ended
    the way pygls ends them) in one hop and hands the loop its pieces from memory.
    """

    _LENGTH = re.compile(rb"Content-Length: (\d+)\r\n")  # pygls' own header pattern

    def __init__(self, stdin: BinaryIO, executor: ThreadPoolExecutor) -> None:
        self.stdin = stdin
        self.executor = executor
        self.pieces: deque[bytes] = deque()

    def _message(self) -> list[bytes]:
        pieces: list[bytes] = []
        length = 0
        while True:
            line = self.stdin.readline()
            pieces.append(line)
            if not line:  # end of input
                return pieces
            if not length and (m := self._LENGTH.fullmatch(line)):
                length = int(m.group(1))
            if length and not line.strip():
                pieces.append(self.stdin.read(length))
                return pieces

    async def _next(self) -> bytes:
        if not self.pieces:
            loop = asyncio.get_running_loop()
            self.pieces.extend(await loop.run_in_executor(self.executor, self._message))
        return self.pieces.popleft()

    def readline(self) -> Awaitable[bytes]:
        return self._next()

    def readexactly(self, n: int) -> Awaitable[bytes]:
        return self._next()  # the body, which _message read with the header's length


class _PipeReader:
    """Stdin for pygls' message loop when it is a pipe or a socket (as editors start a
    server): read by the event loop itself when data arrives, with no thread between.

    `_MessageReader` hands each message from a thread to the loop: one more process wake-up
    per message, and on a busy machine each wake-up may wait for a core. A file or a
    terminal cannot be waited on this way (epoll refuses them): those keep `_MessageReader`.
    """

    # StreamReader.readline raises ValueError past its limit (64 KiB by default). A header
    # line is short and a body is read with readexactly, which has none; set this high, a
    # long line of garbage is read as pygls' own reader reads it, not raised.
    _LIMIT = 1 << 30

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self.stream = stream

    @classmethod
    async def open(cls, source: BinaryIO) -> _PipeReader | None:
        """Return a reader of `source` in the running loop, or None when it is not a pipe
        or socket."""
        if os.name != "posix":  # Windows' console and pipe handles are not waited on this way
            return None
        try:
            mode = os.fstat(source.fileno()).st_mode
        except (AttributeError, OSError, ValueError):  # no descriptor (a BytesIO in tests)
            return None
        if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
            return None
        loop = asyncio.get_running_loop()
        stream = asyncio.StreamReader(limit=cls._LIMIT, loop=loop)
        try:
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stream, loop=loop), source)
        except (OSError, ValueError):
            return None
        return cls(stream)

    async def readline(self) -> bytes:
        return await self.stream.readline()

    async def readexactly(self, n: int) -> bytes:
        try:
            return await self.stream.readexactly(n)
        except asyncio.IncompleteReadError as cut:  # the end of input: what there was, as a file read
            return cut.partial


class DffixServer(LanguageServer):
    """The language server, with settings, a rule-set cache and per-document analyses."""

    def __init__(self) -> None:
        # Full sync: the client sends the whole text on each change, and the server
        # never has to apply ranges split the way Python splits lines.
        super().__init__(
            SOURCE, __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Full, protocol_cls=_Protocol
        )
        self.overrides = api.Overrides()
        self.init_overrides = api.Overrides()
        self.root: str | None = None
        self.rule_sets: dict[tuple[str | None, str | None, api.Overrides], api.RuleSet | ConfigError] = {}
        self.folders: dict[str, tuple[str | None, str | None]] = {}
        # The folders the config searches looked at (dffix's, hadolint's): a document in a
        # new folder only looks at the folders no earlier search went through.
        self.searched: tuple[dict[str, str | None], dict[str, str | None]] = ({}, {})
        self.analyses: dict[str, Analysis] = {}
        self.pending: dict[str, asyncio.Task[None]] = {}

    def _start_io_async(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """pygls' stdio loop, reading in the event loop from a pipe or socket (`_PipeReader`),
        else through `_MessageReader`."""
        self._stop_event = stop = threading.Event()
        source = stdin or sys.stdin.buffer
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

        async def serve() -> None:
            reader = await _PipeReader.open(source) or _MessageReader(source, self.thread_pool)
            await run_async(
                stop_event=stop,
                reader=reader,
                protocol=self.protocol,
                error_handler=self.report_server_error,
            )

        try:
            asyncio.run(serve())
        except BrokenPipeError:
            pass  # the client is gone
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]

    # -- settings

    def forget_settings(self) -> None:
        """Drop what was read from config files: they are read again on next use."""
        self.rule_sets.clear()
        self.folders.clear()
        for searched in self.searched:
            searched.clear()
        self.analyses.clear()

    def rule_set(self, path: str | None) -> api.RuleSet | ConfigError:
        """Return the rules for the document at `path`, as the command line finds them."""
        overrides = self.overrides
        for word in (*(overrides.select or ()), *overrides.ignore):
            from dffix.config import selector_error

            if problem := selector_error(word):
                return ConfigError("dffix settings", problem)
        folder = api.folder_of(path) if path else (self.root or os.getcwd())
        if folder not in self.folders:
            self.folders[folder] = api.config_files(folder, overrides.config, self.searched)
        key = (*self.folders[folder], overrides)
        if key not in self.rule_sets:
            self.rule_sets[key] = api.load_rule_set(key[0], key[1], overrides)
        return self.rule_sets[key]

    # -- documents

    def analysis(self, uri: str) -> Analysis:
        """Return the checked current text of document `uri` (computed once per text)."""
        text = self.workspace.get_text_document(uri).source
        known = self.analyses.get(uri)
        if known is not None and known.text == text:
            return known
        path = uri_path(uri)
        lines = Lines(text, str(self.workspace.position_encoding or "utf-16"))
        rule_set = self.rule_set(path)
        refused = api.text_error(text, path or uri)
        if isinstance(rule_set, ConfigError) or refused is not None:
            result = Analysis(text, lines, None, refused or rule_set, None, None, [], [])  # type: ignore[arg-type]
        else:
            df = parse(text)
            if isinstance(df, ParseError):
                result = Analysis(text, lines, rule_set, df, None, None, [], [])
            else:
                from dffix.fixer import check

                context = api.build_context(path)
                found = check(df, rule_set.rules, context)
                result = Analysis(text, lines, rule_set, found, df, context, [], [])
        self.analyses[uri] = result
        return result

    def log(self, message: str, kind: lsp.MessageType = lsp.MessageType.Info) -> None:
        """Send a line to the client's log (`window/logMessage`)."""
        self.window_log_message(lsp.LogMessageParams(kind, message))

    def guarded(self, what: str, default: T, work: Callable[[], T]) -> T:
        """Return `work()`, or `default` after logging an exception from inside dffix."""
        try:
            return work()
        except Exception as exc:
            detail = "".join(traceback.format_exception(exc)).rstrip()
            self.log(f"dffix bug while answering {what}; please report it:\n{detail}", lsp.MessageType.Error)
            return default

    @property
    def pulls_diagnostics(self) -> bool:
        """Return whether the client asks for diagnostics (`textDocument/diagnostic`)."""
        caps = self.client_capabilities.text_document
        return caps is not None and caps.diagnostic is not None

    @property
    def resolves_edits(self) -> bool:
        """Return whether the client fills in a code action's edit with codeAction/resolve."""
        caps = self.client_capabilities.text_document
        actions = caps.code_action if caps is not None else None
        if actions is None or not actions.data_support or actions.resolve_support is None:
            return False
        return "edit" in actions.resolve_support.properties

    def publish(self, uri: str) -> None:
        """Send the diagnostics of document `uri` (push clients only)."""
        if self.pulls_diagnostics:
            return
        version = self.workspace.get_text_document(uri).version
        none: list[lsp.Diagnostic] = []
        items = self.guarded("diagnostics", none, lambda: diagnostics(self.analysis(uri)))
        self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, items, version))

    def publish_later(self, uri: str) -> None:
        """Publish after a pause with no further change (the user is typing)."""
        self.cancel_pending(uri)

        async def later() -> None:
            await asyncio.sleep(DEBOUNCE_SECONDS)
            self.pending.pop(uri, None)
            if uri in self.workspace.text_documents:
                self.publish(uri)

        self.pending[uri] = asyncio.get_event_loop().create_task(later())

    def cancel_pending(self, uri: str) -> None:
        """Forget a debounced publish of `uri` that has not run yet."""
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()

    def recheck_all(self) -> None:
        """Check every open document again (settings or a config file changed)."""
        self.forget_settings()
        if self.pulls_diagnostics:
            refresh = self.client_capabilities.workspace
            if refresh and refresh.diagnostics and refresh.diagnostics.refresh_support:
                self.workspace_diagnostic_refresh(None)
            return
        for uri in list(self.workspace.text_documents):
            self.publish(uri)


# -- answers: pure functions of an Analysis ---------------------------------------


def diagnostics(analysis: Analysis) -> list[lsp.Diagnostic]:
    """Return the LSP diagnostics of one checked text (the same list on each call).

    A text that does not parse, or whose config cannot be used, gets one error at the
    place of the problem, so a broken buffer never looks clean. For a text that
    parses, the list has one diagnostic per violation, in the same order.
    """
    if not analysis.diags:
        analysis.diags.append(_diagnostics(analysis))
    return analysis.diags[0]


def _diagnostics(analysis: Analysis) -> list[lsp.Diagnostic]:
    found, lines = analysis.found, analysis.lines
    if isinstance(found, ParseError):
        at = lines.offset(lsp.Position(max(found.line - 1, 0), max(found.col - 1, 0)))
        return [_error(lines.range(at, at), found.message, "parse-error")]
    if isinstance(found, FileError):
        at = lines.offset(lsp.Position(max(found.line - 1, 0), max(found.col - 1, 0)))
        code = "config-error" if isinstance(found, ConfigError) else "unreadable"
        return [_error(lines.range(at, at), str(found), code)]
    severity = api.severities(analysis.rule_set.rules if analysis.rule_set else ())
    return [diagnostic(v, lines, severity.get(v.code, "warning")) for v in found]


def _error(where: lsp.Range, message: str, code: str) -> lsp.Diagnostic:
    return lsp.Diagnostic(where, message, lsp.DiagnosticSeverity.Error, code, source=SOURCE)


def diagnostic(v: Violation, lines: Lines, severity: str) -> lsp.Diagnostic:
    """Return the LSP diagnostic of one violation."""
    level = lsp.DiagnosticSeverity.Error if severity == "error" else lsp.DiagnosticSeverity.Warning
    return lsp.Diagnostic(
        range=lines.range(v.span.start, v.span.end),
        message=v.message,
        severity=level,
        code=v.code,
        code_description=lsp.CodeDescription(f"{RULE_DOCS}{v.code}-{v.name}.md"),
        source=SOURCE,
        data={"name": v.name},
    )


def code_actions(
    analysis: Analysis, uri: str, where: lsp.Range, only: Sequence[str] | None, resolve: bool = False
) -> list[lsp.CodeAction]:
    """Return the quick fixes and disable actions for problems in `where`, and fix-all.

    `only` (the kinds the client asks for) filters them, as LSP says: a kind counts
    when it is one of `only` or below one (`source` includes `source.fixAll.dffix`).
    With `resolve` (the client resolves an action's edit), fix-all comes without its
    edit and `data` names the document; `resolve_action` fills it in.
    """

    def wanted(kind: str) -> bool:
        return only is None or any(kind == k or kind.startswith(k + ".") or not k for k in only)

    actions: list[lsp.CodeAction] = []
    found, lines = analysis.found, analysis.lines
    if not isinstance(found, list):
        return actions
    # A problem counts when it is on a line of the range: a cursor anywhere on a line
    # gets that line's fixes, as editors ask with an empty range at the cursor.
    first, last = where.start.line, max(where.end.line, where.start.line)
    if wanted(lsp.CodeActionKind.QuickFix):
        for v, diag in zip(found, diagnostics(analysis), strict=True):
            span = diag.range
            # A span ending with its line's newline ends on that line, not the next.
            end_line = span.end.line - (span.end.character == 0 and span.end.line > span.start.line)
            if span.start.line > last or end_line < first:
                continue
            if v.fix is not None and v.fix.applicability >= Applicability.UNSAFE:
                actions.append(_quick_fix(v, diag, uri, lines))
            disable = _disable_action(v, diag, uri, analysis)
            if disable is not None:
                actions.append(disable)
    if wanted(FIX_ALL):
        if not resolve:
            edits = fix_all_edits(analysis)
            if edits:
                actions.append(fix_all_action(uri, edits))
        elif bool(analysis.fixed[0]) if analysis.fixed else _fixes_something(analysis):
            # The client asks for the edit with codeAction/resolve, when the user picks
            # the action or saves: no fixer run on every cursor move.
            actions.append(lsp.CodeAction(FIX_ALL_TITLE, kind=FIX_ALL, data={"uri": uri}))
    return actions


def fix_all_action(uri: str, edits: list[lsp.TextEdit]) -> lsp.CodeAction:
    """Return the fix-all action with its edit."""
    return lsp.CodeAction(FIX_ALL_TITLE, kind=FIX_ALL, edit=lsp.WorkspaceEdit(changes={uri: edits}))


def _fixes_something(analysis: Analysis) -> bool:
    """Return whether the fixer's first pass would apply a fix (fix-all is worth offering).

    The same choice `dffix -` makes first; only a fix that turns out to break the file
    (a dffix bug) makes the resolved action empty.
    """
    from dffix.fixer import select_fixes

    if analysis.rule_set is None or not isinstance(analysis.found, list):
        return False
    return bool(select_fixes(analysis.found, analysis.rule_set.level, set(), analysis.text))


def _quick_fix(v: Violation, diag: lsp.Diagnostic, uri: str, lines: Lines) -> lsp.CodeAction:
    assert v.fix is not None, v
    # An unsafe fix may change what the image does: the user has to choose it.
    safe = v.fix.applicability is Applicability.SAFE
    title = v.fix_title or f"Fix {v.code}"
    return lsp.CodeAction(
        title if safe else f"{title} (unsafe)",
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[diag],
        is_preferred=safe,
        edit=lsp.WorkspaceEdit(changes={uri: [lines.text_edit(e) for e in v.fix.edits]}),
    )


def _disable_action(
    v: Violation, diag: lsp.Diagnostic, uri: str, analysis: Analysis
) -> lsp.CodeAction | None:
    """Return the action inserting `# dffix: ignore=CODE` above the problem's instruction.

    The comment silences the rule for the instruction right after it; a problem not
    inside an instruction (a whole-file one) has no line to disable.
    """
    df = analysis.df
    instr = _instruction_at(df, v.span.start) if df is not None else None
    if df is None or instr is None:
        return None
    text = analysis.text
    line_start = text.rfind("\n", 0, instr.span.start) + 1
    if line_start == 0 and text.startswith("\ufeff"):
        line_start = 1
    newline = "\r\n" if "\r\n" in text else "\n"
    comment = f"{df.indent(instr)}# dffix: ignore={v.code}{newline}"
    edit = analysis.lines.text_edit(Edit.insert(line_start, comment))
    return lsp.CodeAction(
        f"Disable {v.code} for this line",
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[diag],
        edit=lsp.WorkspaceEdit(changes={uri: [edit]}),
    )


def _instruction_at(df: Dockerfile, offset: int) -> Instruction | None:
    for instr in df.instruction_list:
        if instr.span.start <= offset < max(instr.span.end, instr.span.start + 1):
            return instr
    return None


def fix_all_edits(analysis: Analysis) -> list[lsp.TextEdit]:
    """Return the edits giving the text `dffix -` prints (none for a broken text or a dffix bug)."""
    if analysis.rule_set is None or not isinstance(analysis.found, list) or analysis.df is None:
        return []
    if not analysis.fixed:
        # The fixer's first pass starts from this analysis's parse and check.
        checked = (analysis.df, analysis.found)
        fixed = api.fix_text(analysis.text, analysis.rule_set, analysis.context, checked)
        ok = not isinstance(fixed, ParseError) and not fixed.bugs
        edits = whole_text_edits(analysis.text, fixed.text, analysis.lines) if ok else []  # type: ignore[union-attr]
        analysis.fixed.append(edits)
    return analysis.fixed[0]


def resolve_action(ls: DffixServer, action: lsp.CodeAction) -> lsp.CodeAction:
    """Return fix-all with its edit, for the document's text now (other actions as they are).

    A document closed since has no edit to give: the action comes back as it was.
    """
    data = action.data
    uri = data.get("uri") if isinstance(data, Mapping) else None
    if action.kind != FIX_ALL or action.edit is not None or not isinstance(uri, str):
        return action
    if uri not in ls.workspace.text_documents:
        return action
    edits = fix_all_edits(ls.analysis(uri))
    return fix_all_action(uri, edits)


def hover(analysis: Analysis, position: lsp.Position) -> lsp.Hover | None:
    """Return the docs of the rule named under the cursor in a suppression comment."""
    lines = analysis.lines
    at = lines.offset(position)
    start = lines.starts[position.line] if position.line < len(lines.starts) else len(analysis.text)
    end = analysis.text.find("\n", start)
    line = analysis.text[start : end if end >= 0 else len(analysis.text)]
    m = _SUPPRESSION.search(line)
    if m is None or line[: m.start()].strip():
        return None
    for word in _WORD.finditer(line, m.end()):
        if word.start() <= at - start <= word.end():
            from dffix.docs import find_rule, rule_markdown
            from dffix.rules import ALL_RULES

            rule = find_rule(word.group(), ALL_RULES)
            if rule is None:
                return None
            contents = lsp.MarkupContent(lsp.MarkupKind.Markdown, rule_markdown(rule))
            return lsp.Hover(contents, lines.range(start + word.start(), start + word.end()))
    return None


# -- the server's features ----------------------------------------------------------


def make_server() -> DffixServer:
    """Return a server with every feature registered (not yet started)."""
    server = DffixServer()

    @server.feature(lsp.INITIALIZE)
    def initialize(ls: DffixServer, params: lsp.InitializeParams) -> None:
        ls.root = uri_path(params.root_uri) if params.root_uri else params.root_path
        ls.init_overrides = ls.overrides = overrides_from(params.initialization_options, ls.root)

    @server.feature(lsp.INITIALIZED)
    async def initialized(ls: DffixServer, params: lsp.InitializedParams) -> None:
        workspace = ls.client_capabilities.workspace
        watch = workspace.did_change_watched_files if workspace else None
        if watch is not None and watch.dynamic_registration:
            options = lsp.DidChangeWatchedFilesRegistrationOptions(
                [lsp.FileSystemWatcher(glob) for glob in CONFIG_GLOBS]
            )
            registration = lsp.Registration("dffix-config", lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES, options)
            try:
                await ls.client_register_capability_async(lsp.RegistrationParams([registration]))
            except Exception as exc:  # the client said no: config changes need a restart
                ls.log(f"cannot watch config files: {exc}", lsp.MessageType.Warning)
        await read_configuration(ls)
        # Load the rules now, while the user has not opened anything yet, rather than
        # on the first document (about as long as Python's own start).
        await asyncio.sleep(0)
        ls.guarded("loading the rules", None, _load_rules)

    @server.feature(lsp.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: DffixServer, params: lsp.DidChangeConfigurationParams) -> None:
        settings = params.settings
        if isinstance(settings, Mapping) and isinstance(settings.get("dffix"), Mapping):
            ls.overrides = overrides_from(settings, ls.root)
        else:
            await read_configuration(ls)
        ls.recheck_all()

    @server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: DffixServer, params: lsp.DidChangeWatchedFilesParams) -> None:
        if any((uri_path(c.uri) or "").endswith(_CONFIG_NAMES) for c in params.changes):
            ls.recheck_all()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: DffixServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: DffixServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.publish_later(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: DffixServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.cancel_pending(params.text_document.uri)
        ls.publish(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: DffixServer, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.cancel_pending(uri)
        ls.analyses.pop(uri, None)
        # The rules' per-RUN caches are sized for a file at a time (the command line
        # empties them after each): a closed document's entries are of no more use.
        memo.forget()
        if not ls.pulls_diagnostics:
            ls.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri, []))

    @server.feature(
        lsp.TEXT_DOCUMENT_DIAGNOSTIC,
        lsp.DiagnosticOptions(inter_file_dependencies=False, workspace_diagnostics=False, identifier=SOURCE),
    )
    def pull_diagnostics(
        ls: DffixServer, params: lsp.DocumentDiagnosticParams
    ) -> lsp.RelatedFullDocumentDiagnosticReport:
        uri = params.text_document.uri
        none: list[lsp.Diagnostic] = []
        items = ls.guarded("diagnostics", none, lambda: diagnostics(ls.analysis(uri)))
        return lsp.RelatedFullDocumentDiagnosticReport(items)

    @server.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(
            code_action_kinds=[lsp.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=True
        ),
    )
    def code_action(ls: DffixServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
        uri = params.text_document.uri
        only = None if params.context.only is None else list(params.context.only)
        resolve = ls.resolves_edits
        return ls.guarded(
            "a code action request",
            [],
            lambda: code_actions(ls.analysis(uri), uri, params.range, only, resolve),
        )

    @server.feature(lsp.CODE_ACTION_RESOLVE)
    def code_action_resolve(ls: DffixServer, action: lsp.CodeAction) -> lsp.CodeAction:
        return ls.guarded("a code action resolve request", action, lambda: resolve_action(ls, action))

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: DffixServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit]:
        uri = params.text_document.uri
        return ls.guarded("a formatting request", [], lambda: fix_all_edits(ls.analysis(uri)))

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: DffixServer, params: lsp.HoverParams) -> lsp.Hover | None:
        uri = params.text_document.uri
        return ls.guarded("a hover request", None, lambda: hover(ls.analysis(uri), params.position))

    return server


def _load_rules() -> None:
    import dffix.fixer  # noqa: F401 (imports every rule module)

    # Everything loaded so far (pygls, lsprotocol, the rules: ~55,000 objects, no garbage
    # among them) lives as long as the server: out of the collector's reach, a full
    # collection scans only what requests made since. In-process, 400 opens of a typical
    # file ran 3 full collections of ~20 ms each, each on one request; frozen, 0.7 ms.
    gc.freeze()


async def read_configuration(ls: DffixServer) -> None:
    """Ask the client for the `dffix` settings section (over `initializationOptions`)."""
    workspace = ls.client_capabilities.workspace
    if not (workspace and workspace.configuration):
        return
    try:
        answer = await ls.workspace_configuration_async(
            lsp.ConfigurationParams([lsp.ConfigurationItem(section=SOURCE)])
        )
    except Exception as exc:
        ls.log(f"cannot read the dffix settings: {exc}", lsp.MessageType.Warning)
        return
    section = answer[0] if answer else None
    if isinstance(section, Mapping) and section:
        ls.overrides = overrides_from(section, ls.root)
    else:
        ls.overrides = ls.init_overrides
    ls.forget_settings()


USAGE = """usage: dffix server [--stdio]

Run the dffix language server: LSP over stdin and stdout, for editors.
Settings (initializationOptions or the `dffix` section of workspace/configuration):
select, ignore, unsafeFixes, config. See docs/user-guide.md, "In your editor".
"""


def main(argv: Sequence[str] = ()) -> int:
    """Run the language server on stdio until the client says exit; return the exit code."""
    args = [a for a in argv if a != "--stdio"]  # clients add --stdio; it is the only transport
    if args in (["--help"], ["-h"]):
        sys.stdout.write(USAGE)
        return 0
    if args:
        sys.stderr.write(f"error: dffix server takes no {args[0]!r}\n{USAGE}")
        return 2
    server = make_server()
    try:
        server.start_io()
    except SystemExit as stop:  # `exit` ends the loop this way; 0 after `shutdown`
        return stop.code if isinstance(stop.code, int) else 0
    return 0
