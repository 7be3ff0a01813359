"""`NamedTuple` for dffix's records, without typing's cost at import.

dffix defines about eighty small records, and every start of the command defines them
again. `typing.NamedTuple` checks each field's annotation: with postponed annotations
(`from __future__ import annotations`) every one is a string it compiles into a
ForwardRef, which made the records cost more to define than fixing a typical file
(cProfile of `dffix --diff FILE`: 80 classes, 57 ms of 166 ms profiled). This one builds
the class `collections.namedtuple` builds from the same class statement (fields in order,
defaults, docstring, methods and properties, `__module__` and `__qualname__`), in one
`type()` call, and keeps the annotations as the strings they are; type checkers see
`typing.NamedTuple`. namedtuple's `_make`, `_replace`, `__repr__`, `_asdict` and
`__getnewargs__` are closures made afresh for each class; here every record shares one of
each, which reads the fields from the record (their docstrings name no class).

Only the class form is supported; the one other base allowed is Generic, as in typing.
tests/test_records.py builds classes both ways and compares them.

`Enum` and `IntEnum` stand in for enum's the same way, for classes of plain members
(names and values, methods, no `auto()` or `_missing_`): enum.EnumType made each class in
about 80 us, and a start defines a dozen; type checkers see enum's classes.
tests/test_records.py holds the stand-ins to enum's behaviour. mypyc would make a record
or an enum of a compiled module itself, on typing's and enum's classes (the names mypy
gives the bases), so the modules setup.py compiles define none (dffix/rules/records.py).

The few other typing names dffix needs at run time come from here too, so the command
never imports typing (about 5% of `dffix --diff FILE`'s instructions): TYPE_CHECKING
(mypy takes any `if TYPE_CHECKING:` as true), and TypeVar and Generic for annotations
only: at run time a TypeVar is its name and `Generic[T]` adds nothing to a record.
"""

from __future__ import annotations

TYPE_CHECKING = False  # mypy takes the branch below as true; nothing imports typing here
if TYPE_CHECKING:
    from enum import Enum as Enum, IntEnum as IntEnum
    from typing import Generic as Generic, NamedTuple as NamedTuple, TypeVar as TypeVar
