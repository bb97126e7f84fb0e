"""The lowered statements, in the order they are printed.

``Sequencer`` walks the IR once, as the printed code will run, with the
decisions of ``lifetimes`` and ``names`` made: every value is read from its
printed variable, an inlined temporary is held until its one use and
nested there, and assigned instead when a variable it reads is about to be
reassigned (``flush``).  Values Python assigns at once (the phis after an
``if``, a loop's starting values, its carried updates) become one
assignment per line in an order that reads no variable after it is
assigned, else one tuple assignment (``a, b = b, a``).
"""

from __future__ import annotations

from .. import ir
from ..ir import STORES, Assign, If, Loop, Op, Var
from .nodes import CopyArray, Inlined, Local, ParallelAssign, Store


def read_names(expr) -> set:
    """The printed variables a lowered expression reads."""
    if isinstance(expr, Inlined):
        return read_names(expr.value)
    if isinstance(expr, Local):
        return {expr.printed}
    if isinstance(expr, Op):
        return {name for arg in expr.args for name in read_names(arg)}
    return set()


def parallel_assign(updates) -> list:
    """``a, b = x, y`` for (printed target, lowered value) pairs: one
    assignment per line when some order of them reads no variable after it
    is assigned, else a tuple assignment."""
    if not updates:
        return []
    reads = [read_names(value) for _, value in updates]
    for order in (range(len(updates)), reversed(range(len(updates)))):
        order = list(order)
        if all(updates[a][0] not in reads[b] for i, a in enumerate(order) for b in order[i + 1 :]):
            return [Assign(updates[k][0], updates[k][1]) for k in order]
    return [ParallelAssign(tuple(n for n, _ in updates), tuple(v for _, v in updates))]


class Sequencer:
    """Lowers statements, given ``printed`` (SSA name -> printed name), the
    SSA names of the array writes done in place (and copies not made), and
    the inlined temporaries."""

    def __init__(self, printed: dict, in_place: dict, inlined: set):
        self.printed = printed
        self.in_place = in_place
        self.inlined = inlined
        self.pending: dict = {}  # inlined temporary -> (its lowered value, its loc)

    def name(self, ssa: str) -> str:
        return self.printed.get(ssa, ssa)

    def atom(self, atom):
        if not isinstance(atom, Var):
            return atom
        if atom.name in self.pending:
            return Inlined(atom.name, self.pending.pop(atom.name)[0])
        return Local(atom.name, self.name(atom.name))

    def expr(self, value):
        if isinstance(value, Op):
            return Op(value.prim, tuple(self.atom(a) for a in value.args), value.attrs)
        return self.atom(value)

    def flush(self, names: set, out: list):
        """Assign the pending temporaries that read any of ``names`` before
        those are reassigned or written into."""
        for ssa, (expr, loc) in list(self.pending.items()):
            if read_names(expr) & names:
                del self.pending[ssa]
                out.append(Assign(self.name(ssa), expr, loc))

    def assigned_in(self, stmt) -> set:
        return {self.name(n) for n in ir.defined_in([stmt])}

    def block(self, body, phis=(), side=0) -> list:
        """``body`` lowered; at its end the joins of ``phis`` for branch ``side``."""
        out: list = []
        for s in body:
            if isinstance(s, Assign):
                self.assign(s, out)
            elif isinstance(s, Loop):
                self.loop(s, out)
            else:
                self.branch(s, out)
        joins = [(phi.target, phi.then if side == 0 else phi.orelse) for phi in phis]
        out.extend(self.copies(joins, out))
        return out

    def assign(self, s: Assign, out: list):
        value = s.value
        if isinstance(value, Op) and value.prim == "scatter":
            self.flush({self.name(s.target)}, out)  # the target is zeroed first
            out.append(Assign(self.name(s.target), self.expr(value), s.loc))
        elif isinstance(value, Op) and value.prim in STORES:
            self.store(s, out)
        elif s.target in self.in_place:  # a copy not made: another name
            self.alias_array(s, out)
        elif s.target in self.inlined:
            self.pending[s.target] = (self.expr(value), s.loc)
        else:
            expr = self.expr(value)
            self.flush({self.name(s.target)}, out)
            out.append(Assign(self.name(s.target), expr, s.loc))

    def copies(self, pairs, out: list) -> list:
        """The assignments ``target = source`` for (SSA target, source atom)
        pairs that take effect at once; pending temporaries reading the
        assigned variables are assigned first, into ``out``."""
        updates = []
        for target, source in pairs:
            name, value = self.name(target), self.atom(source)
            if not (isinstance(value, Local) and value.printed == name):
                updates.append((name, value))
        self.flush({name for name, _ in updates}, out)
        return parallel_assign(updates)

    def alias_array(self, s: Assign, out: list):
        """``target = source`` for a copy not made (``source`` is read no
        more).  The pending temporaries reading ``source`` are assigned first:
        writes into ``target`` change ``source``."""
        source = s.value.args[0]
        if isinstance(source, Var) and source.name not in self.pending:
            self.flush({self.name(source.name)}, out)
        out.extend(self.copies([(s.target, source)], out))

    def store(self, s: Assign, out: list):
        """``a[index] = v`` / ``a[index] += v``: in place when nothing reads
        the old array afterwards, else into a copy."""
        op = s.value
        value, array = self.atom(op.args[0]), op.args[1]
        indices = tuple(self.atom(a) for a in op.args[2:])
        name = self.name(s.target)
        if s.target not in self.in_place:
            out.append(CopyArray(name, self.atom(array), s.loc))
        self.flush({name}, out)
        pattern = dict(op.attrs)["index"]
        out.append(Store(name, pattern, indices, value, op.prim == "additem", s.loc))

    def branch(self, s: If, out: list):
        self.flush(self.assigned_in(s), out)
        cond = self.atom(s.cond)
        body = self.block(s.body, s.phis, 0)
        orelse = self.block(s.orelse, s.phis, 1)
        out.append(If(cond, tuple(body), tuple(orelse), (), s.loc))

    def loop(self, s: Loop, out: list):
        out.extend(self.copies([(c.name, c.init) for c in s.carried], out))
        self.flush(self.assigned_in(s), out)
        bounds = [self.atom(a) for a in s.bounds] or [None, None, None]
        index = self.name(s.index) if s.index is not None else None
        header = tuple(self.block(s.header))
        cond = self.atom(s.cond) if s.index is None else None
        body = self.block(s.body)
        body.extend(self.copies([(c.name, c.next) for c in s.carried], body))
        exit_ = self.atom(s.exit) if s.exit is not None else None
        out.append(Loop((), tuple(body), index, *bounds, header, cond, exit_, s.loc))
