"""Elementwise primitives: arithmetic, comparisons, elementary functions.

Each gives its partial derivatives, written as the mathematics is
(``sin: lambda x, ans: (cos(x),)``), from which both modes are derived:
forward mode computes ``dy = sum_i partial_i * dx_i``, reverse mode
``x_i_bar += sum_to(y_bar * partial_i, x_i)``.  ``None`` marks a partial that
is zero wherever it is defined (``//``).  ``where`` (a selection) gives its
JVP and VJP instead.
"""

from __future__ import annotations

import ast
import math

import numpy as np

from . import spelling, symbolic
from .expr import copysign, cos, cosh, exp, log, sign, sin, sinh, sqrt, where
from .kinds import bool_result, float_result, pow_kind, where_kind
from .registry import named, register
from .symbolic import compared, sym, sympy_module


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


def _sign(x):
    return (x > 0) - (x < 0) if x == x else x


def _ieee_div(a, b):
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


CALL, BINOP, UNARY, COMPARE = "call", "binop", "unary", "compare"  # how scalars are spelled


def _math_function(name, numpy_name, partials, sympy=None, arity=1, **fields):
    """A function of ``math`` and NumPy with a float result: ``math.<name>`` on
    scalars (NumPy's ``<numpy_name>`` in plain Python), ``np.<numpy_name>`` on arrays."""
    spelling, array = (CALL, f"math.{name}"), f"np.{numpy_name}"
    register(
        name, arity, spelling, array, getattr(math, name), sympy or sym(name), partials,
        result_kind=float_result, names=named(math=name, numpy=numpy_name),
        ieee=getattr(np, numpy_name), **fields,
    )  # fmt: skip


