"""Per-call time of second derivatives, Jacobians and per-example gradients:
symdiff vs hand-written NumPy/Numba and ``jax.jit`` of JAX's equivalent (when
installed), in one run.

    python benchmarks/bench_higher_order.py [--repeat 5] [--quick]

Cases (issue 13):
* ``hessian`` and ``hvp`` of the vector Rosenbrock function, n = 100 and
  1,000, with the gradient's own time for the ratio hvp / gradient (the
  theory bound is 4); the hand-written Hessian is the tridiagonal formula;
* ``hessian`` and ``hvp`` of a two-layer MLP loss with respect to its first
  weight matrix (64 x 10 inputs, 8 hidden units);
* ``jacfwd`` of a 100 -> 100 function ``tanh(A @ x) * x``, against the
  hand-written Jacobian;
* per-example gradients of the MLP loss at batch 1,000: ``vmap(grad(loss))``
  single-core and with ``parallel=True``, against a Python loop of
  ``grad(loss)`` calls and ``jax.jit(jax.vmap(jax.grad(loss)))``.

Every result is checked against the reference before it is timed; times are
the best of ``--repeat`` runs.  BLAS and XLA run on one thread each (set
before NumPy is imported), except the parallel vmap, which uses Numba's
threads.
"""

import os

# time Numba's build, not the plain one that answers while Numba compiles
os.environ.setdefault("SYMDIFF_JIT", "sync")

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault(
    "XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
)

import argparse  # noqa: E402
import platform  # noqa: E402
import timeit  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402

from symdiff import grad, hessian, hvp, jacfwd, vmap  # noqa: E402

# -- the functions, as users write them -----------------------------------------


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def mlp_loss(W1, b1, w2, X, y):
    h = np.tanh(X @ W1 + b1)
    return np.mean((h @ w2 - y) ** 2)


def example_loss(W1, b1, w2, x, y):
    h = np.tanh(x @ W1 + b1)
    return (h @ w2 - y) ** 2


def field(x, A):
    return np.tanh(A @ x) * x


# -- hand-written references ------------------------------------------------------


def rosenbrock_hessian(x):
    n = x.size
    H = np.zeros((n, n))
    d = np.zeros(n)
    d[:-1] += 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    d[1:] += 200.0
    H[np.arange(n), np.arange(n)] = d
    off = -400.0 * x[:-1]
    H[np.arange(n - 1), np.arange(1, n)] = off
    H[np.arange(1, n), np.arange(n - 1)] = off
    return H


def field_jacobian(x, A):
    t = np.tanh(A @ x)
    return (1.0 - t**2)[:, None] * A * x[:, None] + np.diag(t)


@numba.njit(cache=False)
def per_example_loop(W1, b1, w2, X, y):
    """The per-example gradients with respect to W1, written by hand."""
    out = np.empty((X.shape[0],) + W1.shape)
    for i in range(X.shape[0]):
        h = np.tanh(X[i] @ W1 + b1)
        r = 2.0 * (h @ w2 - y[i])
        out[i] = np.outer(X[i], r * w2 * (1.0 - h**2))
    return out


def best(fn, repeat, number=None):
    """Best time per call (seconds) over ``repeat`` runs."""
    timer = timeit.Timer(fn)
    if number is None:
        number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number


