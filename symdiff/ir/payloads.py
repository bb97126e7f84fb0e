"""Typed payloads of IR nodes: an operation's static parameters, index
patterns and the size facts of an array's axes.

* ``Attrs``: the static parameters of an ``Op`` (``axis=``, ``keepdims=``,
  an index pattern...); every field has a default meaning "not given", and
  an ``Op`` prints only the fields that differ from it.  Equal parameters are
  equal values (CSE keys on them).
* An index pattern is a tuple of ``Take()`` (an integer index: the axis is
  taken out) and ``Span(start, stop, step)`` (a slice; each flag says
  whether that bound is an operand).  ``WHOLE`` is ``:``.
* ``AxisSize``: what is known about one axis' size at compile time.

>>> Attrs(index=(Take(), WHOLE))
Attrs(index=(Take(), Span()))
>>> AxisSize("1") is AxisSize.ONE
True
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum


@dataclass(frozen=True, slots=True)
class Take:
    """An integer index (``a[i]``): one operand, and the axis goes away."""

    def __repr__(self) -> str:
        return "Take()"


@dataclass(frozen=True, slots=True)
class Span:
    """A slice (``a[start:stop:step]``): each flag says whether that bound is
    given (an operand of the ``Op``, in this order) or left out."""

    start: bool = False
    stop: bool = False
    step: bool = False

    def bounds(self) -> tuple:
        """Which of start, stop and step are given."""
        return (self.start, self.stop, self.step)

    def __repr__(self) -> str:
        given = ", ".join(f"{f}=True" for f in ("start", "stop", "step") if getattr(self, f))
        return f"Span({given})"


IndexItem = Take | Span
WHOLE = Span()  # ``:``, the whole axis


def index_rank(pattern) -> int:
    """How many axes an index pattern removes (one per integer index)."""
    return sum(1 for item in pattern if isinstance(item, Take))


@dataclass(frozen=True, slots=True)
class Attrs:
    """Static parameters of an operation; the defaults mean "not given".

    ``axis``: reductions, ``cumsum``, ``flip``, ``expand_dims``, ``shape``
    (``None``: all axes).  ``keepdims``: reductions.  ``index``: the index
    pattern of ``getitem``/``setitem``/``additem``/``scatter``.  ``select``:
    the pattern a ``tape`` entry is shaped like (``None``: the whole value).
    ``dtype``: a ``tape``'s element type.  ``inplace``: an augmented
    assignment that may update its left operand's buffer.  ``axes``: the
    order of the axes of a ``transpose`` (``None``: reversed) and the axes a
    ``squeeze`` removes (``None``: those known to have size 1).  ``subscripts``:
    an ``einsum``'s contraction, explicit (``"ij,jk->ik"``: one letter per
    axis, no ``...``; ``primitives.products``).
    """

    axis: int | None = None
    keepdims: bool = False
    index: tuple = ()
    select: tuple | None = None
    dtype: str | None = None
    inplace: bool = False
    axes: tuple | None = None
    subscripts: str | None = None

    def given(self) -> list:
        """``(name, value)`` of the fields that differ from their defaults."""
        return [
            (f.name, getattr(self, f.name))
            for f in fields(self)
            if getattr(self, f.name) != f.default
        ]

    def __repr__(self) -> str:
        return f"Attrs({', '.join(f'{k}={v!r}' for k, v in self.given())})"


NO_ATTRS = Attrs()


class AxisSize(Enum):
    """What is known about an axis' size when the code is compiled (the
    value is how a ``Kind`` prints it)."""

    ONE = "1"  # size 1: keepdims=True, a literal 1 in a shape, an argument's size-1 axis
    MAYBE_ONE = "?"  # may have size 1 (a slice, a run-time size): checked when the code runs
    MATCHES = ":"  # the size of the other operands it meets
