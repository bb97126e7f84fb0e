"""Shapes read from where they are known first.

``t.shape[k]`` and ``t.size`` of a value ``t`` that is only computed for its
shape (a reduction, a product, an elementwise result) are read from an
operand that has that shape and is computed earlier, so that ``t`` itself
may become dead code.
"""

from __future__ import annotations

from .. import ir
from ..ir import WHOLE, Attrs, Const, Op, Take, Var
from ..primitives import PRIMITIVES, reduced_axes
from ..primitives.indexing import gathered_axis


def _same_shape(atom, defs: dict, kinds: dict):
    """A value with the shape of ``atom`` that is computed earlier (an operand
    of the same kind of an elementwise operation), so that ``atom`` itself
    need not be computed just for its shape."""
    while isinstance(atom, Var) and atom.name in defs and atom.name in kinds:
        source = defs[atom.name]
        if source.prim in ir.STORES:  # written into: the same array
            atom = source.args[1]
            continue
        if source.prim == "zeros_like":  # zeros shaped like its operand
            atom = source.args[0]
            continue
        if not PRIMITIVES[source.prim].elementwise:
            break
        if kinds[atom.name].maybe:  # sizes that may be 1: equal kinds, unequal shapes
            break
        same = [
            a for a in source.args if isinstance(a, Var) and kinds.get(a.name) == kinds[atom.name]
        ]
        if not same:
            break
        atom = same[0]
    return atom


def shape_source(op: Op, defs: dict, kinds: dict):
    """Read shapes from where they are known first (see ``_same_shape``), and
    ``t.size``/``t.shape[k]`` of reductions and products from their operands."""
    shape_reads = PRIMITIVES[op.prim].shape_reads  # operands read only for their shape
    index = min(shape_reads) if shape_reads else None
    if index is None or not isinstance(op.args[index], Var):
        return op
    args = list(op.args)
    args[index] = _same_shape(args[index], defs, kinds)
    op = Op(op.prim, tuple(args), op.attrs)
    if op.prim not in ("size", "shape"):
        return op
    target = op.args[0].name
    kind, source = kinds.get(target), defs.get(target)
    if kind is None or source is None:
        return op
    if op.prim == "size":
        if kind.rank != 1:
            return op
        op = Op("shape", op.args, Attrs(axis=0))
    axis = op.attrs.axis % kind.rank
    return _axis_of_source(op, source, axis, defs, kinds)


def _axis_of_source(op: Op, source: Op, axis: int, defs: dict, kinds: dict):
    """``op`` (``t.shape[axis]``, ``t = source``) read from an operand of a
    reduction or product ``source``; ``op`` itself where it cannot be."""

    def shape_of(atom, k):
        if not isinstance(atom, Var):
            return op
        return shape_source(Op("shape", (atom,), Attrs(axis=k)), defs, kinds)

    if source.prim in ("sum", "amax", "amin", "prod"):
        attrs = source.attrs
        x = source.args[0]
        rank = kinds[x.name].rank if isinstance(x, Var) and x.name in kinds else None
        if attrs.axis is not None and rank:
            reduced = reduced_axes(attrs.axis, rank) or range(rank)
            if attrs.keepdims:
                return Const(1) if axis in reduced else shape_of(x, axis)
            kept = [k for k in range(rank) if k not in reduced]
            return shape_of(x, kept[axis])
    elif source.prim in ("dot", "matmul"):
        a, b = source.args
        ranks = [
            kinds[v.name].rank if isinstance(v, Var) and v.name in kinds else 0 for v in (a, b)
        ]
        if ranks == [2, 2]:
            return shape_of(a, 0) if axis == 0 else shape_of(b, 1)
        if ranks == [2, 1]:
            return shape_of(a, 0)
        if ranks == [1, 2]:
            return shape_of(b, 1)
    elif PRIMITIVES[source.prim].sized_by is not None:  # np.eye(n), np.ones((n, m)): n, m
        size = PRIMITIVES[source.prim].sized_by(source.args)[axis]
        if isinstance(size, Var) or (isinstance(size, Const) and size.value >= 0):
            return size
    elif source.prim == "getitem":  # x[i] (x[:, i]): the axes integers and whole slices keep
        kept = [k for k, item in enumerate(source.attrs.index) if not isinstance(item, Take)]
        whole = [k for k in kept if source.attrs.index[k] == WHOLE]
        x = source.args[0]
        rank = kinds[x.name].rank if isinstance(x, Var) and x.name in kinds else None
        if rank is not None:
            kept += range(len(source.attrs.index), rank)  # axes after the pattern, whole
            whole += range(len(source.attrs.index), rank)
            if axis < len(kept) and kept[axis] in whole:
                return shape_of(x, kept[axis])
    elif source.prim == "outer":  # np.outer(a, b): (a.size, b.size)
        a, b = source.args
        ranks = [
            kinds[v.name].rank if isinstance(v, Var) and v.name in kinds else 0 for v in (a, b)
        ]
        if ranks == [1, 1]:
            return shape_of(a if axis == 0 else b, 0)
    elif source.prim in ("gather", "take"):  # x[ids]: read from x or an index array
        found = gathered_axis(source, axis, kinds)
        if found is not None:
            return shape_of(*found)
    return op
