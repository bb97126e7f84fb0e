"""``differentiate``: a function with its derivatives attached.

A layer above ``api`` and ``verify``: ``f.check(...)`` is ``check_grad``,
which itself calls ``api``.
"""

from __future__ import annotations

import functools

from .api import derivative_source, grad, jvp, value_and_grad, vjp
from .verify import check_grad


class Differentiated:
    """A function with its derivatives attached (made by ``differentiate``).

    Calling it calls the original function.  ``grad``, ``value_and_grad``,
    ``jvp``, ``vjp``, ``source`` and ``check`` work as the functions of the
    same names, with the options given to ``differentiate``.
    """

    def __init__(self, fn, argnums=0, mode="reverse", jit=True, has_aux=False):
        self.__symdiff_function__ = fn
        functools.update_wrapper(self, fn)
        self.argnums = argnums
        self.mode = mode
        self.jit = jit
        self.has_aux = has_aux
        self.grad = grad(fn, argnums, mode, jit, has_aux=has_aux)
        self.value_and_grad = value_and_grad(fn, argnums, mode, jit, has_aux=has_aux)

    def __call__(self, *args, **kwargs):
        return self.__symdiff_function__(*args, **kwargs)

    def jvp(self, primals, tangents):
        """``jvp(f, primals, tangents)``."""
        return jvp(self.__symdiff_function__, primals, tangents, jit=self.jit)

    def vjp(self, *primals):
        """``vjp(f, *primals)`` for the ``argnums`` of this function."""
        return vjp(self.__symdiff_function__, *primals, argnums=self.argnums, jit=self.jit)

    def source(self, *args, kind="grad", optimized=True) -> str:
        """The generated code for these arguments (reverse-mode gradient by default)."""
        return derivative_source(
            self.__symdiff_function__,
            *args,
            argnums=self.argnums,
            mode=self.mode,
            kind=kind,
            optimized=optimized,
            has_aux=self.has_aux,
        )

    def check(self, *args, **options):
        """``check_grad`` at these arguments: symdiff vs SymPy vs finite differences."""
        options.setdefault("argnums", self.argnums)
        options.setdefault("jit", self.jit)
        return check_grad(self.__symdiff_function__, *args, **options)

    def __repr__(self):
        return f"<symdiff.Differentiated {self.__name__} (argnums={self.argnums!r}, mode={self.mode!r})>"


def differentiate(fn=None, *, argnums=0, mode="reverse", jit=True, has_aux=False):
    """Decorator attaching derivatives to a function (``has_aux``: as in ``grad``).

    Examples
    --------
    >>> import math
    >>> @differentiate(argnums=(0, 1))
    ... def f(x, z):
    ...     return math.exp(x * z)
    >>> f.grad(1.0, 2.0)
    (14.7781121978613, 7.38905609893065)
    """
    if fn is None:
        return lambda f: Differentiated(f, argnums, mode, jit, has_aux)
    return Differentiated(fn, argnums, mode, jit, has_aux)
