"""Structural array primitives: products, reshapes, reductions, indexing,
stores, shapes and constants, and the plumbing the transformations make.

Each gives an explicit ``jvp(tangents, *args, ans, attrs)`` (``tangents``
holds ``None`` for operands that are not differentiated) and ``vjp(g, *args,
ans, attrs, ranks)``, its array spelling (``spelling``) and its SymPy
counterpart on whole arrays (``symbolic``).
"""

from __future__ import annotations

import ast

import numpy as np

from ..ir import FLOAT, INT, Attrs, Span, index_rank
from . import products, spelling, symbolic
from .expr import dot, linear_jvp, op, transpose, where
from .kinds import (
    create_kind,
    cumsum_kind,
    expand_kind,
    eye_kind,
    flip_kind,
    float_like,
    getitem_kind,
    outer_kind,
    reduce_kind,
    reshape_kind,
    shape_kind,
    store_kind,
    sum_to_kind,
    tape_result,
    transpose_kind,
)
from .registry import Option, named, register


def _expand(g, x, attrs):
    """A reduction's result ``g`` made broadcastable against the reduced ``x``:
    the reduced axis put back (size 1) unless ``keepdims`` kept it."""
    if attrs.axis is None or attrs.keepdims:
        return g
    return op("expand_dims", g, attrs=Attrs(axis=attrs.axis))


def _max_mask(x, ans, attrs):
    """1 where x attains the max (ties share it equally), over the reduced axes."""
    hits = where(x.eq(_expand(ans, x, attrs)), 1.0, 0.0)
    return hits / _expand(op("sum", hits, attrs=attrs), x, attrs)


def _max_jvp(tangents, x, ans, attrs):
    return op("sum", _max_mask(x, ans, attrs) * tangents[0], attrs=attrs)


def _max_vjp(g, x, ans, attrs, ranks):
    return (_expand(g, x, attrs) * _max_mask(x, ans, attrs),)


def _prod_others(x, attrs):
    """d prod / d x_i: the product of the other elements (over the reduced
    axes), computed without dividing by x_i, so exact where elements are 0."""
    return op("prod_others", x, attrs=Attrs(axis=attrs.axis))


def _prod_jvp(tangents, x, ans, attrs):
    return op("sum", _prod_others(x, attrs) * tangents[0], attrs=attrs)


def _prod_vjp(g, x, ans, attrs, ranks):
    return (_expand(g, x, attrs) * _prod_others(x, attrs),)


def _prod_others_jvp(tangents, x, ans, attrs):
    return op("prod_others_tangent", x, tangents[0], attrs=attrs)


def _prod_others_vjp(g, x, ans, attrs, ranks):
    """``prod_others`` is the gradient of ``np.prod``: its Jacobian is the
    (symmetric) Hessian, so its adjoint is its tangent along ``g``."""
    return (op("prod_others_tangent", x, g, attrs=attrs),)


def _sum_vjp(g, x, ans, attrs, ranks):
    return (_expand(g, x, attrs),)


def _index_vjp(g, x, *rest):
    indices, attrs = rest[:-3], rest[-2]
    return (op("scatter", g, x, *indices, attrs=attrs),) + (None,) * len(indices)


def _tape_grow_vjp(g, tape, k, ans, attrs, ranks):
    """The grown tape begins with the old one: its adjoint is the first rows of ``g``."""
    rows = op("shape", tape, attrs=Attrs(axis=0))
    return (op("getitem", g, rows, attrs=Attrs(index=(Span(stop=True),))), None)


def _like_vjp(name):
    """The VJP of ``prim(g, x)``, linear in ``g`` and reading only ``x``'s
    shape (the rules' own reshaping primitives): ``name(adjoint, g)``."""

    def vjp(adjoint, g, x, ans, attrs, ranks):
        return (op(name, adjoint, g), None)

    return vjp


