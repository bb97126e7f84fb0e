"""Kinds and activity for one argument signature.

``analyze(fn, param_kinds, wrt)`` gives the kind (``ir.Kind``: dtype, rank,
axes known to be 1) of every value and the set of *active* values: floats
that depend on a differentiated parameter.  Only active values get tangents
or adjoints.  Ranks that do not fit an operation raise ``ShapeError`` at the
line of the user's code.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import ir
from ..errors import ArgumentError, ShapeError
from ..ir import BOOL, FLOAT, INT, Assign, Const, If, Kind, Op, Var, kind_of_states
from ..primitives import PRIMITIVES, RankError


@dataclass(frozen=True, slots=True)
class Analysis:
    kinds: dict
    active: frozenset

    def kind(self, atom) -> Kind:
        if isinstance(atom, Var):
            return self.kinds[atom.name]
        return const_kind(atom.value)

    def is_active(self, atom) -> bool:
        return isinstance(atom, Var) and atom.name in self.active


def const_kind(value) -> Kind:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    return FLOAT


def join(*kinds: Kind) -> Kind:
    """The kind of a value that is one of these (a phi)."""
    if all(k.dtype == "bool" for k in kinds):
        dtype = "bool"
    else:
        dtype = "float" if any(k.dtype == "float" for k in kinds) else "int"
    rank = max(k.rank for k in kinds)
    states = []
    for axis in range(rank):
        own = {k.state(axis) if axis < k.rank else "?" for k in kinds}
        states.append(own.pop() if len(own) == 1 else "?")
    return kind_of_states(dtype, states)


def op_kind(op: Op, arg_kinds, loc=None) -> Kind:
    """The kind of ``op``'s result, or a ``ShapeError`` at ``loc``."""
    prim = PRIMITIVES[op.prim]
    try:
        if prim.array is None and any(k.rank for k in arg_kinds):
            raise RankError(f"{op.prim} is not available on arrays")
        return prim.result_kind(list(arg_kinds), op.args, op.attrs)
    except RankError as exc:
        shown = ", ".join(str(k) for k in arg_kinds)
        raise ShapeError(
            f"{exc} (operands: {shown})",
            loc,
            "check the ranks of the arrays involved (x.ndim); symdiff needs them to "
            "fit when it generates code",
        ) from None


def expr_kind(node, lookup) -> Kind:
    """The kind of a (nested) rule expression; ``lookup(name)`` gives variables' kinds."""
    if isinstance(node, Var):
        return lookup(node.name)
    if isinstance(node, Const):
        return const_kind(node.value)
    return op_kind(node, [expr_kind(a, lookup) for a in node.args])


def needs_sum(kx: Kind, ky: Kind) -> bool:
    """Must (or may) an adjoint of kind ``ky`` be summed to reach an operand of
    kind ``kx`` (equally: must a value of kind ``kx`` be broadcast to have the
    shape of ``ky``)?  Yes when ``kx`` is of lower rank, or of size 1 (surely
    or maybe) along an axis where ``ky`` is not surely of size 1.  Axes are
    aligned from the right: leading axes of ``kx`` that ``ky`` lacks need no
    sum (a smaller adjoint broadcasts)."""
    if kx.rank < ky.rank:
        return True
    offset = kx.rank - ky.rank
    return any(kx.state(a + offset) != ":" and ky.state(a) != "1" for a in range(ky.rank))


def _check_inplace(value: Op, kinds, views, loc):
    """``w += ...`` on an input array (or a view of one: ``w = x[0]``) would
    modify the caller's array."""
    first = value.args[0]
    if (
        ("inplace", True) in value.attrs
        and isinstance(first, Var)
        and first.name in views
        and kinds[first.name].rank
    ):
        source, is_view = views[first.name]
        what = f"a view of the input array '{source}'" if is_view else f"the input array '{source}'"
        raise ShapeError(
            f"in-place update of {what}",
            loc,
            f"write {first.name} = {first.name} <op> ... (a new array); symdiff does not "
            "modify its inputs",
        )


