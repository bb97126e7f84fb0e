"""Functions for the second derivatives of ``test_higher_order_gaps``: loops
whose reverse sweep reads a branch's values after the branch (reverse over
reverse), and the NumPy functions whose derivative code has helpers of its own."""

import math

import numpy as np


def branch_value_read_later(x, a):
    # the gradient's reverse loop recomputes s_4 in `if not c:` and reads it in
    # a later `if c: ... else:` on the same condition
    s = a
    t = x[0]
    for i in range(len(x)):
        if x[i] > 0.3:
            pass
        else:
            tmp = np.zeros(2)
            s = s * 0.5 + np.sum(np.sin(tmp))
            t = math.atan(s)
        tmp = np.zeros(2)
        t = t * 0.5 + np.sum(np.sin(tmp))
    return s + t


def branch_tape_read_later(x, a):
    # the inner loop's tape is made in a branch and read by the adjoint's branch
    s = math.sin(a)
    t = x[0]
    for i in range(x.shape[0]):
        if s < 1.0:
            pass
        else:
            for j in range(i):
                t, s = s, -s / (1.0 + a**2) + x[j]
        tmp = np.zeros(2)
        tmp[1] = a
        t = t * 0.5 + np.sum(np.sin(tmp))
    return s + t


def prod_all(x):
    return np.prod(x)


def prod_rows_squared(A):
    return np.sum(np.prod(A, axis=1) ** 2)


def prod_over_two_axes(A):
    return np.sum(np.sin(np.prod(A, axis=(0, 2))))


def prod_columns_weighted(A):
    return np.sum(np.prod(A, axis=0) * np.arange(A.shape[1]))


def prod_of_powers(a):
    return np.prod(np.array([a, a * a, 2.0]))


def nested_loops_with_a_counter(x, a):
    s = a
    k = 0
    for i in range(len(x)):
        m = 0
        while m < 2:
            m += 1
            k += 1
            s = s * 0.5 + math.sin(x[k % len(x)] * s) + x[i]
    return s


def cumprod_weighted(x):
    return np.sum(np.cumprod(x) * np.arange(1.0, x.shape[0] + 1.0))


def cumprod_along_rows(A):
    return np.sum(np.cos(np.cumprod(A, axis=1)) * A)


def cumprod_flattened(A):
    return np.sum(np.cumprod(A) * np.arange(A.size))


def singular_values_cubed(A):
    return np.sum(np.linalg.svd(A, compute_uv=False) ** 3)


def singular_values_weighted(A):
    s = np.linalg.svd(A, compute_uv=False)
    return np.sum(s * np.arange(1.0, s.shape[0] + 1.0)) + np.sum(s**3)


def singular_values_of_a_number(a):
    s = np.linalg.svd(np.array([[a, 1.0], [2.0, a * a]]), compute_uv=False)
    return np.sum(s * np.array([1.0, 3.0]))


def differences_times_tail(x):
    y = np.diff(x)
    return np.sum(y * x[1:])


def head_times_shifted(x, w):
    n = x.shape[0]
    y = x[: n - 1] * w[1:]
    return np.sum(y**2)


def scaled_and_total(w, x):
    return w * x, np.sum(w)


def example_loss(w, x, y):
    return (np.tanh(x @ w) - y) ** 2


def example_half(x):
    return x[: x.shape[0] // 2] * x[0]


def cubic_terms(x):
    return np.sum(np.sin(x) * x[0]) + x[1] ** 3 * x[2]
