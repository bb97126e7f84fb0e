"""IR -> readable Python source.

A dispatch on the primitive's spelling builds a Python ``ast``; ``ast.unparse``
prints it (with correct parentheses).  For readability:

* a compiler temporary used exactly once, in the same block, is inlined into
  its use, so ``t = a * b; y = t + c`` prints as ``y = a * b + c``;
* the remaining temporaries are renumbered ``t0, t1, ...`` in order of
  appearance (avoiding names the function already uses);
* a phi prints as an assignment at the end of each branch.

Scalars use ``math.*`` and builtins, which Numba compiles in nopython mode.
"""

from __future__ import annotations

import ast
import math
from collections import Counter

from . import ir
from .analysis import const_kind
from .ir import FLOAT, STORES, Assign, If, Kind, Loop, Op, Var
from .primitives import PRIMITIVES
from .primitives.spelling import scatter_statements, subscript


def _uses(fn: ir.Function):
    """Use counts of each name, and the block (id) holding each use."""
    counts: Counter = Counter()
    where: dict = {}

    def use(atom, block_id):
        if isinstance(atom, Var):
            counts[atom.name] += 1
            where[atom.name] = block_id

    def block(body, block_id):
        for s in body:
            if isinstance(s, Assign):
                for a in s.value.args if isinstance(s.value, Op) else (s.value,):
                    use(a, block_id)
            elif isinstance(s, Loop):
                for a in [c.init for c in s.carried] + list(s.bounds):
                    use(a, block_id)
                block(s.header, id(s.header))
                block(s.body, id(s.body))
                for a in [c.next for c in s.carried] + [s.exit]:
                    use(a, id(s.body))
                use(s.cond, id(s.header))
            else:
                use(s.cond, block_id)
                block(s.body, id(s.body))
                block(s.orelse, id(s.orelse))
                for p in s.phis:
                    use(p.then, id(s.body))
                    use(p.orelse, id(s.orelse))

    block(fn.body, id(fn.body))
    for a in ir.atoms_of(fn.result):
        use(a, id(fn.body))
    return counts, where


def _inlined(fn: ir.Function) -> set:
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
    out = set()

    def block(body):
        for s in body:
            if isinstance(s, Assign):
                if (
                    s.target.startswith("$")
                    and counts[s.target] == 1
                    and where.get(s.target) == id(body)
                    and s.target not in written
                    and not (isinstance(s.value, Op) and s.value.prim in STORES + ("scatter",))
                ):
                    out.add(s.target)
            elif isinstance(s, Loop):
                block(s.header)
                block(s.body)
            else:
                block(s.body)
                block(s.orelse)

    block(fn.body)
    return out


class _Layout:
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
        for a in ir.atoms_of(fn.result):
            self.read(a, self.pos + 1, (), (), True)
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
        for s in body:
            self.pos += 1
            here = self.pos
            self.stmt_pos[id(s)] = (here, loops, sides)
            if isinstance(s, Assign):
                args = s.value.args if isinstance(s.value, Op) else (s.value,)
                shape_only = PRIMITIVES[s.value.prim].shape_reads if isinstance(s.value, Op) else ()
                for k, a in enumerate(args):
                    self.read(a, here, loops, sides, k not in shape_only)
                self.define(s.target, loops, sides)
                if isinstance(s.value, Op):
                    self.defs[s.target] = s.value
                    if (
                        PRIMITIVES[s.value.prim].view
                        and isinstance(args[0], Var)
                        and self.kinds.get(s.target, FLOAT).rank
                    ):
                        self.view_of[s.target] = args[0].name
            elif isinstance(s, Loop):
                for a in [c.init for c in s.carried] + list(s.bounds):
                    self.read(a, here, loops, sides)
                inner = loops + (id(s),)
                for name in ir.targets(s):
                    self.define(name, inner, sides)
                for c in s.carried:
                    self.carry_of[c.name] = (c, s)
                self.block(s.header, inner, sides)
                self.read(s.cond, self.pos, inner, sides)
                self.block(s.body, inner, sides)
                self.pos += 1
                for a in [c.next for c in s.carried] + [s.exit]:
                    self.read(a, self.pos, inner, sides)
                self.loop_end[id(s)] = self.pos
                for c in s.carried:  # the exit values are (re)defined here
                    self.def_pos[c.name] = here
            else:
                self.read(s.cond, here, loops, sides)
                for k, (branch, pick) in enumerate(((s.body, "then"), (s.orelse, "orelse"))):
                    side = sides + ((id(s), k),)
                    self.block(branch, loops, side)
                    self.pos += 1  # the phis are assigned at the end of the branch
                    for p in s.phis:
                        self.read(getattr(p, pick), self.pos, loops, side)
                self.pos += 1
                for p in s.phis:
                    self.define(p.target, loops, sides)
                    self.phi_sources[p.target] = (p.then, p.orelse)

    @staticmethod
    def exclusive(a, b) -> bool:
        """Are two reads on different sides of one ``if``?"""
        sides = dict(a)
        return any(k in sides and sides[k] != side for k, side in b)

    def read_after(self, name, pos, sides, content_only=True, before=None) -> bool:
        """Is ``name`` read after position ``pos`` (and before ``before``) on a
        path that can follow a statement on ``sides``?"""
        for p, s, content in self.reads.get(name, ()):
            if content_only and not content:
                continue
            if p > pos and (before is None or p <= before) and not self.exclusive(sides, s):
                return True
        return False


