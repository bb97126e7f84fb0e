"""Per-call gradient time of a Gaussian process' negative log marginal
likelihood: symdiff vs hand-written NumPy (and JAX when installed), in one run.

    python benchmarks/bench_gp.py [--repeat 7] [--points 200]

An RBF kernel with a lengthscale, a signal variance and a noise variance
(log-parameters), a Cholesky factor and two triangular solves, on 200 points
in 3 dimensions; the gradient with respect to the three parameters.  Every
gradient is checked against the hand-written one before it is timed; times
are the best of ``--repeat`` runs.  BLAS and XLA run on one thread each
(set before NumPy is imported; the environment may override it), so that on
a small shared machine the tools are compared and not their thread pools.
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
import math  # noqa: E402
import platform  # noqa: E402
import timeit  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402
from scipy.linalg import cho_factor, cho_solve, solve_triangular  # noqa: E402

from symdiff import grad  # noqa: E402

# -- the model, as a user writes it -------------------------------------------


def squared_distances(X):
    sq = np.sum(X * X, axis=1)
    return sq.reshape(-1, 1) + sq.reshape(1, -1) - 2.0 * (X @ X.T)


def gp_nlml(log_lengthscale, log_variance, log_noise, X, y):
    n = X.shape[0]
    K = np.exp(log_variance) * np.exp(-0.5 * squared_distances(X) / np.exp(2.0 * log_lengthscale))
    K = K + np.exp(log_noise) * np.eye(n)
    L = np.linalg.cholesky(K)
    alpha = solve_triangular(L.T, solve_triangular(L, y, lower=True))
    log_det = 2.0 * np.sum(np.log(np.sum(L * np.eye(n), axis=1)))  # the diagonal of L
    return 0.5 * (y @ alpha) + 0.5 * log_det + 0.5 * n * math.log(2.0 * math.pi)


# -- the gradient written by hand with NumPy and SciPy ------------------------


def gp_nlml_grad_numpy(log_lengthscale, log_variance, log_noise, X, y):
    n = X.shape[0]
    scaled = squared_distances(X) / np.exp(2.0 * log_lengthscale)
    signal = np.exp(log_variance) * np.exp(-0.5 * scaled)
    noise = np.exp(log_noise)
    factor = cho_factor(signal + noise * np.eye(n), lower=True)
    alpha = cho_solve(factor, y)
    # d nlml / d K = (K^-1 - alpha alpha^T) / 2
    W = 0.5 * (cho_solve(factor, np.eye(n)) - np.outer(alpha, alpha))
    return np.sum(W * signal * scaled), np.sum(W * signal), noise * np.trace(W)


def best(fn, repeat, number=None):
    """Best time per call (seconds) over ``repeat`` runs."""
    timer = timeit.Timer(fn)
    if number is None:
        number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number


def jax_gradient(args):
    """``jax.jit(jax.grad(nlml))`` on the arguments, or None without JAX."""
    try:
        import jax
        import jax.numpy as jnp
        import jax.scipy.linalg as jsl
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def loss(log_lengthscale, log_variance, log_noise, X, y):
        n = X.shape[0]
        sq = jnp.sum(X * X, axis=1)
        d2 = sq[:, None] + sq[None, :] - 2.0 * (X @ X.T)
        K = jnp.exp(log_variance) * jnp.exp(-0.5 * d2 / jnp.exp(2.0 * log_lengthscale))
        L = jnp.linalg.cholesky(K + jnp.exp(log_noise) * jnp.eye(n))
        alpha = jsl.cho_solve((L, True), y)
        log_det = 2.0 * jnp.sum(jnp.log(jnp.diag(L)))
        return 0.5 * (y @ alpha) + 0.5 * log_det + 0.5 * n * math.log(2.0 * math.pi)

    jitted = jax.jit(jax.grad(loss, argnums=(0, 1, 2)))
    device_args = [jnp.asarray(a) for a in args]

    def run_jax():
        out = jitted(*device_args)
        jax.block_until_ready(out)
        return out

    return f"jax {jax.__version__} jit(grad)", run_jax


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--points", type=int, default=200)
    options = parser.parse_args(argv)
    print(f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}")
    rng = np.random.default_rng(0)
    X = rng.uniform(-3.0, 3.0, size=(options.points, 3))
    y = np.sin(X[:, 0]) + 0.5 * np.cos(2.0 * X[:, 1]) + 0.1 * rng.normal(size=options.points)
    args = (math.log(1.2), math.log(0.8), math.log(0.05), X, y)
    print(
        f"Gaussian-process negative log marginal likelihood, RBF kernel, {options.points} points "
        "in 3-d: gradient w.r.t. lengthscale, variance, noise (log-parameters)"
    )
    reference = gp_nlml_grad_numpy(*args)
    g = grad(gp_nlml, argnums=(0, 1, 2))
    np.testing.assert_allclose(g(*args), reference, rtol=1e-8)
    compiled = g.specialize(*args)
    rows = [
        ("hand-written NumPy/SciPy gradient", lambda: gp_nlml_grad_numpy(*args)),
        ("symdiff grad (Numba), as called", lambda: g(*args)),
        ("symdiff compiled function", lambda: compiled(*args)),
    ]
    jax_row = jax_gradient(args)
    if jax_row is not None:
        np.testing.assert_allclose([float(v) for v in jax_row[1]()], reference, rtol=1e-7)
        rows.append(jax_row)
    times = {name: best(fn, options.repeat) for name, fn in rows}
    base = times[rows[0][0]]
    for name, t in times.items():
        print(f"  {name:<38} {t * 1e6:10.1f} us   {t / base:6.2f}x")
    return times


if __name__ == "__main__":
    main()
