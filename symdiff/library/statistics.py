"""Statistics: variance, standard deviation, averages (NumPy's conventions:
``ddof`` is the delta degrees of freedom, the divisor is ``count - ddof``;
``axis`` is None, an int or a tuple of ints).

Where every element is the same, the standard deviation is 0 and has no
derivative (it is a norm of the deviations, as ``abs`` is at 0): ``np.std``
has derivative 0 there, as ``abs`` and ``np.linalg.norm`` do (the chain rule
would give ``inf * 0 = nan``); so does the standard deviation of one
element, which is 0 everywhere.  ``np.var`` is smooth everywhere.
"""

import numpy as np

from .registry import apply, define, refuse


def _count(a, axis):
    """How many elements of ``a`` each result of a reduction over ``axis`` reads."""
    if axis is None:
        return a.size
    if isinstance(axis, int):
        return a.shape[axis]
    count = a.shape[axis[0]]
    for k in axis[1:]:
        count = count * a.shape[k]
    return count


@define("numpy.var", methods="var")
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    if dtype is not None or out is not None:
        refuse("var() with dtype= or out= is not supported", "leave them out")
    deviation = a - np.mean(a, axis=axis, keepdims=True)
    return np.sum(deviation * deviation, axis=axis, keepdims=keepdims) / (_count(a, axis) - ddof)


@define("numpy.std", methods="std")
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
    if dtype is not None or out is not None:
        refuse("std() with dtype= or out= is not supported", "leave them out")
    variance = var(a, axis=axis, ddof=ddof, keepdims=keepdims)
    spread = variance > 0.0  # where it is 0: derivative 0, not sqrt's inf times 0
    return np.where(spread, np.sqrt(np.where(spread, variance, 1.0)), 0.0)


@define("numpy.diff")
def diff(a, n=1, axis=-1, prepend=None, append=None):
    if prepend is not None or append is not None:
        refuse("np.diff(..., prepend=, append=) is not supported", "concatenate first")
    if not isinstance(n, int) or n < 0:
        refuse("np.diff(x, n) takes a constant int n >= 0", "write n=1, n=2...")
    for _ in (None,) * n:  # a static tuple: unrolled
        a = apply("diff", a, axis=axis)  # one difference: the primitive
    return a


@define("numpy.average")
def average(a, axis=None, weights=None, returned=False, keepdims=False):
    if returned:
        refuse("np.average(..., returned=True) is not supported", "compute np.sum(weights) apart")
    if weights is None:
        return np.mean(a, axis=axis, keepdims=keepdims)
    if weights.ndim != a.ndim:  # 1-d weights along one axis
        if weights.ndim != 1 or not isinstance(axis, int):
            refuse(
                "np.average(a, axis, weights=w) takes w of the shape of a, or 1-d along an int axis",
                "give weights of a's shape, or axis=k with len(w) == a.shape[k]",
            )
        along = axis % a.ndim
        weights = weights.reshape((1,) * along + (-1,) + (1,) * (a.ndim - along - 1))
    total = np.sum(a * weights, axis=axis, keepdims=keepdims)
    return total / np.sum(weights, axis=axis, keepdims=keepdims)
