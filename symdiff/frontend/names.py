"""Names -> values: locals, then the function's closure, globals and builtins.

Methods of ``frontend.Converter`` (conventions in ``converter``).  A name
bound in the function is looked up in ``env``; a name the function assigns
on some paths only is an error where it may be unbound.  Any other name is
free and resolved as Python would (``Source.lookup``): numbers and tuples of
numbers become constants (``constant``); modules and functions are only
reached through ``resolve``, by the calls that use them.  ``static`` reads a
compile-time argument (an axis, ``keepdims``) from a literal or a global.
"""

from __future__ import annotations

import ast
import numbers
import types

import numpy as np

from .. import pytree
from ..errors import SymDiffError
from ..ir import Const
from .values import StaticValue


class Names:
    """Resolution of names (mixed into ``frontend.Converter``)."""

    def expr_Name(self, e):
        return self.name(e)

    def name(self, e):
        if e.id in self.env:
            return self.env[e.id]
        if e.id in self.src.local_names:
            self.fail(
                e,
                f"'{e.id}' may be undefined here: it is assigned on some paths only",
                f"assign '{e.id}' before the `if` or loop, or on every branch",
            )
        value = self.src.lookup(e.id, e)
        return self.constant(value, e, e.id)

    def constant(self, value, node, label):
        """The IR constant for the Python value ``value`` named ``label``
        (a ``StaticValue`` for functions, classes, None and strings)."""
        if pytree.is_static(value) and not isinstance(value, types.ModuleType):
            return StaticValue(value)
        if isinstance(value, (bool, np.bool_)):
            return Const(bool(value))
        if isinstance(value, numbers.Integral):
            return Const(int(value))
        if isinstance(value, numbers.Real):
            return Const(float(value))
        if isinstance(value, tuple) and all(
            isinstance(v, numbers.Real) or pytree.is_static(v) for v in value
        ):
            return tuple(self.constant(v, node, label) for v in value)
        what = "a module" if isinstance(value, types.ModuleType) else type(value).__name__
        self.fail(
            node,
            f"'{label}' is {what}, not a number",
            "use numbers (int, float, bool) and call functions; other objects "
            "cannot take part in differentiated code",
        )

    def _is_local(self, node) -> bool:
        """Is ``node`` an expression over local values (not a module path)?"""
        while isinstance(node, ast.Attribute):
            node = node.value
        return (
            not isinstance(node, ast.Name) or node.id in self.env or node.id in self.src.local_names
        )

    def resolve(self, node):
        """The Python object a dotted name refers to (``np.sin``, ``math.pi``)."""
        if isinstance(node, ast.Name):
            if node.id in self.env:
                self.fail(
                    node,
                    f"'{node.id}' is a local value, not a module or function",
                    "call functions by their module-level name",
                )
            return self.src.lookup(node.id, node)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            if not isinstance(base, types.ModuleType):
                self.fail(
                    node,
                    f"attribute access on {type(base).__name__} objects is not supported",
                    "pass the value as a separate argument (object attributes "
                    "cannot be differentiated)",
                )
            if not hasattr(base, node.attr):
                self.fail(
                    node,
                    f"module '{base.__name__}' has no attribute '{node.attr}'",
                    "check the spelling",
                )
            return getattr(base, node.attr)
        self.fail(
            node,
            "cannot resolve this expression to a function",
            "call functions by name (math.sin, np.exp, helper)",
        )

    def _is_builtin(self, func, obj) -> bool:
        """Is the called ``func`` the builtin ``obj`` (``print``, ``range``)?"""
        return (
            isinstance(func, ast.Name)
            and func.id not in self.env
            and (self._resolve_quiet(func) is obj)
        )

    def _resolve_quiet(self, node):
        """``resolve(node)``, or None where that is an error."""
        try:
            return self.resolve(node)
        except SymDiffError:
            return None

    def static(self, node, what, expected_type):
        """A compile-time constant argument (an axis, keepdims)."""
        unknown = object()  # not a constant: a local variable, a call...
        try:
            value = ast.literal_eval(node)
        except ValueError:
            value = unknown
            if isinstance(node, (ast.Name, ast.Attribute)) and not self._is_local(node):
                value = self.resolve(node)
        ok = isinstance(value, expected_type) and not (
            expected_type is int and isinstance(value, bool)
        )
        if not ok and not (value is None and expected_type is not bool and what.startswith("axis")):
            self.fail(
                node,
                f"{what} must be a constant {expected_type.__name__}",
                "write the number itself (axis=0, keepdims=True); symdiff generates code per axis",
            )
        return value
