"""Arguments as trees: tuples, lists and dicts (nested) of numbers and arrays.

A *pytree* argument (``params = [(W1, b1), (W2, b2)]``) is described by a
hashable tree (``describe``): ``Node`` for a container (its type, its keys
and its children), ``Leaf`` for a number or an array (its ``ir.Kind``: one
parameter of the generated code), ``Static`` for a value fixed at
specialisation (``None``, a string, a function such as ``np.tanh``).  The
tree is part of the specialisation signature: a container whose structure
changes between calls gets a new specialisation.

The generated code takes the leaves one by one (``flatten``); a gradient
comes back in the argument's own structure (``unflatten``), as in JAX.  Named
tuples keep their class; objects of plain classes and dataclasses
(``model.W``, ``model.b``) are nodes of their fields (``record_fields``), and
their gradient is an object of the same class holding the fields'
gradients, as JAX does for registered pytrees.  Dict
entries are taken in the dict's own order, the order the function iterates
over them in; the gradient dict has it too.
"""

from __future__ import annotations

import copy
import dataclasses
import keyword
import numbers
import re
import types
from dataclasses import dataclass

import numpy as np

from .ir import BOOL, FLOAT, INT, Kind

CONTAINERS = (tuple, list, dict)
GENERATORS = (np.random.RandomState, np.random.Generator)  # random generators: static values


@dataclass(frozen=True, slots=True)
class Leaf:
    """A number or an array: one parameter of the generated code."""

    kind: Kind


@dataclass(frozen=True, slots=True)
class Static:
    """A value fixed at specialisation: ``None``, a string, a function, a
    module, a class, a random generator.  Equal when it is the same object
    (or an equal string; a generator of the same type: the code reads the
    generator it is given at each call)."""

    value: object

    def __eq__(self, other):
        return isinstance(other, Static) and (
            self.value is other.value
            or (type(self.value) is str is type(other.value) and self.value == other.value)
            or (isinstance(self.value, GENERATORS) and type(self.value) is type(other.value))
        )

    def __hash__(self):
        if isinstance(self.value, GENERATORS):
            return hash(type(self.value))
        return hash(self.value) if isinstance(self.value, str) else id(self.value)


@dataclass(frozen=True, slots=True)
class Node:
    """A tuple, list, dict, named tuple or object: ``keys`` are the dict's
    keys (the object's field names) in the order its ``children`` are taken
    (indices for tuples, lists and named tuples)."""

    type: type
    keys: tuple
    children: tuple


class NotALeaf(Exception):
    """A value that is neither a container, a number, an array nor a static
    value (the caller words the error)."""

    def __init__(self, value, path):
        self.value, self.path = value, path


# The exact types of scalars whose type alone is their specialisation key.
SCALAR_TYPES = frozenset({float, int, bool, np.float64, np.float32, np.int64, np.int32, np.bool_})


def array_key(array) -> tuple:
    """An array's specialisation key: rank, dtype, and the axes of size 1
    (which broadcast, so their adjoints are summed); arrays of any other
    sizes share one specialisation."""
    shape = array.shape
    if 1 in shape:
        return (array.ndim, array.dtype.char, tuple(size == 1 for size in shape))
    return (array.ndim, array.dtype.char)


def leaf_kind(value) -> Kind | None:
    """The kind of a number or array (None for anything else)."""
    if isinstance(value, (bool, np.bool_)):
        return BOOL
    if isinstance(value, (numbers.Integral, np.integer)):
        return INT
    if isinstance(value, (numbers.Real, np.floating)):
        return FLOAT
    if isinstance(value, np.ndarray):
        for dtype, base in (("float", np.floating), ("int", np.integer), ("bool", np.bool_)):
            if np.issubdtype(value.dtype, base):
                unit = tuple(i for i, size in enumerate(value.shape) if size == 1)
                return Kind(dtype, value.ndim, unit)
    return None


def is_static(value) -> bool:
    """Values fixed at specialisation rather than passed to the generated
    code: ``None``, strings, modules, and functions (``np.tanh``, ``relu``)."""
    if value is None or isinstance(value, (str, types.ModuleType, *GENERATORS)):
        return True
    return callable(value) and not isinstance(value, (*CONTAINERS, np.ndarray))


def is_named_tuple_type(kind_of) -> bool:
    return isinstance(kind_of, type) and issubclass(kind_of, tuple) and hasattr(kind_of, "_fields")


# Objects that are not records even though they have a ``__dict__``.
_NOT_RECORDS = (
    type,
    types.ModuleType,
    types.FunctionType,
    types.MethodType,
    types.BuiltinFunctionType,
)


# Libraries whose objects (ufuncs, partials, generators) are never records.
_LIBRARIES = ("builtins", "functools", "numpy", "scipy", "numba", "sympy")


