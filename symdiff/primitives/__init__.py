"""THE registry of primitives: one entry per primitive (``PRIMITIVES``).

An entry (``registry.Primitive``) holds everything symdiff knows about one
operation: how user code names it (``naming``), its arity, the kind of its
result (``kinds``), its derivative rule, how code generation spells it on
scalars and on arrays with the Numba helpers it needs (``spelling``), how to
evaluate it on Python numbers (constant folding, IEEE ``math``), its SymPy
counterpart (``symbolic``, the independent reference of ``verify``) and the
flags passes read (returns a view, a fresh array, reads an operand only for
its shape...).  The rows are in ``elementwise``, ``structural``,
``shapes`` (squeeze, broadcast_to, diagonals, triangles), ``reductions``
(``cumprod``, ``diff``), ``special``, ``linalg``, ``custom`` (users' rules), ``indexing`` (integer-array reads, scatter-adds,
argsort) and ``random``.

Adding an elementwise function is one ``register(...)`` row in
``elementwise.py`` (and one row in ``tests/test_primitives.py``'s table; the
elementwise sweep of ``tests/test_trust_properties.py`` covers it from the
registry).  A structural one is its rules and a row in ``structural.py`` (a
``spell`` in ``spelling.py``, a SymPy counterpart in ``symbolic.py``, and
``Option``s for static keyword arguments such as ``axis=``): nothing else in
the compiler changes, as ``np.cumsum`` shows.

Two sorts of derivative rules:

* Elementwise primitives give their partial derivatives, written as the
  mathematics is (``sin: lambda x, ans: (cos(x),)``).  Each receives the
  operands and the result ``ans`` as ``E`` expressions.  Forward mode
  computes ``dy = sum_i partial_i * dx_i``; reverse mode
  ``x_i_bar += sum_to(y_bar * partial_i, x_i)``, summing over the axes along
  which ``x_i`` was broadcast.  ``None`` marks a partial that is zero
  wherever it is defined (``//``), so no code is generated for it;
  ``Undefined(message, hint)`` one symdiff cannot give (``betainc``'s in
  its shape parameters): differentiating through it is a user error.
* Structural array primitives (``dot``, reductions, indexing, reshaping)
  give an explicit ``jvp(tangents, *args, ans, attrs)`` and
  ``vjp(g, *args, ans, attrs, ranks)``; ``tangents`` holds ``None`` for operands
  that are not differentiated.

Conventions at non-differentiable points (tested in ``tests/test_primitives.py``):

* ``abs``/``fabs``: derivative ``sign(x)``, 0 at ``x == 0``.
* ``max``/``min`` (and ``np.maximum``/``np.minimum``, and the reductions
  ``np.max``/``np.min``) with tied operands: the derivative is split equally,
  so ``max(x, x)`` has derivative 1 and ``max(x, 0.0)`` has 0.5 at 0.
* ``sqrt`` and ``np.cbrt`` at 0: ``inf``.  ``copysign(x, y)``: ``sign(x) * copysign(1, y)``.
* ``//`` has derivative 0; ``x % y`` has ``1`` and ``-(x // y)``.
* ``x ** y``: ``d/dx`` is ``y * x ** (y - 1)``, and 0 for ``y == 0`` (also at
  ``x == 0``, where the formula is ``0 * inf``); ``d/dy`` is ``x ** y * log(x)``
  (``x`` must be positive, as for real powers), and 0 at ``x == 0`` (JAX's
  convention: ``0 ** y`` is 0 for ``y > 0``).
* ``hypot`` and ``atan2`` at the origin: 0 (as ``abs`` at 0).
* Compositions are differentiated by the chain rule, term by term: where a
  term is ``0 * inf`` the result is ``nan`` (``x * log(x)`` at 0), as in
  every AD system; rewrite the expression where it matters.
* ``np.clip(x, lo, hi)``: derivative 1 inside ``[lo, hi]`` (bounds included).
* ``np.prod``: the product of the other elements (exact where elements are 0).
* ``np.cumprod``: running sums of products of the other elements, without
  dividing by ``x`` (exact where elements are 0).
* Reductions over a tuple of axes are one reduction: ``np.max(x, axis=(0, 2))``
  shares a tie equally among all the tied elements of those axes.
"""

from ..ir import index_rank
from . import (  # noqa: F401  (the rows: registered on import)
    blocks,
    custom,
    elementwise,
    indexing,
    joining,
    linalg,
    products,
    random,
    reductions,
    shapes,
    special,
    structural,
)
from .blocks import Unbatched
from .expr import (
    E,
    copysign,
    cos,
    cosh,
    dot,
    exp,
    lift,
    log,
    op,
    outer,
    sign,
    sin,
    sinh,
    sqrt,
    transpose,
    where,
)
from .kinds import RankError, broadcast, normalize_axis, reduced_axes, tape_kind
from .naming import (
    CALLABLES,
    METHODS,
    array_function,
    call_arguments,
    primitive_for,
    registry_names,
)
from .registry import PRIMITIVES, Names, Option, Primitive, Undefined

__all__ = [
    "CALLABLES", "METHODS", "PRIMITIVES", "E", "Names", "Option", "Primitive", "RankError",
    "array_function", "broadcast", "call_arguments", "copysign", "cos", "cosh", "dot", "exp",
    "index_rank", "lift", "log", "normalize_axis", "op", "outer", "primitive_for", "reduced_axes", "sign", "sin",
    "registry_names", "sinh", "sqrt", "tape_kind", "transpose", "Unbatched", "Undefined", "where",
]  # fmt: skip
