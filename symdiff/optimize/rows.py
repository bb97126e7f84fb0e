"""Sums of one-per-row scatters.

``x[np.arange(n), idx]`` with ``n`` the length of ``x``'s axis 0 picks
exactly one element of each row (``np.take_along_axis`` on axis 1); so does
``x[idx, np.arange(m)]`` of each column.  The adjoint of such a read,
``scatter_add(g, x, arange, idx)``, puts ``g[r]`` in row ``r`` and zeros
around it, so its sum along the rows is ``g`` itself: the softmax
cross-entropy gradient need not sum the scattered array to recover the
cotangent (``(softmax - onehot) / n`` instead of a row sum of the onehot).

``one_per_row(scatter, defs, kinds)`` tells which axis of ``x`` a
``scatter_add`` places one element along; ``summed_rows`` rewrites
``sum_to(scatter, like)`` along that axis (the adjoint of a broadcast, as
of ``z - logsumexp(z, axis=1, keepdims=True)``), through a negation.  The
recognition is on the code's shapes as ``optimize.shapes`` reads them: the
``arange`` must run from 0 by 1 to the length of that very axis
(``arange(n - 1)``, ``arange(len(labels))`` or a permutation is an ordinary
scatter), the other index must be 1-d, and neither may have a size that is
1 only when the code runs (``arange(1)`` against ``m`` indices would put
them all in one row).  The sum of the scattered zeros and ``g[r]`` is
``g[r]`` exactly (up to the sign of a zero, as ``x + 0 -> x``).
"""

from __future__ import annotations

from ..ir import Attrs, Const, Op, Var
from ..primitives.indexing import gather_kind
from ..primitives.kinds import MATCHES, MAYBE_ONE, ONE
from .shapes import shape_source


def _def(atom, defs):
    return defs.get(atom.name) if isinstance(atom, Var) else None


def _full_arange(index, x, axis: int, defs: dict, kinds: dict) -> bool:
    """Is ``index`` ``np.arange(x.shape[axis])`` (from 0, by 1)?"""
    source = _def(index, defs)
    if source is None or source.prim != "arange":
        return False
    start, stop, step = source.args
    if start != Const(0) or step != Const(1):
        return False
    want = shape_source(Op("shape", (x,), Attrs(axis=axis)), defs, kinds)
    have = _def(stop, defs)
    return have is not None and have == want


def one_per_row(scatter: Op, defs: dict, kinds: dict):
    """The axis of ``x`` along which ``scatter_add(g, x, i0, i1; axis=k)`` adds
    exactly one element per row (the axis of the index that is not the
    ``arange``), or None."""
    if scatter.prim != "scatter_add" or len(scatter.args) != 4 or scatter.attrs.axis is None:
        return None
    x, first, second = scatter.args[1:]
    known = [kinds.get(a.name) if isinstance(a, Var) else None for a in (x, first, second)]
    if None in known or any(k.rank != 1 for k in known[1:]):
        return None
    x_kind = known[0]
    k = scatter.attrs.axis % x_kind.rank
    for arange, other, arange_axis, along in ((first, second, k, k + 1), (second, first, k + 1, k)):
        if x_kind.size(arange_axis) is not MATCHES or kinds[other.name].size(0) is MAYBE_ONE:
            continue
        if _full_arange(arange, x, arange_axis, defs, kinds):
            return along
    return None


def _neg_arg(atom, defs):
    source = _def(atom, defs)
    return source.args[0] if source is not None and source.prim == "neg" else None


def summed_rows(op, defs: dict, kinds: dict):
    """``op`` with a ``sum_to`` along the rows of a one-per-row scatter
    replaced by its cotangent (``op`` itself where there is none)."""
    if not isinstance(op, Op) or op.prim != "sum_to" or not isinstance(op.args[0], Var):
        return op  # (a shape read may be known: an atom)
    inner = op.args[0]
    negated = _neg_arg(inner, defs)
    if negated is not None:  # sum(-s) is -sum(s), exactly
        inner = negated
    scatter = _def(inner, defs)
    along = one_per_row(scatter, defs, kinds) if scatter is not None else None
    if along is None:
        return op
    new = _row_sums(op, scatter, along, defs, kinds, negated is not None)
    return op if new is None else new


def _row_sums(op: Op, scatter: Op, along: int, defs: dict, kinds: dict, negated: bool):
    """The ``sum_to`` ``op`` of ``scatter`` (``-scatter`` if ``negated``) along
    the axis ``along`` and no other, from the cotangent ``g``: ``g`` with the
    summed axis kept, or a number ``g`` broadcast to the target."""
    g, x = scatter.args[0], scatter.args[1]
    x_kind = kinds[x.name]
    g_kind = kinds.get(g.name) if isinstance(g, Var) else None
    picked = gather_kind([kinds[a.name] for a in scatter.args[1:]], scatter.args[1:], scatter.attrs)
    value = Op("neg", (g,)) if negated else g
    like = kinds.get(op.args[1].name) if isinstance(op.args[1], Var) else None
    if like is None or like.rank != x_kind.rank or like.size(along) is not ONE:
        return None
    others = [a for a in range(x_kind.rank) if a != along]
    if any(like.size(a) is not x_kind.size(a) or like.size(a) is MAYBE_ONE for a in others):
        return None  # summed along other axes too
    if g_kind == picked:
        return Op("expand_dims", (value,), Attrs(axis=along))
    number = isinstance(g, Const) or (g_kind is not None and g_kind.rank == 0)
    if number and _computed_anyway(op.args[1], defs):
        return Op("broadcast_like", (value, op.args[1]))
    return None


def _computed_anyway(like, defs: dict) -> bool:
    """Is ``like`` an argument or a reduction (a softmax's normaliser, which
    its gradient divides by)?  A number is broadcast to such a target only:
    another target (``logsumexp(z, axis=1)[:, None]``) might be computed for
    its shape alone, at a cost the row sum does not have."""
    source = _def(like, defs)
    return source is None or source.prim == "sum"
