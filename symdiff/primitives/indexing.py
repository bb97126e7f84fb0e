"""Indexing with integer arrays, its scatter-add adjoints, and sorting.

The rows:

* ``gather(x, i0, ..., im-1; axis=k)``: NumPy's integer-array indexing on
  the consecutive axes ``k .. k+m-1`` of ``x`` (``x[:, i0, i1]`` for ``k =
  1, m = 2``), the index arrays broadcast together; ``axis=None`` indexes
  the flattened ``x`` with one array.  The frontend makes it from
  subscripts (``logp[np.arange(n), labels]``, ``E[ids]``, ``x[:, ids]``,
  ``x[[0, 2, 2]]``, ``x[mask]``); ``take(x, i; axis)`` is the same rules
  with one index (``np.take``, a definition of ``symdiff.library.indexing``,
  which also reads ``mode=``).
* ``scatter_add(g, x, i0, ...; axis)``: zeros like ``x`` with ``g`` added at
  the index, repeated indices accumulating (``np.add.at``): the adjoint of
  ``gather``.  Numba has no ``np.add.at``, so it is a helper loop.
* ``take_along(a, i; axis)``: ``np.take_along_axis``; its adjoint
  ``scatter_along`` adds ``g`` back along the axis (repeats accumulate).
* ``argsort(x; axis=-1)``: ints, no derivative; always the stable sort
  (ties in the order of their positions, in NumPy and Numba alike;
  ``np.argsort``'s ``kind=`` is accepted and read as ``"stable"``).
* ``mask_indices(mask, x)``: the flat positions where a boolean mask of
  ``x``'s leading axes is true (``np.flatnonzero``), after checking the
  mask's shape as NumPy does; ``x[mask]`` is the gather at them.

Conventions: an index outside the axis raises ``IndexError`` as in NumPy
(negative indices count from the end); the derivative of a read is 1 at
each element read and 0 elsewhere, summed over repeated reads;
``np.sort``'s sorted values (``symdiff.library.indexing``) have the
derivative of the permutation ``argsort`` chose (tied values: in
argsort's stable order, so each tie gets its own element's derivative).
Index arrays, masks and ``argsort``'s result are never differentiated.

Numba compiles one advanced index only when it is a 1-d array and takes
``argsort`` of 1-d arrays only: the other forms are helpers written into
the module (``_gather_...``, ``_scatter_add_...``, ``_argsort_...``),
which the ``jit=False`` path runs as they are.
"""

from __future__ import annotations

import ast

import numpy as np

from ..ir import Kind
from .expr import op
from .kinds import MATCHES, MAYBE_ONE, RankError, broadcast, normalize_axis
from .registry import Option, named, register
from .spelling import contiguous

NOT_ELEMENTWISE = {"elementwise": False}
CONSTANT = {"differentiable": False, "elementwise": False}

# ---------------------------------------------------------------------------
# Kind rules


def _index_kinds(kinds, what):
    for k in kinds:
        if k.dtype == "bool":
            raise RankError(f"{what}: a boolean mask must be the only index of its axes")
        if k.dtype != "int":
            raise RankError(f"{what}: indices must be int arrays")
        if k.rank == 0:
            raise RankError(f"{what}: an index array needs at least one axis (x[i] takes an int)")


def gather_kind(kinds, atoms, attrs):
    """``x[:, i0, i1]``: ``x``'s axes before ``axis``, the broadcast index
    arrays' axes, then ``x``'s axes after the indexed ones."""
    x, indices = kinds[0], kinds[1:]
    _index_kinds(indices, "integer-array indexing")
    picked = broadcast(indices).sizes()
    if attrs.axis is None:
        if len(indices) != 1:
            raise RankError("indexing the flattened array takes one index array")
        return Kind.of_sizes(x.dtype, picked)
    if x.rank == 0:
        raise RankError("a number cannot be indexed")
    axis = normalize_axis(attrs.axis, x.rank)
    if axis + len(indices) > x.rank:
        raise RankError(f"too many indices for an array of rank {x.rank}")
    sizes = x.sizes()
    return Kind.of_sizes(x.dtype, sizes[:axis] + picked + sizes[axis + len(indices) :])


