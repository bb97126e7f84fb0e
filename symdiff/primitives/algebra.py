"""The exact local algebra of primitives: one rewrite function per primitive,
in ``RULES``.

Every rewrite is exact in IEEE arithmetic: ``x*1``, ``x/1``, ``x-0``,
``x**1``, ``x*-1 -> -x``, ``--x -> x``, ``x + -y -> x - y``... (``x + 0 -> x``
differs only in the sign of a zero result).  ``0*x`` is never folded: it is
``nan`` for ``x = inf`` or ``nan``.  Operations on constants are folded with
Python's own arithmetic on them.

A rule ``rule(op, defs, uses, kinds)`` returns an equivalent atom or simpler
operation, or None when it has nothing to say; ``simplify_op`` applies them
and ``materialize`` flattens what they return into statements (the
``Builder`` of derivative rules and ``optimize.simplify`` both go through it:
derivative code is born simplified, and the optimiser applies the same
rules again once the whole function is known).
"""

from __future__ import annotations

import math

from .. import ir
from ..ir import NO_ATTRS, Assign, Const, Op, Var, atom_kind
from .kinds import broadcast, where_kind
from .registry import PRIMITIVES


def _is(atom, value) -> bool:
    """Is ``atom`` the numeric constant ``value`` (not a bool)?"""
    return (
        isinstance(atom, Const)
        and not isinstance(atom.value, bool)
        and atom.value == value
        and math.copysign(1.0, atom.value) == math.copysign(1.0, value)
    )


def _number(atom) -> bool:
    return isinstance(atom, Const) and not isinstance(atom.value, bool)


def _exact_scale(atom) -> bool:
    """Is multiplying by ``atom`` exact: a constant +-2**k with k >= 0?"""
    if not _number(atom) or not math.isfinite(atom.value) or abs(atom.value) < 1:
        return False
    return math.frexp(abs(atom.value))[0] == 0.5


def atom_key(atom):
    """A hashable key telling atoms apart (``1`` and ``1.0`` are two constants)."""
    if isinstance(atom, Const):
        return ("c", type(atom.value).__name__, repr(atom.value))
    return ("v", atom.name)


def shape_of(kind) -> tuple:
    """What makes two kinds' shapes one: rank and size-1 axes."""
    return (kind.rank, kind.unit, kind.maybe)


def _neg_arg(atom, defs):
    """``y`` if ``atom`` is a variable defined as ``-y``, else None."""
    if isinstance(atom, Var):
        op = defs.get(atom.name)
        if op is not None and op.prim == "neg":
            return op.args[0]
    return None


def _reciprocal_of(atom, defs):
    """``b`` if ``atom`` is a variable defined as ``1 / b``, else None."""
    if isinstance(atom, Var):
        op = defs.get(atom.name)
        if op is not None and op.prim == "div" and _is(op.args[0], 1.0):
            return op.args[1]
    return None


def _keeps_shape(chosen, others, kinds: dict | None) -> bool:
    """May a broadcasting operation be replaced by its operand ``chosen``: is
    ``chosen`` already of the shape the ``others`` broadcast it to?  Without
    ``kinds`` (a caller that does not track shapes) operands are taken to be
    of one shape."""
    if kinds is None:
        return True
    have = atom_kind(chosen, kinds, unknown=None)
    if have is None:  # a new temporary: only scalars around it cannot widen it
        return all(getattr(atom_kind(a, kinds, unknown=None), "rank", None) == 0 for a in others)
    known = [atom_kind(a, kinds, unknown=None) for a in others]
    return None not in known and shape_of(broadcast([have, *known])) == shape_of(have)


def _broadcast_met(op: Op, defs: dict, kinds):
    """``broadcast_like(a, y) op y`` (either way round) is ``a op y`` for a
    float ``a``: ``y`` gives the result its shape either way, and the
    elements are the same (``broadcast_like`` makes floats: an int ``a``
    stays)."""
    x, y = op.args
    for k, (a, b) in enumerate(((x, y), (y, x))):
        source = defs.get(a.name) if isinstance(a, Var) else None
        if source is None or source.prim != "broadcast_like" or source.args[1] != b:
            continue
        kind = atom_kind(source.args[0], kinds or {}, unknown=None)
        if kind is not None and kind.dtype == "float":
            args = (source.args[0], b) if k == 0 else (b, source.args[0])
            return Op(op.prim, args, op.attrs)
    return None


# ---------------------------------------------------------------------------
# The rules, one per primitive.


def _add(op: Op, defs: dict, uses, kinds):
    if (new := _broadcast_met(op, defs, kinds)) is not None:
        return new
    x, y = op.args
    if _is(y, 0.0) or _is(y, -0.0):
        return x
    if _is(x, 0.0) or _is(x, -0.0):
        return y
    if (ny := _neg_arg(y, defs)) is not None:
        return Op("sub", (x, ny))
    if (nx := _neg_arg(x, defs)) is not None:
        return Op("sub", (y, nx))
    return None


