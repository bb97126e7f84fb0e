"""Loops whose iterations meet only in sums: run forwards, and fused.

A reversed loop (``range(hi, lo - 1, -1)``) whose carried values are only
accumulated into, scalars by ``+``/``-`` and arrays by ``additem``
(``x_bar[i] += ...``), with every contribution computed from values that do
not change in the loop, gives the same sums whatever the order of its
iterations: it is run forwards (``forwards``).  The sums may differ in their
last bits, as floating-point addition is not associative; both orders are
exact to rounding.  This is the adjoint of a loop whose iterations only add
into a result (Rosenbrock, sums of terms, scatters).  Running forwards, it
reads memory in the order the hardware prefetches, and it can be fused:
two adjacent ``for`` loops over the same range, neither reading what the
other computes, become one loop (``fused``): the value of ``value_and_grad``
and the adjoint then share one pass over the data, and the common
subexpressions of the two bodies are computed once (by ``simplify``, run
again after this pass).
"""

from __future__ import annotations

import dataclasses

from .. import ir
from ..ir import Assign, Carry, Const, If, Loop, Op, Var

_SUMS = ("add", "sub")


def forwards_and_fused(fn: ir.Function) -> ir.Function:
    """``fn`` with order-free reversed loops run forwards, then adjacent
    loops over one range fused (in every body, innermost first)."""
    namer = ir.Namer(ir.defined_names(fn))
    body = _Pass(namer).block(fn.body)
    if body == fn.body:
        return fn
    return ir.Function(
        fn.name, fn.params, body, fn.result, fn.loc, fn.result_loc, fn.doc, fn.implicit, fn.guards
    )


class _Pass:
    def __init__(self, namer: ir.Namer):
        self.namer = namer
        self.defs: dict = {}  # name -> its Op, for the bounds' affine forms

    def block(self, body) -> tuple:
        out: list = []
        for stmt in body:
            if isinstance(stmt, Assign):
                if isinstance(stmt.value, Op):
                    self.defs[stmt.target] = stmt.value
                out.append(stmt)
            elif isinstance(stmt, If):
                out.append(If(stmt.cond, self.block(stmt.body), self.block(stmt.orelse),
                              stmt.phis, stmt.loc))  # fmt: skip
            else:
                loop = _with_body(stmt, self.block(stmt.body))
                if _order_free(loop):
                    loop = self.forwards(loop, out)
                out.append(loop)
                self.fuse_last(out)
        return tuple(out)

    def forwards(self, loop: Loop, out: list) -> Loop:
        """``range(start, stop, -1)`` as ``range(stop + 1, start + 1)``."""
        first = self.plus_one(loop.stop, out, loop.loc)
        last = self.plus_one(loop.start, out, loop.loc)
        body = _highest_first(loop)
        return Loop(loop.carried, body, loop.index, first, last, Const(1), loc=loop.loc)

    def plus_one(self, atom, out: list, loc):
        """``atom + 1``: a constant, or ``base + (k + 1)`` when ``atom`` is
        ``base + k`` (so that ``(n - 2) + 1`` is ``n - 1``, the same value as
        the other loop's bound once common subexpressions are shared)."""
        if isinstance(atom, Const):
            return Const(atom.value + 1)
        base, offset = self.affine(atom)
        offset += 1
        if offset == 0:
            return base
        name = self.namer.temp()
        value = (
            Op("add", (base, Const(offset))) if offset > 0 else Op("sub", (base, Const(-offset)))
        )
        out.append(Assign(name, value, loc))
        self.defs[name] = value
        return Var(name)

    def affine(self, atom) -> tuple:
        """``(base, k)`` with ``atom == base + k`` (ints)."""
        value = self.defs.get(atom.name) if isinstance(atom, Var) else None
        if isinstance(value, Op) and value.prim in _SUMS and not value.attrs.given():
            base, k = value.args
            if isinstance(k, Const) and type(k.value) is int and isinstance(base, Var):
                inner, offset = self.affine(base)
                return inner, offset + (k.value if value.prim == "add" else -k.value)
        return atom, 0

    def same(self, first, second) -> bool:
        if isinstance(first, Const) or isinstance(second, Const):
            return first == second
        return self.affine(first) == self.affine(second)

    def fuse_last(self, out: list) -> None:
        """Fuse ``out[-1]`` (a loop) into the loop before it, if they run
        over the same range and neither reads what the other computes; the
        statements between them that do not need the first loop are moved
        before it."""
        second = out[-1]
        at = next((k for k in range(len(out) - 2, -1, -1) if isinstance(out[k], Loop)), None)
        if at is None or not _plain_for(second):
            return
        first = out[at]
        if (
            not _plain_for(first)
            or first.step != second.step
            or not (self.same(first.start, second.start) and self.same(first.stop, second.stop))
        ):
            return
        between = out[at + 1 : -1]
        results = {c.name for c in first.carried}
        after, before = [], []
        for stmt in between:
            if any(isinstance(a, Var) and a.name in results for a in ir.reads(stmt)):
                after.append(stmt)
                results.update(ir.targets(stmt))
            else:
                before.append(stmt)
        if _reads_any(second, results) or any(isinstance(s, (If, Loop)) for s in between):
            return
        body = ir.replace_uses(second.body, {second.index: Var(first.index)})
        carried = first.carried + tuple(
            Carry(c.name, c.init, _renamed(c.next, second.index, first.index))
            for c in second.carried
        )
        fused = Loop(carried, first.body + body, first.index, first.start, first.stop,
                     first.step, loc=first.loc)  # fmt: skip
        out[at:] = [*before, fused, *after]


