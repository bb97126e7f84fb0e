"""Statistics: variance, standard deviation, averages (NumPy's conventions:
``ddof`` is the delta degrees of freedom, the divisor is ``count - ddof``;
``axis`` is None, an int or a tuple of ints).

At a point where every element is the same, ``np.std`` has derivative
``nan`` (the derivative of ``sqrt`` at 0 is ``inf``, times a zero deviation),
as in every AD system; ``np.var`` is smooth everywhere.
"""

import numpy as np

from .registry import define, refuse


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
    return np.sqrt(var(a, axis=axis, ddof=ddof, keepdims=keepdims))
