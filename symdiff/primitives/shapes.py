"""Shapes and views: squeezing axes out, broadcasting to a shape, diagonals
and triangles (``transpose``, ``reshape``, ``flip`` and ``expand_dims`` are
in ``structural``).

The NumPy functions users call (``np.squeeze``, ``np.broadcast_to``,
``np.diag``, ``np.diagonal``, ``np.tril``...) are definitions in
``symdiff.library.shapes``, which normalise their options and apply these
primitives (``library.apply``).  Every primitive here is linear: its JVP is
itself on the tangent, its VJP the transposed operation on the adjoint.

* ``squeeze(x)``, ``attrs.axes``: those axes (each of size 1) taken out,
  printed as an index (``x[:, 0]``, a view); ``axes=None``: every axis
  known to have size 1 (an axis that may or may not have size 1 is refused:
  its rank would depend on the sizes when the code runs).  VJP: the axes put
  back (``np.expand_dims``).
* ``broadcast_to(x, *shape)``: a read-only view; VJP: the adjoint summed to
  ``x``'s shape (``sum_to``, as for broadcasting operands).
* ``diagonal(x, k)``: the ``k``-th diagonal of the last two axes (as a new
  last axis); VJP: ``onto_diagonal(g, x, k)``, zeros like ``x`` with ``g``
  on that diagonal.  ``diag(v, k)``: the matrix with ``v`` on its ``k``-th
  diagonal; VJP: its ``k``-th diagonal.
* ``tril(x, k)``, ``triu(x, k)``: the lower/upper triangle of the last two
  axes; VJP: the same triangle of the adjoint.

``k`` is an operand (an int), so one compiled code serves every offset.
"""

from __future__ import annotations

import ast

import numpy as np

from ..ir import Attrs, Kind
from . import spelling
from .expr import op
from .kinds import MATCHES, MAYBE_ONE, ONE, RankError, size_of, with_dtype
from .registry import register
from .structural import NOT_ELEMENTWISE, SPECIAL

# -- squeeze -------------------------------------------------------------------


def squeezed_axes(k: Kind, axes) -> tuple:
    """The axes ``squeeze`` takes out of an array of kind ``k``."""
    if axes is None:
        unknown = [axis for axis in range(k.rank) if k.size(axis) is MAYBE_ONE]
        if unknown:
            raise RankError(
                f"np.squeeze without axis= of an array whose axis {unknown[0]} may or may not "
                "have size 1 (its rank would be known only when the code runs): pass axis="
            )
        return tuple(axis for axis in range(k.rank) if k.size(axis) is ONE)
    for axis in axes:
        if not 0 <= axis < k.rank:
            raise RankError(f"axis {axis} is out of range for an array of rank {k.rank}")
        if k.size(axis) is not ONE:
            raise RankError(
                f"np.squeeze(..., axis={axis}) of an axis not known to have size 1 "
                f"(index it instead: take element 0 of axis {axis})"
            )
    return tuple(sorted(axes))


def squeeze_kind(kinds, atoms, attrs):
    k = kinds[0]
    gone = squeezed_axes(k, attrs.axes)
    return Kind.of_sizes(k.dtype, [k.size(a) for a in range(k.rank) if a not in gone])


def squeeze_spelling(printer, op, args):
    """``x[:, 0]``: element 0 of each squeezed axis (a view)."""
    kind = printer.kind(op.args[0])
    gone = squeezed_axes(kind, op.attrs.axes)
    if not gone:
        return args[0]
    items = [ast.Constant(0) if a in gone else ast.Slice() for a in range(max(gone) + 1)]
    return ast.Subscript(args[0], items[0] if len(items) == 1 else ast.Tuple(items))


def _squeeze_vjp(g, x, ans, attrs, ranks):
    if attrs.axes is None:  # which axes had size 1 is the kind's: reshape like x
        return (op("reshape_like", g, x),)
    adjoint = g
    for axis in sorted(attrs.axes):
        adjoint = op("expand_dims", adjoint, attrs=Attrs(axis=axis))
    return (adjoint,)


def _squeeze_sympy(args, attrs, number, truth):
    value = np.asarray(args[0], dtype=object)
    if attrs.axes is None:
        return np.squeeze(value)
    return np.squeeze(value, axis=attrs.axes)


# -- broadcast_to ----------------------------------------------------------------


def broadcast_to_kind(kinds, atoms, attrs):
    k, shape = kinds[0], atoms[1:]
    if any(s.rank or s.dtype != "int" for s in kinds[1:]):
        raise RankError("a shape is a tuple of ints")
    if len(shape) < k.rank:
        raise RankError(f"cannot broadcast a rank-{k.rank} array to {len(shape)} axes")
    offset = len(shape) - k.rank
    sizes = [size_of(size) for size in shape]
    for axis in range(k.rank):  # an axis of full size stays one
        if k.size(axis) is MATCHES:
            sizes[axis + offset] = MATCHES
    return Kind.of_sizes(k.dtype, sizes)


