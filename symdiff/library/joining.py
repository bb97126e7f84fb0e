"""Joining, splitting and convolution, written with the primitives
``np.concatenate``, ``np.stack`` and the two correlations of
``symdiff.primitives.joining`` (``correlate_valid``, ``correlate_full``).

* ``np.array`` of a list (nested lists: stacks of stacks) stacks its items;
  of an array, it is a copy.  ``np.hstack``, ``np.vstack``, ``np.dstack``,
  ``np.column_stack`` and ``np.append`` are concatenations after NumPy's
  reshapes (``atleast_1d``/``2d``/``3d``, columns for ``column_stack``);
  ``np.block`` of nested lists joins the innermost lists along the last
  axis, the next along the one before, after giving each array leading
  size-1 axes up to the largest rank (or the nesting depth).
* ``np.split``, ``np.array_split`` (and ``hsplit``/``vsplit``/``dsplit``) with static
  sections give a list of slices: a count ``k`` cuts the axis into ``k``
  pieces, the first ``n % k`` one longer (``array_split``'s rule;
  ``np.split`` does not check that ``k`` divides the axis when the code
  runs, as NumPy does: it gives the same pieces); a list of indices cuts
  there, with Python's slice rules.
* A convolution is a correlation with the kernel flipped.  ``mode="full"``
  is ``correlate_full``, ``"valid"`` is ``correlate_valid`` (the second
  operand must be no larger than the first along any axis, checked when
  the code runs: NumPy and SciPy swap the operands instead), ``"same"`` the
  centred part of the full result, as SciPy and NumPy centre it:
  ``np.convolve`` starts at ``(min(n, m) - 1) // 2`` and keeps ``max(n,
  m)`` elements; ``scipy.signal.convolve``, ``correlate`` and
  ``convolve2d`` start at ``(m - 1) // 2`` along each axis and keep the
  first operand's size; ``correlate2d`` starts at ``m // 2`` (SciPy's
  own rule: it differs from ``correlate``'s for kernels of even size).
  ``boundary="fill"`` with ``fillvalue=0`` only.

Everything here is linear in each operand: derivatives exist everywhere.
"""

import numpy as np

from ..primitives.naming import OBJECT_PRIMITIVES
from .registry import Refusal, define, known, refuse, static


def correlate_valid(x, k):
    """``out[i] = sum_j x[i + j] * k[j]`` where ``k`` fits inside ``x`` (the
    primitive ``correlate_valid``; this is its meaning in NumPy)."""
    windows = np.lib.stride_tricks.sliding_window_view(x, np.shape(k))
    return np.tensordot(windows, k, axes=np.ndim(k))


def correlate_full(x, k):
    """The correlation of ``x`` padded with ``len(k) - 1`` zeros on each side
    (the primitive ``correlate_full``)."""
    return correlate_valid(np.pad(x, [(m - 1, m - 1) for m in np.shape(k)]), k)


def same_shape(value, like):
    """``value``, which has the shape of ``like`` (the primitive ``same_shape``:
    a slice the code knows the size of, as ``"same"`` mode's)."""
    return value


OBJECT_PRIMITIVES[id(same_shape)] = (same_shape, "same_shape")
OBJECT_PRIMITIVES[id(correlate_valid)] = (correlate_valid, "correlate_valid")
OBJECT_PRIMITIVES[id(correlate_full)] = (correlate_full, "correlate_full")


# -- joining -------------------------------------------------------------------
@define("numpy.array numpy.asarray")
def array(object, dtype=None, copy=True, order="K", subok=False, ndmin=0):
    if dtype is not None and dtype is not float and dtype is not np.float64:
        refuse("np.array(..., dtype=...) is supported for float only", "leave dtype out")
    if ndmin != 0:
        refuse("np.array(..., ndmin=...) is not supported", "reshape the result instead")
    if isinstance(object, (list, tuple)):
        items = []
        for item in object:
            if isinstance(item, (list, tuple)):
                items.append(array(item))
            else:
                items.append(item)
        result = np.stack(items)
    else:
        result = np.copy(object)
    if dtype is not None:
        return result * 1.0
    return result


def _no_dtype(dtype, message):
    if dtype is not None:
        refuse(message, "leave dtype out")


def _at_least_1d(a):
    if np.ndim(a) == 0:
        return np.reshape(a, (1,))
    return a


def _at_least_2d(a):
    if np.ndim(a) == 0:
        return np.reshape(a, (1, 1))
    if np.ndim(a) == 1:
        return np.stack([a])  # a row: the sizes of a known to the code, unlike a reshape's
    return a


def _at_least_3d(a):
    if np.ndim(a) == 0:
        return np.reshape(a, (1, 1, 1))
    if np.ndim(a) == 1:
        return np.stack([np.stack([a], axis=1)])
    if np.ndim(a) == 2:
        return np.stack([a], axis=2)
    return a