# fmt: off
# Arithmetic.
register("add", 2, (BINOP, ast.Add), "op", lambda a, b: a + b, lambda a, b: a + b, lambda x, y, ans: (1.0, 1.0), commutative=True, names=named(numpy="add"), float_arithmetic=True)
register("sub", 2, (BINOP, ast.Sub), "op", lambda a, b: a - b, lambda a, b: a - b, lambda x, y, ans: (1.0, -1.0), names=named(numpy="subtract"), float_arithmetic=True)
register("mul", 2, (BINOP, ast.Mult), "op", lambda a, b: a * b, lambda a, b: a * b, lambda x, y, ans: (y, x), commutative=True, names=named(numpy="multiply"), float_arithmetic=True)
register("div", 2, (BINOP, ast.Div), "op", _ieee_div, lambda a, b: a / b, lambda x, y, ans: (1.0 / y, -ans * (1.0 / y)), result_kind=float_result, names=named(numpy="divide"), float_arithmetic=True)
register("pow", 2, (BINOP, ast.Pow), "op", lambda a, b: a**b, lambda a, b: a**b, _pow_partials, result_kind=pow_kind, names=named(math="pow", builtins="pow", numpy="power"), ieee=np.power, float_arithmetic=True)
register("floordiv", 2, (BINOP, ast.FloorDiv), "op", lambda a, b: a // b, lambda a, b: sympy_module().floor(a / b), lambda x, y, ans: (None, None), differentiable=False)
register("mod", 2, (BINOP, ast.Mod), "op", lambda a, b: a % b, lambda a, b: sympy_module().Mod(a, b), lambda x, y, ans: (1.0, -(x // y)), float_arithmetic=True)
register("neg", 1, (UNARY, ast.USub), "op", lambda a: -a, lambda a: -a, lambda x, ans: (-1.0,), names=named(numpy="negative"))

# fmt: on


# Comparisons and logic: bool results, never differentiated.
def _comparison(name, operator, evaluate, sympy_name, arity=2, array="op"):
    spelling = (UNARY if arity == 1 else COMPARE, operator)
    register(
        name,
        arity,
        spelling,
        array,
        evaluate,
        sym(sympy_name),
        sympy_arrays=compared(sym(sympy_name)),
        result_kind=bool_result,
        differentiable=False,
    )


_comparison("lt", ast.Lt, lambda a, b: a < b, "Lt")
_comparison("le", ast.LtE, lambda a, b: a <= b, "Le")
_comparison("gt", ast.Gt, lambda a, b: a > b, "Gt")
_comparison("ge", ast.GtE, lambda a, b: a >= b, "Ge")
_comparison("eq", ast.Eq, lambda a, b: a == b, "Eq")
_comparison("ne", ast.NotEq, lambda a, b: a != b, "Ne")
_comparison("not", ast.Not, lambda a: not a, "Not", arity=1, array="np.logical_not")


# fmt: off
# Elementary functions.
_math_function("sin", "sin", lambda x, ans: (cos(x),))
_math_function("cos", "cos", lambda x, ans: (-sin(x),))
_math_function("tan", "tan", lambda x, ans: (1.0 + ans**2,))
_math_function("asin", "arcsin", lambda x, ans: (1.0 / sqrt(1.0 - x**2),))
_math_function("acos", "arccos", lambda x, ans: (-1.0 / sqrt(1.0 - x**2),))
_math_function("atan", "arctan", lambda x, ans: (1.0 / (1.0 + x**2),))
_math_function("atan2", "arctan2", _atan2_partials, arity=2, float_arithmetic=True)
_math_function("sinh", "sinh", lambda x, ans: (cosh(x),))
_math_function("cosh", "cosh", lambda x, ans: (sinh(x),))
_math_function("tanh", "tanh", lambda x, ans: (1.0 - ans**2,))
_math_function("asinh", "arcsinh", lambda x, ans: (1.0 / sqrt(x**2 + 1.0),))
_math_function("acosh", "arccosh", lambda x, ans: (1.0 / sqrt(x**2 - 1.0),))
_math_function("atanh", "arctanh", lambda x, ans: (1.0 / (1.0 - x**2),))
_math_function("exp", "exp", lambda x, ans: (ans,), spell=spelling.vectorised("exp"))
_math_function("expm1", "expm1", lambda x, ans: (ans + 1.0,), sympy=lambda a: sympy_module().exp(a) - 1)
_math_function("log", "log", lambda x, ans: (1.0 / x,), spell=spelling.vectorised("log"))
_math_function("log1p", "log1p", lambda x, ans: (1.0 / (1.0 + x),), sympy=lambda a: sympy_module().log(1 + a))
_math_function("log2", "log2", lambda x, ans: (1.0 / (x * math.log(2.0)),), sympy=lambda a: sympy_module().log(a, 2))
_math_function("log10", "log10", lambda x, ans: (1.0 / (x * math.log(10.0)),), sympy=lambda a: sympy_module().log(a, 10))
_math_function("sqrt", "sqrt", lambda x, ans: (0.5 / ans,))
_math_function("hypot", "hypot", _hypot_partials, sympy=lambda a, b: sympy_module().sqrt(a**2 + b**2), arity=2, float_arithmetic=True)
register("erf", 1, (CALL, "math.erf"), "special", math.erf, sym("erf"), lambda x, ans: (2.0 / math.sqrt(math.pi) * exp(-(x**2)),), result_kind=float_result, names=named(math="erf", scipy="erf"), spell=spelling.math_elementwise("erf"))
register("erfc", 1, (CALL, "math.erfc"), "special", math.erfc, sym("erfc"), lambda x, ans: (-2.0 / math.sqrt(math.pi) * exp(-(x**2)),), result_kind=float_result, names=named(math="erfc", scipy="erfc"), spell=spelling.math_elementwise("erfc"))
register("cbrt", 1, (CALL, "np.cbrt"), "np.cbrt", lambda x: float(np.cbrt(x)), lambda a: sympy_module().real_root(a, 3), lambda x, ans: (1.0 / (3.0 * ans**2),), result_kind=float_result, names=named(numpy="cbrt"))
register("expit", 1, ("special",), "special", lambda x: 1.0 / (1.0 + math.exp(-x)), lambda a: 1 / (1 + sympy_module().exp(-a)), lambda x, ans: (ans * (1.0 - ans),), result_kind=float_result, names=named(scipy="expit"), spell=spelling.expit)
register("abs", 1, (CALL, "abs"), "np.abs", abs, sym("Abs"), lambda x, ans: (sign(x),), names=named(math="fabs", builtins="abs", numpy="abs absolute fabs"), ieee=np.fabs)
register("stop_gradient", 1, ("special",), "special", lambda x: x, symbolic.stopped, lambda x, ans: (None,), names=named(), spell=lambda printer, op, args: args[0])
register("sign", 1, (CALL, "np.sign"), "np.sign", _sign, sym("sign"), lambda x, ans: (None,), differentiable=False, names=named(numpy="sign"))
_math_function("copysign", "copysign", lambda x, y, ans: (sign(x) * copysign(1.0, y), None), sympy=lambda a, b: sympy_module().Abs(a) * sympy_module().sign(b), arity=2, float_arithmetic=True)
register("max", 2, (CALL, "max"), "np.maximum", max, sym("Max"), lambda x, y, ans: (_tie(x, y), _tie(y, x)), commutative=True, names=named(builtins="max", numpy="maximum"), float_arithmetic=True)
register("min", 2, (CALL, "min"), "np.minimum", min, sym("Min"), lambda x, y, ans: (_tie(y, x), _tie(x, y)), commutative=True, names=named(builtins="min", numpy="minimum"), float_arithmetic=True)
register("clip", 3, ("special",), "np.clip", lambda x, lo, hi: min(max(x, lo), hi), lambda x, lo, hi: sympy_module().Min(sympy_module().Max(x, lo), hi),
     lambda x, lo, hi, ans: (where(x < lo, 0.0, where(x > hi, 0.0, 1.0)), where(x < lo, 1.0, 0.0), where(x > hi, 1.0, 0.0)),
     names=named(numpy="clip"), spell=spelling.clip, float_arithmetic=True)
# fmt: on


# Selection: both operands are computed (NumPy semantics); the adjoint goes
# to the selected side only, masked after multiplying (no nan from the other).
def _where_jvp(tangents, c, a, b, ans, attrs):
    _, ta, tb = tangents
    return where(c, ta if ta is not None else 0.0, tb if tb is not None else 0.0)


def _where_vjp(g, c, a, b, ans, attrs, ranks):
    return (None, where(c, g, 0.0), where(c, 0.0, g))


register(
    "where", 3, ("where",), "np.where", lambda c, a, b: a if c else b,
    lambda c, a, b: sympy_module().Piecewise((a, c), (b, True)),
    jvp=_where_jvp, vjp=_where_vjp, result_kind=where_kind, names=named(numpy="where"),
    spell=spelling.where, sympy_arrays=symbolic.where, float_arithmetic=True,
)  # fmt: skip
