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

    def __init__(self, printed: dict, in_place: dict, inlined: set, view_of=None):
        self.printed = printed
        self.in_place = in_place
        self.inlined = inlined
        self.view_of = view_of or {}  # array -> the array it is a view of (lifetimes.Layout)
        self.pending: dict = {}  # inlined temporary -> (its lowered value, its loc)

    def sharing(self, ssa: str) -> set:
        """The printed names of the arrays in the memory of ``ssa``: the array
        it views (and that one's), and every view of those."""

        def root(name):
            while name in self.view_of:
                name = self.view_of[name]
            return name

        base = root(ssa)
        return {self.name(n) for n in (ssa, base, *self.view_of) if root(n) == base}

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
        for stmt in body:
            if isinstance(stmt, Assign):
                self.assign(stmt, out)
            elif isinstance(stmt, Loop):
                self.loop(stmt, out)
            else:
                self.branch(stmt, out)
        joins = [(phi.target, phi.then if side == 0 else phi.orelse) for phi in phis]
        out.extend(self.copies(joins, out))
        return out

    def assign(self, stmt: Assign, out: list):
        value = stmt.value
        if isinstance(value, Op) and value.prim == "scatter":
            self.flush({self.name(stmt.target)}, out)  # the target is zeroed first
            out.append(Assign(self.name(stmt.target), self.expr(value), stmt.loc))
        elif isinstance(value, Op) and value.prim in STORES:
            self.store(stmt, out)
        elif stmt.target in self.in_place:  # a copy not made: another name
            self.alias_array(stmt, out)
        elif stmt.target in self.inlined:
            self.pending[stmt.target] = (self.expr(value), stmt.loc)
        else:
            expr = self.expr(value)
            self.flush({self.name(stmt.target)}, out)
            out.append(Assign(self.name(stmt.target), expr, stmt.loc))

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

    def alias_array(self, stmt: Assign, out: list):
        """``target = source`` for a copy not made (``source`` is read no
        more).  The pending temporaries reading ``source`` are assigned first:
        writes into ``target`` change ``source``."""
        source = stmt.value.args[0]
        if isinstance(source, Var) and source.name not in self.pending:
            self.flush({self.name(source.name)}, out)
        out.extend(self.copies([(stmt.target, source)], out))

    def store(self, stmt: Assign, out: list):
        """``a[index] = v`` / ``a[index] += v``: in place when nothing reads
        the old array afterwards, else into a copy."""
        op = stmt.value
        value, array = self.atom(op.args[0]), op.args[1]
        indices = tuple(self.atom(a) for a in op.args[2:])
        name = self.name(stmt.target)
        if stmt.target not in self.in_place:
            out.append(CopyArray(name, self.atom(array), stmt.loc))
            self.flush({name}, out)
        elif isinstance(array, Var):  # written in place: what reads its memory reads first
            self.flush({name} | self.sharing(array.name), out)
        else:
            self.flush({name}, out)
        pattern = op.attrs.index
        out.append(Store(name, pattern, indices, value, op.prim == "additem", stmt.loc))

    def branch(self, stmt: If, out: list):
        self.flush(self.assigned_in(stmt), out)
        cond = self.atom(stmt.cond)
        body = self.block(stmt.body, stmt.phis, 0)
        orelse = self.block(stmt.orelse, stmt.phis, 1)
        out.append(If(cond, tuple(body), tuple(orelse), (), stmt.loc))

    def loop(self, stmt: Loop, out: list):
        out.extend(self.copies([(c.name, c.init) for c in stmt.carried], out))
        self.flush(self.assigned_in(stmt), out)
        bounds = [self.atom(a) for a in stmt.bounds] or [None, None, None]
        index = self.name(stmt.index) if stmt.index is not None else None
        header = tuple(self.block(stmt.header))
        cond = self.atom(stmt.cond) if stmt.index is None else None
        body = self.block(stmt.body)
        body.extend(self.copies([(c.name, c.next) for c in stmt.carried], body))
        exit_ = self.atom(stmt.exit) if stmt.exit is not None else None
        out.append(
            Loop((), tuple(body), index, *bounds, header, cond, exit_, stmt.loc, stmt.parallel)
        )