def _column(a):
    if np.ndim(a) == 0:
        return np.reshape(a, (1, 1))
    if np.ndim(a) == 1:
        return np.stack([a], axis=1)
    return a


def _all_of_rank(arrays, rank):
    for a in arrays:
        if np.ndim(a) != rank:
            return False
    return True


@define("numpy.hstack")
def hstack(tup, dtype=None, casting="same_kind"):
    _no_dtype(dtype, "np.hstack(..., dtype=...) is not supported")
    arrays = [_at_least_1d(a) for a in tup]
    return np.concatenate(arrays, axis=0 if np.ndim(arrays[0]) == 1 else 1)


@define("numpy.vstack numpy.row_stack")
def vstack(tup, dtype=None, casting="same_kind"):
    _no_dtype(dtype, "np.vstack(..., dtype=...) is not supported")
    if _all_of_rank(tup, 1):  # rows of one length
        return np.stack(tup)
    return np.concatenate([_at_least_2d(a) for a in tup], axis=0)


@define("numpy.dstack")
def dstack(tup):
    if _all_of_rank(tup, 2):
        return np.stack(tup, axis=2)
    return np.concatenate([_at_least_3d(a) for a in tup], axis=2)


@define("numpy.column_stack")
def column_stack(tup):
    if _all_of_rank(tup, 1):  # columns of one length
        return np.stack(tup, axis=1)
    return np.concatenate([_column(a) for a in tup], axis=1)


@define("numpy.append")
def append(arr, values, axis=None):
    return np.concatenate([arr, values], axis=axis)


def _block_depth(arrays):
    """How deeply the lists of ``np.block`` are nested."""
    if isinstance(arrays, list):
        return 1 + _block_depth(arrays[0])
    return 0


def _block_rank(arrays):
    """The largest rank of the arrays in the nested lists."""
    if not isinstance(arrays, list):
        return np.ndim(arrays)
    rank = 0
    for item in arrays:
        inner = _block_rank(item)
        if inner > rank:
            rank = inner
    return rank


def _block_join(arrays, depth, rank):
    """The innermost lists joined along the last axis, the next ones along the
    one before it...; each array first gets leading axes up to ``rank``."""
    if isinstance(arrays, list):
        parts = [_block_join(item, depth - 1, rank) for item in arrays]
        return np.concatenate(parts, axis=rank - depth)
    return _leading_axes(arrays, rank)


def _leading_axes(a, rank):
    """``a`` with size-1 axes in front up to ``rank``."""
    if np.ndim(a) < rank:
        return _leading_axes(np.expand_dims(a, 0), rank)
    return a


@define("numpy.block")
def block(arrays):
    if not isinstance(arrays, list):
        return np.copy(arrays)
    depth = _block_depth(arrays)
    rank = _block_rank(arrays)
    if depth > rank:
        rank = depth
    return _block_join(arrays, depth, rank)


# -- splitting -----------------------------------------------------------------
def _cut(ary, start, stop, axis):
    """``ary[start:stop]`` along ``axis`` (None: no bound)."""
    piece = slice(start, stop)
    if axis == 0:
        return ary[piece]
    if axis == 1:
        return ary[:, piece]
    if axis == 2:
        return ary[:, :, piece]
    if axis == 3:
        return ary[:, :, :, piece]
    refuse("splitting along an axis after the fourth is not supported", "move that axis first")


@static
def _section_count(count):
    """The number of sections, a constant (a global is read now)."""
    if count < 1:
        raise Refusal("splitting needs at least one section", "pass a count of 1 or more")
    return count


@static
def _late_count(name):
    return (
        f"{name}() needs its number of sections known when the code is generated (the "
        "number of pieces it returns), and here it is computed when the code runs"
    )


@static
def _late_count_hint(name):
    return f"write the count as a constant, {name}(x, 3), or cut at indices: {name}(x, [2, 5])"


def _pieces(ary, indices_or_sections, axis, name):
    """The pieces ``name`` (the function the user called) cuts ``ary`` into."""
    if np.ndim(ary) == 0:
        refuse("splitting needs an array, not a number", "split an array of rank 1 or more")
    if not -np.ndim(ary) <= axis < np.ndim(ary):
        refuse("the axis to split along is out of range", "pass an axis of the array")
    axis = axis % np.ndim(ary)
    if isinstance(indices_or_sections, int):
        if not known(indices_or_sections):  # the number of pieces returned depends on it
            refuse(_late_count(name), _late_count_hint(name))
        count = _section_count(indices_or_sections)
        n = ary.shape[axis]
        each, extra = n // count, n % count
        bounds = [None]
        for i in range(1, count):
            bounds.append(i * each + min(i, extra))
        bounds.append(None)
    elif isinstance(indices_or_sections, (list, tuple)):
        bounds = [None, *indices_or_sections, None]
    else:
        refuse(
            "splitting takes a number of sections or a list of indices known when the code "
            "is generated",
            "write np.split(x, 3) or np.split(x, [2, 5])",
        )
    return [_cut(ary, bounds[i], bounds[i + 1], axis) for i in range(len(bounds) - 1)]


