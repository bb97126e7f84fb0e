"""Calls -> IR: primitives, NumPy's structural functions, array methods and
the user's own helpers.

Methods of ``frontend.Converter`` (conventions in ``converter``).
``expr_Call`` sorts a call by what the callee is: a method of a local array
(``call_method``), a registered primitive (``call_primitive``), a NumPy
function that is not elementwise (``call_numpy``, named by
``_NUMPY_STRUCTURAL``), ``float``, or a Python function of the user's, which
is parsed the same way and inlined into the caller's statements
(``call_helper``; errors inside it also name the call site).  Anything else
is an ``UnknownFunctionError`` listing what symdiff knows.  Reductions read
``axis``/``keepdims`` as compile-time constants (``reduce_options``).
"""

from __future__ import annotations

import ast
import inspect
import sys
import types

import numpy as np

from ..errors import SymDiffError, UnknownFunctionError
from ..errors import UnsupportedSyntaxError as Unsupported
from ..ir import Const
from ..primitives import PRIMITIVES, primitive_for, supported_names
from .converter import RETURN
from .source import Source, check_params


class Calls:
    """Conversion of calls (mixed into ``frontend.Converter``)."""

    def expr_Call(self, e):
        if isinstance(e.func, ast.Attribute) and self._is_local(e.func.value):
            return self.call_method(e)
        func = self.resolve(e.func)
        func = getattr(func, "__symdiff_function__", func)  # @differentiate helpers
        label = ast.unparse(e.func)
        for arg in e.args:
            if isinstance(arg, ast.Starred):
                self.fail(arg, "`*args` in calls is not supported", "pass arguments one by one")
        prim = primitive_for(func)
        if prim is not None:
            return self.call_primitive(prim, label, e)
        entry = _NUMPY_STRUCTURAL.get(id(func))
        if entry is not None and entry[0] is func:
            return self.call_numpy(func, label, e)
        if func is float:
            if len(e.args) != 1 or e.keywords:
                self.fail(e, "float() takes one number here", "write float(x)")
            # x * 1.0: a float for int and bool x, and no work for float x
            # (the optimiser drops it where x is already a float).
            return self.op("mul", (self.expr(e.args[0]), Const(1.0)), e)
        if isinstance(func, types.FunctionType):
            return self.call_helper(func, e)
        raise UnknownFunctionError(
            f"no derivative rule for {label}()",
            self.loc(e),
            f"symdiff knows {supported_names()}, and your own functions defined with def; "
            "rewrite the call with these or pass its value in as an argument",
        )

    def call_primitive(self, prim, label, e):
        if e.keywords:
            self.fail(
                e, f"{label}() takes no keyword arguments here", "pass the arguments by position"
            )
        args = [self.expr(a) for a in e.args]
        if any(isinstance(a, tuple) for a in args):
            self.fail(e, f"{label}() takes numbers, not tuples", "pass scalars")
        if prim == "log" and len(args) == 2:  # math.log(x, base)
            num = self.op("log", args[:1], e)
            den = self.op("log", args[1:], e)
            return self.op("div", (num, den), e)
        if prim in ("max", "min") and len(args) >= 2:
            value = args[0]
            for arg in args[1:]:
                value = self.op(prim, (value, arg), e)
            return value
        arity = PRIMITIVES[prim].arity
        if len(args) != arity:
            hint = "check the call"
            if prim in ("max", "min") and len(args) == 1:
                hint = f"for the largest/smallest element of an array write np.{prim}(x)"
            self.fail(
                e,
                f"{label}() takes {arity} argument{'s' * (arity > 1)} here, got {len(args)}",
                hint,
            )
        return self.op(prim, args, e)

    def call_helper(self, func, e):
        module = (getattr(func, "__module__", None) or "").partition(".")[0]
        if module in sys.stdlib_module_names or module in ("numpy", "scipy", "sympy", "numba"):
            raise UnknownFunctionError(
                f"no derivative rule for {func.__module__}.{func.__name__}()",
                self.loc(e),
                f"symdiff knows {supported_names()}, and your own functions defined with "
                "def; write the computation with these",
            )
        if func in self.stack:
            self.fail(
                e,
                f"recursive call to {func.__name__}",
                "recursion cannot be differentiated; write it iteratively",
                cls=Unsupported,
            )
        src = Source(func)
        params = check_params(src)
        try:
            bound = inspect.signature(func).bind(*e.args, **{k.arg: k.value for k in e.keywords})
        except TypeError as exc:
            self.fail(e, f"bad call to {func.__name__}: {exc}", "match the helper's parameters")
        env = {}
        for name in params:
            if name in bound.arguments:
                env[name] = self.expr(bound.arguments[name])
            else:
                default = inspect.signature(func).parameters[name].default
                env[name] = self.constant(default, e, name)
        sub = type(self)(src, self.namer, self.stack + (func,), env)  # the helper's own source
        sub.out = self.out
        try:
            sub.body(src.node)
        except SymDiffError as err:
            if not getattr(err, "_call_noted", False):
                err._call_noted = True
                note = f"(in {func.__name__}, called at {self.loc(e)})"
                err.hint = f"{err.hint}\n{note}" if err.hint else note
                err.args = (err._render(),)
            raise
        return sub.env[RETURN]

    def call_method(self, e):
        base = self.expr(e.func.value)
        name, args = e.func.attr, e.args
        if name in ("sum", "max", "min", "prod", "mean"):
            prim = {"max": "amax", "min": "amin"}.get(name, name)
            return self.reduction(prim, base, e, args, 0)
        if e.keywords:
            self.fail(
                e, f"keyword arguments to .{name}() are not supported", "pass them by position"
            )
        if name == "reshape":
            shape = self.shape_args(args[0]) if len(args) == 1 else [self.expr(a) for a in args]
            return self.op("reshape", (base, *shape), e)
        if name in ("ravel", "flatten"):
            return self.op("reshape", (base, Const(-1)), e)
        if name in ("transpose",) and not args:
            return self.op("transpose", (base,), e)
        if name == "dot" and len(args) == 1:
            return self.op("dot", (base, self.expr(args[0])), e)
        if name == "clip" and len(args) == 2:
            return self.op("clip", (base, self.expr(args[0]), self.expr(args[1])), e)
        if name == "copy" and not args:
            return self.op("copy", (base,), e)
        self.fail(
            e,
            f"method .{name}() is not supported",
            "use sum, mean, max, min, prod, reshape, ravel, transpose, dot, clip, copy, "
            "or the NumPy function",
        )

    def call_numpy(self, func, label, e):
        """NumPy functions that are not elementwise."""
        args = e.args
        name = _NUMPY_STRUCTURAL[id(func)][1]
        if name in ("sum", "amax", "amin", "prod", "mean"):
            if not args:
                self.fail(e, f"{label}() needs an array", f"write {label}(x)")
            return self.reduction(name, self.expr(args[0]), e, args, 1)
        if e.keywords:
            self.fail(
                e,
                f"keyword arguments to {label}() are not supported",
                "pass the arguments by position",
            )
        arity = {
            "dot": 2,
            "matmul": 2,
            "outer": 2,
            "transpose": 1,
            "reshape": 2,
            "square": 1,
            "zeros_like": 1,
            "ones_like": 1,
            "copy": 1,
            "eye": 1,
            "zeros": 1,
            "ones": 1,
            "array": 1,
            "ravel": 1,
            "len": 1,
        }[name]
        if len(args) != arity:
            self.fail(
                e, f"{label}() takes {arity} argument{'s' * (arity > 1)} here", "check the call"
            )
        if name in ("zeros", "ones"):
            return self.op(name, self.shape_args(args[0]), e)
        if name == "array":
            if not isinstance(args[0], (ast.List, ast.Tuple)):
                self.fail(
                    e,
                    f"{label}() takes a list of numbers here",
                    "write np.array([a, b, c]); pass other arrays as arguments",
                )
            return self.op("stack", [self.expr(v) for v in args[0].elts], e)
        values = [self.expr(a) for a in args]
        if name == "reshape":
            return self.op("reshape", (values[0], *self.shape_args(args[1])), e)
        if name == "ravel":
            return self.op("reshape", (values[0], Const(-1)), e)
        if name == "square":
            return self.op("mul", (values[0], values[0]), e)
        if name == "len":
            return self.op("shape", values, e, attrs=(("axis", 0),))
        return self.op(name, values, e)

    def reduce_options(self, e, args, start):
        """``axis`` and ``keepdims`` from positional and keyword arguments."""
        options = {"axis": None, "keepdims": False}
        if len(args) > start:
            options["axis"] = self.static(args[start], "axis", int)
        if len(args) > start + 1:
            self.fail(e, "too many positional arguments", "pass axis= and keepdims= by name")
        for kw in e.keywords:
            if kw.arg == "axis":
                options["axis"] = self.static(kw.value, "axis", int)
            elif kw.arg == "keepdims":
                options["keepdims"] = self.static(kw.value, "keepdims", bool)
            else:
                self.fail(
                    kw.value, f"keyword `{kw.arg}` is not supported here", "use axis= and keepdims="
                )
        return tuple(sorted(options.items()))

    def reduction(self, name, base, e, args, start):
        attrs = self.reduce_options(e, args, start)
        if name == "mean":
            total = self.op("sum", (base,), e, attrs=attrs)
            axis = dict(attrs)["axis"]
            count = (
                self.op("size", (base,), e)
                if axis is None
                else self.op("shape", (base,), e, attrs=(("axis", axis),))
            )
            return self.op("div", (total, count), e)
        return self.op(name, (base,), e, attrs=attrs)

    def shape_args(self, node):
        """Sizes given as an int or a tuple of ints: a list of atoms."""
        value = self.expr(node)
        return list(value) if isinstance(value, tuple) else [value]


_NUMPY_STRUCTURAL = {
    id(obj): (obj, name)
    for obj, name in [
        (np.dot, "dot"), (np.matmul, "matmul"), (np.outer, "outer"),
        (np.transpose, "transpose"), (np.reshape, "reshape"), (np.ravel, "ravel"),
        (np.sum, "sum"), (np.mean, "mean"), (np.max, "amax"), (np.amax, "amax"),
        (np.min, "amin"), (np.amin, "amin"), (np.prod, "prod"), (np.square, "square"),
        (np.zeros, "zeros"), (np.ones, "ones"), (np.zeros_like, "zeros_like"),
        (np.ones_like, "ones_like"), (np.eye, "eye"), (np.array, "array"), (len, "len"),
        (np.empty, "zeros"), (np.empty_like, "zeros_like"), (np.copy, "copy"),
    ]
}  # fmt: skip