def record_fields(value) -> dict | None:
    """The fields of an object of a plain Python class or a dataclass (by
    name), or None for anything else.  Functions, classes, modules and
    objects without a ``__dict__`` (or with an empty one) are not records, nor
    are wrappers of functions (``__wrapped__``: users' rules, ``symdiff.custom_vjp``)."""
    if (
        isinstance(value, _NOT_RECORDS)
        or hasattr(value, "py_func")
        or hasattr(value, "__wrapped__")
    ):
        return None
    kind_of = type(value)
    if kind_of.__module__.partition(".")[0] in _LIBRARIES or not hasattr(value, "__dict__"):
        return None
    if dataclasses.is_dataclass(value):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    fields = vars(value)
    return dict(fields) if fields else None


def mapping_keys(mapping: dict) -> tuple:
    """A dict's keys in its own order, the order code that iterates over it
    sees (``d.values()``, ``for k in d``); a dict with the same keys in
    another order is another specialisation."""
    return tuple(mapping)


def describe(value, path="", within=()) -> Leaf | Static | Node:
    """The tree of ``value``; ``NotALeaf`` for a value of no kind, or for a
    container or object that contains itself (``within``: the ids of the
    values it is inside)."""
    kind = leaf_kind(value)
    if kind is not None:
        return Leaf(kind)
    if isinstance(value, np.ndarray):
        raise NotALeaf(value, path)
    kind_of = type(value)
    if kind_of in CONTAINERS or (isinstance(value, tuple) and not hasattr(value, "_fields")):
        if isinstance(value, dict):
            keys = mapping_keys(value)
            items = [value[k] for k in keys]
        else:
            keys = tuple(range(len(value)))
            items = list(value)
        within = _entered(value, path, within)
        children = tuple(describe(v, f"{path}[{k!r}]", within) for k, v in zip(keys, items))
        return Node(kind_of if kind_of in CONTAINERS else tuple, keys, children)
    if is_named_tuple_type(kind_of):
        within = _entered(value, path, within)
        children = tuple(describe(v, f"{path}.{k}", within) for k, v in zip(kind_of._fields, value))
        return Node(kind_of, tuple(range(len(value))), children)
    fields = record_fields(value)
    if fields is not None:
        within = _entered(value, path, within)
        keys = mapping_keys(fields)
        return Node(kind_of, keys, tuple(describe(fields[k], f"{path}.{k}", within) for k in keys))
    if is_static(value):
        return Static(value)
    raise NotALeaf(value, path)


def _entered(value, path, within) -> tuple:
    if id(value) in within:
        raise NotALeaf(value, path)
    return (*within, id(value))


def leaves(tree) -> list:
    """The ``Leaf`` nodes of ``tree``, in the order of ``flatten``."""
    if isinstance(tree, Leaf):
        return [tree]
    if isinstance(tree, Node):
        return [leaf for child in tree.children for leaf in leaves(child)]
    return []


def flatten(tree, value, out: list) -> list:
    """Append the leaf values of ``value`` (described by ``tree``) to ``out``."""
    if isinstance(tree, Leaf):
        out.append(value)
    elif isinstance(tree, Node):
        record = tree.type not in CONTAINERS and not issubclass(tree.type, tuple)
        for key, child in zip(tree.keys, tree.children):
            flatten(child, getattr(value, key) if record else value[key], out)
    return out


def unflatten(tree, values, fill=None, template=None):
    """A value of ``tree``'s structure whose leaves are taken from the
    iterator ``values``; static leaves get ``fill(static_value)``.  An
    object is rebuilt from ``template`` (the value ``tree`` describes: a
    copy of it with the new fields)."""
    if isinstance(tree, Leaf):
        return next(values)
    if isinstance(tree, Static):
        return fill(tree.value) if fill is not None else tree.value
    if tree.type in CONTAINERS or is_named_tuple_type(tree.type):
        parts = [None] * len(tree.children)
        if template is not None:
            parts = [template[k] for k in tree.keys]
        items = [unflatten(c, values, fill, t) for c, t in zip(tree.children, parts)]
    else:
        items = [
            unflatten(c, values, fill, getattr(template, k, None))
            for k, c in zip(tree.keys, tree.children)
        ]
    if tree.type is dict:
        return dict(zip(tree.keys, items))
    if tree.type in CONTAINERS:
        return tree.type(items)
    if is_named_tuple_type(tree.type):
        return tree.type(*items)
    return _rebuilt(tree, items, template)


