"""Core benchmark: symdiff's generated gradient vs a hand-written Numba gradient.

Run as ``python benchmarks/bench_core.py``.  For

    f(x, z) = exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)     at x=2.0, z=3.0

it prints

1. the per-call time from Python (timeit, best of 25 runs of 40k calls) of
   ``numba.njit(f)``, a hand-written ``@njit`` gradient, and symdiff's
   reverse- and forward-mode gradients through both the user-facing callable
   ``g(x, z)`` and the raw dispatcher ``g.specialize(x, z)``;
2. the per-call time inside Numba (an ``@njit`` loop calling each compiled
   function N times with a slightly varying x), where no Python call
   overhead is paid;
3. the time to the first gradient in fresh subprocesses, with an empty cache
   directory (cold) and with the cache left by the cold run (warm), compared
   with compiling the hand-written gradient.

All in-process caches (symdiff's generated modules and Numba's cache) go to a
temporary directory that is removed at the end.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

# time Numba's build, not the plain one that answers while Numba compiles
os.environ.setdefault("SYMDIFF_JIT", "sync")

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent

# Keep every cache this script writes out of the user's home directory.  Must
# happen before numba is imported (it reads NUMBA_CACHE_DIR at import time).
_TMP = tempfile.TemporaryDirectory(prefix="symdiff-bench-")
os.environ["SYMDIFF_CACHE_DIR"] = os.path.join(_TMP.name, "main", "symdiff")
os.environ["NUMBA_CACHE_DIR"] = os.path.join(_TMP.name, "main", "numba")
for _p in (str(ROOT), str(BENCH_DIR)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import llvmlite  # noqa: E402
import numba  # noqa: E402
import numpy as np  # noqa: E402
from functions import f, f_grad_hand  # noqa: E402
from numba import njit  # noqa: E402

import symdiff  # noqa: E402
from symdiff import grad  # noqa: E402

X, Z = 2.0, 3.0
# Many short runs, keeping the best, rather than a few long ones: on a shared
# machine a short run has a fair chance of not being disturbed, so the best of
# many short runs is a much more stable estimate of the undisturbed cost.
TIMEIT_REPEAT, TIMEIT_NUMBER = 25, 40_000
LOOP_REPEAT, LOOP_N = 60, 100_000
SUBPROCESS_RUNS = 3


# --------------------------------------------------------------------------
# helpers


def call_stmt(fn) -> tuple[str, dict]:
    """A timeit statement calling ``fn(2.0, 3.0)`` with no lambda in between."""
    return "fn(x, z)", {"fn": fn, "x": X, "z": Z}


def best_python_ns(stmts: dict[str, tuple[str, dict]]) -> dict[str, float]:
    """ns per execution of each statement: best of TIMEIT_REPEAT runs of
    TIMEIT_NUMBER.  The runs are interleaved (round-robin over the statements)
    so that a change in machine load affects every variant alike."""
    timers = {k: timeit.Timer(stmt, globals=env) for k, (stmt, env) in stmts.items()}
    best = dict.fromkeys(timers, float("inf"))
    for _ in range(TIMEIT_REPEAT):
        for k, timer in timers.items():
            best[k] = min(best[k], timer.timeit(TIMEIT_NUMBER))
    return {k: v / TIMEIT_NUMBER * 1e9 for k, v in best.items()}


def make_loop(fn, returns_pair: bool):
    """An @njit loop calling the compiled ``fn`` (closed over as a constant)
    n times at x = 2 + i*1e-9, so nothing can be constant-folded or hoisted."""
    if returns_pair:

        @njit(error_model="numpy")
        def loop(n, z):
            acc = 0.0
            for i in range(n):
                gx, gz = fn(2.0 + i * 1e-9, z)
                acc += gx + gz
            return acc

    else:

        @njit(error_model="numpy")
        def loop(n, z):
            acc = 0.0
            for i in range(n):
                acc += fn(2.0 + i * 1e-9, z)
            return acc

    return loop


def best_numba_ns(fns: dict[str, tuple[object, bool]]) -> tuple[dict, dict]:
    """ns per call inside Numba (best of LOOP_REPEAT loops of LOOP_N calls,
    interleaved across variants) and each loop's checksum."""
    loops = {k: make_loop(fn, pair) for k, (fn, pair) in fns.items()}
    sums = {k: loop(LOOP_N, Z) for k, loop in loops.items()}  # compile + checksum
    best = dict.fromkeys(loops, float("inf"))
    for _ in range(LOOP_REPEAT):
        for k, loop in loops.items():
            t0 = time.perf_counter()
            loop(LOOP_N, Z)
            best[k] = min(best[k], time.perf_counter() - t0)
    return {k: v / LOOP_N * 1e9 for k, v in best.items()}, sums


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# --------------------------------------------------------------------------
# time to first gradient (fresh subprocesses)

