"""Vector forward mode: a JVP run for a block of directions in one sweep.

``batched(body, ...)`` rewrites straight-line code in which some values (the
seeds: a JVP's direction) are given as *blocks*, one value per direction
stacked along a new leading axis, so that every value that depends on them
becomes a block too (JAX batches JVPs the same way).  Values that do not
depend on the directions (the JVP's copy of the primal, the partials) are
left as they are and computed once.

Elementwise primitives need no rule: the block axis leads, so NumPy's
broadcasting meets a block with its partials as it met one tangent; only
an operand of lower rank than the result gets unit axes after its block
axis.  Structural primitives have block rules in the registry
(``Primitive.batch``, written in ``primitives.blocks``).  A branch's phis and
a loop's carried values are blocks where a block meets them (the unblocked
side or start lifted: repeated for every direction); conditions and trip
counts never depend on a direction.  Where a statement has no block form (a
primitive without a rule, a case a rule does not cover), ``Unbatched`` is
raised and the caller runs the JVP one direction at a time: never a wrong
number, never a new refusal.
"""

from __future__ import annotations

import dataclasses

from .. import ir
from ..analysis import Analysis
from ..ir import Assign, Attrs, Carry, If, Loop, Op, Phi, Var
from ..primitives import PRIMITIVES, Unbatched


class _Operation:
    """One operation on blocks, as a block rule sees it (``primitives.blocks``)."""

    def __init__(self, sweep: _Sweep, stmt: Assign, blocked: list):
        self.sweep = sweep
        self.stmt = stmt
        self.op = stmt.value
        self.prim = self.op.prim
        self.flags = blocked
        self.count = sweep.count
        self.result_rank = sweep.rank(Var(stmt.target))

    def blocked(self, i: int) -> bool:
        return self.flags[i]

    def rank(self, i: int) -> int:
        """Operand ``i``'s rank for one direction."""
        return self.sweep.rank(self.op.args[i])

    def emit(self, prim: str, *args, **attrs) -> Var:
        return self.sweep.emit(prim, args, Attrs(**attrs), self.stmt.loc)

    def sizes(self, i: int) -> list:
        """The sizes of operand ``i``'s axes (for one direction)."""
        atom = self.op.args[i]
        if not self.flags[i]:
            return [self.emit("shape", atom, axis=a) for a in range(self.rank(i))]
        block = self.sweep.blocks[atom.name]
        return [self.emit("shape", block, axis=a + 1) for a in range(self.rank(i))]

    def padded(self, i: int, rank: int):
        """Operand ``i``'s block with unit axes after the block axis, so that
        it broadcasts against a value of ``rank`` axes."""
        block = self.sweep.blocks[self.op.args[i].name]
        missing = rank - self.rank(i)
        if missing <= 0:
            return block
        axes = tuple(range(1, missing + 1))
        return self.emit("expand_dims", block, axis=axes if missing > 1 else 1)

    def lifted(self, i: int) -> Var:
        """Unblocked operand ``i`` for every direction: a new array."""
        return self.sweep.lifted(self.op.args[i], self.stmt.loc)

    def same_shape(self, i: int, j: int) -> bool:
        """Are operands ``i`` and ``j`` known to have one shape (per direction)?"""
        first, second = self.op.args[i], self.op.args[j]
        if not (isinstance(first, Var) and isinstance(second, Var)):
            return False
        return self.sweep.facts.same_shape(first.name, second.name)