def _check_store(value: Op, views: dict, params, loc):
    """``a[i] = v`` may only write into arrays the function made itself."""
    array = value.args[1]
    if not isinstance(array, Var) or array.name not in views:
        return
    source, is_view = views[array.name]
    if not is_view:
        message = f"writing into the input array '{source}'"
        hint = f"write into a copy: {source} = {source}.copy(), or a new array (np.zeros_like)"
    else:
        message = f"writing into a view of '{source}' (a slice, reshape or transpose)"
        hint = "write into a copy (.copy()) or into the original array"
    raise ShapeError(message, loc, hint + "; symdiff does not modify arrays it did not create")


def analyze(fn: ir.Function, param_kinds, wrt=(), generated=False) -> Analysis:
    """Kinds of all values and the active set, given the parameters' kinds.

    ``generated``: ``fn`` is derivative code, which writes into the adjoint
    arrays it is given (code generation copies them where that matters)."""
    kinds = dict(zip(fn.params, param_kinds))
    active = set()
    for name in wrt:
        if kinds[name].dtype != "float":
            what = {"bool": "a bool", "int": "an int"}[kinds[name].dtype]
            if kinds[name].rank:
                what += " array"
            raise ArgumentError(
                f"cannot differentiate with respect to '{name}': it is {what}",
                fn.loc,
                f"pass floats (e.g. {name}=2.0 instead of 2, or an array of dtype float64), "
                f"or leave '{name}' out of argnums",
            )
        active.add(name)

    def atom_kind(a):
        return kinds[a.name] if isinstance(a, Var) else const_kind(a.value)

    def atom_active(a):
        return isinstance(a, Var) and a.name in active

    # Arrays that share memory with a parameter or another array:
    # name -> (that array, is it a view of it rather than the array itself).
    views = {p: (p, False) for p, k in kinds.items() if k.rank}

    size_states: dict = {}  # an int read from x.shape[k] -> the state of that axis of x

    def view_of(*atoms):
        for a in atoms:
            if isinstance(a, Var) and a.name in views:
                return views[a.name]
        return None

    def block(body):
        for stmt in body:
            if isinstance(stmt, Assign):
                value = stmt.value
                if isinstance(value, Op):
                    kind = op_kind(value, [atom_kind(a) for a in value.args], stmt.loc)
                    _check_inplace(value, kinds, views, stmt.loc)
                    if value.prim in ir.STORES and not generated:
                        _check_store(value, views, fn.params, stmt.loc)
                    elif (
                        PRIMITIVES[value.prim].view and kind.rank and isinstance(value.args[0], Var)
                    ):
                        root = view_of(value.args[0])
                        views[stmt.target] = (root[0] if root else value.args[0].name, True)
                    if value.prim == "shape" and isinstance(value.args[0], Var):
                        source = kinds[value.args[0].name]
                        size_states[stmt.target] = source.state(
                            dict(value.attrs)["axis"] % source.rank
                        )
                    elif value.prim in ("zeros", "ones"):  # sizes read from other arrays
                        states = [
                            size_states.get(a.name, kind.state(i))
                            if isinstance(a, Var)
                            else kind.state(i)
                            for i, a in enumerate(value.args)
                        ]
                        kind = kind_of_states(kind.dtype, states)
                    is_active = PRIMITIVES[value.prim].differentiable and any(
                        map(atom_active, value.args)
                    )
                else:
                    kind, is_active = atom_kind(value), atom_active(value)
                    if (source := view_of(value)) is not None:
                        views[stmt.target] = source
                kinds[stmt.target] = kind
                if is_active and kind.dtype == "float":
                    active.add(stmt.target)
            elif isinstance(stmt, If):
                block(stmt.body)
                block(stmt.orelse)
                for phi in stmt.phis:
                    if (source := view_of(phi.then, phi.orelse)) is not None:
                        views[phi.target] = source
                    a, b = atom_kind(phi.then), atom_kind(phi.orelse)
                    if a.rank != b.rank and a.rank and b.rank:
                        raise ShapeError(
                            f"'{phi.target}' is an array of rank {a.rank} on one branch "
                            f"and of rank {b.rank} on the other",
                            stmt.loc,
                            "give it the same rank on both branches",
                        )
                    kind = join(a, b)
                    kinds[phi.target] = kind
                    if kind.dtype == "float" and (atom_active(phi.then) or atom_active(phi.orelse)):
                        active.add(phi.target)

            else:
                loop(stmt)

    def loop(stmt):
        if stmt.index is not None:
            bad = [a for a in stmt.bounds if atom_kind(a) != INT]
            if bad:
                raise ShapeError(
                    f"range() takes ints, got {atom_kind(bad[0])}",
                    stmt.loc,
                    "use ints for loop bounds (len(x), x.shape[0], int arguments)",
                )
            kinds[stmt.index] = INT
        for c in stmt.carried:
            kinds[c.name] = atom_kind(c.init)
            if atom_active(c.init) and kinds[c.name].dtype == "float":
                active.add(c.name)
            if (source := view_of(c.init)) is not None:
                views[c.name] = source
        for _ in range(50):  # to a fixed point: kinds only widen, activity only grows
            before = ({c.name: kinds[c.name] for c in stmt.carried}, len(active))
            block(stmt.header)
            block(stmt.body)
            for c in stmt.carried:
                a, b = atom_kind(c.init), atom_kind(c.next)
                if a.rank != b.rank:
                    raise ShapeError(
                        f"'{c.name}' is an array of rank {a.rank} before the loop and of "
                        f"rank {b.rank} after an iteration",
                        stmt.loc,
                        "keep the rank of values the loop updates",
                    )
                kinds[c.name] = join(a, b)
                if kinds[c.name].dtype == "float" and (atom_active(c.init) or atom_active(c.next)):
                    active.add(c.name)
            if before == ({c.name: kinds[c.name] for c in stmt.carried}, len(active)):
                break

    block(fn.body)
    if not generated:
        _SharedMemory(fn, kinds).check()
    return Analysis(kinds, frozenset(active))