def _rebuilt(tree, items, template):
    """An object of ``tree.type`` whose fields are ``items``: a dataclass by
    ``dataclasses.replace``, another object as a shallow copy of ``template``
    with its fields set."""
    fields = dict(zip(tree.keys, items))
    if template is None:
        raise ValueError(f"rebuilding a {tree.type.__name__} object needs the original")
    if dataclasses.is_dataclass(template):
        init = {f.name for f in dataclasses.fields(template) if f.init}
        out = dataclasses.replace(template, **{k: v for k, v in fields.items() if k in init})
        for key in fields.keys() - init:
            object.__setattr__(out, key, fields[key])
        return out
    out = copy.copy(template)
    for key, value in fields.items():
        object.__setattr__(out, key, value)
    return out


def leaf_names(tree, name: str) -> list:
    """Readable parameter names for the leaves of an argument ``name``:
    ``params_0_1`` for ``params[0][1]``, ``params_W1`` for ``params["W1"]``."""
    if isinstance(tree, Leaf):
        return [name]
    if isinstance(tree, Node):
        out = []
        keys = tree.type._fields if is_named_tuple_type(tree.type) else tree.keys
        for key, child in zip(keys, tree.children):
            out += leaf_names(child, f"{name}_{_key_part(key)}")
        return out
    return []


def _key_part(key) -> str:
    text = str(key)
    if re.fullmatch(r"[A-Za-z0-9_]+", text) and not keyword.iskeyword(text):
        return text
    return "k" + "".join(c if c.isalnum() else "_" for c in text)


def spelled(tree, names) -> str:
    """``tree`` written out with the parameter ``names`` (an iterator) at its
    leaves: ``[(W1, b1), (W2, b2)]``, as the generated module's header shows it."""
    if isinstance(tree, Leaf):
        return next(names)
    if isinstance(tree, Static):
        if isinstance(tree.value, GENERATORS):  # read at each call: its type, not this one
            return f"a np.random.{type(tree.value).__name__}"
        return getattr(tree.value, "__name__", None) or repr(tree.value)
    items = [spelled(child, names) for child in tree.children]
    if tree.type not in CONTAINERS:
        fields = tree.type._fields if is_named_tuple_type(tree.type) else tree.keys
        pairs = ", ".join(f"{k}={v}" for k, v in zip(fields, items))
        return f"{tree.type.__name__}({pairs})"
    if tree.type is dict:
        return "{" + ", ".join(f"{k!r}: {v}" for k, v in zip(tree.keys, items)) + "}"
    if tree.type is list:
        return "[" + ", ".join(items) + "]"
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def describe_shape(tree) -> str:
    """How an error describes a tree: "a list of 2 tuples of arrays"."""
    return _tree_phrase(tree)[0]


def _tree_phrase(tree) -> tuple:
    if isinstance(tree, Leaf):
        return leaf_phrase(tree.kind)
    if isinstance(tree, Static):
        return static_phrase(tree.value)
    name = tree.type.__name__
    if is_named_tuple_type(tree.type):
        return (f"a {name} named tuple", f"{name} named tuples")
    if tree.type not in CONTAINERS:
        return (f"a {name} object", f"{name} objects")
    return container_phrase(name, [_tree_phrase(c) for c in tree.children], tree.keys)


def leaf_phrase(kind: Kind) -> tuple:
    """``(singular, plural)`` naming a number or array of ``kind``."""
    if kind.rank:
        if kind.dtype == "float":
            return ("an array", "arrays")
        article = "an" if kind.dtype[0] in "aeiou" else "a"
        return (f"{article} {kind.dtype} array", f"{kind.dtype} arrays")
    return {"float": ("a float", "floats"), "int": ("an int", "ints")}.get(
        kind.dtype, ("a bool", "bools")
    )


def static_phrase(value) -> tuple:
    if value is None:
        return ("None", "Nones")
    if callable(value) and hasattr(value, "__name__"):
        return (f"the function {value.__name__}", "functions")
    kind = type(value).__name__
    return (f"the {kind} {value!r}", f"{kind}s")


def container_phrase(name: str, children: list, keys=()) -> tuple:
    """``(singular, plural)`` naming a container from its children's
    phrases: "a list of 2 tuples of arrays", "tuples of arrays"."""
    if name == "dict":
        listed = ", ".join(map(repr, keys))
        return (f"a dict with keys {listed}" if keys else "an empty dict", "dicts")
    if not children:
        return (f"an empty {name}", f"empty {name}s")
    plurals = {plural for _, plural in children}
    if len(plurals) > 1:
        return (f"a {name} of {len(children)} values", f"{name}s of values")
    plural = plurals.pop()
    if len(children) == 1:
        one = children[0][0]
        one = one.partition(" ")[2] if one.startswith(("a ", "an ")) else one
        return (f"a {name} of 1 {one}", f"{name}s of {plural}")
    return (f"a {name} of {len(children)} {plural}", f"{name}s of {plural}")
