"""The lowered IR: what ``lower`` gives and ``codegen`` prints, statement by
statement, with no decision left.

It reuses the IR's node types where their meaning is unchanged and adds
small frozen nodes for what only exists once SSA is left:

* ``Local`` (an ``ir.Var``: its SSA name, for the value's kind and
  definition) carries the variable name it is printed as; several values
  may share one.
* ``Inlined`` (also an ``ir.Var``) is a temporary printed inside its one
  use: its operation, itself over lowered atoms, nested.
* ``ir.Assign`` assigns a printed name; ``ir.If`` has no phis (the joins
  are assignments at the end of each branch); ``ir.Loop`` has no carried
  values (their starting values are assigned before it, their updates at
  the end of its body).
* ``Store`` writes into an array in place; ``CopyArray`` is the copy made
  first where the old array is still read.
* ``ParallelAssign`` assigns several variables at once (a swap).
* ``Line`` marks where the user's source line changes (``# line N``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ir import Var


@dataclass(frozen=True, slots=True)
class Local(Var):
    """The SSA value ``name``, read from the variable ``printed``."""

    printed: str


@dataclass(frozen=True, slots=True)
class Inlined(Var):
    """The temporary ``name``, printed as its operation ``value`` in its one use."""

    value: object


@dataclass(frozen=True, slots=True)
class Store:
    """``target[index] = value`` (``target[index] += value`` if ``accumulate``).

    ``pattern`` is the index pattern of the IR's ``setitem``/``additem``
    (see ``frontend``), ``indices`` its lowered atoms."""

    target: str
    pattern: tuple
    indices: tuple
    value: object
    accumulate: bool
    loc: object = None


@dataclass(frozen=True, slots=True)
class CopyArray:
    """``target = source.copy()``: the copy an array write writes into."""

    target: str
    source: object
    loc: object = None


@dataclass(frozen=True, slots=True)
class ParallelAssign:
    """``a, b = x, y``: every value is read before any target is assigned."""

    targets: tuple
    values: tuple


@dataclass(frozen=True, slots=True)
class Line:
    """The code that follows comes from line ``number`` of the user's source
    (of the file ``filename``, when it is not the function's own)."""

    number: int
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class Lowered:
    """A function out of SSA: printed parameter names, lowered body and result.

    ``defs`` maps each SSA name to its defining ``ir.Op`` (a spelling may
    depend on how a value was made: a fresh array is contiguous)."""

    name: str
    params: tuple
    body: tuple
    result: object
    defs: dict
