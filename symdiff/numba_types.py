"""Derivatives that ``@numba.njit`` code calls: the Numba type of the callables
``grad`` and friends return (``entry.entry_function``).

Numba types a global by its ``_numba_type_`` attribute.  The type given to
a derivative resolves each call inside Numba's typing: it specialises the
derivative for the argument types (``.specialize`` with example scalars of
those types) and calls that dispatcher, so the user's code needs no
``.specialize(...)`` and pays no Python call.  Only scalar arguments
(floats, ints, bools) are taken: a Numba array type does not say which axes
have one element, which the derivative's broadcasting depends on, so arrays
are refused with the hint to pass ``g.specialize(*example_arguments)``.

The type is attached when Numba is loaded (``attach``): at once if it is
imported already, else when symdiff imports it (``attach_pending``); this
module imports Numba only then.
"""

from __future__ import annotations

import itertools
import sys
import weakref

_PENDING: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # id -> entry
_FORMS = ("grad", "value_and_grad", "jacobian")
_CLASSES: list = []  # the Numba type class, once made
_NUMBERS = itertools.count(1)  # Numba interns types by name: one name per entry


def attach(entry) -> None:
    """Give ``entry`` its Numba type now if Numba is loaded, else when it is."""
    if "numba" in sys.modules:
        entry._numba_type_ = _type_class()(entry)
    else:
        _PENDING[id(entry)] = entry


def attach_pending() -> None:
    """Numba is loaded now: type the entries made before."""
    for key in list(_PENDING):
        entry = _PENDING.pop(key, None)
        if entry is not None:
            entry._numba_type_ = _type_class()(entry)


def _type_class():
    if not _CLASSES:
        _CLASSES.append(_make_type_class())
    return _CLASSES[0]


def _make_type_class():
    from numba.core import errors, types
    from numba.extending import models, register_model

    class Derivative(types.Callable, types.Dummy):
        """A symdiff derivative called from Numba code: one dispatcher per
        signature of scalar arguments."""

        def __init__(self, entry):
            self._entry = weakref.ref(entry)
            self._dispatchers: dict = {}  # argument types -> Numba dispatcher
            super().__init__(name=f"symdiff.{entry.__name__}#{next(_NUMBERS)}")

        def get_call_type(self, context, args, kws):
            entry = self._entry()
            if entry is None:
                return None
            args = tuple(types.unliteral(a) for a in args)
            dispatcher = self._dispatchers.get(args)
            if dispatcher is None:
                dispatcher = self._dispatchers[args] = _dispatcher_for(entry, args, kws, errors)
            template, pysig, folded, kws = dispatcher.get_call_template(args, kws)
            signature = template(context).apply(folded, kws)
            return signature.replace(pysig=pysig) if signature else None

        def get_call_signatures(self):
            return [], True

        def get_impl_key(self, sig):
            return self._dispatchers[tuple(sig.args)].get_overload(sig.args)

    register_model(Derivative)(models.OpaqueModel)
    return Derivative


def _example(numba_type, errors):
    """A Python value of the scalar ``numba_type`` (what ``specialize`` takes)."""
    import numpy as np
    from numba.core import types

    if isinstance(numba_type, types.Boolean):
        return True
    if isinstance(numba_type, types.Integer):
        return np.dtype(str(numba_type)).type(1)
    if isinstance(numba_type, types.Float):
        return 1.0 if numba_type.bitwidth == 64 else np.float32(1.0)
    raise errors.TypingError(
        f"symdiff derivatives take scalar arguments in Numba code, not {numba_type}: "
        "an array type does not say which axes have one element; call "
        "g.specialize(*example_arguments) and use the dispatcher it returns"
    )


def _dispatcher_for(entry, args: tuple, kws, errors):
    """The Numba dispatcher of ``entry`` for these scalar argument types."""
    spec = entry._spec
    if kws or spec.form not in _FORMS or spec.has_aux:
        raise errors.TypingError(
            f"symdiff's {spec.form}{' with has_aux' if spec.has_aux else ''} of "
            f"{spec.fn.__name__} is called from Numba code with positional scalars only, "
            "as grad, value_and_grad, jacfwd, jacrev and hessian without has_aux"
        )
    examples = tuple(_example(a, errors) for a in args)
    derivative = spec.derivative(*examples)
    if derivative.implicit or derivative.guards or derivative.prologue:
        raise errors.TypingError(
            f"the derivative of {spec.fn.__name__} reads free values (globals, closure "
            "variables) or draws random numbers: from Numba code, call "
            "g.specialize(*example_arguments), which takes them as arguments"
        )
    dispatcher = spec.specialize(*examples)
    if not hasattr(dispatcher, "get_call_template"):
        raise errors.TypingError(f"{entry.__name__} was made with jit=False")
    return dispatcher
