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

A ``Loop`` is reversed by a reversed loop, with tapes recorded by the forward
sweep: see ``reverse_loops``.
"""

from __future__ import annotations

from typing import NamedTuple

from .. import ir
from ..analysis import Analysis, expr_kind, extents, needs_sum, op_kind
from ..errors import SymDiffError, UnsupportedSyntaxError
from ..ir import STORES, Assign, Const, If, Kind, Loop, Op, Phi, Var
from ..primitives import PRIMITIVES, Undefined, lift, op, where
from ..primitives.builder import Builder
from .forward import located
from .reverse_loops import LoopAdjoint


class ReverseState:
    """One reverse-mode derivation in progress: the namer, the definitions
    and kinds of values and adjoints, which values are active, the recordings
    of reversed loops, and what is known of the adjoints' shapes.

    Adjoints may be *broadcastable*: smaller than their value (a scalar for
    the adjoint of a full sum), as NumPy broadcasting makes them act the same in
    elementwise rules.  They are given their value's full shape only where
    that matters (``full``): before structural rules, at joins, at the end."""

    def __init__(self, analysis: Analysis, namer: ir.Namer, kinds: dict):
        self.namer = namer
        self.defs: dict = {}
        self.kinds = dict(kinds)  # kinds of values and of adjoints
        self.active_set = set(analysis.active)
        self.extents = dict(analysis.extents)  # of values and of adjoints (analysis.extents)
        self.ints = analysis.ints
        # id(loop) -> (the loop, the statements that run it and fill its tapes);
        # the loop is kept so that its id is never reused by another one
        self.recordings: dict = {}
        # adjoint -> the values whose full shape it is known to have.  The same
        # adjoint may also be the (broadcastable) adjoint of another value: a
        # full sum passes the adjoint of its result on to its operand.
        self.full_shaped: dict = {}
        self.shapes: dict = {}  # value -> a value known to have the same shape

    def base(self, name: str) -> str:
        """The user's variable that ``name`` is a version of (for naming adjoints)."""
        return ir.version_of(name, self.kinds)

    def kind_atom(self, atom) -> Kind:
        return ir.atom_kind(atom, self.kinds)

    def kind_of(self, expr):
        return expr_kind(lift(expr).node, self.kind_of_name)

    def kind_of_name(self, name: str) -> Kind:
        """The kind of a value, or of a temporary a rule made inside an
        expression (known from its definition)."""
        if name not in self.kinds:
            self.kinds[name] = expr_kind(self.defs[name], self.kind_of_name)
        return self.kinds[name]

    def emit(self, builder: Builder, expr, hint=None):
        """Emit ``expr``; the values it defines get the kinds of what was
        emitted (simplified: ``where(True, 0.0, g)`` is the scalar 0.0)."""
        start = len(builder.out)
        atom = builder.emit(expr, hint)
        for stmt in builder.out[start:]:
            if isinstance(stmt, Assign) and stmt.target not in self.kinds:
                value = stmt.value
                if isinstance(value, Op):
                    arg_kinds = list(map(self.kind_atom, value.args))
                    self.kinds[stmt.target] = op_kind(value, arg_kinds)
                    self.extents[stmt.target] = extents.of_operation(
                        value, self.kinds[stmt.target], arg_kinds, self.extents, self.ints
                    )
                else:
                    self.kinds[stmt.target] = self.kind_atom(value)
                    if isinstance(value, Var) and value.name in self.extents:
                        self.extents[stmt.target] = self.extents[value.name]
        return atom

    def same_shape(self, first, second) -> bool:
        """Are two values (or adjoints) known to have one shape (``analysis.extents``)?"""
        if not isinstance(first, Var) or not isinstance(second, Var):
            return False
        return extents.same_shape(self.extents.get(first.name), self.extents.get(second.name))

    def total(self, builder: Builder, terms, hint=None):
        if not terms:
            return None
        expr = lift(terms[0])
        for term in terms[1:]:
            expr = expr + lift(term)
        return self.emit(builder, expr, hint)

    def full(self, builder: Builder, adjoint, name: str):
        """``adjoint`` with the full shape of the value ``name``."""
        if isinstance(adjoint, Var):
            known = {self.shape_of(n) for n in self.full_shaped.get(adjoint.name, ())}
            if self.shape_of(name) in known:
                return adjoint
        if needs_sum(self.kind_of(adjoint), self.kinds[name]) and not self.same_shape(
            adjoint, Var(name)
        ):
            adjoint = self.emit(builder, op("broadcast_like", adjoint, Var(name)))
        self.mark_full(adjoint, name)
        return adjoint

    def shape_of(self, name: str) -> str:
        """The value that stands for the shape of ``name`` (and of all values
        known to have the same shape)."""
        while name in self.shapes:
            name = self.shapes[name]
        return name

    def alike(self, *names):
        """Record that the values ``names`` have one shape."""
        first = self.shape_of(names[0])
        for name in map(self.shape_of, names[1:]):
            if name != first:
                self.shapes[name] = first

    def mark_full(self, adjoint, name: str):
        """Record that ``adjoint`` has the full shape of the value ``name``."""
        if isinstance(adjoint, Var):
            self.full_shaped.setdefault(adjoint.name, set()).add(name)

    def active(self, atom) -> bool:
        return isinstance(atom, Var) and atom.name in self.active_set

    def sweep(self, body, contribs: dict) -> tuple:
        """Reverse code for ``body``; ``contribs`` maps names to adjoint terms."""
        out: list = []
        for stmt in reversed(body):
            if isinstance(stmt, Assign):
                self.assign(stmt, contribs, out)
            elif isinstance(stmt, Loop):
                LoopAdjoint(self, stmt).differentiate(contribs, out)
            else:
                self.branch(stmt, contribs, out)
        return tuple(out)

    def assign(self, stmt: Assign, contribs: dict, out: list):
        terms = contribs.pop(stmt.target, None)
        if not terms or stmt.target not in self.active_set:
            return
        builder = Builder(self.namer, out, self.defs, self.kinds, stmt.loc)
        y_bar = self.sum_adjoint(builder, terms, stmt.target)
        value = stmt.value
        if not isinstance(value, Op):
            if self.active(value):
                self.alike(stmt.target, value.name)
                contribs.setdefault(value.name, []).append(y_bar)
            return
        prim = PRIMITIVES[value.prim]
        broadcast = prim.elementwise and any(
            self.active(a) and self.broadcast_to(a, stmt.target) for a in value.args
        )
        if broadcast:  # summing over broadcast axes needs every element's adjoint
            y_bar = self.full(builder, y_bar, stmt.target)
        args, ans, g = list(map(lift, value.args)), lift(Var(stmt.target)), lift(y_bar)
        if prim.partials is not None:
            partials = self.defined(prim.partials(*args, ans), value.args, stmt)
            mask = self.mask(terms, stmt.target, broadcast)
            adjoints = [self.times(mask, g, lift(p)) if p is not None else None for p in partials]
        else:
            if prim.vjp is None:
                raise UnsupportedSyntaxError(
                    f"symdiff has no reverse-mode rule for '{value.prim}', which this "
                    "derivative code uses",
                    stmt.loc,
                    "take this derivative by forward mode (jacfwd, mode='forward'), or the "
                    "second derivative the other way round (hessian is forward over reverse)",
                )
            if prim.full_adjoint and not prim.elementwise:
                g = lift(self.full(builder, y_bar, stmt.target))
            ranks = tuple(self.kind_atom(a).rank for a in value.args)
            adjoints = located(stmt, prim.vjp, g, *args, ans, value.attrs, ranks)
        for arg, adjoint in zip(value.args, adjoints):
            if not self.active(arg) or adjoint is None:
                continue
            adjoint = self.emit(builder, adjoint)
            if (
                prim.elementwise
                and needs_sum(self.kind_atom(arg), self.kind_atom(adjoint))
                and not self.same_shape(arg, Var(stmt.target))  # then the adjoint is no larger
            ):
                adjoint = self.sum_to(builder, adjoint, arg, stmt.target)
            if value.prim in STORES and arg is value.args[1]:
                self.mark_full(adjoint, arg.name)  # made from the full adjoint of the result
            contribs.setdefault(arg.name, []).append(adjoint)

    def broadcast_to(self, arg, result: str) -> bool:
        """May the operand ``arg`` have been broadcast to make ``result``? Not
        where their kinds or their extents show one shape."""
        return needs_sum(self.kind_atom(arg), self.kinds[result]) and not self.same_shape(
            arg, Var(result)
        )

    def defined(self, partials, operands, stmt):
        """``partials`` with an ``Undefined`` one of an inactive operand as
        None; of an active operand, the error it describes, at the line."""
        for partial, operand in zip(partials, operands):
            if isinstance(partial, Undefined) and self.active(operand):
                raise SymDiffError(partial.message, stmt.loc, partial.hint)
        return [None if isinstance(p, Undefined) else p for p in partials]

    def mask(self, terms, name: str, broadcast: bool):
        """The adjoint ``where(c, g, 0.0)`` (or ``where(c, 0.0, g)``) that is
        the whole adjoint of the value ``name`` (a side of ``np.where``), or
        None; where the rule needs the adjoint in full shape (``broadcast``),
        only if it has it."""
        if len(terms) != 1 or not isinstance(terms[0], Var):
            return None
        source = self.defs.get(terms[0].name)
        if source is None or source.prim != "where":
            return None
        if broadcast and needs_sum(self.kind_of(terms[0]), self.kinds[name]):
            return None
        _, then, other = source.args
        return source if _is_zero(then) != _is_zero(other) else None

    def times(self, mask, g, partial):
        """``g * partial``.  A masked adjoint (see ``mask``) stays masked
        after multiplying, ``where(c, g * partial, 0.0)``, so that a partial
        that is inf or nan where its side of ``np.where`` is not selected
        (``log`` or ``sqrt`` of what the condition guards against) does not
        leak into the gradient."""
        if mask is None:
            return g * partial
        cond, then, other = map(lift, mask.args)
        if _is_zero(mask.args[2]):
            return where(cond, then * partial, 0.0)
        return where(cond, 0.0, other * partial)

    def sum_to(self, builder: Builder, adjoint, arg, result: str):
        """``adjoint`` summed over the axes along which ``arg`` was broadcast
        (to make ``result``); an adjoint of lower rank than ``arg`` is first
        given the result's full shape, so that its axes line up with arg's."""
        if self.kind_atom(adjoint).rank < self.kind_atom(arg).rank:
            adjoint = self.emit(builder, op("broadcast_like", adjoint, Var(result)))
        return self.emit(builder, op("sum_to", adjoint, arg))  # undo broadcasting

    def zero(self, name: str, code: list):
        """A zero adjoint for ``name``: 0.0, or zeros of its shape (emitted into ``code``)."""
        if self.kinds[name].rank == 0:
            return Const(0.0)
        zeros = Builder(self.namer, code, self.defs, self.kinds).emit(op("zeros_like", Var(name)))
        self.mark_full(zeros, name)
        self.kinds.setdefault(zeros.name, self.kinds[name])
        return zeros

    def branch(self, stmt: If, contribs: dict, out: list):
        builder = Builder(self.namer, out, self.defs, self.kinds, stmt.loc)
        sides = ({}, {})
        for phi in stmt.phis:
            terms = contribs.pop(phi.target, None)
            if not terms or phi.target not in self.active_set:
                continue
            phi_bar = self.total(builder, terms, f"{self.base(phi.target)}_bar")
            for side, source in zip(sides, (phi.then, phi.orelse)):
                if self.active(source):
                    side.setdefault(source.name, []).append(phi_bar)
        codes = [list(self.sweep(stmt.body, sides[0])), list(self.sweep(stmt.orelse, sides[1]))]
        # What is left are contributions to values defined before the If.
        outer = list(dict.fromkeys([*sides[0], *sides[1]]))
        phis = [self.join(name, sides, codes, contribs, stmt.loc) for name in outer]
        if codes[0] or codes[1] or phis:
            out.append(If(stmt.cond, tuple(codes[0]), tuple(codes[1]), tuple(phis), stmt.loc))

    def join(self, name: str, sides: tuple, codes: list, contribs: dict, loc) -> Phi:
        """The phi joining the adjoint contributions both sides of an ``If``
        (``sides``, with their reverse ``codes``) make to the value ``name``
        from before it; the joined value becomes a contribution to ``name``."""
        # Element adjoints (x[i]) are added in place into the adjoint
        # gathered so far: it goes through the branch, not around it.
        scattered = any(self._scatter(t) is not None for side in sides for t in side.get(name, []))
        before = contribs.pop(name, []) if scattered else []
        totals = []
        for side, code in zip(sides, codes):
            side_builder = Builder(self.namer, code, self.defs, self.kinds, loc)
            terms = before + side.get(name, [])
            if scattered and terms:
                total = self.accumulate(side_builder, None, terms, name)
            else:
                total = self.total(side_builder, terms)
                total = (
                    self.full(side_builder, total, name)
                    if total is not None
                    else self.zero(name, code)
                )
            totals.append(total)
        joined = self.namer.temp()
        self.kinds[joined] = self.kinds[name]
        contribs.setdefault(name, []).append(Var(joined))
        return Phi(joined, *totals)

    def record(self, body) -> tuple:
        """``body`` with each reversed loop replaced by the code that runs it
        and records its tapes."""
        out = []
        for stmt in body:
            loop, recording = self.recordings.get(id(stmt), (None, ()))
            if loop is stmt:
                out.extend(recording)
            elif isinstance(stmt, If):  # inner loops are recorded where their loop is reversed
                out.append(ir.with_bodies(stmt, [self.record(inner) for inner in ir.bodies(stmt)]))
            else:
                out.append(stmt)
        return tuple(out)

    def writable(self, builder: Builder, adjoint):
        """``adjoint``, or a copy of it when it is an array that other code may
        also read (an argument, a value of the function, a part of another
        adjoint): the reverse loop writes into it in place."""
        if not isinstance(adjoint, Var) or self.kinds[adjoint.name].rank == 0:
            return adjoint
        source = self.defs.get(adjoint.name)
        if source is not None and not PRIMITIVES[source.prim].view:
            return adjoint
        copy = self.emit(builder, op("copy", adjoint))
        self.full_shaped[copy.name] = set(self.full_shaped.get(adjoint.name, ()))
        return copy

    def sum_adjoint(self, builder: Builder, terms, name: str):
        """The adjoint of ``name``: the sum of its ``terms``, named ``name_bar``."""
        hint = f"{self.base(name)}_bar"
        if any(self._scatter(t) is not None for t in terms):
            total = self.emit(builder, self.accumulate(builder, None, terms, name), hint)
            self.mark_full(total, name)
            return total
        return self.total(builder, terms, hint)

    def _scatter(self, term):
        source = self.defs.get(term.name) if isinstance(term, Var) else None
        return source if source is not None and source.prim == "scatter" else None

    def accumulate(self, builder: Builder, base, terms, name: str):
        """``base`` (None: zeros) plus ``terms``, the adjoint of the value
        ``name`` in full shape.  A term that is the adjoint of an element
        ``x[index]`` (zeros with ``g`` at the index) is added at the index,
        in place: no array of zeros is made for it."""
        scattered, rest = [], []
        for term in terms:
            source = self._scatter(term)
            if source is not None:
                scattered.append(source)
            else:
                rest.append(term)
        if rest:
            total = self.total(builder, rest)
            base = total if base is None else self.emit(builder, lift(base) + lift(total))
            base = self.full(builder, base, name)
        elif base is None:
            base = self.zero(name, builder.out)
        at_index: dict = {}  # one update per index: x_bar[i] += a + b
        for source in scattered:
            g, _, *indices = source.args
            at_index.setdefault((tuple(indices), source.attrs), []).append(g)
        for (indices, attrs), gs in at_index.items():
            g = self.total(builder, gs)
            base = self.emit(builder, op("additem", g, base, *indices, attrs=attrs))
            self.mark_full(base, name)
        return base

    def new(self, hint, kind, active=False) -> str:
        name = self.namer.fresh(hint) if hint and not hint.startswith("$") else self.namer.temp()
        self.kinds[name] = kind
        if active:
            self.active_set.add(name)
        return name


