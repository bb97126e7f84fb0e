"""Broadcasts that the symbolic extents show to change nothing.

A tangent is broadcast to its value's shape (``broadcast_like(t, y)``,
printed ``np.zeros_like(y) + t``) where kinds cannot tell that it already
has that shape: axes that may be of size 1 (``x[1:]``, ``np.diff(x)``) are
not known to be equal by kinds alone.  The extents of ``analysis.extents``
can tell (both are ``x``'s axis less one); where they show one shape, the
broadcast is the tangent itself.  Reverse mode asks the extents as it builds
the adjoint (``ReverseState.same_shape``); this pass does it for any
derivative code, after the transformation.
"""

from __future__ import annotations

import dataclasses

from .. import ir
from ..analysis import Analysis
from ..ir import Assign, Op, Var


def known_broadcasts(fn: ir.Function, facts: Analysis) -> ir.Function:
    """``fn`` with each ``broadcast_like(t, y)`` of a float array ``t`` of
    ``y``'s rank and, by its extents, its shape, replaced by ``t``."""

    def visit(stmt):
        if not isinstance(stmt, Assign) or not _unchanged(stmt.value, facts):
            return stmt
        return Assign(stmt.target, stmt.value.args[0], stmt.loc)

    body = ir.map_bodies(fn.body, visit)
    return fn if body == fn.body else dataclasses.replace(fn, body=body)


def _unchanged(value, facts: Analysis) -> bool:
    if not isinstance(value, Op) or value.prim != "broadcast_like":
        return False
    tangent, like = value.args
    if not isinstance(tangent, Var) or not isinstance(like, Var):
        return False
    have, want = facts.kinds[tangent.name], facts.kinds[like.name]
    if have.rank != want.rank or have.dtype != "float":
        return False
    return facts.same_shape(tangent.name, like.name)
