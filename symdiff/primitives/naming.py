"""How user code names primitives: Python objects and methods -> entries.

Resolving objects (not spellings) makes every import style work
(``np.sin``, ``from numpy import sin``, ``import math as m``).  The tables
here are built from the entries' ``names``; the few spellings that are not
one primitive (``np.mean`` is a sum over a size, ``np.square`` a product) are
the frontend's sugar, listed in ``SUGAR``.

* ``primitive_for(obj)``: functions of numbers (elementwise primitives),
  read as ``prim(*operands)``;
* ``array_function(obj)``: array functions (``np.sum``, ``np.reshape``,
  ``np.cumsum``...) and sugar, read by the frontend's ``call_numpy``;
* ``METHODS``: ``x.sum()``, ``x.cumsum(axis=0)``...
"""

from __future__ import annotations

import builtins as _builtins
import difflib
import math as _math
import sys
import types

import numpy as _numpy

from .registry import PRIMITIVES, Names, named
from .structural import REDUCTION

# Spellings the frontend rewrites into other primitives.
SUGAR: dict[str, Names] = {
    "mean": named(numpy="mean", methods="mean", options=REDUCTION),  # sum / size (or shape)
    "square": named(numpy="square", arguments=1),  # x * x
    "ravel": named(numpy="ravel", methods="ravel flatten", arguments=1),  # reshape(x, -1)
    "array": named(numpy="array", arguments=1),  # np.array([a, b]): stack
    "len": named(builtins="len", arguments=1),  # shape(x)[0]
    "shape_of": named(numpy="shape", arguments=1),  # x.shape: a tuple of shape reads
    "ndim": named(numpy="ndim", arguments=1),  # x.ndim: a constant
    "full": named(numpy="full", arguments=2),  # np.full(shape, v): v * ones(shape)
    "product": named(math="prod", arguments=1),  # math.prod(x.shape): a product of ints
}


def _of_numbers(name) -> bool:
    """Read as ``prim(*operands)``: elementwise, not making a new array (np.copy)."""
    entry = PRIMITIVES.get(name)
    return entry is not None and entry.elementwise and not entry.fresh


def _objects(names: Names):
    """The Python objects ``names`` names (``math.fabs``, ``np.abs``, ``abs``...)."""
    for module, attrs in ((_math, names.math), (_numpy, names.numpy), (_builtins, names.builtins)):
        yield from (getattr(module, attr) for attr in attrs)


def _tables():
    """Functions of numbers, array functions (both: id -> (object, name)) and methods."""
    of_numbers, of_arrays, methods = {}, {}, {}
    named_entries = [(prim, entry.names) for prim, entry in PRIMITIVES.items()]
    for name, names in named_entries + list(SUGAR.items()):
        table = of_numbers if _of_numbers(name) else of_arrays
        for obj in _objects(names):
            table[id(obj)] = (obj, name)
        methods.update((method, name) for method in names.methods)
    return of_numbers, of_arrays, methods


CALLABLES, ARRAY_FUNCTIONS, METHODS = _tables()
# Python objects of symdiff's own (``stop_gradient``) and users' rules
# (``custom_vjp``): id -> (object, primitive), filled in where they are made.
OBJECT_PRIMITIVES: dict[int, tuple] = {}
SCIPY_SPECIAL = {
    attr: prim for prim, entry in PRIMITIVES.items() for attr in entry.names.scipy
}  # SciPy's ufuncs, recognised without importing SciPy (the user's code has)


def primitive_for(obj) -> str | None:
    """The elementwise primitive a Python callable stands for, or None."""
    entry = CALLABLES.get(id(obj)) or OBJECT_PRIMITIVES.get(id(obj))
    if entry is not None and entry[0] is obj:
        return entry[1]
    special = sys.modules.get("scipy.special")
    name = getattr(obj, "__name__", None)
    if special is not None and name in SCIPY_SPECIAL and getattr(special, name, None) is obj:
        return SCIPY_SPECIAL[name]
    return None


def array_function(obj) -> str | None:
    """The array primitive (or ``SUGAR`` name) a NumPy function stands for, or None."""
    entry = ARRAY_FUNCTIONS.get(id(obj))
    return entry[1] if entry is not None and entry[0] is obj else None