def _highest_first(loop: Loop) -> tuple:
    """The body with each array's accumulations ``x_bar[i + k] += ...``
    (which commute) in the order of decreasing ``k``: run forwards, an
    element's later contributions then come after its earlier ones in the
    vector of iterations too, so LLVM can vectorise the loop."""
    defs = {s.target: s.value for s in loop.body if isinstance(s.value, Op)}

    def offset(atom):
        """``k`` when ``atom`` is the loop index plus the int constant ``k``."""
        if isinstance(atom, Var) and atom.name == loop.index:
            return 0
        value = defs.get(atom.name) if isinstance(atom, Var) else None
        if isinstance(value, Op) and value.prim in _SUMS and len(value.args) == 2:
            base, k = value.args
            if isinstance(k, Const) and type(k.value) is int:
                inner = offset(base)
                if inner is not None:
                    return inner + (k.value if value.prim == "add" else -k.value)
        return None

    body = list(loop.body)
    chains = _chains(loop)  # disjoint: reordering one leaves the others' statements as they are
    for carry in loop.carried:
        chain = chains[carry.name]
        if len(chain) < 2 or any(s.value.prim != "additem" for s in chain):
            continue
        offsets = [offset(s.value.args[2]) if len(s.value.args) == 3 else None for s in chain]
        if None in offsets:
            continue
        order = sorted(range(len(chain)), key=lambda k: -offsets[k])
        if order == list(range(len(chain))):
            continue
        at = max(body.index(s) for s in chain)
        previous = Var(carry.name)
        placed = []
        for position, k in enumerate(order):
            value = chain[k].value
            target = chain[position].target  # the chain's names in order: the last is next
            args = (value.args[0], previous, *value.args[2:])
            placed.append(Assign(target, Op("additem", args, value.attrs), chain[k].loc))
            previous = Var(target)
        rest = [s for s in body[: at + 1] if s not in chain]
        body = rest + placed + body[at + 1 :]
    return tuple(body)


