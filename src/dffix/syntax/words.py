"""BuildKit's small lexers, rewritten to return offsets as well as values.

Each function here mirrors one function of BuildKit's `frontend/dockerfile/parser`
(named in its docstring) closely enough that our tree reads every file the way Docker
does; `tests/test_buildkit_agreement.py` holds them to that over the whole corpus.
"""

from __future__ import annotations

import re

from dffix.lazy import lazy_re
from dffix.syntax.tree import Word as Word

# Go's unicode.IsSpace: what BuildKit trims and splits on. Python's str.isspace also
# counts \x1c-\x1f, which Go does not, so the set is spelled out.
GO_SPACES = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)  # as a string, for str.strip
_GO_SPACE = GO_SPACE_SET = frozenset(GO_SPACES)
# reWhitespace in BuildKit: the separator between keyword and arguments.
WHITESPACE_RE = lazy_re(r"[\t\v\f\r ]+")
HEREDOC_RE = lazy_re(r"^(\d*)<<(-?)([^<]*)$")
_tuple_new = tuple.__new__  # what Word() calls, without a Python frame per word


def is_space(ch: str) -> bool:
    """Return whether Go's `unicode.IsSpace` is true for `ch`."""
    return ch in _GO_SPACE


def lstrip_len(text: str, start: int = 0, end: int | None = None) -> int:
    """Return the index of the first non-space character of text[start:end] (or end)."""
    stop = len(text) if end is None else end
    i = start
    while i < stop and text[i] in _GO_SPACE:
        i += 1
    return i


def rstrip_len(text: str, start: int = 0, end: int | None = None) -> int:
    """Return the index just after the last non-space character of text[start:end]."""
    i = len(text) if end is None else end
    while i > start and text[i - 1] in _GO_SPACE:
        i -= 1
    return i


# What extractBuilderFlags takes for a space. It reads the line byte by byte, each byte
# as a rune: ASCII spaces, and the bytes 0x85 and 0xA0, which are spaces as runes. A
# character that is not ASCII starts with a byte that is none of these; a lone 0x85 or
# 0xA0 byte (not UTF-8) is a surrogate here. (Spelled with chr(): mypyc cannot compile
# a string literal that holds a lone surrogate.)
_FLAG_SPACE = FLAG_SPACE_SET = frozenset("\t\n\v\f\r " + chr(0xDC85) + chr(0xDCA0))


def _cut_flag_word(ch: str) -> str | None:
    """Return what of `ch` a flag word keeps when extractBuilderFlags ends the word in it.

    None when the word goes on. Inside a word BuildKit also stops at the continuation
    byte 0x85 or 0xA0 of a character (`à` is C3 A0), cutting it in two: the word keeps
    the bytes before (as surrogates, so they encode back to themselves).
    """
    if ch in _FLAG_SPACE:
        return ""
    if ch < "\x80":
        return None
    try:
        data = ch.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return None
    cut = next((k for k in range(1, len(data)) if data[k] in (0x85, 0xA0)), 0)
    return data[:cut].decode("utf-8", "surrogateescape") if cut else None


def builder_flags(line: str, start: int) -> tuple[tuple[Word, ...], int]:
    """Read the leading `--flag` words of line[start:], as BuildKit's extractBuilderFlags.

    Returns the flags (quotes removed, as BuildKit does) and the index where the
    arguments begin (len(line) when nothing follows the flags).
    """
    words: list[Word] = []
    pos, n = start, len(line)
    while True:
        while pos < n and line[pos] in _FLAG_SPACE:
            pos += 1
        if pos >= n:
            return tuple(words), n
        if not line.startswith("--", pos):
            return tuple(words), pos
        word, end = _flag_word(line, pos)
        if word == "--":
            # A lone `--` ends the flags; the arguments start after the space behind it.
            return tuple(words), end
        if word:
            words.append(Word(word, pos, end))
        pos = end


def _flag_word(line: str, pos: int) -> tuple[str, int]:
    """Read one flag word starting at pos; return (value, end index)."""
    out: list[str] = []
    quote = ""
    n = len(line)
    while pos < n:
        ch = line[pos]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\":
                if pos + 1 == n:
                    pos += 1
                    break
                pos += 1
                out.append(line[pos])
            else:
                out.append(ch)
        elif (kept := _cut_flag_word(ch)) is not None:
            if kept:  # the rest of a cut character goes with the space that cut it
                out.append(kept)
                pos += 1
            break
        elif ch in "'\"":
            quote = ch
        elif ch == "\\":
            if pos + 1 < n:
                pos += 1
                # The escape takes one *byte* as it is; the rest of a character that is
                # not ASCII is read on, and a 0x85 or 0xA0 byte in it still ends the word.
                escaped = line[pos]
                kept = None if escaped in _FLAG_SPACE else _cut_flag_word(escaped)
                if kept:
                    out.append(kept)
                    pos += 1
                    break
                out.append(escaped)
        else:
            out.append(ch)
        pos += 1
    return "".join(out), pos


_GO_SPACE_RUN = lazy_re(f"[{GO_SPACES}]+")
# The characters str.isspace counts and Go does not.
_PYTHON_ONLY_SPACES = ("\x1c", "\x1d", "\x1e", "\x1f")


def go_split(text: str) -> list[str]:
    """The runs of text between Go spaces: `str.split()`, unless text holds one of the four
    characters only Python counts (compiling the Go class costs 0.25 ms of a start)."""
    for ch in _PYTHON_ONLY_SPACES:
        if ch in text:
            return [word for word in _GO_SPACE_RUN.split(text) if word]
    return text.split()