def broadcast_to_spelling(printer, op, args):
    shape = ast.Tuple(list(args[1:]))
    if printer.kind(op.args[0]).rank == 0:  # Numba broadcasts arrays only
        return printer.call("np.full", [shape, args[0]])
    return printer.call("np.broadcast_to", [args[0], shape])


def _broadcast_to_jvp(tangents, x, *rest):
    shape, attrs = rest[:-2], rest[-1]
    return op("broadcast_to", tangents[0], *shape, attrs=attrs)


def _broadcast_to_vjp(g, x, *rest):
    shape = rest[:-3]
    return (op("sum_to", g, x),) + (None,) * len(shape)


def _broadcast_to_sympy(args, attrs, number, truth):
    shape = tuple(int(v) for v in args[1:])
    return np.broadcast_to(np.asarray(args[0], dtype=object), shape)


# -- diagonals and triangles --------------------------------------------------------


def _offset_kind(kinds, rank_needed, what, array=0):
    x, k = kinds[array], kinds[-1]
    if k.rank or k.dtype != "int":
        raise RankError(f"the offset of {what} must be an int")
    if x.rank < rank_needed:
        raise RankError(f"{what} needs an array of rank {rank_needed} at least, not {x.rank}")


def diagonal_kind(kinds, atoms, attrs):
    _offset_kind(kinds, 2, "np.diagonal")
    x = kinds[0]
    full = (
        getattr(atoms[1], "value", None) == 0
        and x.size(x.rank - 2) is x.size(x.rank - 1) is MATCHES
    )
    return Kind.of_sizes(x.dtype, x.sizes()[:-2] + [MATCHES if full else MAYBE_ONE])


def diag_kind(kinds, atoms, attrs):
    v = kinds[0]
    _offset_kind(kinds, 1, "np.diag")
    if v.rank != 1:
        raise RankError(f"np.diag makes a matrix of a rank-1 array, not of rank {v.rank}")
    offset = atoms[1]
    if getattr(offset, "value", None) == 0:
        size = v.size(0)
    else:  # n + |k|: more than 1 for a known k other than 0
        size = MATCHES if hasattr(offset, "value") else MAYBE_ONE
    return Kind.of_sizes(v.dtype, [size, size])


def onto_diagonal_kind(kinds, atoms, attrs):
    _offset_kind(kinds, 2, "a diagonal's adjoint", array=1)
    return with_dtype(kinds[1], "float")


def triangle_kind(kinds, atoms, attrs):
    _offset_kind(kinds, 2, "np.tril and np.triu")
    return kinds[0]


_DIAGONAL_HELPER = """\
def _diagonal(x, k):
    \"\"\"np.diagonal(x, k, -2, -1) for a stack of matrices (the diagonal as the
    last axis), written out for Numba.\"\"\"
    row, col = max(-k, 0), max(k, 0)
    n = max(min(x.shape[-2] - row, x.shape[-1] - col), 0)
    out = np.empty(x.shape[:-2] + (n,), x.dtype)
    for i in range(n):
        out[..., i] = x[..., row + i, col + i]
    return out"""

_ONTO_DIAGONAL_HELPER = """\
def _onto_diagonal(g, x, k):
    \"\"\"Zeros like x with g on the k-th diagonal of its last two axes: the
    adjoint of np.diagonal(x, k, -2, -1).\"\"\"
    out = np.zeros(x.shape, g.dtype)
    row, col = max(-k, 0), max(k, 0)
    for i in range(g.shape[-1]):
        out[..., row + i, col + i] = g[..., i]
    return out"""

_ONTO_DIAGONAL_2D_HELPER = """\
def _onto_diagonal_2d(g, x, k):
    \"\"\"Zeros like the matrix x with g on its k-th diagonal: the adjoint of
    np.diag(x, k).\"\"\"
    out = np.zeros(x.shape, g.dtype)
    row, col = max(-k, 0), max(k, 0)
    for i in range(g.shape[0]):
        out[row + i, col + i] = g[i]
    return out"""


def diagonal_spelling(printer, op, args):
    """``np.diag(x, k)`` of a matrix; a helper for stacks of matrices."""
    if printer.kind(op.args[0]).rank == 2:
        return printer.call("np.diag", args)
    printer.modules.add("np")
    return ast.Call(ast.Name(printer.helper("_diagonal", _DIAGONAL_HELPER)), args, [])


