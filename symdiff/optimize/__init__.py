"""IR -> IR simplification, run to a fixed point on derivative code.

* constant folding, with Python's own arithmetic on the constants, and
  algebraic identities that are exact in IEEE arithmetic
  (``primitives.algebra``: one rewrite per primitive; ``0*x`` is never folded, it is ``nan`` for
  ``x = inf`` or ``nan``);
* copy propagation and common-subexpression elimination, with the rules, in
  one walk (``simplify``); shapes read from where they are known first
  (``shapes``);
* dead-code elimination (every primitive is pure): ``dce``, by the liveness
  of ``ir.liveness``, which the reverse sweep of loops uses too;
* loops whose iterations meet only in sums run forwards, and adjacent loops
  over one range are fused (``loops``).

``primitives.builder.Builder`` turns the nested expressions of derivative
rules into IR statements, applying the same rules as it goes (so the
transformations need nothing from this package).
"""

from __future__ import annotations

from .. import ir
from ..ir.liveness import live_code
from ..primitives.algebra import simplify_op
from .broadcasts import known_broadcasts
from .loops import forwards_and_fused, in_parallel
from .simplify import simplify

__all__ = ["dce", "in_parallel", "known_broadcasts", "optimize", "simplify", "simplify_op"]


def dce(fn: ir.Function) -> ir.Function:
    """Drop assignments, phis and branches whose values are never used."""
    body = live_code(fn.body, ir.atoms_of(fn.result))
    return ir.Function(fn.name, fn.params, body, fn.result, fn.loc, fn.result_loc, fn.doc)


def optimize(fn: ir.Function, kinds: dict | None = None, max_rounds: int = 20) -> ir.Function:
    """Run ``simplify`` and ``dce`` until nothing changes, then fold the
    reciprocals that ended up unshared, and tidy up again."""

    def fixed_point(fn):
        for _ in range(max_rounds):
            new = dce(simplify(fn, kinds))
            if new == fn:
                break
            fn = new
        return fn

    fn = fixed_point(fn)
    ordered = forwards_and_fused(fn)
    if ordered is not fn:  # loops run forwards or fused: their bodies simplify together
        fn = fixed_point(ordered)
    return fixed_point(dce(simplify(fn, kinds, reciprocals=True)))
