"""SymPy counterparts of the primitives: the independent reference of ``verify``.

Elementwise primitives give a function of SymPy numbers (``sympy``), applied
to every element.  Structural ones give ``sympy_arrays(operands, attrs,
number, truth)`` on NumPy arrays of SymPy expressions: ``number(expr)``
evaluates an expression at the point, ``truth(expr)`` a condition there (the
winners of ``max`` reductions and ``np.where`` masks are decided at the
point, as the code does when it runs).
"""

from __future__ import annotations

import functools

import numpy as np

from ..ir import Take


def sympy_module():
    """SymPy, imported when first needed (checking), not with symdiff."""
    import sympy

    return sympy


def sym(name):
    """SymPy's function ``name``, looked up when called."""
    return lambda *args: getattr(sympy_module(), name)(*args)


@functools.cache
def _stopped_class():
    sp = sympy_module()

    class StopGradient(sp.Function):
        """``stop_gradient``: its value is its argument's, its derivative 0."""

        def fdiff(self, argindex=1):
            return sp.S.Zero

        def _eval_evalf(self, prec):
            return self.args[0].evalf(prec)

    return StopGradient


def stopped(a):
    """SymPy's counterpart of ``stop_gradient``: a function with derivative 0."""
    return _stopped_class()(a)


def compared(func):
    """A comparison: on arrays, decided per element at the point (a mask of bools)."""

    def compare(args, attrs, number, truth):
        if any(isinstance(a, np.ndarray) for a in args):
            return np.vectorize(lambda *a: truth(func(*a)), otypes=[bool])(*args)
        return func(*args)

    return compare


def where(args, attrs, number, truth):
    condition, then, orelse = args
    if any(isinstance(v, np.ndarray) for v in args):
        return np.where(np.vectorize(truth, otypes=[bool])(condition), then, orelse)
    return then if truth(condition) else orelse


def pick(func):
    """max/min along an axis: the elements that win at the point, averaged
    when several tie (the documented convention: ties share the derivative)."""

    def winners(a, values):
        best = values.max() if func is np.argmax else values.min()
        tied = [e for e, v in zip(a, values) if v == best]
        return sum(tied) / len(tied) if len(tied) > 1 else tied[0]

    def picked(args, attrs, number, truth):
        a = np.asarray(args[0], dtype=object)
        values = np.vectorize(number, otypes=[float])(a)
        axis = attrs.axis
        if axis is None:
            best = winners(a.ravel(), values.ravel())
            return np.full((1,) * a.ndim, best, dtype=object) if attrs.keepdims else best
        axes = axis if isinstance(axis, tuple) else (axis,)
        last = tuple(range(-len(axes), 0))
        moved_a, moved_v = np.moveaxis(a, axes, last), np.moveaxis(values, axes, last)
        out = np.empty(moved_a.shape[: -len(axes)], dtype=object)
        for index in np.ndindex(out.shape):
            out[index] = winners(moved_a[index].ravel(), moved_v[index].ravel())
        return np.expand_dims(out, axes) if attrs.keepdims else out

    return picked


def index_of(args, attrs):
    """The NumPy index of an index pattern, from its (int) operands."""
    items, it = [], iter(int(v) for v in args[1:])
    for item in attrs.index:
        if isinstance(item, Take):
            items.append(next(it))
        else:
            items.append(slice(*[next(it) if given else None for given in item.bounds()]))
    return tuple(items)


def store(add):
    """``a[index] = v`` (or ``+=``) on a copy of ``a`` as an object array."""

    def stored(args, attrs, number, truth):
        value, array = args[0], np.array(args[1], dtype=object)
        selection = index_of(args[1:], attrs)
        array[selection] = array[selection] + value if add else value
        return array

    return stored


def reduce(func):
    def reduced(args, attrs, number, truth):
        return func(
            np.asarray(args[0], dtype=object),
            axis=attrs.axis,
            keepdims=attrs.keepdims,
        )

    return reduced


def on_arrays(func):
    """``func(*operands)`` on the operands as they are (NumPy on object arrays)."""
    return lambda args, attrs, number, truth: func(*args)


def sizes(args):
    return tuple(int(v) for v in args)


def getitem(args, attrs, number, truth):
    return np.asarray(args[0], dtype=object)[index_of(args, attrs)]


def shape(args, attrs, number, truth):
    return sympy_module().Integer(np.shape(args[0])[attrs.axis])


def size(args, attrs, number, truth):
    return sympy_module().Integer(np.size(args[0]))


def cumsum(args, attrs, number, truth):
    """Running sums, element by element (flattened first for ``axis=None``)."""
    return np.cumsum(np.asarray(args[0], dtype=object), axis=attrs.axis)


def transpose(args, attrs, number, truth):
    return np.transpose(np.asarray(args[0], dtype=object), attrs.axes)


def expand_dims(args, attrs, number, truth):
    if np.ndim(args[0]) == 0:  # a number is not expanded (kinds.expand_kind)
        return args[0]
    return np.expand_dims(np.asarray(args[0], dtype=object), attrs.axis)


def flip(args, attrs, number, truth):
    return np.flip(np.asarray(args[0], dtype=object), axis=attrs.axis)
