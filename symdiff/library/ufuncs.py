"""The elementwise long tail, rounding, comparisons by name, casts and constants.

Each is a composition of primitives (``symdiff.primitives``); the few
primitives a definition needs by itself (``np.clip``'s, ``np.arange``'s,
a cast to int) are the private functions ``_clip``, ``_arange``...

Conventions at non-differentiable points:

* ``np.sinc``: derivative 0 at 0 (``sinc`` is smooth there).
* ``np.fmax``/``np.fmin``: the operand that is not nan wins (as NumPy);
  ties share the derivative equally, as ``np.maximum``.
* ``np.mod``/``np.remainder``: the sign of the divisor, derivatives ``1`` and
  ``-floor(x1 / x2)``; ``np.fmod`` (a primitive): the sign of the dividend,
  ``1`` and ``-trunc(x1 / x2)``.
* ``np.clip`` with one bound (``None`` for the other): derivative 1 where the
  bound is not active, bounds included, as ``np.clip`` with two.
* ``np.nan_to_num``: derivative 1 where ``x`` is finite, 0 where it is
  replaced (the adjoint goes to ``nan=``/``posinf=``/``neginf=`` there).
* ``np.heaviside(x1, x2)``: no derivative in ``x1``; ``x2`` where ``x1 == 0``.
* ``np.round``/``np.floor``/``np.ceil``/``np.rint``/``np.trunc``: derivative 0.
* ``scipy.special.logit``: ``1 / (p (1 - p))``, infinite at 0 and 1.
* ``x.astype(float)`` of floats is ``x``; ``.astype(int)`` truncates (no derivative).
* Constants (``np.arange``, ``np.linspace``'s ``num``, ``np.full_like``,
  ``np.meshgrid``) have no derivative of their own; ``np.linspace``'s
  ``start``/``stop``, ``np.full_like``'s fill value and ``np.meshgrid``'s
  inputs are differentiated through.
"""

import math

import numpy as np

from ..primitives.naming import OBJECT_PRIMITIVES
from .registry import define, refuse


def _primitive(name):
    """A private function standing for primitive ``name`` in definitions."""

    def function(*args):
        raise TypeError(f"the primitive {name} is read by symdiff, not called")

    function.__name__ = f"_{name}"
    OBJECT_PRIMITIVES[id(function)] = (function, name)
    return function


_clip = _primitive("clip")
_arange = _primitive("arange")
_to_int = _primitive("to_int")
_zeros_like = _primitive("zeros_like")
_ones_like = _primitive("ones_like")
_LARGEST = 1.7976931348623157e308  # np.finfo(np.float64).max
_SQRT_HALF = math.sqrt(0.5)
_RADIANS_PER_DEGREE = math.pi / 180.0
_DEGREES_PER_RADIAN = 180.0 / math.pi


@define("numpy.reciprocal")
def reciprocal(x):
    return 1.0 / x


@define("numpy.exp2 scipy.special.exp2")
def exp2(x):
    return 2.0**x


@define("scipy.special.exp10")
def exp10(x):
    return 10.0**x


@define("scipy.special.log1p")
def log1p(x):
    return np.log1p(x)


@define("scipy.special.expm1")
def expm1(x):
    return np.expm1(x)


@define("numpy.positive")
def positive(x):
    return +x


@define("numpy.sinc")
def sinc(x):
    # The inner where keeps sin(t) / t away from 0 / 0 (and its derivative
    # from nan): at 0, both the value (1) and the derivative (0) are the limits.
    at_zero = x == 0.0
    t = np.where(at_zero, 1.0, np.pi * x)
    return np.where(at_zero, 1.0, np.sin(t) / t)


@define("numpy.deg2rad numpy.radians")
def deg2rad(x):
    return x * _RADIANS_PER_DEGREE


@define("numpy.rad2deg numpy.degrees")
def rad2deg(x):
    return x * _DEGREES_PER_RADIAN


@define("numpy.fmax")
def fmax(x1, x2):
    return np.where(x2 != x2, x1, np.where(x1 != x1, x2, np.maximum(x1, x2)))


@define("numpy.fmin")
def fmin(x1, x2):
    return np.where(x2 != x2, x1, np.where(x1 != x1, x2, np.minimum(x1, x2)))


@define("numpy.mod numpy.remainder")
def mod(x1, x2):
    return x1 % x2


@define("numpy.float_power")
def float_power(x1, x2):
    return (x1 * 1.0) ** x2


@define("numpy.heaviside")
def heaviside(x1, x2):
    return np.where(x1 < 0.0, 0.0, np.where(x1 > 0.0, 1.0, np.where(x1 == 0.0, x2, x1)))


@define("numpy.clip", methods="clip")
def clip(a, a_min=None, a_max=None, out=None, *, min=None, max=None):  # noqa: A002
    if out is not None:
        refuse("np.clip(..., out=) is not supported", "use the result: y = np.clip(x, lo, hi)")
    low = a_min if min is None else min
    high = a_max if max is None else max
    if low is None and high is None:
        refuse("np.clip() needs a bound", "give a_min=, a_max= or both")
    if low is None:
        return np.where(a > high, high, a)
    if high is None:
        return np.where(a < low, low, a)
    return _clip(a, low, high)


@define("numpy.nan_to_num")
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    high = _LARGEST if posinf is None else posinf
    low = -_LARGEST if neginf is None else neginf
    return np.where(x != x, nan, np.where(x == np.inf, high, np.where(x == -np.inf, low, x)))


@define("scipy.special.logit")
def logit(p):
    return np.log(p / (1.0 - p))


@define("scipy.special.ndtr")
def ndtr(x):
    return 0.5 * math.erfc(-x * _SQRT_HALF)


