"""A small, cautious reader of RUN command lines: commands, operators, comments.

It reads the logical line of a shell-form RUN (continuations already joined) into
simple commands and the operators between them, with offsets into that line. It
returns None whenever it meets something it does not fully understand (`case`,
functions, `((`, heredocs, unbalanced quotes or brackets): a rule that gets None
does nothing. `tests/test_shell.py` holds it to tree-sitter-bash over the corpus.
"""

from __future__ import annotations

from dffix.lazy import lazy_re
from dffix.memo import file_cache
from dffix.syntax.tree import Command as Command, Kind as Kind, Script as Script, Token as Token

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
    if "\\" not in word:
        # Without backslashes, a word quoted one way only loses every quote of that kind:
        # each opens or closes a quoted part (most words have no quote at all).
        if "'" not in word:
            return word.replace('"', "")
        if '"' not in word:
            return word.replace("'", "")
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


_tuple_new = tuple.__new__  # what Token() and Command() call, without a Python frame per record
_WORD, _OPERATOR, _REDIRECT, _COMMENT = Kind.WORD, Kind.OPERATOR, Kind.REDIRECT, Kind.COMMENT

# _TOKEN reads, after the spaces before it, one token of the common shapes, exactly as
# the character loops (_redirect_len, _word_end) would read it. What it leaves (a quote
# inside `$( )`, `$(` inside `$( )`, an unterminated quote, `<<`, a Unicode digit before
# `>`, ...) matches no token group, and _token_at reads it with the loops. Every part is
# possessive or atomic: it never backs off to a shorter token than the loops read.
# The pieces of a word, each consumed as the loops consume it (`$` not before `(`/`{`
# is a plain character, a backslash takes the next character, at the end too). Only the
# shapes the corpus has often are spelled out: the longer the expression, the longer it
# takes to compile (1 ms for this one), at the first RUN of every process.
_SQ = r"'[^']*+'"
_BQ = r"`(?:[^`\\]++|\\[\s\S])*+`"
_IN_GROUP = r"|\$(?![({])|\\[\s\S]|" + _SQ  # no quote but '...' inside `$( )` and `${ }`
_SUB = r"\$\((?:[^()'\"`\\$]++" + _IN_GROUP + r")*+\)"
_BRACE = r"\$\{(?:[^{}'\"`\\$]++" + _IN_GROUP + r")*+\}"
_DQ = r'"(?:[^"\\$`]++|\\[\s\S]|\$(?![({])|' + _SUB + "|" + _BRACE + r')*+"'
_WORD_RE = (
    r"(?:[^ \t\n\r\v\f;&|()<>\\'\"`$]++|\$(?![({])|\\[\s\S]?|"
    + "|".join((_SQ, _DQ, _BQ, _SUB, _BRACE))
    + ")++"
)
# What may follow a word: the loops end it at an ASCII space or an operator character,
# and give up at `<(`/`>(` (process substitution).
_AFTER_WORD = r"(?=[ \t\n\r\v\f;&|()]|[<>](?!\()|\Z)"
# Most tokens are plain ASCII words (`apt-get`, `-y`, `/usr/bin`, `x=1`) followed by a
# space, an operator or the end: the first alternative reads those and nothing else, as
# the others would read them (no quote, `$`, backslash, `<`, `>` or non-ASCII character
# in it, no `#` first), without trying the comment, the operators and the redirections.
# The characters: printable ASCII but ; & | ( ) < > \ ' " ` $ (and # first).
_PLAIN_FIRST = r"!%*-:=?-\[\]-_a-{}~"
_PLAIN_WORD = "([" + _PLAIN_FIRST + "][#" + _PLAIN_FIRST + "]*+)"
_TOKEN = lazy_re(
    "".join(
        (
            r"[ \t\n\r\v\f]*+(?:",
            _PLAIN_WORD + r"(?=[ \t\n\r\v\f;&|()]|\Z)",  # 1: a plain word
            r"|(#[\s\S]*+)",  # 2: a comment, to the end of the line
            r"|(&&|\|\||;;|\|&|[;|&()])",  # 3: an operator: && || ;; |& ; | & ( ), the longest first
            # 4: a word, or a redirection and its target (one copy of the word's expression
            # for both). 5: the redirection's operator: the first that matches, as in
            # _redirect_len (atomic: `<&` never backs off to `<`), after ASCII digits only
            # (_redirect_len takes any str.isdigit); `<<` is left to the loops. A word does
            # not start with digits before `<`, `>` or a non-ASCII character, which may be a
            # redirection (written as "not the rest of ASCII": a class up to U+10FFFF takes
            # 2 ms to compile).
            r"|((?>([0-9]*+(?>>>|>&|<&|<>|>\||>|<(?!<)))[ \t]*+|(?![0-9]++[^\x00-\x3b=\x3f-\x7f]))",
            r"(?:" + _WORD_RE + ")?+)",
            # 6: it is a redirection, and something follows its operator (else the loops
            # give up; a target that ends in an escaped `<>&|` goes to them too); 7: a word
            # (or nothing, at the end of the line or before what is left to the loops)
            r"(?(5)(?<![<>&|])()|())" + _AFTER_WORD,
            r"|())",  # 8: anything else
        )
    )
)
_PLAIN_GROUP, _COMMENT_GROUP, _OPERATOR_GROUP, _TEXT_GROUP, _REDIRECT_GROUP, _WORD_GROUP = 1, 2, 3, 4, 6, 7


