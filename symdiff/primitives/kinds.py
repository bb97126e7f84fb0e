"""Kind rules: the kind of a primitive's result from its operands' kinds.

A kind rule is ``rule(kinds, atoms, attrs) -> Kind`` (``ir.Kind``: dtype,
rank, size-1 facts per axis); it raises ``RankError`` for operands of ranks
the primitive does not accept (reported at the user's line by ``analysis``).
Axis sizes are ``ir.AxisSize``: ``MATCHES`` (the size of what it meets),
``ONE`` and ``MAYBE_ONE`` (may have size 1, known when the code runs);
``attrs`` is the operation's ``ir.Attrs``.
"""

from __future__ import annotations

from ..ir import FLOAT, INT, WHOLE, Attrs, AxisSize, Const, Kind, Take

ONE, MAYBE_ONE, MATCHES = AxisSize.ONE, AxisSize.MAYBE_ONE, AxisSize.MATCHES


class RankError(ValueError):
    """An operation applied to values of ranks it does not accept."""


def broadcast(kinds) -> Kind:
    """The kind of an elementwise result: NumPy broadcasting of the operands.

    An axis of the result has size 1 when every operand that has it has size
    1 there; it has full size when any operand has full size there; otherwise
    it may have size 1.
    """
    rank = max(k.rank for k in kinds)
    sizes = []
    for axis in range(rank):
        met = [k.size(axis - (rank - k.rank)) for k in kinds if axis >= rank - k.rank]
        sizes.append(
            MATCHES if MATCHES in met else ONE if all(s is ONE for s in met) else MAYBE_ONE
        )
    dtype = "float" if any(k.dtype == "float" for k in kinds) else "int"
    return Kind.of_sizes(dtype, sizes)


def size_of(atom) -> AxisSize:
    """What is known of an axis whose size is ``atom``: a literal 1, another
    literal, or a size known only when the code runs."""
    if isinstance(atom, Const):
        return ONE if atom.value == 1 else MATCHES if atom.value > 1 else MAYBE_ONE
    return MAYBE_ONE


def joined(kinds, atoms, attrs):
    return broadcast(kinds)


def float_result(kinds, atoms, attrs):
    return with_dtype(broadcast(kinds), "float")


def bool_result(kinds, atoms, attrs):
    return with_dtype(broadcast(kinds), "bool")


def with_dtype(k: Kind, dtype: str) -> Kind:
    return Kind(dtype, k.rank, k.unit, k.maybe)


def pow_kind(kinds, atoms, attrs):
    k = broadcast(kinds)
    exponent = atoms[1]
    if k.dtype == "int" and isinstance(exponent, Const) and exponent.value >= 0:
        return k
    return with_dtype(k, "float")


def where_kind(kinds, atoms, attrs):
    k = broadcast(kinds)
    dtype = "float" if any(x.dtype == "float" for x in kinds[1:]) else kinds[1].dtype
    return with_dtype(k, dtype)


def dot_kind(kinds, atoms, attrs):
    a, b = kinds[0], kinds[1]
    if a.rank == 0 or b.rank == 0:
        raise RankError("a matrix product needs arrays, not scalars (use * for scaling)")
    if a.rank > 2 or b.rank > 2:
        raise RankError(f"matrix products of rank-{max(a.rank, b.rank)} arrays are not supported")
    sizes = a.sizes()[:-1] + b.sizes()[1:] if b.rank == 2 else a.sizes()[:-1]
    if a.rank == 1:
        sizes = b.sizes()[1:]
    dtype = "float" if FLOAT.dtype in (a.dtype, b.dtype) else "int"
    return Kind.of_sizes(dtype, sizes)


def float_like(index):
    def rule(kinds, atoms, attrs):
        return with_dtype(kinds[index], "float")

    return rule


def transpose_kind(kinds, atoms, attrs):
    """``x.T`` (the axes reversed), or the axes in the order ``attrs.axes``."""
    k = kinds[0]
    if attrs.axes is None:
        return Kind.of_sizes(k.dtype, reversed(k.sizes()))
    if sorted(attrs.axes) != list(range(k.rank)):
        raise RankError(
            f"axes {attrs.axes} are not an order of the {k.rank} axes of a rank-{k.rank} array"
        )
    return Kind.of_sizes(k.dtype, [k.size(axis) for axis in attrs.axes])


