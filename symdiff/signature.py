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

import functools
import numbers
import types
from dataclasses import dataclass

import numpy as np

from . import frontend, ir, pytree
from .errors import ArgumentError
from .frontend.readers import value_key

MODES = ("reverse", "forward")
# What a derivative function returns; the public keyword for it is ``kind``.
FORMS = ("grad", "value_and_grad", "jvp", "vjp", "jacobian", "hvp", "vmap")

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
    kind = pytree.leaf_kind(value)
    if kind is not None:
        return kind
    name = fn.params[index] if index < len(fn.params) else f"#{index}"
    if isinstance(value, np.ndarray):
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


def signature_key(args) -> tuple:
    """What a specialisation depends on: types; rank, dtype and size-1 axes
    of arrays; the structure of containers (``pytree``) and the identity of
    static values."""
    arg_types = tuple(map(type, args))
    if pytree.SCALAR_TYPES.issuperset(arg_types):
        return arg_types
    if _ARRAY_OR_SCALAR.issuperset(arg_types):  # the common case, without a call per value
        array_key = pytree.array_key
        return tuple(t if t is not np.ndarray else array_key(a) for a, t in zip(args, arg_types))
    return tuple(_value_key(a, t) for a, t in zip(args, arg_types))


_ARRAY_OR_SCALAR = pytree.SCALAR_TYPES | {np.ndarray}


