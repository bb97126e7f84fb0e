"""Reverse mode of loops: the adjoint of one ``Loop``, by checkpointing.

The forward sweep runs the loop and records, per iteration, the carried
values the reverse sweep needs (its *tapes*: arrays indexed by the iteration
number, sized from the trip count when that is known before the loop, grown
by doubling otherwise), and the elements it reads from arrays that it
overwrites (elements, rows and other parts selected by indices and whole
slices).  The reverse sweep is a loop over the iterations in reverse order:
each restores the carried values from the tapes, recomputes the iteration's
other values, and runs the adjoint of the body.  Adjoints of carried values
are carried backwards; adjoints of values from before the loop are
accumulated (``x_bar[i] += ...`` in place for elements).  Memory grows with
the trip count times the carried state; the generated code does not depend
on the trip count.

What is recorded is decided after the reverse sweep is built: only the
carried values and the reads that it still uses after dead-code elimination
get a tape.  Reads the reverse sweep cannot replay (elements of an
overwritten array read inside an inner loop, whole-array reads or bounded
slices of such an array, a carried array that grows by broadcasting) are
refused with a ``SymDiffError`` that suggests forward mode.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from .. import ir
from ..analysis.loops import carry_dependencies, mutated_arrays, names_read
from ..errors import UnsupportedSyntaxError
from ..ir import STORES, Assign, Carry, Const, If, Kind, Loop, Op, Phi, Var
from ..ir.liveness import live_code
from ..primitives import PRIMITIVES, lift, op, tape_kind
from ..primitives.builder import Builder

if TYPE_CHECKING:
    from .reverse import ReverseState

_INDEX = ir.Attrs(index=(ir.Take(),))  # a tape's entry ``tape[k]``


class LoopAdjoint:
    """The adjoint of one loop (see the module docstring).

    ``differentiate`` emits the reverse loop into the reverse sweep and
    leaves, in ``state.recordings``, the statements that run the loop in the
    forward sweep and fill its tapes."""

    def __init__(self, state: ReverseState, loop: Loop):
        self.state, self.loop = state, loop
        self.counted = loop.index is None or loop.exit is not None
        self.mutated = mutated_arrays(loop)

    def differentiate(self, contribs: dict, out: list):
        """Emit the reverse loop into ``out``, taking the adjoint terms of
        the carried values from ``contribs`` and giving back those of the
        values from before the loop."""
        state, loop = self.state, self.loop
        seeds = {carry.name: contribs.pop(carry.name, []) for carry in loop.carried}
        active = self.active_carries(seeds)
        if not active:
            return
        self.refuse_growing()
        builder = Builder(state.namer, out, state.defs, state.kinds, loop.loc)
        body = self.rename_iteration()
        bars, inner, outer = self.seed_adjoints(builder, active, seeds, contribs)
        adjoint = state.sweep(body, inner)
        tail, carries = self.adjoint_carries(active, bars, inner, outer)
        reverse_loop = self.reverse_loop(builder, body, adjoint, tail, carries)
        out.append(reverse_loop)
        for carry in active:
            if state.active(carry.init):
                contribs.setdefault(carry.init.name, []).append(Var(bars[carry.name][0]))
        for name, accumulated, _ in outer:
            contribs.setdefault(name, []).append(Var(accumulated))
        state.recordings[id(loop)] = (loop, self.recording(*self.recorded(reverse_loop)))

    def reverse_loop(self, builder: Builder, body, adjoint, tail, carries) -> Loop:
        """The reverse loop: restore, recompute, differentiate; without what
        its results do not need."""
        head, index, iteration, bounds = self.restore(builder)
        self.reads: dict = {}  # a recorded read's target -> (its tape, what the tape is like)
        self.original = {new: old for old, new in self.mapping.items()}
        recompute = self.recompute(self.state.record(body), iteration, top=True)
        recompute = self.next_from_tapes(builder, recompute, iteration)
        adjoint = _guard(adjoint, self.mutated_names)
        reverse_body = tuple(head) + recompute + adjoint + tuple(tail)
        reverse_loop = Loop(tuple(carries), reverse_body, index, *bounds, loc=self.loop.loc)
        results = [Var(carry.name) for carry in carries]
        reverse_loop = live_code((reverse_loop,), results)[0]
        _refuse_stale(reverse_loop)
        return reverse_loop

    def next_from_tapes(self, builder: Builder, recompute: tuple, iteration) -> tuple:
        """The recomputed body with each carried array's next value read
        back instead of computed again: the value an iteration of a for loop
        carries out is the one the next iteration starts from, which is on
        the tape (``h_tape[k + 1]``), or, after the last iteration, the
        loop's final value.  A recurrence ``h = tanh(W @ h + ...)`` then
        costs no matrix product in the reverse sweep beyond its adjoint's."""
        state, loop = self.state, self.loop
        if loop.index is None or self.counted:
            return recompute
        replaced = {}
        for carry in loop.carried:
            renamed = self.mapping.get(carry.next.name) if isinstance(carry.next, Var) else None
            if carry.name in self.tapes and renamed and state.kinds[carry.name].rank:
                replaced[renamed] = carry
        if not any(isinstance(s, Assign) and s.target in replaced for s in recompute):
            return recompute
        trips = _trip_count(builder, loop)
        out: list = []
        for stmt in recompute:
            carry = replaced.get(stmt.target) if isinstance(stmt, Assign) else None
            if carry is None:
                out.append(stmt)
                continue
            code: list = []
            step = Builder(state.namer, code, state.defs, state.kinds, stmt.loc)
            following = step.emit(lift(iteration) + 1)
            more = step.emit(op("lt", following, trips))
            state.kinds.setdefault(more.name, Kind("bool"))
            read = state.new(None, state.kinds[stmt.target])
            tape = Var(self.tapes[carry.name])
            entry = Assign(read, Op("getitem", (tape, following), _INDEX), stmt.loc)
            join = Phi(stmt.target, Var(read), Var(carry.name))
            out += [*code, If(more, (entry,), (), (join,), stmt.loc)]
        return tuple(out)

    def recorded(self, reverse_loop: Loop):
        """What the forward sweep records: the carried values and the reads
        whose tapes the reverse loop still reads."""
        read = names_read(reverse_loop)
        taped = [
            carry
            for carry in self.loop.carried
            if carry.name in self.tapes
            and (self.restored[carry.name] in read or self.tapes[carry.name] in read)
        ]
        reads = {self.original[t]: tape for t, tape in self.reads.items() if tape[0] in read}
        return taped, reads

    def active_carries(self, seeds: dict) -> list:
        """Carried values whose adjoint can be nonzero: those used after the
        loop, and those the next values of these are computed from."""
        deps = carry_dependencies(self.loop)
        useful = {name for name, terms in seeds.items() if terms}
        while more := {d for n in useful for d in deps[n]} - useful:
            useful |= more
        return [
            carry
            for carry in self.loop.carried
            if carry.name in self.state.active_set and carry.name in useful
        ]

    def rename_iteration(self) -> tuple:
        """The body of one iteration under new names (``self.mapping``:
        old -> new; ``self.restored``: carried value -> its restored value)."""
        state, loop = self.state, self.loop
        mapping = {c.name: state.new(state.base(c.name), state.kinds[c.name]) for c in loop.carried}
        self.restored = dict(mapping)
        if loop.index is not None:
            mapping[loop.index] = state.new(state.base(loop.index), Kind("int"))
        body = ir.rename(loop.body, mapping, state.namer)
        for old, new in mapping.items():
            state.kinds.setdefault(new, state.kinds[old])
            if old in state.active_set:
                state.active_set.add(new)
        self.mapping = mapping
        self.mutated_names = set(self.mutated) | {mapping.get(n, n) for n in self.mutated}
        return body

    def seed_adjoints(self, builder: Builder, active: list, seeds: dict, contribs: dict):
        """Adjoints of carried values flow backwards through the iterations;
        those of values from before the loop are accumulated, starting from
        what the code after the loop gave them.  Returns ``bars`` (carried
        value -> (its adjoint's name, its value after the loop)), ``inner``
        (the contributions inside the reversed body) and ``outer`` (per free
        value: its name, its accumulated adjoint's name, its starting value)."""
        state, loop = self.state, self.loop
        bars, inner = {}, {}
        outer = []
        for name in _free_active(loop, state):
            accumulated = state.new(f"{state.base(name)}_bar", state.kinds[name], True)
            total = state.accumulate(builder, None, contribs.pop(name, []), name)
            start = state.writable(builder, total)
            outer.append((name, accumulated, start))
            inner[name] = [Var(accumulated)]
            state.mark_full(Var(accumulated), name)
        for carry in active:
            total = state.accumulate(builder, None, seeds[carry.name], carry.name)
            seed = state.writable(builder, total)
            bar = state.new(f"{state.base(carry.name)}_bar", state.kinds[carry.name], True)
            bars[carry.name] = (bar, seed)
            state.mark_full(Var(bar), carry.name)
            # The carried value before the loop, at the start and at the end of
            # an iteration: one shape (refuse_growing).
            versions = [v.name for v in (carry.init, carry.next) if isinstance(v, Var)]
            renamed = (self.mapping.get(v, v) for v in versions)
            state.alike(carry.name, self.restored[carry.name], *versions, *renamed)
            nxt = carry.next
            if isinstance(nxt, Var) and state.active(nxt):
                nxt = self.mapping.get(nxt.name, nxt.name)
                inner.setdefault(nxt, []).append(Var(bar))
        return bars, inner, outer

    def adjoint_carries(self, active: list, bars: dict, inner: dict, outer: list):
        """The statements ending a reverse iteration and the reverse loop's
        carries: the adjoints of the carried values and of free values."""
        state, loop = self.state, self.loop
        tail: list = []
        tail_builder = Builder(state.namer, tail, state.defs, state.kinds, loop.loc)
        carries = []
        for carry in active:
            terms = inner.pop(self.restored[carry.name], [])
            nxt = state.accumulate(tail_builder, None, terms, carry.name)
            carries.append(Carry(bars[carry.name][0], bars[carry.name][1], nxt))
        for carry in loop.carried:
            inner.pop(self.restored[carry.name], None)
        for name, accumulated, start in outer:
            nxt = state.accumulate(tail_builder, None, inner.pop(name), name)
            carries.append(Carry(accumulated, start, nxt))
        assert not inner, f"adjoints of {sorted(inner)} left over"
        return tail, carries

    def restore(self, builder: Builder):
        """The tapes' names, and the start of a reverse iteration: restore the
        index and the carried values.  Returns the statements, the reverse
        loop's index, the iteration number (an atom) and the loop's bounds."""
        state, loop = self.state, self.loop
        self.tapes = {
            c.name: state.new(f"{state.base(c.name)}_tape", tape_kind(state.kinds[c.name]))
            for c in loop.carried
            if c.name not in self.mutated_names
        }
        self.count = state.new("n_iter", Kind("int")) if self.counted else None
        head: list = []
        head_builder = Builder(state.namer, head, state.defs, state.kinds, loop.loc)
        if not self.counted:
            index = self.mapping[loop.index]
            iteration = head_builder.emit(_iteration(Var(index), loop))
            bounds = _reversed_range(builder, loop)
        else:
            index = state.new("k", Kind("int"))
            iteration = Var(index)
            bounds = (builder.emit(lift(Var(self.count)) - 1), Const(-1), Const(-1))
            if loop.index is not None:
                value = head_builder.emit(lift(loop.start) + lift(iteration) * lift(loop.step))
                head.append(Assign(self.mapping[loop.index], value, loop.loc))
        for carry in loop.carried:
            restored = self.restored[carry.name]
            if carry.name in self.mutated_names:  # the final array: only its shape is used
                head.append(Assign(restored, Var(carry.name), loop.loc))
            else:
                source = Op("getitem", (Var(self.tapes[carry.name]), iteration), _INDEX)
                head.append(Assign(restored, source, loop.loc))
        return head, index, iteration, bounds

    def refuse_growing(self):
        """The reverse sweep restores and differentiates each iteration in
        the shape its carried arrays have before the loop: one that is
        surely of size 1 along an axis there and not after an iteration
        (grown by broadcasting) cannot be reversed."""
        for carry in self.loop.carried:
            before, after = self.state.kind_atom(carry.init), self.state.kind_atom(carry.next)
            grown = zip(before.sizes(), after.sizes())
            if (ir.AxisSize.ONE, ir.AxisSize.MATCHES) in grown:
                raise UnsupportedSyntaxError(
                    f"reverse mode cannot differentiate this loop: '{self.state.base(carry.name)}' "
                    "grows by broadcasting in it (of size 1 along an axis before the loop, "
                    "larger after an iteration)",
                    self.loop.loc,
                    "give it its full shape before the loop (add np.zeros_like(...) of an "
                    "array of that shape), or use forward mode (mode='forward')",
                )

    def recompute(self, body, iteration, top: bool) -> tuple:
        """The body as it runs again in the reverse sweep.  Arrays the loop
        writes into hold their final values by then: elements and rows read from
        them (outside inner loops: ``top``) come from a tape, and writes are
        skipped (their results are used only for their shapes)."""
        mutated = self.mutated_names
        out = []
        for stmt in body:
            if ir.bodies(stmt):
                inner_top = top and isinstance(stmt, If)
                new = tuple(self.recompute(b, iteration, inner_top) for b in ir.bodies(stmt))
                out.append(ir.with_bodies(stmt, new))
                continue
            value = stmt.value
            if not isinstance(value, Op):
                out.append(stmt)
                continue
            if value.prim in STORES and _named(value.args[1], mutated):
                out.append(Assign(stmt.target, value.args[1], stmt.loc))
                continue
            shape_only = PRIMITIVES[value.prim].shape_reads
            reads = [
                a for k, a in enumerate(value.args) if k not in shape_only and _named(a, mutated)
            ]
            if reads:
                replayed = self.replay(stmt, reads[0], iteration) if top else None
                out.append(replayed or Assign(stmt.target, Op("stale", (reads[0],)), stmt.loc))
                continue
            out.append(stmt)
        return tuple(out)

    def replay(self, stmt: Assign, array: Var, iteration):
        """``stmt`` reading (a part of) ``array``, which the loop writes into, as
        a read of the value it had, recorded on a tape in the forward sweep;
        None where that cannot be done (a read whose shape may change from
        one iteration to the next, or of an array not carried by the loop)."""
        state, value = self.state, stmt.value
        pattern = value.attrs.index if value.prim == "getitem" else ()
        if value.prim != "getitem" or any(item not in (ir.Take(), ir.WHOLE) for item in pattern):
            return None
        kind = state.kinds[stmt.target]
        like = Const(0.0)  # an element
        select = None
        if kind.rank:  # shaped like the array's value before the loop, indexed
            like = self.mutated.get(self.original.get(array.name, array.name))
            select = pattern
            if not isinstance(like, Var):
                return None
        tape = state.new(f"{state.base(array.name)}_tape", tape_kind(kind))
        self.reads[stmt.target] = (tape, like, select)
        return Assign(stmt.target, Op("getitem", (Var(tape), iteration), _INDEX), stmt.loc)

    def recording(self, taped: list, reads: dict) -> list:
        """The forward sweep's statements for this loop: allocate the tapes,
        then run the loop, writing each iteration's values into them."""
        state, loop = self.state, self.loop
        if not taped and not reads and not self.counted:
            return [loop]
        out: list = []
        size = _trip_count(Builder(state.namer, out, state.defs, state.kinds, loop.loc), loop)
        body: list = []
        body_builder = Builder(state.namer, body, state.defs, state.kinds, loop.loc)
        carries, counter = list(loop.carried), None
        if self.counted:  # the iteration number is counted, and the count carried
            iteration = Var(self.count)
            carries.append(Carry(self.count, Const(0), body_builder.emit(lift(iteration) + 1)))
            counter = body.pop() if isinstance(body[-1], Assign) else None
        else:
            iteration = body_builder.emit(_iteration(Var(loop.index), loop))
        tapes = {self.tapes[c.name]: (c.init, None) for c in taped}
        tapes.update((tape, (like, select)) for tape, like, select in reads.values())
        inits = {tape: self.allocate(out, size, tape, *made) for tape, made in tapes.items()}
        current = {tape: Var(tape) for tape in inits}
        for carry in taped:
            tape = self.tapes[carry.name]
            current[tape] = self.write(Var(carry.name), current[tape], iteration, body)
        body.extend(self.with_tape_writes(loop.body, current, reads, iteration))
        carries += [Carry(tape, init, current[tape]) for tape, init in inits.items()]
        if counter is not None:
            body.append(counter)
        out.append(dataclasses.replace(loop, carried=tuple(carries), body=tuple(body)))
        return out

    def allocate(self, out: list, size, tape: str, like, select=None):
        """A new tape of ``size`` entries shaped like ``like`` (a ``select``ed part of it)."""
        kinds = self.state.kinds
        init = Op("tape", (size, like), ir.Attrs(select=select, dtype=kinds[tape].dtype))
        name = self.state.new(None, kinds[tape])
        out.append(Assign(name, init, self.loop.loc))
        return Var(name)

    def write(self, value, current, iteration, code: list):
        """Statements into ``code`` storing ``value`` at entry ``iteration``
        of the tape ``current``; the new tape."""
        state = self.state
        builder = Builder(state.namer, code, state.defs, state.kinds, self.loop.loc)
        if self.loop.index is None:  # while loops: grow the tape when it is full
            current = builder.emit(op("tape_grow", current, iteration))
        return builder.emit(op("setitem", value, current, iteration, attrs=_INDEX))

    def with_tape_writes(self, stmts, current: dict, reads: dict, iteration) -> tuple:
        """``stmts`` with each recorded read followed by its tape write;
        a tape written in one branch of an ``if`` is joined after it."""
        code: list = []
        for stmt in stmts:
            if isinstance(stmt, If):
                then, other = dict(current), dict(current)
                body = self.with_tape_writes(stmt.body, then, reads, iteration)
                orelse = self.with_tape_writes(stmt.orelse, other, reads, iteration)
                phis = list(stmt.phis)
                for tape in current:
                    if then[tape] != other[tape]:
                        joined = self.state.new(None, self.state.kinds[tape])
                        phis.append(Phi(joined, then[tape], other[tape]))
                        current[tape] = Var(joined)
                stmt = dataclasses.replace(stmt, body=body, orelse=orelse, phis=tuple(phis))
            code.append(stmt)
            if isinstance(stmt, Assign) and stmt.target in reads:
                tape = reads[stmt.target][0]
                current[tape] = self.write(Var(stmt.target), current[tape], iteration, code)
        return tuple(code)


