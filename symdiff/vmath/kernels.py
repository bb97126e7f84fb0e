"""The Numba implementations of ``symdiff.vmath``: scalar kernels that LLVM
vectorises, and the loops over arrays that call them.

Each kernel is straight-line float64 arithmetic (conditional expressions
become ``select`` instructions, no calls, no branches), with the bits of a
float read and written by two intrinsics (``_bits``, ``_from_bits``), so the
loop over a contiguous array compiles to SIMD code.  The loops use
``fastmath={"contract"}``: multiply-adds become fused (one rounding instead
of two: more accurate, not less); no other fast-math liberty is taken.

``exp(x)``: ``k = round(x / ln 2)`` (by adding and subtracting 1.5 * 2**52,
whose low bits then hold k), ``r = x - k ln2`` in two parts (Cody and
Waite: ``LN2_HI`` has zero low bits, so ``k * LN2_HI`` is exact), ``|r| <=
ln2 / 2``, ``e**r = 1 + r + r**2 q(r)`` with ``q`` a degree-9 polynomial,
and the result ``e**r * 2**k`` as two exact powers of two,
``2**(k // 2) * 2**(k - k // 2)``: the first product is exact, the second
rounds once, to ``inf`` above the range and through the subnormals to 0
below it.  ``log(x)``: ``x = 2**e * m`` with ``sqrt(1/2) <= m < sqrt(2)``
(subnormals scaled by 2**54 first), ``f = m - 1``, ``s = f / (2 + f)``,
``log(m) = 2 atanh(s) = f - (f**2/2 - s (f**2/2 + R))``, ``R = z h(z)`` with
``z = s**2`` and ``h`` a degree-6 polynomial, plus ``e ln 2`` in two parts.

The polynomials interpolate ``q(r) = (e**r - 1 - r) / r**2`` on
``|r| <= ln2 / 2`` and ``h(z) = (2 atanh(s) - 2 s) / (s z)`` on ``0 <= z <=
(3 - 2 sqrt 2)**2`` at Chebyshev points, computed at 40 digits with
``mpmath.chebyfit`` (degree 9 and 6: interpolation errors of 1e-16 and 3e-16
in ``q`` and ``h``, which reach the result multiplied by ``r**2 <= 0.06``
and ``s z <= 0.005``); highest degree first.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic, overload

from .functions import exp as _vmath_exp
from .functions import log as _vmath_log

_Q = (
    2.5100472505694996e-08, 2.7620201591031547e-07, 2.7557268276905696e-06,
    2.4801521057868204e-05, 0.00019841269863171557, 0.0013888888917367081,
    0.008333333333330039, 0.041666666666623824, 0.16666666666666669, 0.5000000000000001,
)  # fmt: skip
_H = (
    0.14617807153417325, 0.15331611722055008, 0.1818289243253687, 0.22222211089379496,
    0.28571428626253836, 0.3999999999989889, 0.666666666666667,
)  # fmt: skip
Q0, Q1, Q2, Q3, Q4, Q5, Q6, Q7, Q8, Q9 = _Q
H0, H1, H2, H3, H4, H5, H6 = _H

INV_LN2 = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01  # ln 2 to 32 bits: k * LN2_HI is exact for |k| < 2**20
LN2_LO = 1.90821492927058770002e-10  # ln 2 - LN2_HI
SHIFT = 6755399441055744.0  # 1.5 * 2**52: x + SHIFT rounds x to an integer, held in its low bits
SHIFT_BITS = 4843621399236968448  # the bits of SHIFT
EXP_LIMIT = 760.0  # beyond it exp overflows (709.78...) or is 0 (-745.13...)
SQRT2 = 1.4142135623730951
TINY = 2.2250738585072014e-308  # the smallest normal float64
TWO54 = 18014398509481984.0
MANTISSA = 0x000FFFFFFFFFFFFF
ONE_BITS = 0x3FF0000000000000  # the bits of 1.0
KERNEL = {"inline": "always", "fastmath": {"contract"}, "error_model": "numpy"}
LOOP = {"fastmath": {"contract"}, "error_model": "numpy", "cache": True}


@intrinsic
def _bits(typingctx, x):
    """The bits of a float64 as an int64 (a bit cast: no instruction)."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))

    return types.int64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, bits):
    """The float64 whose bits are an int64."""
    if bits != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return types.float64(types.int64), codegen


