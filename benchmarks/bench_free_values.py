"""Per-call cost of implicit inputs: globals read at each call vs the same values as arguments.

Run as ``python benchmarks/bench_free_values.py``.  It prints the time per
call (timeit, best of 5 runs) of Numba-compiled gradients of

* a least-squares loss reading ``X`` and ``Y`` from globals, against the
  same loss taking them as arguments (and the compiled code alone);
* a scalar function reading the global ``C``, against ``c`` as an argument.

The difference is the cost of reading the implicit inputs and checking
their kinds (``signature.read_implicit``) plus the wrapper that passes them.
"""

from __future__ import annotations

import os
import tempfile
import timeit

# time Numba's build, not the plain one that answers while Numba compiles
os.environ.setdefault("SYMDIFF_JIT", "sync")

import numpy as np

os.environ.setdefault("SYMDIFF_CACHE_DIR", tempfile.mkdtemp(prefix="symdiff-bench-"))

import symdiff  # noqa: E402  (after the cache directory is chosen)

X = np.random.RandomState(0).randn(100, 10)
Y = np.random.RandomState(1).randn(100)
C = 2.0


def with_globals(w):
    return np.mean((X @ w - Y) ** 2)


def with_arguments(w, X, Y):
    return np.mean((X @ w - Y) ** 2)


def scalar_global(x):
    return C * x * x


def scalar_argument(x, c):
    return c * x * x


def per_call(fn, number) -> float:
    """Microseconds per call, best of 5 runs."""
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def main():
    w = np.zeros(10)
    by_globals, by_arguments = symdiff.grad(with_globals), symdiff.grad(with_arguments)
    by_globals(w), by_arguments(w, X, Y)
    raw = by_arguments.specialize(w, X, Y)
    print(f"least squares, globals X, Y:   {per_call(lambda: by_globals(w), 20000):6.2f} us")
    print(
        f"least squares, arguments X, Y: {per_call(lambda: by_arguments(w, X, Y), 20000):6.2f} us"
    )
    print(f"least squares, compiled code:  {per_call(lambda: raw(w, X, Y), 20000):6.2f} us")
    scalar_g, scalar_a = symdiff.grad(scalar_global), symdiff.grad(scalar_argument)
    scalar_g(1.0), scalar_a(1.0, 2.0)
    print(f"scalar, global C:              {per_call(lambda: scalar_g(1.0), 200000):6.3f} us")
    print(f"scalar, argument c:            {per_call(lambda: scalar_a(1.0, 2.0), 200000):6.3f} us")


if __name__ == "__main__":
    main()
