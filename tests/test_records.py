"""dffix.records.NamedTuple builds the same classes as typing.NamedTuple, cheaper."""

from __future__ import annotations

import ast
import importlib
import pickle
import pkgutil
import sys
import typing
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import dffix
from dffix import records
from tests.helpers import compiled, loaded_by_a_diff


def _build(base: Any) -> dict[str, Any]:
    """Define the same records on `base` (typing's or dffix's NamedTuple)."""

    class Plain(base):  # type: ignore[misc]
        a: int
        b: str

    class WithDefaults(base):  # type: ignore[misc]
        """A record with a docstring, defaults, a method, a property and a class attribute."""

        a: int
        b: tuple[str, ...] = ()
        c: str | None = None
        KIND = "kind"

        @property
        def size(self) -> int:
            return self.a + len(self.b)

        def shown(self) -> str:
            return f"{self.a}:{self.c}"

    class Empty(base):  # type: ignore[misc]
        pass

    return {"Plain": Plain, "WithDefaults": WithDefaults, "Empty": Empty}


def _same(mine: type, theirs: type) -> None:
    assert issubclass(mine, tuple)
    assert mine.__bases__ == theirs.__bases__ == (tuple,)
    assert mine._fields == theirs._fields  # type: ignore[attr-defined]
    assert mine._field_defaults == theirs._field_defaults  # type: ignore[attr-defined]
    assert mine.__doc__ == theirs.__doc__
    assert mine.__module__ == theirs.__module__
    assert mine.__qualname__.rsplit(".", 1)[-1] == theirs.__qualname__.rsplit(".", 1)[-1]
    assert list(mine.__annotations__) == list(theirs.__annotations__)
    own = {k for k in vars(theirs) if not k.startswith("__") or k in ("__doc__", "__orig_bases__")}
    assert own == {k for k in vars(mine) if not k.startswith("__") or k in ("__doc__", "__orig_bases__")}


def test_the_same_classes_as_typing() -> None:
    theirs = _build(typing.NamedTuple)
    mine = _build(records.NamedTuple)
    for name in theirs:
        _same(mine[name], theirs[name])
    a, b = mine["WithDefaults"](1, ("x",)), theirs["WithDefaults"](1, ("x",))
    assert a == b == (1, ("x",), None)
    assert repr(a).replace("WithDefaults", "") == repr(b).replace("WithDefaults", "")
    assert (a.size, a.shown(), a.KIND) == (b.size, b.shown(), b.KIND) == (2, "1:None", "kind")
    assert a._replace(c="z") == (1, ("x",), "z")
    assert a._asdict() == b._asdict()
    assert mine["Plain"]._make([1, "b"]) == (1, "b")
    with pytest.raises(TypeError):
        mine["Plain"](1)
    with pytest.raises(AttributeError):
        a.a = 2


def test_the_shared_methods_answer_as_namedtuples_own() -> None:
    """Every record shares one _make, _replace, __repr__ and _asdict: same answers, same errors."""
    theirs, mine = _build(typing.NamedTuple), _build(records.NamedTuple)
    for name in ("Plain", "WithDefaults"):
        values = [1, ("x",), "z"][: len(theirs[name]._fields)]
        a, b = mine[name]._make(values), theirs[name]._make(values)
        assert (type(a), a) == (mine[name], b)
        assert repr(a) == repr(b) and a._asdict() == b._asdict()
        assert mine[name].__match_args__ == theirs[name].__match_args__ == mine[name]._fields
        for field in mine[name]._fields:
            assert getattr(mine[name], field).__doc__ == getattr(theirs[name], field).__doc__

        def too_long(record: Any) -> None:
            record._make([1, 2, 3, 4])

        def unknown_field(record: Any) -> None:
            record._make([1, ("x",), "z"][: len(record._fields)])._replace(zz=1)

        for call in (too_long, unknown_field):
            with pytest.raises((TypeError, ValueError)) as mine_error:
                call(mine[name])
            with pytest.raises((TypeError, ValueError)) as their_error:
                call(theirs[name])
            assert (mine_error.type, str(mine_error.value)) == (their_error.type, str(their_error.value))
    for base in (typing.NamedTuple, records.NamedTuple):  # the order typing checks in
        with pytest.raises(TypeError, match="Non-default namedtuple field b cannot follow default field _a"):

            class Both(base):  # type: ignore[misc, valid-type]
                _a: int = 0
                b: int

    with pytest.raises(ValueError, match="Field names cannot start with an underscore: '_a'"):

        class Hidden(records.NamedTuple):
            _a: int  # type: ignore[misc]


