"""DF6xx: style. Deprecated and legacy forms, and keyword casing."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from dffix.edits import Edit, Fix
from dffix.facts import Facts
from dffix.lazy import lazy_re
from dffix.rules.base import Fixability, Rule, Violation
from dffix.syntax import words as w
from dffix.syntax.tree import Dockerfile, Instruction, LineKind, Span

AUTHORS_LABEL = "org.opencontainers.image.authors"
_ESCAPE_REASON = "an escape character in the value that BuildKit versions read differently in quotes"
# BuildKit splits FROM (and the legacy ENV/LABEL form) on this, not on Unicode spaces.
_WORD_RE = lazy_re(r"[^\t\v\f\r ]+")
# A key that reads the same to BuildKit's word splitter and its variable expander.
_PLAIN_KEY_RE = lazy_re(r"^[A-Za-z0-9_.\-/:]+$")
# Instructions dffix promises never to rewrite (nothing in them needs a fix); the
# invariant tests and the corpus check hold every rule to it.
UNTOUCHED_KINDS = frozenset(
    {"ARG", "EXPOSE", "WORKDIR", "VOLUME", "HEALTHCHECK", "STOPSIGNAL", "SHELL", "ONBUILD"}
)
INSTRUCTIONS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
        "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR",
    }
)  # fmt: skip


def cased_like(word: str, new: str) -> str:
    """Return `new` in the case of `word` (`maintainer` -> `label`, `Maintainer` -> `Label`)."""
    if word.islower():
        return new.lower()
    if word.isupper():
        return new.upper()
    return new.capitalize()


def _keyword(df: Dockerfile, instr: Instruction) -> str:
    return df.text[instr.keyword_span.start : instr.keyword_span.end]


def _unquote_key(key: str) -> str:
    return key[1:-1] if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"" else key


def label_keys(instr: Instruction) -> tuple[str, ...]:
    """Return the keys a LABEL sets, quotes around a key removed."""
    return tuple(_unquote_key(k) for k in instr.values[0::2])


def double_quoted(value: str, escape: str) -> str | None:
    """Return `value` as a double-quoted word that BuildKit reads back as exactly `value`.

    Inside double quotes BuildKit's lexer expands `$` and lets the escape character
    escape `"` and `$` (newer versions also the escape character itself; older ones
    leave `\\\\` as two characters). So `"` and `$` get the escape character, an escape
    character before an ordinary character stays as it is, and an escape character that
    would need escaping itself (before `"`, `$`, another escape or at the end) makes the
    value impossible to write the same way for every BuildKit version: None.
    """
    out: list[str] = ['"']
    for i, ch in enumerate(value):
        if ch == escape:
            following = value[i + 1] if i + 1 < len(value) else ""
            if following in ("", '"', "$", escape):
                return None
            out.append(ch)
        elif ch in '"$':
            out += (escape, ch)
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


class DeprecatedMaintainer(Rule):
    """## What it does
    Flags the `MAINTAINER` instruction.

    ## Why is this bad?
    `MAINTAINER` has been deprecated since Docker 1.13. It fills the image's legacy
    `Author` field, which tools no longer read. A label is the standard place for the
    author: `org.opencontainers.image.authors` from the OCI image spec, which
    registries and scanners show.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    MAINTAINER Jane Doe <jane@example.com>
    ```

    ## Use instead
    ```dockerfile
    FROM debian:bookworm-slim
    LABEL org.opencontainers.image.authors="Jane Doe <jane@example.com>"
    ```

    ## Fix safety
    Safe: the text of `MAINTAINER` is taken literally, while a `LABEL` value goes through
    variable expansion, so the value is written in double quotes with `"` and `$`
    escaped (with the file's escape character) and reads back as exactly the same text.
    The keyword keeps the case it had (`maintainer` becomes `label`), and arguments
    aligned in a column (two or more spaces after `MAINTAINER`) still start in that
    column (`LABEL` gets five more spaces; tabs stay). What the image runs
    is unchanged; its metadata moves from the deprecated `Author` field to the label.

    `MAINTAINER` belongs to its stage: each one sets the stage's `Author`, so when a
    stage has several, the image keeps only the last (BuildKit and hadolint just warn
    about each). Turning each into a label would give the same result, one label
    replacing the other, and silently drop every name but the last one, though the
    file plainly names several maintainers. So a stage's `MAINTAINER`s become one
    label listing them all, in order (`"A <a@x>, B <b@y>"`, the free-form list the OCI
    key allows), in place of the first; the others' lines are removed. That fix is
    unsafe: the image now names people its `Author` field did not, so it waits for
    `--unsafe-fixes` and a look at the diff. The report of the first `MAINTAINER`
    carries the fix, the others point to it. Stages stay apart: one `MAINTAINER` in each
    of two stages gives a label in each (the later stage's own replaces the one it
    inherits, as `Author` did).

    There is no fix, only the report with the reason, when the value cannot be written
    the same way for every BuildKit version (an escape character before `"`, `$`,
    another escape character or at the end), when a `MAINTAINER` spans several lines or
    has flags, when it is not inside a stage, and when an earlier `LABEL` already sets
    `org.opencontainers.image.authors` (the new label would replace that value).

    ## References
    - Dockerfile reference: "MAINTAINER (deprecated)"
    - OCI image spec: pre-defined annotation keys
    - hadolint DL4000; BuildKit check `MaintainerDeprecated`
    """

    code = "DF601"
    name = "deprecated-maintainer"
    message = "`MAINTAINER` is deprecated"
    fix_title = f"Replace `MAINTAINER` with an `{AUTHORS_LABEL}` label"
    fixability = Fixability.SOMETIMES
    aliases = ("DL4000", "MaintainerDeprecated")

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        earlier_authors = False
        by_stage: dict[int | None, list[Instruction]] = {}
        blocked: set[int] = set()  # MAINTAINERs after a LABEL that sets the authors
        for instr in df.all_instructions:
            if instr.kind == "LABEL" and AUTHORS_LABEL in label_keys(instr):
                earlier_authors = True
            if instr.kind == "MAINTAINER":
                stage = facts.stage_of(instr)
                by_stage.setdefault(stage.index if stage else None, []).append(instr)
                if earlier_authors:
                    blocked.add(instr.span.start)
        for index, group in by_stage.items():
            if index is None or len(group) == 1:
                for instr in group:
                    fix = self._fix(df, instr) if index is not None else "it is not inside a stage"
                    if instr.span.start in blocked:
                        fix = f"an earlier `LABEL` sets `{AUTHORS_LABEL}`, which the label would replace"
                    if isinstance(fix, str):
                        yield self.violation(instr.keyword_span, message=f"{self.message}; no fix: {fix}")
                    else:
                        yield self.violation(instr.keyword_span, fix)
            else:
                yield from self._merged(df, group, blocked)

    def _merged(self, df: Dockerfile, group: list[Instruction], blocked: set[int]) -> Iterator[Violation]:
        """Report the MAINTAINERs of one stage; the first carries the fix writing one label
        for all (one fix, not one per MAINTAINER: its edits grow with their number)."""
        said = f"{self.message}; the stage has {len(group)}, the image's `Author` held only the last"
        fix = self._merge_fix(df, group, blocked)
        if isinstance(fix, str):
            message = f"{said}; no fix: {fix}"
            for instr in group:
                yield self.violation(instr.keyword_span, message=message)
            return
        first, last = group[0], group[-1].values[0]
        message = f"{said} (`{last}`), so the fix, one label naming all {len(group)}, is unsafe"
        title = f"Replace the `MAINTAINER`s with one `{AUTHORS_LABEL}` label"
        yield self.violation(first.keyword_span, fix, message=message, fix_title=title)
        rest = f"{said}; no fix here: the one on line {first.start_line} merges them all into one label"
        for instr in group[1:]:
            yield self.violation(instr.keyword_span, message=rest)

    def _merge_fix(self, df: Dockerfile, group: list[Instruction], blocked: set[int]) -> Fix | str:
        """Return the fix writing one label with every name in place of the first
        MAINTAINER and deleting the others, or why there is none."""
        if any(i.span.start in blocked for i in group):
            return f"an earlier `LABEL` sets `{AUTHORS_LABEL}`, which the label would replace"
        if any(len(i.lines) != 1 or i.flags or not i.values for i in group):
            return "a `MAINTAINER` spans several lines, has flags or no value"
        value = double_quoted(", ".join(i.values[0] for i in group), df.escape)
        if value is None:
            return _ESCAPE_REASON
        first = group[0]
        label = f"{_label_keyword(df, first)}{AUTHORS_LABEL}={value}"
        edits = [Edit.replace(Span(first.keyword_span.start, first.args_span.end), label)]
        edits += [Edit.delete(_line_span(df, i)) for i in group[1:]]
        return Fix.unsafe(*edits)

    def _fix(self, df: Dockerfile, instr: Instruction) -> Fix | str:
        """Return the fix for the one MAINTAINER of a stage, or why there is none."""
        # Continuation lines may hold comments that a one-line LABEL would drop.
        if len(instr.lines) != 1:
            return "it spans several lines, whose comments a one-line label would drop"
        if instr.flags or not instr.values:
            return "it has flags or no value"
        value = double_quoted(instr.values[0], df.escape)
        if value is None:
            return _ESCAPE_REASON
        label = f"{_label_keyword(df, instr)}{AUTHORS_LABEL}={value}"
        return Fix.safe(Edit.replace(Span(instr.keyword_span.start, instr.args_span.end), label))


def _label_keyword(df: Dockerfile, maintainer: Instruction) -> str:
    """Return `LABEL` in the case of the MAINTAINER keyword, and the blanks after it.

    Arguments aligned in a column (two or more spaces after `MAINTAINER`) stay in it:
    the shorter keyword gets the difference in spaces. Tabs are kept as they are.
    """
    keyword = _keyword(df, maintainer)
    gap = df.text[maintainer.keyword_span.end : maintainer.args_span.start]
    if "\t" in gap:
        return cased_like(keyword, "LABEL") + gap  # tabs: left as they are
    spaces = len(gap) + len(keyword) - len("LABEL") if len(gap) >= 2 else 1
    return cased_like(keyword, "LABEL") + " " * spaces


def _line_span(df: Dockerfile, instr: Instruction) -> Span:
    """Return the span of a one-line instruction's whole line with its newline (on a last
    line without one, the newline before it instead)."""
    start, end = instr.lines[0].start, instr.span.end
    if end == len(df.text) and not df.text.endswith("\n"):
        start -= 2 if df.text.endswith("\r\n", 0, start) else 1
    return Span(start, end)


class FromAsCaseMismatch(Rule):
    """## What it does
    Flags the `AS` of `FROM image AS name` when its case differs from `FROM`'s.

    ## Why is this bad?
    Docker reads keywords in any case, so `FROM node as build` works, but mixing cases in
    one line is harder to read and to search. BuildKit warns about it.

    ## Example
    ```dockerfile
    FROM node:22 as build
    ```

    ## Use instead
    ```dockerfile
    FROM node:22 AS build
    ```

    ## Fix safety
    Safe: BuildKit compares `AS` without regard to case, so only the spelling changes.
    Like BuildKit, a `FROM` keyword in mixed case (`From`) is left to
    `mixed-instruction-case`; once it is all upper or all lower case, `AS` follows it.

    ## References
    - BuildKit check `FromAsCasing`
    """

    code = "DF602"
    name = "from-as-case-mismatch"
    message = "`AS` and `FROM` keywords' casing do not match"
    fix_title = "Write `AS` in the case of `FROM`"
    fixability = Fixability.ALWAYS
    aliases = ("FromAsCasing",)

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instructions("FROM"):
            # BuildKit only accepts `FROM image AS name`: three words, `as` in any case.
            if len(instr.values) != 3 or instr.values[1].lower() != "as":
                continue
            keyword = _keyword(df, instr)
            as_word = instr.values[1]
            if keyword.islower():
                wanted = "as"
            elif keyword.isupper():
                wanted = "AS"
            else:
                continue  # `From`: BuildKit leaves mixed-case FROM to the casing check
            if as_word == wanted:
                continue
            words = list(_WORD_RE.finditer(instr.args))
            span = instr.offsets.span(instr.args_start + words[1].start(), instr.args_start + words[1].end())
            msg = f"`{as_word}` and `{keyword}` keywords' casing do not match"
            yield self.violation(span, Fix.safe(Edit.replace(span, wanted)), message=msg)


class MixedInstructionCase(Rule):
    """## What it does
    Flags instruction keywords whose case differs from the rest of the file.

    ## Why is this bad?
    Docker accepts `run` as well as `RUN`, but a file that mixes them (or writes `Run`)
    is harder to read and to search. BuildKit warns about it.

    ## Example
    ```dockerfile
    FROM alpine:3.20
    run apk add --no-cache curl
    CMD ["curl", "--version"]
    ```

    ## Use instead
    ```dockerfile
    FROM alpine:3.20
    RUN apk add --no-cache curl
    CMD ["curl", "--version"]
    ```

    ## Fix safety
    Safe: keywords are read without regard to case. As in BuildKit, the file's case is
    the case of the majority of its all-upper and all-lower keywords (a tie means upper
    case); keywords in mixed case (`Run`) don't vote and are always reported. The keyword
    of an `ONBUILD` trigger (`ONBUILD run ...`) does not vote either but is reported too,
    which BuildKit does not check. Only keywords change, never arguments: `AS` in `FROM`
    is `from-as-case-mismatch`'s job.

    `ARG`, `EXPOSE`, `WORKDIR`, `VOLUME`, `HEALTHCHECK`, `STOPSIGNAL`, `SHELL` and
    `ONBUILD` (with its trigger) are reported without a fix: dffix promises to leave
    these instructions byte for byte as they are, so change their case by hand.

    ## References
    - BuildKit check `ConsistentInstructionCasing`
    """

    code = "DF603"
    name = "mixed-instruction-case"
    message = "Instruction keyword not in the file's case"
    fix_title = "Change the keyword to the file's case"
    fixability = Fixability.SOMETIMES
    aliases = ("ConsistentInstructionCasing",)

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        # Unknown words (template placeholders) are not instructions: leave them alone.
        instrs = [i for i in df.instruction_list if i.kind in INSTRUCTIONS]
        text = df.text
        keywords = [text[i.keyword_span.start : i.keyword_span.end] for i in instrs]
        lower = upper = 0
        for k in keywords:
            if k.isupper():
                upper += 1
            elif k.islower():
                lower += 1
        to_lower = lower > upper
        for instr, keyword in zip(instrs, keywords, strict=True):
            # The usual keyword is in the file's case already: no call for it.
            if keyword != (keyword.lower() if to_lower else keyword.upper()):
                yield self._violation_of(instr, keyword, to_lower, instr.kind not in UNTOUCHED_KINDS)
            inner = instr.inner
            if inner is not None and inner.kind in INSTRUCTIONS:
                found = self._check_keyword(inner, _keyword(df, inner), to_lower, fixable=False)
                if found is not None:
                    yield found

    def _check_keyword(
        self, instr: Instruction, keyword: str, to_lower: bool, fixable: bool
    ) -> Violation | None:
        """Return the violation of `instr`, whose keyword is written `keyword`, or None."""
        if keyword == (keyword.lower() if to_lower else keyword.upper()):
            return None
        return self._violation_of(instr, keyword, to_lower, fixable)

    def _violation_of(self, instr: Instruction, keyword: str, to_lower: bool, fixable: bool) -> Violation:
        """Return the violation of `instr`, whose keyword `keyword` is not in the file's case."""
        wanted = keyword.lower() if to_lower else keyword.upper()
        case = "lowercase" if to_lower else "uppercase"
        msg = f"`{keyword}` should be {case}, like most instructions in this file"
        fix = Fix.safe(Edit.replace(instr.keyword_span, wanted)) if fixable else None
        return self.violation(instr.keyword_span, fix, message=msg)