def names_of(name) -> Names:
    """The ``Names`` of a primitive or of a ``SUGAR`` spelling."""
    return SUGAR[name] if name in SUGAR else PRIMITIVES[name].names


def call_arguments(name) -> int:
    """How many positional arguments a user call of ``name`` takes."""
    names = names_of(name)
    return names.arguments if names.arguments is not None else PRIMITIVES[name].arity


def _spelled(names: Names) -> list[str]:
    """Every way ``names`` names a function: ``np.sin``, ``math.sin``, ``abs``..."""
    return (
        [f"np.{n}" for n in names.numpy]
        + [f"math.{n}" for n in names.math]
        + list(names.builtins)
        + [f"scipy.special.{n}" for n in names.scipy]
        + [f"x.{n}()" for n in names.methods]
    )


def registry_names() -> set[str]:
    """Every way user code names a primitive or a ``SUGAR`` spelling
    (``symdiff.supported_functions`` adds the library's definitions)."""
    spelled = set()
    for name in list(PRIMITIVES) + list(SUGAR):
        spelled.update(_spelled(names_of(name)))
    return spelled


def close_matches(label: str, known: list[str]) -> list[str]:
    """The names in ``known`` close to the one a user called (``np.exp3`` ->
    ``np.exp``, ``np.exp2``), for error messages."""
    by_name: dict[str, list[str]] = {}
    for spelled in known:
        by_name.setdefault(spelled.removesuffix("()").rsplit(".", 1)[-1], []).append(spelled)
    wanted = label.rsplit(".", 1)[-1]
    found = difflib.get_close_matches(wanted, by_name, n=3, cutoff=0.7)
    module = label.rsplit(".", 1)[0] if "." in label else ""
    matches = [spelled for name in found for spelled in by_name[name]]
    # The module the user wrote first (np.* for np.exp3): fewer, closer names.
    matches.sort(key=lambda spelled: not spelled.startswith(module) if module else False)
    return matches[:4]


# Where NumPy's and SciPy's public functions live, for naming one as users do.
_PUBLIC_MODULES = (
    "numpy", "numpy.linalg", "numpy.fft", "numpy.random", "math", "scipy.special",
    "scipy.linalg", "scipy.stats", "scipy.signal", "scipy.optimize", "scipy.integrate",
    "scipy.interpolate", "scipy.spatial", "scipy.ndimage",
)  # fmt: skip


def public_name(obj) -> str | None:
    """The public dotted name of a NumPy/SciPy/math function (``np.linalg.inv``,
    not ``numpy.linalg._linalg.inv``; ``scipy.stats.norm.ppf`` for a method
    of a distribution object), or None."""
    owner, name = None, getattr(obj, "__name__", None)
    if isinstance(obj, types.MethodType):
        owner, obj = obj.__self__, obj
    for module_name in _PUBLIC_MODULES:
        module = sys.modules.get(module_name)
        if module is None or name is None:
            continue
        spelled = module_name.replace("numpy", "np", 1)
        if owner is None and getattr(module, name, None) is obj:
            return f"{spelled}.{name}"
        if owner is not None:
            for attr, value in vars(module).items():
                if value is owner and not attr.startswith("_"):
                    return f"{spelled}.{attr}.{name}"
    return None


def unknown_function_hint(label: str, known: list[str]) -> str:
    """The hint of an error for a function symdiff has no rule for
    (``known``: ``symdiff.supported_functions()``)."""
    matches = close_matches(label, known)
    near = f"did you mean {' or '.join(matches)}? " if matches else ""
    return (
        f"{near}symdiff.supported_functions() lists the NumPy, SciPy and math functions "
        "symdiff knows; functions of your own (def) are differentiated through, so "
        "write the computation with these, or give the function a rule of its own: "
        "@symdiff.elementwise(partials=...), @symdiff.custom_vjp with .defvjp(fwd, bwd), "
        "or @symdiff.custom_jvp with .defjvp(jvp) (README: Your own rules). Do not pass "
        "its value in as an argument: a value computed from a differentiated input gets "
        "no derivative, and the gradient would be wrong"
    )


def method_names() -> str:
    """The array methods symdiff knows, for error messages."""
    return ", ".join(METHODS)
