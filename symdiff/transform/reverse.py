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

import dataclasses

from .. import ir
from ..analysis import Analysis, const_kind, expr_kind, needs_sum, op_kind
from ..errors import UnsupportedSyntaxError
from ..ir import STORES, Assign, Carry, Const, If, Kind, Loop, Op, Phi, Var
from ..optimize import Builder, dce
from ..primitives import PRIMITIVES, lift, op, tape_kind, where


class _Reverse:
    """Adjoints may be *broadcastable*: smaller than their value (a scalar for
    the adjoint of a full sum), as NumPy broadcasting makes them act the same in
    elementwise rules.  They are given their value's full shape only where
    that matters (``full``): before structural rules, at joins, at the end."""

    def __init__(self, an: Analysis, namer: ir.Namer, kinds: dict):
        self.namer = namer
        self.defs: dict = {}
        self.kinds = dict(kinds)  # kinds of values and of adjoints
        self.active_set = set(an.active)
        self.recordings: dict = {}  # id(loop) -> the statements that run it and fill its tapes
        # adjoint -> the values whose full shape it is known to have.  The same
        # adjoint may also be the (broadcastable) adjoint of another value: a
        # full sum passes the adjoint of its result on to its operand.
        self.full_shaped: dict = {}
        self.shapes: dict = {}  # value -> a value known to have the same shape

    def base(self, name: str) -> str:
        """The user's variable that ``name`` is a version of (for naming adjoints)."""
        return ir.version_of(name, self.kinds)

    def kind_atom(self, atom) -> Kind:
        return self.kinds[atom.name] if isinstance(atom, Var) else const_kind(atom.value)

    def kind_of(self, expr):
        return expr_kind(lift(expr).node, self.kind_of_name)

    def kind_of_name(self, name: str) -> Kind:
        """The kind of a value, or of a temporary a rule made inside an
        expression (known from its definition)."""
        if name not in self.kinds:
            self.kinds[name] = expr_kind(self.defs[name], self.kind_of_name)
        return self.kinds[name]

    def emit(self, b: Builder, expr, hint=None):
        """Emit ``expr``; the values it defines get the kinds of what was
        emitted (simplified: ``where(True, 0.0, g)`` is the scalar 0.0)."""
        start = len(b.out)
        atom = b.emit(expr, hint)
        for stmt in b.out[start:]:
            if isinstance(stmt, Assign) and stmt.target not in self.kinds:
                value = stmt.value
                if isinstance(value, Op):
                    self.kinds[stmt.target] = op_kind(value, list(map(self.kind_atom, value.args)))
                else:
                    self.kinds[stmt.target] = self.kind_atom(value)
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
        if isinstance(adjoint, Var):
            known = {self.shape_of(n) for n in self.full_shaped.get(adjoint.name, ())}
            if self.shape_of(name) in known:
                return adjoint
        if needs_sum(self.kind_of(adjoint), self.kinds[name]):
            adjoint = self.emit(b, op("broadcast_like", adjoint, Var(name)))
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
                _Loop(self, stmt).reverse(contribs, out)
            else:
                self.branch(stmt, contribs, out)
        return tuple(out)

    def assign(self, stmt: Assign, contribs: dict, out: list):
        terms = contribs.pop(stmt.target, None)
        if not terms or stmt.target not in self.active_set:
            return
        b = Builder(self.namer, out, self.defs, self.kinds, stmt.loc)
        y_bar = self.sum_adjoint(b, terms, stmt.target)
        value = stmt.value
        if not isinstance(value, Op):
            if self.active(value):
                self.alike(stmt.target, value.name)
                contribs.setdefault(value.name, []).append(y_bar)
            return
        prim = PRIMITIVES[value.prim]
        broadcast = prim.elementwise and any(
            self.active(a) and needs_sum(self.kind_atom(a), self.kinds[stmt.target])
            for a in value.args
        )
        if broadcast:  # summing over broadcast axes needs every element's adjoint
            y_bar = self.full(b, y_bar, stmt.target)
        args, ans, g = list(map(lift, value.args)), lift(Var(stmt.target)), lift(y_bar)
        if prim.partials is not None:
            partials = prim.partials(*args, ans)
            mask = self.mask(terms, stmt.target, broadcast)
            adjoints = [self.times(mask, g, lift(p)) if p is not None else None for p in partials]
        else:
            assert prim.vjp is not None, f"{value.prim} has no derivative rule"
            if prim.full_adjoint and not prim.elementwise:
                g = lift(self.full(b, y_bar, stmt.target))
            ranks = tuple(self.kind_atom(a).rank for a in value.args)
            adjoints = prim.vjp(g, *args, ans, value.attrs, ranks)
        for arg, adjoint in zip(value.args, adjoints):
            if not self.active(arg) or adjoint is None:
                continue
            adjoint = self.emit(b, adjoint)
            if prim.elementwise and needs_sum(self.kind_atom(arg), self.kind_atom(adjoint)):
                adjoint = self.sum_to(b, adjoint, arg, stmt.target)
            if value.prim in STORES and arg is value.args[1]:
                self.mark_full(adjoint, arg.name)  # made from the full adjoint of the result
            contribs.setdefault(arg.name, []).append(adjoint)

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

    def sum_to(self, b: Builder, adjoint, arg, result: str):
        """``adjoint`` summed over the axes along which ``arg`` was broadcast
        (to make ``result``); an adjoint of lower rank than ``arg`` is first
        given the result's full shape, so that its axes line up with arg's."""
        if self.kind_atom(adjoint).rank < self.kind_atom(arg).rank:
            adjoint = self.emit(b, op("broadcast_like", adjoint, Var(result)))
        return self.emit(b, op("sum_to", adjoint, arg))  # undo broadcasting

    def zero(self, name: str, code: list):
        """A zero adjoint for ``name``: 0.0, or zeros of its shape (emitted into ``code``)."""
        if self.kinds[name].rank == 0:
            return Const(0.0)
        zeros = Builder(self.namer, code, self.defs, self.kinds).emit(op("zeros_like", Var(name)))
        self.mark_full(zeros, name)
        self.kinds.setdefault(zeros.name, self.kinds[name])
        return zeros

    def branch(self, stmt: If, contribs: dict, out: list):
        b = Builder(self.namer, out, self.defs, self.kinds, stmt.loc)
        sides = ({}, {})
        for phi in stmt.phis:
            terms = contribs.pop(phi.target, None)
            if not terms or phi.target not in self.active_set:
                continue
            phi_bar = self.total(b, terms, f"{self.base(phi.target)}_bar")
            for side, source in zip(sides, (phi.then, phi.orelse)):
                if self.active(source):
                    side.setdefault(source.name, []).append(phi_bar)
        codes = [list(self.sweep(stmt.body, sides[0])), list(self.sweep(stmt.orelse, sides[1]))]
        # What is left are contributions to values defined before the If.
        outer = list(dict.fromkeys([*sides[0], *sides[1]]))
        phis = []
        for name in outer:
            # Element adjoints (x[i]) are added in place into the adjoint
            # gathered so far: it goes through the branch, not around it.
            scattered = any(
                self._scatter(t) is not None for side in sides for t in side.get(name, [])
            )
            before = contribs.pop(name, []) if scattered else []
            totals = []
            for side, code in zip(sides, codes):
                side_b = Builder(self.namer, code, self.defs, self.kinds, stmt.loc)
                terms = before + side.get(name, [])
                if scattered and terms:
                    total = self.accumulate(side_b, None, terms, name)
                else:
                    total = self.total(side_b, terms)
                    total = (
                        self.full(side_b, total, name)
                        if total is not None
                        else self.zero(name, code)
                    )
                totals.append(total)
            joined = self.namer.temp()
            self.kinds[joined] = self.kinds[name]
            phis.append(Phi(joined, *totals))
            contribs.setdefault(name, []).append(Var(joined))
        if codes[0] or codes[1] or phis:
            out.append(If(stmt.cond, tuple(codes[0]), tuple(codes[1]), tuple(phis), stmt.loc))

    def record(self, body) -> tuple:
        """``body`` with each reversed loop replaced by the code that runs it
        and records its tapes."""
        out = []
        for stmt in body:
            if isinstance(stmt, Loop) and id(stmt) in self.recordings:
                out.extend(self.recordings[id(stmt)])
            elif isinstance(stmt, If):
                out.append(
                    dataclasses.replace(
                        stmt, body=self.record(stmt.body), orelse=self.record(stmt.orelse)
                    )
                )
            else:
                out.append(stmt)
        return tuple(out)

    def own(self, b: Builder, adjoint):
        """``adjoint``, or a copy of it when it is an array that other code may
        also read (an argument, a value of the function, a part of another
        adjoint): the reverse loop writes into it in place."""
        if not isinstance(adjoint, Var) or self.kinds[adjoint.name].rank == 0:
            return adjoint
        source = self.defs.get(adjoint.name)
        if source is not None and not PRIMITIVES[source.prim].view:
            return adjoint
        copy = self.emit(b, op("copy", adjoint))
        self.full_shaped[copy.name] = set(self.full_shaped.get(adjoint.name, ()))
        return copy

    def sum_adjoint(self, b: Builder, terms, name: str):
        """The adjoint of ``name``: the sum of its ``terms``, named ``name_bar``."""
        hint = f"{self.base(name)}_bar"
        if any(self._scatter(t) is not None for t in terms):
            total = self.emit(b, self.accumulate(b, None, terms, name), hint)
            self.mark_full(total, name)
            return total
        return self.total(b, terms, hint)

    def _scatter(self, term):
        source = self.defs.get(term.name) if isinstance(term, Var) else None
        return source if source is not None and source.prim == "scatter" else None

    def accumulate(self, b: Builder, base, terms, name: str):
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
            total = self.total(b, rest)
            base = total if base is None else self.emit(b, lift(base) + lift(total))
            base = self.full(b, base, name)
        elif base is None:
            base = self.zero(name, b.out)
        at_index: dict = {}  # one update per index: x_bar[i] += a + b
        for source in scattered:
            g, _, *indices = source.args
            at_index.setdefault((tuple(indices), source.attrs), []).append(g)
        for (indices, attrs), gs in at_index.items():
            g = self.total(b, gs)
            base = self.emit(b, op("additem", g, base, *indices, attrs=attrs))
            self.mark_full(base, name)
        return base

    def new(self, hint, kind, active=False) -> str:
        name = self.namer.fresh(hint) if hint and not hint.startswith("$") else self.namer.temp()
        self.kinds[name] = kind
        if active:
            self.active_set.add(name)
        return name


