"""THE table of primitives.

One row per primitive: its arity, how code generation spells it on scalars
and on arrays, how to evaluate it on Python numbers (constant folding), its
SymPy counterpart (the independent reference of ``verify``), the kind of its
result, and its derivative rule.

Two kinds of derivative rules:

* Elementwise primitives give their partial derivatives, written as the
  mathematics is (``sin: lambda x, ans: (cos(x),)``).  Each receives the
  operands and the result ``ans`` as ``E`` expressions.  Forward mode
  computes ``dy = sum_i partial_i * dx_i``; reverse mode
  ``x_i_bar += sum_to(y_bar * partial_i, x_i)``, summing over the axes along
  which ``x_i`` was broadcast.  ``None`` marks a partial that is zero
  wherever it is defined (``//``), so no code is generated for it.
* Structural array primitives (``dot``, reductions, indexing, reshaping)
  give an explicit ``jvp(tangents, *args, ans, attrs)`` and
  ``vjp(g, *args, ans, attrs)``; ``tangents`` holds ``None`` for operands
  that are not differentiated.

Conventions at non-differentiable points (tested in ``tests/test_primitives.py``):

* ``abs``/``fabs``: derivative ``sign(x)``, 0 at ``x == 0``.
* ``max``/``min`` (and ``np.maximum``/``np.minimum``, and the reductions
  ``np.max``/``np.min``) with tied operands: the derivative is split equally,
  so ``max(x, x)`` has derivative 1 and ``max(x, 0.0)`` has 0.5 at 0.
* ``sqrt`` at 0: ``inf``.  ``copysign(x, y)``: ``sign(x) * copysign(1, y)``.
* ``//`` has derivative 0; ``x % y`` has ``1`` and ``-(x // y)``.
* ``x ** y``: ``d/dx`` is ``y * x ** (y - 1)``, and 0 for ``y == 0`` (also at
  ``x == 0``, where the formula is ``0 * inf``); ``d/dy`` is ``x ** y * log(x)``
  (``x`` must be positive, as for real powers), and 0 at ``x == 0`` (JAX's
  convention: ``0 ** y`` is 0 for ``y > 0``).
* ``hypot`` and ``atan2`` at the origin: 0 (as ``abs`` at 0).
* Compositions are differentiated by the chain rule, term by term: where a
  term is ``0 * inf`` the result is ``nan`` (``x * log(x)`` at 0), as in
  every AD system; rewrite the expression where it matters.
* ``np.clip(x, lo, hi)``: derivative 1 inside ``[lo, hi]`` (bounds included).
* ``np.prod``: the product of the other elements (exact where elements are 0).
"""

from __future__ import annotations

import ast
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..ir import FLOAT, INT, Const, Kind, Op, Var, kind_of_states


def _sympy():
    """SymPy, imported when first needed (checking), not with symdiff."""
    import sympy

    return sympy


def _sym(name):
    """SymPy's function ``name``, looked up when called."""
    return lambda *args: getattr(_sympy(), name)(*args)


# ---------------------------------------------------------------------------
# Expressions for writing rules: E wraps an IR expression tree.


class E:
    """An expression under construction (an atom or a nested ``Op``)."""

    __slots__ = ("node",)

    def __init__(self, node):
        self.node = node

    def __add__(self, other):
        return op("add", self, other)

    def __radd__(self, other):
        return op("add", other, self)

    def __sub__(self, other):
        return op("sub", self, other)

    def __rsub__(self, other):
        return op("sub", other, self)

    def __mul__(self, other):
        return op("mul", self, other)

    def __rmul__(self, other):
        return op("mul", other, self)

    def __truediv__(self, other):
        return op("div", self, other)

    def __rtruediv__(self, other):
        return op("div", other, self)

    def __pow__(self, other):
        return op("pow", self, other)

    def __floordiv__(self, other):
        return op("floordiv", self, other)

    def __neg__(self):
        return op("neg", self)

    def __gt__(self, other):
        return op("gt", self, other)

    def __lt__(self, other):
        return op("lt", self, other)

    def eq(self, other):
        return op("eq", self, other)


def lift(value) -> E:
    if isinstance(value, E):
        return value
    if isinstance(value, (Var, Const, Op)):
        return E(value)
    return E(Const(value))


def op(prim, *args, attrs=()) -> E:
    """``prim`` applied to ``args`` (E, atoms or numbers); ``attrs`` static."""
    return E(Op(prim, tuple(lift(a).node for a in args), tuple(attrs)))


def _fn(prim):
    return lambda *args: op(prim, *args)


sin, cos, exp, log, sqrt, sign = map(_fn, ("sin", "cos", "exp", "log", "sqrt", "sign"))
sinh, cosh, copysign, where = map(_fn, ("sinh", "cosh", "copysign", "where"))
dot, outer, transpose = map(_fn, ("dot", "outer", "transpose"))