def onto_diagonal_spelling(printer, op, args):
    printer.modules.add("np")
    if printer.kind(op.args[1]).rank == 2:
        name = printer.helper("_onto_diagonal_2d", _ONTO_DIAGONAL_2D_HELPER)
    else:
        name = printer.helper("_onto_diagonal", _ONTO_DIAGONAL_HELPER)
    return ast.Call(ast.Name(name), args, [])


def _diagonal_jvp(tangents, x, k, ans, attrs):
    return op("diagonal", tangents[0], k)


def _diagonal_vjp(g, x, k, ans, attrs, ranks):
    return op("onto_diagonal", g, x, k), None


def _onto_diagonal_jvp(tangents, g, x, k, ans, attrs):
    return op("onto_diagonal", tangents[0], x, k)


def _onto_diagonal_vjp(adjoint, g, x, k, ans, attrs, ranks):
    return op("diagonal", adjoint, k), None, None


def _diag_jvp(tangents, v, k, ans, attrs):
    return op("diag", tangents[0], k)


def _diag_vjp(g, v, k, ans, attrs, ranks):
    return op("diagonal", g, k), None


def _triangle_rules(name):
    def jvp(tangents, x, k, ans, attrs):
        return op(name, tangents[0], k)

    def vjp(g, x, k, ans, attrs, ranks):
        return op(name, g, k), None

    return jvp, vjp


def _diagonal_sympy(args, attrs, number, truth):
    return np.diagonal(np.asarray(args[0], dtype=object), int(args[1]), -2, -1)


def _onto_diagonal_sympy(args, attrs, number, truth):
    g, x, k = np.asarray(args[0], dtype=object), args[1], int(args[2])
    out = np.zeros(np.shape(x), dtype=object)
    row, col = max(-k, 0), max(k, 0)
    for i in range(g.shape[-1]):
        out[..., row + i, col + i] = g[..., i]
    return out


def _triangle_sympy(func):
    return lambda args, attrs, number, truth: func(np.asarray(args[0], dtype=object), int(args[1]))


LINEAR_VIEW = {"view": True, **NOT_ELEMENTWISE}
NEW_ARRAY = {"fresh": True, "contiguous": True, **NOT_ELEMENTWISE}
_TRIL, _TRIU = _triangle_rules("tril"), _triangle_rules("triu")

# fmt: off
register("squeeze", 1, SPECIAL, "special", None, None, jvp=lambda t, x, ans, attrs: op("squeeze", t[0], attrs=attrs), vjp=_squeeze_vjp,
         result_kind=squeeze_kind, spell=squeeze_spelling, sympy_arrays=_squeeze_sympy, **LINEAR_VIEW)
register("broadcast_to", -1, SPECIAL, "special", None, None, jvp=_broadcast_to_jvp, vjp=_broadcast_to_vjp, result_kind=broadcast_to_kind,  # a read-only view
         spell=broadcast_to_spelling, sympy_arrays=_broadcast_to_sympy, read_only=True, **LINEAR_VIEW)
register("diagonal", 2, SPECIAL, "special", None, None, jvp=_diagonal_jvp, vjp=_diagonal_vjp, result_kind=diagonal_kind,  # NumPy: a read-only view
         spell=diagonal_spelling, sympy_arrays=_diagonal_sympy, read_only=True, **LINEAR_VIEW)
register("onto_diagonal", 3, SPECIAL, "special", None, None, jvp=_onto_diagonal_jvp, vjp=_onto_diagonal_vjp, result_kind=onto_diagonal_kind,  # zeros like x, g on a diagonal
         spell=onto_diagonal_spelling, sympy_arrays=_onto_diagonal_sympy, shaped_like=1, shape_reads=frozenset({1}), **NEW_ARRAY)
register("diag", 2, SPECIAL, "special", None, None, jvp=_diag_jvp, vjp=_diag_vjp, result_kind=diag_kind,  # of a matrix: NumPy's read-only view of its diagonal
         spell=lambda printer, op, args: printer.call("np.diag", args), sympy_arrays=lambda args, attrs, number, truth: np.diag(np.asarray(args[0], dtype=object), int(args[1])), contiguous=True, read_only=True, **NOT_ELEMENTWISE)
register("tril", 2, SPECIAL, "special", None, None, jvp=_TRIL[0], vjp=_TRIL[1], result_kind=triangle_kind,
         spell=spelling.triangle("tril"), sympy_arrays=_triangle_sympy(np.tril), shaped_like=0, **NEW_ARRAY)
register("triu", 2, SPECIAL, "special", None, None, jvp=_TRIU[0], vjp=_TRIU[1], result_kind=triangle_kind,
         spell=spelling.triangle("triu"), sympy_arrays=_triangle_sympy(np.triu), shaped_like=0, **NEW_ARRAY)
# fmt: on
