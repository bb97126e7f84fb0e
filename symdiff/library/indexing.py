"""Sorting and taking: ``np.sort`` as the gather of its argsort;
``np.argsort`` and ``np.take`` with their options.

``np.sort(a, axis)`` is ``np.take_along_axis(a, np.argsort(a, axis), axis)``:
the sorted values are read from ``a`` at the permutation ``argsort`` chose,
so their derivative is that permutation's (the adjoint scatters ``g`` back
to where each value came from).  ``argsort`` is always the stable sort, so
tied values keep their order and each gets its own element's derivative
(NumPy's default sort gives the same values; only which of two equal
elements comes first could differ, and it does not change the result).
``np.argsort(..., kind=...)`` accepts every kind and sorts stably: for
arrays with ties its order may differ from NumPy's unstable ``quicksort``.

``np.take(a, i, axis, mode=...)``: ``"raise"`` (the default) raises
``IndexError`` for an index outside the axis, ``"wrap"`` reads ``i % n``,
``"clip"`` reads ``i`` clipped to ``[0, n - 1]`` (negative indices read the
first element, as NumPy's ``"clip"`` does).  The derivative is the read's:
1 at each element read, summed over repeats.
"""

import numpy as np

from .registry import apply, define, refuse


@define("numpy.sort")
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    if order is not None:
        refuse("np.sort(..., order=...) is not supported", "sort arrays of numbers")
    if axis is None:
        flat = np.ravel(a)
        return np.take_along_axis(flat, np.argsort(flat), axis=-1)
    return np.take_along_axis(a, np.argsort(a, axis=axis), axis=axis)


_SORT_KINDS = (None, "quicksort", "mergesort", "heapsort", "stable")


@define("numpy.argsort", methods="argsort")
def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    if order is not None:
        refuse("np.argsort(..., order=...) is not supported", "sort arrays of numbers")
    if kind not in _SORT_KINDS:
        refuse("np.argsort's kind= is one of NumPy's sort kinds", "leave kind out")
    return apply("argsort", a, axis=axis)


@define("numpy.take", methods="take")
def take(a, indices, axis=None, out=None, mode="raise"):
    if out is not None:
        refuse("np.take(..., out=) is not supported", "use the result: y = np.take(x, i)")
    if mode == "raise":
        return apply("take", a, indices, axis=axis)
    size = np.size(a) if axis is None else np.shape(a)[axis]
    if mode == "wrap":
        return apply("take", a, indices % size, axis=axis)
    if mode == "clip":
        return apply("take", a, np.minimum(np.maximum(indices, 0), size - 1), axis=axis)
    refuse('np.take\'s mode= is "raise", "wrap" or "clip"', "pass one of these")
