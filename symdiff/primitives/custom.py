"""Primitives for users' rules, registered at run time (the objects users
make are in ``symdiff.library.rules``: ``custom_vjp``, ``custom_jvp``,
``elementwise``).

A rule's functions are called *by name* from the generated code: each is
bound in the namespace module ``symdiff.rules`` (``FUNCTIONS``) under its
own name, made unique there (``softplus_fwd``, ``softplus_fwd_2``), and the
generated module imports it (``from symdiff.rules import softplus_fwd``).
Under Numba the backend binds its compiled version instead (``numba.njit``
of it, or the user's own dispatcher) and does not cache that code on disk:
Numba's cache would not see a change of the functions it calls.

Every entry made here has ``custom=True``, so the registry's sweeps (tests
checking every primitive) leave them out.  The IR of a call ``f(a, b)``:

* ``custom_vjp``: ``t = f_fwd(a, b)`` (primitive ``vjp_fwd:f``: the pair of
  the value and the residuals, an ``OPAQUE`` value) and ``y = t[0]``
  (``vjp_out:f``, with the operands ``a, b`` for its kind).  Its adjoint is
  ``c = f_bwd(t[1], y_bar)`` (``vjp_bwd:f``) and ``a_bar = c[0]``
  (``rule_item``).  Forward mode uses ``f_bwd(t[1], 1.0)`` where ``f``
  returns a number (``rank=0``, or every argument a number: ``vjp_number:f``)
  and is refused otherwise.
* ``custom_jvp``: ``y = f(a, b)`` (``jvp_call:f``); its tangent is
  ``f_jvp((a, b), (da, db))[1]`` (``jvp_tangent:f``; a zero tangent is
  ``0.0`` or ``np.zeros_like(a)``).  Reverse mode uses one such call per
  argument, with tangent 1, when the arguments and the value are numbers,
  and is refused otherwise.
* ``elementwise``: ``y0 = f(a, b)`` (``call:f``, with no derivative of its
  own), then the partial derivatives computed by the user's ``partials``
  (inlined by the frontend), then ``y = with_partials(y0, a, b, pa, pb)``:
  the value ``y0``, whose partial derivative with respect to ``a`` is
  ``pa`` (operands whose partial is ``None`` are left out).  Both modes
  follow from these partials as for a built-in elementwise primitive.
"""

from __future__ import annotations

import ast
import keyword
import sys
import types

from ..errors import SymDiffError
from ..ir import Attrs, Const, Kind
from .expr import lift, op
from .kinds import MAYBE_ONE, float_like, float_result
from .registry import PRIMITIVES, register

OPAQUE = Kind("opaque")  # a rule's tuple (value and residuals, or cotangents): only indexed
MODULE = "symdiff.rules"
FUNCTIONS = sys.modules.setdefault(
    MODULE, types.ModuleType(MODULE, "Users' rule functions, as the generated code calls them.")
)
SPECIAL = ("special",)
_COMPILED: dict = {}  # id(function) -> (function, its Numba dispatcher)


def bind(function, name: str) -> str:
    """The name ``function`` is called by in generated code (bound in ``FUNCTIONS``)."""
    base = name if name.isidentifier() and not keyword.iskeyword(name) else "rule"
    candidate, number = base, 1
    while getattr(FUNCTIONS, candidate, function) is not function:
        number += 1
        candidate = f"{base}_{number}"
    setattr(FUNCTIONS, candidate, function)
    return candidate


def rule_functions(namespace: dict) -> dict:
    """The users' functions a generated module's ``namespace`` imported, by name."""
    return {k: v for k, v in namespace.items() if getattr(FUNCTIONS, k, None) is v}


def compiled(function):
    """``function`` for Numba: the user's own dispatcher, or ``numba.njit`` of it."""
    if hasattr(function, "py_func"):
        return function
    known = _COMPILED.get(id(function))
    if known is None or known[0] is not function:
        import numba

        known = (function, numba.njit(error_model="numpy")(function))
        _COMPILED[id(function)] = known
    return known[1]


def plain(value):
    """The user's function whose Numba version is ``value`` (else ``value``)."""
    for function, dispatcher in _COMPILED.values():
        if dispatcher is value:
            return function
    return value


