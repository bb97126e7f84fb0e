"""Functions for tests/test_trust_api.py (in a file, as symdiff reads source)."""


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
