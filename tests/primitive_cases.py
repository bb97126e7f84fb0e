"""One small function per primitive and spelling, used by test_primitives.py.

symdiff reads source code, so the table's functions live in this module.
"""

import math
from math import exp as math_exp

import numpy
import numpy as np
import scipy.special


def add(x, y):
    return x + y


def sub(x, y):
    return x - y


def mul(x, y):
    return x * y


def div(x, y):
    return x / y


def power(x, y):
    return x**y


def power_const(x, y):
    return x**3 + y**0.5 + x**-2


def floordiv(x, y):
    return x // y + x * y


def mod(x, y):
    return x % y


def neg(x):
    return -x


def sin(x):
    return math.sin(x)


def cos(x):
    return math.cos(x)


def tan(x):
    return math.tan(x)


def asin(x):
    return math.asin(x)


def acos(x):
    return math.acos(x)


def atan(x):
    return math.atan(x)


def atan2(y, x):
    return math.atan2(y, x)


def sinh(x):
    return math.sinh(x)


def cosh(x):
    return math.cosh(x)


def tanh(x):
    return math.tanh(x)


def asinh(x):
    return math.asinh(x)


def acosh(x):
    return math.acosh(x)


def atanh(x):
    return math.atanh(x)


def exp_(x):
    return math_exp(x)


def expm1(x):
    return math.expm1(x)


def log(x):
    return math.log(x)


def log_base(x, y):
    return math.log(x, y)


def log1p(x):
    return math.log1p(x)


def log2(x):
    return math.log2(x)


def log10(x):
    return math.log10(x)


def sqrt(x):
    return math.sqrt(x)


def pow_fn(x, y):
    return math.pow(x, y)


def builtin_pow(x, y):
    return pow(x, y)


def hypot(x, y):
    return math.hypot(x, y)


def fabs(x):
    return math.fabs(x)


def abs_(x):
    return abs(x)


def max_(x, y):
    return max(x, y)


def min_(x, y):
    return min(x, y)


def max3(x, y):
    return max(x, y, 0.5 * (x + y) + 0.1)


def copysign(x, y):
    return math.copysign(x, y)


def erf(x):
    return math.erf(x)


def erfc(x):
    return math.erfc(x)


def np_sin(x):
    return np.sin(x)


def np_arctan2(y, x):
    return numpy.arctan2(y, x)


def np_maximum(x, y):
    return np.maximum(x, y)


def np_sign_times(x):
    return np.sign(x) * x


def np_power(x, y):
    return np.power(x, y)


def np_arccosh(x):
    return np.arccosh(x)


def cbrt(x):
    return np.cbrt(x)


def expit(x):
    return scipy.special.expit(x)


def cumsum_method(x):
    return np.sum(x.cumsum(axis=1) * x.cumsum()[:6].reshape((2, 3)))


def cumsum_dtype(x):
    return np.sum(np.cumsum(x, dtype=float))  # ERR: cumsum_dtype


def cumsum_too_many(x):
    return np.sum(np.cumsum(x, 0, 1))  # ERR: cumsum_too_many


def cumsum_axis_not_an_int(x):
    return np.sum(np.cumsum(x, axis=1.5))  # ERR: cumsum_axis_not_an_int


def cumsum_of_a_number(x):
    return np.cumsum(x * 2.0)  # ERR: cumsum_of_a_number


def new_primitives_in_a_loop(x, n):
    for i in range(n):
        x = np.cumsum(x) * 0.5 + scipy.special.expit(x * i) + np.cbrt(x + 2.0)
    return np.sum(np.flip(x) * x)


def sum_keepdims_by_position(x):
    return np.sum(np.sum(x, 0, True))  # ERR: sum_keepdims_by_position
