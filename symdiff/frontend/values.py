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
* ``FunctionValue``: a ``def`` or ``lambda`` of the function being
  converted, inlined where it is called (``frontend.functions``);
* ``ObjectValue``: an object of a plain class or a dataclass passed as an
  argument: its fields, by name; ``NamedValue``: a named tuple (a tuple whose
  fields also have names).

``arguments`` builds the value of a parameter from its ``pytree`` tree;
``structure`` names what a value is for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import pytree
from ..errors import UnsupportedSyntaxError
from ..ir import Const, Span, Var, const_kind


class StaticOnly(UnsupportedSyntaxError):
    """What needs a value known when the code is generated got one known
    only when it runs (a container indexed by a loop index, a list that grows
    in a loop).  A ``for`` over a range with constant bounds is unrolled then."""


class ListValue(tuple):
    """A Python list whose length is known when the code is generated."""

    __slots__ = ()

    def __repr__(self):
        return f"ListValue({list(self)!r})"


class GeneratorValue(ListValue):
    """A generator expression: its items, taken by the first pass over it
    (``containers.sequence_of``); a second pass finds it empty, as in Python."""

    __slots__ = ()

    def __repr__(self):
        return f"GeneratorValue({list(self)!r})"


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

    def bounds(self) -> tuple:
        return (self.start, self.stop, self.step)

    def span(self):
        """The index item of ``x[s]`` and its operands (the given bounds)."""
        bounds = self.bounds()
        return Span(*(b is not None for b in bounds)), [b for b in bounds if b is not None]


@dataclass(frozen=True, slots=True, eq=False)
class FunctionValue:
    """A ``def`` or ``lambda`` nested in the function being converted.

    ``node`` is its AST (of the enclosing function's source), ``definer`` the
    converter it was defined in: its free names are read from that scope
    when it is called (Python's late binding).  ``defaults`` are the values
    of its default arguments, by parameter name, computed where it was
    defined (as Python does).  Equal only to itself.
    """

    node: object
    name: str
    definer: object
    defaults: tuple  # (parameter name, value) pairs


@dataclass(frozen=True, slots=True)
class ObjectValue:
    """An object of a plain class or a dataclass: its fields by name;
    ``origin`` is the object itself where it was read from a global or a
    closure (it then keys static dicts: ``idxs[layer]``)."""

    type: type
    keys: tuple
    values: tuple
    origin: object = field(default=None, compare=False)

    def get(self, key, default=None):
        for k, value in zip(self.keys, self.values):
            if k == key:
                return value
        return default


class NamedValue(tuple):
    """A named tuple: a tuple whose type (``named_type``) names its fields.

    Made per named-tuple class by ``named_value_type``, so that code which
    rebuilds a tuple with ``type(value)(items)`` keeps the class."""

    __slots__ = ()
    named_type: type = tuple

    def field(self, name, default=None):
        fields = self.named_type._fields
        return self[fields.index(name)] if name in fields else default


_NAMED_VALUE_TYPES: dict = {}


def named_value_type(cls) -> type:
    """The ``NamedValue`` subclass standing for the named tuple class ``cls``."""
    if cls not in _NAMED_VALUE_TYPES:
        _NAMED_VALUE_TYPES[cls] = type(
            f"{cls.__name__}Value", (NamedValue,), {"__slots__": (), "named_type": cls}
        )
    return _NAMED_VALUE_TYPES[cls]


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
    if pytree.is_named_tuple_type(tree.type):
        return named_value_type(tree.type)(items)
    if tree.type not in pytree.CONTAINERS:
        return ObjectValue(tree.type, tree.keys, items)
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
        return SliceValue(*(None if b is None else fn(b) for b in value.bounds()))
    if isinstance(value, tuple):
        return type(value)(map_atoms(v, fn) for v in value)
    return value


def atoms_in(value) -> list:
    """The atoms of a (structured) value, in order."""
    out = []
    map_atoms(value, lambda atom: out.append(atom) or atom)
    return out


def structure(value, kinds=None) -> str:
    """What ``value`` is, as an error message says it ("a list of 2 tuples
    of arrays"); ``kinds`` (name -> ``ir.Kind``, when known) tells floats
    from arrays."""
    return _phrase(value, kinds or {})[0]


def _phrase(value, kinds: dict) -> tuple:
    if isinstance(value, StaticValue):
        return pytree.static_phrase(value.value)
    if isinstance(value, FunctionValue):
        return (f"the function {value.name}", "functions")
    if isinstance(value, ObjectValue):
        return (f"a {value.type.__name__} object", f"{value.type.__name__} objects")
    if isinstance(value, NamedValue):
        name = value.named_type.__name__
        return (f"a {name} named tuple", f"{name} named tuples")
    if isinstance(value, Var):
        kind = kinds.get(value.name)
        return (
            ("a number or an array", "numbers or arrays")
            if kind is None
            else (pytree.leaf_phrase(kind))
        )
    if isinstance(value, Const):
        return pytree.leaf_phrase(const_kind(value.value))
    if isinstance(value, SliceValue):
        return ("a slice", "slices")
    if isinstance(value, DictValue):
        return pytree.container_phrase(
            "dict", [_phrase(v, kinds) for v in value.values], value.keys
        )
    name = "list" if isinstance(value, ListValue) else "tuple"
    return pytree.container_phrase(name, [_phrase(v, kinds) for v in value])


def numbers_only(value, kinds=None) -> bool:
    """Is ``value`` a (nested) tuple or list of numbers, which may have been
    meant as an array?"""
    if type(value) in (tuple, ListValue) and value:
        return all(numbers_only(v, kinds) for v in value)
    if isinstance(value, Const):
        return True
    kind = (kinds or {}).get(value.name) if isinstance(value, Var) else None
    return kind is not None and kind.rank == 0


def refusal(value, kinds=None) -> tuple:
    """The message and hint for a container or static value used where a
    number or an array is needed."""
    message = f"{structure(value, kinds)} cannot be used as a number or an array here"
    if isinstance(value, StaticValue):
        return message, (
            "None, strings and functions are fixed when the code is generated: test them "
            "(if mode == 'fast':) or call them, and pass numbers as floats or arrays"
        )
    if numbers_only(value, kinds):
        return (
            message,
            "pass an array instead (np.asarray(...) of it, before the call), or take its elements (xs[0])",
        )
    return message, "take its elements first (a, b = pair; params[0]; params['W'])"
