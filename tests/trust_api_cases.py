"""Functions for tests/test_trust_api.py (in a file, as symdiff reads source)."""

import math

import numpy as np


# Copies followed by writes: the copy's tangent must not share the original's.
def copy_after_loop(x, s):
    a = np.zeros(3)
    for k in range(3):
        a[k] = s
    b = a.copy()
    b[0] = x[1]
    return np.sum(a) + np.sum(b)


def np_copy_after_loop(x, s):
    a = np.zeros(3)
    for k in range(3):
        a[k] = s * x[k]
    b = np.copy(a)
    b[2] = x[0] * s
    return np.sum(a * a) + np.sum(b)


def copy_no_loop(x, s):
    a = np.zeros(3)
    a[0] = s
    b = a.copy()
    b[1] = x[0]
    return np.sum(a) + np.sum(b * b)


def copy_in_loop(x, s):
    a = x * s
    out = 0.0
    for i in range(3):
        b = np.copy(a)
        b[i] = s
        a = a * 1.5
        out = out + np.sum(b * a)
    return out + np.sum(a)


def copy_of_argument(x, s):
    b = x.copy()
    b[0] = s
    b[1] += s * x[2]
    return np.sum(b * x)


def copy_then_loop_writes(x, s):
    a = x * s
    b = a.copy()
    for k in range(3):
        b[k] = b[k] * x[k]
    return np.sum(a) + np.sum(b)


def prod_all(x):
    return np.prod(x)


def prod_times(x, s):
    return np.prod(x) * s + np.sum(x) * s


def prod_axis0(A):
    return np.sum(np.prod(A, axis=0) * np.array([1.0, 2.0, 3.0]))


def prod_axis1(A):
    return np.sum(np.prod(A, axis=1) ** 2)


def prod_keepdims(A):
    return np.sum(np.prod(A, axis=1, keepdims=True) * A)


def prod_keepdims_all(A):
    return np.sum(np.prod(A, keepdims=True) * A)


# Special points of the partials: 0 * inf and 0 / 0 in the formulas.
def int_power0(x):
    return x**0


def int_power1(x):
    return x**1


def int_power2(x):
    return x**2


def np_power0(x):
    return np.sum(np.power(x, 0.0))


def power(x, y):
    return x**y


def zero_base(y):
    return 0.0**y


def math_pow(x, y):
    return math.pow(x, y)


def array_power(x, y):
    return np.sum(x**y)


def hypot(x, y):
    return math.hypot(x, y)


def array_hypot(x, y):
    return np.sum(np.hypot(x, y))


def atan2(y, x):
    return math.atan2(y, x)


def sqrt(x):
    return math.sqrt(x)


# Forward mode over arrays, and array jvp/vjp.
def weighted(x, W, s):
    return np.sum(np.tanh(W @ x) * s) + s * s


def vec_out(x):
    return np.sin(x) * 2.0


def mat_out(W, x, s: float):
    return np.outer(W @ x, x) * s


def scalar_in_vec_out(s, t):
    return np.array([s * t, s + t, math.sin(s)])


def rnn(W, U, xs, h0):
    h = h0
    for t in range(4):
        h = np.tanh(W @ h + U * xs[t])
    return np.sum(h)


def rnn_long(W, U, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + U * xs[t])
    return np.sum(h)


def sine(x, z):
    return math.sin(x) * z


def copy_between_loops(x, s):
    a = np.zeros(3)
    for k in range(3):
        a[k] = s * x[k]
    b = a.copy()
    for k in range(3):
        b[k] = b[k] * x[k]
    return np.sum(a) + np.sum(b * b)


def rows_and_tanh(A, s):
    return np.sum(np.tanh(A) * s) + np.sum(A[0] * A[1])


def log_of(x):
    return math.log(x)
