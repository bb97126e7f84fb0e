"""Special functions, rounding, predicates and integer-valued constants.

* Special functions of ``math`` and ``scipy.special``: ``gammaln``
  (``math.lgamma``), ``gamma`` (``math.gamma``), ``digamma``/``psi``,
  ``polygamma(n, x)``, ``erfinv``, ``log_ndtr``, ``xlogy``, ``xlog1py``.
  Each derivative rule is the next function: ``gammaln' = digamma``,
  ``digamma' = polygamma(1, .)``, ``polygamma(n, .)' = polygamma(n + 1, .)``,
  ``gamma' = gamma * digamma``, ``erfinv' = sqrt(pi) / 2 * exp(erfinv**2)``,
  ``log_ndtr' = exp(-x**2 / 2 - log_ndtr) / sqrt(2 pi)`` (finite where
  ``ndtr`` underflows).  Numba has ``math.lgamma``, ``math.gamma`` and
  ``math.erf(c)`` but no digamma, polygamma, erfinv or log_ndtr: those are
  the scalar functions below, emitted into the generated module as helpers
  (the same source runs in plain Python), accurate to about 1e-14 relative
  (``tests/test_numpy_special.py`` checks them against SciPy).
* ``betainc(a, b, x)`` (``scipy.special.betainc``, the regularised
  incomplete beta function, a continued fraction: about 1e-13 relative, less
  for parameters in the hundreds) with ``d/dx = x**(a-1) (1-x)**(b-1) /
  B(a, b)``; and ``stdtr(df, x)`` (``scipy.special.stdtr``, Student's t CDF,
  ``scipy.stats.t.cdf``), computed through it, with t's density as
  ``d/dx``.  Their derivatives in ``a``, ``b`` and ``df`` are not given
  (``Undefined``): differentiating through them is refused at the user's line.
* ``np.fmod``: the sign of the dividend; derivatives ``1`` and ``-trunc(x / y)``.
* Rounding (``np.floor``, ``np.ceil``, ``np.rint``, ``np.trunc``): derivative 0
  everywhere (also at the jumps, as JAX and autograd).
* Predicates (``np.isnan``, ``np.isinf``, ``np.isfinite``, ``np.logical_*``),
  ``np.argmax``/``np.argmin``, ``np.arange`` and casts to int: no derivative.

Conventions at the points where the formulas break down (as SciPy's values):

* poles of ``gamma``/``gammaln``/``digamma``/``polygamma`` (0, -1, -2...):
  the values SciPy gives (``inf``, ``nan``); derivatives there follow the
  formulas (``inf``/``nan``).
* ``betainc`` at ``x == 0`` or ``1`` where ``a < 1`` or ``b < 1``: the derivative
  is ``inf`` (it is); ``a == 1`` at ``x == 0`` gives ``1 / B(1, b) = b``.
  ``stdtr`` is smooth in ``x`` (its derivative at 0 is the density's peak).
* ``xlogy(x, y)`` is 0 where ``x == 0`` (also for ``y == 0``); its
  derivatives are ``log(y)`` and ``x / y``, the latter 0 where ``x == 0``
  (JAX's value of ``x / y``, without its ``0 / 0``).  ``xlog1py`` likewise,
  with ``log1p(y)`` and ``x / (1 + y)``.
"""

from __future__ import annotations

import ast
import inspect
import math

import numpy as np

from ..ir import AxisSize, Const, Kind
from .expr import exp, log, op, where
from .kinds import (
    RankError,
    bool_result,
    broadcast,
    float_result,
    reduce_kind,
    size_of,
    with_dtype,
)
from .registry import Option, Undefined, named, register
from .spelling import math_elementwise
from .symbolic import sym, sympy_module

# ---------------------------------------------------------------------------
# The scalar functions (helpers of the generated code: only ``math`` and each other).


