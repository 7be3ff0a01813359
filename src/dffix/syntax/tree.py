"""The lossless Dockerfile tree: plain frozen values holding offsets into the source.

The tree never copies the text it describes. Every node holds half-open offsets into
`Dockerfile.text`, and the top-level items cover the text exactly, end to end, so
`render()` is a concatenation of slices and is byte-for-byte the input.

The records of the compiled modules of the syntax layer live here too (parser's, shell's
and words'): a compiled module defines none (dffix/rules/records.py says why).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator

from dffix.records import Enum, NamedTuple

# What a NamedTuple's __new__ calls, without its Python frame.
_tuple_new = tuple.__new__


class Span(NamedTuple):
    """A half-open range [start, end) of offsets into the decoded text."""

    start: int
    end: int


class Form(Enum):
    """How an instruction's arguments are written."""

    SHELL = "shell"
    JSON = "json"

    # Enum's own __hash__ is Python code (hash of the name); the rules' caches hash whole
    # instructions, form and every line's kind included. Members are singletons that
    # compare by identity, so the identity hash agrees with ==.
    __hash__ = object.__hash__


class LineKind(Enum):
    """What a physical line inside an instruction is, to BuildKit."""

    CODE = "code"  # part of the instruction
    COMMENT = "comment"  # a `#` line inside a continuation: dropped by BuildKit
    BLANK = "blank"  # an empty line inside a continuation: dropped by BuildKit

    __hash__ = object.__hash__  # as Form's: C code, not a Python call per line hashed


class PhysLine(NamedTuple):
    """One physical line of an instruction (before its heredoc bodies).

    `start`..`end` is the line without its newline; `cont` is where the continuation
    escape begins (None when the line does not continue); `eol` is the offset after
    the newline (equal to `end` on a last line without one).
    """

    kind: LineKind
    start: int
    end: int
    eol: int
    cont: int | None


class Flag(NamedTuple):
    """An instruction flag such as `--mount=type=cache,target=/root/.cache`.

    `text` is the value BuildKit reports (quotes removed), `span` the raw source.
    """

    text: str
    span: Span

    @property
    def name(self) -> str:
        """Return the flag name without dashes (`mount`)."""
        return self.text[2:].split("=", 1)[0]

    @property
    def value(self) -> str | None:
        """Return the text after `=`, or None for a bare flag such as `--link`."""
        parts = self.text.split("=", 1)
        return parts[1] if len(parts) == 2 else None


class Heredoc(NamedTuple):
    """A heredoc attached to RUN, COPY or ADD.

    `body` covers the body lines (with their newlines); `terminator` the closing line
    without its newline. `content` is the body exactly as BuildKit hands it over.
    """

    name: str
    chomp: bool
    expand: bool
    fd: int
    body: Span
    terminator: Span
    content: str


class OffsetMap(NamedTuple):
    """Maps offsets of a logical line (continuations joined) back to the source.

    The logical line is made of runs of source text copied without a gap: run k
    starts at logical index `starts[k]` and source offset `sources[k]`.
    """

    starts: tuple[int, ...]
    sources: tuple[int, ...]
    length: int

    def to_source(self, index: int) -> int:
        """Return the source offset of logical index `index` (`length` maps past the end)."""
        starts = self.starts
        k = bisect.bisect_right(starts, index) - 1 if len(starts) > 1 else 0
        if k < 0:
            k = 0
        return self.sources[k] + (index - starts[k])

    def end_to_source(self, index: int) -> int:
        """Return the source offset just after logical index `index - 1`.

        Use this for the end of a range so it stops on its own line, not at the
        start of the next run.
        """
        if index <= 0:
            return self.to_source(0)
        return self.to_source(index - 1) + 1

    def span(self, start: int, end: int) -> Span:
        """Return the source span covering logical range [start, end)."""
        starts = self.starts
        if len(starts) == 1:  # one run, as on every one-line instruction: no search
            base = self.sources[0] - starts[0]
            at = base + start
            if end <= start:
                return _tuple_new(Span, (at, at))
            return _tuple_new(Span, (at, base + end if end > 0 else base))
        if end <= start:
            at = self.to_source(start)
            return _tuple_new(Span, (at, at))
        return _tuple_new(Span, (self.to_source(start), self.end_to_source(end)))


