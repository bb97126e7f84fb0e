"""The index-bounds prover: is every integer index provably within its array?

An int value is tracked as an affine expression (``_Affine``) in symbols
that are unknown until the code runs: array sizes (``_Size``) and other
ints (``_Unknown``, loop indices among them, whose ranges come from their
loops).  An index is proven when its lowest value is at least 0 and the
size of its axis minus its highest value is at least 1, both as constants.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import ir
from ..ir import FLOAT, INT, Assign, Attrs, Const, If, Op, Take, Var
from ..primitives import PRIMITIVES


@dataclass(frozen=True, slots=True)
class _Unknown:
    """An int value known only when the code runs (a loop index, an argument)."""

    name: str


@dataclass(frozen=True, slots=True)
class _Size:
    """The size of ``array`` along ``axis``."""

    array: str
    axis: int


class _Affine(dict):
    """An int value as ``constant + sum(coefficient * symbol)``: symbols are
    ``_Size`` and ``_Unknown``; the key ``None`` holds the constant."""

    def __add__(self, other):
        out = _Affine(self)
        for symbol, coef in other.items():
            out[symbol] = out.get(symbol, 0) + coef
        return _Affine({symbol: coef for symbol, coef in out.items() if coef or symbol is None})

    def scale(self, factor):
        return _Affine({symbol: coef * factor for symbol, coef in self.items()})

    def constant(self):
        """The value if it is a known constant, else None."""
        return self.get(None, 0) if all(symbol is None for symbol in self) else None


def _const(value) -> _Affine:
    return _Affine({None: value})


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

    >>> from symdiff.ir import FLOAT, INT, Assign, Attrs, Const, Function, Kind, Loop, Op
    >>> from symdiff.ir import Take, Var
    >>> def reading(offset):  # n = x.shape[0]; for i in range(n): y = x[i + offset]
    ...     at = (Assign("k", Op("add", (Var("i"), Const(offset)))),)
    ...     read = Op("getitem", (Var("x"), Var("k")), Attrs(index=(Take(),)))
    ...     loop = Loop((), (*at, Assign("y", read)), "i", Const(0), Var("n"), Const(1))
    ...     size = Assign("n", Op("shape", (Var("x"),), Attrs(axis=0)))
    ...     return Function("f", ("x",), (size, loop), Const(0.0))
    >>> kinds = {"x": Kind("float", 1), "n": INT, "i": INT, "k": INT, "y": FLOAT}
    >>> indices_in_bounds(reading(0), kinds), indices_in_bounds(reading(1), kinds)
    (True, False)
    """
    return _BoundsProver(kinds, same_shape).block(fn.body)