def gathered_axis(source, axis, kinds):
    """``(atom, k)``: an operand of the gather ``source`` whose axis ``k`` has
    the size of the result's ``axis`` (``optimize.shapes``), or None."""
    x, indices = source.args[0], source.args[1:]
    known = [kinds.get(a.name) if hasattr(a, "name") else None for a in source.args]
    if None in known:
        return None
    rank = max(k.rank for k in known[1:])
    start = 0 if source.attrs.axis is None else source.attrs.axis % known[0].rank
    if axis < start:
        return x, axis
    if axis >= start + rank:
        return x, axis - rank + len(indices)
    for index, kind in zip(indices, known[1:]):
        k = axis - start - (rank - kind.rank)
        if k >= 0 and (kind.size(k) is MATCHES or len(indices) == 1):
            return index, k
    return None


def _scatter_kind(kinds, atoms, attrs):
    return Kind("float", kinds[1].rank, kinds[1].unit, kinds[1].maybe)


def take_along_kind(kinds, atoms, attrs):
    a, i = kinds
    _index_kinds([i], "np.take_along_axis")
    if attrs.axis is None:
        if i.rank != 1:
            raise RankError("np.take_along_axis(..., axis=None) takes a 1-d index array")
        return Kind.of_sizes(a.dtype, i.sizes())
    if a.rank == 0 or i.rank != a.rank:
        raise RankError("np.take_along_axis needs indices of the array's rank")
    axis = normalize_axis(attrs.axis, a.rank)
    sizes = broadcast([a, i]).sizes()
    sizes[axis] = i.size(axis)
    return Kind.of_sizes(a.dtype, sizes)


def argsort_kind(kinds, atoms, attrs):
    x = kinds[0]
    if x.rank == 0:
        raise RankError("np.argsort needs an array")
    if attrs.axis is None:
        return Kind.of_sizes("int", [MAYBE_ONE if x.rank > 1 else x.size(0)])
    normalize_axis(attrs.axis, x.rank)
    return Kind.of_sizes("int", x.sizes())


def mask_kind(kinds, atoms, attrs):
    """The positions where a mask is true: of ``x``'s shape (``axis=None``)
    or of one axis of ``x``."""
    mask, x = kinds
    if mask.dtype != "bool":
        raise RankError("a mask must be an array of bools")
    if attrs.axis is None and mask.rank != x.rank:
        raise RankError(f"a rank-{mask.rank} mask cannot index an array of rank {x.rank}")
    if attrs.axis is not None:
        normalize_axis(attrs.axis, x.rank)
        if mask.rank != 1:
            raise RankError("a mask of one axis has rank 1")
    return Kind.of_sizes("int", [MAYBE_ONE])


# ---------------------------------------------------------------------------
# Derivative rules


def _gather_jvp(tangents, x, *rest):
    indices, attrs = rest[:-2], rest[-1]
    return op("gather", tangents[0], *indices, attrs=attrs)


def _gather_vjp(g, x, *rest):
    indices, attrs = rest[:-3], rest[-2]
    return (op("scatter_add", g, x, *indices, attrs=attrs),) + (None,) * len(indices)


def _scatter_add_jvp(tangents, g, x, *rest):
    indices, attrs = rest[:-2], rest[-1]
    return op("scatter_add", tangents[0], x, *indices, attrs=attrs)


def _scatter_add_vjp(h, g, x, *rest):
    indices, attrs = rest[:-3], rest[-2]
    return (op("gather", h, *indices, attrs=attrs), None) + (None,) * len(indices)


def _take_along_jvp(tangents, a, i, ans, attrs):
    return op("take_along", tangents[0], i, attrs=attrs)