def _sub(op: Op, defs: dict, uses, kinds):
    if (new := _broadcast_met(op, defs, kinds)) is not None:
        return new
    x, y = op.args
    if _is(y, 0.0):
        return x
    if _is(x, 0.0) or _is(x, -0.0):
        return simplify_op(Op("neg", (y,)), defs)
    if (ny := _neg_arg(y, defs)) is not None:
        return Op("add", (x, ny))
    if (nx := _neg_arg(x, defs)) is not None:  # -a - b -> -(a + b), exact
        return Op("neg", (Op("add", (nx, y)),))
    return None


def _unit_factor(x, y, defs: dict, kinds, division=False):
    """``x * y`` or ``x / y`` when ``y`` is 1 or -1: ``x`` or ``-x``; else
    None.  Not where that would change the result's dtype: ``n * 1.0`` and
    ``n / 1`` are floats for an int or bool ``n`` (an int ``y`` keeps an int
    ``x``'s dtype in a product).  A value of unknown kind is taken as a float."""
    if not (_is(y, 1.0) or _is(y, -1.0)):
        return None
    if isinstance(x, Const):
        kind = ir.const_kind(x.value)
    else:
        kind = atom_kind(x, kinds, unknown=None) if kinds is not None else None
    if kind is not None and kind.dtype != "float":
        if division or type(y.value) is not int or kind.dtype == "bool":
            return None
    return x if _is(y, 1.0) else simplify_op(Op("neg", (x,)), defs)


def _mul(op: Op, defs: dict, uses, kinds):
    if (new := _broadcast_met(op, defs, kinds)) is not None:
        return new
    x, y = op.args
    for a, b in ((x, y), (y, x)):
        if (new := _unit_factor(a, b, defs, kinds)) is not None:
            return new
    # a * (1 / b) -> a / b: one rounding instead of two, when the
    # reciprocal is not shared (a shared one saves divisions).
    for a, b in ((x, y), (y, x)):
        den = _reciprocal_of(b, defs)
        if den is not None and uses is not None and uses.get(b.name) == 1:
            return simplify_op(Op("div", (a, den)), defs, uses)
    # c1 * (c2 * e) -> (c1 * c2) * e when c2 * e is exact (c2 = +-2**k, k >= 0).
    for a, b in ((x, y), (y, x)):
        inner = defs.get(b.name) if isinstance(b, Var) and _number(a) else None
        if inner is not None and inner.prim == "mul":
            for c, e in (inner.args, inner.args[::-1]):
                if _exact_scale(c):
                    return simplify_op(Op("mul", (Const(a.value * c.value), e)), defs, uses)
    return _signs_outwards(op, defs)


def _div(op: Op, defs: dict, uses, kinds):
    if (new := _broadcast_met(op, defs, kinds)) is not None:
        return new
    x, y = op.args
    if (new := _unit_factor(x, y, defs, kinds, division=True)) is not None:
        return new
    return _signs_outwards(op, defs)


def _signs_outwards(op: Op, defs: dict):
    """Signs move outwards, where add/sub absorb them: (-a) * b -> -(a * b)."""
    x, y = op.args
    nx, ny = _neg_arg(x, defs), _neg_arg(y, defs)
    if nx is not None and ny is not None:
        return Op(op.prim, (nx, ny))
    if nx is not None or ny is not None:
        inner = Op(op.prim, (nx if nx is not None else x, ny if ny is not None else y))
        return Op("neg", (inner,))
    return None


def _pow(op: Op, defs: dict, uses, kinds):
    return op.args[0] if _is(op.args[1], 1.0) else None


def _neg(op: Op, defs: dict, uses, kinds):
    return _neg_arg(op.args[0], defs)


def _where(op: Op, defs: dict, uses, kinds):
    cond, a, b = op.args
    if isinstance(cond, Const):
        chosen, other = (a, b) if cond.value else (b, a)
        if _keeps_shape(chosen, (other,), kinds):
            return chosen
    if atom_key(a) == atom_key(b) and _keeps_shape(a, (cond,), kinds):
        return a
    return _nested_where(op, defs, kinds)


def _nested_where(op: Op, defs: dict, kinds):
    """``where(c, where(c, a, b), d) -> where(c, a, d)`` (and on the other
    side ``where(c, d, where(c, a, b)) -> where(c, d, b)``): the inner choice
    is made by the same condition.  Only where the kinds show that the
    result keeps its shape (the operand left out may have widened it)."""
    cond, then, other = op.args
    for side, arg in ((1, then), (2, other)):
        inner = defs.get(arg.name) if isinstance(arg, Var) else None
        if inner is None or inner.prim != "where" or atom_key(inner.args[0]) != atom_key(cond):
            continue
        args = list(op.args)
        args[side] = inner.args[side]
        if kinds is None:
            continue
        new_kinds = [atom_kind(a, kinds, unknown=None) for a in args]
        old_kinds = [atom_kind(a, kinds, unknown=None) for a in op.args]
        if None in new_kinds or None in old_kinds:
            continue
        new, old = where_kind(new_kinds, args, NO_ATTRS), where_kind(old_kinds, op.args, NO_ATTRS)
        if shape_of(new) == shape_of(old) and new.dtype == old.dtype:
            return Op("where", tuple(args))
    return None