def test_refuses_what_typing_refuses() -> None:
    for base in (typing.NamedTuple, records.NamedTuple):
        with pytest.raises(TypeError, match="Non-default namedtuple field b cannot follow default field a"):

            class Late(base):  # type: ignore[misc, valid-type]
                a: int = 0
                b: int

        with pytest.raises(AttributeError, match="Cannot overwrite NamedTuple attribute _replace"):

            class Replaced(base):  # type: ignore[misc, valid-type]
                a: int

                def _replace(self) -> None:
                    pass

        with pytest.raises(TypeError):

            class TwoBases(base, int):  # type: ignore[misc, valid-type]
                a: int

    with pytest.raises(TypeError):
        records.NamedTuple("Functional", [("a", int)])


def test_a_generic_record_as_typing_builds_it() -> None:
    T = typing.TypeVar("T")

    def build(base: Any) -> type:
        class Box(base, typing.Generic[T]):  # type: ignore[misc]
            item: T

        return Box

    mine, theirs = build(records.NamedTuple), build(typing.NamedTuple)
    assert mine.__bases__ == theirs.__bases__ == (tuple, typing.Generic)
    assert mine[int](3) == theirs[int](3) == (3,)  # type: ignore[index]
    assert mine.__parameters__ == theirs.__parameters__ == (T,)  # type: ignore[attr-defined]


def _modules() -> list[ModuleType]:
    names = [m.name for m in pkgutil.walk_packages(dffix.__path__, "dffix.")]
    return [importlib.import_module(name) for name in names if name.split(".")[1] not in ("server", "prove")]


def test_every_dffix_record_uses_the_cheap_base_and_pickles() -> None:
    found: list[type] = []
    for module in _modules():
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and value.__bases__ in ((tuple,), (tuple, typing.Generic))
                and value.__module__ == module.__name__
            ):
                found.append(value)
    assert len(found) > 60
    for record in found:
        assert hasattr(record, "_fields"), record
        assert list(record.__annotations__) == list(record._fields), record
        # Records cross process boundaries (--jobs): a class pickles by module and name.
        assert getattr(sys.modules[record.__module__], record.__name__) is record


_ROOT = Path(__file__).resolve().parents[1]


def _compiled() -> list[str]:
    """The files setup.py compiles with mypyc (`src/dffix/...py`, read, not imported)."""
    tree = ast.parse((_ROOT / "setup.py").read_text())
    listed = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["COMPILED"]
    )
    return list(ast.literal_eval(listed))


_RECORD_BASES = frozenset({"NamedTuple", "Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"})


def test_no_compiled_module_defines_a_record_or_an_enum() -> None:
    """mypyc would build them with typing's NamedTupleMeta and enum's EnumType (about 90
    and 80 us a class, and an import of typing): a compiled module imports its records
    from a pure one (dffix/rules/records.py says why). Any class statement counts, nested
    or under a branch, whatever the base is spelled (`records.NamedTuple`, `enum.Flag`)."""
    sources = [_ROOT / path for path in _compiled()]
    assert len(sources) > 20 and all(path.is_file() for path in sources)
    offenders = [
        f"{path.name}:{node.lineno}: {node.name}"
        for path in sources
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ClassDef)
        and any(ast.unparse(base).split("[")[0].rsplit(".", 1)[-1] in _RECORD_BASES for base in node.bases)
    ]
    assert offenders == []


def _is_record_or_enum(value: object) -> bool:
    import enum

    return isinstance(value, type) and (
        (issubclass(value, tuple) and hasattr(value, "_fields"))
        or isinstance(value, (enum.EnumMeta, type(records.Enum)))
    )


def test_the_records_of_a_compiled_module_are_made_by_dffix_records_in_a_pure_one() -> None:
    """What the compiled modules define, and what they hand out under their own names."""
    own: list[str] = []
    handed_out = 0
    for path in _compiled():
        module = importlib.import_module(path.removeprefix("src/").removesuffix(".py").replace("/", "."))
        for value in vars(module).values():
            if not _is_record_or_enum(value):
                continue
            if value.__module__ == module.__name__:
                own.append(f"{module.__name__}.{value.__name__}")
                continue
            handed_out += 1
            assert not compiled(sys.modules[value.__module__]), value
            if issubclass(value, tuple):  # one of dffix.records' records, not namedtuple's
                assert vars(value)["__repr__"] is vars(records)["_METHODS"]["__repr__"], value
            else:
                assert type(value) is type(records.Enum), value
    assert own == []
    assert handed_out > 40


def test_no_record_on_the_hot_path_pays_for_typing_namedtuple() -> None:
    """Every module the command loads defines its records with dffix.records."""
    offenders: list[str] = []
    for module in _modules():
        if getattr(module, "NamedTuple", None) is typing.NamedTuple:
            offenders.append(module.__name__)
    assert offenders == []


def test_a_record_round_trips_through_pickle() -> None:
    from dffix.edits import Edit

    edit = Edit(1, 3, "x")
    again = pickle.loads(pickle.dumps(edit))
    assert again == edit and type(again) is Edit