class Instruction(NamedTuple):
    """One instruction: its physical lines, keyword, flags, arguments and heredocs.

    `span` runs from the start of its first line to the end of its last line
    including the newline and any heredoc bodies; `keyword_span`, flag spans and
    `args_span` point into the source. `line` is BuildKit's logical line (the
    instruction with continuations joined and comment/blank lines dropped) and
    `offsets` maps it back. `values` are BuildKit's argument values.
    """

    keyword: str
    keyword_span: Span
    flags: tuple[Flag, ...]
    form: Form
    args: str
    args_span: Span
    args_start: int  # index of the arguments in `line`
    values: tuple[str, ...]
    heredocs: tuple[Heredoc, ...]
    lines: tuple[PhysLine, ...]
    span: Span
    start_line: int
    end_line: int
    line: str
    offsets: OffsetMap
    inner: Instruction | None = None
    kind: str = ""  # the upper-case keyword (`RUN`), what rules dispatch on

    def flag(self, name: str) -> Flag | None:
        """Return the first flag called `name` (`mount`, `from`), or None."""
        return next((f for f in self.flags if f.name == name), None)

    def flags_named(self, name: str) -> tuple[Flag, ...]:
        """Return every flag called `name` (RUN may carry several `--mount`)."""
        return tuple(f for f in self.flags if f.name == name)

    @property
    def is_json(self) -> bool:
        """Return whether the arguments are a JSON array (exec form)."""
        return self.form is Form.JSON

    @property
    def body_end(self) -> int:
        """Return the offset after the last instruction line (before heredoc bodies)."""
        return self.lines[-1].eol


class Directive(NamedTuple):
    """A parser directive such as `# escape=\\``: name lower-cased, value as written."""

    name: str
    value: str
    span: Span


class Trivia(NamedTuple):
    """A top-level comment or blank line (with its newline)."""

    is_comment: bool
    span: Span


Item = Instruction | Directive | Trivia


def _item_start(item: Item) -> int:
    return item.span.start


class Dockerfile(NamedTuple):
    """A parsed Dockerfile: the source text and items that cover it exactly."""

    text: str
    items: tuple[Item, ...]
    escape: str = "\\"
    newline: str = "\n"
    instruction_list: tuple[Instruction, ...] = ()  # the Instruction items, in order

    def indent(self, instr: Instruction) -> str:
        """Return the blanks before `instr`'s keyword on the keyword's own line, to indent
        lines inserted beside it.

        Not all the text from the instruction's start: after a line that is only `\\` the
        keyword is on the next line, and copying that `\\` line along would start each
        inserted line with a continuation. Empty when anything but blanks is there.
        """
        keyword = instr.keyword_span.start
        start = max(instr.span.start, self.text.rfind("\n", 0, keyword) + 1)
        indent = self.text[start:keyword]
        return indent if not indent.strip() else ""

    def item_index(self, offset: int) -> int:
        """Return the index of the first item that starts at or after `offset`
        (`len(items)` when none does). Items are in file order: a binary search."""
        return bisect.bisect_left(self.items, offset, key=_item_start)

    def instructions(self, *kinds: str) -> Iterator[Instruction]:
        """Yield top-level instructions in order, only those of `kinds` when given."""
        wanted = {k.upper() for k in kinds}
        for instr in self.instruction_list:
            if not wanted or instr.kind in wanted:
                yield instr

    @property
    def all_instructions(self) -> tuple[Instruction, ...]:
        """Return every top-level instruction in order."""
        return self.instruction_list

    @property
    def directives(self) -> tuple[Directive, ...]:
        """Return the parser directives at the top of the file."""
        return tuple(i for i in self.items if isinstance(i, Directive))

    def line_col(self, offset: int) -> tuple[int, int]:
        """Return the 1-based line and column of `offset`."""
        line = self.text.count("\n", 0, offset) + 1
        start = self.text.rfind("\n", 0, offset) + 1
        if start == 0 and self.text.startswith("\ufeff"):
            start = 1  # a byte-order mark is not a column
        return line, max(offset - start, 0) + 1