def tokenize(line: str) -> list[Token]:
    """Split a command line into tokens; raise _Unsure on what is not understood."""
    tokens: list[Token] = []
    append = tokens.append
    match = _TOKEN.match
    pos, n = 0, len(line)
    while True:
        m = match(line, pos)
        assert m is not None  # its last alternative matches the empty string
        pos = m.end()
        group = m.lastindex
        if group == _PLAIN_GROUP:
            text = m[group]
            append(_tuple_new(Token, (_WORD, text, pos - len(text), pos)))
            continue
        if group == _WORD_GROUP:
            text = m[_TEXT_GROUP]
            if text:
                append(_tuple_new(Token, (_WORD, text, pos - len(text), pos)))
                continue
        elif group == _OPERATOR_GROUP:
            text = m[group]
            append(_tuple_new(Token, (_OPERATOR, text, pos - len(text), pos)))
            continue
        elif group == _REDIRECT_GROUP:
            text = m[_TEXT_GROUP]
            append(_tuple_new(Token, (_REDIRECT, text, pos - len(text), pos)))
            continue
        elif group == _COMMENT_GROUP:
            text = m[group]
            append(_tuple_new(Token, (_COMMENT, text, pos - len(text), n)))
            return tokens
        if pos == n:
            return tokens
        token = _token_at(line, pos)  # what _TOKEN leaves to the loops
        append(token)
        pos = token.end


def _token_at(line: str, pos: int) -> Token:
    """Read the redirection or word at line[pos] character by character (what _TOKEN leaves)."""
    start = pos
    redirect = _redirect_len(line, pos)
    if redirect:
        pos += redirect
        while pos < len(line) and line[pos] in " \t":
            pos += 1
    pos = _word_end(line, pos)
    kind = Kind.REDIRECT if redirect else Kind.WORD
    if kind is Kind.REDIRECT and pos == start + redirect and not line[start:pos].endswith("-"):
        raise _Unsure  # a redirection without a target
    return Token(kind, line[start:pos], start, pos)


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


_PLAIN_RUN = lazy_re(r"[^\s;&|()<>\\'\"`$]+")


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


@file_cache(4096)
def split_commands(line: str) -> Script | None:
    """Read a RUN command line into commands and operators; None when unsure.

    Several rules read the same RUN on every pass of the fixer, so results are
    cached: the Script is immutable.
    """
    try:
        return _script(tokenize(line))
    except _Unsure:
        return None


def _script(tokens: list[Token]) -> Script:
    comment = tokens.pop() if tokens and tokens[-1].kind is _COMMENT else None
    commands: list[Command] = []
    operators: list[Token] = []
    stack: list[str] = []
    current: list[Token] = []  # the words and redirections of the command being read
    argv: list[str] = []  # and its words unquoted
    top_end = 0
    in_header = False  # the `x in a b c` of `for x in ...; do`: words, not a command
    after_closer = False  # redirections after `}`/`fi`/`done`/`)` belong to that compound
    for tok in tokens:
        kind, word, _, end = tok
        if current and kind is not _OPERATOR:
            # Inside a simple command (most tokens): no keyword, no header, no closer
            # before it, since each of those leaves `current` empty.
            current.append(tok)
            if kind is _WORD:
                argv.append(unquote(word) if "'" in word or '"' in word or "\\" in word else word)
            if not stack:
                top_end = end
            continue
        if kind is _OPERATOR:
            if current:
                if word == "(":
                    raise _Unsure  # `name() {`: a function definition
                commands.append(_tuple_new(Command, (tuple(current), len(stack), tuple(argv))))
                current = []
                argv = []
            after_closer = False
            if word == ";;":
                raise _Unsure
            if word == "(":
                stack.append(")")
            elif word == ")":
                if not stack or stack.pop() != ")":
                    raise _Unsure
                top_end = end if not stack else top_end
                after_closer = True
            operators.append(tok)
            continue
        # The first word or redirection of a command.
        if after_closer and kind is _REDIRECT:
            top_end = end if not stack else top_end
            continue
        after_closer = False
        if in_header:
            in_header = word != "do"
            continue
        if kind is _WORD:
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
                    top_end = end
                after_closer = True
                continue
            if word == "!":
                continue
            argv.append(unquote(word) if "'" in word or '"' in word or "\\" in word else word)
        current.append(tok)
        if not stack:
            top_end = end
    if current:
        commands.append(_tuple_new(Command, (tuple(current), len(stack), tuple(argv))))
    if stack:
        raise _Unsure
    trailing = operators[-1] if operators and operators[-1].start >= top_end else None
    if trailing is not None and trailing.text not in (";", "&"):
        raise _Unsure  # a line ending in `&&` or `|`: not something we rewrite
    return Script(tuple(commands), tuple(operators), comment, top_end, trailing)
