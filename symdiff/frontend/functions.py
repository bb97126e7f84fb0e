"""Functions as values: nested ``def`` and ``lambda``, function-valued
arguments, methods of objects, and conditions decided at specialisation.

Methods of ``frontend.Converter`` (conventions in ``converter``).

* A nested ``def`` or a ``lambda`` is a ``FunctionValue`` bound to its name
  (or passed, returned, stored in a container).  Calling it inlines its body
  as ``calls.call_helper`` inlines a helper, in a converter of the enclosing
  source (``LocalSource``).  Its free names are read, when it is called, in
  the scope it was defined in (Python's late binding): in the converter of
  that function's call that is running then (``scope_of``), so closures see
  the current values of the enclosing function's locals.  Its defaults are
  computed where it is defined, as Python does.
* A function passed as an argument (``activation=np.tanh``, ``relu``) is a
  ``StaticValue``; calling it calls what it holds: a primitive, or a Python
  function, inlined (``callee`` finds what a call calls).
* A method of an object (``model.forward(x)``) is the class's function with
  ``self`` bound to the object's value (``BoundMethod``); ``self.W`` reads a
  field (``attribute_value``).
* ``x is None``, ``activation is np.tanh``, ``mode == "train"``,
  ``isinstance(x, float)``, ``callable(f)`` and the truth of static values
  and containers are decided here (``static_truth``, ``static_comparison``,
  ``static_builtin``): the condition is a ``Const``, so only the branch taken
  is converted.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import numbers
import types
from dataclasses import dataclass

import numpy as np

from .. import pytree
from ..errors import SymDiffError
from ..errors import UnsupportedSyntaxError as Unsupported
from ..ir import Const, Var
from .converter import BREAK, RETURN
from .source import DefinitionSource
from .values import (
    DictValue,
    FunctionValue,
    ListValue,
    NamedValue,
    ObjectValue,
    StaticValue,
    is_atom,
    named_value_type,
    structure,
)

ARRAY_METHOD = object()  # `callee`: a method of an array (calls.call_method)


@dataclass(frozen=True, slots=True, eq=False)
class BoundMethod:
    """A method of an object: the class's function and the value of ``self``."""

    function: object
    self_value: object


class LocalSource:
    """The source of a ``def`` or ``lambda`` nested in another function:
    the enclosing function's file and positions, its own local names."""

    def __init__(self, outer, node):
        self.outer = outer
        self.node = node
        self.fn = outer.fn
        self.filename = outer.filename
        self.name = getattr(node, "name", "lambda")
        self.local_names = _bound_names(node)

    def loc(self, node):
        return self.outer.loc(node)

    def lookup(self, name, node):
        """A free name that is no local of any enclosing function: the
        enclosing function's closure, globals, builtins."""
        return self.locate(name, node)[0]

    def locate(self, name, node):
        """``lookup``'s value and where it is read at each call (``Source.locate``)."""
        if name in self.outer.local_names:
            raise Unsupported(
                f"'{name}' is used by {_called(self.node)} before the enclosing function assigns it",
                self.loc(node),
                f"assign '{name}' before the call",
            )
        return self.outer.locate(name, node)


def _called(node) -> str:
    return "a lambda" if isinstance(node, ast.Lambda) else f"{node.name}"


def _bound_names(node) -> set:
    """The names a ``def`` or ``lambda`` binds: its parameters, the names
    it assigns and the functions it defines (not those of functions nested in it)."""
    args = node.args
    names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs}
    names |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    body = [node.body] if isinstance(node, ast.Lambda) else node.body
    todo = list(body)
    while todo:
        item = todo.pop()
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(item.name)
            todo.extend(item.args.defaults + item.decorator_list)
            continue
        if isinstance(item, ast.Lambda):
            todo.extend(item.args.defaults)
            continue
        if isinstance(item, ast.Name) and isinstance(item.ctx, ast.Store):
            names.add(item.id)
        todo.extend(ast.iter_child_nodes(item))
    return names