def _take_along_vjp(g, a, i, ans, attrs, ranks):
    return (op("scatter_along", g, a, i, attrs=attrs), None)


def _scatter_along_jvp(tangents, g, a, i, ans, attrs):
    """Linear in ``g`` (``a`` is read for its shape, ``i`` is an index)."""
    return op("scatter_along", tangents[0], a, i, attrs=attrs)


# ---------------------------------------------------------------------------
# Spellings and their Numba helpers

_CHECKED = """\
def _checked(i, n):
    \"\"\"Integer indices into an axis of size n, negative ones counted from the
    end; IndexError outside, as NumPy (Numba checks no array index where
    bounds checks are off).\"\"\"
    if np.any(i < -n) or np.any(i >= n):
        raise IndexError("index out of bounds")
    return np.where(i < 0, i + n, i)"""


def _product(sizes):
    return " * ".join(sizes) if sizes else "1"


_GATHER = """\
def {name}(x, {indices}):
    \"\"\"x[{pattern}]: {what}, for Numba (which takes one 1-d array index
    only).\"\"\"
    index = {flat}
    cube = np.ascontiguousarray(x).reshape(({pre}, {within}, {post}))
    picked = cube[:, index.ravel(), :]
    return picked.reshape({shape})"""

_SCATTER_ADD = """\
def {name}(g, x, {indices}):
    \"\"\"Zeros like x, with g added at x[{pattern}] ({what}): repeated
    indices accumulate (np.add.at, which Numba lacks).\"\"\"
    index = {flat}
    flat = index.ravel()
    out = np.zeros(({pre}, {within}, {post}), {dtype})
{part}    for a in range({pre}):
        for j in range(flat.size):
            {accumulate}
    return out.reshape(x.shape)"""

_PARTS = {  # the adjoint g: as large as the gathered value, a number, or broadcast to it
    "full": "    part = np.ascontiguousarray(g).reshape(({pre}, flat.size, {post}))\n",
    "number": "",
    "broadcast": "    part = np.ascontiguousarray(np.broadcast_to(g, {shape})).reshape(({pre}, flat.size, {post}))\n",
}


def _helper_fields(name, axis, count, rank):
    """The pieces of a gather or scatter-add helper on axes ``axis ..
    axis+count-1`` of a rank-``rank`` ``x`` (``axis=None``: the flattened ``x``)."""
    if axis is None:
        before, after, within = [], [], ["x.size"]
        flat, what, pattern = "_checked(i0, x.size)", "the flattened x", "i0"
    else:
        before = [f"x.shape[{a}]" for a in range(axis)]
        within = [f"x.shape[{a}]" for a in range(axis, axis + count)]
        after = [f"x.shape[{a}]" for a in range(axis + count, rank)]
        flat = f"_checked(i0, {within[0]})"
        for j in range(1, count):
            flat = f"{flat} * {within[j]} + _checked(i{j}, {within[j]})"
        last = axis + count - 1
        what = f"integer arrays on axis {axis}" if count == 1 else f"on axes {axis} to {last}"
        pattern = ", ".join(
            [":"] * axis + [f"i{j}" for j in range(count)] + ["..."] * (rank > last + 1)
        )
    shape = " + ".join([f"({s},)" for s in before] + ["index.shape"] + [f"({s},)" for s in after])
    return {
        "name": name,
        "indices": ", ".join(f"i{j}" for j in range(count)),
        "pattern": pattern,
        "what": what,
        "flat": flat,
        "pre": _product(before),
        "within": " * ".join(within),
        "post": _product(after),
        "shape": shape,
    }


def _checked_call(printer, index, size):
    printer.helper("_checked", _CHECKED)
    printer.modules.add("np")
    return ast.Call(ast.Name("_checked"), [index, size], [])


