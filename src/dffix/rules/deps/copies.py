"""What a `COPY` or `ADD` writes in the image, and from which context paths."""

from __future__ import annotations

import fnmatch

from dffix.records import NamedTuple
from dffix.rules.copy import is_archive, is_remote
from dffix.rules.deps.context import Presence, View
from dffix.rules.deps.paths import Loc, has_glob, resolve, split_path
from dffix.syntax.tree import Instruction


class Mapping(NamedTuple):
    """Image paths at or below `target` come from context path `source` (+ the same names).

    `source` is None when the content is unknown (another stage, an unclear source).
    `pattern` limits the mapping to names directly below `target` (a wildcard source).
    """

    target: Loc
    source: tuple[str, ...] | None
    pattern: str | None = None

    def covers(self, path: Loc) -> bool | None:
        """Return whether this mapping writes `path`; None when that cannot be told."""
        inside = self.target.contains(path)
        if not inside:
            return inside
        rest = self.target.below(path)
        if self.pattern is None:
            return True
        return bool(rest) and fnmatch.fnmatchcase(rest[0], self.pattern)

    def source_of(self, path: Loc) -> tuple[str, ...] | None:
        """Return the context path `path` comes from (call after `covers`)."""
        return None if self.source is None else self.source + self.target.below(path)


class CopyInfo(NamedTuple):
    """A COPY or ADD: what it writes, from where, and with which ownership flags."""

    instr: Instruction
    mappings: tuple[Mapping, ...]
    context: bool  # from the build context (not --from)
    owner: tuple[str, ...]  # the --chown and --chmod flags, as BuildKit reads them
    dest: str
    dest_loc: Loc
    unclear: str | None  # why a source's content is unclear (unseen folder or file, or missing)


_COPY_FLAGS = frozenset({"chown", "chmod", "link", "from"})
_ADD_FLAGS = frozenset({"chown", "chmod", "link", "checksum", "keep-git-dir", "unpack"})
# Names that are files although they have no extension.
_FILE_NAMES = frozenset(
    {
        *("Gemfile", "Pipfile", "Makefile", "Dockerfile", "Procfile", "Rakefile", "LICENSE"),
        *("README", "Jenkinsfile", "Vagrantfile", "Brewfile", "Guardfile", "Podfile", "go.mod"),
    }
)


def looks_like_file(name: str) -> bool:
    """Guess, without the context, whether a source name is a file (`app.py`, `Gemfile`)."""
    return "." in name.lstrip(".") or name in _FILE_NAMES


def copy_info(instr: Instruction, workdir: Loc, view: View) -> CopyInfo | None:
    """Return what a COPY/ADD writes, or None when it cannot be told (a barrier)."""
    allowed = _COPY_FLAGS if instr.kind == "COPY" else _ADD_FLAGS
    values = instr.values
    if instr.heredocs or len(values) < 2 or any(f.name not in allowed for f in instr.flags):
        return None
    if any("$" in v for v in values) or any("$" in f.text for f in instr.flags):
        return None
    sources, dest = values[:-1], values[-1]
    dest_loc = resolve(workdir, dest)
    if dest_loc is None:
        return None
    owner = tuple(f.text for f in instr.flags if f.name in ("chown", "chmod"))
    if instr.flag("from") is not None or (instr.kind == "ADD" and _unpacks_or_fetches(instr, view)):
        # Another stage's files, a download or an unpacked archive: what lands below the
        # destination is unknown, but nothing lands anywhere else.
        return CopyInfo(instr, (Mapping(dest_loc, None),), False, owner, dest, dest_loc, None)
    into_dir = _dest_is_dir(dest, dest_loc, workdir, len(sources))
    mappings: list[Mapping] = []
    unclear: str | None = None
    for source in sources:
        found = _source_mapping(source, dest_loc, into_dir, view)
        if found is None:
            return None
        mappings.append(found[0])
        unclear = unclear or found[1]
    return CopyInfo(instr, tuple(mappings), True, owner, dest, dest_loc, unclear)


def _unpacks_or_fetches(instr: Instruction, view: View) -> bool:
    """Return whether an ADD downloads a URL or unpacks an archive (by name or content)."""
    if any(instr.flag(name) is not None for name in ("checksum", "keep-git-dir", "unpack")):
        return True  # flags for downloads and archives
    sources = instr.values[:-1]
    return any(is_remote(s) or is_archive(s) or view.unpacks(s) for s in sources)


def _dest_is_dir(dest: str, dest_loc: Loc, workdir: Loc, count: int) -> bool:
    # A trailing slash, several sources, or a folder that exists already (the working
    # directory or one above it) make the destination a folder.
    return dest.endswith("/") or dest in (".", "./") or count > 1 or bool(dest_loc.contains(workdir))


def _source_mapping(source: str, dest: Loc, into_dir: bool, view: View) -> tuple[Mapping, str | None] | None:
    """Return the mapping of one context source and the source when its kind is unclear."""
    if "\\" in source or source.startswith("~"):
        return None
    parts = split_path(source.lstrip("/"))
    if parts is None:
        return None
    if not parts:
        return Mapping(dest, ()), None
    if has_glob(parts[-1]) and not any(has_glob(p) for p in parts[:-1]):
        return Mapping(dest, parts[:-1], parts[-1]), None
    if any(has_glob(p) for p in parts):
        return Mapping(dest, None), None
    kind = view.presence(parts)
    # Missing from a visible context: the build would fail, so it is not the real context.
    missing = f"cannot see `{source}` in the build context" if kind is Presence.ABSENT else None
    if kind is Presence.DIR or (kind is not Presence.FILE and source.endswith("/")):
        # A trailing slash names a folder: a file there fails the build.
        return Mapping(dest, parts), missing
    if kind is Presence.UNKNOWN and into_dir and not looks_like_file(parts[-1]):
        # A folder's files land in `dest`, a file lands in `dest/name`: unclear.
        return Mapping(dest, None), f"cannot tell whether `{source}` is a file or a folder"
    target = dest.join(parts[-1:]) if into_dir else dest
    return Mapping(target, parts), missing