def _scatter_vjp(adjoint, g, x, *rest):
    """``scatter`` puts ``g`` at an index of zeros: its adjoint reads it back."""
    indices, attrs = rest[:-3], rest[-2]
    return (op("getitem", adjoint, *indices, attrs=attrs), None) + (None,) * len(indices)


def _index_jvp(tangents, x, *rest):
    indices, attrs = rest[:-2], rest[-1]
    return op("getitem", tangents[0], *indices, attrs=attrs)


def _selected(g, v, indices, attrs, ranks):
    """The part of ``g`` at the index, summed to ``v``'s shape if ``v`` was broadcast."""
    part = op("getitem", g, *indices, attrs=attrs)
    selected_rank = ranks[1] - index_rank(attrs.index)
    if ranks[0] < selected_rank:
        return op("sum_to", part, v)
    # A row or slice of g is a view: copied, as g is cleared or added to in place.
    return op("copy", part) if selected_rank else part


def _setitem_vjp(g, v, a, *rest):
    indices, attrs, ranks = rest[:-3], rest[-2], rest[-1]
    cleared = op("setitem", 0.0, g, *indices, attrs=attrs)
    return (_selected(g, v, indices, attrs, ranks), cleared) + (None,) * len(indices)


def _setitem_jvp(tangents, v, a, *rest):
    indices, attrs = rest[:-2], rest[-1]
    tv, ta = tangents[0], tangents[1]
    base = ta if ta is not None else op("zeros_like", a)
    return op("setitem", tv if tv is not None else 0.0, base, *indices, attrs=attrs)


def _additem_vjp(g, v, a, *rest):
    indices, attrs, ranks = rest[:-3], rest[-2], rest[-1]
    return (_selected(g, v, indices, attrs, ranks), g) + (None,) * len(indices)


def _additem_jvp(tangents, v, a, *rest):
    indices, attrs = rest[:-2], rest[-1]
    tv, ta = tangents[0], tangents[1]
    if tv is None:
        return ta
    base = ta if ta is not None else op("zeros_like", a)
    return op("additem", tv, base, *indices, attrs=attrs)


def _reshape_jvp(tangents, x, *rest):
    shape, attrs = rest[:-2], rest[-1]
    return op("reshape", tangents[0], *shape, attrs=attrs)


def _reshape_vjp(g, x, *rest):
    shape = rest[:-3]
    return (op("reshape_like", g, x),) + (None,) * len(shape)


def _cumsum_jvp(tangents, x, ans, attrs):
    return op("cumsum", tangents[0], attrs=attrs)


def _cumsum_vjp(g, x, ans, attrs, ranks):
    """The sums of ``g`` from each element to the end: ``g`` reversed, summed
    up, reversed back (flattened for ``axis=None``, then reshaped like ``x``)."""
    along = Attrs(axis=0 if attrs.axis is None else attrs.axis)
    from_the_end = op("flip", op("cumsum", op("flip", g, attrs=along), attrs=attrs), attrs=along)
    if attrs.axis is None and ranks[0] > 1:
        return (op("reshape_like", from_the_end, x),)
    return (from_the_end,)


def _transpose_vjp(g, x, ans, attrs, ranks):
    """The adjoint's axes put back in their order: the inverse permutation."""
    if attrs.axes is None:
        return (transpose(g),)
    inverse = tuple(sorted(range(len(attrs.axes)), key=attrs.axes.__getitem__))
    return (op("transpose", g, attrs=Attrs(axes=inverse)),)


def _expand_dims_vjp(g, x, ans, attrs, ranks):
    """The inserted axes (of size 1) taken out again."""
    if ranks[0] == 0:  # a number is not expanded (kinds.expand_kind)
        return (g,)
    axes = attrs.axis if isinstance(attrs.axis, tuple) else (attrs.axis,)
    rank = ranks[0] + len(axes)
    return (op("squeeze", g, attrs=Attrs(axes=tuple(sorted(a % rank for a in axes)))),)


def _flip_vjp(g, x, ans, attrs, ranks):
    return (op("flip", g, attrs=attrs),)


