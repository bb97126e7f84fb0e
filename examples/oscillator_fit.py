"""Fit the stiffness and damping of an oscillator to a measured trajectory.

The model is a simulation written the way Numba users write it: a time-stepping
loop (semi-implicit Euler) over thousands of steps.  symdiff differentiates the
loop itself, in reverse mode: the gradient is one loop that runs the steps
backwards, so its code does not grow with the number of steps, and it is a
Numba-compiled function.  The script fits the parameters twice:

1. with SciPy's L-BFGS-B, given the gradient from symdiff as ``jac=``;
2. with gradient descent (with momentum) written in Numba itself, calling
   symdiff's compiled gradient from inside the ``@njit`` loop.

The data are synthetic (a true stiffness of 4.0 and damping of 0.3, plus
noise), so the script runs anywhere.

Run:   python examples/oscillator_fit.py [--steps N] [--show-gradient]
"""

import argparse
import time

import numba
import numpy as np
from scipy.optimize import minimize

from symdiff import derivative_source, grad, value_and_grad


def trajectory_loss(params, observed, dt):
    """Mean squared distance between the simulated and the observed positions."""
    stiffness = params[0]
    damping = params[1]
    x = 1.0
    v = 0.0
    loss = 0.0
    for t in range(observed.shape[0]):
        a = -stiffness * x - damping * v
        v = v + dt * a
        x = x + dt * v
        loss += (x - observed[t]) ** 2
    return loss / observed.shape[0]


def simulate(stiffness, damping, steps, dt):
    x, v = 1.0, 0.0
    out = np.empty(steps)
    for t in range(steps):
        v += dt * (-stiffness * x - damping * v)
        x += dt * v
        out[t] = x
    return out


@numba.njit
def descend(gradient, params, observed, dt, rate, momentum, iterations):
    """Gradient descent with momentum, entirely in Numba."""
    velocity = np.zeros_like(params)
    for _ in range(iterations):
        velocity = momentum * velocity - rate * gradient(params, observed, dt)
        params = params + velocity
    return params


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--iterations", type=int, default=3000, help="gradient descent steps")
    parser.add_argument("--show-gradient", action="store_true")
    args = parser.parse_args(argv)

    dt = 0.01
    rng = np.random.default_rng(0)
    truth = np.array([4.0, 0.3])
    observed = simulate(*truth, args.steps, dt) + 0.01 * rng.normal(size=args.steps)
    start = np.array([3.0, 1.0])
    if args.show_gradient:
        print(derivative_source(trajectory_loss, start, observed, dt))

    loss_and_grad = value_and_grad(trajectory_loss)  # d/d params (argnums=0)
    began = time.perf_counter()
    fit = minimize(loss_and_grad, start, args=(observed, dt), jac=True, method="L-BFGS-B")
    took = time.perf_counter() - began
    print(
        f"L-BFGS-B:         stiffness {fit.x[0]:.4f}, damping {fit.x[1]:.4f}, "
        f"loss {fit.fun:.3e}, {fit.nfev} evaluations, {took:.2f} s"
    )

    gradient = grad(trajectory_loss).specialize(start, observed, dt)  # a Numba dispatcher
    began = time.perf_counter()
    params = descend(gradient, start, observed, dt, 0.02, 0.9, args.iterations)
    took = time.perf_counter() - began
    loss = trajectory_loss(params, observed, dt)
    print(
        f"descent in Numba: stiffness {params[0]:.4f}, damping {params[1]:.4f}, "
        f"loss {loss:.3e}, {args.iterations} gradients, {took:.2f} s (with compilation)"
    )
    print(f"true values:      stiffness {truth[0]:.4f}, damping {truth[1]:.4f}")
    return {"L-BFGS-B": fit.x, "descent": params, "truth": truth}


if __name__ == "__main__":
    main()
