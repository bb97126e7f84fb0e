"""Per-call cost of a gradient whose parameters are a pytree, against the
same gradient with flat arguments, in one process.

    python benchmarks/pytree_overhead.py [--repeat 101] [--number 500]

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

It prints the median (and best) time per call of each, the overhead in
microseconds of each entry over the compiled function, and pytree / flat
(the number the issue asks to be within 5%); then the same on a tiny MLP
(2 -> 3 -> 3 -> 1, batch of 4), where the arithmetic costs almost nothing and
the figures are the cost of the call path itself.  It asserts nothing.
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

# time Numba's build, not the plain one that answers while Numba compiles
os.environ.setdefault("SYMDIFF_JIT", "sync")

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


def problem(sizes=(10, 64, 64, 1), batch=100, seed=0):
    rng = np.random.default_rng(seed)
    shapes = list(zip(sizes[:-1], sizes[1:]))
    params = [(rng.normal(size=s) / np.sqrt(s[0]), rng.normal(size=s[1]) * 0.1) for s in shapes]
    X, y = rng.normal(size=(batch, sizes[0])), rng.normal(size=batch)
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


def compare(title, params, X, y, repeat, number):
    """Time the three calls on one problem; print and return the medians."""
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
    runs = timings(calls, repeat, number)
    medians = {name: statistics.median(times) for name, times in runs.items()}
    print(f"{title}: median (and best) of {repeat} runs of {number} calls")
    base = medians["compiled function"]
    for name, median in medians.items():
        print(
            f"  {name:<24} {median * 1e6:8.2f} us ({min(runs[name]) * 1e6:8.2f})"
            f"   {(median - base) * 1e6:+6.2f} us over the compiled function"
        )
    ratio = medians["pytree grad, as called"] / medians["flat grad, as called"]
    print(f"  pytree / flat: {ratio:.3f}  ({(ratio - 1) * 100:+.1f}%)")
    return medians


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=101)
    parser.add_argument("--number", type=int, default=500)
    options = parser.parse_args(argv)
    print(f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}")
    results = {
        "mlp": compare(
            "MLP 10 -> 64 -> 64 -> 1, ReLU, batch of 100, gradient w.r.t. 6 parameters",
            *problem(),
            options.repeat,
            options.number,
        ),
        # The same call path on a problem whose arithmetic costs almost
        # nothing: what the entry itself costs, with less noise.
        "tiny": compare(
            "the same at 2 -> 3 -> 3 -> 1, batch of 4 (the cost of the call path)",
            *problem((2, 3, 3, 1), 4),
            options.repeat,
            options.number * 4,
        ),
    }
    return results


if __name__ == "__main__":
    main()