@numba.njit(**KERNEL)
def exp_kernel(x):
    """e**x of a float64 (see the module docstring)."""
    xc = x if x > -EXP_LIMIT else -EXP_LIMIT  # nan too: it is put back at the end
    xc = xc if xc < EXP_LIMIT else EXP_LIMIT
    shifted = xc * INV_LN2 + SHIFT
    kf = shifted - SHIFT
    r = (xc - kf * LN2_HI) - kf * LN2_LO
    q = Q0 * r + Q1
    q = q * r + Q2
    q = q * r + Q3
    q = q * r + Q4
    q = q * r + Q5
    q = q * r + Q6
    q = q * r + Q7
    q = q * r + Q8
    q = q * r + Q9
    p = 1.0 + (r + r * r * q)
    k = _bits(shifted) - SHIFT_BITS
    half = k >> 1
    y = (p * _from_bits((half + 1023) << 52)) * _from_bits((k - half + 1023) << 52)
    return y if x == x else x


@numba.njit(**KERNEL)
def log_kernel(x):
    """The natural logarithm of a float64 (see the module docstring)."""
    subnormal = x < TINY
    bits = _bits(x * TWO54 if subnormal else x)
    e = ((bits >> 52) & 0x7FF) - (1077 if subnormal else 1023)
    m = _from_bits((bits & MANTISSA) | ONE_BITS)  # in [1, 2)
    high = m > SQRT2
    m = m * 0.5 if high else m
    ef = np.float64(e + 1 if high else e)
    f = m - 1.0
    s = f / (2.0 + f)
    z = s * s
    h = H0 * z + H1
    h = h * z + H2
    h = h * z + H3
    h = h * z + H4
    h = h * z + H5
    h = h * z + H6
    half_square = 0.5 * f * f
    y = ef * LN2_HI + (f - (half_square - (s * (half_square + z * h) + ef * LN2_LO)))
    y = y if x < math.inf else x  # inf, nan
    return y if x > 0.0 else (-math.inf if x == 0.0 else math.nan)


def _array_loop(kernel):
    """A compiled function applying ``kernel`` to each element of an array:
    a contiguous array of the same shape and of ``dtype``."""

    def loop(x, dtype):
        flat = x.ravel()  # a view of a contiguous array, else a copy
        out = np.empty(flat.size, dtype)
        for i in range(flat.size):
            out[i] = kernel(np.float64(flat[i]))
        return out.reshape(x.shape)

    return numba.njit(**LOOP)(loop)


exp_array = _array_loop(exp_kernel)
log_array = _array_loop(log_kernel)


def _implementation(x, loop, fallback):
    """Numba's implementation for ``x``'s type: ``loop`` for real arrays,
    NumPy's function (``fallback``) for anything else (scalars, 0-d, complex).
    float32 arrays give float32 (computed in float64, rounded once), others float64."""
    real = (types.Float, types.Integer, types.Boolean)
    if isinstance(x, types.Array) and x.ndim > 0 and isinstance(x.dtype, real):
        if x.dtype == types.float32:
            return lambda x: loop(x, np.float32)
        return lambda x: loop(x, np.float64)
    return lambda x: fallback(x)


@overload(_vmath_exp)
def _exp_overload(x):
    return _implementation(x, exp_array, np.exp)


@overload(_vmath_log)
def _log_overload(x):
    return _implementation(x, log_array, np.log)
