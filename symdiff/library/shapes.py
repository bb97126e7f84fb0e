"""Shapes and views: NumPy's functions that move, add, remove, repeat or pick
axes and elements, written over a few primitives (``transpose``,
``reshape``, ``flip``, ``expand_dims``, ``squeeze``, ``broadcast_to``,
``diagonal``, ``diag``, ``tril``/``triu``, slices and slice stores).

Every function here is linear in its array, so its derivative is the same
function of the tangent and, in reverse mode, the transposed operation: a
transpose by the inverse order, a squeeze by ``np.expand_dims``, a
broadcast by a sum, a diagonal by zeros with the adjoint on it, a pad by
the slice of the adjoint that was the array.  Conventions:

* There are no non-differentiable points: each function only moves,
  copies or drops elements (an element copied several times by
  ``np.tile``/``np.repeat``/``np.broadcast_to`` gets the sum of the copies'
  adjoints; an element dropped, as by ``np.tril``, gets 0).
* ``np.pad``: the padding's ``constant_values`` is differentiated too (it
  is every padded element); only ``mode="constant"`` is supported.
* Options are constants when the code is generated: axes, shifts,
  repetitions, pad widths (the offset ``k`` of ``np.diag``/``np.tril`` may
  be computed).
* ``np.squeeze(x)`` without ``axis`` takes out the axes known to have size 1
  (the arguments' size-1 axes are part of the specialisation); an axis that
  may or may not have size 1 when the code runs is refused (pass ``axis=``).
* ``np.roll`` and ``np.pad`` of an int array give floats.
"""

import numpy as np

from .registry import apply, define, refuse


def _axes(axis, rank, distinct=True):
    """``axis`` (an int or a tuple of ints, negative from the end) as a tuple
    of axes in ``range(rank)`` (each named once if ``distinct``)."""
    axes = axis if isinstance(axis, tuple) else (axis,)
    for a in axes:
        if a < -rank or a >= rank:
            refuse(
                "an axis is out of range for the array's rank", "use axes from -ndim to ndim - 1"
            )
    axes = tuple(a % rank for a in axes)
    for k in range(len(axes) if distinct else 0):
        if axes[k] in axes[k + 1 :]:
            refuse("an axis is named twice", "name each axis once")
    return axes


@define("numpy.transpose", methods="transpose")
def transpose(a, *orders, axes=None):
    if len(orders) == 1:  # np.transpose(x, (1, 0, 2)), x.transpose((1, 0, 2))
        axes = orders[0]
    elif orders:  # x.transpose(1, 0, 2)
        axes = orders
    if axes is None:
        return apply("transpose", a)
    return apply("transpose", a, axes=_axes(tuple(axes), np.ndim(a)))


@define("numpy.swapaxes", methods="swapaxes")
def swapaxes(a, axis1, axis2):
    rank = np.ndim(a)
    first, second = _axes((axis1, axis2), rank, distinct=False)
    order = tuple(second if k == first else first if k == second else k for k in range(rank))
    return apply("transpose", a, axes=order)


@define("numpy.moveaxis")
def moveaxis(a, source, destination):
    rank = np.ndim(a)
    sources, destinations = _axes(source, rank), _axes(destination, rank)
    if len(sources) != len(destinations):
        refuse("np.moveaxis needs as many destinations as sources", "give one destination per axis")
    rest = [k for k in range(rank) if k not in sources]  # the other axes, in order
    order = ()
    for position in range(rank):
        moved = tuple(s for d, s in zip(destinations, sources) if d == position)
        if moved:
            order = order + moved
        else:
            order = order + (rest[0],)
            rest = rest[1:]
    return apply("transpose", a, axes=order)


@define("numpy.rollaxis")
def rollaxis(a, axis, start=0):
    rank = np.ndim(a)
    (axis,) = _axes(axis, rank)
    if start < -rank or start > rank:
        refuse("np.rollaxis: start is out of range", "use a start from -ndim to ndim")
    if start < 0:  # NumPy counts a negative start from ndim
        start = start + rank
    if axis < start:  # the axis is taken out before it is put back
        start = start - 1
    return moveaxis(a, axis, start)