class _Sweep:
    def __init__(self, facts: Analysis, namer: ir.Namer, count: Var, blocks: dict):
        self.facts = facts
        self.namer = namer
        self.count = count
        self.blocks = dict(blocks)  # name -> its block (a Var)
        self.defs: dict = {}  # name -> the Op defining it
        self.out: list = []
        self.hints: dict = {}  # a temporary -> the name it is given later (dx_bar = $t9)

    def rank(self, atom) -> int:
        return ir.atom_kind(atom, self.facts.kinds).rank

    def emit(self, prim: str, args, attrs, loc, hint=None) -> Var:
        name = self.namer.fresh(hint) if hint else self.namer.temp()
        value = Op(prim, tuple(args), attrs)
        self.out.append(Assign(name, value, loc))
        self.defs[name] = value
        return Var(name)

    def lifted(self, atom, loc) -> Var:
        """The unblocked ``atom`` for every direction: a new array."""
        sizes = [self.emit("shape", (atom,), Attrs(axis=a), loc) for a in range(self.rank(atom))]
        zeros = self.emit("zeros", (self.count, *sizes), Attrs(), loc)
        made = self.defs.get(atom.name) if isinstance(atom, Var) else None
        if made is not None and made.prim in ("zeros", "zeros_like"):
            return zeros
        return self.emit("add", (zeros, atom), Attrs(), loc)

    def nested(self) -> _Sweep:
        """A sweep of a body nested in this one's (a branch, a loop body)."""
        inner = _Sweep(self.facts, self.namer, self.count, self.blocks)
        inner.defs, inner.hints = dict(self.defs), self.hints
        return inner

    def block_name(self, target: str) -> str:
        target = self.hints.get(target, target)
        if target.startswith("$"):
            return self.namer.temp()
        return self.namer.fresh(ir.version_of(target, self.facts.kinds))

    def branch(self, stmt: If) -> None:
        """Both sides swept; a phi that meets a block on either side is a block."""
        if self.is_block(stmt.cond):
            raise Unbatched
        then, other = self.nested(), self.nested()
        then.block(stmt.body)
        other.block(stmt.orelse)
        for side in (then, other):  # derivative code reads them under the same condition
            self.blocks.update(side.blocks)
            self.defs.update(side.defs)
        phis = []
        for phi in stmt.phis:
            sides = [(then, phi.then), (other, phi.orelse)]
            if not any(sweep.is_block(atom) for sweep, atom in sides):
                phis.append(phi)
                continue
            values = [sweep.block_of(atom, stmt.loc) for sweep, atom in sides]
            name = self.block_name(phi.target)
            phis.append(Phi(name, *values))
            self.blocks[phi.target] = Var(name)
        self.out.append(If(stmt.cond, tuple(then.out), tuple(other.out), tuple(phis), stmt.loc))

    def block_of(self, atom, loc):
        """The block of ``atom``, lifted to one if it is not."""
        return self.blocks[atom.name] if self.is_block(atom) else self.lifted(atom, loc)

    def loop(self, stmt: Loop) -> None:
        """Carried values whose start or update is a block are carried blocks
        (found by sweeping the body until no more become blocks)."""
        for atom in (stmt.start, stmt.stop, stmt.step):
            if self.is_block(atom):
                raise Unbatched
        blocked = {c.name for c in stmt.carried if self.is_block(c.init)}
        while True:
            names = {name: self.block_name(name) for name in sorted(blocked)}
            inner = self.nested()
            inner.blocks.update((name, Var(block)) for name, block in names.items())
            inner.block(stmt.header)
            header, inner.out = inner.out, []
            inner.block(stmt.body)
            grown = {c.name for c in stmt.carried if inner.is_block(c.next)} - blocked
            if not grown:
                break
            blocked |= grown
        if inner.is_block(stmt.cond) or inner.is_block(stmt.exit):
            raise Unbatched
        carried = []
        for carry in stmt.carried:
            if carry.name not in blocked:
                carried.append(carry)
                continue
            init = self.block_of(carry.init, stmt.loc)
            carried.append(Carry(names[carry.name], init, inner.block_of(carry.next, stmt.loc)))
            self.blocks[carry.name] = Var(names[carry.name])
        self.out.append(
            dataclasses.replace(
                stmt, carried=tuple(carried), header=tuple(header), body=tuple(inner.out)
            )
        )

    def is_block(self, atom) -> bool:
        return isinstance(atom, Var) and atom.name in self.blocks

    def reads_block(self, stmt) -> bool:
        return any(self.is_block(a) for s in ir.walk([stmt]) for a in ir.reads(s))

    def block(self, body) -> None:
        for stmt in body:
            if isinstance(stmt, Assign) and isinstance(stmt.value, Var):
                self.hints.setdefault(stmt.value.name, stmt.target)
        for stmt in body:
            if not isinstance(stmt, Assign):
                if not self.reads_block(stmt):
                    self.out.append(stmt)
                elif isinstance(stmt, Loop):
                    self.loop(stmt)
                else:
                    self.branch(stmt)
                continue
            value = stmt.value
            if not isinstance(value, Op):
                if self.is_block(value):
                    self.blocks[stmt.target] = self.blocks[value.name]
                else:
                    self.out.append(stmt)
                continue
            blocked = [self.is_block(a) for a in value.args]
            if not any(blocked):
                self.out.append(stmt)
                self.defs[stmt.target] = value
                continue
            self.blocks[stmt.target] = self.operation(stmt, blocked)

    def operation(self, stmt: Assign, blocked: list) -> Var:
        """The block of ``stmt``'s target."""
        value = stmt.value
        prim = PRIMITIVES[value.prim]
        operation = _Operation(self, stmt, blocked)
        if prim.batch is not None:
            result = prim.batch(operation, [self.blocked_arg(a) for a in value.args], value.attrs)
        elif prim.elementwise and prim.array is not None:
            rank = operation.result_rank
            args = [
                operation.padded(i, rank) if flag else arg
                for i, (arg, flag) in enumerate(zip(value.args, blocked))
            ]
            result = self.emit(value.prim, args, value.attrs, stmt.loc)
        else:
            raise Unbatched
        return self.named(result, stmt.target)

    def blocked_arg(self, atom):
        return self.blocks[atom.name] if self.is_block(atom) else atom

    def named(self, result, target: str):
        """The block of ``target``, named after it where it has a name."""
        last = self.out[-1] if self.out else None
        target = self.hints.get(target, target)
        if target.startswith("$") or not isinstance(result, Var) or not isinstance(last, Assign):
            return result
        if last.target != result.name or not last.target.startswith("$"):
            return result
        name = self.block_name(target)
        self.out[-1] = Assign(name, last.value, last.loc)
        self.defs[name] = last.value
        return Var(name)


def batched(body, facts: Analysis, namer: ir.Namer, count: Var, seeds: dict) -> tuple:
    """``(statements, blocks)``: ``body`` for a block of ``count`` directions,
    given the blocks of the ``seeds`` (``{name: Var}``); ``blocks`` maps each
    value of ``body`` that depends on them to its block, shaped
    ``(count, *value.shape)``.  ``facts`` are the kinds (and extents) of
    ``body``'s values for one direction.  Raises ``Unbatched`` where a
    statement has no block form."""
    sweep = _Sweep(facts, namer, count, seeds)
    sweep.block(body)
    return sweep.out, sweep.blocks
