"""Users' own rules: functions symdiff does not look inside, with the
derivative the user gives (JAX's ``custom_vjp`` and ``custom_jvp``), and
elementwise functions given by their partial derivatives (``elementwise``).

The generated code calls the user's functions by name (the rule's function,
``fwd``/``bwd``, the JVP), so they must run on what the generated code
passes them: plain Python under ``jit=False``; under ``jit=True`` they are
compiled with ``numba.njit`` (a user's own ``@njit`` dispatcher is called as
it is), and a function Numba cannot compile is a ``SymDiffError`` that
suggests ``jit=False``.  Their arguments are numbers and arrays (ints are not
differentiated); what else they need (a table, a step size) they read from
their closure or globals (which Numba reads once, when it compiles them).  Their value is one number or array: by default
the operands broadcast together, as for an elementwise function; ``rank=0``
(a number) or ``rank=k`` declares another.  The primitives behind them are
in ``symdiff.primitives.custom``.

Modes: a ``custom_vjp`` rule serves reverse mode, and forward mode when its
value is a number (``rank=0``, or every argument a number: one call of
``bwd`` with cotangent 1); a
``custom_jvp`` rule serves forward mode, and reverse mode when its arguments
and value are numbers (one call of the JVP per argument).  Other uses are
refused at the user's call.  An ``elementwise`` rule serves both.
"""

from __future__ import annotations

import functools
import inspect

from ..primitives import custom