def _tie(a, b):
    """d max(a, b) / da: 1 where a wins, 0.5 on a tie, 0 where b wins.

    Written with comparisons (bools count as 0/1) rather than ``where`` so that
    Numba fuses it with the surrounding elementwise arithmetic."""
    return (a > b) + 0.5 * a.eq(b)


def _zero_where(cond, value):
    """``value``, but 0 where ``cond``: for a partial whose formula is 0 * inf
    or 0 / 0 at points where the derivative is 0 (or 0 by convention)."""
    return where(cond, 0.0, value)


def _pow_partials(x, y, ans):
    """``y * x ** (y - 1)``, 0 for ``y == 0`` (``x ** 0`` is 1, also at 0);
    ``x ** y * log(x)``, 0 for ``x == 0`` (as JAX: ``0 ** y`` is 0 for y > 0)."""
    return (_zero_where(y.eq(0.0), y * x ** (y - 1)), _zero_where(x.eq(0.0), ans * log(x)))


def _atan2_partials(y, x, ans):
    """0 at the origin, where atan2 jumps (as ``abs`` has 0 at 0)."""
    r2 = x**2 + y**2
    return (_zero_where(r2.eq(0.0), x / r2), _zero_where(r2.eq(0.0), -y / r2))


def _hypot_partials(x, y, ans):
    """``x / hypot``: 0 at the origin, as ``abs`` (``hypot(x, 0)``) has 0 at 0."""
    return (_zero_where(ans.eq(0.0), x / ans), _zero_where(ans.eq(0.0), y / ans))


# ---------------------------------------------------------------------------
# Kinds of results.


class RankError(ValueError):
    """An operation applied to values of ranks it does not accept."""


def broadcast(kinds) -> Kind:
    """The kind of an elementwise result: NumPy broadcasting of the operands.

    An axis of the result has size 1 when every operand that has it has size
    1 there; it has full size when any operand has full size there; otherwise
    it may have size 1.
    """
    rank = max(k.rank for k in kinds)
    states = []
    for axis in range(rank):
        own = [k.state(axis - (rank - k.rank)) for k in kinds if axis >= rank - k.rank]
        states.append(":" if ":" in own else "1" if all(s == "1" for s in own) else "?")
    dtype = "float" if any(k.dtype == "float" for k in kinds) else "int"
    return kind_of_states(dtype, states)


def _size_state(atom) -> str:
    """The state of an axis whose size is ``atom``: a literal 1, another
    literal, or a size known only when the code runs."""
    if isinstance(atom, Const):
        return "1" if atom.value == 1 else ":" if atom.value > 1 else "?"
    return "?"


def _states(k: Kind):
    return [k.state(a) for a in range(k.rank)]


def _join(kinds, atoms, attrs):
    return broadcast(kinds)


def _float(kinds, atoms, attrs):
    return _with_dtype(broadcast(kinds), "float")


def _bool(kinds, atoms, attrs):
    return _with_dtype(broadcast(kinds), "bool")


def _with_dtype(k: Kind, dtype: str) -> Kind:
    return Kind(dtype, k.rank, k.unit, k.maybe)


def _pow_kind(kinds, atoms, attrs):
    k = broadcast(kinds)
    exponent = atoms[1]
    if k.dtype == "int" and isinstance(exponent, Const) and exponent.value >= 0:
        return k
    return _with_dtype(k, "float")


def _where_kind(kinds, atoms, attrs):
    k = broadcast(kinds)
    dtype = "float" if any(x.dtype == "float" for x in kinds[1:]) else kinds[1].dtype
    return _with_dtype(k, dtype)


def _dot_kind(kinds, atoms, attrs):
    a, b = kinds[0], kinds[1]
    if a.rank == 0 or b.rank == 0:
        raise RankError("a matrix product needs arrays, not scalars (use * for scaling)")
    if a.rank > 2 or b.rank > 2:
        raise RankError(f"matrix products of rank-{max(a.rank, b.rank)} arrays are not supported")
    states = _states(a)[:-1] + _states(b)[1:] if b.rank == 2 else _states(a)[:-1]
    if a.rank == 1:
        states = _states(b)[1:]
    dtype = "float" if FLOAT.dtype in (a.dtype, b.dtype) else "int"
    return kind_of_states(dtype, states)


def _same_as(index):
    def rule(kinds, atoms, attrs):
        k = kinds[index]
        return _with_dtype(k, "float" if k.dtype == "bool" else k.dtype)

    return rule


def _float_like(index):
    def rule(kinds, atoms, attrs):
        return _with_dtype(kinds[index], "float")

    return rule


def _transpose_kind(kinds, atoms, attrs):
    k = kinds[0]
    return kind_of_states(k.dtype, reversed(_states(k)))


def _reshape_kind(kinds, atoms, attrs):
    if kinds[0].rank == 0:
        raise RankError("reshape needs an array")
    if any(k.rank or k.dtype != "int" for k in kinds[1:]):
        raise RankError("a shape is a tuple of ints")
    return kind_of_states(kinds[0].dtype, [_size_state(a) for a in atoms[1:]])


