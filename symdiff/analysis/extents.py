"""Extents: which axes of two values are known to have one size.

A ``Kind`` says whether an axis is of size 1, may be, or is not; two axes
that may be 1 (``x[1:]`` and ``x[:-1]``) are not known to be equal by kinds
alone, so reverse mode sums the adjoint of each at run time (the
``_sum_axis0_if_one`` helpers).  An *extent* names the size of an axis
symbolically, ``(base, cut)``: the size of ``base`` less ``cut`` (at least
0), where ``base`` is an axis of an argument (``("arg", name, axis)``), a
run-time int (``("int", name)``) or a constant (``("const", value)``).  Equal
extents are equal sizes whatever the arguments' sizes; ``None`` is unknown.

Rules: an argument's axes are their own bases; ``n = x.shape[0]`` is x's
axis; ``np.eye(n)``/``np.zeros((n, m))``/``reshape`` take their sizes'
extents; an operation shaped like an operand (``zeros_like``,
``broadcast_like``) has its extents; ``x[a:]``, ``x[:-b]`` and ``x[a:-b]`` (constants, ``a >= 0``,
``b > 0``) cut ``a + b`` from x's axis, and other slices name their axis and
bounds (``x[:k]`` and ``dx[:k]`` of one extent have one); elementwise operations keep an
extent that all operands (not of size 1) share; reductions, transposes,
``expand_dims`` and matrix products move extents with their axes.  Anything
else is unknown, which is always safe: unknown extents decide nothing.
Values in a loop body are those of one iteration (SSA names), compared
within it; a carried value keeps an extent only if each iteration keeps it.
"""

from __future__ import annotations

from ..ir import WHOLE, Const, Kind, Op, Take, Var
from ..primitives import PRIMITIVES
from ..primitives.kinds import AxisSize, expanded_axes, reduced_axes


def unit(size: int):
    """The extent of an axis of constant size."""
    return (("const", max(size, 0)), 0)


def of_argument(name: str, kind: Kind) -> tuple:
    """The extents of an argument's axes (its size-1 axes are 1)."""
    return tuple(
        unit(1) if kind.size(axis) is AxisSize.ONE else (("arg", name, axis), 0)
        for axis in range(kind.rank)
    )


def of_size(atom, ints: dict):
    """The extent of an axis whose size is the int ``atom``."""
    if isinstance(atom, Const):
        return unit(atom.value) if isinstance(atom.value, int) else None
    return ints.get(atom.name, (("int", atom.name), 0))


def join(*extents):
    """The extent of a value that is one of these (a phi, a carried value)."""
    first = extents[0]
    if first is None or any(e != first for e in extents[1:]):
        return None
    return first


def _cut(extent, cut: int):
    if extent is None:
        return None
    base, already = extent
    if base[0] == "const":
        return unit(base[1] - already - cut)
    return (base, already + cut)


def _sliced(extent, atoms):
    """The extent of ``x[a:b]`` along an axis of extent ``extent``, for the
    bounds ``atoms`` (start, stop, step; None where not given)."""
    start, stop, step = atoms
    if extent is None:
        return None
    front = 0 if start is None else start.value if isinstance(start, Const) else None
    back = 0 if stop is None else -stop.value if isinstance(stop, Const) else None
    plain = step is None and isinstance(front, int) and isinstance(back, int) and front >= 0
    if plain and (stop is None or back > 0):  # not x[:k] with k >= 0: min(k, size)
        return _cut(extent, front + back)
    # Else the slice's size is a function of the axis's size and the bounds
    # alone: equal for every axis of this extent sliced by these bounds.
    return (("slice", extent, *map(_bound, atoms)), 0)


def _bound(atom):
    if atom is None:
        return None
    return ("const", atom.value) if isinstance(atom, Const) else ("int", atom.name)


def _getitem(op: Op, source: tuple) -> tuple:
    out, operands = [], iter(op.args[1:])
    pattern = op.attrs.index
    for axis, extent in enumerate(source):
        item = pattern[axis] if axis < len(pattern) else WHOLE
        if isinstance(item, Take):
            next(operands)
            continue
        bounds = [next(operands) if given else None for given in item.bounds()]
        out.append(extent if item == WHOLE else _sliced(extent, bounds))
    return tuple(out)