_INDEX = (("index", (("i",),)),)
_WHOLE = ("s", False, False, False)  # the index item ``:``


def _is_zero(atom) -> bool:
    return isinstance(atom, Const) and atom.value == 0


def _mutated(loop: Loop) -> dict:
    """Names of the array values a loop writes into, with every other
    version of the same arrays (before and after each write, joined at
    ``if``s and carried around loops): name -> the array's value before the
    loop (the ``init`` of the loop's carried version of it), or None when
    the versions may come from several arrays (of other shapes)."""
    links: list = []
    written = set()
    for s in ir.walk(loop.body):
        if isinstance(s, Assign) and isinstance(s.value, Op) and s.value.prim in STORES:
            written.add(s.target)
            links.append((s.target, s.value.args[1]))
        elif isinstance(s, If):
            links += [(p.target, a) for p in s.phis for a in (p.then, p.orelse)]
        elif isinstance(s, Loop):
            links += [(c.name, a) for c in s.carried for a in (c.init, c.next)]
    links += [(c.name, a) for c in loop.carried for a in (c.init, c.next)]
    parent: dict = {}

    def find(name):
        while parent.get(name, name) != name:
            name = parent[name]
        return name

    for a, b in links:
        if isinstance(b, Var) and find(a) != find(b.name):
            parent[find(a)] = find(b.name)
    names = set(parent) | set(parent.values()) | written
    # Arrays made afresh in each iteration (a scratch array) are recomputed
    # like any other value: only those that outlive an iteration count.
    inside = ir.defined_in(loop.body)
    lasting = {find(n) for n in names if n not in inside}
    written = {find(w) for w in written}
    made = {a for a, _ in links}  # versions made from other versions
    origins: dict = {}  # root -> the arrays its versions are made from
    for n in names - made:
        origins.setdefault(find(n), set()).add(n)
    before = {
        find(c.name): c.init
        for c in loop.carried
        if isinstance(c.init, Var) and origins.get(find(c.name)) == {c.init.name}
    }
    return {n: before.get(find(n)) for n in names if find(n) in lasting and find(n) in written}


