"""Loops: symdiff's reverse-mode gradient of loop-written objectives vs a
hand-written Numba adjoint loop and the Numba-compiled function, in one run.

    python benchmarks/bench_loops.py [--n N] [--repeat R] [--number K] [--no-memory]
                                     [--show-source] [--only {flat,nested}]

Two objectives over x, n = 10**6 float64 (8 MB), written as loops:

    rosenbrock(x)      s += 100 (x[i+1] - x[i]**2)**2 + (1 - x[i])**2, i < n - 1
    sum_of_squares(x)  s += x[i] * x[i]

1. Correctness first.  The hand-written adjoints are checked against the
   closed-form gradient computed with vectorised NumPy; every symdiff variant
   (``grad``, ``grad(...).specialize``, ``value_and_grad`` and ``jit=False`` on
   a small slice) is checked against the hand-written adjoint with
   ``rtol=1e-12`` (and ``atol=1e-12 * max|gradient|``, for elements where
   the two summation orders cancel to near zero).
A nested-loop objective, the double-loop matrix-vector product
``matvec2(A, x)`` (``s += A[i, j] * x[j]``), is timed at n = 100, 400 and
800 against the Numba-compiled function and a hand-written ``@njit`` adjoint
(its reverse sweep writes the adjoints in place from an inner loop: nothing
may be copied per outer iteration, which would cost O(n^3)).

2. Time per call: for each variant, ``--repeat`` runs of ``--number``
   back-to-back calls on the same x after a warm-up, timed with
   ``time.perf_counter``; the median run is reported (and the fastest, to
   show the spread).  The runs are interleaved (round-robin over the
   variants) so a change in machine load affects every variant alike.  The
   variants are ``numba.njit(f)`` (the "cheap gradient principle" reference:
   a gradient should cost <= 2x the function), a hand-written ``@njit``
   adjoint loop (target: symdiff <= 1.3x it), symdiff's ``grad(f)`` called as
   users call it, the Numba dispatcher returned by
   ``grad(f).specialize(x)``, and ``value_and_grad(f)``.  A
   second table takes the gap apart into compile options and code shape:
   the hand-written adjoint compiled with the options symdiff compiled its
   gradient with (``error_model="numpy"``, and ``boundscheck=True`` unless
   symdiff proved every index in bounds), symdiff's generated source
   compiled with a plain ``njit()`` as the hand-written adjoint is, and
   ``np.zeros_like(x)`` alone (the allocation every gradient pays).
3. Peak extra memory of one gradient call.  tracemalloc cannot see arrays
   that Numba allocates, and the peak RSS of a whole process
   (``ru_maxrss``) is dominated by the compiler, so each variant runs in a
   fresh subprocess that allocates x, calls the variant twice (compile or
   cache load, warm-up) and drops the result, then resets the kernel's peak
   RSS counter (``echo 5 > /proc/self/clear_refs``, Linux), calls the variant
   once more keeping the result, and reports ``VmHWM - VmRSS`` (peak resident
   memory during the call minus the resident memory just before it) from
   ``/proc/self/status``.  The subprocess runs with a fixed
   ``MALLOC_MMAP_THRESHOLD_=65536``: each large block is then a fresh
   ``mmap`` whose pages count in RSS when touched and are returned on free,
   instead of being recycled from pages the warm-up left resident (which
   would hide them).  The function itself is the control (expected ~0) and
   the hand-written adjoint the reference (expected: its output, n floats).
   symdiff's expected extra memory is the output gradient (n floats) plus
   its tapes: the arrays named ``*_tape`` that the generated source
   allocates (one entry per iteration, so ~n floats each), listed with the
   measurement.  Kernel RSS counters are accurate to a few hundred KiB.

All caches (symdiff's generated modules, Numba's machine code) go to a
temporary directory that the subprocesses share and that is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# time Numba's build, not the plain one that answers while Numba compiles
os.environ.setdefault("SYMDIFF_JIT", "sync")

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent

# Keep every cache out of the user's home directory; the memory subprocesses
# import this module and inherit the parent's directory.  Must happen before
# numba is imported (it reads NUMBA_CACHE_DIR at import time).
_TMP = None
if "SYMDIFF_BENCH_LOOPS_TMP" not in os.environ:
    _TMP = tempfile.TemporaryDirectory(prefix="symdiff-bench-loops-")
    os.environ["SYMDIFF_BENCH_LOOPS_TMP"] = _TMP.name
    os.environ["SYMDIFF_CACHE_DIR"] = os.path.join(_TMP.name, "symdiff")
    os.environ["NUMBA_CACHE_DIR"] = os.path.join(_TMP.name, "numba")
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numba  # noqa: E402
import numpy as np  # noqa: E402
from numba import njit  # noqa: E402

import symdiff  # noqa: E402

MIB = 2**20
CHEAP_GRADIENT_TARGET = 2.0  # gradient / function
HAND_TARGET = 1.1  # symdiff / the best hand-written adjoint (issue 14)
VALUE_AND_GRAD_TARGET = 1.05  # value_and_grad / grad (issue 14)


# -- the objectives, as a user writes them ------------------------------------


def rosenbrock(x):
    s = 0.0
    for i in range(len(x) - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def sum_of_squares(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
    return s


# -- the same, compiled by Numba (cache=True: the memory subprocesses reload them)

rosenbrock_nb = njit(cache=True)(rosenbrock)
sum_of_squares_nb = njit(cache=True)(sum_of_squares)


# -- adjoints written by hand, one loop each ------------------------------------


@njit(cache=True)
def rosenbrock_grad_hand(x):
    # the element ahead first: in this order LLVM vectorises the loop (the other
    # order, g[i] first, runs about 1.7x slower)
    g = np.zeros_like(x)
    for i in range(len(x) - 1):
        xi = x[i]
        d = 200.0 * (x[i + 1] - xi * xi)  # d term_i / d x[i+1]
        g[i + 1] += d
        g[i] += -2.0 * (1.0 - xi) - 2.0 * xi * d
    return g


@njit(cache=True)
def sum_of_squares_grad_hand(x):
    g = np.zeros_like(x)
    for i in range(x.shape[0]):
        g[i] = 2.0 * x[i]
    return g


# -- closed forms in vectorised NumPy, to check the hand-written adjoints ------


def rosenbrock_grad_numpy(x):
    g = np.zeros_like(x)
    d = 200.0 * (x[1:] - x[:-1] ** 2)
    g[:-1] = -2.0 * (1.0 - x[:-1]) - 2.0 * x[:-1] * d
    g[1:] += d
    return g


def sum_of_squares_grad_numpy(x):
    return 2.0 * x


def matvec2(A, x):
    n = x.shape[0]
    s = 0.0
    for i in range(n):
        for j in range(n):
            s += A[i, j] * x[j]
    return s


matvec2_nb = njit(cache=True)(matvec2)


@njit(cache=True)
def matvec2_grad_hand(A, x):
    n = x.shape[0]
    A_bar = np.zeros_like(A)
    x_bar = np.zeros_like(x)
    for i in range(n):
        for j in range(n):
            A_bar[i, j] += x[j]
            x_bar[j] += A[i, j]
    return A_bar, x_bar


NESTED_SIZES = (100, 400, 800)


OBJECTIVES = {
    "rosenbrock": (rosenbrock, rosenbrock_nb, rosenbrock_grad_hand, rosenbrock_grad_numpy),
    "sum_of_squares": (
        sum_of_squares,
        sum_of_squares_nb,
        sum_of_squares_grad_hand,
        sum_of_squares_grad_numpy,
    ),
}


def make_input(n):
    return np.random.default_rng(0).uniform(-2.0, 2.0, size=n)


# -- timing ---------------------------------------------------------------------


def time_ms(fns, x, repeat, number):
    """ms per call of each fn(x): (median, min) of ``repeat`` runs of
    ``number`` calls, the runs interleaved round-robin over the variants."""
    for fn in fns.values():  # warm-up
        fn(x)
        fn(x)
    runs = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            for _ in range(number):
                fn(x)
            runs[k].append((time.perf_counter() - t0) / number)
    return {k: (statistics.median(v) * 1e3, min(v) * 1e3) for k, v in runs.items()}


def check_close(name, value, reference):
    atol = 1e-12 * float(np.max(np.abs(reference)))
    np.testing.assert_allclose(value, reference, rtol=1e-12, atol=atol, err_msg=name)
    return float(np.max(np.abs(value - reference)) / np.max(np.abs(reference)))


# -- peak extra memory, in fresh subprocesses -------------------------------------

MEMORY_VARIANTS = {
    "function": "numba.njit(f)",
    "hand": "hand-written adjoint",
    "grad": "symdiff grad(f)(x)",
    "value_and_grad": "symdiff value_and_grad(f)(x)",
}


def _status_kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def memory_child(objective, variant, n):
    """Run in a fresh subprocess: KiB of peak and retained RSS of one call."""
    import gc

    _, f_nb, hand, _ = OBJECTIVES[objective]
    f = OBJECTIVES[objective][0]
    fn = {
        "function": lambda: f_nb,
        "hand": lambda: hand,
        "grad": lambda: symdiff.grad(f),
        "value_and_grad": lambda: symdiff.value_and_grad(f),
    }[variant]()
    x = make_input(n)
    for _ in range(2):  # compile or load from the cache, warm up
        out = fn(x)
        del out
    gc.collect()
    before = _status_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as fh:  # reset VmHWM to the current RSS
        fh.write("5")
    out = fn(x)
    peak = _status_kib("VmHWM")
    after = _status_kib("VmRSS")
    del out
    return {"peak_kib": peak - before, "retained_kib": after - before}


def measure_memory(objective, variant, n):
    code = (
        "import json, sys\n"
        f"sys.path.insert(0, {str(BENCH_DIR)!r})\n"
        "import bench_loops\n"
        f"print(json.dumps(bench_loops.memory_child({objective!r}, {variant!r}, {n})))\n"
    )
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    if proc.returncode != 0:
        raise RuntimeError(f"memory subprocess failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def tapes(source):
    """The ``*_tape`` arrays a generated source allocates: [(name, allocation)]."""
    return re.findall(r"^\s*(\w+_tape) = (np\.\w+\(.*\))\s*$", source, flags=re.MULTILINE)


def allocations(source):
    return re.findall(
        r"^\s*(\w+) = (np\.(?:zeros|empty|ones|zeros_like|empty_like|ones_like)\(.*\))\s*$",
        source,
        flags=re.MULTILINE,
    )


# -- one objective ---------------------------------------------------------------


def run(name, n, repeat, number, memory, show_source):
    f, f_nb, hand, closed_form = OBJECTIVES[name]
    x = make_input(n)
    print(f"({name}) n = {n:,} float64 ({x.nbytes / MIB:.2f} MiB)")

    # ---- correctness first -------------------------------------------------
    reference = hand(x)
    check_close("hand-written adjoint vs closed form", reference, closed_form(x))
    g = symdiff.grad(f)
    spec = g.specialize(x)
    vg = symdiff.value_and_grad(f)
    # diagnostics: options vs code shape.  symdiff's own compile options:
    sd_options = {k: v for k, v in spec.targetoptions.items() if k != "nopython"}
    spec_plain = njit(spec.py_func)  # symdiff's source, compiled as the hand-written one
    hand_sdopts = njit(**sd_options)(hand.py_func)  # the hand-written one as symdiff compiles
    value, vg_grad = vg(x)
    np.testing.assert_allclose(value, f_nb(x), rtol=1e-12)
    worst = max(
        check_close(label, out, reference)
        for label, out in [
            ("symdiff grad", g(x)),
            ("symdiff specialize", spec(x)),
            ("symdiff value_and_grad", vg_grad),
            ("symdiff source under plain njit", spec_plain(x)),
            ("hand-written with symdiff's options", hand_sdopts(x)),
        ]
    )
    small = x[:2000]
    worst_py = check_close("symdiff jit=False", symdiff.grad(f, jit=False)(small), hand(small))
    print(
        f"  gradients agree: hand-written vs closed form; symdiff vs hand-written to "
        f"{max(worst, worst_py):.1e} (max abs difference / max |gradient|; "
        f"jit=False on the first {small.size:,} elements)"
    )

    # ---- time per call ------------------------------------------------------
    rows = {
        "numba.njit(f)  [function]": f_nb,
        "hand-written @njit adjoint": hand,
        "symdiff grad(f)(x)": g,
        "symdiff grad(f).specialize(x)": spec,
        "symdiff value_and_grad(f)(x)": vg,
    }
    diag = {
        "hand-written adjoint, compiled with symdiff's options": hand_sdopts,
        "symdiff's generated source, compiled with plain njit()": spec_plain,
        "np.zeros_like(x) alone (allocation floor)": njit(lambda a: np.zeros_like(a)),
    }
    times = time_ms(rows | diag, x, repeat, number)
    ms = {k: median for k, (median, _) in times.items()}
    base_f, base_h = ms["numba.njit(f)  [function]"], ms["hand-written @njit adjoint"]
    w = max(len(k) for k in rows | diag)
    header = (
        f"  {'variant':<{w}} | {'ms/call':>8} {'(min)':>7} | {'vs function':>11} | {'vs hand':>8}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for label in rows:
        t, best = times[label]
        print(f"  {label:<{w}} | {t:8.3f} {best:7.3f} | {t / base_f:10.2f}x | {t / base_h:7.2f}x")
    options = ", ".join(f"{k}={v!r}" for k, v in sorted(sd_options.items()))
    print(f"  where the time goes (same runs; symdiff compiled with njit({options})):")
    for label in diag:
        t, best = times[label]
        print(f"  {label:<{w}} | {t:8.3f} {best:7.3f} | {t / base_f:10.2f}x | {t / base_h:7.2f}x")

    def verdict(ratio, target):
        return f"{ratio:.2f}x <= {target}x: {'met' if ratio <= target else 'NOT met'}"

    print("  targets:")
    for label in ("symdiff grad(f)(x)", "symdiff grad(f).specialize(x)"):
        t = ms[label]
        print(
            f"    {label}: cheap gradient, vs function  "
            f"{verdict(t / base_f, CHEAP_GRADIENT_TARGET)}"
        )
        print(f"    {label}: vs hand-written adjoint      {verdict(t / base_h, HAND_TARGET)}")
    ratio = ms["symdiff value_and_grad(f)(x)"] / ms["symdiff grad(f)(x)"]
    print(
        f"    value_and_grad(f) vs grad(f)                 {verdict(ratio, VALUE_AND_GRAD_TARGET)}"
    )

    # ---- memory ---------------------------------------------------------------
    source = symdiff.derivative_source(f, x)
    found = tapes(source)
    listed = ", ".join(f"{a} = {b}" for a, b in allocations(source)) or "none"
    if show_source:
        print("  " + "\n  ".join(source.strip().splitlines()))
    print(f"  arrays allocated by the generated gradient: {listed}")
    if found:
        print(f"  tapes: {len(found)} ({', '.join(t for t, _ in found)}), ~n floats each")
    else:
        print("  tapes: none (no value carried by the loop is needed by the backward sweep)")
    if not memory:
        print()
        return
    expected = (1 + len(found)) * x.nbytes
    print(
        f"  peak extra memory of one call (fresh subprocess, VmHWM - VmRSS; expected for "
        f"symdiff: output + tapes = {expected / MIB:.2f} MiB):"
    )
    for variant, label in MEMORY_VARIANTS.items():
        m = measure_memory(name, variant, n)
        peak = m["peak_kib"] * 1024
        print(
            f"    {label:<30} peak {peak / MIB:7.2f} MiB = {peak / x.nbytes:5.2f}x input, "
            f"retained after the call {m['retained_kib'] / 1024:6.2f} MiB"
        )
    print()


def run_nested(repeat, number):
    """The double-loop matrix-vector product: gradient / function at each size."""
    g = symdiff.grad(matvec2, argnums=(0, 1))
    print("(matvec2) nested loops, s += A[i, j] * x[j]: gradient with respect to A and x")
    header = (
        f"  {'n':>5} | {'function ms':>11} | {'hand ms':>8} | {'symdiff ms':>10} | "
        f"{'symdiff / function':>18} | {'symdiff / hand':>14}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for n in NESTED_SIZES:
        rng = np.random.default_rng(n)
        A, x = rng.normal(size=(n, n)), rng.normal(size=n)
        reference = matvec2_grad_hand(A, x)
        check_close("hand-written adjoint of A vs closed form", reference[0], np.tile(x, (n, 1)))
        check_close("hand-written adjoint of x vs closed form", reference[1], A.sum(axis=0))
        for got, want in zip(g(A, x), reference):
            check_close("symdiff matvec2 gradient", got, want)
        fns = {
            "function": lambda args: matvec2_nb(*args),
            "hand": lambda args: matvec2_grad_hand(*args),
            "symdiff": lambda args: g(*args),
        }
        ms = {k: t for k, (t, _) in time_ms(fns, (A, x), repeat, number).items()}
        print(
            f"  {n:>5} | {ms['function']:11.3f} | {ms['hand']:8.3f} | {ms['symdiff']:10.3f} | "
            f"{ms['symdiff'] / ms['function']:17.2f}x | {ms['symdiff'] / ms['hand']:13.2f}x"
        )
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**6)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--number", type=int, default=20)
    parser.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    parser.add_argument("--show-source", action="store_true", help="print symdiff's gradients")
    parser.add_argument(
        "--only", choices=("flat", "nested"), help="run only the flat or the nested objectives"
    )
    options = parser.parse_args(argv)
    memory = not options.no_memory
    if memory and not os.access("/proc/self/clear_refs", os.W_OK):
        print("(memory not measured: /proc/self/clear_refs is not writable, Linux only)")
        memory = False
    wall0 = time.perf_counter()
    print("symdiff loop benchmark")
    print(
        f"  python {platform.python_version()}, numpy {np.__version__}, "
        f"numba {numba.__version__}, symdiff {symdiff.__version__}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    busy = "  (other processes are running: expect noisier timings)" if load > 0.5 else ""
    print(f"  load average at start: {load:.2f}{busy}")
    print(
        f"  time per call: median of {options.repeat} runs of {options.number} calls, "
        "after warm-up, interleaved; ratios are of medians; (min) is the fastest run"
    )
    print(
        f"  targets: gradient <= {CHEAP_GRADIENT_TARGET}x function (cheap gradient principle), "
        f"symdiff <= {HAND_TARGET}x hand-written adjoint"
    )
    print()
    if options.only != "nested":
        for name in OBJECTIVES:
            run(name, options.n, options.repeat, options.number, memory, options.show_source)
    if options.only != "flat":
        run_nested(options.repeat, max(1, options.number // 10))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(
        f"total benchmark wall time: {time.perf_counter() - wall0:.1f} s, load average {load:.2f}"
    )


if __name__ == "__main__":
    try:
        main()
    finally:
        if _TMP is not None:
            _TMP.cleanup()