class _SharedMemory:
    """NumPy semantics that symdiff's values lack: a view (``r = t[0]``,
    ``t.T``, ``t.reshape(...)``) or a second name (``u = t``) shares its
    array's memory, so a later write into the array (``t[i] = v``,
    ``t += v``) shows through it.  symdiff's values never change: reading
    such a name after the write is refused rather than given the old values.

    Each array value has a root (the value owning its memory) and the number
    of writes into that root when it was made; a value read after a later
    write into its root is stale."""

    def __init__(self, fn: ir.Function, kinds: dict):
        self.fn = fn
        self.kinds = kinds
        self.root: dict = {}  # array value -> the value owning its memory
        self.epoch: dict = {}  # array value -> writes into its root when it was made
        self.writes: dict = {}  # root -> (number of writes into it, where the last was)

    def check(self):
        for p in self.fn.params:
            self.define(p, p)
        self.block(self.fn.body)
        for atom in ir.atoms_of(self.fn.result):
            self.read(atom, self.fn.result_loc)

    def define(self, name, root):
        if self.kinds[name].rank:
            self.root[name] = root
            self.epoch[name] = self.writes.get(root, (0, None))[0]

    def shares(self, atom):
        """The root ``atom`` shares memory with, or None."""
        return self.root.get(atom.name) if isinstance(atom, Var) else None

    def read(self, atom, loc):
        root = self.shares(atom)
        if root is None:
            return
        count, where = self.writes.get(root, (0, None))
        if self.epoch[atom.name] < count:
            names = ir.defined_names(self.fn)
            user, array = ir.version_of(atom.name, names), ir.version_of(root, names)
            line = f" at line {where.lineno}" if where is not None else ""
            what = (
                f"'{user}', which shares memory with '{array}' (a view of it),"
                if user != array
                else f"'{user}' as it was before, under a second name (u = {user}),"
            )
            raise ShapeError(
                f"this reads {what} after a write into '{array}'{line}: NumPy shows the "
                "write through it, symdiff's values never change",
                loc,
                "make a copy where the view or the second name is made (.copy()), or read it "
                "before the write",
            )

    def write(self, atom, loc):
        root = self.shares(atom)
        if root is not None:
            self.writes[root] = (self.writes.get(root, (0, None))[0] + 1, loc)
        return root

    def block(self, body):
        for stmt in body:
            if isinstance(stmt, Assign):
                self.assign(stmt)
            elif isinstance(stmt, If):
                self.branch(stmt)
            else:
                self.loop(stmt)

    def assign(self, stmt: Assign):
        for atom in ir.reads(stmt):
            self.read(atom, stmt.loc)
        value, root = stmt.value, None
        if isinstance(value, Var):
            root = self.shares(value)
        elif isinstance(value, Op) and value.prim in ir.STORES:
            root = self.write(value.args[1], stmt.loc)
        elif isinstance(value, Op) and ("inplace", True) in value.attrs:
            root = self.write(value.args[0], stmt.loc)
        elif isinstance(value, Op) and PRIMITIVES[value.prim].view:
            root = self.shares(value.args[0])
        self.define(stmt.target, root or stmt.target)

    def branch(self, stmt: If):
        self.read(stmt.cond, stmt.loc)
        before = dict(self.writes)
        self.block(stmt.body)
        for phi in stmt.phis:
            self.read(phi.then, stmt.loc)
        after_body, self.writes = self.writes, before
        self.block(stmt.orelse)
        for phi in stmt.phis:
            self.read(phi.orelse, stmt.loc)
        for root, entry in after_body.items():  # writes on either branch count after it
            self.writes[root] = max(self.writes.get(root, (0, None)), entry, key=_count)
        for phi in stmt.phis:
            roots = {self.shares(phi.then), self.shares(phi.orelse)}
            shared = roots.pop() if len(roots) == 1 else None
            self.define(phi.target, shared or phi.target)

    def loop(self, stmt):
        for c in stmt.carried:
            self.read(c.init, stmt.loc)
        for _ in range(2):  # twice: a write in one iteration shows in the next
            before = dict(self.writes)
            for c in stmt.carried:
                self.define(c.name, self.shares(c.init) or c.name)
            self.block(stmt.header)
            self.block(stmt.body)
            for c in stmt.carried:
                self.read(c.next, stmt.loc)
            if self.writes == before:
                break
        for c in stmt.carried:
            self.define(c.name, self.shares(c.init) or c.name)


