"""The kind of an atom: a constant's from its Python value, a variable's
from a table of known kinds (``name -> Kind``)."""

from __future__ import annotations

from .nodes import BOOL, FLOAT, INT, Const, Kind, Var

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