def _is_zero(atom) -> bool:
    return isinstance(atom, Const) and atom.value == 0


def reverse(
    fn: ir.Function, analysis: Analysis, wrt: tuple, form: str, scalar_out: bool
) -> ir.Function:
    """The reverse-mode derivative of ``fn``.

    ``form="grad"``: ``f_grad(*params) -> gradient``; ``"value_and_grad"``
    returns ``(value, gradient)``; ``"vjp"``: ``f_vjp(*params, value_bar)``
    returns ``(value, gradient)`` for that output cotangent.  The gradient is
    one adjoint per ``wrt`` parameter, a tuple unless ``scalar_out``.
    """
    sweeps = sweeps_of(fn, analysis, wrt, form == "vjp")
    grad = sweeps.grads[0] if scalar_out else sweeps.grads
    out = grad if form == "grad" else (fn.result, grad)
    return ir.Function(
        f"{fn.name}_{form}",
        fn.params + sweeps.seeds,
        sweeps.forward + sweeps.backward,
        out,
        fn.loc,
        fn.result_loc,
        fn.doc,
    )


class Sweeps(NamedTuple):
    """The two halves of a reverse-mode derivative: ``forward`` runs the
    primal and records the tapes, ``backward`` reads them and the seeds (the
    output's cotangents, parameters) and computes ``grads``, one adjoint per
    ``wrt`` parameter.  ``kinds`` has the kinds of the values and adjoints."""

    forward: tuple
    backward: tuple
    seeds: tuple
    grads: tuple
    kinds: dict


