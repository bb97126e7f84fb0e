"""Calls -> IR: primitives, NumPy's structural functions, array methods and
the user's own helpers.

Methods of ``frontend.Converter`` (conventions in ``converter``).
``expr_Call`` sorts a call by what the callee is: a method of a local array
(``call_method``), a registered primitive (``call_primitive``), a NumPy
function that is not elementwise (``call_numpy``, named by the registry:
``primitives.array_function``), ``float``, or a Python function of the user's, which
is parsed the same way and inlined into the caller's statements
(``call_helper``; errors inside it also name the call site).  What a call
calls (a nested function, a method of an object, a function passed as an
argument) is found by ``functions.callee``.  Anything else
is an ``UnknownFunctionError`` naming the call as the user wrote it, with
close matches (``primitives.naming.unknown_function_hint``).  Static options
(``axis``/``keepdims``) are read as compile-time constants (``static_options``).
"""

from __future__ import annotations

import ast
import functools
import inspect
import sys
import types

from .. import library
from ..errors import UnknownFunctionError
from ..ir import Attrs, Const
from ..primitives import (
    METHODS,
    PRIMITIVES,
    array_function,
    call_arguments,
    primitive_for,
)
from ..primitives.naming import method_names, names_of, public_name, unknown_function_hint
from .containers import NOT_HANDLED
from .functions import ARRAY_METHOD, BoundMethod
from .source import DefinitionSource, Source, user_function
from .values import DictValue, FunctionValue, StaticValue, structured


def _library_method(method: BoundMethod):
    """The library's definition of a method of a library object (the
    distributions of ``scipy.stats``), or None."""
    if not isinstance(method.self_value, StaticValue):
        return None
    bound = types.MethodType(method.function, method.self_value.value)
    return library.definition_for(bound)