_PRELUDE = """
import json, sys, time
sys.path[:0] = [{root!r}, {bench!r}]
t0 = time.perf_counter()
import numba
t1 = time.perf_counter()
{imports}
t2 = time.perf_counter()
if {warmup}:
    # Pay Numba's one-off per-process initialisation (LLVM target, typing
    # context, ...) on a trivial function first, so what follows is the cost
    # attributable to this one gradient.
    @numba.njit
    def _warm_up(x):
        return x + 1.0

    _warm_up(1.0)
t3 = time.perf_counter()
"""

SYMDIFF_BODY = """
# The clock for the first gradient starts at t3; the phases below are exactly
# what grad(f, argnums=(0, 1))(2.0, 3.0) does, split in three.
g = grad(f, argnums=(0, 1))
g.derivative(2.0, 3.0)  # parse f + differentiate + optimise + codegen
t4 = time.perf_counter()
g.specialize(2.0, 3.0)  # write/import the generated module, wrap in njit
t5 = time.perf_counter()
result = g(2.0, 3.0)  # Numba compile (or cache load) + first call
t6 = time.perf_counter()
print(json.dumps({"import_numba": t1 - t0, "import_sympy": ts - t1, "import_rest": t2 - ts,
                  "numba_init": t3 - t2, "first": t6 - t3, "generate": t4 - t3,
                  "load": t5 - t4, "compile": t6 - t5, "result": list(result)}))
"""

HAND_BODY = """
result = f_grad_hand(2.0, 3.0)  # Numba compile (or cache load) + first call
t6 = time.perf_counter()
print(json.dumps({"import_numba": t1 - t0, "import_rest": t2 - t1, "numba_init": t3 - t2,
                  "first": t6 - t3, "result": list(result)}))
"""

SYMDIFF_IMPORTS = """
import sympy  # symdiff imports SymPy (for check_grad); timed on its own
ts = time.perf_counter()
import symdiff
from symdiff import grad
from functions import f
"""

HAND_IMPORTS = "from functions import f_grad_hand"


def child_code(who: str, warmup: bool) -> str:
    imports, body = (SYMDIFF_IMPORTS, SYMDIFF_BODY) if who == "sd" else (HAND_IMPORTS, HAND_BODY)
    prelude = _PRELUDE.format(root=str(ROOT), bench=str(BENCH_DIR), imports=imports, warmup=warmup)
    return prelude + body


def run_child(code: str, cache: Path) -> dict:
    env = dict(os.environ)
    env["SYMDIFF_CACHE_DIR"] = str(cache / "symdiff")
    env["NUMBA_CACHE_DIR"] = str(cache / "numba")
    env.pop("NUMBA_DISABLE_JIT", None)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=_TMP.name,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark subprocess failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def first_gradient_timings() -> dict[tuple, list[dict]]:
    """{(who, warmup, "cold" | "warm"): [one dict per run]}."""
    runs: dict[tuple, list[dict]] = {}
    for i in range(SUBPROCESS_RUNS):
        for warmup in (False, True):
            for who in ("sd", "hand"):
                code = child_code(who, warmup)
                cache = Path(_TMP.name) / f"{who}-{warmup}-{i}"
                cache.mkdir()  # new, empty cache directory for the cold run
                runs.setdefault((who, warmup, "cold"), []).append(run_child(code, cache))
                # a new process reusing the cache the cold run left behind
                runs.setdefault((who, warmup, "warm"), []).append(run_child(code, cache))
    return runs


# --------------------------------------------------------------------------