def _where(axis, count, rank) -> str:
    """The part of a helper's name saying what it indexes: ``axes01_of_2d``."""
    if axis is None:
        return "flat"
    axes = "".join(str(a) for a in range(axis, axis + count))
    return f"axis{axes}_of_{rank}d" if count == 1 else f"axes{axes}_of_{rank}d"


def _helper(printer, name, source, args):
    printer.helper("_checked", _CHECKED)
    printer.helper(name, source)
    printer.modules.add("np")
    return ast.Call(ast.Name(name), list(args), [])


def _gather_spell(printer, op_, args):
    x = printer.kind(op_.args[0])
    indices = [printer.kind(a) for a in op_.args[1:]]
    axis = op_.attrs.axis
    if axis is not None:
        axis %= x.rank
        if len(indices) == 1 and indices[0].rank == 1:  # Numba's one 1-d array index
            size = ast.Subscript(ast.Attribute(args[0], "shape"), ast.Constant(axis))
            items = [ast.Slice()] * axis + [_checked_call(printer, args[1], size)]
            return ast.Subscript(args[0], items[0] if len(items) == 1 else ast.Tuple(items))
    where = _where(axis, len(indices), x.rank)
    name = f"_gather_{where}"
    source = _GATHER.format(**_helper_fields(name, axis, len(indices), x.rank))
    return _helper(printer, name, source, args)


def _scatter_add_spell(printer, op_, args):
    g, x = printer.kind(op_.args[0]), printer.kind(op_.args[1])
    axis, count = op_.attrs.axis, len(op_.args) - 2
    if axis is not None:
        axis %= x.rank
    gathered = gather_kind([x, *(printer.kind(a) for a in op_.args[2:])], op_.args[1:], op_.attrs)
    form = "number" if g.rank == 0 else "full" if g == gathered else "broadcast"
    where = _where(axis, count, x.rank)
    name = f"_scatter_add_{where}" + ("" if form == "full" else f"_{form}")
    fields = _helper_fields(name, axis, count, x.rank)
    single = axis is None or axis + count == x.rank  # one element per index: a scalar loop
    target = "out[a, flat[j], 0]" if single else "out[a, flat[j]]"
    value = "g" if form == "number" else "part[a, j, 0]" if single else "part[a, j]"
    fields["part"] = _PARTS[form].format(**fields)
    fields["accumulate"] = f"{target} += {value}"
    fields["dtype"] = "np.float32" if printer.float32 else "np.float64"
    return _helper(printer, name, _SCATTER_ADD.format(**fields), args)


def _ravel(printed):
    return ast.Call(ast.Attribute(printed, "ravel"), [], [])


def _take_along_spell(printer, op_, args):
    axis = op_.attrs.axis
    if axis is None:
        return printer.call("np.take", [_ravel(contiguous(printer, op_.args[0], args[0])), args[1]])
    axis %= printer.kind(op_.args[0]).rank
    size = ast.Subscript(ast.Attribute(args[0], "shape"), ast.Constant(axis))
    index = _checked_call(printer, args[1], size)
    return printer.call("np.take_along_axis", [args[0], index, ast.Constant(axis)])


_SCATTER_ALONG = """\
def {name}(g, a, i):
    \"\"\"Zeros like a, with g added along axis {axis} at the indices i (the
    adjoint of np.take_along_axis: repeated indices accumulate).\"\"\"
    shape = {shape}
    n = a.shape[{axis}]
    whole = np.ascontiguousarray(np.broadcast_to(_checked(i, n), shape))
    index = whole.reshape(({pre}, shape[{axis}], {post}))
    part = np.ascontiguousarray(np.broadcast_to(g, shape)).reshape(({pre}, shape[{axis}], {post}))
    out = np.zeros(({pre}, n, {post}), {dtype})
    for p in range({pre}):
        for j in range(shape[{axis}]):
            for q in range({post}):
                out[p, index[p, j, q], q] += part[p, j, q]
    return out.reshape(a.shape)"""