def _trip_count(builder: Builder, loop: Loop):
    """The number of entries a tape starts with: the trip count of a for
    loop, 16 for a while loop (its tapes grow)."""
    if loop.index is None:
        return Const(16)
    if loop.step == Const(1):
        return builder.emit(op("max", lift(loop.stop) - lift(loop.start), 0))
    return builder.emit(op("range_len", loop.start, loop.stop, loop.step))


def _reversed_range(builder: Builder, loop: Loop) -> tuple:
    """``(start, stop, step)`` of a for loop's range run backwards."""
    if loop.step == Const(1):
        return (builder.emit(lift(loop.stop) - 1), builder.emit(lift(loop.start) - 1), Const(-1))
    trips = builder.emit(op("range_len", loop.start, loop.stop, loop.step))
    last = builder.emit(lift(loop.start) + (lift(trips) - 1) * lift(loop.step))
    step = lift(loop.step)
    return (last, builder.emit(lift(loop.start) - step), builder.emit(-step))


def _refuse_stale(reverse_loop: Loop):
    """A ``stale`` read left after dead-code elimination is one the reverse
    sweep needs and cannot replay."""
    for stmt in ir.walk(reverse_loop.body):
        if isinstance(stmt, Assign) and isinstance(stmt.value, Op) and stmt.value.prim == "stale":
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


