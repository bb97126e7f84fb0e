"""Per-call gradient time on array models: symdiff vs hand-written NumPy
(and JAX, autograd, PyTorch when installed), in one run.

    python benchmarks/bench_arrays.py [--repeat 7]

(a) linear-regression MSE on 34,642 x 10 data; (b) an MLP 10 -> 64 -> 64 -> 1
with ReLU on a batch of 100.  Every gradient is checked against the
hand-written one before it is timed; times are the best of ``--repeat`` runs.
"""

import argparse
import os
import platform
import timeit

import numba
import numpy as np

from symdiff import grad

# time Numba's build, not the plain one that answers while Numba compiles
os.environ.setdefault("SYMDIFF_JIT", "sync")

# -- the models, as a user writes them ---------------------------------------


def mse_loss(weights, X, y):
    predictions = np.dot(X, weights)
    return np.mean((predictions - y) ** 2)


def mlp_loss(W1, b1, W2, b2, W3, b3, X, y):
    h1 = np.maximum(X @ W1 + b1, 0.0)
    h2 = np.maximum(h1 @ W2 + b2, 0.0)
    out = h2 @ W3 + b3
    return np.mean((out[:, 0] - y) ** 2)


# -- gradients written by hand with NumPy -----------------------------------


def mse_grad_numpy(weights, X, y):
    return 2.0 / X.shape[0] * (X.T @ (X @ weights - y))


def mlp_grad_numpy(W1, b1, W2, b2, W3, b3, X, y):
    z1 = X @ W1 + b1
    h1 = np.maximum(z1, 0.0)
    z2 = h1 @ W2 + b2
    h2 = np.maximum(z2, 0.0)
    out = h2 @ W3 + b3
    d_out = (2.0 / X.shape[0]) * (out - y[:, None])
    d_W3, d_b3 = h2.T @ d_out, d_out.sum(axis=0)
    d_z2 = (d_out @ W3.T) * (z2 > 0)
    d_W2, d_b2 = h1.T @ d_z2, d_z2.sum(axis=0)
    d_z1 = (d_z2 @ W2.T) * (z1 > 0)
    return X.T @ d_z1, d_z1.sum(axis=0), d_W2, d_b2, d_W3, d_b3


def best(fn, repeat, number=None):
    """Best time per call (seconds) over ``repeat`` runs."""
    timer = timeit.Timer(fn)
    if number is None:
        number, _ = timer.autorange()
    return min(timer.repeat(repeat=repeat, number=number)) / number


def others(problem, args):
    """Gradient functions of the other tools that are installed: name -> callable."""
    tools = {}
    try:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)
        if problem == "mse":

            def loss(w, X, y):
                return jnp.mean((jnp.dot(X, w) - y) ** 2)

            argnums = 0
        else:

            def loss(W1, b1, W2, b2, W3, b3, X, y):
                h1 = jnp.maximum(X @ W1 + b1, 0.0)
                h2 = jnp.maximum(h1 @ W2 + b2, 0.0)
                return jnp.mean(((h2 @ W3 + b3)[:, 0] - y) ** 2)

            argnums = tuple(range(6))
        jitted = jax.jit(jax.grad(loss, argnums=argnums))
        device_args = [jnp.asarray(a) for a in args]

        def run_jax():
            out = jitted(*device_args)
            jax.block_until_ready(out)
            return out

        tools[f"jax {jax.__version__} jit(grad)"] = run_jax
    except ImportError:
        pass
    try:
        import autograd
        import autograd.numpy as anp

        if problem == "mse":

            def aloss(w, X, y):
                return anp.mean((anp.dot(X, w) - y) ** 2)

            tools["autograd"] = (lambda g: lambda: g(*args))(autograd.grad(aloss, 0))
        else:

            def aloss(W1, b1, W2, b2, W3, b3, X, y):
                h1 = anp.maximum(anp.dot(X, W1) + b1, 0.0)
                h2 = anp.maximum(anp.dot(h1, W2) + b2, 0.0)
                return anp.mean((anp.dot(h2, W3)[:, 0] + b3[0] - y) ** 2)

            g = autograd.grad(aloss, list(range(6)))
            tools["autograd"] = lambda: g(*args)
    except ImportError:
        pass
    try:
        import torch

        # One intra-op thread: on a 2-core machine its default pool spins and
        # is several times slower on problems this small.
        torch.set_num_threads(1)
        tensors = [torch.tensor(a) for a in args]
        n_diff = 1 if problem == "mse" else 6
        for t in tensors[:n_diff]:
            t.requires_grad_(True)

        def run_torch():
            for t in tensors[:n_diff]:
                t.grad = None
            if problem == "mse":
                w, X, y = tensors
                loss = torch.mean((X @ w - y) ** 2)
            else:
                W1, b1, W2, b2, W3, b3, X, y = tensors
                h1 = torch.clamp(X @ W1 + b1, min=0.0)
                h2 = torch.clamp(h1 @ W2 + b2, min=0.0)
                loss = torch.mean(((h2 @ W3 + b3)[:, 0] - y) ** 2)
            loss.backward()
            return [t.grad for t in tensors[:n_diff]]

        tools[f"torch {torch.__version__} backward, 1 thread"] = run_torch
    except ImportError:
        pass
    return tools


def run(problem, args, loss, hand, argnums, repeat):
    reference = hand(*args)
    reference = reference if isinstance(reference, tuple) else (reference,)
    g = grad(loss, argnums=argnums)
    ours = g(*args)
    ours = ours if isinstance(ours, tuple) else (ours,)
    for a, b in zip(ours, reference):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    compiled = g.specialize(*args)
    rows = [
        ("hand-written NumPy gradient", lambda: hand(*args)),
        ("symdiff grad (Numba), as called", lambda: g(*args)),
        ("symdiff compiled function", lambda: compiled(*args)),
    ]
    for name, fn in others(problem, args).items():
        out = fn()
        out = out if isinstance(out, (tuple, list)) else (out,)
        for a, b in zip(out, reference):
            np.testing.assert_allclose(np.asarray(a), b, rtol=1e-7, atol=1e-9)
        rows.append((name, fn))
    times = {name: best(fn, repeat) for name, fn in rows}
    base = times["hand-written NumPy gradient"]
    for name, t in times.items():
        print(f"  {name:<38} {t * 1e6:10.1f} us   {t / base:6.2f}x")
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args(argv)
    print(f"python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}")
    rng = np.random.default_rng(0)

    print("(a) linear regression, MSE, X: 34,642 x 10, gradient w.r.t. the weights")
    X, y, w = rng.normal(size=(34_642, 10)), rng.normal(size=34_642), rng.normal(size=10)
    run("mse", (w, X, y), mse_loss, mse_grad_numpy, 0, options.repeat)

    print("(b) MLP 10 -> 64 -> 64 -> 1, ReLU, batch of 100, gradient w.r.t. all 6 parameters")
    params = [
        rng.normal(size=(10, 64)) * 0.3, rng.normal(size=64) * 0.1,
        rng.normal(size=(64, 64)) * 0.2, rng.normal(size=64) * 0.1,
        rng.normal(size=(64, 1)) * 0.2, rng.normal(size=1) * 0.1,
    ]  # fmt: skip
    X, y = rng.normal(size=(100, 10)), rng.normal(size=100)
    run("mlp", (*params, X, y), mlp_loss, mlp_grad_numpy, tuple(range(6)), options.repeat)


if __name__ == "__main__":
    main()