class _Loop:
    """The adjoint of one loop, by checkpointing every iteration.

    The forward sweep runs the loop and records, per iteration, the carried
    values the reverse sweep needs (its *tapes*: arrays indexed by the
    iteration number, sized from the trip count when that is known before
    the loop, grown by doubling otherwise), and the elements it reads from
    arrays that it overwrites (elements, rows and other parts selected by
    indices and whole slices).  The reverse sweep is a loop over the
    iterations in reverse order: each restores the carried values from the
    tapes, recomputes the iteration's other values, and runs the adjoint of
    the body.  Adjoints of carried values are carried backwards; adjoints of
    values from before the loop are accumulated (``x_bar[i] += ...`` in
    place for elements).  Memory grows with the trip count times the
    carried state; the generated code does not depend on the trip count.
    """

    def __init__(self, rv: _Reverse, loop: Loop):
        self.rv, self.loop = rv, loop
        self.counted = loop.index is None or loop.exit is not None
        self.mutated = _mutated(loop)

    def reverse(self, contribs: dict, out: list):
        rv, L = self.rv, self.loop
        seeds = {c.name: contribs.pop(c.name, []) for c in L.carried}
        # Carried values whose adjoint can be nonzero: those used after the
        # loop, and those the next values of these are computed from.
        deps = _carry_deps(L)
        useful = {c.name for c in L.carried if seeds[c.name]}
        while more := {d for n in useful for d in deps[n]} - useful:
            useful |= more
        active = [c for c in L.carried if c.name in rv.active_set and c.name in useful]
        if not active:
            return
        self.refuse_growing()
        b = Builder(rv.namer, out, rv.defs, rv.kinds, L.loc)

        # This iteration's values, under new names.
        mapping = {c.name: rv.new(rv.base(c.name), rv.kinds[c.name]) for c in L.carried}
        restored = dict(mapping)
        if L.index is not None:
            mapping[L.index] = rv.new(rv.base(L.index), Kind("int"))
        body = ir.rename(L.body, mapping, rv.namer)
        for old, new in mapping.items():
            rv.kinds.setdefault(new, rv.kinds[old])
            if old in rv.active_set:
                rv.active_set.add(new)
        mutated = set(self.mutated) | {mapping.get(n, n) for n in self.mutated}

        # Adjoints of carried values flow backwards through the iterations;
        # those of values from before the loop are accumulated, starting
        # from what the code after the loop gave them.
        bars, inner = {}, {}
        outer = []
        for v in _free_active(L, rv):
            acc = rv.new(f"{rv.base(v)}_bar", rv.kinds[v], True)
            seed = rv.own(b, rv.accumulate(b, None, contribs.pop(v, []), v))
            outer.append((v, acc, seed))
            inner[v] = [Var(acc)]
            rv.mark_full(Var(acc), v)
        for c in active:
            seed = rv.own(b, rv.accumulate(b, None, seeds[c.name], c.name))
            bars[c.name] = (rv.new(f"{rv.base(c.name)}_bar", rv.kinds[c.name], True), seed)
            rv.mark_full(Var(bars[c.name][0]), c.name)
            # The carried value before the loop, at the start and at the end of
            # an iteration: one shape (refuse_growing).
            versions = [v.name for v in (c.init, c.next) if isinstance(v, Var)]
            rv.alike(c.name, restored[c.name], *versions, *(mapping.get(v, v) for v in versions))
            nxt = c.next
            if isinstance(nxt, Var) and rv.active(nxt):
                nxt = mapping.get(nxt.name, nxt.name)
                inner.setdefault(nxt, []).append(Var(bars[c.name][0]))
        adjoint = rv.sweep(body, inner)
        tail: list = []
        tb = Builder(rv.namer, tail, rv.defs, rv.kinds, L.loc)
        carries = []
        for c in active:
            nxt = rv.accumulate(tb, None, inner.pop(restored[c.name], []), c.name)
            carries.append(Carry(bars[c.name][0], bars[c.name][1], nxt))
        for c in L.carried:
            inner.pop(restored[c.name], None)
        for v, acc, seed in outer:
            carries.append(Carry(acc, seed, rv.accumulate(tb, None, inner.pop(v), v)))
        assert not inner, f"adjoints of {sorted(inner)} left over"

        # The reverse loop: restore, recompute, differentiate.
        self.tapes = {
            c.name: rv.new(f"{rv.base(c.name)}_tape", tape_kind(rv.kinds[c.name]))
            for c in L.carried
            if c.name not in mutated
        }
        self.count = rv.new("n_iter", Kind("int")) if self.counted else None
        head: list = []
        hb = Builder(rv.namer, head, rv.defs, rv.kinds, L.loc)
        if not self.counted:
            r_index = mapping[L.index]
            k = hb.emit(_iteration(Var(r_index), L))
            if L.step == Const(1):
                bounds = (b.emit(lift(L.stop) - 1), b.emit(lift(L.start) - 1), Const(-1))
            else:
                m = b.emit(op("range_len", L.start, L.stop, L.step))
                last = b.emit(lift(L.start) + (lift(m) - 1) * lift(L.step))
                bounds = (last, b.emit(lift(L.start) - lift(L.step)), b.emit(-lift(L.step)))
        else:
            r_index = rv.new("k", Kind("int"))
            k = Var(r_index)
            bounds = (b.emit(lift(Var(self.count)) - 1), Const(-1), Const(-1))
            if L.index is not None:
                i = hb.emit(lift(L.start) + lift(k) * lift(L.step))
                head.append(Assign(mapping[L.index], i, L.loc))
        for c in L.carried:
            if c.name in mutated:  # the final array: only its shape is used
                head.append(Assign(restored[c.name], Var(c.name), L.loc))
            else:
                source = Op("getitem", (Var(self.tapes[c.name]), k), _INDEX)
                head.append(Assign(restored[c.name], source, L.loc))
        self.reads: dict = {}  # a recorded read's target -> (its tape, what the tape is like)
        self.original = {new: old for old, new in mapping.items()}
        recompute = self.recompute(rv.record(body), mutated, k, top=True)
        adjoint = _guard(adjoint, mutated)
        r_body = tuple(head) + recompute + adjoint + tuple(tail)
        R = Loop(tuple(carries), r_body, r_index, *bounds, loc=L.loc)
        R = dce(ir.Function("_", (), (R,), tuple(Var(c.name) for c in carries))).body[0]
        for stmt in ir.walk(R.body):
            if (
                isinstance(stmt, Assign)
                and isinstance(stmt.value, Op)
                and stmt.value.prim == "stale"
            ):
                raise UnsupportedSyntaxError(
                    "reverse mode cannot differentiate this loop: the reverse sweep needs a "
                    "value read from an array that the loop also writes into, and symdiff "
                    "records such reads only outside inner loops, of parts selected by "
                    "indices and whole slices (a[i], a[i, :], a[:, j]) of an array the loop "
                    "does not replace by another",
                    stmt.loc,
                    "read the value into a variable before the inner loop, or use forward "
                    "mode (mode='forward')",
                )
        read = _names_read(R)
        out.append(R)
        for c in active:
            if rv.active(c.init):
                contribs.setdefault(c.init.name, []).append(Var(bars[c.name][0]))
        for v, acc, _ in outer:
            contribs.setdefault(v, []).append(Var(acc))
        taped = [c for c in L.carried if c.name in self.tapes and restored[c.name] in read]
        reads = {self.original[t]: tape for t, tape in self.reads.items() if tape[0] in read}
        rv.recordings[id(L)] = self.recording(taped, reads)

    def refuse_growing(self):
        """The reverse sweep restores and differentiates each iteration in
        the shape its carried arrays have before the loop: one that is
        surely of size 1 along an axis there and not after an iteration
        (grown by broadcasting) cannot be reversed."""
        for c in self.loop.carried:
            before, after = self.rv.kind_atom(c.init), self.rv.kind_atom(c.next)
            if any(before.state(a) == "1" and after.state(a) == ":" for a in range(after.rank)):
                raise UnsupportedSyntaxError(
                    f"reverse mode cannot differentiate this loop: '{self.rv.base(c.name)}' "
                    "grows by broadcasting in it (of size 1 along an axis before the loop, "
                    "larger after an iteration)",
                    self.loop.loc,
                    "give it its full shape before the loop (add np.zeros_like(...) of an "
                    "array of that shape), or use forward mode (mode='forward')",
                )

    def recompute(self, body, mutated: set, k, top: bool) -> tuple:
        """The body as it runs again in the reverse sweep.  Arrays the loop
        writes into hold their final values by then: elements and rows read from
        them (outside inner loops: ``top``) come from a tape, and writes are
        skipped (their results are used only for their shapes)."""
        out = []
        for s in body:
            if isinstance(s, If):
                out.append(
                    dataclasses.replace(
                        s,
                        body=self.recompute(s.body, mutated, k, top),
                        orelse=self.recompute(s.orelse, mutated, k, top),
                    )
                )
                continue
            if isinstance(s, Loop):
                out.append(
                    dataclasses.replace(
                        s,
                        header=self.recompute(s.header, mutated, k, False),
                        body=self.recompute(s.body, mutated, k, False),
                    )
                )
                continue
            value = s.value
            if not isinstance(value, Op):
                out.append(s)
                continue
            if value.prim in STORES and _named(value.args[1], mutated):
                out.append(Assign(s.target, value.args[1], s.loc))
                continue
            shape_only = PRIMITIVES[value.prim].shape_reads
            reads = [
                a for k, a in enumerate(value.args) if k not in shape_only and _named(a, mutated)
            ]
            if reads:
                replayed = self.replay(s, reads[0], k) if top else None
                out.append(replayed or Assign(s.target, Op("stale", (reads[0],)), s.loc))
                continue
            out.append(s)
        return tuple(out)

    def replay(self, s: Assign, array: Var, k):
        """``s`` reading (a part of) ``array``, which the loop writes into, as
        a read of the value it had, recorded on a tape in the forward sweep;
        None where that cannot be done (a read whose shape may change from
        one iteration to the next, or of an array not carried by the loop)."""
        rv, value = self.rv, s.value
        pattern = dict(value.attrs)["index"] if value.prim == "getitem" else ()
        if value.prim != "getitem" or any(item not in (("i",), _WHOLE) for item in pattern):
            return None
        kind = rv.kinds[s.target]
        like = Const(0.0)  # an element
        select = ()
        if kind.rank:  # shaped like the array's value before the loop, indexed
            like = self.mutated.get(self.original.get(array.name, array.name))
            select = (("select", pattern),)
            if not isinstance(like, Var):
                return None
        tape = rv.new(f"{rv.base(array.name)}_tape", tape_kind(kind))
        self.reads[s.target] = (tape, like, select)
        return Assign(s.target, Op("getitem", (Var(tape), k), _INDEX), s.loc)

    def recording(self, taped: list, reads: dict) -> list:
        """The forward sweep's statements for this loop: allocate the tapes,
        then run the loop, writing each iteration's values into them."""
        rv, L = self.rv, self.loop
        if not taped and not reads and not self.counted:
            return [L]
        out: list = []
        b = Builder(rv.namer, out, rv.defs, rv.kinds, L.loc)
        if L.index is not None:
            if L.step == Const(1):
                size = b.emit(op("max", lift(L.stop) - lift(L.start), 0))
            else:
                size = b.emit(op("range_len", L.start, L.stop, L.step))
        else:
            size = Const(16)
        body: list = []
        bb = Builder(rv.namer, body, rv.defs, rv.kinds, L.loc)
        k = Var(self.count) if self.counted else bb.emit(_iteration(Var(L.index), L))
        carries = list(L.carried)
        if self.counted:
            carries.append(Carry(self.count, Const(0), bb.emit(lift(k) + 1)))
            counter = body.pop() if isinstance(body[-1], Assign) else None
        else:
            counter = None

        def allocate(tape, like, select=()):
            init = Op("tape", (size, like), (("dtype", rv.kinds[tape].dtype), *select))
            name = rv.new(None, rv.kinds[tape])
            out.append(Assign(name, init, L.loc))
            return Var(name)

        def write(tape, value, current, code):
            """Statements into ``code`` storing ``value`` at entry k; the new tape."""
            wb = Builder(rv.namer, code, rv.defs, rv.kinds, L.loc)
            if L.index is None:  # while loops: grow the tape when it is full
                current = wb.emit(op("tape_grow", current, k))
            return wb.emit(op("setitem", value, current, k, attrs=_INDEX))

        def insert(stmts, current: dict) -> tuple:
            """``stmts`` with each recorded read followed by its tape write;
            a tape written in one branch of an ``if`` is joined after it."""
            code: list = []
            for stmt in stmts:
                if isinstance(stmt, If):
                    then, other = dict(current), dict(current)
                    body_, orelse = insert(stmt.body, then), insert(stmt.orelse, other)
                    phis = list(stmt.phis)
                    for tape in current:
                        if then[tape] != other[tape]:
                            joined = rv.new(None, rv.kinds[tape])
                            phis.append(Phi(joined, then[tape], other[tape]))
                            current[tape] = Var(joined)
                    stmt = dataclasses.replace(stmt, body=body_, orelse=orelse, phis=tuple(phis))
                code.append(stmt)
                if isinstance(stmt, Assign) and stmt.target in reads:
                    tape = reads[stmt.target][0]
                    current[tape] = write(tape, Var(stmt.target), current[tape], code)
            return tuple(code)

        inits = {self.tapes[c.name]: allocate(self.tapes[c.name], c.init) for c in taped}
        inits.update((tape, allocate(tape, like, select)) for tape, like, select in reads.values())
        current = {tape: Var(tape) for tape in inits}
        for c in taped:
            tape = self.tapes[c.name]
            current[tape] = write(tape, Var(c.name), current[tape], body)
        body.extend(insert(L.body, current))
        carries += [Carry(tape, init, current[tape]) for tape, init in inits.items()]
        if counter is not None:
            body.append(counter)
        out.append(dataclasses.replace(L, carried=tuple(carries), body=tuple(body)))
        return out