def normalize_axis(axis, rank):
    if axis is None:
        return None
    if not -rank <= axis < rank:
        raise RankError(f"axis {axis} is out of range for an array of rank {rank}")
    return axis % rank


def _reduce_kind(kinds, atoms, attrs):
    k = kinds[0]
    a = dict(attrs)
    axis, keepdims = normalize_axis(a.get("axis"), max(k.rank, 1)), a.get("keepdims", False)
    dtype = "float" if k.dtype == "float" else "int"
    if k.rank == 0:
        raise RankError("reductions need an array")

    if axis is None:
        return kind_of_states(dtype, ["1"] * k.rank if keepdims else [])
    states = _states(k)
    if keepdims:
        states[axis] = "1"
    else:
        del states[axis]
    return kind_of_states(dtype, states)


def _reduce_kind_2d(kinds, atoms, attrs):
    """Reductions written out for Numba along an axis of 2-d arrays only."""
    if dict(attrs).get("axis") is not None and kinds[0].rank > 2:
        raise RankError(
            f"max, min and prod along an axis of a rank-{kinds[0].rank} array are not "
            "supported (reshape to 2-d first, or reduce over all axes)"
        )
    return _reduce_kind(kinds, atoms, attrs)


def _expand_kind(kinds, atoms, attrs):
    k = kinds[0]
    if k.rank == 0:  # a scalar broadcasts as it is
        return k
    axis = dict(attrs)["axis"] % (k.rank + 1)
    states = _states(k)
    states.insert(axis, "1")
    return kind_of_states(k.dtype, states)


def _outer_kind(kinds, atoms, attrs):
    if kinds[0].rank != 1 or kinds[1].rank != 1:
        raise RankError("np.outer takes two rank-1 arrays")
    return kind_of_states("float", _states(kinds[0]) + _states(kinds[1]))


def index_rank(pattern) -> int:
    """How many axes an index pattern removes (one per integer index)."""
    return sum(1 for item in pattern if item[0] == "i")


def _getitem_kind(kinds, atoms, attrs):
    k = kinds[0]
    pattern = dict(attrs)["index"]
    if len(pattern) > k.rank:
        raise RankError(
            f"too many indices: {len(pattern)} index item(s) for a value of rank {k.rank}"
        )
    if any(x.rank or x.dtype == "float" for x in kinds[1:]):
        raise RankError("indices must be ints (or slices of ints)")
    dtype = "float" if k.dtype == "float" else k.dtype
    states = []
    for axis, state in enumerate(_states(k)):
        item = pattern[axis] if axis < len(pattern) else ("s", False, False, False)
        if item[0] == "i":
            continue
        whole = item == ("s", False, False, False)
        # A slice may have size 1, or 0 (x[1:2] of an axis of size 1, which
        # then broadcasts like any size but 1).
        states.append(state if whole else "?")
    return kind_of_states(dtype, states)


def _shape_kind(kinds, atoms, attrs):
    axis = dict(attrs).get("axis")
    if kinds[0].rank == 0:
        raise RankError("a scalar has no shape")
    if axis is not None:
        normalize_axis(axis, kinds[0].rank)
    return INT


def _create_kind(kinds, atoms, attrs):
    if any(k.rank or k.dtype != "int" for k in kinds):
        raise RankError("array sizes must be ints")
    return kind_of_states("float", [_size_state(a) for a in atoms])


def _eye_kind(kinds, atoms, attrs):
    if kinds[0].rank or kinds[0].dtype != "int":
        raise RankError("np.eye takes an int")
    return kind_of_states("float", [_size_state(atoms[0])] * 2)


def _sum_to_kind(kinds, atoms, attrs):
    """``g`` summed to the shape of ``x``: along each axis, size 1 where either
    has size 1 (``g`` itself may be smaller than ``x``), else ``g``'s size."""
    g, x = kinds
    if g.rank < x.rank:  # a smaller adjoint broadcasts as it is
        return _with_dtype(g, "float")
    offset = g.rank - x.rank
    states = []
    for axis in range(x.rank):
        own, wanted = g.state(axis + offset), x.state(axis)
        states.append("1" if "1" in (own, wanted) else own if wanted == ":" else "?")
    return kind_of_states("float", states)


def _stack_kind(kinds, atoms, attrs):
    if any(k.rank for k in kinds):
        raise RankError("np.array([...]) takes scalars")
    dtype = "float" if any(k.dtype == "float" for k in kinds) else "int"
    return kind_of_states(dtype, ["1" if len(kinds) == 1 else ":"])


# ---------------------------------------------------------------------------
# The table.


