"""The shell reader as it was before its speed work (issue 14), kept as the reference.

`tests/test_shell_fast.py` holds `dffix.syntax.shell` to this copy: the same Script (or
None) for every input. It is the code of `shell.py` at commit dc6ca0d, character loops and
all, with only the cache left off; the records (Kind, Token, Command, Script) are shell's.
"""

from __future__ import annotations

import re

from dffix.syntax.shell import Command, Kind, Script, Token

_OPERATORS = ("&&", "||", ";;", "|&", ";", "|", "&", "(", ")")
_OPENERS = {"if": "fi", "for": "done", "while": "done", "until": "done", "select": "done", "{": "}"}
_MIDDLE = frozenset({"then", "elif", "else", "do"})
_CLOSERS = frozenset({"fi", "done", "}"})
_UNSUPPORTED = frozenset({"case", "esac", "function", "coproc", "((", "[["})
_SPACE = " \t\n\r\v\f"
_MAX_NESTING = 50  # `$(`, `${` and `$((` inside each other


class _Unsure(Exception):
    """Internal: the line holds something this reader does not handle."""


def unquote(word: str) -> str:
    """Remove quotes and backslashes from a word; expansions (`$x`) stay as written."""
    if "'" not in word and '"' not in word and "\\" not in word:
        return word  # nothing to remove: most words
    return _unquote_loop(word)


def _unquote_loop(word: str) -> str:
    out: list[str] = []
    quote = ""
    i, n = 0, len(word)
    while i < n:
        ch = word[i]
        if quote == "'":
            if ch == "'":
                quote = ""
            else:
                out.append(ch)
        elif ch == "\\" and i + 1 < n and (not quote or word[i + 1] in '"\\$`'):
            i += 1
            out.append(word[i])
        elif ch in "'\"" and (not quote or ch == quote):
            quote = "" if quote else ch
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _skip_quoted(line: str, pos: int, nesting: int = 0) -> int:
    """Return the index after the quoted string or expansion starting at line[pos]."""
    ch = line[pos]
    if ch == "'":
        end = line.find("'", pos + 1)
        if end < 0:
            raise _Unsure
        return end + 1
    if ch == '"':
        i = pos + 1
        while i < len(line):
            c = line[i]
            if c == "\\":
                i += 2
            elif c == '"':
                return i + 1
            elif c in "$`":
                i = _skip_expansion(line, i, nesting)
            else:
                i += 1
        raise _Unsure
    return _skip_expansion(line, pos, nesting)


def _skip_expansion(line: str, pos: int, nesting: int = 0) -> int:
    """Return the index after `$(...)`, `$((...))`, `${...}`, `` `...` `` or `$name`."""
    if line[pos] == "`":
        i = pos + 1
        while i < len(line):
            if line[i] == "\\":
                i += 2
            elif line[i] == "`":
                return i + 1
            else:
                i += 1
        raise _Unsure
    if line.startswith("$(", pos) or line.startswith("${", pos):
        close = ")" if line[pos + 1] == "(" else "}"
        return _skip_group(line, pos + 2, line[pos + 1], close, nesting + 1)
    return pos + 1


def _skip_group(line: str, i: int, open_: str, close: str, nesting: int) -> int:
    if nesting > _MAX_NESTING:
        raise _Unsure  # `$($($(...` deeper than any real RUN: give up before the stack does
    depth = 1
    while i < len(line):
        c = line[i]
        if c == "\\":
            i += 2
            continue
        if c in "'\"`" or (c == "$" and i + 1 < len(line) and line[i + 1] in "({"):
            i = _skip_quoted(line, i, nesting)
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise _Unsure


def tokenize(line: str) -> list[Token]:
    """Split a command line into tokens; raise _Unsure on what is not understood."""
    tokens: list[Token] = []
    pos, n = 0, len(line)
    while pos < n:
        ch = line[pos]
        if ch in _SPACE:
            pos += 1
            continue
        if ch == "#":
            tokens.append(Token(Kind.COMMENT, line[pos:], pos, n))
            break
        op = _operator_at(line, pos) if ch in ";&|()" else None
        if op is not None:
            tokens.append(Token(Kind.OPERATOR, op, pos, pos + len(op)))
            pos += len(op)
            continue
        start = pos
        redirect = _redirect_len(line, pos)
        if redirect:
            pos += redirect
            while pos < n and line[pos] in " \t":
                pos += 1
        pos = _word_end(line, pos)
        kind = Kind.REDIRECT if redirect else Kind.WORD
        if kind is Kind.REDIRECT and pos == start + redirect and not line[start:pos].endswith("-"):
            raise _Unsure  # a redirection without a target
        tokens.append(Token(kind, line[start:pos], start, pos))
    return tokens