def _storage_ok(layout: _Layout, name: str, pos: int, sides, seen=None) -> bool:
    """May the array ``name`` (and every value sharing its memory) be
    overwritten at ``pos``: is none of them read afterwards?"""
    seen = seen if seen is not None else set()
    if name in seen:
        return True
    seen.add(name)
    if name in layout.params:
        return False
    if name in layout.view_of:  # its memory is that of the array it views
        base = layout.view_of[name]
        return not layout.read_after(name, pos, sides) and _storage_ok(
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
        return _storage_ok(layout, carry.init.name, pos, sides, seen)
    if layout.read_after(name, pos, sides):
        return False
    op = layout.defs.get(name)
    if op is not None and op.prim in STORES and isinstance(op.args[1], Var):
        return True  # its own source was checked when it was written
    return all(
        _storage_ok(layout, src.name, pos, sides, seen)
        for src in layout.phi_sources.get(name, ())
        if isinstance(src, Var)
    )


# The operations whose result may reuse the memory of an operand (its
# position): an array write, and a copy (of an array read no more: no copy).
_REUSES = {"setitem": 1, "additem": 1, "copy": 0}


def _in_place(fn: ir.Function, layout: _Layout) -> dict:
    """The array writes that may overwrite their source, and the copies that
    may be their source itself: target -> source."""
    out = {}
    for s in ir.walk(fn.body):
        if not (isinstance(s, Assign) and isinstance(s.value, Op) and s.value.prim in _REUSES):
            continue
        source = s.value.args[_REUSES[s.value.prim]]
        if not isinstance(source, Var):
            continue
        pos, loops, sides = layout.stmt_pos[id(s)]
        if not set(loops) <= set(layout.def_loops.get(source.name, ())):
            continue  # written by every iteration, defined outside the loop
        if _storage_ok(layout, source.name, pos, sides):
            out[s.target] = source.name
    return out


def _join_names(fn: ir.Function, layout: _Layout, in_place: dict, inlined: set) -> dict:
    """Print values under one name where their lifetimes allow (out of SSA).

    * A value defined inside a branch and joined after it (``r`` and ``r_2``
      in ``if c: r = ... else: r_1 = ...; r_2 = phi(r, r_1)``) lives only
      until the join, so it can share the join's name.
    * A loop-carried value shares its name with its initial value when that
      is not used after the loop starts, and with the value the body gives
      it when the old value is not read after that is computed.
    * An array written in place shares the name of the array it overwrites
      (a copy not made, of an array read no more, is printed as a second
      name for it: ``x_bar = out``).

    An inlined temporary shares no name: it has no variable of its own, and
    were it assigned (when a variable it reads is about to be reassigned) to
    a shared one, it would overwrite that at a point the lifetimes above do
    not describe.

    The printed code then reassigns one variable, as the user wrote it.
    Each class of names is shown under its plainest member (a user name
    before a temporary).
    """
    parent: dict = {}

    def root(name):
        while name in parent:
            name = parent[name]
        return name

    def union(a, b):
        ra, rb = root(a), root(b)
        if ra != rb and a not in inlined and b not in inlined:
            parent[ra] = rb

    names = ir.defined_names(fn)

    def same_variable(a, b) -> bool:
        """Are ``a`` and ``b`` versions of one variable (or one a temporary)?"""
        return "$" in (a[0], b[0]) or ir.version_of(a, names) == ir.version_of(b, names)

    def printed_as(name) -> list:
        """The values printed under the same name as ``name``."""
        return [n for n in layout.def_pos if root(n) == root(name)]

    def live_where_defined(value, other) -> bool:
        """Is ``value`` still to be read where ``other`` is assigned?"""
        where = layout.def_pos[other]
        return layout.def_pos[value] < where and layout.read_after(
            value, where, layout.def_sides[other], content_only=False
        )

    def interfere(a, b) -> bool:
        """Would one variable for the values printed as ``a`` and those printed
        as ``b`` be assigned while it holds a value still to be read?"""
        ours, theirs = printed_as(a), printed_as(b)
        return any(
            live_where_defined(m, n) or live_where_defined(n, m) for m in ours for n in theirs
        )

    for target, source in in_place.items():
        if layout.defs[target].prim in STORES:  # a copy not made is a second name
            union(target, source)
    joined: set = set()
    taken_inits: set = set()

    def block(body):
        for s in body:
            if isinstance(s, Loop):
                block(s.header)
                block(s.body)
                carry_loop(s)
            if not isinstance(s, If):
                continue
            block(s.body)
            block(s.orelse)
            for side, branch in ((0, s.body), (1, s.orelse)):
                inside = ir.defined_in(branch)
                for phi in s.phis:
                    source = phi.then if side == 0 else phi.orelse
                    if (
                        isinstance(source, Var)
                        and source.name in inside
                        and source.name not in joined
                        and not interfere(source.name, phi.target)
                    ):
                        joined.add(source.name)  # one value joins one phi
                        union(source.name, phi.target)

    def carry_loop(loop):
        inside = ir.defined_in(loop.body)
        here = layout.stmt_pos[id(loop)][0]
        end = layout.loop_end[id(loop)]
        others = [c.next for c in loop.carried]
        for c in loop.carried:
            init, nxt = c.init, c.next
            if (
                isinstance(init, Var)
                and init.name not in layout.params
                and init.name not in taken_inits  # one carried value per initial value
                and not any(  # nothing printed under its name is read once the loop starts
                    layout.read_after(n, here, (), content_only=False)
                    for n in printed_as(init.name)
                )
                and root(init.name) != root(c.name)
            ):
                taken_inits.add(init.name)
                union(init.name, c.name)
            # Every value printed under the carried value's name must be read
            # before the new value is computed.
            shared = printed_as(c.name)
            reads = [p for n in shared for p, _, _ in layout.reads.get(n, ()) if here < p <= end]
            is_index = loop.index is not None and nxt == Var(loop.index)
            if is_index and not reads and root(loop.index) == loop.index:
                # The index, kept after the loop (a Python for variable): the
                # loop assigns it, as the user's loop does.
                union(loop.index, c.name)
                continue
            if not (isinstance(nxt, Var) and nxt.name in inside):
                continue
            if not same_variable(nxt.name, c.name):
                continue  # printed under b's name, a's new value would read as b
            if any(root(n) == root(nxt.name) for n in layout.def_pos if n not in inside):
                continue  # it already shares a name with a value from outside the body
            members = [n for n in inside if root(n) == root(nxt.name)]
            first = min(layout.def_pos[n] for n in members)
            if others.count(Var(c.name)) or any(p > first for p in reads):
                continue
            if any(root(n) == root(c.name) for n in members):
                continue
            union(nxt.name, c.name)

    block(fn.body)
    classes: dict = {}
    for name in list(parent) + list(set(parent.values())):
        classes.setdefault(root(name), set()).add(name)
    display = {}
    for members in classes.values():
        best = min(members, key=lambda n: (n.startswith("$"), len(n), n))
        for member in members:
            display[member] = best
    return display


class _Printer:
    def __init__(self, fn: ir.Function, kinds: dict | None = None, float32=False):
        self.fn = fn
        self.kinds = kinds or {}
        self.float32 = float32
        self.helpers: dict = {}
        layout = _Layout(fn, self.kinds)
        self.defs = layout.defs
        self.in_place = _in_place(fn, layout)
        self.inlined = _inlined(fn) - set(self.in_place)
        self.alias = _join_names(fn, layout, self.in_place, self.inlined)
        self.taken = {n for n in ir.defined_names(fn) if not n.startswith("$")}
        self._plain_names(fn)
        self.pending: dict = {}  # inlinable temporaries: name -> ast expression
        self.names: dict = {}
        self.next_temp = 0
        self.modules: set = set()

    def _plain_names(self, fn):
        """Print a version ``i_1`` as ``i`` where no other value is shown as ``i``."""
        shown = {self.alias.get(n, n) for n in ir.defined_names(fn)} | set(fn.params)
        shown = {n for n in shown if not n.startswith("$")}
        wanted: dict = {}
        for name in sorted(shown):
            base = ir.version_of(name, shown | {name.rpartition("_")[0]})
            if base != name and base not in shown and base not in ("np", "math"):
                wanted.setdefault(base, []).append(name)
        for base, names in wanted.items():
            if len(names) == 1:
                self.alias.update({n: base for n, a in list(self.alias.items()) if a == names[0]})
                self.alias[names[0]] = base
                self.taken.add(base)

    def ident(self, name: str) -> str:
        name = self.alias.get(name, name)
        if not name.startswith("$"):
            return name
        if name not in self.names:
            while f"t{self.next_temp}" in self.taken:
                self.next_temp += 1
            self.names[name] = f"t{self.next_temp}"
            self.next_temp += 1
        return self.names[name]

    # -- expressions -------------------------------------------------------
    def atom(self, a) -> ast.expr:
        if isinstance(a, Var):
            if a.name in self.pending:
                return self.pending.pop(a.name)
            return ast.Name(self.ident(a.name))
        return self.const(a.value)

    def const(self, value) -> ast.expr:
        if isinstance(value, float) and not math.isfinite(value):
            self.modules.add("math")
            if math.isnan(value):
                return self.in_float32(ast.Attribute(ast.Name("math"), "nan"))
            node = ast.Attribute(ast.Name("math"), "inf")
            return self.in_float32(node if value > 0 else ast.UnaryOp(ast.USub(), node))
        if not isinstance(value, bool) and (
            value < 0 or (value == 0 and math.copysign(1, value) < 0)
        ):
            node = ast.UnaryOp(ast.USub(), ast.Constant(-value))
        else:
            node = ast.Constant(value)
        return self.in_float32(node) if isinstance(value, float) else node

    def in_float32(self, node: ast.expr) -> ast.expr:
        """``node`` as a float32 scalar in float32 code (a float literal or
        an int meeting floats would make Numba compute in float64)."""
        return self.call("np.float32", [node]) if self.float32 else node

    def float_dtype(self) -> list:
        """The dtype argument of arrays of floats the code creates: none (float64) or float32."""
        return [self.attribute("np.float32")] if self.float32 else []

    def attribute(self, dotted: str) -> ast.expr:
        module, _, attr = dotted.rpartition(".")
        self.modules.add(module)
        return ast.Attribute(ast.Name(module), attr)

    def kind(self, atom) -> Kind:
        if isinstance(atom, Var):
            return self.kinds.get(atom.name, FLOAT)
        return const_kind(atom.value)

    def call(self, dotted: str, args, keywords=()) -> ast.expr:
        module, _, attr = dotted.rpartition(".")
        if module:
            self.modules.add(module)
            func = ast.Attribute(ast.Name(module), attr)
        else:
            func = ast.Name(attr)
        return ast.Call(func, list(args), [ast.keyword(k, v) for k, v in keywords])

    def op(self, op: Op) -> ast.expr:
        prim = PRIMITIVES[op.prim]
        is_array = any(self.kind(a).rank for a in op.args)
        args = self.operands(op)
        if prim.spell is not None and (is_array or prim.spelling[0] == "special"):
            return prim.spell(self, op, args)
        how = prim.spelling[0]
        if is_array and prim.array not in ("op", None):
            return self.call(prim.array, args)
        if how == "binop":
            return ast.BinOp(args[0], prim.spelling[1](), args[1])
        if how == "unary":
            if op.prim == "neg" and self.kind(op.args[0]).dtype == "bool":
                # -(x > y) as a number: NumPy refuses to negate its bools.
                return ast.BinOp(self.const(-1.0), ast.Mult(), args[0])
            return ast.UnaryOp(prim.spelling[1](), args[0])
        if how == "compare":
            return ast.Compare(args[0], [prim.spelling[1]()], [args[1]])
        if how == "where":
            return ast.IfExp(args[0], args[1], args[2])
        return self.call(prim.spelling[1], args)

    def operands(self, op: Op) -> list:
        """The printed operands; in float32 code, int scalars meeting floats
        in arithmetic are float32 (NumPy and Numba would compute in float64)."""
        args = [self.atom(a) for a in op.args]
        kinds = [self.kind(a) for a in op.args]
        meets_floats = op.prim == "div" or any(k.dtype == "float" for k in kinds)
        if not (self.float32 and PRIMITIVES[op.prim].float_arithmetic and meets_floats):
            return args
        exponent = 1 if op.prim == "pow" else None  # x ** 2 stays exact and float32
        return [
            self.in_float32(a) if k.dtype == "int" and k.rank == 0 and i != exponent else a
            for i, (a, k) in enumerate(zip(args, kinds))
        ]

    def helper(self, name: str, source: str) -> str:
        """Use a module-level helper function (emitted once, before the function)."""
        self.helpers.setdefault(name, source)
        return name

    def value(self, v) -> ast.expr:
        return self.op(v) if isinstance(v, Op) else self.atom(v)

    def result(self, r) -> ast.expr:
        if isinstance(r, tuple):
            return ast.Tuple([self.result(item) for item in r])
        return self.atom(r)

    # -- statements --------------------------------------------------------
    def flush(self, names, out):
        """Assign the pending (inlinable) temporaries that read any of
        ``names`` before those are reassigned or written into."""
        for name, expr in list(self.pending.items()):
            if any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(expr)):
                del self.pending[name]
                out.append(ast.Assign([ast.Name(self.ident(name))], expr))

    def assigned_in(self, stmt) -> set:
        return {self.ident(n) for n in ir.defined_in([stmt])}

    def block(self, body, phis_of=None, side=0) -> list:
        out = []
        for s in body:
            if isinstance(s, Assign):
                if isinstance(s.value, Op) and s.value.prim == "scatter":
                    out.extend(scatter_statements(self, s.target, s.value))
                    continue
                if isinstance(s.value, Op) and s.value.prim in STORES:
                    out.extend(self.store(s.target, s.value))
                    continue
                if s.target in self.in_place:  # a copy not made: another name
                    out.extend(self.alias_array(s.target, s.value.args[0], out))
                    continue
                expr = self.value(s.value)
                if s.target in self.inlined:
                    self.pending[s.target] = expr
                    continue
                self.flush({self.ident(s.target)}, out)
                out.append(ast.Assign([ast.Name(self.ident(s.target))], expr))
            elif isinstance(s, Loop):
                out.extend(self.loop(s))
            else:
                self.flush(self.assigned_in(s), out)
                test = self.atom(s.cond)
                body_ = self.block(s.body, s.phis, 0)
                orelse = self.block(s.orelse, s.phis, 1)
                if not body_ and orelse:  # print `if not c:` rather than an empty branch
                    test, body_, orelse = _negate(test), orelse, []
                body_ = body_ or [ast.Pass()]
                out.append(ast.If(test, body_, orelse))
        joins = [(phi.target, phi.then if side == 0 else phi.orelse) for phi in phis_of or ()]
        out.extend(self.copies(joins, out))
        return out

    def copies(self, pairs, out) -> list:
        """The assignments ``target = source`` for (target, source) pairs that
        take effect at once, as phis and carried values do (a swap of two
        variables is one tuple assignment).  Pending temporaries reading the
        assigned variables are assigned first, into ``out``."""
        updates = []
        for target, source in pairs:
            name, value = self.ident(target), self.atom(source)
            if not (isinstance(value, ast.Name) and value.id == name):
                updates.append((name, value))
        self.flush({name for name, _ in updates}, out)
        return _parallel_assign(updates)

    def alias_array(self, target, source, out) -> list:
        """``target = source`` for a copy not made (``source`` is read no
        more).  The pending temporaries reading ``source`` are assigned first:
        writes into ``target`` change ``source``."""
        if isinstance(source, Var) and source.name not in self.pending:
            self.flush({self.ident(source.name)}, out)
        return self.copies([(target, source)], out)

    def store(self, target, op):
        """``a[index] = v`` / ``a[index] += v``: in place when nothing reads
        the old array afterwards, else into a copy."""
        value, array = self.atom(op.args[0]), op.args[1]
        indices = [self.atom(a) for a in op.args[2:]]
        name = self.ident(target)
        out = []
        if target not in self.in_place:
            copy = ast.Call(ast.Attribute(self.atom(array), "copy"), [], [])
            out.append(ast.Assign([ast.Name(name)], copy))
        self.flush({name}, out)
        where = ast.Subscript(ast.Name(name), subscript(self, dict(op.attrs)["index"], indices))
        if (
            op.prim == "additem"
            and isinstance(value, ast.UnaryOp)
            and isinstance(value.op, ast.USub)
        ):
            out.append(ast.AugAssign(where, ast.Sub(), value.operand))
        elif op.prim == "additem":
            out.append(ast.AugAssign(where, ast.Add(), value))
        else:
            out.append(ast.Assign([where], value))
        return out

    def loop(self, s: Loop) -> list:
        out = []
        out.extend(self.copies([(c.name, c.init) for c in s.carried], out))
        self.flush(self.assigned_in(s), out)
        if s.index is not None:
            start, stop, step = (self.atom(a) for a in s.bounds)
            args = [stop]
            if s.step != ir.Const(1):
                args = [start, stop, step]
            elif s.start != ir.Const(0):
                args = [start, stop]
            head = ast.For(ast.Name(self.ident(s.index)), self.call("range", args), [], [])
        else:
            header = self.block(s.header)
            test = self.atom(s.cond)
            if header:  # while True: <header>; if not cond: break
                header.append(ast.If(_negate(test), [ast.Break()], []))
                test = ast.Constant(True)
            head = ast.While(test, header, [])
        body = self.block(s.body)
        body.extend(self.copies([(c.name, c.next) for c in s.carried], body))
        if s.exit is not None:
            body.append(ast.If(self.atom(s.exit), [ast.Break()], []))
        head.body = head.body + (body or [ast.Pass()])
        out.append(head)
        return out