def in_parallel(fn: ir.Function) -> ir.Function:
    """``fn`` with its top-level ``for`` loops whose iterations are
    independent marked ``parallel`` (Numba's ``prange``): each iteration
    adds into the carried scalars (a reduction) and into its own element of
    the carried arrays (``g[i] += ...`` at the loop index itself), from
    contributions that do not depend on what is carried."""
    body = tuple(
        dataclasses.replace(s, parallel=True) if isinstance(s, Loop) and _independent(s) else s
        for s in fn.body
    )
    return dataclasses.replace(fn, body=body)


def _independent(loop: Loop) -> bool:
    if not (_plain_for(loop) and loop.step == Const(1) and _meets_in_sums(loop)):
        return False
    for stmt in loop.body:
        value = stmt.value
        if isinstance(value, Op) and value.prim == "additem":
            index = value.args[2:]
            if len(index) != 1 or index[0] != Var(loop.index):
                return False
        elif isinstance(value, Op) and value.prim in ("setitem",):
            return False
    return True


def _with_body(loop: Loop, body: tuple) -> Loop:
    if body == loop.body:
        return loop
    return Loop(loop.carried, body, loop.index, loop.start, loop.stop, loop.step, loop.header,
                loop.cond, loop.exit, loop.loc, loop.parallel)  # fmt: skip


def _plain_for(loop) -> bool:
    return (
        isinstance(loop, Loop)
        and loop.index is not None
        and loop.exit is None
        and not loop.header
        and not loop.parallel
        and isinstance(loop.step, Const)
    )


def _renamed(atom, old: str, new: str):
    return Var(new) if isinstance(atom, Var) and atom.name == old else atom


def _reads_any(loop: Loop, names: set) -> bool:
    """Does the loop (its bounds, initial values or body) read one of ``names``?"""
    atoms = [c.init for c in loop.carried] + list(loop.bounds)
    atoms += [a for s in ir.walk(loop.body) for a in ir.reads(s)]
    return any(isinstance(a, Var) and a.name in names for a in atoms)


def _order_free(loop: Loop) -> bool:
    """Is ``loop`` a reversed ``for`` whose iterations meet only in sums?"""
    return _plain_for(loop) and loop.step == Const(-1) and _meets_in_sums(loop)


def _meets_in_sums(loop: Loop) -> bool:
    """Is every carried value only accumulated into (``_chains``)?"""
    return _chains(loop) is not None


def _chains(loop: Loop) -> dict | None:
    """Each carried value's chain of accumulations (``c_1 = c + e``,
    ``c_1 = c - e``, ``c_1 = additem(e, c, idx)``, ...) ending in its next
    value, in order; None unless each carried value is read only by its chain
    and nothing else in the body reads a value of a chain (so the
    contributions ``e`` and the indices do not depend on the sums)."""
    if not loop.carried or not all(isinstance(s, Assign) for s in loop.body):
        return None
    readers: dict = {}
    for stmt in loop.body:
        for atom in ir.reads(stmt):
            if isinstance(atom, Var):
                readers.setdefault(atom.name, []).append(stmt)
    chains = {}
    for carry in loop.carried:
        chain, current = [], carry.name
        while current != _name(carry.next):
            users = readers.get(current, [])
            if len(users) != 1 or not _accumulates(users[0], current):
                return None
            chain.append(users[0])
            current = users[0].target
        if len(readers.get(current, [])) != 0:  # the next value is read in the body
            return None
        chains[carry.name] = chain
    return chains


def _name(atom):
    return atom.name if isinstance(atom, Var) else None


def _accumulates(stmt: Assign, into: str) -> bool:
    """Is ``stmt`` ``into + e``, ``e + into``, ``into - e`` or
    ``additem(e, into, idx...)``, reading ``into`` once?"""
    value = stmt.value
    if not isinstance(value, Op):
        return False
    args = [a.name if isinstance(a, Var) else None for a in value.args]
    if args.count(into) != 1:
        return False
    if value.prim == "additem":
        return args[1] == into
    if value.prim == "add":
        return True
    return value.prim == "sub" and args[0] == into