def main() -> None:
    wall0 = time.perf_counter()
    print("symdiff core benchmark")
    print("  f(x, z) = exp(x*z) + x*z/log(x) + sin(log(x))/(x*z)   at x=2.0, z=3.0")
    print(
        f"  python {platform.python_version()} ({platform.python_implementation()}), "
        f"numpy {np.__version__}, numba {numba.__version__}, llvmlite {llvmlite.__version__}, "
        f"symdiff {symdiff.__version__}"
    )
    print(f"  {platform.system()} {platform.machine()}, {cpu_name()}, {os.cpu_count()} CPUs")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    busy = "  (other processes are running: expect noisier timings)" if load > 0.5 else ""
    print(f"  load average at start: {load:.2f}{busy}")
    print()

    # ---- build every variant -------------------------------------------
    f_nb = njit(error_model="numpy")(f)
    hand = f_grad_hand  # @njit(error_model="numpy")
    hand_pyerr = njit(f_grad_hand.py_func)  # Numba's default error_model="python"
    g_rev = grad(f, argnums=(0, 1), mode="reverse")
    g_fwd = grad(f, argnums=(0, 1), mode="forward")
    spec_rev = g_rev.specialize(X, Z)
    spec_fwd = g_fwd.specialize(X, Z)

    # ---- correctness first ---------------------------------------------
    ref = np.array(hand(X, Z))
    h = 1e-6
    fd = np.array(
        [
            (f(X + h, Z) - f(X - h, Z)) / (2 * h),
            (f(X, Z + h) - f(X, Z - h)) / (2 * h),
        ]
    )
    assert np.allclose(ref, fd, rtol=1e-6), (ref, fd)
    assert np.isclose(f_nb(X, Z), f(X, Z))
    candidates = {
        "hand (error_model=python)": hand_pyerr(X, Z),
        "symdiff reverse g()": g_rev(X, Z),
        "symdiff reverse specialize()": spec_rev(X, Z),
        "symdiff forward g()": g_fwd(X, Z),
        "symdiff forward specialize()": spec_fwd(X, Z),
    }
    for name, value in candidates.items():
        assert np.allclose(np.array(value), ref, rtol=1e-12, atol=0.0), (name, value, ref)
    worst = max(float(np.max(np.abs(np.array(v) / ref - 1))) for v in candidates.values())
    print(f"gradient at (2, 3): df/dx = {ref[0]:.12g}, df/dz = {ref[1]:.12g}")
    print(
        f"all gradient variants agree (max relative deviation from hand-written {worst:.1e}; "
        f"central difference agrees to {float(np.max(np.abs(fd / ref - 1))):.1e})"
    )
    print()

    # ---- per-call timings ----------------------------------------------
    rows = [
        # label, python callable, numba-callable (or None), returns pair
        ("numba.njit(f)  [primal, no gradient]", f_nb, f_nb, False),
        ("hand-written @njit gradient  [baseline]", hand, hand, True),
        ("hand-written, njit default error_model", hand_pyerr, hand_pyerr, True),
        ("symdiff reverse  g(x, z)", g_rev, None, True),
        ("symdiff reverse  g.specialize(...)", spec_rev, spec_rev, True),
        ("symdiff forward  g(x, z)", g_fwd, None, True),
        ("symdiff forward  g.specialize(...)", spec_fwd, spec_fwd, True),
    ]
    base, primal_label = rows[1][0], rows[0][0]
    g_label, spec_label = rows[3][0], rows[4][0]

    # The floor of any call from Python into Numba, to see what the
    # user-facing entry adds on top of the compiled gradient (breakdown below).
    @njit
    def trivial(x, z):
        return x, z

    trivial(X, Z)
    pieces = {"floor": call_stmt(trivial)}
    py_ns = best_python_ns({label: call_stmt(fn) for label, fn, _, _ in rows} | pieces)
    nb_ns, sums = best_numba_ns({label: (fn, pair) for label, _, fn, pair in rows if fn})
    # the in-Numba loops over the gradients must all have summed the same numbers
    grad_sums = [v for k, v in sums.items() if k != primal_label]
    assert np.allclose(grad_sums, grad_sums[0], rtol=1e-9), grad_sums

    print(
        f"1-2. Per-call time.  From Python: timeit, best of {TIMEIT_REPEAT} x "
        f"{TIMEIT_NUMBER:,} calls.  In Numba: @njit loop of {LOOP_N:,} calls at "
        f"x = 2 + i*1e-9, best of {LOOP_REPEAT}.  Variants are timed interleaved."
    )
    print(
        "     Everything is compiled with error_model='numpy' (IEEE inf/nan, as symdiff "
        "compiles), except the row that says otherwise."
    )
    w = max(len(r[0]) for r in rows)
    header = (
        f"  {'variant':<{w}} | {'Python ns/call':>14} {'vs hand':>8} "
        f"| {'in-Numba ns/call':>16} {'vs hand':>8}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for label, *_ in rows:
        p = py_ns[label]
        line = f"  {label:<{w}} | {p:14.1f} {p / py_ns[base]:7.2f}x |"
        if label in nb_ns:
            n = nb_ns[label]
            line += f" {n:16.2f} {n / nb_ns[base]:7.2f}x"
        else:
            line += f" {'(same code as specialize)':>25}"
        print(line)
    print()

    spec_ns, g_ns = py_ns[spec_label], py_ns[g_label]
    print("   Where the time of a call from Python goes (reverse mode, ns per call).")
    rows_bd = [
        ("g.specialize(...)(x, z): the raw Numba dispatcher", spec_ns),
        ("  [of which the compiled gradient (in-Numba time)", nb_ns[spec_label]),
        ("  [Numba dispatcher floor (@njit fn returning its 2 args)", py_ns["floor"]),
        ("+ symdiff's entry function (type lookup, then the dispatcher)", g_ns - spec_ns),
        ("= g(x, z): symdiff's user-facing callable", g_ns),
    ]
    wb = max(len(r[0]) for r in rows_bd)
    for label, value in rows_bd:
        close = "]" if label.lstrip().startswith("[") else ""
        print(f"     {label:<{wb}} {value:7.1f}{close}")
    print()

    # ---- time to first gradient ----------------------------------------
    runs = first_gradient_timings()
    for run in runs.values():
        for r in run:
            assert np.allclose(r["result"], ref, rtol=1e-12), r

    print(
        f"3. Time to first gradient in a fresh subprocess, seconds: best (median) of "
        f"{SUBPROCESS_RUNS} runs."
    )
    print("   cold = new, empty SYMDIFF_CACHE_DIR and NUMBA_CACHE_DIR; warm = a new process")
    print("   reusing the cache the cold run left.  Imports are timed before the clock starts.")
    lw = 58

    def cell(key, field):
        vals = [r[field] for r in runs[key]]
        return f"{min(vals):.3f} ({statistics.median(vals):.3f})"

    def line(label, who, warmup, field):
        cold = cell((who, warmup, "cold"), field)
        warm = cell((who, warmup, "warm"), field)
        print(f"   {label:<{lw}} {cold:>15} {warm:>15}")

    print(f"   {'':<{lw}} {'cold':>15} {'warm':>15}")
    line("import numba", "sd", False, "import_numba")
    line("import sympy (symdiff loads it only to check)", "sd", False, "import_sympy")
    line("import symdiff itself (+ benchmarks/functions.py)", "sd", False, "import_rest")
    line("symdiff: grad(f, argnums=(0, 1))(2.0, 3.0)       TOTAL", "sd", False, "first")
    line("  parse + differentiate + optimise + codegen", "sd", False, "generate")
    line("  write/import generated module, wrap in njit", "sd", False, "load")
    line("  Numba compile (cold) or cache load (warm) + call", "sd", False, "compile")
    line("hand-written @njit gradient: first call", "hand", False, "first")
    print("   The same after paying Numba's one-off per-process start-up first:")
    line("  Numba start-up: compile a trivial @njit function", "sd", True, "numba_init")
    line("  symdiff: grad(f, argnums=(0, 1))(2.0, 3.0)     TOTAL", "sd", True, "first")
    line("    parse + differentiate + optimise + codegen", "sd", True, "generate")
    line("    Numba compile (cold) or cache load (warm) + call", "sd", True, "compile")
    line("  hand-written @njit gradient: first call", "hand", True, "first")
    print()
    print(f"total benchmark wall time: {time.perf_counter() - wall0:.1f} s")


if __name__ == "__main__":
    try:
        main()
    finally:
        _TMP.cleanup()
