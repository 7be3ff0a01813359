"""Per-file knowledge computed once per parse: stages, the final stage, SHELL, references."""

from __future__ import annotations

import bisect
import os
import stat
from collections.abc import Callable
from functools import partial

from dffix.jsontext import quoted
from dffix.records import NamedTuple, TypeVar
from dffix.syntax.tree import Dockerfile, Instruction

T = TypeVar("T")


class Stage(NamedTuple):
    """One build stage: its FROM and the instructions after it, up to the next FROM."""

    index: int  # type: ignore[assignment]  # shadows tuple.index on purpose: the stage number
    name: str | None  # the `AS name`, lower-cased as BuildKit compares it
    base: str  # the image reference of FROM (may be another stage's name)
    from_instr: Instruction
    instructions: tuple[Instruction, ...]
    shell: tuple[str, ...]  # the SHELL in force at the end of the stage
    parent: int | None = None  # the index of the earlier stage this one is built FROM
    entry_shell: tuple[str, ...] = ("/bin/sh", "-c")  # the SHELL in force at its FROM
    # Where each JSON SHELL of the stage starts, and its values (for shell_at).
    shell_starts: tuple[int, ...] = ()
    shells: tuple[tuple[str, ...], ...] = ()
    kinds: frozenset[str] = frozenset()  # the instruction keywords used in the stage

    @property
    def base_name(self) -> str:
        """Return the base image without registry port confusion: `python` of `python:3.12`."""
        ref = self.base.split("@", 1)[0]
        last = ref.rsplit("/", 1)[-1]
        return last.split(":", 1)[0].lower()

    @property
    def base_tag(self) -> str | None:
        """Return the tag of the base image (`3.12-slim`), or None."""
        ref = self.base.split("@", 1)[0]
        last = ref.rsplit("/", 1)[-1]
        return last.split(":", 1)[1] if ":" in last else None

    def shell_at(self, instr: Instruction) -> tuple[str, ...]:
        """Return the SHELL in force for `instr`.

        That is the last SHELL before it in the stage, else the one the stage inherits
        from the stage it is built FROM. (A SHELL set inside an external base image
        cannot be seen from the file.)
        """
        i = bisect.bisect_left(self.shell_starts, instr.span.start) - 1
        return self.shells[i] if i >= 0 else self.entry_shell


DEFAULT_SHELL = ("/bin/sh", "-c")


def _root_of(stage: Stage, parent_root: Stage | None) -> Stage:
    return stage if parent_root is None else parent_root


