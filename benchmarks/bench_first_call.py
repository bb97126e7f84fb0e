"""Time to the first gradient, each in a fresh process, with a cold and a warm cache.

    python benchmarks/bench_first_call.py [--runs 3]

For the MLP of ``bench_arrays.py`` (10 -> 64 -> 64 -> 1, batch 100, gradient
w.r.t. its 6 parameters) and the softmax regression of ``bench_softmax.py``
(10,000 x 100 inputs, 10 classes) it prints, per case and cache state:

* ``background`` (``SYMDIFF_JIT=background``, the default): the time from
  ``grad(loss)`` to its first gradient (the plain NumPy build answers), and
  the time until calls run Numba's build (the process calls the gradient in
  a loop until they do);
* ``sync`` (``SYMDIFF_JIT=sync``): the first gradient when the call waits for
  Numba (its compile, or its cache load);
* ``jax.jit(jax.grad)`` of the same loss when JAX is installed (its trace and
  XLA compile; no disk cache).

cold = new, empty ``SYMDIFF_CACHE_DIR`` and ``NUMBA_CACHE_DIR``; warm = a new
process reusing the cache the cold run left.  Imports (NumPy, SciPy,
symdiff) are timed before the clock starts and printed on their own.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import scipy.special

# -- the models, as a user writes them (bench_arrays.py, bench_softmax.py) ----


def mlp_loss(W1, b1, W2, b2, W3, b3, X, y):
    h1 = np.maximum(X @ W1 + b1, 0.0)
    h2 = np.maximum(h1 @ W2 + b2, 0.0)
    out = h2 @ W3 + b3
    return np.mean((out[:, 0] - y) ** 2)


def softmax_loss(W, X, labels):
    z = X @ W
    logp = z - scipy.special.logsumexp(z, axis=1, keepdims=True)
    return -np.mean(logp[np.arange(X.shape[0]), labels])


def case(name: str):
    """(loss, argnums, arguments) of a case."""
    rng = np.random.default_rng(0)
    if name == "mlp":
        params = [
            rng.normal(size=(10, 64)) * 0.3, rng.normal(size=64) * 0.1,
            rng.normal(size=(64, 64)) * 0.2, rng.normal(size=64) * 0.1,
            rng.normal(size=(64, 1)) * 0.2, rng.normal(size=1) * 0.1,
        ]  # fmt: skip
        return (
            mlp_loss,
            tuple(range(6)),
            (*params, rng.normal(size=(100, 10)), rng.normal(size=100)),
        )
    X = rng.normal(size=(10_000, 100))
    return softmax_loss, 0, (rng.normal(size=(100, 10)) * 0.1, X, rng.integers(0, 10, 10_000))


def child(name: str, who: str) -> dict:
    """In a fresh process: the first gradient of case ``name`` by ``who``."""
    loss, argnums, args = case(name)
    if who == "jax":
        import jax

        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
        import jax.scipy.special

        def jax_mlp(W1, b1, W2, b2, W3, b3, X, y):
            h1 = jnp.maximum(X @ W1 + b1, 0.0)
            h2 = jnp.maximum(h1 @ W2 + b2, 0.0)
            return jnp.mean(((h2 @ W3 + b3)[:, 0] - y) ** 2)

        def jax_softmax(W, X, labels):
            z = X @ W
            logp = z - jax.scipy.special.logsumexp(z, axis=1, keepdims=True)
            return -jnp.mean(logp[jnp.arange(X.shape[0]), labels])

        start = time.perf_counter()
        g = jax.jit(jax.grad(jax_mlp if name == "mlp" else jax_softmax, argnums=argnums))
        jax.block_until_ready(g(*args))
        return {"first": time.perf_counter() - start}
    from symdiff import grad

    start = time.perf_counter()
    g = grad(loss, argnums=argnums)
    g(*args)
    first = time.perf_counter() - start
    if who == "sync":
        return {"first": first}
    (impl,) = g._impls.values()
    calls = 1
    while getattr(impl, "build", None) is not None:  # the plain build: call until it switches
        time.sleep(0.005)
        g(*args)
        calls += 1
        (impl,) = g._impls.values()
    return {"first": first, "switch": time.perf_counter() - start, "calls": calls}


def run_child(name: str, who: str, cache: Path) -> dict:
    env = dict(os.environ)
    env.update(
        SYMDIFF_CACHE_DIR=str(cache / "symdiff"),
        NUMBA_CACHE_DIR=str(cache / "numba"),
        SYMDIFF_JIT="sync" if who == "sync" else "background",
        SYMDIFF_QUIET="1",
        OPENBLAS_NUM_THREADS=env.get("OPENBLAS_NUM_THREADS", "1"),
    )
    code = (
        "import sys, time, json\n"
        "t0 = time.perf_counter()\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "import bench_first_call as b\n"
        "import symdiff\n"
        "imports = time.perf_counter() - t0\n"
        f"out = b.child({name!r}, {who!r})\n"
        "out['imports'] = imports\n"
        "print(json.dumps(out))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark subprocess failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per figure")
    options = parser.parse_args()
    try:
        import jax  # noqa: F401

        who_all = ("background", "sync", "jax")
    except ImportError:
        who_all = ("background", "sync")
    load = os.getloadavg()[0]
    print(f"first gradient, fresh processes, median of {options.runs} (load average {load:.2f})")
    print(f"{'case':<8} {'build':<11} {'cache':<5} {'imports':>8} {'first':>8} {'numba':>8}")
    with tempfile.TemporaryDirectory(prefix="symdiff-first-") as tmp:
        for name in ("mlp", "softmax"):
            for who in who_all:
                runs: dict = {"cold": [], "warm": []}
                for i in range(options.runs):
                    cache = Path(tmp) / f"{name}-{who}-{i}"
                    cache.mkdir()
                    for state in ("cold", "warm") if who != "jax" else ("cold",):
                        runs[state].append(run_child(name, who, cache))
                for state, results in runs.items():
                    if not results:
                        continue

                    def median(field, results=results):
                        values = [r[field] for r in results if field in r]
                        return f"{statistics.median(values):8.3f}" if values else f"{'':>8}"

                    label = "jax.jit" if who == "jax" else who
                    print(
                        f"{name:<8} {label:<11} {state:<5} {median('imports')} "
                        f"{median('first')} {median('switch')}"
                    )
    print("seconds; first = grad(loss) to its first gradient; numba = to the first call")
    print("that runs Numba's build (background: the plain NumPy build answers until then)")


if __name__ == "__main__":
    main()
