"""Kinds and activity for one argument signature.

``analyze(fn, param_kinds, wrt)`` gives the kind (``ir.Kind``: dtype, rank,
axes known to be 1) of every value and the set of *active* values: floats
that depend on a differentiated parameter.  Only active values get tangents
or adjoints.  Ranks that do not fit an operation raise ``ShapeError`` at the
line of the user's code.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import ir
from .errors import ArgumentError, ShapeError
from .ir import BOOL, FLOAT, INT, Assign, Const, If, Kind, Op, Var, kind_of_states
from .primitives import PRIMITIVES, RankError


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
        return prim.kind(list(arg_kinds), op.args, op.attrs)
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
    kind ``kx``: is ``kx`` of lower rank, or of size 1 (surely or maybe) along
    an axis where ``ky`` is not surely of size 1?"""
    if kx.rank < ky.rank:
        return True
    return any(
        kx.state(a) != ":" and ky.state(a - (kx.rank - ky.rank)) != "1" for a in range(kx.rank)
    )


def _check_inplace(value: Op, kinds, params, loc):
    """``w += ...`` on an input array would modify the caller's array."""
    first = value.args[0]
    if (
        ("inplace", True) in value.attrs
        and isinstance(first, Var)
        and first.name in params
        and kinds[first.name].rank
    ):
        raise ShapeError(
            f"in-place update of the input array '{first.name}'",
            loc,
            f"write {first.name} = {first.name} <op> ... (a new array); symdiff does not "
            "modify its inputs",
        )


# Operations whose array result may share memory with their first operand.
VIEWS = ("getitem", "reshape", "transpose")


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
                    _check_inplace(value, kinds, fn.params, stmt.loc)
                    if value.prim in ir.STORES and not generated:
                        _check_store(value, views, fn.params, stmt.loc)
                    elif value.prim in VIEWS and kind.rank and isinstance(value.args[0], Var):
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
    return Analysis(kinds, frozenset(active))


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


def indices_in_bounds(fn: ir.Function, kinds: dict) -> bool:
    """Is every integer index of ``fn`` provably within its array?

    Indices are affine in loop variables, whose ranges come from the loop
    bounds, and array sizes come from the arrays' shapes (``len(x)``,
    ``x.shape[k]``, the sizes given to ``np.zeros``): enough for
    ``x[i + 1]`` with ``i in range(len(x) - 1)`` or ``out[i, j]`` with
    ``out = np.zeros((n, m))``.  Where this proves every index, the code is
    compiled without bounds checks (which cost up to a fifth of a tight
    loop's time); elsewhere Numba checks each index when the code runs.
    """
    values: dict = {}  # int name -> _Affine
    ranges: dict = {}  # loop index -> (lowest, highest) as _Affine
    storage: dict = {}  # array name -> the name whose shape it has
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
            above = (size(array, axis) + hi.scale(-1)).constant()
            if below is None or below < 0 or above is None or above < 1:
                return False
        return True

    mods: dict = {}  # name -> (lo, hi) of ``a % c`` with a >= 0

    def block(body) -> bool:
        for s in body:
            if isinstance(s, If):
                if not (block(s.body) and block(s.orelse)):
                    return False
                continue
            if isinstance(s, ir.Loop):
                for c in s.carried:  # an array the loop only writes into keeps its shape
                    if kinds.get(c.name, FLOAT).rank and isinstance(c.init, Var):
                        if ir.written_in_place(c, s.body):
                            storage[c.name] = c.init.name
                if s.index is not None:
                    step = s.step.value if isinstance(s.step, Const) else None
                    start, stop = affine(s.start), affine(s.stop)
                    if step is not None and start is not None and stop is not None:
                        last = stop + _const(-1 if step > 0 else 1)
                        ranges[s.index] = (start, last) if step > 0 else (last, start)
                if not (block(s.header) and block(s.body)):
                    return False
                continue
            value = s.value
            if not isinstance(value, Op):
                if isinstance(value, Var) and kinds.get(value.name, FLOAT).rank:
                    storage[s.target] = value.name
                elif kinds.get(s.target) == INT and (e := affine(value)) is not None:
                    values[s.target] = e
                continue
            prim, args, attrs = value.prim, value.args, dict(value.attrs)
            if prim == "getitem" or prim in ir.STORES:
                array = args[0] if prim == "getitem" else args[1]
                indices = args[1:] if prim == "getitem" else args[2:]
                if isinstance(array, Var) and not index_ok(array, attrs["index"], indices):
                    return False
                if prim != "getitem":
                    storage[s.target] = array.name
            elif prim in ("copy", "zeros_like", "ones_like") and isinstance(args[0], Var):
                storage[s.target] = args[0].name
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

    return block(fn.body)