class _BoundsProver:
    """What is known about ints and array sizes so far, in program order."""

    def __init__(self, kinds: dict, same_shape):
        self.kinds = kinds
        self.values: dict = {}  # int name -> _Affine
        self.ranges: dict = {}  # loop index -> (lowest, highest) as _Affine
        self.lower: dict = {}  # int name -> an _Affine it is at least (max(a, b) >= a)
        self.storage: dict = dict(same_shape or {})  # array name -> the name whose shape it has
        self.sizes: dict = {}  # (array, axis) -> _Affine
        self.mods: dict = {}  # name -> (lo, hi) of ``a % c`` with a >= 0
        self.trips: dict = {}  # iteration count of a loop that may stop early -> its trip count

    # -- statements ---------------------------------------------------------

    def block(self, body) -> bool:
        """Is every index in ``body`` proven?  Records what it learns on the way."""
        for stmt in body:
            if isinstance(stmt, If):
                proven = all(self.block(inner) for inner in ir.bodies(stmt))
            elif isinstance(stmt, ir.Loop):
                proven = self.loop(stmt)
            else:
                proven = self.assign(stmt)
            if not proven:
                return False
        return True

    def loop(self, stmt: ir.Loop) -> bool:
        for carry in stmt.carried:  # an array made from itself keeps its shape
            if self.kinds.get(carry.name, FLOAT).rank and isinstance(carry.init, Var):
                if ir.comes_back(carry, stmt.body, self.shaped_from):
                    self.storage[carry.name] = carry.init.name
        counts = self.enter(stmt)
        if not all(self.block(inner) for inner in ir.bodies(stmt)):
            return False
        for name, trip_count in counts.items():  # after the loop: at most that
            del self.values[name]
            self.trips[name] = trip_count
        return True

    def assign(self, stmt: Assign) -> bool:
        value = stmt.value
        if self.kinds.get(stmt.target, FLOAT).rank and (like := self.shaped_from(stmt)):
            if len({self.root(a.name) for a in like}) == 1:
                self.storage[stmt.target] = like[0].name
        if not isinstance(value, Op):
            if self.kinds.get(stmt.target) == INT and (expr := self.affine(value)) is not None:
                self.values[stmt.target] = expr
            return True
        prim, args, attrs = value.prim, value.args, value.attrs
        if prim == "getitem" or PRIMITIVES[prim].indexed:
            array = args[0] if prim == "getitem" else args[1]
            indices = args[1:] if prim == "getitem" else args[2:]
            return not isinstance(array, Var) or self.index_ok(array, attrs.index, indices)
        self.operation(stmt.target, prim, args, attrs)
        return True

    def operation(self, target: str, prim: str, args, attrs: Attrs):
        """Record what an operation other than an indexing tells about sizes and ints."""
        is_int = self.kinds.get(target) == INT
        if prim == "tape":
            self.tape_sizes(target, args, attrs)
        elif prim in ("outer", "matmul", "dot", "transpose"):
            self.product_sizes(target, prim, args, attrs)
        elif prim == "max" and is_int:
            known = [expr for expr in map(self.affine, args) if expr is not None]
            if known:  # the first: max(stop - start, 0), a tape's length
                self.lower[target] = known[0]
        elif prim in ("zeros", "ones"):
            for axis, size in enumerate(args):
                if (expr := self.affine(size)) is not None:
                    self.sizes[(target, axis)] = expr
        elif prim == "shape" and isinstance(args[0], Var):
            self.values[target] = self.size(args[0], attrs.axis % self.kinds[args[0].name].rank)
        elif prim in ("add", "sub") and is_int:
            left, right = self.affine(args[0]), self.affine(args[1])
            if left is not None and right is not None:
                self.values[target] = left + (right if prim == "add" else right.scale(-1))
        elif prim == "mod" and is_int and isinstance(args[1], Const):
            dividend = self.affine(args[0])
            low = self.interval(dividend)[0].constant() if dividend is not None else None
            if low is not None and low >= 0 and args[1].value > 0:
                self.mods[target] = (_const(0), _const(args[1].value - 1))

    # -- ints and sizes -----------------------------------------------------

    def affine(self, atom):
        """``atom`` as an ``_Affine``, or None (a float or bool constant)."""
        if isinstance(atom, Const):
            return _const(int(atom.value)) if isinstance(atom.value, int) else None
        return self.values.get(atom.name, _Affine({_Unknown(atom.name): 1}))

    def root(self, name):
        """The array whose shape ``name`` has, following ``storage``."""
        while name in self.storage:
            name = self.storage[name]
        return name

    def size(self, array: Var, axis: int) -> _Affine:
        name = self.root(array.name)
        return self.sizes.get((name, axis), _Affine({_Size(name, axis): 1}))

    def interval(self, expr: _Affine) -> tuple:
        """The lowest and highest values of ``expr`` over its loop indices' ranges."""
        lo, hi = _const(expr.get(None, 0)), _const(expr.get(None, 0))
        for symbol, coef in expr.items():
            if symbol is None:
                continue
            if isinstance(symbol, _Unknown) and symbol.name in self.ranges:
                first, last = self.ranges[symbol.name]
                lo = lo + (first if coef > 0 else last).scale(coef)
                hi = hi + (last if coef > 0 else first).scale(coef)
            else:
                term = _Affine({symbol: coef})
                lo, hi = lo + term, hi + term
        return lo, hi

    def lowest(self, expr: _Affine) -> _Affine:
        """A lower bound of ``expr``: each int known to be at least some value
        replaced by that value where it comes with a positive coefficient."""
        out = _Affine()
        for symbol, coef in expr.items():
            known = isinstance(symbol, _Unknown) and symbol.name in self.lower and coef > 0
            out = out + (self.lower[symbol.name].scale(coef) if known else _Affine({symbol: coef}))
        return out

    def index_ok(self, array: Var, pattern, indices) -> bool:
        """Is each integer index of ``array[pattern]`` proven within its axis?"""
        operands = iter(indices)
        for axis, item in enumerate(pattern):
            if not isinstance(item, Take):
                for given in item.bounds():
                    if given:
                        next(operands)
                continue
            interval = self.index_interval(next(operands))
            if interval is None:
                return False
            lo, hi = interval
            below = lo.constant()
            above = self.lowest(self.size(array, axis) + hi.scale(-1)).constant()
            if below is None or below < 0 or above is None or above < 1:
                return False
        return True

    def index_interval(self, atom):
        """The lowest and highest values of an index, or None if unknown."""
        if isinstance(atom, Var) and atom.name in self.mods:
            return self.mods[atom.name]
        expr = self.affine(atom)
        return None if expr is None else self.interval(expr)

    # -- loops --------------------------------------------------------------

    def counters(self, loop: ir.Loop) -> list:
        """The ints that count a for loop's iterations (``n = 0`` before
        it, ``n = n + 1`` in every iteration): at most its trip count after
        it, when it has run at all (it may stop early: ``break``)."""
        defined = {st.target: st.value for st in loop.body if isinstance(st, Assign)}
        names = []
        for carry in loop.carried:
            step = defined.get(carry.next.name) if isinstance(carry.next, Var) else None
            if (
                carry.init == Const(0)
                and self.kinds.get(carry.name) == INT
                and isinstance(step, Op)
            ):
                if step.prim == "add" and set(step.args) == {Var(carry.name), Const(1)}:
                    names.append(carry.name)
        return names

    def within_trips(self, lo: _Affine, hi: _Affine) -> _Affine:
        """``hi`` of a loop over ``[lo, hi]``, which runs only if ``hi >= lo``:
        where ``hi = n + c`` for a count ``n`` that this makes at least 1,
        ``n`` is at most its loop's trip count."""
        symbols = [symbol for symbol in hi if symbol is not None]
        if len(symbols) != 1 or not isinstance(symbols[0], _Unknown) or hi[symbols[0]] != 1:
            return hi
        count, offset = symbols[0].name, hi.get(None, 0)
        low = lo.constant()
        if count not in self.trips or low is None or low - offset < 1:
            return hi
        return self.trips[count] + _const(offset)

    def enter(self, loop: ir.Loop) -> dict:
        """Set the range of a for loop's index (and the value of each int
        counting its iterations, inside it); its counts -> its trip count."""
        if loop.index is None or not isinstance(loop.step, Const):
            return {}
        step, start, stop = loop.step.value, self.affine(loop.start), self.affine(loop.stop)
        if start is None or stop is None:
            return {}
        last = stop + _const(-1 if step > 0 else 1)
        lo, hi = (start, last) if step > 0 else (last, start)
        self.ranges[loop.index] = (lo, self.within_trips(lo, hi))
        if step not in (1, -1):
            return {}
        number = (_Affine({_Unknown(loop.index): 1}) + start.scale(-1)).scale(step)
        counts = self.counters(loop)
        self.values.update((name, number) for name in counts)
        return {name: (stop + start.scale(-1)).scale(step) for name in counts}

    # -- shapes -------------------------------------------------------------

    def shaped_from(self, stmt: Assign):
        """The arrays that ``stmt``'s array result has the shape of (each of
        them), or None."""
        value = stmt.value
        if isinstance(value, Var):
            return [value] if self.kinds.get(value.name, FLOAT).rank else None
        if not isinstance(value, Op):
            return None
        if (position := PRIMITIVES[value.prim].shaped_like) is not None:
            like = value.args[position]
            return [like] if isinstance(like, Var) else None
        rank = self.kinds.get(stmt.target, FLOAT).rank
        if PRIMITIVES[value.prim].elementwise and rank:  # broadcasting: its full-rank operands
            return [
                a
                for a in value.args
                if isinstance(a, Var) and self.kinds.get(a.name, FLOAT).rank == rank
            ]
        return None

    def tape_sizes(self, tape, args, attrs):
        """A tape's sizes: its length, then those of ``like`` (or of the
        axes of ``like`` that ``select`` does not index)."""
        length, like = args
        if (expr := self.affine(length)) is not None:
            self.sizes[(tape, 0)] = expr
        if not isinstance(like, Var):
            return
        select = attrs.select or ()
        rank = self.kinds[like.name].rank
        kept = [a for a in range(rank) if a >= len(select) or not isinstance(select[a], Take)]
        for axis, like_axis in enumerate(kept, start=1):
            self.sizes[(tape, axis)] = self.size(like, like_axis)

    def product_sizes(self, target, prim, args, attrs):
        """The sizes of a matrix product, an outer product or a transpose:
        the outer axes of its operands."""
        if not all(isinstance(a, Var) for a in args):
            return
        ranks = [self.kinds[a.name].rank for a in args]
        if prim == "transpose":
            order = attrs.axes if attrs.axes is not None else reversed(range(ranks[0]))
            axes = [(args[0], a) for a in order]
        elif prim == "outer":
            axes = [(args[0], 0), (args[1], 0)] if ranks == [1, 1] else []
        else:  # the last axis of the first meets the first axis of the second
            axes = [(args[0], a) for a in range(ranks[0] - 1)]
            axes += [(args[1], a) for a in range(1, ranks[1])]
            axes = axes if 0 < min(ranks) <= max(ranks) <= 2 else []
        for axis, (array, array_axis) in enumerate(axes):
            self.sizes[(target, axis)] = self.size(array, array_axis)