def _parallel_assign(updates) -> list:
    """``a, b = x, y`` as one assignment per line when some order of them
    reads no variable after it is assigned, else as a tuple assignment."""
    if not updates:
        return []
    reads = [{n.id for n in ast.walk(v) if isinstance(n, ast.Name)} for _, v in updates]
    for order in (range(len(updates)), reversed(range(len(updates)))):
        order = list(order)
        if all(updates[a][0] not in reads[b] for i, a in enumerate(order) for b in order[i + 1 :]):
            return [ast.Assign([ast.Name(updates[k][0])], updates[k][1]) for k in order]
    names = ast.Tuple([ast.Name(n) for n, _ in updates])
    return [ast.Assign([names], ast.Tuple([v for _, v in updates]))]


def _negate(test: ast.expr) -> ast.expr:
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return test.operand
    return ast.UnaryOp(ast.Not(), test)


def _number_temporaries(tree, temps: set):
    """Renumber the temporaries ``t0, t1, ...`` in the order the code shows them."""
    order: dict = {}
    for node in _in_source_order(tree):
        if isinstance(node, ast.Name) and node.id in temps:
            order.setdefault(node.id, None)
    free = sorted(temps, key=lambda n: int(n[1:]))
    rename = dict(zip(order, free))
    # Found first, renamed after: a node printed at two places (an operand
    # used twice) is reached twice by the walk and must be renamed once.
    found = [node for node in ast.walk(tree) if isinstance(node, ast.Name) and node.id in rename]
    for node, new_id in [(node, rename[node.id]) for node in found]:
        node.id = new_id


