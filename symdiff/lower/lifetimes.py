"""Lifetimes: where each value is defined and read, and what that allows.

* ``Layout`` numbers the statements in program order and records every
  read (a read of a view is a read of its array).
* ``in_place_writes``: the array writes that may overwrite their array and
  the copies that may be their source itself (no later read of the old
  version, through any view).
* ``inlined_temporaries``: the temporaries printed inside their one use.
"""

from __future__ import annotations

from collections import Counter

from .. import ir
from ..ir import FLOAT, STORES, Assign, Loop, Op, Var
from ..primitives import PRIMITIVES


def _shape_reads(op: Op) -> tuple:
    """The operand positions ``op`` reads only for their shape."""
    return tuple(sorted(PRIMITIVES[op.prim].shape_reads))


def _is_view(op: Op) -> bool:
    """Does ``op`` give a view of (memory shared with) its first operand?"""
    return PRIMITIVES[op.prim].view


def _with_blocks(body):
    """Every statement nested in ``body``, with the statement list holding it."""
    for stmt in body:
        yield body, stmt
        for inner in ir.bodies(stmt):
            yield from _with_blocks(inner)


def _uses(fn: ir.Function):
    """Use counts of each name, and the block (id) holding its (last) use."""
    counts: Counter = Counter()
    where: dict = {}

    def use(atoms, block):
        for atom in atoms:
            if isinstance(atom, Var):
                counts[atom.name] += 1
                where[atom.name] = id(block)

    for body, stmt in _with_blocks(fn.body):
        if isinstance(stmt, Assign):
            use(ir.reads(stmt), body)
        elif isinstance(stmt, Loop):
            use([c.init for c in stmt.carried] + list(stmt.bounds), body)
            use([c.next for c in stmt.carried] + [stmt.exit], stmt.body)
            use([stmt.cond], stmt.header)
        else:  # an If: the phis read their sources at the end of each branch
            use([stmt.cond], body)
            use([p.then for p in stmt.phis], stmt.body)
            use([p.orelse for p in stmt.phis], stmt.orelse)
    use(ir.atoms_of(fn.result), fn.body)
    return counts, where


def inlined_temporaries(fn: ir.Function) -> set:
    """The temporaries printed inside their one use (in the same block)
    rather than assigned: the operations other than array writes, whose value
    is not the array an array write writes into."""
    counts, where = _uses(fn)
    written = {
        s.value.args[1].name
        for s in ir.walk(fn.body)
        if isinstance(s, Assign) and isinstance(s.value, Op) and s.value.prim in STORES
        if isinstance(s.value.args[1], Var)
    }
    return {
        s.target
        for body, s in _with_blocks(fn.body)
        if isinstance(s, Assign)
        and s.target.startswith("$")
        and counts[s.target] == 1
        and where.get(s.target) == id(body)
        and s.target not in written
        and not (isinstance(s.value, Op) and s.value.prim in STORES + ("scatter",))
    }