def sweeps_of(
    fn: ir.Function, analysis: Analysis, wrt: tuple, seeded: bool, output=None, namer=None
) -> Sweeps:
    """The reverse sweeps of ``fn``: with cotangent 1.0 for its (scalar)
    output, or with ``seeded`` a cotangent parameter; ``output`` chooses one
    atom of a tuple output (a derivative's: ``transform.jacobian``).
    ``namer`` may be shared with other code the sweeps are put with."""
    namer = namer or ir.Namer(ir.defined_names(fn))
    output = fn.result if output is None else output
    seeds = ()
    if seeded:
        seed = Var(namer.fresh(f"{_result_name(fn, output)}_bar"))
        seeds = (seed.name,)
    else:
        seed = Const(1.0)
    contribs: dict = {}
    if isinstance(output, Var) and output.name in analysis.active:
        contribs[output.name] = [seed]
    kinds = dict(analysis.kinds)
    if seeded:
        kinds[seed.name] = analysis.kind(output)
    state = ReverseState(analysis, namer, kinds)
    code = list(state.sweep(fn.body, contribs))
    primal = state.record(fn.body)
    grads = []
    for param in wrt:
        builder = Builder(namer, code, state.defs, state.kinds, fn.loc)
        terms = contribs.pop(param, [])
        if not terms:
            grads.append(state.zero(param, code))
        else:
            grads.append(state.full(builder, state.sum_adjoint(builder, terms, param), param))
    return Sweeps(primal, tuple(code), seeds, tuple(grads), state.kinds)


def _result_name(fn, output) -> str:
    """The output's name, for its cotangent's (``f_bar``)."""
    if isinstance(output, Var) and not output.name.startswith("$"):
        return output.name
    return fn.name
