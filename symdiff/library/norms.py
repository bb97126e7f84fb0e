"""``np.linalg.norm``: vector norms (``ord`` None/2, 1, ``inf``, ``-inf`` and
other ``p >= 1``) along an axis or of a whole 1-d array, and matrix norms
(``ord`` None/``"fro"``, 1, -1, ``inf``, ``-inf``) over two axes or of a whole
2-d array; ``ord=None`` with ``axis=None`` is the 2-norm of every element,
whatever the rank, as in NumPy.

At the zero vector (or matrix) every norm has derivative 0, a subgradient
(0 is in the unit ball of the dual norm), as ``abs`` has at 0 and ``hypot``
at the origin: the square root of the sum of squares is taken where that sum
is positive only, so no ``inf * 0`` is formed.  (JAX gives ``nan`` there.)
Ties in the ``inf``-norms share the derivative, as ``np.max`` does.  The
spectral and nuclear norms (``ord=2, -2, "nuc"`` of matrices) need singular
values and are refused, as are ``ord`` below 1 for vectors.
"""

import numpy as np

from .registry import define, refuse


def _root(total, power):
    """``total ** (1 / power)`` (a square root for 2), with derivative 0 where
    ``total`` is 0 (the zero vector) instead of ``inf * 0``."""
    positive = total > 0.0
    safe = np.where(positive, total, 1.0)
    root = np.sqrt(safe) if power == 2 else safe ** (1.0 / power)
    return np.where(positive, root, 0.0)


def _vector_norm(x, ord, axis, keepdims):
    if ord is None or ord == 2:
        return _root(np.sum(x * x, axis=axis, keepdims=keepdims), 2)
    if ord == 1:
        return np.sum(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == np.inf:
        return np.max(np.abs(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return np.min(np.abs(x), axis=axis, keepdims=keepdims)
    if isinstance(ord, str) or ord < 1:
        refuse(
            "np.linalg.norm(x, ord=...) of a vector takes a constant ord=None, 1, 2, np.inf, "
            "-np.inf or a number above 1",
            "write the ord you mean as a constant",
        )
    return _root(np.sum(np.abs(x) ** ord, axis=axis, keepdims=keepdims), ord)


def _matrix_norm(x, ord, rows, columns, keepdims):
    """The norm over axes ``rows`` and ``columns`` (non-negative)."""
    if ord is None or ord == "fro":
        return _root(np.sum(x * x, axis=(rows, columns), keepdims=keepdims), 2)
    if ord == 1 or ord == -1:  # the largest (smallest) sum of a column
        along = rows
    elif ord == np.inf or ord == -np.inf:  # the largest (smallest) sum of a row
        along = columns
    else:
        refuse(
            'np.linalg.norm(x, ord=...) of a matrix takes a constant ord=None, "fro", 1, -1, '
            "np.inf or -np.inf",
            'ord=2, -2 and "nuc" need singular values: write them with np.linalg.svd',
        )
    sums = np.sum(np.abs(x), axis=along, keepdims=True)
    if ord > 0:
        return np.max(sums, axis=(rows, columns), keepdims=keepdims)
    return np.min(sums, axis=(rows, columns), keepdims=keepdims)


@define("numpy.linalg.norm")
def norm(x, ord=None, axis=None, keepdims=False):
    if axis is None:
        if ord is None:  # every element, whatever the rank
            return _root(np.sum(x * x, keepdims=keepdims), 2)
        if x.ndim == 1:
            return _vector_norm(x, ord, None, keepdims)
        if x.ndim == 2:
            return _matrix_norm(x, ord, 0, 1, keepdims)
        refuse(
            "np.linalg.norm(x, ord=...) with axis=None takes a 1-d or 2-d array",
            "give axis= (an int for vectors, a pair for matrices)",
        )
    if isinstance(axis, int):
        return _vector_norm(x, ord, axis, keepdims)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis[0], keepdims)
    if len(axis) != 2:
        refuse("np.linalg.norm(x, axis=...) takes an int or a pair of axes", "axis=(0, 1)")
    return _matrix_norm(x, ord, axis[0] % x.ndim, axis[1] % x.ndim, keepdims)