class Calls:
    """Conversion of calls (mixed into ``frontend.Converter``)."""

    def expr_Call(self, e):
        e = self.spread_arguments(self.unwrap_partial(e))  # f(*xs, **d): containers.hidden_name
        draw = self.random_draw(e)  # rs.randn(n), np.random.normal(...): frontend.randomness
        if draw is not None:
            return draw
        func, base = self.callee(e.func)  # frontend.functions
        if func is ARRAY_METHOD:
            return self.call_method(e, base)
        if isinstance(func, FunctionValue):
            return self.call_function_value(func, e)
        if isinstance(func, BoundMethod):
            definition = _library_method(func)  # scipy.stats.multivariate_normal.logpdf
            if definition is not None:
                return self.call_definition(definition, ast.unparse(e.func), e)
            return self.call_helper(func.function, e, func.self_value)
        if isinstance(func, types.MethodType) and isinstance(func.__func__, types.FunctionType):
            definition = library.definition_for(func)  # norm.pdf, read from a global name
            if definition is not None:
                return self.call_definition(definition, ast.unparse(e.func), e)
            return self.call_helper(func.__func__, e, StaticValue(func.__self__))
        func = getattr(func, "__symdiff_function__", func)  # @differentiate helpers
        label = ast.unparse(e.func)
        if func is slice:
            return self.slice_object(e)
        value = self.container_builtin(func, e)  # sum(xs), zip(a, b), len(params)...
        if value is not NOT_HANDLED:
            return value
        if isinstance(func, library.Rule):  # custom_vjp, custom_jvp, elementwise: frontend.rules
            return self.call_rule(func, label, e)
        if func is library.refuse:
            return self.refusal(e)
        if library.is_static(func):  # a definition's computation on constants
            return self.call_static(func, e)
        if func is library.apply:  # a definition applying a primitive: symdiff.library
            return self.applied(e)
        if func is library.known:  # a definition asking whether a value is a constant
            return Const(self._is_known(self.known(self.expr(e.args[0]))))
        definition = library.definition_for(func)
        if definition is not None:  # np.var, scipy.special.logsumexp...: symdiff.library
            return self.call_definition(definition, label, e)
        prim = primitive_for(func)
        if prim is not None:
            return self.call_primitive(prim, label, e)
        if array_function(func) is not None:
            return self.call_numpy(func, label, e)
        if func is float:
            if len(e.args) != 1 or e.keywords:
                self.fail(e, "float() takes one number here", "write float(x)")
            # x * 1.0: a float for int and bool x, and no work for float x
            # (the optimiser drops it where x is already a float).
            return self.op("mul", (self.expr(e.args[0]), Const(1.0)), e)
        decided = self.static_builtin(func, e)  # isinstance(x, float), callable(f)
        if decided is not None:
            return decided
        if isinstance(func, type):  # Layer(W, b): a named tuple or a dataclass
            made = self.construct(func, e)
            if made is not None:
                return made
        if isinstance(func, types.FunctionType) or isinstance(
            user_function(func, self.loc(e)), types.FunctionType
        ):  # a Python function, maybe decorated or compiled by Numba
            return self.call_helper(func, e)
        raise self.unknown_function(func, e)

    def unknown_function(self, func, e):
        """The error for a call of a function symdiff has no rule for, naming
        it as the user wrote it (with its public name where that differs:
        ``inv()`` imported from ``np.linalg``), with close matches."""
        label = ast.unparse(e.func)
        public = public_name(func)
        also = f" ({public})" if public is not None and public != label else ""
        return UnknownFunctionError(
            f"no derivative rule for {label}(){also}",
            self.loc(e),
            unknown_function_hint(public or label, library.supported_functions()),
        )

    def unwrap_partial(self, e):
        """``partial(f, a, k=v)(x)`` as ``f(a, x, k=v)``: a partial application
        written where it is called (``map(partial(f, params), data)``)."""
        inner = e.func
        if not (isinstance(inner, ast.Call) and inner.args):
            return e
        if self._is_local(inner.func) or self._resolve_quiet(inner.func) is not functools.partial:
            return e
        call = ast.Call(inner.args[0], [*inner.args[1:], *e.args], [*inner.keywords, *e.keywords])
        return self.unwrap_partial(ast.copy_location(call, e))

    def spread_arguments(self, e):
        """``f(a, *xs, **d)`` as ``f(a, x0, x1, k=d["k"])``: the call with each
        element of a container (known when the code is generated) passed on
        its own."""
        if not any(isinstance(a, ast.Starred) for a in e.args) and all(
            kw.arg is not None for kw in e.keywords
        ):
            return e
        args = []
        for arg in e.args:
            if isinstance(arg, ast.Starred):
                args.extend(self.hidden_name(v, arg) for v in self.static_items(arg.value))
            else:
                args.append(arg)
        keywords = []
        for kw in e.keywords:
            if kw.arg is not None:
                keywords.append(kw)
                continue
            mapping = self.expr(kw.value)
            if not isinstance(mapping, DictValue) or not all(
                isinstance(k, str) for k in mapping.keys
            ):
                self.fail(
                    kw.value,
                    f"**{ast.unparse(kw.value)} is not a dict with string keys",
                    "pass a dict: f(**{'lr': 0.1})",
                )
            for key, value in mapping.items():
                keywords.append(ast.keyword(key, self.hidden_name(value, kw.value)))
        return ast.copy_location(ast.Call(e.func, args, keywords), e)

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

    def call_helper(self, func, e, bound_self=None):
        """Inline a Python function of the user's (``bound_self``: the value of
        ``self`` for a method)."""
        func = user_function(func, self.loc(e))
        module = (getattr(func, "__module__", None) or "").partition(".")[0]
        if module in sys.stdlib_module_names or module in ("numpy", "scipy", "sympy", "numba"):
            raise self.unknown_function(func, e)
        self.check_recursion(func, func.__name__, e)
        if module == "symdiff":  # a definition calling another: located at the user's call
            src = DefinitionSource(func, self.loc(e))
        else:
            src = Source(func)  # its parameters are bound as Python binds them (*args too)
        positional, keywords = self.call_arguments(e)
        if bound_self is not None:
            positional.insert(0, bound_self)
        signature = inspect.signature(func, follow_wrapped=False)  # a wrapper binds its own
        env = self._bound_arguments(signature, positional, keywords, src.name, e)
        return self.inline(src, src.node, env, src.name, func, e)

    def call_definition(self, definition, label, e, base=None):
        """Inline the library's definition of a function the user calls
        (``base``: the array of a method call, ``x.var()``), located at the call."""
        src = DefinitionSource(definition.function, self.loc(e))
        positional, keywords = self.call_arguments(e)
        if base is not None:
            positional.insert(0, base)
        signature = inspect.signature(definition.function)
        env = self._bound_arguments(signature, positional, keywords, label, e)
        return self.inline(src, src.node, env, label, definition.function, e)

    def refusal(self, e):
        """``refuse(message, hint)`` in a definition: the user's call is not supported."""
        message, hint = (self.static(arg, "refuse()", str) for arg in e.args)
        self.fail(e, message, hint)

    def call_static(self, func, e):
        """A function of the library run now on constants (``library.static``):
        its arguments must be known when the code is generated."""
        if e.keywords:
            self.fail(e, f"{func.__name__}() takes its arguments by position", "check the call")
        args = [self._python_value(self.known(self.expr(a)), a) for a in e.args]
        try:
            result = func(*args)
        except library.Refusal as refusal:
            self.fail(e, *refusal.args)
        if isinstance(result, str):
            return StaticValue(result)
        return self.constant(result, e, func.__name__)

    def _python_value(self, value, node):
        """The Python value of a constant (a number, a string, a tuple of them)."""
        if isinstance(value, Const):
            return value.value
        if isinstance(value, StaticValue):
            return value.value
        if isinstance(value, tuple):  # tuples and lists (ListValue) of constants
            return tuple(self._python_value(v, node) for v in value)
        self.fail(
            node,
            f"{ast.unparse(node)} must be known when the code is generated",
            "write a constant (an int, a string, a tuple of ints)",
        )

    def _is_known(self, value) -> bool:
        if isinstance(value, tuple):
            return all(self._is_known(item) for item in value)
        return isinstance(value, (Const, StaticValue))

    def applied(self, e):
        """``apply(primitive, *operands, **attrs)`` in a definition: the
        primitive on the operands, its static parameters read as constants."""
        prim = self.static(e.args[0], "apply()", str)
        operands = [self.expr(a) for a in e.args[1:]]
        attrs = {kw.arg: self._constant(kw.value) for kw in e.keywords}
        return self.op(prim, operands, e, attrs=Attrs(**attrs))

    def _constant(self, node):
        """A static parameter in a definition: a number, a tuple of them, None."""
        value = self.known(self.expr(node))
        if isinstance(value, tuple):
            return tuple(self._constant_of(item, node) for item in value)
        return self._constant_of(value, node)

    def _constant_of(self, value, node):
        if isinstance(value, Const):
            return value.value
        if isinstance(value, StaticValue):
            return value.value
        self.fail(node, "a static parameter must be known when the code is generated", "")

    def call_method(self, e, base=None):
        base = self.expr(e.func.value) if base is None else base
        if structured(base):  # xs.append(v), d.items(): containers
            return self.container_method(base, e)
        name, args = e.func.attr, e.args
        prim = METHODS.get(name)
        definition = library.method_definition(name) if prim is None else None
        if definition is not None:  # x.var(ddof=1): symdiff.library
            return self.call_definition(definition, f".{name}", e, base)
        if prim == "mean":
            return self.mean(f".{name}", [base], e)
        if prim in PRIMITIVES and PRIMITIVES[prim].names.options:
            return self.call_with_options(prim, f".{name}", [base], e)
        if e.keywords:
            self.fail(
                e, f"keyword arguments to .{name}() are not supported", "pass them by position"
            )
        if prim == "reshape":  # x.reshape(n, -1), x.reshape(x.shape), x.reshape(-1, *s)
            shape = self.shape_args(args[0]) if len(args) == 1 else [self.expr(a) for a in args]
            return self.op("reshape", (base, *shape), e)
        if prim == "ravel":
            return self.op("reshape", (base, Const(-1)), e)
        if prim is not None and len(args) + 1 == call_arguments(prim):  # x.dot(y), x.clip(a, b)
            return self.op(prim, (base, *(self.expr(a) for a in args)), e)
        self.fail(
            e,
            f"method .{name}() is not supported",
            f"use {method_names()}, or the NumPy function",
        )

    def call_with_options(self, prim, label, operands, e):
        """A primitive with static options (``np.sum(x, axis=0)``, ``x.cumsum()``):
        its operands by position, then its options (``attrs``)."""
        arity = PRIMITIVES[prim].arity  # -1: every positional argument is an operand
        count = len(e.args) if arity < 0 else arity - len(operands)
        attrs = self.static_options(prim, label, e, count)
        operands = [*operands, *(self.expr(a) for a in e.args[:count])]
        return self.op(prim, operands, e, attrs=attrs)

    def static_options(self, name, label, e, count):
        """The options of a call of ``name`` (its registry entry's, or its
        sugar's) after ``count`` operands: by position where they may be, or
        by name, as compile-time constants; the others get their defaults."""
        options = names_of(name).options
        positional = [o for o in options if o.positional]
        spelled = ", ".join(f"{o.name}=" for o in options)
        if not count <= len(e.args) <= count + len(positional):
            what = f"{count} operand{'s' * (count != 1)}, then {spelled}"
            self.fail(e, f"{label}() takes {what}", "pass the options by name")
        by_name = {o.name: o for o in options}
        given = list(zip(positional, e.args[count:]))
        for kw in e.keywords:
            if kw.arg not in by_name:
                self.fail(kw.value, f"keyword `{kw.arg}` is not supported here", f"use {spelled}")
            given.append((by_name[kw.arg], kw.value))
        values = {o.name: o.default for o in options}
        for option, node in given:
            value = self.static(node, option.name, option.types)
            if isinstance(value, tuple) and not all(
                type(item) is int for item in value
            ):  # axis=(0, 1)
                self.fail(node, f"{option.name}= must be an int or a tuple of ints", "axis=(0, 1)")
            if value == ():
                self.fail(node, f"{option.name}=() reduces nothing", "leave the reduction out")
            values[option.name] = value
        return Attrs(**values)

    def call_numpy(self, func, label, e):
        """NumPy functions that are not elementwise."""
        args = e.args
        name = array_function(func)
        if name in ("sum", "mean") and args and self._holds_container(args[0]):
            return self.reduce_container(name, label, e)
        if name == "mean":
            return self.mean(label, [], e)
        if name in ("prod", "product") and args:
            return self.prod_call(name, label, e)
        if name in PRIMITIVES and PRIMITIVES[name].names.sequence:
            return self.call_on_sequence(name, label, e)
        if name in PRIMITIVES and PRIMITIVES[name].names.options:
            return self.call_with_options(name, label, [], e)
        if name == "size" and len(args) + len(e.keywords) == 2:  # np.size(x, axis)
            return self.size_along(label, e)
        if e.keywords:
            self.fail(
                e,
                f"keyword arguments to {label}() are not supported",
                "pass the arguments by position",
            )
        arity = call_arguments(name)
        if len(args) != arity:
            self.fail(
                e, f"{label}() takes {arity} argument{'s' * (arity > 1)} here", "check the call"
            )
        if name in ("zeros", "ones"):
            return self.op(name, self.shape_args(args[0]), e)
        if name == "full":  # np.full(shape, v): v everywhere
            ones = self.op("ones", self.shape_args(args[0]), e)
            return self.op("mul", (ones, self.expr(args[1])), e)
        values = [self.expr(a) for a in args]
        if name == "len" and isinstance(values[0], (tuple, DictValue)):
            return Const(len(values[0].keys if isinstance(values[0], DictValue) else values[0]))
        if name == "reshape":
            return self.op("reshape", (values[0], *self.shape_args(args[1])), e)
        if name == "ravel":
            return self.op("reshape", (values[0], Const(-1)), e)
        if name == "shape_of":
            return self.shape_of(values[0], e)
        if name == "ndim":
            return Const(self.rank_of(values[0], e, f"{label}()").rank)
        if name == "square":
            return self.op("mul", (values[0], values[0]), e)
        if name == "len":
            return self.op("shape", values, e, attrs=Attrs(axis=0))
        return self.op(name, values, e)

    def call_on_sequence(self, name, label, e):
        """``np.concatenate([a, b], axis=1)``, ``np.stack(xs)``: the items of a
        list or tuple (a display, a variable, a comprehension) known when the
        code is generated are the operands; then the options."""
        if not e.args:
            self.fail(e, f"{label}() takes a list or tuple of arrays", f"write {label}([a, b])")
        attrs = self.static_options(name, label, e, 1)
        items = self.static_items(e.args[0])
        if not items:
            self.fail(e, f"{label}() of an empty list", "give it at least one array")
        if any(structured(item) for item in items):
            self.fail(e, f"{label}() takes arrays or numbers", "pass a flat list of arrays")
        return self.op(name, list(items), e, attrs=attrs)

    def _holds_container(self, node) -> bool:
        """Is ``node`` a list/tuple display, a comprehension or a name of a container?"""
        if isinstance(node, (ast.List, ast.Tuple, ast.ListComp, ast.GeneratorExp)):
            return True
        return isinstance(node, ast.Name) and structured(self.env.get(node.id, Const(0)))

    def reduce_container(self, name, label, e):
        """``np.sum([...])``, ``np.mean([...])`` of numbers or arrays of one
        shape: the sum of every element of every item (divided by their count)."""
        if len(e.args) != 1 or e.keywords:
            self.fail(
                e,
                f"{label}() of a list takes no axis or other options here",
                f"stack the items first: {label}(np.stack([...]), axis=0)",
            )
        items = self.static_items(e.args[0])
        if not items:
            self.fail(e, f"{label}() of an empty list", "give it at least one value")
        scalars = all(self._known_scalar(item) for item in items)
        total = None
        for item in items:
            part = item if scalars else self.op("sum", (item,), e)
            total = part if total is None else self.op("add", (total, part), e)
        if name == "sum":
            return total
        count = Const(len(items))
        if not scalars:
            count = self.op("mul", (self.op("size", (items[0],), e), count), e)
        return self.op("div", (total, count), e)

    def _known_scalar(self, value) -> bool:
        """Is ``value`` known to be a number (its kind, ``converter.kind_of``)?
        Else it is taken as an array."""
        kind = self.kind_of(value)
        return kind is not None and kind.rank == 0

    def mean(self, label, operands, e):
        """``np.mean(x, axis=k)``: the sum divided by the size (or the axis' size)."""
        attrs = self.static_options("mean", label, e, 1 - len(operands))
        base = operands[0] if operands else self.expr(e.args[0])
        total = self.op("sum", (base,), e, attrs=attrs)
        axis = attrs.axis
        if axis is None:
            return self.op("div", (total, self.op("size", (base,), e)), e)
        count = None
        for k in axis if isinstance(axis, tuple) else (axis,):  # axis=(0, 2): a product of sizes
            size = self.op("shape", (base,), e, attrs=Attrs(axis=k))
            count = size if count is None else self.op("mul", (count, size), e)
        return self.op("div", (total, count), e)

    def size_along(self, label, e):
        """``np.size(x, axis=k)``: ``x.shape[k]``."""
        if e.keywords and e.keywords[0].arg != "axis":
            self.fail(e, f"{label}() takes an array and axis=", "write np.size(x, axis=0)")
        axis = self.static(e.args[1] if len(e.args) == 2 else e.keywords[0].value, "axis", int)
        return self.op("shape", (self.expr(e.args[0]),), e, attrs=Attrs(axis=axis))

    def shape_args(self, node):
        """Sizes given as an int or a tuple of ints (``x.shape + (3,)``): a list of atoms."""
        value = self.expr(node)
        return list(value) if isinstance(value, tuple) else [value]

    def prod_call(self, name, label, e):
        """``np.prod(x, axis=...)`` of an array, or ``np.prod``/``math.prod`` of
        a tuple of ints (``x.shape[1:]``): their product, folded where known."""
        first = self.expr(e.args[0])
        if not isinstance(first, tuple):
            if name == "product":
                self.fail(e, f"{label}() takes a tuple of ints here", "write np.prod(x) for arrays")
            rest = ast.copy_location(ast.Call(e.func, e.args[1:], e.keywords), e)
            return self.call_with_options("prod", label, [first], rest)
        if len(e.args) > 1 or e.keywords:
            self.fail(e, f"{label}() of a tuple takes no options", f"write {label}(sizes)")
        known, product = 1, None
        for size in first:
            if isinstance(size, Const) and type(size.value) is int:
                known *= size.value
            else:
                product = size if product is None else self.op("mul", (product, size), e)
        if product is None:
            return Const(known)
        return product if known == 1 else self.op("mul", (product, Const(known)), e)