def _digamma(x):
    """The digamma function psi(x) = d/dx log|gamma(x)|: the recurrence
    psi(x) = psi(x + 1) - 1/x up to x >= 10, then the asymptotic series; the
    reflection psi(1 - x) - pi / tan(pi x) for negative x."""
    x = float(x)  # float64 arithmetic for float32 operands too (as SciPy)
    if x == 0.0:
        return -math.copysign(math.inf, x)
    if x == -math.inf or (x < 0.0 and x == math.floor(x)):
        return math.nan
    result = 0.0
    if x < 0.0:
        result = -math.pi / math.tan(math.pi * x)
        x = 1.0 - x
    while x < 10.0:
        result = result - 1.0 / x
        x = x + 1.0
    s = 1.0 / (x * x)
    tail = 1 / 132 - s * (691 / 32760 - s / 12)
    tail = s * (1 / 12 - s * (1 / 120 - s * (1 / 252 - s * (1 / 240 - s * tail))))
    return result + math.log(x) - 0.5 / x - tail


def _power(x, k):
    """x ** k for an int k >= 0 by multiplication: inf, not OverflowError,
    for large x in plain Python."""
    result = 1.0
    for _ in range(k):
        result = result * x
    return result


# B_2k for k = 1..8: the asymptotic series of the polygamma functions.
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def _polygamma(n, x):
    """The n-th derivative of the digamma function: (-1)**(n+1) n! times
    sum_k 1/(x + k)**(n+1), summed up to x >= 20 + n, then the asymptotic
    series (n = 0 is the digamma function)."""
    x = float(x)
    if n == 0:
        return _digamma(x)
    sign = 1.0 if n % 2 == 1 else -1.0
    if math.isinf(x):
        return 0.0 if x > 0.0 else math.nan
    if x <= 0.0 and x == math.floor(x):
        return sign * math.inf
    factorial = math.gamma(n + 1.0)
    total = 0.0
    while x < 20.0 + n:
        total = total + 1.0 / _power(x, n + 1)
        x = x + 1.0
    power = _power(x, n)
    tail = math.gamma(n * 1.0) / power + factorial / (2.0 * power * x)
    for k in range(1, 9):
        power = power * x * x  # x ** (2k + n)
        term = math.gamma(2.0 * k + n) / math.gamma(2.0 * k + 1.0) / power
        tail = tail + _BERNOULLI[k - 1] * term
    return sign * (factorial * total + tail)


def _erfinv(x):
    """The inverse of erf on (-1, 1): Winitzki's approximation (3e-3), then
    Halley steps on erf(y) = |x| (on erfc(y) = 1 - |x| for |x| > 0.5, which
    stays accurate as |x| nears 1)."""
    x = float(x)
    a = abs(x)
    if not a <= 1.0:  # also nan
        return math.nan
    if a == 1.0:
        return math.copysign(math.inf, x)
    w = -math.log((1.0 - a) * (1.0 + a))
    t = 2.0 / (math.pi * 0.147) - 0.5 * w
    y = math.sqrt(math.sqrt(t * t + w / 0.147) - t)
    for _ in range(4):
        residual = math.erf(y) - a if a <= 0.5 else (1.0 - a) - math.erfc(y)
        step = residual / (2.0 / math.sqrt(math.pi) * math.exp(-y * y))
        y = y - step / (1.0 + y * step)
    return math.copysign(y, x)


def _log_ndtr(x):
    """log of the standard normal CDF: log1p of the small upper tail for
    x > 0, the log of erfc down to -20, then the asymptotic series of the
    Mills ratio (erfc underflows near -38)."""
    x = float(x)
    if x > 0.0:
        return math.log1p(-0.5 * math.erfc(x / math.sqrt(2.0)))
    if x > -20.0:
        return math.log(0.5 * math.erfc(-x / math.sqrt(2.0)))
    s = 1.0 / (x * x)
    series, term = 1.0, 1.0
    for k in range(1, 12):
        term = -term * (2 * k - 1) * s
        series = series + term
    return -0.5 * x * x - math.log(-x) - 0.5 * math.log(2.0 * math.pi) + math.log(series)


def _xlogy(x, y):
    """x * log(y), 0 where x == 0 (unless y is nan)."""
    if x == 0.0 and y == y:
        return 0.0
    return x * math.log(y)


def _xlog1py(x, y):
    """x * log1p(y), 0 where x == 0 (unless y is nan)."""
    if x == 0.0 and y == y:
        return 0.0
    return x * math.log1p(y)


def _lgamma(x):
    """math.lgamma with IEEE results: inf at the poles (as SciPy's gammaln)."""
    try:
        return math.lgamma(x)
    except (ValueError, OverflowError):
        return math.inf


