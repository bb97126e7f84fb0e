"""Functions for tests/test_parallel.py (symdiff reads their source)."""

import math

import numpy as np


def per_element(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += math.sin(x[i]) * math.exp(-x[i] * x[i])
    return s


def mse(w, X, y):
    r = X @ w - y
    return np.mean(r * r)


def neighbours(x):
    s = 0.0
    for i in range(x.shape[0] - 1):
        s += (x[i + 1] - x[i]) ** 2
    return s


def product(x):
    s = 1.0
    for i in range(x.shape[0]):
        s = s * x[i]
    return s