@dataclass(frozen=True, slots=True)
class Primitive:
    name: str
    arity: int  # -1: any number of operands
    spelling: tuple  # scalars: ("call", "math.sin") | ("binop", ast.Add) | ("special",) ...
    array: str | None  # arrays: "np.sin", "op" (same operator), "special", None (unsupported)
    evaluate: Callable | None
    sympy: Callable | None
    partials: Callable | None = None  # elementwise: (*args, ans) -> partials
    jvp: Callable | None = None  # structural: (tangents, *args, ans, attrs) -> E
    vjp: Callable | None = None  # structural: (g, *args, ans, attrs) -> adjoints
    kind: Callable = _join  # (kinds, atoms, attrs) -> Kind
    commutative: bool = False
    differentiable: bool = True  # False: the result never depends on the inputs' values
    elementwise: bool = True  # broadcasts its operands (their adjoints are summed back)
    full_adjoint: bool = True  # its vjp needs the adjoint in the result's full shape


PRIMITIVES: dict[str, Primitive] = {}


def _row(name, arity, spelling, array, evaluate, sympy, partials=None, **options):
    PRIMITIVES[name] = Primitive(name, arity, spelling, array, evaluate, sympy, partials, **options)


def _sign(x):
    return (x > 0) - (x < 0) if x == x else x


def _ieee_div(a, b):
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


C, B, U, CMP = "call", "binop", "unary", "compare"

