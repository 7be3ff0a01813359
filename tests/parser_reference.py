"""The Dockerfile parser as it was before the second round of speed work (issue 14).

tests/test_parser_fast.py holds `dffix.syntax.parser` to it: the same tree, node for node
and type for type, on the corpus, the texts a corpus fix parses, and generated input.
Kept as it was; do not speed it up.
"""

from __future__ import annotations

import json
from itertools import accumulate

from dffix.lazy import lazy_re
from dffix.records import NamedTuple
from dffix.syntax import words as w
from dffix.syntax.parser import ParseError
from dffix.syntax.shell import unquote
from dffix.syntax.tree import (
    Directive,
    Dockerfile,
    Flag,
    Form,
    Heredoc,
    Instruction,
    Item,
    LineKind,
    OffsetMap,
    PhysLine,
    Span,
    Trivia,
)

# BuildKit's `^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` less the lazy `(.+?)\s*$`,
# which backtracks quadratically in Python on a run of spaces inside the value (a
# minute for `# syntax=a<100k spaces>b`): `_directive_value` trims as Go's match does.
# Go's \s is [\t\n\f\r ]; Python's is Unicode, so spell it out.
_GO_S = "\t\n\f\r "
_DIRECTIVE_RE = lazy_re(r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=(.*)")
_ALLOWED_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_HEREDOC_KINDS = frozenset({"ADD", "COPY", "RUN"})
_MAX_ONBUILD_DEPTH = 50
_JSON_DECODER = json.JSONDecoder(parse_constant=lambda c: _raise_value_error(c))
_CODE, _COMMENT, _BLANK = LineKind.CODE, LineKind.COMMENT, LineKind.BLANK
# What a NamedTuple's __new__ calls: the same tuple, without a Python frame per node.
_tuple_new = tuple.__new__


def _raise_value_error(token: str) -> object:
    raise ValueError(f"not JSON: {token}")


class _Fail(Exception):
    """Internal: carries a ParseError out of nested helpers."""

    def __init__(self, error: ParseError) -> None:
        super().__init__(error.message)
        self.error = error


class _Lines(NamedTuple):
    """The physical lines of a text, as parallel lists (one object per line is slower)."""

    starts: list[int]  # first character (after a BOM on line 1)
    ends: list[int]  # end of content, trailing \r and \n removed
    eols: list[int]  # after the newline
    lefts: list[int]  # first character that is not a Go space (`end` when none is)


def _split_lines(text: str, first: int) -> _Lines:
    """Split on \n only (a lone \r is an ordinary character to BuildKit)."""
    pieces = (text[first:] if first else text).split("\n")
    ends_open = bool(pieces[-1])  # a last line without a newline
    if not ends_open:
        pieces.pop()
    # Comprehensions over the pieces, not a loop of appends: each field in one pass.
    eols = list(accumulate([len(piece) + 1 for piece in pieces], initial=first))
    starts = eols[:-1]
    del eols[0]
    if ends_open:
        eols[-1] -= 1
    contents = [piece.rstrip("\r") for piece in pieces]
    ends = [start + len(content) for start, content in zip(starts, contents, strict=True)]
    spaces = w.GO_SPACES
    lefts = [end - len(content.lstrip(spaces)) for end, content in zip(ends, contents, strict=True)]
    return _Lines(starts, ends, eols, lefts)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.first = 1 if text.startswith("\ufeff") else 0
        self.starts, self.ends, self.eols, self.lefts = _split_lines(text, self.first)
        self.escape = "\\"
        self.directives_done = False
        self.seen: set[str] = set()

    # -- line helpers -------------------------------------------------------

    def continuation(self, start: int, end: int) -> int | None:
        """Return where the continuation escape starts on text[start:end], or None.

        BuildKit's rule (`(^|[^\\])\\[ \t]*$`): the escape is last on the line but
        for spaces and tabs, and is not itself escaped.
        """
        text, esc = self.text, self.escape
        while end > start and text[end - 1] in " \t":
            end -= 1
        if end > start and text[end - 1] == esc and (end - 1 == start or text[end - 2] != esc):
            return end - 1
        return None

    def directive(self, index: int, left: int) -> Directive | None:
        """Read a parser directive from a top-level line, as BuildKit's DirectiveParser."""
        if self.directives_done:
            return None
        end = self.ends[index]
        m = _DIRECTIVE_RE.match(self.text, left, end)
        value = _directive_value(m.group(2)) if m and m.end() == end else ""
        name = m.group(1).lower() if m else ""
        if not value or name not in _ALLOWED_DIRECTIVES:
            self.directives_done = True
            return None
        if name in self.seen:
            raise _Fail(ParseError(index + 1, 1, f"only one {name} parser directive can be used"))
        self.seen.add(name)
        if name == "escape":
            if value not in ("`", "\\"):
                msg = f"invalid escape token {value!r} does not match ` or \\"
                raise _Fail(ParseError(index + 1, 1, msg))
            self.escape = value
        return Directive(name, value, Span(self.starts[index], self.eols[index]))

    # -- the main loop ------------------------------------------------------

    def parse(self) -> Dockerfile:
        items: list[Item] = []
        instructions: list[Instruction] = []
        text, starts, ends, eols, lefts = self.text, self.starts, self.ends, self.eols, self.lefts
        count = len(starts)
        i = 0
        while i < count:
            left, end = lefts[i], ends[i]
            if not self.directives_done:
                directive = self.directive(i, left)
                if directive is not None:
                    items.append(directive)
                    i += 1
                    continue
            is_comment = left < end and text[left] == "#"
            cont = None if is_comment else self.continuation(left, end)
            if is_comment or (cont is None and left == end):
                items.append(_tuple_new(Trivia, (is_comment, _tuple_new(Span, (starts[i], eols[i])))))
                i += 1
                continue
            instr, i = self.instruction(i, left, cont)
            items.append(instr)
            instructions.append(instr)
        if not instructions:
            raise _Fail(ParseError(1, 1, "file with no instructions"))
        newline = "\r\n" if "\r\n" in text[: eols[0]] else "\n"
        return Dockerfile(text, tuple(items), self.escape, newline, tuple(instructions))

    def instruction(self, i: int, left: int, cont: int | None) -> tuple[Instruction, int]:
        """Read one instruction starting at line i; return it and the next line index."""
        text, starts, ends, eols, lefts = self.text, self.starts, self.ends, self.eols, self.lefts
        first = i
        end = ends[i]
        phys = [_tuple_new(PhysLine, (_CODE, starts[i], end, eols[i], cont))]
        if cont is None:
            # One line: the logical line is the line itself, one run of the source.
            logical = text[left:end]
            offsets = _tuple_new(OffsetMap, ((0,), (left,), end - left))
            i += 1
        else:
            pieces = [(left, cont)]
            i += 1
            count = len(starts)
            while cont is not None and i < count:
                start, end, line_left = starts[i], ends[i], lefts[i]
                if line_left < end and text[line_left] == "#":
                    phys.append(_tuple_new(PhysLine, (_COMMENT, start, end, eols[i], None)))
                elif line_left == end:
                    phys.append(_tuple_new(PhysLine, (_BLANK, start, end, eols[i], None)))
                else:
                    cont = self.continuation(start, end)
                    phys.append(_tuple_new(PhysLine, (_CODE, start, end, eols[i], cont)))
                    pieces.append((start, end if cont is None else cont))
                i += 1
            logical, offsets = self.join(pieces)
        try:
            node = _node(logical, offsets, 0, self.escape)
        except _Fail as fail:
            raise _Fail(ParseError(first + 1, 1, fail.error.message)) from None
        heredocs: tuple[Heredoc, ...] = ()
        if "<<" in logical and _can_contain_heredoc(node):
            heredocs, i = self.heredocs(logical, first, i)
        span = _tuple_new(Span, (starts[first], eols[i - 1]))
        return _finish(node, tuple(phys), heredocs, span, first + 1, i, logical, offsets), i

    def join(self, pieces: list[tuple[int, int]]) -> tuple[str, OffsetMap]:
        parts: list[str] = []
        starts: list[int] = []
        sources: list[int] = []
        length = 0
        text = self.text
        for start, end in pieces:
            if end <= start:
                continue
            starts.append(length)
            sources.append(start)
            parts.append(text[start:end])
            length += end - start
        if not starts:
            starts, sources = [0], [pieces[0][0]]
        return "".join(parts), _tuple_new(OffsetMap, (tuple(starts), tuple(sources), length))

    def heredocs(self, logical: str, first: int, i: int) -> tuple[tuple[Heredoc, ...], int]:
        """Read the bodies of the heredocs named on the logical line, from line i on."""
        found: list[Heredoc] = []
        if not w.lexes(logical):
            return (), i  # BuildKit drops the words, and so the heredocs, of a line its lexer rejects
        for word in shell_words(logical):
            m = w.HEREDOC_RE.match(word.value)
            if not m or not m.group(3):
                continue
            rest = m.group(3)
            # BuildKit reads the name with Go's text/scanner, which skips a BOM at its
            # start, and its lexer drops an escape with nothing after it: `<<'EOF'\` names EOF.
            raw = rest.removeprefix("\ufeff")
            trailing = len(raw) - len(raw.rstrip("\\"))
            name = unquote(raw[:-1] if trailing % 2 else raw)
            # BuildKit takes the word only when it is still one word with its quotes read.
            if not name or len(shell_words(rest)) != 1:
                continue
            chomp = m.group(2) == "-"
            expand = not any(q in rest for q in "'\"")
            starts, ends, count = self.starts, self.ends, len(self.starts)
            body_start = starts[i] if i < count else len(self.text)
            while True:
                if i >= count:
                    raise _Fail(ParseError(first + 1, 1, f"unterminated heredoc <<{rest}"))
                start, end = starts[i], ends[i]
                i += 1
                candidate = self.text[start:end]
                if chomp:
                    candidate = candidate.lstrip("\t")
                if candidate == name:
                    break
            content = self.text[body_start:start]
            fd = int(m.group(1)) if m.group(1) else 0
            body = Span(body_start, start)
            found.append(Heredoc(name, chomp, expand, fd, body, Span(start, end), content))
        return tuple(found), i


def _directive_value(rest: str) -> str:
    """Return what BuildKit's `\\s*(.+?)\\s*$` captures from the text after a directive's `=`.

    That is `rest` without the spaces around it; when `rest` is only spaces, the
    backtracking match gives back its last one; when it is empty, nothing matches.
    """
    return rest.strip(_GO_S) or rest[-1:]


# -- one logical line -> keyword, flags, arguments ----------------------------


class _Node(NamedTuple):
    keyword: str
    keyword_start: int
    keyword_end: int
    flags: tuple[w.Word, ...]
    args_start: int
    args_end: int
    form: Form
    values: tuple[str, ...]
    inner: _Node | None


def _node(line: str, offsets: OffsetMap, start: int, escape: str, depth: int = 0) -> _Node:
    """Split line[start:] as BuildKit's newNodeFromLine: keyword, flags, arguments."""
    spaces = w.GO_SPACE_SET
    n = len(line)
    # The strips and flag scans below are only called when the next character asks for them.
    k0 = w.lstrip_len(line, start) if start < n and line[start] in spaces else start
    end = w.rstrip_len(line, k0) if n > k0 and line[n - 1] in spaces else n
    m = w.WHITESPACE_RE.search(line, k0, end)
    k1 = m.start() if m else end
    keyword = line[k0:k1]
    flags: tuple[w.Word, ...] = ()
    a0 = a1 = end
    if m:
        a0 = m.end()
        if a0 >= end or line[a0] in w.FLAG_SPACE_SET or line.startswith("--", a0):
            flags, a0 = w.builder_flags(line[:end], a0)
        if a0 < end and line[a0] in spaces:
            a0 = w.lstrip_len(line, a0, end)
        a1 = end
    rest = line[a0:a1]
    form, values, inner = _dispatch(keyword.lower(), rest, line, offsets, a0, escape, depth)
    return _tuple_new(_Node, (keyword, k0, k1, flags, a0, a1, form, values, inner))


def _dispatch(
    kind: str, rest: str, line: str, offsets: OffsetMap, a0: int, escape: str, depth: int = 0
) -> tuple[Form, tuple[str, ...], _Node | None]:
    """Read the argument values the way BuildKit's dispatch table does for `kind`."""
    if kind in ("run", "cmd", "entrypoint", "shell"):
        return _maybe_json(rest, as_list=False)
    if kind in ("add", "copy", "volume"):
        return _maybe_json(rest, as_list=True)
    if kind in ("expose", "from"):
        return Form.SHELL, _whitespace_split(rest), None
    if kind in ("maintainer", "stopsignal", "user", "workdir"):
        return Form.SHELL, ((rest,) if rest else ()), None
    if kind == "arg":
        return Form.SHELL, tuple(w.parse_words(rest, escape)), None
    if kind in ("env", "label"):
        return Form.SHELL, _name_values(rest, kind.upper(), escape), None
    if kind == "healthcheck":
        return _health(rest)
    if kind == "onbuild":
        if not rest:
            return Form.SHELL, (), None
        if depth >= _MAX_ONBUILD_DEPTH:
            # BuildKit's parser recurses as deep as asked; Python's stack does not. No
            # build gets that far anyway: Docker refuses `ONBUILD ONBUILD`.
            raise _Fail(ParseError(0, 0, f"ONBUILD nested more than {_MAX_ONBUILD_DEPTH} levels deep"))
        inner = _node(line, offsets, a0, escape, depth + 1)
        if inner.inner is not None and inner.keyword.lower() == "onbuild":
            # The arguments of a nested ONBUILD are an instruction, not words: BuildKit
            # holds them in an unnamed node, whose value is "".
            return Form.SHELL, ("",), inner
        return inner.form, inner.values, inner
    return Form.SHELL, ("",), None


def _whitespace_split(rest: str) -> tuple[str, ...]:
    return tuple(p for p in w.WHITESPACE_RE.split(rest) if p) if rest else ()


def _maybe_json(rest: str, *, as_list: bool) -> tuple[Form, tuple[str, ...], None]:
    """BuildKit's parseMaybeJSON / parseMaybeJSONToList."""
    # Only text starting with `[` after spaces can be an array: skip the decoder's call.
    values = _json_array(rest) if rest and (rest[0] == "[" or rest[0] in w.GO_SPACE_SET) else None
    if values is not None:
        return Form.JSON, values, None
    if as_list:
        return Form.SHELL, _whitespace_split(rest), None
    return Form.SHELL, ((rest,) if rest else ()), None


def _json_array(rest: str) -> tuple[str, ...] | None:
    """Return the strings of a leading JSON array, None when it is not one.

    BuildKit decodes the first JSON value and ignores what follows it; an array
    holding anything but strings is an error for the whole file.
    """
    text = rest[w.lstrip_len(rest) :]
    if not text.startswith("["):
        return None
    try:
        value, _ = _JSON_DECODER.raw_decode(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, list):
        return None
    if not all(isinstance(v, str) for v in value):
        raise _Fail(
            ParseError(0, 0, "when using JSON array syntax, arrays must be comprised of strings only")
        )
    return tuple(value)


def _name_values(rest: str, key: str, escape: str) -> tuple[str, ...]:
    """BuildKit's parseNameVal for ENV and LABEL: old `K V` or new `K=V ...` form."""
    parts = w.parse_words(rest, escape)
    if not parts:
        return ()
    if "=" not in parts[0]:
        split = w.WHITESPACE_RE.split(rest, maxsplit=1)
        if len(split) < 2:
            raise _Fail(ParseError(0, 0, f"{key} must have two arguments"))
        return (split[0], split[1])
    values: list[str] = []
    for word in parts:
        if "=" not in word:
            msg = f"Syntax error - can't find = in {word!r}. Must be of the form: name=value"
            raise _Fail(ParseError(0, 0, msg))
        name, value = word.split("=", 1)
        values += (name, value)
    return tuple(values)


# The bytes b for which Go's unicode.IsSpace(rune(b)) holds.
_BYTE_SPACES = b"\t\n\v\f\r \x85\xa0"


def _health(rest: str) -> tuple[Form, tuple[str, ...], None]:
    """BuildKit's parseHealthConfig: a type word (CMD/NONE) then a maybe-JSON command.

    BuildKit looks for the spaces after the type byte by byte, each byte taken as a
    rune, so the continuation byte 0x85 or 0xA0 of a non-ASCII character is a space
    there (cutting the character in two) and U+3000 is not. Reading the UTF-8 bytes
    the same way gives the same values (a cut character's bytes as surrogates).
    """
    raw = rest.encode("utf-8", "surrogateescape")
    sep = 0
    while sep < len(raw) and raw[sep] not in _BYTE_SPACES:
        sep += 1
    if sep == 0:
        return Form.SHELL, (), None
    start = sep
    while start < len(raw) and raw[start] in _BYTE_SPACES:
        start += 1
    form, values, _ = _maybe_json(raw[start:].decode("utf-8", "surrogateescape"), as_list=False)
    return form, (raw[:sep].decode("utf-8", "surrogateescape"), *values), None


def _can_contain_heredoc(node: _Node) -> bool:
    """Return whether BuildKit looks for heredocs on this instruction."""
    target = node.inner if node.keyword.lower() == "onbuild" and node.inner else node
    return target.keyword.upper() in _HEREDOC_KINDS and target.form is Form.SHELL


def _finish(
    node: _Node,
    phys: tuple[PhysLine, ...],
    heredocs: tuple[Heredoc, ...],
    span: Span,
    start_line: int,
    end_line: int,
    line: str,
    offsets: OffsetMap,
) -> Instruction:
    inner = None
    if node.inner is not None:
        inner = _finish(node.inner, phys, heredocs, span, start_line, end_line, line, offsets)
    keyword, keyword_start, keyword_end, raw_flags, args_start, args_end, form, values, _ = node
    flags: tuple[Flag, ...] = ()
    if len(offsets.starts) == 1:
        # One run (a one-line instruction): OffsetMap.span of 0 <= start <= end, added up here.
        base = offsets.sources[0] - offsets.starts[0]
        keyword_span = _tuple_new(Span, (base + keyword_start, base + keyword_end))
        args_span = _tuple_new(Span, (base + args_start, base + args_end))
        if raw_flags:
            flags = tuple(
                [
                    _tuple_new(Flag, (f.value, _tuple_new(Span, (base + f.start, base + f.end))))
                    for f in raw_flags
                ]
            )
    else:
        to_span = offsets.span
        keyword_span = to_span(keyword_start, keyword_end)
        args_span = to_span(args_start, args_end)
        if raw_flags:
            flags = tuple([_tuple_new(Flag, (f.value, to_span(f.start, f.end))) for f in raw_flags])
    # The fields in Instruction's order, positionally: the same tuple as Instruction(...).
    return _tuple_new(
        Instruction,
        (
            keyword,
            keyword_span,
            flags,
            form,
            line[args_start:args_end],
            args_span,
            args_start,
            values,
            heredocs,
            phys,
            span,
            start_line,
            end_line,
            line,
            offsets,
            inner,
            keyword.upper(),
        ),
    )


def parse(text: str) -> Dockerfile | ParseError:
    """Parse Dockerfile text into a lossless tree.

    Returns the `Dockerfile`, or a `ParseError` (1-based line) for input BuildKit
    rejects: unterminated heredoc, a bad directive, ENV/LABEL without `=`, a JSON
    array of non-strings, or a file with no instructions.
    """
    try:
        return _Parser(text).parse()
    except _Fail as fail:
        return fail.error


# -- the shell word split as it was ------------------------------------------


def shell_words(line: str) -> list[w.Word]:
    """Split line into shell words keeping quotes and backslashes raw: `words.shell_words`
    as it was, a character loop (tests/test_words_fast.py holds the regex to it).

    This is the part of BuildKit's shell lexer (RawQuotes, RawEscapes, escape `\\`)
    that heredocsFromLine uses to find `<<WORD` tokens.
    """
    words: list[w.Word] = []
    pos, n = 0, len(line)
    while pos < n:
        if w.is_space(line[pos]):
            pos += 1
            continue
        start = pos
        while pos < n and not w.is_space(line[pos]):
            ch = line[pos]
            if ch == "\\":
                pos += 2
                continue
            if ch in "'\"":
                close = line.find(ch, pos + 1)
                while ch == '"' and close > 0 and _escaped(line, close):
                    close = line.find(ch, close + 1)
                pos = n if close < 0 else close + 1
                continue
            pos += 1
        pos = min(pos, n)
        words.append(w.Word(line[start:pos], start, pos))
    return words


def _escaped(text: str, index: int) -> bool:
    """Return whether text[index] is preceded by an odd number of backslashes."""
    count = 0
    while index - count - 1 >= 0 and text[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1