def _rank_zero(atom, kinds) -> bool:
    kind = atom_kind(atom, kinds, unknown=None) if kinds is not None else None
    return kind is not None and kind.rank == 0


def _reduce(op: Op, defs: dict, uses, kinds):
    """A reduction of a number (``np.sum(x)``, ``np.max(x)`` of a float) is the number."""
    if not _rank_zero(op.args[0], kinds):
        return None
    return op.args[0]


def _size(op: Op, defs: dict, uses, kinds):
    """A number has one element."""
    return Const(1) if _rank_zero(op.args[0], kinds) else None


def _prod_others(op: Op, defs: dict, uses, kinds):
    """The product of no other elements."""
    return Const(1.0) if _rank_zero(op.args[0], kinds) else None


def _zeros_like(op: Op, defs: dict, uses, kinds):
    """The zeros of a number are 0.0 (``np.zeros_like`` of a float is a 0-d
    array); zeros like zeros like ``x`` are (new) zeros like ``x``."""
    if _rank_zero(op.args[0], kinds):
        return Const(0.0)
    inner = defs.get(op.args[0].name) if isinstance(op.args[0], Var) else None
    if isinstance(inner, Op) and inner.prim == "zeros_like":
        return Op("zeros_like", inner.args, op.attrs)
    return None


def _flip(op: Op, defs: dict, uses, kinds):
    """A flip of a flip along the same axes is the value itself."""
    inner = defs.get(op.args[0].name) if isinstance(op.args[0], Var) else None
    if isinstance(inner, Op) and inner.prim == "flip" and inner.attrs == op.attrs:
        return inner.args[0]
    return None


def _transpose(op: Op, defs: dict, uses, kinds):
    """A transpose of a transpose that puts the axes back is the value itself
    (``x.T.T``; both reversing, or explicit orders composing to none)."""
    inner = defs.get(op.args[0].name) if isinstance(op.args[0], Var) else None
    if not isinstance(inner, Op) or inner.prim != "transpose":
        return None
    outer_axes, inner_axes = op.attrs.axes, inner.attrs.axes
    if outer_axes is None and inner_axes is None:
        return inner.args[0]
    if outer_axes is not None and inner_axes is not None:
        if [inner_axes[a] for a in outer_axes] == list(range(len(outer_axes))):
            return inner.args[0]
    return None


RULES = {
    "transpose": _transpose,
    "sum": _reduce,
    "amax": _reduce,
    "amin": _reduce,
    "prod": _reduce,
    "size": _size,
    "prod_others": _prod_others,
    "zeros_like": _zeros_like,
    "flip": _flip,
    "add": _add,
    "sub": _sub,
    "mul": _mul,
    "div": _div,
    "pow": _pow,
    "neg": _neg,
    "where": _where,
}


def _fold_constants(op: Op):
    """The value of an operation on constants, or None."""
    try:
        value = PRIMITIVES[op.prim].evaluate(*(a.value for a in op.args))
    except (ArithmeticError, ValueError, TypeError):
        return None
    return Const(value) if isinstance(value, (bool, int, float)) else None


def simplify_op(op: Op, defs: dict, uses: dict | None = None, kinds: dict | None = None):
    """An equivalent atom or simpler operation.

    ``defs`` maps names to their defining ``Op``; ``kinds`` (optional) the
    kinds of values, without which no rewrite that may change a shape is safe
    for arrays.  The result may nest one ``Op`` inside another (``-(a *
    b)``); ``materialize`` flattens it.
    """
    if op.args and all(isinstance(a, Const) for a in op.args):
        folded = _fold_constants(op)
        if folded is not None:
            return folded
    rule = RULES.get(op.prim)
    new = rule(op, defs, uses, kinds) if rule is not None else None
    return op if new is None else new


def materialize(node, namer: ir.Namer, out: list, defs: dict, loc=None, uses=None, kinds=None):
    """Simplify ``node`` (an atom or nested ``Op``) into statements; return the
    atom or the final flat ``Op`` (not yet assigned)."""
    if not isinstance(node, Op):
        return node
    args = []
    for arg in node.args:
        flat = materialize(arg, namer, out, defs, loc, uses, kinds)
        if isinstance(flat, Op):
            name = namer.temp()
            out.append(Assign(name, flat, loc))
            defs[name] = flat
            flat = Var(name)
        args.append(flat)
    new = simplify_op(Op(node.prim, tuple(args), node.attrs), defs, uses, kinds)
    if isinstance(new, Op) and any(isinstance(a, Op) for a in new.args):
        return materialize(new, namer, out, defs, loc, uses, kinds)
    return new
