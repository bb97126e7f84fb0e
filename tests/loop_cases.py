"""Functions written with loops, as Numba users write them (see test_loops.py)."""

import math

import numpy as np


def rosenbrock(x):
    s = 0.0
    for i in range(len(x) - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def sum_of_squares(x):
    s = 0.0
    for i in range(x.shape[0]):
        s += x[i] * x[i]
    return s


def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-12:
        x = 0.5 * (x + a / x)
    return x


def fibonacci(x, n):
    a, b = 0.0, x
    for _ in range(n):
        a, b = b, a + b
    return a


def strided(x, n):
    s = 0.0
    for i in range(n - 1, -1, -2):
        s = s * 0.5 + math.sin(x[i])
    return s


def bounds_from_args(x, lo, hi):
    s = 1.0
    for i in range(lo, hi):
        s = s * (1.0 + x[i])
    return s


def nested(A, x):
    s = 0.0
    for i in range(A.shape[0]):
        row = 0.0
        for j in range(A.shape[1]):
            row += A[i, j] * x[j]
        s += math.tanh(row)
    return s


def break_continue(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] < 0.0:
            continue
        s += math.exp(x[i]) * s + x[i]
        if s > 5.0:
            break
    return s


def while_break(x, y):
    k = 0
    p = x
    while k < 50:
        p = p * y + 0.1
        k += 1
        if p > 10.0:
            break
    return p


def branch_in_loop(x):
    s = 0.0
    for i in range(len(x)):
        if x[i] > 0.0:
            s += x[i] ** 2
        else:
            s -= math.sin(x[i]) * s
    return s


def rnn(W, U, h0, xs):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U * xs[t])
    return np.sum(h * h)


def writes(x):
    out = np.zeros(len(x))
    for i in range(len(x)):
        out[i] = x[i] ** 2 + 1.0
    return np.sum(out * out)


def writes_2d(x, y):
    out = np.empty((x.shape[0], y.shape[0]))
    for i in range(x.shape[0]):
        for j in range(y.shape[0]):
            out[i, j] = math.exp(-((x[i] - y[j]) ** 2))
    return np.sum(out @ y)


def accumulate(x, w):
    g = np.zeros(3)
    for i in range(len(x)):
        g[i % 3] += w * x[i]
        g[(i + 1) % 3] -= x[i] ** 2
    return np.sum(np.sin(g))


def recurrence(x):
    a = np.ones(len(x))
    for i in range(1, len(x)):
        a[i] = a[i - 1] * x[i] + math.sin(a[i - 1])
    return a[len(x) - 1]


def euler(y0, k, n):
    """y' = -k y^3 by explicit Euler: a trajectory written into an array."""
    y = np.zeros(n + 1)
    y[0] = y0
    h = 0.1
    for t in range(n):
        y[t + 1] = y[t] - h * k * y[t] ** 3
    return np.sum(y)


def int_index(x):
    j = 0
    s = 0.0
    while j < len(x):
        s = s * x[j] + 1.0
        j += 2
    return s


def copy_then_write(x):
    y = x.copy()
    for i in range(1, len(y)):
        y[i] = y[i] * x[i - 1]
    return np.sum(y)


def power_iteration(A, v):
    """A data-dependent number of iterations carrying an array."""
    change = 1.0
    while change > 1e-13:
        w = A @ v
        w = w / np.sqrt(np.sum(w * w))
        change = np.sum(np.abs(w - v))
        v = w
    return np.sum(v * (A @ v))


def _inner_sum(x, c):
    t = 0.0
    for j in range(len(x)):
        t += math.cos(c * x[j])
    return t


def helper_in_loop(x):
    s = 0.0
    for i in range(3):
        s += _inner_sum(x, s + i)
    return s


def scalar_loop(x):
    y = x
    for _ in range(5):
        y = y - 0.1 * (y * y - 2.0)
    return y


def long_while(x):
    """Thousands of iterations, until a data-dependent condition holds."""
    y = 0.0
    change = 1.0
    while change > 1e-13:
        new = 0.995 * y + 0.005 * math.cos(x * y)
        change = abs(new - y)
        y = new
    return y


def least_squares(w, X, y):
    """Mean squared error of a linear model, written with loops."""
    total = 0.0
    for i in range(X.shape[0]):
        pred = 0.0
        for j in range(X.shape[1]):
            pred += X[i, j] * w[j]
        total += (pred - y[i]) ** 2
    return total / X.shape[0]


def straight_line_writes(x):
    out = np.zeros(2)
    out[0] = x
    a = np.sum(out * out * out)
    out[1] = a
    return np.sum(out * x) * a


def int_start(x):
    """A carried value that starts as an int and becomes a float."""
    s = 1
    for i in range(4):
        s = s * x + i
    return s


def recurrence_in_branch(x):
    a = np.ones(len(x))
    for i in range(1, len(x)):
        if x[i] > 0.0:
            a[i] = a[i - 1] * x[i]
    return np.sum(a * a)


def row_writes(x, W):
    """Rows written into a 2-d array (the adjoint of a row is a copy, not a view)."""
    out = np.zeros((3, 2))
    for i in range(3):
        out[i] = W[i] * x[i]
    return np.sum(out * out)
