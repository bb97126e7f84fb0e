"""Reverse mode: IR -> adjoint IR (VJP).

The generated function runs the original statements (the forward sweep),
then walks them backwards (the reverse sweep).  In SSA form the adjoint of a
value is complete exactly when the sweep reaches its definition, because all
its uses come later: so ``y_bar`` is written once, as the sum of the
contributions ``y_bar * d op / d y`` collected from each use, and then
spread to the operands of ``y``'s own operation.

An ``If`` is reversed by an ``If`` on the same condition: only the branch
that ran is differentiated, so values of the other branch (a ``log`` of a
negative number, say) never reach the gradient.  Contributions a branch
makes to values defined before it are summed inside the branch and joined
by a phi (0 on the other side).
"""

from __future__ import annotations

from . import ir
from .infer import Analysis
from .ir import Assign, Const, If, Op, Phi, Var
from .optimize import Builder
from .primitives import PRIMITIVES, lift


class _Reverse:
    def __init__(self, an: Analysis, namer: ir.Namer):
        self.an = an
        self.namer = namer
        self.defs: dict = {}

    def active(self, atom) -> bool:
        return isinstance(atom, Var) and atom.name in self.an.active

    def sweep(self, body, contribs: dict) -> tuple:
        """Reverse code for ``body``; ``contribs`` maps names to adjoint terms."""
        out: list = []
        for stmt in reversed(body):
            if isinstance(stmt, Assign):
                self.assign(stmt, contribs, out)
            else:
                self.branch(stmt, contribs, out)
        return tuple(out)

    def assign(self, stmt: Assign, contribs: dict, out: list):
        terms = contribs.pop(stmt.target, None)
        if not terms or stmt.target not in self.an.active:
            return
        b = Builder(self.namer, out, self.defs, stmt.loc)
        y_bar = b.total(terms, f"{stmt.target}_bar")
        value = stmt.value
        if not isinstance(value, Op):
            if self.active(value):
                contribs.setdefault(value.name, []).append(y_bar)
            return
        rule = PRIMITIVES[value.prim].partials
        partials = rule(*map(lift, value.args), lift(Var(stmt.target)))
        for arg, partial in zip(value.args, partials):
            if self.active(arg) and partial is not None:
                term = b.emit(lift(y_bar) * lift(partial))
                contribs.setdefault(arg.name, []).append(term)

    def branch(self, stmt: If, contribs: dict, out: list):
        b = Builder(self.namer, out, self.defs, stmt.loc)
        sides = ({}, {})
        for phi in stmt.phis:
            terms = contribs.pop(phi.target, None)
            if not terms or phi.target not in self.an.active:
                continue
            phi_bar = b.total(terms, f"{phi.target}_bar")
            for side, source in zip(sides, (phi.then, phi.orelse)):
                if self.active(source):
                    side.setdefault(source.name, []).append(phi_bar)
        codes = [list(self.sweep(stmt.body, sides[0])), list(self.sweep(stmt.orelse, sides[1]))]
        # What is left are contributions to values defined before the If.
        outer = list(dict.fromkeys([*sides[0], *sides[1]]))
        phis = []
        for name in outer:
            totals = [
                Builder(self.namer, code, self.defs, stmt.loc).total(side.get(name, []))
                or Const(0.0)
                for side, code in zip(sides, codes)
            ]
            joined = self.namer.temp()
            phis.append(Phi(joined, *totals))
            contribs.setdefault(name, []).append(Var(joined))
        if codes[0] or codes[1] or phis:
            out.append(If(stmt.cond, tuple(codes[0]), tuple(codes[1]), tuple(phis), stmt.loc))


def reverse(fn: ir.Function, an: Analysis, wrt: tuple, kind: str, scalar_out: bool) -> ir.Function:
    """The reverse-mode derivative of ``fn``.

    ``kind="grad"``: ``f_grad(*params) -> gradient``; ``"value_and_grad"``
    returns ``(value, gradient)``; ``"vjp"``: ``f_vjp(*params, value_bar)``
    returns ``(value, gradient)`` for that output cotangent.  The gradient is
    one adjoint per ``wrt`` parameter, a tuple unless ``scalar_out``.
    """
    namer = ir.Namer(ir.defined_names(fn))
    extra = ()
    if kind == "vjp":
        seed = Var(namer.fresh(f"{_result_name(fn)}_bar"))
        extra = (seed.name,)
    else:
        seed = Const(1.0)
    contribs: dict = {}
    result = fn.result
    if isinstance(result, Var) and result.name in an.active:
        contribs[result.name] = [seed]
    rv = _Reverse(an, namer)
    code = list(rv.sweep(fn.body, contribs))
    grads = []
    for p in wrt:
        b = Builder(namer, code, rv.defs, fn.loc)
        grads.append(b.total(contribs.pop(p, []), f"{p}_bar") or Const(0.0))
    grad = grads[0] if scalar_out else tuple(grads)
    out = grad if kind == "grad" else (fn.result, grad)
    return ir.Function(
        f"{fn.name}_{kind}",
        fn.params + extra,
        fn.body + tuple(code),
        out,
        fn.loc,
        fn.result_loc,
        fn.doc,
    )


def _result_name(fn) -> str:
    return fn.result.name if isinstance(fn.result, Var) else "value"
