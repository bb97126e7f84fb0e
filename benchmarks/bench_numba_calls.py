"""symdiff's gradients called as Numba functions, against a hand-written Numba gradient.

    python benchmarks/bench_numba_calls.py

For the lecture function ``f(x, z)`` (``functions.py``) it prints the time
per call of ``grad(f, argnums=(0, 1))`` and of the hand-written ``@njit``
gradient ``f_grad_hand``

* from Python (``g(2.0, 3.0)``: symdiff's entry, then Numba's dispatcher);
* inside ``@njit`` code that calls ``g`` itself, without ``.specialize``
  (a loop of 10**6 calls with a varying ``x``; the gradient is typed and
  compiled in Numba's typing of the loop);

and the ratios symdiff / hand-written.  For a small array function
(``sum(w * x) ** 2`` over 8 elements) it prints the call from Python, and
inside ``@njit`` through ``.specialize`` (a derivative of arrays called from
Numba code without it is refused: Numba's array types do not say which axes
have one element).  Times are the best of many short runs.
"""

import os
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# time Numba's build, not the plain one that answers while Numba compiles
os.environ.setdefault("SYMDIFF_JIT", "sync")

import numba  # noqa: E402
import numpy as np  # noqa: E402
from functions import f, f_grad_hand  # noqa: E402

from symdiff import grad  # noqa: E402

N = 10**6


def best(stmt, namespace, number, repeat=25):
    return min(timeit.Timer(stmt, globals=namespace).repeat(repeat, number)) / number


def small(w, x):
    return np.sum(w * x) ** 2


@numba.njit(error_model="numpy")
def small_grad_hand(w, x):
    s = np.sum(w * x)
    return 2.0 * s * x


def loop_of(gradient):
    """An @njit loop calling ``gradient`` N times (a global of the loop)."""

    @numba.njit(error_model="numpy")
    def loop(x, z, n):
        total = 0.0
        for i in range(n):
            gx, gz = gradient(x + 1e-9 * i, z)
            total += gx + gz
        return total

    return loop


def array_loop_of(gradient):
    @numba.njit(error_model="numpy")
    def loop(w, x, n):
        total = 0.0
        for i in range(n):
            total += gradient(w, x)[0] + i * 1e-12
        return total

    return loop


def main() -> None:
    load = os.getloadavg()[0]
    print(f"symdiff gradients as Numba functions (load average {load:.2f})")
    g = grad(f, argnums=(0, 1))
    assert np.allclose(g(2.0, 3.0), f_grad_hand(2.0, 3.0), rtol=1e-14)
    space = {"g": g, "hand": f_grad_hand}
    ours = best("g(2.0, 3.0)", space, 20_000)
    hand = best("hand(2.0, 3.0)", space, 20_000)
    print(f"  f(x, z) from Python:  symdiff {ours * 1e9:6.0f} ns  hand {hand * 1e9:6.0f} ns  "
          f"ratio {ours / hand:.3f}")  # fmt: skip
    loops = {"symdiff": loop_of(g), "hand": loop_of(f_grad_hand)}
    results = {who: loop(2.0, 3.0, 10) for who, loop in loops.items()}  # compile both
    assert np.isclose(results["symdiff"], results["hand"], rtol=1e-12)
    inside = {
        who: best("loop(2.0, 3.0, n)", {"loop": lp, "n": N}, 1, 7) / N for who, lp in loops.items()
    }
    print(f"  f(x, z) inside @njit: symdiff {inside['symdiff'] * 1e9:6.2f} ns  hand "
          f"{inside['hand'] * 1e9:6.2f} ns  ratio {inside['symdiff'] / inside['hand']:.3f}")  # fmt: skip

    w, x = np.linspace(0.1, 0.8, 8), np.linspace(1.0, 2.0, 8)
    gs = grad(small)
    assert np.allclose(gs(w, x), small_grad_hand(w, x), rtol=1e-14)
    space = {"g": gs, "hand": small_grad_hand, "w": w, "x": x}
    ours = best("g(w, x)", space, 20_000)
    hand = best("hand(w, x)", space, 20_000)
    print(f"  small array function from Python: symdiff {ours * 1e9:6.0f} ns  hand "
          f"{hand * 1e9:6.0f} ns  ratio {ours / hand:.3f}")  # fmt: skip
    loops = {"symdiff": array_loop_of(gs.specialize(w, x)), "hand": array_loop_of(small_grad_hand)}
    for loop in loops.values():
        loop(w, x, 10)
    inside = {who: best("loop(w, x, n)", {"loop": lp, "w": w, "x": x, "n": N // 10}, 1, 7) / (N // 10) for who, lp in loops.items()}  # fmt: skip
    print(f"  small array function inside @njit (.specialize): symdiff "
          f"{inside['symdiff'] * 1e9:6.1f} ns  hand {inside['hand'] * 1e9:6.1f} ns  "
          f"ratio {inside['symdiff'] / inside['hand']:.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