def _scatter_along_spell(printer, op_, args):
    a = printer.kind(op_.args[1])
    axis = op_.attrs.axis
    dtype = "np.float32" if printer.float32 else "np.float64"
    if axis is None:  # along the flattened array: a 1-d scatter-add
        fields = _helper_fields("_scatter_add_flat", None, 1, a.rank)
        fields.update(part=_PARTS["full"].format(**fields), dtype=dtype)
        fields["accumulate"] = "out[a, flat[j], 0] += part[a, j, 0]"
        return _helper(printer, "_scatter_add_flat", _SCATTER_ADD.format(**fields), args)
    printer.helper("_checked", _CHECKED)
    axis %= a.rank
    sizes = [f"i.shape[{d}]" if d == axis else f"a.shape[{d}]" for d in range(a.rank)]
    name = f"_scatter_along_axis{axis}_rank{a.rank}"
    source = _SCATTER_ALONG.format(
        name=name,
        axis=axis,
        shape="(" + ", ".join(sizes) + ",)",
        dtype=dtype,
        pre=_product([f"a.shape[{d}]" for d in range(axis)]),
        post=_product([f"a.shape[{d}]" for d in range(axis + 1, a.rank)]),
    )
    printer.helper(name, source)
    printer.modules.add("np")
    return ast.Call(ast.Name(name), list(args), [])


_ARGSORT = """\
def {name}(x):
    \"\"\"np.argsort(x, axis={axis}, kind="stable") for a rank-{rank} array (Numba
    sorts 1-d arrays only).\"\"\"
    cube = np.ascontiguousarray(x).reshape(({pre}, x.shape[{axis}], {post}))
    out = np.empty(cube.shape, np.int64)
    for p in range(cube.shape[0]):
        for q in range(cube.shape[2]):
            out[p, :, q] = np.argsort(cube[p, :, q], kind="mergesort")
    return out.reshape(x.shape)"""


def _argsort_spell(printer, op_, args):
    x = printer.kind(op_.args[0])
    stable = [("kind", ast.Constant("mergesort"))]  # "stable": Numba's name for it
    if op_.attrs.axis is None or x.rank == 1:
        flat = args[0] if x.rank == 1 else _ravel(contiguous(printer, op_.args[0], args[0]))
        return printer.call("np.argsort", [flat], stable)
    axis = op_.attrs.axis % x.rank
    name = f"_argsort_axis{axis}_rank{x.rank}"
    source = _ARGSORT.format(
        name=name,
        axis=axis,
        rank=x.rank,
        pre=_product([f"x.shape[{d}]" for d in range(axis)]),
        post=_product([f"x.shape[{d}]" for d in range(axis + 1, x.rank)]),
    )
    printer.helper(name, source)
    printer.modules.add("np")
    return ast.Call(ast.Name(name), list(args), [])


_MASK = """\
def {name}(mask, x):
    \"\"\"The flat positions where mask is true, as x[mask] reads them ({what});
    IndexError if its shape is not theirs, as NumPy.\"\"\"
    if {mismatch}:
        raise IndexError("boolean index did not match the indexed array")
    return np.flatnonzero(mask)"""


def _mask_spell(printer, op_, args):
    rank, axis = printer.kind(op_.args[0]).rank, op_.attrs.axis
    if axis is None:
        name, what = f"_mask_indices_rank{rank}", "a mask of x's shape"
        mismatch = " or ".join(f"mask.shape[{d}] != x.shape[{d}]" for d in range(rank))
    else:
        axis %= printer.kind(op_.args[1]).rank
        name, what = f"_mask_indices_axis{axis}", f"a mask of axis {axis}"
        mismatch = f"mask.shape[0] != x.shape[{axis}]"
    printer.helper(name, _MASK.format(name=name, what=what, mismatch=mismatch))
    printer.modules.add("np")
    return ast.Call(ast.Name(name), list(args), [])


