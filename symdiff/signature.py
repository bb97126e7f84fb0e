"""Argument signatures: what a specialisation depends on, and argument checks.

A derivative is generated once per *signature* of the arguments it is called
with: the Python types of scalars; the rank, dtype and size-1 axes of arrays
(``signature_key``), and from them the ``ir.Kind`` of each parameter
(``argument_kind``).  Array sizes other than 1 are not part of it: one
compiled gradient serves every batch size.

The checks here turn a wrong call (an ``argnums`` out of range, a tangent of
the wrong shape) into an ``ArgumentError`` at the user's function.
"""

from __future__ import annotations

import numbers
import types
from dataclasses import dataclass

import numpy as np

from . import frontend, ir, pytree
from .errors import ArgumentError
from .frontend.readers import value_key
from .ir import BOOL, FLOAT, INT

MODES = ("reverse", "forward")
# What a derivative function returns; the public keyword for it is ``kind``.
FORMS = ("grad", "value_and_grad", "jvp", "vjp")

NUMBER = (numbers.Real, np.floating, np.integer)


def unwrap(fn):
    """The user's function behind a ``Differentiated`` wrapper."""
    return getattr(fn, "__symdiff_function__", fn)


def check_function(fn):
    """Fail early, at the user's call, for things that are not Python functions."""
    if not isinstance(fn, types.FunctionType):
        frontend.header(fn)  # raises SourceUnavailableError with the caller's location


def check_mode(mode, fn: ir.Function):
    if mode not in MODES:
        raise ArgumentError(
            f"mode must be 'reverse' or 'forward', not {mode!r}",
            fn.loc,
            "write mode='reverse' (default) or mode='forward'",
        )


def check_arity(primal: ir.Function, values) -> None:
    """One value per parameter of ``primal``, or a clear error."""
    count = len(primal.params)
    if len(values) != count:
        raise ArgumentError(
            f"{primal.name}({', '.join(primal.params)}) takes {count} "
            f"argument{'s' * (count != 1)}, got {len(values)}",
            primal.loc,
            "pass one value per parameter",
        )


def checked_values(values, what: str, fn: ir.Function) -> tuple:
    """``values`` as a tuple of numbers and arrays (None kept), or a clear error."""
    if not isinstance(values, (tuple, list)):
        raise ArgumentError(
            f"{what} must be a tuple with one value per parameter, not {type(values).__name__}",
            fn.loc,
            f"write {what}=(2.0, 3.0), one value per parameter of {fn.name}",
        )
    for value in values:
        if value is not None and not isinstance(value, (*NUMBER, np.ndarray)):
            raise ArgumentError(
                f"{what} must hold numbers or NumPy arrays, not {type(value).__name__}",
                fn.loc,
                "pass floats or np.ndarray (convert lists with np.asarray)",
            )
    return tuple(values)


def shaped_like(value, primal, what: str, fn: ir.Function):
    """A tangent or cotangent ``value`` checked against the shape of ``primal``
    (a number for a number, an array of the same shape for an array)."""
    if not isinstance(value, (*NUMBER, np.ndarray)):
        raise ArgumentError(
            f"{what} must be a number or a NumPy array, not {type(value).__name__}",
            fn.loc,
            "pass a float, or an np.ndarray shaped like the value it stands for",
        )
    if not isinstance(primal, np.ndarray):
        if isinstance(value, np.ndarray) and value.ndim:
            raise ArgumentError(
                f"{what} is an array of shape {value.shape} for a scalar", fn.loc, "pass a float"
            )
        return float(value)
    if np.shape(value) != primal.shape:
        raise ArgumentError(
            f"{what} has shape {np.shape(value)}, not the shape {primal.shape} it stands for",
            fn.loc,
            f"pass an array of shape {primal.shape}",
        )
    return np.asarray(value, dtype=primal.dtype if primal.dtype.kind == "f" else float)


def argument_kind(value, fn: ir.Function, index: int) -> ir.Kind:
    """The kind of one argument value (``index``: its position, for errors)."""
    if isinstance(value, (bool, np.bool_)):
        return BOOL
    if isinstance(value, (numbers.Integral, np.integer)):
        return INT
    if isinstance(value, (numbers.Real, np.floating)):
        return FLOAT
    name = fn.params[index] if index < len(fn.params) else f"#{index}"
    if isinstance(value, np.ndarray):
        for dtype, base in (("float", np.floating), ("int", np.integer), ("bool", np.bool_)):
            if np.issubdtype(value.dtype, base):
                unit = tuple(i for i, size in enumerate(value.shape) if size == 1)
                return ir.Kind(dtype, value.ndim, unit)
        raise ArgumentError(
            f"argument '{name}' is an array of dtype {value.dtype}",
            fn.loc,
            "pass float64 (or int, bool) arrays",
        )
    raise ArgumentError(
        f"argument '{name}' is a {type(value).__name__}; symdiff takes numbers and NumPy arrays",
        fn.loc,
        "pass floats, ints, bools or np.ndarray (convert lists with np.asarray)",
    )