def _in_source_order(node):
    yield node
    for child in ast.iter_child_nodes(node):
        yield from _in_source_order(child)


def function_source(
    fn: ir.Function,
    docstring: str = "",
    header: tuple = (),
    kinds=None,
    float32=False,
    then: str = "",
) -> str:
    """The complete module source defining ``fn``: header, imports, helpers, function.

    ``kinds`` (name -> ``Kind``) selects the spelling of each operation:
    ``math.*`` and operators on scalars, ``np.*`` on arrays.  ``float32``:
    its floats are float32 (the arrays it is given are), and so are the
    constants and the arrays it creates.  ``then`` is source (using NumPy)
    printed after the function: a driver calling it.
    """
    printer = _Printer(fn, kinds, float32)
    if then:
        printer.modules.add("np")
    body = printer.block(fn.body)
    body.append(ast.Return(printer.result(fn.result)))
    if docstring:
        indented = "\n".join(("    " + line) if line else "" for line in docstring.splitlines())
        body.insert(0, ast.Expr(ast.Constant(indented.lstrip() + "\n    ")))
    args = ast.arguments([], [ast.arg(printer.ident(p)) for p in fn.params], None, [], [], None, [])
    fdef = ast.FunctionDef(fn.name, args, body, [], None, None)
    _number_temporaries(fdef, set(printer.names.values()))
    module = ast.Module([fdef], [])
    ast.fix_missing_locations(module)
    code = ast.unparse(module)
    imports = [
        f"import {m}" if m != "np" else "import numpy as np" for m in sorted(printer.modules)
    ]
    lines = [f"# {line}" for line in header]
    helpers = [text + "\n\n" for _, text in sorted(printer.helpers.items())]
    tail = ["\n\n" + then] if then else []
    return "\n".join(lines + imports + ["", ""] + helpers + [code] + tail) + "\n"