def result_kind(rank):
    """The kind of a rule's value: the operands broadcast (``rank=None``, as an
    elementwise function) or a float array of ``rank`` axes of unknown sizes."""
    if rank is None:
        return float_result
    return lambda kinds, atoms, attrs: Kind.of_sizes("float", [MAYBE_ONE] * rank)


def _in_float32(printer, op_, node):
    """A value of a user's function, in float32 code: cast to float32 (Numba
    computes ``2.0 * x`` in float64 where NumPy keeps float32)."""
    entry = PRIMITIVES[op_.prim]
    if not printer.float32 or entry.result_kind is _opaque:
        return node
    kind = entry.result_kind([printer.kind(a) for a in op_.args], op_.args, op_.attrs)
    if kind.rank:
        return ast.Call(ast.Attribute(node, "astype"), [printer.attribute("np.float32")], [])
    return printer.call("np.float32", [node])


def _calling(name, index=None):
    """``name(*operands)`` (``[index]`` of it), with ``name`` imported from ``symdiff.rules``."""

    def spell(printer, op_, args):
        call = ast.Call(printer.imported_name(MODULE, name), list(args), [])
        node = call if index is None else ast.Subscript(call, ast.Constant(index))
        return _in_float32(printer, op_, node)

    return spell


def _item(index_of):
    def spell(printer, op_, args):
        node = ast.Subscript(args[0], ast.Constant(index_of(op_)))
        return _in_float32(printer, op_, node)

    return spell


def _opaque(kinds, atoms, attrs):
    return OPAQUE


def _no_sympy(args, attrs, number, truth):
    raise TypeError("users' rules (symdiff.custom_vjp...) have no SymPy counterpart")


def refused(message: str, hint: str):
    """A rule that cannot derive this mode: the transformation names the call's line."""
    raise SymDiffError(message, None, hint)


def _entry(name, arity, spell, result, **fields):
    fields = {"elementwise": False, "custom": True, "sympy_arrays": _no_sympy, **fields}
    register(name, arity, SPECIAL, "special", None, None, result_kind=result, spell=spell, **fields)
    return name


# The pieces every rule shares: a cotangent out of a rule's tuple, and the
# value with its partial derivatives.
_entry("rule_item", 2, _item(lambda op_: op_.attrs.axis), float_like(1), shape_reads=frozenset({1}))


def _with_partials(*operands):
    """``with_partials(y0, x_1..x_n, p_1..p_n, ans)``: the partial of ``x_i`` is ``p_i``."""
    count = (len(operands) - 2) // 2
    return (None, *operands[1 + count : 1 + 2 * count], *(None,) * count)


register(
    "with_partials", -1, SPECIAL, "special", None, None, _with_partials,
    result_kind=lambda kinds, atoms, attrs: kinds[0], spell=lambda printer, op_, args: args[0],
    custom=True,
)  # fmt: skip


def register_elementwise(rule: str, function: str) -> str:
    """The primitive of ``function(*operands)``, the value of an elementwise rule."""
    return _entry(
        f"call:{rule}", -1, _calling(function), float_result,
        partials=lambda *operands: (None,) * (len(operands) - 1), elementwise=True,
    )  # fmt: skip


def _positions(count, nondiff):
    """For each of ``count`` arguments: its position among those not in
    ``nondiff`` (whose cotangents and tangents the rule gives), or None."""
    kept = [i for i in range(count) if i not in nondiff]
    return [kept.index(i) if i in kept else None for i in range(count)]


