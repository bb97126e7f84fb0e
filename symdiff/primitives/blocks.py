"""Block rules: structural primitives applied to a block of directions.

Vector forward mode (``transform.batch``) runs a JVP for ``k`` directions in
one sweep: a value that depends on the direction is carried as a *block*,
its ``k`` values stacked along a new leading axis (``dx[j]`` is direction
``j``'s ``dx``).  The block axis leads so that NumPy's broadcasting, which
aligns shapes from the right, keeps elementwise code as it is: a partial
derivative of the value's shape meets a block of tangents unchanged
(``t2 * dh`` with ``t2`` of shape ``(n,)`` and ``dh`` of shape ``(k, n)``),
and elementwise primitives need no rule here.  A structural primitive's rule
moves its axes by one: index patterns gain a leading ``:``, axis numbers
grow by one, shapes gain the count ``k``; matrix products become 2-d
products of reshaped blocks (Numba's ``@`` takes 1-d and 2-d operands only).

A rule is ``rule(block, operands, attrs) -> atom``: ``operands`` are the
operation's, a blocked one replaced by its block; ``block`` (the transform's
view of the operation) says which operands are blocked (``blocked(i)``),
their ranks for one direction (``rank(i)``, ``result_rank``), their sizes
(``sizes(i)``), emits operations (``emit``) and gives ``padded(i, rank)``
(operand ``i``'s block with unit axes after the block axis, as broadcasting
against a value of ``rank`` axes needs) and ``lifted(i)`` (an unblocked
operand repeated for every direction, a new array).  A rule raises
``Unbatched`` for a case it does not cover; the caller then runs one
direction at a time, as for a primitive without a rule.
"""

from __future__ import annotations

import dataclasses

from ..ir import WHOLE, Const, Take
from . import shapes, structural  # noqa: F401  (the rows the rules are attached to)
from .kinds import expanded_axes, reduced_axes
from .registry import PRIMITIVES


class Unbatched(Exception):
    """No block form for an operation: run it one direction at a time."""


def _rule(*names):
    """Register the decorated function as the block rule of ``names``."""

    def put(rule):
        for name in names:
            PRIMITIVES[name] = dataclasses.replace(PRIMITIVES[name], batch=rule)
        return rule

    return put


def _only_first(block, count: int):
    """Operands past the first must not depend on the direction (indices,
    shapes)."""
    if any(block.blocked(i) for i in range(1, count)):
        raise Unbatched


@_rule("getitem")
def _getitem(block, args, attrs):
    _only_first(block, len(args))
    return block.emit("getitem", *args, index=(WHOLE,) + attrs.index)


@_rule("setitem", "additem")
def _store(block, args, attrs):
    """``a[index] = v`` (``+=``): the block of ``a`` at ``[:, index]``."""
    if any(block.blocked(i) for i in range(2, len(args))):
        raise Unbatched
    selected = block.rank(1) - sum(isinstance(item, Take) for item in attrs.index)
    value = block.padded(0, selected) if block.blocked(0) else args[0]
    target = args[1] if block.blocked(1) else block.lifted(1)
    prim = block.prim
    return block.emit(prim, value, target, *args[2:], index=(WHOLE,) + attrs.index)


@_rule("broadcast_like")
def _broadcast_like(block, args, attrs):
    if block.blocked(1):
        raise Unbatched
    if block.rank(0) == block.rank(1) and block.same_shape(0, 1):
        return args[0]
    sizes = block.sizes(1)
    return block.emit("broadcast_to", block.padded(0, len(sizes)), block.count, *sizes)


@_rule("broadcast_to")
def _broadcast_to(block, args, attrs):
    _only_first(block, len(args))
    sizes = args[1:]
    return block.emit("broadcast_to", block.padded(0, len(sizes)), block.count, *sizes)


@_rule("reshape")
def _reshape(block, args, attrs):
    _only_first(block, len(args))
    return block.emit("reshape", args[0], block.count, *args[1:])


@_rule("reshape_like")
def _reshape_like(block, args, attrs):
    if block.blocked(1):
        raise Unbatched
    return block.emit("reshape", args[0], block.count, *block.sizes(1))


