"""The functions of ``symdiff.vmath`` as plain Python: NumPy's own."""

from __future__ import annotations

import numpy as np

FUNCTIONS = ("exp", "log")  # the names generated code may call, as vmath.<name>


def exp(x):
    """``np.exp(x)``; under Numba, a vectorised loop (``vmath.kernels``).

    >>> exp(np.array([0.0, 1.0]))
    array([1.        , 2.71828183])
    """
    return np.exp(x)


def log(x):
    """``np.log(x)``; under Numba, a vectorised loop (``vmath.kernels``).

    >>> log(np.array([1.0, np.e]))
    array([0., 1.])
    """
    return np.log(x)