def _guard(body, mutated: set) -> tuple:
    """Adjoint code that would read the contents of an array the loop writes
    into (it holds the final values by then) reads a ``stale`` value instead,
    an error if it is still needed after dead-code elimination."""
    out = []
    for s in body:
        if isinstance(s, If):
            s = dataclasses.replace(
                s, body=_guard(s.body, mutated), orelse=_guard(s.orelse, mutated)
            )
        elif isinstance(s, Loop):
            s = dataclasses.replace(
                s, header=_guard(s.header, mutated), body=_guard(s.body, mutated)
            )
        elif isinstance(s.value, Op):
            shape_only = PRIMITIVES[s.value.prim].shape_reads
            stale = [
                a for k, a in enumerate(s.value.args) if k not in shape_only and _named(a, mutated)
            ]
            if stale:
                s = Assign(s.target, Op("stale", (stale[0],)), s.loc)
        out.append(s)
    return tuple(out)


def _carry_deps(loop: Loop) -> dict:
    """For each carried value, the carried values its next value is computed
    from (through data, not through conditions)."""
    deps: dict = {c.name: {c.name} for c in loop.carried}

    def of(atoms):
        return set().union(*(deps.get(a.name, set()) for a in atoms if isinstance(a, Var)))

    def block(body):  # in order of definition: branches before their phis
        for s in body:
            if isinstance(s, Assign):
                deps[s.target] = of(s.value.args if isinstance(s.value, Op) else (s.value,))
            elif isinstance(s, If):
                block(s.body)
                block(s.orelse)
                for p in s.phis:
                    deps[p.target] = of((p.then, p.orelse))
            else:  # an inner loop: each carried value may depend on all it reads
                for c in s.carried:
                    deps[c.name] = of((c.init,))
                for _ in range(2):  # its carried values feed each other
                    block(s.header + s.body)
                    reads = of(s.atoms()) | set().union(*(deps[c.name] for c in s.carried))
                    for name in ir.targets(s):
                        deps[name] = reads

    block(loop.body)
    return {c.name: of((c.next,)) for c in loop.carried}