def register_vjp(rule: str, label: str, fwd: str, bwd: str, rank, nondiff=()) -> tuple:
    """The primitives of a ``custom_vjp`` rule: ``f_fwd(...)``, its value
    ``t[0]``, and its value where that is known to be a number (of numbers).
    ``bwd`` takes the ``nondiff`` arguments first and gives no cotangent for them."""
    forward, backward = f"vjp_fwd:{rule}", f"vjp_bwd:{rule}"
    value, number = f"vjp_out:{rule}", f"vjp_number:{rule}"

    def none_of(*rest):
        return None

    def cotangents_of(t, g, operands):
        """``bwd(*nondiff, residuals, g)``, and each operand's cotangent in it (or None)."""
        cotangents = op(backward, t, g, *(operands[i] for i in nondiff))
        return [
            None if k is None else op("rule_item", cotangents, x, attrs=Attrs(axis=k))
            for x, k in zip(operands, _positions(len(operands), nondiff))
        ]

    def value_vjp(g, t, *rest):
        return (None, *cotangents_of(t, g, rest[:-3]))

    def value_jvp(tangents, t, *rest):
        refused(
            f"{label}() has a custom_vjp rule, which forward mode cannot use "
            "(its value is not known to be a number)",
            "use reverse mode (the default), give it a forward rule with "
            "symdiff.custom_jvp, or declare custom_vjp(rank=0) if it returns a number",
        )

    def number_jvp(tangents, t, *rest):
        """A number's tangent from its gradient: sum(bwd(residuals, 1)[i] * dx_i)."""
        total = None
        for cotangent, dx in zip(cotangents_of(t, 1.0, rest[:-2]), tangents[1:]):
            if dx is None or cotangent is None:
                continue
            term = op("sum", cotangent * dx)
            total = term if total is None else total + term
        return total

    def spell_backward(printer, op_, args):  # bwd(*nondiff, t[1], g)
        residuals = ast.Subscript(args[0], ast.Constant(1))
        return _calling(bwd)(printer, op_, [*args[2:], residuals, args[1]])

    _entry(forward, -1, _calling(fwd), _opaque, jvp=none_of,
           vjp=lambda g, *rest: (None,) * (len(rest) - 3))  # fmt: skip
    _entry(value, -1, _item(lambda op_: 0), lambda kinds, atoms, attrs: result_kind(rank)(
        kinds[1:], atoms[1:], attrs), jvp=number_jvp if rank == 0 else value_jvp, vjp=value_vjp)  # fmt: skip
    _entry(number, -1, _item(lambda op_: 0), lambda kinds, atoms, attrs: result_kind(0)(
        kinds, atoms, attrs), jvp=number_jvp, vjp=value_vjp)  # fmt: skip
    _entry(backward, -1, spell_backward, _opaque)
    return forward, value, number


def register_jvp(rule: str, label: str, function: str, jvp: str, rank, nondiff=()) -> str:
    """The primitive of a ``custom_jvp`` rule's call (its tangent: ``jvp_tangent:``);
    ``jvp`` takes the ``nondiff`` arguments first, then the others' primals and tangents."""
    call, tangent = f"jvp_call:{rule}", f"jvp_tangent:{rule}"

    def call_jvp(tangents, *rest):
        operands = rest[:-2]
        return op(tangent, *operands, *(t if t is not None else 0.0 for t in tangents))

    def call_vjp(g, *rest):
        operands, ranks = rest[:-3], rest[-1]
        if rank or any(r for i, r in enumerate(ranks) if i not in nondiff):
            refused(
                f"{label}() has a custom_jvp rule, which reverse mode can use only when its "
                "arguments and its value are numbers",
                "use forward mode (mode='forward'), or give it a reverse rule with "
                "symdiff.custom_vjp",
            )
        count = len(operands)
        return tuple(
            None
            if i in nondiff
            else lift(g) * op(tangent, *operands, *(1.0 if j == i else 0.0 for j in range(count)))
            for i in range(count)
        )

    def spell_tangent(printer, op_, args):  # jvp(*nondiff, (primals...), (tangents...))
        count = len(args) // 2
        tangents = list(args[count:])
        for i, atom in enumerate(op_.args[count:]):
            if isinstance(atom, Const) and printer.kind(op_.args[i]).rank:  # zero: of its shape
                tangents[i] = printer.call("np.zeros_like", [args[i]])
        kept = [i for i in range(count) if i not in nondiff]
        arguments = [args[i] for i in nondiff]
        arguments += [ast.Tuple([args[i] for i in kept]), ast.Tuple([tangents[i] for i in kept])]
        return _calling(jvp, 1)(printer, op_, arguments)

    _entry(call, -1, _calling(function), result_kind(rank), jvp=call_jvp, vjp=call_vjp)
    _entry(tangent, -1, spell_tangent, lambda kinds, atoms, attrs: result_kind(rank)(
        kinds[: len(kinds) // 2], atoms, attrs))  # fmt: skip
    return call


def registered(prim: str) -> bool:
    return prim in PRIMITIVES and PRIMITIVES[prim].custom
