"""DF2xx: COPY and ADD."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dffix.edits import Edit, Fix
from dffix.facts import BuildContext, Facts
from dffix.lazy import lazy_re
from dffix.rules.base import Fixability, Rule, Violation
from dffix.syntax.tree import Dockerfile, Instruction, Span

# ADD downloads URLs and unpacks local tar archives (plain or compressed, by content).
# We go by the name, and by the content when the file is in the visible build context.
# COPY does neither, so only other sources may become COPY.
_URL_RE = lazy_re(r"^[a-zA-Z][a-zA-Z0-9+.-]*://|^git@", re.IGNORECASE)
_ARCHIVE_RE = lazy_re(
    r"\.(tar|tar\.[a-z0-9]+|tgz|tbz|tbz2|tb2|taz|tz2|txz|tlz|tzst|gz|bz2|xz|lz|lzma|zst)$",
    re.IGNORECASE,
)
# Flags that only ADD has: nothing to translate them to.
_ADD_ONLY_FLAGS = frozenset({"checksum", "keep-git-dir", "unpack"})


def is_remote(source: str) -> bool:
    """Return whether an ADD source is a URL or a git repository."""
    return bool(_URL_RE.match(source)) or source.endswith(".git")


def is_archive(source: str) -> bool:
    """Return whether an ADD source looks like an archive ADD would unpack."""
    return bool(_ARCHIVE_RE.search(source.rstrip("/")))


# What ADD's unpacking recognises by content: compressed streams (gzip, bzip2, xz, zstd)
# and a tar header. A compressed file that holds no tar is copied as it is, but telling
# would mean decompressing it: any compressed file counts.
_COMPRESSED_MAGIC = (b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd")


def looks_like_archive(head: bytes) -> bool:
    """Return whether the first 512 bytes of a file are what ADD would unpack."""
    if head.startswith(_COMPRESSED_MAGIC):
        return True
    if len(head) < 512:
        return False  # shorter than one tar header
    if head[257:262] == b"ustar":
        return True
    # An old (v7) tar header has no magic: its checksum field still adds up.
    field = head[148:156].split(b"\x00", 1)[0].strip(b" ")
    if not field or any(c not in b"01234567" for c in field):
        return False
    total = sum(head[:148]) + 8 * 32 + sum(head[156:512])
    return int(field, 8) == total


def _unpacked_by_content(context: BuildContext, source: str) -> bool:
    """Return whether a source is a file in the visible context that ADD would unpack."""
    head = context.read_bytes(source.lstrip("/") or ".", 512)
    return head is not None and looks_like_archive(head)


def _sources(instr: Instruction) -> tuple[str, ...]:
    """Return the source operands (all values but the destination; heredocs excluded)."""
    return instr.values[:-1] if len(instr.values) >= 2 else ()


def _unknowable(source: str) -> bool:
    # A variable or a glob may expand to an archive or URL; we cannot tell from here.
    return any(c in source for c in "$*?[")


def same_case(word: str, new: str) -> str:
    """Return `new` in the case of `word` (`add` -> `copy`, `Add` -> `Copy`)."""
    if word.islower():
        return new.lower()
    if word.isupper():
        return new.upper()
    return new.capitalize()


def keyword_and_gap(text: str, keyword: Span, longer: int, escape: str = "\\") -> Span:
    """Return the span to replace for a keyword that grows by `longer` characters.

    When the arguments are aligned in a column (two or more spaces after the keyword,
    then more on the same line), the span takes `longer` of those spaces too, keeping
    at least one, so the arguments stay where they were. A single space, tabs or a
    line break or continuation after the keyword: just the keyword.
    """
    end = keyword.end
    while end < len(text) and text[end] == " ":
        end += 1
    gap = end - keyword.end
    line_end = text.find("\n", end)
    rest = text[end:] if line_end < 0 else text[end:line_end]
    # Nothing follows on the line but a continuation: there is no column to keep.
    if gap < 2 or not rest.strip() or rest[0] == "\t" or rest.rstrip() == escape:
        return keyword
    return Span(keyword.start, keyword.end + min(longer, gap - 1))


class AddForLocalFiles(Rule):
    """## What it does
    Flags `ADD` used to copy plain local files or folders into the image.

    ## Why is this bad?
    `ADD` also downloads URLs and unpacks local tar archives. Using it for plain
    files hides which of those it does; `COPY` does only the copy, so the reader and
    the build both know what happens.

    ## Example
    ```dockerfile
    ADD requirements.txt /app/
    ```

    ## Use instead
    ```dockerfile
    COPY requirements.txt /app/
    ```

    ## Fix safety
    Safe when every source is a plain local path: not a URL, not a git repository,
    not an archive name, with no variable or glob that could expand to one, and no
    ADD-only flag (`--checksum`, `--keep-git-dir`, `--unpack`). ADD recognises an
    archive by its content, not its name, so a source found in the build context (the
    Dockerfile's folder) is read too: a tar or a gzip, bzip2, xz or zstd file stays
    `ADD` whatever it is called. A source the context does not hold (made by an
    earlier CI step, say) goes by its name. Flags such as
    `--chown`, `--chmod` and `--link` are kept. Otherwise there is no fix: sources
    with variables or globs are reported so you can decide.

    Arguments aligned in a column stay in it: when `ADD` is followed by two or more
    spaces, `COPY` takes one of them (`ADD    app.py` becomes `COPY   app.py`). A
    single space stays, and tabs are left as they are.

    ## References
    - Docker best practices: "ADD or COPY"
    - hadolint DL3020
    """

    code = "DF201"
    name = "add-for-local-files"
    message = "`ADD` used for local files"
    fix_title = "Replace `ADD` with `COPY`"
    fixability = Fixability.SOMETIMES
    aliases = ("DL3020",)

    def check(self, df: Dockerfile, facts: Facts) -> Iterator[Violation]:
        for instr in df.instructions("ADD"):
            sources = _sources(instr)
            # Heredoc sources are written inline; COPY takes them too, but an ADD
            # without sources is malformed: leave both alone.
            if not sources or instr.heredocs:
                continue
            # ADD downloads URLs and git repos, and unpacks archives: those stay ADD.
            if any(is_remote(s) or is_archive(s) for s in sources):
                continue
            if instr.flag("checksum") or any(f.name in _ADD_ONLY_FLAGS for f in instr.flags):
                continue
            if any(_unknowable(s) for s in sources):
                msg = f"{self.message}? A source uses a variable or glob, so it may be an archive"
                yield self.violation(instr.keyword_span, message=msg)
                continue
            # ADD goes by content, not name: a tar without `.tar` is unpacked too.
            if facts.context is not None and any(_unpacked_by_content(facts.context, s) for s in sources):
                continue
            keyword = df.text[instr.keyword_span.start : instr.keyword_span.end]
            edit = Edit.replace(
                keyword_and_gap(df.text, instr.keyword_span, 1, df.escape), same_case(keyword, "COPY")
            )
            yield self.violation(instr.keyword_span, Fix.safe(edit))
