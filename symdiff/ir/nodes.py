"""The IR's node types: frozen, slotted dataclasses (passes build new trees).

* ``Kind``: what a value is (dtype, rank, an ``AxisSize`` per axis).
* Atoms: ``Var`` and ``Const``.  ``Op``: a primitive applied to atoms.
* Statements: ``Assign``, ``If`` (with its ``Phi``s), ``Loop`` (with its
  ``Carry``s).  ``Function``: parameters, body and result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import Loc
from .payloads import NO_ATTRS, Attrs, AxisSize


@dataclass(frozen=True, slots=True)
class Kind:
    """What a value is: ``dtype`` in {"float", "int", "bool"} and array rank.

    Sizes are not part of a kind (one compiled function serves every size).
    Broadcasting adjoints must be summed over axes of size 1, so each axis is
    known to have size 1 (in ``unit``: from ``keepdims=True``, a literal 1 in a
    shape, an argument's size-1 axis), may have size 1 (in ``maybe``: a slice,
    a shape computed at run time: checked when the code runs), or has the
    size of the other operands it meets (every other axis).
    """

    dtype: str
    rank: int = 0
    unit: tuple = ()
    maybe: tuple = ()

    def size(self, axis: int) -> AxisSize:
        """What is known about the size of ``axis``."""
        if axis in self.unit:
            return AxisSize.ONE
        return AxisSize.MAYBE_ONE if axis in self.maybe else AxisSize.MATCHES

    def sizes(self) -> list:
        """``size(axis)`` of every axis, in order."""
        return [self.size(a) for a in range(self.rank)]

    @staticmethod
    def of_sizes(dtype: str, sizes) -> Kind:
        """The kind of ``dtype`` whose axes have these ``AxisSize``s.

        >>> Kind.of_sizes("float", [AxisSize.ONE, AxisSize.MATCHES])
        Kind(dtype='float', rank=2, unit=(0,), maybe=())
        """
        sizes = list(sizes)
        return Kind(
            dtype,
            len(sizes),
            tuple(a for a, s in enumerate(sizes) if s is AxisSize.ONE),
            tuple(a for a, s in enumerate(sizes) if s is AxisSize.MAYBE_ONE),
        )

    def __str__(self) -> str:
        if self.rank == 0:
            return self.dtype
        return f"{self.dtype}[{','.join(s.value for s in self.sizes())}]"


FLOAT = Kind("float")
INT = Kind("int")
BOOL = Kind("bool")


@dataclass(frozen=True, slots=True)
class Var:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Const:
    value: float | int | bool

    def __str__(self) -> str:
        return repr(self.value)


Atom = Var | Const


@dataclass(frozen=True, slots=True)
class Op:
    """A primitive applied to atoms (nested ``Op`` trees only inside rules)."""

    prim: str
    args: tuple
    attrs: Attrs = NO_ATTRS

    def __str__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.attrs.given())
        return f"{self.prim}({', '.join(map(str, self.args))}{extra})"


@dataclass(frozen=True, slots=True)
class Assign:
    target: str
    value: Op | Var | Const
    loc: Loc | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Phi:
    """``target`` is ``then`` if the branch was taken, ``orelse`` otherwise."""

    target: str
    then: Atom
    orelse: Atom


@dataclass(frozen=True, slots=True)
class If:
    cond: Atom
    body: tuple
    orelse: tuple
    phis: tuple = ()
    loc: Loc | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Carry:
    """A loop-carried value: ``name`` is ``init`` when the loop starts, ``next``
    (computed by the body) at the start of each later iteration, and after the
    loop it holds the final value."""

    name: str
    init: Atom
    next: Atom


@dataclass(frozen=True, slots=True)
class Loop:
    """``for index in range(start, stop, step)`` (``index`` set) or
    ``while cond`` (``header`` computes ``cond`` from the carried values
    before each iteration).

    Values defined in ``header`` and ``body`` are local to the loop; only the
    carried names are visible after it.  ``exit`` (a bool computed by the
    body, or None) leaves the loop at the end of an iteration: ``break``.
    ``parallel``: its iterations are independent (each writes its own
    elements of the carried arrays: ``vmap``), so it may run across cores
    (Numba's ``prange``).
    """

    carried: tuple
    body: tuple
    index: str | None = None
    start: Atom | None = None
    stop: Atom | None = None
    step: Atom | None = None
    header: tuple = ()
    cond: Atom | None = None
    exit: Atom | None = None
    loc: Loc | None = field(default=None, compare=False)
    parallel: bool = False

    @property
    def bounds(self) -> tuple:
        return (self.start, self.stop, self.step) if self.index is not None else ()

    def atoms(self) -> list:
        """The atoms the loop node itself uses (not those of its statements)."""
        out = [c.init for c in self.carried] + [c.next for c in self.carried]
        out += list(self.bounds)
        out += [a for a in (self.cond, self.exit) if a is not None]
        return out


Stmt = Assign | If | Loop


@dataclass(frozen=True, slots=True)
class Function:
    """A function: parameters, body, and its result.

    ``result`` is an atom or a (possibly nested) tuple of atoms.
    ``result_loc`` points at the ``return`` that produced it.
    ``implicit``: the parameters read from the user's program at each call
    (``Implicit``, after the user's own), never differentiated; ``guards``:
    the values the code was generated for (``Guard``).
    """

    name: str
    params: tuple
    body: tuple
    result: object
    loc: Loc | None = None
    result_loc: Loc | None = None
    doc: str = ""
    implicit: tuple = ()
    guards: tuple = ()


@dataclass(frozen=True, slots=True)
class Implicit:
    """A parameter the API reads at each call: a global, a closure variable,
    an attribute (``config.lr``), a random draw of the prologue.

    ``reader`` (``frontend.readers.Reader``) reads the value from the call's
    arguments or the user's program; ``key`` is what the code was generated
    for (``readers.value_key``), ``kind`` the parameter's kind.
    """

    param: str
    reader: object
    key: object
    kind: Kind


@dataclass(frozen=True, slots=True)
class Guard:
    """A value read when the code was generated (a static ``axis=AXIS``, a
    flag, a container's structure, a helper function): ``by`` is ``"value"``
    (the value must still equal ``expected``), ``"key"``
    (``readers.value_key`` must) or ``"identity"`` (the same object)."""

    reader: object
    expected: object
    by: str = "value"


def atoms_of(result) -> list:
    """The atoms of a (nested tuple) result, in order."""
    if isinstance(result, tuple):
        return [a for item in result for a in atoms_of(item)]
    return [result]


def map_result(result, fn):
    if isinstance(result, tuple):
        return tuple(map_result(item, fn) for item in result)
    return fn(result)
