"""A multi-layer perceptron trained by backprop, with the gradient from symdiff.

A 2-layer ReLU network classifies points of two interleaved spirals (a
synthetic data set).  The same gradient trains it with plain SGD, momentum,
RMSProp and Adam; the script prints the loss every 10 epochs and the test
accuracy of each optimiser.

Run:   python examples/mlp_training.py [--show-gradient] [--epochs N]
"""

import argparse

import numpy as np

from symdiff import derivative_source, value_and_grad


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def mlp(params, X):
    W1, b1, W2, b2, W3, b3 = params
    h1 = np.maximum(X @ W1 + b1, 0.0)
    h2 = np.maximum(h1 @ W2 + b2, 0.0)
    return sigmoid(h2 @ W3 + b3)[:, 0]


def loss_function(W1, b1, W2, b2, W3, b3, X, y):
    h1 = np.maximum(X @ W1 + b1, 0.0)
    h2 = np.maximum(h1 @ W2 + b2, 0.0)
    p = sigmoid(h2 @ W3 + b3)[:, 0]
    eps = 1e-12
    return -np.mean(y * np.log(p + eps) + (1.0 - y) * np.log(1.0 - p + eps))


def spirals(n, seed=0):
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.uniform(0.05, 1.0, size=n)) * 3 * np.pi
    label = rng.integers(0, 2, size=n)
    sign = np.where(label == 1, 1.0, -1.0)
    X = np.stack([sign * t * np.cos(t), sign * t * np.sin(t)], axis=1) / 10.0
    X += 0.03 * rng.normal(size=X.shape)
    return X, label.astype(float)


def init(sizes, seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append(rng.normal(size=(fan_in, fan_out)) * np.sqrt(2.0 / fan_in))
        params.append(np.zeros(fan_out))
    return params


class SGD:
    def __init__(self, lr=0.1):
        self.lr = lr

    def step(self, params, grads):
        return [p - self.lr * g for p, g in zip(params, grads)]


class Momentum:
    def __init__(self, lr=0.05, beta=0.9):
        self.lr, self.beta, self.v = lr, beta, None

    def step(self, params, grads):
        if self.v is None:
            self.v = [np.zeros_like(p) for p in params]
        self.v = [self.beta * v + g for v, g in zip(self.v, grads)]
        return [p - self.lr * v for p, v in zip(params, self.v)]


class RMSProp:
    def __init__(self, lr=0.005, rho=0.9, eps=1e-8):
        self.lr, self.rho, self.eps, self.s = lr, rho, eps, None

    def step(self, params, grads):
        if self.s is None:
            self.s = [np.zeros_like(p) for p in params]
        self.s = [self.rho * s + (1 - self.rho) * g * g for s, g in zip(self.s, grads)]
        return [p - self.lr * g / (np.sqrt(s) + self.eps) for p, g, s in zip(params, grads, self.s)]


class Adam:
    def __init__(self, lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps = lr, beta1, beta2, eps
        self.m = self.v = None
        self.t = 0

    def step(self, params, grads):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        self.m = [self.b1 * m + (1 - self.b1) * g for m, g in zip(self.m, grads)]
        self.v = [self.b2 * v + (1 - self.b2) * g * g for v, g in zip(self.v, grads)]
        m_hat = [m / (1 - self.b1**self.t) for m in self.m]
        v_hat = [v / (1 - self.b2**self.t) for v in self.v]
        return [p - self.lr * m / (np.sqrt(v) + self.eps) for p, m, v in zip(params, m_hat, v_hat)]


def train(optimizer, X, y, epochs, batch_size=64, hidden=32, seed=0):
    loss_and_grad = value_and_grad(loss_function, argnums=tuple(range(6)))
    params = init([2, hidden, hidden, 1], seed)
    rng = np.random.default_rng(seed)
    history = []
    for epoch in range(epochs):
        order = rng.permutation(len(X))
        total = 0.0
        for start in range(0, len(X), batch_size):
            batch = order[start : start + batch_size]
            loss, grads = loss_and_grad(*params, X[batch], y[batch])
            params = optimizer.step(params, grads)
            total += loss * len(batch)
        history.append(total / len(X))
        if epoch % 10 == 0 or epoch == epochs - 1:
            print(f"    epoch {epoch:3d}  loss {history[-1]:.4f}")
    return params, history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--show-gradient", action="store_true", help="print the generated code")
    options = parser.parse_args(argv)

    X, y = spirals(options.samples)
    split = int(0.8 * len(X))
    X_train, y_train, X_test, y_test = X[:split], y[:split], X[split:], y[split:]
    if options.show_gradient:
        params = init([2, 32, 32, 1])
        print(derivative_source(loss_function, *params, X_train, y_train, argnums=tuple(range(6))))

    accuracies = {}
    for name, optimizer in (
        ("SGD", SGD()),
        ("momentum", Momentum()),
        ("RMSProp", RMSProp()),
        ("Adam", Adam()),
    ):
        print(f"  {name}")
        params, history = train(optimizer, X_train, y_train, options.epochs)
        accuracy = np.mean((mlp(params, X_test) > 0.5) == (y_test > 0.5))
        accuracies[name] = (history[-1], accuracy)
    print("optimiser   final train loss   test accuracy")
    for name, (loss, accuracy) in accuracies.items():
        print(f"{name:<10}  {loss:16.4f}   {accuracy:13.3f}")
    return accuracies


if __name__ == "__main__":
    main()