class Layout:
    """Where each value is defined and read, in program order, for deciding
    which values may share one variable (out of SSA form) and which array
    writes may happen in place.

    Statements are numbered in order (``pos``); a read inside a loop of a
    value defined outside that loop counts as a read at the loop's end (it
    is read again by every iteration).  Each read records the branch sides
    it is on, as two reads on different sides of one ``if`` never both run.
    A read of a view (a row, a reshape, a transpose) is also a read of the
    array it views: they share memory.
    """

    def __init__(self, fn: ir.Function, kinds: dict):
        self.params = set(fn.params)
        self.kinds = kinds
        self.view_of: dict = {}  # array -> the array it is a view of
        self.pos = 0
        self.def_pos: dict = {}
        self.def_loops: dict = {}  # name -> the loops (ids) enclosing its definition
        self.def_sides: dict = {}  # name -> the branch sides of its definition
        self.reads: dict = {}  # name -> [(position, sides, content?)]
        self.stmt_pos: dict = {}  # id(stmt) -> (position, loops, sides)
        self.defs: dict = {}  # name -> Op
        self.carry_of: dict = {}  # header name -> (Carry, Loop)
        self.loop_end: dict = {}  # id(loop) -> last position inside it
        self.phi_sources: dict = {}  # phi target -> its two sources
        self._pending: list = []
        self.block(fn.body, (), ())
        for atom in ir.atoms_of(fn.result):
            self.read(atom, self.pos + 1, (), (), True)
        for name, pos, loops, sides, content in self._pending:
            loops_def = self.def_loops.get(name, ())
            outside = [lp for lp in loops if lp not in loops_def]
            if outside:  # read again by every iteration of the outermost such loop
                pos = self.loop_end[outside[0]]
            self.reads.setdefault(name, []).append((pos, sides, content))
            while name in self.view_of:
                name = self.view_of[name]
                self.reads.setdefault(name, []).append((pos, sides, content))

    def define(self, name, loops, sides):
        self.def_pos[name] = self.pos
        self.def_loops[name] = loops
        self.def_sides[name] = sides

    def read(self, atom, pos, loops, sides, content=True):
        if isinstance(atom, Var):
            self._pending.append((atom.name, pos, loops, sides, content))

    def block(self, body, loops, sides):
        for stmt in body:
            self.pos += 1
            here = self.pos
            self.stmt_pos[id(stmt)] = (here, loops, sides)
            if isinstance(stmt, Assign):
                args = stmt.value.args if isinstance(stmt.value, Op) else (stmt.value,)
                shape_only = _shape_reads(stmt.value) if isinstance(stmt.value, Op) else ()
                for position, atom in enumerate(args):
                    self.read(atom, here, loops, sides, position not in shape_only)
                self.define(stmt.target, loops, sides)
                if isinstance(stmt.value, Op):
                    self.defs[stmt.target] = stmt.value
                # a view, or the array itself under a second name (``m_bar = w``)
                value = stmt.value
                shares = isinstance(value, Var) or (isinstance(value, Op) and _is_view(value))
                if shares and isinstance(args[0], Var) and self.kinds.get(stmt.target, FLOAT).rank:
                    self.view_of[stmt.target] = args[0].name
            elif isinstance(stmt, Loop):
                for atom in [c.init for c in stmt.carried] + list(stmt.bounds):
                    self.read(atom, here, loops, sides)
                inner = loops + (id(stmt),)
                for name in ir.targets(stmt):
                    self.define(name, inner, sides)
                for c in stmt.carried:
                    self.carry_of[c.name] = (c, stmt)
                self.block(stmt.header, inner, sides)
                self.read(stmt.cond, self.pos, inner, sides)
                self.block(stmt.body, inner, sides)
                self.pos += 1
                for atom in [c.next for c in stmt.carried] + [stmt.exit]:
                    self.read(atom, self.pos, inner, sides)
                self.loop_end[id(stmt)] = self.pos
                for c in stmt.carried:  # the exit values are (re)defined here
                    self.def_pos[c.name] = here
            else:
                self.read(stmt.cond, here, loops, sides)
                for k, (branch, pick) in enumerate(((stmt.body, "then"), (stmt.orelse, "orelse"))):
                    side = sides + ((id(stmt), k),)
                    self.block(branch, loops, side)
                    self.pos += 1  # the phis are assigned at the end of the branch
                    for phi in stmt.phis:
                        self.read(getattr(phi, pick), self.pos, loops, side)
                self.pos += 1
                for phi in stmt.phis:
                    self.define(phi.target, loops, sides)
                    self.phi_sources[phi.target] = (phi.then, phi.orelse)

    @staticmethod
    def exclusive(first, second) -> bool:
        """Are two reads (given by their sides: ``(id(if), branch)`` pairs) on
        different sides of one ``if``?"""
        sides = dict(first)
        return any(k in sides and sides[k] != side for k, side in second)

    def read_after(self, name, pos, sides, content_only=True, before=None) -> bool:
        """Is ``name`` read after position ``pos`` (and before ``before``) on a
        path that can follow a statement on ``sides``?"""
        for read_pos, read_sides, content in self.reads.get(name, ()):
            if content_only and not content:
                continue
            later = read_pos > pos and (before is None or read_pos <= before)
            if later and not self.exclusive(sides, read_sides):
                return True
        return False


def storage_ok(layout: Layout, name: str, pos: int, sides, seen=None) -> bool:
    """May the array ``name`` (and every value sharing its memory) be
    overwritten at ``pos``: is none of them read afterwards?"""
    seen = seen if seen is not None else set()
    if name in seen:
        return True
    seen.add(name)
    if name in layout.params:
        return False
    op = layout.defs.get(name)
    if op is not None and PRIMITIVES[op.prim].read_only:  # np.diag(matrix), broadcast_to
        return False
    if name in layout.view_of:  # its memory is that of the array it views
        base = layout.view_of[name]
        return not layout.read_after(name, pos, sides) and storage_ok(
            layout, base, pos, sides, seen
        )
    if name in layout.carry_of:
        carry, loop = layout.carry_of[name]
        end = layout.loop_end[id(loop)]
        # A write inside the loop: reads after the loop see the final value,
        # fine when the loop's update is this very array; reads inside the
        # loop must come first.  A write after the loop: no read may follow.
        if layout.read_after(name, pos, sides, before=end if pos <= end else None):
            return False
        if not isinstance(carry.init, Var):
            return True
        return storage_ok(layout, carry.init.name, pos, sides, seen)
    if layout.read_after(name, pos, sides):
        return False
    if op is not None and op.prim in STORES and isinstance(op.args[1], Var):
        return True  # its own source was checked when it was written
    return all(
        storage_ok(layout, src.name, pos, sides, seen)
        for src in layout.phi_sources.get(name, ())
        if isinstance(src, Var)
    )


# The operations whose result may reuse the memory of an operand (its
# position): an array write, and a copy (of an array read no more: no copy).
_REUSES = {"setitem": 1, "additem": 1, "copy": 0}


def in_place_writes(fn: ir.Function, layout: Layout) -> dict:
    """The array writes that may overwrite their source, and the copies that
    may be their source itself: target -> source."""
    out = {}
    for stmt in ir.walk(fn.body):
        if not (
            isinstance(stmt, Assign) and isinstance(stmt.value, Op) and stmt.value.prim in _REUSES
        ):
            continue
        source = stmt.value.args[_REUSES[stmt.value.prim]]
        if not isinstance(source, Var):
            continue
        pos, loops, sides = layout.stmt_pos[id(stmt)]
        if not set(loops) <= set(layout.def_loops.get(source.name, ())):
            continue  # written by every iteration, defined outside the loop
        if storage_ok(layout, source.name, pos, sides):
            out[stmt.target] = source.name
    return out
