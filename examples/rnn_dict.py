"""A recurrent network over a sequence, its parameters in a dict.

An Elman RNN reads a noisy sine wave one step at a time and predicts the next
value:

    h_t = tanh(x_t Wxh + h_{t-1} Whh + bh)        y_t = h_t Why + by

``params`` is a dict ``{"Wxh": ..., "Whh": ..., "bh": ..., "Why": ..., "by": ...}``
and the gradient symdiff returns is a dict with the same keys.  The loop over
time is a Python ``for`` over ``range``; its reverse sweep (backpropagation
through time) is a loop running backwards in the generated code, which
``--show-gradient`` prints.  Training is a few hundred steps of Adam written
over the dict.

Run:   python examples/rnn_dict.py [--steps N] [--show-gradient] [--no-jit]
"""

import argparse

import numpy as np

from symdiff import value_and_grad


def loss(params, xs, targets):
    """Mean squared error of the one-step-ahead predictions over the sequence."""
    Wxh, Whh, bh = params["Wxh"], params["Whh"], params["bh"]
    Why, by = params["Why"], params["by"]
    h = np.zeros(Whh.shape[0])
    total = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wxh + h @ Whh + bh)
        y = h @ Why + by
        total = total + np.sum((y - targets[t]) ** 2)
    return total / xs.shape[0]


def init(n_in, n_hidden, n_out, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "Wxh": rng.normal(size=(n_in, n_hidden)) * 0.5,
        "Whh": rng.normal(size=(n_hidden, n_hidden)) * (0.5 / np.sqrt(n_hidden)),
        "bh": np.zeros(n_hidden),
        "Why": rng.normal(size=(n_hidden, n_out)) * 0.5,
        "by": np.zeros(n_out),
    }


def sequence(length, seed=1):
    """Inputs x_t = (sin t, noise) and targets sin(t + dt): predict the next value."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 4 * np.pi, length + 1)
    wave = np.sin(t)
    xs = np.stack([wave[:-1], 0.1 * rng.normal(size=length)], axis=1)
    return xs, wave[1:, None]


def adam(params, grads, state, lr=0.02, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step over a dict of arrays; ``state`` holds (t, m, v)."""
    t, m, v = state
    t += 1
    m = {k: beta1 * m[k] + (1 - beta1) * grads[k] for k in params}
    v = {k: beta2 * v[k] + (1 - beta2) * grads[k] ** 2 for k in params}
    new = {
        k: params[k] - lr * (m[k] / (1 - beta1**t)) / (np.sqrt(v[k] / (1 - beta2**t)) + eps)
        for k in params
    }
    return new, (t, m, v)


def train(params, xs, targets, steps, loss_and_grad, report=0):
    zeros = {k: np.zeros_like(p) for k, p in params.items()}
    state = (0, zeros, zeros)
    history = []
    for step in range(steps):
        value, grads = loss_and_grad(params, xs, targets)  # grads: a dict, keys as params
        params, state = adam(params, grads, state)
        history.append(float(value))
        if report and (step % report == 0 or step == steps - 1):
            print(f"  step {step:4d}  loss {value:.5f}")
    return params, history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--length", type=int, default=40, help="sequence length")
    parser.add_argument("--hidden", type=int, default=8)
    parser.add_argument("--report", type=int, default=50, help="print the loss every N steps")
    parser.add_argument("--show-gradient", action="store_true", help="print the generated code")
    parser.add_argument("--no-jit", action="store_true", help="run the gradient as plain Python")
    options = parser.parse_args(argv)

    xs, targets = sequence(options.length)
    params = init(xs.shape[1], options.hidden, targets.shape[1])
    loss_and_grad = value_and_grad(loss, jit=not options.no_jit)
    if options.show_gradient:
        print(loss_and_grad.source(params, xs, targets))
    first = loss(params, xs, targets)
    params, history = train(params, xs, targets, options.steps, loss_and_grad, options.report)
    print(f"loss {first:.5f} -> {history[-1]:.5f} after {options.steps} steps of Adam")
    return first, history[-1]


if __name__ == "__main__":
    main()
