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
from .infer import Analysis, expr_kind, needs_sum
from .ir import Assign, Const, If, Op, Phi, Var
from .optimize import Builder
from .primitives import PRIMITIVES, lift, op


class _Reverse:
    """Adjoints may be *broadcastable*: smaller than their value (a scalar for
    the adjoint of a full sum), as NumPy broadcasting makes them act the same in
    elementwise rules.  They are given their value's full shape only where
    that matters (``full``): before structural rules, at joins, at the end."""

    def __init__(self, an: Analysis, namer: ir.Namer, kinds: dict):
        self.an = an
        self.namer = namer
        self.defs: dict = {}
        self.kinds = dict(kinds)  # kinds of values and of adjoints

    def kind_of(self, expr):
        return expr_kind(lift(expr).node, self.kinds.__getitem__)

    def emit(self, b: Builder, expr, hint=None):
        kind = self.kind_of(expr)
        atom = b.emit(expr, hint)
        if isinstance(atom, Var):
            self.kinds.setdefault(atom.name, kind)
        return atom

    def total(self, b: Builder, terms, hint=None):
        if not terms:
            return None
        expr = lift(terms[0])
        for term in terms[1:]:
            expr = expr + lift(term)
        return self.emit(b, expr, hint)

    def full(self, b: Builder, adjoint, name: str):
        """``adjoint`` with the full shape of the value ``name``."""
        if needs_sum(self.kind_of(adjoint), self.kinds[name]):
            return self.emit(b, op("broadcast_like", adjoint, Var(name)))
        return adjoint

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
        y_bar = self.total(b, terms, f"{stmt.target}_bar")
        value = stmt.value
        if not isinstance(value, Op):
            if self.active(value):
                contribs.setdefault(value.name, []).append(y_bar)
            return
        prim = PRIMITIVES[value.prim]
        broadcast = prim.elementwise and any(
            self.active(a) and needs_sum(self.an.kind(a), self.kinds[stmt.target])
            for a in value.args
        )
        if broadcast:  # summing over broadcast axes needs every element's adjoint
            y_bar = self.full(b, y_bar, stmt.target)
        args, ans, g = list(map(lift, value.args)), lift(Var(stmt.target)), lift(y_bar)
        if prim.partials is not None:
            partials = prim.partials(*args, ans)
            adjoints = [g * lift(p) if p is not None else None for p in partials]
        else:
            assert prim.vjp is not None, f"{value.prim} has no derivative rule"
            if prim.full_adjoint and not prim.elementwise:
                g = lift(self.full(b, y_bar, stmt.target))
            ranks = tuple(self.an.kind(a).rank for a in value.args)
            adjoints = prim.vjp(g, *args, ans, value.attrs, ranks)
        for arg, adjoint in zip(value.args, adjoints):
            if not self.active(arg) or adjoint is None:
                continue
            if prim.elementwise and needs_sum(self.an.kind(arg), self.kind_of(adjoint)):
                adjoint = op("sum_to", adjoint, arg)  # undo broadcasting
            contribs.setdefault(arg.name, []).append(self.emit(b, adjoint))

    def zero(self, name: str, code: list):
        """A zero adjoint for ``name``: 0.0, or zeros of its shape (emitted into ``code``)."""
        if self.an.kinds[name].rank == 0:
            return Const(0.0)
        return Builder(self.namer, code, self.defs).emit(op("zeros_like", Var(name)))

    def branch(self, stmt: If, contribs: dict, out: list):
        b = Builder(self.namer, out, self.defs, stmt.loc)
        sides = ({}, {})
        for phi in stmt.phis:
            terms = contribs.pop(phi.target, None)
            if not terms or phi.target not in self.an.active:
                continue
            phi_bar = self.total(b, terms, f"{phi.target}_bar")
            for side, source in zip(sides, (phi.then, phi.orelse)):
                if self.active(source):
                    side.setdefault(source.name, []).append(phi_bar)
        codes = [list(self.sweep(stmt.body, sides[0])), list(self.sweep(stmt.orelse, sides[1]))]
        # What is left are contributions to values defined before the If.
        outer = list(dict.fromkeys([*sides[0], *sides[1]]))
        phis = []
        for name in outer:
            totals = []
            for side, code in zip(sides, codes):
                side_b = Builder(self.namer, code, self.defs, stmt.loc)
                total = self.total(side_b, side.get(name, []))
                total = (
                    self.full(side_b, total, name) if total is not None else self.zero(name, code)
                )
                totals.append(total)
            joined = self.namer.temp()
            self.kinds[joined] = self.kinds[name]
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
    kinds = dict(an.kinds)
    if kind == "vjp":
        kinds[seed.name] = an.kind(result)
    rv = _Reverse(an, namer, kinds)
    code = list(rv.sweep(fn.body, contribs))
    grads = []
    for p in wrt:
        b = Builder(namer, code, rv.defs, fn.loc)
        total = rv.total(b, contribs.pop(p, []))
        if total is None:
            grads.append(rv.zero(p, code))
        else:
            grads.append(b.emit(rv.full(b, total, p), f"{p}_bar"))
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
    """The output's name, for its cotangent's (``f_bar``)."""
    if isinstance(fn.result, Var) and not fn.result.name.startswith("$"):
        return fn.result.name
    return fn.name
