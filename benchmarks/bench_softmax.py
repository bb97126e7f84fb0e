"""Per-call gradient time of softmax cross-entropy with integer labels:
symdiff vs hand-written NumPy (and ``jax.jit(jax.grad)`` when installed), in one run.

    python benchmarks/bench_softmax.py [--repeat 7]

A linear classifier ``X @ W`` on 10,000 x 100 inputs with 10 classes; the
loss picks each row's log-probability at its label
(``logp[np.arange(n), labels]``), so its gradient scatters ``-1/n`` at the
labels.  Every gradient is checked against the hand-written one before it is
timed; times are the best of ``--repeat`` runs, of the wall clock and of the
process' CPU time (all threads), the steadier of the two on a loaded
machine.  BLAS and XLA run on one thread each (set before NumPy is
imported; the environment may override it), as in ``bench_gp.py``, so that
on a small shared machine the tools are compared and not their thread
pools.
"""

import os

# time Numba's build, not the plain one that answers while Numba compiles
os.environ.setdefault("SYMDIFF_JIT", "sync")

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import argparse  # noqa: E402  (after the thread settings)
import platform  # noqa: E402
import time  # noqa: E402
import timeit  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402
import scipy.special  # noqa: E402

from symdiff import grad  # noqa: E402

# -- the model, as a user writes it -------------------------------------------


def loss(W, X, labels):
    z = X @ W
    logp = z - scipy.special.logsumexp(z, axis=1, keepdims=True)
    return -np.mean(logp[np.arange(X.shape[0]), labels])


# -- its gradient written by hand with NumPy ----------------------------------


def grad_numpy(W, X, labels):
    z = X @ W
    z -= z.max(axis=1, keepdims=True)
    probs = np.exp(z)
    probs /= probs.sum(axis=1, keepdims=True)
    probs[np.arange(X.shape[0]), labels] -= 1.0
    return X.T @ probs / X.shape[0]


def best(fn, repeat, number=None):
    """Best time per call (seconds) over ``repeat`` runs, and the best CPU time
    of the process per call (all its threads: JAX computes in a thread of its
    own), which other programs on a shared machine disturb less."""
    timer = timeit.Timer(fn)
    if number is None:
        number, _ = timer.autorange()
    cpu = timeit.Timer(fn, timer=time.process_time)
    wall = min(timer.repeat(repeat=repeat, number=number)) / number
    return wall, min(cpu.repeat(repeat=repeat, number=number)) / number


def others(args):
    """Gradient functions of the other tools that are installed: name -> callable."""
    tools = {}
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return tools
    jax.config.update("jax_enable_x64", True)

    def jax_loss(W, X, labels):
        logp = jax.nn.log_softmax(X @ W, axis=1)
        return -jnp.mean(logp[jnp.arange(X.shape[0]), labels])

    jitted = jax.jit(jax.grad(jax_loss))
    device_args = [jnp.asarray(a) for a in args]

    def run_jax():
        out = jitted(*device_args)
        jax.block_until_ready(out)
        return out

    tools[f"jax {jax.__version__} jit(grad)"] = run_jax
    return tools


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args(argv)
    print(f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}")
    rng = np.random.default_rng(0)
    n, d, classes = 10_000, 100, 10
    X = rng.normal(size=(n, d))
    W = rng.normal(size=(d, classes)) * 0.1
    labels = rng.integers(0, classes, size=n)
    args = (W, X, labels)
    print(f"softmax cross-entropy, X: {n:,} x {d}, {classes} classes, gradient w.r.t. W")

    reference = grad_numpy(*args)
    g = grad(loss)
    np.testing.assert_allclose(g(*args), reference, rtol=1e-9, atol=1e-12)
    compiled = g.specialize(*args)
    rows = [
        ("hand-written NumPy gradient", lambda: grad_numpy(*args)),
        ("symdiff grad (Numba), as called", lambda: g(*args)),
        ("symdiff compiled function", lambda: compiled(*args)),
    ]
    for name, fn in others(args).items():
        np.testing.assert_allclose(np.asarray(fn()), reference, rtol=1e-7, atol=1e-9)
        rows.append((name, fn))
    times = {name: best(fn, options.repeat) for name, fn in rows}
    base, base_cpu = times["hand-written NumPy gradient"]
    print(f"  {'':<38} {'wall':>13}   {'':6}  {'process CPU':>13}")
    for name, (t, cpu) in times.items():
        print(
            f"  {name:<38} {t * 1e6:10.1f} us   {t / base:6.2f}x"
            f"  {cpu * 1e6:10.1f} us   {cpu / base_cpu:6.2f}x"
        )


if __name__ == "__main__":
    main()
