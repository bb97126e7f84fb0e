"""Forward mode: IR -> tangent IR (JVP).

For every active ``y = op(x_1, ..., x_n)`` the tangent is
``dy = sum_i (d op / d x_i) * dx_i``, with the partials taken from the
primitive table.  Several *directions* can be carried at once: ``jvp`` uses
one direction whose input tangents are parameters (``dx``, ``dz``), a
forward-mode gradient uses one direction per differentiated parameter with
seed 1 (``dy_dx``, ``dy_dz``), so the primal is computed only once.

Tangents that are zero are absent rather than stored, so inactive values
get no code at all.
"""

from __future__ import annotations

from . import ir
from .infer import Analysis
from .ir import Assign, Const, If, Op, Phi, Var
from .optimize import Builder
from .primitives import PRIMITIVES, lift


class _Forward:
    def __init__(self, an: Analysis, namer: ir.Namer, seeds: list, names: list):
        self.an = an
        self.namer = namer
        self.tangents = [dict(seed) for seed in seeds]  # per direction: name -> atom
        self.names = names  # per direction: template of tangent names ("d{}_dx")
        self.defs: dict = {}

    def hint(self, k, name):
        """The tangent's name: temporaries have temporary tangents."""
        return None if name.startswith("$") else self.names[k].format(name)

    def tangent(self, k, atom):
        if isinstance(atom, Var):
            return self.tangents[k].get(atom.name)
        return None

    def block(self, body) -> tuple:
        out: list = []
        for stmt in body:
            if isinstance(stmt, Assign):
                out.append(stmt)
                if stmt.target in self.an.active:
                    self.assign(stmt, Builder(self.namer, out, self.defs, stmt.loc))
            else:
                self.branch(stmt, out)
        return tuple(out)

    def assign(self, stmt: Assign, b: Builder):
        value = stmt.value
        partials = None
        for k in range(len(self.tangents)):
            if not isinstance(value, Op):
                tan = self.tangent(k, value)
                if tan is not None:
                    self.tangents[k][stmt.target] = tan
                continue
            terms = []
            for i, arg in enumerate(value.args):
                tan = self.tangent(k, arg)
                if tan is None:
                    continue
                if partials is None:
                    rule = PRIMITIVES[value.prim].partials
                    partials = rule(*map(lift, value.args), lift(Var(stmt.target)))
                if partials[i] is not None:
                    terms.append(lift(partials[i]) * lift(tan))
            if terms:
                total = terms[0]
                for term in terms[1:]:
                    total = total + term
                self.tangents[k][stmt.target] = b.emit(total, self.hint(k, stmt.target))

    def branch(self, stmt: If, out: list):
        body, orelse = self.block(stmt.body), self.block(stmt.orelse)
        phis = list(stmt.phis)
        for phi in stmt.phis:
            if phi.target not in self.an.active:
                continue
            for k in range(len(self.tangents)):
                then, other = self.tangent(k, phi.then), self.tangent(k, phi.orelse)
                if then is None and other is None:
                    continue
                hint = self.hint(k, phi.target)
                name = self.namer.fresh(hint) if hint else self.namer.temp()
                phis.append(Phi(name, then or Const(0.0), other or Const(0.0)))
                self.tangents[k][phi.target] = Var(name)
        out.append(If(stmt.cond, body, orelse, tuple(phis), stmt.loc))


def forward(fn: ir.Function, an: Analysis, wrt: tuple, kind: str, scalar_out: bool) -> ir.Function:
    """The forward-mode derivative of ``fn``.

    ``kind="jvp"``: ``f_jvp(*params, *d_wrt) -> (value, dvalue)``.
    ``kind="grad"``/``"value_and_grad"``: one direction per ``wrt`` parameter;
    returns the gradient (a tuple unless ``scalar_out``), with the value first
    for ``value_and_grad``.
    """
    namer = ir.Namer(ir.defined_names(fn))
    if kind == "jvp":
        tangent_params = [namer.fresh(f"d{p}") for p in wrt]
        seeds = [{p: Var(t) for p, t in zip(wrt, tangent_params)}]
        names = ["d{}"]
    else:
        tangent_params = []
        seeds = [{p: Const(1.0)} for p in wrt]
        names = ["d{}_d" + p for p in wrt]
    fw = _Forward(an, namer, seeds, names)
    body = fw.block(fn.body)
    outs = tuple(fw.tangent(k, fn.result) or Const(0.0) for k in range(len(seeds)))
    if kind == "jvp":
        result = (fn.result, outs[0])
    else:
        grads = outs[0] if scalar_out else outs
        result = grads if kind == "grad" else (fn.result, grads)
    return ir.Function(
        f"{fn.name}_{kind}",
        fn.params + tuple(tangent_params),
        body,
        result,
        fn.loc,
        fn.result_loc,
        fn.doc,
    )