def test_the_stand_ins_for_typevar_and_generic_add_nothing_at_run_time() -> None:
    from dffix.rules import pm

    assert records.TypeVar("V") == "V"  # type: ignore[comparison-overlap]
    assert pm._Index.__bases__ == (tuple,)
    assert pm._Index._fields == ("starts", "values", "inherited", "final")


def test_the_command_never_imports_typing(tmp_path: Path) -> None:
    """A whole `--diff` run over a file using every rule module, without a config file."""
    text = (
        "FROM python:3.12\nRUN apt-get update && apt-get install -y gcc\nCOPY . /app\n"
        "RUN pip install -r /app/requirements.txt\nCMD python /app/main.py\n"
    )
    assert loaded_by_a_diff(tmp_path, text, ("typing", "dataclasses")) == []


def test_every_records_new_is_the_function_namedtuples_eval_makes() -> None:
    import inspect

    records_found = [
        value
        for module in _modules()
        for value in vars(module).values()
        if isinstance(value, type) and value.__bases__ == (tuple,) and hasattr(value, "_fields")
    ]
    for record in (*records_found, *_build(records.NamedTuple).values()):
        fields = record._fields
        arg_list = ", ".join(fields) + ("," if len(fields) == 1 else "")
        namespace = {
            "_tuple_new": tuple.__new__,
            "__builtins__": {},
            "__name__": f"namedtuple_{record.__name__}",
        }
        real = eval(f"lambda _cls, {arg_list}: _tuple_new(_cls, ({arg_list}))", namespace)
        mine = record.__new__
        for attr in ("co_code", "co_consts", "co_names", "co_varnames", "co_argcount", "co_flags", "co_name"):
            assert getattr(mine.__code__, attr) == getattr(real.__code__, attr), (record, attr)
        assert mine.__globals__ == namespace, record
        assert (mine.__name__, mine.__doc__) == (
            "__new__",
            f"Create new instance of {record.__name__}({arg_list})",
        )
        assert list(inspect.signature(mine).parameters) == ["_cls", *fields], record
        assert mine.__defaults__ == tuple(record._field_defaults.values()), record
    assert not hasattr(__import__("collections"), "eval")  # namedtuple's own eval is back


def _enums(enum_base: Any, int_base: Any) -> tuple[Any, Any]:
    """The same two enums on enum's classes or on dffix's stand-ins."""

    class Color(enum_base):  # type: ignore[misc]
        """A plain enum, with an alias, a method and a property."""

        RED = "red"
        GREEN = "green"
        CRIMSON = "red"  # an alias of RED

        def shout(self) -> str:
            return self.value.upper()  # type: ignore[no-any-return]

        @property
        def first(self) -> str:
            return self.name[0]  # type: ignore[no-any-return]

    class Level(int_base):  # type: ignore[misc]
        LOW = 0
        HIGH = 2

    return Color, Level


def test_the_enum_stand_ins_behave_as_enums_own() -> None:
    import copy
    import enum

    theirs, mine = _enums(enum.Enum, enum.IntEnum), _enums(records.Enum, records.IntEnum)
    for their, my in zip(theirs, mine, strict=True):
        assert [m.name for m in my] == [m.name for m in their] and len(my) == len(their)
        assert [m.value for m in my] == [m.value for m in their]
        assert list(my.__members__) == list(their.__members__)
        assert type(my.__members__) is type(their.__members__)
        assert [m.name for m in reversed(my)] == [m.name for m in reversed(their)]
        for a, b in zip(my, their, strict=True):
            assert (repr(a), str(a), f"{a}", f"{a:>12}") == (repr(b), str(b), f"{b}", f"{b:>12}")
            assert my(a.value) is a and my(a) is a and my[a.name] is a and a in my
            assert copy.copy(a) is a and copy.deepcopy(a) is a
            assert hash(a) == hash(b) and bool(a) == bool(b)
        with pytest.raises(ValueError) as mine_error:
            my("no such value")
        with pytest.raises(ValueError) as their_error:
            their("no such value")
        assert str(mine_error.value).replace("._enums.<locals>", "") == str(their_error.value).replace(
            "._enums.<locals>", ""
        )
    from dffix.edits import Applicability
    from dffix.syntax.tree import Form

    for member in (*Applicability, *Form):  # results cross processes (--jobs) pickled
        assert pickle.loads(pickle.dumps(member)) is member
    color, level = mine
    assert color.CRIMSON is color.RED and color("red") is color.RED and color.GREEN.shout() == "GREEN"
    assert color.GREEN.first == "G" and color.RED is not color.GREEN and color.RED != "red"
    assert level.HIGH == 2 and level.LOW < level.HIGH and max(level) is level.HIGH and not level.LOW
    assert level(2) is level.HIGH and isinstance(level.HIGH, int) and level.HIGH + 1 == 3


def test_no_module_of_the_command_defines_an_enum_with_enums_own_class() -> None:
    import enum

    for module in _modules():
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == module.__name__:
                assert not issubclass(value, enum.Enum), value