def _broadcast(kind: Kind, arg_kinds, arg_extents) -> tuple:
    out = []
    for axis in range(kind.rank):
        if kind.size(axis) is AxisSize.ONE:
            out.append(unit(1))
            continue
        met = set()
        for k, extents in zip(arg_kinds, arg_extents):
            inner = axis - (kind.rank - k.rank)
            if inner >= 0 and k.size(inner) is not AxisSize.ONE:
                met.add(extents[inner] if extents is not None else None)
        out.append(met.pop() if len(met) == 1 else None)
    return tuple(out)


def _reduced(op: Op, source: tuple) -> tuple:
    axes = reduced_axes(op.attrs.axis, len(source))
    if axes is None:
        return (unit(1),) * len(source) if op.attrs.keepdims else ()
    if op.attrs.keepdims:
        return tuple(unit(1) if a in axes else e for a, e in enumerate(source))
    return tuple(e for a, e in enumerate(source) if a not in axes)


def _product(arg_extents) -> tuple | None:
    a, b = arg_extents
    if a is None or b is None or len(a) > 2 or len(b) > 2:
        return None
    if len(b) == 2:
        return a[:-1] + b[1:]
    return a[:-1]


def _sized(op: Op, source, ints: dict, kind: Kind) -> tuple:
    sizes = PRIMITIVES[op.prim].sized_by(op.args)
    extents = []
    for atom in sizes:
        if isinstance(atom, Const) and atom.value == -1:  # reshape(x, -1, 1): x's one axis
            rest_one = all(isinstance(s, Const) and s.value == 1 for s in sizes if s is not atom)
            whole = source is not None and len(source) == 1 and rest_one
            extents.append(source[0] if whole else None)
        else:
            extents.append(of_size(atom, ints))
    return tuple(extents) if len(extents) == kind.rank else (None,) * kind.rank


def of_operation(op: Op, kind: Kind, arg_kinds, extents: dict, ints: dict) -> tuple:
    """The extents of ``op``'s result (of kind ``kind``), from its operands'
    (``extents``: value -> extents; ``ints``: int value -> the extent it is)."""
    arg_extents = [
        extents.get(a.name) if isinstance(a, Var) else () if not k.rank else None
        for a, k in zip(op.args, arg_kinds)
    ]
    arg_extents = [
        e if e is None or len(e) == k.rank else None for e, k in zip(arg_extents, arg_kinds)
    ]
    prim = PRIMITIVES[op.prim]
    source = arg_extents[0] if arg_extents else None
    if not kind.rank:
        return ()
    if prim.elementwise:
        return _broadcast(kind, arg_kinds, arg_extents)
    if prim.sized_by is not None:
        return _sized(op, source, ints, kind)
    # zeros_like(x), broadcast_like(t, y): that operand's shape (sum_to(g, x) is
    # not shaped like x: it is g where g is smaller, a broadcastable adjoint)
    if prim.shaped_like is not None:
        like = arg_extents[prim.shaped_like]
        return like if like is not None else (None,) * kind.rank
    if source is None:
        return (None,) * kind.rank
    if op.prim == "getitem":
        return _getitem(op, source)
    if op.prim in ("sum", "amax", "amin", "prod"):
        return _reduced(op, source)
    if op.prim == "transpose":
        axes = op.attrs.axes if op.attrs.axes is not None else reversed(range(len(source)))
        return tuple(source[a] for a in axes)
    if op.prim == "expand_dims":
        out = list(source)
        for axis in expanded_axes(op.attrs.axis, len(source)):
            out.insert(axis, unit(1))
        return tuple(out)
    if op.prim == "diff":  # one element fewer along the axis
        axis = op.attrs.axis % len(source)
        return tuple(_cut(e, 1) if a == axis else e for a, e in enumerate(source))
    if op.prim in ("dot", "matmul"):
        return _product(arg_extents) or (None,) * kind.rank
    if op.prim == "outer" and arg_extents[1] is not None:
        return source + arg_extents[1]
    return (None,) * kind.rank


def same_shape(first, second) -> bool:
    """Are two values' extents known and equal axis by axis?"""
    return (
        first is not None
        and second is not None
        and len(first) == len(second)
        and all(e is not None for e in first)
        and first == second
    )