def parse_words(rest: str, escape: str) -> list[str]:
    """Split rest into words keeping quotes and escapes, as BuildKit's parseWords."""
    if escape not in rest and "'" not in rest and '"' not in rest:
        # Without quotes or escapes the words are the runs between spaces.
        return go_split(rest)
    return _parse_words_loop(rest, escape)


def _parse_words_loop(rest: str, escape: str) -> list[str]:
    """parseWords character by character: quotes, escapes and the blanks they keep."""
    words: list[str] = []
    word: list[str] = []
    in_word = False
    quote = ""
    blank_ok = False
    pos, n = 0, len(rest)
    while pos < n:
        ch = rest[pos]
        if not in_word:
            if is_space(ch):
                pos += 1
                continue
            in_word = True
        if quote:
            if ch == quote:
                quote = ""
            if ch == escape and quote != "'":
                if pos + 1 == n:
                    quote = ""
                    pos += 1
                    continue
                word.append(ch)
                pos += 1
                ch = rest[pos]
            word.append(ch)
            pos += 1
            continue
        if is_space(ch):
            in_word = False
            if blank_ok or word:
                words.append("".join(word))
            word = []
            blank_ok = False
            pos += 1
            continue
        if ch in "'\"":
            quote = ch
            blank_ok = True
        if ch == escape:
            if pos + 1 == n:
                pos += 1
                continue
            word.append(ch)
            pos += 1
            ch = rest[pos]
        word.append(ch)
        pos += 1
    if in_word and (blank_ok or word):
        words.append("".join(word))
    return words


# A shell word: a run of what is not a Go space, where a backslash takes the next
# character along and a quote runs to its closing quote (a double quote's escaped ones
# skipped) or to the end of the line. One regular expression rather than a character
# loop (the loop took most of the word scan's time); tests/parser_reference.py keeps the
# loop and tests/test_words_fast.py holds the two equal.
SHELL_WORD_RE = lazy_re(
    "(?:[^"
    + re.escape(GO_SPACES)
    + r"""\\'"]++|\\[\s\S]?|"(?:[^"\\]++|\\[\s\S]?)*+(?:"|\Z)|'[^']*+(?:'|\Z))++"""
)


def shell_words(line: str) -> list[Word]:
    """Split line into shell words keeping quotes and backslashes raw.

    This is the part of BuildKit's shell lexer (RawQuotes, RawEscapes, escape `\\`)
    that heredocsFromLine uses to find `<<WORD` tokens.
    """
    return [_tuple_new(Word, (m.group(), m.start(), m.end())) for m in SHELL_WORD_RE.finditer(line)]


_SPECIAL_PARAMS = "@*#?-$!0"


def lexes(line: str) -> bool:
    """Return whether BuildKit's shell lexer reads `line` without an error.

    heredocsFromLine lexes the whole line with raw quotes and escapes, keeps unset
    variables as written, and ignores the error of a line it cannot lex, which then has
    no words and so no heredocs: an unterminated quote, or a `${...}` without its `}`
    or with a modifier the lexer does not know (`${x^^}`, `${!x}`, `${}`). `${x#p}`,
    `${x%p}` and `${x/p/r}` are read as the current lexer reads them.
    """
    # One open context per entry, innermost last: `"` (a double-quoted string), `}` (a
    # `${...}` word) or `/` (the pattern of `${x/p/r}`). A loop, not recursion: any depth.
    stack: list[str] = []
    i, n = 0, len(line)
    while i < n:
        ch, top = line[i], (stack[-1] if stack else "")
        if top == '"':
            if ch == '"':
                stack.pop()
            elif ch == "$":
                i = _dollar(line, i, stack)
                if i < 0:
                    return False
                continue
            elif ch == "\\" and i + 1 < n and line[i + 1] in '"$\\':
                i += 1
            i += 1
            continue
        if top and ch == top:
            stack.pop()
            if top == "/":
                stack.append("}")  # the replacement, up to the closing brace
            i += 1
        elif ch == "$":
            i = _dollar(line, i, stack)
            if i < 0:
                return False
        elif ch == "'":
            close = line.find("'", i + 1)
            if close < 0:
                return False
            i = close + 1
        elif ch == '"':
            stack.append('"')
            i += 1
        else:
            i += 2 if ch == "\\" else 1
    return not stack


def _dollar(line: str, i: int, stack: list[str]) -> int:
    """Read the `$` at line[i] as BuildKit's processDollar: the index after it, -1 on an error.

    A `${...}` with a word after its modifier pushes the context that word is read in.
    """
    n = len(line)
    i += 1
    if i >= n:
        return i
    if line[i] != "{":
        return _name_end(line, i)  # `$name`, `$1`, `$$` or a lone `$`: never an error
    i += 1
    if i >= n or line[i] in "{}:":
        return -1  # missing `}`; `${{`, `${}`, `${:` are bad substitutions
    i = _name_end(line, i)
    if i >= n:
        return -1
    ch = line[i]
    i += 1
    if ch == "}":
        return i
    if ch == ":":
        if i >= n:
            return -1
        i += 1  # the modifier after `:`, whatever it is, is taken as it is
        stack.append("}")
        return i
    if ch in "+-?#%":
        stack.append("}")
        return i
    if ch == "/":
        if i < n and line[i] == "/":
            i += 1
        stack.append("/")
        return i
    return -1  # an unsupported modifier


def _name_end(line: str, i: int) -> int:
    """Return the index after the variable name at line[i] (BuildKit's processName)."""
    n = len(line)
    if line[i].isdecimal():
        while i < n and line[i].isdecimal():
            i += 1
        return i
    if line[i] in _SPECIAL_PARAMS:
        return i + 1
    while i < n and (line[i].isalpha() or line[i].isdecimal() or line[i] == "_"):
        i += 1
    return i