def in_float32(args) -> bool:
    """Does code for these arguments compute in float32: are its float arrays
    float32 (and float scalars then taken as float32, as NumPy does)?"""
    floats = [a.dtype for a in args if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    return bool(floats) and all(dtype == np.float32 for dtype in floats)


def gradient_converter(arg, float32: bool):
    """How a gradient with respect to ``arg`` is returned: of ``arg``'s shape
    and float dtype (a 0-d array for a 0-d array; float32 in float32 code)."""
    if isinstance(arg, np.ndarray) and arg.ndim == 0:
        return lambda g: np.asarray(g, arg.dtype)
    if float32 and not isinstance(arg, np.ndarray):
        return np.float32
    return lambda g: g


def float32_scalar(value):
    """A float scalar as float32 (arrays and other values unchanged)."""
    if isinstance(value, (float, np.floating)) and not isinstance(value, np.ndarray):
        return np.float32(value)
    return value


_SCALARS = frozenset({float, int, bool, np.float64, np.float32, np.int64, np.int32, np.bool_})


def signature_key(args) -> tuple:
    """What a specialisation depends on: types; rank, dtype and size-1 axes
    of arrays; the structure of containers (``pytree``) and the identity of
    static values."""
    arg_types = tuple(map(type, args))
    if _SCALARS.issuperset(arg_types):
        return arg_types
    return tuple(_value_key(a, t) for a, t in zip(args, arg_types))


def _value_key(value, kind_of):
    if kind_of is np.ndarray:
        return _array_key(value)
    if kind_of in _SCALARS:
        return kind_of
    if kind_of is list or kind_of is tuple:
        return (kind_of, *(_value_key(v, type(v)) for v in value))
    if kind_of is dict:
        keys = pytree.sorted_keys(value)
        return (dict, keys, *(_value_key(value[k], type(value[k])) for k in keys))
    if isinstance(value, NUMBER):
        return kind_of
    if isinstance(value, tuple):  # a named tuple
        return (kind_of, *(_value_key(v, type(v)) for v in value))
    fields = pytree.record_fields(value)
    if fields is not None:  # an object: its class and its fields' keys
        keys = pytree.sorted_keys(fields)
        return (kind_of, keys, *(_value_key(fields[k], type(fields[k])) for k in keys))
    return pytree.Static(value)


def _array_key(array):
    """Rank, dtype, and the axes of size 1 (which broadcast, so their adjoints
    are summed): arrays of any other sizes share one specialisation."""
    if 1 in array.shape:
        return (array.ndim, array.dtype.char, tuple(size == 1 for size in array.shape))
    return (array.ndim, array.dtype.char)


def argument_tree(value, fn, index: int):
    """The ``pytree`` tree of one argument, or a clear error at the user's function."""
    name = fn.params[index] if index < len(fn.params) else f"#{index}"
    try:
        return pytree.describe(value)
    except pytree.NotALeaf as exc:
        where = f"'{name}{exc.path}'" if exc.path else f"argument '{name}'"
        bad = exc.value
        if isinstance(bad, np.ndarray):
            raise ArgumentError(
                f"{where} is an array of dtype {bad.dtype}",
                fn.loc,
                "pass float64 (or int, bool) arrays",
            ) from None
        raise ArgumentError(
            f"{where} is a {type(bad).__name__}; symdiff takes numbers, NumPy arrays, and "
            "tuples, lists and dicts of them",
            fn.loc,
            "pass floats, ints, bools or np.ndarray (convert other sequences with np.asarray)",
        ) from None


@dataclass(frozen=True)
class Layout:
    """How the user's arguments map onto the parameters of the generated code.

    ``trees`` describe the arguments (``pytree``); the generated code takes
    their leaves (``kinds``) and differentiates with respect to the float
    leaves of the arguments ``argnums`` (``leaf_argnums``).  ``flat``: every
    argument is a number or an array, so arguments and leaves are the same.
    """

    trees: tuple
    argnums: tuple
    single: bool
    kinds: tuple
    leaf_argnums: tuple
    leaf_single: bool
    flat: bool

    @classmethod
    def of(cls, args, fn, argnums, single):
        trees = tuple(argument_tree(a, fn, i) for i, a in enumerate(args))
        flat = all(isinstance(t, pytree.Leaf) for t in trees)
        starts, kinds = [], []
        for tree in trees:
            starts.append(len(kinds))
            kinds.extend(leaf.kind for leaf in pytree.leaves(tree))
        leaf_argnums = []
        for i in argnums:
            group = range(starts[i], starts[i] + len(pytree.leaves(trees[i])))
            floats = [j for j in group if kinds[j].dtype == "float"]
            if not isinstance(trees[i], pytree.Leaf) and not floats:
                raise ArgumentError(
                    f"argument '{fn.params[i]}' is {pytree.describe_shape(trees[i])}, with "
                    "no float to differentiate",
                    fn.loc,
                    "put float numbers or float arrays in it, or leave it out of argnums",
                )
            leaf_argnums.extend(floats if not isinstance(trees[i], pytree.Leaf) else group)
        leaf_single = single and isinstance(trees[argnums[0]], pytree.Leaf)
        return cls(trees, argnums, single, tuple(kinds), tuple(leaf_argnums), leaf_single, flat)

    def flatten(self, args) -> list:
        out: list = []
        for tree, value in zip(self.trees, args):
            pytree.flatten(tree, value, out)
        return out

    def gradients(self, grads, args):
        """The gradients of the generated code (one per float leaf of the
        differentiated arguments) in the structure of those arguments."""
        if self.leaf_single:
            return grads
        flat = iter(grads if isinstance(grads, tuple) else (grads,))
        out = tuple(self._structured(i, flat, args[i]) for i in self.argnums)
        return out[0] if self.single else out

    def _structured(self, i, flat, value):
        tree = self.trees[i]
        if isinstance(tree, pytree.Leaf):
            return next(flat)
        leaf_values = iter(pytree.flatten(tree, value, []))

        def leaf_gradients():
            for leaf in pytree.leaves(tree):
                primal = next(leaf_values)
                yield next(flat) if leaf.kind.dtype == "float" else _zero_like(primal)

        return pytree.unflatten(tree, leaf_gradients(), fill=lambda static: None, template=value)


def _zero_like(value):
    """The gradient slot of an int or bool leaf, which is not differentiated."""
    return np.zeros(np.shape(value)) if isinstance(value, np.ndarray) else 0.0


def normalize_argnums(argnums, fn: ir.Function):
    """``argnums`` as a tuple of indices, and whether it was a single int."""
    single = isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool)
    items = (argnums,) if single else argnums
    try:
        items = tuple(items)
    except TypeError:
        raise ArgumentError(
            f"argnums must be an int or a tuple of ints, not {argnums!r}",
            fn.loc,
            "write argnums=0 or argnums=(0, 1)",
        ) from None
    count = len(fn.params)
    indices = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, np.integer)):
            raise ArgumentError(
                f"argnums must contain ints, not {item!r}",
                fn.loc,
                "write argnums=0 or argnums=(0, 1)",
            )
        if not -count <= item < count:
            raise ArgumentError(
                f"argnums {item} is out of range: {fn.name} has {count} parameter"
                f"{'s' * (count != 1)} ({', '.join(fn.params)})",
                fn.loc,
                f"use an index from 0 to {count - 1}",
            )
        indices.append(int(item) % count)
    if len(set(indices)) != len(indices):
        raise ArgumentError(
            f"argnums {argnums!r} repeats an argument", fn.loc, "list each argument once"
        )
    if not indices:
        raise ArgumentError("argnums is empty", fn.loc, "name at least one argument")
    return tuple(indices), single