class BuildContext:
    """The folder the Dockerfile sits in, read lazily when a rule needs to look.

    The build context is usually this folder. Rules may read small files from it
    (requirements.txt, package.json, .dockerignore) to prove a fix safe, but must
    never require them: a missing file means "cannot tell", never an error.

    One BuildContext stands for the folder during one run over one Dockerfile (every
    fixer pass and the checks around them): what it reads, lists and finds is kept,
    so each pass sees the same folder and reads each file once. Make a new one to look
    again after the folder changed.
    """

    __slots__ = ("_memo", "dockerfile", "root")

    def __init__(self, root: str | os.PathLike[str], dockerfile: str | None = None) -> None:
        self.root = root
        self.dockerfile = dockerfile  # the Dockerfile's file name in `root`, when known
        self._memo: dict[object, object] = {}

    def __repr__(self) -> str:
        return f"BuildContext(root={self.root!r}, dockerfile={self.dockerfile!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BuildContext):
            return NotImplemented
        return (self.root, self.dockerfile) == (other.root, other.dockerfile)

    def __hash__(self) -> int:
        return hash((self.root, self.dockerfile))

    def cached(self, key: object, build: Callable[[], T]) -> T:
        """Return `build()`, built once for this context under `key`.

        For what rules derive from the folder alone (a listing, a parsed ignore file):
        it is the same on every pass of the run.
        """
        memo = self._memo
        if key not in memo:
            memo[key] = build()
        return memo[key]  # type: ignore[return-value]

    def ignore_text(self) -> str | None:
        """Return the text of the ignore file a build with this Dockerfile uses, or None.

        `<Dockerfile name>.dockerignore` beside the Dockerfile wins over the context's
        `.dockerignore`, as in BuildKit (`app.Dockerfile` -> `app.Dockerfile.dockerignore`).
        """
        if self.dockerfile:
            own = self.read_text(self.dockerfile + ".dockerignore")
            if own is not None:
                return own
        return self.read_text(".dockerignore")

    def _path(self, relative: str) -> str:
        return os.path.join(os.fspath(self.root), relative)

    def read_text(self, relative: str, limit: int = 1_000_000) -> str | None:
        """Return the text of a file in the context, or None when absent or unreadable."""
        data = self.read_bytes(relative, limit)
        return None if data is None else data.decode("utf-8", "replace")

    def read_bytes(self, relative: str, limit: int) -> bytes | None:
        """Return the first `limit` bytes of a regular file inside the context, or None
        when it is absent, not a regular file, outside the context or unreadable."""
        return self.cached(("read", relative, limit), lambda: self._read(relative, limit))

    def _read(self, relative: str, limit: int) -> bytes | None:
        plain = self._plain_file(relative)
        if plain is not False:
            if plain is None:
                return None
            try:
                with open(plain, "rb") as handle:
                    return handle.read(limit)
            except (OSError, ValueError):
                return None
        try:
            root = self.cached("realpath", lambda: os.path.realpath(self.root))
            path = os.path.realpath(self._path(relative))
            if os.path.commonpath((root, path)) != root or not os.path.isfile(path):
                return None
            with open(path, "rb") as handle:
                return handle.read(limit)
        except (OSError, ValueError):
            return None

    def _plain_file(self, relative: str) -> str | bool | None:
        """Answer `_read`'s question without realpath when no symlink is on the way.

        Returns the path of a regular file reached through `relative` (its names below
        the root, none `..`) with no symlink among them: inside the context, whatever
        the root is. None when there is nothing to read there (absent, not a regular
        file). False when a symlink or `..` is on the way: then only realpath can tell.
        One lstat per name of `relative`, where realpath takes one per name of the
        whole path (realpath took over half of DF201's time on the corpus).
        """
        names = [name for name in relative.split("/") if name and name != "."]
        if not names or ".." in names:
            return False
        path = os.fspath(self.root)
        try:
            for name in names:
                path = os.path.join(path, name)
                mode = os.lstat(path).st_mode
                if stat.S_ISLNK(mode):
                    return False
        except (OSError, ValueError):
            return None
        return path if stat.S_ISREG(mode) else None

    def exists(self, relative: str) -> bool:
        """Return whether a path exists in the context."""
        return self.cached(("exists", relative), lambda: self._exists(relative))

    def _exists(self, relative: str) -> bool:
        try:
            return os.path.exists(self._path(relative))
        except (OSError, ValueError):
            return False

    def names(self) -> tuple[str, ...]:
        """Return the names of the entries at the top of the context, sorted."""
        return self.cached("names", self._names)

    def _names(self) -> tuple[str, ...]:
        try:
            return tuple(sorted(os.listdir(self.root)))
        except OSError:
            return ()


class Facts(NamedTuple):
    """What rules need to know about the whole file."""

    stages: tuple[Stage, ...]
    referenced: frozenset[str]  # stage names/indexes used by COPY --from, FROM, --mount from=
    context: BuildContext | None = None  # None for stdin without --stdin-filename, and in tests
    stage_starts: tuple[int, ...] = ()  # where each stage's FROM starts, for stage_of
    # Indexes rules derive from the stages, built once per check on first use (see
    # `stage_index`): a rule asking "what is set before this instruction?" for every
    # instruction stays linear.
    memo: dict[object, object] | None = None

    @property
    def final_stage(self) -> Stage | None:
        """Return the last stage (the image that `docker build` produces by default)."""
        return self.stages[-1] if self.stages else None

    def stage_of(self, instr: Instruction) -> Stage | None:
        """Return the stage an instruction belongs to (None before the first FROM).

        Stages are in file order: a binary search on where each starts keeps this
        O(log stages), so rules that ask for every instruction stay linear.
        """
        i = bisect.bisect_right(self.stage_starts, instr.span.start) - 1
        if i < 0:
            return None
        stage = self.stages[i]
        end = stage.instructions[-1].span.end if stage.instructions else stage.from_instr.span.end
        return stage if instr.span.start < end else None

    def stage_index(self, name: str, build: Callable[[Stage, T | None], T], stage: Stage) -> T:
        """Return `build(stage, index of its parent stage or None)`, built once per stage
        and `name` for these facts.

        A lookup walks up the `FROM <stage>` chain only to the nearest stage already
        built, then builds down in a loop: over a chain of n stages, asking for every
        stage costs O(n) in all, and never recurses.
        """
        memo = self.memo if self.memo is not None else {}
        if (name, stage.index) in memo:
            return memo[name, stage.index]  # type: ignore[return-value]
        path = [stage]
        while (up := path[-1].parent) is not None and (name, up) not in memo:
            path.append(self.stages[up])
        up = path[-1].parent
        built: T | None = None if up is None else memo[name, up]  # type: ignore[assignment]
        for s in reversed(path):
            built = build(s, built)
            memo[name, s.index] = built
        assert built is not None
        return built

    def root(self, stage: Stage) -> Stage:
        """Return the farthest stage up the `FROM <stage>` chain: the one whose FROM names
        the image the stage starts from."""
        return self.stage_index("root", _root_of, stage)

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """Return `build()`, built once per check for these facts under `key`."""
        memo = self.memo if self.memo is not None else {}
        if key not in memo:
            memo[key] = build()
        return memo[key]  # type: ignore[return-value]

    def children(self, stage: Stage) -> tuple[Stage, ...]:
        """Return the stages built `FROM` this one, in file order."""
        return tuple(self.cached("children", partial(_by_parent, self.stages)).get(stage.index, ()))

    def chain(self, stage: Stage) -> tuple[Stage, ...]:
        """Return `stage` and the stages of this file it is built FROM, nearest first."""
        found = [stage]
        while found[-1].parent is not None:
            found.append(self.stages[found[-1].parent])
        return tuple(found)

    def is_referenced(self, stage: Stage) -> bool:
        """Return whether another stage copies from or builds on this one."""
        return str(stage.index) in self.referenced or (
            stage.name is not None and stage.name in self.referenced
        )