class Rule:
    """A function with a derivative rule of the user's (see the module docstring)."""

    form = ""  # "vjp", "jvp", "elementwise"

    def __init__(self, fun, rank=None, name=None, nondiff_argnums=()):
        if not callable(fun):
            raise TypeError(f"{type(self).__name__} needs a function, got {fun!r}")
        if rank is not None and (not isinstance(rank, int) or rank < 0):
            raise TypeError(f"rank must be None or an int >= 0, got {rank!r}")
        functools.update_wrapper(self, fun)
        self.fun, self.rank = fun, rank
        self.signature = inspect.signature(fun)
        self.nondiff = _argnums(nondiff_argnums, len(self.signature.parameters))
        self.name = custom.bind(fun, name or getattr(fun, "__name__", "rule"))
        self.prims: tuple = ()  # the primitives of a call (set once the rule is complete)

    def __call__(self, *args, **kwargs):
        return self.fun(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<symdiff.{type(self).__name__} {self.name}>"


class _CustomRule(Rule):
    """A rule given after the function (``defvjp``/``defjvp``); usable as
    ``@custom_vjp`` and as ``@custom_vjp(nondiff_argnums=(1,))``."""

    def __new__(cls, fun=None, nondiff_argnums=(), *, rank=None):
        if fun is None:
            return lambda f: cls(f, nondiff_argnums, rank=rank)
        return super().__new__(cls)

    def __init__(self, fun, nondiff_argnums=(), *, rank=None):
        super().__init__(fun, rank, nondiff_argnums=nondiff_argnums)


class custom_vjp(_CustomRule):  # noqa: N801  (JAX's name)
    """A function differentiated in reverse mode by the user's rule.

    ``f = custom_vjp(f)``, then ``f.defvjp(f_fwd, f_bwd)``: ``f_fwd(*args)``
    returns ``(value, residuals)`` (any tuple the bwd reads), and
    ``f_bwd(residuals, g)`` the tuple of cotangents, one per argument, each
    of its argument's shape (``None`` only for arguments that are not
    differentiated).  The generated code calls ``f_fwd`` in the forward sweep
    and ``f_bwd`` in the reverse one.  ``nondiff_argnums`` (JAX's): arguments
    (ints or constants) passed first to ``f_bwd``, which gives no cotangent
    for them: ``f_bwd(*nondiff_args, residuals, g)``.

    Examples
    --------
    >>> import numpy as np
    >>> import symdiff
    >>> @symdiff.custom_vjp
    ... def clipped(x):
    ...     return x
    >>> def clipped_fwd(x):
    ...     return x, ()
    >>> def clipped_bwd(residuals, g):
    ...     return (np.clip(g, -1.0, 1.0),)
    >>> clipped.defvjp(clipped_fwd, clipped_bwd)
    >>> def loss(x):
    ...     return 5.0 * clipped(x)
    >>> float(symdiff.grad(loss, jit=False)(2.0))
    1.0
    """

    form = "vjp"

    def defvjp(self, fwd, bwd):
        """Give the rule: ``fwd(*args) -> (value, residuals)``, ``bwd(residuals, g) -> cotangents``."""
        if not (callable(fwd) and callable(bwd)):
            raise TypeError("defvjp(fwd, bwd) takes two functions")
        fwd_name = custom.bind(fwd, _name(fwd, f"{self.name}_fwd"))
        bwd_name = custom.bind(bwd, _name(bwd, f"{self.name}_bwd"))
        self.prims = custom.register_vjp(
            self.name, self.__name__, fwd_name, bwd_name, self.rank, self.nondiff
        )


class custom_jvp(_CustomRule):  # noqa: N801  (JAX's name)
    """A function differentiated in forward mode by the user's rule.

    ``f = custom_jvp(f)``, then ``f.defjvp(f_jvp)`` (also as a decorator):
    ``f_jvp(primals, tangents)`` takes the tuples of the arguments and of
    their tangents and returns ``(value, tangent)``.  The generated code
    calls ``f`` for the value and ``f_jvp`` for the tangent.
    ``nondiff_argnums`` (JAX's): arguments (ints or constants) passed first,
    and left out of the tuples: ``f_jvp(*nondiff_args, primals, tangents)``.

    Examples
    --------
    >>> import numpy as np
    >>> import symdiff
    >>> @symdiff.custom_jvp
    ... def log1pexp(x):
    ...     return np.log1p(np.exp(x))
    >>> @log1pexp.defjvp
    ... def log1pexp_jvp(primals, tangents):
    ...     (x,), (dx,) = primals, tangents
    ...     return log1pexp(x), dx / (1.0 + np.exp(-x))
    >>> float(symdiff.grad(lambda x: log1pexp(x), mode="forward", jit=False)(800.0))
    1.0
    """

    form = "jvp"

    def defjvp(self, jvp):
        """Give the rule ``jvp(primals, tangents) -> (value, tangent)``; returns ``jvp``."""
        if not callable(jvp):
            raise TypeError("defjvp(jvp) takes a function")
        jvp_name = custom.bind(jvp, _name(jvp, f"{self.name}_jvp"))
        call = custom.register_jvp(
            self.name, self.__name__, self.name, jvp_name, self.rank, self.nondiff
        )
        self.prims = (call,)
        return jvp


class _Elementwise(Rule):
    form = "elementwise"

    def __init__(self, fun, partials, name=None):
        if not callable(partials):
            raise TypeError("elementwise(fun, partials=...) needs partials, a function")
        super().__init__(fun, name=name)
        self.partials = partials
        self.prims = (custom.register_elementwise(self.name, self.name),)


def elementwise(fun=None, *, partials, name=None):
    """An elementwise function given by its partial derivatives, as the
    built-in registry's rows are: ``partials(*args, ans)`` returns one
    expression per argument (``None`` where it is zero), written with NumPy
    or ``math`` as the function is, and reading ``ans``, the value.  symdiff
    calls ``fun`` by name for the value and reads ``partials`` to derive
    both modes (broadcast arguments get their adjoints summed back).

    Examples
    --------
    >>> import numpy as np
    >>> import symdiff
    >>> @symdiff.elementwise(partials=lambda x, ans: (1.0 / (1.0 + np.exp(-x)),))
    ... def softplus(x):
    ...     return np.logaddexp(0.0, x)
    >>> float(symdiff.grad(lambda x: softplus(x), jit=False)(800.0))
    1.0
    """
    if fun is None:
        return lambda f: _Elementwise(f, partials, name)
    return _Elementwise(fun, partials, name)


def _argnums(argnums, count: int) -> tuple:
    """``nondiff_argnums`` checked against the ``count`` parameters, sorted."""
    argnums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    if not all(isinstance(i, int) and -count <= i < count for i in argnums):
        raise TypeError(f"nondiff_argnums must be positions of the {count} parameters")
    return tuple(sorted({i % count for i in argnums}))


def _name(function, default: str) -> str:
    name = getattr(function, "__name__", "")
    return name if name.isidentifier() else default
