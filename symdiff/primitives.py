"""THE table of primitives.

One row per primitive: its arity, how code generation spells it, how to
evaluate it on Python numbers (constant folding), its SymPy counterpart (the
independent reference of ``verify``), the kind of its result, and its
derivative rule.

A derivative rule receives the operands and the result ``ans`` as ``E``
expressions and returns one partial derivative per operand, written as the
mathematics is (``lambda x, ans: (cos(x),)``).  ``None`` marks a partial that
is zero everywhere it is defined (``floor``-like operations), so no code is
generated for it.  Forward mode computes ``dy = sum_i partial_i * dx_i`` and
reverse mode ``x_i_bar += y_bar * partial_i`` from the same rule.

Conventions at non-differentiable points (tested in ``tests/test_primitives.py``):

* ``abs``/``fabs``: derivative ``sign(x)``, 0 at ``x == 0``.
* ``max``/``min`` with tied operands: the derivative is split equally (0.5
  each), so ``max(x, x)`` has derivative 1 and ``max(x, 0.0)`` has 0.5 at 0.
* ``sqrt`` at 0: ``inf``.  ``copysign(x, y)``: ``sign(x) * copysign(1, y)``.
* ``//`` has derivative 0; ``x % y`` has ``1`` and ``-(x // y)``.
* ``x ** y`` with ``y`` differentiated uses ``x ** y * log(x)``: ``x`` must be
  positive there, as for real powers.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from .ir import Const, Op, Var

# ---------------------------------------------------------------------------
# Expressions for writing rules: E wraps an IR expression tree.


class E:
    """An expression under construction (an atom or a nested ``Op``)."""

    __slots__ = ("node",)

    def __init__(self, node):
        self.node = node

    def __add__(self, other):
        return _op("add", self, other)

    def __radd__(self, other):
        return _op("add", other, self)

    def __sub__(self, other):
        return _op("sub", self, other)

    def __rsub__(self, other):
        return _op("sub", other, self)

    def __mul__(self, other):
        return _op("mul", self, other)

    def __rmul__(self, other):
        return _op("mul", other, self)

    def __truediv__(self, other):
        return _op("div", self, other)

    def __rtruediv__(self, other):
        return _op("div", other, self)

    def __pow__(self, other):
        return _op("pow", self, other)

    def __floordiv__(self, other):
        return _op("floordiv", self, other)

    def __neg__(self):
        return _op("neg", self)

    def __gt__(self, other):
        return _op("gt", self, other)

    def __lt__(self, other):
        return _op("lt", self, other)

    def eq(self, other):
        return _op("eq", self, other)


def lift(value) -> E:
    if isinstance(value, E):
        return value
    if isinstance(value, (Var, Const, Op)):
        return E(value)
    return E(Const(value))


def _op(prim, *args) -> E:
    return E(Op(prim, tuple(lift(a).node for a in args)))


def _fn(prim):
    return lambda *args: _op(prim, *args)


sin, cos, exp, log, sqrt, sign = map(_fn, ("sin", "cos", "exp", "log", "sqrt", "sign"))
sinh, cosh, copysign, where = map(_fn, ("sinh", "cosh", "copysign", "where"))


def _where_tie(a, b):
    """d max(a, b) / da: 1 where a wins, 0.5 on a tie, 0 where b wins."""
    return where(a > b, 1.0, where(a.eq(b), 0.5, 0.0))


# ---------------------------------------------------------------------------
# The table.


@dataclass(frozen=True, slots=True)
class Primitive:
    name: str
    arity: int
    spelling: tuple  # ("call", "math.sin") | ("binop", ast.Add) | ("unary", ast.USub) ...
    evaluate: Callable
    sympy: Callable
    partials: Callable | None  # (*args: E, ans: E) -> tuple[E | None, ...]
    result: str = "float"  # "float", "bool", or "join" (the operands' common kind)
    commutative: bool = False


PRIMITIVES: dict[str, Primitive] = {}


def _row(name, arity, spelling, evaluate, sympy, partials, result="float", commutative=False):
    PRIMITIVES[name] = Primitive(
        name, arity, spelling, evaluate, sympy, partials, result, commutative
    )


def _sign(x):
    return (x > 0) - (x < 0) if x == x else x


def _ieee_div(a, b):
    try:
        return a / b
    except ZeroDivisionError:
        return math.copysign(math.inf, a) * math.copysign(1.0, b) if a == a and a != 0 else math.nan


# Arithmetic.
_row(
    "add",
    2,
    ("binop", ast.Add),
    lambda a, b: a + b,
    lambda a, b: a + b,
    lambda x, y, ans: (1.0, 1.0),
    "join",
    commutative=True,
)
_row(
    "sub",
    2,
    ("binop", ast.Sub),
    lambda a, b: a - b,
    lambda a, b: a - b,
    lambda x, y, ans: (1.0, -1.0),
    "join",
)
_row(
    "mul",
    2,
    ("binop", ast.Mult),
    lambda a, b: a * b,
    lambda a, b: a * b,
    lambda x, y, ans: (y, x),
    "join",
    commutative=True,
)
_row(
    "div",
    2,
    ("binop", ast.Div),
    _ieee_div,
    lambda a, b: a / b,
    lambda x, y, ans: (1.0 / y, -ans / y),
)
_row(
    "pow",
    2,
    ("binop", ast.Pow),
    lambda a, b: a**b,
    lambda a, b: a**b,
    lambda x, y, ans: (y * x ** (y - 1), ans * log(x)),
    "pow",
)
_row(
    "floordiv",
    2,
    ("binop", ast.FloorDiv),
    lambda a, b: a // b,
    lambda a, b: sp.floor(a / b),
    lambda x, y, ans: (None, None),
    "join",
)
_row(
    "mod",
    2,
    ("binop", ast.Mod),
    lambda a, b: a % b,
    lambda a, b: sp.Mod(a, b),
    lambda x, y, ans: (1.0, -(x // y)),
    "join",
)
_row("neg", 1, ("unary", ast.USub), lambda a: -a, lambda a: -a, lambda x, ans: (-1.0,), "join")

# Comparisons and logic: results are bool, never differentiated.
for _name, _cmp, _py, _sym in (
    ("lt", ast.Lt, lambda a, b: a < b, sp.Lt),
    ("le", ast.LtE, lambda a, b: a <= b, sp.Le),
    ("gt", ast.Gt, lambda a, b: a > b, sp.Gt),
    ("ge", ast.GtE, lambda a, b: a >= b, sp.Ge),
    ("eq", ast.Eq, lambda a, b: a == b, sp.Eq),
    ("ne", ast.NotEq, lambda a, b: a != b, sp.Ne),
):
    _row(_name, 2, ("compare", _cmp), _py, _sym, None, "bool")
_row("not", 1, ("unary", ast.Not), lambda a: not a, sp.Not, None, "bool")

# Elementary functions.
_row("sin", 1, ("call", "math.sin"), math.sin, sp.sin, lambda x, ans: (cos(x),))
_row("cos", 1, ("call", "math.cos"), math.cos, sp.cos, lambda x, ans: (-sin(x),))
_row("tan", 1, ("call", "math.tan"), math.tan, sp.tan, lambda x, ans: (1.0 + ans**2,))
_row("asin", 1, ("call", "math.asin"), math.asin, sp.asin, lambda x, ans: (1.0 / sqrt(1.0 - x**2),))
_row(
    "acos", 1, ("call", "math.acos"), math.acos, sp.acos, lambda x, ans: (-1.0 / sqrt(1.0 - x**2),)
)
_row("atan", 1, ("call", "math.atan"), math.atan, sp.atan, lambda x, ans: (1.0 / (1.0 + x**2),))
_row(
    "atan2",
    2,
    ("call", "math.atan2"),
    math.atan2,
    sp.atan2,
    lambda y, x, ans: (x / (x**2 + y**2), -y / (x**2 + y**2)),
)
_row("sinh", 1, ("call", "math.sinh"), math.sinh, sp.sinh, lambda x, ans: (cosh(x),))
_row("cosh", 1, ("call", "math.cosh"), math.cosh, sp.cosh, lambda x, ans: (sinh(x),))
_row("tanh", 1, ("call", "math.tanh"), math.tanh, sp.tanh, lambda x, ans: (1.0 - ans**2,))
_row(
    "asinh",
    1,
    ("call", "math.asinh"),
    math.asinh,
    sp.asinh,
    lambda x, ans: (1.0 / sqrt(x**2 + 1.0),),
)
_row(
    "acosh",
    1,
    ("call", "math.acosh"),
    math.acosh,
    sp.acosh,
    lambda x, ans: (1.0 / sqrt(x**2 - 1.0),),
)
_row("atanh", 1, ("call", "math.atanh"), math.atanh, sp.atanh, lambda x, ans: (1.0 / (1.0 - x**2),))
_row("exp", 1, ("call", "math.exp"), math.exp, sp.exp, lambda x, ans: (ans,))
_row(
    "expm1",
    1,
    ("call", "math.expm1"),
    math.expm1,
    lambda a: sp.exp(a) - 1,
    lambda x, ans: (ans + 1.0,),
)
_row("log", 1, ("call", "math.log"), math.log, sp.log, lambda x, ans: (1.0 / x,))
_row(
    "log1p",
    1,
    ("call", "math.log1p"),
    math.log1p,
    lambda a: sp.log(1 + a),
    lambda x, ans: (1.0 / (1.0 + x),),
)
_row(
    "log2",
    1,
    ("call", "math.log2"),
    math.log2,
    lambda a: sp.log(a, 2),
    lambda x, ans: (1.0 / (x * math.log(2.0)),),
)
_row(
    "log10",
    1,
    ("call", "math.log10"),
    math.log10,
    lambda a: sp.log(a, 10),
    lambda x, ans: (1.0 / (x * math.log(10.0)),),
)
_row("sqrt", 1, ("call", "math.sqrt"), math.sqrt, sp.sqrt, lambda x, ans: (0.5 / ans,))
_row(
    "hypot",
    2,
    ("call", "math.hypot"),
    math.hypot,
    lambda a, b: sp.sqrt(a**2 + b**2),
    lambda x, y, ans: (x / ans, y / ans),
)
_row(
    "erf",
    1,
    ("call", "math.erf"),
    math.erf,
    sp.erf,
    lambda x, ans: (2.0 / math.sqrt(math.pi) * exp(-(x**2)),),
)
_row(
    "erfc",
    1,
    ("call", "math.erfc"),
    math.erfc,
    sp.erfc,
    lambda x, ans: (-2.0 / math.sqrt(math.pi) * exp(-(x**2)),),
)
_row("abs", 1, ("call", "abs"), abs, sp.Abs, lambda x, ans: (sign(x),), "join")
_row("sign", 1, ("call", "np.sign"), _sign, sp.sign, lambda x, ans: (None,), "join")
_row(
    "copysign",
    2,
    ("call", "math.copysign"),
    math.copysign,
    lambda a, b: sp.Abs(a) * sp.sign(b),
    lambda x, y, ans: (sign(x) * copysign(1.0, y), None),
)
_row(
    "max",
    2,
    ("call", "max"),
    max,
    sp.Max,
    lambda x, y, ans: (_where_tie(x, y), _where_tie(y, x)),
    "join",
    commutative=True,
)
_row(
    "min",
    2,
    ("call", "min"),
    min,
    sp.Min,
    lambda x, y, ans: (_where_tie(y, x), _where_tie(x, y)),
    "join",
    commutative=True,
)

# Eager selection (both operands already computed).  Only derivative rules
# use it, for masks built from constants; user `x if c else y` becomes an If.
_row(
    "where",
    3,
    ("where",),
    lambda c, a, b: a if c else b,
    lambda c, a, b: sp.Piecewise((a, c), (b, True)),
    lambda c, x, y, ans: (None, where(c, 1.0, 0.0), where(c, 0.0, 1.0)),
    "where",
)


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
for _np_name, _prim in {
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "arctan2": "atan2",
    "sinh": "sinh",
    "cosh": "cosh",
    "tanh": "tanh",
    "arcsinh": "asinh",
    "arccosh": "acosh",
    "arctanh": "atanh",
    "exp": "exp",
    "expm1": "expm1",
    "log": "log",
    "log1p": "log1p",
    "log2": "log2",
    "log10": "log10",
    "sqrt": "sqrt",
    "hypot": "hypot",
    "abs": "abs",
    "absolute": "abs",
    "fabs": "abs",
    "sign": "sign",
    "copysign": "copysign",
    "power": "pow",
    "maximum": "max",
    "minimum": "min",
}.items():
    _register(getattr(np, _np_name), _prim)


def primitive_for(obj) -> str | None:
    """The primitive a Python callable stands for, or None."""
    entry = CALLABLES.get(id(obj))
    return entry[1] if entry is not None and entry[0] is obj else None


def supported_names() -> str:
    """A short list of the functions symdiff knows, for error messages."""
    return ", ".join(sorted({p for _, p in CALLABLES.values()}))
