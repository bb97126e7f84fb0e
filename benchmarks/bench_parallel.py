"""grad(f, parallel=True) against the serial gradient, in one run.

    python benchmarks/bench_parallel.py [--rows N] [--repeat R]

Two gradients: the linear-regression MSE gradient at 10**6 rows x 10 (array
code: Numba's parallel backend runs its elementwise expressions across
cores; the matrix products are BLAS, whose own threads are left as set), and
a per-element loop, s += sin(x[i]) exp(-x[i]^2) over 10**6 elements (its
adjoint loop writes x_bar[i] only: prange).  Prints the median time of each
and the speed-up; the machine's load at the start says how many cores were
free.
"""

import argparse
import math
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("SYMDIFF_JIT", "sync")  # time the Numba build, not the first plain one
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numba  # noqa: E402
import numpy as np  # noqa: E402

import symdiff  # noqa: E402


def mse(w, X, y):
    r = X @ w - y
    return np.mean(r * r)


def per_element(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += math.sin(x[i]) * math.exp(-x[i] * x[i])
    return s


def median_ms(fn, args, repeat):
    fn(*args)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10**6)
    parser.add_argument("--repeat", type=int, default=30)
    options = parser.parse_args()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(options.rows, 10))
    y = rng.normal(size=options.rows)
    w = rng.normal(size=10)
    x = rng.normal(size=options.rows)
    print("grad(f, parallel=True) vs grad(f)")
    print(f"  {os.cpu_count()} CPUs, Numba threads {numba.config.NUMBA_NUM_THREADS}, "
          f"load average at start {os.getloadavg()[0]:.2f}")  # fmt: skip
    for name, fn, args in (
        (f"linear-regression MSE gradient, {options.rows:,} x 10", mse, (w, X, y)),
        (f"per-element loop, {options.rows:,} elements", per_element, (x,)),
    ):
        serial = symdiff.grad(fn)
        parallel = symdiff.grad(fn, parallel=True)
        np.testing.assert_allclose(parallel(*args), serial(*args), rtol=1e-10)
        t_serial = median_ms(serial, args, options.repeat)
        t_parallel = median_ms(parallel, args, options.repeat)
        print(f"  {name}: serial {t_serial:.3f} ms, parallel {t_parallel:.3f} ms, "
              f"speed-up {t_serial / t_parallel:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