def render(df: Dockerfile) -> str:
    """Return the source text rebuilt from the tree's items (equals the input)."""
    if not df.items:
        return df.text
    first = df.items[0].span.start
    return df.text[:first] + "".join(df.text[i.span.start : i.span.end] for i in df.items)


# dffix.syntax.parser's records.


class ParseError(NamedTuple):
    """Why a text is not a Dockerfile BuildKit would accept, and where (1-based)."""

    line: int
    col: int
    message: str


class _Lines(NamedTuple):
    """The physical lines of a text, as parallel lists (one object per line is slower)."""

    starts: list[int]  # first character (after a BOM on line 1)
    ends: list[int]  # end of content, trailing \r and \n removed
    eols: list[int]  # after the newline
    lefts: list[int]  # first character that is not a Go space (`end` when none is)


class _Node(NamedTuple):
    keyword: str
    keyword_start: int
    keyword_end: int
    flags: tuple[Word, ...]
    args_start: int
    args_end: int
    form: Form
    values: tuple[str, ...]
    inner: _Node | None
    args: str  # line[args_start:args_end]
    kind: str  # the keyword upper-cased
    # (the two Instruction fields made of the line alone: kept with the cached node)


# dffix.syntax.shell's records.


class Kind(Enum):
    """What a token is."""

    WORD = "word"
    OPERATOR = "operator"  # && || ; | |& & ( ) and ;; (never accepted)
    REDIRECT = "redirect"  # `>`, `2>&1`, `>>file` ... with its target word
    COMMENT = "comment"


class Token(NamedTuple):
    """A token of the command line and its [start, end) in that line."""

    kind: Kind
    text: str
    start: int
    end: int


class Command(NamedTuple):
    """A simple command: its words and redirections, and how deep it is nested.

    `depth` is 0 for a command at the top level of the script and more inside
    `if`/`for`/`while`/`{ }`/`( )` bodies.
    """

    tokens: tuple[Token, ...]
    depth: int
    argv: tuple[str, ...] = ()  # the words with plain quoting removed

    @property
    def start(self) -> int:
        """Return the offset of the first token."""
        return self.tokens[0].start

    @property
    def end(self) -> int:
        """Return the offset after the last token."""
        return self.tokens[-1].end

    @property
    def words(self) -> tuple[Token, ...]:
        """Return the word tokens (no redirections)."""
        return tuple(t for t in self.tokens if t.kind is Kind.WORD)

    @property
    def name(self) -> str | None:
        """Return the command name: the first word that is not a `NAME=value` prefix."""
        for word in self.argv:
            if not _is_assignment(word):
                return word
        return None

    @property
    def args(self) -> tuple[str, ...]:
        """Return the words after the command name."""
        argv = self.argv
        for i, word in enumerate(argv):
            if not _is_assignment(word):
                return argv[i + 1 :]
        return ()


class Script(NamedTuple):
    """A command line read into commands, the operators between them and a comment.

    `items` keeps everything in order (commands, operator tokens, keywords as WORD
    tokens of depth changes are folded into commands' depth). `top_end` is the end of
    the last top-level command or compound (before a trailing `;`, `&` or comment).
    """

    commands: tuple[Command, ...]
    operators: tuple[Token, ...]
    comment: Token | None
    top_end: int
    trailing: Token | None  # a `;` or `&` after the last command, if any

    @property
    def is_flat(self) -> bool:
        """Return whether every command is at the top level (no if/for/while/subshell)."""
        return all(c.depth == 0 for c in self.commands)


def _is_assignment(word: str) -> bool:
    name, eq, _ = word.partition("=")
    return bool(eq) and name.replace("_", "a").isalnum() and not name[0].isdigit()


# dffix.syntax.words's records.


class Word(NamedTuple):
    """A word of a logical line: its value as BuildKit reads it and its [start, end)."""

    value: str
    start: int
    end: int