class Functions:
    """Functions as values (mixed into ``frontend.Converter``)."""

    # -- bodies and definitions ----------------------------------------------------
    def function_body(self, node):
        """The body of a ``def`` or a ``lambda``; its result is ``self.env[RETURN]``."""
        if isinstance(node, ast.Lambda):
            self.env[RETURN] = self.expr(node.body)
            self.return_loc = self.loc(node.body)
        else:  # an inlined function without `return` returns None (it may change a list)
            self.body(node, helper=self.caller is not None)

    def define_function(self, node):
        """A nested ``def``: its name is bound to the function."""
        if node.decorator_list:
            self.fail(
                node.decorator_list[0],
                f"decorators on the nested def {node.name} are not supported",
                "define it without the decorator, or at module level",
            )
        self.env[node.name] = self.function_value(node, node.name)

    def expr_Lambda(self, e):
        return self.function_value(e, "lambda")

    def function_value(self, node, name) -> FunctionValue:
        args = node.args
        positional = args.posonlyargs + args.args
        with_default = positional[len(positional) - len(args.defaults) :]
        defaults = [(a.arg, self.expr(d)) for a, d in zip(with_default, args.defaults)]
        defaults += [
            (a.arg, self.expr(d))
            for a, d in zip(args.kwonlyargs, args.kw_defaults)
            if d is not None
        ]
        return FunctionValue(node, name, self, tuple(defaults))

    # -- what a call calls -----------------------------------------------------------
    def callee(self, node):
        """What the call ``node(...)`` calls: a ``FunctionValue``, a
        ``BoundMethod``, ``ARRAY_METHOD`` (a method of a local array, with
        the array's value as second item) or a Python object."""
        if isinstance(node, ast.Name):
            if node.id not in self.env and node.id not in self.src.local_names:
                func = self.resolve(node)  # a global helper: guarded (frontend.names)
                if _call_method(func) is None:
                    return func, None
                # an object with __call__: the value its name has in the code
                return self.callable_of(self.expr(node), node), None
            return self.callable_of(self.name(node), node), None
        if isinstance(node, ast.Attribute):
            if self._is_local(node.value):
                return self.attribute_callee(self.expr(node.value), node)
            base = self._resolve_quiet(node.value)
            if isinstance(base, types.ModuleType) or base is None:
                return self.resolve(node), None
            if isinstance(base, type):  # a class's function: Model.forward
                return self.resolve_static_attribute(base, node), None
            try:  # an object: the value its name has in the code (frontend.names)
                value = self.expr(node.value)
            except SymDiffError:
                return self.resolve(node), None  # the error for attributes of objects
            return self.attribute_callee(value, node)
        return self.callable_of(self.expr(node), node), None

    def attribute_callee(self, base, node):
        """``base.name`` called: a method of an object, a function held by a
        field, or a method of an array (``ARRAY_METHOD``)."""
        if isinstance(base, (ObjectValue, NamedValue, StaticValue)):
            return self.callable_of(self.attribute_value(base, node), node), None
        return ARRAY_METHOD, base

    def callable_of(self, value, node):
        """The function a value holds, or a clear error."""
        if isinstance(value, (FunctionValue, BoundMethod)):
            return value
        if isinstance(value, StaticValue) and _call_method(value.value) is not None:
            return BoundMethod(_call_method(value.value), value)
        if isinstance(value, StaticValue) and callable(value.value):
            return value.value
        if isinstance(value, ObjectValue) and _class_function(value.type, "__call__"):
            return BoundMethod(_class_function(value.type, "__call__"), value)
        self.fail(
            node,
            f"'{ast.unparse(node)}' is {structure(value)}, not a function",
            "call functions, lambdas and methods",
        )

    def resolve_static_attribute(self, base, node):
        """An attribute of a class or function read at module level (``Model.forward``)."""
        if not hasattr(base, node.attr):
            self.fail(
                node,
                f"{ast.unparse(node.value)} has no attribute '{node.attr}'",
                "check the spelling",
            )
        return getattr(base, node.attr)

    # -- calling -----------------------------------------------------------------------
    def call_arguments(self, e):
        """The values of a call's positional and keyword arguments, in source order."""
        positional = [self.expr(a) for a in e.args]
        keywords = {}
        for kw in e.keywords:
            if kw.arg is None:
                self.fail(kw.value, "`**kwargs` in calls is not supported", "pass keywords by name")
            keywords[kw.arg] = self.expr(kw.value)
        return positional, keywords

    def call_function_value(self, fv: FunctionValue, e):
        """Call a nested ``def`` or ``lambda``: its body inlined, its free
        names from its defining scope as it is now."""
        self.check_recursion(fv.node, fv.name, e)
        positional, keywords = self.call_arguments(e)
        signature = _signature(fv.node.args, dict(fv.defaults))
        env = self._bound_arguments(signature, positional, keywords, fv.name, e)
        src = LocalSource(fv.definer.src, fv.node)
        scope = self.scope_of(fv)
        free = {
            k: v for k, v in scope.items() if k not in (RETURN, BREAK) and k not in src.local_names
        }
        return self.inline(src, fv.node, {**free, **env}, fv.name, fv.node, e)

    def scope_of(self, fv: FunctionValue) -> dict:
        """The environment ``fv``'s free names are read from now: that of the
        call of its defining function that is running (the converter nearest
        the call site, through the chain of calls), else where it was defined."""
        converter = self
        while converter is not None:
            if converter.frame is fv.definer.frame:
                return converter.env
            converter = converter.caller
        return fv.definer.env

    def _bound_arguments(self, signature, positional, keywords, label, e) -> dict:
        """Each parameter's value: given, or its default (``*args`` a tuple,
        ``**kwargs`` a dict)."""
        try:
            bound = signature.bind(*positional, **keywords)
        except TypeError as exc:
            self.fail(e, f"bad call to {label}: {exc}", "match the function's parameters")
        env = {}
        for name, param in signature.parameters.items():
            if name in bound.arguments:
                value = bound.arguments[name]
                if param.kind is param.VAR_POSITIONAL:
                    value = tuple(value)
                elif param.kind is param.VAR_KEYWORD:
                    keys = tuple(sorted(value))
                    value = DictValue(keys, tuple(value[k] for k in keys))
            elif param.kind is param.VAR_POSITIONAL:
                value = ()
            elif param.kind is param.VAR_KEYWORD:
                value = DictValue((), ())
            else:
                value = param.default
                if not isinstance(value, _Converted):
                    value = self.python_value(value, e, name)
                else:
                    value = value.value
            env[name] = value
        return env

    def inline(self, src, node, env, label, key, e):
        """Convert the body of ``node`` (a ``def`` or ``lambda`` of ``src``)
        into this converter's statements, with ``env``; its result.  Errors
        inside it also name the call site."""
        sub = type(self)(src, self.namer, self.stack + (key,), env, self.shared)
        sub.caller = self
        sub.out = self.out
        try:
            sub.function_body(node)
        except SymDiffError as err:
            if not getattr(err, "_call_noted", False) and not isinstance(src, DefinitionSource):
                err._call_noted = True
                note = f"(in {label}, called at {self.loc(e)})"
                err.hint = f"{err.hint}\n{note}" if err.hint else note
                err.args = (err._render(),)
            raise
        for old, new in sub.mutations:  # lists it changed: the caller's names too
            self.mutate(old, new)
        return sub.env[RETURN]

    def python_value(self, value, node, label):
        """The value of a Python object given to the code (a default
        argument): a ``StaticValue`` for None, strings and functions, a
        constant for numbers, a tuple of these for a tuple."""
        if pytree.is_static(value):
            return StaticValue(value)
        if isinstance(value, tuple) and not hasattr(value, "_fields"):
            return tuple(self.python_value(v, node, label) for v in value)
        if isinstance(value, list):
            return ListValue(self.python_value(v, node, label) for v in value)
        if isinstance(value, dict) and all(isinstance(k, (str, int)) for k in value):
            keys = tuple(value)
            return DictValue(keys, tuple(self.python_value(value[k], node, label) for k in keys))
        return self.constant(value, node, label)

    def construct(self, kind_of, e):
        """``Layer(W, b)`` for a named tuple or a dataclass: a value of that
        class made of the arguments (None for other classes)."""
        named = pytree.is_named_tuple_type(kind_of)
        if not named and not dataclasses.is_dataclass(kind_of):
            return None
        if not named and (
            hasattr(kind_of, "__post_init__")
            or not all(f.init for f in dataclasses.fields(kind_of))
        ):
            self.fail(
                e,
                f"{kind_of.__name__}() runs code of its own (__post_init__, fields without init)",
                "pass the object in as an argument, or build it outside the function",
            )
        positional, keywords = self.call_arguments(e)
        label = kind_of.__name__
        env = self._bound_arguments(inspect.signature(kind_of), positional, keywords, label, e)
        if named:
            return named_value_type(kind_of)(env[name] for name in kind_of._fields)
        keys = pytree.mapping_keys(env)
        return ObjectValue(kind_of, keys, tuple(env[k] for k in keys))

    # -- attributes of objects ------------------------------------------------------
    def attribute_value(self, base, node):
        """``base.name`` for an object, a named tuple or a static value: a
        field, a property (its getter inlined), a method (``BoundMethod``)."""
        name = node.attr
        if isinstance(base, StaticValue):
            if not hasattr(base.value, name):
                self.fail(
                    node, f"{structure(base)} has no attribute '{name}'", "check the spelling"
                )
            attribute = getattr(base.value, name)
            if isinstance(attribute, types.MethodType) and isinstance(
                attribute.__func__, types.FunctionType
            ):
                return BoundMethod(attribute.__func__, base)
            return self.static_attribute(base, attribute, node)  # frontend.names
        if isinstance(base, NamedValue):
            field = base.field(name, _MISSING)
            kind_of = base.named_type
        else:
            field = base.get(name, _MISSING)
            kind_of = base.type
        if field is not _MISSING:
            return field
        attribute = inspect.getattr_static(kind_of, name, _MISSING)
        if isinstance(attribute, staticmethod):
            return StaticValue(attribute.__func__)
        if isinstance(attribute, property) and attribute.fget is not None:
            call = ast.copy_location(ast.Call(func=node, args=[], keywords=[]), node)
            return self.call_helper(attribute.fget, call, base)
        if isinstance(attribute, types.FunctionType):
            return BoundMethod(attribute, base)
        if attribute is not _MISSING and not callable(attribute):
            return self.python_value(attribute, node, ast.unparse(node))
        self.fail(
            node,
            f"{structure(base)} has no field or method '{name}'",
            f"use one of its fields ({', '.join(map(str, _fields(base)))}) or its methods",
        )

    # -- conditions decided at specialisation ------------------------------------------
    def static_truth(self, value):
        """The truth of ``value`` where it is known now (None where it is
        computed when the code runs)."""
        if isinstance(value, Const):
            return bool(value.value)
        if isinstance(value, StaticValue):
            return bool(value.value)
        if isinstance(value, (FunctionValue, BoundMethod, ObjectValue)):
            return True
        if isinstance(value, DictValue):
            return bool(value.keys)
        if isinstance(value, tuple):
            return bool(value)
        return None

    def static_comparison(self, op, left, right, e):
        """``a is b``, ``a is not b``, and ``==``/``!=`` where a side is a
        static value (a string, None, a function): True or False now, or
        None where the comparison is computed when the code runs."""
        if isinstance(op, (ast.Is, ast.IsNot)):
            same = self._same_object(left, right, e)
            return same if isinstance(op, ast.Is) else not same
        if isinstance(op, (ast.Eq, ast.NotEq)):
            static = [v for v in (left, right) if isinstance(v, StaticValue)]
            if not static:
                return None
            if len(static) == 2:
                equal = left.value == right.value and type(left.value) is type(right.value)
                equal = equal or left.value is right.value
            elif all(is_atom(v) or isinstance(v, StaticValue) for v in (left, right)):
                other = right if static[0] is left else left
                if isinstance(other, Const):
                    equal = static[0].value == other.value
                elif isinstance(static[0].value, numbers.Number):
                    return None
                else:  # a string or a function is never equal to a number or an array
                    equal = False
            else:
                return None
            return bool(equal) if isinstance(op, ast.Eq) else not equal
        if isinstance(op, (ast.In, ast.NotIn)):
            found = self._static_membership(left, right, e)
            return found if found is None or isinstance(op, ast.In) else not found
        return None

    def _static_membership(self, left, right, e):
        """``t in (list, tuple)``, ``"W" in params``: decided where the value
        and the container's items are known now, else None."""
        if not isinstance(left, (StaticValue, Const)):
            return None
        if isinstance(right, DictValue):
            return any(left.value == key for key in right.keys)
        if isinstance(right, StaticValue) and isinstance(right.value, (tuple, list, dict, str)):
            return left.value in right.value
        items = right.values if isinstance(right, ListValue) else right
        if not isinstance(items, tuple):
            return None
        if not all(isinstance(item, (StaticValue, Const)) for item in items):
            return None
        found = False
        for item in items:
            if isinstance(item, Const) and isinstance(left, Const):
                equal = left.value == item.value
            else:
                equal = self.static_comparison(ast.Eq(), left, item, e)
            if equal is None:
                return None
            found = found or equal
        return found

    def _same_object(self, left, right, e) -> bool:
        for a, b in ((left, right), (right, left)):
            if isinstance(a, StaticValue):
                if isinstance(b, StaticValue):
                    return a.value is b.value
                if isinstance(b, Const):
                    return a.value is b.value
                return False  # a value of the code is never a static object
        if isinstance(left, (FunctionValue, BoundMethod)) or isinstance(
            right, (FunctionValue, BoundMethod)
        ):
            return left is right
        self.fail(
            e,
            f"`is` compares {structure(left)} with {structure(right)} here, which is "
            "not known when the code is generated",
            "use `is` with None, strings and functions; compare numbers with ==",
        )

    def static_builtin(self, func, e):
        """``isinstance(x, T)`` and ``callable(f)``, decided now (a ``Const``),
        ``type(x)`` (a ``StaticValue``), or None for other functions."""
        if func is callable:
            if len(e.args) != 1 or e.keywords:
                self.fail(e, "callable() takes one argument", "write callable(f)")
            value = self.expr(e.args[0])
            if isinstance(value, StaticValue):
                return Const(callable(value.value))
            return Const(isinstance(value, (FunctionValue, BoundMethod)))
        if func is type:  # type(x): the Python type, as a static value
            if len(e.args) != 1 or e.keywords:
                self.fail(e, "type() takes one argument here", "write type(x)")
            return StaticValue(self.python_type(self.expr(e.args[0]), e.args[0]))
        if func is not isinstance:
            return None
        if len(e.args) != 2 or e.keywords:
            self.fail(e, "isinstance() takes two arguments", "write isinstance(x, float)")
        value = self.expr(e.args[0])
        classes = self._classes(self.expr(e.args[1]), e.args[1])
        if isinstance(value, (Var, Const)) and all(c in (list, tuple, dict) for c in classes):
            return Const(False)  # a number or an array, whatever its kind, is no container
        kind_of = self.python_type(value, e.args[0])
        return Const(any(issubclass(kind_of, c) for c in classes))

    def _classes(self, value, node) -> tuple:
        if isinstance(value, StaticValue) and isinstance(value.value, type):
            return (value.value,)
        if isinstance(value, StaticValue) and isinstance(value.value, tuple):
            return tuple(c for item in value.value for c in self._classes(StaticValue(item), node))
        if isinstance(value, tuple):
            return tuple(c for item in value for c in self._classes(item, node))
        self.fail(node, f"{structure(value)} is not a class", "write isinstance(x, (list, tuple))")

    def python_type(self, value, node) -> type:
        """The Python type of ``value`` where the specialisation knows it:
        static values, containers, objects, constants, and numbers and
        arrays of known kind (an array for rank > 0; a 0-d array counts as a
        number)."""
        if isinstance(value, StaticValue):
            return type(value.value)
        if isinstance(value, NamedValue):
            return value.named_type
        if isinstance(value, ObjectValue):
            return value.type
        if isinstance(value, ListValue):
            return list
        if isinstance(value, DictValue):
            return dict
        if isinstance(value, tuple):
            return tuple
        if isinstance(value, (FunctionValue, BoundMethod)):
            return types.FunctionType
        if isinstance(value, Const):
            return type(value.value)
        kind = self.kind_of(value)  # arguments' leaves, and what is computed from them
        if kind is None:
            self.fail(
                node,
                f"the type of '{ast.unparse(node)}' is not known when the code is generated",
                "test the type of an argument (isinstance(x, np.ndarray)), not of a computed value",
            )
        if kind.rank:
            return np.ndarray
        return {"float": float, "int": int, "bool": bool}[kind.dtype]