else:
    import sys
    from collections import _tuplegetter
    from types import MappingProxyType

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

    def _make(cls, iterable):
        result = tuple.__new__(cls, iterable)
        if len(result) != len(cls._fields):
            raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
        return result

    def _replace(self, /, **kwds):
        result = self._make(map(kwds.pop, self._fields, self))
        if kwds:
            raise ValueError(f"Got unexpected field names: {list(kwds)!r}")
        return result

    def __repr__(self):
        shown = "(" + ", ".join(f"{name}=%r" for name in self._fields) + ")"
        return self.__class__.__name__ + shown % self

    def _asdict(self):
        return dict(zip(self._fields, self, strict=False))  # as namedtuple's: no check

    def __getnewargs__(self):
        return tuple(self)

    _make.__doc__ = "Make a new record from a sequence or iterable"
    _replace.__doc__ = "Return a new record replacing specified fields with new values"
    __repr__.__doc__ = "Return a nicely formatted representation string"
    _asdict.__doc__ = "Return a new dict which maps field names to their values."
    __getnewargs__.__doc__ = "Return self as a plain tuple.  Used by copy and pickle."
    # namedtuple's methods, once for every record: they read the fields from the class
    _METHODS = {
        "_make": classmethod(_make),
        "_replace": _replace,
        "__repr__": __repr__,
        "_asdict": _asdict,
        "__getnewargs__": __getnewargs__,
    }
    _GETTERS = []  # field index -> namedtuple's getter for it (it holds no class)
    _TEMPLATES = {}  # field count -> the code of namedtuple's `__new__` lambda, fields renamed
    _HEAD = "lambda _cls, "

    def _new(typename, names, defaults):
        """namedtuple's `lambda _cls, a, b: _tuple_new(_cls, (a, b))`, from one compiled
        template per field count (namedtuple compiles one per class with eval)."""
        code = _TEMPLATES.get(len(names))
        if code is None:
            params = "".join(f"_{i}, " for i in range(len(names)))
            template = f"{_HEAD}{params}: _tuple_new(_cls, ({params}))"
            code = _TEMPLATES[len(names)] = eval(template, {"__builtins__": {}}).__code__
        namespace = {"_tuple_new": tuple.__new__, "__builtins__": {}, "__name__": f"namedtuple_{typename}"}
        new = type(_new)(code.replace(co_varnames=("_cls", *names)), namespace)
        arg_list = ", ".join(names) + ("," if len(names) == 1 else "")
        new.__name__ = "__new__"
        new.__qualname__ = f"{typename}.__new__"
        new.__doc__ = f"Create new instance of {typename}({arg_list})"
        new.__defaults__ = defaults
        return new, arg_list

    class _RecordMeta(type):
        def __new__(cls, typename, bases, ns):
            others = tuple(base for base in bases if base is not _Record and base is not Generic)
            generic = None
            if others:  # `class X(NamedTuple, Generic[T])`, as typing allows
                from typing import Generic as generic

                if others != (generic,):
                    raise TypeError("can only inherit from a NamedTuple type and Generic")
            types = ns.get("__annotations__", {})
            names = tuple(map(sys.intern, types))
            default_names = []
            for name in names:
                if name in ns:
                    default_names.append(name)
                elif default_names:
                    raise TypeError(
                        f"Non-default namedtuple field {name} cannot follow default field"
                        f"{'s' if len(default_names) > 1 else ''} {', '.join(default_names)}"
                    )
            for name in names:  # typing checks the defaults first, then namedtuple the names
                if name.startswith("_"):
                    raise ValueError(f"Field names cannot start with an underscore: {name!r}")
            # The class namedtuple() makes, in one type() call: namedtuple makes the class
            # and its methods afresh (a closure each, one eval), then the class statement's
            # names are set on it one by one, which cost 60 us a record, 5 ms a start.
            typename = sys.intern(typename)
            new, arg_list = _new(typename, names, tuple(ns[n] for n in default_names))
            body = {
                "__doc__": f"{typename}({arg_list})",
                "__slots__": (),
                "_fields": names,
                "_field_defaults": {n: ns[n] for n in default_names},
                "__new__": new,
                **_METHODS,
                "__match_args__": names,
            }
            while len(_GETTERS) < len(names):
                index = len(_GETTERS)
                _GETTERS.append(_tuplegetter(index, sys.intern(f"Alias for field number {index}")))
            body.update(zip(names, _GETTERS, strict=False))  # _GETTERS may be longer
            for key, value in ns.items():
                if key in _PROHIBITED:
                    raise AttributeError("Cannot overwrite NamedTuple attribute " + key)
                if key not in _SPECIAL and key not in names:
                    body[key] = value
            body["__module__"] = ns["__module__"]
            body["__annotations__"] = new.__annotations__ = dict(types)
            record = type.__new__(type, typename, (tuple,), body)
            if generic is not None:
                record.__bases__ = tuple(tuple if base is _Record else base for base in bases)
                record.__class_getitem__ = classmethod(generic.__class_getitem__.__func__)
                record.__init_subclass__()
            return record

    _Record = type.__new__(_RecordMeta, "NamedTuple", (), {})

    def NamedTuple(typename, fields=None, /, **kwargs):
        """Stands in for typing.NamedTuple in class statements only."""
        raise TypeError("dffix.records.NamedTuple is used as a base class only")

    NamedTuple.__mro_entries__ = lambda bases: (_Record,)

    class _EnumMeta(type):
        """Makes the members of an Enum class statement: what enum.EnumType does for a
        class of plain members (about 80 us a class at import; this, about 15)."""

        def __new__(cls, typename, bases, ns):
            members, body = [], {}  # members: plain names, not descriptors (methods, properties)
            for key, value in ns.items():
                if key[0] == "_" or hasattr(value, "__get__"):
                    body[key] = value
                else:
                    members.append((key, value))
            enum_class = type.__new__(cls, typename, bases, body)
            if not members:  # Enum and IntEnum themselves
                return enum_class
            if any(base._member_names_ for base in bases if isinstance(base, _EnumMeta)):
                raise TypeError(f"{typename}: cannot extend an enumeration with members")
            new = int.__new__ if issubclass(enum_class, int) else None
            names, by_name, by_value = [], {}, {}
            for name, value in members:
                member = by_value.get(value)  # a second name for a value is an alias of the first
                if member is None:
                    member = new(enum_class, value) if new is not None else object.__new__(enum_class)
                    member._name_, member._value_ = name, value
                    names.append(name)
                    by_value[value] = member
                type.__setattr__(enum_class, name, member)
                by_name[name] = member
            enum_class._member_names_ = names
            enum_class._member_map_ = by_name
            enum_class._value2member_map_ = by_value
            return enum_class

        def __call__(cls, value):
            if isinstance(value, cls):
                return value
            try:
                return cls._value2member_map_[value]
            except (KeyError, TypeError):
                raise ValueError(f"{value!r} is not a valid {cls.__qualname__}") from None

        def __iter__(cls):
            return (cls._member_map_[name] for name in cls._member_names_)

        def __reversed__(cls):
            return (cls._member_map_[name] for name in reversed(cls._member_names_))

        def __len__(cls):
            return len(cls._member_names_)

        def __contains__(cls, member):
            return isinstance(member, cls) and member._name_ in cls._member_map_

        def __getitem__(cls, name):
            return cls._member_map_[name]

        @property
        def __members__(cls):
            return MappingProxyType(cls._member_map_)

        def __repr__(cls):
            return f"<enum {cls.__name__!r}>"

    class Enum(metaclass=_EnumMeta):
        """Stands in for enum.Enum: members with `name` and `value`, looked up by value."""

        _member_names_ = ()

        @property
        def name(self):
            return self._name_

        @property
        def value(self):
            return self._value_

        def __repr__(self):
            return f"<{type(self).__name__}.{self._name_}: {self._value_!r}>"

        def __str__(self):
            return f"{type(self).__name__}.{self._name_}"

        def __format__(self, spec):
            return format(str(self), spec)

        def __hash__(self):
            return hash(self._name_)

        def __reduce_ex__(self, protocol):
            return type(self), (self._value_,)

        def __copy__(self):
            return self

        def __deepcopy__(self, memo):
            return self

    class IntEnum(int, Enum):
        """Stands in for enum.IntEnum: members are ints, and print as theirs (3.11)."""

        __repr__ = Enum.__repr__  # int's comes first in the MRO
        __str__ = int.__repr__
        __format__ = int.__format__
        __hash__ = int.__hash__
        __reduce_ex__ = Enum.__reduce_ex__