def _by_parent(stages: tuple[Stage, ...]) -> dict[int, list[Stage]]:
    """Return the stages of a file by the index of the stage each is built `FROM`."""
    found: dict[int, list[Stage]] = {}
    for s in stages:
        if s.parent is not None:
            found.setdefault(s.parent, []).append(s)
    return found


def _from_parts(instr: Instruction) -> tuple[str, str | None]:
    values = instr.values
    base = values[0] if values else ""
    name = values[2].lower() if len(values) >= 3 and values[1].lower() == "as" else None
    return base, name


def _references(instr: Instruction) -> list[str]:
    refs: list[str] = []
    if instr.kind in ("COPY", "ADD"):
        flag = instr.flag("from")
        if flag and flag.value:
            refs.append(flag.value.lower())
    for mount in instr.flags_named("mount"):
        for part in (mount.value or "").split(","):
            if part.startswith("from="):
                refs.append(part[5:].lower())
    return refs


def compute_facts(df: Dockerfile, context: BuildContext | None = None) -> Facts:
    """Return the stages of `df`, the stages other stages reference, and the context."""
    stages: list[Stage] = []
    current: list[Instruction] = []
    head: Instruction | None = None
    referenced: set[str] = set()
    by_name: dict[str, Stage] = {}  # the last stage of each name so far

    def close() -> None:
        if head is None:
            return
        base, name = _from_parts(head)
        if base.lower() in by_name:
            referenced.add(base.lower())
        # A stage built FROM an earlier one inherits its SHELL (the nearest of that name).
        parent = by_name.get(base.lower())
        entry = parent.shell if parent else DEFAULT_SHELL
        shells = [i for i in current if i.kind == "SHELL" and i.is_json]
        shell = shells[-1].values if shells else entry
        parent_index = parent.index if parent else None
        starts = tuple(i.span.start for i in shells)
        values = tuple(i.values for i in shells)
        stages.append(
            Stage(
                len(stages),
                name,
                base,
                head,
                tuple(current),
                shell,
                parent_index,
                entry,
                starts,
                values,
                frozenset([i.kind for i in current]),
            )
        )
        if name:
            by_name[name] = stages[-1]

    for instr in df.all_instructions:
        if instr.kind == "FROM":
            close()
            head, current = instr, []
            continue
        current.append(instr)
        if instr.flags:  # references are in `--from` and `--mount` flags: most have none
            referenced.update(_references(instr))
    close()
    starts = tuple(s.from_instr.span.start for s in stages)
    return Facts(tuple(stages), frozenset(referenced), context, starts, {})


def json_array(values: tuple[str, ...] | list[str]) -> str:
    """Return values as a Dockerfile JSON array, `["a", "b"]`, non-ASCII kept as is."""
    return "[" + ", ".join(map(quoted, values)) + "]"
