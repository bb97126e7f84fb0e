"""Functions ``check_grad`` is run on (``test_check_pytrees``)."""

import dataclasses

import numpy as np

DATA = np.array([[0.5, -1.0], [2.0, 0.3]])
RS = np.random.RandomState(0)


@dataclasses.dataclass
class Layer:
    W: np.ndarray
    b: np.ndarray


def layers(params, x, act=np.tanh, loss="mse", scale=None):
    (W, b), c = params
    h = act(x @ W + b)
    if scale is not None:
        h = h * scale
    return np.sum(h**2) * c if loss == "mse" else np.sum(h)


def in_a_dict(p):
    return p["a"] * np.sum(p["b"] ** 2)


def an_object(layer, x):
    return np.sum(np.tanh(x @ layer.W + layer.b))


def reads_a_global(w):
    return np.sum(np.sin(DATA @ w))


def noisy(w, rs):
    return np.sum(np.sin(w * rs.randn(2)))


def noisy_global(w):
    return np.sum(w**2 * RS.randn(2)) + np.sum(w * np.random.rand(2))


def noisy_loop(w, steps, rs):
    total = 0.0
    for _ in range(steps):
        total = total + np.sum(np.cos(w * rs.standard_normal(2)))
    return total