@define("numpy.split")
def split(ary, indices_or_sections, axis=0):
    return _pieces(ary, indices_or_sections, axis, "np.split")


@define("numpy.array_split")
def array_split(ary, indices_or_sections, axis=0):
    return _pieces(ary, indices_or_sections, axis, "np.array_split")


@define("numpy.hsplit")
def hsplit(ary, indices_or_sections):
    return _pieces(ary, indices_or_sections, 0 if np.ndim(ary) == 1 else 1, "np.hsplit")


@define("numpy.vsplit")
def vsplit(ary, indices_or_sections):
    if np.ndim(ary) < 2:
        refuse("np.vsplit() needs an array of rank 2 or more", "use np.split for 1-d arrays")
    return _pieces(ary, indices_or_sections, 0, "np.vsplit")


@define("numpy.dsplit")
def dsplit(ary, indices_or_sections):
    if np.ndim(ary) < 3:
        refuse("np.dsplit() needs an array of rank 3 or more", "use np.split for other ranks")
    return _pieces(ary, indices_or_sections, 2, "np.dsplit")


# -- convolution ---------------------------------------------------------------
def _centred(full, start, sizes):
    """``full[start[0] : start[0] + sizes[0], ...]``: the middle of a full result."""
    if np.ndim(full) == 1:
        return full[start[0] : start[0] + sizes[0]]
    return full[start[0] : start[0] + sizes[0], start[1] : start[1] + sizes[1]]


def _check_ranks(in1, in2, ranks, message):
    if np.ndim(in1) != np.ndim(in2) or np.ndim(in1) not in ranks:
        refuse(message, "reshape the operands (other ranks are not supported)")


def _check_mode(mode):
    if mode != "full" and mode != "valid" and mode != "same":
        refuse("the mode of a convolution is 'full', 'valid' or 'same'", "pass one of these")


def _correlation(in1, kernel, mode, start):
    """The correlation of ``in1`` with ``kernel`` in a mode, ``"same"``
    centred at ``start`` (per axis) with ``in1``'s size."""
    _check_mode(mode)
    if mode == "valid":
        return correlate_valid(in1, kernel)
    full = correlate_full(in1, kernel)
    if mode == "full":
        return full
    return same_shape(_centred(full, start, in1.shape), in1)


def _centre(kernel, even_forward):
    """Where SciPy's ``"same"`` starts along each axis."""
    if even_forward:
        return [m // 2 for m in kernel.shape]
    return [(m - 1) // 2 for m in kernel.shape]


@define("numpy.convolve")
def convolve(a, v, mode="full"):
    _check_ranks(a, v, (1,), "np.convolve() takes two 1-d arrays")
    _check_mode(mode)
    kernel = np.flip(v)
    if mode == "valid":
        return correlate_valid(a, kernel)
    full = correlate_full(a, kernel)
    if mode == "full":
        return full
    n, m = a.shape[0], v.shape[0]
    start = (min(n, m) - 1) // 2
    return full[start : start + max(n, m)]


def _boundary(boundary, fillvalue):
    if boundary != "fill":
        refuse(
            "only boundary='fill' is supported",
            "leave boundary out (pad the input yourself with np.pad for other boundaries)",
        )
    if fillvalue != 0:
        refuse("only fillvalue=0 is supported", "leave fillvalue out")


@define("scipy.signal.convolve")
def signal_convolve(in1, in2, mode="full", method="auto"):
    _check_ranks(in1, in2, (1, 2), "scipy.signal.convolve() takes two 1-d or two 2-d arrays")
    return _correlation(in1, np.flip(in2), mode, _centre(in2, False))


@define("scipy.signal.correlate")
def signal_correlate(in1, in2, mode="full", method="auto"):
    _check_ranks(in1, in2, (1, 2), "scipy.signal.correlate() takes two 1-d or two 2-d arrays")
    return _correlation(in1, in2, mode, _centre(in2, False))


@define("scipy.signal.convolve2d")
def convolve2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    _check_ranks(in1, in2, (2,), "scipy.signal.convolve2d() takes two 2-d arrays")
    _boundary(boundary, fillvalue)
    return _correlation(in1, np.flip(in2), mode, _centre(in2, False))


@define("scipy.signal.correlate2d")
def correlate2d(in1, in2, mode="full", boundary="fill", fillvalue=0):
    _check_ranks(in1, in2, (2,), "scipy.signal.correlate2d() takes two 2-d arrays")
    _boundary(boundary, fillvalue)
    return _correlation(in1, in2, mode, _centre(in2, True))
