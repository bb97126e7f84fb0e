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
from ..errors import SymDiffError, UnsupportedSyntaxError
from ..ir import Assign, Carry, Const, If, Loop, Op, Phi, Var
from ..primitives import PRIMITIVES, Undefined, lift, op
from ..primitives.builder import Builder


def located(stmt, rule, *args):
    """``rule(*args)``; a user error it raises (a user's rule that cannot serve
    this mode: ``primitives.custom``) names the line of ``stmt``."""
    try:
        return rule(*args)
    except SymDiffError as err:
        if err.loc is not None:
            raise
        raise type(err)(err.message, stmt.loc, err.hint) from None


class _Forward:
    def __init__(self, analysis: Analysis, namer: ir.Namer, seeds: list, names: list, kinds: dict):
        self.analysis = analysis
        self.tkinds = dict(kinds)  # kinds of values, tangents included
        self.namer = namer
        self.tangents = [dict(seed) for seed in seeds]  # per direction: name -> atom
        self.names = names  # per direction: template of tangent names ("d{}_dx")
        self.defs: dict = {}

    def hint(self, direction, name):
        """The tangent's name: temporaries have temporary tangents."""
        if name.startswith("$"):
            return None
        return self.names[direction].format(ir.version_of(name, self.tkinds))

    def tangent(self, direction, atom):
        if isinstance(atom, Var):
            return self.tangents[direction].get(atom.name)
        return None

    def block(self, body) -> tuple:
        out: list = []
        for stmt in body:
            if isinstance(stmt, Assign):
                out.append(stmt)
                if stmt.target in self.analysis.active:
                    self.assign(stmt, Builder(self.namer, out, self.defs, self.tkinds, stmt.loc))
            elif isinstance(stmt, Loop):
                self.loop(stmt, out)
            else:
                self.branch(stmt, out)
        return tuple(out)

    def assign(self, stmt: Assign, builder: Builder):
        value = stmt.value
        for direction in range(len(self.tangents)):
            if not isinstance(value, Op):
                tan = self.tangent(direction, value)
                if tan is not None:
                    self.tangents[direction][stmt.target] = tan
                continue
            tangents = [self.tangent(direction, arg) for arg in value.args]
            if all(t is None for t in tangents):
                continue
            total = located(stmt, self.rule, value, stmt.target, tangents)
            if total is None:
                continue
            total = self.full_shape(total, stmt.target)
            kind = expr_kind(total.node, self.tkinds.__getitem__)
            atom = builder.emit(total, self.hint(direction, stmt.target))
            if isinstance(atom, Var):
                self.tkinds.setdefault(atom.name, kind)
            self.tangents[direction][stmt.target] = atom

    def rule(self, value: Op, target: str, tangents):
        """The tangent of ``target = value`` as an expression (None if zero)."""
        prim = PRIMITIVES[value.prim]
        args, ans = list(map(lift, value.args)), lift(Var(target))
        if prim.partials is not None:
            partials = prim.partials(*args, ans)
            for partial, tangent in zip(partials, tangents):
                if isinstance(partial, Undefined) and tangent is not None:
                    raise SymDiffError(partial.message, None, partial.hint)  # located: the line
            terms = [
                lift(p) * lift(t)
                for p, t in zip(partials, tangents)
                if t is not None and p is not None
            ]
            total = None
            for term in terms:
                total = term if total is None else total + term
            return total
        if prim.jvp is None:
            raise UnsupportedSyntaxError(
                f"symdiff has no forward-mode rule for '{value.prim}', which this derivative "
                "code uses",
                None,
                "differentiate it by reverse mode (grad, jacrev), or take the second "
                "derivative the other way round",
            )
        # operands read only for their shape carry no tangent (sum_to(g, x))
        tangents = [None if i in prim.shape_reads else t for i, t in enumerate(tangents)]
        if all(t is None for t in tangents):
            return None
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
        for carry in stmt.carried:
            if carry.name not in self.analysis.active:
                continue
            for direction in range(len(self.tangents)):
                init = self.tangent(direction, carry.init)
                init = init if init is not None else self.zero(carry.init, out, like=carry.name)
                hint = self.hint(direction, carry.name)
                name = self.namer.fresh(hint) if hint else self.namer.temp()
                self.tkinds[name] = self.tkinds[carry.name]
                self.tangents[direction][carry.name] = Var(name)
                tangent_carries.append((direction, carry, name, init))
        header, body = list(self.block(stmt.header)), list(self.block(stmt.body))
        carried = list(stmt.carried)
        for direction, carry, name, init in tangent_carries:
            nxt = self.tangent(direction, carry.next)
            nxt = nxt if nxt is not None else self.zero(carry.next, body, like=carry.name)
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
            if phi.target not in self.analysis.active:
                continue
            for direction in range(len(self.tangents)):
                then, other = self.tangent(direction, phi.then), self.tangent(direction, phi.orelse)
                if then is None and other is None:
                    continue
                hint = self.hint(direction, phi.target)
                name = self.namer.fresh(hint) if hint else self.namer.temp()
                then = then if then is not None else self.zero(phi.then, body)
                other = other if other is not None else self.zero(phi.orelse, orelse)
                phis.append(Phi(name, then, other))
                self.tkinds[name] = self.tkinds[phi.target]
                self.tangents[direction][phi.target] = Var(name)
        out.append(If(stmt.cond, tuple(body), tuple(orelse), tuple(phis), stmt.loc))


def forward(
    fn: ir.Function, analysis: Analysis, wrt: tuple, form: str, scalar_out: bool
) -> ir.Function:
    """The forward-mode derivative of ``fn``.

    ``form="jvp"``: ``f_jvp(*params, *d_wrt) -> (value, dvalue)``.
    ``form="grad"``/``"value_and_grad"``: one direction per ``wrt`` parameter;
    returns the gradient (a tuple unless ``scalar_out``), with the value first
    for ``value_and_grad``.
    """
    namer = ir.Namer(ir.defined_names(fn))
    if form == "jvp":
        tangent_params = [namer.fresh(f"d{p}") for p in wrt]
        seeds = [{p: Var(t) for p, t in zip(wrt, tangent_params)}]
        names = ["d{}"]
    else:
        tangent_params = []
        seeds = [{p: Const(1.0)} for p in wrt]
        names = ["d{}_d" + p for p in wrt]
    kinds = dict(analysis.kinds)
    for param, tangent in zip(wrt, tangent_params):
        kinds[tangent] = analysis.kinds[param]
    sweep = _Forward(analysis, namer, seeds, names, kinds)
    body = list(sweep.block(fn.body))

    def tangent_out(direction, atom):
        tangent = sweep.tangent(direction, atom)
        return tangent if tangent is not None else sweep.zero(atom, body)

    # a tuple output (a derivative's) has a tuple tangent
    outs = tuple(
        ir.map_result(fn.result, lambda atom, k=k: tangent_out(k, atom)) for k in range(len(seeds))
    )
    if form == "jvp":
        result = (fn.result, outs[0])
    else:
        grads = outs[0] if scalar_out else outs
        result = grads if form == "grad" else (fn.result, grads)
    return ir.Function(
        f"{fn.name}_{form}",
        fn.params + tuple(tangent_params),
        body,
        result,
        fn.loc,
        fn.result_loc,
        fn.doc,
    )