def _reshape_sympy(args, attrs, number, truth):
    return np.reshape(args[0], symbolic.sizes(args[1:]))


def _same_kind(kinds, atoms, attrs):
    return kinds[0]


AXIS = Option("axis", (int,), None)
AXES = Option("axis", (int, tuple), None)  # an int or a tuple of ints
KEEPDIMS = Option("keepdims", (bool,), False, positional=False)
REDUCTION = (AXES, KEEPDIMS)
SPECIAL = ("special",)  # spelled by ``spell`` on scalars too
NOT_ELEMENTWISE = {"elementwise": False}
CONSTANT = {"differentiable": False, "elementwise": False}

# fmt: off
register("dot", 2, SPECIAL, "special", np.dot, None, jvp=linear_jvp("dot"), vjp=products.product_vjp("dot"), result_kind=products.product_kind("dot"),
         spell=products.spell_product("dot"), sympy_arrays=symbolic.on_arrays(np.dot), contiguous=True, **NOT_ELEMENTWISE)
register("matmul", 2, ("binop", ast.MatMult), "op", np.matmul, None, jvp=linear_jvp("matmul"), vjp=products.product_vjp("matmul"), result_kind=products.product_kind("matmul"), names=named(numpy="matmul"),
         spell=products.spell_product("matmul"), sympy_arrays=symbolic.on_arrays(np.matmul), contiguous=True, **NOT_ELEMENTWISE)
register("outer", 2, SPECIAL, "special", np.outer, None, jvp=linear_jvp("outer"), vjp=lambda g, a, b, ans, attrs, ranks: (dot(g, b), dot(transpose(g), a)),
         result_kind=outer_kind, names=named(numpy="outer"), spell=spelling.calling("np.outer"), sympy_arrays=symbolic.on_arrays(np.outer), contiguous=True, **NOT_ELEMENTWISE)
register("transpose", 1, SPECIAL, "special", np.transpose, None, jvp=linear_jvp("transpose"), vjp=_transpose_vjp,  # np.transpose, .transpose(): symdiff.library.shapes
         result_kind=transpose_kind, spell=spelling.transpose, sympy_arrays=symbolic.transpose, view=True, **NOT_ELEMENTWISE)
register("reshape", -1, SPECIAL, "special", None, None, jvp=_reshape_jvp, vjp=_reshape_vjp, result_kind=reshape_kind, names=named(numpy="reshape", methods="reshape", arguments=2),
         spell=spelling.reshape, sympy_arrays=_reshape_sympy, view=True, sized_by=lambda atoms: atoms[1:], **NOT_ELEMENTWISE)
register("sum", 1, SPECIAL, "special", None, None, full_adjoint=False, jvp=linear_jvp("sum"), vjp=_sum_vjp, result_kind=reduce_kind, names=named(numpy="sum", methods="sum", options=REDUCTION),
         spell=spelling.reduction("sum"), sympy_arrays=symbolic.reduce(np.sum), **NOT_ELEMENTWISE)
register("amax", 1, SPECIAL, "special", None, None, full_adjoint=False, jvp=_max_jvp, vjp=_max_vjp, result_kind=reduce_kind, names=named(numpy="max amax", methods="max", options=REDUCTION),
         spell=spelling.reduction("max"), sympy_arrays=symbolic.pick(np.argmax), **NOT_ELEMENTWISE)
register("amin", 1, SPECIAL, "special", None, None, full_adjoint=False, jvp=_max_jvp, vjp=_max_vjp, result_kind=reduce_kind, names=named(numpy="min amin", methods="min", options=REDUCTION),
         spell=spelling.reduction("min"), sympy_arrays=symbolic.pick(np.argmin), **NOT_ELEMENTWISE)
register("prod", 1, SPECIAL, "special", None, None, full_adjoint=False, jvp=_prod_jvp, vjp=_prod_vjp, result_kind=reduce_kind, names=named(numpy="prod", methods="prod", options=REDUCTION),
         spell=spelling.reduction("prod"), sympy_arrays=symbolic.reduce(np.prod), **NOT_ELEMENTWISE)