def _operator_at(line: str, pos: int) -> str | None:
    for op in _OPERATORS:
        if line.startswith(op, pos):
            return op
    return None


def _redirect_len(line: str, pos: int) -> int:
    """Return the length of a redirection operator at pos (with its fd), or 0."""
    if line[pos] not in "<>&0123456789":
        return 0
    i = pos
    while i < len(line) and line[i].isdigit():
        i += 1
    for op in ("&>>", "&>", ">>", ">&", "<&", "<>", ">|", "<<", ">", "<"):
        if line.startswith(op, i):
            if op == "<<":
                raise _Unsure  # heredocs and here-strings: leave them alone
            if op.startswith("&") and i != pos:
                return 0
            return i - pos + len(op)
    return 0


_PLAIN_RUN = re.compile(r"[^\s;&|()<>\\'\"`$]+")


def _word_end(line: str, pos: int) -> int:
    n = len(line)
    while pos < n:
        m = _PLAIN_RUN.match(line, pos)
        if m:
            pos = m.end()
            if pos >= n:
                break
        ch = line[pos]
        if ch in _SPACE or ch in ";&|()<>":
            if ch in "<>" and pos + 1 < n and line[pos + 1] == "(":
                raise _Unsure  # process substitution
            break
        if ch == "\\":
            pos += 2
        elif ch in "'\"`" or (ch == "$" and pos + 1 < n and line[pos + 1] in "({"):
            pos = _skip_quoted(line, pos)
        else:
            pos += 1
    return min(pos, n)


def split_commands(line: str) -> Script | None:
    """Read a RUN command line into commands and operators; None when unsure (uncached)."""
    try:
        return _script(tokenize(line))
    except _Unsure:
        return None


def _script(tokens: list[Token]) -> Script:
    comment = tokens.pop() if tokens and tokens[-1].kind is Kind.COMMENT else None
    commands: list[Command] = []
    operators: list[Token] = []
    stack: list[str] = []
    current: list[Token] = []
    top_end = 0
    in_header = False  # the `x in a b c` of `for x in ...; do`: words, not a command
    after_closer = False  # redirections after `}`/`fi`/`done`/`)` belong to that compound

    def flush() -> None:
        if current:
            argv = tuple(unquote(t.text) for t in current if t.kind is Kind.WORD)
            commands.append(Command(tuple(current), len(stack), argv))
            current.clear()

    for tok in tokens:
        at_command_start = not current
        if after_closer and tok.kind is Kind.REDIRECT:
            top_end = tok.end if not stack else top_end
            continue
        after_closer = False
        if tok.kind is Kind.OPERATOR:
            if tok.text == "(" and current:
                raise _Unsure  # `name() {`: a function definition
            flush()
            if tok.text == ";;":
                raise _Unsure
            if tok.text == "(":
                stack.append(")")
            elif tok.text == ")":
                if not stack or stack.pop() != ")":
                    raise _Unsure
                top_end = tok.end if not stack else top_end
                after_closer = True
            operators.append(tok)
            continue
        word = tok.text
        if in_header:
            in_header = word != "do"
            continue
        if at_command_start and tok.kind is Kind.WORD:
            if word in _UNSUPPORTED or word.endswith("()"):
                raise _Unsure
            if word in _OPENERS:
                stack.append(_OPENERS[word])
                in_header = word in ("for", "select")
                continue
            if word in _MIDDLE:
                if not stack:
                    raise _Unsure
                continue
            if word in _CLOSERS:
                if not stack or stack.pop() != word:
                    raise _Unsure
                if not stack:
                    top_end = tok.end
                after_closer = True
                continue
            if word == "!":
                continue
        current.append(tok)
        if not stack:
            top_end = tok.end
    flush()
    if stack:
        raise _Unsure
    trailing = operators[-1] if operators and operators[-1].start >= top_end else None
    if trailing is not None and trailing.text not in (";", "&"):
        raise _Unsure  # a line ending in `&&` or `|`: not something we rewrite
    return Script(tuple(commands), tuple(operators), comment, top_end, trailing)
