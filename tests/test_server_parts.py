"""`dffix server`'s parts in-process (positions, edits, settings), and the command itself:
its imports, usage errors and end of input."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, strategies as st
from lsprotocol import types as lsp

from dffix import api
from dffix.server import Lines, overrides_from, uri_path, whole_text_edits
from tests.corpus import corpus_files, decode

SERVER = [sys.executable, "-m", "dffix", "server"]


def apply_lsp(text: str, edit: lsp.TextEdit, encoding: str) -> str:
    lines = Lines(text, encoding)
    return text[: lines.offset(edit.range.start)] + edit.new_text + text[lines.offset(edit.range.end) :]


@pytest.mark.parametrize(
    ("text", "offset", "encoding", "line", "character"),
    [
        pytest.param("ab\ncd", 4, "utf-16", 1, 1, id="after a newline"),
        pytest.param("ab\r\ncd", 5, "utf-16", 1, 1, id="after a CRLF"),
        pytest.param("ab\rcd", 4, "utf-16", 1, 1, id="a lone CR ends a line in LSP"),
        pytest.param("a\U0001f433b", 2, "utf-16", 0, 3, id="an emoji is two UTF-16 units"),
        pytest.param("a\U0001f433b", 2, "utf-32", 0, 2, id="one UTF-32 unit"),
        pytest.param("a\U0001f433b", 2, "utf-8", 0, 5, id="four UTF-8 bytes"),
        pytest.param("ab\x0ccd", 4, "utf-16", 0, 4, id="a form feed is no line break in LSP"),
        pytest.param("ab", 99, "utf-16", 0, 2, id="past the end is the end"),
    ],
)
def test_lines_positions(text: str, offset: int, encoding: str, line: int, character: int) -> None:
    lines = Lines(text, encoding)
    assert lines.position(offset) == lsp.Position(line, character)
    assert lines.offset(lsp.Position(line, character)) == min(offset, len(text))


def test_lines_offset_clamps_a_character_past_the_line() -> None:
    assert Lines("ab\r\ncd\n").offset(lsp.Position(0, 40)) == 2
    assert Lines("ab\ncd").offset(lsp.Position(7, 0)) == 5


pieces = st.sampled_from(["a", "b", " ", "\n", "\r\n", "\r", "\\", "\U0001f433", "é"])
texts = st.lists(pieces, max_size=20).map("".join)


@given(old=texts, new=texts, encoding=st.sampled_from(["utf-8", "utf-16", "utf-32"]))
def test_whole_text_edits_turn_old_into_new(old: str, new: str, encoding: str) -> None:
    edits = whole_text_edits(old, new, Lines(old, encoding))
    if old == new:
        assert edits == []
        return
    assert len(edits) == 1
    assert apply_lsp(old, edits[0], encoding) == new


def test_whole_text_edits_send_only_the_changed_middle() -> None:
    old = "FROM a\nADD x /y\nCMD z\n"
    (edit,) = whole_text_edits(old, old.replace("ADD", "COPY"), Lines(old))
    assert edit.range == lsp.Range(lsp.Position(1, 0), lsp.Position(1, 3))
    assert edit.new_text == "COPY"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(None, api.Overrides(), id="nothing"),
        pytest.param({"select": "DF1, DF201"}, api.Overrides(select=("DF1", "DF201")), id="comma string"),
        pytest.param({"ignore": ["DF301"]}, api.Overrides(ignore=("DF301",)), id="list"),
        pytest.param({"unsafeFixes": True}, api.Overrides(unsafe_fixes=True), id="camel case"),
        pytest.param({"unsafe-fixes": False}, api.Overrides(unsafe_fixes=False), id="as in the config"),
        pytest.param({"unsafeFixes": "yes"}, api.Overrides(), id="not a bool: left out"),
        pytest.param({"dffix": {"ignore": "DF1"}}, api.Overrides(ignore=("DF1",)), id="nested section"),
        pytest.param(
            {"config": "ci/dffix.toml"}, api.Overrides(config="/w/ci/dffix.toml"), id="relative config"
        ),
        pytest.param({"config": "/etc/d.toml"}, api.Overrides(config="/etc/d.toml"), id="absolute config"),
    ],
)
def test_overrides_from_editor_settings(raw: object, expected: api.Overrides) -> None:
    assert overrides_from(raw, "/w") == expected


def test_uri_path() -> None:
    assert uri_path("file:///w/my%20app/Dockerfile") == "/w/my app/Dockerfile"
    assert uri_path("untitled:Untitled-1") is None


def test_importing_the_server_does_not_import_typer() -> None:
    code = "import sys, dffix.server; print('typer' in sys.modules, 'dffix.rules' in sys.modules)"
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ran.stdout.split() == ["False", "False"]


def test_server_usage_errors_exit_2() -> None:
    ran = subprocess.run([*SERVER, "--tcp"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert ran.returncode == 2
    assert "dffix server takes no '--tcp'" in ran.stderr
    helped = subprocess.run([*SERVER, "--help"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert (helped.returncode, helped.stdout.startswith("usage: dffix server")) == (0, True)


def test_end_of_input_without_exit_ends_the_server() -> None:
    ran = subprocess.run(SERVER, capture_output=True, stdin=subprocess.DEVNULL, timeout=30)
    assert ran.returncode in (0, 1)
    assert b"Traceback" not in ran.stderr


@pytest.mark.skipif(not corpus_files(), reason="../shared/corpus not present")
@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_fixing_from_the_servers_check_gives_what_fixing_from_scratch_gives(unsafe: bool) -> None:
    """The server hands the fixer the parse and check it made for diagnostics (`checked=`):
    on every other corpus file the result, to the last remaining violation, is the same."""
    from dffix.fixer import check
    from dffix.syntax import ParseError, parse

    compared = 0
    for path in corpus_files()[::2]:
        text = decode(path.read_bytes())
        rule_set = api.rule_set_for(str(path), api.Overrides(unsafe_fixes=unsafe))
        assert isinstance(rule_set, api.RuleSet)
        context = api.build_context(str(path))
        df = parse(text)
        if isinstance(df, ParseError):
            continue
        checked = (df, check(df, rule_set.rules, context))
        assert api.fix_text(text, rule_set, context, checked) == api.fix_text(text, rule_set, context), path
        compared += 1
    assert compared > 150


class _Collecting:
    """pygls' protocol, as its message loop sees it: keeps every message it is handed."""

    def __init__(self) -> None:
        self.got: list[object] = []

    def structure_message(self, data: object) -> object:
        return data

    def handle_message(self, message: object) -> None:
        self.got.append(message)


