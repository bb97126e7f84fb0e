"""Per-call cost of a gradient whose parameters are a pytree, against the
same gradient with flat arguments, in one process.

    python benchmarks/pytree_overhead.py [--repeat 31] [--number 2000]

The model is an MLP 10 -> 64 -> 64 -> 1 with ReLU on a batch of 100.  It is
written twice: ``loss(params, X, y)`` with ``params = [(W1, b1), (W2, b2),
(W3, b3)]``, and ``loss_flat(W1, b1, W2, b2, W3, b3, X, y)``.  Both are
differentiated with Numba (``jit=True``) with respect to the six parameters.
Timed, interleaved so that a change in machine load affects each alike:

- ``flat grad, as called``: ``grad(loss_flat, argnums=(0, ..., 5))(W1, ..., y)``;
- ``pytree grad, as called``: ``grad(loss)(params, X, y)``, returning
  ``[(gW1, gb1), (gW2, gb2), (gW3, gb3)]``;
- ``compiled function``: the Numba dispatcher both share the code of, called
  with the leaves (``.specialize``): what a call costs without the entry.

It prints the median time per call of each and the ratios (pytree / flat is
the number the issue asks to be within 5%), and the overhead in microseconds
of each entry over the compiled function.  It asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Keep the caches this script writes out of the user's home directory.  Must
# happen before numba is imported (it reads NUMBA_CACHE_DIR at import time).
_TMP = tempfile.TemporaryDirectory(prefix="symdiff-bench-")
os.environ.setdefault("SYMDIFF_CACHE_DIR", os.path.join(_TMP.name, "symdiff"))
os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(_TMP.name, "numba"))
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numba  # noqa: E402
import numpy as np  # noqa: E402

from symdiff import grad  # noqa: E402


def loss(params, X, y):
    (W1, b1), (W2, b2), (W3, b3) = params
    h1 = np.maximum(X @ W1 + b1, 0.0)
    h2 = np.maximum(h1 @ W2 + b2, 0.0)
    out = h2 @ W3 + b3
    return np.mean((out[:, 0] - y) ** 2)


def loss_flat(W1, b1, W2, b2, W3, b3, X, y):
    h1 = np.maximum(X @ W1 + b1, 0.0)
    h2 = np.maximum(h1 @ W2 + b2, 0.0)
    out = h2 @ W3 + b3
    return np.mean((out[:, 0] - y) ** 2)


def problem(seed=0):
    rng = np.random.default_rng(seed)
    sizes = [(10, 64), (64, 64), (64, 1)]
    params = [(rng.normal(size=s) / np.sqrt(s[0]), rng.normal(size=s[1]) * 0.1) for s in sizes]
    X, y = rng.normal(size=(100, 10)), rng.normal(size=100)
    return params, X, y


def timings(calls: dict, repeat: int, number: int) -> dict:
    """Seconds per call of each callable: the ``repeat`` runs of ``number``
    calls each, taken round-robin over the callables."""
    timers = {name: timeit.Timer(fn) for name, fn in calls.items()}
    runs = {name: [] for name in calls}
    for _ in range(repeat):
        for name, timer in timers.items():
            runs[name].append(timer.timeit(number) / number)
    return runs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=31)
    parser.add_argument("--number", type=int, default=2000)
    options = parser.parse_args(argv)
    print(f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}")
    params, X, y = problem()
    leaves = [a for layer in params for a in layer]
    pytree_grad = grad(loss)
    flat_grad = grad(loss_flat, argnums=tuple(range(6)))
    ours, flat = pytree_grad(params, X, y), flat_grad(*leaves, X, y)
    for got, want in zip([g for layer in ours for g in layer], flat):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    compiled = flat_grad.specialize(*leaves, X, y)
    calls = {
        "flat grad, as called": lambda: flat_grad(*leaves, X, y),
        "pytree grad, as called": lambda: pytree_grad(params, X, y),
        "compiled function": lambda: compiled(*leaves, X, y),
    }
    runs = timings(calls, options.repeat, options.number)
    medians = {name: statistics.median(times) for name, times in runs.items()}
    print(
        "MLP 10 -> 64 -> 64 -> 1, ReLU, batch of 100, gradient w.r.t. 6 parameters, "
        f"median of {options.repeat} runs of {options.number} calls"
    )
    base = medians["compiled function"]
    for name, median in medians.items():
        print(f"  {name:<24} {median * 1e6:8.2f} us   +{(median - base) * 1e6:5.2f} us over compiled")
    ratio = medians["pytree grad, as called"] / medians["flat grad, as called"]
    print(f"  pytree / flat: {ratio:.3f}  ({(ratio - 1) * 100:+.1f}%)")
    return medians


if __name__ == "__main__":
    main()