@_rule("sum_to")
def _sum_to(block, args, attrs):
    """``g`` summed to ``x``'s shape for each direction: its leading axes
    summed, then ``sum_to`` a view of ``x``'s shape for every direction (the
    block axis is never summed)."""
    if block.blocked(1):
        raise Unbatched
    ranks = block.rank(0), block.rank(1)
    if ranks[0] < ranks[1]:  # a smaller adjoint broadcasts as it is
        return args[0]
    if ranks[0] == ranks[1] and block.same_shape(0, 1):
        return args[0]
    summed = args[0]
    if ranks[0] > ranks[1]:
        axes = tuple(range(1, ranks[0] - ranks[1] + 1))
        summed = block.emit("sum", summed, axis=axes if len(axes) > 1 else axes[0])
    if ranks[1] == 0:
        return summed
    like = block.emit("broadcast_to", args[1], block.count, *block.sizes(1))
    return block.emit("sum_to", summed, like)


@_rule("expand_dims")
def _expand_dims(block, args, attrs):
    rank = block.rank(0)
    if rank == 0:  # a number broadcasts as it is
        return args[0]
    axes = tuple(a + 1 for a in expanded_axes(attrs.axis, rank))
    return block.emit("expand_dims", args[0], axis=axes if len(axes) > 1 else axes[0])


@_rule("transpose")
def _transpose(block, args, attrs):
    rank = block.rank(0)
    if rank <= 1:
        return args[0]
    order = attrs.axes if attrs.axes is not None else tuple(reversed(range(rank)))
    return block.emit("transpose", args[0], axes=(0,) + tuple(a % rank + 1 for a in order))


@_rule("sum")
def _sum(block, args, attrs):
    rank = block.rank(0)
    if rank == 0:  # a number is its own sum
        return args[0]
    axes = reduced_axes(attrs.axis, rank)
    axes = tuple(a + 1 for a in axes) if axes is not None else tuple(range(1, rank + 1))
    return block.emit(
        "sum", args[0], axis=axes if len(axes) > 1 else axes[0], keepdims=attrs.keepdims
    )


@_rule("cumsum", "flip")
def _along_axis(block, args, attrs):
    rank = block.rank(0)
    if attrs.axis is None and rank != 1:  # cumsum flattens, flip reverses every axis
        raise Unbatched
    axis = 0 if attrs.axis is None else attrs.axis % rank
    return block.emit(block.prim, args[0], axis=axis + 1)


@_rule("shape")
def _shape(block, args, attrs):
    return block.emit("shape", args[0], axis=attrs.axis % block.rank(0) + 1)


@_rule("zeros_like", "ones_like")
def _like(block, args, attrs):
    return block.emit(block.prim, args[0])


@_rule("outer")
def _outer(block, args, attrs):
    """``a[:, None] * b``, a block's axes one further on."""
    first = block.emit("expand_dims", args[0], axis=2 if block.blocked(0) else 1)
    second = block.emit("expand_dims", args[1], axis=1) if block.blocked(1) else args[1]
    return block.emit("mul", first, second)


@_rule("matmul", "dot")
def _matmul(block, args, attrs):
    """A matrix product with one operand a block, as one 2-d product."""
    ranks = block.rank(0), block.rank(1)
    if block.blocked(0) == block.blocked(1) or not all(r in (1, 2) for r in ranks):
        if block.blocked(0) != block.blocked(1) and 0 in ranks:  # np.dot of a number
            return block.emit("mul", *args)
        raise Unbatched
    a, b = args
    count = block.count
    if block.blocked(0):  # da @ b: the block's rows times b
        if ranks[0] == 1:
            return block.emit("matmul", a, b)
        rows = block.sizes(0)[0]
        flat = block.emit("reshape", a, block.emit("mul", count, rows), Const(-1))
        product = block.emit("matmul", flat, b)
        tail = (block.sizes(1)[1],) if ranks[1] == 2 else ()
        return block.emit("reshape", product, count, rows, *tail)
    if ranks[1] == 1:  # a @ db: db's rows times a's transpose
        return block.emit("matmul", b, block.emit("transpose", a) if ranks[0] == 2 else a)
    # a @ db for a block of matrices: the block's axis moved among the columns
    inner, cols = block.sizes(1)
    moved = block.emit("transpose", b, axes=(1, 0, 2))
    flat = block.emit("reshape", moved, inner, Const(-1))
    product = block.emit("matmul", a, flat)
    if ranks[0] == 1:
        return block.emit("reshape", product, count, cols)
    rows = block.sizes(0)[0]
    stacked = block.emit("reshape", product, rows, count, cols)
    return block.emit("transpose", stacked, axes=(1, 0, 2))