def reshape_kind(kinds, atoms, attrs):
    if any(k.rank or k.dtype != "int" for k in kinds[1:]):
        raise RankError("a shape is a tuple of ints")
    # (x.reshape(-1, 1)'s -1 axis holds all of x, so it is not 1 where x has an
    # axis that is not; left "maybe": it reaches a lowering defect, see the report
    # of branch gp: an in-place write into a reshaped adjoint read again later.)
    return Kind.of_sizes(kinds[0].dtype, [size_of(a) for a in atoms[1:]])


def product_size(sizes) -> AxisSize:
    """What is known of the product of axis sizes: not 1 if one is not (an
    axis that is not 1 is 0 or at least 2), 1 if all are."""
    if MATCHES in sizes:
        return MATCHES
    return ONE if all(s is ONE for s in sizes) else MAYBE_ONE


def normalize_axis(axis, rank):
    if axis is None:
        return None
    if not -rank <= axis < rank:
        raise RankError(f"axis {axis} is out of range for an array of rank {rank}")
    return axis % rank


def reduced_axes(axis, rank) -> tuple | None:
    """The axes a reduction's ``axis=`` (None, an int or a tuple of ints,
    negative counting from the end) names on a rank-``rank`` array: sorted and
    non-negative, or None when it names them all."""
    if axis is None:
        return None
    axes = axis if isinstance(axis, tuple) else (axis,)
    if not axes:
        raise RankError("axis=() reduces nothing (leave the reduction out)")
    normalized = sorted(normalize_axis(a, rank) for a in axes)
    if len(set(normalized)) != len(normalized):
        raise RankError(f"axis={axis} names an axis twice")
    return None if len(normalized) == rank else tuple(normalized)


def reduce_kind(kinds, atoms, attrs):
    """A reduction over ``axis`` (None, an int or a tuple), the reduced axes
    kept as size 1 with ``keepdims``."""
    k = kinds[0]
    dtype = "float" if k.dtype == "float" else "int"
    if k.rank == 0:  # NumPy reduces a number over all its (no) axes: the number
        if attrs.axis is not None:
            raise RankError(f"axis {attrs.axis} is out of range for a number")
        return Kind.of_sizes(dtype, [])
    axes, keepdims = reduced_axes(attrs.axis, k.rank), attrs.keepdims
    if axes is None:
        return Kind.of_sizes(dtype, [ONE] * k.rank if keepdims else [])
    sizes = k.sizes()
    for axis in reversed(axes):
        if keepdims:
            sizes[axis] = ONE
        else:
            del sizes[axis]
    return Kind.of_sizes(dtype, sizes)


def expand_kind(kinds, atoms, attrs):
    """Reduced axes put back (size 1): ``axis`` an int or a tuple, counted on
    the result's rank, as ``np.expand_dims`` counts them."""
    k = kinds[0]
    if k.rank == 0:  # a scalar broadcasts as it is
        return k
    sizes = k.sizes()
    for axis in expanded_axes(attrs.axis, k.rank):
        sizes.insert(axis, ONE)
    return Kind.of_sizes(k.dtype, sizes)


def expanded_axes(axis, rank) -> list:
    """The (ascending, non-negative) axes ``np.expand_dims(g, axis)`` inserts
    into a rank-``rank`` ``g``."""
    axes = axis if isinstance(axis, tuple) else (axis,)
    return sorted(a % (rank + len(axes)) for a in axes)


def outer_kind(kinds, atoms, attrs):
    if kinds[0].rank != 1 or kinds[1].rank != 1:
        raise RankError("np.outer takes two rank-1 arrays")
    return Kind.of_sizes("float", kinds[0].sizes() + kinds[1].sizes())