def jax_versions():
    """JAX's equivalents, jitted, or {} without JAX."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return {}
    jax.config.update("jax_enable_x64", True)

    def j_rosen(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    def j_mlp(W1, b1, w2, X, y):
        return jnp.mean((jnp.tanh(X @ W1 + b1) @ w2 - y) ** 2)

    def j_example(W1, b1, w2, x, y):
        return (jnp.tanh(x @ W1 + b1) @ w2 - y) ** 2

    def j_field(x, A):
        return jnp.tanh(A @ x) * x

    def j_hvp(f):
        return lambda x, v, *rest: jax.jvp(lambda z: jax.grad(f)(z, *rest), (x,), (v,))[1]

    def ready(fn):
        def run(*args):
            return jax.block_until_ready(fn(*args))

        return run

    return {
        "rosen grad": ready(jax.jit(jax.grad(j_rosen))),
        "rosen hessian": ready(jax.jit(jax.hessian(j_rosen))),
        "rosen hvp": ready(jax.jit(j_hvp(j_rosen))),
        "mlp hessian": ready(jax.jit(jax.hessian(j_mlp))),
        "mlp hvp": ready(
            jax.jit(
                lambda W1, b1, w2, X, y, V: jax.jvp(
                    lambda W: jax.grad(j_mlp)(W, b1, w2, X, y), (W1,), (V,)
                )[1]
            )
        ),
        "mlp grad": ready(jax.jit(jax.grad(j_mlp))),
        "field jacfwd": ready(jax.jit(jax.jacfwd(j_field))),
        "per-example": ready(jax.jit(jax.vmap(jax.grad(j_example), (None, None, None, 0, 0)))),
    }


def report(title, rows, repeat, base):
    times = {name: best(fn, repeat) for name, fn in rows}
    print(title)
    for name, t in times.items():
        print(f"  {name:<44} {t * 1e6:11.1f} us   {t / times[base]:7.2f}x")
    return times


def rosenbrock_case(n, rng, jax, repeat):
    check = np.testing.assert_allclose
    x, v = rng.normal(size=n), rng.normal(size=n)
    g, H, Hv = grad(rosenbrock), hessian(rosenbrock), hvp(rosenbrock)
    reference = rosenbrock_hessian(x)
    check(H(x), reference, rtol=1e-10, atol=1e-8)
    check(Hv(x, v), reference @ v, rtol=1e-10, atol=1e-8)
    rows = [
        ("hand-written tridiagonal Hessian (NumPy)", lambda: rosenbrock_hessian(x)),
        ("symdiff hessian", lambda: H(x)),
        ("symdiff grad", lambda: g(x)),
        ("symdiff hvp", lambda: Hv(x, v)),
    ]
    if jax:
        check(np.asarray(jax["rosen hessian"](x)), reference, rtol=1e-10, atol=1e-8)
        rows += [
            ("jax jit(hessian)", lambda: jax["rosen hessian"](x)),
            ("jax jit(grad)", lambda: jax["rosen grad"](x)),
            ("jax jit(jvp of grad)", lambda: jax["rosen hvp"](x, v)),
        ]
    times = report(f"Rosenbrock, n = {n:,}", rows, repeat, "symdiff hessian")
    print(f"  hvp / grad (symdiff): {times['symdiff hvp'] / times['symdiff grad']:.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="n = 100 only, batch 200")
    options = parser.parse_args(argv)
    print(f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}")
    jax = jax_versions()
    rng = np.random.default_rng(0)
    check = np.testing.assert_allclose

    for n in (100,) if options.quick else (100, 1000):
        rosenbrock_case(n, rng, jax, options.repeat)

    W1, b1, w2 = rng.normal(size=(10, 8)) * 0.3, rng.normal(size=8), rng.normal(size=8)
    X, y = rng.normal(size=(64, 10)), rng.normal(size=64)
    V = rng.normal(size=W1.shape)
    H, Hv, g = hessian(mlp_loss), hvp(mlp_loss), grad(mlp_loss)
    reference = H(W1, b1, w2, X, y)
    check(np.tensordot(reference, V, 2), Hv(W1, b1, w2, X, y, V), rtol=1e-10, atol=1e-12)
    rows = [
        ("symdiff hessian (w.r.t. W1: 80 x 80)", lambda: H(W1, b1, w2, X, y)),
        ("symdiff grad", lambda: g(W1, b1, w2, X, y)),
        ("symdiff hvp", lambda: Hv(W1, b1, w2, X, y, V)),
    ]
    if jax:
        check(np.asarray(jax["mlp hessian"](W1, b1, w2, X, y)), reference, rtol=1e-9, atol=1e-12)
        rows += [
            ("jax jit(hessian)", lambda: jax["mlp hessian"](W1, b1, w2, X, y)),
            ("jax jit(grad)", lambda: jax["mlp grad"](W1, b1, w2, X, y)),
            ("jax jit(jvp of grad)", lambda: jax["mlp hvp"](W1, b1, w2, X, y, V)),
        ]
    times = report("MLP loss, 64 x 10 inputs, 8 hidden", rows, options.repeat, rows[0][0])
    print(f"  hvp / grad (symdiff): {times['symdiff hvp'] / times['symdiff grad']:.2f}")

    x, A = rng.normal(size=100), rng.normal(size=(100, 100)) * 0.1
    J = jacfwd(field)
    check(J(x, A), field_jacobian(x, A), rtol=1e-10, atol=1e-12)
    rows = [
        ("hand-written Jacobian (NumPy)", lambda: field_jacobian(x, A)),
        ("symdiff jacfwd", lambda: J(x, A)),
    ]
    if jax:
        rows.append(("jax jit(jacfwd)", lambda: jax["field jacfwd"](x, A)))
    report("jacfwd of tanh(A @ x) * x, 100 -> 100", rows, options.repeat, rows[0][0])

    batch = 200 if options.quick else 1000
    X, y = rng.normal(size=(batch, 10)), rng.normal(size=batch)
    axes = (None, None, None, 0, 0)
    single = vmap(grad(example_loss), in_axes=axes)
    parallel = vmap(grad(example_loss), in_axes=axes, parallel=True)
    g = grad(example_loss)
    reference = per_example_loop(W1, b1, w2, X, y)
    check(single(W1, b1, w2, X, y), reference, rtol=1e-10, atol=1e-12)
    check(parallel(W1, b1, w2, X, y), reference, rtol=1e-10, atol=1e-12)
    rows = [
        ("hand-written @njit loop", lambda: per_example_loop(W1, b1, w2, X, y)),
        ("symdiff vmap(grad)", lambda: single(W1, b1, w2, X, y)),
        (
            f"symdiff vmap(grad, parallel=True), {numba.get_num_threads()} threads",
            lambda: parallel(W1, b1, w2, X, y),
        ),
        (
            "Python loop of symdiff grad calls",
            lambda: [g(W1, b1, w2, X[i], y[i]) for i in range(batch)],
        ),
    ]
    if jax:
        rows.append(("jax jit(vmap(grad))", lambda: jax["per-example"](W1, b1, w2, X, y)))
    report(
        f"per-example gradients of the MLP loss, batch {batch:,}", rows, options.repeat, rows[0][0]
    )


if __name__ == "__main__":
    main()