register("cumsum", 1, SPECIAL, "special", None, None, jvp=_cumsum_jvp, vjp=_cumsum_vjp, result_kind=cumsum_kind, names=named(numpy="cumsum", methods="cumsum", options=(AXIS,)),
         spell=spelling.cumsum, sympy_arrays=symbolic.cumsum, contiguous=True, **NOT_ELEMENTWISE)
register("flip", 1, SPECIAL, "special", None, None, jvp=linear_jvp("flip"), vjp=_flip_vjp, result_kind=flip_kind,  # np.flip: symdiff.library.shapes
         spell=spelling.flip, sympy_arrays=symbolic.flip, view=True, shaped_like=0, **NOT_ELEMENTWISE)
register("getitem", -1, SPECIAL, "special", None, None, jvp=_index_jvp, vjp=_index_vjp, result_kind=getitem_kind,
         spell=spelling.getitem, sympy_arrays=symbolic.getitem, view=True, **NOT_ELEMENTWISE)
register("setitem", -1, SPECIAL, "special", None, None, jvp=_setitem_jvp, vjp=_setitem_vjp, result_kind=store_kind,  # a[index] = v
         sympy_arrays=symbolic.store(add=False), full_tangent=True, indexed=True, shaped_like=1, **NOT_ELEMENTWISE)
register("additem", -1, SPECIAL, "special", None, None, jvp=_additem_jvp, vjp=_additem_vjp, result_kind=store_kind,  # a[index] += v
         sympy_arrays=symbolic.store(add=True), full_tangent=True, indexed=True, shaped_like=1, **NOT_ELEMENTWISE)
register("copy", 1, SPECIAL, "special", lambda x: x, lambda x: x, lambda x, ans: (1.0,), result_kind=_same_kind, names=named(numpy="copy", methods="copy"),
         spell=spelling.copy, sympy_arrays=lambda args, attrs, number, truth: np.array(args[0], dtype=object), fresh=True, contiguous=True, shaped_like=0)

# Loops reversed with tapes (made by reverse mode).
register("tape", 2, SPECIAL, "special", None, None, result_kind=tape_result, spell=spelling.tape, fresh=True, contiguous=True, **CONSTANT)  # np.empty((n,) + like.shape, dtype); like[select] with a select=pattern
register("tape_grow", 2, SPECIAL, "special", None, None, jvp=linear_jvp("tape_grow"), vjp=_tape_grow_vjp, result_kind=_same_kind, spell=spelling.tape_grow,  # tape, or a copy twice as long if k is past its end
         elementwise=False)  # its values are the tape's: differentiated in second derivatives
register("range_len", 3, SPECIAL, "special", None, None, result_kind=lambda kinds, atoms, attrs: INT, spell=spelling.range_len, **CONSTANT)
register("stale", 1, SPECIAL, "special", None, None, result_kind=lambda kinds, atoms, attrs: FLOAT, **CONSTANT)  # never generated: a read reverse mode cannot replay

# Shapes and constants: ints, or arrays that do not depend on their inputs' values.
register("shape", 1, SPECIAL, "special", None, None, result_kind=shape_kind, spell=spelling.shape, sympy_arrays=symbolic.shape, shape_reads=frozenset({0}), **CONSTANT)
register("size", 1, SPECIAL, "special", None, None, result_kind=shape_kind, names=named(numpy="size"), spell=spelling.size, sympy_arrays=symbolic.size, shape_reads=frozenset({0}), **CONSTANT)
register("zeros", -1, SPECIAL, "special", None, None, result_kind=create_kind, names=named(numpy="zeros empty", arguments=1), spell=spelling.created("np.zeros"),
         sympy_arrays=lambda args, attrs, number, truth: np.zeros(symbolic.sizes(args)), fresh=True, contiguous=True, sized_by=tuple, **CONSTANT)