# ---------------------------------------------------------------------------
# SymPy counterparts (on object arrays; index operands are numbers)


def _ints(value):
    return np.asarray(value, dtype=object).astype(np.int64)


def _gather_sympy(args, attrs, number, truth):
    x, indices = np.asarray(args[0], dtype=object), [_ints(i) for i in args[1:]]
    if attrs.axis is None:
        return x.reshape(-1)[indices[0]]
    axis = attrs.axis % x.ndim
    return x[(slice(None),) * axis + tuple(indices)]


def _scatter_add_sympy(args, attrs, number, truth):
    g, x, indices = np.asarray(args[0], dtype=object), args[1], [_ints(i) for i in args[2:]]
    out = np.zeros(np.shape(x), dtype=object)
    if attrs.axis is None:
        flat = out.reshape(-1)
        np.add.at(flat, indices[0], g)
        return flat.reshape(np.shape(x))
    np.add.at(out, (slice(None),) * (attrs.axis % out.ndim) + tuple(indices), g)
    return out


def _take_along_sympy(args, attrs, number, truth):
    a = np.asarray(args[0], dtype=object)
    return np.take_along_axis(a, _ints(args[1]), axis=attrs.axis)


def _argsort_sympy(args, attrs, number, truth):
    values = np.vectorize(lambda v: float(number(v)))(np.asarray(args[0], dtype=object))
    return np.argsort(values, axis=attrs.axis, kind="stable")


AXIS_LAST = Option("axis", (int,), -1)

# fmt: off
register("gather", -1, ("special",), "special", None, None, full_adjoint=False, jvp=_gather_jvp, vjp=_gather_vjp, result_kind=gather_kind,
         spell=_gather_spell, sympy_arrays=_gather_sympy, fresh=True, **NOT_ELEMENTWISE)  # x[i0, i1], x[:, ids]
register("take", 2, ("special",), "special", None, None, full_adjoint=False, jvp=_gather_jvp, vjp=_gather_vjp, result_kind=gather_kind,
         spell=_gather_spell, sympy_arrays=_gather_sympy,
         fresh=True, **NOT_ELEMENTWISE)  # np.take(x, i, axis=None)
register("scatter_add", -1, ("special",), "special", None, None, jvp=_scatter_add_jvp, vjp=_scatter_add_vjp, result_kind=_scatter_kind,
         spell=_scatter_add_spell, sympy_arrays=_scatter_add_sympy, fresh=True, contiguous=True, shaped_like=1,
         shape_reads=frozenset({1}), **NOT_ELEMENTWISE)  # zeros like x, g added at the index
register("take_along", 2, ("special",), "special", None, None, full_adjoint=False, jvp=_take_along_jvp, vjp=_take_along_vjp, result_kind=take_along_kind,
         names=named(numpy="take_along_axis", options=(AXIS_LAST,)), spell=_take_along_spell, sympy_arrays=_take_along_sympy,
         fresh=True, **NOT_ELEMENTWISE)
register("scatter_along", 3, ("special",), "special", None, None, jvp=_scatter_along_jvp, result_kind=_scatter_kind, spell=_scatter_along_spell,
         fresh=True, contiguous=True, shaped_like=1, shape_reads=frozenset({1}), **NOT_ELEMENTWISE)  # adjoint of take_along
register("argsort", 1, ("special",), "special", None, None, result_kind=argsort_kind,
         spell=_argsort_spell, sympy_arrays=_argsort_sympy, fresh=True, contiguous=True, **CONSTANT)
register("mask_indices", 2, ("special",), "special", None, None, result_kind=mask_kind, spell=_mask_spell,
         sympy_arrays=lambda args, attrs, number, truth: np.flatnonzero(np.asarray(args[0], dtype=bool)),
         fresh=True, contiguous=True, shape_reads=frozenset({1}), **CONSTANT)  # x[mask]: where mask is true
# fmt: on
