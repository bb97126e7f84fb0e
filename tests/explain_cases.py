"""Functions for tests/test_explain.py (explain reads their source)."""

import numpy as np


def lecture(a, b, c):
    d = c**2
    e = a * d
    f = 2 * b
    g = a + f
    h = g + e
    i = b * h
    return i


def nested(a, b, c):
    return b * (a + 2 * b + a * c**2)


def two_layer(W1, b1, W2, b2, X, y):
    z1 = X @ W1 + b1
    h1 = np.maximum(z1, 0.0)
    z2 = h1 @ W2 + b2
    return np.mean((z2 - y) ** 2)


def branch_and_loop(x, y):
    if x > 0:
        z = x * y
    else:
        z = -x
    w = z * 2.0
    for _ in range(3):
        w = w * y
    return w + 1.0


def draws(x, rng):
    return x * rng.normal()


def pair(x):
    return x, 2.0 * x
