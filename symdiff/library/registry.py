"""The library's registry: definitions by name, ``refuse``, ``known``,
``stop_gradient`` and ``apply`` (conventions in ``symdiff.library``)."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass

from ..primitives.naming import OBJECT_PRIMITIVES


@dataclass(frozen=True, slots=True)
class Definition:
    """A function of the library and the names it is called by."""

    function: types.FunctionType
    names: tuple[str, ...]  # dotted: "numpy.var", "scipy.special.logsumexp", "scipy.stats.norm.pdf"
    methods: tuple[str, ...]  # array methods: "var" for x.var(...)


DEFINITIONS: list[Definition] = []
_METHODS: dict[str, Definition] = {}


def define(names: str, methods: str = ""):
    """Register the decorated function as the definition of ``names``
    (space-separated dotted names, resolved when the user's code is read,
    so SciPy is never imported by symdiff) and of the array ``methods``."""

    def register(function):
        definition = Definition(function, tuple(names.split()), tuple(methods.split()))
        DEFINITIONS.append(definition)
        for method in definition.methods:
            _METHODS[method] = definition
        return function

    return register


STATIC: dict[int, types.FunctionType] = {}


def static(function):
    """Mark ``function`` as run when the code is generated: a definition
    calls it on constants (ranks, strings, options) and gets a constant
    (``einsum``'s subscripts from the operands' ranks).  It raises
    ``Refusal(message, hint)`` for what it does not accept."""
    STATIC[id(function)] = function
    return function


def is_static(obj) -> bool:
    """Is ``obj`` a function ``static`` marked?"""
    return STATIC.get(id(obj)) is obj


def known(value) -> bool:
    """Inside a definition: is ``value`` known when the code is generated (a
    constant, a static value, a tuple of them)?  Read by the frontend; as
    plain Python every value is known."""
    return True


class Refusal(Exception):
    """Raised by ``refuse`` when a definition is run as plain Python."""


def refuse(message: str, hint: str):
    """Inside a definition: this use is not supported (read by the frontend,
    which reports ``message`` and ``hint`` at the user's call)."""
    raise Refusal(f"{message} ({hint})")


def stop_gradient(x):
    """``x``, but treated as a constant by every derivative: no tangent or
    adjoint flows through it.

    Examples
    --------
    >>> import numpy as np
    >>> from symdiff import grad, stop_gradient
    >>> def f(x):
    ...     return x * stop_gradient(x)
    >>> float(grad(f, jit=False)(3.0))
    3.0
    """
    return x


OBJECT_PRIMITIVES[id(stop_gradient)] = (stop_gradient, "stop_gradient")


def apply(primitive: str, *operands, **attrs):
    """Inside a definition: the primitive named ``primitive`` applied to
    ``operands``, with static parameters ``attrs`` (``ir.Attrs`` fields,
    constants when the code is generated): ``apply("transpose", a,
    axes=(1, 0, 2))``.  For primitives that users do not call by a NumPy
    name of their own (the definition of that name is the library's)."""
    raise TypeError("apply() is read by symdiff inside the library's definitions only")


def _resolve(dotted: str):
    """The object a dotted name names, if its module is loaded (else None).

    A module's attributes are read from its ``__dict__``: ``getattr`` on a
    package with a module ``__getattr__`` (SciPy) imports the submodule, and
    building the table would import most of SciPy (about 1 s) on the first
    gradient of any function."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:cut]))
        if module is not None:
            value = module
            for attr in parts[cut:]:
                if isinstance(value, types.ModuleType):
                    value = vars(value).get(attr)
                else:
                    value = getattr(value, attr, None)
                if value is None:
                    return None
            return value
    return None


_TABLE: dict = {}
_LOADED: list = [None]  # the modules the table was built with


def _table() -> dict:
    """id(object) -> (object, definition) for every name whose module is
    loaded; rebuilt when a module it names is first loaded (SciPy, later)."""
    roots = {name.rsplit(".", 1)[0] for d in DEFINITIONS for name in d.names}
    loaded = frozenset(root for root in roots if root in sys.modules)
    if _LOADED[0] != loaded or len(_TABLE) == 0:
        _TABLE.clear()
        for definition in DEFINITIONS:
            for name in definition.names:
                obj = _resolve(name)
                if obj is not None:
                    _TABLE[_identity(obj)] = (obj, definition)
        _LOADED[0] = loaded
    return _TABLE


def _identity(obj):
    """A key that is the same for every access of the same function: a bound
    method (``scipy.stats.norm.pdf``) is made anew at each access."""
    if isinstance(obj, types.MethodType):
        return (id(obj.__self__), id(obj.__func__))
    return id(obj)


def definition_for(obj) -> Definition | None:
    """The library's definition of the function ``obj``, or None."""
    found = _table().get(_identity(obj))
    if found is None:
        return None
    known = found[0]
    same = known is obj or (
        isinstance(obj, types.MethodType)
        and obj.__self__ is known.__self__
        and obj.__func__ is known.__func__
    )
    return found[1] if same else None


def method_definition(name: str) -> Definition | None:
    """The definition of the array method ``x.<name>(...)``, or None."""
    return _METHODS.get(name)


def names_of_definitions() -> list[str]:
    """The names users call the library's functions by (``np.var``...)."""
    spelled = []
    for definition in DEFINITIONS:
        for name in definition.names:
            spelled.append(name.replace("numpy.", "np.", 1))
    return spelled
