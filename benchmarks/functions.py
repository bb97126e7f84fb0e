"""Functions shared by the benchmarks.

``f`` is a plain Python function (symdiff reads its source with ``inspect``,
so it must live in a real file).  ``f_grad_hand`` is its gradient derived by
hand in reverse mode, written as a careful human would: every
subexpression is computed once and the reciprocals are shared so that the
whole gradient costs three divisions.
"""

import math

from numba import njit


def f(x, z):
    return math.exp(x * z) + x * z / math.log(x) + math.sin(math.log(x)) / (x * z)


# error_model="numpy" matches the code symdiff generates (IEEE inf/nan on
# division by zero instead of a Python exception); cache=True so the
# time-to-first-gradient benchmark can also measure a warm Numba cache.
@njit(error_model="numpy", cache=True)
def f_grad_hand(x, z):
    """(df/dx, df/dz) of ``f``, hand-derived in reverse mode.

    With u = x*z and L = log(x):  f = exp(u) + u/L + sin(L)/u, so
    df/du = exp(u) + 1/L - sin(L)/u**2,  df/dL = cos(L)/u - u/L**2,
    df/dx = df/du * z + df/dL / x,       df/dz = df/du * x.
    """
    u = x * z
    L = math.log(x)
    inv_u = 1.0 / u
    inv_L = 1.0 / L
    u_bar = math.exp(u) + inv_L - math.sin(L) * inv_u * inv_u
    L_bar = math.cos(L) * inv_u - u * inv_L * inv_L
    return u_bar * z + L_bar / x, u_bar * x
