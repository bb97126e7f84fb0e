"""Sorting: ``np.sort`` as the gather of its argsort.

``np.sort(a, axis)`` is ``np.take_along_axis(a, np.argsort(a, axis), axis)``:
the sorted values are read from ``a`` at the permutation ``argsort`` chose,
so their derivative is that permutation's (the adjoint scatters ``g`` back
to where each value came from).  ``argsort`` is always the stable sort, so
tied values keep their order and each gets its own element's derivative
(NumPy's default sort gives the same values; only which of two equal
elements comes first could differ, and it does not change the result).
"""

import numpy as np

from .registry import define, refuse


@define("numpy.sort")
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    if order is not None:
        refuse("np.sort(..., order=...) is not supported", "sort arrays of numbers")
    if axis is None:
        flat = np.ravel(a)
        return np.take_along_axis(flat, np.argsort(flat), axis=-1)
    return np.take_along_axis(a, np.argsort(a, axis=axis), axis=axis)
