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

import dataclasses

from .. import ir
from ..analysis import Analysis, expr_kind, needs_sum
from ..ir import Assign, Carry, Const, If, Loop, Op, Phi, Var
from ..optimize import Builder
from ..primitives import PRIMITIVES, lift, op


class _Forward:
    def __init__(self, an: Analysis, namer: ir.Namer, seeds: list, names: list, kinds: dict):
        self.an = an
        self.tkinds = dict(kinds)  # kinds of values, tangents included
        self.namer = namer
        self.tangents = [dict(seed) for seed in seeds]  # per direction: name -> atom
        self.names = names  # per direction: template of tangent names ("d{}_dx")
        self.defs: dict = {}

    def hint(self, k, name):
        """The tangent's name: temporaries have temporary tangents."""
        if name.startswith("$"):
            return None
        return self.names[k].format(ir.version_of(name, self.tkinds))

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
                    self.assign(stmt, Builder(self.namer, out, self.defs, self.tkinds, stmt.loc))
            elif isinstance(stmt, Loop):
                self.loop(stmt, out)
            else:
                self.branch(stmt, out)
        return tuple(out)

    def assign(self, stmt: Assign, b: Builder):
        value = stmt.value
        for k in range(len(self.tangents)):
            if not isinstance(value, Op):
                tan = self.tangent(k, value)
                if tan is not None:
                    self.tangents[k][stmt.target] = tan
                continue
            tangents = [self.tangent(k, arg) for arg in value.args]
            if all(t is None for t in tangents):
                continue
            total = self.rule(value, stmt.target, tangents)
            if total is None:
                continue
            total = self.full_shape(total, stmt.target)
            kind = expr_kind(total.node, self.tkinds.__getitem__)
            atom = b.emit(total, self.hint(k, stmt.target))
            if isinstance(atom, Var):
                self.tkinds.setdefault(atom.name, kind)
            self.tangents[k][stmt.target] = atom

    def rule(self, value: Op, target: str, tangents):
        """The tangent of ``target = value`` as an expression (None if zero)."""
        prim = PRIMITIVES[value.prim]
        args, ans = list(map(lift, value.args)), lift(Var(target))
        if prim.partials is not None:
            partials = prim.partials(*args, ans)
            terms = [
                lift(p) * lift(t)
                for p, t in zip(partials, tangents)
                if t is not None and p is not None
            ]
            total = None
            for term in terms:
                total = term if total is None else total + term
            return total
        assert prim.jvp is not None, f"{value.prim} has no derivative rule"
        lifted = [lift(t) if t is not None else None for t in tangents]
        return prim.jvp(lifted, *args, ans, value.attrs)

    def full_shape(self, total, target):
        """Broadcast a tangent to its value's shape when it may be smaller."""
        want = self.tkinds[target]
        if want.rank == 0:
            return total
        if isinstance(total.node, Op) and PRIMITIVES[total.node.prim].full_tangent:
            return total
        have = expr_kind(total.node, self.tkinds.__getitem__)
        if needs_sum(have, want):
            return op("broadcast_like", total, Var(target))
        return total

    def zero(self, atom, code: list, like=None):
        """A zero tangent for ``atom``: 0.0, or zeros of its shape (emitted into
        ``code``); ``like`` names a value of the tangent's kind."""
        kind = self.tkinds[like] if like is not None else None
        if not isinstance(atom, Var) or self.tkinds[atom.name].rank == 0:
            if kind is None or kind.rank == 0:
                return Const(0.0)
        zeros = Builder(self.namer, code, self.defs, self.tkinds).emit(op("zeros_like", atom))
        if isinstance(zeros, Var):
            self.tkinds.setdefault(zeros.name, kind or self.tkinds[atom.name])
        return zeros

    def loop(self, stmt: Loop, out: list):
        """Tangents of carried values are carried too."""
        tangent_carries = []
        for c in stmt.carried:
            if c.name not in self.an.active:
                continue
            for k in range(len(self.tangents)):
                init = self.tangent(k, c.init)
                init = init if init is not None else self.zero(c.init, out, like=c.name)
                hint = self.hint(k, c.name)
                name = self.namer.fresh(hint) if hint else self.namer.temp()
                self.tkinds[name] = self.tkinds[c.name]
                self.tangents[k][c.name] = Var(name)
                tangent_carries.append((k, c, name, init))
        header, body = list(self.block(stmt.header)), list(self.block(stmt.body))
        carried = list(stmt.carried)
        for k, c, name, init in tangent_carries:
            nxt = self.tangent(k, c.next)
            nxt = nxt if nxt is not None else self.zero(c.next, body, like=c.name)
            carried.append(Carry(name, init, nxt))
        out.append(
            dataclasses.replace(
                stmt, carried=tuple(carried), header=tuple(header), body=tuple(body)
            )
        )

    def branch(self, stmt: If, out: list):
        body, orelse = list(self.block(stmt.body)), list(self.block(stmt.orelse))
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
                then = then if then is not None else self.zero(phi.then, body)
                other = other if other is not None else self.zero(phi.orelse, orelse)
                phis.append(Phi(name, then, other))
                self.tkinds[name] = self.tkinds[phi.target]
                self.tangents[k][phi.target] = Var(name)
        out.append(If(stmt.cond, tuple(body), tuple(orelse), tuple(phis), stmt.loc))


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
    kinds = dict(an.kinds)
    for p, t in zip(wrt, tangent_params):
        kinds[t] = an.kinds[p]
    fw = _Forward(an, namer, seeds, names, kinds)
    body = list(fw.block(fn.body))
    outs = tuple(
        fw.tangent(k, fn.result)
        if fw.tangent(k, fn.result) is not None
        else fw.zero(fn.result, body)
        for k in range(len(seeds))
    )
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