def read_implicit(implicit, guards):
    """A function of the call's arguments that reads the implicit inputs:
    their values in order, or None when one of them, or a guard, no longer
    matches (a new specialisation is needed).

    It is generated as straight-line Python, one line per value: the read
    (a dict or cell read, one attribute or item per step) and a type check;
    an array's rank, dtype and size-1 axes are compared with ``value_key``."""
    namespace = {"_type": type, "_key": value_key, "np": np}
    lines, values = [], []
    for number, record in enumerate(implicit):
        name = f"v{number}"
        read = record.reader.expression(namespace, f"_r{number}")
        namespace[f"_e{number}"] = record.key
        lines.append(f"    {name} = {read}")
        if isinstance(record.key, type):
            lines.append(f"    if _type({name}) is not _e{number}: return None")
        else:
            lines.append(f"    if _key({name}) != _e{number}: return None")
        zero_d = isinstance(record.key, tuple) and record.key[0] == 0
        values.append(f"{name}[()]" if zero_d else name)  # 0-d arrays are passed as scalars
    for number, guard in enumerate(guards):
        name, prefix = f"g{number}", f"_g{number}"
        lines.append(f"    {name} = {guard.reader.expression(namespace, prefix)}")
        namespace[f"{prefix}_e"] = guard.expected
        if guard.by == "key":
            lines.append(f"    if _key({name}) != {prefix}_e: return None")
        elif guard.by == "identity":
            lines.append(f"    if {name} is not {prefix}_e: return None")
        else:
            namespace[f"{prefix}_t"] = type(guard.expected)
            lines.append(
                f"    if _type({name}) is not {prefix}_t or {name} != {prefix}_e: return None"
            )
    lines.append(f"    return [{', '.join(values)}]")
    source = "\n".join(
        ["def read(args):", "    try:"]
        + ["    " + line for line in lines]
        + [
            "    except (KeyError, AttributeError, IndexError, TypeError):",
            "        return None  # gone: specialising again reports it",
        ]
    )
    exec(compile(source, "<symdiff implicit inputs>", "exec"), namespace)
    return namespace["read"]