def forward_driver(
    name: str, primal: str, jvp: ir.Function, wrt, ranks, with_value: bool, single: bool, doc: str
) -> str:
    """A forward-mode gradient over arrays, ``name``: one call of ``jvp``
    (whose last parameters are the tangents of ``wrt``) per basis direction,
    that is per element of each array and once per scalar in ``wrt``.

    ``ranks`` gives the rank of each ``wrt`` parameter; ``with_value``
    returns the value of ``primal`` first (``value_and_grad``)."""
    primals = jvp.params[: len(jvp.params) - len(wrt)]
    tangents = jvp.params[len(primals) :]
    namer = ir.Namer(jvp.params)
    call = f"{jvp.name}({', '.join(jvp.params)})"
    lines = [f"def {name}({', '.join(primals)}):", f'    """{doc}"""']
    for p, t, rank in zip(wrt, tangents, ranks):
        lines.append(f"    {t} = np.zeros_like({p})" if rank else f"    {t} = 0.0")
    value = namer.fresh(primal)
    if with_value:
        lines.append(f"    {value} = {call}[0]")
    grads = []
    for p, t, rank in zip(wrt, tangents, ranks):
        grad = namer.fresh(f"d{primal}_d{p}")
        grads.append(grad)
        if not rank:
            lines += [f"    {t} = 1.0", f"    {grad} = {call}[1]", f"    {t} = 0.0"]
            continue
        index = namer.fresh("index")
        lines += [
            f"    {grad} = np.zeros_like({p})",
            f"    for {index} in np.ndindex({p}.shape):",
            f"        {t}[{index}] = 1.0",
            f"        {grad}[{index}] = {call}[1]",
            f"        {t}[{index}] = 0.0",
        ]
    result = grads[0] if single else f"({', '.join(grads)}{',' * (len(grads) == 1)})"
    if with_value:
        result = f"({value}, {result})"
    return "\n".join(lines + [f"    return {result}"])
