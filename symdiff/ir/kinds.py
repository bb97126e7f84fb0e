"""The kind of an atom: a constant's from its Python value, a variable's
from a table of known kinds (``name -> Kind``); ``join_kinds``: the kind of
a value that is one of several (a phi, a carried value)."""

from __future__ import annotations

from .nodes import BOOL, FLOAT, INT, Const, Kind, Var
from .payloads import AxisSize

_REQUIRED = object()


def const_kind(value) -> Kind:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INT
    return FLOAT


def atom_kind(atom: Var | Const, kinds: dict, unknown=_REQUIRED):
    """The kind of ``atom``.  A variable missing from ``kinds`` has the kind
    ``unknown`` when one is given (``None``: "not known yet"), and is a
    ``KeyError`` otherwise."""
    if isinstance(atom, Const):
        return const_kind(atom.value)
    if unknown is _REQUIRED:
        return kinds[atom.name]
    return kinds.get(atom.name, unknown)


def join_kinds(*kinds: Kind) -> Kind:
    """The kind of a value that is one of these (a phi, a carried value)."""
    if all(k.dtype == "bool" for k in kinds):
        dtype = "bool"
    else:
        dtype = "float" if any(k.dtype == "float" for k in kinds) else "int"
    rank = max(k.rank for k in kinds)
    sizes = []
    for axis in range(rank):
        seen = {k.size(axis) if axis < k.rank else AxisSize.MAYBE_ONE for k in kinds}
        sizes.append(seen.pop() if len(seen) == 1 else AxisSize.MAYBE_ONE)
    return Kind.of_sizes(dtype, sizes)
