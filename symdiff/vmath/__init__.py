"""Elementwise math on arrays that Numba vectorises: ``vmath.exp``, ``vmath.log``.

Generated code calls these on arrays (``terms = vmath.exp(z - shift)``);
scalars keep ``math.exp``.  In plain Python (``jit=False``) each is NumPy's
own function, so the printed source is what runs either way.  Under Numba
(``jit=True``) each has an implementation of its own (``vmath.kernels``,
registered by ``register_numba`` before the backend compiles): Numba's
``np.exp`` of an array is a loop of scalar libm calls (llvmlite has no
vector math library), while these kernels are branch-free arithmetic that
LLVM turns into SIMD code, several times faster on large arrays.

Accuracy: within 2 ulp of NumPy's on float64 (the tests check it on random
and adversarial inputs over the whole range), with IEEE behaviour at the
edges: ``exp`` overflows to ``inf`` and underflows through the subnormals to
0, ``exp(-inf) == 0``; ``log(0) == -inf``, ``log`` of a negative number is
nan, ``log`` of a subnormal is exact to the same 2 ulp; nan gives nan.
float32 arrays are computed in float64 and rounded, so they stay float32.
"""

from __future__ import annotations

from .functions import FUNCTIONS, exp, log

__all__ = ["FUNCTIONS", "exp", "log", "register_numba"]


def register_numba() -> None:
    """Register the Numba implementations (imports Numba; done once)."""
    from . import kernels  # noqa: F401  (registers the overloads on import)