def getitem_kind(kinds, atoms, attrs):
    k = kinds[0]
    pattern = attrs.index
    if len(pattern) > k.rank:
        raise RankError(
            f"too many indices: {len(pattern)} index item(s) for a value of rank {k.rank}"
        )
    if any(x.rank or x.dtype == "float" for x in kinds[1:]):
        raise RankError("indices must be ints (or slices of ints)")
    dtype = "float" if k.dtype == "float" else k.dtype
    sizes = []
    for axis, size in enumerate(k.sizes()):
        item = pattern[axis] if axis < len(pattern) else WHOLE
        if isinstance(item, Take):
            continue
        # A slice may have size 1, or 0 (x[1:2] of an axis of size 1, which
        # then broadcasts like any size but 1).
        sizes.append(size if item == WHOLE else MAYBE_ONE)
    return Kind.of_sizes(dtype, sizes)


def shape_kind(kinds, atoms, attrs):
    axis = attrs.axis
    if kinds[0].rank == 0 and axis is not None:  # np.size(2.0) is 1
        raise RankError("a scalar has no shape")
    if axis is not None:
        normalize_axis(axis, kinds[0].rank)
    return INT


def create_kind(kinds, atoms, attrs):
    if any(k.rank or k.dtype != "int" for k in kinds):
        raise RankError("array sizes must be ints")
    return Kind.of_sizes(attrs.dtype or "float", [size_of(a) for a in atoms])  # dtype: a tape's


def eye_kind(kinds, atoms, attrs):
    """``eye(n)``, or ``eye(m, n, k)``: ``m`` rows of ``n`` columns, the ones from column ``k``."""
    if len(kinds) not in (1, 3) or any(k.rank or k.dtype != "int" for k in kinds):
        raise RankError("np.eye takes an int")
    sizes = atoms[:2] if len(atoms) > 1 else atoms * 2
    return Kind.of_sizes("float", [size_of(size) for size in sizes])


def sum_to_kind(kinds, atoms, attrs):
    """``g`` summed to the shape of ``x``: along each axis, size 1 where either
    has size 1 (``g`` itself may be smaller than ``x``), else ``g``'s size."""
    g, x = kinds
    if g.rank < x.rank:  # a smaller adjoint broadcasts as it is
        return with_dtype(g, "float")
    offset = g.rank - x.rank
    sizes = []
    for axis in range(x.rank):
        have, wanted = g.size(axis + offset), x.size(axis)
        sizes.append(ONE if ONE in (have, wanted) else have if wanted is MATCHES else MAYBE_ONE)
    return Kind.of_sizes("float", sizes)


def store_kind(kinds, atoms, attrs):
    """``a[index] = v``: the kind of ``a``; ``v`` must fit the selection."""
    value, array = kinds[0], kinds[1]
    selected = getitem_kind(kinds[1:], atoms[1:], attrs)
    if value.rank > selected.rank:
        raise RankError(
            f"cannot store a rank-{value.rank} value into a selection of rank {selected.rank}"
        )
    if array.dtype != "float" and value.dtype == "float":
        raise RankError("storing a float into an int or bool array would truncate it")
    return array


def tape_kind(k: Kind) -> Kind:
    """A tape of values of kind ``k``: one more (leading) axis."""
    return Kind(k.dtype, k.rank + 1, tuple(a + 1 for a in k.unit), tuple(a + 1 for a in k.maybe))


def tape_result(kinds, atoms, attrs):
    """A tape of n entries like ``like``, or like ``like[select]`` (a pattern
    of indices and whole slices: the part a loop reads of an array)."""
    like = kinds[1]
    if attrs.select is not None:
        like = getitem_kind([like], atoms[1:], Attrs(index=attrs.select))
    return tape_kind(with_dtype(like, attrs.dtype))


def cumsum_kind(kinds, atoms, attrs):
    """``np.cumsum``: the shape of ``x`` along an axis; flattened for ``axis=None``."""
    k = kinds[0]
    if k.rank == 0:
        raise RankError("np.cumsum needs an array")
    dtype = "float" if k.dtype == "float" else "int"
    if attrs.axis is not None:
        normalize_axis(attrs.axis, k.rank)
        return with_dtype(k, dtype)
    sizes = k.sizes()
    if k.rank > 1:
        sizes = [product_size(sizes)]
    return Kind.of_sizes(dtype, sizes)


def flip_kind(kinds, atoms, attrs):
    """``np.flip``: the kind of ``x`` (its sizes are kept)."""
    k = kinds[0]
    if k.rank == 0:
        raise RankError("np.flip needs an array")
    normalize_axis(attrs.axis, k.rank)
    return k