# fmt: off
# Arithmetic.
_row("add", 2, (B, ast.Add), "op", lambda a, b: a + b, lambda a, b: a + b, lambda x, y, ans: (1.0, 1.0), commutative=True)
_row("sub", 2, (B, ast.Sub), "op", lambda a, b: a - b, lambda a, b: a - b, lambda x, y, ans: (1.0, -1.0))
_row("mul", 2, (B, ast.Mult), "op", lambda a, b: a * b, lambda a, b: a * b, lambda x, y, ans: (y, x), commutative=True)
_row("div", 2, (B, ast.Div), "op", _ieee_div, lambda a, b: a / b, lambda x, y, ans: (1.0 / y, -ans * (1.0 / y)), kind=_float)
_row("pow", 2, (B, ast.Pow), "op", lambda a, b: a**b, lambda a, b: a**b, _pow_partials, kind=_pow_kind)
_row("floordiv", 2, (B, ast.FloorDiv), "op", lambda a, b: a // b, lambda a, b: _sympy().floor(a / b), lambda x, y, ans: (None, None), differentiable=False)
_row("mod", 2, (B, ast.Mod), "op", lambda a, b: a % b, lambda a, b: _sympy().Mod(a, b), lambda x, y, ans: (1.0, -(x // y)))
_row("neg", 1, (U, ast.USub), "op", lambda a: -a, lambda a: -a, lambda x, ans: (-1.0,))

# Comparisons and logic: bool results, never differentiated.
_row("lt", 2, (CMP, ast.Lt), "op", lambda a, b: a < b, _sym("Lt"), kind=_bool, differentiable=False)
_row("le", 2, (CMP, ast.LtE), "op", lambda a, b: a <= b, _sym("Le"), kind=_bool, differentiable=False)
_row("gt", 2, (CMP, ast.Gt), "op", lambda a, b: a > b, _sym("Gt"), kind=_bool, differentiable=False)
_row("ge", 2, (CMP, ast.GtE), "op", lambda a, b: a >= b, _sym("Ge"), kind=_bool, differentiable=False)
_row("eq", 2, (CMP, ast.Eq), "op", lambda a, b: a == b, _sym("Eq"), kind=_bool, differentiable=False)
_row("ne", 2, (CMP, ast.NotEq), "op", lambda a, b: a != b, _sym("Ne"), kind=_bool, differentiable=False)
_row("not", 1, (U, ast.Not), "np.logical_not", lambda a: not a, _sym("Not"), kind=_bool, differentiable=False)

# Elementary functions.
_row("sin", 1, (C, "math.sin"), "np.sin", math.sin, _sym("sin"), lambda x, ans: (cos(x),), kind=_float)
_row("cos", 1, (C, "math.cos"), "np.cos", math.cos, _sym("cos"), lambda x, ans: (-sin(x),), kind=_float)
_row("tan", 1, (C, "math.tan"), "np.tan", math.tan, _sym("tan"), lambda x, ans: (1.0 + ans**2,), kind=_float)
_row("asin", 1, (C, "math.asin"), "np.arcsin", math.asin, _sym("asin"), lambda x, ans: (1.0 / sqrt(1.0 - x**2),), kind=_float)
_row("acos", 1, (C, "math.acos"), "np.arccos", math.acos, _sym("acos"), lambda x, ans: (-1.0 / sqrt(1.0 - x**2),), kind=_float)
_row("atan", 1, (C, "math.atan"), "np.arctan", math.atan, _sym("atan"), lambda x, ans: (1.0 / (1.0 + x**2),), kind=_float)
_row("atan2", 2, (C, "math.atan2"), "np.arctan2", math.atan2, _sym("atan2"), _atan2_partials, kind=_float)
_row("sinh", 1, (C, "math.sinh"), "np.sinh", math.sinh, _sym("sinh"), lambda x, ans: (cosh(x),), kind=_float)
_row("cosh", 1, (C, "math.cosh"), "np.cosh", math.cosh, _sym("cosh"), lambda x, ans: (sinh(x),), kind=_float)
_row("tanh", 1, (C, "math.tanh"), "np.tanh", math.tanh, _sym("tanh"), lambda x, ans: (1.0 - ans**2,), kind=_float)
_row("asinh", 1, (C, "math.asinh"), "np.arcsinh", math.asinh, _sym("asinh"), lambda x, ans: (1.0 / sqrt(x**2 + 1.0),), kind=_float)
_row("acosh", 1, (C, "math.acosh"), "np.arccosh", math.acosh, _sym("acosh"), lambda x, ans: (1.0 / sqrt(x**2 - 1.0),), kind=_float)
_row("atanh", 1, (C, "math.atanh"), "np.arctanh", math.atanh, _sym("atanh"), lambda x, ans: (1.0 / (1.0 - x**2),), kind=_float)
_row("exp", 1, (C, "math.exp"), "np.exp", math.exp, _sym("exp"), lambda x, ans: (ans,), kind=_float)
_row("expm1", 1, (C, "math.expm1"), "np.expm1", math.expm1, lambda a: _sympy().exp(a) - 1, lambda x, ans: (ans + 1.0,), kind=_float)
_row("log", 1, (C, "math.log"), "np.log", math.log, _sym("log"), lambda x, ans: (1.0 / x,), kind=_float)
_row("log1p", 1, (C, "math.log1p"), "np.log1p", math.log1p, lambda a: _sympy().log(1 + a), lambda x, ans: (1.0 / (1.0 + x),), kind=_float)
_row("log2", 1, (C, "math.log2"), "np.log2", math.log2, lambda a: _sympy().log(a, 2), lambda x, ans: (1.0 / (x * math.log(2.0)),), kind=_float)
_row("log10", 1, (C, "math.log10"), "np.log10", math.log10, lambda a: _sympy().log(a, 10), lambda x, ans: (1.0 / (x * math.log(10.0)),), kind=_float)
_row("sqrt", 1, (C, "math.sqrt"), "np.sqrt", math.sqrt, _sym("sqrt"), lambda x, ans: (0.5 / ans,), kind=_float)
_row("hypot", 2, (C, "math.hypot"), "np.hypot", math.hypot, lambda a, b: _sympy().sqrt(a**2 + b**2), _hypot_partials, kind=_float)
_row("erf", 1, (C, "math.erf"), "special", math.erf, _sym("erf"), lambda x, ans: (2.0 / math.sqrt(math.pi) * exp(-(x**2)),), kind=_float)
_row("erfc", 1, (C, "math.erfc"), "special", math.erfc, _sym("erfc"), lambda x, ans: (-2.0 / math.sqrt(math.pi) * exp(-(x**2)),), kind=_float)
_row("abs", 1, (C, "abs"), "np.abs", abs, _sym("Abs"), lambda x, ans: (sign(x),))
_row("sign", 1, (C, "np.sign"), "np.sign", _sign, _sym("sign"), lambda x, ans: (None,), differentiable=False)
_row("copysign", 2, (C, "math.copysign"), "np.copysign", math.copysign, lambda a, b: _sympy().Abs(a) * _sympy().sign(b), lambda x, y, ans: (sign(x) * copysign(1.0, y), None), kind=_float)
_row("max", 2, (C, "max"), "np.maximum", max, _sym("Max"), lambda x, y, ans: (_tie(x, y), _tie(y, x)), commutative=True)
_row("min", 2, (C, "min"), "np.minimum", min, _sym("Min"), lambda x, y, ans: (_tie(y, x), _tie(x, y)), commutative=True)
_row("clip", 3, ("special",), "np.clip", lambda x, lo, hi: min(max(x, lo), hi), lambda x, lo, hi: _sympy().Min(_sympy().Max(x, lo), hi),
     lambda x, lo, hi, ans: (where(x < lo, 0.0, where(x > hi, 0.0, 1.0)), where(x < lo, 1.0, 0.0), where(x > hi, 1.0, 0.0)))
# fmt: on


# Selection: both operands are computed (NumPy semantics); the adjoint goes
# to the selected side only, masked after multiplying (no nan from the other).
def _where_jvp(tangents, c, a, b, ans, attrs):
    _, ta, tb = tangents
    return where(c, ta if ta is not None else 0.0, tb if tb is not None else 0.0)


def _where_vjp(g, c, a, b, ans, attrs, ranks):
    return (None, where(c, g, 0.0), where(c, 0.0, g))


_row(
    "where", 3, ("where",), "np.where", lambda c, a, b: a if c else b,
    lambda c, a, b: _sympy().Piecewise((a, c), (b, True)),
    jvp=_where_jvp, vjp=_where_vjp, kind=_where_kind,
)  # fmt: skip


# ---------------------------------------------------------------------------
# Structural array primitives.


def _linear_jvp(name):
    """The JVP of an operation linear in each operand: sum over operands."""

    def jvp(tangents, *rest):
        args, attrs = rest[:-2], rest[-1]
        total = None
        for i, t in enumerate(tangents):
            if t is None:
                continue
            operands = list(args)
            operands[i] = t
            term = op(name, *operands, attrs=attrs)
            total = term if total is None else total + term
        return total

    return jvp


def _dot_vjp(name):
    def vjp(g, a, b, ans, attrs, ranks):
        ra, rb = ranks
        product = (lambda u, v: op(name, u, v)) if name == "matmul" else dot
        if ra == 1 and rb == 1:
            return g * b, g * a
        if ra == 2 and rb == 1:
            return outer(g, b), product(transpose(a), g)
        if ra == 1 and rb == 2:
            return product(b, g), outer(a, g)
        return product(g, transpose(b)), product(transpose(a), g)

    return vjp


def _reduce_attrs(attrs):
    return dict(attrs).get("axis"), dict(attrs).get("keepdims", False)


def _expand(g, x, attrs):
    """A reduction's result ``g`` made broadcastable against the reduced ``x``:
    the reduced axis put back (size 1) unless ``keepdims`` kept it."""
    axis, keepdims = _reduce_attrs(attrs)
    if axis is None or keepdims:
        return g
    return op("expand_dims", g, attrs=(("axis", axis),))


def _max_mask(x, ans, attrs):
    """1 where x attains the max (ties share it equally), over the reduced axes."""
    hits = where(x.eq(_expand(ans, x, attrs)), 1.0, 0.0)
    return hits / _expand(op("sum", hits, attrs=attrs), x, attrs)


def _max_jvp(tangents, x, ans, attrs):
    return op("sum", _max_mask(x, ans, attrs) * tangents[0], attrs=attrs)


def _max_vjp(g, x, ans, attrs, ranks):
    return (_expand(g, x, attrs) * _max_mask(x, ans, attrs),)


def _prod_others(x, attrs):
    """d prod / d x_i: the product of the other elements (over the reduced
    axes), computed without dividing by x_i, so exact where elements are 0."""
    axis, _ = _reduce_attrs(attrs)
    return op("prod_others", x, attrs=(("axis", axis),))


def _prod_jvp(tangents, x, ans, attrs):
    return op("sum", _prod_others(x, attrs) * tangents[0], attrs=attrs)


def _prod_vjp(g, x, ans, attrs, ranks):
    return (_expand(g, x, attrs) * _prod_others(x, attrs),)


def _sum_vjp(g, x, ans, attrs, ranks):
    return (_expand(g, x, attrs),)


def _index_vjp(g, x, *rest):
    indices, attrs = rest[:-3], rest[-2]
    return (op("scatter", g, x, *indices, attrs=attrs),) + (None,) * len(indices)


def _index_jvp(tangents, x, *rest):
    indices, attrs = rest[:-2], rest[-1]
    return op("getitem", tangents[0], *indices, attrs=attrs)


def _store_kind(kinds, atoms, attrs):
    """``a[index] = v``: the kind of ``a``; ``v`` must fit the selection."""
    value, array = kinds[0], kinds[1]
    selected = _getitem_kind(kinds[1:], atoms[1:], attrs)
    if value.rank > selected.rank:
        raise RankError(
            f"cannot store a rank-{value.rank} value into a selection of rank {selected.rank}"
        )
    if array.dtype != "float" and value.dtype == "float":
        raise RankError("storing a float into an int or bool array would truncate it")
    return array


def _selected(g, v, indices, attrs, ranks):
    """The part of ``g`` at the index, summed to ``v``'s shape if ``v`` was broadcast."""
    part = op("getitem", g, *indices, attrs=attrs)
    selected_rank = ranks[1] - index_rank(dict(attrs)["index"])
    if ranks[0] < selected_rank:
        return op("sum_to", part, v)
    # A row or slice of g is a view: copied, as g is cleared or added to in place.
    return op("copy", part) if selected_rank else part


def _setitem_vjp(g, v, a, *rest):
    indices, attrs, ranks = rest[:-3], rest[-2], rest[-1]
    cleared = op("setitem", 0.0, g, *indices, attrs=attrs)
    return (_selected(g, v, indices, attrs, ranks), cleared) + (None,) * len(indices)


def _setitem_jvp(tangents, v, a, *rest):
    indices, attrs = rest[:-2], rest[-1]
    tv, ta = tangents[0], tangents[1]
    base = ta if ta is not None else op("zeros_like", a)
    return op("setitem", tv if tv is not None else 0.0, base, *indices, attrs=attrs)


def _additem_vjp(g, v, a, *rest):
    indices, attrs, ranks = rest[:-3], rest[-2], rest[-1]
    return (_selected(g, v, indices, attrs, ranks), g) + (None,) * len(indices)


def _additem_jvp(tangents, v, a, *rest):
    indices, attrs = rest[:-2], rest[-1]
    tv, ta = tangents[0], tangents[1]
    if tv is None:
        return ta
    base = ta if ta is not None else op("zeros_like", a)
    return op("additem", tv, base, *indices, attrs=attrs)


def tape_kind(k: Kind) -> Kind:
    """A tape of values of kind ``k``: one more (leading) axis."""
    return Kind(k.dtype, k.rank + 1, tuple(a + 1 for a in k.unit), tuple(a + 1 for a in k.maybe))


def _tape_kind(kinds, atoms, attrs):
    """A tape of n entries like ``like``, or like ``like[select]`` (a pattern
    of indices and whole slices: the part a loop reads of an array)."""
    like = kinds[1]
    if "select" in dict(attrs):
        like = _getitem_kind([like], atoms[1:], (("index", dict(attrs)["select"]),))
    return tape_kind(_with_dtype(like, dict(attrs)["dtype"]))


def _reshape_jvp(tangents, x, *rest):
    shape, attrs = rest[:-2], rest[-1]
    return op("reshape", tangents[0], *shape, attrs=attrs)


def _reshape_vjp(g, x, *rest):
    shape = rest[:-3]
    return (op("reshape_like", g, x),) + (None,) * len(shape)


S = ("special",)
# fmt: off
_row("dot", 2, S, "special", np.dot, None, jvp=_linear_jvp("dot"), vjp=_dot_vjp("dot"), kind=_dot_kind, elementwise=False)
_row("matmul", 2, (B, ast.MatMult), "op", np.matmul, None, jvp=_linear_jvp("matmul"), vjp=_dot_vjp("matmul"), kind=_dot_kind, elementwise=False)
_row("outer", 2, S, "special", np.outer, None, jvp=_linear_jvp("outer"),
     vjp=lambda g, a, b, ans, attrs, ranks: (dot(g, b), dot(transpose(g), a)), kind=_outer_kind, elementwise=False)
_row("transpose", 1, S, "special", np.transpose, None, jvp=_linear_jvp("transpose"),
     vjp=lambda g, x, ans, attrs, ranks: (transpose(g),), kind=_transpose_kind, elementwise=False)
_row("reshape", -1, S, "special", None, None, jvp=_reshape_jvp, vjp=_reshape_vjp, kind=_reshape_kind, elementwise=False)
_row("sum", 1, S, "special", None, None, full_adjoint=False, jvp=_linear_jvp("sum"), vjp=_sum_vjp, kind=_reduce_kind, elementwise=False)
_row("amax", 1, S, "special", None, None, full_adjoint=False, jvp=_max_jvp, vjp=_max_vjp, kind=_reduce_kind_2d, elementwise=False)
_row("amin", 1, S, "special", None, None, full_adjoint=False, jvp=_max_jvp, vjp=_max_vjp, kind=_reduce_kind_2d, elementwise=False)
_row("prod", 1, S, "special", None, None, full_adjoint=False, jvp=_prod_jvp, vjp=_prod_vjp, kind=_reduce_kind_2d, elementwise=False)
_row("getitem", -1, S, "special", None, None, jvp=_index_jvp, vjp=_index_vjp, kind=_getitem_kind, elementwise=False)
_row("setitem", -1, S, "special", None, None, jvp=_setitem_jvp, vjp=_setitem_vjp, kind=_store_kind, elementwise=False)  # a[index] = v
_row("additem", -1, S, "special", None, None, jvp=_additem_jvp, vjp=_additem_vjp, kind=_store_kind, elementwise=False)  # a[index] += v
_row("tape", 2, S, "special", None, None, kind=_tape_kind, differentiable=False, elementwise=False)  # np.empty((n,) + like.shape, dtype); like[select] with a select=pattern
_row("tape_grow", 2, S, "special", None, None, kind=lambda kinds, atoms, attrs: kinds[0], differentiable=False, elementwise=False)  # tape, or a copy twice as long if k is past its end
_row("range_len", 3, S, "special", None, None, kind=lambda kinds, atoms, attrs: INT, differentiable=False, elementwise=False)
_row("stale", 1, S, "special", None, None, kind=lambda kinds, atoms, attrs: FLOAT, differentiable=False, elementwise=False)  # never generated: a read reverse mode cannot replay
_row("copy", 1, S, "special", lambda x: x, lambda x: x, lambda x, ans: (1.0,), kind=lambda kinds, atoms, attrs: kinds[0])
_row("stack", -1, S, "special", None, None, kind=_stack_kind, elementwise=False,
     jvp=lambda tangents, *rest: op("stack", *[t if t is not None else 0.0 for t in tangents]),
     vjp=lambda g, *rest: tuple(op("getitem", g, Const(i), attrs=(("index", (("i",),)),)) for i in range(len(rest) - 3)))

# Shapes and constants: ints, or arrays that do not depend on their inputs' values.
_row("shape", 1, S, "special", None, None, kind=_shape_kind, differentiable=False, elementwise=False)
_row("size", 1, S, "special", None, None, kind=_shape_kind, differentiable=False, elementwise=False)
_row("zeros", -1, S, "special", None, None, kind=_create_kind, differentiable=False, elementwise=False)
_row("ones", -1, S, "special", None, None, kind=_create_kind, differentiable=False, elementwise=False)
_row("zeros_like", 1, S, "special", None, None, kind=_float_like(0), differentiable=False, elementwise=False)
_row("ones_like", 1, S, "special", None, None, kind=_float_like(0), differentiable=False, elementwise=False)
_row("eye", 1, S, "special", None, None, kind=_eye_kind, differentiable=False, elementwise=False)

# Adjoint plumbing, made by the transformations (never written by users).
_row("sum_to", 2, S, "special", None, None, kind=_sum_to_kind, elementwise=False)          # sum g to x's shape
_row("expand_dims", 1, S, "special", None, None, kind=_expand_kind, elementwise=False)     # a reduced axis put back
_row("broadcast_like", 2, S, "special", None, None, kind=_float_like(1), elementwise=False) # t broadcast to y's shape
_row("reshape_like", 2, S, "special", None, None, kind=_float_like(1), elementwise=False)   # g reshaped to x's shape
_row("scatter", -1, S, "special", None, None, kind=_float_like(1), elementwise=False)       # zeros like x, g at an index
_row("prod_others", 1, S, "special", None, None, kind=_float_like(0), elementwise=False)   # per element: the product of the others
# fmt: on


# ---------------------------------------------------------------------------
# How user code names primitives: Python objects -> primitive names.
# Resolving objects (not spellings) makes every import style work.

CALLABLES: dict[int, tuple[object, str]] = {}


def _register(obj, prim):
    CALLABLES[id(obj)] = (obj, prim)


for _name in (
    "sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh exp expm1 "
    "log log1p log2 log10 sqrt hypot erf erfc copysign"
).split():
    _register(getattr(math, _name), _name)
_register(math.fabs, "abs")
_register(math.pow, "pow")
_register(abs, "abs")
_register(pow, "pow")
_register(max, "max")
_register(min, "min")
_NUMPY_ELEMENTWISE = {
    "sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "asin", "arccos": "acos",
    "arctan": "atan", "arctan2": "atan2", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
    "arcsinh": "asinh", "arccosh": "acosh", "arctanh": "atanh", "exp": "exp",
    "expm1": "expm1", "log": "log", "log1p": "log1p", "log2": "log2", "log10": "log10",
    "sqrt": "sqrt", "hypot": "hypot", "abs": "abs", "absolute": "abs", "fabs": "abs",
    "sign": "sign", "copysign": "copysign", "power": "pow", "maximum": "max",
    "minimum": "min", "where": "where", "clip": "clip", "add": "add", "subtract": "sub",
    "multiply": "mul", "divide": "div", "negative": "neg",
}  # fmt: skip
for _np_name, _prim in _NUMPY_ELEMENTWISE.items():
    _register(getattr(np, _np_name), _prim)
# SciPy's ufuncs for what NumPy lacks, recognised without importing SciPy
# (a function that uses them has imported it already).
_SCIPY_SPECIAL = {"erf": "erf", "erfc": "erfc"}


def primitive_for(obj) -> str | None:
    """The primitive a Python callable stands for, or None."""
    entry = CALLABLES.get(id(obj))
    if entry is not None and entry[0] is obj:
        return entry[1]
    special = sys.modules.get("scipy.special")
    name = getattr(obj, "__name__", None)
    if special is not None and name in _SCIPY_SPECIAL and getattr(special, name, None) is obj:
        return _SCIPY_SPECIAL[name]
    return None


# Operand positions that only read a shape (not the values): prim -> positions.
SHAPE_READS = {"shape": {0}, "size": {0}, "zeros_like": {0}, "ones_like": {0},
               "broadcast_like": {1}, "reshape_like": {1}, "scatter": {1}, "sum_to": {1}}  # fmt: skip


def supported_names() -> str:
    """A short list of the functions symdiff knows, for error messages."""
    operators = {"add", "sub", "mul", "div", "neg"}
    scalar = sorted({p for _, p in CALLABLES.values()} - operators)
    arrays = "np.dot, np.outer, np.transpose, np.reshape, np.sum, np.mean, np.max, np.min, "
    arrays += "np.prod, np.zeros, np.ones, np.eye, np.array, len"
    return f"{', '.join(scalar)} (as math.* or np.*), {arrays}"
