"""Parse Dockerfile text into the lossless tree, the way BuildKit's parser reads it.

The line handling follows BuildKit's `parser.Parse`: directives at the top, comment
and blank lines skipped, continuation lines joined (comment and blank lines inside a
continuation dropped), heredoc bodies read after the instruction, and each logical
line split into keyword, flags and arguments. Where BuildKit rejects a file we return
a `ParseError` naming the line, never raise.
"""

from __future__ import annotations

import bisect
from itertools import accumulate, repeat
from operator import add, sub

from dffix.jsontext import string_array
from dffix.lazy import lazy_re
from dffix.memo import file_cache
from dffix.syntax import words as w
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
    ParseError as ParseError,
    PhysLine,
    Span,
    Trivia,
    _Lines,
    _Node,
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
_CODE, _COMMENT, _BLANK = LineKind.CODE, LineKind.COMMENT, LineKind.BLANK
# The last characters of a line that continues: a blank after the escape, or either escape.
_MAY_CONTINUE = frozenset(" \t\\`")
# What a NamedTuple's __new__ calls: the same tuple, without a Python frame per node.
_tuple_new = tuple.__new__


def _raise_value_error(token: str) -> object:
    raise ValueError(f"not JSON: {token}")


class _Fail(Exception):
    """Internal: carries a ParseError out of nested helpers."""

    def __init__(self, error: ParseError) -> None:
        super().__init__(error.message)
        self.error = error


def _split_lines(text: str, first: int) -> _Lines:
    """Split on \n only (a lone \r is an ordinary character to BuildKit)."""
    pieces = (text[first:] if first else text).split("\n")
    ends_open = bool(pieces[-1])  # a last line without a newline
    if not ends_open:
        pieces.pop()
    # Each field in one pass of C iterators over the pieces (map, accumulate): no
    # bytecode per line, as a comprehension has.
    eols = list(accumulate(map(_plus_one, map(len, pieces)), initial=first))
    starts = eols[:-1]
    del eols[0]
    if "\r" in text:
        contents = list(map(str.rstrip, pieces, repeat("\r")))
        ends = list(map(add, starts, map(len, contents)))
    else:
        # Nothing to trim: each line ends just before its newline (the last line's
        # `eol` is moved back below, once it has no newline to be after).
        contents = pieces
        ends = list(map(_minus_one, eols))
    if ends_open:
        eols[-1] -= 1
    lefts = list(map(sub, ends, map(len, map(str.lstrip, contents, repeat(w.GO_SPACES)))))
    return _Lines(starts, ends, eols, lefts)


_plus_one = (1).__add__
_minus_one = (-1).__add__


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

    def parse(self, kept: tuple[Item, ...] = (), escape: str = "\\") -> Dockerfile:
        """Read the text; `kept` are the first items of an earlier parse of a text this one
        begins with (see `_unchanged_items`), read with `escape`: reading goes on after them."""
        items: list[Item] = list(kept)
        instructions = [item for item in kept if isinstance(item, Instruction)]
        text, starts, ends, eols, lefts = self.text, self.starts, self.ends, self.eols, self.lefts
        count = len(starts)
        i = 0
        if kept:
            # The kept items hold a line that is not a directive: directives are over.
            self.directives_done, self.escape = True, escape
            i = bisect.bisect_left(starts, kept[-1].span.end)
        while i < count:
            left, end = lefts[i], ends[i]
            if not self.directives_done:
                directive = self.directive(i, left)
                if directive is not None:
                    items.append(directive)
                    i += 1
                    continue
            if left == end or text[left] == "#":  # a blank line never continues
                items.append(_tuple_new(Trivia, (left < end, _tuple_new(Span, (starts[i], eols[i])))))
                i += 1
                continue
            # Only a line ending in a blank or an escape (either one) can continue.
            cont = self.continuation(left, end) if text[end - 1] in _MAY_CONTINUE else None
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
            esc = self.escape
            while cont is not None and i < count:
                start, end, line_left = starts[i], ends[i], lefts[i]
                if line_left == end:
                    phys.append(_tuple_new(PhysLine, (_BLANK, start, end, eols[i], None)))
                elif text[line_left] == "#":
                    phys.append(_tuple_new(PhysLine, (_COMMENT, start, end, eols[i], None)))
                else:
                    # continuation() in line for the usual ends: an escape right at the
                    # end (not itself escaped), or no blank or escape there at all.
                    last = text[end - 1]
                    if last == esc:
                        cont = end - 1 if end - 1 == start or text[end - 2] != esc else None
                    elif last == " " or last == "\t":
                        cont = self.continuation(start, end)
                    else:
                        cont = None
                    phys.append(_tuple_new(PhysLine, (_CODE, start, end, eols[i], cont)))
                    pieces.append((start, end if cont is None else cont))
                i += 1
            logical, offsets = self.join(pieces)
        try:
            node = _line_node(logical, self.escape)
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
        for word in w.shell_words(logical):
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
            if not name or len(w.shell_words(rest)) != 1:
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


