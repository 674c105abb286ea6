"""Immutable records with keyword-only constructors, light enough for start-up paths.

A frozen dataclass costs 5-6 M instructions to create at import on Python 3.11-3.13
(its methods are generated with ``exec``); a class with ``__slots__`` and a written
``__init__`` costs about 0.08 M. The records on the start-up paths (layers, blocks,
costs) derive from :class:`Record`, which gives them equality, hashing, a repr and
:meth:`~Record.replace` from their ``__slots__``, and refuses assignment after
construction. Off the start-up paths a frozen dataclass is just as good.

>>> class Point(Record):
...     __slots__ = ("x", "y")
...     def __init__(self, *, x: int, y: int = 0) -> None:
...         init(self, x=x, y=y)
>>> p = Point(x=1)
>>> p, p == Point(x=1, y=0), p.replace(y=2)
(Point(x=1, y=0), True, Point(x=1, y=2))
>>> p.x = 5
Traceback (most recent call last):
...
AttributeError: Point is immutable: use replace(x=...)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self

__all__ = ["Record", "init", "setter"]

_set = object.__setattr__


def init(record: Record, **values: Any) -> None:
    """Set a record's fields in its ``__init__`` (the only place they are set)."""
    for name, value in values.items():
        _set(record, name, value)


def setter(cls: type[Record], name: str) -> Callable[[Any, Any], None]:
    """The setter of one of a record class's slots, for the ``__init__`` of a record
    made by the thousand (a batch line makes several): it skips the look-up by name of
    ``object.__setattr__``, a third of the cost of a field.

    >>> class Pair(Record):
    ...     __slots__ = ("a", "b")
    >>> set_a, set_b = setter(Pair, "a"), setter(Pair, "b")
    >>> pair = Pair.__new__(Pair); set_a(pair, 1); set_b(pair, 2); pair
    Pair(a=1, b=2)
    """
    descriptor = cls.__dict__[name]
    setter: Callable[[Any, Any], None] = descriptor.__set__
    return setter


class Record:
    """The base of convcalc's immutable records: fields are the class's ``__slots__``;
    a slot whose name starts with ``_`` holds a value derived from them (set by the
    constructor, left out of equality and :meth:`replace`)."""

    __slots__: tuple[str, ...] = ()
    _names: tuple[str, ...] = ()

    def __init_subclass__(cls) -> None:
        cls._names = tuple(name for name in cls.__slots__ if not name.startswith("_"))

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._names)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: use replace({name}=...)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash((type(self), self._fields()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._names)
        return f"{type(self).__name__}({fields})"

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed, checked by the constructor as any new one is."""
        values = {name: getattr(self, name) for name in self._names}
        values.update(changes)
        return type(self)(**values)