@define("scipy.special.betaln")
def betaln(a, b):
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


@define("numpy.round numpy.around", methods="round")
def round(a, decimals=0, out=None):  # noqa: A001
    if out is not None:
        refuse("np.round(..., out=) is not supported", "use the result: y = np.round(x)")
    if decimals == 0:
        return np.rint(a)
    if decimals > 0:
        return np.rint(a * 10.0**decimals) / 10.0**decimals
    return np.rint(a / 10.0**-decimals) * 10.0**-decimals


# Comparisons and logic by their NumPy names: masks, never differentiated.
@define("numpy.greater")
def greater(x1, x2):
    return x1 > x2


@define("numpy.greater_equal")
def greater_equal(x1, x2):
    return x1 >= x2


@define("numpy.less")
def less(x1, x2):
    return x1 < x2


@define("numpy.less_equal")
def less_equal(x1, x2):
    return x1 <= x2


@define("numpy.equal")
def equal(x1, x2):
    return x1 == x2


@define("numpy.not_equal")
def not_equal(x1, x2):
    return x1 != x2


@define("numpy.logical_not")
def logical_not(x):
    return _logical_not(x)


_logical_not = _primitive("not")


# Casts and constants.
def _is_float(dtype):
    return dtype is float or dtype is np.float64 or dtype == "float64" or dtype == "float"


def _is_int(dtype):
    return dtype is int or dtype is np.int64 or dtype == "int64" or dtype == "int"


def _is_bool(dtype):
    return dtype is bool or dtype is np.bool_ or dtype == "bool"


_DTYPES = "write float, np.float64, int, np.int64 or bool"


@define("", methods="astype")
def astype(a, dtype, order="K", casting="unsafe", subok=True, copy=True):
    if _is_float(dtype):
        return a * 1.0
    if _is_int(dtype):
        return _to_int(a)
    if _is_bool(dtype):
        return a != 0
    refuse("this dtype is not supported by .astype()", _DTYPES)


def _cast(values, dtype):
    """``values`` (floats) as ``dtype``: None and float keep them."""
    if dtype is None or _is_float(dtype):
        return values
    if _is_int(dtype):
        return _to_int(values)
    if _is_bool(dtype):
        return values != 0.0
    refuse("this dtype is not supported here", _DTYPES)


@define("numpy.zeros_like")
def zeros_like(a, dtype=None, order="K", subok=True, shape=None):
    if shape is not None:
        refuse("zeros_like(..., shape=) is not supported", "write np.zeros(shape)")
    return _cast(_zeros_like(a), dtype)


@define("numpy.ones_like")
def ones_like(a, dtype=None, order="K", subok=True, shape=None):
    if shape is not None:
        refuse("ones_like(..., shape=) is not supported", "write np.ones(shape)")
    return _cast(_ones_like(a), dtype)


@define("numpy.full_like")
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None):
    if shape is not None:
        refuse("full_like(..., shape=) is not supported", "write np.full(shape, value)")
    return _cast(_zeros_like(a) + fill_value, dtype)


@define("numpy.arange")
def arange(start, stop=None, step=None, dtype=None):
    if stop is None:
        values = _arange(0, start, 1 if step is None else step)
    else:
        values = _arange(start, stop, 1 if step is None else step)
    if dtype is None:
        return values
    if _is_float(dtype):
        return values * 1.0
    if _is_int(dtype):
        return _to_int(values)
    refuse("np.arange(..., dtype=) takes float or int here", "write dtype=float or dtype=int")


@define("numpy.linspace")
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    if retstep or dtype is not None or axis != 0:
        refuse("np.linspace() with retstep=, dtype= or axis= is not supported", "leave them out")
    divisions = num - 1 if endpoint else num
    if divisions == 0:  # one point: start (NumPy's convention)
        return start + _zeros_like(_arange(0, 1, 1))
    values = start + _arange(0, num, 1) * ((stop - start) / divisions)
    if endpoint:
        values[-1] = stop  # exactly stop, as NumPy
    return values


@define("numpy.meshgrid")
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    if sparse:
        refuse("np.meshgrid(..., sparse=True) is not supported", "leave sparse out")
    if indexing != "xy" and indexing != "ij":
        refuse("np.meshgrid() takes indexing='xy' or 'ij'", "write indexing='xy' or 'ij'")
    if len(xi) == 2:
        x, y = np.ravel(xi[0]), np.ravel(xi[1])
        nx, ny = x.shape[0], y.shape[0]
        if indexing == "xy":
            rows, columns = y, x
        else:
            rows, columns = x, y
        nr, nc = rows.shape[0], columns.shape[0]
        across = np.reshape(columns, (1, nc)) * np.ones((nr, 1))
        down = np.reshape(rows, (nr, 1)) * np.ones((1, nc))
        if indexing == "xy":
            return across, down
        return down, across
    if len(xi) == 3:
        x, y, z = np.ravel(xi[0]), np.ravel(xi[1]), np.ravel(xi[2])
        nx, ny, nz = x.shape[0], y.shape[0], z.shape[0]
        if indexing == "xy":
            shape = (ny, nx, nz)
            gx = np.reshape(x, (1, nx, 1))
            gy = np.reshape(y, (ny, 1, 1))
        else:
            shape = (nx, ny, nz)
            gx = np.reshape(x, (nx, 1, 1))
            gy = np.reshape(y, (1, ny, 1))
        gz = np.reshape(z, (1, 1, nz))
        return gx * np.ones(shape), gy * np.ones(shape), gz * np.ones(shape)
    refuse("np.meshgrid() takes 2 or 3 arrays here", "pass 2 or 3 arrays")