def _count(entry):
    return entry[0]


# ---------------------------------------------------------------------------
# Indices that are provably in bounds.


class _Affine(dict):
    """An int value as ``const + sum(coef * symbol)``: symbols are array
    sizes ``("shape", array, axis)`` and int values known only when the code
    runs; the key ``None`` holds the constant."""

    def __add__(self, other):
        out = _Affine(self)
        for k, v in other.items():
            out[k] = out.get(k, 0) + v
        return _Affine({k: v for k, v in out.items() if v or k is None})

    def scale(self, c):
        return _Affine({k: v * c for k, v in self.items()})

    def constant(self):
        """The value if it is a known constant, else None."""
        return self.get(None, 0) if all(k is None for k in self) else None


def _const(c) -> _Affine:
    return _Affine({None: c})


def indices_in_bounds(fn: ir.Function, kinds: dict, same_shape=None) -> bool:
    """Is every integer index of ``fn`` provably within its array?

    Indices are affine in loop variables, whose ranges come from the loop
    bounds (counting up or down), and array sizes come from the arrays'
    shapes (``len(x)``, ``x.shape[k]``, the sizes given to ``np.zeros`` and
    to tapes, arrays made like others: ``np.zeros_like``, adjoints): enough
    for ``x[i + 1]`` with ``i in range(len(x) - 1)``, ``out[i, j]`` with
    ``out = np.zeros((n, m))``, or ``x_tape[i - 1]`` in a loop over
    ``range(n - 1, 0, -1)`` with ``x_tape = np.empty(max(n - 1, 0))``.
    Anything else (an int the code computes otherwise, an array of unknown
    origin) is not proven.  ``fn`` must be the code that is compiled (the
    derivative, not the function it was derived from); ``same_shape`` maps
    parameters to parameters the caller guarantees to have the same shape.
    Where this proves every index, the code is compiled without bounds
    checks (which cost up to a fifth of a tight loop's time); elsewhere
    Numba checks each index when the code runs.
    """
    values: dict = {}  # int name -> _Affine
    ranges: dict = {}  # loop index -> (lowest, highest) as _Affine
    lower: dict = {}  # int name -> an _Affine it is at least (max(a, b) >= a)
    storage: dict = dict(same_shape or {})  # array name -> the name whose shape it has
    sizes: dict = {}  # (array, axis) -> _Affine

    def affine(atom):
        if isinstance(atom, Const):
            return _const(int(atom.value)) if isinstance(atom.value, int) else None
        return values.get(atom.name, _Affine({("var", atom.name): 1}))

    def root(name):
        while name in storage:
            name = storage[name]
        return name

    def size(array, axis):
        name = root(array.name)
        return sizes.get((name, axis), _Affine({("shape", name, axis): 1}))

    def bounds(e: _Affine):
        lo, hi = _const(e.get(None, 0)), _const(e.get(None, 0))
        for k, c in e.items():
            if k is None:
                continue
            if k[0] == "var" and k[1] in ranges:
                a, b = ranges[k[1]]
                lo, hi = lo + (a if c > 0 else b).scale(c), hi + (b if c > 0 else a).scale(c)
            else:
                term = _Affine({k: c})
                lo, hi = lo + term, hi + term
        return lo, hi

    def lowest(e: _Affine) -> _Affine:
        """A lower bound of ``e``: each int known to be at least some value
        replaced by that value where it comes with a positive coefficient."""
        out = _Affine()
        for k, c in e.items():
            known = k is not None and k[0] == "var" and k[1] in lower and c > 0
            out = out + (lower[k[1]].scale(c) if known else _Affine({k: c}))
        return out

    def index_ok(array, pattern, indices) -> bool:
        it = iter(indices)
        for axis, item in enumerate(pattern):
            if item[0] != "i":
                for present in item[1:]:
                    if present:
                        next(it)
                continue
            atom = next(it)
            e = affine(atom) if not isinstance(atom, Var) or atom.name not in mods else None
            if e is None and isinstance(atom, Var) and atom.name in mods:
                lo, hi = mods[atom.name]
            elif e is None:
                return False
            else:
                lo, hi = bounds(e)
            below = lo.constant()
            above = lowest(size(array, axis) + hi.scale(-1)).constant()
            if below is None or below < 0 or above is None or above < 1:
                return False
        return True

    mods: dict = {}  # name -> (lo, hi) of ``a % c`` with a >= 0
    trips: dict = {}  # iteration count of a loop that may stop early -> its trip count

    def counters(loop) -> list:
        """The ints that count a for loop's iterations (``n = 0`` before
        it, ``n = n + 1`` in every iteration): at most its trip count after
        it, when it has run at all (it may stop early: ``break``)."""
        defined = {st.target: st.value for st in loop.body if isinstance(st, Assign)}
        names = []
        for c in loop.carried:
            step = defined.get(c.next.name) if isinstance(c.next, Var) else None
            if c.init == Const(0) and kinds.get(c.name) == INT and isinstance(step, Op):
                if step.prim == "add" and set(step.args) == {Var(c.name), Const(1)}:
                    names.append(c.name)
        return names

    def within_trips(lo: _Affine, hi: _Affine) -> _Affine:
        """``hi`` of a loop over ``[lo, hi]``, which runs only if ``hi >= lo``:
        where ``hi = n + c`` for a count ``n`` that this makes at least 1,
        ``n`` is at most its loop's trip count."""
        names = [k for k in hi if k is not None]
        if len(names) != 1 or names[0][0] != "var" or hi[names[0]] != 1:
            return hi
        count, c = names[0][1], hi.get(None, 0)
        low = lo.constant()
        if count not in trips or low is None or low - c < 1:
            return hi
        return trips[count] + _const(c)

    def enter(loop) -> dict:
        """Set the range of a for loop's index (and the value of each int
        counting its iterations, inside it); its counts -> its trip count."""
        if loop.index is None or not isinstance(loop.step, Const):
            return {}
        step, start, stop = loop.step.value, affine(loop.start), affine(loop.stop)
        if start is None or stop is None:
            return {}
        last = stop + _const(-1 if step > 0 else 1)
        lo, hi = (start, last) if step > 0 else (last, start)
        ranges[loop.index] = (lo, within_trips(lo, hi))
        if step not in (1, -1):
            return {}
        number = (_Affine({("var", loop.index): 1}) + start.scale(-1)).scale(step)
        counts = counters(loop)
        values.update((name, number) for name in counts)
        return {name: (stop + start.scale(-1)).scale(step) for name in counts}

    def shaped_from(s: Assign):
        """The arrays that ``s``'s array result has the shape of (each of
        them), or None."""
        value = s.value
        if isinstance(value, Var):
            return [value] if kinds.get(value.name, FLOAT).rank else None
        if not isinstance(value, Op):
            return None
        if (position := PRIMITIVES[value.prim].shaped_like) is not None:
            like = value.args[position]
            return [like] if isinstance(like, Var) else None
        rank = kinds.get(s.target, FLOAT).rank
        if PRIMITIVES[value.prim].elementwise and rank:  # broadcasting: its full-rank operands
            return [
                a
                for a in value.args
                if isinstance(a, Var) and kinds.get(a.name, FLOAT).rank == rank
            ]
        return None

    def block(body) -> bool:
        for s in body:
            if isinstance(s, If):
                if not (block(s.body) and block(s.orelse)):
                    return False
                continue
            if isinstance(s, ir.Loop):
                for c in s.carried:  # an array made from itself keeps its shape
                    if kinds.get(c.name, FLOAT).rank and isinstance(c.init, Var):
                        if ir.comes_back(c, s.body, shaped_from):
                            storage[c.name] = c.init.name
                counts = enter(s)
                if not (block(s.header) and block(s.body)):
                    return False
                for name, trip_count in counts.items():  # after the loop: at most that
                    del values[name]
                    trips[name] = trip_count
                continue
            value = s.value
            if kinds.get(s.target, FLOAT).rank and (like := shaped_from(s)):
                if len({root(a.name) for a in like}) == 1:
                    storage[s.target] = like[0].name
            if not isinstance(value, Op):
                if kinds.get(s.target) == INT and (e := affine(value)) is not None:
                    values[s.target] = e
                continue
            prim, args, attrs = value.prim, value.args, dict(value.attrs)
            if prim == "getitem" or PRIMITIVES[prim].indexed:
                array = args[0] if prim == "getitem" else args[1]
                indices = args[1:] if prim == "getitem" else args[2:]
                if isinstance(array, Var) and not index_ok(array, attrs["index"], indices):
                    return False
            elif prim == "tape":
                tape_sizes(s.target, args, attrs)
            elif prim in ("outer", "matmul", "dot", "transpose"):
                product_sizes(s.target, prim, args)
            elif prim == "max" and kinds.get(s.target) == INT:
                known = [e for e in map(affine, args) if e is not None]
                if known:  # the first: max(stop - start, 0), a tape's length
                    lower[s.target] = known[0]
            elif prim in ("zeros", "ones"):
                for axis, a in enumerate(args):
                    if (e := affine(a)) is not None:
                        sizes[(s.target, axis)] = e
            elif prim == "shape" and isinstance(args[0], Var):
                values[s.target] = size(args[0], attrs["axis"] % kinds[args[0].name].rank)
            elif prim in ("add", "sub") and kinds.get(s.target) == INT:
                a, b = affine(args[0]), affine(args[1])
                if a is not None and b is not None:
                    values[s.target] = a + (b if prim == "add" else b.scale(-1))
            elif prim == "mod" and kinds.get(s.target) == INT and isinstance(args[1], Const):
                a = affine(args[0])
                low = bounds(a)[0].constant() if a is not None else None
                if low is not None and low >= 0 and args[1].value > 0:
                    mods[s.target] = (_const(0), _const(args[1].value - 1))
        return True

    def tape_sizes(tape, args, attrs):
        """A tape's sizes: its length, then those of ``like`` (or of the
        axes of ``like`` that ``select`` does not index)."""
        length, like = args
        if (e := affine(length)) is not None:
            sizes[(tape, 0)] = e
        if not isinstance(like, Var):
            return
        select = attrs.get("select", ())
        kept = [a for a in range(kinds[like.name].rank) if a >= len(select) or select[a][0] != "i"]
        for axis, a in enumerate(kept, start=1):
            sizes[(tape, axis)] = size(like, a)

    def product_sizes(target, prim, args):
        """The sizes of a matrix product, an outer product or a transpose:
        the outer axes of its operands."""
        if not all(isinstance(a, Var) for a in args):
            return
        ranks = [kinds[a.name].rank for a in args]
        if prim == "transpose":
            axes = [(args[0], a) for a in reversed(range(ranks[0]))]
        elif prim == "outer":
            axes = [(args[0], 0), (args[1], 0)] if ranks == [1, 1] else []
        else:  # the last axis of the first meets the first axis of the second
            axes = [(args[0], a) for a in range(ranks[0] - 1)]
            axes += [(args[1], a) for a in range(1, ranks[1])]
            axes = axes if 0 < min(ranks) <= max(ranks) <= 2 else []
        for axis, (array, a) in enumerate(axes):
            sizes[(target, axis)] = size(array, a)

    return block(fn.body)