@define("numpy.expand_dims")
def expand_dims(a, axis):
    count = len(axis) if isinstance(axis, tuple) else 1
    if np.ndim(a) == 0:  # a number: an array of size-1 axes
        return np.reshape(a, (1,) * count)
    for new in sorted(_axes(axis, np.ndim(a) + count)):
        a = apply("expand_dims", a, axis=new)
    return a


@define("numpy.squeeze", methods="squeeze")
def squeeze(a, axis=None):
    if axis is None:
        return apply("squeeze", a)
    return apply("squeeze", a, axes=_axes(axis, np.ndim(a)))


def _at_least(a, rank):
    """``a`` with size-1 axes added as ``np.atleast_<rank>d`` adds them."""
    have = np.ndim(a)
    if have >= rank:
        return a
    if have == 0:
        return np.reshape(a, (1,) * rank)
    if have == 1 and rank == 3:  # (n,) -> (1, n, 1)
        return apply("expand_dims", apply("expand_dims", a, axis=0), axis=2)
    if have == 1:  # (n,) -> (1, n)
        return apply("expand_dims", a, axis=0)
    return apply("expand_dims", a, axis=2)  # (m, n) -> (m, n, 1)


@define("numpy.atleast_1d")
def atleast_1d(*arys):
    if len(arys) == 1:
        return _at_least(arys[0], 1)
    return tuple(_at_least(a, 1) for a in arys)


@define("numpy.atleast_2d")
def atleast_2d(*arys):
    if len(arys) == 1:
        return _at_least(arys[0], 2)
    return tuple(_at_least(a, 2) for a in arys)


@define("numpy.atleast_3d")
def atleast_3d(*arys):
    if len(arys) == 1:
        return _at_least(arys[0], 3)
    return tuple(_at_least(a, 3) for a in arys)


def _sizes(shape):
    """A shape given as an int or a tuple (or list) of ints, as a tuple."""
    return (shape,) if isinstance(shape, int) else tuple(shape)


@define("numpy.broadcast_to")
def broadcast_to(array, shape, subok=False):
    return apply("broadcast_to", array, *_sizes(shape))


@define("numpy.tile")
def tile(A, reps):
    reps = _sizes(reps)
    rank = max(np.ndim(A), len(reps))
    reps = (1,) * (rank - len(reps)) + reps
    shape = (1,) * (rank - np.ndim(A)) + np.shape(A)
    spaced, spread, tiled = (), (), ()
    for count, size in zip(reps, shape):  # each axis after an axis of its copies
        spaced = spaced + (1, size)
        spread = spread + (count, size)
        tiled = tiled + (count * size,)
    return np.reshape(np.broadcast_to(np.reshape(A, spaced), spread), tiled)


@define("numpy.repeat", methods="repeat")
def repeat(a, repeats, axis=None):
    if not isinstance(repeats, int):
        refuse(
            "np.repeat with an array of repeats is not supported",
            "repeat every element the same number of times (an int)",
        )
    if axis is None:  # flattened first, as NumPy does
        a = np.reshape(a, (-1,))
        axis = 0
    (axis,) = _axes(axis, np.ndim(a))
    shape = np.shape(a)
    before, size, after = shape[:axis], shape[axis], shape[axis + 1 :]
    copies = np.broadcast_to(
        np.reshape(a, before + (size, 1) + after), before + (size, repeats) + after
    )
    return np.reshape(copies, before + (size * repeats,) + after)


@define("numpy.flip")
def flip(m, axis=None):
    if axis is None:
        return apply("flip", m)
    for one in _axes(axis, np.ndim(m)) if isinstance(axis, tuple) else (axis,):
        m = apply("flip", m, axis=one)  # each axis reversed in turn
    return m


@define("numpy.fliplr")
def fliplr(m):
    if np.ndim(m) < 2:
        refuse("np.fliplr needs an array of rank 2 at least", "use np.flip(x) for a vector")
    return apply("flip", m, axis=1)