def _guard(body, mutated: set) -> tuple:
    """Adjoint code that would read the contents of an array the loop writes
    into (it holds the final values by then) reads a ``stale`` value instead,
    an error if it is still needed after dead-code elimination."""

    def guarded(stmt):
        if isinstance(stmt, Assign) and isinstance(stmt.value, Op):
            shape_only = PRIMITIVES[stmt.value.prim].shape_reads
            stale = [
                a
                for k, a in enumerate(stmt.value.args)
                if k not in shape_only and _named(a, mutated)
            ]
            if stale:
                return Assign(stmt.target, Op("stale", (stale[0],)), stmt.loc)
        return stmt

    return ir.map_bodies(body, guarded)


def _free_active(loop: Loop, state: ReverseState) -> list:
    """Active values from before the loop that its body reads, in order."""
    inside = ir.defined_in([loop])
    names = []
    for stmt in ir.walk(loop.body):
        names += [a.name for a in ir.reads(stmt) if state.active(a) and a.name not in inside]
    names += [
        c.next.name for c in loop.carried if state.active(c.next) and c.next.name not in inside
    ]
    return list(dict.fromkeys(names))


def _iteration(index, loop: Loop):
    """The iteration number (0, 1, ...) of a for loop's index."""
    offset = lift(index) - lift(loop.start)
    return offset if loop.step == Const(1) else offset // lift(loop.step)


def _named(atom, names) -> bool:
    return isinstance(atom, Var) and atom.name in names
