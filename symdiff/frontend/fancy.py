"""Subscripts with integer arrays and boolean masks -> ``gather`` operations.

Methods of ``frontend.Converter`` (conventions in ``converter``).
``Expressions.index`` reads each item of a subscript; an item that is an
int array (an argument, ``np.arange(n)``, a list of ints such as ``[0, 2,
2]``) or a bool array (a mask) is an ``ArrayItem`` here.  A subscript with
one is read in two steps, as NumPy's advanced indexing reads it:

1. the ints and slices (``x[0, ids]``: ``x[0]``), a ``getitem`` as usual;
2. the arrays, which index consecutive axes of what is left: a ``gather``
   (``primitives.indexing``), whose result has the index arrays' broadcast
   axes where the arrays were (or first, as NumPy puts them, where ints
   and arrays are apart and nothing precedes them).

A mask of the whole array (``x[x > 0]``) reads the flattened array at the
positions where it is true; a 1-d mask indexes one axis.  Writes into such
subscripts (``x[ids] = v``) are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ir import WHOLE, Attrs, Take, Var
from .values import ListValue


@dataclass(frozen=True, slots=True)
class ArrayItem:
    """An index item that is an array: of ints, or a mask (of bools)."""

    mask: bool = False


class FancyIndexing:
    """Integer-array and mask subscripts (mixed into ``frontend.Converter``)."""

    def array_index_item(self, value, node, pattern, args) -> bool:
        """Append ``value`` to the index as an ``ArrayItem`` if it is an int or
        bool array (or a list of ints); False if it is not one."""
        if isinstance(value, ListValue):
            if not value or not all(self._int_scalar(v) for v in value):
                self.fail(
                    node,
                    "a list index must be a list of ints",
                    "index with ints, slices, int arrays (x[[0, 2]], x[ids]) or a mask array",
                )
            value = self.op("stack", list(value), node)
        kind = self.kind_of(value) if isinstance(value, Var) else None
        if kind is None or kind.rank == 0:
            return False
        if kind.dtype == "float":
            self.fail(
                node,
                "an array of floats cannot be an index",
                "index with an int array (ids.astype(int) outside, or np.argsort/np.arange)",
            )
        pattern.append(ArrayItem(mask=kind.dtype == "bool"))
        args.append(value)
        return True

    def _int_scalar(self, value) -> bool:
        kind = self.kind_of(value)
        return kind is not None and kind.rank == 0 and kind.dtype == "int"

    def fancy_read(self, base, pattern, args, e):
        """``x[index]`` where the index holds arrays: the ints and slices
        first, then a ``gather`` of what is left at the arrays."""
        kind = self.kind_of(base)  # None when parsed without kinds: analysis checks later
        if kind is not None and len(pattern) > kind.rank:
            self.fail(
                e, f"too many indices for an array of rank {kind.rank}", "index each axis once"
            )
        arrays = [k for k, item in enumerate(pattern) if isinstance(item, ArrayItem)]
        if arrays != list(range(arrays[0], arrays[-1] + 1)):
            self.fail(
                e,
                "index arrays separated by a slice are not supported",
                "index in two steps (x[ids][:, :, jds])",
            )
        advanced = [k for k, item in enumerate(pattern) if isinstance(item, (ArrayItem, Take))]
        axis = arrays[0] - sum(1 for item in pattern[: arrays[0]] if isinstance(item, Take))
        if advanced != list(range(advanced[0], advanced[-1] + 1)) and axis != 0:
            self.fail(
                e,
                "ints and index arrays apart from each other are not supported "
                "(NumPy moves the arrays' axes to the front)",
                "index in two steps (x[0][:, ids])",
            )
        basic, basic_args, picked = [], [], []
        operands = iter(args)
        for item in pattern:
            if isinstance(item, ArrayItem):
                basic.append(WHOLE)
                picked.append((item, next(operands)))
                continue
            basic.append(item)
            count = 1 if isinstance(item, Take) else sum(item.bounds())
            basic_args.extend(next(operands) for _ in range(count))
        value = base
        if any(item != WHOLE for item in basic):
            value = self.op("getitem", (base, *basic_args), e, attrs=Attrs(index=tuple(basic)))
        return self._gathered(value, picked, axis, e)

    def _gathered(self, value, picked, axis, e):
        """``value`` indexed on its axes from ``axis`` on by the arrays ``picked``."""
        masks = [atom for item, atom in picked if item.mask]
        if not masks:
            atoms = [atom for _, atom in picked]
            return self.op("gather", (value, *atoms), e, attrs=Attrs(axis=axis))
        if len(picked) > 1:
            self.fail(e, "a mask cannot be combined with index arrays", "index in two steps")
        mask, value_kind = masks[0], self.kind_of(value)
        mask_rank = self.kind_of(mask).rank
        # A mask of the whole array; a 1-d mask of one axis (both, for a 1-d array)
        rank = value_kind.rank if value_kind is not None else max(mask_rank, 2)
        whole = axis == 0 and mask_rank == rank
        if not whole and mask_rank != 1:
            self.fail(
                e,
                f"a rank-{mask_rank} mask indexing part of a rank-{rank} array is not supported",
                "use a mask of the array's shape (x[mask]) or of one axis (x[:, keep])",
            )
        attrs = Attrs() if whole else Attrs(axis=axis)  # the axes the mask must match
        positions = self.op("mask_indices", (mask, value), e, attrs=attrs)
        return self.op("gather", (value, positions), e, attrs=attrs)

    def refuse_array_store(self, pattern, node):
        """``x[ids] = v``: writes at index arrays are not supported."""
        if any(isinstance(item, ArrayItem) for item in pattern):
            self.fail(
                node,
                "writing into an array at an index array or a mask is not supported",
                "build the new array with np.where(mask, v, x), or write element by element "
                "in a loop",
            )


def has_array_items(pattern) -> bool:
    return any(isinstance(item, ArrayItem) for item in pattern)
