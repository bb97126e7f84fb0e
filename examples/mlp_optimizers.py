"""Five optimisers side by side on one MLP whose parameters are a list of layers.

The network's parameters are what an ML course writes: a list of ``(W, b)``
pairs, one per layer.  ``loss(params, X, y)`` loops over the layers as plain
Python does (``for W, b in params[:-1]:``); symdiff's gradient comes back in
the same structure, a list of ``(dW, db)`` pairs, so each optimiser's update
rule is a few lines of NumPy over that list:

    SGD        p <- p - lr g
    momentum   v <- beta v + g;                         p <- p - lr v
    Adagrad    s <- s + g^2;                            p <- p - lr g / (sqrt(s) + eps)
    RMSProp    s <- rho s + (1 - rho) g^2;              p <- p - lr g / (sqrt(s) + eps)
    Adam       m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2
               p <- p - lr m_hat / (sqrt(v_hat) + eps), m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)

The data set is synthetic: y = sin(3 x1) + x2^2 / 2 plus noise.  Each
optimiser starts from the same initial parameters; the script prints the
training loss of each every ``--report`` steps and at the end.

Run:   python examples/mlp_optimizers.py [--steps N] [--show-gradient] [--no-jit]
"""

import argparse

import numpy as np

from symdiff import value_and_grad


def loss(params, X, y, weight_decay=1e-4):
    """Mean squared error of a tanh MLP, plus an L2 penalty on the weights."""
    h = X
    for W, b in params[:-1]:
        h = np.tanh(h @ W + b)
    W_out, b_out = params[-1]
    prediction = (h @ W_out + b_out)[:, 0]
    penalty = sum(np.sum(W**2) for W, _ in params)
    return np.mean((prediction - y) ** 2) + weight_decay * penalty


def init(sizes, seed=0):
    """A list of (W, b) layers, Glorot-scaled weights and zero biases."""
    rng = np.random.default_rng(seed)
    return [
        (rng.normal(size=(n_in, n_out)) * np.sqrt(1.0 / n_in), np.zeros(n_out))
        for n_in, n_out in zip(sizes[:-1], sizes[1:])
    ]


def data(n, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = np.sin(3.0 * X[:, 0]) + 0.5 * X[:, 1] ** 2 + 0.05 * rng.normal(size=n)
    return X, y


# -- the optimisers: each one a state of the parameters' structure and an update ---------


def tree_map(f, *trees):
    """``f`` applied leaf by leaf to lists of (W, b) pairs of the same structure."""
    return [tuple(f(*leaves) for leaves in zip(*layers)) for layers in zip(*trees)]


def zeros_like(params):
    return tree_map(np.zeros_like, params)


class SGD:
    def __init__(self, lr=0.1):
        self.lr = lr

    def update(self, params, grads):
        return tree_map(lambda p, g: p - self.lr * g, params, grads)


class Momentum:
    def __init__(self, lr=0.05, beta=0.9):
        self.lr, self.beta, self.velocity = lr, beta, None

    def update(self, params, grads):
        if self.velocity is None:
            self.velocity = zeros_like(params)
        self.velocity = tree_map(lambda v, g: self.beta * v + g, self.velocity, grads)
        return tree_map(lambda p, v: p - self.lr * v, params, self.velocity)


class Adagrad:
    def __init__(self, lr=0.05, eps=1e-8):
        self.lr, self.eps, self.squares = lr, eps, None

    def update(self, params, grads):
        if self.squares is None:
            self.squares = zeros_like(params)
        self.squares = tree_map(lambda s, g: s + g * g, self.squares, grads)
        step = lambda p, g, s: p - self.lr * g / (np.sqrt(s) + self.eps)  # noqa: E731
        return tree_map(step, params, grads, self.squares)


class RMSProp:
    def __init__(self, lr=0.005, rho=0.9, eps=1e-8):
        self.lr, self.rho, self.eps, self.squares = lr, rho, eps, None

    def update(self, params, grads):
        if self.squares is None:
            self.squares = zeros_like(params)
        rho = self.rho
        self.squares = tree_map(lambda s, g: rho * s + (1 - rho) * g * g, self.squares, grads)
        step = lambda p, g, s: p - self.lr * g / (np.sqrt(s) + self.eps)  # noqa: E731
        return tree_map(step, params, grads, self.squares)


class Adam:
    def __init__(self, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m = self.v = None
        self.t = 0

    def update(self, params, grads):
        if self.m is None:
            self.m, self.v = zeros_like(params), zeros_like(params)
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        self.m = tree_map(lambda m, g: b1 * m + (1 - b1) * g, self.m, grads)
        self.v = tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, self.v, grads)
        c1, c2 = 1 - b1**self.t, 1 - b2**self.t

        def step(p, m, v):
            return p - self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)

        return tree_map(step, params, self.m, self.v)


OPTIMISERS = {
    "SGD": SGD,
    "momentum": Momentum,
    "Adagrad": Adagrad,
    "RMSProp": RMSProp,
    "Adam": Adam,
}


def train(optimiser, params, X, y, steps, loss_and_grad, report=0):
    """Full-batch training; returns the final parameters and the loss per step."""
    history = []
    for step in range(steps):
        value, grads = loss_and_grad(params, X, y)  # grads: a list of (dW, db), like params
        params = optimiser.update(params, grads)
        history.append(float(value))
        if report and (step % report == 0 or step == steps - 1):
            print(f"    step {step:4d}  loss {value:.5f}")
    return params, history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--report", type=int, default=100, help="print the loss every N steps")
    parser.add_argument("--show-gradient", action="store_true", help="print the generated code")
    parser.add_argument("--no-jit", action="store_true", help="run the gradient as plain Python")
    options = parser.parse_args(argv)

    X, y = data(options.samples)
    start = init([2, options.hidden, options.hidden, 1])
    loss_and_grad = value_and_grad(loss, jit=not options.no_jit)
    if options.show_gradient:
        print(loss_and_grad.source(start, X, y))

    final = {}
    for name, make in OPTIMISERS.items():
        print(f"  {name}")
        _, history = train(make(), start, X, y, options.steps, loss_and_grad, options.report)
        final[name] = history[-1]
    print(f"initial loss {loss(start, X, y):.5f}; after {options.steps} steps:")
    for name, value in final.items():
        print(f"  {name:<9} {value:.5f}")
    return final


if __name__ == "__main__":
    main()
