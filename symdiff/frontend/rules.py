"""Calls of users' rules -> IR (``symdiff.custom_vjp``, ``custom_jvp``,
``elementwise``: ``symdiff.library.rules``; their primitives in
``symdiff.primitives.custom``, whose docstring shows the IR of each).

Methods of ``frontend.Converter``.  The arguments are bound to the rule's
function's parameters as Python binds them (keywords, defaults); each must
be a number or an array.  An elementwise rule's ``partials`` are inlined
here, like a helper of the user's, with the operands and ``ans`` bound.
"""

from __future__ import annotations

import inspect

from ..ir import Const
from .source import Source
from .values import StaticValue, is_atom


class Rules:
    """Conversion of calls of users' rules (mixed into ``frontend.Converter``)."""

    def call_rule(self, rule, label, e):
        if not rule.prims:
            define = "defvjp(fwd, bwd)" if rule.form == "vjp" else "defjvp(jvp)"
            self.fail(e, f"{label}() has no rule yet", f"call {rule.__name__}.{define} first")
        positional, keywords = self.call_arguments(e)
        env = self._bound_arguments(rule.signature, positional, keywords, label, e)
        for name, value in env.items():
            if not is_atom(value):
                self.fail(
                    e,
                    f"{label}() takes numbers and arrays, but `{name}` is not one",
                    "pass the arrays themselves; a rule's functions can read other values "
                    "from their closure or from globals",
                )
        operands = list(env.values())
        for index in rule.nondiff:
            self.not_differentiated(operands[index], list(env)[index], label, e)
        if not operands:
            self.fail(e, f"{label}() takes no arguments", "give the rule the values it reads")
        if rule.form == "vjp":
            pair = self.op(rule.prims[0], operands, e)  # f_fwd(...): the value and residuals
            numbers = all(getattr(self.kind_of(a), "rank", 1) == 0 for a in operands)
            value = rule.prims[2] if numbers and rule.rank is None else rule.prims[1]
            return self.op(value, [pair, *operands], e)
        if rule.form == "jvp":
            return self.op(rule.prims[0], operands, e)
        return self.with_partials(rule, label, operands, e)

    def not_differentiated(self, operand, name, label, e):
        """An argument in ``nondiff_argnums``: an int (or bool) or a constant,
        so that no derivative through it is lost."""
        kind = self.kind_of(operand)
        if isinstance(operand, Const) or (kind is not None and kind.dtype in ("int", "bool")):
            return
        self.fail(
            e,
            f"`{name}` of {label}() is in nondiff_argnums, but it is a float that may depend "
            "on what is differentiated (its derivative would be lost)",
            "keep nondiff_argnums for ints and constants; read other fixed values from the "
            "rule's closure, or make the argument differentiable",
        )

    def with_partials(self, rule, label, operands, e):
        """``rule.fun(*operands)``, with the partial derivatives its ``partials`` give."""
        value = self.op(rule.prims[0], operands, e)
        src = Source(rule.partials)
        signature = inspect.signature(rule.partials)
        env = self._bound_arguments(signature, [*operands, value], {}, f"{label} partials", e)
        partials = self.inline(src, src.node, env, f"{label} partials", rule.partials, e)
        if not isinstance(partials, tuple) or len(partials) != len(operands):
            self.fail(
                e,
                f"the partials of {label}() must be a tuple of {len(operands)} (one per argument)",
                "return (d/dx, ...) with a trailing comma for one argument: (expr,)",
            )
        kept, given = [], []
        for operand, partial in zip(operands, partials):
            if isinstance(partial, StaticValue) and partial.value is None:
                continue  # zero wherever it is defined: no code
            if not is_atom(partial):
                self.fail(e, f"a partial of {label}() is not a number or an array", "check it")
            if isinstance(operand, Const):  # a constant argument is not differentiated
                continue
            kept.append(operand)
            given.append(partial)
        if not kept:
            return value
        return self.op("with_partials", [value, *kept, *given], e)
