"""Expressions for writing rules: ``E`` wraps an IR expression tree.

Rules are written as the mathematics is (``cos(x)``, ``1.0 - ans**2``);
``primitives.builder.Builder`` turns the nested ``Op`` trees into statements.
"""

from __future__ import annotations

from ..ir import NO_ATTRS, Attrs, Const, Op, Var


class E:
    """An expression under construction (an atom or a nested ``Op``)."""

    __slots__ = ("node",)

    def __init__(self, node):
        self.node = node

    def __add__(self, other):
        return op("add", self, other)

    def __radd__(self, other):
        return op("add", other, self)

    def __sub__(self, other):
        return op("sub", self, other)

    def __rsub__(self, other):
        return op("sub", other, self)

    def __mul__(self, other):
        return op("mul", self, other)

    def __rmul__(self, other):
        return op("mul", other, self)

    def __truediv__(self, other):
        return op("div", self, other)

    def __rtruediv__(self, other):
        return op("div", other, self)

    def __pow__(self, other):
        return op("pow", self, other)

    def __floordiv__(self, other):
        return op("floordiv", self, other)

    def __neg__(self):
        return op("neg", self)

    def __gt__(self, other):
        return op("gt", self, other)

    def __lt__(self, other):
        return op("lt", self, other)

    def eq(self, other):
        return op("eq", self, other)


def lift(value) -> E:
    if isinstance(value, E):
        return value
    if isinstance(value, (Var, Const, Op)):
        return E(value)
    return E(Const(value))


def op(prim, *args, attrs: Attrs = NO_ATTRS) -> E:
    """``prim`` applied to ``args`` (E, atoms or numbers); ``attrs`` static."""
    return E(Op(prim, tuple(lift(a).node for a in args), attrs))


def _applying(prim):
    return lambda *args: op(prim, *args)


sin, cos, exp, log, sqrt, sign = map(_applying, ("sin", "cos", "exp", "log", "sqrt", "sign"))
sinh, cosh, copysign, where = map(_applying, ("sinh", "cosh", "copysign", "where"))
dot, outer, transpose = map(_applying, ("dot", "outer", "transpose"))


def linear_jvp(name):
    """The JVP of an operation linear in each operand: sum over operands."""

    def jvp(tangents, *rest):
        args, attrs = rest[:-2], rest[-1]
        total = None
        for i, t in enumerate(tangents):
            if t is None:
                continue
            operands = list(args)
            operands[i] = t
            term = op(name, *operands, attrs=attrs)
            total = term if total is None else total + term
        return total

    return jvp