@lru_cache(maxsize=4096)
def _legacy_words(args: str, escape: str) -> bool:
    """Return whether BuildKit reads `ENV`/`LABEL` arguments in the legacy `key value`
    form: the first word has no `=`. Cached: the same lines are read on every pass.

    parseWords keeps quotes and escapes in its words, and only a quote or an escape makes
    a space part of a word: before the first `=`, without either, the first word holds it
    unless a space ends that word first. With no `=` at all, the answer is whether there
    is a word (only blanks and a lone final escape make none). Otherwise the words are read.
    """
    at = args.find("=")
    if at < 0:
        return args.lstrip(w.GO_SPACES) not in ("", escape)
    before = args[:at]
    if escape not in before and "'" not in before and '"' not in before:
        return not w.GO_SPACE_SET.isdisjoint(before.lstrip(w.GO_SPACES))
    words = w.parse_words(args, escape)
    return bool(words) and "=" not in words[0]


class LegacyKeyValueFormat(Rule):
    """## What it does
    Flags `ENV` and `LABEL` written in the legacy `key value` form instead of `key=value`.

    ## Why is this bad?
    The legacy form sets a single key to the whole rest of the line, spaces and all,
    while the `key=value` form can set several keys and treats unquoted spaces as
    separators. The same-looking line means different things in the two forms, which
    is why BuildKit warns about the legacy one and may drop it.

    ## Example
    ```dockerfile
    ENV PYTHONUNBUFFERED 1
    ENV JAVA_OPTS -Xms256m -Xmx1g
    ```

    ## Use instead
    ```dockerfile
    ENV PYTHONUNBUFFERED=1
    ENV JAVA_OPTS="-Xms256m -Xmx1g"
    ```

    ## Fix safety
    Safe when the value is a single word to BuildKit's word splitter (no unquoted
    whitespace; quotes and escapes inside it are fine): the space after the key becomes
    `=`, and BuildKit hands the very same key and value text to variable expansion.

    Also safe when the value has spaces (or runs over several lines) but no quotes and
    no escape character: it is wrapped in double quotes. BuildKit joins continued lines
    and drops the comment lines among them before it reads quotes, so the quoted value
    is the same text; its lexer then expands `$` the same way inside double quotes and
    treats only `"`, `'` and the escape character differently, none of which is there.

    When the value starts on the next line (`ENV DEPS \\` then the value), `=` replaces
    the line break too, so the value's first line joins the key's; comment lines between
    the two move above the instruction. Comment lines further down stay next to the value
    lines they explain: BuildKit drops a comment line inside a continuation before it
    reads quotes, so inside `KEY="..."` it is no part of the value either.

    No fix when a value with spaces also holds quotes or escapes (their meaning would
    change inside new quotes) or when the key is not a plain name. BuildKit warns as long
    as one legacy line is left, so when one line of the file has no fix, the fixes for the
    others are unsafe (all or none by default). `ONBUILD ENV`/`ONBUILD LABEL` triggers are
    reported without a fix, and do not hold back the rest: dffix promises to leave
    `ONBUILD` instructions as they are. `ARG` has no legacy form.

    ## References
    - Dockerfile reference: "ENV", "LABEL"
    - BuildKit check `LegacyKeyValueFormat`
    """

    code = "DF604"
    name = "legacy-key-value-format"
    message = "Legacy `key value` format"
    fix_title = "Write `key=value`"
    fixability = Fixability.SOMETIMES
    aliases = ("LegacyKeyValueFormat",)

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        found: list[tuple[Instruction, Fix | str]] = []
        for instr in df.all_instructions:
            target = instr.inner if instr.kind == "ONBUILD" and instr.inner is not None else instr
            if target.kind not in ("ENV", "LABEL") or len(target.values) != 2:
                continue
            # The `key=value` form: BuildKit's parser decides by the first word.
            if not _legacy_words(target.args, df.escape):
                continue
            # ONBUILD is one of the instructions dffix promises to leave as they are.
            found.append((target, self._fix(df, target) if target is instr else _ONBUILD_REASON))
        # BuildKit warns while any legacy line is left: converting some lines of a file
        # and not others still warns, so that waits for --unsafe-fixes and a look.
        kept = next((i for i, f in found if isinstance(f, str) and f != _ONBUILD_REASON), None)
        for target, fix in found:
            msg = f"Legacy `{target.kind} key value` format; use `{target.kind} key=value`"
            if isinstance(fix, str):
                yield self.violation(target.keyword_span, message=f"{msg}; no fix: {fix}")
            elif kept is not None:
                why = f"line {kept.start_line} stays legacy (no fix there), so BuildKit would still warn"
                unsafe = Fix.unsafe(*fix.edits)
                yield self.violation(target.keyword_span, unsafe, message=f"{msg}; unsafe fix: {why}")
            else:
                yield self.violation(target.keyword_span, fix, message=msg)

    def _fix(self, df: Dockerfile, instr: Instruction) -> Fix | str:
        """Return the fix, or why there is none."""
        key, value = instr.values
        gap = w.WHITESPACE_RE.search(instr.args)
        # A quoted or expanded key would be read differently once `=` follows it.
        if gap is None or not _PLAIN_KEY_RE.match(key) or instr.args[: gap.start()] != key:
            return "the key is not a plain name"
        gap_span = instr.offsets.span(instr.args_start + gap.start(), instr.args_start + gap.end())
        # The gap may run over a line continuation (`ENV DEPS \` and the value on the next
        # line): `=` replaces it all, joining the value's first line to the key's.
        edits = [Edit.replace(gap_span, "="), *_moved_comments(df, instr, gap_span)]
        if w.parse_words(f"{key}={value}", df.escape) == [f"{key}={value}"]:
            return Fix.safe(*edits)
        # Unquoted, BuildKit's lexer removes quotes and escapes; inside double quotes it
        # keeps them: only a value with neither reads the same once quoted.
        if any(c in value for c in "\"'") or df.escape in value:
            return "the value has spaces and quotes or escapes, whose meaning would change inside new quotes"
        # BuildKit joins continued lines (quotes or not) and hands the legacy value and
        # the quoted one to the same expansion: `$` and every other character read the same.
        end = instr.offsets.end_to_source(instr.args_start + len(instr.args))
        return Fix.safe(Edit.replace(gap_span, '="'), *edits[1:], Edit.insert(end, '"'))


_ONBUILD_REASON = "dffix leaves `ONBUILD` triggers as they are"


def _moved_comments(df: Dockerfile, instr: Instruction, gap: Span) -> list[Edit]:
    """Return the edit moving the comment lines inside `gap` (between the key and the
    value's first line, which `=` joins) above `instr`; the gap's own replacement deletes
    them there.

    The comment lines further down stay where they are, next to the value lines they
    explain: BuildKit drops a comment line inside a continuation before it reads quotes,
    so inside `KEY="..."` it is no part of the value either (moved, six key owners'
    comments above a `GPG_KEYS` list no longer said whose key was whose).
    """
    comments = [ln for ln in instr.lines if ln.kind is LineKind.COMMENT and gap.start <= ln.start < gap.end]
    if not comments:
        return []
    nl = df.newline
    indent = df.indent(instr)
    text = "".join(f"{indent}{df.text[ln.start : ln.end].strip()}{nl}" for ln in comments)
    line_start = df.text.rfind("\n", 0, instr.keyword_span.start) + 1
    return [Edit.insert(max(line_start, instr.span.start), text)]
