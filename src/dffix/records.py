"""`NamedTuple` for dffix's records, without typing's cost at import.

dffix defines about eighty small records, and every start of the command defines them
again. `typing.NamedTuple` checks each field's annotation: with postponed annotations
(`from __future__ import annotations`) every one is a string it compiles into a
ForwardRef, which made the records cost more to define than fixing a typical file
(cProfile of `dffix --diff FILE`: 80 classes, 57 ms of 166 ms profiled). This one builds
the same `collections.namedtuple` class from the same class statement (fields in order,
defaults, docstring, methods and properties, `__module__` and `__qualname__`) and keeps
the annotations as the strings they are; type checkers see `typing.NamedTuple`.

Only the class form is supported; the one other base allowed is Generic, as in typing.
tests/test_records.py builds classes both ways and compares them.

The few other typing names dffix needs at run time come from here too, so the command
never imports typing (about 5% of `dffix --diff FILE`'s instructions): TYPE_CHECKING
(mypy takes any `if TYPE_CHECKING:` as true), and TypeVar and Generic for annotations
only: at run time a TypeVar is its name and `Generic[T]` adds nothing to a record.
"""

from __future__ import annotations

import collections
from collections import namedtuple

TYPE_CHECKING = False  # mypy takes the branch below as true; nothing imports typing here
if TYPE_CHECKING:
    from typing import Generic as Generic, NamedTuple as NamedTuple, TypeVar as TypeVar
else:

    def TypeVar(name, *constraints, **options):
        """Stands in for typing.TypeVar in annotations (postponed: never evaluated)."""
        return name

    class Generic:
        """Stands in for typing.Generic as a record's second base: `Generic[T]` adds nothing."""

        def __class_getitem__(cls, params):
            return cls

    # The names typing.NamedTuple refuses to have replaced, and those it does not copy.
    _PROHIBITED = frozenset(
        {"__new__", "__init__", "__slots__", "__getnewargs__", "_fields", "_field_defaults"}
        | {"_make", "_replace", "_asdict", "_source"}
    )
    _SPECIAL = frozenset({"__module__", "__name__", "__annotations__"})

    class _RecordMeta(type):
        def __new__(cls, typename, bases, ns):
            others = tuple(base for base in bases if base is not _Record and base is not Generic)
            generic = None
            if others:  # `class X(NamedTuple, Generic[T])`, as typing allows
                from typing import Generic as generic

                if others != (generic,):
                    raise TypeError("can only inherit from a NamedTuple type and Generic")
            types = ns.get("__annotations__", {})
            default_names = []
            for name in types:
                if name in ns:
                    default_names.append(name)
                elif default_names:
                    raise TypeError(
                        f"Non-default namedtuple field {name} cannot follow default field"
                        f"{'s' if len(default_names) > 1 else ''} {', '.join(default_names)}"
                    )
            # namedtuple() compiles one `lambda` per class with eval (81 classes: 8.7% of a
            # typical `dffix --diff FILE`); _lambda_eval hands it the same function built
            # from one compiled template per field count.
            collections.eval = _lambda_eval
            try:
                record = namedtuple(
                    typename, list(types), defaults=[ns[n] for n in default_names], module=ns["__module__"]
                )
            finally:
                del collections.eval
            record.__annotations__ = record.__new__.__annotations__ = dict(types)
            if generic is not None:
                record.__bases__ = tuple(tuple if base is _Record else base for base in bases)
                record.__class_getitem__ = classmethod(generic.__class_getitem__.__func__)
            for key, value in ns.items():
                if key in _PROHIBITED:
                    raise AttributeError("Cannot overwrite NamedTuple attribute " + key)
                if key not in _SPECIAL and key not in record._fields:
                    setattr(record, key, value)
            if generic is not None:
                record.__init_subclass__()
            return record

    _Record = type.__new__(_RecordMeta, "NamedTuple", (), {})

    _TEMPLATES = {}  # field count -> the code of namedtuple's __new__ lambda, fields renamed
    _HEAD = "lambda _cls, "

    def _lambda_eval(source, namespace):
        """Evaluate namedtuple's `lambda _cls, a, b: _tuple_new(_cls, (a, b))`, or anything
        else with eval: the function is the template's code with the fields' names."""
        arg_list = source[len(_HEAD) : source.find(":")]
        if source != f"{_HEAD}{arg_list}: _tuple_new(_cls, ({arg_list}))":
            return eval(source, namespace)
        names = tuple(name.strip() for name in arg_list.split(",") if name.strip())
        code = _TEMPLATES.get(len(names))
        if code is None:
            params = "".join(f"_{i}, " for i in range(len(names)))
            template = f"{_HEAD}{params}: _tuple_new(_cls, ({params}))"
            code = _TEMPLATES[len(names)] = eval(template, {"__builtins__": {}}).__code__
        return type(_lambda_eval)(code.replace(co_varnames=("_cls", *names)), namespace)

    def NamedTuple(typename, fields=None, /, **kwargs):
        """Stands in for typing.NamedTuple in class statements only."""
        raise TypeError("dffix.records.NamedTuple is used as a base class only")

    NamedTuple.__mro_entries__ = lambda bases: (_Record,)