def _free_active(loop: Loop, rv: _Reverse) -> list:
    """Active values from before the loop that its body reads, in order."""
    inside = ir.defined_in([loop])
    names = []
    for s in ir.walk(loop.body):
        names += [a.name for a in ir.reads(s) if rv.active(a) and a.name not in inside]
    names += [c.next.name for c in loop.carried if rv.active(c.next) and c.next.name not in inside]
    return list(dict.fromkeys(names))


def _iteration(index, L: Loop):
    """The iteration number (0, 1, ...) of a for loop's index."""
    k = lift(index) - lift(L.start)
    return k if L.step == Const(1) else k // lift(L.step)


def _named(atom, names) -> bool:
    return isinstance(atom, Var) and atom.name in names


def _names_read(loop: Loop) -> set:
    statements = [loop, *ir.walk(loop.body)]
    return {a.name for st in statements for a in ir.reads(st) if isinstance(a, Var)}


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
    primal = rv.record(fn.body)
    grads = []
    for p in wrt:
        b = Builder(namer, code, rv.defs, rv.kinds, fn.loc)
        terms = contribs.pop(p, [])
        if not terms:
            grads.append(rv.zero(p, code))
        else:
            grads.append(rv.full(b, rv.sum_adjoint(b, terms, p), p))
    grad = grads[0] if scalar_out else tuple(grads)
    out = grad if kind == "grad" else (fn.result, grad)
    return ir.Function(
        f"{fn.name}_{kind}",
        fn.params + extra,
        primal + tuple(code),
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
