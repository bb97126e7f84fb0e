"""The registry entry of a primitive, and the table ``PRIMITIVES``.

One ``Primitive`` holds everything symdiff knows about one operation: how
user code names it (``names``), the kind of its result (``result_kind``),
its derivative (``partials`` for elementwise primitives, from which both
modes are derived, or ``jvp`` and ``vjp``), how code generation spells it
(``spelling`` on scalars, ``array`` or ``spell`` on arrays, with the Numba
helpers it needs), how to evaluate it on numbers (``evaluate``: constant
folding; ``ieee``: ``math`` in plain-Python runs), its SymPy counterpart
(``sympy`` per element, ``sympy_arrays`` on whole arrays) and flags that
passes read (views, fresh arrays, operands read only for their shape).

Every pass looks the entry up in ``PRIMITIVES`` when it needs it (tests
replace entries to check that a wrong rule is caught).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .kinds import joined


@dataclass(frozen=True, slots=True)
class Option:
    """A static keyword parameter of a user call (``axis=None``), which may
    also be passed by position after the operands."""

    name: str
    types: tuple  # the accepted Python types of a constant (None is the default only)
    default: object = None
    positional: bool = True  # False: keyword only (keepdims=)


@dataclass(frozen=True, slots=True)
class Names:
    """How user code names a primitive: attributes of ``math``, ``numpy`` and
    ``scipy.special``, builtins, and array methods (``x.sum()``)."""

    math: tuple[str, ...] = ()
    numpy: tuple[str, ...] = ()
    scipy: tuple[str, ...] = ()  # scipy.special: recognised without importing SciPy
    builtins: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()  # static parameters, read by the frontend into attrs
    arguments: int | None = None  # positional arguments of a call, if not the arity
    sequence: bool = False  # the operands are the items of the first argument (np.stack([a, b]))


def named(
    math="", numpy="", scipy="", builtins="", methods="", options=(), arguments=None, sequence=False
):
    """``Names`` from space-separated lists: ``named(numpy="abs absolute fabs")``."""
    spelled = (math, numpy, scipy, builtins, methods)
    return Names(*(tuple(names.split()) for names in spelled), tuple(options), arguments, sequence)


@dataclass(frozen=True, slots=True)
class Primitive:
    name: str
    arity: int  # -1: any number of operands
    spelling: tuple  # scalars: ("call", "math.sin") | ("binop", ast.Add) | ("special",) ...
    array: str | None  # arrays: "np.sin", "op" (same operator), "special", None (unsupported)
    evaluate: Callable | None  # on Python numbers: constant folding
    sympy: Callable | None  # on SymPy numbers, per element
    partials: Callable | None = None  # elementwise: (*args, ans) -> partials
    jvp: Callable | None = None  # structural: (tangents, *args, ans, attrs) -> E
    vjp: Callable | None = None  # structural: (g, *args, ans, attrs, ranks) -> adjoints
    # structural: (block, operands, attrs) -> the result for a block of directions
    # (primitives.blocks; elementwise primitives need none)
    batch: Callable | None = None
    result_kind: Callable = joined  # (kinds, atoms, attrs) -> Kind
    names: Names = field(default_factory=Names)
    # (printer, op, printed operands) -> ast.expr: arrays ("special"), and
    # scalars whose spelling is ("special",) or ("where",)
    spell: Callable | None = None
    ieee: Callable | None = None  # NumPy's scalar function: ``math.<name>`` with inf/nan
    sympy_arrays: Callable | None = None  # (operands, attrs, number, truth) -> value
    commutative: bool = False
    differentiable: bool = True  # False: the result never depends on the inputs' values
    elementwise: bool = True  # broadcasts its operands (their adjoints are summed back)
    full_adjoint: bool = True  # its vjp needs the adjoint in the result's full shape
    full_tangent: bool = False  # its jvp gives a tangent of the value's full shape
    float_arithmetic: bool = False  # int scalar operands meet floats (float32 code casts them)
    view: bool = False  # the array result may share memory with the first operand
    fresh: bool = False  # a new array that code may write into (two are never one)
    read_only: bool = False  # its array result may be NumPy's read-only view: never written into
    contiguous: bool = False  # its array result is a new C-contiguous array
    indexed: bool = False  # writes at an index of its second operand
    shaped_like: int | None = None  # its array result has the shape of this operand
    shape_reads: frozenset = frozenset()  # operand positions read only for their shape
    sized_by: Callable | None = None  # (operands) -> the operand giving each result axis' size
    custom: bool = False  # registered at run time for a user's rule (primitives.custom)


@dataclass(frozen=True, slots=True)
class Undefined:
    """A partial derivative symdiff cannot give (``betainc``'s in ``a`` and
    ``b``): differentiating with respect to an operand that flows into it is
    a user error at that line, saying ``message`` and ``hint``; where the
    operand is not differentiated it is as ``None`` (no code)."""

    message: str
    hint: str


PRIMITIVES: dict[str, Primitive] = {}


def register(name, arity, spelling, array, evaluate, sympy, partials=None, **fields):
    """Add the entry of primitive ``name`` (positional fields as ``Primitive``)."""
    PRIMITIVES[name] = Primitive(name, arity, spelling, array, evaluate, sympy, partials, **fields)