def _value_key(value, kind_of, within=()):
    if kind_of is np.ndarray:
        return pytree.array_key(value)
    if kind_of in pytree.SCALAR_TYPES:
        return kind_of
    if isinstance(value, NUMBER):
        return kind_of
    if isinstance(value, np.ndarray):  # a subclass: taken as an array (pytree.leaf_kind)
        return pytree.array_key(value)
    fields = None if isinstance(value, (tuple, list, dict)) else pytree.record_fields(value)
    if fields is None and not isinstance(value, (tuple, list, dict)):
        return pytree.Static(value)
    if id(value) in within:  # it contains itself: pytree.describe refuses it
        return pytree.Static(value)
    within = (*within, id(value))
    if kind_of is dict:
        keys = pytree.mapping_keys(value)
        return (dict, keys, *(_value_key(value[k], type(value[k]), within) for k in keys))
    if fields is not None:  # an object: its class and its fields' keys
        keys = pytree.mapping_keys(fields)
        return (kind_of, keys, *(_value_key(fields[k], type(fields[k]), within) for k in keys))
    # a list, a tuple or a named tuple
    return (kind_of, *(_value_key(v, type(v), within) for v in value))


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
        if isinstance(bad, pytree.CONTAINERS) or pytree.record_fields(bad) is not None:
            raise ArgumentError(
                f"{where} is the {type(bad).__name__} it is inside: a value that contains "
                "itself cannot be an argument",
                fn.loc,
                "pass the fields to differentiate (its arrays and numbers) without the "
                "reference back",
            ) from None
        raise ArgumentError(
            f"{where} is a {type(bad).__name__}; symdiff takes numbers, NumPy arrays, and "
            "tuples, lists, dicts and objects of them",
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

    ``flatten`` and ``gradients`` run on every call; they are Python
    functions written out for these trees (``layout_source``), so a call
    costs a few subscripts, not a walk over the trees.
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
            if isinstance(trees[i], pytree.Static):
                raise ArgumentError(
                    f"argument '{fn.params[i]}' is {pytree.describe_shape(trees[i])}, which "
                    "cannot be differentiated",
                    fn.loc,
                    "pass a float or a float array, or leave it out of argnums",
                )
            if isinstance(trees[i], pytree.Node) and not floats and len(group):
                raise ArgumentError(
                    f"argument '{fn.params[i]}' is {pytree.describe_shape(trees[i])}, with "
                    "no float to differentiate",
                    fn.loc,
                    "put float numbers or float arrays in it, or leave it out of argnums",
                )
            leaf_argnums.extend(floats if not isinstance(trees[i], pytree.Leaf) else group)
        if not leaf_argnums and argnums:
            raise ArgumentError(
                "the arguments differentiated ("
                + ", ".join(f"'{fn.params[i]}'" for i in argnums)
                + ") hold no number or array",
                fn.loc,
                "differentiate an argument that holds float numbers or arrays",
            )
        leaf_single = single and isinstance(trees[argnums[0]], pytree.Leaf)
        return cls(trees, argnums, single, tuple(kinds), tuple(leaf_argnums), leaf_single, flat)

    @functools.cached_property
    def _written(self) -> dict:
        writer = _Writer({"_zero_like": _zero_like})
        return writer.run(layout_source(self, writer), "<symdiff layout>")

    @functools.cached_property
    def flatten(self):
        """``flatten(args)``: the leaves of ``args``, in the order the
        generated code takes them (a function written for this layout)."""
        return self._written["_flatten"]

    @functools.cached_property
    def gradients(self):
        """``gradients(grads, args)``: the gradients of the generated code
        (one per float leaf of the differentiated arguments) in the
        structure of those arguments (a function written for this layout)."""
        return self._written["_gradients"]


class _Writer:
    """The namespace of a small generated Python module: values the source
    cannot spell as literals (types, static values, odd dict keys) are
    names in it (``_c0``, ``_c1``, ...)."""

    def __init__(self, namespace: dict):
        self.namespace = namespace
        self._names: dict = {}

    def const(self, value) -> str:
        if type(value) in (str, int, bool) or value is None:
            return repr(value)
        name = self._names.get(id(value))
        if name is None:
            name = self._names[id(value)] = f"_c{len(self._names)}"
            self.namespace[name] = value
        return name

    def run(self, source: str, filename: str) -> dict:
        exec(compile(source, filename, "exec"), self.namespace)
        return self.namespace


def layout_source(layout: Layout, writer: _Writer) -> str:
    """``_flatten(args)`` and ``_gradients(grads, args)`` for ``layout``,
    written out: subscripts into the arguments, and the gradients' structure
    as a literal (int leaves get zeros, static leaves None)::

        def _flatten(_args):
            return [_args[0][0][0], _args[0][0][1], _args[0][1][0], _args[0][1][1], _args[1]]

        def _gradients(_g, _args):
            return [(_g[0], _g[1]), (_g[2], _g[3])]
    """
    leaves = []
    for i, tree in enumerate(layout.trees):
        _leaf_paths(tree, f"_args[{i}]", leaves, writer)
    flat = [path for path, _ in leaves]
    grads = iter(f"_g[{j}]" for j in range(len(layout.leaf_argnums)))
    if layout.leaf_single:
        result = "_g"
    else:
        parts = [
            _gradient_literal(layout.trees[i], f"_args[{i}]", grads, writer) for i in layout.argnums
        ]
        result = parts[0] if layout.single else _tuple_literal(parts)
    return (
        f"def _flatten(_args):\n    return [{', '.join(flat)}]\n\n\n"
        f"def _gradients(_g, _args):\n    return {result}\n"
    )


def _leaf_paths(tree, path: str, out: list, writer: _Writer) -> list:
    """``(path, leaf)`` of each leaf of ``tree``, in ``pytree.flatten`` order."""
    if isinstance(tree, pytree.Leaf):
        out.append((path, tree))
    elif isinstance(tree, pytree.Node):
        for key, child in zip(tree.keys, tree.children):
            _leaf_paths(child, _child_path(tree, path, key, writer), out, writer)
    return out


def _is_record(tree) -> bool:
    """An object whose fields are the children (``pytree.record_fields``)."""
    return tree.type not in pytree.CONTAINERS and not issubclass(tree.type, tuple)


def _child_path(tree, path: str, key, writer: _Writer) -> str:
    if _is_record(tree):
        return f"getattr({path}, {writer.const(key)})"
    return f"{path}[{writer.const(key)}]"


def _gradient_literal(tree, path: str, grads, writer: _Writer) -> str:
    """The gradient of the argument at ``path`` as a Python expression."""
    if isinstance(tree, pytree.Leaf):
        return next(grads) if tree.kind.dtype == "float" else f"_zero_like({path})"
    if isinstance(tree, pytree.Static):
        return "None"
    items = [
        _gradient_literal(c, _child_path(tree, path, k, writer), grads, writer)
        for k, c in zip(tree.keys, tree.children)
    ]
    keys = [writer.const(k) for k in tree.keys]
    if _is_record(tree):  # an object of the class, from a copy of the argument
        writer.namespace["_rebuilt"] = pytree._rebuilt
        return f"_rebuilt({writer.const(tree)}, [{', '.join(items)}], {path})"
    if tree.type not in pytree.CONTAINERS:  # a named tuple
        return f"{writer.const(tree.type)}({', '.join(items)})"
    if tree.type is dict:
        return "{" + ", ".join(f"{k}: {v}" for k, v in zip(keys, items)) + "}"
    if tree.type is list:
        return "[" + ", ".join(items) + "]"
    return _tuple_literal(items)


def _tuple_literal(items) -> str:
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def guarded_call(key: tuple, impl, general, explain):
    """``impl`` behind a guard written out for the signature ``key``
    (``signature_key``): a function of the arguments that checks, with
    ``type(...) is``, lengths, dict keys, ranks, dtypes and size-1 axes,
    that they have this signature, and calls ``impl``; for any other
    arguments it returns ``general(args)``.  ``explain(args, exc)`` turns an
    error inside ``impl`` into one at the user's line.

    When ``impl`` takes containers apart (it has ``leaf_call``, the
    compiled code of the leaves, and ``finish(out, args)``, which puts what
    that returns into the arguments' structure), the guard, which has read
    the leaves, calls those two directly."""
    writer = _Writer({"_impl": impl, "_general": general, "_explain": explain})
    params = [f"_p{i}" for i in range(len(key))]
    args = f"({', '.join(params)},)"
    lines = [f"def _guarded({', '.join(params)}):"]
    leaves: list = []
    for param, part in zip(params, key):
        _guard_lines(part, param, lines, writer, f"return _general({args})", leaves)
    if getattr(impl, "leaf_call", None) is not None:
        writer.namespace.update(_leaf_call=impl.leaf_call, _finish=impl.finish)
        call = f"_finish(_leaf_call({', '.join(leaves)}), {args})"
    else:
        call = f"_impl({', '.join(params)})"
    lines += [
        "    try:",
        f"        return {call}",
        "    except (ValueError, IndexError, AssertionError) as _exc:",
        f"        raise _explain({args}, _exc) from _exc",
    ]
    source = "\n".join(lines) + "\n"
    guard = writer.run(source, "<symdiff guard>")["_guarded"]
    guard.source = source
    return guard


def _guard_lines(key, value: str, lines: list, writer: _Writer, miss: str, leaves: list) -> None:
    """The checks that ``value`` (a local name) has the signature ``key``;
    the names of its leaves are appended to ``leaves``."""

    def check(condition):
        lines.extend((f"    if {condition}:", f"        {miss}"))

    if isinstance(key, type):  # a scalar of this exact type
        check(f"type({value}) is not {writer.const(key)}")
        leaves.append(value)
    elif isinstance(key, pytree.Static):
        if type(key.value) is str:
            check(f"type({value}) is not str or {value} != {key.value!r}")
        else:
            check(f"{value} is not {writer.const(key.value)}")
    elif isinstance(key[0], int):  # an array: rank, dtype, the axes of size 1
        rank, char = key[0], key[1]
        units = key[2] if len(key) > 2 else (False,) * rank
        dtype = writer.const(np.dtype(char))
        conditions = [
            f"type({value}) is not {writer.const(np.ndarray)}",
            # the dtype object is usually shared; its character decides
            f"({value}.dtype is not {dtype} and {value}.dtype.char != {char!r})",
            f"len(_s := {value}.shape) != {rank}",
        ]
        if any(units):
            conditions += [
                f"_s[{axis}] {'!=' if unit else '=='} 1" for axis, unit in enumerate(units)
            ]
        elif rank:
            conditions.append("1 in _s")
        check(" or ".join(conditions))
        leaves.append(value)
    elif key[0] is dict:
        keys, children = key[1], key[2:]
        spelled = [writer.const(k) for k in keys]
        # the keys in their order: the function iterates over them in it
        check(f"type({value}) is not dict or tuple({value}) != {writer.const(tuple(keys))}")
        for k, child in zip(spelled, children):
            _guard_child(child, f"{value}[{k}]", lines, writer, miss, leaves)
    elif not issubclass(key[0], (list, tuple)):
        # an object: its class, its fields' names, their keys
        cls, keys, children = key[0], key[1], key[2:]
        writer.namespace["_record_fields"] = pytree.record_fields
        check(f"type({value}) is not {writer.const(cls)}")
        fields = f"_f{sum(line.startswith('    _f') for line in lines)}"
        lines.append(f"    {fields} = _record_fields({value})")
        spelled = [writer.const(k) for k in keys]
        check(
            f"{fields} is None or len({fields}) != {len(keys)}"
            + "".join(f" or {k} not in {fields}" for k in spelled)
        )
        for k, child in zip(spelled, children):
            _guard_child(child, f"{fields}[{k}]", lines, writer, miss, leaves)
    else:  # a tuple, list or named tuple
        children = key[1:]
        check(f"type({value}) is not {writer.const(key[0])} or len({value}) != {len(children)}")
        for i, child in enumerate(children):
            _guard_child(child, f"{value}[{i}]", lines, writer, miss, leaves)


def _guard_child(key, expr: str, lines: list, writer: _Writer, miss: str, leaves: list) -> None:
    name = f"_v{sum(line.startswith('    _v') for line in lines)}"
    lines.append(f"    {name} = {expr}")
    _guard_lines(key, name, lines, writer, miss, leaves)


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