class _Converted:
    """A default that is already a converted value (a nested function's)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


_MISSING = object()


def _signature(args, defaults: dict) -> inspect.Signature:
    """The ``inspect.Signature`` of a ``def``'s or ``lambda``'s parameters
    ``args``, with ``defaults`` (values, by name)."""
    P = inspect.Parameter
    params = []

    def add(arg, kind):
        default = _Converted(defaults[arg.arg]) if arg.arg in defaults else P.empty
        params.append(P(arg.arg, kind, default=default))

    for arg in args.posonlyargs:
        add(arg, P.POSITIONAL_ONLY)
    for arg in args.args:
        add(arg, P.POSITIONAL_OR_KEYWORD)
    if args.vararg is not None:
        params.append(P(args.vararg.arg, P.VAR_POSITIONAL))
    for arg in args.kwonlyargs:
        add(arg, P.KEYWORD_ONLY)
    if args.kwarg is not None:
        params.append(P(args.kwarg.arg, P.VAR_KEYWORD))
    return inspect.Signature(params)


def _call_method(obj):
    """The ``__call__`` function of an object of a Python class (None for
    functions, classes and objects of library types)."""
    if isinstance(obj, (type, types.FunctionType, types.MethodType, types.BuiltinFunctionType)):
        return None
    if hasattr(obj, "py_func") or hasattr(obj, "__wrapped__"):
        return None
    return _class_function(type(obj), "__call__")


def _class_function(kind_of, name):
    attribute = inspect.getattr_static(kind_of, name, None)
    return attribute if isinstance(attribute, types.FunctionType) else None


def _fields(base) -> tuple:
    return base.named_type._fields if isinstance(base, NamedValue) else base.keys