register("ones", -1, SPECIAL, "special", None, None, result_kind=create_kind, names=named(numpy="ones", arguments=1), spell=spelling.created("np.ones"),
         sympy_arrays=lambda args, attrs, number, truth: np.ones(symbolic.sizes(args)), fresh=True, contiguous=True, sized_by=tuple, **CONSTANT)
register("zeros_like", 1, SPECIAL, "special", None, None, result_kind=float_like(0), names=named(numpy="zeros_like empty_like"), spell=spelling.calling("np.zeros_like"),
         sympy_arrays=lambda args, attrs, number, truth: np.zeros(np.shape(args[0])), fresh=True, full_tangent=True, shaped_like=0, shape_reads=frozenset({0}), **CONSTANT)
register("ones_like", 1, SPECIAL, "special", None, None, result_kind=float_like(0), names=named(numpy="ones_like"), spell=spelling.calling("np.ones_like"),
         sympy_arrays=lambda args, attrs, number, truth: np.ones(np.shape(args[0])), fresh=True, shaped_like=0, shape_reads=frozenset({0}), **CONSTANT)
register("eye", -1, SPECIAL, "special", None, None, result_kind=eye_kind, names=named(numpy="eye", arguments=1), spell=spelling.eye,  # eye(n); eye(m, n, k): rows k.. of eye(n) (block forward mode's directions)
         sympy_arrays=lambda args, attrs, number, truth: np.eye(*map(int, args)), fresh=True, contiguous=True, sized_by=lambda atoms: atoms[:2] if len(atoms) > 1 else atoms * 2, **CONSTANT)

# Adjoint plumbing, made by the transformations (never written by users).
register("sum_to", 2, SPECIAL, "special", None, None, jvp=linear_jvp("sum_to"), vjp=_like_vjp("broadcast_like"), result_kind=sum_to_kind, spell=spelling.sum_to, shape_reads=frozenset({1}), **NOT_ELEMENTWISE)  # sum g to x's shape (or smaller: a broadcastable adjoint stays as it is)
register("expand_dims", 1, SPECIAL, "special", None, None, jvp=linear_jvp("expand_dims"), vjp=_expand_dims_vjp, result_kind=expand_kind,  # a reduced axis put back; x[:, None]
         spell=spelling.expand_dims, sympy_arrays=symbolic.expand_dims, view=True, **NOT_ELEMENTWISE)
register("broadcast_like", 2, SPECIAL, "special", None, None, jvp=linear_jvp("broadcast_like"), vjp=_like_vjp("sum_to"), result_kind=float_like(1), spell=spelling.broadcast_like,  # t broadcast to y's shape
         full_tangent=True, shaped_like=1, shape_reads=frozenset({1}), **NOT_ELEMENTWISE)
register("reshape_like", 2, SPECIAL, "special", None, None, jvp=linear_jvp("reshape_like"), vjp=_like_vjp("reshape_like"), result_kind=float_like(1), spell=spelling.reshape_like, view=True, shaped_like=1, shape_reads=frozenset({1}), **NOT_ELEMENTWISE)  # g reshaped to x's shape
register("scatter", -1, SPECIAL, "special", None, None, jvp=linear_jvp("scatter"), vjp=_scatter_vjp, result_kind=float_like(1), indexed=True, shaped_like=1, shape_reads=frozenset({1}), **NOT_ELEMENTWISE)  # zeros like x, g at an index
register("prod_others", 1, SPECIAL, "special", None, None, jvp=_prod_others_jvp, vjp=_prod_others_vjp, result_kind=float_like(0), spell=spelling.prod_others, **NOT_ELEMENTWISE)  # per element: the product of the others
register("prod_others_tangent", 2, SPECIAL, "special", None, None, result_kind=float_like(0), spell=spelling.prod_others_tangent, **NOT_ELEMENTWISE)  # (x, s) -> prod's Hessian @ s
# fmt: on
