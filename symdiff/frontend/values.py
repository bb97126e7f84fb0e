"""What a Python name can hold while a function is converted.

An IR atom (``Var``, ``Const``) is a value the generated code computes.
Everything else exists only at specialisation time, where its structure is
known, and is taken apart by the converter:

* ``tuple``: a tuple of values (tuple literals, helpers returning tuples);
* ``ListValue``: a list of values.  A tuple subclass: it unpacks, indexes and
  joins like a tuple; ``.append`` binds the name to a longer list;
* ``DictValue``: a dict of values with static keys;
* ``StaticValue``: a Python object fixed at specialisation: ``None``, a
  string, a function passed as an argument (``activation=np.tanh``);
* ``SliceValue``: a slice object (``s = slice(a, b)``) whose bounds are
  atoms or None; used as an index it is the ``ir.Span`` of ``x[a:b]``.

``arguments`` builds the value of a parameter from its ``pytree`` tree;
``structure`` names what a value is for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import pytree
from ..ir import Const, Span, Var


class ListValue(tuple):
    """A Python list whose length is known when the code is generated."""

    __slots__ = ()

    def __repr__(self):
        return f"ListValue({list(self)!r})"


@dataclass(frozen=True, slots=True)
class DictValue:
    """A Python dict with keys known when the code is generated."""

    keys: tuple
    values: tuple

    def get(self, key, default=None):
        for k, value in zip(self.keys, self.values):
            if k == key and type(k) is type(key):
                return value
        return default

    def items(self):
        return zip(self.keys, self.values)


@dataclass(frozen=True, slots=True)
class StaticValue:
    """A Python object fixed at specialisation (``None``, a string, a function)."""

    value: object

    def __eq__(self, other):
        return isinstance(other, StaticValue) and self.value is other.value

    def __hash__(self):
        return id(self.value)


@dataclass(frozen=True, slots=True)
class SliceValue:
    """``slice(start, stop, step)``: each bound an atom, or None where left out."""

    start: object = None
    stop: object = None
    step: object = None

    def span(self):
        """The index item of ``x[s]`` and its operands (the given bounds)."""
        bounds = (self.start, self.stop, self.step)
        return Span(*(b is not None for b in bounds)), [b for b in bounds if b is not None]


def is_atom(value) -> bool:
    return isinstance(value, (Var, Const))


def structured(value) -> bool:
    """Is ``value`` a container or a static object rather than an IR atom?"""
    return not is_atom(value)


def argument(tree, names) -> object:
    """The value of a parameter described by ``tree`` whose leaves are the
    parameters ``names`` (an iterator, consumed in ``pytree.flatten`` order)."""
    if isinstance(tree, pytree.Leaf):
        return Var(next(names))
    if isinstance(tree, pytree.Static):
        return StaticValue(tree.value)
    items = tuple(argument(child, names) for child in tree.children)
    if tree.type is dict:
        return DictValue(tree.keys, items)
    return ListValue(items) if tree.type is list else items


def map_atoms(value, fn):
    """``value`` with each atom ``a`` in it replaced by ``fn(a)``."""
    if is_atom(value):
        return fn(value)
    if isinstance(value, DictValue):
        return DictValue(value.keys, tuple(map_atoms(v, fn) for v in value.values))
    if isinstance(value, SliceValue):
        bounds = (value.start, value.stop, value.step)
        return SliceValue(*(None if b is None else fn(b) for b in bounds))
    if isinstance(value, tuple):
        return type(value)(map_atoms(v, fn) for v in value)
    return value


def structure(value) -> str:
    """What ``value`` is, as an error message says it ("a list of 2 tuples")."""
    if isinstance(value, StaticValue):
        return (
            "None" if value.value is None else f"the {type(value.value).__name__} {value.value!r}"
        )
    if is_atom(value):
        return "a number or an array"
    if isinstance(value, SliceValue):
        return "a slice"
    if isinstance(value, DictValue):
        return f"a dict with keys {', '.join(map(repr, value.keys)) or '(none)'}"
    name = "list" if isinstance(value, ListValue) else "tuple"
    kinds = {structure(v) for v in value}
    if len(kinds) == 1 and value:
        inner = kinds.pop().removeprefix("a ").removeprefix("an ")
        inner = "numbers or arrays" if inner == "number or an array" else inner + "s"
        return f"a {name} of {len(value)} {inner}"
    return f"a {name} of {len(value)} values"
