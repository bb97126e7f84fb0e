"""Elementwise exp and log of float64 arrays: symdiff.vmath under Numba (what
generated code calls on arrays) vs NumPy and vs Numba's own ``np.exp``/``np.log``.

    python benchmarks/bench_vmath.py [--repeat 7]

Times are the best of ``--repeat`` runs, per call, at a few sizes; the
ratios are to NumPy.  Run it pinned to one core (``taskset -c 1``) on a
shared machine.  The largest error against NumPy, in ulp, is printed too.
"""

import argparse
import platform
import timeit

import numba
import numpy as np

from symdiff import vmath

vmath.register_numba()


@numba.njit(error_model="numpy")
def vmath_exp(x):
    return vmath.exp(x)


@numba.njit(error_model="numpy")
def vmath_log(x):
    return vmath.log(x)


@numba.njit(error_model="numpy")
def numba_exp(x):
    return np.exp(x)


@numba.njit(error_model="numpy")
def numba_log(x):
    return np.log(x)


def best(fn, x, repeat):
    timer = timeit.Timer(lambda: fn(x))
    number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number


def max_ulp(got, want):
    return float(np.max(np.abs(got - want) / np.spacing(np.abs(want))))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args(argv)
    print(f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}")
    rng = np.random.default_rng(0)
    cases = [
        ("exp", np.exp, vmath_exp, numba_exp, lambda n: rng.normal(size=n) * 5.0),
        ("log", np.log, vmath_log, numba_log, lambda n: np.exp(rng.normal(size=n) * 20.0)),
    ]
    print(f"  {'':14} {'NumPy':>10}   {'vmath (Numba)':>20}   {'Numba np.' + '*':>20}   ulp")
    for name, numpy_fn, ours, numbas, sample in cases:
        for n in (100, 1_000, 40_000, 100_000, 1_000_000):
            x = sample(n)
            base = best(numpy_fn, x, options.repeat)
            mine = best(ours, x, options.repeat)
            theirs = best(numbas, x, options.repeat)
            print(
                f"  {name} {n:>9,} {base * 1e6:8.1f} us  {mine * 1e6:9.1f} us {mine / base:5.2f}x"
                f"  {theirs * 1e6:9.1f} us {theirs / base:5.2f}x"
                f"   {max_ulp(ours(x), numpy_fn(x)):.1f}"
            )


if __name__ == "__main__":
    main()