def _read_all(make_reader: object, data: bytes) -> tuple[list[object], int]:
    """Run pygls' message loop over `data` with a reader; return the messages and the hops."""
    import asyncio
    import io
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from pygls.io_ import run_async

    class Counting(ThreadPoolExecutor):
        hops = 0

        def submit(self, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
            Counting.hops += 1
            return super().submit(*args, **kwargs)  # type: ignore[arg-type]

    protocol = _Collecting()
    with Counting(1) as pool:
        reader = make_reader(io.BufferedReader(io.BytesIO(data)), pool)  # type: ignore[operator]
        asyncio.run(run_async(threading.Event(), reader, protocol))  # type: ignore[arg-type]
    return protocol.got, Counting.hops


def test_the_stdin_reader_reads_what_pygls_reads_in_one_hop_a_message() -> None:
    from pygls.io_ import StdinAsyncReader

    from dffix.server import _MessageReader

    def message(body: bytes, extra: bytes = b"") -> bytes:
        return b"Content-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)

    data = (
        message(b'{"jsonrpc": "2.0", "method": "a", "params": {"t": "\\u00e9\\r\\n"}}')
        + b"\r\n"  # a stray blank line before the next header
        + message(b'{"jsonrpc": "2.0", "id": 1, "method": "b"}', b"Content-Type: application/json\r\n")
        + message(b'{"jsonrpc": "2.0", "method": "c"}')
        + b"Content-Length: 99\r\n\r\n{"  # cut off: the end of input
    )
    ours, our_hops = _read_all(_MessageReader, data)
    theirs, their_hops = _read_all(StdinAsyncReader, data)
    assert [m["method"] for m in ours] == ["a", "b", "c"]  # type: ignore[index]
    assert ours == theirs
    assert our_hops == 5 < their_hops  # three messages, the cut-off one, the end


def test_a_pipe_is_read_in_the_event_loop_as_pygls_reads_it() -> None:
    """An editor's pipe: the same messages as pygls' own reader, however the writes are
    cut, read by the loop itself; a regular file or a buffer keeps `_MessageReader`."""
    import asyncio
    import io
    import os
    import tempfile
    import threading

    from pygls.io_ import StdinAsyncReader, run_async

    from dffix.server import _PipeReader

    def message(body: bytes) -> bytes:
        return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)

    big = b'{"jsonrpc": "2.0", "method": "big", "params": {"text": "%s"}}' % (b"x" * 200_000)
    data = (
        message(b'{"jsonrpc": "2.0", "method": "a"}')
        + b"\r\n"
        + message(big)
        + message(b'{"jsonrpc": "2.0", "id": 1, "method": "b"}')
        + b"Content-Length: 99\r\n\r\n{"  # cut off: the end of input
    )
    theirs, _ = _read_all(StdinAsyncReader, data)
    assert [m["method"] for m in theirs] == ["a", "big", "b"]  # type: ignore[index]

    for chunk in (1, 7, 4096, len(data)):
        read_end, write_end = os.pipe()

        def feed(size: int = chunk, fd: int = write_end) -> None:
            for at in range(0, len(data), size):
                os.write(fd, data[at : at + size])
            os.close(fd)

        protocol = _Collecting()

        async def serve(fd: int = read_end, into: _Collecting = protocol) -> None:
            with open(fd, "rb", buffering=0) as source:
                reader = await _PipeReader.open(source)
                assert reader is not None
                await run_async(threading.Event(), reader, into)  # type: ignore[arg-type]

        writer = threading.Thread(target=feed)
        writer.start()
        asyncio.run(serve())
        writer.join()
        assert protocol.got == theirs, chunk

    async def refused(source: object) -> object:
        return await _PipeReader.open(source)  # type: ignore[arg-type]

    with tempfile.TemporaryFile() as regular:
        assert asyncio.run(refused(regular)) is None
    assert asyncio.run(refused(io.BufferedReader(io.BytesIO(data)))) is None


def test_loading_the_rules_puts_the_servers_start_up_objects_out_of_the_collectors_reach() -> None:
    """A full collection in the server scans only what requests made since start-up."""
    import gc

    from dffix.server import _load_rules

    if gc.get_freeze_count():
        pytest.skip("something in this process froze objects already")
    try:
        _load_rules()
        from dffix.rules import ALL_RULES

        scanned = {id(o) for o in gc.get_objects()}
        made_since: list[object] = []
        assert gc.get_freeze_count() > 10_000  # the rules, lsprotocol's types...
        assert id(ALL_RULES) not in scanned
        assert id(made_since) in {id(o) for o in gc.get_objects()}  # what a request makes is collected
    finally:
        gc.unfreeze()