def _node(line: str, start: int, escape: str, depth: int = 0) -> _Node:
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
    form, values, inner = _dispatch(keyword.lower(), rest, line, a0, escape, depth)
    return _tuple_new(_Node, (keyword, k0, k1, flags, a0, a1, form, values, inner, rest, keyword.upper()))


@file_cache(4096)
def _line_node(line: str, escape: str) -> _Node:
    """Return _node(line, 0, escape), once per logical line and escape in a file.

    A node holds offsets into its logical line only (where the line is in the file is
    added by _finish), so every parse of a fixer's passes reads each line no fix
    touched once. An error is raised again each time: lru_cache keeps no exception.
    """
    return _node(line, 0, escape)


def _dispatch(
    kind: str, rest: str, line: str, a0: int, escape: str, depth: int = 0
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
        inner = _node(line, a0, escape, depth + 1)
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
    strings = string_array(text)  # json's answer for an array of strings, without json
    if strings is not None:
        return strings[0]
    import json  # anything else: json decides (1.3-2.1 ms to import, so only now)

    try:
        value, _ = json.JSONDecoder(parse_constant=_raise_value_error).raw_decode(text)
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
    # The keyword lower-cased, not `kind`: "onbu\u0131ld".upper() is ONBUILD, lower() is not onbuild.
    target = node.inner if node.keyword.lower() == "onbuild" and node.inner else node
    return target.kind in _HEREDOC_KINDS and target.form is Form.SHELL


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
    keyword, keyword_start, keyword_end, raw_flags, args_start, args_end, form, values, _, args, kind = node
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
            args,
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
            kind,
        ),
    )


def parse(text: str, before: Dockerfile | None = None, same_until: int = 0) -> Dockerfile | ParseError:
    """Parse Dockerfile text into a lossless tree.

    Returns the `Dockerfile`, or a `ParseError` (1-based line) for input BuildKit
    rejects: unterminated heredoc, a bad directive, ENV/LABEL without `=`, a JSON
    array of non-strings, or a file with no instructions.

    `before` is the parse of an earlier text equal to `text` up to offset `same_until`
    (the fixer's last pass, and where its first edit is): the items that end before
    then are taken as they are, not read again. The tree is the same either way.
    """
    kept = _unchanged_items(before, same_until) if before is not None else ()
    try:
        return _Parser(text).parse(kept, before.escape if before is not None else "\\")
    except _Fail as fail:
        return fail.error


def _unchanged_items(before: Dockerfile, same_until: int) -> tuple[Item, ...]:
    """Return the first items of `before` that a text equal to its text up to `same_until`
    reads the same: each ends with a newline by then, and the last instruction among them
    does not continue (only the end of the file ended it). At least one item that is not
    a directive is among them, else none are (the parser's state after them is then
    known: directives over, the same escape)."""
    items, text = before.items, before.text
    n = bisect.bisect_right(items, same_until, key=_item_end)
    while n and (text[items[n - 1].span.end - 1] != "\n" or _continues(items[n - 1])):
        n -= 1
    while n and isinstance(items[n - 1], Directive):
        n -= 1
    return items[:n]


def _item_end(item: Item) -> int:
    return item.span.end


def _continues(item: Item) -> bool:
    # An instruction ends at a code line that does not continue, or at the end of the
    # file: then its last line continues, or is a blank or comment line inside it.
    if not isinstance(item, Instruction):
        return False
    last = item.lines[-1]
    return last.kind is not _CODE or last.cont is not None