def _gamma(x):
    """math.gamma with IEEE results: +-inf at 0, nan at negative integers, inf on overflow."""
    try:
        return math.gamma(x)
    except ValueError:
        return math.copysign(math.inf, x) if x == 0.0 else math.nan
    except OverflowError:
        return math.inf


def _betainc_fraction(a, b, x):
    """I_x(a, b) by its continued fraction (modified Lentz), which converges
    quickly for x < (a + 1) / (a + b + 2)."""
    tiny = 1e-300
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    c = 1.0
    d = 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, 1000):
        for numerator in (
            m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            fraction = fraction * c * d
        if abs(c * d - 1.0) < 1e-16:
            break
    return math.exp(log_front) * fraction / a


def _betainc(a, b, x):
    """The regularised incomplete beta function I_x(a, b) (scipy.special.betainc)
    for a, b > 0 and 0 <= x <= 1 (nan elsewhere): the continued fraction of
    I_x(a, b), or 1 - that of I_(1-x)(b, a) where it converges faster."""
    a, b, x = float(a), float(b), float(x)
    if not (a > 0.0 and b > 0.0 and 0.0 <= x <= 1.0) or math.isinf(a) or math.isinf(b):
        return math.nan
    if x == 0.0 or x == 1.0:
        return x
    if x < (a + 1.0) / (a + b + 2.0):
        return _betainc_fraction(a, b, x)
    return 1.0 - _betainc_fraction(b, a, 1.0 - x)


def _stdtr(df, x):
    """The CDF of Student's t distribution with df degrees of freedom
    (scipy.special.stdtr): half the incomplete beta function of
    df / (df + x**2) in the tails, of x**2 / (df + x**2) near 0 (each
    accurate where it is used)."""
    df, x = float(df), float(x)
    if not df > 0.0 or x != x:
        return math.nan
    if math.isinf(x):
        return 0.0 if x < 0.0 else 1.0
    square = x * x
    if square < df:
        tail = 0.5 - 0.5 * _betainc(0.5, 0.5 * df, square / (df + square))
    else:
        tail = 0.5 * _betainc(0.5 * df, 0.5, df / (df + square))
    return tail if x < 0.0 else 1.0 - tail


# ---------------------------------------------------------------------------
# Spellings: a helper on scalars, a loop over the elements on arrays.

_DEPENDS = {
    "_polygamma": ("_digamma", "_power"),
    "_betainc": ("_betainc_fraction",),
    "_stdtr": ("_betainc_fraction", "_betainc"),
}

_ARRAY_HELPER = """\
def {name}_array({params}):
    \"\"\"{name}({params}) of every element of x, for Numba.\"\"\"
    flat = x.ravel()
    out = np.empty(flat.size{dtype})
    for i in range(flat.size):
        out[i] = {name}({before}flat[i])
    return out.reshape(x.shape)"""


def _emit(printer, function):
    name = function.__name__
    for needed in _DEPENDS.get(name, ()):
        printer.helper(needed, inspect.getsource(globals()[needed]))
    printer.modules.add("math")
    if name == "_polygamma":
        printer.helper("_BERNOULLI", f"_BERNOULLI = {_BERNOULLI!r}")
    return printer.helper(name, inspect.getsource(function))


def helper_call(function):
    """The spelling of a function of one number (or of an int ``n`` and a
    number, ``polygamma``): ``function`` on scalars, a loop on arrays."""

    def spell(printer, op, args):
        name = _emit(printer, function)
        if printer.kind(op.args[-1]).rank == 0:
            return ast.Call(ast.Name(name), list(args), [])
        before = "n, " if len(args) == 2 else ""
        dtype = ", np.float32" if printer.float32 else ""
        source = _ARRAY_HELPER.format(name=name, params=before + "x", before=before, dtype=dtype)
        printer.helper(f"{name}_array", source)
        printer.modules.add("np")
        return ast.Call(ast.Name(f"{name}_array"), list(args), [])

    return spell


_BROADCAST_HELPER = """\
def {name}_array({params}):
    \"\"\"{name}({params}) of every element of the broadcast operands, for Numba.\"\"\"
    {views} = np.broadcast_arrays({arrays})
    out = np.empty({first}.shape{dtype})
    for index in np.ndindex({first}.shape):
        out[index] = {name}({elements})
    return out"""


def broadcast_helper_call(function):
    """The spelling of a function of several numbers: ``function`` on
    scalars; on arrays a loop over the elements of the operands broadcast
    together (``betainc(a, b, x)``)."""

    def spell(printer, op, args):
        name = _emit(printer, function)
        if not any(printer.kind(a).rank for a in op.args):
            return ast.Call(ast.Name(name), list(args), [])
        params = [f"x{k}" for k in range(len(args))]
        views = [f"v{k}" for k in range(len(args))]
        source = _BROADCAST_HELPER.format(
            name=name,
            params=", ".join(params),
            views=", ".join(views),
            arrays=", ".join(f"np.asarray({p})" for p in params),
            first=views[0],
            dtype=", np.float32" if printer.float32 else "",
            elements=", ".join(f"{v}[index]" for v in views),
        )
        printer.helper(f"{name}_array", source)
        printer.modules.add("np")
        return ast.Call(ast.Name(f"{name}_array"), list(args), [])

    return spell


def x_log(function, numpy_log):
    """``xlogy``/``xlog1py``: the scalar helper, or ``np.where(x == 0, 0.0, x * log(y))``."""

    def spell(printer, op, args):
        if not any(printer.kind(a).rank for a in op.args):
            printer.modules.add("math")
            return ast.Call(
                ast.Name(printer.helper(function.__name__, inspect.getsource(function))),
                list(args),
                [],
            )
        zero = ast.Compare(args[0], [ast.Eq()], [printer.const(0.0)])
        product = ast.BinOp(args[0], ast.Mult(), printer.call(numpy_log, [args[1]]))
        return printer.call("np.where", [zero, printer.const(0.0), product])

    return spell


def _sympy_log_ndtr(a):
    sp = sympy_module()
    return sp.log(sp.erfc(-a / sp.sqrt(2)) / 2)


def _sympy_xlog(log_name):
    def counterpart(a, b):
        sp = sympy_module()
        return sp.Piecewise((0, sp.Eq(a, 0)), (a * getattr(sp, log_name)(b), True))

    return counterpart


def _polygamma_kind(kinds, atoms, attrs):
    if kinds[0].rank or kinds[0].dtype != "int":
        raise RankError("polygamma(n, x) takes an int order n (write polygamma(1, x))")
    return with_dtype(kinds[1], "float")


SPECIAL = ("special",)
SQRT_PI_HALF = math.sqrt(math.pi) / 2.0
SQRT_2PI = math.sqrt(2.0 * math.pi)
NO_DERIVATIVE = {"differentiable": False}


def _fmod_partials(x, y, ans):
    return (1.0, -op("trunc", x / y))


def _xlogy_partials(x, y, ans):
    return (log(y), where(x.eq(0.0), 0.0, x / y))


def _xlog1py_partials(x, y, ans):
    return (op("log1p", y), where(x.eq(0.0), 0.0, x / (1.0 + y)))


_NO_SHAPE_DERIVATIVE = Undefined(
    "the derivative of scipy.special.betainc(a, b, x) in a or b is not supported (only in x)",
    "differentiate with respect to x only: pass a and b as constants, or leave them out of argnums",
)
_NO_DF_DERIVATIVE = Undefined(
    "the derivative of Student's t CDF (scipy.stats.t.cdf, .logcdf, scipy.special.stdtr) in "
    "its degrees of freedom is not supported (only in x, loc and scale)",
    "pass df as a constant, or leave it out of argnums",
)


def _betainc_partials(a, b, x, ans):
    """d/dx I_x(a, b) = x**(a-1) (1-x)**(b-1) / B(a, b) (the x**0 of a == 1 is 1 at 0)."""
    log_beta = op("gammaln", a) + op("gammaln", b) - op("gammaln", a + b)
    log_density = op("xlogy", a - 1.0, x) + op("xlog1py", b - 1.0, -x) - log_beta
    return (_NO_SHAPE_DERIVATIVE, _NO_SHAPE_DERIVATIVE, exp(log_density))


def _stdtr_partials(df, x, ans):
    """d/dx stdtr(df, x) is t's density: exact everywhere, also at x == 0."""
    log_norm = op("gammaln", 0.5 * df + 0.5) - op("gammaln", 0.5 * df) - 0.5 * log(df * math.pi)
    return (_NO_DF_DERIVATIVE, exp(log_norm - (0.5 * df + 0.5) * op("log1p", x * x / df)))


def _sympy_betainc(a, b, x):
    return sympy_module().betainc_regularized(a, b, 0, x)


# fmt: off
register("betainc", 3, SPECIAL, "special", _betainc, _sympy_betainc, _betainc_partials,
         result_kind=float_result, names=named(scipy="betainc"), spell=broadcast_helper_call(_betainc),
         float_arithmetic=True)
register("stdtr", 2, SPECIAL, "special", _stdtr, None, _stdtr_partials,
         result_kind=float_result, names=named(scipy="stdtr"), spell=broadcast_helper_call(_stdtr),
         float_arithmetic=True)
register("gammaln", 1, ("call", "math.lgamma"), "special", _lgamma, sym("loggamma"), lambda x, ans: (op("digamma", x),),
         result_kind=float_result, names=named(math="lgamma", scipy="gammaln"), spell=math_elementwise("lgamma"), ieee=_lgamma)
register("gamma", 1, ("call", "math.gamma"), "special", _gamma, sym("gamma"), lambda x, ans: (ans * op("digamma", x),),
         result_kind=float_result, names=named(math="gamma", scipy="gamma"), spell=math_elementwise("gamma"), ieee=_gamma)
register("digamma", 1, SPECIAL, "special", _digamma, sym("digamma"), lambda x, ans: (op("polygamma", 1, x),),
         result_kind=float_result, names=named(scipy="digamma psi"), spell=helper_call(_digamma))
register("polygamma", 2, SPECIAL, "special", _polygamma, sym("polygamma"), lambda n, x, ans: (None, op("polygamma", n + 1, x)),
         result_kind=_polygamma_kind, names=named(scipy="polygamma"), spell=helper_call(_polygamma))
register("erfinv", 1, SPECIAL, "special", _erfinv, sym("erfinv"), lambda x, ans: (SQRT_PI_HALF * exp(ans * ans),),
         result_kind=float_result, names=named(scipy="erfinv"), spell=helper_call(_erfinv))
register("log_ndtr", 1, SPECIAL, "special", _log_ndtr, _sympy_log_ndtr, lambda x, ans: (exp(-0.5 * x * x - ans) / SQRT_2PI,),
         result_kind=float_result, names=named(scipy="log_ndtr"), spell=helper_call(_log_ndtr))
register("xlogy", 2, SPECIAL, "special", _xlogy, _sympy_xlog("log"), _xlogy_partials,
         result_kind=float_result, names=named(scipy="xlogy"), spell=x_log(_xlogy, "np.log"), float_arithmetic=True)
register("xlog1py", 2, SPECIAL, "special", _xlog1py, _sympy_xlog("log1p"), _xlog1py_partials,
         result_kind=float_result, names=named(scipy="xlog1py"), spell=x_log(_xlog1py, "np.log1p"), float_arithmetic=True)
register("fmod", 2, ("call", "math.fmod"), "np.fmod", math.fmod, lambda a, b: sympy_module().sign(a) * sympy_module().Mod(abs(a), abs(b)), _fmod_partials,
         result_kind=float_result, names=named(math="fmod", numpy="fmod"), ieee=np.fmod, float_arithmetic=True)
# fmt: on


# Rounding: float results, derivative 0 (np.floor of an int array is a float array).
def _rounding(name, sympy):
    register(
        name, 1, ("call", f"np.{name}"), f"np.{name}", lambda x: float(getattr(np, name)(x)),
        sympy, lambda x, ans: (None,), result_kind=float_result, names=named(numpy=name),
        **NO_DERIVATIVE,
    )  # fmt: skip


_rounding("floor", sym("floor"))
_rounding("ceil", sym("ceiling"))
_rounding("rint", lambda a: sympy_module().floor(a + sympy_module().Rational(1, 2)))
_rounding("trunc", lambda a: sympy_module().sign(a) * sympy_module().floor(abs(a)))


# Predicates and logic: bool results.
def _predicate(name, arity, evaluate, sympy, scalar=None):
    register(
        name, arity, ("call", scalar or f"np.{name}"), f"np.{name}", evaluate, sympy,
        lambda *args: (None,) * arity, result_kind=bool_result, names=named(numpy=name),
        **NO_DERIVATIVE,
    )  # fmt: skip


_predicate("isnan", 1, math.isnan, lambda a: sympy_module().S.false, "math.isnan")
_predicate("isinf", 1, math.isinf, lambda a: sympy_module().S.false, "math.isinf")
_predicate("isfinite", 1, math.isfinite, lambda a: sympy_module().S.true, "math.isfinite")
_predicate("logical_and", 2, lambda a, b: bool(a and b), sym("And"))
_predicate("logical_or", 2, lambda a, b: bool(a or b), sym("Or"))
_predicate("logical_xor", 2, lambda a, b: bool(a) != bool(b), sym("Xor"))


# Integer-valued results of float inputs: indices, casts and ranges.
def _argmax_kind(kinds, atoms, attrs):
    k = kinds[0]
    if k.rank == 0:
        raise RankError("np.argmax/np.argmin need an array")
    return with_dtype(reduce_kind(kinds, atoms, attrs), "int")


def _arg_reduction(func):
    def spell(printer, op, args):
        axis = op.attrs.axis
        if axis is None or printer.kind(op.args[0]).rank == 1:
            return printer.call(f"np.{func}", args)
        return printer.call(
            f"np.{func}", args, [("axis", ast.Constant(axis % printer.kind(op.args[0]).rank))]
        )

    return spell


def _arg_sympy(func):
    def picked(args, attrs, number, truth):
        values = np.vectorize(number, otypes=[float])(np.asarray(args[0], dtype=object))
        return func(values, axis=attrs.axis)

    return picked


def _to_int(printer, op, args):
    if printer.kind(op.args[0]).rank == 0:
        return printer.call("int", args)
    return ast.Call(ast.Attribute(args[0], "astype"), [printer.attribute("np.int64")], [])


def _arange_kind(kinds, atoms, attrs):
    if any(k.rank for k in kinds):
        raise RankError("np.arange takes numbers (start, stop, step)")
    dtype = "int" if all(k.dtype == "int" for k in kinds) else "float"
    if all(isinstance(a, Const) for a in atoms):  # np.arange(5): known to have 5 elements
        start, stop, step = (a.value for a in atoms)
        if step == 0:
            raise RankError("np.arange's step must not be 0")
        return Kind.of_sizes(dtype, [size_of(Const(len(np.arange(start, stop, step))))])
    return Kind.of_sizes(dtype, [AxisSize.MAYBE_ONE])


def _arange(printer, op, args):
    start, _, step = op.args
    if getattr(start, "value", None) == 0 and getattr(step, "value", None) == 1:
        return printer.call("np.arange", args[1:2])
    return printer.call("np.arange", args)


CONSTANT = {"differentiable": False, "elementwise": False}
AXIS = Option("axis", (int,), None)

# fmt: off
register("argmax", 1, SPECIAL, "special", None, None, result_kind=_argmax_kind, names=named(numpy="argmax", methods="argmax", options=(AXIS,)),
         spell=_arg_reduction("argmax"), sympy_arrays=_arg_sympy(np.argmax), **CONSTANT)
register("argmin", 1, SPECIAL, "special", None, None, result_kind=_argmax_kind, names=named(numpy="argmin", methods="argmin", options=(AXIS,)),
         spell=_arg_reduction("argmin"), sympy_arrays=_arg_sympy(np.argmin), **CONSTANT)
register("to_int", 1, SPECIAL, "special", int, lambda a: sympy_module().Integer(int(a)), lambda x, ans: (None,),
         result_kind=lambda kinds, atoms, attrs: with_dtype(broadcast(kinds), "int"), spell=_to_int, **NO_DERIVATIVE)  # x.astype(int)
register("arange", 3, SPECIAL, "special", None, None, result_kind=_arange_kind, spell=_arange,  # np.arange(start, stop, step)
         sympy_arrays=lambda args, attrs, number, truth: np.arange(*(int(a) if a == int(a) else float(a) for a in args)), fresh=True, contiguous=True, **CONSTANT)
# fmt: on