@define("numpy.flipud")
def flipud(m):
    if np.ndim(m) < 1:
        refuse("np.flipud needs an array", "pass an array of rank 1 at least")
    return apply("flip", m, axis=0)


def _roll_axis(a, shift, axis):
    """``a`` rolled by ``shift`` along ``axis``: its last ``shift`` elements
    there first, the others after them."""
    n = a.shape[axis]
    first = shift % n
    whole = (slice(None),) * axis
    rolled = np.zeros_like(a)
    rolled[whole + (slice(first, None),)] = a[whole + (slice(None, n - first),)]
    rolled[whole + (slice(None, first),)] = a[whole + (slice(n - first, None),)]
    return rolled


@define("numpy.roll")
def roll(a, shift, axis=None):
    if axis is None:  # flattened, rolled, and shaped back
        return np.reshape(_roll_axis(np.reshape(a, (-1,)), shift, 0), np.shape(a))
    axes = _axes(axis, np.ndim(a), distinct=False)  # an axis named twice rolls twice
    shifts = shift if isinstance(shift, tuple) else (shift,) * len(axes)
    if len(shifts) != len(axes):
        refuse("np.roll needs one shift per axis", "give as many shifts as axes")
    for one, by in zip(axes, shifts):
        a = _roll_axis(a, by, one)
    return a


@define("numpy.diagonal", methods="diagonal")
def diagonal(a, offset=0, axis1=0, axis2=1):
    rank = np.ndim(a)
    if rank < 2:
        refuse("np.diagonal needs an array of rank 2 at least", "pass a matrix")
    first, second = _axes((axis1, axis2), rank, distinct=False)
    if first == second:
        refuse("np.diagonal needs two different axes", "give axis1 and axis2 different axes")
    if first != rank - 2 or second != rank - 1:  # the two axes moved to the end
        rest = tuple(k for k in range(rank) if k != first and k != second)
        a = apply("transpose", a, axes=rest + (first, second))
    return apply("diagonal", a, offset)


@define("numpy.diag")
def diag(v, k=0):
    if np.ndim(v) == 1:
        return apply("diag", v, k)
    if np.ndim(v) != 2:
        refuse("np.diag takes a rank-1 or rank-2 array", "use np.diagonal for stacks of matrices")
    return apply("diagonal", v, k)


@define("numpy.trace", methods="trace")
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    if dtype is not None or out is not None:
        refuse("trace() with dtype= or out= is not supported", "leave them out")
    return np.sum(diagonal(a, offset, axis1, axis2), axis=-1)


@define("numpy.tril")
def tril(m, k=0):
    return apply("tril", m, k)


@define("numpy.triu")
def triu(m, k=0):
    return apply("triu", m, k)


@define("numpy.pad")
def pad(array, pad_width, mode="constant", constant_values=None):
    if mode != "constant":
        refuse("np.pad supports mode='constant' only", "pad with a constant, or build the array")
    if isinstance(constant_values, tuple) or isinstance(constant_values, list):
        refuse(
            "np.pad with a constant per side is not supported",
            "pad with one constant_values, or pad twice",
        )
    rank = np.ndim(array)
    if isinstance(pad_width, int):  # the same before and after every axis
        pairs = ((pad_width, pad_width),) * rank
    elif isinstance(pad_width[0], int):  # (before, after) or (both,) for every axis
        pairs = ((pad_width[0], pad_width[-1]),) * rank
    elif len(pad_width) == 1:
        pairs = ((pad_width[0][0], pad_width[0][-1]),) * rank
    else:
        pairs = tuple((before, after) for before, after in pad_width)
    if len(pairs) != rank:
        refuse("np.pad needs one (before, after) pair per axis", "give one pair per axis")
    shape, window = (), ()
    for size, (before, after) in zip(np.shape(array), pairs):
        shape = shape + (before + size + after,)
        window = window + (slice(before, before + size),)
    padded = np.zeros(shape) if constant_values is None else np.full(shape, constant_values)
    padded[window] = array
    return padded
